"""Neutrino sources: per-flavour energy spectra with a flux normalisation.

A :class:`NeutrinoSource` maps neutrino species (``nu_e``, ``nu_mu_bar``, …) to a
normalised spectrum (∫ pdf dE = 1, pdf in 1/MeV) and a flux at the detector in
ν/cm²/s. Rates only need the *tail moments* of each spectrum,

.. math::  m_k(E_{min}) = \\int_{E_{min}}^{\\infty} f(E)\\,E^{-k}\\,dE,\\quad k = 0, 1, 2,

because the SM kinematic factor 1 − T/E − MT/2E² is a polynomial in 1/E; each spectrum
class computes them exactly (lines, piecewise-linear tables) or by fixed Gauss–Legendre
quadrature (smooth analytic spectra), vectorised over E_min.

This module holds the generic spectrum types (:class:`LineSpectrum`,
:class:`AnalyticSpectrum`, :class:`TabulatedSpectrum`), the :class:`NeutrinoSource` that
carries them, and sources from user tables (:func:`tabulated_source`). The physical
sources built on them have their own modules: stopped pions in
:mod:`cevns.sources.pion_dar`, reactors in :mod:`cevns.sources.reactor`.

Energies in MeV, fluxes in ν/cm²/s, distances in cm (see :mod:`cevns.units`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Protocol, cast

import numpy as np

from cevns._data import data_path
from cevns.errors import InputError
from cevns.physics.cross_sections import FLAVORS
from cevns.physics.quadrature import gauss_legendre

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike

_MOMENT_POWERS = np.arange(3)


class Spectrum(Protocol):
    """A normalised neutrino energy spectrum."""

    @property
    def support(self) -> tuple[float, float]:
        """(lowest, highest) energy with non-zero pdf, MeV."""

    @property
    def lines(self) -> tuple[float, ...]:
        """Energies of monoenergetic components (MeV): kinks of the recoil spectrum."""

    def pdf(self, energy: ArrayLike) -> np.ndarray:
        """Probability density in 1/MeV."""

    def tail_moments(self, emin: ArrayLike) -> np.ndarray:
        """Array ``(3, *emin.shape)`` of ∫_{E_min} pdf(E) E^{-k} dE for k = 0, 1, 2."""

    def __hash__(self) -> int:
        """Spectra are immutable and hashable: tables derived from them are cached."""


@dataclass(frozen=True)
class LineSpectrum:
    """A monoenergetic line at ``energy`` MeV (e.g. prompt ν_μ from π⁺ → μ⁺ν_μ)."""

    energy: float

    @property
    def support(self) -> tuple[float, float]:
        return (self.energy, self.energy)

    @property
    def lines(self) -> tuple[float, ...]:
        return (self.energy,)

    def pdf(self, energy: ArrayLike) -> np.ndarray:
        raise TypeError("a line spectrum has no density; use tail_moments")

    def tail_moments(self, emin: ArrayLike) -> np.ndarray:
        above = (np.asarray(emin, dtype=float) <= self.energy).astype(float)
        return self.energy ** (-_MOMENT_POWERS.reshape((3,) + (1,) * above.ndim)) * above


@dataclass(frozen=True)
class AnalyticSpectrum:
    """A smooth spectrum given by a function on [``low``, ``high``] MeV.

    The function need not be normalised: it is normalised here with the same
    ``nodes``-point Gauss–Legendre rule used for the moments, which is exact for the
    polynomial Michel spectra and converges exponentially for smooth ones.
    """

    function: Callable[[np.ndarray], np.ndarray]
    low: float
    high: float
    nodes: int = 64
    label: str = ""
    _norm: float = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not (0 <= self.low < self.high):
            raise InputError(f"spectrum support must satisfy 0 <= low < high, got [{self.low}, {self.high}]")
        x, w = gauss_legendre(self.nodes)
        e = 0.5 * (self.high - self.low) * (x + 1.0) + self.low
        norm = 0.5 * (self.high - self.low) * float(np.sum(w * self.function(e)))
        if not norm > 0:
            raise InputError(f"spectrum {self.label or self.function!r} integrates to {norm}, not > 0")
        object.__setattr__(self, "_norm", norm)

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    @property
    def integral(self) -> float:
        """∫ function dE over the support (e.g. ν̄ per fission for a reactor spectrum)."""
        return self._norm

    @property
    def lines(self) -> tuple[float, ...]:
        return ()

    def pdf(self, energy: ArrayLike) -> np.ndarray:
        e = np.asarray(energy, dtype=float)
        inside = (e >= self.low) & (e <= self.high)
        return np.where(inside, self.function(np.clip(e, self.low, self.high)), 0.0) / self._norm

    def tail_moments(self, emin: ArrayLike) -> np.ndarray:
        """The ``nodes``-point Gauss–Legendre rule on [E_min, high] for each E_min (clipped
        to the support). E_min at or below ``low`` all give the same row, computed once;
        E^{-k} is 1, 1/E and E**-2.0 (the values of ``E ** -k``, whose k = 1 power is the
        correctly rounded reciprocal, at a fraction of the cost of ``pow``)."""
        lo = np.clip(np.asarray(emin, dtype=float), self.low, self.high)
        flat = lo.ravel()
        below = flat == self.low
        if below.sum() > 1:  # one row for every E_min clipped to the bottom of the support
            rows = np.flatnonzero(~below)
            first = np.flatnonzero(below)[0]
            unique = self._moments(flat[np.concatenate([[first], rows])])
            out = np.empty((3, flat.size))
            out[:, below] = unique[:, :1]
            out[:, rows] = unique[:, 1:]
            return out.reshape((3,) + lo.shape)
        return self._moments(flat).reshape((3,) + lo.shape)

    def _moments(self, lo: np.ndarray) -> np.ndarray:
        """(3, n) moments for lower ends ``lo`` (n,) inside the support."""
        x, w = gauss_legendre(self.nodes)
        half = 0.5 * (self.high - lo)
        e = half[:, None] * (x + 1.0) + lo[:, None]
        wf = w * (self.function(e) / self._norm)
        out = np.empty((3, lo.size))
        np.sum(wf, axis=-1, out=out[0])
        np.sum(wf * (1.0 / e), axis=-1, out=out[1])
        np.sum(wf * e**-2.0, axis=-1, out=out[2])
        out *= half
        return out


@dataclass(frozen=True)
class TabulatedSpectrum:
    """A spectrum tabulated at ``energies`` (MeV, increasing) and linearly interpolated.

    Values need not be normalised; they are normalised to unit area of the interpolant.
    Tail moments are exact for the piecewise-linear interpolant (closed forms of
    ∫(a + bE)E^{-k} dE), so no quadrature error enters.
    """

    energies: tuple[float, ...]
    values: tuple[float, ...]
    label: str = ""

    def __post_init__(self) -> None:
        e = np.asarray(self.energies, dtype=float)
        v = np.asarray(self.values, dtype=float)
        if e.ndim != 1 or e.size < 2 or e.shape != v.shape:
            raise InputError("a tabulated spectrum needs ≥ 2 energies and as many values")
        if np.any(np.diff(e) <= 0) or e[0] < 0:
            raise InputError("tabulated spectrum energies must be ≥ 0 and strictly increasing")
        if np.any(v < 0) or not np.all(np.isfinite(v)):
            raise InputError("tabulated spectrum values must be finite and ≥ 0")
        area = float(np.trapezoid(v, e))
        if not area > 0:
            raise InputError("tabulated spectrum has zero area")
        object.__setattr__(self, "values", tuple(v / area))

    @property
    def support(self) -> tuple[float, float]:
        return (self.energies[0], self.energies[-1])

    @property
    def lines(self) -> tuple[float, ...]:
        return ()

    def pdf(self, energy: ArrayLike) -> np.ndarray:
        return np.interp(np.asarray(energy, dtype=float), self.energies, self.values, left=0.0, right=0.0)

    @staticmethod
    def _primitive(a: np.ndarray, b: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Primitives of (a + bE)E^{-k}, k = 0, 1, 2, shape (3, ...)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            log_e = np.log(e)
            return np.stack([a * e + 0.5 * b * e**2, a * log_e + b * e, -a / e + b * log_e])

    def __hash__(self) -> int:
        # hashed at every set-up by the memo of tail moments (cevns.rates.nodes), where the
        # tables' tuples cost O(n): made once, from the floats alone (consistent with ==, and
        # the same in every process, so a pickled copy's value stays valid)
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.energies, self.values))
            object.__setattr__(self, "_hash", cached)
        return cast(int, cached)

    @functools.cached_property
    def _tail_table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(energies, intercepts, slopes, tail integrals (3, n), primitives at each segment's
        upper end (3, n − 1)) of the interpolant, made once per spectrum (a frozen instance:
        the cached value cannot go stale)."""
        e = np.asarray(self.energies)
        v = np.asarray(self.values)
        slope = np.diff(v) / np.diff(e)
        intercept = v[:-1] - slope * e[:-1]
        # Segment integrals; a segment starting at E = 0 is only used for k = 0.
        lo_edge = np.where(e[:-1] > 0, e[:-1], np.nan)
        upper = self._primitive(intercept, slope, e[1:])
        seg = upper - self._primitive(intercept, slope, lo_edge)
        seg[0] = (0.5 * slope * e[1:] ** 2 + intercept * e[1:]) - (0.5 * slope * e[:-1] ** 2 + intercept * e[:-1])
        seg = np.nan_to_num(seg)
        tail = np.concatenate([np.cumsum(seg[:, ::-1], axis=1)[:, ::-1], np.zeros((3, 1))], axis=1)
        for a in (e, intercept, slope, tail, upper):
            a.setflags(write=False)
        return e, intercept, slope, tail, upper

    def tail_moments(self, emin: ArrayLike) -> np.ndarray:
        e, intercept, slope, tail, upper = self._tail_table
        x = np.clip(np.asarray(emin, dtype=float), e[0], e[-1])
        i = np.clip(np.searchsorted(e, x, side="right") - 1, 0, e.size - 2)
        partial = upper[:, i] - self._primitive(intercept[i], slope[i], x)
        return np.nan_to_num(partial) + tail[:, i + 1]


