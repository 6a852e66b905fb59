"""Fits, profiles and grid scans of any named parameter against a measurement.

A :class:`Measurement` holds observed counts (one counting bin or the analysis bins of an
experiment), backgrounds and normalisation uncertainties; an :class:`ExperimentLikelihood`
ties it to a :class:`cevns.rates.prediction.RatePredictor` and returns χ²(θ) for named
parameters θ, with the signal and background normalisation pulls profiled analytically
(pull χ², D. K. Papoulias & T. S. Kosmas, arXiv:1711.09773, Eq. 6) or numerically
(Poisson, Baker–Cousins; :mod:`cevns.stats.chi2`). :func:`fit` and :func:`profile` take
any :class:`cevns.stats.likelihood.Likelihood` (experiments, arrays, data releases).

Free parameters are minimised with iminuit's MIGRAD (F. James, M. Roos, Comput. Phys.
Commun. 10, 343 (1975); H. Dembinski et al., iminuit); intervals come from the profile
Δχ²(θ_i) = min over the other free parameters, read at Wilks thresholds (1 dof: 1σ =
1.0, 90% = 2.71, 2σ = 4.0). Grid scans are in :mod:`cevns.stats.scans`.

No files and no CLI here: :mod:`cevns.config.experiments` reads the data, :mod:`cevns.cli` drives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np

from cevns.config.measurement import Measurement
from cevns.errors import InputError
from cevns.physics.parameters import ParameterError, parameter, radius_isotope
from cevns.rates.prediction import RatePredictor
from cevns.stats.chi2 import (
    TwoPullChi2,
    binned_pull_chi2,
    delta_chi2_threshold,
    interval_from_profile,
    intervals_and_open_ends,
    profiled_poisson_deviance,
    two_pull_chi2,
)
from cevns.stats.likelihood import Likelihood

#: Confidence levels reported for one parameter: name → probability content.
ONE_DOF_LEVELS: Mapping[str, float] = {"1sigma": math.erf(1 / math.sqrt(2)), "90%": 0.90, "2sigma": math.erf(2 / math.sqrt(2))}
#: Confidence levels of two-parameter regions.
TWO_DOF_LEVELS: Mapping[str, float] = {"68%": 0.6827, "90%": 0.90, "95%": 0.95}


def asimov(measurement: Measurement, signal: np.ndarray) -> Measurement:
    """The same measurement with observed = expected signal + beam background (what the
    data would be if the model were true: forecasts)."""
    observed = np.asarray(signal, dtype=float) + measurement.background
    return Measurement(observed, measurement.background, measurement.steady_state, measurement.sigma_signal,
                       measurement.sigma_background, measurement.statistic, f"Asimov ({measurement.label})")


def _sigma_stat(m: Measurement) -> np.ndarray:
    """σ_stat = √(N_obs + 2 B_ss + B_on) per bin (Papoulias & Kosmas, HNPS proceedings,
    arXiv:1711.09773, below Eq. 6), floored at 1e-150 so that empty bins stay finite."""
    return np.sqrt(np.clip(m.observed + 2.0 * m.steady_state + m.background, 1e-300, None))


def pull_chi2_kernel(measurement: Measurement) -> TwoPullChi2 | None:
    """The closed-form χ² of a ``pull-chi2`` measurement as a function of the signal alone
    (:class:`cevns.stats.chi2.TwoPullChi2`, equal to :func:`chi2_from_signal` to rounding),
    or None for the Poisson statistic."""
    m = measurement
    if m.statistic != "pull-chi2":
        return None
    return two_pull_chi2(m.observed, m.background, m.sigma_signal, m.sigma_background, _sigma_stat(m))


def chi2_from_signal(measurement: Measurement, signal: np.ndarray) -> np.ndarray:
    """χ² with the normalisation pulls profiled, for signals of shape (..., bins)."""
    m = measurement
    s = np.asarray(signal, dtype=float)
    if m.statistic == "pull-chi2":
        return binned_pull_chi2(m.observed, s, m.background, m.sigma_signal, m.sigma_background, _sigma_stat(m)).chi2
    observed, b, sigma_b = _poisson_data(m)
    return profiled_poisson_deviance(observed, s, b, m.sigma_signal, sigma_b).chi2


def _poisson_data(m: Measurement) -> tuple[np.ndarray, np.ndarray, float]:
    """(observed counts, background, σ of the background pull) of a ``poisson``
    measurement. Poisson on the raw counts: the off-beam background is added back to data
    and model. It is measured with far more exposure, so only B_on floats: one pull on
    B_on + B_ss with σ scaled by B_on/(B_on + B_ss) has the same variance (exact for one bin)."""
    b = m.background + m.steady_state
    total = float(b.sum())
    sigma_b = m.sigma_background * float(m.background.sum()) / total if total > 0 else 0.0
    return m.observed + m.steady_state, b, sigma_b


@dataclass(frozen=True)
class ExperimentLikelihood:
    """χ²(θ) of one experiment's ``predictor`` against a ``measurement``; ``fixed`` named
    parameters are applied at every point. A :class:`cevns.stats.likelihood.Likelihood`."""

    predictor: RatePredictor
    measurement: Measurement
    fixed: Mapping[str, float | str] = field(default_factory=dict)
    _pull_kernel: list[TwoPullChi2 | None] = field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        bins = self.predictor.n_bins  # observable bins × time bins, flattened like BinnedCounts.per_bin
        if self.measurement.bins not in (1, bins):
            raise InputError(f"the data have {self.measurement.bins} bins, the experiment {bins}: give one number or one per bin")

    def signal(self, values: Mapping[str, float | str] | None = None) -> np.ndarray:
        """Expected signal per data bin (one counting bin: the total)."""
        per_bin = self.predictor.binned({**self.fixed, **(values or {})}).per_bin
        return per_bin if self.measurement.bins > 1 else np.array([per_bin.sum()])

    def chi2(self, values: Mapping[str, float | str] | None = None) -> float:
        """χ² at one point: :meth:`chi2_from_signal` of :meth:`signal`."""
        return float(self.chi2_from_signal(self.signal(values)))

    def _kernel(self) -> TwoPullChi2 | None:
        """The measurement's :func:`pull_chi2_kernel`, built on first use and kept (two
        threads may both build it: equal values, no lock needed)."""
        memo = self._pull_kernel
        if not memo:
            memo.append(pull_chi2_kernel(self.measurement))
        return memo[0]

    def pull_kernel(self) -> TwoPullChi2 | None:
        """The closed-form χ² of the signal alone that :meth:`chi2_from_signal` evaluates
        (:func:`pull_chi2_kernel`), or None for a Poisson measurement: grid scans build
        their row-wise form from its data (:class:`cevns.stats.scans.RowKernel`)."""
        return self._kernel()

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        """χ² for signals of shape (..., bins), vectorised over the batch axes; a
        ``pull-chi2`` measurement is evaluated by its closed form (:func:`pull_chi2_kernel`,
        built once: for one bin Papoulias & Kosmas, arXiv:1711.09773, Eq. 6 as r²/D),
        equal to :func:`chi2_from_signal` to rounding."""
        kernel = self._kernel()
        if kernel is None:
            return chi2_from_signal(self.measurement, signal)
        return np.asarray(kernel(signal), dtype=float)

    def with_fixed(self, values: Mapping[str, float | str]) -> ExperimentLikelihood:
        """The same likelihood with more parameters fixed (``values`` override ``fixed``)."""
        return ExperimentLikelihood(self.predictor, self.measurement, {**self.fixed, **values})

    def asimov(self, values: Mapping[str, float | str] | None = None) -> ExperimentLikelihood:
        """The forecast version: data = this model's prediction at ``values`` (default: the
        predictor's own model, e.g. the SM)."""
        return ExperimentLikelihood(self.predictor, asimov(self.measurement, self.signal(values)), self.fixed)


