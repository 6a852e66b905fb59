"""``cevns fit``, ``scan`` and ``toys``: what the data say about the physics parameters."""

from __future__ import annotations

import contextlib
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

import click

from cevns.cli.feldman_cousins import check_fit_fc, check_scan_fc, fc_lines, fit_fc, fit_fc_options, scan_fc, scan_fc_options
from cevns.cli.releases import NO_VERIFY_OPTION, RUNS_OPTION
from cevns.cli.common import (
    DASK_OPTION,
    FIX_HELP,
    SET_OPTION,
    WORKERS_OPTION,
    UserError,
    check_directories,
    fixed_and_free,
    free_parameters,
    compound_radius_notes,
    intervals_text,
    load,
    lock_output,
    mark_open_ends,
    parse_overrides,
    parse_params,
    release_folders,
    save_figure,
)

if TYPE_CHECKING:
    import numpy as np

    from cevns.config.built import Experiment
    from cevns.runtime.parallel import ExecutionPlan
    from cevns.runtime.stores import ChunkStore
    from cevns.stats.arrays import ArrayLikelihood
    from cevns.stats.fits import ExperimentLikelihood
    from cevns.stats.joint import JointLikelihood
    from cevns.stats.likelihood import Likelihood
    from cevns.stats.scans import Scan
    from cevns.stats.templates import TemplateLikelihood
    from cevns.stats.toys import ToyResult, ToyStudy


@dataclass(frozen=True)
class Analysis:
    """What fit and scan need of an experiment or a detector array: the likelihood, an
    experiment for default start values, the description stored with scans, and labels."""

    likelihood: ExperimentLikelihood | ArrayLikelihood | TemplateLikelihood | JointLikelihood
    experiment: Experiment | None
    description: dict[str, Any]
    name: str
    data_label: str
    statistic: str


def analysis_of(name: str, settings: tuple[str, ...], fixed: dict[str, float | str], asimov: bool,
                release_folder: str | tuple[str, ...] | None = None, no_verify: bool = False,
                runs: str | None = None) -> Analysis:
    """An experiment file (its ``[data]``) or an array file (``[[member]]`` tables); with
    ``release_folder``, the experiment against that data release's likelihood (files checked
    against their SHA-256 unless ``no_verify``); or a combination
    (:mod:`cevns.releases.combinations`), whose release members' folders are the
    ``--data-release NAME=DIR`` items (a tuple of ``--data-release`` values: ``NAME=DIR``
    items are a combination's, a plain ``DIR`` the single release's). ``runs`` (``--runs``,
    e.g. ``"sr0,sr1,sr2"``) selects the science runs of a release that has them (xenonnt-8b);
    it is recorded in the description through the likelihood's ``describe()``."""
    from cevns.config.experiments import load_experiment
    from cevns.stats.array_files import is_array, load_array
    from cevns.stats.fits import ExperimentLikelihood

    overrides = parse_overrides(settings)
    from cevns.releases.combinations import is_combination, load_combination

    named_releases, plain = release_folders((release_folder,) if isinstance(release_folder, str) else release_folder or ())
    if len(plain) > 1:
        raise UserError(f"--data-release DIR is given {len(plain)} times; use NAME=DIR for the members of a combination")
    release_folder = plain[0] if plain else None
    if runs is not None and release_folder is None:
        raise UserError("--runs selects the science runs of a data release (xenonnt-8b): give --data-release DIR")
    if is_combination(name):
        if release_folder is not None:
            raise UserError(f"{name} is a combination: give its release folders as --data-release NAME=DIR")
        if no_verify:
            click.echo(f"warning: --no-verify: the release files of {name} are used without checking their SHA-256", err=True)
        comb = load_combination(name, overrides, named_releases, fixed, asimov, verify=not no_verify)
        first_ref = next((e for e in comb.experiments if e is not None), None)
        joint = comb.likelihood
        return Analysis(joint, load_experiment(first_ref) if first_ref else None, comb.describe(), comb.name, joint.label, joint.statistic)
    if named_releases:
        raise UserError(f"--data-release NAME=DIR names the release folders of a combination; {name} is not one")
    if release_folder is not None:
        from cevns.cli.releases import checked_release_likelihood

        tlk = checked_release_likelihood(release_folder, name, overrides, fixed, no_verify,
                                         **({"runs": runs} if runs is not None else {}))
        tlk = tlk.asimov() if asimov else tlk
        from cevns.releases.registry import predicts_own_signal

        if predicts_own_signal(tlk):  # a release without an experiment file (xenonnt-8b)
            own = {**tlk.describe(), "data_release": str(Path(release_folder).expanduser().resolve())}
            return Analysis(tlk, None, own, name, tlk.label, tlk.statistic)
        exp = load_experiment(name, overrides)
        description = {**exp.spec.model_dump(mode="json"), "data_release": str(Path(release_folder).expanduser().resolve())}
        return Analysis(tlk, exp, description, exp.name, tlk.label, tlk.statistic)
    if is_array(name):
        arr = load_array(name, overrides)
        alk = arr.likelihood(fixed, asimov)
        first = next((m.experiment for m in arr.members if m.experiment is not None), None)
        return Analysis(alk, first, arr.describe(), arr.name, alk.label, alk.statistic)
    exp = load_experiment(name, overrides)
    lk = ExperimentLikelihood(exp.predictor(), exp.measurement(forecast=asimov), fixed)
    lk = lk.asimov() if asimov else lk
    return Analysis(lk, exp, exp.spec.model_dump(mode="json"), exp.name, lk.measurement.label, lk.measurement.statistic)


