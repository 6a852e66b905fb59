"""One writer per output: an advisory lock ``<out>.lock`` held while a command writes ``<out>``.

A scan store (``cevns scan --out``), a pseudo-experiment study (``cevns toys --out``), a
Feldman–Cousins store (``cevns fit --method fc --out``) and a reproduction folder
(``cevns reproduce --out``) are each written by one process at a time.
:func:`output_lock` takes an exclusive :func:`fcntl.flock` on the file ``<out>.lock`` next
to the output, before any work, and keeps it for the whole run. The operating system drops
the lock when the process ends, however it ends (normal exit, error, signal, ``kill -9``):
a crashed run never leaves a stale lock behind, whatever the lock file still says.

The lock file holds one JSON line: the holder's pid and a SHA-256 of its configuration (the
same configuration that the store records, :mod:`cevns.runtime.stores`). A second command
on the same output:

* with a **different configuration** is refused at once, before any computation, with one
  line (:class:`OutputLockedError`, a :class:`~cevns.errors.CevnsError`: ``error: ...``,
  exit status 2) that names the holder's pid and the lock file; the holder's output is
  untouched;
* with the **same configuration** waits for the holder to finish (one line on stderr says
  so) and then runs as asked: with ``--resume`` it finds the points the first one saved and
  computes only what is left (nothing, if the first finished), so two identical commands
  never compute the same points at once and never write the store together.

The lock file is removed by the holder when it releases the lock. A waiter that gets the
lock on a file that was removed meanwhile (its inode is no longer the one at the path)
retries on the new file, so two processes never both hold "the" lock.

POSIX only (:mod:`fcntl`): where it is missing (Windows), :func:`output_lock` does nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

from cevns.errors import CevnsError

__all__ = ["OutputLockedError", "config_digest", "lock_path", "output_lock"]


class OutputLockedError(CevnsError):
    """Another process writes the output with a different configuration."""


def lock_path(out: str | Path) -> Path:
    """The lock file of output ``out``: ``<out>.lock`` in the same folder (a trailing
    slash of a folder is ignored)."""
    p = Path(os.path.abspath(os.fspath(out)))
    return p.with_name(p.name + ".lock")


def config_digest(config: Any) -> str:
    """SHA-256 (hex) of ``config`` as canonical JSON (sorted keys; values that JSON cannot
    write are written as their ``str``)."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _holder(path: Path, tries: int = 40) -> dict[str, Any]:
    """What the lock file says about its holder ({} if it stays empty or unreadable). A
    holder writes its line just after it takes the lock: an empty file is read again, up
    to ``tries`` times 25 ms apart."""
    import time

    for _ in range(tries):
        try:
            data = json.loads(path.read_text() or "{}")
        except (OSError, ValueError):
            data = {}
        if isinstance(data, dict) and data:
            return data
        time.sleep(0.025)
    return {}


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_ino, st.st_dev) == (own.st_ino, own.st_dev)


@contextmanager
def output_lock(out: str | Path, config: Any, what: str = "output",
                notify: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold the exclusive lock of output ``out`` (see the module docstring) while the
    ``with`` body runs; yields the lock file's path.

    ``config``: the run's configuration (any JSON-able value); ``what`` names the output in
    messages (``"scan file"``); ``notify`` gets the one line said while waiting for a holder
    with the same configuration (default: stderr). Raises :class:`OutputLockedError` if the
    holder's configuration differs."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        yield lock_path(out)
        return
    path = lock_path(out)
    digest = config_digest(config)
    say = notify or (lambda line: print(line, file=sys.stderr, flush=True))
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(path)
                pid = holder.get("pid", "unknown")
                if holder.get("config") not in (None, digest):
                    raise OutputLockedError(
                        f"{what} {out} is being written by another cevns process (pid {pid}) with a different "
                        f"configuration (lock {path}); wait for it to finish or choose another --out") from None
                say(f"cevns: {what} {out} is being written by pid {pid} with the same configuration; "
                    "waiting for it to finish")
                fcntl.flock(fd, fcntl.LOCK_EX)  # blocks; Ctrl-C / SIGTERM still interrupt it
            if not _same_file(fd, path):  # the holder removed the file as we waited: lock the new one
                os.close(fd)
                continue
        except BaseException:
            os.close(fd)
            raise
        break
    try:
        os.ftruncate(fd, 0)
        os.write(fd, (json.dumps({"pid": os.getpid(), "config": digest}) + "\n").encode())
        yield path
    finally:
        try:
            os.unlink(path)  # still holding the lock: a waiter sees the inode change and retries
        except OSError:
            pass
        os.close(fd)  # releases the lock
