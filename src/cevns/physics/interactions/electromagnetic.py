"""Neutrino electromagnetic properties: magnetic moment, charge radius and millicharge,
one model term each, per lepton flavour.

* **Charge radius and millicharge** (M. Cadeddu et al., PRD 102, 015030 (2020),
  arXiv:2005.01645, Eq. 7; M. Cadeddu et al., PRD 98, 113010 (2018), arXiv:1810.05606,
  Eq. 3): they shift the proton coupling of ν_ℓ,
  g_V^p(ν_ℓ) → g_V^p − (√2πα/3G_F)⟨r²_νℓ⟩ + (2√2πα/G_F) q_νℓ/q², q in units of e, and
  so interfere with the weak charge; ν and ν̄ alike.
* **Magnetic moment** (P. Vogel, J. Engel, PRD 39, 3378 (1989); T. S. Kosmas et al.,
  PRD 92, 013011 (2015), arXiv:1505.03202; D. K. Papoulias, T. S. Kosmas,
  arXiv:1711.09773, Eqs. 7–8, whose factor is (1 − T/E)/T):
  dσ/dT = (πα²μ_ν²/m_e²) Z² F_Z² (1/T − 1/E), μ_ν in Bohr magnetons; no interference
  (helicity flip), the same for ν̄. In the c_k of :mod:`cevns.physics.interactions.model`
  (prefactor G_F²M/π): c_0 += μ² K/T, c_1 −= μ² K with K = (πα/(G_F m_e))² Z²F_Z²/M.
  The exact spin-0 result has an extra + T/(4E²), of relative size (T/2E)² < 10⁻⁶
  here, which is dropped as in the references.

The magnetic moment and the millicharge make dσ/dT grow as 1/T and 1/T² at T → 0: their
total cross section is infinite (:func:`cevns.physics.interactions.total_cross_section`
refuses it).

States: mappings lepton flavour → value (μ_B, 10⁻³² cm² *beyond* what the coupling scheme
holds — the tree scheme holds none, the radiative scheme the SM radii —, and e).
Parameters ``mu_nu_<ℓ>``, ``r2_nu_<ℓ>``, ``q_nu_<ℓ>``.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np

from cevns.errors import InputError
from cevns.physics.cross_sections import charge_radius_coupling_shift
from cevns.physics.interactions.registry import LEPTONS, ModelTerm, Parameter, RecoilKinematics, register_term
from cevns.units import ALPHA_EM, G_FERMI, M_ELECTRON

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike

_LEPTON_LABEL = {"e": "ν_e", "mu": "ν_μ", "tau": "ν_τ"}
PerLepton = Mapping[str, float]


def millicharge_coupling_shift(charge_e: float, q2: ArrayLike) -> np.ndarray:
    """Shift of g_V^p from a neutrino millicharge q_ν (units of e) at q² (MeV²):
    +(2√2πα/G_F) q_ν/q² (Cadeddu et al. 2020, arXiv:2005.01645, Eq. 7, where it enters as
    −(2√2πα/G_F)(⟨r²⟩/6 − q_ν/q²)). Dimensionless."""
    return 2.0 * math.sqrt(2.0) * math.pi * ALPHA_EM / G_FERMI * charge_e / np.asarray(q2)


def _checker(what: str) -> Callable[[PerLepton], None]:
    def check(values: PerLepton) -> None:
        for lep in values:
            if lep not in LEPTONS:
                raise InputError(f"{what} given for unknown lepton flavour {lep!r}")

    return check


def _builder(prefix: str) -> Callable[[Mapping[str, float | str]], PerLepton]:
    def build(values: Mapping[str, float | str]) -> PerLepton:
        return {lep: float(values[prefix + lep]) for lep in LEPTONS if float(values.get(prefix + lep, 0.0))}

    return build


def _any(values: PerLepton) -> bool:
    return any(values.values())


def _charge_radius_shifts(radius: PerLepton, lepton: str, q2: np.ndarray) -> tuple[float, float]:
    """(Δg^p, 0) = (−(√2πα/3G_F)⟨r²_νℓ⟩, 0), :func:`cevns.physics.cross_sections.charge_radius_coupling_shift`."""
    r2 = radius.get(lepton, 0.0)
    return (charge_radius_coupling_shift(r2) if r2 else 0.0), 0.0


def _millicharge_shifts(charge: PerLepton, lepton: str, q2: np.ndarray) -> tuple[np.ndarray | float, float]:
    """(Δg^p, 0) = ((2√2πα/G_F) q_νℓ/q², 0), :func:`millicharge_coupling_shift`."""
    q = charge.get(lepton, 0.0)
    return (millicharge_coupling_shift(q, q2) if q else 0.0), 0.0


#: (πα/(G_F m_e))²: the magnetic-moment coefficient in units of the G_F²M/π prefactor.
MAGNETIC_MOMENT_FACTOR = (math.pi * ALPHA_EM / (G_FERMI * M_ELECTRON)) ** 2


def _magnetic_moment_incoherent(moment: PerLepton, k: RecoilKinematics) -> np.ndarray | None:
    """c_0 += μ² K/T, c_1 −= μ² K, K = (πα/(G_F m_e))² Z²F_Z²/M (Vogel & Engel 1989)."""
    mu2 = np.array([moment.get(lep, 0.0) ** 2 for lep in k.leptons])
    if not mu2.any():
        return None
    kk = MAGNETIC_MOMENT_FACTOR * k.zf**2 / k.mass
    out = np.zeros((len(k.leptons), 3, k.recoil.size))
    out[:, 0] = mu2[:, None] * (kk / k.recoil)
    out[:, 1] = -(mu2[:, None] * kk)
    return out


def _per_lepton(prefix: str, unit: str, text: str, low: float | None = None) -> tuple[Parameter, ...]:
    return tuple(Parameter(f"{prefix}{lep}", unit, 0.0, text.format(nu=_LEPTON_LABEL[lep]), low) for lep in LEPTONS)


MAGNETIC_MOMENT = register_term(
    ModelTerm[PerLepton](
        name="magnetic_moment",
        title="a neutrino magnetic moment",
        parameters=_per_lepton("mu_nu_", "μ_B", "effective magnetic moment of {nu}", 0.0),
        build=_builder("mu_nu_"),
        default=MappingProxyType({}),
        is_active=_any,
        check=_checker("magnetic moment"),
        incoherent=_magnetic_moment_incoherent,
        divergent=_any,
        jax_support=True,
        citation="P. Vogel, J. Engel, PRD 39, 3378 (1989); T. S. Kosmas et al., PRD 92, 013011 (2015), arXiv:1505.03202",
    )
)

CHARGE_RADIUS = register_term(
    ModelTerm[PerLepton](
        name="charge_radius",
        title="a neutrino charge radius",
        parameters=_per_lepton("r2_nu_", "1e-32 cm²", "charge radius ⟨r²⟩ of {nu} beyond the coupling scheme (tree: the whole radius)"),
        build=_builder("r2_nu_"),
        default=MappingProxyType({}),
        is_active=_any,
        check=_checker("charge radius"),
        coupling_shifts=_charge_radius_shifts,
        jax_support=True,
        citation="M. Cadeddu et al., PRD 98, 113010 (2018), arXiv:1810.05606, Eq. 3",
    )
)

MILLICHARGE = register_term(
    ModelTerm[PerLepton](
        name="millicharge",
        title="a neutrino millicharge",
        parameters=_per_lepton("q_nu_", "e", "millicharge of {nu}"),
        build=_builder("q_nu_"),
        default=MappingProxyType({}),
        is_active=_any,
        check=_checker("millicharge"),
        coupling_shifts=_millicharge_shifts,
        divergent=_any,
        jax_support=True,
        citation="M. Cadeddu et al., PRD 102, 015030 (2020), arXiv:2005.01645, Eq. 7",
    )
)

__all__ = ["CHARGE_RADIUS", "MAGNETIC_MOMENT", "MAGNETIC_MOMENT_FACTOR", "MILLICHARGE", "millicharge_coupling_shift"]
