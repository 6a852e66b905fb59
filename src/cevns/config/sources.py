"""Neutrino-source types of experiment files: a registry of ``[source] type = "..."`` tags.

Each source type is one registration: a tag, a pydantic model of its ``[source]`` table
(with a field ``type: Literal[tag]``) and a builder that turns a validated table into a
:class:`cevns.sources.spectra.NeutrinoSource`::

    register_source_type("my-source", MySourceSpec, build_my_source)

The experiment schema (:class:`cevns.config.schema.ExperimentSpec`) accepts exactly the
registered tags (a discriminated union read from the registry when the schema is first
built, on the first validation, and rebuilt on every registration after that), its error messages
list them, and :func:`build_source` dispatches on them. The shipped types are registered
here: ``pion-dar`` (stopped-pion decay at rest, :func:`cevns.sources.pion_dar.pion_dar_source`),
``reactor`` (fission antineutrinos, :func:`cevns.sources.reactor.reactor_source`) and
``table`` (spectra read from a CSV file, :func:`cevns.sources.spectra.tabulated_source`);
:mod:`cevns.config.astro_sources` adds ``solar``, ``atmospheric`` and ``dsnb``.

Units in field names: ``baseline_m`` metres, ``beam_power_MW`` megawatts,
``proton_energy_GeV`` GeV (kinetic), ``thermal_power_GW`` gigawatts thermal,
``flux_cm2_s`` ν cm⁻² s⁻¹.
"""

# No ``from __future__ import annotations``: pydantic reads the field annotations as
# objects (start-up time; see cevns.config.schema); forward references are quoted.
import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, field_validator, model_validator
from pydantic_core import core_schema

from cevns.errors import InputError
from cevns.physics.cross_sections import FLAVORS
from cevns.sources.pion_dar import pion_dar_source, pot_per_second
from cevns.sources.spectra import NeutrinoSource, tabulated_source
from cevns.units import GW, GeV, MW, m


class SourceSpec(BaseModel):
    """Base of every ``[source]`` table: strict like the rest of the schema (unknown keys,
    NaN and infinities rejected; frozen), with the ``type`` tag that selects the model.
    Its validator is built on first use (``defer_build``, as the schema's tables), inside
    the experiment schema's when an experiment file is validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)

    type: str


@dataclass(frozen=True)
class SourceContext:
    """What a builder may need besides its table: the experiment's live time (s, to turn a
    total number of protons on target into a rate) and the directory of the experiment file
    (to find files named relative to it; None for a shipped experiment)."""

    live_time_s: float
    base_dir: Path | None = None

    def path(self, name: str) -> Path:
        """``name`` as a path, relative to the experiment file's directory when it is not
        absolute."""
        path = Path(name)
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return path


S = TypeVar("S", bound=SourceSpec)
#: Builder of a source type: (validated table, context) → source; raises ValueError for
#: values that are valid alone but not together (the message names the field).
SourceBuilder = Callable[[S, SourceContext], NeutrinoSource]


@dataclass(frozen=True)
class SourceType:
    """A registered source type: its ``tag``, the model of its table and its builder."""

    tag: str
    spec: type[SourceSpec]
    build: Callable[[Any, SourceContext], NeutrinoSource]


_REGISTRY: dict[str, SourceType] = {}
_ON_CHANGE: list[Callable[[], None]] = []


def _tag_of(spec_model: type[SourceSpec]) -> str | None:
    """The tag fixed by ``type: Literal["tag"]`` on the model, else None."""
    field = spec_model.model_fields.get("type")
    if field is None or get_origin(field.annotation) is not Literal or len(get_args(field.annotation)) != 1:
        return None
    tag = get_args(field.annotation)[0]
    return tag if isinstance(tag, str) else None


def register_source_type(tag: str, spec_model: type[S], builder: SourceBuilder[S]) -> None:
    """Make ``[source] type = "<tag>"`` valid in experiment files: tables are validated
    with ``spec_model`` (a :class:`SourceSpec` whose ``type`` field is ``Literal[tag]``) and
    built with ``builder(spec, context)``. Raises ValueError for a tag already registered
    or a model whose ``type`` is not that tag."""
    if not isinstance(spec_model, type) or not issubclass(spec_model, SourceSpec):
        raise TypeError(f"source type {tag!r}: the spec model must be a subclass of SourceSpec")
    if _tag_of(spec_model) != tag:
        raise InputError(f"source type {tag!r}: {spec_model.__name__}.type must be Literal[{tag!r}]")
    if tag in _REGISTRY:
        raise InputError(f"source type {tag!r} is already registered")
    _REGISTRY[tag] = SourceType(tag, spec_model, builder)
    _changed()


def unregister_source_type(tag: str) -> None:
    """Remove a registered source type (experiment files with it no longer validate)."""
    if tag not in _REGISTRY:
        raise InputError(f"no source type {tag!r}; registered: {', '.join(_REGISTRY)}")
    del _REGISTRY[tag]
    _changed()


def source_types() -> Mapping[str, SourceType]:
    """The registered source types by tag, in registration order (a read-only copy)."""
    return dict(_REGISTRY)


def on_source_types_changed(callback: Callable[[], None]) -> None:
    """Call ``callback()`` after every (un)registration (the schema rebuilds its union)."""
    _ON_CHANGE.append(callback)


def _changed() -> None:
    for callback in _ON_CHANGE:
        callback()


def build_source(spec: SourceSpec, context: SourceContext) -> NeutrinoSource:
    """The source of a validated ``[source]`` table, by its registered builder."""
    try:
        kind = _REGISTRY[spec.type]
    except KeyError:
        raise InputError(f"source: unknown type {spec.type!r}; registered: {', '.join(_REGISTRY)}") from None
    return kind.build(spec, context)


class RegisteredSource:
    """Pydantic marker for a ``[source]`` field, ``Annotated[SourceSpec, RegisteredSource]``:
    the registered types as a union discriminated by ``type``, read from the registry each
    time the model's schema is (re)built."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        choices = {tag: handler.generate_schema(kind.spec) for tag, kind in _REGISTRY.items()}
        return core_schema.tagged_union_schema(choices, discriminator="type")


