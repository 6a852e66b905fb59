"""Reactor and germanium CEvNS: Dresden-II (J. Colaresi et al., PRL 129, 211802 (2022),
arXiv:2202.09672), CONUS+ (N. Ackermann et al., Nature (2025), arXiv:2501.05206), CONUS final
(arXiv:2401.07684), TEXONO (S. Karmakar et al., arXiv:2411.18812) and COHERENT's germanium
(PRL 134, 231801 (2025), arXiv:2406.13806; arXiv:2603.17951), each as the counting likelihood
of its shipped experiment, against the published prediction and result; the fitted CEvNS
strength against the germanium quenching (Y. Li, G. Herrera, P. Huber, arXiv:2502.12308);
sin²θ_W, the ν_e magnetic moment, charge radius and millicharge from the reactors alone
(combination ``reactor-ge``) and with COHERENT and PandaX-4T (``global-counting``, "global" in
the pages: every member a counting experiment, so that the reproduction reads no data release; compare
arXiv:2501.18550, arXiv:2502.20007 and M. Atzori Corona et al., arXiv:2506.13555); the N²
scaling of the cross section across Ar, Ge, CsI and Xe from ``global-counting`` (compare J. Liao,
D. Marfatia, J. Zhang, arXiv:2408.06255).

The numbers are in :mod:`.reactor_germanium_analysis`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cevns.plotting import pyplot as _pyplot
from cevns.reproduce import reactor_germanium_analysis as an
from cevns.reproduce.common import Result, exact_chi2_along
from cevns.reproduce.report import Figure, Input, Reproduction, Step, StepOutput

if TYPE_CHECKING:
    from cevns.stats.joint import JointLikelihood

_LABELS = {
    "dresden-ii-2022": "Dresden-II", "conus-plus-2025": "CONUS+", "conus-2024": "CONUS", "texono-2024": "TEXONO",
    "coherent-ge-mini-2024": "Ge-Mini 2024", "coherent-ge-2026": "COHERENT Ge 2026",
}


def _data_sets(fast: bool) -> StepOutput:
    """Every data set: our SM count and strength fit next to the published numbers."""
    rows = [an.data_set_result(name) for name in an.DATA_SETS]
    results: list[Result] = []
    for r in rows:
        label, pub = _LABELS[r.name], r.published
        results.append(Result(f"{label}: SM CEvNS count", "events", r.predicted, pub.get("prediction"),
                              "the collaboration's SM prediction" if pub.get("prediction") is not None else "—",
                              "inputs of the experiment file (references there); gaps in tests/test_reactor_ge_data.py"))
        if pub.get("limit90") is not None:
            results.append(Result(f"{label}: 90% CL upper limit on the strength", "× SM", r.fit.limit90, pub["limit90"],
                                  "abstract / press release", "Gaussian counting bin centred at 0, Δχ² = 2.71"))
        else:
            results.append(Result(f"{label}: CEvNS strength", "× SM", r.fit.mu, pub.get("strength"),
                                  "observed / SM prediction" if pub.get("strength") is not None else "—",
                                  f"1σ [{r.fit.low:.2f}, {r.fit.high:.2f}]"))
            results.append(Result(f"{label}: significance against no CEvNS", "σ", r.fit.z, pub.get("z"),
                                  "abstract" if pub.get("z") is not None else "—",
                                  "one counting bin (no energy or timing shapes)"))
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    y = np.arange(len(rows))
    for i, r in enumerate(rows):
        if r.published.get("limit90") is not None:
            ax.errorbar([r.fit.limit90 / 2], [i], xerr=[[r.fit.limit90 / 2], [r.fit.limit90 / 2]], fmt="none", color="C1")
            ax.plot([r.fit.limit90], [i], "<", color="C1")
        else:
            ax.errorbar([r.fit.mu], [i], xerr=[[r.fit.mu - r.fit.low], [r.fit.high - r.fit.mu]], fmt="o", color="C0")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_yticks(y, [_LABELS[r.name] for r in rows])
    ax.set_xlabel("CEvNS strength (observed / this project's SM prediction)")
    figure = Figure("strengths", "CEvNS strength of the germanium data sets",
                    "Best fit and 1σ (points) or the 90% CL upper limit (bars) of each counting likelihood.", fig,
                    {"data_set": [r.name for r in rows], "predicted": [r.predicted for r in rows],
                     "mu": [r.fit.mu for r in rows], "low": [r.fit.low for r in rows], "high": [r.fit.high for r in rows],
                     "limit90": [r.fit.limit90 for r in rows], "z": [r.fit.z for r in rows]})
    return StepOutput((figure,), tuple(results))


def _quenching(fast: bool) -> StepOutput:
    """Strength of each reactor data set with its quenching replaced by Lindhard k over a grid
    and by each named germanium model (observed counts kept)."""
    # 7 steps of 0.02 (5 with fast): the strength is smooth and monotone in k, the numbers
    # reported are its ends; each k costs the prediction of every data set
    ks = np.linspace(0.12, 0.24, 5 if fast else 7)
    names = ("dresden-ii-2022", "conus-plus-2025", "conus-2024", "texono-2024")
    table = {n: an.quenching_scan(n, [float(k) for k in ks]) for n in names}
    results = []
    for n in names:
        mus = [r.fit.mu if r.fit.mu > 0 else r.fit.limit90 for r in table[n]]
        kind = "best fit" if table[n][0].fit.mu > 0 else "90% CL limit"
        results.append(Result(f"{_LABELS[n]}: strength ({kind}) at k = {ks[0]:.2f} / {ks[-1]:.2f}", "× SM",
                              (float(mus[0]), float(mus[-1])), None, "—",
                              "Li, Herrera & Huber (arXiv:2502.12308) fit the strength against the quenching "
                              "steepness; their numbers were not found"))
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for n in names:
        fits = [r.fit for r in table[n]]
        if fits[0].mu > 0:
            ax.plot(ks, [f.mu for f in fits], "-o", label=f"{_LABELS[n]} best fit")
            ax.fill_between(ks, [f.low for f in fits], [f.high for f in fits], alpha=0.2)
        else:
            ax.plot(ks, [f.limit90 for f in fits], "--", label=f"{_LABELS[n]} 90% CL limit")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xlabel("Lindhard k")
    ax.set_ylabel("CEvNS strength")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    cols: dict[str, list] = {"k": [float(k) for k in ks for _ in names], "data_set": [n for _ in ks for n in names]}
    cols["mu"] = [table[n][i].fit.mu for i in range(len(ks)) for n in names]
    cols["limit90"] = [table[n][i].fit.limit90 for i in range(len(ks)) for n in names]
    figure = Figure("strength_vs_quenching", "CEvNS strength against the germanium quenching",
                    "Dresden-II's encoding is relative to its SM count at k = 0.157 (ge-lindhard-theory, a stand-in "
                    "for the Fef/YBe response its PRL prefers, whose parameters could not be sourced); the others at "
                    "their own k.", fig, cols, "Li, Herrera & Huber, arXiv:2502.12308")
    named, named_results = _named_models(names)
    return StepOutput((figure, named), tuple(results) + named_results)


def _named_models(names: Sequence[str]) -> tuple[Figure, tuple[Result, ...]]:
    """Strength of each data set under each named germanium model (observed counts kept)."""
    models = an.GE_QUENCHING_MODELS
    table = {n: an.named_model_scan(n, models) for n in names}
    results = []
    for n in names:
        fits = [r.fit for r in table[n]]
        best = fits[0].mu > 0
        results.append(Result(
            f"{_LABELS[n]}: strength {'best fit' if best else '90% CL limit'} under {' / '.join(models)}", "× SM",
            tuple(float(f.mu if best else f.limit90) for f in fits), None, "—",
            "the file's observed counts against the prediction of each named model at its central parameter "
            "(cevns.detector.quenching_models); Fef/YBe (Collar et al., PRD 103, 122003 (2021)) not shipped"))
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    x = np.arange(len(models))
    for j, n in enumerate(names):
        fits = [r.fit for r in table[n]]
        dx = 0.08 * (j - (len(names) - 1) / 2)
        if fits[0].mu > 0:
            ax.errorbar(x + dx, [f.mu for f in fits], yerr=[[f.mu - f.low for f in fits], [f.high - f.mu for f in fits]],
                        fmt="o", label=f"{_LABELS[n]} best fit")
        else:
            ax.plot(x + dx, [f.limit90 for f in fits], "v", label=f"{_LABELS[n]} 90% CL limit")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(x, list(models))
    ax.set_ylabel("CEvNS strength")
    ax.set_yscale("log")
    ax.legend(fontsize=7)
    cols: dict[str, list] = {"model": [m for m in models for _ in names], "data_set": [n for _ in models for n in names]}
    cols["predicted"] = [table[n][i].predicted for i in range(len(models)) for n in names]
    cols["mu"] = [table[n][i].fit.mu for i in range(len(models)) for n in names]
    cols["low"] = [table[n][i].fit.low for i in range(len(models)) for n in names]
    cols["high"] = [table[n][i].fit.high for i in range(len(models)) for n in names]
    cols["limit90"] = [table[n][i].fit.limit90 for i in range(len(models)) for n in names]
    figure = Figure("strength_vs_quenching_model", "CEvNS strength under the named germanium quenching models",
                    "Each reactor data set's observed counts against its prediction with ge-lindhard-theory (k = 0.157), "
                    "ge-conus-2022 (k = 0.162, Bonhomme et al. EPJC 82, 815 (2022)) and ge-scholz-2016 (k = 0.179 with "
                    "the adiabatic correction, Scholz et al. PRD 94, 122003 (2016)). The Fef/YBe model Dresden-II "
                    "prefers (Collar, Kavner, Lewis, PRD 103, 122003 (2021)) is not shipped: its parameters could not "
                    "be sourced.", fig, cols, "Li, Herrera & Huber, arXiv:2502.12308")
    return figure, tuple(results)


#: Parameter, unit, grid (fast, full) of the electroweak/electromagnetic fits.
_PARAMETERS: dict[str, tuple[str, tuple[float, float]]] = {
    "sin2_theta_w": ("", (0.10, 0.40)),
    "mu_nu_e": ("μ_B", (0.0, 2e-9)),
    "r2_nu_e": ("1e-32 cm²", (-20.0, 20.0)),
    "q_nu_e": ("e", (-3e-8, 3e-8)),
}


@cache
def _joint(name: str) -> JointLikelihood:
    """The joint likelihood of the shipped combination ``name`` (no release folder needed),
    loaded once per run and shared by the steps ``physics`` and ``n-squared``."""
    from cevns.releases.combinations import load_combination

    return load_combination(name).likelihood


def _interval(grid: np.ndarray, dchi2: np.ndarray, level: float) -> tuple[float, float]:
    inside = grid[dchi2 <= level]
    return (float(inside.min()), float(inside.max())) if inside.size else (float("nan"), float("nan"))


def _physics(fast: bool) -> StepOutput:
    joints = {"reactors (reactor-ge)": _joint("reactor-ge"), "global": _joint("global-counting")}
    results, curves = [], {}
    for name, (unit, (lo, hi)) in _PARAMETERS.items():
        grid = np.linspace(lo, hi, 21 if fast else 61)
        for label, joint in joints.items():
            c = exact_chi2_along(joint, name, grid)  # a quadratic from 5 predictions, one batched profile
            d = c - c.min()
            curves[(name, label)] = (grid, d)
            results.append(Result(f"{name}, {label}, 90% CL (Δχ² = 2.71, grid)", unit, _interval(grid, d, an.DCHI2_90),
                                  None, "—", "arXiv:2501.18550 / 2502.20007 give these; their numbers were not found "
                                  "(reactor_facts.md). CEvNS only: ν-e scattering is not in these likelihoods"))
    g, d = curves[("sin2_theta_w", "global")]
    results.append(Result("sin²θ_W best fit, global (grid)", "", float(g[int(np.argmin(d))]), 0.271,
                          "Atzori Corona et al., arXiv:2506.13555 (Ge only: COHERENT Ge + reactors): 0.271 +0.023 −0.026",
                          "global also has CsI, Ar and Xe, and no ν-e scattering"))
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(8.0, 6.0))
    for ax, name in zip(axes.ravel(), _PARAMETERS):
        for label in joints:
            g, d = curves[(name, label)]
            ax.plot(g, d, label=label)
        ax.axhline(an.DCHI2_90, color="k", lw=0.6, ls=":")
        ax.set_ylim(0, 10)
        ax.set_xlabel(f"{name} [{_PARAMETERS[name][0]}]" if _PARAMETERS[name][0] else name)
        ax.set_ylabel("Δχ²")
    axes[0, 0].legend(fontsize=7)
    fig.subplots_adjust(hspace=0.35, wspace=0.3)  # no tight_layout pass: the report crops to the tight box
    cols: dict[str, list] = {"parameter": [], "combination": [], "value": [], "dchi2": []}
    for (name, label), (g, d) in curves.items():
        cols["parameter"] += [name] * len(g)
        cols["combination"] += [label] * len(g)
        cols["value"] += [float(x) for x in g]
        cols["dchi2"] += [float(x) for x in d]
    figure = Figure("electroweak_profiles", "sin²θ_W and ν_e electromagnetic properties",
                    "Δχ² of reactor-ge and global-counting (other parameters at their SM values, shared normalisations profiled).",
                    fig, cols, "arXiv:2501.18550; arXiv:2502.20007")
    return StepOutput((figure,), tuple(results))


#: Members of ``global-counting`` per target for the N² test and the N used to label them.
_GROUPS: dict[str, tuple[str, ...]] = {
    "Ar": ("LAr",), "Ge": ("Ge-SNS", "Dresden-II", "CONUS+", "CONUS", "TEXONO"), "CsI": ("CsI",),
    "Xe": ("PandaX-paired", "PandaX-US2"),
}
_N_OF: dict[str, float] = {"Ar": 22.0, "Ge": 40.6, "CsI": 76.0, "Xe": 77.3}


def _n_squared(fast: bool) -> StepOutput:
    joint = _joint("global-counting")
    chi2 = an.group_strength_chi2(joint, _GROUPS)
    grid = np.linspace(0.0, 3.0, 31 if fast else 61)
    results, strengths = [], {}
    for g, target in enumerate(_GROUPS):
        mus = np.ones((grid.size, len(_GROUPS)))
        mus[:, g] = grid
        c = np.asarray(chi2(mus))  # the whole grid in one batched profile
        d = c - c.min()
        best = float(grid[int(np.argmin(c))])
        lo, hi = _interval(grid, d, 1.0)
        strengths[target] = (best, lo, hi)
        results.append(Result(f"strength of {target} (others at SM)", "× SM", best, None, "—", f"1σ [{lo:.2f}, {hi:.2f}]"))
    n_of = {lab: _N_OF[t] for t, labels in _GROUPS.items() for lab in labels}
    pl = an.power_law_chi2(joint, n_of)
    alphas = np.linspace(1.6, 2.4, 33 if fast else 81)
    c = np.asarray(pl(alphas))
    d = c - c.min()
    results.append(Result("σ ∝ N^α: α", "", float(alphas[int(np.argmin(c))]), 2.0, "coherent SM: α = 2",
                          f"1σ {_interval(alphas, d, 1.0)}; Liao, Marfatia & Zhang (arXiv:2408.06255) test the same "
                          "scaling (their number not found). Na: no CEvNS measurement on sodium yet"))
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    ns = [_N_OF[t] for t in strengths]
    ax.errorbar(ns, [s[0] for s in strengths.values()],
                yerr=[[s[0] - s[1] for s in strengths.values()], [s[2] - s[0] for s in strengths.values()]], fmt="o")
    for t, n in zip(strengths, ns):
        ax.annotate(t, (n, strengths[t][0]), textcoords="offset points", xytext=(5, 5))
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xlabel("neutron number N")
    ax.set_ylabel("strength relative to the N² SM")
    figure = Figure("n_squared", "CEvNS strength per target against N",
                    "Each target's strength (the others at the SM) from the global-counting combination.", fig,
                    {"target": list(strengths), "N": ns, "mu": [s[0] for s in strengths.values()],
                     "low": [s[1] for s in strengths.values()], "high": [s[2] for s in strengths.values()]},
                    "Liao, Marfatia & Zhang, arXiv:2408.06255")
    return StepOutput((figure,), tuple(results))


def reproduction(release_dirs: Mapping[str, str | Path] | None = None) -> Reproduction:
    """The ``reactor-germanium`` reproduction (reads no data release)."""
    steps: Sequence[Step] = (
        Step("data-sets", "Each germanium data set vs its published prediction and result", _data_sets),
        Step("quenching", "CEvNS strength vs the germanium quenching (Lindhard k and the named models)", _quenching),
        Step("physics", "sin²θ_W, ν_e magnetic moment, charge radius, millicharge", _physics),
        Step("n-squared", "N² scaling across Ar, Ge, CsI, Xe", _n_squared),
    )
    inputs = (
        Input("CONUS+", "395 ± 106 observed, 347 ± 59 SM, 3.7σ; 2.83 kg, 327 kg d", "Nature (2025), arXiv:2501.05206"),
        Input("Dresden-II", "p < 1.2e-3, SM agreement (Fef QF), 60% deviations excluded; 96.4 d", "PRL 129, 211802"),
        Input("CONUS final", "< 0.34 events/kg/d (90% CL), within a factor 2 of the SM", "arXiv:2401.07684"),
        Input("TEXONO", "R < 4.7 × SM (90% CL), 242 kg d", "arXiv:2411.18812; Academia Sinica release"),
        Input("COHERENT Ge", "20.6 +7.1 −6.3 (2024); 124 +14 −12, 1.00 ± 0.10 ± 0.10 × SM (2026)",
              "arXiv:2406.13806; arXiv:2603.17951"),
    )
    assumptions = (
        "Every data set is one counting bin; no spectra were found in the stored corpus.",
        "Dresden-II uses ge-lindhard-theory (Lindhard k = 0.157) as a stand-in for the Fef/YBe response of Collar, "
        "Kavner, Lewis (PRD 103, 122003 (2021)), whose fitted parameters could not be sourced.",
        "The reactor flux (3%) and the germanium quenching enter the combinations as shared signal normalisations; the "
        "quenching ones are computed from each member's full predictions at its quenching ±1σ (exact for counting bins).",
        "Limits (CONUS, TEXONO) are Gaussian bins centred at zero strength in units of each file's SM count.",
    )
    return Reproduction(
        "reactor-germanium", "Reactor and germanium CEvNS: data sets, quenching, electroweak fits, N² scaling",
        "Colaresi et al., PRL 129, 211802 (2022); Ackermann et al., Nature (2025), arXiv:2501.05206; arXiv:2401.07684; "
        "arXiv:2411.18812; arXiv:2406.13806; arXiv:2603.17951; Li, Herrera & Huber, arXiv:2502.12308",
        __doc__.split("\n\n")[0] if __doc__ else "", tuple(steps), inputs, assumptions)


__all__ = ["reproduction"]
