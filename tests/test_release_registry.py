"""The data-release registry (cevns.releases.registry): the shipped releases, a toy release
registered by a test (files in tmp_path with their SHA-256) found by ``cevns release
list|verify|fetch`` and ``cevns compare``, and the errors of a release without likelihood."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cevns.errors import InputError
from cevns.releases import RELEASE_MODULES, registry
from cevns.releases.files import download_release, verify_release
from cevns.releases.registry import DataRelease, ReleaseFile, file_table, identify_release, register_release, release, releases
from tests.cli_run import run_cli as _run

NAMES = ("csi-2017", "lar-2020-analysisA", "csi-2021", "xenonnt-8b")  # xenonnt-8b since issue 15
TOY_FILES = {"counts.txt": b"# toy counts\n1 2 3\n", "sub/shape.txt": b"0.25 0.75\n"}


@pytest.fixture
def isolated(monkeypatch):
    """Releases registered during the test are forgotten after it."""
    monkeypatch.setattr(registry, "_added", {})


def _toy_release(folder: Path, name: str = "toy-2024") -> DataRelease:
    """Write the toy release's files into ``folder`` and describe them (SHA-256 by hashlib)."""
    files = []
    for path, data in TOY_FILES.items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(data)
        files.append(ReleaseFile(path, len(data), hashlib.sha256(data).hexdigest()))
    return DataRelease(name, "Toy release", "nobody, test (2024)", tuple(files),
                       loader=lambda f: (Path(f) / "counts.txt").read_text(), marker="counts.txt")


# --- the shipped releases -------------------------------------------------------------------------
def test_registry_lists_the_three_releases():
    known = releases()
    assert tuple(known) == NAMES
    assert len(RELEASE_MODULES) == 4
    for name in NAMES:
        rel = release(name)
        assert rel is known[name] and rel.citation and rel.title and rel.files
        assert rel.marker_file in {f.path for f in rel.files}
    # every release compares with its shipped experiment (csi-2021 since issue 14)
    assert {n: known[n].experiment for n in NAMES} == {"csi-2017": "coherent-csi-2017", "lar-2020-analysisA": "coherent-lar-2020",
                                                       "csi-2021": "coherent-csi-2021", "xenonnt-8b": "xenonnt-8b"}
    assert known["csi-2021"].likelihood is not None and known["lar-2020-analysisA"].options == ("timing",)
    # the registry is read-only from outside
    with pytest.raises(TypeError):
        known["x"] = known["csi-2017"]  # type: ignore[index]


def test_file_table_and_validation(tmp_path):
    digest = "ab" * 32
    assert file_table(f"\n{digest}  12  a b.txt\n\n") == (ReleaseFile("a b.txt", 12, digest),)
    good = ReleaseFile("a.txt", 1, digest)
    for files, message in (((), "lists no files"), ((good, good), "twice"), ((ReleaseFile("../a", 1, digest),), "relative"),
                           ((ReleaseFile("a", 1, "AB" * 32),), "SHA-256"), ((ReleaseFile("a", 0, digest),), "size")):
        with pytest.raises(InputError, match=message):
            DataRelease("x", "t", "c", files, loader=print)
    with pytest.raises(InputError, match="marker"):
        DataRelease("x", "t", "c", (good,), loader=print, marker="b.txt")
    with pytest.raises(InputError, match="needs the experiment"):
        DataRelease("x", "t", "c", (good,), loader=print, likelihood=print)


def test_published_constants_live_with_the_release():
    """COHERENT's 173 ± 48 predicted events (Science 357, 1123 (2017)) is defined once, in the
    release module, and both reproductions use that object."""
    from cevns.releases import csi_2017
    from cevns.reproduce import coherent_overview, papoulias_kosmas

    assert (csi_2017.COHERENT_2017_SM_PREDICTION, csi_2017.COHERENT_2017_SM_PREDICTION_ERROR) == (173.0, 48.0)
    for module in (papoulias_kosmas, coherent_overview):
        assert module.COHERENT_2017_SM_PREDICTION is csi_2017.COHERENT_2017_SM_PREDICTION


