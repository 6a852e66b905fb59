"""Experiment files at library level: shipped TOMLs, user TOMLs by path, tabulated
sources read from CSV, enrichment, and ``--set`` value parsing."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from cevns.config.experiments import ExperimentError, load_experiment, shipped_experiments
from cevns.config.overrides import parse_override

SHIPPED = Path(__file__).resolve().parents[1] / "src" / "cevns" / "data" / "experiments"
CSI_2017 = (SHIPPED / "coherent-csi-2017.toml").read_text()
GE_REACTOR = (SHIPPED / "reactor-ge-conus-like.toml").read_text()

M_MUON = 105.6583755  # MeV (CODATA 2018)


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} must occur once"
    return text.replace(old, new)


@pytest.fixture(scope="module")
def csi_total() -> float:
    return load_experiment("coherent-csi-2017").binned_counts().total


# --- shipped experiments ---------------------------------------------------------------
def test_shipped_experiment_names():
    assert sorted(shipped_experiments()) == [
        "coherent-csi-2017", "coherent-csi-2017-energy", "coherent-csi-2017-time", "coherent-csi-2021", "coherent-ge",
        "coherent-ge-2026", "coherent-ge-mini-2024", "coherent-lar-2020",
        "coherent-lar-2020-counting", "coherent-lar-750", "coherent-nai-185", "connie", "conus", "conus-2024", "conus-plus-2025",
        "dresden-ii", "dresden-ii-2022", "ess-csi",
        "ge-isotope-reactor", "ge-isotope-sns", "lz-8b-2025", "nucleus", "pandax-4t-8b-paired", "pandax-4t-8b-s2only",
        "reactor-ge-conus-like", "texono-2024",
    ]
    assert sorted(shipped_experiments()) == sorted(p.stem for p in SHIPPED.glob("*.toml"))


@pytest.mark.parametrize("name", sorted(p.stem for p in SHIPPED.glob("*.toml")))
def test_every_shipped_experiment_predicts_positive_counts(name):
    exp = load_experiment(name)
    assert exp.name == name
    counts = exp.binned_counts()
    assert math.isfinite(counts.total) and counts.total > 0
    assert np.all(counts.counts >= 0)
    assert counts.per_bin.sum() == pytest.approx(counts.total, rel=1e-12)
    assert sum(counts.by_isotope().values()) == pytest.approx(counts.total, rel=1e-12)


@pytest.mark.parametrize("name", sorted(p.stem for p in SHIPPED.glob("*.toml")))
def test_shipped_file_by_path_equals_by_name(name):
    by_name = load_experiment(name).binned_counts()
    by_path = load_experiment(str(SHIPPED / f"{name}.toml")).binned_counts()
    np.testing.assert_array_equal(by_path.counts, by_name.counts)


# --- user files ------------------------------------------------------------------------
def test_user_toml_by_path(tmp_path, csi_total):
    path = tmp_path / "my-csi.toml"
    text = _replace_once(CSI_2017, "mass_kg = 14.57", "mass_kg = 43.71")
    path.write_text(_replace_once(text, 'name = "coherent-csi-2017"', 'name = "my-csi"'))
    exp = load_experiment(str(path))
    assert exp.name == "my-csi" and exp.mass_kg == 43.71
    assert exp.binned_counts().total == pytest.approx(3 * csi_total, rel=1e-9)


def test_user_toml_path_object_and_overrides(tmp_path, csi_total):
    path = tmp_path / "copy.toml"
    path.write_text(CSI_2017)
    exp = load_experiment(path, {"detector.mass_kg": 29.14})
    assert exp.binned_counts().total == pytest.approx(2 * csi_total, rel=1e-9)


def test_unknown_field_in_user_toml_is_named(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text(_replace_once(CSI_2017, "mass_kg = 14.57", "mass_kg = 14.57\nmas_kg = 1.0"))
    with pytest.raises(ExperimentError, match=r"typo\.toml.*detector\.mas_kg"):
        load_experiment(str(path))


# --- tabulated sources -----------------------------------------------------------------
TABLE_TOML = """\
name = "table-test"
description = "CsI behind a tabulated source"

[target]
material = "CsI"

[detector]
mass_kg = 10.0

[detector.bins]
low = 2.0
high = 40.0
width = 2.0

[source]
type = "table"
file = "{file}"
flux_cm2_s = {flux}

