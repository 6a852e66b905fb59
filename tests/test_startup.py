"""Start-up cost guards and the cached quadrature: the CLI and the experiment loader do
not import heavy modules they do not need, the typed CODATA values are scipy's, and the
cached / vectorised rules give the same numbers as computing them afresh."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from scipy import constants

from cevns import units
from cevns.physics.quadrature import gauss_legendre
from cevns.rates.nodes import gauss_legendre_panels, split_panels

HEAVY = ("scipy.constants", "scipy.optimize", "scipy.interpolate", "scipy.stats", "matplotlib", "iminuit", "jax")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        capture_output=True, text=True, check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_cli_import_does_not_import_heavy_modules() -> None:
    assert _heavy(_modules_after("import cevns.cli")) == []


def test_loading_an_experiment_does_not_import_heavy_modules() -> None:
    modules = _modules_after(
        "from cevns.config.experiments import load_experiment\n"
        "load_experiment('coherent-csi-2017')\nload_experiment('reactor-ge-conus-like')"
    )
    assert _heavy(modules) == []
    assert "pyparsing" not in modules  # plain formulas (CsI, Ge) are read without periodictable.formula


def _formula_atoms(text: str) -> dict:
    """{periodictable atom: count} of a plain formula, read term by term with
    cevns.physics.nuclei's formula patterns and periodictable's element symbols: the
    reference that links the table-based reader (_formula_counts) to periodictable.formula."""
    import periodictable

    from cevns.physics.nuclei import _FORMULA_TERM, _PLAIN_FORMULA

    if not _PLAIN_FORMULA.fullmatch(text):
        raise ValueError(f"not a plain formula: {text!r}")
    atoms: dict = {}
    for symbol, number in _FORMULA_TERM.findall(text):
        element = periodictable.elements.symbol(symbol)  # ValueError if unknown
        count = (float(number) if "." in number else int(number)) if number else 1
        atoms[element] = atoms.get(element, 0) + count
    return atoms


@pytest.mark.parametrize(
    "formula", ["CsI", "NaI", "Ge", "CaWO4", "OCaW4O", "C3F8", "Al2O3", "CH3CH3", "Ge0.5Si0.5", "Ca0.5493W0.5493O5.1971Al2", "D2O", "O2O0.5"]
)
def test_formula_atoms_equal_periodictable(formula: str) -> None:
    """The plain-formula reader gives periodictable's atoms: same elements, order, counts and types."""
    import periodictable

    got, ref = list(_formula_atoms(formula).items()), list(periodictable.formula(formula).atoms.items())
    assert got == ref
    assert [type(c) for _, c in got] == [type(c) for _, c in ref]


def test_importing_the_loader_does_not_import_scipy() -> None:
    """scipy.special is imported by the response / timing functions on first call only."""
    modules = _modules_after("import cevns.cli\nimport cevns.config.experiments")
    assert not any(m == "scipy" or m.startswith("scipy.") for m in modules)


@pytest.mark.parametrize("name", sorted(units.CODATA_2022))
def test_typed_codata_values_are_scipys(name: str) -> None:
    """The values typed in cevns.units are CODATA 2022 as scipy tabulates it, bit for bit:
    a new CODATA adjustment in scipy fails here instead of drifting silently."""
    assert units.CODATA_2022[name] == constants.physical_constants[name][0]


def test_unit_constants_follow_codata() -> None:
    pc = constants.physical_constants
    assert units.HBARC_MEV_FM == pc["reduced Planck constant times c in MeV fm"][0]
    assert units.G_FERMI == pc["Fermi coupling constant"][0] * 1e-6
    assert units.ALPHA_EM == constants.fine_structure
    assert units.AVOGADRO == constants.Avogadro
    assert units.M_ELECTRON == pc["electron mass energy equivalent in MeV"][0]
    assert units.AMU == pc["atomic mass constant energy equivalent in MeV"][0]
    assert units.M_MUON == pc["muon mass energy equivalent in MeV"][0]
    assert units.M_TAU == pc["tau mass energy equivalent in MeV"][0]
    assert units.J == 1.0 / (constants.e * 1e6)
    assert units.PROTON_RMS_CHARGE_RADIUS_FM == pc["proton rms charge radius"][0] / 1e-15


