"""Arrays of detectors with correlated systematic uncertainties, as data.

A. Galindo-Uribarri, O. G. Miranda, G. Sanchez Garcia, *Novel approach for the study of
coherent elastic neutrino-nucleus scattering*, Phys. Rev. D 105, 033001 (2022), arXiv:2011.10230,
propose
several isotopically enriched detectors of one element (⁷⁰Ge, ⁷²Ge, ⁷⁶Ge) exposed to the
same source at the same time. Their systematic uncertainties (quenching factor, form
factor, neutrino flux) are then common to all detectors, and the counts are fitted with
the covariance-matrix χ² of their Eqs. 5–6 (implemented in
:func:`cevns.stats.chi2.covariance_matrix` and :func:`~cevns.stats.chi2.covariance_chi2`):

.. math::
   χ^2 = \\sum_{ij} (N^{th}_i − N^{exp}_i)\\,[σ^2]^{-1}_{ij}\\,(N^{th}_j − N^{exp}_j), \\qquad
   σ^2_{ij} = δ_{ij}(1 + f_{bg})N^{exp}_i + \\sum_k σ^k_i σ^k_j .

Here a :class:`DetectorArray` holds the members (each an experiment's
:class:`~cevns.rates.prediction.RatePredictor`), the named systematic sources (a fractional
uncertainty f_ki per member, fully correlated across members, independent between
sources), the background fraction f_bg and optional observed counts; an
:class:`ArrayLikelihood` is its χ²(θ) of named physics parameters, with the interface
:func:`cevns.stats.fits.fit` and :func:`cevns.stats.fits.profile` use (``chi2``, ``fixed``,
``with_fixed``, ``signal``, ``asimov``), so arrays are fitted and profiled unchanged.

Entries of the χ² vector are the members' data entries in member order: one counting bin
per member in the paper (and in the shipped arrays), or each member's analysis bins. A
member's systematic shifts are common to all its bins (a normalisation); with
``correlated=False`` they are independent between members (the paper's "uncorrelated"
dashed contours) but still common to a member's bins.

The TOML format (``[[member]]`` tables, ``[systematics]``, ``[data]``) is read by
:func:`load_array`; shipped arrays live in ``cevns/data/arrays``. :func:`load_likelihood`
returns the likelihood of an experiment or of an array, whichever the name or file is.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cevns.config.experiments import (
    Experiment,
    ExperimentError,
    apply_overrides,
    load_experiment,
    parse_override,
    read_toml_file,
    shipped_experiments,
    shipped_files,
)
from cevns.stats.fits import Likelihood
from cevns.physics.parameters import ParameterError
from cevns.rates.prediction import RatePredictor
from cevns.stats.chi2 import covariance_chi2, covariance_matrix, marginalise_detector

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ArrayError(ExperimentError):
    """A bad or incomplete array description; the message names file and field."""


# --- physics objects --------------------------------------------------------------------------
@dataclass(frozen=True)
class ArrayMember:
    """One detector of an array: its ``predictor``, a ``label`` and, for fits to data, its
    ``observed`` counts — one number (the total over the member's bins: a counting
    experiment) or one per analysis bin. ``experiment`` is kept when the member was built
    from one (for its name and parameter values)."""

    label: str
    predictor: RatePredictor
    observed: np.ndarray | None = None
    experiment: Experiment | None = None

    def __post_init__(self) -> None:
        if not self.label:
            raise ValueError("an array member needs a label")
        if self.observed is not None:
            obs = np.asarray(self.observed, dtype=float)
            if obs.ndim != 1 or obs.size not in (1, self.bins):
                raise ValueError(f"member {self.label}: give one observed total or one value per bin ({self.bins})")
            if not np.all(np.isfinite(obs)) or np.any(obs < 0):
                raise ValueError(f"member {self.label}: observed counts must be finite and ≥ 0")
            object.__setattr__(self, "observed", obs)

    @property
    def bins(self) -> int:
        """Analysis bins of the member's experiment."""
        return int(self.predictor.edges.size - 1)

    @property
    def entries(self) -> int:
        """Entries of this member in the χ² vector: 1 for a counting total, else its bins."""
        return int(self.observed.size) if self.observed is not None else self.bins

    @property
    def isotopes(self) -> frozenset[str]:
        return frozenset(node.isotope.name for node in self.predictor.nodes)

    def signal(self, values: Mapping[str, float | str]) -> np.ndarray:
        """Expected counts per entry at the named parameters ``values`` (already routed)."""
        per_bin = self.predictor.binned(values).per_bin
        return per_bin if self.entries == self.bins else np.array([per_bin.sum()])


