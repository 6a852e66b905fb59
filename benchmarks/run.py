"""Run every benchmark of this folder in turn: ``python benchmarks/run.py``.

Each script prints its cases with their ratio to a reference timed in the same process
(adaptive ``scipy.integrate.quad``, the per-point loop, the SM prediction, or the old
whole-file store). The work runs under ``main()``: benchmarks that start worker processes
(``spawn``/``forkserver`` re-import the main module) must not run every benchmark again."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: the benchmark scripts, in order; a missing one is skipped
BENCHMARKS = ("bench_prediction", "bench_models", "bench_scans", "bench_emulators", "bench_jax", "bench_startup", "bench_polynomial", "bench_stores", "bench_reproduce", "bench_csi2021", "bench_xenonnt", "bench_fog", "bench_global")


def main() -> None:
    sys.path.insert(0, str(HERE))
    for name in BENCHMARKS:
        if not (HERE / f"{name}.py").exists():
            continue
        print(f"\n=== {name} ===", flush=True)
        try:
            importlib.import_module(name).main()
        except ImportError as exc:  # an optional back end (JAX) that is not installed
            print(f"skipped: {exc}")


if __name__ == "__main__":
    main()
