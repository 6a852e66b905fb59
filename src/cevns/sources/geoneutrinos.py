"""Geoneutrinos and reactor antineutrinos at named underground laboratories.

Both are ν̄_e backgrounds of a dark-matter search below a few MeV of neutrino energy: on
xenon their CEvNS recoils end below ~0.2 keVnr (T_max = 2E²/M for E ≲ 4.4 MeV geo, ≲ 10 MeV
reactor: ≤ 1.6 keVnr), so they matter for sub-keV thresholds and light targets only. They
enter the neutrino fog of C. A. J. O'Hare, PRL 127, 251802 (2021), arXiv:2109.03116, as the
components ``GeoU``, ``GeoTh``, ``GeoK`` and ``Reactor`` of his public code (cajohare/NeutrinoFog,
MIT; his published floors leave them out).

*Spectra.* The ν̄_e spectra of the ²³⁸U and ²³²Th decay chains and of ⁴⁰K (β⁻ branch, 89.3 %) are
S. Enomoto's tabulation (http://www.awa.tohoku.ac.jp/~sanshiro/research/geoneutrino/spectrum/,
as redistributed in cajohare/NeutrinoFog, MIT; see ``cevns/data/geoneutrinos/README.md``),
1 keV bins, end points 3.27 MeV (²¹⁴Bi; above it only rare branches, < 10⁻³ of the
spectrum, to the table's last non-zero bin at 4.39 MeV), 2.25 MeV (²¹²Bi) and 1.31 MeV. The ν_e of the ⁴⁰K electron-capture
branch is not included. Each chain's spectrum is linearly interpolated between the bin centres.

The reactor ν̄_e spectrum is the project's (:func:`cevns.sources.reactor.reactor_source`:
Huber–Mueller above 2 MeV, Vogel–Engel below, down to 0 MeV, 0.6 ²³⁸U captures per fission,
generic PWR fission fractions): far from any core the spectrum is that of the world's
reactors, up to oscillation distortions that CEvNS, flavour-blind, does not see.

*Fluxes at the laboratories* (:data:`LABORATORIES`):

* LNGS: U 4.34 × 10⁶ (±20 %), Th 4.23 × 10⁶ (±25.7 %), K 20.54 × 10⁶ (±16.8 %) cm⁻² s⁻¹,
  the values of O'Hare's code (``src/Params.py``: "Geo from 1301.0365", i.e. the reference
  Earth model of Y. Huang, V. Chubakov, F. Mantovani, R. L. Rudnick, W. F. McDonough,
  Geochem. Geophys. Geosyst. 14, 2003 (2013), arXiv:1301.0365); that they are the Gran Sasso
  fluxes is read from his code, whose default geoneutrino spectra are his Gran Sasso files.
* Boulby: the integrals of O'Hare's site spectra ``data/neutrinos/geo/Geo{U,Th,K}-Boulby.txt``
  (3.242, 3.157, 13.46 × 10⁶), the LNGS relative uncertainties assumed.
* Kamioka, SNOLAB, CJPL: the LNGS fluxes scaled by the ratio of the U+Th geoneutrino signals
  predicted for the sites (LNGS 40.3 TNU, Kamioka 33.5 TNU, SNOLAB 45.4 TNU: Huang et al.
  2013; CJPL 58.5 TNU: O. Šrámek et al., Sci. Rep. 6, 33034 (2016), arXiv:1509.07257 (the
  arXiv number as recalled)): these signals are as recalled, unverified, and the scaling
  assumes the LNGS U:Th:K ratio.
* Reactor ν̄_e: the flux above 1.8 MeV (the inverse-β-decay threshold, where the spectrum
  is measured) integrated from O'Hare's site spectra
  ``data/neutrinos/reactor/ReactorAntiNu-{GranSasso,Kamioka,Lead,Boulby}.txt`` (reactors of
  2019; Lead, South Dakota = SURF): LNGS 0.7885, Kamioka 1.460, SURF 0.3373, Boulby
  2.033 × 10⁶ cm⁻² s⁻¹, with the 8 % uncertainty of O'Hare's code; the total flux follows
  from the shape above (3.62 × the flux above 1.8 MeV: LNGS 2.85 × 10⁶). His code's single
  reactor flux, 3.06 × 10⁶ ± 8 % (site not stated), matches none of his site files' totals
  (their shape has 90 % of the flux below 1 MeV: 1.53 × 10⁷ at Gran Sasso from 0.01 MeV) but
  agrees with the LNGS total here within its 8 %. SNOLAB and CJPL have no sourced reactor
  flux here.

Geoneutrino fluxes are those of all ν̄ emitted (CEvNS counts every flavour alike; the
ν̄_e survival probability ≈ 0.55 does not enter).

Energies in MeV, fluxes in ν cm⁻² s⁻¹.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from cevns.errors import InputError
from cevns.sources.spectra import NeutrinoSource, TabulatedSpectrum, package_table

__all__ = [
    "GEO_CHAINS", "LABORATORIES", "REACTOR_CAPTURES_PER_FISSION", "REACTOR_REFERENCE_ENERGY_MEV", "Laboratory", "SiteFlux",
    "FOG_NAMES", "chain_spectrum", "geoneutrino_source", "laboratory", "reactor_fraction_above", "reactor_shape", "site_fog_fluxes",
    "site_reactor_source",
]

#: The decay chains of the geoneutrino spectra (columns of ``enomoto_spectra.csv``).
GEO_CHAINS: tuple[str, ...] = ("U238", "Th232", "K40")

#: ²³⁸U neutron captures per fission in the reactor shape (light-water reactors; see
#: :mod:`cevns.sources.reactor`).
REACTOR_CAPTURES_PER_FISSION = 0.6

#: The energy above which the site reactor fluxes are quoted (MeV): the inverse-β-decay threshold.
REACTOR_REFERENCE_ENERGY_MEV = 1.8

_OHARE = "cajohare/NeutrinoFog (MIT), commit 0df3d0c"
_HUANG = "Huang et al., G3 14, 2003 (2013), arXiv:1301.0365, via O'Hare's src/Params.py"
_RECALLED = "LNGS fluxes x U+Th signal ratio {ratio} (TNU as recalled, unverified)"


@dataclass(frozen=True)
class SiteFlux:
    """A flux at a laboratory: ``flux_cm2_s`` (ν cm⁻² s⁻¹), its relative 1σ uncertainty
    and where it comes from."""

    flux_cm2_s: float
    relative_uncertainty: float
    reference: str


@dataclass(frozen=True)
class Laboratory:
    """An underground laboratory: its geoneutrino fluxes per chain (keys of
    :data:`GEO_CHAINS`, total ν̄ flux of the chain) and its reactor ν̄_e flux above
    :data:`REACTOR_REFERENCE_ENERGY_MEV`; ``None`` where not sourced."""

    name: str
    description: str
    geo: Mapping[str, SiteFlux] | None = field(default=None)
    reactor: SiteFlux | None = None


def _geo(u: float, th: float, k: float, reference: str) -> dict[str, SiteFlux]:
    return {"U238": SiteFlux(u, 0.20, reference), "Th232": SiteFlux(th, 0.257, reference),
            "K40": SiteFlux(k, 0.168, reference)}


def _scaled(signal_tnu: float) -> dict[str, SiteFlux]:
    ratio = signal_tnu / 40.3
    return _geo(4.34e6 * ratio, 4.23e6 * ratio, 20.54e6 * ratio, _RECALLED.format(ratio=f"{signal_tnu:g}/40.3"))


def _reactor(flux_above: float, site_file: str) -> SiteFlux:
    return SiteFlux(flux_above, 0.08, f"flux above 1.8 MeV {flux_above:.4g} (the total follows from the reactor shape): "
                                      f"integral of {_OHARE} data/neutrinos/reactor/ReactorAntiNu-{site_file}.txt")


#: Laboratories by name (module docstring for the numbers and their sources).
LABORATORIES: dict[str, Laboratory] = {
    "LNGS": Laboratory("LNGS", "Laboratori Nazionali del Gran Sasso, Italy (XENONnT, DarkSide)",
                       _geo(4.34e6, 4.23e6, 20.54e6, _HUANG), _reactor(0.7885e6, "GranSasso")),
    "SURF": Laboratory("SURF", "Sanford Underground Research Facility, Lead, South Dakota (LZ)",
                       None, _reactor(0.3373e6, "Lead")),
    "Kamioka": Laboratory("Kamioka", "Kamioka Observatory, Japan (XMASS, KamLAND)",
                          _scaled(33.5), _reactor(1.460e6, "Kamioka")),
    "Boulby": Laboratory("Boulby", "Boulby Underground Laboratory, UK",
                         _geo(3.242e6, 3.157e6, 13.46e6, f"integrals of {_OHARE} data/neutrinos/geo/Geo*-Boulby.txt"),
                         _reactor(2.033e6, "Boulby")),
    "SNOLAB": Laboratory("SNOLAB", "SNOLAB, Sudbury, Canada (SuperCDMS, DEAP, PICO)", _scaled(45.4), None),
    "CJPL": Laboratory("CJPL", "China Jinping Underground Laboratory (PandaX-4T, CDEX)", _scaled(58.5), None),
}


def laboratory(name: str) -> Laboratory:
    """The laboratory ``name`` (case-insensitive); unknown names: one-line InputError."""
    folded = {k.lower(): v for k, v in LABORATORIES.items()}
    lab = folded.get(str(name).strip().lower())
    if lab is None:
        raise InputError.unknown("laboratory", name, LABORATORIES)
    return lab


@functools.lru_cache(maxsize=None)
def chain_spectrum(chain: str) -> TabulatedSpectrum:
    """The normalised ν̄_e spectrum (1/MeV) of ``chain`` (``U238``, ``Th232``, ``K40``):
    Enomoto's table, interpolated linearly, ending at the first zero above its end point."""
    if chain not in GEO_CHAINS:
        raise InputError.unknown("geoneutrino chain", chain, GEO_CHAINS)
    energies, columns = package_table("geoneutrinos", "enomoto_spectra.csv")
    values = columns[chain]
    end = int(np.flatnonzero(values > 0).max()) + 2
    return TabulatedSpectrum(tuple(energies[:end].tolist()), tuple(values[:end].tolist()), f"geoneutrino {chain}")


