"""Binned Poisson fits with background templates: constrained normalisations and a per-bin
steady-state background measured by an off sample, every nuisance profiled.

The data are counts n_i in analysis bins, flattened row-major over the binning's axes.
Their expectation is

.. math::
   μ_i = (1 + a_S)\\,S_i(θ) + \\sum_k (1 + a_k)\\,B_{ki} \\; [+\\, b_i],

with S(θ) a CEvNS prediction in the same bins at the physics parameters θ
(:class:`cevns.rates.prediction.RatePredictor`, with a time axis where the data have one),
background templates B_k with Gaussian-constrained normalisations a_k (σ_k; σ = 0 fixes one,
σ = ∞ frees it) and, where an off-beam sample m_i of τ times the beam-on exposure exists, a
free steady-state background b_i in every bin, measured by m_i ~ Pois(τ b_i). The statistic
is the Poisson likelihood ratio (Baker–Cousins: S. Baker, R. D. Cousins, Nucl. Instrum.
Meth. 221, 437 (1984)) with every nuisance profiled:

.. math::
   χ^2(θ) = \\min_{a, b}\\; 2\\sum_i\\Big[μ_i − n_i + n_i\\ln\\frac{n_i}{μ_i}\\Big]
      + 2\\sum_i\\Big[τ b_i − m_i + m_i\\ln\\frac{m_i}{τ b_i}\\Big] + \\sum_k (a_k/σ_k)^2 .

:func:`profiled_poisson_components` is the K-template generalisation of
:func:`cevns.stats.chi2.profiled_poisson_deviance` (which has one signal and one background
pull): data sets with several backgrounds of different shapes and uncertainties (the
CENNS-10 LAr release: prompt and delayed beam-related neutrons, steady state) need one pull
each, since one common pull on their sum biases the CEvNS fit (on the LAr release: 218
instead of 160 best-fit CEvNS events). The b_i are profiled in closed form per bin
(:func:`profiled_bin_deviance`), the a_k by Newton's method.

Closed forms of the per-bin profile (on n ~ Pois(μ + b), off m ~ Pois(τ b)): ∂/∂b = 0 gives
(1+τ) b² + ((1+τ)μ − n − m) b − m μ = 0, whose non-negative root is b̂; by the envelope
theorem the deviance has dg/dμ = 2(1 − n/(μ+b̂)) and, differentiating the stationarity
condition, d²g/dμ² = 2AB/(A+B) with A = n/(μ+b̂)², B = m/b̂². The profiled deviance is
convex in μ (a partial minimum of a jointly convex function), so the Newton iteration on the
pulls converges.

For :class:`TemplateLikelihood` the pull directions have a structure that the fit uses: the
background templates σ_k B_k are shared by every batch point, the signal normalisation σ_S S
and the shape nuisances r_j S follow each point's signal S. The μ shifts, gradients and
Hessians are then matrix products of (points, bins) arrays with a few shared rows
(:class:`_SignalDirections`); without an off sample the deviance needs no masks unless some
μ ≤ 0, its derivatives are computed at the accepted points only, and the points are evaluated
in blocks of rows that stay in the cache. The iteration is that of the general path of
:func:`profiled_poisson_components` (the same steps; results equal up to the rounding of
the sums).

:class:`TemplateData` holds the measured side (counts, templates, off sample, binning);
:class:`TemplateLikelihood` has the interface :func:`cevns.stats.fits.fit` and
:func:`cevns.stats.fits.profile` use (``chi2``, ``fixed``, ``with_fixed``, ``signal``,
``asimov``, and ``chi2_from_signal`` for batches of predictions; ``chi2_per_data`` for
batches of pseudo-data too), so named parameters are fitted and profiled on such data
unchanged; :func:`fit_signal_strength` fits a free CEvNS
normalisation. The COHERENT data releases build these from their files
(:mod:`cevns.releases`).

Counts are events for the data's exposure; energies in the experiment's observable (PE,
keVee), times in µs where the name says so.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, special

from cevns.errors import InputError
from cevns.physics.interactions import PhysicsModel
from cevns.rates.prediction import BinnedCounts, RatePredictor
from cevns.stats.chi2 import PullFit, RowProblem, damped_newton, nonnegative_step_limit, poisson_terms

#: Key of the steady-state background profiled per bin in :meth:`TemplateLikelihood.expected`.
OFF_SAMPLE_COMPONENT = "steady state (off sample)"


# --- statistic ------------------------------------------------------------------------------
def profiled_bin_deviance(
    mu: np.ndarray, n: np.ndarray, off: np.ndarray | None, tau: float, *, n_log_n: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-bin Poisson deviance g(μ) of ``n`` beam-on counts (bins,) against expectation
    μ (+ b), with the steady-state background b profiled in closed form from an ``off``
    sample (bins,) of ``tau`` times the beam-on exposure (module docstring), and its
    derivatives. ``mu`` (..., bins): expected beam counts per bin (everything but the steady
    state), events; ``off = None``: no steady state (b = 0); ``n`` and ``off`` may have batch
    axes too (broadcasting with ``mu``). ``n_log_n``: n ln n (0 at n = 0), when the caller has
    it already (repeated evaluations on the same data), else computed here.

    Returns (g, dg/dμ, d²g/dμ², b̂), each of the shape of ``mu``: g is ∞ where μ < 0, or
    where μ + b̂ = 0 with n > 0; b̂ is the profiled steady state, events.

    Without an off sample this is g = 2(μ − n + n ln n − n ln μ), g' = 2(1 − n/μ), g'' =
    2n/μ² (S. Baker, R. D. Cousins, Nucl. Instrum. Meth. 221, 437 (1984)), computed for a
    float ``mu`` of the full shape with a few full-size buffers and no masks
    (:func:`_lean_bin_deviance`), the conventions at μ ≤ 0 applied only to the bins that have it.
    """
    if off is None and isinstance(mu, np.ndarray) and mu.dtype == np.float64 and mu.size \
            and isinstance(n, np.ndarray) and (n_log_n is None or np.shape(n_log_n) == n.shape) \
            and np.broadcast_shapes(mu.shape, n.shape) == mu.shape:
        return _lean_bin_deviance(mu, n, n_log_n)
    return _bin_deviance(mu, n, off, tau, n_log_n)


