"""Experiments as data: TOML files that compose target, detector, source and exposure.

The schema (validated with pydantic, unknown keys rejected) is documented in the README;
shipped experiments live in ``cevns/data/experiments/*.toml``. A user's own file works the
same way: ``load_experiment("my-detector.toml")``. Any field can be overridden by its dotted
path (``detector.mass_kg=20``) before validation.

This is the only module that reads files; the physics modules receive plain objects.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import json
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Callable, Iterator, Literal, Mapping, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from cevns.detector import response as det
from cevns.physics.cross_sections import NuclearStructure, NucleonCouplings, couplings_by_name, SIN2_THETA_W_LOW_ENERGY, FLAVORS
from cevns.detector.response import DetectorResponse
from cevns.sources.spectra import NeutrinoSource, pion_dar_source, pot_per_second, reactor_source, tabulated_source
from cevns.config.measurement import Measurement
from cevns.physics.form_factors import FormFactor
from cevns.physics.interactions import PhysicsModel
from cevns.physics.nuclei import Target, resolve_target
from cevns.physics.parameters import ParameterError
from cevns.rates.prediction import BinnedCounts, Quadrature, RatePredictor, TimeSelection, differential_rate, model_with_parameters, prepare_rates
from cevns.sources.timing import CSI_2017_FITTED_PULSE, SNS_PULSE, us
from cevns.units import GW, GeV, MW, day, m

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ExperimentError(ValueError):
    """A bad or incomplete experiment description; the message names file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# --- schema ----------------------------------------------------------------------------
class TargetSpec(_Strict):
    material: str
    enrichment: dict[str, float] | None = None


class NuclearSpec(_Strict):
    form_factor: Literal["helm", "sf", "kn", "none"] = "helm"
    neutron_form_factor: Literal["helm", "sf", "kn", "none"] | None = None
    shape_fm: float | None = Field(default=None, gt=0)
    radius: Literal["charge", "lewin-smith"] = "charge"
    proton_radius_fm: dict[str, Annotated[float, Field(gt=0)]] = {}
    neutron_radius_fm: dict[str, Annotated[float, Field(gt=0)]] = {}


class CouplingsSpec(_Strict):
    scheme: Literal["tree", "radiative"] = "tree"
    sin2_theta_w: float = Field(default=SIN2_THETA_W_LOW_ENERGY, gt=0, lt=1)


class ConstantQuenchingSpec(_Strict):
    model: Literal["constant"]
    value: float = Field(gt=0, le=1)


class LindhardQuenchingSpec(_Strict):
    model: Literal["lindhard"]
    k: float = Field(gt=0)


class PolynomialQuenchingSpec(_Strict):
    model: Literal["polynomial"]
    coefficients: list[float] = Field(min_length=2)


class TableQuenchingSpec(_Strict):
    model: Literal["table"]
    recoil_keV: list[float] = Field(min_length=2)
    quenching_factor: list[float] = Field(min_length=2)


QuenchingSpec = Annotated[
    Union[ConstantQuenchingSpec, LindhardQuenchingSpec, PolynomialQuenchingSpec, TableQuenchingSpec],
    Field(discriminator="model"),
]


class ObservableSpec(_Strict):
    kind: Literal["keVnr", "keVee", "PE"] = "keVnr"
    light_yield_pe_per_keVee: float | None = Field(default=None, gt=0)


class NoEfficiencySpec(_Strict):
    model: Literal["none"]


class LogisticEfficiencySpec(_Strict):
    model: Literal["logistic"]
    a: float = Field(gt=0, le=1)
    k: float
    x0: float
    zero_below: float | None = None
    scale_ranges: list[tuple[float, float, float]] = []


class WeibullEfficiencySpec(_Strict):
    model: Literal["weibull"]
    a: float = Field(gt=0, le=1)
    threshold: float
    scale: float = Field(gt=0)
    power: float = Field(gt=0)


class TableEfficiencySpec(_Strict):
    model: Literal["table"]
    x: list[float] = Field(min_length=2)
    efficiency: list[float] = Field(min_length=2)


