"""``cevns compare`` and ``cevns release list|verify|fetch``: the data releases of the
registry (:mod:`cevns.releases.registry`), listed, checked, downloaded and compared with a
prediction. Nothing here names a release: a new one is found through the registry."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from cevns.releases.registry import SelfComparingLikelihood

from cevns.cli.common import (
    FIX_HELP,
    SET_OPTION,
    check_directories,
    check_writable_folder,
    fixed_and_free,
    free_parameters,
    intervals_text,
    parse_overrides,
    parse_params,
    save_figure,
)


@click.group("release")
def release_group() -> None:
    """Official COHERENT data releases (``cevns release list``): check a folder against the
    files' SHA-256, or fetch them."""


@release_group.command("list")
def release_list_command() -> None:
    """The known data releases: name, files, size, whether cevns compare can use it, citation."""
    from cevns.releases.registry import releases

    known = releases()
    width = max(map(len, known))
    for rel in known.values():
        compare = f"compare with {rel.experiment}" if rel.likelihood is not None else "no likelihood yet"
        click.echo(f"{rel.name.ljust(width)}  {rel.title}; {len(rel.files)} files, {rel.size} bytes; {compare}; {rel.citation}")


@release_group.command("verify")
@click.argument("name")
@click.argument("folder", type=click.Path(file_okay=False))
def release_verify_command(name: str, folder: str) -> None:
    """Check that FOLDER holds release NAME, byte for byte (SHA-256 of every file)."""
    from cevns.releases.files import verify_release
    from cevns.releases.registry import release

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
    check_writable_folder(dest, "--dest")  # a read-only folder or a full disk: refused before any download
    todo = sum(f.size for f in pending_files(name, dest))
    with click.progressbar(length=todo, label=name, file=sys.stderr, show_eta=True) as bar:
        report = download_release(name, dest, base_url, lambda _path, n: bar.update(n))
    click.echo(f"{name}: downloaded {len(report.downloaded)} files ({report.bytes_downloaded} bytes), "
               f"{len(report.present)} already present; all match their SHA-256 in {report.folder}")


NO_VERIFY_OPTION = click.option(
    "--no-verify", "no_verify", is_flag=True,
    help="Skip the SHA-256 check of the release files (a warning says so): for a modified copy, at your own risk.")
RUNS_OPTION = click.option(
    "--runs", default=None, metavar="sr0,sr1,...",
    help="With a data release that has science runs (xenonnt-8b): the runs to fit "
         "(default sr0,sr1, the PRL 133, 191002 data set; recorded in a scan's configuration).")


def checked_release_likelihood(folder: str, experiment: str | None, overrides: Any, fixed: Any, no_verify: bool,
                               **options: Any) -> Any:
    """The likelihood of the release in ``folder`` (:func:`cevns.releases.registry.release_likelihood`),
    after checking every file of it against its SHA-256 (InputError naming the first missing
    or altered file); ``no_verify`` skips the check with a warning line on stderr. A builder
    marked ``checks_every_file_read`` (xenonnt-8b: each of the ~2,300 files of a run is
    hashed as it is read, :func:`cevns.releases.xenonnt_templates.read_checked`) is not
    preceded by the check of the whole release: it would hash the same files a second time
    (and the runs not fitted), about 1.5 s on this machine."""
    from cevns.releases.files import verify_release
    from cevns.releases.registry import identify_release, release_likelihood

    rel = identify_release(folder)
    if no_verify and getattr(rel.likelihood, "checks_every_file_read", False):
        click.echo(f"note: --no-verify has no effect on {rel.name}: its reader checks the SHA-256 of every file it reads", err=True)
    elif no_verify:
        click.echo(f"warning: --no-verify: the {rel.name} files in {folder} are used without checking their SHA-256", err=True)
    elif not getattr(rel.likelihood, "checks_every_file_read", False):
        verify_release(rel, folder, strict=True)
    return release_likelihood(folder, experiment, overrides, fixed, **options)


@click.command("compare")
@click.argument("experiment")
@click.option("--data-release", "folder", required=True, type=click.Path(file_okay=False),
              help="Folder of a data release with a likelihood (cevns release list); the release is found from its files.")
@SET_OPTION
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help=FIX_HELP)
@click.option("--free", "free", multiple=True, metavar="NAME[=START]", help="Also fit this parameter (repeatable).")
@click.option("--timing", type=click.Choice(["model", "release"]), default=None,
              help="Releases with this option (lar-2020-analysisA): arrival times from cevns.sources.timing "
                   "(model, the default) or the released CEvNS PDF.")
