"""Elastic neutrino–electron scattering ν_α e → ν e: weak interaction, neutrino
electromagnetic properties, NSI with electrons, and atomic binding (stepping approximation).

**Weak cross section** on a free electron at rest, electron recoil kinetic energy T, neutrino
energy E (G. 't Hooft, PLB 37, 195 (1971); P. Vogel, J. Engel, PRD 39, 3378 (1989), Eq. 1;
C. Giunti, A. Studenikin, Rev. Mod. Phys. 87, 531 (2015), arXiv:1403.6344, Sec. 6 on
neutrino–electron scattering; equation numbers of both as recalled, unverified):

.. math::
   \\frac{d\\sigma}{dT} = \\frac{2 G_F^2 m_e}{\\pi}\\left[g_L^2 + g_R^2\\left(1 - \\frac{T}{E}\\right)^2
        - g_L g_R \\frac{m_e T}{E^2}\\right],
   \\qquad g_L = \\tfrac12 (g_V + g_A),\\ g_R = \\tfrac12 (g_V - g_A),

identical to Vogel & Engel's (G_F² m_e/2π)[(g_V + g_A)² + (g_V − g_A)²(1 − T/E)² +
(g_A² − g_V²) m_e T/E²]. At tree level g_V = −½ + 2 sin²θ_W, g_A = −½ for ν_μ, ν_τ (neutral
current only); ν_e has the charged-current (W exchange) contribution too, g_V → g_V + 1,
g_A → g_A + 1; antineutrinos have g_A → −g_A (g_L ↔ g_R). T ranges over
[0, T_max = 2E²/(m_e + 2E)].

Couplings: tree level, with the low-energy weak mixing angle of the project
(:data:`cevns.physics.cross_sections.SIN2_THETA_W_LOW_ENERGY` = 0.23857, MS-bar at q → 0, or
``sin2_theta_w`` of the model's parameters), which absorbs the bulk of the running; the
remaining radiative corrections to ν e scattering (J. N. Bahcall, M. Kamionkowski,
A. Sirlin, PRD 51, 6146 (1995), ~1–2 %) are not included.

**Electromagnetic properties** (Giunti & Studenikin 2015, Sec. 6 and 9; Vogel & Engel 1989),
read from a :class:`cevns.physics.interactions.PhysicsModel` (the parameters ``mu_nu_<ℓ>``
in μ_B, ``r2_nu_<ℓ>`` in 10⁻³² cm², ``q_nu_<ℓ>`` in e of ``cevns params``):

* magnetic moment, no interference (helicity flip), the same for ν̄:
  dσ/dT += (π α² μ_ν²/m_e²)(1/T − 1/E), μ_ν in Bohr magnetons;
* charge radius: g_V → g_V + (√2 π α/(3 G_F)) ⟨r²_ν⟩ — the opposite sign of the proton
  coupling shift of :func:`cevns.physics.cross_sections.charge_radius_coupling_shift`,
  the electron having the opposite charge (Giunti & Studenikin 2015, Sec. 7 on the charge
  radius; Vogel & Engel 1989, Eq. 2, which writes it as g_V → g_V + x);
* millicharge q_ν (units of e): photon exchange at q² = 2 m_e T, the electron analogue of
  :func:`cevns.physics.interactions.millicharge_coupling_shift`:
  g_V → g_V − (√2 π α/G_F) q_ν/(m_e T) (Giunti & Studenikin 2015, Sec. 9; M. Cadeddu et
  al., PRD 102, 015030 (2020), arXiv:2005.01645, Eq. 7 with the electron charge). Its
  square gives the photon pole 2πα² q_ν²/(m_e T²) at T ≪ E.

**Light vector mediator** Z′ (the ``zprime_*`` parameters of
:mod:`cevns.physics.interactions.vector_mediator`): g_V → g_V + g_ν g_e/(√2 G_F (2 m_e T + m²))
(D. G. Cerdeño et al., JHEP 05 (2016) 118, arXiv:1604.01025, Sec. 2 on electron scattering),
with (Q_ν, Q_e) = (1, 1) for ``universal`` and (−1, −1) for ``B-L``; ``Lmu-Ltau`` reaches the
electron only through the one-loop μ/τ kinetic mixing, Δg_V = −(2α g²/(π √2 G_F))
I(q²)/(q² + m²), the proton shift of
:func:`cevns.physics.interactions.lmu_ltau_proton_shift` with the electron's charge
(D. W. P. Amaral et al., JHEP 12 (2020) 155, arXiv:2006.11225, Eq. 7; ν_e untouched). The
``generic`` model has no electron charge and is refused.

ν and ν̄ share the shifts of g_V (only g_A changes sign). The model's charge radius is the
*whole* radius here (these couplings are tree level), whatever the nuclear coupling scheme.

**NSI with electrons** (J. Barranco, O. G. Miranda, C. A. Moura, J. W. F. Valle, PRD 73,
113001 (2006), hep-ph/0512195; A. Bolaños, O. G. Miranda, A. Palazzo, M. A. Tórtola,
J. W. F. Valle, PRD 79, 113012 (2009), arXiv:0812.4417, Eqs. 1–3): with ε^{eV}_{αβ} =
ε^{eL} + ε^{eR} and ε^{eA}_{αβ} = ε^{eL} − ε^{eR} (in units of G_F, the convention of the
quark NSI of :mod:`cevns.physics.interactions.nsi`), ν_α has g_V → g_V + ε^{eV}_{αα},
g_A → g_A + ε^{eA}_{αα}, and every β ≠ α adds incoherently
(2G_F² m_e/π)[(ε^L_{αβ})² + (ε^R_{αβ})²(1 − T/E)² − ε^L_{αβ} ε^R_{αβ} m_e T/E²]
(L ↔ R for antineutrinos). They are given as an :class:`ElectronNSI` (parameter names
``eps_<αβ>_eV`` / ``eps_<αβ>_eA`` of the registered term
:mod:`cevns.physics.interactions.electron_nsi`, so a :class:`PhysicsModel` built from named
parameters carries them; they do not change coherent nuclear scattering).

**Atomic binding, stepping approximation** (J.-W. Chen, H.-C. Chi, C.-P. Liu, C.-P. Wu,
PLB 774, 656 (2017), arXiv:1610.04177; E. Aprile et al. (XENON), PRD 102, 072004 (2020),
arXiv:2006.09721, Sec. on solar-neutrino backgrounds): the cross section per atom is the
free one times Z_eff(T), the number of electrons whose binding energy is below T
(subshell energies: ``cevns/data/atomic/binding_energies.csv``, X-ray Data Booklet Table
1-1; see the README beside it).

**Form for rates.** dσ/dT = Σ_k a_k(T) E^{-k}, k = 0, 1, 2, as for CEvNS
(:mod:`cevns.physics.interactions.model`): a_0 = P(g_L² + g_R²) + K/T, a_1 = −2P T g_R² − K,
a_2 = P(g_R² T² − g_L g_R m_e T), with P = 2G_F² m_e/π and K = πα²μ²/m_e², so rates need
only the tail moments of the spectra (:mod:`cevns.sources.spectra`).

Units: energies in MeV, cross sections in cm², dσ/dT in cm²/MeV, binding energies in eV in
the data file and MeV in the API.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike

from cevns.errors import InputError, InputTypeError
from cevns.physics.cross_sections import (
    FLAVORS,
    SIN2_THETA_W_LOW_ENERGY,
    charge_radius_coupling_shift,
    integrate_over_recoil,
    is_antineutrino,
    lepton_flavor,
)
from cevns.physics.interactions import LEPTONS, PhysicsModel, VectorMediator, lmu_ltau_proton_shift
from cevns.physics.interactions.electron_nsi import (
    ELECTRON_NSI_PARAMETERS,
    ElectronNSI,
    build_electron_nsi,
)
from cevns.physics.interactions.nsi import PAIRS
from cevns.physics.interactions.registry import ParameterError
from cevns.physics.kinematics import MAX_NEUTRINO_ENERGY_MEV, energies, neutrino_energy_min, recoil_max
from cevns.physics.parameters import check_value
from cevns.units import ALPHA_EM, G_FERMI, M_ELECTRON, MEV2_TO_CM2, eV

#: 2 G_F² m_e/π in cm²/MeV: the prefactor of the weak ν e cross section.
WEAK_PREFACTOR_CM2_PER_MEV: float = 2.0 * G_FERMI**2 * M_ELECTRON / math.pi * MEV2_TO_CM2
#: π α²/m_e² in cm²: the magnetic-moment cross section per μ_B² (Vogel & Engel 1989; ≈ 2.49 × 10⁻²⁵ cm²).
MAGNETIC_MOMENT_CM2: float = math.pi * ALPHA_EM**2 / M_ELECTRON**2 * MEV2_TO_CM2
#: √2 π α/G_F in MeV²: the scale of the photon-exchange shifts of g_V.
_PHOTON_SCALE = math.sqrt(2.0) * math.pi * ALPHA_EM / G_FERMI


# --- couplings ------------------------------------------------------------------------------
def _species(flavor: str) -> str:
    if not isinstance(flavor, str) or flavor not in FLAVORS:
        raise InputError(f"unknown neutrino flavour {flavor!r}; use one of {', '.join(FLAVORS)}")
    return flavor


def _sin2(value: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputTypeError.expected("sin2_theta_w", "a number in [0, 1]", value) from None
    if not (0.0 <= x <= 1.0):
        raise InputError(f"sin2_theta_w must be in [0, 1], got {value}")
    return x


def sm_couplings(flavor: str, sin2_theta_w: float = SIN2_THETA_W_LOW_ENERGY) -> tuple[float, float]:
    """Tree-level (g_V, g_A) of the species ``flavor`` on electrons, as they enter the
    cross section: g_V = −½ + 2 sin²θ_W, g_A = −½, plus 1 to both for ν_e and ν̄_e (charged
    current), then g_A → −g_A for antineutrinos (Vogel & Engel, PRD 39, 3378 (1989), Eq. 1).

    >>> sm_couplings("nu_e", 0.25)
    (1.0, 0.5)
    >>> sm_couplings("nu_mu_bar", 0.25)
    (0.0, 0.5)
    """
    _species(flavor)
    s2 = _sin2(sin2_theta_w)
    g_v, g_a = -0.5 + 2.0 * s2, -0.5
    if lepton_flavor(flavor) == "e":
        g_v, g_a = g_v + 1.0, g_a + 1.0
    return (g_v, -g_a) if is_antineutrino(flavor) else (g_v, g_a)


def charge_radius_shift(r2_1e32_cm2: float) -> float:
    """Δg_V = +(√2πα/(3G_F)) ⟨r²_ν⟩ of ν e scattering for ⟨r²⟩ in 10⁻³² cm² (the proton
    shift of :func:`cevns.physics.cross_sections.charge_radius_coupling_shift` with the
    sign of the electron charge; Vogel & Engel 1989, Eq. 2). Dimensionless."""
    return -charge_radius_coupling_shift(r2_1e32_cm2)


def millicharge_shift(charge_e: float, recoil: ArrayLike) -> np.ndarray:
    """Δg_V = −(√2πα/G_F) q_ν/(m_e T) of ν e scattering for a millicharge q_ν (units of e)
    at electron recoil T (MeV): photon exchange at q² = 2 m_e T (Giunti & Studenikin,
    arXiv:1403.6344, Sec. 9). Dimensionless, shaped like ``recoil``."""
    return -_PHOTON_SCALE * charge_e / (M_ELECTRON * np.asarray(recoil, dtype=float))


def zprime_shift(mediator: VectorMediator, lepton: str, recoil: ArrayLike) -> np.ndarray:
    """Δg_V of ν_ℓ e scattering from a light vector mediator at electron recoil T (MeV),
    q² = 2 m_e T (module docstring: Cerdeño et al. 2016; Amaral et al. 2020, Eq. 7 for
    L_μ − L_τ). Dimensionless, shaped like ``recoil``; a one-line InputError for the
    ``generic`` model, whose charges do not include the electron's."""
    t = np.asarray(recoil, dtype=float)
    q2 = 2.0 * M_ELECTRON * t
    if mediator.model == "Lmu-Ltau":
        return -lmu_ltau_proton_shift(lepton, mediator.coupling, mediator.mass, q2)
    charges = {"universal": 1.0, "B-L": (-1.0) * (-1.0)}.get(mediator.model)
    if charges is None:
        raise InputError(f"the {mediator.model} Z' model has no electron charge; use universal, B-L or Lmu-Ltau for electron recoils")
    return mediator.coupling**2 * charges / (math.sqrt(2.0) * G_FERMI * (q2 + mediator.mass**2))


