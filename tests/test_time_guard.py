"""The CPU-time guard of long tasks (cevns.runtime.resources.check_time, CEVNS_MAX_HOURS)
and the figure-format check of --plot (cevns.cli.common.check_figure_format)."""

from __future__ import annotations

import pytest

from cevns.cli.common import UserError, check_figure_format
from cevns.errors import InputError
from cevns.runtime.resources import DEFAULT_MAX_HOURS, MAX_HOURS_ENV, TimeLimitError, check_time, time_limit


def test_default_limit_and_boundary(monkeypatch):
    monkeypatch.delenv(MAX_HOURS_ENV, raising=False)
    assert time_limit() == (DEFAULT_MAX_HOURS * 3600.0, "the default")
    check_time("a task", DEFAULT_MAX_HOURS * 3600.0)  # exactly at the limit: accepted
    check_time("a task", 0.0)
    check_time("a task", float("nan"))  # an impossible estimate refuses nothing
    with pytest.raises(TimeLimitError) as info:
        check_time("a scan of 1e+08 points", DEFAULT_MAX_HOURS * 3600.0 * 1.01, "use fewer points")
    message = str(info.value)
    assert "\n" not in message and "a scan of 1e+08 points" in message and MAX_HOURS_ENV in message
    assert "use fewer points, or set" in message
    assert isinstance(info.value, InputError)


def test_environment_variable(monkeypatch):
    monkeypatch.setenv(MAX_HOURS_ENV, "0.5")
    assert time_limit() == (1800.0, f"{MAX_HOURS_ENV}=0.5")
    check_time("a task", 1800.0)
    with pytest.raises(TimeLimitError, match="about 31 min of CPU time, beyond the limit of 30 min"):
        check_time("a task", 1860.0)
    for bad in ("-1", "nan", "inf", "soon", "0"):
        monkeypatch.setenv(MAX_HOURS_ENV, bad)
        with pytest.raises(InputError, match=MAX_HOURS_ENV):
            time_limit()


@pytest.mark.parametrize("name", ["x.png", "x.PDF", "dir/x.svg", "x.jpg", "x"])
def test_figure_formats_accepted(name):
    check_figure_format(name)


@pytest.mark.parametrize("name", ["x.xyz", "x.csv", "x.png.bak"])
def test_figure_formats_refused(name):
    with pytest.raises(UserError, match="unknown figure format"):
        check_figure_format(name)


def test_scan_refused_beyond_the_limit(monkeypatch, tmp_path, capsys):
    """A 300-point per-point scan with a limit of 3.6 µs: refused after timing 4 points,
    one line naming the axis, no file written; at or below 256 points nothing is timed."""
    from cevns.cli import main

    monkeypatch.setenv(MAX_HOURS_ENV, "1e-9")
    out = tmp_path / "s.npz"
    assert main(["scan", "coherent-csi-2017", "--param", "rn=4:5:300", "--out", str(out), "--exact"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: a scan of 300 points (rn: 300 points; per-point evaluation") and "\n" not in err
    assert MAX_HOURS_ENV in err
    assert list(tmp_path.iterdir()) == []
    assert main(["scan", "coherent-csi-2017", "--param", "rn=4:5:3", "--out", str(out)]) == 0
