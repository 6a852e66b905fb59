"""The fast set-up of a predictor (issue 18) gives the numbers of the straightforward code.

Each vectorised or cached step is compared with a plain reference computed here (the
loop the package used before, or numpy's own function), bit for bit where the arithmetic
is the same, and the whole set-up of shipped experiments with the moments of every node.
"""

import math

import numpy as np
import pytest
from scipy import special

from cevns.config.experiments import load_experiment
from cevns.detector.response import (
    LogisticEfficiency,
    Resolution,
    TableEfficiency,
    UnitEfficiency,
    _ndtr_unsaturated,
)
from cevns.physics.quadrature import gauss_legendre
from cevns.rates import nodes as rate_nodes
from cevns.rates.nodes import isotope_nodes
from cevns.rates.prediction import _unsmeared_nodes, _unsmeared_nodes_loop
from cevns.sources.reactor import (
    HUBER_MUELLER_COEFFICIENTS,
    VOGEL_ENGEL_COEFFICIENTS,
    FissionSpectrum,
    _exp_polyval,
    reactor_source,
)
from cevns.sources.pion_dar import michel_nu_e
from cevns.sources.spectra import AnalyticSpectrum
from cevns.units import GW, keV, m

UNSMEARED = ("coherent-csi-2017", "coherent-csi-2017-time", "coherent-ge", "lz-8b-2025", "ge-isotope-reactor")
SMEARED = ("reactor-ge-conus-like", "coherent-csi-2021", "coherent-lar-2020", "dresden-ii-2022")


def _bin_response_loop(res: Resolution, mu: np.ndarray, edges: np.ndarray, efficiency, nodes: int = 24) -> np.ndarray:
    """The per-bin, per-piece loop of ``Resolution.bin_response`` before it was vectorised
    (every mean evaluated, no saturation shortcut)."""
    out = np.empty((edges.size - 1, mu.size))
    for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        cuts = [lo] + [p for p in efficiency.breakpoints if lo < p < hi] + [hi]
        total = np.zeros(mu.size)
        for a, c in zip(cuts[:-1], cuts[1:]):
            x = np.linspace(a, c, nodes + 1)
            if res.model == "gaussian":
                cdf = special.ndtr((x[:, None] - mu[None, :]) / np.maximum(res.sigma(mu[None, :]), 1e-12))
            else:
                k = res.shape_offset + np.maximum(mu, 0.0) / res.fano
                scale = np.maximum(mu, 1e-300) / k
                cdf = special.gammainc(k[None, :], np.maximum(x[:, None], 0.0) / scale[None, :])
            total += (efficiency(0.5 * (x[1:] + x[:-1]))[:, None] * np.diff(cdf, axis=0)).sum(axis=0)
        out[b] = total
    return out


@pytest.mark.parametrize("res, efficiency, edges", [
    (Resolution("gaussian", noise=0.03), UnitEfficiency(), np.linspace(0.3, 1.0, 15)),
    (Resolution("gaussian", stochastic=0.2, noise=0.05), TableEfficiency((0.2, 0.5, 1.0), (0.1, 0.8, 1.0)),
     np.linspace(0.1, 2.0, 20)),
    (Resolution("gamma", fano=13.35 / 9.56, shape_offset=1.0), LogisticEfficiency(1.32045, 0.285979, 10.8646, offset=-0.333322),
     np.arange(0.0, 61.0, 4.0)),
])
def test_bin_response_is_the_per_bin_loop_bit_for_bit(res, efficiency, edges):
    mu = np.concatenate([np.geomspace(1e-6, 80.0, 400), [0.0, 0.5, 0.7]])
    fast = res.bin_response(mu, edges, efficiency)
    ref = _bin_response_loop(res, mu, edges, efficiency)
    assert fast.shape == ref.shape
    assert np.array_equal(fast, ref)
    assert fast.sum() > 0


def test_ndtr_shortcut_is_scipy_bit_for_bit():
    z = np.concatenate([np.linspace(-60.0, 60.0, 200001), [np.nan, np.inf, -np.inf, 8.3, 9.0, -38.5, -40.0]])
    fast, ref = _ndtr_unsaturated(z, special.ndtr), special.ndtr(z)
    assert np.array_equal(fast, ref, equal_nan=True)
    assert np.isnan(fast[-7])


