"""The registry of data releases: what each release is, its files, how to read it and how to
compare a prediction with it.

A release is described once, by a frozen :class:`DataRelease`: its name, title and citation,
every file with its size and SHA-256, a loader, and optionally a likelihood builder (used by
``cevns compare``) with the shipped experiment it is compared with. The releases shipped with
the package live in one module each (:data:`cevns.releases.RELEASE_MODULES`, each defining
``RELEASE``), imported the first time the registry is asked; :func:`register_release` adds
others (a user's own release, a test's toy release).

Adding a release = one module ``cevns/releases/<name>.py`` that defines ``RELEASE``, its name
in :data:`cevns.releases.RELEASE_MODULES`, and its test. ``cevns release verify|fetch|list``
and ``cevns compare`` find it here; :mod:`cevns.releases.files` checks and fetches its files.

Errors are one-line :class:`~cevns.errors.InputError`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from cevns.errors import InputError
from cevns.releases.reading import release_folder

if TYPE_CHECKING:
    from cevns.stats.templates import TemplateLikelihood

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release: ``path`` relative to the release folder (POSIX separators),
    ``size`` in bytes and ``sha256`` (64 lowercase hex digits) of its exact bytes."""

    path: str
    size: int
    sha256: str


def file_table(text: str) -> tuple[ReleaseFile, ...]:
    """Rows ``<sha256> <size in bytes> <relative path>`` (one file a line, blank lines
    skipped) → :class:`ReleaseFile` s, in the order given."""
    files = []
    for line in text.strip().splitlines():
        if line.strip():
            digest, size, path = line.split(maxsplit=2)
            files.append(ReleaseFile(path.strip(), int(size), digest))
    return tuple(files)


#: Builds the likelihood of a release: ``builder(folder, experiment, overrides, fixed,
#: **options)`` → :class:`cevns.stats.templates.TemplateLikelihood`; ``experiment`` is an
#: experiment name or file, ``overrides`` its settings (``{"detector.mass_kg": 14.6}``),
#: ``fixed`` physics parameters applied at every point, ``options`` those of
#: :attr:`DataRelease.options`.
LikelihoodBuilder = Callable[..., "TemplateLikelihood"]


@runtime_checkable
class SelfPredictingLikelihood(Protocol):
    """A release likelihood with no experiment file behind it: it predicts its own signal
    (e.g. :class:`cevns.releases.xenonnt_8b.XenonNT8BLikelihood`, from the release's
    templates) and describes itself for a run's record. Callers that would otherwise load
    the experiment ask :func:`predicts_own_signal`."""

    predicts_own_signal: bool

    def describe(self) -> dict[str, Any]:
        """What the likelihood is, for a run's record (JSON-ready)."""
        ...


@runtime_checkable
class SelfComparingLikelihood(Protocol):
    """A release likelihood with its own data-versus-prediction comparison for
    ``cevns compare`` (instead of the generic template one): a report, its text lines and
    its figure."""

    def compare_report(self, values: Mapping[str, float | str] | None = None) -> dict[str, Any]:
        """The comparison at the physics ``values`` (JSON-ready)."""
        ...

    def compare_text(self, report: Mapping[str, Any]) -> list[str]:
        """The report as text lines."""
        ...

    def compare_figure(self, report: Mapping[str, Any], values: Mapping[str, float | str] | None = None) -> Any:
        """The report as a matplotlib figure."""
        ...


def predicts_own_signal(likelihood: object) -> bool:
    """Whether ``likelihood`` is a :class:`SelfPredictingLikelihood` that says so."""
    return isinstance(likelihood, SelfPredictingLikelihood) and bool(likelihood.predicts_own_signal)