def _combined(parts: Sequence[tuple[TabulatedSpectrum, float]], label: str) -> tuple[TabulatedSpectrum, float]:
    """One spectrum for several tabulated ones with fluxes: Σ Φ_c pdf_c on the union of their
    grids (exact for piecewise-linear pdfs), and the total flux."""
    if len(parts) == 1:
        return parts[0][0], parts[0][1]
    grid = np.unique(np.concatenate([np.asarray(s.energies, dtype=float) for s, _ in parts]))
    values = sum(flux * s.pdf(grid) for s, flux in parts)
    total = sum(flux for _, flux in parts)
    return TabulatedSpectrum(tuple(grid.tolist()), tuple(np.asarray(values).tolist()), label), total


def _check_scale(flux_scale: float) -> None:
    if not (np.isfinite(flux_scale) and flux_scale > 0):
        raise InputError(f"geoneutrino source: flux_scale must be finite and > 0, got {flux_scale}")


def geoneutrino_source(site: str = "LNGS", components: Sequence[str] = GEO_CHAINS, *, flux_scale: float = 1.0,
                       ) -> NeutrinoSource:
    """Geoneutrinos at laboratory ``site`` (:data:`LABORATORIES`): the ν̄_e of the chains
    ``components`` (of :data:`GEO_CHAINS`; ``"reactor"`` adds the site's reactor ν̄_e,
    :func:`site_reactor_source`), each with its site flux, times ``flux_scale``, as one
    ``nu_e_bar`` spectrum. A site without a sourced flux for a component: one-line InputError."""
    _check_scale(flux_scale)
    lab = laboratory(site)
    names = (components,) if isinstance(components, str) else tuple(components)
    if not names or len(set(names)) != len(names):
        raise InputError("geoneutrino source: give each component once, at least one")
    parts: list[tuple[TabulatedSpectrum, float]] = []
    for name in names:
        if name == "reactor":
            parts.append((reactor_shape(), site_reactor_source(lab.name).flux_cm2_s["nu_e_bar"]))
            continue
        if name not in GEO_CHAINS:
            raise InputError.unknown("geoneutrino component", name, (*GEO_CHAINS, "reactor"))
        if lab.geo is None:
            raise InputError(f"no geoneutrino flux is sourced for {lab.name}; sites with one: "
                             f"{', '.join(k for k, v in LABORATORIES.items() if v.geo is not None)}")
        parts.append((chain_spectrum(name), lab.geo[name].flux_cm2_s))
    spectrum, total = _combined(parts, f"geoneutrinos at {lab.name}")
    return NeutrinoSource(f"geoneutrinos {lab.name}", {"nu_e_bar": spectrum}, {"nu_e_bar": total * flux_scale})


