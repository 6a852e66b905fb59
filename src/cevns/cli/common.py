"""What the command groups of ``cevns`` share: help texts, option types that read the
library only when used, input parsing, atomic output files.

Nothing here imports the physics or the statistics at module level: ``cevns --help``
loads the command modules to list them, and should start in a blink. Library modules are
imported inside the functions that need them.
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import click

from cevns.errors import InputError

if TYPE_CHECKING:
    from cevns.config.built import Experiment

SET_HELP = "Override a field of the experiment file by dotted path, e.g. detector.mass_kg=20 (repeatable)."
PARAM_HELP = "Set a physics parameter, e.g. eps_ee_uV=0.1 or mu_nu_e=1e-9 (repeatable; `cevns params` lists them)."
FIX_HELP = "Fix a physics parameter (repeatable)."
WORKERS_HELP = "Local worker processes (1: in this process)."
DASK_HELP = "Run on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' (a LocalCluster of --workers)."


#: The options several commands share, one definition each (a click option decorator can be
#: applied to any number of commands).
SET_OPTION = click.option("--set", "settings", multiple=True, metavar="PATH=VALUE", help=SET_HELP)
WORKERS_OPTION = click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help=WORKERS_HELP)
DASK_OPTION = click.option("--dask", "dask_address", metavar="ADDRESS|local", help=DASK_HELP)


class UserError(InputError):
    """Bad input on the command line: reported as one line, exit status 2."""


# --- option types that read the library lazily -----------------------------------------
def library_attribute(module: str, name: str) -> Any:
    """``module.name``, imported now (``library_attribute("cevns.units", "keV")``)."""
    return getattr(importlib.import_module(module), name)


class LibraryChoice(click.Choice):
    """A :class:`click.Choice` whose choices are a sequence of the library
    (``module.name``), read when the option is first parsed or shown, so that defining the
    command imports nothing."""

    def __init__(self, module: str, name: str, case_sensitive: bool = True) -> None:
        self._source = (module, name)
        self._choices: tuple[str, ...] | None = None
        self.case_sensitive = case_sensitive

    @property
    def choices(self) -> tuple[str, ...]:
        if self._choices is None:
            self._choices = tuple(library_attribute(*self._source))
        return self._choices

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        self._choices = tuple(value)


class LibraryValue:
    """An option default that is a constant of the library (``module.name``), read when
    first needed. Click calls it to get the value; ``--help`` shows ``str()`` of it (click
    writes "(dynamic)" only for plain functions), which is the value itself."""

    def __init__(self, module: str, name: str) -> None:
        self._source = (module, name)

    def __call__(self) -> Any:
        return library_attribute(*self._source)

    def __str__(self) -> str:
        return str(self())


# --- input -------------------------------------------------------------------------------
def positive(name: str, value: float, limit: float = 1e4) -> float:
    """``value`` of option ``name`` if it is a finite number in (0, ``limit``], else a
    :class:`UserError`."""
    if not math.isfinite(value) or value <= 0:
        raise UserError(f"{name} must be a positive number, got {value}")
    if value > limit:
        raise UserError(f"{name} = {value} is beyond {limit:g}: coherent scattering needs E ≲ a few hundred MeV")
    return value


def non_negative(name: str, value: float | None) -> None:
    """A :class:`UserError` unless ``value`` (of option ``name``) is None or a finite number ≥ 0."""
    if value is not None and (not math.isfinite(value) or value < 0):
        raise UserError(f"{name} must be a non-negative number, got {value}")


def _probe_folder(folder: Path) -> str | None:
    """Why nothing can be written in the existing ``folder`` (the operating system's
    reason), or None: a temporary file is created there, one byte written, and removed."""
    import os
    import tempfile

    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=".cevns-write-check.")
    except OSError as exc:
        return exc.strerror or str(exc)
    try:
        os.write(fd, b"\0")
    except OSError as exc:
        return exc.strerror or str(exc)
    finally:
        os.close(fd)
        try:
            os.unlink(name)
        except OSError:
            pass
    return None


def check_writable(path: str | Path, option: str = "") -> None:
    """A :class:`UserError` (one line naming ``path`` and the reason) unless the output
    file ``path`` can be written: its folder exists and a file can be created in it (a
    read-only folder or file system, a full disk are found here, before any work), and
    ``path`` is not a folder. ``option``: the option that gave the path, for the message."""
    target = Path(path).expanduser()
    label = f"{option} {path}" if option else str(path)
    if target.is_dir():
        raise UserError(f"{label} is a folder; give a file name")
    folder = target.resolve().parent
    if not folder.is_dir():
        raise UserError(f"directory {target.parent} does not exist")
    reason = _probe_folder(folder)
    if reason is not None:
        raise UserError(f"cannot write {label}: {reason} (in {folder})")


def check_writable_folder(path: str | Path, option: str = "") -> None:
    """A :class:`UserError` unless files can be written in the output folder ``path``: it
    is a writable folder, or it does not exist and its nearest existing ancestor is one
    (the missing folders will be created)."""
    target = Path(path).expanduser()
    label = f"{option} {path}" if option else str(path)
    if target.exists() and not target.is_dir():
        raise UserError(f"{label} is a file, not a folder")
    folder = target.resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UserError(f"{label}: {folder} is a file, not a folder")
    reason = _probe_folder(folder)
    if reason is not None:
        raise UserError(f"cannot write in {label}: {reason}" + ("" if folder == target.resolve() else f" (in {folder})"))


def check_figure_format(path: str | Path, option: str = "--plot") -> None:
    """A :class:`UserError` unless matplotlib can write a figure in the format that the
    suffix of ``path`` names (no suffix: PNG, as :func:`save_figure` writes), so that an
    unknown format is refused before any work instead of as matplotlib's traceback after it."""
    suffix = Path(path).suffix.lstrip(".").lower()
    if not suffix:
        return
    from matplotlib.backend_bases import FigureCanvasBase

    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix not in formats:
        raise UserError(f"{option} {path}: unknown figure format {suffix!r}; use one of {', '.join(sorted(formats))}")


