"""Fits to the full binned COHERENT data releases: energy × time (CsI 2017) and
energy × F90 × time (CENNS-10 LAr, Analysis A), with every background the release gives.

The data of a release are the raw beam-on counts n_i in its analysis bins, flattened
row-major (energy first, time fastest, the order of the release files). Their expectation is

.. math::
   μ_i = (1 + a_S)\\,S_i(θ) + \\sum_k (1 + a_k)\\,B_{ki} \\; [+\\, b_i],

with S(θ) this package's CEvNS prediction in the same bins at the physics parameters θ
(:class:`cevns.rates.prediction.RatePredictor` with a time axis, :mod:`cevns.sources.timing`), background
templates B_k with Gaussian-constrained normalisations a_k (σ_k; σ = 0 fixes one, σ = ∞
frees it) and, where the release gives an off-beam sample m_i of τ times the beam-on
exposure, a free steady-state background b_i in every bin, measured by m_i ~ Pois(τ b_i).
The statistic is the Poisson likelihood ratio (Baker–Cousins, S. Baker, R. D. Cousins,
Nucl. Instrum. Meth. 221, 437 (1984)) with every nuisance profiled:

.. math::
   χ^2(θ) = \\min_{a, b}\\; 2\\sum_i\\Big[μ_i − n_i + n_i\\ln\\frac{n_i}{μ_i}\\Big]
      + 2\\sum_i\\Big[τ b_i − m_i + m_i\\ln\\frac{m_i}{τ b_i}\\Big] + \\sum_k (a_k/σ_k)^2 .

:func:`profiled_poisson_components` is the K-template generalisation of
:func:`cevns.stats.chi2.profiled_poisson_deviance` (which has one signal and one
background pull): the releases have several backgrounds of different shapes and
uncertainties (LAr: prompt and delayed beam-related neutrons, steady state), and one
common pull on their sum biases the CEvNS fit (on the LAr release: 218 instead of 160 best-fit
CEvNS events). The b_i are profiled in closed form per bin (below), the a_k by Newton's
method.

:class:`ReleaseLikelihood` has the interface :func:`cevns.stats.fits.fit` and
:func:`cevns.stats.fits.profile` use (``chi2``, ``fixed``, ``with_fixed``, ``signal``,
``asimov``, and ``chi2_from_signal`` for batches of predictions), so named parameters are
fitted and profiled on the releases unchanged.

Builders (each reads a release folder with :mod:`cevns.releases.data` and an experiment
with :mod:`cevns.config.experiments`; bins that do not match the release are an error):

* :func:`csi_2017_likelihood` — COHERENT CsI[Na] 2017 (arXiv:1708.01294; release
  arXiv:1804.09459): PE × arrival time, 2 PE × 0.5 µs bins, 0–12 µs; beam-on coincidence
  counts; steady state from the beam-on anticoincidence window (same length, τ = 1) per
  bin; prompt beam-related neutrons from the release's PE and time shapes normalised to
  6 events in 6–30 PE with a 25% uncertainty (Science 357, 1123 (2017) and its
  supplement, as used by Papoulias & Kosmas, seed 002, Eq. 6); signal normalisation
  uncertainty 28% (same sources).
* :func:`lar_2020_likelihood` — CENNS-10 LAr Analysis A (arXiv:2003.10630; release
  arXiv:2006.12659): energy × F90 × t_trig; templates and Gaussian constraints of the
  release (companion, Table 2 and Sec. 5: prompt BRN 497 ± 160, delayed BRN 33 ± 33,
  steady state 3152 ± 25; CEvNS prediction uncertainty 17/128). Our prediction per
  (energy, time) bin uses the release's efficiency, quenching, resolution, exposure and
  SNS pulse; the F90 of a nuclear recoil is taken from the released CEvNS PDF in each
  energy bin (companion Sec. 5, step 1f), since we do not model pulse shapes.

Closed forms of the per-bin profile (on n ~ Pois(μ + b), off m ~ Pois(τ b)): ∂/∂b = 0 gives
(1+τ) b² + ((1+τ)μ − n − m) b − m μ = 0, whose non-negative root is b̂; by the envelope
theorem the deviance has dg/dμ = 2(1 − n/(μ+b̂)) and, differentiating the stationarity
condition, d²g/dμ² = 2AB/(A+B) with A = n/(μ+b̂)², B = m/b̂². The profiled deviance is
convex in μ (a partial minimum of a jointly convex function), so the Newton iteration on
the pulls converges.

Counts are events for the release's exposure; energies in the experiment's observable
(PE, keVee), times in µs where the name says so.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Mapping, Sequence

import numpy as np
from scipy import optimize, special

from cevns.releases.data import CsI2017Release, LArAnalysisARelease, load_csi_2017, load_lar_2020_analysis_a
from cevns.config.experiments import load_experiment
from cevns.physics.interactions import PhysicsModel
from cevns.rates.prediction import BinnedCounts, RatePredictor
from cevns.stats.chi2 import PullFit, damped_newton

#: Prompt beam-related neutrons in the CsI 2017 region of interest (6–30 PE, the 12-µs
#: coincidence window): B_on = 6 events with a 25% normalisation uncertainty (COHERENT,
#: Science 357, 1123 (2017) and supplement; the values of Papoulias & Kosmas, seed 002, Eq. 6).
CSI_2017_PROMPT_NEUTRONS = 6.0
CSI_2017_PROMPT_NEUTRON_UNCERTAINTY = 0.25
#: CsI 2017 signal normalisation uncertainty, 28% (same sources).
CSI_2017_SIGNAL_UNCERTAINTY = 0.28
#: CENNS-10 Analysis A CEvNS prediction 128 ± 17 (LArParametersAnlA.yaml,
#: cevnsPredictionNormalization): 13.3% signal normalisation uncertainty.
LAR_2020_SIGNAL_UNCERTAINTY = 17.0 / 128.0


# --- statistic ------------------------------------------------------------------------------
def _bin_terms(mu: np.ndarray, n: np.ndarray, off: np.ndarray | None, tau: float) -> tuple[np.ndarray, ...]:
    """Per-bin deviance g(μ) with the off-sample background profiled, and g', g''
    (module docstring). Invalid μ (< 0, or 0 where n > 0 without an off sample) → g = ∞."""
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
        lam_safe = np.where(lam > 0, lam, 1.0)
        g = 2.0 * (lam - n + special.xlogy(n, n) - special.xlogy(n, lam_safe))
        g1 = 2.0 * (1.0 - np.where(lam > 0, n / lam_safe, 0.0))
        a = np.where(lam > 0, n / lam_safe**2, 0.0)
        if off is None:
            g2 = 2.0 * a
        else:
            b_safe = np.where(b > 0, b, 1.0)
            g = g + 2.0 * (tau * b - off + special.xlogy(off, off) - special.xlogy(off, tau * b_safe))
            bb = np.where(b > 0, off / b_safe**2, np.inf)  # b̂ = 0 (only when m = 0): pinned, g'' = 2A
            g2 = np.where(np.isinf(bb), 2.0 * a, np.where(a + bb > 0, 2.0 * a * bb / np.where(a + bb > 0, a + bb, 1.0), 0.0))
    g = np.where(bad, np.inf, g)
    return g, g1, g2, b


def profiled_poisson_components(
    observed: np.ndarray,
    templates: np.ndarray,
    sigmas: Sequence[float],
    off: np.ndarray | None = None,
    off_ratio: float = 1.0,
    *,
    max_iter: int = 100,
    tol: float = 1e-11,
) -> PullFit:
    """Poisson deviance of ``observed`` counts n (bins,) against Σ_k (1 + a_k) T_k [+ b],
    profiled over the normalisations a_k (Gaussian penalty (a_k/σ_k)²; σ_k = 0 fixes a_k =
    0, σ_k = ∞ leaves it free) and, with an ``off`` sample m (bins,) of ``off_ratio`` τ times
    the exposure, over a free background b_i ≥ 0 in every bin (module docstring for the
    formula and the closed forms).

    ``templates`` T: (..., K, bins), batch axes first (e.g. predictions at many parameter
    points). Newton's method on standardised pulls from a = 0, each step halved until the
    objective decreases and every expectation stays ≥ 0; stops when the Newton decrement is
    below ``tol`` × (1 + χ²). Returns :class:`cevns.stats.chi2.PullFit` with χ² of the batch
    shape, pulls a (..., K) and ``converged``.
    """
    n = np.asarray(observed, dtype=float)
    t = np.asarray(templates, dtype=float)
    sig = np.asarray(sigmas, dtype=float)
    if t.ndim < 2 or t.shape[-1] != n.shape[-1] or sig.shape != (t.shape[-2],):
        raise ValueError(f"templates {t.shape} must be (..., K, bins) with K = {sig.size} and bins = {n.shape[-1]}")
    if np.any(n < 0) or np.any(sig < 0) or np.any(np.isnan(sig)):
        raise ValueError("observed counts and normalisation uncertainties must be ≥ 0")
    if off is not None:
        off = np.asarray(off, dtype=float)
        if off.shape != n.shape or np.any(off < 0) or not off_ratio > 0:
            raise ValueError("the off sample needs one count ≥ 0 per bin and an exposure ratio > 0")
    batch = t.shape[:-2]
    pulled = sig > 0
    scale = np.where(np.isinf(sig), 1.0, sig)[pulled]
    penalty = (~np.isinf(sig[pulled])).astype(float)
    tv = t[..., pulled, :] * scale[:, None]  # μ change per unit standardised pull
    base = t.sum(axis=-2)
    k = int(pulled.sum())

    def objective(u: np.ndarray) -> tuple[np.ndarray, ...]:
        mu = base + np.einsum("...k,...ki->...i", u, tv)
        g, g1, g2, _ = _bin_terms(mu, n, off, off_ratio)
        return g.sum(axis=-1) + np.sum(penalty * u * u, axis=-1), g1, g2

    ridge = 1e-12 * np.eye(k)

    def derivatives(u: np.ndarray, g1: np.ndarray, g2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad = np.einsum("...ki,...i->...k", tv, g1) + 2.0 * penalty * u
        hess = np.einsum("...ki,...li,...i->...kl", tv, tv, g2) + 2.0 * np.diag(penalty) + ridge
        return grad, hess

    u = np.zeros(batch + (k,))
    start = objective(u)
    active = np.isfinite(start[0]) & (k > 0)
    u, f, _, converged = damped_newton(objective, derivatives, u, start, active, ~active & np.isfinite(start[0]), max_iter, tol)
    pulls = np.zeros(batch + (sig.size,))
    pulls[..., pulled] = u * scale
    return PullFit(f, pulls, converged)


# --- data and predictions -----------------------------------------------------------------
@dataclass(frozen=True)
class Axis:
    """One axis of a release's binning: ``name``, bin ``edges``, ``unit``."""

    name: str
    edges: np.ndarray
    unit: str

    @property
    def size(self) -> int:
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


