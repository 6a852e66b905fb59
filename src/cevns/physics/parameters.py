"""Named physics parameters: one vocabulary for Python, the CLI (``--param``), experiment
files (``[parameters]``) and fits and scans.

Every parameter has a stable name, a unit, a default (``None`` where the experiment
sets it, e.g. the nuclear radii) and a physical domain. The vocabulary is the Standard
Model inputs (``sin2_theta_w``, the radii ``rp``/``rn`` and ``rp_<isotope>``/``rn_<isotope>``)
plus the parameters of every registered model term
(:mod:`cevns.physics.interactions.registry`): registering a term adds its parameters to
:data:`PARAMETERS`, :func:`parameter`, :func:`apply_parameters` and ``cevns params``,
with nothing to edit here. :func:`apply_parameters` turns a mapping ``{name: value}``
into a :class:`cevns.physics.interactions.PhysicsModel`; with every model parameter at
its default the model is exactly the Standard Model.

``cevns params`` prints :func:`parameter_table`.

**One check for every entry point.** :func:`check_value` is the one check that the command
line (``--param``, ``--set``, scan axes), the experiment files (``[parameters]``) and Python
(:func:`apply_parameters`, :func:`check_parameters`, ``RatePredictor.binned``) go through:
a number (or one of the ``choices``), finite, inside the physical range of the term
(:meth:`Parameter.check`), and inside the arithmetic guard of :data:`MAGNITUDE_GUARDS`. Every failure is a one-line
:class:`ParameterError` (an :class:`cevns.errors.InputError`, hence a ValueError).

**Arithmetic guards.** Counts are quadratic (or quartic, for a mediator coupling) in most
parameters, so a value like ε = 10²⁰⁰ or μ_ν = 10³⁰⁰ μ_B overflows double precision
(``nan`` counts or an OverflowError). Each parameter that can overflow is refused beyond a
bound |x| ≤ B (:data:`MAGNITUDE_GUARDS`), chosen physically generous: many orders of
magnitude beyond any value allowed by data or by consistency of the model, yet far below
where the arithmetic fails (every count then stays finite, tested). The bound is not a
limit given to a fit (``stats.fits`` keeps the physical domain ``low``/``high``), and it
leaves room for the trial steps of a fit (up to ±10 from 0). The parameters without a
guard cannot overflow: ``sin2_theta_w`` and the mixings ``U*_sq``, ``sin2_2theta_*`` live
in [0, 1]; ``zprime_model`` is a name. (``dm2_41`` enters only through the phase
sin²(1.267 Δm² L/E) and ``axial`` scales a term linearly, but both still overflow near the
largest float, so they have a guard too.)
"""

from __future__ import annotations

import dataclasses
import re
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping

from cevns.errors import InputError, InputTypeError
from cevns.physics.cross_sections import NucleonCouplings, couplings_with_sin2
from cevns.physics.interactions import PhysicsModel
from cevns.physics.interactions.registry import (
    ModelTerm,
    Parameter,
    ParameterError,
    registered_terms,
    registry_version,
    term_of_parameter,
)
from cevns.physics.nuclei import parse_isotope_name

_RADIUS = re.compile(r"^(rn|rp)_(.+)$")

