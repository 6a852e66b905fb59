"""A step of ``cevns reproduce neutrino-fog``: the XENONnT spin-independent WIMP limit
(3–12 GeV) recomputed through the ⁸B CEvNS data release, next to the release's own curve
(:mod:`cevns.releases.xenonnt_wimp`; E. Aprile et al. (XENON), arXiv:2409.17868, SR0 + SR1).

The step needs the release: it is added only when the folder given to
:func:`xenonnt_limit_step` (``cevns reproduce neutrino-fog --data-release xenonnt-8b=DIR``),
else ``$CEVNS_RELEASE_DATA/xenonnt-8b``, holds it, so that the fog reproduction itself needs
no data release (an optional release, :func:`cevns.reproduce.optional_releases`); without
it :func:`skipped_reason` says why the step is left out, and the report says so.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from cevns.plotting import decade_ticks, pyplot as _pyplot
from cevns.reproduce.common import Result
from cevns.reproduce.report import Figure, Step, StepOutput, fixed_frame, long_columns

RELEASE = "xenonnt-8b"


def _release_folder(folder: str | Path | None) -> Path | None:
    """The release folder: ``folder``, else ``$CEVNS_RELEASE_DATA/xenonnt-8b``; None when
    it does not hold the release's SI limit file."""
    from cevns.releases.combinations import RELEASE_DATA_ENV
    from cevns.releases.xenonnt_wimp import LIMIT_FILE

    if folder is None:
        env = os.environ.get(RELEASE_DATA_ENV)
        if not env:
            return None
        folder = Path(env).expanduser() / RELEASE
    path = Path(folder).expanduser()
    return path if (path / LIMIT_FILE).is_file() else None


def skipped_reason(folder: str | Path | None = None) -> str | None:
    """Why :func:`xenonnt_limit_step` (``folder``) gives no step, one sentence; None when it
    gives one."""
    from cevns.releases.combinations import RELEASE_DATA_ENV
    from cevns.releases.xenonnt_wimp import LIMIT_FILE

    if _release_folder(folder) is not None:
        return None
    how = f"--data-release {RELEASE}=DIR or {RELEASE_DATA_ENV}=DIR holding {RELEASE}/"
    if folder is None and not os.environ.get(RELEASE_DATA_ENV):
        return f"the data release {RELEASE} was not given ({how})"
    where = Path(folder).expanduser() if folder is not None else Path(os.environ[RELEASE_DATA_ENV]).expanduser() / RELEASE
    return f"{where} does not hold the data release {RELEASE} (no {LIMIT_FILE}; give {how})"


#: The title of the step (also in the note of a report without it).
TITLE = "The XENONnT SI WIMP limit through the 8B release"


def _run(folder: Path, fast: bool) -> StepOutput:
    from cevns.releases.xenonnt_wimp import LIMIT_RUNS, comparison_table, read_release_limits, xenonnt_si_limits

    release = read_release_limits(folder)
    masses = [r["mass"] for r in release]
    if fast:
        masses = masses[::3]
    limits = xenonnt_si_limits(folder, masses, runs=LIMIT_RUNS)
    table = comparison_table(limits, release)
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    fixed_frame(fig, 0.117, 0.117, 0.99, 0.988)  # constrained layout's frame, without its pass
    rm = np.array([r["mass"] for r in release])
    ax.fill_between(rm, [r["sensitivity_-1"] for r in release], [r["sensitivity_1"] for r in release], color="0.85",
                    label="release ±1σ")
    ax.plot(rm, [r["sensitivity_0"] for r in release], "k--", label="release median")
    ax.plot(rm, [r["upper_limit"] for r in release], "k-", label="release observed")
    m = np.array([lim.mass_gev for lim in limits])
    ax.plot(m, [lim.median for lim in limits], "C0--o", label="ours: median (Asimov)")
    ax.plot(m, [lim.observed for lim in limits], "C1-o", label="ours: observed")
    ax.plot(m, [lim.power_constrained(0) for lim in limits], "C2:s", label="ours: observed, PCL at median")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("WIMP mass [GeV]")
    ax.set_ylabel("σ_SI (WIMP-nucleon) [cm²], 90% CL")
    ax.legend(fontsize=8)
    decade_ticks(ax)
    series = {
        "release median": (rm, np.array([r["sensitivity_0"] for r in release])),
        "release observed": (rm, np.array([r["upper_limit"] for r in release])),
        "ours median": (m, np.array([lim.median for lim in limits])),
        "ours observed": (m, np.array([lim.observed for lim in limits])),
        "ours observed PCL median": (m, np.array([lim.power_constrained(0) for lim in limits])),
    }
    figure = Figure("fig_xenonnt_wimp_si", "XENONnT SI WIMP limit through the 8B release",
                    "90% CL SI WIMP-nucleon limits from the XENONnT 8B release (SR0+SR1): the release's curve and "
                    "ours (asymptotic profile likelihood, q~_mu of Cowan et al. 2011; 8B+hep CEvNS a background "
                    "constrained to B16-GS98 +-12%).", fig, long_columns(series, "mass_GeV", "sigma_cm2"),
                    "XENON, arXiv:2409.17868 (release file limits/sr2/xenonnt_2026_wimp_si.csv)")
    results = []
    for row in table:
        results.append(Result(f"XENONnT SI limit, median, {row['mass_gev']:g} GeV", "cm²", row["median"],
                              row["release_median"], "release limits/sr2/xenonnt_2026_wimp_si.csv (sensitivity_0)",
                              "asymptotic Asimov median (Cowan et al. 2011, Eq. 89)"))
        pcl = row["ratio_pcl_median"] * row["release_observed"]
        results.append(Result(f"XENONnT SI limit, observed, {row['mass_gev']:g} GeV", "cm²", pcl,
                              row["release_observed"], "release limits/sr2/xenonnt_2026_wimp_si.csv (upper_limit)",
                              f"held at the median sensitivity; unconstrained {row['observed']:.3g} cm² (Cowan et al. "
                              f"Eq. 67), {row['observed_threshold']:.3g} cm² (q~_mu = 1.28^2)"))
    return StepOutput((figure,), tuple(results))


def xenonnt_limit_step(folder: str | Path | None = None) -> Step | None:
    """The step (key ``xenonnt-limit``), or None when the release is not at hand
    (:func:`_release_folder`)."""
    path = _release_folder(folder)
    if path is None:
        return None
    return Step("xenonnt-limit", TITLE, lambda fast: _run(path, fast))


__all__ = ["TITLE", "skipped_reason", "xenonnt_limit_step"]
