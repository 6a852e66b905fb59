"""Discovery limits under the neutrino background and the neutrino fog.

The discovery limit (J. Billard, L. Strigari, E. Figueroa-Feliciano, Phys. Rev. D 89,
023524 (2014), arXiv:1307.5458, Sec. III) is the smallest signal cross section that an
experiment would detect at a given significance; here, as in C. A. J. O'Hare, Phys. Rev.
Lett. 127, 251802 (2021), arXiv:2109.03116, the *median* 3σ discovery with the asymptotic
profile likelihood ratio, evaluated on Asimov data (G. Cowan, K. Cranmer, E. Gross,
O. Vitells, Eur. Phys. J. C 71, 1554 (2011), arXiv:1007.1727, Sec. 3.2 and Eq. 97). Billard
et al. define the limit by 90% of pseudo-experiments reaching 3σ; the median (Asimov)
version used by O'Hare is computed here.

Model (binned Poisson likelihood in recoil energy, bins i, background components k):

.. math::
   μ_i(σ, φ) = ε\\Big[σ S_i + \\sum_k φ_k B_{ki}\\Big],\\qquad
   -2\\ln L = 2\\sum_i\\big[μ_i - n_i\\ln μ_i\\big] + \\sum_k \\Big(\\frac{φ_k - 1}{δ_k}\\Big)^2

with ε the exposure, S_i the signal counts per unit exposure per unit cross section,
B_ki the counts of flux component k per unit exposure at its nominal flux, and every flux
normalisation φ_k a Gaussian-constrained nuisance of relative uncertainty δ_k. The Asimov
data of the signal hypothesis are n_i = ε(σS_i + Σ_k B_ki), for which the unconditional fit
is the truth, so the discovery statistic is

.. math::
   q_0 = -2\\ln λ(0) = \\min_u \\Big\\{ 2ε\\sum_i\\big[m_i - d_i + d_i\\ln(d_i/m_i)\\big] + |u|^2 \\Big\\},
   \\quad d_i = σS_i + \\textstyle\\sum_k B_{ki},\\quad m_i = \\sum_k B_{ki} + \\sum_k u_k δ_k B_{ki}

(u_k = (φ_k − 1)/δ_k, the standardised pulls). The median discovery significance is
Z = √q₀ (Cowan et al., Eq. 97 for one bin without nuisances), and the discovery limit
σ_disc(ε) solves q₀(σ, ε) = Z².

Method (vectorised over masses and exposures at once; no per-point minimiser):

* profile: Newton's method in u with the closed-form gradient 2εTᵀ(1 − d/m) + 2u and Hessian
  2εT diag(d/m²)Tᵀ + 2·1 (T_ki = δ_k B_ki); the objective is convex, steps are halved until
  it decreases and every m_i stays > 0, except a step whose Newton decrement is already
  below 10⁻⁹(1 + q₀), under the rounding of q₀ at large exposures: it is taken whole and
  ends the profile; the pulls start from the previous root-finding iteration's (warm start);
  the Newton systems of many points are solved together by a Cholesky factorisation
  vectorised over the points (:func:`_newton_steps`);
* root: Newton's method on ln q₀(ln σ) = ln Z² with the exact slope from the envelope
  theorem, ∂q₀/∂ln σ = 2εσ Σ_i S_i ln(d_i/m̂_i), kept inside a bracket (bisection when a
  step leaves it);
* starts (continuation along exposure): every 8th exposure (and the last) starts from the
  Gaussian estimate q₀ ≈ εσ²Σ S²/B, the others, by strides 4, 2, 1, from the cubic Hermite
  interpolant of ln σ_disc(ln ε) through their two solved neighbours, whose slopes are
  known exactly, d ln σ_disc/d ln ε = −1/n, with the pulls interpolated linearly: about two
  root-finding steps per point instead of four. The roots are the same: each point stops
  only when q₀ = Z² to the tolerance, whatever its start;
* fog gradient (O'Hare, Eq. 2): n = −(d ln σ_disc / d ln ε)⁻¹ from the implicit-function
  theorem, n = (∂q₀/∂ln σ)/(∂q₀/∂ln ε), where ∂q₀/∂ln ε is the Poisson part of q₀ (the
  pull penalty does not scale with ε). n = 1 without background, n = 2 when the
  background is Poisson-limited, n > 2 when its flux uncertainties limit the discovery
  and n → ∞ when the signal is indistinguishable from a background component
  (saturation).
* floor: O'Hare's neutrino floor is the n = 2 boundary; :func:`floor` gives, per mass,
  the cross section at which n first reaches a level (2, also 2.5 or 3) along increasing
  exposure.

Inputs: :class:`FogArrays` (background matrix [components × bins], relative uncertainties,
signal matrix [masses × bins] per unit σ); :func:`fog_arrays` builds them for a target from
the neutrino sources (solar, atmospheric, DSNB with the fluxes of O'Hare's Table I,
:data:`FOG_FLUXES`) and the WIMP spectra of :mod:`cevns.physics.wimp`, in 50 log-spaced
recoil bins from 10⁻⁴ to 200 keVnr by default (O'Hare's binning; a perfect detector).

Units: the arrays are used as given: counts per unit exposure (per tonne-year in the
wired-up inputs) and the cross section in the units of the signal matrix (cm²).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Literal, Mapping, Sequence

import numpy as np

from scipy.special import ndtri

from cevns.errors import InputError

from cevns.physics.cross_sections import NuclearStructure

if TYPE_CHECKING:
    from cevns.sources.spectra import NeutrinoSource

__all__ = [
    "DEFAULT_LEVELS", "DiscoveryLimits", "FOG_FLUXES", "FOG_STRUCTURE", "SITE_COMPONENTS", "FogArrays", "FogResult", "Q0", "asimov_q0",
    "discovery_limits", "floor", "floor_limits", "fog_arrays", "fog_gradient", "neutrino_fog",
]

#: n levels of the floor contours (O'Hare 2021: n = 2 is the floor; 2.5 and 3 deeper in the fog).
DEFAULT_LEVELS: tuple[float, ...] = (2.0, 2.5, 3.0)


def _as_matrix(name: str, value: object, ndim: int) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if arr.ndim != ndim:
        raise InputError(f"{name} must be a {ndim}-d array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError(f"{name} must be finite and >= 0")
    return arr


@dataclass(frozen=True, eq=False)  # arrays inside: compared by identity
class FogArrays:
    """The inputs of a fog calculation, as arrays.

    Attributes
    ----------
    background : (K, N) array
        Counts per unit exposure in each recoil bin for every background (neutrino flux)
        component at its nominal normalisation.
    uncertainties : (K,) array
        Relative 1σ uncertainty δ_k of each component's normalisation (0 fixes it).
    signal : (M, N) array
        Signal counts per unit exposure per unit cross section, one row per WIMP mass.
    masses_gev : (M,) array
        The masses of the signal rows, GeV (labels only).
    components : tuple of str
        Names of the background components (labels only).
    edges_kev : (N + 1,) array or None
        Recoil-energy bin edges, keVnr (labels only).
    """

    background: np.ndarray
    uncertainties: np.ndarray
    signal: np.ndarray
    masses_gev: np.ndarray
    components: tuple[str, ...] = ()
    edges_kev: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        bkg = _as_matrix("background", self.background, 2)
        unc = _as_matrix("uncertainties", self.uncertainties, 1)
        sig = _as_matrix("signal", self.signal, 2)
        masses = np.asarray(self.masses_gev, dtype=float).reshape(-1)
        k, n = bkg.shape
        if k == 0 or n == 0:
            raise InputError("the background needs at least one component and one bin")
        if unc.shape != (k,):
            raise InputError(f"uncertainties must have one value per background component ({k}), got {unc.shape[0]}")
        if sig.shape[1] != n:
            raise InputError(f"signal has {sig.shape[1]} bins, the background {n}")
        if masses.shape != (sig.shape[0],):
            raise InputError(f"masses_gev must have one value per signal row ({sig.shape[0]}), got {masses.size}")
        if np.any(bkg.sum(axis=0) <= 0):
            raise InputError("every bin needs a background > 0 (drop the bins without background)")
        components = tuple(self.components) or tuple(f"b{i}" for i in range(k))
        if len(components) != k:
            raise InputError(f"components must name the {k} background components")
        for name, value in (("background", bkg), ("uncertainties", unc), ("signal", sig), ("masses_gev", masses)):
            object.__setattr__(self, name, value)
        object.__setattr__(self, "components", components)


@dataclass(frozen=True, eq=False)  # arrays inside: compared by identity
class Q0:
    """The profiled Asimov discovery statistic at a batch of points (shape ``(P,)``).

    Attributes
    ----------
    q0 : array
        q₀ = −2 ln λ(0).
    poisson : array
        Its Poisson part, ∂q₀/∂ln ε (q₀ minus the pull penalty |û|²).
    dq0_dlnsigma : array
        ∂q₀/∂ln σ (envelope theorem, at the profiled pulls).
    pulls : (P, K) array
        The profiled standardised pulls û_k = (φ̂_k − 1)/δ_k.
    converged : bool array
        Whether the profile converged.
    """

    q0: np.ndarray
    poisson: np.ndarray
    dq0_dlnsigma: np.ndarray
    pulls: np.ndarray
    converged: np.ndarray

    @property
    def gradient(self) -> np.ndarray:
        """The fog gradient n = (∂q₀/∂ln σ)/(∂q₀/∂ln ε) at these points (O'Hare 2021, Eq. 2,
        by the implicit-function theorem on q₀(σ, ε) = Z²)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.dq0_dlnsigma / self.poisson


