"""Electron-recoil spectra from neutrino–electron elastic scattering, for any
:class:`cevns.sources.spectra.NeutrinoSource`.

For an element with N atoms, a species f with flux Φ_f and normalised spectrum λ_f(E), over
a live time t, the electron-recoil spectrum with the stepping approximation is

.. math::
   \\frac{dR_f}{dT} = N\\,Z_{eff}(T)\\,\\Phi_f\\,t \\int_{E_{min}(T)} \\lambda_f(E)
       \\frac{d\\sigma_f}{dT}(E, T)\\,dE
     = N\\,Z_{eff}(T)\\,\\Phi_f\\,t \\sum_{k=0}^{2} a_{k,f}(T)\\,m_{k,f}(E_{min}(T)),

with E_min(T) = [T + √(T² + 2 m_e T)]/2, the coefficients a_k of
:func:`cevns.physics.electron_scattering.cross_section_coefficients` and the tail moments
m_k of the spectra (:mod:`cevns.sources.spectra`) — the same factorisation as the nuclear
rates of :mod:`cevns.rates.prediction` (D. K. Papoulias, T. S. Kosmas, arXiv:1711.09773,
Eq. 4), with the electron in place of the nucleus. Z_eff(T) is the number of electrons
bound by less than T (J.-W. Chen et al., PLB 774, 656 (2017), arXiv:1610.04177); with
``binding=False`` it is Z (free electrons).

Units: recoils in keV (electron-equivalent: the true electron recoil energy) at the API,
MeV inside; :func:`electron_recoil_spectrum` gives counts per keV for the exposure,
:func:`electron_recoil_rate` events per tonne per year per keV (year: Julian,
:data:`cevns.units.year`).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
from numpy.typing import ArrayLike

from cevns.errors import InputError
from cevns.physics.cross_sections import FLAVORS
from cevns.physics.electron_scattering import (
    ElectronNSI,
    atomic_shells,
    cross_section_coefficients,
    electron_neutrino_energy_min,
    electrons_available,
)
from cevns.physics.interactions import PhysicsModel
from cevns.physics.kinematics import energies, recoil_max
from cevns.rates.nodes import gauss_legendre_panels
from cevns.physics.nuclei import resolve_target
from cevns.sources.spectra import NeutrinoSource
from cevns.units import M_ELECTRON, keV, kg, tonne, year


def atoms_per_tonne(element: str) -> float:
    """Atoms of ``element`` (natural isotopic composition) in one tonne:
    10⁶ g / (Σ_i x_i A_i g/mol) × N_A (:meth:`cevns.physics.nuclei.Target.nuclei_per_kg`)."""
    return float(sum(resolve_target(element).nuclei_per_kg().values()) * tonne / kg)


def _check_model(model: PhysicsModel) -> None:
    if model.sterile is not None and model.sterile.active:
        raise InputError("sterile oscillations are not applied to electron recoils; give the source's flavour content instead")


def electron_recoil_spectrum(
    recoil_kev: ArrayLike,
    element: str,
    n_atoms: float,
    source: NeutrinoSource,
    live_time_s: float,
    model: PhysicsModel | None = None,
    nsi: ElectronNSI | None = None,
    binding: bool = True,
) -> dict[str, np.ndarray]:
    """dR/dT in counts per keV for ``n_atoms`` atoms of ``element`` over ``live_time_s``
    seconds, per species of ``source``, at electron recoils ``recoil_kev`` (keV, > 0).
    ``binding``: stepping approximation (default) or free electrons (Z per atom).
    ``model`` supplies the neutrino electromagnetic properties and sin²θ_W, ``nsi`` the
    NSI with electrons (:mod:`cevns.physics.electron_scattering`)."""
    model = model or PhysicsModel()
    _check_model(model)
    if not (n_atoms >= 0 and np.isfinite(n_atoms)) or not (live_time_s >= 0 and np.isfinite(live_time_s)):
        raise InputError(f"the number of atoms and the live time must be finite and ≥ 0, got {n_atoms} and {live_time_s}")
    shells = atomic_shells(element)
    shape = np.shape(recoil_kev)
    t = np.atleast_1d(energies(recoil_kev, "electron recoil energy (keV)", positive=True)).ravel() * keV
    z_eff = electrons_available(element, t) if binding else np.full(t.shape, float(sum(s.occupancy for s in shells)))
    flavors = tuple(f for f in FLAVORS if f in source.spectra)
    coefficients = cross_section_coefficients(t, flavors, model, nsi)
    emin = electron_neutrino_energy_min(t)
    out: dict[str, np.ndarray] = {}
    for flavor, a in zip(flavors, coefficients):
        moments = source.spectra[flavor].tail_moments(emin)
        per_electron = np.clip(np.sum(a * moments, axis=0), 0.0, None)
        out[flavor] = (n_atoms * live_time_s * source.flux_cm2_s[flavor] * z_eff * per_electron * keV).reshape(shape)
    return out


def electron_recoil_rate(
    recoil_kev: ArrayLike,
    element: str,
    source: NeutrinoSource,
    model: PhysicsModel | None = None,
    nsi: ElectronNSI | None = None,
    binding: bool = True,
) -> dict[str, np.ndarray]:
    """dR/dT in events per tonne per year per keV of ``element`` (per species of
    ``source``); see :func:`electron_recoil_spectrum`."""
    return electron_recoil_spectrum(recoil_kev, element, atoms_per_tonne(element), source, year, model, nsi, binding)


def integrated_rate(
    low_kev: float,
    high_kev: float,
    element: str,
    source: NeutrinoSource,
    model: PhysicsModel | None = None,
    nsi: ElectronNSI | None = None,
    binding: bool = True,
    nodes_per_step: int = 24,
) -> Mapping[str, float]:
    """Events per tonne per year with electron recoils in [``low_kev``, ``high_kev``] keV,
    per species: Gauss–Legendre panels split at the subshell binding energies (where the
    stepping approximation jumps) and at the kinks of the spectra (line energies), so each
    panel is smooth."""
    if not (0.0 < low_kev < high_kev and np.isfinite(high_kev)):
        raise InputError(f"give 0 < low < high (keV), got [{low_kev}, {high_kev}]")
    edges = {low_kev, high_kev}
    edges.update(s.binding_mev / keV for s in atomic_shells(element) if low_kev < s.binding_mev / keV < high_kev)
    for spectrum in source.spectra.values():
        for line in (*spectrum.lines, *spectrum.support):
            if line > 0:
                kink = float(recoil_max(line, M_ELECTRON)) / keV
                if low_kev < kink < high_kev:
                    edges.add(kink)
    t, weights = gauss_legendre_panels(np.array(sorted(edges)), nodes_per_step)
    rate = electron_recoil_rate(t, element, source, model, nsi, binding)
    return {f: float(np.sum(r * weights)) for f, r in rate.items()}


__all__ = ["atoms_per_tonne", "electron_recoil_rate", "electron_recoil_spectrum", "integrated_rate"]
