"""``--method fc`` of ``cevns fit`` and ``cevns scan``: Feldman–Cousins intervals from
pseudo-experiments (:mod:`cevns.stats.feldman_cousins`; G. J. Feldman, R. D. Cousins,
Phys. Rev. D 57, 3873 (1998), arXiv:physics/9711021), run in chunks that are saved as
they finish (an interrupted study resumes bit for bit with ``--resume``), on the
executor :func:`cevns.runtime.parallel.plan_execution` chooses.

Like every command module, nothing of the library is imported at module level.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import click

from cevns.cli.common import UserError

if TYPE_CHECKING:
    import numpy as np

    from cevns.stats.feldman_cousins import FCResult
    from cevns.stats.likelihood import Likelihood

#: Pseudo-experiments per stored chunk (part of the stored configuration).
CHUNK = 50

METHOD_OPTION = click.option(
    "--method", type=click.Choice(["wilks", "fc"]), default="wilks", show_default=True,
    help="Intervals from Wilks' Δχ² thresholds, or Feldman–Cousins critical values from pseudo-experiments (fc).")
TOYS_OPTION = click.option("--toys", "n_toys", default=500, show_default=True, type=click.IntRange(min=1),
                           help="--method fc: pseudo-experiments per grid point.")
SEED_OPTION = click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0),
                           help="--method fc: seed (grid point p, chunk c use [seed, p, c]).")


def fc_store_path(out_path: str) -> Path:
    """Where a scan's Feldman–Cousins pseudo-experiments are stored: next to the scan file,
    ``NAME.fc.npz`` for ``NAME.npz``."""
    path = Path(out_path)
    return path.with_name(path.stem + ".fc.npz")


def run_feldman_cousins(
    likelihood: Likelihood,
    axes: Mapping[str, np.ndarray],
    config: dict[str, Any],
    path: Path | None,
    resume: bool,
    n_toys: int,
    seed: int,
    workers: int = 1,
    dask_address: str | None = None,
) -> FCResult:
    """The Feldman–Cousins study of ``likelihood`` on the grid ``axes`` with ``n_toys``
    pseudo-experiments per point, saved chunk by chunk at ``path`` (None: not saved), or
    continued from there with ``resume``; ``config`` (the analysis) is stored with it and
    must match on resume."""
    import numpy as np

    from cevns.cli.inference import _Saver, _version
    from cevns.runtime.parallel import executor, plan_execution, time_per_item
    from cevns.runtime.stores import read_store
    from cevns.stats.feldman_cousins import FCResult, data_statistic, empty_fc, fc_study, run_fc

    study = fc_study(likelihood, axes, seed)
    study.sampler(likelihood, study.signals[0])  # an unsupported likelihood fails here, with one line
    stored = {**config, "method": "fc", "fc_axes": {k: [float(a[0]), float(a[-1]), int(a.size)] for k, a in axes.items()},
              "toys": n_toys, "seed": seed, "chunk": CHUNK, "version": _version()}
    if resume and path is not None and path.exists():
        arrays = read_store(path, stored, ("statistic", "done"))
        if arrays["statistic"].shape != (study.signals.shape[0], n_toys) or arrays["done"].shape != arrays["statistic"].shape:
            raise UserError(f"cannot resume from {path}: its arrays do not match the grid and --toys")
        state = FCResult(study.names, study.axes, arrays["statistic"], arrays["done"].astype(bool), data_statistic(study))
    else:
        state = empty_fc(study, n_toys)

    def arrays_now() -> dict[str, np.ndarray]:
        axes_arrays = {f"axis_{i}": a for i, a in enumerate(state.axes)}
        return {"names": np.array(state.names), **axes_arrays, "statistic": state.statistic, "done": state.done,
                "data": state.data}

    save = _Saver(path, stored, arrays_now) if path is not None else None
    todo = int((~state.done).sum())
    with click.progressbar(length=todo, label="Feldman-Cousins pseudo-experiments", file=sys.stderr, show_eta=True) as bar:
        def progress(current: FCResult, n_new: int) -> None:
            bar.update(n_new)

        wants = workers > 1 or dask_address is not None
        cost = time_per_item(study, (0, 0, 2), 2) if wants and todo else 0.0
        plan = plan_execution(todo, cost, workers, False, dask_address)
        if plan.reason:
            click.echo(plan.reason, err=True)
        with executor(plan.workers, plan.dask) as pool:
            run_fc(study, state, CHUNK, progress, pool, on_part=save)
    if save is not None:
        save.finish()
    return state


def fc_summary(state: FCResult, levels: Mapping[str, float]) -> dict[str, Any]:
    """What ``--json`` reports: per level the Wilks threshold, the critical values t_c and
    the coverage of the Wilks threshold per grid point, the accepted points, and for one
    parameter the FC intervals."""
    from cevns.stats.chi2 import delta_chi2_threshold

    dof = len(state.axes)
    out: dict[str, Any] = {
        "toys_per_point": int(state.done.shape[1]),
        "axes": {n: a.tolist() for n, a in zip(state.names, state.axes)},
        "wilks": {k: float(delta_chi2_threshold(v, dof)) for k, v in levels.items()},
        "critical_delta_chi2": {k: v.tolist() for k, v in state.critical_values(levels).items()},
        "coverage_of_wilks": {k: v.tolist() for k, v in state.wilks_coverage(levels).items()},
        "accepted": {k: v.tolist() for k, v in state.accepted(levels).items()},
        "data_delta_chi2": state.data.reshape(state.shape).tolist(),
    }
    if dof == 1:
        out["intervals"] = state.intervals(levels)
    return out


def fc_lines(summary: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    """Text lines of :func:`fc_summary`: FC intervals (one parameter) or the number of
    accepted grid points next to Wilks' (two), with the range of t_c over the grid."""
    import numpy as np

    from cevns.cli.common import intervals_text

    lines = [f"  Feldman-Cousins ({summary['toys_per_point']} pseudo-experiments per point):"]
    data = np.asarray(summary["data_delta_chi2"], dtype=float)
    for level, wilks in summary["wilks"].items():
        tc = np.asarray(summary["critical_delta_chi2"][level], dtype=float)
        span = f"t_c {np.nanmin(tc):.3g}..{np.nanmax(tc):.3g} (Wilks {wilks:.3g})"
        if "intervals" in summary:
            lines.append(f"    {level:7s} {intervals_text(summary['intervals'][level])}   {span}")
        else:
            fc_n = int(np.sum(summary["accepted"][level]))
            lines.append(f"    {level:7s} {fc_n} of {data.size} points accepted (Wilks: {int(np.sum(data <= wilks))})   {span}")
    return lines




