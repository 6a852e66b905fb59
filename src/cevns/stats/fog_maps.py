"""Neutrino fogs of many targets, one target per task on the project's executors.

The targets of C. A. J. O'Hare, "Fog on the horizon: a new definition of the neutrino floor
for direct dark matter searches", PRL 127, 251802 (2021), arXiv:2109.03116, Fig. 3, with
the settings of his code (cajohare/NeutrinoFog, MIT licence, commit 0df3d0cd2322602d,
``src/runNuFloor_SI.py``): for every target 50 log-spaced recoil bins from 10⁻⁴ to
200 keVnr, a perfect detector (no efficiency, no resolution), the 11 flux normalisations of
his Table I (:data:`cevns.stats.fog.FOG_FLUXES`), masses 0.1 GeV – 10 TeV, exposures
10⁻⁵ – 10¹⁹ t·yr. He models each target by one isotope or a fixed formula; here every
target is the natural element or compound (:func:`cevns.physics.nuclei.resolve_target`,
isotopes weighted by their number per tonne), see :data:`FOG_TARGETS`.

:func:`fog_maps` computes :func:`cevns.stats.fog.neutrino_fog` for several targets, one
target per task, serially or on an executor of :func:`cevns.runtime.parallel.executor`
(threads, processes or Dask): each task is a pure function of its arguments, so every
executor returns the same numbers as the serial run, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from cevns.errors import InputError
from cevns.stats.fog import DEFAULT_LEVELS, MASS_RANGE_GEV, FogResult, fog_arrays, neutrino_fog

if TYPE_CHECKING:
    from concurrent.futures import Executor

__all__ = ["FOG_TARGETS", "FogTarget", "fog_maps", "parse_targets"]


@dataclass(frozen=True)
class FogTarget:
    """A fog target of O'Hare 2021 (Fig. 3) and how his code modelled it.

    Attributes
    ----------
    name : str
        The label and file stem of his floor table (``data/floors/<name>_SI.txt``).
    material : str
        What :func:`cevns.physics.nuclei.resolve_target` resolves here (natural composition).
    ohare_nuclei : str
        The nuclei of his code (``src/Params.py``, ``src/runNuFloor_SI.py``).
    """

    name: str
    material: str
    ohare_nuclei: str


#: O'Hare's seven SI targets (PRL 127, 251802, Fig. 3; cajohare/NeutrinoFog
#: ``src/runNuFloor_SI.py``). Fluorine is his bare ¹⁹F (the fluorine of C₃F₈ or CF₃I,
#: without the carbon or iodine), as in his code. His settings are the same for every
#: target (threshold 10⁻⁴ keVnr, upper edge 200 keVnr, 50 bins, efficiency 1, no
#: resolution); only the σ range of his maps differs (He 10⁻⁴⁸ – 10⁻⁴¹ cm², the others
#: 10⁻⁵⁰ – 10⁻⁴³ cm²).
FOG_TARGETS: dict[str, FogTarget] = {t.name: t for t in (
    FogTarget("Xe", "Xe", "131Xe alone"),
    FogTarget("Ar", "Ar", "40Ar entered with N = 21 (A = 39) in his Params.py"),
    FogTarget("Ge", "Ge", "74Ge alone"),
    FogTarget("NaI", "NaI", "23Na and 127I by mass fractions 22/149 and 127/149"),
    FogTarget("CaWO4", "CaWO4", "40Ca, 184W, 16O by mass fractions 40, 184, 64 of 288"),
    FogTarget("F", "F", "19F"),
    FogTarget("He", "He", "4He"),
)}


def parse_targets(text: str | Sequence[str]) -> list[str]:
    """Target names from ``Xe,Ar,Ge`` (or a sequence), each checked by
    :func:`cevns.physics.nuclei.resolve_target` (one-line :class:`InputError` for an unknown
    one); duplicates are refused, an empty list too."""
    from cevns.physics.nuclei import resolve_target

    names = [t.strip() for t in text.split(",")] if isinstance(text, str) else [str(t).strip() for t in text]
    names = [t for t in names if t]
    if not names:
        raise InputError("give at least one target (e.g. Xe or Xe,Ar,Ge)")
    seen = [t for i, t in enumerate(names) if t in names[:i]]
    if seen:
        raise InputError(f"target {seen[0]} given twice")
    for name in names:
        resolve_target(FOG_TARGETS[name].material if name in FOG_TARGETS else name)
    return names


@dataclass(frozen=True)
class _FogTask:
    """One target's fog (picklable: shipped once to each worker process)."""

    masses_gev: tuple[float, ...]
    exposures: tuple[float, ...]
    sigma_grid: tuple[float, ...] | None
    levels: tuple[float, ...]
    z: float
    power: float
    options: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, target: str) -> FogResult:
        material = FOG_TARGETS[target].material if target in FOG_TARGETS else target
        arrays = fog_arrays(material, self.masses_gev, **dict(self.options))
        return neutrino_fog(arrays, self.exposures, self.sigma_grid, levels=self.levels, z=self.z, power=self.power)


