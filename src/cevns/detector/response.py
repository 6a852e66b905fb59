"""Detector response: quenching, observable, efficiency, resolution and binning.

The chain from a nuclear recoil T to an observed quantity x:

1. quenching: electron-equivalent energy E_ee(T) (keVee) from the nuclear recoil (keVnr);
2. observable: ``keVnr`` (x = T), ``keVee`` (x = E_ee) or ``PE`` (x = light yield × E_ee);
3. resolution: the observed x is drawn around its mean μ(T) (Gaussian, Poisson or gamma
   photoelectron statistics, or none);
4. efficiency ε(x), applied in the observed quantity; then counts are binned in x.

Units at this API: recoils in keVnr, electron-equivalent energies in keVee, light yield
in PE/keVee, observables in their own unit (named by :attr:`Observable.unit`).

The forms few experiments use (Lindhard, polynomial and tabulated quenching; Weibull,
tabulated and function efficiencies) live in :mod:`cevns.detector.response_models` and are
re-exported here, imported on first use (start-up time of ``cevns events``: each frozen
dataclass costs about 1 ms to create).

``scipy.special`` is imported inside the functions that call it: importing it pulls in
scipy's array-API machinery (about 0.3–0.5 s), which experiments without a smeared
resolution never need; the logistic efficiency uses the numpy ``expit`` of
:mod:`cevns.physics.special`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Literal, Protocol

import numpy as np

from cevns.errors import InputError
from cevns.physics.special import expit

if TYPE_CHECKING:  # re-exported (``name as name``): the types for mypy; at run time :func:`__getattr__`
    from numpy.typing import ArrayLike  # annotations only (numpy.typing: ~1 ms of start-up)
    from cevns.detector.response_models import (
        FunctionEfficiency as FunctionEfficiency,
        LindhardQuenching as LindhardQuenching,
        PolynomialQuenching as PolynomialQuenching,
        TableEfficiency as TableEfficiency,
        TableQuenching as TableQuenching,
        WeibullEfficiency as WeibullEfficiency,
        lindhard_g as lindhard_g,
        lindhard_reduced_energy as lindhard_reduced_energy,
    )

#: The names of :mod:`cevns.detector.response_models` that this module re-exports,
#: imported on first use (:func:`__getattr__`).
_MODELS = (
    "lindhard_reduced_energy", "lindhard_g", "LindhardQuenching", "PolynomialQuenching", "TableQuenching",
    "WeibullEfficiency", "TableEfficiency", "FunctionEfficiency",
)


def __getattr__(name: str) -> object:
    """The rarely used response forms, from :mod:`cevns.detector.response_models` on first
    use (``from cevns.detector.response import LindhardQuenching`` keeps working)."""
    if name in _MODELS:
        from cevns.detector import response_models

        value = getattr(response_models, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- quenching -------------------------------------------------------------------------
class Quenching(Protocol):
    def ee_energy_kev(self, recoil_kev: ArrayLike, Z: int) -> np.ndarray:
        """Electron-equivalent energy (keVee) for nuclear recoil ``recoil_kev`` (keVnr)."""


@dataclass(frozen=True)
class ConstantQuenching:
    """E_ee = QF · T with a constant quenching factor ``value``."""

    value: float

    def __post_init__(self) -> None:
        if not 0 < self.value <= 1:
            raise InputError(f"quenching factor must be in (0, 1], got {self.value}")

    def ee_energy_kev(self, recoil_kev: ArrayLike, Z: int) -> np.ndarray:
        return self.value * np.asarray(recoil_kev, dtype=float)


# --- observable ------------------------------------------------------------------------
ObservableKind = Literal["keVnr", "keVee", "PE"]


@dataclass(frozen=True)
class Observable:
    """What the detector reports: ``keVnr``, ``keVee`` or ``PE`` (photoelectrons, with
    ``light_yield_pe_per_kevee``)."""

    kind: ObservableKind = "keVnr"
    light_yield_pe_per_kevee: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("keVnr", "keVee", "PE"):
            raise InputError(f"observable must be keVnr, keVee or PE, got {self.kind!r}")
        if self.kind == "PE" and not (self.light_yield_pe_per_kevee or 0) > 0:
            raise InputError("a PE observable needs light_yield_pe_per_keVee > 0")

    @property
    def unit(self) -> str:
        return self.kind

    def mean(self, recoil_kev: ArrayLike, Z: int, quenching: Quenching) -> np.ndarray:
        """Mean observable for recoil ``recoil_kev`` (keVnr)."""
        t = np.asarray(recoil_kev, dtype=float)
        if self.kind == "keVnr":
            return t
        ee = quenching.ee_energy_kev(t, Z)
        return ee if self.kind == "keVee" else ee * self.light_yield_pe_per_kevee


# --- efficiency ------------------------------------------------------------------------
class Efficiency(Protocol):
    def __call__(self, x: ArrayLike) -> np.ndarray:
        """Efficiency in [0, 1] at observed value(s) ``x``."""

    @property
    def breakpoints(self) -> tuple[float, ...]:
        """Observable values where the efficiency is not smooth."""


@dataclass(frozen=True)
class UnitEfficiency:
    def __call__(self, x: ArrayLike) -> np.ndarray:
        return np.ones_like(np.asarray(x, dtype=float))

    @property
    def breakpoints(self) -> tuple[float, ...]:
        return ()


@dataclass(frozen=True)
class LogisticEfficiency:
    """ε(x) = a/(1 + exp(−k(x − x₀))), zero below ``zero_below``, multiplied by
    ``factor`` on each ``[low, high, factor]`` of ``scale_ranges``.

    This is the form of the COHERENT CsI[Na] 2017 data-release acceptance
    (arXiv:1804.09459: a = 0.6655, k = 0.4942, x₀ = 10.8507 PE, zero below 5 PE and
    halved in [5, 6) PE).

    With an ``offset`` d ≠ 0 the efficiency is a/(1 + exp(−k(x − x₀))) + d clipped to
    [0, 1], the form of the COHERENT CsI[Na] 2021 release (D. Akimov et al. (COHERENT),
    PRL 129, 081801 (2022), arXiv:2110.07730, ancillary ``effCoefficients.txt``:
    a = 1.32045, k = 0.285979, x₀ = 10.8646 PE, d = −0.333322); then the plateau a + d
    must lie in (0, 1]. ``offset = 0`` is the plain logistic, unchanged."""

    a: float
    k: float
    x0: float
    zero_below: float | None = None
    scale_ranges: tuple[tuple[float, float, float], ...] = ()
    offset: float = 0.0

    def __post_init__(self) -> None:
        if self.offset == 0 and not 0 < self.a <= 1:
            raise InputError(f"logistic efficiency plateau a must be in (0, 1], got {self.a}")
        if self.offset != 0 and not (self.a > 0 and 0 < self.a + self.offset <= 1):
            raise InputError(f"logistic efficiency with an offset needs a > 0 and a + offset in (0, 1], got "
                             f"a = {self.a}, offset = {self.offset}")

    @property
    def zero_crossing(self) -> float | None:
        """Where a/(1 + exp(−k(x − x₀))) + d = 0 for d < 0 (the clip at 0 starts there, a
        kink): x₀ − ln(a/(−d) − 1)/k; None without a crossing."""
        if self.offset < 0 and self.a + self.offset > 0 and self.k > 0:
            return self.x0 - math.log(self.a / -self.offset - 1.0) / self.k
        return None

    def __call__(self, x: ArrayLike) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        eff = self.a * expit(self.k * (x - self.x0))
        if self.offset != 0:
            eff = np.clip(eff + self.offset, 0.0, 1.0)
        if self.zero_below is not None:
            eff = np.where(x < self.zero_below, 0.0, eff)
        for low, high, factor in self.scale_ranges:
            eff = np.where((x >= low) & (x < high), factor * eff, eff)
        return eff

    @property
    def breakpoints(self) -> tuple[float, ...]:
        points = [] if self.zero_below is None else [self.zero_below]
        if self.zero_crossing is not None:
            points.append(self.zero_crossing)
        for low, high, _ in self.scale_ranges:
            points += [low, high]
        return tuple(sorted(set(points)))


# --- resolution ------------------------------------------------------------------------
ResolutionModel = Literal["none", "gaussian", "poisson", "gamma"]


@dataclass(frozen=True)
class Resolution:
    """Smearing of the observable around its mean μ.

    * ``none``: x = μ;
    * ``gaussian``: σ(μ)² = stochastic²·μ + (constant·μ)² + noise² (so σ/E = a/√E is
      ``stochastic = a``; CENNS-10 uses a = 0.58 √keVee, arXiv:2006.12659 data release);
    * ``poisson``: integer photoelectron counts n ~ Poisson(μ) (observable ``PE``);
    * ``gamma``: continuous photoelectron count with mean μ and variance ``fano``·μ
      (shape μ/fano, scale fano), a smooth stand-in for Poisson statistics with excess
      noise. With ``shape_offset`` c the gamma law has shape k = c + μ/fano and scale
      μ/k (mean μ, variance μ²/k): the COHERENT CsI[Na] 2021 parametrisation
      (D. Akimov et al. (COHERENT), PRL 129, 081801 (2022), arXiv:2110.07730, supplement),
      P(x) ∝ x^b e^{−a(1+b)x} with a = 0.0749/E_ee, b = 9.56 E_ee (E_ee in keVee), i.e.
      k = 1 + b, mean 1/a = 13.35 E_ee PE: ``shape_offset = 1``, ``fano = 13.35/9.56``
      with a light yield of 13.35 PE/keVee. ``shape_offset = 0`` is the plain gamma law.
    """

    model: ResolutionModel = "none"
    stochastic: float = 0.0
    constant: float = 0.0
    noise: float = 0.0
    fano: float = 1.0
    shape_offset: float = 0.0

    def __post_init__(self) -> None:
        if self.model not in ("none", "gaussian", "poisson", "gamma"):
            raise InputError(f"resolution must be none, gaussian, poisson or gamma, got {self.model!r}")
        if min(self.stochastic, self.constant, self.noise, self.shape_offset) < 0 or not self.fano > 0:
            raise InputError("resolution parameters must be ≥ 0 (fano > 0)")
        if self.model == "gaussian" and self.stochastic == self.constant == self.noise == 0:
            raise InputError("gaussian resolution needs stochastic, constant or noise > 0")

    def sigma(self, mean: ArrayLike) -> np.ndarray:
        m = np.clip(np.asarray(mean, dtype=float), 0.0, None)
        return np.sqrt(self.stochastic**2 * m + (self.constant * m) ** 2 + self.noise**2)

    def bin_response(
        self, mean: np.ndarray, edges: np.ndarray, efficiency: Efficiency, nodes: int = 24
    ) -> np.ndarray:
        """Array ``(n_bins, *mean.shape)``: ∫_bin ε(x) p(x | μ) dx (or the sum over integers).

        Used only for smeared models; the unsmeared case is handled exactly in T-space by
        the rate code. Continuous models use exact CDF differences on ``nodes`` equal
        sub-intervals per bin (split at the efficiency's breakpoints) with the efficiency
        at each sub-interval's midpoint: second order in the efficiency's curvature only.
        """
        mu = np.asarray(mean, dtype=float)
        out = np.empty((edges.size - 1,) + mu.shape)
        if self.model == "poisson":
            for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
                n = np.arange(math.ceil(lo), math.ceil(hi), dtype=float)  # integers in [lo, hi)
                pmf = _poisson_pmf(n[:, None], mu.ravel()[None, :])
                out[b] = (efficiency(n)[:, None] * pmf).sum(axis=0).reshape(mu.shape)
            return out
        flat = mu.ravel()
        starts: list[float] = []
        stops: list[float] = []
        owner: list[int] = []
        for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
            cuts = [lo] + [p for p in efficiency.breakpoints if lo < p < hi] + [hi]
            starts += cuts[:-1]
            stops += cuts[1:]
            owner += [b] * (len(cuts) - 1)
        # every piece of every bin at once: linspace, midpoints, efficiency and CDF are
        # elementwise, and each (piece, mean) pair sums its own sub-intervals in order (the
        # numbers of a loop over the pieces, bit for bit)
        x = np.linspace(np.asarray(starts, dtype=float), np.asarray(stops, dtype=float), nodes + 1, axis=-1)
        eff = np.asarray(efficiency(0.5 * (x[:, 1:] + x[:, :-1]).ravel()), dtype=float).reshape(x.shape[0], nodes)
        if self.model == "gaussian":
            # a mean whose CDF is exactly 0.0 or exactly 1.0 (in floating point) over a whole
            # piece adds exactly 0 to its bin, so only the pairs of a piece and a mean
            # unsaturated on it are evaluated (most nodes lie many σ from a given bin)
            scale = np.maximum(self.sigma(flat), 1e-12)
            a, c = x[:, :1], x[:, -1:]
            piece, col = np.nonzero(~((c - flat) / scale <= _NDTR_ZERO) & ~((a - flat) / scale >= _NDTR_ONE))  # NaN kept
        else:
            # the same for the gamma law: the CDF rises with x, so a mean whose CDF is exactly
            # 0.0 at a piece's upper end or exactly 1.0 at its lower end adds exactly 0 there
            # (two evaluations per pair instead of nodes + 1)
            at_top, at_bottom = self._cdf(x[:, -1:], flat[None, :]), self._cdf(x[:, :1], flat[None, :])
            piece, col = np.nonzero(~((at_top == 0.0) | (at_bottom == 1.0)))  # NaN kept
        bins = np.asarray(owner, dtype=np.intp)[piece]
        total = np.zeros((edges.size - 1, flat.size))
        single = len(set(owner)) == len(owner)  # one piece per bin: every (bin, mean) pair once
        step = max(1, _CDF_CHUNK // (nodes + 1))
        for start in range(0, piece.size, step):
            p, k = piece[start:start + step], col[start:start + step]
            # (nodes + 1, pairs): the layout of the per-piece loop, whose sums run down axis 0
            cdf = self._cdf(np.ascontiguousarray(x[p].T), flat[None, k])
            sums = (np.ascontiguousarray(eff[p].T) * np.diff(cdf, axis=0)).sum(axis=0)
            if single:
                total[bins[start:start + step], k] += sums
            else:  # the pieces of a bin are added one after the other, in order
                np.add.at(total, (bins[start:start + step], k), sums)
        out[...] = total.reshape(out.shape)
        return out

    def _cdf(self, x: np.ndarray, mu: np.ndarray) -> np.ndarray:
        """Cumulative distribution of the observed value given mean ``mu``: exact, so
        the integrable x^(shape−1) peak of the gamma law at small μ costs no accuracy."""
        from scipy import special  # lazy: see the module docstring

        if self.model == "gaussian":
            return _ndtr_unsaturated((x - mu) / np.maximum(self.sigma(mu), 1e-12), special.ndtr)
        if self.shape_offset == 0:
            shape = np.maximum(mu / self.fano, 1e-12)
            return special.gammainc(shape, np.maximum(x, 0.0) / self.fano)
        k = self.shape_offset + np.maximum(mu, 0.0) / self.fano
        scale = np.maximum(mu, 1e-300) / k
        return special.gammainc(k, np.maximum(x, 0.0) / scale)


#: Number of CDF values that :meth:`Resolution.bin_response` evaluates at once (≈ 16 MB).
_CDF_CHUNK = 1 << 21

#: Standard-normal CDF arguments beyond which scipy's ndtr is exactly 1.0 (z ≥ 8.3) or
#: exactly 0.0 (z ≤ −38.5, below the smallest subnormal), with a margin.
_NDTR_ONE, _NDTR_ZERO = 9.0, -40.0


def _ndtr_unsaturated(z: np.ndarray, ndtr: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``ndtr(z)``, evaluated only where it is neither exactly 1.0 (z ≥ _NDTR_ONE) nor
    exactly 0.0 (z ≤ _NDTR_ZERO): the same array, bit for bit (NaN stays NaN), at a
    fraction of the cost when most arguments lie many σ from the bin (scipy's ndtr costs
    tens of ns per value)."""
    out = (z >= _NDTR_ONE).astype(float)
    inside = ~((z >= _NDTR_ONE) | (z <= _NDTR_ZERO))
    out[inside] = ndtr(z[inside])
    return out


def _poisson_pmf(n: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Poisson probabilities (scipy.stats costs 0.4 s of import time on the CLI path)."""
    from scipy import special  # lazy: see the module docstring

    m = np.maximum(mu, 1e-300)
    return np.exp(n * np.log(m) - m - special.gammaln(n + 1.0))


# --- binning ---------------------------------------------------------------------------
def bin_edges(low: float, high: float, width: float) -> np.ndarray:
    """Edges from ``low`` to ``high`` in steps of ``width`` (``high`` must fall on a step)."""
    if not all(math.isfinite(v) for v in (low, high, width)):
        raise InputError(f"bin limits must be finite, got low={low}, high={high}, width={width}")
    if not (high > low and width > 0):
        raise InputError(f"binning needs high > low and width > 0, got low={low}, high={high}, width={width}")
    n = (high - low) / width
    if abs(n - round(n)) > 1e-9 * max(1.0, n):
        raise InputError(f"bin width {width} does not divide [{low}, {high}]")
    return np.linspace(low, high, int(round(n)) + 1)


@dataclass(frozen=True)
class DetectorResponse:
    """Everything between a recoil and a binned count, in the observable's unit.

    ``edges``: bin edges of the analysis (the first edge is the analysis threshold).
    """

    quenching: Quenching = field(default_factory=lambda: ConstantQuenching(1.0))
    observable: Observable = field(default_factory=Observable)
    efficiency: Efficiency = field(default_factory=UnitEfficiency)
    resolution: Resolution = field(default_factory=Resolution)
    edges: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        e = np.asarray(self.edges, dtype=float)
        if e.size < 2 or np.any(np.diff(e) <= 0) or not np.all(np.isfinite(e)):
            raise InputError("analysis bin edges must be finite, increasing, and at least two")
        if e[0] < 0 and self.resolution.model != "gaussian":
            raise InputError("negative bin edges need Gaussian resolution (the observable is ≥ 0 otherwise)")
        if self.resolution.model in ("poisson", "gamma") and self.observable.kind != "PE":
            raise InputError(f"{self.resolution.model} smearing needs the PE observable")