@dataclass(frozen=True, eq=False)
class ReleaseData:
    """What a release measured, in its analysis bins (flattened row-major over ``axes``).

    ``observed``: beam-on counts; ``backgrounds``: templates with constraints; ``off``: an
    off-beam / anticoincidence sample of ``off_ratio`` × the beam-on exposure measuring a
    free per-bin steady-state background (None: the steady state is a template);
    ``sigma_signal``: fractional uncertainty of the CEvNS normalisation.
    """

    name: str
    axes: tuple[Axis, ...]
    observed: np.ndarray
    backgrounds: tuple[Background, ...]
    sigma_signal: float
    off: np.ndarray | None = None
    off_ratio: float = 1.0
    label: str = ""

    def __post_init__(self) -> None:
        n = math.prod(a.size for a in self.axes)
        arrays = [self.observed, *(b.counts for b in self.backgrounds)] + ([self.off] if self.off is not None else [])
        if any(np.shape(x) != (n,) for x in arrays):
            raise ValueError(f"{self.name}: data, backgrounds and off sample need one value per bin ({n})")

    @property
    def shape(self) -> tuple[int, ...]:
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
        return int(self.observed.size)


@dataclass(frozen=True)
class SplitPredictor:
    """A time-binned :class:`~cevns.rates.prediction.RatePredictor` whose (energy, time) cells are
    split over a further observable with fixed fractions (the F90 of nuclear recoils):
    ``split`` (n_energy, n_extra) → counts[..., e, f, t] = counts[..., e, t] · split[e, f];
    ``split`` (n_energy, n_extra, n_time) → the time profile too is the release's,
    counts[..., e, f, t] = Σ_t' counts[..., e, t'] · split[e, f, t]. Rows sum to 1."""

    base: RatePredictor
    split: np.ndarray

    def __post_init__(self) -> None:
        n_e = self.base.edges.size - 1
        if self.base.time_fractions is None or self.split.shape[0] != n_e or self.split.ndim not in (2, 3):
            raise ValueError("a split predictor needs a time-binned predictor and one split row per energy bin")

    @property
    def n_bins(self) -> int:
        return self.base.n_bins * self.split.shape[1]

    @property
    def model(self) -> PhysicsModel:
        return self.base.model

    def binned(self, parameters: Mapping[str, float | str] | None = None, *, model: PhysicsModel | None = None) -> BinnedCounts:
        c = self.base.binned(parameters, model=model)
        if self.split.ndim == 2:
            counts = c.counts[:, :, :, None, :] * self.split[None, None, :, :, None]
        else:
            counts = c.counts.sum(axis=-1)[:, :, :, None, None] * self.split[None, None]
        return dataclasses.replace(c, counts=counts)


