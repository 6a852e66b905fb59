"""Fits, profiles and scans: closed-form checks of the single-bin pull χ², Asimov
closure, scan = profile, and kill-and-resume of the CLI scan."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cevns.config.experiments import load_experiment
from cevns.stats.fits import ExperimentLikelihood, Measurement, fit, profile, profile_range
from cevns.stats.scans import empty_scan, scan


@pytest.fixture(scope="module")
def csi():
    exp = load_experiment("coherent-csi-2017")
    return ExperimentLikelihood(exp.predictor(), exp.measurement())


def test_csi_2017_data_section(csi):
    m = csi.measurement
    assert (m.observed[0], m.background[0], m.steady_state[0]) == (142.0, 6.0, 405.0)
    assert (m.sigma_signal, m.sigma_background) == (0.28, 0.25)


def test_single_bin_best_fit_zeroes_the_residual(csi):
    """One bin, one parameter: χ²_min = 0 where the signal equals N_obs − B_on = 136."""
    best = fit(csi, {"sin2_theta_w": 0.23857})
    assert best.valid and best.chi2_min < 1e-8
    assert csi.signal(best.values)[0] == pytest.approx(136.0, rel=1e-4)
    assert 0.15 < best.values["sin2_theta_w"] < 0.24  # fewer events than the SM's 176 → smaller s²


def test_profile_interval_ends_satisfy_the_pull_formula(csi):
    """At the 1σ ends, r² = σ²_stat + (σ_α S)² + (σ_β B)² (Δχ² = 1, analytic pulls)."""
    best = fit(csi, {"sin2_theta_w": 0.23857})
    lo, hi = profile_range("sin2_theta_w", best)
    prof = profile(csi, "sin2_theta_w", np.linspace(lo, hi, 201), best)
    (a, b), = prof.intervals()["1sigma"]
    for x in (a, b):
        s = csi.signal({"sin2_theta_w": x})[0]
        r2 = (142 - s - 6) ** 2
        d = 142 + 2 * 405 + 6 + (0.28 * s) ** 2 + (0.25 * 6) ** 2
        assert r2 / d == pytest.approx(1.0, abs=0.02)  # linear interpolation on the grid


def test_asimov_fit_returns_the_sm(csi):
    forecast = csi.asimov()
    best = fit(forecast, {"sin2_theta_w": 0.22})
    assert best.values["sin2_theta_w"] == pytest.approx(0.23857, abs=1e-4)
    assert best.chi2_min < 1e-8


def test_scan_equals_direct_evaluation_and_resumes_identically(csi):
    axes = {"eps_ee_uV": np.linspace(-0.5, 0.5, 9), "eps_ee_dV": np.linspace(-0.5, 0.5, 7)}
    full = scan(csi, empty_scan(axes), chunk=10)
    assert full.complete
    i, j = 3, 5
    assert full.chi2[i, j] == pytest.approx(csi.chi2({"eps_ee_uV": axes["eps_ee_uV"][i], "eps_ee_dV": axes["eps_ee_dV"][j]}), rel=1e-9)

    class Crash(Exception):
        pass

    partial = empty_scan(axes)

    def crash_after_two(state, n):
        if state.done.sum() >= 20:
            raise Crash

    with pytest.raises(Crash):
        scan(csi, partial, chunk=10, on_chunk=crash_after_two)
    assert 0 < partial.done.sum() < partial.done.size
    resumed = scan(csi, partial, chunk=10)
    np.testing.assert_array_equal(resumed.chi2, full.chi2)


def test_poisson_statistic_matches_the_gaussian_limit(csi):
    """With 547 raw counts the Poisson deviance is Gaussian: r²/(N + B_ss + (σ_α S)² + ...),
    i.e. the pull χ² with the variance N + B_ss instead of Papoulias' N + 2B_ss + B_on
    (the off-beam background counts as known in the Poisson statistic)."""
    m = csi.measurement
    pois = ExperimentLikelihood(csi.predictor, Measurement(m.observed, m.background, m.steady_state, m.sigma_signal, m.sigma_background, "poisson"))
    for s2 in (0.2, 0.23857, 0.26):
        s = csi.signal({"sin2_theta_w": s2})[0]
        syst = (0.28 * s) ** 2 + (0.25 * 6) ** 2
        ratio = (142 + 2 * 405 + 6 + syst) / (142 + 405 + 6 + syst)
        assert pois.chi2({"sin2_theta_w": s2}) == pytest.approx(csi.chi2({"sin2_theta_w": s2}) * ratio, rel=0.03, abs=1e-3)


def test_data_bins_must_match(csi):
    with pytest.raises(ValueError, match="bins"):
        ExperimentLikelihood(csi.predictor, Measurement(np.ones(3), np.zeros(3), np.zeros(3)))


# --- CLI --------------------------------------------------------------------------------
def _cli(*args: str, cwd: Path, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(cwd / ".mpl"))
    return subprocess.run([sys.executable, "-m", "cevns.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, **kw)


def test_cli_fit_json(tmp_path):
    proc = _cli("fit", "coherent-csi-2017", "--free", "sin2_theta_w", "--json", "--points", "41", "--plot", "p.png", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"best_fit", "chi2_min", "intervals"}
    (lo, hi), = out["intervals"]["sin2_theta_w"]["1sigma"]
    assert lo < out["best_fit"]["sin2_theta_w"] < hi
    assert set(out["intervals"]["sin2_theta_w"]) == {"1sigma", "90%", "2sigma"}
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("fit", "reactor-ge-conus-like", "--free", "sin2_theta_w"), "--asimov"),
        (("fit", "coherent-csi-2017", "--free", "eps_ee_uv"), "eps_ee_uV"),
        (("fit", "coherent-csi-2017", "--free", "zprime_model"), "cannot be fitted"),
        (("fit", "coherent-csi-2017", "--free", "eps_tautau_uV"), "do not constrain eps_tautau_uV"),  # no ν_τ at the SNS
        (("fit", "coherent-csi-2017", "--free", "eps_ee_uV", "--free", "eps_ee_dV", "--points", "11"), "with eps_ee_dV free"),
        (("scan", "coherent-csi-2017", "--param", "eps_ee_uV=1:-1:11", "--out", "s.npz"), "LOW < HIGH"),
        (("scan", "coherent-csi-2017", "--param", "Ue4_sq=0:2:11", "--out", "s.npz"), "Ue4_sq"),
        (("scan", "coherent-csi-2017", "--param", "eps_ee_uV=0.1", "--out", "s.npz"), "scan axis"),
    ],
)
def test_cli_fit_scan_bad_input(tmp_path, args, fragment):
    proc = _cli(*args, cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert fragment in proc.stderr.strip().splitlines()[-1]
    assert not (tmp_path / "s.npz").exists()


def test_cli_scan_kill_and_resume(tmp_path):
    # a neutron radius is not polynomial in the counts: point by point (--exact: no emulator), 256 points a chunk
    args = ("scan", "coherent-csi-2017", "--param", "rn=4.6:5.4:61", "--param", "eps_ee_dV=-1:1:61", "--json", "--exact")
    ref = _cli(*args, "--out", "ref.npz", cwd=tmp_path)
    assert ref.returncode == 0, ref.stderr
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.Popen([sys.executable, "-m", "cevns.cli", *args, "--out", "cut.npz"], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not (tmp_path / "cut.npz").exists() and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with np.load(tmp_path / "cut.npz") as f:
        done_before = int(f["done"].sum())
    resumed = _cli(*args, "--out", "cut.npz", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    with np.load(tmp_path / "cut.npz") as a, np.load(tmp_path / "ref.npz") as b:
        np.testing.assert_array_equal(a["chi2"], b["chi2"])
        assert a["done"].all()
    assert done_before < 61 * 61 or proc.returncode == 0
    # another configuration refuses to resume; a corrupted file too
    other = _cli("scan", "coherent-csi-2017", "--param", "rn=4.6:5.4:61", "--param", "eps_ee_dV=-1:1:61", "--param", "mu_nu_e=1e-9",
                 "--out", "cut.npz", "--resume", cwd=tmp_path)
    assert other.returncode == 2 and "another configuration" in other.stderr and "fixed" in other.stderr
    (tmp_path / "bad.npz").write_bytes(b"not a scan")
    bad = _cli(*args, "--out", "bad.npz", "--resume", cwd=tmp_path)
    assert bad.returncode == 2 and "not a readable store" in bad.stderr


@pytest.mark.parametrize("values", [
    {}, {"rn": 5.2}, {"rn_133Cs": 4.7}, {"zprime_mass": 10.0, "zprime_coupling": 1e-5},
    {"dm2_41": 1.3, "Ue4_sq": 0.05}, {"sin2_theta_w": 0.1},
])
def test_point_chi2_closed_form_equals_the_general_pull_solve(csi, values):
    """ExperimentLikelihood.chi2 evaluates one bin by the closed form r²/D; it must equal
    the general 2 × 2 pull solve (binned_pull_chi2) to 1e-12."""
    from cevns.stats.fits import chi2_from_signal

    general = float(chi2_from_signal(csi.measurement, csi.signal(values)))
    assert csi.chi2(values) == pytest.approx(general, rel=1e-12, abs=1e-300)
