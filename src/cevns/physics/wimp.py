"""Elastic WIMP-nucleus scattering: the Standard Halo Model, the mean inverse speed
η(v_min), and the spin-independent (SI) and spin-dependent (SD) recoil spectra.

The differential rate per unit target mass for one isotope of mass m_N is

    dR/dE_R = ρ₀/(m_χ m_N) · dσ/dE_R · v² · η(v_min),

with dσ/dE_R ∝ 1/v² (J. D. Lewin and P. F. Smith, Astropart. Phys. 6, 87 (1996), Eq. 3.1;
D. Baxter et al., "Recommended conventions for reporting results from direct dark matter
searches", Eur. Phys. J. C 81, 907 (2021), arXiv:2105.00599, Sec. 2), summed over the
isotopes of the target weighted by their number per unit mass.

Units at the API: WIMP masses in GeV, WIMP-nucleon cross sections in cm², recoil energies
in keV (nuclear recoil), speeds in km/s, rates in events / (tonne · year · keV_NR), the
tonne being 1000 kg of the target material and the year the Julian year of
:mod:`cevns.units`. Internally MeV and cm as everywhere in ``cevns``.

Imports: :mod:`cevns.units`, :mod:`cevns.errors`, :mod:`cevns.physics.nuclei`,
:mod:`cevns.physics.form_factors`, numpy and scipy.special (physics layer).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Callable, Collection, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import erf  # scipy's: ~9x faster than cevns.physics.special.erf on rate grids; wimp is not on the CLI start-up path

from cevns import units as u
from cevns.errors import InputError
from cevns.physics.form_factors import FormFactor, lewin_smith_rms_radius_fm
from cevns.physics.nuclei import Isotope, Target, resolve_target

__all__ = [
    "C_KM_S", "EARTH_ORBIT_E1", "EARTH_ORBIT_E2", "EARTH_ORBITAL_SPEED_KMS", "Halo", "LSR_SPEED_KMS",
    "MASS_RANGE_GEV", "M_PROTON_MEV", "SHM", "SOLAR_PECULIAR_KMS", "SdStructure",
    "annual_mean_earth_speed_kms", "earth_velocity_kms", "eta", "sd_structure", "sd_structure_function",
    "sd_isotopes", "si_rate", "sd_rate", "recoil_kinks_kev", "recoil_max_kev", "reduced_mass_mev", "v_min_kms", "wimp_rate",
    "wimp_rate_by_isotope", "wimp_target",
]

#: Speed of light in km/s (exact; :data:`cevns.units.SPEED_OF_LIGHT_KM_S`).
C_KM_S = u.SPEED_OF_LIGHT_KM_S
#: Proton mass in MeV (CODATA 2022; :data:`cevns.units.M_PROTON`).
M_PROTON_MEV = u.M_PROTON

#: WIMP masses accepted, in GeV: from 0.01 GeV (below that, elastic nuclear recoils from the
#: halo are far below any threshold and the non-relativistic treatment is irrelevant) to
#: 10⁶ GeV (above, the rate is ρ₀/m_χ-suppressed into meaninglessness for these searches).
MASS_RANGE_GEV = (1e-2, 1e6)

# --- halo ----------------------------------------------------------------------------------
#: Circular speed of the local standard of rest, km/s (Baxter et al. 2021, Table 1).
LSR_SPEED_KMS = 238.0
#: Solar peculiar velocity (U, V, W) in galactic coordinates, km/s (Baxter et al. 2021,
#: Table 1, from Schönrich, Binney & Dehnen, MNRAS 403, 1829 (2010)).
SOLAR_PECULIAR_KMS = (11.1, 12.2, 7.3)
#: Mean orbital speed of the Earth about the Sun, km/s (Baxter et al. 2021, Sec. 2.1).
EARTH_ORBITAL_SPEED_KMS = 29.8
#: Unit vectors of the Earth's orbit in galactic coordinates (leading order in the
#: eccentricity): C. McCabe, JCAP 02 (2014) 027, arXiv:1312.1355, Eq. 9 / Baxter et al.
#: 2021, Eq. 9 (values as used there; the ε₁ direction is the orbit at the spring equinox).
EARTH_ORBIT_E1 = (-0.0504, 0.4946, -0.8677)
EARTH_ORBIT_E2 = (-0.9941, -0.1088, -0.0042)


def earth_velocity_kms(phase: ArrayLike) -> np.ndarray:
    """Earth's velocity in the galactic rest frame, km/s, shape ``phase.shape + (3,)``.

    v_E = v_LSR + v_pec + V_⊕ (ε₁ cos ωt + ε₂ sin ωt), with ``phase`` = ω(t − t₁) in
    radians and t₁ the spring equinox (McCabe 2014, arXiv:1312.1355, Eq. 9, leading order
    in the eccentricity; Baxter et al. 2021, Eqs. 8–9).
    """
    ph = np.asarray(phase, dtype=float)[..., None]
    sun = np.array([SOLAR_PECULIAR_KMS[0], LSR_SPEED_KMS + SOLAR_PECULIAR_KMS[1], SOLAR_PECULIAR_KMS[2]])
    e1, e2 = np.array(EARTH_ORBIT_E1), np.array(EARTH_ORBIT_E2)
    return sun + EARTH_ORBITAL_SPEED_KMS * (e1 * np.cos(ph) + e2 * np.sin(ph))


def annual_mean_earth_speed_kms(samples: int = 4096) -> float:
    """The annual mean of the speed ‖v_E(t)‖ (km/s) of :func:`earth_velocity_kms`, by the rectangle
    rule over one period (exact to rounding for a smooth periodic integrand): 252.11 km/s."""
    phases = 2.0 * np.pi * np.arange(samples) / samples
    return float(np.linalg.norm(earth_velocity_kms(phases), axis=-1).mean())


def _positive_finite(value: object, what: str, unit: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]  # anything float() accepts; the rest is an error below
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number in {unit}, got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise InputError(f"{what} must be a finite number > 0 {unit}, got {value!r}")
    return number


@dataclass(frozen=True)
class Halo:
    """The Standard Halo Model: an isotropic Maxwellian of most probable speed v₀ in the
    galactic frame, truncated at the escape speed, seen from the Earth moving at v_E.

    Defaults: Baxter et al., EPJC 81, 907 (2021), arXiv:2105.00599, Table 1 —
    ρ₀ = 0.3 GeV/cm³, v₀ = 238 km/s, v_esc = 544 km/s; v_E is the annual mean of the
    Earth's speed from their v_LSR, v_pec and orbit, 252.1 km/s
    (:func:`annual_mean_earth_speed_kms`). Every field can be overridden; v_E < v_esc
    is required (the closed form of :func:`eta` assumes it).
    """

    rho_gev_cm3: float = 0.3
    v0_kms: float = LSR_SPEED_KMS
    v_esc_kms: float = 544.0
    v_earth_kms: float = field(default_factory=lambda: round(annual_mean_earth_speed_kms(), 2))

    def __post_init__(self) -> None:
        _positive_finite(self.rho_gev_cm3, "halo density rho", "GeV/cm3")
        _positive_finite(self.v0_kms, "halo v0", "km/s")
        _positive_finite(self.v_esc_kms, "halo escape speed", "km/s")
        try:
            ok = math.isfinite(self.v_earth_kms) and 0 <= self.v_earth_kms < self.v_esc_kms
        except TypeError:
            ok = False
        if not ok:
            raise InputError(f"Earth speed must be a number in [0, v_esc = {self.v_esc_kms}) km/s, "
                             f"got {self.v_earth_kms!r}")

    @property
    def n_esc(self) -> float:
        """Normalisation of the truncated Maxwellian relative to the untruncated one,
        N_esc = erf(z) − 2z e^{−z²}/√π, z = v_esc/v₀ (Lewin & Smith 1996, Eq. 3.2 with
        the sharp cut-off; Savage, Freese & Gondolo 2006, Eq. B2)."""
        z = self.v_esc_kms / self.v0_kms
        return float(erf(z) - 2.0 * z * math.exp(-z * z) / math.sqrt(math.pi))

    @property
    def v_max_kms(self) -> float:
        """Largest WIMP speed in the Earth frame, v_esc + v_E (km/s): η = 0 above it."""
        return self.v_esc_kms + self.v_earth_kms


#: The Standard Halo Model with the Baxter et al. 2021 parameters.
SHM = Halo()


def eta(v_min_kms: ArrayLike, halo: Halo = SHM) -> np.ndarray:
    """Mean inverse speed η(v_min) = ∫_{v>v_min} f(v)/v d³v in s/km, for the truncated
    Maxwellian of ``halo`` boosted by the Earth's speed.

    Closed form with x = v_min/v₀, y = v_E/v₀, z = v_esc/v₀ (z > y), for the sharp cut-off
    of the galactic-frame distribution at v_esc: C. Savage, K. Freese, P. Gondolo, PRD 74,
    043531 (2006), astro-ph/0607121, Appendix B (Eq. B3); C. McCabe, PRD 82, 023530 (2010),
    arXiv:1005.0579, Appendix A (equation numbers as recalled, unverified; the formula is
    checked against direct integration of f(v) in ``tests/test_wimp.py``):

    * x < z − y: η = [erf(x+y) − erf(x−y) − 4y e^{−z²}/√π] / (2 N_esc v₀ y),
    * z − y ≤ x < z + y: η = [erf(z) − erf(x−y) − 2(z+y−x) e^{−z²}/√π] / (2 N_esc v₀ y),
    * x ≥ z + y: η = 0;

    at y = 0 the limit η = 2[e^{−x²} − e^{−z²}]/(√π N_esc v₀) for x < z is used.
    """
    v = np.asarray(v_min_kms, dtype=float)
    v0 = halo.v0_kms
    x, y, z = v / v0, halo.v_earth_kms / v0, halo.v_esc_kms / v0
    ez = math.exp(-z * z) / math.sqrt(math.pi)
    if y < 1e-9:
        out = 2.0 * (np.exp(-x * x) / math.sqrt(math.pi) - ez) / (halo.n_esc * v0)
        return np.where(x < z, out, 0.0)
    low = erf(x + y) - erf(x - y) - 4.0 * y * ez
    mid = erf(z) - erf(x - y) - 2.0 * (z + y - x) * ez
    out = np.where(x < z - y, low, np.where(x < z + y, mid, 0.0)) / (2.0 * halo.n_esc * v0 * y)
    return np.maximum(out, 0.0)


def _mass_gev(mass: ArrayLike) -> np.ndarray:
    m = np.asarray(mass, dtype=float)
    lo, hi = MASS_RANGE_GEV
    if m.size == 0:
        raise InputError("WIMP mass: no value given")
    if not np.all(np.isfinite(m)) or np.any(m < lo) or np.any(m > hi):
        bad = m[~(np.isfinite(m) & (m >= lo) & (m <= hi))].ravel()[0]
        raise InputError(f"WIMP mass must be a finite number in [{lo:g}, {hi:g}] GeV, got {float(bad):g}")
    return m


def _recoil_kev(recoil: ArrayLike) -> np.ndarray:
    e = np.asarray(recoil, dtype=float)
    if not np.all(np.isfinite(e)) or np.any(e < 0):
        bad = e[~(np.isfinite(e) & (e >= 0))].ravel()[0]
        raise InputError(f"recoil energy must be a finite number >= 0 keV, got {float(bad):g}")
    return e


def _sigma_cm2(sigma: object) -> float:
    return _positive_finite(sigma, "WIMP-nucleon cross section", "cm2")


def reduced_mass_mev(mass_gev: ArrayLike, partner_mass_mev: float) -> np.ndarray:
    """Reduced mass μ = m_χ m / (m_χ + m) (MeV) of a WIMP of ``mass_gev`` (GeV) and a
    partner (nucleus or nucleon) of ``partner_mass_mev`` (MeV)."""
    m_chi = np.asarray(mass_gev, dtype=float) * u.GeV
    return m_chi * partner_mass_mev / (m_chi + partner_mass_mev)


def v_min_kms(recoil_kev: ArrayLike, mass_gev: ArrayLike, nucleus_mass_mev: float) -> np.ndarray:
    """Smallest WIMP speed (km/s) that gives a recoil E_R on a nucleus of mass m_N:
    v_min = √(m_N E_R / 2) / μ_N · c (elastic scattering; Lewin & Smith 1996, Eq. 3.11 and
    the kinematics above it). Broadcasts ``recoil_kev`` against ``mass_gev``."""
    mu = reduced_mass_mev(mass_gev, nucleus_mass_mev)
    e = np.asarray(recoil_kev, dtype=float) * u.keV
    return np.sqrt(nucleus_mass_mev * e / 2.0) / mu * C_KM_S


def _rate_prefactor(mass_gev: np.ndarray, halo: Halo) -> np.ndarray:
    """ρ₀ c² / m_χ in (cm⁻³ · km²/s² → converted) so that prefactor · [dσ/dE_R v²](cm²·…)
    · η (s/km) is a rate per nucleus per second per MeV: number density ρ₀/m_χ (cm⁻³)
    times c² (cm²/s²), with η in s/cm."""
    n_chi = halo.rho_gev_cm3 / mass_gev  # cm⁻³
    c_cm_s = C_KM_S * 1e5
    return n_chi * c_cm_s**2 / 1e5  # × η [s/km] = × η [s/cm] · 1e5


def _per_tonne_year_kev(nuclei_per_kg: float) -> float:
    """Converts a rate per nucleus per second per MeV into events/(tonne·year·keV)."""
    return nuclei_per_kg * u.tonne / u.kg * u.year * u.keV


def _si_coupling_sq(iso: Isotope, fn_over_fp: float) -> float:
    """(Z + (A−Z) f_n/f_p)²: A² in the isospin-conserving case f_n = f_p."""
    return (iso.Z + iso.N * fn_over_fp) ** 2


def _per_isotope(
    recoil_kev: np.ndarray, mass_gev: np.ndarray, target: Target, halo: Halo,
    weight: Callable[[Isotope], float], spectral: Callable[[Isotope, np.ndarray], np.ndarray],
    only: Collection[str] | None = None,
) -> dict[str, np.ndarray]:
    """Per isotope of ``target``: (nuclei per tonne·year·keV) × ρ₀c²/m_χ × [v² dσ/dE_R] × η
    on the grid mass × recoil (2-D, masses along axis 0, recoils along axis 1), keyed by
    the isotope's name; isotopes of weight 0, or not in ``only`` (when given), are left out."""
    e = recoil_kev[None, :]
    m = mass_gev[:, None]
    per_kg = target.nuclei_per_kg()
    pref = _rate_prefactor(m, halo)
    parts: dict[str, np.ndarray] = {}
    for nucleus in target.nuclei:
        iso = nucleus.isotope
        if only is not None and iso.name not in only:
            continue
        w = weight(iso)
        if w == 0.0:
            continue
        v_dsigma = spectral(iso, e)  # v² dσ/dE_R in cm²/MeV (v in units of c)
        vm = v_min_kms(e, m, iso.mass)
        part = _per_tonne_year_kev(per_kg[iso.name]) * pref * w * v_dsigma * eta(vm, halo)
        parts[iso.name] = parts.get(iso.name, 0.0) + part
    return parts