def check_directories(*paths: str | None, plot: str | None = None) -> None:
    """Every output file of ``paths`` and ``plot`` (None or empty: not asked for) checked
    with :func:`check_writable`, and the figure ``plot`` with :func:`check_figure_format`,
    before anything is computed or written: the first that cannot be written is a
    :class:`UserError`."""
    if plot:
        check_figure_format(plot)
    for path in (*paths, plot):
        if path:
            check_writable(path)


def parse_overrides(settings: Sequence[str]) -> dict[str, Any]:
    """``--set PATH=VALUE`` items → {dotted path: value}; the last one for a path wins."""
    from cevns.config.overrides import parse_override

    return dict(parse_override(s) for s in settings)


def load(experiment: str, settings: Sequence[str]) -> Experiment:
    """The experiment EXPERIMENT (a shipped name or a TOML path) with the ``--set`` items
    applied; a shipped one without them from the disk cache (:mod:`cevns.config.experiment_cache`)."""
    from cevns.config.experiment_cache import load_experiment_cached

    return load_experiment_cached(experiment, parse_overrides(settings))


def release_folders(items: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    """``--data-release`` items → ({release name: folder} of the ``NAME=DIR`` items, the
    plain ``DIR`` items). An item is ``NAME=DIR`` when the text before its first ``=``
    names a registered release."""
    from cevns.releases.registry import releases

    named: dict[str, str] = {}
    plain: list[str] = []
    known = releases()
    for item in items:
        name, sep, folder = item.partition("=")
        if sep and name.strip() in known:
            if not folder.strip():
                raise UserError(f"--data-release {item!r}: give the folder after {name.strip()}=")
            named[name.strip()] = folder.strip()
        else:
            plain.append(item)
    return named, plain


def parse_params(items: Sequence[str]) -> dict[str, float | str]:
    """``NAME=VALUE`` pairs → {name: number or text}; names and values are checked where
    they are applied (:mod:`cevns.physics.parameters`)."""
    out: dict[str, float | str] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name or not raw:
            raise UserError(f"--param expects NAME=VALUE, got {item!r}")
        try:
            out[name] = float(raw)
        except ValueError:
            out[name] = raw
    return out


def experiment_values(exp: Experiment) -> dict[str, float]:
    """Values an experiment uses for the parameters it sets (radii in fm, weak mixing angle,
    the numbers of its ``[parameters]`` table)."""
    out: dict[str, float] = {"sin2_theta_w": exp.spec.couplings.sin2_theta_w}
    for iso in exp.target.isotopes:
        rp, rn = exp.structure.radii_fm(iso)
        out[f"rp_{iso.name}"], out[f"rn_{iso.name}"] = rp, rn
    for name, value in exp.model.parameters.items():
        if isinstance(value, float):
            out[name] = value
    return out


def free_parameters(items: Sequence[str], exp: Experiment) -> dict[str, float]:
    """``--free NAME[=START]`` → {name: start}; the start defaults to the experiment's
    value (radii, sin²θ_W; ``rn``/``rp``: its first isotope's) or the parameter's default
    (:func:`cevns.physics.parameters.free_start_values`)."""
    from cevns.physics.parameters import free_start_values

    values = experiment_values(exp)
    first = exp.target.isotopes[0].name
    known = {**values, "rn": values[f"rn_{first}"], "rp": values[f"rp_{first}"]}
    return free_start_values(items, known)


def fixed_and_free(fixed: dict[str, float | str], free: dict[str, float]) -> None:
    """A :class:`UserError` if a parameter is both fixed (``--param``) and free (``--free``)."""
    overlap = set(free) & set(fixed)
    if overlap:
        raise UserError(f"{', '.join(sorted(overlap))} is both fixed (--param) and free (--free)")


# --- output ------------------------------------------------------------------------------
def lock_output(out: str | Path, config: Any, what: str) -> None:
    """Hold the lock of output ``out`` (:func:`cevns.runtime.locks.output_lock`) until the
    running command ends: a second writer with a different ``config`` is refused with one
    line, one with the same waits. Call it before any work."""
    from cevns.runtime.locks import output_lock

    notify: Callable[[str], None] = lambda line: click.echo(line, err=True)  # noqa: E731
    click.get_current_context().with_resource(output_lock(out, config, what, notify))


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path`` (a failed run
    leaves no file behind)."""
    from cevns.runtime.stores import atomic_write as write_atomically

    write_atomically(path, write)


def save_figure(fig: Any, path: str) -> None:
    """Write a matplotlib figure atomically, in the format its suffix names (PNG default)."""
    suffix = Path(path).suffix.lstrip(".") or "png"
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=150, format=suffix, bbox_inches="tight", pad_inches=0.1))


def interval_text(low: float, high: float, open_ends: Sequence[str] = ()) -> str:
    """One allowed interval as text. An end that the scanned (or profiled) range cuts,
    not the data, is no result: ``[a, b]`` when both ends are crossings of the level,
    ``> a (open above: Δχ² stays under the level up to the range edge b)``, ``< b (open
    below ...)``, or ``unbounded within the scanned range [a, b]``."""
    low_open, high_open = "low" in open_ends, "high" in open_ends
    if low_open and high_open:
        return f"unbounded within the scanned range [{low:.4g}, {high:.4g}]"
    if high_open:
        return f"> {low:.4g} (open above: allowed up to the range edge {high:.4g})"
    if low_open:
        return f"< {high:.4g} (open below: allowed down to the range edge {low:.4g})"
    return f"[{low:.4g}, {high:.4g}]"


def intervals_text(pieces: Sequence[Sequence[float]], open_ends: Sequence[Sequence[str]] | None = None) -> str:
    """Allowed intervals as text: ``[a, b] ∪ [c, d]``, or ``none``; with ``open_ends`` (one
    list per piece, :attr:`cevns.stats.chi2.Interval.open_ends`) an end at the edge of the
    range is written as open (:func:`interval_text`)."""
    ends = list(open_ends) if open_ends is not None else [()] * len(pieces)
    return " ∪ ".join(interval_text(a, b, e) for (a, b), e in zip(pieces, ends)) or "none"


def compound_radius_notes(exp: Experiment | None, names: Iterable[str]) -> list[str]:
    """Notes for a global radius (``rn``, ``rp``; free, fixed or scanned) on a target with
    several isotopes: the one value replaces the radius of every isotope (¹³³Cs and ¹²⁷I of
    CsI alike), which a user may not expect; the per-isotope names fit one each."""
    if exp is None or len(exp.target.isotopes) < 2:
        return []
    isotopes = [iso.name for iso in exp.target.isotopes]
    given = set(names)
    notes = []
    for name in ("rn", "rp"):
        if name in given:
            which = "neutron" if name == "rn" else "proton"
            each = ", ".join(f"{name}_{iso}" for iso in isotopes)
            notes.append(f"{name} sets one {which} rms radius for all {len(isotopes)} isotopes of {exp.target.name} "
                         f"({', '.join(isotopes)}); use {each} to give each isotope its own")
    return notes


def mark_open_ends(fig: Any, open_ends: dict[str, list[list[str]]]) -> None:
    """Write on ``fig`` (its first axes) which intervals are open, i.e. reach the edge of
    the range drawn (``open_ends``: label → one list of open ends per piece, as in the JSON
    output); nothing when none is."""
    labels = [label for label, pieces in open_ends.items() if any(pieces)]
    if labels and fig.axes:
        text = "open at the range edge (no bound there): " + ", ".join(labels)
        note = fig.axes[0].text(0.01, 0.01, text, transform=fig.axes[0].transAxes, fontsize=7, va="bottom", ha="left",
                                color="0.3", wrap=True)
        note.set_in_layout(False)  # a long note must not collapse the axes under constrained layout
