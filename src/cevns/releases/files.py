"""The files of the official COHERENT data releases, their checksums, verification and download.

A registry (:data:`RELEASES`) lists, for each release the loaders of
:mod:`cevns.releases.data` read, every file by its path relative to the release folder, its
size and its SHA-256. :func:`verify_release` checks a folder against it;
:func:`download_release` fetches the files into a folder, each checked before it is kept.

Where the files are: the collaboration distributes them, not this package (nothing of a
release is shipped here).

* ``csi-2017`` — COHERENT CsI[Na] 2017 data release, arXiv:1804.09459,
  doi:10.5281/zenodo.1228631 (Zenodo).
* ``lar-2020-analysisA`` — COHERENT CENNS-10 LAr, Analysis A, data release
  arXiv:2006.12659, doi:10.5281/zenodo.3903810 (Zenodo).
* ``csi-2021`` — COHERENT CsI[Na] full data set, arXiv:2110.07730 (PRL 129, 081801 (2022)),
  the paper's ancillary files. The release's 2-D SNS flux ``snsFlux2D.root`` is not in the
  registry (no checksum of it could be established here) and is not needed by the loader.

No download address is known to stay valid for every release (Zenodo record layouts and
archive packaging change), so the caller gives ``base_url``: the address of a folder laid out
as in the release (``base_url + "/" + relative path`` reaches each file; for the LAr release
that includes the ``OneDProjections/`` and ``SystErrors/`` sub-folders). Any ``http://``,
``https://`` or ``file://`` address works — e.g. a web server or a local unpacked copy.

Why the standard library (``urllib``) and not ``pooch``: pooch has no ``file://`` support,
would add ``requests`` as a dependency, and its hash-checked retrieve is a few lines here;
``urllib.request.urlopen`` reads http, https and file addresses alike, and streaming the bytes
ourselves gives the caller a byte-level progress callback.

This module knows nothing of the command line; errors are one-line :class:`ValueError`.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

_CHUNK = 1 << 16  # bytes read at a time when hashing or downloading
_SCHEMES = ("http", "https", "file")


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release: ``path`` relative to the release folder (POSIX separators),
    ``size`` in bytes and ``sha256`` (64 lowercase hex digits) of its exact bytes."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Release:
    """A data release: its registry name, what it is and where it is published, its files."""

    name: str
    title: str
    reference: str
    files: tuple[ReleaseFile, ...]

    @property
    def size(self) -> int:
        """Total size of the release's files, bytes."""
        return sum(f.size for f in self.files)


def _table(text: str) -> tuple[ReleaseFile, ...]:
    """Rows ``<sha256> <size in bytes> <relative path>`` (one file a line) → ReleaseFiles."""
    files = []
    for line in text.strip().splitlines():
        digest, size, path = line.split(maxsplit=2)
        files.append(ReleaseFile(path, int(size), digest))
    return tuple(files)


