"""The schema of experiment files: pydantic models of every TOML table.

Strict models (unknown keys, NaN and infinities rejected; frozen) with the units in the
field names (``mass_kg``, ``live_days``, ``window_us``, ``shape_fm``). The ``[source]``
table is whichever source type is registered in :mod:`cevns.config.sources` under its
``type`` tag. The README documents every table; :mod:`cevns.config.experiments` turns a
validated :class:`ExperimentSpec` into physics objects.
"""

# No ``from __future__ import annotations`` here, on purpose: pydantic reads the field
# annotations as objects instead of evaluating ~150 strings when the classes are created
# (start-up time; ``python -X importtime``); forward references are quoted.
from dataclasses import replace
from typing import Annotated, Any, Literal, Union, get_args

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from cevns.config.sources import RegisteredSource, SourceSpec, on_source_types_changed, source_types
from cevns.detector import response as det
from cevns.errors import unknown_name
from cevns.physics.cross_sections import SIN2_THETA_W_LOW_ENERGY
from cevns.rates.prediction import TimeSelection
from cevns.sources.timing import CSI_2017_FITTED_PULSE, CSI_2021_BRN_PULSE, SNS_PULSE, ExponentialTimeEfficiency, us


class StrictModel(BaseModel):
    """Base of the tables: unknown keys, NaN and infinities rejected; frozen.

    The validators are built on first use (``defer_build``): validating an
    :class:`ExperimentSpec` builds one validator for the whole file, instead of one per
    table class when this module is imported (start-up time of the CLI)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)


class TargetSpec(StrictModel):
    material: str
    enrichment: dict[str, float] | None = None


class NuclearSpec(StrictModel):
    form_factor: Literal["helm", "sf", "kn", "none"] = "helm"
    neutron_form_factor: Literal["helm", "sf", "kn", "none"] | None = None
    shape_fm: float | None = Field(default=None, gt=0)
    radius: Literal["charge", "lewin-smith"] = "charge"
    proton_radius_fm: dict[str, Annotated[float, Field(gt=0)]] = {}
    neutron_radius_fm: dict[str, Annotated[float, Field(gt=0)]] = {}


class CustomProtonCouplingsSpec(StrictModel):
    """``gv_p = {e = .., mu = .., tau = ..}``: g_V^p per lepton flavour (``tau`` defaults to ``mu``)."""

    e: float
    mu: float
    tau: float | None = None


class CouplingsSpec(StrictModel):
    """``[couplings]``: a registered coupling set by name
    (:func:`cevns.physics.cross_sections.coupling_set_names`: ``tree``, ``radiative``,
    ``custom``), the low-energy sin²θ_W it is evaluated at, and for ``custom`` the values
    ``gv_p = {e, mu, tau}`` and ``gv_n`` (which only ``custom`` accepts; ``custom`` does
    not read ``sin2_theta_w``, and fitting sin2_theta_w with it is a one-line error)."""

    scheme: str = "tree"
    sin2_theta_w: float = Field(default=SIN2_THETA_W_LOW_ENERGY, gt=0, lt=1)
    gv_p: CustomProtonCouplingsSpec | None = None
    gv_n: float | None = None

    @model_validator(mode="after")
    def _known_set(self) -> "CouplingsSpec":
        from cevns.physics.cross_sections import coupling_set_names

        names = coupling_set_names()
        if self.scheme not in names:
            raise ValueError(unknown_name("coupling set", self.scheme, names, "known sets"))
        given = self.gv_p is not None or self.gv_n is not None
        if self.scheme != "custom":
            if given:
                raise ValueError(f"gv_p / gv_n are only read with scheme = 'custom', not {self.scheme!r}")
            return self
        if self.gv_p is None or self.gv_n is None:
            raise ValueError("scheme = 'custom' needs gv_p = {e = .., mu = ..} and gv_n")
        return self  # sin2_theta_w is not read with 'custom' (fitting it is an error)

    def values(self) -> dict[str, float]:
        """The ``custom`` set's values as :func:`cevns.physics.cross_sections.couplings_by_name`
        takes them (empty for the other sets)."""
        if self.gv_p is None or self.gv_n is None:
            return {}
        out = {"gv_p_e": self.gv_p.e, "gv_p_mu": self.gv_p.mu, "gv_n": self.gv_n}
        if self.gv_p.tau is not None:
            out["gv_p_tau"] = self.gv_p.tau
        return out


class ConstantQuenchingSpec(StrictModel):
    model: Literal["constant"]
    value: float = Field(gt=0, le=1)


class LindhardQuenchingSpec(StrictModel):
    """Lindhard quenching with parameter ``k``; ``k_uncertainty`` (1σ, optional) makes k a
    continuous nuisance (:func:`cevns.config.experiments.quenching_nuisance`)."""

    model: Literal["lindhard"]
    k: float = Field(gt=0)
    k_uncertainty: float | None = Field(default=None, gt=0)


class AdiabaticLindhardQuenchingSpec(StrictModel):
    """Lindhard × (1 − exp(−T/ξ)) (:class:`cevns.detector.quenching_models.AdiabaticLindhardQuenching`)."""

    model: Literal["lindhard-adiabatic"]
    k: float = Field(gt=0)
    xi_keV: float = Field(gt=0)
    k_uncertainty: float | None = Field(default=None, gt=0)


class SorensenQuenchingSpec(StrictModel):
    """Lindhard − q/ε (:class:`cevns.detector.quenching_models.SorensenLindhardQuenching`)."""

    model: Literal["lindhard-sorensen"]
    k: float = Field(gt=0)
    q: float = Field(ge=0)
    k_uncertainty: float | None = Field(default=None, gt=0)


class NamedQuenchingSpec(StrictModel):
    """A published model by ``name`` (:data:`cevns.detector.quenching_models.NAMED_QUENCHING_MODELS`)
    at ``shift`` times its 1σ uncertainty."""

    model: Literal["named"]
    name: str
    shift: float = 0.0


class InterpolatedQuenchingSpec(StrictModel):
    """(1 − t)·A + t·B between two named models ``a`` and ``b``, t ∈ [0, 1]."""

    model: Literal["interpolated"]
    a: str
    b: str
    t: float = Field(default=0.5, ge=0, le=1)


class PolynomialQuenchingSpec(StrictModel):
    model: Literal["polynomial"]
    coefficients: list[float] = Field(min_length=2)


class TableQuenchingSpec(StrictModel):
    model: Literal["table"]
    recoil_keV: list[float] = Field(min_length=2)
    quenching_factor: list[float] = Field(min_length=2)


QuenchingSpec = Annotated[
    Union[ConstantQuenchingSpec, LindhardQuenchingSpec, PolynomialQuenchingSpec, TableQuenchingSpec,
          AdiabaticLindhardQuenchingSpec, SorensenQuenchingSpec, NamedQuenchingSpec, InterpolatedQuenchingSpec],
    Field(discriminator="model"),
]


class ObservableSpec(StrictModel):
    kind: Literal["keVnr", "keVee", "PE"] = "keVnr"
    light_yield_pe_per_keVee: float | None = Field(default=None, gt=0)


class NoEfficiencySpec(StrictModel):
    model: Literal["none"]


class LogisticEfficiencySpec(StrictModel):
    """a/(1 + exp(−k(x − x₀))) [+ offset, clipped to [0, 1]] (:class:`cevns.detector.response.LogisticEfficiency`)."""

    model: Literal["logistic"]
    a: float = Field(gt=0)
    k: float
    x0: float
    zero_below: float | None = None
    scale_ranges: list[tuple[float, float, float]] = []
    offset: float = 0.0

    @model_validator(mode="after")
    def _plateau(self) -> "LogisticEfficiencySpec":
        if self.offset == 0 and self.a > 1:
            raise ValueError("Input should be less than or equal to 1 (the plateau a, without an offset)")
        if self.offset != 0 and not 0 < self.a + self.offset <= 1:
            raise ValueError("the plateau a + offset must lie in (0, 1]")
        return self


class WeibullEfficiencySpec(StrictModel):
    model: Literal["weibull"]
    a: float = Field(gt=0, le=1)
    threshold: float
    scale: float = Field(gt=0)
    power: float = Field(gt=0)


class TableEfficiencySpec(StrictModel):
    model: Literal["table"]
    x: list[float] = Field(min_length=2)
    efficiency: list[float] = Field(min_length=2)


EfficiencySpec = Annotated[
    Union[NoEfficiencySpec, LogisticEfficiencySpec, WeibullEfficiencySpec, TableEfficiencySpec], Field(discriminator="model")
]


class ResolutionSpec(StrictModel):
    model: Literal["none", "gaussian", "poisson", "gamma"] = "none"
    stochastic: float = Field(default=0.0, ge=0)
    constant: float = Field(default=0.0, ge=0)
    noise: float = Field(default=0.0, ge=0)
    fano: float = Field(default=1.0, gt=0)
    shape_offset: float = Field(default=0.0, ge=0)


class BinsSpec(StrictModel):
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
        """Bin edges in the observable's unit."""
        if self.edges is not None:
            return np.asarray(self.edges, dtype=float)
        assert self.low is not None and self.high is not None and self.width is not None  # _one_form's guarantee
        return det.bin_edges(self.low, self.high, self.width)


