"""The neutrino–nucleus interaction at a point of parameter space: the Standard Model plus
non-standard interactions, neutrino electromagnetic properties, light mediators and the
axial current, composed in one cross section.

Every model is written as a change of the coefficients c_k(T) of

.. math::
   \\frac{d\\sigma}{dT} = \\frac{G_F^2 M}{\\pi} \\sum_{k=0}^{2} c_k(T)\\,E_\\nu^{-k},
   \\qquad \\text{SM: } c_0 = \\mathcal{Q}^2,\\ c_1 = -T\\mathcal{Q}^2,\\
   c_2 = -\\tfrac{MT}{2}\\mathcal{Q}^2,

with 𝒬 = g_V^p Z F_Z + g_V^n N F_N (:mod:`cevns.physics.cross_sections`). Because the E_ν
dependence is a polynomial in 1/E_ν, rates need only the tail moments of the spectra
(:mod:`cevns.rates.prediction`), for every model at once. The pieces:

* **Vector NSI** (J. Barranco, O. G. Miranda, T. I. Rashba, JHEP 12 (2005) 021,
  hep-ph/0508299, Eq. 3; Galindo-Uribarri et al., seed 004, Eq. 11; Papoulias & Kosmas,
  seed 002, below Eq. 6): for ν_α,
  𝒬_α = (g_V^p + 2ε^u_αα + ε^d_αα) Z F_Z + (g_V^n + ε^u_αα + 2ε^d_αα) N F_N, and the
  flavour-changing ε_αβ (β ≠ α) add Σ_β [(2ε^u_αβ + ε^d_αβ) Z F_Z + (ε^u_αβ + 2ε^d_αβ) N F_N]²
  incoherently. ε are real and symmetric (ε_αβ = ε_βα); ν and ν̄ share them (vector).
* **Charge radius and millicharge** (M. Cadeddu et al., PRD 102, 015030 (2020),
  arXiv:2005.01645, Eq. 7; PRD 98, 113010 (2018), Eq. 3):
  g_V^p(ν_ℓ) → g_V^p − (√2πα/3G_F)⟨r²_νℓ⟩ + (2√2πα/G_F) q_νℓ/q², q in units of e.
* **Magnetic moment** (P. Vogel, J. Engel, PRD 39, 3378 (1989); T. S. Kosmas et al.,
  PRD 92, 013011 (2015), arXiv:1505.03202; Papoulias & Kosmas, seed 002, Eqs. 7–8, whose
  factor is (1 − T/E)/T): dσ/dT = (πα²μ_ν²/m_e²) Z² F_Z² (1/T − 1/E), μ_ν in Bohr
  magnetons; no interference (helicity flip), the same for ν̄. The exact spin-0 result has
  an extra + T/(4E²), of relative size (T/2E)² < 10⁻⁶ here, which is dropped as in
  the references.
* **Light vector mediator** Z′ of mass m and couplings g_ν, g_u, g_d (D. G. Cerdeño et al.,
  JHEP 05 (2016) 118, arXiv:1604.01025, Eq. 2.8; M. Abdullah et al., PRD 98, 015005 (2018),
  arXiv:1803.01224, Eq. 4): it adds to the NSI-like couplings
  ε^q(q²) = g_ν g_q / (√2 G_F (q² + m²)), so m → ∞ is the contact NSI
  ε^q = g_ν g_q/(√2 G_F m²). L_μ − L_τ couples to quarks only through μ/τ loops
  (kinetic mixing), see :func:`lmu_ltau_proton_shift`.
* **Light scalar mediator** (Cerdeño et al. 2016, Eq. 2.9): adds incoherently
  dσ/dT = g_ν² Q_φ² M² T F² / (4π E² (q² + m²)²), Q_φ = g (c_p Z F_Z + c_n N F_N).
* **Axial current** of odd-A nuclei (no interference with the vector charge), see
  :func:`axial_charge`.

Units: MeV for energies, masses and momenta; couplings dimensionless; magnetic moments
in μ_B, charge radii in 10⁻³² cm², millicharges in units of e.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, Mapping

import numpy as np
from numpy.typing import ArrayLike

from cevns.physics.cross_sections import (
    NuclearStructure,
    NucleonCouplings,
    charge_radius_coupling_shift,
    cross_section_prefactor,
    integrate_over_recoil,
    lepton_flavor,
    tree_level_couplings,
)
from cevns.physics.kinematics import recoil_max
from cevns.physics.nuclei import Isotope, spin_expectation_values
from cevns.physics.oscillations import SterileMixing
from cevns.units import ALPHA_EM, G_FERMI, M_ELECTRON, M_MUON, M_TAU

LEPTONS = ("e", "mu", "tau")
QUARKS = ("u", "d")
ZPRIME_MODELS = ("universal", "B-L", "Lmu-Ltau", "generic")
_SQRT2_GF = math.sqrt(2.0) * G_FERMI


def millicharge_coupling_shift(charge_e: float, q2: ArrayLike) -> np.ndarray:
    """Shift of g_V^p from a neutrino millicharge q_ν (units of e) at q² (MeV²):
    +(2√2πα/G_F) q_ν/q² (Cadeddu et al. 2020, arXiv:2005.01645, Eq. 7, where it enters as
    −(2√2πα/G_F)(⟨r²⟩/6 − q_ν/q²)). Dimensionless."""
    return 2.0 * math.sqrt(2.0) * math.pi * ALPHA_EM / G_FERMI * charge_e / np.asarray(q2)


def _kinetic_mixing_loop(q2: np.ndarray, nodes: int = 16) -> np.ndarray:
    """∫₀¹ x(1−x) ln[(m_τ² + x(1−x)q²)/(m_μ² + x(1−x)q²)] dx (→ ln(m_τ²/m_μ²)/6 at q² = 0),
    by fixed Gauss–Legendre quadrature (the integrand is smooth). The last few q² grids
    are remembered: predictions re-use fixed recoil nodes."""
    key = q2.tobytes()
    if key not in _LOOP_CACHE:
        if len(_LOOP_CACHE) >= 8:
            _LOOP_CACHE.pop(next(iter(_LOOP_CACHE)))
        loop = _loop_integral(q2, nodes)
        loop.flags.writeable = False
        _LOOP_CACHE[key] = loop
    return _LOOP_CACHE[key]


_LOOP_CACHE: dict[bytes, np.ndarray] = {}


def _loop_integral(q2: np.ndarray, nodes: int) -> np.ndarray:
    x, w = np.polynomial.legendre.leggauss(nodes)
    x = 0.5 * (x + 1.0)
    xx = (x * (1.0 - x))[:, None]
    q2 = np.atleast_1d(q2)[None, :]
    integrand = xx * np.log((M_TAU**2 + xx * q2) / (M_MUON**2 + xx * q2))
    return 0.5 * (w[:, None] * integrand).sum(axis=0)


def lmu_ltau_proton_shift(lepton: str, coupling: float, mass: float, q2: ArrayLike) -> np.ndarray:
    """Shift of g_V^p for ν_ℓ from an L_μ − L_τ gauge boson (mass in MeV, q² in MeV²).

    The Z′ couples to ν_μ (+g) and ν_τ (−g), and to the proton's charge through the
    one-loop μ/τ kinetic mixing ε(q²) = (e g/2π²) I(q²), I = ∫₀¹ x(1−x)
    ln[(m_τ² + x(1−x)q²)/(m_μ² + x(1−x)q²)] dx, which at q² = 0 is (e g/12π²) ln(m_τ²/m_μ²)
    (D. W. P. Amaral et al., JHEP 12 (2020) 155, arXiv:2006.11225, Eq. 7; W. Altmannshofer
    et al., PRD 100, 115029 (2019), arXiv:1902.06765). Hence
    Δg_V^p(ν_μ) = −Δg_V^p(ν_τ) = +(2α g²/(π √2 G_F)) I(q²)/(q² + m²)
    → α g² ln(m_τ²/m_μ²) / (3√2 π G_F (q² + m²)) at q² → 0 (M. Cadeddu et al., PRD 104,
    011701 (2021), arXiv:2008.05022); ν_e is untouched. The sign was fixed from the
    Lagrangian with Z′ couplings of the same sign convention as the Z and photon, and
    agrees with the public code of the Amaral et al. authors (SNuDD). For ν_μ it
    reduces |𝒬| (𝒬 < 0): destructive interference.
    """
    sign = {"e": 0.0, "mu": 1.0, "tau": -1.0}[lepton]
    if sign == 0.0 or coupling == 0.0:
        return np.zeros(np.shape(q2))
    q2 = np.asarray(q2, dtype=float)
    loop = _kinetic_mixing_loop(np.ascontiguousarray(q2.ravel())).reshape(q2.shape)
    return sign * 2.0 * ALPHA_EM * coupling**2 / (math.pi * _SQRT2_GF) * loop / (q2 + mass**2)


@dataclass(frozen=True)
class VectorMediator:
    """A light vector boson: ``mass`` (MeV), ``coupling`` g and a ``model``.

    ``universal``: g_ν = g_u = g_d = g. ``B-L``: charges ν −1, quarks +⅓. ``Lmu-Ltau``:
    ν_μ +1, ν_τ −1, quarks through kinetic mixing only. ``generic``: charges
    ``charges`` = (Q_ν, Q_u, Q_d), couplings g·Q.
    """

    mass: float
    coupling: float
    model: Literal["universal", "B-L", "Lmu-Ltau", "generic"] = "universal"
    charges: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def __post_init__(self) -> None:
        if self.model not in ZPRIME_MODELS:
            raise ValueError(f"unknown Z' model {self.model!r}; use one of {', '.join(ZPRIME_MODELS)}")
        if not (self.mass > 0 and math.isfinite(self.mass)):
            raise ValueError(f"Z' mass must be finite and > 0 MeV, got {self.mass}")

    def quark_charges(self) -> tuple[float, float, float]:
        """(Q_ν, Q_u, Q_d) of the vector models with direct quark couplings."""
        return {"universal": (1.0, 1.0, 1.0), "B-L": (-1.0, 1.0 / 3.0, 1.0 / 3.0)}.get(self.model, self.charges)

    def nucleon_coupling_shifts(self, lepton: str, q2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(Δg_V^p, Δg_V^n) for ν_ℓ at q² (MeV²)."""
        if self.model == "Lmu-Ltau":
            return lmu_ltau_proton_shift(lepton, self.coupling, self.mass, q2), 0.0
        q_nu, q_u, q_d = self.quark_charges()
        eps = self.coupling**2 * q_nu / (_SQRT2_GF * (q2 + self.mass**2))
        return eps * (2.0 * q_u + q_d), eps * (q_u + 2.0 * q_d)