# The SHA-256 and sizes below are those of the COHERENT release files as distributed,
# computed with hashlib from byte-for-byte copies of them (each copy's origin is recorded,
# with a 16-hex-digit prefix of the same SHA-256, in the project's reference-data
# PROVENANCE.tsv; the tests check the two agree). Columns: sha256, bytes, path in the release.
RELEASES: Mapping[str, Release] = MappingProxyType({
    "csi-2017": Release(
        "csi-2017",
        "COHERENT CsI[Na] 2017 data release",
        "arXiv:1804.09459, doi:10.5281/zenodo.1228631",
        _table("""
6d8b4054173ca7d4f612b2ead7ce563e99eb99af9f4fc8d7b8b47c06cd5b640f     644  arrivalTimePDF_delayedNeutrinos.txt
2c92dd58f1366b7844e6ea0c73f016069a2c9b7d4538374259c00c370b9eb66a     292  arrivalTimePDF_promptNeutrinos.txt
f3992ea6d88a3da80f5134a00e4a7b784c119c9adeed9bc9649f4134e203fb11     379  arrivalTimePDF_promptNeutrons.txt
a0d52f3430c4a42e79bde5b1fc98807794f2dac13f38e94017c1cbbd9e8e6e10    8380  data_anticoincidence_beamOff.txt
8b180f9395dc8886f8be02f619e35903f151f8b15f7cbc5a0171ac7e59e59523    8382  data_anticoincidence_beamOn.txt
8d1133850a290e2d1e958c08184806dbd1e45bcb671937d1308ef6a5bb7cc63f    8380  data_coincidence_beamOff.txt
f9e8b795a48eb1f3a22cdca33cad978e5dc17fe56ea8f6a0bf32d18967051765    8386  data_coincidence_beamOn.txt
09d17caee92b5b0509f19b2233dab72cfdca1c0bbb68669c200331d95b330b1e     978  promptPDF.txt
"""),
    ),
    "lar-2020-analysisA": Release(
        "lar-2020-analysisA",
        "COHERENT CENNS-10 LAr, Analysis A data release",
        "arXiv:2006.12659, doi:10.5281/zenodo.3903810",
        _table("""
21ce25451c1ed552752ff4a22496deab3ff5dba178bf360813eaff1d25be89e2    1804  CENNS10AnlAEfficiency.txt
c783d98058d58a013f303f7fc12a83fcdf03ffee8bc649faece025ac1a2d4b09  285467  CENNS10DataReleaseCompanion.pdf
a206a77220436d0173c4783ae8fddeab97adf5e144f3d65005eff0870257693e    4906  LArParametersAnlA.yaml
d691284e875fb24e72787016f118c171974ca68fa6005da7ea653ca66059aa04     786  OneDProjections/energydata1d.txt
e82988ec2fdb871f21850ceea866213310ee81dca656ee4448282748037f1579     607  OneDProjections/f90data1d.txt
fb1054fac8baf2f527b51e6bd45e4341da45fe80dadce815a3d1cad08d729554     676  OneDProjections/timingdata1d.txt
7f06099e1bba0d2e328555c61cb255bb290607a44202327d29eb3ae3e05c1cd5   17304  SystErrors/brnpdf+1sigBRNTimingMean.txt
fb6fdaf99c9941653d33e1a909d8000b81c1ee9bb8e8ad3bf31839561faf6661   17333  SystErrors/brnpdf+1sigEnergy.txt
b5c1c8d0cb8b2319d093d38418da5ac2ccda59108755fb23e7f4a559cfe154f8   17295  SystErrors/brnpdf-1sigBRNTimingMean.txt
20bcad29e716f3fb0f1e9eeb8ffb049b4b3d8b3b3a150800b9c8711e2b177be6   17302  SystErrors/brnpdf-1sigEnergy.txt
304dba1553989d7c0cd3f745df9731a5306ec07ecc1044c20efbe2952707b270   17375  SystErrors/brnpdfBRNTimingWidthSyst.txt
308f78e19b7fb3e54399dc29c207bd2a89b91825df5309d48068a3495e1c92e2   18837  SystErrors/cevnspdf+1sigF90.txt
b4e8071f87aa22a562e0c00654a0989915251acf2c7e569068b9b78c3ae5ac35   18870  SystErrors/cevnspdf-1sigF90.txt
3170dafd4cf44df35bde0795e1245606d8144c05f3e50f015648c57bcdba97f5   18877  SystErrors/cevnspdfCEvNSTimingMeanSyst.txt
36c89291dde3032a19ca7a8e64510d036d7b40c34b0805ce475a13ccfa739dd1   21190  bkgpdf.txt
02664ce6a84eca8c6146b6502497bc5d8165df945da132193622334ff4ff826f   17304  brnpdf.txt
3b1d5b25749e8d8e1cfdf5c32e48f026ce4aafec0a80632b3a63273e6e0e1f37   18857  cevnspdf.txt
dabf3d80f13959f4b94b77c9b56f7347a645105801e8cc177424e7ffcf7c7f66   15537  datanobkgsub.txt
ebccca6c1650b0ace71fdbaade7a80ea289a99ff3c120266ae6ecf0083df5c63   16116  delbrnpdf.txt
09fd74b1bc242f1638dae465eefc97e374a2e6efa0aaa1b4452f1ee20dd42aed     239  systerrors1denergy.txt
a553c63ce5861d63c139aa18d3ece0f5e9d32be2029eb2a7474b8e4e39000c0f     182  systerrors1dpsd.txt
a7719f21aa5c8820f6ed65d385d7ba14f55631976a6ca289d8685081599529be     219  systerrors1dtime.txt
"""),
    ),
    "csi-2021": Release(
        "csi-2021",
        "COHERENT CsI[Na] full data set (ancillary files)",
        "arXiv:2110.07730 (PRL 129, 081801 (2022))",
        _table("""
0000b042b8d0d28b90370eb70d1409db1d8c510fcf2b3e636370b0d4443ac0b0    4081  brnPE.txt
6f279d835242a868dfc048abaa42b8c400bf961036de7bc7e64636efdd46466f   10798  brnTrec.txt
f530d4a50e889333ada0e739db2e36d7f9f3b783822c8c6e932dae88ce071639   66916  dataBeamOnAC.txt
0a188a0291af06dd023d966d1c9fea7a82ec32d8c1a10750fd09c2b17f10a749   70306  dataBeamOnC.txt
f1e58e6b8ec4db53da3be21fe44ebc4621e9b248b920be09759b1000dada8c51     329  effCoefficients.txt
41cae0376003cc2dcd028a3913e7c16395471f612b56d311f80e2a6071c9950c    4117  ninPE.txt
2bb034d648b312f4ee329ae95078dc748ff3f83b999c411b08f86d82ddf8e151   10488  ninTrec.txt
ea6b8f34b296bf6e99f2a4ac504030d99155daba3e3c252f51c87d2470319d13     445  scintRespCoefficients.txt
"""),
    ),
})