def _summed(parts: dict[str, np.ndarray], recoil_kev: ArrayLike, masses_gev: ArrayLike) -> np.ndarray:
    """Sum of the per-isotope spectra, shape ``masses.shape + recoils.shape``."""
    total = np.zeros(np.shape(masses_gev) + np.shape(recoil_kev))
    for part in parts.values():
        total = total + part
    return total


def recoil_max_kev(mass_gev: ArrayLike, nucleus_mass_mev: float, halo: Halo = SHM) -> np.ndarray:
    """Largest recoil (keV) a halo WIMP can give a nucleus of mass m_N:
    E_max = 2 μ_N² (v_esc + v_E)² / m_N (elastic, head-on; where v_min = v_esc + v_E)."""
    mu = reduced_mass_mev(mass_gev, nucleus_mass_mev)
    return 2.0 * mu**2 * (halo.v_max_kms / C_KM_S) ** 2 / nucleus_mass_mev / u.keV


def recoil_kinks_kev(mass_gev: ArrayLike, nucleus_mass_mev: float, halo: Halo = SHM) -> np.ndarray:
    """Recoils (keV) where the spectrum of one isotope is not smooth: v_min = v_esc − v_E
    (the branch change of :func:`eta`) and v_min = v_esc + v_E (its end), for every mass;
    the quadrature of :mod:`cevns.rates.recoil_signals` cuts its panels there."""
    mu = reduced_mass_mev(np.ravel(mass_gev), nucleus_mass_mev)
    speeds = np.array([halo.v_esc_kms - halo.v_earth_kms, halo.v_max_kms]) / C_KM_S
    return np.sort((2.0 * mu[:, None] ** 2 * speeds[None, :] ** 2 / nucleus_mass_mev).ravel()) / u.keV


