"""Feldman–Cousins confidence intervals and regions from pseudo-experiments, for any binned
likelihood of this package (one or two tested parameters).

The unified approach (G. J. Feldman, R. D. Cousins, Phys. Rev. D 57, 3873 (1998),
arXiv:physics/9711021, Sec. IV.B) orders the possible data at each tested point θ by the
likelihood ratio, i.e. by the statistic

.. math::
   t(θ) = χ^2(θ) − \\min_{θ'} χ^2(θ'),

the minimum taken over the physically allowed θ' (here: the tested grid, refined between
its nodes). The critical value t_c(θ) at confidence level CL is the CL quantile of t over
pseudo-experiments generated at θ, and the confidence set is {θ : t_data(θ) ≤ t_c(θ)}.
Where Wilks' theorem holds t follows a χ² distribution of dof = number of tested parameters
and t_c equals the Wilks threshold (1-D: 1.00 / 2.71 / 4.00; 2-D: 2.30 / 4.61 / 5.99);
COHERENT CsI data violate it (P. B. Denton, J. Gehrlein, JHEP 04 (2021) 266,
arXiv:2008.06062), hence this construction. The fraction of pseudo-experiments with
t ≤ the Wilks threshold is the coverage the Wilks interval would have at θ.

Nuisance parameters (normalisation pulls, shape pulls, shared normalisations, backgrounds
measured by an off sample) follow the *profile construction* with randomised global
observables (ATLAS & CMS, "Procedure for the LHC Higgs boson search combination",
ATL-PHYS-PUB-2011-11 / CMS NOTE-2011/005, Sec. 2; K. Cranmer, "Practical statistics for
the LHC", arXiv:1503.07622, Sec. on toy generation; the PDG Review of Particle Physics,
"Statistics", Sec. 40.4.2; used for CEvNS by Denton & Gehrlein): at θ the main measurement
is generated with the nuisances at their conditional estimates θ̂̂(θ) profiled on the real
data, and the auxiliary measurements, i.e. the centres of the Gaussian constraints, are
drawn from their distributions around them, c_k ~ N(û_k, 1) in standardised units (û: the
profiled pulls over their σ; signal and background normalisations, shape pulls, shared
normalisations η); each pseudo-experiment is fitted with the penalty Σ_k (u_k − c_k)²
(:attr:`cevns.stats.templates.TemplateData.constraint_centres`,
:attr:`cevns.stats.joint.JointLikelihood.shared_centres`). Keeping the centres at their
observed values instead (``global_observables=False`` of :func:`pseudo_data_sampler`) gives
an ensemble without systematic variance, whose t is too narrow (on the CsI 2021 release t_c
at 68% ≈ 0.4–0.6 instead of ≈ 1). Measured samples that are part of the likelihood (the
off-beam sample, the steady state of a residual) are drawn (Poisson). Each
pseudo-experiment is a likelihood of the same class with the data replaced
(:func:`pseudo_data_sampler`), so its statistic is the real one.

Experiments (:class:`~cevns.stats.fits.ExperimentLikelihood`, one or a few bins, pull χ² or
Poisson deviance) keep their constraints at 0 and are generated at (α̂, β̂): a centre c on
the pull α of a template S is exactly a reparametrisation (1 + α = (1 + cσ)(1 + α''):
template (1 + cσ) S, width σ/(1 + cσ), centre 0, for either statistic), but it needs
1 + cσ > 0 (violated by a draw far in the tail for wide backgrounds) and a likelihood whose
signal is rescaled by the pseudo-experiment; not done (:class:`ExperimentPseudoData`).

Speed: the predictions S(θ') at every grid node are computed once; for each
pseudo-experiment the χ² of all nodes is one vectorised ``chi2_from_signal`` call, and the
minimum is refined by successive sub-grids (:data:`REFINE` points per step,
:data:`LEVELS` zooms) around the best node, with the prediction interpolated multilinearly between nodes (exact for parameters that
enter the counts linearly, such as a signal strength; for others the grid must be fine
enough that the prediction is linear across a cell).

Random numbers: the pseudo-experiments of grid node p, chunk c are drawn from
``numpy.random.SeedSequence([seed, p, c])``, so results do not depend on how the chunks
are spread over workers, and a resumed study equals an uninterrupted one bit for bit.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np

from cevns.errors import InputError
from cevns.runtime.parallel import run_chunks
from cevns.stats.chi2 import binned_pull_chi2, delta_chi2_threshold, interval_from_profile, profiled_poisson_deviance
from cevns.stats.fits import ExperimentLikelihood, _poisson_data, _sigma_stat
from cevns.stats.likelihood import Likelihood
from cevns.stats.templates import TemplateLikelihood, profiled_bin_deviance
from cevns.stats.toys import pseudo_data

#: Sub-grid points per grid step used to refine the minimum over θ' (index space), and
#: the number of successive zooms.
REFINE = 8
LEVELS = 3


# --- pseudo-data ----------------------------------------------------------------------------
class PseudoData(Protocol):
    """Draws ``n`` pseudo-experiments: likelihoods of the same kind with pseudo-data."""

    def __call__(self, rng: np.random.Generator, n: int) -> Sequence[Likelihood]: ...


#: Makes the pseudo-data generator of a likelihood for the expected signal (entries,) at
#: the tested point (the profile construction: :func:`pseudo_data_sampler`).
SamplerFactory = Callable[[Likelihood, np.ndarray], PseudoData]


@dataclass(frozen=True)
class ExperimentPseudoData:
    """Pseudo-data of an :class:`~cevns.stats.fits.ExperimentLikelihood`:
    :func:`cevns.stats.toys.pseudo_data` with the normalisation widths set to 0 (Poisson
    beam-on counts, the steady state subtracted as the statistic expects) around the signal
    and beam background scaled by the pulls profiled on the data; the pseudo-experiments'
    likelihoods keep the measurement's constraints."""

    likelihood: ExperimentLikelihood
    signal: np.ndarray
    background: np.ndarray

    def __call__(self, rng: np.random.Generator, n: int) -> list[Likelihood]:
        m = self.likelihood.measurement
        fixed_pulls = dataclasses.replace(m, background=self.background, sigma_signal=0.0, sigma_background=0.0)
        data = pseudo_data(fixed_pulls, self.signal, rng, n)
        return [ExperimentLikelihood(self.likelihood.predictor, dataclasses.replace(m, observed=d, label="pseudo-data"),
                                     self.likelihood.fixed) for d in data]



