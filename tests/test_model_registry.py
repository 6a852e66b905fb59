"""The registry of model terms: a term registered here (a toy constant incoherent term)
becomes known to the parameter vocabulary, validation, ``cevns params``, the cross
section and the rates, and the JAX backend refuses it; the built-in terms obey the
registry's contract (SM at their defaults, cited, owned parameters)."""

from __future__ import annotations

import math
from types import MappingProxyType

import numpy as np
import pytest

from cevns import units as u
from cevns.config.experiments import load_experiment
from cevns.physics.cross_sections import NuclearStructure, cross_section_prefactor
from cevns.physics.form_factors import FormFactor
from cevns.physics.interactions import (
    ModelTerm,
    Parameter,
    PhysicsModel,
    differential_cross_section,
    model_term,
    register_term,
    registered_terms,
    term_of_parameter,
    unregister_term,
)
from cevns.physics.nuclei import isotope
from cevns.physics.parameters import CORE_PARAMETERS, PARAMETERS, ParameterError, apply_parameters, parameter, parameter_table
from cevns.rates.nodes import IsotopeNodes

CS133 = isotope("Cs", 133)
POINT = NuclearStructure(FormFactor("none"), FormFactor("none"))
BUILT_IN = ("nsi", "magnetic_moment", "charge_radius", "millicharge", "vector_mediator", "scalar_mediator", "sterile", "axial",
            "electron_nsi")


@pytest.fixture
def registry():
    """Restores the registry after the test, whatever the test registered or removed."""
    before = registered_terms()
    yield
    for term in registered_terms():
        if term not in before:
            unregister_term(term.name)
    for term in before:
        if term not in registered_terms():
            register_term(term)
    assert [t.name for t in registered_terms()] == [t.name for t in before], "the registry order changed"


def _constant_incoherent(c0: float, k):
    """c_0 += c for every flavour: dσ/dT gains (G_F²M/π) c, independent of E and T."""
    out = np.zeros((1, 3, k.recoil.size))
    out[0, 0] = c0
    return out


def toy_term(name: str = "toy_constant", jax_support: bool = False) -> ModelTerm:
    return ModelTerm[float](
        name=name,
        title="a toy constant term",
        parameters=(Parameter(f"{name}_c0", "", 0.0, "toy: constant added to c_0", 0.0),),
        build=lambda values: float(values[f"{name}_c0"]),
        default=0.0,
        is_active=bool,
        incoherent=_constant_incoherent,
        jax_support=jax_support,
        citation="none (a test)",
    )


# --- a registered term is known everywhere ------------------------------------------------
def test_registered_term_joins_the_vocabulary_and_the_table(registry):
    assert "toy_constant_c0" not in PARAMETERS
    with pytest.raises(ParameterError, match="unknown parameter 'toy_constant_c0'"):
        parameter("toy_constant_c0")
    term = register_term(toy_term())
    assert parameter("toy_constant_c0").unit == "" and "toy_constant_c0" in PARAMETERS
    assert term_of_parameter("toy_constant_c0") is term and model_term("toy_constant") is term
    rows = {r["name"]: r for r in parameter_table(["133Cs"])}
    assert rows["toy_constant_c0"] == {"name": "toy_constant_c0", "unit": "", "default": "0.0",
                                       "description": "toy: constant added to c_0", "term": "toy_constant"}
    assert rows["eps_ee_uV"]["term"] == "nsi" and rows["sin2_theta_w"]["term"] == "" and "rn_133Cs" in rows
    with pytest.raises(ParameterError, match="toy_constant_c0 must be ≥ 0"):
        apply_parameters(PhysicsModel(), {"toy_constant_c0": -1.0})
    with pytest.raises(ParameterError, match="did you mean 'toy_constant_c0'"):
        parameter("toy_constant_c1")
    unregister_term("toy_constant")
    assert "toy_constant_c0" not in PARAMETERS and term_of_parameter("toy_constant_c0") is None


