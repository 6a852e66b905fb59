"""Neutrino sources: normalised energy spectra and their fluxes at the detector.

* :mod:`~cevns.sources.spectra`: spectra (line, analytic, tabulated) and the
  :class:`~cevns.sources.spectra.NeutrinoSource` that carries them; sources from user tables.
* :mod:`~cevns.sources.pion_dar`: stopped pions (prompt ν_μ line, Michel ν_e and ν̄_μ).
* :mod:`~cevns.sources.reactor`: reactors (Huber–Mueller and Vogel–Engel ν̄_e spectra,
  fission fractions, energy per fission).
* :mod:`~cevns.sources.timing`: πDAR arrival-time distributions (pion and muon decay
  convolved with the proton pulse), time windows and bins.
* :mod:`~cevns.sources.solar`: solar neutrinos (B16 standard solar models, Bahcall and
  Winter spectra, MSW flavour content at Earth).
* :mod:`~cevns.sources.atmospheric`: atmospheric neutrinos below 1 GeV (FLUKA table).
* :mod:`~cevns.sources.dsnb`: the diffuse supernova neutrino background (redshift integral).
* :mod:`~cevns.sources.oscillated`: tail moments of a spectrum averaged over oscillations,
  tabulated once per spectrum.

Imports: :mod:`cevns.physics` and below (units, runtime, errors); not
:mod:`cevns.detector` (an independent layer at the same level) nor anything above.
Energies in MeV, fluxes in ν/cm²/s, times in s.
"""

from __future__ import annotations

from cevns._lazy import lazy_exports

#: module of this package → the public names it defines, re-exported here and imported
#: lazily, on first use
_EXPORTS: dict[str, tuple[str, ...]] = {
    "atmospheric": ("ATMOSPHERIC_MODELS", "AtmosphericModel", "atmospheric_source"),
    "dsnb": (
        "DSNB_MODELS", "DsnbModel", "core_collapse_rate", "dsnb_source", "dsnb_spectrum", "fermi_dirac",
        "salpeter_collapse_fraction", "star_formation_rate",
    ),
    "oscillated": (
        "OSCILLATION_CELLS", "OscillationTable", "oscillated_tail_moments", "oscillation_table",
    ),
    "pion_dar": (
        "PROMPT_NU_MU_ENERGY", "michel_nu_e", "michel_nu_mu_bar", "pion_dar_source", "pot_per_second",
    ),
    "solar": (
        "BE7_BRANCHING", "LINE_ENERGIES_MEV", "MixtureSpectrum", "SOLAR_COMPONENTS", "SOLAR_MODELS",
        "SolarModel", "component_spectrum", "production_profile", "solar_model", "solar_source",
    ),
    "reactor": (
        "ENERGY_PER_FISSION_MEV", "HUBER_MUELLER_COEFFICIENTS", "reactor_source",
        "reactor_spectrum_per_fission",
    ),
    "spectra": (
        "AnalyticSpectrum", "LineSpectrum", "NeutrinoSource", "TabulatedSpectrum", "tabulated_source",
    ),
    "timing": (
        "CSI_2017_FITTED_PULSE", "DELAYED_FLAVORS", "PROMPT_FLAVORS", "SNS_PULSE", "TAU_MUON",
        "TAU_PION", "ProtonPulse", "Pulse", "TabulatedPulse", "arrival_time_cdf",
        "arrival_time_pdf", "arrival_time_survival", "decay_components", "mean_arrival_time", "ns",
        "time_bin_fractions", "us", "window_fraction",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
