"""Solar-neutrino sources (cevns.sources.solar) against the B16 table, closed-form allowed
β⁺ shapes, the peer ⁸B table and flux conservation under MSW conversion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cevns.errors import InputError
from cevns.physics.msw import GLOBAL_FITS
from cevns.physics.nuclei import isotope
from cevns.rates.prediction import differential_rate
from cevns.sources.solar import (
    BE7_BRANCHING,
    LINE_ENERGIES_MEV,
    SOLAR_COMPONENTS,
    SOLAR_MODELS,
    component_spectrum,
    production_profile,
    solar_source,
)
from cevns.sources.spectra import LineSpectrum
from cevns.units import ALPHA_EM, M_ELECTRON, keV

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference-data"
PYCEVNS = SHARED / "Ikaroshu__pyCEvNS" / "pyCEvNS" / "data"

#: Vinyoles et al., ApJ 835, 202 (2017), arXiv:1611.09867, Table 6, typed again here:
#: (flux, relative 1 sigma) for GS98 and AGSS09met.
B16_TABLE6 = {
    "B16-GS98": {"pp": (5.98e10, 0.006), "pep": (1.44e8, 0.01), "hep": (7.98e3, 0.30), "7Be": (4.93e9, 0.06),
                 "8B": (5.46e6, 0.12), "13N": (2.78e8, 0.15), "15O": (2.05e8, 0.17), "17F": (5.28e6, 0.20)},
    "B16-AGSS09met": {"pp": (6.03e10, 0.005), "pep": (1.46e8, 0.009), "hep": (8.25e3, 0.30), "7Be": (4.50e9, 0.06),
                      "8B": (4.50e6, 0.12), "13N": (2.04e8, 0.14), "15O": (1.44e8, 0.16), "17F": (3.26e6, 0.18)},
}


@pytest.mark.parametrize("model", sorted(B16_TABLE6))
def test_model_fluxes_are_the_b16_table(model):
    ssm = SOLAR_MODELS[model]
    flux, unc = ssm.flux_cm2_s, ssm.relative_uncertainty
    for row, (phi, sigma) in B16_TABLE6[model].items():
        if row == "7Be":
            assert flux["7Be_861"] + flux["7Be_384"] == pytest.approx(phi, rel=1e-12)
            assert flux["7Be_384"] / phi == pytest.approx(0.1044, rel=1e-12)
            assert unc["7Be_861"] == unc["7Be_384"] == sigma
        else:
            assert flux[row] == pytest.approx(phi, rel=1e-12)
            assert unc[row] == sigma
    assert sum(BE7_BRANCHING.values()) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("model", sorted(SOLAR_MODELS))
@pytest.mark.parametrize("content", ["nu_e", "msw"])
def test_total_flux_is_conserved(model, content):
    src = solar_source(SOLAR_COMPONENTS, model, flavour_content=content)
    total = sum(SOLAR_MODELS[model].flux_cm2_s.values())
    assert sum(src.flux_cm2_s.values()) == pytest.approx(total, rel=1e-9)
    assert set(src.flavors) == ({"nu_e"} if content == "nu_e" else {"nu_e", "nu_mu", "nu_tau"})
    for s in src.spectra.values():
        assert s.tail_moments(0.0)[0] == pytest.approx(1.0, rel=1e-9)  # normalised, lines included


def test_the_8b_flux_alone_and_its_flavours():
    src = solar_source(("8B",), flavour_content="nu_e")
    assert src.flux_cm2_s == {"nu_e": pytest.approx(5.46e6, rel=1e-12)}
    msw = solar_source("8B")
    fe = msw.flux_cm2_s["nu_e"] / 5.46e6
    # the flux-weighted 8B survival probability: between the high-energy limit and the vacuum average
    p = GLOBAL_FITS["NuFIT-5.2"]
    assert (1 - p.sin2_theta13) ** 2 * p.sin2_theta12 < fe < 0.4
    scaled = solar_source("8B", flux_scale=1.5)
    assert scaled.flux_cm2_s["nu_mu"] == pytest.approx(1.5 * msw.flux_cm2_s["nu_mu"], rel=1e-12)


@pytest.mark.parametrize("component", [c for c in SOLAR_COMPONENTS if c not in LINE_ENERGIES_MEV])
def test_continuous_spectra_are_normalised(component):
    s = component_spectrum(component)
    e = np.asarray(s.energies)
    assert np.trapezoid(s.pdf(e), e) == pytest.approx(1.0, rel=1e-12)
    assert float(s.tail_moments(0.0)[0]) == pytest.approx(1.0, rel=1e-12)


def test_lines():
    for name, energy in (("pep", 1.442), ("7Be_861", 0.8613), ("7Be_384", 0.3843)):
        s = component_spectrum(name)
        assert isinstance(s, LineSpectrum) and s.energy == energy
    src = solar_source(("pep", "7Be_861", "7Be_384"), flavour_content="nu_e")
    assert src.spectra["nu_e"].lines == (0.3843, 0.8613, 1.442)
    w = dict(zip((0.3843, 0.8613, 1.442), np.diff(-src.spectra["nu_e"].tail_moments(np.array([0.0, 0.5, 1.0, 2.0]))[0])))
    total = 4.93e9 + 1.44e8
    assert w[0.3843] == pytest.approx(0.1044 * 4.93e9 / total, rel=1e-12)
    assert w[1.442] == pytest.approx(1.44e8 / total, rel=1e-12)


def _allowed_positron_shape(e_nu, q_mev, z_daughter):
    """Allowed β⁺ spectrum in neutrino energy, E_ν² W p F(−Z, W), with the non-relativistic
    Fermi function F = 2πη/(exp(2πη) − 1), η = Zα W/p (e.g. Bahcall, "Neutrino Astrophysics", Ch. 6)."""
    w = q_mev + M_ELECTRON - e_nu
    p = np.sqrt(np.clip(w * w - M_ELECTRON**2, 0.0, None))
    eta = z_daughter * ALPHA_EM * w / np.where(p > 0, p, 1.0)
    with np.errstate(over="ignore"):
        fermi = np.where(p > 0, 2 * np.pi * eta / np.expm1(np.minimum(2 * np.pi * eta, 700.0)), 0.0)
    return e_nu**2 * w * p * fermi


# Endpoints (MeV): pp 0.420, 13N 1.199, 15O 1.732, 17F 1.740 (Bahcall, "Neutrino Astrophysics",
# CUP 1989, Table 6.1 maximum neutrino energies; as recalled, unverified), daughter charges d, 13C, 15N, 17O.
# Tolerances: mean energy and max |pdf difference| / peak; pp's solar table is thermally broadened
# (endpoint 0.4234 MeV), 13N's table stops one 6-keV step short of the endpoint.
@pytest.mark.parametrize(
    ("component", "q", "z", "mean_tol", "shape_tol"),
    [("pp", 0.420, 1, 1e-2, 0.2), ("13N", 1.1985, 6, 1e-3, 0.06), ("15O", 1.732, 7, 1e-3, 0.01), ("17F", 1.7395, 8, 1e-3, 0.01)],
)
def test_shapes_match_allowed_beta_decay(component, q, z, mean_tol, shape_tol):
    s = component_spectrum(component)
    e = np.linspace(0.0, q, 20001)
    f = _allowed_positron_shape(e, q, z)
    f /= np.trapezoid(f, e)
    et = np.asarray(s.energies)
    mean_table = np.trapezoid(np.asarray(s.values) * et, et)
    assert mean_table == pytest.approx(np.trapezoid(f * e, e), rel=mean_tol)
    assert np.max(np.abs(s.pdf(e) - f)) / f.max() < shape_tol
    assert s.support[1] == pytest.approx(q, abs=6e-3)


def test_8b_winter_shape_mean_and_its_one_sigma_shifts():
    s = component_spectrum("8B")
    e = np.asarray(s.energies)
    mean = np.trapezoid(s.pdf(e) * e, e)
    assert mean == pytest.approx(6.770, abs=2e-3)  # Winter et al. table (mean computed from it)
    lo, hi = component_spectrum("8B", "winter2006-1sigma"), component_spectrum("8B", "winter2006+1sigma")
    for shifted in (lo, hi):
        assert np.max(np.abs(shifted.pdf(e) - s.pdf(e))) < 0.002  # the 1 sigma band is < 1.5 % of the peak
    with pytest.raises(InputError, match="unknown 8B spectrum shape"):
        component_spectrum("8B", "bahcall")  # type: ignore[arg-type]


@pytest.mark.skipif(not (PYCEVNS / "b8.csv").exists(), reason="peer table ../shared/reference-data/Ikaroshu__pyCEvNS not available")
def test_8b_against_the_peer_bahcall_table():
    """pyCEvNS' b8.csv is the Bahcall et al. (PRC 54, 411 (1996)) spectrum (mean 6.735 MeV):
    Winter's measured shape agrees with it to 1.5 % of the peak, mean +0.035 MeV."""
    peer = np.loadtxt(PYCEVNS / "b8.csv", delimiter=",")
    pdf = peer[:, 1] / np.trapezoid(peer[:, 1], peer[:, 0])
    s = component_spectrum("8B")
    assert np.max(np.abs(s.pdf(peer[:, 0]) - pdf)) < 0.002
    assert np.trapezoid(pdf * peer[:, 0], peer[:, 0]) == pytest.approx(6.735, abs=2e-3)


