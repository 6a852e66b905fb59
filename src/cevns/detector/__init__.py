"""Detector response: from a nuclear recoil energy to counts in analysis bins.

* :mod:`~cevns.detector.response`: quenching (constant, Lindhard, polynomial, table), the
  observable (keVnr, keVee, photoelectrons), efficiency, resolution, binning, composed in
  :class:`~cevns.detector.response.DetectorResponse`.

Imports: :mod:`cevns.physics` and below (units, runtime, errors); not
:mod:`cevns.sources` (an independent layer at the same level) nor anything above.
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # no run-time import of typing: importing the package stays cheap
    from typing import Any

#: module of this package → the public names it defines, re-exported here and imported
#: lazily, on first use
_EXPORTS: dict[str, tuple[str, ...]] = {
    "response": (
        "Quenching", "ConstantQuenching", "LindhardQuenching", "PolynomialQuenching",
        "TableQuenching", "ObservableKind", "Observable", "Efficiency", "UnitEfficiency",
        "LogisticEfficiency", "WeibullEfficiency", "TableEfficiency", "FunctionEfficiency",
        "ResolutionModel", "Resolution", "bin_edges", "DetectorResponse",
    ),
}

__all__ = [name for names in _EXPORTS.values() for name in names]
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
