"""Joint fits of several experiments with shared nuisance parameters.

A :class:`JointLikelihood` combines member likelihoods (any
:class:`cevns.stats.likelihood.Likelihood`: experiments, arrays, template likelihoods of the
data releases, polynomial stand-ins, other joints). The physics parameters θ are common:
every member is evaluated at the same named values (a free ``rn_133Cs`` or
``sin2_theta_w`` is one parameter of the combination). Each member keeps its own nuisances,
profiled by itself; named *shared* nuisances are profiled once for the whole combination.

The shared kind implemented is a common signal normalisation ("signal-normalisation", e.g.
the neutrino yield per proton of the SNS, which scales the CEvNS signal of every COHERENT
detector alike): η ~ N(0, 1), and member m's signal is multiplied by (1 + s_m η). The
member's own signal-normalisation uncertainty then excludes that part,
σ_own,m = √(σ_m² − Σ_k s_mk²), so that each member alone keeps its total uncertainty.
With the Gaussian constraint of η,

.. math::
   χ^2(θ) = \\min_{η}\\Big[\\sum_m χ^2_m\\big(S_m(θ)\\,(1 + \\textstyle\\sum_k s_{mk} η_k)\\big)
   + \\sum_k η_k^2\\Big],

where χ²_m is member m's own profiled χ² (with σ_own,m): profiling in stages is the same
as minimising over all pulls at once. This is the standard treatment of a correlated
normalisation in a combined likelihood (e.g. the COHERENT CsI + LAr combinations: M.
Cadeddu et al., Phys. Rev. D 104, 065502 (2021), arXiv:2102.06153; the 10% SNS flux
uncertainty common to both detectors: D. Akimov et al. (COHERENT), PRL 129, 081801 (2022),
arXiv:2110.07730 and PRL 126, 012002 (2021), arXiv:2003.10630).

The η are profiled by Newton's method with central finite differences, vectorised over
the batch of ``chi2_from_signal`` (all members evaluated for all trial η in one call each),
each step halved until χ² decreases. The objective is a sum over members, each depending
only on the η that act on it, so it separates into the connected components of the
member–nuisance graph (e.g. the SNS, reactor and ⁸B blocks of ``global``): each block is
minimised on its own (same minimum; a k-nuisance block needs 1 + 2k + 2k(k−1) trial points
of its members per Newton step, not those of all K nuisances for every member), and a
member that shares nothing is evaluated once. Only the batch elements not yet converged are
evaluated again. A member that profiles nuisances of its own iteratively may offer
``prepare_scaled(signal)`` and ``scaled_chi2(prepared, factor, start) → (χ², nuisances)``
(the XENONnT ⁸B release): its signal is then prepared (folded) once per call and each of its
profiles starts from its last solution for the same batch element — the same minimum to its
fit tolerance, in a fraction of the time.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from cevns.errors import InputError
from cevns.physics.parameters import radius_isotope
from cevns.stats.arrays import ArrayLikelihood
from cevns.stats.fits import ExperimentLikelihood
from cevns.stats.likelihood import Likelihood, Values
from cevns.stats.templates import SplitPredictor, TemplateLikelihood
from cevns.stats.toys import PolynomialLikelihood

#: The kinds of shared nuisance a combination knows.
SHARED_KINDS: tuple[str, ...] = ("signal-normalisation",)


@dataclass(frozen=True)
class SharedNuisance:
    """A nuisance common to several members: ``name``, ``kind`` (one of
    :data:`SHARED_KINDS`) and the fractional effect of one unit of it on each member
    (member label → s_m; for "signal-normalisation" the fractional 1σ uncertainty of that
    member's signal carried by this common source)."""

    name: str
    sigmas: Mapping[str, float]
    kind: str = "signal-normalisation"

    def __post_init__(self) -> None:
        if self.kind not in SHARED_KINDS:
            raise InputError(f"shared nuisance {self.name!r}: unknown kind {self.kind!r} (known: {', '.join(SHARED_KINDS)})")
        if not self.sigmas:
            raise InputError(f"shared nuisance {self.name!r} has no members")
        bad = [k for k, s in self.sigmas.items() if not (math.isfinite(float(s)) and float(s) >= 0)]
        if bad:
            raise InputError(f"shared nuisance {self.name!r}: the fractional sigma of {', '.join(bad)} must be a number ≥ 0")
        object.__setattr__(self, "sigmas", {k: float(s) for k, s in self.sigmas.items()})

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable description."""
        return {"name": self.name, "kind": self.kind, "members": dict(self.sigmas)}


# --- the signal-normalisation uncertainty of a member ------------------------------------------
def signal_sigma(likelihood: Likelihood) -> float:
    """The fractional signal-normalisation uncertainty σ_m of a likelihood (InputError for
    a kind that has none of its own: arrays and joints). Other kinds (e.g. a data release's
    own likelihood) take part by defining ``signal_normalisation_sigma()`` and
    ``with_signal_normalisation_sigma(sigma)``."""
    own = getattr(likelihood, "signal_normalisation_sigma", None)
    if callable(own):
        return float(own())
    if isinstance(likelihood, (ExperimentLikelihood, PolynomialLikelihood)):
        return float(likelihood.measurement.sigma_signal)
    if isinstance(likelihood, TemplateLikelihood):
        return float(likelihood.data.sigma_signal)
    raise InputError(f"a {type(likelihood).__name__} has no signal normalisation of its own to share")


def with_signal_sigma(likelihood: Likelihood, sigma: float) -> Likelihood:
    """The same likelihood with its fractional signal-normalisation uncertainty set to
    ``sigma`` (kinds as :func:`signal_sigma`)."""
    replace = getattr(likelihood, "with_signal_normalisation_sigma", None)
    if callable(replace):
        return cast(Likelihood, replace(sigma))
    if isinstance(likelihood, ExperimentLikelihood):
        m = dataclasses.replace(likelihood.measurement, sigma_signal=sigma)
        return ExperimentLikelihood(likelihood.predictor, m, likelihood.fixed)
    if isinstance(likelihood, PolynomialLikelihood):
        return dataclasses.replace(likelihood, measurement=dataclasses.replace(likelihood.measurement, sigma_signal=sigma))
    if isinstance(likelihood, TemplateLikelihood):
        return dataclasses.replace(likelihood, data=dataclasses.replace(likelihood.data, sigma_signal=sigma))
    raise InputError(f"a {type(likelihood).__name__} has no signal normalisation of its own to share")


def own_sigma(total: float, shared: Sequence[float], label: str = "") -> float:
    """σ_own = √(σ² − Σ s_k²): the member's own part of a total fractional uncertainty
    ``total`` once the ``shared`` parts are profiled in common; InputError ("incompatible
    shared nuisance") if they exceed it."""
    rest = total * total - sum(s * s for s in shared)
    if rest < -1e-12 * max(total * total, 1e-300):
        who = f" for {label}" if label else ""
        raise InputError(f"incompatible shared nuisance{who}: shared sigma {math.sqrt(sum(s * s for s in shared)):g} "
                         f"exceeds the signal-normalisation uncertainty {total:g}")
    return math.sqrt(max(rest, 0.0))


# --- profiling of the shared normalisations ------------------------------------------------------
def _newton_profile(
    objective: Any, k: int, n: int, low: np.ndarray, h: float = 1e-3, max_iter: int = 50, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """min over η ∈ ℝ^k (η_j ≥ ``low`` for the normalisations to stay positive) of
    ``objective`` → (minimum (n,), η̂ (n, k)) for a batch of n elements: ``objective(eta,
    idx)`` takes η of shape (P, m, k) (P trial points for each of the m batch elements
    ``idx``) and returns (P, m).

    Newton's method with central finite differences (gradient and Hessian from the 1 + 2k
    + 2k(k−1) points around η), steps halved until the objective decreases; a step where
    the Hessian is not positive definite is a gradient step of length ≤ 1. Each element is
    iterated on its own; only the elements not yet converged are evaluated (the value at
    the centre of a step is the best one found, known without evaluating it again)."""
    eta = np.zeros((n, k))
    offsets = [np.zeros(k)]
    for i in range(k):
        for sgn in (1.0, -1.0):
            e = np.zeros(k)
            e[i] = sgn * h
            offsets.append(e)
    pairs = list(itertools.combinations(range(k), 2))
    for i, j in pairs:
        for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            e = np.zeros(k)
            e[i], e[j] = si * h, sj * h
            offsets.append(e)
    off = np.array(offsets)[:, None, :]  # (P, 1, k)
    best = np.asarray(objective(eta[None], np.arange(n)), dtype=float)[0]
    done = ~np.isfinite(best)
    for _ in range(max_iter):
        act = np.flatnonzero(~done)
        if act.size == 0:
            break
        e, b = eta[act], best[act]
        # keep the stencil inside the domain
        centre = np.maximum(e, low + 2 * h)
        if np.array_equal(centre, e):
            f = np.concatenate([b[None], objective(centre[None] + off[1:], act)])
        else:
            f = objective(centre[None] + off, act)
        f0 = f[0]
        grad = np.stack([(f[1 + 2 * i] - f[2 + 2 * i]) / (2 * h) for i in range(k)], axis=-1)
        hess = np.zeros((act.size, k, k))
        for i in range(k):
            hess[:, i, i] = (f[1 + 2 * i] + f[2 + 2 * i] - 2 * f0) / (h * h)
        for m, (i, j) in enumerate(pairs):
            q = f[1 + 2 * k + 4 * m: 5 + 2 * k + 4 * m]
            hess[:, i, j] = hess[:, j, i] = (q[0] - q[1] - q[2] + q[3]) / (4 * h * h)
        better = f0 < b
        e = np.where(better[:, None], centre, e)
        b = np.where(better, f0, b)
        posdef = np.all(np.linalg.eigvalsh(np.nan_to_num(hess)) > 0, axis=-1)
        safe = np.where(posdef[:, None, None], np.nan_to_num(hess), np.eye(k))
        step = -np.linalg.solve(safe, np.nan_to_num(grad)[..., None])[..., 0]
        norm = np.linalg.norm(step, axis=-1, keepdims=True)
        step = np.where(posdef[:, None], step, step / np.maximum(norm, 1.0))
        decrement = np.einsum("...i,...i->...", np.nan_to_num(grad), -step)
        stop = ~np.isfinite(decrement) | (np.abs(decrement) < tol * (1 + np.abs(b)))
        t = np.ones(act.size)
        moved = np.zeros(act.size, dtype=bool)
        stuck = np.zeros(act.size, dtype=bool)
        for _half in range(25):
            sub = np.flatnonzero(~stop & ~moved & ~stuck)
            if sub.size == 0:
                break
            trial = np.maximum(e[sub] + t[sub, None] * step[sub], low)
            # a step that the bound clips back to the current point (at the bound, pointing
            # out of the domain) stays there at every shorter step: no decrease, not evaluated
            same = np.all(trial == e[sub], axis=-1)
            stuck[sub[same]] = True
            sub, trial = sub[~same], trial[~same]
            if sub.size == 0:
                break
            ft = np.asarray(objective(trial[None], act[sub]), dtype=float)[0]
            ok = ft < b[sub]
            e[sub[ok]], b[sub[ok]] = trial[ok], ft[ok]
            moved[sub[ok]] = True
            t[sub[~ok]] /= 2
        eta[act], best[act] = e, b
        done[act] = stop | ~moved  # no decrease along a descent direction: at the minimum to rounding
    return best, eta


def _blocks(scale: np.ndarray) -> list[tuple[list[int], list[int]]]:
    """Connected components of the member–nuisance graph of ``scale`` (members × nuisances,
    an edge where s_mk ≠ 0): a list of
    (member indices, nuisance indices), in member order; a member that shares nothing is
    a block of its own with no nuisance, and so is a nuisance that acts on no member."""
    n, k = scale.shape
    linked = scale != 0
    parent = list(range(n + k))  # union-find over members 0..n-1 and nuisances n..n+k-1

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for i, j in zip(*np.nonzero(linked)):
        parent[root(int(i))] = root(n + int(j))
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for a in range(n + k):
        members, nuisances = groups.setdefault(root(a), ([], []))
        (members if a < n else nuisances).append(a if a < n else a - n)
    return list(groups.values())


# --- the joint likelihood -------------------------------------------------------------------------
@dataclass(frozen=True)
class JointMember:
    """One member of a combination: its ``label`` (unique) and ``likelihood`` (with its
    full signal-normalisation uncertainty; the joint removes the shared parts)."""

    label: str
    likelihood: Likelihood


@dataclass(frozen=True)
class JointPoint:
    """A joint χ² at one point, broken down: ``chi2`` (total), ``members`` (label → the
    member's own profiled χ² at the profiled shared nuisances), ``penalty`` (Σ (η − c)², c
    the constraint centres, 0 unless drawn) and ``shared`` (name → profiled η, in units of
    its σ)."""

    chi2: float
    members: dict[str, float]
    penalty: float
    shared: dict[str, float]


@dataclass(frozen=True)
class JointLikelihood:
    """χ²(θ) of several likelihoods with common physics parameters and shared nuisances
    (module docstring); a :class:`cevns.stats.likelihood.Likelihood`.

    ``members``: the member likelihoods (labels unique), ``shared``: the shared nuisances
    (each naming members by label), ``fixed``: named parameters applied to every member at
    every point, ``name``: what the combination is called, ``shared_centres``: the
    centres c_k of the shared nuisances' Gaussian constraints (penalty Σ_k (η_k − c_k)²; the
    auxiliary measurements drawn for a pseudo-experiment, ATLAS & CMS,
    ATL-PHYS-PUB-2011-11 / CMS NOTE-2011/005, Sec. 2), None: all 0."""

    members: tuple[JointMember, ...]
    shared: tuple[SharedNuisance, ...] = ()
    fixed: Mapping[str, float | str] = field(default_factory=dict)
    name: str = "joint"
    shared_centres: tuple[float, ...] | None = None
    _own: tuple[Likelihood, ...] = field(default=(), init=False, repr=False, compare=False)
    _scale: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        members = tuple(self.members)
        if not members:
            raise InputError(f"{self.name}: a combination needs at least one member")
        labels = [m.label for m in members]
        if len(set(labels)) != len(labels):
            raise InputError(f"{self.name}: member labels must be unique, got {', '.join(labels)}")
        shared = tuple(self.shared)
        names = [s.name for s in shared]
        if len(set(names)) != len(names):
            raise InputError(f"{self.name}: shared nuisance names must be unique")
        if self.shared_centres is not None:
            centres = tuple(float(c) for c in self.shared_centres)
            if len(centres) != len(shared) or not all(math.isfinite(c) for c in centres):
                raise InputError(f"{self.name}: one finite constraint centre per shared nuisance ({len(shared)})")
            object.__setattr__(self, "shared_centres", centres)
        scale = np.zeros((len(members), len(shared)))
        for k, s in enumerate(shared):
            unknown = sorted(set(s.sigmas) - set(labels))
            if unknown:
                raise InputError(f"{self.name}: shared nuisance {s.name!r} names no member {', '.join(unknown)} "
                                 f"(members: {', '.join(labels)})")
            for i, label in enumerate(labels):
                scale[i, k] = s.sigmas.get(label, 0.0)
        own = []
        for i, m in enumerate(members):
            parts = [float(x) for x in scale[i] if x > 0]
            if parts:
                total = signal_sigma(m.likelihood)
                own.append(with_signal_sigma(m.likelihood, own_sigma(total, parts, m.label)))
            else:
                own.append(m.likelihood)
        object.__setattr__(self, "members", members)
        object.__setattr__(self, "shared", shared)
        object.__setattr__(self, "fixed", dict(self.fixed))
        object.__setattr__(self, "_own", tuple(own))
        object.__setattr__(self, "_scale", scale)

    # description
    @property
    def labels(self) -> tuple[str, ...]:
        """Member labels, in order."""
        return tuple(m.label for m in self.members)

    @property
    def label(self) -> str:
        """What the data are, for titles and reports."""
        return " + ".join(_label_of(m.likelihood, m.label) for m in self.members)

    @property
    def statistic(self) -> str:
        """The members' statistics, joined."""
        stats = [str(getattr(m.likelihood, "statistic", None) or getattr(getattr(m.likelihood, "measurement", None), "statistic", "chi2"))
                 for m in self.members]
        return "joint: " + " + ".join(f"{lab} {st}" for lab, st in zip(self.labels, stats))

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable description (for reports and scan stores): name, members (label,
        kind, data label, own and total signal σ where defined), shared nuisances, fixed."""
        members = []
        for m, own in zip(self.members, self._own):
            entry: dict[str, Any] = {"label": m.label, "kind": type(m.likelihood).__name__,
                                     "data": _label_of(m.likelihood, m.label)}
            if isinstance(m.likelihood, JointLikelihood):
                entry["joint"] = m.likelihood.describe()
            else:
                try:
                    entry["sigma_signal"] = signal_sigma(m.likelihood)
                    entry["sigma_signal_own"] = signal_sigma(own)
                except InputError:
                    pass
            members.append(entry)
        return {"name": self.name, "members": members, "shared": [s.describe() for s in self.shared],
                "fixed": {k: v for k, v in self.fixed.items()}}

    # layout
    def _member_points(self, values: Values | None) -> list[dict[str, float | str]]:
        """The named values each member is evaluated at: all of them, except the radii of
        isotopes a member's target does not hold (a free ``rn_133Cs`` acts on the CsI members
        of a combination with argon); a radius of an isotope no member holds is an error."""
        point = {**self.fixed, **(values or {})}
        targets = [_isotopes(m.likelihood) for m in self.members]
        out = []
        for target in targets:
            out.append({k: v for k, v in point.items()
                        if target is None or (iso := radius_isotope(k)) is None or iso in target})
        for key in point:
            iso = radius_isotope(key)
            if iso is not None and all(t is not None and iso not in t for t in targets):
                held = sorted(set().union(*(t for t in targets if t is not None)))
                raise InputError(f"{key}: {iso} is in no member's target ({', '.join(held)})")
        return out

    def _signals(self, values: Values | None) -> list[np.ndarray]:
        return [np.asarray(lk.signal(p), dtype=float) for lk, p in zip(self._own, self._member_points(values))]

    # the Likelihood interface
    def signal(self, values: Values | None = None) -> np.ndarray:
        """The members' signals at ``values`` (on top of ``fixed``), concatenated in member
        order."""
        return np.concatenate(self._signals(values), axis=-1)

    def _split(self, signal: np.ndarray) -> list[np.ndarray]:
        s = np.asarray(signal, dtype=float)
        sizes = self._entry_sizes()
        if s.shape[-1] != sum(sizes):
            raise InputError(f"{self.name}: {s.shape[-1]} predicted entries for {sum(sizes)} entries of the combination")
        return np.split(s, np.cumsum(sizes)[:-1], axis=-1)

    def _entry_sizes(self) -> list[int]:
        return [_entries(lk) for lk in self._own]

    def _profile(self, signal: np.ndarray, members: bool = True) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """(χ², η̂ (..., K), member χ² at η̂) for predictions (..., entries); with
        ``members=False`` the members' χ² are not evaluated again at η̂ (zeros returned)."""
        batch = np.asarray(signal).shape[:-1]
        n = math.prod(batch)
        parts = [p.reshape(n, p.shape[-1]) for p in self._split(np.reshape(signal, (n, np.shape(signal)[-1])))]
        k = len(self.shared)
        centres = np.zeros(k) if self.shared_centres is None else np.asarray(self.shared_centres, dtype=float)
        chis: list[np.ndarray] = [np.zeros(batch)] * len(parts)
        eta = np.zeros((n, k))
        total = np.zeros(n)
        everyone = np.arange(n)
        # a member that profiles nuisances of its own by an iterative fit may take its signal
        # prepared once and scaled (``prepare_scaled``/``scaled_chi2``, the xenonnt-8b release:
        # folded once per call instead of at every trial normalisation) and start each profile
        # from its last solution for the same batch element (the Newton search below calls it
        # at nearby normalisations); a speed-up only: the same minimum to the member's fit tolerance
        prepared: dict[int, np.ndarray] = {}
        warm: dict[int, np.ndarray] = {}

        def member_chi2(i: int, factor: np.ndarray, idx: np.ndarray) -> np.ndarray:
            # member i's χ² for the batch elements idx, signals scaled by factor (..., len(idx))
            lk = self._own[i]
            prepare, scaled = getattr(lk, "prepare_scaled", None), getattr(lk, "scaled_chi2", None)
            if not (callable(prepare) and callable(scaled)):
                return np.asarray(lk.chi2_from_signal(parts[i][idx] * factor[..., None]), dtype=float)
            if i not in prepared:
                prepared[i] = np.asarray(prepare(parts[i]), dtype=float)
            start = warm[i][idx] if i in warm else None
            chi, params = scaled(prepared[i][idx], factor, start)
            params = np.asarray(params, dtype=float)
            last = params.reshape((-1, idx.size, params.shape[-1]))[0]  # the first trial point's
            ok = np.all(np.isfinite(last), axis=-1)
            if i in warm:
                warm[i][idx[ok]] = last[ok]
            elif ok.all() and idx.size == n:
                warm[i] = last.copy()
            return np.asarray(chi, dtype=float)

        for rows, cols in _blocks(self._scale):
            # one block of the separable objective (module docstring)
            scale, c = self._scale[np.ix_(rows, cols)], centres[cols]

            def members_at(e: np.ndarray, idx: np.ndarray, rows: list[int] = rows, scale: np.ndarray = scale
                           ) -> list[np.ndarray]:
                # e (..., m, k_block) → each block member's χ² with its signal scaled by (1 + s_m · η)
                return [member_chi2(i, 1.0 + e @ scale[r], idx) for r, i in enumerate(rows)]

            def objective(e: np.ndarray, idx: np.ndarray, members_at: Any = members_at, c: np.ndarray = c) -> np.ndarray:
                d = e - c
                return sum(members_at(e, idx), np.zeros(e.shape[:-1])) + np.sum(d * d, axis=-1)

            if not cols:  # a member that shares nothing: χ² once
                best, found = objective(np.zeros((n, 0)), everyone), np.zeros((n, 0))
            else:
                # η is bounded below where one of its members' normalisation would reach 0
                low = np.array([-(1.0 - 1e-9) / max(scale[:, j].max(), 1e-300) for j in range(len(cols))])
                best, found = _newton_profile(objective, len(cols), n, low)
                eta[:, cols] = found
            total = total + best
            if not members:
                continue
            for i, chi in zip(rows, members_at(found, everyone)):
                chis[i] = chi.reshape(batch)
        return total.reshape(batch), eta.reshape(batch + (k,)), chis

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        """χ² for predictions of shape (..., entries) (the members' entries concatenated),
        the shared nuisances profiled for each batch element."""
        return self._profile(signal, members=False)[0]

    def chi2(self, values: Values | None = None) -> float:
        """χ² at the named ``values``."""
        return float(self.chi2_from_signal(self.signal(values)))

    def point(self, values: Values | None = None) -> JointPoint:
        """χ² at ``values`` with each member's share and the profiled shared nuisances."""
        total, eta, chis = self._profile(self.signal(values))
        e = np.asarray(eta, dtype=float)
        d = e if self.shared_centres is None else e - np.asarray(self.shared_centres)
        return JointPoint(float(total), {lab: float(c) for lab, c in zip(self.labels, chis)}, float(np.sum(d * d)),
                          {s.name: float(e[j]) for j, s in enumerate(self.shared)})

    def with_fixed(self, values: Values) -> JointLikelihood:
        """The same χ² with more parameters fixed (``values`` override ``fixed``)."""
        return dataclasses.replace(self, fixed={**self.fixed, **values})

    def asimov(self, values: Values | None = None) -> JointLikelihood:
        """Each member's forecast version at ``values`` (on top of ``fixed``): χ² = 0 there
        (every nuisance, shared ones included, at 0)."""
        members = tuple(JointMember(m.label, m.likelihood.asimov(p)) for m, p in zip(self.members, self._member_points(values)))
        return dataclasses.replace(self, members=members, name=f"Asimov ({self.name})")


def _entries(likelihood: Likelihood) -> int:
    """Number of data entries (the last axis of ``chi2_from_signal``) of a likelihood."""
    if isinstance(likelihood, (ExperimentLikelihood, PolynomialLikelihood)):
        return int(likelihood.measurement.bins)
    if isinstance(likelihood, TemplateLikelihood):
        return int(likelihood.data.bins)
    if isinstance(likelihood, ArrayLikelihood):
        return sum(likelihood.array.members[i].entries for i in likelihood.kept)
    if isinstance(likelihood, JointLikelihood):
        return sum(likelihood._entry_sizes())
    return int(np.asarray(likelihood.signal()).shape[-1])


def _isotopes(likelihood: Likelihood) -> frozenset[str] | None:
    """Names of the isotopes a likelihood predicts for (None: not known, every value passes)."""
    if isinstance(likelihood, (ExperimentLikelihood, TemplateLikelihood)):
        predictor = likelihood.predictor
        nodes = getattr(predictor.base if isinstance(predictor, SplitPredictor) else predictor, "nodes", None)
        return None if nodes is None else frozenset(n.isotope.name for n in nodes)
    if isinstance(likelihood, JointLikelihood):
        sets = [_isotopes(m.likelihood) for m in likelihood.members]
        return None if any(t is None for t in sets) else frozenset().union(*(t for t in sets if t is not None))
    # a likelihood that predicts its own signal from a spectrum of a target (the xenonnt-8b
    # release: ``spectrum.isotopes``), so that rn_74Ge of a combination does not reach it
    isotopes = getattr(getattr(likelihood, "spectrum", None), "isotopes", None)
    if isinstance(isotopes, tuple) and all(hasattr(iso, "name") for iso in isotopes):
        return frozenset(str(iso.name) for iso in isotopes)
    return None


def _label_of(likelihood: Likelihood, fallback: str) -> str:
    label = getattr(likelihood, "label", None)
    if not label:
        label = getattr(getattr(likelihood, "measurement", None), "label", None)
    return str(label or fallback)


def joint_likelihood(
    members: Mapping[str, Likelihood] | Sequence[tuple[str, Likelihood]],
    shared: Sequence[SharedNuisance] = (),
    fixed: Values | None = None,
    name: str = "joint",
) -> JointLikelihood:
    """A :class:`JointLikelihood` of ``members`` (label → likelihood, in order)."""
    items = list(members.items()) if isinstance(members, Mapping) else list(members)
    return JointLikelihood(tuple(JointMember(lab, lk) for lab, lk in items), tuple(shared), dict(fixed or {}), name)


__all__ = [
    "JointLikelihood",
    "JointMember",
    "JointPoint",
    "SHARED_KINDS",
    "SharedNuisance",
    "joint_likelihood",
    "own_sigma",
    "signal_sigma",
    "with_signal_sigma",
]
