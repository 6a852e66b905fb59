"""Regression tests for bugs of the command line: the spectrum plot of a time-binned
experiment, detector arrays with a time-binned member, and the isotope ``cevns
kinematics`` quotes for an element."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.cli_run import run_cli as _run

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- spectrum --plot of a time-binned experiment ------------------------------------------
def test_spectrum_plot_of_a_time_binned_experiment(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    plot = tmp_path / "p.png"
    rc, out, err = _run(capsys, "spectrum", "coherent-csi-2017-time", "--plot", str(plot), "--points", "20")
    assert rc == 0, err
    assert plot.read_bytes().startswith(PNG_MAGIC)
    assert out.strip() == f"wrote {plot}"


def test_spectrum_figure_panels_of_a_time_binned_experiment(monkeypatch):
    """The observable panel shows the counts summed over time, a third panel the counts per
    time bin summed over the observable; both add up to the total."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    from cevns.config.experiments import load_experiment
    from cevns.plotting import spectrum_figure

    exp = load_experiment("coherent-csi-2017-time")
    counts = exp.binned_counts()
    assert counts.time_edges_s is not None and counts.cells.shape == (1, 12)
    recoil = np.linspace(0.5, 30.0, 20)
    rates = exp.differential_rates(recoil)
    by_flavor = {f: sum(r[f] for r in rates.values()) for f in counts.flavors}
    fig = spectrum_figure("t", recoil, by_flavor, counts)
    _, ax_obs, ax_time = fig.axes
    energy_values, energy_edges, _ = ax_obs.patches[0].get_data()
    np.testing.assert_allclose(energy_edges, counts.edges)
    np.testing.assert_allclose(energy_values, [counts.total], rtol=1e-12)
    time_values, time_edges_us, _ = ax_time.patches[0].get_data()
    np.testing.assert_allclose(time_edges_us, np.arange(13) * 0.5, atol=1e-9)  # the file's 0.5-µs bins
    np.testing.assert_allclose(time_values, counts.cells[0], rtol=1e-12)
    assert time_values.sum() == pytest.approx(counts.total, rel=1e-12)
    # an energy-binned experiment keeps two panels
    plain = load_experiment("coherent-csi-2017")
    plain_counts = plain.binned_counts()
    assert len(spectrum_figure("e", recoil, by_flavor, plain_counts).axes) == 2


# --- arrays with a time-binned member -----------------------------------------------------
ARRAY = """
name = "csi-time-array"
description = "CsI 2017 binned in arrival time next to CsI 2017 in PE, one flux systematic"

[[member]]
experiment = "coherent-csi-2017-time"
label = "csi-time"

[[member]]
experiment = "coherent-csi-2017"
label = "csi"

[systematics]
background_fraction = 0.1
sources = {{ flux = 0.1 }}
{data}
"""

# per 0.5-µs bin for the time member (made-up, all > 0), one counting total for the other
TIME_OBSERVED = [5.0, 46.0, 27.0, 18.0, 3.0, 2.0, 11.0, 16.0, 1.0, 1.0, 6.0, 12.0]
TOTAL_OBSERVED = 142.0


def _covariance_chi2(expected: np.ndarray, theory: np.ndarray, f_bg: float, fractions: np.ndarray) -> float:
    """Galindo-Uribarri, Miranda, Sanchez Garcia, arXiv:2011.10230, Eqs. 5-6, written out:
    σ²_ij = δ_ij (1 + f_bg) N^exp_i + Σ_k f_k N^exp_i f_k N^exp_j (one source, correlated
    across all entries), χ² = (N^th − N^exp)ᵀ σ⁻² (N^th − N^exp)."""
    sigma_k = fractions * expected
    cov = np.diag((1 + f_bg) * expected) + np.outer(sigma_k, sigma_k)
    r = theory - expected
    return float(r @ np.linalg.solve(cov, r))


@pytest.fixture(scope="module")
def predictions():
    from cevns.config.experiments import load_experiment

    time_cells = load_experiment("coherent-csi-2017-time").binned_counts().per_bin
    plain = load_experiment("coherent-csi-2017").binned_counts()
    assert time_cells.size == 12 and plain.per_bin.size > 1
    return time_cells, plain.total


@pytest.mark.parametrize("per_bin", [True, False], ids=["time-member-per-bin", "time-member-total"])
def test_array_with_a_time_binned_member(tmp_path, predictions, per_bin):
    """Each time bin is an entry of the χ² vector (or the member's total over the time bins
    is one entry); χ² equals the covariance χ² written out here."""
    from cevns.stats.array_files import load_array

    time_cells, plain_total = predictions
    time_data = TIME_OBSERVED if per_bin else sum(TIME_OBSERVED)
    path = tmp_path / "array.toml"
    path.write_text(ARRAY.format(data=f"[data]\nobserved = [{json.dumps(time_data)}, {TOTAL_OBSERVED}]\n"))
    array = load_array(str(path))
    assert array.members[0].bins == 12
    lk = array.likelihood()
    expected = np.array([*np.atleast_1d(time_data), TOTAL_OBSERVED])
    theory = np.array([*(time_cells if per_bin else [time_cells.sum()]), plain_total])
    assert lk.signal().shape == expected.shape
    np.testing.assert_allclose(lk.signal(), theory, rtol=1e-12)
    assert lk.chi2() == pytest.approx(_covariance_chi2(expected, theory, 0.1, np.full(expected.size, 0.1)), rel=1e-10)


