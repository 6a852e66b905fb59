"""``cevns reproduce neutrino-fog``: the neutrino fog and floor of xenon for spin-independent
WIMPs, after C. A. J. O'Hare, "Fog on the horizon: a new definition of the neutrino floor
for direct dark matter searches", PRL 127, 251802 (2021), arXiv:2109.03116, with the
discovery limit of J. Billard, L. Strigari, E. Figueroa-Feliciano, PRD 89, 023524 (2014),
arXiv:1307.5458 (median 3σ, Asimov; :mod:`cevns.stats.fog`). Steps:

1. discovery limits against exposure for a few masses, with the gradient n along them (the
   explanation figure of O'Hare: n = 1 background-free, 2 Poisson, > 2 in the fog);
2. the gradient map n over (mass, σ) and the floors n = 2, 2.5, 3 (O'Hare's Fig. 1 for Xe),
   the n = 2 floor next to O'Hare's published table at 6 GeV – 1 TeV;
3. the floor at 70 GeV with the atmospheric flux 30 % lower (the CJPL site), next to the
   published number of Y. Fan, X. Liu, N. Zhou, arXiv:2503.22155.

The whole run takes well under a minute (every point of every grid in one vectorised solve).
"""

from __future__ import annotations

import numpy as np

from cevns.plotting import pyplot as _pyplot
from cevns.reproduce.common import Result
from cevns.reproduce.report import Figure, Input, Reproduction, Step, StepOutput, grid_columns, long_columns
from cevns.stats.fog import FOG_FLUXES, discovery_limits, fog_arrays, neutrino_fog

#: O'Hare's grid: masses 0.1 GeV – 10 TeV, exposures 1e-5 – 1e19 t·yr (NeutrinoFog src/runNuFloor_SI.py);
#: here 1 GeV – 10 TeV and 1e-5 – 1e12 t·yr (the floors lie inside).
EXPOSURES = (1e-5, 1e12)
MASSES = (1.0, 1e4)
SIGMAS = (1e-50, 1e-40)
#: Masses of the explanation figure, GeV.
EXAMPLE_MASSES = (6.0, 30.0, 100.0, 1000.0)
#: O'Hare's published xenon SI floor (n = 2), cm², at these masses (GeV): his table
#: ``data/floors/Xe_SI.txt`` of cajohare/NeutrinoFog (MIT licence, commit 0df3d0cd2322602d),
#: interpolated linearly in (ln m, ln σ) between its 200 masses; 4 significant digits.
OHARE_XE_FLOOR_CM2: dict[float, float] = {
    6.0: 1.264e-45, 10.0: 4.329e-48, 30.0: 3.714e-49, 100.0: 6.286e-49, 300.0: 1.581e-48, 1000.0: 5.009e-48,
}
#: Fan, Liu & Zhou (arXiv:2503.22155, abstract): the CJPL xenon floor, σ ~ 3e-49 cm² at 70 GeV.
CJPL_FLOOR_70GEV_CM2 = 3e-49
CJPL_ATM_FACTOR = 0.7


