"""Standard Model CEvNS cross section with separate proton and neutron form factors.

For a spin-0 (coherent, vector-current) nucleus of mass M, a neutrino of energy E and a
nuclear recoil kinetic energy T (D. Z. Freedman, PRD 9, 1389 (1974); exact kinematic
factor e.g. in M. Lindner, W. Rodejohann, X.-J. Xu, JHEP 03 (2017) 097,
arXiv:1612.04150, Eq. 2.1 without the spin-½ T²/2E² term):

.. math::
   \\frac{d\\sigma}{dT} = \\frac{G_F^2 M}{\\pi}
      \\left[g_V^p(\\nu_\\ell)\\,Z\\,F_Z(q) + g_V^n\\,N\\,F_N(q)\\right]^2
      \\left(1 - \\frac{T}{E} - \\frac{MT}{2E^2}\\right),
      \\qquad q^2 = T^2 + 2MT .

The bracket is half the weak charge: with tree-level couplings g_V^p = ½ − 2 sin²θ_W,
g_V^n = −½ it is −Q_W/2 with Q_W = N − (1 − 4 sin²θ_W) Z, so the prefactor equals the
familiar G_F² M Q_W²/(4π) (D. K. Papoulias & T. S. Kosmas, HNPS proceedings, cf. Phys. Rev. D
97, 033003 (2018), arXiv:1711.09773; Eq. 1). The kinematic factor
vanishes exactly at T_max = 2E²/(M + 2E) (it is |M|² for a scalar target with a vector
current, ∝ (2E − T)² − 2MT − T²). The vector part is the same for ν and ν̄.

Units: energies in MeV, cross sections in cm², dσ/dT in cm²/MeV.

Inputs are checked (:func:`cevns.physics.kinematics.energies`,
:func:`cevns.physics.nuclei.require_isotope`): a neutrino energy must be finite, > 0 and at
most :data:`cevns.physics.kinematics.MAX_NEUTRINO_ENERGY_MEV` (10 GeV: far beyond coherence,
where qR ≫ 1 and the form factor is 0; larger values overflow E²), a recoil finite and
≥ 0, an isotope an :class:`Isotope`, sin²θ_W a number in [0, 1]; anything else is a
one-line :class:`cevns.errors.InputError` or :class:`cevns.errors.InputTypeError`, not a
silent 0.
"""

from __future__ import annotations

import math
from numbers import Real
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Literal, Mapping

import numpy as np

from cevns.errors import InputError, InputTypeError
from cevns.physics.form_factors import FormFactor, lewin_smith_rms_radius_fm
from cevns.physics.kinematics import MAX_NEUTRINO_ENERGY_MEV, energies, momentum_transfer, recoil_max
from cevns.physics.nuclei import Isotope, require_isotope
from cevns.units import ALPHA_EM, G_FERMI, HBARC_MEV_CM, M_ELECTRON, M_MUON, M_TAU, MEV2_TO_CM2
from cevns.physics.quadrature import gauss_legendre

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike

#: Neutrino species, in the order used in outputs.
FLAVORS: tuple[str, ...] = ("nu_e", "nu_mu", "nu_tau", "nu_e_bar", "nu_mu_bar", "nu_tau_bar")

#: Default low-energy weak mixing angle, MS-bar scheme at q → 0: sin²θ_W(0) = 0.23857(5),
#: the value of the PDG Electroweak review (Erler & Freitas, PDG 2020 and later) for the
#: low-energy limit. (J. Erler, R. Ferro-Hernández, JHEP 03 (2018) 196, arXiv:1712.09146,
#: whose running it uses, quote 0.23868(5)(2) in their abstract.)
SIN2_THETA_W_LOW_ENERGY = 0.23857


def lepton_flavor(flavor: str) -> str:
    """``nu_mu_bar`` → ``mu``: the charged-lepton flavour of a neutrino species."""
    if flavor not in FLAVORS:
        raise InputError(f"unknown neutrino flavour {flavor!r}; use one of {', '.join(FLAVORS)}")
    return flavor.split("_")[1]


def is_antineutrino(flavor: str) -> bool:
    """True for ν̄ species."""
    lepton_flavor(flavor)
    return flavor.endswith("_bar")


