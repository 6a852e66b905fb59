"""``cevns fog``: discovery limits of a WIMP search under the neutrino background and the
neutrino fog of a target (:mod:`cevns.stats.fog`; C. A. J. O'Hare, PRL 127, 251802 (2021),
arXiv:2109.03116)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any, Literal, cast

import click

from cevns.cli.common import (DASK_OPTION, WORKERS_OPTION, UserError, atomic_write, check_directories, check_writable_folder,
                              save_figure)

#: Default grids: WIMP masses (GeV), exposures (tonne-years), cross sections of the gradient map (cm²).
DEFAULT_MASSES = "1:10000:100"
DEFAULT_EXPOSURES = "1e-5:1e12:200"
DEFAULT_SIGMAS = "1e-50:1e-40:200"


def parse_grid(text: str, option: str, limit: int = 100000) -> list[float]:
    """``a,b,c`` (values) or ``LO:HI:N`` (N log-spaced values from LO to HI) as a list of
    finite numbers > 0; anything else, or an empty list, is a one-line :class:`UserError`."""
    text = text.strip()
    if not text:
        raise UserError(f"{option}: give at least one value (a,b,c or LO:HI:N)")
    try:
        if ":" in text:
            parts = text.split(":")
            if len(parts) != 3:
                raise ValueError
            lo, hi, n = float(parts[0]), float(parts[1]), int(parts[2])
            if not (1 <= n <= limit and 0 < lo <= hi and math.isfinite(hi)):
                raise UserError(f"{option} {text}: need 0 < LO <= HI and 1 <= N <= {limit}")
            if n == 1:
                return [lo]
            return [lo * (hi / lo) ** (i / (n - 1)) for i in range(n)]
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UserError(f"{option} {text!r}: expected numbers a,b,c or LO:HI:N") from None
    if not values:
        raise UserError(f"{option}: give at least one value (a,b,c or LO:HI:N)")
    if len(values) > limit or not all(math.isfinite(v) and v > 0 for v in values):
        raise UserError(f"{option} {text}: values must be finite numbers > 0 (at most {limit})")
    return values


def _clean(values: Any) -> Any:
    """Nested lists of floats with NaN → None (strict JSON)."""
    if isinstance(values, list):
        return [_clean(v) for v in values]
    return None if isinstance(values, float) and not math.isfinite(values) else values


def fog_figure(result: Any, target: str) -> Any:
    """The gradient n over (mass, σ) with the floors at n = 2, 2.5, 3 (O'Hare 2021, Fig. 1)."""
    import numpy as np

    from cevns.plotting import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    masses = result.limits.masses_gev
    n = np.ma.masked_invalid(result.gradient_map.T)
    mesh = ax.pcolormesh(masses, result.sigma_grid, np.clip(n, 1.0, 5.0), shading="auto", cmap="Greys", vmin=1.0, vmax=5.0)
    fig.colorbar(mesh, ax=ax, label="n = -(d ln σ / d ln exposure)$^{-1}$")
    for level, style in zip(sorted(result.floors), ("-", "--", ":")):
        ax.plot(masses, result.floors[level], style, color="tab:red", label=f"n = {level:g}")
    ax.set(xscale="log", yscale="log", xlabel="WIMP mass [GeV]", ylabel="σ$_{SI}$ per nucleon [cm$^2$]",
           title=f"Neutrino fog on {target} (median 3σ discovery, Asimov)")
    ax.legend(loc="upper left", fontsize=8)
    return fig


def _target_data(target: str, arrays: Any, result: Any, coupling: str, z: float, power: float, threshold_kev: float,
                 e_max_kev: float, normalisation: str) -> dict[str, Any]:
    """The JSON record of one target's fog."""
    lim = result.limits
    return {
        "target": target, "coupling": coupling, "z": z, "power": power, "threshold_keV": threshold_kev, "e_max_keV": e_max_kev,
        "normalisation": normalisation,
        "bins_keV": [float(e) for e in arrays.edges_kev] if arrays is not None and arrays.edges_kev is not None else None,
        "components": {c: {"uncertainty": float(u), "counts_per_tonne_year": float(b)}
                       for c, u, b in zip(arrays.components, arrays.uncertainties, arrays.background.sum(axis=1))}
        if arrays is not None else None,
        "masses_gev": [float(m) for m in lim.masses_gev],
        "floor_cm2": _clean(result.floors[2.0].tolist()),
        "floors_cm2": {f"{level:g}": _clean(v.tolist()) for level, v in result.floors.items()},
        "gradient_map": {"sigma_cm2": [float(s) for s in result.sigma_grid], "n": _clean(result.gradient_map.tolist())},
        "discovery_limits": {"exposures_tonne_year": [float(e) for e in lim.exposures], "sigma_cm2": _clean(lim.sigma.tolist()),
                             "n": _clean(lim.gradient.tolist())},
        "converged": bool(lim.converged.all()),
    }


def _echo_table(target: str, result: Any, coupling: str, z: float, power: float, threshold_kev: float, e_max_kev: float,
                n_bins: int) -> None:
    import numpy as np

    lim = result.limits
    masses = lim.masses_gev
    click.echo(f"Neutrino fog on {target} ({coupling.upper()}): {len(masses)} masses x {len(lim.exposures)} exposures, "
               f"recoils {threshold_kev:g}-{e_max_kev:g} keVnr in {n_bins} bins, "
               f"{z:g} sigma discovery in {100 * power:g}% of experiments")
    click.echo(f"{'mass [GeV]':>12s}  {'n=2 [cm2]':>10s}  {'n=2.5':>10s}  {'n=3':>10s}")
    step = max(1, len(masses) // 25)
    for i in range(0, len(masses), step):
        cells = [result.floors[level][i] for level in (2.0, 2.5, 3.0) if level in result.floors]
        click.echo(f"{masses[i]:12.4g}  " + "  ".join(f"{c:>10.3e}" if np.isfinite(c) else f"{'-':>10s}" for c in cells))
    if not lim.converged.all():
        click.echo(f"note: {target}: {int((~lim.converged).sum())} points did not converge", err=True)


def _site_record(site: str) -> dict[str, Any]:
    """The JSON record of ``--site``: the laboratory, its components' total fluxes,
    uncertainties and sources; an unknown name is a one-line :class:`UserError`."""
    from cevns.errors import InputError
    from cevns.sources.geoneutrinos import FOG_NAMES, laboratory, site_fog_fluxes

    try:
        lab = laboratory(site)
    except InputError as err:
        raise UserError(f"--site: {err}") from None
    references = {FOG_NAMES[c]: f.reference for c, f in (lab.geo or {}).items()}
    if lab.reactor is not None:
        references["reactor"] = lab.reactor.reference
    return {"name": lab.name, "description": lab.description,
            "components": {c: {"flux_cm2_s": flux, "uncertainty": unc, "reference": references[c]}
                           for c, (flux, unc) in site_fog_fluxes(lab.name).items()},
            "not_sourced": [c for c in ("geo_U", "geo_Th", "geo_K", "reactor") if c not in references]}


#: Estimated serial cost of one target's fog (s): the arrays, then ~50 µs per (mass, exposure)
#: point (measured on the project's 2-core machine).
COST_PER_TARGET_S = 1.0
COST_PER_POINT_S = 5e-5


@click.command("fog")
@click.argument("targets", metavar="TARGET[,TARGET...]")
@click.option("--threshold-kev", type=float, default=1e-4, show_default=True, metavar="KEV",
              help="Lowest nuclear recoil of the analysis (keVnr; O'Hare 2021: 1e-4).")
@click.option("--e-max-kev", type=float, default=200.0, show_default=True, metavar="KEV", help="Highest recoil (keVnr).")
@click.option("--bins", "n_bins", type=int, default=50, show_default=True, help="Log-spaced recoil bins.")
@click.option("--masses", default=DEFAULT_MASSES, show_default=True, metavar="LIST",
              help="WIMP masses in GeV: a,b,c or LO:HI:N (log-spaced).")
@click.option("--exposures", default=DEFAULT_EXPOSURES, show_default=True, metavar="LIST",
              help="Exposures in tonne-years: a,b,c or LO:HI:N (log-spaced).")
@click.option("--sigmas", default=DEFAULT_SIGMAS, show_default=True, metavar="LIST",
              help="Cross sections (cm2) of the gradient map: a,b,c or LO:HI:N.")
@click.option("--sd", type=click.Choice(["p", "n"]), help="Spin-dependent coupling to protons or neutrons only (default: SI).")
@click.option("--z", "z", type=float, default=3.0, show_default=True, help="Discovery significance (sigma).")
@click.option("--power", type=float, default=0.5, show_default=True,
              help="Fraction of experiments reaching --z (0.5: median, O'Hare 2021; 0.9: Billard et al. 2014).")
@click.option("--normalisation", type=click.Choice(["bins", "total"]), default="bins", show_default=True,
              help="Neutrino counts per bin: the bin's integral, or (O'Hare's code) scaled to each flux's total rate "
                   "above threshold, recoils above --e-max-kev included.")
@click.option("--site", metavar="LAB",
              help="Add the geoneutrinos (U, Th, K) and reactor antineutrinos at this underground laboratory "
                   "(LNGS, SURF, Kamioka, Boulby, SNOLAB, CJPL) as constrained background components.")
@WORKERS_OPTION
@DASK_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--plot", "plot_path", metavar="FILE",
              help="Save the fog figure (one target: gradient map and floors; several: the n = 2 floors).")
@click.option("--out", "out_dir", metavar="DIR", help="Write fog.json and fog.png (several targets: also fog_floors.csv) into this folder.")
def fog_command(targets: str, threshold_kev: float, e_max_kev: float, n_bins: int, masses: str, exposures: str, sigmas: str,
                sd: str | None, z: float, power: float, normalisation: str, site: str | None, workers: int,
                dask_address: str | None,
                as_json: bool, plot_path: str | None, out_dir: str | None) -> None:
    """Discovery limits and the neutrino fog of TARGET (Xe, Ar, Ge, NaI, CaWO4, F, He, any
    element or compound), or of several comma-separated targets, one per worker.

    Median 3σ discovery limits of a WIMP search (Asimov data, binned Poisson likelihood,
    every neutrino flux normalisation a Gaussian-constrained nuisance: Billard, Strigari &
    Figueroa-Feliciano, PRD 89, 023524 (2014)), the fog gradient n over mass and cross
    section and the neutrino floor (n = 2; also 2.5 and 3) of O'Hare, PRL 127, 251802 (2021).
    With --site, the geoneutrinos and reactor antineutrinos of that laboratory join the
    background (cevns.sources.geoneutrinos); the JSON records the site and its components.
    """
    from cevns.runtime.parallel import executor, plan_execution
    from cevns.stats.fog import MASS_RANGE_GEV, fog_arrays, neutrino_fog
    from cevns.stats.fog_maps import fog_maps, parse_targets

    names = parse_targets(targets)
    mass_list = parse_grid(masses, "--masses", 2000)
    exposure_list = parse_grid(exposures, "--exposures", 5000)
    sigma_list = parse_grid(sigmas, "--sigmas", 5000)
    lo, hi = MASS_RANGE_GEV
    if not all(lo <= m <= hi for m in mass_list):
        raise UserError(f"--masses: WIMP masses must be in [{lo:g}, {hi:g}] GeV")
    if not (math.isfinite(z) and z > 0):
        raise UserError(f"--z must be a finite number > 0, got {z}")
    if not (0.0 < power < 1.0):
        raise UserError(f"--power must be in (0, 1), got {power}")
    check_directories(plot=plot_path)
    if out_dir:
        check_writable_folder(out_dir, "--out")
    coupling = cast(Literal["si", "sd-p", "sd-n"], "si" if sd is None else f"sd-{sd}")
    norm = cast(Literal["bins", "total"], normalisation)
    options: dict[str, Any] = dict(threshold_kev=threshold_kev, e_max_kev=e_max_kev, n_bins=n_bins, coupling=coupling,
                                   normalisation=norm)
    site_record: dict[str, Any] | None = None
    if site is not None:
        site_record = _site_record(site)
        options["site"] = site_record["name"]
    records: dict[str, dict[str, Any]] = {}
    results: dict[str, Any] = {}
    if len(names) == 1:  # one target: here, with a progress bar over its points
        if workers > 1 or dask_address:
            click.echo("note: --workers/--dask ignored: one target is one task, run in this process "
                       "(its grid is solved in one vectorised pass)", err=True)
        arrays = fog_arrays(names[0], mass_list, **options)
        with click.progressbar(length=len(mass_list) * len(exposure_list), label="fog", file=sys.stderr, show_eta=True) as bar:
            shown = [0]

            def progress(done: int, total: int) -> None:
                bar.update(done - shown[0])
                shown[0] = done

            results[names[0]] = neutrino_fog(arrays, exposure_list, sigma_list, z=z, power=power, progress=progress)
        records[names[0]] = _target_data(names[0], arrays, results[names[0]], coupling, z, power, threshold_kev, e_max_kev,
                                         normalisation)
    else:
        cost = COST_PER_TARGET_S + COST_PER_POINT_S * len(mass_list) * len(exposure_list)
        plan = plan_execution(len(names), cost, workers, dask=dask_address)
        if plan.reason:
            click.echo(f"note: {plan.reason}", err=True)
        with executor(plan.workers, plan.dask) as pool:  # an unreachable scheduler fails before the bar shows
            with click.progressbar(length=len(names), label="fog", file=sys.stderr, show_eta=True) as bar:
                results = fog_maps(names, mass_list, exposure_list, sigma_list, z=z, power=power, executor=pool,
                                   on_target=lambda name, result: bar.update(1), **options)
        for name in names:  # the arrays again, for their labels only (cheap next to the limits)
            arrays = fog_arrays(name, mass_list[:1], **options)
            records[name] = _target_data(name, arrays, results[name], coupling, z, power, threshold_kev, e_max_kev,
                                         normalisation)
    for record in records.values():
        record["site"] = site_record
    data: dict[str, Any] = records[names[0]] if len(names) == 1 else {"targets": records}
    text = json.dumps(data, allow_nan=False)
    if out_dir:
        folder = Path(out_dir).expanduser()
        folder.mkdir(parents=True, exist_ok=True)

        def write(tmp: str) -> None:
            Path(tmp).write_text(text + "\n", encoding="utf-8")

        atomic_write(folder / "fog.json", write)
        if len(names) > 1:
            from cevns.reproduce.neutrino_fog import floors_csv

            csv_text = floors_csv(mass_list, {name: results[name].floors[2.0] for name in names})

            def write_csv(tmp: str) -> None:
                Path(tmp).write_text(csv_text, encoding="utf-8")

            atomic_write(folder / "fog_floors.csv", write_csv)
    if plot_path or out_dir:
        if len(names) == 1:
            fig = fog_figure(results[names[0]], names[0])
        else:
            from cevns.reproduce.neutrino_fog import floors_figure

            fig = floors_figure(mass_list, {name: results[name].floors[2.0] for name in names})
        if plot_path:
            save_figure(fig, plot_path)
        if out_dir:
            save_figure(fig, str(Path(out_dir).expanduser() / "fog.png"))
    if as_json:
        click.echo(text)
        return
    for name in names:
        bins = len(records[name]["bins_keV"]) - 1 if records[name]["bins_keV"] else n_bins
        _echo_table(name, results[name], coupling, z, power, threshold_kev, e_max_kev, bins)
