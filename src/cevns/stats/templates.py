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
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
    """
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
    if np.any(n < 0) or np.any(sig < 0) or np.any(np.isnan(sig)):
        raise InputError("observed counts and normalisation uncertainties must be ≥ 0")
    m = None
    if off is not None:
        m = np.asarray(off, dtype=float)
        if m.shape[-1:] != n.shape[-1:] or np.any(m < 0) or not off_ratio > 0:
            raise InputError("the off sample needs one count ≥ 0 per bin and an exposure ratio > 0")
    try:
        data_batch = np.broadcast_shapes(n.shape[:-1], () if m is None else m.shape[:-1], t.shape[:-2])
    except ValueError:
        raise InputError(f"the batch axes of the data {n.shape[:-1]}, off sample and templates {t.shape[:-2]} "
                         "do not broadcast") from None
    batch = data_batch
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
    flat_base = np.broadcast_to(base, batch + base.shape[-1:]).reshape(size, -1)
    flat_tv = rows_of(tv, 2)
    diag = 2.0 * np.diag(penalty) + 1e-12 * np.eye(k)  # penalty Hessian + a ridge

    def problem(rows: np.ndarray | None) -> RowProblem:
        """Objective, derivatives and step bound of the batch points ``rows`` (None: all)."""
        if rows is not None and rows.size == size and np.array_equal(rows, np.arange(size)):
            rows = None  # the whole batch, in order: no copies

        def pick(x: np.ndarray | None, tail: int) -> np.ndarray | None:
            return x if x is None or rows is None or x.ndim == tail else x[rows]

        b0, v = pick(flat_base, 1), pick(flat_tv, 2)
        nn, mm, nl, cen = pick(flat_n, 1), pick(flat_m, 1), pick(flat_nlogn, 1), pick(centre, 1)
        assert b0 is not None and v is not None and nn is not None  # for mypy: never None here

        def shift(u: np.ndarray) -> np.ndarray:
            """Change of μ (rows, bins) for pulls or steps ``u`` (rows, k): Σ_k u_k v_k."""
            return u @ v if v.ndim == 2 else np.matmul(u[:, None, :], v)[:, 0]

        def objective(u: np.ndarray) -> tuple[np.ndarray, ...]:
            mu = b0 + shift(u)
            g, g1, g2, _ = profiled_bin_deviance(mu, nn, mm, off_ratio, n_log_n=nl)
            d = u if cen is None else u - cen
            return g.sum(axis=-1) + np.sum(penalty * d * d, axis=-1), g1, g2, mu

        def derivatives(u: np.ndarray, g1: np.ndarray, g2: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            grad = (g1 @ v.T if v.ndim == 2 else np.matmul(v, g1[..., None])[..., 0]) + 2.0 * penalty * (u if cen is None else u - cen)
            hess = np.matmul(v * g2[:, None, :], np.swapaxes(v, -1, -2)) + diag
            return grad, hess

        def refused_beyond(u: np.ndarray, step: np.ndarray, g1: np.ndarray, g2: np.ndarray, mu: np.ndarray) -> np.ndarray:
            # μ is linear in the pulls: the step lengths that surely make some μ_i < 0 (g = ∞)
            return nonnegative_step_limit(mu, shift(step))

        return RowProblem(objective, derivatives, refused_beyond)

    whole = problem(None)
    u = np.zeros((size, k))
    start = whole.objective(u)
    f = start[0]
    converged = np.isfinite(f) & (k == 0)
    moving = np.isfinite(f) & (k > 0)
    u, f, _, converged = damped_newton(whole.objective, whole.derivatives, u, start, moving, converged, max_iter, tol,
                                       subset=problem if row_wise else None)
    best = u.reshape(batch + (k,))
    pulls = np.zeros(batch + (sig.size + n_shapes,))
    n_pulled = k - n_shapes
    pulls[..., : sig.size][..., pulled] = best[..., :n_pulled] * scale
    pulls[..., sig.size :] = best[..., n_pulled:]
    return PullFit(f.reshape(batch), pulls, converged.reshape(batch))


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
        templates, sigmas = self._templates(signal, d.sigma_signal if sigma_signal is None else sigma_signal)
        return profiled_poisson_components(d.observed, templates, sigmas, d.off, d.off_ratio, shifts=self._shifts(signal),
                                           centres=d.constraint_centres)

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        """χ² for predictions of shape (..., bins), vectorised over the batch."""
        return self.pulls(signal).chi2

    def chi2_per_data(
        self, signal: ArrayLike, observed: ArrayLike, off: ArrayLike | None = None, centres: ArrayLike | None = None
    ) -> np.ndarray:
        """χ² of predicted ``signal`` (..., bins) against other data of the same experiment,
        one data set per batch point (e.g. pseudo-experiments × grid nodes in one call):
        beam-on ``observed`` counts (..., bins), ``off`` sample (..., bins; None: this
        likelihood's own) and constraint ``centres`` (..., pulls in the order of
        :attr:`pull_names`; None: this likelihood's own), the batch axes broadcasting
        (:func:`profiled_poisson_components`). Returns χ² of the broadcast batch shape."""
        d = self.data
        if off is not None and d.off is None:
            raise InputError(f"{d.name} has no off sample: pass off=None")
        s = np.asarray(signal, dtype=float)
        templates, sigmas = self._templates(s, d.sigma_signal)
        return profiled_poisson_components(observed, templates, sigmas, d.off if off is None else off, d.off_ratio,
                                           shifts=self._shifts(s), centres=d.constraint_centres if centres is None else centres).chi2

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