EfficiencySpec = Annotated[
    Union[NoEfficiencySpec, LogisticEfficiencySpec, WeibullEfficiencySpec, TableEfficiencySpec], Field(discriminator="model")
]


class ResolutionSpec(_Strict):
    model: Literal["none", "gaussian", "poisson", "gamma"] = "none"
    stochastic: float = Field(default=0.0, ge=0)
    constant: float = Field(default=0.0, ge=0)
    noise: float = Field(default=0.0, ge=0)
    fano: float = Field(default=1.0, gt=0)


class BinsSpec(_Strict):
    low: float | None = None
    high: float | None = None
    width: float | None = Field(default=None, gt=0)
    edges: list[float] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "BinsSpec":
        if self.edges is None and None in (self.low, self.high, self.width):
            raise ValueError("give either edges = [...] or low, high and width")
        return self

    def as_edges(self) -> np.ndarray:
        if self.edges is not None:
            return np.asarray(self.edges, dtype=float)
        return det.bin_edges(self.low, self.high, self.width)


#: Proton-pulse shapes by name (:mod:`cevns.sources.timing`).
PULSES = {"sns": SNS_PULSE, "csi-2017-fitted": CSI_2017_FITTED_PULSE}


class TimeSpec(_Strict):
    """Arrival-time window (``window_us = [t_min, t_max]``) or bins (``edges_us``), µs on
    the time axis of ``pulse`` (stopped-pion sources only)."""

    window_us: tuple[float, float] | None = None
    edges_us: list[float] | None = None
    pulse: Literal["sns", "csi-2017-fitted"] = "sns"

    @model_validator(mode="after")
    def _one_form(self) -> "TimeSpec":
        if (self.window_us is None) == (self.edges_us is None):
            raise ValueError("give either window_us = [t_min, t_max] or edges_us = [...]")
        edges = self.window_us if self.window_us is not None else self.edges_us
        if len(edges) < 2 or any(b <= a for a, b in zip(edges[:-1], edges[1:])):
            raise ValueError("time edges must be ≥ 2 strictly increasing values (µs)")
        return self

    def selection(self) -> TimeSelection:
        if self.window_us is not None:
            return TimeSelection.window(self.window_us[0] * us, self.window_us[1] * us, PULSES[self.pulse])
        return TimeSelection(tuple(t * us for t in self.edges_us), PULSES[self.pulse])


class DetectorSpec(_Strict):
    mass_kg: float = Field(gt=0)
    quenching: QuenchingSpec = ConstantQuenchingSpec(model="constant", value=1.0)
    observable: ObservableSpec = ObservableSpec()
    efficiency: EfficiencySpec = NoEfficiencySpec(model="none")
    resolution: ResolutionSpec = ResolutionSpec()
    bins: BinsSpec
    time: TimeSpec | None = None


class PionDarSpec(_Strict):
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


class ReactorSpec(_Strict):
    type: Literal["reactor"]
    thermal_power_GW: float = Field(gt=0)
    baseline_m: float = Field(gt=0)
    baseline_spread_m: float = Field(default=0.0, ge=0)
    fission_fractions: dict[Literal["U235", "U238", "Pu239", "Pu241"], float] | None = None
    low_energy_model: Literal["vogel-engel", "extrapolate"] = "vogel-engel"


class TableSourceSpec(_Strict):
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


SourceSpec = Annotated[Union[PionDarSpec, ReactorSpec, TableSourceSpec], Field(discriminator="type")]


class ExposureSpec(_Strict):
    live_days: float = Field(gt=0)


class DataSpec(_Strict):
    """Observed counts for fits (omit ``observed`` for a forecast-only experiment)."""

    statistic: Literal["pull-chi2", "poisson"] = "pull-chi2"
    observed: list[float] | float | None = None
    background: list[float] | float = 0.0
    steady_state_background: list[float] | float = 0.0
    signal_uncertainty: float = Field(default=0.0, ge=0)
    background_uncertainty: float = Field(default=0.0, ge=0)
    note: str = ""


