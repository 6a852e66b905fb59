"""Geoneutrinos and reactor antineutrinos at named laboratories (cevns.sources.geoneutrinos)
and their place in the neutrino fog (cevns.stats.fog, cevns fog --site, [source] type = "geoneutrino")."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from cevns.errors import InputError
from cevns.sources.geoneutrinos import (
    GEO_CHAINS, LABORATORIES, chain_spectrum, geoneutrino_source, laboratory, reactor_fraction_above,
    reactor_shape, site_fog_fluxes, site_reactor_source,
)
from cevns.sources.spectra import package_table
from cevns.stats.fog import FOG_FLUXES, SITE_COMPONENTS, fog_arrays, neutrino_fog

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_run import one_error_line, run_cli  # noqa: E402
from experiment_text import assert_refused_in_one_line, ge_experiment_with_source  # noqa: E402


# --- spectra --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("chain", "per_decay", "endpoint_mev"), [
    # β⁻ decays per decay of the parent: 6 in the ²³⁸U chain, 4 in the ²³²Th chain, the 89.3 % β⁻
    # branch of ⁴⁰K; end points: ²¹²Bi 2.25 MeV, ⁴⁰K 1.311 MeV (U: the table's last bin, 4.39 MeV)
    ("U238", 6.0, 4.3865), ("Th232", 4.0, 2.254), ("K40", 0.8928, 1.311),
])
def test_enomoto_tables_count_the_beta_decays_of_each_chain(chain, per_decay, endpoint_mev):
    energies, columns = package_table("geoneutrinos", "enomoto_spectra.csv")
    values = columns[chain]
    assert values.sum() * 1.0 == pytest.approx(per_decay, rel=0.01)  # 1 keV bins, per keV
    last = energies[np.flatnonzero(values > 0).max()]
    assert last == pytest.approx(endpoint_mev, abs=0.0012)
    spec = chain_spectrum(chain)
    assert np.trapezoid(spec.values, spec.energies) == pytest.approx(1.0, rel=1e-12)
    assert spec.support[1] == pytest.approx(last + 0.001)


def test_uranium_spectrum_above_the_bi214_end_point_is_tiny():
    """Above ²¹⁴Bi's end point (3.27 MeV) only the ²¹⁰Tl branch (0.02 % of ²¹⁴Bi decays) is left."""
    tail = chain_spectrum("U238").tail_moments(np.array([3.28]))[0, 0]
    assert 0 < tail < 1e-3


# --- site fluxes -------------------------------------------------------------------------------------

def test_lngs_fluxes_are_ohares_values():
    """cajohare/NeutrinoFog src/Params.py (geo from Huang et al. 2013): U 4.34e6 ± 20 %, Th 4.23e6 ± 25.7 %,
    K 20.54e6 ± 16.8 % cm⁻² s⁻¹."""
    fluxes = site_fog_fluxes("LNGS")
    assert fluxes["geo_U"] == (4.34e6, 0.20)
    assert fluxes["geo_Th"] == (4.23e6, 0.257)
    assert fluxes["geo_K"] == (20.54e6, 0.168)
    src = geoneutrino_source("LNGS")
    assert src.flux_cm2_s["nu_e_bar"] == pytest.approx(4.34e6 + 4.23e6 + 20.54e6, rel=1e-14)


@pytest.mark.parametrize("site", [k for k, v in LABORATORIES.items() if v.reactor is not None])
def test_reactor_flux_above_ibd_threshold_is_the_cited_value(site):
    """The site's reactor source, integrated independently (trapezoid of the pdf on a fine grid) above
    1.8 MeV, gives the flux integrated from O'Hare's site spectrum."""
    src = site_reactor_source(site)
    e = np.linspace(1.8, 10.0, 200001)
    above = src.flux_cm2_s["nu_e_bar"] * np.trapezoid(src.spectra["nu_e_bar"].pdf(e), e)
    assert above == pytest.approx(LABORATORIES[site].reactor.flux_cm2_s, rel=1e-6)
    assert site_fog_fluxes(site)["reactor"][0] == pytest.approx(src.flux_cm2_s["nu_e_bar"], rel=1e-12)


def test_reactor_shape_and_ohare_total():
    """About a quarter of reactor ν̄ lie above 1.8 MeV (≈ 1.9 of ≈ 6.7 per fission, cevns.sources.reactor);
    the LNGS total agrees with the single reactor flux of O'Hare's code (3.06e6 ± 8 %) within its 8 %."""
    assert 0.2 < reactor_fraction_above() < 0.35
    assert np.trapezoid(reactor_shape().values, reactor_shape().energies) == pytest.approx(1.0, rel=1e-12)
    assert site_fog_fluxes("LNGS")["reactor"][0] == pytest.approx(3.06e6, rel=0.08)


