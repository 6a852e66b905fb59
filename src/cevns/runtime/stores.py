"""Result files: atomic writes and resumable stores.

A store is one NPZ file holding named arrays and, beside them, the full configuration
that produced them (a JSON text including the cevns version). Every write goes to a
temporary file in the same folder and is renamed onto the target (``os.replace`` is atomic
on POSIX), so a reader — or a resumed run after SIGKILL — sees either the previous
complete file or the new one, never a partial write. Resuming checks that the stored
configuration equals the new one, key by key, and refuses otherwise.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from cevns.errors import InputError


class StoreError(InputError):
    """A store that cannot be used: unreadable, or made with another configuration."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path`` (no partial
    file is ever left at ``path``; the temporary file is removed on any failure)."""
    target = Path(path)
    if not target.parent.exists():
        raise StoreError(f"directory {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def config_text(config: Mapping[str, Any]) -> str:
    """Canonical JSON of a configuration (sorted keys), as stored."""
    return json.dumps(config, sort_keys=True)


def write_store(path: str | Path, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``config`` to the NPZ store at ``path``, atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            np.savez(handle, allow_pickle=False, config=np.array(config_text(config)), **arrays)

    atomic_write(path, write)


def read_store(path: str | Path, config: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays ``names`` of the store at ``path``, after checking it was made with
    ``config``; raises :class:`StoreError` (one line) otherwise."""
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as f:  # we own the handle: closed on any error
            stored = str(f["config"])
            arrays = {n: np.array(f[n]) for n in names}
    except Exception as exc:  # noqa: BLE001  any unreadable file is the same error for the user
        raise StoreError(f"cannot resume from {path}: not a readable store ({type(exc).__name__})") from None
    if stored != config_text(config):
        try:
            old = json.loads(stored)
        except ValueError:
            raise StoreError(f"cannot resume from {path}: its configuration is unreadable") from None
        differ = sorted(k for k in set(old) | set(config) if old.get(k) != json.loads(config_text(config)).get(k))
        raise StoreError(f"cannot resume from {path}: it was made with another configuration (differs in: {', '.join(differ)})")
    return arrays


__all__ = ["StoreError", "atomic_write", "config_text", "read_store", "write_store"]
