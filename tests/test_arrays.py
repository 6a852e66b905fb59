"""Detector arrays with correlated systematics (Galindo-Uribarri, Miranda, Sanchez Garcia,
arXiv:2011.10230): the array χ² against the single-experiment pull χ² and closed
forms, N² scaling across the Ge isotopes, Asimov fits, the effect of correlations, member
marginalisation, the paper's qualitative statements, and bad array files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cevns.stats.array_files import ArrayError, is_array, load_array, load_likelihood, shipped_arrays
from cevns.stats.arrays import ArrayLikelihood, detector_array
from cevns.config.experiments import load_experiment
from cevns.stats.fits import ExperimentLikelihood, Measurement, fit, profile
from cevns.physics.parameters import ParameterError

SM = 0.23857  # sin²θ_W of the shipped member experiments


@pytest.fixture(scope="module")
def sns() -> ArrayLikelihood:
    return load_array("ge-array-sns").likelihood(asimov=True)


@pytest.fixture(scope="module")
def reactor() -> ArrayLikelihood:
    return load_array("ge-array-reactor").likelihood(asimov=True)


def _one_line(exc: pytest.ExceptionInfo) -> str:
    text = str(exc.value)
    assert "\n" not in text and text
    return text


# --- the χ² against independent forms -----------------------------------------------------------
def test_one_member_one_source_equals_the_pull_chi2():
    """One detector, one normalisation source f, background fraction f_bg: the covariance χ²
    with σ = f N_th (reference "theory") is the pull χ² of Papoulias & Kosmas Eq. 6 with
    σ_α = f and σ²_stat = N_obs + 2 B_ss where B_ss = f_bg N_obs / 2 (same numbers)."""
    exp = load_experiment("ge-isotope-sns", {"target.material": "72Ge"})
    n_obs, f, f_bg = 412.0, 0.2, 0.1
    array = detector_array([exp], {"A": f}, observed=[n_obs], background_fraction=f_bg, reference="theory")
    assert array.labels == ("72Ge",)
    lk = array.likelihood()
    pull = ExperimentLikelihood(exp.predictor(), Measurement(np.array([n_obs]), np.zeros(1), np.array([f_bg * n_obs / 2]), f, 0.0))
    for s2 in (0.20, SM, 0.27):
        assert lk.chi2({"sin2_theta_w": s2}) == pytest.approx(pull.chi2({"sin2_theta_w": s2}), rel=1e-12)
    # the default σ = f N_exp: r² / ((1 + f_bg) N_exp + f² N_exp²)
    expected_ref = detector_array([exp], {"A": f}, observed=[n_obs], background_fraction=f_bg).likelihood()
    n_th = exp.predictor().binned({"sin2_theta_w": 0.22}).total
    direct = (n_th - n_obs) ** 2 / ((1 + f_bg) * n_obs + (f * n_obs) ** 2)
    assert expected_ref.chi2({"sin2_theta_w": 0.22}) == pytest.approx(direct, rel=1e-12)


def test_without_systematics_the_chi2_is_a_sum_of_squares_per_bin():
    bins = [5.0, 10.0, 20.0, 30.0]
    array = load_array("ge-array-sns", {"systematics.sources": {}, "detector.bins.edges": bins})
    lk = array.likelihood({"sin2_theta_w": 0.23}, asimov=True)  # data: the prediction at 0.23
    assert lk.observed.shape == (9,)
    theory = np.concatenate([m.predictor.binned({"sin2_theta_w": 0.25}).per_bin for m in array.members])
    data = np.concatenate([m.predictor.binned({"sin2_theta_w": 0.23}).per_bin for m in array.members])
    direct = np.sum((data - theory) ** 2 / (1.1 * data))  # σ² = N + 10% background (Galindo-Uribarri et al., Sec. II)
    assert lk.chi2({"sin2_theta_w": 0.25}) == pytest.approx(direct, rel=1e-12)
    np.testing.assert_allclose(lk.covariance(), np.diag(1.1 * data), rtol=1e-15)


def test_common_normalisation_shift_closed_forms(sns):
    """Data = (1 + δ) × prediction on every member, one source f on all: by Woodbury the
    correlated χ² is δ² a / (1 + f² a), a = Σ N_i/(1 + f_bg); uncorrelated it is
    Σ δ² N_i / (1 + f_bg + f² N_i) (σ_i = f N_exp,i)."""
    delta, f = 0.07, 0.2
    n = sns.signal()
    obs = (1 + delta) * n
    array = detector_array([m.predictor for m in sns.array.members], {"A": f}, observed=list(obs), background_fraction=0.1)
    assert array.labels == ("member 1", "member 2", "member 3")
    lk = array.likelihood()
    a = np.sum(obs / 1.1)  # r = N_th − N_exp = −δ/(1 + δ) N_exp, along the systematic direction
    assert lk.chi2() == pytest.approx(delta**2 / (1 + delta) ** 2 * a / (1 + f**2 * a), rel=1e-12)
    unc = lk.uncorrelated()
    assert unc.chi2() == pytest.approx(np.sum((delta * n) ** 2 / (1.1 * obs + f**2 * obs**2)), rel=1e-12)
    # the uncorrelated covariance is the block diagonal of the correlated one
    cov, cov_u = lk.covariance(), unc.covariance()
    np.testing.assert_array_equal(np.diag(cov), np.diag(cov_u))
    off = ~np.eye(3, dtype=bool)
    assert np.all(cov[off] > 0) and np.all(cov_u[off] == 0)


# --- physics of the shipped arrays --------------------------------------------------------------
def test_counts_per_nucleus_scale_as_n_squared():
    """Point nuclei, g_V^p = 0 (sin²θ_W = 1/4) and the whole recoil range: counts per nucleus
    ∝ N² (Galindo-Uribarri et al., Eq. 7 first term) up to the O(E/M) kinematic terms of the exact
    cross section (E/M ≲ 8e-4 for Ge at the SNS; measured 1e-4): tolerance 3e-4. With Helm
    form factors in the paper's 5–30 keVnr window the ⁷⁶Ge/⁷⁰Ge ratio drops by the form
    factor: −1.5 %, within a 2.5 % tolerance; with the SM g_V^p it follows Q_W² instead."""
    n = np.array([38, 40, 44])

    def per_nucleus(overrides):
        array = load_array("ge-array-sns", overrides)
        out = np.array([m.predictor.binned().total / (m.experiment.target.nuclei_per_kg()[m.label] * m.experiment.mass_kg)
                        for m in array.members])
        return out / out[0]

    point = {"nuclear.form_factor": "none", "detector.bins.edges": [0.0, 100.0]}
    np.testing.assert_allclose(per_nucleus({**point, "couplings.sin2_theta_w": 0.25}), (n / 38) ** 2, rtol=3e-4)
    q = n / 2 - 32 * (0.5 - 2 * SM)  # |Q_W| = N g_V^n + Z g_V^p with g_V^n = −1/2 (magnitude)
    np.testing.assert_allclose(per_nucleus(point), (q / q[0]) ** 2, rtol=3e-4)
    helm = per_nucleus({"couplings.sin2_theta_w": 0.25})
    np.testing.assert_allclose(helm, (n / 38) ** 2, rtol=0.025)
    assert helm[2] < (44 / 38) ** 2  # the heavier nucleus loses more to its form factor


def test_reactor_member_flux_is_1e13():
    """Galindo-Uribarri et al., arXiv:2011.10230, Sec. II: "a neutrino flux of 1 × 10¹³ ν/cm²/s"."""
    array = load_array("ge-array-reactor")
    for m in array.members:
        assert m.predictor.source.flux_cm2_s["nu_e_bar"] == pytest.approx(1e13, rel=1e-4)


def test_reactor_isotope_ordering_flips_with_the_recoil_window():
    """Galindo-Uribarri et al., arXiv:2011.10230, Figs. 1 and 3: at low recoil the heavier ⁷⁶Ge counts most, in 1–2 keV the
    lighter ⁷⁰Ge does (the mass in T_max = 2E²/(M + 2E)); 0.7–1.0 keV lies near the crossing."""
    def counts(edges):
        return load_array("ge-array-reactor", {"detector.bins.edges": edges}).likelihood(asimov=True).observed

    low, mid, high = counts([0.4, 0.8]), counts([0.7, 1.0]), counts([1.0, 2.0])
    assert low[0] < low[1] < low[2] and high[0] > high[1] > high[2]
    assert np.ptp(mid) / mid.mean() < 0.5 * min(np.ptp(low) / low.mean(), np.ptp(high) / high.mean())


def test_asimov_fit_of_sin2_theta_w_returns_the_truth(sns):
    truth = 0.2312
    lk = sns.array.likelihood({"sin2_theta_w": truth}, asimov=True)
    best = fit(lk.with_fixed({}), {"sin2_theta_w": 0.20})
    assert best.valid and best.chi2_min < 1e-6
    assert best.values["sin2_theta_w"] == pytest.approx(truth, abs=0.01 * best.errors["sin2_theta_w"])
    assert best.errors["sin2_theta_w"] > 0


def test_correlations_hurt_a_common_shift_and_help_a_differential_one(sns):
    """sin²θ_W moves every member alike (Z is common): a correlated normalisation can absorb
    it, so the correlated Δχ² is smaller. The neutron radius of ⁷⁶Ge moves one member only:
    correlated systematics cancel in the comparison with the others, so Δχ² is larger —
    the paper's Fig. 4 (R_n), where correlations sharpen the regions."""
    unc = sns.uncorrelated()
    common = {"sin2_theta_w": SM + 0.03}
    assert sns.chi2(common) < unc.chi2(common)
    member = sns.array.members[2]
    r76 = member.experiment.structure.radii_fm(member.predictor.nodes[0].isotope)[1]
    one = {"rn_76Ge": r76 + 0.3}
    assert sns.chi2(one) > 2 * unc.chi2(one)