#: Arithmetic guards, name (or pattern) → (bound B on |value| in the parameter's unit, why).
#: See the module docstring; the per-isotope radii ``rp_<isotope>``/``rn_<isotope>`` share
#: the bound of ``rp``/``rn``.
MAGNITUDE_GUARDS: Mapping[str, tuple[float, str]] = {
    "rp|rn": (1.0e4, "10⁴ fm, a tenth of an atom: the form factor is already 0 at every CEvNS recoil "
                     "(nuclear radii are below 7 fm)"),
    "eps_.*": (1.0e4, "|ε| ≤ 10⁴: NSI couplings are O(0.1–1) in units of G_F at most"),
    "mu_nu_.*": (1.0e3, "μ_ν ≤ 10³ μ_B: laboratory limits are ~10⁻¹¹–10⁻¹⁰ μ_B"),
    "r2_nu_.*": (1.0e6, "10⁻²⁶ cm², a radius the size of a nucleon; the SM radii are below 10⁻³² cm²"),
    "q_nu_.*": (1.0e3, "|q_ν| ≤ 10³ e: limits are ~10⁻¹²–10⁻⁸ e"),
    "zprime_coupling|scalar_coupling": (1.0e3, "|g| ≤ 10³, far beyond perturbativity (g ≤ √(4π) ≈ 3.5)"),
    "zprime_charge_.*": (1.0e3, "|Q| ≤ 10³: the charges of the models are O(1)"),
    "dm2_41": (1.0e8, "Δm² ≤ 10⁸ eV² (a 10 keV sterile state): the oscillation is averaged out at "
                      "every CEvNS baseline far below"),
    "axial": (1.0e6, "the scale of the axial term is 1 when on"),
    "zprime_mass|scalar_mass": (1.0e9, "10⁹ MeV (1 PeV): far above the TeV scale where a mediator is a "
                                       "contact interaction"),
}


@lru_cache(maxsize=1)
def _guard_patterns() -> tuple[tuple[re.Pattern[str], float, str], ...]:
    """:data:`MAGNITUDE_GUARDS` with their patterns compiled, on the first check of a value
    (ten regular expressions: about 1 ms that start-up does not pay)."""
    return tuple((re.compile(rf"^(?:{key})$"), bound, why) for key, (bound, why) in MAGNITUDE_GUARDS.items())


def magnitude_guard(name: str) -> tuple[float, str] | None:
    """The arithmetic guard (bound B on |value|, why B) of the parameter ``name`` from
    :data:`MAGNITUDE_GUARDS` (the per-isotope radii share that of ``rp``/``rn``), or None
    for a parameter without one."""
    key = "rn" if _RADIUS.match(name) else name
    for pattern, bound, why in _guard_patterns():
        if pattern.match(key):
            return bound, why
    return None


def check_value(name: str, value: float | str) -> float | str:
    """The value of parameter ``name``, converted and checked: its domain
    (:meth:`Parameter.check`: a number or one of the choices, finite, in [low, high]) and
    its arithmetic guard (:func:`magnitude_guard`). The one check of every entry point
    (module docstring); raises :class:`ParameterError`, one line."""
    par = parameter(name)
    x = par.check(value)
    guard = magnitude_guard(name)
    if guard is not None and isinstance(x, float) and abs(x) > guard[0]:
        bound, why = guard
        unit = f" {par.unit}" if par.unit else ""
        within = f"≤ {bound:g}" if par.low is not None and par.low >= 0 else f"within ±{bound:g}"
        raise ParameterError(f"{name} must be {within}{unit} ({why}), got {x:g}")
    return x


#: The Standard Model inputs: they set the couplings and the nuclear structure, not a model term.
CORE_PARAMETERS: tuple[Parameter, ...] = (
    Parameter("sin2_theta_w", "", None, "weak mixing angle sin²θ_W at low energy (tree scheme: sets g_V^p = ½ − 2 sin²θ_W; radiative scheme: shifts it)", 0.0, 1.0),
    Parameter("rp", "fm", None, "proton rms radius of every isotope", 0.0, open_low=True),
    Parameter("rn", "fm", None, "neutron rms radius of every isotope", 0.0, open_low=True),
)


@lru_cache(maxsize=4)
def _vocabulary(version: int) -> Mapping[str, Parameter]:
    """Name → Parameter: the core ones, then each registered term's, in registration
    order (cached per registry version)."""
    out = {p.name: p for p in CORE_PARAMETERS}
    for term in registered_terms():
        out.update((p.name, p) for p in term.parameters)
    return out


