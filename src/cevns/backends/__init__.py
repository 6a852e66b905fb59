"""Other numerical backends for the predictions and χ² of :mod:`cevns.rates` and
:mod:`cevns.stats`.

* :mod:`~cevns.backends.jax_backend`: the vector-current family jit-compiled and
  differentiable with JAX (the optional ``jax`` extra, ``pip install "cevns[jax]"``).

The names below are imported on first use, so ``import cevns.backends`` works without JAX;
using one of them without JAX raises :class:`ImportError` with the install hint.

Imports: :mod:`cevns.stats` and below, and JAX; nothing above (reproduce, cli).
"""

from __future__ import annotations

from cevns._lazy import lazy_exports

#: module of this package → the public names it defines, re-exported here and imported
#: lazily, on first use
_EXPORTS: dict[str, tuple[str, ...]] = {
    "jax_backend": (
        "JaxPredictor", "chi2_grid", "minuit_fit", "minuit_functions",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