@pytest.mark.skipif(not (PYCEVNS / "hep.csv").exists(), reason="peer table ../shared/reference-data/Ikaroshu__pyCEvNS not available")
def test_hep_mean_energy():
    s = component_spectrum("hep")
    e = np.asarray(s.energies)
    assert np.trapezoid(s.pdf(e) * e, e) == pytest.approx(9.628, rel=2e-3)  # Bahcall's <E_hep> = 9.628 MeV (as recalled)


def test_production_profiles_are_normalised_and_central():
    r, ne, w = production_profile("8B")
    assert np.trapezoid(w, r) == pytest.approx(1.0, rel=1e-12)
    assert ne[0] == pytest.approx(10**2.004, rel=1e-3)
    mean_r = {c: np.trapezoid(production_profile(c)[0] * production_profile(c)[2], r) for c in ("8B", "7Be_861", "pp")}
    assert mean_r["8B"] < mean_r["7Be_861"] < mean_r["pp"]  # hotter reactions are more central
    assert 0.03 < mean_r["8B"] < 0.07 and 0.08 < mean_r["pp"] < 0.15


def test_xenon_recoil_spectrum_from_8b_is_non_negative_and_ends_at_tmax():
    xe = isotope("Xe", 132)
    src = solar_source("8B")
    e_max = src.max_energy
    m = xe.mass
    t_max_kev = 2 * e_max**2 / (m + 2 * e_max) / keV
    t = np.linspace(0.01, 1.2 * t_max_kev, 400)
    rate = differential_rate(t, xe, 1.0, src, 1.0)
    total = sum(rate.values())
    assert np.all(total >= 0)
    assert np.all(total[t > t_max_kev * 1.0001] == 0)
    assert np.all(total[t < 0.9 * t_max_kev] > 0)
    assert np.all(np.diff(total[t < t_max_kev]) <= 1e-30)  # falls monotonically


