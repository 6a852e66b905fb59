"""What every reproduction shares: one number next to the published one
(:class:`Result`), the side-by-side table (:func:`format_table`), and exact one-parameter
Δχ² profiles and scans that use the exact polynomial form of the signal where it has one
(:func:`exact_profile`, :func:`exact_chi2_along`; otherwise
:func:`cevns.stats.profiles.one_parameter_profile` and :func:`cevns.stats.profiles.chi2_along`,
one prediction per point)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from cevns.stats.likelihood import Likelihood
from cevns.stats.profiles import Grid, OneParameterProfile, chi2_along, one_parameter_profile, profile_of_chi2
from cevns.stats.scans import polynomial_signal


#: One value, or allowed pieces ((low, high), ...) of a confidence interval, or several
#: points (e.g. the two minima of an NSI profile).
Value = float | tuple[float, ...] | tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Result:
    """One number of a reproduction: ``ours`` (computed now) next to ``published`` (``None``
    where the reference text prints no number), in ``unit``; ``published_source`` says
    where in the text it stands (section, equation, figure) and quotes it briefly;
    ``note`` says what differs between their inputs and ours."""

    quantity: str
    unit: str
    ours: Value
    published: Value | None
    published_source: str
    note: str = ""

    @property
    def relative_difference(self) -> float | None:
        """(ours − published)/|published| for a single number; for intervals with the same
        number of pieces the largest such difference of their ends; else ``None``."""
        if self.published is None:
            return None
        a, b = _flat(self.ours), _flat(self.published)
        if len(a) != len(b) or not a:
            return None
        diffs = [(x - y) / abs(y) for x, y in zip(a, b) if y != 0]
        return max(diffs, key=abs) if diffs else None


def _flat(value: Value) -> list[float]:
    if isinstance(value, (int, float)):
        return [float(value)]
    out: list[float] = []
    for v in value:
        out.extend(_flat(v))
    return out


def _fmt_pieces(pieces: tuple[tuple[float, float], ...]) -> str:
    return " ∪ ".join(f"[{a:.4g}, {b:.4g}]" for a, b in pieces)



def _fmt(value: Value | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, (int, float)):
        return f"{value:.4g}"
    if value and isinstance(value[0], tuple):
        return _fmt_pieces(tuple(piece for piece in value if isinstance(piece, tuple)))
    return ", ".join(f"{v:.4g}" for v in value)


def format_table(results: Sequence[Result], markdown: bool = False, sources: bool = True) -> str:
    """Side-by-side table: quantity | unit | ours | published | relative difference (|
    source). Aligned plain text, or a Markdown table with ``markdown=True``."""
    header = ["quantity", "unit", "ours", "published", "rel. diff."] + (["published where"] if sources else [])
    rows = []
    for r in results:
        rel = r.relative_difference
        row = [r.quantity, r.unit, _fmt(r.ours), _fmt(r.published), "—" if rel is None else f"{100 * rel:+.1f}%"]
        rows.append(row + ([r.published_source] if sources else []))
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)])


Assign = Callable[[float], Mapping[str, float | str]]


def _by_name(assign: Assign | str) -> Assign:
    if isinstance(assign, str):
        name = assign
        return lambda x: {name: x}
    return assign


def _low_degree_signal(likelihood: Likelihood, names: tuple[str, ...], lo: np.ndarray, hi: np.ndarray,
                       max_degree: int = 2, rtol: float = 1e-9) -> Callable[[np.ndarray], np.ndarray] | None:
    """The signal as an exact straight line or parabola in one parameter over [lo, hi], or
    ``None``: the cheap first try of :func:`polynomial_chi2_of`. Four predictions (the ends
    and two irrational interior points) decide whether the line through the ends holds (to
    ``rtol`` × the largest total signal at both interior points; a 3+1 count is linear in
    sin²2θ at fixed Δm²₄₁); if not, one more (the middle) gives the parabola through the
    ends and the middle, accepted on the same two interior points (N(sin²θ_W), N(⟨r²_ν⟩),
    N(q_ν), N(μ_ν) are quadratics: Vogel & Engel, Phys. Rev. D 39, 3378 (1989); Barranco,
    Miranda, Rashba, JHEP 12 (2005) 021, arXiv:hep-ph/0508299) — five predictions where the
    general fit of :func:`cevns.stats.scans.polynomial_signal` needs about fifteen."""
    (name,) = names
    a, b = float(lo[0]), float(hi[0])
    mid, half = 0.5 * (a + b), 0.5 * (b - a)
    s_a, s_b = (np.asarray(likelihood.signal({name: x}), dtype=float) for x in (a, b))
    checks = [a + frac * (b - a) for frac in (0.3819660112501051, 0.7548776662466927)]  # irrational interior points
    exact = [np.asarray(likelihood.signal({name: x}), dtype=float) for x in checks]
    scale = max(float(np.abs(s_a).sum()), float(np.abs(s_b).sum()), 1e-300)

    def line(points: np.ndarray) -> np.ndarray:
        t = (np.asarray(points, dtype=float).reshape(-1, 1) - a) / (b - a)
        return s_a[None, :] + t * (s_b - s_a)[None, :]

    def holds(curve: Callable[[np.ndarray], np.ndarray]) -> bool:
        return all(np.max(np.abs(curve(np.array([x]))[0] - e)) <= rtol * scale for x, e in zip(checks, exact))

    if holds(line):
        return line
    if max_degree < 2:
        return None
    s_m = np.asarray(likelihood.signal({name: mid}), dtype=float)
    c1, c2 = 0.5 * (s_b - s_a), 0.5 * (s_a + s_b) - s_m
    scale = max(scale, float(np.abs(s_m).sum()))

    def parabola(points: np.ndarray) -> np.ndarray:
        t = ((np.asarray(points, dtype=float).reshape(-1, 1) - mid) / half)
        return s_m[None, :] + t * (c1[None, :] + t * c2[None, :])

    return parabola if holds(parabola) else None


def polynomial_chi2_of(likelihood: Likelihood, assign: Assign | str, grid: Grid,
                       max_degree: int = 4) -> Callable[[np.ndarray], np.ndarray] | None:
    """χ²(x) for arrays of x, computed from the signal's exact polynomial form, or ``None``
    where the signal is not a polynomial of total degree ≤ ``max_degree`` in the parameters
    ``assign`` varies over ``grid``.

    Many new-physics counts are exact polynomials in their parameter at fixed others: N(μ_ν)
    = N_SM + K μ_ν² (the magnetic-moment term adds incoherently; Vogel & Engel, Phys. Rev. D
    39, 3378 (1989)), N(⟨r²_ν⟩), N(ε) and N(sin²θ_W) are quadratics (the weak charge is linear
    in each; Barranco, Miranda, Rashba, JHEP 12 (2005) 021, arXiv:hep-ph/0508299), and a 3+1
    disappearance count is linear in sin²2θ at fixed Δm²₄₁ (P = 1 − sin²2θ sin²(Δm²L/4E)).
    A straight line or a parabola (four or five predictions, :func:`_low_degree_signal`) is
    tried first, then :func:`cevns.stats.scans.polynomial_signal`, which recovers the coefficients from a few
    predictions and accepts them only if they reproduce further random predictions to 10⁻⁹ of
    the signal, so the χ² equals the point-by-point one to that precision. The parameters
    ``assign`` keeps constant are fixed in the likelihood; an x whose parameters fall outside
    the probed range is predicted exactly."""
    to_values = _by_name(assign)
    xs = np.asarray(grid, dtype=float)
    values = [to_values(float(x)) for x in xs]
    names = tuple(values[0])
    if any(tuple(v) != names for v in values) or any(isinstance(v[n], str) for v in values for n in names):
        return None
    table = np.array([[float(v[n]) for n in names] for v in values])
    varies = np.ptp(table, axis=0) > 0
    if not varies.any():
        return None
    lik = likelihood.with_fixed({n: float(table[0, j]) for j, n in enumerate(names) if not varies[j]})
    free = tuple(n for j, n in enumerate(names) if varies[j])
    lo, hi = table[:, varies].min(axis=0), table[:, varies].max(axis=0)
    fitted = _low_degree_signal(lik, free, lo, hi, max_degree) if len(free) == 1 else None
    if fitted is None:
        fitted = polynomial_signal(lik, {n: (float(a), float(b)) for n, a, b in zip(free, lo, hi)}, max_degree=max_degree)
    if fitted is None:
        return None

    def chi2_of(x: np.ndarray) -> np.ndarray:
        x = np.atleast_1d(np.asarray(x, dtype=float))
        points = np.array([[float(to_values(float(v))[n]) for n in free] for v in x]).reshape(x.size, len(free))
        inside = np.all((points >= lo) & (points <= hi), axis=1)
        signals = np.asarray(fitted(points), dtype=float)
        if signals.ndim == 1:
            signals = signals[:, None]
        for i in np.flatnonzero(~inside):
            signals[i] = lik.signal(dict(zip(free, map(float, points[i]))))
        return np.asarray(lik.chi2_from_signal(signals), dtype=float)

    return chi2_of


@dataclass(frozen=True)
class SurrogateSignalLikelihood:
    """``base`` with its signal taken from a surrogate of its prediction (``surrogate``,
    points (n, k) in the order of ``names`` → (n, bins): an exact polynomial or a verified
    emulator) wherever ``values`` set exactly those parameters inside [``low``, ``high``]
    and ``base`` fixes none of them; elsewhere ``base``'s own prediction. The χ² is
    ``base``'s. Made by :func:`polynomial_likelihood` and :func:`emulated_likelihood`; one
    surrogate serves every likelihood with the same prediction and binning (:meth:`over`:
    e.g. the Asimov scenarios of a forecast)."""

    base: Likelihood
    surrogate: Callable[[np.ndarray], np.ndarray]
    names: tuple[str, ...]
    low: np.ndarray
    high: np.ndarray

    @property
    def fixed(self) -> Mapping[str, float | str]:
        return self.base.fixed

    def signal(self, values: Mapping[str, float | str] | None = None) -> np.ndarray:
        values = values or {}
        if set(values) == set(self.names) and not set(self.base.fixed) & set(values) \
                and not any(isinstance(values[n], str) for n in self.names):
            point = np.array([float(values[n]) for n in self.names])
            if np.all((point >= self.low) & (point <= self.high)):
                return np.asarray(self.surrogate(point[None, :]), dtype=float)[0]
        return self.base.signal(values)

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        return self.base.chi2_from_signal(signal)

    def chi2(self, values: Mapping[str, float | str] | None = None) -> float:
        return float(self.chi2_from_signal(self.signal(values)))

    def with_fixed(self, values: Mapping[str, float | str]) -> Likelihood:
        return self.base.with_fixed(values)

    def asimov(self, values: Mapping[str, float | str] | None = None) -> Likelihood:
        return self.base.asimov(values)

    def over(self, other: Likelihood) -> SurrogateSignalLikelihood:
        """The same surrogate on ``other`` (same prediction and binning, other data)."""
        return SurrogateSignalLikelihood(other, self.surrogate, self.names, self.low, self.high)


def polynomial_likelihood(likelihood: Likelihood, ranges: Mapping[str, tuple[float, float]],
                          max_degree: int = 4) -> Likelihood:
    """``likelihood`` with its signal from its exact polynomial form in the parameters of
    ``ranges`` (:func:`cevns.stats.scans.polynomial_signal`, checked against further
    predictions to 10⁻⁹; e.g. N(sin²θ_W) is a quadratic: the weak charge Q_W = N − (1 −
    4 sin²θ_W) Z is linear in it, Drukier & Stodolsky, Phys. Rev. D 30, 2295 (1984)), or
    ``likelihood`` itself where it has none. Points outside ``ranges`` are predicted exactly."""
    poly = polynomial_signal(likelihood, ranges, max_degree=max_degree)
    if poly is None:
        return likelihood
    names = tuple(ranges)
    low = np.array([float(ranges[n][0]) for n in names])
    high = np.array([float(ranges[n][1]) for n in names])
    return SurrogateSignalLikelihood(likelihood, poly, names, low, high)


def exact_chi2_along(likelihood: Likelihood, assign: Assign | str, xs: Grid) -> np.ndarray:
    """:func:`cevns.stats.profiles.chi2_along` (χ² at every x), from the signal's exact
    polynomial form where it has one (:func:`polynomial_chi2_of`), else point by point."""
    chi2_of = polynomial_chi2_of(likelihood, assign, xs)
    if chi2_of is None:
        return chi2_along(likelihood, _by_name(assign), xs)
    return chi2_of(np.asarray(xs, dtype=float))


def exact_profile(likelihood: Likelihood, assign: Assign | str, grid: Grid,
                  levels: Mapping[str, float] | None = None, label: str = "") -> OneParameterProfile:
    """:func:`cevns.stats.profiles.one_parameter_profile` (the same grid, minima and
    interval ends refined off the grid), with χ² from the signal's exact polynomial form
    where it has one (:func:`polynomial_chi2_of`), else one prediction per point."""
    chi2_of = polynomial_chi2_of(likelihood, assign, grid)
    if chi2_of is None:
        return one_parameter_profile(likelihood, assign, grid, levels, label)
    return profile_of_chi2(chi2_of, grid, levels, label or (assign if isinstance(assign, str) else ""))


def emulated_likelihood(likelihood: Likelihood, name: str, span: tuple[float, float]) -> Likelihood:
    """``likelihood`` with its signal in ``name`` over ``span`` from a verified Chebyshev
    emulator (:class:`SurrogateSignalLikelihood`; interpolation at Chebyshev–Lobatto points,
    L. N. Trefethen, *Approximation Theory and Approximation Practice*, SIAM 2013, Thms 8.2
    and 5.1), or ``likelihood`` itself where the emulator is refused."""
    from cevns.stats.emulators import build_emulator

    low, high = float(span[0]), float(span[1])
    emulator = build_emulator(likelihood, name, (low, high))
    if emulator is None or not emulator.report.accepted:
        return likelihood
    return SurrogateSignalLikelihood(likelihood, lambda points: emulator(points[:, 0]), (name,), np.array([low]), np.array([high]))


def emulated_profile(likelihood: Likelihood, name: str, grid: Grid, levels: Mapping[str, float] | None = None,
                     label: str = "") -> OneParameterProfile:
    """:func:`cevns.stats.profiles.one_parameter_profile` in one parameter ``name`` that does
    not enter the counts polynomially (a neutron radius, a mediator mass), with the signal
    from a verified Chebyshev emulator over the grid's range
    (:func:`cevns.stats.emulators.build_emulator`: interpolation at Chebyshev–Lobatto points,
    L. N. Trefethen, *Approximation Theory and Approximation Practice*, SIAM 2013, Thms 8.2
    and 5.1; accepted only if it matches full predictions at random points to 10⁻⁶ per bin),
    so the grid, the minima and the interval ends cost a few dozen predictions instead of
    one per grid point (and per Brent step). Where the emulator is refused, or would cost
    more predictions than the grid, the profile is computed point by point as before."""
    from cevns.stats.emulators import build_emulator

    xs = np.asarray(grid, dtype=float)
    emulator = build_emulator(likelihood, name, (float(xs[0]), float(xs[-1])), budget=xs.size)
    if emulator is None or not emulator.report.accepted or emulator.report.predictions >= xs.size:
        return one_parameter_profile(likelihood, name, xs, levels, label)

    def chi2_of(x: np.ndarray) -> np.ndarray:
        return np.asarray(likelihood.chi2_from_signal(emulator(np.atleast_1d(np.asarray(x, dtype=float)))), dtype=float)

    return profile_of_chi2(chi2_of, xs, levels, label or name)


__all__ = ["Grid", "Result", "SurrogateSignalLikelihood", "Value", "emulated_likelihood", "emulated_profile", "exact_chi2_along", "exact_profile",
           "format_table", "polynomial_chi2_of", "polynomial_likelihood"]
