"""Arrival times of pion-decay-at-rest neutrinos: decay chains convolved with the proton pulse.

At a stopped-pion source the π⁺ are produced (and stop) within a few ns of the proton hitting
the target, so the neutrino emission time is the proton time plus the decay times:

* prompt ν_μ from π⁺ → μ⁺ν_μ: one exponential with the pion lifetime τ_π,

  .. math::  f_p(t) = \\frac{1}{\\tau_\\pi} e^{-t/\\tau_\\pi}\\,\\Theta(t);

* delayed ν_e and ν̄_μ from μ⁺ → e⁺ν_eν̄_μ: the two-step chain π⁺ → μ⁺ → e⁺, the convolution
  of the pion and muon exponentials (Bateman 1910),

  .. math::  f_d(t) = \\frac{e^{-t/\\tau_\\mu} - e^{-t/\\tau_\\pi}}{\\tau_\\mu - \\tau_\\pi}\\,\\Theta(t)
             = \\frac{\\tau_\\mu}{\\tau_\\mu-\\tau_\\pi} E_{\\tau_\\mu}(t)
               - \\frac{\\tau_\\pi}{\\tau_\\mu-\\tau_\\pi} E_{\\tau_\\pi}(t),

  with :math:`E_\\tau(t) = e^{-t/\\tau}\\Theta(t)/\\tau`.

Both are convolved with the proton-on-target time profile (:class:`ProtonPulse`, a Gaussian,
or :class:`TabulatedPulse`, a histogram). Since every chain is a linear combination of
single exponentials, everything reduces to the pulse convolved with one exponential, which
has closed forms for both pulse shapes (the exponentially modified Gaussian, written with
``erfcx`` so that it neither overflows nor cancels; and exponential ⊗ box). No quadrature.
The error functions are :mod:`cevns.physics.special` (numpy, within 2e-15 of scipy's).

The time of flight over the baseline (≈ 65 ns for 20 m) is common to all flavours and is
not included: it is a shift of the pulse mean.

Times in s (the package convention; ``us`` and ``ns`` below are helpers), pdfs in 1/s.
Flavour names as in :data:`cevns.physics.cross_sections.FLAVORS`: ``nu_mu`` is prompt, ``nu_e`` and
``nu_mu_bar`` are delayed; other species are not produced by π⁺/μ⁺ decay at rest.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import numpy as np

from cevns.errors import InputError
from cevns.physics.cross_sections import FLAVORS
from cevns.physics.special import erfc, erfcx, ndtr  # numpy; scipy.special costs 0.3-0.5 s of import
from cevns.units import s

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike

#: One microsecond in s.
us: float = 1e-6 * s
#: One nanosecond in s.
ns: float = 1e-9 * s

#: Charged-pion mean life: PDG 2024 (S. Navas et al., Phys. Rev. D 110, 030001 (2024)),
#: π± summary table, τ = (2.6033 ± 0.0005) × 10⁻⁸ s.
TAU_PION: float = 26.033 * ns
#: Muon mean life: PDG 2024 (same reference), μ summary table,
#: τ = (2.1969811 ± 0.0000022) × 10⁻⁶ s.
TAU_MUON: float = 2.1969811 * us

#: ν_μ from π⁺ → μ⁺ν_μ.
PROMPT_FLAVORS: tuple[str, ...] = ("nu_mu",)
#: ν_e and ν̄_μ from μ⁺ → e⁺ν_eν̄_μ.
DELAYED_FLAVORS: tuple[str, ...] = ("nu_e", "nu_mu_bar")

_SQRT2 = math.sqrt(2.0)
_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))


class Pulse(Protocol):
    """A normalised proton-on-target time profile and its convolutions with exponentials."""

    @property
    def mean_s(self) -> float:
        """Mean proton time (s)."""

    def pdf(self, t_s: ArrayLike) -> np.ndarray:
        """Proton time density (1/s)."""

    def exponential_pdf(self, t_s: ArrayLike, tau_s: float) -> np.ndarray:
        """(pulse ⊗ E_τ)(t): density of pulse time + an exponential delay of mean τ (1/s)."""

    def exponential_cdf_sf(self, t_s: ArrayLike, tau_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Cumulative distribution and survival function (1 − cdf, computed without
        cancellation) of pulse time + exponential delay."""


