"""The fast paths of polynomial grid scans and of the scan store (issue 18): the row-wise
pull χ² of several bins (cevns.stats.scans.RowKernel) against the residual form and an
independent linear solve, chunk independence, the new-run base of the chunk store, and the
one-pass summaries."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

from cevns.config.experiments import load_experiment
from cevns.runtime.stores import FILL_PREFIX, ChunkStore, finish_store, read_store, sidecar
from cevns.stats.chi2 import binned_pull_chi2, two_pull_chi2
from cevns.stats.fits import ExperimentLikelihood
from cevns.stats.scans import (
    MOMENT_TOLERANCE,
    ROW_KERNEL_MAX_RATIO,
    MomentKernel,
    PolynomialSignal,
    _exponents,
    chunk_evaluator,
    empty_scan,
    grid_signal,
    moment_kernel,
    row_kernel,
    scan,
)


@pytest.fixture(scope="module")
def csi_energy():
    exp = load_experiment("coherent-csi-2017-energy")
    return ExperimentLikelihood(exp.predictor(), exp.measurement())


def _within(new: np.ndarray, old: np.ndarray) -> float:
    """max |new − old| / max(|old|, 1): the agreement the fast paths promise (χ² units)."""
    err = np.abs(new - old) / np.maximum(np.abs(old), 1.0)
    return float(err.max())


@pytest.mark.parametrize("ranges", [((-1.0, 1.0), (-1.0, 1.0)), ((-0.2, 0.5), (-0.3, 0.3))])
def test_row_kernel_equals_the_residual_form_on_a_12_bin_grid(csi_energy, ranges):
    """CsI 2017 in 12 energy bins, both pulls profiled, a 211 × 300 NSI grid: the row-wise
    kernel against the residual form (GridSignal + TwoPullChi2, the path before) on every
    point, to 1e-12 of max(χ², 1); the wide grid includes points where the pulls absorb
    almost all of the residual (the non-negative-sum branch)."""
    axes = {"eps_ee_uV": np.linspace(*ranges[0], 211), "eps_ee_dV": np.linspace(*ranges[1], 300)}
    evaluate, method = chunk_evaluator(csi_energy, axes)
    assert method == "polynomial" and evaluate.rows is not None
    flat = np.arange(211 * 300)
    chunks = [flat[i : i + 8192] for i in range(0, flat.size, 8192)]
    new = np.concatenate([evaluate(c) for c in chunks])
    old = np.concatenate([evaluate.residual(c) for c in chunks])
    assert _within(new, old) <= 1e-12
    if ranges[0] == (-1.0, 1.0):  # the far branch was taken somewhere
        signal = evaluate.grid(flat)
        kernel = csi_energy.pull_kernel()
        r0 = ((kernel.observed - kernel.background - signal) ** 2 / kernel.variance).sum(axis=1)
        assert np.count_nonzero(r0 > ROW_KERNEL_MAX_RATIO * np.maximum(old, 1.0)) > 100


def test_row_kernel_equals_the_general_solver_at_high_statistics():
    """A synthetic 5-bin experiment with 10⁵–10⁶ events a bin (where r₀ − gᵀA⁻¹g cancels
    most) and a random degree-4 polynomial signal on a 3-D grid: the row-wise kernel
    against binned_pull_chi2 (the general 2 × 2 linear solve, an independent computation)
    at every point."""
    rng = np.random.default_rng(18)
    shape = (4, 3, 700)
    exps = _exponents(3, 4)
    bins = 5
    coef = rng.uniform(-0.05, 0.05, (len(exps), bins)) * 1e5
    coef[0] = rng.uniform(1e5, 1e6, bins)  # the constant term dominates: a signal near the data
    poly = PolynomialSignal(("a", "b", "c"), np.zeros(3), np.ones(3), exps, coef)
    axes = tuple(np.linspace(-1.0, 1.0, n) for n in shape)
    grid = grid_signal(poly, axes)
    background = rng.uniform(1e3, 1e4, bins)
    observed = coef[0] * (1 + rng.normal(0, 0.02, bins)) + background
    sigma_stat = np.sqrt(observed)
    kernel = two_pull_chi2(observed, background, 0.1, 0.2, sigma_stat)
    rows = row_kernel(grid, kernel)
    size = int(np.prod(shape))
    new = np.concatenate([rows(i, min(4096, size - i)) for i in range(0, size, 4096)])
    signal = grid(np.arange(size))
    reference = binned_pull_chi2(observed, signal, background, 0.1, 0.2, sigma_stat).chi2
    assert _within(new, reference) <= 1e-12
    assert _within(new, kernel(signal)) <= 1e-12


def _high_statistics(shape: tuple[int, ...] = (4, 3, 700)):
    """The synthetic 5-bin experiment of the test above (10⁵–10⁶ events a bin, a random
    degree-4 signal on a 3-D grid): its grid signal and pull kernel."""
    rng = np.random.default_rng(18)
    exps = _exponents(3, 4)
    bins = 5
    coef = rng.uniform(-0.05, 0.05, (len(exps), bins)) * 1e5
    coef[0] = rng.uniform(1e5, 1e6, bins)
    poly = PolynomialSignal(("a", "b", "c"), np.zeros(3), np.ones(3), exps, coef)
    grid = grid_signal(poly, tuple(np.linspace(-1.0, 1.0, n) for n in shape))
    background = rng.uniform(1e3, 1e4, bins)
    observed = coef[0] * (1 + rng.normal(0, 0.02, bins)) + background
    return grid, two_pull_chi2(observed, background, 0.1, 0.2, np.sqrt(observed))


def _pieces(size: int, piece: int = 8192) -> list[tuple[int, int]]:
    return [(i, min(piece, size - i)) for i in range(0, size, piece)]


def _extended(moments: MomentKernel, first: int, n: int) -> np.ndarray:
    """χ² at first … first + n − 1 in extended precision (np.longdouble) by the residual
    form, from the same float64 inputs as the moments (√w T of the rows, √w c, √w B, the
    last axis scaled): what the rounding-error bound of MomentKernel is about."""
    ld = np.longdouble
    rows = moments.rows
    kernel, grid = rows.kernel, rows.grid
    assert rows.scaled is not None
    o, j = np.divmod(np.arange(first, first + n), grid.shape[-1])
    y = ((grid.axes[-1] - grid.signal.centre[-1]) / grid.signal.half_width[-1]).astype(ld)
    powers = y[j][:, None] ** np.arange(rows.scaled.shape[2])
    z = (rows.scaled.astype(ld)[o] * powers[:, None, :]).sum(axis=-1)  # (n, bins)
    ct = (rows.root_w * (kernel.observed - kernel.background)).astype(ld)
    beta = (rows.root_w * kernel.background).astype(ld)
    sa, sb = ld(kernel.sigma_alpha), ld(kernel.sigma_beta)
    d = ct - z
    a00 = 1 + sa * sa * (z * z).sum(axis=1)
    a01 = sa * sb * (z * beta).sum(axis=1)
    a11 = 1 + sb * sb * (beta * beta).sum()
    g0 = sa * (z * d).sum(axis=1)
    g1 = sb * (d * beta).sum(axis=1)
    quad = (a11 * g0 * g0 - 2 * a01 * g0 * g1 + a00 * g1 * g1) / (a00 * a11 - a01 * a01)
    return (d * d).sum(axis=1) - quad


def _csi_moments(csi_energy, ranges: tuple[tuple[float, float], tuple[float, float]]) -> Any:
    """The evaluator (a _PolynomialChunks) of a 211 × 300 NSI grid of CsI 2017 in 12 bins."""
    (u0, u1), (d0, d1) = ranges
    axes = {"eps_ee_uV": np.linspace(u0, u1, 211), "eps_ee_dV": np.linspace(d0, d1, 300)}
    evaluate: Any
    evaluate, method = chunk_evaluator(csi_energy, axes, moments=True)
    assert method == "polynomial" and evaluate.moments is not None
    return evaluate


@pytest.mark.parametrize("case", ["csi-wide", "csi-near", "high-statistics"])
def test_moment_kernel_error_bound_is_honest(csi_energy, case):
    """MomentKernel's χ² before any fallback against the same χ² in extended precision
    (80-bit long double, from the same float64 inputs, by the residual form): the measured
    error is within the kernel's rounding-error bound at every point — on CsI 2017 in 12
    bins (a ±1 grid reaching where the pulls absorb almost all of the residual, and a grid
    near the data) and on the synthetic degree-4, 10⁶-events-a-bin 3-D grid."""
    if np.finfo(np.longdouble).eps > 1e-18:
        pytest.skip("np.longdouble is not extended precision on this platform")
    if case == "high-statistics":
        grid, kernel = _high_statistics()
        moments = moment_kernel(row_kernel(grid, kernel))
        assert moments is not None
    else:
        ranges = ((-1.0, 1.0), (-1.0, 1.0)) if case == "csi-wide" else ((-0.2, 0.5), (-0.3, 0.3))
        moments = _csi_moments(csi_energy, ranges).moments
    size = int(np.prod(moments.rows.grid.shape))
    worst = 0.0
    for first, n in _pieces(size):
        values, bound = moments.estimate(first, n)
        exact = _extended(moments, first, n)
        error = np.abs(values.astype(np.longdouble) - exact).astype(float)
        assert np.all(error <= bound)
        worst = max(worst, float(np.max(error / bound)))
    assert worst > 1e-4  # the bound is not vacuous: some point comes within 10⁴ of it


@pytest.mark.parametrize("wide", [True, False])
def test_moment_kernel_falls_back_where_its_bound_is_too_large(csi_energy, wide):
    """On the ±1 CsI grid some points (where the pulls absorb most of the residual) have
    a bound over MOMENT_TOLERANCE × max(χ², 1): exactly those take RowKernel's value (bit
    for bit), all others the moments' value; on the grid near the data none does. Every
    value is within 1e-12 of max(χ², 1) of the residual form and of RowKernel."""
    ranges = ((-1.0, 1.0), (-1.0, 1.0)) if wide else ((-0.2, 0.5), (-0.3, 0.3))
    evaluate = _csi_moments(csi_energy, ranges)
    moments, rows = evaluate.moments, evaluate.rows
    size = 211 * 300
    back = 0
    for first, n in _pieces(size):
        raw, bound = moments.estimate(first, n)
        values = evaluate(np.arange(first, first + n))
        bad = moments.fallback(first, n)
        assert np.array_equal(bad, np.flatnonzero(~(bound <= MOMENT_TOLERANCE * np.maximum(raw, 1.0))))
        keep = np.ones(n, dtype=bool)
        keep[bad] = False
        assert values[keep].tobytes() == raw[keep].tobytes()
        if bad.size:
            assert values[bad].tobytes() == rows.at(first, bad).tobytes()
        assert _within(values, evaluate.residual(np.arange(first, first + n))) <= 1e-12
        assert _within(values, rows(first, n)) <= 1e-12
        back += bad.size
    if wide:
        assert 0 < back < 0.3 * size
    else:
        assert back == 0


def test_moment_kernel_equals_the_general_solver_at_high_statistics():
    """The synthetic degree-4 grid (P = 5, 10⁵–10⁶ events a bin) through MomentKernel
    against binned_pull_chi2 (the general 2 × 2 linear solve) at every point."""
    grid, kernel = _high_statistics()
    moments = moment_kernel(row_kernel(grid, kernel))
    assert moments is not None and moments.coefficients.shape[2] == 9
    size = int(np.prod(grid.shape))
    new = np.concatenate([moments(i, n) for i, n in _pieces(size, 4096)])
    signal = grid(np.arange(size))
    reference = binned_pull_chi2(kernel.observed, signal, kernel.background, 0.1, 0.2, np.sqrt(kernel.variance)).chi2
    assert _within(new, reference) <= 1e-12


def test_moment_kernel_is_opt_in(csi_energy):
    """By default the evaluator keeps RowKernel (the moments' tables cost more to build
    than one pass of it); moments=True adds them, with values within 1e-12 of it."""
    axes = {"eps_ee_uV": np.linspace(-0.2, 0.5, 40), "eps_ee_dV": np.linspace(-0.3, 0.3, 300)}
    plain: Any
    plain, _ = chunk_evaluator(csi_energy, axes)
    assert plain.rows is not None and plain.moments is None
    evaluate = _csi_moments(csi_energy, ((-0.2, 0.5), (-0.3, 0.3)))
    flat = np.arange(211 * 300)
    assert _within(evaluate(flat), evaluate.rows(0, flat.size)) <= 1e-12


def test_moment_kernel_values_do_not_depend_on_the_chunks(csi_energy):
    """With the moments, too, every chunk evaluates the same 8192-point pieces: bit for bit."""
    axes = {"eps_ee_uV": np.linspace(-1.0, 1.0, 300), "eps_ee_dV": np.linspace(-1.0, 1.0, 500)}
    evaluate, _ = chunk_evaluator(csi_energy, axes, moments=True)
    size = 300 * 500
    whole = [evaluate(np.arange(i, min(i + 65536, size))) for i in range(0, size, 65536)]
    small = [evaluate(np.arange(i, min(i + 8192, size))) for i in range(0, size, 8192)]
    assert np.concatenate(whole).tobytes() == np.concatenate(small).tobytes()


def test_moment_kernel_needs_an_evenly_spaced_last_axis(csi_energy):
    """A last axis that is not evenly spaced has no common table of tᵏ: RowKernel alone,
    same values as the residual form."""
    axes = {"eps_ee_uV": np.linspace(-0.2, 0.5, 40), "eps_ee_dV": np.linspace(-0.3, 0.3, 300) ** 3}
    evaluate: Any
    evaluate, _ = chunk_evaluator(csi_energy, axes, moments=True)
    assert evaluate.rows is not None and evaluate.moments is None
    flat = np.arange(40 * 300)
    assert _within(evaluate(flat), evaluate.residual(flat)) <= 1e-12


def test_row_kernel_values_do_not_depend_on_the_chunks(csi_energy):
    """The same 4096-point pieces whatever the chunk (8192, 65536, a resumed run's
    pieces): bit for bit, as scan promises."""
    axes = {"eps_ee_uV": np.linspace(-1.0, 1.0, 300), "eps_ee_dV": np.linspace(-1.0, 1.0, 500)}
    evaluate, _ = chunk_evaluator(csi_energy, axes)
    size = 300 * 500
    whole = [evaluate(np.arange(i, min(i + 65536, size))) for i in range(0, size, 65536)]
    small = [evaluate(np.arange(i, min(i + 8192, size))) for i in range(0, size, 8192)]
    assert np.concatenate(whole).tobytes() == np.concatenate(small).tobytes()


def test_one_bin_and_short_rows_keep_the_residual_form(csi_energy):
    exp = load_experiment("coherent-csi-2017")
    one = ExperimentLikelihood(exp.predictor(), exp.measurement())
    evaluate, _ = chunk_evaluator(one, {"eps_ee_uV": np.linspace(-1, 1, 50), "eps_ee_dV": np.linspace(-1, 1, 300)})
    assert evaluate.rows is None  # one bin: r²/D in place is already the cheapest
    evaluate, _ = chunk_evaluator(csi_energy, {"eps_ee_uV": np.linspace(-1, 1, 500), "eps_ee_dV": np.linspace(-1, 1, 20)})
    assert evaluate.rows is None  # 20 points a row: a matrix product per row would cost more


def test_new_run_base_holds_the_first_chunk_only(tmp_path):
    """ChunkStore.create with fills: the base holds χ² as its value, its shape and the
    first chunk (a few kB, not 8 bytes a point); read_store rebuilds the arrays with the
    journalled chunks; the final file is a plain NPZ."""
    shape = (300, 400)
    chi2 = np.full(shape, np.nan)
    done = np.zeros(shape, dtype=bool)
    values = np.random.default_rng(5).chisquare(2.0, chi2.size)
    config = {"case": "fills"}
    path = tmp_path / "s.npz"

    def arrays() -> dict[str, np.ndarray]:
        return {"chi2": chi2, "done": done}

    first = np.arange(1000)
    chi2.reshape(-1)[first], done.reshape(-1)[first] = values[first], True
    store = ChunkStore.create(path, config, arrays(), {"chi2": np.nan}, first)
    assert path.stat().st_size < chi2.size * 2  # done (1 byte a point) and the chunk, no χ² array
    with np.load(path) as f:
        assert "chi2" not in f.files and FILL_PREFIX + "chi2" in f.files and int(f["done"].sum()) == 1000
    got = read_store(path, config, ("chi2", "done"))
    assert got["chi2"].tobytes() == chi2.tobytes() and np.array_equal(got["done"], done)
    second = np.arange(1000, 5000)
    chi2.reshape(-1)[second], done.reshape(-1)[second] = values[second], True
    store.append(second, {"chi2": values[second], "done": np.ones(second.size, dtype=bool)})
    got = read_store(path, config, ("chi2", "done"))
    assert got["chi2"].tobytes() == chi2.tobytes() and np.array_equal(got["done"], done)
    finish_store(path, config, arrays())
    assert not sidecar(path).exists()
    with np.load(path) as f:
        assert f["chi2"].tobytes() == chi2.tobytes() and np.array_equal(f["done"], done)


def test_allowed_is_ranges_and_open_ends_in_one_pass(csi_energy):
    axes = {"eps_ee_uV": np.linspace(-0.3, 0.6, 61), "eps_ee_dV": np.linspace(-0.4, 0.4, 53)}
    state = scan(csi_energy, empty_scan(axes))
    assert state.allowed() == (state.allowed_ranges(), state.allowed_open())


def test_cli_scan_file_is_the_same_with_the_light_base(tmp_path):
    """`cevns scan` end to end (new base, chunks appended, final plain NPZ): equal to the
    evaluator's values on the whole grid."""
    from cevns.cli import main

    out = tmp_path / "s.npz"
    code = main(["scan", "coherent-csi-2017-energy", "--param", "eps_ee_uV=-1:1:151", "--param", "eps_ee_dV=-1:1:140",
                 "--out", str(out), "--json"])
    assert code in (0, None)
    exp = load_experiment("coherent-csi-2017-energy")
    lk = ExperimentLikelihood(exp.predictor(), exp.measurement())
    evaluate, _ = chunk_evaluator(lk, {"eps_ee_uV": np.linspace(-1, 1, 151), "eps_ee_dV": np.linspace(-1, 1, 140)})
    expected = np.concatenate([evaluate(np.arange(i, min(i + 8192, 151 * 140))) for i in range(0, 151 * 140, 8192)])
    with np.load(out) as f:
        assert f["done"].all() and f["chi2"].reshape(-1).tobytes() == expected.tobytes()
    assert not os.path.exists(sidecar(out))