#: Standard Model neutrino charge radii ⟨r²_ν_ℓ⟩ in 10⁻³² cm², in the convention where they
#: shift g_V^p by −(√2 π α / 3 G_F)⟨r²⟩: J. Bernabéu, J. Papavassiliou, J. Vidal,
#: Nucl. Phys. B 680, 450 (2004); values as quoted by M. Cadeddu et al., PRD 98, 113010
#: (2018), arXiv:1810.05606, Eq. 5.
SM_NEUTRINO_CHARGE_RADII_1E32_CM2: Mapping[str, float] = {"e": -0.83, "mu": -0.48, "tau": -0.30}


def charge_radius_coupling_shift(r2_1e32_cm2: float) -> float:
    """Shift of g_V^p from a neutrino charge radius ⟨r²⟩ (given in 10⁻³² cm²).

    Δg_V^p = −(√2 π α / (3 G_F)) ⟨r²⟩ = −(2/3) m_W² sin²θ_W ⟨r²⟩ (Cadeddu et al.,
    PRD 98, 113010 (2018), arXiv:1810.05606, Eq. 3; J. Vogel, J. Engel, PRD 39, 3378
    (1989)). Dimensionless.
    """
    r2_mev = r2_1e32_cm2 * 1e-32 / HBARC_MEV_CM**2  # cm² → MeV⁻²
    return -math.sqrt(2.0) * math.pi * ALPHA_EM / (3.0 * G_FERMI) * r2_mev


@dataclass(frozen=True)
class NucleonCouplings:
    """Neutrino–nucleon vector couplings g_V^p (per lepton flavour) and g_V^n.

    ``proton`` maps ``e``, ``mu``, ``tau`` to g_V^p(ν_ℓ); ``neutron`` is g_V^n; ``name``
    says where they come from; ``scheme`` (``tree``, ``radiative`` or ``custom``) says how
    a new sin²θ_W is applied to them.
    """

    proton: Mapping[str, float]
    neutron: float
    name: str
    scheme: str = "custom"

    def proton_coupling(self, flavor: str) -> float:
        """g_V^p for a neutrino species (ν and ν̄ share it)."""
        return self.proton[lepton_flavor(flavor)]


def _sin2(value: float) -> float:
    """A weak mixing angle sin²θ_W, checked: a finite number in [0, 1] (one-line
    InputError; InputTypeError for what is not a number)."""
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating, np.integer)):
        raise InputTypeError.expected("sin2_theta_w", "a number in [0, 1]", value)
    x = float(value)
    if not (math.isfinite(x) and 0.0 <= x <= 1.0):
        raise InputError(f"sin2_theta_w must be a finite number in [0, 1], got {x:g}")
    return x


def tree_level_couplings(sin2_theta_w: float = SIN2_THETA_W_LOW_ENERGY) -> NucleonCouplings:
    """Tree-level couplings g_V^p = ½ − 2 sin²θ_W, g_V^n = −½, flavour blind
    (Papoulias & Kosmas, HNPS proceedings, below Eq. 1). ``sin2_theta_w`` must be a
    finite number in [0, 1]."""
    gp = 0.5 - 2.0 * _sin2(sin2_theta_w)
    return NucleonCouplings({"e": gp, "mu": gp, "tau": gp}, -0.5, f"tree level, sin2_theta_w={sin2_theta_w}", "tree")


#: Inputs of the radiatively corrected ν–quark couplings, PDG Electroweak review
#: (J. Erler, A. Freitas; "ν-hadron scattering"), following J. Erler, S. Su,
#: Prog. Part. Nucl. Phys. 71, 119 (2013), arXiv:1303.5522: ρ_νN, κ̂_νN, the λ box terms and
#: ŝ²_Z = sin²θ̂_W(M_Z) (MS-bar). These PDG parameters are those of ν_μ scattering.
PDG_NU_N_INPUTS: Mapping[str, float] = {
    "rho": 1.0082,
    "kappa": 0.9978,
    "s2_mz": 0.23122,
    "lambda_uL": -0.0031,
    "lambda_dL": -0.0025,
    "lambda_uR": 3.75e-5,
    "lambda_dR": 7.5e-5,
}


