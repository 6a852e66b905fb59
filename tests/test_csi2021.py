"""COHERENT CsI[Na] 2021 release likelihood (D. Akimov et al. (COHERENT), PRL 129, 081801 (2022),
arXiv:2110.07730): data binning, steady state, SM prediction and best fit against the paper,
shape nuisances of the template statistic, the CLI paths. Release tests skip without
../shared/reference-data."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pytest
from scipy import optimize, special

from cevns.cli import main
from cevns.detector.response import LogisticEfficiency, Resolution
from cevns.errors import InputError
from cevns.sources.timing import SNS_PULSE, ExponentialTimeEfficiency, arrival_time_pdf, time_bin_fractions, us
from cevns.sources.timing import weighted_time_bin_fractions
from cevns.stats.chi2 import poisson_terms
from cevns.stats.templates import profiled_poisson_components


# --- response pieces (no release needed) ---------------------------------------------------------
def test_gamma_shape_offset_is_the_csi_2021_law():
    """shape_offset = 1, fano = LY/9.56: P(x) = (a(1+b))^(1+b)/Γ(1+b) x^b e^(−a(1+b)x), a = 0.0749/E,
    b = 9.56 E (closed form integrated numerically) for E = 2 keVee."""
    ly, e_ee = 1 / 0.0749, 2.0
    res = Resolution("gamma", fano=ly / 9.56, shape_offset=1.0)
    a, b = 0.0749 / e_ee, 9.56 * e_ee
    x = np.linspace(1e-9, 80, 200001)
    pdf = np.exp((1 + b) * np.log(a * (1 + b)) - special.gammaln(1 + b) + b * np.log(x) - a * (1 + b) * x)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (pdf[1:] + pdf[:-1]) * np.diff(x))])
    for edge in (10.0, 25.0, 40.0):
        assert float(res._cdf(np.array([edge]), np.array([ly * e_ee]))[0]) == pytest.approx(np.interp(edge, x, cdf), abs=1e-6)
    # offset 0 is the plain law, bit for bit
    plain, zero = Resolution("gamma", fano=1.3), Resolution("gamma", fano=1.3, shape_offset=0.0)
    mu = np.array([0.5, 3.0, 20.0])
    assert np.array_equal(plain.bin_response(mu, np.array([0.0, 5, 10, 30]), LogisticEfficiency(0.9, 0.5, 8.0)),
                          zero.bin_response(mu, np.array([0.0, 5, 10, 30]), LogisticEfficiency(0.9, 0.5, 8.0)))


def test_logistic_offset_clips_at_zero_and_keeps_the_plain_form():
    eff = LogisticEfficiency(1.32045, 0.285979, 10.8646, offset=-0.333322)
    x = np.array([0.0, 5.0, 7.0, 12.0, 60.0])
    expected = np.clip(1.32045 / (1 + np.exp(-0.285979 * (x - 10.8646))) - 0.333322, 0, 1)
    assert np.allclose(eff(x), expected, rtol=0, atol=1e-15)
    z = eff.zero_crossing
    assert z is not None and z in eff.breakpoints and abs(1.32045 * special.expit(0.285979 * (z - 10.8646)) - 0.333322) < 1e-12
    assert np.array_equal(LogisticEfficiency(0.6655, 0.4942, 10.8507)(x), 0.6655 * special.expit(0.4942 * (x - 10.8507)))
    with pytest.raises(InputError):
        LogisticEfficiency(1.32, 0.3, 10.0)  # plateau > 1 without an offset


def test_time_efficiency_in_bin_fractions():
    """∫_bin p ε_T against brute-force trapezoids; no effect before the onset; bin averages closed form."""
    eff = ExponentialTimeEfficiency(0.52 * us, 0.0494 / us)
    edges = np.array([0.0, 0.25, 0.5, 0.75, 1.0, 2.0, 4.0, 6.0]) * us
    for flavor in ("nu_mu", "nu_e"):
        got = weighted_time_bin_fractions(flavor, edges, eff, SNS_PULSE)
        for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
            t = np.linspace(lo, hi, 20001)
            y = arrival_time_pdf(flavor, t, SNS_PULSE) * eff(t)
            assert got[b] == pytest.approx(float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(t))), rel=1e-6, abs=1e-12)
        plain = time_bin_fractions(flavor, edges, SNS_PULSE)
        assert np.array_equal(got[:2], plain[:2]) and np.all(got[3:] < plain[3:])
    avg = eff.bin_average(np.array([0.0, 0.5, 1.0, 3.0]) * us)
    k = 0.0494
    assert avg[0] == 1.0
    assert avg[1] == pytest.approx((0.02 + (1 - math.exp(-k * 0.48)) / k) / 0.5, rel=1e-12)
    assert avg[2] == pytest.approx((math.exp(-k * 0.48) - math.exp(-k * 2.48)) / k / 2.0, rel=1e-12)


# --- shape nuisances of the template statistic --------------------------------------------------
def _toy(seed: int = 3, bins: int = 5):
    rng = np.random.default_rng(seed)
    s = rng.uniform(5, 20, bins)
    b = rng.uniform(1, 6, bins)
    off = rng.poisson(8.0, bins).astype(float)
    n = rng.poisson(s + b + off).astype(float)
    shifts = np.stack([s * rng.uniform(-0.2, 0.2, bins), s * rng.uniform(-0.1, 0.3, bins)])
    return n, np.stack([s, b]), np.array([0.1, 0.25]), off, shifts


def test_shape_nuisances_without_shifts_change_nothing():
    n, t, sig, off, _ = _toy()
    plain = profiled_poisson_components(n, t, sig, off, 1.0)
    empty = profiled_poisson_components(n, t, sig, off, 1.0, shifts=np.zeros((0, n.size)))
    assert np.array_equal(plain.chi2, empty.chi2) and np.array_equal(plain.pulls, empty.pulls)


def test_shape_nuisances_profile_equals_brute_force():
    """χ² with two normalisations, two shape pulls and a per-bin steady state: the Newton profile
    equals a direct minimisation over all 2 + 2 + 5 nuisances (scipy L-BFGS-B) to 1e-6."""
    n, t, sig, off, shifts = _toy()
    fit = profiled_poisson_components(n, t, sig, off, 1.0, shifts=shifts)

    def f(p: np.ndarray) -> float:
        a, th, b = p[:2], p[2:4], p[4:]
        mu = (1 + a) @ t + th @ shifts + b
        return float(2 * np.sum(poisson_terms(n, mu, mu)) + 2 * np.sum(poisson_terms(off, b, b))
                     + np.sum((a / sig) ** 2) + np.sum(th**2))

    best = min((optimize.minimize(f, np.concatenate([np.zeros(4), off + d]), method="L-BFGS-B",
                                  bounds=[(None, None)] * 4 + [(1e-9, None)] * n.size, options={"ftol": 1e-15, "gtol": 1e-12})
                for d in (0.0, 1.0)), key=lambda r: r.fun)
    assert float(fit.chi2) == pytest.approx(best.fun, abs=1e-6)
    assert fit.pulls.shape == (4,) and np.allclose(fit.pulls, best.x[:4], atol=1e-3)


# --- the release ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def folder():
    from tests.conftest import SHARED

    path = SHARED / "coherent-data-releases" / "csi-2021"
    if not path.is_dir():
        pytest.skip("../shared/reference-data/coherent-data-releases/csi-2021 is not available")
    return path


@pytest.fixture(scope="module")
def lk(folder):
    from cevns.releases.csi_2021 import csi_2021_likelihood

    return csi_2021_likelihood(folder)


@pytest.fixture(scope="module")
def lk_per_bin(folder):
    from cevns.releases.csi_2021 import csi_2021_likelihood

    return csi_2021_likelihood(folder, steady_state="per-bin")


def test_the_likelihood_is_built_once_per_inputs(folder, lk, tmp_path):
    """A second call with the same inputs returns the same (read-only) likelihood; other
    arguments, a user override in force or a changed release file build a new one."""
    import os

    from cevns.config.overrides import experiment_overrides
    from cevns.releases.csi_2021 import csi_2021_likelihood

    assert csi_2021_likelihood(folder) is lk
    assert not lk.data.observed.flags.writeable
    assert csi_2021_likelihood(folder, fixed={"sin2_theta_w": 0.23}) is not lk
    with experiment_overrides({"coherent-csi-2021": {"detector.mass_kg": 10.0}}):
        other = csi_2021_likelihood(folder)
    assert other is not lk and other.signal({}).sum() < 0.9 * lk.signal({}).sum()
    copy = tmp_path / "csi-2021"
    shutil.copytree(folder, copy)
    first = csi_2021_likelihood(copy)
    assert csi_2021_likelihood(copy) is first
    data = copy / "dataBeamOnC.txt"
    stat = data.stat()
    os.utime(data, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert csi_2021_likelihood(copy) is not first


def test_data_binning_counts_every_event_in_range(folder, lk, lk_per_bin):
    from cevns.releases.csi_2021 import load_csi_2021

    rel = load_csi_2021(folder)
    for events, counts in ((rel.coincidence_events, lk.data.observed), (rel.anticoincidence_events, lk_per_bin.data.off)):
        inside = (events[:, 0] < 60) & (events[:, 1] < 6)
        assert counts.sum() == inside.sum()
    assert lk.data.observed.sum() == 1578 and lk_per_bin.data.off.sum() == 1295  # also counted by a peer reproduction
    assert np.array_equal(lk.data.observed, lk_per_bin.data.observed)
    pe, t = lk.data.axes
    c = rel.coincidence_events
    i, j = 3, 9  # one cell by hand: 20-24 PE, 2-4 us
    hand = np.sum((c[:, 0] >= pe.edges[i]) & (c[:, 0] < pe.edges[i + 1]) & (c[:, 1] >= t.edges[j]) & (c[:, 1] < t.edges[j + 1]))
    assert lk.data.observed.reshape(lk.data.shape)[i, j] == hand


def test_residual_projections_are_c_minus_ac(lk, lk_per_bin):
    residual, variance = lk_per_bin.data.residual()
    assert np.array_equal(residual, lk_per_bin.data.observed - lk_per_bin.data.off)
    assert np.array_equal(variance, lk_per_bin.data.observed + lk_per_bin.data.off)
    residual, variance = lk.data.residual()  # steady-state template: C − AC in total and per PE bin
    pe_ac = lk_per_bin.data.off.reshape(lk.data.shape).sum(axis=1)
    pe_c = lk.data.observed.reshape(lk.data.shape).sum(axis=1)
    assert np.allclose(residual.reshape(lk.data.shape).sum(axis=1), pe_c - pe_ac, atol=1e-9)
    assert residual.sum() == pytest.approx(1578 - 1295, abs=1e-9)
    assert np.allclose(variance.reshape(lk.data.shape).sum(axis=1), pe_c + pe_ac, atol=1e-9)


def test_steady_state_template(folder, lk, lk_per_bin):
    """AC events' PE spectrum × the selection's time shape ε_T, N_AC = 1295 events with 1/√N_AC."""
    from cevns.sources.timing import us

    ss = lk.data.backgrounds[2]
    assert ss.name == "steady state" and ss.measured
    assert ss.counts.sum() == pytest.approx(1295.0) and ss.sigma == pytest.approx(1295**-0.5)
    grid = ss.counts.reshape(lk.data.shape)
    t = lk.data.axes[1].edges
    eps = np.diff(t) * lk_per_bin.predictor.time.efficiency.bin_average(t * us)
    assert np.allclose(grid / grid.sum(axis=1, keepdims=True), eps / eps.sum(), rtol=1e-12)


def test_backgrounds_are_normalised_in_the_region(folder, lk):
    """18.4 BRN and 5.6 NIN events in the region; the PE projection is the released 1-PE shape
    summed over each analysis bin (the time efficiency only acts on the time axis)."""
    from cevns.releases.csi_2021 import load_csi_2021

    rel = load_csi_2021(folder)
    brn, nin, _ = lk.data.backgrounds
    assert brn.counts.sum() == pytest.approx(18.4) and nin.counts.sum() == pytest.approx(5.6)
    per_pe = brn.counts.reshape(lk.data.shape).sum(axis=1)
    edges = lk.data.axes[0].edges.astype(int)
    by_hand = np.array([rel.brn_pe[a:b].sum() for a, b in zip(edges[:-1], edges[1:])])
    assert np.allclose(per_pe, 18.4 * by_hand / by_hand.sum(), rtol=1e-12)


def test_sm_prediction_against_coherent(lk):
    """COHERENT: 341 ± 11 (th) ± 42 (exp); this package: 348.2 (2% above, 0.2 of the total error)."""
    from cevns.releases.csi_2021 import COHERENT_2021_SM_PREDICTION

    total = float(lk.signal().sum())
    assert total == pytest.approx(348.23, abs=0.05)
    assert abs(total - COHERENT_2021_SM_PREDICTION) < 11.0


def test_best_fit_count_against_coherent(lk):
    """COHERENT: 306 ± 20; here 287.9 [251.7, 326.2] with the steady-state template (its
    normalisation known to 1/√1295 = 2.8% from the released AC events) and 293.2 [248.3, 340.9]
    with a free steady state per bin: our intervals are 1.9× and 2.3× COHERENT's."""
    from cevns.stats.templates import fit_signal_strength

    st = fit_signal_strength(lk)
    assert st.counts == pytest.approx(287.9, abs=0.5)
    assert abs(st.counts - 306.0) < 20.0 and st.low < 306.0 < st.high
    assert st.chi2_min == pytest.approx(86.44, abs=0.1) and st.bins == 99


