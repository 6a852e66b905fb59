"""Shipped variants of an experiment, loaded as that experiment so that a user's ``--set`` reaches them.

Some shipped experiments are another shipped experiment with different bins and data: the
COHERENT CsI[Na] 2017 residual per 2-PE bin (``coherent-csi-2017-energy``) and per 0.5-µs bin
(``coherent-csi-2017-time``) are the single-bin ``coherent-csi-2017`` (COHERENT, Science 357,
1123 (2017), arXiv:1708.01294; data release arXiv:1804.09459) with its ``[data]`` table and
energy/time bins replaced. :func:`load_variant` loads such a variant ``NAME-SUFFIX`` as
``NAME`` with those tables set, so ``cevns reproduce --set NAME:PATH=VALUE`` (e.g.
``coherent-csi-2017:detector.mass_kg=29.14``) changes every figure built on ``NAME``, variants
included, and the ``--set`` bookkeeping sees ``NAME`` loaded. Without ``--set`` the result is
the variant file as shipped, value for value.

The rule: a shipped file ``NAME-SUFFIX`` whose tables equal those of the shipped ``NAME``
except for :data:`VARIANT_TABLES` is a variant of ``NAME``; user overrides for ``NAME`` apply
to it (after the variant's tables, so an override of a binning or data key lands on the
variant's table), then those for ``NAME-SUFFIX`` itself. Any other file loads as it is.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from importlib import resources
from typing import Any

from cevns.config.experiments import Experiment, load_experiment, shipped_experiments
from cevns.config.files import parse_toml
from cevns.config.overrides import user_overrides_for

#: Dotted paths of the tables (or values) in which a variant may differ from its base
#: experiment: its name and description, its data, and its energy and time binning.
VARIANT_TABLES: tuple[str, ...] = ("name", "description", "data", "detector.bins", "detector.time")

_MISSING = object()


def _shipped_table(name: str) -> dict[str, Any]:
    """The parsed TOML of the shipped experiment ``name``."""
    entry = resources.files("cevns") / "data" / "experiments" / f"{name}.toml"
    return parse_toml(entry.read_text())


def _get(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _without(data: Mapping[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``data`` with each dotted path of ``paths`` removed."""
    out = copy.deepcopy(dict(data))
    for path in paths:
        *parents, last = path.split(".")
        node: Any = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(last, None)
    return out


def variant_base(name: str) -> str | None:
    """The shipped experiment of which the shipped ``name`` is a variant (see the module's rule),
    or None: the longest shipped ``NAME`` with ``name`` = ``NAME-SUFFIX`` whose tables equal
    ``name``'s outside :data:`VARIANT_TABLES`."""
    shipped = shipped_experiments()
    if name not in shipped:
        return None
    parts = name.split("-")
    for k in range(len(parts) - 1, 0, -1):
        base = "-".join(parts[:k])
        if base in shipped:
            if _without(_shipped_table(base), VARIANT_TABLES) == _without(_shipped_table(name), VARIANT_TABLES):
                return base
            return None
    return None


def variant_overrides(name: str, base: str) -> dict[str, Any]:
    """The overrides (dotted path → value) that turn the shipped ``base`` into its variant
    ``name``: each of :data:`VARIANT_TABLES` set to the variant's table (None where the variant
    has none and the base has one, e.g. no arrival-time selection)."""
    variant, original = _shipped_table(name), _shipped_table(base)
    out: dict[str, Any] = {}
    for path in VARIANT_TABLES:
        value = _get(variant, path)
        if value is not _MISSING:
            out[path] = value
        elif _get(original, path) is not _MISSING:
            out[path] = None
    return out


def load_variant(name: str, overrides: Mapping[str, Any] | None = None) -> Experiment:
    """:func:`cevns.config.experiments.load_experiment` of ``name``, except that a shipped variant
    ``NAME-SUFFIX`` of a shipped ``NAME`` (:func:`variant_base`) is loaded as ``NAME`` with the
    variant's tables, then ``overrides``, then the user's overrides for ``NAME-SUFFIX``, and last
    the user's overrides for ``NAME`` (``cevns reproduce --set NAME:PATH=VALUE``)."""
    base = variant_base(name) if isinstance(name, str) else None
    if base is None or (overrides is not None and not isinstance(overrides, Mapping)):
        return load_experiment(name, overrides)
    return load_experiment(base, {**variant_overrides(name, base), **dict(overrides or {}), **user_overrides_for(name)})


__all__ = ["VARIANT_TABLES", "load_variant", "variant_base", "variant_overrides"]