def _bin_deviance(
    mu: np.ndarray, n: np.ndarray, off: np.ndarray | None, tau: float, n_log_n: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`profiled_bin_deviance` for any inputs, with the masks for μ ≤ 0 (and b̂ = 0)
    evaluated on every bin."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if off is None:
            lam = mu
            b = np.zeros_like(mu)
            bad = (mu < 0) | ((mu <= 0) & (n > 0))
        else:
            x = n + off - (1.0 + tau) * mu
            root = np.sqrt(np.maximum(x * x + 4.0 * (1.0 + tau) * off * np.maximum(mu, 0.0), 0.0))
            # the stable form of the positive root on each side of x = 0
            b = np.where(x >= 0, (x + root) / (2.0 * (1.0 + tau)), 2.0 * off * mu / np.where(root - x > 0, root - x, 1.0))
            b = np.maximum(b, 0.0)
            lam = mu + b
            bad = (mu < 0) | ((lam <= 0) & (n > 0))
        positive = lam > 0
        lam_safe = np.where(positive, lam, 1.0)
        g = 2.0 * poisson_terms(n, lam, lam_safe, n_log_n=n_log_n)
        ratio = np.where(positive, n / lam_safe, 0.0)
        g1 = 2.0 * (1.0 - ratio)
        a = np.where(positive, n / lam_safe**2, 0.0)
        if off is None:
            g2 = 2.0 * a
        else:
            b_safe = np.where(b > 0, b, 1.0)
            g = g + 2.0 * poisson_terms(off, tau * b, tau * b_safe)
            bb = np.where(b > 0, off / b_safe**2, np.inf)  # b̂ = 0 (only when m = 0): pinned, g'' = 2A
            g2 = np.where(np.isinf(bb), 2.0 * a, np.where(a + bb > 0, 2.0 * a * bb / np.where(a + bb > 0, a + bb, 1.0), 0.0))
    g = np.where(bad, np.inf, g)
    return g, g1, g2, b


#: Rows per block of the objective's and derivatives' evaluation (:func:`_profiled`).
_BLOCK_ROWS = 512
#: Up to this many rows with one signal, :func:`_profiled_signal_components` takes the signal's
#: (k, bins) pull directions as they are (fewer operations on a few rows).
_FEW_ROWS = 4


class _Scratch:
    """Work arrays reused between the evaluations of one fit, by name: temporaries of one
    evaluation, never kept by a caller. Full-size temporaries allocated afresh at every
    evaluation cost about as much as the arithmetic on them (the allocator maps large blocks
    anew, page by page); these are views of one growing flat array per name."""

    def __init__(self) -> None:
        self._flat: dict[str, np.ndarray] = {}

    def __call__(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialised float array of ``shape``, the same memory at every call with ``name``."""
        size = math.prod(shape)
        if size < 16384:  # small: a fresh array is as quick
            return np.empty(shape)
        flat = self._flat.get(name)
        if flat is None or flat.size < size:
            flat = self._flat[name] = np.empty(size)
        return flat[:size].reshape(shape)


def _lean_bin_deviance(
    mu: np.ndarray, n: np.ndarray, n_log_n: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`profiled_bin_deviance` without an off sample for float ``mu`` of the broadcast
    shape (:func:`_half_deviance`, :func:`_deviance_derivatives`)."""
    nlogn = special.xlogy(n, n) if n_log_n is None else n_log_n
    work = _Scratch()  # used once: fresh arrays
    g = _half_deviance(mu, n, nlogn, work)
    g *= 2.0
    return (g, *_deviance_derivatives(mu, n, work), np.zeros_like(mu))


def _regular(mu: np.ndarray) -> bool:
    """Whether every μ is finite and > 0 (one min and one max pass; NaN fails both)."""
    return bool(mu.min() > 0.0 and mu.max() < np.inf)


def _raw_half_deviance(mu: np.ndarray, n: np.ndarray, nlogn: np.ndarray, work: _Scratch) -> np.ndarray:
    """(μ − n) + n ln n − n ln μ per bin in the ``work`` arrays "h" (returned) and "log",
    without the conventions for μ ≤ 0, ∞ or NaN (NaN or ±∞ there)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.subtract(mu, n, out=work("h", mu.shape))
        h += nlogn
        log = np.log(mu, out=work("log", mu.shape))
        log *= n  # n ln μ
        h -= log
    return h


def _half_deviance(mu: np.ndarray, n: np.ndarray, nlogn: np.ndarray, work: _Scratch) -> np.ndarray:
    """Half the Poisson deviance per bin, (μ − n) + n ln n − n ln μ (S. Baker, R. D. Cousins,
    Nucl. Instrum. Meth. 221, 437 (1984)), for float ``mu`` of the broadcast shape with ``n``
    and ``nlogn`` = n ln n: the operations of :func:`_bin_deviance` (before its factor 2, which
    is exact) in their order, in the ``work`` arrays "h" (returned) and "log", without masks
    (n ln μ there is ``xlogy``, 0 at n = 0, as n × ln μ is for finite ln μ); the bins with
    μ ≤ 0, ∞ or NaN, if any, then get :func:`_bin_deviance`'s values (∞ where μ < 0, or μ =
    0 with n > 0)."""
    h = _raw_half_deviance(mu, n, nlogn, work)
    if not _regular(mu):
        _conventions(h, ~((mu > 0.0) & (mu < np.inf)), mu, np.broadcast_to(n, mu.shape), np.broadcast_to(nlogn, mu.shape))
    return h


def _deviance_sums(mu: np.ndarray, n: np.ndarray, nlogn: np.ndarray, work: _Scratch) -> np.ndarray:
    """Σ_b of :func:`_half_deviance` per row of ``mu`` (..., bins), the check for μ ≤ 0, ∞ or
    NaN done on the sums: such a bin makes its row's sum ∞ or NaN before the fix (ln μ is NaN
    or ±∞ there), so only the rows with a sum that is not finite are looked at."""
    h = _raw_half_deviance(mu, n, nlogn, work)
    with np.errstate(invalid="ignore"):  # ∞ − ∞ in a row with μ ≤ 0 bins: fixed below
        sums = h.sum(axis=-1)
    if not np.all(np.isfinite(sums)):
        bins = mu.shape[-1]
        flat = sums.reshape(-1)  # a view: sums is fresh and contiguous
        rows = np.flatnonzero(~np.isfinite(flat))
        m = mu.reshape(-1, bins)[rows]
        part = h.reshape(-1, bins)[rows]
        odd = ~((m > 0.0) & (m < np.inf))
        _conventions(part, odd, m, np.broadcast_to(n, mu.shape).reshape(-1, bins)[rows],
                     np.broadcast_to(nlogn, mu.shape).reshape(-1, bins)[rows])
        flat[rows] = part.sum(axis=-1)
    return sums


def _conventions(h: np.ndarray, odd: np.ndarray, mu: np.ndarray, n: np.ndarray, nlogn: np.ndarray) -> None:
    """Set the half deviance ``h`` where ``odd`` (μ ≤ 0, ∞ or NaN) as :func:`_bin_deviance` has
    it: ln 1 in the logarithm where μ ≤ 0 or NaN, ∞ where μ < 0, or μ = 0 with n > 0; ∞ − n
    ln ∞ where μ = ∞."""
    m, k, kk = mu[odd], n[odd], nlogn[odd]
    h[odd] = np.where((m < 0.0) | ((m <= 0.0) & (k > 0.0)), np.inf,
                      np.where(m == np.inf, np.where(k > 0.0, np.nan, np.inf), (m - k) + kk))


def _deviance_derivatives(mu: np.ndarray, n: np.ndarray, work: _Scratch) -> tuple[np.ndarray, np.ndarray]:
    """dg/dμ = 2(1 − n/μ) and d²g/dμ² = 2n/(μ μ) of the Poisson deviance per bin (S. Baker,
    R. D. Cousins, Nucl. Instrum. Meth. 221, 437 (1984)), for float ``mu`` of the broadcast
    shape: the operations of :func:`_bin_deviance` in their order, in the ``work`` arrays
    "g1" and "g2"; where μ ≤ 0, ∞ or NaN (if any) its conventions 2 and 0."""
    g1, g2 = _half_derivatives(mu, n, work)
    g1 *= 2.0
    g2 *= 2.0
    return g1, g2


def _half_derivatives(mu: np.ndarray, n: np.ndarray, work: _Scratch) -> tuple[np.ndarray, np.ndarray]:
    """Half of :func:`_deviance_derivatives`, 1 − n/μ and n/(μ μ) (1 and 0 where μ ≤ 0, ∞ or
    NaN): the factor 2 is exact, so it can be applied to the (rows, k) products instead."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g1 = np.divide(n, mu, out=work("g1", mu.shape))
        np.subtract(1.0, g1, out=g1)
        g2 = np.multiply(mu, mu, out=work("g2", mu.shape))
        np.divide(n, g2, out=g2)
    if not _regular(mu):
        odd = ~((mu > 0.0) & (mu < np.inf))
        g1[odd] = 1.0
        g2[odd] = 0.0
    return g1, g2


@dataclass(frozen=True)
class _Directions:
    """The μ change per unit standardised pull as arbitrary vectors ``v``: (k, bins), shared by
    every row of the batch, or (rows, k, bins). The general path of
    :func:`profiled_poisson_components`."""

    v: np.ndarray

    def flat(self, batch: tuple[int, ...]) -> _Directions:
        """These directions for the flattened batch (shared ones stay unbroadcast)."""
        v = self.v
        return self if v.ndim == 2 else _Directions(np.broadcast_to(v, batch + v.shape[-2:]).reshape((-1,) + v.shape[-2:]))

    def rows(self, rows: np.ndarray | None) -> _Directions:
        """The directions of the flattened batch's ``rows`` (None: all)."""
        return self if rows is None or self.v.ndim == 2 else _Directions(self.v[rows])

    def block(self, rows: slice) -> _Directions:
        """The directions of a block of consecutive ``rows``."""
        return self if self.v.ndim == 2 else _Directions(self.v[rows])

    def shift(self, u: np.ndarray, work: _Scratch) -> np.ndarray:
        """Change of μ (rows, bins) for pulls or steps ``u`` (rows, k): Σ_k u_k v_k."""
        v = self.v
        return u @ v if v.ndim == 2 else np.matmul(u[:, None, :], v)[:, 0]

    def gradient(self, g1: np.ndarray, work: _Scratch) -> np.ndarray:
        """Σ_b g'_b v_kb (rows, k) for the per-bin derivatives ``g1`` (rows, bins)."""
        v = self.v
        return g1 @ v.T if v.ndim == 2 else np.matmul(v, g1[..., None])[..., 0]

    def hessian(self, g2: np.ndarray, work: _Scratch) -> np.ndarray:
        """Σ_b g''_b v_ib v_jb (rows, k, k) for the per-bin second derivatives ``g2`` (rows, bins)."""
        v = self.v
        return np.matmul(v * g2[:, None, :], np.swapaxes(v, -1, -2))


