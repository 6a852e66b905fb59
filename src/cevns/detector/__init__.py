"""Detector response: from a nuclear recoil energy to counts in analysis bins.

* :mod:`~cevns.detector.response`: quenching (constant, Lindhard, polynomial, table), the
  observable (keVnr, keVee, photoelectrons), efficiency, resolution, binning, composed in
  :class:`~cevns.detector.response.DetectorResponse`; the forms few experiments use
  (Lindhard, polynomial, table quenching; Weibull, table, function efficiencies) are
  defined in :mod:`~cevns.detector.response_models` and re-exported by ``response``.
* :mod:`~cevns.detector.quenching_models`: published quenching models and their nuisances.

Imports: :mod:`cevns.physics` and below (units, runtime, errors); not
:mod:`cevns.sources` (an independent layer at the same level) nor anything above.
"""

from __future__ import annotations

from cevns._lazy import lazy_exports

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

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
