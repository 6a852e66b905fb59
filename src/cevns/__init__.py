"""cevns: coherent elastic neutrino-nucleus scattering in one coherent tool.

The public API is re-exported here lazily (importing ``cevns`` costs almost nothing; the
sub-module is imported on first use of one of its names)::

    >>> import cevns
    >>> exp = cevns.load_experiment("coherent-csi-2017")
    >>> round(exp.binned_counts().total)
    176

Modules: :mod:`~cevns.units`, :mod:`~cevns.nuclei`, :mod:`~cevns.kinematics`,
:mod:`~cevns.form_factors`, :mod:`~cevns.cross_sections` (SM),
:mod:`~cevns.interactions` (SM + BSM at a parameter point), :mod:`~cevns.parameters`
(named parameters), :mod:`~cevns.oscillations`, :mod:`~cevns.fluxes`,
:mod:`~cevns.detectors`, :mod:`~cevns.rates`, :mod:`~cevns.experiments`,
:mod:`~cevns.plotting`, :mod:`~cevns.cli`.

Physics parameters by name (``cevns params`` lists them)::

    >>> counts = exp.binned_counts({"eps_ee_uV": 0.1, "mu_nu_e": 1e-9})
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    "units": None,
    "Isotope": "nuclei",
    "Target": "nuclei",
    "isotope": "nuclei",
    "resolve_target": "nuclei",
    "recoil_max": "kinematics",
    "neutrino_energy_min": "kinematics",
    "momentum_transfer": "kinematics",
    "FormFactor": "form_factors",
    "helm_form_factor": "form_factors",
    "symmetrized_fermi_form_factor": "form_factors",
    "klein_nystrand_form_factor": "form_factors",
    "FLAVORS": "cross_sections",
    "NuclearStructure": "cross_sections",
    "NucleonCouplings": "cross_sections",
    "tree_level_couplings": "cross_sections",
    "radiative_couplings": "cross_sections",
    "differential_cross_section": "cross_sections",
    "total_cross_section": "cross_sections",
    "NeutrinoSource": "fluxes",
    "pion_dar_source": "fluxes",
    "reactor_source": "fluxes",
    "tabulated_source": "fluxes",
    "PhysicsModel": "interactions",
    "apply_parameters": "parameters",
    "PARAMETERS": "parameters",
    "SterileMixing": "oscillations",
    "DetectorResponse": "detectors",
    "prepare_rates": "rates",
    "differential_rate": "rates",
    "flux_averaged_cross_section": "rates",
    "target_flux_averaged_cross_section": "rates",
    "Experiment": "experiments",
    "load_experiment": "experiments",
    "shipped_experiments": "experiments",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cevns' has no attribute {name!r}")
    module = importlib.import_module(f".{_EXPORTS[name] or name}", __name__)
    return module if _EXPORTS[name] is None else getattr(module, name)


def __dir__() -> list[str]:
    return sorted(__all__)