[exposure]
live_days = 100.0
"""


def _write_triangle_csv(path: Path, scale: float = 1.0) -> None:
    energies = [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    values = [0.0, 0.4, 0.8, 0.6, 0.3, 0.0]  # a triangle peaked at 20 MeV
    lines = ["# a triangular nu_e spectrum (any normalisation)", "energy_MeV,nu_e"]
    lines += [f"{e},{scale * v}" for e, v in zip(energies, values)]
    path.write_text("\n".join(lines) + "\n")


def _write_table_toml(path: Path, flux: str, file: str = "spec.csv") -> Path:
    path.write_text(TABLE_TOML.format(file=file, flux=flux))
    return path


@pytest.fixture
def elsewhere(tmp_path, monkeypatch) -> Path:
    """Run from a directory other than the TOML's, so a relative ``file`` can only be found
    relative to the TOML."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    return cwd


def test_table_source_relative_file_and_linear_flux(tmp_path, elsewhere):
    exp_dir = tmp_path / "exp"
    exp_dir.mkdir()
    _write_triangle_csv(exp_dir / "spec.csv")
    one = load_experiment(str(_write_table_toml(exp_dir / "one.toml", "{ nu_e = 1.0e7 }")))
    three = load_experiment(str(_write_table_toml(exp_dir / "three.toml", "{ nu_e = 3.0e7 }")))
    c1, c3 = one.binned_counts(), three.binned_counts()
    assert c1.flavors == ("nu_e",)
    assert set(c1.by_isotope()) == {"133Cs", "127I"}
    assert c1.total > 0
    assert c3.total == pytest.approx(3 * c1.total, rel=1e-9)
    np.testing.assert_allclose(c3.counts, 3 * c1.counts, rtol=1e-9, atol=0)
    # the same through an override
    via_set = load_experiment(str(exp_dir / "one.toml"), {"source.flux_cm2_s.nu_e": 2.5e7})
    assert via_set.binned_counts().total == pytest.approx(2.5 * c1.total, rel=1e-9)


