"""Statistics: from predictions and data to χ², fits, intervals, scans and toys.

* :mod:`~cevns.stats.chi2`: the statistics themselves (pull χ², Poisson deviance with
  profiled normalisations, covariance χ², Wilks thresholds, intervals).
* :mod:`~cevns.stats.likelihood`: the likelihood protocol that fits and scans use.
* :mod:`~cevns.stats.fits`: experiment likelihoods, MIGRAD/HESSE fits, Δχ² profiles.
* :mod:`~cevns.stats.profiles`: exact one-parameter Δχ² profiles (others fixed, ends refined).
* :mod:`~cevns.stats.fog`: discovery limits under the neutrino background and the
  neutrino fog (gradient n over mass × cross section, floors).
* :mod:`~cevns.stats.forecasts`: Asimov forecasts of one parameter's 1σ sensitivity.
* :mod:`~cevns.stats.scans`: grid scans (exact polynomial signals where possible).
* :mod:`~cevns.stats.toys`: pseudo-experiments, coverage, Feldman–Cousins thresholds.
* :mod:`~cevns.stats.feldman_cousins`: Feldman–Cousins intervals and regions on a grid of
  one or two parameters (profile construction, any binned likelihood).
* :mod:`~cevns.stats.templates`: binned template likelihoods (several backgrounds, off
  sample), as the COHERENT data releases need.
* :mod:`~cevns.stats.arrays`, :mod:`~cevns.stats.array_files`: detector arrays with
  correlated systematics and their TOML files.

Imports: :mod:`cevns.config` and below, iminuit; not :mod:`cevns.plotting` (an independent
layer at the same level) nor releases, backends or above.
"""

from __future__ import annotations

from cevns._lazy import lazy_exports

#: module of this package → the public names it defines, re-exported here and imported
#: lazily, on first use
_EXPORTS: dict[str, tuple[str, ...]] = {
    "array_files": (
        "ARRAY_KEYS", "ArrayDataSpec", "ArrayError", "ArraySpec", "MemberSpec", "SystematicsSpec",
        "is_array", "load_array", "load_likelihood", "shipped_arrays",
    ),
    "arrays": (
        "ArrayLikelihood", "ArrayMember", "DetectorArray", "detector_array",
    ),
    "chi2": (
        "PullFit", "csi2017_sigma_stat", "pull_chi2", "profile_linear_pulls", "binned_pull_chi2",
        "poisson_deviance", "damped_newton", "profiled_poisson_deviance", "covariance_matrix",
        "covariance_chi2", "marginalise_detector", "cl_from_sigma", "delta_chi2_threshold",
        "Interval", "interval_from_profile",
    ),
    "fog": (
        "DEFAULT_LEVELS", "DiscoveryLimits", "FOG_FLUXES", "FogArrays", "FogResult", "Q0", "asimov_q0",
        "discovery_limits", "floor", "fog_arrays", "fog_gradient", "neutrino_fog",
    ),
    "forecasts": (
        "SCENARIOS", "Forecast", "forecast", "forecast_likelihood", "radius_forecasts", "radius_truth",
        "sin2w_forecasts",
    ),
    "fits": (
        "ExperimentLikelihood", "FitResult", "ONE_DOF_LEVELS", "Profile", "TWO_DOF_LEVELS",
        "UnconstrainedError", "asimov", "chi2_from_signal", "fit", "profile", "profile_range",
    ),
    "likelihood": (
        "Likelihood", "Values",
    ),
    "profiles": (
        "Grid", "OneParameterProfile", "chi2_along", "one_parameter_profile", "profile_of_chi2",
    ),
    "scans": (
        "PolynomialSignal", "Scan", "chunk_evaluator", "empty_scan", "polynomial_signal", "scan",
    ),
    "templates": (
        "OFF_SAMPLE_COMPONENT", "Axis", "Background", "SignalStrength", "SplitPredictor",
        "TemplateData", "TemplateLikelihood", "fit_signal_strength", "profiled_bin_deviance",
        "profiled_poisson_components",
    ),
    "toys": (
        "PolynomialLikelihood", "ToyResult", "ToyStudy", "empty_toys", "pseudo_data", "run_toys",
        "toy_study",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
