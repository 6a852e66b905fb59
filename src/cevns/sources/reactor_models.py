"""Reactor ν̄_e below 2 MeV: neutron capture on ²³⁸U, a second fission-spectrum model, and
the named reactor cores of the germanium CEvNS experiments.

**Capture ν̄.** About 0.6 neutrons per fission are captured on ²³⁸U in a light-water
reactor (V. I. Kopeikin, Phys. At. Nucl. 75, 143 (2012), arXiv:1110.2156: 0.6 ²³⁸U(n,γ)
per fission in a PWR, as recalled, unverified; see also P. Huber & P. Jaffke, PRL 116,
122503 (2016), arXiv:1510.08948, on the β decays of non-fission products). Each capture
is followed by two β⁻ decays, ²³⁹U → ²³⁹Np (T½ = 23.45 min, Q = 1.262 MeV) and
²³⁹Np → ²³⁹Pu (T½ = 2.356 d, Q = 0.722 MeV), so 2 ν̄_e, all below 1.3 MeV: about 1.2 ν̄
per fission in addition to the ≈ 6 of the fission fragments.

Each decay's ν̄ spectrum is the sum of its β branches (end-point E₀ = Q − E_level,
intensity I_b) with the allowed shape (E. Fermi, Z. Phys. 88, 161 (1934); the form used
for reactor spectra, P. Huber, PRC 84, 024617 (2011), arXiv:1106.0687, Eqs. 2–4, without
the finite-size, screening and weak-magnetism corrections, which change these ≲ 1 MeV
spectra by ≲ 1 %):

.. math::
   \\frac{dN}{dE_ν} ∝ E_ν^2\\, p W\\, F(Z, W),\\qquad W = E_0 − E_ν + m_e,\\quad p = \\sqrt{W^2 − m_e^2},

with the relativistic point-charge Fermi function evaluated at the nuclear radius
R = 1.2 A^{1/3} fm,
F = 2(1+γ)(2pR)^{2γ−2} e^{πη} abs(Γ(γ+iη))² / Γ(2γ+1)², γ = √(1 − (αZ)²), η = αZW/p
(Z of the daughter; H. Behrens & J. Jänecke, Landolt–Börnstein I/4 (1969)). Every
branch is normalised to one ν̄, so each decay yields exactly one ν̄.

The branch end points and intensities (:data:`CAPTURE_BETA_BRANCHES`) are the main ENSDF
β⁻ feedings of ²³⁹Np and ²³⁹Pu levels (E. Browne & J. K. Tuli, Nucl. Data Sheets 122,
205 (2014), A = 239), typed as recalled, unverified, rounded to 0.01; the test suite
checks the resulting spectra against the independent BESTIOLE ²³⁹U and ²³⁹Np spectra
(M. Estienne et al., arXiv:2304.14992, ancillary tables, not shipped, used as a
cross-check only): mean ν̄ energies 0.807 vs 0.800 MeV (²³⁹U) and 0.283 vs 0.278 MeV (²³⁹Np).

**Second fission-spectrum model.** ``"kopeikin-2021"``: V. Kopeikin, M. Skorokhvatov,
O. Titov, PRD 104, L071301 (2021), arXiv:2103.01684, measured the ratio of the ²³⁵U and
²³⁹Pu cumulative β spectra at the Kurchatov Institute and found the ILL ratio too high by
a constant factor 1.054 ± 0.002 (abstract); with ²³⁹Pu unchanged, the re-evaluated ²³⁵U
ν̄ spectrum is the Huber one divided by 1.054 (and, as they state, consistent with the
Daya Bay and STEREO fluxes). Implemented as that constant rescaling of ²³⁵U (their
re-evaluated ²³⁸U spectrum is not reproduced: ²³⁸U keeps the Mueller fit). Uncertainty:
:data:`SPECTRUM_MODEL_UNCERTAINTY`.

Energies in MeV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike

from cevns.errors import InputError

#: Electron mass (MeV) and fine-structure constant (CODATA 2018).
_ME = 0.51099895
_ALPHA = 1.0 / 137.035999084
#: ħc / (m_e c²) in fm: the reduced Compton wavelength of the electron.
_ELECTRON_COMPTON_FM = 386.15926796


@dataclass(frozen=True)
class BetaDecay:
    """A β⁻ decay: daughter charge ``daughter_Z``, mass number ``A``, ``q_value`` (MeV) and
    its ``branches`` as (daughter level in MeV, intensity); intensities sum to 1."""

    name: str
    daughter_Z: int
    A: int
    q_value: float
    branches: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        total = sum(i for _, i in self.branches)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            raise InputError(f"{self.name}: β branch intensities sum to {total:g}, not 1")
        if any(not 0 <= level < self.q_value for level, _ in self.branches):
            raise InputError(f"{self.name}: every β branch needs 0 ≤ level < Q")

    @property
    def endpoints(self) -> tuple[float, ...]:
        """Branch end points E₀ = Q − E_level (MeV), the kinks of the ν̄ spectrum."""
        return tuple(self.q_value - level for level, _ in self.branches)


#: ²³⁸U(n,γ)²³⁹U followed by the two β⁻ decays. Q values (MeV) as in AME2020
#: (M. Wang et al., Chin. Phys. C 45, 030003 (2021)): 1.262 and 0.722; levels (MeV) and
#: β intensities: main ENSDF feedings (Browne & Tuli, NDS 122, 205 (2014)), as recalled,
#: unverified, rounded to 0.01 (cross-checked against BESTIOLE in the tests).
CAPTURE_BETA_BRANCHES: Mapping[str, BetaDecay] = {
    "U239": BetaDecay("U239", 93, 239, 1.262, ((0.0, 0.20), (0.03114, 0.10), (0.07466, 0.70))),
    "Np239": BetaDecay(
        "Np239", 94, 239, 0.722,
        ((0.00786, 0.02), (0.07570, 0.01), (0.28546, 0.48), (0.33013, 0.07), (0.39158, 0.40), (0.43470, 0.02)),
    ),
}

#: Typical ²³⁸U neutron captures per fission in a light-water reactor (Kopeikin, Phys. At.
#: Nucl. 75, 143 (2012), arXiv:1110.2156; as recalled, unverified), with a 10 % uncertainty
#: (assumed: it varies with burn-up).
TYPICAL_CAPTURES_PER_FISSION = 0.6
CAPTURES_PER_FISSION_UNCERTAINTY = 0.1

#: Fission-spectrum models by name (see the module docstring).
SPECTRUM_MODELS = ("huber-mueller", "kopeikin-2021")
#: Fractional 1σ normalisation uncertainty of each model's ν̄ flux above the IBD threshold:
#: Huber–Mueller ≈ 2.4 % (Huber 2011, Table; Mueller 2011), Kopeikin 2021 ≈ 2 % (its ratio
#: 1.054 ± 0.002 plus the ²³⁹Pu normalisation; as recalled, unverified).
SPECTRUM_MODEL_UNCERTAINTY: Mapping[str, float] = {"huber-mueller": 0.024, "kopeikin-2021": 0.02}
#: The Kurchatov/ILL ²³⁵U/²³⁹Pu β-spectrum ratio excess (Kopeikin et al. 2021, abstract).
KOPEIKIN_2021_U235_FACTOR = 1.0 / 1.054


def fermi_function(Z: int, total_energy: ArrayLike, A: int) -> np.ndarray:
    """Relativistic point-charge Fermi function F(Z, W) at R = 1.2 A^{1/3} fm (module
    docstring); ``total_energy`` W in MeV (≥ m_e), ``Z`` of the daughter nucleus."""
    from scipy.special import loggamma  # lazy: scipy.special costs import time

    w = np.asarray(total_energy, dtype=float) / _ME
    p = np.sqrt(np.maximum(w * w - 1.0, 1e-300))
    gamma = math.sqrt(1.0 - (_ALPHA * Z) ** 2)
    eta = _ALPHA * Z * w / p
    radius = 1.2 * A ** (1.0 / 3.0) / _ELECTRON_COMPTON_FM
    log_gamma_sq = 2.0 * np.real(loggamma(gamma + 1j * eta))
    log_f = (math.log(2.0 * (1.0 + gamma)) + (2.0 * gamma - 2.0) * np.log(2.0 * p * radius) + math.pi * eta
             + log_gamma_sq - 2.0 * float(np.real(loggamma(2.0 * gamma + 1.0))))
    return np.asarray(np.exp(log_f))


def _allowed_shape(energy: np.ndarray, endpoint: float, Z: int, A: int) -> np.ndarray:
    """Unnormalised allowed ν̄ spectrum E_ν² p W F(Z, W) of one branch, 0 outside [0, E₀]."""
    inside = (energy >= 0.0) & (energy < endpoint)
    w = np.where(inside, endpoint - energy + _ME, 2.0 * _ME)
    p = np.sqrt(w * w - _ME * _ME)
    return np.where(inside, energy**2 * p * w * fermi_function(Z, w, A), 0.0)


@lru_cache(maxsize=None)
def _branch_norm(endpoint: float, Z: int, A: int) -> float:
    """∫ allowed shape dE_ν over [0, E₀] by composite Gauss–Legendre (smooth inside;
    the √ behaviour at E₀ is resolved by the dense panels)."""
    from cevns.physics.quadrature import gauss_legendre

    x, w = gauss_legendre(32)
    # 64 equal panels, refined geometrically towards E₀ (where p ∝ √(E₀ − E_ν))
    edges = np.unique(np.concatenate([np.linspace(0.0, endpoint, 65), endpoint * (1.0 - np.geomspace(1.0 / 64, 1e-9, 20))]))
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        e = 0.5 * (b - a) * (x + 1.0) + a
        total += 0.5 * (b - a) * float(np.sum(w * _allowed_shape(e, endpoint, Z, A)))
    return total


def beta_decay_spectrum(energy: ArrayLike, decay: str) -> np.ndarray:
    """ν̄_e per MeV per decay of ``decay`` (``U239`` or ``Np239``): the sum of its allowed
    branches, each normalised to one ν̄ (module docstring); 0 above Q."""
    if decay not in CAPTURE_BETA_BRANCHES:
        raise InputError(f"unknown β decay {decay!r}; use {', '.join(CAPTURE_BETA_BRANCHES)}")
    d = CAPTURE_BETA_BRANCHES[decay]
    e = np.asarray(energy, dtype=float)
    out = np.zeros(e.shape)
    for (level, intensity), endpoint in zip(d.branches, d.endpoints):
        out = out + intensity * _allowed_shape(e, endpoint, d.daughter_Z, d.A) / _branch_norm(endpoint, d.daughter_Z, d.A)
    return out


def capture_spectrum_per_capture(energy: ArrayLike) -> np.ndarray:
    """ν̄_e per MeV per ²³⁸U neutron capture: ²³⁹U plus ²³⁹Np decays (2 ν̄ in all)."""
    return beta_decay_spectrum(energy, "U239") + beta_decay_spectrum(energy, "Np239")


def capture_endpoints() -> tuple[float, ...]:
    """All branch end points of the capture decays (MeV), sorted."""
    return tuple(sorted({e for d in CAPTURE_BETA_BRANCHES.values() for e in d.endpoints}))


# --- named reactor cores ----------------------------------------------------------------------
@dataclass(frozen=True)
class ReactorCore:
    """A reactor core of a CEvNS experiment: thermal power (GW), the detector's baseline (m),
    fission fractions (``None``: the generic PWR fractions of :mod:`cevns.sources.reactor`),
    ²³⁸U captures per fission and where the numbers come from."""

    name: str
    thermal_power_GW: float
    baseline_m: float
    fission_fractions: Mapping[str, float] | None
    captures_per_fission: float
    reference: str


#: Cores of the germanium experiments. Only numbers the cited papers give are filled in;
#: a core whose paper gives no fission fractions uses the generic PWR ones (``None``).
REACTOR_CORES: Mapping[str, ReactorCore] = {
    "dresden-ii": ReactorCore(
        "dresden-ii", 2.96, 10.39, None, TYPICAL_CAPTURES_PER_FISSION,
        "J. Colaresi et al., PRL 129, 211802 (2022), arXiv:2202.09672: 2.96 GW_th BWR, 10.39 m; "
        "fission fractions not found in the stored pages (generic ones used)"),
    "brokdorf": ReactorCore(
        "brokdorf", 3.9, 17.1, None, TYPICAL_CAPTURES_PER_FISSION,
        "H. Bonet et al. (CONUS), PRL 126, 041804 (2021), arXiv:2011.00210: 3.9 GW_th PWR, 17.1 m"),
    "leibstadt": ReactorCore(
        "leibstadt", 3.6, 20.7, None, TYPICAL_CAPTURES_PER_FISSION,
        "N. Ackermann et al. (CONUS+), EPJC (2025), arXiv:2407.11912: 3.6 GW_th BWR, 20.7 m"),
    "kuo-sheng": ReactorCore(
        "kuo-sheng", 2.9, 28.0, None, TYPICAL_CAPTURES_PER_FISSION,
        "S. Karmakar et al. (TEXONO), arXiv:2411.18812: Kuo-Sheng; 2.9 GW_th and 28 m as recalled, unverified"),
}


def reactor_core(name: str) -> ReactorCore:
    """The named core (one-line error listing the known names)."""
    try:
        return REACTOR_CORES[name]
    except KeyError:
        raise InputError.unknown("reactor", name, REACTOR_CORES, "known reactors") from None


__all__ = [
    "BetaDecay",
    "CAPTURE_BETA_BRANCHES",
    "KOPEIKIN_2021_U235_FACTOR",
    "REACTOR_CORES",
    "ReactorCore",
    "SPECTRUM_MODELS",
    "SPECTRUM_MODEL_UNCERTAINTY",
    "TYPICAL_CAPTURES_PER_FISSION",
    "beta_decay_spectrum",
    "capture_endpoints",
    "capture_spectrum_per_capture",
    "fermi_function",
    "reactor_core",
]
