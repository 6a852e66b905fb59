"""Checking and fetching the files of a data release: SHA-256 verification and download.

Each release of the registry (:mod:`cevns.releases.registry`) lists every file by its path
relative to the release folder, its size and its SHA-256. :func:`verify_release` checks a
folder against that list; :func:`download_release` fetches the files into a folder, each
checked before it is kept. Nothing here is specific to one release.

Where the files are: the collaboration distributes them, not this package (nothing of a
release is shipped here); each release module names its source (e.g.
:mod:`cevns.releases.csi_2017`: arXiv:1804.09459, doi:10.5281/zenodo.1228631 on Zenodo).

No download address is known to stay valid for every release (Zenodo record layouts and
archive packaging change), so the caller gives ``base_url``: the address of a folder laid out
as in the release (``base_url + "/" + relative path`` reaches each file; for the LAr release
that includes the ``OneDProjections/`` and ``SystErrors/`` sub-folders). Any ``http://``,
``https://`` or ``file://`` address works — e.g. a web server or a local unpacked copy.

Why the standard library (``urllib``) and not ``pooch``: pooch has no ``file://`` support,
would add ``requests`` as a dependency, and its hash-checked retrieve is a few lines here;
``urllib.request.urlopen`` reads http, https and file addresses alike, and streaming the bytes
ourselves gives the caller a byte-level progress callback.

This module knows nothing of the command line; errors are one-line :class:`~cevns.errors.InputError`.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cevns.errors import InputError, OutputError
from cevns.releases.registry import DataRelease, ReleaseFile, release

_CHUNK = 1 << 16  # bytes read at a time when hashing or downloading
#: Errors of writing the local file (not of the network): reported as :class:`~cevns.errors.OutputError`.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG})
_SCHEMES = ("http", "https", "file")


@dataclass(frozen=True)
class DownloadReport:
    """What :func:`download_release` did: files fetched and files already present and correct
    (relative paths), bytes fetched, and the folder."""

    folder: Path
    downloaded: tuple[str, ...]
    present: tuple[str, ...]
    bytes_downloaded: int


def _release(name: str | DataRelease) -> DataRelease:
    return name if isinstance(name, DataRelease) else release(name)


def sha256_of(path: str | Path) -> str:
    """SHA-256 of a file's bytes (hex), read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _problem(rel: DataRelease, entry: ReleaseFile, root: Path) -> str | None:
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


def verify_release(name: str | DataRelease, folder: str | Path, *, strict: bool = False) -> list[str]:
    """Check every file of release ``name`` (a registry name or a :class:`DataRelease`) in
    ``folder`` against its SHA-256.

    Returns the problems, one line each (missing file, not a file, unreadable, checksum
    mismatch; an empty list when the folder holds the release). Files not in the release
    are ignored. With ``strict=True`` the first problem is raised as :class:`~cevns.errors.InputError`.
    """
    rel = _release(name)
    root = Path(folder).expanduser()
    if not root.is_dir():
        problems = [f"{rel.name}: release folder {root} does not exist or is not a folder"]
    else:
        problems = [p for entry in rel.files if (p := _problem(rel, entry, root)) is not None]
    if strict and problems:
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        raise InputError(problems[0] + more)
    return problems


def pending_files(name: str | DataRelease, folder: str | Path) -> tuple[ReleaseFile, ...]:
    """Files of release ``name`` (a registry name or a :class:`DataRelease`) that are not
    yet in ``folder`` with the right checksum."""
    rel = _release(name)
    root = Path(folder).expanduser()
    if not root.is_dir():
        return rel.files
    return tuple(entry for entry in rel.files if _problem(rel, entry, root) is not None)


def file_url(base_url: str, relative: str) -> str:
    """Address of a release file: ``base_url`` (http, https or file) joined with the
    relative path, each path segment percent-encoded."""
    scheme = urllib.parse.urlsplit(base_url).scheme.lower()
    if scheme not in _SCHEMES:
        raise InputError(f"base URL {base_url!r} must start with http://, https:// or file://")
    return base_url.rstrip("/") + "/" + urllib.parse.quote(relative, safe="/")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def stale_parts(target: Path) -> list[Path]:
    """The partial downloads of ``target`` that an interrupted fetch left beside it
    (SIGKILL, power loss: no clean-up ran): files named ``.{name}.`` + the 8 random
    characters of :func:`tempfile.mkstemp` + ``.part``, and nothing else."""
    pattern = re.compile(re.escape(f".{target.name}.") + "[a-z0-9_]{8}" + re.escape(".part"))
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if pattern.fullmatch(p.name) and p.is_file() and not p.is_symlink())


