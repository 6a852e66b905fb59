"""Detector arrays as data: the TOML format of :class:`cevns.stats.arrays.DetectorArray`.

An array file lists its members (``[[member]]``: a shipped experiment name or an
experiment file, an optional ``label`` and per-member overrides ``set``), the systematic
sources (``[systematics]``: fractional uncertainties per member, fully correlated across
members unless ``correlated = false``; the covariance χ² of A. Galindo-Uribarri,
O. G. Miranda, G. Sanchez Garcia, arXiv:2011.10230, Eqs. 5–6) and optional observed
counts (``[data]``). :func:`load_array` reads and builds one (shipped arrays live in
``cevns/data/arrays``); :func:`load_likelihood` returns the likelihood of an experiment
or of an array, whichever a name or file is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator

from cevns.config.experiments import ExperimentError, load_experiment, shipped_experiments
from cevns.config.files import TOMLDecodeError, parse_toml, read_toml_file, shipped_files
from cevns.config.overrides import apply_overrides, parse_override
from cevns.config.schema import StrictModel
from cevns.stats.arrays import ArrayLikelihood, ArrayMember, DetectorArray
from cevns.stats.fits import ExperimentLikelihood

if TYPE_CHECKING:
    from cevns.config.files import Traversable


class ArrayError(ExperimentError):
    """A bad or incomplete array description; the message names file and field."""


_Fraction = Annotated[float, Field(ge=0)]


class MemberSpec(StrictModel):
    experiment: str = Field(min_length=1)
    label: str | None = Field(default=None, min_length=1)
    overrides: dict[str, Any] = Field(default={}, alias="set")


class SystematicsSpec(StrictModel):
    background_fraction: float = Field(default=0.0, ge=0)
    correlated: bool = True
    reference: Literal["expected", "theory"] = "expected"
    sources: dict[str, list[_Fraction] | _Fraction] = {}


class ArrayDataSpec(StrictModel):
    observed: list[list[Annotated[float, Field(ge=0)]] | Annotated[float, Field(ge=0)]]
    note: str = ""


class ArraySpec(StrictModel):
    name: str
    description: str = ""
    references: list[str] = []
    member: list[MemberSpec] = Field(min_length=1)
    systematics: SystematicsSpec = SystematicsSpec()
    data: ArrayDataSpec | None = None

    @model_validator(mode="after")
    def _lengths(self) -> ArraySpec:
        n = len(self.member)
        for source, fractions in self.systematics.sources.items():
            if isinstance(fractions, list) and len(fractions) != n:
                raise ValueError(f"systematics.sources.{source} has {len(fractions)} values for {n} members")
        if self.data is not None and len(self.data.observed) != n:
            raise ValueError(f"data.observed has {len(self.data.observed)} entries for {n} members")
        return self


#: Top-level keys of an array file: overrides starting with one of them change the array,
#: every other override is applied to each member's experiment.
ARRAY_KEYS = frozenset({"name", "description", "references", "member", "systematics", "data"})


def _arrays_dir() -> Traversable:
    return resources.files("cevns") / "data" / "arrays"


def shipped_arrays() -> dict[str, str]:
    """Names of the shipped arrays and their one-line descriptions."""
    return shipped_files(_arrays_dir())


def _format_error(exc: ValidationError, origin: str) -> str:
    err = exc.errors()[0]
    loc = ".".join(
        f"[{p}]" if isinstance(p, int) else str(p)
        for p in err["loc"]
        if not (isinstance(p, str) and (p.startswith(("list[", "float", "constrained")) or p in ("str", "int")))
    ).replace(".[", "[")
    if err["type"] == "missing":
        return f"{origin}: missing field '{loc}'"
    if err["type"] == "extra_forbidden":
        return f"{origin}: unknown field '{loc}'"
    if err["type"] == "value_error" and not loc:
        return f"{origin}: {str(err['msg']).removeprefix('Value error, ')}"
    return f"{origin}: bad value for '{loc}': {err['msg']}"


def _split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(overrides of the array file, overrides of every member's experiment)."""
    own = {k: v for k, v in overrides.items() if k.split(".", 1)[0] in ARRAY_KEYS}
    return own, {k: v for k, v in overrides.items() if k not in own}


