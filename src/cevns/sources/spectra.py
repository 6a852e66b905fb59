"""Neutrino sources: per-flavour energy spectra with a flux normalisation.

A :class:`NeutrinoSource` maps neutrino species (``nu_e``, ``nu_mu_bar``, …) to a
normalised spectrum (∫ pdf dE = 1, pdf in 1/MeV) and a flux at the detector in
ν/cm²/s. Rates only need the *tail moments* of each spectrum,

.. math::  m_k(E_{min}) = \\int_{E_{min}}^{\\infty} f(E)\\,E^{-k}\\,dE,\\quad k = 0, 1, 2,

because the SM kinematic factor 1 − T/E − MT/2E² is a polynomial in 1/E; each spectrum
class computes them exactly (lines, piecewise-linear tables) or by fixed Gauss–Legendre
quadrature (smooth analytic spectra), vectorised over E_min.

Energies in MeV, fluxes in ν/cm²/s, distances in cm (see :mod:`cevns.units`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol

import numpy as np
from numpy.typing import ArrayLike

from cevns.errors import InputError
from cevns.units import FOUR_PI, M_MUON, M_PION, MeV

_MOMENT_POWERS = np.arange(3)


class Spectrum(Protocol):
    """A normalised neutrino energy spectrum."""

    @property
    def support(self) -> tuple[float, float]:
        """(lowest, highest) energy with non-zero pdf, MeV."""

    @property
    def lines(self) -> tuple[float, ...]:
        """Energies of monoenergetic components (MeV): kinks of the recoil spectrum."""

    def pdf(self, energy: ArrayLike) -> np.ndarray:
        """Probability density in 1/MeV."""

    def tail_moments(self, emin: ArrayLike) -> np.ndarray:
        """Array ``(3, *emin.shape)`` of ∫_{E_min} pdf(E) E^{-k} dE for k = 0, 1, 2."""

    def __hash__(self) -> int:
        """Spectra are immutable and hashable: tables derived from them are cached."""


@dataclass(frozen=True)
class LineSpectrum:
    """A monoenergetic line at ``energy`` MeV (e.g. prompt ν_μ from π⁺ → μ⁺ν_μ)."""

    energy: float

    @property
    def support(self) -> tuple[float, float]:
        return (self.energy, self.energy)

    @property
    def lines(self) -> tuple[float, ...]:
        return (self.energy,)

    def pdf(self, energy: ArrayLike) -> np.ndarray:
        raise TypeError("a line spectrum has no density; use tail_moments")

    def tail_moments(self, emin: ArrayLike) -> np.ndarray:
        above = (np.asarray(emin, dtype=float) <= self.energy).astype(float)
        return self.energy ** (-_MOMENT_POWERS.reshape((3,) + (1,) * above.ndim)) * above


@dataclass(frozen=True)
class AnalyticSpectrum:
    """A smooth spectrum given by a function on [``low``, ``high``] MeV.

    The function need not be normalised: it is normalised here with the same
    ``nodes``-point Gauss–Legendre rule used for the moments, which is exact for the
    polynomial Michel spectra and converges exponentially for smooth ones.
    """

    function: Callable[[np.ndarray], np.ndarray]
    low: float
    high: float
    nodes: int = 64
    label: str = ""
    _norm: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not (0 <= self.low < self.high):
            raise InputError(f"spectrum support must satisfy 0 <= low < high, got [{self.low}, {self.high}]")
        x, w = np.polynomial.legendre.leggauss(self.nodes)
        e = 0.5 * (self.high - self.low) * (x + 1.0) + self.low
        norm = 0.5 * (self.high - self.low) * float(np.sum(w * self.function(e)))
        if not norm > 0:
            raise InputError(f"spectrum {self.label or self.function!r} integrates to {norm}, not > 0")
        object.__setattr__(self, "_norm", norm)

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    @property
    def integral(self) -> float:
        """∫ function dE over the support (e.g. ν̄ per fission for a reactor spectrum)."""
        return self._norm

    @property
    def lines(self) -> tuple[float, ...]:
        return ()

    def pdf(self, energy: ArrayLike) -> np.ndarray:
        e = np.asarray(energy, dtype=float)
        inside = (e >= self.low) & (e <= self.high)
        return np.where(inside, self.function(np.clip(e, self.low, self.high)), 0.0) / self._norm

    def tail_moments(self, emin: ArrayLike) -> np.ndarray:
        lo = np.clip(np.asarray(emin, dtype=float), self.low, self.high)
        x, w = np.polynomial.legendre.leggauss(self.nodes)
        half = 0.5 * (self.high - lo)
        e = half[..., None] * (x + 1.0) + lo[..., None]
        f = self.function(e) / self._norm
        powers = e[None, ...] ** (-_MOMENT_POWERS.reshape((3,) + (1,) * e.ndim))
        return half[None, ...] * np.sum(w * f[None, ...] * powers, axis=-1)


@dataclass(frozen=True)
class TabulatedSpectrum:
    """A spectrum tabulated at ``energies`` (MeV, increasing) and linearly interpolated.

    Values need not be normalised; they are normalised to unit area of the interpolant.
    Tail moments are exact for the piecewise-linear interpolant (closed forms of
    ∫(a + bE)E^{-k} dE), so no quadrature error enters.
    """

    energies: tuple[float, ...]
    values: tuple[float, ...]
    label: str = ""

    def __post_init__(self) -> None:
        e = np.asarray(self.energies, dtype=float)
        v = np.asarray(self.values, dtype=float)
        if e.ndim != 1 or e.size < 2 or e.shape != v.shape:
            raise InputError("a tabulated spectrum needs ≥ 2 energies and as many values")
        if np.any(np.diff(e) <= 0) or e[0] < 0:
            raise InputError("tabulated spectrum energies must be ≥ 0 and strictly increasing")
        if np.any(v < 0) or not np.all(np.isfinite(v)):
            raise InputError("tabulated spectrum values must be finite and ≥ 0")
        area = float(np.trapezoid(v, e))
        if not area > 0:
            raise InputError("tabulated spectrum has zero area")
        object.__setattr__(self, "values", tuple(v / area))

    @property
    def support(self) -> tuple[float, float]:
        return (self.energies[0], self.energies[-1])

    @property
    def lines(self) -> tuple[float, ...]:
        return ()

    def pdf(self, energy: ArrayLike) -> np.ndarray:
        return np.interp(np.asarray(energy, dtype=float), self.energies, self.values, left=0.0, right=0.0)

    @staticmethod
    def _primitive(a: np.ndarray, b: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Primitives of (a + bE)E^{-k}, k = 0, 1, 2, shape (3, ...)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            log_e = np.log(e)
            return np.stack([a * e + 0.5 * b * e**2, a * log_e + b * e, -a / e + b * log_e])

    def tail_moments(self, emin: ArrayLike) -> np.ndarray:
        e = np.asarray(self.energies)
        v = np.asarray(self.values)
        slope = np.diff(v) / np.diff(e)
        intercept = v[:-1] - slope * e[:-1]
        # Segment integrals; a segment starting at E = 0 is only used for k = 0.
        lo_edge = np.where(e[:-1] > 0, e[:-1], np.nan)
        seg = self._primitive(intercept, slope, e[1:]) - self._primitive(intercept, slope, lo_edge)
        seg[0] = (0.5 * slope * e[1:] ** 2 + intercept * e[1:]) - (0.5 * slope * e[:-1] ** 2 + intercept * e[:-1])
        seg = np.nan_to_num(seg)
        tail = np.concatenate([np.cumsum(seg[:, ::-1], axis=1)[:, ::-1], np.zeros((3, 1))], axis=1)
        x = np.clip(np.asarray(emin, dtype=float), e[0], e[-1])
        i = np.clip(np.searchsorted(e, x, side="right") - 1, 0, e.size - 2)
        partial = self._primitive(intercept[i], slope[i], e[i + 1]) - self._primitive(intercept[i], slope[i], x)
        return np.nan_to_num(partial) + tail[:, i + 1]


@dataclass(frozen=True)
class NeutrinoSource:
    """Per-flavour spectra and fluxes at the detector.

    ``spectra`` maps species (``nu_e``, ``nu_mu``, ``nu_mu_bar``, …) to a normalised
    :class:`Spectrum`; ``flux_cm2_s`` maps the same keys to the flux at the detector in
    ν/cm²/s (for a pulsed source, averaged over the live time). ``baseline_cm`` (mean
    source–detector distance) and ``baseline_spread_cm`` (its rms spread from the extent of
    source and detector) are needed only for oscillations (:mod:`cevns.physics.oscillations`).
    """

    name: str
    spectra: Mapping[str, Spectrum]
    flux_cm2_s: Mapping[str, float]
    baseline_cm: float | None = None
    baseline_spread_cm: float = 0.0

    def __post_init__(self) -> None:
        if set(self.spectra) != set(self.flux_cm2_s):
            raise InputError("source spectra and fluxes must name the same flavours")
        if self.baseline_cm is not None and not (self.baseline_cm > 0 and math.isfinite(self.baseline_cm)):
            raise InputError(f"source baseline must be > 0, got {self.baseline_cm}")
        if not (self.baseline_spread_cm >= 0 and math.isfinite(self.baseline_spread_cm)):
            raise InputError(f"baseline spread must be finite and ≥ 0, got {self.baseline_spread_cm}")
        for flavor, flux in self.flux_cm2_s.items():
            if not (flux >= 0 and math.isfinite(flux)):
                raise InputError(f"flux of {flavor} must be finite and ≥ 0, got {flux}")

    @property
    def flavors(self) -> tuple[str, ...]:
        return tuple(self.spectra)

    @property
    def max_energy(self) -> float:
        """Highest neutrino energy of any flavour (MeV)."""
        return max(s.support[1] for s in self.spectra.values())


# --- pion decay at rest ----------------------------------------------------------------

#: Prompt ν_μ energy from π⁺ → μ⁺ ν_μ at rest: (m_π² − m_μ²)/(2 m_π) ≈ 29.79 MeV.
PROMPT_NU_MU_ENERGY: float = (M_PION**2 - M_MUON**2) / (2.0 * M_PION)


def michel_nu_e(energy: ArrayLike) -> np.ndarray:
    """ν_e spectrum from μ⁺ decay at rest, (192/m_μ)(E/m_μ)²(½ − E/m_μ), in 1/MeV on
    [0, m_μ/2] (e.g. D. K. Papoulias & T. S. Kosmas, HNPS proceedings, cf. arXiv:1711.09773;
    F. Dordei, Invisibles 2021 talk)."""
    x = np.asarray(energy, dtype=float) / M_MUON
    return np.where((x >= 0) & (x <= 0.5), 192.0 / M_MUON * x**2 * (0.5 - x), 0.0)


def michel_nu_mu_bar(energy: ArrayLike) -> np.ndarray:
    """ν̄_μ spectrum from μ⁺ decay at rest, (64/m_μ)(E/m_μ)²(¾ − E/m_μ), in 1/MeV on
    [0, m_μ/2] (same references as :func:`michel_nu_e`)."""
    x = np.asarray(energy, dtype=float) / M_MUON
    return np.where((x >= 0) & (x <= 0.5), 64.0 / M_MUON * x**2 * (0.75 - x), 0.0)


def pot_per_second(beam_power: float, proton_energy: float) -> float:
    """Protons on target per second for a beam power (MeV/s; use ``units.MW``) and
    proton kinetic energy (MeV; use ``units.GeV``)."""
    if not (beam_power > 0 and proton_energy > 0):
        raise InputError("beam power and proton energy must be > 0")
    return beam_power / proton_energy


def pion_dar_source(
    pot_rate: float,
    nu_per_flavor_per_pot: float,
    baseline: float,
    name: str = "pion-dar",
    baseline_spread: float = 0.0,
) -> NeutrinoSource:
    """Stopped-pion source: prompt ν_μ line, delayed ν_e and ν̄_μ Michel spectra.

    Each flavour carries r = ``nu_per_flavor_per_pot`` neutrinos per proton, emitted
    isotropically: flux = r · POT/s / (4π L²) (Papoulias & Kosmas, HNPS proceedings, cf.
    arXiv:1711.09773, Eq. 5).
    ``pot_rate`` in POT/s, ``baseline`` L and its rms ``baseline_spread`` in cm (use
    ``units.m``).
    """
    if not (pot_rate >= 0 and nu_per_flavor_per_pot >= 0 and baseline > 0):
        raise InputError("POT rate and ν per proton must be ≥ 0 and the baseline > 0")
    flux = nu_per_flavor_per_pot * pot_rate / (FOUR_PI * baseline**2)
    half = 0.5 * M_MUON
    spectra: dict[str, Spectrum] = {
        "nu_mu": LineSpectrum(PROMPT_NU_MU_ENERGY),
        "nu_e": AnalyticSpectrum(michel_nu_e, 0.0, half, nodes=8, label="Michel nu_e"),
        "nu_mu_bar": AnalyticSpectrum(michel_nu_mu_bar, 0.0, half, nodes=8, label="Michel nu_mu_bar"),
    }
    return NeutrinoSource(name, spectra, {f: flux for f in spectra}, baseline, baseline_spread)


# --- reactors --------------------------------------------------------------------------

#: Coefficients a_k of S(E) = exp(Σ a_k E^k) in ν̄_e/MeV/fission (E in MeV), valid 2–8 MeV:
#: ²³⁵U, ²³⁹Pu, ²⁴¹Pu from P. Huber, PRC 84, 024617 (2011), arXiv:1106.0687, Table III;
#: ²³⁸U from Th. A. Mueller et al., PRC 83, 054615 (2011), arXiv:1101.2663, Table VI.
HUBER_MUELLER_COEFFICIENTS: Mapping[str, tuple[float, ...]] = {
    "U235": (4.367, -4.577, 2.100, -0.5294, 0.06186, -0.002777),
    "Pu239": (4.757, -5.392, 2.563, -0.6596, 0.07820, -0.003536),
    "Pu241": (2.990, -2.882, 1.278, -0.3343, 0.03905, -0.001754),
    "U238": (0.4833, 0.1927, -0.1283, -0.006762, 0.002233, -0.0001536),
}

#: Coefficients of exp(a₀ + a₁E + a₂E²) in ν̄_e/MeV/fission: P. Vogel, J. Engel,
#: PRD 39, 3378 (1989), Table I; used below 2 MeV with ``low_energy_model="vogel-engel"``.
VOGEL_ENGEL_COEFFICIENTS: Mapping[str, tuple[float, ...]] = {
    "U235": (0.870, -0.160, -0.0910),
    "Pu239": (0.896, -0.239, -0.0981),
    "Pu241": (0.793, -0.080, -0.1085),
    "U238": (0.976, -0.162, -0.0790),
}

#: Mean energy released per fission in MeV (thermal reactor, incl. neutron capture):
#: X. B. Ma, W. L. Zhong, L. Z. Wang, Y. X. Chen, J. Cao, PRC 88, 014605 (2013),
#: arXiv:1212.6625, Table VI.
ENERGY_PER_FISSION_MEV: Mapping[str, float] = {"U235": 202.36, "U238": 205.99, "Pu239": 211.12, "Pu241": 214.26}

#: Typical pressurised-water-reactor fission fractions (mid-cycle), e.g. as used for
#: CONUS-like set-ups (H. Bonet et al. (CONUS), EPJC 81, 267 (2021), arXiv:2011.00210, Sec. 2).
TYPICAL_PWR_FISSION_FRACTIONS: Mapping[str, float] = {"U235": 0.56, "Pu239": 0.31, "U238": 0.07, "Pu241": 0.06}

REACTOR_LOW_ENERGY_MODELS = ("vogel-engel", "extrapolate")
#: Upper end of the reactor spectrum used in rates (MeV); above it the fits are < 10⁻⁴ of peak.
REACTOR_MAX_ENERGY = 10.0
#: Lowest energy of the reactor spectrum (MeV): the Huber–Mueller range starts at 2 MeV;
#: below it the chosen low-energy model applies down to this energy.
REACTOR_MIN_ENERGY = 0.2


def reactor_spectrum_per_fission(
    energy: ArrayLike, isotope: str, low_energy_model: str = "vogel-engel"
) -> np.ndarray:
    """ν̄_e per MeV per fission of ``isotope`` (``U235``, ``U238``, ``Pu239``, ``Pu241``).

    Above 2 MeV: Huber (2011) / Mueller (2011) exponential-polynomial fits. Below 2 MeV
    (where inverse beta decay measured nothing and the fits are not constrained):
    ``"vogel-engel"`` (default) switches to the Vogel–Engel (1989) fit, rescaled to be
    continuous at 2 MeV, which stays physical down to 0 (≈ 5.7 ν̄ per ²³⁵U fission in
    all); ``"extrapolate"`` continues the Huber–Mueller polynomial, which is only
    sensible down to ~1.5 MeV (at 1 MeV it is already 2× Vogel–Engel, at 0.2 MeV 14×), so
    use it only with thresholds that make ν̄ below ~2 MeV irrelevant.
    """
    if isotope not in HUBER_MUELLER_COEFFICIENTS:
        raise InputError(f"unknown fissile isotope {isotope!r}; use {', '.join(HUBER_MUELLER_COEFFICIENTS)}")
    if low_energy_model not in REACTOR_LOW_ENERGY_MODELS:
        raise InputError(f"unknown low-energy model {low_energy_model!r}; use {', '.join(REACTOR_LOW_ENERGY_MODELS)}")
    e = np.asarray(energy, dtype=float)
    high = np.exp(np.polynomial.polynomial.polyval(e, HUBER_MUELLER_COEFFICIENTS[isotope]))
    if low_energy_model == "extrapolate":
        return high
    ve = VOGEL_ENGEL_COEFFICIENTS[isotope]
    match = math.exp(np.polynomial.polynomial.polyval(2.0, HUBER_MUELLER_COEFFICIENTS[isotope])) / math.exp(
        np.polynomial.polynomial.polyval(2.0, ve)
    )
    low = match * np.exp(np.polynomial.polynomial.polyval(e, ve))
    return np.where(e < 2.0, low, high)


def reactor_source(
    thermal_power: float,
    baseline: float,
    fission_fractions: Mapping[str, float] = TYPICAL_PWR_FISSION_FRACTIONS,
    energy_per_fission: Mapping[str, float] = ENERGY_PER_FISSION_MEV,
    low_energy_model: str = "vogel-engel",
    name: str = "reactor",
    baseline_spread: float = 0.0,
) -> NeutrinoSource:
    """Reactor ν̄_e source.

    Fission rate = P_th / Σ_i f_i ε_i; ν̄_e flux = rate · ∫ Σ_i f_i S_i(E) dE / (4π L²) on
    [0.2, 10] MeV. ``thermal_power`` in MeV/s (use ``units.GW``), ``baseline`` in cm,
    ``fission_fractions`` f_i (summing to 1), ``energy_per_fission`` ε_i in MeV,
    ``baseline_spread`` the rms spread of the baseline (core size) in cm.
    """
    if not (thermal_power > 0 and baseline > 0):
        raise InputError("reactor thermal power and baseline must be > 0")
    total = sum(fission_fractions.values())
    if not math.isclose(total, 1.0, abs_tol=1e-3):
        raise InputError(f"fission fractions sum to {total:g}, not 1")
    for iso, f in fission_fractions.items():
        if iso not in HUBER_MUELLER_COEFFICIENTS or f < 0:
            raise InputError(f"bad fission fraction {iso}={f}")
    mean_energy = sum(f * energy_per_fission[i] for i, f in fission_fractions.items())
    fission_rate = thermal_power / (mean_energy * MeV)

    def per_fission(e: np.ndarray) -> np.ndarray:
        total = np.zeros(np.shape(e))
        for i, f in fission_fractions.items():
            total = total + f * reactor_spectrum_per_fission(e, i, low_energy_model)
        return total

    spectrum = AnalyticSpectrum(per_fission, REACTOR_MIN_ENERGY, REACTOR_MAX_ENERGY, nodes=96, label="reactor")
    nu_per_fission = spectrum.integral
    flux = fission_rate * nu_per_fission / (FOUR_PI * baseline**2)
    return NeutrinoSource(name, {"nu_e_bar": spectrum}, {"nu_e_bar": flux}, baseline, baseline_spread)


def tabulated_source(
    energies: ArrayLike, spectra: Mapping[str, ArrayLike], flux_cm2_s: Mapping[str, float], name: str = "table"
) -> NeutrinoSource:
    """A source from tabulated per-flavour spectra (any normalisation) on ``energies`` (MeV)
    and the total flux of each flavour at the detector (ν/cm²/s)."""
    e = tuple(float(x) for x in np.asarray(energies, dtype=float))
    tables = {f: TabulatedSpectrum(e, tuple(float(v) for v in np.asarray(vals, dtype=float)), f) for f, vals in spectra.items()}
    return NeutrinoSource(name, tables, dict(flux_cm2_s))


__all__ = [
    "AnalyticSpectrum",
    "ENERGY_PER_FISSION_MEV",
    "HUBER_MUELLER_COEFFICIENTS",
    "LineSpectrum",
    "NeutrinoSource",
    "PROMPT_NU_MU_ENERGY",
    "TabulatedSpectrum",
    "michel_nu_e",
    "michel_nu_mu_bar",
    "pion_dar_source",
    "pot_per_second",
    "reactor_source",
    "reactor_spectrum_per_fission",
    "tabulated_source",
]