def test_correlations_break_the_nsi_degeneracy(reactor):
    """Galindo-Uribarri et al., arXiv:2011.10230, Sec. IV and Fig. 5: with ε^{dV}_{ee} the weak charge can flip sign, giving a
    second minimum near ε ≈ (N − 2Z g_V^p)/(Z + 2N) ≈ 0.34 whose place differs per isotope.
    Without correlations it is allowed at 90 % CL (Δχ² < 2.71, 1 dof); with them it is
    excluded at more than 3σ (Δχ² > 9). sin²θ_W fixed: a 1-D cut through their Fig. 5."""
    grid = np.linspace(0.2, 0.45, 51)
    corr = min(reactor.chi2({"eps_ee_dV": e}) for e in grid)
    unc = min(reactor.uncorrelated().chi2({"eps_ee_dV": e}) for e in grid)
    assert unc < 2.71  # allowed at 90 % CL
    assert corr > 9.0  # excluded at 3σ
    # with sin²θ_W free too, one point stays exact for any array of one element (common Z):
    # ε = 1/2 and g_V^p → −g_V^p − 1/2 flip the weak charge of every isotope, Q_W → −Q_W
    flipped = {"sin2_theta_w": (1.0 + (0.5 - 2 * SM)) / 2, "eps_ee_dV": 0.5}
    np.testing.assert_allclose(reactor.signal(flipped), reactor.observed, rtol=1e-12)


