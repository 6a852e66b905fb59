"""The registry of model terms: every piece of physics beyond the Standard Model that
:class:`cevns.physics.interactions.PhysicsModel` can hold, described once.

A :class:`ModelTerm` says everything the rest of the library needs to know about one
model: the named :class:`Parameter` objects it owns (unit, default, domain), a pure
function that builds its *state* (a small immutable value, e.g. a
:class:`~cevns.physics.interactions.ScalarMediator`) from parameter values, and how the
state enters the cross section

.. math::
   \\frac{d\\sigma}{dT} = \\frac{G_F^2 M}{\\pi} \\sum_{k=0}^{2} c_k(T)\\,E_\\nu^{-k},
   \\qquad c_0 = \\mathcal{Q}^2,\\ c_1 = -T\\mathcal{Q}^2,\\ c_2 = -\\tfrac{MT}{2}\\mathcal{Q}^2,
   \\quad \\mathcal{Q} = g^p Z F_Z + g^n N F_N,

either as a shift (Δg^p, Δg^n) of the coherent couplings at q² (interfering with the
Standard Model), or as incoherent additions to the c_k(T), or not at all (terms that act
on the flux, like sterile oscillations, which the rate code reads from the state). Each
term also declares whether the JAX backend implements it and the papers its formulas
come from.

From the registration follow: the parameter vocabulary (:data:`cevns.physics.parameters.PARAMETERS`,
:func:`~cevns.physics.parameters.parameter`, :func:`~cevns.physics.parameters.apply_parameters`,
``cevns params``), the validation of parameter values, the model's cross section and the
JAX backend's allow-list. A new model is one module that calls :func:`register_term`
(the modules of this package are imported, and so registered, on the first use of the
registry, :func:`load_families`; not with the package, so that a Standard-Model
prediction imports only the family of the terms it reads, the sterile one).

The registry is a module-level dictionary that only :func:`register_term` and
:func:`unregister_term` change (under a lock); each change publishes a new immutable
snapshot, which readers (:func:`registered_terms`, :func:`model_term`,
:func:`term_of_parameter`) use without locking. The built-in terms
(:data:`BUILT_IN_TERMS`) come first, in their fixed order, whichever of their modules was
imported first; the other terms follow in registration order.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Mapping, TypeVar

import numpy as np

from cevns.errors import InputError
from cevns.physics.nuclei import Isotope

#: Lepton flavours α of ν_α, as they appear in parameter names and state keys.
LEPTONS: tuple[str, ...] = ("e", "mu", "tau")

#: Parameter names that are not any term's: the Standard Model inputs handled by
#: :mod:`cevns.physics.parameters` (``rn_<isotope>`` / ``rp_<isotope>`` are reserved too).
RESERVED_PARAMETER_NAMES: tuple[str, ...] = ("sin2_theta_w", "rp", "rn")
_RESERVED_PATTERN = re.compile(r"^(rn|rp)_")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class ParameterError(InputError):
    """An unknown parameter name or a value outside its physical domain (an
    :class:`cevns.errors.InputError`, hence also a ValueError)."""


@dataclass(frozen=True)
class Parameter:
    """A named parameter: ``unit`` (text), ``default`` (``None``: set by the experiment,
    or an alternative form that is absent unless given), ``description``, and its domain
    ``low``/``high`` (inclusive unless ``open_low``) or ``choices`` for text-valued ones.
    ``phase_linear``: the counts oscillate in this parameter at a rate independent of its
    value (it enters through a phase linear in it, as Δm² does), so interpolation over a
    wide range is done in the parameter itself rather than in its logarithm
    (:mod:`cevns.stats.emulators`)."""

    name: str
    unit: str
    default: float | str | None
    description: str
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    choices: tuple[str, ...] = ()
    phase_linear: bool = False

    def check(self, value: float | str) -> float | str:
        """The value, converted and checked against the domain (raises ParameterError)."""
        if self.choices:
            if value not in self.choices:
                raise ParameterError(f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}")
            return value
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"{self.name} must be a number, got {value!r}") from None
        if not math.isfinite(x):
            raise ParameterError(f"{self.name} must be finite, got {value!r}")
        if self.low is not None and (x < self.low or (self.open_low and x == self.low)):
            raise ParameterError(f"{self.name} must be {'>' if self.open_low else '≥'} {self.low:g} {self.unit}, got {x:g}".replace("  ", " "))
        if self.high is not None and x > self.high:
            raise ParameterError(f"{self.name} must be ≤ {self.high:g}, got {x:g}")
        return x


@dataclass(frozen=True)
class RecoilKinematics:
    """What a term's incoherent part may use, on the recoil nodes of one isotope.

    ``recoil`` T (MeV, shape (n,)), ``q2`` = T² + 2MT (MeV²), the form factors F_Z, F_N on
    those nodes, ``zf`` = Z F_Z and ``nf`` = N F_N, and ``leptons``: the lepton flavour
    (``e``/``mu``/``tau``) of each output row (one row per neutrino species asked for).
    """

    isotope: Isotope
    recoil: np.ndarray
    q2: np.ndarray
    proton_form_factor: np.ndarray
    neutron_form_factor: np.ndarray
    zf: np.ndarray
    nf: np.ndarray
    leptons: tuple[str, ...]

    @property
    def mass(self) -> float:
        """Nuclear mass M in MeV."""
        return self.isotope.mass


S = TypeVar("S")

#: (Δg^p, Δg^n) of ν_ℓ at q²: floats or arrays shaped like q².
CouplingShift = tuple[np.ndarray | float, np.ndarray | float]


def _always(_: object) -> bool:
    return True


@dataclass(frozen=True)
class ModelTerm(Generic[S]):
    """The description of one model term (immutable; register it with :func:`register_term`).

    ``name``: identifier, also the keyword of its state in ``PhysicsModel(name=state)``.
    ``title``: a few words for messages and listings. ``parameters``: the named
    parameters it owns. ``build``: pure function from parameter values (every owned
    parameter that was given or has a default, alternatives only when given) to the
    state; it may raise ValueError, reported as ParameterError. ``default``: the state
    when the term is absent (the Standard Model). ``is_active``: whether a state changes
    anything (False states are skipped). ``check``: validation of a state given directly
    to PhysicsModel (raise ValueError). ``coupling_shifts(state, lepton, q2)``: (Δg^p,
    Δg^n) added to the coherent couplings. ``incoherent(state, kinematics)``: additions
    to c_k(T), an array broadcastable to (n_flavours, 3, n) or None for nothing.
    ``divergent``: True when the total cross section of the state is infinite (dσ/dT not
    integrable at T → 0). ``alternatives``: pairs (alternative, main) of parameter
    names of which only one may be given; the later one given replaces the other.
    ``jax_support``: the JAX backend (:mod:`cevns.backends.jax_backend`) implements the
    term. ``citation``: where its formulas come from (authors, journal, arXiv, equation).
    """

    name: str
    title: str
    parameters: tuple[Parameter, ...]
    build: Callable[[Mapping[str, float | str]], S]
    default: S
    citation: str
    is_active: Callable[[S], bool] = _always
    check: Callable[[S], None] | None = None
    coupling_shifts: Callable[[S, str, np.ndarray], CouplingShift] | None = None
    incoherent: Callable[[S, RecoilKinematics], np.ndarray | None] | None = None
    divergent: Callable[[S], bool] | None = None
    alternatives: tuple[tuple[str, str], ...] = ()
    jax_support: bool = False
    _names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_names", frozenset(p.name for p in self.parameters))

    def owns(self, name: str) -> bool:
        """Whether ``name`` is one of this term's parameters."""
        return name in self._names

    def parameter_values(self, given: Mapping[str, float | str]) -> dict[str, float | str]:
        """The values :attr:`build` receives: ``given`` for owned names, else the default
        (parameters without a default only when given)."""
        out: dict[str, float | str] = {}
        for p in self.parameters:
            if p.name in given:
                out[p.name] = given[p.name]
            elif p.default is not None:
                out[p.name] = p.default
        return out


