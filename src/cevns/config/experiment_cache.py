"""A disk cache of built shipped experiments, for the start-up of the command line.

Loading a shipped experiment through :func:`~cevns.config.experiments.load_experiment`
imports pydantic and builds the validator of the schema: about 0.25 s of the 0.55 s that
``cevns events coherent-csi-2017`` took as a whole process (``python -X importtime``, the
shared 2-core machine). The command line loads experiments through
:func:`load_experiment_cached` instead: the first run builds the experiment as before and
pickles it; later runs unpickle it (0.2 ms), importing only the physics modules the
experiment is made of. The spec is parsed back from its JSON only when a command asks for
it (:attr:`~cevns.config.built.Experiment.spec`).

*Which loads are cached.* A shipped experiment named as such, with no overrides (neither
``--set`` values nor the user's overrides in force, :mod:`cevns.config.overrides`): its
inputs are then the package's own files. Anything else is loaded afresh.

*When a cached experiment is used.* Its file name carries a fingerprint: the SHA-256 of
the Python version, the path, size and modification time of every file of the installed
package (code and data), and the modification times of the folders on ``sys.path``
(installing, upgrading or removing a package changes its folder). A file with another
fingerprint is never read; of an experiment's files the :data:`KEPT_PER_EXPERIMENT` most
recently written are kept (several environments may share the folder).

*Where.* ``$CEVNS_CACHE_DIR`` (``off`` turns the cache off), else
``$XDG_CACHE_HOME/cevns``, else ``~/.cache/cevns``; about 3 kB a file (90 kB for the
solar ⁸B experiments); deleting the folder is always safe.

*Safety.* A cache never changes a result and never stops a run: a file that cannot be
read or unpickled, or holds anything but the experiment asked for, is ignored and
rewritten; a folder that cannot be written leaves the run as it was. Files are written to
a temporary name and renamed into place, so a reader never sees half a file. Unpickling
runs code, so the folder is created readable by its owner only: the cache trusts what its
own user could have written, like the user's own Python files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Mapping

from cevns._data import data_path
from cevns.config.built import Experiment
from cevns.config.files import shipped_entry
from cevns.config.overrides import user_overrides_for

#: The environment variable naming the cache folder (``off``: no cache).
CACHE_DIR_ENV = "CEVNS_CACHE_DIR"

_SUFFIX = ".pickle"


def cache_dir() -> Path | None:
    """The cache folder (see the module's text), None when ``$CEVNS_CACHE_DIR`` is ``off`` or
    no home folder can be found."""
    chosen = os.environ.get(CACHE_DIR_ENV, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        return Path(chosen).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        return Path(xdg) / "cevns"
    try:
        return Path.home() / ".cache" / "cevns"
    except RuntimeError:  # no home folder to be found: no cache
        return None


def _tree_stats(folder: str, out: list[str]) -> None:
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name == "__pycache__":
                continue
            if entry.is_dir(follow_symlinks=False):
                _tree_stats(entry.path, out)
            else:
                stat = entry.stat()
                out.append(f"{entry.path}\0{stat.st_size}\0{stat.st_mtime_ns}")


def _package_folders() -> list[str]:
    # where installed packages live: the site folders and $PYTHONPATH (not sys.path, whose
    # first entry is the script's folder or the working one and changes with the invocation)
    import site

    folders = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        folders.append(site.getusersitepackages())
    return folders + [f for f in os.environ.get("PYTHONPATH", "").split(os.pathsep) if f]


def code_fingerprint() -> str:
    """16 hex digits of the SHA-256 of what a built experiment depends on besides its name:
    the Python version, every file of the package (path, size, modification time) and the
    modification times of the folders installed packages live in (site-packages,
    ``$PYTHONPATH``)."""
    import hashlib  # on the cached path only

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    lines = [sys.version]
    _tree_stats(package, lines)
    for folder in _package_folders():
        try:
            lines.append(f"{folder}\0{os.stat(folder).st_mtime_ns}")
        except OSError:
            lines.append(f"{folder}\0absent")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def cache_file(name_or_path: object, overrides: Mapping[str, Any] | None = None) -> Path | None:
    """The cache file of this load, None when it is not cached (not a shipped experiment
    named as such, overrides given or in force, the cache off, or the package not a folder
    on disk)."""
    if overrides or not isinstance(name_or_path, str) or user_overrides_for(name_or_path):
        return None
    folder = cache_dir()
    experiments = data_path("experiments")
    if folder is None or not isinstance(experiments, Path) or shipped_entry(name_or_path, experiments) is None:
        return None
    try:
        fingerprint = code_fingerprint()
    except OSError:  # a package folder that cannot be listed: no cache
        return None
    return folder / f"{name_or_path}.{fingerprint}{_SUFFIX}"


def _read(path: Path, name: str) -> Experiment | None:
    import pickle

    try:
        with open(path, "rb") as handle:
            stored = pickle.load(handle)
    except Exception:  # any failure to read a cache file means only: build the experiment afresh
        return None
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == name and isinstance(stored[1], Experiment):
        return stored[1]
    return None


#: Files kept per experiment (other fingerprints: other environments sharing the folder, or
#: older code); the least recently written go first.
KEPT_PER_EXPERIMENT = 4


def _prune(folder: Path, name: str) -> None:
    files = [f for f in folder.iterdir() if f.name.endswith(_SUFFIX) and f.name.rsplit(".", 2)[0] == name]
    files.sort(key=lambda f: f.stat().st_mtime_ns, reverse=True)
    for old in files[KEPT_PER_EXPERIMENT:]:
        old.unlink(missing_ok=True)


def _write(path: Path, name: str, experiment: Experiment) -> None:
    import pickle
    import tempfile

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump((name, experiment), out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        _prune(path.parent, name)
    except (OSError, pickle.PicklingError):  # a read-only or full disk: the next start-up builds it again
        pass


def load_experiment_cached(name_or_path: str | Path, overrides: Mapping[str, Any] | None = None) -> Experiment:
    """:func:`~cevns.config.experiments.load_experiment`, answered from the disk cache when
    the load is cacheable (see the module's text); the same experiment either way."""
    path = cache_file(name_or_path, overrides)
    if path is not None:
        cached = _read(path, str(name_or_path))
        if cached is not None:
            return cached
    from cevns.config.experiments import load_experiment  # pydantic: only when building

    experiment = load_experiment(name_or_path, overrides)
    if path is not None:
        _write(path, str(name_or_path), experiment)
    return experiment


__all__ = ["CACHE_DIR_ENV", "cache_dir", "cache_file", "code_fingerprint", "load_experiment_cached"]
