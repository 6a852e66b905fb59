"""Benchmark: the XENONnT ⁸B release likelihood (cevns.releases.xenonnt_8b), three science runs
(3 × 81 bins; nuisances: ⁸B flux scale, t_ly, t_qy, AC/ER/neutron scale per run = 12).

Cases, each with its ratio to a reference timed in the same process:

* one χ² evaluation from a recoil spectrum (folding at the 49 yield nodes + the damped-Newton
  profile of the 12 nuisances); reference: the same χ² minimised by ``scipy.optimize.minimize``
  (L-BFGS-B) on the same expectation function (target: ≤ 5 ms);
* one χ² at a physics point (the spectrum on the 361 quadrature energies + the profile);
* a 1-D profile of the ⁸B flux: 61 values of the flux scale, each with the other 11 nuisances
  profiled (one batched call); reference: the 61 points one at a time;
* the set-up (about 7,000 files read and checked, spectrum nodes);
* loading one science run (:func:`cevns.releases.xenonnt_templates.load_run`, SR1: 2,305 HDF5
  files and the binning and events, each file's bytes read once, SHA-256-checked, parsed from
  memory), the first load of the run in the process (the page cache warm, as for any second
  ``cevns`` command); reference: the same loader with the high-level reader it had before,
  ``h5py.File(io.BytesIO(data))`` (target: ≤ 2 s per run);
* the SI WIMP limits of the release's 10 masses (:func:`cevns.releases.xenonnt_wimp.xenonnt_si_limits`,
  SR0 + SR1: all masses searched in lockstep, one batched profile per round); reference: the
  same searches one mass at a time (``si_limit`` per mass, as the masses were done before;
  the former sequential scipy searches, 571 cold-started profile calls, against the
  lockstep's 56 warm-started ones, in one process, best of 3 interleaved, one BLAS thread as
  the ``cevns`` command sets: 3.14 against 0.69 s, 4.6x, load 2.9; cold-started lockstep
  1.02 s). Time this case with ``OPENBLAS_NUM_THREADS=1``, as the command line runs: on a
  loaded machine OpenBLAS' threads, started for the batched profiles, spin beside the fits
  (with them, at load 2.2, the cold-started lockstep was no faster than the scipy searches).

Needs ../shared/reference-data/XENONnT__cevns_data_release. The signal uses
:func:`cevns.releases.xenonnt_8b.default_source` when the solar source is available, else a
stand-in from pyCEvNS' ⁸B table in the same shared folder. Run: ``python benchmarks/bench_xenonnt.py``.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
from bench_prediction import best_of
from scipy import optimize

from cevns.errors import InputError
from cevns.releases import xenonnt_8b as X
from cevns.releases import xenonnt_templates as T

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data"
FOLDER = SHARED / "XENONnT__cevns_data_release"


def source():
    """The package's solar source, or a stand-in (pyCEvNS' ⁸B table, B16-GS98 flux)."""
    try:
        return X.default_source()
    except InputError:
        from cevns.sources.spectra import tabulated_source

        tab = np.loadtxt(SHARED / "Ikaroshu__pyCEvNS" / "pyCEvNS" / "data" / "b8.csv", delimiter=",")
        phi = X.B16_GS98_B8_FLUX
        return tabulated_source(tab[:, 0], {f: tab[:, 1] for f in ("nu_e", "nu_mu", "nu_tau")},
                                {"nu_e": 0.35 * phi, "nu_mu": 0.325 * phi, "nu_tau": 0.325 * phi}, "stand-in 8B")


def scipy_chi2(lk: X.XenonNT8BLikelihood, signal: np.ndarray) -> float:
    """The same statistic minimised over the 12 nuisances by L-BFGS-B."""
    sig, centre = lk._sigmas(), lk.nominal()
    inv2 = np.where(np.isfinite(sig), 1 / np.where(np.isfinite(sig), sig, 1.0) ** 2, 0.0)

    def f(x: np.ndarray) -> float:
        mu = sum(lk.expected(signal, x).values())
        return float(X._deviance(lk.observed, mu).sum() + np.sum(inv2 * (x - centre) ** 2))

    bounds = [(0, None), (-3, 3), (-3, 3)] + [(0, None)] * (len(centre) - 3)
    return float(optimize.minimize(f, centre, method="L-BFGS-B", bounds=bounds).fun)


def high_level_datasets(data: bytes, names: tuple[str, ...]) -> list[np.ndarray]:
    """The reader :func:`cevns.releases.xenonnt_templates._h5_datasets` replaced: h5py's
    high-level File on a BytesIO of the checked bytes."""
    import io

    import h5py

    with h5py.File(io.BytesIO(data), "r") as handle:
        return [np.asarray(handle[name][()], dtype=float) for name in names]


def time_loading(run: str = "sr1") -> None:
    """load_run with the low-level reader (ours) and with the high-level one (before)."""
    T.file_rows()
    (FOLDER / "SHA256SUMS").read_bytes()
    ours_fn = T._h5_datasets
    timings = {}
    for label, reader in (("before", high_level_datasets), ("now", ours_fn)):
        T._h5_datasets = reader  # swapped for the comparison only
        try:
            start = time.perf_counter()
            loaded = T.load_run(FOLDER, run)
            timings[label] = time.perf_counter() - start
        finally:
            T._h5_datasets = ours_fn
        timings[label + "_mono_sum"] = float(loaded.mono.sum())
    assert timings["before_mono_sum"] == timings["now_mono_sum"]
    print(f"loading {run} (2,305 HDF5 files + binning + events, SHA-256 checked): {timings['now']:.2f} s; "
          f"before (h5py.File on BytesIO) {timings['before']:.2f} s: {timings['before'] / timings['now']:.1f}x (target <= 2 s)")


def wimp_limit_ratio(repeat: int = 2) -> tuple[float, float]:
    """(one mass at a time, lockstep) seconds of the 10 SI WIMP limits of the release
    (SR0 + SR1), best of ``repeat``, interleaved; the release's runs are loaded (cached)
    before both."""
    from cevns.releases import xenonnt_wimp as W

    masses = [row["mass"] for row in W.read_release_limits(FOLDER)]
    lockstep = W.xenonnt_si_limits(FOLDER)  # loads the runs once

    def one_at_a_time() -> list[W.SiLimit]:
        lk = X.xenonnt_8b_likelihood(FOLDER, runs=W.LIMIT_RUNS)
        return [W.si_limit(lk, m) for m in masses]

    assert np.allclose([lim.observed for lim in one_at_a_time()], [lim.observed for lim in lockstep], rtol=1e-5)
    before, after = [], []
    for _ in range(repeat):
        before.append(best_of(one_at_a_time, 1))
        after.append(best_of(lambda: W.xenonnt_si_limits(FOLDER), 1))
    return min(before), min(after)


def time_wimp_limits() -> None:
    before, after = wimp_limit_ratio()
    print(f"SI WIMP limits, 10 masses (SR0 + SR1): lockstep {after:.2f} s, one mass at a time {before:.2f} s: "
          f"{before / after:.1f}x")


def main() -> None:
    if not (FOLDER / "SHA256SUMS").is_file():
        print("skipped: ../shared/reference-data/XENONnT__cevns_data_release is not available")
        return
    time_loading()
    time_wimp_limits()
    start = time.perf_counter()
    lk = X.xenonnt_8b_likelihood(FOLDER, runs="sr0,sr1,sr2", source=source())
    setup = time.perf_counter() - start
    signal = lk.signal()
    lk.chi2_from_signal(signal)
    ours = best_of(lambda: lk.chi2_from_signal(signal), 5, 20)
    reference = best_of(lambda: scipy_chi2(lk, signal), 3, 1)
    at_point = best_of(lambda: lk.chi2({"sin2_theta_w": 0.24}), 3, 5)
    print(f"set-up (3 runs, ~7,000 files checked and read, spectrum nodes): {setup:.1f} s")
    print(f"one chi2 from a spectrum, 12 nuisances profiled: {ours * 1e3:.2f} ms; scipy L-BFGS-B {reference * 1e3:.1f} ms: "
          f"{reference / ours:.0f}x (target <= 5 ms); at a physics point (spectrum + profile) {at_point * 1e3:.2f} ms")

    free = dataclasses.replace(lk, flux="free")
    scales = np.linspace(0.0, 3.0, 61)
    batch = scales[:, None] * signal[None, :]  # flux scale f ↔ the signal scaled by f with f held at 1

    def batched() -> np.ndarray:
        return free.profile(batch, fix={0: 1.0}).chi2

    def looped() -> list[float]:
        return [float(free.profile(signal, fix={0: f}).chi2) for f in scales]

    assert np.allclose(batched(), looped(), atol=1e-6)
    t_batch = best_of(batched, 3, 1)
    t_loop = best_of(looped, 2, 1)
    print(f"1-D profile of the 8B flux, 61 points: batched {t_batch * 1e3:.1f} ms, one at a time {t_loop * 1e3:.1f} ms "
          f"({t_loop / t_batch:.1f}x)")


if __name__ == "__main__":
    main()