def _is_radius_of(key: str) -> str | None:
    """The isotope of a per-isotope radius parameter (``rn_76Ge`` → ``76Ge``), else None."""
    return key[3:] if key[:3] in ("rn_", "rp_") else None


@dataclass(frozen=True)
class DetectorArray:
    """Detectors exposed together, with systematic sources correlated across them
    (Galindo-Uribarri et al., arXiv:2011.10230, Eq. 6).

    ``systematics``: source name → fractional uncertainty per member (σ^k_i = f_ki N_i;
    their A = quenching factor, B = form factor or neutrino flux). ``background_fraction``
    f_bg: a background of f_bg × N^exp_i events per entry whose Poisson variance is added
    to the statistical term (their Sec. II: "adding a 10 % contribution of the SM
    prediction to the statistical uncertainty"; see :func:`cevns.stats.chi2.covariance_matrix`
    for this reading). ``correlated``: False makes every source independent between members
    (the paper's dashed "no correlations" contours). ``reference``: what the fractions
    multiply, ``"expected"`` (N^exp, a constant covariance: the paper's Eq. 6 with σ^k in
    per cent of the measured counts) or ``"theory"`` (N^th: exactly a normalisation pull
    per source, as in :mod:`cevns.stats.fits`).
    """

    members: tuple[ArrayMember, ...]
    systematics: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    background_fraction: float = 0.0
    correlated: bool = True
    reference: Literal["expected", "theory"] = "expected"
    name: str = "array"
    description: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        members = tuple(self.members)
        object.__setattr__(self, "members", members)
        if not members:
            raise ValueError("an array needs at least one member")
        labels = [m.label for m in members]
        if len(set(labels)) != len(labels):
            raise ValueError(f"member labels must be unique, got {', '.join(labels)}")
        systematics = {}
        for source, fractions in dict(self.systematics).items():
            values = tuple(float(f) for f in np.atleast_1d(np.asarray(fractions, dtype=float)))
            if len(values) == 1 and len(members) > 1:
                values = values * len(members)
            if len(values) != len(members):
                raise ValueError(f"systematic source {source!r} has {len(values)} values for {len(members)} members")
            if not all(np.isfinite(values)) or min(values) < 0:
                raise ValueError(f"systematic source {source!r}: fractional uncertainties must be finite and ≥ 0")
            systematics[source] = values
        object.__setattr__(self, "systematics", systematics)
        if not (np.isfinite(self.background_fraction) and self.background_fraction >= 0):
            raise ValueError(f"background_fraction must be finite and ≥ 0, got {self.background_fraction}")
        if self.reference not in ("expected", "theory"):
            raise ValueError(f"reference must be 'expected' or 'theory', got {self.reference!r}")

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(m.label for m in self.members)

    @property
    def has_data(self) -> bool:
        return all(m.observed is not None for m in self.members)

    def index(self, member: str | int) -> int:
        """Position of a member given by label or index."""
        if isinstance(member, (int, np.integer)):
            if not -len(self.members) <= member < len(self.members):
                raise ValueError(f"no member {member}: the array has {len(self.members)}")
            return int(member) % len(self.members)
        if member not in self.labels:
            raise ValueError(f"no member {member!r}; members: {', '.join(self.labels)}")
        return self.labels.index(member)

    def fractions(self) -> np.ndarray:
        """Fractional uncertainties, shape (sources, members)."""
        return np.array(list(self.systematics.values()), dtype=float).reshape(len(self.systematics), len(self.members))

    def routed(self, values: Mapping[str, float | str]) -> list[dict[str, float | str]]:
        """Named parameters per member: a per-isotope radius (``rn_76Ge``) goes only to
        the members whose target holds that isotope (and must be in one of them); every
        other parameter goes to all members."""
        out: list[dict[str, float | str]] = [{} for _ in self.members]
        for key, value in values.items():
            iso = _is_radius_of(key)
            hit = False
            for routed, member in zip(out, self.members):
                if iso is None or iso in member.isotopes:
                    routed[key] = value
                    hit = True
            if not hit:
                isotopes = sorted(set().union(*(m.isotopes for m in self.members)))
                raise ParameterError(f"{key}: {iso} is in no member of the array ({', '.join(isotopes)})")
        return out

    def signal(self, values: Mapping[str, float | str] | None = None, members: Sequence[int] | None = None) -> np.ndarray:
        """Expected counts of the ``members`` (indices, default all), concatenated in member
        order, at the named parameters ``values``."""
        routed = self.routed(values or {})
        chosen = range(len(self.members)) if members is None else members
        return np.concatenate([self.members[i].signal(routed[i]) for i in chosen])

    def without(self, *members: str | int) -> DetectorArray:
        """The smaller array without these members (their systematics dropped with them)."""
        drop = {self.index(m) for m in members}
        keep = [i for i in range(len(self.members)) if i not in drop]
        if not keep:
            raise ValueError("cannot remove every member of an array")
        return dataclasses.replace(
            self, members=tuple(self.members[i] for i in keep),
            systematics={k: tuple(v[i] for i in keep) for k, v in self.systematics.items()},
        )

    def uncorrelated(self) -> DetectorArray:
        """The same array with every systematic source independent between members."""
        return dataclasses.replace(self, correlated=False)

    def describe(self) -> dict[str, Any]:
        """A JSON-able description of everything the χ² depends on (e.g. to refuse resuming
        a scan made with another array): settings and, per member, its experiment's
        validated spec (None for a member given as a bare predictor) and observed counts."""
        return {
            "name": self.name, "systematics": {k: list(v) for k, v in self.systematics.items()},
            "background_fraction": self.background_fraction, "correlated": self.correlated, "reference": self.reference,
            "members": [
                {"label": m.label, "experiment": m.experiment.spec.model_dump(mode="json") if m.experiment is not None else None,
                 "observed": None if m.observed is None else m.observed.tolist()}
                for m in self.members
            ],
        }

    def likelihood(
        self, fixed: Mapping[str, float | str] | None = None, asimov: bool = False
    ) -> ArrayLikelihood:
        """χ² against the observed counts, or with ``asimov`` against the prediction at the
        ``fixed`` parameters (a forecast; default the members' own models, e.g. the SM)."""
        fixed = dict(fixed or {})
        if asimov:
            return ArrayLikelihood(self, self.signal(fixed), fixed, label=f"Asimov ({self.name})")
        if not self.has_data:
            missing = ", ".join(m.label for m in self.members if m.observed is None)
            raise ValueError(f"{self.name}: no observed counts for {missing}; use an Asimov forecast (--asimov)")
        observed = np.concatenate([m.observed for m in self.members])
        return ArrayLikelihood(self, observed, fixed, label=self.note or self.name)


