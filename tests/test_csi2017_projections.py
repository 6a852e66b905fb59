"""The CsI 2017 residual projections shipped as [data] (energy: coherent-csi-2017-energy,
time: coherent-csi-2017-time): the typed numbers are the release's counts, their sums are
the single-bin analysis' 142 and 405, and fits on them agree with the single bin."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from cevns.releases.csi_2017 import load_csi_2017
from cevns.config.experiments import load_experiment
from cevns.stats.fits import ExperimentLikelihood, fit

# $CEVNS_RELEASE_DATA: your own folder of release sub-folders (see tests/conftest.py)
RELEASE = (Path(os.environ["CEVNS_RELEASE_DATA"]).expanduser() if os.environ.get("CEVNS_RELEASE_DATA") else
           Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "coherent-data-releases") / "csi-2017"


@pytest.mark.parametrize("name", ["coherent-csi-2017-energy", "coherent-csi-2017-time"])
def test_projection_sums_equal_the_single_bin(name):
    m = load_experiment(name).measurement()
    assert (m.bins, m.observed.sum(), m.steady_state.sum()) == (12, 142.0, 405.0)
    assert m.background.sum() == pytest.approx(6.0, abs=0.01)


@pytest.mark.skipif(not RELEASE.is_dir(), reason="needs ../shared (COHERENT release copies)")
def test_projections_are_the_release_counts():
    r = load_csi_2017(RELEASE)
    roi = (r.pe_edges[:-1] >= 6.0) & (r.pe_edges[1:] <= 30.0)
    early = r.time_edges_us[1:] <= 6.0
    c, a = r.coincidence_beam_on[roi][:, early], r.anticoincidence_beam_on[roi][:, early]
    energy = load_experiment("coherent-csi-2017-energy").measurement()
    time = load_experiment("coherent-csi-2017-time").measurement()
    np.testing.assert_array_equal(energy.observed, (c - a).sum(axis=1))
    np.testing.assert_array_equal(energy.steady_state, a.sum(axis=1))
    np.testing.assert_array_equal(time.observed, (c - a).sum(axis=0))
    np.testing.assert_array_equal(time.steady_state, a.sum(axis=0))


def test_projection_fits_agree_with_the_single_bin():
    single = load_experiment("coherent-csi-2017")
    best_single = fit(ExperimentLikelihood(single.predictor(), single.measurement()), {"sin2_theta_w": 0.23})
    for name in ("coherent-csi-2017-energy", "coherent-csi-2017-time"):
        exp = load_experiment(name)
        lk = ExperimentLikelihood(exp.predictor(), exp.measurement())
        assert lk.signal().sum() == pytest.approx(single.binned_counts().total, rel=1e-12)
        best = fit(lk, {"sin2_theta_w": 0.23})
        # the shape adds information but the normalisation (28%) dominates: within 1σ
        assert abs(best.values["sin2_theta_w"] - best_single.values["sin2_theta_w"]) < best_single.errors["sin2_theta_w"]
