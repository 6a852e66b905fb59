"""Benchmark: start-up and set-up costs.

Whole-process times (best of ``REPEAT``, the commands interleaved so that load on a shared
machine hits them alike) of

* ``cevns --help`` and ``cevns events coherent-csi-2017``, against baselines timed in the
  same run: the bare interpreter (``python -c pass``) and ``python -c "import numpy"``;

and in this process the set-up of a predictor (``Experiment.predictor()``: nodes, detector
weights, neutrino-energy moments) for COHERENT CsI 2017 and a reactor experiment, with
and without reading the file, against one prediction after set-up (``binned()``).
Ratios are printed next to the times. Run: ``python benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from bench_prediction import best_of

REPEAT = 7
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "python -c 'import numpy'": ["-c", "import numpy"],
    "cevns --help": ["-m", "cevns.cli", "--help"],
    "cevns events coherent-csi-2017": ["-m", "cevns.cli", "events", "coherent-csi-2017"],
}
EXPERIMENTS = ("coherent-csi-2017", "reactor-ge-conus-like")


def whole_process_times(repeat: int = REPEAT) -> dict[str, float]:
    """Best wall time (s) of each command as a fresh process, interleaved."""
    best = {name: float("inf") for name in COMMANDS}
    for _ in range(repeat):
        for name, args in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], stdout=subprocess.DEVNULL, check=True)
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main() -> None:
    times = whole_process_times()
    interpreter, numpy_import = times["python -c pass"], times["python -c 'import numpy'"]
    print("whole process (best of %d):" % REPEAT)
    for name, t in times.items():
        print(f"  {name:34s} {t * 1e3:8.1f} ms   ×{t / interpreter:6.1f} interpreter   ×{t / numpy_import:5.2f} import numpy")

    from cevns.config.experiments import load_experiment

    print("set-up in this process (best of 20) vs one prediction:")
    for name in EXPERIMENTS:
        experiment = load_experiment(name)
        predictor = experiment.predictor()
        predictor.binned()
        one = best_of(predictor.binned, 50)
        setup = best_of(experiment.predictor, 20)
        with_file = best_of(lambda: load_experiment(name).predictor(), 10)
        print(
            f"  {name:24s} set-up {setup * 1e3:7.2f} ms (×{setup / one:6.1f} one prediction), "
            f"with the file {with_file * 1e3:7.2f} ms (×{with_file / one:6.1f}), one prediction {one * 1e3:6.3f} ms"
        )


if __name__ == "__main__":
    main()
