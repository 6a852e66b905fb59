"""Nuclear form factors F(q) of a proton or neutron density, normalised to F(0) = 1.

Every model is parametrised by the rms radius of the distribution it describes, so the
proton and neutron form factors of one nucleus use the same function with their own
radius (the neutron radius is a free parameter of the physics, not a constant). Shape
parameters (surface thickness, diffuseness, Yukawa range) have cited defaults.

Units: momentum transfer ``q`` in MeV, radii and lengths in fm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from cevns.errors import InputError
from cevns.units import HBARC_MEV_FM

if TYPE_CHECKING:  # annotations only (numpy.typing costs ~1 ms of start-up)
    from numpy.typing import ArrayLike

FormFactorModel = Literal["helm", "sf", "kn", "none"]
FORM_FACTOR_MODELS: tuple[str, ...] = ("helm", "sf", "kn", "none")

#: Helm surface thickness s in fm: Lewin & Smith, Astropart. Phys. 6 (1996) 87, Sec. 4.4.
HELM_SURFACE_THICKNESS_FM = 0.9
#: Fermi diffuseness a in fm (same reference; also Piekarewicz et al. 2016).
FERMI_DIFFUSENESS_FM = 0.52
#: Klein–Nystrand Yukawa range a_k in fm: Klein & Nystrand, PRC 60, 014903 (1999), Eq. 14.
KLEIN_NYSTRAND_RANGE_FM = 0.7


def _spherical_j1_over_x(x: np.ndarray) -> np.ndarray:
    """3 j₁(x)/x with its series near 0, so F(0) = 1 exactly and no 0/0 appears."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 1e-3
    if not small.any():  # the usual case (recoil nodes have q > 0): the same numbers, no series
        return 3.0 * (np.sin(x) - x * np.cos(x)) / x**3
    xs = np.where(small, 1.0, x)
    exact = 3.0 * (np.sin(xs) - xs * np.cos(xs)) / xs**3
    series = 1.0 - x**2 / 10.0 + x**4 / 280.0
    return np.where(small, series, exact)


def _rms_radius(rms_radius_fm: float, model: str) -> float:
    """``rms_radius_fm`` (fm) if it is a finite number > 0, else a one-line InputError
    (a negative radius entered only squared, a NaN one gave NaN form factors)."""
    try:
        ok = bool(rms_radius_fm > 0) and math.isfinite(rms_radius_fm)
    except (TypeError, ValueError):  # text, None, an array: not a radius
        ok = False
    if not ok:
        raise InputError(f"{model}: rms radius must be a finite number > 0 fm, got {rms_radius_fm!r}")
    return rms_radius_fm


def helm_form_factor(
    q: ArrayLike, rms_radius_fm: float, surface_thickness_fm: float = HELM_SURFACE_THICKNESS_FM
) -> np.ndarray:
    """Helm form factor F(q) = 3 j₁(qR₀)/(qR₀) · exp(−q²s²/2).

    R. H. Helm, Phys. Rev. 104, 1466 (1956); box radius from the rms radius R through
    R² = (3/5) R₀² + 3 s², i.e. R₀² = (5/3)(R² − 3s²) (Lewin & Smith 1996, Eq. 4.11
    discussion). ``q`` in MeV, radii in fm.
    """
    s = surface_thickness_fm
    _rms_radius(rms_radius_fm, "Helm")
    r0_sq = 5.0 / 3.0 * (rms_radius_fm**2 - 3.0 * s**2)
    if r0_sq <= 0:
        raise InputError(f"Helm: rms radius {rms_radius_fm} fm too small for s = {s} fm")
    qf = np.asarray(q, dtype=float) / HBARC_MEV_FM  # fm⁻¹
    return _spherical_j1_over_x(qf * np.sqrt(r0_sq)) * np.exp(-0.5 * (qf * s) ** 2)


def lewin_smith_rms_radius_fm(mass_number: int) -> float:
    """rms radius (fm) implied by the Lewin–Smith Helm parameters.

    Lewin & Smith, Astropart. Phys. 6 (1996) 87, Eq. 4.11: c = 1.23 A^{1/3} − 0.60 fm,
    a = 0.52 fm, s = 0.9 fm and R₀² = c² + (7/3)π²a² − 5s²; the Helm rms radius is then
    R² = (3/5)R₀² + 3s².
    """
    c = 1.23 * mass_number ** (1.0 / 3.0) - 0.60
    a = FERMI_DIFFUSENESS_FM
    s = HELM_SURFACE_THICKNESS_FM
    r0_sq = c**2 + 7.0 / 3.0 * np.pi**2 * a**2 - 5.0 * s**2
    return float(np.sqrt(0.6 * r0_sq + 3.0 * s**2))