def _start_values(free: tuple[str, ...], analysis: Analysis) -> dict[str, float]:
    """``--free`` start values, from the analysis' experiment (an array has one per member)."""
    if not free:
        return {}
    if analysis.experiment is None:
        own = getattr(analysis.likelihood, "start_values", None)
        if own is not None:  # a release that predicts its own signal (xenonnt-8b)
            return dict(own(free))
        raise UserError(f"{analysis.name} has no experiment to take --free start values from")
    return free_parameters(free, analysis.experiment)


DATA_RELEASE_OPTION = click.option(
    "--data-release", "release_folder", multiple=True, metavar="DIR | NAME=DIR",
    help="Fit the binned data of this release folder (cevns release list) with its likelihood instead of EXPERIMENT's [data]; "
         "for a combination, NAME=DIR gives the folder of its release NAME (repeatable; default $CEVNS_RELEASE_DATA/NAME).")


@click.command("fit")
@click.argument("experiment")
@click.option("--free", "free", multiple=True, required=True, metavar="NAME[=START]", help="A parameter to fit (repeatable).")
@SET_OPTION
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help=FIX_HELP)
@click.option("--asimov", is_flag=True, help="Fit the SM prediction instead of the data (a forecast).")
@click.option("--points", default=61, show_default=True, type=click.IntRange(min=5), help="Profile points per parameter.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write the Δχ² profile of the first free parameter.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (best_fit, chi2_min, intervals).")
@DATA_RELEASE_OPTION
@RUNS_OPTION
@NO_VERIFY_OPTION
@fit_fc_options
def fit_command(experiment: str, free: tuple[str, ...], settings: tuple[str, ...], params: tuple[str, ...], asimov: bool,
                points: int, plot_path: str | None, as_json: bool, release_folder: tuple[str, ...], no_verify: bool,
                runs: str | None = None, **fc: Any) -> None:
    """Best fit of the --free parameters of EXPERIMENT to its data, with Δχ² intervals."""
    import numpy as np

    from cevns.stats.chi2 import delta_chi2_threshold
    from cevns.stats.fits import ONE_DOF_LEVELS, fit, profile, profile_range

    check_directories(plot=plot_path)
    fixed = parse_params(params)
    analysis = analysis_of(experiment, settings, fixed, asimov, release_folder, no_verify, runs)
    lk = analysis.likelihood
    start = _start_values(free, analysis)
    fixed_and_free(fixed, start)
    check_fit_fc(fc, start)
    if fc["method"] == "fc" and fc.get("fc_out"):  # one writer of the store (cevns.runtime.locks)
        lock_output(fc["fc_out"], {"experiment": analysis.description, "fixed": fixed, "asimov": asimov, "free": start,
                                   "fc": {k: v for k, v in fc.items() if k not in ("fc_resume", "workers")}}, "Feldman-Cousins store")
    best = fit(lk, start)
    profiles = {}
    for name in start:
        lo, hi = profile_range(name, best)
        profiles[name] = profile(lk, name, np.linspace(lo, hi, points), best)
        if profiles[name].flat:
            others = f" with {', '.join(n for n in start if n != name)} free" if len(start) > 1 else ""
            raise UserError(f"the data do not constrain {name}{others}: Δχ² < 1 over the whole profile range [{lo:.4g}, {hi:.4g}]; "
                            "fix a parameter or add data")
    out: dict[str, Any] = {
        "experiment": analysis.name,
        "data": analysis.data_label,
        "statistic": analysis.statistic,
        "best_fit": best.values,
        "chi2_min": min(best.chi2_min, *(p.chi2_min for p in profiles.values())),
        "errors": best.errors,
        "valid": best.valid,
        "intervals": {name: p.intervals() for name, p in profiles.items()},
        "intervals_open": {name: p.open_ends() for name, p in profiles.items()},  # ends cut by the profile range
    }
    notes = compound_radius_notes(analysis.experiment, [*fixed, *start])
    if notes:
        out["notes"] = notes
    from cevns.stats import joint as joint_stats

    if isinstance(lk, joint_stats.JointLikelihood):  # each member's χ² and the shared nuisances at the best fit
        at = lk.point(best.values)
        out["members_chi2"], out["shared_nuisances"] = at.members, at.shared
    if fc["method"] == "fc":  # Feldman–Cousins on the profile grid (cevns.cli.feldman_cousins)
        out["feldman_cousins"] = fit_fc(lk, {n: p.grid for n, p in profiles.items()}, analysis.description, fixed, asimov, fc)
    if plot_path:
        from cevns.plotting import profile_figure

        first = next(iter(profiles.values()))
        levels = {k: float(delta_chi2_threshold(v, 1)) for k, v in ONE_DOF_LEVELS.items()}
        fig = profile_figure(first.name, first.grid, first.delta_chi2, levels, f"{analysis.name}: {analysis.data_label}")
        mark_open_ends(fig, out["intervals_open"][first.name])
        save_figure(fig, plot_path)
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"{analysis.name} vs {out['data']} ({out['statistic']}): chi2_min = {out['chi2_min']:.4g}")
    for name, value in best.values.items():
        click.echo(f"  {name} = {value:.6g} ± {best.errors[name]:.2g}")
        for level, pieces in out["intervals"][name].items():
            click.echo(f"    {level:7s} {intervals_text(pieces, out['intervals_open'][name][level])}")
    for note in notes:
        click.echo(f"note: {note}")
    if "feldman_cousins" in out:
        click.echo("\n".join(fc_lines(out["feldman_cousins"], tuple(start))))
    if plot_path:
        click.echo(f"wrote {plot_path}")


