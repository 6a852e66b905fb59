"""Grid scans of χ² over named parameters: fast by construction, parallel, resumable.

Most parameters that CEvNS analyses scan enter the expected counts polynomially: the
vector couplings (NSI ε^{qV}_{αβ}, sin²θ_W, charge radius, millicharge) shift the weak
charge 𝒬 linearly and the rate is 𝒬² plus incoherent squares, so counts are quadratic in
them; a magnetic moment adds μ²; a mediator coupling g at fixed mass enters 𝒬 as g², so
counts are quartic in g; the 3+1 mixings ``|U_α4|²`` at fixed Δm²₄₁ enter quadratically.
:func:`polynomial_signal` finds such a dependence numerically — it fits every bin's counts
to a polynomial of total degree 2 (then 4) in the scan axes from a few exact
predictions, and accepts the fit only if it reproduces further exact predictions at
random points to 1e-9 of the total. A scan then costs one small matrix product for all
grid points plus the χ² with its pulls profiled in closed form, vectorised over the grid.
Parameters that are not polynomial (a radius, a mediator mass, Δm²₄₁) fail the check; one
of them (with any polynomial axes beside it) gets a Chebyshev emulator verified against
full predictions at random points (:mod:`cevns.stats.emulators`), and otherwise — or with
``emulate=False`` — every point is evaluated with the precomputed
:class:`~cevns.rates.prediction.RatePredictor`.

A scan is split into chunks of flat grid indices; each chunk is a pure function of the
likelihood and the indices, so the result does not depend on how chunks are distributed.
Any :class:`concurrent.futures.Executor` runs them (see :mod:`cevns.runtime.parallel`); after each
finished chunk ``on_part`` (that chunk's indices and values) and ``on_chunk`` are called,
which is where the CLI appends the chunk to its store (:class:`~cevns.runtime.stores.ChunkStore`).

Memory: :func:`scan` takes the points still to do block by block (:data:`BLOCK_POINTS`),
handing the executor a bounded number of chunks at a time, and the summaries of
:class:`Scan` (best point, minimum, per-axis profiles, allowed ranges) are running minima
over blocks, so no work array has the size of the grid. A grid whose in-memory estimate
exceeds the memory limit is backed by memory-mapped files (:func:`empty_scan`,
:func:`check_grid`), whose pages are released block by block, after its disk has been
estimated against the free space. Every result is the same, bit for bit, as with the
whole grid in memory (a minimum is exact; the chunks are the same pieces).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import tempfile
import threading
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence

import numpy as np

from cevns.runtime.parallel import run_chunks
from cevns.runtime.stores import release_pages
from cevns.runtime.resources import check_disk, check_memory, grid_bytes, memory_limit
from cevns.stats.fits import ONE_DOF_LEVELS, TWO_DOF_LEVELS, _bounds, fit
from cevns.stats.likelihood import Likelihood
from cevns.errors import InputError, OutputError
from cevns.physics.parameters import parameter
from cevns.stats.chi2 import TwoPullChi2, delta_chi2_threshold, interval_from_profile, intervals_and_open_ends

if TYPE_CHECKING:
    from cevns.stats.emulators import EmulatorReport


#: Points of the grid handled at a time by :func:`scan` (the indices still to do) and by the
#: summaries of :class:`Scan` (running minima): 2²⁰, a multiple of every default chunk, so
#: the work arrays of a scan are bounded whatever the size of its grid.
BLOCK_POINTS = 1 << 20


def _flat_blocks(size: int, block: int | None = None) -> Iterator[slice]:
    """Consecutive flat ranges of ≤ ``block`` (:data:`BLOCK_POINTS`) points covering
    ``size`` points."""
    block = block or BLOCK_POINTS
    return (slice(i, min(i + block, size)) for i in range(0, size, block))


def _grid_blocks(shape: tuple[int, ...], block: int | None = None) -> Iterator[tuple[int, tuple[int, ...], int, int]]:
    """The grid of ``shape`` cut into boxes of ≤ ``block`` points (unless one line of the
    last axis alone is longer), in C order: ``(j, prefix, a, b)`` is the box with the axes
    before j fixed at ``prefix``, axis j running over a … b − 1 and the axes after it whole
    — a contiguous flat range."""
    block = block or BLOCK_POINTS
    d = len(shape)
    j = next(j for j in range(d) if math.prod(shape[j + 1 :]) <= block)
    rows = max(1, block // math.prod(shape[j + 1 :]))
    for prefix in np.ndindex(*shape[:j]):
        for a in range(0, shape[j], rows):
            yield j, tuple(int(i) for i in prefix), a, min(a + rows, shape[j])


@dataclass(frozen=True)
class Scan:
    """χ² on the grid spanned by ``axes`` (name → 1-D values), shape = axis lengths;
    ``done`` marks the points computed so far (a resumed scan fills the rest).

    ``chi2`` and ``done`` are arrays in memory or, for a grid beyond the memory limit,
    memory-mapped files (:func:`empty_scan`); the summaries below read them block by block
    (:data:`BLOCK_POINTS`), so they need no array of the grid's size."""

    axes: dict[str, np.ndarray]
    chi2: np.ndarray
    done: np.ndarray

    @property
    def complete(self) -> bool:
        return self.remaining() == 0

    def remaining(self) -> int:
        """Points not done yet (counted block by block)."""
        done = self.done.reshape(-1)
        count = done.size
        for b in _flat_blocks(done.size):
            count -= int(np.count_nonzero(done[b]))
            release_pages(self.done)
        return count

    def pending(self, n: int) -> np.ndarray:
        """The first ≤ ``n`` flat indices not done yet (C order), read block by block."""
        done = self.done.reshape(-1)
        found: list[np.ndarray] = []
        left = n
        for b in _flat_blocks(done.size):
            if left <= 0:
                break
            idx = np.flatnonzero(~np.asarray(done[b]))[:left] + b.start
            release_pages(self.done)
            found.append(idx)
            left -= idx.size
        return np.concatenate(found) if found else np.empty(0, dtype=np.intp)

    def chi2_min(self) -> float:
        """The smallest χ² of the points done (NaN if none), a running minimum over blocks:
        the same value as ``np.nanmin`` over the whole grid (a minimum is exact)."""
        chi2, done = self.chi2.reshape(-1), self.done.reshape(-1)
        least = math.nan
        for b in _flat_blocks(chi2.size):
            least = float(np.fmin(least, np.fmin.reduce(np.where(done[b], chi2[b], np.nan))))
            release_pages(self.chi2, self.done)
        return least

    @property
    def delta_chi2(self) -> np.ndarray:
        """Δχ² = χ² − :meth:`chi2_min` over the whole grid (an array of the grid's size: for
        plots of grids that fit in memory)."""
        return self.chi2 - self.chi2_min()

    def best(self) -> dict[str, float]:
        """Grid point of the smallest χ² (the first in C order, as :func:`numpy.nanargmin`),
        found block by block."""
        chi2, done = self.chi2.reshape(-1), self.done.reshape(-1)
        where, least = -1, math.inf
        for b in _flat_blocks(chi2.size):
            part = np.where(done[b], chi2[b], np.nan)
            release_pages(self.chi2, self.done)
            if np.all(np.isnan(part)):
                continue
            i = int(np.nanargmin(part))
            if where < 0 or part[i] < least:
                where, least = b.start + i, float(part[i])
        if where < 0:
            raise ValueError("All-NaN slice encountered")
        idx = np.unravel_index(where, self.chi2.shape)
        return {name: float(axis[i]) for (name, axis), i in zip(self.axes.items(), idx)}

    def profiles(self) -> list[np.ndarray]:
        """Per axis, the Δχ² profile: the minimum of Δχ² over the other axes (NaN-ignoring),
        as running minima over boxes of the grid (:func:`_grid_blocks`). Since x ↦ fl(x − m)
        is monotone, min(χ²) − m equals min(χ² − m) bit for bit."""
        shape = self.chi2.shape
        d = len(shape)
        prof = [np.full(n, np.nan) for n in shape]
        for j, prefix, a, b in _grid_blocks(shape):
            box = np.asarray(self.chi2[prefix + (slice(a, b),)])
            for k in range(d):
                if k < j:
                    prof[k][prefix[k]] = np.fmin(prof[k][prefix[k]], np.fmin.reduce(box, axis=None))
                    continue
                other = tuple(i for i in range(box.ndim) if i != k - j)
                part = np.fmin.reduce(box, axis=other) if other else box
                if k == j:
                    prof[k][a:b] = np.fmin(prof[k][a:b], part)
                else:
                    prof[k] = np.fmin(prof[k], part)
            release_pages(self.chi2)
        m = self.chi2_min()
        return [p - m for p in prof]

    def _axis_profiles(
        self, levels: Mapping[str, float] | None
    ) -> Iterator[tuple[str, np.ndarray, np.ndarray, dict[str, float]]]:
        """Per axis: its name, values, the Δχ² profile (min over the other axes) and the
        Δχ² threshold of each level for as many dof as axes."""
        d = len(self.axes)
        levels = levels or (ONE_DOF_LEVELS if d == 1 else TWO_DOF_LEVELS)
        thresholds = {label: float(delta_chi2_threshold(cl, d)) for label, cl in levels.items()}
        for (name, axis), prof in zip(self.axes.items(), self.profiles()):
            yield name, axis, prof, thresholds

    def allowed(
        self, levels: Mapping[str, float] | None = None
    ) -> tuple[dict[str, dict[str, list[list[float]]]], dict[str, dict[str, list[list[str]]]]]:
        """(:meth:`allowed_ranges`, :meth:`allowed_open`) from one pass of the profiles over
        the grid (each alone reads the whole grid once)."""
        ranges: dict[str, dict[str, list[list[float]]]] = {}
        ends: dict[str, dict[str, list[list[str]]]] = {}
        for name, axis, prof, thresholds in self._axis_profiles(levels):
            ranges[name], ends[name] = {}, {}
            for label, th in thresholds.items():
                ranges[name][label], ends[name][label] = intervals_and_open_ends(axis, prof, th)
        return ranges, ends

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