def load_array(name_or_path: str, overrides: Mapping[str, Any] | None = None) -> DetectorArray:
    """Load a shipped array by name or an array TOML file by path and build its members.

    ``overrides`` (dotted path → value): a path starting with a key of the array file
    (``systematics.sources.quenching``, ``systematics.correlated``, ``data.observed``, …)
    changes the array; any other (``detector.bins.edges``, ``source.baseline_m``, …) is
    applied to every member's experiment after the member's own ``set``. Raises
    :class:`ArrayError` with one line naming the file and the field.
    """
    origin, data, base = read_toml_file(name_or_path, _arrays_dir(), "array", shipped_arrays, ArrayError)
    own, shared = _split_overrides(dict(overrides or {}))
    data = apply_overrides(data, own)
    try:
        spec = ArraySpec.model_validate(data)
    except ValidationError as exc:
        raise ArrayError(_format_error(exc, origin)) from None
    members = []
    for i, m in enumerate(spec.member):
        ref = m.experiment
        if ref.endswith(".toml") and not Path(ref).is_absolute() and base is not None:
            ref = str(base / ref)
        try:
            exp = load_experiment(ref, {**m.overrides, **shared})
            observed = None
            if spec.data is not None:
                observed = np.atleast_1d(np.asarray(spec.data.observed[i], dtype=float))
            members.append(ArrayMember(m.label or exp.target.name, exp.predictor(), observed, exp))
        except ValueError as exc:
            raise ArrayError(f"{origin}: member {i + 1} ({m.label or m.experiment}): {exc}") from None
    try:
        return DetectorArray(
            tuple(members), {k: tuple(np.atleast_1d(v)) for k, v in spec.systematics.sources.items()},
            spec.systematics.background_fraction, spec.systematics.correlated, spec.systematics.reference,
            spec.name, spec.description, spec.data.note if spec.data is not None else "",
        )
    except ValueError as exc:
        raise ArrayError(f"{origin}: {exc}") from None


def is_array(name_or_path: str) -> bool:
    """True for a shipped array name or a TOML file with ``[[member]]`` tables."""
    if (_arrays_dir() / f"{name_or_path}.toml").is_file() and name_or_path not in shipped_experiments():
        return True
    path = Path(name_or_path)
    if path.suffix != ".toml" or not path.is_file():
        return False
    try:
        return "member" in parse_toml(path.read_text())
    except (OSError, UnicodeDecodeError, TOMLDecodeError):
        return False  # load_experiment reports the problem


def load_likelihood(
    name_or_path: str,
    settings: Mapping[str, Any] | Iterable[str] | None = None,
    fixed: Mapping[str, float | str] | None = None,
    asimov: bool = False,
) -> ExperimentLikelihood | ArrayLikelihood:
    """The χ² of an experiment (:class:`cevns.stats.fits.ExperimentLikelihood`, its ``[data]``) or of an
    array (:class:`ArrayLikelihood`), whichever ``name_or_path`` is: a shipped name or a
    TOML file (an array file is recognised by its ``[[member]]`` tables). ``settings``:
    overrides as a mapping or as ``path=value`` strings (``--set``); ``fixed``: named
    parameters applied at every point; ``asimov``: fit the prediction at ``fixed``
    instead of the data (a forecast)."""
    if settings is None:
        overrides: dict[str, Any] = {}
    elif isinstance(settings, Mapping):
        overrides = dict(settings)
    else:
        overrides = dict(parse_override(s) for s in settings)
    fixed = dict(fixed or {})
    if is_array(name_or_path):
        return load_array(name_or_path, overrides).likelihood(fixed, asimov)
    exp = load_experiment(name_or_path, overrides)
    lk = ExperimentLikelihood(exp.predictor(), exp.measurement(forecast=asimov), fixed)
    return lk.asimov() if asimov else lk


__all__ = [
    "ARRAY_KEYS",
    "ArrayDataSpec",
    "ArrayError",
    "ArraySpec",
    "MemberSpec",
    "SystematicsSpec",
    "is_array",
    "load_array",
    "load_likelihood",
    "shipped_arrays",
]