@dataclass(frozen=True)
class ProtonPulse:
    """Gaussian proton pulse of mean ``mean_s`` and standard deviation ``sigma_s`` (s).

    ``sigma_s = 0`` is a δ-pulse at ``mean_s`` (the pure decay-time distributions).

    The default is the SNS proton-on-target trace as documented in the COHERENT CENNS-10
    (LAr) data release, arXiv:2006.12659, doi:10.5281/zenodo.3903810,
    ``LArParametersAnlA.yaml`` entry ``snsPOTTraceTiming``: "well approximated by a gaussian
    of mean a and width b", a = 440 ± 200 ns, b = 150 ns, relative to that analysis's
    trigger time. We read "width" as the standard deviation (FWHM = 2.355 σ = 353 ns, in
    line with the ≈ 350–400 ns FWHM often quoted for SNS spills; the fit to the CsI 2017
    release's PDFs gives 334 ns, see :data:`CSI_2017_FITTED_PULSE`). The mean only fixes
    the time origin, which differs between releases.
    Use :meth:`from_fwhm` to give a FWHM instead.
    """

    mean_s: float = 440.0 * ns
    sigma_s: float = 150.0 * ns

    def __post_init__(self) -> None:
        if not math.isfinite(self.mean_s):
            raise InputError(f"pulse mean must be finite, got {self.mean_s}")
        if not (self.sigma_s >= 0 and math.isfinite(self.sigma_s)):
            raise InputError(f"pulse width must be finite and ≥ 0, got {self.sigma_s}")

    @classmethod
    def from_fwhm(cls, mean_s: float, fwhm_s: float) -> ProtonPulse:
        """A Gaussian pulse with full width at half maximum ``fwhm_s`` (s)."""
        return cls(mean_s, fwhm_s / _FWHM_PER_SIGMA)

    @property
    def fwhm_s(self) -> float:
        """Full width at half maximum, 2√(2 ln 2) σ (s)."""
        return _FWHM_PER_SIGMA * self.sigma_s

    def pdf(self, t_s: ArrayLike) -> np.ndarray:
        t = np.asarray(t_s, dtype=float)
        if self.sigma_s == 0:
            raise TypeError("a δ-pulse (sigma_s = 0) has no density")
        z = (t - self.mean_s) / self.sigma_s
        return np.exp(-0.5 * z * z) / (math.sqrt(2.0 * math.pi) * self.sigma_s)

    def _tau_g(self, z: np.ndarray, tau_s: float) -> np.ndarray:
        """τ·(Gauss ⊗ E_τ) in the reduced variable z = (t − μ)/σ:

        ½ exp(a²/2 − a z) erfc((a − z)/√2), a = σ/τ (exponentially modified Gaussian,
        e.g. Grushka, Anal. Chem. 44, 1733 (1972)). For x = (a − z)/√2 ≥ 0 it is written
        ½ exp(−z²/2) erfcx(x), which neither overflows nor underflows prematurely; for
        x < 0 the exponent a(a/2 − z) is < 0 and erfc(x) ∈ (1, 2], so the direct form is safe.
        """
        a = self.sigma_s / tau_s
        x = (a - z) / _SQRT2
        upper = np.exp(-0.5 * z * z) * erfcx(np.maximum(x, 0.0))
        lower = np.exp(np.minimum(a * (0.5 * a - z), 0.0)) * erfc(np.minimum(x, 0.0))
        return 0.5 * np.where(x >= 0, upper, lower)

    def exponential_pdf(self, t_s: ArrayLike, tau_s: float) -> np.ndarray:
        t = np.asarray(t_s, dtype=float)
        if self.sigma_s == 0:
            u = t - self.mean_s
            return np.where(u >= 0, np.exp(-np.maximum(u, 0.0) / tau_s) / tau_s, 0.0)
        return self._tau_g((t - self.mean_s) / self.sigma_s, tau_s) / tau_s

    def exponential_cdf_sf(self, t_s: ArrayLike, tau_s: float) -> tuple[np.ndarray, np.ndarray]:
        """cdf = Φ(z) − τ g and sf = Φ(−z) + τ g (g = :meth:`exponential_pdf`)."""
        t = np.asarray(t_s, dtype=float)
        if self.sigma_s == 0:
            u = np.maximum(t - self.mean_s, 0.0)
            return -np.expm1(-u / tau_s), np.exp(-u / tau_s)
        z = (t - self.mean_s) / self.sigma_s
        tg = self._tau_g(z, tau_s)
        return np.clip(ndtr(z) - tg, 0.0, 1.0), np.clip(ndtr(-z) + tg, 0.0, 1.0)


