"""Gauss–Legendre rules, computed once per order.

:func:`numpy.polynomial.legendre.leggauss` finds the nodes as eigenvalues of the
companion matrix and polishes them with a Newton step: about 0.1–2 ms per call (O(n²) to
O(n³)), which used to be repeated for every panel group, spectrum and bin of a set-up
(the same 12-point rule 30 times for one CsI set-up, the 64-point rule of every reactor
spectrum moment). :func:`gauss_legendre` caches the rule per order and hands out read-only
arrays, so callers share it safely (also across threads) and get the very same numbers as
before. The orders the package uses (6, 8, 12, 16, 24, 32, 48, 64, 96) come from a table
of ``leggauss``'s own results (:mod:`cevns.physics._gauss_legendre_table`, checked bit for
bit in ``tests/test_startup.py``), so that a prediction does not import
:mod:`numpy.polynomial` (start-up time of the CLI); other orders call ``leggauss``.

The rule: ∫₋₁¹ f(x) dx ≈ Σᵢ wᵢ f(xᵢ), exact for polynomials of degree ≤ 2n − 1
(Abramowitz & Stegun, Handbook of Mathematical Functions, §25.4.29).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from cevns.errors import InputError
from cevns.physics._gauss_legendre_table import HALF_RULES


def _mirrored(half: np.ndarray, nodes: int, sign: float = -1.0) -> np.ndarray:
    """The whole rule's array from its second half (``nodes // 2`` onwards): the first half
    is ``sign`` times the second reversed (−1 for the nodes, +1 for the weights; an odd
    order's middle node 0 and its weight appear once)."""
    first = half[::-1] if nodes % 2 == 0 else half[:0:-1]
    return np.concatenate([sign * first, half])


@lru_cache(maxsize=64)
def gauss_legendre(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes x (ascending, in (−1, 1)) and weights w of the ``nodes``-point
    Gauss–Legendre rule on [−1, 1], as read-only float arrays of shape (nodes,).

    Exactly :func:`numpy.polynomial.legendre.leggauss` (``nodes`` ≥ 1), cached per order
    (the tabulated orders rebuilt from their stored half, the others computed);
    any other ``nodes`` is a one-line InputError (numpy's own error named ``deg``).
    """
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or nodes < 1:
        raise InputError(f"nodes (the order of the Gauss-Legendre rule) must be an integer ≥ 1, got {nodes!r}")
    half = HALF_RULES.get(int(nodes))
    if half is None:
        from numpy.polynomial.legendre import leggauss

        x, w = leggauss(nodes)
    else:
        x, w = _mirrored(np.array(half[0]), int(nodes)), _mirrored(np.array(half[1]), int(nodes), sign=1.0)
    x.flags.writeable = False
    w.flags.writeable = False
    return x, w


__all__ = ["gauss_legendre"]
