"""Quenching models beyond the basic forms of :mod:`cevns.detector.response` and
:mod:`cevns.detector.response_models`: the Lindhard
model with an adiabatic correction and with Sorensen's cut-off, a continuous interpolation
between two models, and named, published germanium models with their uncertainties.

Every model maps a nuclear recoil T (keVnr) to an electron-equivalent energy E_ee (keVee),
``ee_energy_kev(T, Z)``, like the classes of :mod:`cevns.detector.response`. The Lindhard
quenching factor is

.. math::
   Q_L(T) = \\frac{k\\,g(ε)}{1 + k\\,g(ε)},\\quad g = 3ε^{0.15} + 0.7ε^{0.6} + ε,\\quad
   ε = 11.5\\,Z^{-7/3}\\,T/\\mathrm{keV}

(J. Lindhard, V. Nielsen, M. Scharff, P. V. Thomsen, Mat. Fys. Medd. Dan. Vid. Selsk. 33,
no. 10 (1963)), with k = 0.133 Z^{2/3} A^{−1/2} = 0.157 for germanium in the original theory.

**Named germanium models** (:data:`NAMED_QUENCHING_MODELS`; each a formula, one parameter p
with a published 1σ uncertainty σ_p, evaluated at p + ``shift``·σ_p):

* ``ge-lindhard-theory``: Lindhard k = 0.157 (the theory value above; σ_k = 0.010
  assumed, the spread of the measured values 0.157–0.179 below);
* ``ge-conus-2022``: Lindhard k = 0.162 ± 0.004 (stat+sys), measured between 0.4 and
  6.3 keVnr with a monoenergetic neutron beam: A. Bonhomme et al. (CONUS), EPJC 82, 815
  (2022), arXiv:2202.03754, abstract; the model of CONUS, CONUS+ and TEXONO analyses;
* ``ge-scholz-2016``: Lindhard k = 0.179 ± 0.001 with the adiabatic correction
  1 − exp(−T/ξ), ξ = 0.16 keVnr (B. J. Scholz, A. E. Chavarria, J. I. Collar, P. Privitera,
  A. E. Robinson, PRD 94, 122003 (2016), arXiv:1608.03588: k from the abstract; ξ as
  recalled, and consistent with the abstract's "13.7 % to 25.3 % for 0.3 to 8.5 keVnr",
  which plain Lindhard misses at 0.3 keVnr (16.3 %); tested), the ⁸⁸Y/Be photo-neutron
  calibration (0.3–8.5 keVnr).

J. I. Collar, A. R. L. Kavner, C. M. Lewis, PRD 103, 122003 (2021), arXiv:2102.10089 (the
iron-filtered "Fef" beam and the photo-neutron "YBe" data that Dresden-II prefers) report
quenching factors above Lindhard below ~1 keVnr and describe them with a modified Lindhard
model with an adiabatic correction; their fitted parameters could not be verified with the
search tools, so no "Fef"/"YBe" model is shipped: give their values (or their tabulated
points) with ``model = "lindhard-adiabatic"`` or ``model = "table"``.

**A continuous nuisance.** An experiment profiles the quenching in one of three ways
(:func:`cevns.config.experiments.quenching_nuisance` returns the ±1σ variants as overrides,
from which a likelihood builds a shape nuisance exactly as the CsI 2021 release does for
its quenching models, :func:`cevns.releases.csi_2021.csi_2021_likelihood`):
``[detector.quenching] model = "lindhard", k = .., k_uncertainty = ..`` (k ± σ_k);
``model = "named", name = .., shift = 0`` (shift ± 1, in units of the model's σ); or
``model = "interpolated", a = .., b = .., t = ..``: E_ee = (1 − t) E_a + t E_b, t ∈ [0, 1]
(0 → model A, 1 → model B), with σ_t = 0.5. Any of these fields can also be scanned with
``--set detector.quenching.k=0.17``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

import numpy as np

from cevns.detector.response import Quenching
from cevns.detector.response_models import LindhardQuenching, lindhard_g, lindhard_reduced_energy
from cevns.errors import InputError

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike

#: Germanium's charge (the named models are measurements on germanium).
GERMANIUM_Z = 32


def lindhard_quenching_factor(recoil_kev: ArrayLike, Z: int, k: float) -> np.ndarray:
    """Lindhard Q_L(T) (module docstring) at recoil ``recoil_kev`` (keVnr), dimensionless."""
    g = lindhard_g(recoil_kev, Z)
    return np.asarray(k * g / (1.0 + k * g))


@dataclass(frozen=True)
class AdiabaticLindhardQuenching:
    """E_ee = T · Q_L(T; k) · (1 − exp(−T/ξ)): Lindhard with the adiabatic correction of
    B. J. Scholz et al., PRD 94, 122003 (2016), arXiv:1608.03588 (after D. M. Mei et al.'s
    and Ahlen's treatment of the ionisation threshold of slow ions), ``xi_kev`` ξ in keVnr.
    Below T ~ ξ the quenching factor falls to 0."""

    k: float
    xi_kev: float

    def __post_init__(self) -> None:
        if not (self.k > 0 and self.xi_kev > 0):
            raise InputError(f"adiabatic Lindhard needs k > 0 and xi_keV > 0, got k = {self.k}, xi = {self.xi_kev}")

    def ee_energy_kev(self, recoil_kev: ArrayLike, Z: int) -> np.ndarray:
        t = np.asarray(recoil_kev, dtype=float)
        return t * lindhard_quenching_factor(t, Z, self.k) * -np.expm1(-t / self.xi_kev)


@dataclass(frozen=True)
class SorensenLindhardQuenching:
    """Q = Q_L(T; k) − q/ε, clipped at 0: Lindhard with the cut-off of P. Sorensen, PRD 91,
    083509 (2015), arXiv:1412.3028 (equation number as recalled; ε the reduced energy of
    the module docstring); the "modified Lindhard" model fitted to Dresden-II in
    arXiv:2202.10622 (J. Liao, H. Liu, D. Marfatia, as recalled), whose two parameters k, q
    are free here. The quenching factor vanishes below ε = q (dimensionless ``q`` ≥ 0)."""

    k: float
    q: float

    def __post_init__(self) -> None:
        if not (self.k > 0 and self.q >= 0):
            raise InputError(f"Sorensen-Lindhard needs k > 0 and q >= 0, got k = {self.k}, q = {self.q}")

    def ee_energy_kev(self, recoil_kev: ArrayLike, Z: int) -> np.ndarray:
        t = np.asarray(recoil_kev, dtype=float)
        eps = lindhard_reduced_energy(t, Z)
        with np.errstate(divide="ignore", invalid="ignore"):
            qf = lindhard_quenching_factor(t, Z, self.k) - np.where(eps > 0, self.q / np.where(eps > 0, eps, 1.0), 0.0)
        return t * np.clip(qf, 0.0, None)


@dataclass(frozen=True)
class InterpolatedQuenching:
    """E_ee = (1 − t) E_a(T) + t E_b(T): a continuous path from model ``a`` (t = 0) to model
    ``b`` (t = 1); ``t`` in [0, 1]."""

    a: Quenching
    b: Quenching
    t: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.t <= 1.0:
            raise InputError(f"quenching interpolation parameter t must lie in [0, 1], got {self.t}")

    def ee_energy_kev(self, recoil_kev: ArrayLike, Z: int) -> np.ndarray:
        if self.t == 0.0:
            return self.a.ee_energy_kev(recoil_kev, Z)
        if self.t == 1.0:
            return self.b.ee_energy_kev(recoil_kev, Z)
        return (1.0 - self.t) * self.a.ee_energy_kev(recoil_kev, Z) + self.t * self.b.ee_energy_kev(recoil_kev, Z)


@dataclass(frozen=True)
class NamedQuenchingModel:
    """A published quenching model of element ``Z``: ``build(p)`` at its parameter
    ``parameter`` = ``central`` ± ``sigma`` (1σ), with its ``reference``."""

    name: str
    Z: int
    parameter: str
    central: float
    sigma: float
    build: Callable[[float], Quenching]
    reference: str

    def at(self, shift: float = 0.0) -> Quenching:
        """The model at parameter = central + ``shift`` σ."""
        if not math.isfinite(shift):
            raise InputError(f"quenching model {self.name}: shift must be finite, got {shift}")
        value = self.central + shift * self.sigma
        if not value > 0:
            raise InputError(f"quenching model {self.name}: {self.parameter} = {value:g} at shift {shift:g} is not > 0")
        return self.build(value)


#: Lindhard k of germanium in the original theory, 0.133 Z^{2/3} A^{−1/2} (A = 72.63).
GE_LINDHARD_THEORY_K = round(0.133 * GERMANIUM_Z ** (2.0 / 3.0) / math.sqrt(72.63), 3)

NAMED_QUENCHING_MODELS: Mapping[str, NamedQuenchingModel] = {
    m.name: m
    for m in (
        NamedQuenchingModel(
            "ge-lindhard-theory", GERMANIUM_Z, "k", GE_LINDHARD_THEORY_K, 0.010, LindhardQuenching,
            "J. Lindhard et al., Mat. Fys. Medd. Dan. Vid. Selsk. 33, no. 10 (1963): k = 0.133 Z^(2/3) A^(-1/2); "
            "sigma assumed"),
        NamedQuenchingModel(
            "ge-conus-2022", GERMANIUM_Z, "k", 0.162, 0.004, LindhardQuenching,
            "A. Bonhomme et al. (CONUS), EPJC 82, 815 (2022), arXiv:2202.03754: k = 0.162 +- 0.004, 0.4-6.3 keVnr"),
        NamedQuenchingModel(
            "ge-scholz-2016", GERMANIUM_Z, "k", 0.179, 0.001, lambda k: AdiabaticLindhardQuenching(k, 0.16),
            "B. J. Scholz et al., PRD 94, 122003 (2016), arXiv:1608.03588: k = 0.179 +- 0.001 with the adiabatic "
            "correction, xi = 0.16 keVnr (as recalled; reproduces the abstract's 13.7-25.3 % over 0.3-8.5 keVnr)"),
    )
}


def named_quenching_models(Z: int | None = None) -> tuple[str, ...]:
    """Names of the shipped models (of element ``Z`` only, when given)."""
    return tuple(n for n, m in NAMED_QUENCHING_MODELS.items() if Z is None or m.Z == Z)


def named_quenching(name: str, Z: int | None = None, shift: float = 0.0) -> Quenching:
    """The named model at ``shift`` σ; ``Z``: the target's charge, which the model must
    have been measured on. One-line :class:`~cevns.errors.InputError` naming the known
    models otherwise."""
    model = NAMED_QUENCHING_MODELS.get(name)
    if model is None or (Z is not None and model.Z != Z):
        known = named_quenching_models(Z)
        where = f" for Z = {Z}" if Z is not None else ""
        listing = ", ".join(known) if known else "none"
        raise InputError(f"unknown quenching model {name!r}{where}; known models{where}: {listing}")
    return model.at(shift)


__all__ = [
    "AdiabaticLindhardQuenching",
    "GE_LINDHARD_THEORY_K",
    "InterpolatedQuenching",
    "NAMED_QUENCHING_MODELS",
    "NamedQuenchingModel",
    "SorensenLindhardQuenching",
    "lindhard_quenching_factor",
    "named_quenching",
    "named_quenching_models",
]
