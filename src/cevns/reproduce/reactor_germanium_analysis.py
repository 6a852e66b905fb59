"""Numbers of the ``reactor-germanium`` reproduction: the shipped germanium data sets as
counting likelihoods, their CEvNS strengths, significances and limits, and the strength
of every target of the ``global-counting`` combination against the N² scaling.

Data sets (experiments shipped in ``cevns/data/experiments``; facts and provenance in their
``references``):

- ``dresden-ii-2022``: J. Colaresi et al., PRL 129, 211802 (2022), arXiv:2202.09672;
- ``conus-plus-2025``: N. Ackermann et al. (CONUS+), Nature (2025), arXiv:2501.05206;
- ``conus-2024``: N. Ackermann et al. (CONUS), arXiv:2401.07684;
- ``texono-2024``: S. Karmakar et al. (TEXONO), arXiv:2411.18812;
- ``coherent-ge-mini-2024``: S. Adamski et al. (COHERENT), PRL 134, 231801 (2025), arXiv:2406.13806;
- ``coherent-ge-2026``: COHERENT, arXiv:2603.17951.

The CEvNS strength μ multiplies an experiment's whole predicted signal s (the Standard
Model, or the model of ``values``): χ²(μ) = χ²_data(μ s), with the experiment's own signal
and background pulls profiled (:mod:`cevns.stats.fits`). A significance against "no CEvNS"
is Z = √(χ²(0) − χ²_min) (one-sided p = Φ(−Z), Wilks with one parameter at a boundary
ignored: a counting bin); a 90% CL upper limit is where χ²(μ) − χ²_min = 2.706 (two-sided
Gaussian 90%, the convention the limits were encoded with).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from cevns.stats.chi2 import delta_chi2_threshold
from cevns.stats.likelihood import Likelihood

if TYPE_CHECKING:
    from cevns.stats.joint import JointLikelihood

#: The shipped germanium data sets, in the order of the report.
DATA_SETS: tuple[str, ...] = (
    "dresden-ii-2022", "conus-plus-2025", "conus-2024", "texono-2024", "coherent-ge-mini-2024", "coherent-ge-2026",
)

#: Published results per data set (the experiments' ``references`` give the sources):
#: ``prediction`` the collaboration's SM count (None where not published), ``strength`` the
#: published observed/SM ratio or the reconstructed one, ``sigma`` its 1σ, ``z`` the published
#: significance, ``limit90`` the published 90% CL on the strength (SM units).
PUBLISHED: dict[str, dict[str, float | None]] = {
    # p < 1.2e-3 (one-sided z 3.04) and SM agreement (reconstructed strength 1.00 +- 0.33)
    "dresden-ii-2022": {"prediction": None, "strength": 1.0, "sigma": 0.3295, "z": 3.036, "limit90": None},
    # 395 +- 106 observed vs 347 +- 59 predicted, 3.7 sigma
    "conus-plus-2025": {"prediction": 347.0, "strength": 395.0 / 347.0, "sigma": 106.0 / 347.0, "z": 3.7, "limit90": None},
    # < 0.34 /kg/d, "within a factor 2" of the SM
    "conus-2024": {"prediction": None, "strength": None, "sigma": None, "z": None, "limit90": 2.0},
    # R < 4.7 (90% CL)
    "texono-2024": {"prediction": None, "strength": None, "sigma": None, "z": None, "limit90": 4.7},
    # excess 20.6 +7.1 -6.3, 3.9 sigma; the SM count is not in the abstract
    "coherent-ge-mini-2024": {"prediction": None, "strength": None, "sigma": None, "z": 3.9, "limit90": None},
    # 124 +14 -12 counts, 1.00 +- 0.10 +- 0.10 x SM
    "coherent-ge-2026": {"prediction": 124.0, "strength": 1.0, "sigma": float(np.hypot(0.10, 0.10)), "z": None, "limit90": None},
}

#: Δχ² of a two-sided 90% CL (one parameter): 2.7055 (:func:`cevns.stats.chi2.delta_chi2_threshold`).
DCHI2_90 = float(delta_chi2_threshold(0.90))


@dataclass(frozen=True)
class StrengthFit:
    """The CEvNS strength of one likelihood: ``mu`` (best fit, ≥ 0), ``low``/``high`` its
    Δχ² = 1 interval, ``limit90`` the Δχ² = 2.706 upper end, ``z`` = √(χ²(0) − χ²_min),
    ``chi2_min``, ``chi2_sm`` = χ²(1)."""

    mu: float
    low: float
    high: float
    limit90: float
    z: float
    chi2_min: float
    chi2_sm: float


def strength_chi2(likelihood: Likelihood, scale: np.ndarray | float,
                  signal: np.ndarray | None = None) -> Callable[[float], float]:
    """χ²(μ) of ``likelihood`` with its signal (at its fixed values, or ``signal``) times
    ``scale`` μ-dependently: returns the function μ ↦ χ²(μ · scale · s) (a float)."""
    s = likelihood.signal() if signal is None else signal
    scaled = np.asarray(scale, dtype=float) * s

    def chi2(mu: float) -> float:
        return float(np.asarray(likelihood.chi2_from_signal(mu * scaled)))

    return chi2


def fit_strength(likelihood: Likelihood, mu_max: float = 20.0, signal: np.ndarray | None = None) -> StrengthFit:
    """The strength fit of ``likelihood`` (see :class:`StrengthFit`); μ ∈ [0, ``mu_max``]."""
    chi2 = strength_chi2(likelihood, 1.0, signal)
    res = minimize_scalar(chi2, bounds=(0.0, mu_max), method="bounded", options={"xatol": 1e-7})
    mu = float(res.x)
    c0 = min(float(res.fun), chi2(0.0))
    if chi2(0.0) <= c0:
        mu = 0.0

    def crossing(level: float, lo: float, hi: float) -> float:
        def f(m: float) -> float:
            return chi2(m) - c0 - level

        if f(lo) * f(hi) > 0:
            return lo if f(lo) <= 0 and lo == 0.0 else hi
        return float(brentq(f, lo, hi, xtol=1e-8))

    low = crossing(1.0, 0.0, mu) if mu > 0 else 0.0
    high = crossing(1.0, mu, mu_max)
    lim = crossing(DCHI2_90, mu, mu_max)
    return StrengthFit(mu, low, high, lim, float(np.sqrt(max(chi2(0.0) - c0, 0.0))), c0, chi2(1.0))


@dataclass(frozen=True)
class DataSetResult:
    """One data set: our SM count ``predicted``, the strength fit, the published numbers."""

    name: str
    predicted: float
    fit: StrengthFit
    published: Mapping[str, float | None]


def data_set_result(name: str, overrides: Mapping[str, object] | None = None,
                    values: Mapping[str, float | str] | None = None) -> DataSetResult:
    """Load the shipped experiment ``name`` (with ``overrides``) and fit its strength
    relative to the prediction at ``values`` (the SM by default)."""
    from cevns.config.experiments import load_experiment
    from cevns.stats.fits import ExperimentLikelihood

    exp = load_experiment(name, dict(overrides or {}))
    lk = ExperimentLikelihood(exp.predictor(), exp.measurement())
    s = lk.signal(dict(values or {}))
    return DataSetResult(name, float(np.sum(s)), fit_strength(lk, signal=s), PUBLISHED.get(name, {}))


def quenching_scan(name: str, ks: Sequence[float]) -> list[DataSetResult]:
    """The strength of data set ``name`` with its quenching replaced by plain Lindhard
    quenching at each k of ``ks`` (whatever model the file uses; the observed counts stay,
    only the predicted signal changes)."""
    return [data_set_result(name, {"detector.quenching": {"model": "lindhard", "k": float(k)}}) for k in ks]


#: The named germanium quenching models the reproduction compares
#: (:data:`cevns.detector.quenching_models.NAMED_QUENCHING_MODELS`).
GE_QUENCHING_MODELS: tuple[str, ...] = ("ge-lindhard-theory", "ge-conus-2022", "ge-scholz-2016")


def named_model_scan(name: str, models: Sequence[str] = GE_QUENCHING_MODELS) -> list[DataSetResult]:
    """The strength of data set ``name`` with its quenching replaced by each named model of
    ``models`` at its central parameter (observed counts kept)."""
    return [data_set_result(name, {"detector.quenching": {"model": "named", "name": m}}) for m in models]


#: Neutron and proton numbers of the targets of the N² test (natural abundance-weighted N
#: from the isotopes' counts is what the prediction uses; these label the points only).
TARGET_N: dict[str, float] = {"Ar": 22.0, "Ge": 40.6, "Cs": 78.0, "I": 74.0, "Xe": 77.3}


def member_signals(joint: JointLikelihood) -> list[np.ndarray]:
    """The predicted signal of every member of a :class:`~cevns.stats.joint.JointLikelihood`."""
    return [np.asarray(m.likelihood.signal(), dtype=float) for m in joint.members]


def _batched_chi2(joint: JointLikelihood, signals: Sequence[np.ndarray], factors: Sequence[np.ndarray | float],
                  batch: tuple[int, ...]) -> np.ndarray:
    """χ² of ``joint`` with member i's signal times ``factors[i]`` (a number or an array of
    shape ``batch``): every point of the batch in one profile of the shared nuisances."""
    parts = [np.asarray(f, dtype=float)[..., None] * s for f, s in zip(factors, signals)]
    parts = [np.broadcast_to(p, batch + s.shape) for p, s in zip(parts, signals)]
    return np.asarray(joint.chi2_from_signal(np.concatenate(parts, axis=-1)), dtype=float)


def group_strength_chi2(joint: JointLikelihood, groups: Mapping[str, Sequence[str]]
                        ) -> Callable[[Sequence[float] | np.ndarray], float | np.ndarray]:
    """χ²(μ_1..μ_G) of the joint likelihood with the signal of the members of group g (labels)
    scaled by μ_g (shared nuisances profiled). Given one point (G strengths) it returns a
    float; given an array (..., G) of points, an array (...) from one batched profile."""
    signals = member_signals(joint)
    labels = list(joint.labels)
    index = {lab: g for g, members in enumerate(groups.values()) for lab in members}

    def chi2(mus: Sequence[float] | np.ndarray) -> float | np.ndarray:
        m = np.asarray(mus, dtype=float)
        out = _batched_chi2(joint, signals, [m[..., index[lab]] if lab in index else 1.0 for lab in labels], m.shape[:-1])
        return float(out) if m.ndim == 1 else out

    return chi2


def power_law_chi2(joint: JointLikelihood, n_of: Mapping[str, float], n_ref: float = 40.6
                   ) -> Callable[[float | np.ndarray], float | np.ndarray]:
    """χ²(α) of the joint likelihood with each member's signal times (N/N_ref)^(α − 2):
    the σ ∝ N^α test (α = 2 is the coherent Standard Model; Liao, Marfatia & Zhang,
    arXiv:2408.06255 test the same scaling). ``n_of``: member label → N of its target.
    Given a number α it returns a float; given an array of α, an array from one batched
    profile."""
    signals = member_signals(joint)
    labels = list(joint.labels)

    def chi2(alpha: float | np.ndarray) -> float | np.ndarray:
        a = np.asarray(alpha, dtype=float)
        factors = [(n_of[lab] / n_ref) ** (a - 2.0) if lab in n_of else 1.0 for lab in labels]
        out = _batched_chi2(joint, signals, factors, a.shape)
        return float(out) if a.ndim == 0 else out

    return chi2


__all__ = [
    "DATA_SETS",
    "DCHI2_90",
    "GE_QUENCHING_MODELS",
    "PUBLISHED",
    "TARGET_N",
    "DataSetResult",
    "StrengthFit",
    "data_set_result",
    "fit_strength",
    "group_strength_chi2",
    "member_signals",
    "named_model_scan",
    "power_law_chi2",
    "quenching_scan",
    "strength_chi2",
]