# --- the shipped source types -----------------------------------------------------------------
class PionDarSpec(SourceSpec):
    """Neutrinos from stopped-pion decay at rest (π⁺ → μ⁺ν_μ, μ⁺ → e⁺ν_e ν̄_μ), isotropic:
    ``nu_per_flavor_per_pot`` neutrinos of each flavour per proton on target, either
    ``pot`` in total over the live time or a beam of ``beam_power_MW`` and
    ``proton_energy_GeV``."""

    type: Literal["pion-dar"]
    baseline_m: float = Field(gt=0)
    baseline_spread_m: float = Field(default=0.0, ge=0)
    nu_per_flavor_per_pot: float = Field(gt=0)
    pot: float | None = Field(default=None, gt=0)
    beam_power_MW: float | None = Field(default=None, gt=0)
    proton_energy_GeV: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _normalisation(self) -> "PionDarSpec":
        if self.pot is None and None in (self.beam_power_MW, self.proton_energy_GeV):
            raise ValueError("give pot, or beam_power_MW and proton_energy_GeV")
        return self


def build_pion_dar(spec: PionDarSpec, context: SourceContext) -> NeutrinoSource:
    """Protons on target per second: ``pot`` / live time, or beam power / proton energy."""
    if spec.pot is not None:
        rate = spec.pot / context.live_time_s
    else:
        assert spec.beam_power_MW is not None and spec.proton_energy_GeV is not None  # the validator's guarantee
        rate = pot_per_second(spec.beam_power_MW * MW, spec.proton_energy_GeV * GeV)
    return pion_dar_source(rate, spec.nu_per_flavor_per_pot, spec.baseline_m * m, baseline_spread=spec.baseline_spread_m * m)


class ReactorSpec(SourceSpec):
    """Fission antineutrinos of a reactor core of ``thermal_power_GW``, with optional
    ``fission_fractions`` of the four fissile isotopes (default: a typical PWR), the
    low-energy and fission-spectrum models, ``captures_per_fission`` (²³⁸U(n,γ) ν̄) and the
    lowest ν̄ energy counted, ``min_energy_MeV`` (:func:`cevns.sources.reactor.reactor_source`).

    ``reactor``: a named core (:data:`cevns.sources.reactor_models.REACTOR_CORES`, e.g.
    ``"dresden-ii"``) whose thermal power, the experiment's baseline and, where its paper
    gives them, fission fractions fill the fields the table leaves out (fields given in the
    table win). The core's ²³⁸U captures per fission are not applied: give
    ``captures_per_fission`` explicitly. An unknown name is a one-line error listing the
    known cores."""

    type: Literal["reactor"]
    #: A named core (defaults for thermal_power_GW, baseline_m and fission_fractions).
    reactor: str | None = None
    thermal_power_GW: float = Field(gt=0)
    baseline_m: float = Field(gt=0)
    baseline_spread_m: float = Field(default=0.0, ge=0)
    fission_fractions: dict[Literal["U235", "U238", "Pu239", "Pu241"], float] | None = None
    low_energy_model: Literal["vogel-engel", "extrapolate", "kopeikin-total"] = "vogel-engel"
    #: Fission-spectrum model (:data:`cevns.sources.reactor_models.SPECTRUM_MODELS`).
    spectrum_model: Literal["huber-mueller", "kopeikin-2021"] = "huber-mueller"
    #: ²³⁸U neutron captures per fission (≈ 0.6 in a light-water reactor, V. I. Kopeikin, Phys. At. Nucl. 75, 143 (2012), as recalled, unverified; 0: none counted).
    captures_per_fission: float = Field(default=0.0, ge=0, le=2)
    #: Lowest ν̄ energy counted in the flux (MeV).
    min_energy_MeV: float = Field(default=0.2, ge=0, lt=2)

    @field_validator("reactor")
    @classmethod
    def _known_core(cls, value: str | None) -> str | None:
        if value is not None:
            from cevns.sources.reactor_models import reactor_core  # imported when a reactor table is read

            reactor_core(value)  # InputError (a ValueError) naming the known cores
        return value

    @model_validator(mode="before")
    @classmethod
    def _core_defaults(cls, data: Any) -> Any:
        """Fill thermal_power_GW, baseline_m and fission_fractions from the named core where
        the table does not give them (an unknown name is left to :meth:`_known_core`)."""
        if not isinstance(data, Mapping) or not isinstance(data.get("reactor"), str):
            return data
        from cevns.sources.reactor_models import REACTOR_CORES  # imported when a named core is read

        if data["reactor"] not in REACTOR_CORES:
            return data
        core = REACTOR_CORES[data["reactor"]]
        filled = dict(data)
        filled.setdefault("thermal_power_GW", core.thermal_power_GW)
        filled.setdefault("baseline_m", core.baseline_m)
        if core.fission_fractions is not None:
            filled.setdefault("fission_fractions", dict(core.fission_fractions))
        return filled


