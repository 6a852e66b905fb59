"""pytest set-up at the repository root: the doctest collection of ``src/cevns``.

``--doctest-modules`` imports every module of the package; a module that needs an optional
extra that is not installed (JAX for :mod:`cevns.backends.jax_backend`) is left out rather
than failing the collection.
"""

from __future__ import annotations

import importlib.util

collect_ignore: list[str] = []
if importlib.util.find_spec("jax") is None:
    collect_ignore.append("src/cevns/backends/jax_backend.py")
