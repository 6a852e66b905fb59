"""``cevns experiments [list|show NAME]`` and ``cevns init``: what a new user starts from.

``cevns experiments`` (or ``experiments list``) names the shipped experiments and detector
arrays; ``experiments show NAME`` prints the shipped TOML file verbatim (comments and
references included), a starting point to copy; ``cevns init`` prints (or writes) a
commented template of a new detector, for a pion decay-at-rest source or a reactor, that
loads as it is (``cevns events my-detector.toml`` works at once).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from cevns.cli.common import UserError, atomic_write

__all__ = ["TEMPLATES", "experiments_group", "init_command", "shipped_text"]


#: ``cevns init`` templates by source kind. Every number is a placeholder to replace; the
#: comments say what each field means and its unit. Both load with
#: :func:`cevns.config.experiments.load_experiment` (tested).
TEMPLATES: dict[str, str] = {
    "pion-dar": '''\
# A new CEvNS detector at a pion decay-at-rest source (a spallation source such as the SNS).
# Every number below is a placeholder: replace it with your detector's value.
# Check it with:   cevns events THIS_FILE      and   cevns params THIS_FILE
# Full examples:   cevns experiments list,  cevns experiments show coherent-csi-2017
name = "my-detector"
description = "A CsI detector at 20 m from a 1.4 MW pion decay-at-rest source (template)"
references = ["Say where each number comes from (paper, arXiv number, table)"]

[target]
material = "CsI"          # an isotope (133Cs), element (Ge) or compound (CsI, NaI, C3F8)

[nuclear]
form_factor = "helm"      # helm, sf (symmetrized Fermi), kn (Klein-Nystrand) or none
radius = "charge"         # default rms radii: from the charge radii, or "lewin-smith"

[couplings]
scheme = "tree"           # tree or radiative
sin2_theta_w = 0.23857    # low-energy weak mixing angle

[detector]
mass_kg = 14.6            # target mass, kg

[detector.observable]
kind = "keVnr"            # the observed energy: keVnr (nuclear recoil) or keVee (with [detector.quenching])

[detector.efficiency]
model = "none"            # none (step at the first bin edge), logistic, weibull or table

[detector.resolution]
model = "none"            # none or gaussian

[detector.bins]
low = 10.0                # first bin edge = threshold, in the observable's unit
high = 60.0
width = 5.0

[source]
type = "pion-dar"
beam_power_MW = 1.4       # proton beam power, MW
proton_energy_GeV = 1.0   # proton kinetic energy, GeV
nu_per_flavor_per_pot = 0.08   # neutrinos of each flavour per proton on target
baseline_m = 20.0         # distance from the target, m

[exposure]
live_days = 365.0         # beam-on live time, days

[data]                    # no observed counts: a forecast (fit and scan with --asimov)
statistic = "pull-chi2"
signal_uncertainty = 0.10 # relative normalisation uncertainty of the signal
''',
    "reactor": '''\
# A new CEvNS detector at a nuclear reactor.
# Every number below is a placeholder: replace it with your detector's value.
# Check it with:   cevns events THIS_FILE      and   cevns params THIS_FILE
# Full examples:   cevns experiments list,  cevns experiments show reactor-ge-conus-like
name = "my-reactor-detector"
description = "1 kg natural germanium at 17 m from a 3.9 GW_th reactor, 1 year (template)"
references = ["Say where each number comes from (paper, arXiv number, table)"]

[target]
material = "Ge"           # an isotope (76Ge), element (Ge) or compound (CaWO4, Al2O3)

[detector]
mass_kg = 1.0             # target mass, kg

[detector.quenching]      # ionisation detectors see a quenched recoil energy
model = "lindhard"
k = 0.162                 # Lindhard k (germanium)

[detector.observable]
kind = "keVee"            # the observed energy: keVee (with quenching) or keVnr

[detector.efficiency]
model = "none"            # none (step at the first bin edge), logistic, weibull or table

[detector.resolution]
model = "gaussian"
noise = 0.03              # Gaussian noise, keVee

[detector.bins]
low = 0.3                 # first bin edge = threshold, keVee
high = 1.0
width = 0.05

[source]
type = "reactor"
thermal_power_GW = 3.9    # thermal power, GW
baseline_m = 17.1         # distance from the core, m

[exposure]
live_days = 365.25        # reactor-on live time, days

[data]                    # no observed counts: a forecast (fit and scan with --asimov)
statistic = "pull-chi2"
signal_uncertainty = 0.05 # relative normalisation uncertainty of the signal (reactor flux)
''',
}


def shipped_text(name: str) -> str:
    """The text of the shipped experiment or detector array ``name``, verbatim; a
    :class:`UserError` naming the known ones for any other name."""
    from cevns.config.experiments import shipped_experiments
    from cevns.stats.array_files import shipped_arrays

    for folder, known in (("experiments", shipped_experiments()), ("arrays", shipped_arrays())):
        if name in known:
            return (resources.files("cevns") / "data" / folder / f"{name}.toml").read_text(encoding="utf-8")
    names = [*shipped_experiments(), *shipped_arrays()]
    raise UserError(f"no shipped experiment or array {name!r}; known: {', '.join(names)}")


def _list() -> None:
    from cevns.config.experiments import shipped_experiments
    from cevns.stats.array_files import shipped_arrays

    for name, description in shipped_experiments().items():
        click.echo(f"{name:28s} {description}")
    for name, description in shipped_arrays().items():
        click.echo(f"{name:28s} [array] {description}")


@click.group("experiments", invoke_without_command=True)
@click.pass_context
def experiments_group(ctx: click.Context) -> None:
    """List the shipped experiments and detector arrays (fit and scan take either);
    `experiments show NAME` prints one, `cevns init` a template for a new detector."""
    if ctx.invoked_subcommand is None:
        _list()


@experiments_group.command("list")
def list_command() -> None:
    """List the shipped experiments and detector arrays."""
    _list()


@experiments_group.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """Print the TOML file of the shipped experiment or array NAME, verbatim: a starting
    point for a file of your own (cevns init gives a shorter template)."""
    click.echo(shipped_text(name), nl=False)


@click.command("init")
@click.option("--source", "kind", type=click.Choice(sorted(TEMPLATES)), default="pion-dar", show_default=True,
              help="The neutrino source of the new detector.")
@click.option("--out", "out_path", type=click.Path(dir_okay=False),
              help="Write the template to this file (not overwritten if it exists); default: print it.")
def init_command(kind: str, out_path: str | None) -> None:
    """A commented experiment file for a new detector, ready to edit: it loads as it is
    (try cevns events FILE), every number is a placeholder to replace."""
    text = TEMPLATES[kind]
    if out_path is None:
        click.echo(text, nl=False)
        return
    path = Path(out_path)
    if path.exists():
        raise UserError(f"{path} exists; not overwritten (choose another --out or remove it)")
    if not path.resolve().parent.is_dir():
        raise UserError(f"directory {path.parent} does not exist")
    def write(tmp: str) -> None:
        Path(tmp).write_text(text, encoding="utf-8")

    atomic_write(path, write)
    click.echo(f"wrote {path}; check it with: cevns events {path}")