def _outside_links(rel: DataRelease, root: Path) -> str | None:
    """One line naming the first release path under ``root`` that a symbolic link (a
    sub-folder or the file itself) leads outside ``root``, or None if there is none."""
    base = root.resolve()
    for entry in rel.files:
        path = root / entry.path
        for part in [*reversed(path.relative_to(root).parents[:-1]), path.relative_to(root)]:
            candidate = root / part
            if candidate.is_symlink() and not candidate.resolve().is_relative_to(base):
                return (f"destination {root}: {part} is a symbolic link to {candidate.resolve()}, outside the destination; "
                        "refusing to write through it")
    return None


def _fetch(url: str, target: Path, entry: ReleaseFile, timeout: float,
           progress: Callable[[str, int], None] | None) -> None:
    """Stream ``url`` into a temporary file beside ``target``, check size and SHA-256, then
    rename it onto ``target`` with the usual permissions (``0o666`` less the umask, not the
    ``0o600`` of :func:`tempfile.mkstemp`); on any failure (or interruption) the temporary
    file is removed, so ``target`` is either untouched or the complete, verified file."""
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
                            raise InputError(f"{url} sends more than the {entry.size} bytes of release file {entry.path}; "
                                             "wrong address?")
                        digest.update(block)
                        out.write(block)
                        if progress is not None:
                            progress(entry.path, len(block))
            except urllib.error.HTTPError as exc:
                exc.close()  # it holds the server's open response
                raise InputError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
            except (urllib.error.URLError, OSError) as exc:
                if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:  # the local file, not the network
                    raise
                reason = getattr(exc, "reason", exc)
                if isinstance(reason, OSError) and reason.strerror:
                    reason = reason.strerror
                raise InputError(f"cannot download {url}: {reason}") from None
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != entry.sha256:
            raise InputError(f"{url} is not release file {entry.path}: sha256 {digest.hexdigest()[:16]}…, "
                             f"expected {entry.sha256[:16]}… ({received} bytes, expected {entry.size}); not kept")
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, urllib.error.URLError):  # writing: full disk, read-only
            raise OutputError.writing(target, exc) from None
        raise


def download_release(name: str | DataRelease, dest_folder: str | Path, base_url: str,
                     progress: Callable[[str, int], None] | None = None, *, timeout: float = 60.0) -> DownloadReport:
    """Download release ``name`` (a registry name or a :class:`DataRelease`) from
    ``base_url`` into ``dest_folder`` (created if needed).

    Each file ``base_url/relative path`` is streamed to a temporary file in its destination
    folder, its SHA-256 checked against the release's, and only then renamed into place, so an
    interrupted or failed download leaves no partial file. Files already present with the
    right checksum are skipped (a second call resumes an interrupted one); a present file
    with the wrong checksum is replaced. A file whose checksum does not match is refused:
    :class:`~cevns.errors.InputError` naming it, nothing kept for it (files completed before it stay).
    A destination in which a symbolic link (a sub-folder or a file of the release) leads
    outside it is refused before anything is written; partial files of an earlier,
    interrupted fetch are removed; fetched files get mode ``0o666`` less the umask.
    ``progress(relative_path, n_bytes)`` is called as bytes arrive; ``timeout`` is per
    network operation, seconds. Returns a :class:`DownloadReport`.
    """
    rel = _release(name)
    file_url(base_url, "")  # rejects an unsupported scheme before anything is created
    if timeout <= 0:
        raise InputError(f"timeout must be positive, got {timeout}")
    root = Path(dest_folder).expanduser()
    if root.exists() and not root.is_dir():
        raise InputError(f"destination {root} exists and is not a folder")
    if root.is_dir() and (outside := _outside_links(rel, root)) is not None:
        raise InputError(outside)
    root.mkdir(parents=True, exist_ok=True)
    for entry in rel.files:  # what a killed fetch (no clean-up ran) left, present files included
        for stale in stale_parts(root / entry.path):
            stale.unlink(missing_ok=True)
    todo = pending_files(rel, root)
    for entry in todo:
        _fetch(file_url(base_url, entry.path), root / entry.path, entry, timeout, progress)
    verify_release(rel, root, strict=True)
    fetched = {e.path for e in todo}
    return DownloadReport(
        folder=root,
        downloaded=tuple(e.path for e in todo),
        present=tuple(e.path for e in rel.files if e.path not in fetched),
        bytes_downloaded=sum(e.size for e in todo),
    )


__all__ = [
    "DownloadReport",
    "ReleaseFile",
    "download_release",
    "file_url",
    "pending_files",
    "release",
    "sha256_of",
    "verify_release",
]
