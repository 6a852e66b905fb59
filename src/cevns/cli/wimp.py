"""``cevns wimp``: the nuclear-recoil spectrum of a WIMP in the Standard Halo Model and the
counts above a threshold (:mod:`cevns.physics.wimp`, :mod:`cevns.rates.recoil_signals`)."""

from __future__ import annotations

import json
from typing import Any, Literal, cast

import click

from cevns.cli.common import LibraryChoice, UserError


@click.command("wimp")
@click.argument("target")
@click.option("--mass", "masses", type=float, multiple=True, required=True, metavar="GEV",
              help="WIMP mass in GeV (repeatable).")
@click.option("--sigma", type=float, required=True, metavar="CM2",
              help="WIMP-nucleon cross section at zero momentum transfer, cm2 (proton for SI and --sd p, neutron for --sd n).")
@click.option("--sd", type=click.Choice(["p", "n"]), help="Spin-dependent coupling to protons or neutrons only (default: spin-independent).")
@click.option("--threshold-kev", type=float, default=0.0, show_default=True, metavar="KEV",
              help="Count recoils above this energy (keVnr), with perfect efficiency.")
@click.option("--max-kev", type=float, metavar="KEV",
              help="Count recoils below this energy (keVnr; default: the largest recoil the halo allows).")
@click.option("--exposure-ton-year", type=float, default=1.0, show_default=True, metavar="E",
              help="Exposure in tonne-years of target material.")
@click.option("--form-factor", type=LibraryChoice("cevns.physics.form_factors", "FORM_FACTOR_MODELS"), default="helm",
              show_default=True, help="Spin-independent form factor (Lewin-Smith radius).")
@click.option("--fn-fp", type=float, default=1.0, show_default=True, help="Spin-independent f_n/f_p (1: isospin-conserving).")
@click.option("--points", type=click.IntRange(2, 100000), default=40, show_default=True, help="Points of the printed spectrum.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def wimp_command(target: str, masses: tuple[float, ...], sigma: float, sd: str | None, threshold_kev: float,
                 max_kev: float | None, exposure_ton_year: float, form_factor: str, fn_fp: float, points: int,
                 as_json: bool) -> None:
    """WIMP recoil spectrum on TARGET (an isotope, element or compound: Xe, Ar, Ge, NaI,
    CaWO4, C3F8, CF3I) in events/(tonne year keVnr), and the counts above the threshold,
    for the Standard Halo Model of Baxter et al., EPJC 81, 907 (2021)."""
    import math

    import numpy as np

    from cevns.physics.wimp import SHM, recoil_max_kev, wimp_rate, wimp_target
    from cevns.rates.recoil_signals import wimp_counts_above

    if not (math.isfinite(exposure_ton_year) and exposure_ton_year > 0):
        raise UserError(f"--exposure-ton-year must be a finite number > 0, got {exposure_ton_year}")
    if not (math.isfinite(threshold_kev) and threshold_kev >= 0):
        raise UserError(f"--threshold-kev must be a finite number >= 0, got {threshold_kev}")
    coupling = cast(Literal["si", "sd-p", "sd-n"], "si" if sd is None else f"sd-{sd}")
    tgt = wimp_target(target)
    mass_array = np.asarray(masses, dtype=float)
    wimp_rate(threshold_kev, mass_array, tgt, sigma, coupling=coupling, form_factor=form_factor, fn_over_fp=fn_fp)  # validates
    rows: list[dict[str, Any]] = []
    if max_kev is not None and not (math.isfinite(max_kev) and max_kev > threshold_kev):
        raise UserError(f"--max-kev must be a finite number above --threshold-kev ({threshold_kev:g}), got {max_kev}")
    for mass in mass_array:
        e_max = max(float(recoil_max_kev(mass, iso.mass, SHM)) for iso in tgt.isotopes)
        upper = e_max if max_kev is None else max_kev
        row: dict[str, Any] = {"mass_GeV": float(mass), "max_recoil_keV": e_max, "counts": 0.0,
                               "recoil_keV": [], "rate_per_tonne_year_keV": []}
        if threshold_kev < e_max:  # else no recoil of this mass reaches the threshold: 0 events
            grid = np.linspace(threshold_kev, min(upper, e_max), points)
            spectrum = wimp_rate(grid, mass, tgt, sigma, coupling=coupling, form_factor=form_factor, fn_over_fp=fn_fp)
            row["counts"] = float(wimp_counts_above(threshold_kev, tgt, [mass], sigma, max_kev=upper,
                                                    exposure_tonne_year=exposure_ton_year, coupling=coupling,
                                                    form_factor=form_factor, fn_over_fp=fn_fp)[0])
            row.update(recoil_keV=grid.tolist(), rate_per_tonne_year_keV=spectrum.tolist())
        rows.append(row)
    header = {"target": tgt.name, "coupling": coupling, "sigma_cm2": sigma, "threshold_keV": threshold_kev,
              "max_keV": max_kev, "exposure_tonne_year": exposure_ton_year,
              "halo": {"rho_GeV_cm3": SHM.rho_gev_cm3, "v0_km_s": SHM.v0_kms, "v_esc_km_s": SHM.v_esc_kms,
                       "v_earth_km_s": SHM.v_earth_kms}}
    if coupling == "si":
        header.update(form_factor=form_factor, fn_over_fp=fn_fp)
    if as_json:
        click.echo(json.dumps({**header, "masses": rows}, indent=2))
        return
    click.echo(f"WIMP on {tgt.name}: {coupling.upper()}, sigma = {sigma:.3g} cm2, SHM rho0 = {SHM.rho_gev_cm3} GeV/cm3, "
               f"v0 = {SHM.v0_kms:g}, v_esc = {SHM.v_esc_kms:g}, v_E = {SHM.v_earth_kms:g} km/s")
    for row in rows:
        window = f"{threshold_kev:g}-{row['max_recoil_keV'] if max_kev is None else max_kev:.4g} keVnr"
        click.echo(f"\nm = {row['mass_GeV']:g} GeV: {row['counts']:.6g} events in {exposure_ton_year:g} tonne-year "
                   f"({window}); largest recoil {row['max_recoil_keV']:.4g} keVnr")
        if not row["recoil_keV"]:
            click.echo("no recoil reaches the threshold")
            continue
        click.echo(f"{'E_R [keVnr]':>12s}  {'dR/dE [1/(t yr keV)]':>22s}")
        for e, r in zip(row["recoil_keV"], row["rate_per_tonne_year_keV"]):
            click.echo(f"{e:12.5g}  {r:22.6g}")
