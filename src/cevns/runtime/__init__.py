"""Run-time machinery with no physics in it.

* :mod:`~cevns.runtime.parallel`: executors for chunked work (local processes, Dask).
* :mod:`~cevns.runtime.stores`: atomic file writes and resumable NPZ stores that carry their
  configuration.
* :mod:`~cevns.runtime.signals`: SIGTERM handled like Ctrl-C by the command line, quiet
  start-up, exit status 128 + signal.

Imports: the standard library, numpy, :mod:`cevns.errors` (and ``distributed`` when a Dask
executor is asked for); a bottom layer that every other layer may use.
"""

from __future__ import annotations

from cevns._lazy import lazy_exports

#: module of this package → the public names it defines, re-exported here and imported
#: lazily, on first use
_EXPORTS: dict[str, tuple[str, ...]] = {
    "parallel": (
        "ExecutorError", "executor", "run_chunks",
    ),
    "stores": (
        "StoreError", "atomic_write", "config_text", "read_store", "write_store",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
