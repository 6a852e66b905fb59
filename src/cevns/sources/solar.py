"""Solar neutrinos: standard-solar-model fluxes, spectral shapes and flavour content at Earth.

Components (:data:`SOLAR_COMPONENTS`) and their spectra:

* ``pp``, ``hep``: J. N. Bahcall, Phys. Rev. C 56, 3391 (1997) tables;
* ``13N``, ``15O``, ``17F``: J. N. Bahcall & R. K. Ulrich, Rev. Mod. Phys. 60, 297 (1988)
  tables (these five as tabulated in pyCEvNS, MIT licence; see
  ``cevns/data/solar/README.md``);
* ``8B``: W. T. Winter, S. J. Freedman, K. E. Rehm, J. P. Schiffer, Phys. Rev. C 73, 025503
  (2006), arXiv:nucl-ex/0406019, its tabulated spectrum, optionally shifted by its ±1σ shape
  uncertainty (``b8_shape``);
* lines: ``pep`` at 1.442 MeV; ``7Be_861`` at 0.8613 MeV and ``7Be_384`` at 0.3843 MeV,
  the ⁷Be flux split 89.56 % / 10.44 % between the ground-state and the 478-keV
  excited-state ⁷Li branches (J. N. Bahcall, Phys. Rev. D 49, 3923 (1994), the ⁷Be line
  shapes; branching as recalled, unverified). Line widths (≈ 1 keV thermal) are neglected.

Fluxes per component and their 1σ relative uncertainties (:data:`SOLAR_MODELS`): the B16
standard solar models, N. Vinyoles, A. M. Serenelli, F. L. Villante, S. Basu, J. Bergström,
M. C. Gonzalez-Garcia, M. Maltoni, C. Peña-Garay, N. Song, ApJ 835, 202 (2017),
arXiv:1611.09867, Table 6 (B16-GS98 and B16-AGSS09met; numbers checked against the copy
of that table in the PEANUTS repository, ``Data/fluxes_b16.dat``).

Flavour content at Earth (``flavour_content="msw"``): each component's ν_e spectrum is
multiplied by P_eα(E) averaged over the component's production region
(:func:`cevns.physics.msw.production_averaged_probabilities`) with the B16 electron density
and production distributions of the chosen model (``cevns/data/solar/b16_*_production.csv``),
so that the ν_α flux is Φ_α = Σ_c Φ_c ∫ pdf_c(E) P_eα,c(E) dE. ``flavour_content="nu_e"``
gives the unoscillated ν_e flux (enough for CEvNS, which is flavour-blind in the SM at
tree level up to the small charge-radius terms).

Energies in MeV, fluxes in ν cm⁻² s⁻¹ at 1 AU (annual mean).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from cevns.errors import InputError
from cevns.physics.msw import DEFAULT_FIT, OscillationFit, global_fit, production_averaged_probabilities
from cevns.sources.spectra import LineSpectrum, NeutrinoSource, Spectrum, TabulatedSpectrum

__all__ = [
    "BE7_BRANCHING",
    "LINE_ENERGIES_MEV",
    "MixtureSpectrum",
    "SOLAR_COMPONENTS",
    "SOLAR_MODELS",
    "SolarModel",
    "component_spectrum",
    "production_profile",
    "solar_model",
    "solar_source",
]

#: The solar-neutrino components, in the order of the pp chain then the CNO cycle.
SOLAR_COMPONENTS: tuple[str, ...] = ("pp", "pep", "7Be_384", "7Be_861", "8B", "hep", "13N", "15O", "17F")

#: Fractions of the ⁷Be electron captures to the ⁷Li ground state (0.8613 MeV line) and to the
#: 478-keV excited state (0.3843 MeV line) (Bahcall 1989/1994, module docstring).
BE7_BRANCHING: dict[str, float] = {"7Be_861": 0.8956, "7Be_384": 0.1044}

#: Energies of the monoenergetic components, MeV.
LINE_ENERGIES_MEV: dict[str, float] = {"pep": 1.442, "7Be_861": 0.8613, "7Be_384": 0.3843}

#: The SSM table rows (as published) → the components they feed.
_SSM_ROWS: tuple[str, ...] = ("pp", "pep", "hep", "7Be", "8B", "13N", "15O", "17F")

_CONTINUOUS_FILES: dict[str, str] = {
    "pp": "pp_bahcall1997.csv",
    "hep": "hep_bahcall1997.csv",
    "13N": "n13_bahcall_ulrich1988.csv",
    "15O": "o15_bahcall_ulrich1988.csv",
    "17F": "f17_bahcall_ulrich1988.csv",
}

B8Shape = Literal["winter2006", "winter2006+1sigma", "winter2006-1sigma"]
_B8_SHAPES: tuple[str, ...] = ("winter2006", "winter2006+1sigma", "winter2006-1sigma")


@dataclass(frozen=True)
class SolarModel:
    """A standard solar model's neutrino fluxes at 1 AU.

    ``rows`` are the published flux rows (``pp``, ``pep``, ``hep``, ``7Be``, ``8B``,
    ``13N``, ``15O``, ``17F``), ``fluxes`` their values in cm⁻² s⁻¹ and ``uncertainties``
    their 1σ relative uncertainties; ``production_file`` names the shipped table of electron
    density and production distributions vs radius; ``citation`` the source. Use
    :attr:`flux_cm2_s` and :attr:`relative_uncertainty` for the per-component values (the
    ⁷Be row split into its two lines by :data:`BE7_BRANCHING`).
    """

    name: str
    rows: tuple[str, ...]
    fluxes: tuple[float, ...]
    uncertainties: tuple[float, ...]
    production_file: str
    citation: str

    @property
    def flux_cm2_s(self) -> dict[str, float]:
        """Flux of each of :data:`SOLAR_COMPONENTS`, cm⁻² s⁻¹."""
        row = dict(zip(self.rows, self.fluxes))
        return {c: row["7Be"] * BE7_BRANCHING[c] if c in BE7_BRANCHING else row[c] for c in SOLAR_COMPONENTS}

    @property
    def relative_uncertainty(self) -> dict[str, float]:
        """1σ relative uncertainty of each of :data:`SOLAR_COMPONENTS` (the ⁷Be lines share
        the ⁷Be row's, fully correlated)."""
        row = dict(zip(self.rows, self.uncertainties))
        return {c: row["7Be"] if c in BE7_BRANCHING else row[c] for c in SOLAR_COMPONENTS}


_B16 = "N. Vinyoles et al., ApJ 835, 202 (2017), arXiv:1611.09867, Table 6"

#: Standard solar models by name.
SOLAR_MODELS: dict[str, SolarModel] = {
    "B16-GS98": SolarModel(
        "B16-GS98", _SSM_ROWS,
        (5.98e10, 1.44e8, 7.98e3, 4.93e9, 5.46e6, 2.78e8, 2.05e8, 5.28e6),
        (0.006, 0.010, 0.30, 0.06, 0.12, 0.15, 0.17, 0.20),
        "b16_gs98_production.csv", _B16 + " (GS98 composition)",
    ),
    "B16-AGSS09met": SolarModel(
        "B16-AGSS09met", _SSM_ROWS,
        (6.03e10, 1.46e8, 8.25e3, 4.50e9, 4.50e6, 2.04e8, 1.44e8, 3.26e6),
        (0.005, 0.009, 0.30, 0.06, 0.12, 0.14, 0.16, 0.18),
        "b16_agss09met_production.csv", _B16 + " (AGSS09met composition)",
    ),
}


def solar_model(name: str | SolarModel) -> SolarModel:
    """The :class:`SolarModel` called ``name``; unknown names are a one-line InputError."""
    if isinstance(name, SolarModel):
        return name
    try:
        return SOLAR_MODELS[name]
    except (KeyError, TypeError):
        raise InputError.unknown("solar model", name, SOLAR_MODELS) from None


def _check_component(component: str) -> None:
    if component not in SOLAR_COMPONENTS:
        raise InputError.unknown("solar component", component, SOLAR_COMPONENTS)


def _read_table(name: str) -> np.ndarray:
    """Numeric rows of a shipped CSV in ``cevns/data/solar`` (``#`` comments and a header
    line of names skipped)."""
    text = (resources.files("cevns") / "data" / "solar" / name).read_text()
    rows = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if rows and not rows[0][0].isdigit():
        rows = rows[1:]
    return np.array([[float(x) for x in ln.split(",")] for ln in rows])


def _trimmed(energies: np.ndarray, values: np.ndarray, label: str) -> TabulatedSpectrum:
    """A table without the zeros past its endpoint (kept: the first zero), so that the
    support ends where the spectrum does (the recoil spectrum then ends at T_max)."""
    last = int(np.nonzero(values > 0)[0][-1])
    end = min(last + 2, values.size)
    return TabulatedSpectrum(tuple(energies[:end]), tuple(values[:end]), label)


@functools.lru_cache(maxsize=None)
def _continuous_spectrum(component: str, b8_shape: str) -> TabulatedSpectrum:
    if component == "8B":
        table = _read_table("b8_winter2006.csv")
        sign = {"winter2006": 0.0, "winter2006+1sigma": 1.0, "winter2006-1sigma": -1.0}[b8_shape]
        values = np.clip(table[:, 1] + sign * table[:, 2], 0.0, None)
        return _trimmed(table[:, 0], values, f"8B ({b8_shape})")
    table = _read_table(_CONTINUOUS_FILES[component])
    return _trimmed(table[:, 0], table[:, 1], component)


def component_spectrum(component: str, b8_shape: B8Shape = "winter2006") -> Spectrum:
    """The normalised ν_e spectrum (at production) of one of :data:`SOLAR_COMPONENTS`:
    a :class:`~cevns.sources.spectra.LineSpectrum` for pep and the ⁷Be lines, else a
    :class:`~cevns.sources.spectra.TabulatedSpectrum` (module docstring for the tables)."""
    _check_component(component)
    if b8_shape not in _B8_SHAPES:
        raise InputError.unknown("8B spectrum shape", b8_shape, _B8_SHAPES)
    if component in LINE_ENERGIES_MEV:
        return LineSpectrum(LINE_ENERGIES_MEV[component])
    return _continuous_spectrum(component, b8_shape)


@functools.lru_cache(maxsize=None)
def _production_table(file: str) -> np.ndarray:
    return _read_table(file)


def production_profile(component: str, model: str | SolarModel = "B16-GS98") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(radius / R_sun, n_e in N_A cm⁻³, production per unit radius normalised to unit
    area) of a component in the solar model (its B16 table, ``r ≤ 0.5 R_sun``)."""
    _check_component(component)
    ssm = solar_model(model)
    table = _production_table(ssm.production_file)
    row = "7Be" if component in BE7_BRANCHING else component
    weights = table[:, 2 + _SSM_ROWS.index(row)]
    r = table[:, 0]
    return r, 10.0 ** table[:, 1], weights / np.trapezoid(weights, r)


@dataclass(frozen=True)
class MixtureSpectrum:
    """A weighted sum of normalised spectra (continuous ones and lines), itself normalised:
    ``weights`` are non-negative and sum to 1. The pdf is that of the continuous part (lines
    have no density; their energies are in :attr:`lines`); tail moments are the weighted sums."""

    components: tuple[Spectrum, ...]
    weights: tuple[float, ...]
    label: str = ""

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=float)
        if len(self.components) == 0 or w.shape != (len(self.components),):
            raise InputError("a mixture spectrum needs one weight per component and at least one component")
        if np.any(w < 0) or not np.all(np.isfinite(w)) or not w.sum() > 0:
            raise InputError("mixture spectrum weights must be finite, ≥ 0 and not all zero")
        object.__setattr__(self, "weights", tuple(float(x) for x in w / w.sum()))

    @property
    def support(self) -> tuple[float, float]:
        return (min(s.support[0] for s in self.components), max(s.support[1] for s in self.components))

    @property
    def lines(self) -> tuple[float, ...]:
        return tuple(sorted({e for s in self.components for e in s.lines}))

    def pdf(self, energy: ArrayLike) -> np.ndarray:
        e = np.asarray(energy, dtype=float)
        total = np.zeros_like(e)
        for s, w in zip(self.components, self.weights):
            if not isinstance(s, LineSpectrum):
                total = total + w * s.pdf(e)
        return total

    def tail_moments(self, emin: ArrayLike) -> np.ndarray:
        return sum(
            (w * s.tail_moments(emin) for s, w in zip(self.components, self.weights)),
            np.zeros((3, *np.shape(emin))),
        )


_FLAVOURS_AT_EARTH = ("nu_e", "nu_mu", "nu_tau")


def _oscillated_component(
    component: str, spectrum: Spectrum, ssm: SolarModel, fit: OscillationFit
) -> list[tuple[Spectrum, float]]:
    """(spectrum of the ν_α at Earth, fraction of the component's flux) for α = e, μ, τ."""
    r, ne, w = production_profile(component, ssm)
    if isinstance(spectrum, LineSpectrum):
        probs = production_averaged_probabilities(np.array(spectrum.energy), r, ne, w, fit)
        return [(spectrum, float(p)) for p in probs]
    assert isinstance(spectrum, TabulatedSpectrum)  # continuous components are tables
    e = np.asarray(spectrum.energies)
    pdf = np.asarray(spectrum.values)
    probs = production_averaged_probabilities(e, r, ne, w, fit)
    out: list[tuple[Spectrum, float]] = []
    for p, flavour in zip(probs, _FLAVOURS_AT_EARTH):
        weighted = pdf * p
        fraction = float(np.trapezoid(weighted, e))
        out.append((TabulatedSpectrum(spectrum.energies, tuple(weighted), f"{component} {flavour}"), fraction))
    return out


def _combine(parts: list[tuple[Spectrum, float]], label: str) -> tuple[Spectrum, float]:
    """One spectrum and its total flux from (spectrum, flux) parts."""
    parts = [(s, f) for s, f in parts if f > 0]
    total = sum(f for _, f in parts)
    if len(parts) == 1:
        return parts[0][0], total
    return MixtureSpectrum(tuple(s for s, _ in parts), tuple(f for _, f in parts), label), total


def solar_source(
    components: tuple[str, ...] | list[str] | str = ("8B", "hep"),
    model: str | SolarModel = "B16-GS98",
    *,
    flavour_content: Literal["msw", "nu_e"] = "msw",
    oscillation: str | OscillationFit = DEFAULT_FIT,
    b8_shape: B8Shape = "winter2006",
    flux_scale: float = 1.0,
) -> NeutrinoSource:
    """Solar neutrinos of ``components`` at Earth with the fluxes of the solar ``model``.

    ``flavour_content="msw"`` (default) gives ν_e, ν_μ, ν_τ spectra after adiabatic MSW
    conversion with the global fit ``oscillation`` (:data:`cevns.physics.msw.GLOBAL_FITS`),
    each flavour's flux Φ_α = Σ_c Φ_c ∫ pdf_c P_eα,c dE; ``"nu_e"`` gives the unoscillated
    ν_e flux. ``b8_shape`` selects Winter et al.'s ⁸B spectrum or its ±1σ shifts;
    ``flux_scale`` multiplies every flux (e.g. a fitted ⁸B normalisation). Unknown names
    are a one-line :class:`~cevns.errors.InputError`.
    """
    names = (components,) if isinstance(components, str) else tuple(components)
    if not names:
        raise InputError(f"solar source: give at least one component of {', '.join(SOLAR_COMPONENTS)}")
    for c in names:
        _check_component(c)
    if len(set(names)) != len(names):
        raise InputError(f"solar source: component listed twice in {', '.join(names)}")
    if flavour_content not in ("msw", "nu_e"):
        raise InputError(f"unknown flavour content {flavour_content!r}; use msw or nu_e")
    if not (flux_scale > 0 and np.isfinite(flux_scale)):
        raise InputError(f"solar source: flux_scale must be finite and > 0, got {flux_scale}")
    ssm = solar_model(model)
    fit = global_fit(oscillation)
    fluxes = ssm.flux_cm2_s
    spectra: dict[str, Spectrum] = {}
    flux: dict[str, float] = {}
    label = "+".join(names)
    if flavour_content == "nu_e":
        spectra["nu_e"], flux["nu_e"] = _combine(
            [(component_spectrum(c, b8_shape), fluxes[c] * flux_scale) for c in names], f"solar {label} nu_e"
        )
    else:
        per_flavour: dict[str, list[tuple[Spectrum, float]]] = {f: [] for f in _FLAVOURS_AT_EARTH}
        for c in names:
            for flavour, (s, fraction) in zip(_FLAVOURS_AT_EARTH, _oscillated_component(c, component_spectrum(c, b8_shape), ssm, fit)):
                per_flavour[flavour].append((s, fluxes[c] * flux_scale * fraction))
        for flavour, parts in per_flavour.items():
            if any(f > 0 for _, f in parts):
                spectra[flavour], flux[flavour] = _combine(parts, f"solar {label} {flavour}")
    return NeutrinoSource(f"solar {label} ({ssm.name}, {flavour_content})", spectra, flux)
