"""``cevns reproduce``: redo a published analysis and write its report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cevns.cli.common import UserError, check_writable_folder
from cevns.errors import OutputError, unknown_name


def experiment_changes(settings: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """``EXPERIMENT:PATH=VALUE`` items → {experiment: {path: value}}, each checked now by
    loading the experiment with it (a bad name, path or value fails before any work)."""
    from cevns.config.experiments import load_experiment
    from cevns.config.overrides import parse_override

    changes: dict[str, dict[str, Any]] = {}
    for item in settings:
        experiment, sep, rest = item.partition(":")
        if not sep or not experiment.strip():
            raise UserError(f"--set expects EXPERIMENT:PATH=VALUE, got {item!r}")
        path, value = parse_override(rest)
        changes.setdefault(experiment.strip(), {})[path] = value
    for experiment, paths in changes.items():
        load_experiment(experiment, paths)
    return changes


@click.command("reproduce")
@click.argument("name", required=False)
@click.option("--list", "list_only", is_flag=True, help="Name the reproductions and stop.")
@click.option("--out", "out_dir", type=click.Path(file_okay=True), help="Folder for figures, CSV, summary.json, index.html.")
@click.option("--fast", is_flag=True, help="Coarse grids: a quick look (what the tests run).")
@click.option("--resume", is_flag=True, help="Keep the steps already finished in --out with the same settings.")
@click.option("--pdf", is_flag=True,
              help="Also write a PDF of each figure (off by default: PNG and CSV only; the PDF roughly doubles the drawing time).")
@click.option("--set", "settings", multiple=True, metavar="EXPERIMENT:PATH=VALUE",
              help="Change an input of an experiment the reproduction loads, e.g. coherent-csi-2017:detector.mass_kg=20 (repeatable).")
@click.option("--data-release", "data_releases", multiple=True, metavar="NAME=DIR",
              help="Folder of a data release a reproduction reads, e.g. csi-2021=DIR (repeatable; "
                   "default: $CEVNS_RELEASE_DATA/NAME).")
def reproduce_command(name: str | None, list_only: bool, out_dir: str | None, fast: bool, resume: bool,
                      pdf: bool, settings: tuple[str, ...], data_releases: tuple[str, ...] = ()) -> None:
    """Redo a published analysis of the reference texts: one PNG and CSV per figure (and a
    PDF with --pdf), summary.json (our numbers next to the published ones, the files written)
    and index.html in --out.
    --set changes any input of the experiments it uses and reruns with it."""
    from cevns.config.overrides import experiment_overrides
    from cevns.cli.common import release_folders
    from cevns.reproduce import get_reproduction, release_dirs_for, reproduction_names
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
        raise UserError(unknown_name("reproduction", name, names))
    if not out_dir:
        raise UserError("--out DIR is required: the folder for the report")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a folder")
    if not out.resolve().parent.is_dir():
        raise UserError(f"directory {out.parent} does not exist")
    check_writable_folder(out, "--out")  # a read-only folder or a full disk: refused before any work
    named, plain = release_folders(data_releases)
    if plain:
        raise UserError(f"--data-release expects NAME=DIR with a known release name, got {plain[0]!r}")
    dirs = release_dirs_for(name, named)  # a missing release fails here, before any work
    changes = experiment_changes(settings)
    from cevns.cli.common import lock_output  # one writer of the folder (cevns.runtime.locks)

    lock_output(out, {"reproduction": name, "fast": fast, "pdf": pdf, "set": changes,
                      "releases": {k: str(v) for k, v in dirs.items()}}, "report folder")
    try:
        with experiment_overrides(changes) as loaded:
            files = write_report(get_reproduction(name, release_dirs=dirs), out, fast=fast, resume=resume, pdf=pdf,
                                 progress=lambda line: click.echo(line, err=True))
    except OutputError as exc:  # each file is written whole or not at all; finished steps are kept
        raise OutputError(f"{exc}; the steps finished before are kept in {out}: "
                          "make room and run the same command with --resume") from None
    if not files.resumed:  # a resumed step loads nothing, so only a full run can tell
        for unused in sorted(set(changes) - loaded):
            click.echo(f"warning: {name} does not load experiment {unused!r}; its --set changed nothing", err=True)
    click.echo(f"{name}: {len(files.figures)} figures, {len(files.results)} numbers in {files.seconds:.1f} s; "
               f"open {out / 'index.html'}")