@dataclass(frozen=True)
class _SignalDirections:
    """Pull directions of a signal with background templates and shape nuisances (module
    docstring): v_i = a_i + S ⊙ c_i with ``shared`` rows a (k, bins) (the background templates
    σ_k B_k) and ``scaled`` rows c (k, bins) (σ_S for the signal normalisation, r_j for the
    shape nuisances) multiplying the row's ``signal`` S (rows, bins) or (bins,), each pull of
    one kind (its other row 0). Then the shift is u a + S ⊙ (u c), the gradient g' aᵀ +
    (g' ⊙ S) cᵀ and the Hessian H_ij = Σ_b g''_b S_b^(e_i + e_j) d_ib d_jb (d the pull's
    nonzero row, e_i = 1 for the signal kind): three matrix products of (rows, bins) arrays
    with ``pairs`` (bins, pairs with e_i + e_j = 0, 1, 2; i ≤ j), their columns in turn
    spread over (k, k) by ``gather``. The products with u and g' take only the nonzero rows,
    ``shared[by_shared]`` and ``scaled[by_signal]`` (a matrix product with a few columns costs
    about one pass over its output per column)."""

    signal: np.ndarray
    shared: np.ndarray
    scaled: np.ndarray
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray]
    gather: np.ndarray
    by_shared: np.ndarray
    by_signal: np.ndarray
    shared_rows: np.ndarray
    scaled_rows: np.ndarray

    @classmethod
    def build(cls, signal: np.ndarray, shared: np.ndarray, scaled: np.ndarray, follows: np.ndarray) -> _SignalDirections:
        """The directions for ``follows`` (k,) (True: the pull's direction is ``scaled`` ⊙ S,
        False: ``shared``); the other row of each pull must be 0."""
        k = follows.size
        rows = np.where(follows[:, None], scaled, shared)
        groups: list[list[tuple[int, int]]] = [[], [], []]
        for i in range(k):
            for j in range(i, k):
                groups[int(follows[i]) + int(follows[j])].append((i, j))
        gather = np.zeros((k, k), dtype=np.intp)
        column = 0
        pairs = []
        for group in groups:
            pairs.append(np.stack([rows[i] * rows[j] for i, j in group], axis=1) if group else np.zeros((rows.shape[-1], 0)))
            for i, j in group:
                gather[i, j] = gather[j, i] = column
                column += 1
        by_shared, by_signal = np.flatnonzero(~follows), np.flatnonzero(follows)
        return cls(signal, shared, scaled, (pairs[0], pairs[1], pairs[2]), gather.reshape(-1), by_shared, by_signal,
                   shared[by_shared], scaled[by_signal])

    def _with_signal(self, signal: np.ndarray) -> _SignalDirections:
        return _SignalDirections(signal, self.shared, self.scaled, self.pairs, self.gather, self.by_shared,
                                 self.by_signal, self.shared_rows, self.scaled_rows)

    def flat(self, batch: tuple[int, ...]) -> _SignalDirections:
        """These directions for the flattened batch (a shared signal stays unbroadcast)."""
        s = self.signal
        return self if s.ndim == 1 else self._with_signal(np.broadcast_to(s, batch + s.shape[-1:]).reshape(-1, s.shape[-1]))

    def rows(self, rows: np.ndarray | None) -> _SignalDirections:
        """The directions of the flattened batch's ``rows`` (None: all)."""
        return self if rows is None or self.signal.ndim == 1 else self._with_signal(self.signal[rows])

    def block(self, rows: slice) -> _SignalDirections:
        """The directions of a block of consecutive ``rows``."""
        return self if self.signal.ndim == 1 else self._with_signal(self.signal[rows])

    def shift(self, u: np.ndarray, work: _Scratch) -> np.ndarray:
        """Change of μ (rows, bins) for pulls or steps ``u`` (rows, k), u a + S ⊙ (u c), in
        the ``work`` array "shift" (with "shift2")."""
        shape = (u.shape[0], self.shared.shape[-1])
        out = np.matmul(u[:, self.by_signal], self.scaled_rows, out=work("shift", shape))
        out *= self.signal
        out += np.matmul(u[:, self.by_shared], self.shared_rows, out=work("shift2", shape))
        return out

    def gradient(self, g1: np.ndarray, work: _Scratch) -> np.ndarray:
        """g' aᵀ + (g' ⊙ S) cᵀ (rows, k) for the per-bin derivatives ``g1`` (rows, bins)."""
        out = np.empty((g1.shape[0], self.shared.shape[0]))
        out[:, self.by_signal] = np.multiply(g1, self.signal, out=work("w", g1.shape)) @ self.scaled_rows.T
        out[:, self.by_shared] = g1 @ self.shared_rows.T
        return out

    def hessian(self, g2: np.ndarray, work: _Scratch) -> np.ndarray:
        """Σ_b g''_b v_ib v_jb (rows, k, k) for ``g2`` (rows, bins), from the upper triangle."""
        p0, p1, p2 = self.pairs
        parts = [g2 @ p0] if p0.shape[1] else []
        if p1.shape[1] or p2.shape[1]:
            w = np.multiply(g2, self.signal, out=work("w", g2.shape))
            parts += [w @ p1] if p1.shape[1] else []
            if p2.shape[1]:
                w *= self.signal
                parts.append(w @ p2)
        k = math.isqrt(self.gather.size)
        both = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1) if parts else np.zeros((g2.shape[0], 0))
        return np.take(both, self.gather, axis=1).reshape(g2.shape[0], k, k)


class _Block(NamedTuple):
    """A block of consecutive ``rows`` of a fit's batch (:func:`_profiled`): its base
    expectation, counts n, n ln n (each (rows, bins), or (bins,) where shared) and pull
    ``directions``."""

    rows: slice
    base: np.ndarray
    n: np.ndarray
    n_log_n: np.ndarray
    directions: _Directions | _SignalDirections


def _checked_data(n: np.ndarray, sig: np.ndarray, off: ArrayLike | None, off_ratio: float) -> np.ndarray | None:
    """Refuse negative counts or uncertainties and a bad off sample; the off sample as floats."""
    if np.any(n < 0) or np.any(sig < 0) or np.any(np.isnan(sig)):
        raise InputError("observed counts and normalisation uncertainties must be ≥ 0")
    if off is None:
        return None
    m = np.asarray(off, dtype=float)
    if m.shape[-1:] != n.shape[-1:] or np.any(m < 0) or not off_ratio > 0:
        raise InputError("the off sample needs one count ≥ 0 per bin and an exposure ratio > 0")
    return m


