"""The reactor-germanium reproduction: registered, runs (--fast) within its time budget, and
its headline numbers agree with the published ones where they exist."""

from __future__ import annotations

import json

import pytest

from cevns.reproduce import get_reproduction, reproduction_names
from cevns.reproduce.report import write_report


@pytest.fixture(scope="module")
def summary(tmp_path_factory):
    out = tmp_path_factory.mktemp("reactor-germanium")
    files = write_report(get_reproduction("reactor-germanium"), out, fast=True)
    assert files.seconds < 60.0
    data = json.loads((out / "summary.json").read_text())
    return {r["quantity"]: r for r in data["results"]}


def test_registered():
    assert "reactor-germanium" in reproduction_names()


def test_published_numbers(summary):
    assert summary["CONUS+: significance against no CEvNS"]["ours"] == pytest.approx(3.7, abs=0.05)
    assert summary["Dresden-II: significance against no CEvNS"]["ours"] == pytest.approx(3.036, abs=0.01)
    assert summary["CONUS: 90% CL upper limit on the strength"]["ours"] == pytest.approx(2.0, rel=0.03)
    assert summary["TEXONO: 90% CL upper limit on the strength"]["ours"] == pytest.approx(4.7, rel=0.03)
    assert summary["COHERENT Ge 2026: CEvNS strength"]["ours"] == pytest.approx(1.0, abs=0.01)


def test_quenching_moves_the_strength(summary):
    """A larger Lindhard k quenches less, predicts more counts, so the fitted strength of the
    same observed counts falls: for every reactor data set."""
    for label in ("Dresden-II: strength (best fit)", "CONUS+: strength (best fit)"):
        low_k, high_k = next(r["ours"] for q, r in summary.items() if q.startswith(label))
        assert low_k > 1.0 > high_k


def test_physics_and_n_squared(summary):
    lo, hi = summary["sin2_theta_w, global, 90% CL (Δχ² = 2.71, grid)"]["ours"]
    assert lo < 0.2386 < hi   # the SM value inside
    glo, ghi = summary["sin2_theta_w, reactors (reactor-ge), 90% CL (Δχ² = 2.71, grid)"]["ours"]
    assert ghi - glo > hi - lo   # adding COHERENT and PandaX narrows it
    assert 1.6 < summary["σ ∝ N^α: α"]["ours"] < 2.4


def test_strength_under_the_named_quenching_models(summary):
    """The quenching step also refits every reactor data set under each named germanium model
    (ge-lindhard-theory k = 0.157, ge-conus-2022 k = 0.162, ge-scholz-2016 k = 0.179 with the
    adiabatic correction): more ionisation, more predicted counts, a smaller strength. The
    entry of each file's own model equals its data-set strength (Dresden-II: ge-lindhard-theory,
    1.00; CONUS+: ge-conus-2022, 395/368.7)."""
    dresden = summary["Dresden-II: strength best fit under ge-lindhard-theory / ge-conus-2022 / ge-scholz-2016"]["ours"]
    conus_plus = summary["CONUS+: strength best fit under ge-lindhard-theory / ge-conus-2022 / ge-scholz-2016"]["ours"]
    for mus in (dresden, conus_plus):
        assert mus[0] > mus[1] > mus[2]
    assert dresden[0] == pytest.approx(summary["Dresden-II: CEvNS strength"]["ours"], rel=1e-6)
    assert conus_plus[1] == pytest.approx(summary["CONUS+: CEvNS strength"]["ours"], rel=1e-6)
    assert conus_plus[1] == pytest.approx(395.0 / 368.73, rel=2e-3)
    for label in ("CONUS", "TEXONO"):
        limits = summary[f"{label}: strength 90% CL limit under ge-lindhard-theory / ge-conus-2022 / ge-scholz-2016"]["ours"]
        assert limits[0] > limits[1] > limits[2]


# --- the speed-ups keep the numbers: batched and polynomial forms against point-by-point χ² ---------------


@pytest.fixture(scope="module")
def reactor_joint():
    from cevns.reproduce import reactor_germanium as rg

    return rg._joint("reactor-ge")


@pytest.mark.parametrize("name", ["sin2_theta_w", "mu_nu_e", "r2_nu_e", "q_nu_e"])
def test_electroweak_profile_from_the_quadratic_equals_point_by_point(reactor_joint, name, monkeypatch):
    """The physics step's χ² along each parameter comes from the counts' exact quadratic (five
    joint predictions: a line refused, a parabola accepted) and one batched profile of the
    shared normalisations; it must equal the joint χ² predicted and profiled at each point on
    its own (grid ends, middle and off-node points)."""
    import numpy as np

    from cevns.reproduce import reactor_germanium as rg
    from cevns.reproduce.common import exact_chi2_along

    lo, hi = rg._PARAMETERS[name][1]
    grid = np.linspace(lo, hi, 21)
    predictions = []
    signal = type(reactor_joint).signal
    monkeypatch.setattr(type(reactor_joint), "signal", lambda self, values=None: predictions.append(values) or signal(self, values))
    c = exact_chi2_along(reactor_joint, name, grid)
    monkeypatch.undo()
    assert len(predictions) == 5
    for i in (0, 3, 10, 16, 20):
        assert c[i] == pytest.approx(reactor_joint.chi2({name: float(grid[i])}), rel=1e-9, abs=1e-9)


def test_batched_group_strengths_and_power_law_equal_single_points(reactor_joint):
    """group_strength_chi2 and power_law_chi2 take a whole grid at once (one batched profile);
    each entry equals the single-point call, and μ = 1 for every group (α = 2) is the SM χ²."""
    import numpy as np

    from cevns.reproduce import reactor_germanium_analysis as an

    labels = reactor_joint.labels
    groups = {"first": (labels[0],), "rest": tuple(labels[1:])}
    chi2 = an.group_strength_chi2(reactor_joint, groups)
    mus = np.array([[0.0, 1.0], [0.5, 1.0], [1.0, 1.0], [2.0, 0.7]])
    batch = chi2(mus)
    assert batch.shape == (4,)
    for row, value in zip(mus, batch):
        single = chi2([float(row[0]), float(row[1])])
        assert isinstance(single, float) and value == pytest.approx(single, rel=1e-12, abs=1e-12)
    sm = reactor_joint.chi2()
    assert batch[2] == pytest.approx(sm, rel=1e-9, abs=1e-9)
    power = an.power_law_chi2(reactor_joint, {lab: 40.6 + i for i, lab in enumerate(labels)})
    alphas = np.array([1.8, 2.0, 2.3])
    values = power(alphas)
    assert [pytest.approx(power(float(a)), rel=1e-12, abs=1e-12) for a in alphas] == list(values)
    assert values[1] == pytest.approx(sm, rel=1e-9, abs=1e-9)
