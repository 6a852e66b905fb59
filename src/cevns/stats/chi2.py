"""Test statistics for CEvNS fits: pull χ², Poisson deviance, covariance χ², intervals.

Pure functions of arrays (no file I/O). Every function takes a leading batch of parameter
points ``(...)`` in front of its data axis (bins or detectors, the last axis), so a whole
201 × 201 scan is one call: pass predictions of shape ``(201, 201, n_bins)``.

* :func:`pull_chi2` — the single-bin χ² with a signal and a background normalisation pull
  of D. K. Papoulias & T. S. Kosmas (HNPS proceedings, the short version of Phys. Rev. D 97,
  033003 (2018), arXiv:1711.09773; Eq. 6), minimised over the pulls in closed form;
  :func:`binned_pull_chi2` its extension to bins with common pulls, and
  :func:`profile_linear_pulls` the general case (any number of Gaussian pulls that shift the
  prediction linearly), solved from the normal equations.
* :func:`poisson_deviance` — the Baker–Cousins likelihood-ratio χ²
  (S. Baker, R. D. Cousins, Nucl. Instrum. Meth. 221, 437 (1984), Poisson case),
  and :func:`profiled_poisson_deviance` with Gaussian-constrained signal and background
  normalisations, profiled by a damped, vectorised Newton iteration.
* :func:`covariance_matrix`, :func:`covariance_chi2`, :func:`marginalise_detector` — the
  covariance-matrix χ² of an array of detectors with fully correlated systematic sources
  (Galindo-Uribarri, Miranda, Sanchez Garcia, Phys. Rev. D 105, 033001 (2022), arXiv:2011.10230, Eqs. 5–6).
* :func:`delta_chi2_threshold`, :func:`cl_from_sigma`, :func:`interval_from_profile` —
  Wilks thresholds Δχ² = F⁻¹_{χ²(dof)}(CL) and confidence intervals read off a Δχ² profile.

Conventions: χ² values are numpy arrays of the batch shape (0-d arrays for one point);
nuisance parameters are returned in a :class:`PullFit` next to the minimum.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Callable, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import linalg, special

from cevns.errors import InputError


@dataclass(frozen=True)
class PullFit:
    """A χ² minimised over nuisance parameters (pulls), and the pulls at the minimum.

    ``chi2`` has the batch shape ``(...)``; ``pulls`` has shape ``(..., K)`` in the
    parametrisation of the function that made it (documented there). For the two-pull
    functions ``alpha`` and ``beta`` are ``pulls[..., 0]`` and ``pulls[..., 1]``.
    ``converged`` is set by iterative minimisers only (``None`` for closed forms).
    """

    chi2: np.ndarray
    pulls: np.ndarray
    converged: np.ndarray | None = None

    @property
    def alpha(self) -> np.ndarray:
        return self.pulls[..., 0]

    @property
    def beta(self) -> np.ndarray:
        return self.pulls[..., 1]


def _nonnegative(name: str, value: np.ndarray) -> None:
    if np.any(value < 0) or np.any(np.isnan(value)):
        raise InputError(f"{name} must be >= 0")


def _positive(name: str, value: np.ndarray) -> None:
    if not np.all(value > 0):
        raise InputError(f"{name} must be > 0")


# --- Gaussian pulls -----------------------------------------------------------------------
def csi2017_sigma_stat(n_meas: ArrayLike, b_ss: ArrayLike, b_on: ArrayLike) -> np.ndarray:
    """Statistical uncertainty of the COHERENT CsI 2017 single-bin analysis,
    σ_stat = √(N_meas + 2 B_ss + B_on) (Papoulias & Kosmas, HNPS proceedings, definition
    below their Eq. 6).

    B_ss is the steady-state background and B_on the beam-on (prompt neutron) background.
    The factor 2 is what one expects when B_ss is measured in an anti-coincidence window
    as long as the signal window and subtracted: Var(C − AC) = C + AC.
    """
    n, ss, on = (np.asarray(a, dtype=float) for a in (n_meas, b_ss, b_on))
    return np.sqrt(n + 2.0 * ss + on)


def pull_chi2(
    n_meas: ArrayLike,
    n_pred_signal: ArrayLike,
    background: ArrayLike,
    sigma_alpha: ArrayLike,
    sigma_beta: ArrayLike,
    sigma_stat: ArrayLike,
) -> PullFit:
    """Single-bin χ² with a signal pull α and a background pull β, minimised analytically.

    Papoulias & Kosmas (HNPS proceedings, Eq. 6; there N_pred = N_SM(sin²θ_W) and B = B_0n):

    .. math::
       χ^2 = \\min_{α,β}\\left[\\frac{(N_{meas} − N_{pred}(1+α) − B(1+β))^2}{σ_{stat}^2}
             + \\left(\\frac{α}{σ_α}\\right)^2 + \\left(\\frac{β}{σ_β}\\right)^2\\right]

    (the equation is garbled in the available text of the proceedings; this is its reconstruction from the
    legible pieces, "(N_meas − N_SM(s²_W)[1 + α] − B_0n[1 + β])²" over σ_stat², plus the
    two Gaussian penalty terms). The pulls enter linearly, so with r = N_meas − N_pred − B
    and D = σ_stat² + N_pred² σ_α² + B² σ_β² the minimum is (setting ∂χ²/∂α = ∂χ²/∂β = 0)

    .. math::
       χ^2_{min} = r^2 / D, \\qquad α = σ_α^2 N_{pred}\\, r / D, \\qquad β = σ_β^2 B\\, r / D .

    All arguments broadcast (e.g. ``n_pred_signal`` of shape ``(201, 201)``);
    ``σ_α = σ_β = 0`` gives the plain χ² = r²/σ_stat². Use :func:`csi2017_sigma_stat` for
    the article's σ_stat. Returns :class:`PullFit` with pulls (α, β).
    """
    n, s, b, sa, sb, sst = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (n_meas, n_pred_signal, background, sigma_alpha, sigma_beta, sigma_stat))
    )
    _nonnegative("sigma_alpha", sa)
    _nonnegative("sigma_beta", sb)
    _positive("sigma_stat", sst)
    r = n - s - b
    d = sst**2 + (s * sa) ** 2 + (b * sb) ** 2
    return PullFit(r**2 / d, np.stack([sa**2 * s * r / d, sb**2 * b * r / d], axis=-1))


def profile_linear_pulls(residual: ArrayLike, shifts: ArrayLike, variance: ArrayLike) -> PullFit:
    """Minimise χ²(ξ) = Σ_i (r_i − Σ_k ξ_k s_ki)² / v_i + Σ_k ξ_k² over standard-normal pulls ξ.

    ``residual`` r: ``(..., n)`` (data − prediction at zero pulls); ``shifts`` s:
    ``(..., K, n)``, the change of the prediction in bin i for a one-σ pull k; ``variance``
    v: ``(..., n)``, the uncorrelated (statistical) variance of each bin. Setting ∇χ² = 0
    gives the K × K normal equations

    .. math:: (1 + S W S^T)\\,ξ = S W r, \\qquad W = \\mathrm{diag}(1/v),

    solved by ``numpy.linalg.solve`` on the stacked batch (the matrix is ≥ 1 on its
    diagonal and positive definite, also for zero shifts). By the Woodbury identity the
    minimum equals rᵀ(V + SᵀS)⁻¹r, V = diag(v): the covariance χ² with one fully
    correlated source per pull (see :func:`covariance_matrix`). Returns :class:`PullFit`
    with the pulls ξ in units of their σ, shape ``(..., K)``.
    """
    r = np.asarray(residual, dtype=float)
    s = np.asarray(shifts, dtype=float)
    v = np.asarray(variance, dtype=float)
    _positive("variance", v)
    batch = np.broadcast_shapes(r.shape[:-1], s.shape[:-2], v.shape[:-1])
    n = np.broadcast_shapes(r.shape[-1:], s.shape[-1:], v.shape[-1:])
    k = s.shape[-2]
    r = np.broadcast_to(r, batch + n)
    s = np.broadcast_to(s, batch + (k,) + n)
    sw = s / v[..., None, :]
    a = np.eye(k) + np.einsum("...ki,...li->...kl", sw, s)
    xi = np.linalg.solve(a, np.einsum("...ki,...i->...k", sw, r)[..., None])[..., 0]
    left = r - np.einsum("...k,...ki->...i", xi, s)
    return PullFit(np.sum(left**2 / v, axis=-1) + np.sum(xi**2, axis=-1), xi)


def binned_pull_chi2(
    observed: ArrayLike,
    signal: ArrayLike,
    background: ArrayLike,
    sigma_alpha: ArrayLike,
    sigma_beta: ArrayLike,
    sigma_stat: ArrayLike,
) -> PullFit:
    """Binned χ² with one signal pull α and one background pull β common to all bins:

    .. math::
       χ^2 = \\min_{α,β}\\sum_i \\frac{(n_i − S_i(1+α) − B_i(1+β))^2}{σ_{stat,i}^2}
             + \\left(\\frac{α}{σ_α}\\right)^2 + \\left(\\frac{β}{σ_β}\\right)^2 ,

    the spectral extension of Papoulias & Kosmas Eq. 6 (HNPS proceedings) used in binned COHERENT
    fits; one bin reproduces :func:`pull_chi2`. Last axis = bins: ``observed``,
    ``background``, ``sigma_stat`` ``(bins,)`` (or broadcastable), ``signal``
    ``(..., bins)``; ``sigma_alpha``, ``sigma_beta`` scalars or of the batch shape.

    Solved exactly by :func:`profile_linear_pulls` (2 × 2 normal equations per batch point)
    with pulls ξ_α = α/σ_α, ξ_β = β/σ_β, which also covers σ = 0 (the pull is then fixed at
    zero). Returns :class:`PullFit` with pulls (α, β).
    """
    n, s, b, sst = (np.asarray(a, dtype=float) for a in (observed, signal, background, sigma_stat))
    sa, sb = (np.asarray(a, dtype=float) for a in (sigma_alpha, sigma_beta))
    _nonnegative("sigma_alpha", sa)
    _nonnegative("sigma_beta", sb)
    s, b = np.broadcast_arrays(s, b)
    shifts = np.stack([sa[..., None] * s, sb[..., None] * b], axis=-2)
    fit = profile_linear_pulls(n - s - b, shifts, sst**2)
    return PullFit(fit.chi2, fit.pulls * np.stack(np.broadcast_arrays(sa, sb), axis=-1))


@dataclass(frozen=True)
class TwoPullChi2:
    """:func:`binned_pull_chi2` for fixed data, as a fast function of the signal alone
    (grid scans evaluate it on 10⁶ signals; build it with :func:`two_pull_chi2`).

    Same statistic, solved in closed form instead of by a general linear solver. With
    w_i = 1/σ²_stat,i, c_i = n_i − B_i, the pulls in σ units ξ = (α/σ_α, β/σ_β) solve the
    2 × 2 normal equations of :func:`profile_linear_pulls`,

    .. math::
       \\begin{pmatrix} 1 + σ_α^2 Σ S^2 w & σ_ασ_β Σ SBw \\\\ σ_ασ_β Σ SBw & 1 + σ_β^2 Σ B^2 w\\end{pmatrix} ξ
       = \\begin{pmatrix} σ_α Σ S r w \\\\ σ_β Σ B r w \\end{pmatrix}, \\qquad r = c − S,

    by Cramer's rule (the determinant is ≥ 1), and the minimum is summed as non-negative
    terms, χ² = Σ_i (c_i − (1 + σ_α ξ_α) S_i − σ_β ξ_β B_i)² w_i + ξ_α² + ξ_β², which
    keeps full relative precision also where the pulls absorb most of the residual. One
    bin is Papoulias & Kosmas Eq. 6 (HNPS proceedings, arXiv:1711.09773) in its closed
    form χ² = r²/(σ²_stat + S²σ_α² + B²σ_β²) (:func:`pull_chi2`), evaluated as such.

    ``observed``, ``background``, ``variance`` (bins,); ``sigma_alpha``, ``sigma_beta``
    fractional (≥ 0). Calling it with signals ``(n, bins)`` returns χ² ``(n,)``.
    """

    observed: np.ndarray
    background: np.ndarray
    variance: np.ndarray
    sigma_alpha: float
    sigma_beta: float

    def __call__(self, signal: np.ndarray) -> np.ndarray:
        s = np.asarray(signal, dtype=float)
        sa, sb = self.sigma_alpha, self.sigma_beta
        c = self.observed - self.background
        if s.shape[-1] == 1:  # r² / D, in place on (n,) arrays
            b, v = float(self.background[0]), float(self.variance[0])
            flat = s[..., 0]
            r = float(self.observed[0]) - flat  # n − S − B, rounded as pull_chi2 does
            r -= b
            r *= r
            d = flat * sa
            d *= d
            d += v + (b * sb) ** 2
            r /= d
            return r
        w = 1.0 / self.variance
        bw = self.background * w
        kbb = float(self.background @ bw)
        kbc = float(bw @ c)
        batch = s.shape[:-1]
        s = s.reshape(-1, s.shape[-1])
        buffer = s * w  # two (n, bins) work arrays in all: fresh large arrays cost page faults
        q = np.einsum("ni,ni->n", buffer, s)  # Σ S² w
        p = s @ np.stack([bw, c * w], axis=-1)  # Σ S B w, Σ S c w
        psb, psc = p[..., 0], p[..., 1]
        a00 = 1.0 + sa * sa * q
        a01 = sa * sb * psb
        a11 = 1.0 + sb * sb * kbb
        g0 = sa * (psc - q)  # σ_α Σ S r w, r = c − S
        g1 = sb * (kbc - psb)  # σ_β Σ B r w
        det = a00 * a11 - a01 * a01
        xa = (a11 * g0 - a01 * g1) / det
        xb = (a00 * g1 - a01 * g0) / det
        left = np.multiply(s, (-(1.0 + sa * xa))[:, None], out=buffer)
        left += c
        left -= (sb * xb)[:, None] * self.background
        left *= left
        return (left @ w + xa * xa + xb * xb).reshape(batch)


def two_pull_chi2(
    observed: ArrayLike, background: ArrayLike, sigma_alpha: float, sigma_beta: float, sigma_stat: ArrayLike
) -> TwoPullChi2:
    """The closed-form :class:`TwoPullChi2` of these data (arguments as for
    :func:`binned_pull_chi2`, the uncertainties scalars); raises :class:`InputError` for
    negative uncertainties or σ_stat ≤ 0."""
    n, b, sst = (np.atleast_1d(np.asarray(a, dtype=float)) for a in (observed, background, sigma_stat))
    n, b, sst = np.broadcast_arrays(n, b, sst)
    _nonnegative("sigma_alpha", np.asarray(sigma_alpha, dtype=float))
    _nonnegative("sigma_beta", np.asarray(sigma_beta, dtype=float))
    _positive("sigma_stat", sst)
    return TwoPullChi2(n.copy(), b.copy(), sst**2, float(sigma_alpha), float(sigma_beta))


# --- Poisson likelihood ratio ---------------------------------------------------------------
def poisson_terms(
    n: np.ndarray, mu: np.ndarray, mu_in_log: np.ndarray | None = None, *, n_log_n: np.ndarray | None = None
) -> np.ndarray:
    """Per-bin half deviance μ − n + n ln(n/μ) of Baker–Cousins (Nucl. Instrum. Meth. 221,
    437 (1984)), not summed; ``mu_in_log`` (default ``mu``) is the μ put into the
    logarithm, for callers that substitute a safe value where μ ≤ 0 and mask it later;
    ``n_log_n``: n ln n (0 at n = 0) when the caller has it already (repeated evaluations
    on the same data), else computed here."""
    nlogn = special.xlogy(n, n) if n_log_n is None else n_log_n
    return mu - n + nlogn - special.xlogy(n, mu if mu_in_log is None else mu_in_log)


def poisson_deviance(observed: ArrayLike, expected: ArrayLike) -> np.ndarray:
    """Baker–Cousins Poisson likelihood-ratio χ², summed over the last axis (bins):

    .. math:: χ^2_λ = −2\\ln λ = 2\\sum_i\\left[μ_i − n_i + n_i \\ln(n_i/μ_i)\\right]

    (S. Baker, R. D. Cousins, Nucl. Instrum. Meth. 221, 437 (1984)), i.e.
    2(ln L_saturated − ln L) for Poisson counts. Bins with n_i = 0 contribute 2μ_i
    (n ln n → 0, via ``scipy.special.xlogy``); μ_i = 0 with n_i > 0 gives +∞. Non-integer
    n (Asimov data) is allowed. ``observed`` and ``expected`` broadcast; 0-d inputs are one
    bin. Returns the batch shape ``(...)``.
    """
    n, mu = np.broadcast_arrays(np.asarray(observed, dtype=float), np.asarray(expected, dtype=float))
    n, mu = np.atleast_1d(n), np.atleast_1d(mu)
    _nonnegative("observed", n)
    return 2.0 * np.sum(poisson_terms(n, mu), axis=-1)


@dataclass(frozen=True)
class RowProblem:
    """Objective and derivatives of some rows of a batch of convex problems, for the
    row-wise line search of :func:`damped_newton` (``subset``): ``objective(u)`` →
    ``(f (rows,), *aux)`` and ``derivatives(u, *aux)`` → (gradient (rows, k), Hessian (rows,
    k, k)) as there,
    every aux array with the rows as its first axis. ``refused_beyond(u, step, *aux)``
    (optional) → per row a step length t_∞ such that every t ≥ t_∞ surely gives f = ∞
    (e.g. an expectation driven below 0); those step lengths are not evaluated.
    ``line(u, step, t, *aux)`` (optional) → ``objective`` at u + t step for every row of u
    and step (rows, k) and each of its step lengths t (rows, m), flattened row by row (rows ×
    m,), with ``aux`` that of ``objective(u)``: for problems that evaluate points along a
    line more cheaply than anywhere (an expectation linear in u: μ + t Δμ); without it the
    points are evaluated by ``objective``."""

    objective: Callable[[np.ndarray], tuple[np.ndarray, ...]]
    derivatives: Callable[..., tuple[np.ndarray, np.ndarray]]
    refused_beyond: Callable[..., np.ndarray] | None = None
    line: Callable[..., tuple[np.ndarray, ...]] | None = None


#: Step lengths tried at once per row after a row's first refusal (:func:`damped_newton`).
_HALVINGS_AT_ONCE = 8


def nonnegative_step_limit(mu: np.ndarray, dmu: np.ndarray) -> np.ndarray:
    """For expectations linear in the step length, μ(t) = μ + t Δμ (rows, bins), a step
    length t_∞ per row beyond which some μ_i(t) < 0 for sure (an objective that is ∞ there
    refuses every t ≥ t_∞; :attr:`RowProblem.refused_beyond`): t_∞ = 4 t_max with t_max =
    min over Δμ_i < 0 of μ_i/(−Δμ_i) the largest t keeping every μ_i ≥ 0 (the factor 4 a
    margin for the rounding of μ), ∞ where no μ_i can reach 0 before t = 1/4."""
    if not np.any(mu + 0.25 * dmu < 0):  # nothing to skip: t = 1, 1/2, 1/4 are tried anyway
        return np.full(mu.shape[0], np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_max = np.min(np.where(dmu < 0, mu / np.where(dmu < 0, -dmu, 1.0), np.inf), axis=-1, initial=np.inf)
    return 4.0 * t_max


def damped_newton(
    objective: Callable[[np.ndarray], tuple[np.ndarray, ...]],
    derivatives: Callable[..., tuple[np.ndarray, np.ndarray]],
    u: np.ndarray,
    start: tuple[np.ndarray, ...],
    active: np.ndarray,
    converged: np.ndarray,
    max_iter: int,
    tol: float,
    halvings: int = 60,
    *,
    subset: Callable[[np.ndarray], RowProblem] | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...], np.ndarray]:
    """Newton's method on a batch of convex objectives, each step damped by halving
    (Armijo backtracking: accept the first t = 1, 1/2, 1/4, … with f(u + tΔu) ≤ f(u) −
    10⁻⁴ t × the Newton decrement; J. Nocedal, S. J. Wright, Numerical Optimization, 2nd ed.
    (Springer 2006), Algorithm 3.1 with contraction 1/2).

    ``objective(u)`` → ``(f (batch,), *aux)``; ``derivatives(u, *aux)`` → (gradient (batch, k),
    Hessian (batch, k, k)); ``start`` = objective(u) at the start; only ``active`` points
    move. A point converges once its decrement −g·Δu < ``tol`` × (1 + abs(f)), or once a
    shortened step (t < 1) lowers f by no more than that: the minimum then lies on a boundary
    of the domain (e.g. μ_i ≥ 0 in a bin with no counts, where the Newton step points beyond
    it and every step is cut short, so the decrement never falls; the remaining decrease of
    such a geometric approach is at most about as large again); a point whose line search
    fails after ``halvings`` halvings stops where it is. Returns (u, f, aux, converged).

    ``subset`` (for u of shape (batch, k), every aux array with the batch as first axis):
    ``subset(rows)`` → the :class:`RowProblem` of the rows ``rows`` (an index array, rows
    may repeat). With it the same iteration is done row-wise, cheaper where a few rows need
    many halvings (points pinned at a boundary such as μ ≥ 0): the working arrays hold the
    rows still moving only (compacted when a fifth of them have stopped); a halving
    re-evaluates only the rows whose step is not yet accepted; the step lengths that
    ``refused_beyond`` marks as surely refused are skipped; after a row's first refusal its
    next 8 halvings are evaluated at once (by ``line`` where the problem has it) and the
    largest accepted one is taken; when more than half of the rows try t = 1, the whole
    working set is evaluated there instead of a copy of those rows. Every row
    gets the step lengths it gets without ``subset`` (the first accepted halving in order),
    so the results are the same up to the rounding of evaluating rows in other groupings.
    """
    if subset is not None:
        return _damped_newton_rows(subset, u, start, active, converged, max_iter, tol, halvings)
    f, *aux = start
    for _ in range(max_iter):
        if not active.any():
            break
        grad, hess = derivatives(u, *aux)
        step = -np.linalg.solve(hess, grad[..., None])[..., 0]
        decrement = -np.sum(grad * step, axis=-1)  # ≥ 0: H is positive definite
        done = active & (decrement < tol * (1.0 + np.abs(f)))
        converged = converged | done
        active = active & ~done
        t = np.where(active, 1.0, 0.0)
        for _ in range(halvings):
            f_new, *aux_new = objective(u + t[..., None] * step)
            ok = ~active | (f_new <= f - 1e-4 * t * decrement)
            if ok.all():
                break
            t = np.where(ok, t, 0.5 * t)
        else:
            t = np.where(ok, t, 0.0)
            active = active & ok
            f_new, *aux_new = objective(u + t[..., None] * step)
        u = u + t[..., None] * step
        boundary = active & (t < 1.0) & (f - f_new <= tol * (1.0 + np.abs(f_new)))
        converged = converged | boundary
        active = active & ~boundary
        f, aux = f_new, aux_new
    return u, f, tuple(aux), converged


def _skipped_halvings(t_inf: np.ndarray, halvings: int) -> np.ndarray:
    """Number h of the first halvings whose step lengths 2⁻ʰ (h = 0, 1, …) are all ≥
    ``t_inf`` (surely refused): ⌊−log₂ t_∞⌋ + 1 where t_∞ < 1, else 0 (also for NaN); at most
    ``halvings`` (then no step length is left)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        skip = np.floor(-np.log2(t_inf)) + 1.0  # +∞ for t_∞ = 0; NaN for NaN or t_∞ < 0
    skip = np.where(t_inf >= 1.0, 0.0, np.minimum(skip, float(halvings)))
    return np.where(skip >= 0.0, skip, 0.0).astype(int)  # NaN ≥ 0 is False: 0