def _grids(fast: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_m, n_e, n_s = (40, 100, 100) if fast else (100, 200, 200)
    return np.geomspace(*MASSES, n_m), np.geomspace(*EXPOSURES, n_e), np.geomspace(*SIGMAS, n_s)


def _explanation(fast: bool) -> StepOutput:
    _, exposures, _ = _grids(fast)
    lim = discovery_limits(fog_arrays("Xe", list(EXAMPLE_MASSES)), exposures)
    plt = _pyplot()
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(6.4, 6.4), sharex=True, constrained_layout=True)
    series_s: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    series_n: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for m, s, n in zip(EXAMPLE_MASSES, lim.sigma, lim.gradient):
        ax.plot(exposures, s, label=f"{m:g} GeV")
        bx.plot(exposures, n)
        series_s[f"{m:g} GeV"] = (exposures, s)
        series_n[f"{m:g} GeV"] = (exposures, n)
    for level in (1.0, 2.0):
        bx.axhline(level, color="grey", lw=0.6, ls=":")
    ax.set(xscale="log", yscale="log", ylabel="3σ discovery limit [cm²]", title="Xe, SI: discovery limit vs exposure")
    bx.set(xscale="log", yscale="log", xlabel="exposure [tonne-year]", ylabel="n = −(d ln σ / d ln ε)⁻¹")
    ax.legend(fontsize=8)
    columns = long_columns(series_s, "exposure_tonne_year", "sigma_cm2")
    columns["n"] = [float(v) for _, (_, n) in series_n.items() for v in n]
    results = [
        Result(f"n at the smallest exposure, {m:g} GeV", "", float(n[0]), 1.0,
               "O'Hare 2021, Eq. 2 and text: n = 1 without background", "tends to 1 as s/b → ∞ (n = ln x/(ln x − 1))")
        for m, n in zip(EXAMPLE_MASSES, lim.gradient)
    ]
    results += [Result(f"largest n along the exposures, {m:g} GeV", "", float(np.nanmax(n)), None,
                       "O'Hare 2021, Fig. 1 (n > 2 inside the fog)") for m, n in zip(EXAMPLE_MASSES, lim.gradient)]
    figure = Figure("fig_explanation", "Discovery limit and n against exposure", (
        "Median 3σ discovery limits (Asimov, binned Poisson likelihood, the 11 flux normalisations of O'Hare's Table I "
        "profiled with Gaussian constraints) and the gradient n, for four WIMP masses on natural xenon; recoils "
        "1e-4-200 keVnr in 50 log bins, perfect detector."), fig, columns, "O'Hare 2021, Fig. 1 (explanation)")
    return StepOutput((figure,), tuple(results))


def _fog_map(fast: bool) -> StepOutput:
    masses, exposures, sigmas = _grids(fast)
    result = neutrino_fog(fog_arrays("Xe", masses), exposures, sigmas)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.8), constrained_layout=True)
    n = np.ma.masked_invalid(result.gradient_map.T)
    mesh = ax.pcolormesh(masses, sigmas, np.clip(n, 1.0, 5.0), shading="auto", cmap="Greys", vmin=1.0, vmax=5.0)
    fig.colorbar(mesh, ax=ax, label="n")
    for level, style in zip(sorted(result.floors), ("-", "--", ":")):
        ax.plot(masses, result.floors[level], style, color="tab:red", label=f"n = {level:g}")
    ax.set(xscale="log", yscale="log", xlabel="WIMP mass [GeV]", ylabel="σ_SI per nucleon [cm²]", title="Neutrino fog, Xe (SI)")
    ax.legend(loc="upper left", fontsize=8)
    columns = grid_columns("mass_gev", masses, "sigma_cm2", sigmas, n=result.gradient_map)
    published = neutrino_fog(fog_arrays("Xe", list(OHARE_XE_FLOOR_CM2)), exposures).floors[2.0]
    results = [
        Result(f"Xe floor (n = 2) at {m:g} GeV", "cm²", float(ours), OHARE_XE_FLOOR_CM2[m],
               "O'Hare 2021, Fig. 1: his floor table data/floors/Xe_SI.txt (cajohare/NeutrinoFog), interpolated",
               "O'Hare used 131Xe alone and sin²θ_W = 0.2387; natural Xe and the package's SM couplings here")
        for m, ours in zip(OHARE_XE_FLOOR_CM2, published)
    ]
    high = np.flatnonzero(masses >= 300.0)
    slope = np.polyfit(np.log(masses[high]), np.log(result.floors[2.0][high]), 1)[0]
    results.append(Result("slope d ln floor / d ln m above 300 GeV", "", float(slope), 1.0,
                          "expected: floor ∝ m where the recoil spectrum no longer changes with m (Billard et al. 2014)"))
    figure = Figure("fig1_fog", "The neutrino fog of xenon", (
        "Gradient n = −(d ln σ_disc / d ln exposure)⁻¹ over WIMP mass and SI cross section, for natural xenon, "
        "with the floors n = 2 (O'Hare's definition), 2.5 and 3."), fig, columns, "O'Hare 2021, Fig. 1")
    return StepOutput((figure,), tuple(results))


