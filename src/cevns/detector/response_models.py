"""The quenching and efficiency forms of a detector response that few experiments use:
Lindhard, polynomial and tabulated quenching; Weibull, tabulated and Python-function
efficiencies. They follow the protocols of :mod:`cevns.detector.response`
(:class:`~cevns.detector.response.Quenching`, :class:`~cevns.detector.response.Efficiency`),
which re-exports every name here (imported on first use: the module is kept off the
start-up path of experiments that use the constant quenching and the logistic efficiency,
such as ``cevns events coherent-csi-2017``).

Units: recoils in keVnr, electron-equivalent energies in keVee, observables in their own
unit (keVnr, keVee or PE).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from cevns.errors import InputError

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike


# --- quenching -------------------------------------------------------------------------
def lindhard_reduced_energy(recoil_kev: ArrayLike, Z: int) -> np.ndarray:
    """Lindhard's reduced energy ε = 11.5 Z^{−7/3} T/keV of a recoil of ``recoil_kev``
    (keVnr) of charge ``Z``, dimensionless (J. Lindhard et al., Mat. Fys. Medd. Dan. Vid.
    Selsk. 33, no. 10 (1963))."""
    return 11.5 * Z ** (-7.0 / 3.0) * np.asarray(recoil_kev, dtype=float)


def lindhard_g(recoil_kev: ArrayLike, Z: int) -> np.ndarray:
    """Lindhard's g(ε) = 3ε^0.15 + 0.7ε^0.6 + ε at the reduced energy of
    :func:`lindhard_reduced_energy` (parametrisation as in CONUS, EPJC 81, 267 (2021), Eq. 3),
    dimensionless: the quenching factor is k g/(1 + k g)."""
    eps = lindhard_reduced_energy(recoil_kev, Z)
    return 3.0 * eps**0.15 + 0.7 * eps**0.6 + eps


@dataclass(frozen=True)
class LindhardQuenching:
    """Lindhard theory: QF = k g(ε)/(1 + k g(ε)), g = 3ε^0.15 + 0.7ε^0.6 + ε,
    ε = 11.5 Z^{−7/3} T/keV (J. Lindhard et al., Mat. Fys. Medd. Dan. Vid. Selsk. 33,
    no. 10 (1963); form as in CONUS, EPJC 81, 267 (2021), Eq. 3). ``k`` ≈ 0.133 Z^{2/3} A^{−1/2}
    in the original theory; ≈ 0.16 fits germanium data."""

    k: float

    def __post_init__(self) -> None:
        if not self.k > 0:
            raise InputError(f"Lindhard k must be > 0, got {self.k}")

    def ee_energy_kev(self, recoil_kev: ArrayLike, Z: int) -> np.ndarray:
        t = np.asarray(recoil_kev, dtype=float)
        g = lindhard_g(t, Z)
        return t * self.k * g / (1.0 + self.k * g)


@dataclass(frozen=True)
class PolynomialQuenching:
    """E_ee(T) = Σ_i c_i T^i with T in keVnr and E_ee in keVee (``coefficients`` c₀, c₁, …).

    A linear quenching factor QF = a + bT is ``coefficients = (0, a, b)``.
    """

    coefficients: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.coefficients) < 2:
            raise InputError("polynomial quenching needs at least the coefficients c0, c1")

    def ee_energy_kev(self, recoil_kev: ArrayLike, Z: int) -> np.ndarray:
        return np.polynomial.polynomial.polyval(np.asarray(recoil_kev, dtype=float), self.coefficients)


@dataclass(frozen=True)
class TableQuenching:
    """Quenching factor tabulated against recoil (keVnr), linearly interpolated, held
    constant beyond the table ends."""

    recoil_kev: tuple[float, ...]
    quenching_factor: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.recoil_kev) < 2 or len(self.recoil_kev) != len(self.quenching_factor):
            raise InputError("quenching table needs ≥ 2 rows of (recoil_keV, quenching_factor)")
        if np.any(np.diff(self.recoil_kev) <= 0):
            raise InputError("quenching table recoils must be strictly increasing")

    def ee_energy_kev(self, recoil_kev: ArrayLike, Z: int) -> np.ndarray:
        t = np.asarray(recoil_kev, dtype=float)
        return t * np.interp(t, self.recoil_kev, self.quenching_factor)


# --- efficiency ------------------------------------------------------------------------
@dataclass(frozen=True)
class WeibullEfficiency:
    """ε(x) = a·(1 − exp(−((x − x_t)/λ)^p)) above x_t, 0 below: a smooth turn-on with a
    hard start. Used for the CENNS-10 (COHERENT LAr, Analysis A) acceptance, fitted to the
    released table (see ``data/experiments/coherent-lar-2020.toml``)."""

    a: float
    threshold: float
    scale: float
    power: float

    def __post_init__(self) -> None:
        if not (0 < self.a <= 1 and self.scale > 0 and self.power > 0):
            raise InputError("weibull efficiency needs 0 < a <= 1, scale > 0 and power > 0")

    def __call__(self, x: ArrayLike) -> np.ndarray:
        z = np.clip(np.asarray(x, dtype=float) - self.threshold, 0.0, None) / self.scale
        return self.a * -np.expm1(-(z**self.power))

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (self.threshold,)


@dataclass(frozen=True)
class TableEfficiency:
    """Efficiency tabulated against the observable, linearly interpolated; 0 below the
    first point and held at the last value above the table."""

    x: tuple[float, ...]
    efficiency: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.x) < 2 or len(self.x) != len(self.efficiency):
            raise InputError("efficiency table needs ≥ 2 rows of (x, efficiency)")
        if np.any(np.diff(self.x) <= 0):
            raise InputError("efficiency table x must be strictly increasing")
        if min(self.efficiency) < 0 or max(self.efficiency) > 1:
            raise InputError("efficiency values must lie in [0, 1]")

    def __call__(self, x: ArrayLike) -> np.ndarray:
        return np.interp(np.asarray(x, dtype=float), self.x, self.efficiency, left=0.0, right=self.efficiency[-1])

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return (self.x[0],)


@dataclass(frozen=True)
class FunctionEfficiency:
    """Any vectorised Python function of the observable (Python API only)."""

    function: Callable[[np.ndarray], np.ndarray]
    breakpoints: tuple[float, ...] = ()

    def __call__(self, x: ArrayLike) -> np.ndarray:
        return np.clip(np.asarray(self.function(np.asarray(x, dtype=float)), dtype=float), 0.0, 1.0)


__all__ = [
    "FunctionEfficiency",
    "LindhardQuenching",
    "PolynomialQuenching",
    "TableEfficiency",
    "TableQuenching",
    "WeibullEfficiency",
    "lindhard_g",
    "lindhard_reduced_energy",
]
