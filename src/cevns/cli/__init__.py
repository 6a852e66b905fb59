"""The ``cevns`` command line: a thin click layer over the library.

One module per group of commands: :mod:`~cevns.cli.experiments` (``experiments list|show``,
``init``), :mod:`~cevns.cli.physics` (``params``, ``xsec``, ``kinematics``), :mod:`~cevns.cli.predict` (``events``, ``spectrum``),
:mod:`~cevns.cli.inference` (``fit``, ``scan``, ``toys``), :mod:`~cevns.cli.releases`
(``compare``, ``release verify|fetch``), :mod:`~cevns.cli.reproduce` (``reproduce``), :mod:`~cevns.cli.wimp` (``wimp``),
:mod:`~cevns.cli.recoils` (``recoils``), :mod:`~cevns.cli.fog` (``fog``);
:mod:`~cevns.cli.common` holds what they share. The command modules import the library
inside the commands, so ``cevns --help`` starts quickly, and a command's module is itself
imported only when that command is run or listed (:class:`LazyGroup`, :data:`COMMANDS`).

Exit status: 0 on success; 2 with one line ``error: ...`` on stderr for bad input (a
:class:`cevns.errors.CevnsError`, or a usage error click finds); 1 with the traceback and
a request to report it for anything else, which is a bug in ``cevns``; 1 with one line for
an operating-system error (a file that cannot be written, a network failure). Output files
are written atomically (temporary file, then rename), so a failed run leaves none behind.

Interrupts (:mod:`cevns.runtime.signals`): Ctrl-C (SIGINT) and SIGTERM end a command the
same way — the work finished so far is saved (scans and pseudo-experiment studies save
each finished chunk, reproductions each finished step), one line on stderr says what was
saved and how to resume, no traceback, exit status 130 (SIGINT) or 143 (SIGTERM). A
signal while the program starts (imports) exits at once, quietly, with the same status:
the handlers for that are installed below before the heavy imports when this module is
imported as the program (the ``cevns`` script, ``python -m cevns`` or ``python -m
cevns.cli``), and by :func:`main` for the run itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from cevns.runtime import signals as _signals


def _started_as_program() -> bool:
    """True when this process is the ``cevns`` program (script or ``python -m``), not a
    host program that imports the library."""
    orig = list(getattr(sys, "orig_argv", ()))
    if "-m" in orig and orig[orig.index("-m") + 1:orig.index("-m") + 2] in (["cevns"], ["cevns.cli"]):
        return True
    return os.path.basename(sys.argv[0] if sys.argv else "").split(".")[0].removesuffix("-script") == "cevns"


#: Environment variables that set the threads of numpy's BLAS (OpenBLAS, OpenMP, MKL).
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_thread_default(environ: Mapping[str, str], numpy_loaded: bool) -> dict[str, str]:
    """The variables the program sets before numpy is loaded: one BLAS thread
    (``OPENBLAS_NUM_THREADS=1``) unless the user set any of :data:`BLAS_THREAD_VARIABLES`
    (their setting is kept) or numpy is already loaded (it would have no effect). The
    package's matrix products are small (bins × nuisances, batches of thin matrices), where
    BLAS threads cost more CPU waking and spinning than they save — measured: the neutrino-fog
    reproduction 11.7 → 7.5 s CPU, ``cevns events`` 0.58 → 0.44 s CPU, on 2 cores; scans and
    studies are parallel over processes (``--workers``), each then on one thread."""
    if numpy_loaded or any(environ.get(v) for v in BLAS_THREAD_VARIABLES):
        return {}
    return {"OPENBLAS_NUM_THREADS": "1"}


if _started_as_program():  # before click and the command modules: an early Ctrl-C is quiet
    _signals.install_startup_handlers()
    os.environ.update(blas_thread_default(os.environ, "numpy" in sys.modules))

from typing import Sequence  # noqa: E402  after the start-up handlers, on purpose

import click  # noqa: E402

from cevns.errors import CevnsError  # noqa: E402

__all__ = ["BUG_HINT", "cli", "main"]

#: The last line after the traceback of an unexpected exception.
BUG_HINT = "this is a bug in cevns {version}; please report it with the command line above"


#: The sub-commands: name → (module in :mod:`cevns.cli`, the click command in it). A
#: command's module is imported when the command is run or listed (``cevns --help``), not
#: before: ``cevns events`` does not import the inference, release or reproduction commands.
COMMANDS: dict[str, tuple[str, str]] = {
    "experiments": ("experiments", "experiments_group"), "init": ("experiments", "init_command"),
    "params": ("physics", "params_command"), "xsec": ("physics", "xsec_command"),
    "kinematics": ("physics", "kinematics_command"),
    "events": ("predict", "events_command"), "spectrum": ("predict", "spectrum_command"),
    "fit": ("inference", "fit_command"), "scan": ("inference", "scan_command"), "toys": ("inference", "toys_command"),
    "compare": ("releases", "compare_command"), "release": ("releases", "release_group"),
    "reproduce": ("reproduce", "reproduce_command"), "recoils": ("recoils", "recoils_command"),
    "wimp": ("wimp", "wimp_command"), "fog": ("fog", "fog_command"),
}


class LazyGroup(click.Group):
    """A click group whose sub-commands in :data:`COMMANDS` are imported on first use
    (commands added with :meth:`add_command` work as in any group, and win over a lazy
    one of the same name)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module, attr = COMMANDS[cmd_name]
            self.add_command(getattr(importlib.import_module(f"cevns.cli.{module}"), attr), cmd_name)
        return self.commands.get(cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cevns", prog_name="cevns")  # read from the metadata only when asked
def cli() -> None:
    """Coherent elastic neutrino-nucleus scattering: predictions for any experiment."""


def interrupted_message(signum: int, args: Sequence[str]) -> str:
    """The one line printed when signal ``signum`` stopped the command ``args``: what was
    saved (the unfinished chunked stores of this process, with their progress) and how to
    go on."""
    stopped = f"cevns: stopped by {_signals.signal_name(signum)}"
    stores = sys.modules.get("cevns.runtime.stores")  # imported only if the command saved something
    unfinished = stores.unfinished_stores() if stores is not None else ()
    if unfinished:
        saved = "; ".join(f"{done} of {total} done and saved in {path}" if total else f"progress saved in {path}"
                          for path, done, total in unfinished)
        return f"{stopped}; {saved}; run the same command with --resume to continue"
    command = [a for a in args if not a.startswith("-")][:2]
    if command[:1] == ["reproduce"]:
        return f"{stopped}; the finished steps are kept in the --out folder; run the same command with --resume to continue"
    if command == ["release", "fetch"]:
        return f"{stopped}; the files fetched so far are kept (no partial file); run the same command to fetch the rest"
    if command[:1] in (["scan"], ["toys"]):
        if "--resume" in args:
            return (f"{stopped} before a new chunk was finished; the --out file still holds its earlier progress; "
                    "run the same command to continue")
        return f"{stopped} before its first chunk was finished; nothing was saved"
    return f"{stopped}; nothing was saved (no partial output file is left)"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the CLI and return its exit status (see the module docstring).

    SIGINT and SIGTERM raise :class:`KeyboardInterrupt` while it runs (the handlers in
    place before are put back when it returns)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        click.echo(cli.get_help(click.Context(cli, info_name="cevns")))
        return 0
    import signal

    before = {sig: signal.getsignal(sig) for sig in _signals.INTERRUPTS}
    _signals.install_run_handlers()
    try:
        return _run(args)
    finally:
        stores = sys.modules.get("cevns.runtime.stores")
        if stores is not None:
            stores.forget_unfinished()
        for sig, handler in before.items():
            if handler is not None:
                try:
                    signal.signal(sig, handler)
                except ValueError:  # not the main thread: nothing was installed either
                    pass


def _run(args: list[str]) -> int:
    try:
        try:
            cli.main(args=args, prog_name="cevns", standalone_mode=False)
        except (click.exceptions.Abort, KeyboardInterrupt):
            signum = _signals.received()
            if signum is None:  # end of input at a prompt
                click.echo("aborted", err=True)
                return 1
            click.echo(interrupted_message(signum, args), err=True)
            return _signals.exit_status(signum)
    except click.exceptions.Exit as exc:
        return exc.exit_code
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
        import traceback  # only for a bug: not imported on every run

        traceback.print_exc()
        from cevns import __version__

        click.echo(BUG_HINT.format(version=__version__), err=True)
        return 1
    return 0
