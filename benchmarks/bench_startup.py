"""Benchmark: start-up and set-up costs.

Whole-process times (best of ``REPEAT``, the commands interleaved so that load on a shared
machine hits them alike) of

* ``cevns --help`` and ``cevns events coherent-csi-2017``, the latter served from the disk
  cache of built experiments (:mod:`cevns.config.experiment_cache`, in a fresh folder that
  the warm-up run fills) and with the cache off (``CEVNS_CACHE_DIR=off``: validated with
  pydantic), against baselines timed in the same run: the bare interpreter
  (``python -c pass``), ``python -c "import numpy"``, the floor of a cached ``events``
  (numpy and click) and that of a validating one (numpy, click, ``pydantic.main`` and
  pydantic's plugin scan, and the same with ``pydantic.fields``, which the first model
  class imports)
  (with bytecode caches, as an installed package has them: ``PYTHONDONTWRITEBYTECODE`` is
  dropped and the caches go to a folder under the temporary directory, after one warm-up
  run of each command);

and in this process the set-up of a predictor (``Experiment.predictor()``: nodes, detector
weights, neutrino-energy moments) for COHERENT CsI 2017 and a reactor experiment, with
and without reading the file, warm (a set-up after the first, which reuses the remembered
μ(T) tables, arrival-time fractions and moments on the same nodes) and cold
(:func:`cevns.rates.prediction.clear_setup_caches` first: the cost of the first set-up in
a process), against one prediction after set-up (``binned()``); and the
set-up of the timed CsI experiments with the numpy error functions of
:mod:`cevns.physics.special` (what the package uses, so that the CLI does not import
``scipy.special``) against the same set-up with scipy's swapped in (interleaved, best of
``REPEAT`` rounds of 10). Ratios are printed next to the times, and the best CPU time of
each process beside its wall time, with the load average.
Run: ``python benchmarks/bench_startup.py`` (``--processes-only``: the whole-process times
alone; ``--repeat N`` rounds of them); ``--before SRC`` adds the two cevns commands
run from another checkout's ``src`` folder (``PYTHONPATH=SRC``), interleaved with the rest,
e.g. ``git archive <commit> src | tar -x -C /tmp/old`` then ``--before /tmp/old/src``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import Callable

from bench_prediction import best_of

REPEAT = 7
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "python -c 'import numpy'": ["-c", "import numpy"],
    "floor of a cached events: numpy+click": ["-c", "import numpy, click"],
    # what `cevns events` cannot avoid while it validates with pydantic: numpy, pydantic's model
    # machinery, its plugin scan (importlib.metadata over every installed distribution), click
    "floor: numpy+pydantic+plugins+click": [
        "-c", "import numpy, click, pydantic.main\nfrom pydantic.plugin._loader import get_plugins\nget_plugins()"],
    # the same with pydantic.fields, which the first model class imports (with annotated_types
    # and pydantic.types): what any pydantic schema costs before its own classes
    "floor + pydantic.fields": [
        "-c", "import numpy, click, pydantic.main, pydantic.fields\nfrom pydantic.plugin._loader import get_plugins\nget_plugins()"],
    "cevns --help": ["-m", "cevns.cli", "--help"],
    "cevns events coherent-csi-2017": ["-m", "cevns.cli", "events", "coherent-csi-2017"],
    "cevns events coherent-csi-2017 (no cache)": ["-m", "cevns.cli", "events", "coherent-csi-2017"],
}
#: the environment of a command besides the benchmark's own
COMMAND_ENV: dict[str, dict[str, str]] = {"cevns events coherent-csi-2017 (no cache)": {"CEVNS_CACHE_DIR": "off"}}
EXPERIMENTS = ("coherent-csi-2017", "reactor-ge-conus-like")
#: Best CPU time (s) of each command of the last :func:`whole_process_times`.
CPU_TIMES: dict[str, float] = {}
TIMED = ("coherent-csi-2017", "coherent-csi-2017-time")


def whole_process_times(repeat: int = REPEAT, before: str | None = None) -> dict[str, float]:
    """Best wall time (s) of each command as a fresh process, interleaved; with ``before``
    (a ``src`` folder) the cevns commands also run from there. The best CPU time (user +
    system, s) of each goes into :data:`CPU_TIMES` (less sensitive to the load of a shared
    machine than the wall time)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "cevns-bench-startup-pycache")
    env["CEVNS_CACHE_DIR"] = tempfile.mkdtemp(prefix="cevns-bench-startup-cache-")  # filled by the warm-up runs
    runs: list[tuple[str, list[str], dict[str, str]]] = [
        (name, args, {**env, **COMMAND_ENV.get(name, {})}) for name, args in COMMANDS.items()]
    if before:
        old = {**env, "PYTHONPATH": before}
        runs += [(f"{name} (before)", args, {**old, **COMMAND_ENV.get(name, {})})
                 for name, args in COMMANDS.items() if name.startswith("cevns")]
    best = {name: float("inf") for name, _, _ in runs}
    for name, args, env in runs:  # warm-up: writes the bytecode caches, as an installed package has them
        subprocess.run([sys.executable, *args], stdout=subprocess.DEVNULL, check=True, env=env)
    CPU_TIMES.clear()
    for _ in range(repeat):
        for name, args, env in runs:
            used = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], stdout=subprocess.DEVNULL, check=True, env=env)
            best[name] = min(best[name], time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - used.ru_utime) + (after.ru_stime - used.ru_stime)
            CPU_TIMES[name] = min(CPU_TIMES.get(name, float("inf")), cpu)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="SRC", help="also time the cevns commands from this src folder")
    parser.add_argument("--processes-only", action="store_true", help="only the whole-process times (no set-up timings)")
    parser.add_argument("--repeat", type=int, default=REPEAT, help=f"rounds of the whole-process times (default {REPEAT})")
    args = parser.parse_args()
    times = whole_process_times(repeat=args.repeat, before=args.before)
    interpreter, numpy_import = times["python -c pass"], times["python -c 'import numpy'"]
    print("whole process (best of %d; wall time, then CPU time):" % args.repeat)
    cpu_numpy = CPU_TIMES["python -c 'import numpy'"]
    for name, t in times.items():
        print(f"  {name:42s} {t * 1e3:8.1f} ms   ×{t / interpreter:6.1f} interpreter   ×{t / numpy_import:5.2f} import numpy"
              f"   | CPU {CPU_TIMES[name] * 1e3:7.1f} ms ×{CPU_TIMES[name] / cpu_numpy:5.2f} import numpy")
    for name in COMMANDS:
        if f"{name} (before)" in times:
            old = f"{name} (before)"
            print(f"  {name}: now / before = {times[name] / times[old]:.2f} (wall), {CPU_TIMES[name] / CPU_TIMES[old]:.2f} (CPU)")
    cached, validated = "cevns events coherent-csi-2017", "cevns events coherent-csi-2017 (no cache)"
    print(f"  cached / no cache = {times[cached] / times[validated]:.2f} (wall), {CPU_TIMES[cached] / CPU_TIMES[validated]:.2f} (CPU)")
    print("load average (1, 5, 15 min): %.2f %.2f %.2f" % os.getloadavg())
    if args.processes_only:
        return

    from cevns.config.experiments import load_experiment

    from cevns.rates.prediction import clear_setup_caches

    def cold(fn: Callable[[], object]) -> Callable[[], object]:
        return lambda: (clear_setup_caches(), fn())

    print("set-up in this process (best of 20) vs one prediction; cold = remembered tables and moments cleared first:")
    for name in EXPERIMENTS:
        experiment = load_experiment(name)
        predictor = experiment.predictor()
        predictor.binned()
        one = best_of(predictor.binned, 50)
        setup = best_of(experiment.predictor, 20)
        with_file = best_of(lambda: load_experiment(name).predictor(), 10)
        setup_cold = best_of(cold(experiment.predictor), 20)
        file_cold = best_of(cold(lambda: load_experiment(name).predictor()), 10)
        print(
            f"  {name:24s} set-up {setup * 1e3:7.2f} ms (×{setup / one:6.1f} one prediction), "
            f"with the file {with_file * 1e3:7.2f} ms (×{with_file / one:6.1f}); cold {setup_cold * 1e3:7.2f} ms "
            f"(×{setup_cold / one:6.1f}), cold with the file {file_cold * 1e3:7.2f} ms (×{file_cold / one:6.1f}); "
            f"one prediction {one * 1e3:6.3f} ms"
        )

    special_vs_scipy()


