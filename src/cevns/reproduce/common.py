"""What every reproduction shares: one number next to the published one
(:class:`Result`), exact one-parameter Δχ² profiles (:func:`one_parameter_profile`) and the
side-by-side table (:func:`format_table`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from cevns.stats.chi2 import delta_chi2_threshold, interval_from_profile
from cevns.stats.likelihood import Likelihood

#: A grid of parameter values: a sequence or a 1-D array of floats.
Grid = Sequence[float] | np.ndarray

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


@dataclass(frozen=True)
class OneParameterProfile:
    """Δχ² of one parameter (others fixed) on ``grid``; ``minima``: the local minima,
    refined off the grid; ``chi2_min`` the smallest χ²; ``allowed``: per confidence
    level, the allowed pieces with ends refined to the exact threshold crossings (an end at
    the grid edge means the piece is open there)."""

    label: str
    grid: np.ndarray
    delta_chi2: np.ndarray
    chi2_min: float
    minima: tuple[float, ...]
    allowed: Mapping[str, tuple[tuple[float, float], ...]]


# --- one-parameter profiles -------------------------------------------------------------------
def _chi2_along(likelihood: Likelihood, assign: Callable[[float], Mapping[str, float | str]], xs: Grid) -> np.ndarray:
    """χ² at every x: one prediction per point (the predictor takes one parameter set),
    the statistic for all points in one vectorised call."""
    signals = np.stack([likelihood.signal(assign(float(x))) for x in xs])
    return np.asarray(likelihood.chi2_from_signal(signals), dtype=float)


def one_parameter_profile(
    likelihood: Likelihood,
    assign: Callable[[float], Mapping[str, float | str]] | str,
    grid: Grid,
    levels: Mapping[str, float] | None = None,
    label: str = "",
) -> OneParameterProfile:
    """Δχ²(x) of ``likelihood`` on ``grid`` with nothing else free; ``assign`` maps x to named
    parameters (or is one parameter name). See :func:`profile_of_chi2`."""
    if isinstance(assign, str):
        label, name = label or assign, assign

        def by_name(x: float) -> Mapping[str, float | str]:
            return {name: x}

        assign = by_name
    to_values = assign

    def chi2_of(xs: np.ndarray) -> np.ndarray:
        return _chi2_along(likelihood, to_values, np.atleast_1d(xs))

    return profile_of_chi2(chi2_of, grid, levels, label)


def profile_of_chi2(
    chi2_of: Callable[[np.ndarray], np.ndarray],
    grid: Grid,
    levels: Mapping[str, float] | None = None,
    label: str = "",
) -> OneParameterProfile:
    """Δχ² profile of any vectorised χ²(x) (e.g. a sum over experiments) on ``grid``.

    Every local minimum of the grid is refined by a bounded Brent minimisation between its
    neighbours, and every threshold crossing (Wilks, 1 dof: ``levels`` name → CL, default 1σ
    and 90%) by Brent's root finder between the two grid points around it, so the ends do
    not depend on the grid spacing; an end at the grid edge means the piece is open there."""
    xs = np.asarray(grid, dtype=float)
    if xs.ndim != 1 or xs.size < 3 or not np.all(np.diff(xs) > 0):
        raise ValueError("grid must be a strictly increasing 1-D array of at least 3 points")
    chi2 = np.asarray(chi2_of(xs), dtype=float)

    def f(x: float) -> float:
        return float(np.asarray(chi2_of(np.array([float(x)])), dtype=float)[0])

    minima, best = [], []
    for i in range(xs.size):
        left = chi2[i - 1] if i > 0 else np.inf
        right = chi2[i + 1] if i < xs.size - 1 else np.inf
        if chi2[i] <= left and chi2[i] < right:
            lo, hi = xs[max(i - 1, 0)], xs[min(i + 1, xs.size - 1)]
            res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10 * (hi - lo)})
            x, c = (float(res.x), float(res.fun)) if res.fun <= chi2[i] else (float(xs[i]), float(chi2[i]))
            minima.append(x)
            best.append(c)
    chi2_min = min(best)
    delta = chi2 - chi2_min
    levels = levels or {"1sigma": math.erf(1 / math.sqrt(2)), "90%": 0.90}
    allowed = {}
    for key, cl in levels.items():
        t = float(delta_chi2_threshold(cl, 1))

        def g(x: float, t: float = t) -> float:
            return f(x) - chi2_min - t

        pieces = []
        for piece in interval_from_profile(xs, delta, t):
            ends = []
            for end, is_open in ((piece.low, piece.low_open), (piece.high, piece.high_open)):
                if is_open:
                    ends.append(end)
                    continue
                j = int(np.clip(np.searchsorted(xs, end) - 1, 0, xs.size - 2))
                a, b = xs[j], xs[j + 1]
                ends.append(optimize.brentq(g, a, b, xtol=1e-12 * (b - a), rtol=1e-13) if g(a) * g(b) < 0 else end)
            pieces.append((float(ends[0]), float(ends[1])))
        allowed[key] = tuple(pieces)
    # Report the local minima inside the 90% region (both minima of a degenerate NSI valley).
    kept = tuple(x for x, c in zip(minima, best) if c - chi2_min < delta_chi2_threshold(0.90, 1))
    return OneParameterProfile(label, xs, delta, chi2_min, kept, allowed)


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


__all__ = ["Grid", "OneParameterProfile", "Result", "Value", "format_table", "one_parameter_profile", "profile_of_chi2"]