def _grid(recoil_kev: ArrayLike, masses_gev: ArrayLike) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]]:
    """Flattened recoil and mass arrays and the output shape: masses' shape + recoils' shape."""
    e = _recoil_kev(recoil_kev)
    m = _mass_gev(masses_gev)
    return e.ravel(), m.ravel(), m.shape + e.shape


def wimp_target(target: str | Target) -> Target:
    """``target`` as a :class:`~cevns.physics.nuclei.Target` (names are resolved with
    :func:`~cevns.physics.nuclei.resolve_target`: ``Xe``, ``NaI``, ``CaWO4``, ``C3F8``)."""
    if isinstance(target, Target):
        return target
    return resolve_target(target)


def _si_parts(
    recoil_kev: ArrayLike,
    masses_gev: ArrayLike,
    target: str | Target,
    sigma_p_cm2: float = 1e-45,
    *,
    halo: Halo = SHM,
    form_factor: FormFactor | str = "helm",
    fn_over_fp: float = 1.0,
    only: Collection[str] | None = None,
) -> dict[str, np.ndarray]:
    """The spectra of :func:`si_rate` by isotope, keyed by isotope name (only the isotopes
    named in ``only``, when given)."""
    e, m, shape = _grid(recoil_kev, masses_gev)
    sigma = _sigma_cm2(sigma_p_cm2)
    ff = form_factor if isinstance(form_factor, FormFactor) else FormFactor(form_factor)  # type: ignore[arg-type]  # a model name, checked by FormFactor
    try:
        ratio = float(fn_over_fp)
    except (TypeError, ValueError):
        raise InputError(f"fn/fp must be a finite number, got {fn_over_fp!r}") from None
    if not math.isfinite(ratio):
        raise InputError(f"fn/fp must be a finite number, got {fn_over_fp!r}")
    tgt = wimp_target(target)
    mu_p = reduced_mass_mev(m[:, None], M_PROTON_MEV)

    def spectral(iso: Isotope, e2: np.ndarray) -> np.ndarray:
        q = np.sqrt(2.0 * iso.mass * e2 * u.keV)
        f2 = ff(q, lewin_smith_rms_radius_fm(iso.A)) ** 2
        return iso.mass * sigma * f2 / (2.0 * mu_p**2)

    parts = _per_isotope(e, m, tgt, halo, lambda iso: _si_coupling_sq(iso, ratio), spectral, only)
    return {name: part.reshape(shape) for name, part in parts.items()}


