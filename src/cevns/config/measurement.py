"""Observed counts of an experiment and what else enters its likelihood, as read from
the ``[data]`` table of an experiment file; the statistics that use them are in
:mod:`cevns.stats.fits` and :mod:`cevns.stats.chi2`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from cevns.errors import InputError

@dataclass(frozen=True)
class Measurement:
    """Observed counts and what else enters the likelihood.

    ``observed`` (n,) per bin — n = 1 means one counting bin over the whole analysis
    range; ``background`` (n,) beam-related background fitted with the pull β;
    ``steady_state`` (n,) background measured off-beam and subtracted (in the pull χ² it
    enters σ²_stat = N_obs + 2 B_ss + B_on, Papoulias & Kosmas Eq. 6; in the Poisson
    likelihood it is added back to the observed and expected counts); ``sigma_signal`` and
    ``sigma_background``: fractional normalisation uncertainties; ``statistic``:
    ``pull-chi2`` or ``poisson``.
    """

    observed: np.ndarray
    background: np.ndarray
    steady_state: np.ndarray
    sigma_signal: float = 0.0
    sigma_background: float = 0.0
    statistic: Literal["pull-chi2", "poisson"] = "pull-chi2"
    label: str = ""

    def __post_init__(self) -> None:
        shapes = {np.shape(self.observed), np.shape(self.background), np.shape(self.steady_state)}
        if len(shapes) != 1 or np.ndim(self.observed) != 1:
            raise InputError("observed, background and steady-state counts must be 1-D arrays of one length")
        if self.statistic not in ("pull-chi2", "poisson"):
            raise InputError(f"unknown statistic {self.statistic!r}; use pull-chi2 or poisson")
        if not (self.sigma_signal >= 0 and self.sigma_background >= 0):
            raise InputError("normalisation uncertainties must be ≥ 0")
        if np.any(np.asarray(self.background) < 0) or np.any(np.asarray(self.steady_state) < 0):
            raise InputError("backgrounds must be ≥ 0")

    @property
    def bins(self) -> int:
        return int(np.size(self.observed))


__all__ = ["Measurement"]
