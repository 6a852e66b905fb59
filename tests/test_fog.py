"""Discovery limits and the neutrino fog (cevns.stats.fog) against closed forms and an
independent per-point computation (scipy minimiser + brentq)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq, minimize

from cevns.errors import InputError
from cevns.stats.fog import FogArrays, asimov_q0, discovery_limits, floor, fog_gradient, neutrino_fog


def cowan_z(s: float, b: float) -> float:
    """Median discovery significance, known background (Cowan et al., EPJC 71, 1554, Eq. 97)."""
    return float(np.sqrt(2.0 * ((s + b) * np.log1p(s / b) - s)))


def cowan_z_sigma_b(s: float, b: float, sb: float) -> float:
    """Cowan's discovery sensitivity with a background uncertainty σ_b ("Discovery sensitivity
    for a counting experiment with background uncertainty", 2012; the profile likelihood with
    a Poisson auxiliary measurement of b)."""
    v = sb * sb
    t1 = (s + b) * np.log((s + b) * (b + v) / (b * b + (s + b) * v))
    t2 = b * b / v * np.log1p(v * s / (b * (b + v)))
    return float(np.sqrt(2.0 * (t1 - t2)))


def gaussian_one_bin_q0(s: float, b: float, delta: float) -> float:
    """One bin, background normalisation φ with a Gaussian constraint of relative width δ:
    d/dφ {2[φb − n + n ln(n/φb)] + ((φ−1)/δ)²} = 0 is φ²/δ² + φ(b − 1/δ²) − n = 0."""
    n, a = s + b, 1.0 / delta**2
    root = np.sqrt((b - a) ** 2 + 4.0 * n * a)
    phi = 2.0 * n / ((b - a) + root) if b > a else (root - (b - a)) / (2.0 * a)  # no cancellation
    r = phi * b / n - 1.0  # μ = φb = n(1 + r); n ln(n/μ) = −n ln(1 + r), summed as a series for small r
    h = sum((-r) ** k / k for k in range(2, 12)) if abs(r) < 1e-2 else r - np.log1p(r)
    return float(2.0 * n * h + ((phi - 1.0) / delta) ** 2)


def scipy_q0(signal, background, unc, sigma, eps) -> float:
    """Independent profile: scipy's minimiser on the pulls (no gradients supplied)."""
    B = np.asarray(background, float)
    n = eps * (sigma * np.asarray(signal, float) + B.sum(0))

    def f(u):
        mu = eps * (B.sum(0) + (u * unc) @ B)
        if np.any(mu <= 0):
            return 1e300
        return 2.0 * np.sum(mu - n + n * np.log(n / mu)) + np.sum(u * u)

    best = minimize(f, np.zeros(len(unc)), method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 40000})
    return float(minimize(f, best.x, method="BFGS", options={"gtol": 1e-10}).fun)


# --- closed forms -------------------------------------------------------------------


@pytest.mark.parametrize("s,b", [(3.0, 0.1), (10.0, 5.0), (50.0, 1000.0), (1e4, 1e6)])
def test_one_bin_known_background_is_cowan_eq97(s, b):
    q = asimov_q0([1.0], [[b]], [0.0], s, 1.0)
    assert np.sqrt(q.q0[0]) == pytest.approx(cowan_z(s, b), rel=1e-10)
    assert q.converged.all()


@pytest.mark.parametrize("s,b,delta", [(10.0, 5.0, 0.2), (50.0, 1000.0, 0.05), (30.0, 100.0, 0.5), (1e3, 1e6, 0.01)])
def test_one_bin_gaussian_constraint_closed_form(s, b, delta):
    q = asimov_q0([1.0], [[b]], [delta], s, 1.0)
    assert q.q0[0] == pytest.approx(gaussian_one_bin_q0(s, b, delta), rel=1e-9)


@pytest.mark.parametrize("s,b,delta", [(50.0, 1000.0, 0.02), (100.0, 1e4, 0.005), (20.0, 100.0, 0.03)])
def test_one_bin_uncertain_background_near_cowan_sigma_b(s, b, delta):
    # Cowan's formula constrains b by a Poisson (Gamma) auxiliary measurement, this code by a
    # Gaussian; both give Z = s/sqrt(b + σ_b²) to leading order, so they agree to O(s/b, δ)
    z = np.sqrt(asimov_q0([1.0], [[b]], [delta], s, 1.0).q0[0])
    assert z == pytest.approx(cowan_z_sigma_b(s, b, delta * b), rel=0.02)
    assert z < cowan_z(s, b)