def si_rate(
    recoil_kev: ArrayLike,
    masses_gev: ArrayLike,
    target: str | Target,
    sigma_p_cm2: float = 1e-45,
    *,
    halo: Halo = SHM,
    form_factor: FormFactor | str = "helm",
    fn_over_fp: float = 1.0,
) -> np.ndarray:
    """Spin-independent differential rate dR/dE_R in events/(tonne·year·keV_NR).

    Per isotope (Lewin & Smith 1996, Eq. 3.1 with the σ_p normalisation of their Sec. 7;
    Baxter et al. 2021, Sec. 2; equation and section numbers as recalled, unverified):

        dR/dE_R = ρ₀ σ_p (Z + (A−Z) f_n/f_p)² / (2 m_χ μ_p²) · F²(q) · η(v_min)   (per unit target mass),

    i.e. dσ/dE_R = m_N σ_p A² F² / (2 μ_p² v²) in the isospin-conserving case, summed over
    the isotopes of ``target`` by their number per tonne. ``sigma_p_cm2`` is the
    WIMP-proton cross section at zero momentum transfer (cm²); ``fn_over_fp`` the ratio of
    the neutron to the proton coupling (1: isospin-conserving, σ_p = σ_n). The form factor
    is any of :data:`cevns.physics.form_factors.FORM_FACTOR_MODELS` (default Helm with the
    Lewin & Smith 1996 radius, Eq. 4.11, :func:`lewin_smith_rms_radius_fm`, as in Baxter et
    al. 2021), at q = √(2 m_N E_R).

    Output shape ``masses.shape + recoils.shape`` (2-D for two 1-D arrays: one row per
    mass), so a grid of masses and fine recoil energies is one call.
    """
    parts = _si_parts(recoil_kev, masses_gev, target, sigma_p_cm2, halo=halo, form_factor=form_factor,
                      fn_over_fp=fn_over_fp)
    return _summed(parts, recoil_kev, masses_gev)


