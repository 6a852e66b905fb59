"""Lazy re-exports for the layer packages: a package lists, per module, the public names
it re-exports; each module is imported only when one of its names is first used, so that
``import cevns.<layer>`` stays cheap (no numpy, scipy or pydantic until needed)."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_exports(
    package: str, exports: Mapping[str, tuple[str, ...]]
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` for ``package`` re-exporting ``exports``
    (module name inside the package → the public names it defines).

    A name is resolved once, on first access, and cached in the package's namespace."""
    public = [name for names in exports.values() for name in names]
    module_of = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(importlib.import_module(package), name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(public)

    return public, __getattr__, __dir__
