"""Batched one-dimensional searches: many independent root findings or minimisations advanced
in lockstep, every round ONE call of a vectorised function with the current point of every
unfinished problem stacked as rows.

They pay where one evaluation of the function costs much more than the work per row (for
example a profiled likelihood fit vectorised over rows, :mod:`cevns.releases.xenonnt_wimp`):
n problems then take about as many calls as the slowest one alone, instead of n times as many.

* :func:`increasing_roots`: where an increasing function reaches a level, on [lo, ∞): the
  bracket grows geometrically until the level is reached, then regula falsi with the
  Anderson–Björck modification (N. Anderson & Å. Björck, "A new high order method of regula
  falsi type for computing a root of an equation", BIT 13, 253 (1973)), a generalisation of
  the Illinois rule (M. Dowell & P. Jarratt, "A modified regula falsi method for computing
  the root of an equation", BIT 11, 168 (1971)), with two safeguards: every new point at
  least half a tolerance inside the bracket (as in R. P. Brent, *Algorithms for
  Minimization without Derivatives*, Prentice-Hall (1973), Ch. 4, so that the bracket
  closes from both sides), and a bisection step whenever three rounds in a row have not
  halved the bracket (so the number of rounds is at most four times that of bisection).
  The tolerance is scipy's ``brentq``'s: the bracket narrower than xtol + rtol·|x|.
* :func:`bounded_minima`: local minima on [lo, hi] by Brent's method (golden-section search
  with successive parabolic interpolation; Brent 1973, Ch. 5, procedure *localmin*), the
  algorithm of ``scipy.optimize.minimize_scalar(method="bounded")``, with its tolerance
  ``xatol``.

A batched function has the signature ``f(x, which) -> values``: ``x`` (k,) the points,
``which`` (k,) the index of the problem each row belongs to (the same index may appear
more than once), ``values`` (k,) finite floats.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from cevns.errors import InputError

#: ``f(x (k,), which (k,)) -> (k,)``: rows of several problems evaluated in one call.
BatchedFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: (3 − √5)/2: the golden-section fraction of Brent's *localmin*.
_GOLDEN = 0.5 * (3.0 - math.sqrt(5.0))
#: √(machine ε): the relative part of Brent's tolerance.
_SQRT_EPS = math.sqrt(np.finfo(float).eps)


def _problems(*values: np.ndarray | float) -> list[np.ndarray]:
    """The arguments as float arrays of one common shape (n,)."""
    arrays = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)) for v in values))
    if arrays[0].ndim != 1:
        raise InputError(f"batched searches take one-dimensional arrays of problems, got shape {arrays[0].shape}")
    return [a.copy() for a in arrays]


def _evaluate(f: BatchedFunction, x: np.ndarray, which: np.ndarray) -> np.ndarray:
    """f at the rows (x, which), checked: shape (k,) and finite."""
    values = np.asarray(f(x, which), dtype=float).reshape(-1)
    if values.shape != x.shape:
        raise InputError(f"a batched function returned {values.size} values for {x.size} points")
    if not np.all(np.isfinite(values)):
        bad = int(which[~np.isfinite(values)][0])
        raise InputError(f"the function of problem {bad} is not finite at x = {float(x[~np.isfinite(values)][0]):.6g}")
    return values


def increasing_roots(
    f: BatchedFunction,
    level: np.ndarray | float,
    lo: np.ndarray | float,
    hi: np.ndarray | float,
    *,
    f_lo: np.ndarray | float | None = None,
    grow: float = 4.0,
    limit: float = 1e12,
    xtol: float = 1e-10,
    rtol: float = 1e-6,
    unreached: str = "the function does not reach its level below the search limit",
    max_rounds: int = 1000,
) -> np.ndarray:
    """For each problem i, the x in [lo_i, ∞) where the increasing f(·, i) reaches level_i.

    Parameters
    ----------
    f
        Batched function ``f(x (k,), which (k,)) -> (k,)``, increasing in x for each problem
        (only its sign change about the level is used: any continuous f with f(lo) ≤ level is
        solved to a crossing).
    level, lo, hi
        Per problem (broadcast to a common shape (n,)): the level and the starting bracket,
        lo < hi. While f(hi) < level the bracket moves up: lo ← hi, hi ← ``grow``·hi (so hi
        must be positive if it has to grow); a problem whose hi passes ``limit`` raises
        :class:`~cevns.errors.InputError` with the message ``unreached``.
    f_lo
        f at lo if already known (saves one row per problem in the first call).
    xtol, rtol
        Tolerance of scipy's ``brentq``: each root is returned once its bracket is narrower
        than xtol + rtol·|x| (or f hits the level exactly), in the units of x.
    max_rounds
        Bound on the rounds (calls of ``f``), bracket growth included (with the bisection
        safeguard never reached for finite tolerances).

    Returns
    -------
    numpy.ndarray
        The roots, shape (n,): of each final bracket, the end where |f − level| is smaller.

    Method: module docstring (Anderson–Björck regula falsi with bisection safeguard). All
    problems advance together, one call of ``f`` per round with one row per unfinished
    problem: a problem still growing its bracket and one already iterating share the rounds.
    """
    level, lo, hi = _problems(level, lo, hi)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(np.isfinite(level))):
        raise InputError("root brackets and levels must be finite")
    if np.any(hi <= lo):
        raise InputError("every root bracket needs lo < hi")
    if not (grow > 1.0 and xtol >= 0.0 and rtol >= 0.0 and xtol + rtol > 0.0):
        raise InputError(f"bad root-finder settings: grow {grow} must exceed 1, tolerances must be >= 0 and not both 0")
    n = lo.size
    idx = np.arange(n)
    # bracket: first call f(lo) (unless given) and f(hi) together
    if f_lo is None:
        both = _evaluate(f, np.concatenate([lo, hi]), np.concatenate([idx, idx]))
        g_lo, g_hi = both[:n] - level, both[n:] - level
    else:
        g_lo = _problems(f_lo, lo)[0] - level
        g_hi = _evaluate(f, hi, idx) - level
    if np.any(g_lo > 0):
        bad = int(np.flatnonzero(g_lo > 0)[0])
        raise InputError(f"problem {bad}: the function is already above its level at the lower end of the bracket")
    # regula falsi on the bracketed problems: b the latest point (its true value gb), a the
    # retained end (its value ga scaled down by Anderson–Björck while a is retained; ga_true
    # unscaled); a problem still growing its bracket joins when f(hi) reaches the level
    need = g_hi < 0
    a, b = lo.copy(), hi.copy()
    ga, gb, ga_true = g_lo.copy(), g_hi.copy(), g_lo.copy()
    root = np.where(g_lo == 0, lo, hi)
    done = ~need & ((g_lo == 0) | (g_hi == 0))
    width_ref = b - a
    stalled = np.zeros(n, dtype=int)
    for _ in range(max_rounds):
        best = np.where(np.abs(gb) <= np.abs(ga_true), b, a)
        tol = xtol + rtol * np.abs(best)
        closed = ~need & ~done & (np.abs(b - a) < tol)
        root[closed] = best[closed]
        done |= closed
        grown = np.flatnonzero(need)
        rows = np.flatnonzero(~need & ~done)
        if grown.size == 0 and rows.size == 0:
            return root
        # the bracket of the problems below their level moves up: lo ← hi, hi ← grow·hi
        lo[grown], g_lo[grown] = hi[grown], g_hi[grown]
        if np.any(hi[grown] <= 0):
            raise InputError(unreached)
        hi[grown] *= grow
        if np.any(hi[grown] > limit):
            raise InputError(unreached)
        # the next point of the bracketed ones
        ar, br, gar, gbr, tr = a[rows], b[rows], ga[rows], gb[rows], tol[rows]
        with np.errstate(divide="ignore", invalid="ignore"):
            c = br - gbr * (br - ar) / (gbr - gar)
        bisect = (stalled[rows] >= 3) | ~np.isfinite(c)
        c = np.where(bisect, 0.5 * (ar + br), c)
        left, right = np.minimum(ar, br), np.maximum(ar, br)
        c = np.clip(c, left + 0.5 * tr, right - 0.5 * tr)
        values = _evaluate(f, np.concatenate([hi[grown], c]), np.concatenate([grown, rows]))
        g_hi[grown] = values[:grown.size] - level[grown]
        need[grown] = g_hi[grown] < 0
        joined = grown[~need[grown]]
        a[joined], b[joined], ga[joined], gb[joined], ga_true[joined] = (
            lo[joined], hi[joined], g_lo[joined], g_hi[joined], g_lo[joined])
        width_ref[joined], stalled[joined] = hi[joined] - lo[joined], 0
        root[joined] = hi[joined]
        done[joined] = g_hi[joined] == 0
        gc = values[grown.size:] - level[rows]
        hit = gc == 0
        root[rows[hit]] = c[hit]
        done[rows[hit]] = True
        crossed = gc * gbr < 0
        # crossed: the previous point becomes the retained end, with its true value
        # same side: the retained end's value scaled by m = 1 − gc/gb (Anderson–Björck), 1/2 if m ≤ 0
        m = 1.0 - gc / np.where(gbr == 0, 1.0, gbr)
        scaled = gar * np.where(m > 0, m, 0.5)
        a[rows] = np.where(crossed, br, ar)
        ga[rows] = np.where(crossed, gbr, scaled)
        ga_true[rows] = np.where(crossed, gbr, ga_true[rows])
        b[rows], gb[rows] = c, gc
        new_width = np.abs(b[rows] - a[rows])
        halved = new_width <= 0.5 * width_ref[rows]
        width_ref[rows] = np.where(halved, new_width, width_ref[rows])
        stalled[rows] = np.where(halved, 0, stalled[rows] + 1)
    raise InputError(f"root finding did not converge in {max_rounds} rounds")


def bounded_minima(
    f: BatchedFunction,
    lo: np.ndarray | float,
    hi: np.ndarray | float,
    *,
    xatol: np.ndarray | float = 1e-5,
    max_rounds: int = 500,
) -> tuple[np.ndarray, np.ndarray]:
    """For each problem i, a local minimum of f(·, i) on [lo_i, hi_i] by Brent's method.

    Parameters
    ----------
    f
        Batched function ``f(x (k,), which (k,)) -> (k,)``.
    lo, hi
        Bounds per problem (broadcast to a common shape (n,)), lo < hi.
    xatol
        Absolute tolerance in x per problem (or one for all): Brent's stopping rule with
        tol = √ε·|x| + xatol/3, as ``scipy.optimize.minimize_scalar(method="bounded")``;
        the minimum is not evaluated closer than tol to the bounds.
    max_rounds
        Bound on the rounds (calls of ``f``); :class:`~cevns.errors.InputError` past it.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        x of each minimum and f there, shapes (n,).

    Method: Brent (1973), Ch. 5 (*localmin*): golden-section steps, replaced by the vertex of
    the parabola through the three best points when that falls inside the interval and
    moves less than half the step before last; each round one call of ``f`` with the
    unfinished problems.
    """
    a, b, xatol_arr = _problems(lo, hi, xatol)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))) or np.any(b <= a):
        raise InputError("every minimisation interval needs finite lo < hi")
    if not np.all(xatol_arr > 0):
        raise InputError("the minimiser's xatol must be > 0")
    n = a.size
    idx = np.arange(n)
    x = a + _GOLDEN * (b - a)
    fx = _evaluate(f, x, idx)
    w, v, fw, fv = x.copy(), x.copy(), fx.copy(), fx.copy()
    d = np.zeros(n)  # the last step
    e = np.zeros(n)  # the step before it
    for _ in range(max_rounds):
        xm = 0.5 * (a + b)
        tol1 = _SQRT_EPS * np.abs(x) + xatol_arr / 3.0
        tol2 = 2.0 * tol1
        rows = np.flatnonzero(np.abs(x - xm) > tol2 - 0.5 * (b - a))
        if rows.size == 0:
            return x, fx
        ar, br, xr, wr, vr = a[rows], b[rows], x[rows], w[rows], v[rows]
        fxr, fwr, fvr, dr, er, t1, t2, xmr = fx[rows], fw[rows], fv[rows], d[rows], e[rows], tol1[rows], tol2[rows], xm[rows]
        # the parabola through (x, fx), (w, fw), (v, fv): vertex at x + p/q
        r = (xr - wr) * (fxr - fvr)
        q = (xr - vr) * (fxr - fwr)
        p = (xr - vr) * q - (xr - wr) * r
        q = 2.0 * (q - r)
        p = np.where(q > 0, -p, p)
        q = np.abs(q)
        parabolic = (np.abs(er) > t1) & (np.abs(p) < np.abs(0.5 * q * er)) & (p > q * (ar - xr)) & (p < q * (br - xr))
        with np.errstate(divide="ignore", invalid="ignore"):
            step_p = np.where(parabolic, p / np.where(q == 0, 1.0, q), 0.0)
        near_end = ((xr + step_p - ar) < t2) | ((br - xr - step_p) < t2)
        toward_mid = np.where(xmr - xr >= 0, 1.0, -1.0)
        step_p = np.where(near_end, t1 * toward_mid, step_p)
        golden_e = np.where(xr >= xmr, ar - xr, br - xr)
        e[rows] = np.where(parabolic, dr, golden_e)
        step = np.where(parabolic, step_p, _GOLDEN * golden_e)
        d[rows] = step
        u = xr + np.where(step >= 0, 1.0, -1.0) * np.maximum(np.abs(step), t1)
        fu = _evaluate(f, u, rows)
        better = fu <= fxr
        # the interval shrinks to the side of the better point
        a[rows] = np.where(better, np.where(u >= xr, xr, ar), np.where(u < xr, u, ar))
        b[rows] = np.where(better, np.where(u >= xr, br, xr), np.where(u < xr, br, u))
        # the three best points: x best, w second, v third (or previous w)
        second = ~better & ((fu <= fwr) | (wr == xr))
        third = ~better & ~second & ((fu <= fvr) | (vr == xr) | (vr == wr))
        v[rows] = np.where(better | second, wr, np.where(third, u, vr))
        fv[rows] = np.where(better | second, fwr, np.where(third, fu, fvr))
        w[rows] = np.where(better, xr, np.where(second, u, wr))
        fw[rows] = np.where(better, fxr, np.where(second, fu, fwr))
        x[rows] = np.where(better, u, xr)
        fx[rows] = np.where(better, fu, fxr)
    raise InputError(f"minimisation did not converge in {max_rounds} rounds")


__all__ = ["BatchedFunction", "bounded_minima", "increasing_roots"]