def test_scaled_sites_keep_the_lngs_ratios():
    lngs = site_fog_fluxes("LNGS")
    for site in ("Kamioka", "SNOLAB", "CJPL"):
        s = site_fog_fluxes(site)
        ratios = [s[c][0] / lngs[c][0] for c in ("geo_U", "geo_Th", "geo_K")]
        assert max(ratios) == pytest.approx(min(ratios), rel=1e-12)
    assert site_fog_fluxes("CJPL")["geo_U"][0] == pytest.approx(4.34e6 * 58.5 / 40.3)


def test_combined_source_is_the_sum_of_its_parts():
    both = geoneutrino_source("Boulby", ("U238", "reactor"))
    u, r = geoneutrino_source("Boulby", ("U238",)), site_reactor_source("Boulby")
    e = np.linspace(0.01, 9.0, 2001)
    lhs = both.flux_cm2_s["nu_e_bar"] * both.spectra["nu_e_bar"].pdf(e)
    rhs = u.flux_cm2_s["nu_e_bar"] * u.spectra["nu_e_bar"].pdf(e) + r.flux_cm2_s["nu_e_bar"] * r.spectra["nu_e_bar"].pdf(e)
    # 1e-5: on the joint grid the U table's step up at its first bin centre (0.5 keV) becomes a ramp from 0 MeV
    # (a 2e-6 sliver of area that the renormalisation takes back)
    assert np.allclose(lhs, rhs, rtol=1e-5, atol=0)


def test_bad_input_is_one_line():
    for call, words in [
        (lambda: laboratory("Moon"), "unknown laboratory 'Moon'; known: LNGS, SURF"),
        (lambda: chain_spectrum("U235"), "unknown geoneutrino chain"),
        (lambda: geoneutrino_source("SURF"), "no geoneutrino flux is sourced for SURF"),
        (lambda: site_reactor_source("CJPL"), "no reactor flux is sourced for CJPL"),
        (lambda: geoneutrino_source("LNGS", ("Rb87",)), "unknown geoneutrino component"),
        (lambda: geoneutrino_source("LNGS", flux_scale=0.0), "flux_scale"),
        (lambda: fog_arrays("Xe", [10.0], components=("pp", "geo_U")), "need a site"),
        (lambda: fog_arrays("Xe", [10.0], site="Moon"), "unknown laboratory"),
    ]:
        with pytest.raises(InputError, match=re.escape(words)) as err:
            call()
        assert "\n" not in str(err.value)
    assert laboratory("lngs").name == "LNGS"


# --- the fog ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def xenon():
    masses = [1.0, 6.0, 30.0, 300.0]
    return masses, fog_arrays("Xe", masses), fog_arrays("Xe", masses, site="LNGS")


def test_site_components_are_off_by_default(xenon):
    _, plain, lngs = xenon
    assert plain.components == tuple(FOG_FLUXES)
    assert lngs.components == tuple(FOG_FLUXES) + SITE_COMPONENTS
    assert np.array_equal(lngs.background[: len(FOG_FLUXES)], plain.background)
    assert np.array_equal(lngs.uncertainties, np.concatenate([plain.uncertainties, [0.20, 0.257, 0.168, 0.08]]))


def test_site_components_end_at_their_largest_recoil(xenon):
    """T_max = 2E²/(M + 2E): geo (E ≤ 4.39 MeV) below 0.34 keV on ¹²⁴Xe, reactor (E ≤ 10 MeV) below 1.8 keV."""
    _, _, lngs = xenon
    lo = lngs.edges_kev[:-1]
    m124 = 123.906 * 931.494  # MeV
    for k, name in enumerate(lngs.components):
        if name in SITE_COMPONENTS:
            e_max = 10.0 if name == "reactor" else {"geo_U": 4.3875, "geo_Th": 2.2555, "geo_K": 1.3125}[name]
            t_max_kev = 2 * e_max**2 / (m124 + 2 * e_max) * 1e3
            assert np.all(lngs.background[k][lo > t_max_kev] == 0)
            assert lngs.background[k][0] > 0


def test_geo_counts_agree_with_the_source_path(xenon):
    """The fog's geo_U bins equal ∫ dR/dT of geoneutrino_source('LNGS', U238) over each bin (independent
    quadrature: trapezoid on a fine log grid)."""
    from cevns.physics.nuclei import resolve_target
    from cevns.rates.prediction import differential_rate
    from cevns.stats.fog import FOG_STRUCTURE
    from cevns.units import kg, tonne, year

    _, _, lngs = xenon
    k = lngs.components.index("geo_U")
    tgt = resolve_target("Xe")
    src = geoneutrino_source("LNGS", ("U238",))
    edges = lngs.edges_kev
    for i in (0, 5):
        t = np.geomspace(edges[i], edges[i + 1], 4001)
        rate = sum(sum(differential_rate(t, iso, n * tonne / kg, src, year, structure=FOG_STRUCTURE).values())
                   for iso, n in ((iso, tgt.nuclei_per_kg()[iso.name]) for iso in tgt.isotopes))
        assert np.trapezoid(rate, t) == pytest.approx(lngs.background[k, i], rel=1e-4)


