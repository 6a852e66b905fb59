"""The source-type registry of experiment files: a new ``[source] type`` is one
registration, accepted from TOML and built while registered, rejected after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import numpy as np
import pytest
from pydantic import Field

from cevns.config.experiments import ExperimentError, load_experiment
from cevns.config.sources import (
    PionDarSpec,
    SourceContext,
    SourceSpec,
    register_source_type,
    source_types,
    unregister_source_type,
)
from cevns.sources.pion_dar import PROMPT_NU_MU_ENERGY
from cevns.sources.spectra import LineSpectrum, NeutrinoSource

SHIPPED = Path(__file__).resolve().parents[1] / "src" / "cevns" / "data" / "experiments"
GE = (SHIPPED / "coherent-ge.toml").read_text()
GE_SOURCE = """[source]
type = "pion-dar"
beam_power_MW = 1.4      # Dordei's talk, 'The COHERENT experiment - SNS': recently reached 1.4 MW
proton_energy_GeV = 1.0  # Dordei's talk: 1 GeV protons
nu_per_flavor_per_pot = 0.08   # Science 357, 1123 (2017)
baseline_m = 22.0        # Science 357, 1123 (2017), Table 1
"""


class LineSourceSpec(SourceSpec):
    """A toy source type: one monoenergetic flavour."""

    type: Literal["line"]
    flavour: str
    energy_MeV: float = Field(gt=0)
    flux_cm2_s: float = Field(ge=0)


def build_line(spec: LineSourceSpec, context: SourceContext) -> NeutrinoSource:
    return NeutrinoSource("line", {spec.flavour: LineSpectrum(spec.energy_MeV)}, {spec.flavour: spec.flux_cm2_s})


@pytest.fixture
def line_type() -> Iterator[None]:
    register_source_type("line", LineSourceSpec, build_line)
    try:
        yield
    finally:
        unregister_source_type("line")


def _line_toml(tmp_path: Path, flux: float, energy: float = PROMPT_NU_MU_ENERGY) -> Path:
    assert GE.count(GE_SOURCE) == 1
    source = f'[source]\ntype = "line"\nflavour = "nu_mu"\nenergy_MeV = {energy!r}\nflux_cm2_s = {flux!r}\n'
    path = tmp_path / "ge-line.toml"
    path.write_text(GE.replace(GE_SOURCE, source))
    return path


def test_shipped_types_are_registered():
    assert list(source_types()) == ["pion-dar", "reactor", "table", "solar", "atmospheric", "dsnb", "geoneutrino"]


def test_registered_type_is_accepted_from_toml_and_builds(line_type, tmp_path):
    """A prompt ν_μ line at the πDAR flux equals the prompt component of the πDAR source:
    the toy experiment's counts are the shipped experiment's ν_μ counts."""
    shipped = load_experiment("coherent-ge")
    flux = shipped.source.flux_cm2_s["nu_mu"]
    toy = load_experiment(str(_line_toml(tmp_path, flux)))
    assert toy.source.flavors == ("nu_mu",)
    assert isinstance(toy.spec.source, LineSourceSpec) and toy.spec.source.energy_MeV == PROMPT_NU_MU_ENERGY
    expected = shipped.binned_counts()
    got = toy.binned_counts()
    k = expected.flavors.index("nu_mu")
    assert got.total > 0
    np.testing.assert_allclose(got.counts[:, 0], expected.counts[:, k], rtol=1e-12, atol=0)
    # an override of the new type's field goes through the schema like any other
    half = load_experiment(str(_line_toml(tmp_path, flux)), {"source.flux_cm2_s": flux / 2})
    assert half.binned_counts().total == pytest.approx(got.total / 2, rel=1e-12)


def test_registered_type_fields_are_validated_and_named(line_type, tmp_path):
    with pytest.raises(ExperimentError, match=r"bad value for 'source\.energy_MeV'"):
        load_experiment(str(_line_toml(tmp_path, 1e7, energy=-1.0)))
    with pytest.raises(ExperimentError, match=r"unknown --set path 'source\.colour'"):
        load_experiment(str(_line_toml(tmp_path, 1e7)), {"source.colour": "red"})
    with pytest.raises(ExperimentError, match=r"'source\.type': 'lamp' is not one of atmospheric, dsnb, geoneutrino, line, pion-dar, reactor, solar, table"):
        load_experiment(str(_line_toml(tmp_path, 1e7)), {"source.type": "lamp"})


def test_unregistered_type_is_rejected(tmp_path):
    register_source_type("line", LineSourceSpec, build_line)
    path = _line_toml(tmp_path, 1e7)
    assert load_experiment(str(path)).source.flavors == ("nu_mu",)
    unregister_source_type("line")
    assert "line" not in source_types()
    with pytest.raises(ExperimentError, match=r"ge-line\.toml: bad value for 'source\.type': 'line' is not one of atmospheric, dsnb, geoneutrino, pion-dar, reactor, solar, table$"):
        load_experiment(str(path))
    load_experiment("coherent-ge")  # the shipped types still work


def test_missing_type_names_the_registered_ones(tmp_path):
    path = tmp_path / "no-type.toml"
    path.write_text(GE.replace(GE_SOURCE, "[source]\nbaseline_m = 22.0\n"))
    with pytest.raises(ExperimentError, match=r"missing field 'source\.type' \(one of atmospheric, dsnb, geoneutrino, pion-dar, reactor, solar, table\)"):
        load_experiment(str(path))


def test_bad_registrations(line_type):
    with pytest.raises(ValueError, match="already registered"):
        register_source_type("line", LineSourceSpec, build_line)
    with pytest.raises(ValueError, match=r"type must be Literal\['other'\]"):
        register_source_type("other", LineSourceSpec, build_line)
    with pytest.raises(TypeError, match="subclass of SourceSpec"):
        register_source_type("other", dict, build_line)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no source type 'other'"):
        unregister_source_type("other")
    with pytest.raises(ValueError, match="already registered"):
        register_source_type("pion-dar", PionDarSpec, build_line)  # type: ignore[arg-type]