def sd_rate(
    recoil_kev: ArrayLike,
    masses_gev: ArrayLike,
    target: str | Target,
    sigma_cm2: float = 1e-40,
    *,
    nucleon: Literal["p", "n"] = "n",
    halo: Halo = SHM,
) -> np.ndarray:
    """Spin-dependent differential rate dR/dE_R in events/(tonne·year·keV_NR) for a
    proton-only (``nucleon="p"``, ``sigma_cm2`` = σ_p) or neutron-only (``"n"``, σ_n)
    coupling, at zero momentum transfer.

    Per isotope of spin J (Klos et al. 2013, arXiv:1304.7684, Sec. V; the normalisation
    used by the xenon experiments, e.g. XENON collaboration, PRL 122, 141301 (2019),
    arXiv:1902.03234, Eq. 1 — as recalled, unverified; the q = 0 limit below is tested):

        dσ/dE_R = 2π m_N σ_N S_N(q) / (3 μ_N'² v² (2J+1)),

    with μ_N' the WIMP-nucleon reduced mass (taken with the proton mass for both) and
    S_N = S_p or S_n of :func:`sd_structure_function`. At q = 0 with one-body currents this
    is the classic dσ/dE_R = m_N σ_A(0)/(2 μ_A² v²) with
    σ_A(0) = (4/3)(μ_A/μ_N')² (J+1)/J ⟨S_N⟩² σ_N (Lewin & Smith 1996, Sec. 7; Engel, Pittel
    & Vogel, Int. J. Mod. Phys. E 1, 1 (1992); section as recalled). Two-body currents in the fits make a
    proton-only coupling see the neutrons' spin too (and vice versa).

    Only the isotopes with shipped structure functions (:func:`sd_isotopes`) contribute;
    J = 0 isotopes have none. A target none of whose isotopes is shipped is a one-line
    InputError naming the shipped isotopes. Output shape ``masses.shape + recoils.shape``.
    """
    return _summed(_sd_parts(recoil_kev, masses_gev, target, sigma_cm2, nucleon=nucleon, halo=halo),
                   recoil_kev, masses_gev)


