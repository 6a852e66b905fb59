"""Benchmark: χ² of a polynomial-signal grid scan, per point, old evaluation vs new.

A 1000 × 1000 (ε^{uV}_{ee}, ε^{dV}_{ee}) grid (10⁶ points) on COHERENT CsI 2017, as one
counting bin (``coherent-csi-2017``) and in 12 energy bins (``coherent-csi-2017-energy``),
both normalisation pulls profiled (Papoulias & Kosmas Eq. 6, arXiv:1711.09773). Set-up
(predictor, the polynomial fit of the signal, the grid tables) is excluded; every case is
timed in this process, best of N, on the same chunks of consecutive flat indices:

* old: the evaluation before the grid tables — per chunk, the points' monomial basis
  (powers and their product, ``PolynomialSignal.basis``) times the coefficients, then
  :func:`cevns.stats.fits.chi2_from_signal` (pulls by the general 2 × 2 linear solve),
  reimplemented here as it was, 8192 points a chunk (the scan default);
* grid table: the evaluation of issue 17 — per chunk, rows × power table of the last axis
  (:class:`cevns.stats.scans.GridSignal`) then the residual-form closed-form pulls
  (``_PolynomialChunks.residual``), 8192 points a chunk;
* new: :func:`cevns.stats.scans.chunk_evaluator` as it is now (several bins: the row-wise
  kernel :class:`cevns.stats.scans.RowKernel`; one bin: as the grid table), 8192 and
  65536 points a chunk;
* lean numpy: the same polynomial evaluated once on the whole grid by broadcasting
  Σ_m c_m u^a v^b over the two axes (signal only, no χ²), a yardstick; and the separable
  product (X C_b Yᵀ per bin, signal only) as a second one;
* the whole ``scan`` of an empty 10⁶-point grid, set-up included, for scale.

The machine is shared: the cases are interleaved (one repeat of each in turn, best of
``REPEATS``), so a load change hits all of them alike; the ratios are what to compare.

Run: ``python benchmarks/bench_polynomial.py``.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from cevns.config.experiments import load_experiment
from cevns.stats.fits import ExperimentLikelihood
from cevns.stats.scans import PolynomialSignal, chunk_evaluator, empty_scan, polynomial_signal, scan
from bench_prediction import best_of

N = 1000
AXES = {"eps_ee_uV": np.linspace(-1.0, 1.0, N), "eps_ee_dV": np.linspace(-1.0, 1.0, N)}


def old_chunks(lk: ExperimentLikelihood, poly: PolynomialSignal, chunk: int) -> Callable[[], None]:
    """The previous ``_PolynomialChunks`` over the whole grid."""
    axes = tuple(AXES.values())

    def run() -> None:
        for start in range(0, N * N, chunk):
            flat = np.arange(start, min(start + chunk, N * N))
            idx = np.unravel_index(flat, (N, N))
            points = np.column_stack([a[i] for a, i in zip(axes, idx)])
            u = (points - poly.centre) / poly.half_width
            basis = np.prod(u[:, None, :] ** poly.exponents[None, :, :], axis=-1)
            lk.chi2_from_signal(basis @ poly.coefficients)

    return run


def new_chunks(evaluate: Callable[[np.ndarray], np.ndarray], chunk: int) -> Callable[[], None]:
    def run() -> None:
        for start in range(0, N * N, chunk):
            evaluate(np.arange(start, min(start + chunk, N * N)))

    return run


def lean_numpy(poly: PolynomialSignal) -> Callable[[], None]:
    """Σ_m c_m u^a v^b on the broadcast grid, one bin after the other."""
    u = ((AXES["eps_ee_uV"] - poly.centre[0]) / poly.half_width[0])[:, None]
    v = ((AXES["eps_ee_dV"] - poly.centre[1]) / poly.half_width[1])[None, :]

    def run() -> None:
        for b in range(poly.coefficients.shape[1]):
            out = np.zeros((N, N))
            for (ea, eb), c in zip(poly.exponents, poly.coefficients[:, b]):
                out += c * (u**ea * v**eb)

    return run


def separable(poly: PolynomialSignal) -> Callable[[], None]:
    """counts_b = X C_b Yᵀ: the monomials factor on a 2-D grid, two small products a bin."""
    p = int(poly.exponents.max()) + 1
    x = ((AXES["eps_ee_uV"] - poly.centre[0]) / poly.half_width[0])[:, None] ** np.arange(p)
    y = ((AXES["eps_ee_dV"] - poly.centre[1]) / poly.half_width[1])[:, None] ** np.arange(p)
    cs = np.zeros((poly.coefficients.shape[1], p, p))
    cs[:, poly.exponents[:, 0], poly.exponents[:, 1]] = poly.coefficients.T

    def run() -> None:
        for c in cs:
            (x @ c) @ y.T

    return run


def interleaved(cases: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Best time of each case, the cases run in turn ``repeats`` times."""
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(repeats):
        for name, run in cases.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


REPEATS = 5


def main() -> None:
    print(f"{N}x{N} (eps_ee_uV, eps_ee_dV) grid, pulls profiled; ns per point, best of {REPEATS} interleaved, set-up excluded")
    print("experiment                  bins  old(8192) table(8192)  new(8192) new(65536)  table/new  lean numpy  separable"
          "  new/lean  scan incl. set-up")
    for name in ("coherent-csi-2017", "coherent-csi-2017-energy"):
        exp = load_experiment(name)
        lk = ExperimentLikelihood(exp.predictor(), exp.measurement())
        evaluate, method = chunk_evaluator(lk, AXES)
        assert method == "polynomial"
        poly = polynomial_signal(lk, {n: (float(a.min()), float(a.max())) for n, a in AXES.items()})
        assert poly is not None  # the same fit (same probes) as the evaluator's
        residual = getattr(evaluate, "residual")
        chunks = [np.arange(s, min(s + 8192, N * N)) for s in range(0, N * N, 8192)]
        new_values = np.concatenate([evaluate(c) for c in chunks])
        old_values = np.concatenate([residual(c) for c in chunks])
        agree = float(np.max(np.abs(new_values - old_values) / np.maximum(np.abs(old_values), 1.0)))
        cases = {
            "table": new_chunks(residual, 8192),
            "new": new_chunks(evaluate, 8192),
            "new65536": new_chunks(evaluate, 65536),
            "lean": lean_numpy(poly),
            "separable": separable(poly),
        }
        t = {k: v * 1e9 / N**2 for k, v in interleaved(cases, REPEATS).items()}
        old = best_of(old_chunks(lk, poly, 8192), 2) * 1e9 / N**2
        whole = best_of(lambda: scan(lk, empty_scan(AXES)), 2) * 1e9 / N**2
        bins = poly.coefficients.shape[1]
        print(f"{name:26s} {bins:5d} {old:10.1f} {t['table']:10.1f} {t['new']:10.1f} {t['new65536']:10.1f} "
              f"{t['table'] / t['new']:9.2f}x {t['lean']:11.1f} {t['separable']:10.1f} {t['new'] / t['lean']:8.2f}x "
              f"{whole:10.1f}   (new vs table: max |dchi2|/max(chi2,1) = {agree:.1e})")


if __name__ == "__main__":
    main()