@dataclass(frozen=True)
class TabulatedPulse:
    """A proton pulse given as a histogram: ``weights`` (any normalisation, ≥ 0) of the
    bins between ``edges_s`` (s, increasing), uniform inside each bin (e.g. a measured
    proton-on-target trace). Convolutions with exponentials are exact closed forms of
    exponential ⊗ box, summed over the bins."""

    edges_s: tuple[float, ...]
    weights: tuple[float, ...]
    _p: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        e = np.asarray(self.edges_s, dtype=float)
        w = np.asarray(self.weights, dtype=float)
        if e.ndim != 1 or e.size < 2 or w.shape != (e.size - 1,):
            raise InputError("a tabulated pulse needs n + 1 edges and n weights (n ≥ 1)")
        if not (np.all(np.isfinite(e)) and np.all(np.diff(e) > 0)):
            raise InputError("tabulated pulse edges must be finite and strictly increasing")
        if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
            raise InputError("tabulated pulse weights must be finite, ≥ 0 and not all zero")
        object.__setattr__(self, "edges_s", tuple(e))
        object.__setattr__(self, "weights", tuple(w / w.sum()))
        object.__setattr__(self, "_p", w / w.sum())

    @property
    def mean_s(self) -> float:
        e = np.asarray(self.edges_s)
        return float(np.sum(self._p * 0.5 * (e[:-1] + e[1:])))

    def pdf(self, t_s: ArrayLike) -> np.ndarray:
        e = np.asarray(self.edges_s)
        t = np.asarray(t_s, dtype=float)
        i = np.searchsorted(e, t, side="right") - 1
        inside = (i >= 0) & (i < e.size - 1)
        ic = np.clip(i, 0, e.size - 2)
        return np.where(inside, self._p[ic] / np.diff(e)[ic], 0.0)

    def _parts(self, t_s: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        e = np.asarray(self.edges_s)
        t = np.asarray(t_s, dtype=float)[..., None]
        return t - e[:-1], t - e[1:], np.diff(e), self._p

    def exponential_pdf(self, t_s: ArrayLike, tau_s: float) -> np.ndarray:
        """Σ_bins p_i/w_i [F_E(t − a_i) − F_E(t − b_i)], F_E(u) = 1 − e^{−u/τ} (u > 0);
        written as −expm1(−u_a/τ) inside a bin and e^{−u_b/τ}(−expm1(−w/τ)) after it."""
        ua, ub, w, p = self._parts(t_s)
        inside = -np.expm1(-np.maximum(ua, 0.0) / tau_s)
        after = np.exp(-np.maximum(ub, 0.0) / tau_s) * -np.expm1(-w / tau_s)
        per_bin = np.where(ub >= 0, after, np.where(ua > 0, inside, 0.0))
        return np.sum(p / w * per_bin, axis=-1)

    def exponential_cdf_sf(self, t_s: ArrayLike, tau_s: float) -> tuple[np.ndarray, np.ndarray]:
        """Per bin [a, b] of width w: cdf = (u + τ expm1(−u/τ))/w for u = t − a ∈ [0, w],
        sf = τ e^{−(t−b)/τ}(−expm1(−w/τ))/w after the bin, cdf = 0 before it."""
        ua, ub, w, p = self._parts(t_s)
        u = np.clip(ua, 0.0, w)
        cdf_in = (u + tau_s * np.expm1(-u / tau_s)) / w
        sf_after = tau_s * np.exp(-np.maximum(ub, 0.0) / tau_s) * -np.expm1(-w / tau_s) / w
        cdf = np.where(ub >= 0, 1.0 - sf_after, cdf_in)
        sf = np.where(ub >= 0, sf_after, 1.0 - cdf_in)
        return np.clip(np.sum(p * cdf, axis=-1), 0.0, 1.0), np.clip(np.sum(p * sf, axis=-1), 0.0, 1.0)


#: Default pulse: the SNS trace of the CENNS-10 release (see :class:`ProtonPulse`).
SNS_PULSE = ProtonPulse()

#: Gaussian pulse that, with :data:`TAU_PION` and :data:`TAU_MUON`, reproduces the
#: arrival-time PDFs released with the COHERENT CsI[Na] 2017 data (arXiv:1804.09459,
#: doi:10.5281/zenodo.1228631; ``arrivalTimePDF_{prompt,delayed}Neutrinos.txt``, 0.5-µs
#: bins on 0–12 µs in that release's time axis). Fitted by this package (least squares on
#: both binned PDFs, each normalised inside 0–12 µs as the release is): mean 0.692 µs,
#: σ = 0.142 µs (FWHM 0.334 µs); every bin then agrees to < 0.001 in absolute fraction.
#: Not a collaboration number: use it to put predictions on the CsI 2017 time axis.
CSI_2017_FITTED_PULSE = ProtonPulse(0.6916 * us, 0.1417 * us)

#: Gaussian pulse whose binned shape reproduces the released beam-related-neutron (BRN) arrival
#: time distribution of the COHERENT CsI[Na] 2021 data (D. Akimov et al. (COHERENT), PRL 129,
#: 081801 (2022), arXiv:2110.07730, ancillary ``brnTrec.txt``, 0.01-µs bins on its t_rec axis).
#: Fitted by this package (least squares on the unit-sum shape): mean 0.6569 µs, σ = 0.1505 µs
#: (the SNS σ = 150 ns of :data:`SNS_PULSE`); every 0.01-µs bin then agrees to < 0.0007 in
#: fraction (peak 0.026). Prompt neutrons follow the proton pulse up to their time of flight,
#: which this puts on the neutrinos too (tens of ns): the release's own SNS flux
#: ``snsFlux2D.root`` is not read by the package. Not a collaboration number.
CSI_2021_BRN_PULSE = ProtonPulse(0.6569 * us, 0.1505 * us)


@dataclass(frozen=True)
class ExponentialTimeEfficiency:
    """Time-dependent efficiency ε_T(t) = 1 for t < ``onset_s``, exp(−``rate_per_s`` (t −
    onset)) after: the COHERENT CsI[Na] 2021 form (D. Akimov et al. (COHERENT), PRL 129,
    081801 (2022), arXiv:2110.07730, supplement: onset 0.52 µs, rate 0.0494 µs⁻¹, as read
    by the release's users). Times in s on the time axis of the pulse."""

    onset_s: float
    rate_per_s: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.onset_s) and math.isfinite(self.rate_per_s) and self.rate_per_s >= 0):
            raise InputError(f"time efficiency needs a finite onset and a decay rate ≥ 0, got {self.onset_s}, {self.rate_per_s}")

    def __call__(self, t_s: ArrayLike) -> np.ndarray:
        t = np.asarray(t_s, dtype=float)
        return np.exp(-self.rate_per_s * np.maximum(t - self.onset_s, 0.0))

    def bin_average(self, edges_s: ArrayLike) -> np.ndarray:
        """Mean of ε_T over each bin between ``edges_s`` (s), in closed form (for shapes
        given as histograms, e.g. released background time shapes)."""
        e = np.asarray(edges_s, dtype=float)
        lo, hi = np.maximum(e[:-1], self.onset_s), np.maximum(e[1:], self.onset_s)
        k = self.rate_per_s
        before = np.clip(np.minimum(e[1:], self.onset_s) - e[:-1], 0.0, None)
        after = (hi - lo) if k == 0 else (np.exp(-k * (lo - self.onset_s)) - np.exp(-k * (hi - self.onset_s))) / k
        return (before + after) / np.diff(e)


