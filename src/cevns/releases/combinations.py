"""Combination files: joint fits of several experiments, arrays and data releases with
shared nuisance parameters (:class:`cevns.stats.joint.JointLikelihood`).

A combination is a TOML file (shipped ones live in ``cevns/data/combinations``)::

    name = "coherent-sns"
    description = "one line"
    references = ["..."]

    [[member]]
    label = "CsI"                  # optional; default: the release, experiment or array name
    release = "csi-2021"           # a data release of the registry (cevns release list) ...
    experiment = "coherent-csi-2021"   # ... compared with this experiment (default: the release's own)
    folder = "data/csi-2021"       # optional, relative to the TOML file
    set = { "detector.mass_kg" = 14.6 }   # optional overrides of the member's experiment

    [[member]]
    experiment = "coherent-csi-2017"   # an experiment (name or .toml path) with its [data]
    # or: array = "ge-array-sns"       # a detector array (name or .toml path)

    [[shared]]
    name = "sns-flux"
    kind = "signal-normalisation"
    members = { CsI = 0.10, LAr = 0.10 }   # member label = fractional sigma

    [[shared]]
    name = "ge-quenching"
    kind = "quenching"                     # computed: see below
    members = ["CONUS+", "CONUS"]          # experiment members of one element

Exactly one of ``experiment``, ``array`` or ``release`` makes a member (``experiment`` goes
with ``release`` to name the experiment compared with the release). The folder of a release
member is, in this order: the one given for that release name by the caller
(``cevns fit --data-release NAME=DIR``), the member's ``folder``, or
``$CEVNS_RELEASE_DATA/<release name>``.

**A shared quenching nuisance** (``kind = "quenching"``) is computed, not typed: for each
named member (an experiment whose ``[detector.quenching]`` declares an uncertainty, see
:func:`cevns.config.experiments.quenching_nuisance`: Lindhard-type k ± σ_k, a named model's
shift ± 1 or an interpolation's t ± 0.5) the full predictions S₊ and S₋ at the +1σ and −1σ
variants and S₀ at the central model give the symmetrised relative change

.. math::
   s_m = \\frac{S_{+,m} - S_{-,m}}{2\\,S_{0,m}}

of the member's total count (at the combination's fixed physics parameters, the Standard
Model by default, and with the member's own ``set`` and the caller's overrides). A counting
experiment's quenching uncertainty is then exactly a signal normalisation, and the members
share one η ~ N(0, 1) as a "signal-normalisation" nuisance with these s_m (for a binned
experiment it is the linearised total-count part of the shape change). The members must
have the same one-element target (one material's quenching); their s_m must have one sign
(a larger parameter moves every member's count the same way); each member's own
``signal_uncertainty`` must contain its s_m, as for any shared normalisation.

Every problem is one line, an :class:`~cevns.errors.InputError` naming the file.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cevns.config.files import TOMLDecodeError, parse_toml, read_toml_file, shipped_files
from cevns.config.overrides import apply_overrides
from cevns.errors import InputError
from cevns.stats.joint import SHARED_KINDS, JointLikelihood, JointMember, SharedNuisance
from cevns.stats.likelihood import Likelihood

if TYPE_CHECKING:
    from cevns.config.files import Traversable

#: The environment variable naming a folder with one sub-folder per release name.
RELEASE_DATA_ENV = "CEVNS_RELEASE_DATA"
#: Top-level keys of a combination file (``--set`` paths starting with one of them change the
#: file; every other ``--set`` applies to each member's experiment).
COMBINATION_KEYS = frozenset({"name", "description", "references", "member", "shared"})
_MEMBER_KEYS = frozenset({"label", "experiment", "array", "release", "folder", "set"})
_SHARED_KEYS = frozenset({"name", "kind", "members"})
#: The computed shared kind of a combination file (a signal normalisation per member).
QUENCHING_KIND = "quenching"


class CombinationError(InputError):
    """A combination file that cannot be read or built (one line, naming the file)."""


def _combinations_dir() -> Traversable:
    return resources.files("cevns") / "data" / "combinations"


def shipped_combinations() -> dict[str, str]:
    """Names of the shipped combinations and their one-line descriptions."""
    return shipped_files(_combinations_dir())


def is_combination(name_or_path: str) -> bool:
    """True for a shipped combination name or a TOML file with ``[[shared]]`` tables or
    ``release`` members (what tells a combination from an array file)."""
    if (_combinations_dir() / f"{name_or_path}.toml").is_file():
        return True
    path = Path(name_or_path)
    if path.suffix != ".toml" or not path.is_file():
        return False
    try:
        data = parse_toml(path.read_text())
    except (OSError, UnicodeDecodeError, TOMLDecodeError):
        return False
    members = data.get("member")
    return "shared" in data or (isinstance(members, list) and any(isinstance(m, dict) and "release" in m for m in members))


@dataclass(frozen=True)
class Combination:
    """A loaded combination: ``name``, ``description``, ``references``, the
    ``likelihood`` and, per member, the experiment it was built from (a name or path;
    None for an array), e.g. for start values of a fit."""

    name: str
    description: str
    references: tuple[str, ...]
    likelihood: JointLikelihood
    experiments: tuple[str | None, ...]

    def describe(self) -> dict[str, Any]:
        """JSON-serialisable description (scan stores, reports)."""
        return {"combination": self.name, "description": self.description, "references": list(self.references),
                "experiments": list(self.experiments), **self.likelihood.describe()}


def _split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    own = {k: v for k, v in overrides.items() if k.split(".", 1)[0] in COMBINATION_KEYS}
    return own, {k: v for k, v in overrides.items() if k not in own}


def _release_folder(origin: str, label: str, release_name: str, member: Mapping[str, Any], base: Path | None,
                    release_dirs: Mapping[str, str | Path]) -> Path:
    if release_name in release_dirs:
        return Path(release_dirs[release_name]).expanduser()
    if "folder" in member:
        folder = Path(str(member["folder"])).expanduser()
        return folder if folder.is_absolute() or base is None else base / folder
    env = os.environ.get(RELEASE_DATA_ENV)
    if env:
        return Path(env).expanduser() / release_name
    raise CombinationError(f"{origin}: member {label}: no folder for release {release_name}: give --data-release "
                           f"{release_name}=DIR or set {RELEASE_DATA_ENV} to a folder holding {release_name}/")


def _member_likelihood(origin: str, label: str, member: Mapping[str, Any], base: Path | None, overrides: dict[str, Any],
                       release_dirs: Mapping[str, str | Path], asimov: bool, verify: bool) -> tuple[Likelihood, str | None]:
    """(likelihood with its data, the experiment it was built from) of one member."""
    from cevns.config.experiments import load_experiment
    from cevns.releases.files import verify_release
    from cevns.releases.registry import identify_release, predicts_own_signal, release
    from cevns.stats.array_files import load_array
    from cevns.stats.fits import ExperimentLikelihood

    def path_of(ref: str) -> str:
        return str(base / ref) if ref.endswith(".toml") and not Path(ref).is_absolute() and base is not None else ref

    if "release" in member:
        rel = release(str(member["release"]))
        if rel.likelihood is None:
            raise CombinationError(f"{origin}: member {label}: release {rel.name} has no likelihood yet")
        folder = _release_folder(origin, label, rel.name, member, base, release_dirs)
        found = identify_release(folder)
        if found.name != rel.name:
            raise CombinationError(f"{origin}: member {label}: {folder} holds release {found.name}, not {rel.name}")
        if verify:
            verify_release(rel, folder, strict=True)
        experiment = path_of(str(member.get("experiment") or rel.experiment))
        likelihood = rel.likelihood(folder, experiment, overrides, None)
        if predicts_own_signal(likelihood):  # no experiment file behind it (xenonnt-8b)
            return likelihood, None
        return likelihood, experiment
    if "array" in member:
        return load_array(path_of(str(member["array"])), overrides).likelihood({}, asimov), None
    experiment = path_of(str(member["experiment"]))
    exp = load_experiment(experiment, overrides)
    return ExperimentLikelihood(exp.predictor(), exp.measurement(forecast=asimov)), experiment


def _default_label(member: Mapping[str, Any]) -> str:
    ref = str(member.get("release") or member.get("array") or member.get("experiment"))
    return Path(ref).stem if ref.endswith(".toml") else ref


@dataclass(frozen=True)
class QuenchingEffect:
    """The effect of a member's ±1σ quenching on its total predicted count: ``central``
    S₀, ``plus`` S₊, ``minus`` S₋ (events), the nuisance ``name`` (qf_k, qf_shift, qf_t)
    and the target ``element``."""

    name: str
    element: str
    central: float
    plus: float
    minus: float

    @property
    def normalisation(self) -> float:
        """s = (S₊ − S₋)/(2 S₀): the symmetrised fractional change per 1σ (signed)."""
        return (self.plus - self.minus) / (2.0 * self.central)


def quenching_effect(experiment: str, overrides: Mapping[str, Any] | None = None,
                     values: Mapping[str, float | str] | None = None) -> QuenchingEffect:
    """Full predictions of ``experiment`` (with ``overrides``) at its central quenching and at
    the ±1σ variants of :func:`cevns.config.experiments.quenching_nuisance`, at the physics
    ``values``. InputError (one line) for a target of several elements or an experiment
    whose quenching declares no uncertainty."""
    from cevns.config.experiments import load_experiment, quenching_nuisance

    base = dict(overrides or {})
    exp = load_experiment(experiment, base)
    elements = sorted({iso.symbol for iso in exp.target.isotopes})
    if len(elements) != 1:
        raise InputError(f"target {exp.spec.target.material} has several elements ({', '.join(elements)}); "
                         "a quenching nuisance is shared by detectors of one element")
    nuisance = quenching_nuisance(exp.spec.detector)
    if nuisance is None:
        raise InputError(f"{exp.name} declares no quenching uncertainty (give detector.quenching.k_uncertainty, "
                         "or a named or interpolated quenching model)")
    at = dict(values or {})

    def total(extra: Mapping[str, float]) -> float:
        return float(load_experiment(experiment, {**base, **extra}).binned_counts(at).total)

    central = float(exp.binned_counts(at).total)
    if not central > 0:
        raise InputError(f"{exp.name} predicts no signal, so its quenching has no relative effect")
    return QuenchingEffect(nuisance.name, elements[0], central, total(nuisance.plus), total(nuisance.minus))


def _quenching_shared(origin: str, name: str, labels: Any, member_inputs: Mapping[str, tuple[str | None, dict[str, Any]]],
                      values: Mapping[str, float | str]) -> SharedNuisance:
    """The ``kind = "quenching"`` table ``name`` as a signal-normalisation nuisance with the
    computed s_m of :func:`quenching_effect` (module docstring)."""
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) for x in labels):
        raise CombinationError(f"{origin}: shared nuisance {name}: a quenching nuisance lists its members "
                               f"(members = [\"label\", ...]); the normalisations are computed")
    missing = [x for x in labels if x not in member_inputs]
    if missing:
        raise CombinationError(f"{origin}: shared nuisance {name} names {missing[0]!r}, which is not a member "
                               f"(members: {', '.join(member_inputs)})")
    effects: dict[str, QuenchingEffect] = {}
    for label in labels:
        experiment, overrides = member_inputs[label]
        if experiment is None:
            raise CombinationError(f"{origin}: shared nuisance {name}: member {label} is not an experiment "
                                   "(a computed quenching nuisance needs experiment members)")
        try:
            effects[label] = quenching_effect(experiment, overrides, values)
        except ValueError as exc:
            raise CombinationError(f"{origin}: shared nuisance {name}: member {label}: {exc}") from None
    first = labels[0]
    for label, effect in effects.items():
        if effect.element != effects[first].element:
            raise CombinationError(f"{origin}: shared nuisance {name}: member {label} is {effect.element}, not "
                                   f"{effects[first].element} like {first} (a quenching nuisance is shared by "
                                   "detectors of one element)")
    signs = {math.copysign(1.0, e.normalisation) for e in effects.values() if e.normalisation != 0.0}
    if len(signs) > 1:
        raise CombinationError(f"{origin}: shared nuisance {name}: the members' counts move in opposite directions "
                               "with their quenching parameters; share it only between like models")
    return SharedNuisance(name, {label: abs(e.normalisation) for label, e in effects.items()}, "signal-normalisation")


def load_combination(
    name_or_path: str,
    overrides: Mapping[str, Any] | None = None,
    release_dirs: Mapping[str, str | Path] | None = None,
    fixed: Mapping[str, float | str] | None = None,
    asimov: bool = False,
    verify: bool = True,
) -> Combination:
    """Read a shipped combination (by name) or a combination TOML file and build its joint
    likelihood. ``overrides``: dotted paths into the file (``shared``, ``member``, ...) or
    into every member's experiment (any other path, after the member's own ``set``);
    ``release_dirs``: release name → folder; ``fixed``: physics parameters applied at every
    point; ``asimov``: every member against its prediction at ``fixed`` (a forecast; members
    that are experiments then need no observed counts); ``verify``: check every file of each
    release member against its SHA-256 first (:func:`cevns.releases.files.verify_release`)."""
    origin, data, base = read_toml_file(name_or_path, _combinations_dir(), "combination", shipped_combinations,
                                        CombinationError)
    own, shared_overrides = _split_overrides(dict(overrides or {}))
    data = apply_overrides(data, own)
    unknown = sorted(set(data) - COMBINATION_KEYS)
    if unknown:
        raise CombinationError(f"{origin}: unknown field '{unknown[0]}'")
    members = data.get("member")
    if not isinstance(members, list) or not members or not all(isinstance(m, dict) for m in members):
        raise CombinationError(f"{origin}: a combination needs [[member]] tables")
    built: list[JointMember] = []
    experiments: list[str | None] = []
    member_inputs: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for i, m in enumerate(members, start=1):
        bad = sorted(set(m) - _MEMBER_KEYS)
        if bad:
            raise CombinationError(f"{origin}: member {i}: unknown field '{bad[0]}'")
        kinds = [k for k in ("array", "release") if k in m] + (["experiment"] if "experiment" in m and "release" not in m else [])
        if len(kinds) != 1:
            raise CombinationError(f"{origin}: member {i}: give exactly one of experiment, array or release")
        label = str(m.get("label") or _default_label(m))
        sets = m.get("set", {})
        if not isinstance(sets, dict):
            raise CombinationError(f"{origin}: member {label}: 'set' must be a table of dotted paths")
        try:
            lk, exp = _member_likelihood(origin, label, m, base, {**sets, **shared_overrides}, dict(release_dirs or {}), asimov,
                                         verify)
        except CombinationError:
            raise
        except ValueError as exc:  # InputError, ExperimentError, ArrayError, ParameterError
            raise CombinationError(f"{origin}: member {label}: {exc}") from None
        built.append(JointMember(label, lk))
        experiments.append(exp)
        is_experiment = "experiment" in m and "release" not in m
        member_inputs[label] = (exp if is_experiment else None, {**sets, **shared_overrides})
    shared = []
    tables = data.get("shared", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise CombinationError(f"{origin}: 'shared' must be [[shared]] tables")
    labels = [b.label for b in built]
    for i, t in enumerate(tables, start=1):
        bad = sorted(set(t) - _SHARED_KEYS)
        if bad:
            raise CombinationError(f"{origin}: shared nuisance {i}: unknown field '{bad[0]}'")
        name = str(t.get("name") or f"shared-{i}")
        kind = str(t.get("kind", ""))
        if kind == QUENCHING_KIND:
            shared.append(_quenching_shared(origin, name, t.get("members"), member_inputs, dict(fixed or {})))
            continue
        if kind not in SHARED_KINDS:
            raise CombinationError(f"{origin}: shared nuisance {name}: kind must be one of "
                                   f"{', '.join((*SHARED_KINDS, QUENCHING_KIND))}, got {kind!r}")
        sigmas = t.get("members")
        if not isinstance(sigmas, dict) or not sigmas:
            raise CombinationError(f"{origin}: shared nuisance {name} has no members (members = {{label = sigma, ...}})")
        missing = [k for k in sigmas if k not in labels]
        if missing:
            raise CombinationError(f"{origin}: shared nuisance {name} names {missing[0]!r}, which is not a member "
                                   f"(members: {', '.join(labels)})")
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0 for v in sigmas.values()):
            raise CombinationError(f"{origin}: shared nuisance {name}: each member's sigma must be a number ≥ 0")
        shared.append(SharedNuisance(name, {k: float(v) for k, v in sigmas.items()}, kind))
    cname = str(data.get("name") or Path(origin).stem)
    try:
        joint = JointLikelihood(tuple(built), tuple(shared), dict(fixed or {}), cname)
    except ValueError as exc:
        raise CombinationError(f"{origin}: {exc}") from None
    if asimov:
        joint = joint.asimov()
    references = data.get("references", [])
    return Combination(cname, str(data.get("description", "")),
                       tuple(map(str, references if isinstance(references, list) else [references])), joint, tuple(experiments))


__all__ = [
    "COMBINATION_KEYS",
    "QUENCHING_KIND",
    "RELEASE_DATA_ENV",
    "Combination",
    "CombinationError",
    "QuenchingEffect",
    "is_combination",
    "load_combination",
    "quenching_effect",
    "shipped_combinations",
]
