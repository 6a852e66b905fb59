"""Run every benchmark of this folder in turn: ``python benchmarks/run.py``.

Each script prints its cases with their ratio to a reference timed in the same process
(adaptive ``scipy.integrate.quad``, the per-point loop, or the SM prediction)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

for name in ("bench_prediction", "bench_models", "bench_scans", "bench_jax"):
    if not (HERE / f"{name}.py").exists():
        continue
    print(f"\n=== {name} ===", flush=True)
    try:
        importlib.import_module(name).main()
    except ImportError as exc:  # an optional back end (JAX) that is not installed
        print(f"skipped: {exc}")
