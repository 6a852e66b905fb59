"""Other numerical backends for the predictions and χ² of :mod:`cevns.rates` and
:mod:`cevns.stats`.

* :mod:`~cevns.backends.jax_backend`: the vector-current family jit-compiled and
  differentiable with JAX (the optional ``jax`` extra, ``pip install "cevns[jax]"``).

The names below are imported on first use, so ``import cevns.backends`` works without JAX;
using one of them without JAX raises :class:`ImportError` with the install hint.

Imports: :mod:`cevns.stats` and below, and JAX; nothing above (reproduce, cli).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # no run-time import of typing: importing the package stays cheap
    from typing import Any

#: module of this package → the public names it defines, re-exported here and imported
#: lazily, on first use
_EXPORTS: dict[str, tuple[str, ...]] = {
    "jax_backend": (
        "JaxPredictor", "chi2_grid", "minuit_fit", "minuit_functions",
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
