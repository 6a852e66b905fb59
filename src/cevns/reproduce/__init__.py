"""Published analyses of the reference texts, redone end to end (``cevns reproduce``).

Each reproduction is data (:class:`~cevns.reproduce.report.Reproduction`: steps that make
figures and numbers, the inputs used and their sources, the assumptions made where a
text is silent), defined in its own module:

=====================  ==========================================================  ===========================
name                   what                                                        module
=====================  ==========================================================  ===========================
papoulias-kosmas       seed 002: CsI 2017 single-bin constraints, Figs. 1-6        :mod:`.papoulias_kosmas`
galindo-ge-array       seed 004: enriched Ge arrays, covariance χ², Figs. 1-6      :mod:`.galindo_ge_array`
coherent-overview      seeds 001/003: kinematics, σ vs N, radii, mediators         :mod:`.coherent_overview`
future-experiments     seed 001 outlook: presets, counts per year, sensitivities   :mod:`.future_experiments`
=====================  ==========================================================  ===========================

:func:`~cevns.reproduce.report.write_report` turns one into PNG/PDF/CSV files,
``summary.json`` and ``index.html``.
"""

from __future__ import annotations

from importlib import import_module

from cevns.reproduce.common import OneParameterProfile, Result, format_table, one_parameter_profile
from cevns.reproduce.papoulias_kosmas import (
    COHERENT_2017_SM_PREDICTION,
    COHERENT_2017_SM_PREDICTION_ERROR,
    PK_HELM_R_FM,
    PK_HELM_S_FM,
    PK_SIN2_THETA_W,
    papoulias_kosmas_experiment,
    papoulias_kosmas_numbers,
    pk_helm_rms_radius_fm,
)
from cevns.reproduce.report import Reproduction, write_report

#: name → (module, one-line description); modules are imported only when asked for.
_REGISTRY: dict[str, tuple[str, str]] = {
    "papoulias-kosmas": ("papoulias_kosmas", "Papoulias & Kosmas (seed 002): new physics from COHERENT CsI 2017, Figs. 1-6"),
    "galindo-ge-array": ("galindo_ge_array", "Galindo-Uribarri et al. (seed 004): arrays of enriched Ge detectors, Figs. 1-6"),
    "coherent-overview": ("coherent_overview", "Dordei (seed 001) and the CEvNS review (seed 003): kinematics, σ vs N, radii, mediators"),
    "future-experiments": ("future_experiments", "Seed 001's outlook: future CEvNS experiments, counts per year and sensitivities"),
}


def reproduction_names() -> dict[str, str]:
    """Every reproduction: name → one-line description."""
    return {name: text for name, (_, text) in _REGISTRY.items()}


def get_reproduction(name: str) -> Reproduction:
    """The reproduction called ``name`` (see :func:`reproduction_names`)."""
    if name not in _REGISTRY:
        raise KeyError(f"unknown reproduction {name!r}; known: {', '.join(_REGISTRY)}")
    module = import_module(f"{__name__}.{_REGISTRY[name][0]}")
    return module.reproduction()


__all__ = [
    "COHERENT_2017_SM_PREDICTION",
    "COHERENT_2017_SM_PREDICTION_ERROR",
    "PK_HELM_R_FM",
    "PK_HELM_S_FM",
    "PK_SIN2_THETA_W",
    "OneParameterProfile",
    "Reproduction",
    "Result",
    "format_table",
    "get_reproduction",
    "one_parameter_profile",
    "papoulias_kosmas_experiment",
    "papoulias_kosmas_numbers",
    "pk_helm_rms_radius_fm",
    "reproduction_names",
    "write_report",
]
