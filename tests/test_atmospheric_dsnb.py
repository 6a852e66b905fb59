"""Atmospheric (FLUKA table) and DSNB sources against closed forms and independent integrals."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate

from cevns.config.experiments import load_experiment
from cevns.errors import InputError
from cevns.physics.nuclei import isotope
from cevns.rates.prediction import differential_rate
from cevns.sources.atmospheric import ATMOSPHERIC_MODELS, atmospheric_source
from cevns.sources.dsnb import (
    DSNB_MODELS,
    core_collapse_rate,
    dsnb_source,
    dsnb_spectrum,
    fermi_dirac,
    salpeter_collapse_fraction,
    star_formation_rate,
)
from cevns.sources.solar import solar_source

sys.path.insert(0, str(Path(__file__).resolve().parent))
from experiment_text import assert_refused_in_one_line, ge_experiment_with_source  # noqa: E402

MPC_CM = 3.0856775814913673e24
YR_S = 3.15576e7
ERG_MEV = 1.0 / 1.602176634e-6


def test_atmospheric_total_and_flavours():
    src = atmospheric_source()
    assert set(src.flavors) == {"nu_e", "nu_e_bar", "nu_mu", "nu_mu_bar"}
    # the neutrino-fog literature's 10.5 cm^-2 s^-1 (Billard et al. 2014; O'Hare 2021) for this table
    assert sum(src.flux_cm2_s.values()) == pytest.approx(10.5, rel=5e-3)
    # nu_mu/nu_e ~ 2 from pi -> mu -> e decay chains below 1 GeV
    ratio = (src.flux_cm2_s["nu_mu"] + src.flux_cm2_s["nu_mu_bar"]) / (src.flux_cm2_s["nu_e"] + src.flux_cm2_s["nu_e_bar"])
    assert 1.8 < ratio < 2.2
    for s in src.spectra.values():
        assert float(s.tail_moments(0.0)[0]) == pytest.approx(1.0, rel=1e-12)
    assert src.max_energy == pytest.approx(981.75)
    assert ATMOSPHERIC_MODELS["FLUKA-2005"].relative_uncertainty == 0.25
    assert atmospheric_source(flux_scale=2.0).flux_cm2_s["nu_e"] == pytest.approx(2 * src.flux_cm2_s["nu_e"])


def test_fermi_dirac_closed_forms():
    t, total = 5.0, 1e58
    e = np.linspace(0.0, 40 * t, 400001)
    f = fermi_dirac(e, t, total)
    assert np.trapezoid(f * e, e) == pytest.approx(total, rel=1e-8)
    # number = E_tot / <E>, <E> = (7 pi^4 / 180) / zeta(3) T = 3.1514 T
    zeta3 = 1.2020569031595942
    assert np.trapezoid(f, e) == pytest.approx(total / (7 * math.pi**4 / (180 * zeta3) * t), rel=1e-8)


def test_star_formation_history_and_collapse_rate():
    m = DSNB_MODELS["HBD09-T6"]
    # Salpeter IMF with 8-50 Msun collapses: 0.00703 per Msun; HBD09 R_SN(0) = 1.25e-4 / yr / Mpc^3
    assert salpeter_collapse_fraction() == pytest.approx(0.00703, rel=1e-3)
    assert float(core_collapse_rate(0.0, m)) == pytest.approx(1.25e-4, rel=5e-3)
    # piecewise power laws: (1+z)^3.4 at low z, flat 1 < z < 4, (1+z)^-3.5 beyond
    assert float(star_formation_rate(0.0, m)) == pytest.approx(0.0178, rel=1e-3)
    assert float(star_formation_rate(0.3, m) / star_formation_rate(0.1, m)) == pytest.approx((1.3 / 1.1) ** 3.4, rel=1e-3)
    assert float(star_formation_rate(6.0, m) / star_formation_rate(5.0, m)) == pytest.approx((7 / 6) ** -3.5, rel=2e-2)


def test_dsnb_against_an_independent_adaptive_integral():
    m = DSNB_MODELS["fog-2014"]
    h = 299792.458 / m.h0_km_s_mpc
    for flavour in ("nu_e", "nu_e_bar", "nu_tau"):
        t = m.temperature(flavour)
        for e in (2.0, 10.0, 25.0):
            def integrand(z: float) -> float:
                return float(
                    core_collapse_rate(z, m) * fermi_dirac(e * (1 + z), t, 5e52 * ERG_MEV)
                    / math.sqrt(0.3 * (1 + z) ** 3 + 0.7)
                )
            ref = h * integrate.quad(integrand, 0.0, 5.0, epsabs=0, epsrel=1e-10)[0] / (MPC_CM**2 * YR_S)
            assert float(dsnb_spectrum(e, flavour, m)) == pytest.approx(ref, rel=1e-6)


def test_dsnb_small_redshift_limit():
    m = dataclasses.replace(DSNB_MODELS["HBD09-T6"], z_max=1e-4)
    e = np.array([3.0, 10.0, 20.0])
    expected = (299792.458 / 70.0) * 1e-4 * 1.2511e-4 * fermi_dirac(e, 6.0, 5e52 * ERG_MEV) / (MPC_CM**2 * YR_S)
    np.testing.assert_allclose(dsnb_spectrum(e, "nu_e_bar", m), expected, rtol=2e-3)


def test_dsnb_source_fluxes_and_models():
    src = dsnb_source()
    assert set(src.flavors) == {"nu_e", "nu_e_bar", "nu_mu", "nu_mu_bar", "nu_tau", "nu_tau_bar"}
    total = sum(src.flux_cm2_s.values())
    # the neutrino-fog literature's DSNB total, 85.7 cm^-2 s^-1 (O'Hare's NeutrinoFog tables), within 10 %
    assert total == pytest.approx(85.7, rel=0.1)
    for s in src.spectra.values():
        assert float(s.tail_moments(0.0)[0]) == pytest.approx(1.0, rel=1e-9)
    # hotter spectra: fewer neutrinos for the same energy, flux ∝ 1/T at fixed redshift weights
    t4, t8 = (sum(dsnb_source(n).flux_cm2_s.values()) for n in ("HBD09-T4", "HBD09-T8"))
    assert t4 / t8 == pytest.approx(2.0, rel=1e-3)
    assert dsnb_source(flavours=("nu_e_bar",)).flux_cm2_s["nu_e_bar"] == pytest.approx(src.flux_cm2_s["nu_e_bar"])


def test_xenon_recoils_from_dsnb_and_atmospheric_are_non_negative():
    xe = isotope("Xe", 132)
    for src in (dsnb_source(), atmospheric_source()):
        t = np.geomspace(0.1, 200.0, 50)
        total = sum(differential_rate(t, xe, 1.0, src, 1.0).values())
        assert np.all(total >= 0) and total[0] > 0


def test_bad_names_are_one_line_input_errors():
    with pytest.raises(InputError, match="unknown DSNB model 'x'; known: HBD09-T4") as err:
        dsnb_source("x")
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="unknown atmospheric model 'Honda'; known: FLUKA-2005"):
        atmospheric_source("Honda")
    with pytest.raises(InputError, match="unknown neutrino flavour 'nu_s'"):
        dsnb_source(flavours=("nu_s",))
    with pytest.raises(InputError, match="flux_scale"):
        dsnb_source(flux_scale=0.0)


# --- experiment files: [source] type = "solar" / "atmospheric" / "dsnb" -----------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('[source]\ntype = "solar"\ncomponents = ["8B"]\nflavour_content = "nu_e"', lambda: solar_source("8B", flavour_content="nu_e")),
        ('[source]\ntype = "solar"\nmodel = "B16-AGSS09met"\noscillation = "NuFIT-6.0"',
         lambda: solar_source(("8B", "hep"), "B16-AGSS09met", oscillation="NuFIT-6.0")),
        ('[source]\ntype = "atmospheric"', atmospheric_source),
        ('[source]\ntype = "dsnb"\nmodel = "HBD09-T6"\nflux_scale = 2.0', lambda: dsnb_source("HBD09-T6", flux_scale=2.0)),
    ],
)
def test_experiment_files_build_the_astrophysical_sources(tmp_path, table, expected):
    exp = load_experiment(ge_experiment_with_source(tmp_path, table))
    want = expected()
    assert exp.source.flux_cm2_s == pytest.approx(want.flux_cm2_s, rel=1e-12)
    assert exp.source.baseline_cm is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('[source]\ntype = "solar"\nmodel = "B23"', "unknown solar model 'B23'; known: B16-GS98, B16-AGSS09met"),
        ('[source]\ntype = "solar"\ncomponents = ["7Be"]', "unknown solar component '7Be'; known: pp, pep"),
        ('[source]\ntype = "solar"\noscillation = "NuFIT-1"', "unknown oscillation fit 'NuFIT-1'"),
        ('[source]\ntype = "dsnb"\nmodel = "x"', "unknown DSNB model 'x'"),
        ('[source]\ntype = "atmospheric"\nflux_scale = -1', "source.flux_scale"),
    ],
)
def test_experiment_file_errors_are_one_line(tmp_path, table, message):
    assert_refused_in_one_line(tmp_path, table, message)
