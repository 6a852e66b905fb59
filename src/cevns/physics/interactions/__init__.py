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
with the package (the built-in families first, in the order below, which is the order
their terms enter the cross section), and the parameter vocabulary, validation, the
``cevns params`` listing and the JAX backend's allow-list follow from the registration.

Units: MeV for energies, masses and momenta; couplings dimensionless; magnetic moments
in μ_B, charge radii in 10⁻³² cm², millicharges in units of e.
"""

from __future__ import annotations

import importlib
import pkgutil

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

# The built-in families, in the order their terms are registered (and so applied).
from cevns.physics.interactions.nsi import QUARKS
from cevns.physics.interactions.electromagnetic import millicharge_coupling_shift
from cevns.physics.interactions.vector_mediator import ZPRIME_MODELS, VectorMediator, lmu_ltau_proton_shift
from cevns.physics.interactions.scalar_mediator import SCALAR_NUCLEON_CHARGES, ScalarMediator
from cevns.physics.interactions import sterile as _sterile  # noqa: F401  registers the 3+1 parameters
from cevns.physics.interactions.axial import NUCLEON_AXIAL_COUPLING, axial_charge


def _import_families() -> None:
    """Import (and so register) every other module of this package, by name."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_") and info.name not in ("model", "registry"):
            importlib.import_module(f"{__name__}.{info.name}")


_import_families()

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
