"""Benchmark: grid scans over a non-polynomial parameter, verified emulator vs exact path.

For each case, in the same process and interleaved (best of 3): the whole emulated scan,
set-up included (polynomial test, Chebyshev nodes, refinement, the 8 random checks, the
grid), per grid point, against the exact path (a full prediction and the pulls at every
point; timed on 200 grid points, per point). Target (issue 18): ≤ 50 µs a grid point.

* neutron radius on COHERENT CsI 2017, 1-D (2001 points) and × sin²θ_W (101 × 101);
* universal Z′ mass × coupling on CsI 2017 (101 × 101, 1 MeV … 1 GeV);
* Δm²₄₁ × |U_e4|² on Dresden-II 2022 (101 × 101, 0.1 … 10 eV²).

Also printed: the set-up (emulator built and verified) and the grid evaluation after it
(per point), the emulator's verified accuracy and the largest |Δχ²| between the two paths
on the timed points.

``--compare`` also times, interleaved in the same process, the set-up as it was before the
low-rank node evaluation and the linear Δm²₄₁ transform (every probe at every node, Δm²₄₁
in ln Δm²; best of 3) and prints both set-ups and their ratio.

Run: ``python benchmarks/bench_emulators.py [--compare]``.
"""

from __future__ import annotations

import sys
import time
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Iterator

import numpy as np

import cevns.stats.emulators as emulators
from cevns.config.experiments import load_experiment
from cevns.stats.emulators import report_of
from cevns.stats.fits import ExperimentLikelihood
from cevns.stats.scans import chunk_evaluator, empty_scan, scan

SAMPLE = 200
REPEAT = 3


def likelihood(name: str) -> ExperimentLikelihood:
    exp = load_experiment(name)
    return ExperimentLikelihood(exp.predictor(), exp.measurement())


def cases() -> dict[str, tuple[ExperimentLikelihood, dict[str, np.ndarray]]]:
    csi, dresden = likelihood("coherent-csi-2017"), likelihood("dresden-ii-2022")
    return {
        "rn (CsI 2017), 2001 points": (csi, {"rn": np.linspace(4.0, 6.0, 2001)}),
        "rn x sin2_theta_w (CsI), 101x101": (csi, {"rn": np.linspace(4.0, 6.0, 101),
                                                   "sin2_theta_w": np.linspace(0.2, 0.26, 101)}),
        "zprime_mass x coupling (CsI), 101x101": (csi, {"zprime_mass": np.geomspace(1.0, 1000.0, 101),
                                                        "zprime_coupling": np.linspace(0.0, 1e-4, 101)}),
        "dm2_41 x Ue4_sq (Dresden-II), 101x101": (dresden, {"dm2_41": np.geomspace(0.1, 10.0, 101),
                                                            "Ue4_sq": np.linspace(0.0, 0.2, 101)}),
    }


@contextmanager
def previous_setup() -> Iterator[None]:
    """The emulator set-up without the low-rank nodes and with Δm²₄₁ in ln Δm² (as before)."""
    low_rank, linear = emulators._low_rank, emulators._phase_linear
    emulators._low_rank = lambda *args: None  # the old path: no reduction
    emulators._phase_linear = lambda name: False  # the old path: the log rule for every name
    try:
        yield
    finally:
        emulators._low_rank, emulators._phase_linear = low_rank, linear


def compare() -> None:
    """Set-up (emulator built and verified) now and as before, interleaved, best of 3."""
    print(f"{'case':40s} {'set-up now':>11s} {'before':>9s} {'ratio':>6s}  predictions now / before")
    for name, (lk, axes) in cases().items():
        now: list[float] = []
        old: list[float] = []
        counts = [0, 0]
        for _ in range(REPEAT):
            contexts: tuple[AbstractContextManager[None], ...] = (nullcontext(), previous_setup())
            for k, ctx in enumerate(contexts):
                with ctx:
                    start = time.perf_counter()
                    prepared = chunk_evaluator(lk, axes)
                    (now if k == 0 else old).append(time.perf_counter() - start)
                    report = report_of(prepared[0])
                    counts[k] = report.predictions if report is not None else 0
        print(f"{name:40s} {min(now):10.3f}s {min(old):8.3f}s {min(old) / min(now):5.2f}x  {counts[0]} / {counts[1]}")


def main() -> None:
    print(f"{'case':40s} {'emulated':>12s} {'exact':>12s} {'ratio':>7s} {'set-up':>8s} {'grid only':>12s}"
          "  accuracy (max rel. error per bin), max |dchi2|")
    for name, (lk, axes) in cases().items():
        size = int(np.prod([a.size for a in axes.values()]))
        flat = np.random.default_rng(0).choice(size, SAMPLE, replace=False)
        exact, _ = chunk_evaluator(lk, axes, emulate=False)
        fast_times, exact_times, setups, grids = [], [], [], []
        for _ in range(REPEAT):  # interleaved: the machine is shared
            start = time.perf_counter()
            prepared = chunk_evaluator(lk, axes)
            middle = time.perf_counter()
            scan(lk, empty_scan(axes), prepared=prepared)
            end = time.perf_counter()
            fast_times.append((end - start) / size)
            setups.append(middle - start)
            grids.append((end - middle) / size)
            start = time.perf_counter()
            ref = exact(flat)
            exact_times.append((time.perf_counter() - start) / SAMPLE)
        fast, slow = min(fast_times), min(exact_times)
        report = report_of(prepared[0])
        accuracy = f"{report.max_error:.1e} ({report.nodes} nodes)" if report is not None and report.accepted else "refused"
        diff = float(np.max(np.abs(prepared[0](flat) - ref)))
        print(f"{name:40s} {fast * 1e6:9.1f} µs {slow * 1e6:9.1f} µs {slow / fast:6.0f}x {min(setups):7.3f}s "
              f"{min(grids) * 1e6:9.2f} µs  {accuracy}, {diff:.1e}"
              f"  [{prepared[1]}]")


if __name__ == "__main__":
    compare() if "--compare" in sys.argv[1:] else main()
