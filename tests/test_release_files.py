"""Registry, verification and download of the official COHERENT data releases
(cevns.releases.files and the registry, ``cevns release``), against the shared byte-for-byte copies and a local
HTTP server."""

from __future__ import annotations

import csv
import functools
import hashlib
import http.server
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cevns.releases import files as R
from cevns.releases.registry import releases
from tests.cli_run import run_cli as _run

NAMES = ("csi-2017", "lar-2020-analysisA", "csi-2021")


@pytest.fixture
def releases_dir(shared_dir) -> Path:
    path = shared_dir / "coherent-data-releases"
    if not path.is_dir():
        pytest.skip(f"{path} is not available")
    missing = [name for name in NAMES if not (path / name).is_dir()]  # $CEVNS_RELEASE_DATA may hold only some
    if missing:
        pytest.skip(f"{path} lacks {', '.join(missing)}")
    return path


def _copy(src: Path, dst: Path) -> Path:
    """Writable copy of a folder (the shared copies are read-only)."""
    for path in src.rglob("*"):
        if path.is_file():
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return dst


def _flip_byte(path: Path, offset: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


class _Server:
    """http.server on 127.0.0.1 (free port) serving ``root`` from a thread; records the
    paths requested."""

    def __init__(self, root: Path) -> None:
        requested: list[str] = []

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self) -> None:
                requested.append(self.path)
                super().do_GET()

            def log_message(self, *args) -> None:  # keep the test output clean
                pass

        self.requested = requested
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def serve():
    servers: list[_Server] = []

    def start(root: Path) -> _Server:
        servers.append(_Server(root))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


# --- registry -------------------------------------------------------------------------------


