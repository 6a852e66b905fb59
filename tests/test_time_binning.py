"""Predictions binned in arrival time (cevns.rates.prediction.TimeSelection, [detector.time]): windows
and bins per source flavour, oscillation appearance with the parent's timing, TOML."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cevns.config.experiments import ExperimentError, load_experiment
from cevns.stats.fits import ExperimentLikelihood, Measurement, fit
from cevns.rates.prediction import TimeSelection, prepare_rates
from cevns.sources.timing import CSI_2017_FITTED_PULSE, TAU_MUON, TAU_PION, ProtonPulse, time_bin_fractions, us

STERILE = {"dm2_41": 1.3, "Ue4_sq": 0.1, "Umu4_sq": 0.1}  # ν_μ → ν_e and ν̄_μ → ν̄_e appear


@pytest.fixture(scope="module")
def csi():
    """CsI 2017 without a time cut (the shipped file has t < 6 µs)."""
    return load_experiment("coherent-csi-2017", {"detector.time.window_us": [-1e6, 1e6]})


def _predictor(exp, time):
    return prepare_rates(exp.target, exp.mass_kg, exp.live_time_s, exp.source, exp.response, model=exp.model, time=time)


@pytest.fixture(scope="module")
def untimed(csi):
    return _predictor(csi, None)


@pytest.mark.parametrize("params", [{}, STERILE, {"eps_ee_uV": 0.2, "mu_nu_mu": 1e-9}])
def test_window_over_everything_reproduces_untimed_counts(csi, untimed, params):
    everything = TimeSelection((-1.0, 1.0), CSI_2017_FITTED_PULSE)  # ±1 s: every fraction is 1 to rounding
    for time in (everything, TimeSelection.window(-1.0, 1.0, CSI_2017_FITTED_PULSE)):
        timed = _predictor(csi, time).binned(params)
        ref = untimed.binned(params)
        assert timed.flavors == ref.flavors
        np.testing.assert_allclose(timed.counts.reshape(ref.counts.shape), ref.counts, rtol=1e-12, atol=1e-12 * ref.total)


def test_window_fractions_are_the_decay_laws(csi, untimed):
    """δ-pulse at t = 0 and the window [0, t]: prompt ν_μ keeps 1 − e^{−t/τ_π}; delayed ν_e
    and ν̄_μ keep 1 − (τ_μ e^{−t/τ_μ} − τ_π e^{−t/τ_π})/(τ_μ − τ_π) (Bateman)."""
    ref = untimed.binned().by_flavor()
    delta = ProtonPulse(0.0, 0.0)
    for t in (0.05 * us, 1.0 * us, 6.0 * us):
        kept = _predictor(csi, TimeSelection.window(0.0, t, delta)).binned().by_flavor()
        prompt = -math.expm1(-t / TAU_PION)
        delayed = 1.0 - (TAU_MUON * math.exp(-t / TAU_MUON) - TAU_PION * math.exp(-t / TAU_PION)) / (TAU_MUON - TAU_PION)
        assert kept["nu_mu"] / ref["nu_mu"] == pytest.approx(prompt, rel=1e-12)
        assert kept["nu_e"] / ref["nu_e"] == pytest.approx(delayed, rel=1e-12)
        assert kept["nu_mu_bar"] / ref["nu_mu_bar"] == pytest.approx(delayed, rel=1e-12)


def test_time_bins_sum_to_the_window_and_follow_each_flavour(csi):
    edges = tuple(np.arange(25) * 0.5 * us)
    binned = _predictor(csi, TimeSelection(edges, CSI_2017_FITTED_PULSE)).binned()
    window = _predictor(csi, TimeSelection.window(edges[0], edges[-1], CSI_2017_FITTED_PULSE)).binned()
    assert binned.counts.shape == window.counts.shape + (24,)
    np.testing.assert_allclose(binned.counts.sum(axis=-1), window.counts, rtol=1e-12)
    np.testing.assert_allclose(binned.per_energy_bin, window.per_bin, rtol=1e-12)
    assert binned.per_bin.shape == (12 * 24,) and binned.per_bin.sum() == pytest.approx(window.total, rel=1e-12)
    # without oscillation every flavour keeps its own time profile in every energy bin
    flav = binned.counts.sum(axis=0)  # (flavour, energy, time)
    for i, f in enumerate(binned.flavors):
        expected = time_bin_fractions(f, edges, CSI_2017_FITTED_PULSE)
        rows = flav[i][flav[i].sum(axis=1) > 0]  # prompt ν_μ does not reach the highest PE bins
        assert len(rows) >= 6
        shape = np.broadcast_to(expected / expected.sum(), rows.shape)
        np.testing.assert_allclose(rows / rows.sum(axis=1, keepdims=True), shape, rtol=1e-10)


def test_appearance_keeps_the_parent_timing(csi):
    """With 3+1 mixing ν̄_e appears only from delayed ν̄_μ, so its time profile is the
    delayed one; ν_e is its own (delayed) survivors plus appeared prompt ν_μ."""
    edges = (0.0, 0.5 * us, 1.0 * us, 2.0 * us, 6.0 * us, 12.0 * us)
    pred = _predictor(csi, TimeSelection(edges, CSI_2017_FITTED_PULSE))
    counts = pred.binned(STERILE)
    assert "nu_e_bar" in counts.flavors
    by_time = counts.counts.sum(axis=(0, 2))  # (flavour, time)
    delayed = time_bin_fractions("nu_mu_bar", edges, CSI_2017_FITTED_PULSE)
    prompt = time_bin_fractions("nu_mu", edges, CSI_2017_FITTED_PULSE)
    ebar = by_time[counts.flavors.index("nu_e_bar")]
    np.testing.assert_allclose(ebar / ebar.sum(), delayed / delayed.sum(), rtol=1e-10)
    # ν_e: Σ over source flavours of (arriving ν_e from α) × f_α, by the source split
    by_source = _predictor(csi, None).binned_by_source(STERILE)
    src = by_source.counts.sum(axis=(0, 3))[by_source.flavors.index("nu_e")]  # per source flavour
    appeared = src[pred.source_flavors.index("nu_mu")]
    assert appeared > 0.01 * src.sum()  # the prompt part is there ...
    expected = sum(n * time_bin_fractions(a, edges, CSI_2017_FITTED_PULSE) for a, n in zip(pred.source_flavors, src))
    np.testing.assert_allclose(by_time[counts.flavors.index("nu_e")], expected, rtol=1e-10)
    # ... and makes ν_e earlier than a purely delayed flavour (0.5–1 µs holds most prompt ν)
    nue = by_time[counts.flavors.index("nu_e")]
    assert prompt[1] > 0.5 > delayed[1]
    assert nue[1] / nue.sum() > delayed[1] / delayed.sum() + 0.5 * appeared / src.sum() * (prompt[1] - delayed[1])


def test_source_split_sums_to_the_arriving_counts(untimed):
    for params in ({}, STERILE):
        split = untimed.binned_by_source(params)
        ref = untimed.binned(params)
        assert split.counts.shape[2] == len(untimed.source_flavors)
        np.testing.assert_allclose(split.counts.sum(axis=2), ref.counts, rtol=1e-12, atol=1e-14)


def test_shipped_csi_window_and_toml_time_bins():
    """The shipped CsI 2017 file applies its [data] window t < 6 µs; edges_us gives bins."""
    cut = load_experiment("coherent-csi-2017").binned_counts()
    full = load_experiment("coherent-csi-2017", {"detector.time.window_us": [-1e6, 1e6]}).binned_counts()
    assert cut.total == pytest.approx(162.86, abs=0.05) and full.total == pytest.approx(176.24, abs=0.05)
    exp = load_experiment("coherent-csi-2017", {"detector.time": {"edges_us": [0.0, 1.0, 3.0, 6.0], "pulse": "csi-2017-fitted"}})
    counts = exp.binned_counts()
    assert exp.n_bins == 36 and counts.counts.shape == (2, 3, 12, 3)
    assert counts.total == pytest.approx(cut.total, rel=1e-12)
    np.testing.assert_allclose(np.asarray(counts.time_edges_s) / us, [0, 1, 3, 6], rtol=1e-12)
    # a ExperimentLikelihood on the flattened (energy × time) bins: the Asimov fit returns the SM value
    zeros = np.zeros(36)
    lk = ExperimentLikelihood(exp.predictor(), Measurement(zeros, zeros, zeros, 0.28, 0.0, "poisson")).asimov()
    with pytest.raises(ValueError, match="36"):
        ExperimentLikelihood(exp.predictor(), Measurement(zeros[:12], zeros[:12], zeros[:12]))  # energy bins only
    assert fit(lk, {"sin2_theta_w": 0.21}).values["sin2_theta_w"] == pytest.approx(0.23857, abs=2e-3)


@pytest.mark.parametrize(
    "time, message",
    [
        ({"window_us": [6.0, 0.0]}, "strictly increasing"),
        ({"edges_us": [1.0]}, "strictly increasing"),
        ({"window_us": [0.0, 6.0], "edges_us": [0.0, 6.0]}, "either window_us"),
        ({"window_us": [0.0, 6.0], "pulse": "gaussian"}, "detector.time.pulse"),
        ({"window": [0.0, 6.0]}, "detector.time.window"),
    ],
)
def test_bad_time_section_is_one_line(time, message):
    with pytest.raises(ExperimentError, match=message) as info:
        load_experiment("coherent-csi-2017", {"detector.time": time})
    assert "\n" not in str(info.value)


def test_time_needs_pion_decay_flavours():
    with pytest.raises(ExperimentError, match="nu_e_bar is not produced") as info:
        load_experiment("reactor-ge-conus-like", {"detector.time.window_us": [0.0, 6.0]})
    assert "detector.time" in str(info.value) and "\n" not in str(info.value)