def special_vs_scipy() -> None:
    """Set-up of the timed CsI experiments: cevns.physics.special against scipy.special."""
    import scipy.special

    import cevns.detector.response as response
    import cevns.sources.timing as timing
    from cevns.config.experiments import load_experiment
    from cevns.physics import special

    def use(lib: object) -> None:
        timing.erfc, timing.erfcx, timing.ndtr = lib.erfc, lib.erfcx, lib.ndtr  # type: ignore[attr-defined]
        response.expit = lib.expit  # type: ignore[attr-defined]

    print("set-up with the numpy error functions (cevns.physics.special) vs scipy.special:")
    try:
        for name in TIMED:
            experiment = load_experiment(name)
            best = {"numpy": float("inf"), "scipy": float("inf")}
            for _ in range(REPEAT):
                for label, lib in (("numpy", special), ("scipy", scipy.special)):
                    use(lib)
                    best[label] = min(best[label], best_of(experiment.predictor, 10))
            print(f"  {name:24s} numpy {best['numpy'] * 1e3:7.2f} ms, scipy {best['scipy'] * 1e3:7.2f} ms "
                  f"(+{(best['numpy'] - best['scipy']) * 1e3:.2f} ms)")
    finally:
        use(special)


if __name__ == "__main__":
    main()
