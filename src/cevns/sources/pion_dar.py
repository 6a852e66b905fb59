"""Stopped-pion (πDAR) neutrino source: π⁺ → μ⁺ ν_μ, then μ⁺ → e⁺ ν_e ν̄_μ, both at rest.

Protons on a heavy target make π⁺ that stop and decay at rest, giving three flavours in
equal numbers, r per proton on target:

* a prompt monoenergetic ν_μ from π⁺ → μ⁺ ν_μ (τ_π = 26 ns) at
  E = (m_π² − m_μ²)/(2 m_π) ≈ 29.79 MeV (two-body decay at rest);
* delayed ν_e and ν̄_μ from μ⁺ → e⁺ ν_e ν̄_μ (τ_μ = 2.2 µs) with the Michel spectra of
  muon decay at rest on [0, m_μ/2],
  f(ν_e) = (192/m_μ)(E/m_μ)²(½ − E/m_μ) and f(ν̄_μ) = (64/m_μ)(E/m_μ)²(¾ − E/m_μ)

(D. K. Papoulias & T. S. Kosmas, "Constraining new physics from the first observation of
CEvNS", HNPS proceedings, cf. Phys. Rev. D 97, 033003 (2018), arXiv:1711.09773;
F. Dordei, "CEvNS: status and prospects", Invisibles 2021 talk). Emitted isotropically,
each flavour reaches a detector at distance L with the flux r · POT/s / (4π L²)
(Papoulias & Kosmas, Eq. 5). Their arrival times are in :mod:`cevns.sources.timing`.

Energies in MeV, fluxes in ν/cm²/s, distances in cm (see :mod:`cevns.units`).
"""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING

import numpy as np

from cevns.errors import InputError, InputTypeError
from cevns.sources.spectra import AnalyticSpectrum, LineSpectrum, NeutrinoSource, Spectrum
from cevns.units import FOUR_PI, M_MUON, M_PION

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike

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
    ``units.m``). A value that is not a real number (text, None) is a one-line
    InputTypeError naming it.
    """
    for what, value in (("POT rate", pot_rate), ("ν per proton", nu_per_flavor_per_pot), ("baseline", baseline)):
        if isinstance(value, bool) or not isinstance(value, Real):
            raise InputTypeError.expected(what, "a number", value)
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


__all__ = [
    "PROMPT_NU_MU_ENERGY",
    "michel_nu_e",
    "michel_nu_mu_bar",
    "pion_dar_source",
    "pot_per_second",
]
