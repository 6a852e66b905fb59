"""Reactor ν̄_e source: fission antineutrinos of ²³⁵U, ²³⁸U, ²³⁹Pu and ²⁴¹Pu.

The ν̄_e spectrum per fission of each isotope i is an exponential of a polynomial,
S_i(E) = exp(Σ_k a_k E^k) in ν̄_e/MeV/fission:

* above 2 MeV, P. Huber, Phys. Rev. C 84, 024617 (2011), arXiv:1106.0687 (²³⁵U, ²³⁹Pu,
  ²⁴¹Pu, from the ILL β spectra) and Th. A. Mueller et al., Phys. Rev. C 83, 054615 (2011),
  arXiv:1101.2663 (²³⁸U);
* below 2 MeV, where those fits are not constrained, P. Vogel & J. Engel, Phys. Rev. D 39,
  3378 (1989) (a quadratic exponent), rescaled to be continuous at 2 MeV.

A core of thermal power P_th with fission fractions f_i and mean energies released per
fission ε_i (X. B. Ma et al., Phys. Rev. C 88, 014605 (2013), arXiv:1212.6625) undergoes
P_th / Σ_i f_i ε_i fissions per second; the ν̄_e flux at distance L is that rate times
∫ Σ_i f_i S_i(E) dE over [0.2, 10] MeV, divided by 4π L². Typical mid-cycle fission
fractions of a pressurised-water reactor are those of CONUS-like set-ups (H. Bonet et al.
(CONUS), Eur. Phys. J. C 81, 267 (2021), arXiv:2011.00210).

Below 2 MeV (:mod:`cevns.sources.reactor_models`): the ν̄_e of the two β decays that follow
each ²³⁸U neutron capture (``captures_per_fission``, ≈ 0.6 in a light-water reactor: 1.2 ν̄
per fission below 1.3 MeV) and, with ``min_energy = 0``, the fission ν̄ down to 0 MeV. The
Vogel–Engel continuation gives 5.72 ν̄ per ²³⁵U fission above 0 (1.97 above 1.8 MeV); the
BESTIOLE summation model (M. Estienne et al., arXiv:2304.14992) gives 6.08 (1.84 above
1.8 MeV) and 4.50 below 2 MeV, where Vogel–Engel gives 4.03: the low-energy treatment is
uncertain by ≈ 10 % (0.5 ν̄ per fission), all of it below 2 MeV, where it only matters for
recoils of at most a few tens of eV on germanium. ``low_energy_model = "kopeikin-total"``
renormalises the part below 2 MeV to the summation totals of Kopeikin et al. (2004). Neither changes CEvNS
counts above a germanium threshold of ~0.2 keVee (a 1.3 MeV ν̄ gives at most ~50 eVnr):
they matter for the total flux a paper quotes. Dresden-II quotes 4.8 × 10¹³ ν̄/cm²/s at
10.39 m from 2.96 GW_th (Colaresi et al., PRL 129, 211802 (2022)); the default here
([0.2, 10] MeV, no captures: 5.0 ν̄ per fission of the generic PWR mix) gives 3.3 × 10¹³;
counting the fission ν̄ down to 0 MeV and 0.6 captures per fission gives 4.4 × 10¹³ with
the Vogel–Engel continuation (6.7 ν̄ per fission) and 4.8 × 10¹³ with
``low_energy_model = "kopeikin-total"`` (7.25 ν̄ per fission): the gap is the captures
(+1.2 ν̄/fission), the fission ν̄ below 0.2 MeV (+0.5) and the summation-model excess
below 2 MeV (+0.55), see ``tests/test_reactor_flux.py``.

Energies in MeV, fluxes in ν/cm²/s, distances in cm, powers in MeV/s (see :mod:`cevns.units`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike

from cevns.errors import InputError
from cevns.sources.reactor_models import (
    KOPEIKIN_2021_U235_FACTOR,
    SPECTRUM_MODELS,
    capture_endpoints,
    capture_spectrum_per_capture,
)
from cevns.sources.spectra import AnalyticSpectrum, NeutrinoSource, Spectrum, TabulatedSpectrum
from cevns.units import FOUR_PI, MeV

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

#: Total ν̄_e per fission above 0 MeV: V. I. Kopeikin, L. A. Mikaelyan, V. V. Sinev, Phys. At.
#: Nucl. 67, 1892 (2004), arXiv:hep-ph/0410100, Table (as recalled, unverified); used by
#: ``low_energy_model="kopeikin-total"``.
KOPEIKIN_TOTAL_PER_FISSION: Mapping[str, float] = {"U235": 6.14, "U238": 7.08, "Pu239": 5.58, "Pu241": 6.42}

REACTOR_LOW_ENERGY_MODELS = ("vogel-engel", "extrapolate", "kopeikin-total")
#: Upper end of the reactor spectrum used in rates (MeV); above it the fits are < 10⁻⁴ of peak.
REACTOR_MAX_ENERGY = 10.0
#: Lowest energy of the reactor spectrum (MeV): the Huber–Mueller range starts at 2 MeV;
#: below it the chosen low-energy model applies down to this energy.
REACTOR_MIN_ENERGY = 0.2


def reactor_spectrum_per_fission(
    energy: ArrayLike, isotope: str, low_energy_model: str = "vogel-engel", spectrum_model: str = "huber-mueller"
) -> np.ndarray:
    """ν̄_e per MeV per fission of ``isotope`` (``U235``, ``U238``, ``Pu239``, ``Pu241``).

    Above 2 MeV: Huber (2011) / Mueller (2011) exponential-polynomial fits. Below 2 MeV
    (where inverse beta decay measured nothing and the fits are not constrained):
    ``"vogel-engel"`` (default) switches to the Vogel–Engel (1989) fit, rescaled to be
    continuous at 2 MeV, which stays physical down to 0 (≈ 5.7 ν̄ per ²³⁵U fission in
    all); ``"extrapolate"`` continues the Huber–Mueller polynomial, which is only
    sensible down to ~1.5 MeV (at 1 MeV it is already 2× Vogel–Engel, at 0.2 MeV 14×), so
    use it only with thresholds that make ν̄ below ~2 MeV irrelevant; ``"kopeikin-total"``
    multiplies the Vogel–Engel part below 2 MeV by a ramp 1 + c(1 − E/2 MeV) (continuous at
    2 MeV) so that the total above 0 (to 10 MeV) is the summation value of Kopeikin,
    Mikaelyan & Sinev (2004), :data:`KOPEIKIN_TOTAL_PER_FISSION` (6.14 ν̄ per ²³⁵U fission).

    ``spectrum_model``: ``"huber-mueller"`` (default) or ``"kopeikin-2021"`` (²³⁵U divided
    by 1.054, Kopeikin, Skorokhvatov, Titov, PRD 104, L071301 (2021), arXiv:2103.01684;
    see :mod:`cevns.sources.reactor_models`).
    """
    if spectrum_model not in SPECTRUM_MODELS:
        raise InputError(f"unknown reactor spectrum model {spectrum_model!r}; use {', '.join(SPECTRUM_MODELS)}")
    if spectrum_model == "kopeikin-2021" and isotope == "U235":
        return KOPEIKIN_2021_U235_FACTOR * reactor_spectrum_per_fission(energy, isotope, low_energy_model)
    _check_isotope(isotope)
    if low_energy_model not in REACTOR_LOW_ENERGY_MODELS:
        raise InputError(f"unknown low-energy model {low_energy_model!r}; use {', '.join(REACTOR_LOW_ENERGY_MODELS)}")
    e = np.asarray(energy, dtype=float)
    if low_energy_model == "extrapolate":
        return _exp_polyval(e, HUBER_MUELLER_COEFFICIENTS[isotope])
    if low_energy_model == "kopeikin-total":
        ve = reactor_spectrum_per_fission(e, isotope, "vogel-engel")
        return np.where(e < 2.0, ve * (1.0 + _kopeikin_ramp(isotope) * (1.0 - e / 2.0)), ve)
    return _matched_spectrum(isotope, e, *_split_at_2mev(e))


def _check_isotope(isotope: str) -> None:
    if isotope not in HUBER_MUELLER_COEFFICIENTS:
        raise InputError(f"unknown fissile isotope {isotope!r}; use {', '.join(HUBER_MUELLER_COEFFICIENTS)}")


def _split_at_2mev(e: np.ndarray) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """(below, e[~below], e[below]) with below = E < 2 MeV, for :func:`_matched_spectrum`;
    (None, e, e) when no energy is below 2 MeV."""
    below = e < 2.0
    if not below.any():
        return None, e, e
    return below, e[~below], e[below]


def _matched_spectrum(
    isotope: str, e: np.ndarray, below: np.ndarray | None, high: np.ndarray, low: np.ndarray
) -> np.ndarray:
    """Huber–Mueller above 2 MeV, the matched Vogel–Engel fit below (the default models of
    :func:`reactor_spectrum_per_fission`) at energies ``e`` split by :func:`_split_at_2mev`.
    Each branch is evaluated only where it is used (the same numbers as evaluating both
    everywhere and picking with np.where, at half the cost: set-up evaluates this on ~10⁵
    energies per isotope)."""
    hm = HUBER_MUELLER_COEFFICIENTS[isotope]
    if below is None:
        return _exp_polyval(e, hm)
    out = np.empty(e.shape)
    out[~below] = _exp_polyval(high, hm)
    out[below] = _vogel_engel_match(isotope) * _exp_polyval(low, VOGEL_ENGEL_COEFFICIENTS[isotope])
    return out


def _exp_polyval(e: np.ndarray, coefficients: tuple[float, ...]) -> np.ndarray:
    """exp(Σ_k a_k E^k) by Horner's rule in place: bit for bit
    ``np.exp(np.polynomial.polynomial.polyval(e, coefficients))`` (the same products and
    sums, c_{k} + acc·E from the highest coefficient down, for finite E), without a new
    array per step."""
    acc = np.full(e.shape, float(coefficients[-1]))
    for c in coefficients[-2::-1]:
        acc *= e
        acc += c
    return np.exp(acc, out=acc)


@lru_cache(maxsize=None)
def _kopeikin_ramp(isotope: str) -> float:
    """c of the ramp 1 + c(1 − E/2 MeV) on the Vogel–Engel spectrum below 2 MeV that makes
    the total above 0 equal :data:`KOPEIKIN_TOTAL_PER_FISSION` (continuous at 2 MeV; a
    normalisation device: the shape below 2 MeV is not measured)."""
    from cevns.physics.quadrature import gauss_legendre

    x, w = gauss_legendre(64)
    lo, hi = 0.5 * 2.0 * (x + 1.0), 0.5 * 8.0 * (x + 1.0) + 2.0
    below = reactor_spectrum_per_fission(lo, isotope, "vogel-engel")
    above = 4.0 * float(np.sum(w * reactor_spectrum_per_fission(hi, isotope, "vogel-engel")))
    base = float(np.sum(w * below))
    ramp = float(np.sum(w * below * (1.0 - lo / 2.0)))
    return (KOPEIKIN_TOTAL_PER_FISSION[isotope] - above - base) / ramp


@lru_cache(maxsize=None)
def _vogel_engel_match(isotope: str) -> float:
    """Factor making the Vogel–Engel fit equal the Huber–Mueller one at 2 MeV."""
    ve = VOGEL_ENGEL_COEFFICIENTS[isotope]
    return math.exp(np.polynomial.polynomial.polyval(2.0, HUBER_MUELLER_COEFFICIENTS[isotope])) / math.exp(
        np.polynomial.polynomial.polyval(2.0, ve)
    )


def reactor_source(
    thermal_power: float,
    baseline: float,
    fission_fractions: Mapping[str, float] = TYPICAL_PWR_FISSION_FRACTIONS,
    energy_per_fission: Mapping[str, float] = ENERGY_PER_FISSION_MEV,
    low_energy_model: str = "vogel-engel",
    name: str = "reactor",
    baseline_spread: float = 0.0,
    spectrum_model: str = "huber-mueller",
    captures_per_fission: float = 0.0,
    min_energy: float = REACTOR_MIN_ENERGY,
) -> NeutrinoSource:
    """Reactor ν̄_e source.

    Fission rate = P_th / Σ_i f_i ε_i; ν̄_e flux = rate · ∫ [Σ_i f_i S_i(E) + c S_cap(E)] dE
    / (4π L²) on [``min_energy``, 10] MeV. ``thermal_power`` in MeV/s (use ``units.GW``),
    ``baseline`` in cm, ``fission_fractions`` f_i (summing to 1), ``energy_per_fission``
    ε_i in MeV, ``baseline_spread`` the rms spread of the baseline (core size) in cm,
    ``spectrum_model`` the fission-spectrum model (:data:`~cevns.sources.reactor_models.SPECTRUM_MODELS`),
    ``captures_per_fission`` c the ²³⁸U neutron captures per fission (each adds the
    ²³⁹U and ²³⁹Np β-decay ν̄, :func:`~cevns.sources.reactor_models.capture_spectrum_per_capture`),
    ``min_energy`` the lowest ν̄ energy counted (MeV, ≥ 0).

    With the defaults (Huber–Mueller, no captures, from 0.2 MeV) the spectrum is the
    smooth :class:`~cevns.sources.spectra.AnalyticSpectrum` of earlier versions, unchanged;
    otherwise it is tabulated on a 2 keV grid that contains every kink (2 MeV, the β end
    points) and interpolated linearly (exact moments of the interpolant).
    """
    if not (thermal_power > 0 and baseline > 0):
        raise InputError("reactor thermal power and baseline must be > 0")
    if not (captures_per_fission >= 0 and math.isfinite(captures_per_fission)):
        raise InputError(f"captures per fission must be ≥ 0, got {captures_per_fission}")
    if not (0 <= min_energy < 2.0):
        raise InputError(f"reactor min_energy must lie in [0, 2) MeV, got {min_energy}")
    if spectrum_model not in SPECTRUM_MODELS:
        raise InputError(f"unknown reactor spectrum model {spectrum_model!r}; use {', '.join(SPECTRUM_MODELS)}")
    total = sum(fission_fractions.values())
    if not math.isclose(total, 1.0, abs_tol=1e-3):
        raise InputError(f"fission fractions sum to {total:g}, not 1")
    for iso, f in fission_fractions.items():
        if iso not in HUBER_MUELLER_COEFFICIENTS or f < 0:
            raise InputError(f"bad fission fraction {iso}={f}")
    mean_energy = sum(f * energy_per_fission[i] for i, f in fission_fractions.items())
    fission_rate = thermal_power / (mean_energy * MeV)

    per_fission = FissionSpectrum(tuple(fission_fractions.items()), low_energy_model, spectrum_model)
    spectrum: Spectrum
    if spectrum_model == "huber-mueller" and captures_per_fission == 0 and min_energy == REACTOR_MIN_ENERGY:
        analytic = AnalyticSpectrum(per_fission, REACTOR_MIN_ENERGY, REACTOR_MAX_ENERGY, nodes=96, label="reactor")
        spectrum, nu_per_fission = analytic, analytic.integral
    else:
        energies = _reactor_grid(min_energy)
        values = per_fission(energies) + captures_per_fission * capture_spectrum_per_capture(energies)
        spectrum = TabulatedSpectrum(tuple(energies), tuple(values), label="reactor")
        nu_per_fission = float(np.trapezoid(values, energies))
    flux = fission_rate * nu_per_fission / (FOUR_PI * baseline**2)
    return NeutrinoSource(name, {"nu_e_bar": spectrum}, {"nu_e_bar": flux}, baseline, baseline_spread)


@dataclass(frozen=True)
class FissionSpectrum:
    """Σ_i f_i S_i(E): ν̄_e per MeV per fission of a core with fission ``fractions``
    ((isotope, f_i) pairs, in this order), each S_i from :func:`reactor_spectrum_per_fission`
    with ``low_energy_model`` and ``spectrum_model``; E in MeV.

    A value, not a closure: two reactor sources with the same core composition and models
    have equal (and equally hashed) spectra, so what is derived from a spectrum and
    remembered (the neutrino-energy moments on a set-up's nodes,
    :mod:`cevns.rates.nodes`) is shared between them, e.g. between two loads of one
    experiment file."""

    fractions: tuple[tuple[str, float], ...]
    low_energy_model: str = "vogel-engel"
    spectrum_model: str = "huber-mueller"

    def __call__(self, e: ArrayLike) -> np.ndarray:
        if self.low_energy_model == "vogel-engel" and self.spectrum_model == "huber-mueller":
            return self._vogel_engel(np.asarray(e, dtype=float))
        total = np.zeros(np.shape(e))
        for i, f in self.fractions:
            total = total + f * reactor_spectrum_per_fission(e, i, self.low_energy_model, self.spectrum_model)
        return total

    def _vogel_engel(self, e: np.ndarray) -> np.ndarray:
        """The default models: :func:`reactor_spectrum_per_fission` per isotope, bit for bit
        (the same two branches), with the energies split at 2 MeV once for all isotopes."""
        for i, _ in self.fractions:
            _check_isotope(i)
        split = _split_at_2mev(e)
        total = np.zeros(e.shape)
        for i, f in self.fractions:
            total = total + f * _matched_spectrum(i, e, *split)
        return total


@lru_cache(maxsize=8)
def _reactor_grid(min_energy: float) -> np.ndarray:
    """Energies (MeV) of the tabulated reactor spectrum: a 2 keV grid on [min_energy, 10]
    with 2 MeV and every capture β end point (the spectrum's kinks) added."""
    grid = np.arange(min_energy, REACTOR_MAX_ENERGY, 0.002)
    kinks = [k for k in (2.0, *capture_endpoints()) if min_energy < k < REACTOR_MAX_ENERGY]
    return np.unique(np.concatenate([grid, kinks, [REACTOR_MAX_ENERGY]]))


def neutrinos_per_fission(
    fission_fractions: Mapping[str, float] = TYPICAL_PWR_FISSION_FRACTIONS,
    low_energy_model: str = "vogel-engel",
    spectrum_model: str = "huber-mueller",
    captures_per_fission: float = 0.0,
    min_energy: float = 0.0,
    max_energy: float = REACTOR_MAX_ENERGY,
) -> float:
    """ν̄_e per fission above ``min_energy`` (MeV, up to ``max_energy``) for the core
    composition ``fission_fractions``, including ``captures_per_fission`` × 2 capture ν̄
    above ``min_energy`` (trapezoid on the grid of :func:`reactor_source`)."""
    e = _reactor_grid(min_energy)
    e = e[e <= max_energy]
    values = sum(f * reactor_spectrum_per_fission(e, i, low_energy_model, spectrum_model) for i, f in fission_fractions.items())
    values = values + captures_per_fission * capture_spectrum_per_capture(e)
    return float(np.trapezoid(values, e))


__all__ = [
    "ENERGY_PER_FISSION_MEV",
    "neutrinos_per_fission",
    "HUBER_MUELLER_COEFFICIENTS",
    "reactor_source",
    "reactor_spectrum_per_fission",
]