@dataclass(frozen=True)
class FitResult:
    """Best fit: ``values`` of the free parameters, ``chi2_min``, parabolic ``errors``
    (HESSE), ``valid`` (MIGRAD converged) and the number of ``calls``."""

    values: dict[str, float]
    chi2_min: float
    errors: dict[str, float]
    valid: bool
    calls: int


def radius_floor_fm() -> float:
    """The smallest rms radius (fm) that every form-factor model accepts at its default
    shape parameter, plus a relative margin of 1e-6: the lower bound of a free radius.

    Each model fixes its box/core radius from the rms radius R and is defined only while
    that is positive: Helm R² > 3s² (R. H. Helm, Phys. Rev. 104, 1466 (1956); s = 0.9 fm,
    J. D. Lewin & P. F. Smith, Astropart. Phys. 6, 87 (1996)), symmetrized Fermi
    R² > (7/5)π²a² (J. Piekarewicz et al., Phys. Rev. C 94, 034316 (2016),
    arXiv:1604.07799; a = 0.52 fm), Klein–Nystrand R² > 6a_k² (S. Klein & J. Nystrand,
    Phys. Rev. C 60, 014903 (1999); a_k = 0.7 fm). The largest of the three, √(7/5)·π·0.52
    ≈ 1.93 fm, keeps a fit (MIGRAD steps, profile ranges, scans) inside the domain of any
    of them; it is far below every nucleus heavier than carbon (¹²C: 2.5 fm)."""
    from cevns.physics.form_factors import FERMI_DIFFUSENESS_FM, HELM_SURFACE_THICKNESS_FM, KLEIN_NYSTRAND_RANGE_FM

    floor = max(math.sqrt(3.0) * HELM_SURFACE_THICKNESS_FM, math.sqrt(1.4) * math.pi * FERMI_DIFFUSENESS_FM,
                math.sqrt(6.0) * KLEIN_NYSTRAND_RANGE_FM)
    return floor * (1.0 + 1e-6)