def test_floor_moves_only_below_a_few_gev_on_xenon(xenon):
    """Geo and reactor recoils on Xe end below ~2 keV: they raise the 1 GeV floor (whose signal
    lies there) by > 1 % and leave the floor at ≥ 6 GeV unchanged to < 0.1 %."""
    _, plain, lngs = xenon
    exposures = np.geomspace(1e-5, 1e12, 120)
    f0, f1 = neutrino_fog(plain, exposures).floors[2.0], neutrino_fog(lngs, exposures).floors[2.0]
    assert f1[0] > 1.01 * f0[0]
    assert np.allclose(f1[1:], f0[1:], rtol=1e-3)


def test_light_target_floor_moves_at_higher_mass():
    """On helium geo/reactor recoils reach several keV (T_max(3.27 MeV) = 5.7 keV): the 10 GeV floor
    moves by > 1 % there (4.5 %), by < 0.1 % on xenon."""
    masses = [10.0]
    exposures = np.geomspace(1e-5, 1e12, 100)
    moved = {}
    for target in ("He", "Xe"):
        f0 = neutrino_fog(fog_arrays(target, masses), exposures).floors[2.0][0]
        f1 = neutrino_fog(fog_arrays(target, masses, site="LNGS"), exposures).floors[2.0][0]
        moved[target] = f1 / f0 - 1
    assert moved["He"] > 0.01 and abs(moved["Xe"]) < 1e-3


# --- command line and experiment files ----------------------------------------------------------

def test_cli_site_json(capsys):
    rc, out, err = run_cli(capsys, "fog", "Xe", "--masses", "1,30", "--exposures", "1e-3:1e10:40", "--site", "lngs",
                           "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["site"]["name"] == "LNGS" and data["site"]["not_sourced"] == []
    assert set(SITE_COMPONENTS) <= set(data["components"])
    assert data["site"]["components"]["geo_U"]["flux_cm2_s"] == 4.34e6
    lib = neutrino_fog(fog_arrays("Xe", [1.0, 30.0], site="LNGS"), np.geomspace(1e-3, 1e10, 40))
    assert np.allclose(data["floor_cm2"], lib.floors[2.0], rtol=1e-9)


def test_cli_site_records_what_is_not_sourced(capsys):
    rc, out, err = run_cli(capsys, "fog", "Xe", "--masses", "30", "--exposures", "1:10:3", "--site", "SURF", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["site"]["not_sourced"] == ["geo_U", "geo_Th", "geo_K"]
    assert "reactor" in data["components"] and "geo_U" not in data["components"]


def test_cli_unknown_site_is_one_line(capsys):
    rc, out, err = run_cli(capsys, "fog", "Xe", "--masses", "30", "--exposures", "1:10:3", "--site", "Moon")
    assert rc == 2
    assert "unknown laboratory 'Moon'" in one_error_line(err)


def test_experiment_file_builds_the_geoneutrino_source(tmp_path):
    from cevns.config import load_experiment

    exp = load_experiment(ge_experiment_with_source(tmp_path, '[source]\ntype = "geoneutrino"\nsite = "kamioka"\n'
                                                               'components = ["U238", "reactor"]'))
    want = geoneutrino_source("Kamioka", ("U238", "reactor"))
    assert exp.source.flux_cm2_s == pytest.approx(want.flux_cm2_s, rel=1e-12)
    assert exp.source.baseline_cm is None
    default = load_experiment(ge_experiment_with_source(tmp_path, '[source]\ntype = "geoneutrino"'))
    assert default.source.flux_cm2_s["nu_e_bar"] == pytest.approx(sum(site_fog_fluxes("LNGS")[c][0]
                                                                      for c in ("geo_U", "geo_Th", "geo_K")))
    assert GEO_CHAINS == ("U238", "Th232", "K40")


@pytest.mark.parametrize(("table", "message"), [
    ('[source]\ntype = "geoneutrino"\nsite = "Moon"', "unknown laboratory 'Moon'; known: LNGS"),
    ('[source]\ntype = "geoneutrino"\ncomponents = ["Rb87"]', "unknown geoneutrino component 'Rb87'"),
    ('[source]\ntype = "geoneutrino"\nsite = "SURF"', "no geoneutrino flux is sourced for SURF"),
])
def test_experiment_file_errors_are_one_line(tmp_path, table, message):
    assert_refused_in_one_line(tmp_path, table, message)