class ExperimentSpec(_Strict):
    name: str
    description: str = ""
    references: list[str] = []
    target: TargetSpec
    nuclear: NuclearSpec = NuclearSpec()
    couplings: CouplingsSpec = CouplingsSpec()
    detector: DetectorSpec
    source: SourceSpec
    exposure: ExposureSpec
    parameters: dict[str, float | str] = {}
    data: DataSpec | None = None


# --- built experiment ------------------------------------------------------------------
@dataclass(frozen=True)
class Experiment:
    """A fully built experiment: physics objects, no files."""

    name: str
    description: str
    target: Target
    mass_kg: float
    live_time_s: float
    source: NeutrinoSource
    response: DetectorResponse
    model: PhysicsModel
    spec: ExperimentSpec
    #: Arrival-time window or bins ([detector.time]), None for no time selection.
    time: TimeSelection | None = None

    @property
    def couplings(self) -> NucleonCouplings:
        return self.model.couplings

    @property
    def structure(self) -> NuclearStructure:
        return self.model.structure

    def predictor(self, quadrature: Quadrature = Quadrature()) -> RatePredictor:
        """A :class:`~cevns.rates.prediction.RatePredictor` with everything precomputed."""
        return prepare_rates(
            self.target, self.mass_kg, self.live_time_s, self.source, self.response, quadrature=quadrature, model=self.model,
            time=self.time,
        )

    @property
    def n_bins(self) -> int:
        """Analysis bins: observable bins × time bins ([detector.time] edges_us)."""
        n_time = self.time.n_bins if self.time is not None and self.time.binned else 1
        return (len(self.response.edges) - 1) * n_time

    def binned_counts(self, parameters: Mapping[str, float | str] | None = None) -> BinnedCounts:
        """Expected counts per isotope, flavour and analysis bin at the named
        ``parameters`` (on top of the file's own ``[parameters]``)."""
        return self.predictor().binned(parameters)

    def measurement(self, forecast: bool = False) -> Measurement:
        """The ``[data]`` of the file as a :class:`~cevns.config.measurement.Measurement`. With
        ``forecast`` the observed counts may be absent (an Asimov fit replaces them; the
        binning is then the experiment's). Raises ValueError if the file has no data."""
        data = self.spec.data
        if data is None:
            if not forecast:
                raise ValueError(f"{self.name} has no [data] section; use an Asimov forecast (--asimov)")
            data = DataSpec()
        n_bins = self.n_bins
        if data.observed is None:
            if not forecast:
                raise ValueError(f"{self.name}: [data] has no observed counts; use an Asimov forecast (--asimov)")
            n = n_bins
        else:
            n = 1 if isinstance(data.observed, float) else len(data.observed)
        if n not in (1, n_bins):
            raise ValueError(f"[data]: {n} observed values for {n_bins} bins: give one total or one per bin")

        def per_bin(value: list[float] | float, field_name: str) -> np.ndarray:
            arr = np.atleast_1d(np.asarray(value, dtype=float))
            if arr.size not in (1, n) or (arr.size == 1 and n > 1 and arr[0] != 0.0):
                raise ValueError(f"[data].{field_name}: give one value per bin ({n})")
            return np.broadcast_to(arr, (n,)).copy()

        observed = per_bin(data.observed if data.observed is not None else 0.0, "observed")
        return Measurement(
            observed, per_bin(data.background, "background"), per_bin(data.steady_state_background, "steady_state_background"),
            data.signal_uncertainty, data.background_uncertainty, data.statistic, data.note or self.name,
        )

    def differential_rates(
        self, recoil_kev: np.ndarray, parameters: Mapping[str, float | str] | None = None
    ) -> dict[str, dict[str, np.ndarray]]:
        """dR/dT in counts/keVnr per isotope and flavour (before detector response)."""
        model = model_with_parameters(self.model, parameters or {}, self.target.isotopes, self.source)
        per_kg = self.target.nuclei_per_kg()
        return {
            iso.name: differential_rate(recoil_kev, iso, per_kg[iso.name] * self.mass_kg, self.source, self.live_time_s, model=model)
            for iso in self.target.isotopes
        }