def radiative_couplings(inputs: Mapping[str, float] = PDG_NU_N_INPUTS, sin2_theta_w: float | None = None) -> NucleonCouplings:
    """Radiatively corrected, flavour-dependent couplings (PDG / Erler–Su).

    ε_L(u) = ρ(½ − ⅔κ̂ŝ²) + λ_uL, ε_L(d) = ρ(−½ + ⅓κ̂ŝ²) + λ_dL,
    ε_R(u) = −⅔ρκ̂ŝ² + λ_uR, ε_R(d) = ⅓ρκ̂ŝ² + λ_dR (PDG Electroweak review, ν-hadron
    section; Erler & Su 2013), and g_V^q = ε_L(q) + ε_R(q), g_V^p = 2g_V^u + g_V^d,
    g_V^n = g_V^u + 2g_V^d. The PDG inputs describe ν_μ; the ν_e and ν_τ proton couplings
    differ by the SM neutrino charge-radius terms,
    g_V^p(ν_ℓ) = g_V^p(ν_μ) − (√2πα/3G_F)(⟨r²_ν_ℓ⟩ − ⟨r²_ν_μ⟩) (Cadeddu et al., PRD 98,
    113010 (2018), arXiv:1810.05606, Eq. 3 with the radii of Bernabéu et al. 2004). g_V^n
    gets no charge-radius term (the photon couples to Q_u + 2Q_d = 0). Result:
    g_V^p(ν_μ) ≈ 0.0303, g_V^p(ν_e) ≈ 0.0387, g_V^n ≈ −0.5120.

    ``sin2_theta_w`` (a low-energy value, to fit it) moves κ̂ŝ² by its difference from
    :data:`SIN2_THETA_W_LOW_ENERGY`, so g_V^p shifts by −2ρ Δsin²θ_W and g_V^n not at all.
    """
    rho, kappa, s2 = inputs["rho"], inputs["kappa"], inputs["s2_mz"]
    if sin2_theta_w is not None:
        s2 = s2 + (_sin2(sin2_theta_w) - SIN2_THETA_W_LOW_ENERGY) / kappa
    gu = rho * (0.5 - 4.0 / 3.0 * kappa * s2) + inputs["lambda_uL"] + inputs["lambda_uR"]
    gd = rho * (-0.5 + 2.0 / 3.0 * kappa * s2) + inputs["lambda_dL"] + inputs["lambda_dR"]
    gp_mu = 2.0 * gu + gd
    r2 = SM_NEUTRINO_CHARGE_RADII_1E32_CM2
    proton = {
        lep: gp_mu + charge_radius_coupling_shift(r2[lep]) - charge_radius_coupling_shift(r2["mu"])
        for lep in ("e", "mu", "tau")
    }
    label = "PDG/Erler-Su, flavour-dependent charge radius"
    if sin2_theta_w is not None:
        label += f", sin2_theta_w={sin2_theta_w}"
    return NucleonCouplings(proton, gu + 2.0 * gd, label, "radiative")


#: Keys of the user-given values of the ``custom`` coupling set: g_V^p per lepton flavour
#: and g_V^n.
CUSTOM_COUPLING_KEYS: tuple[str, ...] = ("gv_p_e", "gv_p_mu", "gv_p_tau", "gv_n")


@dataclass(frozen=True)
class CouplingSet:
    """A named way to obtain :class:`NucleonCouplings`.

    ``build(sin2_theta_w, values)`` returns the couplings; ``sin2_theta_w`` is a low-energy
    weak mixing angle (``None``: the set's own reference value) and ``values`` the
    user-given numbers (only the ``custom`` set takes any). ``sin2_slope`` is
    ∂g_V^p/∂sin²θ_W, the same for every flavour, with g_V^n independent of sin²θ_W (every
    set here is affine in sin²θ_W); ``None`` means a fitted sin²θ_W is not applicable to
    the set. ``description`` is one line for listings.
    """

    name: str
    build: Callable[[float | None, Mapping[str, float]], NucleonCouplings]
    description: str
    sin2_slope: float | None


_COUPLING_SETS: dict[str, CouplingSet] = {}


def register_coupling_set(coupling_set: CouplingSet) -> CouplingSet:
    """Add a named coupling set (a new set is one builder function and one call of this);
    the name must be new."""
    if coupling_set.name in _COUPLING_SETS:
        raise InputError(f"coupling set {coupling_set.name!r} is already registered")
    _COUPLING_SETS[coupling_set.name] = coupling_set
    return coupling_set


def coupling_set_names() -> tuple[str, ...]:
    """Names of the registered coupling sets, in registration order."""
    return tuple(_COUPLING_SETS)


def coupling_set(name: str) -> CouplingSet:
    """The registered coupling set ``name``; an unknown name is a one-line
    :class:`~cevns.errors.InputError` that lists the known ones."""
    try:
        return _COUPLING_SETS[name]
    except KeyError:
        raise InputError.unknown("coupling set", name, _COUPLING_SETS, "known sets") from None


def _no_values(name: str, values: Mapping[str, float]) -> None:
    if values:
        raise InputError(f"coupling set {name!r} takes no values (got {', '.join(sorted(values))}); only 'custom' does")


