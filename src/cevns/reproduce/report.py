"""A reproduction as data, and its report on disk.

A :class:`Reproduction` is a list of :class:`Step` s; each step computes some of the
paper's figures (:class:`Figure`: a matplotlib figure and the columns behind it) and
headline numbers (:class:`~cevns.reproduce.common.Result`). :func:`write_report` runs the
steps in order and writes, into one folder::

    <figure>.png, <figure>.csv                  one pair per figure
    <figure>.pdf                                only with ``pdf=True`` (``cevns reproduce --pdf``)
    summary.json                                every number: ours, published, relative difference
    index.html                                  figures, numbers, inputs and their sources on one page

Each figure is rendered once (PNG); the vector PDF roughly doubles the drawing time
(matplotlib lays out and draws the figure again for each format), so it is written only
when asked for. Where the system can fork and a CPU is spare, a step's figures are drawn by
a child process while the next step computes (drawing is pure Python in matplotlib: on two cores the two
overlap), and a figure laid out by constrained layout is saved without a second pass for
its tight bounding box. ``summary.json`` lists, per figure, the files written (``"pdf": null``
when none), and ``index.html`` links only those.

Every file is written atomically (temporary file, then rename), so an interrupted run leaves
no partial file; the temporaries of a run killed outright (SIGKILL: no clean-up ran) are
removed when the next run of the same folder starts. Each finished step also leaves ``.steps/<key>.json`` (its numbers and file
names, with the configuration that made them); ``resume=True`` skips the steps whose record
matches the configuration, so a long reproduction can be stopped and continued.

The physics lives in the reproduction modules; this one knows files, not physics.
"""

from __future__ import annotations

import csv
import gc
import html
import io
import json
import math
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cevns.runtime.stores import atomic_write, remove_stale_temporaries_in
from cevns.reproduce.common import Grid, Result, Value, _fmt

#: Version of the files' layout (the .steps records and summary.json).
REPORT_FORMAT = 1


@dataclass(frozen=True)
class Figure:
    """One figure of a reproduction: ``name`` is the file stem (``fig2_sin2w``); ``columns``
    the numbers drawn, as equal-length columns (long format: a ``series`` column names the
    curve where several share the file); ``reference`` names the published figure it
    redoes; ``caption`` says what is shown and what was assumed."""

    name: str
    title: str
    caption: str
    figure: Any
    columns: Mapping[str, Sequence[Any]]
    reference: str = ""


@dataclass(frozen=True)
class StepOutput:
    figures: tuple[Figure, ...] = ()
    results: tuple[Result, ...] = ()


@dataclass(frozen=True)
class Step:
    """One resumable unit of work: ``run(fast)`` returns its figures and numbers."""

    key: str
    title: str
    run: Callable[[bool], StepOutput]


def compute_step(
    key: str,
    title: str,
    compute: Callable[[bool], tuple[Sequence[Result], Any]],
    draw: Callable[[Any], Figure],
) -> Step:
    """A step from ``compute(fast) → (results, data)`` and ``draw(data) → Figure``, so the
    numbers stay computable without plotting."""

    def run(fast: bool) -> StepOutput:
        results, data = compute(fast)
        return StepOutput((draw(data),), tuple(results))

    return Step(key, title, run)


@dataclass(frozen=True)
class Input:
    """One input of a reproduction: what it is, the value used, and where it comes from."""

    name: str
    value: str
    source: str


