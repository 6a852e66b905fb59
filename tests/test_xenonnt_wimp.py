"""The XENONnT SI WIMP limit through the ⁸B release (cevns.releases.xenonnt_wimp): the folding
of a WIMP spectrum, the extra signal component of the profiled likelihood, the asymptotic
limits, and the comparison with the release's own curve (limits/sr2/xenonnt_2026_wimp_si.csv;
XENON, arXiv:2409.17868: SR0 + SR1).

Needs ../shared/reference-data/XENONnT__cevns_data_release (skipped with the reason when
absent). Measured ratios (ours / release's), SR0 + SR1, masses 3–12 GeV:
median 0.58, 0.80, 0.81, 0.88, 0.96, 1.01, 0.96, 0.98, 0.98, 1.02; observed held at the
median sensitivity 0.97, 0.98, 1.02, 0.99, 1.05, 1.05, 1.02, 1.03, 1.01, 1.04; unconstrained
observed 0.97, 0.98, 1.02, 0.90 at 3–6 GeV (falling to 0.10 at 12 GeV; with the threshold
rule q̃_μ = 1.28² to 0.48–0.71 above 6 GeV: see the module docstring). SR0–SR2 medians: 0.50–0.75.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from cevns.errors import InputError
from cevns.releases import xenonnt_8b as X
from cevns.stats.chi2 import poisson_deviance
from cevns.releases import xenonnt_templates as T
from cevns.releases import xenonnt_wimp as W
from conftest import SHARED

FOLDER = SHARED / "XENONnT__cevns_data_release"
needs_release = pytest.mark.skipif(not (FOLDER / W.LIMIT_FILE).is_file(),
                                   reason="../shared/reference-data/XENONnT__cevns_data_release absent")
pytestmark = needs_release


@pytest.fixture(scope="module")
def lk() -> X.XenonNT8BLikelihood:
    return X.xenonnt_8b_likelihood(FOLDER, runs=W.LIMIT_RUNS)


@pytest.fixture(scope="module")
def limits(lk) -> tuple[W.SiLimit, ...]:
    return tuple(W.si_limit(lk, r["mass"]) for r in W.read_release_limits(FOLDER))


@pytest.fixture(scope="module")
def table(limits) -> list[dict[str, float]]:
    return W.comparison_table(limits, W.read_release_limits(FOLDER))


def test_a_delta_like_spectrum_folds_to_its_mono_template(lk):
    """A spectrum that is 1/τ at the fine point of mono node i and 0 elsewhere integrates to 1
    at E_i: folded counts = livetime × mono template i, at every yield node and run."""
    e = T.fine_energies(lk.refine)
    tau = 0.1 / lk.refine
    for i in (0, 7, 23, 45):
        spec = np.zeros(e.size)
        j = int(np.argmin(np.abs(e - T.MONO_ENERGIES_KEV[i])))
        spec[j] = 1.0 / (tau * (0.5 if j in (0, e.size - 1) else 1.0))
        folded = lk.folded(spec)
        for r, run in enumerate(lk.runs):
            direct = run.livetime_tyr * run.mono.reshape(49, 46, T.N_BINS)[:, i, :]
            assert np.allclose(folded[r], direct, rtol=1e-12, atol=0)


def test_the_wimp_spectrum_is_folded_like_the_8b_signal(lk):
    """The WIMP counts are the same fold as any other spectrum (fold() of the templates module)."""
    w = W.wimp_spectrum(10.0, lk.refine)
    run = lk.runs[0]
    direct = T.fold(w, run.mono[3, 3], run.livetime_tyr, lk.refine)
    assert np.allclose(lk.folded(w)[0, 24], direct, rtol=1e-12)
    # 10 GeV WIMPs at 1e-45 cm²: 33 events in SR0 + SR1 (nominal yields)
    assert float(lk.folded(w)[:, 24].sum()) == pytest.approx(33.0, rel=0.02)


def test_extra_component_equals_adding_it_to_the_signal_when_the_flux_is_fixed(lk):
    b = lk.signal()
    w = W.wimp_spectrum(6.0, lk.refine)
    for scale in (0.5, 3.0):
        with_extra = lk.profile(b, extra=scale * w, fix={0: 1.0})
        summed = lk.profile(b + scale * w, fix={0: 1.0})
        assert float(with_extra.chi2) == pytest.approx(float(summed.chi2), abs=1e-7)
        assert np.allclose(with_extra.params, summed.params, atol=1e-4)
    # batches broadcast: one background, several WIMP strengths
    batch = lk.profile(b, extra=np.array([0.5, 3.0])[:, None] * w[None, :], fix={0: 1.0})
    assert np.allclose(batch.chi2, [float(lk.profile(b + s * w, fix={0: 1.0}).chi2) for s in (0.5, 3.0)], atol=1e-7)


def test_extra_component_profile_matches_a_general_minimiser(lk):
    """Flux scale free: the Newton profile with the WIMP component against L-BFGS-B on the
    same expectation (f scales only the ⁸B part)."""
    from scipy import optimize

    b = lk.signal()
    w = 2.0 * W.wimp_spectrum(8.0, lk.refine)
    fit = lk.profile(b, extra=w)
    sig, centre = lk._sigmas(), lk.nominal()
    inv2 = np.where(np.isfinite(sig), 1 / np.where(np.isfinite(sig), sig, 1.0) ** 2, 0.0)

    def objective(x):
        parts = lk.expected(b, x)
        y = np.r_[1.0, x[1:]]
        mu = sum(parts.values()) + lk.expected(w, y)["signal"]
        return float(poisson_deviance(lk.observed, mu).sum() + np.sum(inv2 * (x - centre) ** 2))

    bounds = [(0, None), (-3, 3), (-3, 3)] + [(0, None)] * (len(centre) - 3)
    ref = optimize.minimize(objective, centre, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-10})
    assert float(fit.chi2) == pytest.approx(ref.fun, abs=1e-6)
    assert np.allclose(fit.params, ref.x, atol=2e-3)


def test_on_asimov_background_only_data_the_observed_limit_is_the_median(lk):
    """μ̂ = 0 and q̃_μ = q_{μ,A} on the Asimov data: the observed limit is the median (Cowan et al. 2011)."""
    asimov = lk.asimov()
    lim = W.si_limit(asimov, 8.0)
    assert lim.mu_hat == pytest.approx(0.0, abs=1e-6)
    assert lim.observed == pytest.approx(lim.median, rel=1e-4)
    assert lim.observed_threshold == pytest.approx(lim.median, rel=1e-4)
    z = W.Z90
    assert lim.bands[2] == pytest.approx(lim.median, rel=1e-12)
    assert lim.bands[3] / lim.median == pytest.approx((z + 1) / z, rel=1e-12)
    assert np.isnan(lim.bands[0])


def test_limits_fall_with_mass_and_with_exposure(limits, lk):
    med = np.array([lim.median for lim in limits])
    assert np.all(np.diff(med) < 0)
    assert all(lim.bands[1] < lim.median < lim.bands[3] < lim.bands[4] for lim in limits)
    # more exposure (SR0–SR2, 6.77 against 3.52 t·yr): a lower median at each mass
    more = X.xenonnt_8b_likelihood(FOLDER, runs="sr0,sr1,sr2")
    for lim in limits[3::3]:
        assert W.si_limit(more, lim.mass_gev).median < lim.median


def test_median_sensitivity_against_the_release(table):
    """SR0 + SR1: medians 0.80–1.02 of the release's from 4 GeV; 0.58 at 3 GeV, where the
    recoils end below 1 keV_NR at the lower edge of the templates (module docstring)."""
    ratios = {row["mass_gev"]: row["ratio_median"] for row in table}
    assert ratios[3.0] == pytest.approx(0.58, abs=0.05)
    assert all(0.75 < r < 1.1 for m, r in ratios.items() if m >= 4.0)
    assert all(0.9 < r < 1.1 for m, r in ratios.items() if m >= 7.0)
    # the asymptotic ±1σ band is narrower than the release's toy-MC band
    assert all(0.35 < row["ratio_minus1"] < 0.6 for row in table)
    assert all(0.2 < row["ratio_plus1"] < 1.0 for row in table)


def test_observed_limit_against_the_release(table):
    """Unconstrained: 0.90–1.02 at 3–6 GeV; held at the median sensitivity: 0.965–1.054 everywhere."""
    for row in table:
        assert 0.94 < row["ratio_pcl_median"] < 1.06, row
        if row["mass_gev"] <= 6.0:
            assert 0.88 < row["ratio_observed"] < 1.05, row
            assert 0.88 < row["ratio_threshold"] < 1.05, row
        else:  # the deficit above 6 GeV (module docstring): threshold rule 0.48–0.71, Eq. 67 0.10–0.61
            assert row["ratio_observed"] < 0.7, row
            assert 0.4 < row["ratio_threshold"] < 0.8, row
            assert row["ratio_observed"] <= row["ratio_threshold"] + 1e-9, row


def test_power_constraint_and_bad_input(limits):
    lim = limits[-1]
    assert lim.power_constrained(0) == max(lim.observed, lim.median)
    assert lim.power_constrained(-1) == max(lim.observed, lim.bands[1])
    with pytest.raises(InputError):
        lim.power_constrained(2)
    with pytest.raises(InputError, match="WIMP mass"):
        W.wimp_spectrum(-1.0, 1)
    with pytest.raises(InputError, match="missing"):
        W.read_release_limits(FOLDER / "nowhere")


def test_release_limit_file_is_read(tmp_path):
    rows = W.read_release_limits(FOLDER)
    assert [r["mass"] for r in rows] == [float(m) for m in range(3, 13)]
    assert rows[3]["upper_limit"] == pytest.approx(2.5e-45, rel=0.01)  # arXiv:2409.17868 abstract, 6 GeV
    bad = tmp_path / W.LIMIT_FILE
    bad.parent.mkdir(parents=True)
    bad.write_text("mass,upper_limit\n3,1e-42\n")
    with pytest.raises(InputError, match="columns"):
        W.read_release_limits(tmp_path)


def test_no_events_in_the_templates_is_one_line_error(lk):
    tiny = dataclasses.replace(lk)
    with pytest.raises(InputError, match="no events"):
        W.si_limit(tiny, 0.5)


def test_the_neutrino_fog_step(monkeypatch, tmp_path):
    """The reproduction step (cevns.reproduce.xenonnt_wimp_limit): None without the release,
    a figure and median/observed results per mass with it (fast: every third mass)."""
    from cevns.releases.combinations import RELEASE_DATA_ENV
    from cevns.reproduce.xenonnt_wimp_limit import xenonnt_limit_step

    monkeypatch.delenv(RELEASE_DATA_ENV, raising=False)
    assert xenonnt_limit_step() is None
    assert xenonnt_limit_step(tmp_path) is None
    monkeypatch.setenv(RELEASE_DATA_ENV, str(tmp_path))
    (tmp_path / "xenonnt-8b").symlink_to(FOLDER, target_is_directory=True)
    step = xenonnt_limit_step()
    assert step is not None and step.key == "xenonnt-limit"
    out = step.run(True)
    assert len(out.figures) == 1 and set(out.figures[0].columns) == {"series", "mass_GeV", "sigma_cm2"}
    masses = [3.0, 6.0, 9.0, 12.0]
    assert len(out.results) == 2 * len(masses)
    for res in out.results:
        assert res.relative_difference is not None and abs(res.relative_difference) < 0.45, res