def _build_tree(sin2_theta_w: float | None, values: Mapping[str, float]) -> NucleonCouplings:
    _no_values("tree", values)
    return tree_level_couplings(SIN2_THETA_W_LOW_ENERGY if sin2_theta_w is None else sin2_theta_w)


def _build_radiative(sin2_theta_w: float | None, values: Mapping[str, float]) -> NucleonCouplings:
    _no_values("radiative", values)
    at_reference = sin2_theta_w is None or sin2_theta_w == SIN2_THETA_W_LOW_ENERGY
    return radiative_couplings(sin2_theta_w=None if at_reference else sin2_theta_w)


def custom_couplings(values: Mapping[str, float]) -> NucleonCouplings:
    """Couplings given by the user: ``values`` maps ``gv_p_e``, ``gv_p_mu``, ``gv_n``
    (required) and ``gv_p_tau`` (optional, defaults to ``gv_p_mu``) to g_V^p(ν_e),
    g_V^p(ν_μ), g_V^n and g_V^p(ν_τ) (dimensionless). They do not depend on sin²θ_W, which
    therefore cannot be fitted with them."""
    unknown = sorted(set(values) - set(CUSTOM_COUPLING_KEYS))
    if unknown:
        raise InputError(f"unknown custom coupling value(s) {', '.join(unknown)}; use {', '.join(CUSTOM_COUPLING_KEYS)}")
    missing = [k for k in ("gv_p_e", "gv_p_mu", "gv_n") if k not in values]
    if missing:
        raise InputError(f"the custom coupling set needs {', '.join(missing)} (g_V^p per flavour and g_V^n)")
    for key, value in values.items():
        if not math.isfinite(value):
            raise InputError(f"custom coupling {key} must be finite, got {value}")
    proton = {"e": float(values["gv_p_e"]), "mu": float(values["gv_p_mu"]),
              "tau": float(values.get("gv_p_tau", values["gv_p_mu"]))}
    neutron = float(values["gv_n"])
    label = f"custom (g_V^p e/mu/tau = {proton['e']:g}/{proton['mu']:g}/{proton['tau']:g}, g_V^n = {neutron:g})"
    return NucleonCouplings(proton, neutron, label, "custom")


def _build_custom(sin2_theta_w: float | None, values: Mapping[str, float]) -> NucleonCouplings:
    if sin2_theta_w is not None:
        raise InputError("sin2_theta_w does not apply to the custom coupling set (give g_V^p and g_V^n instead)")
    return custom_couplings(values)


register_coupling_set(CouplingSet(
    "tree", _build_tree, "tree level, g_V^p = 1/2 - 2 sin2_theta_w, g_V^n = -1/2 (Papoulias & Kosmas, arXiv:1711.09773)", -2.0))
register_coupling_set(CouplingSet(
    "radiative", _build_radiative,
    "PDG/Erler-Su radiative corrections with flavour-dependent neutrino charge radii (arXiv:1303.5522, arXiv:1810.05606)",
    -2.0 * PDG_NU_N_INPUTS["rho"]))
#: Low-momentum-transfer couplings with radiative corrections used by recent COHERENT
#: analyses (M. Cadeddu, F. Dordei, C. Giunti, Y. F. Li, E. Picciau, Y. Y. Zhang, PRD 102,
#: 015030 (2020), arXiv:2005.01645, Table I, at sin²θ_W(0) = 0.23857; the same values are
#: used by M. Atzori Corona et al., JHEP 05 (2022) 109, arXiv:2202.11002, and EPJC 83, 683
#: (2023), arXiv:2303.09360): g_V^p(ν_e) = 0.0401, g_V^p(ν_μ) = 0.0318, g_V^p(ν_τ) = 0.0275,
#: g_V^n = −0.5094. Provenance: typed from the table as recalled (no copy of the papers'
#: text was available to this project's search tools; two independent recollections
#: agree); verify against the table before relying on them below the 0.5% level. They
#: differ from :func:`radiative_couplings` (0.0387 / 0.0303 / −0.5120) by their treatment of
#: the charge-radius and box terms at q → 0.
LOW_Q_COUPLINGS: Mapping[str, float] = {"gv_p_e": 0.0401, "gv_p_mu": 0.0318, "gv_p_tau": 0.0275, "gv_n": -0.5094}