@dataclass(frozen=True)
class NeutrinoSource:
    """Per-flavour spectra and fluxes at the detector.

    ``spectra`` maps species (``nu_e``, ``nu_mu``, ``nu_mu_bar``, …) to a normalised
    :class:`Spectrum`; ``flux_cm2_s`` maps the same keys to the flux at the detector in
    ν/cm²/s (for a pulsed source, averaged over the live time). ``baseline_cm`` (mean
    source–detector distance) and ``baseline_spread_cm`` (its rms spread from the extent of
    source and detector) are needed only for oscillations (:mod:`cevns.physics.oscillations`).
    """

    name: str
    spectra: Mapping[str, Spectrum]
    flux_cm2_s: Mapping[str, float]
    baseline_cm: float | None = None
    baseline_spread_cm: float = 0.0

    def __post_init__(self) -> None:
        if set(self.spectra) != set(self.flux_cm2_s):
            raise InputError("source spectra and fluxes must name the same flavours")
        if self.baseline_cm is not None and not (self.baseline_cm > 0 and math.isfinite(self.baseline_cm)):
            raise InputError(f"source baseline must be > 0, got {self.baseline_cm}")
        if not (self.baseline_spread_cm >= 0 and math.isfinite(self.baseline_spread_cm)):
            raise InputError(f"baseline spread must be finite and ≥ 0, got {self.baseline_spread_cm}")
        for flavor, flux in self.flux_cm2_s.items():
            if not (flux >= 0 and math.isfinite(flux)):
                raise InputError(f"flux of {flavor} must be finite and ≥ 0, got {flux}")

    @property
    def flavors(self) -> tuple[str, ...]:
        return tuple(self.spectra)

    @property
    def max_energy(self) -> float:
        """Highest neutrino energy of any flavour (MeV)."""
        return max(s.support[1] for s in self.spectra.values())