_LOCK = threading.Lock()
_TERMS: dict[str, ModelTerm[Any]] = {}
_OWNERS: dict[str, str] = {}

#: The package whose modules register the model terms (one module per family).
FAMILIES_PACKAGE = "cevns.physics.interactions"

#: The built-in terms, in the order they enter the cross section (and are listed), each with
#: the module of :data:`FAMILIES_PACKAGE` that registers it.
BUILT_IN_TERMS: tuple[tuple[str, str], ...] = (
    ("nsi", "nsi"),
    ("magnetic_moment", "electromagnetic"),
    ("charge_radius", "electromagnetic"),
    ("millicharge", "electromagnetic"),
    ("vector_mediator", "vector_mediator"),
    ("scalar_mediator", "scalar_mediator"),
    ("sterile", "sterile"),
    ("axial", "axial"),
    ("electron_nsi", "electron_nsi"),
)
_RANK = {name: i for i, (name, _) in enumerate(BUILT_IN_TERMS)}
_FAMILY = dict(BUILT_IN_TERMS)
_LOAD_LOCK = threading.RLock()
#: [every family module imported, this thread (holding _LOAD_LOCK) is importing them]
_FAMILIES = [False, False]


def load_families() -> None:
    """Import every module of :data:`FAMILIES_PACKAGE` (they register their terms on
    import): the built-in families in the order of :data:`BUILT_IN_TERMS`, then any other
    module of the package, by name (``model`` and ``registry`` excepted), once. The
    readers of the whole registry call it first; :func:`model_term` imports only the
    family of a built-in term it is asked for."""
    if _FAMILIES[0]:
        return
    with _LOAD_LOCK:
        if _FAMILIES[0] or _FAMILIES[1]:  # done, or a family of this thread's import registering
            return
        _FAMILIES[1] = True
        try:
            import importlib
            import pkgutil

            built_in = list(dict.fromkeys(module for _, module in BUILT_IN_TERMS))
            path = importlib.import_module(FAMILIES_PACKAGE).__path__
            others = sorted(info.name for info in pkgutil.iter_modules(path)
                            if not info.name.startswith("_") and info.name not in ("model", "registry", *built_in))
            for name in built_in + others:
                importlib.import_module(f"{FAMILIES_PACKAGE}.{name}")
            _FAMILIES[0] = True
        finally:
            _FAMILIES[1] = False