#: Float64-sized arrays over the grid that a scan held in memory at its peak before its
#: summaries went block by block (Δχ², the Δχ² of the results, the indices still to do, a
#: profile or plot copy, the ``done`` flags): a grid whose arrays estimated so fit the
#: memory limit is kept in memory, exactly as before.
SCAN_FLOATS_PER_POINT = 4.25
#: Float64-sized arrays over a block (:data:`BLOCK_POINTS`) that a scan over a memory-mapped
#: grid holds at its peak: the block's indices still to do or its masked χ² (8 bytes a
#: point), the mapped pages of χ² and flags in use (9) and a flag temporary (1), rounded up.
BLOCK_FLOATS_PER_POINT = 2.5
#: Bytes a grid point of the scan's own arrays: χ² (float64) and the done flag.
GRID_BYTES_PER_POINT = 9
#: Bytes of disk a point of a memory-mapped scan from the command line may use at its peak:
#: the mapped arrays (9), the store's base (9), its journal of chunks (index, χ², flag: 17)
#: and the final file written beside the base (9).
STORE_BYTES_PER_POINT = 44


def _grid_text(shape: Sequence[int]) -> str:
    points = math.prod(int(n) for n in shape)
    return f"a scan of {points:.3g} points ({' × '.join(str(int(n)) for n in shape)})"


