"""How the command line ends: bad input is one line and exit status 2 (a
:class:`cevns.errors.CevnsError` or a click usage error); anything else is a bug, shown
with its traceback and a request to report it, exit status 1. Also: ``cevns --help``
imports no numerical library, and the options that read the library lazily show the
library's values."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cevns import __version__
from cevns.cli import BUG_HINT
from cevns.errors import CevnsError, InputError
from tests.cli_run import one_error_line as _one_error_line, run_cli as _run


def test_error_types():
    assert issubclass(InputError, CevnsError) and issubclass(InputError, ValueError)
    from cevns.cli.common import UserError
    from cevns.config.experiments import ExperimentError
    from cevns.physics.nuclei import UnknownNucleusError
    from cevns.physics.parameters import ParameterError
    from cevns.runtime.parallel import ExecutorError
    from cevns.runtime.stores import StoreError
    from cevns.stats.fits import UnconstrainedError

    for error in (UserError, ExperimentError, UnknownNucleusError, ParameterError, ExecutorError, StoreError, UnconstrainedError):
        assert issubclass(error, InputError), error


@pytest.mark.parametrize("args, fragment", [
    (("events", "no-such-experiment"), "no-such-experiment"),            # ExperimentError
    (("events", "coherent-csi-2017", "--param", "eps_ee_uv=0.1"), "eps_ee_uV"),  # ParameterError
    (("kinematics", "--nucleus", "Foo", "--enu", "30"), "Foo"),            # UnknownNucleusError → UserError
    (("kinematics", "--nucleus", "133Cs", "--enu", "-1"), "--enu"),       # UserError
    (("kinematics", "--nucleus", "133Cs"), "--enu"),                      # click: missing option
    (("xsec", "--nucleus", "133Cs", "--enu", "30", "--sin2-theta-w", "nan"), "sin2_theta_w"),  # ParameterError
    (("xsec", "--nucleus", "133Cs", "--enu", "30", "--sin2-theta-w", "1.5"), "≤ 1"),
    (("xsec", "--nucleus", "133Cs", "--enu", "30", "--recoil", "5", "--param", "rn_133Cs=0.1"), "too small"),  # form factor
    (("no-such-command",), "no-such-command"),                            # click: usage
])
def test_input_error_is_one_line_exit_2(capsys, args, fragment):
    rc, out, err = _run(capsys, *args)
    assert rc == 2 and out == ""
    assert fragment in _one_error_line(err)
    assert "Traceback" not in err


def test_scan_refuses_a_plot_of_three_axes_before_any_work(capsys, tmp_path):
    out = tmp_path / "s.npz"
    rc, _, err = _run(capsys, "scan", "coherent-csi-2017", "--param", "rn=4:5:2", "--param", "eps_ee_uV=-1:1:2",
                      "--param", "eps_ee_dV=-1:1:2", "--out", str(out), "--plot", str(tmp_path / "s.png"))
    assert rc == 2 and "one or two axes" in _one_error_line(err)
    assert not out.exists()


def test_library_input_error_is_one_line_exit_2(capsys, monkeypatch):
    """An InputError raised anywhere below the CLI (here: in the rate tables) is reported
    as the user's mistake."""
    import cevns.rates.prediction

    def refuse(*_args, **_kwargs):
        raise InputError("the detector is upside down")

    monkeypatch.setattr(cevns.rates.prediction, "counts_table", refuse)
    rc, out, err = _run(capsys, "events", "coherent-csi-2017")
    assert rc == 2 and out == ""
    assert _one_error_line(err) == "error: the detector is upside down"


@pytest.mark.parametrize("exception", [ZeroDivisionError("float division by zero"), KeyError("nu_e"),
                                       ValueError("an internal invariant broke")])