def test_best_fit_count_per_bin_steady_state(lk_per_bin):
    from cevns.stats.templates import fit_signal_strength

    st = fit_signal_strength(lk_per_bin)
    assert st.counts == pytest.approx(293.2, abs=0.5) and st.low < 306.0 < st.high
    assert st.chi2_min == pytest.approx(57.6, abs=0.1)


def test_linear_shape_morph_against_full_predictions(folder, lk):
    """S (1 + z r) against the full prediction with the quenching model-0 coefficients at
    nominal + z (+1σ − nominal): measured Σ|Δ| / Σ|S_full − S| = 0.011 (z = 0.5) and 0.021 (z = 1)
    at the SM, 0.089 and 0.097 at eps_ee_uV = 0.2, rn = 6 fm (r is taken at the SM); max bin
    |Δ| ≤ 0.025 events in all four."""
    from cevns.config.experiments import load_experiment
    from cevns.releases.csi_2021 import _variant, load_csi_2021

    rel = load_csi_2021(folder)
    r = lk.data.shape_systematics[0].relative
    nom, plus = np.array(rel.quenching_coefficients), np.array(rel.quenching_systematics[0][1])
    for point, limit in (({}, 0.03), ({"eps_ee_uV": 0.2, "rn_133Cs": 6.0, "rn_127I": 6.0}, 0.12)):
        s = lk.signal(point)
        for z in (0.5, 1.0):
            full = load_experiment("coherent-csi-2021", _variant(rel, "quenching", tuple(nom + z * (plus - nom)))).predictor()
            f = full.binned(point).per_bin
            diff = np.abs(f - s * (1 + z * r))
            assert diff.sum() / np.abs(f - s).sum() < limit and diff.max() < 0.03


