"""Statistics: closed forms against numerical minimisation, likelihood ratios against
scipy.stats, the covariance χ² against Gaussian pulls, thresholds against textbook values."""

import numpy as np
import pytest
from scipy import optimize, stats

from cevns.errors import InputError
from cevns.stats import chi2 as st
def _minimize(fun, x0, **options):
    """Tight Nelder–Mead then BFGS polish: an independent numerical minimum."""
    first = optimize.minimize(fun, x0, method="Nelder-Mead", options={"xatol": 1e-11, "fatol": 1e-13, "maxiter": 20000})
    second = optimize.minimize(fun, first.x, method="BFGS", options={"gtol": 1e-11})
    return second if second.fun <= first.fun else first


# --- pulls ------------------------------------------------------------------------------
def test_pull_chi2_equals_numerical_minimum():
    rng = np.random.default_rng(11)
    for _ in range(8):
        n, s, b = rng.uniform(50, 300), rng.uniform(50, 300), rng.uniform(1, 30)
        sa, sb, sst = rng.uniform(0.05, 0.4), rng.uniform(0.05, 0.4), rng.uniform(5, 40)
        fit = st.pull_chi2(n, s, b, sa, sb, sst)

        def chi2(p, n=n, s=s, b=b, sa=sa, sb=sb, sst=sst):
            return (n - s * (1 + p[0]) - b * (1 + p[1])) ** 2 / sst**2 + (p[0] / sa) ** 2 + (p[1] / sb) ** 2

        ref = _minimize(chi2, [0.0, 0.0])
        assert fit.chi2 == pytest.approx(ref.fun, rel=1e-8, abs=1e-10)
        assert chi2([fit.alpha, fit.beta]) == pytest.approx(float(fit.chi2), rel=1e-12)
        np.testing.assert_allclose(fit.pulls, ref.x, atol=1e-6)


def test_pull_chi2_papoulias_kosmas_inputs():
    """COHERENT CsI 2017 single bin: N_meas = 142 (Papoulias & Kosmas, arXiv:1711.09773, Eq. 6), σ_stat = √(N + 2B_ss + B_on)."""
    sigma = st.csi2017_sigma_stat(142, 405, 6)
    assert sigma == pytest.approx(np.sqrt(142 + 810 + 6))
    fit = st.pull_chi2(142, 173.0, 6.0, 0.28, 0.25, sigma)
    r = 142 - 173 - 6
    assert fit.chi2 == pytest.approx(r**2 / (sigma**2 + (173 * 0.28) ** 2 + (6 * 0.25) ** 2))
    assert fit.alpha < 0  # fewer events than predicted: the signal is pulled down


def test_zero_systematics_give_the_plain_chi2():
    rng = np.random.default_rng(3)
    n, s, b, sst = rng.uniform(10, 100, 6), rng.uniform(10, 100, (4, 6)), rng.uniform(1, 5, 6), rng.uniform(3, 10, 6)
    plain = np.sum((n - s - b) ** 2 / sst**2, axis=-1)
    binned = st.binned_pull_chi2(n, s, b, 0.0, 0.0, sst)
    np.testing.assert_allclose(binned.chi2, plain, rtol=1e-13)
    assert np.all(binned.pulls == 0.0)
    single = st.pull_chi2(n[0], s[:, 0], b[0], 0.0, 0.0, sst[0])
    np.testing.assert_allclose(single.chi2, plain_single := (n[0] - s[:, 0] - b[0]) ** 2 / sst[0] ** 2, rtol=1e-13)
    assert plain_single.shape == (4,)


def test_pull_chi2_broadcasts_over_a_grid():
    grid = np.linspace(100, 250, 201)[:, None] * np.linspace(0.8, 1.2, 201)[None, :]
    fit = st.pull_chi2(142, grid, 6.0, 0.28, 0.25, 31.0)
    assert fit.chi2.shape == (201, 201) and fit.pulls.shape == (201, 201, 2)
    one = st.pull_chi2(142, grid[17, 150], 6.0, 0.28, 0.25, 31.0)
    assert fit.chi2[17, 150] == pytest.approx(float(one.chi2), rel=1e-15)


