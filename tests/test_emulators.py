"""Verified emulators of the signal in one non-polynomial parameter (cevns.stats.emulators).

The accuracy is tested, not assumed: every accepted emulator is compared here with full
predictions at fresh random points (another seed than its own check) to its stated
tolerance, for the neutron radius and a Z′ mass on COHERENT CsI 2017 and Δm²₄₁ on the
Dresden-II reactor experiment; a deliberately coarse emulator over an oscillating Δm²₄₁
range must be refused; scans with and without the emulator agree within the tolerance,
and with it disabled they are the per-point values bit for bit.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cevns.cli import main
from cevns.config.experiments import load_experiment
from cevns.errors import InputError
from cevns.stats.emulators import (
    FLOOR,
    RTOL,
    EmulatedChunks,
    barycentric_matrix,
    build_emulator,
    chebyshev_coefficients,
    emulated_evaluator,
    lobatto,
    report_of,
)
from cevns.stats.fits import ExperimentLikelihood
from cevns.stats.scans import chunk_evaluator, empty_scan, scan


@pytest.fixture(scope="module")
def dresden():
    exp = load_experiment("dresden-ii-2022")
    return ExperimentLikelihood(exp.predictor(), exp.measurement())


def _relative(approx: np.ndarray, exact: np.ndarray) -> float:
    """The emulators' stated error measure, recomputed here: per bin against
    max(|s_b|, FLOOR × the largest bin)."""
    scale = np.maximum(np.abs(exact), FLOOR * np.abs(exact).max(axis=-1, keepdims=True))
    return float(np.max(np.abs(approx - exact) / scale))


def _fresh_check(lk, emu, x_range, poly_ranges=None, n=12, seed=99):
    """Emulator vs full predictions at n fresh random points (seed ≠ the emulator's)."""
    rng = np.random.default_rng(seed)
    lo, hi = x_range
    t = rng.uniform(np.log(lo), np.log(hi), n) if emu.transform == "log" else rng.uniform(lo, hi, n)
    x = np.exp(t) if emu.transform == "log" else t
    names = tuple(poly_ranges or {})
    y = np.column_stack([rng.uniform(*poly_ranges[k], n) for k in names]) if names else None
    exact = np.stack([lk.signal({emu.name: float(x[i]), **({} if y is None else dict(zip(names, map(float, y[i]))))})
                      for i in range(n)])
    return _relative(emu(x, y), exact)


# --- interpolation itself ----------------------------------------------------------------------
def test_barycentric_interpolation_is_exact_for_polynomials_and_converges_for_analytic_functions():
    """Chebyshev–Lobatto interpolation with n + 1 points reproduces any polynomial of
    degree ≤ n (to rounding) and e^x to machine precision with 16 intervals (the error of
    analytic functions falls geometrically, Trefethen ATAP Thm 8.2); a point on a node
    takes the node's value exactly."""
    nodes, w = lobatto(8)
    at = np.linspace(-1, 1, 101)
    poly = np.polynomial.Polynomial([0.3, -1.0, 2.0, 0.5, -0.7, 1.1, 0.0, 0.2, -0.4])
    np.testing.assert_allclose(barycentric_matrix(nodes, w, at) @ poly(nodes), poly(at), rtol=0, atol=1e-13)
    nodes16, w16 = lobatto(16)
    np.testing.assert_allclose(barycentric_matrix(nodes16, w16, at) @ np.exp(nodes16), np.exp(at), rtol=1e-14)
    np.testing.assert_allclose(barycentric_matrix(nodes, w, at) @ np.exp(nodes), np.exp(at), rtol=1e-6)  # 8 intervals: ~1e-7
    assert np.array_equal(barycentric_matrix(nodes, w, nodes[[2, 5]]) @ np.arange(9.0), [2.0, 5.0])
    assert np.array_equal(nodes[::2], lobatto(4)[0])  # nested: doubling reuses every point


def test_chebyshev_coefficients_against_closed_forms():
    """T_3 has the single coefficient c_3 = 1; e^x = I_0(1) + 2 Σ_k I_k(1) T_k(x)
    (Abramowitz & Stegun 9.6.34 with t = e^{iθ}), so c_k = 2 I_k(1) for k ≥ 1."""
    from scipy.special import iv

    nodes, _ = lobatto(16)
    c = chebyshev_coefficients(4 * nodes**3 - 3 * nodes)
    np.testing.assert_allclose(c, np.eye(17)[3], atol=1e-14)
    c = chebyshev_coefficients(np.exp(nodes))
    expected = 2 * iv(np.arange(17), 1.0)
    expected[0] /= 2
    np.testing.assert_allclose(c[:12], expected[:12], rtol=1e-12, atol=1e-15)  # aliasing c_{32-k}: < 1e-20


# --- accuracy of accepted emulators, at fresh points --------------------------------------------
@pytest.mark.parametrize("poly_ranges", [None, {"sin2_theta_w": (0.2, 0.26)}])
def test_neutron_radius_emulator_on_csi_2017(csi, poly_ranges):
    emu = build_emulator(csi, "rn", (4.0, 6.0), poly_ranges)
    assert emu is not None and emu.report.accepted, emu.report
    assert emu.transform == "linear" and emu.report.max_error <= RTOL and emu.report.checks == 8
    assert _fresh_check(csi, emu, (4.0, 6.0), poly_ranges) <= RTOL


@pytest.mark.parametrize("fixed, poly_ranges", [
    ({"zprime_coupling": 1e-4}, None),
    ({}, {"zprime_coupling": (0.0, 1e-4)}),  # counts quartic in g at fixed mass
])
def test_zprime_mass_emulator_on_csi_2017(csi, fixed, poly_ranges):
    """Universal Z′ from 1 MeV to 1 GeV (no resonance in the t channel: the propagator
    1/(q² + M²) is smooth in ln M), emulated in ln M."""
    lk = csi.with_fixed(fixed)
    emu = build_emulator(lk, "zprime_mass", (1.0, 1000.0), poly_ranges)
    assert emu is not None and emu.report.accepted, emu.report
    assert emu.transform == "log"
    assert _fresh_check(lk, emu, (1.0, 1000.0), poly_ranges) <= RTOL


@pytest.mark.parametrize("fixed, poly_ranges", [({"Ue4_sq": 0.1}, None), ({}, {"Ue4_sq": (0.0, 0.2)})])
def test_sterile_dm2_emulator_on_a_reactor_experiment(dresden, fixed, poly_ranges):
    """Δm²₄₁ from 0.1 to 10 eV² at Dresden-II (10.4 m): the spectrum-averaged
    disappearance oscillates over this range, and the emulator refines until it is resolved."""
    lk = dresden.with_fixed(fixed)
    emu = build_emulator(lk, "dm2_41", (0.1, 10.0), poly_ranges)
    assert emu is not None and emu.report.accepted, emu.report
    assert emu.report.nodes > 17  # more than the first level was needed
    assert _fresh_check(lk, emu, (0.1, 10.0), poly_ranges) <= RTOL


def test_a_too_coarse_emulator_is_refused(dresden):
    """Five Chebyshev points over Δm²₄₁ = 1 … 20 eV² cannot follow the oscillation: the
    random check fails and says by how much; a scan with too few points to refine in
    falls back to exact evaluation and carries the refusal."""
    lk = dresden.with_fixed({"Ue4_sq": 0.1})
    emu = build_emulator(lk, "dm2_41", (1.0, 20.0), min_nodes=4, max_nodes=4)
    assert emu is not None and not emu.report.accepted
    assert emu.report.max_error > 100 * RTOL and "exceeds" in emu.report.reason
    assert emu.report.text().startswith("no emulator for dm2_41")
    evaluate, report = emulated_evaluator(lk, {"dm2_41": np.linspace(1.0, 20.0, 60)}, min_nodes=4, max_nodes=4)
    assert evaluate is None and report is not None and not report.accepted
    # 60 points: refinement may spend no more predictions than the grid (33 points reached,
    # not enough for this range) → refused, exact evaluation, bit for bit the per-point χ²
    axes = {"dm2_41": np.linspace(1.0, 20.0, 60)}
    fallback, method = chunk_evaluator(lk, axes)
    assert method == "per-point" and not report_of(fallback).accepted and report_of(fallback).nodes == 33
    assert np.array_equal(scan(lk, empty_scan(axes)).chi2, [lk.chi2({"dm2_41": float(x)}) for x in axes["dm2_41"]])
    # 200 points allow the refinement that resolves it (129 points in ln Δm²; Δm²₄₁ is
    # emulated in Δm² itself by default, where 65 points resolve it)
    good, report = emulated_evaluator(lk, {"dm2_41": np.linspace(1.0, 20.0, 200)}, transform="log")
    assert good is not None and report is not None and report.accepted and report.nodes == 129
    good, method = chunk_evaluator(lk, {"dm2_41": np.linspace(1.0, 20.0, 200)})
    assert method == "emulated" and report_of(good).accepted and report_of(good).nodes == 65
    assert report_of(good).transform == "linear"


def test_bad_emulator_input(csi):
    with pytest.raises(InputError, match="low < high"):
        build_emulator(csi, "rn", (5.0, 5.0))
    with pytest.raises(InputError, match="takes a name"):
        build_emulator(csi, "zprime_model", (1.0, 2.0))
    with pytest.raises(InputError, match="positive range"):
        build_emulator(csi, "sin2_theta_w", (-0.1, 0.3), transform="log")


# --- scans -----------------------------------------------------------------------------------
@pytest.mark.parametrize("fixed, axes", [
    ({}, {"rn": np.linspace(4.0, 6.0, 41), "sin2_theta_w": np.linspace(0.2, 0.26, 31)}),
    ({}, {"zprime_mass": np.geomspace(5.0, 500.0, 30), "zprime_coupling": np.linspace(0.0, 1e-4, 21)}),
])
def test_emulated_scan_agrees_with_the_exact_scan(csi, fixed, axes):
    lk = csi.with_fixed(fixed)
    evaluate, method = chunk_evaluator(lk, axes)
    assert method == "emulated" and isinstance(evaluate, EmulatedChunks)
    assert report_of(evaluate).accepted and report_of(evaluate).polynomial_axes == (list(axes)[1],)
    fast = scan(lk, empty_scan(axes), prepared=(evaluate, method))
    exact = scan(lk, empty_scan(axes), emulate=False)
    # per-bin signal error ≤ 1e-6 relative: a χ² of ≲ 10² changes by ≲ 1e-4 (it is ~1e-12 in practice)
    np.testing.assert_allclose(fast.chi2, exact.chi2, rtol=1e-6, atol=1e-6)
    assert fast.best() == exact.best()


def test_disabled_emulator_gives_the_per_point_values_bit_for_bit(csi):
    axes = {"rn": np.linspace(4.5, 5.5, 13), "eps_ee_dV": np.linspace(-0.3, 0.3, 11)}
    evaluate, method = chunk_evaluator(csi, axes, emulate=False)
    assert method == "per-point" and report_of(evaluate) is None
    state = scan(csi, empty_scan(axes), emulate=False)
    loop = np.array([[csi.chi2({"rn": float(r), "eps_ee_dV": float(e)}) for e in axes["eps_ee_dV"]] for r in axes["rn"]])
    assert np.array_equal(state.chi2, loop)
    assert chunk_evaluator(csi, axes)[1] == "emulated"  # and on by default


def _cli(capsys, *args):
    rc = main(list(args))
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def test_cli_scan_records_the_path_and_exact_disables_it(capsys, tmp_path):
    args = ("scan", "coherent-csi-2017", "--param", "rn=4.4:5.6:61", "--param", "sin2_theta_w=0.2:0.26:7", "--json")
    rc, out, err = _cli(capsys, *args, "--out", str(tmp_path / "e.npz"))
    assert rc == 0, err
    emulated = json.loads(out)["evaluation"]
    assert emulated["method"] == "emulated" and emulated["emulator"]["accepted"]
    assert emulated["emulator"]["max_error"] <= emulated["emulator"]["rtol"] == RTOL
    assert "emulator for rn" in err and "accepted" in err
    rc, out, err = _cli(capsys, *args, "--exact", "--out", str(tmp_path / "x.npz"))
    assert rc == 0, err
    assert json.loads(out)["evaluation"] == {"method": "per-point", "emulator": None}
    with np.load(tmp_path / "e.npz") as e, np.load(tmp_path / "x.npz") as x:
        np.testing.assert_allclose(e["chi2"], x["chi2"], rtol=1e-6, atol=1e-6)
    rc, out, _ = _cli(capsys, *args[:-1], "--out", str(tmp_path / "t.npz"))
    assert rc == 0 and "evaluation: emulated (emulator for rn" in out


def test_long_axes_are_interpolated_chunk_by_chunk(csi, monkeypatch):
    """An axis too long for a whole-axis table (memory bounded) gives the same χ²."""
    import cevns.stats.emulators as emulators

    axes = {"rn": np.linspace(4.0, 6.0, 3001)}
    evaluate, method = chunk_evaluator(csi, axes)
    assert method == "emulated" and evaluate.table is not None
    monkeypatch.setattr(emulators, "_TABLE_MAX", 0)
    chunked = EmulatedChunks(csi, evaluate.emulator, evaluate.axes, evaluate.order)
    assert chunked.table is None
    flat = np.random.default_rng(5).permutation(3001)[:500]
    np.testing.assert_allclose(chunked(flat), evaluate(flat), rtol=1e-13, atol=1e-13)


# --- low-rank node evaluation (fewer full predictions per node) ---------------------------------
@pytest.mark.parametrize("case", ["sterile", "zprime"])
def test_low_rank_nodes_spend_fewer_predictions_and_match_the_full_probes(csi, dresden, case):
    """At fixed Δm²₄₁ the Dresden-II counts are A − 4|U_e4|²(1 − |U_e4|²) B(Δm²)
    (arXiv:2011.10230, Eq. 8): one direction of the quadratic's coefficients varies, so a
    node past the first level costs one full prediction, not three; a Z′ (Q_W + g² f(M, q),
    arXiv:1711.09773, Eq. 9) has two varying directions of the quartic's five. The
    coefficients at every node equal those from all probes (independent full solve) to
    10⁻⁹ of each bin's scale, and the count of predictions is exactly what that costs."""
    import cevns.stats.emulators as emulators

    if case == "sterile":
        lk, name, x_range, poly, probes, rank = dresden, "dm2_41", (0.1, 10.0), {"Ue4_sq": (0.0, 0.2)}, 3, 1
    else:
        lk, name, x_range, poly, probes, rank = csi, "zprime_mass", (1.0, 1000.0), {"zprime_coupling": (0.0, 1e-4)}, 5, 2
    emu = build_emulator(lk, name, x_range, poly)
    assert emu is not None and emu.report.accepted and emu.reduced
    nodes = emu.report.nodes
    assert emu.report.predictions == 9 * probes + (nodes - 9) * rank + 8
    st = emulators._structure(emu.poly, np.random.default_rng(emulators.SEED))
    for k in (1, nodes // 3, nodes - 2):  # nodes of the later levels (odd indices are new after level 1)
        x = float(np.exp(emu.nodes[k]) if emu.transform == "log" else emu.nodes[k])
        x = min(max(x, x_range[0]), x_range[1])
        full = emulators._node_coefficients(lk, name, x, st)
        scale = np.maximum(np.abs(full).max(axis=0), FLOOR * np.abs(full).max())
        assert np.max(np.abs(emu.coefficients[k] - full) / scale) <= 1e-9
    assert _fresh_check(lk, emu, x_range, poly) <= RTOL


class _Hidden:
    """A signal s = A + y f(x) + y² g(x) whose y² coefficient g vanishes at the nine
    first-level nodes (g is their nodal polynomial): the first level shows one varying
    direction, which is false between the nodes."""

    def __init__(self) -> None:
        self.nodes = 5.0 + np.cos(np.pi * np.arange(9) / 8)

    def signal(self, values):
        x, y = float(values["rn"]), float(values["sin2_theta_w"])
        g = 50.0 * float(np.prod(x - self.nodes))
        return np.array([10.0 + y * np.sin(x) + y * y * g, 5.0 + y * x + y * y * g, 1.0 + y * y * g])


def test_a_refused_low_rank_emulator_is_rebuilt_with_every_probe():
    """The random check catches the false low rank (same acceptance rule), and the emulator
    is built again with all probes at every node: accepted, exact against the closed form,
    and the report counts the predictions of both builds."""
    from cevns.stats.scans import PolynomialSignal

    lk = _Hidden()
    shell = PolynomialSignal(("sin2_theta_w",), np.array([0.5]), np.array([0.5]), np.array([[0], [1], [2]]), np.zeros((3, 3)))
    emu = build_emulator(lk, "rn", (4.0, 6.0), {"sin2_theta_w": (0.0, 1.0)}, structure=shell)
    assert emu is not None and emu.report.accepted and not emu.reduced
    assert emu.report.predictions > emu.report.nodes * 3 + 8  # the refused low-rank build is counted too
    rng = np.random.default_rng(3)
    x, y = rng.uniform(4.0, 6.0, 20), rng.uniform(0.0, 1.0, 20)
    exact = np.stack([lk.signal({"rn": a, "sin2_theta_w": b}) for a, b in zip(x, y)])
    assert _relative(emu(x, y[:, None]), exact) <= RTOL
