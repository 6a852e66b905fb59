"""The ``solar-8b`` reproduction: the counting likelihood of :mod:`cevns.reproduce.solar_8b_analysis`
against closed forms and the published XENONnT / PandaX-4T results, and the reproduction's
report (skipped until the solar source type and the XENONnT release are available)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from cevns.errors import InputError
from cevns.reproduce import solar_8b_analysis as an

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data"
XENONNT_RELEASE = SHARED / "XENONnT__cevns_data_release"


# --- the counting likelihood against closed forms ------------------------------------------------
def test_known_background_significance_is_the_asimov_formula():
    """With σ_b = 0 the profile is exact: q₀ = 2[n ln(n/b) − (n − b)] (Cowan et al. 2011, Eq. 14
    with n for s + b) and μ̂ = (n − b)/s."""
    ch = an.CountingChannel("x", 37.0, 26.4, 0.0, 11.9)
    fit = an.counting_fit([ch])
    assert fit.mu == pytest.approx((37 - 26.4) / 11.9, rel=1e-6)
    assert fit.significance == pytest.approx(math.sqrt(2 * (37 * math.log(37 / 26.4) - 10.6)), rel=1e-6)


def test_profiled_background_solves_the_stationarity_condition():
    ch = an.CountingChannel("x", 332.0, 251.0, 32.0, 48.75)
    for mu in (0.0, 0.7, 2.0):
        b = an.profiled_background(mu, ch)
        lam = mu * ch.signal_sm + b
        # d/db [n ln λ − λ − (b − b₀)²/2σ²] = 0
        assert ch.observed / lam - 1 - (b - ch.background) / ch.background_sigma**2 == pytest.approx(0.0, abs=1e-9)


def test_profile_interval_is_where_the_likelihood_rises_by_one():
    ch = an.xenonnt_sr01_channel()
    fit = an.counting_fit([ch])
    f0 = an.minus_two_log_likelihood(fit.mu, [ch])
    for end in (fit.mu_low, fit.mu_high):
        assert an.minus_two_log_likelihood(end, [ch]) - f0 == pytest.approx(1.0, abs=1e-6)
    # a larger background error widens the interval
    wide = an.counting_fit([an.CountingChannel("x", 37.0, 26.4, 5.0, 11.9)])
    assert wide.mu_high - wide.mu_low > fit.mu_high - fit.mu_low


def test_no_excess_gives_zero_signal_and_zero_significance():
    fit = an.counting_fit([an.CountingChannel("x", 20.0, 26.4, 1.0, 11.9)])
    assert fit.mu == 0.0 and fit.significance == 0.0 and fit.mu_low == 0.0


def test_bad_channels_are_one_line_input_errors():
    with pytest.raises(InputError):
        an.CountingChannel("x", -1.0, 2.0, 0.1, 1.0)
    with pytest.raises(InputError):
        an.CountingChannel("x", 1.0, 2.0, 0.1, 0.0)
    with pytest.raises(InputError):
        an.counting_fit([])
    with pytest.raises(InputError):
        an.implied_sm_signal(3.5, 0.0)


def test_implied_sm_signal_scales_with_the_flux():
    assert an.implied_sm_signal(75.0, 8.4e6) == pytest.approx(75.0 * 5.46 / 8.4)
    paired, us2 = an.pandax_channels()
    assert (paired.signal_sm, us2.signal_sm) == pytest.approx((2.275, 48.75))


def test_momentum_transfer_on_xenon():
    """q = √(2 m T): 1 keV on Xe (m ≈ 122.3 GeV) is √(2 × 122300 MeV × 0.001 MeV) = 15.64 MeV."""
    assert float(an.momentum_transfer_mev(1.0, 122.3)) == pytest.approx(math.sqrt(244.6), rel=1e-12)


# --- against the published results (tolerances stated) ------------------------------------------
def test_xenonnt_counting_against_prl_133_191002():
    """One counting bin (37 observed, 26.4 ± 1.35 background, 11.9 SM ⁸B as recalled) finds the
    flux 4.86e6 vs the published 4.7e6 (within 5 %), but only 1.87 σ against 2.73 σ: the PRL's
    four-observable likelihood separates ⁸B from the accidental coincidences, one bin cannot
    (the counting significance is below the published one by 0.5-1 σ, recorded here)."""
    fit = an.counting_fit([an.xenonnt_sr01_channel()])
    assert fit.flux == pytest.approx(4.7e6, rel=0.05)
    assert 1.7 < fit.significance < 2.0 < an.XENONNT_SR01.significance
    low, high = fit.flux_interval
    assert low < 4.7e6 - 2.3e6 + 0.5e6 and high > 4.7e6 + 3.6e6 - 1.0e6   # 1σ interval of comparable width


def test_pandax_counting_against_prl_133_191001():
    """Paired + US2 as two counting bins: the flux 6.1e6 lies within the published (8.4 ± 3.1)e6
    1σ and the significance 1.8 σ below the published 2.64 σ (the US2 background, 251 ± 32, is
    pulled up by the excess when no S2 shape constrains it); recorded with those tolerances."""
    fit = an.counting_fit(list(an.pandax_channels()))
    assert abs(fit.flux - 8.4e6) < 3.1e6
    assert 1.5 < fit.significance < an.PANDAX_4T.significance
    # without the background uncertainty the best fit is the published US2-dominated one
    fixed = [an.CountingChannel(c.label, c.observed, c.background, 0.0, c.signal_sm) for c in an.pandax_channels()]
    assert an.counting_fit(fixed).flux == pytest.approx(8.4e6, rel=0.12)


def test_combined_counting_is_more_significant_than_either():
    x = an.counting_fit([an.xenonnt_sr01_channel()])
    p = an.counting_fit(list(an.pandax_channels()))
    both = an.counting_fit([an.xenonnt_sr01_channel(), *an.pandax_channels()])
    assert both.significance > max(x.significance, p.significance)
    assert min(x.flux, p.flux) < both.flux < max(x.flux, p.flux)


# --- the reproduction (needs the XENONnT release for its release steps) ----------------------------

@pytest.mark.skipif(not XENONNT_RELEASE.is_dir(), reason="XENONnT release not in ../shared/reference-data")
def test_reproduction_runs_fast_and_writes_every_figure(tmp_path):
    import time

    from cevns.reproduce import get_reproduction, write_report

    start = time.perf_counter()
    rep = get_reproduction("solar-8b", release_dirs={"xenonnt-8b": XENONNT_RELEASE})
    files = write_report(rep, tmp_path / "out", fast=False)
    assert time.perf_counter() - start < 60.0
    assert {"fig1_counting_flux", "fig2_predicted_spectra", "fig3_sin2w", "fig4_nsi", "fig6_recoil_spectra"} <= set(files.figures)
    by = {r["quantity"]: r for r in files.results}
    s2w = [r for q, r in by.items() if q.startswith("sin²θ_W")][0]["ours"]
    assert any(a < 0.2386 < b for a, b in s2w)   # the SM value is allowed at 1σ
    rates = {q: r["ours"] for q, r in by.items() if q.startswith("⁸B+hep CEvNS on")}
    assert rates["⁸B+hep CEvNS on Xe above 1.0 keV"] < rates["⁸B+hep CEvNS on Xe above 0.5 keV"]
    assert np.isfinite(list(rates.values())).all()
