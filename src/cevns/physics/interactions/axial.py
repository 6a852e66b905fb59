"""The axial-vector (spin-dependent) current of odd-A nuclei.

An unpolarised nucleus of spin J adds (M. Hoferichter, J. Menéndez, A. Schwenk, PRD 102,
074018 (2020), arXiv:2007.08529, axial term of the CEvNS cross section with
F_A(0) = 4 G_A²)

.. math::
   \\frac{d\\sigma_A}{dT} = \\frac{G_F^2 M}{\\pi}\\,G_A^2 F_A^2
     \\left(1 - \\frac{T}{E} + \\frac{MT}{2E^2}\\right),

which does not interfere with the coherent vector charge, so ν and ν̄ get the same term;
G_A is :func:`axial_charge` and F_A is approximated by the form factor of the nucleon
group that carries the spin. The state is a scale s (0 off, 1 nominal) multiplying
G_A².

State: a float ≥ 0. Parameter ``axial``.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np

from cevns.errors import InputError
from cevns.physics.interactions.registry import ModelTerm, Parameter, RecoilKinematics, register_term
from cevns.physics.nuclei import Isotope, spin_expectation_values

#: Nucleon axial coupling g_A = 1.2754 ± 0.0013 (PDG 2024, S. Navas et al., PRD 110, 030001,
#: neutron λ = g_A/g_V); g_A^{p,n} = ±g_A/2 with the strange-quark spin Δs neglected.
NUCLEON_AXIAL_COUPLING = 1.2754


def axial_charge(isotope: Isotope) -> float:
    """G_A(q = 0) = 2 (g_A^p ⟨S_p⟩ + g_A^n ⟨S_n⟩) √((J+1)/(3J)), g_A^{p,n} = ±g_A/2.

    The axial term of an unpolarised nucleus of spin J adds
    dσ/dT = (G_F²M/π) G_A² F_A² (1 − T/E + MT/2E²) (M. Hoferichter, J. Menéndez,
    A. Schwenk, PRD 102, 074018 (2020), arXiv:2007.08529, axial term of the CEvNS cross
    section with F_A(0) = 4 G_A²; normalisation checked on a free proton, J = ½, ⟨S⟩ = ½,
    which gives G_A = g_A^p and σ ∝ g_V² + 3g_A²). It does not interfere with the coherent
    vector charge of an unpolarised nucleus, so ν and ν̄ get the same term. The point-
    nucleon form of J. Barranco, O. G. Miranda, T. I. Rashba, JHEP 12 (2005) 021, with
    G_A = Σ(N₊ − N₋), is larger by 3J/(J+1). Spins: :func:`cevns.physics.nuclei.spin_expectation_values`.
    Returns 0 for J = 0; raises ValueError for an odd-A isotope without tabulated spins.
    """
    spins = spin_expectation_values(isotope)
    if spins is None:
        raise InputError(f"no spin expectation values for {isotope.name}: the axial term cannot be computed")
    sp, sn = spins
    if sp == 0.0 and sn == 0.0:
        return 0.0
    if isotope.spin is None:
        raise InputError(f"no nuclear spin for {isotope.name}: the axial term cannot be computed")
    j = float(isotope.spin)
    half = 0.5 * NUCLEON_AXIAL_COUPLING
    return 2.0 * (half * sp - half * sn) * math.sqrt((j + 1.0) / (3.0 * j))


def axial_form_factor(isotope: Isotope, proton_form_factor: np.ndarray, neutron_form_factor: np.ndarray) -> np.ndarray:
    """F_A(q) approximated by the form factor of the nucleon group that carries the spin."""
    sp, sn = spin_expectation_values(isotope) or (0.0, 0.0)
    return np.asarray(proton_form_factor if abs(sp) >= abs(sn) else neutron_form_factor)


def axial_incoherent(scale: float, k: RecoilKinematics) -> np.ndarray | None:
    """c_k += s G_A² F_A² (1, −T, +MT/2), the same for every flavour (Hoferichter et al. 2020)."""
    ga = math.sqrt(scale) * axial_charge(k.isotope)
    if not ga:
        return None
    ga2 = (ga * axial_form_factor(k.isotope, k.proton_form_factor, k.neutron_form_factor)) ** 2
    t = k.recoil
    out = np.empty((1, 3, t.size))
    out[0, 0] = ga2
    out[0, 1] = -(t * ga2)
    out[0, 2] = 0.5 * k.mass * t * ga2
    return out


def _check(scale: float) -> None:
    if not scale >= 0:
        raise InputError(f"axial scale must be ≥ 0, got {scale}")


def _build(values: Mapping[str, float | str]) -> float:
    return float(values["axial"])


AXIAL = register_term(
    ModelTerm[float](
        name="axial",
        title="the axial term",
        parameters=(Parameter("axial", "", 0.0, "scale of the axial-vector (spin-dependent) term of odd-A nuclei: 0 off, 1 on", 0.0),),
        build=_build,
        default=0.0,
        is_active=lambda scale: bool(scale),
        check=_check,
        incoherent=axial_incoherent,
        jax_support=False,
        citation="M. Hoferichter, J. Menéndez, A. Schwenk, PRD 102, 074018 (2020), arXiv:2007.08529",
    )
)

__all__ = ["AXIAL", "NUCLEON_AXIAL_COUPLING", "axial_charge", "axial_form_factor", "axial_incoherent"]
