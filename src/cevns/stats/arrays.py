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
:class:`ArrayLikelihood` is its χ²(θ) of named physics parameters, a
:class:`cevns.stats.likelihood.Likelihood`, so arrays are fitted, profiled and scanned
unchanged.

Entries of the χ² vector are the members' data entries in member order: one counting bin
per member in the paper (and in the shipped arrays), or each member's analysis bins. A
member's systematic shifts are common to all its bins (a normalisation); with
``correlated=False`` they are independent between members (the paper's "uncorrelated"
dashed contours) but still common to a member's bins.

The TOML format (``[[member]]`` tables, ``[systematics]``, ``[data]``) is read by
:func:`cevns.stats.array_files.load_array`; shipped arrays live in ``cevns/data/arrays``.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar, Literal

import numpy as np

from cevns.config.built import Experiment
from cevns.errors import InputError
from cevns.physics.parameters import ParameterError
from cevns.rates.prediction import RatePredictor
from cevns.stats.chi2 import covariance_chi2, covariance_matrix, marginalise_detector


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
            raise InputError("an array member needs a label")
        if self.observed is not None:
            obs = np.asarray(self.observed, dtype=float)
            if obs.ndim != 1 or obs.size not in (1, self.bins):
                raise InputError(f"member {self.label}: give one observed total or one value per bin ({self.bins})")
            if not np.all(np.isfinite(obs)) or np.any(obs < 0):
                raise InputError(f"member {self.label}: observed counts must be finite and ≥ 0")
            object.__setattr__(self, "observed", obs)

    @property
    def bins(self) -> int:
        """Analysis bins of the member's experiment: observable bins × time bins when it
        bins arrival times (the entries of ``predictor.binned(...).per_bin``)."""
        return int(self.predictor.n_bins)

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
            raise InputError("an array needs at least one member")
        labels = [m.label for m in members]
        if len(set(labels)) != len(labels):
            raise InputError(f"member labels must be unique, got {', '.join(labels)}")
        systematics = {}
        for source, fractions in dict(self.systematics).items():
            values = tuple(float(f) for f in np.atleast_1d(np.asarray(fractions, dtype=float)))
            if len(values) == 1 and len(members) > 1:
                values = values * len(members)
            if len(values) != len(members):
                raise InputError(f"systematic source {source!r} has {len(values)} values for {len(members)} members")
            if not all(np.isfinite(values)) or min(values) < 0:
                raise InputError(f"systematic source {source!r}: fractional uncertainties must be finite and ≥ 0")
            systematics[source] = values
        object.__setattr__(self, "systematics", systematics)
        if not (np.isfinite(self.background_fraction) and self.background_fraction >= 0):
            raise InputError(f"background_fraction must be finite and ≥ 0, got {self.background_fraction}")
        if self.reference not in ("expected", "theory"):
            raise InputError(f"reference must be 'expected' or 'theory', got {self.reference!r}")

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
                raise InputError(f"no member {member}: the array has {len(self.members)}")
            return int(member) % len(self.members)
        if member not in self.labels:
            raise InputError(f"no member {member!r}; members: {', '.join(self.labels)}")
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
            raise InputError("cannot remove every member of an array")
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
            raise InputError(f"{self.name}: no observed counts for {missing}; use an Asimov forecast (--asimov)")
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
        raise InputError(f"{len(labels)} labels for {len(members)} members")
    if observed is not None and len(observed) != len(members):
        raise InputError(f"observed counts for {len(observed)} members, the array has {len(members)}")
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
            raise InputError(f"{self.array.name}: {obs.size} observed values for {n} entries of the array")
        object.__setattr__(self, "observed", obs)
        object.__setattr__(self, "fixed", dict(self.fixed))
        drop = tuple(sorted({self.array.index(m) for m in self.marginalised}))
        if len(drop) == len(self.array.members):
            raise InputError("cannot marginalise every member of an array")
        object.__setattr__(self, "marginalised", drop)
        bad = [self.array.members[m].label for m in self.kept if np.any(obs[self._slices[m]] <= 0)]
        if bad:
            raise InputError(
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

    def _covariance(self, owner: np.ndarray, expected: np.ndarray, theory: np.ndarray | None) -> np.ndarray:
        """Eq. 6 over the entries of members ``owner``: σ^k_i = f_k,member(i) N^ref_i; without
        correlations the systematic terms are kept only within a member's own entries."""
        a = self.array
        cov = covariance_matrix(
            expected, a.fractions()[:, owner], theory=theory, reference=a.reference, background_fraction=a.background_fraction
        )
        if not a.correlated:
            cov = cov * (owner[:, None] == owner[None, :])
        return cov

    def _full_covariance(self, theory: np.ndarray | None) -> np.ndarray:
        """Eq. 6 over all entries."""
        return self._covariance(self._owner, self.observed, theory)

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

    # the interface of cevns.stats.likelihood.Likelihood
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
        return covariance_chi2(expected, s, self._covariance(self._owner[self._kept_entries], expected, s))

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



__all__ = ["ArrayLikelihood", "ArrayMember", "DetectorArray", "detector_array"]