def check_grid(shape: Sequence[int], folder: str | Path | None = None, store: bool = False) -> bool:
    """Check, before anything of its size is allocated, where a scan grid of this shape
    can live; True if it is to be memory-mapped.

    A grid whose in-memory estimate (:data:`SCAN_FLOATS_PER_POINT` floats a point) fits
    :func:`~cevns.runtime.resources.memory_limit` stays in memory (False). Beyond it, the
    grid is backed by memory-mapped files in ``folder`` (the system's temporary folder if
    None) if its own arrays (:data:`GRID_BYTES_PER_POINT`) still fit the limit — the
    stored scan is read back whole by ``--resume`` and by readers of the file — and the
    folder has the disk for them (:data:`STORE_BYTES_PER_POINT` a point with ``store``,
    the command line's store beside them): then the memory needed is that of a block
    (:data:`BLOCK_POINTS` × :data:`BLOCK_FLOATS_PER_POINT`) and of the per-axis arrays. Otherwise refused with one line:
    :class:`~cevns.runtime.resources.MemoryLimitError` (the in-memory estimate) or
    :class:`~cevns.runtime.resources.DiskLimitError` (the disk estimate, the free space).
    """
    points = math.prod(int(n) for n in shape)
    what = _grid_text(shape)
    in_memory = grid_bytes(points, SCAN_FLOATS_PER_POINT)
    limit = memory_limit()[0]
    if in_memory <= limit or not points * GRID_BYTES_PER_POINT <= limit:
        check_memory(what, in_memory, "use fewer points per axis (a grid memory-mapped to disk still needs "
                     f"its stored arrays, {GRID_BYTES_PER_POINT} bytes a point, within the limit)")
        return False
    block = min(points, BLOCK_POINTS)
    check_memory(f"{what}, memory-mapped", grid_bytes(block, BLOCK_FLOATS_PER_POINT) + grid_bytes(sum(shape), 4.0),
                 "use fewer points per axis")
    check_disk(f"{what}, memory-mapped", float(points) * (STORE_BYTES_PER_POINT if store else GRID_BYTES_PER_POINT),
               folder if folder is not None else tempfile.gettempdir(), "use fewer points per axis or free some disk")
    return True