def _build_source(spec: SourceSpec, live_time_s: float, base_dir: Path | None) -> NeutrinoSource:
    if isinstance(spec, PionDarSpec):
        if spec.pot is not None:
            rate = spec.pot / live_time_s
        else:
            rate = pot_per_second(spec.beam_power_MW * MW, spec.proton_energy_GeV * GeV)
        return pion_dar_source(rate, spec.nu_per_flavor_per_pot, spec.baseline_m * m, baseline_spread=spec.baseline_spread_m * m)
    if isinstance(spec, ReactorSpec):
        kwargs: dict[str, Any] = {"low_energy_model": spec.low_energy_model, "baseline_spread": spec.baseline_spread_m * m}
        if spec.fission_fractions is not None:
            kwargs["fission_fractions"] = dict(spec.fission_fractions)
        return reactor_source(spec.thermal_power_GW * GW, spec.baseline_m * m, **kwargs)
    path = Path(spec.file)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    energies, columns = read_spectrum_csv(path)
    missing = [f for f in spec.flux_cm2_s if f not in columns]
    if missing:
        raise ValueError(f"{path}: no column for {', '.join(missing)} (columns: {', '.join(columns)})")
    return tabulated_source(energies, {f: columns[f] for f in spec.flux_cm2_s}, spec.flux_cm2_s, name=path.stem)


