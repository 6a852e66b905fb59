"""Benchmark of the optional JAX backend: a χ² grid over (ε^{uV}_{ee}, ε^{dV}_{ee}) on
COHERENT CsI 2017 (single bin, signal and background pulls profiled analytically),
jit-compiled and vmapped on whatever device JAX sees, against the numpy per-point loop
(:meth:`cevns.stats.fits.ExperimentLikelihood.chi2`) timed on a 10³-point subset; then the
exact gradients on the same 10⁶ points (:func:`cevns.backends.jax_backend.gradient_grid`)
and the χ² and gradients of a non-polynomial grid (neutron radius × sin²θ_W: the form
factors are recomputed at every point; 10⁶ points on an accelerator, 10⁵ on a CPU), each as
a ratio to the numpy loop.

On an accelerator the same points are also evaluated on the host CPU (``jax.devices("cpu")``)
and the largest relative difference is printed: the same numbers on both. ``--json PATH``
writes the per-point times and those differences.

Each case is timed best of several repeats after a warm-up (compilation excluded; the
compile time is printed once). Self-contained: ``python benchmarks/bench_jax.py``
(``--chunk N`` sets the vmap chunk; default that of :func:`cevns.backends.jax_backend.chi2_grid`:
1024 on a CPU, 65536 on an accelerator).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import jax
import numpy as np

from bench_prediction import best_of

from cevns.config.experiments import load_experiment
from cevns.stats.fits import ExperimentLikelihood
from cevns.backends.jax_backend import JaxPredictor, chi2_grid, gradient_grid

NAMES = ("eps_ee_uV", "eps_ee_dV")


def grid(n: int, lo: tuple[float, float] = (-1.0, -1.0), hi: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """The first n points of a ⌈√n⌉ × ⌈√n⌉ grid over [lo, hi] (per axis)."""
    side = math.isqrt(n - 1) + 1
    u, d = np.meshgrid(np.linspace(lo[0], hi[0], side), np.linspace(lo[1], hi[1], side), indexing="ij")
    return np.stack([u.ravel(), d.ravel()], axis=1)[:n]


def numpy_per_point(likelihood: ExperimentLikelihood, names: tuple[str, ...], subset: np.ndarray) -> tuple[float, np.ndarray]:
    """Seconds per point of the numpy χ² loop over ``subset`` (best of 3), and its values."""
    loop = np.empty(len(subset))

    def run() -> None:
        for i, p in enumerate(subset):
            loop[i] = likelihood.chi2(dict(zip(names, p)))

    return best_of(run, 3) / len(subset), loop


def on_cpu(fn, *args):
    """``fn(*args)`` with JAX's default device set to the host CPU."""
    with jax.default_device(jax.devices("cpu")[0]):
        return fn(*args)


def max_rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def time_case(label: str, fn, chi2, points: np.ndarray, chunk: int, t_numpy: float, accelerator: bool, record: dict) -> None:
    """Warm up ``fn(chi2, ·)`` at this chunk, time it on ``points`` (best of 2) and print
    ns/point and the ratio to the numpy loop; on an accelerator, compare 10⁴ of the points
    with the same function on the CPU."""
    fn(chi2, points[: min(len(points), chunk)], chunk)
    t = best_of(lambda: fn(chi2, points, chunk), 2)
    per_point = t / len(points)
    line = f"{label:44s} {len(points):>8d} points: {t:8.3f} s, {per_point * 1e9:9.1f} ns/point, {t_numpy / per_point:8.0f}x the numpy loop"
    entry = {"points": len(points), "seconds": t, "ns_per_point": per_point * 1e9}
    if accelerator:
        sample = points[:: max(1, len(points) // 10**4)]
        diff = max_rel(fn(chi2, sample, chunk), on_cpu(fn, chi2, sample, 1024))
        line += f", CPU agrees to {diff:.1e}"
        entry["max_rel_diff_cpu"] = diff
    print(line)
    record[f"{label}, {len(points)} points"] = entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=int, default=None, help="points per vmap call (default: 1024 on CPU, 65536 otherwise)")
    parser.add_argument("--json", default=None, help="write the timings (and CPU differences) to this file")
    args = parser.parse_args()
    devices = jax.devices()
    accelerator = jax.default_backend() != "cpu"
    chunk = args.chunk or (65536 if accelerator else 1024)
    print(f"jax {jax.__version__}, devices {devices}, chunk {chunk}")
    record: dict = {"jax": jax.__version__, "devices": [str(d) for d in devices], "chunk": chunk}

    exp = load_experiment("coherent-csi-2017")
    predictor, measurement = exp.predictor(), exp.measurement()
    likelihood = ExperimentLikelihood(predictor, measurement)
    cases = (
        ("NSI", ("eps_ee_uV", "eps_ee_dV"), (-1.0, -1.0), (1.0, 1.0)),
        ("radius", ("rn", "sin2_theta_w"), (4.0, 0.18), (6.0, 0.30)),
    )
    for label, names, lo, hi in cases:
        start = time.perf_counter()
        chi2 = JaxPredictor.from_predictor(predictor, names).chi2_function(measurement)
        chi2_grid(chi2, np.zeros((chunk, 2)) + np.array(lo), chunk=chunk)  # compile: one shape serves every full chunk
        print(f"{label}: set-up + compile {time.perf_counter() - start:.2f} s")
        # a CPU needs minutes for 10^6 radius points with gradients: 10^5 there
        points = grid(10**6 if label == "NSI" or accelerator else 10**5, lo, hi)
        subset = points[:: len(points) // 1000]  # 10^3 points spread over the whole grid
        t_numpy, loop = numpy_per_point(likelihood, names, subset)
        rel = max_rel(chi2_grid(chi2, subset, chunk=chunk), loop)
        print(f"numpy per-point loop, 10^3 points: {t_numpy * 1e6:.1f} us/point (JAX agrees to {rel:.1e} relative)")
        record[f"{label} numpy loop"] = {"us_per_point": t_numpy * 1e6, "max_rel_diff_jax": rel}
        sizes = (10**4, 10**5, 10**6) if label == "NSI" else (len(points),)
        for n in sizes:
            time_case(f"{label} chi2 (jit+vmap)", chi2_grid, chi2, points[:n], chunk, t_numpy, accelerator, record)
        time_case(f"{label} gradient (jit+vmap+grad)", gradient_grid, chi2, points, chunk, t_numpy, accelerator, record)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
