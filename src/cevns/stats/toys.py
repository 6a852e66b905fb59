"""Pseudo-experiments: coverage of Wilks thresholds and Feldman–Cousins critical Δχ².

For a true parameter point θ₀, each pseudo-experiment draws data from the model at θ₀ and
computes the likelihood-ratio statistic t = χ²(θ₀) − min_θ χ²(θ) (G. J. Feldman,
R. D. Cousins, Phys. Rev. D 57, 3873 (1998), arXiv:physics/9711021, Sec. IV.B: the
ordering by likelihood ratio; their critical value is the quantile of t over the
pseudo-experiments, which replaces the Wilks threshold where the asymptotic χ²
distribution fails — near a physical boundary, with few events, or with degenerate minima
as in NSI). The fraction of pseudo-experiments with t below a Wilks threshold is the
coverage of the interval that threshold would give.

How data are drawn (one bin or many, with the experiment's backgrounds): the beam-on
count is Poisson with mean (1+α)S + (1+β)B_on + B_ss, with the normalisation pulls α, β
drawn from their Gaussian constraints (randomising the auxiliary measurements, which for
Gaussian constraints is the same ensemble as fixing the nuisances and moving the
constraint centres); for the pull χ² (residual data, Papoulias & Kosmas Eq. 6) the
steady-state background is subtracted with an independent Poisson draw of its own
measurement (as in the COHERENT beam-on minus anticoincidence residual); for the Poisson
statistic the expected B_ss is subtracted, since that statistic adds it back.

Any other likelihood (a data release's template likelihood, a joint fit of several
experiments) draws its pseudo-data by the profile construction of
:func:`cevns.stats.feldman_cousins.pseudo_data_sampler` (nuisances at their values profiled
on the real data at θ₀, the constraint centres of the pseudo-experiment's fit drawn around
them, measured samples drawn): the same ensemble the Feldman–Cousins intervals of that
likelihood use.

Chunks of pseudo-experiments are seeded by ``numpy.random.SeedSequence([seed, chunk])``,
so results do not depend on how chunks are distributed over workers, and a resumed study
equals an uninterrupted one.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import numpy as np

from cevns.errors import InputError
from cevns.runtime.parallel import run_chunks
from cevns.runtime.resources import check_memory, grid_bytes
from cevns.stats.fits import ExperimentLikelihood, Measurement, _bounds, asimov, chi2_from_signal, fit
from cevns.stats.likelihood import Likelihood, Values
from cevns.stats.scans import PolynomialSignal, polynomial_signal
from cevns.stats.chi2 import delta_chi2_threshold


@dataclass(frozen=True)
class PolynomialLikelihood:
    """χ² of a measurement against a :class:`~cevns.stats.scans.PolynomialSignal`: the fast
    stand-in of an :class:`~cevns.stats.fits.ExperimentLikelihood` for parameters that enter
    polynomially, and a :class:`cevns.stats.likelihood.Likelihood` itself.

    The polynomial knows only its own parameters (``signal_model.names``) and has no model
    of its own to fall back on: every point must give each of them (in ``values`` or
    ``fixed``) and nothing else."""

    signal_model: PolynomialSignal
    measurement: Measurement
    fixed: Values = field(default_factory=dict)

    def _point(self, values: Values | None) -> np.ndarray:
        merged = {**self.fixed, **(values or {})}
        names = self.signal_model.names
        unknown = sorted(set(merged) - set(names))
        missing = [n for n in names if n not in merged]
        if unknown or missing:
            raise InputError(
                f"the polynomial signal depends on {', '.join(names)} only"
                + (f"; {', '.join(unknown)} cannot be set" if unknown else "")
                + (f"; give {', '.join(missing)}" if missing else "")
            )
        return np.array([[float(merged[n]) for n in names]])

    def signal(self, values: Values | None = None) -> np.ndarray:
        """Expected signal per data bin at ``values`` (from the polynomial)."""
        return np.asarray(self.signal_model(self._point(values))[0], dtype=float)

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        return chi2_from_signal(self.measurement, signal)

    def chi2(self, values: Values | None = None) -> float:
        return float(self.chi2_from_signal(self.signal(values)))

    def with_fixed(self, values: Values) -> PolynomialLikelihood:
        return replace(self, fixed={**self.fixed, **values})

    def asimov(self, values: Values | None = None) -> PolynomialLikelihood:
        return replace(self, measurement=asimov(self.measurement, self.signal(values)))


def pseudo_data(measurement: Measurement, signal: np.ndarray, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` pseudo-data sets (n, bins) for expected ``signal`` (bins,) — see the module
    docstring for what is drawn."""
    m = measurement
    s = np.asarray(signal, dtype=float)
    alpha = rng.normal(0.0, 1.0, size=(n, 1)) * m.sigma_signal
    beta = rng.normal(0.0, 1.0, size=(n, 1)) * m.sigma_background
    mean = np.clip((1 + alpha) * s + (1 + beta) * m.background, 0.0, None) + m.steady_state
    on = rng.poisson(mean).astype(float)
    if m.statistic == "pull-chi2":
        return on - rng.poisson(np.broadcast_to(m.steady_state, on.shape)).astype(float)
    return on - m.steady_state


