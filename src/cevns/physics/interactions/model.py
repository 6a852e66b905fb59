"""The neutrino–nucleus interaction at a point of parameter space: the Standard Model
plus every registered model term (:mod:`cevns.physics.interactions.registry`), composed
in one cross section.

Every model is written as a change of the coefficients c_k(T) of

.. math::
   \\frac{d\\sigma}{dT} = \\frac{G_F^2 M}{\\pi} \\sum_{k=0}^{2} c_k(T)\\,E_\\nu^{-k},
   \\qquad \\text{SM: } c_0 = \\mathcal{Q}^2,\\ c_1 = -T\\mathcal{Q}^2,\\
   c_2 = -\\tfrac{MT}{2}\\mathcal{Q}^2,

with 𝒬 = g_V^p Z F_Z + g_V^n N F_N (:mod:`cevns.physics.cross_sections`; D. Z. Freedman,
PRD 9, 1389 (1974); D. K. Papoulias, T. S. Kosmas, arXiv:1711.09773, Eq. 1). A term
either shifts the couplings g^p, g^n of ν_ℓ at q² (and so interferes with the Standard
Model), or adds incoherently to the c_k(T), or acts on the flux only (sterile
oscillations, read by :mod:`cevns.rates.prediction`). Because the E_ν dependence is a
polynomial in 1/E_ν, rates need only the tail moments of the spectra, for every model
at once. The terms, their formulas and their sources are in the family modules:
:mod:`~cevns.physics.interactions.nsi`, :mod:`~cevns.physics.interactions.electromagnetic`,
:mod:`~cevns.physics.interactions.vector_mediator`,
:mod:`~cevns.physics.interactions.scalar_mediator`, :mod:`~cevns.physics.interactions.axial`,
:mod:`~cevns.physics.interactions.sterile`.

Units: MeV for energies, masses and momenta; couplings dimensionless.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, cast

import numpy as np

from cevns.errors import InputError, InputTypeError
from cevns.physics.cross_sections import (
    NuclearStructure,
    NucleonCouplings,
    cross_section_prefactor,
    integrate_over_recoil,
    lepton_flavor,
    tree_level_couplings,
)
from cevns.physics.interactions.registry import ModelTerm, RecoilKinematics, model_term, registered_terms
from cevns.physics.kinematics import MAX_NEUTRINO_ENERGY_MEV, energies, recoil_max
from cevns.physics.nuclei import Isotope, require_isotope

if TYPE_CHECKING:  # the state types, for the typed convenience attributes only
    from numpy.typing import ArrayLike  # annotations only (numpy.typing: ~1 ms of start-up)
    from cevns.physics.interactions.scalar_mediator import ScalarMediator
    from cevns.physics.interactions.vector_mediator import VectorMediator
    from cevns.physics.oscillations import SterileMixing


@dataclass(frozen=True, init=False)
class PhysicsModel:
    """Everything that sets the cross section at one parameter point.

    ``couplings`` and ``structure``: SM couplings and nuclear radii / form factors.
    ``terms``: the state of each model term that is switched on, keyed by the term's
    name (:mod:`cevns.physics.interactions.registry`); a term that is absent is at its
    Standard-Model default. ``parameters``: the named parameters this model was built
    from (:mod:`cevns.physics.parameters`).

    A state may also be given as a keyword named after its term, e.g.
    ``PhysicsModel(nsi={("u", "e", "e"): 0.1})``, ``PhysicsModel(scalar_mediator=ScalarMediator(10.0, 1e-5))``;
    states are checked by their term (ValueError); a keyword that names no registered
    term is a one-line :class:`cevns.errors.InputTypeError` (a TypeError, as for any
    unknown keyword argument). The built-in terms' states are
    readable as typed attributes: ``nsi`` (ε^{qV}_{αβ} keyed ``(q, α, β)``),
    ``magnetic_moment`` (μ_B), ``charge_radius`` (10⁻³² cm², beyond what the coupling
    scheme holds), ``millicharge`` (e) per lepton flavour, ``vector_mediator``,
    ``scalar_mediator``, ``sterile`` (None when off) and ``axial`` (scale, 0 off);
    any term's through :meth:`state`.
    """

    couplings: NucleonCouplings
    structure: NuclearStructure
    terms: Mapping[str, Any]
    parameters: Mapping[str, float | str]

    def __init__(
        self,
        couplings: NucleonCouplings | None = None,
        structure: NuclearStructure | None = None,
        *,
        terms: Mapping[str, Any] | None = None,
        parameters: Mapping[str, float | str] | None = None,
        **states: Any,
    ) -> None:
        merged = dict(terms or {})
        merged.update(states)
        for name, state in merged.items():
            try:
                term = model_term(name)
            except ValueError as exc:
                raise InputTypeError(f"PhysicsModel got an unknown model term {name!r}: {exc}") from None
            if term.check is not None:
                term.check(state)
        object.__setattr__(self, "couplings", couplings if couplings is not None else tree_level_couplings())
        object.__setattr__(self, "structure", structure if structure is not None else NuclearStructure())
        object.__setattr__(self, "terms", merged)
        object.__setattr__(self, "parameters", dict(parameters or {}))

    # --- states ---------------------------------------------------------------------
    def state(self, name: str) -> Any:
        """The state of the term ``name``: the one held, else the term's default."""
        if name in self.terms:
            return self.terms[name]
        return model_term(name).default

    def active_terms(self) -> tuple[tuple[ModelTerm[Any], Any], ...]:
        """(term, state) of every held state that changes something, in registration
        order. A state whose term is no longer registered raises ValueError."""
        if not self.terms:  # the Standard Model: nothing to look up (nor any family module to import)
            return ()
        terms = registered_terms()
        active, held = [], 0
        for term in terms:
            if term.name in self.terms:
                held += 1
                state = self.terms[term.name]
                if term.is_active(state):
                    active.append((term, state))
        if held != len(self.terms):
            known = {t.name for t in terms}
            orphans = [name for name in self.terms if name not in known]
            raise ValueError(f"the model holds states of unregistered model terms: {', '.join(orphans)}")
        return tuple(active)

    def divergent_terms(self) -> tuple[str, ...]:
        """Titles of the active terms whose total cross section is infinite."""
        return tuple(t.title for t, s in self.active_terms() if t.divergent is not None and t.divergent(s))

    # typed convenience attributes of the built-in terms
    @property
    def nsi(self) -> Mapping[tuple[str, str, str], float]:
        return cast("Mapping[tuple[str, str, str], float]", self.state("nsi"))

    @property
    def magnetic_moment(self) -> Mapping[str, float]:
        return cast("Mapping[str, float]", self.state("magnetic_moment"))

    @property
    def charge_radius(self) -> Mapping[str, float]:
        return cast("Mapping[str, float]", self.state("charge_radius"))

    @property
    def millicharge(self) -> Mapping[str, float]:
        return cast("Mapping[str, float]", self.state("millicharge"))

    @property
    def vector_mediator(self) -> VectorMediator | None:
        return cast("VectorMediator | None", self.state("vector_mediator"))

    @property
    def scalar_mediator(self) -> ScalarMediator | None:
        return cast("ScalarMediator | None", self.state("scalar_mediator"))

    @property
    def sterile(self) -> SterileMixing | None:
        return cast("SterileMixing | None", self.state("sterile"))

    @property
    def axial(self) -> float:
        return float(self.state("axial"))

    def epsilon(self, quark: str, alpha: str, beta: str) -> float:
        """ε^{qV}_{αβ} (symmetric)."""
        nsi = self.nsi
        return nsi.get((quark, alpha, beta), nsi.get((quark, beta, alpha), 0.0))

    # --- couplings ------------------------------------------------------------------
    def nucleon_couplings(self, lepton: str, q2: np.ndarray) -> tuple[np.ndarray | float, np.ndarray | float]:
        """Effective (g^p, g^n) of the coherent (flavour-diagonal) amplitude of ν_ℓ at q²
        (MeV²): the scheme's couplings plus every active term's shifts, in registration order."""
        return _couplings(self, self.active_terms(), lepton, q2)


