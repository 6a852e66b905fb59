"""Grid scans of χ² over named parameters: fast by construction, parallel, resumable.

Most parameters that CEvNS analyses scan enter the expected counts polynomially: the
vector couplings (NSI ε^{qV}_{αβ}, sin²θ_W, charge radius, millicharge) shift the weak
charge 𝒬 linearly and the rate is 𝒬² plus incoherent squares, so counts are quadratic in
them; a magnetic moment adds μ²; a mediator coupling g at fixed mass enters 𝒬 as g², so
counts are quartic in g; the 3+1 mixings |U_α4|² at fixed Δm²₄₁ enter quadratically.
:func:`polynomial_signal` finds such a dependence numerically — it fits every bin's counts
to a polynomial of total degree 2 (then 4) in the scan axes from a few exact
predictions, and accepts the fit only if it reproduces further exact predictions at
random points to 1e-9 of the total. A scan then costs one small matrix product for all
grid points plus the χ² with its pulls profiled in closed form, vectorised over the grid.
Parameters that are not polynomial (a radius, a mediator mass, Δm²₄₁) fail the check and
are evaluated point by point with the precomputed :class:`~cevns.rates.prediction.RatePredictor`.

A scan is split into chunks of flat grid indices; each chunk is a pure function of the
likelihood and the indices, so the result does not depend on how chunks are distributed.
Any :class:`concurrent.futures.Executor` runs them (see :mod:`cevns.runtime.parallel`); after each
finished chunk ``on_part`` (that chunk's indices and values) and ``on_chunk`` are called,
which is where the CLI appends the chunk to its store (:class:`~cevns.runtime.stores.ChunkStore`).
"""

from __future__ import annotations

import itertools
import math
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np

from cevns.runtime.parallel import run_chunks
from cevns.runtime.resources import check_memory, grid_bytes
from cevns.stats.fits import ONE_DOF_LEVELS, TWO_DOF_LEVELS, _bounds, fit
from cevns.stats.likelihood import Likelihood
from cevns.errors import InputError
from cevns.physics.parameters import parameter
from cevns.stats.chi2 import delta_chi2_threshold, interval_from_profile, intervals_and_open_ends


@dataclass(frozen=True)
class Scan:
    """χ² on the grid spanned by ``axes`` (name → 1-D values), shape = axis lengths;
    ``done`` marks the points computed so far (a resumed scan fills the rest)."""

    axes: dict[str, np.ndarray]
    chi2: np.ndarray
    done: np.ndarray

    @property
    def complete(self) -> bool:
        return bool(self.done.all())

    @property
    def delta_chi2(self) -> np.ndarray:
        return self.chi2 - np.nanmin(np.where(self.done, self.chi2, np.nan))

    def best(self) -> dict[str, float]:
        """Grid point of the smallest χ²."""
        idx = np.unravel_index(np.nanargmin(np.where(self.done, self.chi2, np.nan)), self.chi2.shape)
        return {name: float(axis[i]) for (name, axis), i in zip(self.axes.items(), idx)}

    def _axis_profiles(
        self, levels: Mapping[str, float] | None
    ) -> Iterator[tuple[str, np.ndarray, np.ndarray, dict[str, float]]]:
        """Per axis: its name, values, the Δχ² profile (min over the other axes) and the
        Δχ² threshold of each level for as many dof as axes."""
        d = len(self.axes)
        levels = levels or (ONE_DOF_LEVELS if d == 1 else TWO_DOF_LEVELS)
        thresholds = {label: float(delta_chi2_threshold(cl, d)) for label, cl in levels.items()}
        for k, (name, axis) in enumerate(self.axes.items()):
            other = tuple(i for i in range(d) if i != k)
            yield name, axis, np.nanmin(self.delta_chi2, axis=other) if other else self.delta_chi2, thresholds

    def allowed_ranges(self, levels: Mapping[str, float] | None = None) -> dict[str, dict[str, list[list[float]]]]:
        """Per axis and level, the intervals of the profile min over the other axes
        (thresholds for as many dof as axes, e.g. 2-D: 68/90/95% with 2 dof)."""
        return {name: {label: [[float(i.low), float(i.high)] for i in interval_from_profile(axis, prof, th)]
                       for label, th in thresholds.items()}
                for name, axis, prof, thresholds in self._axis_profiles(levels)}

    def allowed_open(self, levels: Mapping[str, float] | None = None) -> dict[str, dict[str, list[list[str]]]]:
        """For each piece of :meth:`allowed_ranges` (same keys, same order), the ends that
        the scanned range cuts, not the data (:attr:`cevns.stats.chi2.Interval.open_ends`):
        ``[]``, ``["low"]``, ``["high"]`` or ``["low", "high"]``."""
        return {name: {label: intervals_and_open_ends(axis, prof, th)[1] for label, th in thresholds.items()}
                for name, axis, prof, thresholds in self._axis_profiles(levels)}


