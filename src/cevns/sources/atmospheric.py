"""Atmospheric neutrinos below ~1 GeV, angle-integrated, per flavour.

The shipped model (:data:`ATMOSPHERIC_MODELS`) is the FLUKA calculation of G. Battistoni,
A. Ferrari, T. Montaruli, P. R. Sala, Astropart. Phys. 23, 526 (2005), the atmospheric
flux of the "neutrino floor/fog" literature (J. Billard, E. Figueroa-Feliciano,
L. E. Strigari, PRD 89, 023524 (2014); C. A. J. O'Hare, PRL 127, 251802 (2021)), tabulated
for ν_e, ν̄_e, ν_μ, ν̄_μ from 13 MeV to 982 MeV (``cevns/data/atmospheric/README.md`` for
provenance, licence and what is not known about the table: site and solar epoch are not
recorded). Its total, 10.5 cm⁻² s⁻¹, carries the 25 % normalisation uncertainty used by
O'Hare (2021) (as recalled, unverified); ν_τ is not part of the calculation and no
oscillations are applied.

For CEvNS only the tail above E_ν ≈ 30 MeV matters for recoils of a few keV–tens of keV on
heavy targets; the recoil spectrum is flat-ish and extends to T_max(982 MeV) (the table's
end, where the flux is 10⁻³ of its peak: higher energies are cut).

Energies in MeV, fluxes in ν cm⁻² s⁻¹.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cevns.errors import InputError
from cevns.sources.spectra import NeutrinoSource, TabulatedSpectrum, package_table

__all__ = ["ATMOSPHERIC_MODELS", "AtmosphericModel", "atmospheric_source"]


@dataclass(frozen=True)
class AtmosphericModel:
    """A tabulated atmospheric flux: ``file`` in ``cevns/data/atmospheric`` with columns
    ``energy_MeV`` and one dΦ/dE column per flavour; ``relative_uncertainty`` of the
    normalisation (1σ); ``site`` as far as known; ``citation``."""

    name: str
    file: str
    relative_uncertainty: float
    site: str
    citation: str


#: Atmospheric-flux models by name.
ATMOSPHERIC_MODELS: dict[str, AtmosphericModel] = {
    "FLUKA-2005": AtmosphericModel(
        "FLUKA-2005", "fluka_battistoni2005.csv", 0.25,
        "not recorded in the table (see cevns/data/atmospheric/README.md)",
        "G. Battistoni, A. Ferrari, T. Montaruli, P. R. Sala, Astropart. Phys. 23, 526 (2005); "
        "table of C. A. J. O'Hare, PRL 127, 251802 (2021) (cajohare/NeutrinoFog, MIT)",
    ),
}


def atmospheric_source(model: str = "FLUKA-2005", *, flux_scale: float = 1.0) -> NeutrinoSource:
    """Atmospheric ν_e, ν̄_e, ν_μ, ν̄_μ of the named ``model`` (:data:`ATMOSPHERIC_MODELS`),
    each flavour's flux the integral of its table (trapezoidal, as the spectrum is
    interpolated), times ``flux_scale``. Unknown names: one-line InputError."""
    try:
        atm = ATMOSPHERIC_MODELS[model]
    except (KeyError, TypeError):
        raise InputError.unknown("atmospheric model", model, ATMOSPHERIC_MODELS) from None
    if not (flux_scale > 0 and np.isfinite(flux_scale)):
        raise InputError(f"atmospheric source: flux_scale must be finite and > 0, got {flux_scale}")
    energies, columns = package_table("atmospheric", atm.file)
    e = tuple(float(x) for x in energies)
    spectra = {f: TabulatedSpectrum(e, tuple(float(x) for x in v), f"atmospheric {f}") for f, v in columns.items()}
    flux = {f: float(np.trapezoid(v, energies)) * flux_scale for f, v in columns.items()}
    return NeutrinoSource(f"atmospheric ({atm.name})", spectra, flux)