def fog_maps(
    targets: Sequence[str],
    masses_gev: Sequence[float] | np.ndarray,
    exposures: Sequence[float] | np.ndarray,
    sigma_grid: Sequence[float] | np.ndarray | None = None,
    *,
    levels: Sequence[float] = DEFAULT_LEVELS,
    z: float = 3.0,
    power: float = 0.5,
    executor: Executor | None = None,
    on_target: Callable[[str, FogResult], None] | None = None,
    **options: Any,
) -> dict[str, FogResult]:
    """The neutrino fog (:func:`cevns.stats.fog.neutrino_fog`) of every target, one target per task.

    Parameters
    ----------
    targets : sequence of str
        Targets: keys of :data:`FOG_TARGETS` or any element, isotope or compound.
    masses_gev, exposures, sigma_grid
        WIMP masses (GeV), exposures (tonne-years) and the cross sections (cm²) of the
        gradient map (default: spanning each target's limits), as in
        :func:`cevns.stats.fog.neutrino_fog`.
    levels, z, power
        Floor levels, discovery significance and power (:func:`cevns.stats.fog.neutrino_fog`).
    executor : concurrent.futures.Executor, optional
        Where the tasks run (:func:`cevns.runtime.parallel.executor`); None: here, in order.
    on_target : callable, optional
        Called as ``on_target(target, result)`` in this process as each target finishes.

    Any other keyword argument goes to :func:`cevns.stats.fog.fog_arrays` (``threshold_kev``,
    ``e_max_kev``, ``n_bins``, ``coupling``, ``fluxes``, ``normalisation``, ...).

    Returns
    -------
    dict
        target → :class:`cevns.stats.fog.FogResult`, in the order of ``targets``; identical
        for every executor.
    """
    from cevns.runtime.parallel import run_chunks

    names = parse_targets(targets)
    masses = tuple(float(m) for m in np.asarray(masses_gev, dtype=float).reshape(-1))
    eps = tuple(float(e) for e in np.asarray(exposures, dtype=float).reshape(-1))
    # the cheap checks here, once, before any task starts (the tasks check everything again)
    if not eps:
        raise InputError("give at least one exposure")
    if not all(np.isfinite(e) and e > 0 for e in eps):
        raise InputError("exposures must be finite and > 0")
    lo, hi = MASS_RANGE_GEV
    if not masses or not all(lo <= m <= hi for m in masses):
        raise InputError(f"give WIMP masses in [{lo:g}, {hi:g}] GeV")
    grid = None if sigma_grid is None else tuple(float(s) for s in np.asarray(sigma_grid, dtype=float).reshape(-1))
    task = _FogTask(masses, eps, grid, tuple(float(v) for v in levels), float(z), float(power), dict(options))
    results: dict[str, FogResult] = {}

    def keep(args: tuple, result: FogResult) -> None:
        results[args[0]] = result
        if on_target is not None:
            on_target(args[0], result)

    run_chunks(task, [(name,) for name in names], keep, executor)
    return {name: results[name] for name in names}