class _Snapshot:
    """One published state of the registry, never changed after it is made (a plain class
    with slots, not a frozen dataclass: about 1 ms less of start-up)."""

    __slots__ = ("version", "terms", "by_name", "by_parameter")

    def __init__(self, version: int = 0, terms: tuple[ModelTerm[Any], ...] = (),
                 by_name: Mapping[str, ModelTerm[Any]] | None = None, by_parameter: Mapping[str, ModelTerm[Any]] | None = None) -> None:
        self.version = version
        self.terms = terms
        self.by_name: Mapping[str, ModelTerm[Any]] = by_name if by_name is not None else {}
        self.by_parameter: Mapping[str, ModelTerm[Any]] = by_parameter if by_parameter is not None else {}


#: What readers see: replaced as a whole (under the lock) at every change, never
#: mutated, so that reading needs no lock.
_SNAPSHOT = [_Snapshot()]


def _changed() -> None:
    """After a change, under the lock: a new snapshot with the next version number."""
    version = _SNAPSHOT[0].version + 1
    # built-in terms in their fixed order, then the others in registration order (a stable sort)
    terms = tuple(sorted(_TERMS.values(), key=lambda t: _RANK.get(t.name, len(_RANK))))
    _SNAPSHOT[0] = _Snapshot(version, terms, dict(_TERMS), {p: _TERMS[t] for p, t in _OWNERS.items()})