@pytest.mark.parametrize("coefficients", [*HUBER_MUELLER_COEFFICIENTS.values(), *VOGEL_ENGEL_COEFFICIENTS.values()])
def test_exp_polyval_is_numpy_polyval_bit_for_bit(coefficients):
    e = np.random.default_rng(7).uniform(0.0, 10.0, 100_000)
    assert np.array_equal(_exp_polyval(e, coefficients), np.exp(np.polynomial.polynomial.polyval(e, coefficients)))


def test_analytic_tail_moments_match_the_power_formula():
    """The moments with 1/E and E**-2.0 against the former E ** -k (k = 0, 1, 2): k = 0 and
    k = 2 bit for bit, k = 1 to the last bit (1/E is correctly rounded, pow(E, −1) is not
    always); E_min below the support shares one row."""
    spec = reactor_source(3.9 * GW, 17.1 * m).spectra["nu_e_bar"]
    assert isinstance(spec, AnalyticSpectrum)
    emin = np.concatenate([[0.0, 0.1, 0.2], np.linspace(0.2, 10.5, 3001)])
    x, w = gauss_legendre(spec.nodes)
    lo = np.clip(emin, spec.low, spec.high)
    half = 0.5 * (spec.high - lo)
    e = half[:, None] * (x + 1.0) + lo[:, None]
    f = spec.function(e) / spec.integral
    ref = half[None, :] * np.sum(w * f[None] * e[None] ** (-np.arange(3).reshape(3, 1, 1)), axis=-1)
    fast = spec.tail_moments(emin)
    assert np.array_equal(fast[0], ref[0]) and np.array_equal(fast[2], ref[2])
    np.testing.assert_allclose(fast[1], ref[1], rtol=4e-16, atol=0)
    assert np.array_equal(fast[:, 0], fast[:, 2]) and np.array_equal(fast[:, 1], fast[:, 2])
    michel = AnalyticSpectrum(michel_nu_e, 0.0, 52.8, nodes=8)
    assert michel.tail_moments(5.0).shape == (3,)
    assert michel.tail_moments(np.zeros((2, 3))).shape == (3, 2, 3)


@pytest.mark.parametrize("name", UNSMEARED)
def test_unsmeared_nodes_are_the_per_bin_loop_bit_for_bit(name):
    exp = load_experiment(name)
    predictor = exp.predictor()
    response, edges = exp.response, np.asarray(exp.response.edges, dtype=float)
    from cevns.physics.kinematics import recoil_max
    from cevns.rates.nodes import Quadrature, spectrum_kinks_mev
    from cevns.rates.prediction import _inverse_mean

    for node in predictor.nodes:
        iso = node.isotope
        t_hi = float(recoil_max(exp.source.max_energy, iso.mass))
        t_tab, mu_tab = _inverse_mean(response, iso.Z, t_hi / keV)

        def to_recoil(x, t_tab=t_tab, mu_tab=mu_tab):
            return np.interp(x, mu_tab, t_tab) * keV

        kinks = spectrum_kinks_mev(exp.source, iso.mass)
        breaks = np.concatenate([kinks, to_recoil(np.asarray(response.efficiency.breakpoints, dtype=float))])
        fast = _unsmeared_nodes(response, iso, edges, to_recoil, breaks, t_hi, Quadrature())
        ref = _unsmeared_nodes_loop(response, iso, edges, to_recoil, breaks, t_hi, Quadrature())
        assert np.array_equal(fast[0], ref[0]) and np.array_equal(fast[1], ref[1])
        assert np.array_equal(node.recoil, ref[0]) and np.array_equal(node.weights, ref[1])


