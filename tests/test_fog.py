"""Discovery limits and the neutrino fog (cevns.stats.fog) against closed forms and an
independent per-point computation (scipy minimiser + brentq)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq, minimize

from cevns.errors import InputError
from cevns.stats.fog import FogArrays, asimov_q0, discovery_limits, floor, floor_limits, fog_gradient, neutrino_fog


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


def test_power_is_a_shift_of_the_asimov_significance():
    # sqrt(q0) ~ N(sqrt(q0_A), 1) (Cowan et al. 2011): 90 % of experiments reach 3 sigma when
    # sqrt(q0_A) = 3 + 1.2816 (Billard et al. 2014's definition); the median is power 0.5
    from scipy.stats import norm

    arr = _toy(m=3, k=3, nbins=10)
    eps = [1e-2, 10.0, 1e6]
    ninety = discovery_limits(arr, eps, power=0.9)
    shifted = discovery_limits(arr, eps, z=3.0 + norm.ppf(0.9))
    assert np.allclose(ninety.sigma, shifted.sigma, rtol=1e-12)
    assert ninety.power == 0.9 and ninety.z == 3.0
    assert np.all(ninety.sigma > discovery_limits(arr, eps).sigma)
    # one bin, known background: Cowan Eq. 97 at 3 + 1.2816
    b = 2.0
    lim = discovery_limits(FogArrays([[b]], [0.0], [[1.0]], [10.0]), [5.0], power=0.9)
    assert cowan_z(lim.sigma[0, 0] * 5.0, b * 5.0) == pytest.approx(3.0 + norm.ppf(0.9), rel=1e-9)
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(InputError):
            discovery_limits(arr, eps, power=bad)


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


def test_floor_limits_give_the_floors_of_every_exposure():
    """floor_limits solves only the exposures the floor reads (those up to the first crossing
    of the level, near it): the same floors as discovery_limits at every level asked, the
    solved limits equal to theirs, the others NaN."""
    arr = _toy()
    eps = np.geomspace(1e-6, 1e9, 97)  # n ≈ 1.15 at the smallest exposure: every level is crossed
    dense = discovery_limits(arr, eps)
    for level in (1.5, 2.0, 2.5, 3.0):
        sparse = floor_limits(arr, eps, level)
        solved = np.isfinite(sparse.sigma)
        assert 0 < solved.sum() < 0.8 * solved.size
        assert np.array_equal(solved, np.isfinite(sparse.gradient)) and sparse.converged[solved].all()
        assert np.allclose(sparse.sigma[solved], dense.sigma[solved], rtol=1e-9)
        ours, want = floor(sparse, level), floor(dense, level)
        assert np.isfinite(want).all() and np.isfinite(ours).all()
        assert np.allclose(ours, want, rtol=1e-9)
    with pytest.raises(InputError):  # the floor is the first crossing along increasing exposure
        floor_limits(arr, eps[::-1])
    with pytest.raises(InputError):
        floor_limits(arr, eps, 0.0)
    with pytest.raises(InputError):
        floor_limits(arr, eps, 2.0, margin=-1.0)


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


# --- the wired-up target: neutrino spectra and WIMP signals ----------------------------------

from cevns.stats.fog import FOG_FLUXES, fog_arrays  # noqa: E402

EXPOSURES = np.geomspace(1e-5, 1e12, 200)


@pytest.fixture(scope="module")
def xenon():
    masses = [10.0, 30.0, 70.0, 100.0, 300.0, 1000.0, 3000.0]
    return fog_arrays("Xe", masses)


def test_fog_arrays_bins_are_integrals_of_the_spectra():
    from scipy.integrate import quad

    from cevns.physics.nuclei import resolve_target
    from cevns.physics.wimp import wimp_rate
    from cevns.rates.prediction import differential_rate
    from cevns.stats.fog import FOG_STRUCTURE, _component_source
    from cevns.units import kg, tonne, year

    arr = fog_arrays("Xe", [50.0], components=("8B", "atm"), threshold_kev=0.5, e_max_kev=60.0, n_bins=12)
    xe = resolve_target("Xe")
    per_tonne = {k: v * tonne / kg for k, v in xe.nuclei_per_kg().items()}
    b8 = _component_source("8B", FOG_FLUXES["8B"][0])

    def nu_rate(e):
        return sum(sum(differential_rate(np.array([e]), iso, per_tonne[iso.name], b8, year, structure=FOG_STRUCTURE).values())[0]
                   for iso in xe.isotopes)  # fog_arrays' nuclear structure (O'Hare's Helm form factors)

    edges = arr.edges_kev
    for i in (0, 3, 5):
        want = quad(nu_rate, edges[i], edges[i + 1], epsrel=1e-8, limit=200)[0]
        assert arr.background[0, i] == pytest.approx(want, rel=2e-3)
        sig = quad(lambda e: wimp_rate(e, 50.0, xe, 1e-45) / 1e-45, edges[i], edges[i + 1], epsrel=1e-9)[0]
        assert arr.signal[0, i] == pytest.approx(sig, rel=1e-6)
    assert list(arr.components) == ["8B", "atm"]
    assert np.allclose(arr.uncertainties, [0.02, 0.25])


def test_fog_arrays_signals_of_several_masses_equal_one_at_a_time():
    """The signals of several masses, integrated four at a time on the union of their panels,
    equal those of each mass alone (its own panels) to 1e-10; the backgrounds are the same."""
    masses = [1.3, 5.0, 6.0, 9.1, 27.0, 110.0, 800.0, 4000.0, 9000.0]
    for target in ("Xe", "CaWO4", "He"):
        arr = fog_arrays(target, masses)
        alone = np.vstack([fog_arrays(target, [m]).signal for m in masses])
        assert np.array_equal(arr.signal > 0, alone > 0)
        assert np.allclose(arr.signal, alone, rtol=1e-10, atol=0.0)
        assert np.array_equal(arr.background, fog_arrays(target, masses[:1]).background)


def test_xenon_limits_converge_and_n_regimes(xenon):
    lim = discovery_limits(xenon, EXPOSURES)
    assert lim.converged.all()
    assert np.all(np.diff(lim.sigma, axis=1) < 0)  # more exposure, lower limit
    assert np.all(lim.gradient[:, 0] < 1.3)  # tiny exposures: almost background free
    assert np.all(np.nanmax(lim.gradient, axis=1) > 2.5)  # every mass enters the fog


def test_xenon_gradient_at_huge_exposures_equals_a_fresh_profile(xenon):
    """Up to 10¹² t·yr, where the Newton decrement of the pulls falls under the rounding of q₀
    before the profile's tolerance (the step is then taken whole and ends the profile), n
    along the limits equals n of a profile started afresh from zero pulls at the same σ, to
    10⁻⁶ (halving those steps instead left n off by 2·10⁻⁵ here, by 10⁻⁴ on the 100 × 200 grid
    of the reproduction)."""
    lim = discovery_limits(xenon, EXPOSURES)
    m, e = lim.sigma.shape
    row = np.repeat(np.arange(m), e)
    q = asimov_q0(xenon.signal[row], xenon.background, xenon.uncertainties, lim.sigma.ravel(), np.tile(EXPOSURES, m))
    assert q.converged.all() and lim.converged.all()
    assert np.allclose(q.q0, 9.0, rtol=1e-8)
    assert np.allclose(lim.gradient.ravel(), q.gradient, rtol=1e-6)


def test_vectorised_cholesky_steps_equal_lapack(xenon, monkeypatch):
    """The Newton steps of the pulls by the Cholesky factorisation vectorised over the points
    (used from 400 points) equal LAPACK's solver's (numpy.linalg.solve), on xenon's Hessians
    up to 10¹² t·yr and through the whole solve: the same limits and gradients."""
    import cevns.stats.fog as fog

    model = fog._Model.of(xenon.background, xenon.uncertainties)
    rng = np.random.default_rng(7)
    p = 3000
    eps = 10.0 ** rng.uniform(-5, 12, p)
    m = model.total * rng.uniform(0.5, 1.5, (p, model.total.size))
    d = m * rng.uniform(0.8, 1.2, m.shape)
    grad = rng.normal(size=(p, model.shifts.shape[0])) * eps[:, None]
    ours = fog._newton_steps(model, d / m**2, eps, grad)
    hess = 2.0 * eps[:, None, None] * np.einsum("kn,pn,ln->pkl", model.shifts, d / m**2, model.shifts) + 2.0 * np.eye(11)
    want = -np.linalg.solve(hess, grad[..., None])[..., 0]
    # to the Hessians' conditioning: the decrement g·H⁻¹g, which Newton's method reads, to 1e-10
    assert np.allclose(np.sum(grad * ours, -1), np.sum(grad * want, -1), rtol=1e-10)
    assert np.allclose(ours, want, rtol=1e-6, atol=1e-9 * np.abs(want).max())
    monkeypatch.setattr(fog, "_VECTOR_CHOLESKY", 1)  # every step by the vectorised Cholesky
    lim = discovery_limits(xenon, EXPOSURES)
    monkeypatch.setattr(fog, "_VECTOR_CHOLESKY", 10**9)  # every step by LAPACK
    lapack = discovery_limits(xenon, EXPOSURES)
    assert np.allclose(lim.sigma, lapack.sigma, rtol=1e-9) and np.allclose(lim.gradient, lapack.gradient, rtol=1e-7)


def test_xenon_floor_scales_with_mass_at_high_mass(xenon):
    # above ~300 GeV the recoil spectrum no longer changes with the mass and the number
    # density falls as 1/m: the floor grows ∝ m (Billard et al. 2014, Fig. 4; O'Hare 2021, Fig. 3)
    floor2 = neutrino_fog(xenon, EXPOSURES).floors[2.0]
    m = xenon.masses_gev
    assert floor2[5] / floor2[4] == pytest.approx(m[5] / m[4], rel=0.1)
    assert floor2[6] / floor2[5] == pytest.approx(m[6] / m[5], rel=0.1)


def test_xenon_floor_against_ohare():
    # O'Hare's published Xe SI floor (his table data/floors/Xe_SI.txt, cajohare/NeutrinoFog,
    # MIT, commit 0df3d0c; OHARE_XE_FLOOR_CM2). He used 131Xe alone and sin²θ_W = 0.2387;
    # we use natural Xe: within 30 % (the tolerance asked for) at 30 GeV-1 TeV; observed ~5 %. At 6 and
    # 10 GeV, where the floor falls by three decades, within 30 % too (observed -3 %, -14 %).
    from cevns.reproduce.neutrino_fog import OHARE_XE_FLOOR_CM2

    masses = list(OHARE_XE_FLOOR_CM2)
    floor2 = neutrino_fog(fog_arrays("Xe", masses), EXPOSURES).floors[2.0]
    for m, ours in zip(masses, floor2):
        assert ours == pytest.approx(OHARE_XE_FLOOR_CM2[m], rel=0.3), m
        if m >= 30.0:
            assert ours == pytest.approx(OHARE_XE_FLOOR_CM2[m], rel=0.1), m


def test_xenon_floor_against_published_value():
    # Y. Fan, X. Liu, N. Zhou, Chin. Phys. C (2025), arXiv:2503.22155 (abstract): with the
    # gradient (n = 2) definition of O'Hare 2021, the xenon floor at CJPL, whose atmospheric
    # flux is ~30% below LNGS, is sigma ~ 3e-49 cm^2 at 70 GeV. Same inputs otherwise
    # (O'Hare's fluxes), atmospheric flux x 0.7: within 30%.
    arr = fog_arrays("Xe", [70.0], fluxes={"atm": (0.7 * FOG_FLUXES["atm"][0], FOG_FLUXES["atm"][1])})
    floor2 = neutrino_fog(arr, EXPOSURES).floors[2.0][0]
    assert floor2 == pytest.approx(3e-49, rel=0.3)
    # and at the LNGS flux the floor is higher, by less than the flux ratio
    lngs = neutrino_fog(fog_arrays("Xe", [70.0]), EXPOSURES).floors[2.0][0]
    assert 1.0 < lngs / floor2 < 1.0 / 0.7


@pytest.mark.parametrize("kwargs", [
    dict(masses_gev=[]), dict(masses_gev=[1e-3]), dict(masses_gev=[1e7]), dict(threshold_kev=-1.0),
    dict(threshold_kev=300.0), dict(n_bins=0), dict(components=("9Li",)), dict(fluxes={"atm": (-1.0, 0.2)}),
])
def test_fog_arrays_bad_input(kwargs):
    with pytest.raises(InputError):
        fog_arrays("Xe", **{"masses_gev": [30.0], **kwargs})


# --- the command line --------------------------------------------------------------------------

from cli_run import one_error_line, run_cli  # noqa: E402


def test_cli_json(capsys):
    import json

    rc, out, err = run_cli(capsys, "fog", "Xe", "--masses", "30,100", "--exposures", "1e-3:1e10:80", "--sigmas",
                           "1e-50:1e-44:30", "--json")
    assert rc == 0, err
    data = json.loads(out)
    assert data["masses_gev"] == [30.0, 100.0]
    assert len(data["floor_cm2"]) == 2 and 1e-50 < data["floor_cm2"][1] < 1e-47
    assert set(data["floors_cm2"]) == {"2", "2.5", "3"}
    assert len(data["gradient_map"]["n"]) == 2 and len(data["gradient_map"]["n"][0]) == 30
    assert len(data["discovery_limits"]["sigma_cm2"][0]) == 80
    assert data["converged"] is True
    # the same numbers as the library
    arr = fog_arrays("Xe", [30.0, 100.0])
    lib = neutrino_fog(arr, np.geomspace(1e-3, 1e10, 80))
    assert np.allclose(data["floor_cm2"], lib.floors[2.0], rtol=1e-9)


def test_cli_text_plot_and_out(capsys, tmp_path):
    rc, out, err = run_cli(capsys, "fog", "Xe", "--masses", "20:200:3", "--exposures", "1e-3:1e10:40",
                           "--plot", str(tmp_path / "fog.png"), "--out", str(tmp_path / "run"))
    assert rc == 0, err
    assert "n=2" in out and len(out.splitlines()) == 2 + 3
    assert (tmp_path / "fog.png").stat().st_size > 1000
    assert (tmp_path / "run" / "fog.json").is_file() and (tmp_path / "run" / "fog.png").is_file()


@pytest.mark.parametrize("args,words", [
    (("--exposures", ""), "--exposures"),
    (("--exposures", ","), "--exposures"),
    (("--exposures", "1:0:3"), "--exposures"),
    (("--masses", "1e-4"), "masses"),
    (("--masses", "abc"), "--masses"),
    (("--threshold-kev", "500"), "threshold"),
    (("--threshold-kev", "-1"), "threshold"),
    (("--plot", "x.unknownformat"), "format"),
    (("--power", "1.5"), "--power"),
])
def test_cli_bad_input(capsys, args, words):
    rc, out, err = run_cli(capsys, "fog", "Xe", "--masses", "30", "--exposures", "1:10:3", *args)
    assert rc == 2
    assert words in one_error_line(err)


# --- the reproduction ---------------------------------------------------------------------------


def test_reproduction_fast():
    from cevns.reproduce import get_reproduction

    rep = get_reproduction("neutrino-fog")
    results = {}
    for step in rep.steps:
        out = step.run(True)
        assert out.figures
        results.update({r.quantity: r for r in out.results})
    slope = results["slope d ln floor / d ln m above 300 GeV"]
    assert abs(slope.ours - 1.0) < 0.1
    cjpl = results["Xe floor at 70 GeV, CJPL atmospheric flux"]
    assert abs(cjpl.relative_difference) < 0.3
    assert all(results[f"n at the smallest exposure, {m:g} GeV"].ours < 1.3 for m in (6.0, 30.0, 100.0, 1000.0))
    floors = [r for q, r in results.items() if q.startswith("Xe floor (n = 2)")]
    assert len(floors) == 6 and all(abs(r.relative_difference) < 0.3 for r in floors)


def test_reproduction_figures_fixed_frames_hold_their_texts():
    """The figures of neutrino-fog have fixed margins (no layout pass) and are saved as laid
    out (not cropped): every title, axis label, tick label and legend lies inside the canvas
    and no axes overlap another."""
    from cevns.reproduce import get_reproduction
    from tests.figure_checks import assert_fixed_frame_holds_its_texts

    rep = get_reproduction("neutrino-fog")
    figures = [f for step in rep.steps for f in step.run(True).figures]
    assert len(figures) == 11
    for f in figures:
        assert_fixed_frame_holds_its_texts(f.name, f.figure)


def test_fog_arrays_background_rows_are_computed_once_and_unchanged():
    """fog_arrays caches each neutrino background row (component, flux, target, binning):
    a second call with other masses returns the same background, bit for bit, as a fresh
    computation; a changed flux changes only its own row (by the flux ratio); a custom
    nuclear structure is not served from the cache; the arrays handed out are the caller's."""
    from cevns.physics.cross_sections import NuclearStructure
    from cevns.stats import fog

    fog._default_background_row.cache_clear()
    a = fog.fog_arrays("Ar", [10.0], n_bins=12)
    hits = fog._default_background_row.cache_info().hits
    b = fog.fog_arrays("Ar", [30.0, 100.0], n_bins=12)
    assert fog._default_background_row.cache_info().hits == hits + len(b.components)
    fresh = np.array([fog._compute_background_row(c, fog.FOG_FLUXES[c][0], "Ar", 1e-4, 200.0, 12, 8, fog.FOG_STRUCTURE, "bins")
                      for c in b.components])[:, :b.background.shape[1]]
    assert np.array_equal(a.background, b.background) and np.array_equal(b.background, fresh)
    flux, unc = fog.FOG_FLUXES["atm"]
    c = fog.fog_arrays("Ar", [10.0], n_bins=12, fluxes={"atm": (0.7 * flux, unc)})
    k = c.components.index("atm")
    assert np.allclose(c.background[k], 0.7 * a.background[k], rtol=1e-12)
    others = [i for i in range(len(c.components)) if i != k]
    assert np.array_equal(c.background[others], a.background[others])
    b.background[0, 0] = -1.0  # the caller's copy: the cache is untouched
    assert np.array_equal(fog.fog_arrays("Ar", [10.0], n_bins=12).background, a.background)
    hits = fog._default_background_row.cache_info().hits
    other = fog.fog_arrays("Ar", [10.0], n_bins=12, structure=NuclearStructure(radius_default="lewin-smith"))
    assert fog._default_background_row.cache_info().hits == hits
    assert np.allclose(other.background, a.background, rtol=1e-12)


