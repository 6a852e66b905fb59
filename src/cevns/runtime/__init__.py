"""Run-time machinery with no physics in it.

* :mod:`~cevns.runtime.parallel`: executors for chunked work (local processes, Dask).
* :mod:`~cevns.runtime.stores`: atomic file writes and resumable NPZ stores that carry their
  configuration.

Imports: the standard library, numpy, :mod:`cevns.errors` (and ``distributed`` when a Dask
executor is asked for); a bottom layer that every other layer may use.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # no run-time import of typing: importing the package stays cheap
    from typing import Any

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

__all__ = [name for names in _EXPORTS.values() for name in names]
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
