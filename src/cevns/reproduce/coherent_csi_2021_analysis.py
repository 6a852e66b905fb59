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

import numpy as np
from scipy import special

from cevns.config.experiments import load_experiment
from cevns.rates.prediction import target_flux_averaged_cross_section
from cevns.releases.combinations import load_combination
from cevns.releases.csi_2021 import csi_2021_likelihood
from cevns.stats.chi2 import delta_chi2_threshold
from cevns.stats.feldman_cousins import LEVELS, REFINE, fc_study, weighted_quantile
from cevns.stats.likelihood import Likelihood
from cevns.stats.scans import polynomial_signal
from cevns.stats.profiles import OneParameterProfile, profile_of_chi2
from cevns.stats.templates import SignalStrength, TemplateLikelihood, profiled_bin_deviance

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


@dataclass(frozen=True)
class BatchedTemplateLikelihood(TemplateLikelihood):
    """A :class:`TemplateLikelihood` whose ``chi2_from_signal`` is
    :func:`profiled_chi2_per_data`: the same statistic and Newton iterations row by row
    (equal to rounding), without re-evaluating the rows already accepted while a few rows
    pinned at μ ≥ 0 halve their steps (grid points with signals far above the data)."""

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        d = self.data
        s = np.asarray(signal, dtype=float)
        flat = s.reshape(-1, s.shape[-1])
        chi2 = profiled_chi2_per_data(self, flat, d.observed, d.off, d.constraint_centres)
        return chi2.reshape(s.shape[:-1])


@lru_cache(maxsize=2)
def likelihoods(csi_folder: str, lar_folder: str) -> Likelihoods:
    """Build both likelihoods once per pair of release folders (≈ 3 s; cached); the CsI one
    as a :class:`BatchedTemplateLikelihood`."""
    csi = csi_2021_likelihood(Path(csi_folder), EXPERIMENT)
    sns = load_combination("coherent-sns", release_dirs={"csi-2021": csi_folder, "lar-2020-analysisA": lar_folder})
    return Likelihoods(BatchedTemplateLikelihood(csi.predictor, csi.data, csi.fixed), sns.likelihood)


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
    return profiled_chi2_per_data(free, np.asarray(ks, dtype=float)[:, None] * s, lk.data.observed, lk.data.off,
                                  lk.data.constraint_centres)


_STRENGTHS: dict[int, tuple[TemplateLikelihood, Strength]] = {}


def signal_strength(lk: TemplateLikelihood) -> Strength:
    """Best-fit CEvNS count with a free normalisation, as
    :func:`cevns.stats.templates.fit_signal_strength` (minimum of χ²(k), 1σ ends at Δχ² = 1,
    each refined by Brent's methods), but from χ²(k) on :data:`STRENGTH_GRID` first (one
    batched fit; :func:`cevns.stats.profiles.profile_of_chi2` refines between its nodes),
    so no fit is made at the far scales (k up to 10) that bounded search tries; kept for the
    likelihood object it was computed for (steps 1 and 2 share it)."""
    kept = _STRENGTHS.get(id(lk))
    if kept is None or kept[0] is not lk:
        total = float(lk.signal({}).sum())
        profile = profile_of_chi2(lambda ks: free_signal_chi2(lk, ks), STRENGTH_GRID, {"1sigma": math.erf(1 / math.sqrt(2))})
        ((lo, hi),) = profile.allowed["1sigma"]
        fit = SignalStrength(profile.minima[0] * total, lo * total, hi * total, total, profile.chi2_min, lk.data.bins)
        kept = (lk, Strength(fit, profile))
        _STRENGTHS[id(lk)] = kept
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