@RUNS_OPTION
@click.option("--points", default=61, show_default=True, type=click.IntRange(min=5), help="Profile points per --free parameter.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write data vs prediction, projected on each axis.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@NO_VERIFY_OPTION
def compare_command(experiment: str, folder: str, settings: tuple[str, ...], params: tuple[str, ...], free: tuple[str, ...],
                    timing: str | None, runs: str | None, points: int, plot_path: str | None, as_json: bool,
                    no_verify: bool) -> None:
    """The binned data of a COHERENT release against EXPERIMENT's prediction: projections
    per bin, χ² with every background profiled, best-fit CEvNS count; --free also fits."""
    import numpy as np

    from cevns.config.experiments import load_experiment
    from cevns.releases.registry import SelfComparingLikelihood
    from cevns.stats.templates import fit_signal_strength
    from cevns.stats.fits import fit, profile, profile_range

    check_directories(plot=plot_path)
    overrides = parse_overrides(settings)
    fixed = parse_params(params)
    options: dict[str, Any] = {"timing": timing} if timing is not None else {}
    if runs is not None:
        options["runs"] = runs
    lk = checked_release_likelihood(folder, experiment, overrides, fixed, no_verify, **options)
    if isinstance(lk, SelfComparingLikelihood):  # a release with its own comparison (xenonnt-8b)
        _own_compare(lk, free, plot_path, as_json)
        return
    signal = lk.signal()
    result = lk.pulls(signal)
    strength = fit_signal_strength(lk)
    residual, variance, parts = lk.figure_parts()
    names = lk.pull_names
    projections: dict[str, Any] = {}
    out: dict[str, Any] = {
        "experiment": experiment, "data": lk.label, "statistic": "poisson, backgrounds profiled", "parameters": fixed,
        "couplings": lk.predictor.model.couplings.scheme, "couplings_detail": lk.predictor.model.couplings.name,
        "chi2": float(result.chi2), "bins": lk.data.bins, "pulls": dict(zip(names, map(float, result.pulls))),
        "predicted_signal": float(signal.sum()),
        "best_fit_signal": {"counts": strength.counts, "1sigma": [strength.low, strength.high], "chi2_min": strength.chi2_min},
        "projections": projections,
    }
    shape = lk.data.shape
    for k, axis in enumerate(lk.data.axes):
        other = tuple(i for i in range(len(shape)) if i != k)

        def project(a: Any, other: tuple[int, ...] = other) -> list[float]:
            return np.asarray(a, dtype=float).reshape(shape).sum(axis=other).tolist()

        projections[axis.name] = {
            "unit": axis.unit, "edges": axis.edges.tolist(), "data_minus_steady_state": project(residual),
            "error": np.sqrt(np.maximum(project(variance), 0.0)).tolist(), "prediction": project(sum(parts.values())),
            "components": {name: project(v) for name, v in parts.items()},
        }
    if free:
        start = free_parameters(free, load_experiment(experiment, overrides))
        fixed_and_free(fixed, start)
        best = fit(lk, start)
        profiles = {n: profile(lk, n, np.linspace(*profile_range(n, best), points), best) for n in start}
        out["fit"] = {"best_fit": best.values, "chi2_min": min(best.chi2_min, *(p.chi2_min for p in profiles.values())),
                      "errors": best.errors, "valid": best.valid, "intervals": {n: p.intervals() for n, p in profiles.items()}}
    if plot_path:
        from cevns.plotting import data_vs_prediction_figure

        axes = [(a.name, a.edges, a.unit) for a in lk.data.axes]
        title = f"{experiment} vs {lk.label}: χ² = {out['chi2']:.1f} / {lk.data.bins} bins"
        fig = data_vs_prediction_figure(axes, residual, variance, parts, title, "data − steady state", "prediction, nominal")
        save_figure(fig, plot_path)
    if as_json:
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"{experiment} vs {lk.label}")
    click.echo(f"couplings: {out['couplings']} ({out['couplings_detail']})")
    click.echo(f"chi2 = {out['chi2']:.2f} for {lk.data.bins} bins (Poisson, every background profiled); pulls: "
               + ", ".join(f"{k} {v:+.3f}" for k, v in out["pulls"].items()))
    click.echo(f"CEvNS: predicted {out['predicted_signal']:.1f}, best fit (free normalisation) {strength.counts:.1f} "
               f"[{strength.low:.1f}, {strength.high:.1f}] (1σ)")
    for name, proj in projections.items():
        click.echo(f"{name} [{proj['unit']}]   data − steady state ± error   prediction")
        e = proj["edges"]
        for i in range(len(e) - 1):
            click.echo(f"  {e[i]:7.3g} - {e[i + 1]:<7.3g} {proj['data_minus_steady_state'][i]:10.1f} ± {proj['error'][i]:<7.1f}"
                       f"{proj['prediction'][i]:10.2f}")
    if free:
        for n, value in out["fit"]["best_fit"].items():
            click.echo(f"fit: {n} = {value:.6g} ± {out['fit']['errors'][n]:.2g}, chi2_min = {out['fit']['chi2_min']:.2f}")
            for level, pieces in out["fit"]["intervals"][n].items():
                click.echo(f"    {level:7s} " + intervals_text(pieces))
    if plot_path:
        click.echo(f"wrote {plot_path}")


def _own_compare(lk: SelfComparingLikelihood, free: tuple[str, ...], plot_path: str | None, as_json: bool) -> None:
    """``cevns compare`` for a likelihood that reports itself (``compare_report``,
    ``compare_text``, ``compare_figure``; e.g. :class:`cevns.releases.xenonnt_8b.XenonNT8BLikelihood`)."""
    from cevns.cli.common import UserError

    if free:
        raise UserError("--free is not available with this release; fit its parameters with cevns fit ... --data-release DIR")
    report = lk.compare_report()
    if plot_path:
        save_figure(lk.compare_figure(report), plot_path)
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    for line in lk.compare_text(report):
        click.echo(line)
    if plot_path:
        click.echo(f"wrote {plot_path}")
