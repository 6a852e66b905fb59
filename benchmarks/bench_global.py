"""Benchmark: the ``global`` combination (issue 17 speed targets), ten members — COHERENT
CsI 2021 and LAr Analysis A releases (template likelihoods), COHERENT Ge 2026, Dresden-II,
CONUS+, CONUS, TEXONO, the XENONnT ⁸B release (12 nuisances of its own), PandaX-4T paired
and S2-only — and four shared nuisances (SNS flux, reactor flux, Ge quenching, ⁸B flux).

Cases, each with its ratio to a reference timed in the same process:

* loading the combination (three release folders read, the quenching normalisations
  computed from the members' full predictions), reported apart from the fits;
* one χ² at a physics point, every nuisance profiled (the members' own by themselves, the
  four shared ones by the joint); reference: the same χ² with the shared nuisances
  profiled all at once (one 4-η Newton over every member: 33 trial points per member per
  step, what :mod:`cevns.stats.joint` did before it split the objective into blocks);
* a fit of sin²θ_W (MIGRAD + HESSE, :func:`cevns.stats.fits.fit`) — target ≤ 10 s; references:
  the same fit with the all-at-once profiling, and the sum of the ten members' own fits;
* a fit of sin²θ_W and rn_133Cs together (the radius reaches only the CsI member) — target ≤ 10 s;
  reference: the all-at-once profiling;
* a 1-D profile of sin²θ_W, 61 points (:func:`cevns.stats.fits.profile`) — target ≤ 30 s;
  reference: the all-at-once profiling.

Needs ../shared/reference-data (coherent-data-releases/csi-2021, lar-2020-analysisA and
XENONnT__cevns_data_release). Run: ``python benchmarks/bench_global.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from cevns.stats import joint as J
from cevns.stats.fits import fit, profile

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data"
FOLDERS = {"csi-2021": SHARED / "coherent-data-releases" / "csi-2021",
           "lar-2020-analysisA": SHARED / "coherent-data-releases" / "lar-2020-analysisA",
           "xenonnt-8b": SHARED / "XENONnT__cevns_data_release"}


@contextmanager
def all_at_once() -> Iterator[None]:
    """The reference: every member and every shared nuisance in one block (the joint's
    profiling before the block split; the same minimum)."""
    blocks = J._blocks

    def one(scale: np.ndarray) -> list[tuple[list[int], list[int]]]:
        return [(list(range(scale.shape[0])), list(range(scale.shape[1])))]

    J._blocks = one  # swapped for the comparison only
    try:
        yield
    finally:
        J._blocks = blocks


def timed(f: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = f()
    return time.perf_counter() - start, out


def main() -> None:
    missing = [str(p) for p in FOLDERS.values() if not p.is_dir()]
    if missing:
        print(f"skipped: {missing[0]} is not available")
        return
    from cevns.releases.combinations import load_combination

    load, comb = timed(lambda: load_combination("global", release_dirs=FOLDERS, verify=False))
    joint = comb.likelihood
    print(f"load global ({len(joint.labels)} members, {len(joint.shared)} shared nuisances; releases read, "
          f"quenching normalisations computed, no SHA-256 check): {load:.1f} s")
    point = {"sin2_theta_w": 0.24}
    joint.chi2(point)
    ours = min(timed(lambda: joint.chi2(point))[0] for _ in range(5))
    with all_at_once():
        before = min(timed(lambda: joint.chi2(point))[0] for _ in range(3))
        ref_chi2 = joint.chi2(point)
    assert abs(ref_chi2 - joint.chi2(point)) < 1e-6 * (1 + abs(ref_chi2)), (ref_chi2, joint.chi2(point))
    print(f"one chi2 at a physics point, every nuisance profiled: {ours * 1e3:.0f} ms; all shared at once "
          f"{before * 1e3:.0f} ms: {before / ours:.1f}x")

    start = {"sin2_theta_w": 0.2387}
    t_fit, best = timed(lambda: fit(joint, start))
    with all_at_once():
        t_fit_before, best_before = timed(lambda: fit(joint, start))
    members = 0.0
    for m in joint.members:
        try:
            members += timed(lambda m=m: fit(m.likelihood, start))[0]
        except ValueError:  # a member that does not constrain sin²θ_W on its own
            pass
    print(f"fit sin2_theta_w = {best.values['sin2_theta_w']:.4f} +- {best.errors['sin2_theta_w']:.4f} "
          f"({best.calls} chi2 calls): {t_fit:.1f} s (target <= 10 s); all shared at once {t_fit_before:.1f} s "
          f"({best_before.values['sin2_theta_w']:.4f}): {t_fit_before / t_fit:.1f}x; the members' own fits, summed, "
          f"{members:.1f} s: {members / t_fit:.2f}x")

    two = {"sin2_theta_w": 0.2387, "rn_133Cs": 4.8}
    t_two, best_two = timed(lambda: fit(joint, two))
    with all_at_once():
        t_two_before, _ = timed(lambda: fit(joint, two))
    print(f"fit sin2_theta_w and rn_133Cs ({best_two.calls} chi2 calls): {t_two:.1f} s (target <= 10 s); all shared "
          f"at once {t_two_before:.1f} s: {t_two_before / t_two:.1f}x")

    grid = np.linspace(best.values["sin2_theta_w"] - 5 * best.errors["sin2_theta_w"],
                       best.values["sin2_theta_w"] + 5 * best.errors["sin2_theta_w"], 61)
    t_prof, prof = timed(lambda: profile(joint, "sin2_theta_w", grid, best))
    with all_at_once():
        t_prof_before, prof_before = timed(lambda: profile(joint, "sin2_theta_w", grid, best))
    assert np.allclose(prof.delta_chi2, prof_before.delta_chi2, atol=1e-5)
    print(f"1-D profile of sin2_theta_w, 61 points: {t_prof:.1f} s (target <= 30 s); all shared at once "
          f"{t_prof_before:.1f} s: {t_prof_before / t_prof:.1f}x; 1 sigma {prof.intervals()['1sigma']}")


if __name__ == "__main__":
    main()