def _is_radius(name: str) -> bool:
    return name in ("rn", "rp") or radius_isotope(name) is not None


def _bounds(name: str) -> tuple[float | None, float | None]:
    """(low, high) limits of a free parameter: its domain, an open end moved inside by
    1e-9 (relative); a nuclear radius at least :func:`radius_floor_fm`, so that no form
    factor is evaluated outside its domain."""
    par = parameter(name)
    if par.choices:
        raise ParameterError(f"{name} takes a name, not a number; it cannot be free")
    low = par.low
    if low is not None and par.open_low:
        low = low + 1e-9 * max(1.0, abs(low))
    if _is_radius(name):
        low = max(low if low is not None else 0.0, radius_floor_fm())
    return low, par.high


class UnconstrainedError(InputError):
    """The data do not constrain a parameter (χ² does not depend on it, or its profile is
    flat): a fit would return an arbitrary value."""


def _check_sensitivity(likelihood: Likelihood, start: dict[str, float], step: Mapping[str, float] | None) -> None:
    """Raise :class:`UnconstrainedError` for a parameter that leaves χ² unchanged when
    moved by 1, 10² and 10⁴ steps from its start (either way, within its domain)."""
    base = likelihood.chi2(start)
    for name, x in start.items():
        low, high = _bounds(name)
        h = (step or {}).get(name) or max(abs(x) * 0.05, 1e-3)
        trials = [x + s * h * f for f in (1.0, 1e2, 1e4) for s in (1.0, -1.0)]
        trials = [t for t in trials if (low is None or t >= low) and (high is None or t <= high)]
        if trials and all(abs(likelihood.chi2({**start, name: t}) - base) <= 1e-12 * (1 + abs(base)) for t in trials):
            raise UnconstrainedError(f"the data do not constrain {name}: χ² does not change when it moves from {x:g}")


def fit(
    likelihood: Likelihood,
    start: Mapping[str, float],
    step: Mapping[str, float] | None = None,
) -> FitResult:
    """Minimise χ² over the parameters named in ``start`` (their start values), within
    their physical domains, with iminuit MIGRAD + HESSE."""

    names = list(start)
    if not names:
        return FitResult({}, likelihood.chi2(), {}, True, 1)

    def cost(*x: float) -> float:
        return likelihood.chi2(dict(zip(names, x)))

    _check_sensitivity(likelihood, {n: float(start[n]) for n in names}, step)
    return minimise(cost, {n: float(start[n]) for n in names}, step)