def experiment_sampler(likelihood: ExperimentLikelihood, signal: np.ndarray) -> ExperimentPseudoData:
    """Profile construction for an experiment: the signal and background pulls (α̂, β̂)
    profiled on the data for expected ``signal`` (pull χ², D. K. Papoulias, T. S. Kosmas,
    arXiv:1711.09773, Eq. 6, or the Poisson deviance of :mod:`cevns.stats.chi2`), then
    pseudo-data around (1+α̂)S and (1+β̂)B."""
    m = likelihood.measurement
    s = np.asarray(signal, dtype=float)
    if m.statistic == "pull-chi2":
        pulls = binned_pull_chi2(m.observed, s, m.background, m.sigma_signal, m.sigma_background, _sigma_stat(m)).pulls
        background = (1.0 + pulls[1]) * m.background
    else:
        observed, b, sigma_b = _poisson_data(m)
        pulls = profiled_poisson_deviance(observed, s, b, m.sigma_signal, sigma_b).pulls
        background = np.clip((1.0 + pulls[1]) * b - m.steady_state, 0.0, None)  # the pull acts on B_on + B_ss
    return ExperimentPseudoData(likelihood, (1.0 + pulls[0]) * s, background)


@dataclass(frozen=True)
class TemplatePseudoData:
    """Pseudo-data of a :class:`~cevns.stats.templates.TemplateLikelihood`: beam-on counts
    n_i ~ Pois((1+â_S) S_i + Σ_k (1+â_k) B_ki + Σ_j θ̂_j r_ji S_i + b̂_i) with the
    normalisations â, the shape pulls θ̂ and the steady state b̂ profiled on the data, the
    off sample m_i ~ Pois(τ b̂_i), and the constraint centres (global observables, in
    standardised units) c_k ~ N(û_k, 1) around the standardised profiled pulls û, each
    pseudo-experiment fitted with the penalty Σ_k (u_k − c_k)² (module docstring).

    ``rows`` (K + J, bins): the signal, the backgrounds, then the shape shifts r_j S;
    ``centres`` (K + J,): the profiled pulls (fractions a for the normalisations, θ for the
    shape nuisances), the point the counts are generated at; ``observables`` (K + J,): the
    standardised profiled pulls û (a/σ, θ), the means of the drawn constraint centres;
    ``widths`` (K + J,): 1 for the constrained pulls, 0 for fixed (σ = 0) and free (σ = ∞)
    ones; ``None``: the centres are not drawn and the pseudo-experiments keep the data's
    (the ensemble without systematic variance, for comparison); ``norms`` = K (rows that
    enter as 1 + a, the rest as θ)."""

    likelihood: TemplateLikelihood
    rows: np.ndarray
    centres: np.ndarray
    widths: np.ndarray | None
    norms: int
    steady: np.ndarray | None
    observables: np.ndarray | None = None

    def __call__(self, rng: np.random.Generator, n: int) -> list[Likelihood]:
        d = self.likelihood.data
        draws = rng.normal(0.0, 1.0, size=(n, self.centres.size))  # drawn first: the counts match the old ensemble
        coefficients = self.centres + (np.arange(self.centres.size) < self.norms)
        mean = np.clip(np.einsum("k,ki->i", coefficients, self.rows), 0.0, None)
        if self.steady is not None:
            mean = mean + self.steady
        mean = np.broadcast_to(mean, (n, mean.size))
        on = rng.poisson(mean).astype(float)
        off = rng.poisson(np.broadcast_to(d.off_ratio * self.steady, on.shape)).astype(float) if self.steady is not None else None
        if self.widths is None or self.observables is None:
            centres: list[np.ndarray | None] = [d.constraint_centres] * n
        else:
            centres = list(self.observables + draws * self.widths)
        return [dataclasses.replace(self.likelihood, data=dataclasses.replace(
            d, observed=on[i], off=None if off is None else off[i], label="pseudo-data", constraint_centres=centres[i]))
            for i in range(n)]


