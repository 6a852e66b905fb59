"""Benchmark: the COHERENT CsI 2021 release likelihood (PE × time, 99 bins, every nuisance
profiled: signal, BRN, NIN and steady-state normalisations and three response-shape pulls).

Cases, each with its ratio to a reference timed in the same process:

* one χ² evaluation at a parameter point (prediction + profile of the seven nuisances by
  Newton's method); reference: the same χ² minimised over the seven nuisances by
  ``scipy.optimize.minimize`` (L-BFGS-B) on the same prediction (target: ≤ 5 ms);
* a 101 × 101 (ε^{uV}_{ee}, ε^{dV}_{ee}) scan with every nuisance profiled (polynomial
  signal, batched profile), serial and with 2 local workers; reference: the per-point loop of
  ``chi2`` timed on 200 points and scaled (target: ≤ 60 s on 2 cores);
* the likelihood's set-up (release files → 7 predictors → relative shape shifts);
* the Newton solve of the profiled statistic (:func:`newton_solve`): the Feldman–Cousins step
  of ``cevns reproduce coherent-csi-2021`` whole (``fc_check``: 3 points × 200 toys, batches of
  3400–4200 rows × 99 bins × 7 pulls), one 4200-row ``chi2_per_data`` batch of it and one
  1-row ``chi2_from_signal``; reference: the same fits by the general path of
  ``profiled_poisson_components`` (the templates and shape shifts as (rows, K, bins) arrays),
  and with ``--before OLD/src`` the code of ``OLD`` too (``git archive <commit> src | tar -x -C
  /tmp/old``, then ``--before /tmp/old/src``: its ``cevns/stats/templates.py`` on this package).
  ``--newton-only``: this case alone.

Needs the release: ``CEVNS_RELEASE_DATA/csi-2021`` or ``../shared/reference-data/
coherent-data-releases/csi-2021`` from the project root (the Newton case also
``lar-2020-analysisA`` beside it, for the reproduction's likelihoods). Run:
``python benchmarks/bench_csi2021.py [--newton-only] [--before OLD/src]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
from bench_prediction import best_of
from scipy import optimize

from cevns.releases.csi_2021 import csi_2021_likelihood
from cevns.runtime.parallel import executor
from cevns.stats.chi2 import poisson_terms
from cevns.stats.feldman_cousins import fc_study
from cevns.stats.scans import empty_scan, scan
from cevns.stats.templates import TemplateLikelihood, profiled_poisson_components


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


class GeneralPath(TemplateLikelihood):
    """The likelihood with its fits by the general path of ``profiled_poisson_components``
    (``function``: that function, or the one of an older ``templates`` module): the
    templates [S, B_k] and the shifts r_j S as (rows, K, bins) and (rows, J, bins) arrays."""

    function = staticmethod(profiled_poisson_components)

    def _profile(self, signal, observed, off, centres, sigma_signal):
        d = self.data
        s = np.asarray(signal, dtype=float)
        templates, sigmas = self._templates(s, sigma_signal)
        return self.function(observed, templates, sigmas, off, d.off_ratio, shifts=self._shifts(s), centres=centres)


def old_templates(src: str):
    """``cevns/stats/templates.py`` of the source folder ``src`` with that folder's
    ``cevns/stats/chi2.py`` (the Newton iteration), each loaded as a module of its own (their
    other imports resolve to this package)."""
    modules = {}
    for name in ("chi2", "templates"):
        text = (Path(src) / "cevns" / "stats" / f"{name}.py").read_text()
        module = type(sys)(f"bench_old_{name}")
        sys.modules[module.__name__] = module  # dataclasses look their module up
        exec(compile(text.replace("from cevns.stats.chi2 import", "from bench_old_chi2 import"), module.__name__, "exec"),
             module.__dict__)
        modules[name] = module
    return modules["templates"]


def newton_solve(folder: Path, before: str | None = None, repeat: int = 3) -> None:
    """The Feldman–Cousins step of the CsI 2021 reproduction (its likelihood as
    ``coherent_csi_2021_analysis.likelihoods`` builds it), a 4200-row batch of it and one
    row, by TemplateLikelihood (structured pull directions) against the general path
    (and the ``before`` code), interleaved, best of ``repeat``; the results agree to 1e-12."""
    from cevns.reproduce import coherent_csi_2021_analysis as an

    lar = folder.parent / "lar-2020-analysisA"
    if not lar.is_dir():
        print(f"Newton solve: skipped, {lar} is not available")
        return
    lk = an.likelihoods(str(folder), str(lar)).csi
    cases = {"TemplateLikelihood": lk, "general path": GeneralPath(lk.predictor, lk.data, lk.fixed)}
    if before:
        old = type("BeforePath", (GeneralPath,), {"function": staticmethod(old_templates(before).profiled_poisson_components)})
        cases["before"] = old(lk.predictor, lk.data, lk.fixed)
    grid = np.linspace(0.12, 0.32, 21)
    study = fc_study(lk, {"sin2_theta_w": grid})
    toys = study.sampler(lk, study.signals[10])(np.random.default_rng(1), 200)
    observed = np.stack([t.data.observed for t in toys])
    centres = np.stack([t.data.constraint_centres if t.data.constraint_centres is not None else np.zeros(7) for t in toys])
    rep = np.repeat(np.arange(200), 21)
    signals = np.tile(study.signals, (200, 1))  # 200 toys × 21 nodes: the first batch of each FC point
    one = lk.signal({})
    chi2 = {name: x.chi2_per_data(signals, observed[rep], None, centres[rep]) for name, x in cases.items()}
    for name, values in chi2.items():
        # 1e-12 between today's paths; 1e-10 against code before the boundary rule of
        # cevns.stats.chi2.damped_newton (its rows pinned at mu = 0 stopped 100 iterations on)
        assert np.allclose(values, chi2["TemplateLikelihood"], rtol=1e-10 if name == "before" else 1e-12, atol=0.0), name
    times: dict[str, dict[str, float]] = {"FC step": {}, "4200 rows": {}, "1 row": {}}
    for _ in range(repeat):
        for name, x in cases.items():
            for case, fn, number in (("FC step", lambda: an.fc_check(x, "sin2_theta_w", grid, 0.21, 3, 200), 1),
                                     ("4200 rows", lambda: x.chi2_per_data(signals, observed[rep], None, centres[rep]), 1),
                                     ("1 row", lambda: x.chi2_from_signal(one), 50)):
                t = best_of(fn, 1, number)
                times[case][name] = min(t, times[case].get(name, np.inf))
    print(f"Newton solve of the CsI 2021 profile (load average {os.getloadavg()[0]:.1f}):")
    for case, row in times.items():
        ours = row["TemplateLikelihood"]
        ratios = ", ".join(f"{name} {t * 1e3:.1f} ms ({t / ours:.2f}x)" for name, t in row.items() if name != "TemplateLikelihood")
        print(f"  {case}: TemplateLikelihood {ours * 1e3:.1f} ms; {ratios}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="SRC", help="also time the Newton solve of this src folder's templates.py")
    parser.add_argument("--newton-only", action="store_true", help="only the Newton solve case")
    args = parser.parse_args(sys.argv[1:] if __name__ == "__main__" else [])
    folder = release_folder()
    if folder is None:
        print("skipped: the csi-2021 release is not available (set CEVNS_RELEASE_DATA)")
        return
    newton_solve(folder, args.before)
    if args.newton_only:
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
