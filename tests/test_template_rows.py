"""The shared template profile with one data set per batch point, and the row-wise line
search of ``cevns.stats.chi2.damped_newton`` (the same steps as halving the whole batch in
order, fewer evaluations): against closed forms, one-point-at-a-time fits and the in-order
search."""

from __future__ import annotations

import numpy as np
import pytest

from cevns.errors import InputError
from cevns.stats.chi2 import RowProblem, damped_newton
from cevns.stats.templates import profiled_poisson_components


def _problem(seed: int = 7, rows: int = 12, bins: int = 9):
    """Random data with a signal and two backgrounds; some rows far above the data, some
    pseudo-data with empty bins (rows pinned at μ = 0)."""
    rng = np.random.default_rng(seed)
    signal = rng.uniform(0.5, 6.0, bins)
    bkg = np.stack([rng.uniform(0.2, 3.0, bins), np.linspace(2.0, 0.1, bins)])
    scales = np.linspace(0.0, 8.0, rows)
    templates = np.concatenate([(scales[:, None] * signal)[:, None, :], np.broadcast_to(bkg, (rows,) + bkg.shape)], axis=1)
    observed = rng.poisson(signal + bkg.sum(axis=0), size=(rows, bins)).astype(float)
    observed[::3, :3] = 0.0
    return templates, observed


def test_per_row_data_equals_one_fit_per_row():
    templates, observed = _problem()
    off = np.random.default_rng(3).poisson(2.0, size=observed.shape).astype(float)
    centres = np.random.default_rng(4).normal(size=(observed.shape[0], 3))
    sig = [0.1, 0.25, 0.5]
    for kwargs in ({}, {"off": off, "off_ratio": 2.0}, {"centres": centres}):
        batch = profiled_poisson_components(observed, templates, sig, **kwargs)
        assert batch.chi2.shape == (observed.shape[0],) and batch.pulls.shape == (observed.shape[0], 3)
        for i in range(observed.shape[0]):
            one = {k: (v[i] if isinstance(v, np.ndarray) else v) for k, v in kwargs.items()}
            alone = profiled_poisson_components(observed[i], templates[i], sig, **one)
            assert batch.chi2[i] == pytest.approx(float(alone.chi2), rel=1e-12, abs=1e-12)
            assert batch.pulls[i] == pytest.approx(alone.pulls, rel=1e-9, abs=1e-12)
            assert bool(batch.converged[i]) == bool(alone.converged)


def test_data_batch_broadcasts_with_templates():
    """Pseudo-experiments (toys, 1, bins) × grid nodes (nodes, K, bins) → (toys, nodes)."""
    templates, observed = _problem(rows=5)
    toys = observed[:4, None, :]
    fit = profiled_poisson_components(toys, templates, [0.1, 0.25, 0.5])
    assert fit.chi2.shape == (4, 5)
    for a in range(4):
        row = profiled_poisson_components(observed[a], templates, [0.1, 0.25, 0.5])
        assert fit.chi2[a] == pytest.approx(row.chi2, rel=1e-12, abs=1e-12)


def test_free_normalisation_closed_form():
    """One template with a free scale (σ = ∞): χ² = 2 Σ n ln(n / (ĉ T)), ĉ = Σn / ΣT."""
    rng = np.random.default_rng(11)
    shape = rng.uniform(1.0, 4.0, 6)
    observed = rng.poisson(3.0 * shape, size=(20, 6)).astype(float) + 1.0
    fit = profiled_poisson_components(observed, shape[None, :], [np.inf])
    c = observed.sum(axis=1, keepdims=True) / shape.sum()
    expected = 2.0 * np.sum(observed * np.log(observed / (c * shape)), axis=1)
    assert fit.chi2 == pytest.approx(expected, rel=1e-10, abs=1e-10)
    # the pulls to √(tol) (the Newton stop is on the decrement, tol × (1 + χ²) with tol = 1e-11)
    assert fit.pulls[:, 0] == pytest.approx(c[:, 0] - 1.0, rel=1e-5)