def decay_components(flavor: str) -> tuple[tuple[float, float], ...]:
    """The arrival-time density of ``flavor`` (for a δ-pulse at 0) as Σ_k c_k E_{τ_k}(t):
    pairs (c_k, τ_k in s). Prompt ν_μ: ((1, τ_π),); delayed ν_e, ν̄_μ:
    ((τ_μ/(τ_μ−τ_π), τ_μ), (−τ_π/(τ_μ−τ_π), τ_π)) (see the module docstring)."""
    if flavor in PROMPT_FLAVORS:
        return ((1.0, TAU_PION),)
    if flavor in DELAYED_FLAVORS:
        d = TAU_MUON - TAU_PION
        return ((TAU_MUON / d, TAU_MUON), (-TAU_PION / d, TAU_PION))
    if flavor in FLAVORS:
        raise InputError(
            f"{flavor} is not produced by π⁺/μ⁺ decay at rest; "
            f"prompt: {', '.join(PROMPT_FLAVORS)}, delayed: {', '.join(DELAYED_FLAVORS)}"
        )
    raise InputError(f"unknown neutrino flavour {flavor!r}; use one of {', '.join(FLAVORS)}")


def arrival_time_pdf(flavor: str, t_s: ArrayLike, pulse: Pulse = SNS_PULSE) -> np.ndarray:
    """Density of the neutrino emission time of ``flavor`` at times ``t_s`` (s), in 1/s:
    (pulse ⊗ decay chain)(t), normalised to 1 over all t."""
    out = sum(c * pulse.exponential_pdf(t_s, tau) for c, tau in decay_components(flavor))
    return np.maximum(out, 0.0)  # the delayed combination may round to −1e-300 far before the pulse


