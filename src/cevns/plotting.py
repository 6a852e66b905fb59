"""Figures for predictions (matplotlib, non-interactive backend).

Functions return a ``matplotlib.figure.Figure``; saving is the caller's business.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .rates import BinnedCounts

_FLAVOR_LABELS = {
    "nu_e": r"$\nu_e$",
    "nu_mu": r"$\nu_\mu$",
    "nu_tau": r"$\nu_\tau$",
    "nu_e_bar": r"$\bar\nu_e$",
    "nu_mu_bar": r"$\bar\nu_\mu$",
    "nu_tau_bar": r"$\bar\nu_\tau$",
}


def spectrum_figure(
    title: str,
    recoil_kev: np.ndarray,
    rates_by_flavor: Mapping[str, np.ndarray],
    counts: BinnedCounts,
):
    """Two panels: dR/dT (counts/keVnr) per flavour vs recoil, and the expected counts
    per analysis bin in the observable."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_rec, ax_obs) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    total = np.zeros_like(recoil_kev)
    for flavor, rate in rates_by_flavor.items():
        ax_rec.plot(recoil_kev, rate, label=_FLAVOR_LABELS.get(flavor, flavor))
        total = total + rate
    ax_rec.plot(recoil_kev, total, color="k", lw=2, label="total")
    ax_rec.set_xlabel("nuclear recoil energy $T$ [keVnr]")
    ax_rec.set_ylabel("d$R$/d$T$ [counts / keVnr]")
    ax_rec.set_yscale("log")
    positive = total[total > 0]
    if positive.size:
        ax_rec.set_ylim(positive.max() * 1e-4, positive.max() * 2)
    ax_rec.legend(frameon=False)
    ax_rec.set_title("recoil spectrum (before detector response)")

    edges = counts.edges
    ax_obs.stairs(counts.per_bin, edges, color="k", lw=2, label=f"total {counts.total:.1f}")
    for name, row in zip(counts.isotopes, counts.counts.sum(axis=1)):
        if row.sum() > 0.01 * counts.total:
            ax_obs.stairs(row, edges, label=f"{name} {row.sum():.1f}")
    ax_obs.set_xlabel(f"observable [{counts.observable}]")
    ax_obs.set_ylabel("expected counts per bin")
    ax_obs.legend(frameon=False)
    ax_obs.set_title("expected counts in the analysis bins")
    fig.suptitle(title)
    return fig


_PARAMETER_LABELS = {
    "sin2_theta_w": r"$\sin^2\theta_W$",
    "eps_ee_uV": r"$\varepsilon^{uV}_{ee}$",
    "eps_ee_dV": r"$\varepsilon^{dV}_{ee}$",
    "eps_mumu_uV": r"$\varepsilon^{uV}_{\mu\mu}$",
    "eps_mumu_dV": r"$\varepsilon^{dV}_{\mu\mu}$",
    "mu_nu_e": r"$\mu_{\nu_e}$ [$\mu_B$]",
    "mu_nu_mu": r"$\mu_{\nu_\mu}$ [$\mu_B$]",
    "rn": r"$R_n$ [fm]",
    "dm2_41": r"$\Delta m^2_{41}$ [eV$^2$]",
    "zprime_mass": r"$m_{Z'}$ [MeV]",
    "zprime_coupling": r"$g_{Z'}$",
}


def parameter_label(name: str) -> str:
    """Axis label with unit for a named parameter."""
    if name in _PARAMETER_LABELS:
        return _PARAMETER_LABELS[name]
    from .parameters import parameter

    unit = parameter(name).unit
    return f"{name} [{unit}]" if unit else name


def profile_figure(name: str, grid: np.ndarray, delta_chi2: np.ndarray, levels: Mapping[str, float], title: str = ""):
    """Δχ² profile of one parameter with horizontal lines at the CL thresholds
    (``levels``: label → Δχ² value)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4), constrained_layout=True)
    ax.plot(grid, delta_chi2, color="k", lw=2)
    for (label, value), style in zip(levels.items(), ("--", "-.", ":")):
        ax.axhline(value, color="tab:red", ls=style, lw=1)
        ax.text(grid[0], value, f" {label}", va="bottom", ha="left", color="tab:red", fontsize=9)
    ax.set_xlabel(parameter_label(name))
    ax.set_ylabel(r"$\Delta\chi^2$")
    ax.set_ylim(0, max(6.0, 1.2 * max(levels.values())))
    ax.set_xlim(grid[0], grid[-1])
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def region_figure(names: tuple[str, str], x: np.ndarray, y: np.ndarray, delta_chi2: np.ndarray, levels: Mapping[str, float],
                  best: tuple[float, float] | None = None, title: str = ""):
    """2-D allowed regions: filled Δχ² contours at ``levels`` (label → Δχ²) on the grid
    ``delta_chi2[i, j]`` at (x[i], y[j]), with the best-fit point."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.5), constrained_layout=True)
    values = sorted(levels.values())
    colors = ["#08519c", "#4292c6", "#c6dbef"][: len(values)]
    ax.contourf(x, y, delta_chi2.T, levels=[0.0, *values], colors=colors, alpha=0.9)
    contours = ax.contour(x, y, delta_chi2.T, levels=values, colors="k", linewidths=0.8)
    ax.clabel(contours, fmt={v: k for k, v in levels.items()}, fontsize=8)
    if best is not None:
        ax.plot(*best, marker="*", color="tab:red", ms=12, ls="none", label="best fit")
        ax.legend(frameon=False, loc="best")
    ax.set_xlabel(parameter_label(names[0]))
    ax.set_ylabel(parameter_label(names[1]))
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
