"""``cevns params``, ``xsec`` and ``kinematics``: the parameters the library knows and the
physics of one nucleus, no experiment needed (``experiments``: :mod:`cevns.cli.experiments`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal, cast

import click

from cevns.cli.common import (
    PARAM_HELP,
    SET_OPTION,
    LibraryChoice,
    LibraryValue,
    UserError,
    experiment_values,
    load,
    non_negative,
    parse_params,
    positive,
)

if TYPE_CHECKING:
    from cevns.physics.nuclei import Target, TargetNucleus


@click.command("params")
@click.argument("experiment", required=False)
@SET_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
def params_command(experiment: str | None, settings: tuple[str, ...], as_json: bool) -> None:
    """List the physics parameters (name, unit, default, meaning). With EXPERIMENT, also its
    per-isotope radii and the values the experiment uses."""
    from cevns.physics.parameters import parameter_table

    isotopes: list[str] = []
    values: dict[str, float] = {}
    if experiment:
        exp = load(experiment, settings)
        isotopes = [iso.name for iso in exp.target.isotopes]
        values = experiment_values(exp)
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
    click.echo("note: rn and rp set one radius for every isotope of the target (CsI: 133Cs and 127I alike); "
               "rn_<isotope>, rp_<isotope> set one isotope's")


def target_or_error(name: str) -> Target:
    """The target ``name`` names (isotope, element or compound), or a :class:`UserError`."""
    from cevns.physics.nuclei import resolve_target

    try:
        return resolve_target(name)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def most_abundant(target: Target) -> TargetNucleus:
    """The nucleus of ``target`` with the largest number per formula unit (the first of
    equals, so ``CsI`` gives ¹³³Cs): ⁴⁰Ar for natural argon, not ³⁶Ar, its first isotope."""
    return max(target.nuclei, key=lambda n: n.per_formula_unit)


@click.command("xsec")
@click.option("--nucleus", required=True, help="Isotope (133Cs), element (Cs) or compound (CsI).")
@click.option("--enu", type=float, help="Neutrino energy in MeV.")
@click.option("--recoil", type=float, help="Nuclear recoil energy in keVnr.")
@click.option("--form-factor", type=LibraryChoice("cevns.physics.form_factors", "FORM_FACTOR_MODELS"), default="helm",
              show_default=True)
@click.option("--flavor", type=LibraryChoice("cevns.physics.cross_sections", "FLAVORS"), default="nu_mu", show_default=True)
@click.option("--couplings", "scheme", default="tree", show_default=True, metavar="NAME",
              help="Coupling set: tree, radiative, custom (with --gv-p-e/--gv-p-mu/--gv-n) or any registered set.")
@click.option("--sin2-theta-w", type=float, default=LibraryValue("cevns.physics.cross_sections", "SIN2_THETA_W_LOW_ENERGY"),
              show_default=True, help="Low-energy weak mixing angle (not with --couplings custom).")
@click.option("--gv-p-e", type=float, help="custom couplings: g_V^p for nu_e.")
@click.option("--gv-p-mu", type=float, help="custom couplings: g_V^p for nu_mu.")
@click.option("--gv-p-tau", type=float, help="custom couplings: g_V^p for nu_tau (default: the nu_mu value).")
@click.option("--gv-n", type=float, help="custom couplings: g_V^n.")
@click.option("--radius", type=click.Choice(["charge", "lewin-smith"]), default="charge", show_default=True,
              help="Default rms radius of the form factors: point-proton radius from the charge radius, or Lewin-Smith.")
@click.option("--proton-radius", type=float, metavar="FM", help="Proton rms radius in fm (every isotope).")
@click.option("--neutron-radius", type=float, metavar="FM", help="Neutron rms radius in fm (every isotope; default: the proton one).")
@click.option("--flux-average", type=click.Choice(["pion-dar"]), help="Print the flux-averaged cross section instead.")
@click.option("--threshold-kev", type=float, metavar="KEV",
              help="With --flux-average: count recoils above this threshold (keVnr); required with a neutrino "
                   "magnetic moment or millicharge, whose average from zero recoil is infinite.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help=PARAM_HELP)
@click.option("--json", "as_json", is_flag=True)
def xsec_command(nucleus: str, enu: float | None, recoil: float | None, form_factor: str, flavor: str, scheme: str,
                 sin2_theta_w: float, gv_p_e: float | None, gv_p_mu: float | None, gv_p_tau: float | None,
                 gv_n: float | None, radius: str, proton_radius: float | None, neutron_radius: float | None,
                 flux_average: str | None, threshold_kev: float | None, params: tuple[str, ...], as_json: bool) -> None:
    """Differential (and total) cross section per nucleus, or a flux average.

    For an element or compound the cross section is the mean over its nuclei by number.
    """
    import numpy as np

    from cevns.physics.cross_sections import NuclearStructure
    from cevns.physics.form_factors import FormFactor, FormFactorModel
    from cevns.physics.interactions import PhysicsModel, differential_cross_section, total_cross_section
    from cevns.physics.parameters import check_value
    from cevns.rates.prediction import model_with_parameters, target_flux_averaged_cross_section
    from cevns.units import keV

    target = target_or_error(nucleus)
    if threshold_kev is not None:
        non_negative("--threshold-kev", threshold_kev)
    check_value("sin2_theta_w", sin2_theta_w)  # finite, in [0, 1]: the option's domain
    couplings = _xsec_couplings(scheme, sin2_theta_w, {"gv_p_e": gv_p_e, "gv_p_mu": gv_p_mu, "gv_p_tau": gv_p_tau, "gv_n": gv_n})
    model_name = cast(FormFactorModel, form_factor)  # one of FORM_FACTOR_MODELS: click checked it
    for option, value in (("--proton-radius", proton_radius), ("--neutron-radius", neutron_radius)):
        if value is not None:
            positive(option, value)
    structure = NuclearStructure(
        FormFactor(model_name), FormFactor(model_name), cast(Literal["charge", "lewin-smith"], radius),
        {} if proton_radius is None else {"*": proton_radius}, {} if neutron_radius is None else {"*": neutron_radius},
    )
    model = model_with_parameters(PhysicsModel(couplings, structure), parse_params(params), target.isotopes, None)
    weights = np.array([n.per_formula_unit for n in target.nuclei])
    weights = weights / weights.sum()
    out: dict[str, Any]
    if flux_average:
        from cevns.sources.pion_dar import pion_dar_source

        source = pion_dar_source(1.0, 1.0, 1.0)  # normalisation cancels in the average
        value = target_flux_averaged_cross_section(target, source, model=model, threshold_kev=threshold_kev or 0.0)
        out = {"nucleus": target.name, "source": flux_average, "flux_averaged_cross_section_cm2": value,
               "flux_averaged_cross_section_1e-40_cm2": value / 1e-40}
        if threshold_kev is not None:
            out["threshold_keV"] = threshold_kev
    else:
        if threshold_kev is not None:
            raise UserError("--threshold-kev applies to --flux-average only")
        if enu is None:
            raise UserError("--enu is required (or use --flux-average)")
        positive("--enu", enu)
        out = {"nucleus": target.name, "enu_MeV": enu}
        if recoil is None or not (any(model.magnetic_moment.values()) or any(model.millicharge.values())):
            out["sigma_total_cm2"] = float(sum(w * total_cross_section(enu, n.isotope, flavor, model)
                                               for w, n in zip(weights, target.nuclei)))
        if recoil is not None:
            non_negative("--recoil", recoil)
            per_mev = sum(w * differential_cross_section(enu, recoil * keV, n.isotope, flavor, model)
                          for w, n in zip(weights, target.nuclei))
            out["recoil_keV"] = recoil
            out["dsigma_dT_cm2_per_keV"] = float(per_mev * keV)
    out["couplings"] = model.couplings.scheme
    out["couplings_detail"] = model.couplings.name
    out["radius"] = radius
    out["radii_fm"] = {iso.name: dict(zip(("proton", "neutron"), model.structure.radii_fm(iso))) for iso in target.isotopes}
    if as_json:
        click.echo(json.dumps(out, indent=2))
    else:
        for key, value in out.items():
            if key == "radii_fm":
                click.echo("radii_fm: " + ", ".join(f"{k} rp={v['proton']:.4f} rn={v['neutron']:.4f}" for k, v in value.items()))
            else:
                click.echo(f"{key}: {value:.6g}" if isinstance(value, float) else f"{key}: {value}")


def _xsec_couplings(scheme: str, sin2_theta_w: float, given: dict[str, float | None]) -> Any:
    """The coupling set of ``cevns xsec``: ``custom`` takes the --gv-* values and no
    --sin2-theta-w; the other sets take no --gv-* value (one-line errors)."""
    from cevns.physics.cross_sections import couplings_by_name

    values = {k: v for k, v in given.items() if v is not None}
    ctx = click.get_current_context()
    sin2_given = ctx.get_parameter_source("sin2_theta_w") not in (None, click.core.ParameterSource.DEFAULT)
    if scheme == "custom":
        if sin2_given:
            raise UserError("--sin2-theta-w does not apply to --couplings custom (give --gv-p-e, --gv-p-mu, --gv-n)")
        missing = [f"--{k.replace('_', '-')}" for k in ("gv_p_e", "gv_p_mu", "gv_n") if k not in values]
        if missing:
            raise UserError(f"--couplings custom needs {', '.join(missing)}")
        return couplings_by_name("custom", None, values)
    if values:
        raise UserError(f"--gv-p-e/--gv-p-mu/--gv-p-tau/--gv-n only apply to --couplings custom, not {scheme!r}")
    return couplings_by_name(scheme, sin2_theta_w)


@click.command("kinematics")
@click.option("--nucleus", required=True, help="Isotope, element or compound.")
@click.option("--enu", type=float, required=True, help="Neutrino energy in MeV.")
@click.option("--recoil", type=float, help="Also give E_min for this recoil (keVnr).")
@click.option("--json", "as_json", is_flag=True)
def kinematics_command(nucleus: str, enu: float, recoil: float | None, as_json: bool) -> None:
    """Maximum recoil, momentum transfer and minimum neutrino energy per isotope.

    The headline recoil_max_keV is that of the most abundant isotope (⁴⁰Ar for Ar), named
    in the output.
    """
    from cevns.physics.kinematics import momentum_transfer, neutrino_energy_min, recoil_max
    from cevns.units import keV

    target = target_or_error(nucleus)
    positive("--enu", enu)
    non_negative("--recoil", recoil)
    rows: dict[str, dict[str, float]] = {}
    for iso in target.isotopes:
        t_max = float(recoil_max(enu, iso.mass))
        row = {"mass_MeV": iso.mass, "recoil_max_keV": t_max / keV, "q_max_MeV": float(momentum_transfer(t_max, iso.mass))}
        if recoil is not None:
            row["neutrino_energy_min_MeV"] = float(neutrino_energy_min(recoil * keV, iso.mass))
        rows[iso.name] = row
    main = most_abundant(target)
    fraction = main.per_formula_unit / sum(n.per_formula_unit for n in target.nuclei)
    out = {"nucleus": target.name, "enu_MeV": enu, "isotope": main.isotope.name, "isotope_fraction": fraction,
           "recoil_max_keV": rows[main.isotope.name]["recoil_max_keV"], "isotopes": rows}
    if as_json:
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(f"{target.name}: most abundant isotope {main.isotope.name} ({100 * fraction:.4g} % of the nuclei), "
                   f"recoil_max_keV {out['recoil_max_keV']:.6g}")
        for name, row in rows.items():
            click.echo(f"{name}: " + ", ".join(f"{k} {v:.6g}" for k, v in row.items()))
