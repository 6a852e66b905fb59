"""A light scalar mediator φ of mass m that couples with strength g to neutrinos and to
every quark.

Scalar exchange flips the neutrino helicity, so it does not interfere with the vector
current and adds incoherently (D. G. Cerdeño et al., JHEP 05 (2016) 118,
arXiv:1604.01025, Eq. 2.9)

.. math::
   \\frac{d\\sigma_\\phi}{dT} = \\frac{g_\\nu^2 Q_\\phi^2 M^2 T}{4\\pi E^2 (q^2 + m^2)^2},
   \\qquad Q_\\phi = g\\,(c_p Z F_Z + c_n N F_N),

with g_ν = g; in the c_k of :mod:`cevns.physics.interactions.model` (prefactor G_F²M/π)
this is c_2 += M T g² Q_φ² / (4 G_F² (q² + m²)²). The nucleon charges c_N are
:data:`SCALAR_NUCLEON_CHARGES`.

State: a :class:`ScalarMediator` (None: off). Parameters ``scalar_mass``, ``scalar_coupling``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from cevns.errors import InputError
from cevns.physics.interactions.registry import ModelTerm, Parameter, RecoilKinematics, register_term
from cevns.units import G_FERMI

#: Scalar charges per nucleon c_N = Σ_q (m_N/m_q) f_Tq^N + (2/27) f_TG Σ_Q m_N/m_Q for a
#: universal quark coupling: Q_φ ≈ (14 A + 1.1 Z) g, i.e. c_n = 14, c_p = 15.1, the
#: approximation of Cerdeño et al., JHEP 05 (2016) 118, arXiv:1604.01025 (their table of
#: nucleon matrix elements; as implemented by the same authors' public code). Other f_Tq
#: sets give 13.8–14.0 A and 0–1.1 Z: the Z term is ≈ 3% of Q_φ, which bounds the
#: uncertainty from the matrix elements.
SCALAR_NUCLEON_CHARGES: Mapping[str, float] = {"proton": 15.1, "neutron": 14.0}


@dataclass(frozen=True)
class ScalarMediator:
    """A light scalar with ``mass`` (MeV) coupling with strength ``coupling`` to ν and to
    every quark (Q_φ = g (c_p Z F_Z + c_n N F_N), :data:`SCALAR_NUCLEON_CHARGES`)."""

    mass: float
    coupling: float

    def __post_init__(self) -> None:
        if not (self.mass > 0 and math.isfinite(self.mass)):
            raise InputError(f"scalar mass must be finite and > 0 MeV, got {self.mass}")


def build_scalar_mediator(values: Mapping[str, float | str]) -> ScalarMediator:
    """The :class:`ScalarMediator` of ``scalar_mass`` and ``scalar_coupling`` (defaults filled in)."""
    return ScalarMediator(float(values["scalar_mass"]), float(values["scalar_coupling"]))


def scalar_incoherent(scalar: ScalarMediator, k: RecoilKinematics) -> np.ndarray:
    """c_2 += M T g² Q_φ² / (4 G_F² (q² + m²)²), the same for every flavour (Cerdeño et al. 2016, Eq. 2.9)."""
    c = SCALAR_NUCLEON_CHARGES
    charge = scalar.coupling * (c["proton"] * k.zf + c["neutron"] * k.nf)
    m, t = k.mass, k.recoil
    out = np.zeros((1, 3, t.size))
    out[0, 2] = m * t * scalar.coupling**2 * charge**2 / (4.0 * G_FERMI**2 * (k.q2 + scalar.mass**2) ** 2)
    return out


def _check(state: ScalarMediator | None) -> None:
    if state is not None and not isinstance(state, ScalarMediator):
        raise ValueError(f"scalar_mediator must be a ScalarMediator or None, got {type(state).__name__}")


def _incoherent(state: ScalarMediator | None, k: RecoilKinematics) -> np.ndarray | None:
    return None if state is None else scalar_incoherent(state, k)


SCALAR_MEDIATOR = register_term(
    ModelTerm[ScalarMediator | None](
        name="scalar_mediator",
        title="a scalar mediator",
        parameters=(
            Parameter("scalar_mass", "MeV", 10.0, "light scalar mass", 0.0, open_low=True),
            Parameter("scalar_coupling", "", 0.0, "scalar coupling g (to ν and to every quark)"),
        ),
        build=build_scalar_mediator,
        default=None,
        is_active=lambda s: s is not None and s.coupling != 0.0,
        check=_check,
        incoherent=_incoherent,
        jax_support=False,
        citation="D. G. Cerdeño et al., JHEP 05 (2016) 118, arXiv:1604.01025, Eq. 2.9",
    )
)

__all__ = ["SCALAR_MEDIATOR", "SCALAR_NUCLEON_CHARGES", "ScalarMediator", "build_scalar_mediator", "scalar_incoherent"]
