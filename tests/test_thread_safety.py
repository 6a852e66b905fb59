"""One predictor shared by threads: the memos of the rate nodes (form factors per nuclear
structure, oscillated moments per Δm²₄₁, oscillation tables) and of the L_μ − L_τ loop
integral are hit and evicted concurrently, and every result must equal the serial one
bit for bit, with no exception. Also: predictors survive pickling (process pools)."""

from __future__ import annotations

import pickle
import random
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from cevns.config.experiments import load_experiment
from cevns.physics.interactions import PhysicsModel, differential_cross_section
from cevns.physics.interactions import vector_mediator
from cevns.physics.nuclei import isotope
from cevns.physics.parameters import apply_parameters


@pytest.fixture
def frequent_switches():
    """Threads switch every microsecond instead of every 5 ms, so that a race between a
    memo's check and its use shows up in a short test (it did, as a KeyError, before the
    memos were locked)."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def _points() -> list[dict[str, float | str]]:
    """More Δm² values, radii and L_μ − L_τ settings than the memos keep (8, 4 and 8)."""
    points: list[dict[str, float | str]] = [{}]
    points += [{"dm2_41": dm2, "Ue4_sq": 0.03 + 0.01 * i, "Umu4_sq": 0.02} for i, dm2 in enumerate(np.geomspace(0.3, 30.0, 12))]
    points += [{"dm2_41": 2.0, "sin2_2theta_24": 0.1 + 0.05 * i} for i in range(3)]  # same Δm², other mixings
    points += [{"zprime_model": "Lmu-Ltau", "zprime_mass": m, "zprime_coupling": 3e-4} for m in (3.0, 10.0, 30.0, 100.0)]
    points += [{"rn": r} for r in (4.2, 4.5, 4.8, 5.1, 5.4, 5.7)]
    points += [{"rn": 5.0, "dm2_41": 4.0, "Umu4_sq": 0.05, "zprime_model": "Lmu-Ltau", "zprime_mass": 20.0, "zprime_coupling": 2e-4}]
    points += [{"eps_ee_uV": 0.1, "eps_emu_dV": 0.05, "scalar_coupling": 1e-4, "mu_nu_mu": 1e-9, "axial": 1.0}]
    return points


@pytest.mark.parametrize("experiment", ["coherent-csi-2017", "coherent-lar-2020", "coherent-csi-2017-time"])
def test_predictor_shared_by_eight_threads_equals_serial(experiment, frequent_switches):
    points = _points()
    serial_predictor = load_experiment(experiment).predictor()

    def evaluate(predictor, point):
        return predictor.binned(point).counts, predictor.binned_by_source(point).counts

    serial = [evaluate(serial_predictor, p) for p in points]
    shared = load_experiment(experiment).predictor()  # fresh: empty memos
    vector_mediator._loop_integral_cached.cache_clear()  # the module-level loop memo too
    jobs = [i for i in range(len(points)) for _ in range(10)]
    random.Random(7).shuffle(jobs)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: (i, evaluate(shared, points[i])), jobs))
    assert len(results) == len(jobs)
    for i, (counts, by_source) in results:
        assert np.array_equal(counts, serial[i][0]), points[i]
        assert np.array_equal(by_source, serial[i][1]), points[i]


def test_cross_sections_shared_by_eight_threads_equal_serial(frequent_switches):
    """Many recoil grids for the L_μ − L_τ loop (more than its memo keeps), concurrently."""
    model = apply_parameters(PhysicsModel(), {"zprime_model": "Lmu-Ltau", "zprime_mass": 15.0, "zprime_coupling": 5e-4})
    isotopes = [isotope("Cs", 133), isotope("Ar", 40)]
    grids = [np.geomspace(1e-4, 1e-2 * (1 + 0.1 * k), 40) for k in range(20)]
    tasks = [(iso, grid, flavor) for iso in isotopes for grid in grids for flavor in ("nu_mu", "nu_tau_bar", "nu_e")]

    def dsigma(task):
        iso, grid, flavor = task
        return differential_cross_section(30.0, grid, iso, flavor, model)

    serial = [dsigma(t) for t in tasks]
    vector_mediator._loop_integral_cached.cache_clear()
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(dsigma, tasks * 3))
    for k, value in enumerate(threaded):
        assert np.array_equal(value, serial[k % len(tasks)])


def test_predictor_pickles_with_its_memos():
    predictor = load_experiment("coherent-csi-2017").predictor()
    point = {"dm2_41": 1.5, "Ue4_sq": 0.05, "rn": 5.0}
    expected = predictor.binned(point).counts  # fills the memos
    copy = pickle.loads(pickle.dumps(predictor))
    assert np.array_equal(copy.binned(point).counts, expected)
    assert np.array_equal(copy.binned().counts, predictor.binned().counts)