def test_registry_agrees_with_provenance(releases_dir):
    """Independent record: PROVENANCE.tsv lists every copied file with a 16-digit sha256
    prefix; the registry must hold exactly those files, with hashes that extend them."""
    if not (releases_dir / "PROVENANCE.tsv").is_file():  # $CEVNS_RELEASE_DATA: a folder of your own has none
        pytest.skip(f"{releases_dir} has no PROVENANCE.tsv")
    with open(releases_dir / "PROVENANCE.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    provenance = {row["file"]: row["sha256_prefix"] for row in rows}
    registry = {f"{name}/{f.path}": f.sha256 for name in NAMES for f in releases()[name].files}
    assert set(registry) == set(provenance)
    for path, digest in registry.items():
        assert len(digest) == 64 and digest.startswith(provenance[path]), path


def test_registry_entries_well_formed():
    assert set(releases()) == set(NAMES) | {"xenonnt-8b"}  # the COHERENT releases and XENONnT 8B (tests/test_xenonnt_8b.py)
    for name, rel in releases().items():
        assert rel.name == name
        paths = [f.path for f in rel.files]
        assert len(set(paths)) == len(paths) and all(not p.startswith("/") and ".." not in p for p in paths)
        assert all(f.size > 0 and int(f.sha256, 16) >= 0 and f.sha256 == f.sha256.lower() for f in rel.files)


def test_unknown_release_suggests_name(tmp_path):
    with pytest.raises(ValueError, match=r"unknown data release 'csi2017'; did you mean 'csi-2017'\?"):
        R.verify_release("csi2017", tmp_path)


def test_sha256_of_known_value(tmp_path):
    path = tmp_path / "abc"
    path.write_bytes(b"abc")
    # FIPS 180-2, Appendix B.1: SHA-256("abc")
    assert R.sha256_of(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


# --- verification ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_shared_copies_verify(releases_dir, name):
    assert R.verify_release(name, releases_dir / name) == []
    assert R.verify_release(name, releases_dir / name, strict=True) == []
    assert R.pending_files(name, releases_dir / name) == ()


def test_corrupted_copy_names_the_file(releases_dir, tmp_path):
    folder = _copy(releases_dir / "lar-2020-analysisA", tmp_path / "lar")
    _flip_byte(folder / "SystErrors" / "brnpdf+1sigEnergy.txt")
    problems = R.verify_release("lar-2020-analysisA", folder)
    assert len(problems) == 1 and "SystErrors/brnpdf+1sigEnergy.txt" in problems[0] and "sha256" in problems[0]
    assert "\n" not in problems[0]
    with pytest.raises(ValueError, match=r"brnpdf\+1sigEnergy\.txt .* is not the release file"):
        R.verify_release("lar-2020-analysisA", folder, strict=True)
    assert [f.path for f in R.pending_files("lar-2020-analysisA", folder)] == ["SystErrors/brnpdf+1sigEnergy.txt"]


def test_missing_files_and_folder(releases_dir, tmp_path):
    folder = _copy(releases_dir / "csi-2017", tmp_path / "csi")
    (folder / "promptPDF.txt").unlink()
    (folder / "data_coincidence_beamOn.txt").unlink()
    problems = R.verify_release("csi-2017", folder)
    assert len(problems) == 2 and all("is missing" in p for p in problems)
    with pytest.raises(ValueError, match=r"data_coincidence_beamOn\.txt is missing .*\(and 1 more problem\)$"):
        R.verify_release("csi-2017", folder, strict=True)
    assert R.verify_release("csi-2017", tmp_path / "nowhere") == [
        f"csi-2017: release folder {tmp_path / 'nowhere'} does not exist or is not a folder"]


# --- download -------------------------------------------------------------------------------


def test_http_download_reproduces_release(releases_dir, tmp_path, serve):
    server = serve(releases_dir)
    dest = tmp_path / "dl" / "lar"
    seen: dict[str, int] = {}
    report = R.download_release("lar-2020-analysisA", dest, server.url + "/lar-2020-analysisA/",
                                progress=lambda p, n: seen.__setitem__(p, seen.get(p, 0) + n))
    assert _files(dest) == _files(releases_dir / "lar-2020-analysisA")
    assert R.verify_release("lar-2020-analysisA", dest) == []
    assert report.present == () and len(report.downloaded) == 22
    assert report.bytes_downloaded == releases()["lar-2020-analysisA"].size == sum(seen.values())
    assert seen == {f.path: f.size for f in releases()["lar-2020-analysisA"].files}
    # '+' in a file name reaches the server percent-encoded and is served
    assert "/lar-2020-analysisA/SystErrors/brnpdf%2B1sigEnergy.txt" in server.requested


def test_mismatch_on_server_is_refused(releases_dir, tmp_path, serve):
    served = _copy(releases_dir / "csi-2017", tmp_path / "served")
    _flip_byte(served / "data_coincidence_beamOn.txt", offset=100)
    server = serve(served)
    dest = tmp_path / "dest"
    with pytest.raises(ValueError, match=r"data_coincidence_beamOn\.txt is not release file .*sha256.*not kept$"):
        R.download_release("csi-2017", dest, server.url)
    assert not (dest / "data_coincidence_beamOn.txt").exists()
    assert not [p for p in dest.iterdir() if p.name.endswith(".part")]
    # files before it in the registry order were verified and kept; the rest were not fetched
    order = [f.path for f in releases()["csi-2017"].files]
    assert sorted(p.name for p in dest.iterdir()) == order[: order.index("data_coincidence_beamOn.txt")]


def test_resume_downloads_only_the_rest(releases_dir, tmp_path, serve):
    server = serve(releases_dir / "csi-2021")
    dest = tmp_path / "csi2021"
    dest.mkdir()
    present = ["dataBeamOnC.txt", "brnPE.txt", "effCoefficients.txt"]
    for name in present:
        shutil.copyfile(releases_dir / "csi-2021" / name, dest / name)
    _flip_byte(dest / "effCoefficients.txt")  # present but wrong: fetched again
    report = R.download_release("csi-2021", dest, server.url)
    expected = sorted({f.path for f in releases()["csi-2021"].files} - {"dataBeamOnC.txt", "brnPE.txt"})
    assert sorted(server.requested) == [f"/{p}" for p in expected]
    assert sorted(report.downloaded) == expected and sorted(report.present) == ["brnPE.txt", "dataBeamOnC.txt"]
    assert R.verify_release("csi-2021", dest) == []
    server.requested.clear()
    again = R.download_release("csi-2021", dest, server.url)
    assert server.requested == [] and again.downloaded == () and again.bytes_downloaded == 0


def test_interrupted_download_leaves_no_partial_file(releases_dir, tmp_path):
    dest = tmp_path / "dest"

    def interrupt(path: str, n: int) -> None:
        if path == "dataBeamOnAC.txt":  # 66916 bytes: interrupted after its first 64 KiB chunk
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        R.download_release("csi-2021", dest, (releases_dir / "csi-2021").as_uri(), progress=interrupt)
    assert sorted(p.name for p in dest.iterdir()) == ["brnPE.txt", "brnTrec.txt"]
    report = R.download_release("csi-2021", dest, (releases_dir / "csi-2021").as_uri())
    assert sorted(report.present) == ["brnPE.txt", "brnTrec.txt"] and len(report.downloaded) == 6


def test_file_url(releases_dir, tmp_path):
    dest = tmp_path / "csi"
    report = R.download_release("csi-2017", dest, (releases_dir / "csi-2017").as_uri())
    assert len(report.downloaded) == 8 and _files(dest) == _files(releases_dir / "csi-2017")


def test_download_errors(releases_dir, tmp_path, serve):
    with pytest.raises(ValueError, match=r"base URL 'ftp://example\.org' must start with http://, https:// or file://"):
        R.download_release("csi-2017", tmp_path / "a", "ftp://example.org")
    assert not (tmp_path / "a").exists()
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        R.download_release("csi-2017", tmp_path / "f", releases_dir.as_uri())
    server = serve(releases_dir)
    with pytest.raises(ValueError, match=r"cannot download http://127\.0\.0\.1:\d+/nothing/arrivalTimePDF_delayedNeutrinos\.txt: "
                                         r"HTTP 404"):
        R.download_release("csi-2017", tmp_path / "b", server.url + "/nothing")
    assert list((tmp_path / "b").iterdir()) == []
    # a server that sends more bytes than the release file is stopped
    big = tmp_path / "big"
    big.mkdir()
    (big / "arrivalTimePDF_delayedNeutrinos.txt").write_bytes(b"0" * 10_000)
    with pytest.raises(ValueError, match="sends more than the 644 bytes"):
        R.download_release("csi-2017", tmp_path / "c", big.as_uri())
    assert list((tmp_path / "c").iterdir()) == []


# --- CLI ------------------------------------------------------------------------------------


def test_cli_verify(releases_dir, tmp_path, capsys):
    code, out, err = _run(capsys, "release", "verify", "csi-2021", str(releases_dir / "csi-2021"))
    assert code == 0 and out.startswith("csi-2021: OK, 8 files") and err == ""
    folder = _copy(releases_dir / "csi-2017", tmp_path / "csi")
    _flip_byte(folder / "promptPDF.txt")
    code, out, err = _run(capsys, "release", "verify", "csi-2017", str(folder))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("error: csi-2017: promptPDF.txt in ") and "sha256" in err
    code, out, err = _run(capsys, "release", "verify", "lar-2020-analysisa", str(folder))
    assert code == 2 and err == "error: unknown data release 'lar-2020-analysisa'; did you mean 'lar-2020-analysisA'?\n"


def test_cli_fetch(releases_dir, tmp_path, capsys, serve):
    dest = tmp_path / "lar"
    server = serve(releases_dir / "lar-2020-analysisA")
    code, out, err = _run(capsys, "release", "fetch", "lar-2020-analysisA", "--url", server.url, "--dest", str(dest))
    assert code == 0 and out.startswith("lar-2020-analysisA: downloaded 22 files (527083 bytes), 0 already present")
    assert "lar-2020-analysisA" in err  # the progress bar's label, on stderr
    assert R.verify_release("lar-2020-analysisA", dest) == []
    code, out, err = _run(capsys, "release", "fetch", "lar-2020-analysisA", "--url", server.url, "--dest", str(dest))
    assert code == 0 and "downloaded 0 files (0 bytes), 22 already present" in out
    code, out, err = _run(capsys, "release", "fetch", "csi-2017", "--url", "gopher://x", "--dest", str(tmp_path / "g"))
    assert code == 2 and err.count("\n") == 1 and "gopher://x" in err and not (tmp_path / "g").exists()


def test_cli_fetch_mismatch_subprocess(releases_dir, tmp_path):
    """As a user runs it: exit 2, one error line, no traceback, no file for the bad one."""
    served = _copy(releases_dir / "csi-2017", tmp_path / "served")
    _flip_byte(served / "arrivalTimePDF_delayedNeutrinos.txt")
    dest = tmp_path / "dest"
    proc = subprocess.run([sys.executable, "-m", "cevns.cli", "release", "fetch", "csi-2017", "--url", served.as_uri(),
                           "--dest", str(dest)], check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "arrivalTimePDF_delayedNeutrinos.txt" in lines[0] and "Traceback" not in proc.stderr
    assert list(dest.iterdir()) == []
    digest = hashlib.sha256((served / "arrivalTimePDF_delayedNeutrinos.txt").read_bytes()).hexdigest()
    assert digest[:16] in lines[0]
