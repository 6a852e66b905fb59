"""A check shared by the reproductions' tests: a figure drawn in a fixed frame
(:func:`cevns.reproduce.report.fixed_frame`, no layout pass, saved as laid out) keeps every
text inside the canvas and its panels apart."""

from __future__ import annotations

from typing import Any


def assert_fixed_frame_holds_its_texts(name: str, fig: Any) -> None:
    """``fig`` is marked fixed-frame, has no layout engine, is saved uncropped, and every
    axes' drawn box (ticks, labels, title, legend), every figure legend and the suptitle lie
    inside the canvas (to half a pixel); no two axes overlap."""
    from cevns.reproduce.report import FIXED_FRAME, _save_options

    assert getattr(fig, FIXED_FRAME, False) is True and fig.get_layout_engine() is None, name
    assert _save_options(fig) == {"dpi": 130}, name
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.canvas.get_width_height()
    drawn = [ax.get_tightbbox(renderer) for ax in fig.axes] + [leg.get_window_extent(renderer) for leg in fig.legends]
    if fig._suptitle is not None:
        drawn.append(fig._suptitle.get_window_extent(renderer))
    for box in drawn:
        assert box.x0 >= -0.5 and box.y0 >= -0.5 and box.x1 <= width + 0.5 and box.y1 <= height + 0.5, (
            name, box.bounds, (width, height))
    boxes = [a.get_position() for a in fig.axes]
    for i, a in enumerate(boxes):
        assert all(not a.overlaps(b) for b in boxes[i + 1:]), name