def register_term(term: ModelTerm[Any]) -> ModelTerm[Any]:
    """Add ``term`` to the registry (after those already there: terms are applied in
    registration order, the built-in ones of :data:`BUILT_IN_TERMS` first) and return it.
    Raises ValueError for a name or parameter name that is taken or reserved (a term that
    is not built in is checked against every built-in one: their modules are imported
    first)."""
    if not _NAME.match(term.name):
        raise ValueError(f"model term name {term.name!r} must be an identifier")
    if term.name not in _RANK:
        load_families()
    with _LOCK:
        if term.name in _TERMS:
            raise ValueError(f"a model term {term.name!r} is already registered")
        names = [p.name for p in term.parameters]
        for name in names:
            if not _NAME.match(name):
                raise ValueError(f"parameter name {name!r} of {term.name} must be an identifier")
            if name in RESERVED_PARAMETER_NAMES or _RESERVED_PATTERN.match(name):
                raise ValueError(f"parameter name {name!r} of {term.name} is reserved for the Standard Model inputs")
            if name in _OWNERS:
                raise ValueError(f"parameter {name!r} of {term.name} already belongs to {_OWNERS[name]}")
        if len(set(names)) != len(names):
            raise ValueError(f"model term {term.name} names a parameter twice")
        for alt, main in term.alternatives:
            if not (term.owns(alt) and term.owns(main)):
                raise ValueError(f"alternatives ({alt}, {main}) of {term.name} must be its own parameters")
        _TERMS[term.name] = term
        _OWNERS.update({name: term.name for name in names})
        _changed()
    return term


def unregister_term(name: str) -> ModelTerm[Any]:
    """Remove the term called ``name`` from the registry and return it (KeyError if absent)."""
    load_families()
    with _LOCK:
        term = _TERMS.pop(name)
        for p in term.parameters:
            _OWNERS.pop(p.name, None)
        _changed()
    return term


def registered_terms() -> tuple[ModelTerm[Any], ...]:
    """Every registered term, the built-in ones first in their fixed order, then the others in
    registration order (a snapshot)."""
    load_families()
    return _SNAPSHOT[0].terms


def registry_version() -> int:
    """A number that changes whenever a term is registered or unregistered (for caches)."""
    load_families()
    return _SNAPSHOT[0].version


def model_term(name: str) -> ModelTerm[Any]:
    """The registered term called ``name`` (ValueError naming the registered ones if absent).
    A built-in term imports its own family module only (a Standard-Model prediction reads
    the sterile term's default, nothing else)."""
    term = _SNAPSHOT[0].by_name.get(name)
    if term is None and name in _FAMILY and not _FAMILIES[0]:
        import importlib

        importlib.import_module(f"{FAMILIES_PACKAGE}.{_FAMILY[name]}")
        term = _SNAPSHOT[0].by_name.get(name)
    if term is None:
        load_families()
        snapshot = _SNAPSHOT[0]
        term = snapshot.by_name.get(name)
        if term is None:
            raise ValueError(f"no model term {name!r} is registered (registered: {', '.join(t.name for t in snapshot.terms)})")
    return term


def term_of_parameter(name: str) -> ModelTerm[Any] | None:
    """The registered term that owns the parameter ``name``, or None."""
    load_families()
    return _SNAPSHOT[0].by_parameter.get(name)


__all__ = [
    "BUILT_IN_TERMS",
    "FAMILIES_PACKAGE",
    "LEPTONS",
    "ModelTerm",
    "Parameter",
    "ParameterError",
    "RESERVED_PARAMETER_NAMES",
    "RecoilKinematics",
    "load_families",
    "model_term",
    "register_term",
    "registered_terms",
    "registry_version",
    "term_of_parameter",
    "unregister_term",
]
