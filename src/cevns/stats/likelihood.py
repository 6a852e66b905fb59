"""What every likelihood of this package is: the interface fits, profiles, scans and
pseudo-experiments use.

A likelihood here is a χ² (−2 ln L up to a constant, with its nuisance parameters
profiled) as a function of named physics parameters θ (the names of
:mod:`cevns.physics.parameters`; a likelihood has no parameter list of its own: any
named parameter can be fixed, fitted or scanned). Four classes implement it:

* :class:`cevns.stats.fits.ExperimentLikelihood` — one experiment against its measured
  counts (pull χ² or Poisson, Papoulias & Kosmas, arXiv:1711.09773, Eq. 6);
* :class:`cevns.stats.arrays.ArrayLikelihood` — detectors with correlated systematics
  (covariance χ², Galindo-Uribarri, Miranda, Sanchez Garcia, arXiv:2011.10230, Eqs. 5–6);
* :class:`cevns.stats.templates.TemplateLikelihood` — binned data with background
  templates, e.g. the COHERENT data releases (Poisson likelihood ratio with every
  background profiled);
* :class:`cevns.stats.toys.PolynomialLikelihood` — the exact polynomial stand-in of one of
  them for parameters that enter the counts polynomially.

What a consumer needs, and therefore all the protocol asks:

* :func:`cevns.stats.fits.fit` — ``chi2`` at a point;
* :func:`cevns.stats.fits.profile` and profiled scans — ``with_fixed`` (the same χ² with
  more parameters held);
* :mod:`cevns.stats.scans` — ``signal`` (expected counts per data entry at a point) and
  ``chi2_from_signal`` (the statistic of a whole batch of predictions in one vectorised
  call), which is how polynomial scans and exact one-parameter profiles go fast;
* forecasts and pseudo-experiments — ``asimov`` (the same χ² against the prediction at a
  point instead of the data) and ``fixed`` (the parameters applied at every point).

Start values and steps of a fit are the caller's (they are the physics question, not a
property of the data), so they are not part of the interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

import numpy as np

#: Named parameter values: a number, or a name for a parameter that takes one (e.g. a
#: form-factor model).
Values = Mapping[str, float | str]


@runtime_checkable
class Likelihood(Protocol):
    """χ²(θ) of named parameters θ against data (see the module docstring).

    ``chi2(values)`` is the minimum over the likelihood's nuisance parameters at the named
    ``values`` (on top of ``fixed``; names not given keep the likelihood's own model, e.g.
    the Standard Model — the polynomial stand-in, which has none, needs all of its
    parameters); it is a χ² in the Wilks sense, so Δχ² thresholds apply.
    """

    @property
    def fixed(self) -> Values:
        """Named parameters applied at every point (``values`` override them)."""
        ...

    def signal(self, values: Values | None = None) -> np.ndarray:
        """Expected counts per data entry (the last axis ``chi2_from_signal`` takes) at
        ``values``."""
        ...

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        """χ² for predicted counts of shape (..., entries), vectorised over the batch
        axes; returns the batch shape."""
        ...

    def chi2(self, values: Values | None = None) -> float:
        """χ² at the named ``values``: ``chi2_from_signal(signal(values))``."""
        ...

    def with_fixed(self, values: Values) -> Likelihood:
        """The same χ² with more parameters fixed (``values`` override ``fixed``)."""
        ...

    def asimov(self, values: Values | None = None) -> Likelihood:
        """The forecast version: the data replaced by the prediction at ``values`` (on
        top of ``fixed``), so that χ² is 0 there."""
        ...


__all__ = ["Likelihood", "Values"]