def minimise(
    cost: Callable[..., float],
    start: Mapping[str, float],
    step: Mapping[str, float] | None = None,
    gradient: Callable[..., np.ndarray] | None = None,
) -> FitResult:
    """MIGRAD + HESSE on ``cost(*values)`` (a χ², errordef 1) over the parameters of
    ``start``, each limited to its domain; ``gradient`` (optional) the exact gradient."""
    from iminuit import Minuit

    names = list(start)
    minuit = Minuit(cost, *[float(start[n]) for n in names], grad=gradient, name=names)
    minuit.errordef = Minuit.LEAST_SQUARES
    minuit.print_level = 0
    for n in names:
        minuit.limits[n] = _bounds(n)
        minuit.errors[n] = (step or {}).get(n) or max(abs(float(start[n])) * 0.05, 1e-3)
    minuit.migrad()
    minuit.hesse()
    return FitResult(
        {n: float(minuit.values[n]) for n in names},
        float(minuit.fval),
        {n: float(minuit.errors[n]) for n in names},
        bool(minuit.valid),
        int(minuit.nfcn),
    )


@dataclass(frozen=True)
class Profile:
    """Δχ² of one parameter along ``grid`` with the other free parameters minimised."""

    name: str
    grid: np.ndarray
    delta_chi2: np.ndarray
    chi2_min: float

    @property
    def flat(self) -> bool:
        """True if Δχ² stays below 1 (the 1σ threshold) at both ends of the grid: within
        the range probed, the data do not constrain the parameter (e.g. a degenerate
        direction of two free parameters fitted to one number)."""
        return bool(self.delta_chi2[0] < 1.0 and self.delta_chi2[-1] < 1.0)

    def intervals(self, levels: Mapping[str, float] = ONE_DOF_LEVELS) -> dict[str, list[list[float]]]:
        """{level: [[low, high], ...]} (disjoint pieces; an end at the grid edge means the
        interval is open there)."""
        return {
            label: [[float(i.low), float(i.high)] for i in interval_from_profile(self.grid, self.delta_chi2, float(delta_chi2_threshold(cl, 1)))]
            for label, cl in levels.items()
        }

    def open_ends(self, levels: Mapping[str, float] = ONE_DOF_LEVELS) -> dict[str, list[list[str]]]:
        """For each piece of :meth:`intervals` (same keys, same order), the ends cut by the
        profile range rather than by the data (:attr:`cevns.stats.chi2.Interval.open_ends`)."""
        return {label: intervals_and_open_ends(self.grid, self.delta_chi2, float(delta_chi2_threshold(cl, 1)))[1]
                for label, cl in levels.items()}


def profile(
    likelihood: Likelihood, name: str, grid: np.ndarray, best: FitResult, progress: Callable[[int], None] | None = None
) -> Profile:
    """Δχ²(θ) along ``grid`` relative to ``best``; other parameters of ``best`` are refitted
    at each grid point (started from the best fit)."""
    others = {k: v for k, v in best.values.items() if k != name}
    chi2 = np.empty(len(grid))
    for i, x in enumerate(grid):
        if others:
            chi2[i] = fit(likelihood.with_fixed({name: float(x)}), others, best.errors).chi2_min
        else:
            chi2[i] = likelihood.chi2({name: float(x)})
        if progress:
            progress(1)
    chi2_min = min(best.chi2_min, float(np.nanmin(chi2)))
    return Profile(name, np.asarray(grid, dtype=float), chi2 - chi2_min, chi2_min)


def profile_range(name: str, best: FitResult, width: float = 5.0) -> tuple[float, float]:
    """best ± ``width`` × HESSE error, clipped to the parameter's domain."""
    low, high = _bounds(name)
    x, err = best.values[name], best.errors[name] or 1e-3 * max(1.0, abs(best.values[name]))
    a, b = x - width * err, x + width * err
    return (max(a, low) if low is not None else a, min(b, high) if high is not None else b)


__all__ = [
    "ExperimentLikelihood",
    "FitResult",
    "Measurement",
    "ONE_DOF_LEVELS",
    "Profile",
    "TWO_DOF_LEVELS",
    "UnconstrainedError",
    "asimov",
    "chi2_from_signal",
    "fit",
    "profile",
    "profile_range",
    "radius_floor_fm",
]