# --- speed structure: continuation along exposure, cached rows, plain tick labels ---------------


def test_continuation_levels_cover_every_exposure_once_between_solved_neighbours():
    from cevns.stats.fog import _continuation_levels

    leps = np.log(np.geomspace(1e-3, 1e9, 61))
    levels = _continuation_levels(leps)
    assert levels[0][1] is None and len(levels) == 4  # strides 8, 4, 2, 1
    solved = set(levels[0][0].tolist())
    assert {0, 60} <= solved
    for new, below, above in levels[1:]:
        assert below is not None and above is not None
        assert np.all(below < new) and np.all(new < above)
        assert solved >= set(below.tolist()) | set(above.tolist())
        assert not solved & set(new.tolist())
        solved |= set(new.tolist())
    assert solved == set(range(61))
    # repeated exposures (or few): one level from the Gaussian start
    assert len(_continuation_levels(np.log([1.0, 1.0, 2.0, 3.0] * 8))) == 1
    assert len(_continuation_levels(np.log([1.0, 2.0]))) == 1


def test_continuation_equals_independent_solves():
    """The exposures solved from their neighbours' cubic (warm starts) give the roots and
    gradients of every exposure solved on its own from the Gaussian start (one exposure per
    call), to the root finding's tolerance; the order of the exposures does not matter."""
    arr = _toy(m=5, k=4)
    eps = np.geomspace(1e-3, 1e7, 50)  # above ~1e8, n rests on the pulls to ~1e-10 (rounding of q0)
    lim = discovery_limits(arr, eps)
    assert lim.converged.all()
    alone = [discovery_limits(arr, [e]) for e in eps]
    sigma = np.stack([a.sigma[:, 0] for a in alone], axis=1)
    grad = np.stack([a.gradient[:, 0] for a in alone], axis=1)
    assert np.allclose(lim.sigma, sigma, rtol=1e-9)
    assert np.allclose(lim.gradient, grad, rtol=1e-7)
    perm = np.random.default_rng(3).permutation(eps.size)
    shuffled = discovery_limits(arr, eps[perm])
    assert np.allclose(shuffled.sigma, lim.sigma[:, perm], rtol=1e-9)
    assert np.allclose(shuffled.gradient, lim.gradient[:, perm], rtol=1e-7)
    seen = []
    discovery_limits(arr, eps, progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (5 * 50, 5 * 50) and all(t == 250 for _, t in seen)
    assert all(a <= b for (a, _), (b, _) in zip(seen, seen[1:]))


def test_total_normalised_rows_reuse_the_bin_rows_bit_for_bit():
    """O'Hare's normalisation from the cached row of bin integrals equals its computation
    from scratch, bit for bit; the bin rows are not recomputed for it."""
    from cevns.stats import fog

    fog._default_background_row.cache_clear()
    bins = fog.fog_arrays("F", [30.0], components=("DSNB", "atm"), n_bins=12)
    misses = fog._default_background_row.cache_info().misses
    total = fog.fog_arrays("F", [30.0], components=("DSNB", "atm"), n_bins=12, normalisation="total")
    assert fog._default_background_row.cache_info().misses == misses + 2  # the two total rows, no bin row
    fresh = np.array([fog._compute_background_row(c, fog.FOG_FLUXES[c][0], "F", 1e-4, 200.0, 12, 8, fog.FOG_STRUCTURE,
                                                  "total") for c in total.components])[:, :total.background.shape[1]]
    assert np.array_equal(total.background, fresh)
    k = total.components.index("atm")
    ratio = total.background[k].sum() / bins.background[k].sum()
    assert 1.5 < ratio < 2.2  # ×1.86 on 19F (fog_arrays docstring)


def test_plain_tick_labels():
    from cevns.reproduce.neutrino_fog import _plain_tick_label

    assert _plain_tick_label(r"$\mathdefault{10^{-45}}$") == "10⁻⁴⁵"
    assert _plain_tick_label(r"$\mathdefault{10^{0}}$") == "10⁰"
    assert _plain_tick_label(r"$\mathdefault{3\times10^{-49}}$") == "3×10⁻⁴⁹"
    assert _plain_tick_label("") == "" and _plain_tick_label("2") == "2"