def detector_array(
    members: Sequence[Experiment | RatePredictor],
    systematics: Mapping[str, float | Sequence[float]] | None = None,
    *,
    labels: Sequence[str] | None = None,
    observed: Sequence[float | Sequence[float]] | None = None,
    background_fraction: float = 0.0,
    correlated: bool = True,
    reference: Literal["expected", "theory"] = "expected",
    name: str = "array",
) -> DetectorArray:
    """A :class:`DetectorArray` from experiments or their predictors. ``labels`` default
    to the experiments' target names; ``systematics`` fractions are one number (the same
    for every member) or one per member; ``observed``: per member one total or one value
    per bin."""
    if labels is not None and len(labels) != len(members):
        raise ValueError(f"{len(labels)} labels for {len(members)} members")
    if observed is not None and len(observed) != len(members):
        raise ValueError(f"observed counts for {len(observed)} members, the array has {len(members)}")
    built = []
    for i, item in enumerate(members):
        exp = item if isinstance(item, Experiment) else None
        predictor = exp.predictor() if exp is not None else item
        if not isinstance(predictor, RatePredictor):
            raise TypeError(f"member {i + 1} is neither an Experiment nor a RatePredictor")
        label = labels[i] if labels is not None else (exp.target.name if exp is not None else f"member {i + 1}")
        obs = None if observed is None else np.atleast_1d(np.asarray(observed[i], dtype=float))
        built.append(ArrayMember(label, predictor, obs, exp))
    return DetectorArray(
        tuple(built), {k: tuple(np.atleast_1d(v)) for k, v in (systematics or {}).items()},
        background_fraction, correlated, reference, name,
    )