#: Proton-pulse shapes by name (:mod:`cevns.sources.timing`).
PULSES = {"sns": SNS_PULSE, "csi-2017-fitted": CSI_2017_FITTED_PULSE, "csi-2021-brn": CSI_2021_BRN_PULSE}


class TimeEfficiencySpec(StrictModel):
    """ε_T(t) = 1 before ``onset_us``, exp(−``decay_per_us`` (t − onset)) after
    (:class:`cevns.sources.timing.ExponentialTimeEfficiency`)."""

    onset_us: float
    decay_per_us: float = Field(ge=0)


class TimeSpec(StrictModel):
    """Arrival-time window (``window_us = [t_min, t_max]``) or bins (``edges_us``), µs on
    the time axis of ``pulse`` (stopped-pion sources only); ``efficiency``: an optional
    time-dependent efficiency folded into each bin's arrival-time fraction."""

    window_us: tuple[float, float] | None = None
    edges_us: list[float] | None = None
    pulse: Literal["sns", "csi-2017-fitted", "csi-2021-brn"] = "sns"
    efficiency: TimeEfficiencySpec | None = None

    @model_validator(mode="after")
    def _one_form(self) -> "TimeSpec":
        edges: tuple[float, ...] | list[float] | None = self.window_us if self.window_us is not None else self.edges_us
        if edges is None or (self.window_us is not None and self.edges_us is not None):
            raise ValueError("give either window_us = [t_min, t_max] or edges_us = [...]")
        if len(edges) < 2 or any(b <= a for a, b in zip(edges[:-1], edges[1:])):
            raise ValueError("time edges must be ≥ 2 strictly increasing values (µs)")
        return self

    def selection(self) -> TimeSelection:
        """The window or bins as a :class:`~cevns.rates.prediction.TimeSelection` (ns)."""
        eff = self.efficiency
        time_eff = None if eff is None else ExponentialTimeEfficiency(eff.onset_us * us, eff.decay_per_us / us)
        if self.window_us is not None:
            window = TimeSelection.window(self.window_us[0] * us, self.window_us[1] * us, PULSES[self.pulse])
            return window if time_eff is None else replace(window, efficiency=time_eff)
        assert self.edges_us is not None  # _one_form's guarantee
        return TimeSelection(tuple(t * us for t in self.edges_us), PULSES[self.pulse], efficiency=time_eff)


