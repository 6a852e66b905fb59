"""Astrophysical source types of experiment files: ``solar``, ``atmospheric``, ``dsnb``, ``geoneutrino``.

Registered with :func:`cevns.config.sources.register_source_type` when this module is
imported (:mod:`cevns.config.sources` imports it at its end)::

    [source]
    type = "solar"
    components = ["8B", "hep"]        # of cevns.sources.solar.SOLAR_COMPONENTS
    model = "B16-GS98"                # or "B16-AGSS09met"
    flavour_content = "msw"           # or "nu_e"
    oscillation = "NuFIT-5.2"         # or "NuFIT-6.0"
    b8_shape = "winter2006"           # or "winter2006+1sigma", "winter2006-1sigma"
    flux_scale = 1.0

    [source]
    type = "atmospheric"
    model = "FLUKA-2005"

    [source]
    type = "dsnb"
    model = "fog-2014"                # or "HBD09-T4", "HBD09-T6", "HBD09-T8"

    [source]
    type = "geoneutrino"
    site = "LNGS"                     # or SURF, Kamioka, Boulby, SNOLAB, CJPL
    components = ["U238", "Th232", "K40"]   # and/or "reactor" (the site's reactor antineutrinos)

The fluxes are those at the detector (solar at 1 AU, annual mean); no baseline. Names are
checked against the shipped models, so an unknown one is a one-line validation error that
lists the known names. Physics and citations: :mod:`cevns.sources.solar`,
:mod:`cevns.sources.atmospheric`, :mod:`cevns.sources.dsnb`, :mod:`cevns.sources.geoneutrinos`.
"""

# No ``from __future__ import annotations``: pydantic reads the field annotations as
# objects (start-up time; see cevns.config.schema); forward references are quoted.
from types import ModuleType
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from cevns.config.sources import SourceContext, SourceSpec, register_source_type
from cevns.errors import unknown_name

if TYPE_CHECKING:
    from cevns.sources.spectra import NeutrinoSource

# The source modules (their tables and model lists) are imported by the validators and
# builders when a table of their type is read, not when the types are registered: an
# experiment file with another source does not import them (start-up time of the CLI).

__all__ = ["AtmosphericSpec", "DsnbSpec", "GeoneutrinoSpec", "SolarSpec", "build_atmospheric", "build_dsnb",
           "build_geoneutrino", "build_solar"]


def _msw() -> ModuleType:
    """:mod:`cevns.physics.msw` (imported on first use)."""
    from cevns.physics import msw

    return msw


def _known(value: str, known: dict[str, object], what: str) -> str:
    if value not in known:
        raise ValueError(unknown_name(what, value, known))
    return value


def _check_components(value: list[str], known: tuple[str, ...], what: str) -> list[str]:
    """``value`` unchanged when every entry is in ``known`` and none is listed twice."""
    for c in value:
        if c not in known:
            raise ValueError(unknown_name(f"{what} component", c, known))
    if len(set(value)) != len(value):
        raise ValueError("a component is listed twice")
    return value


class SolarSpec(SourceSpec):
    """Solar neutrinos (:func:`cevns.sources.solar.solar_source`)."""

    type: Literal["solar"]
    components: list[str] = Field(default_factory=lambda: ["8B", "hep"], min_length=1)
    model: str = "B16-GS98"
    flavour_content: Literal["msw", "nu_e"] = "msw"
    #: Default: :data:`cevns.physics.msw.DEFAULT_FIT` (read when a solar table is validated).
    oscillation: str = Field(default_factory=lambda: _msw().DEFAULT_FIT)
    b8_shape: Literal["winter2006", "winter2006+1sigma", "winter2006-1sigma"] = "winter2006"
    flux_scale: float = Field(default=1.0, gt=0)

    @field_validator("components")
    @classmethod
    def _components(cls, value: list[str]) -> list[str]:
        from cevns.sources.solar import SOLAR_COMPONENTS

        return _check_components(value, SOLAR_COMPONENTS, "solar")

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        from cevns.sources.solar import SOLAR_MODELS

        return _known(value, dict(SOLAR_MODELS), "solar model")

    @field_validator("oscillation")
    @classmethod
    def _oscillation(cls, value: str) -> str:
        return _known(value, dict(_msw().GLOBAL_FITS), "oscillation fit")