def arrival_time_cdf(flavor: str, t_s: ArrayLike, pulse: Pulse = SNS_PULSE) -> np.ndarray:
    """Probability that a ``flavor`` neutrino is emitted before ``t_s`` (s)."""
    return _cdf_sf(flavor, t_s, pulse)[0]


def arrival_time_survival(flavor: str, t_s: ArrayLike, pulse: Pulse = SNS_PULSE) -> np.ndarray:
    """Probability that a ``flavor`` neutrino is emitted after ``t_s`` (s), 1 − cdf computed
    without cancellation (accurate in the far tail)."""
    return _cdf_sf(flavor, t_s, pulse)[1]


def _cdf_sf(flavor: str, t_s: ArrayLike, pulse: Pulse) -> tuple[np.ndarray, np.ndarray]:
    cdf = sf = np.zeros(np.shape(t_s))
    for c, tau in decay_components(flavor):
        f, g = pulse.exponential_cdf_sf(t_s, tau)
        cdf = cdf + c * f
        sf = sf + c * g
    return np.clip(cdf, 0.0, 1.0), np.clip(sf, 0.0, 1.0)


def time_bin_fractions(flavor: str, edges_s: ArrayLike, pulse: Pulse = SNS_PULSE) -> np.ndarray:
    """Fraction of ``flavor`` neutrinos emitted in each bin between ``edges_s`` (s, 1-D,
    strictly increasing); the array has len(edges) − 1 entries and sums to the fraction
    inside [edges[0], edges[-1]] (≤ 1). Each fraction is a difference of cdfs before the
    median and of survival functions after it, so tail bins keep full relative precision."""
    e = np.asarray(edges_s, dtype=float)
    if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
        raise InputError("time bin edges must be a 1-D, finite, strictly increasing array of ≥ 2 values")
    cdf, sf = _cdf_sf(flavor, e, pulse)
    late = sf[:-1] < 0.5
    return np.maximum(np.where(late, sf[:-1] - sf[1:], cdf[1:] - cdf[:-1]), 0.0)


