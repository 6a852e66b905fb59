"""Elastic ν + nucleus kinematics (exact, relativistic).

All energies and masses in MeV; momenta in MeV. Functions accept numpy arrays and
broadcast. For a neutrino of energy E on a nucleus of mass M at rest, the recoil kinetic
energy T ranges over [0, T_max] with (e.g. Lindner, Rodejohann, Xu, JHEP 03 (2017) 097,
arXiv:1612.04150, Sec. 2):

.. math::  T_{max} = \\frac{2E^2}{M + 2E}, \\qquad
           E_{min}(T) = \\tfrac12\\left(T + \\sqrt{T^2 + 2MT}\\right), \\qquad
           |\\vec q|^2 = T^2 + 2MT .
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def recoil_max(neutrino_energy: ArrayLike, nuclear_mass: float) -> np.ndarray:
    """Largest nuclear recoil kinetic energy T_max = 2E²/(M + 2E), in MeV.

    Parameters: ``neutrino_energy`` E in MeV; ``nuclear_mass`` M in MeV. A 50 MeV neutrino
    on ¹³³Cs (≈ 40 keV in F. Dordei, "CEvNS: status and prospects", Invisibles 2021):

    >>> from cevns import units as u
    >>> from cevns.physics.nuclei import isotope
    >>> round(float(recoil_max(50.0, isotope("Cs", 133).mass) / u.keV), 2)
    40.36
    """
    e = np.asarray(neutrino_energy, dtype=float)
    return 2.0 * e**2 / (nuclear_mass + 2.0 * e)


def neutrino_energy_min(recoil: ArrayLike, nuclear_mass: float) -> np.ndarray:
    """Smallest neutrino energy able to give recoil T: ½(T + √(T² + 2MT)), in MeV.

    The exact inverse of :func:`recoil_max`. ``recoil`` T and ``nuclear_mass`` M in MeV.

    >>> m = 123772.75  # ¹³³Cs nucleus, MeV
    >>> round(float(neutrino_energy_min(recoil_max(50.0, m), m)), 12)
    50.0
    """
    t = np.asarray(recoil, dtype=float)
    return 0.5 * (t + np.sqrt(t**2 + 2.0 * nuclear_mass * t))


def momentum_transfer(recoil: ArrayLike, nuclear_mass: float) -> np.ndarray:
    """Three-momentum transfer |q| = √(T² + 2MT) in MeV for recoil T (MeV), mass M (MeV)."""
    t = np.asarray(recoil, dtype=float)
    return np.sqrt(t**2 + 2.0 * nuclear_mass * t)
