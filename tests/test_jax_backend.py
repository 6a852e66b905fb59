"""The optional JAX backend against the numpy predictor: counts at points of every
supported parameter (≤ 10⁻¹⁰ relative), exact gradients against central finite
differences of the numpy χ², vmap grids against the per-point loop, and iminuit fits with
and without the JAX gradient. Skipped without JAX."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest

jax = pytest.importorskip("jax")

import jax.numpy as jnp

from cevns.config.experiments import load_experiment
from cevns.stats.fits import ExperimentLikelihood, asimov, chi2_from_signal, fit
from cevns.backends.jax_backend import JaxPredictor, chi2_grid, gradient_grid, minuit_fit
from cevns.physics.parameters import ParameterError

PAIRS = ("ee", "mumu", "tautau", "emu", "etau", "mutau")
LEPTONS = ("e", "mu", "tau")
BSM = (
    [f"eps_{p}_{q}V" for p in PAIRS for q in "ud"]
    + [f"{k}_nu_{lep}" for k in ("r2", "q", "mu") for lep in LEPTONS]
)
#: Two values per parameter, sizes where each visibly changes the counts.
VALUES = {"eps": (0.2, -0.13), "r2": (4.0, -6.0), "q": (3e-9, -2e-9), "mu": (1e-9, 3e-10)}
EXPERIMENTS = ("coherent-csi-2017", "coherent-lar-2020", "reactor-ge-conus-like")


def assert_counts_agree(jax_counts, numpy_counts, rtol=1e-10):
    """Element-wise relative agreement; bins with no counts (above T_max) are 0 in both."""
    c, ref = np.asarray(jax_counts), np.asarray(numpy_counts)
    assert c.shape == ref.shape
    nz = ref != 0
    assert np.all(c[~nz] == 0)
    np.testing.assert_allclose(c[nz], ref[nz], rtol=rtol, atol=0)


@pytest.fixture(scope="module", params=EXPERIMENTS)
def setup(request):
    """An experiment's predictor and a JAX predictor with every supported parameter
    (radii per isotope) free, and θ at the experiment's own values."""
    exp = load_experiment(request.param)
    predictor = exp.predictor()
    isotopes = [n.isotope for n in predictor.nodes]
    radii = {}
    for iso in isotopes:
        rp, rn = exp.model.structure.radii_fm(iso)
        radii[f"rp_{iso.name}"], radii[f"rn_{iso.name}"] = rp, rn
    base = {"sin2_theta_w": 0.23857, **{n: 0.0 for n in BSM}, **radii}
    return predictor, JaxPredictor.from_predictor(predictor, tuple(base)), base


def _points(base):
    """One point per parameter value (the others at their base values), and two points
    with everything switched on at once."""
    yield dict(base)
    for name in base:
        if name == "sin2_theta_w":
            values = (0.221, 0.252)
        elif name[:3] in ("rn_", "rp_"):
            values = (base[name] + 0.35, base[name] - 0.25)
        else:
            values = VALUES[name.split("_")[0]]
        for x in values:
            yield {**base, name: x}
    for k, shift in ((0, 0.2), (1, -0.2)):
        point = {
            n: (base[n] + shift if n[:3] in ("rn_", "rp_") else VALUES[n.split("_")[0]][k]) for n in base if n != "sin2_theta_w"
        }
        yield {**point, "sin2_theta_w": 0.235}


def test_counts_match_numpy_at_every_parameter(setup):
    predictor, jp, base = setup
    n = 0
    for point in _points(base):
        assert_counts_agree(jp.counts_by_isotope_flavor(jp.theta(point)), predictor.binned(point).counts)
        n += 1
    assert n == 2 * len(base) + 3
    np.testing.assert_allclose(np.asarray(jp.counts(jp.theta(base))), predictor.binned().per_bin, rtol=1e-10)


