"""Figures for predictions (matplotlib, non-interactive backend).

Functions return a ``matplotlib.figure.Figure``; saving is the caller's business.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from cevns.rates.prediction import BinnedCounts

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
    """Panels: dR/dT (counts/keVnr) per flavour vs recoil, and the expected counts per
    analysis bin in the observable; when the experiment bins arrival times, the counts per
    observable bin are summed over the time bins and a third panel shows the counts per
    time bin (µs), summed over the observable bins."""
    plt = pyplot()

    timed = counts.time_edges_s is not None
    fig, axes = plt.subplots(1, 3 if timed else 2, figsize=(15 if timed else 10, 4), constrained_layout=True)
    ax_rec, ax_obs = axes[0], axes[1]
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

    # per isotope: (n_bins, ...) with the time bins (if any) last
    by_isotope = dict(zip(counts.isotopes, counts.counts.sum(axis=1)))
    edges = counts.edges
    ax_obs.stairs(counts.per_energy_bin, edges, color="k", lw=2, label=f"total {counts.total:.1f}")
    for name, cells in by_isotope.items():
        row = cells.reshape(cells.shape[0], -1).sum(axis=1)
        if row.sum() > 0.01 * counts.total:
            ax_obs.stairs(row, edges, label=f"{name} {row.sum():.1f}")
    ax_obs.set_xlabel(f"observable [{counts.observable}]")
    ax_obs.set_ylabel("expected counts per bin")
    ax_obs.legend(frameon=False)
    ax_obs.set_title("expected counts in the analysis bins" + (", all times" if timed else ""))
    if counts.time_edges_s is not None:
        ax_time = axes[2]
        time_edges_us = np.asarray(counts.time_edges_s) / 1e-6
        ax_time.stairs(counts.per_time_bin, time_edges_us, color="k", lw=2, label=f"total {counts.total:.1f}")
        for name, cells in by_isotope.items():
            row = cells.reshape(-1, cells.shape[-1]).sum(axis=0)
            if row.sum() > 0.01 * counts.total:
                ax_time.stairs(row, time_edges_us, label=f"{name} {row.sum():.1f}")
        ax_time.set_xlabel("arrival time [µs]")
        ax_time.set_ylabel("expected counts per bin")
        ax_time.legend(frameon=False)
        ax_time.set_title("expected counts per time bin, all observable bins")
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
    from cevns.physics.parameters import parameter

    unit = parameter(name).unit
    return f"{name} [{unit}]" if unit else name


def profile_figure(name: str, grid: np.ndarray, delta_chi2: np.ndarray, levels: Mapping[str, float], title: str = ""):
    """Δχ² profile of one parameter with horizontal lines at the CL thresholds
    (``levels``: label → Δχ² value)."""
    plt = pyplot()
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
    plt = pyplot()
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


def data_vs_prediction_figure(
    axes: Sequence[tuple[str, np.ndarray, str]],
    residual: np.ndarray,
    variance: np.ndarray,
    components: Mapping[str, np.ndarray],
    title: str = "",
    data_label: str = "data",
    prediction_label: str = "prediction",
):
    """Data points with error bars against a stacked prediction, projected onto each axis of
    a binned measurement (one panel per axis: energy, time, F90, ...).

    ``axes``: (name, bin edges, unit) per axis; ``residual``, ``variance`` and every array
    of ``components`` (label → expected counts) are flattened row-major over the axes (last
    axis fastest). A projection sums the other axes; its error bar is √(Σ variance).
    Component labels ``signal:<flavour>`` are shown as "CEvNS <flavour symbol>"."""
    plt = pyplot()
    shape = tuple(np.asarray(e).size - 1 for _, e, _ in axes)
    fig, panels = plt.subplots(1, len(axes), figsize=(5.0 * len(axes), 4.2), constrained_layout=True, squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, (ax, (name, edges, unit)) in enumerate(zip(panels[0], axes)):
        edges = np.asarray(edges, dtype=float)
        other = tuple(i for i in range(len(shape)) if i != k)

        def project(a, other=other):
            return np.asarray(a, dtype=float).reshape(shape).sum(axis=other)

        base = np.zeros(shape[k])
        for j, (label, values) in enumerate(components.items()):
            top = base + project(values)
            flavor = label.split(":", 1)[1] if label.startswith("signal:") else None
            text = f"CEvNS {_FLAVOR_LABELS.get(flavor, flavor)}" if flavor else label
            ax.stairs(top, edges, baseline=base, fill=True, alpha=0.55, color=colors[j % len(colors)],
                      label=f"{text} ({project(values).sum():.1f})")
            base = top
        ax.stairs(base, edges, color="k", lw=1.2, label=f"{prediction_label} ({base.sum():.1f})")
        centres = 0.5 * (edges[:-1] + edges[1:])
        ax.errorbar(centres, project(residual), yerr=np.sqrt(np.maximum(project(variance), 0.0)), fmt="o", color="k", ms=4,
                    capsize=2, label=f"{data_label} ({np.sum(residual):.0f})")
        ax.axhline(0.0, color="0.6", lw=0.8)
        ax.set_xlabel(f"{name} [{unit}]" if unit else name)
        ax.set_ylabel("events per bin")
        ax.set_xlim(edges[0], edges[-1])
        if k == 0:
            ax.legend(frameon=False, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend (figures are only saved)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: A log axis spanning at least this many decades gets decade ticks only (see :func:`decade_ticks`).
DECADES_FOR_MAJOR_ONLY = 2.0


def decade_ticks(*axes, min_decades: float = DECADES_FOR_MAJOR_ONLY) -> None:
    """No minor ticks on the log-scaled x and y axes of ``axes`` that span at least
    ``min_decades`` decades (read from their current limits, so call it after the limits
    are set); shorter log axes and linear axes are left as they are.

    Why: matplotlib's default minor locator of a log axis puts eight ticks in every decade,
    each a tick artist with its own label that is created, laid out (twice by the
    constrained layout) and drawn; on a log–log panel spanning six decades these were most
    of the figure's drawing time (measured here: the three-panel mediator figure of
    ``coherent-overview`` 2.0 → 0.7 s CPU). The decade ticks and their labels stay, and the
    CSV beside every figure of a report carries the numbers."""
    from matplotlib.ticker import NullLocator

    for ax in axes:
        for axis, limits in ((ax.xaxis, ax.get_xlim), (ax.yaxis, ax.get_ylim)):
            if axis.get_scale() != "log":
                continue
            lo, hi = sorted(limits())
            if lo > 0 and np.log10(hi / lo) >= min_decades:
                axis.set_minor_locator(NullLocator())
