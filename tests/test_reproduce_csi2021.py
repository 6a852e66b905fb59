"""``cevns reproduce coherent-csi-2021`` (COHERENT CsI 2021, PRL 129, 081801 (2022),
arXiv:2110.07730): run once with --fast through the CLI on the releases in ../shared
(skipped when absent); files, numbers next to the published ones, the missing-release error."""

from __future__ import annotations

import json

import pytest

from cevns.cli import main

from conftest import release_data_root

RELEASES = release_data_root()
NEEDED = ("csi-2021", "lar-2020-analysisA")
FIGURES = ("csi21_1_spectra", "csi21_2_counts", "csi21_3_sin2w", "csi21_4_rn", "csi21_5_nsi", "csi21_6_charge_radii",
           "csi21_7_fc")

pytestmark = pytest.mark.skipif(not all((RELEASES / n).is_dir() for n in NEEDED),
                                reason=f"{RELEASES}/csi-2021 or lar-2020-analysisA absent (../shared or CEVNS_RELEASE_DATA)")


@pytest.fixture(scope="module")
def out(reproduced):
    """The --fast run through the CLI with --data-release NAME=DIR (tests/conftest.py), shared."""
    return reproduced("coherent-csi-2021")


@pytest.fixture(scope="module")
def summary(out):
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def _ours(summary, start: str):
    rows = [r for r in summary["results"] if r["quantity"] == start] or \
        [r for r in summary["results"] if r["quantity"].startswith(start)]
    (row,) = rows
    return row["ours"]


def test_files_written(out):
    assert (out / "index.html").is_file() and (out / "summary.json").is_file()
    for name in FIGURES:
        assert (out / f"{name}.png").stat().st_size > 0
        assert (out / f"{name}.csv").stat().st_size > 0


def test_every_number_present(summary):
    assert len(summary["results"]) >= 30
    for row in summary["results"]:
        assert row["ours"] is not None, row["quantity"]


def test_main_numbers(summary):
    assert _ours(summary, "SM CEvNS prediction (PE < 60, t < 6 µs)") == pytest.approx(348.2, abs=0.5)
    assert _ours(summary, "best-fit CEvNS count") == pytest.approx(287.9, abs=1.0)
    assert _ours(summary, "sin²θ_W, CsI 2021") == pytest.approx(0.208, abs=0.005)
    # the measured cross section is (fitted/predicted) × the SM one
    ratio = _ours(summary, "best-fit CEvNS count") / _ours(summary, "SM CEvNS prediction (PE < 60, t < 6 µs)")
    assert _ours(summary, "measured flux-averaged cross section") == pytest.approx(
        ratio * _ours(summary, "SM flux-averaged cross section"), rel=1e-9)
    assert _ours(summary, "SM flux-averaged cross section") == pytest.approx(189.0, abs=6.0)
    assert _ours(summary, "nuclear-structure suppression") > 3.0


