"""Changing any input of an experiment by its dotted path: ``--set`` values and the
overrides a user puts in force around code that loads experiments by name.

``detector.mass_kg=20`` sets one field of the TOML tables before validation (so the
schema checks an override like any other value). :func:`experiment_overrides` makes
:func:`cevns.config.experiments.load_experiment` apply a user's changes to every
experiment of that name loaded inside the block (``cevns reproduce --set NAME:PATH=VALUE``),
and :func:`cached_per_overrides` keeps caches of anything built from experiments keyed by
those changes.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar, cast

from cevns.config.files import TOMLDecodeError, ExperimentError, parse_toml


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
        value = parse_toml(f"v = {raw.strip()}")["v"]
    except TOMLDecodeError:
        value = raw.strip()
    return path, value


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``data`` with each dotted path set (intermediate tables are created; the
    schema validation that follows rejects paths that do not exist)."""
    out = copy.deepcopy(dict(data))
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


def user_overrides_for(name: str) -> dict[str, Any]:
    """The user's overrides in force for the experiment ``name`` ({} for none), recording
    that ``name`` was loaded inside the innermost :func:`experiment_overrides` block."""
    loaded = _LOADED.get()
    if loaded is not None:
        loaded.add(name)
    return dict(_USER_OVERRIDES.get().get(name, {}))


F = TypeVar("F", bound=Callable[..., Any])


def cached_per_overrides(function: F) -> F:
    """``functools.cache`` whose key includes the overrides in force: a cached experiment (or
    anything built from one) never outlives a change of inputs. ``cache_clear()`` empties it."""

    @functools.cache
    def keyed(key: str, *args: Any) -> Any:
        return function(*args)

    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        import json  # on the first call, not at start-up (``cevns events`` never calls it)

        return keyed(json.dumps(_USER_OVERRIDES.get(), sort_keys=True, default=str), *args)

    wrapper.cache_clear = keyed.cache_clear  # type: ignore[attr-defined]  # functools.cache's interface
    return cast(F, wrapper)


__all__ = [
    "active_experiment_overrides",
    "apply_overrides",
    "cached_per_overrides",
    "experiment_overrides",
    "parse_override",
    "user_overrides_for",
]