def test_binned_pull_chi2_equals_numerical_minimum():
    rng = np.random.default_rng(5)
    n, b, sst = rng.uniform(20, 80, 7), rng.uniform(2, 10, 7), rng.uniform(5, 12, 7)
    s = rng.uniform(20, 80, (3, 7))
    sa, sb = np.array([0.1, 0.3, 0.2]), 0.25
    fit = st.binned_pull_chi2(n, s, b, sa, sb, sst)
    assert fit.chi2.shape == (3,)
    for i in range(3):

        def chi2(p, i=i):
            pred = s[i] * (1 + p[0]) + b * (1 + p[1])
            return np.sum((n - pred) ** 2 / sst**2) + (p[0] / sa[i]) ** 2 + (p[1] / sb) ** 2

        ref = _minimize(chi2, [0.0, 0.0])
        assert fit.chi2[i] == pytest.approx(ref.fun, rel=1e-8, abs=1e-10)
        np.testing.assert_allclose(fit.pulls[i], ref.x, atol=1e-6)


def test_binned_pull_chi2_with_one_bin_is_pull_chi2():
    single = st.pull_chi2(142, [150.0, 173.0, 200.0], 6.0, 0.28, 0.25, 31.0)
    binned = st.binned_pull_chi2([142.0], [[150.0], [173.0], [200.0]], [6.0], 0.28, 0.25, [31.0])
    np.testing.assert_allclose(binned.chi2, single.chi2, rtol=1e-12)
    np.testing.assert_allclose(binned.pulls, single.pulls, rtol=1e-10)


@pytest.mark.parametrize("bins", [1, 12])
def test_closed_form_two_pull_chi2_equals_the_linear_solve(bins):
    """The grid-scan kernel (2 × 2 system by Cramer's rule) equals binned_pull_chi2 (general
    solver) to rounding, with pulls absorbing much of the residual and with σ = 0."""
    rng = np.random.default_rng(23 + bins)
    n, b = rng.uniform(5, 200, bins), rng.uniform(0, 20, bins)
    sst = np.sqrt(n + rng.uniform(1, 50, bins))
    s = rng.uniform(0, 2000, (500, bins))
    for sa, sb in ((0.28, 0.25), (0.0, 0.0), (0.5, 0.0), (0.0, 0.3), (2.0, 1.5)):
        ref = st.binned_pull_chi2(n, s, b, sa, sb, sst).chi2
        np.testing.assert_allclose(st.two_pull_chi2(n, b, sa, sb, sst)(s), ref, rtol=1e-12)
    # Papoulias & Kosmas Eq. 6 in closed form at the CsI 2017 numbers: r²/(σ² + S²σ_α² + B²σ_β²)
    kernel = st.two_pull_chi2([142.0], [6.0], 0.28, 0.25, [31.0])
    expected = (142.0 - 173.0 - 6.0) ** 2 / (31.0**2 + (173.0 * 0.28) ** 2 + (6.0 * 0.25) ** 2)
    assert kernel(np.array([[173.0]]))[0] == pytest.approx(expected, rel=1e-15)
    with pytest.raises(InputError):
        st.two_pull_chi2([142.0], [6.0], -0.1, 0.25, [31.0])
    with pytest.raises(InputError):
        st.two_pull_chi2([142.0], [6.0], 0.1, 0.25, [0.0])


# --- Poisson ------------------------------------------------------------------------------
def test_poisson_deviance_is_twice_the_log_likelihood_ratio_to_the_saturated_model():
    rng = np.random.default_rng(7)
    mu = rng.uniform(0.2, 20, (5, 9))
    n = rng.poisson(mu[0]).astype(float)
    n[[1, 4]] = 0.0  # empty bins
    lnl = stats.poisson.logpmf(n, mu).sum(axis=-1)
    lnl_sat = stats.poisson.logpmf(n, n).sum(axis=-1)
    np.testing.assert_allclose(st.poisson_deviance(n, mu), 2 * (lnl_sat - lnl), rtol=1e-12, atol=1e-12)
    assert st.poisson_deviance(0, 2.5) == pytest.approx(5.0)
    assert st.poisson_deviance([3.0, 4.0], [3.0, 4.0]) == 0.0
    assert st.poisson_deviance([1.0], [0.0]) == np.inf


def _profiled_reference(n, s, b, ss, sb):
    def chi2(p):
        mu = (1 + p[0]) * s + (1 + p[1]) * b
        if np.any(mu < 0):
            return 1e300
        return float(st.poisson_deviance(n, mu)) + (p[0] / ss) ** 2 + (p[1] / sb) ** 2

    return _minimize(chi2, [0.0, 0.0])