def _r_minus_log1p(r: np.ndarray) -> np.ndarray:
    """r − ln(1 + r), without cancellation near r = 0 (series to r⁵ for |r| < 10⁻³)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log1p(r)
        np.subtract(r, out, out=out)
    small = np.abs(r) < 1e-3
    if small.any():  # over all elements, in place (often most r are small near a limit)
        series = np.multiply(r, -0.2)  # r²(½ − r(⅓ − r(¼ − r/5))), Horner in one work array
        series += 0.25
        series *= r
        np.subtract(1.0 / 3.0, series, out=series)
        series *= r
        np.subtract(0.5, series, out=series)
        series *= r * r
        np.copyto(out, series, where=small)
    return out


def _poisson_part(d: np.ndarray, m: np.ndarray, eps: np.ndarray) -> np.ndarray:
    """2ε Σ_i [m_i − d_i + d_i ln(d_i/m_i)] = 2ε Σ_i d_i h((m_i − d_i)/d_i), h(r) = r − ln(1+r)."""
    r = m - d
    r /= d
    h = _r_minus_log1p(r)
    h *= d
    return 2.0 * eps * np.sum(h, axis=-1)


@dataclass(frozen=True, eq=False)  # arrays inside: compared by identity
class _Model:
    """Precomputed background matrices: B (N,), T (K, N), TT (N, K·K), and the lower
    triangle of TT packed by columns (K(K+1)/2, N), with the packed position of each column's
    diagonal entry (K + 1 values: the last one ends the last column)."""

    total: np.ndarray
    shifts: np.ndarray
    products: np.ndarray
    packed: np.ndarray
    starts: tuple[int, ...]

    @classmethod
    def of(cls, background: np.ndarray, uncertainties: np.ndarray) -> _Model:
        shifts = uncertainties[:, None] * background
        products = (shifts[:, None, :] * shifts[None, :, :]).reshape(-1, shifts.shape[1]).T.copy()
        k = shifts.shape[0]
        packed = np.concatenate([shifts[j:] * shifts[j] for j in range(k)])  # column j: rows j..K-1
        starts = tuple(int(v) for v in np.concatenate([[0], np.cumsum(np.arange(k, 0, -1))]))
        return cls(background.sum(axis=0), shifts, products, packed, starts)


#: Points from which :func:`_newton_steps` factorises the 11 × 11 Hessians itself,
#: vectorised over the points, rather than by LAPACK one at a time: 2.2 µs per point by
#: LAPACK, 0.75 µs vectorised at 20 000 points, even at ~400 (0.16 against 0.62 ms at 50).
_VECTOR_CHOLESKY = 400


def _newton_steps(model: _Model, weights: np.ndarray, eps: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """The Newton steps −H⁻¹g of the pulls, H = 2ε T diag(w) Tᵀ + 2·1 (symmetric positive
    definite), for ``weights`` w = d/m² (P, N), exposures (P,) and gradients g (P, K). Many
    points: a Cholesky factorisation H = LLᵀ vectorised over the points (the lower
    triangle of H only, points along the fast axis; G. H. Golub & C. F. Van Loan, Matrix
    Computations, 4th ed., Alg. 4.2.2, the column form), then forward and back substitution;
    few points: LAPACK's solver (``numpy.linalg.solve``)."""
    k = model.shifts.shape[0]
    p = weights.shape[0]
    if p < _VECTOR_CHOLESKY:
        hess = (2.0 * eps[:, None] * (weights @ model.products)).reshape(-1, k, k) + 2.0 * np.eye(k)
        return -np.linalg.solve(hess, grad[..., None])[..., 0]
    starts = model.starts
    h = model.packed @ weights.T  # (K(K+1)/2, P): the lower triangle of T diag(w) Tᵀ, by columns
    h *= 2.0 * eps
    h[list(starts[:-1])] += 2.0
    for j in range(k):  # column j of L: its diagonal first, then the rows below
        col = h[starts[j]:starts[j + 1]]
        for c in range(j):  # less L[j:, c] L[j, c] of every column c already done
            lc = h[starts[c] + j - c:starts[c + 1]]
            col -= lc * lc[0]
        np.sqrt(col[0], out=col[0])
        col[1:] /= col[0]
    y = -grad.T.copy()  # L y = −g, by columns
    for j in range(k):
        col = h[starts[j]:starts[j + 1]]
        y[j] /= col[0]
        y[j + 1:] -= col[1:] * y[j]
    for j in range(k - 1, -1, -1):  # Lᵀ x = y
        col = h[starts[j]:starts[j + 1]]
        if j + 1 < k:
            y[j] -= np.einsum("kp,kp->p", col[1:], y[j + 1:])
        y[j] /= col[0]
    return y.T


