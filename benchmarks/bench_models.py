"""Benchmark: one binned COHERENT CsI 2017 prediction with each BSM model switched on,
as a ratio to the Standard Model prediction timed in the same process (the goal:
every combination within a factor 2 of the SM).

Sterile oscillation is timed twice: at a fixed Δm²₄₁ (a scan over the mixings, whose
oscillated moments are reused) and with a new Δm²₄₁ at every call (a scan along Δm²),
which recomputes the cell-averaged oscillation weights. Run:
``python benchmarks/bench_models.py``.
"""

from __future__ import annotations

import itertools

from bench_prediction import best_of

from cevns.config.experiments import load_experiment

CASES = {
    "SM": {},
    "sin2_theta_w": {"sin2_theta_w": 0.23},
    "NSI, all 12 couplings": {f"eps_{ab}_{q}V": 0.01 for ab in ("ee", "mumu", "tautau", "emu", "etau", "mutau") for q in "ud"},
    "magnetic moments": {"mu_nu_e": 1e-9, "mu_nu_mu": 1e-9},
    "charge radius + millicharge": {"r2_nu_e": 1.0, "q_nu_mu": 1e-9},
    "neutron radius": {"rn": 5.0},
    "Z' universal": {"zprime_mass": 10.0, "zprime_coupling": 1e-5},
    "Z' Lmu-Ltau": {"zprime_model": "Lmu-Ltau", "zprime_mass": 10.0, "zprime_coupling": 1e-4},
    "scalar": {"scalar_mass": 10.0, "scalar_coupling": 1e-5},
    "axial": {"axial": 1.0},
    "sterile, fixed dm2_41": {"dm2_41": 1.0, "Ue4_sq": 0.05, "Umu4_sq": 0.05},
}
ALL = {k: v for case in CASES.values() for k, v in case.items() if k not in ("zprime_model",)}


def main() -> None:
    predictor = load_experiment("coherent-csi-2017").predictor()
    sm = best_of(lambda: predictor.binned(), repeat=7, number=300)
    print("model                              time/prediction   ratio to SM")
    for name, params in CASES.items():
        t = best_of(lambda: predictor.binned(params), repeat=7, number=300)
        print(f"{name:34s} {t * 1e3:9.3f} ms      {t / sm:6.2f}")
    counter = itertools.count(1)
    t = best_of(lambda: predictor.binned({"dm2_41": 1.0 + 1e-6 * next(counter), "Ue4_sq": 0.05}), repeat=7, number=100)
    print(f"{'sterile, new dm2_41 each call':34s} {t * 1e3:9.3f} ms      {t / sm:6.2f}")
    t = best_of(lambda: predictor.binned(ALL), repeat=7, number=300)
    print(f"{'all of the above at once':34s} {t * 1e3:9.3f} ms      {t / sm:6.2f}")


if __name__ == "__main__":
    main()
