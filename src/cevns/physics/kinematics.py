"""Elastic ν + nucleus kinematics (exact, relativistic).

All energies and masses in MeV; momenta in MeV. Functions accept numpy arrays and
broadcast. For a neutrino of energy E on a nucleus of mass M at rest, the recoil kinetic
energy T ranges over [0, T_max] with (e.g. Lindner, Rodejohann, Xu, JHEP 03 (2017) 097,
arXiv:1612.04150, Sec. 2):

.. math::  T_{max} = \\frac{2E^2}{M + 2E}, \\qquad
           E_{min}(T) = \\tfrac12\\left(T + \\sqrt{T^2 + 2MT}\\right), \\qquad
           |\\vec q|^2 = T^2 + 2MT .

Every function checks its inputs (:func:`energies`, :func:`nuclear_mass_mev`): energies
finite and ≥ 0, the mass finite and > 0; anything else raises
:class:`cevns.errors.InputError` (a wrong type :class:`cevns.errors.InputTypeError`) with
a one-line message, instead of a silent NaN or a meaningless number.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np

from cevns.errors import InputError, InputTypeError

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike


#: Largest neutrino energy (MeV) the cross sections accept: 10 GeV. Coherence needs
#: qR ≲ 1, i.e. E ≲ 100 MeV for heavy nuclei (above, the form factor is 0); 10 GeV leaves
#: a wide margin and keeps E² far from overflowing.
MAX_NEUTRINO_ENERGY_MEV = 1.0e4


def energies(value: ArrayLike, what: str, positive: bool = False, high: float | None = None) -> np.ndarray:
    """``value`` as a float array of energies in MeV, checked: numbers, finite and ≥ 0
    (> 0 with ``positive``), at most ``high`` MeV if given. ``what`` names the argument in
    the one-line error."""
    try:
        x = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputTypeError.expected(what, "a number or an array of numbers (MeV)", value) from None
    if x.size:
        if not np.all(np.isfinite(x)):
            raise InputError(f"{what} must be finite, got {_first(x, ~np.isfinite(x))}")
        bad = x <= 0.0 if positive else x < 0.0
        if np.any(bad):
            raise InputError(f"{what} must be {'>' if positive else '≥'} 0 MeV, got {_first(x, bad)}")
        if high is not None and np.any(x > high):
            raise InputError(f"{what} must be ≤ {high:g} MeV (coherent scattering needs E ≲ a few hundred MeV), "
                             f"got {_first(x, x > high)}")
    return x


def _first(x: np.ndarray, bad: np.ndarray) -> str:
    return f"{x[bad].ravel()[0]:g}"


def nuclear_mass_mev(value: float) -> float:
    """A nuclear mass in MeV, checked: a finite number > 0 (one-line errors)."""
    if isinstance(value, bool) or not isinstance(value, (Real, np.floating, np.integer)):
        raise InputTypeError.expected("nuclear mass", "a number (MeV)", value)
    m = float(value)
    if not (math.isfinite(m) and m > 0.0):
        raise InputError(f"nuclear mass must be finite and > 0 MeV, got {m:g}")
    return m


def recoil_max(neutrino_energy: ArrayLike, nuclear_mass: float) -> np.ndarray:
    """Largest nuclear recoil kinetic energy T_max = 2E²/(M + 2E), in MeV.

    Parameters: ``neutrino_energy`` E in MeV; ``nuclear_mass`` M in MeV. A 50 MeV neutrino
    on ¹³³Cs (≈ 40 keV in F. Dordei, "CEvNS: status and prospects", Invisibles 2021):

    >>> from cevns import units as u
    >>> from cevns.physics.nuclei import isotope
    >>> round(float(recoil_max(50.0, isotope("Cs", 133).mass) / u.keV), 2)
    40.36
    """
    e = energies(neutrino_energy, "neutrino energy")
    return 2.0 * e**2 / (nuclear_mass_mev(nuclear_mass) + 2.0 * e)


def neutrino_energy_min(recoil: ArrayLike, nuclear_mass: float) -> np.ndarray:
    """Smallest neutrino energy able to give recoil T: ½(T + √(T² + 2MT)), in MeV.

    The exact inverse of :func:`recoil_max`. ``recoil`` T and ``nuclear_mass`` M in MeV.

    >>> m = 123772.75  # ¹³³Cs nucleus, MeV
    >>> round(float(neutrino_energy_min(recoil_max(50.0, m), m)), 12)
    50.0
    """
    t = energies(recoil, "recoil energy")
    return 0.5 * (t + np.sqrt(t**2 + 2.0 * nuclear_mass_mev(nuclear_mass) * t))


def momentum_transfer(recoil: ArrayLike, nuclear_mass: float) -> np.ndarray:
    """Three-momentum transfer |q| = √(T² + 2MT) in MeV for recoil T (MeV), mass M (MeV)."""
    t = energies(recoil, "recoil energy")
    return np.sqrt(t**2 + 2.0 * nuclear_mass_mev(nuclear_mass) * t)


__all__ = ["MAX_NEUTRINO_ENERGY_MEV", "energies", "momentum_transfer", "neutrino_energy_min", "nuclear_mass_mev", "recoil_max"]
