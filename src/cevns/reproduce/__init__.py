"""Published analyses of the reference texts, redone end to end (``cevns reproduce``).

Each reproduction is data (:class:`~cevns.reproduce.report.Reproduction`: steps that make
figures and numbers, the inputs used and their sources, the assumptions made where a
text is silent), defined in its own module:

``papoulias-kosmas`` (:mod:`.papoulias_kosmas`)
    D. K. Papoulias, T. S. Kosmas, HNPS proceedings (the short version of Phys. Rev. D 97,
    033003 (2018), arXiv:1711.09773): CsI 2017 single-bin constraints, Figs. 1-6.
``galindo-ge-array`` (:mod:`.galindo_ge_array`)
    A. Galindo-Uribarri, O. G. Miranda, G. Sanchez Garcia, Phys. Rev. D 105, 033001 (2022),
    arXiv:2011.10230: enriched Ge arrays, covariance χ², Figs. 1-6 (set-up and numbers in
    :mod:`.galindo_ge_array_analysis`).
``coherent-overview`` (:mod:`.coherent_overview`)
    F. Dordei, talk at Invisibles 2021, and M. Cadeddu, F. Dordei, C. Giunti, EPL 143, 34001
    (2023), arXiv:2307.08842: kinematics, σ vs N, radii, mediators (the fits of the radii and
    of sin²θ_W in :mod:`.coherent_overview_fits`; mediators, charge radii and millicharges in
    :mod:`.coherent_mediators`, their exact χ² in :mod:`.coherent_mediators_analysis`).
``future-experiments`` (:mod:`.future_experiments`)
    The outlook of F. Dordei's Invisibles 2021 talk: presets, counts per year, sensitivities.
``reactor-germanium`` (:mod:`.reactor_germanium`)
    Dresden-II, CONUS+, CONUS, TEXONO and COHERENT germanium as counting likelihoods, the
    strength vs the Ge quenching, sin²θ_W and ν_e properties, N² scaling (numbers in
    :mod:`.reactor_germanium_analysis`).
``coherent-csi-2021`` (:mod:`.coherent_csi_2021`)
    D. Akimov et al. (COHERENT), PRL 129, 081801 (2022), arXiv:2110.07730, and M. Atzori Corona
    et al., EPJC 83, 683 (2023), arXiv:2303.09360: the CsI 2021 release fitted with every model
    (needs the releases csi-2021 and lar-2020-analysisA, :func:`release_dirs_for`).
``solar-8b`` (:mod:`.solar_8b`)
    XENONnT (PRL 133, 191002 (2024), arXiv:2408.02877; arXiv:2604.06002), PandaX-4T (PRL 133,
    191001 (2024), arXiv:2407.10892) and LZ (2025) solar ⁸B CEvNS: fluxes, significances, the
    combination ``xenon-8b``, sin²θ_W, NSI and a light mediator (needs the release xenonnt-8b;
    numbers in :mod:`.solar_8b_analysis`).

:func:`~cevns.reproduce.report.write_report` turns one into PNG/CSV files (and PDFs when asked),
``summary.json`` and ``index.html``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path

from cevns.errors import InputError, unknown_name

from cevns.reproduce.common import Result, format_table
from cevns.stats.profiles import OneParameterProfile, one_parameter_profile
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
    "papoulias-kosmas": ("papoulias_kosmas", "Papoulias & Kosmas (arXiv:1711.09773): new physics from COHERENT CsI 2017, Figs. 1-6"),
    "galindo-ge-array": ("galindo_ge_array", "Galindo-Uribarri et al. (arXiv:2011.10230): arrays of enriched Ge detectors, Figs. 1-6"),
    "coherent-overview": ("coherent_overview", "Dordei (Invisibles 2021) and Cadeddu, Dordei, Giunti (EPL 2023): kinematics, σ vs N, radii, mediators"),
    "future-experiments": ("future_experiments", "Dordei's outlook (Invisibles 2021): future CEvNS experiments, counts per year and sensitivities"),
    "coherent-csi-2021": ("coherent_csi_2021", "COHERENT CsI[Na] full data set (PRL 129, 081801; arXiv:2110.07730) and its phenomenology (Atzori Corona et al., arXiv:2303.09360)"),
    "reactor-germanium": ("reactor_germanium", "Reactor and germanium CEvNS (Dresden-II, CONUS+, CONUS, TEXONO, COHERENT Ge): data sets, quenching, electroweak fits, N² scaling"),
    "solar-8b": ("solar_8b", "Solar 8B CEvNS on xenon: XENONnT (PRL 133, 191002; arXiv:2604.06002), PandaX-4T (PRL 133, 191001), LZ; sin2(theta_W), NSI, light mediator"),
    "neutrino-fog": ("neutrino_fog", "O'Hare (PRL 127, 251802; arXiv:2109.03116): the neutrino fog and floor of xenon for SI WIMPs"),
}

#: name → the data releases it reads (passed as ``release_dirs``); the others read none.
_RELEASES: dict[str, tuple[str, ...]] = {"coherent-csi-2021": ("csi-2021", "lar-2020-analysisA"), "solar-8b": ("xenonnt-8b",)}
#: name → data releases it can use but does not need: a step that reads one runs when it is
#: given (``--data-release NAME=DIR`` or ``$CEVNS_RELEASE_DATA/NAME``); without it the step is
#: left out and the report says so (e.g. neutrino-fog's XENONnT WIMP limit).
_OPTIONAL_RELEASES: dict[str, tuple[str, ...]] = {"neutrino-fog": ("xenonnt-8b",)}


def reproduction_names() -> dict[str, str]:
    """Every reproduction: name → one-line description."""
    return {name: text for name, (_, text) in _REGISTRY.items()}


def required_releases(name: str) -> tuple[str, ...]:
    """The data releases the reproduction ``name`` reads (none for most)."""
    return _RELEASES.get(name, ())


def optional_releases(name: str) -> tuple[str, ...]:
    """The data releases the reproduction ``name`` can use but does not need (none for most)."""
    return _OPTIONAL_RELEASES.get(name, ())


def release_dirs_for(name: str, given: Mapping[str, str | Path] | None = None) -> dict[str, Path]:
    """Folders of the releases ``name`` reads: ``given`` (release → folder, e.g. from
    ``--data-release NAME=DIR``), else ``$CEVNS_RELEASE_DATA/<release>``. A missing required
    release is an :class:`~cevns.errors.InputError` of one line naming the release and both
    ways to give it; an optional one (:func:`optional_releases`) is left out when it is not
    given and not under ``$CEVNS_RELEASE_DATA``, and an InputError only when given as a
    folder that does not exist."""
    from cevns.releases.combinations import RELEASE_DATA_ENV

    given = dict(given or {})
    env = os.environ.get(RELEASE_DATA_ENV)
    out: dict[str, Path] = {}
    for release in required_releases(name):
        folder = Path(given[release]).expanduser() if release in given else (Path(env).expanduser() / release if env else None)
        if folder is None or not folder.is_dir():
            where = f" ({folder} is not a folder)" if folder is not None else ""
            raise InputError(f"{name} needs the data release {release}{where}: give --data-release {release}=DIR "
                             f"or set {RELEASE_DATA_ENV} to a folder holding {release}/")
        out[release] = folder
    for release in optional_releases(name):
        if release in given:
            folder = Path(given[release]).expanduser()
            if not folder.is_dir():
                raise InputError(f"{name} can use the data release {release}, but {folder} (--data-release {release}=DIR) is not a folder")
            out[release] = folder
        elif env and (Path(env).expanduser() / release).is_dir():
            out[release] = Path(env).expanduser() / release
    return out


def get_reproduction(name: str, release_dirs: Mapping[str, str | Path] | None = None) -> Reproduction:
    """The reproduction called ``name`` (see :func:`reproduction_names`); ``release_dirs``
    (release → folder) for those that read data releases (:func:`required_releases`) or can
    use them (:func:`optional_releases`; found as :func:`release_dirs_for` says)."""
    if name not in _REGISTRY:
        raise KeyError(unknown_name("reproduction", name, _REGISTRY))
    module = import_module(f"{__name__}.{_REGISTRY[name][0]}")
    if required_releases(name) or optional_releases(name):
        return module.reproduction(release_dirs=release_dirs_for(name, release_dirs))
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