def wimp_rate_by_isotope(
    recoil_kev: ArrayLike,
    masses_gev: ArrayLike,
    target: str | Target,
    sigma_cm2: float = 1e-45,
    *,
    coupling: Literal["si", "sd-p", "sd-n"] = "si",
    halo: Halo = SHM,
    form_factor: FormFactor | str = "helm",
    fn_over_fp: float = 1.0,
    only: Collection[str] | None = None,
) -> dict[str, np.ndarray]:
    """:func:`wimp_rate` split by isotope: {isotope name: dR/dE_R of that isotope per tonne
    of the whole target}, each of shape ``masses.shape + recoils.shape``; their sum is
    :func:`wimp_rate`. Isotopes that do not contribute (no spin for SD) are left out, and
    so are those not named in ``only`` when it is given (names like ``129Xe``)."""
    if coupling == "si":
        return _si_parts(recoil_kev, masses_gev, target, sigma_cm2, halo=halo, form_factor=form_factor,
                         fn_over_fp=fn_over_fp, only=only)
    if coupling in ("sd-p", "sd-n"):
        return _sd_parts(recoil_kev, masses_gev, target, sigma_cm2, nucleon="p" if coupling == "sd-p" else "n",
                         halo=halo, only=only)
    raise InputError(f"unknown WIMP coupling {coupling!r}; choose one of si, sd-p, sd-n")