@functools.lru_cache(maxsize=1)
def reactor_shape() -> TabulatedSpectrum:
    """The normalised reactor ν̄_e spectrum far from any core (1/MeV, 0–10 MeV): the
    generic PWR core of :func:`cevns.sources.reactor.reactor_source` with
    :data:`REACTOR_CAPTURES_PER_FISSION` captures per fission, from 0 MeV."""
    from cevns.sources.reactor import reactor_source
    from cevns.units import GW

    spectrum = reactor_source(GW, 1e5, captures_per_fission=REACTOR_CAPTURES_PER_FISSION, min_energy=0.0).spectra["nu_e_bar"]
    assert isinstance(spectrum, TabulatedSpectrum)  # tabulated whenever captures are counted
    return spectrum


def reactor_fraction_above(energy_mev: float = REACTOR_REFERENCE_ENERGY_MEV) -> float:
    """The fraction of the :func:`reactor_shape` flux above ``energy_mev`` (exact for the
    piecewise-linear interpolant: its zeroth tail moment)."""
    return float(reactor_shape().tail_moments(np.asarray([energy_mev]))[0, 0])


def site_reactor_source(site: str, *, flux_scale: float = 1.0) -> NeutrinoSource:
    """Reactor ν̄_e at laboratory ``site``: :func:`reactor_shape` normalised so that its flux
    above :data:`REACTOR_REFERENCE_ENERGY_MEV` is the site's (:data:`LABORATORIES`), times
    ``flux_scale``. No baseline (many cores). Sites without a sourced reactor flux: one-line InputError."""
    _check_scale(flux_scale)
    lab = laboratory(site)
    if lab.reactor is None:
        raise InputError(f"no reactor flux is sourced for {lab.name}; sites with one: "
                         f"{', '.join(k for k, v in LABORATORIES.items() if v.reactor is not None)}")
    total = lab.reactor.flux_cm2_s / reactor_fraction_above()
    return NeutrinoSource(f"reactors at {lab.name}", {"nu_e_bar": reactor_shape()}, {"nu_e_bar": total * flux_scale})


#: Fog component name of each chain (cevns.stats.fog) and of the reactors.
FOG_NAMES: dict[str, str] = {"U238": "geo_U", "Th232": "geo_Th", "K40": "geo_K", "reactor": "reactor"}


def site_fog_fluxes(site: str) -> dict[str, tuple[float, float]]:
    """The fog components of laboratory ``site``: component name (``geo_U``, ``geo_Th``,
    ``geo_K``, ``reactor``) → (total flux in cm⁻² s⁻¹, relative 1σ uncertainty), for the
    components the site has a sourced flux for (the reactor total from its flux above 1.8 MeV)."""
    lab = laboratory(site)
    out: dict[str, tuple[float, float]] = {}
    for chain, f in (lab.geo or {}).items():
        out[FOG_NAMES[chain]] = (f.flux_cm2_s, f.relative_uncertainty)
    if lab.reactor is not None:
        out["reactor"] = (lab.reactor.flux_cm2_s / reactor_fraction_above(), lab.reactor.relative_uncertainty)
    return out
