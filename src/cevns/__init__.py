"""cevns: coherent elastic neutrino-nucleus scattering in one coherent tool.

The public API is re-exported here lazily (importing ``cevns`` costs almost nothing; the
sub-module is imported on first use of one of its names)::

    >>> import cevns
    >>> exp = cevns.load_experiment("coherent-csi-2017")
    >>> round(exp.binned_counts().total)    # 6-30 PE, t < 6 µs: the selection of its data
    163

Layers, from the bottom (each a sub-package whose ``__all__`` lists its public names, also
imported lazily; a module imports only from its own layer and the layers below):
:mod:`cevns.errors`; :mod:`cevns.units` and :mod:`cevns.runtime`; :mod:`cevns.physics`
(nuclei, kinematics, form factors, cross sections, SM + BSM interactions, named
parameters, oscillations); :mod:`cevns.sources` and :mod:`cevns.detector`;
:mod:`cevns.rates`; :mod:`cevns.config` (experiments as TOML data); :mod:`cevns.stats` and
:mod:`cevns.plotting`; :mod:`cevns.releases` (COHERENT data releases) and
:mod:`cevns.backends` (JAX); :mod:`cevns.reproduce`; :mod:`cevns.cli`.

Physics parameters by name (``cevns params`` lists them)::

    >>> counts = exp.binned_counts({"eps_ee_uV": 0.1, "mu_nu_e": 1e-9})
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # no run-time import of typing: ``import cevns`` stays cheap
    from typing import Any

#: The installed distribution's version (``version`` in ``pyproject.toml``), read on first use.
__version__: str

_EXPORTS = {
    "units": None,
    "Isotope": "physics.nuclei",
    "Target": "physics.nuclei",
    "isotope": "physics.nuclei",
    "resolve_target": "physics.nuclei",
    "recoil_max": "physics.kinematics",
    "neutrino_energy_min": "physics.kinematics",
    "momentum_transfer": "physics.kinematics",
    "FormFactor": "physics.form_factors",
    "helm_form_factor": "physics.form_factors",
    "symmetrized_fermi_form_factor": "physics.form_factors",
    "klein_nystrand_form_factor": "physics.form_factors",
    "FLAVORS": "physics.cross_sections",
    "NuclearStructure": "physics.cross_sections",
    "NucleonCouplings": "physics.cross_sections",
    "tree_level_couplings": "physics.cross_sections",
    "radiative_couplings": "physics.cross_sections",
    "differential_cross_section": "physics.cross_sections",
    "total_cross_section": "physics.cross_sections",
    "NeutrinoSource": "sources.spectra",
    "pion_dar_source": "sources.pion_dar",
    "reactor_source": "sources.reactor",
    "tabulated_source": "sources.spectra",
    "PhysicsModel": "physics.interactions",
    "apply_parameters": "physics.parameters",
    "PARAMETERS": "physics.parameters",
    "SterileMixing": "physics.oscillations",
    "DetectorResponse": "detector.response",
    "prepare_rates": "rates.prediction",
    "differential_rate": "rates.prediction",
    "flux_averaged_cross_section": "rates.prediction",
    "target_flux_averaged_cross_section": "rates.prediction",
    "Experiment": "config.experiments",
    "load_experiment": "config.experiments",
    "shipped_experiments": "config.experiments",
    "CevnsError": "errors",
    "InputError": "errors",
}

__all__ = ["__version__", *_EXPORTS]


def _version() -> str:
    """The installed distribution's version: ``pyproject.toml`` is its single source."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cevns")
    except PackageNotFoundError:  # imported from a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # importlib.metadata costs ~50-150 ms of start-up: read only when asked for
        globals()["__version__"] = value = _version()
        return value
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cevns' has no attribute {name!r}")
    module = importlib.import_module(f".{_EXPORTS[name] or name}", __name__)
    return module if _EXPORTS[name] is None else getattr(module, name)


def __dir__() -> list[str]:
    return sorted(__all__)