# --- NSI with electrons ----------------------------------------------------------------------
def electron_nsi_from_parameters(values: Mapping[str, float | str]) -> ElectronNSI:
    """The :class:`ElectronNSI` of named parameters ``eps_<αβ>_eV`` / ``eps_<αβ>_eA``
    (pairs ``ee``, ``mumu``, ``tautau``, ``emu``, ``etau``, ``mutau``; the parameters of the
    registered term :mod:`cevns.physics.interactions.electron_nsi`). An unknown name or a
    bad value is a one-line :class:`cevns.physics.interactions.ParameterError`.

    >>> electron_nsi_from_parameters({"eps_ee_eV": 0.1}).epsilon("V", "e", "e")
    0.1
    """
    if not isinstance(values, Mapping):
        raise InputTypeError.expected("electron-NSI parameters", "a mapping {name: value}, e.g. {'eps_ee_eV': 0.1}", values)
    for name in values:
        if name not in ELECTRON_NSI_PARAMETERS:
            raise ParameterError(f"unknown electron-NSI parameter {name!r}; use eps_<pair>_eV or eps_<pair>_eA "
                                 f"with pair in {', '.join(PAIRS)}")
    return build_electron_nsi({name: check_value(name, v) for name, v in values.items()})


def _electron_nsi(model: PhysicsModel, nsi: ElectronNSI | None) -> ElectronNSI | None:
    """``nsi`` when given, else the model's registered electron-NSI state (None when off)."""
    state = nsi if nsi is not None else model.state("electron_nsi")
    return state if state.active else None


