"""Fast scans, executors, stores and pseudo-experiments.

The polynomial signal must equal the full prediction (it is accepted only if exact);
serial, process-pool and Dask runs must give identical arrays; stores refuse other
configurations and unreadable files; pseudo-experiments recover the truth and the Wilks
thresholds cover as they should (binomial tolerances).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from cevns.config.experiments import load_experiment
from cevns.stats.fits import ONE_DOF_LEVELS, ExperimentLikelihood
from cevns.runtime.parallel import ExecutorError, executor
from cevns.stats.scans import (
    PolynomialSignal,
    _exponents,
    chunk_evaluator,
    empty_scan,
    grid_signal,
    polynomial_signal,
    scan,
)
from cevns.runtime.stores import StoreError, read_store, write_store
from cevns.stats.toys import empty_toys, run_toys, toy_study


AXES = {"eps_ee_uV": np.linspace(-1.0, 1.0, 41), "eps_ee_dV": np.linspace(-1.0, 1.0, 37)}


def test_polynomial_scan_equals_the_full_prediction(csi):
    fast, method = chunk_evaluator(csi, AXES)
    slow, slow_method = chunk_evaluator(csi, AXES, fast=False)
    assert (method, slow_method) == ("polynomial", "per-point")
    flat = np.random.default_rng(3).choice(41 * 37, size=60, replace=False)
    np.testing.assert_allclose(fast(flat), slow(flat), rtol=1e-9)


@pytest.mark.parametrize("shape, bins", [((7,), 3), ((13, 11), 1), ((5, 6, 9), 12)])
def test_grid_signal_equals_the_pointwise_polynomial(shape, bins):
    """The regrouped grid evaluation (rows × power table of the last axis) is the same
    polynomial as PolynomialSignal at every point: random degree-4 polynomials, chunks
    that start and end inside rows, single points and unordered indices."""
    rng = np.random.default_rng(len(shape) * 100 + bins)
    k = len(shape)
    exps = _exponents(k, 4)
    poly = PolynomialSignal(tuple(f"x{j}" for j in range(k)), rng.uniform(-1, 1, k), rng.uniform(0.5, 2, k),
                            exps, rng.uniform(1, 2, (len(exps), bins)))
    axes = tuple(np.sort(rng.uniform(-3, 3, n)) for n in shape)
    grid = grid_signal(poly, axes)
    size = int(np.prod(shape))
    for flat in (np.arange(size), np.arange(3, size - 2), np.arange(size - 1, size), rng.permutation(size)[:17]):
        idx = np.unravel_index(flat, shape)
        points = np.column_stack([a[i] for a, i in zip(axes, idx)])
        ref = poly(points)
        got = grid(flat)
        assert got.shape == (flat.size, bins)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12 * np.abs(ref).max())


@pytest.mark.parametrize("name", ["coherent-csi-2017", "coherent-csi-2017-energy"])
def test_fast_grid_chi2_equals_the_exact_likelihood(name):
    """The polynomial grid path (closed-form pulls) against ExperimentLikelihood.chi2 with
    full predictions at random points of a 2-D NSI grid, single bin and 12 bins."""
    exp = load_experiment(name)
    lk = ExperimentLikelihood(exp.predictor(), exp.measurement())
    axes = {"eps_ee_uV": np.linspace(-1.0, 1.0, 301), "eps_ee_dV": np.linspace(-1.0, 1.0, 257)}
    fast, method = chunk_evaluator(lk, axes)
    assert method == "polynomial"
    rng = np.random.default_rng(17)
    start = int(rng.integers(0, 301 * 257 - 2000))
    flat = np.arange(start, start + 2000)  # a contiguous chunk spanning rows, as scans give
    values = fast(flat)
    for j in rng.choice(flat.size, 25, replace=False):
        u, d = np.unravel_index(flat[j], (301, 257))
        exact = lk.chi2({"eps_ee_uV": float(axes["eps_ee_uV"][u]), "eps_ee_dV": float(axes["eps_ee_dV"][d])})
        assert values[j] == pytest.approx(exact, rel=1e-10, abs=1e-10)
    # the closed form equals the general solver on the same polynomial signals, also for
    # a chunk longer than the in-cache pieces it is cut into
    for flat in (flat, np.arange(20000)):
        idx = np.unravel_index(flat, (301, 257))
        points = np.column_stack([axes["eps_ee_uV"][idx[0]], axes["eps_ee_dV"][idx[1]]])
        np.testing.assert_allclose(fast(flat), lk.chi2_from_signal(fast.signal(points)), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "ranges, fixed, degree",
    [
        ({"sin2_theta_w": (0.1, 0.4)}, {}, 2),  # g_V^p linear in sin²θ_W, counts ∝ 𝒬²
        ({"mu_nu_mu": (0.0, 50.0)}, {}, 2),  # an incoherent μ² term
        ({"zprime_coupling": (0.0, 1e-4)}, {"zprime_mass": 10.0}, 4),  # 𝒬 shift ∝ g²
        ({"eps_emu_uV": (-0.5, 0.5), "eps_ee_dV": (-0.5, 0.5), "r2_nu_e": (-50.0, 50.0)}, {}, 2),
    ],
)
def test_polynomial_degree_follows_the_physics(csi, ranges, fixed, degree):
    lk = csi.with_fixed(fixed)
    poly = polynomial_signal(lk, ranges)
    assert poly is not None and int(poly.exponents.sum(axis=1).max()) == degree
    point = {k: 0.3 * a + 0.7 * b for k, (a, b) in ranges.items()}
    assert poly(np.array([[point[n] for n in poly.names]]))[0] == pytest.approx(lk.signal(point), rel=1e-9)


@pytest.mark.parametrize("ranges", [{"rn": (4.5, 5.5)}, {"zprime_mass": (1.0, 100.0)}, {"dm2_41": (0.5, 5.0)}])
def test_non_polynomial_parameters_are_evaluated_point_by_point(csi, ranges):
    lk = csi.with_fixed({"zprime_coupling": 1e-4, "Ue4_sq": 0.1} if "dm2_41" in ranges or "zprime_mass" in ranges else {})
    assert polynomial_signal(lk, ranges) is None
    _, method = chunk_evaluator(lk, {k: np.linspace(*v, 5) for k, v in ranges.items()})
    assert method == "per-point"


def test_profiled_scan_point_is_the_fit(csi):
    axes = {"eps_ee_uV": np.linspace(-0.2, 0.2, 3)}
    state = scan(csi, empty_scan(axes), profiled={"eps_ee_dV": 0.0})
    # at every point the profiled χ² can only be below the one with eps_ee_dV = 0
    assert np.all(state.chi2 <= [csi.chi2({"eps_ee_uV": x}) + 1e-9 for x in axes["eps_ee_uV"]])


def test_serial_processes_and_dask_give_identical_results(csi):
    serial = scan(csi, empty_scan(AXES), chunk=200)
    with executor(workers=2) as pool:
        parallel = scan(csi, empty_scan(AXES), chunk=200, executor=pool)
    np.testing.assert_array_equal(serial.chi2, parallel.chi2)
    pytest.importorskip("distributed")
    with executor(workers=2, dask="local") as pool:
        on_dask = scan(csi, empty_scan(AXES), chunk=200, executor=pool)
    np.testing.assert_array_equal(serial.chi2, on_dask.chi2)


def test_thread_pool_scan_equals_process_pool_scan_bit_for_bit():
    """A per-point scan (the neutron radius is not polynomial) with a free parameter
    profiled at every point: threads share one predictor and fill its caches concurrently
    (from cold), processes each work on their own copy; the χ² are identical."""
    exp = load_experiment("coherent-csi-2017")
    axes = {"rn": np.linspace(4.0, 6.5, 25), "eps_ee_uV": np.linspace(-0.3, 0.3, 12)}  # 300 points
    profiled = {"sin2_theta_w": 0.238}
    results = {}
    for threads in (True, False):
        lk = ExperimentLikelihood(exp.predictor(), exp.measurement())  # a fresh predictor: cold caches
        assert chunk_evaluator(lk, axes, profiled)[1] == "per-point"
        with executor(workers=2, threads=threads) as pool:
            assert isinstance(pool, ThreadPoolExecutor if threads else ProcessPoolExecutor)
            results[threads] = scan(lk, empty_scan(axes), profiled=profiled, chunk=10, executor=pool)
    assert results[True].complete and results[False].complete
    assert np.all(np.isfinite(results[True].chi2))
    assert np.array_equal(results[True].chi2, results[False].chi2)


def test_bad_executors_fail_fast():
    with pytest.raises(ExecutorError, match="≥ 1"):
        with executor(workers=0):
            pass
    with pytest.raises(ExecutorError, match="threads or a Dask scheduler"):
        with executor(workers=2, threads=True, dask="local"):
            pass
    pytest.importorskip("distributed")
    start = time.perf_counter()
    with pytest.raises(ExecutorError, match="cannot reach the Dask scheduler"):
        with executor(dask="tcp://127.0.0.1:9", connect_timeout_s=2.0):
            pass
    assert time.perf_counter() - start < 15.0


def test_store_round_trip_and_refusals(tmp_path):
    path = tmp_path / "s.npz"
    config = {"a": 1, "b": [1.0, 2.0]}
    write_store(path, config, {"x": np.arange(3.0)})
    np.testing.assert_array_equal(read_store(path, config, ("x",))["x"], np.arange(3.0))
    with pytest.raises(StoreError, match=r"differs in: b"):
        read_store(path, {"a": 1, "b": [1.0, 3.0]}, ("x",))
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(StoreError, match="not a readable store"):
        read_store(path, config, ("x",))
    assert [p.name for p in tmp_path.iterdir()] == ["s.npz"]  # no temporary files left


def test_pseudo_experiments_recover_the_truth_and_wilks_coverage(csi):
    """400 Poisson pseudo-experiments of CsI 2017 at the SM: the median fit is the truth,
    and the Wilks thresholds cover 68.3 / 90 / 95.4% within 3 binomial σ."""
    truth = 0.23857
    study = toy_study(csi, {"sin2_theta_w": truth}, seed=7)
    assert study.fast is not None
    result = run_toys(study, empty_toys(("sin2_theta_w",), 400))
    assert np.median(result.best[:, 0]) == pytest.approx(truth, abs=0.01)
    for label, cover in result.coverage(ONE_DOF_LEVELS).items():
        p = ONE_DOF_LEVELS[label]
        assert abs(cover - p) < 3 * np.sqrt(p * (1 - p) / 400), (label, cover)


def test_pseudo_experiments_do_not_depend_on_chunks_or_workers(csi):
    study = toy_study(csi, {"sin2_theta_w": 0.23857}, seed=11)
    a = run_toys(study, empty_toys(("sin2_theta_w",), 60), chunk=20)
    with executor(workers=2) as pool:
        b = run_toys(study, empty_toys(("sin2_theta_w",), 60), chunk=20, executor=pool)
    np.testing.assert_array_equal(a.statistic, b.statistic)
    # the exact (full prediction) fit agrees with the polynomial one
    exact = run_toys(toy_study(csi, {"sin2_theta_w": 0.23857}, seed=11, fast=False), empty_toys(("sin2_theta_w",), 20), chunk=20)
    np.testing.assert_allclose(exact.statistic, a.statistic[:20], atol=1e-4)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(cwd / ".mpl"))
    return subprocess.run([sys.executable, "-m", "cevns.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_cli_toys_resume_and_bad_input(tmp_path):
    args = ("toys", "coherent-csi-2017", "--free", "sin2_theta_w", "--n", "40", "--chunk", "10", "--seed", "3", "--json")
    full = _cli(*args, "--out", "t.npz", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    out = json.loads(full.stdout)
    assert set(out) >= {"coverage", "critical_delta_chi2", "wilks"}
    with np.load(tmp_path / "t.npz") as f:
        stat = f["statistic"].copy()
        config = json.loads(str(f["config"]))
    # a study cut after two chunks, then resumed, equals the uninterrupted one
    done = np.zeros(40, dtype=bool)
    done[:20] = True
    write_store(tmp_path / "cut.npz", config, {"names": np.array(["sin2_theta_w"]), "statistic": np.where(done, stat, np.nan),
                                              "best": np.full((40, 1), np.nan), "done": done})
    resumed = _cli(*args, "--out", "cut.npz", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    with np.load(tmp_path / "cut.npz") as f:
        np.testing.assert_array_equal(f["statistic"], stat)
    other = _cli(*args[:-1], "--seed", "4", "--out", "cut.npz", "--resume", cwd=tmp_path)
    assert other.returncode == 2 and "seed" in other.stderr.splitlines()[-1]
    for bad, fragment in ((("--n", "0"), "--n"), (("--workers", "0"), "workers")):
        proc = _cli("toys", "coherent-csi-2017", "--free", "sin2_theta_w", *bad, "--out", "x.npz", cwd=tmp_path)
        assert proc.returncode == 2 and fragment in proc.stderr.splitlines()[-1] and "Traceback" not in proc.stderr
        assert not (tmp_path / "x.npz").exists()


def test_cli_scan_with_workers_and_an_unreachable_scheduler(tmp_path):
    pytest.importorskip("distributed")
    args = ("scan", "coherent-csi-2017", "--param", "rn=4.6:5.4:5", "--param", "eps_ee_dV=-1:1:5")
    serial = _cli(*args, "--out", "a.npz", cwd=tmp_path)
    two = _cli(*args, "--out", "b.npz", "--workers", "2", cwd=tmp_path)
    assert serial.returncode == 0 and two.returncode == 0, two.stderr
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        np.testing.assert_array_equal(a["chi2"], b["chi2"])
    start = time.perf_counter()
    proc = _cli(*args, "--out", "c.npz", "--dask", "tcp://127.0.0.1:9", cwd=tmp_path)
    assert proc.returncode == 2 and "cannot reach the Dask scheduler" in proc.stderr.splitlines()[-1]
    assert time.perf_counter() - start < 30.0 and "Traceback" not in proc.stderr