class DetectorSpec(StrictModel):
    """``[detector]``. The defaults of the sub-tables are made with ``model_construct``
    (valid constant values, equal to validated ones), so that importing the schema builds
    no validator (:class:`StrictModel`)."""

    mass_kg: float = Field(gt=0)
    quenching: QuenchingSpec = ConstantQuenchingSpec.model_construct(model="constant", value=1.0)
    observable: ObservableSpec = ObservableSpec.model_construct()
    efficiency: EfficiencySpec = NoEfficiencySpec.model_construct(model="none")
    resolution: ResolutionSpec = ResolutionSpec.model_construct()
    bins: BinsSpec
    time: TimeSpec | None = None


class ExposureSpec(StrictModel):
    live_days: float = Field(gt=0)


class DataSpec(StrictModel):
    """Observed counts for fits (omit ``observed`` for a forecast-only experiment)."""

    statistic: Literal["pull-chi2", "poisson"] = "pull-chi2"
    observed: list[float] | float | None = None
    background: list[float] | float = 0.0
    steady_state_background: list[float] | float = 0.0
    signal_uncertainty: float = Field(default=0.0, ge=0)
    background_uncertainty: float = Field(default=0.0, ge=0)
    note: str = ""

    @model_validator(mode="after")
    def _counts_not_negative(self) -> "DataSpec":
        """Every beam-on count is ≥ 0. ``observed`` is the count after subtracting the
        off-beam ``steady_state_background`` (a residual, which may be negative: COHERENT
        CsI 2017 per time bin); added back, observed + steady_state_background is the
        beam-on count, which a fit (the pull χ² variance, the Poisson likelihood) needs
        ≥ 0. Without a steady-state background that is observed ≥ 0."""
        if self.observed is None:
            return self
        observed = np.atleast_1d(np.asarray(self.observed, dtype=float))
        steady = np.atleast_1d(np.asarray(self.steady_state_background, dtype=float))
        if steady.size not in (1, observed.size):
            return self  # lengths that differ are reported when the experiment is built
        total = observed + steady
        bad = np.flatnonzero(total < 0)
        if bad.size:
            i = int(bad[0])
            where = f" in bin {i + 1}" if observed.size > 1 else ""
            added = f" (with steady_state_background {steady[min(i, steady.size - 1)]:g} added back: {total[i]:g})" if np.any(steady) else ""
            raise PydanticCustomError(
                "negative_count", "{value} is a negative count; observed counts must be ≥ 0 (or, after subtracting "
                "steady_state_background, at least −steady_state_background)",
                {"field": "observed", "value": f"{observed[i]:g}{where}{added}"})
        return self


