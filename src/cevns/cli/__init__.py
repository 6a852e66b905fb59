"""The ``cevns`` command line: a thin click layer over the library.

One module per group of commands: :mod:`~cevns.cli.physics` (``experiments``, ``params``,
``xsec``, ``kinematics``), :mod:`~cevns.cli.predict` (``events``, ``spectrum``),
:mod:`~cevns.cli.inference` (``fit``, ``scan``, ``toys``), :mod:`~cevns.cli.releases`
(``compare``, ``release verify|fetch``), :mod:`~cevns.cli.reproduce` (``reproduce``);
:mod:`~cevns.cli.common` holds what they share. The command modules import the library
inside the commands, so ``cevns --help`` starts quickly.

Exit status: 0 on success; 2 with one line ``error: ...`` on stderr for bad input (a
:class:`cevns.errors.CevnsError`, or a usage error click finds); 1 with the traceback and
a request to report it for anything else, which is a bug in ``cevns``; 1 with one line for
an operating-system error (a file that cannot be written, a network failure). Output files
are written atomically (temporary file, then rename), so a failed run leaves none behind.
"""

from __future__ import annotations

import sys
import traceback
from typing import Sequence

import click

from cevns.cli.inference import fit_command, scan_command, toys_command
from cevns.cli.physics import experiments_command, kinematics_command, params_command, xsec_command
from cevns.cli.predict import events_command, spectrum_command
from cevns.cli.releases import compare_command, release_group
from cevns.cli.reproduce import reproduce_command
from cevns.errors import CevnsError

__all__ = ["BUG_HINT", "cli", "main"]

#: The last line after the traceback of an unexpected exception.
BUG_HINT = "this is a bug in cevns {version}; please report it with the command line above"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cevns", prog_name="cevns")  # read from the metadata only when asked
def cli() -> None:
    """Coherent elastic neutrino-nucleus scattering: predictions for any experiment."""


for _command in (experiments_command, params_command, xsec_command, kinematics_command, events_command, spectrum_command,
                 fit_command, scan_command, toys_command, compare_command, release_group, reproduce_command):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and return its exit status (see the module docstring)."""
    args = list(sys.argv[1:] if argv is None else argv)
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
    except CevnsError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except OSError as exc:
        click.echo(f"error: {exc}", err=True)
        return 1
    except Exception:
        traceback.print_exc()
        from cevns import __version__

        click.echo(BUG_HINT.format(version=__version__), err=True)
        return 1
    return 0