@dataclass(frozen=True)
class ArrayLikelihood:
    """Covariance χ² (arXiv:2011.10230, Eqs. 5–6) of an array against ``observed`` counts
    (all members' entries, concatenated; N^exp of the paper), as a function of named
    parameters; ``fixed`` ones are applied at every point.

    ``marginalised`` members are dropped from the χ² with their rows and columns of the
    covariance (:func:`cevns.stats.chi2.marginalise_detector`): the paper's "marginalizing
    over the missing detector", exact for a member whose prediction is free when the
    covariance does not depend on the prediction (``reference="expected"``). Use
    :meth:`without`.
    """

    array: DetectorArray
    observed: np.ndarray
    fixed: Mapping[str, float | str] = field(default_factory=dict)
    marginalised: tuple[int, ...] = ()
    label: str = ""
    #: Name of the test statistic (what the CLI reports next to a fit).
    statistic: ClassVar[str] = "covariance-chi2"

    def __post_init__(self) -> None:
        obs = np.asarray(self.observed, dtype=float)
        n = sum(m.entries for m in self.array.members)
        if obs.shape != (n,):
            raise ValueError(f"{self.array.name}: {obs.size} observed values for {n} entries of the array")
        object.__setattr__(self, "observed", obs)
        object.__setattr__(self, "fixed", dict(self.fixed))
        drop = tuple(sorted({self.array.index(m) for m in self.marginalised}))
        if len(drop) == len(self.array.members):
            raise ValueError("cannot marginalise every member of an array")
        object.__setattr__(self, "marginalised", drop)
        bad = [self.array.members[m].label for m in self.kept if np.any(obs[self._slices[m]] <= 0)]
        if bad:
            raise ValueError(
                f"{self.array.name}: expected counts must be > 0 in every entry (their Poisson variance is the "
                f"statistical term of Eq. 6); not so for {', '.join(bad)}"
            )

    # layout of the χ² vector
    @cached_property
    def _slices(self) -> tuple[slice, ...]:
        ends = np.cumsum([0] + [m.entries for m in self.array.members])
        return tuple(slice(int(a), int(b)) for a, b in itertools.pairwise(ends))

    @property
    def name(self) -> str:
        return self.array.name

    @property
    def kept(self) -> tuple[int, ...]:
        """Indices of the members in the χ² (all but the marginalised)."""
        return tuple(i for i in range(len(self.array.members)) if i not in self.marginalised)

    @cached_property
    def _owner(self) -> np.ndarray:
        """Member index of every entry of the full vector."""
        return np.concatenate([np.full(m.entries, i) for i, m in enumerate(self.array.members)])

    @cached_property
    def _dropped_entries(self) -> np.ndarray:
        return np.flatnonzero(np.isin(self._owner, self.marginalised))

    @cached_property
    def _kept_entries(self) -> np.ndarray:
        return np.flatnonzero(~np.isin(self._owner, self.marginalised))

    def _full_covariance(self, theory: np.ndarray | None) -> np.ndarray:
        """Eq. 6 over all entries: σ^k_i = f_k,member(i) N^ref_i; without correlations the
        systematic terms are kept only within a member's own entries."""
        a = self.array
        frac = a.fractions()[:, self._owner]
        cov = covariance_matrix(
            self.observed, frac, theory=theory, reference=a.reference, background_fraction=a.background_fraction
        )
        if not a.correlated:
            cov = cov * (self._owner[:, None] == self._owner[None, :])
        return cov

    @cached_property
    def _expected_covariance(self) -> np.ndarray:
        """The constant covariance (``reference="expected"``) of the kept entries."""
        full = self._full_covariance(None)
        if not self.marginalised:
            return full
        return marginalise_detector(full, self.observed, self._dropped_entries)[0]

    def covariance(self, values: Mapping[str, float | str] | None = None) -> np.ndarray:
        """σ²_ij of the entries in the χ² (at ``values`` when it depends on the theory)."""
        if self.array.reference == "expected":
            return self._expected_covariance.copy()
        theory = self.observed.copy()  # dropped entries: any value, their rows go
        theory[self._kept_entries] = self.signal(values)
        full = self._full_covariance(theory)
        return marginalise_detector(full, theory, self._dropped_entries)[0] if self.marginalised else full

    # the interface of cevns.stats.fits.Likelihood
    def signal(self, values: Mapping[str, float | str] | None = None) -> np.ndarray:
        """Expected counts per entry of the members in the χ² (marginalised ones left out),
        concatenated in member order."""
        return self.array.signal({**self.fixed, **(values or {})}, self.kept)

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        """χ² for predictions of shape (..., entries in the χ²), vectorised over the batch."""
        s = np.asarray(signal, dtype=float)
        expected = self.observed[self._kept_entries]
        if self.array.reference == "expected":
            return covariance_chi2(expected, s, self._expected_covariance)
        a = self.array
        frac = a.fractions()[:, self._owner[self._kept_entries]]
        cov = covariance_matrix(expected, frac, theory=s, reference="theory", background_fraction=a.background_fraction)
        if not a.correlated:
            owner = self._owner[self._kept_entries]
            cov = cov * (owner[:, None] == owner[None, :])
        return covariance_chi2(expected, s, cov)

    def chi2(self, values: Mapping[str, float | str] | None = None) -> float:
        return float(self.chi2_from_signal(self.signal(values)))

    def with_fixed(self, values: Mapping[str, float | str]) -> ArrayLikelihood:
        """The same likelihood with more parameters fixed (``values`` override ``fixed``)."""
        return dataclasses.replace(self, fixed={**self.fixed, **values})

    def asimov(self, values: Mapping[str, float | str] | None = None) -> ArrayLikelihood:
        """The forecast version: data = the prediction of every member at ``values`` (on
        top of ``fixed``; default the members' own models, e.g. the SM)."""
        observed = self.array.signal({**self.fixed, **(values or {})})
        return dataclasses.replace(self, observed=observed, label=f"Asimov ({self.array.name})")

    def without(self, *members: str | int) -> ArrayLikelihood:
        """Marginalise these members (by label or index): their entries leave the χ² and
        the covariance loses their rows and columns (Galindo-Uribarri et al., Figs. 2–4)."""
        drop = {self.array.index(m) for m in members} | set(self.marginalised)
        return dataclasses.replace(self, marginalised=tuple(sorted(drop)))

    def uncorrelated(self) -> ArrayLikelihood:
        """The same data with every systematic source independent between members."""
        return dataclasses.replace(self, array=self.array.uncorrelated())


