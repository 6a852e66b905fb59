"""Feldman–Cousins intervals (G. J. Feldman, R. D. Cousins, Phys. Rev. D 57, 3873 (1998),
arXiv:physics/9711021): critical values against the χ² distribution where Wilks' theorem
is exact, the Poisson intervals of FC Table IV by exact enumeration, resumable and
worker-independent pseudo-experiments, and the ``--method fc`` command line."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from cevns.errors import InputError
from cevns.runtime.parallel import executor
from cevns.runtime.stores import ChunkStore, read_store
from cevns.stats.feldman_cousins import (
    FCResult,
    delta_chi2_grid,
    empty_fc,
    fc_study,
    pseudo_data_sampler,
    run_fc,
    weighted_quantile,
)


# --- closed-form test likelihoods -------------------------------------------------------------
@dataclass(frozen=True)
class Gaussian:
    """x_i ~ N(θ_i, 1) for i = 1..k (θ = ``names``): χ² = Σ (x_i − θ_i)², linear in θ, so
    t = χ²(θ) − min χ² is exactly χ²_k distributed (Wilks exact) away from the grid edges."""

    x: tuple[float, ...]
    names: tuple[str, ...]
    fixed: dict = field(default_factory=dict)

    def signal(self, values=None):
        v = {**self.fixed, **(values or {})}
        return np.array([float(v[n]) for n in self.names])

    def chi2_from_signal(self, signal):
        return np.sum((np.asarray(self.x) - np.asarray(signal)) ** 2, axis=-1)

    def chi2(self, values=None):
        return float(self.chi2_from_signal(self.signal(values)))

    def with_fixed(self, values):
        return replace(self, fixed={**self.fixed, **values})

    def asimov(self, values=None):
        return replace(self, x=tuple(self.signal(values)))


@dataclass(frozen=True)
class GaussianDraw:
    likelihood: Gaussian
    mean: np.ndarray

    def __call__(self, rng, n):
        return [replace(self.likelihood, x=tuple(row)) for row in rng.normal(self.mean, 1.0, size=(n, self.mean.size))]


def gaussian_sampler(likelihood, signal):
    return GaussianDraw(likelihood, np.asarray(signal, dtype=float))


@dataclass(frozen=True)
class Counting:
    """n ~ Pois(μ + b), known b, μ ≥ 0 (the grid starts at 0): the Poisson example of FC Sec. IV.B."""

    n: float
    b: float

    def chi2_from_signal(self, signal):
        lam = np.asarray(signal)[..., 0] + self.b
        with np.errstate(divide="ignore"):
            log_term = self.n * np.log(self.n / lam) if self.n > 0 else 0.0
        return 2.0 * (lam - self.n + log_term)


# --- Wilks exact: FC critical values = χ² quantiles ------------------------------------------
def test_gaussian_critical_values_equal_the_wilks_thresholds():
    """1-D: at θ = 0, grid [−8, 8], 4000 pseudo-experiments: the 68.27% / 90% quantiles of t
    are 1.00 / 2.71 (χ²₁) within 4 standard errors of a sample quantile,
    σ_q = √(p(1−p)/N) / f(q) (f the χ²₁ density); the coverage of the Wilks thresholds is
    p within 4 binomial errors."""
    lk = Gaussian((0.3,), ("theta",))
    study = fc_study(lk, {"theta": np.linspace(-8, 8, 33)}, seed=5, sampler=gaussian_sampler)
    state = empty_fc(study, 4000)
    node = 16  # θ = 0
    state.done[:] = True
    state.done[node] = False
    run_fc(study, state, chunk=1000)
    levels = {"68%": 0.6827, "90%": 0.90}
    crit = state.critical_values(levels)
    cover = state.wilks_coverage(levels)
    for label, p in levels.items():
        q = stats.chi2.ppf(p, 1)
        sigma_q = np.sqrt(p * (1 - p) / 4000) / stats.chi2.pdf(q, 1)
        assert abs(crit[label][node] - q) < 4 * sigma_q, (label, crit[label][node], q, sigma_q)
        assert abs(cover[label][node] - p) < 4 * np.sqrt(p * (1 - p) / 4000)
    # the data's statistic is the closed form (0.3 − θ)²
    np.testing.assert_allclose(state.data, (0.3 - study.axes[0]) ** 2, atol=1e-6)


def test_gaussian_two_parameters():
    """2-D: t ~ χ²₂, 90% quantile 4.61 (Wilks) at the centre of a 17×17 grid, 3000 toys."""
    lk = Gaussian((0.2, -0.4), ("a", "b"))
    axis = np.linspace(-8, 8, 17)
    study = fc_study(lk, {"a": axis, "b": axis}, seed=2, sampler=gaussian_sampler)
    state = empty_fc(study, 3000)
    node = int(np.ravel_multi_index((8, 8), study.shape))
    state.done[:] = True
    state.done[node] = False
    run_fc(study, state, chunk=1500)
    q = stats.chi2.ppf(0.9, 2)
    sigma_q = np.sqrt(0.09 / 3000) / stats.chi2.pdf(q, 2)
    assert abs(state.critical_values({"90%": 0.9})["90%"][8, 8] - q) < 4 * sigma_q
    # t of the data: (0.2 − a)² + (0.4 + b)², the refinement finds the off-grid minimum
    a, b = np.meshgrid(axis, axis, indexing="ij")
    np.testing.assert_allclose(state.data.reshape(17, 17), (0.2 - a) ** 2 + (-0.4 - b) ** 2, atol=1e-6)


# --- Poisson with known background: FC Table IV by exact enumeration ----------------------
#: FC 1998 Table IV (90% C.L. intervals for the Poisson signal mean μ, background b), (n0, low, high).
FC_TABLE_IV = {
    0.0: [(0, 0.00, 2.44), (1, 0.11, 4.36), (2, 0.53, 5.91), (3, 1.10, 7.42), (4, 1.47, 8.60), (5, 1.84, 9.99),
          (6, 2.21, 11.47), (7, 3.56, 12.53)],
    3.0: [(1, 0.00, 1.88), (2, 0.00, 3.04), (3, 0.00, 4.42), (4, 0.00, 5.60), (5, 0.00, 6.99), (6, 0.15, 8.47),
          (7, 0.89, 9.53)],
}


@pytest.mark.parametrize("b", sorted(FC_TABLE_IV))
def test_poisson_intervals_reproduce_feldman_cousins_table_iv(b):
    """The FC construction done with this module's statistic (delta_chi2_grid: the minimum
    over μ' ≥ 0 on the grid) and critical value (weighted_quantile, the probabilities of
    n = 0..59 as weights: an exact enumeration instead of pseudo-experiments), on a μ grid
    of step 0.001: every interval end of FC Table IV to its printed precision (±0.005, plus
    the grid step). n0 = 0 with b = 3 is left out: the plain construction gives 0.95,
    not the printed 1.08 (FC discuss the n0 = 0, b > 0 limits separately in Sec. IV.B)."""
    grid = np.round(np.arange(0.0, 20.0005, 0.001), 9)
    signals = grid[:, None]
    ns = np.arange(60)
    t = np.array([delta_chi2_grid(Counting(float(n), b), signals, (grid.size,)) for n in ns])  # (n, nodes)
    tested = grid <= 13.0
    accepted = np.zeros((ns.size, grid.size), dtype=bool)
    for p in np.flatnonzero(tested):
        weights = stats.poisson.pmf(ns, grid[p] + b)
        accepted[:, p] = t[:, p] <= weighted_quantile(t[:, p], 0.9, weights)
    for n0, low, high in FC_TABLE_IV[b]:
        inside = grid[accepted[n0]]
        assert abs(inside.min() - low) <= 0.0051, (n0, inside.min(), low)
        assert abs(inside.max() - high) <= 0.0061, (n0, inside.max(), high)


def test_weighted_quantile_is_the_inverted_cdf():
    t = np.array([3.0, 1.0, 2.0, 4.0])
    assert weighted_quantile(t, 0.5) == 2.0
    assert weighted_quantile(t, 0.51) == 3.0
    assert weighted_quantile(t, 0.9, np.array([0.1, 0.8, 0.05, 0.05])) == 3.0


# --- resumable, worker-independent ------------------------------------------------------------
def _small_study():
    lk = Gaussian((0.5,), ("theta",))
    return fc_study(lk, {"theta": np.linspace(-3, 3, 7)}, seed=9, sampler=gaussian_sampler)


def test_interrupted_and_resumed_study_is_bit_identical(tmp_path):
    study = _small_study()
    full = run_fc(study, empty_fc(study, 30), chunk=10)
    assert full.complete
    config = {"test": "fc", "seed": 9}
    path = tmp_path / "fc.npz"
    state = empty_fc(study, 30)
    store: list[ChunkStore] = []

    def arrays():
        return {"statistic": state.statistic, "done": state.done}

    def save(index, values):
        if not store:
            store.append(ChunkStore.create(path, config, arrays()))
        else:
            store[0].append(index, {**values, "done": np.ones(index.size, dtype=bool)})

    seen = []

    def stop(current, n_new):
        seen.append(n_new)
        if len(seen) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_fc(study, state, chunk=10, on_chunk=stop, on_part=save)
    stored = read_store(path, config, ("statistic", "done"))
    assert stored["done"].sum() == 50
    resumed = FCResult(study.names, study.axes, stored["statistic"], stored["done"].astype(bool), state.data)
    run_fc(study, resumed, chunk=10)
    np.testing.assert_array_equal(resumed.statistic, full.statistic)
    with executor(workers=2, threads=True) as pool:
        threaded = run_fc(study, empty_fc(study, 30), chunk=10, executor=pool)
    np.testing.assert_array_equal(threaded.statistic, full.statistic)


def test_intervals_and_bad_input():
    study = _small_study()
    state = run_fc(study, empty_fc(study, 200), chunk=100)
    pieces = state.intervals({"90%": 0.9})["90%"]
    assert len(pieces) == 1 and pieces[0][0] < 0.5 < pieces[0][1]
    # roughly 0.5 ± √2.71 = 1.65 (MC critical values, coarse grid)
    assert abs(pieces[0][0] - (0.5 - 1.645)) < 0.5 and abs(pieces[0][1] - (0.5 + 1.645)) < 0.5
    with pytest.raises(InputError):
        fc_study(Gaussian((0.0,), ("theta",)), {"theta": [0.0]})
    with pytest.raises(InputError):
        empty_fc(study, 0)
    with pytest.raises(InputError):
        pseudo_data_sampler(Gaussian((0.0,), ("theta",)), np.zeros(1))


# --- pseudo-data of the package's likelihoods -------------------------------------------------
def test_template_pseudo_data_mean_is_the_profiled_expectation():
    """Binned data with templates: the mean of the pseudo-data is the profiled expectation
    (signal and backgrounds at their profiled normalisations plus b̂), and the off sample's
    mean is τ b̂ (within 5 standard errors of 4000 draws)."""
    from cevns.stats.templates import Axis, Background, TemplateData, TemplateLikelihood, profiled_bin_deviance

    class Flat:
        n_bins = 3

    data = TemplateData("t", (Axis("E", np.arange(4.0), "keV"),), np.array([30.0, 20.0, 12.0]),
                        (Background("brn", np.array([5.0, 3.0, 1.0]), 0.25),), 0.1, off=np.array([40.0, 36.0, 30.0]),
                        off_ratio=4.0)
    lk = TemplateLikelihood.__new__(TemplateLikelihood)
    object.__setattr__(lk, "predictor", Flat())
    object.__setattr__(lk, "data", data)
    object.__setattr__(lk, "fixed", {})
    signal = np.array([15.0, 8.0, 3.0])
    draw = pseudo_data_sampler(lk, signal)
    fit = lk.pulls(signal)
    mu = (1 + fit.pulls[0]) * signal + (1 + fit.pulls[1]) * data.backgrounds[0].counts
    steady = profiled_bin_deviance(mu, data.observed, data.off, data.off_ratio)[3]
    toys = draw(np.random.default_rng(0), 4000)
    on = np.array([t.data.observed for t in toys])
    off = np.array([t.data.off for t in toys])
    assert np.all(np.abs(on.mean(axis=0) - (mu + steady)) < 5 * np.sqrt((mu + steady) / 4000 + 0.3))
    assert np.all(np.abs(off.mean(axis=0) - 4.0 * steady) < 5 * np.sqrt(4.0 * steady / 4000))
    assert float(toys[0].chi2_from_signal(signal)) >= 0.0


# --- command line -----------------------------------------------------------------------------
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(cwd / ".mpl"))
    return subprocess.run([sys.executable, "-m", "cevns.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