@dataclass(frozen=True)
class DownloadReport:
    """What :func:`download_release` did: files fetched and files already present and correct
    (relative paths), bytes fetched, and the folder."""

    folder: Path
    downloaded: tuple[str, ...]
    present: tuple[str, ...]
    bytes_downloaded: int


def release(name: str) -> Release:
    """The registry entry of release ``name`` (ValueError naming the known ones otherwise)."""
    try:
        return RELEASES[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), list(RELEASES), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(RELEASES)})"
        raise ValueError(f"unknown data release {name!r}{hint}") from None


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex), read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _problem(rel: Release, entry: ReleaseFile, root: Path) -> str | None:
    """One line saying what is wrong with ``entry`` in ``root``, or None if it is correct."""
    path = root / entry.path
    if not path.exists():
        return f"{rel.name}: {entry.path} is missing in {root}"
    if not path.is_file():
        return f"{rel.name}: {entry.path} in {root} is not a file"
    try:
        size, digest = path.stat().st_size, sha256_of(path)
    except OSError as exc:
        return f"{rel.name}: {entry.path} in {root} cannot be read ({exc.strerror or exc})"
    if digest != entry.sha256:
        return (f"{rel.name}: {entry.path} in {root} is not the release file "
                f"(sha256 {digest[:16]}…, expected {entry.sha256[:16]}…; {size} bytes, expected {entry.size})")
    return None


def verify_release(name: str, folder: str | Path, *, strict: bool = False) -> list[str]:
    """Check every file of release ``name`` in ``folder`` against the registry's SHA-256.

    Returns the problems, one line each (missing file, not a file, unreadable, checksum
    mismatch; an empty list when the folder holds the release). Files not in the registry
    are ignored. With ``strict=True`` the first problem is raised as :class:`ValueError`.
    """
    rel = release(name)
    root = Path(folder).expanduser()
    if not root.is_dir():
        problems = [f"{rel.name}: release folder {root} does not exist or is not a folder"]
    else:
        problems = [p for entry in rel.files if (p := _problem(rel, entry, root)) is not None]
    if strict and problems:
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        raise ValueError(problems[0] + more)
    return problems