#: Scalar charges per nucleon c_N = Σ_q (m_N/m_q) f_Tq^N + (2/27) f_TG Σ_Q m_N/m_Q for a
#: universal quark coupling: Q_φ ≈ (14 A + 1.1 Z) g, i.e. c_n = 14, c_p = 15.1, the
#: approximation of Cerdeño et al., JHEP 05 (2016) 118, arXiv:1604.01025 (their table of
#: nucleon matrix elements; as implemented by the same authors' public code). Other f_Tq
#: sets give 13.8–14.0 A and 0–1.1 Z: the Z term is ≈ 3% of Q_φ, which bounds the
#: uncertainty from the matrix elements.
SCALAR_NUCLEON_CHARGES: Mapping[str, float] = {"proton": 15.1, "neutron": 14.0}


@dataclass(frozen=True)
class ScalarMediator:
    """A light scalar with ``mass`` (MeV) coupling with strength ``coupling`` to ν and to
    every quark (Q_φ = g (c_p Z F_Z + c_n N F_N), :data:`SCALAR_NUCLEON_CHARGES`)."""

    mass: float
    coupling: float

    def __post_init__(self) -> None:
        if not (self.mass > 0 and math.isfinite(self.mass)):
            raise ValueError(f"scalar mass must be finite and > 0 MeV, got {self.mass}")