def _build_low_q(sin2_theta_w: float | None, values: Mapping[str, float]) -> NucleonCouplings:
    """:data:`LOW_Q_COUPLINGS`; a fitted ``sin2_theta_w`` shifts every g_V^p by
    −2ρ (sin²θ_W − 0.23857) (ρ of :data:`PDG_NU_N_INPUTS`, as :func:`radiative_couplings`)
    and leaves g_V^n unchanged (it carries no sin²θ_W at this order)."""
    _no_values("low-q", values)
    shift = 0.0 if sin2_theta_w is None else -2.0 * PDG_NU_N_INPUTS["rho"] * (sin2_theta_w - SIN2_THETA_W_LOW_ENERGY)
    c = LOW_Q_COUPLINGS
    proton = {"e": c["gv_p_e"] + shift, "mu": c["gv_p_mu"] + shift, "tau": c["gv_p_tau"] + shift}
    label = "Cadeddu et al. PRD 102, 015030 (2020), Table I; Atzori Corona et al."
    if sin2_theta_w is not None and sin2_theta_w != SIN2_THETA_W_LOW_ENERGY:
        label += f", sin2_theta_w={sin2_theta_w}"
    return NucleonCouplings(proton, c["gv_n"], label, "low-q")


register_coupling_set(CouplingSet("custom", _build_custom, "g_V^p per flavour and g_V^n given by the user", None))
register_coupling_set(CouplingSet(
    "low-q", _build_low_q,
    "low-q radiative set of recent COHERENT analyses: g_V^p(nu_e/mu/tau) = 0.0401/0.0318/0.0275, g_V^n = -0.5094 "
    "(Cadeddu et al., arXiv:2005.01645, Table I)",
    -2.0 * PDG_NU_N_INPUTS["rho"]))


def couplings_by_name(
    name: str, sin2_theta_w: float | None = SIN2_THETA_W_LOW_ENERGY, values: Mapping[str, float] | None = None
) -> NucleonCouplings:
    """The couplings of the registered set ``name`` (``tree``, ``radiative``, ``low-q``, ``custom``, or
    any set added with :func:`register_coupling_set`).

    ``sin2_theta_w``: the low-energy weak mixing angle. How each set responds to it:
    ``tree`` uses g_V^p = ½ − 2 sin²θ_W (Papoulias & Kosmas, arXiv:1711.09773, Eq. 1);
    ``radiative`` moves κ̂ŝ² by the difference from :data:`SIN2_THETA_W_LOW_ENERGY`, so
    g_V^p shifts by −2ρ Δsin²θ_W and g_V^n not at all (see :func:`radiative_couplings`);
    ``custom`` does not depend on it: pass ``None`` (any value is a one-line error).
    ``values``: the numbers of the ``custom`` set (see :func:`custom_couplings`).
    """
    return coupling_set(name).build(sin2_theta_w, values or {})


def couplings_with_sin2(couplings: NucleonCouplings, sin2_theta_w: float) -> NucleonCouplings:
    """The same coupling set as ``couplings`` at another low-energy sin²θ_W (to fit it); a
    one-line :class:`~cevns.errors.InputError` for a set to which sin²θ_W does not apply."""
    chosen = coupling_set(couplings.scheme)
    if chosen.sin2_slope is None:
        raise InputError(f"sin2_theta_w cannot be applied to the coupling set {couplings.scheme!r} ({couplings.name})")
    return chosen.build(sin2_theta_w, {})


@dataclass(frozen=True)
class NuclearStructure:
    """How the proton and neutron densities of each isotope are modelled.

    ``proton_form_factor`` / ``neutron_form_factor``: the models (see
    :class:`cevns.physics.form_factors.FormFactor`). ``radius_default``: ``"charge"`` takes the
    point-proton rms radius from the measured charge radius (Angeli & Marinova 2013) for
    both densities; ``"lewin-smith"`` the Helm rms radius of Lewin & Smith (1996).
    ``proton_radius_fm`` / ``neutron_radius_fm`` override the rms radius (fm) per isotope
    name (``133Cs``); the key ``"*"`` applies to every isotope.
    """

    proton_form_factor: FormFactor = field(default_factory=FormFactor)
    neutron_form_factor: FormFactor = field(default_factory=FormFactor)
    radius_default: Literal["charge", "lewin-smith"] = "charge"
    proton_radius_fm: Mapping[str, float] = field(default_factory=dict)
    neutron_radius_fm: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.radius_default not in ("charge", "lewin-smith"):
            raise InputError(f"radius_default must be 'charge' or 'lewin-smith', got {self.radius_default!r}")
        for kind, radii in (("proton", self.proton_radius_fm), ("neutron", self.neutron_radius_fm)):
            for name, value in radii.items():
                if not value > 0:
                    raise InputError(f"{kind} radius of {name} must be > 0 fm, got {value}")

    def radii_fm(self, isotope: Isotope) -> tuple[float, float]:
        """(proton, neutron) rms radii in fm for ``isotope``."""
        if self.radius_default == "charge":
            base = isotope.point_proton_radius_fm
        else:
            base = lewin_smith_rms_radius_fm(isotope.A)
        rp = self.proton_radius_fm.get(isotope.name, self.proton_radius_fm.get("*", base))
        rn = self.neutron_radius_fm.get(isotope.name, self.neutron_radius_fm.get("*", rp))
        return rp, rn

    def form_factors(self, q: ArrayLike, isotope: Isotope) -> tuple[np.ndarray, np.ndarray]:
        """(F_Z(q), F_N(q)) for momentum transfer ``q`` in MeV."""
        rp, rn = self.radii_fm(isotope)
        return self.proton_form_factor(q, rp), self.neutron_form_factor(q, rn)


