"""The quick paths of the profiled template likelihood (``cevns.stats.templates``) give the
results of the general ones: the structured pull directions of a signal with background
templates and shape nuisances (``_profiled_signal_components``, used by
``TemplateLikelihood``) against ``profiled_poisson_components`` on the explicit templates
and shifts, the evaluation in row blocks against one block, and the lean per-bin deviance
without an off sample against the masked formula (``_bin_deviance``) and the closed forms
of Baker–Cousins (Nucl. Instrum. Meth. 221, 437 (1984)) at n = 0, μ = 0, μ < 0."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cevns.errors import InputError
from cevns.stats import templates as tpl
from cevns.stats.templates import profiled_bin_deviance, profiled_poisson_components

RTOL = 1e-12


def _close(a: np.ndarray, b: np.ndarray, rtol: float = RTOL, atol: float = 0.0) -> None:
    """Equal to ``rtol`` relative (and ``atol``), with the same non-finite entries."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert np.array_equal(np.isfinite(a), np.isfinite(b)) and np.array_equal(np.isnan(a), np.isnan(b))
    assert np.array_equal(a[np.isinf(a)], b[np.isinf(b)])
    fin = np.isfinite(a)
    np.testing.assert_allclose(a[fin], b[fin], rtol=rtol, atol=atol)


# --- the lean deviance -------------------------------------------------------------------------
def test_lean_deviance_equals_masked_formula_at_edges():
    """n = 0, μ = 0, μ < 0, μ = ∞, NaN, tiny and large μ, one data set and one per row."""
    mu = np.array([[2.0, 0.0, 0.0, -1e-3, -2.0, 1e-300, 1e-5, 3.5, np.inf, np.inf, np.nan, 7.0],
                   [1.0, 2.0, 0.5, 1e-12, 0.0, 4.0, 1e6, 0.25, 2.0, 1e-200, 3.0, 0.0]])
    n = np.array([3.0, 0.0, 2.0, 0.0, 4.0, 0.0, 2.5, 0.0, 1.0, 0.0, 2.0, 0.0])
    for counts in (n, np.stack([n, n[::-1]])):
        lean = profiled_bin_deviance(mu, counts, None, 1.0)
        masked = tpl._bin_deviance(mu, counts, None, 1.0, None)
        for a, b in zip(lean, masked):
            _close(a, b, rtol=1e-15)
    g, g1, g2, b = profiled_bin_deviance(mu, n, None, 1.0)
    row = mu[0]
    assert g[0, 1] == 0.0 and g1[0, 1] == 2.0 and g2[0, 1] == 0.0  # μ = 0, n = 0
    assert g[0, 2] == np.inf and g1[0, 2] == 2.0 and g2[0, 2] == 0.0  # μ = 0, n > 0
    assert g[0, 3] == np.inf and g[0, 4] == np.inf  # μ < 0
    assert np.isnan(g[0, 10])  # NaN stays NaN
    assert g[0, 0] == pytest.approx(2.0 * (2.0 - 3.0 + 3.0 * math.log(3.0 / 2.0)), rel=1e-15)
    assert g[0, 7] == pytest.approx(2.0 * row[7], rel=1e-15)  # n = 0: 2μ
    assert g1[0, 6] == pytest.approx(2.0 * (1.0 - 2.5 / 1e-5), rel=1e-15)
    assert g2[0, 6] == pytest.approx(2.0 * 2.5 / 1e-10, rel=1e-15)
    assert not b.any() and b.shape == mu.shape