def _couplings(
    model: PhysicsModel, active: tuple[tuple[ModelTerm[Any], Any], ...], lepton: str, q2: np.ndarray
) -> tuple[np.ndarray | float, np.ndarray | float]:
    gp: np.ndarray | float = model.couplings.proton[lepton]
    gn: np.ndarray | float = model.couplings.neutron
    for term, state in active:
        if term.coupling_shifts is not None:
            dp, dn = term.coupling_shifts(state, lepton, q2)
            gp, gn = gp + dp, gn + dn
    return gp, gn


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
    evaluate them once per isotope). The coherent part (𝒬² times the SM kinematics, with
    every term's coupling shifts) is computed once per lepton flavour (ν and ν̄ share it);
    then each active term's incoherent additions are added, in registration order.
    """
    t = np.asarray(recoil, dtype=float)
    m = isotope.mass
    q2 = t * (t + 2.0 * m)
    zf = isotope.Z * np.asarray(proton_form_factor)
    nf = isotope.N * np.asarray(neutron_form_factor)
    leptons = tuple(lepton_flavor(f) for f in flavors)
    unique = list(dict.fromkeys(leptons))
    active = model.active_terms()
    vectors = []
    for lep in unique:  # ν and ν̄ of one flavour share the vector part
        gp, gn = _couplings(model, active, lep, q2)
        vectors.append((gp * zf + gn * nf) ** 2)
    vec = np.stack(np.broadcast_arrays(*vectors))[[unique.index(lep) for lep in leptons]]
    out = np.empty((len(flavors), 3, t.size))
    out[:, 0] = vec
    out[:, 1] = -t * vec
    out[:, 2] = (-0.5 * m * t) * vec
    kinematics: RecoilKinematics | None = None
    for term, state in active:
        if term.incoherent is None:
            continue
        if kinematics is None:
            kinematics = RecoilKinematics(isotope, t, q2, np.asarray(proton_form_factor), np.asarray(neutron_form_factor), zf, nf, leptons)
        extra = term.incoherent(state, kinematics)
        if extra is not None:
            out += extra
    return out


def differential_cross_section(
    neutrino_energy: ArrayLike,
    recoil: ArrayLike,
    isotope: Isotope,
    flavor: str = "nu_mu",
    model: PhysicsModel | None = None,
) -> np.ndarray:
    """dσ/dT in cm²/MeV with every term of ``model`` (default: the SM at tree level);
    E and T in MeV, broadcast together; 0 above T_max."""
    require_isotope(isotope)
    model = model or PhysicsModel()
    energy = energies(neutrino_energy, "neutrino energy", positive=True, high=MAX_NEUTRINO_ENERGY_MEV)
    e, t = np.broadcast_arrays(energy, energies(recoil, "recoil energy"))
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
    """σ(E) = ∫₀^{T_max} dσ/dT dT in cm² (E in MeV), fixed Gauss–Legendre in T. Models
    with an infinite total (a magnetic moment or millicharge: dσ/dT ∝ 1/T or 1/T² at
    T → 0; any term whose ``divergent`` says so) raise InputError, since their total
    depends on a threshold."""
    require_isotope(isotope)
    model = model or PhysicsModel()
    divergent = model.divergent_terms()
    if divergent:
        raise InputError(f"the total cross section diverges with {' and '.join(divergent)}; ask for dσ/dT at a recoil")
    return integrate_over_recoil(
        lambda e, t: differential_cross_section(e, t, isotope, flavor, model), neutrino_energy, isotope.mass, nodes
    )


__all__ = [
    "PhysicsModel",
    "cross_section_terms",
    "differential_cross_section",
    "total_cross_section",
]