def pending_files(name: str, folder: str | Path) -> tuple[ReleaseFile, ...]:
    """Files of release ``name`` that are not yet in ``folder`` with the right checksum."""
    rel = release(name)
    root = Path(folder).expanduser()
    if not root.is_dir():
        return rel.files
    return tuple(entry for entry in rel.files if _problem(rel, entry, root) is not None)


def file_url(base_url: str, relative: str) -> str:
    """Address of a release file: ``base_url`` (http, https or file) joined with the
    relative path, each path segment percent-encoded."""
    scheme = urllib.parse.urlsplit(base_url).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"base URL {base_url!r} must start with http://, https:// or file://")
    return base_url.rstrip("/") + "/" + urllib.parse.quote(relative, safe="/")


def _fetch(url: str, target: Path, entry: ReleaseFile, timeout: float,
           progress: Callable[[str, int], None] | None) -> None:
    """Stream ``url`` into a temporary file beside ``target``, check size and SHA-256, then
    rename it onto ``target``; on any failure (or interruption) the temporary file is removed,
    so ``target`` is either untouched or the complete, verified file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest, received = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    while block := response.read(_CHUNK):
                        received += len(block)
                        if received > entry.size:
                            raise ValueError(f"{url} sends more than the {entry.size} bytes of release file {entry.path}; "
                                             "wrong address?")
                        digest.update(block)
                        out.write(block)
                        if progress is not None:
                            progress(entry.path, len(block))
            except urllib.error.HTTPError as exc:
                exc.close()  # it holds the server's open response
                raise ValueError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
            except (urllib.error.URLError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, OSError) and reason.strerror:
                    reason = reason.strerror
                raise ValueError(f"cannot download {url}: {reason}") from None
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != entry.sha256:
            raise ValueError(f"{url} is not release file {entry.path}: sha256 {digest.hexdigest()[:16]}…, "
                             f"expected {entry.sha256[:16]}… ({received} bytes, expected {entry.size}); not kept")
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def download_release(name: str, dest_folder: str | Path, base_url: str,
                     progress: Callable[[str, int], None] | None = None, *, timeout: float = 60.0) -> DownloadReport:
    """Download release ``name`` from ``base_url`` into ``dest_folder`` (created if needed).

    Each file ``base_url/relative path`` is streamed to a temporary file in its destination
    folder, its SHA-256 checked against the registry, and only then renamed into place, so an
    interrupted or failed download leaves no partial file. Files already present with the
    right checksum are skipped (a second call resumes an interrupted one); a present file
    with the wrong checksum is replaced. A file whose checksum does not match is refused:
    :class:`ValueError` naming it, nothing kept for it (files completed before it stay).
    ``progress(relative_path, n_bytes)`` is called as bytes arrive; ``timeout`` is per
    network operation, seconds. Returns a :class:`DownloadReport`.
    """
    rel = release(name)
    file_url(base_url, "")  # rejects an unsupported scheme before anything is created
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    root = Path(dest_folder).expanduser()
    if root.exists() and not root.is_dir():
        raise ValueError(f"destination {root} exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)
    todo = pending_files(name, root)
    for entry in todo:
        _fetch(file_url(base_url, entry.path), root / entry.path, entry, timeout, progress)
    verify_release(name, root, strict=True)
    fetched = {e.path for e in todo}
    return DownloadReport(
        folder=root,
        downloaded=tuple(e.path for e in todo),
        present=tuple(e.path for e in rel.files if e.path not in fetched),
        bytes_downloaded=sum(e.size for e in todo),
    )
