"""Batched searches in lockstep (cevns.stats.roots) against closed forms and scipy, and the
XENONnT SI WIMP limits searched for all masses together (cevns.releases.xenonnt_wimp.si_limits)
against the values of the former one-mass-at-a-time scipy searches.

Closed forms: x³ = a (roots a^(1/3)), (x − c)² + d (minima at c, or at the nearer bound).
Independent computations: ``scipy.optimize.brentq`` on the same brackets and
``scipy.optimize.minimize_scalar(method="bounded")`` (Brent's *localmin*, the algorithm that
:func:`cevns.stats.roots.bounded_minima` runs in lockstep: same points, same evaluations).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize

from cevns.errors import InputError
from cevns.stats.roots import bounded_minima, increasing_roots
from conftest import SHARED


class Recorder:
    """A batched function that records the rows of every call."""

    def __init__(self, fun):
        self.fun = fun
        self.calls: list[np.ndarray] = []

    def __call__(self, x: np.ndarray, which: np.ndarray) -> np.ndarray:
        self.calls.append(which.copy())
        return self.fun(x, which)


def test_cube_roots_over_nine_decades_with_different_bracket_expansions():
    rng = np.random.default_rng(7)
    a = 10 ** rng.uniform(-3, 6, 60)
    f = Recorder(lambda x, w: x**3 - a[w])
    roots = increasing_roots(f, 0.0, np.zeros(a.size), 1.0)
    exact = np.cbrt(a)
    assert np.all(np.abs(roots - exact) <= 1e-10 + 1e-6 * exact)
    # from the bracket [0, 1] the problems above a = 1 grow it ×4: 0 to 4 times here
    assert {int(math.ceil(math.log(r, 4))) if r > 1 else 0 for r in exact} == {0, 1, 2, 3, 4}
    # first call: lo and hi of every problem; then one row per unfinished problem per call
    assert sorted(f.calls[0]) == sorted(list(range(a.size)) * 2)
    assert all(np.unique(c).size == c.size for c in f.calls[1:])
    # lockstep: as many calls as the slowest problem needs, far fewer than all problems' rows
    per_problem = np.bincount(np.concatenate(f.calls), minlength=a.size)
    assert len(f.calls) == per_problem.max() - 1  # the first call has two rows per problem
    assert len(f.calls) <= 25 < per_problem.sum() / 10


def test_roots_agree_with_brentq_on_the_same_brackets():
    rng = np.random.default_rng(3)
    c = rng.uniform(0.1, 50.0, 20)
    level = rng.uniform(-1.0, 1.0, 20)

    def fun(x, w):
        return np.tanh(x - c[w]) + 0.01 * (x - c[w])

    roots = increasing_roots(fun, level, 0.0, 2.0 * np.ones(20), f_lo=fun(np.zeros(20), np.arange(20)))
    for i in range(20):
        lo, hi = 0.0, 2.0
        while fun(np.array([hi]), np.array([i]))[0] < level[i]:
            lo, hi = hi, 4.0 * hi
        ref = optimize.brentq(lambda x: fun(np.array([x]), np.array([i]))[0] - level[i], lo, hi, xtol=1e-10, rtol=1e-6)
        # both within their brackets of width < 1e-10 + 1e-6 |x| around the same root
        assert roots[i] == pytest.approx(ref, rel=2e-6, abs=2e-10)


def test_a_root_hit_exactly_and_a_root_at_the_lower_end():
    f = Recorder(lambda x, w: x - np.array([2.0, 0.0])[w])
    roots = increasing_roots(f, 0.0, np.array([0.0, 0.0]), np.array([4.0, 1.0]))
    assert roots[0] == 2.0 and roots[1] == 0.0  # the secant of a line lands on its root
    assert len(f.calls) == 2


def test_bisection_safeguard_on_a_root_with_infinite_slope():
    """f = (x − c)^(1/3): regula falsi alone crawls; the safeguard keeps the rounds within
    four times those of bisection (log2(width / tolerance) ≈ 37 here)."""
    c = np.array([0.3, 1.7, 2.9])
    f = Recorder(lambda x, w: np.cbrt(x - c[w]))
    roots = increasing_roots(f, 0.0, np.zeros(3), np.full(3, 4.0), xtol=1e-12, rtol=0.0)
    assert np.all(np.abs(roots - c) <= 1e-12)
    assert len(f.calls) <= 4 * 40


def test_a_problem_that_never_reaches_its_level_is_one_line_error():
    def fun(x, w):  # problem 1 saturates at 1 below its level 2
        return np.where(w == 0, x, 1.0 - np.exp(-x))

    with pytest.raises(InputError, match="^no limit here$"):
        increasing_roots(fun, np.array([3.0, 2.0]), 0.0, np.ones(2), unreached="no limit here")
    with pytest.raises(InputError, match="above its level"):
        increasing_roots(fun, np.array([-1.0, 0.5]), 0.0, np.ones(2))
    with pytest.raises(InputError, match="lo < hi"):
        increasing_roots(fun, 0.5, np.array([1.0, 0.0]), np.array([1.0, 1.0]))
    with pytest.raises(InputError, match="not finite"):
        increasing_roots(lambda x, w: np.where(x > 1.5, np.nan, x - 1.0), 0.0, np.zeros(2), 2.0)


def test_quadratic_minima_inside_and_at_the_bounds():
    rng = np.random.default_rng(11)
    c = rng.uniform(-1.0, 3.0, 40)
    d = rng.normal(size=40)
    x, fx = bounded_minima(lambda t, w: (t - c[w]) ** 2 + d[w], 0.0, np.full(40, 2.0), xatol=1e-6)
    expected = np.clip(c, 0.0, 2.0)
    tol = 2 * (math.sqrt(np.finfo(float).eps) * np.abs(expected) + 1e-6 / 3)
    assert np.all(np.abs(x - expected) <= 3 * tol)
    assert np.allclose(fx, (x - c) ** 2 + d, rtol=0, atol=1e-15)
    inside = (c > 0.01) & (c < 1.99)
    assert np.all(fx[inside] - d[inside] <= 1e-11)


def test_minima_are_brents_localmin_as_scipy_runs_it():
    """Same algorithm as scipy's bounded minimize_scalar: the same minimum and, per problem,
    no more evaluations; the lockstep takes as many calls as the slowest problem."""
    rng = np.random.default_rng(5)
    c = rng.uniform(0.2, 1.8, 25)
    scale = 10 ** rng.uniform(-2, 2, 25)

    def fun(t, w):
        u = t / scale[w] - c[w]
        return u**2 + 0.3 * u**3 + 0.05 * u**4

    f = Recorder(fun)
    x, fx = bounded_minima(f, 0.0, 2.0 * scale, xatol=1e-6 * scale)
    nfev = []
    for i in range(25):
        ref = optimize.minimize_scalar(lambda t: fun(np.array([t]), np.array([i]))[0], bounds=(0.0, 2.0 * scale[i]),
                                       method="bounded", options={"xatol": 1e-6 * scale[i]})
        assert x[i] == pytest.approx(ref.x, rel=1e-9, abs=1e-12 * scale[i])
        assert fx[i] == pytest.approx(ref.fun, rel=1e-12, abs=1e-15)
        nfev.append(ref.nfev)
    assert len(f.calls) == max(nfev)


def test_the_batch_does_not_couple_its_problems():
    c = np.array([0.5, 5.0, 50.0])
    alone = [increasing_roots(lambda x, w, i=i: x**2 - c[i], 0.0, 0.0, 1.0)[0] for i in range(3)]
    assert np.array_equal(increasing_roots(lambda x, w: x**2 - c[w], 0.0, np.zeros(3), 1.0), alone)
    mins = [bounded_minima(lambda t, w, i=i: np.cos(t * c[i]), 0.0, 1.0)[0][0] for i in range(3)]
    assert np.array_equal(bounded_minima(lambda t, w: np.cos(t * c[w]), 0.0, np.ones(3))[0], mins)


def test_bad_minimisation_input_is_one_line_error():
    with pytest.raises(InputError, match="lo < hi"):
        bounded_minima(lambda t, w: t, np.array([1.0]), np.array([0.0]))
    with pytest.raises(InputError, match="xatol"):
        bounded_minima(lambda t, w: t, 0.0, np.array([1.0]), xatol=0.0)


# --- the XENONnT SI WIMP limits, all masses in lockstep ---------------------------------

FOLDER = SHARED / "XENONnT__cevns_data_release"

#: (mass GeV, median, observed, threshold limit (cm²), μ̂) of the release's SR0 + SR1, from the
#: former searches one mass at a time (scipy brentq / bounded minimize_scalar, the same
#: tolerances), at commit 082a201
SEQUENTIAL = (
    (3.0, 2.4134637735e-42, 9.0050942430e-42, 9.0050942631e-42, 9.0582811324e+02),
    (4.0, 5.7717515835e-44, 1.0532000192e-43, 1.0531999967e-43, 2.3751779538e+01),
    (5.0, 8.5649633336e-45, 1.1153955303e-44, 1.1153954749e-44, 1.7643541886e+00),
    (6.0, 2.4682708287e-45, 2.2435684752e-45, 2.2559050662e-45, 0.0),
    (7.0, 9.9437586566e-46, 5.7701321964e-46, 6.7206841240e-46, 0.0),
    (8.0, 5.0367368048e-46, 1.8055248593e-46, 2.8447805166e-46, 0.0),
    (9.0, 3.0795311720e-46, 7.2045462168e-47, 1.5844049793e-46, 0.0),
    (10.0, 2.1670051592e-46, 3.5619180653e-47, 1.0599306231e-46, 0.0),
    (11.0, 1.6861972606e-46, 2.0794526953e-47, 8.0074484706e-47, 0.0),
    (12.0, 1.4093466233e-46, 1.3748625897e-47, 6.5700572186e-47, 0.0),
)


@pytest.mark.skipif(not (FOLDER / "SHA256SUMS").is_file(), reason="../shared/reference-data/XENONnT__cevns_data_release absent")
def test_xenonnt_limits_in_lockstep_match_the_sequential_searches(monkeypatch):
    from cevns.releases import xenonnt_8b as X
    from cevns.releases import xenonnt_wimp as W

    calls = []
    profile = X.XenonNT8BLikelihood.profile

    def counted(self, *args, **kwargs):
        calls.append(1)
        return profile(self, *args, **kwargs)

    monkeypatch.setattr(X.XenonNT8BLikelihood, "profile", counted)
    limits = W.xenonnt_si_limits(FOLDER)
    assert [lim.mass_gev for lim in limits] == [row[0] for row in SEQUENTIAL]
    for lim, (_, median, observed, threshold, mu_hat) in zip(limits, SEQUENTIAL):
        assert lim.median == pytest.approx(median, rel=1e-5)
        assert lim.observed == pytest.approx(observed, rel=1e-5)
        assert lim.observed_threshold == pytest.approx(threshold, rel=1e-5)
        assert lim.mu_hat == pytest.approx(mu_hat, rel=1e-5, abs=1e-12)
        assert lim.bands[3] == pytest.approx(median * (W.Z90 + 1) / W.Z90, rel=1e-5)
    # 10 masses in lockstep: about the calls of one mass (the sequential searches made 571)
    assert len(calls) <= 80
    # a batch of one (si_limit) gives the same limits
    lk = X.xenonnt_8b_likelihood(FOLDER, runs=W.LIMIT_RUNS)
    one = W.si_limit(lk, 7.0)
    assert one.observed == pytest.approx(limits[4].observed, rel=1e-5)
    assert one.median == pytest.approx(limits[4].median, rel=1e-5)
    assert W.si_limits(lk, []) == ()