def _mapped(folder: Path, shape: tuple[int, ...], dtype: type, fill: float | bool) -> np.ndarray:
    """A memory-mapped array of ``shape`` filled with ``fill``, whose file in ``folder`` is
    removed at once: the mapping keeps the data (and the disk) until the array is freed,
    and no file is ever left behind, whatever ends the process."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=".scan-", suffix=".npy")
    os.close(fd)
    try:
        array = np.lib.format.open_memmap(name, mode="w+", dtype=dtype, shape=shape)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)
    flat = array.reshape(-1)
    for b in _flat_blocks(flat.size) if fill else ():  # a new file reads as zeros (False) already
        flat[b] = fill
        release_pages(array)
    return array


def empty_scan(axes: Mapping[str, Sequence[float] | np.ndarray], scratch: str | Path | None = None) -> Scan:
    """A scan with nothing computed yet; raises ValueError for an axis with < 1 point, and
    :class:`~cevns.runtime.resources.MemoryLimitError` or
    :class:`~cevns.runtime.resources.DiskLimitError` for a grid that fits neither
    (:func:`check_grid`). A grid beyond the memory limit gets memory-mapped arrays in
    ``scratch`` (a folder, made if needed and removed again if left empty; the system's
    temporary folder if None) whose files are unlinked as soon as they are mapped."""
    grid = {name: np.asarray(values, dtype=float) for name, values in axes.items()}
    for name, a in grid.items():
        if a.ndim != 1 or a.size < 1 or not np.all(np.isfinite(a)):
            raise InputError(f"scan axis {name}: need a 1-D array of ≥ 1 finite values")
    shape = tuple(a.size for a in grid.values())
    if not check_grid(shape, scratch):
        return Scan(grid, np.full(shape, np.nan), np.zeros(shape, dtype=bool))
    folder = Path(scratch) if scratch is not None else Path(tempfile.gettempdir())
    made = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return Scan(grid, _mapped(folder, shape, np.float64, np.nan), _mapped(folder, shape, np.bool_, False))
    except OSError as exc:
        raise OutputError.writing(folder, exc) from None
    finally:
        if made:
            with contextlib.suppress(OSError):
                folder.rmdir()


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
        # φ·C summed monomial after monomial, not by a BLAS product, whose rounding depends
        # on how many rows it is given: a row's T is then the same bits in every chunk
        table = np.zeros((rows.size, self.coefficients.shape[1]))
        for m in range(exps.shape[0]):
            table += phi[:, m : m + 1] * self.coefficients[m]
        return table.reshape(rows.size, p, -1)

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
#: Points per evaluation of :class:`RowKernel` (larger pieces spend less per point on calls:
#: 19.4, 15.6, 14.1 ns/point at 8192, 16384, 32768 on the project's machine, 12 bins); a
#: point's value does not depend on the piece it is in (products by fixed blocks of columns,
#: :meth:`RowKernel._products`).
_ROW_POINTS = 32768

#: Columns of the last axis per product of :class:`RowKernel` (blocks start at multiples of it).
_ROW_BLOCK = 1024
#: Grid rows factorised at a time by :class:`RowKernel` when it has no table of all rows.
_FACTOR_ROWS = 512
#: Largest table of every row's factors (float64 entries, 8 MiB) that :func:`row_kernel`
#: precomputes (12 values a row for a quadratic signal: 8.7 × 10⁴ rows).
_FACTOR_TABLE_MAX = 1 << 20

#: Shortest last axis for which :class:`RowKernel` is used (one small matrix product per
#: grid row in a chunk: short rows would cost more calls than points).
ROW_KERNEL_MIN_ROW = 128


def _background_root(background: np.ndarray, sigma_beta: float) -> float:
    """c with (1 − c ββᵀ)² = 1 − σ_β² ββᵀ/(1 + σ_β² β·β): the square root of the metric
    that profiling the background pull leaves (``background`` = β, scaled by 1/σ_stat).

    (1 − cββᵀ)² = 1 − (2c − c²β·β)ββᵀ, so c β·β = 1 − 1/√(1 + a) with a = σ_β² β·β, written
    a/(s(1 + s)), s = √(1 + a), to keep its relative precision for small a."""
    bb = float(background @ background)
    if bb == 0.0:
        return 0.0
    a = sigma_beta * sigma_beta * bb
    s = math.sqrt(1.0 + a)
    return a / (s * (1.0 + s)) / bb


@dataclass(frozen=True)
class RowKernel:
    """The profiled two-pull χ² of a :class:`GridSignal` with several bins, evaluated on
    consecutive grid points from a few components per point instead of every bin.

    Same statistic as :class:`cevns.stats.chi2.TwoPullChi2` (both normalisation pulls
    profiled; Papoulias & Kosmas, HNPS proceedings, arXiv:1711.09773, Eq. 6), rearranged
    exactly. With w = 1/σ²_stat, the scaled signal Z_b = √w_b S_b, the scaled data
    γ_b = √w_b (n_b − B_b) and background β_b = √w_b B_b, the pulls in σ units ξ enter as
    χ²(ξ) = |γ − (1 + σ_α ξ_α) Z − σ_β ξ_β β|² + ξ_α² + ξ_β². Profiling ξ_β leaves the
    metric M = 1 − σ_β² ββᵀ/(1 + σ_β² β·β) = H², H = 1 − c ββᵀ (:func:`_background_root`);
    with d = γ − Z, then ξ_α (Lagrange's identity, |d|²|Z|² − (d·Z)² = |γ ∧ Z|²),

    .. math::
       χ^2 = \\frac{|Hd|^2 + σ_α^2 |Hγ|^2 |Z_⊥|^2}{1 + σ_α^2 |HZ|^2},

    Z_⊥ the part of HZ orthogonal to Hγ. On a grid row o (all axes but the last fixed) the
    signal is Z(o, y) = Σ_p K_p(o) y^p (:class:`GridSignal`), so HZ lies in the span of
    Hγ, HK_0 … HK_{P−1}: a QR factorisation of those columns (once per row: R(o), upper
    triangular, ``factors``) gives the components of every vector in an orthonormal basis
    whose first vector is along Hγ. With ρ = R_00 = ±|Hγ| and z_i = Σ_p R_{i,p+1} y^p,
    d_0 = ρ − z_0 and

    .. math::
       χ^2 = \\frac{d_0^2 + (1 + σ_α^2 ρ^2) Σ_{i≥1} z_i^2}{1 + σ_α^2 (z_0^2 + Σ_{i≥1} z_i^2)}:

    per point one (m × P) product with the last axis' power table (m ≤ P + 1 components,
    4 for a quadratic signal, whatever the number of bins) and a few passes. Every term is
    a sum of squares of components evaluated like the signal itself — no subtraction of
    large sums — so it keeps the precision of the residual form (:class:`TwoPullChi2`)
    also where the pulls absorb almost all of the residual (tests: to 1e-12 of
    max(χ², 1) on the whole ±1 NSI grid of CsI 2017 and at 10⁵–10⁶ events a bin).

    ``powers`` (P, L): y^p of the last axis, transposed; ``factors`` (rows or None, m, P):
    per row, the coefficients of d_0 then z_1 … z_{m−1} (None: factorised per chunk);
    ``rho`` = R_00; ``root`` = c of H; ``root_w`` = √w.
    """

    grid: GridSignal
    kernel: TwoPullChi2
    powers: np.ndarray
    root_w: np.ndarray
    root: float
    rho: float
    factors: np.ndarray | None = None
    _blocks: dict[int, np.ndarray] = field(default_factory=dict, init=False, repr=False, compare=False)

    def rows(self, start: int, stop: int) -> np.ndarray:
        """The coefficients of d_0, z_1 … z_{m−1} of the grid rows start … stop − 1 →
        (rows, m, P); without the table of all rows, factorised by blocks of
        :data:`_FACTOR_ROWS` rows, the last one or two kept (consecutive chunks share them)."""
        if self.factors is not None:
            return self.factors[start:stop]
        parts = []
        for block in range(start // _FACTOR_ROWS, (stop - 1) // _FACTOR_ROWS + 1):
            factors = self._blocks.get(block)  # get, clear and set only: safe for threads sharing the kernel
            if factors is None:
                first, total = block * _FACTOR_ROWS, int(np.prod(self.grid.shape[:-1]))
                rows = self.grid._rows(first, min(total, first + _FACTOR_ROWS))
                factors = _row_factors(rows, self.kernel, self.root_w, self.root)[0]
                if len(self._blocks) >= 2:
                    self._blocks.clear()
                self._blocks[block] = factors
            low = max(start - block * _FACTOR_ROWS, 0)
            parts.append(factors[low : stop - block * _FACTOR_ROWS])
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _products(self, coef: np.ndarray, c0: int, c1: int, out: np.ndarray) -> None:
        """The components of rows ``coef`` (r, m, P) at the columns c0 … c1 − 1 of the last
        axis into ``out`` (r, m, c1 − c0), one product per block of :data:`_ROW_BLOCK`
        columns (c0 and c1 on block edges): a point's value then comes from the same BLAS
        call however the points are cut into chunks (BLAS can round a column differently
        with where it falls in a product: 1 in 300 random column ranges of small products
        on the project's machine), so a scan is the same bit for bit."""
        for a in range(c0, c1, _ROW_BLOCK):
            b = min(c1, a + _ROW_BLOCK)
            np.matmul(coef, self.powers[:, a:b], out=out[:, :, a - c0 : b - c0])

    def __call__(self, first: int, n: int) -> np.ndarray:
        """χ² at the flat indices first … first + n − 1."""
        last = self.grid.shape[-1]
        o0, j0 = divmod(first, last)
        o1 = (first + n - 1) // last
        coef = self.rows(o0, o1 + 1)
        rows, m = coef.shape[0], coef.shape[1]
        whole = rows * last <= n + n // 4  # the spanned rows whole (≤ 25 % more points): one product a block
        span = rows * last if whole else n
        work = _work_array((m + 1) * span)
        parts, perp = work[: m * span].reshape(m, span), work[m * span :]  # components first: contiguous passes
        if whole:
            self._products(coef, 0, last, parts.reshape(m, rows, last).transpose(1, 0, 2))
        else:  # row by row, the blocks of columns that cover the points of the row
            pos, j = 0, j0
            for i in range(rows):
                end = min(last, j + n - pos)
                c0, c1 = (j // _ROW_BLOCK) * _ROW_BLOCK, min(last, -(-end // _ROW_BLOCK) * _ROW_BLOCK)
                part = np.empty((1, m, c1 - c0))
                self._products(coef[i : i + 1], c0, c1, part)
                parts[:, pos : pos + end - j] = part[0, :, j - c0 : end - c0]
                pos, j = pos + end - j, 0
            j0 = 0
        sa2 = self.kernel.sigma_alpha ** 2
        np.einsum("in,in->n", parts[1:], parts[1:], out=perp)  # Σ_{i≥1} z_i²
        d0, den = parts[0], parts[1]  # z_1 is in Σ: its row holds 1 + σ_α² |HZ|²
        np.subtract(self.rho, d0, out=den)  # z_0
        den *= den
        den += perp
        den *= sa2
        den += 1.0
        perp *= 1.0 + sa2 * self.rho * self.rho
        np.multiply(d0, d0, out=d0)
        d0 += perp
        chi2 = np.empty(span)
        np.divide(d0, den, out=chi2)
        return chi2[j0 : j0 + n]


def _row_factors(table: np.ndarray, kernel: TwoPullChi2, root_w: np.ndarray, root: float) -> tuple[np.ndarray, float]:
    """:class:`RowKernel`'s per-row coefficients from the grid's rows T (rows, P, bins) →
    ((rows, m, P), ρ): the triangular factor of [Hγ, HK_0 … HK_{P−1}] per row."""
    gamma = root_w * (kernel.observed - kernel.background)
    beta = root_w * kernel.background
    k = table.transpose(2, 1, 0) * root_w[:, None, None]  # (bins, P, rows): K_p = √w T_p
    k = k - (root * beta)[:, None, None] * _leading_sum(beta[:, None, None] * k)[None, :, :]
    h_gamma = gamma - root * beta * float(beta @ gamma)
    columns = np.concatenate([np.broadcast_to(h_gamma[:, None, None], (k.shape[0], 1, k.shape[2])), k], axis=1)
    r = _triangular_factor(columns)  # (m, P + 1, rows), m = min(bins, P + 1)
    r[0] *= np.where(r[0, 0] < 0.0, -1.0, 1.0)  # ρ = |Hγ| ≥ 0 on every row (the first basis vector along +Hγ)
    rho = float(r[0, 0, 0]) if r.shape[2] else 0.0
    coef = r[:, 1:, :].transpose(2, 0, 1).copy()  # (rows, m, P)
    coef[:, 0, :] *= -1.0  # d_0 = ρ − z_0
    coef[:, 0, 0] += rho
    return coef, rho


def _triangular_factor(columns: np.ndarray) -> np.ndarray:
    """R of the QR factorisation of every matrix of a stack, by Householder reflections
    (Golub & Van Loan, Matrix Computations, 4th ed., Alg. 5.2.1) vectorised over the stack:
    ``columns`` (n, k, stack) → R (min(n, k), k, stack), diagonal signs as LAPACK's.

    Written with elementwise operations and :func:`_leading_sum` only, so that a matrix's R
    does not depend on the others in the stack (numpy's batched ``linalg.qr`` goes through
    LAPACK, and numpy's own sums pair terms differently when the stack has one matrix):
    factorising a chunk's rows gives the same bits however the grid is cut. Reflections keep the basis orthonormal also for dependent
    columns (a signal whose powers are proportional), where Gram–Schmidt would not."""
    work = np.array(columns, dtype=float)
    n, k, _ = work.shape
    m = min(n, k)
    r = np.zeros((m, k, work.shape[2]))
    for j in range(m):
        x = work[j:, j]
        alpha = np.sqrt(_leading_sum(x * x))
        np.negative(alpha, out=alpha, where=x[0] >= 0.0)  # α = −sign(x₀)|x|: v₀ = x₀ − α without cancellation
        v = x.copy()
        v[0] -= alpha
        vv = _leading_sum(v * v)
        scale = np.divide(2.0, vv, out=np.zeros_like(vv), where=vv > 0.0)  # x = 0: no reflection
        proj = _leading_sum(v[:, None, :] * work[j:, j:])  # vᵀA, then 2vᵀA/vᵀv
        proj *= scale
        work[j:, j:] -= v[:, None, :] * proj[None, :, :]
        r[j, j:] = work[j, j:]
    return r


def _leading_sum(x: np.ndarray) -> np.ndarray:
    """Σ over the leading axis, term after term in a fixed order: the same bits whatever the
    other axes' sizes (``sum(axis=0)`` sums pairwise when they are all of size 1)."""
    total = np.array(x[0], dtype=float)
    for part in x[1:]:
        total += part
    return total


_WORK = threading.local()


def _work_array(size: int) -> np.ndarray:
    """A work array of ``size`` float64 values from this thread's buffer, kept between
    calls (grown when needed): fresh arrays of a few hundred kB are mapped anew by the
    allocator each time, and their page faults cost more than the arithmetic (measured:
    about half of the kernel's time at 4096 points)."""
    buffer = getattr(_WORK, "buffer", None)
    if buffer is None or buffer.size < size:
        buffer = np.empty(size)
        _WORK.buffer = buffer
    return buffer[:size]


def row_kernel(grid: GridSignal, kernel: TwoPullChi2) -> RowKernel:
    """:class:`RowKernel` for ``grid`` and a multi-bin ``kernel`` (every row factorised
    once, block by block, unless the table of factors would exceed :data:`_FACTOR_TABLE_MAX`
    values)."""
    root_w = 1.0 / np.sqrt(kernel.variance)
    root = _background_root(root_w * kernel.background, kernel.sigma_beta)
    powers = np.ascontiguousarray(grid.powers[-1].T)
    rows, p = int(np.prod(grid.shape[:-1])), powers.shape[0]
    rho = _row_factors(grid._rows(0, 1), kernel, root_w, root)[1]
    by_blocks = RowKernel(grid, kernel, powers, root_w, root, rho)
    if rows * (p + 1) * p > _FACTOR_TABLE_MAX:
        return by_blocks
    return RowKernel(grid, kernel, powers, root_w, root, rho, by_blocks.rows(0, rows))


@dataclass(frozen=True)
class _PolynomialChunks:
    """χ² from the polynomial signal and the closed-form pulls, for any flat indices: a
    ``pull-chi2`` likelihood with several bins and rows of ≥ :data:`ROW_KERNEL_MIN_ROW`
    points, on consecutive indices, by :class:`RowKernel`; otherwise (one bin, short rows,
    a Poisson likelihood, other index sets) the signal of :class:`GridSignal` and the
    likelihood's :meth:`~cevns.stats.likelihood.Likelihood.chi2_from_signal`."""

    likelihood: Likelihood
    signal: PolynomialSignal
    axes: tuple[np.ndarray, ...]
    grid: GridSignal = field(init=False, repr=False)
    rows: RowKernel | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "grid", grid_signal(self.signal, self.axes))
        kernel = getattr(self.likelihood, "pull_kernel", None)
        pulls = kernel() if callable(kernel) else None
        useful = isinstance(pulls, TwoPullChi2) and pulls.observed.size > 1 and self.grid.shape[-1] >= ROW_KERNEL_MIN_ROW
        object.__setattr__(self, "rows", row_kernel(self.grid, pulls) if useful and isinstance(pulls, TwoPullChi2) else None)

    def residual(self, flat: np.ndarray) -> np.ndarray:
        """χ² by the residual form (the signal per bin, then the pulls)."""
        return np.asarray(self.likelihood.chi2_from_signal(self.grid(flat)), dtype=float)

    def __call__(self, flat: np.ndarray) -> np.ndarray:
        flat = np.asarray(flat)
        n = flat.size
        if self.rows is not None and n and int(flat[-1]) - int(flat[0]) == n - 1 and bool((flat[1:] > flat[:-1]).all()):
            if n > _ROW_POINTS:  # (components, points) work arrays stay in cache
                return np.concatenate([self(flat[i : i + _ROW_POINTS]) for i in range(0, n, _ROW_POINTS)])
            return self.rows(int(flat[0]), n)
        if n > _CACHE_POINTS:  # work arrays of (points, bins) stay in cache; the same pieces whatever the chunk
            return np.concatenate([self(flat[i : i + _CACHE_POINTS]) for i in range(0, n, _CACHE_POINTS)])
        return self.residual(flat)


@dataclass(frozen=True)
class _PointChunks:
    """χ² point by point; ``profiled`` parameters minimised at each point (iminuit).
    ``emulator_report``: why an emulator (:mod:`cevns.stats.emulators`) was refused, if
    one was considered (it does not change the values)."""

    likelihood: Likelihood
    names: tuple[str, ...]
    axes: tuple[np.ndarray, ...]
    profiled: tuple[tuple[str, float], ...] = ()
    emulator_report: EmulatorReport | None = None

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
    likelihood: Likelihood, axes: Mapping[str, np.ndarray], profiled: Mapping[str, float] | None = None, fast: bool = True,
    emulate: bool = True,
) -> tuple[Callable[[np.ndarray], np.ndarray], str]:
    """The function flat indices → χ² for this scan, and its method ("polynomial",
    "emulated" or "per-point"). ``fast=False`` forces the per-point evaluation (a
    cross-check). A signal not polynomial in all axes but polynomial in all but one, which
    is numeric, gets a verified emulator in that one
    (:func:`cevns.stats.emulators.emulated_evaluator`; ``emulate=False`` disables it: the
    values are then those of the per-point path, bit for bit); a refused emulator leaves
    its report on the per-point evaluator (:func:`cevns.stats.emulators.report_of`)."""
    names = tuple(axes)
    grids = tuple(np.asarray(axes[n], dtype=float) for n in names)
    report = None
    if fast and not profiled:
        poly = polynomial_signal(likelihood, {n: (float(a.min()), float(a.max())) for n, a in zip(names, grids)})
        if poly is not None:
            return _PolynomialChunks(likelihood, poly, grids), "polynomial"
        if emulate:
            from cevns.stats.emulators import emulated_evaluator  # it builds on this module

            emulated, report = emulated_evaluator(likelihood, dict(zip(names, grids)))
            if emulated is not None:
                return emulated, "emulated"
    return _PointChunks(likelihood, names, grids, tuple((profiled or {}).items()), report), "per-point"


