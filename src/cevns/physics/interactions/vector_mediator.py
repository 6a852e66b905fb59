"""A light vector mediator Z′ of mass m and couplings g_ν, g_u, g_d.

Its exchange adds to the NSI-like couplings (D. G. Cerdeño et al., JHEP 05 (2016) 118,
arXiv:1604.01025, Eq. 2.8; M. Abdullah et al., PRD 98, 015005 (2018), arXiv:1803.01224,
Eq. 4)

.. math::
   \\varepsilon^q(q^2) = \\frac{g_\\nu g_q}{\\sqrt{2} G_F (q^2 + m^2)},\\qquad
   \\Delta g^p = 2\\varepsilon^u + \\varepsilon^d,\\ \\Delta g^n = \\varepsilon^u + 2\\varepsilon^d,

so m → ∞ is the contact NSI ε^q = g_ν g_q/(√2 G_F m²). L_μ − L_τ couples to quarks only
through μ/τ loops (kinetic mixing), see :func:`lmu_ltau_proton_shift`.

State: a :class:`VectorMediator` (None: off). Parameters ``zprime_*``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal, Mapping, cast

import numpy as np

from cevns.errors import InputError
from cevns.physics.interactions.registry import ModelTerm, Parameter, register_term
from cevns.units import ALPHA_EM, G_FERMI, M_MUON, M_TAU
from cevns.physics.quadrature import gauss_legendre

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike

ZPRIME_MODELS = ("universal", "B-L", "Lmu-Ltau", "generic")
ZPrimeModel = Literal["universal", "B-L", "Lmu-Ltau", "generic"]
_SQRT2_GF = math.sqrt(2.0) * G_FERMI


def _kinetic_mixing_loop(q2: np.ndarray, nodes: int = 16) -> np.ndarray:
    """∫₀¹ x(1−x) ln[(m_τ² + x(1−x)q²)/(m_μ² + x(1−x)q²)] dx (→ ln(m_τ²/m_μ²)/6 at q² = 0),
    by fixed Gauss–Legendre quadrature (the integrand is smooth), for a 1-D float64 array
    q². The last few q² grids are remembered (predictions re-use fixed recoil nodes) in
    a ``functools.lru_cache`` keyed by the bytes of the grid, which is thread-safe; the
    array returned is read-only."""
    return _loop_integral_cached(np.ascontiguousarray(q2, dtype=float).tobytes(), nodes)


@lru_cache(maxsize=8)
def _loop_integral_cached(q2_bytes: bytes, nodes: int) -> np.ndarray:
    loop = _loop_integral(np.frombuffer(q2_bytes, dtype=float), nodes)
    loop.flags.writeable = False
    return loop


def _loop_integral(q2: np.ndarray, nodes: int) -> np.ndarray:
    x, w = gauss_legendre(nodes)
    x = 0.5 * (x + 1.0)
    xx = (x * (1.0 - x))[:, None]
    q2 = np.atleast_1d(q2)[None, :]
    integrand = xx * np.log((M_TAU**2 + xx * q2) / (M_MUON**2 + xx * q2))
    return 0.5 * (w[:, None] * integrand).sum(axis=0)


def lmu_ltau_proton_shift(lepton: str, coupling: float, mass: float, q2: ArrayLike) -> np.ndarray:
    """Shift of g_V^p for ν_ℓ from an L_μ − L_τ gauge boson (mass in MeV, q² in MeV²).

    The Z′ couples to ν_μ (+g) and ν_τ (−g), and to the proton's charge through the
    one-loop μ/τ kinetic mixing ε(q²) = (e g/2π²) I(q²), I = ∫₀¹ x(1−x)
    ln[(m_τ² + x(1−x)q²)/(m_μ² + x(1−x)q²)] dx, which at q² = 0 is (e g/12π²) ln(m_τ²/m_μ²)
    (D. W. P. Amaral et al., JHEP 12 (2020) 155, arXiv:2006.11225, Eq. 7; W. Altmannshofer
    et al., PRD 100, 115029 (2019), arXiv:1902.06765). Hence
    Δg_V^p(ν_μ) = −Δg_V^p(ν_τ) = +(2α g²/(π √2 G_F)) I(q²)/(q² + m²)
    → α g² ln(m_τ²/m_μ²) / (3√2 π G_F (q² + m²)) at q² → 0 (M. Cadeddu et al., PRD 104,
    011701 (2021), arXiv:2008.05022); ν_e is untouched. The sign was fixed from the
    Lagrangian with Z′ couplings of the same sign convention as the Z and photon, and
    agrees with the public code of the Amaral et al. authors (SNuDD). For ν_μ it
    reduces |𝒬| (𝒬 < 0): destructive interference.
    """
    sign = {"e": 0.0, "mu": 1.0, "tau": -1.0}[lepton]
    if sign == 0.0 or coupling == 0.0:
        return np.zeros(np.shape(q2))
    q2 = np.asarray(q2, dtype=float)
    loop = _kinetic_mixing_loop(q2.ravel()).reshape(q2.shape)
    return sign * 2.0 * ALPHA_EM * coupling**2 / (math.pi * _SQRT2_GF) * loop / (q2 + mass**2)


@dataclass(frozen=True)
class VectorMediator:
    """A light vector boson: ``mass`` (MeV), ``coupling`` g and a ``model``.

    ``universal``: g_ν = g_u = g_d = g. ``B-L``: charges ν −1, quarks +⅓. ``Lmu-Ltau``:
    ν_μ +1, ν_τ −1, quarks through kinetic mixing only. ``generic``: charges
    ``charges`` = (Q_ν, Q_u, Q_d), couplings g·Q.
    """

    mass: float
    coupling: float
    model: ZPrimeModel = "universal"
    charges: tuple[float, float, float] = (1.0, 1.0, 1.0)

    def __post_init__(self) -> None:
        if self.model not in ZPRIME_MODELS:
            raise InputError(f"unknown Z' model {self.model!r}; use one of {', '.join(ZPRIME_MODELS)}")
        if not (self.mass > 0 and math.isfinite(self.mass)):
            raise InputError(f"Z' mass must be finite and > 0 MeV, got {self.mass}")

    def quark_charges(self) -> tuple[float, float, float]:
        """(Q_ν, Q_u, Q_d) of the vector models with direct quark couplings."""
        return {"universal": (1.0, 1.0, 1.0), "B-L": (-1.0, 1.0 / 3.0, 1.0 / 3.0)}.get(self.model, self.charges)

    def nucleon_coupling_shifts(self, lepton: str, q2: np.ndarray) -> tuple[np.ndarray, np.ndarray | float]:
        """(Δg_V^p, Δg_V^n) for ν_ℓ at q² (MeV²)."""
        if self.model == "Lmu-Ltau":
            return lmu_ltau_proton_shift(lepton, self.coupling, self.mass, q2), 0.0
        q_nu, q_u, q_d = self.quark_charges()
        eps = self.coupling**2 * q_nu / (_SQRT2_GF * (q2 + self.mass**2))
        return eps * (2.0 * q_u + q_d), eps * (q_u + 2.0 * q_d)


def build_vector_mediator(values: Mapping[str, float | str]) -> VectorMediator:
    """The :class:`VectorMediator` of the ``zprime_*`` parameters (defaults filled in)."""
    return VectorMediator(
        mass=float(values["zprime_mass"]),
        coupling=float(values["zprime_coupling"]),
        model=cast(ZPrimeModel, str(values["zprime_model"])),
        charges=(float(values["zprime_charge_nu"]), float(values["zprime_charge_u"]), float(values["zprime_charge_d"])),
    )


def _check(state: VectorMediator | None) -> None:
    if state is not None and not isinstance(state, VectorMediator):
        raise ValueError(f"vector_mediator must be a VectorMediator or None, got {type(state).__name__}")


def _shifts(state: VectorMediator, lepton: str, q2: np.ndarray) -> tuple[np.ndarray, np.ndarray | float]:
    return state.nucleon_coupling_shifts(lepton, q2)


VECTOR_MEDIATOR = register_term(
    ModelTerm[VectorMediator | None](
        name="vector_mediator",
        title="a Z' mediator",
        parameters=(
            Parameter("zprime_model", "", "universal", "light vector mediator model", choices=ZPRIME_MODELS),
            Parameter("zprime_mass", "MeV", 10.0, "Z′ mass", 0.0, open_low=True),
            Parameter("zprime_coupling", "", 0.0, "Z′ coupling g (g_ν = g Q_ν, g_q = g Q_q)"),
            Parameter("zprime_charge_nu", "", 1.0, "generic Z′: neutrino charge Q_ν"),
            Parameter("zprime_charge_u", "", 1.0, "generic Z′: up-quark charge Q_u"),
            Parameter("zprime_charge_d", "", 1.0, "generic Z′: down-quark charge Q_d"),
        ),
        build=build_vector_mediator,
        default=None,
        is_active=lambda z: z is not None and z.coupling != 0.0,
        check=_check,
        coupling_shifts=lambda z, lepton, q2: _shifts(cast(VectorMediator, z), lepton, q2),
        jax_support=False,
        citation="D. G. Cerdeño et al., JHEP 05 (2016) 118, arXiv:1604.01025, Eq. 2.8; M. Abdullah et al., PRD 98, 015005 (2018), "
        "arXiv:1803.01224, Eq. 4; L_mu - L_tau: D. W. P. Amaral et al., JHEP 12 (2020) 155, arXiv:2006.11225, Eq. 7",
    )
)

__all__ = ["VECTOR_MEDIATOR", "VectorMediator", "ZPRIME_MODELS", "build_vector_mediator", "lmu_ltau_proton_shift"]