def symmetrized_fermi_form_factor(
    q: ArrayLike, rms_radius_fm: float, diffuseness_fm: float = FERMI_DIFFUSENESS_FM
) -> np.ndarray:
    """Symmetrized Fermi form factor (analytic).

    J. Piekarewicz, A. R. Linero, P. Giuliani, E. Chicken, PRC 94, 034316 (2016),
    arXiv:1604.07799, Eqs. 8–9:

    F(q) = 3/(qc[(qc)² + (πqa)²]) · πqa/sinh(πqa) · [πqa/tanh(πqa) sin(qc) − qc cos(qc)],

    with the half-density radius c fixed by the rms radius, R² = (3/5)c² + (7/5)π²a².
    ``q`` in MeV, radii in fm.
    """
    a = diffuseness_fm
    _rms_radius(rms_radius_fm, "symmetrized Fermi")
    c_sq = 5.0 / 3.0 * (rms_radius_fm**2 - 7.0 / 5.0 * np.pi**2 * a**2)
    if c_sq <= 0:
        raise InputError(f"symmetrized Fermi: rms radius {rms_radius_fm} fm too small for a = {a} fm")
    c = np.sqrt(c_sq)
    qf = np.asarray(q, dtype=float) / HBARC_MEV_FM
    x = qf * c
    y = np.pi * qf * a
    small = y < 1e-4
    ys = np.where(small, 1.0, y)
    y_over_sinh = np.where(small, 1.0 - y**2 / 6.0, ys / np.sinh(ys))
    y_over_tanh = np.where(small, 1.0 + y**2 / 3.0, ys / np.tanh(ys))
    denom = x * (x**2 + y**2)
    tiny = denom < 1e-12
    ds = np.where(tiny, 1.0, denom)
    value = 3.0 / ds * y_over_sinh * (y_over_tanh * np.sin(x) - x * np.cos(x))
    return np.where(tiny, 1.0, value)


def klein_nystrand_form_factor(
    q: ArrayLike, rms_radius_fm: float, yukawa_range_fm: float = KLEIN_NYSTRAND_RANGE_FM
) -> np.ndarray:
    """Klein–Nystrand form factor F(q) = 3 j₁(qR_A)/(qR_A) · 1/(1 + q²a_k²).

    S. Klein, J. Nystrand, PRC 60, 014903 (1999), Eq. 14: a hard sphere of radius R_A
    folded with a Yukawa potential of range a_k; its rms radius is
    R² = (3/5)R_A² + 6a_k², which fixes R_A from ``rms_radius_fm``. ``q`` in MeV.
    """
    a = yukawa_range_fm
    _rms_radius(rms_radius_fm, "Klein-Nystrand")
    ra_sq = 5.0 / 3.0 * (rms_radius_fm**2 - 6.0 * a**2)
    if ra_sq <= 0:
        raise InputError(f"Klein-Nystrand: rms radius {rms_radius_fm} fm too small for a_k = {a} fm")
    qf = np.asarray(q, dtype=float) / HBARC_MEV_FM
    return _spherical_j1_over_x(qf * np.sqrt(ra_sq)) / (1.0 + (qf * a) ** 2)


def unity_form_factor(q: ArrayLike, rms_radius_fm: float = 0.0) -> np.ndarray:
    """Point nucleus: F(q) = 1."""
    return np.ones_like(np.asarray(q, dtype=float))


@dataclass(frozen=True)
class FormFactor:
    """A form-factor model with its shape parameter, evaluated for a given rms radius.

    ``model`` is one of ``helm``, ``sf`` (symmetrized Fermi), ``kn`` (Klein–Nystrand) or
    ``none``; ``shape_fm`` overrides the model's shape parameter (Helm s, Fermi a,
    Klein–Nystrand a_k), in fm.
    """

    model: FormFactorModel = "helm"
    shape_fm: float | None = None

    def __post_init__(self) -> None:
        if self.model not in FORM_FACTOR_MODELS:
            raise InputError(
                f"unknown form factor {self.model!r}; choose one of {', '.join(FORM_FACTOR_MODELS)}"
            )

    def __call__(self, q: ArrayLike, rms_radius_fm: float) -> np.ndarray:
        """F(q) for momentum transfer ``q`` (MeV) and rms radius ``rms_radius_fm`` (fm)."""
        if self.model == "none":
            return unity_form_factor(q)
        function, default = {
            "helm": (helm_form_factor, HELM_SURFACE_THICKNESS_FM),
            "sf": (symmetrized_fermi_form_factor, FERMI_DIFFUSENESS_FM),
            "kn": (klein_nystrand_form_factor, KLEIN_NYSTRAND_RANGE_FM),
        }[self.model]
        return function(q, rms_radius_fm, default if self.shape_fm is None else self.shape_fm)