def template_sampler(likelihood: TemplateLikelihood, signal: np.ndarray, global_observables: bool = True) -> TemplatePseudoData:
    """Profile construction for binned data with templates: the normalisations, the shape
    nuisances (``shape_systematics``: shifts θ_j r_j S) and the per-bin steady state
    profiled on the data for expected ``signal`` (the Baker–Cousins likelihood ratio of
    :mod:`cevns.stats.templates`); with ``global_observables`` the constraint centres of
    every constrained pull are drawn around the profiled pulls (module docstring), without
    them the pseudo-experiments keep the data's centres (no systematic variance)."""
    d = likelihood.data
    s = np.asarray(signal, dtype=float)
    fit = likelihood.pulls(s)
    templates, sigmas = likelihood._templates(s, d.sigma_signal)
    shapes = getattr(d, "shape_systematics", ())
    rows = np.concatenate([templates, s[None, :] * np.stack([x.relative for x in shapes])]) if shapes else templates
    norms = templates.shape[0]
    pulls = np.asarray(fit.pulls, dtype=float)[: rows.shape[0]]
    centres = np.where(np.concatenate([sigmas > 0, np.ones(len(shapes), dtype=bool)]), pulls, 0.0)
    constrained = np.concatenate([(sigmas > 0) & np.isfinite(sigmas), np.ones(len(shapes), dtype=bool)])
    scale = np.concatenate([np.where(constrained[:norms], sigmas, 1.0), np.ones(len(shapes))])
    observables = np.where(constrained, centres / scale, 0.0)
    steady = None
    if d.off is not None:
        mu = np.clip(np.einsum("k,ki->i", centres + (np.arange(centres.size) < norms), rows), 0.0, None)
        steady = profiled_bin_deviance(mu, d.observed, d.off, d.off_ratio)[3]
    widths = constrained.astype(float) if global_observables else None
    return TemplatePseudoData(likelihood, rows, centres, widths, norms, steady, observables)


