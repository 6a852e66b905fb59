"""Numbers of ``cevns reproduce coherent-csi-2021``: fits of the COHERENT CsI[Na] full data set.

The data: D. Akimov et al. (COHERENT), "Measurement of the coherent elastic neutrino-nucleus
scattering cross section on CsI by COHERENT", PRL 129, 081801 (2022), arXiv:2110.07730, and
its ancillary data release, read by :func:`cevns.releases.csi_2021.csi_2021_likelihood`
(9 PE × 11 arrival-time bins, Poisson likelihood with profiled BRN, NIN, steady-state and
signal normalisations and three shape nuisances). The phenomenology redone: M. Atzori
Corona, M. Cadeddu, N. Cargioli, F. Dordei, C. Giunti et al., EPJC 83, 683 (2023),
arXiv:2303.09360 (neutron radii, nuclear-structure suppression, sin²θ_W), and the usual
NSI, neutrino charge-radius and magnetic-moment fits of the same data.

Every function here is pure library code (no files, no plots): each takes the likelihoods of
:class:`Likelihoods` (built once per run, then shared by the steps) and returns numbers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import cast

import numpy as np
from cevns.config.experiments import load_experiment
from cevns.rates.prediction import target_flux_averaged_cross_section
from cevns.releases.combinations import load_combination
from cevns.releases.csi_2021 import csi_2021_likelihood
from cevns.stats.chi2 import delta_chi2_threshold
from cevns.stats.feldman_cousins import delta_chi2_toys, fc_study, weighted_quantile
from cevns.stats.likelihood import Likelihood
from cevns.stats.scans import polynomial_signal
from cevns.stats.profiles import OneParameterProfile, profile_of_chi2
from cevns.stats.templates import SignalStrength, TemplateLikelihood

#: The experiment file the CsI 2021 release is compared with.
EXPERIMENT = "coherent-csi-2021"
#: Δχ² levels of the one-parameter intervals (Wilks, 1 dof).
LEVELS_1D = {"1sigma": 1.0, "90%": float(delta_chi2_threshold(0.90, 1))}
#: Δχ² levels of the two-parameter regions (Wilks, 2 dof): 2.30 and 4.61.
LEVELS_2D = {"1sigma": float(delta_chi2_threshold(0.6827, 2)), "90%": float(delta_chi2_threshold(0.90, 2))}


@dataclass(frozen=True)
class Likelihoods:
    """The CsI 2021 release likelihood (``csi``) and the shipped ``coherent-sns`` joint
    likelihood (CsI 2021 + CENNS-10 LAr Analysis A, a shared 10% SNS flux normalisation)."""

    csi: TemplateLikelihood
    sns: Likelihood


@lru_cache(maxsize=2)
def likelihoods(csi_folder: str, lar_folder: str) -> Likelihoods:
    """Build both likelihoods once per pair of release folders (≈ 3 s; cached)."""
    csi = csi_2021_likelihood(Path(csi_folder), EXPERIMENT)
    sns = load_combination("coherent-sns", release_dirs={"csi-2021": csi_folder, "lar-2020-analysisA": lar_folder})
    return Likelihoods(csi, sns.likelihood)


# --- step 1 and 2: counts -------------------------------------------------------------------------
#: Scales k of the SM signal on which the free-normalisation χ² is evaluated (step 2 plots it).
STRENGTH_GRID = np.linspace(0.4, 1.4, 101)


@dataclass(frozen=True)
class Strength:
    """The free-normalisation fit (:class:`SignalStrength`) and its Δχ² on
    :data:`STRENGTH_GRID` (``profile``, grid = scales k of the SM prediction)."""

    fit: SignalStrength
    profile: OneParameterProfile


def free_signal_chi2(lk: TemplateLikelihood, ks: np.ndarray) -> np.ndarray:
    """χ² of k × the SM signal at every k of ``ks`` with the signal's own normalisation
    prior removed (σ_S = 0), every other nuisance profiled; one batched fit."""
    s = lk.signal({})
    free = dataclasses.replace(lk, data=dataclasses.replace(lk.data, sigma_signal=0.0))
    return free.chi2_from_signal(np.asarray(ks, dtype=float)[:, None] * s)


#: The last (likelihood, its :func:`signal_strength`): one entry, so that a long-lived process
#: does not keep every likelihood it was asked about (steps 1 and 2 ask about the same one in turn).
_LAST_STRENGTH: list[tuple[TemplateLikelihood, Strength]] = []


def signal_strength(lk: TemplateLikelihood) -> Strength:
    """Best-fit CEvNS count with a free normalisation, as
    :func:`cevns.stats.templates.fit_signal_strength` (minimum of χ²(k), 1σ ends at Δχ² = 1,
    each refined by Brent's methods), but from χ²(k) on :data:`STRENGTH_GRID` first (one
    batched fit; :func:`cevns.stats.profiles.profile_of_chi2` refines between its nodes),
    so no fit is made at the far scales (k up to 10) that bounded search tries; kept for the
    likelihood object it was computed for (steps 1 and 2 share it)."""
    kept = _LAST_STRENGTH[0] if _LAST_STRENGTH else None
    if kept is None or kept[0] is not lk:
        total = float(lk.signal({}).sum())
        profile = profile_of_chi2(lambda ks: free_signal_chi2(lk, ks), STRENGTH_GRID, {"1sigma": math.erf(1 / math.sqrt(2))})
        ((lo, hi),) = profile.allowed["1sigma"]
        fit = SignalStrength(profile.minima[0] * total, lo * total, hi * total, total, profile.chi2_min, lk.data.bins)
        kept = (lk, Strength(fit, profile))
        _LAST_STRENGTH[:] = [kept]
    return kept[1]


def best_fit_components(lk: TemplateLikelihood) -> dict[str, np.ndarray]:
    """Expected counts per flattened bin of the CEvNS signal per arriving flavour and of the
    beam backgrounds at the best fit: the signal scaled by k̂ (free normalisation), every
    nuisance at its profiled value there (the pulls of :meth:`TemplateLikelihood.pulls`)."""
    fit = signal_strength(lk).fit
    k = fit.counts / fit.predicted
    c = lk.counts({})
    flat = c.counts.sum(axis=0).reshape(len(c.flavors), -1)
    pulls = lk.pulls(k * flat.sum(axis=0), sigma_signal=0.0).pulls
    n_norm = 1 + len(lk.data.backgrounds)
    morph = 1.0 + sum((t * x.relative for t, x in zip(pulls[n_norm:], lk.data.shape_systematics)), np.zeros(flat.shape[-1]))
    names = {"nu_mu": "CEvNS prompt ν_μ", "nu_e": "CEvNS delayed ν_e", "nu_mu_bar": "CEvNS delayed ν̄_μ"}
    out = {names.get(f, f"CEvNS {f}"): k * morph * row for f, row in zip(c.flavors, flat)}
    for j, b in enumerate(lk.data.backgrounds, start=1):
        if not b.measured:
            out[b.name] = (1.0 + pulls[j]) * b.counts
    return out


def flux_averaged_cross_section_sm(experiment: str = EXPERIMENT) -> float:
    """The SM flux-averaged CEvNS cross section of CsI per nucleus (10⁻⁴⁰ cm²), averaged over
    Cs and I by number, for the πDAR flux of the experiment (as ``cevns xsec --flux-average
    pion-dar``): σ̄ = ∫ φ(E) σ(E) dE / ∫ φ(E) dE."""
    exp = load_experiment(experiment)
    return target_flux_averaged_cross_section(exp.target, exp.source, model=exp.model) / 1e-40


# --- steps 3, 4, 6: grids of χ² -------------------------------------------------------------------
def chi2_on_points(lk: Likelihood, names: tuple[str, ...], points: np.ndarray) -> np.ndarray:
    """χ² at every row of ``points`` (n, len(names)): from the signal's exact polynomial
    form where it has one (:func:`cevns.stats.scans.polynomial_signal`, checked to 10⁻⁹),
    else one prediction per point; one batched profiled fit either way."""
    pts = np.atleast_2d(np.asarray(points, dtype=float))
    ranges = {n: (float(pts[:, j].min()), float(pts[:, j].max())) for j, n in enumerate(names)}
    poly = polynomial_signal(lk, ranges)
    if poly is not None:
        signals = np.asarray(poly(pts), dtype=float)
    else:
        signals = np.stack([np.asarray(lk.signal(dict(zip(names, map(float, row)))), dtype=float) for row in pts])
    return np.asarray(lk.chi2_from_signal(signals), dtype=float)


def grid_2d(lk: Likelihood, x: str, xs: np.ndarray, y: str, ys: np.ndarray) -> np.ndarray:
    """χ²(x, y) on the grid xs × ys (shape (len(xs), len(ys)))."""
    mx, my = np.meshgrid(xs, ys, indexing="ij")
    return chi2_on_points(lk, (x, y), np.column_stack([mx.ravel(), my.ravel()])).reshape(mx.shape)


def radius_grid_2d(lk: Likelihood, xs: np.ndarray, ys: np.ndarray, x: str = "rn_133Cs", y: str = "rn_127I") -> np.ndarray:
    """χ²(R_n(Cs), R_n(I)) on xs × ys (shape (len(xs), len(ys))), like :func:`grid_2d`, from
    len(xs) + len(ys) predictions instead of one per grid point: the counts are a sum over
    isotopes and each isotope's counts depend on its own neutron radius only (its Helm form
    factor, R. H. Helm, Phys. Rev. 104, 1466 (1956)), so S(x, y) = S_Cs(x) + S_I(y) exactly
    (to the rounding of the sum). ``lk`` must predict per isotope (``counts``)."""
    iso_x, iso_y = x.removeprefix("rn_"), y.removeprefix("rn_")

    def parts(values: dict[str, float | str]) -> dict[str, np.ndarray]:
        c = lk.counts(values)  # type: ignore[attr-defined]  # a TemplateLikelihood's per-isotope prediction
        return {iso: np.asarray(c.counts[i], dtype=float).sum(axis=0).ravel() for i, iso in enumerate(c.isotopes)}

    at_x = [parts({x: float(a), y: float(ys[0])}) for a in xs]
    at_y = [parts({x: float(xs[0]), y: float(b)}) for b in ys]
    others = [k for k in at_x[0] if k not in (iso_x, iso_y)]
    rest = sum((at_x[0][k] for k in others), np.zeros_like(at_x[0][iso_x]))
    sx = np.stack([p[iso_x] for p in at_x])
    sy = np.stack([p[iso_y] for p in at_y])
    signals = sx[:, None, :] + sy[None, :, :] + rest
    return np.asarray(lk.chi2_from_signal(signals.reshape(-1, signals.shape[-1])), dtype=float).reshape(len(xs), len(ys))


def point_nucleus_chi2(lk: TemplateLikelihood, experiment: str = EXPERIMENT) -> float:
    """χ² of the data for a point nucleus (proton and neutron form factors = 1, the "full
    coherence" of M. Atzori Corona et al., EPJC 83, 683 (2023), arXiv:2303.09360): the
    prediction of ``experiment`` with ``nuclear.form_factor = "none"`` against the same
    data, nuisances and shape systematics."""
    signal = load_experiment(experiment, {"nuclear.form_factor": "none"}).predictor().binned(dict(lk.fixed)).per_bin
    return float(lk.chi2_from_signal(np.asarray(signal, dtype=float)))


# --- step 7: Feldman–Cousins ----------------------------------------------------------------------
@dataclass(frozen=True)
class FCCheck:
    """Pseudo-experiments at a few values of one parameter: ``points``, the statistic t per
    point (``t``: (points, toys)), the FC critical values per level and the coverage of the
    Wilks thresholds (fraction of toys with t ≤ 1 and ≤ 2.71)."""

    name: str
    points: np.ndarray
    t: np.ndarray
    critical: Mapping[str, np.ndarray]
    coverage: Mapping[str, np.ndarray]


def fc_check(lk: TemplateLikelihood, name: str, grid: np.ndarray, around: float, n_points: int, n_toys: int,
             seed: int = 2021) -> FCCheck:
    """Feldman–Cousins pseudo-experiments (G. J. Feldman, R. D. Cousins, Phys. Rev. D 57,
    3873 (1998), arXiv:physics/9711021; profile construction, :mod:`cevns.stats.feldman_cousins`)
    at the ``n_points`` nodes of ``grid`` nearest ``around``, ``n_toys`` each; t = χ²(θ) −
    min over the whole grid, refined off the grid. The pseudo-experiments are those of
    :class:`cevns.stats.feldman_cousins.FCStudy` (node p, chunk 0: the same random
    numbers), their statistic computed for all toys of a node at once
    (:func:`cevns.stats.feldman_cousins.delta_chi2_toys`, as ``FCStudy`` does for template
    likelihoods)."""
    study = fc_study(lk, {name: grid}, seed=seed)
    nodes = np.sort(np.argsort(np.abs(grid - around))[:n_points])
    rows = []
    for p in nodes:
        rng = np.random.default_rng(np.random.SeedSequence([study.seed, int(p), 0]))
        toys = study.sampler(lk, study.signals[p])(rng, n_toys)
        rows.append(delta_chi2_toys(lk, cast(list[TemplateLikelihood], toys), study.signals, study.shape, int(p)))
    t = np.stack(rows)
    cls = {"1sigma": 0.6827, "90%": 0.90}
    critical = {k: np.array([weighted_quantile(row, cl) for row in t]) for k, cl in cls.items()}
    coverage = {k: np.mean(t <= LEVELS_1D[k], axis=1) for k in cls}
    return FCCheck(name, grid[nodes], t, critical, coverage)


def sigma_of(delta_chi2: float) -> float:
    """Significance √Δχ² (one parameter, Wilks) of a Δχ² ≥ 0."""
    return math.sqrt(max(delta_chi2, 0.0))


__all__ = [
    "EXPERIMENT",
    "FCCheck",
    "LEVELS_1D",
    "LEVELS_2D",
    "Likelihoods",
    "STRENGTH_GRID",
    "Strength",
    "best_fit_components",
    "chi2_on_points",
    "fc_check",
    "free_signal_chi2",
    "flux_averaged_cross_section_sm",
    "grid_2d",
    "likelihoods",
    "point_nucleus_chi2",
    "radius_grid_2d",
    "sigma_of",
    "signal_strength",
]
