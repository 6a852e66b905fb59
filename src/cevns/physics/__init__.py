"""Physics of one neutrino scattering on one nucleus, with no knowledge of sources,
detectors or experiments.

* :mod:`~cevns.physics.nuclei`: isotopes and targets (Z, N, masses, abundances, spins, charge
  radii), compounds and enrichments.
* :mod:`~cevns.physics.kinematics`: recoil and neutrino-energy limits, momentum transfer.
* :mod:`~cevns.physics.form_factors`: Helm, symmetrized Fermi, Klein–Nystrand form factors.
* :mod:`~cevns.physics.cross_sections`: the Standard Model cross section and couplings.
* :mod:`~cevns.physics.interactions`: SM + BSM at a parameter point (registered model terms).
* :mod:`~cevns.physics.parameters`: the named parameters (``cevns params``).
* :mod:`~cevns.physics.oscillations`: 3+1 oscillation probabilities at short baseline.
* :mod:`~cevns.physics.wimp`: WIMP-nucleus scattering: Standard Halo Model, η(v_min),
  spin-independent and spin-dependent recoil spectra.

Where two modules define the same name, the package exports the Standard Model one
(:func:`~cevns.physics.cross_sections.differential_cross_section`); the model-dependent
cross sections are :mod:`cevns.physics.interactions`'s.

Imports: :mod:`cevns.units`, :mod:`cevns.runtime`, :mod:`cevns.errors`, numpy, scipy,
periodictable; never a layer above (sources, detector, rates, ...). Units: MeV, cm, fm for
nuclear radii (:mod:`cevns.units`).
"""

from __future__ import annotations

from cevns._lazy import lazy_exports

#: module of this package → the public names it defines, re-exported here and imported
#: lazily, on first use
_EXPORTS: dict[str, tuple[str, ...]] = {
    "cross_sections": (
        "FLAVORS", "SIN2_THETA_W_LOW_ENERGY", "lepton_flavor", "is_antineutrino",
        "SM_NEUTRINO_CHARGE_RADII_1E32_CM2", "charge_radius_coupling_shift", "NucleonCouplings",
        "tree_level_couplings", "PDG_NU_N_INPUTS", "radiative_couplings", "couplings_by_name",
        "NuclearStructure", "cross_section_prefactor", "weak_charge_from_form_factors",
        "weak_charge_half", "kinematic_factor", "differential_cross_section", "total_cross_section",
        "integrate_over_recoil", "point_nucleus_total_cross_section", "M_Z_MEV", "M_W_MEV",
        "ALPHA_HAT_MZ_INV", "light_quark_threshold_mev", "running_sin2_theta_w",
    ),
    "form_factors": (
        "FORM_FACTOR_MODELS", "HELM_SURFACE_THICKNESS_FM", "FERMI_DIFFUSENESS_FM",
        "KLEIN_NYSTRAND_RANGE_FM", "helm_form_factor", "lewin_smith_rms_radius_fm",
        "symmetrized_fermi_form_factor", "klein_nystrand_form_factor", "unity_form_factor",
        "FormFactor",
    ),
    "interactions": (
        "LEPTONS", "ModelTerm", "NUCLEON_AXIAL_COUPLING", "Parameter", "ParameterError",
        "PhysicsModel", "QUARKS", "RecoilKinematics", "SCALAR_NUCLEON_CHARGES", "ScalarMediator",
        "VectorMediator", "ZPRIME_MODELS", "axial_charge", "cross_section_terms",
        "lmu_ltau_proton_shift", "millicharge_coupling_shift", "model_term", "register_term",
        "registered_terms", "term_of_parameter", "unregister_term",
    ),
    "kinematics": (
        "recoil_max", "neutrino_energy_min", "momentum_transfer",
    ),
    "nuclei": (
        "UnknownNucleusError", "Isotope", "TargetNucleus", "Target", "isotope", "natural_isotopes",
        "parse_isotope_name", "resolve_target", "spin_expectation_values",
    ),
    "oscillations": (
        "ACTIVE", "SterileMixing", "averaged_sin2", "mixing_from_sin2_2theta", "phase_coefficient",
    ),
    "parameters": (
        "CORE_PARAMETERS", "PARAMETERS", "apply_parameters", "check_parameters", "parameter",
        "parameter_names", "parameter_table",
    ),
    "wimp": (
        "Halo", "SHM", "SdStructure", "eta", "sd_isotopes", "sd_rate", "sd_structure",
        "sd_structure_function", "si_rate", "v_min_kms", "wimp_rate", "wimp_rate_by_isotope",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
