"""Signals of the command line: SIGTERM is an interrupt like Ctrl-C, and start-up is quiet.

``cevns`` runs long scans, pseudo-experiment studies and reproductions that save their
progress as they go; a batch system stops a job with SIGTERM, a user with Ctrl-C (SIGINT).
Both must end the same way: the "save what is finished and say so" paths run, there is
no traceback, and the exit status is the shell's convention ``128 + signal number`` (130
for SIGINT, 143 for SIGTERM; POSIX, *Shell Command Language*, §2.8.2 "Exit Status for
Commands").

Two phases:

* :func:`install_startup_handlers`, called before the heavy imports (numpy, click, the
  command modules): a signal during start-up exits at once with one line and the status
  above — nothing has been done, so nothing is lost, and an import interrupted half-way
  prints no traceback.
* :func:`install_run_handlers`, called when the command starts: SIGINT and SIGTERM both
  raise :class:`KeyboardInterrupt` in the main thread (Python's own SIGINT behaviour), so
  every ``try/finally`` and every executor's shut-down runs; :func:`received` says which
  signal it was. A second signal while that clean-up runs exits at once (the files are
  written atomically, so a file is still either complete or absent).

A signal that was ignored when the program started (``nohup``, a background job of a
non-interactive shell) stays ignored. Imports: the standard library only.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType

#: The signals treated as an interrupt.
INTERRUPTS: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM)

_received: list[int] = []


def exit_status(signum: int) -> int:
    """The shell's exit status of a process ended by signal ``signum``: 128 + its number."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    """``"SIGINT"``, ``"SIGTERM"``… for a signal number."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def received() -> int | None:
    """The first interrupting signal received since :func:`install_run_handlers`, or None."""
    return _received[0] if _received else None


def _install(handler: signal.Handlers | object) -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # only the main thread may set handlers (cevns run from a thread of a host program)
    for sig in INTERRUPTS:
        if signal.getsignal(sig) is signal.SIG_IGN:
            continue  # ignored by whoever started us: keep it so
        signal.signal(sig, handler)  # type: ignore[arg-type]  # a callable handler, typed loosely above


def _startup_handler(signum: int, frame: FrameType | None) -> None:
    os.write(2, f"\ncevns: stopped by {signal_name(signum)} while starting; nothing was done\n".encode())
    os._exit(exit_status(signum))


def install_startup_handlers() -> None:
    """SIGINT and SIGTERM exit at once, quietly, with status 128 + signal (before the
    command runs, when there is nothing to save)."""
    _install(_startup_handler)


def _run_handler(signum: int, frame: FrameType | None) -> None:
    if _received:  # a second signal during the clean-up of the first: stop now
        os.write(2, f"\ncevns: stopped by a second {signal_name(signum)}\n".encode())
        os._exit(exit_status(_received[0]))
    _received.append(signum)
    raise KeyboardInterrupt


def install_run_handlers() -> None:
    """SIGINT and SIGTERM raise :class:`KeyboardInterrupt` in the main thread (and are
    remembered for :func:`received`)."""
    _received.clear()
    _install(_run_handler)


__all__ = ["INTERRUPTS", "exit_status", "install_run_handlers", "install_startup_handlers", "received", "signal_name"]