def test_marginalising_a_member_equals_removing_it_and_profiling_its_prediction(sns):
    """Schur complement: dropping a member's rows and columns equals the smaller array, and
    equals the full χ² minimised over a parameter that moves only that member (rn_70Ge);
    tolerance 1e-3 in χ², above MIGRAD's convergence criterion (EDM < 2e-4)."""
    smaller = sns.array.without("70Ge").likelihood(asimov=True)
    marg = sns.without("70Ge")
    assert marg.kept == (1, 2) and marg.signal().shape == (2,)
    for s2 in (0.22, 0.25, 0.28):
        point = {"sin2_theta_w": s2}
        assert marg.chi2(point) == pytest.approx(smaller.chi2(point), rel=1e-12)
        profiled = fit(sns.with_fixed(point), {"rn_70Ge": 4.0}).chi2_min
        assert profiled == pytest.approx(marg.chi2(point), abs=1e-3)
        assert sns.chi2(point) > marg.chi2(point)
    with pytest.raises(ValueError):
        marg.without(1, 2)


def test_radius_parameters_go_to_their_member_only(sns):
    base = sns.array.signal()
    moved = sns.array.signal({"rn_76Ge": 5.0})
    assert moved[0] == base[0] and moved[1] == base[1] and moved[2] < base[2]
    with pytest.raises(ParameterError) as exc:
        sns.chi2({"rn_133Cs": 5.0})
    assert "no member" in _one_line(exc)


