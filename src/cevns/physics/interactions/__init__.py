"""The neutrino–nucleus interaction at a point of parameter space: the Standard Model plus
registered model terms, composed in one cross section.

* :mod:`~cevns.physics.interactions.registry`: :class:`ModelTerm` (what a model is: its
  parameters, its state, its contribution to the couplings or to the c_k(T), JAX support,
  citation) and the registry of terms.
* :mod:`~cevns.physics.interactions.model`: :class:`PhysicsModel` and the cross sections.
* One module per family of models, each registering its terms:
  :mod:`~cevns.physics.interactions.nsi` (vector NSI),
  :mod:`~cevns.physics.interactions.electromagnetic` (magnetic moment, charge radius,
  millicharge), :mod:`~cevns.physics.interactions.vector_mediator` (Z′, including
  L_μ − L_τ), :mod:`~cevns.physics.interactions.scalar_mediator`,
  :mod:`~cevns.physics.interactions.sterile` (3+1 oscillation parameters) and
  :mod:`~cevns.physics.interactions.axial`.

Adding a model is adding one module to this package that calls
:func:`~cevns.physics.interactions.registry.register_term`: every module here is imported
on the first use of the registry (:func:`~cevns.physics.interactions.registry.load_families`:
the built-in families first, in the order above, which is the order their terms enter the
cross section), and the parameter vocabulary, validation, the ``cevns params`` listing and
the JAX backend's allow-list follow from the registration. The package itself imports no
family module (start-up time): a Standard-Model prediction reads only the sterile term's
default, and the names below that a family defines are imported on first use.

Units: MeV for energies, masses and momenta; couplings dimensionless; magnetic moments
in μ_B, charge radii in 10⁻³² cm², millicharges in units of e.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cevns.physics.interactions.registry import (
    LEPTONS,
    ModelTerm,
    Parameter,
    ParameterError,
    RecoilKinematics,
    model_term,
    register_term,
    registered_terms,
    term_of_parameter,
    unregister_term,
)
from cevns.physics.interactions.model import PhysicsModel, cross_section_terms, differential_cross_section, total_cross_section

if TYPE_CHECKING:  # the families' names, for mypy (``name as name``: re-exported); at run time __getattr__
    from cevns.physics.interactions.axial import NUCLEON_AXIAL_COUPLING as NUCLEON_AXIAL_COUPLING
    from cevns.physics.interactions.axial import axial_charge as axial_charge
    from cevns.physics.interactions.electromagnetic import millicharge_coupling_shift as millicharge_coupling_shift
    from cevns.physics.interactions.nsi import QUARKS as QUARKS
    from cevns.physics.interactions.scalar_mediator import SCALAR_NUCLEON_CHARGES as SCALAR_NUCLEON_CHARGES
    from cevns.physics.interactions.scalar_mediator import ScalarMediator as ScalarMediator
    from cevns.physics.interactions.vector_mediator import ZPRIME_MODELS as ZPRIME_MODELS
    from cevns.physics.interactions.vector_mediator import VectorMediator as VectorMediator
    from cevns.physics.interactions.vector_mediator import lmu_ltau_proton_shift as lmu_ltau_proton_shift

#: The names of this package that a family module defines: name → module.
_FAMILY_NAMES = {
    "QUARKS": "nsi", "millicharge_coupling_shift": "electromagnetic", "ZPRIME_MODELS": "vector_mediator",
    "VectorMediator": "vector_mediator", "lmu_ltau_proton_shift": "vector_mediator",
    "SCALAR_NUCLEON_CHARGES": "scalar_mediator", "ScalarMediator": "scalar_mediator",
    "NUCLEON_AXIAL_COUPLING": "axial", "axial_charge": "axial",
}


def __getattr__(name: str) -> object:
    """A family's name (:data:`_FAMILY_NAMES`), its module imported on first use (after
    every family module, so that the registry is complete and in order)."""
    module = _FAMILY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    from cevns.physics.interactions.registry import load_families

    load_families()
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_FAMILY_NAMES})


__all__ = [
    "LEPTONS",
    "ModelTerm",
    "NUCLEON_AXIAL_COUPLING",
    "Parameter",
    "ParameterError",
    "PhysicsModel",
    "QUARKS",
    "RecoilKinematics",
    "SCALAR_NUCLEON_CHARGES",
    "ScalarMediator",
    "VectorMediator",
    "ZPRIME_MODELS",
    "axial_charge",
    "cross_section_terms",
    "differential_cross_section",
    "lmu_ltau_proton_shift",
    "millicharge_coupling_shift",
    "model_term",
    "register_term",
    "registered_terms",
    "term_of_parameter",
    "total_cross_section",
    "unregister_term",
]
