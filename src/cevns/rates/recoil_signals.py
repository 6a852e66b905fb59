"""Nuclear-recoil signals that are not neutrinos (WIMPs, or any dR/dE_R) folded through a
detector response into an experiment's bins.

The neutrino machinery (:func:`cevns.rates.prediction.prepare_rates`) folds on recoil
nodes built together with the neutrino-energy integrals of a source, so it cannot take an
arbitrary recoil spectrum; this module uses the same pieces — Gauss–Legendre panels
(:func:`cevns.rates.nodes.gauss_legendre_panels`, :func:`cevns.rates.nodes.split_panels`),
the response's quenching, observable, efficiency and resolution
(:class:`cevns.detector.response.DetectorResponse`, including
:meth:`~cevns.detector.response.Resolution.bin_response` for smeared observables) — with
the recoil nodes cut where the spectrum is not smooth (for WIMPs the end point and the
branch change of η(v_min) of every mass, :func:`cevns.physics.wimp.recoil_kinks_kev`).

Counts are Σ_bins ∫ dR/dE_R(T) · P(bin | T) dT × exposure, with P the probability that a
recoil T is observed in the bin (efficiency × resolution): for an unsmeared observable the
bin is the recoil interval between the recoils whose mean observable is the bin's edges,
weighted by ε(μ(T)).

Units: recoils in keV_NR, spectra in events/(tonne·year·keV_NR), exposures in tonne·year.
"""

from __future__ import annotations

import math
from typing import Callable, Literal, Sequence

import numpy as np
from numpy.typing import ArrayLike

from cevns.detector.response import DetectorResponse, Observable, Resolution, UnitEfficiency
from cevns.errors import InputError
from cevns.physics.form_factors import FormFactor
from cevns.physics.nuclei import Isotope, Target
from cevns.physics.wimp import SHM, Halo, recoil_kinks_kev, recoil_max_kev, wimp_rate_by_isotope, wimp_target
from cevns.rates.nodes import Quadrature, gauss_legendre_panels, sorted_unique, split_panels

__all__ = ["fold_recoil_spectrum", "threshold_response", "wimp_binned_counts", "wimp_counts_above"]


def threshold_response(threshold_kev: float, max_kev: float = 1000.0, bins: int = 1) -> DetectorResponse:
    """The simplest detector: every recoil between ``threshold_kev`` and ``max_kev``
    (keV_NR) is seen with its true energy (no quenching, perfect efficiency, no smearing),
    in ``bins`` equal bins."""
    try:
        lo, hi = float(threshold_kev), float(max_kev)
    except (TypeError, ValueError):
        raise InputError(f"threshold and maximum must be numbers in keV, got {threshold_kev!r}, {max_kev!r}") from None
    if not (math.isfinite(lo) and lo >= 0):
        raise InputError(f"threshold must be a finite number >= 0 keV, got {threshold_kev!r}")
    if not (math.isfinite(hi) and hi > lo):
        raise InputError(f"maximum recoil must be a finite number above the threshold {lo:g} keV, got {max_kev!r}")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise InputError(f"number of bins must be an integer >= 1, got {bins!r}")
    return DetectorResponse(observable=Observable("keVnr"), efficiency=UnitEfficiency(), resolution=Resolution("none"),
                            edges=tuple(np.linspace(lo, hi, bins + 1)))


def _inverse_mean(response: DetectorResponse, Z: int, t_max_kev: float) -> tuple[np.ndarray, np.ndarray]:
    """μ(T) tabulated on a fine log grid of recoils (keV_NR), checked to increase."""
    t = np.concatenate([[0.0], np.geomspace(1e-6, max(t_max_kev, 1e-3) * 1.01, 4000)])
    mu = response.observable.mean(t, Z, response.quenching)
    if np.any(np.diff(mu[1:]) <= 0):
        raise InputError("the mean observable must increase with recoil energy (check the quenching model)")
    return t, mu


def _nodes_and_weights(
    response: DetectorResponse, Z: int, t_max_kev: float, kinks_kev: np.ndarray, quadrature: Quadrature
) -> tuple[np.ndarray, np.ndarray]:
    """Recoil nodes (keV_NR) and the matrix (bins × nodes) of quadrature weight × P(bin | T)."""
    edges = np.asarray(response.edges, dtype=float)
    n_bins = edges.size - 1
    kinks = np.asarray(kinks_kev, dtype=float)
    kinks = kinks[(kinks > 0) & (kinks < t_max_kev)]
    t_tab, mu_tab = _inverse_mean(response, Z, t_max_kev)

    def to_recoil(x: ArrayLike) -> np.ndarray:
        return np.interp(np.asarray(x, dtype=float), mu_tab, t_tab)

    if response.resolution.model != "none":
        first = float(to_recoil(max(edges[0], 0.0)))
        t_lo = min(first / 100.0, t_max_kev / 1e4) if first > 0 else t_max_kev / 1e4
        cuts = np.geomspace(t_lo, t_max_kev, quadrature.log_panels + 1)
        cuts = sorted_unique(np.concatenate([[0.0], cuts, kinks]))
        recoil, w = gauss_legendre_panels(cuts, quadrature.nodes)
        mu = response.observable.mean(recoil, Z, response.quenching)
        return recoil, response.resolution.bin_response(mu, edges, response.efficiency) * w
    breaks = np.concatenate([kinks, to_recoil(np.asarray(response.efficiency.breakpoints, dtype=float))])
    parts, rows = [], []
    for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        a, c = float(to_recoil(lo)), min(float(to_recoil(hi)), t_max_kev)
        if c <= a:
            continue
        r, w = gauss_legendre_panels(split_panels(a, c, breaks, quadrature.panels_per_bin), quadrature.nodes)
        row = np.zeros((n_bins, r.size))
        row[b] = w * response.efficiency(response.observable.mean(r, Z, response.quenching))
        parts.append(r)
        rows.append(row)
    if not parts:
        return np.zeros(0), np.zeros((n_bins, 0))
    return np.concatenate(parts), np.concatenate(rows, axis=1)


