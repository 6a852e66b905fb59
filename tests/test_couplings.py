"""Named electroweak coupling sets (tree, radiative, custom), their selection from TOML,
``--set`` and ``cevns xsec``, and the form-factor radius choices of ``cevns xsec``."""

from __future__ import annotations

import json
import math

import pytest

from cevns.errors import InputError
from cevns.physics import cross_sections as cs
from cevns.physics.cross_sections import (
    PDG_NU_N_INPUTS,
    SIN2_THETA_W_LOW_ENERGY,
    CouplingSet,
    NuclearStructure,
    coupling_set,
    coupling_set_names,
    couplings_by_name,
    couplings_with_sin2,
    custom_couplings,
    total_cross_section,
    tree_level_couplings,
)
from cevns.physics.form_factors import FERMI_DIFFUSENESS_FM, HELM_SURFACE_THICKNESS_FM, lewin_smith_rms_radius_fm
from cevns.physics.nuclei import resolve_target
from tests.cli_run import one_error_line as _one_error_line, run_cli as _run


# --- the sets' numbers against their sources ---------------------------------------------------

def test_registered_sets():
    assert coupling_set_names()[:3] == ("tree", "radiative", "custom")


def test_tree_set_at_low_energy_sin2():
    # Papoulias & Kosmas, arXiv:1711.09773, Eq. 1: g_V^p = 1/2 - 2 sin2, g_V^n = -1/2
    c = couplings_by_name("tree")
    assert c.scheme == "tree"
    for lep in ("e", "mu", "tau"):
        assert c.proton[lep] == pytest.approx(0.02286, abs=5e-7)
    assert c.neutron == -0.5


def test_radiative_set_against_docstring_values():
    # PDG / Erler-Su with the SM charge radii: g_V^p(nu_mu) ~ 0.0303, g_V^p(nu_e) ~ 0.0387, g_V^n ~ -0.5120
    c = couplings_by_name("radiative")
    assert c.proton["mu"] == pytest.approx(0.0303, abs=5e-5)
    assert c.proton["e"] == pytest.approx(0.0387, abs=5e-5)
    assert c.neutron == pytest.approx(-0.5120, abs=5e-5)


@pytest.mark.parametrize(("name", "slope"), [("tree", -2.0), ("radiative", -2.0 * PDG_NU_N_INPUTS["rho"])])
def test_sin2_response_is_the_documented_shift(name, slope):
    ref = couplings_by_name(name)
    ds2 = 0.004
    moved = couplings_with_sin2(ref, SIN2_THETA_W_LOW_ENERGY + ds2)
    assert moved.scheme == name
    assert coupling_set(name).sin2_slope == pytest.approx(slope)
    for lep in ("e", "mu", "tau"):
        assert (moved.proton[lep] - ref.proton[lep]) / ds2 == pytest.approx(slope, rel=1e-9)
    assert moved.neutron == pytest.approx(ref.neutron, abs=1e-15)


def test_custom_set_reproduces_tree_when_given_its_values():
    tree = tree_level_couplings()
    gp = tree.proton["mu"]
    c = couplings_by_name("custom", None, {"gv_p_e": gp, "gv_p_mu": gp, "gv_n": -0.5})
    assert c.scheme == "custom" and dict(c.proton) == dict(tree.proton) and c.neutron == -0.5
    cs133 = resolve_target("133Cs").isotopes[0]
    assert total_cross_section(30.0, cs133, "nu_e", c) == pytest.approx(total_cross_section(30.0, cs133, "nu_e", tree), rel=1e-14)
    assert custom_couplings({"gv_p_e": 0.04, "gv_p_mu": 0.03, "gv_n": -0.51}).proton["tau"] == 0.03


def test_custom_set_errors():
    with pytest.raises(InputError, match="needs gv_n"):
        couplings_by_name("custom", None, {"gv_p_e": 0.03, "gv_p_mu": 0.03})
    with pytest.raises(InputError, match="sin2_theta_w does not apply"):
        couplings_by_name("custom", 0.23, {"gv_p_e": 0.03, "gv_p_mu": 0.03, "gv_n": -0.5})
    with pytest.raises(InputError, match="takes no values"):
        couplings_by_name("tree", SIN2_THETA_W_LOW_ENERGY, {"gv_n": -0.5})
    c = couplings_by_name("custom", None, {"gv_p_e": 0.03, "gv_p_mu": 0.03, "gv_n": -0.5})
    with pytest.raises(InputError, match="cannot be applied"):
        couplings_with_sin2(c, 0.24)


def test_unknown_set_lists_known_names():
    with pytest.raises(InputError) as err:
        couplings_by_name("nope")
    msg = str(err.value)
    assert "\n" not in msg and all(n in msg for n in ("tree", "radiative", "custom"))