def test_one_bin_discovery_limit_solves_cowan():
    b, z = 2.0, 3.0  # per unit exposure; signal 1 count per unit σ per unit exposure
    arr = FogArrays([[b]], [0.0], [[1.0]], [10.0])
    eps = np.array([0.1, 1.0, 10.0, 1e3])
    lim = discovery_limits(arr, eps, z=z)
    for e, got in zip(eps, lim.sigma[0]):
        want = brentq(lambda s: cowan_z(s * e, b * e) - z, 1e-12, 1e12, xtol=1e-14, rtol=1e-13)
        assert got == pytest.approx(want, rel=1e-8)


# --- scalings of the fog gradient --------------------------------------------------------


def _shapes(nbins: int = 20):
    e = np.linspace(1.0, 20.0, nbins)
    return e, np.exp(-e / 2.0), np.exp(-e / 8.0)


def test_background_free_gradient_tends_to_one():
    _, bkg, sig = _shapes()
    arr = FogArrays([bkg * 1e-9], [0.0], [sig], [1.0])
    lim = discovery_limits(arr, [1e-3, 1e-2])
    assert np.all(np.abs(lim.gradient - 1.0) < 0.12)  # n = ln x / (ln x − 1), x = s/b ≫ 1
    assert lim.gradient[0, 1] < lim.gradient[0, 0] + 1e-12 or lim.gradient[0, 1] < 1.12


def test_poisson_background_dominated_gradient_is_two():
    _, bkg, sig = _shapes()
    arr = FogArrays([bkg], [0.0], [sig], [1.0])
    eps = np.geomspace(1e8, 1e12, 5)  # s/b ≪ 1 in every bin (the last bin's S/B per unit σ is e^7.5)
    lim = discovery_limits(arr, eps)
    assert np.all(np.abs(lim.gradient - 2.0) < 0.004)
    assert np.all(np.diff(lim.gradient[0]) > 0)  # approaching 2 from below
    # σ_disc ∝ ε^(−1/2): the Gaussian limit σ = 3 / sqrt(ε Σ S²/B)
    gauss = 3.0 / np.sqrt(eps * np.sum(sig**2 / bkg))
    assert np.allclose(lim.sigma[0], gauss, rtol=0.01)


def test_saturation_signal_shaped_like_a_background():
    _, bkg, sig = _shapes()
    a, delta = 0.5, 0.1  # signal = a × background 0 per unit σ
    arr = FogArrays([bkg, sig], [delta, 0.2], [a * bkg], [1.0])
    eps = np.geomspace(1e2, 1e10, 9)
    lim = discovery_limits(arr, eps)
    # saturated: the pull penalty alone, q0 = (σ a / δ)², so σ_disc → 3 δ / a, n → ∞
    assert lim.sigma[0, -1] == pytest.approx(3.0 * delta / a, rel=1e-3)
    assert np.all(np.diff(lim.sigma[0]) < 0)
    assert lim.gradient[0, -1] > 1e3
    assert np.all(np.diff(lim.gradient[0]) > 0)


def test_analytic_gradient_matches_finite_differences():
    e, bkg, sig = _shapes()
    arr = FogArrays([bkg, np.exp(-e / 4.0)], [0.1, 0.3], [sig, np.exp(-e / 3.0)], [1.0, 2.0])
    eps = np.geomspace(1e-3, 1e7, 30)
    h = 1e-4
    lim = discovery_limits(arr, eps)
    up, dn = discovery_limits(arr, eps * np.exp(h)), discovery_limits(arr, eps * np.exp(-h))
    fd = -1.0 / ((np.log(up.sigma) - np.log(dn.sigma)) / (2 * h))
    assert np.allclose(lim.gradient, fd, rtol=1e-5)
    assert np.nanmax(lim.gradient) > 2.5 and np.nanmin(lim.gradient) < 1.5  # all regimes crossed
    assert abs(lim.gradient[0, -1] - 2.0) < 0.01  # back to 2 when the spectra tell the signal apart (O'Hare 2021)


# --- the root finding and the profile ----------------------------------------------------


def _toy(m: int = 12, k: int = 4, nbins: int = 25):
    e = np.linspace(1.0, 40.0, nbins)
    bkg = np.array([np.exp(-e / (1.5 + 4 * i)) * 10.0 ** (i % 3) for i in range(k)])
    sig = np.array([np.exp(-e / (0.7 + 1.5 * j)) for j in range(m)]) * 1e45
    return FogArrays(bkg, np.linspace(0.02, 0.3, k), sig, np.arange(1.0, m + 1), tuple(f"c{i}" for i in range(k)))