@pytest.mark.parametrize("n", [1, 2, 5, 12, 64, 96])
def test_cached_rule_is_leggauss_and_read_only(n: int) -> None:
    x, w = gauss_legendre(n)
    x0, w0 = np.polynomial.legendre.leggauss(n)
    assert np.array_equal(x, x0) and np.array_equal(w, w0)
    assert gauss_legendre(n)[0] is x  # cached
    with pytest.raises(ValueError):
        x[0] = 0.0
    # exact for x^(2n-2) on [-1, 1]: 2/(2n-1)
    assert np.sum(w * x ** (2 * n - 2)) == pytest.approx(2.0 / (2 * n - 1), rel=1e-13)


def test_panels_match_a_panel_by_panel_rule() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        cuts = np.sort(rng.uniform(0.0, 5.0, int(rng.integers(2, 12))))
        n = int(rng.integers(2, 20))  # ≥ 2 points: exact for x²
        t, w = gauss_legendre_panels(cuts, n)
        x0, w0 = np.polynomial.legendre.leggauss(n)
        t_ref = np.concatenate([0.5 * (b - a) * (x0 + 1.0) + a for a, b in zip(cuts[:-1], cuts[1:])])
        w_ref = np.concatenate([0.5 * (b - a) * w0 for a, b in zip(cuts[:-1], cuts[1:])])
        assert np.array_equal(t, t_ref) and np.array_equal(w, w_ref)
        # ∫ x² over [cuts[0], cuts[-1]] in closed form
        assert np.sum(w * t**2) == pytest.approx((cuts[-1] ** 3 - cuts[0] ** 3) / 3.0, rel=1e-12)


def test_split_panels_matches_a_linspace_per_piece() -> None:
    rng = np.random.default_rng(4)
    for _ in range(200):
        lo, hi = np.sort(rng.uniform(0.0, 1.0, 2))
        points = rng.uniform(-0.2, 1.2, int(rng.integers(0, 6)))
        panels = int(rng.integers(1, 6))
        inner = points[(points > lo) & (points < hi)]
        cuts = np.unique(np.concatenate([[lo, hi], inner]))
        ref = np.unique(np.concatenate([np.linspace(a, b, panels + 1) for a, b in zip(cuts[:-1], cuts[1:])]))
        assert np.array_equal(split_panels(lo, hi, points, panels), ref)


def _every_pair_bin_response(res, mu: np.ndarray, edges: np.ndarray, efficiency) -> tuple[np.ndarray, int]:
    """bin_response with the CDF evaluated for every mean on every sub-interval (no
    shortcut), bin by bin and piece by piece; and the number of (piece, mean) pairs whose CDF
    is exactly 0 at the top or exactly 1 at the bottom (what the shortcuts skip)."""
    ref = np.empty((edges.size - 1, mu.size))
    saturated = 0
    for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        cuts = [lo] + [p for p in efficiency.breakpoints if lo < p < hi] + [hi]
        total = np.zeros(mu.size)
        for a, c in zip(cuts[:-1], cuts[1:]):
            x = np.linspace(a, c, 25)
            cdf = res._cdf(x[:, None], mu[None, :])
            saturated += int(np.sum((cdf[-1] == 0.0) | (cdf[0] == 1.0)))
            total += (efficiency(0.5 * (x[1:] + x[:-1]))[:, None] * np.diff(cdf, axis=0)).sum(axis=0)
        ref[b] = total
    return ref, saturated