class ExperimentSpec(StrictModel):
    name: str
    description: str = ""
    references: list[str] = []
    target: TargetSpec
    nuclear: NuclearSpec = NuclearSpec.model_construct()
    couplings: CouplingsSpec = CouplingsSpec.model_construct()
    detector: DetectorSpec
    #: One of the source types registered in :mod:`cevns.config.sources`.
    source: Annotated[SourceSpec, RegisteredSource]
    exposure: ExposureSpec
    parameters: dict[str, float | str] = {}
    data: DataSpec | None = None


def _rebuild() -> None:
    """Regenerate the schema, so that the ``[source]`` union is the registry's again (only
    if it was built: a deferred schema reads the registry when it is first built)."""
    if ExperimentSpec.__pydantic_complete__:
        ExperimentSpec.model_rebuild(force=True)


# a source type registered later is accepted from then on (and one unregistered no longer)
on_source_types_changed(_rebuild)


# --- error messages -------------------------------------------------------------------------
def _tags(union: Any, discriminator: str) -> frozenset[str]:
    """Tags of a discriminated union ``Annotated[Union[...], Field(discriminator=...)]``."""
    members = get_args(get_args(union)[0])
    return frozenset(tag for cls in members for tag in get_args(cls.model_fields[discriminator].annotation))


def _union_tags() -> dict[tuple[str, ...], frozenset[str]]:
    """Per path of a discriminated-union field, its tags (pydantic puts the tag of the
    member it validated into an error's location, after the field name)."""
    return {
        ("source",): frozenset(source_types()),
        ("detector", "quenching"): _tags(QuenchingSpec, "model"),
        ("detector", "efficiency"): _tags(EfficiencySpec, "model"),
    }


def format_validation_error(exc: ValidationError, origin: str, overridden: set[str] | frozenset[str] = frozenset()) -> str:
    """One line for the first error of an :class:`ExperimentSpec` validation: ``origin``
    (the file) and the dotted field path; ``overridden`` paths came from ``--set``."""
    err = exc.errors()[0]
    tags = _union_tags()
    parts: list[str] = []
    skipped = False
    for p in err["loc"]:
        if not skipped and isinstance(p, str) and p in tags.get(tuple(parts), frozenset()):
            skipped = True  # the union member's tag, not a field (a field of the same name may follow)
            continue
        skipped = False
        parts.append(str(p))
    kind = err["type"]
    if kind == "negative_count":  # raised by a table's validator about one of its fields
        parts.append(str(err["ctx"]["field"]))
    loc = ".".join(parts)
    if kind == "missing":
        return f"{origin}: missing field '{loc}'"
    if kind == "extra_forbidden":
        how = "--set path" if loc in overridden else "field"
        return f"{origin}: unknown {how} '{loc}'"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = str(err.get("ctx", {}).get("discriminator", "type")).strip("'")
        known = ", ".join(sorted(tags.get(tuple(parts), frozenset())))
        if kind == "union_tag_not_found":
            return f"{origin}: missing field '{loc}.{key}' (one of {known})"
        return f"{origin}: bad value for '{loc}.{key}': {err['ctx']['tag']!r} is not one of {known}"
    return f"{origin}: bad value for '{loc}': {err['msg']}"


__all__ = [
    "AdiabaticLindhardQuenchingSpec",
    "BinsSpec",
    "InterpolatedQuenchingSpec",
    "NamedQuenchingSpec",
    "SorensenQuenchingSpec",
    "ConstantQuenchingSpec",
    "CouplingsSpec",
    "CustomProtonCouplingsSpec",
    "DataSpec",
    "DetectorSpec",
    "EfficiencySpec",
    "ExperimentSpec",
    "ExposureSpec",
    "LindhardQuenchingSpec",
    "LogisticEfficiencySpec",
    "NoEfficiencySpec",
    "NuclearSpec",
    "ObservableSpec",
    "PULSES",
    "PolynomialQuenchingSpec",
    "QuenchingSpec",
    "ResolutionSpec",
    "StrictModel",
    "TableEfficiencySpec",
    "TableQuenchingSpec",
    "TargetSpec",
    "TimeEfficiencySpec",
    "TimeSpec",
    "format_validation_error",
]
