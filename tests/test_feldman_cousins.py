"""Feldman–Cousins intervals (G. J. Feldman, R. D. Cousins, Phys. Rev. D 57, 3873 (1998),
arXiv:physics/9711021): critical values against the χ² distribution where Wilks' theorem
is exact, the Poisson intervals of FC Table IV by exact enumeration, resumable and
worker-independent pseudo-experiments, and the ``--method fc`` command line."""

from __future__ import annotations

import json
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
class _Flat:
    """A stand-in predictor: only its number of bins is read by TemplateLikelihood."""

    n_bins = 3


def _template(shape: bool = False, name: str = "t"):
    from cevns.stats.templates import Axis, Background, ShapeSystematic, TemplateData, TemplateLikelihood

    shapes = (ShapeSystematic("quenching", np.array([0.1, 0.0, -0.2])),) if shape else ()
    data = TemplateData(name, (Axis("E", np.arange(4.0), "keV"),), np.array([30.0, 20.0, 12.0]),
                        (Background("brn", np.array([5.0, 3.0, 1.0]), 0.25),), 0.1, off=np.array([40.0, 36.0, 30.0]),
                        off_ratio=4.0, shape_systematics=shapes)
    return TemplateLikelihood(_Flat(), data)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [False, True])
def test_template_pseudo_data_mean_is_the_profiled_expectation(shape):
    """Binned data with templates: the mean of the pseudo-data is the profiled expectation
    (signal and backgrounds at their profiled normalisations, the shape shift θ̂ r S, plus
    b̂) and their variance the Poisson one (the pulls are fixed at their profiled values:
    the profile construction), and the off sample's mean is τ b̂ (5 standard errors of
    4000 draws)."""
    from cevns.stats.templates import profiled_bin_deviance

    lk = _template(shape)
    signal = np.array([15.0, 8.0, 3.0])
    fit = lk.pulls(signal)
    a = fit.pulls
    mu = (1 + a[0]) * signal + (1 + a[1]) * lk.data.backgrounds[0].counts
    if shape:
        assert a.size == 3 and abs(a[2]) > 1e-3  # the data pull the shape nuisance
        mu = mu + a[2] * lk.data.shape_systematics[0].relative * signal
    steady = profiled_bin_deviance(mu, lk.data.observed, lk.data.off, lk.data.off_ratio)[3]
    toys = pseudo_data_sampler(lk, signal)(np.random.default_rng(0), 4000)
    on = np.array([t.data.observed for t in toys])
    off = np.array([t.data.off for t in toys])
    assert np.all(np.abs(on.mean(axis=0) - (mu + steady)) < 5 * np.sqrt((mu + steady) / 4000))
    assert np.all(np.abs(on.var(axis=0) / (mu + steady) - 1) < 5 * np.sqrt(2 / 4000))
    assert np.all(np.abs(off.mean(axis=0) - 4.0 * steady) < 5 * np.sqrt(4.0 * steady / 4000))
    assert toys[0].data.shape_systematics == lk.data.shape_systematics


def test_joint_pseudo_data_keep_the_profiled_shared_normalisation():
    """Two template members with a shared 8% signal normalisation, data 20% below the
    prediction in both: each pseudo-experiment is the same combination (members' total σ
    restored), and each member's mean counts are its signal × (1 + s η̂) × (1 + â_own) with
    η̂ the joint's profiled shared pull and â_own the member's own profiled pull (within 5
    standard errors of 3000 draws); the members' counts are independent given η̂."""
    from cevns.stats.joint import JointLikelihood, JointMember, SharedNuisance, signal_sigma

    observed = np.array([240.0, 160.0, 80.0])
    a, b = _template(name="a"), _template(name="b")
    a = replace(a, data=replace(a.data, observed=observed, sigma_signal=0.1, off=None, backgrounds=()))
    b = replace(b, data=replace(b.data, observed=observed, sigma_signal=0.1, off=None, backgrounds=()))
    joint = JointLikelihood((JointMember("a", a), JointMember("b", b)), (SharedNuisance("flux", {"a": 0.08, "b": 0.08}),))
    member_signal = np.array([300.0, 200.0, 100.0])
    eta = float(np.asarray(joint._profile(np.tile(member_signal, 2))[1]).reshape(-1)[0])
    assert eta < -0.5  # the data pull the shared normalisation down
    own = replace(a, data=replace(a.data, sigma_signal=float(np.sqrt(0.1**2 - 0.08**2))))
    scaled = member_signal * (1 + 0.08 * eta)
    expected = scaled * (1 + own.pulls(scaled).pulls[0])
    toys = pseudo_data_sampler(joint, np.tile(member_signal, 2))(np.random.default_rng(1), 3000)
    assert all(type(t) is JointLikelihood and [m.label for m in t.members] == ["a", "b"] for t in toys)
    assert all(signal_sigma(m.likelihood) == 0.1 for m in toys[0].members)
    for k in range(2):
        counts = np.array([t.members[k].likelihood.data.observed for t in toys])
        assert np.all(np.abs(counts.mean(axis=0) - expected) < 5 * np.sqrt(expected / 3000))
    na = np.array([t.members[0].likelihood.data.observed.sum() for t in toys])
    nb = np.array([t.members[1].likelihood.data.observed.sum() for t in toys])
    assert abs(np.corrcoef(na, nb)[0, 1]) < 5 / np.sqrt(3000)
    assert np.isfinite(float(toys[0].chi2_from_signal(np.tile(member_signal, 2))))