def test_missing_release_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CEVNS_RELEASE_DATA", raising=False)
    assert main(["reproduce", "coherent-csi-2021", "--out", str(tmp_path / "r"), "--fast"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "csi-2021" in err and "--data-release" in err and "CEVNS_RELEASE_DATA" in err
    assert not (tmp_path / "r").exists()


def test_listed(capsys):
    assert main(["reproduce", "--list"]) == 0
    assert "coherent-csi-2021" in capsys.readouterr().out


def test_release_folders_from_environment(monkeypatch, tmp_path):
    from cevns.errors import InputError
    from cevns.reproduce import release_dirs_for, required_releases

    monkeypatch.setenv("CEVNS_RELEASE_DATA", str(RELEASES))
    assert release_dirs_for("coherent-csi-2021") == {n: RELEASES / n for n in NEEDED}
    # --data-release wins over the environment
    assert release_dirs_for("coherent-csi-2021", {"csi-2021": tmp_path})["csi-2021"] == tmp_path
    monkeypatch.setenv("CEVNS_RELEASE_DATA", str(tmp_path))
    with pytest.raises(InputError, match="needs the data release csi-2021"):
        release_dirs_for("coherent-csi-2021")
    # the other reproductions read no release
    assert required_releases("papoulias-kosmas") == () and release_dirs_for("papoulias-kosmas") == {}


def test_bad_data_release_item(tmp_path, capsys):
    assert main(["reproduce", "coherent-csi-2021", "--out", str(tmp_path / "r"), "--data-release", "nonsense"]) == 2
    assert "NAME=DIR" in capsys.readouterr().err


# --- the speed paths of the analysis give the numbers of the general code -------------------------
@pytest.fixture(scope="module")
def csi_lks():
    from cevns.reproduce import coherent_csi_2021_analysis as an

    return an.likelihoods(str(RELEASES / "csi-2021"), str(RELEASES / "lar-2020-analysisA"))


def test_batched_chi2_equals_template_likelihood(csi_lks):
    """The reproduction's χ² (TemplateLikelihood's batched fit, row-wise line search of
    damped_newton) against the same fit point by point and against the line search of the
    whole batch in order (row_wise=False), on signals from far below to far above the data
    (k = 0 … 4: the far ones pin bins at μ = 0, where the skipped step lengths matter)."""
    import numpy as np

    from cevns.stats.templates import profiled_poisson_components

    lk = csi_lks.csi
    d = lk.data
    s = lk.signal({})
    ks = np.array([0.0, 0.3, 0.8, 1.0, 1.6, 2.5, 4.0])
    batched = lk.chi2_from_signal(ks[:, None] * s)
    templates, sigmas = lk._templates(ks[:, None] * s, d.sigma_signal)
    in_order = profiled_poisson_components(d.observed, templates, sigmas, d.off, d.off_ratio,
                                           shifts=lk._shifts(ks[:, None] * s), centres=d.constraint_centres,
                                           row_wise=False)
    assert batched == pytest.approx(in_order.chi2, rel=1e-12, abs=1e-9)
    for k, value in zip(ks, batched):
        assert value == pytest.approx(float(lk.chi2_from_signal(k * s)), rel=1e-12, abs=1e-9)


def test_batched_fc_equals_fc_study(csi_lks):
    """The FC statistic of all toys at once (delta_chi2_toys, what FCStudy and the
    reproduction use for template likelihoods) equals the toy-by-toy one of delta_chi2_grid
    (same seeds), also in groups smaller than the toys (bounded memory)."""
    import numpy as np

    from cevns.stats import feldman_cousins as fcm
    from cevns.stats.templates import TemplateLikelihood

    lk = csi_lks.csi
    plain = TemplateLikelihood(lk.predictor, lk.data, lk.fixed)
    grid = np.linspace(0.12, 0.32, 21)
    study = fcm.fc_study(plain, {"sin2_theta_w": grid}, seed=2021)
    for node in (0, 9):
        rng = np.random.default_rng(np.random.SeedSequence([2021, node, 0]))
        toys = list(study.sampler(plain, study.signals[node])(rng, 12))
        ref = np.array([fcm.delta_chi2_grid(toy, study.signals, study.shape)[node] for toy in toys])
        assert study(node, 0, 12) == pytest.approx(ref, rel=1e-9, abs=1e-9)
        assert fcm.delta_chi2_toys(lk, toys, study.signals, study.shape, node) == pytest.approx(ref, rel=1e-9, abs=1e-9)
        small = fcm.TOY_BATCH_VALUES
        try:
            fcm.TOY_BATCH_VALUES = 5 * (21 + 17) * study.signals.shape[1]  # groups of 5 toys
            assert fcm.delta_chi2_toys(lk, toys, study.signals, study.shape, node) == pytest.approx(ref, rel=1e-9, abs=1e-9)
        finally:
            fcm.TOY_BATCH_VALUES = small


def test_signal_strength_equals_bounded_fit(csi_lks):
    """The count fit from χ²(k) on a grid + Brent equals fit_signal_strength's bounded search."""
    from cevns.reproduce import coherent_csi_2021_analysis as an
    from cevns.stats.templates import fit_signal_strength

    ref = fit_signal_strength(csi_lks.csi)
    fit = an.signal_strength(csi_lks.csi).fit
    assert fit.predicted == pytest.approx(ref.predicted, rel=1e-12)
    assert fit.counts == pytest.approx(ref.counts, rel=1e-6)  # the bounded search stops at xatol = 1e-7 in k
    assert fit.chi2_min == pytest.approx(ref.chi2_min, abs=1e-9)
    assert (fit.low, fit.high) == pytest.approx((ref.low, ref.high), rel=1e-9)


def test_signal_strength_kept_for_the_last_likelihood_only(csi_lks):
    """Steps 1 and 2 share one signal-strength fit; asking about another likelihood replaces
    it (the module keeps one, not every likelihood it was asked about)."""
    import dataclasses

    from cevns.reproduce import coherent_csi_2021_analysis as an

    first = an.signal_strength(csi_lks.csi)
    assert an.signal_strength(csi_lks.csi) is first
    other = dataclasses.replace(csi_lks.csi)
    assert an.signal_strength(other).fit.counts == first.fit.counts
    assert len(an._LAST_STRENGTH) == 1 and an._LAST_STRENGTH[0][0] is other


def test_radius_grid_is_the_sum_of_isotopes(csi_lks):
    """χ²(R_n(Cs), R_n(I)) from per-isotope predictions equals one prediction per point."""
    import numpy as np

    from cevns.reproduce import coherent_csi_2021_analysis as an

    xs, ys = np.array([3.5, 4.8, 6.0]), np.array([4.0, 5.5])
    ref = an.grid_2d(csi_lks.csi, "rn_133Cs", xs, "rn_127I", ys)
    assert an.radius_grid_2d(csi_lks.csi, xs, ys) == pytest.approx(ref, rel=1e-12)


def test_batched_fc_equals_toy_by_toy_on_a_2d_grid(csi_lks):
    """On a two-parameter grid (sin²θ_W × R_n of ¹³³Cs, multilinear between nodes) the batched
    statistic equals the toy-by-toy one as well."""
    import numpy as np

    from cevns.stats import feldman_cousins as fcm

    lk = csi_lks.csi
    study = fcm.fc_study(lk, {"sin2_theta_w": np.linspace(0.15, 0.30, 5), "rn_133Cs": np.linspace(4.0, 6.5, 4)}, seed=7)
    node = 9
    rng = np.random.default_rng(np.random.SeedSequence([7, node, 0]))
    toys = list(study.sampler(lk, study.signals[node])(rng, 6))
    ref = np.array([fcm.delta_chi2_grid(toy, study.signals, study.shape)[node] for toy in toys])
    assert fcm.delta_chi2_toys(lk, toys, study.signals, study.shape, node) == pytest.approx(ref, rel=1e-9, abs=1e-9)
    assert study(node, 0, 6) == pytest.approx(ref, rel=1e-9, abs=1e-9)


def test_figures_fixed_frames_hold_their_texts():
    """The seven figures are drawn in fixed frames (constrained layout's, without its pass):
    every text inside the canvas, no panels overlapping."""
    from cevns.reproduce import get_reproduction
    from tests.figure_checks import assert_fixed_frame_holds_its_texts

    dirs = {n: str(RELEASES / n) for n in NEEDED}
    figures = [f for step in get_reproduction("coherent-csi-2021", release_dirs=dirs).steps for f in step.run(True).figures]
    assert len(figures) == 7
    for f in figures:
        assert_fixed_frame_holds_its_texts(f.name, f.figure)
