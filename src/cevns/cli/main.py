"""The ``cevns`` command line: a thin click layer over the library.

Errors in the user's input end with one line on stderr (``error: ...``) and exit status
2; output files are written atomically (temporary file, then rename), so a failed run
leaves none behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
import sys
from pathlib import Path
from typing import Callable

import click
import numpy as np

from cevns import __version__
from cevns.physics.cross_sections import FLAVORS, SIN2_THETA_W_LOW_ENERGY, NuclearStructure, couplings_by_name
from cevns.stats.arrays import ArrayLikelihood, is_array, load_array, shipped_arrays
from cevns.config.experiments import Experiment, ExperimentError, load_experiment, parse_override, shipped_experiments
from cevns.physics.form_factors import FORM_FACTOR_MODELS, FormFactor
from cevns.physics.kinematics import momentum_transfer, neutrino_energy_min, recoil_max
from cevns.physics.interactions import PhysicsModel, differential_cross_section, total_cross_section
from cevns.physics.nuclei import resolve_target
from cevns.stats.fits import ONE_DOF_LEVELS, TWO_DOF_LEVELS, Likelihood, fit, profile, profile_range
from cevns.runtime.parallel import executor
from cevns.stats.scans import Scan, empty_scan, scan
from cevns.runtime.stores import atomic_write, read_store, write_store
from cevns.physics.parameters import parameter, parameter_table
from cevns.stats.chi2 import delta_chi2_threshold
from cevns.rates.prediction import counts_table, model_with_parameters, target_flux_averaged_cross_section
from cevns.units import keV


class UserError(Exception):
    """Bad input: reported as one line, exit status 2."""


def _atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path``."""
    atomic_write(path, write)


def _save_figure(fig, path: str) -> None:
    """Write a matplotlib figure atomically, in the format its suffix names (PNG default)."""
    suffix = Path(path).suffix.lstrip(".") or "png"
    _atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=150, format=suffix))


def _positive(name: str, value: float, limit: float = 1e4) -> float:
    if not np.isfinite(value) or value <= 0:
        raise UserError(f"{name} must be a positive number, got {value}")
    if value > limit:
        raise UserError(f"{name} = {value} is beyond {limit:g}: coherent scattering needs E ≲ a few hundred MeV")
    return value


def _load(experiment: str, settings: tuple[str, ...]):
    overrides = dict(parse_override(s) for s in settings)
    return load_experiment(experiment, overrides)


def _parse_params(items: tuple[str, ...]) -> dict[str, float | str]:
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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cevns")
def cli() -> None:
    """Coherent elastic neutrino-nucleus scattering: predictions for any experiment."""


@cli.command("experiments")
def experiments_command() -> None:
    """List the shipped experiments and detector arrays (fit and scan take either)."""
    for name, description in shipped_experiments().items():
        click.echo(f"{name:28s} {description}")
    for name, description in shipped_arrays().items():
        click.echo(f"{name:28s} [array] {description}")


_SET_HELP = "Override a field of the experiment file by dotted path, e.g. detector.mass_kg=20 (repeatable)."
_PARAM_HELP = "Set a physics parameter, e.g. eps_ee_uV=0.1 or mu_nu_e=1e-9 (repeatable; `cevns params` lists them)."