def test_unknown_names_are_one_line_input_errors():
    with pytest.raises(InputError, match=r"unknown solar model 'B23'; known: B16-GS98, B16-AGSS09met") as err:
        solar_source(model="B23")
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match=r"unknown solar component '7Be'; known: pp, pep, 7Be_384, 7Be_861"):
        solar_source(("7Be",))
    with pytest.raises(InputError, match="unknown oscillation fit"):
        solar_source(oscillation="NuFIT-1")
    with pytest.raises(InputError, match="flavour content"):
        solar_source(flavour_content="nu_mu")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="flux_scale"):
        solar_source(flux_scale=-1.0)


def test_winter_table_transcription_is_unit_normalised():
    """Winter et al. tabulate λ(E) normalised to unit area (here × 1000 per MeV); a +1σ
    shape shift keeps the area (its column integrates to ~0)."""
    from importlib import resources

    text = (resources.files("cevns") / "data" / "solar" / "b8_winter2006.csv").read_text()
    rows = [ln for ln in text.splitlines() if ln and not ln.startswith("#")][1:]
    e, lam, delta = np.array([[float(x) for x in ln.split(",")] for ln in rows]).T
    assert np.trapezoid(lam, e) == pytest.approx(1000.0, rel=1e-4)
    assert abs(np.trapezoid(delta, e)) < 0.05
    assert np.all(np.diff(e) == pytest.approx(0.1))
