"""Adiabatic MSW flavour content of solar neutrinos (cevns.physics.msw) against closed forms:
the vacuum-averaged low-energy limit, the high-density limit, the resonance, unitarity and
the θ₁₃ = 0 two-flavour reduction."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cevns.errors import InputError
from cevns.physics.msw import (
    GLOBAL_FITS,
    MATTER_POTENTIAL_MEV_PER_NA,
    OscillationFit,
    cos2_theta12_matter,
    global_fit,
    pmns_squared,
    production_averaged_probabilities,
    solar_flavour_probabilities,
    survival_probability,
    vacuum_average_pee,
)

N_E_CORE = 100.0  # N_A cm^-3, about the solar centre (B16: log10 n_e = 2.004)


@pytest.mark.parametrize("name", sorted(GLOBAL_FITS))
def test_low_energy_limit_is_the_vacuum_average(name):
    p = GLOBAL_FITS[name]
    s2 = 4 * p.sin2_theta12 * (1 - p.sin2_theta12)
    expected = (1 - p.sin2_theta13) ** 2 * (1 - 0.5 * s2) + p.sin2_theta13**2
    assert vacuum_average_pee(name) == pytest.approx(expected, rel=1e-12)
    assert float(survival_probability(1e-6, N_E_CORE, name)) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("name", sorted(GLOBAL_FITS))
def test_high_energy_limit_is_sin2_theta12(name):
    p = GLOBAL_FITS[name]
    expected = (1 - p.sin2_theta13) ** 2 * p.sin2_theta12 + p.sin2_theta13**2
    assert float(survival_probability(1e6, N_E_CORE, name)) == pytest.approx(expected, rel=1e-5)


def test_matter_potential_constant():
    # sqrt(2) G_F n_e = 7.63e-14 eV for n_e = N_A/cm^3 (e.g. Gonzalez-Garcia & Nir, RMP 75, 345 (2003))
    assert MATTER_POTENTIAL_MEV_PER_NA / 1e-6 == pytest.approx(7.63e-14, rel=2e-3)


def test_resonance_gives_maximal_matter_mixing():
    p = global_fit("NuFIT-5.2")
    c2 = 1 - 2 * p.sin2_theta12
    e_res = c2 * p.dm2_21_ev2 * 1e-12 / (2 * MATTER_POTENTIAL_MEV_PER_NA * (1 - p.sin2_theta13) * N_E_CORE)
    assert float(cos2_theta12_matter(e_res, N_E_CORE, p)) == pytest.approx(0.0, abs=1e-12)
    assert float(survival_probability(e_res, N_E_CORE, p)) == pytest.approx(
        0.5 * (1 - p.sin2_theta13) ** 2 + p.sin2_theta13**2, rel=1e-12
    )
    assert 1.0 < e_res < 3.0  # MeV: the LMA transition region


def test_probabilities_are_unitary_and_pee_matches():
    e = np.geomspace(0.05, 20.0, 50)[:, None]
    ne = np.array([1.0, 30.0, 100.0])
    for name in GLOBAL_FITS:
        probs = solar_flavour_probabilities(e, ne, name)
        assert probs.shape == (3, 50, 3)
        np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-13)
        assert np.all(probs >= 0)
        np.testing.assert_allclose(probs[0], survival_probability(e, ne, name), rtol=1e-12)
        u = pmns_squared(name)
        np.testing.assert_allclose(u.sum(axis=0), 1.0, atol=1e-13)
        np.testing.assert_allclose(u.sum(axis=1), 1.0, atol=1e-13)


def test_theta13_zero_reduces_to_two_flavours():
    fit = OscillationFit("test", 0.3, 0.0, 0.6, 200.0, 7.5e-5, 2.5e-3, "test")
    e = np.geomspace(0.1, 20.0, 30)
    pee, pem, pet = solar_flavour_probabilities(e, 80.0, fit)
    np.testing.assert_allclose(pem, 0.4 * (1 - pee), rtol=1e-12)
    np.testing.assert_allclose(pet, 0.6 * (1 - pee), rtol=1e-12)
    c2m = cos2_theta12_matter(e, 80.0, fit)
    np.testing.assert_allclose(pee, 0.5 + 0.5 * c2m * 0.4, rtol=1e-12)


def test_pee_decreases_with_energy_between_the_limits():
    e = np.geomspace(0.01, 100.0, 200)
    pee = survival_probability(e, N_E_CORE)
    assert np.all(np.diff(pee) < 0)


def test_production_average_of_a_narrow_profile_is_the_point_value():
    r = np.linspace(0.0, 0.5, 501)
    ne = 100.0 * np.exp(-r / 0.1)
    w = np.exp(-0.5 * ((r - 0.1) / 1e-3) ** 2)
    e = np.array([0.5, 5.0, 10.0])
    avg = production_averaged_probabilities(e, r, ne, w)
    point = solar_flavour_probabilities(e, 100.0 * math.exp(-1.0))
    np.testing.assert_allclose(avg, point, rtol=2e-4)


def test_production_average_of_two_sites_is_the_mean():
    r = np.array([0.0, 0.1, 0.2, 0.3])
    ne = np.array([100.0, 50.0, 20.0, 5.0])
    w = np.array([0.0, 1.0, 1.0, 0.0])  # trapezoid weights 0.05, 0.1, 0.1, 0.05 on the profile -> sites 2, 3 equal
    e = np.array([8.0])
    avg = production_averaged_probabilities(e, r, ne, w)
    mean = 0.5 * (solar_flavour_probabilities(e, 50.0) + solar_flavour_probabilities(e, 20.0))
    np.testing.assert_allclose(avg, mean, rtol=1e-12)


def test_bad_input_is_one_line_input_error():
    with pytest.raises(InputError, match="unknown oscillation fit 'NuFIT-9'; known: NuFIT-5.2, NuFIT-6.0") as err:
        global_fit("NuFIT-9")
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="sin2_theta12"):
        OscillationFit("bad", 1.5, 0.02, 0.5, 0.0, 7.4e-5, 2.5e-3, "")
    with pytest.raises(InputError, match="production profile"):
        production_averaged_probabilities([1.0], [0.0, 0.1], [1.0], [1.0, 1.0])