@dataclass(frozen=True)
class JointPseudoData:
    """Pseudo-data of a :class:`~cevns.stats.joint.JointLikelihood`: the shared nuisances
    at their values η̂ profiled on the data, each member sampled by its own generator (made
    from its likelihood with only its own uncertainty, at its signal times 1 + s_m·η̂; its
    own constraint centres drawn by that generator); the pseudo-experiment is the same
    combination of the members with their data replaced and, with ``global_observables``,
    the shared constraint centres drawn c_k ~ N(η̂_k, 1) (``shared_centres``; drawn after
    the members' pseudo-data)."""

    likelihood: Any
    members: tuple[Any, ...]
    eta: np.ndarray  # (K,) profiled shared nuisances
    scale: np.ndarray  # (members, K) s_m
    sigmas: tuple[float | None, ...]  # each member's total signal σ, restored on its pseudo-data
    global_observables: bool = True

    def __call__(self, rng: np.random.Generator, n: int) -> list[Likelihood]:
        from cevns.stats.joint import JointMember, with_signal_sigma

        drawn = [draw(rng, n) for draw in self.members]
        shared = self.eta + rng.normal(0.0, 1.0, size=(n, self.eta.size)) if self.global_observables else None
        out = []
        for i in range(n):
            members = [JointMember(member.label, toys[i] if sigma is None else with_signal_sigma(toys[i], sigma))
                       for member, toys, sigma in zip(self.likelihood.members, drawn, self.sigmas)]
            centres = self.likelihood.shared_centres if shared is None or not self.eta.size else tuple(float(c) for c in shared[i])
            out.append(dataclasses.replace(self.likelihood, members=tuple(members), shared_centres=centres))
        return out


def joint_sampler(likelihood: Any, signal: np.ndarray, global_observables: bool = True) -> JointPseudoData:
    """Profile construction for a joint fit (:class:`~cevns.stats.joint.JointLikelihood`):
    the shared nuisances η̂ profiled on the data for the concatenated ``signal``, and each
    member's generator (:func:`pseudo_data_sampler` of the member's own likelihood) at
    its signal scaled by 1 + s_m·η̂; with ``global_observables`` the members' and the
    shared constraint centres are drawn around their profiled values (module docstring)."""
    from cevns.stats.joint import signal_sigma

    s = np.asarray(signal, dtype=float)
    _, eta, _ = likelihood._profile(s)
    eta = np.asarray(eta, dtype=float).reshape(-1)
    scale = np.asarray(likelihood._scale, dtype=float).reshape(len(likelihood.members), eta.size)
    draws = []
    sigmas: list[float | None] = []
    for i, (member, own, part) in enumerate(zip(likelihood.members, likelihood._own, likelihood._split(s))):
        draws.append(pseudo_data_sampler(own, part * (1.0 + scale[i] @ eta), global_observables))
        sigmas.append(signal_sigma(member.likelihood) if own is not member.likelihood else None)
    return JointPseudoData(likelihood, tuple(draws), eta, scale, tuple(sigmas), global_observables)


def pseudo_data_sampler(likelihood: Likelihood, signal: np.ndarray, global_observables: bool = True) -> PseudoData:
    """The profile-construction pseudo-data generator of ``likelihood`` at the tested point
    whose expected signal per data entry is ``signal`` (``likelihood.signal(θ)``).
    ``global_observables``: draw the constraint centres of the pseudo-experiments around
    the profiled pulls (the standard construction, module docstring); False keeps the
    data's centres (an ensemble without systematic variance, for comparison:
    ``functools.partial(pseudo_data_sampler, global_observables=False)`` as the ``sampler``
    of :func:`fc_study`). Experiments ignore it (their pulls are not randomised,
    :class:`ExperimentPseudoData`).

    Experiments, binned data with templates and joint fits of those (with shared signal
    normalisations) are supported; anything else (e.g. detector arrays with a covariance
    χ²) raises :class:`~cevns.errors.InputError`. A custom generator can be given to
    :class:`FCStudy` instead (``sampler``); a new kind of likelihood needs a generator
    here."""
    if isinstance(likelihood, ExperimentLikelihood):
        return experiment_sampler(likelihood, signal)
    if isinstance(likelihood, TemplateLikelihood):
        return template_sampler(likelihood, signal, global_observables)
    if type(likelihood).__name__ == "JointLikelihood":  # cevns.stats.joint, imported only when used
        return joint_sampler(likelihood, signal, global_observables)
    raise InputError(f"Feldman–Cousins pseudo-data are not available for {type(likelihood).__name__}")