@pytest.mark.parametrize(
    "overrides", [{"couplings.scheme": "radiative"}, {"nuclear.form_factor": "kn"}, {"nuclear.neutron_form_factor": "none"}]
)
def test_global_radii_and_other_schemes(overrides):
    """rn, rp for every isotope (the neutron radius follows rp unless rn is free), the
    radiative coupling scheme, Klein–Nystrand and point-like form factors."""
    predictor = load_experiment("coherent-csi-2017", overrides).predictor()
    for names, point in [
        (("sin2_theta_w", "rp"), {"sin2_theta_w": 0.229, "rp": 4.6}),
        (("rn", "rp", "sin2_theta_w", "q_nu_e"), {"rn": 5.4, "rp": 4.7, "sin2_theta_w": 0.241, "q_nu_e": 2e-9}),
        (("rn", "rn_133Cs"), {"rn": 5.0, "rn_133Cs": 5.6}),
    ]:
        jp = JaxPredictor.from_predictor(predictor, names)
        assert_counts_agree(jp.counts_by_isotope_flavor(jp.theta(point)), predictor.binned(point).counts)


def test_arrival_time_bins():
    """Energy × time cells (LAr in 4 time bins): counts and a 48-cell pull χ² as numpy."""
    exp = load_experiment("coherent-lar-2020", {"detector.time.edges_us": [0.0, 1.0, 2.0, 4.0, 8.0]})
    predictor = exp.predictor()
    point = {"eps_ee_dV": 0.15, "rn": 3.9}
    jp = JaxPredictor.from_predictor(predictor, tuple(point))
    ref = predictor.binned(point)
    assert ref.counts.ndim == 4 and jp.n_bins == ref.per_bin.size == 48
    assert_counts_agree(jp.counts_by_isotope_flavor(jp.theta(point)), ref.counts)
    np.testing.assert_allclose(np.asarray(jp.counts(jp.theta(point))), ref.per_bin, rtol=1e-10)
    measurement = asimov(exp.measurement(forecast=True), predictor.binned().per_bin)
    chi2 = jp.chi2_function(measurement)
    assert float(chi2(jp.theta(point))) == pytest.approx(float(chi2_from_signal(measurement, ref.per_bin)), rel=1e-10)


def test_fixed_parameters_are_applied_first():
    predictor = load_experiment("coherent-csi-2017").predictor()
    fixed = {"eps_ee_uV": 0.1, "mu_nu_mu": 1e-9, "rn_127I": 5.2}
    jp = JaxPredictor.from_predictor(predictor, ("eps_ee_dV",), fixed=fixed)
    assert_counts_agree(jp.counts_by_isotope_flavor(jnp.array([-0.07])), predictor.binned({**fixed, "eps_ee_dV": -0.07}).counts)


def _fd_gradient(likelihood, point, names, rel=1e-4):
    """Central differences of the numpy χ², step ``rel`` × |value|."""
    out = []
    for name in names:
        h = rel * abs(point[name])
        up, down = dict(point), dict(point)
        up[name] += h
        down[name] -= h
        out.append((likelihood.chi2(up) - likelihood.chi2(down)) / (2 * h))
    return np.array(out)


GRAD_POINT = {
    "sin2_theta_w": 0.236, "eps_ee_uV": 0.06, "eps_emu_dV": 0.08, "r2_nu_mu": 3.0, "q_nu_e": 1e-9, "mu_nu_e": 2e-9, "rn": 5.1
}


@pytest.mark.parametrize("statistic", ["pull-chi2", "poisson"])
def test_gradient_matches_finite_differences_csi(statistic):
    """Single bin, the published data (pulls profiled)."""
    exp = load_experiment("coherent-csi-2017")
    predictor = exp.predictor()
    measurement = dataclasses.replace(exp.measurement(), statistic=statistic)
    names = tuple(GRAD_POINT)
    jp = JaxPredictor.from_predictor(predictor, names)
    chi2 = jp.chi2_function(measurement)
    theta = jp.theta(GRAD_POINT)
    likelihood = ExperimentLikelihood(predictor, measurement)
    assert float(chi2(theta)) == pytest.approx(likelihood.chi2(GRAD_POINT), rel=1e-10)
    grad = np.asarray(jax.grad(chi2)(theta))
    # FD: truncation (h²) and rounding (ε χ²/h) both ≲ 10⁻⁸ relative here
    np.testing.assert_allclose(grad, _fd_gradient(likelihood, GRAD_POINT, names), rtol=1e-6)