# --- TOML schema ------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


_Fraction = Annotated[float, Field(ge=0)]


class MemberSpec(_Strict):
    experiment: str = Field(min_length=1)
    label: str | None = Field(default=None, min_length=1)
    overrides: dict[str, Any] = Field(default={}, alias="set")


class SystematicsSpec(_Strict):
    background_fraction: float = Field(default=0.0, ge=0)
    correlated: bool = True
    reference: Literal["expected", "theory"] = "expected"
    sources: dict[str, list[_Fraction] | _Fraction] = {}


class ArrayDataSpec(_Strict):
    observed: list[list[Annotated[float, Field(ge=0)]] | Annotated[float, Field(ge=0)]]
    note: str = ""


class ArraySpec(_Strict):
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


def _arrays_dir():
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
        return "member" in tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # load_experiment reports the problem


def load_likelihood(
    name_or_path: str,
    settings: Mapping[str, Any] | Iterable[str] | None = None,
    fixed: Mapping[str, float | str] | None = None,
    asimov: bool = False,
) -> Likelihood | ArrayLikelihood:
    """The χ² of an experiment (:class:`cevns.stats.fits.Likelihood`, its ``[data]``) or of an
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
    lk = Likelihood(exp.predictor(), exp.measurement(forecast=asimov), fixed)
    return lk.asimov() if asimov else lk


__all__ = [
    "ARRAY_KEYS",
    "ArrayError",
    "ArrayLikelihood",
    "ArrayMember",
    "ArraySpec",
    "DetectorArray",
    "detector_array",
    "is_array",
    "load_array",
    "load_likelihood",
    "shipped_arrays",
]
