"""The public API, pinned: ``dir(cevns)`` and every public sub-package's ``__all__``.

A failure here means the public API changed. If that is intended, update the literal lists
below in the same commit (and say so in its message); if not, a name was lost or leaked.
Also checked: every exported name resolves to an object defined inside its own layer,
``import cevns`` and the sub-packages stay cheap (no numpy at import), the version has one
source (``pyproject.toml``), and ``py.typed`` ships.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import cevns

ROOT = Path(__file__).resolve().parents[1]

EXPECTED_DIR_CEVNS = [
    "CevnsError", "DetectorResponse", "Experiment", "FLAVORS", "FormFactor", "InputError",
    "Isotope", "NeutrinoSource", "NuclearStructure", "NucleonCouplings", "PARAMETERS",
    "PhysicsModel", "SterileMixing", "Target", "__version__", "apply_parameters",
    "differential_cross_section", "differential_rate", "flux_averaged_cross_section",
    "helm_form_factor", "isotope", "klein_nystrand_form_factor", "load_experiment",
    "momentum_transfer", "neutrino_energy_min", "pion_dar_source", "prepare_rates",
    "radiative_couplings", "reactor_source", "recoil_max", "resolve_target", "shipped_experiments",
    "symmetrized_fermi_form_factor", "tabulated_source", "target_flux_averaged_cross_section",
    "total_cross_section", "tree_level_couplings", "units",
]

#: sub-package → sorted ``__all__``
EXPECTED_ALL: dict[str, list[str]] = {
    "cevns.physics": [
        "ACTIVE", "ALPHA_HAT_MZ_INV", "CORE_PARAMETERS", "FERMI_DIFFUSENESS_FM", "FLAVORS",
        "FORM_FACTOR_MODELS", "FormFactor", "HELM_SURFACE_THICKNESS_FM", "Isotope",
        "KLEIN_NYSTRAND_RANGE_FM", "LEPTONS", "M_W_MEV", "M_Z_MEV", "ModelTerm",
        "NUCLEON_AXIAL_COUPLING", "NuclearStructure", "NucleonCouplings", "PARAMETERS",
        "PDG_NU_N_INPUTS", "Parameter", "ParameterError", "PhysicsModel", "QUARKS",
        "RecoilKinematics", "SCALAR_NUCLEON_CHARGES", "SIN2_THETA_W_LOW_ENERGY",
        "SM_NEUTRINO_CHARGE_RADII_1E32_CM2", "ScalarMediator", "SterileMixing", "Target",
        "TargetNucleus", "UnknownNucleusError", "VectorMediator", "ZPRIME_MODELS",
        "apply_parameters", "averaged_sin2", "axial_charge", "charge_radius_coupling_shift",
        "check_parameters", "couplings_by_name", "cross_section_prefactor", "cross_section_terms",
        "differential_cross_section", "helm_form_factor", "integrate_over_recoil",
        "is_antineutrino", "isotope", "kinematic_factor", "klein_nystrand_form_factor",
        "lepton_flavor", "lewin_smith_rms_radius_fm", "light_quark_threshold_mev",
        "lmu_ltau_proton_shift", "millicharge_coupling_shift", "mixing_from_sin2_2theta",
        "model_term", "momentum_transfer", "natural_isotopes", "neutrino_energy_min", "parameter",
        "parameter_names", "parameter_table", "parse_isotope_name", "phase_coefficient",
        "point_nucleus_total_cross_section", "radiative_couplings", "recoil_max", "register_term",
        "registered_terms", "resolve_target", "running_sin2_theta_w", "spin_expectation_values",
        "symmetrized_fermi_form_factor", "term_of_parameter", "total_cross_section",
        "tree_level_couplings", "unity_form_factor", "unregister_term",
        "weak_charge_from_form_factors", "weak_charge_half",
    ],
    "cevns.physics.interactions": [
        "LEPTONS", "ModelTerm", "NUCLEON_AXIAL_COUPLING", "Parameter", "ParameterError",
        "PhysicsModel", "QUARKS", "RecoilKinematics", "SCALAR_NUCLEON_CHARGES", "ScalarMediator",
        "VectorMediator", "ZPRIME_MODELS", "axial_charge", "cross_section_terms",
        "differential_cross_section", "lmu_ltau_proton_shift", "millicharge_coupling_shift",
        "model_term", "register_term", "registered_terms", "term_of_parameter",
        "total_cross_section", "unregister_term",
    ],
    "cevns.sources": [
        "AnalyticSpectrum", "CSI_2017_FITTED_PULSE", "DELAYED_FLAVORS", "ENERGY_PER_FISSION_MEV",
        "HUBER_MUELLER_COEFFICIENTS", "LineSpectrum", "NeutrinoSource", "OSCILLATION_CELLS",
        "OscillationTable", "PROMPT_FLAVORS", "PROMPT_NU_MU_ENERGY", "ProtonPulse", "Pulse",
        "SNS_PULSE", "TAU_MUON", "TAU_PION", "TabulatedPulse", "TabulatedSpectrum",
        "arrival_time_cdf", "arrival_time_pdf", "arrival_time_survival", "decay_components",
        "mean_arrival_time", "michel_nu_e", "michel_nu_mu_bar", "ns", "oscillated_tail_moments",
        "oscillation_table", "pion_dar_source", "pot_per_second", "reactor_source",
        "reactor_spectrum_per_fission", "tabulated_source", "time_bin_fractions", "us",
        "window_fraction",
    ],
    "cevns.detector": [
        "ConstantQuenching", "DetectorResponse", "Efficiency", "FunctionEfficiency",
        "LindhardQuenching", "LogisticEfficiency", "Observable", "ObservableKind",
        "PolynomialQuenching", "Quenching", "Resolution", "ResolutionModel", "TableEfficiency",
        "TableQuenching", "UnitEfficiency", "WeibullEfficiency", "bin_edges",
    ],
    "cevns.rates": [
        "BinnedCounts", "IsotopeNodes", "Quadrature", "RatePredictor", "TimeSelection",
        "arriving_flavors", "counts_table", "differential_rate", "flux_averaged_cross_section",
        "model_with_parameters", "prepare_rates", "spectrum_kinks_mev",
        "target_flux_averaged_cross_section",
    ],
    "cevns.config": [
        "BinsSpec", "ConstantQuenchingSpec", "CouplingsSpec", "DataSpec", "DetectorSpec",
        "EfficiencySpec", "Experiment", "ExperimentError", "ExperimentSpec", "ExposureSpec",
        "LindhardQuenchingSpec", "LogisticEfficiencySpec", "Measurement", "NoEfficiencySpec",
        "NuclearSpec", "ObservableSpec", "PULSES", "PionDarSpec", "PolynomialQuenchingSpec",
        "QuenchingSpec", "ReactorSpec", "RegisteredSource", "ResolutionSpec", "SourceBuilder",
        "SourceContext", "SourceSpec", "SourceType", "StrictModel", "TableEfficiencySpec",
        "TableQuenchingSpec", "TableSourceSpec", "TargetSpec", "TimeSpec",
        "active_experiment_overrides", "apply_overrides", "build_experiment", "build_source",
        "cached_per_overrides", "detector_response", "experiment_overrides",
        "format_validation_error", "load_experiment", "load_experiment_cached", "nuclear_structure",
        "on_source_types_changed", "parse_override", "parse_toml", "read_spectrum_csv",
        "read_toml_file", "register_source_type", "shipped_entry", "shipped_experiments", "shipped_files",
        "source_types", "unregister_source_type", "user_overrides_for",
    ],
    "cevns.stats": [
        "ARRAY_KEYS", "ArrayDataSpec", "ArrayError", "ArrayLikelihood", "ArrayMember", "ArraySpec",
        "Axis", "Background", "DetectorArray", "ExperimentLikelihood", "FitResult", "Forecast",
        "Grid", "Interval", "Likelihood", "MemberSpec", "OFF_SAMPLE_COMPONENT", "ONE_DOF_LEVELS",
        "OneParameterProfile", "PolynomialLikelihood", "PolynomialSignal", "Profile", "PullFit",
        "SCENARIOS", "Scan", "SignalStrength", "SplitPredictor", "SystematicsSpec",
        "TWO_DOF_LEVELS", "TemplateData", "TemplateLikelihood", "ToyResult", "ToyStudy",
        "UnconstrainedError", "Values", "asimov", "binned_pull_chi2", "chi2_along",
        "chi2_from_signal", "chunk_evaluator", "cl_from_sigma", "covariance_chi2",
        "covariance_matrix", "csi2017_sigma_stat", "damped_newton", "delta_chi2_threshold",
        "detector_array", "empty_scan", "empty_toys", "fit", "fit_signal_strength", "forecast",
        "forecast_likelihood", "interval_from_profile", "is_array", "load_array",
        "load_likelihood", "marginalise_detector", "one_parameter_profile", "poisson_deviance",
        "polynomial_signal", "profile", "profile_linear_pulls", "profile_of_chi2", "profile_range",
        "profiled_bin_deviance", "profiled_poisson_components", "profiled_poisson_deviance",
        "pseudo_data", "pull_chi2", "radius_forecasts", "radius_truth", "run_toys", "scan",
        "shipped_arrays", "sin2w_forecasts", "toy_study",
    ],
    "cevns.runtime": [
        "ExecutorError", "StoreError", "atomic_write", "config_text", "executor", "read_store",
        "run_chunks", "write_store",
    ],
    "cevns.backends": [
        "JaxPredictor", "chi2_grid", "minuit_fit", "minuit_functions",
    ],
    "cevns.reproduce": [
        "COHERENT_2017_SM_PREDICTION", "COHERENT_2017_SM_PREDICTION_ERROR", "OneParameterProfile",
        "PK_HELM_R_FM", "PK_HELM_S_FM", "PK_SIN2_THETA_W", "Reproduction", "Result", "format_table",
        "get_reproduction", "one_parameter_profile", "papoulias_kosmas_experiment",
        "papoulias_kosmas_numbers", "pk_helm_rms_radius_fm", "reproduction_names", "write_report",
    ],
    "cevns.cli": [
        "BUG_HINT", "cli", "main",
    ],
}
# WIMP signals (issue 16): cevns.physics.wimp, cevns.rates.recoil_signals
EXPECTED_ALL["cevns.physics"] = sorted(EXPECTED_ALL["cevns.physics"] + [
    "Halo", "SHM", "SdStructure", "eta", "sd_isotopes", "sd_rate", "sd_structure",
    "sd_structure_function", "si_rate", "v_min_kms", "wimp_rate", "wimp_rate_by_isotope",
])
EXPECTED_ALL["cevns.rates"] = sorted(EXPECTED_ALL["cevns.rates"] + [
    "fold_recoil_spectrum", "threshold_response", "wimp_binned_counts", "wimp_counts_above",
])
# Solar sources (issue 15): cevns.sources.solar
EXPECTED_ALL["cevns.sources"] = sorted(EXPECTED_ALL["cevns.sources"] + [
    "BE7_BRANCHING", "LINE_ENERGIES_MEV", "MixtureSpectrum", "SOLAR_COMPONENTS", "SOLAR_MODELS",
    "SolarModel", "component_spectrum", "production_profile", "solar_model", "solar_source",
    "ATMOSPHERIC_MODELS", "AtmosphericModel", "atmospheric_source",
    "DSNB_MODELS", "DsnbModel", "core_collapse_rate", "dsnb_source", "dsnb_spectrum", "fermi_dirac",
    "salpeter_collapse_fraction", "star_formation_rate",
])
# Discovery limits and the neutrino fog (issue 16): cevns.stats.fog
EXPECTED_ALL["cevns.stats"] = sorted(EXPECTED_ALL["cevns.stats"] + [
    "DEFAULT_LEVELS", "DiscoveryLimits", "FOG_FLUXES", "FogArrays", "FogResult", "Q0", "asimov_q0", "discovery_limits",
    "floor", "fog_arrays", "fog_gradient", "neutrino_fog",
])


def test_dir_of_cevns_is_pinned() -> None:
    assert dir(cevns) == EXPECTED_DIR_CEVNS
    assert sorted(cevns.__all__) == EXPECTED_DIR_CEVNS


def test_every_top_level_name_resolves() -> None:
    for name in cevns.__all__:
        assert getattr(cevns, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        cevns.not_a_name  # noqa: B018


def _packages_with_all() -> set[str]:
    found = set()
    for info in pkgutil.walk_packages(cevns.__path__, prefix="cevns."):
        if info.ispkg and not any(part.startswith("_") for part in info.name.split(".")):
            if hasattr(importlib.import_module(info.name), "__all__"):
                found.add(info.name)
    return found


def test_every_public_subpackage_with_all_is_pinned() -> None:
    assert _packages_with_all() == set(EXPECTED_ALL)


@pytest.mark.parametrize("package", sorted(EXPECTED_ALL))
def test_all_is_pinned(package: str) -> None:
    module = importlib.import_module(package)
    assert len(module.__all__) == len(set(module.__all__)), "duplicate names in __all__"
    assert sorted(module.__all__) == EXPECTED_ALL[package]


@pytest.mark.parametrize("package", sorted(EXPECTED_ALL))
def test_every_name_in_all_resolves_inside_its_layer(package: str) -> None:
    if package == "cevns.backends" and importlib.util.find_spec("jax") is None:
        pytest.skip("the JAX backend needs the jax extra")
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        assert name in dir(module)
        defined_in = getattr(value, "__module__", None) if inspect.isclass(value) or inspect.isfunction(value) else None
        # the layers' lazy re-exports name only classes and functions of the layer itself
        if defined_in is not None and hasattr(module, "_EXPORTS"):
            assert defined_in == package or defined_in.startswith(package + "."), (name, defined_in)


@pytest.mark.parametrize("package", sorted(EXPECTED_ALL))
def test_no_export_shadows_a_submodule(package: str) -> None:
    module = importlib.import_module(package)
    if hasattr(module, "__path__"):
        submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
        assert not submodules & set(module.__all__)


def test_unknown_name_of_a_lazy_subpackage_is_an_attribute_error() -> None:
    import cevns.physics

    with pytest.raises(AttributeError, match="cevns.physics"):
        cevns.physics.not_a_name  # noqa: B018


def test_imports_are_cheap() -> None:
    """``import cevns`` and the lazy sub-packages import neither numpy nor the modules (only
    the small :mod:`cevns._lazy` helper)."""
    code = (
        "import sys, cevns, cevns.physics, cevns.sources, cevns.detector, cevns.rates, cevns.config, "
        "cevns.stats, cevns.runtime, cevns.backends; "
        "print(sorted(m for m in sys.modules if m == 'numpy' or m.startswith('cevns.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert eval(out) == sorted(
        ["cevns._lazy", "cevns.physics", "cevns.sources", "cevns.detector", "cevns.rates", "cevns.config",
         "cevns.stats", "cevns.runtime", "cevns.backends"]
    )


def test_version_has_one_source() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert cevns.__version__ == importlib.metadata.version("cevns") == declared
    for path in (ROOT / "src" / "cevns").rglob("*.py"):  # written nowhere else
        assert f'"{declared}"' not in path.read_text(encoding="utf-8"), path


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [block.strip() for block in quick_start.split("```bash")[1:]]
    test_command = next(block.split("```")[0].strip() for block in commands if "pytest" in block)
    install = next(line.strip() for block in commands for line in block.split("```")[0].splitlines()
                   if line.strip().startswith("pip install"))
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    marker = next(i for i, line in enumerate(ci) if "README test command" in line)
    assert ci[marker + 1] == f"{install} && {test_command}"  # the quick start's install line, then its tests


def test_py_typed_ships() -> None:
    assert (ROOT / "src" / "cevns" / "py.typed").is_file()
