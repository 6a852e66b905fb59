"""Experiment files for the tests of the astrophysical sources: the shipped COHERENT Ge file
with its ``[source]`` section replaced, and the check that a bad one is refused in one line
(shared by test_atmospheric_dsnb and test_geoneutrinos)."""

from __future__ import annotations

from pathlib import Path

_GE = (Path(__file__).resolve().parents[1] / "src" / "cevns" / "data" / "experiments" / "coherent-ge.toml").read_text()
_GE_SOURCE = _GE[_GE.index("[source]"):]
_GE_SOURCE = _GE_SOURCE[: _GE_SOURCE.index("\n[", 1) + 1] if "\n[" in _GE_SOURCE[1:] else _GE_SOURCE


def ge_experiment_with_source(tmp_path: Path, source: str, name: str = "astro.toml") -> str:
    """Path (text) of ``coherent-ge.toml`` written under ``tmp_path`` with ``source`` (a
    whole ``[source]`` table) in place of its own."""
    path = tmp_path / name
    path.write_text(_GE.replace(_GE_SOURCE, source + "\n"))
    return str(path)


def assert_refused_in_one_line(tmp_path: Path, source: str, message: str) -> None:
    """Loading ``coherent-ge.toml`` with ``source`` in place of its ``[source]`` table raises
    :class:`cevns.config.ExperimentError` whose one-line text contains ``message``."""
    import re

    import pytest

    from cevns.config import ExperimentError, load_experiment

    with pytest.raises(ExperimentError, match=re.escape(message)) as err:
        load_experiment(ge_experiment_with_source(tmp_path, source))
    assert "\n" not in str(err.value)
