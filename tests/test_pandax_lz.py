"""PandaX-4T (paired, S2-only) and LZ ⁸B experiment files and the xenon combination.

The PandaX efficiencies are assumed shapes whose half-points were tuned so that the SM ⁸B
count equals the one implied by PRL 133, 191001 (best fit × Φ_B16/Φ_fit): the first test
guards that tuning (it is not an independent check); the second checks the files' counts
against an independent integral of dR/dT × ε(T); the third redoes the paper's flux and
significance from the files' predictions with the counting likelihood (tolerances stated)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cevns.reproduce import solar_8b_analysis as an

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data"
XENONNT_RELEASE = SHARED / "XENONnT__cevns_data_release"


def _solar_registered() -> bool:
    from cevns.config.sources import source_types

    return "solar" in source_types()


pytestmark = pytest.mark.skipif(not _solar_registered(), reason="[source] type 'solar' not registered yet (cevns.config.sources)")

PANDAX = {"pandax-4t-8b-paired": 3.5, "pandax-4t-8b-s2only": 75.0}


@pytest.fixture(scope="module")
def experiments():
    from cevns.config.experiments import load_experiment

    return {name: load_experiment(name) for name in (*PANDAX, "lz-8b-2025")}


def test_exposures_are_the_published_ones(experiments):
    year = 365.25 * 86400.0
    for name, t_yr in (("pandax-4t-8b-paired", 1.20), ("pandax-4t-8b-s2only", 1.04), ("lz-8b-2025", 5.7)):
        e = experiments[name]
        assert e.mass_kg / 1000.0 * e.live_time_s / year == pytest.approx(t_yr, rel=1e-4)


def test_sm_8b_counts_match_the_counts_implied_by_the_paper(experiments):
    """Tuned: 2.28 (paired) and 48.75 (US2) events at B16-GS98 (best fit × 5.46/8.4), to 5 %."""
    for name, best_fit in PANDAX.items():
        implied = an.implied_sm_signal(best_fit, 8.4e6)
        assert experiments[name].binned_counts().total == pytest.approx(implied, rel=0.05)


def test_counts_equal_an_independent_integral(experiments):
    """The file's binned count = ∫ Σ_iso,flavour dR/dT · ε(T) dT over the bin (1 %)."""
    for name, e in experiments.items():
        lo, hi = e.response.edges[0], e.response.edges[-1]
        t = np.linspace(lo, hi, 20001)
        rates = e.differential_rates(t)
        dr = sum(np.asarray(v, dtype=float) for per_iso in rates.values() for v in per_iso.values())
        direct = np.trapezoid(dr * e.response.efficiency(t), t)
        assert e.binned_counts().total == pytest.approx(direct, rel=0.01), name


def test_pandax_flux_and_significance_from_the_files(experiments):
    """Counting fit of both data sets with the files' SM signals: flux within the published 1σ
    ((8.4 ± 3.1)e6) and significance in [1.5, 2.64] σ (one bin cannot use the S2 shape)."""
    channels = []
    for name in PANDAX:
        m = experiments[name].measurement()
        b = float(m.background[0])
        channels.append(an.CountingChannel(name, float(m.observed[0]), b, b * m.sigma_background,
                                           experiments[name].binned_counts().total))
    fit = an.counting_fit(channels)
    assert abs(fit.flux - an.PANDAX_4T.flux) < 3.1e6
    assert 1.5 < fit.significance <= an.PANDAX_4T.significance


def test_lz_is_a_forecast_without_counts(experiments):
    from cevns.config.files import ExperimentError

    lz = experiments["lz-8b-2025"]
    with pytest.raises(ExperimentError):
        lz.measurement()
    assert lz.measurement(forecast=True).bins == 1
    assert lz.binned_counts().total > 0


def test_more_tau_nsi_changes_the_pandax_signal(experiments):
    """ε_ττ^uV reaches the prediction through the ν_τ share of the ⁸B flux at Earth (MSW):
    ε^uV = −0.3 adds −0.3 (2Z + N) to the (negative) weak charge of the τ share only, so the count
    rises, but less than with the same ε for every flavour."""
    e = experiments["pandax-4t-8b-s2only"].predictor()
    sm = e.binned({}).total
    tau = e.binned({"eps_tautau_uV": -0.3}).total
    allf = e.binned({"eps_ee_uV": -0.3, "eps_mumu_uV": -0.3, "eps_tautau_uV": -0.3}).total
    assert sm < tau < allf


@pytest.mark.skipif(not XENONNT_RELEASE.is_dir(), reason="XENONnT release not in ../shared/reference-data")
def test_xenon_combination_loads_and_shares_the_flux():
    """One Sun: the ⁸B flux normalisation (12 %) is shared by the three members, so each
    member's own flux constraint is removed (σ_own = √(0.12² − 0.12²) = 0)."""
    from cevns.releases.combinations import load_combination

    comb = load_combination("xenon-8b", release_dirs={"xenonnt-8b": XENONNT_RELEASE})
    joint = comb.likelihood
    assert joint.labels == ("XENONnT", "PandaX-paired", "PandaX-US2")
    assert np.isfinite(joint.chi2({}))
    xenonnt = joint._own[0]
    assert xenonnt.flux_sigma == 0.0 and xenonnt.flux == "constrained"
    assert all(lk.measurement.sigma_signal == 0.0 for lk in joint._own[1:])