def cross_section_prefactor(nuclear_mass: float) -> float:
    """G_F² M/π in cm² per MeV (M in MeV): dσ/dT = prefactor · 𝒬² · kinematic factor."""
    return G_FERMI**2 * nuclear_mass / math.pi * MEV2_TO_CM2


def weak_charge_from_form_factors(
    proton_form_factor: ArrayLike, neutron_form_factor: ArrayLike, isotope: Isotope, flavor: str, couplings: NucleonCouplings
) -> np.ndarray:
    """𝒬 = g_V^p Z F_Z + g_V^n N F_N for given form-factor values (lets callers that
    evaluate F once reuse it for every flavour)."""
    return couplings.proton_coupling(flavor) * isotope.Z * np.asarray(proton_form_factor) + couplings.neutron * isotope.N * np.asarray(neutron_form_factor)


def weak_charge_half(
    recoil: ArrayLike,
    isotope: Isotope,
    flavor: str,
    couplings: NucleonCouplings,
    structure: NuclearStructure,
) -> np.ndarray:
    """g_V^p Z F_Z(q) + g_V^n N F_N(q) at recoil T (MeV): half the weak charge (sign −Q_W/2)."""
    q = momentum_transfer(recoil, isotope.mass)
    fz, fn = structure.form_factors(q, isotope)
    return weak_charge_from_form_factors(fz, fn, isotope, flavor, couplings)


def kinematic_factor(neutrino_energy: ArrayLike, recoil: ArrayLike, nuclear_mass: float) -> np.ndarray:
    """1 − T/E − MT/(2E²), clipped at 0 above T_max (dimensionless; E, T, M in MeV)."""
    e = np.asarray(neutrino_energy, dtype=float)
    t = np.asarray(recoil, dtype=float)
    return np.clip(1.0 - t / e - nuclear_mass * t / (2.0 * e**2), 0.0, None)


def differential_cross_section(
    neutrino_energy: ArrayLike,
    recoil: ArrayLike,
    isotope: Isotope,
    flavor: str = "nu_mu",
    couplings: NucleonCouplings | None = None,
    structure: NuclearStructure | None = None,
) -> np.ndarray:
    """dσ/dT in cm²/MeV for neutrino energy E (MeV) and recoil T (MeV); 0 above T_max.

    ``couplings`` default to tree level with sin²θ_W = 0.23857; ``structure`` to Helm
    form factors with the charge-derived radius for protons and neutrons.
    """
    require_isotope(isotope)
    energies(neutrino_energy, "neutrino energy", positive=True, high=MAX_NEUTRINO_ENERGY_MEV)
    energies(recoil, "recoil energy")
    couplings = couplings or tree_level_couplings()
    structure = structure or NuclearStructure()
    m = isotope.mass
    qw = weak_charge_half(recoil, isotope, flavor, couplings, structure)
    return cross_section_prefactor(m) * qw**2 * kinematic_factor(neutrino_energy, recoil, m)


def total_cross_section(
    neutrino_energy: ArrayLike,
    isotope: Isotope,
    flavor: str = "nu_mu",
    couplings: NucleonCouplings | None = None,
    structure: NuclearStructure | None = None,
    nodes: int = 96,
) -> np.ndarray:
    """σ(E) = ∫₀^{T_max} dσ/dT dT in cm², by fixed Gauss–Legendre quadrature in T.

    The integrand is smooth on [0, T_max], so ``nodes`` = 96 is exact to < 10⁻¹⁰ for
    E ≲ 300 MeV (tested against the analytic point-nucleus result).
    """
    require_isotope(isotope)
    return integrate_over_recoil(
        lambda e, t: differential_cross_section(e, t, isotope, flavor, couplings, structure), neutrino_energy, isotope.mass, nodes
    )