class _Parameters(Mapping[str, Parameter]):
    """The live vocabulary: follows registrations and unregistrations of model terms."""

    def _current(self) -> Mapping[str, Parameter]:
        return _vocabulary(registry_version())

    def __getitem__(self, name: str) -> Parameter:
        return self._current()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())

    def __repr__(self) -> str:
        return f"PARAMETERS({', '.join(self._current())})"


#: Every named parameter (without the per-isotope radii), a read-only live mapping.
PARAMETERS: Mapping[str, Parameter] = _Parameters()


def radius_isotope(name: str) -> str | None:
    """The isotope named by a per-isotope radius parameter (``rn_133Cs`` → ``"133Cs"``), or
    None for any other parameter name."""
    match = _RADIUS.match(name)
    return match.group(2) if match else None


def parameter(name: str) -> Parameter:
    """The :class:`Parameter` called ``name`` (the term's own object), including per-isotope
    radii ``rn_133Cs`` / ``rp_133Cs``. Unknown names raise ParameterError suggesting the
    closest name; a name that is not text raises :class:`cevns.errors.InputTypeError`."""
    if not isinstance(name, str):
        raise InputTypeError.expected("parameter name", "text like 'eps_ee_uV'", name)
    known = PARAMETERS
    if name in known:
        return known[name]
    match = _RADIUS.match(name)
    if match:
        kind, iso_name = match.groups()
        iso = parse_isotope_name(iso_name)
        if iso is None:
            raise ParameterError(f"{name}: {iso_name!r} is not an isotope (write it like 133Cs)")
        if iso.name != iso_name:
            raise ParameterError(f"{name}: write the isotope as {iso.name} ({kind}_{iso.name})")
        which = "neutron" if kind == "rn" else "proton"
        return Parameter(name, "fm", None, f"{which} rms radius of {iso.name}", 0.0, open_low=True)
    import difflib  # only for the message of an unknown name (start-up time)

    close = difflib.get_close_matches(name, [*known, "rn_133Cs", "rp_133Cs"], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "; `cevns params` lists them"
    raise ParameterError(f"unknown parameter {name!r}{hint}")


def check_parameters(values: Mapping[str, float | str]) -> dict[str, float | str]:
    """Names and values checked one by one (:func:`check_value`) and together
    (a term's alternative forms of one parameter may not both be given). ``values`` that
    is not a mapping (e.g. the text ``"eps_ee_uV=0.1"``) raises
    :class:`cevns.errors.InputTypeError`."""
    if not isinstance(values, Mapping):
        raise InputTypeError.expected("parameters", "a mapping {name: value}, e.g. {'eps_ee_uV': 0.1}", values)
    out = {name: check_value(name, value) for name, value in values.items()}
    for term in _owners(out):
        for alt, main in term.alternatives:
            if alt in out and main in out:
                raise ParameterError(f"give either {alt} or {main}, not both")
    return out


def parameter_names(isotopes: Iterable[str] = ()) -> list[str]:
    """Every parameter name, with per-isotope radii for ``isotopes`` (names like 133Cs)."""
    return [*PARAMETERS, *(f"{k}_{iso}" for iso in isotopes for k in ("rp", "rn"))]


def _owners(names: Iterable[str]) -> list[ModelTerm[Any]]:
    """The terms owning ``names``, each once, in registration order."""
    owners = {t.name for t in (term_of_parameter(n) for n in names) if t is not None}
    return [t for t in registered_terms() if t.name in owners]


def _is_radius(name: str) -> bool:
    return name in ("rn", "rp") or _RADIUS.match(name) is not None


def apply_parameters(model: PhysicsModel, values: Mapping[str, float | str]) -> PhysicsModel:
    """A new model with ``values`` applied on top of ``model`` (whose own parameters are
    kept unless overridden; of a term's two alternative forms, e.g. ``Ue4_sq`` and
    ``sin2_2theta_14``, the one given later replaces the other). Each model term that
    owns one of ``values`` is rebuilt from all of its parameters (the term's other
    states are kept). Raises ParameterError for bad names or values."""
    new = check_parameters(values)
    if not new:
        return model
    touched = _owners(new)
    replaced = {alt if main in new else main for t in touched for alt, main in t.alternatives if alt in new or main in new}
    replaced -= set(new)
    merged = {k: x for k, x in model.parameters.items() if k not in replaced}
    merged.update(new)
    couplings = model.couplings
    if "sin2_theta_w" in new:
        couplings = _couplings_with_sin2(model, float(new["sin2_theta_w"]))
    structure = model.structure
    radii = [k for k in new if _is_radius(k)]
    if radii:
        proton = dict(structure.proton_radius_fm)
        neutron = dict(structure.neutron_radius_fm)
        for key in radii:
            kind, _, iso = key.partition("_")
            (neutron if kind == "rn" else proton)[iso or "*"] = float(new[key])
        structure = dataclasses.replace(structure, proton_radius_fm=proton, neutron_radius_fm=neutron)
    states = dict(model.terms)
    for term in touched:
        try:
            states[term.name] = term.build(term.parameter_values(merged))
        except ParameterError:
            raise
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
    return dataclasses.replace(model, couplings=couplings, structure=structure, terms=states, parameters=merged)


def _couplings_with_sin2(model: PhysicsModel, sin2: float) -> NucleonCouplings:
    """The model's coupling set at ``sin2`` (each set's response:
    :func:`cevns.physics.cross_sections.couplings_by_name`)."""
    try:
        return couplings_with_sin2(model.couplings, sin2)
    except InputError as exc:
        raise ParameterError(str(exc)) from None


def free_start_values(items: Iterable[str], known: Mapping[str, float]) -> dict[str, float]:
    """``--free NAME[=START]`` items → {name: start value}: the START given, else ``known[name]``
    (the values a model or experiment sets: radii as ``rn_<isotope>`` / ``rn``, sin²θ_W, ...),
    else the parameter's default moved inside its domain (a default of 0 with a positive
    lower bound starts at that bound). A one-line :class:`ParameterError` for an unknown
    name, a named choice or a START that is not a number."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        par = parameter(name)
        if par.choices:
            raise ParameterError(f"--free {name}: a named choice cannot be fitted")
        if sep:
            try:
                out[name] = float(raw)
            except ValueError:
                raise ParameterError(f"--free {item!r}: the start value must be a number") from None
        elif name in known:
            out[name] = float(known[name])
        else:
            default = par.default if isinstance(par.default, float) else 0.0
            out[name] = default if default != 0.0 or par.low is None or par.low < 0 else max(par.low, 0.0)
    return out


def parameter_table(isotopes: Iterable[str] = ()) -> list[dict[str, str]]:
    """Rows (name, unit, default, description, term) for ``cevns params``; ``term`` is
    the model term that owns the parameter (empty for the Standard Model inputs)."""
    rows = []
    for name in parameter_names(isotopes):
        par = parameter(name)
        default = "experiment" if par.default is None else str(par.default)
        if par.choices:
            default += f" ({'|'.join(par.choices)})"
        owner = term_of_parameter(name)
        if owner is not None and par.default is None:
            default = "unset"
        rows.append({"name": name, "unit": par.unit, "default": default, "description": par.description,
                     "term": "" if owner is None else owner.name})
    rows.append({"name": "rn_<isotope>, rp_<isotope>", "unit": "fm", "default": "experiment",
                 "description": "neutron / proton rms radius of one isotope, e.g. rn_133Cs", "term": ""})
    return rows


__all__ = [
    "free_start_values",
    "CORE_PARAMETERS",
    "MAGNITUDE_GUARDS",
    "PARAMETERS",
    "Parameter",
    "ParameterError",
    "apply_parameters",
    "check_parameters",
    "check_value",
    "magnitude_guard",
    "parameter",
    "parameter_names",
    "parameter_table",
]