def test_gradient_matches_finite_differences_lar_binned():
    """12 bins, Poisson, Asimov data at the SM, evaluated away from it."""
    exp = load_experiment("coherent-lar-2020")
    predictor = exp.predictor()
    base = dataclasses.replace(exp.measurement(forecast=True), statistic="poisson", sigma_signal=0.1)
    measurement = asimov(base, predictor.binned().per_bin)
    names = ("sin2_theta_w", "eps_mumu_uV", "rn_40Ar", "mu_nu_mu")
    point = {"sin2_theta_w": 0.228, "eps_mumu_uV": 0.05, "rn_40Ar": 3.6, "mu_nu_mu": 3e-9}
    jp = JaxPredictor.from_predictor(predictor, names)
    chi2 = jp.chi2_function(measurement)
    likelihood = ExperimentLikelihood(predictor, measurement)
    theta = jp.theta(point)
    assert float(chi2(theta)) == pytest.approx(likelihood.chi2(point), rel=1e-10)
    np.testing.assert_allclose(np.asarray(jax.grad(chi2)(theta)), _fd_gradient(likelihood, point, names), rtol=1e-6)


@pytest.mark.parametrize("statistic", ["pull-chi2", "poisson"])
def test_vmap_grid_equals_the_loop(statistic):
    exp = load_experiment("coherent-csi-2017")
    predictor = exp.predictor()
    measurement = dataclasses.replace(exp.measurement(), statistic=statistic)
    jp = JaxPredictor.from_predictor(predictor, ("eps_ee_uV", "eps_ee_dV"))
    chi2 = jp.chi2_function(measurement)
    points = np.random.default_rng(7).uniform(-0.6, 0.6, (23, 2))
    grid = chi2_grid(chi2, points, chunk=10)  # 3 chunks, the last padded
    loop = np.array([float(chi2(jnp.asarray(p))) for p in points])
    np.testing.assert_allclose(grid, loop, rtol=1e-12, atol=1e-12)
    likelihood = ExperimentLikelihood(predictor, measurement)
    numpy_loop = np.array([likelihood.chi2({"eps_ee_uV": a, "eps_ee_dV": b}) for a, b in points[:6]])
    np.testing.assert_allclose(grid[:6], numpy_loop, rtol=1e-10)
    assert np.ptp(grid) > 1.0  # the points span a real range of χ²
    with pytest.raises(ValueError, match=r"shape \(n, k\)"):
        chi2_grid(chi2, np.zeros(3))


def test_gradient_grid_equals_per_point_gradients_and_finite_differences():
    """The vmapped gradient over a grid of (rn, sin²θ_W) — a non-polynomial parameter —
    against jax.grad point by point (same arithmetic) and the numpy χ²'s central
    differences; padded last chunk; a wrong shape is refused."""
    exp = load_experiment("coherent-csi-2017")
    predictor, measurement = exp.predictor(), exp.measurement()
    names = ("rn", "sin2_theta_w")
    jp = JaxPredictor.from_predictor(predictor, names)
    chi2 = jp.chi2_function(measurement)
    points = np.column_stack([np.linspace(4.4, 5.6, 7), np.linspace(0.20, 0.27, 7)])
    grads = gradient_grid(chi2, points, chunk=3)
    assert grads.shape == (7, 2)
    loop = np.array([np.asarray(jax.grad(chi2)(jnp.asarray(p))) for p in points])
    np.testing.assert_allclose(grads, loop, rtol=1e-12, atol=1e-14)
    likelihood = ExperimentLikelihood(predictor, measurement)
    for p, g in zip(points[::3], grads[::3]):
        point = dict(zip(names, p))
        np.testing.assert_allclose(g, _fd_gradient(likelihood, point, names), rtol=1e-6)
    assert np.all(np.abs(grads[:, 1]) > 1.0)  # χ² moves with sin²θ_W: a real test
    with pytest.raises(ValueError, match=r"shape \(n, k\)"):
        gradient_grid(chi2, np.zeros(3))


