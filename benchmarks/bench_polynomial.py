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
  32768 points a chunk (the second is what ``scan`` hands it with several bins);
* lean numpy: the same polynomial evaluated once on the whole grid by broadcasting
  Σ_m c_m u^a v^b over the two axes (signal only, no χ²), a yardstick; and the separable
  product (X C_b Yᵀ per bin, signal only) as a second one;
* the whole ``scan`` of an empty 10⁶-point grid, set-up included, for scale.

The machine is shared: the cases are interleaved (one repeat of each in turn, best of
``REPEATS``), so a load change hits all of them alike; the ratios are what to compare.

With ``--before OLD/src`` (``git archive <commit> src | tar -x -C /tmp/old``), that
folder's ``cevns/stats/scans.py`` on the same likelihood is timed as well, interleaved
with the rest, and its whole ``scan`` incl. set-up beside today's.

Run: ``python benchmarks/bench_polynomial.py [--before OLD/src]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from cevns.config.experiments import load_experiment
from cevns.stats.fits import ExperimentLikelihood
from cevns.stats.scans import PolynomialSignal, chunk_evaluator, empty_scan, polynomial_signal, scan
from bench_prediction import best_of

N = 1000
AXES = {"eps_ee_uV": np.linspace(-1.0, 1.0, N), "eps_ee_dV": np.linspace(-1.0, 1.0, N)}


def old_chunks(lk: ExperimentLikelihood, poly: PolynomialSignal, chunk: int, grid: dict[str, np.ndarray]) -> Callable[[], None]:
    """The previous ``_PolynomialChunks`` over the whole grid."""
    axes = tuple(grid.values())

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


def lean_numpy(poly: PolynomialSignal, axes: dict[str, np.ndarray]) -> Callable[[], None]:
    """Σ_m c_m u^a v^b on the broadcast grid, one bin after the other."""
    u = ((axes["eps_ee_uV"] - poly.centre[0]) / poly.half_width[0])[:, None]
    v = ((axes["eps_ee_dV"] - poly.centre[1]) / poly.half_width[1])[None, :]

    def run() -> None:
        for b in range(poly.coefficients.shape[1]):
            out = np.zeros((N, N))
            for (ea, eb), c in zip(poly.exponents, poly.coefficients[:, b]):
                out += c * (u**ea * v**eb)

    return run


def separable(poly: PolynomialSignal, axes: dict[str, np.ndarray]) -> Callable[[], None]:
    """counts_b = X C_b Yᵀ: the monomials factor on a 2-D grid, two small products a bin."""
    p = int(poly.exponents.max()) + 1
    x = ((axes["eps_ee_uV"] - poly.centre[0]) / poly.half_width[0])[:, None] ** np.arange(p)
    y = ((axes["eps_ee_dV"] - poly.centre[1]) / poly.half_width[1])[:, None] ** np.arange(p)
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
#: The ±1 grid and, for twelve bins, a grid near the data.
GRIDS = {
    "+-1": AXES,
    "near": {"eps_ee_uV": np.linspace(-0.2, 0.5, N), "eps_ee_dV": np.linspace(-0.3, 0.3, N)},
}


def old_scans(src: str) -> Any:
    """``cevns/stats/scans.py`` of the source folder ``src``, loaded as a module of its own
    (its other imports resolve to this package)."""
    module = type(sys)("bench_old_scans")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    text = (Path(src) / "cevns" / "stats" / "scans.py").read_text()
    exec(compile(text, module.__name__, "exec"), module.__dict__)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="SRC", help="also time this src folder's cevns/stats/scans.py (same likelihood)")
    args = parser.parse_args()
    before = old_scans(args.before) if args.before else None
    print(f"{N}x{N} (eps_ee_uV, eps_ee_dV) grid, pulls profiled; ns per point, best of {REPEATS} interleaved, set-up excluded"
          " unless said")
    print("experiment                  grid  bins  old(8192) table(8192)  before(8192)  new(8192) new(32768)  before/new"
          "  lean numpy  separable  new/lean  scan incl. set-up: before, new")
    for name in ("coherent-csi-2017", "coherent-csi-2017-energy"):
        exp = load_experiment(name)
        lk = ExperimentLikelihood(exp.predictor(), exp.measurement())
        for label, axes in GRIDS.items():
            if label != "+-1" and name == "coherent-csi-2017":
                continue
            evaluate, method = chunk_evaluator(lk, axes)
            assert method == "polynomial"
            poly = polynomial_signal(lk, {n: (float(a.min()), float(a.max())) for n, a in axes.items()})
            assert poly is not None  # the same fit (same probes) as the evaluator's
            residual = getattr(evaluate, "residual")
            chunks = [np.arange(s, min(s + 8192, N * N)) for s in range(0, N * N, 8192)]
            new_values = np.concatenate([evaluate(c) for c in chunks])
            old_values = np.concatenate([residual(c) for c in chunks])
            agree = float(np.max(np.abs(new_values - old_values) / np.maximum(np.abs(old_values), 1.0)))
            cases = {
                "table": new_chunks(residual, 8192),
                "new": new_chunks(evaluate, 8192),
                "new32768": new_chunks(evaluate, 32768),
                "lean": lean_numpy(poly, axes),
                "separable": separable(poly, axes),
            }
            if before is not None:
                cases["before"] = new_chunks(before.chunk_evaluator(lk, axes)[0], 8192)
            t = {k: v * 1e9 / N**2 for k, v in interleaved(cases, REPEATS).items()}
            old = best_of(old_chunks(lk, poly, 8192, axes), 2) * 1e9 / N**2
            whole = {"new": best_of(lambda: scan(lk, empty_scan(axes)), 2) * 1e9 / N**2, "before": float("nan")}
            if before is not None:
                whole["before"] = best_of(lambda: before.scan(lk, before.empty_scan(axes)), 2) * 1e9 / N**2
            bins = poly.coefficients.shape[1]
            prior = t.get("before", float("nan"))
            print(f"{name:26s} {label:>5s} {bins:5d} {old:10.1f} {t['table']:10.1f} {prior:12.1f} {t['new']:10.1f} "
                  f"{t['new32768']:10.1f} {prior / t['new']:10.2f}x {t['lean']:11.1f} {t['separable']:10.1f} "
                  f"{t['new'] / t['lean']:8.2f}x {whole['before']:10.1f} {whole['new']:8.1f}"
                  f"   (new vs table: max |dchi2|/max(chi2,1) = {agree:.1e})")


if __name__ == "__main__":
    main()
