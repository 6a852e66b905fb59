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
    r = results["coherent-ge-2026"]
    assert r.predicted == pytest.approx(124.0, rel=5e-3)   # calibrated mass x acceptance
    assert r.fit.mu == pytest.approx(1.00, abs=0.01)
    assert (r.fit.high - r.fit.low) / 2 == pytest.approx(math.hypot(0.10, 0.10), rel=0.1)


def test_reactor_ge_combination():
    from cevns.releases.combinations import load_combination
    from cevns.reproduce.reactor_germanium_analysis import fit_strength

    comb = load_combination("reactor-ge")
    assert comb.likelihood.labels == ("Dresden-II", "CONUS+", "CONUS", "TEXONO")
    assert {s.name for s in comb.likelihood.shared} == {"reactor-flux", "ge-quenching"}
    joint = fit_strength(comb.likelihood)
    # Dresden-II (1.00 +- 0.33) and CONUS+ (1.07 +- 0.33) pull up, CONUS (< 2) pulls down:
    # the joint strength lies between the members' and is more precise than each.
    assert 0.6 < joint.mu < 1.1
    assert joint.high - joint.low < 0.6


def test_global_and_sns_ge_combinations_load(releases):
    from cevns.releases.combinations import load_combination

    glob = load_combination("global")
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