def test_table_source_normalisation_of_csv_does_not_matter(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    _write_triangle_csv(a / "spec.csv", scale=1.0)
    _write_triangle_csv(b / "spec.csv", scale=123.0)
    ta = load_experiment(str(_write_table_toml(a / "exp.toml", "{ nu_e = 1.0e7 }"))).binned_counts().total
    tb = load_experiment(str(_write_table_toml(b / "exp.toml", "{ nu_e = 1.0e7 }"))).binned_counts().total
    assert tb == pytest.approx(ta, rel=1e-9)


def test_table_source_reproduces_analytic_pion_dar(tmp_path):
    """A finely tabulated Michel ν̄_μ spectrum with the SNS flux at 19.3 m gives the same
    ν̄_μ counts as the shipped analytic pion-DAR source (independent normalisation)."""
    energies = np.linspace(0.0, M_MUON / 2, 2001)
    x = energies / M_MUON
    michel = 64.0 / M_MUON * x**2 * (0.75 - x)
    (tmp_path / "michel.csv").write_text(
        "energy_MeV,nu_mu_bar\n" + "\n".join(f"{float(e)!r},{max(float(v), 0.0)!r}" for e, v in zip(energies, michel)) + "\n"
    )
    live_s = 308.1 * 86400.0
    flux = 0.08 * 1.76e23 / live_s / (4 * math.pi * 1930.0**2)  # ν/cm²/s per flavour
    text = CSI_2017.split("[source]")[0] + (
        f'[source]\ntype = "table"\nfile = "michel.csv"\nflux_cm2_s = {{ nu_mu_bar = {flux!r} }}\n\n'
        "[exposure]\nlive_days = 308.1\n"
    )
    path = tmp_path / "csi-table.toml"
    path.write_text(text)
    table = load_experiment(str(path)).binned_counts()
    analytic = load_experiment("coherent-csi-2017").binned_counts()
    assert table.flavors == ("nu_mu_bar",)
    assert table.by_flavor()["nu_mu_bar"] == pytest.approx(analytic.by_flavor()["nu_mu_bar"], rel=1e-5)


@pytest.mark.parametrize(
    "csv_text, flux, message",
    [
        ("energy_MeV,nu_e\n0,0\n20,1\n50,0\n", "{ nu_e = 1.0e7, nu_mu = 1.0e7 }", "nu_mu"),  # missing column
        ("energy_MeV,nu_e\n0,0\n20,one\n50,0\n", "{ nu_e = 1.0e7 }", "non-numeric"),
        ("energy_MeV,nu_e\n0,0\n20,\n50,0\n", "{ nu_e = 1.0e7 }", "non-numeric"),  # empty cell
        ("E,nu_e\n0,0\n20,1\n50,0\n", "{ nu_e = 1.0e7 }", "energy_MeV"),  # wrong header
    ],
    ids=["missing-column", "non-numeric", "empty-cell", "bad-header"],
)
def test_bad_spectrum_csv_names_the_file(tmp_path, csv_text, flux, message):
    (tmp_path / "badspec.csv").write_text(csv_text)
    path = _write_table_toml(tmp_path / "exp.toml", flux, file="badspec.csv")
    with pytest.raises(ExperimentError) as info:
        load_experiment(str(path))
    text = str(info.value)
    assert "badspec.csv" in text and "exp.toml" in text
    assert message in text


def test_missing_spectrum_csv_names_the_file(tmp_path):
    path = _write_table_toml(tmp_path / "exp.toml", "{ nu_e = 1.0e7 }", file="nowhere.csv")
    with pytest.raises(ExperimentError, match=r"nowhere\.csv"):
        load_experiment(str(path))


def test_table_source_rejects_unknown_flavour(tmp_path):
    _write_triangle_csv(tmp_path / "spec.csv")
    path = _write_table_toml(tmp_path / "exp.toml", "{ nu_x = 1.0e7 }")
    with pytest.raises(ExperimentError, match=r"exp\.toml.*source\.flux_cm2_s"):
        load_experiment(str(path))


# --- enrichment ------------------------------------------------------------------------
def _ge_toml(tmp_path: Path, target_block: str, name: str = "ge.toml") -> Path:
    path = tmp_path / name
    path.write_text(_replace_once(GE_REACTOR, '[target]\nmaterial = "Ge"\n', target_block))
    return path


def test_enriched_germanium(tmp_path):
    path = _ge_toml(tmp_path, '[target]\nmaterial = "Ge"\nenrichment = { "76Ge" = 0.86, "74Ge" = 0.14 }\n')
    exp = load_experiment(str(path))
    by_isotope = exp.binned_counts().by_isotope()
    assert set(by_isotope) == {"76Ge", "74Ge"}
    assert all(v > 0 for v in by_isotope.values())
    natural = load_experiment("reactor-ge-conus-like").binned_counts().by_isotope()
    assert set(natural) == {"70Ge", "72Ge", "73Ge", "74Ge", "76Ge"}


def test_fully_enriched_element_equals_single_isotope(tmp_path):
    enriched = _ge_toml(tmp_path, '[target]\nmaterial = "Ge"\nenrichment = { "76Ge" = 1.0 }\n', "enriched.toml")
    single = _ge_toml(tmp_path, '[target]\nmaterial = "76Ge"\n', "single.toml")
    a = load_experiment(str(enriched)).binned_counts()
    b = load_experiment(str(single)).binned_counts()
    assert a.by_isotope().keys() == b.by_isotope().keys() == {"76Ge"}
    assert a.total == pytest.approx(b.total, rel=1e-12)


@pytest.mark.parametrize(
    "enrichment, message",
    [
        ('{ "76Ge" = 0.80, "74Ge" = 0.14 }', "sum"),
        ('{ "76Ge" = 0.86, "74Ge" = 0.24 }', "sum"),
        ('{ "76Ge" = 0.86, "40Ar" = 0.14 }', "Ar"),  # not an isotope of the material
        ('{ "Foo" = 1.0 }', "Foo"),
    ],
    ids=["sum-below-1", "sum-above-1", "other-element", "not-an-isotope"],
)
def test_bad_enrichment(tmp_path, enrichment, message):
    path = _ge_toml(tmp_path, f'[target]\nmaterial = "Ge"\nenrichment = {enrichment}\n', "badenr.toml")
    with pytest.raises(ExperimentError) as info:
        load_experiment(str(path))
    assert "badenr.toml" in str(info.value)
    assert message in str(info.value)


# --- parse_override --------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, path, value, kind",
    [
        ("detector.mass_kg=20", "detector.mass_kg", 20, int),
        ("source.pot=1e23", "source.pot", 1e23, float),
        ("detector.mass_kg=14.57", "detector.mass_kg", 14.57, float),
        ('nuclear.form_factor="helm"', "nuclear.form_factor", "helm", str),
        ("nuclear.form_factor=helm", "nuclear.form_factor", "helm", str),
        ("detector.bins.edges=[1, 2]", "detector.bins.edges", [1, 2], list),
        (" detector.mass_kg = 20 ", "detector.mass_kg", 20, int),
        ("name=a=b", "name", "a=b", str),
    ],
)
def test_parse_override(text, path, value, kind):
    got_path, got = parse_override(text)
    assert got_path == path
    assert type(got) is kind
    assert got == value


@pytest.mark.parametrize("text", ["detector.mass_kg", "=1", "detector..mass_kg=1", ".x=1"])
def test_parse_override_rejects(text):
    with pytest.raises(ExperimentError, match=re.escape("--set")):
        parse_override(text)
