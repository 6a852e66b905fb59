"""``cevns recoils``: the recoil spectrum of one element in a neutrino source, for electron
recoils (ν e → ν e, :mod:`cevns.rates.electron_recoils`) or nuclear recoils (CEvNS,
:func:`cevns.rates.prediction.differential_rate`), per tonne-year, no detector response."""

from __future__ import annotations

import json
import math
from typing import Any

import click

from cevns.cli.common import PARAM_HELP, UserError, load, parse_params

#: Log-spaced default recoil ranges (keV) per channel.
DEFAULT_RANGE_KEV = {"electron": (1.0, 100.0), "nuclear": (0.1, 10.0)}


def _source(name: str) -> Any:
    """``solar`` (every solar component, MSW at Earth) or the source of a shipped experiment / TOML file."""
    if name == "solar":
        from cevns.sources.solar import SOLAR_COMPONENTS, solar_source

        return solar_source(tuple(SOLAR_COMPONENTS))
    return load(name, ()).source


@click.command("recoils")
@click.argument("element")
@click.option("--source", "source_name", default="solar", show_default=True,
              help="'solar' (all solar components) or an experiment (shipped name or .toml) whose source to use.")
@click.option("--channel", type=click.Choice(["electron", "nuclear"]), default="electron", show_default=True,
              help="Electron recoils (ν e scattering, stepping approximation) or nuclear recoils (CEvNS).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help=PARAM_HELP + " Electron NSI: eps_<pair>_eV / eps_<pair>_eA (electron channel).")
@click.option("--low", type=float, default=None, help="Lowest recoil, keV [electron: 1, nuclear: 0.1].")
@click.option("--high", type=float, default=None, help="Highest recoil, keV [electron: 100, nuclear: 10].")
@click.option("--points", default=12, show_default=True, type=click.IntRange(min=2, max=10000), help="Log-spaced recoil points.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def recoils_command(element: str, source_name: str, channel: str, params: tuple[str, ...], low: float | None,
                    high: float | None, points: int, as_json: bool) -> None:
    """Recoil spectrum dR/dT of ELEMENT (a symbol: Xe, Ar, Ge, ...) in events per tonne per
    year per keV, per neutrino flavour, with no detector response."""
    import numpy as np

    from cevns.physics.interactions.electron_nsi import ELECTRON_NSI_PARAMETERS
    from cevns.physics.interactions import PhysicsModel
    from cevns.physics.parameters import apply_parameters

    lo, hi = DEFAULT_RANGE_KEV[channel]
    lo, hi = (lo if low is None else low), (hi if high is None else high)
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise UserError(f"give 0 < --low < --high (keV), got {lo} and {hi}")
    given = parse_params(params)
    electron_nsi = {k: v for k, v in given.items() if k in ELECTRON_NSI_PARAMETERS}
    if electron_nsi and channel != "electron":
        raise UserError(f"{', '.join(electron_nsi)}: electron NSI acts on the electron channel only")
    model = apply_parameters(PhysicsModel(), given)
    source = _source(source_name)
    recoil = np.geomspace(lo, hi, points)
    if channel == "electron":
        from cevns.rates.electron_recoils import electron_recoil_rate

        rates = electron_recoil_rate(recoil, element, source, model)
    else:
        from cevns.physics.nuclei import natural_isotopes
        from cevns.rates.electron_recoils import atoms_per_tonne
        from cevns.rates.prediction import differential_rate
        from cevns.units import year

        atoms = atoms_per_tonne(element)
        rates = {}
        for iso in natural_isotopes(element):
            for flavor, r in differential_rate(recoil, iso, atoms * iso.abundance, source, year, model=model).items():
                rates[flavor] = rates.get(flavor, 0.0) + r
    total = sum(rates.values(), np.zeros_like(recoil))
    unit = "events/(t yr keV)"
    if as_json:
        click.echo(json.dumps({"element": element, "source": source.name, "channel": channel, "unit": unit,
                               "parameters": given, "recoil_kev": recoil.tolist(), "total": total.tolist(),
                               "by_flavor": {f: r.tolist() for f, r in rates.items()}}, indent=2))
        return
    click.echo(f"# {element}, {channel} recoils, source: {source.name}; dR/dT in {unit}, no detector response")
    click.echo(",".join(["recoil_keV", "total", *rates]))
    for i, t in enumerate(recoil):
        click.echo(",".join(f"{v:.6g}" for v in (t, total[i], *(r[i] for r in rates.values()))))


__all__ = ["recoils_command"]
