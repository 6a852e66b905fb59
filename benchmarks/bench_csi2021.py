"""Benchmark: the COHERENT CsI 2021 release likelihood (PE × time, 99 bins, every nuisance
profiled: signal, BRN, NIN and steady-state normalisations and three response-shape pulls).

Cases, each with its ratio to a reference timed in the same process:

* one χ² evaluation at a parameter point (prediction + profile of the seven nuisances by
  Newton's method); reference: the same χ² minimised over the seven nuisances by
  ``scipy.optimize.minimize`` (L-BFGS-B) on the same prediction (target: ≤ 5 ms);
* a 101 × 101 (ε^{uV}_{ee}, ε^{dV}_{ee}) scan with every nuisance profiled (polynomial
  signal, batched profile), serial and with 2 local workers; reference: the per-point loop of
  ``chi2`` timed on 200 points and scaled (target: ≤ 60 s on 2 cores);
* the likelihood's set-up (release files → 7 predictors → relative shape shifts).

Needs the release: ``CEVNS_RELEASE_DATA/csi-2021`` or ``../shared/reference-data/
coherent-data-releases/csi-2021`` from the project root. Run: ``python benchmarks/bench_csi2021.py``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from bench_prediction import best_of
from scipy import optimize

from cevns.releases.csi_2021 import csi_2021_likelihood
from cevns.runtime.parallel import executor
from cevns.stats.chi2 import poisson_terms
from cevns.stats.scans import empty_scan, scan


def release_folder() -> Path | None:
    """The csi-2021 release: $CEVNS_RELEASE_DATA/csi-2021, else the project's shared copy."""
    env = os.environ.get("CEVNS_RELEASE_DATA")
    candidates = ([Path(env) / "csi-2021"] if env else []) + [
        Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "coherent-data-releases" / "csi-2021"]
    return next((p for p in candidates if p.is_dir()), None)


def brute_force_chi2(lk, signal: np.ndarray) -> float:
    """The same statistic minimised over every nuisance by scipy (L-BFGS-B, standardised pulls)."""
    d = lk.data
    n = d.observed
    templates = np.stack([signal, *(b.counts for b in d.backgrounds)])
    sig = np.array([d.sigma_signal, *(b.sigma for b in d.backgrounds)])
    shifts = np.stack([s.relative * signal for s in d.shape_systematics])
    k = len(sig)

    def f(u: np.ndarray) -> float:
        mu = (1 + u[:k] * sig) @ templates + u[k:] @ shifts
        if np.any(mu <= 0):
            return 1e30
        return float(2 * np.sum(poisson_terms(n, mu, mu)) + np.sum(u**2))

    return float(optimize.minimize(f, np.zeros(k + len(shifts)), method="L-BFGS-B").fun)


def main() -> None:
    folder = release_folder()
    if folder is None:
        print("skipped: the csi-2021 release is not available (set CEVNS_RELEASE_DATA)")
        return
    start = time.perf_counter()
    lk = csi_2021_likelihood(folder)
    setup = time.perf_counter() - start
    point = {"eps_ee_uV": 0.1, "eps_ee_dV": -0.05}
    ours = best_of(lambda: lk.chi2(point), 5, 20)
    signal = lk.signal(point)
    profile_only = best_of(lambda: lk.chi2_from_signal(signal), 5, 20)
    reference = best_of(lambda: brute_force_chi2(lk, signal), 3, 2)
    assert abs(brute_force_chi2(lk, signal) - lk.chi2_from_signal(signal)) < 1e-3
    print(f"set-up (release → 7 predictors → shape shifts): {setup:.2f} s")
    print(f"one chi2 with every nuisance profiled: {ours * 1e3:.2f} ms (profile alone {profile_only * 1e3:.2f} ms); "
          f"scipy L-BFGS-B over the 7 nuisances {reference * 1e3:.1f} ms: {reference / profile_only:.0f}x (target <= 5 ms)")

    axes = {"eps_ee_uV": np.linspace(-0.5, 0.5, 101), "eps_ee_dV": np.linspace(-0.5, 0.5, 101)}
    sample = empty_scan(axes)
    sample.done.reshape(-1)[200:] = True
    loop_start = time.perf_counter()
    scan(lk, sample, fast=False)
    loop = (time.perf_counter() - loop_start) / 200 * 101**2
    serial = best_of(lambda: scan(lk, empty_scan(axes)), 2)
    with executor(2) as pool:
        two = best_of(lambda: scan(lk, empty_scan(axes), executor=pool), 2)
    print(f"101x101 NSI scan, every nuisance profiled: serial {serial:.2f} s, 2 workers {two:.2f} s; "
          f"per-point loop (200 points, scaled) {loop:.0f} s: {loop / serial:.0f}x serial (target <= 60 s)")


if __name__ == "__main__":
    main()