def integrate_over_recoil(dsigma_dt, neutrino_energy: ArrayLike, nuclear_mass: float, nodes: int = 96) -> np.ndarray:
    """∫₀^{T_max(E)} dσ/dT dT (cm²) by ``nodes``-point Gauss–Legendre in T, for any
    ``dsigma_dt(E, T)`` (cm²/MeV, broadcasting E of shape (n, 1) against T of (n, nodes)).
    E must be finite and > 0 MeV (one-line InputError otherwise)."""
    e = np.atleast_1d(energies(neutrino_energy, "neutrino energy", positive=True, high=MAX_NEUTRINO_ENERGY_MEV))
    x, w = gauss_legendre(nodes)
    tmax = recoil_max(e, nuclear_mass)[:, None]
    t = 0.5 * tmax * (x + 1.0)
    ds = dsigma_dt(np.broadcast_to(e[:, None], t.shape), t)
    return (0.5 * tmax[:, 0] * (ds * w).sum(axis=1)).reshape(np.shape(neutrino_energy))


def point_nucleus_total_cross_section(neutrino_energy: ArrayLike, isotope: Isotope, couplings: NucleonCouplings, flavor: str = "nu_mu") -> np.ndarray:
    """Analytic σ(E) for F = 1: (G_F² M/π) Q² [T_m − T_m²/(2E) − M T_m²/(4E²)], T_m = T_max.

    Integral of the exact kinematic factor; an independent check of the quadrature.
    """
    e = energies(neutrino_energy, "neutrino energy")
    m = require_isotope(isotope).mass
    tm = recoil_max(e, m)
    q = couplings.proton_coupling(flavor) * isotope.Z + couplings.neutron * isotope.N
    return cross_section_prefactor(m) * q**2 * (tm - tm**2 / (2 * e) - m * tm**2 / (4 * e**2))


# --- running weak mixing angle (MS-bar) ----------------------------------------------------
#: Z and W masses (MeV), PDG 2022 (R. L. Workman et al., PTEP 2022, 083C01): 91.1876(21) GeV, 80.377(12) GeV.
M_Z_MEV = 91187.6
M_W_MEV = 80377.0
#: MS-bar α̂(M_Z)⁻¹ = 127.952(9), PDG Electroweak review (J. Erler, A. Freitas; PDG 2020).
ALPHA_HAT_MZ_INV = 127.952
#: Charged fermions as (mass MeV, colours, T₃ of the left-handed field, charge): leptons
#: (CODATA masses), c and b at their MS-bar masses m_c(m_c) = 1.27 GeV, m_b(m_b) = 4.18 GeV and the top at
#: 172.69 GeV (PDG 2022). u, d, s share one effective threshold fixed by α̂(0) = α (see running_sin2_theta_w).
_HEAVY_FERMIONS: tuple[tuple[float, int, float, float], ...] = (
    (M_ELECTRON, 1, -0.5, -1.0),
    (M_MUON, 1, -0.5, -1.0),
    (M_TAU, 1, -0.5, -1.0),
    (1270.0, 3, 0.5, 2.0 / 3.0),
    (4180.0, 3, -0.5, -1.0 / 3.0),
    (172690.0, 3, 0.5, 2.0 / 3.0),
)
_LIGHT_QUARKS: tuple[tuple[int, float, float], ...] = ((3, 0.5, 2.0 / 3.0), (3, -0.5, -1.0 / 3.0), (3, -0.5, -1.0 / 3.0))
#: One-loop β coefficients of the W with the Higgs doublet (d(1/α_i)/d ln μ = −b_i/2π): SU(2) gauge −22/3 plus
#: Higgs 1/6 gives b₂ = −43/6; adding U(1)_Y's Higgs 1/6 gives the photon's b_α = −7 (the W loop of QED).
_W_B_ALPHA, _W_B_2 = -7.0, -43.0 / 6.0


def _fermion_b(fermions) -> tuple[float, float]:
    """(b_α, b₂) of Dirac fermions: b_α = (4/3) Σ N_c Q², b₂ = (2/3) Σ N_c T₃ Q."""
    b_alpha = sum(4.0 / 3.0 * nc * q * q for nc, _, q in fermions)
    b_2 = sum(2.0 / 3.0 * nc * t3 * q for nc, t3, q in fermions)
    return b_alpha, b_2