def _data_batch(n: np.ndarray, m: np.ndarray | None, predicted: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast batch axes of the data, off sample and predictions (an input error if none)."""
    try:
        return np.broadcast_shapes(n.shape[:-1], () if m is None else m.shape[:-1], predicted)
    except ValueError:
        raise InputError(f"the batch axes of the data {n.shape[:-1]}, off sample and templates {predicted} "
                         "do not broadcast") from None


def profiled_poisson_components(
    observed: ArrayLike,
    templates: ArrayLike,
    sigmas: Sequence[float] | np.ndarray,
    off: ArrayLike | None = None,
    off_ratio: float = 1.0,
    *,
    shifts: ArrayLike | None = None,
    centres: ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-11,
    row_wise: bool = True,
) -> PullFit:
    """Poisson deviance of ``observed`` counts n (bins,) against Σ_k (1 + a_k) T_k [+ b],
    profiled over the normalisations a_k (Gaussian penalty (a_k/σ_k)²; σ_k = 0 fixes a_k =
    0, σ_k = ∞ leaves it free) and, with an ``off`` sample m (bins,) of ``off_ratio`` τ times
    the exposure, over a free background b_i ≥ 0 in every bin (module docstring for the
    formula and the closed forms).

    ``templates`` T: (..., K, bins), batch axes first (e.g. predictions at many parameter
    points). ``observed`` and ``off`` may have batch axes too, (..., bins), broadcasting with
    those of the templates: one data set per batch point (e.g. pseudo-experiments × grid
    nodes in one call). Newton's method on standardised pulls from a = 0, each step halved
    until the objective decreases and every expectation stays ≥ 0
    (:func:`cevns.stats.chi2.damped_newton`, row-wise: only the points still searching are
    evaluated again, and the step lengths that surely make some μ_i < 0 are skipped, since
    μ is linear in the pulls); stops when the Newton decrement is below ``tol`` × (1 + χ²).
    Returns :class:`cevns.stats.chi2.PullFit` with χ² of the batch shape, pulls a (..., K)
    and ``converged``. ``row_wise=False``: the line search of the whole batch at every
    halving, in order (the same step lengths, slower; for checks).

    ``shifts`` (..., J, bins): shape nuisances, each the change of μ for a unit-Gaussian
    pull θ_j (penalty θ_j², not in the base μ); profiled in the same Newton iteration, their
    pulls follow the a_k in the result (..., K + J). ``None`` (or J = 0): as without.

    ``centres`` (K + J,) or (..., K + J): the centres c of the Gaussian constraints in
    standardised units (the auxiliary measurements, or global observables, of a
    pseudo-experiment: ATLAS & CMS, ATL-PHYS-PUB-2011-11 / CMS NOTE-2011/005, Sec. 2;
    K. Cranmer, arXiv:1503.07622), the penalty then Σ_k (a_k/σ_k − c_k)² + Σ_j (θ_j − c_j)²;
    entries of fixed (σ = 0) and free (σ = ∞) normalisations are ignored. Batch axes of
    ``centres`` broadcast with those of the templates. ``None``: every centre 0.
    """
    n = np.asarray(observed, dtype=float)
    t = np.asarray(templates, dtype=float)
    sig = np.asarray(sigmas, dtype=float)
    if n.ndim < 1 or t.ndim < 2 or t.shape[-1] != n.shape[-1] or sig.shape != (t.shape[-2],):
        raise InputError(f"templates {t.shape} must be (..., K, bins) with K = {sig.size} and bins = {n.shape[-1:]}")
    m = _checked_data(n, sig, off, off_ratio)
    batch = _data_batch(n, m, t.shape[:-2])
    pulled = sig > 0
    scale = np.where(np.isinf(sig), 1.0, sig)[pulled]
    penalty = (~np.isinf(sig[pulled])).astype(float)
    tv = t[..., pulled, :] * scale[:, None]  # μ change per unit standardised pull
    base = t.sum(axis=-2)
    n_shapes = 0
    if shifts is not None:
        sh = np.asarray(shifts, dtype=float)
        if sh.ndim < 2 or sh.shape[-1] != n.shape[-1]:
            raise InputError(f"shifts {sh.shape} must be (..., J, bins) with bins = {n.shape[-1]}")
        n_shapes = sh.shape[-2]
        if n_shapes:
            full = np.broadcast_shapes(tv.shape[:-2], sh.shape[:-2])
            tv = np.concatenate([np.broadcast_to(tv, full + tv.shape[-2:]), np.broadcast_to(sh, full + sh.shape[-2:])], axis=-2)
            penalty = np.concatenate([penalty, np.ones(n_shapes)])
            batch = np.broadcast_shapes(batch, full)
    return _profiled(n, m, off_ratio, base, _Directions(tv), sig, pulled, scale, penalty, n_shapes, batch, centres,
                     max_iter, tol, row_wise)


@dataclass(frozen=True, eq=False)
class _SignalModel:
    """The parts of a signal-plus-templates fit shared by every batch point
    (:func:`_signal_model`), built once per likelihood: the normalisations' ``sigmas`` (K,;
    the signal's first), which are ``pulled`` and their ``scale`` (standardised →
    fractional), the Gaussian ``penalty`` weight of each of the k pulls, the number of shape
    nuisances, the backgrounds' sum (bins,) and the pull directions without the signal
    (:class:`_SignalDirections`, its ``signal`` a placeholder)."""

    sigmas: np.ndarray
    pulled: np.ndarray
    scale: np.ndarray
    penalty: np.ndarray
    n_shapes: int
    background_sum: np.ndarray
    directions: _SignalDirections

    @property
    def bins(self) -> int:
        """Number of bins."""
        return int(self.background_sum.size)


def _signal_model(backgrounds: ArrayLike, sigmas: Sequence[float] | np.ndarray, relative_shifts: ArrayLike | None) -> _SignalModel:
    """The shared parts of the fit of templates [S, B_1, …, B_K−1] with shape shifts r_j ⊙ S
    (:func:`_profiled_signal_components`): ``backgrounds`` B (K − 1, bins), ``sigmas`` (K,;
    the signal's first), ``relative_shifts`` r (J, bins; None: no shape nuisance). The
    signal normalisation's direction is σ_S S, a background's σ_k B_k, a shape nuisance's
    r_j ⊙ S."""
    bkg = np.asarray(backgrounds, dtype=float)
    sig = np.asarray(sigmas, dtype=float)
    bins = bkg.shape[-1] if bkg.ndim == 2 else -1
    rel = np.zeros((0, max(bins, 0))) if relative_shifts is None else np.asarray(relative_shifts, dtype=float)
    if sig.ndim != 1 or bkg.shape != (sig.size - 1, bins) or rel.ndim != 2 or rel.shape[-1] != bins:
        raise InputError(f"backgrounds {bkg.shape} and shape shifts {rel.shape} must be (K − 1, bins) and (J, bins) "
                         f"with K = {sig.size}")
    if np.any(sig < 0) or np.any(np.isnan(sig)):
        raise InputError("observed counts and normalisation uncertainties must be ≥ 0")
    pulled = sig > 0
    scale = np.where(np.isinf(sig), 1.0, sig)[pulled]
    n_shapes = rel.shape[0]
    penalty = np.concatenate([(~np.isinf(sig[pulled])).astype(float), np.ones(n_shapes)])
    follows = np.concatenate([np.arange(sig.size)[pulled] == 0, np.ones(n_shapes, dtype=bool)])
    shared = np.concatenate([np.concatenate([np.zeros((1, bins)), bkg])[pulled] * scale[:, None], np.zeros_like(rel)])
    scaled = np.concatenate([np.concatenate([np.ones((1, bins)), np.zeros_like(bkg)])[pulled] * scale[:, None], rel])
    directions = _SignalDirections.build(np.zeros(bins), shared, scaled, follows)
    return _SignalModel(sig, pulled, scale, penalty, n_shapes, bkg.sum(axis=0), directions)


def _profiled_signal_components(
    observed: ArrayLike,
    signal: ArrayLike,
    model: _SignalModel,
    off: ArrayLike | None = None,
    off_ratio: float = 1.0,
    *,
    centres: ArrayLike | None = None,
    max_iter: int = 100,
    tol: float = 1e-11,
    row_wise: bool = True,
    start: ArrayLike | None = None,
) -> PullFit:
    """:func:`profiled_poisson_components` of templates [S, B_1, …, B_K−1] and shape shifts
    r_j ⊙ S for a ``signal`` S (..., bins) with batch axes and the backgrounds B and
    relative shifts r of ``model`` (:func:`_signal_model`), shared by every batch point: the
    same Newton iteration (the same steps, results equal up to the rounding of the sums),
    with the μ shifts, gradients and Hessians as matrix products of (rows, bins) arrays
    (:class:`_SignalDirections`) instead of products with (rows, K + J, bins) direction
    arrays. Used by :class:`TemplateLikelihood`. ``start``: pulls (..., K + J, in the units
    of the returned ones) to start the Newton iteration from, None for zero."""
    n = np.asarray(observed, dtype=float)
    s = np.asarray(signal, dtype=float)
    if n.ndim < 1 or s.ndim < 1 or s.shape[-1] != model.bins or n.shape[-1] != model.bins:
        raise InputError(f"the signal {s.shape} and data {n.shape} must be (..., bins) with bins = {model.bins}")
    m = _checked_data(n, model.sigmas, off, off_ratio)
    batch = _data_batch(n, m, s.shape[:-1])
    if s.ndim == 1 and math.prod(batch) <= _FEW_ROWS:  # one prediction, a few data sets: its (k, bins) directions
        directions: _Directions | _SignalDirections = _Directions(model.directions.shared + s * model.directions.scaled)
    else:
        directions = model.directions._with_signal(s)
    return _profiled(n, m, off_ratio, s + model.background_sum, directions, model.sigmas, model.pulled, model.scale,
                     model.penalty, model.n_shapes, batch, centres, max_iter, tol, row_wise, start)


def _profiled(
    n: np.ndarray,
    m: np.ndarray | None,
    off_ratio: float,
    base: np.ndarray,
    directions: _Directions | _SignalDirections,
    sig: np.ndarray,
    pulled: np.ndarray,
    scale: np.ndarray,
    penalty: np.ndarray,
    n_shapes: int,
    batch: tuple[int, ...],
    centres: ArrayLike | None,
    max_iter: int,
    tol: float,
    row_wise: bool,
    start: ArrayLike | None = None,
) -> PullFit:
    """The Newton iteration of :func:`profiled_poisson_components` on checked inputs: data
    ``n`` (..., bins), off sample ``m``, base expectation ``base`` (..., bins), pull
    ``directions``, the normalisations' ``sigmas``, which are ``pulled`` and their ``scale``
    (standardised → fractional), the Gaussian ``penalty`` weights of the k pulls and the
    number of shape nuisances; ``batch``: the broadcast batch axes so far; ``start``: the
    pulls to start from (..., K + J; the units of the returned ones), None for zero."""
    k = int(pulled.sum()) + n_shapes
    centre = None
    if centres is not None:
        c = np.asarray(centres, dtype=float)
        if c.ndim < 1 or c.shape[-1] != sig.size + n_shapes or not np.all(np.isfinite(c)):
            raise InputError(f"constraint centres {c.shape} must be finite, (..., K + J) with K + J = {sig.size + n_shapes}")
        c = np.concatenate([c[..., : sig.size][..., pulled], c[..., sig.size :]], axis=-1) * (penalty > 0)
        try:
            batch = np.broadcast_shapes(batch, c.shape[:-1])
        except ValueError:
            raise InputError(f"the batch axes of the constraint centres {c.shape[:-1]} and of the fit {batch} "
                             "do not broadcast") from None
        centre = np.broadcast_to(c, batch + (k,)).reshape(-1, k)

    # The batch is flattened; arrays shared by every point (one data set, one set of pull
    # directions) stay unbroadcast.
    size = math.prod(batch)

    def rows_of(x: np.ndarray, tail: int) -> np.ndarray:
        return x if x.ndim == tail else np.broadcast_to(x, batch + x.shape[-tail:]).reshape((size,) + x.shape[-tail:])

    flat_n = rows_of(n, 1)
    flat_m = None if m is None else rows_of(m, 1)
    flat_nlogn = special.xlogy(flat_n, flat_n)
    flat_base = rows_of(base, 1)
    flat_dir = directions.flat(batch)
    diag = 2.0 * np.diag(penalty) + 1e-12 * np.eye(k)  # penalty Hessian + a ridge
    work = _Scratch()

    def problem(rows: np.ndarray | None) -> RowProblem:
        """Objective, derivatives and step bound of the batch points ``rows`` (None: all)."""
        if rows is not None and rows.size == size and np.array_equal(rows, np.arange(size)):
            rows = None  # the whole batch, in order: no copies

        def pick(x: np.ndarray | None, tail: int) -> np.ndarray | None:
            return x if x is None or rows is None or x.ndim == tail else x[rows]

        b0, nn, mm, nl, cen = pick(flat_base, 1), pick(flat_n, 1), pick(flat_m, 1), pick(flat_nlogn, 1), pick(centre, 1)
        dirs = flat_dir.rows(rows)
        assert b0 is not None and nn is not None and nl is not None  # for mypy: never None here
        count = size if rows is None else rows.size
        # Without an off sample, the rows in blocks whose work arrays stay in the cache: a pass
        # over (4200, 99) arrays is about 4 times slower per element than over (512, 99) ones.
        blocked = mm is None and count > _BLOCK_ROWS
        blocks = [slice(lo, lo + _BLOCK_ROWS) for lo in range(0, count, _BLOCK_ROWS)] if blocked else [slice(None)]
        parts = [_Block(sl, b0 if b0.ndim == 1 else b0[sl], nn if nn.ndim == 1 else nn[sl], nl if nl.ndim == 1 else nl[sl],
                        dirs.block(sl)) for sl in blocks]

        def objective(u: np.ndarray) -> tuple[np.ndarray, ...]:
            more: tuple[np.ndarray, ...] = ()
            if not blocked:
                mu = b0 + dirs.shift(u, work)
                if mm is None:
                    total = 2.0 * _deviance_sums(mu, nn, nl, work)
                else:  # with an off sample every trial needs g' and g''
                    g, g1, g2, _ = profiled_bin_deviance(mu, nn, mm, off_ratio, n_log_n=nl)
                    total, more = g.sum(axis=-1), (g1, g2)
            else:
                mu = np.empty((count, b0.shape[-1]))
                total = np.empty(count)
                for p in parts:
                    mu_ = np.add(p.base, p.directions.shift(u[p.rows], work), out=mu[p.rows])
                    total[p.rows] = _deviance_sums(mu_, p.n, p.n_log_n, work)
                total *= 2.0
            d = u if cen is None else u - cen
            return (total + np.sum(penalty * d * d, axis=-1), mu, *more)

        def derivatives(u: np.ndarray, mu: np.ndarray, *more: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """The gradient and Hessian; without an off sample g' and g'' from μ (computed at the
            accepted points only)."""
            if more:
                grad, hess = dirs.gradient(more[0], work), dirs.hessian(more[1], work)
            elif not blocked:  # g'/2 and g''/2, the factor 2 on the products (exact)
                g1, g2 = _half_derivatives(mu, nn, work)
                grad, hess = dirs.gradient(g1, work), dirs.hessian(g2, work)
                grad *= 2.0
                hess *= 2.0
            else:
                grad, hess = np.empty((count, k)), np.empty((count, k, k))
                for p in parts:
                    g1, g2 = _half_derivatives(mu[p.rows], p.n, work)
                    grad[p.rows], hess[p.rows] = p.directions.gradient(g1, work), p.directions.hessian(g2, work)
                grad *= 2.0
                hess *= 2.0
            grad += 2.0 * penalty * (u if cen is None else u - cen)
            hess += diag
            return grad, hess

        def refused_beyond(u: np.ndarray, step: np.ndarray, mu: np.ndarray, *more: np.ndarray) -> np.ndarray:
            # μ is linear in the pulls: the step lengths that surely make some μ_i < 0 (g = ∞),
            # block by block: nonnegative_step_limit's ∞ for a block where μ + Δμ/4 ≥ 0 stands
            # for its 4 t_max ≥ 1 there (μ ≥ |Δμ|/4 exactly), which skips no halving either
            limit = np.full(count, np.inf)
            for p in parts:
                dmu = p.directions.shift(step[p.rows], work)
                quarter = np.multiply(dmu, 0.25, out=work("quarter", dmu.shape))
                quarter += mu[p.rows]
                if np.any(quarter < 0):
                    limit[p.rows] = nonnegative_step_limit(mu[p.rows], dmu)
            return limit

        def line(u: np.ndarray, step: np.ndarray, t: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, ...]:
            """The objective at u + t step (μ linear in the pulls: μ + t Δμ from the rows' μ at
            u), in blocks of rows; its values and μ flattened row by row (rows × m,)."""
            rows, m, bins = t.shape[0], t.shape[1], mu.shape[-1]
            mu_t = np.empty((rows, m, bins))
            total = np.empty((rows, m))
            per = max(1, _BLOCK_ROWS // m)
            for lo in range(0, rows, per):
                sl = slice(lo, lo + per)
                block = dirs if rows <= per else dirs.block(sl)
                part = np.multiply(t[sl, :, None], block.shift(step[sl], work)[:, None, :], out=mu_t[sl])
                part += mu[sl, None, :]
                n_, nl_ = (nn, nl) if nn.ndim == 1 else (nn[sl, None, :], nl[sl, None, :])
                total[sl] = _deviance_sums(part, n_, nl_, work)
            total *= 2.0
            trial = u[:, None, :] + t[:, :, None] * step[:, None, :]
            d = trial if cen is None else trial - cen[:, None, :]
            return (total + np.sum(penalty * d * d, axis=-1)).reshape(-1), mu_t.reshape(rows * m, bins)

        return RowProblem(objective, derivatives, refused_beyond, line if mm is None else None)

    whole = problem(None)
    u = np.zeros((size, k)) if start is None else _standardised_start(start, batch, sig.size, pulled, scale, n_shapes)
    first = whole.objective(u)
    f = first[0]
    if start is not None and not np.all(np.isfinite(f)):  # a start outside the domain (some μ < 0): from zero there
        u[~np.isfinite(f)] = 0.0
        first = whole.objective(u)
        f = first[0]
    converged = np.isfinite(f) & (k == 0)
    moving = np.isfinite(f) & (k > 0)
    u, f, aux, converged = damped_newton(whole.objective, whole.derivatives, u, first, moving, converged, max_iter, tol,
                                         subset=problem if row_wise else None)
    if flat_m is None and k > 0:  # aux: μ at the pulls found
        inside = _minimum_on_the_edge(u, f, aux[0], flat_base, flat_n, flat_nlogn, flat_dir, penalty, centre, diag, tol)
        if inside.size:  # the plain iteration from there: a released edge bin's minimum lies inside
            again = problem(inside)
            u2, f2, _, c2 = damped_newton(again.objective, again.derivatives, u[inside], again.objective(u[inside]),
                                          np.ones(inside.size, dtype=bool), np.zeros(inside.size, dtype=bool), max_iter, tol)
            u[inside], f[inside], converged[inside] = u2, f2, c2 | converged[inside]
    best = u.reshape(batch + (k,))
    pulls = np.zeros(batch + (sig.size + n_shapes,))
    n_pulled = k - n_shapes
    pulls[..., : sig.size][..., pulled] = best[..., :n_pulled] * scale
    pulls[..., sig.size :] = best[..., n_pulled:]
    return PullFit(f.reshape(batch), pulls, converged.reshape(batch))


#: A bin is on the edge of the domain when it is empty and its expectation is at most this
#: fraction of the row's largest (:func:`_minimum_on_the_edge`).
_EDGE = 1e-8
#: The expectation an edge bin is held at (this fraction of the row's largest, not 0, so that
#: rounding keeps it inside the domain; its deviance 2μ then differs from the edge's by
#: 2 × 10⁻¹⁴ of the largest expectation).
_EDGE_HOLD = 1e-14


def _dense_directions(directions: _Directions | _SignalDirections, rows: np.ndarray) -> np.ndarray:
    """The μ change per unit pull of the flattened batch's ``rows``: (rows, k, bins)."""
    if isinstance(directions, _Directions):
        v = directions.v
        return np.broadcast_to(v, (rows.size,) + v.shape) if v.ndim == 2 else v[rows]
    s = directions.signal if directions.signal.ndim == 1 else directions.signal[rows]
    return directions.shared + np.atleast_2d(s)[:, None, :] * directions.scaled


