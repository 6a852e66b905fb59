"""Benchmark: one full binned COHERENT CsI 2017 prediction.

Prints the time of (a) the set-up (nodes, detector weights, neutrino-energy integrals),
(b) one prediction after set-up (new couplings → counts in all bins), and (c) a plain
reference implementation in the same process: the same counts through adaptive
``scipy.integrate.quad`` (nested E and T integrals per bin, the way the peer codes do it),
with the ratio of (c) to (b). Run: ``python benchmarks/bench_prediction.py``.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import integrate

from cevns import units as u
from cevns.physics.cross_sections import differential_cross_section
from cevns.config.experiments import load_experiment
from cevns.sources.pion_dar import michel_nu_e, michel_nu_mu_bar


def best_of(fn, repeat: int, number: int = 1) -> float:
    """Shortest mean time of ``number`` calls of ``fn`` over ``repeat`` tries (s)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def reference_quad(exp) -> float:
    """Counts in 6–30 PE by nested adaptive quadrature (no precomputation)."""
    src, resp = exp.source, exp.response
    total = 0.0
    per_kg = exp.target.nuclei_per_kg()
    ly, qf = resp.observable.light_yield_pe_per_kevee, resp.quenching.value
    for iso in exp.target.isotopes:
        n = per_kg[iso.name] * exp.mass_kg * exp.live_time_s
        flux = src.flux_cm2_s["nu_e"]
        e_line = src.spectra["nu_mu"].energy

        def rate(t_kev: float) -> float:
            t = t_kev * u.keV
            e_min = 0.5 * (t + math.sqrt(t * t + 2 * iso.mass * t))
            line = float(differential_cross_section(e_line, t, iso, "nu_mu")) if e_min <= e_line else 0.0
            cont = integrate.quad(
                lambda e: float(michel_nu_e(e) * differential_cross_section(e, t, iso, "nu_e"))
                + float(michel_nu_mu_bar(e) * differential_cross_section(e, t, iso, "nu_mu_bar")),
                e_min, u.M_MUON / 2,
            )[0] if e_min < u.M_MUON / 2 else 0.0
            pe = ly * qf * t_kev
            return n * flux * (line + cont) * u.keV * float(resp.efficiency(pe))

        lo, hi = resp.edges[0] / (ly * qf), resp.edges[-1] / (ly * qf)
        total += integrate.quad(rate, lo, hi, limit=200, points=[14.0])[0]
    return total


def main() -> None:
    # the reference integrates the whole spill: compare without the file's time window
    exp = load_experiment("coherent-csi-2017", {"detector.time": None})
    setup = best_of(exp.predictor, repeat=5, number=3)
    predictor = exp.predictor()
    one = best_of(lambda: predictor.binned({"sin2_theta_w": 0.2386}), repeat=7, number=200)
    start = time.perf_counter()
    ref_total = reference_quad(exp)
    ref = time.perf_counter() - start
    ours = predictor.binned().total
    print("case                                   time        ratio to quad")
    print(f"set-up (prepare_rates)               {setup * 1e3:8.2f} ms   {ref / setup:10.0f}x")
    print(f"one binned CsI 2017 prediction       {one * 1e3:8.3f} ms   {ref / one:10.0f}x")
    print(f"reference: adaptive scipy quad       {ref * 1e3:8.0f} ms            1x")
    print(f"totals: ours {ours:.4f}, quad {ref_total:.4f}, relative difference {ours / ref_total - 1:+.1e}")
    sizes = [10, 100, 1000, 10000]
    print("\nprediction cost vs number of sin2_theta_w points (serial loop over one predictor):")
    for size in sizes:
        grid = np.linspace(0.2, 0.26, size)
        start = time.perf_counter()
        for s2 in grid:
            predictor.binned({"sin2_theta_w": float(s2)})
        elapsed = time.perf_counter() - start
        print(f"  {size:6d} points: {elapsed:8.3f} s  ({elapsed / size * 1e3:.3f} ms/point)")


if __name__ == "__main__":
    main()
