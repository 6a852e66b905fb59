"""Experiment files for the tests of the astrophysical sources: the shipped COHERENT Ge file
with its ``[source]`` section replaced (shared by test_atmospheric_dsnb and test_geoneutrinos)."""

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