def weighted_time_bin_fractions(
    flavor: str, edges_s: ArrayLike, efficiency: ExponentialTimeEfficiency, pulse: Pulse = SNS_PULSE, nodes: int = 48
) -> np.ndarray:
    """∫_bin p(t) ε_T(t) dt for each bin between ``edges_s`` (s): :func:`time_bin_fractions`
    with a time-dependent efficiency. Bins (or their parts) before the onset are the exact
    cdf differences; after it, ∫ p (1 − ε_T) is subtracted, by Gauss–Legendre quadrature
    (``nodes`` per bin, split at the onset) of the analytic density; 1 − ε_T vanishes at the
    onset, so the quadrature error stays far below the fractions' own precision."""
    e = np.asarray(edges_s, dtype=float)
    plain = time_bin_fractions(flavor, e, pulse)
    x, w = np.polynomial.legendre.leggauss(nodes)
    loss = np.zeros_like(plain)
    for b, (lo, hi) in enumerate(zip(e[:-1], e[1:])):
        a = max(lo, efficiency.onset_s)
        if hi <= a:
            continue
        t = 0.5 * (hi - a) * x + 0.5 * (hi + a)
        loss[b] = 0.5 * (hi - a) * np.sum(w * arrival_time_pdf(flavor, t, pulse) * (1.0 - efficiency(t)))
    return np.maximum(plain - loss, 0.0)


def window_fraction(flavor: str, t_min_s: float, t_max_s: float, pulse: Pulse = SNS_PULSE) -> float:
    """Fraction of ``flavor`` neutrinos emitted between ``t_min_s`` and ``t_max_s`` (s);
    either end may be infinite (e.g. ``window_fraction("nu_e", 6 * us, math.inf)``)."""
    if not t_max_s > t_min_s:
        raise InputError(f"time window needs t_max > t_min, got [{t_min_s}, {t_max_s}]")
    if math.isinf(t_min_s) and math.isinf(t_max_s):
        return 1.0
    if math.isinf(t_max_s):
        return float(arrival_time_survival(flavor, t_min_s, pulse))
    if math.isinf(t_min_s):
        return float(arrival_time_cdf(flavor, t_max_s, pulse))
    return float(time_bin_fractions(flavor, [t_min_s, t_max_s], pulse)[0])


def mean_arrival_time(flavor: str, pulse: Pulse = SNS_PULSE) -> float:
    """Mean emission time (s): pulse mean + Σ_k c_k τ_k, i.e. + τ_π for prompt ν_μ and
    + τ_π + τ_μ for delayed ν_e, ν̄_μ (means add under convolution)."""
    return pulse.mean_s + sum(c * tau for c, tau in decay_components(flavor))


__all__ = [
    "CSI_2017_FITTED_PULSE",
    "CSI_2021_BRN_PULSE",
    "ExponentialTimeEfficiency",
    "DELAYED_FLAVORS",
    "PROMPT_FLAVORS",
    "SNS_PULSE",
    "TAU_MUON",
    "TAU_PION",
    "ProtonPulse",
    "Pulse",
    "TabulatedPulse",
    "arrival_time_cdf",
    "arrival_time_pdf",
    "arrival_time_survival",
    "decay_components",
    "mean_arrival_time",
    "ns",
    "time_bin_fractions",
    "us",
    "weighted_time_bin_fractions",
    "window_fraction",
]