def build_solar(spec: SolarSpec, context: SourceContext) -> "NeutrinoSource":
    from cevns.sources.solar import solar_source

    return solar_source(
        tuple(spec.components), spec.model, flavour_content=spec.flavour_content,
        oscillation=spec.oscillation, b8_shape=spec.b8_shape, flux_scale=spec.flux_scale,
    )


class AtmosphericSpec(SourceSpec):
    """Atmospheric neutrinos below 1 GeV (:func:`cevns.sources.atmospheric.atmospheric_source`)."""

    type: Literal["atmospheric"]
    model: str = "FLUKA-2005"
    flux_scale: float = Field(default=1.0, gt=0)

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        from cevns.sources.atmospheric import ATMOSPHERIC_MODELS

        return _known(value, dict(ATMOSPHERIC_MODELS), "atmospheric model")


def build_atmospheric(spec: AtmosphericSpec, context: SourceContext) -> "NeutrinoSource":
    from cevns.sources.atmospheric import atmospheric_source

    return atmospheric_source(spec.model, flux_scale=spec.flux_scale)


class DsnbSpec(SourceSpec):
    """The diffuse supernova neutrino background (:func:`cevns.sources.dsnb.dsnb_source`)."""

    type: Literal["dsnb"]
    model: str = "fog-2014"
    flux_scale: float = Field(default=1.0, gt=0)

    @field_validator("model")
    @classmethod
    def _model(cls, value: str) -> str:
        from cevns.sources.dsnb import DSNB_MODELS

        return _known(value, dict(DSNB_MODELS), "DSNB model")


def build_dsnb(spec: DsnbSpec, context: SourceContext) -> "NeutrinoSource":
    from cevns.sources.dsnb import dsnb_source

    return dsnb_source(spec.model, flux_scale=spec.flux_scale)


def _geo_chains() -> tuple[str, ...]:
    """The decay chains of :data:`cevns.sources.geoneutrinos.GEO_CHAINS` (imported on first use)."""
    from cevns.sources.geoneutrinos import GEO_CHAINS

    return tuple(GEO_CHAINS)


class GeoneutrinoSpec(SourceSpec):
    """Geoneutrinos (and the reactor antineutrinos) at an underground laboratory
    (:func:`cevns.sources.geoneutrinos.geoneutrino_source`)."""

    type: Literal["geoneutrino"]
    site: str = "LNGS"
    components: list[str] = Field(default_factory=lambda: list(_geo_chains()), min_length=1)
    flux_scale: float = Field(default=1.0, gt=0)

    @field_validator("site")
    @classmethod
    def _site(cls, value: str) -> str:
        from cevns.sources.geoneutrinos import laboratory

        return laboratory(value).name  # case-insensitive; an unknown name: InputError (a ValueError)

    @field_validator("components")
    @classmethod
    def _components(cls, value: list[str]) -> list[str]:
        return _check_components(value, (*_geo_chains(), "reactor"), "geoneutrino")


def build_geoneutrino(spec: GeoneutrinoSpec, context: SourceContext) -> "NeutrinoSource":
    from cevns.sources.geoneutrinos import geoneutrino_source

    return geoneutrino_source(spec.site, tuple(spec.components), flux_scale=spec.flux_scale)


register_source_type("solar", SolarSpec, build_solar)
register_source_type("atmospheric", AtmosphericSpec, build_atmospheric)
register_source_type("dsnb", DsnbSpec, build_dsnb)
register_source_type("geoneutrino", GeoneutrinoSpec, build_geoneutrino)