def test_internal_bug_shows_traceback_and_hint(capsys, monkeypatch, exception):
    """Anything that is not a CevnsError is a bug: the traceback (naming the function that
    raised), the exception, and a last line asking for a report; exit status 1. A plain
    ValueError no longer passes for bad input."""
    import cevns.rates.prediction

    def broken(*_args, **_kwargs):
        raise exception

    monkeypatch.setattr(cevns.rates.prediction, "counts_table", broken)
    rc, out, err = _run(capsys, "events", "coherent-csi-2017", "--json")
    assert rc == 1 and out == ""
    lines = err.strip().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "in broken" in err and type(exception).__name__ in err
    assert lines[-1] == BUG_HINT.format(version=__version__)
    assert lines[-1] == f"this is a bug in cevns {__version__}; please report it with the command line above"
    assert not any(ln.startswith("error:") for ln in lines)


def test_os_error_is_one_line_exit_1(capsys, monkeypatch, tmp_path):
    """A file that cannot be written is the environment, not a bug and not bad input."""
    import cevns.runtime.stores

    def denied(path, _write):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(cevns.runtime.stores, "atomic_write", denied)
    rc, out, err = _run(capsys, "spectrum", "coherent-csi-2017", "--points", "5", "--csv", str(tmp_path / "s.csv"))
    assert rc == 1 and out == ""
    line = _one_error_line(err)
    assert "Permission denied" in line and "s.csv" in line


def test_help_and_version_exit_0(capsys):
    rc, out, err = _run(capsys, "--help")
    assert rc == 0 and err == ""
    for command in ("compare", "events", "experiments", "fit", "kinematics", "params", "release", "reproduce", "scan",
                    "spectrum", "toys", "xsec"):
        assert f"  {command} " in out
    rc, out, _ = _run(capsys, "--version")
    assert rc == 0 and __version__ in out
    rc, out, _ = _run(capsys)
    assert rc == 0 and "Commands:" in out


def test_help_imports_no_numerical_library():
    """``cevns --help`` lists every command without importing numpy, scipy, matplotlib,
    iminuit or the physics: the command modules import the library inside the commands."""
    code = (
        "import sys\n"
        "from cevns.cli import main\n"
        "assert main(['--help']) == 0\n"
        "heavy = ('numpy', 'scipy', 'matplotlib', 'iminuit', 'pydantic', 'cevns.physics', 'cevns.config', 'cevns.stats',"
        " 'cevns.releases', 'cevns.reproduce')\n"
        "print(sorted({m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy)}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_lazy_options_show_the_library_values(capsys):
    """xsec's choices and default come from the library, read when the help is shown."""
    from cevns.physics.cross_sections import FLAVORS, SIN2_THETA_W_LOW_ENERGY
    from cevns.physics.form_factors import FORM_FACTOR_MODELS

    rc, out, _ = _run(capsys, "xsec", "--help")
    assert rc == 0
    text = " ".join(out.split())
    assert f"[default: {SIN2_THETA_W_LOW_ENERGY}]" in text
    assert "[" + "|".join(FLAVORS) + "]" in text and "[" + "|".join(FORM_FACTOR_MODELS) + "]" in text
    rc, _, err = _run(capsys, "xsec", "--nucleus", "133Cs", "--enu", "30", "--flavor", "nu_x")
    assert rc == 2 and "nu_x" in _one_error_line(err)


def test_lazy_default_is_the_library_value(capsys):
    """Without --sin2-theta-w the couplings use the library's low-energy value: the same
    cross section as with the value given explicitly, and a different one for another value."""
    from cevns.physics.cross_sections import SIN2_THETA_W_LOW_ENERGY

    base = ("xsec", "--nucleus", "133Cs", "--enu", "30", "--json")
    rc, out, _ = _run(capsys, *base)
    assert rc == 0
    default = json.loads(out)["sigma_total_cm2"]
    _, out, _ = _run(capsys, *base, "--sin2-theta-w", repr(SIN2_THETA_W_LOW_ENERGY))
    assert json.loads(out)["sigma_total_cm2"] == default
    _, out, _ = _run(capsys, *base, "--sin2-theta-w", "0.25")
    assert abs(json.loads(out)["sigma_total_cm2"] / default - 1) > 1e-3