def test_registered_term_enters_the_cross_section(registry):
    register_term(toy_term())
    c0 = 37.5
    model = apply_parameters(PhysicsModel(structure=POINT), {"toy_constant_c0": c0, "eps_ee_uV": 0.1})
    assert model.state("toy_constant") == c0 and model.parameters == {"toy_constant_c0": c0, "eps_ee_uV": 0.1}
    assert PhysicsModel(structure=POINT, toy_constant=c0).state("toy_constant") == c0  # the keyword form
    e = np.array([[20.0], [35.0]])
    t = np.array([[1e-3, 3e-3, 6e-3]])  # MeV, below T_max(20 MeV) = 6.5e-3 MeV for 133Cs
    without = apply_parameters(PhysicsModel(structure=POINT), {"eps_ee_uV": 0.1})
    for flavor in ("nu_e", "nu_mu_bar"):
        extra = differential_cross_section(e, t, CS133, flavor, model) - differential_cross_section(e, t, CS133, flavor, without)
        expected = cross_section_prefactor(CS133.mass) * c0 * np.ones_like(extra)  # G_F² M/π c0, cm²/MeV
        np.testing.assert_allclose(extra, expected, rtol=1e-9)
    assert expected[0, 0] == pytest.approx(u.G_FERMI**2 * CS133.mass / math.pi * c0 * u.MEV2_TO_CM2, rel=1e-14)