def scan_axes(params: tuple[str, ...], scratch: Path | None = None) -> tuple[dict[str, np.ndarray], dict[str, float | str]]:
    """``NAME=LOW:HIGH:N`` → axis; ``NAME=VALUE`` → fixed value. The grid is checked
    (:func:`cevns.stats.scans.check_grid`) before any array: memory, and the disk in
    ``scratch`` (the folder beside ``--out``) for a grid to be memory-mapped."""
    import numpy as np

    from cevns.physics.parameters import check_value
    from cevns.stats.scans import check_grid

    specs: dict[str, tuple[float, float, int]] = {}
    fixed: dict[str, float | str] = {}
    for item in params:
        name, sep, raw = item.partition("=")
        parts = raw.split(":")
        if sep and len(parts) == 3:
            try:
                lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
            except ValueError:
                raise UserError(f"--param {item!r}: an axis is NAME=LOW:HIGH:N with N an integer") from None
            if n < 2 or not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
                raise UserError(f"--param {item!r}: need LOW < HIGH and N ≥ 2")
            for x in (lo, hi):
                check_value(name.strip(), x)  # the domain and the arithmetic guard
            specs[name.strip()] = (lo, hi, n)
        else:
            fixed.update(parse_params((item,)))
    if not specs:
        raise UserError("give at least one scan axis: --param NAME=LOW:HIGH:N")
    check_grid([n for _, _, n in specs.values()], scratch, store=scratch is not None)  # refused before any array
    axes = {name: np.linspace(lo, hi, n) for name, (lo, hi, n) in specs.items()}
    return axes, fixed