def test_journals_with_sha256_lines_still_resume(tmp_path):
    """Chunk journals of earlier versions carry SHA-256 checksums: still read (and a
    changed byte still refused); new lines carry CRC-32."""
    import hashlib
    import json

    shape = (20, 30)
    chi2, done = np.full(shape, np.nan), np.zeros(shape, dtype=bool)
    config = {"case": "sha256"}
    path = tmp_path / "s.npz"
    store = ChunkStore.create(path, config, {"chi2": chi2, "done": done})
    store.append(np.arange(10, 50), {"chi2": np.arange(40.0), "done": np.ones(40, dtype=bool)})
    journal = sidecar(path) / "chunks.jsonl"
    entry = json.loads(journal.read_text())
    assert "crc32" in entry and "sha256" not in entry
    blob = (sidecar(path) / "chunks.bin").read_bytes()[entry["offset"] : entry["offset"] + entry["length"]]
    del entry["crc32"]
    journal.write_text(json.dumps({**entry, "sha256": hashlib.sha256(blob).hexdigest()}) + "\n")
    got = read_store(path, config, ("chi2", "done"))
    assert np.array_equal(got["chi2"].reshape(-1)[10:50], np.arange(40.0)) and int(got["done"].sum()) == 40
    journal.write_text(json.dumps({**entry, "sha256": hashlib.sha256(blob + b"x").hexdigest()}) + "\n")
    assert int(read_store(path, config, ("chi2", "done"))["done"].sum()) == 0