def test_a_new_set_is_one_function_and_one_registration(monkeypatch):
    monkeypatch.setattr(cs, "_COUPLING_SETS", dict(cs._COUPLING_SETS))
    half = cs.NucleonCouplings({"e": 0.0, "mu": 0.0, "tau": 0.0}, -0.5, "neutrons only", "neutron-only")
    cs.register_coupling_set(CouplingSet("neutron-only", lambda s2, values: half, "test set", None))
    assert couplings_by_name("neutron-only") is half
    with pytest.raises(InputError, match="already registered"):
        cs.register_coupling_set(CouplingSet("tree", lambda s2, values: half, "dup", None))


def test_flux_averaged_csi_ratio_between_sets():
    """SM CsI pion-DAR flux-averaged cross section, radiative over tree (reported, not a
    published number): the radiative set raises it by a few per cent."""
    from cevns.physics.interactions import PhysicsModel
    from cevns.rates.prediction import target_flux_averaged_cross_section
    from cevns.sources.pion_dar import pion_dar_source

    target = resolve_target("CsI")
    source = pion_dar_source(1.0, 1.0, 1.0)
    values = {name: target_flux_averaged_cross_section(target, source, model=PhysicsModel(couplings_by_name(name), NuclearStructure()))
              for name in ("tree", "radiative")}
    ratio = values["radiative"] / values["tree"]
    print(f"CsI flux-averaged sigma: tree {values['tree']:.5e} cm2, radiative {values['radiative']:.5e} cm2, ratio {ratio:.4f}")
    assert 1.0 < ratio < 1.06


# --- selection and reporting ---------------------------------------------------------------------