@dataclass(frozen=True)
class ToyStudy:
    """Everything a chunk of pseudo-experiments needs: the likelihood of the experiment
    (its measurement supplies backgrounds and uncertainties), the ``truth`` (values of
    the ``free`` parameters that generate the data), start values of the fit, the seed,
    and an optional polynomial signal for speed. For an
    :class:`~cevns.stats.fits.ExperimentLikelihood` pseudo-data are drawn from its
    :class:`~cevns.config.measurement.Measurement` (backgrounds and uncertainties); any other
    likelihood uses the profile construction (module docstring)."""

    likelihood: Likelihood
    truth: dict[str, float]
    seed: int
    fast: PolynomialSignal | None = None

    def _likelihood_for(self, data: np.ndarray) -> Likelihood:
        if not isinstance(self.likelihood, ExperimentLikelihood):
            raise TypeError("pseudo-data arrays are drawn for experiment likelihoods only")
        measurement = replace(self.likelihood.measurement, observed=data, label="pseudo-data")
        if self.fast is not None:
            return PolynomialLikelihood(self.fast, measurement)
        return ExperimentLikelihood(self.likelihood.predictor, measurement, self.likelihood.fixed)

    def __call__(self, chunk: int, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Pseudo-experiments of chunk number ``chunk`` → (t (size,), best fits (size, k))."""
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, chunk]))
        signal = self.likelihood.signal(self.truth)
        if isinstance(self.likelihood, ExperimentLikelihood):
            data = pseudo_data(self.likelihood.measurement, signal, rng, size)
            toys: Sequence[Likelihood] = [self._likelihood_for(d) for d in data]
        else:
            from cevns.stats.feldman_cousins import pseudo_data_sampler  # lazy: it imports this module

            toys = pseudo_data_sampler(self.likelihood, signal)(rng, size)
        t = np.empty(size)
        best = np.empty((size, len(self.truth)))
        for i, lk in enumerate(toys):
            result = fit(lk, self.truth)
            chi2_truth = lk.chi2(self.truth)
            t[i] = max(chi2_truth - result.chi2_min, 0.0)
            best[i] = [result.values[n] for n in self.truth]
        return t, best


def toy_study(likelihood: Likelihood, truth: Mapping[str, float], seed: int = 0, fast: bool = True) -> ToyStudy:
    """Set up pseudo-experiments at ``truth`` (the free parameters and their true values;
    other parameters are the likelihood's fixed ones). With ``fast`` (experiment likelihoods),
    the signal is replaced by its exact polynomial form when there is one (checked; see
    :func:`cevns.stats.scans.polynomial_signal`), probed over truth ± 5 HESSE errors of an
    Asimov fit."""
    truth = {k: float(v) for k, v in truth.items()}
    if not truth:
        raise InputError("give at least one free parameter for the pseudo-experiments")
    poly = None
    if fast and isinstance(likelihood, ExperimentLikelihood):
        errors = fit(likelihood.asimov(truth), truth).errors
        ranges = {}
        for name, x in truth.items():
            w = 5.0 * (errors[name] or 1e-3 * max(1.0, abs(x)))
            lo, hi = _bounds(name)
            a, b = x - w, x + w
            if lo is not None and a < lo:
                a, b = lo, lo + 2 * w
            if hi is not None and b > hi:
                a, b = max(hi - 2 * w, lo if lo is not None else -np.inf), hi
            ranges[name] = (a, b)
        poly = polynomial_signal(likelihood, ranges)
    return ToyStudy(likelihood, truth, int(seed), poly)


@dataclass(frozen=True)
class ToyResult:
    """``statistic`` t per pseudo-experiment (NaN where not done), ``best`` fits, ``done``."""

    names: tuple[str, ...]
    statistic: np.ndarray
    best: np.ndarray
    done: np.ndarray

    def critical_values(self, levels: Mapping[str, float]) -> dict[str, float]:
        """Feldman–Cousins critical Δχ²: the ``level`` quantile of t."""
        t = self.statistic[self.done]
        return {label: float(np.quantile(t, cl)) for label, cl in levels.items()}

    def coverage(self, levels: Mapping[str, float]) -> dict[str, float]:
        """Fraction of pseudo-experiments with t ≤ the Wilks threshold of each level
        (dof = number of free parameters)."""
        t = self.statistic[self.done]
        dof = len(self.names)
        return {label: float(np.mean(t <= delta_chi2_threshold(cl, dof))) for label, cl in levels.items()}


def empty_toys(names: tuple[str, ...], n: int) -> ToyResult:
    """A study of ``n`` pseudo-experiments with nothing done yet; an
    :class:`~cevns.errors.InputError` for n < 1, and
    :class:`~cevns.runtime.resources.MemoryLimitError` (one line with the estimate) for
    arrays beyond the memory limit, before they are allocated."""
    if n < 1:
        raise InputError(f"the number of pseudo-experiments must be ≥ 1, got {n}")
    # statistic, best (one column per name), done, the indices still to do, a sorted copy for the quantiles
    check_memory(f"{n:.3g} pseudo-experiments", grid_bytes(n, 3.25 + len(names)), "run fewer pseudo-experiments (--n)")
    return ToyResult(tuple(names), np.full(n, np.nan), np.full((n, len(names)), np.nan), np.zeros(n, dtype=bool))


def run_toys(
    study: ToyStudy,
    state: ToyResult,
    chunk: int = 100,
    on_chunk: Callable[[ToyResult, int], None] | None = None,
    executor: Executor | None = None,
    on_part: Callable[[np.ndarray, dict[str, np.ndarray]], None] | None = None,
) -> ToyResult:
    """Run the pseudo-experiments of ``state`` not yet done, ``chunk`` per task (chunk k
    is always pseudo-experiments [k·chunk, (k+1)·chunk) with its own seed, so a resumed or
    parallel study equals a serial one). Arrays of ``state`` are filled in place.

    After each finished chunk, in the calling process: ``on_part(indices, {"statistic": t,
    "best": best})`` with only that chunk's results (what a
    :class:`~cevns.runtime.stores.ChunkStore` appends), then ``on_chunk(state, n_new)``."""
    if chunk < 1:
        raise InputError("chunk must be ≥ 1")
    n = state.done.size
    todo = [k for k in range((n + chunk - 1) // chunk) if not state.done[k * chunk : (k + 1) * chunk].all()]

    def store(args: tuple[int, int], result: tuple[np.ndarray, np.ndarray]) -> None:
        part = slice(args[0] * chunk, args[0] * chunk + args[1])
        state.statistic[part], state.best[part] = result
        state.done[part] = True
        if on_part:
            on_part(np.arange(part.start, part.stop), {"statistic": state.statistic[part], "best": state.best[part]})
        if on_chunk:
            on_chunk(state, args[1])

    run_chunks(study, [(k, min((k + 1) * chunk, n) - k * chunk) for k in todo], store, executor)
    return state


__all__ = ["PolynomialLikelihood", "ToyResult", "ToyStudy", "empty_toys", "pseudo_data", "run_toys", "toy_study"]
