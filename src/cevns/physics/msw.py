"""Solar-neutrino flavour content at Earth: adiabatic MSW conversion in the Sun.

A ν_e produced at electron density n_e leaves the Sun adiabatically in the matter
eigenstates' mass-state mixture and arrives at Earth as an incoherent sum of mass states
(the phases average out over the Earth–Sun distance). With the standard three-flavour
reduction (θ₁₃ small, Δm²₃₁ ≫ matter potential; e.g. M. C. Gonzalez-Garcia & Y. Nir,
Rev. Mod. Phys. 75, 345 (2003), arXiv:hep-ph/0202058, Sec. on solar neutrinos; PDG Review of
Particle Physics, "Neutrino masses, mixing, and oscillations", the adiabatic solar
formula; equation numbers as recalled, unverified), the probability to find the ν_e in
mass state i at Earth is

.. math::
   P_{e1} = c_{13}^2\\cos^2\\theta_{12}^m,\\quad P_{e2} = c_{13}^2\\sin^2\\theta_{12}^m,\\quad
   P_{e3} = s_{13}^2,

with the matter mixing angle at production computed from the effective two-flavour density
c²₁₃ n_e:

.. math::
   \\cos 2\\theta_{12}^m = \\frac{\\cos 2\\theta_{12} - \\beta}
       {\\sqrt{(\\cos 2\\theta_{12} - \\beta)^2 + \\sin^2 2\\theta_{12}}},\\qquad
   \\beta = \\frac{2\\sqrt2 G_F c_{13}^2 n_e E}{\\Delta m^2_{21}}.

Then :math:`P_{e\\alpha} = \\sum_i P_{ei} |U_{\\alpha i}|^2`, which for α = e is the
familiar adiabatic survival probability

.. math:: P_{ee} = c_{13}^4\\left(\\tfrac12 + \\tfrac12\\cos 2\\theta_{12}^m\\cos 2\\theta_{12}\\right) + s_{13}^4 .

The squared PMNS elements :math:`|U_{\\mu i}|^2`, :math:`|U_{\\tau i}|^2` are those of the standard parametrisation, δ_CP included exactly
(PDG "Neutrino masses, mixing, and oscillations", Eq. for U in terms of θ₁₂, θ₁₃, θ₂₃,
δ). Neglected: non-adiabatic (level-crossing) transitions, negligible for the LMA
solution; Earth-matter regeneration (day–night asymmetry, a few % for ⁸B at night);
the energy-dependent Δm²₃₁ matter correction to θ₁₃ (order 10⁻³).

The matter potential is √2 G_F n_e = 7.63 × 10⁻¹⁴ eV × n_e/(N_A cm⁻³) computed from
:data:`cevns.units.G_FERMI`, :data:`cevns.units.HBARC_MEV_CM` and
:data:`cevns.units.AVOGADRO` (CODATA 2022).

Averaging over where a neutrino is produced (:func:`production_averaged_probabilities`)
weights the probability at each radius by the component's production distribution
(tabulated by the solar model; :mod:`cevns.sources.solar` ships those of B16).

Oscillation parameters come from a named global fit in :data:`GLOBAL_FITS` (normal
ordering).

Units: energies in MeV, Δm² in eV², electron densities in N_A cm⁻³ (mol/cm³).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from cevns.errors import InputError
from cevns.units import AVOGADRO, G_FERMI, HBARC_MEV_CM

__all__ = [
    "DEFAULT_FIT",
    "GLOBAL_FITS",
    "MATTER_POTENTIAL_MEV_PER_NA",
    "OscillationFit",
    "cos2_theta12_matter",
    "global_fit",
    "mass_state_fractions",
    "pmns_squared",
    "production_averaged_probabilities",
    "solar_flavour_probabilities",
    "survival_probability",
    "vacuum_average_pee",
]

#: √2 G_F n_e for n_e = 1 N_A cm⁻³, in MeV (≈ 7.63 × 10⁻²⁰ MeV = 7.63 × 10⁻¹⁴ eV).
MATTER_POTENTIAL_MEV_PER_NA: float = math.sqrt(2.0) * G_FERMI * AVOGADRO * HBARC_MEV_CM**3

_EV2_TO_MEV2 = 1e-12


@dataclass(frozen=True)
class OscillationFit:
    """Three-flavour oscillation parameters of a named global fit (normal ordering).

    ``sin2_theta12``, ``sin2_theta13``, ``sin2_theta23``: sin² of the mixing angles;
    ``delta_cp_deg``: Dirac phase in degrees; ``dm2_21_ev2``, ``dm2_31_ev2``: mass-squared
    splittings in eV²; ``citation``: where the numbers come from.
    """

    name: str
    sin2_theta12: float
    sin2_theta13: float
    sin2_theta23: float
    delta_cp_deg: float
    dm2_21_ev2: float
    dm2_31_ev2: float
    citation: str

    def __post_init__(self) -> None:
        for label in ("sin2_theta12", "sin2_theta13", "sin2_theta23"):
            value = getattr(self, label)
            if not 0.0 <= value <= 1.0:
                raise InputError(f"oscillation fit {self.name!r}: {label} must lie in [0, 1], got {value}")
        if not (self.dm2_21_ev2 > 0 and math.isfinite(self.dm2_21_ev2)):
            raise InputError(f"oscillation fit {self.name!r}: dm2_21 must be > 0 eV², got {self.dm2_21_ev2}")


#: Named global fits, best-fit points for normal ordering.
GLOBAL_FITS: dict[str, OscillationFit] = {
    "NuFIT-5.2": OscillationFit(
        "NuFIT-5.2", 0.303, 0.02225, 0.451, 232.0, 7.41e-5, 2.507e-3,
        "NuFIT 5.2 (2022), www.nu-fit.org, normal ordering with SK atmospheric data; analysis of "
        "I. Esteban, M. C. Gonzalez-Garcia, M. Maltoni, T. Schwetz, A. Zhou, JHEP 09 (2020) 178, "
        "arXiv:2007.14792 (values as quoted in the peer codes OscProb tests and the NuFIT 5.2 table)",
    ),
    "NuFIT-6.0": OscillationFit(
        "NuFIT-6.0", 0.308, 0.02215, 0.470, 212.0, 7.49e-5, 2.513e-3,
        "NuFIT 6.0: I. Esteban, M. C. Gonzalez-Garcia, M. Maltoni, I. Martinez-Soler, J. P. Pinheiro, "
        "T. Schwetz, JHEP 12 (2024) 216, arXiv:2410.05380, normal ordering with SK atmospheric data "
        "(as recalled, unverified)",
    ),
}

#: The fit used when none is named.
DEFAULT_FIT = "NuFIT-5.2"


def global_fit(name: str | OscillationFit = DEFAULT_FIT) -> OscillationFit:
    """The :class:`OscillationFit` called ``name`` (an :class:`OscillationFit` passes
    through); an unknown name is a one-line :class:`~cevns.errors.InputError`."""
    if isinstance(name, OscillationFit):
        return name
    try:
        return GLOBAL_FITS[name]
    except (KeyError, TypeError):
        raise InputError.unknown("oscillation fit", name, GLOBAL_FITS) from None


def cos2_theta12_matter(energy: ArrayLike, n_e: ArrayLike, fit: str | OscillationFit = DEFAULT_FIT) -> np.ndarray:
    """cos 2θ₁₂ in matter at neutrino ``energy`` (MeV) and electron density ``n_e``
    (N_A cm⁻³), with the effective density c²₁₃ n_e (module docstring). Broadcasts."""
    p = global_fit(fit)
    c2 = 1.0 - 2.0 * p.sin2_theta12
    s2_sq = 1.0 - c2 * c2
    beta = (
        2.0 * MATTER_POTENTIAL_MEV_PER_NA * (1.0 - p.sin2_theta13) * np.asarray(n_e, dtype=float)
        * np.asarray(energy, dtype=float) / (p.dm2_21_ev2 * _EV2_TO_MEV2)
    )
    return np.asarray((c2 - beta) / np.sqrt((c2 - beta) ** 2 + s2_sq))


def mass_state_fractions(energy: ArrayLike, n_e: ArrayLike, fit: str | OscillationFit = DEFAULT_FIT) -> np.ndarray:
    """Array ``(3, ...)``: probabilities P_e1, P_e2, P_e3 that a ν_e of ``energy`` (MeV)
    produced at ``n_e`` (N_A cm⁻³) reaches Earth as mass state 1, 2, 3 (adiabatic)."""
    p = global_fit(fit)
    c2m = cos2_theta12_matter(energy, n_e, p)
    c13sq = 1.0 - p.sin2_theta13
    return np.stack([c13sq * 0.5 * (1.0 + c2m), c13sq * 0.5 * (1.0 - c2m), np.full_like(c2m, p.sin2_theta13)])


def pmns_squared(fit: str | OscillationFit = DEFAULT_FIT) -> np.ndarray:
    """|U_αi|², shape (3, 3), rows α = e, μ, τ, columns i = 1, 2, 3, of the standard PMNS
    parametrisation (PDG) with δ_CP; rows and columns each sum to 1."""
    p = global_fit(fit)
    s12, s13, s23 = (math.sqrt(x) for x in (p.sin2_theta12, p.sin2_theta13, p.sin2_theta23))
    c12, c13, c23 = (math.sqrt(1.0 - x) for x in (p.sin2_theta12, p.sin2_theta13, p.sin2_theta23))
    phase = complex(math.cos(math.radians(p.delta_cp_deg)), math.sin(math.radians(p.delta_cp_deg)))
    u = np.array([
        [c12 * c13, s12 * c13, s13 / phase],
        [-s12 * c23 - c12 * s23 * s13 * phase, c12 * c23 - s12 * s23 * s13 * phase, s23 * c13],
        [s12 * s23 - c12 * c23 * s13 * phase, -c12 * s23 - s12 * c23 * s13 * phase, c23 * c13],
    ])
    return np.abs(u) ** 2


def solar_flavour_probabilities(energy: ArrayLike, n_e: ArrayLike, fit: str | OscillationFit = DEFAULT_FIT) -> np.ndarray:
    """Array ``(3, ...)``: P_ee, P_eμ, P_eτ at Earth for a ν_e of ``energy`` (MeV)
    produced at electron density ``n_e`` (N_A cm⁻³); P_eα = Σ_i P_ei |U_αi|² (module
    docstring). They sum to 1."""
    fractions = mass_state_fractions(energy, n_e, fit)
    return np.tensordot(pmns_squared(fit), fractions, axes=([1], [0]))


def survival_probability(energy: ArrayLike, n_e: ArrayLike, fit: str | OscillationFit = DEFAULT_FIT) -> np.ndarray:
    """Adiabatic P_ee = c⁴₁₃(½ + ½ cos 2θ₁₂^m cos 2θ₁₂) + s⁴₁₃ at ``energy`` (MeV) for
    production at ``n_e`` (N_A cm⁻³)."""
    p = global_fit(fit)
    c2m = cos2_theta12_matter(energy, n_e, p)
    c13sq = 1.0 - p.sin2_theta13
    return np.asarray(c13sq**2 * (0.5 + 0.5 * c2m * (1.0 - 2.0 * p.sin2_theta12)) + p.sin2_theta13**2)


def vacuum_average_pee(fit: str | OscillationFit = DEFAULT_FIT) -> float:
    """The low-energy (vacuum-averaged) limit c⁴₁₃(1 − ½ sin²2θ₁₂) + s⁴₁₃."""
    p = global_fit(fit)
    sin2_2t12 = 4.0 * p.sin2_theta12 * (1.0 - p.sin2_theta12)
    return (1.0 - p.sin2_theta13) ** 2 * (1.0 - 0.5 * sin2_2t12) + p.sin2_theta13**2


def production_averaged_probabilities(
    energy: ArrayLike,
    radius: ArrayLike,
    n_e: ArrayLike,
    weights: ArrayLike,
    fit: str | OscillationFit = DEFAULT_FIT,
) -> np.ndarray:
    """P_ee, P_eμ, P_eτ (array ``(3, *energy.shape)``) averaged over the production region:
    Σ_r w(r) P_eα(E, n_e(r)) / Σ_r w(r), trapezoidal in ``radius`` (any unit) with the
    production distribution ``weights`` (per unit radius, any normalisation) and electron
    densities ``n_e`` (N_A cm⁻³) on the same radii. Vectorised: one broadcast over
    (energy, radius), no loop."""
    r = np.asarray(radius, dtype=float)
    w = np.asarray(weights, dtype=float)
    ne = np.asarray(n_e, dtype=float)
    if r.ndim != 1 or r.shape != w.shape or r.shape != ne.shape or r.size < 2:
        raise InputError("production profile: radius, n_e and weights must be 1-D arrays of the same length ≥ 2")
    if np.any(w < 0) or np.any(ne < 0) or np.any(np.diff(r) <= 0):
        raise InputError("production profile: radii must increase, n_e and weights must be ≥ 0")
    dr = np.diff(r)
    trap = np.zeros_like(r)
    trap[:-1] += 0.5 * dr
    trap[1:] += 0.5 * dr
    tw = trap * w
    total = float(np.sum(tw))
    if not total > 0:
        raise InputError("production profile: the weights integrate to zero")
    e = np.asarray(energy, dtype=float)
    probs = solar_flavour_probabilities(e[..., None], ne, fit)
    return np.asarray(np.sum(probs * tw, axis=-1) / total)
