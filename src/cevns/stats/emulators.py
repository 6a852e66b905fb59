"""Verified emulators of the binned signal in one non-polynomial scan parameter.

A neutron radius, a mediator mass or Δm²₄₁ do not enter the expected counts polynomially
(:func:`cevns.stats.scans.polynomial_signal` refuses them), so a grid scan over one of them
used to cost a full prediction per point (0.15–0.5 ms on CsI 2017). The counts are,
however, smooth functions of such a parameter over a scan range: the Helm form factor is
analytic in R_n (R. H. Helm, Phys. Rev. 104, 1466 (1956)); a vector mediator of mass M
enters the weak charge through g²/(q² + M²) (e.g. D. K. Papoulias & T. S. Kosmas,
arXiv:1711.09773, Eq. 9), smooth in ln M; a 3+1 sterile neutrino reweights the spectrum by
1 − sin²2θ sin²(1.27 Δm² L/E) (Galindo-Uribarri, Miranda, Sanchez Garcia, arXiv:2011.10230,
Eq. 8), an entire function of Δm² that oscillates faster the longer the baseline. Smooth
functions on an interval are approximated to near machine precision by polynomial
interpolation at Chebyshev points, with an error falling geometrically with the number of
points for analytic functions (L. N. Trefethen, *Approximation Theory and Approximation
Practice*, SIAM 2013, Theorems 8.2 and 5.1; barycentric formula of the second kind with the
Chebyshev–Lobatto weights, J.-P. Berrut & L. N. Trefethen, SIAM Review 46, 501 (2004),
Eq. 5.4).

The emulator of this module, for a scan over one non-polynomial parameter x and any number
of polynomial parameters y (e.g. R_n × sin²θ_W, M_Z′ × g_Z′, Δm²₄₁ × ``|U_e4|²``):

1. at Chebyshev–Lobatto points t_j = c + h cos(π j / n), j = 0 … n, of the scan range in
   t = x or t = ln x (``log`` for a positive range spanning ≥ a decade, except a parameter
   declared ``phase_linear``, such as Δm²₄₁), it computes the
   exact polynomial dependence on y at fixed x — the coefficients C_j (monomials × bins)
   of the per-bin polynomial that :func:`~cevns.stats.scans.polynomial_signal` finds, from
   full predictions at the same probe points of y at every node (d + 1 Chebyshev points
   for one y of degree d, 2 × the number of monomials at random for more);
   without polynomial axes, C_j is the signal itself; where the first level's C_j vary
   with x in only r < (monomials) directions (the 3+1 mixing: r = 1; a Z′ coupling: r = 2),
   every later node costs r full predictions instead of all probes (:class:`_LowRank`);
2. it doubles n (nested points: the old nodes are reused) until the last Chebyshev
   coefficients of every entry are below 1 % of the tolerance (the series is resolved:
   level n is kept) or the interpolant of level n reproduces the exact values at the new
   nodes of level 2n to the tolerance (level 2n is kept), up to ``max_nodes`` (or the
   number of exact predictions the grid itself would cost);
3. it is ACCEPTED only if, at :data:`N_CHECK` further random points (x uniform in t, y
   uniform in its ranges; seeded), the emulated signal agrees with the full prediction in
   every bin to ``rtol`` (:data:`RTOL`) relative, measured against
   max(|s_b|, 10⁻³ max_b |s_b|) so that a nearly empty bin is held to 10⁻⁹ of the largest;
   otherwise it is REFUSED and the scan evaluates every point exactly.

The tolerance, 10⁻⁶ relative per bin: a bin of N expected events has a Poisson σ of √N, so
an error of 10⁻⁶ N is 10⁻⁶ √N σ — below 10⁻³ σ for every bin of fewer than 10⁶ events
(all shipped experiments) — and shifts a χ² term (s − n)²/σ² by at most
2 × 10⁻⁶ √N |pull|, far below the 0.01 resolution at which Δχ² thresholds (1, 2.71, 4.61 …)
are read. It is also far above the quadrature's own reproducibility (≈ 10⁻¹⁴), so an
accepted emulator is limited by interpolation only.

The grid then costs, per point, one row of a precomputed table (the coefficients
interpolated once per value of the x axis) times the y monomials, and the vectorised χ² of
:meth:`~cevns.stats.likelihood.Likelihood.chi2_from_signal`: microseconds instead of a full
prediction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

import numpy as np

from cevns.errors import InputError
from cevns.physics.parameters import parameter
from cevns.stats.likelihood import Likelihood
from cevns.stats.scans import PolynomialSignal, polynomial_signal

#: Tolerance of an accepted emulator: relative error per bin (see the module docstring).
RTOL = 1e-6
#: Random points (seeded) at which an emulator is checked against full predictions.
N_CHECK = 8
#: Chebyshev intervals of the first level (n + 1 = 9 points) and the most that are tried.
MIN_NODES = 8
MAX_NODES = 256
#: Seed of the probe and check points.
SEED = 20171123
#: A bin's error is measured against max(|s_b|, FLOOR × the largest bin at that point).
FLOOR = 1e-3


@dataclass(frozen=True)
class EmulatorReport:
    """What was built and how it was verified.

    ``accepted``: the emulator passed the check; ``max_error``: the largest relative error
    per bin over the ``checks`` random points (NaN if none were made); ``nodes``: Chebyshev
    points used; ``predictions``: full predictions spent (nodes × probes + checks; with the
    low-rank nodes of :class:`_LowRank`, the first level's nodes × probes + later nodes × r +
    checks, plus a refused low-rank build's predictions if it was rebuilt);
    ``reason``: why it was refused (empty if accepted)."""

    name: str
    transform: str
    low: float
    high: float
    nodes: int
    checks: int
    rtol: float
    max_error: float
    predictions: int
    accepted: bool
    reason: str = ""
    polynomial_axes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (NaN becomes None)."""
        err = None if math.isnan(self.max_error) else float(self.max_error)
        return {"parameter": self.name, "transform": self.transform, "range": [self.low, self.high],
                "polynomial_axes": list(self.polynomial_axes), "nodes": self.nodes, "checks": self.checks,
                "rtol": self.rtol, "max_error": err, "predictions": self.predictions, "accepted": self.accepted,
                "reason": self.reason}

    def text(self) -> str:
        """One line for the terminal."""
        if self.accepted:
            return (f"emulator for {self.name} ({self.transform}, {self.nodes} Chebyshev points): accepted, "
                    f"max error {self.max_error:.1e} relative per bin at {self.checks} random points (tolerance {self.rtol:g})")
        return f"no emulator for {self.name}: {self.reason}; every grid point from the full prediction"




def _phase_linear(name: str) -> bool:
    """Whether the registered parameter ``name`` enters through a phase linear in it
    (:attr:`cevns.physics.interactions.registry.Parameter.phase_linear`): its counts
    oscillate at a fixed rate in it but ever faster in its logarithm (Δm²₄₁ on Dresden-II,
    0.1–10 eV²: 65 Chebyshev points in Δm² against 129 in ln Δm²)."""
    try:
        return parameter(name).phase_linear
    except InputError:
        return False


def _transform(low: float, high: float, transform: str | None, name: str = "") -> str:
    if transform is None:
        return "log" if low > 0 and high >= 10 * low and not _phase_linear(name) else "linear"
    if transform not in ("linear", "log"):
        raise InputError(f"emulator transform must be 'linear' or 'log', not {transform!r}")
    if transform == "log" and not low > 0:
        raise InputError("a log emulator needs a positive range")
    return transform


def lobatto(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Chebyshev–Lobatto points cos(π j / n), j = 0 … n, on [−1, 1] and their barycentric
    weights (−1)^j, halved at both ends (Berrut & Trefethen 2004, Eq. 5.4)."""
    j = np.arange(n + 1)
    w = np.where(j % 2 == 0, 1.0, -1.0)
    w[0] *= 0.5
    w[-1] *= 0.5
    return np.cos(np.pi * j / n), w


def barycentric_matrix(nodes: np.ndarray, weights: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The matrix (len(at), len(nodes)) whose product with values at ``nodes`` is the
    barycentric interpolant of the second kind at ``at``; a point on a node takes that
    node's value exactly."""
    at = np.asarray(at, dtype=float)
    diff = at[:, None] - nodes[None, :]
    hit = diff == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = weights[None, :] / diff
        matrix = terms / terms.sum(axis=1, keepdims=True)
    rows = hit.any(axis=1)
    matrix[rows] = hit[rows].astype(float)
    return matrix


@dataclass(frozen=True, eq=False)
class Emulator:
    """The signal per bin as a function of ``name`` (interpolated) and of the polynomial
    axes of ``poly`` (exact polynomial), see the module docstring.

    ``nodes`` are the Chebyshev points in the transformed variable t, ``weights`` their
    barycentric weights, ``coefficients`` (nodes, monomials, bins) the polynomial
    coefficients in y at each node (one monomial, the constant, without polynomial axes);
    ``poly`` carries the y names, centring and exponents (its own coefficients unused)."""

    name: str
    transform: str
    nodes: np.ndarray
    weights: np.ndarray
    coefficients: np.ndarray
    poly: PolynomialSignal | None
    report: EmulatorReport
    #: Built with the low-rank node evaluation (:class:`_LowRank`).
    reduced: bool = False

    def _t(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return np.log(x) if self.transform == "log" else x

    def coefficients_at(self, x: np.ndarray) -> np.ndarray:
        """Interpolated coefficients at values ``x`` of the parameter → (len(x), monomials, bins)."""
        m = barycentric_matrix(self.nodes, self.weights, self._t(np.atleast_1d(x)))
        c = self.coefficients
        return (m @ c.reshape(c.shape[0], -1)).reshape(m.shape[0], *c.shape[1:])

    def __call__(self, x: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
        """Signal per bin at parameter values ``x`` (n,) and polynomial-axis points ``y``
        (n, k) in the order of ``poly.names`` → (n, bins)."""
        c = self.coefficients_at(x)
        if self.poly is None:
            return c[:, 0, :]
        return np.einsum("nm,nmb->nb", self.poly.basis(np.asarray(y, dtype=float).reshape(c.shape[0], -1)), c)


@dataclass(frozen=True)
class _Structure:
    """The polynomial part: names, centring, exponents, probe points (m, k) and the
    least-squares map from the m probe signals to the coefficients."""

    poly: PolynomialSignal | None
    probe: np.ndarray
    solve: np.ndarray

    @property
    def names(self) -> tuple[str, ...]:
        return self.poly.names if self.poly is not None else ()


def _structure(found: PolynomialSignal | None, rng: np.random.Generator) -> _Structure:
    """Probe points of the polynomial axes, the same at every node: for one axis of degree
    d, the d + 1 Chebyshev–Lobatto points (interpolation, well conditioned); for more,
    2 × (monomials) random points (least squares, as :func:`~cevns.stats.scans.polynomial_signal`)."""
    if found is None:
        return _Structure(None, np.zeros((1, 0)), np.ones((1, 1)))
    shell = PolynomialSignal(found.names, found.centre, found.half_width, found.exponents,
                             np.zeros((found.exponents.shape[0], 0)))
    if len(found.names) == 1:
        unit = lobatto(max(1, int(found.exponents.max())))[0][:, None]
    else:
        unit = rng.uniform(-1.0, 1.0, size=(2 * found.exponents.shape[0], len(found.names)))
    probe = found.centre + found.half_width * unit
    return _Structure(shell, probe, np.linalg.pinv(shell.basis(probe)))


def _node_coefficients(likelihood: Likelihood, name: str, x: float, st: _Structure) -> np.ndarray:
    """Coefficients (monomials, bins) of the signal's polynomial in y at x = ``x``."""
    signals = np.stack([likelihood.signal({name: x, **dict(zip(st.names, map(float, p)))}) for p in st.probe])
    return np.asarray(st.solve @ signals)


#: A direction of the coefficients' variation with x is kept if its singular value (of the
#: variation over the first level's nodes, each bin scaled as in :func:`_relative_error`)
#: exceeds this fraction of ``rtol``; smaller ones are taken as exactly zero (the random
#: check decides, and a refused low-rank emulator is rebuilt with every probe).
_RANK_FRACTION = 1e-3


@dataclass(frozen=True)
class _LowRank:
    """The coefficients as C(x) = ``mean`` + ``basis_v`` · b(x): their variation with x
    spans r < monomials directions ``basis_v`` (monomials, r), so r probes of y per node
    (``rows``, the indices into the probe points) determine b(x) (r, bins) by the r × r
    solve ``inverse`` · (s_probe − basis_probe · mean).

    Exact structure of the shipped models: at fixed Δm²₄₁ the 3+1 counts are
    A − sin²2θ · B(Δm²) with sin²2θ_ee = ``4 |U_e4|² (1 − |U_e4|²)`` (Galindo-Uribarri, Miranda,
    Sanchez Garcia, arXiv:2011.10230, Eq. 8), so only one direction varies (one full
    prediction per node instead of three); a Z′ of coupling g enters the weak charge as
    Q_W + g² f(M, q) (Papoulias & Kosmas, arXiv:1711.09773, Eq. 9), so the counts are
    C_0 + g² C_2(M) + g⁴ C_4(M): two directions (two predictions instead of five)."""

    mean: np.ndarray
    basis_v: np.ndarray
    rows: tuple[int, ...]
    inverse: np.ndarray


def _low_rank(coef: np.ndarray, st: _Structure, rtol: float) -> _LowRank | None:
    """The :class:`_LowRank` form of the coefficients ``coef`` (nodes, monomials, bins) of
    the first level, or None if their variation spans every monomial (no saving)."""
    monomials = coef.shape[1]
    if st.poly is None or monomials < 2:
        return None
    scale = _bin_scale(np.abs(coef).max(axis=(0, 1)))
    mean = coef.mean(axis=0)
    varying = ((coef - mean) / scale).transpose(1, 0, 2).reshape(monomials, -1)
    u, sing, _ = np.linalg.svd(varying, full_matrices=False)
    rank = max(1, int(np.count_nonzero(sing > _RANK_FRACTION * rtol)))
    if rank >= monomials:
        return None
    directions = u[:, :rank]
    at_probes = st.poly.basis(st.probe) @ directions  # (probes, r)
    rows: list[int] = []
    rest = at_probes.copy()
    for _ in range(rank):  # greedy pivoting: the best-conditioned r probes
        k = int(np.argmax(np.linalg.norm(rest, axis=1)))
        rows.append(k)
        v = rest[k] / np.linalg.norm(rest[k])
        rest = rest - np.outer(rest @ v, v)
    square = at_probes[rows]
    if np.linalg.cond(square) > 1e8:
        return None
    return _LowRank(mean, directions, tuple(rows), np.linalg.inv(square))


def _node_coefficients_low_rank(likelihood: Likelihood, name: str, x: float, st: _Structure, lr: _LowRank) -> np.ndarray:
    """Coefficients (monomials, bins) at x = ``x`` from the r probes of ``lr`` only."""
    probe = st.probe[list(lr.rows)]
    signals = np.stack([likelihood.signal({name: x, **dict(zip(st.names, map(float, p)))}) for p in probe])
    assert st.poly is not None
    b = lr.inverse @ (signals - st.poly.basis(probe) @ lr.mean)
    return np.asarray(lr.mean + lr.basis_v @ b)


def _relative_error(approx: np.ndarray, exact: np.ndarray) -> float:
    """max_b |approx_b − exact_b| / max(|exact_b|, FLOOR × max|exact|), over all rows."""
    exact = np.atleast_2d(exact)
    approx = np.atleast_2d(approx)
    return float(np.max(np.abs(approx - exact) / _bin_scale(np.abs(exact))))


def _bin_scale(size: np.ndarray) -> np.ndarray:
    """Per bin max(``size``, :data:`FLOOR` × the largest bin of its row) (a row: the last
    axis), 1e-300 where that is 0: what a bin's error is measured against."""
    scale = np.maximum(size, FLOOR * size.max(axis=-1, keepdims=True))
    return np.where(scale > 0, scale, 1e-300)


#: Chebyshev coefficients of the tail tested by :func:`_resolved`, and their bound (× rtol).
_TAIL, _TAIL_FRACTION = 3, 0.01


def chebyshev_coefficients(values: np.ndarray) -> np.ndarray:
    """Chebyshev coefficients c_0 … c_n of the interpolant through ``values`` (n + 1, ...)
    at the Lobatto points cos(π j / n): c_k = (2/n) Σ″_j f_j cos(π j k / n), the first and
    last terms of the sum and c_0, c_n halved (Trefethen, ATAP, Ch. 3)."""
    n = values.shape[0] - 1
    j = np.arange(n + 1)
    w = np.ones(n + 1)
    w[0] = w[-1] = 0.5
    c = (2.0 / n) * (np.cos(np.pi * np.outer(j, j) / n) * w[None, :]) @ values.reshape(n + 1, -1)
    c[0] *= 0.5
    c[-1] *= 0.5
    return c.reshape(values.shape)


def _resolved(values: np.ndarray, rtol: float) -> bool:
    """True if the last :data:`_TAIL` Chebyshev coefficients of every entry are below
    :data:`_TAIL_FRACTION` × ``rtol`` of its scale (the largest value over the nodes, with
    the bins' :data:`FLOOR`): the series has converged (Trefethen, ATAP, Ch. 4 and 8: the
    interpolation error is bounded by twice the sum of the neglected coefficients, which
    fall geometrically), so doubling the points is not needed. The random check decides."""
    if values.shape[0] <= 2 * _TAIL:
        return False
    flat = values.reshape(values.shape[0], values.shape[1] if values.ndim > 2 else 1, -1)
    tail = np.abs(chebyshev_coefficients(flat)[-_TAIL:]).max(axis=0)
    return bool(np.all(tail <= _TAIL_FRACTION * rtol * _bin_scale(np.abs(flat).max(axis=0))))


def build_emulator(
    likelihood: Likelihood,
    name: str,
    x_range: tuple[float, float],
    poly_ranges: Mapping[str, tuple[float, float]] | None = None,
    rtol: float = RTOL,
    min_nodes: int = MIN_NODES,
    max_nodes: int = MAX_NODES,
    checks: int = N_CHECK,
    transform: str | None = None,
    budget: int | None = None,
    seed: int = SEED,
    structure: PolynomialSignal | None = None,
) -> Emulator | None:
    """An emulator of ``likelihood``'s signal in ``name`` over ``x_range`` (and exact in the
    polynomial parameters of ``poly_ranges``), with its :class:`EmulatorReport`
    (``.report.accepted`` says whether it may be used); None if the parameters of
    ``poly_ranges`` are not polynomial at the middle of ``x_range``.

    ``min_nodes`` … ``max_nodes``: Chebyshev intervals of the first and the last level
    (powers of two times ``min_nodes``; equal values build one level, no refinement);
    ``budget``: the most full predictions to spend on nodes (refinement stops there);
    ``checks`` random points verify the result to ``rtol`` (module docstring);
    ``structure``: the polynomial in ``poly_ranges`` already found at the middle (not
    searched again).

    Where the first level's coefficients vary with x in fewer directions than there are
    monomials (:class:`_LowRank`: the sterile mixing, a Z′ coupling), later nodes cost only
    that many full predictions; the acceptance rule is the same, and if such an emulator is
    refused it is built again with every probe at every node (``predictions`` counts both).
    """
    emu = _build(likelihood, name, x_range, poly_ranges, rtol, min_nodes, max_nodes, checks, transform, budget, seed,
                 structure, reduce=True)
    if emu is None or emu.report.accepted or not emu.reduced:
        return emu
    left = None if budget is None else max(budget - emu.report.predictions, 0)
    full = _build(likelihood, name, x_range, poly_ranges, rtol, min_nodes, max_nodes, checks, transform, left, seed,
                  structure, reduce=False)
    if full is None:
        return emu
    report = replace(full.report, predictions=full.report.predictions + emu.report.predictions)
    return Emulator(full.name, full.transform, full.nodes, full.weights, full.coefficients, full.poly, report)


def _build(
    likelihood: Likelihood,
    name: str,
    x_range: tuple[float, float],
    poly_ranges: Mapping[str, tuple[float, float]] | None,
    rtol: float,
    min_nodes: int,
    max_nodes: int,
    checks: int,
    transform: str | None,
    budget: int | None,
    seed: int,
    structure: PolynomialSignal | None,
    reduce: bool,
) -> Emulator | None:
    """:func:`build_emulator`, with the low-rank node evaluation if ``reduce``."""
    low, high = float(x_range[0]), float(x_range[1])
    if not (math.isfinite(low) and math.isfinite(high) and high > low):
        raise InputError(f"emulator range of {name}: need low < high, got {low}, {high}")
    if parameter(name).choices:
        raise InputError(f"{name} takes a name, not a number: it cannot be emulated")
    if min_nodes < 1 or max_nodes < min_nodes:
        raise InputError("emulator nodes: need 1 ≤ min_nodes ≤ max_nodes")
    kind = _transform(low, high, transform, name)
    to_t: Callable[[np.ndarray], np.ndarray] = np.log if kind == "log" else np.asarray
    from_t: Callable[[np.ndarray], np.ndarray] = np.exp if kind == "log" else np.asarray
    t_lo, t_hi = float(to_t(np.array(low))), float(to_t(np.array(high)))
    centre, half = 0.5 * (t_lo + t_hi), 0.5 * (t_hi - t_lo)
    rng = np.random.default_rng(seed)
    found = structure
    if poly_ranges and found is None:
        middle = float(from_t(np.array(centre)))
        found = polynomial_signal(likelihood.with_fixed({name: middle}), poly_ranges, seed=seed)
        if found is None:
            return None
    st = _structure(found, rng)
    per_node = st.probe.shape[0]

    def x_at(t: np.ndarray) -> np.ndarray:
        # the ends exactly, not through exp(ln x): the scan's own end values stay in range
        x = from_t(np.asarray(t, dtype=float))
        return np.clip(x, low, high)

    lr: _LowRank | None = None

    def values(t: np.ndarray) -> np.ndarray:
        if lr is not None:
            return np.stack([_node_coefficients_low_rank(likelihood, name, float(x), st, lr) for x in x_at(t)])
        return np.stack([_node_coefficients(likelihood, name, float(x), st) for x in x_at(t)])

    n = min_nodes
    unit, weights = lobatto(n)
    coef = values(centre + half * unit)
    spent = coef.shape[0] * per_node
    if reduce and n < max_nodes:
        lr = _low_rank(coef, st, rtol)
        per_node = len(lr.rows) if lr is not None else per_node
    while n < max_nodes and (budget is None or spent + n * per_node <= budget):
        if _resolved(coef, rtol):
            break
        unit2, weights2 = lobatto(2 * n)
        fresh = values(centre + half * unit2[1::2])
        spent += fresh.shape[0] * per_node
        guess = barycentric_matrix(unit, weights, unit2[1::2]) @ coef.reshape(coef.shape[0], -1)
        both = np.empty((2 * n + 1, *coef.shape[1:]))
        both[0::2], both[1::2] = coef, fresh
        converged = _relative_error(guess, fresh.reshape(fresh.shape[0], -1)) <= rtol
        n, unit, weights, coef = 2 * n, unit2, weights2, both
        if converged:
            break
    emu = Emulator(name, kind, centre + half * unit, weights, coef, st.poly,
                   EmulatorReport(name, kind, low, high, n + 1, 0, rtol, math.nan, spent, False, "not checked", st.names))
    # the check: fresh random points, full predictions
    t_check = rng.uniform(t_lo, t_hi, size=checks)
    x_check = x_at(t_check)
    spans = [(float(poly_ranges[k][0]), float(poly_ranges[k][1])) for k in st.names] if poly_ranges else []
    y_check = np.column_stack([rng.uniform(lo, hi, size=checks) for lo, hi in spans]) if spans else None
    exact = np.stack([likelihood.signal({name: float(x), **({} if y_check is None else dict(zip(st.names, map(float, y_check[i]))))})
                      for i, x in enumerate(x_check)]) if checks else np.zeros((0, coef.shape[-1]))
    error = _relative_error(emu(x_check, y_check), exact) if checks else math.nan
    ok = checks > 0 and error <= rtol
    reason = "" if ok else (
        "no check points" if not checks else
        f"max error {error:.1e} relative per bin at {checks} random points exceeds {rtol:g} ({n + 1} Chebyshev points)")
    report = EmulatorReport(name, kind, low, high, n + 1, checks, rtol, error, spent + checks, ok, reason, st.names)
    return Emulator(emu.name, kind, emu.nodes, weights, coef, st.poly, report, reduced=lr is not None)


# --- scans ----------------------------------------------------------------------------------
#: Points per evaluation (work arrays stay in cache, as in :mod:`cevns.stats.scans`).
_CHUNK_POINTS = 8192
#: Largest table of interpolated coefficients (or barycentric matrix) kept for a whole axis
#: (float64 entries, 16 MiB); a longer axis is interpolated chunk by chunk.
_TABLE_MAX = 1 << 21


@dataclass(frozen=True, eq=False)
class EmulatedChunks:
    """χ² at flat grid indices from an accepted :class:`Emulator`: the coefficients are
    interpolated once per value of the emulated axis (``table``), then each point costs the
    monomials of its polynomial axes times its row of the table."""

    likelihood: Likelihood
    emulator: Emulator
    axes: tuple[np.ndarray, ...]
    order: tuple[int, ...]
    table: np.ndarray | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        x, c = self.axes[self.order[0]], self.emulator.coefficients
        small = x.size * max(c[0].size, c.shape[0]) <= _TABLE_MAX  # else per chunk (bounded memory)
        object.__setattr__(self, "table", self.emulator.coefficients_at(x) if small else None)

    @property
    def emulator_report(self) -> EmulatorReport:
        return self.emulator.report

    def signal(self, flat: np.ndarray) -> np.ndarray:
        """Emulated signal per bin at flat indices → (n, bins)."""
        idx = np.unravel_index(np.asarray(flat), tuple(a.size for a in self.axes))
        i = idx[self.order[0]]
        if self.table is not None:
            rows = self.table[i]
        else:
            which, back = np.unique(i, return_inverse=True)
            rows = self.emulator.coefficients_at(self.axes[self.order[0]][which])[back.reshape(-1)]
        poly = self.emulator.poly
        if poly is None:
            return rows[:, 0, :]
        y = np.column_stack([self.axes[j][idx[j]] for j in self.order[1:]])
        return np.einsum("nm,nmb->nb", poly.basis(y), rows)

    def __call__(self, flat: np.ndarray) -> np.ndarray:
        flat = np.asarray(flat)
        if flat.size > _CHUNK_POINTS:
            return np.concatenate([self(flat[i : i + _CHUNK_POINTS]) for i in range(0, flat.size, _CHUNK_POINTS)])
        return np.asarray(self.likelihood.chi2_from_signal(self.signal(flat)), dtype=float)


def emulated_evaluator(
    likelihood: Likelihood, axes: Mapping[str, np.ndarray], **options: Any
) -> tuple[EmulatedChunks | None, EmulatorReport | None]:
    """For a scan over ``axes`` whose signal is not polynomial in all of them: an accepted
    emulator's chunk evaluator, or (None, the refusal's report), or (None, None) if no axis
    can be emulated (not numeric, a single value, or the other axes are not polynomial at
    its middle). The first axis that works is emulated. An emulator is tried only if the
    grid has more points than the full predictions its first two levels and checks need;
    its refinement may spend at most as many predictions as the grid has points.
    ``options`` go to :func:`build_emulator`."""
    names = tuple(axes)
    grids = tuple(np.asarray(axes[n], dtype=float) for n in names)
    points = math.prod(a.size for a in grids)
    min_nodes = int(options.get("min_nodes", MIN_NODES))
    checks = int(options.get("checks", N_CHECK))
    refused: EmulatorReport | None = None
    for j, name in enumerate(names):
        a = grids[j]
        low, high = float(a.min()), float(a.max())
        if parameter(name).choices or not high > low:
            continue
        others = tuple(i for i in range(len(names)) if i != j)
        poly_ranges = {names[i]: (float(grids[i].min()), float(grids[i].max())) for i in others}
        monomials, found = 1, None
        if poly_ranges:
            middle = math.sqrt(low * high) if _transform(low, high, options.get("transform"), name) == "log" else 0.5 * (low + high)
            found = polynomial_signal(likelihood.with_fixed({name: middle}), poly_ranges)
            if found is None:
                continue
            monomials = found.exponents.shape[0] * (1 if len(poly_ranges) == 1 else 2)
        needed = (2 * min_nodes + 1) * monomials + checks
        if points <= needed:
            return None, EmulatorReport(name, _transform(low, high, options.get("transform"), name), low, high, 0, 0,
                                        float(options.get("rtol", RTOL)), math.nan, 0, False,
                                        f"the grid's {points} points cost fewer full predictions than an emulator ({needed})",
                                        tuple(names[i] for i in others))
        emu = build_emulator(likelihood, name, (low, high), poly_ranges or None, budget=points, structure=found, **options)
        if emu is None:
            continue
        if emu.report.accepted:
            return EmulatedChunks(likelihood, emu, grids, (j, *others)), emu.report
        refused = emu.report
    return None, refused


def report_of(evaluate: object) -> EmulatorReport | None:
    """The :class:`EmulatorReport` of a scan's chunk evaluator, if an emulator was built
    or considered for it (see :func:`cevns.stats.scans.chunk_evaluator`)."""
    report = getattr(evaluate, "emulator_report", None)
    return report if isinstance(report, EmulatorReport) else None


__all__ = [
    "EmulatedChunks", "Emulator", "EmulatorReport", "MAX_NODES", "MIN_NODES", "N_CHECK", "RTOL",
    "barycentric_matrix", "build_emulator", "chebyshev_coefficients", "emulated_evaluator", "lobatto", "report_of",
]
