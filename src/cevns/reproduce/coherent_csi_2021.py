"""``cevns reproduce coherent-csi-2021``: the COHERENT CsI[Na] full data set and its phenomenology.

The data: D. Akimov et al. (COHERENT), PRL 129, 081801 (2022), arXiv:2110.07730, with its
ancillary data release (``--data-release csi-2021=DIR``; ``coherent-sns`` also needs
``lar-2020-analysisA``). The phenomenology: M. Atzori Corona et al., EPJC 83, 683 (2023),
arXiv:2303.09360. Steps:

1. data − steady state vs the stacked prediction at the best fit, projected on PE and on time
   (COHERENT's Figs. 2-3 style); χ²/bins at the SM and at the best fit;
2. the CEvNS count (SM prediction, best fit) and the flux-averaged cross section;
3. sin²θ_W from CsI 2021 alone and from ``coherent-sns``;
4. the neutron radius of CsI (average, Cs × I) and the nuclear-structure suppression;
5. NSI (ε^{uV}, ε^{dV}) for ee and μμ;
6. neutrino charge radii and magnetic moments;
7. Feldman–Cousins critical values against Wilks' thresholds for sin²θ_W.

The numbers are in :mod:`cevns.reproduce.coherent_csi_2021_analysis`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cevns.plotting import pyplot as _pyplot
from cevns.releases.csi_2021 import (
    COHERENT_2021_BEST_FIT,
    COHERENT_2021_BEST_FIT_ERROR,
    COHERENT_2021_SM_PREDICTION,
)
from cevns.reproduce import coherent_csi_2021_analysis as an
from cevns.reproduce.common import Result, exact_profile
from cevns.reproduce.report import Figure, Input, Reproduction, Step, StepOutput, fixed_frame, long_columns
from cevns.stats.profiles import OneParameterProfile, one_parameter_profile

#: The releases this reproduction reads (name → what for).
RELEASES = {"csi-2021": "the CsI 2021 data", "lar-2020-analysisA": "the LAr member of coherent-sns"}

PRL = "Akimov et al. (COHERENT), PRL 129, 081801 (2022), arXiv:2110.07730, as recalled"
ATZORI = "Atzori Corona et al., EPJC 83, 683 (2023), arXiv:2303.09360, abstract"
#: Flux-averaged cross section of CsI, 165 (+30 −25) × 10⁻⁴⁰ cm², and the SM one, 189 ± 6 × 10⁻⁴⁰ cm²;
#: sin²θ_W = 0.220 (+0.028 −0.026) (PRL 129, 081801 (2022), arXiv:2110.07730, as recalled).
COHERENT_2021_XSEC = 165.0
COHERENT_2021_XSEC_1SIGMA = (140.0, 195.0)
COHERENT_2021_XSEC_SM = 189.0
COHERENT_2021_SIN2W = 0.220
COHERENT_2021_SIN2W_1SIGMA = (0.194, 0.248)
#: "6σ evidence of the nuclear structure suppression of the full coherence" (Atzori Corona et al., abstract).
ATZORI_SUPPRESSION_SIGMA = 6.0

Lks = Callable[[], an.Likelihoods]


def _profile_columns(profiles: Mapping[str, OneParameterProfile], x: str) -> dict[str, list[Any]]:
    return long_columns({k: (p.grid, p.delta_chi2) for k, p in profiles.items()}, x, "delta_chi2")


def _interval(p: OneParameterProfile, level: str) -> tuple[tuple[float, float], ...]:
    return tuple((float(a), float(b)) for a, b in p.allowed[level])


def _plot_profiles(name: str, title: str, caption: str, profiles: Mapping[str, OneParameterProfile], x: str,
                   xlabel: str, reference: str = "") -> Figure:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for label, p in profiles.items():
        ax.plot(p.grid, p.delta_chi2, label=label)
    for level, value in an.LEVELS_1D.items():
        ax.axhline(value, color="grey", ls=":", lw=0.8)
        ax.text(ax.get_xlim()[0], value, f" {level}", va="bottom", fontsize=7, color="grey")
    ax.set_ylim(0, 9)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Δχ²")
    ax.legend(fontsize=8)
    ax.set_title(title, fontsize=9)
    fixed_frame(fig, 0.070, 0.113, 0.993, 0.948)  # constrained layout's frame, without its pass
    return Figure(name, title, caption, fig, _profile_columns(profiles, x), reference)


# --- 1: data vs prediction ------------------------------------------------------------------------
def _run_spectra(lks: Lks, fast: bool) -> StepOutput:
    lk = lks().csi
    fit = an.signal_strength(lk).fit
    residual, variance, _ = lk.figure_parts({})
    parts = an.best_fit_components(lk)
    shape = lk.data.shape
    pe, tt = lk.data.axes
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    columns: dict[str, list[Any]] = {"projection": [], "low": [], "high": [], "data_minus_ss": [], "error": [],
                                     **{k: [] for k in parts}}
    for ax, axis, (dim, edges) in zip(axes, (1, 0), ((pe.name, pe.edges), (tt.name, tt.edges))):
        r = residual.reshape(shape).sum(axis=axis)
        e = np.sqrt(variance.reshape(shape).sum(axis=axis))
        centres = 0.5 * (edges[1:] + edges[:-1])
        bottom = np.zeros(r.size)
        for label, v in parts.items():
            part = v.reshape(shape).sum(axis=axis)
            ax.bar(edges[:-1], part, width=np.diff(edges), bottom=bottom, align="edge", label=label, alpha=0.7)
            bottom = bottom + part
            columns[label].extend(part.tolist())
        ax.errorbar(centres, r, yerr=e, fmt="ko", ms=3, label="data − steady state")
        ax.set_xlabel(f"{dim} ({pe.unit if axis == 1 else tt.unit})")
        ax.set_ylabel("events per bin")
        columns["projection"].extend([dim] * r.size)
        columns["low"].extend(edges[:-1].tolist())
        columns["high"].extend(edges[1:].tolist())
        columns["data_minus_ss"].extend(r.tolist())
        columns["error"].extend(e.tolist())
    axes[0].legend(fontsize=7)
    fig.suptitle("COHERENT CsI 2021: data − steady state vs the best fit", fontsize=10)
    fixed_frame(fig, 0.062, 0.119, 0.996, 0.933, wspace=0.149)  # constrained layout's frame, without its pass
    figure = Figure("csi21_1_spectra", "Data − steady state and the best-fit prediction, PE and time projections",
                    "Residual of the beam-on data after subtracting the measured steady state (template from the "
                    "anti-coincidence sample), with √variance errors; stacked: CEvNS per arriving flavour scaled to the "
                    "free-normalisation best fit (shape nuisances at their profiled values, so the stacked CEvNS total "
                    "differs slightly from the fitted count), BRN and NIN at their profiled normalisations.",
                    fig, columns, "Akimov et al., PRL 129, 081801, Figs. 2-3 (style)")
    bins = lk.data.bins
    results = (
        Result("χ²/bins at the SM", "", lk.chi2({}) / bins, None, "—", f"χ² = {lk.chi2({}):.2f} over {bins} PE × time bins; "
               "COHERENT print no goodness of fit of this binned likelihood"),
        Result("χ²/bins at the best fit (free CEvNS normalisation)", "", fit.chi2_min / bins, None, "—",
               f"χ² = {fit.chi2_min:.2f}"),
    )
    return StepOutput((figure,), results)


# --- 2: counts and cross section ------------------------------------------------------------------
def _run_counts(lks: Lks, fast: bool) -> StepOutput:
    lk = lks().csi
    strength = an.signal_strength(lk)
    fit = strength.fit
    sigma_sm = an.flux_averaged_cross_section_sm()
    k, lo, hi = fit.counts / fit.predicted, fit.low / fit.predicted, fit.high / fit.predicted
    ks, chi2 = strength.profile.grid, strength.profile.delta_chi2  # the fit's own χ²(k): one batched fit
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.plot(ks * fit.predicted, chi2, label="CsI 2021 (this fit)")
    ax.axvline(COHERENT_2021_BEST_FIT, color="k", ls="--", label="COHERENT 306 ± 20")
    ax.axvspan(COHERENT_2021_BEST_FIT - COHERENT_2021_BEST_FIT_ERROR, COHERENT_2021_BEST_FIT + COHERENT_2021_BEST_FIT_ERROR,
               color="grey", alpha=0.2)
    ax.axvline(fit.predicted, color="C1", ls=":", label=f"SM prediction {fit.predicted:.0f}")
    ax.set_ylim(0, 9)
    ax.set_xlabel("CEvNS events")
    ax.set_ylabel("Δχ²")
    ax.legend(fontsize=8)
    fixed_frame(fig, 0.070, 0.112, 0.984, 0.978)  # constrained layout's frame, without its pass
    figure = Figure("csi21_2_counts", "Δχ² of the CEvNS count (free normalisation)",
                    "Δχ² of a free scale of the SM CEvNS prediction (the signal's flux-normalisation prior removed; "
                    "backgrounds, steady state and shape nuisances profiled), against COHERENT's best fit.",
                    fig, {"cevns_events": (ks * fit.predicted).tolist(), "delta_chi2": chi2.tolist()},
                    "Akimov et al., PRL 129, 081801")
    results = (
        Result("SM CEvNS prediction (PE < 60, t < 6 µs)", "events", fit.predicted, COHERENT_2021_SM_PREDICTION,
               f"{PRL}: 341 ± 11 (th) ± 42 (exp)", "our quenching, efficiency, resolution and πDAR flux; the 42-event "
               "experimental error covers the difference"),
        Result("best-fit CEvNS count", "events", fit.counts, COHERENT_2021_BEST_FIT, f"{PRL}: 306 ± 20",
               "steady state as a template from the anti-coincidence sample; BRN/NIN normalisations of cevns.releases.csi_2021"),
        Result("best-fit CEvNS count, 1σ", "events", ((fit.low, fit.high),),
               ((COHERENT_2021_BEST_FIT - COHERENT_2021_BEST_FIT_ERROR, COHERENT_2021_BEST_FIT + COHERENT_2021_BEST_FIT_ERROR),),
               f"{PRL}: 306 ± 20", "Δχ² = 1 crossings"),
        Result("SM flux-averaged cross section of CsI", "1e-40 cm²", sigma_sm, COHERENT_2021_XSEC_SM, f"{PRL}: 189 ± 6",
               "πDAR flux (prompt ν_μ, delayed ν_e, ν̄_μ), Helm form factors, tree couplings of the experiment file"),
        Result("measured flux-averaged cross section", "1e-40 cm²", k * sigma_sm, COHERENT_2021_XSEC, f"{PRL}: 165 (+30 −25)",
               "(fitted / predicted count) × the SM flux-averaged cross section"),
        Result("measured flux-averaged cross section, 1σ", "1e-40 cm²", ((lo * sigma_sm, hi * sigma_sm),),
               (COHERENT_2021_XSEC_1SIGMA,), f"{PRL}: 165 (+30 −25)",
               "statistical and profiled-nuisance interval of the count only; COHERENT's includes the flux and "
               "quenching normalisation errors"),
    )
    return StepOutput((figure,), results)


# --- 3: sin²θ_W -----------------------------------------------------------------------------------
def _run_sin2w(lks: Lks, fast: bool) -> StepOutput:
    ls = lks()
    grid = np.linspace(0.10, 0.35, 51 if fast else 201)
    # the joint fit costs ≈ 60 ms a point (its shared-flux Newton over member fits): a coarser grid,
    # whose minimum and crossings are refined off the grid to the same values (profile_of_chi2)
    profiles = {"CsI 2021": exact_profile(ls.csi, "sin2_theta_w", grid),
                "coherent-sns (CsI 2021 + CENNS-10 A)": exact_profile(ls.sns, "sin2_theta_w", np.linspace(0.10, 0.35, 51))}
    figure = _plot_profiles("csi21_3_sin2w", "Δχ² of sin²θ_W", "Δχ² of the low-energy weak mixing angle (tree couplings, "
                            "g_V^p = ½ − 2 sin²θ_W), every nuisance profiled; the joint fit shares a 10% SNS flux "
                            "normalisation between CsI and LAr.", profiles, "sin2_theta_w", "sin²θ_W",
                            "Akimov et al., PRL 129, 081801")
    csi, sns = profiles.values()
    results = (
        Result("sin²θ_W, CsI 2021", "", csi.minima[0], COHERENT_2021_SIN2W, f"{PRL}: 0.220 (+0.028 −0.026)"),
        Result("sin²θ_W, CsI 2021, 1σ", "", _interval(csi, "1sigma"), (COHERENT_2021_SIN2W_1SIGMA,),
               f"{PRL}: 0.220 (+0.028 −0.026)"),
        Result("sin²θ_W, coherent-sns", "", sns.minima[0], None, "—", "no published joint fit with these inputs"),
        Result("sin²θ_W, coherent-sns, 1σ", "", _interval(sns, "1sigma"), None, "—",
               "no published joint fit with these inputs"),
    )
    return StepOutput((figure,), results)


# --- 4: neutron radii -----------------------------------------------------------------------------
def _run_rn(lks: Lks, fast: bool) -> StepOutput:
    ls = lks()
    grid = np.linspace(3.0, 8.0, 26 if fast else 101)
    # one R_n for both CsI nuclei; in coherent-sns it acts on the CsI member only (the argon radius keeps
    # its default: a joint likelihood passes each member only the radii of isotopes it holds)
    def both(x: float) -> dict[str, float | str]:
        return {"rn_133Cs": x, "rn_127I": x}

    # the joint fit (≈ 60 ms a point) on a coarser grid; minimum and crossings are refined off the grid
    profiles = {"CsI 2021": one_parameter_profile(ls.csi, both, grid),
                "coherent-sns": one_parameter_profile(ls.sns, both, np.linspace(3.0, 8.0, 26))}
    n2 = 11 if fast else 41
    xs = np.linspace(3.0, 8.0, n2)
    chi2 = an.radius_grid_2d(ls.csi, xs, xs)  # Cs and I counts add: 2 × n2 predictions, not n2²
    dchi2 = chi2 - chi2.min()
    i, j = np.unravel_index(int(np.argmin(chi2)), chi2.shape)
    csi = profiles["CsI 2021"]
    suppression = an.sigma_of(an.point_nucleus_chi2(ls.csi) - csi.chi2_min)
    plt = _pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    for label, p in profiles.items():
        a1.plot(p.grid, p.delta_chi2, label=label)
    a1.axhline(1.0, color="grey", ls=":")
    a1.set_ylim(0, 9)
    a1.set_xlabel(r"$R_n$ (fm), both CsI nuclei")
    a1.set_ylabel("Δχ²")
    a1.legend(fontsize=8)
    cs = a2.contour(xs, xs, dchi2.T, levels=[an.LEVELS_2D["1sigma"], an.LEVELS_2D["90%"]], colors=["C0", "C1"])
    a2.clabel(cs, fmt={cs.levels[0]: "1σ", cs.levels[1]: "90%"}, fontsize=7)
    a2.plot(xs[i], xs[j], "k+")
    a2.set_xlabel(r"$R_n(^{133}$Cs) (fm)")
    a2.set_ylabel(r"$R_n(^{127}$I) (fm)")
    mx, my = np.meshgrid(xs, xs, indexing="ij")
    columns = {"rn_133Cs": mx.ravel().tolist(), "rn_127I": my.ravel().tolist(), "delta_chi2": dchi2.ravel().tolist()}
    fixed_frame(fig, 0.042, 0.124, 0.992, 0.976, wspace=0.112)  # constrained layout's frame, without its pass
    figure = Figure("csi21_4_rn", "Neutron radius of CsI: average and Cs × I",
                    "Left: Δχ² of one neutron rms radius for both Cs and I (Helm form factors, proton radii from "
                    "muonic atoms), CsI 2021 and coherent-sns. Right: 1σ and 90% regions (2 dof) of R_n(Cs) × R_n(I) "
                    "from CsI 2021; the CSV holds this grid.", fig, columns, "Atzori Corona et al., arXiv:2303.09360")
    sns = profiles["coherent-sns"]
    results = (
        Result("R_n(CsI), CsI 2021", "fm", csi.minima[0], None, "—",
               "the numerical R_n of arXiv:2303.09360 could not be confirmed here (only its abstract was read)"),
        Result("R_n(CsI), CsI 2021, 1σ", "fm", _interval(csi, "1sigma"), None, "—", "as above"),
        Result("R_n(CsI), coherent-sns, 1σ", "fm", _interval(sns, "1sigma"), None, "—",
               "as above, one radius for Cs and I; the argon radius keeps its default (charge radius)"),
        Result("best-fit (R_n(Cs), R_n(I)), CsI 2021, on the grid", "fm", (float(xs[i]), float(xs[j])), None, "—",
               f"{n2} × {n2} grid; Cs and I are nearly degenerate (similar N, Z)"),
        Result("nuclear-structure suppression of full coherence", "σ", suppression, ATZORI_SUPPRESSION_SIGMA,
               f"{ATZORI}: '6σ evidence of the nuclear structure suppression of the full coherence'",
               "√(χ²(form factors = 1) − χ²_min(R_n)); their χ² has other nuisances and radiative couplings"),
    )
    return StepOutput((figure,), results)


# --- 5: NSI ---------------------------------------------------------------------------------------
def _run_nsi(lks: Lks, fast: bool) -> StepOutput:
    lk = lks().csi
    n = 21 if fast else 61  # the regions only (no number is read off this grid): a 0.02 step resolves the band
    xs = np.linspace(-0.6, 0.6, n)
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.4))
    columns: dict[str, list[Any]] = {"flavour": [], "eps_uV": [], "eps_dV": [], "delta_chi2": []}
    results: list[Result] = []
    for ax, fl, tex in zip(axes, ("ee", "mumu"), ("ee", r"\mu\mu")):
        u, d = f"eps_{fl}_uV", f"eps_{fl}_dV"
        dchi2 = an.grid_2d(lk, u, xs, d, xs)
        dchi2 = dchi2 - dchi2.min()
        cs = ax.contour(xs, xs, np.ma.masked_invalid(dchi2).T, levels=[an.LEVELS_2D["1sigma"], an.LEVELS_2D["90%"]], colors=["C0", "C1"])
        ax.clabel(cs, fmt={cs.levels[0]: "1σ", cs.levels[1]: "90%"}, fontsize=7)
        ax.set_xlabel(rf"$\varepsilon^{{uV}}_{{{tex}}}$")
        ax.set_ylabel(rf"$\varepsilon^{{dV}}_{{{tex}}}$")
        mx, my = np.meshgrid(xs, xs, indexing="ij")
        columns["flavour"].extend([fl] * mx.size)
        columns["eps_uV"].extend(mx.ravel().tolist())
        columns["eps_dV"].extend(my.ravel().tolist())
        columns["delta_chi2"].extend(dchi2.ravel().tolist())
        line = np.linspace(-0.6, 0.6, 61 if fast else 241)  # large |ε| make huge signals: slow fits
        for name, other in ((u, d), (d, u)):
            p = exact_profile(lk.with_fixed({other: 0.0}), name, line)
            results.append(Result(f"{name} allowed at 90% ({other} = 0)", "", _interval(p, "90%"), None, "—",
                                  "no confirmed published CsI 2021 range was found; Δχ² < 2.71 along the line"))
    fig.suptitle("NSI from CsI 2021: 1σ and 90% regions (2 dof)", fontsize=10)
    fixed_frame(fig, 0.071, 0.121, 0.985, 0.928, wspace=0.218)  # constrained layout's frame, without its pass
    figure = Figure("csi21_5_nsi", "Vector NSI (ε^uV, ε^dV) for ee and μμ",
                    "Δχ² regions of flavour-diagonal vector NSI with the other couplings zero; the degenerate band is "
                    "the weak charge's cancellation line.", fig, columns, "Akimov et al., PRL 129, 081801 (NSI)")
    return StepOutput((figure,), tuple(results))


# --- 6: charge radii and magnetic moments ---------------------------------------------------------
def _run_em(lks: Lks, fast: bool) -> StepOutput:
    lk = lks().csi
    n = 101 if fast else 401
    r2 = {f: exact_profile(lk, f"r2_nu_{f}", np.linspace(-120.0, 80.0, n)) for f in ("e", "mu")}
    mu = {f: exact_profile(lk, f"mu_nu_{f}", np.linspace(0.0, 5e-9, n)) for f in ("e", "mu")}
    profiles = {f"⟨r²_ν{f}⟩": p for f, p in r2.items()}
    figure = _plot_profiles("csi21_6_charge_radii", "Δχ² of the neutrino charge radii",
                            "Δχ² of ⟨r²_νe⟩ and ⟨r²_νμ⟩ (10⁻³² cm²) from CsI 2021, one at a time (the other zero), "
                            "tree couplings: the radius shifts g_V^p (Barranco, Miranda, Rashba, JHEP 12 (2005) 021).",
                            profiles, "r2_nu", "⟨r²_ν⟩ (10⁻³² cm²)")
    note = "no confirmed published CsI 2021 number was found (arXiv:2205.09484 not read)"
    results: list[Result] = []
    for f, p in r2.items():
        for level in ("1sigma", "90%"):
            results.append(Result(f"⟨r²_ν{f}⟩ allowed, {level}", "1e-32 cm²", _interval(p, level), None, "—", note))
    for f, p in mu.items():
        results.append(Result(f"μ_ν{f} upper limit, 90%", "μ_B", _interval(p, "90%")[-1][1], None, "—",
                              note + "; two-sided Δχ² = 2.71 crossing of a profile starting at 0"))
    return StepOutput((figure,), tuple(results))


# --- 7: Feldman–Cousins vs Wilks ------------------------------------------------------------------
def _run_fc(lks: Lks, fast: bool) -> StepOutput:
    lk = lks().csi
    grid = np.linspace(0.12, 0.32, 21)
    check = an.fc_check(lk, "sin2_theta_w", grid, 0.21, 2 if fast else 3, 50 if fast else 200)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for level, wilks in an.LEVELS_1D.items():
        ax.plot(check.points, check.critical[level], "o-", label=f"FC critical value, {level}")
        ax.axhline(wilks, color="grey", ls=":")
    ax.set_xlabel("sin²θ_W (true)")
    ax.set_ylabel("critical Δχ²")
    ax.legend(fontsize=8)
    n_toys = check.t.shape[1]
    columns: dict[str, list[Any]] = {"sin2_theta_w": check.points.tolist()}
    for level in an.LEVELS_1D:
        columns[f"critical_{level}"] = check.critical[level].tolist()
        columns[f"wilks_coverage_{level}"] = check.coverage[level].tolist()
    fixed_frame(fig, 0.092, 0.113, 0.993, 0.990)  # constrained layout's frame, without its pass
    figure = Figure("csi21_7_fc", "Feldman–Cousins critical values of Δχ² for sin²θ_W",
                    f"{n_toys} pseudo-experiments per point (profile construction: Poisson data at the nuisances profiled on the "
                    "data, constraint centres drawn around them), "
                    "t = χ²(θ) − min over 0.12-0.32; dotted: Wilks' 1.00 and 2.71.", fig, columns,
                    "Denton & Gehrlein, JHEP 04 (2021) 266, arXiv:2008.06062 (method, 2017 data)")
    note = ("no published FC study of the 2021 data; Denton & Gehrlein (JHEP 04 (2021) 266, arXiv:2008.06062) found "
            f"Wilks violated for the 2017 data; {n_toys} toys per point")
    results = tuple(
        Result(f"FC {what} {level}, sin²θ_W = {x:.3f}", "", float(v[level][i]), None, "—", note)
        for i, x in enumerate(check.points) for level in an.LEVELS_1D
        for what, v in (("critical Δχ²", check.critical), ("coverage of Wilks", check.coverage))
    )
    return StepOutput((figure,), results)


INPUTS = (
    Input("data", "COHERENT CsI[Na] data release: beam-on coincidence / anti-coincidence events, BRN and NIN PE and time "
          "shapes, efficiency and quenching coefficients", "arXiv:2110.07730 ancillary files (--data-release csi-2021=DIR)"),
    Input("binning", "9 PE × 11 arrival-time bins, PE < 60, 0 ≤ t_rec < 6 µs", "cevns.releases.csi_2021"),
    Input("BRN / NIN", "18.4 ± 25% and 5.6 ± 36% events", "cevns.releases.csi_2021 (CSI_2021_BRN_COUNTS, ...)"),
    Input("flux normalisation", "10%", "cevns.releases.csi_2021 (CSI_2021_FLUX_UNCERTAINTY)"),
    Input("LAr member", "CENNS-10 Analysis A release, shared 10% SNS flux", "shipped combination coherent-sns"),
)

ASSUMPTIONS = (
    "The steady state is a template: the anti-coincidence events' PE spectrum times the selection's time shape, "
    "normalised with a 1/√N_AC uncertainty (cevns.releases.csi_2021, steady_state='template').",
    "Arrival-time origin and the BRN/NIN time shapes as in cevns.releases.csi_2021 (the release's own shapes; the "
    "prompt/delayed neutrino arrival from cevns.sources.timing).",
    "BRN and NIN normalisations are not printed in the PRL; the values of cevns.releases.csi_2021 (medium confidence) "
    "are used.",
    "Tree-level couplings with sin²θ_W = 0.23857 (the experiment file), no flavour-dependent radiative corrections.",
    "Wilks' theorem for all intervals except step 7, which tests it.",
)


def steps(release_dirs: Mapping[str, str | Path]) -> tuple[Step, ...]:
    """The seven steps; the likelihoods are built on first use and shared."""
    csi, lar = str(release_dirs["csi-2021"]), str(release_dirs["lar-2020-analysisA"])

    def lks() -> an.Likelihoods:
        return an.likelihoods(csi, lar)

    def bind(run: Callable[[Lks, bool], StepOutput]) -> Callable[[bool], StepOutput]:
        return lambda fast: run(lks, fast)

    return (
        Step("spectra", "Data − steady state vs the best fit, PE and time", bind(_run_spectra)),
        Step("counts", "CEvNS count and flux-averaged cross section", bind(_run_counts)),
        Step("sin2w", "sin²θ_W from CsI 2021 and coherent-sns", bind(_run_sin2w)),
        Step("rn", "Neutron radius of CsI and the nuclear-structure suppression", bind(_run_rn)),
        Step("nsi", "NSI (ε^uV, ε^dV) for ee and μμ", bind(_run_nsi)),
        Step("em", "Neutrino charge radii and magnetic moments", bind(_run_em)),
        Step("fc", "Feldman–Cousins vs Wilks for sin²θ_W", bind(_run_fc)),
    )


def reproduction(release_dirs: Mapping[str, str | Path] | None = None) -> Reproduction:
    """The reproduction, reading the releases in ``release_dirs`` (name → folder; both of
    :data:`RELEASES` are needed)."""
    dirs = dict(release_dirs or {})
    missing = [name for name in RELEASES if name not in dirs]
    if missing:
        raise KeyError(f"coherent-csi-2021 needs the data releases {', '.join(missing)}")
    return Reproduction(
        name="coherent-csi-2021",
        title="COHERENT CsI[Na] full data set: counts, cross section, sin²θ_W, neutron radius, NSI, EM properties",
        reference="D. Akimov et al. (COHERENT), PRL 129, 081801 (2022), arXiv:2110.07730; M. Atzori Corona et al., "
        "EPJC 83, 683 (2023), arXiv:2303.09360",
        description="The CsI 2021 release fitted bin by bin (PE × arrival time) with every model the package has, alone "
        "and jointly with CENNS-10 (coherent-sns), next to the numbers COHERENT and Atzori Corona et al. print.",
        steps=steps(dirs),
        inputs=INPUTS,
        assumptions=ASSUMPTIONS,
    )


__all__ = ["ASSUMPTIONS", "INPUTS", "RELEASES", "reproduction", "steps"]
