"""WIMP signals: the Standard Halo Model η(v_min), SI/SD recoil spectra, folding and CLI."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import erf

from cevns.errors import InputError
from cevns.physics import wimp
from cevns.physics.wimp import SHM, Halo, eta, si_rate, wimp_rate

C_KM_S = 299792.458


def eta_by_quadrature(v_min: np.ndarray, halo: Halo, n_speed: int = 200, n_cos: int = 48) -> np.ndarray:
    """η(v_min) = ∫_{v>v_min} f(v)/v d³v by direct integration of the galactic-frame truncated
    Maxwellian f(w) ∝ exp(−w²/v₀²) Θ(v_esc − w), w = |v + v_E|, over Earth-frame speeds v and
    the cosine c of the angle to v_E, normalised numerically. Gauss–Legendre in both, with
    the escape cut as the upper limit of c, c < (v_esc² − v² − v_E²)/(2 v v_E), and the speed
    range split where that limit enters (v_esc − v_E), so every piece is smooth."""
    xs, ws = np.polynomial.legendre.leggauss(n_speed)
    cs, wc = np.polynomial.legendre.leggauss(n_cos)
    ve, v0, vesc = halo.v_earth_kms, halo.v0_kms, halo.v_esc_kms
    vmax = vesc + ve

    def speed_integral(lo: float, hi: float, power: int) -> float:
        v = lo + 0.5 * (hi - lo) * (xs + 1.0)
        wv = 0.5 * (hi - lo) * ws
        c_hi = np.clip((vesc**2 - v**2 - ve**2) / (2.0 * v * ve), -1.0, 1.0)
        c = -1.0 + 0.5 * (c_hi[:, None] + 1.0) * (cs[None, :] + 1.0)
        f = np.exp(-(v[:, None] ** 2 + ve**2 + 2.0 * v[:, None] * ve * c) / v0**2)
        angular = 0.5 * (c_hi + 1.0) * (f @ wc)
        return float(np.sum(wv * 2.0 * np.pi * v**power * angular))

    def pieces(lo: float, power: int) -> float:
        knot = vesc - ve
        if lo < knot:
            return speed_integral(lo, knot, power) + speed_integral(knot, vmax, power)
        return speed_integral(lo, vmax, power)

    norm = pieces(0.0, 2)
    return np.array([pieces(vm, 1) / norm if vm < vmax else 0.0 for vm in np.atleast_1d(v_min)])


def test_eta_matches_direct_integration_of_the_velocity_distribution() -> None:
    v_min = np.array([0.0, 50.0, 200.0, 291.0, 400.0, 600.0, 700.0, 790.0])
    closed = eta(v_min, SHM)
    numeric = eta_by_quadrature(v_min, SHM)
    np.testing.assert_allclose(closed, numeric, rtol=1e-6, atol=1e-9 * closed.max())


def test_eta_vanishes_above_vesc_plus_vearth_and_not_below() -> None:
    vmax = SHM.v_esc_kms + SHM.v_earth_kms
    assert eta(vmax, SHM) == 0.0
    assert eta(vmax + 1.0, SHM) == 0.0
    assert eta(vmax - 1.0, SHM) > 0.0
    values = eta(np.linspace(0, vmax, 500), SHM)
    assert np.all(np.diff(values) <= 1e-18)  # non-increasing


def test_eta_untruncated_static_limit_is_the_erfc_form() -> None:
    """v_esc → ∞: η = [erf(x+y) − erf(x−y)]/(2 v₀ y); and y → 0: η = 2 e^{−x²}/(√π v₀)."""
    halo = Halo(v_esc_kms=1e5, v_earth_kms=232.0)
    v = np.linspace(0, 900, 37)
    x, y = v / halo.v0_kms, 232.0 / halo.v0_kms
    np.testing.assert_allclose(eta(v, halo), (erf(x + y) - erf(x - y)) / (2 * halo.v0_kms * y), rtol=1e-12)
    static = Halo(v_esc_kms=1e5, v_earth_kms=0.0)
    np.testing.assert_allclose(eta(v, static), 2 * np.exp(-x * x) / (math.sqrt(math.pi) * halo.v0_kms),
                               rtol=1e-12)
    # the general formula approaches the y = 0 branch continuously
    np.testing.assert_allclose(eta(v, Halo(v_earth_kms=1e-4)), eta(v, Halo(v_earth_kms=0.0)), rtol=1e-6)


def test_default_halo_is_baxter_2021() -> None:
    assert (SHM.rho_gev_cm3, SHM.v0_kms, SHM.v_esc_kms) == (0.3, 238.0, 544.0)
    assert SHM.v_earth_kms == pytest.approx(252.11, abs=0.01)
    # the mean Earth speed is between the Sun's speed and the extremes of the year
    speeds = np.linalg.norm(wimp.earth_velocity_kms(np.linspace(0, 2 * np.pi, 365)), axis=-1)
    assert speeds.min() < 250.55 < SHM.v_earth_kms < speeds.max()
    assert speeds.max() - speeds.min() == pytest.approx(2 * 29.8 * math.cos(math.radians(60.2)), rel=0.05)


def test_wimp_rate_is_vectorised_over_masses_and_recoils() -> None:
    e = np.linspace(0.5, 60, 40)
    m = np.array([6.0, 30.0, 200.0])
    grid = wimp_rate(e, m, "Xe", 1e-46)
    assert grid.shape == (3, 40)
    for i, mass in enumerate(m):
        np.testing.assert_allclose(grid[i], wimp_rate(e, mass, "Xe", 1e-46), rtol=1e-13)
    assert wimp_rate(10.0, 50.0, "Xe").shape == ()


def helm_lewin_smith(q_gev: np.ndarray, a: int) -> np.ndarray:
    """Helm form factor with Lewin & Smith's parameters (their Eqs. 4.7 and 4.11), written
    out independently of cevns.physics.form_factors: r_n² = c² + (7/3)π²a² − 5s²."""
    c, a_fm, s = 1.23 * a ** (1 / 3) - 0.60, 0.52, 0.9
    r_n = math.sqrt(c * c + 7 / 3 * math.pi**2 * a_fm**2 - 5 * s * s)
    qr = q_gev / 0.1973269804593025 * r_n  # GeV → fm⁻¹
    j1 = np.sin(qr) / qr**2 - np.cos(qr) / qr
    return 3 * j1 / qr * np.exp(-0.5 * (q_gev / 0.1973269804593025 * s) ** 2)


def test_si_rate_against_an_independent_computation_for_one_isotope() -> None:
    """dR/dE_R = N_T (ρ₀/m_χ) ∫ v f(v) dσ/dE_R d³v with dσ/dE_R = m_N σ_p A² F²/(2 μ_p² v²), in
    GeV and cm, η by direct integration of the velocity distribution."""
    from cevns.physics.nuclei import isotope

    iso = isotope("Xe", 132)
    m_n = iso.mass / 1e3  # GeV
    e_kev = np.array([1.0, 5.0, 20.0, 45.0])
    sigma = 2e-46
    for m_chi in (20.0, 300.0):
        mu_p = m_chi * 0.93827208943 / (m_chi + 0.93827208943)
        mu_n = m_chi * m_n / (m_chi + m_n)
        v_min = np.sqrt(m_n * e_kev * 1e-6 / 2) / mu_n * C_KM_S
        eta_cm = eta_by_quadrature(v_min, SHM) / 1e5  # s/cm
        q = np.sqrt(2 * m_n * e_kev * 1e-6)
        dsigma_v2 = m_n * sigma * 132**2 * helm_lewin_smith(q, 132) ** 2 / (2 * mu_p**2)  # cm²/GeV, v in c
        per_nucleus = 0.3 / m_chi * (C_KM_S * 1e5) ** 2 * dsigma_v2 * eta_cm  # 1/(s GeV)
        n_t = 1000.0 / (iso.atomic_mass_u * 1.66053906892e-27)  # nuclei per tonne
        expected = per_nucleus * n_t * 365.25 * 86400 * 1e-6  # per tonne·year·keV
        np.testing.assert_allclose(si_rate(e_kev, m_chi, "132Xe", sigma), expected, rtol=1e-6)


def test_si_rate_in_the_lewin_smith_closed_form_limit() -> None:
    """No escape cut, Earth at rest, point nucleus: dR/dE_R = R₀/(E₀r) exp(−E_R/(E₀r)) with
    R₀ = (2/√π) N_T (ρ₀/m_χ) σ₀ v₀, σ₀ = σ_p A² μ_N²/μ_p², E₀ = m_χ v₀²/2, r = 4 m_χ m_N/(m_χ + m_N)²
    (Lewin & Smith, Astropart. Phys. 6, 87 (1996), Sec. 3), written out here in GeV, cm, s."""
    from cevns.physics.nuclei import isotope

    halo = Halo(v_esc_kms=1e5, v_earth_kms=0.0)
    iso = isotope("Xe", 132)
    m_n = iso.mass / 1e3
    n_t = 1000.0 / (iso.atomic_mass_u * 1.66053906892e-27)  # nuclei per tonne
    e = np.array([0.0, 3.0, 20.0, 70.0])
    for m_chi in (15.0, 100.0, 5000.0):
        mu_n = m_chi * m_n / (m_chi + m_n)
        mu_p = m_chi * 0.93827208943 / (m_chi + 0.93827208943)
        sigma0 = 1e-45 * 132**2 * (mu_n / mu_p) ** 2
        r0 = 2 / math.sqrt(math.pi) * n_t * 0.3 / m_chi * sigma0 * 238.0e5 * 365.25 * 86400  # per tonne·year
        e0r = 0.5 * m_chi * (238.0 / C_KM_S) ** 2 * 4 * m_chi * m_n / (m_chi + m_n) ** 2 * 1e6  # keV
        expected = r0 / e0r * np.exp(-e / e0r)
        got = si_rate(e, m_chi, "132Xe", 1e-45, halo=halo, form_factor="none")
        np.testing.assert_allclose(got, expected, rtol=1e-6)


def test_si_rate_scales_as_a_squared_and_sigma_and_respects_fn_fp() -> None:
    e = np.array([0.01, 1.0, 2.0])
    m = 1000.0  # at E_R → 0, F → 1 and η(v_min) → η(0) for every isotope
    per_tonne = {a: si_rate(e, m, f"{a}Xe", 1e-46) for a in (124, 136)}
    # per unit target mass the rate is ρ₀ σ_p A² F² η / (2 m_χ μ_p²): A² at E_R → 0
    ratio = per_tonne[136] / per_tonne[124]
    assert ratio[0] == pytest.approx((136 / 124) ** 2, rel=2e-4)
    assert ratio[2] < ratio[0]  # the heavier nucleus loses more to F² and η at finite E_R
    np.testing.assert_allclose(si_rate(e, m, "Xe", 3e-46), 3 * si_rate(e, m, "Xe", 1e-46), rtol=1e-13)
    # f_n = 0: only protons couple, (Z/A)² of the isoscalar rate for one isotope
    np.testing.assert_allclose(si_rate(e, m, "132Xe", 1e-46, fn_over_fp=0.0),
                               (54 / 132) ** 2 * si_rate(e, m, "132Xe", 1e-46), rtol=1e-13)
    # xenon-fraction weighting: natural Xe = Σ abundance × isotope rates × (m_iso / m̄)
    from cevns.physics.nuclei import resolve_target

    tgt = resolve_target("Xe")
    mbar = tgt.molar_mass_g
    total = sum(n.per_formula_unit * n.isotope.atomic_mass_u / mbar * si_rate(e, m, n.isotope.name, 1e-46)
                for n in tgt.nuclei)
    np.testing.assert_allclose(si_rate(e, m, "Xe", 1e-46), total, rtol=1e-12)


def test_form_factor_is_selectable() -> None:
    e = np.array([5.0, 30.0])
    helm = si_rate(e, 100.0, "Ge", 1e-45)
    none = si_rate(e, 100.0, "Ge", 1e-45, form_factor="none")
    sf = si_rate(e, 100.0, "Ge", 1e-45, form_factor="sf")
    assert np.all(none > helm)
    np.testing.assert_allclose(sf, helm, rtol=0.05)
    with pytest.raises(InputError, match="unknown form factor"):
        si_rate(e, 100.0, "Ge", 1e-45, form_factor="gauss")


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"masses_gev": 0.0}, "WIMP mass"),
    ({"masses_gev": -5.0}, "WIMP mass"),
    ({"masses_gev": float("nan")}, "WIMP mass"),
    ({"masses_gev": 1e7}, "WIMP mass"),
    ({"recoil_kev": -1.0}, "recoil energy"),
    ({"recoil_kev": float("inf")}, "recoil energy"),
    ({"sigma_p_cm2": 0.0}, "cross section"),
    ({"sigma_p_cm2": float("nan")}, "cross section"),
    ({"sigma_p_cm2": "big"}, "cross section"),
])
def test_bad_inputs_are_one_line_input_errors(kwargs: dict, match: str) -> None:
    args = {"recoil_kev": 10.0, "masses_gev": 50.0, "target": "Xe", "sigma_p_cm2": 1e-45} | kwargs
    with pytest.raises(InputError, match=match) as info:
        si_rate(**args)
    assert "\n" not in str(info.value)


def test_bad_halo_is_an_input_error() -> None:
    with pytest.raises(InputError, match="Earth speed"):
        Halo(v_earth_kms=600.0)
    with pytest.raises(InputError, match="v0"):
        Halo(v0_kms=-1.0)


# --- spin-dependent --------------------------------------------------------------------

SHIPPED_SD = ("19F", "23Na", "27Al", "29Si", "73Ge", "127I", "129Xe", "131Xe")


def test_shipped_sd_isotopes_and_their_spins_match_nubase() -> None:
    from cevns.physics.nuclei import parse_isotope_name

    assert wimp.sd_isotopes() == SHIPPED_SD
    for name in SHIPPED_SD:
        s = wimp.sd_structure(name)
        iso = parse_isotope_name(name)
        assert s is not None and iso is not None
        assert s.spin == iso.spin, name


@pytest.mark.parametrize("name", SHIPPED_SD)
def test_isoscalar_structure_function_at_zero_is_the_spin_expectation_formula(name: str) -> None:
    """S_00(0) = (2J+1)(J+1)/(4πJ) (⟨S_p⟩ + ⟨S_n⟩)² (Klos et al. 2013: two-body currents
    renormalise only the isovector coupling a_1, so the isoscalar channel keeps the one-body
    value), with ⟨S_p,n⟩ from data/spin_expectation_values.csv (Klos et al. 1b, three digits)."""
    from cevns.physics.nuclei import parse_isotope_name, spin_expectation_values

    iso = parse_isotope_name(name)
    assert iso is not None
    sp_sn = spin_expectation_values(iso)
    assert sp_sn is not None
    s = wimp.sd_structure(name)
    assert s is not None
    j = s.spin
    expected = (2 * j + 1) * (j + 1) / (4 * math.pi * j) * (sp_sn[0] + sp_sn[1]) ** 2
    # ⟨S⟩ rounded to three decimals: 2 × 0.0005/|⟨S_p⟩ + ⟨S_n⟩| relative, plus the fits' own
    tolerance = 2 * 0.0006 / abs(sp_sn[0] + sp_sn[1]) + 0.01
    assert float(s.channel(0.0, "00")) == pytest.approx(expected, rel=tolerance)


@pytest.mark.parametrize("name", SHIPPED_SD)
def test_dominant_structure_function_at_zero_with_two_body_quenching(name: str) -> None:
    """S_p,n(0) = (2J+1)(J+1)/(4πJ) |(2+δ)⟨S_N⟩ − δ⟨S_N'⟩|² for the coupling to the odd
    nucleon N, with the two-body-current correction δ = δa_1(0) of Klos et al. 2013 in
    their range, about −0.27 … −0.15 at the nuclear density they use (as recalled): the
    shipped fit must imply a δ there. Also S_p(0) − S_n(0) = 2 S_01(0) by construction."""
    from cevns.physics.nuclei import parse_isotope_name, spin_expectation_values

    iso = parse_isotope_name(name)
    assert iso is not None
    sp, sn = spin_expectation_values(iso) or (0.0, 0.0)
    s = wimp.sd_structure(name)
    assert s is not None
    j = s.spin
    pref = (2 * j + 1) * (j + 1) / (4 * math.pi * j)
    odd_proton = abs(sp) > abs(sn)
    s0 = float(wimp.sd_structure_function(name, 0.0, "p" if odd_proton else "n"))
    main, other = (sp, sn) if odd_proton else (sn, sp)
    # solve |(2+δ) main − δ other| = √(S0/pref) for δ near 0 (same sign as main)
    delta = (math.sqrt(s0 / pref) * math.copysign(1.0, main) - 2 * main) / (main - other)
    assert -0.32 < delta < -0.10, (name, delta)
    assert float(wimp.sd_structure_function(name, 0.0, "p") - wimp.sd_structure_function(name, 0.0, "n")) == \
        pytest.approx(2 * float(s.channel(0.0, "01")), rel=1e-12)


def test_sd_rate_at_low_recoil_is_the_zero_momentum_cross_section() -> None:
    """At E_R → 0 the SD spectrum of pure ¹²⁹Xe is dσ/dE_R = 2π m_N σ_n S_n(0)/(3 μ² v² (2J+1))
    and the SI one without form factor m_N σ A²/(2 μ² v²): same halo, same μ, so their ratio
    is [2π S_n(0)/(3(2J+1))] / [A²/2]."""
    e = np.array([1e-4])
    m = 80.0
    sd = wimp.sd_rate(e, m, "129Xe", 1e-40, nucleon="n")
    si = si_rate(e, m, "129Xe", 1e-40, form_factor="none")  # m_N σ A² /(2 μ_p² v²)
    s_n0 = float(wimp.sd_structure_function("129Xe", 0.0, "n"))
    expected_ratio = (2 * math.pi * s_n0 / (3 * 2.0)) / (129**2 / 2)
    assert float(sd[0] / si[0]) == pytest.approx(expected_ratio, rel=1e-3)


def test_sd_rate_of_natural_xenon_counts_only_the_odd_isotopes() -> None:
    e = np.linspace(1, 50, 20)
    parts = wimp.wimp_rate_by_isotope(e, [30.0, 300.0], "Xe", 1e-41, coupling="sd-n")
    assert set(parts) == {"129Xe", "131Xe"}
    np.testing.assert_allclose(sum(parts.values()), wimp.wimp_rate(e, [30.0, 300.0], "Xe", 1e-41, coupling="sd-n"),
                               rtol=1e-13)
    # xenon: neutron coupling dominates by far (odd-neutron nuclei)
    p = wimp.wimp_rate(e, 50.0, "Xe", 1e-41, coupling="sd-p")
    n = wimp.wimp_rate(e, 50.0, "Xe", 1e-41, coupling="sd-n")
    assert np.all(n > 10 * p)


def test_sd_target_without_shipped_isotopes_is_one_line_naming_the_shipped_ones() -> None:
    with pytest.raises(InputError, match=r"Ar.*shipped: 19F, 23Na") as info:
        wimp.sd_rate(10.0, 50.0, "Ar", 1e-40)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="183W.*shipped"):
        wimp.sd_rate(10.0, 50.0, "W", 1e-40)
    with pytest.raises(InputError, match="no spin-dependent structure function for 133Cs"):
        wimp.sd_structure_function("133Cs", 0.0, "p")
    # CaWO4: no shipped isotope (43Ca, 183W, 17O are not in Klos et al.)
    with pytest.raises(InputError, match="CaWO4"):
        wimp.sd_rate(10.0, 50.0, "CaWO4", 1e-40)
    # NaI, CF3I, C3F8 are covered
    for target in ("NaI", "CF3I", "C3F8", "Ge", "Si"):
        assert np.all(wimp.sd_rate([1.0, 10.0], 50.0, target, 1e-40, nucleon="p") > 0)


# --- folding through a detector response -----------------------------------------------

def _quad_counts(mass: float, target: str, lo: float, hi: float, weight=lambda t: 1.0, **kwargs) -> float:
    """∫ dR/dE_R ε dT by adaptive quadrature (scipy.integrate.quad), cut at the spectrum's
    kinks, for one mass."""
    from scipy.integrate import quad

    from cevns.physics.nuclei import resolve_target

    tgt = resolve_target(target)
    kinks = sorted({float(k) for iso in tgt.isotopes for k in wimp.recoil_kinks_kev(mass, iso.mass)})
    points = [k for k in kinks if lo < k < hi]
    cuts = [lo, *points, hi]
    total = 0.0
    for a, b in zip(cuts[:-1], cuts[1:]):
        total += quad(lambda t: float(wimp_rate(t, mass, target, 1e-46, **kwargs)) * weight(t), a, b,
                      epsabs=0, epsrel=1e-10, limit=200)[0]
    return total


def test_counts_above_threshold_match_adaptive_quadrature() -> None:
    from cevns.rates.recoil_signals import wimp_counts_above

    masses = np.array([8.0, 60.0, 2000.0])
    counts = wimp_counts_above(2.0, "Xe", masses, 1e-46, max_kev=300.0, exposure_tonne_year=3.0)
    assert counts.shape == (3,)
    for m, c in zip(masses, counts):
        assert c == pytest.approx(3.0 * _quad_counts(m, "Xe", 2.0, 300.0), rel=1e-6)
    # Ge, SD on neutrons (only 73Ge contributes)
    sd = wimp_counts_above(1.0, "Ge", [40.0], 1e-41, max_kev=200.0, coupling="sd-n")
    assert sd[0] == pytest.approx(_quad_counts(40.0, "Ge", 1.0, 200.0, coupling="sd-n") * 1e5, rel=1e-6)


def test_binned_counts_with_efficiency_quenching_and_smearing() -> None:
    from cevns.detector.response import (
        ConstantQuenching,
        DetectorResponse,
        FunctionEfficiency,
        Observable,
        Resolution,
    )
    from cevns.rates.recoil_signals import threshold_response, wimp_binned_counts

    masses = np.array([20.0, 200.0])
    # bins add up to the whole range
    fine = wimp_binned_counts(threshold_response(3.0, 63.0, bins=12), "Ar", masses, 1e-46)
    whole = wimp_binned_counts(threshold_response(3.0, 63.0), "Ar", masses, 1e-46)
    assert fine.shape == (2, 12)
    np.testing.assert_allclose(fine.sum(axis=1), whole[:, 0], rtol=1e-9)
    # a smooth efficiency in keVee with a constant quenching factor 0.25
    eff = FunctionEfficiency(lambda x: 1.0 - np.exp(-x / 2.0))
    response = DetectorResponse(quenching=ConstantQuenching(0.25), observable=Observable("keVee"), efficiency=eff,
                                edges=(1.0, 4.0, 10.0))
    got = wimp_binned_counts(response, "Ar", masses, 1e-46)
    for i, m in enumerate(masses):
        for b, (lo, hi) in enumerate([(4.0, 16.0), (16.0, 40.0)]):
            expected = _quad_counts(m, "Ar", lo, hi, weight=lambda t: 1.0 - math.exp(-0.25 * t / 2.0))
            assert got[i, b] == pytest.approx(expected, rel=1e-6)
    # a Gaussian resolution σ = 0.8 keV: ∫ R(T) [Φ((hi − T)/σ) − Φ((lo − T)/σ)] dT
    from scipy.special import ndtr

    smeared = wimp_binned_counts(DetectorResponse(resolution=Resolution("gaussian", noise=0.8), edges=(5.0, 20.0, 40.0)),
                                 "Ar", masses, 1e-46)
    for i, m in enumerate(masses):
        for b, (lo, hi) in enumerate([(5.0, 20.0), (20.0, 40.0)]):
            expected = _quad_counts(m, "Ar", 1e-9, 60.0, weight=lambda t: ndtr((hi - t) / 0.8) - ndtr((lo - t) / 0.8))
            assert smeared[i, b] == pytest.approx(expected, rel=1e-4)


def test_folding_bad_input_is_one_line() -> None:
    from cevns.rates.recoil_signals import threshold_response, wimp_counts_above

    with pytest.raises(InputError, match="threshold must be"):
        threshold_response(-1.0)
    with pytest.raises(InputError, match="threshold must be"):
        threshold_response(float("nan"))
    with pytest.raises(InputError, match="WIMP mass"):
        wimp_counts_above(1.0, "Xe", [10.0, -1.0], 1e-46)


# --- command line ----------------------------------------------------------------------

def test_cli_wimp_prints_the_spectrum_and_the_counts(capsys) -> None:
    import json

    from cevns.rates.recoil_signals import wimp_counts_above
    from tests.cli_run import run_cli

    rc, out, err = run_cli(capsys, "wimp", "Xe", "--mass", "50", "--mass", "5", "--sigma", "1e-46",
                           "--threshold-kev", "3", "--exposure-ton-year", "2", "--points", "4", "--json")
    assert rc == 0, err
    data = json.loads(out)
    heavy, light = data["masses"]
    assert heavy["counts"] == pytest.approx(float(wimp_counts_above(3.0, "Xe", [50.0], 1e-46,
                                                                     max_kev=heavy["max_recoil_keV"],
                                                                     exposure_tonne_year=2.0)[0]), rel=1e-12)
    np.testing.assert_allclose(heavy["rate_per_tonne_year_keV"], wimp_rate(heavy["recoil_keV"], 50.0, "Xe", 1e-46),
                               rtol=1e-12)
    assert light["counts"] == 0.0 and light["max_recoil_keV"] < 3.0  # 5 GeV on Xe: below the threshold
    rc, out, err = run_cli(capsys, "wimp", "C3F8", "--mass", "30", "--sigma", "1e-40", "--sd", "p", "--points", "3")
    assert rc == 0, err
    assert "SD-P" in out and "events in 1 tonne-year" in out


@pytest.mark.parametrize("args", [
    ("Xe", "--mass", "0", "--sigma", "1e-46"),
    ("Xe", "--mass", "-3", "--sigma", "1e-46"),
    ("Xe", "--mass", "1e9", "--sigma", "1e-46"),
    ("Xe", "--mass", "50", "--sigma", "-1"),
    ("Xe", "--mass", "50", "--sigma", "nan"),
    ("Xe", "--mass", "50", "--sigma", "1e-46", "--threshold-kev", "-2"),
    ("Xe", "--mass", "50", "--sigma", "1e-46", "--exposure-ton-year", "0"),
    ("Xe", "--mass", "50", "--sigma", "1e-46", "--threshold-kev", "5", "--max-kev", "2"),
    ("Ar", "--mass", "50", "--sigma", "1e-40", "--sd", "n"),
    ("Qq", "--mass", "50", "--sigma", "1e-46"),
    ("Xe", "--mass", "50"),
    ("Xe", "--mass", "50", "--sigma", "1e-46", "--sd", "x"),
    ("Xe", "--mass", "50", "--sigma", "1e-46", "--form-factor", "gauss"),
])
def test_cli_wimp_bad_input_is_one_line_exit_2(capsys, args: tuple[str, ...]) -> None:
    from tests.cli_run import one_error_line, run_cli

    rc, out, err = run_cli(capsys, "wimp", *args)
    assert rc == 2
    one_error_line(err)