# --- the statistic over a grid ----------------------------------------------------------------
def _interpolated(signals: np.ndarray, shape: tuple[int, ...], points: np.ndarray) -> np.ndarray:
    """Predictions at fractional node coordinates ``points`` (P, k), multilinear between nodes."""
    out = np.zeros((points.shape[0], signals.shape[-1]))
    base = np.stack([np.clip(np.floor(points[:, d]), 0, max(size - 2, 0)) for d, size in enumerate(shape)], axis=-1).astype(int)
    frac = points - base
    for corner in np.ndindex(*(2,) * len(shape)):
        offset = np.array(corner)
        idx = np.minimum(base + offset, np.array(shape) - 1)
        weight = np.prod(np.where(offset == 1, frac, 1.0 - frac), axis=-1)
        out += weight[:, None] * signals[np.ravel_multi_index(tuple(idx.T), shape)]
    return out


def _refined_minima(chi2_rows: Callable[[np.ndarray, int], np.ndarray], signals: np.ndarray, shape: tuple[int, ...],
                    grid: np.ndarray) -> np.ndarray:
    """min over θ' of χ² for each of a batch of data sets, from their χ² at the grid nodes
    ``grid`` (sets, nodes): the best node, then :data:`LEVELS` zooms, each a sub-grid of ±1
    step around the best point so far with :data:`REFINE` points per step (so the last step
    is a cell / REFINE^LEVELS), the prediction interpolated multilinearly.
    ``chi2_rows(predictions (sets · q, entries), q)`` → χ² (sets, q): q predictions per data
    set, in one call per level. A point clipped onto another at the grid's edge is evaluated
    twice (the first of equal minima is the same point as without the copy); a data set
    whose sub-grid is nowhere finite keeps its minimum so far."""
    n_sets, dims = grid.shape[0], len(shape)
    with np.errstate(invalid="ignore"):
        best = np.array([float(np.nanmin(row)) for row in grid])
    centre = np.array([np.unravel_index(int(np.nanargmin(row)), shape) for row in grid], dtype=float).reshape(n_sets, dims)
    upper = np.array(shape, dtype=float) - 1.0
    live = np.ones(n_sets, dtype=bool)
    step = 1.0
    offsets = np.linspace(-1.0, 1.0, 2 * REFINE + 1)
    for _ in range(LEVELS):
        axes = [np.clip(centre[:, d, None] + step * offsets, 0.0, upper[d]) for d in range(dims)]
        mesh = np.stack([m.reshape(n_sets, -1) for m in np.broadcast_arrays(
            *(a.reshape((n_sets,) + tuple(-1 if k == d else 1 for k in range(dims))) for d, a in enumerate(axes)))],
            axis=-1)  # (sets, points, dims), row-major over the axes
        values = chi2_rows(_interpolated(signals, shape, mesh.reshape(-1, dims)), mesh.shape[1])
        live &= np.isfinite(values).any(axis=1)
        i = np.argmin(np.where(np.isnan(values), np.inf, values), axis=1)
        v = values[np.arange(n_sets), i]
        better = live & (v < best)
        best = np.where(better, v, best)
        centre = np.where(better[:, None], mesh[np.arange(n_sets), i], centre)
        step /= REFINE
    return best