def _damped_newton_rows(
    subset: Callable[[np.ndarray], RowProblem],
    u0: np.ndarray,
    start: tuple[np.ndarray, ...],
    active: np.ndarray,
    converged: np.ndarray,
    max_iter: int,
    tol: float,
    halvings: int,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...], np.ndarray]:
    """:func:`damped_newton` with ``subset``: the same steps, row by row (docstring there).

    Per Newton iteration every moving row first tries t = 1 (most accept); a refused row
    then asks ``refused_beyond`` which halvings it can skip and tries its next
    :data:`_HALVINGS_AT_ONCE` step lengths at once, taking the largest accepted one, until
    one passes or ``halvings`` are used up (the row then stops where it is)."""
    u = np.array(u0, dtype=float)
    f = np.array(start[0], dtype=float)
    aux = [np.array(a) for a in start[1:]]
    conv = np.array(converged, dtype=bool)
    idx = np.flatnonzero(active)
    work = subset(idx)
    w_u, w_f, w_aux = u[idx], f[idx], [a[idx] for a in aux]
    live = np.ones(idx.size, dtype=bool)
    for _ in range(max_iter):
        n_live = int(np.count_nonzero(live))
        if not n_live:
            break
        if n_live < 0.8 * live.size:  # compact the working arrays to the rows still moving
            u[idx], f[idx] = w_u, w_f
            for a, w in zip(aux, w_aux):
                a[idx] = w
            idx = idx[live]
            work = subset(idx)
            w_u, w_f, w_aux = w_u[live], w_f[live], [w[live] for w in w_aux]
            live = np.ones(idx.size, dtype=bool)
        grad, hess = work.derivatives(w_u, *w_aux)
        step = -np.linalg.solve(hess, grad[..., None])[..., 0]
        decrement = -np.sum(grad * step, axis=-1)
        f_before = w_f.copy()
        bound = tol * (1.0 + np.abs(w_f))
        conv[idx[live & (decrement < bound)]] = True
        keep = live & (decrement >= bound)  # NaN: no step passes Armijo, the row stops
        h = np.zeros(idx.size, dtype=int)
        if work.refused_beyond is not None:  # skip the step lengths surely refused
            t_inf = work.refused_beyond(w_u, step, *w_aux)
            if not np.all(t_inf >= 1.0):
                h = _skipped_halvings(t_inf, halvings)
        first = keep & (h == 0)
        # t = 1 for every moving row that may take it
        if first.all():
            trial = w_u + step
            f_new, *aux_new = work.objective(trial)
            passed = f_new <= w_f - 1e-4 * decrement
            if passed.all():  # the usual case away from boundaries: no bookkeeping
                w_u, w_f, w_aux = trial, f_new, list(aux_new)
                continue
            tried = np.arange(idx.size)
        else:
            tried = np.flatnonzero(first)
            passed = np.zeros(0, dtype=bool)
            if 2 * tried.size > idx.size:  # most rows: evaluate the working set (no copies of its rows' data)
                trial = w_u + step
                f_new, *aux_new = work.objective(trial)
                trial, f_new, aux_new = trial[tried], f_new[tried], [a[tried] for a in aux_new]
                passed = f_new <= w_f[tried] - 1e-4 * decrement[tried]
            elif tried.size:
                trial = w_u[tried] + step[tried]
                f_new, *aux_new = subset(idx[tried]).objective(trial)
                passed = f_new <= w_f[tried] - 1e-4 * decrement[tried]
        if tried.size:
            good = tried[passed]
            w_u[good], w_f[good] = trial[passed], f_new[passed]
            for w, a_new in zip(w_aux, aux_new):
                w[good] = a_new[passed]
        h[tried[~passed]] = 1
        waiting = keep.copy()
        waiting[tried[passed]] = False
        pending = np.flatnonzero(waiting)
        h = h[pending]
        shortened = np.zeros(idx.size, dtype=bool)  # rows that take a step t < 1
        # the refused rows: 8 halvings at a time
        while pending.size:
            stop = h >= halvings  # the line search failed: the row stops where it is
            keep[pending[stop]] = False
            pending, h = pending[~stop], h[~stop]
            if not pending.size:
                break
            hs = h[:, None] + np.arange(_HALVINGS_AT_ONCE)  # t = 2^-hs, the next halvings in order
            t = np.ldexp(1.0, -hs)
            r = np.repeat(pending, _HALVINGS_AT_ONCE)
            trial = w_u[r] + t.reshape(-1, 1) * step[r]
            if work.line is not None:  # the points along each pending row's step, from that row's aux
                line: Callable[..., tuple[np.ndarray, ...]] | None
                if pending.size == idx.size:  # every row of the working set (pending is sorted)
                    line, at = work.line, (w_u, step, *w_aux)
                else:
                    line, at = subset(idx[pending]).line, (w_u[pending], step[pending], *(w[pending] for w in w_aux))
                assert line is not None  # for mypy: the subsets are of the same problem
                f_new, *aux_new = line(at[0], at[1], t, *at[2:])
            else:
                f_new, *aux_new = subset(idx[r]).objective(trial)
            # the first (largest) t of each row that passes Armijo, among the halvings allowed
            ok_t = (f_new.reshape(-1, _HALVINGS_AT_ONCE) <= w_f[pending, None] - 1e-4 * t * decrement[pending, None]) \
                & (hs < halvings)
            ok = ok_t.any(axis=1)
            pick = (np.arange(pending.size) * _HALVINGS_AT_ONCE + np.argmax(ok_t, axis=1))[ok]
            good = pending[ok]
            w_u[good], w_f[good] = trial[pick], f_new[pick]
            for w, a_new in zip(w_aux, aux_new):
                w[good] = a_new[pick]
            shortened[good] = True
            pending, h = pending[~ok], h[~ok] + _HALVINGS_AT_ONCE
        boundary = shortened & (f_before - w_f <= tol * (1.0 + np.abs(w_f)))  # a minimum on a boundary
        conv[idx[boundary]] = True
        live = keep & ~boundary
    u[idx], f[idx] = w_u, w_f
    for a, w in zip(aux, w_aux):
        a[idx] = w
    return u, f, tuple(aux), conv