def wimp_rate(
    recoil_kev: ArrayLike,
    masses_gev: ArrayLike,
    target: str | Target,
    sigma_cm2: float = 1e-45,
    *,
    coupling: Literal["si", "sd-p", "sd-n"] = "si",
    halo: Halo = SHM,
    form_factor: FormFactor | str = "helm",
    fn_over_fp: float = 1.0,
) -> np.ndarray:
    """WIMP recoil spectrum dR/dE_R in events/(tonne·year·keV_NR), vectorised over recoil
    energies (keV) and WIMP masses (GeV): output shape ``masses.shape + recoils.shape``.

    ``coupling`` ``si`` (:func:`si_rate`, with ``form_factor`` and ``fn_over_fp``),
    ``sd-p`` or ``sd-n`` (:func:`sd_rate`, proton-only or neutron-only spin-dependent
    coupling); ``sigma_cm2`` is the WIMP-nucleon (proton for SI and SD-p, neutron for
    SD-n) cross section at zero momentum transfer.
    """
    return _summed(wimp_rate_by_isotope(recoil_kev, masses_gev, target, sigma_cm2, coupling=coupling, halo=halo,
                                        form_factor=form_factor, fn_over_fp=fn_over_fp), recoil_kev, masses_gev)


# --- spin-dependent ---------------------------------------------------------------------

@dataclass(frozen=True)
class SdStructure:
    """Fit of the spin-dependent structure functions of one isotope, in the isospin basis.

    S_ij(u) = e^{−u} Σ_k c_ij,k u^k (ij = 00, 11, 01), u = q²b²/2 with the
    harmonic-oscillator length ``b_fm``; ``spin`` is J; ``table`` the table of Klos et al.
    2013 the coefficients come from (``data/wimp/sd_structure_functions.csv`` gives the
    provenance).
    """

    isotope: str
    spin: float
    b_fm: float
    s00: tuple[float, ...]
    s11: tuple[float, ...]
    s01: tuple[float, ...]
    table: str

    def channel(self, u_value: ArrayLike, name: Literal["00", "11", "01"]) -> np.ndarray:
        """S_ij at u (dimensionless)."""
        uu = np.asarray(u_value, dtype=float)
        coeffs = {"00": self.s00, "11": self.s11, "01": self.s01}[name]
        return np.exp(-uu) * np.polynomial.polynomial.polyval(uu, np.array(coeffs))