def test_profile_works_on_an_array(sns):
    best = fit(sns, {"sin2_theta_w": 0.22, "rn_76Ge": 4.0})
    prof = profile(sns, "sin2_theta_w", np.linspace(SM - 0.05, SM + 0.05, 5), best)
    assert np.all(prof.delta_chi2 >= -1e-6)
    low, high = prof.intervals()["1sigma"][0]
    assert low < SM < high


# --- files --------------------------------------------------------------------------------------
def test_shipped_arrays_and_load_likelihood(tmp_path):
    assert sorted(shipped_arrays()) == ["ge-array-reactor", "ge-array-sns"]
    assert is_array("ge-array-sns") and not is_array("coherent-csi-2017")
    single = load_likelihood("coherent-csi-2017", fixed={"sin2_theta_w": 0.24})
    assert isinstance(single, ExperimentLikelihood) and single.fixed == {"sin2_theta_w": 0.24}
    arr = load_likelihood("ge-array-sns", ["systematics.correlated=false", "detector.mass_kg=20"], asimov=True)
    assert isinstance(arr, ArrayLikelihood) and not arr.array.correlated
    config = json.loads(json.dumps(arr.array.describe()))
    assert config["members"][2]["experiment"]["detector"]["mass_kg"] == 20 and config["correlated"] is False
    np.testing.assert_allclose(arr.observed, 2 * load_array("ge-array-sns").likelihood(asimov=True).observed, rtol=1e-12)
    # a user's array file with a member file beside it and observed counts
    (tmp_path / "det.toml").write_text(_sns_member_text())
    (tmp_path / "mine.toml").write_text(
        'name = "mine"\n[[member]]\nexperiment = "det.toml"\nset = { "target.material" = "70Ge" }\n'
        '[[member]]\nexperiment = "det.toml"\nlabel = "heavy"\n'
        '[systematics]\nbackground_fraction = 0.1\n[systematics.sources]\nqf = 0.1\n'
        '[data]\nobserved = [350.0, 430.0]\nnote = "made-up counts"\n'
    )
    lk = load_likelihood(str(tmp_path / "mine.toml"))
    assert isinstance(lk, ArrayLikelihood) and lk.array.labels == ("70Ge", "heavy") and lk.label == "made-up counts"
    np.testing.assert_array_equal(lk.observed, [350.0, 430.0])
    assert lk.chi2() > 0
    assert isinstance(load_likelihood(str(tmp_path / "det.toml"), asimov=True), ExperimentLikelihood)


def _sns_member_text() -> str:
    from importlib import resources

    return (resources.files("cevns") / "data" / "experiments" / "ge-isotope-sns.toml").read_text()


ARRAY = """name = "bad"
[[member]]
experiment = "ge-isotope-sns"
set = { "target.material" = "70Ge" }
[[member]]
experiment = "ge-isotope-sns"
[systematics]
background_fraction = 0.1
[systematics.sources]
qf = [0.25, 0.25]
"""


