import math

import pytest

from cevns import units as u
from cevns.physics.nuclei import UnknownNucleusError, isotope, parse_isotope_name, resolve_target


@pytest.mark.parametrize("name", ["133Cs", "Cs133", "Cs-133", "133-Cs"])
def test_isotope_names_resolve(name):
    iso = parse_isotope_name(name)
    assert (iso.Z, iso.A, iso.N, iso.name) == (55, 133, 78, "133Cs")


def test_cs133_nuclear_mass_is_atomic_minus_electrons():
    # AME2020: 132.905451959 u; nuclear mass = atomic − 55 m_e + B_e (≈ 0.24 MeV for Z = 55)
    cs = isotope("Cs", 133)
    atomic = 132.905451959 * u.AMU
    assert cs.mass == pytest.approx(atomic - 55 * u.M_ELECTRON, rel=3e-6)
    assert cs.mass > atomic - 55 * u.M_ELECTRON  # electron binding adds back


def test_spins_and_radii_from_shipped_tables():
    assert isotope("Cs", 133).spin == 3.5 and isotope("Cs", 133).parity == 1
    assert isotope("Ge", 73).spin == 4.5
    assert isotope("Ar", 40).spin == 0.0
    # Angeli & Marinova 2013
    assert isotope("Cs", 133).charge_radius_fm == pytest.approx(4.8041)
    assert isotope("I", 127).charge_radius_fm == pytest.approx(4.7500)
    assert isotope("Ar", 40).charge_radius_fm == pytest.approx(3.4274)
    # point-proton radius is smaller than the charge radius by ~ r_p²
    cs = isotope("Cs", 133)
    assert 4.70 < cs.point_proton_radius_fm < cs.charge_radius_fm


def test_natural_element_fractions_sum_to_one():
    ge = resolve_target("Ge")
    assert {n.isotope.name for n in ge.nuclei} == {"70Ge", "72Ge", "73Ge", "74Ge", "76Ge"}
    assert sum(n.per_formula_unit for n in ge.nuclei) == pytest.approx(1.0)
    # CIAAW 2021 abundance of 74Ge
    assert dict((n.isotope.name, n.per_formula_unit) for n in ge.nuclei)["74Ge"] == pytest.approx(0.3652, abs=2e-4)


@pytest.mark.parametrize(
    "formula, counts",
    [("CsI", {"Cs": 1, "I": 1}), ("NaI", {"Na": 1, "I": 1}), ("CaWO4", {"Ca": 1, "W": 1, "O": 4}),
     ("Al2O3", {"Al": 2, "O": 3}), ("C3F8", {"C": 3, "F": 8})],
)
def test_compound_stoichiometry(formula, counts):
    target = resolve_target(formula)
    per_element: dict[str, float] = {}
    for n in target.nuclei:
        per_element[n.isotope.symbol] = per_element.get(n.isotope.symbol, 0) + n.per_formula_unit
    assert per_element == pytest.approx(counts)


def test_nuclei_per_kg_of_csi():
    target = resolve_target("CsI")
    per_kg = target.nuclei_per_kg()
    molar = 132.905451959 + 126.904473  # g/mol
    assert per_kg["133Cs"] == pytest.approx(u.AVOGADRO * 1000 / molar, rel=1e-6)
    assert per_kg["133Cs"] == pytest.approx(per_kg["127I"])


def test_enrichment():
    target = resolve_target("Ge", {"76Ge": 0.86, "74Ge": 0.14})
    fractions = {n.isotope.name: n.per_formula_unit for n in target.nuclei}
    assert fractions == pytest.approx({"76Ge": 0.86, "74Ge": 0.14})
    with pytest.raises(ValueError, match="sum to"):
        resolve_target("Ge", {"76Ge": 0.5, "74Ge": 0.2})
    with pytest.raises(ValueError, match="not in"):
        resolve_target("CsI", {"76Ge": 1.0})


@pytest.mark.parametrize("bad", ["Xx", "Foo", "133Xx", "Cs999", "", "C$I"])
def test_unknown_names_raise(bad):
    with pytest.raises(UnknownNucleusError):
        resolve_target(bad)


def test_fallback_radius_for_isotope_without_measurement():
    # 50V has no Angeli–Marinova entry: uniform sphere 1.2 A^{1/3} fm
    v50 = isotope("V", 50)
    assert v50.charge_radius_fm is None
    assert v50.rms_charge_radius_fm == pytest.approx(math.sqrt(0.6) * 1.2 * 50 ** (1 / 3))


def test_heavy_water_counts_deuterium_as_the_nuclide():
    """periodictable reads D as the isotope ²H, not an element: D2O is two ²H and natural O
    per molecule (it used to fail with a TypeError), HDO one of each hydrogen kind."""
    from cevns.physics.nuclei import resolve_target

    heavy = {(n.isotope.name, round(n.per_formula_unit, 12)) for n in resolve_target("D2O").nuclei}
    assert ("2H", 2.0) in heavy
    assert sum(n.per_formula_unit for n in resolve_target("D2O").nuclei if n.isotope.symbol == "O") == pytest.approx(1.0, abs=1e-12)
    hdo = resolve_target("HDO").nuclei
    assert sum(n.per_formula_unit for n in hdo if n.isotope.symbol == "H") == pytest.approx(2.0, abs=1e-12)
    deuterium = [n for n in hdo if n.isotope.name == "2H"]
    assert sum(n.per_formula_unit for n in deuterium) == pytest.approx(1.0 + deuterium[0].isotope.abundance, abs=1e-12)
