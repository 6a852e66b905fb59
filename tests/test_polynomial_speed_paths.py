"""The fast paths of polynomial grid scans and of the scan store (issue 18): the row-wise
pull χ² of several bins (cevns.stats.scans.RowKernel) against the residual form and an
independent linear solve, chunk independence, the new-run base of the chunk store, and the
one-pass summaries."""

from __future__ import annotations

import os

import numpy as np
import pytest

from cevns.config.experiments import load_experiment
from cevns.stats import scans
from cevns.runtime.stores import FILL_PREFIX, ChunkStore, finish_store, read_store, sidecar
from cevns.stats.chi2 import binned_pull_chi2, two_pull_chi2
from cevns.stats.fits import ExperimentLikelihood
from cevns.stats.scans import (
    GridSignal,
    PolynomialSignal,
    _exponents,
    chunk_evaluator,
    empty_scan,
    grid_signal,
    row_kernel,
    scan,
)


#: r₀/max(χ², 1) beyond which the pulls absorb over 99.5 % of the residual sum r₀, where
#: the form r₀ − gᵀA⁻¹g would lose ≈ 200 × 4u of max(χ², 1) to the subtraction.
PULLS_ABSORB_RATIO = 200.0


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
    almost all of the residual (where r₀ − gᵀA⁻¹g would cancel)."""
    axes = {"eps_ee_uV": np.linspace(*ranges[0], 211), "eps_ee_dV": np.linspace(*ranges[1], 300)}
    evaluate, method = chunk_evaluator(csi_energy, axes)
    assert method == "polynomial" and evaluate.rows is not None
    flat = np.arange(211 * 300)
    chunks = [flat[i : i + 8192] for i in range(0, flat.size, 8192)]
    new = np.concatenate([evaluate(c) for c in chunks])
    old = np.concatenate([evaluate.residual(c) for c in chunks])
    assert _within(new, old) <= 1e-12
    if ranges[0] == (-1.0, 1.0):  # points where the pulls absorb most of r₀ are included
        signal = evaluate.grid(flat)
        kernel = csi_energy.pull_kernel()
        r0 = ((kernel.observed - kernel.background - signal) ** 2 / kernel.variance).sum(axis=1)
        assert np.count_nonzero(r0 > PULLS_ABSORB_RATIO * np.maximum(old, 1.0)) > 100


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


def test_row_kernel_values_do_not_depend_on_the_chunks(csi_energy):
    """The same 4096-point pieces whatever the chunk (8192, 65536, a resumed run's
    pieces): bit for bit, as scan promises."""
    axes = {"eps_ee_uV": np.linspace(-1.0, 1.0, 300), "eps_ee_dV": np.linspace(-1.0, 1.0, 500)}
    evaluate, _ = chunk_evaluator(csi_energy, axes)
    size = 300 * 500
    whole = [evaluate(np.arange(i, min(i + 65536, size))) for i in range(0, size, 65536)]
    small = [evaluate(np.arange(i, min(i + 8192, size))) for i in range(0, size, 8192)]
    assert np.concatenate(whole).tobytes() == np.concatenate(small).tobytes()


def _synthetic(rng, shape, degree, bins, scale):
    exps = _exponents(len(shape), degree)
    coef = rng.uniform(-0.3, 0.3, (len(exps), bins)) * scale
    coef[0] = rng.uniform(0.5, 1.0, bins) * scale
    poly = PolynomialSignal(tuple("abc"[: len(shape)]), np.zeros(len(shape)), np.ones(len(shape)), exps, coef)
    return grid_signal(poly, tuple(np.linspace(-1.0, 1.0, n) for n in shape))


@pytest.mark.parametrize(
    "case",
    ["no background", "background pull fixed", "data equal to the background", "fewer bins than powers", "one pull only"],
)
def test_row_kernel_edge_cases_against_the_general_solver(case):
    """Cases where the components degenerate: β = 0 (H = 1), σ_β = 0, γ = 0 (no direction
    for the first basis vector), 2 bins with a quartic signal (m = bins < P + 1), σ_α = 0:
    the row kernel against binned_pull_chi2's general linear solve at every point."""
    rng = np.random.default_rng(7)
    bins = 2 if case == "fewer bins than powers" else 6
    grid = _synthetic(rng, (3, 200), 4 if case == "fewer bins than powers" else 2, bins, 50.0)
    background = np.zeros(bins) if case == "no background" else rng.uniform(5.0, 40.0, bins)
    observed = background.copy() if case == "data equal to the background" else grid.signal.coefficients[0] + background + 3.0
    sigma_stat = np.sqrt(np.maximum(observed, 1.0))
    sa = 0.0 if case == "one pull only" else 0.15
    sb = 0.0 if case == "background pull fixed" else 0.3
    kernel = two_pull_chi2(observed, background, sa, sb, sigma_stat)
    rows = row_kernel(grid, kernel)
    assert rows.factors is not None and rows.rho >= 0.0
    new = rows(0, 600)
    reference = binned_pull_chi2(observed, grid(np.arange(600)), background, sa, sb, sigma_stat).chi2
    assert _within(new, reference) <= 1e-12


def test_row_kernel_without_the_row_table(csi_energy, monkeypatch):
    """A grid too large for the tables of all rows factorises its rows block by block as
    the chunks need them: the same values, bit for bit, as the rows factorised once, and
    the same whatever the chunks (pieces over whole rows, one batched product per block of
    columns, and pieces within rows, products row by row)."""
    axes = {"eps_ee_uV": np.linspace(-1.0, 1.0, 90), "eps_ee_dV": np.linspace(-1.0, 1.0, 400)}
    evaluate, _ = chunk_evaluator(csi_energy, axes)
    tabled = evaluate.rows
    assert tabled is not None and tabled.factors is not None
    grid = evaluate.grid
    monkeypatch.setattr(scans, "_FACTOR_TABLE_MAX", 0)  # as for a grid of more rows than the tables hold
    monkeypatch.setattr(scans, "_FACTOR_ROWS", 7)  # blocks of rows that chunks cut across
    bare = row_kernel(GridSignal(grid.signal, grid.axes, grid.shape, grid.powers, grid.coefficients), tabled.kernel)
    assert bare.factors is None and bare.rho == tabled.rho
    size = 90 * 400
    once = np.concatenate([tabled(i, min(8192, size - i)) for i in range(0, size, 8192)])
    small = np.concatenate([bare(i, min(8192, size - i)) for i in range(0, size, 8192)])
    large = np.concatenate([bare(i, min(5000, size - i)) for i in range(0, size, 5000)])
    rowwise = np.concatenate([bare(i, min(300, size - i)) for i in range(0, size, 300)])  # products row by row
    assert small.tobytes() == once.tobytes() and large.tobytes() == once.tobytes() and rowwise.tobytes() == once.tobytes()


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