# --- cross section ---------------------------------------------------------------------------
def _sin2_of(model: PhysicsModel, sin2_theta_w: float | None) -> float:
    if sin2_theta_w is not None:
        return _sin2(sin2_theta_w)
    return _sin2(float(model.parameters.get("sin2_theta_w", SIN2_THETA_W_LOW_ENERGY)))


def effective_couplings(
    flavor: str,
    recoil: ArrayLike,
    model: PhysicsModel | None = None,
    nsi: ElectronNSI | None = None,
    sin2_theta_w: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(g_L, g_R) of the species ``flavor`` at electron recoils ``recoil`` (MeV), arrays
    shaped like ``recoil``: the tree-level couplings (:func:`sm_couplings`, before the
    antineutrino flip), g_V shifted by the charge radius and millicharge of ``model`` and
    by ε^{eV}_{αα} and by a light Z′ (:func:`zprime_shift`), g_A by ε^{eA}_{αα}, then g_L = (g_V + g_A)/2, g_R = (g_V − g_A)/2, swapped
    for antineutrinos."""
    _species(flavor)
    model = model or PhysicsModel()
    nsi = _electron_nsi(model, nsi)
    t = np.asarray(recoil, dtype=float)
    lep = lepton_flavor(flavor)
    g_v0, g_a0 = sm_couplings(lepton_flavor_neutrino(flavor), _sin2_of(model, sin2_theta_w))
    g_v = np.full(t.shape, g_v0)
    g_a = g_a0
    r2 = model.charge_radius.get(lep, 0.0)
    if r2:
        g_v = g_v + charge_radius_shift(r2)
    q = model.millicharge.get(lep, 0.0)
    if q:
        g_v = g_v + millicharge_shift(q, t)
    mediator = model.vector_mediator
    if mediator is not None and mediator.coupling != 0.0:
        g_v = g_v + zprime_shift(mediator, lep, t)
    if nsi is not None:
        g_v = g_v + nsi.epsilon("V", lep, lep)
        g_a = g_a + nsi.epsilon("A", lep, lep)
    g_l, g_r = 0.5 * (g_v + g_a), 0.5 * (g_v - g_a)
    g_l = np.broadcast_to(g_l, t.shape)
    g_r = np.broadcast_to(g_r, t.shape)
    return (g_r, g_l) if is_antineutrino(flavor) else (g_l, g_r)


def lepton_flavor_neutrino(flavor: str) -> str:
    """The neutrino of the species' flavour: ``nu_mu_bar`` → ``nu_mu``."""
    return flavor.removesuffix("_bar")


def _chiral_terms(g_l: np.ndarray | float, g_r: np.ndarray | float, t: np.ndarray) -> np.ndarray:
    """(3, n): P (g_L² + g_R², −2T g_R², g_R² T² − g_L g_R m_e T)."""
    g_l2 = np.broadcast_to(np.asarray(g_l, dtype=float) ** 2, t.shape)
    g_r2 = np.broadcast_to(np.asarray(g_r, dtype=float) ** 2, t.shape)
    g_lr = np.broadcast_to(np.asarray(g_l, dtype=float) * np.asarray(g_r, dtype=float), t.shape)
    return WEAK_PREFACTOR_CM2_PER_MEV * np.stack([g_l2 + g_r2, -2.0 * t * g_r2, g_r2 * t**2 - g_lr * M_ELECTRON * t])


def cross_section_coefficients(
    recoil: ArrayLike,
    flavors: tuple[str, ...],
    model: PhysicsModel | None = None,
    nsi: ElectronNSI | None = None,
    sin2_theta_w: float | None = None,
) -> np.ndarray:
    """Coefficients a_k(T), array (n_flavors, 3, n_recoil), of the free-electron
    dσ/dT = Σ_k a_k(T) E^{-k} (cm²/MeV times MeV^k; module docstring), valid for
    T ≤ T_max(E). ``recoil`` T in MeV (> 0 when the model has a magnetic moment or a
    millicharge); ``model`` supplies the electromagnetic properties and sin²θ_W."""
    model = model or PhysicsModel()
    nsi = _electron_nsi(model, nsi)
    t = np.atleast_1d(energies(recoil, "electron recoil energy")).ravel()
    out = np.zeros((len(flavors), 3, t.size))
    with np.errstate(divide="ignore"):
        for i, flavor in enumerate(flavors):
            lep = lepton_flavor(_species(flavor))
            g_l, g_r = effective_couplings(flavor, t, model, nsi, sin2_theta_w)
            out[i] = _chiral_terms(g_l, g_r, t)
            if nsi is not None:
                for beta in LEPTONS:
                    if beta != lep:
                        e_l, e_r = nsi.chiral(lep, beta)
                        if e_l or e_r:
                            out[i] += _chiral_terms(e_r, e_l, t) if is_antineutrino(flavor) else _chiral_terms(e_l, e_r, t)
            mu = model.magnetic_moment.get(lep, 0.0)
            if mu:
                out[i, 0] += MAGNETIC_MOMENT_CM2 * mu**2 / t
                out[i, 1] -= MAGNETIC_MOMENT_CM2 * mu**2
    return out


def differential_cross_section(
    neutrino_energy: ArrayLike,
    recoil: ArrayLike,
    flavor: str = "nu_e",
    model: PhysicsModel | None = None,
    nsi: ElectronNSI | None = None,
    sin2_theta_w: float | None = None,
) -> np.ndarray:
    """dσ/dT in cm²/MeV per free electron at rest, E and T (MeV) broadcast together; 0
    above T_max = 2E²/(m_e + 2E). See the module docstring for the terms."""
    energy = energies(neutrino_energy, "neutrino energy", positive=True, high=MAX_NEUTRINO_ENERGY_MEV)
    e, t = np.broadcast_arrays(energy, energies(recoil, "electron recoil energy"))
    c = cross_section_coefficients(t.ravel(), (flavor,), model, nsi, sin2_theta_w)[0]
    inv = 1.0 / e.ravel()
    value = c[0] + c[1] * inv + c[2] * inv**2
    inside = t.ravel() <= recoil_max(e.ravel(), M_ELECTRON)
    return np.where(inside, np.clip(value, 0.0, None), 0.0).reshape(t.shape)


def _divergent(model: PhysicsModel, flavor: str) -> bool:
    lep = lepton_flavor(flavor)
    return bool(model.magnetic_moment.get(lep, 0.0) or model.millicharge.get(lep, 0.0))


def total_cross_section(
    neutrino_energy: ArrayLike,
    flavor: str = "nu_e",
    model: PhysicsModel | None = None,
    nsi: ElectronNSI | None = None,
    sin2_theta_w: float | None = None,
) -> np.ndarray:
    """σ(E) = ∫₀^{T_max} dσ/dT dT in cm² on a free electron, in closed form:
    (2G_F² m_e/π)[g_L² T_m + g_R² (E/3)(1 − (1 − T_m/E)³) − g_L g_R m_e T_m²/(2E²)] summed
    over the flavour-preserving and flavour-changing couplings, T_m = 2E²/(m_e + 2E).
    A magnetic moment or millicharge (dσ/dT ∝ 1/T, 1/T² at T → 0) makes it infinite: a
    one-line InputError. With a light Z′ (couplings that depend on T) the integral is
    done by Gauss–Legendre quadrature in T instead
    (:func:`cevns.physics.cross_sections.integrate_over_recoil`, 96 nodes)."""
    model = model or PhysicsModel()
    nsi = _electron_nsi(model, nsi)
    _species(flavor)
    if _divergent(model, flavor):
        raise InputError("the total ν e cross section diverges with a magnetic moment or millicharge; ask for dσ/dT at a recoil")
    e = energies(neutrino_energy, "neutrino energy", positive=True, high=MAX_NEUTRINO_ENERGY_MEV)
    mediator = model.vector_mediator
    if mediator is not None and mediator.coupling != 0.0:  # couplings depend on T: Gauss–Legendre in T
        return integrate_over_recoil(lambda en, t: differential_cross_section(en, t, flavor, model, nsi, sin2_theta_w), e, M_ELECTRON, 96)
    tm = recoil_max(e, M_ELECTRON)
    lep = lepton_flavor(flavor)
    g_l, g_r = (float(x.ravel()[0]) for x in effective_couplings(flavor, np.ones(1), model, nsi, sin2_theta_w))
    pairs = [(g_l, g_r)]
    if nsi is not None:
        for beta in LEPTONS:
            if beta != lep:
                e_l, e_r = nsi.chiral(lep, beta)
                pairs.append((e_r, e_l) if is_antineutrino(flavor) else (e_l, e_r))
    total = np.zeros_like(e)
    for a, b in pairs:
        total = total + a**2 * tm + b**2 * (e / 3.0) * (1.0 - (1.0 - tm / e) ** 3) - a * b * M_ELECTRON * tm**2 / (2.0 * e**2)
    return WEAK_PREFACTOR_CM2_PER_MEV * total


# --- atomic binding (stepping approximation) ---------------------------------------------------
@dataclass(frozen=True)
class Shell:
    """One atomic subshell: name (K, L1, …), ``occupancy`` (electrons) and binding energy (MeV)."""

    name: str
    occupancy: int
    binding_mev: float


@lru_cache(maxsize=1)
def _binding_table() -> Mapping[str, tuple[Shell, ...]]:
    text = (resources.files("cevns") / "data" / "atomic" / "binding_energies.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(ln for ln in text.splitlines() if ln and not ln.startswith("#"))
    table: dict[str, list[Shell]] = {}
    for row in rows:
        table.setdefault(row["element"], []).append(Shell(row["shell"], int(row["occupancy"]), float(row["binding_ev"]) * eV))
    return MappingProxyType({k: tuple(v) for k, v in table.items()})


def binding_elements() -> tuple[str, ...]:
    """Elements with shipped binding energies (symbols)."""
    return tuple(_binding_table())


def atomic_shells(element: str) -> tuple[Shell, ...]:
    """The subshells of ``element`` (symbol, e.g. ``"Xe"``) from
    ``cevns/data/atomic/binding_energies.csv`` (X-ray Data Booklet Table 1-1); a one-line
    InputError for an element without a table."""
    table = _binding_table()
    if not isinstance(element, str) or element not in table:
        raise InputError(f"no atomic binding energies for {element!r}; shipped: {', '.join(table)}")
    return table[element]


def electrons_available(element: str, recoil: ArrayLike) -> np.ndarray:
    """Z_eff(T): the number of electrons of ``element`` whose binding energy is below the
    recoil energy T (MeV), the stepping approximation (Chen et al., PLB 774, 656 (2017),
    arXiv:1610.04177). Equals Z above the K-shell energy.

    >>> float(electrons_available("Xe", 0.040))
    54.0
    """
    shells = atomic_shells(element)
    t = energies(recoil, "electron recoil energy")
    binding = np.array([s.binding_mev for s in shells])
    occupancy = np.array([s.occupancy for s in shells], dtype=float)
    return np.asarray((t[..., None] > binding) @ occupancy, dtype=float)


def atomic_differential_cross_section(
    neutrino_energy: ArrayLike,
    recoil: ArrayLike,
    element: str,
    flavor: str = "nu_e",
    model: PhysicsModel | None = None,
    nsi: ElectronNSI | None = None,
    sin2_theta_w: float | None = None,
) -> np.ndarray:
    """dσ/dT in cm²/MeV per atom of ``element``: Z_eff(T) times the free-electron cross
    section (:func:`electrons_available`, :func:`differential_cross_section`)."""
    free = differential_cross_section(neutrino_energy, recoil, flavor, model, nsi, sin2_theta_w)
    t = np.broadcast_to(energies(recoil, "electron recoil energy"), free.shape)
    return free * electrons_available(element, t)


def electron_neutrino_energy_min(recoil: ArrayLike) -> np.ndarray:
    """Smallest E (MeV) giving an electron recoil T (MeV): E_min = [T + √(T² + 2 m_e T)]/2."""
    return neutrino_energy_min(recoil, M_ELECTRON)


__all__ = [
    "ELECTRON_NSI_PARAMETERS",
    "ElectronNSI",
    "MAGNETIC_MOMENT_CM2",
    "Shell",
    "WEAK_PREFACTOR_CM2_PER_MEV",
    "atomic_differential_cross_section",
    "atomic_shells",
    "binding_elements",
    "charge_radius_shift",
    "cross_section_coefficients",
    "differential_cross_section",
    "effective_couplings",
    "electron_neutrino_energy_min",
    "electron_nsi_from_parameters",
    "electrons_available",
    "lepton_flavor_neutrino",
    "millicharge_shift",
    "sm_couplings",
    "total_cross_section",
    "zprime_shift",
]