# --- command line -----------------------------------------------------------------------------
def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(cwd / ".mpl"))
    return subprocess.run([sys.executable, "-m", "cevns.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_cli_fit_method_fc_and_resume(tmp_path):
    """``cevns fit --method fc`` on the shipped CsI 2017 counting experiment: FC intervals
    next to the Wilks ones; a study cut after half of its chunks, then resumed, equals the
    uninterrupted one bit for bit; a changed seed is refused on resume."""
    from cevns.runtime.stores import write_store

    args = ("fit", "coherent-csi-2017", "--free", "sin2_theta_w", "--points", "11", "--method", "fc", "--toys", "60",
            "--seed", "4", "--json")
    full = _cli(*args, "--out", "f.npz", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    out = json.loads(full.stdout)
    fc = out["feldman_cousins"]
    assert fc["wilks"]["90%"] == pytest.approx(2.7055, abs=1e-4) and fc["toys_per_point"] == 60
    assert set(fc["intervals"]) == set(out["intervals"]["sin2_theta_w"])
    assert len(fc["critical_delta_chi2"]["90%"]) == 11 and fc["intervals"]["90%"]
    with np.load(tmp_path / "f.npz") as f:
        stat = f["statistic"].copy()
        arrays = {k: f[k].copy() for k in f.files if k not in ("config",)}
        config = json.loads(str(f["config"]))
    assert stat.shape == (11, 60) and np.isfinite(stat).all()
    done = np.zeros(stat.shape, dtype=bool)
    done[:6] = True
    write_store(tmp_path / "cut.npz", config, {**arrays, "statistic": np.where(done, stat, np.nan), "done": done})
    resumed = _cli(*args, "--out", "cut.npz", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    with np.load(tmp_path / "cut.npz") as f:
        np.testing.assert_array_equal(f["statistic"], stat)
    assert json.loads(resumed.stdout)["feldman_cousins"] == fc
    other = _cli(*args[:-1], "--seed", "5", "--out", "cut.npz", "--resume", cwd=tmp_path)
    assert other.returncode == 2 and "seed" in other.stderr.splitlines()[-1] and "Traceback" not in other.stderr


def test_cli_scan_method_fc_two_axes_and_bad_input(tmp_path):
    """``cevns scan --method fc`` on two axes: critical values and accepted points per grid
    point in the JSON, the pseudo-experiments stored next to the scan; --free with fc and
    a fit with two free parameters are one-line errors."""
    args = ("scan", "coherent-csi-2017", "--param", "rn=4.6:5.4:3", "--param", "sin2_theta_w=0.2:0.3:3")
    proc = _cli(*args, "--method", "fc", "--toys", "12", "--out", "s.npz", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    fc = json.loads(proc.stdout)["feldman_cousins"]
    assert np.shape(fc["critical_delta_chi2"]["90%"]) == (3, 3) and np.shape(fc["accepted"]["95%"]) == (3, 3)
    assert fc["wilks"]["90%"] == pytest.approx(4.605, abs=1e-3) and "intervals" not in fc
    assert (tmp_path / "s.fc.npz").exists() and fc["out"].endswith("s.fc.npz")
    bad = _cli(*args, "--free", "eps_ee_dV", "--method", "fc", "--out", "b.npz", cwd=tmp_path)
    assert bad.returncode == 2 and "--method fc" in bad.stderr.splitlines()[-1] and "Traceback" not in bad.stderr
    two = _cli("fit", "coherent-csi-2017", "--free", "rn", "--free", "sin2_theta_w", "--method", "fc", "--toys", "5",
               cwd=tmp_path)
    assert two.returncode == 2 and "one --free" in two.stderr.splitlines()[-1]


# --- randomised global observables (constraint centres) --------------------------------------
_S0 = np.array([600.0, 450.0, 300.0, 150.0])


class _Flat4:
    n_bins = 4

_B0 = np.array([100.0, 200.0, 300.0, 400.0])


def _linear_template(sigma_signal: float = 0.2, sigma_background: float = 0.25):
    """A template likelihood whose signal is mu × S0 (linear in the one parameter ``mu``),
    a signal normalisation of ``sigma_signal`` and a background of another shape with
    ``sigma_background``; data: the Asimov set at mu = 1 (every profiled pull 0 there)."""
    from cevns.stats.templates import Axis, Background, TemplateData

    data = TemplateData("linear", (Axis("E", np.arange(5.0), "keV"),), _S0 + _B0,
                        (Background("bkg", _B0.copy(), sigma_background),), sigma_signal)
    return _LinearTemplate(_Flat4(), data)  # type: ignore[arg-type]


def _make_linear_class():
    from cevns.stats.templates import TemplateLikelihood

    @dataclass(frozen=True)
    class _LinearTemplate(TemplateLikelihood):
        def signal(self, values=None):
            return float({**self.fixed, **(values or {})}["mu"]) * _S0

    return _LinearTemplate


_LinearTemplate = _make_linear_class()


def test_randomised_constraint_centres_restore_wilks_for_a_linear_signal():
    """High counts, one parameter entering linearly, a 20% signal normalisation and a 25%
    background (Wilks holds asymptotically): with the constraint centres drawn around the
    profiled pulls (c ~ N(û, 1), the standard construction) the FC critical values at mu = 1
    are the χ²₁ quantiles 1.00 / 2.71 within 4 standard errors of a sample quantile of 1500
    pseudo-experiments; the ensemble with the centres kept at the data's (no systematic
    variance: ``global_observables=False``) gives clearly smaller values (< 0.5 of them; the
    statistical part of the mu uncertainty is small next to the 20% normalisation)."""
    from functools import partial

    lk = _linear_template()
    axis = np.linspace(0.0, 2.5, 11)
    node = 4  # mu = 1
    assert axis[node] == 1.0
    levels = {"68%": 0.6827, "90%": 0.90}
    n = 1500
    randomised = fc_study(lk, {"mu": axis}, seed=3)(node, 0, n)
    fixed = fc_study(lk, {"mu": axis}, seed=3, sampler=partial(pseudo_data_sampler, global_observables=False))(node, 0, n)
    for label, p in levels.items():
        q = stats.chi2.ppf(p, 1)
        sigma_q = np.sqrt(p * (1 - p) / n) / stats.chi2.pdf(q, 1)
        tc = weighted_quantile(randomised, p)
        assert abs(tc - q) < 4 * sigma_q, (label, tc, q, sigma_q)
        assert weighted_quantile(fixed, p) < 0.5 * q, (label, weighted_quantile(fixed, p))


def test_template_pseudo_experiments_carry_drawn_constraint_centres():
    """The pseudo-experiments' constraint centres are N(û, 1) around the standardised
    profiled pulls (signal a/σ_S, background a/σ_B, shape θ): mean and variance within 5
    standard errors of 4000 draws; without global observables they keep the data's (None)."""
    lk = _template(shape=True)
    signal = np.array([15.0, 8.0, 3.0])
    fit = lk.pulls(signal)
    u = fit.pulls / np.array([lk.data.sigma_signal, lk.data.backgrounds[0].sigma, 1.0])
    toys = pseudo_data_sampler(lk, signal)(np.random.default_rng(2), 4000)
    c = np.array([t.data.constraint_centres for t in toys])
    assert np.all(np.abs(c.mean(axis=0) - u) < 5 / np.sqrt(4000))
    assert np.all(np.abs(c.var(axis=0) - 1.0) < 5 * np.sqrt(2 / 4000))
    kept = pseudo_data_sampler(lk, signal, global_observables=False)(np.random.default_rng(2), 4000)
    assert all(t.data.constraint_centres is None for t in kept)
    # the same counts either way (the centres' normal draws come first in both)
    np.testing.assert_array_equal(kept[0].data.observed, toys[0].data.observed)


@pytest.mark.parametrize("off", [False, True])
def test_profiled_components_with_centres_equal_a_brute_force_minimisation(off):
    """Σ_k (u_k − c_k)² penalties: the Newton profile equals scipy's minimisation of the
    Poisson deviance (+ the off sample's, b_i ≥ 0 free) over every nuisance with the
    shifted penalties, to 1e-6 in χ²; a free normalisation takes no centre; centres of
    zeros are bit-identical to none; a batch of centres equals one call per centre."""
    from scipy import optimize

    from cevns.stats.templates import profiled_poisson_components

    n = np.array([30.0, 20.0, 12.0])
    t = np.array([[15.0, 8.0, 3.0], [5.0, 3.0, 1.0], [2.0, 2.0, 2.0]])
    sig = np.array([0.1, 0.25, np.inf])
    sh = np.array([[1.5, 0.0, -0.6]])
    m = np.array([40.0, 36.0, 30.0]) if off else None
    tau = 4.0
    centres = np.array([0.8, -1.3, 7.0, 0.5])  # the free one's centre (7) is ignored

    def deviance(x):
        a, theta, b = x[:3], x[3], x[4:]
        mu = (1 + a) @ t + theta * sh[0]
        if off:
            mu = mu + b
        d = 2 * np.sum(mu - n + n * np.log(n / mu))
        if off:
            d += 2 * np.sum(tau * b - m + m * np.log(m / (tau * b)))
        return d + (a[0] / 0.1 - 0.8) ** 2 + (a[1] / 0.25 + 1.3) ** 2 + (theta - 0.5) ** 2

    x0 = np.concatenate([np.zeros(4), m / tau if off else np.zeros(3)])
    bounds = [(-0.9, None)] * 3 + [(None, None)] + [(1e-9, None) if off else (0.0, 0.0)] * 3
    brute = optimize.minimize(deviance, x0, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 10000})
    fit = profiled_poisson_components(n, t, sig, m, tau, shifts=sh, centres=centres)
    assert fit.converged
    assert abs(float(fit.chi2) - brute.fun) < 1e-6 and float(fit.chi2) <= brute.fun + 1e-9
    np.testing.assert_allclose(fit.pulls, brute.x[:4], atol=2e-4)
    # zeros ≡ None, bit for bit; a batch of centres
    none = profiled_poisson_components(n, t, sig, m, tau, shifts=sh)
    zeros = profiled_poisson_components(n, t, sig, m, tau, shifts=sh, centres=np.zeros(4))
    assert float(none.chi2) == float(zeros.chi2) and np.array_equal(none.pulls, zeros.pulls)
    batch = profiled_poisson_components(n, t, sig, m, tau, shifts=sh, centres=np.stack([centres, np.zeros(4)]))
    assert batch.chi2.shape == (2,)
    np.testing.assert_allclose(batch.chi2, [float(fit.chi2), float(none.chi2)], rtol=1e-12)
    with pytest.raises(InputError):
        profiled_poisson_components(n, t, sig, m, tau, shifts=sh, centres=np.zeros(3))


def test_joint_shared_centre_is_a_shifted_penalty():
    """A shared normalisation with constraint centre c: the joint χ² equals a brute-force
    minimisation over η of the members' χ² at signal × (1 + s η) plus (η − c)² (1e-6)."""
    from scipy import optimize

    from cevns.stats.joint import JointLikelihood, JointMember, SharedNuisance

    observed = np.array([240.0, 160.0, 80.0])
    a, b = _template(name="a"), _template(name="b")
    a = replace(a, data=replace(a.data, observed=observed, sigma_signal=0.1, off=None, backgrounds=()))
    b = replace(b, data=replace(b.data, observed=observed * 1.1, sigma_signal=0.1, off=None, backgrounds=()))
    shared = (SharedNuisance("flux", {"a": 0.08, "b": 0.08}),)
    joint = JointLikelihood((JointMember("a", a), JointMember("b", b)), shared, shared_centres=(0.7,))
    s = np.array([300.0, 200.0, 100.0])
    own = [replace(x, data=replace(x.data, sigma_signal=float(np.sqrt(0.1**2 - 0.08**2)))) for x in (a, b)]

    def total(eta):
        return sum(float(o.chi2_from_signal(s * (1 + 0.08 * eta))) for o in own) + (eta - 0.7) ** 2

    brute = optimize.minimize_scalar(total, bounds=(-5, 5), method="bounded", options={"xatol": 1e-10})
    assert abs(float(joint.chi2_from_signal(np.tile(s, 2))) - brute.fun) < 1e-6
    assert float(replace(joint, shared_centres=None).chi2_from_signal(np.tile(s, 2))) != float(joint.chi2_from_signal(np.tile(s, 2)))
    with pytest.raises(InputError):
        replace(joint, shared_centres=(0.1, 0.2))


def test_template_study_with_randomised_centres_resumes_bit_identical():
    """An FC study of a template likelihood (centres drawn per pseudo-experiment): chunks
    run in another order, in threads, or resumed equal an uninterrupted run bit for bit."""
    lk = _linear_template()
    study = fc_study(lk, {"mu": np.linspace(0.5, 1.5, 3)}, seed=11)
    full = run_fc(study, empty_fc(study, 12), chunk=4)
    state = empty_fc(study, 12)
    state.done[:, :4] = True
    state.statistic[:, :4] = full.statistic[:, :4]
    run_fc(study, state, chunk=4)
    np.testing.assert_array_equal(state.statistic, full.statistic)
    with executor(workers=2, threads=True) as pool:
        threaded = run_fc(study, empty_fc(study, 12), chunk=4, executor=pool)
    np.testing.assert_array_equal(threaded.statistic, full.statistic)