#: Float64-sized arrays over the grid that a scan holds at its peak: Δχ², the Δχ² of the
#: results, the indices still to do, a profile or plot copy (and the ``done`` flags).
SCAN_FLOATS_PER_POINT = 4.25


def check_grid(shape: Sequence[int]) -> None:
    """Refuse (:class:`~cevns.runtime.resources.MemoryLimitError`, one line with the
    estimate) a scan grid of this shape whose arrays would not fit in memory, before
    anything of its size is allocated. The scan's arrays hold the full grid (the stored
    chunks are saved as they come, but the grid itself lives in memory)."""
    points = math.prod(int(n) for n in shape)
    check_memory(f"a scan of {points:.3g} points ({' × '.join(str(int(n)) for n in shape)})",
                 grid_bytes(points, SCAN_FLOATS_PER_POINT), "use fewer points per axis")


def empty_scan(axes: Mapping[str, Sequence[float] | np.ndarray]) -> Scan:
    """A scan with nothing computed yet; raises ValueError for an axis with < 1 point, and
    :class:`~cevns.runtime.resources.MemoryLimitError` for a grid beyond the memory limit
    (:func:`check_grid`)."""
    grid = {name: np.asarray(values, dtype=float) for name, values in axes.items()}
    for name, a in grid.items():
        if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a)):
            raise InputError(f"scan axis {name}: need a 1-D array of ≥ 1 finite values")
    shape = tuple(a.size for a in grid.values())
    check_grid(shape)
    return Scan(grid, np.full(shape, np.nan), np.zeros(shape, dtype=bool))


# --- polynomial dependence on the scan axes --------------------------------------------------
def _exponents(k: int, degree: int) -> np.ndarray:
    """All exponent tuples of k variables with total degree ≤ ``degree``, (n_mono, k)."""
    rows = [e for e in itertools.product(range(degree + 1), repeat=k) if sum(e) <= degree]
    return np.array(sorted(rows, key=lambda e: (sum(e), e)), dtype=int).reshape(-1, k)