@pytest.mark.parametrize("noise, stochastic", [(0.03, 0.0), (0.0, 0.3), (2.0, 0.1)])
def test_gaussian_bin_response_skips_only_saturated_means(noise: float, stochastic: float) -> None:
    """bin_response evaluates the Gaussian CDF only for means it can change; the result
    equals the full evaluation of every mean on every sub-interval, bit for bit (and the
    closed form Φ(z_hi) − Φ(z_lo) for unit efficiency)."""
    from scipy.special import ndtr

    from cevns.detector.response import LogisticEfficiency, Resolution, UnitEfficiency

    res = Resolution("gaussian", stochastic=stochastic, noise=noise)
    mu = np.concatenate([np.geomspace(1e-4, 50.0, 400), [0.0, 3.0, 3.0 + 1e-9]])
    edges = np.array([0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0])
    for efficiency in (UnitEfficiency(), LogisticEfficiency(0.9, 1.3, 2.0, zero_below=0.4)):
        assert np.array_equal(res.bin_response(mu, edges, efficiency), _every_pair_bin_response(res, mu, edges, efficiency)[0])
    sigma = np.maximum(res.sigma(mu), 1e-12)
    closed = ndtr((edges[1:, None] - mu) / sigma) - ndtr((edges[:-1, None] - mu) / sigma)
    np.testing.assert_allclose(res.bin_response(mu, edges, UnitEfficiency()), closed, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("fano, offset", [(0.3, 0.0), (1.0, 0.0), (0.05, 0.5), (1.2, 3.0)])
def test_gamma_bin_response_skips_only_saturated_means(fano: float, offset: float) -> None:
    """bin_response evaluates the gamma law's CDF only for the pairs of a piece and a mean
    whose CDF is neither exactly 0 at the piece's top nor exactly 1 at its bottom; the result
    equals the full evaluation of every mean on every sub-interval, bit for bit (means from
    far below to far above the bins, zero and NaN included)."""
    from cevns.detector.response import LogisticEfficiency, Resolution, UnitEfficiency

    res = Resolution("gamma", fano=fano, shape_offset=offset)
    mu = np.concatenate([np.geomspace(1e-4, 5e3, 600), [0.0, 3.0, 3.0 + 1e-9, np.nan]])
    edges = np.array([0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 60.0])
    for efficiency in (UnitEfficiency(), LogisticEfficiency(0.9, 1.3, 2.0, zero_below=0.4)):
        ref, saturated = _every_pair_bin_response(res, mu, edges, efficiency)
        assert np.array_equal(res.bin_response(mu, edges, efficiency), ref, equal_nan=True)
        assert saturated > 300  # the shortcut is exercised


def test_sorted_unique_is_numpys_unique_bit_for_bit() -> None:
    """The panel cuts' replacement of np.unique (which imports numpy.ma, ≈ 30 ms): the same
    values, order and dtype, NaNs once; the sign of a zero too where only one sign occurs
    (with both, numpy's choice is its hash table's)."""
    from cevns.rates.nodes import sorted_unique

    rng = np.random.default_rng(18)
    pool = np.array([0.0, -0.0, 1.0, 2.5, -3.0, np.nan, np.inf, -np.inf, 1e-300, 5e-324])
    for _ in range(400):
        n = int(rng.integers(0, 30))
        values = np.where(rng.random(n) < 0.5, rng.choice(pool, n), np.round(rng.normal(0, 3, n), 1))
        if rng.random() < 0.3:
            values = values.reshape(-1, 1) if n else values
        got, ref = sorted_unique(values), np.unique(values)
        assert got.dtype == ref.dtype and got.shape == ref.shape
        assert np.array_equal(got, ref, equal_nan=True)
        if not (np.any(values == 0) and np.any(np.signbit(values[values == 0])) and not np.all(np.signbit(values[values == 0]))):
            assert np.array_equal(np.signbit(got), np.signbit(ref))


def test_a_csi_prediction_does_not_import_numpy_ma() -> None:
    modules = _modules_after("from cevns.config.experiments import load_experiment\n"
                             "load_experiment('coherent-csi-2017').predictor().binned()")
    assert "numpy.ma" not in modules
    assert not any(m == "scipy" or m.startswith("scipy.") for m in modules)  # the events path


# --- what `cevns events` leaves unimported (issue 18: start-up of the CLI) ---------------------
LAZY_ON_EVENTS = (
    "periodictable",  # the isotope table is read from data/nuclides/isotopes.csv
    "cevns.cli.inference", "cevns.cli.releases", "cevns.cli.reproduce", "cevns.cli.fog", "cevns.cli.wimp",
    "cevns.cli.experiments", "cevns.cli.physics", "cevns.cli.recoils", "cevns.cli.feldman_cousins",
    "cevns.sources.solar", "cevns.sources.atmospheric", "cevns.sources.dsnb", "cevns.sources.geoneutrinos",
    "cevns.sources.reactor", "cevns.sources.reactor_models",
    "cevns.physics.msw",  # the solar table's default oscillation fit is read when one is validated
    "traceback",  # printed only for a bug (cevns.cli._run)
)


def test_events_imports_only_what_it_uses() -> None:
    """``cevns events coherent-csi-2017`` imports its own command module only, no
    periodictable and no source module of another source type."""
    modules = _modules_after("import contextlib, io\nfrom cevns.cli import main\n"
                             "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['events', 'coherent-csi-2017']) == 0")
    assert "cevns.cli.predict" in modules and "cevns.sources.pion_dar" in modules
    assert sorted(m for m in LAZY_ON_EVENTS if m in modules) == []


def test_importing_the_schema_builds_no_validator() -> None:
    """The tables' validators are deferred (pydantic ``defer_build``): importing the schema
    builds none; validating an experiment builds ExperimentSpec's (one for the whole file)."""
    out = subprocess.run([sys.executable, "-c", (
        "import json\nfrom pydantic import BaseModel\nfrom cevns.config import schema, sources, astro_sources\n"
        "models = [m for mod in (schema, sources, astro_sources) for m in vars(mod).values()\n"
        "          if isinstance(m, type) and issubclass(m, BaseModel) and m.__module__ == mod.__name__]\n"
        "before = sorted(m.__name__ for m in models if m.__pydantic_complete__)\n"
        "from cevns.config.experiments import load_experiment\nload_experiment('coherent-csi-2017')\n"
        "after = sorted(m.__name__ for m in models if m.__pydantic_complete__)\n"
        "print(json.dumps([len(models), before, after]))")], capture_output=True, text=True, check=True)
    count, before, after = json.loads(out.stdout.strip().splitlines()[-1])
    assert count > 30 and before == []
    # ExperimentSpec's validator; ResolutionSpec's serializer too (cevns.config.experiments dumps that table)
    assert "ExperimentSpec" in after and set(after) <= {"ExperimentSpec", "ResolutionSpec"}


def test_a_source_type_registered_before_the_first_validation_is_accepted() -> None:
    """With the deferred schema, a type registered before any validation is in the union
    when it is first built, and one unregistered after it is rejected again (rebuild)."""
    code = """
from typing import Literal
from cevns.config.experiments import load_experiment
from cevns.config.schema import ExperimentSpec
from cevns.config.sources import SourceSpec, register_source_type, source_types, unregister_source_type
from cevns.errors import InputError

class MySpec(SourceSpec):
    type: Literal["my-line"]
    flux: float

assert not ExperimentSpec.__pydantic_complete__
register_source_type("my-line", MySpec, lambda spec, context: source_types()["pion-dar"].build)
data = load_experiment("coherent-csi-2017").spec.model_dump()
data["source"] = {"type": "my-line", "flux": 2.0}
assert ExperimentSpec.model_validate(data).source == MySpec(type="my-line", flux=2.0)
unregister_source_type("my-line")
try:
    ExperimentSpec.model_validate(data)
except Exception as exc:
    assert "my-line" in str(exc), exc
else:
    raise AssertionError("an unregistered type was accepted")
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr


def test_lazy_cli_group_lists_and_resolves_every_command() -> None:
    """Every name of cevns.cli.COMMANDS resolves to a click command of that name, and the
    group lists exactly those (``cevns --help`` shows them all)."""
    import click

    from cevns.cli import COMMANDS, cli

    ctx = click.Context(cli, info_name="cevns")
    assert cli.list_commands(ctx) == sorted(COMMANDS)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name
    assert cli.get_command(ctx, "no-such-command") is None
    help_text = cli.get_help(ctx)
    assert all(f"  {name} " in help_text for name in COMMANDS)


def test_isotope_table_is_periodictables_bit_for_bit() -> None:
    """data/nuclides/isotopes.csv holds every element and isotope of periodictable with its
    mass and abundance exactly; isotope() reads them from there."""
    import periodictable

    from cevns.physics.nuclei import _element_data, _element_lines, isotope

    elements = list(periodictable.elements)
    assert sorted(_element_lines()) == sorted(el.symbol for el in elements)
    for el in elements:
        data = _element_data(el.symbol)
        assert (data.symbol, data.number, data.isotopes) == (el.symbol, el.number, tuple(el.isotopes))
        for a in el.isotopes:
            assert data[a].mass == float(el[a].mass) and data[a].abundance == float(el[a].abundance)
    cs = isotope("Cs", 133)
    assert (cs.Z, cs.atomic_mass_u, cs.abundance) == (55, float(periodictable.Cs[133].mass), 1.0)


@pytest.mark.parametrize(
    "formula", ["CsI", "NaI", "Ge", "CaWO4", "OCaW4O", "C3F8", "Al2O3", "CH3CH3", "Ge0.5Si0.5", "Ca0.5493W0.5493O5.1971Al2", "D2O",
                "O2O0.5", "HDO", "T2O", "Xx", "Csi", "cs", "C3F8Q"]
)
def test_formula_counts_equal_formula_atoms(formula: str) -> None:
    """The table-based formula reader (resolve_target's) gives _formula_atoms's terms, order
    and counts (the nuclides D, T as (element, mass number)), and fails where it fails."""
    from cevns.physics.nuclei import _element_of, _formula_counts

    try:
        ref = [((_element_of(a).symbol, None if a is _element_of(a) else a.isotope), c) for a, c in _formula_atoms(formula).items()]
    except ValueError:
        with pytest.raises(ValueError):
            _formula_counts(formula)
        return
    got = list(_formula_counts(formula).items())
    assert got == ref
    assert [type(c) for _, c in got] == [type(c) for _, c in ref]


def test_lazy_defaults_of_the_astro_source_tables() -> None:
    """The defaults read from the source modules on first use are theirs."""
    from cevns.config.astro_sources import GeoneutrinoSpec, SolarSpec
    from cevns.physics.msw import DEFAULT_FIT
    from cevns.sources.geoneutrinos import GEO_CHAINS

    assert SolarSpec(type="solar").oscillation == DEFAULT_FIT
    assert GeoneutrinoSpec(type="geoneutrino").components == list(GEO_CHAINS)


# --- start-up, round 2 (issue 18, item 1) ---------------------------------------------------
def test_tabulated_rules_are_leggauss_bit_for_bit() -> None:
    """Every order of the shipped table (cevns.physics._gauss_legendre_table) rebuilds
    numpy's leggauss exactly: values, signs of zero, dtype and shape; a numpy whose
    leggauss changed fails here (regenerate the table with the recipe in its docstring)."""
    from cevns.physics import quadrature
    from cevns.physics._gauss_legendre_table import HALF_RULES

    assert {6, 8, 12, 48, 96} <= set(HALF_RULES)  # the orders the shipped experiments use
    for n in HALF_RULES:
        quadrature.gauss_legendre.cache_clear()
        x, w = gauss_legendre(n)
        x0, w0 = np.polynomial.legendre.leggauss(n)
        assert x.dtype == x0.dtype == w.dtype and x.shape == w.shape == (n,)
        assert np.array_equal(x, x0) and np.array_equal(w, w0), n
        assert np.array_equal(np.signbit(x), np.signbit(x0)) and not x.flags.writeable and not w.flags.writeable
        # the closed forms: Σw = 2, Σw·x² = 2/3
        assert np.sum(w) == pytest.approx(2.0, rel=1e-14) and np.sum(w * x**2) == pytest.approx(2.0 / 3.0, rel=1e-14)


@pytest.mark.parametrize("n", [1, 3, 7, 13])
def test_untabulated_orders_call_leggauss(n: int) -> None:
    from cevns.physics._gauss_legendre_table import HALF_RULES

    assert n not in HALF_RULES
    x, w = gauss_legendre(n)
    x0, w0 = np.polynomial.legendre.leggauss(n)
    assert np.array_equal(x, x0) and np.array_equal(w, w0)


def test_data_path_is_importlib_resources_path() -> None:
    """cevns._data.data_path gives what importlib.resources.files("cevns") / "data" / ...
    gives (a pathlib.Path of the installed folder), for folders and files."""
    from importlib import resources

    from cevns._data import data_path

    for parts in [(), ("experiments",), ("nuclides", "isotopes.csv"), ("experiments", "coherent-csi-2017.toml")]:
        ref = resources.files("cevns") / "data"
        for part in parts:
            ref = ref / part
        got = data_path(*parts)
        assert got == ref and type(got) is type(ref)
    assert data_path("nuclides", "isotopes.csv").read_text() == (resources.files("cevns") / "data" / "nuclides" / "isotopes.csv").read_text()


def test_resolution_table_read_as_dict_is_its_model_dump() -> None:
    """cevns.config.experiments reads [detector.resolution] by dict(model) instead of
    model_dump (no serializer built at start-up): the same keys, order, values and types for
    every shipped experiment and for each resolution model."""
    from cevns.config.experiments import load_experiment, shipped_experiments
    from cevns.config.schema import ResolutionSpec

    specs = [load_experiment(name).spec.detector.resolution for name in shipped_experiments()]
    specs += [ResolutionSpec.model_validate({"model": m, "stochastic": 0.1, "constant": 0.02, "noise": 0.5, "fano": 0.3,
                                             "shape_offset": 1.0}) for m in ("none", "gaussian", "poisson", "gamma")]
    specs.append(ResolutionSpec.model_construct())  # DetectorSpec's default
    for spec in specs:
        got, ref = dict(spec), spec.model_dump()
        assert list(got.items()) == list(ref.items()) and [type(v) for v in got.values()] == [type(v) for v in ref.values()]


LAZY_ON_EVENTS_2 = (
    "numpy.polynomial",  # the Gauss-Legendre rules used are tabulated (cevns.physics._gauss_legendre_table)
    "importlib.readers", "importlib.resources.readers",  # package data by path (cevns._data.data_path)
    "difflib",  # only for the message of an unknown parameter name
    "cevns.detector.quenching_models",  # the published quenching models, when a table names one
)


def test_events_leaves_polynomial_resources_and_difflib_unimported() -> None:
    """``cevns events coherent-csi-2017`` imports none of LAZY_ON_EVENTS_2, and builds
    ExperimentSpec's validator only (no ResolutionSpec serializer)."""
    out = subprocess.run([sys.executable, "-c", (
        "import contextlib, io, json, sys\nfrom cevns.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['events', 'coherent-csi-2017']) == 0\n"
        "from pydantic import BaseModel\nfrom cevns.config import schema\n"
        "built = sorted(m.__name__ for m in vars(schema).values() if isinstance(m, type) and issubclass(m, BaseModel)"
        " and m.__module__ == schema.__name__ and m.__pydantic_complete__)\n"
        "print(json.dumps([sorted(sys.modules), built]))")], capture_output=True, text=True, check=True)
    modules, built = json.loads(out.stdout.strip().splitlines()[-1])
    assert sorted(m for m in LAZY_ON_EVENTS_2 if m in modules or any(x.startswith(m + ".") for x in modules)) == []
    assert built == ["ExperimentSpec"]


def test_physics_and_sources_read_package_data_without_importlib_resources() -> None:
    """A target and a pion-DAR source (the isotope table, spins, radii) are read by path:
    without pydantic (whose plugin scan imports importlib.metadata and, through it,
    importlib.resources) nothing imports importlib.resources."""
    modules = _modules_after("from cevns.physics.nuclei import resolve_target\nfrom cevns.sources.pion_dar import pion_dar_source\n"
                             "t = resolve_target('CsI')\nassert [i.name for i in t.isotopes] == ['133Cs', '127I']\n"
                             "from cevns.physics.nuclei import _charge_radii, _spins\n_charge_radii(), _spins()\n"
                             "from cevns.sources.spectra import package_table\n")
    assert "importlib.resources" not in modules and "pydantic" not in modules


# --- one BLAS thread for the program (issue 18) -----------------------------------------------
def _blas_setting(env_extra: dict[str, str], first: str = "") -> str:
    """OPENBLAS_NUM_THREADS as the program leaves it, started as ``cevns`` (argv[0])."""
    import os
    import subprocess
    import sys

    from cevns.cli import BLAS_THREAD_VARIABLES

    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREAD_VARIABLES}
    code = f"import sys, os; {first}sys.argv = ['cevns']; import cevns.cli; print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    out = subprocess.run([sys.executable, "-c", code], env={**env, **env_extra}, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_program_runs_blas_on_one_thread_unless_the_user_says_otherwise():
    from cevns.cli import blas_thread_default

    assert blas_thread_default({}, numpy_loaded=False) == {"OPENBLAS_NUM_THREADS": "1"}
    assert blas_thread_default({"OMP_NUM_THREADS": "8"}, numpy_loaded=False) == {}
    assert blas_thread_default({"MKL_NUM_THREADS": "2"}, numpy_loaded=False) == {}
    assert blas_thread_default({}, numpy_loaded=True) == {}
    assert _blas_setting({}) == "1"
    assert _blas_setting({"OPENBLAS_NUM_THREADS": "4"}) == "4"
    assert _blas_setting({"OMP_NUM_THREADS": "3"}) == "None"
    assert _blas_setting({}, first="import numpy; ") == "None"  # too late to matter: left alone


def test_quenching_tables_build_their_models():
    """config.experiments._quenching: the table and basic models without the published
    models' module, the published ones through it (imported on use)."""
    from cevns.config.experiments import _quenching
    from cevns.config.schema import AdiabaticLindhardQuenchingSpec, TableQuenchingSpec
    from cevns.detector import quenching_models as qm
    from cevns.detector import response as det

    table = _quenching(TableQuenchingSpec(model="table", recoil_keV=[1.0, 10.0], quenching_factor=[0.1, 0.2]))
    assert isinstance(table, det.TableQuenching)
    adiabatic = _quenching(AdiabaticLindhardQuenchingSpec(model="lindhard-adiabatic", k=0.157, xi_keV=0.2))
    assert isinstance(adiabatic, qm.AdiabaticLindhardQuenching)


# --- start-up, third round (issue 18, item 1) ---------------------------------------------------
LAZY_ON_EVENTS_3 = (
    "cevns.detector.response_models",  # Lindhard / polynomial / table quenching, Weibull / table / function efficiency
    "cevns.sources.oscillated",  # the oscillation tables, built by the first oscillation fit
    "cevns.config.measurement",  # the [data] of a file, read by fits
    "json",  # `events --json` and the override-keyed caches only
    "cevns.physics.oscillations",  # SterileMixing: when a sterile state is built, checked or mixes flavours
    "cevns.physics.parameters",  # the parameter vocabulary, when named parameters are applied
    "numpy.typing",  # ArrayLike: annotations only (TYPE_CHECKING)
)


def test_events_leaves_the_rarely_used_response_forms_and_measurements_unimported() -> None:
    """``cevns events coherent-csi-2017`` (constant quenching, logistic efficiency, no fit)
    imports none of LAZY_ON_EVENTS_3, and prints the same table as before."""
    out = subprocess.run([sys.executable, "-c", (
        "import contextlib, io, json as _j, sys\ndel sys.modules['json'], _j\n"
        "for m in [m for m in sys.modules if m.startswith('json.')]: del sys.modules[m]\n"
        "from cevns.cli import main\nbuf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n    assert main(['events', 'coherent-csi-2017']) == 0\n"
        "found = sorted(m for m in sys.modules)\nprint(repr((found, buf.getvalue())))")], capture_output=True, text=True, check=True)
    modules, text = eval(out.stdout.strip().splitlines()[-1])
    assert [m for m in LAZY_ON_EVENTS_3 if m in modules] == []
    assert "total expected counts: 162.86" in text and "133Cs 82.77, 127I 80.09" in text


def test_response_re_exports_the_rarely_used_forms() -> None:
    """cevns.detector.response re-exports every class and function of response_models (the
    same objects, through the module and the package), and an unknown name is an
    AttributeError naming the module."""
    import cevns.detector
    from cevns.detector import response, response_models

    for name in response_models.__all__:
        assert getattr(response, name) is getattr(response_models, name)
        assert name in response._MODELS
    for name in ("LindhardQuenching", "TableEfficiency", "FunctionEfficiency"):
        assert getattr(cevns.detector, name) is getattr(response_models, name)
    with pytest.raises(AttributeError, match="cevns.detector.response"):
        response.not_a_name  # noqa: B018


@pytest.mark.parametrize("filename", ["nuclear_spins.csv", "charge_radii.csv"])
def test_data_csv_rows_equal_the_csv_module(filename: str) -> None:
    """nuclei._read_data_csv splits unquoted lines at commas: the rows (keys, values, order)
    of csv.DictReader over the same lines."""
    import csv

    from cevns._data import data_path
    from cevns.physics.nuclei import _read_data_csv

    lines = [ln for ln in data_path(filename).read_text().splitlines() if ln and not ln.startswith("#")]
    assert _read_data_csv(filename) == list(csv.DictReader(lines))
    assert len(lines) > 250


def test_built_experiment_and_set_up_share_the_time_fractions() -> None:
    """build_experiment checks the [detector.time] flavours with the set-up's remembered
    fractions: loading and predicting computes them once (one miss, then a hit), and the
    counts are the same as with the fractions computed afresh."""
    from cevns.config.experiments import load_experiment
    from cevns.rates.prediction import _time_fractions_cached, clear_setup_caches

    clear_setup_caches()
    exp = load_experiment("coherent-csi-2017")
    assert _time_fractions_cached.cache_info().misses == 1
    counts = exp.binned_counts()
    info = _time_fractions_cached.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    clear_setup_caches()
    assert np.array_equal(exp.predictor().binned().counts, counts.counts)


FAMILY_MODULES = tuple(f"cevns.physics.interactions.{m}" for m in (
    "nsi", "electromagnetic", "vector_mediator", "scalar_mediator", "axial", "electron_nsi"))
BUILT_IN_ORDER = ["nsi", "magnetic_moment", "charge_radius", "millicharge", "vector_mediator", "scalar_mediator", "sterile",
                  "axial", "electron_nsi"]


def _run_json(code: str) -> object:
    out = subprocess.run([sys.executable, "-c", code + "\nimport json\nprint(json.dumps(result))"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_events_imports_the_sterile_family_only() -> None:
    """A Standard-Model prediction reads only the sterile term's default: ``cevns events``
    imports no other family module of cevns.physics.interactions."""
    result = _run_json(
        "import contextlib, io, sys\nfrom cevns.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n    assert main(['events', 'coherent-csi-2017']) == 0\n"
        "result = sorted(m for m in sys.modules if m.startswith('cevns.physics.interactions.'))")
    assert "cevns.physics.interactions.sterile" in result
    assert [m for m in FAMILY_MODULES if m in result] == []


def test_lazy_families_keep_the_registry_order_and_its_checks() -> None:
    """Whichever family is imported first, the registry lists the built-in terms in their
    fixed order (then the others in registration order); a user's term registered before any
    registry read is still checked against the built-in ones (their modules are imported
    first) and comes after them; the package's family names resolve."""
    result = _run_json(
        "import sys\nimport cevns.physics.interactions as I\n"
        "fresh = sorted(m for m in sys.modules if m.startswith('cevns.physics.interactions.'))\n"
        "import cevns.physics.interactions.axial\nI.model_term('sterile')\n"
        "from cevns.physics.interactions import ModelTerm, Parameter, register_term, registered_terms\n"
        "def toy(name, par):\n"
        "    return ModelTerm(name=name, title='toy', parameters=(Parameter(par, '', 0.0, 'toy'),), build=lambda v: 0.0,"
        " default=0.0, citation='test')\n"
        "try:\n    register_term(toy('toy_clash', 'eps_ee_uV'))\n    clash = None\nexcept ValueError as exc:\n    clash = str(exc)\n"
        "register_term(toy('toy_ok', 'toy_ok_c'))\n"
        "result = [fresh, [t.name for t in registered_terms()], clash, I.VectorMediator.__name__, 'QUARKS' in dir(I)]")
    fresh, names, clash, vector, listed = result
    assert fresh == ["cevns.physics.interactions.model", "cevns.physics.interactions.registry"]
    assert names == BUILT_IN_ORDER + ["toy_ok"]
    assert clash is not None and "already belongs to nsi" in clash
    assert vector == "VectorMediator" and listed


def test_registry_is_complete_for_concurrent_first_readers() -> None:
    """Threads that read the registry first, at the same time, all see every built-in term
    in order (one thread imports the families, the others wait for it)."""
    result = _run_json(
        "import threading\nfrom cevns.physics.interactions import registered_terms, model_term\n"
        "seen = []\nstart = threading.Barrier(8)\n"
        "def read(i):\n    start.wait()\n    if i % 2:\n        model_term('sterile')\n"
        "    seen.append([t.name for t in registered_terms()])\n"
        "threads = [threading.Thread(target=read, args=(i,)) for i in range(8)]\n"
        "[t.start() for t in threads]\n[t.join() for t in threads]\nresult = seen")
    assert result == [BUILT_IN_ORDER] * 8


def test_standard_model_has_no_active_terms_without_the_families() -> None:
    """PhysicsModel() holds no state: active_terms() is empty without importing the
    families, and equals the full registry's answer (nothing active) once they are."""
    result = _run_json(
        "import sys\nfrom cevns.physics.interactions import PhysicsModel\nm = PhysicsModel()\n"
        "before = [m.active_terms(), m.divergent_terms(), m.sterile]\n"
        "loaded = sorted(x for x in sys.modules if x.startswith('cevns.physics.interactions.'))\n"
        "from cevns.physics.interactions import registered_terms\nregistered_terms()\n"
        "result = [before == [(), (), None], loaded, len(PhysicsModel(nsi={}).active_terms())]")
    same, loaded, n_active = result
    assert same and n_active == 0
    assert loaded == ["cevns.physics.interactions.model", "cevns.physics.interactions.registry",
                      "cevns.physics.interactions.sterile"]