def test_compare_json_and_verification(folder, tmp_path, capsys):
    assert main(["compare", "coherent-csi-2021", "--data-release", str(folder), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("predicted_signal", "best_fit_signal", "chi2", "projections", "pulls"):
        assert key in out
    assert set(out["best_fit_signal"]) >= {"counts", "1sigma"}
    assert list(out["pulls"]) == ["signal", "beam-related neutrons", "neutrino-induced neutrons", "steady state",
                                  "quenching model 0", "quenching model 1", "efficiency"]
    assert set(out["projections"]) == {"energy", "time"}
    assert out["couplings"] == "tree"  # the experiment's coupling set is named in every report
    copy = tmp_path / "csi-2021"
    shutil.copytree(folder, copy)
    with open(copy / "brnPE.txt", "a") as f:
        f.write("\n")
    assert main(["compare", "coherent-csi-2021", "--data-release", str(copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "brnPE.txt" in err
    (copy / "brnPE.txt").unlink()
    assert main(["compare", "coherent-csi-2021", "--data-release", str(copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "brnPE.txt" in err
    assert main(["compare", "coherent-csi-2021", "--data-release", str(tmp_path / "nowhere")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_no_verify_warns(folder, tmp_path, capsys):
    copy = tmp_path / "csi-2021"
    shutil.copytree(folder, copy)
    with open(copy / "dataBeamOnAC.txt", "a") as f:
        f.write("\n")
    assert main(["compare", "coherent-csi-2021", "--data-release", str(copy), "--no-verify", "--json"]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("warning: --no-verify") and json.loads(captured.out)["bins"] == 99


def test_fit_sin2_theta_w_with_the_release(folder, capsys):
    """sin²θ_W from the release, Δχ² = 1: 0.2081 [0.184, 0.234]; COHERENT (PRL 129, 081801, as
    recalled): 0.220 +0.028 −0.026, i.e. [0.194, 0.248]: −5% on the central value, an interval of
    the same width."""
    assert main(["fit", "coherent-csi-2021", "--data-release", str(folder), "--free", "sin2_theta_w",
                 "--points", "21", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["best_fit"]["sin2_theta_w"] == pytest.approx(0.2081, abs=0.002)
    (lo, hi), = out["intervals"]["sin2_theta_w"]["1sigma"]
    assert lo == pytest.approx(0.184, abs=0.003) and hi == pytest.approx(0.234, abs=0.003)


#: A point for every parameter of ``cevns params`` (partners where one needs another to act);
#: None: the SNS beam has no ν_τ, so the parameter leaves the prediction unchanged.
EVERY_PARAMETER = [
    ({"sin2_theta_w": 0.22}, True), ({"rp": 4.8}, True), ({"rn": 5.5}, True), ({"rn_133Cs": 5.5}, True),
    ({"rp_127I": 4.8}, True), ({"axial": 1.0}, True),
    *(({f"eps_{f}_{q}V": 0.1}, "tau" not in f or f in ("etau", "mutau")) for f in ("ee", "mumu", "tautau", "emu", "etau", "mutau")
      for q in ("u", "d")),
    *(({f"{p}_nu_{f}": v}, f != "tau") for p, v in (("mu", 1e-9), ("r2", -20.0), ("q", 1e-8)) for f in ("e", "mu", "tau")),
    ({"zprime_mass": 50.0, "zprime_coupling": 1e-4}, True), ({"zprime_model": "B-L", "zprime_mass": 50.0, "zprime_coupling": 1e-4}, True),
    ({"scalar_mass": 10.0, "scalar_coupling": 1e-4}, True),
    ({"dm2_41": 1000.0, "Ue4_sq": 0.1}, True), ({"dm2_41": 1000.0, "Umu4_sq": 0.1}, True),
    ({"dm2_41": 1000.0, "sin2_2theta_14": 0.2}, True), ({"dm2_41": 1000.0, "Utau4_sq": 0.1}, False),
    # NSI with electrons act on ν e scattering only, not on CEvNS
    *(({f"eps_{f}_e{c}": 0.1}, False) for f in ("ee", "mumu", "tautau", "emu", "etau", "mutau") for c in ("V", "A")),
]


@pytest.mark.parametrize("point, acts", EVERY_PARAMETER, ids=lambda v: ",".join(v) if isinstance(v, dict) else "")
def test_every_parameter_reaches_the_release_likelihood(lk, point, acts):
    """Every parameter of ``cevns params`` can be fitted or scanned on the release: a finite χ²
    whose prediction moves when the parameter acts on an SNS beam (ν_e, ν_μ, ν̄_μ)."""
    chi2 = lk.chi2(point)
    assert np.isfinite(chi2)
    moved = not np.allclose(lk.signal(point), lk.signal(), rtol=1e-9, atol=0)
    assert moved == acts


def test_toys_on_the_release(folder, tmp_path, capsys):
    """``cevns toys`` on the release: pseudo-experiments by the profile construction, t ≥ 0."""
    out_file = tmp_path / "t.npz"
    assert main(["toys", "coherent-csi-2021", "--data-release", str(folder), "--free", "sin2_theta_w=0.21", "--n", "3",
                 "--out", str(out_file), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["experiment"] == "coherent-csi-2021" and res["n"] == 3
    t = np.load(out_file)["statistic"]
    assert np.all(np.isfinite(t)) and np.all(t >= 0)


def test_brn_fitted_pulse_reproduces_the_released_brn_time_shape(folder):
    """CSI_2021_BRN_PULSE (our fit, not a collaboration number) against brnTrec.txt: every
    0.01-µs bin within 0.0007 in unit-sum fraction (peak 0.026), and σ = the SNS 150 ns."""
    from scipy.special import ndtr

    from cevns.releases.csi_2021 import load_csi_2021
    from cevns.sources.timing import CSI_2021_BRN_PULSE as pulse
    from cevns.sources.timing import us

    rel = load_csi_2021(folder)
    released = rel.brn_time / rel.brn_time.sum()
    cdf = ndtr((rel.time_edges_us * us - pulse.mean_s) / pulse.sigma_s)
    model = np.diff(cdf) / (cdf[-1] - cdf[0])
    assert released.max() == pytest.approx(0.026, abs=0.001)
    assert np.max(np.abs(model - released)) < 7e-4
    assert pulse.sigma_s == pytest.approx(150e-9, rel=0.01)
