import numpy as np
import pytest

from cevns import units as u
from cevns.physics.cross_sections import (
    NuclearStructure,
    charge_radius_coupling_shift,
    differential_cross_section,
    point_nucleus_total_cross_section,
    radiative_couplings,
    total_cross_section,
    tree_level_couplings,
)
from cevns.physics.form_factors import (
    FormFactor,
    helm_form_factor,
    klein_nystrand_form_factor,
    lewin_smith_rms_radius_fm,
    symmetrized_fermi_form_factor,
)
from cevns.physics.kinematics import momentum_transfer, neutrino_energy_min, recoil_max
from cevns.physics.nuclei import isotope

CS = isotope("Cs", 133)
POINT = NuclearStructure(FormFactor("none"), FormFactor("none"))


def test_recoil_max_cs133_50mev():
    # F. Dordei, Invisibles 2021 talk, slide "An act of hubris": T_max ≈ 2E²/M; exact value for 133Cs at 50 MeV is 40.36 keV
    assert recoil_max(50.0, CS.mass) / u.keV == pytest.approx(40.4, abs=0.05)


def test_emin_inverts_tmax():
    e = np.array([5.0, 29.8, 52.8, 300.0])
    assert neutrino_energy_min(recoil_max(e, CS.mass), CS.mass) == pytest.approx(e, rel=1e-12)
    t = 0.01
    assert momentum_transfer(t, CS.mass) ** 2 == pytest.approx(t**2 + 2 * CS.mass * t)


def test_cross_section_zero_above_tmax():
    tmax = recoil_max(30.0, CS.mass)
    assert differential_cross_section(30.0, 1.0001 * tmax, CS) == 0.0
    assert differential_cross_section(30.0, 0.5 * tmax, CS) > 0.0


@pytest.mark.parametrize("energy", [3.0, 10.0, 29.8, 52.8, 150.0])
def test_point_nucleus_quadrature_equals_analytic(energy):
    c = tree_level_couplings()
    numeric = total_cross_section(energy, CS, "nu_mu", c, POINT)
    assert numeric == pytest.approx(point_nucleus_total_cross_section(energy, CS, c), rel=1e-10)


def test_low_energy_limit_matches_textbook():
    # σ → G_F² Q_W² E²/(4π) for E ≪ M (Freedman 1974), Q_W = N − (1 − 4 s²) Z
    s2 = 0.23857
    e = 1.0
    qw = CS.N - (1 - 4 * s2) * CS.Z
    expected = u.G_FERMI**2 * qw**2 * e**2 / (4 * np.pi) * u.MEV2_TO_CM2
    assert total_cross_section(e, CS, couplings=tree_level_couplings(s2), structure=POINT) == pytest.approx(expected, rel=2e-5)


def test_n_squared_scaling_with_sin2_quarter():
    # at sin²θ_W = 1/4 the proton coupling vanishes: σ ∝ N² exactly (point nuclei, same E ≪ M)
    c = tree_level_couplings(0.25)
    xe = isotope("Xe", 136)
    ar = isotope("Ar", 40)
    ratio = total_cross_section(1.0, xe, couplings=c, structure=POINT) / total_cross_section(1.0, ar, couplings=c, structure=POINT)
    assert ratio == pytest.approx((xe.N / ar.N) ** 2, rel=2e-4)


def test_neutrino_and_antineutrino_equal():
    t = np.linspace(0.1, 10, 5) * u.keV
    for flavor in ("e", "mu"):
        nu = differential_cross_section(30.0, t, CS, f"nu_{flavor}")
        nubar = differential_cross_section(30.0, t, CS, f"nu_{flavor}_bar")
        assert np.array_equal(nu, nubar)


def test_form_factors_normalised_and_agree_at_low_q():
    q = np.array([1e-6, 1.0, 10.0, 30.0, 60.0])
    r = 4.8
    values = [helm_form_factor(q, r), symmetrized_fermi_form_factor(q, r), klein_nystrand_form_factor(q, r)]
    for f in values:
        assert f[0] == pytest.approx(1.0, abs=1e-12)
        # all share the rms radius: F ≈ 1 − q²R²/6 at small q
        x = q[1] / u.HBARC_MEV_FM * r
        assert f[1] == pytest.approx(1 - x**2 / 6, abs=1e-5)
    # at q = 60 MeV they differ by a few per cent, not more
    assert max(v[4] for v in values) - min(v[4] for v in values) < 0.05


def test_helm_rms_radius_from_numerical_density_moment():
    # −6 dF/dq² at q = 0 is ⟨r²⟩: check numerically for each model
    r = 5.0
    h = 0.5  # MeV: qR ≈ 0.013, so the q⁴ term is ~1e-5 of the slope
    for f in (helm_form_factor, symmetrized_fermi_form_factor, klein_nystrand_form_factor):
        slope = (f(h, r) - 1.0) / (h / u.HBARC_MEV_FM) ** 2
        assert np.sqrt(-6 * slope) == pytest.approx(r, rel=1e-4)


def test_lewin_smith_radius():
    # c = 1.23 A^{1/3} − 0.6, a = 0.52, s = 0.9; for A = 133: R ≈ 4.8 fm
    assert 4.7 < lewin_smith_rms_radius_fm(133) < 4.9


def test_neutron_radius_is_a_parameter():
    t = 10 * u.keV
    base = differential_cross_section(30.0, t, CS)
    bigger = differential_cross_section(30.0, t, CS, structure=NuclearStructure(neutron_radius_fm={"133Cs": 5.5}))
    assert bigger < base


def test_radiative_couplings_flavour_dependence():
    c = radiative_couplings()
    # νe − νμ difference is the SM charge-radius difference (−0.83 + 0.48)·10⁻³² cm² × 0.0238
    assert c.proton["e"] - c.proton["mu"] == pytest.approx(0.35 * 0.02380, rel=5e-3)
    assert -0.52 < c.neutron < -0.50
    assert 0.02 < c.proton["mu"] < 0.045
    assert charge_radius_coupling_shift(-1.0) == pytest.approx(0.02380, rel=2e-3)