def test_set_selects_and_events_report_the_set(capsys):
    rc, out, _ = _run(capsys, "events", "coherent-csi-2017", "--set", "couplings.scheme=radiative", "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["couplings"] == "radiative"
    rc, out_tree, _ = _run(capsys, "events", "coherent-csi-2017", "--json")
    assert json.loads(out_tree)["couplings"] == "tree"
    assert data["total"] > json.loads(out_tree)["total"]
    rc, text, _ = _run(capsys, "events", "coherent-csi-2017", "--set", "couplings.scheme=radiative")
    assert "couplings: radiative" in text
    rc, text, _ = _run(capsys, "spectrum", "coherent-csi-2017", "--points", "4")
    assert text.splitlines()[0].startswith("# couplings: tree")


def test_custom_from_toml_tables_equals_tree(capsys):
    gp = tree_level_couplings().proton["mu"]
    rc, out, err = _run(capsys, "events", "coherent-csi-2017", "--json", "--set", "couplings.scheme=custom",
                        "--set", f"couplings.gv_p={{e={gp!r}, mu={gp!r}}}", "--set", "couplings.gv_n=-0.5")
    assert rc == 0, err
    custom = json.loads(out)
    rc, out, _ = _run(capsys, "events", "coherent-csi-2017", "--json")
    assert custom["couplings"] == "custom"
    assert custom["total"] == pytest.approx(json.loads(out)["total"], rel=1e-12)


@pytest.mark.parametrize(("settings", "needle"), [
    (["couplings.scheme=nope"], "known sets: tree, radiative, custom"),
    (["couplings.scheme=custom"], "needs gv_p"),
    (["couplings.gv_n=-0.5"], "only read with scheme = 'custom'"),
])
def test_toml_errors_are_one_line(capsys, settings, needle):
    args = ["events", "coherent-csi-2017"]
    for s in settings:
        args += ["--set", s]
    rc, _, err = _run(capsys, *args)
    assert rc != 0
    assert needle in _one_error_line(err)


def test_fitting_sin2_with_custom_is_one_line_error(capsys):
    rc, _, err = _run(capsys, "fit", "coherent-csi-2017", "--free", "sin2_theta_w", "--set", "couplings.scheme=custom",
                      "--set", "couplings.gv_p={e=0.03, mu=0.03}", "--set", "couplings.gv_n=-0.5")
    assert rc != 0
    assert "cannot be applied to the coupling set 'custom'" in _one_error_line(err)


def test_xsec_couplings_option(capsys):
    rc, out, _ = _run(capsys, "xsec", "--nucleus", "133Cs", "--enu", "30", "--couplings", "radiative", "--json")
    assert rc == 0
    rad = json.loads(out)
    assert rad["couplings"] == "radiative" and "Erler-Su" in rad["couplings_detail"]
    gp = tree_level_couplings().proton["mu"]
    rc, out, _ = _run(capsys, "xsec", "--nucleus", "133Cs", "--enu", "30", "--couplings", "custom", "--gv-p-e", repr(gp),
                      "--gv-p-mu", repr(gp), "--gv-n", "-0.5", "--json")
    custom = json.loads(out)
    rc, out, _ = _run(capsys, "xsec", "--nucleus", "133Cs", "--enu", "30", "--json")
    tree = json.loads(out)
    assert custom["couplings"] == "custom" and tree["couplings"] == "tree"
    assert custom["sigma_total_cm2"] == pytest.approx(tree["sigma_total_cm2"], rel=1e-14)
    rc, text, _ = _run(capsys, "xsec", "--nucleus", "133Cs", "--enu", "30")
    assert "couplings: tree" in text


@pytest.mark.parametrize(("args", "needle"), [
    (["--couplings", "custom"], "needs --gv-p-e, --gv-p-mu, --gv-n"),
    (["--couplings", "nope"], "known sets: tree, radiative, custom"),
    (["--couplings", "custom", "--gv-p-e", "0.03", "--gv-p-mu", "0.03", "--gv-n", "-0.5", "--sin2-theta-w", "0.23"],
     "does not apply"),
    (["--gv-n", "-0.5"], "only apply to --couplings custom"),
    (["--proton-radius", "-1"], "--proton-radius"),
])
def test_xsec_bad_couplings_exit_2_one_line(capsys, args, needle):
    rc, _, err = _run(capsys, "xsec", "--nucleus", "133Cs", "--enu", "30", *args)
    assert rc == 2
    assert needle in _one_error_line(err)


# --- form-factor radius choices of cevns xsec ------------------------------------------------------

def _lewin_smith_closed_form(a_number: int) -> float:
    """Lewin & Smith, Astropart. Phys. 6, 87 (1996), Eq. 4.11: c = 1.23 A^(1/3) - 0.60 fm,
    a = 0.52 fm, s = 0.9 fm, R0^2 = c^2 + 7/3 pi^2 a^2 - 5 s^2; Helm rms radius
    sqrt(3/5 R0^2 + 3 s^2)."""
    c = 1.23 * a_number ** (1 / 3) - 0.60
    r0_sq = c**2 + 7 / 3 * math.pi**2 * 0.52**2 - 5 * 0.9**2
    return math.sqrt(0.6 * r0_sq + 3 * 0.9**2)


def test_lewin_smith_constants_and_radii():
    assert FERMI_DIFFUSENESS_FM == 0.52 and HELM_SURFACE_THICKNESS_FM == 0.9
    assert lewin_smith_rms_radius_fm(133) == pytest.approx(_lewin_smith_closed_form(133), rel=1e-12)
    assert lewin_smith_rms_radius_fm(133) == pytest.approx(4.8045, abs=5e-5)
    assert lewin_smith_rms_radius_fm(127) == pytest.approx(4.7366, abs=5e-5)  # the value the code gives for 127I


def test_xsec_radius_options(capsys):
    rc, out, _ = _run(capsys, "xsec", "--nucleus", "CsI", "--enu", "30", "--radius", "lewin-smith", "--json")
    ls = json.loads(out)
    assert ls["radius"] == "lewin-smith"
    assert ls["radii_fm"]["133Cs"]["proton"] == pytest.approx(_lewin_smith_closed_form(133), rel=1e-12)
    assert ls["radii_fm"]["127I"]["neutron"] == pytest.approx(_lewin_smith_closed_form(127), rel=1e-12)
    rc, out, _ = _run(capsys, "xsec", "--nucleus", "CsI", "--enu", "30", "--json")
    charge = json.loads(out)
    assert ls["sigma_total_cm2"] < charge["sigma_total_cm2"]  # larger radius, more suppression at 30 MeV
    rc, out, _ = _run(capsys, "xsec", "--nucleus", "133Cs", "--enu", "30", "--proton-radius", "4.8", "--neutron-radius", "5.0", "--json")
    explicit = json.loads(out)
    assert explicit["radii_fm"]["133Cs"] == {"proton": 4.8, "neutron": 5.0}
    rc, out, _ = _run(capsys, "xsec", "--nucleus", "133Cs", "--enu", "30", "--param", "rp=4.8", "--param", "rn=5.0", "--json")
    assert json.loads(out)["sigma_total_cm2"] == pytest.approx(explicit["sigma_total_cm2"], rel=1e-12)


def test_low_q_set_values_and_sin2_slope():
    """The low-q set carries the table values of Cadeddu et al. (arXiv:2005.01645, Table I)
    at its reference angle, and moves g_V^p by −2ρ Δsin²θ_W with g_V^n fixed."""
    from cevns.physics.cross_sections import PDG_NU_N_INPUTS, couplings_by_name

    c = couplings_by_name("low-q")
    assert (c.proton["e"], c.proton["mu"], c.proton["tau"], c.neutron) == (0.0401, 0.0318, 0.0275, -0.5094)
    moved = couplings_by_name("low-q", 0.24857)
    assert moved.neutron == c.neutron
    for lep in ("e", "mu", "tau"):
        assert moved.proton[lep] - c.proton[lep] == pytest.approx(-2 * PDG_NU_N_INPUTS["rho"] * 0.01, rel=1e-12)