FIT_OUT_OPTION = click.option("--out", "fc_out", type=click.Path(dir_okay=False),
                              help="--method fc: file (.npz) for the pseudo-experiments, written as they go.")
FIT_RESUME_OPTION = click.option("--resume", "fc_resume", is_flag=True, help="--method fc: continue the study in --out.")


def fit_fc_options(function: Any) -> Any:
    """The ``--method fc`` options of ``cevns fit`` (method, toys, seed, out, resume, workers)."""
    from cevns.cli.common import WORKERS_OPTION

    for option in reversed((METHOD_OPTION, TOYS_OPTION, SEED_OPTION, FIT_OUT_OPTION, FIT_RESUME_OPTION, WORKERS_OPTION)):
        function = option(function)
    return function


def scan_fc_options(function: Any) -> Any:
    """The ``--method fc`` options of ``cevns scan`` (method, toys, seed; the scan's own
    --out, --resume and --workers apply)."""
    for option in reversed((METHOD_OPTION, TOYS_OPTION, SEED_OPTION)):
        function = option(function)
    return function


def check_scan_fc(fc: Mapping[str, Any], free: Mapping[str, float]) -> None:
    """Before a scan runs: ``--method fc`` tests the scan axes only (no --free parameters)."""
    if fc.get("method") == "fc" and free:
        raise UserError("--method fc tests the scan axes with every other parameter fixed: drop --free or fix it with --param")


def check_fit_fc(fc: Mapping[str, Any], free: Mapping[str, float]) -> None:
    """Before a fit runs: ``--method fc`` takes exactly one --free parameter."""
    if fc.get("method") == "fc" and len(free) != 1:
        raise UserError("--method fc fits one --free parameter (with two, use cevns scan --method fc on a grid)")


def fit_fc(likelihood: Likelihood, grids: Mapping[str, np.ndarray], description: dict[str, Any], fixed: Mapping[str, Any],
           asimov: bool, fc: Mapping[str, Any]) -> dict[str, Any]:
    """``cevns fit --method fc``: the Feldman–Cousins intervals of the one free parameter on
    its profile grid (the summary of :func:`fc_summary`)."""
    from cevns.cli.common import check_directories
    from cevns.stats.fits import ONE_DOF_LEVELS

    if len(grids) != 1:
        raise UserError("--method fc fits one --free parameter (with two, use cevns scan --method fc on a grid)")
    check_directories(fc.get("fc_out"))
    path = Path(fc["fc_out"]) if fc.get("fc_out") else None
    config = {"experiment": description, "fixed": dict(fixed), "asimov": asimov}
    state = run_feldman_cousins(likelihood, grids, config, path, bool(fc.get("fc_resume")), int(fc["n_toys"]), int(fc["seed"]),
                                int(fc.get("workers", 1)))
    return fc_summary(state, ONE_DOF_LEVELS)


def scan_fc(likelihood: Likelihood, axes: Mapping[str, np.ndarray], config: dict[str, Any], out_path: str, resume: bool,
            fc: Mapping[str, Any], workers: int, dask_address: str | None) -> dict[str, Any]:
    """``cevns scan --method fc``: critical values per grid point (one or two axes), stored
    next to the scan (:func:`fc_store_path`); the summary of :func:`fc_summary` plus the
    store's path."""
    from cevns.stats.fits import ONE_DOF_LEVELS, TWO_DOF_LEVELS

    if len(axes) > 2:
        raise UserError("--method fc takes one or two scan axes")
    path = fc_store_path(out_path)
    state = run_feldman_cousins(likelihood, axes, config, path, resume, int(fc["n_toys"]), int(fc["seed"]), workers, dask_address)
    return {"out": str(path), **fc_summary(state, ONE_DOF_LEVELS if len(axes) == 1 else TWO_DOF_LEVELS)}


__all__ = ["CHUNK", "METHOD_OPTION", "SEED_OPTION", "TOYS_OPTION", "check_fit_fc", "check_scan_fc", "fc_lines", "fc_store_path", "fc_summary",
           "fit_fc", "fit_fc_options", "run_feldman_cousins", "scan_fc", "scan_fc_options"]