def test_lean_deviance_closed_forms_on_random_bins():
    rng = np.random.default_rng(5)
    mu = rng.uniform(0.01, 20.0, (40, 30))
    n = rng.poisson(mu).astype(float)
    g, g1, g2, _ = profiled_bin_deviance(mu, n, None, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ln = np.where(n > 0, n * np.log(n / mu), 0.0)
    np.testing.assert_allclose(g, 2.0 * (mu - n + ln), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g1, 2.0 * (1.0 - n / mu), rtol=1e-13)
    np.testing.assert_allclose(g2, 2.0 * n / mu**2, rtol=1e-13)
    # the sums per row of the Newton objective (the check on the sums) equal the bins' sums
    mu[3, 4], mu[7, 0], n[7, 0] = -0.5, 0.0, 0.0
    sums = 2.0 * tpl._deviance_sums(mu, n, tpl.special.xlogy(n, n), tpl._Scratch())
    _close(sums, tpl._bin_deviance(mu, n, None, 1.0, None)[0].sum(axis=-1), rtol=1e-15)
    assert sums[3] == np.inf and np.isfinite(sums[7])


# --- structured directions = general path ------------------------------------------------------
def _synthetic(seed: int, rows: int, bins: int = 11, shapes: int = 2):
    """Signals of several scales (some far above the data: μ pinned at 0 in empty bins),
    three backgrounds, relative shape shifts, Poisson data with empty bins."""
    rng = np.random.default_rng(seed)
    signal = rng.uniform(0.5, 6.0, bins)
    signals = np.linspace(0.0, 9.0, rows)[:, None] * signal
    bkg = np.stack([rng.uniform(0.2, 3.0, bins), np.linspace(2.0, 0.1, bins), rng.uniform(0.0, 1.0, bins)])
    bkg[2, :2] = 0.0
    relative = rng.normal(0.0, 0.2, (shapes, bins))
    observed = rng.poisson(signal + bkg.sum(axis=0), size=(rows, bins)).astype(float)
    observed[::3, :4] = 0.0
    return signals, bkg, relative, observed


def _both(observed, signal, bkg, sigmas, relative, off=None, off_ratio=1.0, **kwargs):
    """(structured, general) fits of the same problem."""
    model = tpl._signal_model(bkg, sigmas, relative)
    fast = tpl._profiled_signal_components(observed, signal, model, off, off_ratio, **kwargs)
    s = np.asarray(signal, dtype=float)
    templates = np.concatenate([s[..., None, :], np.broadcast_to(bkg, s.shape[:-1] + bkg.shape)], axis=-2)
    shifts = None if relative is None else s[..., None, :] * relative
    general = profiled_poisson_components(observed, templates, sigmas, off, off_ratio, shifts=shifts, **kwargs)
    return fast, general


def _same(fast, general, pulls_atol: float = 1e-12) -> None:
    _close(fast.chi2, general.chi2)
    assert fast.pulls.shape == general.pulls.shape
    np.testing.assert_allclose(fast.pulls, general.pulls, rtol=RTOL, atol=pulls_atol)
    assert np.array_equal(fast.converged, general.converged)


@pytest.mark.parametrize("sigmas", [[0.1, 0.25, 0.4, 0.05], [0.0, 0.25, math.inf, 0.05], [math.inf, 0.0, 0.3, math.inf]])
def test_structured_equals_general_on_synthetic_data(sigmas):
    """Fixed (σ = 0) and free (σ = ∞) normalisations, shape nuisances, constraint centres,
    one data set per row and one for all, the in-order search too."""
    signals, bkg, relative, observed = _synthetic(1, rows=24)
    centres = np.random.default_rng(2).normal(size=(24, 6))
    for kwargs in ({}, {"centres": centres}, {"centres": centres[0]}, {"row_wise": False}):
        fast, general = _both(observed, signals, bkg, sigmas, relative, **dict(kwargs))
        _same(fast, general)
        assert fast.pulls.shape == (24, 6)
        fast, general = _both(observed[5], signals, bkg, sigmas, relative, **dict(kwargs))
        _same(fast, general)
    fast, general = _both(observed, signals, bkg, sigmas, None)  # no shape nuisance
    _same(fast, general)


def test_structured_equals_general_with_batch_broadcasting_and_off_sample():
    """Toys (toys, 1, bins) × predictions (nodes, bins) → (toys, nodes); one prediction
    against many data sets (its directions shared); an off sample (per-bin steady state)."""
    signals, bkg, relative, observed = _synthetic(3, rows=6)
    toys = observed[:4, None, :]
    fast, general = _both(toys, signals, bkg, [0.1, 0.25, 0.4, 0.05], relative)
    assert fast.chi2.shape == (4, 6)
    _same(fast, general)
    for rows in (2, 40):  # a few data sets (the (k, bins) directions) and many (structured)
        data = np.random.default_rng(rows).poisson(signals[3] + bkg.sum(axis=0), size=(rows, signals.shape[1])).astype(float)
        fast, general = _both(data, signals[3], bkg, [0.1, 0.25, 0.4, 0.05], relative)
        _same(fast, general)
    off = np.random.default_rng(9).poisson(2.0, size=observed.shape).astype(float)
    fast, general = _both(observed, signals, bkg, [0.1, 0.25, 0.4, 0.05], relative, off=off, off_ratio=2.0)
    _same(fast, general)


def test_row_blocks_give_the_one_block_results(monkeypatch):
    """More rows than a block (the evaluation in blocks of rows) = one block; the structured
    and general paths agree there too."""
    signals, bkg, relative, observed = _synthetic(4, rows=300)
    centres = np.random.default_rng(6).normal(size=(300, 6))
    sig = [0.1, 0.25, 0.4, 0.05]
    monkeypatch.setattr(tpl, "_BLOCK_ROWS", 10**9)
    one_fast, one_general = _both(observed, signals, bkg, sig, relative, centres=centres)
    monkeypatch.setattr(tpl, "_BLOCK_ROWS", 37)
    fast, general = _both(observed, signals, bkg, sig, relative, centres=centres)
    _same(fast, one_fast)
    _same(general, one_general)
    _same(fast, general)


def test_structured_bad_input_is_one_input_error():
    signals, bkg, relative, observed = _synthetic(1, rows=4)
    model = tpl._signal_model(bkg, [0.1, 0.25, 0.4, 0.05], relative)
    with pytest.raises(InputError, match="must be"):
        tpl._profiled_signal_components(observed, signals[:, :5], model)
    with pytest.raises(InputError, match="do not broadcast"):
        tpl._profiled_signal_components(observed[:3], signals, model)
    with pytest.raises(InputError, match="K − 1"):
        tpl._signal_model(bkg, [0.1, 0.25], relative)
    with pytest.raises(InputError, match="≥ 0"):
        tpl._signal_model(bkg, [-0.1, 0.25, 0.4, 0.05], relative)


# --- the real CsI 2021 likelihood ----------------------------------------------------------------
@pytest.fixture(scope="module")
def csi2021():
    from tests.conftest import release_folder

    path = release_folder("csi-2021")
    if not path.is_dir():
        pytest.skip(f"the COHERENT CsI 2021 release is not available at {path}")
    from cevns.releases.csi_2021 import csi_2021_likelihood

    return csi_2021_likelihood(path)


def _general(lk, signal, observed, centres=None, sigma_signal=None):
    """The fit of TemplateLikelihood before the structured path: explicit templates and shifts."""
    d = lk.data
    s = np.asarray(signal, dtype=float)
    templates, sigmas = lk._templates(s, d.sigma_signal if sigma_signal is None else sigma_signal)
    return profiled_poisson_components(observed, templates, sigmas, d.off, d.off_ratio, shifts=lk._shifts(s),
                                       centres=d.constraint_centres if centres is None else centres)


def test_csi2021_structured_equals_general(csi2021):
    """Pseudo-experiments (data and constraint centres) × predictions at several weak mixing
    angles, as the Feldman–Cousins check of the CsI 2021 reproduction batches them."""
    lk = csi2021
    pulls = len(lk.pull_names)
    assert pulls == 7
    signals = np.stack([lk.signal({"sin2_theta_w": x}) for x in (0.16, 0.2, 0.24, 0.3)])
    rng = np.random.default_rng(2021)
    toys = rng.poisson(lk.asimov().data.observed, size=(150, lk.data.bins)).astype(float)
    centres = rng.normal(size=(150, pulls))
    rep = np.repeat(np.arange(150), 4)
    sig = np.tile(signals, (150, 1))
    fast = lk._profile(sig, toys[rep], None, centres[rep], lk.data.sigma_signal)
    general = _general(lk, sig, toys[rep], centres[rep])
    _same(fast, general, pulls_atol=1e-10)
    assert np.all(np.isfinite(fast.chi2))
    np.testing.assert_array_equal(lk.chi2_per_data(sig, toys[rep], None, centres[rep]), fast.chi2)
    one = lk.pulls(signals[1])  # one prediction: the (k, bins) directions
    _same(one, _general(lk, signals[1], lk.data.observed))
    free = lk.pulls(signals, sigma_signal=0.0)  # the signal normalisation fixed, as fit_signal_strength has it
    _same(free, _general(lk, signals, lk.data.observed, sigma_signal=0.0))
    assert lk._signal_model is lk._signal_model  # built once per likelihood


# --- starting pulls (warm starts) -----------------------------------------------------------------
def _interior(fit, observed, signals, bkg, sigmas, relative) -> np.ndarray:
    """Rows whose fitted expectation stays away from μ = 0 (no minimum on the domain's edge)."""
    model = tpl._signal_model(bkg, sigmas, relative)
    pulled = model.pulled
    u = np.concatenate([fit.pulls[..., : model.sigmas.size][..., pulled] / model.scale,
                        fit.pulls[..., model.sigmas.size:]], axis=-1)
    v = model.directions.shared + signals[:, None, :] * model.directions.scaled
    mu = signals + model.background_sum + np.einsum("rk,rkb->rb", u, v)
    return mu.min(axis=-1) > 1e-3


def test_a_start_near_the_minimum_gives_the_same_fit():
    """Started from a neighbouring prediction's pulls, the fit reaches the same minimum (to
    the iteration's tolerance) where it lies inside the domain; a start outside the domain
    (some μ < 0) is replaced by zero, which is the fit from zero bit for bit."""
    signals, bkg, relative, observed = _synthetic(5, rows=40)
    sigmas = [0.1, 0.25, 0.4, 0.05]
    model = tpl._signal_model(bkg, sigmas, relative)
    cold = tpl._profiled_signal_components(observed, signals, model)
    near = np.roll(cold.pulls, 1, axis=0)  # the previous row's pulls: another prediction and data set
    warm = tpl._profiled_signal_components(observed, signals, model, start=near)
    inside = _interior(cold, observed, signals, bkg, sigmas, relative)
    assert inside.sum() >= 20 and np.all(np.isfinite(warm.chi2))
    _close(warm.chi2[inside], cold.chi2[inside], rtol=1e-10)
    np.testing.assert_allclose(warm.pulls[inside], cold.pulls[inside], atol=1e-4)  # χ² flat to 1e-11 there
    outside = np.full_like(cold.pulls, -50.0)  # every μ far below zero
    np.testing.assert_array_equal(tpl._profiled_signal_components(observed, signals, model, start=outside).chi2, cold.chi2)
    zero = tpl._profiled_signal_components(observed, signals, model, start=np.zeros(6))
    np.testing.assert_array_equal(zero.chi2, cold.chi2)


def test_bad_starting_pulls_are_one_input_error():
    signals, bkg, relative, observed = _synthetic(1, rows=4)
    model = tpl._signal_model(bkg, [0.1, 0.25, 0.4, 0.05], relative)
    for bad, match in ((np.zeros(5), "must be finite"), (np.full(6, np.nan), "must be finite"),
                       (np.zeros((3, 6)), "do not broadcast")):
        with pytest.raises(InputError, match=match):
            tpl._profiled_signal_components(observed, signals, model, start=bad)


def test_csi2021_fits_from_the_best_node_equal_fits_from_zero(csi2021):
    """The Feldman–Cousins refinements' warm start (cevns.stats.feldman_cousins): each toy's
    fits between nodes started from its pulls at its best node reach the minima of fits from
    zero, where those lie inside the domain."""
    lk = csi2021
    grid = np.linspace(0.12, 0.32, 21)
    signals = np.stack([lk.signal({"sin2_theta_w": x}) for x in grid])
    rng = np.random.default_rng(7)
    toys = rng.poisson(lk.asimov().data.observed, size=(30, lk.data.bins)).astype(float)
    nodes = lk.fit_per_data(signals[None, :, :], toys[:, None, :])
    best = np.argmin(nodes.chi2, axis=1)
    start = nodes.pulls[np.arange(30), best]
    between = 0.5 * (signals[best] + signals[np.minimum(best + 1, 20)])
    cold = lk.fit_per_data(between, toys)
    warm = lk.fit_per_data(between, toys, start=start)
    m = lk._signal_model
    u = np.concatenate([cold.pulls[:, : m.sigmas.size][:, m.pulled] / m.scale, cold.pulls[:, m.sigmas.size:]], axis=-1)
    mu = between + m.background_sum + np.einsum("rk,rkb->rb", u, m.directions.shared + between[:, None, :] * m.directions.scaled)
    inside = mu.min(axis=-1) > 1e-3
    assert inside.sum() >= 20
    _close(warm.chi2[inside], cold.chi2[inside], rtol=1e-10)


# --- minima on the edge μ = 0 of an empty bin ------------------------------------------------------
def _slsqp_chi2(observed, signal, bkg, sigmas, relative, start):
    """The same χ² minimised by scipy's SLSQP with the edge as constraints μ_b ≥ 0 (an
    independent minimiser; the pulls standardised: fractional / σ)."""
    from scipy.optimize import minimize

    s = np.asarray(signal, dtype=float)
    sig = np.asarray(sigmas, dtype=float)
    v = np.concatenate([(s * sig[0])[None], bkg * sig[1:, None], s * relative])  # μ change per standard pull
    base = s + bkg.sum(axis=0)
    n = observed

    def chi2(u):
        mu = np.maximum(base + u @ v, 1e-300)
        return 2.0 * np.sum(mu - n + np.where(n > 0, n * np.log(np.where(n > 0, n, 1.0) / mu), 0.0)) + np.sum(u * u)

    def grad(u):
        mu = np.maximum(base + u @ v, 1e-300)
        return 2.0 * v @ (1.0 - n / mu) + 2.0 * u

    cons = [{"type": "ineq", "fun": lambda u: base + u @ v, "jac": lambda u: v.T}]
    out = minimize(chi2, start, jac=grad, constraints=cons, method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
    return out.fun


def test_minima_on_the_edge_of_empty_bins_equal_a_constrained_minimiser(monkeypatch):
    """Predictions far above the data (the synthetic set's large signals) drive empty bins'
    μ to 0: the fit's χ² there equals SLSQP's constrained minimum (to 10⁻⁷), and is lower
    than where the plain Newton iteration stops on the edge."""
    signals, bkg, relative, observed = _synthetic(11, rows=30)
    sigmas = [0.1, 0.25, 0.4, 0.05]
    model = tpl._signal_model(bkg, sigmas, relative)
    fit = tpl._profiled_signal_components(observed, signals, model)
    monkeypatch.setattr(tpl, "_minimum_on_the_edge", lambda *args, **kwargs: np.zeros(0, dtype=np.intp))
    stalled = tpl._profiled_signal_components(observed, signals, model)
    stopped_short = np.flatnonzero(stalled.chi2 > fit.chi2 + 1e-6)
    assert stopped_short.size >= 3  # the case is exercised
    assert np.all(fit.chi2 <= stalled.chi2 + 1e-9 * (1 + stalled.chi2))
    for row in stopped_short:
        start = np.concatenate([stalled.pulls[row, :4] / np.asarray(sigmas), stalled.pulls[row, 4:]])
        reference = _slsqp_chi2(observed[row], signals[row], bkg, np.asarray(sigmas), relative, start)
        assert abs(fit.chi2[row] - reference) <= 1e-7 * (1 + reference), (row, fit.chi2[row], reference)
        assert stalled.chi2[row] > reference + 1e-6