def test_row_wise_line_search_equals_in_order():
    """The row-wise search (skipped and blocked halvings) takes the steps of the in-order one."""
    templates, observed = _problem(rows=16)
    for sig in ([0.0, 0.25, 0.5], [0.1, 0.25, np.inf]):
        rows = profiled_poisson_components(observed, templates, sig)
        in_order = profiled_poisson_components(observed, templates, sig, row_wise=False)
        assert rows.chi2 == pytest.approx(in_order.chi2, rel=1e-12, abs=1e-12)
        assert rows.pulls == pytest.approx(in_order.pulls, rel=1e-9, abs=1e-12)
        assert np.array_equal(rows.converged, in_order.converged)


def test_damped_newton_subset_same_steps_fewer_evaluations():
    """f(u) = (u − a)² on u ≤ b (∞ beyond): rows with a > b halve towards the wall. The
    row-wise search gives bit-identical iterates and evaluates fewer rows."""
    a = np.array([0.0, 1.0, 5.0, 50.0, -3.0, 2.0])
    b = np.array([10.0, 10.0, 1.0, 1e-9, 10.0, 2.0 - 1e-12])
    counted = {"plain": 0, "rows": 0}

    def make(aa: np.ndarray, bb: np.ndarray, key: str) -> RowProblem:
        def objective(u: np.ndarray) -> tuple[np.ndarray, ...]:
            counted[key] += u.shape[0]
            x = u[:, 0]
            return (np.where(x > bb, np.inf, (x - aa) ** 2),)

        def derivatives(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return 2.0 * (u - aa[:, None]), np.full((u.shape[0], 1, 1), 2.0)

        def refused_beyond(u: np.ndarray, step: np.ndarray) -> np.ndarray:
            with np.errstate(divide="ignore"):
                return np.where(step[:, 0] > 0, 4.0 * (bb - u[:, 0]) / np.where(step[:, 0] > 0, step[:, 0], 1.0), np.inf)

        return RowProblem(objective, derivatives, refused_beyond)

    whole = make(a, b, "plain")
    u0 = np.zeros((a.size, 1))
    start = whole.objective(u0)
    plain = damped_newton(whole.objective, whole.derivatives, u0, start, np.ones(a.size, bool), np.zeros(a.size, bool),
                          30, 1e-14)
    rows = damped_newton(whole.objective, whole.derivatives, u0, start, np.ones(a.size, bool), np.zeros(a.size, bool),
                         30, 1e-14, subset=lambda r: make(a[r], b[r], "rows"))
    assert np.array_equal(plain[0], rows[0]) and np.array_equal(plain[1], rows[1])
    assert np.array_equal(plain[3], rows[3])
    assert rows[0][0, 0] == 0.0 and rows[0][1, 0] == 1.0 and rows[0][4, 0] == -3.0  # interior minima
    assert np.all(rows[0][:, 0] <= b)
    assert counted["rows"] < counted["plain"]


def test_bad_batches_are_input_errors():
    templates, observed = _problem(rows=5)
    with pytest.raises(InputError, match="do not broadcast"):
        profiled_poisson_components(observed[:4], templates, [0.1, 0.25, 0.5])
    with pytest.raises(InputError, match="off sample"):
        profiled_poisson_components(observed, templates, [0.1, 0.25, 0.5], off=np.ones(3))
    with pytest.raises(InputError, match="constraint centres"):
        profiled_poisson_components(observed, templates, [0.1, 0.25, 0.5], centres=np.zeros((4, 3)))


def test_two_pull_poisson_batch_equals_points():
    """profiled_poisson_deviance (row-wise search too) on a (3, 4) batch with points pinned at
    μ = 0 (empty bins, signals far above the data) equals one fit per point."""
    from cevns.stats.chi2 import profiled_poisson_deviance

    rng = np.random.default_rng(5)
    signal = rng.uniform(0.5, 4.0, (3, 4, 6)) * np.linspace(0.0, 6.0, 4)[:, None]
    background = rng.uniform(0.5, 2.0, 6)
    observed = rng.poisson(3.0, 6).astype(float)
    observed[:2] = 0.0
    batch = profiled_poisson_deviance(observed, signal, background, 0.3, 0.2)
    assert batch.chi2.shape == (3, 4) and batch.pulls.shape == (3, 4, 2)
    for i in np.ndindex(3, 4):
        one = profiled_poisson_deviance(observed, signal[i], background, 0.3, 0.2)
        assert batch.chi2[i] == pytest.approx(float(one.chi2), rel=1e-12, abs=1e-12)
        assert batch.pulls[i] == pytest.approx(one.pulls, rel=1e-9, abs=1e-12)