def _todo_chunks(done: np.ndarray, chunk: int) -> Iterator[np.ndarray]:
    """The flat indices not ``done`` cut into pieces of ``chunk`` (the last shorter), the
    same pieces as cutting the list of all of them, found block by block
    (:data:`BLOCK_POINTS`) as the pieces are taken: no index array of the grid's size."""
    carry = np.empty(0, dtype=np.intp)
    for b in _flat_blocks(done.size):
        idx = np.flatnonzero(~np.asarray(done[b])) + b.start
        if carry.size:
            idx = np.concatenate([carry, idx])
        whole = idx.size - idx.size % chunk
        for i in range(0, whole, chunk):
            yield idx[i : i + chunk]
        carry = idx[whole:]
    if carry.size:
        yield carry


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
    emulate: bool = True,
) -> Scan:
    """Fill the points of ``state`` not yet done and return it (its arrays are filled in
    place, so a caller's saved copy is always current).

    ``profiled``: other parameters minimised at every point (start values). ``chunk``:
    points per task (default 8192 for a polynomial signal, 8 × 8192 on a grid of more
    than :data:`BLOCK_POINTS` points, so that saving a chunk costs little beside it — the
    same 8192-point pieces are evaluated, so the values are the same; point by point 256,
    or 1024 on an executor);
    ``on_chunk(state, n_new)`` is called after each finished chunk, in the calling process,
    and before it ``on_part(flat_indices, {"chi2": values})`` with only that chunk's
    results (what a :class:`~cevns.runtime.stores.ChunkStore` appends: saving costs the
    new work, not the grid);
    ``executor`` runs the chunks (default: here, in order). ``fast=False`` evaluates every
    point with the full prediction; ``emulate=False`` only refuses the emulator of a
    non-polynomial parameter (:mod:`cevns.stats.emulators`). ``prepared``: the result of
    :func:`chunk_evaluator` for these arguments, if the caller already has it (to plan the
    executor).
    """
    evaluate, method = prepared or chunk_evaluator(likelihood, state.axes, profiled, fast, emulate)
    # per point: small chunks for progress here, larger ones for workers (less hand-off)
    piece = _ROW_POINTS if isinstance(evaluate, _PolynomialChunks) and evaluate.rows is not None else _CACHE_POINTS
    polynomial_chunk = piece * (8 if state.chi2.size > BLOCK_POINTS else 1)
    chunk = chunk or (polynomial_chunk if method in ("polynomial", "emulated") else 256 if executor is None else 1024)
    if chunk < 1:
        raise InputError("chunk must be ≥ 1 point")
    chi2, done = state.chi2.reshape(-1), state.done.reshape(-1)
    stored = [0]  # points since the mapped pages were last released

    def store(args: tuple[np.ndarray], values: np.ndarray) -> None:
        idx = args[0]
        first, n = (int(idx[0]), idx.size) if idx.size else (0, 0)
        where = slice(first, first + n) if n and int(idx[-1]) - first == n - 1 else idx  # _todo_chunks: sorted, unique
        chi2[where] = values
        done[where] = True
        stored[0] += args[0].size
        if stored[0] >= BLOCK_POINTS:
            stored[0] = 0
            release_pages(chi2, done)
        if on_part:
            on_part(args[0], {"chi2": np.asarray(values, dtype=float)})
        if on_chunk:
            on_chunk(state, args[0].size)

    run_chunks(evaluate, ((part,) for part in _todo_chunks(done, chunk)), store, executor)
    return state


__all__ = ["BLOCK_POINTS", "PolynomialSignal", "Scan", "check_grid", "chunk_evaluator", "empty_scan", "polynomial_signal", "scan"]