def profiled_poisson_deviance(
    observed: ArrayLike,
    signal: ArrayLike,
    background: ArrayLike,
    sigma_signal: ArrayLike,
    sigma_background: ArrayLike,
    *,
    max_iter: int = 50,
    tol: float = 1e-12,
) -> PullFit:
    """Poisson deviance with Gaussian-constrained normalisations, profiled:

    .. math::
       χ^2 = \\min_{a,b}\\; χ^2_λ\\big(n,\\,(1+a)S + (1+b)B\\big)
             + (a/σ_S)^2 + (b/σ_B)^2

    (:func:`poisson_deviance` for χ²_λ). Last axis = bins, leading axes = batch; all
    arrays broadcast; ``sigma_signal``, ``sigma_background`` scalars or of the batch shape.

    Method: Newton's method on the standardised pulls u = (a/σ_S, b/σ_B) (so σ = 0 simply
    fixes a pull), for every batch point at once, starting at u = 0. The objective is
    convex (the Poisson term is convex in μ, μ is linear in u, plus ‖u‖²), so Newton with
    the exact Hessian 2 T diag(n/μ²) Tᵀ + 2·1 (T: the shift templates σ_S S, σ_B B) converges
    quadratically; each step is damped by halving (Armijo backtracking, at most 60 halvings;
    :func:`damped_newton` row-wise, the halvings that surely make some μ_i < 0 skipped)
    until the objective decreases and every μ_i stays ≥ 0 (> 0 where n_i > 0). Points stop
    once the Newton decrement −g·Δu falls below ``tol`` × (1 + χ²) (the remaining error in
    χ² is about half the decrement). ``converged`` is False where that did not happen in ``max_iter``
    steps — e.g. when the unconstrained optimum would need negative expected counts in an
    empty bin, which the iteration does not allow. Returns :class:`PullFit` with pulls
    (a, b).
    """
    n, s, b = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (observed, signal, background)))
    n, s, b = np.atleast_1d(n), np.atleast_1d(s), np.atleast_1d(b)
    sig = np.stack(np.broadcast_arrays(np.asarray(sigma_signal, float), np.asarray(sigma_background, float)), axis=-1)
    _nonnegative("observed", n)
    _nonnegative("sigma_signal/sigma_background", sig)
    batch = np.broadcast_shapes(n.shape[:-1], sig.shape[:-1])
    size = math.prod(batch)
    # flattened to (points, bins) for the row-wise line search of damped_newton
    n, s, b = (np.broadcast_to(x, batch + n.shape[-1:]).reshape(size, -1) for x in (n, s, b))
    sig = np.broadcast_to(sig, batch + (2,)).reshape(size, 2)
    all_templates = np.stack([s, b], axis=-2) * sig[..., None]  # (points, 2, bins): μ change per unit u
    all_base = s + b
    all_positive = n > 0

    def problem(rows: np.ndarray | None) -> RowProblem:
        """Objective, derivatives and step bound of the points ``rows`` (None: all)."""
        nn, templates, base, positive = (x if rows is None else x[rows] for x in (n, all_templates, all_base, all_positive))

        def objective(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            mu = base + np.einsum("...k,...ki->...i", u, templates)
            bad = np.any((mu < 0) | (positive & (mu <= 0)), axis=-1)
            mu_safe = np.where(mu > 0, mu, 1.0)
            dev = 2.0 * np.sum(poisson_terms(nn, mu, mu_safe), axis=-1)
            return np.where(bad, np.inf, dev + np.sum(u**2, axis=-1)), mu

        def derivatives(u: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            ratio = np.divide(nn, mu, out=np.zeros_like(nn), where=positive)
            grad = 2.0 * np.einsum("...ki,...i->...k", templates, 1.0 - ratio) + 2.0 * u
            w = np.divide(ratio, mu, out=np.zeros_like(nn), where=positive)
            hess = 2.0 * np.einsum("...ki,...li,...i->...kl", templates, templates, w) + 2.0 * np.eye(2)
            return grad, hess

        def refused_beyond(u: np.ndarray, step: np.ndarray, mu: np.ndarray) -> np.ndarray:
            return nonnegative_step_limit(mu, np.einsum("...k,...ki->...i", step, templates))

        return RowProblem(objective, derivatives, refused_beyond)

    whole = problem(None)
    u = np.zeros((size, 2))
    f, mu = whole.objective(u)
    u, f, _, converged = damped_newton(whole.objective, whole.derivatives, u, (f, mu), np.isfinite(f),
                                       np.zeros(size, dtype=bool), max_iter, tol, subset=problem)
    return PullFit(f.reshape(batch), (u * sig).reshape(batch + (2,)), converged.reshape(batch))


# --- arrays of detectors: covariance χ² ---------------------------------------------------
def covariance_matrix(
    expected: ArrayLike,
    fractional_systematics: ArrayLike | Mapping[str, ArrayLike],
    *,
    theory: ArrayLike | None = None,
    reference: Literal["expected", "theory"] = "expected",
    background_fraction: float = 0.1,
) -> np.ndarray:
    """Covariance σ²_ij of the counts of an array of detectors (Galindo-Uribarri, Miranda,
    Sanchez Garcia, Phys. Rev. D 105, 033001 (2022), arXiv:2011.10230, Eq. 6, written for any number of detectors
    and sources):

    .. math::
       σ^2_{ij} = δ_{ij}\\,(σ^{stat}_i)^2 + \\sum_k σ^k_i σ^k_j, \\qquad
       σ^k_i = f_{ki}\\,N^{ref}_i, \\qquad (σ^{stat}_i)^2 = N^{exp}_i + f_{bg} N^{exp}_i .

    Each systematic source k (their "A" = quenching factor, "B" = form factor or neutrino
    flux) has a fractional uncertainty f_ki per detector, fully correlated between the
    detectors and independent between sources — the structure of their 3 × 3 matrix,
    Eq. 6. ``fractional_systematics``: array ``(K, n_detectors)`` (broadcastable, e.g.
    ``[[0.25], [0.10]]`` for 25 % and 10 % on every detector) or a mapping name → fractions.

    What the paper leaves open, and the choices made here:

    * ``reference``: the paper quotes σ^k as percentages without saying of what. The
      default ``"expected"`` takes N^ref = N^exp (their "experimental" counts, set to the
      SM prediction), so σ² does not depend on the fitted parameters and is Gaussian in
      N^th; ``"theory"`` takes N^ref = N^th (needs ``theory``), which is exactly the
      covariance form of a normalisation pull N^th(1 + ξ_k f_k) per source (see
      :func:`profile_linear_pulls`, :func:`binned_pull_chi2`).
    * background: "we consider background effects by adding a 10 % contribution of the SM
      prediction to the statistical uncertainty" (Sec. II). Read here as a background of
      B_i = ``background_fraction`` × N^exp_i events whose Poisson variance B_i adds to the
      signal's N^exp_i; ``background_fraction=0`` gives pure signal statistics.

    ``expected`` (and ``theory``) ``(..., n)``; returns ``(..., n, n)``.
    """
    n_exp = np.asarray(expected, dtype=float)
    if isinstance(fractional_systematics, Mapping):
        frac = np.stack([np.broadcast_to(np.asarray(v, float), n_exp.shape[-1:]) for v in fractional_systematics.values()])
    else:
        frac = np.asarray(fractional_systematics, dtype=float)
    if frac.ndim < 2:
        raise InputError("fractional_systematics must be (sources, detectors) or a mapping name → fractions")
    if reference == "expected":
        ref = n_exp
    elif reference == "theory":
        if theory is None:
            raise InputError('reference="theory" needs the theory counts')
        ref = np.asarray(theory, dtype=float)
    else:
        raise InputError(f"reference must be 'expected' or 'theory', got {reference!r}")
    if background_fraction < 0:
        raise InputError("background_fraction must be >= 0")
    sigma = frac * ref[..., None, :]  # (..., K, n): σ^k_i
    stat = (1.0 + background_fraction) * n_exp
    return np.einsum("...ki,...kj->...ij", sigma, sigma) + stat[..., None] * np.eye(n_exp.shape[-1])


def covariance_chi2(expected: ArrayLike, theory: ArrayLike, cov: ArrayLike) -> np.ndarray:
    """χ² = Σ_ij (N^th_i − N^exp_i) [σ²]⁻¹_ij (N^th_j − N^exp_j) (arXiv:2011.10230, Eq. 5).

    ``expected``, ``theory``: ``(..., n)``; ``cov``: ``(n, n)`` shared by the batch, or
    ``(..., n, n)`` per point (e.g. from :func:`covariance_matrix` with
    ``reference="theory"``). Computed as |L⁻¹ r|² with the Cholesky factor L of σ²
    (which also checks that σ² is positive definite), never with an explicit inverse; a
    shared matrix is factorised once and all batch residuals are solved together.
    Returns the batch shape ``(...)``.
    """
    r = np.asarray(theory, dtype=float) - np.asarray(expected, dtype=float)
    c = np.asarray(cov, dtype=float)
    chol = np.linalg.cholesky(c)
    if c.ndim == 2:
        flat = np.reshape(r, (-1, r.shape[-1])).T
        z = linalg.solve_triangular(chol, flat, lower=True, check_finite=False)
        return np.sum(z**2, axis=0).reshape(r.shape[:-1])
    batch = np.broadcast_shapes(r.shape[:-1], c.shape[:-2])
    r = np.broadcast_to(r, batch + r.shape[-1:])
    chol = np.broadcast_to(chol, batch + c.shape[-2:])
    z = np.linalg.solve(chol, r[..., None])[..., 0]
    return np.sum(z**2, axis=-1)


def marginalise_detector(
    cov: ArrayLike, data: ArrayLike | Sequence[ArrayLike], index: int | Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray | tuple[np.ndarray, ...]]:
    """Drop detector(s) ``index`` from an array: the covariance without their rows and
    columns, and ``data`` (one array ``(..., n)`` or a tuple of them, e.g. (expected,
    theory)) without their entries.

    This is the paper's "marginalizing over the missing detector" (arXiv:2011.10230,
    Figs. 2–4) for a Gaussian χ²: when the dropped detector's prediction is free (its own
    parameter N'_k or R_k profiled), min over r_d of rᵀσ⁻²r equals r_Kᵀ(σ²_KK)⁻¹r_K for
    the kept detectors K (Schur complement; the marginal of a Gaussian is the Gaussian
    with the sub-matrix). Exact when the covariance does not depend on the dropped
    prediction (``reference="expected"`` in :func:`covariance_matrix`).
    """
    c = np.asarray(cov, dtype=float)
    n = c.shape[-1]
    drop = np.atleast_1d(np.asarray(index, dtype=int)) % n
    keep = np.setdiff1d(np.arange(n), drop)
    if len(np.unique(drop)) != len(drop) or keep.size == 0:
        raise InputError(f"cannot drop detectors {index} of {n}")
    sub = c[..., keep[:, None], keep[None, :]]
    if isinstance(data, (tuple, list)):
        return sub, tuple(np.asarray(d, dtype=float)[..., keep] for d in data)
    return sub, np.asarray(data, dtype=float)[..., keep]


# --- confidence levels ---------------------------------------------------------------------
def cl_from_sigma(n_sigma: ArrayLike) -> np.ndarray:
    """Two-sided Gaussian coverage of ±n σ: erf(n/√2) (1σ → 0.6827, 2σ → 0.9545)."""
    return special.erf(np.asarray(n_sigma, dtype=float) / np.sqrt(2.0))


def delta_chi2_threshold(cl: ArrayLike, dof: int = 1) -> np.ndarray:
    """Δχ² below which a point is inside the ``cl`` confidence region with ``dof`` fitted
    parameters, Δχ² = F⁻¹_{χ²(dof)}(CL) (Wilks' theorem; PDG Review of Statistics,
    Table 40.2): 1 dof → 1.00 (68.27 %), 2.71 (90 %), 4.00 (95.45 %); 2 dof → 2.30, 4.61,
    5.99 (68.27, 90, 95 %). Use :func:`cl_from_sigma` for n σ.

    The χ² distribution function is the regularised lower incomplete gamma function,
    F_{χ²(k)}(x) = P(k/2, x/2) (Abramowitz & Stegun 26.4.19; P as in NIST DLMF Eq. 8.2.4),
    so F⁻¹(p) = 2 P⁻¹(k/2, p), computed with ``scipy.special.gammaincinv``: the numbers
    of ``scipy.stats.chi2.ppf`` without importing ``scipy.stats`` (0.4–0.9 s of every CLI
    start).
    """
    p = np.asarray(cl, dtype=float)
    if np.any((p <= 0) | (p >= 1)) or dof < 1:
        raise InputError("cl must lie in (0, 1) and dof must be >= 1")
    return 2.0 * special.gammaincinv(0.5 * dof, p)


@dataclass(frozen=True)
class Interval:
    """One connected piece [low, high] of a confidence interval.

    ``low_open`` (``high_open``): the profile is still at or below the threshold at the
    first (last) grid point, so the interval is cut by the grid, not by the data: ``low``
    is then the grid edge x[0] (``high`` = x[-1]) and the true end lies beyond it.
    Unpacks as ``low, high = interval``.
    """

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def __iter__(self) -> Iterator[float]:
        yield self.low
        yield self.high

    @property
    def open_ends(self) -> list[str]:
        """The ends cut by the grid, not by the data: ``[]``, ``["low"]``, ``["high"]``
        or ``["low", "high"]`` (unbounded within the range probed)."""
        return [end for end, is_open in (("low", self.low_open), ("high", self.high_open)) if is_open]


def intervals_and_open_ends(x: ArrayLike, delta_chi2: ArrayLike, threshold: float) -> tuple[list[list[float]], list[list[str]]]:
    """:func:`interval_from_profile` as plain lists: the pieces ``[[low, high], ...]`` and,
    one list per piece, its :attr:`Interval.open_ends` (what JSON output stores)."""
    pieces = interval_from_profile(x, delta_chi2, threshold)
    return [[float(i.low), float(i.high)] for i in pieces], [i.open_ends for i in pieces]


def interval_from_profile(x: ArrayLike, delta_chi2: ArrayLike, threshold: float) -> list[Interval]:
    """Intervals {x : Δχ²(x) ≤ threshold} from a profile tabulated on a grid.

    ``x`` strictly increasing, ``delta_chi2`` the profile on it (NaN counts as excluded).
    Each run of grid points at or below the threshold is one :class:`Interval` (so
    disjoint pieces come out separately, in increasing x). Its ends are the threshold
    crossings, interpolated linearly between the last point outside and the first inside;
    a run that touches a grid edge is open there (``low_open``/``high_open``, end = the
    edge). Next to a NaN the end is the grid point itself. An empty list means no grid
    point is allowed.
    """
    xs = np.asarray(x, dtype=float)
    d = np.asarray(delta_chi2, dtype=float)
    if xs.ndim != 1 or xs.shape != d.shape or xs.size < 2:
        raise InputError("x and delta_chi2 must be 1-d arrays of the same length >= 2")
    if not np.all(np.diff(xs) > 0):
        raise InputError("x must be strictly increasing")
    inside = d <= threshold  # False for NaN
    edges = np.diff(np.concatenate([[0], inside.astype(np.int8), [0]]))
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1

    def crossing(i_out: int, i_in: int) -> float:
        if np.isnan(d[i_out]):
            return float(xs[i_in])
        return float(xs[i_out] + (threshold - d[i_out]) * (xs[i_in] - xs[i_out]) / (d[i_in] - d[i_out]))

    last = xs.size - 1
    return [
        Interval(
            float(xs[0]) if i0 == 0 else crossing(int(i0) - 1, int(i0)),
            float(xs[last]) if i1 == last else crossing(int(i1) + 1, int(i1)),
            low_open=bool(i0 == 0),
            high_open=bool(i1 == last),
        )
        for i0, i1 in zip(starts, stops)
    ]