@lru_cache(maxsize=1)
def _sd_table() -> dict[str, SdStructure]:
    path = resources.files("cevns") / "data" / "wimp" / "sd_structure_functions.csv"
    lines = [ln for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    channels: dict[str, dict[str, tuple[float, ...]]] = {}
    meta: dict[str, tuple[float, float, str]] = {}
    for row in csv.DictReader(lines):
        name = row["isotope"].strip()
        channels.setdefault(name, {})[row["channel"].strip()] = tuple(float(c) for c in row["coefficients"].split())
        meta[name] = (float(row["spin_J"]), float(row["b_fm"]), row["table"].strip())
    return {
        name: SdStructure(name, meta[name][0], meta[name][1], c["00"], c["11"], c["01"], meta[name][2])
        for name, c in channels.items()
    }


def sd_isotopes() -> tuple[str, ...]:
    """Names of the isotopes with shipped spin-dependent structure functions, by mass."""
    return tuple(sorted(_sd_table(), key=lambda n: (int(n.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")), n)))


def sd_structure(iso: Isotope | str) -> SdStructure | None:
    """The shipped structure-function fit of an isotope (``Isotope`` or name like
    ``129Xe``), or None when none is shipped."""
    name = iso if isinstance(iso, str) else iso.name
    return _sd_table().get(name)


def sd_structure_function(iso: Isotope | str, q_mev: ArrayLike, nucleon: Literal["p", "n"]) -> np.ndarray:
    """S_p(q) (proton-only coupling, a_0 = a_1 = 1) or S_n(q) (neutron-only, a_0 = 1,
    a_1 = −1), dimensionless, at momentum transfer q (MeV):
    S_p,n = S_00 ± S_01 + S_11 with S_ij(u) = e^{−u} Σ c_ij,k u^k, u = (q b/ħc)²/2
    (Klos, Menéndez, Gazit, Schwenk, PRD 88, 083516 (2013), arXiv:1304.7684, Sec. V and
    their fit tables; 1b+2b currents, band means). In this normalisation
    S_p(0) = (2J+1)(J+1)/(πJ) ⟨S_p⟩² for one-body currents. A one-line
    :class:`cevns.errors.InputError` for an isotope without shipped coefficients."""
    s = sd_structure(iso)
    name = iso if isinstance(iso, str) else iso.name
    if s is None:
        raise InputError(f"no spin-dependent structure function for {name}; shipped: {', '.join(sd_isotopes())}")
    if nucleon not in ("p", "n"):
        raise InputError(f"nucleon must be 'p' or 'n', got {nucleon!r}")
    qf = np.asarray(q_mev, dtype=float) / u.HBARC_MEV_FM
    uu = 0.5 * (qf * s.b_fm) ** 2
    sign = 1.0 if nucleon == "p" else -1.0
    return s.channel(uu, "00") + sign * s.channel(uu, "01") + s.channel(uu, "11")


def _sd_parts(
    recoil_kev: ArrayLike,
    masses_gev: ArrayLike,
    target: str | Target,
    sigma_cm2: float = 1e-40,
    *,
    nucleon: Literal["p", "n"] = "n",
    halo: Halo = SHM,
    only: Collection[str] | None = None,
) -> dict[str, np.ndarray]:
    """The spectra of :func:`sd_rate` by isotope, keyed by isotope name (only the isotopes
    named in ``only``, when given)."""
    if nucleon not in ("p", "n"):
        raise InputError(f"nucleon must be 'p' or 'n', got {nucleon!r}")
    e, m, shape = _grid(recoil_kev, masses_gev)
    sigma = _sigma_cm2(sigma_cm2)
    tgt = wimp_target(target)
    if not any(sd_structure(n.isotope) is not None for n in tgt.nuclei):
        odd = [n.isotope.name for n in tgt.nuclei if n.isotope.spin not in (0.0, None)]
        named = f" (its isotopes with spin: {', '.join(odd)})" if odd else " (it has no isotope with spin)"
        raise InputError(f"no spin-dependent structure functions for {tgt.name}{named}; "
                         f"shipped: {', '.join(sd_isotopes())}")
    mu_p = reduced_mass_mev(m[:, None], M_PROTON_MEV)

    def weight(iso: Isotope) -> float:
        return 1.0 if sd_structure(iso) is not None else 0.0

    def spectral(iso: Isotope, e2: np.ndarray) -> np.ndarray:
        s = sd_structure(iso)
        assert s is not None  # weight() skips the others
        q = np.sqrt(2.0 * iso.mass * e2 * u.keV)
        s_q = sd_structure_function(iso, q, nucleon)
        return 2.0 * math.pi * iso.mass * sigma * s_q / (3.0 * mu_p**2 * (2.0 * s.spin + 1.0))

    parts = _per_isotope(e, m, tgt, halo, weight, spectral, only)
    return {name: part.reshape(shape) for name, part in parts.items()}