def _minimum_on_the_edge(
    u: np.ndarray, f: np.ndarray, mu: np.ndarray, base: np.ndarray, n: np.ndarray, nlogn: np.ndarray,
    directions: _Directions | _SignalDirections, penalty: np.ndarray, centre: np.ndarray | None, ridge: np.ndarray,
    tol: float, rounds: int = 4, max_iter: int = 40,
) -> np.ndarray:
    """The rows whose Newton iteration stopped on the edge of the domain, an empty bin's μ = 0,
    moved to the minimum along the edge (``u`` and ``f`` updated in place; ``mu``: μ at ``u``,
    rows × bins); returns the rows
    where an edge bin was released (their minimum lies inside: the plain iteration goes on
    from there).

    With n_b = 0 the deviance of bin b is 2μ_b, finite down to μ_b = 0 and ∞ below: when the
    minimum over the pulls lies there, the damped Newton iteration meets the edge, every
    further step is cut short and it stops (:func:`~cevns.stats.chi2.damped_newton`), in
    general not at the minimum on the edge. There the χ² is minimised with the edge bins'
    μ held (at :data:`_EDGE_HOLD` of the row's largest): Newton steps of the
    equality-constrained problem, from the KKT system [[H, −Aᵀ], [A, 0]] [Δu, λ] = [−g,
    μ_hold − μ_A] (J. Nocedal, S. J. Wright, Numerical Optimization, 2nd ed. (Springer 2006),
    Eq. 16.5 and Algorithm 16.3), damped by halving; a bin whose multiplier λ comes out
    negative would rather leave the edge and is released, a bin that reaches the edge on the
    way joins the next round. A row keeps its new pulls only where its χ² is lower."""
    released: list[np.ndarray] = []
    if not np.any(n == 0):  # no empty bin: no edge
        return np.zeros(0, dtype=np.intp)
    rows = np.flatnonzero(np.isfinite(f))
    at = mu[rows] if rows.size < mu.shape[0] else mu
    for _ in range(rounds):
        if not rows.size:
            break
        edge = ((n if n.ndim == 1 else n[rows]) == 0) & (at <= _EDGE * at.max(axis=-1, keepdims=True))
        on_edge = edge.any(axis=-1)
        rows, edge = rows[on_edge], edge[on_edge]
        moved = []
        for count in np.unique(edge.sum(axis=-1)):  # rows with the same number of edge bins together
            same = edge.sum(axis=-1) == count
            better, freed = _edge_newton(rows[same], edge[same], u, f, base, n, nlogn, directions, penalty, centre, ridge,
                                         tol, max_iter)
            moved.append(better)
            released.append(freed)
        rows = np.unique(np.concatenate(moved)) if moved else rows[:0]
        at = (base if base.ndim == 1 else base[rows]) + directions.rows(rows).shift(u[rows], _Scratch())
    return np.unique(np.concatenate(released)) if released else np.zeros(0, dtype=np.intp)


