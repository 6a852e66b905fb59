"""What every reproduction shares: one number next to the published one
(:class:`Result`) and the side-by-side table (:func:`format_table`). Exact one-parameter
Δχ² profiles are :func:`cevns.stats.profiles.one_parameter_profile`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


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


__all__ = ["Grid", "Result", "Value", "format_table"]
