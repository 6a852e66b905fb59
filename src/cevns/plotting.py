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
