"""The ``cevns`` command line, run as a user runs it: in a subprocess, checking the exit
status, stdout and stderr.

Input errors must end with exactly one line ``error: ...`` on stderr, exit status 2, no
traceback, and no output file left behind.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

SHIPPED = Path(__file__).resolve().parents[1] / "src" / "cevns" / "data" / "experiments"
CSI_2017 = (SHIPPED / "coherent-csi-2017.toml").read_text()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Physical constants for the independent cross-section check (CODATA 2018 / AME2020).
G_FERMI = 1.1663787e-11  # MeV^-2
HBARC_MEV_CM = 197.3269804e-13  # MeV cm
AMU_MEV = 931.49410242
M_ELECTRON = 0.51099895000


def _events_args(*settings: str) -> tuple[str, ...]:
    args = ["events", "coherent-csi-2017", "--json"]
    for s in settings:
        args += ["--set", s]
    return tuple(args)


XSEC_10KEV = ("xsec", "--nucleus", "133Cs", "--enu", "30", "--recoil", "10", "--json")
XSEC_10KEV_POINT = (*XSEC_10KEV, "--form-factor", "none")
XSEC_100KEV = ("xsec", "--nucleus", "133Cs", "--enu", "30", "--recoil", "100", "--json")
XSEC_FLUX_AVERAGE = ("xsec", "--nucleus", "CsI", "--flux-average", "pion-dar", "--json")
KINEMATICS_50 = ("kinematics", "--nucleus", "133Cs", "--enu", "50", "--json")
INFINITE_BIN_EDGE = ("events", "coherent-csi-2017", "--set", "detector.bins.high=inf")
INFINITE_MASS = ("events", "coherent-csi-2017", "--set", "detector.mass_kg=inf")
PARAMS_JSON = ("params", "coherent-csi-2017", "--json")
NSI_EVENTS = ("events", "coherent-csi-2017", "--json", "--param", "eps_ee_uV=0.05", "--param", "eps_ee_dV=-0.02", "--param", "mu_nu_mu=2e-9")


FORM_FACTOR_SETTINGS = ['nuclear.form_factor="none"', "nuclear.form_factor=none"]

BAD_INPUT = [
    (["xsec", "--nucleus", "Xx123", "--enu", "30"], ["Xx"]),
    (["xsec", "--nucleus", "Foo", "--enu", "30"], ["Foo"]),
    (["kinematics", "--nucleus", "Foo", "--enu", "30"], ["Foo"]),
    (["xsec", "--nucleus", "133Cs", "--enu", "-5"], ["--enu"]),
    (["kinematics", "--nucleus", "133Cs", "--enu", "-5"], ["--enu"]),
    (["xsec", "--nucleus", "133Cs", "--enu", "abc"], ["--enu"]),
    (["xsec", "--nucleus", "133Cs", "--enu", "30", "--recoil", "-1"], ["--recoil"]),
    (["kinematics", "--nucleus", "133Cs", "--enu", "30", "--recoil", "-1"], ["--recoil"]),
    (["events", "no-such-experiment"], ["no-such-experiment"]),
    (["events", "coherent-csi-2017", "--set", "detector.foo=1"], ["detector.foo"]),
    (["events", "coherent-csi-2017", "--set", "detector.mass_kg"], ["--set"]),
    (["events", "coherent-csi-2017", "--set", "detector.mass_kg=abc"], ["detector.mass_kg"]),
    (["events", "missing-file.toml"], ["missing-file.toml"]),
    (["events", "coherent-csi-2017", "--param", "eps_ee_uv=0.1"], ["unknown parameter", "eps_ee_uV"]),
    (["events", "coherent-csi-2017", "--param", "zprime_mass=-5"], ["zprime_mass", "> 0"]),
    (["events", "coherent-csi-2017", "--param", "Ue4_sq=1.2"], ["Ue4_sq", "≤ 1"]),
    (["events", "coherent-csi-2017", "--param", "rn_133Cs=-4.8"], ["rn_133Cs", "> 0"]),
    (["events", "coherent-csi-2017", "--param", "rn_40Ar=3.4"], ["rn_40Ar", "not in the target"]),
    (["events", "coherent-csi-2017", "--param", "mu_nu_e"], ["--param", "NAME=VALUE"]),
    (["spectrum", "coherent-csi-2017", "--param", "scalar_mas=5"], ["scalar_mass"]),
    (["xsec", "--nucleus", "133Cs", "--enu", "30", "--param", "mu_nu_e=1e-9"], ["diverges"]),
]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(cwd / ".mpl"))
    return subprocess.run(
        [sys.executable, "-m", "cevns.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_ok(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr


def assert_user_error(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    """Exit 2, stderr is one non-empty line starting with 'error:', no traceback; the line
    contains every fragment. Returns the line."""
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr
    assert proc.returncode == 2, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one stderr line, got:\n{proc.stderr}"
    line = lines[0]
    assert line.startswith("error:"), line
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """An empty working directory (so no local file can shadow a shipped experiment name)."""
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def cli(workdir):
    """``cli(*args)`` → the finished process for ``cevns args`` run in ``workdir``.

    Each process costs about half a second of interpreter start-up and imports, so the
    commands this module needs are all started at once, in parallel, when the fixture is
    set up; a command not in the list is simply run when asked for.
    """
    commands = [
        ("experiments",),
        _events_args(),
        ("events", "coherent-csi-2017"),
        _events_args("detector.mass_kg=29.14"),
        _events_args("detector.mass_kg=29.14", "detector.mass_kg=14.57"),
        *(_events_args(s) for s in FORM_FACTOR_SETTINGS),
        XSEC_10KEV, XSEC_10KEV_POINT, XSEC_100KEV, XSEC_FLUX_AVERAGE, KINEMATICS_50,
        *(tuple(a) for a, _ in BAD_INPUT),
        INFINITE_BIN_EDGE,
        INFINITE_MASS,
        PARAMS_JSON,
        NSI_EVENTS,
    ]
    with ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2))) as pool:
        futures = {args: pool.submit(run_cli, *args, cwd=workdir) for args in commands}

        def get(*args: str) -> subprocess.CompletedProcess:
            future = futures.get(args)
            return future.result() if future is not None else run_cli(*args, cwd=workdir)

        yield get


def cli_json(cli, *args: str) -> dict:
    proc = cli(*args)
    assert_ok(proc)
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def csi_events(cli) -> dict:
    return cli_json(cli, *_events_args())


# --- listing and events ----------------------------------------------------------------
def test_console_script(tmp_path):
    script = Path(sys.executable).with_name("cevns")
    if not script.exists():
        pytest.skip("no cevns console script beside this interpreter")
    proc = subprocess.run([str(script), "experiments"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert_ok(proc)
    assert "coherent-csi-2017" in proc.stdout
    bad = subprocess.run([str(script), "events", "no-such-experiment"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert_user_error(bad, "no-such-experiment")


def test_experiments_lists_shipped(cli):
    proc = cli("experiments")
    assert_ok(proc)
    names = [ln.split()[0] for ln in proc.stdout.splitlines() if ln.strip()]
    # every shipped experiment file, then every array file, each sorted by name
    arrays = SHIPPED.parent / "arrays"
    assert names == sorted(p.stem for p in SHIPPED.glob("*.toml")) + sorted(p.stem for p in arrays.glob("*.toml"))
    assert {"coherent-csi-2017", "coherent-lar-750", "dresden-ii", "ge-array-sns"} <= set(names)
    assert proc.stderr == ""


def test_events_json_structure(csi_events):
    assert csi_events["experiment"] == "coherent-csi-2017"
    assert csi_events["observable"] == "PE"
    assert set(csi_events["by_isotope"]) == {"133Cs", "127I"}
    assert set(csi_events["by_flavor"]) == {"nu_e", "nu_mu", "nu_mu_bar"}
    total = csi_events["total"]
    assert math.isclose(sum(csi_events["by_isotope"].values()), total, rel_tol=1e-9)
    assert math.isclose(sum(csi_events["by_flavor"].values()), total, rel_tol=1e-9)


def test_events_json_bins_cover_6_to_30_pe(csi_events):
    bins = csi_events["bins"]
    assert len(bins) == 12
    assert all(set(b) == {"low", "high", "counts"} for b in bins)
    assert bins[0]["low"] == pytest.approx(6.0) and bins[-1]["high"] == pytest.approx(30.0)
    for a, b in zip(bins, bins[1:]):
        assert a["high"] == pytest.approx(b["low"])
    assert all(b["high"] - b["low"] == pytest.approx(2.0) for b in bins)
    assert all(b["counts"] >= 0 for b in bins)
    assert math.isclose(sum(b["counts"] for b in bins), csi_events["total"], rel_tol=1e-9)


def test_events_total_matches_published_prediction(csi_events):
    # COHERENT, Science 357, 1123 (2017): SM prediction 173 +- 48 events in 6-30 PE.
    assert 150 < csi_events["total"] < 200


def test_events_text_output(cli, csi_events):
    proc = cli("events", "coherent-csi-2017")
    assert_ok(proc)
    assert f"total expected counts: {csi_events['total']:.2f}" in proc.stdout
    assert "133Cs" in proc.stdout and "127I" in proc.stdout


def test_set_mass_doubles_total(cli, csi_events):
    doubled = cli_json(cli, *_events_args("detector.mass_kg=29.14"))["total"]
    assert math.isclose(doubled, 2 * csi_events["total"], rel_tol=1e-9)


@pytest.mark.parametrize("setting", FORM_FACTOR_SETTINGS)
def test_set_no_form_factor_increases_total(cli, csi_events, setting):
    # F(q) <= 1, so dropping the form factor can only add events (at 10-25 keVnr on Cs/I
    # the Helm |F|^2 is well below 1, so the increase is large).
    total = cli_json(cli, *_events_args(setting))["total"]
    assert total > 1.2 * csi_events["total"]


def test_last_set_wins(cli, csi_events):
    total = cli_json(cli, *_events_args("detector.mass_kg=29.14", "detector.mass_kg=14.57"))["total"]
    assert math.isclose(total, csi_events["total"], rel_tol=1e-9)


def test_events_from_user_toml_path(workdir, csi_events, tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(CSI_2017.replace("mass_kg = 14.57", "mass_kg = 7.285"))
    proc = run_cli("events", str(path), "--json", cwd=workdir)
    assert_ok(proc)
    assert math.isclose(json.loads(proc.stdout)["total"], csi_events["total"] / 2, rel_tol=1e-9)


# --- xsec and kinematics ---------------------------------------------------------------
def _cs133_point_nucleus_dsigma_dT_per_keV(enu: float, t_kev: float) -> float:
    """Tree-level dσ/dT for 133Cs with F = 1, from the textbook formula (cm²/keV)."""
    z, n = 55, 78
    mass = 132.905451959 * AMU_MEV - z * M_ELECTRON  # nuclear mass; electron binding ~0.2 MeV neglected
    s2w = 0.23857
    half_qw = z * (0.5 - 2 * s2w) - 0.5 * n
    t = t_kev * 1e-3
    kin = 1 - t / enu - mass * t / (2 * enu**2)
    per_mev = G_FERMI**2 * mass / math.pi * half_qw**2 * kin * HBARC_MEV_CM**2
    return per_mev * 1e-3


def test_xsec_differential_point_nucleus_matches_formula(cli):
    out = cli_json(cli, *XSEC_10KEV_POINT)
    expected = _cs133_point_nucleus_dsigma_dT_per_keV(30.0, 10.0)
    assert out["dsigma_dT_cm2_per_keV"] == pytest.approx(expected, rel=1e-4)


def test_xsec_differential_helm(cli):
    out = cli_json(cli, *XSEC_10KEV)
    value = out["dsigma_dT_cm2_per_keV"]
    # ~5.7e-40 cm²/keV (= 5.7e-37 cm²/MeV): G_F² M Q_W²/4π × (1 − MT/2E²) × F², F² ≈ 0.75
    assert 1e-40 < value < 1e-38
    point = _cs133_point_nucleus_dsigma_dT_per_keV(30.0, 10.0)
    assert 0.5 * point < value < point  # Helm suppression at q ≈ 50 MeV
    assert out["recoil_keV"] == 10 and out["enu_MeV"] == 30
    assert out["sigma_total_cm2"] > 0


def test_xsec_above_kinematic_limit_is_zero(cli):
    # T_max = 2E²/(M + 2E) ≈ 14.5 keV for E = 30 MeV on 133Cs
    out = cli_json(cli, *XSEC_100KEV)
    assert out["dsigma_dT_cm2_per_keV"] == 0.0


def test_xsec_flux_averaged_csi_matches_coherent(cli):
    # COHERENT CsI 2021, PRL 129, 081801: SM flux-averaged cross section 189 ± 6 × 10⁻⁴⁰ cm²
    out = cli_json(cli, *XSEC_FLUX_AVERAGE)
    assert out["flux_averaged_cross_section_1e-40_cm2"] == pytest.approx(189, rel=0.05)
    assert out["flux_averaged_cross_section_cm2"] == pytest.approx(out["flux_averaged_cross_section_1e-40_cm2"] * 1e-40, rel=1e-12)


def test_kinematics_cs133(cli):
    out = cli_json(cli, *KINEMATICS_50)
    # T_max = 2E²/(M + 2E) with M(133Cs) = 123772.7 MeV
    assert out["recoil_max_keV"] == pytest.approx(40.4, abs=0.05)
    assert list(out["isotopes"]) == ["133Cs"]


# --- spectrum --------------------------------------------------------------------------
def test_spectrum_writes_csv_and_png(tmp_path):
    proc = run_cli("spectrum", "coherent-csi-2017", "--csv", "out.csv", "--plot", "out.png", cwd=tmp_path)
    assert_ok(proc)
    png = (tmp_path / "out.png").read_bytes()
    assert png.startswith(PNG_MAGIC)
    lines = (tmp_path / "out.csv").read_text().splitlines()
    header = [ln for ln in lines if "recoil_keVnr" in ln]
    assert len(header) == 1 and lines.index(header[0]) < 3
    columns = header[0].lstrip("# ").split(",")
    assert columns[:2] == ["recoil_keVnr", "total"]
    rows = [ln for ln in lines if not ln.startswith("#")]
    assert len(rows) == 200  # default --points
    first = [float(x) for x in rows[0].split(",")]
    assert len(first) == len(columns) and first[1] > 0
    # no temporary files left next to the outputs
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".mpl")) == ["out.csv", "out.png"]


# --- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize("args, fragments", BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_one_error_line(cli, args, fragments):
    assert_user_error(cli(*args), *fragments)


def test_malformed_toml(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "broken"\n[detector\nmass_kg = 1\n')
    assert_user_error(run_cli("events", str(path), cwd=tmp_path), "broken.toml")


@pytest.mark.parametrize(
    "filename, old, new",
    [("nomass.toml", "mass_kg = 14.57\n", ""), ("negmass.toml", "mass_kg = 14.57", "mass_kg = -1")],
)
def test_toml_bad_mass(tmp_path, filename, old, new):
    path = tmp_path / filename
    text = CSI_2017.replace(old, new)
    assert text != CSI_2017
    path.write_text(text)
    assert_user_error(run_cli("events", str(path), cwd=tmp_path), "detector.mass_kg", filename)


def test_spectrum_bad_set_leaves_no_csv(tmp_path):
    proc = run_cli("spectrum", "coherent-csi-2017", "--csv", "out.csv", "--set", "detector.foo=1", cwd=tmp_path)
    assert_user_error(proc, "detector.foo")
    assert not (tmp_path / "out.csv").exists()
    assert [p.name for p in tmp_path.iterdir() if "out" in p.name] == []


def test_spectrum_csv_into_missing_directory(tmp_path):
    proc = run_cli("spectrum", "coherent-csi-2017", "--csv", "nodir/out.csv", cwd=tmp_path)
    assert_user_error(proc, "nodir")
    assert not (tmp_path / "nodir").exists()


# --- known bugs (see the report that added these; remove the marker once fixed) ----------
def test_infinite_bin_edge_is_a_user_error(cli):
    assert_user_error(cli(*INFINITE_BIN_EDGE), "detector.bins")


def test_infinite_mass_is_a_user_error(cli):
    assert_user_error(cli(*INFINITE_MASS), "detector.mass_kg")


def test_spectrum_failing_plot_leaves_no_csv(tmp_path):
    proc = run_cli("spectrum", "coherent-csi-2017", "--csv", "out.csv", "--plot", "nodir/out.png", cwd=tmp_path)
    assert_user_error(proc, "nodir")
    assert not (tmp_path / "out.csv").exists()


# --- physics parameters ------------------------------------------------------------------
def test_params_lists_every_parameter_with_units(cli):
    rows = {r["name"]: r for r in cli_json(cli, *PARAMS_JSON)}
    for name in ("sin2_theta_w", "eps_ee_uV", "eps_mutau_dV", "mu_nu_tau", "r2_nu_e", "q_nu_mu", "rn", "rn_133Cs", "rp_127I",
                 "zprime_mass", "zprime_coupling", "zprime_model", "scalar_mass", "scalar_coupling", "dm2_41", "Ue4_sq", "Umu4_sq"):
        assert name in rows, name
    assert rows["zprime_mass"]["unit"] == "MeV"
    assert rows["mu_nu_e"]["unit"] == "μ_B"
    assert rows["dm2_41"]["unit"] == "eV²"
    assert float(rows["rn_133Cs"]["default"]) == pytest.approx(4.74, abs=0.1)  # the experiment's own value
    assert float(rows["sin2_theta_w"]["default"]) == pytest.approx(0.23857)


def test_param_gives_the_python_numbers(cli):
    """--param on the CLI, the Python call and a TOML [parameters] table agree exactly."""
    from cevns.config.experiments import load_experiment

    out = cli_json(cli, *NSI_EVENTS)
    values = {"eps_ee_uV": 0.05, "eps_ee_dV": -0.02, "mu_nu_mu": 2e-9}
    python = load_experiment("coherent-csi-2017").binned_counts(values)
    assert out["total"] == pytest.approx(python.total, rel=1e-12)
    assert out["parameters"] == values
    assert out["by_flavor"]["nu_e"] != pytest.approx(59.08, rel=1e-2)


def test_parameters_table_in_a_toml_file(workdir, tmp_path):
    from cevns.config.experiments import load_experiment

    text = CSI_2017 + '\n[parameters]\neps_ee_uV = 0.05\neps_ee_dV = -0.02\nmu_nu_mu = 2e-9\n'
    path = tmp_path / "nsi.toml"
    path.write_text(text)
    proc = run_cli("events", str(path), "--json", cwd=workdir)
    assert_ok(proc)
    expected = load_experiment("coherent-csi-2017").binned_counts({"eps_ee_uV": 0.05, "eps_ee_dV": -0.02, "mu_nu_mu": 2e-9}).total
    assert json.loads(proc.stdout)["total"] == pytest.approx(expected, rel=1e-12)
    bad = tmp_path / "bad.toml"
    bad.write_text(CSI_2017 + '\n[parameters]\neps_ee_u = 0.05\n')
    assert_user_error(run_cli("events", str(bad), cwd=workdir), "bad.toml", "[parameters]", "eps_ee_uV")


def test_spectrum_with_param_writes_csv(tmp_path):
    out = tmp_path / "mu.csv"
    proc = run_cli("spectrum", "coherent-csi-2017", "--param", "mu_nu_e=1e-8", "--csv", str(out), "--points", "20", cwd=tmp_path)
    assert_ok(proc)
    header = [ln for ln in out.read_text().splitlines() if ln.startswith("#")][-1]
    assert "flavor:nu_e" in header