def build_reactor(spec: ReactorSpec, context: SourceContext) -> NeutrinoSource:
    from cevns.sources.reactor import reactor_source  # imported when a reactor experiment is built

    kwargs: dict[str, Any] = {"low_energy_model": spec.low_energy_model, "baseline_spread": spec.baseline_spread_m * m,
                              "spectrum_model": spec.spectrum_model, "captures_per_fission": spec.captures_per_fission,
                              "min_energy": spec.min_energy_MeV}
    if spec.fission_fractions is not None:
        kwargs["fission_fractions"] = dict(spec.fission_fractions)
    return reactor_source(spec.thermal_power_GW * GW, spec.baseline_m * m, **kwargs)


class TableSourceSpec(SourceSpec):
    """Spectra tabulated in a CSV ``file`` (see :func:`read_spectrum_csv`; relative paths
    are relative to the experiment file) with the flux of each flavour at the detector."""

    type: Literal["table"]
    file: str
    flux_cm2_s: dict[str, float]

    @field_validator("flux_cm2_s")
    @classmethod
    def _flavors(cls, value: dict[str, float]) -> dict[str, float]:
        for name, flux in value.items():
            if name not in FLAVORS:
                raise ValueError(f"unknown flavour {name!r}; use {', '.join(FLAVORS)}")
            if not flux >= 0:
                raise ValueError(f"flux of {name} must be ≥ 0")
        return value


def build_table(spec: TableSourceSpec, context: SourceContext) -> NeutrinoSource:
    path = context.path(spec.file)
    energies, columns = read_spectrum_csv(path)
    missing = [f for f in spec.flux_cm2_s if f not in columns]
    if missing:
        raise InputError(f"{path}: no column for {', '.join(missing)} (columns: {', '.join(columns)})")
    return tabulated_source(energies, {f: columns[f] for f in spec.flux_cm2_s}, spec.flux_cm2_s, name=path.stem)


def read_spectrum_csv(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Read a spectrum table: a header ``energy_MeV,<flavour>,...`` then numeric rows
    (lines starting with ``#`` are comments). Values in any unit per MeV."""
    try:
        lines = [ln for ln in Path(path).read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    except OSError as exc:
        raise InputError(f"cannot read spectrum table {path}: {exc.strerror}") from None
    rows = list(csv.reader(lines))
    if len(rows) < 3 or rows[0][0].strip() != "energy_MeV":
        raise InputError(f"{path}: expected a header 'energy_MeV,<flavour>,...' and at least two rows")
    header = [h.strip() for h in rows[0]]
    try:
        data = np.array([[float(x) for x in r] for r in rows[1:]])
    except ValueError:
        raise InputError(f"{path}: non-numeric value in the spectrum table") from None
    if data.shape[1] != len(header):
        raise InputError(f"{path}: rows must have {len(header)} columns")
    return data[:, 0], {h: data[:, i] for i, h in enumerate(header) if i > 0}


register_source_type("pion-dar", PionDarSpec, build_pion_dar)
register_source_type("reactor", ReactorSpec, build_reactor)
register_source_type("table", TableSourceSpec, build_table)

# The astrophysical source types (solar, atmospheric, dsnb) register themselves on import.
from cevns.config import astro_sources as _astro_sources  # noqa: E402, F401


__all__ = [
    "PionDarSpec",
    "ReactorSpec",
    "RegisteredSource",
    "SourceBuilder",
    "SourceContext",
    "SourceSpec",
    "SourceType",
    "TableSourceSpec",
    "build_source",
    "on_source_types_changed",
    "read_spectrum_csv",
    "register_source_type",
    "source_types",
    "unregister_source_type",
]