#: Nucleon axial coupling g_A = 1.2754 ± 0.0013 (PDG 2024, S. Navas et al., PRD 110, 030001,
#: neutron λ = g_A/g_V); g_A^{p,n} = ±g_A/2 with the strange-quark spin Δs neglected.
NUCLEON_AXIAL_COUPLING = 1.2754


def axial_charge(isotope: Isotope) -> float:
    """G_A(q = 0) = 2 (g_A^p ⟨S_p⟩ + g_A^n ⟨S_n⟩) √((J+1)/(3J)), g_A^{p,n} = ±g_A/2.

    The axial term of an unpolarised nucleus of spin J adds
    dσ/dT = (G_F²M/π) G_A² F_A² (1 − T/E + MT/2E²) (M. Hoferichter, J. Menéndez,
    A. Schwenk, PRD 102, 074018 (2020), arXiv:2007.08529, axial term of the CEvNS cross
    section with F_A(0) = 4 G_A²; normalisation checked on a free proton, J = ½, ⟨S⟩ = ½,
    which gives G_A = g_A^p and σ ∝ g_V² + 3g_A²). It does not interfere with the coherent
    vector charge of an unpolarised nucleus, so ν and ν̄ get the same term. The point-
    nucleon form of J. Barranco, O. G. Miranda, T. I. Rashba, JHEP 12 (2005) 021, with
    G_A = Σ(N₊ − N₋), is larger by 3J/(J+1). Spins: :func:`cevns.physics.nuclei.spin_expectation_values`.
    Returns 0 for J = 0; raises ValueError for an odd-A isotope without tabulated spins.
    """
    spins = spin_expectation_values(isotope)
    if spins is None:
        raise ValueError(f"no spin expectation values for {isotope.name}: the axial term cannot be computed")
    sp, sn = spins
    if sp == 0.0 and sn == 0.0:
        return 0.0
    j = float(isotope.spin)
    half = 0.5 * NUCLEON_AXIAL_COUPLING
    return 2.0 * (half * sp - half * sn) * math.sqrt((j + 1.0) / (3.0 * j))