def _trial(model: _Model, d: np.ndarray, eps: np.ndarray, u: np.ndarray, step: np.ndarray, t: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pulls u + t·step with their m, Poisson part and objective (+∞ where some m_i ≤ 0)."""
    u_new = u + t[:, None] * step
    m_new = model.total + u_new @ model.shifts
    positive = np.all(m_new > 0, axis=-1)
    p_new = _poisson_part(d, np.where(positive[:, None], m_new, d), eps)
    return u_new, m_new, p_new, np.where(positive, p_new + np.sum(u_new * u_new, axis=-1), np.inf)


def _profile(model: _Model, d: np.ndarray, eps: np.ndarray, u: np.ndarray, tol: float, max_iter: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Newton's method on the pulls for data d (P, N) per unit exposure and exposures eps (P,),
    from pulls u (P, K). Returns (u, m, poisson part, converged)."""
    T, B = model.shifts, model.total
    u = np.array(u, dtype=float, copy=True)
    m = B + u @ T
    poisson = _poisson_part(d, m, eps)
    f = poisson + np.sum(u * u, axis=-1)
    active = np.ones(len(u), dtype=bool)
    converged = np.zeros(len(u), dtype=bool)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        da, ma, ea, ua, fa = d[idx], m[idx], eps[idx][:, None], u[idx], f[idx]
        ratio = da / ma
        grad = 2.0 * ea * ((1.0 - ratio) @ T.T) + 2.0 * ua
        step = _newton_steps(model, ratio / ma, ea[:, 0], grad)
        decrement = -np.sum(grad * step, axis=-1)
        done = decrement < tol * (1.0 + fa)
        converged[idx[done]] = True
        t = np.ones(idx.size)  # converged points take their last (tiny) Newton step unchecked
        u_new, m_new, p_new, f_new = _trial(model, da, ea[:, 0], ua, step, t)
        bad = np.flatnonzero(~((done & np.isfinite(f_new)) | (f_new <= fa - 1e-4 * t * decrement)))
        # a failed step whose decrement is below 1e-9 (1 + f) is taken whole and ends the
        # profile there, converged: the decrease it promises is under the rounding of f
        # (~1e-10 relative at 1e12 t·yr), which alone failed the test, and from so close a
        # Newton step lands within ~decrement² of the minimum; halving it instead (20-30
        # times, a few points at a time) found nothing but rounding luck
        rounding = (decrement[bad] < 1e-9 * (1.0 + fa[bad])) & np.isfinite(f_new[bad])
        last, bad = bad[rounding], bad[~rounding]
        converged[idx[last]] = True
        for _ in range(50):  # halve the failed steps only
            if bad.size == 0:
                break
            t[bad] *= 0.5
            trial = _trial(model, da[bad], ea[bad, 0], ua[bad], step[bad], t[bad])
            u_new[bad], m_new[bad], p_new[bad], f_new[bad] = trial
            bad = bad[~(trial[3] <= fa[bad] - 1e-4 * t[bad] * decrement[bad])]
        if bad.size:  # no decrease found: stop there; converged if only rounding was left
            t[bad] = 0.0
            u_new[bad], m_new[bad], p_new[bad], f_new[bad] = ua[bad], ma[bad], fa[bad] - np.sum(ua[bad] ** 2, -1), fa[bad]
            converged[idx[bad]] = decrement[bad] < 1e-9 * (1.0 + fa[bad])
        # rounding floor: the step no longer changes the objective and the decrement is tiny
        stalled = ~done & (np.abs(fa - f_new) <= 1e-14 * (1.0 + fa)) & (decrement < 1e-9 * (1.0 + fa))
        converged[idx[stalled]] = True
        u[idx], m[idx], poisson[idx], f[idx] = u_new, m_new, p_new, f_new
        active[idx[done | stalled | (t == 0.0)]] = False
        active[idx[last]] = False
    return u, m, poisson, converged


def asimov_q0(
    signal: np.ndarray,
    background: np.ndarray,
    uncertainties: np.ndarray,
    sigma: np.ndarray | float,
    exposure: np.ndarray | float,
    *,
    pulls: np.ndarray | None = None,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> Q0:
    """The Asimov discovery statistic q₀ with every background normalisation profiled
    (module docstring; Cowan et al., EPJC 71, 1554 (2011), Eq. 97 for one bin, no nuisance).

    Parameters
    ----------
    signal : (N,) or (P, N) array
        Signal counts per unit exposure per unit cross section (one row per point, or one
        row for all).
    background : (K, N) array
        Background counts per unit exposure per component.
    uncertainties : (K,) array
        Relative 1σ uncertainties of the component normalisations.
    sigma, exposure : float or (P,) array
        Cross section (units of ``signal``) and exposure (units of ``background``), > 0.
    pulls : (P, K) array, optional
        Starting pulls (default 0).

    Returns
    -------
    Q0
        q₀, its Poisson part, ∂q₀/∂ln σ, the profiled pulls and convergence, shape ``(P,)``.
    """
    bkg = _as_matrix("background", background, 2)
    unc = _as_matrix("uncertainties", uncertainties, 1)
    sig = np.atleast_2d(np.asarray(signal, dtype=float))
    sigma_a, eps_a = (np.atleast_1d(np.asarray(x, dtype=float)) for x in (sigma, exposure))
    if np.any(~(sigma_a >= 0)) or np.any(~(eps_a > 0)):
        raise InputError("sigma must be >= 0 and exposure > 0")
    if unc.shape != bkg.shape[:1] or sig.shape[-1] != bkg.shape[1]:
        raise InputError("signal, background and uncertainties do not match in shape")
    p = np.broadcast_shapes(sig.shape[:1], sigma_a.shape, eps_a.shape)[0]
    sig = np.broadcast_to(sig, (p, sig.shape[1]))
    sigma_a, eps_a = np.broadcast_to(sigma_a, (p,)), np.broadcast_to(eps_a, (p,))
    model = _Model.of(bkg, unc)
    d = sigma_a[:, None] * sig + model.total
    u0 = np.zeros((p, bkg.shape[0])) if pulls is None else np.broadcast_to(np.asarray(pulls, float), (p, bkg.shape[0]))
    u, m, poisson, conv = _profile(model, d, eps_a, u0, tol, max_iter)
    slope = 2.0 * eps_a * sigma_a * np.sum(sig * np.log(d / m), axis=-1)
    return Q0(poisson + np.sum(u * u, axis=-1), poisson, slope, u, conv)


@dataclass(frozen=True, eq=False)  # arrays inside: compared by identity
class DiscoveryLimits:
    """Discovery limits σ_disc(mass, exposure) and the fog gradient along them.

    Attributes
    ----------
    masses_gev : (M,) array
    exposures : (E,) array
        Exposures, in the units of the inputs (tonne-years for the wired-up targets).
    sigma : (M, E) array
        σ_disc, in the units of the signal matrix (cm²); NaN where a mass has no signal.
    gradient : (M, E) array
        n = −(d ln σ_disc / d ln ε)⁻¹ at each point.
    z : float
        The discovery significance.
    converged : (M, E) bool array
    power : float
        The fraction of experiments reaching ``z`` (0.5: median, q₀,A = z²).
    """

    masses_gev: np.ndarray
    exposures: np.ndarray
    sigma: np.ndarray
    gradient: np.ndarray
    z: float
    converged: np.ndarray
    power: float = 0.5


def _check_exposures(exposures: Sequence[float] | np.ndarray) -> np.ndarray:
    eps = np.asarray(exposures, dtype=float).reshape(-1)
    if eps.size == 0:
        raise InputError("give at least one exposure")
    if not np.all(np.isfinite(eps)) or np.any(eps <= 0):
        raise InputError("exposures must be finite and > 0")
    return eps


def _continuation_levels(leps: np.ndarray, coarsest: int = 8
                         ) -> list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]:
    """The order in which :func:`discovery_limits` solves the exposures (sorted ln ε, ``leps``):
    every ``coarsest``-th one and the last first, then the midpoints of ever finer strides
    (4, 2, 1), each started from its two solved neighbours. Returns, per level, the new
    positions and those of their solved neighbours below and above (None on the first level).
    Repeated exposures, or fewer than 3, are solved in one level."""
    e = leps.size
    if e < 3 or np.any(np.diff(leps) <= 0):
        return [(np.arange(e), None, None)]
    known = np.unique(np.r_[np.arange(0, e, coarsest), e - 1])
    levels: list[tuple[np.ndarray, np.ndarray | None, np.ndarray | None]] = [(known, None, None)]
    stride = coarsest
    while stride > 1:
        stride //= 2
        new = np.setdiff1d(np.arange(0, e, stride), known)
        if new.size:
            k = np.searchsorted(known, new)
            levels.append((new, known[k - 1], known[k]))
            known = np.union1d(known, new)
    return levels


def _hermite(t: np.ndarray, h: np.ndarray, xa: np.ndarray, sa: np.ndarray, xb: np.ndarray, sb: np.ndarray
             ) -> np.ndarray:
    """Cubic Hermite interpolation at fraction ``t`` of an interval of length ``h`` between
    values ``xa``, ``xb`` with slopes ``sa``, ``sb`` (error O(h⁴) for a smooth function)."""
    t2, t3 = t * t, t * t * t
    return ((2 * t3 - 3 * t2 + 1) * xa + (t3 - 2 * t2 + t) * h * sa + (-2 * t3 + 3 * t2) * xb
            + (t3 - t2) * h * sb)


def _roots(model: _Model, sig: np.ndarray, eps: np.ndarray, x: np.ndarray, u: np.ndarray, target: float,
           rtol: float, max_iter: int, report: Callable[[int, int], None]
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """ln σ_disc of points with signal (rows ``sig``, exposures ``eps``) from starts ``x``
    (ln σ) and pulls ``u``: Newton's method on ln q₀(ln σ) = ``target`` inside a bracket
    (module docstring). Returns (x, u, n, converged)."""
    x = np.array(x, dtype=float, copy=True)
    u = np.array(u, dtype=float, copy=True)
    lo, hi = np.full(x.shape, -np.inf), np.full(x.shape, np.inf)
    n = np.full(x.shape, np.nan)
    done = np.zeros(x.shape, dtype=bool)
    converged = np.zeros(x.shape, dtype=bool)
    for _ in range(max_iter):
        idx = np.flatnonzero(~done)
        report(int(x.size - idx.size), int(x.size))
        if idx.size == 0:
            break
        sigma = np.exp(x[idx])
        d = sigma[:, None] * sig[idx] + model.total
        u_i, m_i, poisson, conv = _profile(model, d, eps[idx], u[idx], 1e-12, 100)
        u[idx] = u_i
        q0 = poisson + np.sum(u_i * u_i, axis=-1)
        slope_q = 2.0 * eps[idx] * sigma * np.sum(sig[idx] * np.log(d / m_i), axis=-1)
        with np.errstate(divide="ignore", invalid="ignore"):
            g = np.log(q0) - target
            slope = slope_q / q0
            n[idx] = slope_q / poisson
        lo[idx] = np.where(g < 0, np.maximum(lo[idx], x[idx]), lo[idx])
        hi[idx] = np.where(g > 0, np.minimum(hi[idx], x[idx]), hi[idx])
        # converged: q0 = z² to rtol, or σ bracketed to 1e-12 (q0's rounding noise, ~1e-10 at huge exposures)
        ok = (np.abs(g) < rtol) | (hi[idx] - lo[idx] < 1e-12)
        converged[idx[ok]] = conv[ok]
        done[idx[ok]] = True
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x[idx] - np.clip(np.where(slope > 0, g / slope, np.sign(g) * 4.0), -4.0, 4.0)
        a, b = lo[idx], hi[idx]
        outside = ~((newton > a) & (newton < b)) | ~np.isfinite(newton)
        bracket = np.isfinite(a) & np.isfinite(b)
        step_out = np.where(g < 0, x[idx] + 4.0, x[idx] - 4.0)
        x[idx] = np.where(ok, x[idx], np.where(outside, np.where(bracket, 0.5 * (a + b), step_out), newton))
    retry = np.flatnonzero(done & ~converged)  # warm starts stalled at rounding: profile again from 0
    if retry.size:
        sigma = np.exp(x[retry])
        d = sigma[:, None] * sig[retry] + model.total
        u_r, _, poisson, conv = _profile(model, d, eps[retry], np.zeros_like(u[retry]), 1e-12, 100)
        converged[retry] = conv & (np.abs(np.log(poisson + np.sum(u_r * u_r, axis=-1)) - target) < 1e-8)
    return x, u, n, converged


def discovery_limits(
    arrays: FogArrays,
    exposures: Sequence[float] | np.ndarray,
    *,
    z: float = 3.0,
    power: float = 0.5,
    rtol: float = 1e-10,
    max_iter: int = 100,
    progress: Callable[[int, int], None] | None = None,
) -> DiscoveryLimits:
    """σ_disc for every mass and exposure at once: q₀(σ_disc, ε) = (z + Φ⁻¹(power))²
    (module docstring).

    Parameters
    ----------
    arrays : FogArrays
    exposures : sequence of float
        Exposures (> 0), in the units of the arrays.
    z : float
        Discovery significance (default 3σ).
    power : float
        Fraction of experiments that reach ``z`` (default 0.5: the median, O'Hare 2021).
        Asymptotically √q₀ is Gaussian with mean √q₀,A and unit width (Cowan et al. 2011,
        Sec. 3.4), so a fraction ``power`` reaches z when √q₀,A = z + Φ⁻¹(power); 0.9 is
        the definition of Billard et al. 2014 (90 % of experiments at 3σ).
    rtol : float
        Convergence: |ln q₀ − ln z²| < rtol, or ln σ bracketed to 10⁻¹² (where rounding in q₀,
        ~10⁻¹⁰ at the largest exposures, hides rtol).
    progress : callable, optional
        Called as ``progress(points_done, points_total)`` after every root-finding step.

    Returns
    -------
    DiscoveryLimits
    """
    eps_axis = _check_exposures(exposures)
    return _solve_limits(arrays, eps_axis, z, power, _z_asimov(z, power), rtol, max_iter, progress, None)


def _z_asimov(z: float, power: float) -> float:
    """z + Φ⁻¹(power), the Asimov significance of :func:`discovery_limits` (checked)."""
    if not (np.isfinite(z) and z > 0):
        raise InputError(f"z must be a number > 0, got {z}")
    if not (0.0 < power < 1.0):
        raise InputError(f"power must be in (0, 1), got {power}")
    z_asimov = z + float(ndtri(power))
    if z_asimov <= 0:
        raise InputError(f"z + Φ⁻¹(power) must be > 0, got z = {z}, power = {power}")
    return z_asimov


def floor_limits(
    arrays: FogArrays,
    exposures: Sequence[float] | np.ndarray,
    level: float = 2.0,
    *,
    margin: float = 0.5,
    z: float = 3.0,
    power: float = 0.5,
    rtol: float = 1e-10,
    max_iter: int = 100,
) -> DiscoveryLimits:
    """The discovery limits that :func:`floor` at ``level`` reads, without the others:
    ``floor(floor_limits(a, e, level), level)`` is ``floor(discovery_limits(a, e), level)``
    when n stays below ``level`` − ``margin`` wherever this skips. ``exposures`` must
    increase (:func:`floor` reads the first crossing along them).

    The continuation of :func:`discovery_limits` (every 8th exposure first, then the
    midpoints of strides 4, 2, 1) solves a midpoint only where the floor may lie: at or
    before the first exposure solved so far with n ≥ ``level``, and next to a solved
    exposure with n ≥ ``level`` − ``margin``. The interval holding the first crossing is
    therefore solved down to single steps, and the floor is interpolated between the same
    two exposures. What it assumes: n does not rise from below ``level`` − ``margin`` to
    ``level`` and fall back within one stride (n changes over decades of exposure:
    Billard et al. 2014, O'Hare 2021, Fig. 1); on O'Hare's seven targets the floors equal
    those of every exposure solved (``tests/test_fog_targets.py``). About a third of the
    points for the floors of the reproduction's targets.

    Returns
    -------
    DiscoveryLimits
        NaN (``sigma``, ``gradient``) and ``converged`` False at the exposures skipped.
    """
    eps_axis = _check_exposures(exposures)
    if np.any(np.diff(eps_axis) <= 0):
        raise InputError("the exposures of floor_limits must increase (the floor is the first crossing along them)")
    if not (np.isfinite(level) and level > 0 and np.isfinite(margin) and margin >= 0):
        raise InputError(f"level must be > 0 and margin >= 0, got {level} and {margin}")
    return _solve_limits(arrays, eps_axis, z, power, _z_asimov(z, power), rtol, max_iter, None,
                         (float(level), float(margin)))


def _solve_limits(arrays: FogArrays, eps_axis: np.ndarray, z: float, power: float, z_asimov: float, rtol: float,
                  max_iter: int, progress: Callable[[int, int], None] | None, crossing: tuple[float, float] | None
                  ) -> DiscoveryLimits:
    """The continuation of :func:`discovery_limits` over every (mass, exposure) point, or,
    with ``crossing = (level, margin)``, over the points :func:`floor_limits` needs."""
    M, E = arrays.signal.shape[0], eps_axis.size
    model = _Model.of(arrays.background, arrays.uncertainties)
    target = float(np.log(z_asimov * z_asimov))
    rows = np.flatnonzero(np.any(arrays.signal > 0, axis=-1))  # masses without signal stay NaN
    x_all = np.full((M, E), np.nan)
    n_all = np.full((M, E), np.nan)
    u_all = np.zeros((M, E, model.shifts.shape[0]))
    conv_all = np.zeros((M, E), dtype=bool)
    order = np.argsort(eps_axis, kind="stable")  # continuation runs along increasing exposure
    leps = np.log(eps_axis[order])
    finished = (M - rows.size) * E
    for new, below, above in _continuation_levels(leps):
        # the points of this level: row pr (mass) at sorted position pc, between its solved
        # neighbours at sorted positions pb and pa (every row, or those :func:`_needed` keeps)
        pr, k = np.repeat(rows, new.size), np.tile(np.arange(new.size), rows.size)
        if crossing is not None and below is not None and above is not None:
            keep = _needed(n_all[rows][:, order], below, above, *crossing).reshape(-1)
            pr, k = pr[keep], k[keep]
        pc = new[k]
        sig = arrays.signal[pr]
        eps = eps_axis[order[pc]]
        # start: the Gaussian background-dominated estimate q0 ≈ ε σ² Σ S²/B ...
        x0 = 0.5 * (target - np.log(eps * np.sum(sig**2 / model.total, axis=-1)))
        u0 = np.zeros((x0.size, model.shifts.shape[0]))
        if below is not None and above is not None:  # ... or the cubic through the solved neighbours
            pb, pa = below[k], above[k]
            t = (leps[pc] - leps[pb]) / (leps[pa] - leps[pb])
            h = leps[pa] - leps[pb]
            cb_, ca_ = order[pb], order[pa]
            xa, xb = x_all[pr, cb_], x_all[pr, ca_]
            na, nb = n_all[pr, cb_], n_all[pr, ca_]
            ca, cb = conv_all[pr, cb_], conv_all[pr, ca_]
            ua, ub = u_all[pr, cb_], u_all[pr, ca_]
            with np.errstate(divide="ignore", invalid="ignore"):
                hermite = _hermite(t, h, xa, -1.0 / na, xb, -1.0 / nb)
            good = ca & cb & (na > 0) & (nb > 0) & np.isfinite(hermite)
            x0 = np.where(good, hermite, x0)
            u0 = np.where(good[:, None], (1.0 - t)[:, None] * ua + t[:, None] * ub, 0.0)

        def report(done: int, total: int, offset: int = finished) -> None:
            if progress is not None:
                progress(offset + done, M * E)

        x, u, n, conv = _roots(model, sig, eps, x0, u0, target, rtol, max_iter, report)
        finished += x.size
        cols = order[pc]
        x_all[pr, cols] = x
        n_all[pr, cols] = n
        conv_all[pr, cols] = conv
        u_all[pr, cols] = u
    if progress is not None:
        progress(M * E, M * E)
    return DiscoveryLimits(arrays.masses_gev, eps_axis, np.exp(x_all), n_all, float(z), conv_all, float(power))


def _needed(n: np.ndarray, below: np.ndarray, above: np.ndarray, level: float, margin: float) -> np.ndarray:
    """Which midpoints of a continuation level :func:`floor_limits` solves, shape
    ``(rows, midpoints)``: ``n`` (rows × sorted exposures, NaN where not solved) and the
    sorted positions of each midpoint's neighbours ``below`` and ``above``. A midpoint is
    solved when both neighbours are, its interval lies at or before the row's first solved
    exposure with n ≥ ``level``, and n reaches ``level`` − ``margin`` at one of its ends."""
    reached = np.isfinite(n) & (n >= level)
    first = np.where(reached.any(axis=1), np.argmax(reached, axis=1), n.shape[1])
    nb, na = n[:, below], n[:, above]
    with np.errstate(invalid="ignore"):
        near = np.fmax(nb, na) >= level - margin
    return np.isfinite(nb) & np.isfinite(na) & (above[None, :] <= first[:, None]) & near


def fog_gradient(limits: DiscoveryLimits, sigma_grid: Sequence[float] | np.ndarray) -> np.ndarray:
    """The fog gradient n over (mass, σ) (O'Hare 2021, Fig. 1): for each mass, n at the
    exposure whose discovery limit is σ, interpolated linearly in ln σ_disc between the
    exposures computed (σ_disc falls strictly with exposure). NaN outside the range of
    σ_disc reached by the exposures. Returns shape ``(M, len(sigma_grid))``."""
    grid = np.log(np.asarray(sigma_grid, dtype=float).reshape(-1))
    out = np.full((limits.sigma.shape[0], grid.size), np.nan)
    for j, (s, n) in enumerate(zip(limits.sigma, limits.gradient)):
        good = np.isfinite(s) & np.isfinite(n)
        if good.sum() < 2:
            continue
        ls, ng = np.log(s[good])[::-1], n[good][::-1]  # increasing ln σ
        inside = (grid >= ls[0]) & (grid <= ls[-1])
        out[j, inside] = np.interp(grid[inside], ls, ng)
    return out


def floor(limits: DiscoveryLimits, level: float = 2.0) -> np.ndarray:
    """The neutrino floor at ``level`` (O'Hare 2021: n = 2): per mass, the discovery limit
    at the smallest exposure where n reaches ``level``, ln σ_disc interpolated linearly in n
    between the two exposures around the crossing. NaN where n stays below ``level`` over the
    exposures computed, or is already above it at the smallest one (the floor then lies
    above the limits computed: add smaller exposures). Returns shape ``(M,)``, in the cross-section units."""
    out = np.full(limits.sigma.shape[0], np.nan)
    for j, (s, n) in enumerate(zip(limits.sigma, limits.gradient)):
        above = np.flatnonzero(np.isfinite(n) & (n >= level))
        if above.size == 0:
            continue
        i = int(above[0])
        if i == 0:
            out[j] = s[0] if n[0] == level else np.nan
            continue
        w = (level - n[i - 1]) / (n[i] - n[i - 1])
        ls = np.log(s[i - 1]) + w * (np.log(s[i]) - np.log(s[i - 1]))
        out[j] = np.exp(ls)
    return out


@dataclass(frozen=True, eq=False)  # arrays inside: compared by identity
class FogResult:
    """A fog calculation: the discovery limits, the gradient map and the floors.

    Attributes
    ----------
    limits : DiscoveryLimits
    sigma_grid : (S,) array
        Cross sections of the gradient map.
    gradient_map : (M, S) array
        n over (mass, σ) (:func:`fog_gradient`).
    floors : dict
        level → floor per mass (:func:`floor`).
    """

    limits: DiscoveryLimits
    sigma_grid: np.ndarray
    gradient_map: np.ndarray
    floors: dict[float, np.ndarray]


def neutrino_fog(
    arrays: FogArrays,
    exposures: Sequence[float] | np.ndarray,
    sigma_grid: Sequence[float] | np.ndarray | None = None,
    *,
    levels: Sequence[float] = DEFAULT_LEVELS,
    z: float = 3.0,
    power: float = 0.5,
    progress: Callable[[int, int], None] | None = None,
) -> FogResult:
    """Discovery limits (:func:`discovery_limits` with ``z`` and ``power``), the gradient
    map over (mass, σ) and the floors at ``levels``. ``sigma_grid`` defaults to 200
    log-spaced values spanning the limits found."""
    limits = discovery_limits(arrays, exposures, z=z, power=power, progress=progress)
    if sigma_grid is None:
        finite = limits.sigma[np.isfinite(limits.sigma)]
        if finite.size == 0:
            raise InputError("no mass has a signal above threshold")
        sigma_grid = np.geomspace(finite.min(), finite.max(), 200)
    grid = np.asarray(sigma_grid, dtype=float).reshape(-1)
    if grid.size == 0 or not np.all(np.isfinite(grid)) or np.any(grid <= 0):
        raise InputError("sigma_grid must hold finite cross sections > 0")
    return FogResult(limits, grid, fog_gradient(limits, grid), {float(v): floor(limits, v) for v in levels})


# --- the neutrino backgrounds and WIMP signals of a target ------------------------------------

#: Neutrino flux components of the fog: name → (total flux in cm⁻² s⁻¹, relative 1σ
#: uncertainty), as used by C. A. J. O'Hare, PRL 127, 251802 (2021), arXiv:2109.03116,
#: Table I (values as in his public code, cajohare/NeutrinoFog ``src/Params.py``; solar
#: fluxes of the B16-GS98 SSM, N. Vinyoles et al., ApJ 835, 202 (2017), except ⁸B, the
#: global-fit 5.16 × 10⁶ ± 2 %; atmospheric FLUKA below ~1 GeV; DSNB integrated over all
#: flavours). The solar spectra and MSW flavour content come from
#: :func:`cevns.sources.solar.solar_source`, scaled to these totals.
FOG_FLUXES: dict[str, tuple[float, float]] = {
    "pp": (5.98e10, 0.006),
    "pep": (1.44e8, 0.01),
    "hep": (7.98e3, 0.30),
    "7Be_384": (4.93e8, 0.06),
    "7Be_861": (4.50e9, 0.06),
    "8B": (5.16e6, 0.02),
    "13N": (2.78e8, 0.15),
    "15O": (2.05e8, 0.17),
    "17F": (5.29e6, 0.20),
    "DSNB": (85.7, 0.50),
    "atm": (10.7, 0.25),
}

#: Optional fog components, off by default (O'Hare's published floors leave them out): the
#: geoneutrinos of the ²³⁸U and ²³²Th chains and of ⁴⁰K and the reactor ν̄_e at an underground
#: laboratory, with the fluxes and uncertainties of that site
#: (:func:`cevns.sources.geoneutrinos.site_fog_fluxes`); :func:`fog_arrays` adds them with ``site``.
SITE_COMPONENTS: tuple[str, ...] = ("geo_U", "geo_Th", "geo_K", "reactor")

#: The nuclear structure of the neutrino backgrounds in :func:`fog_arrays`: Helm form factors
#: (R. H. Helm, Phys. Rev. 104, 1466 (1956)) with the rms radius of J. D. Lewin & P. F.
#: Smith, Astropart. Phys. 6, 87 (1996), Eq. 4.11 (c = 1.23 A^(1/3) − 0.60 fm, a = 0.52 fm,
#: s = 0.9 fm) for protons and neutrons alike, as O'Hare 2021 does for the neutrinos and the
#: WIMPs (his code's ``FormFactorHelm``); unlike the measured charge radii, it exists for
#: the lightest targets too (⁴He's point-proton radius is below √3 s, where Helm has no box).
FOG_STRUCTURE = NuclearStructure(radius_default="lewin-smith")

#: WIMP masses whose signals :func:`fog_arrays` integrates in one call of
#: :func:`cevns.physics.wimp.wimp_rate`, on the union of their panels (every mass's kinks):
#: the call's fixed cost is most of one mass's, so four masses cost about twice one (xenon,
#: 100 masses: 0.25 → 0.11 s); each bin's integral changes by < 10⁻¹¹ (more panels, each
#: still integrated exactly to ~10⁻¹³ by 8 nodes).
_SIGNAL_GROUP = 4

#: WIMP masses accepted by :func:`fog_arrays`, GeV.
MASS_RANGE_GEV: tuple[float, float] = (0.1, 1e5)


@lru_cache(maxsize=64)
def _component_source(name: str, total: float) -> NeutrinoSource:
    """The :class:`~cevns.sources.spectra.NeutrinoSource` of one fog component (a key of
    :data:`FOG_FLUXES` or :data:`SITE_COMPONENTS`), its total flux scaled to ``total`` (cm⁻² s⁻¹).
    Cached: every target of a run shares the component's spectra, and with them their
    tail-moment tables (:meth:`cevns.sources.spectra.TabulatedSpectrum.tail_moments`)."""
    if name in SITE_COMPONENTS:
        from cevns.sources.geoneutrinos import FOG_NAMES, chain_spectrum, reactor_shape
        from cevns.sources.spectra import NeutrinoSource as Source

        chain = {v: k for k, v in FOG_NAMES.items()}[name]
        spectrum = reactor_shape() if chain == "reactor" else chain_spectrum(chain)
        return Source(name, {"nu_e_bar": spectrum}, {"nu_e_bar": total})
    if name == "atm":
        from cevns.sources.atmospheric import atmospheric_source

        base = atmospheric_source()
        return atmospheric_source(flux_scale=total / sum(base.flux_cm2_s.values()))
    if name == "DSNB":
        from cevns.sources.dsnb import dsnb_source

        base = dsnb_source("fog-2014")
        return dsnb_source("fog-2014", flux_scale=total / sum(base.flux_cm2_s.values()))
    from cevns.sources.solar import solar_model, solar_source

    return solar_source((name,), "B16-GS98", flux_scale=total / solar_model("B16-GS98").flux_cm2_s[name])


def _panels(edges: np.ndarray, kinks: np.ndarray, order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gauss–Legendre quadrature of the bins ``edges`` (keV) cut at ``kinks`` (where the
    integrand is not smooth), ``order`` nodes per panel in ln E. Returns nodes (keV),
    weights (keV) and the bin of each node, flat."""
    from cevns.rates.nodes import gauss_legendre_panels

    inner = kinks[(kinks > edges[0]) & (kinks < edges[-1])]
    breaks = np.unique(np.concatenate([edges, inner]))
    x, w = gauss_legendre_panels(np.log(breaks), order)
    nodes = np.exp(x)
    bins = np.searchsorted(edges, breaks[:-1], side="right") - 1
    return nodes, w * nodes, np.repeat(bins, order)


def _binned(values: np.ndarray, weights: np.ndarray, bins: np.ndarray, n_bins: int) -> np.ndarray:
    """Σ over the nodes of each bin of values × weights (last axis = nodes)."""
    out = np.zeros(values.shape[:-1] + (n_bins,))
    np.add.at(out.T, bins, (values * weights).T)
    return out


def _background_row(name: str, flux: float, target: str, threshold_kev: float, e_max_kev: float, n_bins: int,
                    order: int, structure: NuclearStructure, normalisation: str) -> np.ndarray:
    """One background row of :func:`fog_arrays` (events per tonne-year per bin of component
    ``name`` at total flux ``flux``, cm⁻² s⁻¹), read-only; with :data:`FOG_STRUCTURE` from
    :func:`_default_background_row` (cached), at the component's flux of :data:`FOG_FLUXES`
    and scaled to ``flux`` (the counts are proportional to the flux; the row at that flux is
    the cached one itself, bit for bit)."""
    if structure is not FOG_STRUCTURE:
        return _compute_background_row(name, flux, target, threshold_kev, e_max_kev, n_bins, order, structure,
                                       normalisation)
    nominal = FOG_FLUXES[name][0] if name in FOG_FLUXES else flux
    row = _default_background_row(name, nominal, target, threshold_kev, e_max_kev, n_bins, order, normalisation)
    if flux == nominal:
        return row
    scaled = row * (flux / nominal)
    scaled.flags.writeable = False
    return scaled


@lru_cache(maxsize=256)
def _default_background_row(name: str, flux: float, target: str, threshold_kev: float, e_max_kev: float, n_bins: int,
                            order: int, normalisation: str) -> np.ndarray:
    """:func:`_compute_background_row` with :data:`FOG_STRUCTURE`, cached: the neutrino
    backgrounds of a target do not depend on the WIMP masses, so the calls of a run that
    differ only in the masses (or in other components' fluxes) compute each row once; a row
    normalised to the total rate (``normalisation="total"``) reuses the cached row of the bin
    integrals and adds only the rate above ``e_max_kev``."""
    if normalisation == "total":
        bins = _default_background_row(name, flux, target, threshold_kev, e_max_kev, n_bins, order, "bins")
        return _total_normalised(bins, name, flux, target, e_max_kev, order, FOG_STRUCTURE)
    return _compute_background_row(name, flux, target, threshold_kev, e_max_kev, n_bins, order, FOG_STRUCTURE,
                                   normalisation)


def _compute_background_row(name: str, flux: float, target: str, threshold_kev: float, e_max_kev: float, n_bins: int,
                            order: int, structure: NuclearStructure, normalisation: str) -> np.ndarray:
    """One background row of :func:`fog_arrays` (see there), read-only."""
    edges = np.geomspace(threshold_kev, e_max_kev, n_bins + 1)
    row = np.zeros(n_bins)
    for kinks, rate in _isotope_rates(name, flux, target, structure):
        nodes, weights, bins = _panels(edges, kinks, order)
        row += _binned(rate(nodes), weights, bins, n_bins)
    if normalisation == "total":
        return _total_normalised(row, name, flux, target, e_max_kev, order, structure)
    row.flags.writeable = False
    return row


def _isotope_rates(name: str, flux: float, target: str, structure: NuclearStructure
                   ) -> list[tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]]:
    """Per isotope of ``target``: (kinks of component ``name``'s recoil spectrum, keV; its
    rate at recoils (keV) summed over flavours, events per tonne-year per keV), for
    :func:`_compute_background_row` and :func:`_total_normalised`."""
    from cevns.physics.nuclei import Isotope, resolve_target
    from cevns.rates.nodes import spectrum_kinks_mev
    from cevns.rates.prediction import differential_rate
    from cevns.units import keV, kg, tonne, year

    tgt = resolve_target(target)
    per_tonne = {iso: n * tonne / kg for iso, n in tgt.nuclei_per_kg().items()}
    source = _component_source(name, flux)

    def rate_of(iso: Isotope) -> Callable[[np.ndarray], np.ndarray]:
        def rate(nodes: np.ndarray) -> np.ndarray:
            return np.asarray(sum(differential_rate(nodes, iso, per_tonne[iso.name], source, year,
                                                    structure=structure).values()))
        return rate

    return [(spectrum_kinks_mev(source, iso.mass) / keV, rate_of(iso)) for iso in tgt.isotopes]


def _total_normalised(row: np.ndarray, name: str, flux: float, target: str, e_max_kev: float, order: int,
                      structure: NuclearStructure) -> np.ndarray:
    """The bin integrals ``row`` of a component scaled by (rate from threshold to its largest
    recoil) / (rate inside the bins), O'Hare's normalisation (:func:`fog_arrays`,
    ``normalisation="total"``); a new read-only array."""
    out = np.array(row, dtype=float, copy=True)
    above = 0.0  # counts above e_max
    for kinks, rate in _isotope_rates(name, flux, target, structure):
        top = float(kinks.max()) if kinks.size else 0.0
        if top > e_max_kev:
            upper = np.geomspace(e_max_kev, top, 61)
            nodes, weights, _ = _panels(upper, kinks, order)
            above += float(np.sum(rate(nodes) * weights))
    inside = out.sum()
    if above > 0 and inside > 0:
        out *= (inside + above) / inside
    out.flags.writeable = False
    return out


def fog_arrays(
    target: str = "Xe",
    masses_gev: Sequence[float] | np.ndarray = tuple(np.geomspace(1.0, 1e4, 100)),
    *,
    threshold_kev: float = 1e-4,
    e_max_kev: float = 200.0,
    n_bins: int = 50,
    components: Sequence[str] = tuple(FOG_FLUXES),
    coupling: Literal["si", "sd-p", "sd-n"] = "si",
    fluxes: Mapping[str, tuple[float, float]] | None = None,
    order: int = 8,
    structure: NuclearStructure | None = None,
    normalisation: Literal["bins", "total"] = "bins",
    site: str | None = None,
) -> FogArrays:
    """The fog inputs of a target: neutrino backgrounds and WIMP signals in recoil bins.

    Binning: ``n_bins`` log-spaced nuclear-recoil bins from ``threshold_kev`` to
    ``e_max_kev`` (O'Hare 2021's choice: 50 bins, 10⁻⁴ to 200 keV, a perfect detector:
    no efficiency or resolution), each integrated with ``order`` Gauss–Legendre nodes per panel in
    ln E, the bins cut into panels at the kinks of the spectra (the largest recoil of every
    neutrino line and end point, :func:`cevns.rates.nodes.spectrum_kinks_mev`, and the
    escape-speed kinks of the WIMP spectra, :func:`cevns.physics.wimp.recoil_kinks_kev`), so
    each panel's integrand is smooth (the signals of four masses at a time on the union of
    their panels). Background: CEvNS of every component of :data:`FOG_FLUXES` (flux and uncertainty
    there), :func:`cevns.rates.prediction.differential_rate` in the SM summed over the
    flavours and the target's isotopes by their number per tonne; signal:
    :func:`cevns.physics.wimp.wimp_rate` (``coupling``; σ per nucleon, Standard Halo
    Model). Both in events per tonne-year per bin (signal per cm² of σ). Bins without any
    neutrino background (beyond every recoil end point) are dropped. ``fluxes`` replaces
    entries of :data:`FOG_FLUXES` (component → (total flux, relative uncertainty)), e.g. a
    site's atmospheric flux. ``structure`` is the nuclear structure of the neutrino
    backgrounds (default :data:`FOG_STRUCTURE`, O'Hare's Helm form factors).

    ``normalisation``: ``"bins"`` (default) keeps every bin's integral of the spectrum;
    ``"total"`` scales each component's bins by (its rate from ``threshold_kev`` to its
    largest recoil) / (its rate inside the bins), as O'Hare's code does
    (cajohare/NeutrinoFog ``src/NeutrinoFuncs.py``, ``BinnedNeutrinoRates``: the binned shape
    is normalised to the total rate above threshold, recoils above ``e_max_kev`` included).
    The two differ only for components with recoils above ``e_max_kev``: the atmospheric
    neutrinos on light nuclei (×1.86 on ¹⁹F, ×7.9 on ⁴He, ×1.13 on ⁴⁰Ar at 200 keV; ×1.001
    on Xe), which raises O'Hare's fluorine floor above 30 GeV by ~1.6 (see
    :mod:`cevns.reproduce.neutrino_fog`).

    ``site``: an underground laboratory (:data:`cevns.sources.geoneutrinos.LABORATORIES`:
    LNGS, SURF, Kamioka, Boulby, SNOLAB, CJPL) whose geoneutrinos and reactor ν̄_e are added
    as further constrained components (:data:`SITE_COMPONENTS`, those the site has sourced
    fluxes for, appended after ``components``); the components of :data:`SITE_COMPONENTS` can
    also be named in ``components`` with their fluxes in ``fluxes``. Without it the
    background is O'Hare's 11 components, unchanged.
    """
    from cevns.physics.nuclei import resolve_target
    from cevns.physics.wimp import recoil_kinks_kev, wimp_rate

    masses = np.asarray(masses_gev, dtype=float).reshape(-1)
    if masses.size == 0:
        raise InputError("give at least one WIMP mass")
    lo_m, hi_m = MASS_RANGE_GEV
    if not np.all(np.isfinite(masses)) or np.any(masses < lo_m) or np.any(masses > hi_m):
        raise InputError(f"WIMP masses must be in [{lo_m:g}, {hi_m:g}] GeV")
    if not (np.isfinite(threshold_kev) and 1e-6 <= threshold_kev < e_max_kev and np.isfinite(e_max_kev) and e_max_kev <= 1e4):
        raise InputError(f"need 1e-6 keV <= threshold < e_max <= 1e4 keV, got threshold {threshold_kev} keV and e_max {e_max_kev} keV")
    if not (isinstance(n_bins, (int, np.integer)) and 1 <= n_bins <= 10000):
        raise InputError(f"n_bins must be an integer in [1, 10000], got {n_bins!r}")
    if normalisation not in ("bins", "total"):
        raise InputError(f"normalisation must be 'bins' or 'total', got {normalisation!r}")
    site_table: dict[str, tuple[float, float]] = {}
    if site is not None:
        from cevns.sources.geoneutrinos import site_fog_fluxes

        site_table = site_fog_fluxes(site)
        components = tuple(components) + tuple(c for c in site_table if c not in components)
    table = {**FOG_FLUXES, **site_table, **(fluxes or {})}
    known = (*FOG_FLUXES, *SITE_COMPONENTS)
    unknown = [c for c in components if c not in known] + [c for c in (fluxes or {}) if c not in known]
    if unknown or not components:
        raise InputError(f"unknown fog component(s) {', '.join(unknown) or '(none given)'}; use {', '.join(known)}")
    missing = [c for c in components if c not in table]
    if missing:
        raise InputError(f"fog component(s) {', '.join(missing)} need a site (site=..., --site) or their fluxes")
    tgt = resolve_target(target)
    nuclear = FOG_STRUCTURE if structure is None else structure
    edges = np.geomspace(threshold_kev, e_max_kev, n_bins + 1)
    background = np.zeros((len(components), n_bins))
    for k, name in enumerate(components):
        flux, unc = table[name]
        if not (np.isfinite(flux) and flux > 0 and np.isfinite(unc) and unc >= 0):
            raise InputError(f"fog component {name}: flux must be > 0 and uncertainty >= 0, got {flux}, {unc}")
        background[k] = _background_row(name, float(flux), target, float(threshold_kev), float(e_max_kev), int(n_bins),
                                        int(order), nuclear, normalisation)
    ref = 1e-45
    signal = np.zeros((masses.size, n_bins))
    for j in range(0, masses.size, _SIGNAL_GROUP):  # a few masses per call, on the union of their panels
        group = masses[j:j + _SIGNAL_GROUP]
        kinks = np.concatenate([recoil_kinks_kev(group, iso.mass) for iso in tgt.isotopes])
        nodes, weights, bins = _panels(edges, kinks, order)
        signal[j:j + group.size] = _binned(wimp_rate(nodes, group, tgt, ref, coupling=coupling), weights, bins,
                                           n_bins) / ref
    filled = np.flatnonzero(background.sum(axis=0) > 0)
    if filled.size == 0:
        raise InputError(f"no neutrino background between {threshold_kev:g} and {e_max_kev:g} keV")
    top = int(filled[-1]) + 1  # bins above every neutrino end point are dropped
    if filled.size != top:
        raise InputError(f"recoil bins without neutrino background below {edges[top]:g} keV; choose other bins")
    return FogArrays(background[:, :top], np.array([table[c][1] for c in components]), signal[:, :top], masses,
                     tuple(components), edges[:top + 1])
