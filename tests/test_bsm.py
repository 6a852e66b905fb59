"""Physics beyond the SM: limits that must hold exactly (zero couplings, heavy mediators,
degenerate NSI, Δm² → ∞), closed forms computed here independently, and numerics
checked against adaptive quadrature."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from cevns import units as u
from cevns.physics.cross_sections import FLAVORS, NuclearStructure, differential_cross_section as sm_dsigma, tree_level_couplings
from cevns.detector.response import DetectorResponse
from cevns.config.experiments import load_experiment
from cevns.sources.pion_dar import pion_dar_source
from cevns.sources.spectra import LineSpectrum
from cevns.physics.form_factors import FormFactor
from cevns.physics.interactions import (
    PhysicsModel,
    axial_charge,
    differential_cross_section,
    lmu_ltau_proton_shift,
    total_cross_section,
)
from cevns.physics.nuclei import isotope, resolve_target
from cevns.physics.oscillations import SterileMixing, averaged_sin2, mixing_from_sin2_2theta
from cevns.sources.oscillated import oscillated_tail_moments
from cevns.physics.parameters import PARAMETERS, ParameterError, apply_parameters, parameter
from cevns.rates.prediction import differential_rate, prepare_rates

CS133 = isotope("Cs", 133)
LIVE = 308.1 * u.day
POINT = NuclearStructure(FormFactor("none"), FormFactor("none"))


@pytest.fixture(scope="module")
def csi():
    return load_experiment("coherent-csi-2017").predictor()


@pytest.fixture(scope="module")
def sm_counts(csi):
    return csi.binned().counts


def _zero_point() -> dict[str, float | str]:
    """Every BSM parameter explicitly at its 'off' value (masses at arbitrary values)."""
    values: dict[str, float | str] = {}
    for name, par in PARAMETERS.items():
        if par.default is not None and name not in ("sin2_2theta_14", "sin2_2theta_24"):
            values[name] = par.default
    values.update(zprime_mass=3.0, scalar_mass=7.0, dm2_41=1.3, zprime_model="B-L")
    return values


def test_every_model_at_zero_is_exactly_the_sm(csi, sm_counts):
    counts = csi.binned(_zero_point()).counts
    assert counts.shape == sm_counts.shape
    np.testing.assert_allclose(counts, sm_counts, rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", [n for n, p in PARAMETERS.items() if isinstance(p.default, float) and p.default == 0.0])
def test_each_parameter_at_zero_is_exactly_the_sm(csi, sm_counts, name):
    np.testing.assert_allclose(csi.binned({name: 0.0}).counts, sm_counts, rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", ["eps_ee_uV", "eps_mumu_dV", "eps_emu_uV", "mu_nu_e", "r2_nu_mu", "q_nu_e", "zprime_coupling", "scalar_coupling"])
def test_each_parameter_changes_the_prediction(csi, sm_counts, name):
    value = {"mu_nu_e": 1e-9, "r2_nu_mu": 5.0, "q_nu_e": 1e-8, "zprime_coupling": 1e-4, "scalar_coupling": 1e-4}.get(name, 0.05)
    assert not np.allclose(csi.binned({name: value}).counts.sum(), sm_counts.sum(), rtol=1e-3)


# --- NSI ---------------------------------------------------------------------------
def test_nsi_weak_charge_formula_at_one_point():
    """dσ/dT with ε^u_ee, ε^d_ee and ε^u_eμ equals the Barranco et al. formula typed here."""
    eu, ed, fc = 0.12, -0.07, 0.05
    model = apply_parameters(PhysicsModel(structure=POINT), {"eps_ee_uV": eu, "eps_ee_dV": ed, "eps_emu_uV": fc})
    c = tree_level_couplings()
    z, n = CS133.Z, CS133.N
    q_coh = (c.proton["e"] + 2 * eu + ed) * z + (c.neutron + eu + 2 * ed) * n
    q_fc2 = (2 * fc * z + fc * n) ** 2
    e, t = 30.0, 0.01
    expected = u.G_FERMI**2 * CS133.mass / math.pi * (q_coh**2 + q_fc2) * (1 - t / e - CS133.mass * t / (2 * e**2)) * u.MEV2_TO_CM2
    assert differential_cross_section(e, t, CS133, "nu_e", model) == pytest.approx(expected, rel=1e-12)
    # ν_μ sees the flavour-changing ε_eμ = ε_μe too, but not the ee terms
    q_mu = c.proton["mu"] * z + c.neutron * n
    expected_mu = expected / (q_coh**2 + q_fc2) * (q_mu**2 + q_fc2)
    assert differential_cross_section(e, t, CS133, "nu_mu", model) == pytest.approx(expected_mu, rel=1e-12)
    # ν̄ share the vector NSI
    assert differential_cross_section(e, t, CS133, "nu_e_bar", model) == pytest.approx(expected, rel=1e-12)


def test_degenerate_nsi_gives_the_sm_rate_for_nu_e():
    """ε^u_ee, ε^d_ee on the line that flips the sign of 𝒬_e (Papoulias–Kosmas Fig. 4,
    Galindo-Uribarri Fig. 5): the ν_e rate is the SM one; ν_μ is untouched anyway."""
    target = resolve_target("133Cs")
    src = pion_dar_source(1e15, 0.08, 19.3 * u.m)
    response = DetectorResponse(edges=tuple(np.linspace(0.0, 40.0, 9)))
    pred = prepare_rates(target, 10.0, LIVE, src, response)
    c = tree_level_couplings()
    q_sm = c.proton["e"] * CS133.Z + c.neutron * CS133.N
    for eu in (-0.3, 0.2, 0.5):
        # (2εu + εd) Z + (εu + 2εd) N = −2 𝒬_SM, exact for every T since F_Z = F_N here
        ed = (-2 * q_sm - eu * (2 * CS133.Z + CS133.N)) / (CS133.Z + 2 * CS133.N)
        bsm = pred.binned({"eps_ee_uV": eu, "eps_ee_dV": ed})
        sm = pred.binned()
        np.testing.assert_allclose(bsm.counts, sm.counts, rtol=1e-12)
        off = pred.binned({"eps_ee_uV": eu, "eps_ee_dV": ed + 0.05})
        assert off.by_flavor()["nu_e"] > 1.01 * sm.by_flavor()["nu_e"]


# --- light mediators ----------------------------------------------------------------
@pytest.mark.parametrize(
    "zmodel, charges",
    [("universal", (1.0, 1.0, 1.0)), ("B-L", (-1.0, 1 / 3, 1 / 3)), ("generic", (0.7, -0.4, 1.3))],
)
def test_heavy_vector_mediator_equals_contact_nsi(csi, zmodel, charges):
    mass, g = 1e5, 0.3  # 100 GeV: q²/m² < 10⁻⁶ at the SNS
    eps = {q: g**2 * charges[0] * cq / (math.sqrt(2) * u.G_FERMI * mass**2) for q, cq in zip("ud", charges[1:])}
    params = {"zprime_model": zmodel, "zprime_mass": mass, "zprime_coupling": g}
    if zmodel == "generic":
        params.update(zprime_charge_nu=charges[0], zprime_charge_u=charges[1], zprime_charge_d=charges[2])
    nsi = {f"eps_{ab}_{q}V": eps[q] for ab in ("ee", "mumu", "tautau") for q in "ud"}
    a, b = csi.binned(params), csi.binned(nsi)
    assert abs(eps["u"]) > 0.05  # a visible effect, not a trivial agreement
    np.testing.assert_allclose(a.counts, b.counts, rtol=1e-3)
    assert a.total == pytest.approx(b.total, rel=1e-4)


def test_universal_zprime_interferes_destructively_at_large_mass():
    """A small universal ε > 0 reduces |𝒬| (𝒬_SM ≈ −N/2 < 0)."""
    model = apply_parameters(PhysicsModel(), {"zprime_mass": 1e4, "zprime_coupling": 0.005})
    assert differential_cross_section(30.0, 0.005, CS133, "nu_mu", model) < sm_dsigma(30.0, 0.005, CS133)


def test_light_mediator_propagator_follows_q2():
    """At m ≪ q the Z′ shift of 𝒬 falls as 1/(q² + m²): compare two recoils."""
    model = apply_parameters(PhysicsModel(structure=POINT), {"zprime_mass": 1.0, "zprime_coupling": 1e-5})
    c = tree_level_couplings()
    for t in (1e-3, 1e-2):
        q2 = t * t + 2 * CS133.mass * t
        shift = 1e-10 * 3 / (math.sqrt(2) * u.G_FERMI * (q2 + 1.0))
        q = (c.proton["mu"] + shift) * CS133.Z + (c.neutron + shift) * CS133.N
        expected = u.G_FERMI**2 * CS133.mass / math.pi * q**2 * (1 - t / 30 - CS133.mass * t / 1800) * u.MEV2_TO_CM2
        assert differential_cross_section(30.0, t, CS133, "nu_mu", model) == pytest.approx(expected, rel=1e-12)


def test_lmu_ltau_loop_function_and_flavours():
    q2 = np.array([0.0, 50.0**2, 150.0**2])
    got = lmu_ltau_proton_shift("mu", 1e-3, 10.0, q2)
    for i, x in enumerate(q2):
        loop = integrate.quad(lambda y: y * (1 - y) * math.log((u.M_TAU**2 + y * (1 - y) * x) / (u.M_MUON**2 + y * (1 - y) * x)), 0, 1)[0]
        expected = 2 * u.ALPHA_EM * 1e-6 / (math.pi * math.sqrt(2) * u.G_FERMI) * loop / (x + 100.0)
        assert got[i] == pytest.approx(expected, rel=1e-9)
    # q² → 0: the textbook (α g²/(3√2 π G_F)) ln(m_τ²/m_μ²)/m², same sign as g_V^p for ν_μ
    closed = u.ALPHA_EM * 1e-6 / (3 * math.sqrt(2) * math.pi * u.G_FERMI) * math.log(u.M_TAU**2 / u.M_MUON**2) / 100.0
    assert got[0] == pytest.approx(closed, rel=1e-9)
    np.testing.assert_allclose(lmu_ltau_proton_shift("tau", 1e-3, 10.0, q2), -got, rtol=1e-15)
    assert not lmu_ltau_proton_shift("e", 1e-3, 10.0, q2).any()


def test_lmu_ltau_leaves_nu_e_alone(csi, sm_counts):
    counts = csi.binned({"zprime_model": "Lmu-Ltau", "zprime_mass": 20.0, "zprime_coupling": 1e-3})
    sm = dict(zip(csi.source_flavors, sm_counts.sum(axis=(0, 2))))
    assert counts.by_flavor()["nu_e"] == pytest.approx(sm["nu_e"], rel=1e-14)
    assert counts.by_flavor()["nu_mu"] != pytest.approx(sm["nu_mu"], rel=1e-3)


def test_scalar_mediator_closed_form():
    """dσ_φ/dT = g⁴ Q_φ² M² T /(4π E² (q² + m²)²) with Q_φ = 14 A + 1.1 Z (F = 1),
    added to the SM without interference."""
    g, mphi, e, t = 1e-5, 5.0, 30.0, 0.004
    model = apply_parameters(PhysicsModel(structure=POINT), {"scalar_mass": mphi, "scalar_coupling": g})
    m = CS133.mass
    q2 = t * t + 2 * m * t
    charge = g * (15.1 * CS133.Z + 14.0 * CS133.N)
    extra = g**2 * charge**2 * m**2 * t / (4 * math.pi * e**2 * (q2 + mphi**2) ** 2) * u.MEV2_TO_CM2
    sm = sm_dsigma(e, t, CS133, structure=POINT)
    assert differential_cross_section(e, t, CS133, "nu_mu", model) == pytest.approx(sm + extra, rel=1e-12)
    assert extra > 0.01 * sm


# --- electromagnetic properties -----------------------------------------------------
def test_magnetic_moment_closed_form_and_one_over_t():
    mu = 1e-8
    model = apply_parameters(PhysicsModel(structure=POINT), {"mu_nu_e": mu})
    e = 30.0
    t = np.geomspace(1e-5, 1e-2, 7)
    em = math.pi * u.ALPHA_EM**2 * mu**2 / u.M_ELECTRON**2 * CS133.Z**2 * (1 / t - 1 / e) * u.MEV2_TO_CM2
    sm = sm_dsigma(e, t, CS133, "nu_e", structure=POINT)
    np.testing.assert_allclose(differential_cross_section(e, t, CS133, "nu_e", model), sm + em, rtol=1e-12)
    # flavour specific, no interference: ν_μ untouched
    np.testing.assert_allclose(differential_cross_section(e, t, CS133, "nu_mu", model), sm_dsigma(e, t, CS133, "nu_mu", structure=POINT), rtol=1e-14)


def test_magnetic_moment_dominates_low_recoils_with_one_over_t_slope():
    """In the rate at the SNS: excess × T → constant as T → 0, and the EM term dominates."""
    src = pion_dar_source(1e15, 0.08, 19.3 * u.m)
    t_kev = np.geomspace(1e-4, 1e-2, 5)
    model = apply_parameters(PhysicsModel(), {"mu_nu_e": 3e-9})
    sm = differential_rate(t_kev, CS133, 1e25, src, LIVE)["nu_e"]
    em = differential_rate(t_kev, CS133, 1e25, src, LIVE, model=model)["nu_e"]
    excess = (em - sm) * t_kev
    assert em[0] > 10 * sm[0]
    np.testing.assert_allclose(excess / excess[0], 1.0, rtol=1e-3)  # 1/T slope (F ≈ 1 here)
    slope = np.diff(np.log(em - sm)) / np.diff(np.log(t_kev))
    np.testing.assert_allclose(slope, -1.0, atol=1e-3)


def test_charge_radius_equals_a_shift_of_sin2_theta_w(csi):
    """A flavour-universal ⟨r²⟩ shifts g_V^p by −(√2πα/3G_F)⟨r²⟩ = −2Δsin²θ_W."""
    r2 = 3.0
    shift = math.sqrt(2) * math.pi * u.ALPHA_EM / (3 * u.G_FERMI) * r2 * 1e-32 / u.HBARC_MEV_CM**2
    a = csi.binned({"r2_nu_e": r2, "r2_nu_mu": r2}).counts
    b = csi.binned({"sin2_theta_w": 0.23857 + shift / 2}).counts
    np.testing.assert_allclose(a, b, rtol=1e-12)


def test_millicharge_shift_scales_as_one_over_q2():
    qnu = 1e-9
    model = apply_parameters(PhysicsModel(structure=POINT), {"q_nu_mu": qnu})
    c = tree_level_couplings()
    e, t = 30.0, np.array([1e-3, 1e-2])
    q2 = t * t + 2 * CS133.mass * t
    gp = c.proton["mu"] + 2 * math.sqrt(2) * math.pi * u.ALPHA_EM / u.G_FERMI * qnu / q2
    q = gp * CS133.Z + c.neutron * CS133.N
    expected = u.G_FERMI**2 * CS133.mass / math.pi * q**2 * (1 - t / e - CS133.mass * t / (2 * e * e)) * u.MEV2_TO_CM2
    np.testing.assert_allclose(differential_cross_section(e, t, CS133, "nu_mu", model), expected, rtol=1e-12)


def test_total_cross_section_refuses_infinite_models():
    with pytest.raises(ValueError, match="diverges"):
        total_cross_section(30.0, CS133, "nu_e", apply_parameters(PhysicsModel(), {"mu_nu_e": 1e-10}))


# --- axial ----------------------------------------------------------------------------
def test_axial_term_only_for_odd_a_and_small():
    ge = load_experiment("reactor-ge-conus-like")
    pred = ge.predictor()
    sm, ax = pred.binned(), pred.binned({"axial": 1.0})
    per_sm, per_ax = sm.by_isotope(), ax.by_isotope()
    for name in ("70Ge", "72Ge", "74Ge", "76Ge"):
        assert per_ax[name] == pytest.approx(per_sm[name], rel=1e-14)
    gain = per_ax["73Ge"] / per_sm["73Ge"] - 1
    # larger than G_A²/𝒬² ≈ 3e-4 because near T_max the vector term vanishes and the
    # (spin-flip) axial term does not, and a reactor signal sits near T_max
    assert 3e-4 < gain < 1e-2


def test_axial_term_closed_form():
    """(G_F²M/π) G_A² F_A² (1 − T/E + MT/2E²) added to the vector term, same for ν̄."""
    ge73 = isotope("Ge", 73)
    model = apply_parameters(PhysicsModel(structure=POINT), {"axial": 1.0})
    g_a = axial_charge(ge73)
    m = ge73.mass
    for e, t in ((10.0, 1e-4), (30.0, 0.01), (50.0, 0.05)):
        extra = u.G_FERMI**2 * m / math.pi * g_a**2 * (1 - t / e + m * t / (2 * e * e)) * u.MEV2_TO_CM2
        sm = sm_dsigma(e, t, ge73, "nu_e", structure=POINT)
        for flavor in ("nu_e", "nu_mu_bar"):
            assert differential_cross_section(e, t, ge73, flavor, model) == pytest.approx(sm + extra, rel=1e-12)
    # at T → 0 the axial/vector ratio is G_A²/𝒬²: 2.8e-4 for ⁷³Ge
    q = tree_level_couplings().proton["e"] * ge73.Z - 0.5 * ge73.N
    assert g_a**2 / q**2 == pytest.approx(2.8e-4, rel=0.02)


def test_axial_charge_of_a_free_proton_like_nucleus():
    """J = ½ with ⟨S_p⟩ = ½ would give G_A = g_A/2 (the free-nucleon limit)."""
    from cevns.physics.interactions import NUCLEON_AXIAL_COUPLING

    assert axial_charge(isotope("F", 19)) == pytest.approx(NUCLEON_AXIAL_COUPLING * (0.478 + 0.002) * math.sqrt(1.5 / 1.5), rel=1e-12)
    with pytest.raises(ValueError, match="no spin expectation"):
        axial_charge(isotope("Cd", 111))


# --- sterile oscillation -----------------------------------------------------------------
def test_oscillated_moments_match_adaptive_quadrature():
    src = pion_dar_source(1.0, 1.0, 19.3 * u.m)
    spectrum = src.spectra["nu_e"]
    emin = np.array([5.0, 20.0, 40.0])
    for dm2 in (0.3, 2.0, 8.0):
        got = oscillated_tail_moments(spectrum, emin, dm2, 19.3 * u.m)
        for j, lo in enumerate(emin):
            for k in range(3):
                ref = integrate.quad(lambda x: spectrum.pdf(x) * averaged_sin2(x, dm2, 19.3 * u.m) * x**-k, lo, u.M_MUON / 2, limit=400)[0]
                assert got[k, j] == pytest.approx(ref, rel=2e-4, abs=1e-9 * lo**-k)


def test_fast_oscillation_averages_to_half_sin2_2theta():
    """Δm² → ∞: P_ee = 1 − ½ sin²2θ₁₄, for a reactor (continuous) and a πDAR line with
    a baseline spread."""
    reactor = load_experiment("reactor-ge-conus-like").predictor()
    ue4 = 0.1
    ratio = reactor.binned({"dm2_41": 1e5, "Ue4_sq": ue4}).total / reactor.binned().total
    assert ratio == pytest.approx(1 - 0.5 * 4 * ue4 * (1 - ue4), rel=2e-4)
    # slow limit: no effect
    assert reactor.binned({"dm2_41": 1e-8, "Ue4_sq": ue4}).total == pytest.approx(reactor.binned().total, rel=1e-9)
    sns = load_experiment("coherent-csi-2017", {"source.baseline_spread_m": 0.3}).predictor()
    fast = sns.binned({"dm2_41": 1e5, "Umu4_sq": 0.05}).by_flavor()
    sm = sns.binned().by_flavor()
    s22 = 4 * 0.05 * 0.95
    assert fast["nu_mu"] == pytest.approx(sm["nu_mu"] * (1 - s22 / 2), rel=2e-4)


def test_appearance_conserves_active_flux_without_sterile_loss():
    """ν_μ → ν_e appearance moves events between flavours; the total active flux loss is
    4|U_α4|²|U_s4|² ⟨sin²⟩ (unitarity of the 3+1 probabilities)."""
    st = SterileMixing(1.0, 0.02, 0.03, 0.0)
    c = st.transition_coefficients()
    us = 1 - 0.02 - 0.03
    for a, ua in (("e", 0.02), ("mu", 0.03)):
        loss = sum(c[(a, b)] for b in ("e", "mu", "tau"))
        assert loss == pytest.approx(4 * ua * us, rel=1e-12)


def test_sterile_parameter_forms_agree(csi):
    s22 = 0.2
    a = csi.binned({"dm2_41": 2.0, "sin2_2theta_14": s22}).total
    b = csi.binned({"dm2_41": 2.0, "Ue4_sq": mixing_from_sin2_2theta(s22)}).total
    assert a == pytest.approx(b, rel=1e-14)
    assert 4 * mixing_from_sin2_2theta(s22) * (1 - mixing_from_sin2_2theta(s22)) == pytest.approx(s22)


def test_line_oscillation_is_exact():
    line = LineSpectrum(29.8)
    got = oscillated_tail_moments(line, np.array([10.0]), 1.7, 2000.0)
    phase = 1.267 * 1.7 * 20.0 / 29.8  # the textbook 1.267 Δm²[eV²] L[m] / E[MeV]
    assert got[0, 0] == pytest.approx(math.sin(phase) ** 2, rel=2e-4)


# --- parameters -------------------------------------------------------------------------
def test_unknown_parameter_suggests_the_closest():
    with pytest.raises(ParameterError, match="did you mean 'eps_ee_uV'"):
        parameter("eps_ee_uv")
    with pytest.raises(ParameterError, match="did you mean 'mu_nu_e'"):
        parameter("mu_nue")
    with pytest.raises(ParameterError, match="not an isotope"):
        parameter("rn_foo")


@pytest.mark.parametrize(
    "values, message",
    [
        ({"zprime_mass": -1.0}, "zprime_mass must be >"),
        ({"scalar_mass": 0.0}, "scalar_mass must be >"),
        ({"Ue4_sq": 1.5}, "Ue4_sq must be ≤ 1"),
        ({"Ue4_sq": 0.6, "Umu4_sq": 0.6, "dm2_41": 1.0}, "sum to ≤ 1"),
        ({"rn": -4.8}, "rn must be >"),
        ({"mu_nu_mu": -1e-10}, "mu_nu_mu must be ≥"),
        ({"dm2_41": float("inf")}, "finite"),
        ({"zprime_model": "B+L"}, "zprime_model must be one of"),
        ({"sin2_2theta_14": 0.1, "Ue4_sq": 0.1}, "either"),
        ({"eps_ee_uV": "big"}, "must be a number"),
    ],
)
def test_out_of_domain_values_are_refused(values, message):
    with pytest.raises(ParameterError, match=message):
        apply_parameters(PhysicsModel(), values)


def test_radius_parameters(csi):
    base = csi.binned().total
    both = csi.binned({"rn": 5.5}).total
    each = csi.binned({"rn_133Cs": 5.5, "rn_127I": 5.5}).total
    assert both == pytest.approx(each, rel=1e-14)
    assert both < base  # a larger neutron radius suppresses the coherent rate
    with pytest.raises(ParameterError, match="not in the target"):
        csi.binned({"rn_40Ar": 3.4})


def test_radiative_scheme_takes_sin2_theta_w():
    rad = load_experiment("coherent-csi-2017", {"couplings.scheme": "radiative"}).predictor()
    a = rad.binned().total
    b = rad.binned({"sin2_theta_w": 0.23857}).total
    c = rad.binned({"sin2_theta_w": 0.25}).total
    assert a == pytest.approx(b, rel=1e-12)
    assert c > a


def test_flavor_axis_lists_the_flavours_that_arrive():
    pred = load_experiment("coherent-csi-2017").predictor()
    assert pred.binned().flavors == ("nu_e", "nu_mu", "nu_mu_bar")
    arrived = pred.binned({"dm2_41": 1.0, "Ue4_sq": 0.05, "Umu4_sq": 0.05}).flavors
    assert arrived == ("nu_e", "nu_mu", "nu_e_bar", "nu_mu_bar")
    assert set(arrived) <= set(FLAVORS)


def test_later_mixing_form_overrides_the_earlier_one():
    base = apply_parameters(PhysicsModel(), {"dm2_41": 1.0, "sin2_2theta_14": 0.2})
    later = apply_parameters(base, {"Ue4_sq": 0.01})
    assert later.sterile.ue4_sq == 0.01
    assert "sin2_2theta_14" not in later.parameters
