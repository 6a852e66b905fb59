"""Property-based tests (hypothesis): statements that must hold for every input in a
domain, not only at the points chosen by hand.

* Counts are finite and ≥ 0 over each parameter's whole accepted domain: the value is
  drawn inside the parameter's own domain (:class:`cevns.physics.parameters.Parameter`:
  ``low``/``high``/``open_low``/``choices``) and its arithmetic guard
  (:data:`cevns.physics.parameters.MAGNITUDE_GUARDS`), which together are what
  :func:`cevns.physics.parameters.check_value` accepts; a radius the form factor cannot
  take is refused with the project's own one-line error instead.
* N² scaling of point nuclei at sin²θ_W = ¼: with tree-level couplings g_V^p = ½ − 2 sin²θ_W
  = 0 exactly and g_V^n = −½, dσ/dT = (G_F² M/π)(N/2)²(1 − T/E − MT/(2E²)) (D. Z. Freedman,
  PRD 9, 1389 (1974); D. K. Papoulias & T. S. Kosmas, HNPS proceedings, arXiv:1711.09773,
  Eq. 1, with Q_W = N − (1 − 4 sin²θ_W) Z = N), computed here from the constants alone.
* Every model parameter at its "off" value gives the Standard Model bit for bit, whatever
  the companion parameters (masses, charges, model choice, Δm²).
* Continuity at ε → 0: NSI ε = 10⁻⁸ moves the counts by less than 10⁻⁶ relative, and the
  deviation from the SM of every continuous model parameter shrinks at least linearly as
  its value goes to 0.

Hypothesis settings are small (≤ 40 examples, no deadline) so the file runs in well under a
minute.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cevns.config.experiments import load_experiment
from cevns.errors import CevnsError
from cevns.physics.cross_sections import NuclearStructure, differential_cross_section, tree_level_couplings
from cevns.physics.form_factors import FormFactor
from cevns.physics.nuclei import isotope
from cevns.physics.parameters import PARAMETERS, Parameter, magnitude_guard
from cevns.units import G_FERMI, MEV2_TO_CM2

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

#: one pion-DAR experiment with a time window and one reactor experiment
EXPERIMENTS = ("coherent-csi-2017", "conus")
#: the per-isotope radii checked with the global ones
ISOTOPE_RADII = ("rn_133Cs", "rp_127I", "rn_74Ge")


@functools.cache
def _predictors() -> dict[str, Any]:
    """The rate predictor of each experiment (built once; plain functions rather than
    fixtures, so hypothesis never prints them)."""
    return {name: load_experiment(name).predictor() for name in EXPERIMENTS}


@functools.cache
def _sm() -> dict[str, np.ndarray]:
    return {name: p.binned().counts for name, p in _predictors().items()}


def _parameter(name: str) -> Parameter:
    from cevns.physics.parameters import parameter

    return parameter(name)


def accepted_values(name: str) -> st.SearchStrategy[Any]:
    """Every value ``check_value(name, ·)`` accepts: the parameter's domain cut by its
    arithmetic guard (both ends included unless the domain is open there)."""
    par = _parameter(name)
    if par.choices:
        return st.sampled_from(par.choices)
    guard = magnitude_guard(name)
    bound = guard[0] if guard is not None else math.inf
    low = -bound if par.low is None else max(par.low, -bound)
    high = bound if par.high is None else min(par.high, bound)
    assert math.isfinite(low) and math.isfinite(high), f"{name}: no finite domain to draw from"
    edges = [v for v in (low, high, 0.0, 1.0, -1.0) if low <= v <= high and not (par.open_low and v == low)]
    inside = st.floats(min_value=low, max_value=high, exclude_min=par.open_low, allow_nan=False, allow_infinity=False)
    return st.one_of(st.sampled_from(edges), inside) if edges else inside


NUMERIC = [n for n, p in PARAMETERS.items() if not p.choices]
ALL_NAMES = [*PARAMETERS, *ISOTOPE_RADII]


def _finite_nonnegative(counts: np.ndarray) -> None:
    assert np.all(np.isfinite(counts)), counts
    assert np.all(counts >= 0.0), counts


def _radius(name: str) -> bool:
    return name in ("rn", "rp") or name.startswith(("rn_", "rp_"))


@pytest.mark.parametrize("experiment", EXPERIMENTS)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_counts_finite_and_nonnegative_over_the_domain(experiment, name):
    predictor = _predictors()[experiment]
    if name.startswith(("rn_", "rp_")) and name.split("_", 1)[1] not in {i.name for i in load_experiment(experiment).target.isotopes}:
        pytest.skip(f"{name}: not an isotope of {experiment}")

    @SETTINGS
    @given(value=accepted_values(name))
    def check(value: Any) -> None:
        values: dict[str, Any] = {name: value}
        if name.startswith(("Ue4", "Umu4", "Utau4", "sin2_2theta")):
            values["dm2_41"] = 1.0  # an oscillation that acts at the baselines of both experiments
        try:
            counts = predictor.binned(values).counts
        except CevnsError as exc:
            # only a radius the form factor cannot take may be refused (one line)
            assert _radius(name) and "\n" not in str(exc), exc
            return
        _finite_nonnegative(counts)

    check()


@SETTINGS
@given(values=st.fixed_dictionaries({n: accepted_values(n) for n in NUMERIC
                                     if not _radius(n) and n not in ("sin2_2theta_14", "sin2_2theta_24")}))
def test_counts_finite_and_nonnegative_with_every_parameter_at_once(values):
    mixing = [values[n] for n in ("Ue4_sq", "Umu4_sq", "Utau4_sq")]
    if sum(mixing) > 1.0:  # the one joint constraint: Σ|U_α4|² ≤ 1 (unitarity)
        for n, u in zip(("Ue4_sq", "Umu4_sq", "Utau4_sq"), mixing):
            values[n] = u / sum(mixing) * (1.0 - 1e-12)
    for predictor in _predictors().values():
        _finite_nonnegative(predictor.binned(values).counts)


# --- N² scaling -----------------------------------------------------------------------------
POINT = NuclearStructure(FormFactor("none"), FormFactor("none"))
QUARTER = tree_level_couplings(0.25)
NUCLEI = [("H", 2), ("C", 12), ("Na", 23), ("Si", 28), ("Ar", 40), ("Ge", 70), ("Ge", 76), ("I", 127), ("Cs", 133),
          ("Xe", 132), ("W", 184), ("Pb", 208)]


def test_quarter_makes_the_proton_coupling_exactly_zero():
    assert all(g == 0.0 for g in QUARTER.proton.values()) and QUARTER.neutron == -0.5


@SETTINGS
@given(nucleus=st.sampled_from(NUCLEI), other=st.sampled_from(NUCLEI), energy=st.floats(1.0, 300.0),
       fraction=st.floats(0.0, 1.0), flavor=st.sampled_from(["nu_e", "nu_mu", "nu_tau", "nu_e_bar", "nu_mu_bar"]))
def test_point_nuclei_at_a_quarter_scale_as_n_squared(nucleus, other, energy, fraction, flavor):
    a, b = isotope(*nucleus), isotope(*other)

    def closed_form(iso: Any, recoil: float) -> float:
        m, n = iso.mass, iso.A - iso.Z
        kin = max(1.0 - recoil / energy - m * recoil / (2.0 * energy**2), 0.0)
        return G_FERMI**2 * m / math.pi * MEV2_TO_CM2 * (n / 2.0) ** 2 * kin

    t_max = 2 * energy**2 / (min(a.mass, b.mass) + 2 * energy)
    recoil = fraction * t_max
    got_a = float(differential_cross_section(energy, recoil, a, flavor, QUARTER, POINT))
    got_b = float(differential_cross_section(energy, recoil, b, flavor, QUARTER, POINT))
    for got, iso in ((got_a, a), (got_b, b)):
        assert got == pytest.approx(closed_form(iso, recoil), rel=1e-13, abs=0.0)
    # the ratio is N_a² M_a K_a / (N_b² M_b K_b): independent of Z
    if got_b > 0.0 and closed_form(a, recoil) > 0.0:
        expected = closed_form(a, recoil) / closed_form(b, recoil)
        assert got_a / got_b == pytest.approx(expected, rel=1e-13)


@SETTINGS
@given(energy=st.floats(5.0, 100.0), fraction=st.floats(0.0, 0.99))
def test_point_nuclei_at_a_quarter_isotopes_of_one_element(energy, fraction):
    """Same Z, different N (70Ge … 76Ge): dσ/dT/(M K) ∝ N² exactly."""
    germanium = [isotope("Ge", a) for a in (70, 72, 73, 74, 76)]
    per_n2 = []
    for iso in germanium:
        recoil = fraction * 2 * energy**2 / (iso.mass + 2 * energy)
        kin = 1.0 - recoil / energy - iso.mass * recoil / (2.0 * energy**2)
        sigma = float(differential_cross_section(energy, recoil, iso, "nu_mu", QUARTER, POINT))
        per_n2.append(sigma / (iso.mass * kin * (iso.A - iso.Z) ** 2))
    assert np.allclose(per_n2, per_n2[0], rtol=1e-13, atol=0.0)


# --- every model parameter off is the SM ------------------------------------------------------
def _off_values() -> dict[str, Any]:
    """Each model parameter at its default ("off") value (the SM inputs sin²θ_W and the
    radii have no default: the experiment sets them)."""
    return {n: p.default for n, p in PARAMETERS.items() if p.default is not None}


@pytest.mark.parametrize("experiment", EXPERIMENTS)
@pytest.mark.parametrize("name", [n for n in _off_values()])
def test_each_parameter_at_its_off_value_is_the_sm(experiment, name):
    counts = _predictors()[experiment].binned({name: _off_values()[name]}).counts
    np.testing.assert_array_equal(counts, _sm()[experiment])


@SETTINGS
@given(zprime_mass=accepted_values("zprime_mass"), scalar_mass=accepted_values("scalar_mass"),
       dm2_41=accepted_values("dm2_41"), zprime_model=accepted_values("zprime_model"),
       charges=st.tuples(*(accepted_values(f"zprime_charge_{q}") for q in ("nu", "u", "d"))))
def test_zero_couplings_are_the_sm_whatever_the_companions(zprime_mass, scalar_mass, dm2_41, zprime_model, charges):
    """Couplings, moments, charges, radii and mixings at 0, with masses, charges, Δm² and the
    Z′ model drawn over their whole domains: bit for bit the SM."""
    values: dict[str, Any] = _off_values()
    values.update(zprime_mass=zprime_mass, scalar_mass=scalar_mass, dm2_41=dm2_41, zprime_model=zprime_model,
                  zprime_charge_nu=charges[0], zprime_charge_u=charges[1], zprime_charge_d=charges[2])
    for name, predictor in _predictors().items():
        np.testing.assert_array_equal(predictor.binned(values).counts, _sm()[name])


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_electron_nsi_leaves_cevns_unchanged(experiment):
    """NSI with electrons act on ν e scattering only: every CEvNS count is bit-identical."""
    assert len(ELECTRON_NSI) == 12
    counts = _predictors()[experiment].binned({name: 0.3 for name in ELECTRON_NSI}).counts
    np.testing.assert_array_equal(counts, _sm()[experiment])


# --- continuity at 0 -------------------------------------------------------------------------
#: the NSI with quarks (``eps_<pair>_{u,d}V``); the electron NSI (``eps_<pair>_e{V,A}``) leave CEvNS
#: unchanged (tested in test_electron_nsi_leaves_cevns_unchanged)
NSI = [n for n in PARAMETERS if n.startswith("eps_") and n.endswith(("uV", "dV"))]
ELECTRON_NSI = [n for n in PARAMETERS if n.startswith("eps_") and n.endswith(("eV", "eA"))]


@SETTINGS
@given(name=st.sampled_from(NSI), sign=st.sampled_from([1.0, -1.0]), experiment=st.sampled_from(EXPERIMENTS))
def test_nsi_of_1e_minus_8_is_within_1e_minus_6_of_the_sm(name, sign, experiment):
    counts = _predictors()[experiment].binned({name: sign * 1e-8}).counts
    np.testing.assert_allclose(counts, _sm()[experiment], rtol=1e-6, atol=0.0)


#: continuous model parameters whose SM value is 0, with a value x₀ where the effect is small
#: but well above rounding (the deviation at x₀/100 must be ≤ 1/50 of that at x₀: at least
#: linear shrinking towards the SM)
SMALL = {**{n: 1e-4 for n in NSI}, "mu_nu_e": 1e-9, "mu_nu_mu": 1e-9, "r2_nu_e": 1e-2, "r2_nu_mu": 1e-2,
         "q_nu_e": 1e-10, "q_nu_mu": 1e-10, "zprime_coupling": 1e-5, "scalar_coupling": 1e-5, "Ue4_sq": 1e-4, "Umu4_sq": 1e-4,
         "axial": 1e-3}


def test_the_small_values_cover_every_continuous_model_parameter():
    continuous = {n for n, p in PARAMETERS.items()
                  if p.default == 0.0 and not p.choices and n not in ("dm2_41",) and not n.endswith("_tau") and "tau" not in n
                  and n not in ELECTRON_NSI}
    assert continuous <= set(SMALL), sorted(continuous - set(SMALL))


#: the lepton flavours of the neutrinos of each experiment (pion DAR: ν_μ, ν_e, ν̄_μ; reactor: ν̄_e)
FLAVOURS = {"coherent-csi-2017": {"e", "mu"}, "conus": {"e"}}


def _acts_on(name: str, experiment: str) -> bool:
    """Whether parameter ``name`` touches a neutrino of ``experiment`` (NSI ε_αβ: α or β
    among its flavours; a moment, radius or charge of ν_α and |U_α4|²: α among them)."""
    leptons = FLAVOURS[experiment]
    if name.startswith("eps_"):
        pair = name.split("_")[1]
        return any(pair.startswith(a) or pair.endswith(a) for a in leptons)
    for alpha in ("e", "mu", "tau"):
        if name.endswith(f"_nu_{alpha}") or name == f"U{alpha}4_sq":
            return alpha in leptons
    return True


CONTINUITY_CASES = [(n, e) for n in sorted(SMALL) for e in EXPERIMENTS if _acts_on(n, e)]


def test_acts_on():
    assert _acts_on("eps_etau_uV", "conus") and not _acts_on("eps_mutau_uV", "conus")
    assert not _acts_on("eps_tautau_dV", "coherent-csi-2017") and _acts_on("Ue4_sq", "conus")
    assert not _acts_on("mu_nu_mu", "conus") and _acts_on("axial", "conus")


@pytest.mark.parametrize("sign", [1.0, -1.0])
@pytest.mark.parametrize("name, experiment", CONTINUITY_CASES)
def test_deviation_from_the_sm_shrinks_at_least_linearly(name, experiment, sign):
    par = _parameter(name)
    x0 = SMALL[name]
    if par.low is not None and par.low >= 0:  # a one-sided domain: approach 0 from above
        sign = 1.0
    extra: dict[str, Any] = {"dm2_41": 1.0} if name.endswith("4_sq") else {}
    reference = _predictors()[experiment].binned(extra).counts if extra else _sm()[experiment]
    dev = [float(np.abs(_predictors()[experiment].binned({name: sign * x, **extra}).counts - reference).sum()) for x in (x0, x0 / 100)]
    assert dev[0] > 0.0, f"{name} = {sign * x0:g} does not move {experiment}'s counts"
    assert dev[1] <= dev[0] / 50.0 + 1e-12 * float(reference.sum()), (name, dev)