def _edge_newton(
    rows: np.ndarray, edge: np.ndarray, u: np.ndarray, f: np.ndarray, base: np.ndarray, n: np.ndarray,
    nlogn: np.ndarray, directions: _Directions | _SignalDirections, penalty: np.ndarray, centre: np.ndarray | None,
    ridge: np.ndarray, tol: float, max_iter: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One round of :func:`_minimum_on_the_edge` for ``rows`` that each have the same number
    a of ``edge`` bins (rows, bins): (the rows that moved, the rows whose minimum is off the
    edge)."""
    v = _dense_directions(directions, rows)  # (r, k, bins)
    r, k = rows.size, u.shape[1]
    a = int(edge[0].sum())
    b0 = base if base.ndim == 1 else base[rows]
    nn = n if n.ndim == 1 else n[rows]
    nl = nlogn if nlogn.ndim == 1 else nlogn[rows]
    c = np.zeros((r, k)) if centre is None else centre[rows]
    where = np.nonzero(edge)[1].reshape(r, a)  # the edge bins of each row
    normals = np.take_along_axis(v, where[:, None, :], axis=2)  # (r, k, a): ∂μ_edge/∂u
    work = _Scratch()

    def value(x: np.ndarray, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """χ² and μ of the group's rows ``i`` at pulls ``x`` (i.size, k)."""
        mu = (b0 if b0.ndim == 1 else b0[i]) + _Directions(v[i]).shift(x, work)
        d = x - c[i]
        sums = _deviance_sums(mu, nn if nn.ndim == 1 else nn[i], nl if nl.ndim == 1 else nl[i], work)
        return 2.0 * sums + np.sum(penalty * d * d, axis=-1), mu

    x, fx = u[rows].copy(), f[rows].copy()
    start = fx.copy()
    mu = value(x, np.arange(r))[1]
    counts = np.broadcast_to(nn, mu.shape)
    hold = _EDGE_HOLD * mu.max(axis=-1)
    live = np.ones(r, dtype=bool)
    released = np.zeros(r, dtype=bool)
    for _ in range(max_iter):
        if not live.any():
            break
        i = np.flatnonzero(live)
        g1, g2 = _half_derivatives(mu[i], counts[i], work)  # the edge bins' μ is held > 0: 1 and 0 there
        rows_i = _Directions(v[i])
        grad = 2.0 * rows_i.gradient(g1, work) + 2.0 * penalty * (x[i] - c[i])
        hess = 2.0 * rows_i.hessian(g2, work) + ridge
        kkt = np.zeros((i.size, k + a, k + a))
        kkt[:, :k, :k] = hess
        kkt[:, :k, k:] = -normals[i]
        kkt[:, k:, :k] = np.swapaxes(normals[i], 1, 2)
        rhs = np.concatenate([-grad, hold[i, None] - np.take_along_axis(mu[i], where[i], axis=1)], axis=1)
        try:
            sol = np.linalg.solve(kkt, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:  # dependent edge normals: leave these rows as they are
            break
        step, lam = sol[:, :k], sol[:, k:]
        decrement = -np.sum(grad * step, axis=-1)
        small = np.abs(decrement) < tol * (1.0 + np.abs(fx[i]))
        leave = small & (lam.min(axis=-1) < 0.0)  # the minimum is off this edge
        released[i[leave]] = True
        live[i[small]] = False
        go = ~small
        i, step, decrement = i[go], step[go], decrement[go]
        t = np.ones(i.size)
        for _ in range(50):  # halving until f falls (Armijo); the edge stays held to first order
            trial = x[i] + t[:, None] * step
            f_new, mu_new = value(trial, i)
            ok = f_new <= fx[i] - 1e-4 * t * np.maximum(decrement, 0.0)
            if ok.all():
                break
            t = np.where(ok, t, 0.5 * t)
        take = i[ok]  # a row with no accepted step length stops where it is
        x[take], fx[take], mu[take] = trial[ok], f_new[ok], mu_new[ok]
        live[i[~ok]] = False
    better = fx < start
    u[rows[better]], f[rows[better]] = x[better], fx[better]
    return rows[better], rows[released]


def _standardised_start(start: ArrayLike, batch: tuple[int, ...], n_norms: int, pulled: np.ndarray, scale: np.ndarray,
                        n_shapes: int) -> np.ndarray:
    """Starting pulls given as :class:`PullFit` pulls (..., K + J) → the standardised ones of
    the Newton iteration, flattened (rows, k); refuses a shape that does not broadcast to
    the batch and values that are not finite."""
    a = np.asarray(start, dtype=float)
    if a.ndim < 1 or a.shape[-1] != n_norms + n_shapes or not np.all(np.isfinite(a)):
        raise InputError(f"starting pulls {a.shape} must be finite, (..., K + J) with K + J = {n_norms + n_shapes}")
    try:
        a = np.broadcast_to(a, batch + a.shape[-1:])
    except ValueError:
        raise InputError(f"the batch axes of the starting pulls {a.shape[:-1]} and of the fit {batch} do not broadcast") from None
    u = np.concatenate([a[..., :n_norms][..., pulled] / scale, a[..., n_norms:]], axis=-1)
    return u.reshape(-1, u.shape[-1])


# --- data and predictions -----------------------------------------------------------------
@dataclass(frozen=True)
class Axis:
    """One axis of a binning: ``name``, bin ``edges`` (in ``unit``), ``unit``."""

    name: str
    edges: np.ndarray
    unit: str

    @property
    def size(self) -> int:
        """Number of bins."""
        return self.edges.size - 1


@dataclass(frozen=True)
class Background:
    """A background template: expected counts per (flattened) bin at its nominal
    normalisation, and the fractional Gaussian uncertainty of that normalisation (0: fixed,
    ``math.inf``: free). ``measured``: the template is measured data (a steady state), which
    figures show subtracted from the data, with ``variance_per_count`` × counts added to the
    data's variance (1/5 for a 5× oversampled off-beam sample)."""

    name: str
    counts: np.ndarray
    sigma: float
    measured: bool = False
    variance_per_count: float = 0.0


@dataclass(frozen=True)
class ShapeSystematic:
    """A shape nuisance of the CEvNS signal: ``relative`` (bins,) is the per-bin relative
    change r_j of the signal for a +1σ variation of a response input (e.g. a quenching or
    efficiency coefficient set), r_j = (S₊ − S₋)/(2 S₀) where S₀ > 0 and 0 elsewhere, from
    full predictions at the likelihood's reference point. The expectation gains θ r S with
    a unit-Gaussian pull θ (a linear morph of the signal, relative so that it follows the
    signal through a fit)."""

    name: str
    relative: np.ndarray


@dataclass(frozen=True, eq=False)
class TemplateData:
    """What an experiment measured, in its analysis bins (flattened row-major over ``axes``).

    ``observed``: beam-on counts; ``backgrounds``: templates with constraints; ``off``: an
    off-beam / anticoincidence sample of ``off_ratio`` × the beam-on exposure measuring a
    free per-bin steady-state background (None: the steady state is a template, or absent);
    ``sigma_signal``: fractional uncertainty of the CEvNS normalisation;
    ``shape_systematics``: shape nuisances of the signal (:class:`ShapeSystematic`);
    ``constraint_centres``: the centres of the Gaussian constraints in standardised units, in
    the order of :attr:`TemplateLikelihood.pull_names` (signal, backgrounds, shape
    nuisances), e.g. the auxiliary measurements drawn for a pseudo-experiment
    (:func:`profiled_poisson_components`); None: all 0 (the real measurement).
    """

    name: str
    axes: tuple[Axis, ...]
    observed: np.ndarray
    backgrounds: tuple[Background, ...]
    sigma_signal: float
    off: np.ndarray | None = None
    off_ratio: float = 1.0
    label: str = ""
    shape_systematics: tuple[ShapeSystematic, ...] = ()
    constraint_centres: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = math.prod(a.size for a in self.axes)
        arrays = [self.observed, *(b.counts for b in self.backgrounds), *(s.relative for s in self.shape_systematics)]
        arrays += [self.off] if self.off is not None else []
        if any(np.shape(x) != (n,) for x in arrays):
            raise InputError(f"{self.name}: data, backgrounds and off sample need one value per bin ({n})")
        pulls = 1 + len(self.backgrounds) + len(self.shape_systematics)
        if self.constraint_centres is not None and np.shape(self.constraint_centres) != (pulls,):
            raise InputError(f"{self.name}: constraint centres need one value per pull ({pulls})")

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of bins along each axis."""
        return tuple(a.size for a in self.axes)

    def residual(self) -> tuple[np.ndarray, np.ndarray]:
        """Beam-on counts minus the measured steady state (off sample / τ and the measured
        templates), and the variance of that difference per bin: N_on + N_off/τ² (+ the
        templates' own variance), e.g. √(C + AC) for the CsI 2017 residuals."""
        residual = self.observed.astype(float).copy()
        variance = self.observed.astype(float).copy()
        if self.off is not None:
            residual -= self.off / self.off_ratio
            variance += self.off / self.off_ratio**2
        for b in self.backgrounds:
            if b.measured:
                residual -= b.counts
                variance += b.variance_per_count * b.counts
        return residual, variance

    @property
    def bins(self) -> int:
        """Total number of (flattened) bins."""
        return int(self.observed.size)


@dataclass(frozen=True)
class SplitPredictor:
    """A time-binned :class:`~cevns.rates.prediction.RatePredictor` whose (energy, time) cells are
    split over a further observable with fixed fractions (e.g. the F90 pulse-shape parameter
    of nuclear recoils): ``split`` (n_energy, n_extra) → counts[..., e, f, t] = counts[..., e,
    t] · split[e, f]; ``split`` (n_energy, n_extra, n_time) → the time profile too is the
    given one, counts[..., e, f, t] = Σ_t' counts[..., e, t'] · split[e, f, t]. Rows sum to 1."""

    base: RatePredictor
    split: np.ndarray

    def __post_init__(self) -> None:
        n_e = self.base.edges.size - 1
        if self.base.time_fractions is None or self.split.shape[0] != n_e or self.split.ndim not in (2, 3):
            raise InputError("a split predictor needs a time-binned predictor and one split row per energy bin")

    @property
    def n_bins(self) -> int:
        """Number of (flattened) bins of the prediction."""
        return self.base.n_bins * self.split.shape[1]

    @property
    def model(self) -> PhysicsModel:
        return self.base.model

    def binned(self, parameters: Mapping[str, float | str] | None = None, *, model: PhysicsModel | None = None) -> BinnedCounts:
        """The base prediction split over the extra observable (counts [..., e, f, t])."""
        c = self.base.binned(parameters, model=model)
        if self.split.ndim == 2:
            counts = c.counts[:, :, :, None, :] * self.split[None, None, :, :, None]
        else:
            counts = c.counts.sum(axis=-1)[:, :, :, None, None] * self.split[None, None]
        return dataclasses.replace(c, counts=counts)


@dataclass(frozen=True)
class TemplateLikelihood:
    """χ²(θ) of a prediction against binned data with background templates (module
    docstring), with the interface of :class:`cevns.stats.fits.Likelihood` that
    :func:`cevns.stats.fits.fit` and :func:`cevns.stats.fits.profile` use. ``fixed`` named
    parameters apply at every point."""

    predictor: RatePredictor | SplitPredictor
    data: TemplateData
    fixed: Mapping[str, float | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.predictor.n_bins != self.data.bins:
            raise InputError(f"the prediction has {self.predictor.n_bins} bins, the data {self.data.bins}")

    @property
    def label(self) -> str:
        """What the data are, for titles and reports."""
        return self.data.label or self.data.name

    statistic = "poisson-profiled"

    def counts(self, values: Mapping[str, float | str] | None = None) -> BinnedCounts:
        """The prediction (per isotope and flavour) in the data's bins."""
        return self.predictor.binned({**self.fixed, **(values or {})})

    def signal(self, values: Mapping[str, float | str] | None = None) -> np.ndarray:
        """Expected CEvNS counts per bin (flattened)."""
        return self.counts(values).per_bin

    def _templates(self, signal: np.ndarray, sigma_signal: float) -> tuple[np.ndarray, np.ndarray]:
        s = np.asarray(signal, dtype=float)
        bkg = np.stack([b.counts for b in self.data.backgrounds]) if self.data.backgrounds else np.zeros((0, s.shape[-1]))
        templates = np.concatenate([s[..., None, :], np.broadcast_to(bkg, s.shape[:-1] + bkg.shape)], axis=-2)
        sigmas = np.array([sigma_signal, *(b.sigma for b in self.data.backgrounds)])
        return templates, sigmas

    def _shifts(self, signal: np.ndarray) -> np.ndarray | None:
        """The shape nuisances' μ shifts r_j S (..., J, bins), None without any."""
        if not self.data.shape_systematics:
            return None
        r = np.stack([x.relative for x in self.data.shape_systematics])
        return np.asarray(signal, dtype=float)[..., None, :] * r

    @property
    def pull_names(self) -> list[str]:
        """Names of the pulls of :meth:`pulls`, in order."""
        d = self.data
        return ["signal", *(b.name for b in d.backgrounds), *(x.name for x in d.shape_systematics)]

    def pulls(self, signal: np.ndarray, sigma_signal: float | None = None) -> PullFit:
        """The profiled fit for predicted ``signal`` (..., bins): χ², pulls (signal
        normalisation first, then the backgrounds in order, then the shape nuisances in
        units of their σ; :attr:`pull_names`) and convergence."""
        d = self.data
        return self._profile(signal, d.observed, d.off, d.constraint_centres,
                             d.sigma_signal if sigma_signal is None else sigma_signal)

    def _profile(
        self, signal: ArrayLike, observed: ArrayLike, off: ArrayLike | None, centres: ArrayLike | None, sigma_signal: float
    ) -> PullFit:
        """The profiled fit of ``signal`` (..., bins) against ``observed`` (..., bins) with
        ``off`` sample, constraint ``centres`` and signal uncertainty ``sigma_signal``: the
        structured path of :func:`profiled_poisson_components` (the background templates
        shared by every batch point, the signal's pulls proportional to its row;
        :func:`_profiled_signal_components`), the same fit as the general path on
        :meth:`_templates` and :meth:`_shifts`."""
        d = self.data
        model = self._signal_model if sigma_signal == d.sigma_signal else self._model(sigma_signal)
        return _profiled_signal_components(observed, signal, model, off, d.off_ratio, centres=centres)

    def _model(self, sigma_signal: float) -> _SignalModel:
        """The parts of the fit shared by every prediction (:func:`_signal_model`)."""
        d = self.data
        bkg = np.stack([b.counts for b in d.backgrounds]) if d.backgrounds else np.zeros((0, d.bins))
        sigmas = np.array([sigma_signal, *(b.sigma for b in d.backgrounds)], dtype=float)
        relative = np.stack([x.relative for x in d.shape_systematics]) if d.shape_systematics else None
        return _signal_model(bkg, sigmas, relative)

    @functools.cached_property
    def _signal_model(self) -> _SignalModel:
        """:meth:`_model` at the data's signal uncertainty, built once."""
        return self._model(self.data.sigma_signal)

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        """χ² for predictions of shape (..., bins), vectorised over the batch."""
        return self.pulls(signal).chi2

    def fit_per_data(
        self, signal: ArrayLike, observed: ArrayLike, off: ArrayLike | None = None, centres: ArrayLike | None = None,
        start: ArrayLike | None = None,
    ) -> PullFit:
        """The profiled fit of predicted ``signal`` (..., bins) against other data of the same
        experiment, one data set per batch point (e.g. pseudo-experiments × grid nodes in one
        call): beam-on ``observed`` counts (..., bins), ``off`` sample (..., bins; None: this
        likelihood's own) and constraint ``centres`` (..., pulls in the order of
        :attr:`pull_names`; None: this likelihood's own), the batch axes broadcasting
        (:func:`profiled_poisson_components`). ``start``: pulls (..., in the order and units of
        :meth:`pulls`) to start the Newton iteration from, e.g. a nearby prediction's (the
        same minimum to the iteration's tolerance, in fewer steps); None: zero."""
        d = self.data
        if off is not None and d.off is None:
            raise InputError(f"{d.name} has no off sample: pass off=None")
        return _profiled_signal_components(observed, signal, self._signal_model, d.off if off is None else off, d.off_ratio,
                                           centres=d.constraint_centres if centres is None else centres, start=start)

    def chi2_per_data(
        self, signal: ArrayLike, observed: ArrayLike, off: ArrayLike | None = None, centres: ArrayLike | None = None
    ) -> np.ndarray:
        """χ² of :meth:`fit_per_data` (its arguments but ``start``), of the broadcast batch shape."""
        return self.fit_per_data(signal, observed, off, centres).chi2

    def chi2(self, values: Mapping[str, float | str] | None = None) -> float:
        """χ² at the physics parameters ``values`` (with ``fixed``), every nuisance profiled."""
        return float(self.chi2_from_signal(self.signal(values)))

    def with_fixed(self, values: Mapping[str, float | str]) -> TemplateLikelihood:
        """The same likelihood with more parameters fixed (``values`` override ``fixed``)."""
        return dataclasses.replace(self, fixed={**self.fixed, **values})

    def asimov(self, values: Mapping[str, float | str] | None = None) -> TemplateLikelihood:
        """Data = this prediction at ``values`` + the nominal backgrounds (+ the off sample
        scaled to the beam-on exposure): a fit then returns ``values`` with χ² = 0."""
        d = self.data
        observed = self.signal(values) + sum((b.counts for b in d.backgrounds), np.zeros(d.bins))
        if d.off is not None:
            observed = observed + d.off / d.off_ratio
        return dataclasses.replace(self, data=dataclasses.replace(d, observed=observed, label=f"Asimov ({d.name})"))

    def figure_parts(
        self, values: Mapping[str, float | str] | None = None
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """(residual, variance, stacked components) per flattened bin for a data-vs-prediction
        figure: the data minus the measured steady state (:meth:`TemplateData.residual`) and
        the nominal prediction at ``values`` without it (signal per flavour, beam backgrounds)."""
        residual, variance = self.data.residual()
        measured = {b.name for b in self.data.backgrounds if b.measured}
        parts = {k: v for k, v in self.expected(values).items() if k not in measured and k != OFF_SAMPLE_COMPONENT}
        return residual, variance, parts

    def expected(self, values: Mapping[str, float | str] | None = None, profiled: bool = False) -> dict[str, np.ndarray]:
        """Expected counts per bin of every component: the CEvNS signal per arriving flavour
        (``"signal:nu_mu"``, ...), each background, and ``"steady state (off sample)"`` (the
        off sample scaled to the beam-on exposure, or its per-bin profiled value). With
        ``profiled``, the normalisations are at their profiled best values."""
        c = self.counts(values)
        flat = c.counts.sum(axis=0).reshape(len(c.flavors), -1)
        pulls = self.pulls(flat.sum(axis=0)) if profiled else None
        a = pulls.pulls if pulls is not None else np.zeros(len(self.pull_names))
        n_norm = 1 + len(self.data.backgrounds)
        morph = 1.0 + a[0] + sum((t * x.relative for t, x in zip(a[n_norm:], self.data.shape_systematics)), np.zeros(flat.shape[-1]))
        out = {f"signal:{f}": morph * row for f, row in zip(c.flavors, flat)}
        for k, b in enumerate(self.data.backgrounds, start=1):
            out[b.name] = (1.0 + a[k]) * b.counts
        d = self.data
        if d.off is not None:
            if profiled:
                mu = sum(out.values())
                out[OFF_SAMPLE_COMPONENT] = profiled_bin_deviance(np.asarray(mu), d.observed, d.off, d.off_ratio)[3]
            else:
                out[OFF_SAMPLE_COMPONENT] = d.off / d.off_ratio
        return out


# --- signal strength --------------------------------------------------------------------------
@dataclass(frozen=True)
class SignalStrength:
    """Best-fit CEvNS count with a free normalisation: ``counts`` = k̂ × predicted, its 1σ
    interval (Δχ² = 1), the predicted count, χ²_min and the number of bins."""

    counts: float
    low: float
    high: float
    predicted: float
    chi2_min: float
    bins: int


def fit_signal_strength(likelihood: TemplateLikelihood, values: Mapping[str, float | str] | None = None) -> SignalStrength:
    """Fit a free scale k of the predicted CEvNS signal (backgrounds profiled as usual): the
    "best-fit CEvNS count" of a data set, and its 1σ interval from the Δχ² = 1 crossings."""
    s = likelihood.signal(values)
    total = float(s.sum())
    if not total > 0:
        raise InputError("the prediction has no CEvNS events in the data's bins")

    def chi2(k: float) -> float:
        return float(likelihood.pulls(k * s, sigma_signal=0.0).chi2)

    best = optimize.minimize_scalar(chi2, bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-7})
    k, c_min = float(best.x), float(best.fun)
    lo = optimize.brentq(lambda x: chi2(x) - c_min - 1.0, 0.0, k) if k > 0 and chi2(0.0) > c_min + 1 else 0.0
    hi = optimize.brentq(lambda x: chi2(x) - c_min - 1.0, k, 10.0)
    return SignalStrength(k * total, lo * total, hi * total, total, c_min, likelihood.data.bins)


__all__ = [
    "OFF_SAMPLE_COMPONENT",
    "Axis",
    "Background",
    "ShapeSystematic",
    "SignalStrength",
    "SplitPredictor",
    "TemplateData",
    "TemplateLikelihood",
    "fit_signal_strength",
    "profiled_bin_deviance",
    "profiled_poisson_components",
]
