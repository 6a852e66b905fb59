"""Benchmark of the optional JAX backend: a χ² grid over (ε^{uV}_{ee}, ε^{dV}_{ee}) on
COHERENT CsI 2017 (single bin, signal and background pulls profiled analytically),
jit-compiled and vmapped on whatever device JAX sees, against the numpy per-point loop
(:meth:`cevns.stats.fits.ExperimentLikelihood.chi2`) timed on a 10³-point subset.

Each case is timed best of several repeats after a warm-up (compilation excluded; the
compile time is printed once). Self-contained: ``python benchmarks/bench_jax.py``
(``--chunk N`` sets the vmap chunk; default that of :func:`cevns.backends.jax_backend.chi2_grid`:
1024 on a CPU, 65536 on an accelerator).
"""

from __future__ import annotations

import argparse
import math
import time

import jax
import numpy as np

from bench_prediction import best_of

from cevns.config.experiments import load_experiment
from cevns.stats.fits import ExperimentLikelihood
from cevns.backends.jax_backend import JaxPredictor, chi2_grid

NAMES = ("eps_ee_uV", "eps_ee_dV")


def grid(n: int) -> np.ndarray:
    """The first n points of a ⌈√n⌉ × ⌈√n⌉ grid over [−1, 1]²."""
    side = math.isqrt(n - 1) + 1
    axis = np.linspace(-1.0, 1.0, side)
    u, d = np.meshgrid(axis, axis, indexing="ij")
    return np.stack([u.ravel(), d.ravel()], axis=1)[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=int, default=None, help="points per vmap call (default: 1024 on CPU, 65536 otherwise)")
    args = parser.parse_args()
    devices = jax.devices()
    chunk = args.chunk or (1024 if jax.default_backend() == "cpu" else 65536)
    print(f"jax {jax.__version__}, devices {devices}, chunk {chunk}")

    exp = load_experiment("coherent-csi-2017")
    predictor, measurement = exp.predictor(), exp.measurement()
    likelihood = ExperimentLikelihood(predictor, measurement)
    start = time.perf_counter()
    chi2 = JaxPredictor.from_predictor(predictor, NAMES).chi2_function(measurement)
    chi2_grid(chi2, np.zeros((chunk, 2)), chunk=chunk)  # compile: one shape serves every full chunk
    print(f"set-up + compile: {time.perf_counter() - start:.2f} s")

    subset = grid(10**6)[::1000]  # 10^3 points spread over the whole grid
    loop = np.empty(len(subset))

    def numpy_loop() -> None:
        for i, (a, b) in enumerate(subset):
            loop[i] = likelihood.chi2({NAMES[0]: a, NAMES[1]: b})

    t_numpy = best_of(numpy_loop, 3) / len(subset)
    check = chi2_grid(chi2, subset, chunk=chunk)
    rel = float(np.max(np.abs(check - loop) / np.abs(loop)))
    print(f"numpy per-point loop, 10^3 points: {t_numpy * 1e6:.1f} us/point (JAX agrees to {rel:.1e} relative)")

    for n in (10**4, 10**5, 10**6):
        points = grid(n)
        chi2_grid(chi2, points[: min(n, chunk)], chunk=chunk)  # warm-up at this chunk size
        t = best_of(lambda pts=points: chi2_grid(chi2, pts, chunk=chunk), 3 if n < 10**6 else 2)
        per_point = t / len(points)
        print(f"JAX jit+vmap, {len(points):>7d} points: {t:8.3f} s, {per_point * 1e9:8.1f} ns/point, "
              f"{t_numpy / per_point:8.0f}x the numpy loop")


if __name__ == "__main__":
    main()