@pytest.mark.parametrize(
    "old, new, fragment",
    [
        ('name = "bad"', 'name = "bad"\ncolour = "red"', "unknown field 'colour'"),
        ("background_fraction = 0.1", "background_fraction = 0.1\ncorrelation = true", "unknown field 'systematics.correlation'"),
        ("qf = [0.25, 0.25]", "qf = [0.25, 0.25, 0.1]", "systematics.sources.qf has 3 values for 2 members"),
        ("qf = [0.25, 0.25]", "qf = [0.25, -0.1]", "systematics.sources.qf"),
        ("qf = [0.25, 0.25]", "qf = [0.25, 0.25]\n[data]\nobserved = [3.0]", "data.observed has 1 entries for 2 members"),
        ("background_fraction = 0.1", "background_fraction = -0.1", "systematics.background_fraction"),
        ('set = { "target.material" = "70Ge" }', "", "member labels must be unique"),
        ('experiment = "ge-isotope-sns"\n[systematics]', 'experiment = "no-such"\n[systematics]', "member 2 (no-such)"),
        ('set = { "target.material" = "70Ge" }', 'set = { "detector.mass" = 3 }', "member 1"),
        ('experiment = "ge-isotope-sns"\n[systematics]', 'label = "x"\n[systematics]', "missing field 'member[1].experiment'"),
        ("qf = [0.25, 0.25]", "qf = [0.25, 0.25]\n[data]\nobserved = [3.0, [1.0, 2.0]]", "one observed total or one value per bin"),
    ],
)
def test_bad_array_files_give_one_line(tmp_path, old, new, fragment):
    assert ARRAY.count(old) == 1
    path = tmp_path / "bad.toml"
    path.write_text(ARRAY.replace(old, new))
    with pytest.raises(ArrayError) as exc:
        load_array(str(path))
    text = _one_line(exc)
    assert fragment in text and str(path) in text


def test_array_errors_for_names_data_and_overrides(tmp_path):
    with pytest.raises(ArrayError) as exc:
        load_array("no-such-array")
    assert "ge-array-sns" in _one_line(exc)
    with pytest.raises(ValueError) as exc:
        load_array("ge-array-sns").likelihood()
    assert "Asimov" in _one_line(exc)
    with pytest.raises(ArrayError) as exc:
        load_array("ge-array-sns", {"detector.mas_kg": 3})
    assert "detector.mas_kg" in _one_line(exc)
    with pytest.raises(ValueError) as exc:  # a window above the kinematic end: no counts, no variance
        load_array("ge-array-sns", {"detector.bins.edges": [100.0, 200.0]}).likelihood(asimov=True)
    assert "> 0" in _one_line(exc)


def test_cli_fit_and_scan_take_an_array(tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path / ".mpl"))

    def run(*args):
        return subprocess.run([sys.executable, "-m", "cevns.cli", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)

    fit = run("fit", "ge-array-sns", "--free", "sin2_theta_w", "--asimov", "--json", "--points", "21")
    assert fit.returncode == 0, fit.stderr
    out = json.loads(fit.stdout)
    assert out["best_fit"]["sin2_theta_w"] == pytest.approx(0.23857, abs=1e-4) and out["statistic"] == "covariance-chi2"
    scan = run("scan", "ge-array-sns", "--asimov", "--param", "sin2_theta_w=0.15:0.35:11", "--out", "s.npz", "--json")
    assert scan.returncode == 0, scan.stderr
    (lo, hi), = json.loads(scan.stdout)["allowed"]["sin2_theta_w"]["1sigma"]
    (flo, fhi), = out["intervals"]["sin2_theta_w"]["1sigma"]
    assert lo == pytest.approx(flo, abs=0.01) and hi == pytest.approx(fhi, abs=0.01)  # 11-point grid vs exact profile
    no_data = run("fit", "ge-array-sns", "--free", "sin2_theta_w")
    assert no_data.returncode == 2 and "--asimov" in no_data.stderr.splitlines()[-1]
    assert "ge-array-sns" in run("experiments").stdout