# --- a toy release --------------------------------------------------------------------------------
def test_toy_release_registered_verified_and_listed(isolated, tmp_path, capsys):
    folder = tmp_path / "toy"
    toy = register_release(_toy_release(folder))
    assert release("toy-2024") is toy and tuple(releases())[-1] == "toy-2024"
    assert verify_release("toy-2024", folder) == [] and toy.load(folder) == "# toy counts\n1 2 3\n"
    assert identify_release(folder) is toy
    with pytest.raises(InputError, match="already registered"):
        register_release(_toy_release(tmp_path / "again"))
    with pytest.raises(InputError, match="already registered"):
        register_release(_toy_release(tmp_path / "csi", name="csi-2017"))

    code, out, err = _run(capsys, "release", "verify", "toy-2024", str(folder))
    assert (code, err) == (0, "") and out == f"toy-2024: OK, 2 files match their SHA-256 in {folder}\n"
    code, out, err = _run(capsys, "release", "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [*NAMES, "toy-2024"]
    assert "Toy release; 2 files, 29 bytes; no likelihood yet; nobody, test (2024)" in lines[-1]
    assert "compare with coherent-csi-2017" in lines[0]

    (folder / "sub" / "shape.txt").write_bytes(b"0.5 0.5\n")
    code, out, err = _run(capsys, "release", "verify", "toy-2024", str(folder))
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("error: toy-2024: sub/shape.txt in ")


def test_toy_release_fetched(isolated, tmp_path, capsys):
    register_release(_toy_release(tmp_path / "served"))
    report = download_release("toy-2024", tmp_path / "dest", (tmp_path / "served").as_uri())
    assert sorted(report.downloaded) == sorted(TOY_FILES) and report.bytes_downloaded == 29
    code, out, err = _run(capsys, "release", "fetch", "toy-2024", "--url", (tmp_path / "served").as_uri(),
                          "--dest", str(tmp_path / "dest"))
    assert code == 0 and "downloaded 0 files (0 bytes), 2 already present" in out


def test_compare_without_likelihood_is_one_line(isolated, tmp_path, capsys):
    folder = tmp_path / "toy"
    register_release(_toy_release(folder))
    code, out, err = _run(capsys, "compare", "coherent-csi-2017", "--data-release", str(folder))
    assert code == 2 and out == ""
    assert err == "error: toy-2024 (Toy release) has no likelihood yet, so it cannot be compared with a prediction\n"


def test_compare_on_csi_2021_needs_time_bins(shared_dir, capsys):
    # (until issue 14 the csi-2021 release had no likelihood; now an experiment without time bins is refused)
    folder = shared_dir / "coherent-data-releases" / "csi-2021"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not available")
    code, out, err = _run(capsys, "compare", "coherent-csi-2017", "--data-release", str(folder))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert err.startswith("error: coherent-csi-2017: the CsI 2021 likelihood needs arrival-time bins")


def test_compare_option_the_release_does_not_take(shared_dir, capsys):
    folder = shared_dir / "coherent-data-releases" / "csi-2017"
    if not folder.is_dir():
        pytest.skip(f"{folder} is not available")
    code, out, err = _run(capsys, "compare", "coherent-csi-2017", "--data-release", str(folder), "--timing", "release")
    assert code == 2 and out == "" and err == "error: the csi-2017 likelihood has no option timing\n"


def test_folder_with_no_release(tmp_path, capsys):
    with pytest.raises(InputError, match=r"holds no known data release: neither csi-2017 \(data_coincidence_beamOn\.txt\), "
                                         r"nor lar-2020-analysisA \(LArParametersAnlA\.yaml\), nor csi-2021"):
        identify_release(tmp_path)
    code, _, err = _run(capsys, "compare", "coherent-csi-2017", "--data-release", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "holds no known data release" in err


def test_release_likelihood_hooks_are_protocols():
    """The two ways a release likelihood departs from the template one are Protocols: the
    XENONnT 8B likelihood compares and predicts itself, a template likelihood does neither."""
    from cevns.releases.registry import SelfComparingLikelihood, predicts_own_signal
    from cevns.releases.xenonnt_8b import XenonNT8BLikelihood
    from cevns.stats.templates import TemplateLikelihood

    assert issubclass(XenonNT8BLikelihood, SelfComparingLikelihood)
    assert not issubclass(TemplateLikelihood, SelfComparingLikelihood)
    assert XenonNT8BLikelihood.predicts_own_signal is True

    class Own:
        predicts_own_signal = True

        def describe(self) -> dict:
            return {}

    class Claims(Own):
        predicts_own_signal = False

    class NoDescription:
        predicts_own_signal = True

    assert predicts_own_signal(Own())
    assert not predicts_own_signal(Claims())
    assert not predicts_own_signal(NoDescription())
    assert not predicts_own_signal(object())