@dataclass(frozen=True)
class PolynomialSignal:
    """Expected signal per data bin as an exact polynomial in the named parameters:
    s(θ) = Σ_m c_m Π_j u_j^{e_mj}, u = (θ − centre)/half_width (scaled for conditioning).

    ``coefficients`` (n_mono, bins); ``exponents`` (n_mono, k)."""

    names: tuple[str, ...]
    centre: np.ndarray
    half_width: np.ndarray
    exponents: np.ndarray
    coefficients: np.ndarray

    def basis(self, points: np.ndarray) -> np.ndarray:
        """Monomials at ``points`` (n, k) → (n, n_mono)."""
        u = (np.asarray(points, dtype=float) - self.centre) / self.half_width
        powers = u[:, None, :] ** self.exponents[None, :, :]
        return np.prod(powers, axis=-1)

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Signal per bin at ``points`` (n, k) in the order of ``names`` → (n, bins)."""
        return self.basis(points) @ self.coefficients


def _probe_signals(likelihood: Likelihood, names: Sequence[str], points: np.ndarray) -> np.ndarray:
    return np.stack([likelihood.signal(dict(zip(names, map(float, p)))) for p in points])


def polynomial_signal(
    likelihood: Likelihood,
    ranges: Mapping[str, tuple[float, float]],
    max_degree: int = 4,
    rtol: float = 1e-9,
    seed: int = 20171123,
) -> PolynomialSignal | None:
    """The signal of ``likelihood`` as an exact polynomial in the parameters of
    ``ranges`` (name → (low, high), the region probed), or None if it is not one of total
    degree ≤ ``max_degree``.

    For degree 2, then 4: the coefficients are the least-squares solution on 2 n_mono
    random probe points (an exact polynomial is recovered to rounding); the result is
    accepted if it predicts the signal at k + 4 further random points to ``rtol`` × the
    largest total signal. A parameter that takes a name (a choice) is never polynomial.
    """
    names = tuple(ranges)
    if not names or any(parameter(n).choices for n in names):
        return None
    lo = np.array([float(ranges[n][0]) for n in names])
    hi = np.array([float(ranges[n][1]) for n in names])
    centre = 0.5 * (lo + hi)
    half = np.where(hi > lo, 0.5 * (hi - lo), np.maximum(1e-3, 1e-3 * np.abs(centre)))
    for n, c, h in zip(names, centre, half):  # keep probes inside the parameter's domain
        low, high = _bounds(n)
        if (low is not None and c - h < low) or (high is not None and c + h > high):
            return None
    rng = np.random.default_rng(seed)
    k = len(names)
    for degree in (2, 4):
        if degree > max_degree:
            break
        exps = _exponents(k, degree)
        probe = rng.uniform(-1.0, 1.0, size=(2 * len(exps), k))
        check = rng.uniform(-1.0, 1.0, size=(k + 4, k))
        model = PolynomialSignal(names, centre, half, exps, np.zeros((len(exps), 0)))
        signals = _probe_signals(likelihood, names, centre + half * probe)
        coef = np.linalg.lstsq(model.basis(centre + half * probe), signals, rcond=None)[0]
        model = PolynomialSignal(names, centre, half, exps, coef)
        exact = _probe_signals(likelihood, names, centre + half * check)
        scale = max(float(np.abs(signals).sum(axis=1).max()), 1e-300)
        if np.max(np.abs(model(centre + half * check) - exact)) <= rtol * scale:
            return model
    return None


@dataclass(frozen=True)
class GridSignal:
    """A :class:`PolynomialSignal` on the tensor grid of ``axes`` (one 1-D array per name),
    evaluated at flat grid indices (C order, the last axis fastest) — the same polynomial,
    regrouped so that a grid costs a few flops per point.

    Precomputed: ``powers[j]`` (n_j, P), the monomials u_j^p, p = 0 … P − 1, of axis j
    (u = (θ − centre)/half_width, as :meth:`PolynomialSignal.basis`), and ``coefficients``
    (n_mono, P·bins), the polynomial's coefficients sorted by the power of the last axis.
    For a row o of the grid (all axes but the last fixed) the signal is a polynomial in the
    last axis, s_b(o, j) = Σ_p T_pb(o) y_j^p with T(o) = φ(o)·C from the other axes'
    monomials φ (Horner's regrouping along the last axis); a chunk of consecutive points is
    then one matrix product of its rows' T with the last axis' power table. Other index
    sets (resumed scans) fall back to the point-wise :class:`PolynomialSignal`.
    ``axes`` are the grid's values, ``shape`` their lengths; ``table`` (rows, P, bins),
    if given, holds T of every row (computed per chunk otherwise).
    """

    signal: PolynomialSignal
    axes: tuple[np.ndarray, ...]
    shape: tuple[int, ...]
    powers: tuple[np.ndarray, ...]
    coefficients: np.ndarray

    table: np.ndarray | None = None

    def _rows(self, start: int, stop: int) -> np.ndarray:
        """T of the grid rows start … stop − 1 → (rows, P, bins)."""
        if self.table is not None:
            return self.table[start:stop]
        exps, p = self.signal.exponents, self.powers[-1].shape[1]
        rows = np.arange(start, stop)
        phi = np.ones((rows.size, exps.shape[0]))
        if len(self.shape) > 1:
            for j, i in enumerate(np.unravel_index(rows, self.shape[:-1])):
                phi *= self.powers[j][i][:, exps[:, j]]
        return (phi @ self.coefficients).reshape(rows.size, p, -1)

    def __call__(self, flat: np.ndarray) -> np.ndarray:
        """Signal per bin at the flat grid indices ``flat`` → (n, bins)."""
        flat = np.asarray(flat)
        n, last = flat.size, self.shape[-1]
        bins = self.signal.coefficients.shape[1]
        first = int(flat[0]) if n else 0
        if n == 0 or int(flat[-1]) - first != n - 1 or (n > 1 and not bool(np.all(flat[1:] > flat[:-1]))):
            idx = np.unravel_index(flat, self.shape)
            return self.signal(np.column_stack([a[i] for a, i in zip(self.axes, idx)]))
        y = self.powers[-1]
        o0, j0 = divmod(first, last)
        o1, j1 = divmod(first + n - 1, last)
        t = self._rows(o0, o1 + 1)
        if o0 == o1:
            return y[j0 : j1 + 1] @ t[0]
        out = np.empty((n, bins))
        head = last - j0
        out[:head] = y[j0:] @ t[0]
        full = o1 - o0 - 1
        if full:
            mid = out[head : head + full * last]
            if bins == 1:  # (rows, P) @ (P, last): one matrix product
                np.matmul(t[1:-1, :, 0], y.T, out=mid.reshape(full, last))
            else:
                np.matmul(y, t[1:-1], out=mid.reshape(full, last, bins))
        out[head + full * last :] = y[: j1 + 1] @ t[-1]
        return out



def grid_signal(signal: PolynomialSignal, axes: Sequence[np.ndarray]) -> GridSignal:
    """Precompute :class:`GridSignal` for ``signal`` on the grid of ``axes`` (in the order
    of ``signal.names``)."""
    grids = tuple(np.asarray(a, dtype=float) for a in axes)
    exps = signal.exponents
    p = int(exps.max()) + 1 if exps.size else 1
    powers = tuple(
        ((a - c) / h)[:, None] ** np.arange(p)[None, :] for a, c, h in zip(grids, signal.centre, signal.half_width)
    )
    bins = signal.coefficients.shape[1]
    coef = np.zeros((exps.shape[0], p, bins))
    coef[np.arange(exps.shape[0]), exps[:, -1], :] = signal.coefficients
    grid = GridSignal(signal, grids, tuple(a.size for a in grids), powers, coef.reshape(exps.shape[0], p * bins))
    rows = int(np.prod(grid.shape[:-1]))
    if rows * p * bins <= _ROW_TABLE_MAX:  # small enough to keep (and to send to workers): all rows once
        grid = GridSignal(grid.signal, grid.axes, grid.shape, grid.powers, grid.coefficients, grid._rows(0, rows))
    return grid


#: Largest table of all rows' T (float64 entries, 2 MiB) that :func:`grid_signal` precomputes.
_ROW_TABLE_MAX = 1 << 18


# --- chunks ---------------------------------------------------------------------------------
#: Points per evaluation of the polynomial path: larger chunks are cut into pieces this long
#: (with 12 bins, 65536-point pieces ran ~4× slower than 8192 on the project's machine).
_CACHE_POINTS = 8192

@dataclass(frozen=True)
class _PolynomialChunks:
    """χ² from the polynomial signal and the closed-form pulls, for any flat indices."""

    likelihood: Likelihood
    signal: PolynomialSignal
    axes: tuple[np.ndarray, ...]
    grid: GridSignal = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "grid", grid_signal(self.signal, self.axes))

    def __call__(self, flat: np.ndarray) -> np.ndarray:
        flat = np.asarray(flat)
        if flat.size > _CACHE_POINTS:  # work arrays of (points, bins) stay in cache
            return np.concatenate([self(flat[i : i + _CACHE_POINTS]) for i in range(0, flat.size, _CACHE_POINTS)])
        return np.asarray(self.likelihood.chi2_from_signal(self.grid(flat)), dtype=float)


@dataclass(frozen=True)
class _PointChunks:
    """χ² point by point; ``profiled`` parameters minimised at each point (iminuit)."""

    likelihood: Likelihood
    names: tuple[str, ...]
    axes: tuple[np.ndarray, ...]
    profiled: tuple[tuple[str, float], ...] = ()

    def __call__(self, flat: np.ndarray) -> np.ndarray:
        idx = np.unravel_index(flat, tuple(a.size for a in self.axes))
        out = np.empty(flat.size)
        for j in range(flat.size):
            point = {n: float(a[i[j]]) for n, a, i in zip(self.names, self.axes, idx)}
            if self.profiled:
                out[j] = fit(self.likelihood.with_fixed(point), dict(self.profiled)).chi2_min
            else:
                out[j] = self.likelihood.chi2(point)
        return out


def chunk_evaluator(
    likelihood: Likelihood, axes: Mapping[str, np.ndarray], profiled: Mapping[str, float] | None = None, fast: bool = True
) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """The function flat indices → χ² for this scan, and its method ("polynomial" or
    "per-point"). ``fast=False`` forces the per-point evaluation (a cross-check)."""
    names = tuple(axes)
    grids = tuple(np.asarray(axes[n], dtype=float) for n in names)
    if fast and not profiled:
        poly = polynomial_signal(likelihood, {n: (float(a.min()), float(a.max())) for n, a in zip(names, grids)})
        if poly is not None:
            return _PolynomialChunks(likelihood, poly, grids), "polynomial"
    return _PointChunks(likelihood, names, grids, tuple((profiled or {}).items())), "per-point"


def scan(
    likelihood: Likelihood,
    state: Scan,
    profiled: Mapping[str, float] | None = None,
    chunk: int | None = None,
    on_chunk: Callable[[Scan, int], None] | None = None,
    executor: Executor | None = None,
    fast: bool = True,
    on_part: Callable[[np.ndarray, dict[str, np.ndarray]], None] | None = None,
    prepared: tuple[Callable[[np.ndarray], np.ndarray], str] | None = None,
) -> Scan:
    """Fill the points of ``state`` not yet done and return it (its arrays are filled in
    place, so a caller's saved copy is always current).

    ``profiled``: other parameters minimised at every point (start values). ``chunk``:
    points per task (default 8192 for a polynomial signal; point by point 256, or
    1024 on an executor);
    ``on_chunk(state, n_new)`` is called after each finished chunk, in the calling process,
    and before it ``on_part(flat_indices, {"chi2": values})`` with only that chunk's
    results (what a :class:`~cevns.runtime.stores.ChunkStore` appends: saving costs the
    new work, not the grid);
    ``executor`` runs the chunks (default: here, in order). ``fast=False`` evaluates every
    point with the full prediction. ``prepared``: the result of :func:`chunk_evaluator`
    for these arguments, if the caller already has it (to plan the executor).
    """
    evaluate, method = prepared or chunk_evaluator(likelihood, state.axes, profiled, fast)
    # per point: small chunks for progress here, larger ones for workers (less hand-off)
    chunk = chunk or (8192 if method == "polynomial" else 256 if executor is None else 1024)
    if chunk < 1:
        raise InputError("chunk must be ≥ 1 point")
    todo = np.flatnonzero(~state.done.ravel())
    parts = [todo[i : i + chunk] for i in range(0, todo.size, chunk)]
    chi2, done = state.chi2.reshape(-1), state.done.reshape(-1)

    def store(args: tuple[np.ndarray], values: np.ndarray) -> None:
        chi2[args[0]] = values
        done[args[0]] = True
        if on_part:
            on_part(args[0], {"chi2": np.asarray(values, dtype=float)})
        if on_chunk:
            on_chunk(state, args[0].size)

    run_chunks(evaluate, [(part,) for part in parts], store, executor)
    return state


__all__ = ["PolynomialSignal", "Scan", "chunk_evaluator", "empty_scan", "polynomial_signal", "scan"]
