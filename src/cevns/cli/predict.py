"""``cevns events`` and ``cevns spectrum``: what an experiment expects to see."""

from __future__ import annotations

from typing import Any, Mapping

import click

from cevns.cli.common import PARAM_HELP, SET_OPTION, atomic_write, check_directories, load, parse_params, save_figure


@click.command("events")
@click.argument("experiment")
@SET_OPTION
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help=PARAM_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def events_command(experiment: str, settings: tuple[str, ...], params: tuple[str, ...], as_json: bool) -> None:
    """Expected counts of EXPERIMENT (a shipped name or a .toml file), by isotope and flavour."""
    from cevns.rates.prediction import counts_table

    exp = load(experiment, settings)
    parameters = parse_params(params)
    table: Mapping[str, Any] = counts_table(exp.binned_counts(parameters))
    if as_json:
        import json  # only for --json: not on the start-up path of the plain listing

        click.echo(json.dumps({"experiment": exp.name, "couplings": exp.couplings.scheme, "couplings_detail": exp.couplings.name,
                               "parameters": {**exp.model.parameters, **parameters}, **table}, indent=2))
        return
    click.echo(f"{exp.name}: {exp.description}")
    click.echo(f"couplings: {exp.couplings.scheme} ({exp.couplings.name})")
    if parameters:
        click.echo("parameters: " + ", ".join(f"{k}={v}" for k, v in parameters.items()))
    click.echo(f"total expected counts: {table['total']:.2f}")
    click.echo("by isotope: " + ", ".join(f"{k} {v:.2f}" for k, v in table["by_isotope"].items()))
    click.echo("by flavour: " + ", ".join(f"{k} {v:.2f}" for k, v in table["by_flavor"].items()))
    click.echo(f"bins [{table['observable']}]:")
    for row in table["bins"]:
        click.echo(f"  {row['low']:10.4g} - {row['high']:<10.4g} {row['counts']:12.4f}")


@click.command("spectrum")
@click.argument("experiment")
@SET_OPTION
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help=PARAM_HELP)
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), help="Write dR/dT (counts/keVnr) per flavour and isotope.")
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write a figure (PNG, PDF, ...).")
@click.option("--points", default=200, show_default=True, type=click.IntRange(min=2), help="Recoil grid points.")
def spectrum_command(
    experiment: str, settings: tuple[str, ...], params: tuple[str, ...], csv_path: str | None, plot_path: str | None, points: int
) -> None:
    """Recoil spectrum and binned counts of EXPERIMENT."""
    import numpy as np

    from cevns.physics.kinematics import recoil_max
    from cevns.units import keV

    from cevns.runtime.resources import check_memory, grid_bytes

    check_directories(csv_path, plot=plot_path)  # every destination before writing any
    # the recoil grid, its columns and the rate arrays per isotope and flavour (~32 floats a point)
    check_memory(f"--points {points}", grid_bytes(points, 32), "use fewer --points")
    exp = load(experiment, settings)
    parameters = parse_params(params)
    t_max = max(float(recoil_max(exp.source.max_energy, iso.mass)) for iso in exp.target.isotopes) / keV
    recoil = np.linspace(t_max / points, t_max, points)
    rates = exp.differential_rates(recoil, parameters)
    counts = exp.binned_counts(parameters)
    by_flavor = {f: sum((r[f] for r in rates.values()), np.zeros_like(recoil)) for f in counts.flavors}
    header = ["recoil_keVnr", "total"] + [f"flavor:{f}" for f in by_flavor] + [f"isotope:{i}" for i in rates]
    columns = [recoil, sum(by_flavor.values())] + list(by_flavor.values()) + [sum(r.values()) for r in rates.values()]
    if csv_path:
        data = np.column_stack(columns)
        comment = f"{exp.name}: dR/dT in counts per keVnr for the whole exposure; couplings: {exp.couplings.scheme} ({exp.couplings.name})"
        atomic_write(csv_path, lambda tmp: np.savetxt(tmp, data, delimiter=",", header=comment + "\n" + ",".join(header), fmt="%.8g"))
        click.echo(f"wrote {csv_path}")
    if plot_path:
        from cevns.plotting import spectrum_figure

        fig = spectrum_figure(f"{exp.name}", recoil, by_flavor, counts)
        save_figure(fig, plot_path)
        click.echo(f"wrote {plot_path}")
    if not (csv_path or plot_path):
        click.echo(f"# couplings: {exp.couplings.scheme} ({exp.couplings.name})")
        click.echo(",".join(header))
        for row in np.column_stack(columns)[:: max(1, points // 20)]:
            click.echo(",".join(f"{v:.6g}" for v in row))