def _axial_form_factor(isotope: Isotope, proton_form_factor: np.ndarray, neutron_form_factor: np.ndarray) -> np.ndarray:
    """F_A(q) approximated by the form factor of the nucleon group that carries the spin."""
    sp, sn = spin_expectation_values(isotope) or (0.0, 0.0)
    return np.asarray(proton_form_factor if abs(sp) >= abs(sn) else neutron_form_factor)


@dataclass(frozen=True)
class PhysicsModel:
    """Everything that sets the cross section at one parameter point.

    ``couplings`` and ``structure``: SM couplings and nuclear radii / form factors.
    ``nsi``: ε^{qV}_{αβ} keyed ``(q, α, β)`` with q in ``u``/``d`` and α, β in ``e``/``mu``/
    ``tau`` (symmetric; either order may be given). ``magnetic_moment`` (μ_B),
    ``charge_radius`` (10⁻³² cm², *beyond* what the coupling scheme holds: the tree scheme
    holds none, the radiative scheme the SM radii), ``millicharge`` (e): per lepton
    flavour. ``vector_mediator``, ``scalar_mediator``, ``sterile``: optional. ``axial``:
    scale of the axial current (0 off, 1 nominal). ``parameters``: the named parameters
    this model was built from (:mod:`cevns.physics.parameters`).
    """

    couplings: NucleonCouplings = field(default_factory=tree_level_couplings)
    structure: NuclearStructure = field(default_factory=NuclearStructure)
    nsi: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    magnetic_moment: Mapping[str, float] = field(default_factory=dict)
    charge_radius: Mapping[str, float] = field(default_factory=dict)
    millicharge: Mapping[str, float] = field(default_factory=dict)
    vector_mediator: VectorMediator | None = None
    scalar_mediator: ScalarMediator | None = None
    sterile: SterileMixing | None = None
    axial: float = 0.0
    parameters: Mapping[str, float | str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for q, a, b in self.nsi:
            if q not in QUARKS or a not in LEPTONS or b not in LEPTONS:
                raise ValueError(f"bad NSI key {(q, a, b)}: use (q, alpha, beta) with q in u, d and e, mu, tau")
        for name, values in (("magnetic moment", self.magnetic_moment), ("charge radius", self.charge_radius), ("millicharge", self.millicharge)):
            for lep in values:
                if lep not in LEPTONS:
                    raise ValueError(f"{name} given for unknown lepton flavour {lep!r}")
        if not self.axial >= 0:
            raise ValueError(f"axial scale must be ≥ 0, got {self.axial}")

    def epsilon(self, quark: str, alpha: str, beta: str) -> float:
        """ε^{qV}_{αβ} (symmetric)."""
        return self.nsi.get((quark, alpha, beta), self.nsi.get((quark, beta, alpha), 0.0))

    def nucleon_couplings(self, lepton: str, q2: np.ndarray) -> tuple[np.ndarray | float, np.ndarray | float]:
        """Effective (g^p, g^n) for ν_ℓ of the coherent (flavour-diagonal) amplitude at q²."""
        eu, ed = self.epsilon("u", lepton, lepton), self.epsilon("d", lepton, lepton)
        gp = self.couplings.proton[lepton] + 2.0 * eu + ed
        gn = self.couplings.neutron + eu + 2.0 * ed
        r2 = self.charge_radius.get(lepton, 0.0)
        if r2:
            gp = gp + charge_radius_coupling_shift(r2)
        charge = self.millicharge.get(lepton, 0.0)
        if charge:
            gp = gp + millicharge_coupling_shift(charge, q2)
        if self.vector_mediator is not None and self.vector_mediator.coupling != 0.0:
            dp, dn = self.vector_mediator.nucleon_coupling_shifts(lepton, q2)
            gp, gn = gp + dp, gn + dn
        return gp, gn

    def flavor_changing_squared(self, lepton: str, zf: np.ndarray, nf: np.ndarray) -> np.ndarray | float:
        """Σ_{β≠α} [(2ε^u_αβ + ε^d_αβ) Z F_Z + (ε^u_αβ + 2ε^d_αβ) N F_N]²."""
        total: np.ndarray | float = 0.0
        for beta in LEPTONS:
            if beta == lepton:
                continue
            eu, ed = self.epsilon("u", lepton, beta), self.epsilon("d", lepton, beta)
            if eu or ed:
                total = total + ((2.0 * eu + ed) * zf + (eu + 2.0 * ed) * nf) ** 2
        return total


def cross_section_terms(
    model: PhysicsModel,
    recoil: np.ndarray,
    isotope: Isotope,
    flavors: tuple[str, ...],
    proton_form_factor: np.ndarray,
    neutron_form_factor: np.ndarray,
) -> np.ndarray:
    """Coefficients c_k(T), array (n_flavors, 3, n_recoil), of dσ/dT = (G_F²M/π) Σ c_k E^{-k}.

    ``recoil`` T in MeV; the form factors are F_Z, F_N at the matching q (so callers can
    evaluate them once per isotope). Terms that do not depend on the flavour (scalar,
    axial) are computed once.
    """
    t = np.asarray(recoil, dtype=float)
    m = isotope.mass
    q2 = t * (t + 2.0 * m)
    zf = isotope.Z * np.asarray(proton_form_factor)
    nf = isotope.N * np.asarray(neutron_form_factor)
    leptons = [lepton_flavor(f) for f in flavors]
    unique = list(dict.fromkeys(leptons))
    vectors = []
    for lep in unique:  # ν and ν̄ of one flavour share the vector part
        gp, gn = model.nucleon_couplings(lep, q2)
        vectors.append((gp * zf + gn * nf) ** 2 + model.flavor_changing_squared(lep, zf, nf))
    vec = np.stack(np.broadcast_arrays(*vectors))[[unique.index(lep) for lep in leptons]]
    out = np.empty((len(flavors), 3, t.size))
    out[:, 0] = vec
    out[:, 1] = -t * vec
    out[:, 2] = (-0.5 * m * t) * vec
    mu2 = np.array([model.magnetic_moment.get(lep, 0.0) ** 2 for lep in leptons])
    if mu2.any():
        k = (math.pi * ALPHA_EM / (G_FERMI * M_ELECTRON)) ** 2 * zf**2 / m
        out[:, 0] += mu2[:, None] * (k / t)
        out[:, 1] -= mu2[:, None] * k
    scalar = model.scalar_mediator
    if scalar is not None and scalar.coupling != 0.0:
        c = SCALAR_NUCLEON_CHARGES
        charge = scalar.coupling * (c["proton"] * zf + c["neutron"] * nf)
        out[:, 2] += m * t * scalar.coupling**2 * charge**2 / (4.0 * G_FERMI**2 * (q2 + scalar.mass**2) ** 2)
    if model.axial:
        ga = math.sqrt(model.axial) * axial_charge(isotope)
        if ga:
            ga2 = (ga * _axial_form_factor(isotope, proton_form_factor, neutron_form_factor)) ** 2
            out[:, 0] += ga2
            out[:, 1] -= t * ga2
            out[:, 2] += 0.5 * m * t * ga2
    return out


def differential_cross_section(
    neutrino_energy: ArrayLike,
    recoil: ArrayLike,
    isotope: Isotope,
    flavor: str = "nu_mu",
    model: PhysicsModel | None = None,
) -> np.ndarray:
    """dσ/dT in cm²/MeV with every model of ``model`` (default: the SM at tree level);
    E and T in MeV, broadcast together; 0 above T_max."""
    model = model or PhysicsModel()
    e, t = np.broadcast_arrays(np.asarray(neutrino_energy, dtype=float), np.asarray(recoil, dtype=float))
    q = np.sqrt(t.ravel() * (t.ravel() + 2.0 * isotope.mass))
    fz, fn = model.structure.form_factors(q, isotope)
    c = cross_section_terms(model, t.ravel(), isotope, (flavor,), fz, fn)[0]
    inv = 1.0 / e.ravel()
    value = c[0] + c[1] * inv + c[2] * inv**2
    value = np.where(t.ravel() <= recoil_max(e.ravel(), isotope.mass), np.clip(value, 0.0, None), 0.0)
    return (cross_section_prefactor(isotope.mass) * value).reshape(t.shape)


def total_cross_section(
    neutrino_energy: ArrayLike, isotope: Isotope, flavor: str = "nu_mu", model: PhysicsModel | None = None, nodes: int = 96
) -> np.ndarray:
    """σ(E) = ∫₀^{T_max} dσ/dT dT in cm² (E in MeV), fixed Gauss–Legendre in T. Infinite
    models (a magnetic moment or millicharge: dσ/dT ∝ 1/T or 1/T² at T → 0) raise
    ValueError, since their total depends on a threshold."""
    model = model or PhysicsModel()
    if any(model.magnetic_moment.values()) or any(model.millicharge.values()):
        raise ValueError("the total cross section diverges with a neutrino magnetic moment or millicharge; ask for dσ/dT at a recoil")
    return integrate_over_recoil(
        lambda e, t: differential_cross_section(e, t, isotope, flavor, model), neutrino_energy, isotope.mass, nodes
    )


__all__ = [
    "LEPTONS",
    "PhysicsModel",
    "QUARKS",
    "SCALAR_NUCLEON_CHARGES",
    "ScalarMediator",
    "VectorMediator",
    "ZPRIME_MODELS",
    "NUCLEON_AXIAL_COUPLING",
    "axial_charge",
    "cross_section_terms",
    "differential_cross_section",
    "lmu_ltau_proton_shift",
    "total_cross_section",
    "millicharge_coupling_shift",
]
