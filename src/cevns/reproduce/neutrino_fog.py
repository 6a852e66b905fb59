"""``cevns reproduce neutrino-fog``: the neutrino fog and floor for spin-independent WIMPs
on xenon and on O'Hare's seven targets, after C. A. J. O'Hare, "Fog on the horizon: a new
definition of the neutrino floor for direct dark matter searches", PRL 127, 251802 (2021),
arXiv:2109.03116, with the discovery limit of J. Billard, L. Strigari, E. Figueroa-Feliciano,
PRD 89, 023524 (2014), arXiv:1307.5458 (median 3σ, Asimov; :mod:`cevns.stats.fog`). Steps:

1. discovery limits against exposure for a few masses, with the gradient n along them (the
   explanation figure of O'Hare: n = 1 background-free, 2 Poisson, > 2 in the fog); at
   6 GeV the WIMP spectrum mimics ⁸B and the limit saturates (n → ∞);
2. the gradient map n over (mass, σ) and the floors n = 2, 2.5, 3 (O'Hare's Fig. 1 for Xe),
   the n = 2 floor next to O'Hare's published table at 6 GeV – 1 TeV;
3. the n = 2 floors of Xe, Ar, Ge, NaI, CaWO₄, F and He (O'Hare's Fig. 3) next to his
   published curves (cajohare/NeutrinoFog ``data/floors/<target>_SI.txt``, shipped in
   ``cevns/data/fog``), one figure and CSV per target, the ratios at 6, 10, 30, 100 and
   1000 GeV, and a drop-in plot of all floors (CSV: masses_gev and one floor_cm2 column per
   target);
4. the floor at 70 GeV with the atmospheric flux 30 % lower (the CJPL site), next to the
   published number of Y. Fan, X. Liu, N. Zhou, arXiv:2503.22155;
5. with the optional data release xenonnt-8b (``--data-release xenonnt-8b=DIR`` or
   ``$CEVNS_RELEASE_DATA/xenonnt-8b``), the XENONnT SI WIMP limit at 3–12 GeV through it
   (E. Aprile et al. (XENON), arXiv:2409.17868; :mod:`cevns.reproduce.xenonnt_wimp_limit`);
   without it the step is skipped and the report says why.

Where and why the floors differ from O'Hare's (measured with this module's full grids):
his code scales every neutrino component's binned counts to its total rate above threshold,
recoils above the 200 keV upper edge included (NeutrinoFuncs.py, ``BinnedNeutrinoRates``);
for the atmospheric neutrinos on ¹⁹F that is ×1.86 (on ⁴He ×7.9, on Ar ×1.13, on Xe
×1.001), which lifts his fluorine floor above 30 GeV, where the atmospheric neutrinos set
it: with the bin integrals (our default) the F floor is 0.62–0.71 of his there, with his
normalisation 0.93–0.99 (0.71, 0.66, 0.62 at 30, 100, 1000 GeV; 0.93, 0.99, 0.99). On helium the high-mass WIMP recoils stop below ~50 keV, where
⁸B/hep/DSNB rather than atmospheric neutrinos matter, so his normalisation changes nothing
(0.95–0.98). Elsewhere the differences (≤ 15 % from 30 GeV up) come from natural isotopic composition
instead of his single isotopes (¹³¹Xe, ⁴⁰Ar with N = 21, ⁷⁴Ge, ¹⁸⁴W), the package's
electroweak couplings instead of sin²θ_W = 0.2387 and the binning; they are largest at
8–12 GeV, on the steep ⁸B → atmospheric transition (0.78–0.91 at 10 GeV), where the floor
falls by three decades and a few per cent in the ⁸B spectrum's end point moves it by 10–20 %.

The whole run takes a few seconds: the points of every grid are solved together (vectorised
Newton), the floors of the seven targets from the limits they read only
(:func:`cevns.stats.fog.floor_limits`), and the figures have fixed frames (no layout pass).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from cevns.errors import InputError
from cevns.plotting import decade_ticks, pyplot as _pyplot
from cevns.reproduce.common import Result
from cevns.reproduce.report import Figure, Input, Reproduction, Step, StepOutput, fixed_frame, grid_columns, long_columns
from cevns.stats.fog import FOG_FLUXES, FogArrays, discovery_limits, floor, floor_limits, fog_arrays, neutrino_fog
from cevns.stats.fog_maps import FOG_TARGETS

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


#: Masses (GeV) of the ratio table of the seven targets.
RATIO_MASSES = (6.0, 10.0, 30.0, 100.0, 1000.0)
#: Commit of cajohare/NeutrinoFog whose floor tables are shipped in cevns/data/fog.
OHARE_COMMIT = "0df3d0cd2322602dc147a66d94055f7f64879d80"


def ohare_floor(target: str) -> tuple[np.ndarray, np.ndarray]:
    """O'Hare's published SI floor of ``target`` (a key of
    :data:`cevns.stats.fog_maps.FOG_TARGETS`): masses (GeV) and cross sections (cm²) of his
    table ``data/floors/<target>_SI.txt`` (cajohare/NeutrinoFog, MIT licence, commit
    :data:`OHARE_COMMIT`; PRL 127, 251802 (2021), Figs. 1 and 3)."""
    if target not in FOG_TARGETS:
        raise InputError(f"no published floor for {target!r}; O'Hare's targets are {', '.join(FOG_TARGETS)}")
    text = (resources.files("cevns") / "data" / "fog" / f"{target}_SI.txt").read_text(encoding="utf-8")
    table = np.loadtxt(text.splitlines(), comments="#", ndmin=2)
    return table[:, 0].copy(), table[:, 1].copy()


def ohare_floor_at(target: str, masses_gev: Sequence[float] | np.ndarray) -> np.ndarray:
    """O'Hare's floor of ``target`` (cm²) at ``masses_gev``, interpolated linearly in
    (ln m, ln σ) between the masses of his table; NaN outside 0.1 GeV – 10 TeV."""
    m, sigma = ohare_floor(target)
    x = np.log(np.asarray(masses_gev, dtype=float).reshape(-1))
    out = np.exp(np.interp(x, np.log(m), np.log(sigma)))
    out[(x < np.log(m[0]) - 1e-12) | (x > np.log(m[-1]) + 1e-12)] = np.nan
    return out


def floors_columns(masses_gev: Sequence[float] | np.ndarray, floors: Mapping[str, np.ndarray]) -> dict[str, list]:
    """The drop-in table: ``masses_gev`` and one column ``floor_cm2_<target>`` per target."""
    columns: dict[str, list] = {"masses_gev": [float(m) for m in masses_gev]}
    for name, values in floors.items():
        columns[f"floor_cm2_{name}"] = [float(v) for v in np.asarray(values, dtype=float)]
    return columns


def floors_csv(masses_gev: Sequence[float] | np.ndarray, floors: Mapping[str, np.ndarray]) -> str:
    """:func:`floors_columns` as CSV text (NaN written as an empty cell)."""
    columns = floors_columns(masses_gev, floors)
    names = list(columns)
    lines = [",".join(names)]
    for row in zip(*(columns[n] for n in names)):
        lines.append(",".join("" if not np.isfinite(v) else f"{v:.6g}" for v in row))
    return "\n".join(lines) + "\n"


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _plain_tick_label(text: str) -> str:
    """A tick label of matplotlib's log formatter (``$\\mathdefault{3\\times10^{-49}}$``) as
    plain text with Unicode superscripts (``3×10⁻⁴⁹``): the same label without a mathtext
    parse, which cost ~20 ms per distinct label (a third of the figures' drawing time)."""
    match = re.fullmatch(r"\$\\mathdefault\{(.*)\}\$", text)
    if match is None:
        return text
    body = match.group(1).replace("\\times", "×")
    return re.sub(r"\^\{([-0-9]+)\}", lambda m: m.group(1).translate(_SUPERSCRIPT), body)


def _plain_log_labels(*axes: Any) -> None:
    """Plain-text tick labels on the log axes of ``axes`` (:func:`_plain_tick_label`; the
    same ticks and the same choice of labelled ticks as matplotlib's default formatter)."""
    from matplotlib.ticker import LogFormatterSciNotation

    class PlainLogFormatter(LogFormatterSciNotation):
        def __call__(self, x: float, pos: int | None = None) -> str:
            return _plain_tick_label(super().__call__(x, pos))

    for ax in axes:
        for axis in (ax.xaxis, ax.yaxis):
            if axis.get_scale() == "log":
                axis.set_major_formatter(PlainLogFormatter())
                axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))