def delta_chi2_grid(likelihood: Likelihood, signals: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """t(θ) = χ²(θ) − min_θ' χ²(θ') at every node of a grid of ``shape`` whose predictions
    are ``signals`` (nodes, entries), the minimum refined between nodes; flat (nodes,)."""
    chi2 = np.asarray(likelihood.chi2_from_signal(signals), dtype=float)

    def chi2_rows(predictions: np.ndarray, q: int) -> np.ndarray:
        return np.asarray(likelihood.chi2_from_signal(predictions), dtype=float).reshape(1, q)

    return np.maximum(chi2 - _refined_minima(chi2_rows, signals, shape, chi2[None, :])[0], 0.0)


#: The most (rows × entries) values one batched call of :func:`delta_chi2_toys` handles at
#: once; its pseudo-experiments are taken in groups that stay below (bounded memory).
TOY_BATCH_VALUES = 1 << 22


def _same_model(likelihood: Likelihood, toys: Sequence[Likelihood]) -> bool:
    """Whether every toy is ``likelihood``'s template likelihood with other data only
    (observed counts, off sample, constraint centres): what :func:`delta_chi2_toys` batches."""
    if not isinstance(likelihood, TemplateLikelihood):
        return False
    d = likelihood.data
    return all(isinstance(t, TemplateLikelihood) and t.predictor is likelihood.predictor and dict(t.fixed) == dict(likelihood.fixed)
               and t.data.backgrounds is d.backgrounds and t.data.shape_systematics is d.shape_systematics
               and t.data.sigma_signal == d.sigma_signal and t.data.off_ratio == d.off_ratio
               and (t.data.off is None) == (d.off is None) for t in toys)


def delta_chi2_toys(likelihood: TemplateLikelihood, toys: Sequence[TemplateLikelihood], signals: np.ndarray,
                    shape: tuple[int, ...], point: int) -> np.ndarray:
    """t = χ²(node ``point``) − min_θ' χ²(θ') of every pseudo-experiment in ``toys`` (template
    likelihoods of ``likelihood``'s model with their own data, :func:`_same_model`): the
    statistic of :func:`delta_chi2_grid` (the same nodes, the same :data:`LEVELS` zooms of
    :data:`REFINE` points per step, the prediction interpolated multilinearly), with all
    toys of a group and all their points in one
    :meth:`~cevns.stats.templates.TemplateLikelihood.chi2_per_data` call per level instead
    of one call per toy and level. The refinements' fits start from each toy's pulls at its
    best point so far (:meth:`~cevns.stats.templates.TemplateLikelihood.fit_per_data`), which
    halves their Newton steps. Equal to the toy-by-toy statistic to the tolerance of those fits
    (minima on the edge μ = 0 of an empty bin included: the fits move along the edge to its
    minimum, :func:`cevns.stats.templates._minimum_on_the_edge`, wherever they meet it)."""
    n_toys = len(toys)
    out = np.empty(n_toys)
    nodes = signals.shape[0]
    per_toy = nodes + (2 * REFINE + 1) ** len(shape)
    group = max(1, TOY_BATCH_VALUES // max(per_toy * signals.shape[1], 1))
    for start in range(0, n_toys, group):
        chunk = list(toys[start:start + group])
        out[start:start + len(chunk)] = _delta_chi2_group(likelihood, chunk, signals, shape, point)
    return out


def _delta_chi2_group(likelihood: TemplateLikelihood, toys: list[TemplateLikelihood], signals: np.ndarray,
                      shape: tuple[int, ...], point: int) -> np.ndarray:
    """:func:`delta_chi2_toys` for one group of toys."""
    data = [t.data for t in toys]
    observed = np.stack([x.observed for x in data])
    off = None if data[0].off is None else np.stack([np.asarray(x.off) for x in data])
    n_pulls = 1 + len(likelihood.data.backgrounds) + len(likelihood.data.shape_systematics)
    centres = np.stack([np.zeros(n_pulls) if x.constraint_centres is None else np.asarray(x.constraint_centres) for x in data])
    n_toys, nodes = len(toys), signals.shape[0]
    fit = likelihood.fit_per_data(np.tile(signals, (n_toys, 1)), np.repeat(observed, nodes, axis=0),
                                  None if off is None else np.repeat(off, nodes, axis=0), np.repeat(centres, nodes, axis=0))
    grid = np.asarray(fit.chi2, dtype=float).reshape(n_toys, nodes)
    # each refinement starts a toy's Newton iterations from its pulls at the best point so far
    # (where the refinement looks): the same minima to the iterations' tolerance, in fewer steps
    rows = np.arange(n_toys)

    def best_pulls(values: np.ndarray, pulls: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
        """(lowest χ² of each toy's q rows, the pulls there)."""
        finite = np.where(np.isnan(values), np.inf, values)
        at = np.argmin(finite, axis=1)
        chosen = pulls.reshape(n_toys, q, -1)[rows, at]
        return finite[rows, at], np.where(np.isfinite(chosen), chosen, 0.0)

    lowest, start = best_pulls(grid, fit.pulls, nodes)

    def chi2(sig: np.ndarray, q: int) -> np.ndarray:  # sig (toys · q, entries), q rows per toy → (toys, q)
        nonlocal lowest, start
        rep = np.repeat(rows, q)
        level = likelihood.fit_per_data(sig, observed[rep], None if off is None else off[rep], centres[rep], start=start[rep])
        values = np.asarray(level.chi2, dtype=float).reshape(n_toys, q)
        found, pulls = best_pulls(values, level.pulls, q)
        better = found < lowest
        lowest, start = np.where(better, found, lowest), np.where(better[:, None], pulls, start)
        return values

    best = _refined_minima(chi2, signals, shape, grid)
    return np.maximum(grid[:, point] - best, 0.0)


def weighted_quantile(t: np.ndarray, cl: float, weights: np.ndarray | None = None) -> float:
    """The smallest t_c with P(t ≤ t_c) ≥ ``cl`` (the inverted empirical CDF: for discrete
    data the Feldman–Cousins rule of adding outcomes in order until the probability reaches
    CL, FC 1998 Sec. IV.B), with optional probabilities ``weights`` (an exact enumeration)."""
    t = np.asarray(t, dtype=float)
    w = np.full(t.size, 1.0 / t.size) if weights is None else np.asarray(weights, dtype=float) / np.sum(weights)
    order = np.argsort(t, kind="stable")
    cdf = np.cumsum(w[order])
    k = int(np.searchsorted(cdf, cl - 1e-12))
    return float(t[order][min(k, t.size - 1)])


@dataclass(frozen=True)
class FCStudy:
    """Everything a chunk of Feldman–Cousins pseudo-experiments needs: the likelihood, the
    grid (``names``, ``axes``), the predictions at every node (``signals`` (nodes,
    entries), row-major over the axes), the ``seed`` and how pseudo-data are made
    (``sampler``, default :func:`pseudo_data_sampler`). Picklable for process pools."""

    likelihood: Likelihood
    names: tuple[str, ...]
    axes: tuple[np.ndarray, ...]
    signals: np.ndarray
    seed: int
    sampler: SamplerFactory = pseudo_data_sampler

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(a.size for a in self.axes)

    def __call__(self, point: int, chunk: int, size: int) -> np.ndarray:
        """t of ``size`` pseudo-experiments generated at grid node ``point`` (chunk
        ``chunk`` of that node)."""
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, point, chunk]))
        toys = self.sampler(self.likelihood, self.signals[point])(rng, size)
        if isinstance(self.likelihood, TemplateLikelihood) and _same_model(self.likelihood, toys):
            return delta_chi2_toys(self.likelihood, cast(Sequence[TemplateLikelihood], toys), self.signals, self.shape, point)
        return np.array([delta_chi2_grid(toy, self.signals, self.shape)[point] for toy in toys])