def fold_recoil_spectrum(
    rate: Callable[[np.ndarray], np.ndarray],
    response: DetectorResponse,
    Z: int,
    recoil_max_kev: float,
    *,
    kinks_kev: Sequence[float] | np.ndarray = (),
    exposure: float = 1.0,
    quadrature: Quadrature = Quadrature(),
) -> np.ndarray:
    """Expected counts per bin of ``response`` for a recoil spectrum of one element.

    ``rate(T)`` takes a 1-D array of recoils in keV_NR and returns dR/dE_R (per keV_NR and
    per unit exposure) of shape ``(..., T.size)``, zero above ``recoil_max_kev``;
    ``Z`` is the element's charge (for the quenching); ``kinks_kev`` are recoils where the
    spectrum is not smooth (the quadrature panels are cut there). Returns
    ``exposure`` × ∫ dR/dE_R P(bin | T) dT, shape ``(..., n_bins)``.
    """
    if not (isinstance(recoil_max_kev, (int, float)) and math.isfinite(recoil_max_kev) and recoil_max_kev > 0):
        raise InputError(f"largest recoil must be a finite number > 0 keV, got {recoil_max_kev!r}")
    if not (math.isfinite(exposure) and exposure >= 0):
        raise InputError(f"exposure must be a finite number >= 0, got {exposure!r}")
    recoil, weights = _nodes_and_weights(response, Z, float(recoil_max_kev), np.asarray(kinks_kev), quadrature)
    if recoil.size == 0:
        probe = np.asarray(rate(np.array([0.5 * recoil_max_kev])))
        return np.zeros(probe.shape[:-1] + (weights.shape[0],))
    return exposure * (np.asarray(rate(recoil)) @ weights.T)


def wimp_binned_counts(
    response: DetectorResponse,
    target: str | Target,
    masses_gev: ArrayLike,
    sigma_cm2: float,
    *,
    exposure_tonne_year: float = 1.0,
    coupling: Literal["si", "sd-p", "sd-n"] = "si",
    halo: Halo = SHM,
    form_factor: FormFactor | str = "helm",
    fn_over_fp: float = 1.0,
    quadrature: Quadrature = Quadrature(),
) -> np.ndarray:
    """Expected WIMP events per bin of ``response`` for an exposure in tonne·year of
    ``target``, for each mass (GeV): shape ``masses.shape + (n_bins,)``.

    The spectrum of each element's isotopes (:func:`cevns.physics.wimp.wimp_rate_by_isotope`)
    is folded with the element's Z (quenching), on recoil nodes cut at every isotope's and
    mass's end point and η branch change (:func:`cevns.physics.wimp.recoil_kinks_kev`).
    """
    tgt = wimp_target(target)
    masses = np.atleast_1d(np.asarray(masses_gev, dtype=float))
    shape = np.shape(masses_gev)
    wimp_rate_by_isotope(1.0, masses, tgt, sigma_cm2, coupling=coupling, halo=halo, form_factor=form_factor,
                         fn_over_fp=fn_over_fp)  # validates every input once, with its one-line error
    total = np.zeros((masses.size, len(response.edges) - 1))
    by_z: dict[int, list[Isotope]] = {}
    for iso in dict.fromkeys(tgt.isotopes):
        by_z.setdefault(iso.Z, []).append(iso)
    for z, isotopes in by_z.items():
        names = {iso.name for iso in isotopes}
        t_max = max(float(np.max(recoil_max_kev(masses, iso.mass, halo))) for iso in isotopes)
        kinks = np.concatenate([recoil_kinks_kev(masses, iso.mass, halo) for iso in isotopes])

        def rate(t: np.ndarray, names: set[str] = names) -> np.ndarray:
            parts = wimp_rate_by_isotope(t, masses, tgt, sigma_cm2, coupling=coupling, halo=halo,
                                         form_factor=form_factor, fn_over_fp=fn_over_fp, only=names)
            return sum((parts[n] for n in parts), np.zeros((masses.size, t.size)))

        total += fold_recoil_spectrum(rate, response, z, t_max, kinks_kev=kinks, exposure=exposure_tonne_year,
                                      quadrature=quadrature)
    return total.reshape(shape + (total.shape[-1],))


def wimp_counts_above(
    threshold_kev: float,
    target: str | Target,
    masses_gev: ArrayLike,
    sigma_cm2: float,
    *,
    max_kev: float = 1000.0,
    exposure_tonne_year: float = 1.0,
    coupling: Literal["si", "sd-p", "sd-n"] = "si",
    halo: Halo = SHM,
    form_factor: FormFactor | str = "helm",
    fn_over_fp: float = 1.0,
) -> np.ndarray:
    """WIMP events with recoils between ``threshold_kev`` and ``max_kev`` (perfect
    efficiency, :func:`threshold_response`) for each mass: shape ``masses.shape``."""
    counts = wimp_binned_counts(threshold_response(threshold_kev, max_kev), target, masses_gev, sigma_cm2,
                                exposure_tonne_year=exposure_tonne_year, coupling=coupling, halo=halo,
                                form_factor=form_factor, fn_over_fp=fn_over_fp)
    return counts[..., 0]