def test_iminuit_fit_with_jax_gradient_equals_numpy_fit():
    """CsI 2017, sin²θ_W: the single bin fixes it where the signal is 136 events (χ² = 0)."""
    exp = load_experiment("coherent-csi-2017")
    predictor, measurement = exp.predictor(), exp.measurement()
    numpy_fit = fit(ExperimentLikelihood(predictor, measurement), {"sin2_theta_w": 0.23857})
    jp = JaxPredictor.from_predictor(predictor, ("sin2_theta_w",))
    jax_fit = jp.fit(measurement, {"sin2_theta_w": 0.23857})
    assert jax_fit.valid and jax_fit.chi2_min < 1e-8
    error = numpy_fit.errors["sin2_theta_w"]
    assert jax_fit.values["sin2_theta_w"] == pytest.approx(numpy_fit.values["sin2_theta_w"], abs=1e-3 * error)
    assert jax_fit.errors["sin2_theta_w"] == pytest.approx(numpy_fit.errors["sin2_theta_w"], rel=1e-3)


def test_iminuit_two_parameter_poisson_fit_binned():
    """LAr Asimov at a non-SM point (12 bins, Poisson): both fits return that point."""
    exp = load_experiment("coherent-lar-2020")
    predictor = exp.predictor()
    truth = {"sin2_theta_w": 0.231, "rn_40Ar": 3.7}
    base = dataclasses.replace(exp.measurement(forecast=True), statistic="poisson", sigma_signal=0.1)
    measurement = asimov(base, predictor.binned(truth).per_bin)
    start = {"sin2_theta_w": 0.24, "rn_40Ar": 3.4}
    numpy_fit = fit(ExperimentLikelihood(predictor, measurement), start)
    jp = JaxPredictor.from_predictor(predictor, tuple(start))
    jax_fit = minuit_fit(jp.chi2_function(measurement), jp.names, [start[n] for n in jp.names])
    assert jax_fit.valid and numpy_fit.valid
    for name, x in truth.items():
        assert jax_fit.values[name] == pytest.approx(numpy_fit.values[name], abs=0.05 * numpy_fit.errors[name])
        assert jax_fit.values[name] == pytest.approx(x, abs=0.05 * numpy_fit.errors[name])


def test_bad_names_and_models_are_refused_in_one_line():
    predictor = load_experiment("coherent-csi-2017").predictor()
    with pytest.raises(ValueError, match="does not support zprime_mass, axial"):
        JaxPredictor.from_predictor(predictor, ("sin2_theta_w", "zprime_mass", "axial"))
    with pytest.raises(ParameterError, match="did you mean 'eps_ee_uV'"):
        JaxPredictor.from_predictor(predictor, ("eps_ee_uv",))
    with pytest.raises(ParameterError, match="not in the target"):
        JaxPredictor.from_predictor(predictor, ("rn_40Ar",))
    with pytest.raises(ValueError, match="scalar mediator"):
        JaxPredictor.from_predictor(predictor, ("eps_ee_uV",), fixed={"scalar_coupling": 1e-5})
    sf = load_experiment("coherent-csi-2017", {"nuclear.form_factor": "sf"}).predictor()
    with pytest.raises(ValueError, match="cannot vary the radius of a 'sf'"):
        JaxPredictor.from_predictor(sf, ("rn",))
    JaxPredictor.from_predictor(sf, ("eps_ee_uV",))  # fixed radii: any form factor


def test_missing_jax_gives_the_install_hint():
    code = "import sys; sys.modules['jax'] = None\ntry:\n import cevns.backends.jax_backend\nexcept ImportError as e:\n print(e)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "the JAX backend needs `pip install cevns[jax]`"
