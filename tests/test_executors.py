"""Executor choice (serial where workers cannot help) and identical results on every
executor: serial, a thread pool, a process pool and a Dask ``LocalCluster``."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from cevns.config.experiments import load_experiment
from cevns.runtime import parallel
from cevns.runtime.parallel import START_UP_S, ExecutorError, executor, plan_execution, run_chunks, time_per_item
from cevns.stats.fits import ExperimentLikelihood
from cevns.stats.scans import chunk_evaluator, empty_scan, scan
from cevns.stats.toys import empty_toys, run_toys, toy_study


@pytest.fixture(scope="module")
def csi():
    exp = load_experiment("coherent-csi-2017")
    return ExperimentLikelihood(exp.predictor(), exp.measurement())


# --- plan_execution ----------------------------------------------------------------------
def test_serial_asked_is_serial_without_a_reason():
    plan = plan_execution(10**6, 1.0, workers=1)
    assert plan.serial and plan.reason == "" and plan.estimate_s == 1e6


def test_polynomial_scans_run_serially_with_the_reason():
    plan = plan_execution(40_000, 1e-6, workers=2, polynomial=True)
    assert plan.serial and plan.reason.startswith("--workers 2 ignored") and "polynomial" in plan.reason
    assert "estimated 0.04 s" in plan.reason
    assert plan_execution(40_000, 1e-6, dask="local", polynomial=True).reason.startswith("--dask local ignored")


def test_small_jobs_run_serially_large_ones_in_parallel():
    """Break-even where start-up + T/w = T, i.e. T = w·s/(w − 1): 2 s for 2 processes."""
    s = START_UP_S["processes"]
    below = plan_execution(1000, 0.99 * 2 * s / 1000, workers=2)
    above = plan_execution(1000, 1.01 * 2 * s / 1000, workers=2)
    assert below.serial and "too little work" in below.reason
    assert above.workers == 2 and above.reason == ""
    # a 4×10⁴-point radius scan at ~0.8 ms per point (31 s) uses the workers, 10² points do not
    assert plan_execution(40_000, 8e-4, workers=2).workers == 2
    assert plan_execution(100, 8e-4, workers=2).serial
    # a LocalCluster costs more to start than processes: the same job can stay serial
    assert plan_execution(1000, 3e-3, workers=2).workers == 2
    assert plan_execution(1000, 3e-3, workers=2, dask="local").serial


def test_a_remote_scheduler_is_always_used_unless_the_path_is_vectorised():
    plan = plan_execution(1, 1e-9, workers=1, dask="tcp://10.0.0.1:8786")
    assert plan.dask == "tcp://10.0.0.1:8786" and plan.reason == "" and not plan.serial
    assert plan_execution(1, 1e-9, dask="tcp://10.0.0.1:8786", polynomial=True).serial


def test_plan_rejects_nonsense():
    with pytest.raises(ExecutorError):
        plan_execution(10, 1.0, workers=0)
    with pytest.raises(ExecutorError):
        plan_execution(10, -1.0, workers=2)


def test_timing_discards_the_result():
    calls = []
    assert time_per_item(lambda n: calls.append(n), (3,), 3) >= 0.0
    assert calls == [3]


# --- shipping the function once per worker --------------------------------------------------
def test_a_worker_unpickles_the_function_once_per_job():
    blob = pickle.dumps(np.negative)
    parallel._SHIPPED.clear()
    assert parallel._call_shipped("k1", blob, (np.arange(3),)).tolist() == [0, -1, -2]
    parallel._SHIPPED["k1"] = np.positive  # a second chunk uses the cached copy, not the blob
    assert parallel._call_shipped("k1", blob, (np.arange(3),)).tolist() == [0, 1, 2]
    for k in range(6):  # only the last few jobs' functions are kept
        parallel._call_shipped(f"j{k}", blob, (np.arange(1),))
    assert len(parallel._SHIPPED) <= 4 and "k1" not in parallel._SHIPPED
    parallel._SHIPPED.clear()


def test_run_chunks_on_processes_equals_serial():
    args = [(np.arange(k, k + 5),) for k in range(0, 50, 5)]
    serial: dict[int, np.ndarray] = {}
    run_chunks(np.square, args, lambda a, r: serial.__setitem__(int(a[0][0]), r))
    with executor(workers=2) as pool:
        pooled: dict[int, np.ndarray] = {}
        run_chunks(np.square, args, lambda a, r: pooled.__setitem__(int(a[0][0]), r), pool)
    assert serial.keys() == pooled.keys() and all(np.array_equal(serial[k], pooled[k]) for k in serial)


# --- identical results on every executor ---------------------------------------------------
RADIUS_AXES = {"rn": np.linspace(4.6, 5.4, 8), "eps_ee_dV": np.linspace(-0.5, 0.5, 5)}  # 40 per-point


def _executors():
    yield "threads", dict(workers=2, threads=True)
    yield "processes", dict(workers=2)
    try:
        import distributed  # noqa: F401
    except ImportError:
        return
    yield "dask", dict(workers=2, dask="local")


def test_radius_scan_identical_on_every_executor(csi):
    assert chunk_evaluator(csi, RADIUS_AXES)[1] == "per-point"
    serial = scan(csi, empty_scan(RADIUS_AXES), chunk=7)
    assert serial.complete and np.all(np.isfinite(serial.chi2))
    seen = []
    for name, kwargs in _executors():
        with executor(**kwargs) as pool:
            other = scan(csi, empty_scan(RADIUS_AXES), chunk=7, executor=pool)
        assert np.array_equal(serial.chi2, other.chi2), name
        seen.append(name)
    assert seen[:2] == ["threads", "processes"]


def test_toy_study_identical_on_every_executor(csi):
    study = toy_study(csi, {"sin2_theta_w": 0.23857}, seed=5)
    serial = run_toys(study, empty_toys(("sin2_theta_w",), 24), chunk=6)
    for name, kwargs in _executors():
        with executor(**kwargs) as pool:
            other = run_toys(study, empty_toys(("sin2_theta_w",), 24), chunk=6, executor=pool)
        assert np.array_equal(serial.statistic, other.statistic), name
        assert np.array_equal(serial.best, other.best), name


def test_cli_says_once_why_workers_are_ignored(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path / ".mpl"))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "cevns.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)

    nsi = ("scan", "coherent-csi-2017", "--param", "eps_ee_uV=-1:1:21", "--param", "eps_ee_dV=-1:1:21")
    serial, two = cli(*nsi, "--out", "a.npz"), cli(*nsi, "--out", "b.npz", "--workers", "2")
    assert serial.returncode == 0 and two.returncode == 0, two.stderr
    assert "ignored" not in serial.stderr
    assert two.stderr.count("--workers 2 ignored: the polynomial (vectorised) path runs serially, estimated") == 1
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        assert np.array_equal(a["chi2"], b["chi2"])
    toys = cli("toys", "coherent-csi-2017", "--free", "sin2_theta_w", "--n", "10", "--workers", "2", "--out", "t.npz")
    assert toys.returncode == 0 and toys.stderr.count("--workers 2 ignored: too little work") == 1, toys.stderr