@functools.lru_cache(maxsize=None)
def package_table(folder: str, file: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A spectrum table shipped in ``cevns/data/<folder>/<file>``: ``#`` comment lines, a header
    ``energy,<column>,...``, numeric rows → (first column, {name: column}); read once."""
    text = data_path(folder, file).read_text()
    rows = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    header = rows[0].split(",")
    data = np.array([[float(x) for x in ln.split(",")] for ln in rows[1:]])
    return data[:, 0], {name: data[:, i] for i, name in enumerate(header) if i > 0}


def tabulated_source(
    energies: ArrayLike, spectra: Mapping[str, ArrayLike], flux_cm2_s: Mapping[str, float], name: str = "table"
) -> NeutrinoSource:
    """A source from tabulated per-flavour spectra (any normalisation) on ``energies`` (MeV)
    and the total flux of each flavour at the detector (ν/cm²/s).

    The flavours are those of the cross sections
    (:data:`cevns.physics.cross_sections.FLAVORS`); any other key is a one-line InputError,
    since the source could never be folded with a cross section.
    """
    for flavor in (*spectra, *flux_cm2_s):
        if flavor not in FLAVORS:
            raise InputError(f"unknown neutrino flavour {flavor!r} in the tabulated source; use one of {', '.join(FLAVORS)}")
    e = tuple(float(x) for x in np.asarray(energies, dtype=float))
    tables = {f: TabulatedSpectrum(e, tuple(float(v) for v in np.asarray(vals, dtype=float)), f) for f, vals in spectra.items()}
    return NeutrinoSource(name, tables, dict(flux_cm2_s))


__all__ = [
    "AnalyticSpectrum",
    "LineSpectrum",
    "NeutrinoSource",
    "TabulatedSpectrum",
    "tabulated_source",
]
