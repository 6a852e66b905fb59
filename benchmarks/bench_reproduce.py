"""Benchmark of ``cevns reproduce``: every reproduction, full and ``--fast``, written the
default way (PNG + CSV per figure) against the same run with ``--pdf`` (a PDF of every
figure as well: the previous default) timed in the same process; with ``--serial`` also
the same run with the figures drawn in this process one after the other (``write_report(...,
parallel=False)``, as before figures were drawn in a forked process beside the next step).

Every reproduction is covered; those that read data releases (``coherent-csi-2021``,
``solar-8b``) find them as ``--data-release NAME=DIR``, ``$CEVNS_RELEASE_DATA/NAME`` or the
shared reference data beside the project (as the tests do), and are skipped with a line
saying so when absent.

Each run starts cold: every cached set-up of the package (experiments, predictors,
likelihoods; the ``cache_clear`` of each cached function) is emptied first, so a run pays
for its own set-ups as ``cevns reproduce`` does. Best of ``--repeat`` runs (default 1: a
full run takes seconds). One BLAS thread unless the environment sets the BLAS threads, as
the ``cevns`` program does (:func:`cevns.cli.blas_thread_default`). Self-contained: ``python
benchmarks/bench_reproduce.py [--only NAME] [--repeat N] [--fast-only] [--serial]
[--data-release NAME=DIR]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from cevns.cli import blas_thread_default

os.environ.update(blas_thread_default(os.environ, "numpy" in sys.modules))  # one BLAS thread, as the cevns program sets

import matplotlib  # noqa: E402

matplotlib.use("Agg")

from cevns.reproduce import get_reproduction, optional_releases, reproduction_names, required_releases  # noqa: E402
from cevns.reproduce.report import write_report  # noqa: E402

#: The shared reference data beside the project (as tests/conftest.py finds it).
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data"
_SHARED_FOLDERS = {"xenonnt-8b": SHARED / "XENONnT__cevns_data_release"}


def release_folder(release: str, given: dict[str, Path]) -> Path:
    """A data release's folder: given, else $CEVNS_RELEASE_DATA/<release>, else the shared copy."""
    if release in given:
        return given[release]
    env = os.environ.get("CEVNS_RELEASE_DATA")
    if env:
        return Path(env).expanduser() / release
    return _SHARED_FOLDERS.get(release, SHARED / "coherent-data-releases" / release)


def release_dirs(name: str, given: dict[str, Path]) -> dict[str, Path] | None:
    """Folders of the releases ``name`` reads (optional ones only where present), or None
    when a required one is missing."""
    out = {r: release_folder(r, given) for r in required_releases(name)}
    if not all(f.is_dir() for f in out.values()):
        return None
    out.update({r: f for r in optional_releases(name) if (f := release_folder(r, given)).is_dir()})
    return out


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


def run_once(name: str, fast: bool, pdf: bool, dirs: dict[str, Path], parallel: bool = True) -> float:
    """Seconds of one cold ``write_report`` of ``name`` into a fresh temporary folder."""
    clear_caches()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        write_report(get_reproduction(name, release_dirs=dirs), Path(out), fast=fast, pdf=pdf, parallel=parallel)
        return time.perf_counter() - start


def best_of(name: str, fast: bool, pdf: bool, repeat: int, dirs: dict[str, Path], parallel: bool = True) -> float:
    return min(run_once(name, fast, pdf, dirs, parallel) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=tuple(reproduction_names()), action="append", help="only this reproduction (repeatable)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case, the best is kept (default 1)")
    parser.add_argument("--fast-only", action="store_true", help="time the --fast runs only")
    parser.add_argument("--serial", action="store_true", help="also time the figures drawn serially (parallel=False)")
    parser.add_argument("--data-release", action="append", default=[], metavar="NAME=DIR", help="a data release's folder")
    args = parser.parse_args()
    given = {k: Path(v).expanduser() for k, _, v in (item.partition("=") for item in args.data_release)}
    names = args.only or list(reproduction_names())
    dirs = {name: release_dirs(name, given) for name in names}
    for name in [n for n in names if dirs[n] is None]:
        print(f"{name}: skipped, its data release(s) {', '.join(required_releases(name))} not found")
    names = [n for n in names if dirs[n] is not None]
    if not names:
        return
    modes = (True,) if args.fast_only else (False, True)
    run_once(names[0], True, False, dirs[names[0]] or {})  # warm-up: imports, matplotlib's font cache
    print(f"{'reproduction':<20} {'mode':<6} {'PNG only':>9} {'with --pdf':>11} {'ratio':>6}"
          + (f" {'serial':>8} {'ratio':>6}" if args.serial else ""))
    for name in names:
        d = dirs[name] or {}
        for fast in modes:
            png = best_of(name, fast, False, args.repeat, d)
            both = best_of(name, fast, True, args.repeat, d)
            mode = "fast" if fast else "full"
            line = f"{name:<20} {mode:<6} {png:>8.2f}s {both:>10.2f}s {both / png:>5.2f}×"
            if args.serial:
                serial = best_of(name, fast, False, args.repeat, d, parallel=False)
                line += f" {serial:>7.2f}s {serial / png:>5.2f}×"
            print(line, flush=True)


if __name__ == "__main__":
    main()
