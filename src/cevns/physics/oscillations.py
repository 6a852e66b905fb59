"""Short-baseline 3+1 oscillations with one sterile neutrino.

At baselines of metres to tens of metres only the Δm²₄₁ phase develops, and the
probabilities are (e.g. C. Giunti, M. Laveder, PRD 84, 093006 (2011), arXiv:1107.1452,
Eqs. 2–3; S. Gariazzo et al., J. Phys. G 43, 033001 (2016), arXiv:1507.08204, Eq. 13)

.. math::
   P_{\\alpha\\beta} = \\delta_{\\alpha\\beta}
       - 4|U_{\\alpha4}|^2\\left(\\delta_{\\alpha\\beta} - |U_{\\beta4}|^2\\right)
         \\sin^2\\!\\frac{\\Delta m^2_{41} L}{4E},

so that P_αα = 1 − sin²2θ_αα sin²Δ with sin²2θ_αα = 4|U_α4|²(1 − |U_α4|²) (D. K. Papoulias &
T. S. Kosmas, HNPS proceedings, cf. arXiv:1711.09773, Eq. 9) and P_μe = sin²2θ_μe sin²Δ, sin²2θ_μe = 4|U_e4|²|U_μ4|². The
flux lost to ν_s is what neutral-current CEvNS sees; the active flavours that appear
matter through flavour-dependent couplings.

Applied to source spectra in :mod:`cevns.sources.oscillated`: rates need the tail moments of the oscillated spectra, ∫_{E_min} λ(E) ⟨sin²Δ⟩ E^{-k} dE.
⟨·⟩ averages over a Gaussian spread σ_L of the baseline (analytic: the cos 2Δ term is
damped by exp(−(2Δ σ_L/L)²/2)) and, for continuous spectra, over energy cells in 1/E
(the exact cell average of cos 2Δ, which is linear in 1/E), so that fast oscillations
average to ½ instead of aliasing on the grid. Δ = 1.267 Δm²[eV²] L[m] / E[MeV].

Units: Δm² in eV², lengths in cm, energies in MeV.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cevns.errors import InputError
from cevns.units import HBARC_MEV_CM, eV

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike

#: Lepton flavours in the order of the mixing-matrix rows.
ACTIVE = ("e", "mu", "tau")

@dataclass(frozen=True)
class SterileMixing:
    """3+1 parameters: ``dm2_41_ev2`` (eV², ≥ 0) and |U_α4|² for α = e, μ, τ."""

    dm2_41_ev2: float
    ue4_sq: float = 0.0
    umu4_sq: float = 0.0
    utau4_sq: float = 0.0

    def __post_init__(self) -> None:
        if not (self.dm2_41_ev2 >= 0 and math.isfinite(self.dm2_41_ev2)):
            raise InputError(f"dm2_41 must be finite and ≥ 0 eV², got {self.dm2_41_ev2}")
        u = (self.ue4_sq, self.umu4_sq, self.utau4_sq)
        if any(not 0.0 <= x <= 1.0 for x in u) or sum(u) > 1.0:
            raise InputError(f"|U_a4|² must lie in [0, 1] and sum to ≤ 1, got {u}")

    @property
    def u_sq(self) -> dict[str, float]:
        return dict(zip(ACTIVE, (self.ue4_sq, self.umu4_sq, self.utau4_sq)))

    @property
    def active(self) -> bool:
        """False when nothing oscillates (Δm² = 0 or no mixing): exactly the SM."""
        return self.dm2_41_ev2 > 0 and any(v > 0 for v in self.u_sq.values())

    def transition_coefficients(self) -> dict[tuple[str, str], float]:
        """c_αβ in P_αβ = δ_αβ − c_αβ ⟨sin²Δ⟩: c_αβ = 4|U_α4|²(δ_αβ − |U_β4|²)."""
        u = self.u_sq
        return {(a, b): 4.0 * u[a] * (float(a == b) - u[b]) for a in ACTIVE for b in ACTIVE}


def mixing_from_sin2_2theta(sin2_2theta: float) -> float:
    """|U|² from sin²2θ = 4|U|²(1 − |U|²) on the small-mixing branch |U|² ≤ ½."""
    if not 0.0 <= sin2_2theta <= 1.0:
        raise InputError(f"sin²2θ must lie in [0, 1], got {sin2_2theta}")
    return 0.5 * (1.0 - math.sqrt(1.0 - sin2_2theta))


def phase_coefficient(dm2_ev2: float, baseline_cm: float) -> float:
    """β in 2Δ = β/E (MeV): β = Δm² L / (2ħc) with Δm² in eV² and L in cm."""
    return dm2_ev2 * eV**2 * baseline_cm / (2.0 * HBARC_MEV_CM)


def averaged_sin2(energy: ArrayLike, dm2_ev2: float, baseline_cm: float, spread_cm: float = 0.0) -> np.ndarray:
    """⟨sin²(Δm² L/4E)⟩ over a Gaussian baseline spread, at fixed energies (MeV)."""
    beta = phase_coefficient(dm2_ev2, baseline_cm)
    phase = beta / np.asarray(energy, dtype=float)
    damping = np.exp(-0.5 * (phase * spread_cm / baseline_cm) ** 2)
    return 0.5 * (1.0 - np.cos(phase) * damping)


__all__ = [
    "ACTIVE",
    "SterileMixing",
    "averaged_sin2",
    "mixing_from_sin2_2theta",
    "phase_coefficient",
]