def _decades_only(*axes: Any) -> None:
    """Major (decade) ticks only on the log axes of ``axes``, labelled in plain text
    (:func:`_plain_log_labels`): the eight minor ticks per decade of a log axis are most of
    what a figure of a few curves costs to draw (one tick artist each, laid out twice by the
    constrained layout); the CSV beside every figure has the numbers. The minor ticks go
    on every log axis, however short (:func:`cevns.plotting.decade_ticks` with no minimum
    span)."""
    _plain_log_labels(*axes)
    decade_ticks(*axes, min_decades=0.0)


def floors_figure(masses_gev: Sequence[float] | np.ndarray, floors: Mapping[str, np.ndarray],
                  published: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None) -> Any:
    """The drop-in plot: n = 2 floors (σ_SI per nucleon, cm²) against WIMP mass (GeV),
    log-log, one curve per target; ``published`` curves (mass, σ) dashed in the same colour."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    fixed_frame(fig, 0.115, 0.1, 0.99, 0.945)
    for i, (name, values) in enumerate(floors.items()):
        color = f"C{i % 10}"
        ax.plot(masses_gev, values, color=color, label=name)
        if published and name in published:
            ax.plot(*published[name], color=color, ls="--", lw=0.8)
    ax.set(xscale="log", yscale="log", xlabel="WIMP mass [GeV]", ylabel="σ_SI per nucleon [cm²]",
           title="Neutrino floors (n = 2)" + (": ours (solid), O'Hare 2021 (dashed)" if published else ""))
    ax.legend(fontsize=8, ncol=2)
    _decades_only(ax)
    return fig


def _grids(fast: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_m, n_e, n_s = (40, 100, 100) if fast else (100, 200, 200)
    return np.geomspace(*MASSES, n_m), np.geomspace(*EXPOSURES, n_e), np.geomspace(*SIGMAS, n_s)


def _floor(arrays: FogArrays, exposures: Sequence[float] | np.ndarray) -> np.ndarray:
    """The n = 2 floor per mass of ``arrays`` over ``exposures`` (cm²): :func:`cevns.stats.fog.floor`
    of the limits it reads (:func:`cevns.stats.fog.floor_limits`, about a third of the
    points; the same floors as from every exposure, tested on every target)."""
    return floor(floor_limits(arrays, exposures, 2.0), 2.0)


def _explanation(fast: bool) -> StepOutput:
    _, exposures, _ = _grids(fast)
    lim = discovery_limits(fog_arrays("Xe", list(EXAMPLE_MASSES)), exposures)
    plt = _pyplot()
    fig, (ax, bx) = plt.subplots(2, 1, figsize=(6.4, 6.4), sharex=True)
    fixed_frame(fig, 0.115, 0.075, 0.99, 0.958, hspace=0.05)
    series_s: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    series_n: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for m, s, n in zip(EXAMPLE_MASSES, lim.sigma, lim.gradient):
        ax.plot(exposures, s, label=f"{m:g} GeV")
        bx.plot(exposures, n)
        series_s[f"{m:g} GeV"] = (exposures, s)
        series_n[f"{m:g} GeV"] = (exposures, n)
    for level in (1.0, 2.0):
        bx.axhline(level, color="grey", lw=0.6, ls=":")
    ax.set(xscale="log", yscale="log", ylabel="3σ discovery limit [cm²]",
           title="Xe, SI: discovery limit vs exposure (6 GeV: saturation by ⁸B)")
    bx.set(xscale="log", yscale="log", xlabel="exposure [tonne-year]", ylabel="n = −(d ln σ / d ln ε)⁻¹")
    ax.legend(fontsize=8)
    _decades_only(ax)  # σ spans decades; n (bx) keeps its minor ticks: its range may be under one
    _plain_log_labels(bx)
    columns = long_columns(series_s, "exposure_tonne_year", "sigma_cm2")
    columns["n"] = [float(v) for _, (_, n) in series_n.items() for v in n]
    results = [
        Result(f"n at the smallest exposure, {m:g} GeV", "", float(n[0]), 1.0,
               "O'Hare 2021, Eq. 2 and text: n = 1 without background", "tends to 1 as s/b → ∞ (n = ln x/(ln x − 1))")
        for m, n in zip(EXAMPLE_MASSES, lim.gradient)
    ]
    results += [Result(f"largest n along the exposures, {m:g} GeV", "", float(np.nanmax(n)), None,
                       "O'Hare 2021, Fig. 1 (n > 2 inside the fog)") for m, n in zip(EXAMPLE_MASSES, lim.gradient)]
    # saturation (Billard et al. 2014, Sec. IV): where n peaks, ten times the exposure improves
    # the limit by 10^(1/n) only, against √10 for a Poisson-limited search
    step = max(1, int(round(0.5 / np.log10(exposures[1] / exposures[0]))))  # half a decade
    for m, s, n in zip(EXAMPLE_MASSES, lim.sigma, lim.gradient):
        p = int(np.clip(np.nanargmax(n), step, len(exposures) - 1 - step))
        gain = float(s[p - step] / s[p + step]) ** (1.0 / np.log10(exposures[p + step] / exposures[p - step]))
        results.append(Result(f"gain of the limit per decade of exposure where n peaks, {m:g} GeV", "", gain, None,
                              "Billard et al. 2014, Sec. IV (saturation); O'Hare 2021, Fig. 2",
                              f"at {exposures[p]:.2g} t·yr; a Poisson-limited search gains √10 = 3.16 (σ ∝ ε^(-1/2)), "
                              "a saturated one → 1"))
    figure = Figure("fig_explanation", "Discovery limit and n against exposure", (
        "Median 3σ discovery limits (Asimov, binned Poisson likelihood, the 11 flux normalisations of O'Hare's Table I "
        "profiled with Gaussian constraints) and the gradient n, for four WIMP masses on natural xenon; recoils "
        "1e-4-200 keVnr in 50 log bins, perfect detector."), fig, columns, "O'Hare 2021, Fig. 1 (explanation)")
    return StepOutput((figure,), tuple(results))


def _fog_map(fast: bool) -> StepOutput:
    masses, exposures, sigmas = _grids(fast)
    result = neutrino_fog(fog_arrays("Xe", masses), exposures, sigmas)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    fixed_frame(fig, 0.115, 0.1, 0.826, 0.945)
    n = np.ma.masked_invalid(result.gradient_map.T)
    mesh = ax.pcolormesh(masses, sigmas, np.clip(n, 1.0, 5.0), shading="auto", cmap="Greys", vmin=1.0, vmax=5.0,
                         rasterized=True)  # one image in a PDF, not 20 000 cells
    fig.colorbar(mesh, cax=fig.add_axes((0.878, 0.1, 0.032, 0.845)), label="n")
    for level, style in zip(sorted(result.floors), ("-", "--", ":")):
        ax.plot(masses, result.floors[level], style, color="tab:red", label=f"n = {level:g}")
    ax.set(xscale="log", yscale="log", xlabel="WIMP mass [GeV]", ylabel="σ_SI per nucleon [cm²]", title="Neutrino fog, Xe (SI)")
    ax.legend(loc="upper left", fontsize=8)
    _decades_only(ax)
    columns = grid_columns("mass_gev", masses, "sigma_cm2", sigmas, n=result.gradient_map)
    published = _floor(fog_arrays("Xe", list(OHARE_XE_FLOOR_CM2)), exposures)
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


#: Exposures (t·yr) of step 3: O'Hare's targets reach n = 2 between 10⁻¹·¹ (Xe, 1 GeV) and
#: 10³·¹ t·yr (F, 100 GeV), measured on 1e-5 – 1e12; 90 log steps (60 with ``fast``) move the
#: floors by < 0.5 % (< 1.2 %) from 200 steps over 1e-5 – 1e10.
TARGET_EXPOSURES = (1e-4, 1e7)


def _target_grids(fast: bool) -> tuple[np.ndarray, np.ndarray]:
    """Masses (the plotting grid with :data:`RATIO_MASSES` added) and exposures of step 3."""
    n_m, n_e = (15, 60) if fast else (35, 90)
    masses = np.unique(np.concatenate([np.geomspace(*MASSES, n_m), RATIO_MASSES]))
    return masses, np.geomspace(*TARGET_EXPOSURES, n_e)


def target_floors(target: str, masses_gev: Sequence[float] | np.ndarray, exposures: Sequence[float] | np.ndarray,
                  ohare_masses_gev: Sequence[float] | np.ndarray = RATIO_MASSES) -> tuple[np.ndarray, np.ndarray]:
    """The n = 2 floors (cm²) of one of O'Hare's targets (natural composition): at
    ``masses_gev`` with each bin's integral of the neutrino spectra (the cevns default), and
    at ``ohare_masses_gev`` (a subset of ``masses_gev``) with O'Hare's normalisation of each
    neutrino component to its total rate above threshold (:func:`cevns.stats.fog.fog_arrays`,
    ``normalisation="total"``). Only the DSNB and atmospheric neutrinos have recoils above
    200 keV (the solar ones stop below: hep on ⁴He at 190 keV), so only their rows change; the
    WIMP signal is shared. Only the limits that the floors read are solved
    (:func:`cevns.stats.fog.floor_limits`)."""
    material = FOG_TARGETS[target].material
    masses = np.asarray(masses_gev, dtype=float).reshape(-1)
    arrays = fog_arrays(material, masses)
    rows = [int(np.flatnonzero(np.isclose(masses, m, rtol=1e-12))[0]) for m in ohare_masses_gev]
    scaled = fog_arrays(material, masses[:1], components=("DSNB", "atm"), normalisation="total")
    background = arrays.background.copy()
    for name, row in zip(scaled.components, scaled.background):
        background[arrays.components.index(name)] = row
    total = FogArrays(background, arrays.uncertainties, arrays.signal[rows], masses[rows], arrays.components,
                      arrays.edges_kev)
    return _floor(arrays, exposures), _floor(total, exposures)


#: Why each target's floor differs from O'Hare's (the notes of the ratio table).
TARGET_NOTES: dict[str, str] = {
    "Xe": "natural Xe, not 131Xe alone; package couplings, not sin²θ_W = 0.2387",
    "Ar": "natural Ar; his 40Ar has N = 21 (A = 39) in Params.py",
    "Ge": "natural Ge, not 74Ge alone",
    "NaI": "natural Na and I by their number per tonne (his mass fractions 22/149, 127/149)",
    "CaWO4": "natural Ca, W, O (his 40Ca, 184W, 16O); ~10 % lower at high mass",
    "F": "bin integrals: his code scales the atmospheric counts to their total rate above threshold, ×1.86 on 19F "
         "(recoils above 200 keV), which lifts his floor above 30 GeV; with his normalisation 0.93-0.99",
    "He": "4He: high-mass WIMP recoils stop below ~50 keV (⁸B/hep/DSNB, not atmospheric, set the floor), so his "
          "normalisation changes nothing",
}


def _targets(fast: bool) -> StepOutput:
    masses, exposures = _target_grids(fast)
    plt = _pyplot()
    figures: list[Figure] = []
    results: list[Result] = []
    ours: dict[str, np.ndarray] = {}
    published: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    ratio_index = [int(np.flatnonzero(np.isclose(masses, m))[0]) for m in RATIO_MASSES]
    for name in FOG_TARGETS:
        floor_bins, floor_total = target_floors(name, masses, exposures)
        ours[name] = floor_bins
        pm, ps = ohare_floor(name)
        published[name] = (pm, ps)
        theirs = ohare_floor_at(name, masses)
        fig, ax = plt.subplots(figsize=(5.6, 4.0))
        fixed_frame(fig, 0.13, 0.12, 0.99, 0.934)
        ax.plot(masses, floor_bins, color="tab:red", label="cevns (bin integrals)")
        ax.plot(RATIO_MASSES, floor_total, "o", color="tab:orange", ms=4, label="cevns, O'Hare's normalisation")
        ax.plot(pm, ps, color="k", ls="--", lw=0.8, label="O'Hare 2021 (published)")
        ax.set(xscale="log", yscale="log", xlabel="WIMP mass [GeV]", ylabel="σ_SI per nucleon [cm²]",
               title=f"Neutrino floor (n = 2), {name}")
        ax.legend(fontsize=8)
        _decades_only(ax)
        at_ratio = dict(zip(RATIO_MASSES, floor_total))
        columns = {"mass_gev": [float(m) for m in masses], "floor_cm2": [float(v) for v in floor_bins],
                   "floor_ohare_normalisation_cm2": [float(at_ratio.get(float(m), np.nan)) for m in masses],
                   "ohare_published_cm2": [float(v) for v in theirs]}
        figures.append(Figure(f"fig3_floor_{name}", f"The neutrino floor of {name}", (
            f"The n = 2 floor (median 3σ discovery, Asimov) of natural {FOG_TARGETS[name].material} next to O'Hare's "
            f"published curve (cajohare/NeutrinoFog data/floors/{name}_SI.txt; his nuclei: "
            f"{FOG_TARGETS[name].ohare_nuclei}); recoils 1e-4-200 keVnr in 50 log bins, perfect detector; dots: "
            "the neutrino counts normalised as in his code."), fig, columns, "O'Hare 2021, Fig. 3"))
        source = f"O'Hare 2021, Fig. 3: data/floors/{name}_SI.txt (cajohare/NeutrinoFog), interpolated"
        for m, i, tot in zip(RATIO_MASSES, ratio_index, floor_total):
            ref = float(theirs[i])
            results.append(Result(f"{name}: floor (n = 2) at {m:g} GeV", "cm²", float(floor_bins[i]), ref, source,
                                  TARGET_NOTES[name]))
            results.append(Result(f"{name}: floor (n = 2) at {m:g} GeV, O'Hare's normalisation", "cm²", float(tot), ref,
                                  source, "neutrino counts scaled to each component's total rate above threshold, as his code"))
    figures.append(Figure("fig_floors", "The neutrino floors of seven targets", (
        "Drop-in plot: the n = 2 floors of Xe, Ar, Ge, NaI, CaWO4, F and He (natural composition, bin integrals; "
        "solid) with O'Hare's published curves (dashed). CSV: masses_gev and floor_cm2 per target."),
        floors_figure(masses, ours, published), floors_columns(masses, ours), "O'Hare 2021, Fig. 3"))
    return StepOutput(tuple(figures), tuple(results))


def _cjpl(fast: bool) -> StepOutput:
    _, exposures, _ = _grids(fast)
    atm_flux, atm_unc = FOG_FLUXES["atm"]
    floors = {}
    for label, factor in (("LNGS (FLUKA, O'Hare)", 1.0), ("CJPL (atmospheric x 0.7)", CJPL_ATM_FACTOR)):
        arrays = fog_arrays("Xe", [70.0], fluxes={"atm": (factor * atm_flux, atm_unc)})
        floors[label] = float(_floor(arrays, exposures)[0])
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.0, 3.2))
    fixed_frame(fig, 0.18, 0.09, 0.99, 0.985)
    ax.bar(list(floors), list(floors.values()), color=["tab:grey", "tab:blue"])
    ax.axhline(CJPL_FLOOR_70GEV_CM2, color="tab:red", ls="--", label="Fan, Liu, Zhou (CJPL)")
    ax.set(yscale="log", ylabel="Xe floor at 70 GeV [cm²]")
    ax.legend(fontsize=8)
    _plain_log_labels(ax)
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


def reproduction(release_dirs: Mapping[str, str | Path] | None = None) -> Reproduction:
    """The ``neutrino-fog`` reproduction (xenon and O'Hare's seven targets, spin-independent).

    ``release_dirs`` (release → folder; :func:`cevns.reproduce.release_dirs_for`) may hold the
    optional release ``xenonnt-8b``: then the step ``xenonnt-limit`` (the XENONnT SI limit
    through it, :mod:`cevns.reproduce.xenonnt_wimp_limit`) is added; without it (and without
    ``$CEVNS_RELEASE_DATA/xenonnt-8b``) the step is left out and the description and the
    assumptions of the report say so and why."""
    inputs = tuple(
        Input(f"{name} flux", f"{flux:.4g} cm⁻² s⁻¹ ± {100 * unc:g} %",
              "O'Hare 2021, Table I (values of his code, cajohare/NeutrinoFog src/Params.py)")
        for name, (flux, unc) in FOG_FLUXES.items()
    ) + (Input("binning", "50 log bins, 1e-4-200 keVnr, perfect detector", "O'Hare 2021 (NeutrinoFog src/runNuFloor_SI.py)"),
         Input("halo", "Standard Halo Model of Baxter et al., EPJC 81, 907 (2021)", "cevns.physics.wimp"))
    assumptions: tuple[str, ...] = (
        "Median discovery on Asimov data (asymptotic profile likelihood); Billard et al. use 90 % of pseudo-experiments.",
        "Natural composition of every target (all isotopes by abundance) instead of O'Hare's single nuclei (131Xe, 40Ar, "
        "74Ge, 184W, ...); the package's SM couplings.",
        "Neutrino counts per bin are the bins' integrals; O'Hare's code scales each component to its total rate above "
        "threshold (recoils above 200 keV included): shown as a second curve, it explains the F difference.",
        "Helm form factors with the Lewin-Smith radius for neutrinos and WIMPs alike, as O'Hare.",
        "Exposures 1e-5-1e12 t·yr (O'Hare: to 1e19); the floors at 1 GeV-10 TeV are reached well inside.",
        "Solar spectra and MSW flavour content from cevns.sources.solar, atmospheric FLUKA 2005, DSNB 'fog-2014', each "
        "scaled to O'Hare's total flux.",
    )
    steps: tuple[Step, ...] = (
        Step("explanation", "Discovery limit and n against exposure", _explanation),
        Step("fog", "The neutrino fog of xenon", _fog_map),
        Step("targets", "The neutrino floors of seven targets", _targets),
        Step("cjpl", "The floor at 70 GeV and the atmospheric flux", _cjpl),
    )
    from cevns.reproduce.xenonnt_wimp_limit import TITLE, RELEASE, skipped_reason, xenonnt_limit_step

    folder = (release_dirs or {}).get(RELEASE)  # else $CEVNS_RELEASE_DATA/xenonnt-8b (xenonnt_limit_step)
    limit_step = xenonnt_limit_step(folder)
    description = (__doc__.split("\n\n")[0] if __doc__ else "").removesuffix(" Steps:")  # the list follows in the docstring
    if limit_step is not None:
        steps += (limit_step,)
    else:
        skipped = f"Step skipped: {TITLE}: {skipped_reason(folder)}."
        description = f"{description} {skipped}"
        assumptions += (skipped,)
    return Reproduction(
        "neutrino-fog", "The neutrino fog of xenon and the floors of seven targets (SI WIMPs)",
        "C. A. J. O'Hare, PRL 127, 251802 (2021), arXiv:2109.03116; J. Billard, L. Strigari, E. Figueroa-Feliciano, "
        "PRD 89, 023524 (2014), arXiv:1307.5458; Y. Fan, X. Liu, N. Zhou, arXiv:2503.22155",
        description, steps, inputs, assumptions)


__all__ = ["CJPL_FLOOR_70GEV_CM2", "EXAMPLE_MASSES", "OHARE_COMMIT", "OHARE_XE_FLOOR_CM2", "RATIO_MASSES", "TARGET_NOTES",
           "floors_columns", "floors_csv", "floors_figure", "ohare_floor", "ohare_floor_at", "reproduction", "target_floors"]
