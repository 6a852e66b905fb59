"""The shipped reactor and germanium CEvNS data sets (issue 17): each file's SM prediction
against the collaboration's (the inputs that close the gap are stated), and the published
result (strength, significance or limit) reproduced by its counting likelihood with a
stated tolerance; the combinations reactor-ge, coherent-sns-ge and global; one-line
errors for a shared nuisance that a member cannot carry."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from scipy.stats import norm

from cevns.reproduce.reactor_germanium_analysis import DATA_SETS, data_set_result
from tests.cli_run import one_error_line, run_cli

RELEASES = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "coherent-data-releases"


@pytest.fixture(scope="module")
def releases() -> Path:
    if not RELEASES.is_dir():
        pytest.skip("../shared/reference-data/coherent-data-releases is not available")
    return RELEASES


@pytest.fixture(scope="module")
def results():
    return {name: data_set_result(name) for name in DATA_SETS}


def test_conus_plus_prediction_and_result(results):
    r = results["conus-plus-2025"]
    # Our SM count 368.7 vs CONUS+'s 347 +- 59: +6%, well inside their 17%. What closes it:
    # the 160-180 eVee per-diode thresholds (one 0.16 keVee threshold here; 0.17 gives 285).
    assert r.predicted == pytest.approx(368.73, rel=2e-3)
    assert 1.0 < r.predicted / 347.0 < 1.10
    # Significance 3.7 sigma (Nature): (395/106) = 3.73 exactly in the counting bin.
    assert r.fit.z == pytest.approx(3.7, abs=0.05)
    # Strength 395/347 = 1.14 +- 0.31 published; ours 395/368.7 = 1.07 (the 6% prediction gap).
    assert r.fit.mu == pytest.approx(395.0 / 347.0, abs=0.1)
    assert r.fit.high - r.fit.mu == pytest.approx(106.0 / 347.0, rel=0.25)


def test_dresden_ii_significance_and_60_percent(results):
    r = results["dresden-ii-2022"]
    assert r.predicted == pytest.approx(380.13, rel=2e-3)   # the count its [data] was encoded with
    assert r.fit.mu == pytest.approx(1.0, abs=1e-3)
    assert norm.sf(r.fit.z) == pytest.approx(1.2e-3, rel=0.02)   # PRL: p < 1.2e-3
    # "Deviations of order 60% from the SM can be excluded": beyond Delta chi2 = 2.71 (90%).
    from cevns.config.experiments import load_experiment
    from cevns.reproduce.reactor_germanium_analysis import strength_chi2
    from cevns.stats.fits import ExperimentLikelihood

    exp = load_experiment("dresden-ii-2022")
    chi2 = strength_chi2(ExperimentLikelihood(exp.predictor(), exp.measurement()), 1.0)
    assert chi2(1.6) > 2.71 and chi2(0.4) > 2.71


def test_dresden_ii_flux_gap_is_below_the_ge_threshold():
    """The project's reactor flux at Dresden-II (3.3e13) is below the quoted 4.8e13; the
    difference lies below 2 MeV, where the largest Ge recoil (2 E^2/M ~ 0.13 keVnr at 2 MeV)
    is quenched to ~0.02 keVee, far under the 0.2 keVee threshold: the counts do not change
    when neutrinos below 2 MeV are dropped from the recoil range."""
    from cevns import units as u
    from cevns.physics.kinematics import recoil_max
    from cevns.physics.nuclei import natural_isotopes

    tmax = max(float(recoil_max(2.0, iso.mass)) / u.keV for iso in natural_isotopes("Ge"))
    assert 0.1 < tmax < 0.15   # keVnr; Lindhard k = 0.157 gives < 0.025 keVee there


def test_conus_limit(results):
    r = results["conus-2024"]
    # Our SM rate with one 0.21 keVee threshold and 0.02 keVee noise: 0.48 /kg/d, above the
    # 0.34 /kg/d limit; CONUS's own SM rate is about half the limit ("within a factor 2").
    # Raising the threshold to 0.245 keVee (their per-diode thresholds and trigger efficiency)
    # closes the gap: about 0.2 /kg/d.
    assert r.predicted / 300.0 == pytest.approx(0.482, rel=0.01)
    high = data_set_result("conus-2024", {"detector.bins.edges": [0.245, 1.0]})
    assert 0.17 < high.predicted / 300.0 < 0.23
    # The limit in SM units: 2.0 (90% CL); the explicit 12% signal uncertainty widens it by 2%.
    assert r.fit.mu == 0.0
    assert r.fit.limit90 == pytest.approx(2.0, rel=0.03)


def test_texono_limit(results):
    r = results["texono-2024"]
    assert r.predicted == pytest.approx(47.39, rel=2e-3)   # the count its [data] was encoded with
    assert r.fit.limit90 == pytest.approx(4.7, rel=0.03)   # R < 4.7 (90% CL), Academia Sinica release


def test_coherent_ge_mini(results):
    r = results["coherent-ge-mini-2024"]
    # Our SM count 36.4 (Lindhard k = 0.157, 1.5 keVee, 10.22 GWh kg); the excess 20.6 is
    # 0.57 of it, 2.2 sigma low (the PRL: "agrees with the SM within 2 sigma" with its fuller
    # likelihood).
    assert 30.0 < r.predicted < 42.0
    assert r.fit.mu == pytest.approx(20.6 / r.predicted, rel=1e-3)
    # One counting bin gives 20.6/6.7 = 3.07 sigma; the PRL's 3.9 sigma uses the energy and
    # time shapes, which a single bin cannot: the counting bin must stay below it.
    assert 2.9 < r.fit.z < 3.9


def test_coherent_ge_2026(results):
    """A CALIBRATION CHECK, not an independent prediction: the file's mass_kg = 16.76 (mass x
    acceptance) was solved for so that its SM count equals the published SM expectation
    124/1.00; this guards that the calibration still holds (and the strength encoding)."""
    r = results["coherent-ge-2026"]
    assert r.predicted == pytest.approx(124.0, rel=5e-3)   # calibrated mass x acceptance
    assert r.fit.mu == pytest.approx(1.00, abs=0.01)
    assert (r.fit.high - r.fit.low) / 2 == pytest.approx(math.hypot(0.10, 0.10), rel=0.1)


def test_coherent_ge_2026_against_the_ge_mini_2024_exposure(results):
    """Independent of the calibration: the 2026 file's per-exposure SM rate (its calibrated
    count over its mass x beam energy, 4.68e22 POT = 2.0755 GWh at 2.2549e22 POT/GWh) scaled
    to Ge-Mini 2024's published 10.22 GWh kg gives the count that the uncalibrated 2024 file
    predicts from the published exposure alone (same physics, no fitted number), 36.4 events;
    the 2024 excess 20.6 +7.1 -6.3 then lies 2.4 sigma below it (the PRL: SM agreement within
    2 sigma with its energy and timing likelihood, which one bin cannot use: within 3 sigma
    here). The calibrated mass x acceptance 16.76 kg is 0.93 of the detectors' ~18 kg (as
    recalled, unverified): an acceptance, not a mass that would need new physics."""
    from cevns.config.experiments import load_experiment

    r26, r24 = results["coherent-ge-2026"], results["coherent-ge-mini-2024"]
    spec = load_experiment("coherent-ge-2026").spec
    gwh = spec.source.pot / 2.2549e22
    scaled = r26.predicted * 10.22 / (spec.detector.mass_kg * gwh)
    assert scaled == pytest.approx(r24.predicted, rel=0.01)
    assert scaled == pytest.approx(36.4, rel=0.01)
    assert 2.0 < (scaled - 20.6) / 6.7 < 3.0
    assert 0.85 < spec.detector.mass_kg / 18.0 < 1.0


def test_reactor_ge_combination():
    from cevns.releases.combinations import load_combination
    from cevns.reproduce.reactor_germanium_analysis import fit_strength

    comb = load_combination("reactor-ge")
    assert comb.likelihood.labels == ("Dresden-II", "CONUS+", "CONUS", "TEXONO")
    assert {s.name for s in comb.likelihood.shared} == {"reactor-flux", "ge-quenching"}
    quenching = next(s for s in comb.likelihood.shared if s.name == "ge-quenching")
    assert set(quenching.sigmas) == {"CONUS+", "CONUS", "TEXONO"}   # computed (test_quenching_shared_...)
    joint = fit_strength(comb.likelihood)
    # Dresden-II (1.00 +- 0.33) and CONUS+ (1.07 +- 0.33) pull up, CONUS (< 2) pulls down:
    # the joint strength lies between the members' and is more precise than each.
    assert 0.6 < joint.mu < 1.1
    assert joint.high - joint.low < 0.6


def test_global_and_sns_ge_combinations_load(releases):
    from cevns.releases.combinations import load_combination

    glob = load_combination("global-counting")  # "global" before it took the data releases
    assert len(glob.likelihood.labels) == 9 and math.isfinite(glob.likelihood.chi2())
    sns = load_combination("coherent-sns-ge", release_dirs={"csi-2021": releases / "csi-2021",
                                                             "lar-2020-analysisA": releases / "lar-2020-analysisA"})
    assert sns.likelihood.labels == ("CsI", "LAr", "Ge")


def test_shared_nuisance_a_member_cannot_carry(tmp_path, capsys):
    """A shared normalisation larger than a member's own signal uncertainty (the member does
    not have that nuisance) and one naming a member that does not exist: one line, exit 2."""
    path = tmp_path / "bad.toml"
    path.write_text('[[member]]\nlabel = "A"\nexperiment = "conus-2024"\n[[member]]\nlabel = "B"\nexperiment = "coherent-csi-2017"\n'
                    '[[shared]]\nname = "ge-quenching"\nkind = "signal-normalisation"\nmembers = { A = 0.5, B = 0.1 }\n')
    rc, _, err = run_cli(capsys, "fit", str(path), "--free", "sin2_theta_w", "--points", "5")
    assert rc == 2 and "incompatible shared nuisance" in one_error_line(err)
    path.write_text('[[member]]\nlabel = "A"\nexperiment = "conus-2024"\n'
                    '[[shared]]\nname = "q"\nkind = "signal-normalisation"\nmembers = { A = 0.05, Z = 0.1 }\n')
    rc, _, err = run_cli(capsys, "fit", str(path), "--free", "sin2_theta_w", "--points", "5")
    assert rc == 2 and "not a member" in one_error_line(err)


# --- the shared quenching nuisance, computed -------------------------------------------------------
def _total(name: str, k: float) -> float:
    """The full SM count of experiment ``name`` with plain Lindhard quenching at ``k`` (an
    independent route: no quenching_nuisance, no named model)."""
    from cevns.config.experiments import load_experiment

    return float(load_experiment(name, {"detector.quenching": {"model": "lindhard", "k": k}}).binned_counts().total)


def test_quenching_shared_normalisations_are_the_ratio_of_full_predictions():
    """reactor-ge declares kind = "quenching" for CONUS+, CONUS (ge-conus-2022: k = 0.162 +-
    0.004) and TEXONO (k = 0.16 +- 0.004): each s_m is (S(k+s) - S(k-s)) / (2 S(k)) of the
    member's full prediction, the symmetrised effect (within 3% of the one-sided +1 sigma
    effect: the count is nearly linear in k over +-0.004)."""
    from cevns.releases.combinations import load_combination

    comb = load_combination("reactor-ge")
    sigmas = next(s for s in comb.likelihood.shared if s.name == "ge-quenching").sigmas
    for label, name, k in (("CONUS+", "conus-plus-2025", 0.162), ("CONUS", "conus-2024", 0.162), ("TEXONO", "texono-2024", 0.16)):
        s0, sp, sm = _total(name, k), _total(name, k + 0.004), _total(name, k - 0.004)
        assert sigmas[label] == pytest.approx((sp - sm) / (2 * s0), rel=1e-9)
        assert sigmas[label] == pytest.approx(sp / s0 - 1.0, rel=0.03)
    # the values that were typed by hand before (one-sided): 7.9%, 11.1%, 9.9%
    assert sigmas["CONUS+"] == pytest.approx(0.078, abs=0.001)
    assert sigmas["CONUS"] == pytest.approx(0.108, abs=0.001)
    assert sigmas["TEXONO"] == pytest.approx(0.096, abs=0.001)


def test_reactor_ge_fit_uses_the_computed_quenching():
    """The loaded joint likelihood equals one built by hand with the computed s_m as a
    signal-normalisation nuisance, and differs from the one without it."""
    from cevns.config.experiments import load_experiment
    from cevns.releases.combinations import load_combination
    from cevns.stats.fits import ExperimentLikelihood
    from cevns.stats.joint import JointLikelihood, JointMember, SharedNuisance

    comb = load_combination("reactor-ge")
    names = {"Dresden-II": "dresden-ii-2022", "CONUS+": "conus-plus-2025", "CONUS": "conus-2024", "TEXONO": "texono-2024"}
    members = []
    for label, name in names.items():
        exp = load_experiment(name)
        members.append(JointMember(label, ExperimentLikelihood(exp.predictor(), exp.measurement())))
    s = {lab: (_total(n, k + 0.004) - _total(n, k - 0.004)) / (2 * _total(n, k))
         for lab, n, k in (("CONUS+", "conus-plus-2025", 0.162), ("CONUS", "conus-2024", 0.162), ("TEXONO", "texono-2024", 0.16))}
    flux = SharedNuisance("reactor-flux", {lab: 0.03 for lab in names})
    by_hand = JointLikelihood(tuple(members), (flux, SharedNuisance("ge-quenching", s)))
    without = JointLikelihood(tuple(members), (flux,))
    for point in ({}, {"sin2_theta_w": 0.30}):
        assert comb.likelihood.chi2(point) == pytest.approx(by_hand.chi2(point), rel=1e-9)
    assert comb.likelihood.chi2({"sin2_theta_w": 0.30}) != pytest.approx(without.chi2({"sin2_theta_w": 0.30}), rel=1e-6)


@pytest.mark.parametrize("member, message", [
    ("coherent-csi-2017", "a quenching nuisance is shared by detectors of one element"),
    ("coherent-ge-2026", "declares no quenching uncertainty"),
])
def test_quenching_shared_with_a_member_that_cannot_carry_it(tmp_path, capsys, member, message):
    """A quenching nuisance shared with CsI (not one element, not germanium) or with a Ge
    file whose quenching has no uncertainty: one line, exit 2."""
    path = tmp_path / "bad.toml"
    path.write_text(f'[[member]]\nlabel = "A"\nexperiment = "conus-2024"\n[[member]]\nlabel = "B"\nexperiment = "{member}"\n'
                    '[[shared]]\nname = "ge-quenching"\nkind = "quenching"\nmembers = ["A", "B"]\n')
    rc, _, err = run_cli(capsys, "fit", str(path), "--free", "sin2_theta_w", "--points", "5")
    line = one_error_line(err)
    assert rc == 2 and message in line and "member B" in line


def test_quenching_shared_members_must_be_a_list_of_labels(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('[[member]]\nlabel = "A"\nexperiment = "conus-2024"\n'
                    '[[shared]]\nname = "q"\nkind = "quenching"\nmembers = { A = 0.1 }\n')
    rc, _, err = run_cli(capsys, "fit", str(path), "--free", "sin2_theta_w", "--points", "5")
    assert rc == 2 and "lists its members" in one_error_line(err)


# --- named reactor cores in [source] ---------------------------------------------------------------
@pytest.mark.parametrize("name, core", [("dresden-ii-2022", "dresden-ii"), ("conus-plus-2025", "leibstadt"),
                                        ("conus-2024", "brokdorf"), ("texono-2024", "kuo-sheng")])
def test_shipped_files_use_the_named_cores_with_the_numbers_they_typed(name, core):
    """The four reactor files name their core; the power and baseline it fills in are the
    numbers the files typed before (and the papers give), fission fractions the generic ones."""
    from cevns.config.experiments import load_experiment

    typed = {"dresden-ii": (2.96, 10.39), "leibstadt": (3.6, 20.7), "brokdorf": (3.9, 17.1), "kuo-sheng": (2.9, 28.0)}
    src = load_experiment(name).spec.source
    assert (src.reactor, src.thermal_power_GW, src.baseline_m, src.fission_fractions) == (core, *typed[core], None)


def test_named_core_equals_typed_numbers_and_fields_win(tmp_path):
    from cevns.config.experiments import load_experiment

    named = load_experiment("dresden-ii-2022").binned_counts().total
    typed = load_experiment("dresden-ii-2022", {"source": {"type": "reactor", "thermal_power_GW": 2.96, "baseline_m": 10.39}})
    assert named == typed.binned_counts().total == pytest.approx(380.13, rel=2e-3)
    far = load_experiment("dresden-ii-2022", {"source.baseline_m": 20.78}).binned_counts().total
    assert far == pytest.approx(named / 4.0, rel=1e-9)   # a given baseline wins; 1/L^2


def test_unknown_reactor_core_is_one_line(capsys):
    rc, _, err = run_cli(capsys, "events", "dresden-ii-2022", "--set", "source.reactor=chernobyl")
    line = one_error_line(err)
    assert rc == 2 and "source.reactor" in line and "unknown reactor 'chernobyl'" in line and "dresden-ii" in line


def test_dresden_ii_documents_its_quenching_model():
    """Dresden-II uses the named ge-lindhard-theory model (k = 0.157), stated as a stand-in for
    the Fef/YBe response whose parameters could not be sourced."""
    from cevns.config.experiments import load_experiment

    spec = load_experiment("dresden-ii-2022").spec
    assert (spec.detector.quenching.model, spec.detector.quenching.name) == ("named", "ge-lindhard-theory")
    text = " ".join(spec.references)
    assert "PRD 103, 122003 (2021)" in text and "could not be sourced" in text