@dataclass(frozen=True)
class Reproduction:
    """A published analysis redone: ``reference`` cites the text (authors, journal, arXiv number),
    ``assumptions`` says what we chose where the text is silent."""

    name: str
    title: str
    reference: str
    description: str
    steps: tuple[Step, ...]
    inputs: tuple[Input, ...] = ()
    assumptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote: the folder, the figure stems and every number."""

    folder: Path
    figures: tuple[str, ...]
    results: tuple[dict, ...]
    seconds: float
    resumed: tuple[str, ...] = field(default_factory=tuple)


def long_columns(series: Mapping[str, tuple[Grid, Grid]], x: str, y: str) -> dict[str, list]:
    """Curves of different lengths as one long table: columns ``series``, ``x``, ``y``."""
    names: list[str] = []
    xs: list[float] = []
    ys: list[float] = []
    for label, (xv, yv) in series.items():
        a, b = np.asarray(xv, dtype=float).ravel(), np.asarray(yv, dtype=float).ravel()
        if a.shape != b.shape:
            raise ValueError(f"series {label!r}: {a.size} x values but {b.size} y values")
        names += [label] * a.size
        xs += a.tolist()
        ys += b.tolist()
    return {"series": names, x: xs, y: ys}


def grid_columns(x_name: str, x: Grid, y_name: str, y: Grid, **values: np.ndarray) -> dict[str, list]:
    """A 2-D grid (``values[k]`` of shape (len(x), len(y))) flattened to columns x, y, k..."""
    gx, gy = np.meshgrid(np.asarray(x, float), np.asarray(y, float), indexing="ij")
    out: dict[str, list] = {x_name: gx.ravel().tolist(), y_name: gy.ravel().tolist()}
    for k, v in values.items():
        v = np.asarray(v, dtype=float)
        if v.shape != gx.shape:
            raise ValueError(f"{k}: shape {v.shape}, grid is {gx.shape}")
        out[k] = v.ravel().tolist()
    return out


def _jsonable(value: Value | None) -> Any:
    if value is None or isinstance(value, (int, float)):
        return None if value is None or not math.isfinite(float(value)) else float(value)
    return [_jsonable(v) for v in value]


def result_record(r: Result) -> dict:
    """A :class:`Result` as JSON-ready data (intervals become nested lists)."""
    rel = r.relative_difference
    return {
        "quantity": r.quantity,
        "unit": r.unit,
        "ours": _jsonable(r.ours),
        "published": _jsonable(r.published),
        "relative_difference": rel,
        "published_source": r.published_source,
        "note": r.note,
    }


def _csv_text(columns: Mapping[str, Sequence[Any]]) -> str:
    names = list(columns)
    lengths = {len(columns[n]) for n in names}
    if len(lengths) > 1:
        raise ValueError(f"CSV columns of unequal length: {dict((n, len(columns[n])) for n in names)}")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(names)
    for row in zip(*(columns[n] for n in names)):
        writer.writerow([f"{v:.8g}" if isinstance(v, (float, np.floating)) else v for v in row])
    return buf.getvalue()


def _write_text(path: Path, text: str) -> None:
    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    atomic_write(path, write)


#: Attribute set (True) on a figure whose maker laid it out with fixed margins that fit its
#: texts (:func:`fixed_frame`): it is saved as laid out, like a constrained-layout figure.
FIXED_FRAME = "_cevns_fixed_frame"


def fixed_frame(fig: Any, left: float, bottom: float, right: float, top: float, hspace: float | None = None,
                wspace: float | None = None) -> None:
    """Lay ``fig`` out with fixed margins (fractions of the figure) and gaps between panels
    (``hspace``, ``wspace``: fractions of a panel's height and width, as in
    ``subplots_adjust``) and mark it :data:`FIXED_FRAME`, so that it is saved as laid out:
    for figures whose labels and tick labels do not change with the numbers, the frame that
    matplotlib's constrained layout gives them, without its layout pass over every text (a
    third to a half of a figure's drawing time: 0.26 → 0.17 s for a neutrino-fog floor
    figure, 1.45 → 0.85 s for Galindo-Uribarri's six-panel Fig. 3)."""
    fig.subplots_adjust(left=left, bottom=bottom, right=right, top=top, hspace=hspace, wspace=wspace)
    setattr(fig, FIXED_FRAME, True)


