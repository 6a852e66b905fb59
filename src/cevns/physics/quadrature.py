"""Gauss–Legendre rules, computed once per order.

:func:`numpy.polynomial.legendre.leggauss` finds the nodes as eigenvalues of the
companion matrix and polishes them with a Newton step: about 0.1–2 ms per call (O(n²) to
O(n³)), which used to be repeated for every panel group, spectrum and bin of a set-up
(the same 12-point rule 30 times for one CsI set-up, the 64-point rule of every reactor
spectrum moment). :func:`gauss_legendre` caches the rule per order and hands out read-only
arrays, so callers share it safely (also across threads) and get the very same numbers as
before.

The rule: ∫₋₁¹ f(x) dx ≈ Σᵢ wᵢ f(xᵢ), exact for polynomials of degree ≤ 2n − 1
(Abramowitz & Stegun, Handbook of Mathematical Functions, §25.4.29).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from cevns.errors import InputError


@lru_cache(maxsize=64)
def gauss_legendre(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes x (ascending, in (−1, 1)) and weights w of the ``nodes``-point
    Gauss–Legendre rule on [−1, 1], as read-only float arrays of shape (nodes,).

    Exactly :func:`numpy.polynomial.legendre.leggauss` (``nodes`` ≥ 1), cached per order;
    any other ``nodes`` is a one-line InputError (numpy's own error named ``deg``).
    """
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or nodes < 1:
        raise InputError(f"nodes (the order of the Gauss-Legendre rule) must be an integer ≥ 1, got {nodes!r}")
    x, w = np.polynomial.legendre.leggauss(nodes)
    x.flags.writeable = False
    w.flags.writeable = False
    return x, w


__all__ = ["gauss_legendre"]