def test_registered_term_enters_the_rates(registry):
    """Counts gain c0 Σ_n w_bn m_0(T_n), from the public node fields."""
    register_term(toy_term())
    predictor = load_experiment("coherent-csi-2017").predictor()
    c0 = 2e3
    gained = predictor.binned({"toy_constant_c0": c0}).counts - predictor.binned().counts
    assert all(isinstance(node, IsotopeNodes) for node in predictor.nodes)
    expected = np.stack([c0 * node.moments[:, 0] @ node.weights.T for node in predictor.nodes])
    np.testing.assert_allclose(gained, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
    assert expected.sum() > 1.0


def test_unregistered_state_and_unknown_keyword_are_refused(registry):
    register_term(toy_term())
    model = PhysicsModel(toy_constant=1.0)
    unregister_term("toy_constant")
    with pytest.raises(ValueError, match="unregistered model terms: toy_constant"):
        differential_cross_section(30.0, 0.01, CS133, "nu_e", model)
    with pytest.raises(TypeError, match="unknown model term 'toy_constant'"):
        PhysicsModel(toy_constant=1.0)


def test_registration_refuses_clashes(registry):
    register_term(toy_term())
    with pytest.raises(ValueError, match="already registered"):
        register_term(toy_term())
    clash = ModelTerm[float]("toy_other", "t", (Parameter("eps_ee_uV", "", 0.0, "x"),), lambda v: 0.0, 0.0, "none")
    with pytest.raises(ValueError, match="'eps_ee_uV' of toy_other already belongs to nsi"):
        register_term(clash)
    for reserved in ("sin2_theta_w", "rn", "rp_133Cs", "rn_foo"):
        term = ModelTerm[float]("toy_other", "t", (Parameter(reserved, "", 0.0, "x"),), lambda v: 0.0, 0.0, "none")
        with pytest.raises(ValueError, match="reserved"):
            register_term(term)
    assert "toy_other" not in {t.name for t in registered_terms()}


def test_jax_backend_refuses_an_unimplemented_term(registry):
    jax_backend = pytest.importorskip("cevns.backends.jax_backend")
    predictor = load_experiment("coherent-csi-2017").predictor()
    register_term(toy_term())
    # also a term that claims JAX support but that the backend does not implement
    register_term(toy_term("toy_claims_jax", jax_support=True))
    for name in ("toy_constant_c0", "toy_claims_jax_c0"):
        with pytest.raises(ParameterError, match=f"does not support {name} "):
            jax_backend.JaxPredictor.from_predictor(predictor, ("eps_ee_uV", name))
    for name, term in (("toy_constant_c0", "toy_constant"), ("toy_claims_jax_c0", "toy_claims_jax")):
        with pytest.raises(ParameterError, match=rf"does not support a toy constant term \({term}\) in the model") as err:
            jax_backend.JaxPredictor.from_predictor(predictor, ("eps_ee_uV",), fixed={name: 1.0})
        assert "\n" not in str(err.value)
    jax_backend.JaxPredictor.from_predictor(predictor, ("eps_ee_uV",), fixed={"toy_constant_c0": 0.0})  # off: fine


@pytest.mark.parametrize("fixed, term", [({"dm2_41": 1.0, "Ue4_sq": 0.1}, "sterile"), ({"zprime_coupling": 1e-4}, "vector_mediator"),
                                          ({"axial": 1.0}, "axial"), ({"scalar_coupling": 1e-4}, "scalar_mediator")])
def test_jax_backend_refuses_built_in_unsupported_terms(fixed, term):
    jax_backend = pytest.importorskip("cevns.backends.jax_backend")
    predictor = load_experiment("coherent-csi-2017").predictor()
    with pytest.raises(ParameterError, match=rf"\({term}\) in the model"):
        jax_backend.JaxPredictor.from_predictor(predictor, ("eps_ee_uV",), fixed=fixed)


def test_jax_allow_list_matches_the_declarations():
    jax_backend = pytest.importorskip("cevns.backends.jax_backend")
    declared = {t.name for t in registered_terms() if t.jax_support}
    assert declared == set(jax_backend.IMPLEMENTED_TERMS) == {"nsi", "magnetic_moment", "charge_radius", "millicharge"}


# --- the built-in terms obey the contract --------------------------------------------------
def test_built_in_terms_in_order():
    assert tuple(t.name for t in registered_terms()) == BUILT_IN


@pytest.mark.parametrize("name", BUILT_IN)
def test_each_built_in_term_is_the_sm_at_its_defaults_and_cited(name):
    term = model_term(name)
    state = term.build(term.parameter_values({}))
    assert not term.is_active(state)
    assert not term.is_active(term.default)
    assert term.citation and term.title and term.parameters
    for p in term.parameters:
        assert term_of_parameter(p.name) is term and parameter(p.name) is p
        if p.default is not None:
            assert p.check(p.default) == p.default
    if term.check is not None:
        term.check(state)


def test_vocabulary_is_core_plus_terms():
    owned = [p.name for t in registered_terms() for p in t.parameters]
    assert list(PARAMETERS) == [p.name for p in CORE_PARAMETERS] + owned
    assert len(set(owned)) == len(owned)


def test_typed_attributes_and_keyword_states():
    from cevns.physics.interactions import ScalarMediator

    model = PhysicsModel(nsi={("u", "e", "mu"): 0.1}, magnetic_moment={"e": 1e-10}, axial=1.0, scalar_mediator=ScalarMediator(5.0, 1e-5))
    assert model.nsi == {("u", "e", "mu"): 0.1} and model.epsilon("u", "mu", "e") == 0.1
    assert model.magnetic_moment == {"e": 1e-10} and model.axial == 1.0 and model.scalar_mediator == ScalarMediator(5.0, 1e-5)
    assert model.sterile is None and model.vector_mediator is None and model.charge_radius == MappingProxyType({})
    assert [t.name for t, _ in model.active_terms()] == ["nsi", "magnetic_moment", "scalar_mediator", "axial"]
    with pytest.raises(ValueError, match="bad NSI key"):
        PhysicsModel(nsi={("s", "e", "e"): 0.1})
    with pytest.raises(ValueError, match="axial scale must be ≥ 0"):
        PhysicsModel(axial=-1.0)
    with pytest.raises(ValueError, match="unknown lepton flavour 'nu'"):
        PhysicsModel(millicharge={"nu": 1e-9})