@cli.command("params")
@click.argument("experiment", required=False)
@click.option("--set", "settings", multiple=True, metavar="PATH=VALUE", help=_SET_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def params_command(experiment: str | None, settings: tuple[str, ...], as_json: bool) -> None:
    """List the physics parameters (name, unit, default, meaning). With EXPERIMENT, also its
    per-isotope radii and the values the experiment uses."""
    isotopes, values = (), {}
    if experiment:
        exp = _load(experiment, settings)
        isotopes = [iso.name for iso in exp.target.isotopes]
        values = _experiment_values(exp)
    rows = parameter_table(isotopes)
    for row in rows:
        if row["name"] in values:
            row["default"] = f"{values[row['name']]:.6g}"
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max(len(r["name"]) for r in rows)
    for row in rows:
        click.echo(f"{row['name']:{width}s}  {row['unit']:10s} {row['default']:28s} {row['description']}")


def _experiment_values(exp) -> dict[str, float]:
    """Values an experiment uses for the parameters it sets (radii, weak mixing angle)."""
    out: dict[str, float] = {"sin2_theta_w": exp.spec.couplings.sin2_theta_w}
    for iso in exp.target.isotopes:
        rp, rn = exp.structure.radii_fm(iso)
        out[f"rp_{iso.name}"], out[f"rn_{iso.name}"] = rp, rn
    for name, value in exp.model.parameters.items():
        if isinstance(value, float):
            out[name] = value
    return out


@cli.command("events")
@click.argument("experiment")
@click.option("--set", "settings", multiple=True, metavar="PATH=VALUE", help=_SET_HELP)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help=_PARAM_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def events_command(experiment: str, settings: tuple[str, ...], params: tuple[str, ...], as_json: bool) -> None:
    """Expected counts of EXPERIMENT (a shipped name or a .toml file), by isotope and flavour."""
    exp = _load(experiment, settings)
    parameters = _parse_params(params)
    table = counts_table(exp.binned_counts(parameters))
    if as_json:
        click.echo(json.dumps({"experiment": exp.name, "parameters": {**exp.model.parameters, **parameters}, **table}, indent=2))
        return
    click.echo(f"{exp.name}: {exp.description}")
    if parameters:
        click.echo("parameters: " + ", ".join(f"{k}={v}" for k, v in parameters.items()))
    click.echo(f"total expected counts: {table['total']:.2f}")
    click.echo("by isotope: " + ", ".join(f"{k} {v:.2f}" for k, v in table["by_isotope"].items()))
    click.echo("by flavour: " + ", ".join(f"{k} {v:.2f}" for k, v in table["by_flavor"].items()))
    click.echo(f"bins [{table['observable']}]:")
    for row in table["bins"]:
        click.echo(f"  {row['low']:10.4g} - {row['high']:<10.4g} {row['counts']:12.4f}")


@cli.command("spectrum")
@click.argument("experiment")
@click.option("--set", "settings", multiple=True, metavar="PATH=VALUE", help=_SET_HELP)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help=_PARAM_HELP)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write dR/dT (counts/keVnr) per flavour and isotope.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write a figure (PNG, PDF, ...).")
@click.option("--points", default=200, show_default=True, type=click.IntRange(min=2), help="Recoil grid points.")
def spectrum_command(
    experiment: str, settings: tuple[str, ...], params: tuple[str, ...], csv_path: str | None, plot_path: str | None, points: int
) -> None:
    """Recoil spectrum and binned counts of EXPERIMENT."""
    for out in (csv_path, plot_path):  # check every destination before writing any
        if out and not Path(out).resolve().parent.is_dir():
            raise UserError(f"directory {Path(out).parent} does not exist")
    exp = _load(experiment, settings)
    parameters = _parse_params(params)
    t_max = max(float(recoil_max(exp.source.max_energy, iso.mass)) for iso in exp.target.isotopes) / keV
    recoil = np.linspace(t_max / points, t_max, points)
    rates = exp.differential_rates(recoil, parameters)
    counts = exp.binned_counts(parameters)
    by_flavor = {f: sum(r[f] for r in rates.values()) for f in counts.flavors}
    header = ["recoil_keVnr", "total"] + [f"flavor:{f}" for f in by_flavor] + [f"isotope:{i}" for i in rates]
    columns = [recoil, sum(by_flavor.values())] + list(by_flavor.values()) + [sum(r.values()) for r in rates.values()]
    if csv_path:
        data = np.column_stack(columns)
        comment = f"{exp.name}: dR/dT in counts per keVnr for the whole exposure"
        _atomic_write(csv_path, lambda tmp: np.savetxt(tmp, data, delimiter=",", header=comment + "\n" + ",".join(header), fmt="%.8g"))
        click.echo(f"wrote {csv_path}")
    if plot_path:
        from cevns.plotting import spectrum_figure

        fig = spectrum_figure(f"{exp.name}", recoil, by_flavor, counts)
        _save_figure(fig, plot_path)
        click.echo(f"wrote {plot_path}")
    if not (csv_path or plot_path):
        click.echo(",".join(header))
        for row in np.column_stack(columns)[:: max(1, points // 20)]:
            click.echo(",".join(f"{v:.6g}" for v in row))


def _free_parameters(items: tuple[str, ...], exp) -> dict[str, float]:
    """``--free NAME[=START]`` → {name: start}; the start defaults to the experiment's
    value (radii, sin²θ_W) or the parameter's default."""
    values = _experiment_values(exp)
    out: dict[str, float] = {}
    for item in items:
        name, sep, raw = item.partition("=")
        name = name.strip()
        par = parameter(name)
        if par.choices:
            raise UserError(f"--free {name}: a named choice cannot be fitted")
        if sep:
            try:
                out[name] = float(raw)
            except ValueError:
                raise UserError(f"--free {item!r}: the start value must be a number") from None
        elif name in values:
            out[name] = float(values[name])
        elif name == "rn" or name == "rp":
            key = f"{name}_{exp.target.isotopes[0].name}"
            out[name] = float(values[key])
        else:
            default = par.default if isinstance(par.default, float) else 0.0
            out[name] = default if default != 0.0 or par.low is None or par.low < 0 else max(par.low, 0.0)
    return out


@dataclass(frozen=True)
class _Analysis:
    """What fit and scan need of an experiment or a detector array: the likelihood, an
    experiment for default start values, the description stored with scans, and labels."""

    likelihood: Likelihood | ArrayLikelihood
    experiment: Experiment
    description: dict
    name: str
    data_label: str
    statistic: str


def _analysis(name: str, settings: tuple[str, ...], fixed: dict, asimov: bool) -> _Analysis:
    """An experiment file (its ``[data]``) or an array file (``[[member]]`` tables)."""
    overrides = dict(parse_override(s) for s in settings)
    if is_array(name):
        arr = load_array(name, overrides)
        lk = arr.likelihood(fixed, asimov)
        first = next((m.experiment for m in arr.members if m.experiment is not None), None)
        return _Analysis(lk, first, arr.describe(), arr.name, lk.label, lk.statistic)
    exp = load_experiment(name, overrides)
    lk = Likelihood(exp.predictor(), exp.measurement(forecast=asimov), fixed)
    lk = lk.asimov() if asimov else lk
    return _Analysis(lk, exp, exp.spec.model_dump(mode="json"), exp.name, lk.measurement.label, lk.measurement.statistic)


@cli.command("fit")
@click.argument("experiment")
@click.option("--free", "free", multiple=True, required=True, metavar="NAME[=START]", help="A parameter to fit (repeatable).")
@click.option("--set", "settings", multiple=True, metavar="PATH=VALUE", help=_SET_HELP)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Fix a physics parameter (repeatable).")
@click.option("--asimov", is_flag=True, help="Fit the SM prediction instead of the data (a forecast).")
@click.option("--points", default=61, show_default=True, type=click.IntRange(min=5), help="Profile points per parameter.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write the Δχ² profile of the first free parameter.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (best_fit, chi2_min, intervals).")
def fit_command(experiment, free, settings, params, asimov, points, plot_path, as_json) -> None:
    """Best fit of the --free parameters of EXPERIMENT to its data, with Δχ² intervals."""
    if plot_path and not Path(plot_path).resolve().parent.is_dir():
        raise UserError(f"directory {Path(plot_path).parent} does not exist")
    fixed = _parse_params(params)
    analysis = _analysis(experiment, settings, fixed, asimov)
    exp, lk = analysis.experiment, analysis.likelihood
    start = _free_parameters(free, exp)
    overlap = set(start) & set(fixed)
    if overlap:
        raise UserError(f"{', '.join(sorted(overlap))} is both fixed (--param) and free (--free)")
    best = fit(lk, start)
    profiles = {}
    for name in start:
        lo, hi = profile_range(name, best)
        profiles[name] = profile(lk, name, np.linspace(lo, hi, points), best)
        if profiles[name].flat:
            others = f" with {', '.join(n for n in start if n != name)} free" if len(start) > 1 else ""
            raise UserError(f"the data do not constrain {name}{others}: Δχ² < 1 over the whole profile range [{lo:.4g}, {hi:.4g}]; "
                            "fix a parameter or add data")
    out = {
        "experiment": analysis.name,
        "data": analysis.data_label,
        "statistic": analysis.statistic,
        "best_fit": best.values,
        "chi2_min": min(best.chi2_min, *(p.chi2_min for p in profiles.values())),
        "errors": best.errors,
        "valid": best.valid,
        "intervals": {name: p.intervals() for name, p in profiles.items()},
    }
    if plot_path:
        from cevns.plotting import profile_figure

        first = next(iter(profiles.values()))
        levels = {k: float(delta_chi2_threshold(v, 1)) for k, v in ONE_DOF_LEVELS.items()}
        fig = profile_figure(first.name, first.grid, first.delta_chi2, levels, f"{analysis.name}: {analysis.data_label}")
        _save_figure(fig, plot_path)
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"{analysis.name} vs {out['data']} ({out['statistic']}): chi2_min = {out['chi2_min']:.4g}")
    for name, value in best.values.items():
        click.echo(f"  {name} = {value:.6g} ± {best.errors[name]:.2g}")
        for level, pieces in out["intervals"][name].items():
            text = " ∪ ".join(f"[{a:.4g}, {b:.4g}]" for a, b in pieces) or "none"
            click.echo(f"    {level:7s} {text}")
    if plot_path:
        click.echo(f"wrote {plot_path}")


def _scan_axes(params: tuple[str, ...]) -> tuple[dict[str, np.ndarray], dict[str, float | str]]:
    """``NAME=LOW:HIGH:N`` → axis; ``NAME=VALUE`` → fixed value."""
    axes: dict[str, np.ndarray] = {}
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
            par = parameter(name.strip())
            for x in (lo, hi):
                par.check(x)
            axes[name.strip()] = np.linspace(lo, hi, n)
        else:
            fixed.update(_parse_params((item,)))
    if not axes:
        raise UserError("give at least one scan axis: --param NAME=LOW:HIGH:N")
    return axes, fixed


def _read_scan(path: Path, config: dict, axes: dict[str, np.ndarray]) -> Scan:
    arrays = read_store(path, config, ("chi2", "done"))
    if arrays["chi2"].shape != arrays["done"].shape or arrays["chi2"].shape != tuple(a.size for a in axes.values()):
        raise UserError(f"cannot resume from {path}: its arrays do not match the grid")
    return Scan(axes, arrays["chi2"], arrays["done"].astype(bool))


def _write_scan(path: Path, state: Scan, config: dict) -> None:
    arrays = {f"axis_{i}": a for i, a in enumerate(state.axes.values())}
    write_store(path, config, {"names": np.array(list(state.axes)), "chi2": state.chi2, "done": state.done, **arrays})


_WORKERS_HELP = "Local worker processes (1: in this process)."
_DASK_HELP = "Run on a Dask cluster: a scheduler address (tcp://host:8786) or 'local' (a LocalCluster of --workers)."


@cli.command("scan")
@click.argument("experiment")
@click.option("--param", "params", multiple=True, required=True, metavar="NAME=LOW:HIGH:N | NAME=VALUE",
              help="A scan axis (LOW:HIGH:N) or a fixed parameter (repeatable).")
@click.option("--free", "free", multiple=True, metavar="NAME[=START]", help="A parameter minimised at every grid point.")
@click.option("--set", "settings", multiple=True, metavar="PATH=VALUE", help=_SET_HELP)
@click.option("--asimov", is_flag=True, help="Scan against the SM prediction instead of the data (a forecast).")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Scan file (.npz), written as it goes.")
@click.option("--resume", is_flag=True, help="Continue the scan in --out (same configuration) instead of starting over.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Profile (1 axis) or regions (2 axes).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help=_WORKERS_HELP)
@click.option("--dask", "dask_address", metavar="ADDRESS|local", help=_DASK_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def scan_command(experiment, params, free, settings, asimov, out_path, resume, plot_path, workers, dask_address, as_json) -> None:
    """Δχ² of EXPERIMENT on a grid of parameters, nuisances profiled; resumable."""
    for p in (out_path, plot_path):
        if p and not Path(p).resolve().parent.is_dir():
            raise UserError(f"directory {Path(p).parent} does not exist")
    axes, fixed = _scan_axes(params)
    analysis = _analysis(experiment, settings, fixed, asimov)
    exp, lk = analysis.experiment, analysis.likelihood
    start = _free_parameters(free, exp) if free else {}
    clash = (set(axes) | set(start)) & set(fixed) or set(axes) & set(start)
    if clash:
        raise UserError(f"{', '.join(sorted(clash))} is given more than once (axis, --free or fixed)")
    config = {
        "experiment": analysis.description, "axes": {k: [float(a[0]), float(a[-1]), int(a.size)] for k, a in axes.items()},
        "fixed": fixed, "free": start, "asimov": asimov, "version": __version__,
    }
    path = Path(out_path)
    state = _read_scan(path, config, axes) if resume and path.exists() else empty_scan(axes)
    todo = int((~state.done).sum())
    with click.progressbar(length=todo, label="scan", file=sys.stderr, show_eta=True) as bar:
        def save(current: Scan, n_new: int) -> None:
            _write_scan(path, current, config)
            bar.update(n_new)

        if todo == 0:
            _write_scan(path, state, config)
        with executor(workers, dask_address) as pool:
            scan(lk, state, start or None, on_chunk=save, executor=pool)
    ranges = state.allowed_ranges()
    best = state.best()
    if plot_path:
        from cevns.plotting import profile_figure, region_figure

        dof = len(axes)
        if dof > 2:
            raise UserError("--plot draws one or two axes")
        levels = {k: float(delta_chi2_threshold(v, dof)) for k, v in (ONE_DOF_LEVELS if dof == 1 else TWO_DOF_LEVELS).items()}
        names = list(axes)
        title = f"{analysis.name}: {analysis.data_label}"
        if dof == 1:
            fig = profile_figure(names[0], axes[names[0]], state.delta_chi2, levels, title)
        else:
            fig = region_figure((names[0], names[1]), axes[names[0]], axes[names[1]], state.delta_chi2, levels, (best[names[0]], best[names[1]]), title)
        _save_figure(fig, plot_path)
    out = {"experiment": analysis.name, "out": str(path), "points": int(state.chi2.size), "best_fit": best,
           "chi2_min": float(np.nanmin(state.chi2)), "allowed": ranges}
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"{analysis.name}: {state.chi2.size} points, chi2_min = {out['chi2_min']:.4g} at " + ", ".join(f"{k}={v:.4g}" for k, v in best.items()))
    for name, levels_ in ranges.items():
        for level, pieces in levels_.items():
            text = " ∪ ".join(f"[{a:.4g}, {b:.4g}]" for a, b in pieces) or "none"
            click.echo(f"  {name} {level:5s} {text}")
    click.echo(f"wrote {path}" + (f" and {plot_path}" if plot_path else ""))


@cli.command("toys")
@click.argument("experiment")
@click.option("--free", "free", multiple=True, required=True, metavar="NAME[=TRUTH]",
              help="A fitted parameter and its true value (default: the experiment's value); repeatable.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Fix a physics parameter (repeatable).")
@click.option("--set", "settings", multiple=True, metavar="PATH=VALUE", help=_SET_HELP)
@click.option("--n", "n_toys", default=1000, show_default=True, type=int, help="Number of pseudo-experiments.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0), help="Seed (chunk k uses [seed, k]).")
@click.option("--chunk", default=100, show_default=True, type=click.IntRange(min=1), help="Pseudo-experiments per task.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="Result file (.npz), written as it goes.")
@click.option("--resume", is_flag=True, help="Continue the study in --out (same configuration).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1), help=_WORKERS_HELP)
@click.option("--dask", "dask_address", metavar="ADDRESS|local", help=_DASK_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def toys_command(experiment, free, params, settings, n_toys, seed, chunk, out_path, resume, workers, dask_address, as_json) -> None:
    """Pseudo-experiments at a true point: coverage of the Wilks thresholds and
    Feldman–Cousins critical Δχ² for the --free parameters."""
    from cevns.stats.toys import ToyResult, empty_toys, run_toys, toy_study

    if not Path(out_path).resolve().parent.is_dir():
        raise UserError(f"directory {Path(out_path).parent} does not exist")
    if n_toys < 1:
        raise UserError(f"--n must be ≥ 1, got {n_toys}")
    if is_array(experiment):
        raise UserError("cevns toys takes one experiment; detector arrays are not supported yet")
    exp = _load(experiment, settings)
    fixed = _parse_params(params)
    truth = _free_parameters(free, exp)
    if set(truth) & set(fixed):
        raise UserError(f"{', '.join(sorted(set(truth) & set(fixed)))} is both fixed (--param) and free (--free)")
    lk = Likelihood(exp.predictor(), exp.measurement(forecast=True), fixed)
    names = tuple(truth)
    config = {"experiment": exp.spec.model_dump(mode="json"), "truth": truth, "fixed": fixed, "n": n_toys, "seed": seed,
              "chunk": chunk, "version": __version__}
    path = Path(out_path)
    if resume and path.exists():
        arrays = read_store(path, config, ("statistic", "best", "done"))
        state = ToyResult(names, arrays["statistic"], arrays["best"], arrays["done"].astype(bool))
    else:
        state = empty_toys(names, n_toys)

    def write(current: ToyResult) -> None:
        write_store(path, config, {"names": np.array(names), "statistic": current.statistic, "best": current.best, "done": current.done})

    study = toy_study(lk, truth, seed)
    with click.progressbar(length=int((~state.done).sum()), label="toys", file=sys.stderr, show_eta=True) as bar:
        def save(current: ToyResult, n_new: int) -> None:
            write(current)
            bar.update(n_new)

        write(state)
        with executor(workers, dask_address) as pool:
            run_toys(study, state, chunk, save, pool)
    levels = ONE_DOF_LEVELS if len(names) == 1 else TWO_DOF_LEVELS
    out = {
        "experiment": exp.name, "out": str(path), "n": n_toys, "truth": truth, "seed": seed,
        "wilks": {k: float(delta_chi2_threshold(v, len(names))) for k, v in levels.items()},
        "critical_delta_chi2": state.critical_values(levels), "coverage": state.coverage(levels),
        "median_best_fit": {n: float(np.median(state.best[:, i])) for i, n in enumerate(names)},
    }
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"{exp.name}: {n_toys} pseudo-experiments at " + ", ".join(f"{k}={v:.6g}" for k, v in truth.items()))
    for level in levels:
        click.echo(f"  {level:7s} Wilks Δχ² {out['wilks'][level]:.3f}  critical {out['critical_delta_chi2'][level]:.3f}  "
                   f"coverage of Wilks {out['coverage'][level]:.3f}")
    click.echo(f"wrote {path}")


@cli.group("release")
def release_group() -> None:
    """Official COHERENT data releases (csi-2017, lar-2020-analysisA, csi-2021): check a
    folder against the files' SHA-256, or fetch them."""


@release_group.command("verify")
@click.argument("name")
@click.argument("folder", type=click.Path(file_okay=False))
def release_verify_command(name: str, folder: str) -> None:
    """Check that FOLDER holds release NAME, byte for byte (SHA-256 of every file)."""
    from cevns.releases.files import release, verify_release

    verify_release(name, folder, strict=True)
    click.echo(f"{name}: OK, {len(release(name).files)} files match their SHA-256 in {folder}")


@release_group.command("fetch")
@click.argument("name")
@click.option("--url", "base_url", required=True, metavar="BASE_URL",
              help="http(s):// or file:// address of a folder laid out as the release (e.g. a Zenodo mirror).")
@click.option("--dest", "dest", required=True, type=click.Path(file_okay=False), help="Folder to download into (created).")
def release_fetch_command(name: str, base_url: str, dest: str) -> None:
    """Download release NAME: each file checked (SHA-256) before it is kept; files already
    present and correct are skipped, so an interrupted fetch resumes."""
    from cevns.releases.files import download_release, file_url, pending_files

    file_url(base_url, "")  # an unsupported address is an error before anything is created
    todo = sum(f.size for f in pending_files(name, dest))
    with click.progressbar(length=todo, label=name, file=sys.stderr, show_eta=True) as bar:
        report = download_release(name, dest, base_url, lambda _path, n: bar.update(n))
    click.echo(f"{name}: downloaded {len(report.downloaded)} files ({report.bytes_downloaded} bytes), "
               f"{len(report.present)} already present; all match their SHA-256 in {report.folder}")


@cli.command("compare")
@click.argument("experiment")
@click.option("--data-release", "folder", required=True, type=click.Path(file_okay=False),
              help="Folder of a COHERENT release: CsI 2017 or CENNS-10 LAr Analysis A.")
@click.option("--set", "settings", multiple=True, metavar="PATH=VALUE", help=_SET_HELP)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="Fix a physics parameter (repeatable).")
@click.option("--free", "free", multiple=True, metavar="NAME[=START]", help="Also fit this parameter (repeatable).")
@click.option("--timing", type=click.Choice(["model", "release"]), default="model", show_default=True,
              help="LAr: arrival times from cevns.sources.timing or the released CEvNS PDF.")
@click.option("--points", default=61, show_default=True, type=click.IntRange(min=5), help="Profile points per --free parameter.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write data vs prediction, projected on each axis.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def compare_command(experiment, folder, settings, params, free, timing, points, plot_path, as_json) -> None:
    """The binned data of a COHERENT release against EXPERIMENT's prediction: projections
    per bin, χ² with every background profiled, best-fit CEvNS count; --free also fits."""
    from cevns.releases.fits import csi_2017_likelihood, fit_signal_strength, lar_2020_likelihood, release_kind

    if plot_path and not Path(plot_path).resolve().parent.is_dir():
        raise UserError(f"directory {Path(plot_path).parent} does not exist")
    overrides = dict(parse_override(s) for s in settings)
    fixed = _parse_params(params)
    if release_kind(folder) == "csi-2017":
        lk = csi_2017_likelihood(folder, experiment, overrides, fixed)
    else:
        lk = lar_2020_likelihood(folder, experiment, overrides, fixed, timing=timing)
    signal = lk.signal()
    result = lk.pulls(signal)
    strength = fit_signal_strength(lk)
    residual, variance, parts = lk.figure_parts()
    names = ["signal", *(b.name for b in lk.data.backgrounds)]
    out = {
        "experiment": experiment, "data": lk.label, "statistic": "poisson, backgrounds profiled", "parameters": fixed,
        "chi2": float(result.chi2), "bins": lk.data.bins, "pulls": dict(zip(names, map(float, result.pulls))),
        "predicted_signal": float(signal.sum()),
        "best_fit_signal": {"counts": strength.counts, "1sigma": [strength.low, strength.high], "chi2_min": strength.chi2_min},
        "projections": {},
    }
    shape = lk.data.shape
    for k, axis in enumerate(lk.data.axes):
        other = tuple(i for i in range(len(shape)) if i != k)

        def project(a, other=other):
            return np.asarray(a, dtype=float).reshape(shape).sum(axis=other).tolist()

        out["projections"][axis.name] = {
            "unit": axis.unit, "edges": axis.edges.tolist(), "data_minus_steady_state": project(residual),
            "error": np.sqrt(np.maximum(project(variance), 0.0)).tolist(), "prediction": project(sum(parts.values())),
            "components": {name: project(v) for name, v in parts.items()},
        }
    if free:
        start = _free_parameters(free, load_experiment(experiment, overrides))
        overlap = set(start) & set(fixed)
        if overlap:
            raise UserError(f"{', '.join(sorted(overlap))} is both fixed (--param) and free (--free)")
        best = fit(lk, start)
        profiles = {n: profile(lk, n, np.linspace(*profile_range(n, best), points), best) for n in start}
        out["fit"] = {"best_fit": best.values, "chi2_min": min(best.chi2_min, *(p.chi2_min for p in profiles.values())),
                      "errors": best.errors, "valid": best.valid, "intervals": {n: p.intervals() for n, p in profiles.items()}}
    if plot_path:
        from cevns.plotting import data_vs_prediction_figure

        axes = [(a.name, a.edges, a.unit) for a in lk.data.axes]
        title = f"{experiment} vs {lk.label}: χ² = {out['chi2']:.1f} / {lk.data.bins} bins"
        fig = data_vs_prediction_figure(axes, residual, variance, parts, title, "data − steady state", "prediction, nominal")
        _save_figure(fig, plot_path)
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"{experiment} vs {lk.label}")
    click.echo(f"chi2 = {out['chi2']:.2f} for {lk.data.bins} bins (Poisson, every background profiled); pulls: "
               + ", ".join(f"{k} {v:+.3f}" for k, v in out["pulls"].items()))
    click.echo(f"CEvNS: predicted {out['predicted_signal']:.1f}, best fit (free normalisation) {strength.counts:.1f} "
               f"[{strength.low:.1f}, {strength.high:.1f}] (1σ)")
    for name, proj in out["projections"].items():
        click.echo(f"{name} [{proj['unit']}]   data − steady state ± error   prediction")
        e = proj["edges"]
        for i in range(len(e) - 1):
            click.echo(f"  {e[i]:7.3g} - {e[i + 1]:<7.3g} {proj['data_minus_steady_state'][i]:10.1f} ± {proj['error'][i]:<7.1f}"
                       f"{proj['prediction'][i]:10.2f}")
    if free:
        for n, value in out["fit"]["best_fit"].items():
            click.echo(f"fit: {n} = {value:.6g} ± {out['fit']['errors'][n]:.2g}, chi2_min = {out['fit']['chi2_min']:.2f}")
            for level, pieces in out["fit"]["intervals"][n].items():
                click.echo(f"    {level:7s} " + (" ∪ ".join(f"[{a:.4g}, {b:.4g}]" for a, b in pieces) or "none"))
    if plot_path:
        click.echo(f"wrote {plot_path}")


def _target_or_error(name: str):
    try:
        return resolve_target(name)
    except ValueError as exc:
        raise UserError(str(exc)) from None


@cli.command("xsec")
@click.option("--nucleus", required=True, help="Isotope (133Cs), element (Cs) or compound (CsI).")
@click.option("--enu", type=float, help="Neutrino energy in MeV.")
@click.option("--recoil", type=float, help="Nuclear recoil energy in keVnr.")
@click.option("--form-factor", type=click.Choice(FORM_FACTOR_MODELS), default="helm", show_default=True)
@click.option("--flavor", type=click.Choice(FLAVORS), default="nu_mu", show_default=True)
@click.option("--couplings", "scheme", type=click.Choice(["tree", "radiative"]), default="tree", show_default=True)
@click.option("--sin2-theta-w", type=float, default=SIN2_THETA_W_LOW_ENERGY, show_default=True)
@click.option("--flux-average", type=click.Choice(["pion-dar"]), help="Print the flux-averaged cross section instead.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help=_PARAM_HELP)
@click.option("--json", "as_json", is_flag=True)
def xsec_command(nucleus, enu, recoil, form_factor, flavor, scheme, sin2_theta_w, flux_average, params, as_json) -> None:
    """Differential (and total) cross section per nucleus, or a flux average.

    For an element or compound the cross section is the mean over its nuclei by number.
    """
    target = _target_or_error(nucleus)
    couplings = couplings_by_name(scheme, sin2_theta_w)
    structure = NuclearStructure(FormFactor(form_factor), FormFactor(form_factor))
    model = model_with_parameters(PhysicsModel(couplings, structure), _parse_params(params), target.isotopes, None)
    weights = np.array([n.per_formula_unit for n in target.nuclei])
    weights = weights / weights.sum()
    if flux_average:
        from cevns.sources.spectra import pion_dar_source

        source = pion_dar_source(1.0, 1.0, 1.0)  # normalisation cancels in the average
        value = target_flux_averaged_cross_section(target, source, model=model)
        out = {"nucleus": target.name, "source": flux_average, "flux_averaged_cross_section_cm2": value, "flux_averaged_cross_section_1e-40_cm2": value / 1e-40}
    else:
        if enu is None:
            raise UserError("--enu is required (or use --flux-average)")
        _positive("--enu", enu)
        out = {"nucleus": target.name, "enu_MeV": enu}
        if recoil is None or not (any(model.magnetic_moment.values()) or any(model.millicharge.values())):
            out["sigma_total_cm2"] = float(sum(w * total_cross_section(enu, n.isotope, flavor, model) for w, n in zip(weights, target.nuclei)))
        if recoil is not None:
            if not np.isfinite(recoil) or recoil < 0:
                raise UserError(f"--recoil must be a non-negative number, got {recoil}")
            per_mev = sum(w * differential_cross_section(enu, recoil * keV, n.isotope, flavor, model) for w, n in zip(weights, target.nuclei))
            out["recoil_keV"] = recoil
            out["dsigma_dT_cm2_per_keV"] = float(per_mev * keV)
    if as_json:
        click.echo(json.dumps(out, indent=2))
    else:
        for key, value in out.items():
            click.echo(f"{key}: {value:.6g}" if isinstance(value, float) else f"{key}: {value}")


@cli.command("kinematics")
@click.option("--nucleus", required=True, help="Isotope, element or compound.")
@click.option("--enu", type=float, required=True, help="Neutrino energy in MeV.")
@click.option("--recoil", type=float, help="Also give E_min for this recoil (keVnr).")
@click.option("--json", "as_json", is_flag=True)
def kinematics_command(nucleus: str, enu: float, recoil: float | None, as_json: bool) -> None:
    """Maximum recoil, momentum transfer and minimum neutrino energy per isotope."""
    target = _target_or_error(nucleus)
    _positive("--enu", enu)
    if recoil is not None and (not np.isfinite(recoil) or recoil < 0):
        raise UserError(f"--recoil must be a non-negative number, got {recoil}")
    rows = {}
    for iso in target.isotopes:
        t_max = float(recoil_max(enu, iso.mass))
        row = {"mass_MeV": iso.mass, "recoil_max_keV": t_max / keV, "q_max_MeV": float(momentum_transfer(t_max, iso.mass))}
        if recoil is not None:
            row["neutrino_energy_min_MeV"] = float(neutrino_energy_min(recoil * keV, iso.mass))
        rows[iso.name] = row
    first = next(iter(rows.values()))
    out = {"nucleus": target.name, "enu_MeV": enu, "recoil_max_keV": first["recoil_max_keV"], "isotopes": rows}
    if as_json:
        click.echo(json.dumps(out, indent=2))
    else:
        for name, row in rows.items():
            click.echo(f"{name}: " + ", ".join(f"{k} {v:.6g}" for k, v in row.items()))


def _experiment_changes(settings: tuple[str, ...]) -> dict[str, dict]:
    """``EXPERIMENT:PATH=VALUE`` items → {experiment: {path: value}}, each checked now by
    loading the experiment with it (a bad name, path or value fails before any work)."""
    changes: dict[str, dict] = {}
    for item in settings:
        experiment, sep, rest = item.partition(":")
        if not sep or not experiment.strip():
            raise UserError(f"--set expects EXPERIMENT:PATH=VALUE, got {item!r}")
        path, value = parse_override(rest)
        changes.setdefault(experiment.strip(), {})[path] = value
    for experiment, paths in changes.items():
        load_experiment(experiment, paths)
    return changes


@cli.command("reproduce")
@click.argument("name", required=False)
@click.option("--list", "list_only", is_flag=True, help="Name the reproductions and stop.")
@click.option("--out", "out_dir", type=click.Path(file_okay=True), help="Folder for figures, CSV, summary.json, index.html.")
@click.option("--fast", is_flag=True, help="Coarse grids: a quick look (what the tests run).")
@click.option("--resume", is_flag=True, help="Keep the steps already finished in --out with the same settings.")
@click.option("--set", "settings", multiple=True, metavar="EXPERIMENT:PATH=VALUE",
              help="Change an input of an experiment the reproduction loads, e.g. coherent-csi-2017:detector.mass_kg=20 (repeatable).")
def reproduce_command(name: str | None, list_only: bool, out_dir: str | None, fast: bool, resume: bool,
                      settings: tuple[str, ...]) -> None:
    """Redo a published analysis of the reference texts: one PNG, PDF and CSV per figure,
    summary.json (our numbers next to the published ones) and index.html in --out.
    --set changes any input of the experiments it uses and reruns with it."""
    from cevns.config.experiments import experiment_overrides
    from cevns.reproduce import get_reproduction, reproduction_names
    from cevns.reproduce.report import write_report

    names = reproduction_names()
    if list_only or name is None:
        if name is None and not list_only:
            raise UserError(f"name a reproduction ({', '.join(names)}) or use --list")
        width = max(map(len, names))
        for key, text in names.items():
            click.echo(f"{key.ljust(width)}  {text}")
        return
    if name not in names:
        raise UserError(f"unknown reproduction {name!r}; known: {', '.join(names)}")
    if not out_dir:
        raise UserError("--out DIR is required: the folder for the report")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a folder")
    if not out.resolve().parent.is_dir():
        raise UserError(f"directory {out.parent} does not exist")
    changes = _experiment_changes(settings)
    with experiment_overrides(changes) as loaded:
        files = write_report(get_reproduction(name), out, fast=fast, resume=resume,
                             progress=lambda line: click.echo(line, err=True))
    if not files.resumed:  # a resumed step loads nothing, so only a full run can tell
        for unused in sorted(set(changes) - loaded):
            click.echo(f"warning: {name} does not load experiment {unused!r}; its --set changed nothing", err=True)
    click.echo(f"{name}: {len(files.figures)} figures, {len(files.results)} numbers in {files.seconds:.1f} s; "
               f"open {out / 'index.html'}")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning input errors into one line and exit status 2."""
    args = sys.argv[1:] if argv is None else argv
    if not args:
        click.echo(cli.get_help(click.Context(cli, info_name="cevns")))
        return 0
    try:
        cli.main(args=args, prog_name="cevns", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return 2
    except (UserError, ExperimentError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