def fc_study(likelihood: Likelihood, axes: Mapping[str, Sequence[float] | np.ndarray], seed: int = 0,
             sampler: SamplerFactory = pseudo_data_sampler) -> FCStudy:
    """Set up a Feldman–Cousins study on the grid ``axes`` (one or two parameters, each
    strictly increasing; other parameters are the likelihood's fixed ones): the
    predictions at every node are computed here, once."""
    if len(axes) not in (1, 2):
        raise InputError("Feldman–Cousins intervals take one or two parameters")
    names = tuple(axes)
    arrays = tuple(np.asarray(a, dtype=float) for a in axes.values())
    if any(a.ndim != 1 or a.size < 2 or not np.all(np.diff(a) > 0) for a in arrays):
        raise InputError("each Feldman–Cousins axis needs ≥ 2 strictly increasing values")
    mesh = np.meshgrid(*arrays, indexing="ij")
    nodes = [dict(zip(names, (float(m.flat[i]) for m in mesh))) for i in range(mesh[0].size)]
    signals = np.stack([np.asarray(likelihood.signal(v), dtype=float) for v in nodes])
    return FCStudy(likelihood, names, arrays, signals, int(seed), sampler)


@dataclass(frozen=True)
class FCResult:
    """A Feldman–Cousins study: ``statistic`` t (nodes, toys) of the pseudo-experiments
    (NaN where not done), ``done``, and ``data`` t_data(θ) (nodes,) of the real data."""

    names: tuple[str, ...]
    axes: tuple[np.ndarray, ...]
    statistic: np.ndarray
    done: np.ndarray
    data: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(a.size for a in self.axes)

    @property
    def complete(self) -> bool:
        return bool(self.done.all())

    def critical_values(self, levels: Mapping[str, float]) -> dict[str, np.ndarray]:
        """t_c(θ) per level (grid shape): the CL quantile of t (:func:`weighted_quantile`)."""
        out = {}
        for label, cl in levels.items():
            values = [weighted_quantile(t[ok], cl) if ok.any() else math.nan for t, ok in zip(self.statistic, self.done)]
            out[label] = np.array(values).reshape(self.shape)
        return out

    def wilks_coverage(self, levels: Mapping[str, float]) -> dict[str, np.ndarray]:
        """Fraction of pseudo-experiments with t ≤ the Wilks threshold (dof = number of
        axes) per level and node: the coverage of the Wilks interval at θ."""
        dof = len(self.axes)
        out = {}
        for label, cl in levels.items():
            c = float(delta_chi2_threshold(cl, dof))
            with np.errstate(invalid="ignore"):
                cov = np.where(self.done, self.statistic <= c, False).sum(axis=1) / np.maximum(self.done.sum(axis=1), 1)
            out[label] = np.where(self.done.any(axis=1), cov, np.nan).reshape(self.shape)
        return out

    def accepted(self, levels: Mapping[str, float]) -> dict[str, np.ndarray]:
        """The Feldman–Cousins confidence set per level: t_data(θ) ≤ t_c(θ) (grid shape)."""
        data = self.data.reshape(self.shape)
        return {label: data <= tc for label, tc in self.critical_values(levels).items()}

    def intervals(self, levels: Mapping[str, float]) -> dict[str, list[list[float]]]:
        """One parameter: the FC intervals per level, ends interpolated linearly where
        t_data − t_c changes sign between nodes (an end at a grid edge is the edge)."""
        if len(self.axes) != 1:
            raise InputError("FC intervals are for one parameter; two give a region (accepted)")
        out = {}
        for label, tc in self.critical_values(levels).items():
            pieces = interval_from_profile(self.axes[0], self.data - tc, 0.0)
            out[label] = [[p.low, p.high] for p in pieces]
        return out


