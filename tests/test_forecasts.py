"""Exact one-parameter profiles and Asimov forecasts (cevns.stats.profiles,
cevns.stats.forecasts) against closed forms, on likelihoods of any kind."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pytest

from cevns.config.experiments import load_experiment
from cevns.stats.chi2 import delta_chi2_threshold
from cevns.stats.forecasts import SCENARIOS, forecast, forecast_likelihood, sin2w_forecasts
from cevns.stats.likelihood import Likelihood, Values
from cevns.stats.profiles import one_parameter_profile, profile_of_chi2


@dataclass(frozen=True)
class Gaussian:
    """A Gaussian measurement of sin²θ_W: one "bin" whose signal is the parameter itself,
    χ² = ((s − observed)/σ)², so the Δχ² = 1 interval is observed ± σ exactly."""

    observed: float
    sigma: float
    fixed: Values = field(default_factory=dict)

    def signal(self, values: Values | None = None) -> np.ndarray:
        return np.array([float({"sin2_theta_w": 0.23857, **self.fixed, **(values or {})}["sin2_theta_w"])])

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        return ((np.asarray(signal)[..., 0] - self.observed) / self.sigma) ** 2

    def chi2(self, values: Values | None = None) -> float:
        return float(self.chi2_from_signal(self.signal(values)))

    def with_fixed(self, values: Values) -> Gaussian:
        return replace(self, fixed={**self.fixed, **values})

    def asimov(self, values: Values | None = None) -> Gaussian:
        return replace(self, observed=float(self.signal(values)[0]))


def test_the_gaussian_is_a_likelihood():
    assert isinstance(Gaussian(0.24, 0.01), Likelihood)


def test_forecast_of_a_gaussian_is_truth_plus_minus_sigma():
    lk = Gaussian(0.0, 0.004).asimov({"sin2_theta_w": 0.24})
    f = forecast(lk, "sin2_theta_w", 0.24, 21, lower_bound=1e-3)
    assert (f.low, f.high) == (pytest.approx(0.236, abs=1e-12), pytest.approx(0.244, abs=1e-12))
    assert f.half_width == pytest.approx(0.004, rel=1e-9)
    assert f.profile.minima == (pytest.approx(0.24, abs=1e-9),)


def test_forecast_near_the_lower_bound_stops_there():
    """An interval that would reach below ``lower_bound`` ends at it (the grid is cut
    there), the other end is the closed form."""
    lk = Gaussian(0.0, 0.05).asimov({"sin2_theta_w": 0.03})
    f = forecast(lk, "sin2_theta_w", 0.03, 41, lower_bound=1e-3)
    assert f.low == pytest.approx(1e-3) and f.high == pytest.approx(0.08, abs=1e-10)


def test_profile_of_a_double_well_in_closed_form():
    """χ² = (x² − 1)²/ε: minima at ±1, and Δχ² ≤ t where x² ∈ [1 − √(εt), 1 + √(εt)]."""
    eps = 0.01

    def chi2(x: np.ndarray) -> np.ndarray:
        return (np.asarray(x) ** 2 - 1.0) ** 2 / eps

    prof = profile_of_chi2(chi2, np.linspace(-2.0, 2.0, 41), label="x")
    assert prof.minima == (pytest.approx(-1.0, abs=1e-7), pytest.approx(1.0, abs=1e-7))
    for key, cl in (("1sigma", math.erf(1 / math.sqrt(2))), ("90%", 0.90)):
        t = float(delta_chi2_threshold(cl, 1))
        inner, outer = math.sqrt(1 - math.sqrt(eps * t)), math.sqrt(1 + math.sqrt(eps * t))
        expected = ((-outer, -inner), (inner, outer))
        assert len(prof.allowed[key]) == 2
        for got, want in zip(prof.allowed[key], expected):
            assert got == (pytest.approx(want[0], abs=1e-10), pytest.approx(want[1], abs=1e-10))


def test_one_parameter_profile_rejects_a_bad_grid():
    with pytest.raises(ValueError, match="strictly increasing"):
        one_parameter_profile(Gaussian(0.24, 0.01), "sin2_theta_w", [0.2, 0.2, 0.3])


def test_experiment_forecasts_lose_sensitivity_scenario_by_scenario():
    """Statistics only ≤ + normalisation ≤ + background, and statistics only equals the
    closed form of a pull-free χ² = Σ (S(θ) − S₀)²/S₀ (Papoulias & Kosmas, arXiv:1711.09773,
    Eq. 6 without pulls), computed here from the predictor directly."""
    exp = load_experiment("coherent-ge")
    predictor = exp.predictor()
    forecasts = sin2w_forecasts(exp, 21, predictor)
    widths = [forecasts[sc].half_width for sc in SCENARIOS]
    assert widths[0] < widths[1] < widths[2]
    s0 = exp.spec.couplings.sin2_theta_w
    f = forecasts["stat"]
    for end in (f.low, f.high):
        s = predictor.binned({"sin2_theta_w": end}).per_bin
        ref = predictor.binned({"sin2_theta_w": s0}).per_bin
        assert float(np.sum((s - ref) ** 2 / ref)) == pytest.approx(1.0, rel=1e-8)
    with pytest.raises(ValueError, match="unknown forecast scenario 'best'"):
        forecast_likelihood(exp, "best", predictor=predictor)