def test_fit_of_an_array_with_a_time_binned_member(tmp_path, capsys):
    """Asimov: the array reproduces its own prediction (χ²_min = 0 at the SM value); with
    data, χ²_min is at most χ² at the start value."""
    from cevns.physics.cross_sections import SIN2_THETA_W_LOW_ENERGY
    from cevns.stats.array_files import load_array

    forecast = tmp_path / "forecast.toml"
    forecast.write_text(ARRAY.format(data=""))
    rc, out, err = _run(capsys, "fit", str(forecast), "--free", "sin2_theta_w", "--asimov", "--json", "--points", "11")
    assert rc == 0, err
    result = json.loads(out)
    assert result["chi2_min"] == pytest.approx(0.0, abs=1e-8)
    assert result["best_fit"]["sin2_theta_w"] == pytest.approx(SIN2_THETA_W_LOW_ENERGY, abs=1e-4)

    measured = tmp_path / "measured.toml"
    measured.write_text(ARRAY.format(data=f"[data]\nobserved = [{json.dumps(TIME_OBSERVED)}, {TOTAL_OBSERVED}]\n"))
    rc, out, err = _run(capsys, "fit", str(measured), "--free", "sin2_theta_w", "--json", "--points", "11")
    assert rc == 0, err
    result = json.loads(out)
    at_start = load_array(str(measured)).likelihood().chi2()
    assert result["chi2_min"] <= at_start + 1e-9
    assert result["statistic"] == "covariance-chi2"


# --- kinematics of an element -------------------------------------------------------------
def _t_max_kev(enu: float, mass: float) -> float:
    """T_max = 2E²/(M + 2E), in keV (E, M in MeV)."""
    return 2 * enu**2 / (mass + 2 * enu) * 1e3


def test_kinematics_of_an_element_uses_the_most_abundant_isotope(capsys):
    rc, out, err = _run(capsys, "kinematics", "--nucleus", "Ar", "--enu", "30", "--json")
    assert rc == 0, err
    result = json.loads(out)
    assert list(result["isotopes"]) == ["36Ar", "38Ar", "40Ar"]
    assert result["isotope"] == "40Ar"
    assert result["isotope_fraction"] == pytest.approx(0.996, abs=0.001)  # natural argon, IUPAC
    mass_40 = result["isotopes"]["40Ar"]["mass_MeV"]
    assert mass_40 == pytest.approx(39.9624 * 931.494 - 18 * 0.511, rel=1e-5)
    assert result["recoil_max_keV"] == pytest.approx(_t_max_kev(30.0, mass_40), rel=1e-9)
    assert result["recoil_max_keV"] != pytest.approx(result["isotopes"]["36Ar"]["recoil_max_keV"], rel=1e-3)


def test_kinematics_text_names_the_isotope(capsys):
    rc, out, err = _run(capsys, "kinematics", "--nucleus", "Ar", "--enu", "30")
    assert rc == 0, err
    first, *rows = out.splitlines()
    _, json_out, _ = _run(capsys, "kinematics", "--nucleus", "Ar", "--enu", "30", "--json")
    assert first == f"Ar: most abundant isotope 40Ar (99.6 % of the nuclei), recoil_max_keV {json.loads(json_out)['recoil_max_keV']:.6g}"
    assert [r.split(":")[0] for r in rows] == ["36Ar", "38Ar", "40Ar"]


@pytest.mark.parametrize("nucleus, isotope", [("133Cs", "133Cs"), ("CsI", "133Cs"), ("Ge", "74Ge"), ("Xe", "132Xe")])
def test_kinematics_isotope(capsys, nucleus, isotope):
    """One isotope: itself; CsI: one of each, the first; natural Ge and Xe: ⁷⁴Ge (36.5 %),
    ¹³²Xe (26.9 %)."""
    rc, out, err = _run(capsys, "kinematics", "--nucleus", nucleus, "--enu", "50", "--json")
    assert rc == 0, err
    result = json.loads(out)
    assert result["isotope"] == isotope
    assert result["recoil_max_keV"] == result["isotopes"][isotope]["recoil_max_keV"]
    if nucleus == "CsI":
        assert result["isotope_fraction"] == pytest.approx(0.5, rel=1e-12)
