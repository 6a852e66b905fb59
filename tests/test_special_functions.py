"""cevns.physics.special (numpy erf, erfc, erfcx, ndtr, expit) against scipy.special on
dense grids, against the C library's erfc, and against an independent 50-digit evaluation
(Python's decimal: the Maclaurin series of erf and Laplace's continued fraction).

scipy's own accuracy: its erfc, erfcx(x < 0) and ndtr lose ≈ x²·2⁻⁵³ of relative accuracy
in the tails (they round x² before the exponential; 5.7e-14 at x ≈ 26, measured against the
50-digit reference below), so the ≤ 2e-15 comparison with scipy is made where x² is exact
in binary (x a multiple of 1/128; there scipy is accurate), and elsewhere with scipy's own
error added to the tolerance; cevns's functions are checked to ≤ 1e-15 of the 50-digit
values there.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from scipy import special as sp

from cevns.physics import special as sf

RTOL = 2e-15
TINY = 1e-300  # below this (the subnormal edge) relative accuracy is not asked for


def _dense(lo: float, hi: float, n: int = 200001) -> np.ndarray:
    return np.linspace(lo, hi, n)


def _exact_squares(limit: float) -> np.ndarray:
    """Multiples of 1/128 in [−limit, limit]: their squares are exact doubles."""
    k = int(limit * 128)
    return np.arange(-k, k + 1) / 128.0


def _assert_rel(got: np.ndarray, ref: np.ndarray, rtol: float | np.ndarray) -> None:
    got, ref = np.broadcast_arrays(got, ref)
    rtol = np.broadcast_to(rtol, ref.shape)
    big = np.isfinite(ref) & (np.abs(ref) > TINY)
    rel = np.abs(got[big] / ref[big] - 1.0)
    assert np.all(rel <= rtol[big]), f"max rel error {rel.max():.3g}"
    small = np.isfinite(ref) & ~big
    assert np.all(np.abs(got[small] - ref[small]) <= 1e-300)
    assert np.array_equal(got[~np.isfinite(ref)], ref[~np.isfinite(ref)], equal_nan=True)


# --- an independent 50-digit reference -------------------------------------------------
_PI = Decimal("3.14159265358979323846264338327950288419716939937510582097494")


def _erfc_decimal(x: float) -> Decimal:
    """erfc(x) to ~50 digits: the Maclaurin series of erf (A&S 7.1.5) for |x| < 3, at 80
    digits against the cancellation; Laplace's continued fraction (A&S 7.1.14), 4000 deep,
    beyond; erfc(−x) = 2 − erfc(x)."""
    with localcontext() as ctx:
        ctx.prec = 80
        d = Decimal(x)
        if d < 0:
            return 2 - _erfc_decimal(-x)
        if d < 3:
            total, term, n = Decimal(0), d, 0
            while True:
                total += term / (2 * n + 1)
                if abs(term) < Decimal(10) ** -75:
                    break
                n += 1
                term = -term * d * d / n
            return 1 - 2 * total / _PI.sqrt()
        f = d
        for k in range(4000, 0, -1):
            f = d + Decimal(k) / 2 / f
        return (-(d * d)).exp() / _PI.sqrt() / f


_REF_POINTS = [0.0, 1e-10, 0.1, 0.37, 0.4999, 0.5, 0.5625, 0.77, 1.0, 1.2345, 1.9999, 2.5, 2.97, 3.0,
               3.1111, 3.999, 4.0, 5.4321, 7.7, 9.99, 10.3333, 15.0, 19.87, 22.9011, 25.6282, 26.4]


@pytest.mark.parametrize("x", _REF_POINTS + [-v for v in _REF_POINTS[1:12]] + [-4.3, -26.0])
def test_erfc_and_erfcx_against_50_digits(x: float) -> None:
    ref = _erfc_decimal(x)
    got = Decimal(float(sf.erfc(x)))
    assert abs(got / ref - 1) <= Decimal("1e-15")
    with localcontext() as ctx:
        ctx.prec = 60
        ref_x = ref * (Decimal(x) * Decimal(x)).exp()
    assert abs(Decimal(float(sf.erfcx(x))) / ref_x - 1) <= Decimal("1e-15")
    # ndtr(z) = erfc(−z/√2)/2 at the z whose z·(1/√2) rounds to −x
    z = -x / math.sqrt(0.5)
    if z * math.sqrt(0.5) == -x:
        assert abs(Decimal(float(sf.ndtr(z))) / (ref / 2) - 1) <= Decimal("1e-15")


# --- against scipy ------------------------------------------------------------------------
def test_erf_against_scipy_dense() -> None:
    x = np.concatenate([_dense(-8.0, 8.0), np.geomspace(1e-300, 10.0, 20001)])
    x = np.concatenate([x, -x, [0.0, -0.0, np.inf, -np.inf, np.nan]])
    _assert_rel(sf.erf(x), sp.erf(x), RTOL)


def test_erfc_against_scipy_where_scipy_is_accurate() -> None:
    """|x| < 3 densely (scipy's x² rounding is ≤ 9·2⁻⁵³ there), and every multiple of
    1/128 out to the underflow, both signs."""
    x = np.concatenate([_dense(-3.0, 3.0), _exact_squares(27.5), [np.inf, -np.inf, np.nan, 1e300, -1e300]])
    _assert_rel(sf.erfc(x), sp.erfc(x), RTOL)


def test_erfc_in_the_tails_within_scipys_own_error() -> None:
    x = _dense(-30.0, 30.0, 600001)
    _assert_rel(sf.erfc(x), sp.erfc(x), RTOL + 2.3e-16 * x * x)


def test_erfc_against_the_c_library_dense() -> None:
    """math.erfc (the platform's libm, correctly rounded or nearly) has no x² problem."""
    x = _dense(-27.0, 27.0, 108001)
    ref = np.array([math.erfc(v) for v in x])
    _assert_rel(sf.erfc(x), ref, RTOL)


def test_erfcx_against_scipy_dense() -> None:
    """x ≥ 0: scipy's erfcx (Faddeeva package, S. G. Johnson) is accurate everywhere;
    x < 0: 2exp(x²) − erfcx(−x), compared at exact squares (elsewhere within x²·2⁻⁵²)."""
    x = np.concatenate([_dense(0.0, 40.0), np.geomspace(1e-300, 1e300, 20001), [np.inf, np.nan]])
    _assert_rel(sf.erfcx(x), sp.erfcx(x), RTOL)
    neg = np.concatenate([-_exact_squares(27.0), [-np.inf, -1e300]])
    with np.errstate(over="ignore"):
        _assert_rel(sf.erfcx(neg), sp.erfcx(neg), RTOL)
        y = _dense(-26.5, 0.0)
        _assert_rel(sf.erfcx(y), sp.erfcx(y), RTOL + 2.3e-16 * y * y)


def test_ndtr_against_scipy_dense() -> None:
    z = _dense(-4.0, 4.0)
    _assert_rel(sf.ndtr(z), sp.ndtr(z), RTOL)
    # both tails where z/√2 is a multiple of 1/128 (scipy accurate), then everywhere
    x = _exact_squares(27.3)
    z = x / math.sqrt(0.5)
    z = z[z * math.sqrt(0.5) == x]
    assert z.size > 3000
    _assert_rel(sf.ndtr(z), sp.ndtr(z), RTOL)
    z = np.concatenate([_dense(-40.0, 40.0, 400001), [np.inf, -np.inf, np.nan]])
    _assert_rel(sf.ndtr(z), sp.ndtr(z), RTOL + 1.2e-16 * z * z)


def test_expit_against_scipy_dense() -> None:
    x = np.concatenate([_dense(-750.0, 750.0), _dense(-40.0, 40.0), [0.0, np.inf, -np.inf, np.nan]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow for any x
        got = sf.expit(x)
    assert np.array_equal(got, sp.expit(x), equal_nan=True)  # scipy's expression, bit for bit
    # symmetry expit(x) + expit(−x) = 1
    y = _dense(-30.0, 30.0, 6001)
    np.testing.assert_allclose(sf.expit(y) + sf.expit(-y), 1.0, rtol=0, atol=2.3e-16)


# --- properties ------------------------------------------------------------------------
def test_identities_and_shapes() -> None:
    x = _dense(-6.0, 6.0, 12001)
    np.testing.assert_allclose(sf.erf(x) + sf.erfc(x), 1.0, rtol=0, atol=4.5e-16)
    np.testing.assert_allclose(sf.erfc(x) + sf.erfc(-x), 2.0, rtol=0, atol=4.5e-16)
    np.testing.assert_allclose(sf.ndtr(x) + sf.ndtr(-x), 1.0, rtol=0, atol=4.5e-16)
    # shapes: scalars give 0-d arrays, n-d arrays keep their shape, NaN stays in place
    for fn in (sf.erf, sf.erfc, sf.erfcx, sf.ndtr, sf.expit):
        assert np.shape(fn(0.3)) == ()
        grid = np.array([[0.1, np.nan, 4.0], [-0.7, 30.0, -2.0]])
        out = fn(grid)
        assert out.shape == grid.shape and np.isnan(out[0, 1]) and np.isfinite(out[0, 0])
        assert fn(np.array([])).shape == (0,)


def test_continued_fraction_depth_is_converged() -> None:
    """The depth-8 fraction used from x = 26 on (with its tail estimate) agrees with a
    400-deep fraction from x = 10 on; so does the Taylor step below 26."""
    x = np.concatenate([_dense(10.0, 26.0, 2001), _dense(26.0, 60.0, 2001), np.geomspace(60.0, 1e6, 2001)])
    f = x.copy()
    for k in range(400, 0, -1):
        f = x + 0.5 * k / f
    np.testing.assert_allclose(sf.erfcx(x), 1.0 / (math.sqrt(math.pi) * f), rtol=8e-16, atol=0)


def test_importing_special_does_not_import_scipy() -> None:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "import sys, cevns.physics.special as s; s.erfc(1.0); s.erfcx(5.0); "
                          "s.ndtr(-3.0); s.expit(1.0); print(any(m.startswith('scipy') for m in sys.modules))"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