def read_spectrum_csv(path: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Read a spectrum table: a header ``energy_MeV,<flavour>,...`` then numeric rows
    (lines starting with ``#`` are comments). Values in any unit per MeV."""
    try:
        lines = [ln for ln in Path(path).read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    except OSError as exc:
        raise ValueError(f"cannot read spectrum table {path}: {exc.strerror}") from None
    rows = list(csv.reader(lines))
    if len(rows) < 3 or rows[0][0].strip() != "energy_MeV":
        raise ValueError(f"{path}: expected a header 'energy_MeV,<flavour>,...' and at least two rows")
    header = [h.strip() for h in rows[0]]
    try:
        data = np.array([[float(x) for x in r] for r in rows[1:]])
    except ValueError:
        raise ValueError(f"{path}: non-numeric value in the spectrum table") from None
    if data.shape[1] != len(header):
        raise ValueError(f"{path}: rows must have {len(header)} columns")
    return data[:, 0], {h: data[:, i] for i, h in enumerate(header) if i > 0}


def build_experiment(spec: ExperimentSpec, base_dir: Path | None = None) -> Experiment:
    """Turn a validated spec into physics objects (may raise ValueError)."""
    target = resolve_target(spec.target.material, spec.target.enrichment)
    live_time = spec.exposure.live_days * day
    d = spec.detector
    q = d.quenching
    quenching = {
        "constant": lambda: det.ConstantQuenching(q.value),
        "lindhard": lambda: det.LindhardQuenching(q.k),
        "polynomial": lambda: det.PolynomialQuenching(tuple(q.coefficients)),
        "table": lambda: det.TableQuenching(tuple(q.recoil_keV), tuple(q.quenching_factor)),
    }[q.model]()
    e = d.efficiency
    efficiency = {
        "none": lambda: det.UnitEfficiency(),
        "logistic": lambda: det.LogisticEfficiency(e.a, e.k, e.x0, e.zero_below, tuple(map(tuple, e.scale_ranges))),
        "weibull": lambda: det.WeibullEfficiency(e.a, e.threshold, e.scale, e.power),
        "table": lambda: det.TableEfficiency(tuple(e.x), tuple(e.efficiency)),
    }[e.model]()
    response = DetectorResponse(
        quenching=quenching,
        observable=det.Observable(d.observable.kind, d.observable.light_yield_pe_per_keVee),
        efficiency=efficiency,
        resolution=det.Resolution(**d.resolution.model_dump()),
        edges=tuple(d.bins.as_edges()),
    )
    n = spec.nuclear
    structure = NuclearStructure(
        proton_form_factor=FormFactor(n.form_factor, n.shape_fm),
        neutron_form_factor=FormFactor(n.neutron_form_factor or n.form_factor, n.shape_fm),
        radius_default=n.radius,
        proton_radius_fm=dict(n.proton_radius_fm),
        neutron_radius_fm=dict(n.neutron_radius_fm),
    )
    for iso in target.isotopes:  # fail here, naming the file, if a shape is impossible
        structure.form_factors(0.0, iso)
    names = {iso.name for iso in target.isotopes} | {"*"}
    for key in [*n.proton_radius_fm, *n.neutron_radius_fm]:
        if key not in names:
            raise ValueError(f"nuclear radius given for {key!r}, which is not in the target ({', '.join(sorted(names))})")
    model = PhysicsModel(couplings_by_name(spec.couplings.scheme, spec.couplings.sin2_theta_w), structure)
    experiment = Experiment(
        name=spec.name,
        description=spec.description,
        target=target,
        mass_kg=d.mass_kg,
        live_time_s=live_time,
        source=_build_source(spec.source, live_time, base_dir),
        response=response,
        model=model,
        spec=spec,
        time=d.time.selection() if d.time is not None else None,
    )
    if experiment.time is not None:  # fail here, naming the field, for a flavour without a πDAR time profile
        try:
            experiment.time.fractions([f for f in FLAVORS if f in experiment.source.spectra])
        except ValueError as exc:
            raise ValueError(f"detector.time: {exc}") from None
    if spec.parameters:
        try:
            model = model_with_parameters(model, spec.parameters, target.isotopes, experiment.source)
        except ParameterError as exc:
            raise ValueError(f"[parameters]: {exc}") from None
        experiment = dataclasses.replace(experiment, model=model)
    return experiment


# --- files and overrides ---------------------------------------------------------------
def _experiments_dir():
    return resources.files("cevns") / "data" / "experiments"


def shipped_files(folder) -> dict[str, str]:
    """Name → one-line description of the TOML files of a package data ``folder``."""
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name.removesuffix(".toml")):
        if entry.name.endswith(".toml"):
            out[entry.name[:-5]] = tomllib.loads(entry.read_text()).get("description", "")
    return out


def shipped_experiments() -> dict[str, str]:
    """Names of the shipped experiments and their one-line descriptions."""
    return shipped_files(_experiments_dir())


def parse_override(text: str) -> tuple[str, Any]:
    """``path=value`` → (path, value); the value is read as a TOML literal when it is one
    (``20``, ``1e23``, ``"helm"``, ``[1, 2]``), otherwise kept as a string."""
    if "=" not in text:
        raise ExperimentError(f"--set expects path=value, got {text!r}")
    path, raw = text.split("=", 1)
    path = path.strip()
    if not path or any(not part for part in path.split(".")):
        raise ExperimentError(f"--set has an empty path in {text!r}")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return path, value


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` with each dotted path set (intermediate tables are created; the
    schema validation that follows rejects paths that do not exist)."""
    import copy

    out = copy.deepcopy(data)
    for path, value in overrides.items():
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ExperimentError(f"--set {path}: {part!r} is a value, not a table")
            node = child
        node[parts[-1]] = value
    return out


def _format_validation_error(exc: ValidationError, origin: str, overridden: set[str]) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"] if not (isinstance(p, str) and p in {"pion-dar", "reactor", "table", "constant", "lindhard", "polynomial", "logistic", "weibull", "none"}))
    kind = err["type"]
    if kind == "missing":
        return f"{origin}: missing field '{loc}'"
    if kind == "extra_forbidden":
        how = "--set path" if loc in overridden else "field"
        return f"{origin}: unknown {how} '{loc}'"
    return f"{origin}: bad value for '{loc}': {err['msg']}"


def read_toml_file(
    name_or_path: str, folder, kind: str, shipped: Callable[[], Mapping[str, str]], error: type[Exception]
) -> tuple[str, dict[str, Any], Path | None]:
    """(origin for messages, parsed TOML, directory of a user's file — None for a shipped
    one) of a file path or of a shipped name in the package data ``folder``; any problem
    is one line, raised as ``error``."""
    path = Path(name_or_path)
    entry = folder / f"{name_or_path}.toml"
    if path.suffix == ".toml" or (path.exists() and not entry.is_file()):
        origin, base_dir = str(path), path.parent
        try:
            text = path.read_text()
        except OSError as exc:
            raise error(f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise error(f"{path}: not a UTF-8 text file") from None
    elif entry.is_file():
        origin, text, base_dir = f"{name_or_path}.toml", entry.read_text(), None
    else:
        raise error(f"unknown {kind} {name_or_path!r}; shipped: {', '.join(shipped())} (or give a .toml file)")
    try:
        return origin, tomllib.loads(text), base_dir
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{origin}: malformed TOML: {exc}") from None


# --- the user's changes to experiments loaded by other code (e.g. a reproduction) --------------
_USER_OVERRIDES: ContextVar[dict[str, dict[str, Any]]] = ContextVar("cevns_user_overrides", default={})
_LOADED: ContextVar[set[str] | None] = ContextVar("cevns_loaded_experiments", default=None)


@contextmanager
def experiment_overrides(overrides: Mapping[str, Mapping[str, Any]]) -> Iterator[set[str]]:
    """Within the block, ``load_experiment(name)`` applies ``overrides[name]`` (dotted path →
    value) after the caller's own overrides, so a user can change any input of code that
    loads experiments by name (``cevns reproduce --set NAME:PATH=VALUE``). Yields the set of
    experiment names loaded inside the block (to tell an override that was never used)."""
    merged = {k: dict(v) for k, v in _USER_OVERRIDES.get().items()}
    for name, changes in overrides.items():
        merged.setdefault(name, {}).update(changes)
    loaded: set[str] = set()
    tokens = (_USER_OVERRIDES.set(merged), _LOADED.set(loaded))
    try:
        yield loaded
    finally:
        _LOADED.reset(tokens[1])
        _USER_OVERRIDES.reset(tokens[0])


def active_experiment_overrides() -> dict[str, dict[str, Any]]:
    """The user's overrides in force (experiment name → {path: value})."""
    return {k: dict(v) for k, v in _USER_OVERRIDES.get().items()}


def cached_per_overrides(function: Callable) -> Callable:
    """``functools.cache`` whose key includes the overrides in force: a cached experiment (or
    anything built from one) never outlives a change of inputs."""

    @functools.cache
    def keyed(key: str, *args: Any) -> Any:
        return function(*args)

    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        return keyed(json.dumps(_USER_OVERRIDES.get(), sort_keys=True, default=str), *args)

    wrapper.cache_clear = keyed.cache_clear  # type: ignore[attr-defined]
    return wrapper


def load_experiment(name_or_path: str, overrides: Mapping[str, Any] | None = None) -> Experiment:
    """Load a shipped experiment by name or a TOML file by path, apply ``overrides``
    (dotted path → value) and then those of :func:`experiment_overrides` for this name,
    validate and build it. Raises :class:`ExperimentError`."""
    origin, data, base_dir = read_toml_file(name_or_path, _experiments_dir(), "experiment", shipped_experiments, ExperimentError)
    overrides = {**dict(overrides or {}), **_USER_OVERRIDES.get().get(name_or_path, {})}
    loaded = _LOADED.get()
    if loaded is not None:
        loaded.add(name_or_path)
    data = apply_overrides(data, overrides)
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(_format_validation_error(exc, origin, set(overrides))) from None
    try:
        return build_experiment(spec, base_dir)
    except ValueError as exc:
        raise ExperimentError(f"{origin}: {exc}") from None