def profiled_chi2_per_data(lk: TemplateLikelihood, signals: np.ndarray, observed: np.ndarray,
                           off: np.ndarray | None = None, centres: np.ndarray | None = None,
                           max_iter: int = 100, tol: float = 1e-11, halvings: int = 60) -> np.ndarray:
    """χ² of :meth:`TemplateLikelihood.chi2_from_signal` for a batch of rows, each with its
    own data: predicted ``signals``, beam-on ``observed`` counts and ``off`` sample (rows,
    bins; ``off`` None: the likelihood has none) and constraint ``centres`` (rows, pulls;
    None: 0), e.g. many pseudo-experiments × many grid nodes in one call.

    The same statistic and minimiser as
    :func:`cevns.stats.templates.profiled_poisson_components` (Baker–Cousins Poisson
    likelihood ratio, S. Baker, R. D. Cousins, Nucl. Instrum. Meth. 221, 437 (1984), with the
    normalisations and shape pulls profiled by damped Newton from 0 and the steady state per
    bin in closed form; penalty Σ_k (u_k − c_k)² in standardised pulls), which takes one data
    set per call. Every row gets the iterations and accepted step lengths it would get
    alone, but cheaper where a few rows sit at the μ ≥ 0 boundary (signals far above the
    data, empty bins of a pseudo-experiment), whose steps are halved tens of times per
    iteration: there every row of the batch is evaluated at every halving until all accept.
    Here only the refused rows are evaluated again, the step lengths that surely make some
    μ_i < 0 (f = ∞, refused anyway) are skipped, and after the first refusal 8 successive
    halvings are tried at once (the largest accepted one is taken, as in order). The values
    equal a loop over the rows (bit for bit in the tests, ``tests/test_reproduce_csi2021.py``)."""
    d = lk.data
    s = np.atleast_2d(np.asarray(signals, dtype=float))
    n = np.broadcast_to(np.asarray(observed, dtype=float), s.shape)
    m = None if off is None else np.broadcast_to(np.asarray(off, dtype=float), s.shape)
    sig = np.array([d.sigma_signal, *(b.sigma for b in d.backgrounds)], dtype=float)
    pulled = sig > 0
    scale = np.where(np.isinf(sig), 1.0, sig)[pulled]
    bkg = np.stack([b.counts for b in d.backgrounds]) if d.backgrounds else np.zeros((0, s.shape[-1]))
    templates = np.concatenate([s[:, None, :], np.broadcast_to(bkg, (s.shape[0],) + bkg.shape)], axis=1)
    v = templates[:, pulled, :] * scale[:, None]  # μ change per unit standardised pull
    penalty = (~np.isinf(sig[pulled])).astype(float)
    if d.shape_systematics:
        r = np.stack([x.relative for x in d.shape_systematics])
        v = np.concatenate([v, s[:, None, :] * r], axis=1)
        penalty = np.concatenate([penalty, np.ones(r.shape[0])])
    k = v.shape[1]
    base = templates.sum(axis=1)
    cen = np.zeros((s.shape[0], k))
    if centres is not None:
        c = np.broadcast_to(np.asarray(centres, dtype=float), (s.shape[0], sig.size + k - int(pulled.sum())))
        cen = np.concatenate([c[:, : sig.size][:, pulled], c[:, sig.size :]], axis=1) * (penalty > 0)
    ridge = 1e-12 * np.eye(k)
    diag = 2.0 * np.diag(penalty) + ridge

    nlogn = special.xlogy(n, n)

    def objective(b0: np.ndarray, vv: np.ndarray, nn: np.ndarray, mm: np.ndarray | None, cc: np.ndarray,
                  u: np.ndarray, nl: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        mu = b0 + np.matmul(u[:, None, :], vv)[:, 0]
        if mm is not None:
            g, g1, g2, _ = profiled_bin_deviance(mu, nn, mm, d.off_ratio)
        else:  # profiled_bin_deviance without an off sample, the same operations, n ln n computed once
            pos = mu > 0
            safe = np.where(pos, mu, 1.0)
            g = np.where((mu < 0) | (~pos & (nn > 0)), np.inf, 2.0 * (mu - nn + nl - special.xlogy(nn, safe)))
            g1 = 2.0 * (1.0 - np.where(pos, nn / safe, 0.0))
            g2 = 2.0 * np.where(pos, nn / safe**2, 0.0)
        return g.sum(axis=-1) + np.sum(penalty * (u - cc) ** 2, axis=-1), g1, g2, mu

    u = np.zeros((s.shape[0], k))
    f, g1, g2, mu = objective(base, v, n, m, cen, u, nlogn)
    # Damped Newton as cevns.stats.chi2.damped_newton (Armijo with 10⁻⁴, up to 60 halvings,
    # then the row stops), each row on its own; the working arrays hold the rows still moving
    # only (compacted as rows converge) and a halving re-evaluates only the rows whose step
    # is not yet accepted.
    rows = np.flatnonzero(np.isfinite(f) & (k > 0))
    w_base, w_v, w_n, w_c, w_l = base[rows], v[rows], n[rows], cen[rows], nlogn[rows]
    w_m = None if m is None else m[rows]
    w_u, w_f, w_g1, w_g2, w_mu = u[rows], f[rows], g1[rows], g2[rows], mu[rows]
    live = np.ones(rows.size, dtype=bool)
    for _ in range(max_iter):
        if not live.any():
            break
        if live.sum() < 0.8 * live.size:  # compact the working arrays to the rows still moving
            u[rows], f[rows] = w_u, w_f
            rows = rows[live]
            w_base, w_v, w_n, w_c, w_l = w_base[live], w_v[live], w_n[live], w_c[live], w_l[live]
            w_m = None if w_m is None else w_m[live]
            w_u, w_f, w_g1, w_g2, w_mu = w_u[live], w_f[live], w_g1[live], w_g2[live], w_mu[live]
            live = np.ones(rows.size, dtype=bool)
        grad = np.matmul(w_v, w_g1[..., None])[..., 0] + 2.0 * penalty * (w_u - w_c)
        hess = np.matmul(w_v * w_g2[:, None, :], np.swapaxes(w_v, -1, -2)) + diag
        step = -np.linalg.solve(hess, grad[..., None])[..., 0]
        decrement = -np.sum(grad * step, axis=-1)
        keep = live & (decrement >= tol * (1.0 + np.abs(w_f)))
        # Skip the step lengths t = 2^-h that surely make some μ_i < 0 (t ≥ 4 t_max, t_max the
        # largest t keeping μ ≥ 0; μ is linear in the pulls): there f = ∞ and the halving would
        # refuse them anyway, so the accepted t is unchanged.
        mu0 = w_mu
        dmu = np.matmul(step[:, None, :], w_v)[:, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t_max = np.min(np.where(dmu < 0, mu0 / np.where(dmu < 0, -dmu, 1.0), np.inf), axis=-1, initial=np.inf)
            skip = np.where(4.0 * t_max >= 1.0, 0.0, np.floor(-np.log2(4.0 * t_max)) + 1.0)
        h = np.minimum(np.nan_to_num(skip, nan=0.0, posinf=halvings), halvings).astype(int)
        keep &= h < halvings  # no admissible step: the row stops where it is
        pending = np.flatnonzero(keep)
        block = 1  # step lengths tried at once per row: 1 first (most rows take t = 1), then 8
        while pending.size:
            hs = h[pending, None] + np.arange(block)  # t = 2^-hs, the next halvings in order
            t = np.ldexp(1.0, -hs)
            if pending.size == live.size and block == 1:  # every row, one step length: no copies
                trial = w_u + t * step
                f_new, g1_new, g2_new, mu_new = objective(w_base, w_v, w_n, w_m, w_c, trial, w_l)
            else:
                r = np.repeat(pending, block)
                trial = w_u[r] + t.reshape(-1, 1) * step[r]
                f_new, g1_new, g2_new, mu_new = objective(w_base[r], w_v[r], w_n[r], None if w_m is None else w_m[r],
                                                          w_c[r], trial, w_l[r])
            # the first (largest) t of each row that passes Armijo, among the halvings allowed
            passed = (f_new.reshape(-1, block) <= w_f[pending, None] - 1e-4 * t * decrement[pending, None]) & (hs < halvings)
            ok = passed.any(axis=1)
            first = np.argmax(passed, axis=1)
            pick = (np.arange(pending.size) * block + first)[ok]
            good = pending[ok]
            w_u[good], w_f[good], w_g1[good], w_g2[good] = trial[pick], f_new[pick], g1_new[pick], g2_new[pick]
            w_mu[good] = mu_new[pick]
            pending = pending[~ok]
            h[pending] += block
            keep[pending[h[pending] >= halvings]] = False  # the line search failed: the row stops
            pending = pending[h[pending] < halvings]
            block = 8
        live = keep
    u[rows], f[rows] = w_u, w_f
    return f


def _fc_statistic(lk: TemplateLikelihood, signals: np.ndarray, point: int, toys: list[Likelihood]) -> np.ndarray:
    """t = χ²(node ``point``) − min over the grid of every pseudo-experiment in ``toys``, as
    :func:`cevns.stats.feldman_cousins.delta_chi2_grid` (the minimum refined by
    ``LEVELS`` zooms of ``2 REFINE + 1`` sub-grid points, the prediction linear between
    nodes), all toys and nodes in one :func:`profiled_chi2_per_data` call per level."""
    data = [toy.data for toy in toys]  # type: ignore[attr-defined]  # template pseudo-data
    observed = np.stack([x.observed for x in data])
    off = None if data[0].off is None else np.stack([x.off for x in data])
    pulls = 1 + len(lk.data.backgrounds) + len(lk.data.shape_systematics)
    centres = np.stack([np.zeros(pulls) if x.constraint_centres is None else x.constraint_centres for x in data])
    n_toys, nodes = len(toys), signals.shape[0]

    def chi2(sig: np.ndarray) -> np.ndarray:  # sig (toys, q, bins) → (toys, q)
        q = sig.shape[1]
        rep = np.repeat(np.arange(n_toys), q)
        return profiled_chi2_per_data(lk, sig.reshape(-1, sig.shape[-1]), observed[rep],
                                      None if off is None else off[rep], centres[rep]).reshape(n_toys, q)

    grid = chi2(np.broadcast_to(signals, (n_toys,) + signals.shape))
    best = np.nanmin(grid, axis=1)
    centre = np.nanargmin(grid, axis=1).astype(float)
    alive = np.ones(n_toys, dtype=bool)
    step = 1.0
    for _ in range(LEVELS):
        pts = np.clip(centre[:, None] + np.linspace(-step, step, 2 * REFINE + 1), 0.0, nodes - 1.0)
        lo = np.clip(np.floor(pts), 0, nodes - 2).astype(int)
        frac = (pts - lo)[..., None]
        values = chi2((1.0 - frac) * signals[lo] + frac * signals[np.minimum(lo + 1, nodes - 1)])
        finite = np.isfinite(values).any(axis=1)
        alive &= finite
        i = np.argmin(np.where(np.isnan(values), np.inf, values), axis=1)
        v = values[np.arange(n_toys), i]
        better = alive & (v < best)
        best = np.where(better, v, best)
        centre = np.where(better, pts[np.arange(n_toys), i], centre)
        step /= REFINE
    return np.maximum(grid[:, point] - best, 0.0)


def fc_check(lk: TemplateLikelihood, name: str, grid: np.ndarray, around: float, n_points: int, n_toys: int,
             seed: int = 2021) -> FCCheck:
    """Feldman–Cousins pseudo-experiments (G. J. Feldman, R. D. Cousins, Phys. Rev. D 57,
    3873 (1998), arXiv:physics/9711021; profile construction, :mod:`cevns.stats.feldman_cousins`)
    at the ``n_points`` nodes of ``grid`` nearest ``around``, ``n_toys`` each; t = χ²(θ) −
    min over the whole grid, refined off the grid. The pseudo-experiments are those of
    :class:`cevns.stats.feldman_cousins.FCStudy` (node p, chunk 0: the same random
    numbers), their statistic computed for all toys of a node at once
    (:func:`_fc_statistic`) instead of one toy at a time."""
    study = fc_study(lk, {name: grid}, seed=seed)
    nodes = np.sort(np.argsort(np.abs(grid - around))[:n_points])
    rows = []
    for p in nodes:
        rng = np.random.default_rng(np.random.SeedSequence([study.seed, int(p), 0]))
        toys = study.sampler(lk, study.signals[p])(rng, n_toys)
        rows.append(_fc_statistic(lk, study.signals, int(p), list(toys)))
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
    "BatchedTemplateLikelihood",
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
    "profiled_chi2_per_data",
    "sigma_of",
    "signal_strength",
]