@dataclass(frozen=True)
class DataRelease:
    """A data release.

    Attributes
    ----------
    name : str
        Registry name (``cevns release verify NAME``).
    title : str
        What it is, one line.
    citation : str
        Where it is published (paper, arXiv, DOI).
    files : tuple of ReleaseFile
        Every file of the release (relative path, size, SHA-256).
    loader : callable
        ``loader(folder)`` reads the release from a folder (InputError naming the file that
        is missing or malformed).
    likelihood : LikelihoodBuilder or None
        Builds the binned likelihood used by ``cevns compare`` (None: not available yet).
    experiment : str or None
        The shipped experiment the release is compared with by default.
    marker : str
        Path of the file whose presence identifies the release in a folder (default: the
        first file).
    options : tuple of str
        Keyword options the likelihood builder takes besides the common arguments (e.g.
        ``"timing"``).
    """

    name: str
    title: str
    citation: str
    files: tuple[ReleaseFile, ...]
    loader: Callable[[str | Path], Any]
    likelihood: LikelihoodBuilder | None = None
    experiment: str | None = None
    marker: str = ""
    options: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name or any(c.isspace() for c in self.name):
            raise InputError(f"a release needs a name without spaces, got {self.name!r}")
        if not self.files:
            raise InputError(f"release {self.name} lists no files")
        paths = [f.path for f in self.files]
        if len(set(paths)) != len(paths):
            raise InputError(f"release {self.name} lists a file twice")
        for f in self.files:
            if f.path.startswith("/") or "\\" in f.path or ".." in f.path.split("/") or not f.path:
                raise InputError(f"release {self.name}: {f.path!r} is not a relative POSIX path inside the release")
            if f.size <= 0 or not _SHA256.fullmatch(f.sha256):
                raise InputError(f"release {self.name}: {f.path} needs a size > 0 and a lowercase 64-digit SHA-256")
        if self.marker and self.marker not in paths:
            raise InputError(f"release {self.name}: marker {self.marker!r} is not one of its files")
        if self.likelihood is not None and not self.experiment:
            raise InputError(f"release {self.name}: a likelihood needs the experiment it compares with")

    @property
    def size(self) -> int:
        """Total size of the release's files, bytes."""
        return sum(f.size for f in self.files)

    @property
    def marker_file(self) -> str:
        """The file that identifies the release in a folder."""
        return self.marker or self.files[0].path

    def holds(self, folder: str | Path) -> bool:
        """Whether ``folder`` holds this release's marker file (not a checksum test)."""
        return (Path(folder).expanduser() / self.marker_file).is_file()

    def load(self, folder: str | Path) -> Any:
        """Read the release from ``folder`` with its loader."""
        return self.loader(folder)


_added: dict[str, DataRelease] = {}
_shipped: dict[str, DataRelease] | None = None


def _shipped_releases() -> dict[str, DataRelease]:
    """The releases of :data:`cevns.releases.RELEASE_MODULES`, imported once."""
    global _shipped
    if _shipped is None:
        from cevns.releases import RELEASE_MODULES

        found: dict[str, DataRelease] = {}
        for module_name in RELEASE_MODULES:
            rel = import_module(f"cevns.releases.{module_name}").RELEASE
            if not isinstance(rel, DataRelease) or rel.name in found:
                raise TypeError(f"cevns.releases.{module_name}.RELEASE must be a DataRelease with a new name")
            found[rel.name] = rel
        _shipped = found
    return _shipped


def releases() -> Mapping[str, DataRelease]:
    """Every release, name → :class:`DataRelease`: the shipped ones in the order of
    :data:`cevns.releases.RELEASE_MODULES`, then those added by :func:`register_release`."""
    return MappingProxyType({**_shipped_releases(), **_added})


def register_release(rel: DataRelease, *, replace: bool = False) -> DataRelease:
    """Add ``rel`` to the registry (InputError if its name is taken, unless ``replace``
    and it was itself added by this function); returns it."""
    if not isinstance(rel, DataRelease):
        raise TypeError(f"register_release takes a DataRelease, got {type(rel).__name__}")
    if rel.name in _shipped_releases() or (rel.name in _added and not replace):
        raise InputError(f"a data release called {rel.name!r} is already registered")
    _added[rel.name] = rel
    return rel


def release(name: str) -> DataRelease:
    """The release called ``name`` (InputError naming the closest known one otherwise)."""
    known = releases()
    try:
        return known[name]
    except (KeyError, TypeError):
        close = difflib.get_close_matches(str(name), list(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(known)})"
        raise InputError(f"unknown data release {name!r}{hint}") from None


def identify_release(folder: str | Path) -> DataRelease:
    """The release whose marker file ``folder`` holds (the first in registry order);
    InputError if the folder does not exist or holds none of them."""
    root = release_folder(folder, "data")
    known = list(releases().values())
    for rel in known:
        if rel.holds(root):
            return rel
    listed = ", nor ".join(f"{rel.name} ({rel.marker_file})" for rel in known)
    raise InputError(f"{root} holds no known data release: neither {listed}")


def release_likelihood(
    folder: str | Path,
    experiment: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    fixed: Mapping[str, float | str] | None = None,
    **options: Any,
) -> TemplateLikelihood:
    """The likelihood of whichever release ``folder`` holds (:func:`identify_release`), for
    ``experiment`` (default: the release's own), with the builder's keyword ``options``.
    InputError if the release has no likelihood yet or does not take an option."""
    rel = identify_release(folder)
    if rel.likelihood is None:
        raise InputError(f"{rel.name} ({rel.title}) has no likelihood yet, so it cannot be compared with a prediction")
    unknown = sorted(set(options) - set(rel.options))
    if unknown:
        takes = f"; it takes {', '.join(rel.options)}" if rel.options else ""
        raise InputError(f"the {rel.name} likelihood has no option {', '.join(unknown)}{takes}")
    return rel.likelihood(folder, experiment or rel.experiment, overrides, fixed, **options)


__all__ = [
    "DataRelease",
    "LikelihoodBuilder",
    "ReleaseFile",
    "SelfComparingLikelihood",
    "SelfPredictingLikelihood",
    "file_table",
    "identify_release",
    "predicts_own_signal",
    "register_release",
    "release",
    "release_likelihood",
    "releases",
]