def data_statistic(study: FCStudy) -> np.ndarray:
    """t_data(θ) at every node for the study's real data."""
    return delta_chi2_grid(study.likelihood, study.signals, study.shape)


def empty_fc(study: FCStudy, n_toys: int) -> FCResult:
    """A study with ``n_toys`` pseudo-experiments per node, none done yet."""
    if n_toys < 1:
        raise InputError(f"the number of pseudo-experiments must be ≥ 1, got {n_toys}")
    nodes = study.signals.shape[0]
    return FCResult(study.names, study.axes, np.full((nodes, n_toys), np.nan), np.zeros((nodes, n_toys), dtype=bool),
                    data_statistic(study))


def fc_tasks(state: FCResult, chunk: int) -> list[tuple[int, int, int]]:
    """(node, chunk, size) of every chunk not yet done; chunk c of a node is its
    pseudo-experiments [c·chunk, (c+1)·chunk)."""
    if chunk < 1:
        raise InputError("chunk must be ≥ 1")
    n = state.done.shape[1]
    return [(p, c, min((c + 1) * chunk, n) - c * chunk) for p in range(state.done.shape[0])
            for c in range((n + chunk - 1) // chunk) if not state.done[p, c * chunk:(c + 1) * chunk].all()]


def run_fc(
    study: FCStudy,
    state: FCResult,
    chunk: int = 100,
    on_chunk: Callable[[FCResult, int], None] | None = None,
    executor: Executor | None = None,
    on_part: Callable[[np.ndarray, dict[str, np.ndarray]], None] | None = None,
) -> FCResult:
    """Run the pseudo-experiments of ``state`` not yet done (arrays filled in place).

    After each finished chunk, in the calling process: ``on_part(flat indices into
    (nodes, toys), {"statistic": t})`` (what a :class:`~cevns.runtime.stores.ChunkStore`
    appends), then ``on_chunk(state, n_new)``."""
    n = state.done.shape[1]

    def store(args: tuple[int, int, int], t: np.ndarray) -> None:
        point, c, size = args
        part = slice(c * chunk, c * chunk + size)
        state.statistic[point, part] = t
        state.done[point, part] = True
        if on_part:
            on_part(point * n + np.arange(part.start, part.stop), {"statistic": state.statistic[point, part]})
        if on_chunk:
            on_chunk(state, size)

    run_chunks(study, fc_tasks(state, chunk), store, executor)
    return state


__all__ = [
    "LEVELS",
    "REFINE",
    "ExperimentPseudoData",
    "FCResult",
    "FCStudy",
    "JointPseudoData",
    "PseudoData",
    "SamplerFactory",
    "TemplatePseudoData",
    "data_statistic",
    "delta_chi2_grid",
    "delta_chi2_toys",
    "empty_fc",
    "experiment_sampler",
    "fc_study",
    "fc_tasks",
    "joint_sampler",
    "pseudo_data_sampler",
    "run_fc",
    "template_sampler",
    "weighted_quantile",
]
