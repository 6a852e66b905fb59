"""Benchmark of ``cevns reproduce``: every reproduction, full and ``--fast``, written the
default way (PNG + CSV per figure) against the same run with ``--pdf`` (a PDF of every
figure as well: the previous default) timed in the same process.

Each run starts cold: every cached set-up of the package (experiments, predictors,
likelihoods; the ``cache_clear`` of each cached function) is emptied first, so a run pays
for its own set-ups as ``cevns reproduce`` does. Best of ``--repeat`` runs (default 1: a
full run takes seconds). Self-contained: ``python benchmarks/bench_reproduce.py [--only
NAME] [--repeat N] [--fast-only]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from cevns.reproduce import get_reproduction, reproduction_names  # noqa: E402
from cevns.reproduce.report import write_report  # noqa: E402


def clear_caches() -> None:
    """Empty every cache of the package's functions (``functools.cache`` and
    :func:`cevns.config.overrides.cached_per_overrides`), so the next run starts cold."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("cevns") or module is None:
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear):
                clear()


def run_once(name: str, fast: bool, pdf: bool) -> float:
    """Seconds of one cold ``write_report`` of ``name`` into a fresh temporary folder."""
    clear_caches()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        write_report(get_reproduction(name), Path(out), fast=fast, pdf=pdf)
        return time.perf_counter() - start


def best_of(name: str, fast: bool, pdf: bool, repeat: int) -> float:
    return min(run_once(name, fast, pdf) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=tuple(reproduction_names()), action="append", help="only this reproduction (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case, the best is kept (default 1)")
    parser.add_argument("--fast-only", action="store_true", help="time the --fast runs only")
    args = parser.parse_args()
    names = args.only or list(reproduction_names())
    modes = (True,) if args.fast_only else (False, True)
    run_once(names[0], True, False)  # warm-up: imports, matplotlib's font cache
    print(f"{'reproduction':<20} {'mode':<6} {'PNG only':>9} {'with --pdf':>11} {'ratio':>6}")
    for name in names:
        for fast in modes:
            png = best_of(name, fast, False, args.repeat)
            both = best_of(name, fast, True, args.repeat)
            mode = "fast" if fast else "full"
            print(f"{name:<20} {mode:<6} {png:>8.2f}s {both:>10.2f}s {both / png:>5.2f}×", flush=True)


if __name__ == "__main__":
    main()