def _scratch_folder(out: Path) -> Path:
    """The folder beside ``--out`` that holds the memory-mapped arrays of a grid beyond the
    memory limit (:func:`cevns.stats.scans.empty_scan`): ``<out>.grid``."""
    return out.with_name(out.name + ".grid")


def _remove_stale_scratch(folder: Path) -> None:
    """Remove what an interrupted run left in ``folder`` (its mapped files are unlinked as
    soon as they are made, so only a run killed in that instant leaves one), and the
    folder if it is then empty."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for stale in folder.glob(".scan-*.npy"):
        with contextlib.suppress(OSError):
            stale.unlink()
    with contextlib.suppress(OSError):
        folder.rmdir()


def _read_scan(path: Path, config: dict[str, Any], axes: dict[str, np.ndarray]) -> Scan:
    from cevns.runtime.stores import read_store
    from cevns.stats.scans import Scan

    arrays = read_store(path, config, ("chi2", "done"))
    if arrays["chi2"].shape != arrays["done"].shape or arrays["chi2"].shape != tuple(a.size for a in axes.values()):
        raise UserError(f"cannot resume from {path}: its arrays do not match the grid")
    return Scan(axes, arrays["chi2"], arrays["done"].astype(bool))


def _scan_arrays(state: Scan) -> dict[str, np.ndarray]:
    """What a scan file holds besides its configuration (the arrays themselves, no copy)."""
    import numpy as np

    arrays = {f"axis_{i}": a for i, a in enumerate(state.axes.values())}
    return {"names": np.array(list(state.axes)), "chi2": state.chi2, "done": state.done, **arrays}


@dataclass
class _Saver:
    """Saves a scan or a pseudo-experiment study as it goes (``on_part``): after the first
    finished chunk the whole file once (a :class:`~cevns.runtime.stores.ChunkStore` base,
    holding that chunk), then each further chunk on its own, marked done — the cost of a
    save is the chunk, whatever the size of the grid. :meth:`finish` writes the final file."""

    path: Path
    config: dict[str, Any]
    arrays: Callable[[], dict[str, np.ndarray]]
    store: ChunkStore | None = None
    #: a new scan: its base holds ``chi2`` as NaN and the first chunk's values only
    #: (``ChunkStore.create`` with ``fills``): 1 byte a point (``done``), not 9
    fresh: bool = False

    def __call__(self, index: np.ndarray, values: dict[str, np.ndarray]) -> None:
        import numpy as np

        from cevns.runtime.stores import ChunkStore

        if self.store is None:
            fills = {"chi2": np.nan} if self.fresh else None
            self.store = ChunkStore.create(self.path, self.config, self.arrays(), fills, index if self.fresh else None)
        else:
            self.store.append(index, {**values, "done": np.ones(np.asarray(index).size, dtype=bool)})

    def finish(self) -> None:
        from cevns.runtime.stores import finish_store

        finish_store(self.path, self.config, self.arrays())


@click.command("scan")
@click.argument("experiment")
@click.option("--param", "params", multiple=True, required=True, metavar="NAME=LOW:HIGH:N | NAME=VALUE",
              help="A scan axis (LOW:HIGH:N) or a fixed parameter (repeatable).")
@click.option("--free", "free", multiple=True, metavar="NAME[=START]", help="A parameter minimised at every grid point.")
@SET_OPTION
@click.option("--asimov", is_flag=True, help="Scan against the SM prediction instead of the data (a forecast).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Scan file (.npz), written as it goes.")
@click.option("--resume", is_flag=True, help="Continue the scan in --out (same configuration) instead of starting over.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Profile (1 axis) or regions (2 axes).")
@WORKERS_OPTION
@DASK_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--exact", is_flag=True,
              help="No emulator for a non-polynomial axis (radius, mass, dm2_41): every grid point from the full prediction.")
@DATA_RELEASE_OPTION
@RUNS_OPTION
@NO_VERIFY_OPTION
@scan_fc_options
def scan_command(experiment: str, params: tuple[str, ...], free: tuple[str, ...], settings: tuple[str, ...], asimov: bool,
                 out_path: str, resume: bool, plot_path: str | None, workers: int, dask_address: str | None, as_json: bool,
                 exact: bool, release_folder: tuple[str, ...], no_verify: bool, runs: str | None = None,
                 **fc: Any) -> None:
    """Δχ² of EXPERIMENT on a grid of parameters, nuisances profiled; resumable."""
    import numpy as np

    from cevns.runtime.parallel import executor
    from cevns.stats.chi2 import delta_chi2_threshold
    from cevns.stats.fits import ONE_DOF_LEVELS, TWO_DOF_LEVELS
    from cevns.stats.emulators import report_of
    from cevns.stats.scans import check_grid, chunk_evaluator, empty_scan, scan

    check_directories(out_path, plot=plot_path)
    scratch = _scratch_folder(Path(out_path))
    axes, fixed = scan_axes(params, scratch)
    if plot_path and len(axes) > 2:
        raise UserError("--plot draws one or two axes")
    if plot_path and check_grid([a.size for a in axes.values()], scratch, store=True):
        raise UserError(f"--plot draws grids that fit in memory; this one of {math.prod(a.size for a in axes.values()):.3g} points "
                        "is memory-mapped: drop --plot or use fewer points per axis")
    analysis = analysis_of(experiment, settings, fixed, asimov, release_folder, no_verify, runs)
    lk = analysis.likelihood
    start = _start_values(free, analysis)
    clash = (set(axes) | set(start)) & set(fixed) or set(axes) & set(start)
    if clash:
        raise UserError(f"{', '.join(sorted(clash))} is given more than once (axis, --free or fixed)")
    check_scan_fc(fc, start)
    config = {
        "experiment": analysis.description, "axes": {k: [float(a[0]), float(a[-1]), int(a.size)] for k, a in axes.items()},
        "fixed": fixed, "free": start, "asimov": asimov, "version": _version(),
        # the emulator is built and verified deterministically (seeded), so the same flag gives
        # the same path on resume: recorded so --resume never mixes emulated and exact points
        "evaluation": "exact" if exact else "emulated where verified",
    }
    path = Path(out_path)
    lock_output(path, {**config, "fc": {k: v for k, v in fc.items() if k != "workers"} if fc["method"] == "fc" else None}, "scan file")  # one writer (cevns.runtime.locks)
    _remove_stale_scratch(scratch)  # we hold the lock: anything there is an interrupted run's
    prepared = chunk_evaluator(lk, axes, start or None, emulate=not exact)
    emulator = report_of(prepared[0])
    if resume and path.exists():
        state = _read_scan(path, config, axes)
        cost = _scan_cost(prepared, axes, state.remaining(), state.pending)
    else:  # refused beyond the CPU-time limit before the grid's arrays (or their mapped files) exist
        total = math.prod(a.size for a in axes.values())
        cost = _scan_cost(prepared, axes, total, lambda k: np.arange(min(total, k)))
        state = empty_scan(axes, scratch)
    if emulator is not None and emulator.nodes:  # an emulator was built: which path, how well verified
        click.echo(emulator.text(), err=True)
    todo = state.remaining()
    save = _Saver(path, config, lambda: _scan_arrays(state), fresh=todo == state.chi2.size)
    with click.progressbar(length=todo, label="scan", file=sys.stderr, show_eta=True) as bar:
        def progress(current: Scan, n_new: int) -> None:
            bar.update(n_new)

        plan = _plan_scan(prepared, state, workers, dask_address, cost)
        with executor(plan.workers, plan.dask) as pool:
            scan(lk, state, start or None, on_chunk=progress, executor=pool, on_part=save, prepared=prepared)
    save.finish()
    ranges, open_ends = state.allowed()
    best = state.best()
    if plot_path:
        from cevns.plotting import profile_figure, region_figure

        dof = len(axes)
        levels = {k: float(delta_chi2_threshold(v, dof)) for k, v in (ONE_DOF_LEVELS if dof == 1 else TWO_DOF_LEVELS).items()}
        names = list(axes)
        title = f"{analysis.name}: {analysis.data_label}"
        if dof == 1:
            fig = profile_figure(names[0], axes[names[0]], state.delta_chi2, levels, title)
        else:
            fig = region_figure((names[0], names[1]), axes[names[0]], axes[names[1]], state.delta_chi2, levels,
                                (best[names[0]], best[names[1]]), title)
        mark_open_ends(fig, {f"{n} {lv}": e for n in names for lv, e in open_ends[n].items()})
        save_figure(fig, plot_path)
    out = {"experiment": analysis.name, "out": str(path), "points": int(state.chi2.size), "best_fit": best,
           "chi2_min": state.chi2_min(), "allowed": ranges, "allowed_open": open_ends,
           "evaluation": {"method": prepared[1], "emulator": emulator.as_dict() if emulator is not None else None}}
    notes = compound_radius_notes(analysis.experiment, [*fixed, *start, *axes])
    if notes:
        out["notes"] = notes
    fc_out: dict[str, Any] = {}
    if fc["method"] == "fc":  # Feldman–Cousins critical values per grid point (cevns.cli.feldman_cousins)
        out["feldman_cousins"] = fc_out = scan_fc(lk, axes, config, out_path, resume, fc, workers, dask_address)
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"{analysis.name}: {state.chi2.size} points, chi2_min = {out['chi2_min']:.4g} at "
               + ", ".join(f"{k}={v:.4g}" for k, v in best.items()))
    for name, levels_ in ranges.items():
        for level, pieces in levels_.items():
            click.echo(f"  {name} {level:5s} {intervals_text(pieces, open_ends[name][level])}")
    if emulator is not None and emulator.nodes:
        click.echo(f"evaluation: {prepared[1]} ({emulator.text()})")
    for note in notes:
        click.echo(f"note: {note}")
    if fc_out:
        click.echo("\n".join(fc_lines(fc_out, tuple(axes))))
        click.echo(f"wrote {fc_out['out']}")
    click.echo(f"wrote {path}" + (f" and {plot_path}" if plot_path else ""))


@click.command("toys")
@click.argument("experiment")
@click.option("--free", "free", multiple=True, required=True, metavar="NAME[=TRUTH]",
              help="A fitted parameter and its true value (default: the experiment's value); repeatable.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help=FIX_HELP)
@SET_OPTION
@click.option("--n", "n_toys", default=1000, show_default=True, type=int, help="Number of pseudo-experiments.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed (chunk k uses [seed, k]).")
@click.option("--chunk", default=100, show_default=True, type=click.IntRange(min=1), help="Pseudo-experiments per task.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Result file (.npz), written as it goes.")
@click.option("--resume", is_flag=True, help="Continue the study in --out (same configuration).")
@WORKERS_OPTION
@DASK_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@DATA_RELEASE_OPTION
@NO_VERIFY_OPTION
def toys_command(experiment: str, free: tuple[str, ...], params: tuple[str, ...], settings: tuple[str, ...], n_toys: int,
                 seed: int, chunk: int, out_path: str, resume: bool, workers: int, dask_address: str | None,
                 as_json: bool, release_folder: tuple[str, ...], no_verify: bool) -> None:
    """Pseudo-experiments at a true point: coverage of the Wilks thresholds and
    Feldman–Cousins critical Δχ² for the --free parameters. An experiment draws them from
    its [data] forecast; a data release (--data-release) or a combination by the profile
    construction on the real data (cevns.stats.feldman_cousins)."""
    import numpy as np

    from cevns.runtime.parallel import executor
    from cevns.runtime.stores import read_store
    from cevns.releases.combinations import is_combination
    from cevns.stats.array_files import is_array
    from cevns.stats.chi2 import delta_chi2_threshold
    from cevns.stats.fits import ONE_DOF_LEVELS, TWO_DOF_LEVELS, ExperimentLikelihood
    from cevns.stats.toys import ToyResult, empty_toys, run_toys, toy_study

    check_directories(out_path)
    if n_toys < 1:
        raise UserError(f"--n must be ≥ 1, got {n_toys}")
    if is_array(experiment) and not is_combination(experiment):
        raise UserError("cevns toys takes an experiment, a data release or a combination; detector arrays are not supported yet")
    fixed = parse_params(params)
    lk: Likelihood
    if release_folder or is_combination(experiment):
        analysis = analysis_of(experiment, settings, fixed, False, release_folder, no_verify)
        truth = _start_values(free, analysis)
        fixed_and_free(fixed, truth)
        lk, label, description = analysis.likelihood, analysis.name, analysis.description
    else:
        exp = load(experiment, settings)
        truth = free_parameters(free, exp)
        fixed_and_free(fixed, truth)
        lk = ExperimentLikelihood(exp.predictor(), exp.measurement(forecast=True), fixed)
        label, description = exp.name, exp.spec.model_dump(mode="json")
    names = tuple(truth)
    config = {"experiment": description, "truth": truth, "fixed": fixed, "n": n_toys, "seed": seed,
              "chunk": chunk, "version": _version()}
    path = Path(out_path)
    lock_output(path, config, "pseudo-experiment file")  # one writer (cevns.runtime.locks)
    if resume and path.exists():
        arrays = read_store(path, config, ("statistic", "best", "done"))
        state = ToyResult(names, arrays["statistic"], arrays["best"], arrays["done"].astype(bool))
    else:
        state = empty_toys(names, n_toys)

    def toy_arrays() -> dict[str, np.ndarray]:
        return {"names": np.array(names), "statistic": state.statistic, "best": state.best, "done": state.done}

    study = toy_study(lk, truth, seed)
    save = _Saver(path, config, toy_arrays)
    with click.progressbar(length=int((~state.done).sum()), label="toys", file=sys.stderr, show_eta=True) as bar:
        def progress(current: ToyResult, n_new: int) -> None:
            bar.update(n_new)

        plan = _plan_toys(study, state, workers, dask_address)
        with executor(plan.workers, plan.dask) as pool:
            run_toys(study, state, chunk, progress, pool, on_part=save)
    save.finish()
    levels = ONE_DOF_LEVELS if len(names) == 1 else TWO_DOF_LEVELS
    out: dict[str, Any] = {
        "experiment": label, "out": str(path), "n": n_toys, "truth": truth, "seed": seed,
        "wilks": {k: float(delta_chi2_threshold(v, len(names))) for k, v in levels.items()},
        "critical_delta_chi2": state.critical_values(levels), "coverage": state.coverage(levels),
        "median_best_fit": {n: float(np.median(state.best[:, i])) for i, n in enumerate(names)},
    }
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"{label}: {n_toys} pseudo-experiments at " + ", ".join(f"{k}={v:.6g}" for k, v in truth.items()))
    for level in levels:
        click.echo(f"  {level:7s} Wilks Δχ² {out['wilks'][level]:.3f}  critical {out['critical_delta_chi2'][level]:.3f}  "
                   f"coverage of Wilks {out['coverage'][level]:.3f}")
    click.echo(f"wrote {path}")


#: Scans of at most this many points to do are not timed by :func:`_scan_cost`: even at a
#: minute a point (a profiled fit) they stay far below any sensible CPU-time limit.
_UNTIMED_SCAN_POINTS = 256


def _scan_cost(prepared: tuple[Callable[[np.ndarray], np.ndarray], str], axes: Mapping[str, np.ndarray], todo: int,
               pending: Callable[[int], np.ndarray]) -> float | None:
    """Seconds of CPU per point of the ``todo`` points of the scan over ``axes`` still to do,
    timed on the first few of them, ``pending(k)`` (flat indices; values discarded: up to 4
    point by point, up to 8192 with the polynomial signal or an emulator, whose cost is mostly per call);
    None for a scan of at most ``_UNTIMED_SCAN_POINTS``. Points × cost beyond the CPU-time
    limit (:func:`cevns.runtime.resources.check_time`, ``CEVNS_MAX_HOURS``) is refused with
    one line naming the axes."""

    from cevns.runtime.parallel import time_per_item
    from cevns.runtime.resources import check_time

    if todo <= _UNTIMED_SCAN_POINTS:
        return None
    evaluate, method = prepared
    sample = pending(8192 if method in ("polynomial", "emulated") else 4)
    cost = time_per_item(evaluate, (sample,), sample.size)
    names = ", ".join(f"{name}: {values.size} points" for name, values in axes.items())
    check_time(f"a scan of {todo:.3g} points ({names}; {method} evaluation, {cost * 1e3:.2g} ms a point)",
               todo * cost, "use fewer points per axis")
    return cost


def _plan_scan(prepared: tuple[Callable[[np.ndarray], np.ndarray], str], state: Scan, workers: int,
               dask_address: str | None, measured: float | None = None) -> ExecutionPlan:
    """The executor for a scan: serial where workers cannot help (the reason on stderr,
    once). The per-point cost is ``measured`` (:func:`_scan_cost`), else timed on up to 4
    points whose values are discarded."""

    from cevns.runtime.parallel import plan_execution, time_per_item

    todo = state.remaining()
    evaluate, method = prepared
    polynomial = method in ("polynomial", "emulated")  # a few µs a point: no workers
    wants = workers > 1 or dask_address is not None
    if not wants or polynomial or not todo:
        cost = 0.0
    elif measured is not None:
        cost = measured
    else:
        cost = time_per_item(evaluate, (state.pending(4),), min(4, todo))
    plan = plan_execution(todo, cost, workers, polynomial, dask_address)
    if plan.reason:
        click.echo(plan.reason, err=True)
    return plan


def _plan_toys(study: ToyStudy, state: ToyResult, workers: int, dask_address: str | None) -> ExecutionPlan:
    """The executor for pseudo-experiments: serial where workers cannot help (the reason
    on stderr, once); the cost per pseudo-experiment is timed on 2 discarded ones."""
    from cevns.runtime.parallel import plan_execution, time_per_item

    todo = int((~state.done).sum())
    wants = workers > 1 or dask_address is not None
    cost = time_per_item(study, (0, 2), 2) if wants and todo else 0.0
    plan = plan_execution(todo, cost, workers, False, dask_address)
    if plan.reason:
        click.echo(plan.reason, err=True)
    return plan


def _version() -> str:
    """The installed version, recorded with stored scans and toys (read when needed: the
    metadata look-up costs start-up time)."""
    from cevns import __version__

    return __version__