@dataclass(frozen=True)
class ReleaseLikelihood:
    """χ²(θ) of a prediction against a release's binned data (module docstring), with the
    interface of :class:`cevns.stats.fits.Likelihood` that :func:`cevns.stats.fits.fit` and
    :func:`cevns.stats.fits.profile` use. ``fixed`` named parameters apply at every point."""

    predictor: RatePredictor | SplitPredictor
    data: ReleaseData
    fixed: Mapping[str, float | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.predictor.n_bins != self.data.bins:
            raise ValueError(f"the prediction has {self.predictor.n_bins} bins, the release data {self.data.bins}")

    @property
    def label(self) -> str:
        return self.data.label or self.data.name

    statistic = "poisson-profiled"

    def counts(self, values: Mapping[str, float | str] | None = None) -> BinnedCounts:
        """The prediction (per isotope and flavour) in the release's bins."""
        return self.predictor.binned({**self.fixed, **(values or {})})

    def signal(self, values: Mapping[str, float | str] | None = None) -> np.ndarray:
        """Expected CEvNS counts per release bin (flattened)."""
        return self.counts(values).per_bin

    def _templates(self, signal: np.ndarray, sigma_signal: float) -> tuple[np.ndarray, np.ndarray]:
        s = np.asarray(signal, dtype=float)
        bkg = np.stack([b.counts for b in self.data.backgrounds]) if self.data.backgrounds else np.zeros((0, s.shape[-1]))
        templates = np.concatenate([s[..., None, :], np.broadcast_to(bkg, s.shape[:-1] + bkg.shape)], axis=-2)
        sigmas = np.array([sigma_signal, *(b.sigma for b in self.data.backgrounds)])
        return templates, sigmas

    def pulls(self, signal: np.ndarray, sigma_signal: float | None = None) -> PullFit:
        """The profiled fit for predicted ``signal`` (..., bins): χ², normalisation pulls
        (signal first, then the backgrounds in order) and convergence."""
        d = self.data
        templates, sigmas = self._templates(signal, d.sigma_signal if sigma_signal is None else sigma_signal)
        return profiled_poisson_components(d.observed, templates, sigmas, d.off, d.off_ratio)

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        """χ² for predictions of shape (..., bins), vectorised over the batch."""
        return self.pulls(signal).chi2

    def chi2(self, values: Mapping[str, float | str] | None = None) -> float:
        return float(self.chi2_from_signal(self.signal(values)))

    def with_fixed(self, values: Mapping[str, float | str]) -> ReleaseLikelihood:
        return dataclasses.replace(self, fixed={**self.fixed, **values})

    def asimov(self, values: Mapping[str, float | str] | None = None) -> ReleaseLikelihood:
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
        figure: the data minus the measured steady state (:meth:`ReleaseData.residual`) and
        the nominal prediction at ``values`` without it (signal per flavour, beam backgrounds)."""
        residual, variance = self.data.residual()
        measured = {b.name for b in self.data.backgrounds if b.measured}
        parts = {k: v for k, v in self.expected(values).items() if k not in measured and k != "steady state (off sample)"}
        return residual, variance, parts

    def expected(self, values: Mapping[str, float | str] | None = None, profiled: bool = False) -> dict[str, np.ndarray]:
        """Expected counts per bin of every component: the CEvNS signal per arriving flavour
        (``"signal:nu_mu"``, ...), each background, and ``"steady state (off sample)"`` (the
        off sample scaled to the beam-on exposure, or its per-bin profiled value). With
        ``profiled``, the normalisations are at their profiled best values."""
        c = self.counts(values)
        flat = c.counts.sum(axis=0).reshape(len(c.flavors), -1)
        pulls = self.pulls(flat.sum(axis=0)) if profiled else None
        a = pulls.pulls if pulls is not None else np.zeros(1 + len(self.data.backgrounds))
        out = {f"signal:{f}": (1.0 + a[0]) * row for f, row in zip(c.flavors, flat)}
        for k, b in enumerate(self.data.backgrounds, start=1):
            out[b.name] = (1.0 + a[k]) * b.counts
        d = self.data
        if d.off is not None:
            if profiled:
                mu = sum(out.values())
                out["steady state (off sample)"] = _bin_terms(mu, d.observed, d.off, d.off_ratio)[3]
            else:
                out["steady state (off sample)"] = d.off / d.off_ratio
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


def fit_signal_strength(likelihood: ReleaseLikelihood, values: Mapping[str, float | str] | None = None) -> SignalStrength:
    """Fit a free scale k of the predicted CEvNS signal (backgrounds profiled as usual): the
    "best-fit CEvNS count" of a release, and its 1σ interval from the Δχ² = 1 crossings."""
    s = likelihood.signal(values)
    total = float(s.sum())
    if not total > 0:
        raise ValueError("the prediction has no CEvNS events in the release's bins")

    def chi2(k: float) -> float:
        return float(likelihood.pulls(k * s, sigma_signal=0.0).chi2)

    best = optimize.minimize_scalar(chi2, bounds=(0.0, 10.0), method="bounded", options={"xatol": 1e-7})
    k, c_min = float(best.x), float(best.fun)
    lo = optimize.brentq(lambda x: chi2(x) - c_min - 1.0, 0.0, k) if k > 0 and chi2(0.0) > c_min + 1 else 0.0
    hi = optimize.brentq(lambda x: chi2(x) - c_min - 1.0, k, 10.0)
    return SignalStrength(k * total, lo * total, hi * total, total, c_min, likelihood.data.bins)


# --- builders ---------------------------------------------------------------------------------
def _matching_slice(edges: np.ndarray, wanted: np.ndarray, what: str) -> slice:
    """The bins of ``edges`` spanned by ``wanted`` (which must be consecutive edges of it)."""
    i = int(np.argmin(np.abs(edges - wanted[0])))
    j = i + wanted.size - 1
    if j >= edges.size or not np.allclose(edges[i : j + 1], wanted, rtol=0, atol=1e-9 * max(1.0, float(np.abs(edges).max()))):
        shown = ", ".join(f"{e:g}" for e in edges)
        raise ValueError(f"{what} bins {', '.join(f'{e:g}' for e in wanted)} do not match the release's bins ({shown})")
    return slice(i, j)


def csi_2017_data(release: CsI2017Release, pe_edges: np.ndarray, efficiency) -> ReleaseData:
    """The CsI 2017 release in the PE bins ``pe_edges`` (consecutive release edges) × the
    24 time bins of 0–12 µs: beam-on coincidence counts, the beam-on anticoincidence as the
    off sample (τ = 1: the window has the same length, release README) and the prompt
    neutrons, shaped by ``promptPDF.txt`` (1-PE bins, taken as before the acceptance,
    since it rises towards 0 PE, far below threshold; multiplied by ``efficiency``(PE)) and
    ``arrivalTimePDF_promptNeutrons.txt``, normalised to :data:`CSI_2017_PROMPT_NEUTRONS`
    in 6–30 PE."""
    ps = _matching_slice(release.pe_edges, np.asarray(pe_edges, dtype=float), "PE")
    pe = release.prompt_pdf_pe_centres
    shape = release.prompt_pdf_values * np.asarray(efficiency(pe), dtype=float)
    per_2pe = np.histogram(pe, bins=release.pe_edges, weights=shape)[0]
    roi = (release.pe_edges[:-1] >= 6.0) & (release.pe_edges[1:] <= 30.0)
    neutrons = CSI_2017_PROMPT_NEUTRONS * per_2pe / per_2pe[roi].sum()
    template = np.outer(neutrons[ps], release.prompt_neutron_time_pdf)
    axes = (Axis("energy", release.pe_edges[ps.start : ps.stop + 1].copy(), "PE"),
            Axis("time", release.time_edges_us.copy(), "µs"))
    return ReleaseData(
        name="COHERENT CsI 2017",
        axes=axes,
        observed=release.coincidence_beam_on[ps].ravel().copy(),
        backgrounds=(Background("prompt neutrons", template.ravel(), CSI_2017_PROMPT_NEUTRON_UNCERTAINTY),),
        sigma_signal=CSI_2017_SIGNAL_UNCERTAINTY,
        off=release.anticoincidence_beam_on[ps].ravel().copy(),
        off_ratio=1.0,
        label=f"COHERENT CsI 2017 release, {axes[0].edges[0]:g}-{axes[0].edges[-1]:g} PE x 0-12 us",
    )


def csi_2017_likelihood(
    folder: str | Path,
    experiment: str = "coherent-csi-2017",
    overrides: Mapping[str, Any] | None = None,
    fixed: Mapping[str, float | str] | None = None,
) -> ReleaseLikelihood:
    """Binned likelihood of the CsI 2017 release in ``folder`` for ``experiment`` (a name or
    path, with ``overrides``; its PE bins must be release bins). The experiment's time
    selection is replaced by the release's 0.5-µs bins on 0–12 µs with the pulse fitted to
    the release's arrival-time PDFs (:data:`cevns.sources.timing.CSI_2017_FITTED_PULSE`)."""
    release = load_csi_2017(folder)
    time = {"edges_us": [float(x) for x in release.time_edges_us], "pulse": "csi-2017-fitted"}
    exp = load_experiment(experiment, {**(overrides or {}), "detector.time": time})
    data = csi_2017_data(release, np.asarray(exp.response.edges, dtype=float), exp.response.efficiency)
    return ReleaseLikelihood(exp.predictor(), data, dict(fixed or {}))


def lar_2020_overrides(release: LArAnalysisARelease) -> dict[str, Any]:
    """Experiment-file settings taken from the LAr release: mass, distance, POT, ν per
    proton (YAML), quenching QF = a + bT (YAML larQF), σ/E = a/√E (YAML energyResolution),
    the acceptance table (CENNS10AnlAEfficiency.txt, in keVee) and the t_trig bins with the
    SNS pulse (YAML snsPOTTraceTiming = :data:`cevns.sources.timing.SNS_PULSE`)."""
    a, b = release.quenching_factor
    return {
        "detector.mass_kg": release.fiducial_mass_kg,
        "source.baseline_m": release.distance_m,
        "source.pot": release.pot,
        "source.nu_per_flavor_per_pot": release.nu_per_flavor_per_pot,
        "detector.quenching": {"model": "polynomial", "coefficients": [0.0, a, b]},
        "detector.observable": {"kind": "keVee"},
        "detector.resolution": {"model": "gaussian", "stochastic": release.resolution_a},
        "detector.efficiency": {"model": "table", "x": [float(x) for x in release.efficiency_energy_kevee],
                                "efficiency": [float(x) for x in release.efficiency]},
        "detector.time": {"edges_us": [float(x) for x in release.time_edges_us], "pulse": "sns"},
    }


def lar_2020_data(release: LArAnalysisARelease) -> ReleaseData:
    """The LAr Analysis A release: beam-on counts (energy × F90 × t_trig) and the prompt
    BRN, delayed BRN and steady-state templates with the Gaussian constraints of the
    release (companion Table 2, YAML prediction uncertainties)."""
    predicted = release.predicted_counts()
    names = {"brn_prompt": "prompt BRN", "brn_delayed": "delayed BRN", "steady_state": "steady state"}
    # the steady state is off-beam data sampled over a 5× longer window (companion Sec. 2.4)
    backgrounds = tuple(Background(label, release.pdfs[key].ravel().copy(), predicted[key][1] / predicted[key][0],
                                   measured=key == "steady_state", variance_per_count=0.2 if key == "steady_state" else 0.0)
                        for key, label in names.items())
    axes = (Axis("energy", release.energy_edges_kevee.copy(), "keVee"), Axis("F90", release.f90_edges.copy(), ""),
            Axis("time", release.time_edges_us.copy(), "µs"))
    return ReleaseData("COHERENT CENNS-10 LAr Analysis A", axes, release.data.ravel().copy(), backgrounds,
                       LAR_2020_SIGNAL_UNCERTAINTY, label="CENNS-10 LAr Analysis A release, energy x F90 x t_trig")


def lar_2020_likelihood(
    folder: str | Path,
    experiment: str = "coherent-lar-2020",
    overrides: Mapping[str, Any] | None = None,
    fixed: Mapping[str, float | str] | None = None,
    timing: Literal["model", "release"] = "model",
) -> ReleaseLikelihood:
    """Binned likelihood of the LAr Analysis A release in ``folder`` for ``experiment``
    (its energy bins must be the release's), with the release's detector settings
    (:func:`lar_2020_overrides`, then ``overrides``). F90 per energy bin from the released
    CEvNS PDF; ``timing="model"``: our arrival times per source flavour (:mod:`cevns.sources.timing`),
    ``"release"``: the released PDF's joint F90 × time distribution per energy bin."""
    release = load_lar_2020_analysis_a(folder)
    exp = load_experiment(experiment, {**lar_2020_overrides(release), **(overrides or {})})
    _matching_slice(release.energy_edges_kevee, np.asarray(exp.response.edges, dtype=float), "energy")
    if len(exp.response.edges) != release.energy_edges_kevee.size:
        raise ValueError(f"energy bins of {exp.name} must be all {release.energy_edges_kevee.size - 1} release bins")
    if timing not in ("model", "release"):
        raise ValueError(f"timing must be 'model' or 'release', got {timing!r}")
    pdf = release.pdfs["cevns"]
    if timing == "model":
        split = pdf.sum(axis=2)
        fallback = split.sum(axis=0)
    else:
        split = pdf
        fallback = pdf.sum(axis=0)
    norm = split.reshape(split.shape[0], -1).sum(axis=1)
    empty = norm <= 0  # energy bins without released CEvNS: the average shape (our counts there are ~0)
    split = np.where(empty.reshape((-1,) + (1,) * (split.ndim - 1)), fallback / fallback.sum(),
                     split / np.where(empty, 1.0, norm).reshape((-1,) + (1,) * (split.ndim - 1)))
    return ReleaseLikelihood(SplitPredictor(exp.predictor(), split), lar_2020_data(release), dict(fixed or {}))


def release_kind(folder: str | Path) -> str:
    """``"csi-2017"`` or ``"lar-2020-analysis-a"`` from the files in ``folder`` (ValueError
    if it holds neither release)."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise ValueError(f"data release folder {root} does not exist or is not a folder")
    if (root / "LArParametersAnlA.yaml").is_file():
        return "lar-2020-analysis-a"
    if (root / "data_coincidence_beamOn.txt").is_file():
        return "csi-2017"
    raise ValueError(f"{root} holds neither the CsI 2017 release (data_coincidence_beamOn.txt) "
                     "nor the LAr Analysis A release (LArParametersAnlA.yaml)")


def release_likelihood(
    folder: str | Path,
    experiment: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    fixed: Mapping[str, float | str] | None = None,
) -> ReleaseLikelihood:
    """The likelihood of whichever supported release ``folder`` holds, for ``experiment``
    (default: the shipped experiment of that release)."""
    kind = release_kind(folder)
    if kind == "csi-2017":
        return csi_2017_likelihood(folder, experiment or "coherent-csi-2017", overrides, fixed)
    return lar_2020_likelihood(folder, experiment or "coherent-lar-2020", overrides, fixed)


__all__ = [
    "CSI_2017_PROMPT_NEUTRONS",
    "CSI_2017_PROMPT_NEUTRON_UNCERTAINTY",
    "CSI_2017_SIGNAL_UNCERTAINTY",
    "LAR_2020_SIGNAL_UNCERTAINTY",
    "Axis",
    "Background",
    "ReleaseData",
    "ReleaseLikelihood",
    "SignalStrength",
    "SplitPredictor",
    "csi_2017_data",
    "csi_2017_likelihood",
    "fit_signal_strength",
    "lar_2020_data",
    "lar_2020_likelihood",
    "lar_2020_overrides",
    "profiled_poisson_components",
    "release_kind",
    "release_likelihood",
]
