"""Asimov forecasts: the expected 1σ sensitivity of an experiment to one parameter.

Asimov data (G. Cowan, K. Cranmer, E. Gross, O. Vitells, Eur. Phys. J. C 71, 1554 (2011),
arXiv:1007.1727, Sec. 3.2) are the prediction itself at the true parameters, so χ² = 0
there and the Δχ² = 1 interval around the truth is the median expected 1σ interval. For an
experiment file three scenarios are built (:func:`forecast_likelihood`): statistics only;
plus the file's ``[data]`` (its signal normalisation pull, as ``cevns fit NAME --asimov``);
plus a steady-state background equal to the signal in every bin (σ²_stat = S + 2B), all
with the pull χ² of D. K. Papoulias & T. S. Kosmas, arXiv:1711.09773, Eq. 6
(:func:`cevns.stats.chi2.binned_pull_chi2`). :func:`forecast` reads the interval off an
exact one-parameter profile (:func:`cevns.stats.profiles.one_parameter_profile`) of any
:class:`cevns.stats.likelihood.Likelihood`; :func:`sin2w_forecasts` and
:func:`radius_forecasts` do it for the weak mixing angle and a neutron rms radius.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from cevns.config.built import Experiment
from cevns.config.measurement import Measurement
from cevns.errors import InputError
from cevns.rates.prediction import RatePredictor
from cevns.stats.fits import ExperimentLikelihood, asimov
from cevns.stats.likelihood import Likelihood
from cevns.stats.profiles import OneParameterProfile, one_parameter_profile

#: Forecast scenarios of :func:`forecast_likelihood`: key → legend label ("norm" is the
#: file's own normalisation uncertainty, 10% in every shipped forecast file).
SCENARIOS: dict[str, str] = {
    "stat": "statistics only",
    "norm": "+ 10% normalisation",
    "bkg": "+ 10% norm., background B = S",
}


def forecast_likelihood(
    exp: Experiment, scenario: str, truth: Mapping[str, float] | None = None, predictor: RatePredictor | None = None
) -> ExperimentLikelihood:
    """χ²(θ) against Asimov data made at ``truth`` (default: the file's own model, the SM):
    ``stat`` statistics only (σ²_stat = S, no pulls); ``norm`` the file's ``[data]`` (signal
    normalisation pull, as ``cevns fit --asimov``); ``bkg`` that plus a steady-state
    background B = S in every bin (σ²_stat = S + 2B, Papoulias & Kosmas, Eq. 6). ``predictor``:
    ``exp``'s own, if already built."""
    base = ExperimentLikelihood(predictor or exp.predictor(), exp.measurement(forecast=True))
    signal = base.signal(truth)
    zero = np.zeros_like(signal)
    m = base.measurement
    if scenario == "stat":
        data = Measurement(signal, zero, zero, 0.0, 0.0, "pull-chi2", "Asimov, statistics only")
    elif scenario == "norm":
        data = asimov(m, signal)
    elif scenario == "bkg":
        data = Measurement(signal, zero, signal.copy(), m.sigma_signal, 0.0, "pull-chi2", "Asimov, background B = S")
    else:
        raise InputError(f"unknown forecast scenario {scenario!r}; use {', '.join(SCENARIOS)}")
    return ExperimentLikelihood(base.predictor, data)


@dataclass(frozen=True)
class Forecast:
    """The 1σ (Δχ² = 1) interval of one parameter around its true value, with the profile."""

    experiment: str
    parameter: str
    scenario: str
    truth: float
    low: float
    high: float
    profile: OneParameterProfile

    @property
    def half_width(self) -> float:
        return 0.5 * (self.high - self.low)


def forecast(
    likelihood: Likelihood, name: str, truth: float, points: int, lower_bound: float = 0.0, experiment: str = "", scenario: str = ""
) -> Forecast:
    """Δχ² profile of ``name`` around ``truth`` (where χ² = 0: Asimov data) and its Δχ² = 1
    interval with ends refined by Brent's method (:func:`cevns.stats.profiles.one_parameter_profile`).

    The grid spans truth ± 5σ, σ estimated from the curvature χ²(truth ± h)/h² (exact for
    a parabola), and is widened threefold while an end of the interval is not bracketed."""
    h = 2e-3 * abs(truth) if truth else 1e-3
    curvature = 0.5 * (likelihood.chi2({name: truth + h}) + likelihood.chi2({name: truth - h})) / h**2
    if not curvature > 0:
        raise InputError(f"{experiment}: no sensitivity to {name}")
    half = 5.0 / math.sqrt(curvature)
    for _ in range(4):
        lo, hi = max(truth - half, lower_bound), truth + half
        prof = one_parameter_profile(likelihood, name, np.linspace(lo, hi, points))
        pieces = prof.allowed["1sigma"]
        (a, b) = (pieces[0][0], pieces[-1][1]) if pieces else (lo, hi)
        if (a > lo or lo == lower_bound) and b < hi:
            return Forecast(experiment, name, scenario, truth, a, b, prof)
        half *= 3.0
    raise InputError(f"{experiment}: the 1σ interval of {name} is not bracketed within ±{half:g}")


def radius_truth(exp: Experiment, name: str, predictor: RatePredictor | None = None) -> float:
    """True value of the radius parameter ``name``: the file's neutron radius of that
    isotope (R_n = R_p: the point-proton radius from the charge radii of I. Angeli,
    K. P. Marinova, At. Data Nucl. Data Tables 99, 69 (2013)), or for ``rn`` (every isotope at one radius) the
    mean of the isotopes' radii weighted by their SM counts."""
    radii = {iso.name: exp.structure.radii_fm(iso)[1] for iso in exp.target.isotopes}
    if name != "rn":
        return radii[name.removeprefix("rn_")]
    weights = (predictor or exp.predictor()).binned().by_isotope()
    return sum(weights[k] * r for k, r in radii.items()) / sum(weights.values())


def sin2w_forecasts(exp: Experiment, points: int, predictor: RatePredictor | None = None) -> dict[str, Forecast]:
    """Per scenario, the forecast of sin²θ_W around the file's value."""
    s0 = exp.spec.couplings.sin2_theta_w
    predictor = predictor or exp.predictor()
    return {
        sc: forecast(forecast_likelihood(exp, sc, None, predictor), "sin2_theta_w", s0, points, 1e-3, exp.name, sc)
        for sc in SCENARIOS
    }


def radius_forecasts(exp: Experiment, name: str, points: int, predictor: RatePredictor | None = None) -> dict[str, Forecast]:
    """Per scenario, the forecast of the neutron radius ``name`` around :func:`radius_truth`
    (Asimov data made at that radius)."""
    predictor = predictor or exp.predictor()
    r0 = radius_truth(exp, name, predictor)
    floor = 0.6 * r0  # above the Helm form factor's smallest radius, √3 s = 1.56 fm
    return {
        sc: forecast(forecast_likelihood(exp, sc, {name: r0}, predictor), name, r0, points, floor, exp.name, sc)
        for sc in SCENARIOS
    }


__all__ = [
    "SCENARIOS",
    "Forecast",
    "forecast",
    "forecast_likelihood",
    "radius_forecasts",
    "radius_truth",
    "sin2w_forecasts",
]