def light_quark_threshold_mev() -> float:
    """Effective common u, d, s threshold (MeV) at which leading-log running of α̂ from
    α̂(M_Z)⁻¹ = 127.952 ends at the Thomson α⁻¹ = 137.036 (MS-bar α̂(μ) of one-loop decoupled
    fermions equals α below m_e). This one number stands for the non-perturbative hadronic
    vacuum polarisation below a few GeV (≈ 165 MeV; a leading-log stand-in, not a quark mass)."""
    total = 1.0 / ALPHA_EM - ALPHA_HAT_MZ_INV + _W_B_ALPHA / (2.0 * math.pi) * math.log(M_Z_MEV / M_W_MEV)
    for m, nc, t3, q in _HEAVY_FERMIONS:
        if m < M_Z_MEV:
            total -= _fermion_b([(nc, t3, q)])[0] / (2.0 * math.pi) * math.log(M_Z_MEV / m)
    b_light = _fermion_b(_LIGHT_QUARKS)[0]
    return M_Z_MEV * math.exp(-2.0 * math.pi * total / b_light)


def running_sin2_theta_w(mu_mev: ArrayLike, s2_mz: float = PDG_NU_N_INPUTS["s2_mz"]) -> np.ndarray:
    """MS-bar weak mixing angle ŝ²(μ) at scale μ (MeV), leading-log one-loop running from ŝ²(M_Z).

    With ŝ² = ê²/ĝ², both couplings run at one loop, d(1/α̂)/d ln μ = −b_α/2π and
    d(ŝ²/α̂)/d ln μ = −b₂/2π, so on each interval between particle thresholds
    ŝ²(μ) − λ = [α̂(μ)/α̂(μ₀)] (ŝ²(μ₀) − λ) with λ = b₂/b_α = Σ N_c T₃ Q / (2 Σ N_c Q²)
    (derived from the one-loop β functions; the leading term of J. Erler, M. J. Ramsey-Musolf,
    PRD 72, 073003 (2005), arXiv:hep-ph/0409169, whose λ₁ is this λ). Inputs: ŝ²(M_Z) = 0.23122
    and α̂(M_Z)⁻¹ = 127.952 (PDG); fermions decouple at their masses, the W at M_W (b_α = −7, b₂ = −43/6 above it), u, d, s at
    :func:`light_quark_threshold_mev`. Threshold constants and higher orders are left out: the
    result ŝ²(0) = 0.23843 is within 3·10⁻⁴ of the full evaluations 0.23857(5) (PDG) and 0.23868(5)
    (Erler & Ferro-Hernández, JHEP 03 (2018) 196). Below m_e ŝ² is constant (ŝ²(0) = ŝ²(m_e))."""
    mu = np.asarray(mu_mev, dtype=float)
    if np.any(~np.isfinite(mu)) or np.any(mu < 0):
        raise InputError("running_sin2_theta_w: the scale μ must be finite and ≥ 0 MeV")
    m_light = light_quark_threshold_mev()
    fermions = [(m, (nc, t3, q)) for m, nc, t3, q in _HEAVY_FERMIONS] + [(m_light, f) for f in _LIGHT_QUARKS]

    def coefficients(scale: float) -> tuple[float, float]:
        """(b_α, b₂) of the particles lighter than ``scale`` (MeV)."""
        b_alpha, b_2 = _fermion_b([f for m, f in fermions if m < scale])
        if scale > M_W_MEV:
            b_alpha, b_2 = b_alpha + _W_B_ALPHA, b_2 + _W_B_2
        return b_alpha, b_2

    edges = sorted({m for m, _ in fermions} | {M_W_MEV})
    out = np.empty(mu.shape)
    for idx, target in np.ndenumerate(np.maximum(mu, edges[0])):
        inv_alpha, x = ALPHA_HAT_MZ_INV, s2_mz * ALPHA_HAT_MZ_INV  # x = ŝ²/α̂
        here = M_Z_MEV
        stops = [e for e in (edges if target > here else edges[::-1]) if min(here, target) < e < max(here, target)] + [target]
        for stop in stops:
            b_alpha, b_2 = coefficients(math.sqrt(here * stop))  # the particles active between here and stop
            step = math.log(stop / here)
            inv_alpha -= b_alpha / (2.0 * math.pi) * step
            x -= b_2 / (2.0 * math.pi) * step
            here = stop
        out[idx] = x / inv_alpha
    return out
