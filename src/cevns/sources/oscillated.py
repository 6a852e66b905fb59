"""3+1 oscillations applied to source spectra: the oscillated tail moments
∫_{E_min} λ(E) ⟨sin²Δ⟩ E^{-k} dE that rates need (probabilities and their sources in
:mod:`cevns.physics.oscillations`).

⟨·⟩ averages over a Gaussian spread σ_L of the baseline (analytic: the cos 2Δ term is
damped by exp(−(2Δ σ_L/L)²/2)) and, for continuous spectra, over energy cells in 1/E
(the exact cell average of cos 2Δ, which is linear in 1/E), so that fast oscillations
average to ½ instead of aliasing on the grid.

Units: Δm² in eV², lengths in cm, energies in MeV.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike

from cevns.physics.oscillations import averaged_sin2, phase_coefficient
from cevns.sources.spectra import LineSpectrum, Spectrum

#: Energy cells per continuous spectrum for the oscillated moments: the cell average
#: makes the result exact for fast oscillations and second order in the cell width for
#: slow ones (converged to < 10⁻⁴, see ``tests/test_bsm.py``).
OSCILLATION_CELLS = 1024


@lru_cache(maxsize=16)
def _cell_averaged_sin2(low: float, high: float, beta: float, rel_spread: float) -> np.ndarray:
    """⟨sin²⟩ over the :data:`OSCILLATION_CELLS` energy cells of [low, high]: exact
    average of cos(βu) over u = 1/E in each cell, times the baseline damping at the cell
    centre. Cached: every isotope and spectrum on the same support shares it."""
    u = 1.0 / _cell_edges(low, high)
    du = u[:-1] - u[1:]
    mid = 0.5 * (u[:-1] + u[1:])
    x = beta * du
    if x.min() > 1e-6:
        sin_u = np.sin(beta * u)
        mean_cos = (sin_u[:-1] - sin_u[1:]) / x
    else:  # slow oscillation: the cell average is the midpoint value to O(x²)
        mean_cos = np.cos(beta * mid)
    out = 0.5 * (1.0 - mean_cos * np.exp(-0.5 * (beta * mid * rel_spread) ** 2))
    out.flags.writeable = False
    return out


def _cell_edges(low: float, high: float) -> np.ndarray:
    # cells start above 0 (1/E diverges); below 1 keV no neutrino makes a visible recoil
    return np.linspace(max(low, 1e-3), high, OSCILLATION_CELLS + 1)


@lru_cache(maxsize=16)
def _cell_moments(spectrum: Spectrum) -> np.ndarray:
    """(3, cells): ∫_cell λ E^{-k} dE, exact from the spectrum's own tail moments."""
    at_edges = spectrum.tail_moments(_cell_edges(*spectrum.support))
    return at_edges[:, :-1] - at_edges[:, 1:]


@lru_cache(maxsize=32)
def _weighted_tails(spectrum: Spectrum, beta: float, rel_spread: float) -> tuple[np.ndarray, np.ndarray]:
    """(cell weights ⟨sin²⟩, (3, cells + 1) sums of weighted cell moments above each edge),
    shared by every isotope's nodes for one spectrum and one (Δm², L, σ_L)."""
    weight = _cell_averaged_sin2(*spectrum.support, beta, rel_spread)
    weighted = _cell_moments(spectrum) * weight
    above = np.concatenate([np.cumsum(weighted[:, ::-1], axis=1)[:, ::-1], np.zeros((3, 1))], axis=1)
    return weight, above


@dataclass(frozen=True)
class OscillationTable:
    """What the oscillated tail moments of one spectrum at fixed E_min nodes need, so that
    a new (Δm², L, σ_L) costs one pass over the cells, shared by all node sets.

    For a line: ``line_energy`` and the plain ``moments``. For a continuous ``spectrum``:
    for every node the index ``cell`` of the energy cell holding E_min and ``partial``
    (3, n), the moments of that cell above E_min.
    """

    spectrum: Spectrum
    line_energy: float | None
    moments: np.ndarray
    cell: np.ndarray
    partial: np.ndarray

    def evaluate(self, dm2_ev2: float, baseline_cm: float, spread_cm: float = 0.0) -> np.ndarray:
        """(3, n): ∫_{E_min} λ(E) ⟨sin²Δ⟩ E^{-k} dE."""
        if self.line_energy is not None:
            return self.moments * averaged_sin2(self.line_energy, dm2_ev2, baseline_cm, spread_cm)
        weight, above = _weighted_tails(self.spectrum, phase_coefficient(dm2_ev2, baseline_cm), spread_cm / baseline_cm)
        return self.partial * weight[self.cell] + above[:, self.cell + 1]


def oscillation_table(spectrum: Spectrum, emin: ArrayLike) -> OscillationTable:
    """Precompute :class:`OscillationTable` for ``spectrum`` at the nodes ``emin`` (MeV).

    Continuous spectra use :data:`OSCILLATION_CELLS` cells from max(low, 1 keV) to the end
    point (below 1 keV neither the spectra nor the visible recoils have weight).
    """
    emin = np.asarray(emin, dtype=float)
    if isinstance(spectrum, LineSpectrum):
        return OscillationTable(spectrum, spectrum.energy, spectrum.tail_moments(emin), np.zeros(0, int), np.zeros((3, 0)))
    edges = _cell_edges(*spectrum.support)
    x = np.clip(emin, edges[0], edges[-1])
    cell = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, OSCILLATION_CELLS - 1)
    partial = spectrum.tail_moments(x) - spectrum.tail_moments(edges[cell + 1])
    return OscillationTable(spectrum, None, spectrum.tail_moments(emin), cell, partial)


def oscillated_tail_moments(
    spectrum: Spectrum, emin: ArrayLike, dm2_ev2: float, baseline_cm: float, spread_cm: float = 0.0
) -> np.ndarray:
    """``(3, *emin.shape)``: ∫_{E_min} λ(E) ⟨sin²Δ⟩ E^{-k} dE for k = 0, 1, 2 (lines exact;
    continuous spectra on cells, see :class:`OscillationTable`)."""
    emin = np.asarray(emin, dtype=float)
    table = oscillation_table(spectrum, emin.ravel())
    return table.evaluate(dm2_ev2, baseline_cm, spread_cm).reshape((3,) + emin.shape)


__all__ = ["OSCILLATION_CELLS", "OscillationTable", "oscillated_tail_moments", "oscillation_table"]
