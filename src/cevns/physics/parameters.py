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
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from functools import lru_cache
from typing import Any, Iterable, Iterator, Mapping

from cevns.errors import InputError
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

#: The Standard Model inputs: they set the couplings and the nuclear structure, not a model term.
CORE_PARAMETERS: tuple[Parameter, ...] = (
    Parameter("sin2_theta_w", "", None, "weak mixing angle sin²θ_W at low energy (tree scheme: sets g_V^p = ½ − 2 sin²θ_W; radiative scheme: shifts it)", 0.0, 1.0),
    Parameter("rp", "fm", None, "proton rms radius of every isotope", 0.0, open_low=True),
    Parameter("rn", "fm", None, "neutron rms radius of every isotope", 0.0, open_low=True),
)
_RADIUS = re.compile(r"^(rn|rp)_(.+)$")


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
    """The :class:`Parameter` called ``name``, including per-isotope radii ``rn_133Cs`` /
    ``rp_133Cs``. Unknown names raise ParameterError suggesting the closest name."""
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
    close = difflib.get_close_matches(name, [*known, "rn_133Cs", "rp_133Cs"], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "; `cevns params` lists them"
    raise ParameterError(f"unknown parameter {name!r}{hint}")


def check_parameters(values: Mapping[str, float | str]) -> dict[str, float | str]:
    """Names and values checked one by one and together (a term's alternative forms
    of one parameter may not both be given)."""
    out = {name: parameter(name).check(value) for name, value in values.items()}
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
    "CORE_PARAMETERS",
    "PARAMETERS",
    "Parameter",
    "ParameterError",
    "apply_parameters",
    "check_parameters",
    "parameter",
    "parameter_names",
    "parameter_table",
]