def test_profiled_poisson_deviance_equals_numerical_minimum():
    rng = np.random.default_rng(13)
    s = rng.uniform(2, 40, (4, 8))
    b = rng.uniform(0.5, 6, 8)
    n = rng.poisson(1.3 * s[0] + b).astype(float)
    n[2] = 0.0
    sig_s = np.array([0.1, 0.3, 0.5, 0.9])
    fit = st.profiled_poisson_deviance(n, s, b, sig_s, 0.25)
    assert fit.converged.all() and fit.chi2.shape == (4,)
    for i in range(4):
        ref = _profiled_reference(n, s[i], b, sig_s[i], 0.25)
        assert fit.chi2[i] == pytest.approx(ref.fun, rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(fit.pulls[i], ref.x, atol=1e-5)
    # a large pull towards many more events than predicted, and few counts
    n2, s2, b2 = np.array([100.0, 120.0, 80.0]), np.array([10.0, 12.0, 8.0]), np.ones(3)
    fit2 = st.profiled_poisson_deviance(n2, s2, b2, 1.0, 0.1)
    ref2 = _profiled_reference(n2, s2, b2, 1.0, 0.1)
    assert fit2.converged and fit2.chi2 == pytest.approx(ref2.fun, rel=1e-9)


def test_profiled_poisson_with_zero_sigmas_is_the_plain_deviance_and_one_free_pull_is_1d():
    n, s, b = np.array([5.0, 0.0, 9.0]), np.array([4.0, 2.0, 6.0]), np.array([1.0, 0.5, 1.0])
    fixed = st.profiled_poisson_deviance(n, s, b, 0.0, 0.0)
    assert fixed.chi2 == pytest.approx(float(st.poisson_deviance(n, s + b)), rel=1e-14)
    one = st.profiled_poisson_deviance(n, s, b, 0.3, 0.0)
    ref = optimize.minimize_scalar(
        lambda a: float(st.poisson_deviance(n, (1 + a) * s + b)) + (a / 0.3) ** 2, bounds=(-0.9, 2), method="bounded",
        options={"xatol": 1e-12},
    )
    assert one.chi2 == pytest.approx(ref.fun, rel=1e-10)
    assert one.beta == 0.0


# --- covariance χ² ------------------------------------------------------------------------
N_EXP = np.array([1200.0, 1350.0, 1500.0])  # three detectors (e.g. 70Ge, 72Ge, 76Ge)


def test_covariance_matrix_is_eq6_of_galindo_uribarri():
    fa, fb = np.array([0.25, 0.2, 0.3]), np.array([0.1, 0.1, 0.05])
    cov = st.covariance_matrix(N_EXP, {"A": fa, "B": fb}, background_fraction=0.1)
    sa, sb = fa * N_EXP, fb * N_EXP
    for i in range(3):
        for j in range(3):
            stat = 1.1 * N_EXP[i] if i == j else 0.0
            assert cov[i, j] == pytest.approx(stat + sa[i] * sa[j] + sb[i] * sb[j], rel=1e-14)
    np.testing.assert_allclose(cov, st.covariance_matrix(N_EXP, [fa, fb]), rtol=1e-15)


def test_covariance_chi2_against_direct_quadratic_form_and_without_systematics():
    rng = np.random.default_rng(17)
    theory = N_EXP * rng.uniform(0.9, 1.1, (6, 3))
    cov = st.covariance_matrix(N_EXP, [[0.25], [0.1]])
    r = theory - N_EXP
    direct = np.einsum("bi,ij,bj->b", r, np.linalg.inv(cov), r)
    np.testing.assert_allclose(st.covariance_chi2(N_EXP, theory, cov), direct, rtol=1e-10)
    bare = st.covariance_matrix(N_EXP, np.zeros((1, 3)), background_fraction=0.0)
    np.testing.assert_allclose(st.covariance_chi2(N_EXP, theory, bare), np.sum(r**2 / N_EXP, axis=-1), rtol=1e-12)
    # per-point covariance (σ_k scaled by the theory counts): batched = one by one
    per_point = st.covariance_matrix(N_EXP, [[0.25], [0.1]], theory=theory, reference="theory")
    batched = st.covariance_chi2(N_EXP, theory, per_point)
    for i in range(6):
        assert batched[i] == pytest.approx(float(st.covariance_chi2(N_EXP, theory[i], per_point[i])), rel=1e-12)


def test_covariance_chi2_with_one_source_equals_the_profiled_pull_chi2():
    """Σ (N_exp − N_th(1+α))²/σ_stat² + (α/f)², minimised over α, is the covariance χ² with
    σ_i = f N_th,i fully correlated (Woodbury); checked against the closed-form pulls and a
    numerical minimum."""
    rng = np.random.default_rng(19)
    theory = N_EXP * rng.uniform(0.85, 1.15, (5, 3))
    f = 0.25
    cov = st.covariance_matrix(N_EXP, [[f]], theory=theory, reference="theory", background_fraction=0.1)
    chi2_cov = st.covariance_chi2(N_EXP, theory, cov)
    sigma_stat = np.sqrt(1.1 * N_EXP)
    pulls = st.binned_pull_chi2(N_EXP, theory, np.zeros(3), f, 0.0, sigma_stat)
    np.testing.assert_allclose(chi2_cov, pulls.chi2, rtol=1e-10)
    for i in (0, 3):
        th = theory[i]
        ref = _minimize(lambda a, th=th: np.sum((N_EXP - th * (1 + a[0])) ** 2 / sigma_stat**2) + (a[0] / f) ** 2, [0.0])
        assert chi2_cov[i] == pytest.approx(ref.fun, rel=1e-8)


def test_covariance_chi2_with_several_sources_equals_one_pull_per_source():
    rng = np.random.default_rng(23)
    theory = N_EXP * rng.uniform(0.85, 1.15, (4, 3))
    frac = np.array([[0.25, 0.22, 0.28], [0.1, 0.1, 0.1], [0.0, 0.05, 0.02]])
    cov = st.covariance_matrix(N_EXP, frac, background_fraction=0.1)  # σ_k,i = f_k,i N_exp,i
    fit = st.profile_linear_pulls(N_EXP - theory, frac * N_EXP, 1.1 * N_EXP)
    np.testing.assert_allclose(st.covariance_chi2(N_EXP, theory, cov), fit.chi2, rtol=1e-10)
    ref = _minimize(lambda x: np.sum((N_EXP - theory[1] - x @ (frac * N_EXP)) ** 2 / (1.1 * N_EXP)) + x @ x, np.zeros(3))
    assert fit.chi2[1] == pytest.approx(ref.fun, rel=1e-8)


def test_marginalising_a_detector_equals_the_smaller_array_and_a_free_prediction():
    frac = np.array([[0.25, 0.2, 0.3], [0.1, 0.05, 0.1]])
    cov = st.covariance_matrix(N_EXP, frac)
    theory = N_EXP * np.array([[1.05, 0.97, 1.02], [0.9, 1.1, 1.0]])
    sub, (exp_sub, th_sub) = st.marginalise_detector(cov, (N_EXP, theory), 0)
    direct = st.covariance_matrix(N_EXP[1:], frac[:, 1:])
    np.testing.assert_allclose(sub, direct, rtol=1e-15)
    np.testing.assert_array_equal(th_sub, theory[:, 1:])
    chi2_sub = st.covariance_chi2(exp_sub, th_sub, sub)
    # the full χ² minimised over the dropped detector's prediction (a free parameter)
    for i in range(2):

        def full(t0, i=i):
            return float(st.covariance_chi2(N_EXP, np.array([t0, *theory[i, 1:]]), cov))

        ref = optimize.minimize_scalar(full, bounds=(0.0, 3 * N_EXP[0]), method="bounded", options={"xatol": 1e-9})
        assert chi2_sub[i] == pytest.approx(ref.fun, rel=1e-8)
    sub2, single = st.marginalise_detector(cov, N_EXP, [0, -1])
    assert sub2.shape == (1, 1) and single.tolist() == [N_EXP[1]]
    with pytest.raises(ValueError):
        st.marginalise_detector(cov, N_EXP, [0, 1, 2])


# --- confidence levels --------------------------------------------------------------------
def test_thresholds_are_the_textbook_values():
    assert st.delta_chi2_threshold(st.cl_from_sigma(1), 1) == pytest.approx(1.0, rel=1e-12)
    assert st.delta_chi2_threshold(st.cl_from_sigma(2), 1) == pytest.approx(4.0, rel=1e-12)
    assert st.delta_chi2_threshold(0.90, 1) == pytest.approx(2.706, abs=5e-4)
    assert st.delta_chi2_threshold(st.cl_from_sigma(1), 2) == pytest.approx(2.30, abs=5e-3)
    np.testing.assert_allclose(st.delta_chi2_threshold([0.90, 0.95], 2), [4.61, 5.99], atol=5e-3)
    assert st.cl_from_sigma(1) == pytest.approx(0.6827, abs=5e-5)
    with pytest.raises(ValueError):
        st.delta_chi2_threshold(1.0, 1)



def test_thresholds_equal_scipy_stats_chi2_ppf():
    """The quantile through scipy.special.gammaincinv equals scipy.stats.chi2.ppf to 1e-12."""
    p = np.concatenate([np.linspace(1e-6, 1 - 1e-6, 1001), [0.6827, 0.90, 0.95, 0.9545, 0.99, 0.9973]])
    for dof in range(1, 21):
        np.testing.assert_allclose(st.delta_chi2_threshold(p, dof), stats.chi2.ppf(p, dof), rtol=1e-12, atol=0)


def test_thresholds_closed_forms_for_one_and_two_dof():
    """1 dof: F⁻¹(p) = 2 [erf⁻¹(p)]² (χ²₁ = z², z Gaussian); 2 dof: F(x) = 1 − e^{−x/2}, so
    F⁻¹(p) = −2 ln(1 − p)."""
    from scipy import special

    p = np.linspace(1e-4, 1 - 1e-4, 501)
    np.testing.assert_allclose(st.delta_chi2_threshold(p, 1), 2.0 * special.erfinv(p) ** 2, rtol=1e-12)
    np.testing.assert_allclose(st.delta_chi2_threshold(p, 2), -2.0 * np.log1p(-p), rtol=1e-12)


def test_statistics_modules_do_not_import_scipy_stats():
    """scipy.stats costs 0.4–0.9 s of import time; the statistics and the CLI avoid it."""
    import subprocess
    import sys

    code = (
        "import sys, cevns.stats.chi2, cevns.stats.fits, cevns.stats.scans, cevns.stats.toys, cevns.stats.arrays, cevns.cli\n"
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

def test_interval_on_a_parabola_is_plus_minus_sqrt_threshold():
    x = np.linspace(-4, 4, 801)
    for cl in (st.cl_from_sigma(1), 0.90, st.cl_from_sigma(2)):
        thr = float(st.delta_chi2_threshold(cl, 1))
        (interval,) = st.interval_from_profile(x, (x - 0.3) ** 2, thr)
        low, high = interval
        assert low == pytest.approx(0.3 - np.sqrt(thr), abs=1e-4)
        assert high == pytest.approx(0.3 + np.sqrt(thr), abs=1e-4)
        assert not (interval.low_open or interval.high_open)


def test_interval_disjoint_open_and_empty():
    x = np.linspace(-3, 3, 1201)
    well = (x**2 - 4) ** 2  # minima at ±2, Δχ² = 16 at 0
    left, right = st.interval_from_profile(x, well, 1.0)
    assert left.low == pytest.approx(-np.sqrt(5), abs=1e-4) and left.high == pytest.approx(-np.sqrt(3), abs=1e-4)
    assert right.low == pytest.approx(np.sqrt(3), abs=1e-4) and right.high == pytest.approx(np.sqrt(5), abs=1e-4)
    (whole,) = st.interval_from_profile(x, well, 30.0)  # above the curve at both edges (25)
    assert (whole.low, whole.high, whole.low_open, whole.high_open) == (-3.0, 3.0, True, True)
    (half,) = st.interval_from_profile(x, x, 1.0)  # rising line: open at the lower edge
    assert half.low_open and not half.high_open and half.high == pytest.approx(1.0, abs=1e-12)
    assert st.interval_from_profile(x, x**2 + 5, 1.0) == []
    d = x**2
    d[x < -0.5] = np.nan  # NaN = excluded; the end next to it is the grid point
    (cut,) = st.interval_from_profile(x, d, 1.0)
    assert cut.low == pytest.approx(x[x >= -0.5][0]) and cut.high == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize("row_wise", [True, False])
def test_a_minimum_on_the_mu_boundary_converges(row_wise):
    """Signal (5, 1) with a free normalisation, background (0, 9) fixed, data (0, 10): the
    empty first bin drives the signal to 0, where χ² = 2(−1 + 10 ln(10/9)) (closed form);
    every Newton step points past μ₀ = 0 and is cut short, so the fit must stop on the
    boundary by the shortened-step rule (it ran all its iterations unconverged before), in
    the row-wise and the in-order search alike."""
    import math

    from cevns.stats.templates import profiled_poisson_components

    fit = profiled_poisson_components([0.0, 10.0], [[5.0, 1.0], [0.0, 9.0]], [math.inf, 0.0], row_wise=row_wise)
    exact = 2.0 * (-1.0 + 10.0 * math.log(10.0 / 9.0))
    assert bool(fit.converged)
    assert float(fit.chi2) == pytest.approx(exact, abs=3e-11 * (1.0 + exact))
    assert float(fit.pulls[0]) == pytest.approx(-1.0, abs=1e-9)