def _save_options(figure: Any) -> dict[str, Any]:
    """``savefig`` options: a figure laid out by matplotlib's constrained layout already
    fits its labels, legends and titles inside the canvas (with the engine's own padding),
    so it is saved as laid out; computing the tight bounding box would cost one more pass
    over every tick and text. So is a figure marked with :data:`FIXED_FRAME` (its maker's
    fixed margins, no layout pass at all). Other figures are cropped to their tight
    bounding box."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    if isinstance(figure.get_layout_engine(), ConstrainedLayoutEngine) or getattr(figure, FIXED_FRAME, False) is True:
        return {"dpi": 130}
    return {"dpi": 130, "bbox_inches": "tight", "pad_inches": 0.1}


def _figure_record(fig: Figure, pdf: bool) -> dict:
    return {"name": fig.name, "title": fig.title, "caption": fig.caption, "reference": fig.reference,
            "png": f"{fig.name}.png", "pdf": f"{fig.name}.pdf" if pdf else None, "csv": f"{fig.name}.csv"}


def _write_figure(folder: Path, fig: Figure, pdf: bool = False, close: bool = True) -> dict:
    """Write ``fig`` as PNG (and PDF with ``pdf=True``) and its CSV; close it (unless
    ``close=False``); return its record (the PDF entry is ``None`` when no PDF was written)."""
    import matplotlib.pyplot as plt

    options = _save_options(fig.figure)
    for suffix in ("png", "pdf") if pdf else ("png",):

        def save(tmp: str, fmt: str = suffix) -> None:
            fig.figure.savefig(tmp, format=fmt, **options)

        atomic_write(folder / f"{fig.name}.{suffix}", save)
    if close:
        plt.close(fig.figure)
    _write_text(folder / f"{fig.name}.csv", _csv_text(fig.columns))
    return _figure_record(fig, pdf)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _busy_cpus() -> float:
    """CPUs kept busy by other work now: the runnable tasks of ``/proc/loadavg`` (Linux)
    less this process, else the one-minute load average less one. The instantaneous count
    is used where there is one, since the one-minute average still holds this process's
    own children of the last minute (a reproduction run after another would see its
    predecessor's figure drawing and refuse to fork)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return max(int(f.read().split()[3].split("/")[0]) - 1, 0)
    except (OSError, ValueError, IndexError):
        pass
    try:
        return max(os.getloadavg()[0] - 1.0, 0.0)
    except (AttributeError, OSError):
        return 0.0


def _import_pyplot() -> None:
    from cevns.plotting import pyplot

    try:
        pyplot()
    except Exception:  # noqa: BLE001 - a failed import is raised again where a figure is drawn
        pass


def _can_fork() -> bool:
    """Whether figures may be drawn in forked child processes: a POSIX ``fork``, no JAX
    loaded (its thread pools do not survive a fork), and a CPU to spare — more than one to
    run on and fewer than all of them busy with other work (:func:`_busy_cpus`); on a
    machine already busy the child would only take turns with this process, and forking
    costs CPU time of its own (measured: about 10% more, no gain in time)."""
    if not hasattr(os, "fork") or os.environ.get("CEVNS_SERIAL_FIGURES") or "jax" in sys.modules:
        return False
    cpus = _cpus()
    return cpus > 1 and _busy_cpus() + 1 < cpus


@dataclass
class _Pending:
    pid: int
    figures: tuple[Figure, ...]
    done: Callable[[], None]


class _FigureWriter:
    """Writes each step's figures while the next step computes: the figures of a step are
    drawn and saved by a forked child process (a copy of the figures as they are), at most
    ``workers`` (the CPUs) at a time, so that a step whose figures take longer to draw than
    the next step takes to compute does not hold that step up, and ``done`` (the step's
    record) runs once its files are all there. A child that fails (it exits non-zero) is
    retried in this process, which raises the error, as a serial run would. Where no fork is
    possible (:func:`_can_fork`) the figures are written at once."""

    def __init__(self, folder: Path, pdf: bool, parallel: bool) -> None:
        self.folder, self.pdf = folder, pdf
        self.parallel = parallel and _can_fork()
        self.workers = _cpus()
        self.pending: list[_Pending] = []
        self.preload: threading.Thread | None = None
        if self.parallel and "matplotlib.pyplot" not in sys.modules:
            # matplotlib's import (≈ 0.6 s) beside the first step's work, which is mostly
            # numpy calls that release the interpreter lock; joined before the first fork,
            # since a child forked during an import would inherit the import's locks held
            self.preload = threading.Thread(target=_import_pyplot, name="cevns-import-matplotlib", daemon=True)
            self.preload.start()

    def submit(self, figures: Sequence[Figure], done: Callable[[], None]) -> None:
        figures = tuple(figures)
        if not self.parallel or not figures:
            for f in figures:
                _write_figure(self.folder, f, self.pdf)
            done()
            return
        while len(self.pending) >= self.workers:
            self._reap(self.pending[0])
        if self.preload is not None:
            self.preload.join()
            self.preload = None
        gc.freeze()  # the child's collector leaves the parent's objects alone: fewer copied pages
        pid = os.fork()
        if pid == 0:  # the child: draw, save, leave without running the parent's clean-ups
            code = 1
            try:
                gc.disable()
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                for f in figures:
                    _write_figure(self.folder, f, self.pdf, close=False)
                code = 0
            finally:
                os._exit(code)
        gc.unfreeze()
        self.pending.append(_Pending(pid, figures, done))

    def _reap(self, job: _Pending) -> None:
        import matplotlib.pyplot as plt

        self.pending.remove(job)
        _, status = os.waitpid(job.pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            for f in job.figures:  # redo here: raises the child's error (e.g. a full disk) as a serial run would
                _write_figure(self.folder, f, self.pdf, close=False)
        for f in job.figures:
            plt.close(f.figure)
        job.done()

    def finish(self) -> None:
        """Wait for every child; write what they could not."""
        while self.pending:
            self._reap(self.pending[0])

    def abandon(self) -> None:
        """After an error: wait for the children (no zombies), record nothing more."""
        for job in self.pending:
            try:
                os.waitpid(job.pid, 0)
            except ChildProcessError:
                pass
        self.pending.clear()


def _config(rep: Reproduction, fast: bool) -> dict:
    """What a step's record must match to be kept by a resumed run: the reproduction, the
    grids, the version and the user's changed inputs (:func:`cevns.config.overrides.experiment_overrides`).
    The PDF setting is not part of it: it changes no number and no PNG or CSV; a resumed
    run with ``pdf=True`` redoes only the steps whose PDFs are missing."""
    from cevns import __version__
    from cevns.config.overrides import active_experiment_overrides

    changed = json.loads(json.dumps(active_experiment_overrides(), sort_keys=True, default=str))
    return {"reproduction": rep.name, "fast": fast, "cevns": __version__, "format": REPORT_FORMAT, "changed_inputs": changed}


def write_report(
    rep: Reproduction,
    out: str | Path,
    fast: bool = False,
    resume: bool = False,
    progress: Callable[[str], None] = lambda message: None,
    pdf: bool = False,
    parallel: bool = True,
) -> ReportFiles:
    """Run ``rep`` and write its figures, ``summary.json`` and ``index.html`` into ``out``
    (created if missing; it must not be a file). ``progress`` receives one line per step.
    Each figure is written as PNG and CSV; ``pdf=True`` adds a PDF of each. With
    ``parallel`` (the default) a step's figures are drawn by a forked process while the next
    step computes (:class:`_FigureWriter`); ``parallel=False`` or the environment variable
    ``CEVNS_SERIAL_FIGURES=1`` draws them in this process, one after the other."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"--out {folder} is a file, not a folder")
    steps_dir = folder / ".steps"
    steps_dir.mkdir(parents=True, exist_ok=True)
    for where in (folder, steps_dir):  # what a killed run left: resumed steps do not rewrite their files
        remove_stale_temporaries_in(where)
    config = _config(rep, fast)
    start = time.perf_counter()
    figures: list[dict] = []
    results: list[dict] = []
    resumed: list[str] = []
    writer = _FigureWriter(folder, pdf, parallel)
    records: list[dict] = []
    try:
        for i, step in enumerate(rep.steps, 1):
            record_path = steps_dir / f"{step.key}.json"
            record = _read_record(record_path, config, folder, pdf) if resume else None
            if record is not None:
                resumed.append(step.key)
                progress(f"[{i}/{len(rep.steps)}] {step.title}: done before, kept")
            else:
                t0 = time.perf_counter()
                output = step.run(fast)
                t1 = time.perf_counter()
                record = {"config": config, "figures": [_figure_record(f, pdf) for f in output.figures],
                          "results": [result_record(r) for r in output.results], "seconds": t1 - t0}

                def done(record: dict = record, record_path: Path = record_path) -> None:
                    _write_text(record_path, json.dumps(record, indent=1, ensure_ascii=False))

                writer.submit(output.figures, done)
                drawn = "drawn beside the next step" if writer.parallel and output.figures else \
                    f"writing the figures {time.perf_counter() - t1:.1f} s"
                progress(f"[{i}/{len(rep.steps)}] {step.title}: {time.perf_counter() - t0:.1f} s ({drawn})")
            records.append(record)
        writer.finish()
    except BaseException:
        writer.abandon()
        raise
    for record in records:
        figures += record["figures"]
        results += record["results"]
    seconds = time.perf_counter() - start
    summary = {
        **config,
        "pdf": pdf,
        "title": rep.title,
        "reference": rep.reference,
        "seconds": seconds,
        "results": results,
        "figures": figures,
        "inputs": [vars(x) for x in rep.inputs],
        "assumptions": list(rep.assumptions),
        "files": _files_listed(figures),
    }
    _write_text(folder / "summary.json", json.dumps(summary, indent=1, ensure_ascii=False))
    _write_text(folder / "index.html", render_html(rep, summary))
    return ReportFiles(folder, tuple(f["name"] for f in figures), tuple(results), seconds, tuple(resumed))


def _files_listed(figures: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every file of the report folder, figure files in order, then summary.json and index.html."""
    return [f[k] for f in figures for k in ("png", "pdf", "csv") if f.get(k)] + ["summary.json", "index.html"]


def _read_record(path: Path, config: dict, folder: Path, pdf: bool = False) -> dict | None:
    """A finished step's record, if it was made with ``config`` and its files are all there
    (with ``pdf=True`` its PDFs too). A record with PDFs kept by a run without ``pdf`` keeps
    listing them: they were made with the same settings and are still there."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("config") != config:
        return None
    kinds = ("png", "pdf", "csv") if pdf else ("png", "csv")
    if not all(f.get(k) and (folder / f[k]).is_file() for f in record["figures"] for k in kinds):
        return None
    if not pdf:  # a PDF listed but since deleted is not linked
        record["figures"] = [{**f, "pdf": f["pdf"] if f.get("pdf") and (folder / f["pdf"]).is_file() else None}
                             for f in record["figures"]]
    return record


# --- HTML -------------------------------------------------------------------------------------
_CSS = """
*{box-sizing:border-box} body{font-family:system-ui,-apple-system,"DejaVu Sans",sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.9em;width:100%} th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f3f3f3} td.num{font-family:monospace} td{overflow-wrap:anywhere} .ref{color:#555;font-size:.9em}
figure{margin:1.5em 0;border:1px solid #eee;padding:.6em} figure img{width:100%;height:auto}
figcaption{font-size:.9em;color:#333} .big{color:#a00;font-weight:bold} .note{color:#555;font-size:.85em}
"""


_SUPERSCRIPT = re.compile(r"\^\{([^{}]*)\}")
_SUBSCRIPT = re.compile(r"(?<=[^\x00-\x7f}])_(\{[^{}]*\}|[^\W_]+)")


def math_html(text: str) -> str:
    """Escape ``text`` for HTML and render its plain-text math as HTML superscripts and
    subscripts: ``x^{uV}`` → x<sup>uV</sup>, and ``_ee`` / ``_{ee}`` after a non-ASCII symbol
    or a closing brace (``ε^{uV}_ee``, ``sin²θ_W``, ``ν_e``) → <sub>ee</sub>. ASCII names
    with underscores (``eps_ee_uV``, ``detector.mass_kg``) are left as they are.

    >>> math_html("ε^{uV}_ee, sin²θ_W, A^{1/3}, eps_ee_uV")
    'ε<sup>uV</sup><sub>ee</sub>, sin²θ<sub>W</sub>, A<sup>1/3</sup>, eps_ee_uV'
    """
    out = html.escape(text)
    out = _SUPERSCRIPT.sub(r"<sup>\1</sup>", out)
    out = re.sub(r"(?<=</sup>)_(\{[^{}]*\}|[^\W_]+)", lambda m: f"<sub>{m.group(1).strip('{}')}</sub>", out)
    return _SUBSCRIPT.sub(lambda m: f"<sub>{m.group(1).strip('{}')}</sub>", out)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, (int, float)):
        return _fmt(float(value))
    if value and isinstance(value[0], list):
        return " ∪ ".join(f"[{a:.4g}, {b:.4g}]" for a, b in value)
    return ", ".join(f"{v:.4g}" for v in value)


def render_html(rep: Reproduction, summary: Mapping[str, Any]) -> str:
    """One self-contained page (images by relative path): numbers, figures, inputs."""
    e = html.escape
    t = math_html  # human-readable text: escaped, with its sub- and superscripts rendered
    rows = []
    for r in summary["results"]:
        rel = r["relative_difference"]
        rel_text = "—" if rel is None else f"{100 * rel:+.1f}%"
        cls = ' class="num big"' if rel is not None and abs(rel) > 0.10 else ' class="num"'
        note = f'<div class="note">{t(r["note"])}</div>' if r["note"] else ""
        rows.append(
            f"<tr><td>{t(r['quantity'])}{note}</td><td>{t(r['unit'])}</td><td class=\"num\">{e(_cell(r['ours']))}</td>"
            f"<td class=\"num\">{e(_cell(r['published']))}</td><td{cls}>{e(rel_text)}</td><td class=\"ref\">{t(r['published_source'])}</td></tr>"
        )
    figs = []
    for f in summary["figures"]:
        ref = f" <span class=\"ref\">({t(f['reference'])})</span>" if f["reference"] else ""
        links = ([f"<a href=\"{e(f['pdf'])}\">PDF</a>"] if f.get("pdf") else []) + [f"<a href=\"{e(f['csv'])}\">CSV</a>"]
        figs.append(
            f"<figure id=\"{e(f['name'])}\"><img src=\"{e(f['png'])}\" alt=\"{e(f['title'])}\">"
            f"<figcaption><b>{t(f['title'])}</b>{ref}. {t(f['caption'])} "
            f"[{' · '.join(links)}]</figcaption></figure>"
        )
    inputs = "".join(
        f"<tr><td>{t(x['name'])}</td><td class=\"num\">{t(x['value'])}</td><td class=\"ref\">{t(x['source'])}</td></tr>"
        for x in summary["inputs"]
    )
    assumptions = "".join(f"<li>{t(a)}</li>" for a in summary["assumptions"])
    mode = "fast (coarse grids)" if summary["fast"] else "full grids"
    changed = [f"{name}: {path} = {value}" for name, paths in summary["changed_inputs"].items() for path, value in paths.items()]
    changed_html = (
        "<p class=\"big\">Inputs changed from the published set-up (so the numbers need not match the published ones): "
        + "; ".join(e(c) for c in changed) + "</p>"
    ) if changed else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(rep.title)} — cevns reproduce {e(rep.name)}</title>
<style>{_CSS}</style></head><body>
<h1>{e(rep.title)}</h1>
<p class="ref">{t(rep.reference)}</p>
<p>{t(rep.description)}</p>
<p class="ref">cevns {e(str(summary['cevns']))} · <code>cevns reproduce {e(rep.name)}{' --fast' if summary['fast'] else ''}{' --pdf' if summary.get('pdf') else ''}</code> · {mode} · {summary['seconds']:.1f} s</p>
{changed_html}
<h2>Numbers</h2>
<p class="ref">Relative difference = (ours − published)/|published| where the text prints a number; over 10% in red, explained in the note.</p>
<table><tr><th>quantity</th><th>unit</th><th>ours</th><th>published</th><th>difference</th><th>where published</th></tr>
{''.join(rows)}</table>
<h2>Figures</h2>
{''.join(figs)}
<h2>Inputs</h2>
<table><tr><th>input</th><th>value</th><th>source</th></tr>{inputs}</table>
<h2>Assumptions where the text is silent</h2>
<ul>{assumptions}</ul>
</body></html>
"""


__all__ = [
    "Figure",
    "Input",
    "ReportFiles",
    "Reproduction",
    "Step",
    "StepOutput",
    "compute_step",
    "grid_columns",
    "long_columns",
    "render_html",
    "result_record",
    "write_report",
]