@pytest.mark.parametrize("name", SMEARED)
def test_moments_skipped_only_where_no_bin_weighs_and_counts_unchanged(name):
    """Nodes that no bin weighs get zero moments; every other node has the moments of the
    full computation, and the binned counts are those of a predictor with all moments."""
    predictor = load_experiment(name).predictor()
    full = []
    for node in predictor.nodes:
        live = node.weights.any(axis=0)
        scale = node.scale
        window = None
        ref = isotope_nodes(node.isotope, node.recoil, node.weights, node.source, node.source_flavors, 1.0, window)
        ratio = scale / ref.scale  # the exposure (and a time window), the same for all flavours' nodes
        assert np.array_equal(node.moments[..., ~live], np.zeros_like(node.moments[..., ~live]))
        np.testing.assert_allclose(node.moments[..., live], ref.moments[..., live] * ratio[:, None, None], rtol=1e-15, atol=0)
        full.append(isotope_nodes(node.isotope, node.recoil, node.weights, node.source, node.source_flavors, 1.0,
                                  ratio))
    counts = predictor.binned_by_source().counts.sum(axis=2)  # time bins (if any) summed
    for i, node in enumerate(full):
        mixing = rate_nodes.arriving_flavors(predictor.source, predictor.model)
        ref_counts = rate_nodes.rate_density(node, predictor.model, mixing) @ node.weights.T
        np.testing.assert_allclose(counts[i], ref_counts, rtol=1e-14, atol=0)
    assert any((~n.weights.any(axis=0)).any() for n in predictor.nodes) or name != "reactor-ge-conus-like"


def test_reactor_spectrum_is_a_value_and_moments_are_shared():
    a = reactor_source(3.9 * GW, 17.1 * m).spectra["nu_e_bar"]
    b = reactor_source(2.0 * GW, 30.0 * m).spectra["nu_e_bar"]
    assert a == b and hash(a) == hash(b)
    assert isinstance(a, AnalyticSpectrum) and isinstance(a.function, FissionSpectrum)
    other = reactor_source(3.9 * GW, 17.1 * m, fission_fractions={"U235": 1.0}).spectra["nu_e_bar"]
    assert other != a
    emin = np.linspace(0.5, 9.0, 50)
    first = rate_nodes._tail_moments(a, emin)
    assert rate_nodes._tail_moments(b, emin.copy()) is first  # remembered: one computation
    assert not first.flags.writeable
    assert np.array_equal(first, a.tail_moments(emin))
    assert not np.array_equal(rate_nodes._tail_moments(other, emin), first)
    # counts ∝ live time also when the second load reuses the moments
    one = load_experiment("reactor-ge-conus-like").binned_counts().total
    two = load_experiment("reactor-ge-conus-like", {"exposure.live_days": 730.5}).binned_counts().total
    assert math.isclose(two, 2 * one, rel_tol=1e-12)


@pytest.mark.parametrize("low, model", [("vogel-engel", "huber-mueller"), ("extrapolate", "huber-mueller"),
                                        ("vogel-engel", "kopeikin-2021"), ("kopeikin-total", "huber-mueller")])
def test_fission_spectrum_is_the_sum_over_isotopes_bit_for_bit(low, model):
    from cevns.sources.reactor import TYPICAL_PWR_FISSION_FRACTIONS, reactor_spectrum_per_fission

    spectrum = FissionSpectrum(tuple(TYPICAL_PWR_FISSION_FRACTIONS.items()), low, model)
    for e in (np.random.default_rng(3).uniform(0.0, 10.0, (50, 96)), np.linspace(2.5, 10.0, 99), np.array(1.5), 3.0):
        ref = np.zeros(np.shape(e))
        for iso, f in TYPICAL_PWR_FISSION_FRACTIONS.items():
            ref = ref + f * reactor_spectrum_per_fission(e, iso, low, model)
        assert np.array_equal(spectrum(e), ref) and np.shape(spectrum(e)) == np.shape(e)


@pytest.mark.parametrize("name", ["coherent-csi-2017", "coherent-csi-2017-time", "coherent-csi-2021"])
def test_time_fractions_shared_by_decay_chain_bit_for_bit(name):
    """ν_e and ν̄_μ (the same μ⁺ decay chain) share one computation of their fractions: the
    rows are those of each flavour's own call."""
    from cevns.sources.timing import time_bin_fractions, weighted_time_bin_fractions

    time = load_experiment(name).time
    assert time is not None
    flavors = ("nu_e", "nu_mu", "nu_mu_bar")
    if time.efficiency is None:
        ref = np.stack([time_bin_fractions(f, time.edges_s, time.pulse) for f in flavors])
    else:
        ref = np.stack([weighted_time_bin_fractions(f, time.edges_s, time.efficiency, time.pulse) for f in flavors])
    fast = time.fractions(flavors)
    assert np.array_equal(fast, ref)
    assert np.array_equal(fast[0], fast[2]) and not np.array_equal(fast[0], fast[1])