def test_root_finding_converges_to_q0_equals_z2():
    arr = _toy()
    eps = np.geomspace(1e-3, 1e9, 40)
    lim = discovery_limits(arr, eps, z=3.0)
    assert lim.converged.all()
    row = np.repeat(np.arange(len(arr.masses_gev)), eps.size)
    q = asimov_q0(arr.signal[row], arr.background, arr.uncertainties, lim.sigma.ravel(), np.tile(eps, len(arr.masses_gev)))
    assert np.allclose(q.q0, 9.0, rtol=1e-9)
    assert np.allclose(q.gradient, lim.gradient.ravel(), rtol=1e-7)
    five = discovery_limits(arr, eps[:3], z=5.0)
    assert np.all(five.sigma > lim.sigma[:, :3])


def test_vectorised_matches_per_point_scipy():
    arr = _toy(m=3, k=3, nbins=10)
    eps = np.array([1e-2, 10.0, 1e5, 1e8])
    lim = discovery_limits(arr, eps)
    for j in (0, 2):
        for i, e in enumerate(eps):
            lo, hi = lim.sigma[j, i] * 0.3, lim.sigma[j, i] * 3.0
            ref = brentq(lambda s: scipy_q0(arr.signal[j], arr.background, arr.uncertainties, s, e) - 9.0, lo, hi, rtol=1e-9)
            assert lim.sigma[j, i] == pytest.approx(ref, rel=2e-5)


def test_profile_matches_scipy_and_warm_start():
    arr = _toy(m=2, k=4, nbins=12)
    for sigma, eps in ((1e-45, 10.0), (3e-46, 1e6), (1e-43, 1e-2)):
        q = asimov_q0(arr.signal[1], arr.background, arr.uncertainties, sigma, eps)
        assert q.q0[0] == pytest.approx(scipy_q0(arr.signal[1], arr.background, arr.uncertainties, sigma, eps), rel=1e-6)
        warm = asimov_q0(arr.signal[1], arr.background, arr.uncertainties, sigma, eps, pulls=q.pulls * 0.9)
        assert warm.q0[0] == pytest.approx(q.q0[0], rel=1e-11)


def test_mass_without_signal_is_nan():
    arr = FogArrays([[1.0, 2.0]], [0.1], [[0.0, 0.0], [1.0, 0.5]], [1.0, 2.0])
    lim = discovery_limits(arr, [1.0, 10.0])
    assert np.all(np.isnan(lim.sigma[0])) and np.all(np.isfinite(lim.sigma[1]))


# --- gradient map and floors -------------------------------------------------------------


def test_gradient_map_and_floors():
    arr = _toy(m=4, k=4)
    eps = np.geomspace(1e-3, 1e10, 120)
    res = neutrino_fog(arr, eps)
    lim = res.limits
    # the map at σ = σ_disc(ε_j) is n_j
    for j in range(4):
        got = fog_gradient(lim, lim.sigma[j, 10:110:10])[j]
        assert np.allclose(got, lim.gradient[j, 10:110:10], rtol=1e-9)
    assert np.isnan(fog_gradient(lim, [lim.sigma.max() * 10])).all()
    f2, f25, f3 = (res.floors[v] for v in (2.0, 2.5, 3.0))
    ok = np.isfinite(f3)
    assert ok.any()
    assert np.all(f2[ok] >= f25[ok]) and np.all(f25[ok] >= f3[ok])
    # the floor sits where n crosses 2: between the limits at the two exposures around it
    for j in np.flatnonzero(np.isfinite(f2)):
        i = int(np.flatnonzero(lim.gradient[j] >= 2.0)[0])
        assert lim.sigma[j, i] <= f2[j] <= lim.sigma[j, i - 1]
    assert np.array_equal(floor(lim, 2.0), f2, equal_nan=True)


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("exposures", [[], [0.0], [-1.0], [np.nan]])
def test_bad_exposures(exposures):
    with pytest.raises(InputError):
        discovery_limits(_toy(m=1, k=1), exposures)


@pytest.mark.parametrize("kwargs", [
    dict(background=[[1.0, -1.0]]), dict(uncertainties=[0.1, 0.2]), dict(signal=[[1.0, 2.0, 3.0]]),
    dict(masses_gev=[1.0, 2.0]), dict(background=[[0.0, 1.0]]), dict(background=[1.0, 1.0]),
])
def test_bad_arrays(kwargs):
    base = dict(background=[[1.0, 1.0]], uncertainties=[0.1], signal=[[1.0, 2.0]], masses_gev=[10.0])
    with pytest.raises(InputError):
        FogArrays(**{**base, **kwargs})
