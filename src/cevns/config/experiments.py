"""Experiments as data: TOML files that compose target, detector, source and exposure.

The schema (:mod:`cevns.config.schema`, validated with pydantic, unknown keys rejected) is
documented in the README; the ``[source]`` table is any source type registered in
:mod:`cevns.config.sources`. Shipped experiments live in ``cevns/data/experiments/*.toml``.
A user's own file works the same way: ``load_experiment("my-detector.toml")``. Any field
can be overridden by its dotted path (``detector.mass_kg=20``) before validation
(:mod:`cevns.config.overrides`).

This package is the only one that reads files; the physics modules receive plain objects.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from pydantic import ValidationError

from cevns._data import data_path
from cevns.errors import InputTypeError
from cevns.config.built import Experiment
from cevns.config.files import ExperimentError, read_toml_file, shipped_files
from cevns.config.overrides import apply_overrides, user_overrides_for
from cevns.config.schema import (
    AdiabaticLindhardQuenchingSpec,
    ConstantQuenchingSpec,
    InterpolatedQuenchingSpec,
    NamedQuenchingSpec,
    SorensenQuenchingSpec,
    DetectorSpec,
    EfficiencySpec,
    ExperimentSpec,
    LindhardQuenchingSpec,
    LogisticEfficiencySpec,
    NoEfficiencySpec,
    NuclearSpec,
    PolynomialQuenchingSpec,
    QuenchingSpec,
    TableQuenchingSpec,
    WeibullEfficiencySpec,
    format_validation_error,
)
from cevns.config.sources import SourceContext, build_source
from cevns.detector import response as det
from cevns.detector.response import DetectorResponse
from cevns.physics.cross_sections import FLAVORS, NuclearStructure, couplings_by_name
from cevns.physics.form_factors import FormFactor
from cevns.physics.interactions import PhysicsModel
from cevns.physics.nuclei import Target, resolve_target
from cevns.physics.interactions.registry import ParameterError
from cevns.rates.prediction import model_with_parameters, time_fractions
from cevns.runtime.resources import check_memory, predictor_bytes
from cevns.units import day

if TYPE_CHECKING:
    from cevns.config.files import Traversable


# --- from the validated spec to physics objects --------------------------------------------
def _quenching(q: QuenchingSpec, Z: int | None = None) -> det.Quenching:
    """The quenching model of a ``[detector.quenching]`` table; named models are checked
    against the target's charge ``Z`` (None: a compound target, checked per element by
    :func:`build_experiment`)."""
    if isinstance(q, ConstantQuenchingSpec):
        return det.ConstantQuenching(q.value)
    if isinstance(q, LindhardQuenchingSpec):
        return det.LindhardQuenching(q.k)
    if isinstance(q, PolynomialQuenchingSpec):
        return det.PolynomialQuenching(tuple(q.coefficients))
    if isinstance(q, TableQuenchingSpec):
        return det.TableQuenching(tuple(q.recoil_keV), tuple(q.quenching_factor))
    # every other model is a published one: its module, imported when a table uses one (start-up time)
    from cevns.detector import quenching_models as qm

    if isinstance(q, AdiabaticLindhardQuenchingSpec):
        return qm.AdiabaticLindhardQuenching(q.k, q.xi_keV)
    if isinstance(q, SorensenQuenchingSpec):
        return qm.SorensenLindhardQuenching(q.k, q.q)
    if isinstance(q, NamedQuenchingSpec):
        return qm.named_quenching(q.name, Z, q.shift)
    if isinstance(q, InterpolatedQuenchingSpec):
        return qm.InterpolatedQuenching(qm.named_quenching(q.a, Z), qm.named_quenching(q.b, Z), q.t)
    raise TypeError(f"unknown quenching table {type(q).__name__}")  # the union of QuenchingSpec is covered above


@dataclass(frozen=True)
class QuenchingNuisance:
    """The continuous quenching nuisance of an experiment: its ``name`` (``qf_k``,
    ``qf_shift`` or ``qf_t``) and the ``--set`` overrides of its +1σ and −1σ variants,
    from which a likelihood builds a shape nuisance (the relative per-bin change
    r = (S₊ − S₋)/(2 S₀), :class:`cevns.stats.templates.ShapeSystematic`)."""

    name: str
    plus: dict[str, float]
    minus: dict[str, float]


def quenching_nuisance(d: DetectorSpec) -> QuenchingNuisance | None:
    """The quenching nuisance of a ``[detector]`` table, None without one:

    * Lindhard-type models with ``k_uncertainty`` σ_k: ``qf_k``, k ± σ_k;
    * ``named``: ``qf_shift``, shift ± 1 (the model's published 1σ);
    * ``interpolated``: ``qf_t``, t ± 0.5 clipped to [0, 1] (at t = 0.5 the ±1σ variants
      are the two models).
    """
    q = d.quenching
    path = "detector.quenching"
    if isinstance(q, (LindhardQuenchingSpec, AdiabaticLindhardQuenchingSpec, SorensenQuenchingSpec)):
        if q.k_uncertainty is None:
            return None
        if not q.k - q.k_uncertainty > 0:
            raise ExperimentError(f"{path}.k_uncertainty = {q.k_uncertainty:g} must be smaller than k = {q.k:g}")
        return QuenchingNuisance("qf_k", {f"{path}.k": q.k + q.k_uncertainty}, {f"{path}.k": q.k - q.k_uncertainty})
    if isinstance(q, NamedQuenchingSpec):
        return QuenchingNuisance("qf_shift", {f"{path}.shift": q.shift + 1.0}, {f"{path}.shift": q.shift - 1.0})
    if isinstance(q, InterpolatedQuenchingSpec):
        return QuenchingNuisance("qf_t", {f"{path}.t": min(q.t + 0.5, 1.0)}, {f"{path}.t": max(q.t - 0.5, 0.0)})
    return None


def _efficiency(e: EfficiencySpec) -> det.Efficiency:
    if isinstance(e, NoEfficiencySpec):
        return det.UnitEfficiency()
    if isinstance(e, LogisticEfficiencySpec):
        return det.LogisticEfficiency(e.a, e.k, e.x0, e.zero_below, tuple(e.scale_ranges), e.offset)
    if isinstance(e, WeibullEfficiencySpec):
        return det.WeibullEfficiency(e.a, e.threshold, e.scale, e.power)
    return det.TableEfficiency(tuple(e.x), tuple(e.efficiency))


def detector_response(d: DetectorSpec, Z: int | None = None) -> DetectorResponse:
    """The :class:`~cevns.detector.response.DetectorResponse` of a ``[detector]`` table.
    A binning by width whose predictor would not fit in memory is refused before its
    edges are made (:mod:`cevns.runtime.resources`). ``Z``: the target's charge when it
    has one element (named quenching models must match it)."""
    b = d.bins
    if b.edges is None and b.low is not None and b.high is not None and b.width:
        n_bins = (b.high - b.low) / b.width
        if math.isfinite(n_bins) and n_bins > 0:
            check_memory(f"[detector.bins] width = {b.width:g} ({n_bins:.3g} bins)",
                         predictor_bytes(n_bins, d.resolution.model != "none"), "use a larger detector.bins.width")
    return DetectorResponse(
        quenching=_quenching(d.quenching, Z),
        observable=det.Observable(d.observable.kind, d.observable.light_yield_pe_per_keVee),
        efficiency=_efficiency(d.efficiency),
        # the fields as validated (``dict(model)``: what model_dump gives for these plain
        # float / str fields, without building ResolutionSpec's serializer at start-up)
        resolution=det.Resolution(**dict(d.resolution)),
        edges=tuple(d.bins.as_edges()),
    )


def nuclear_structure(n: NuclearSpec, target: Target) -> NuclearStructure:
    """The form factors and radii of a ``[nuclear]`` table, checked against the target's
    isotopes (ValueError for an impossible shape or a radius of an isotope not in it)."""
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
            raise ExperimentError(f"nuclear radius given for {key!r}, which is not in the target ({', '.join(sorted(names))})")
    return structure


def build_experiment(spec: ExperimentSpec, base_dir: Path | None = None) -> Experiment:
    """Turn a validated spec into physics objects (may raise :class:`ExperimentError`); ``base_dir``:
    the directory of the experiment file, for files its source names."""
    target = resolve_target(spec.target.material, spec.target.enrichment)
    live_time = spec.exposure.live_days * day
    d = spec.detector
    c = spec.couplings
    couplings = couplings_by_name(c.scheme, None if c.scheme == "custom" else c.sin2_theta_w, c.values())
    model = PhysicsModel(couplings, nuclear_structure(spec.nuclear, target))
    charges = sorted({iso.Z for iso in target.isotopes})
    if isinstance(d.quenching, (NamedQuenchingSpec, InterpolatedQuenchingSpec)) and len(charges) > 1:
        raise ExperimentError(f"detector.quenching: named quenching models need a one-element target, not {spec.target.material}")
    experiment = Experiment(
        name=spec.name,
        description=spec.description,
        target=target,
        mass_kg=d.mass_kg,
        live_time_s=live_time,
        source=build_source(spec.source, SourceContext(live_time, base_dir)),
        response=detector_response(d, charges[0] if len(charges) == 1 else None),
        model=model,
        spec_json=spec.model_dump_json(),
        time=d.time.selection() if d.time is not None else None,
    )
    if experiment.time is not None:  # fail here, naming the field, for a flavour without a πDAR time profile
        try:  # the set-up's own remembered fractions (prepare_rates asks for the same flavours): computed once
            time_fractions(experiment.time, tuple(f for f in FLAVORS if f in experiment.source.spectra))
        except ValueError as exc:
            raise ExperimentError(f"detector.time: {exc}") from None
    if spec.parameters:
        try:
            model = model_with_parameters(model, spec.parameters, target.isotopes, experiment.source)
        except ParameterError as exc:
            raise ExperimentError(f"[parameters]: {exc}") from None
        experiment = dataclasses.replace(experiment, model=model)
    experiment.__dict__["spec"] = spec  # the spec itself: spec_json is parsed only after unpickling (Experiment.spec)
    return experiment


# --- files ----------------------------------------------------------------------------------
def _experiments_dir() -> Traversable:
    # what importlib.resources.files("cevns") / "data" / "experiments" returns, without
    # importing importlib.resources at start-up (:mod:`cevns._data`)
    return data_path("experiments")


def shipped_experiments() -> dict[str, str]:
    """Names of the shipped experiments and their one-line descriptions."""
    return shipped_files(_experiments_dir())


def load_experiment(name_or_path: str | Path, overrides: Mapping[str, Any] | None = None) -> Experiment:
    """Load a shipped experiment by name or a TOML file by path, apply ``overrides``
    (dotted path → value) and then those of :func:`cevns.config.overrides.experiment_overrides`
    for this name, validate and build it. Raises :class:`ExperimentError`; a name that is
    not text or a path, or ``overrides`` that are not a mapping, raise
    :class:`cevns.errors.InputTypeError`."""
    if overrides is not None and not isinstance(overrides, Mapping):
        raise InputTypeError.expected("experiment overrides", "a mapping {dotted path: value}, e.g. {'detector.mass_kg': 20}", overrides)
    origin, data, base_dir = read_toml_file(name_or_path, _experiments_dir(), "experiment", shipped_experiments, ExperimentError)
    overrides = {**dict(overrides or {}), **user_overrides_for(str(name_or_path))}
    data = apply_overrides(data, overrides)
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        raise ExperimentError(format_validation_error(exc, origin, set(overrides))) from None
    try:
        return build_experiment(spec, base_dir)
    except ValueError as exc:
        raise ExperimentError(f"{origin}: {exc}") from None


__all__ = [
    "Experiment",
    "ExperimentError",
    "QuenchingNuisance",
    "quenching_nuisance",
    "build_experiment",
    "detector_response",
    "load_experiment",
    "nuclear_structure",
    "shipped_experiments",
]