def _cjpl(fast: bool) -> StepOutput:
    _, exposures, _ = _grids(fast)
    atm_flux, atm_unc = FOG_FLUXES["atm"]
    floors = {}
    for label, factor in (("LNGS (FLUKA, O'Hare)", 1.0), ("CJPL (atmospheric x 0.7)", CJPL_ATM_FACTOR)):
        arrays = fog_arrays("Xe", [70.0], fluxes={"atm": (factor * atm_flux, atm_unc)})
        floors[label] = float(neutrino_fog(arrays, exposures).floors[2.0][0])
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 3.2), constrained_layout=True)
    ax.bar(list(floors), list(floors.values()), color=["tab:grey", "tab:blue"])
    ax.axhline(CJPL_FLOOR_70GEV_CM2, color="tab:red", ls="--", label="Fan, Liu, Zhou (CJPL)")
    ax.set(yscale="log", ylabel="Xe floor at 70 GeV [cm²]")
    ax.legend(fontsize=8)
    results = (
        Result("Xe floor at 70 GeV, CJPL atmospheric flux", "cm²", floors["CJPL (atmospheric x 0.7)"], CJPL_FLOOR_70GEV_CM2,
               "Fan, Liu, Zhou, arXiv:2503.22155, abstract: 'σ ~ 3 × 10⁻⁴⁹ cm² at 70 GeV'",
               "their atmospheric flux ~30 % below LNGS, taken as O'Hare's x 0.7; they add geoneutrinos, we do not"),
        Result("Xe floor at 70 GeV, LNGS (O'Hare's fluxes)", "cm²", floors["LNGS (FLUKA, O'Hare)"], None,
               "O'Hare 2021, Fig. 1 (a curve)"),
    )
    figure = Figure("fig_cjpl", "The floor at 70 GeV and the atmospheric flux",
                    "The n = 2 floor of xenon at 70 GeV with O'Hare's atmospheric flux and with it 30 % lower.",
                    fig, {"site": list(floors), "floor_cm2": list(floors.values())}, "Fan, Liu, Zhou 2025, abstract")
    return StepOutput((figure,), results)


def reproduction() -> Reproduction:
    """The ``neutrino-fog`` reproduction (xenon, spin-independent)."""
    inputs = tuple(
        Input(f"{name} flux", f"{flux:.4g} cm⁻² s⁻¹ ± {100 * unc:g} %",
              "O'Hare 2021, Table I (values of his code, cajohare/NeutrinoFog src/Params.py)")
        for name, (flux, unc) in FOG_FLUXES.items()
    ) + (Input("binning", "50 log bins, 1e-4-200 keVnr, perfect detector", "O'Hare 2021 (NeutrinoFog src/runNuFloor_SI.py)"),
         Input("halo", "Standard Halo Model of Baxter et al., EPJC 81, 907 (2021)", "cevns.physics.wimp"))
    assumptions = (
        "Median discovery on Asimov data (asymptotic profile likelihood); Billard et al. use 90 % of pseudo-experiments.",
        "Natural xenon (all isotopes by abundance) instead of O'Hare's single 131Xe; the package's SM couplings.",
        "Exposures 1e-5-1e12 t·yr (O'Hare: to 1e19); the floors at 1 GeV-10 TeV are reached well inside.",
        "Solar spectra and MSW flavour content from cevns.sources.solar, atmospheric FLUKA 2005, DSNB 'fog-2014', each "
        "scaled to O'Hare's total flux.",
    )
    steps = (
        Step("explanation", "Discovery limit and n against exposure", _explanation),
        Step("fog", "The neutrino fog of xenon", _fog_map),
        Step("cjpl", "The floor at 70 GeV and the atmospheric flux", _cjpl),
    )
    return Reproduction(
        "neutrino-fog", "The neutrino fog and floor of xenon (SI WIMPs)",
        "C. A. J. O'Hare, PRL 127, 251802 (2021), arXiv:2109.03116; J. Billard, L. Strigari, E. Figueroa-Feliciano, "
        "PRD 89, 023524 (2014), arXiv:1307.5458; Y. Fan, X. Liu, N. Zhou, arXiv:2503.22155",
        __doc__.split("\n\n")[0] if __doc__ else "", steps, inputs, assumptions)


__all__ = ["CJPL_FLOOR_70GEV_CM2", "EXAMPLE_MASSES", "OHARE_XE_FLOOR_CM2", "reproduction"]
