"""The built experiment: target, source, detector response, exposure and model as physics
objects, and the validated file it came from.

This module imports no pydantic (:mod:`cevns.config.schema` is imported when a spec is
asked for), so that an experiment loaded from the command line's cache
(:mod:`cevns.config.experiment_cache`) predicts without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from cevns.config.files import ExperimentError
from cevns.detector.response import DetectorResponse
from cevns.physics.cross_sections import NuclearStructure, NucleonCouplings
from cevns.physics.interactions import PhysicsModel
from cevns.physics.nuclei import Target
from cevns.rates.nodes import Quadrature
from cevns.rates.prediction import BinnedCounts, RatePredictor, TimeSelection, differential_rate, model_with_parameters, prepare_rates
from cevns.sources.spectra import NeutrinoSource

if TYPE_CHECKING:
    from cevns.config.measurement import Measurement
    from cevns.config.schema import ExperimentSpec


@dataclass(frozen=True)
class Experiment:
    """A fully built experiment: physics objects, no files.

    :attr:`spec` is the validated file. It is kept as its canonical JSON (``spec_json``) and
    parsed back on first use when the experiment was unpickled (a cache load or another
    process): an experiment is then pickled and unpickled without pydantic.
    """

    name: str
    description: str
    target: Target
    mass_kg: float
    live_time_s: float
    source: NeutrinoSource
    response: DetectorResponse
    model: PhysicsModel
    #: The validated file (:class:`~cevns.config.schema.ExperimentSpec`) as canonical JSON.
    spec_json: str = field(repr=False)
    #: Arrival-time window or bins ([detector.time]), None for no time selection.
    time: TimeSelection | None = None

    @cached_property
    def spec(self) -> ExperimentSpec:
        """The validated file (parsed from ``spec_json`` on first use after unpickling)."""
        from cevns.config.schema import ExperimentSpec  # pydantic: imported only when a spec is asked for

        return ExperimentSpec.model_validate_json(self.spec_json)

    def __getstate__(self) -> dict[str, Any]:
        # the pickled state leaves out the parsed spec: unpickling then needs no pydantic
        state = dict(self.__dict__)
        state.pop("spec", None)
        return state

    @property
    def couplings(self) -> NucleonCouplings:
        return self.model.couplings

    @property
    def structure(self) -> NuclearStructure:
        return self.model.structure

    def predictor(self, quadrature: Quadrature = Quadrature()) -> RatePredictor:
        """A :class:`~cevns.rates.prediction.RatePredictor` with everything precomputed."""
        return prepare_rates(
            self.target, self.mass_kg, self.live_time_s, self.source, self.response, quadrature=quadrature, model=self.model,
            time=self.time,
        )

    @property
    def n_bins(self) -> int:
        """Analysis bins: observable bins × time bins ([detector.time] edges_us)."""
        n_time = self.time.n_bins if self.time is not None and self.time.binned else 1
        return (len(self.response.edges) - 1) * n_time

    def binned_counts(self, parameters: Mapping[str, float | str] | None = None) -> BinnedCounts:
        """Expected counts per isotope, flavour and analysis bin at the named
        ``parameters`` (on top of the file's own ``[parameters]``)."""
        return self.predictor().binned(parameters)

    def measurement(self, forecast: bool = False) -> Measurement:
        """The ``[data]`` of the file as a :class:`~cevns.config.measurement.Measurement`. With
        ``forecast`` the observed counts may be absent (an Asimov fit replaces them; the
        binning is then the experiment's). Raises ValueError if the file has no data."""
        data = self.spec.data
        if data is None:
            if not forecast:
                raise ExperimentError(f"{self.name} has no [data] section; use an Asimov forecast (--asimov)")
            from cevns.config.schema import DataSpec

            data = DataSpec()
        n_bins = self.n_bins
        if data.observed is None:
            if not forecast:
                raise ExperimentError(f"{self.name}: [data] has no observed counts; use an Asimov forecast (--asimov)")
            n = n_bins
        else:
            n = 1 if isinstance(data.observed, float) else len(data.observed)
        if n not in (1, n_bins):
            raise ExperimentError(f"[data]: {n} observed values for {n_bins} bins: give one total or one per bin")
        from cevns.config.measurement import Measurement  # imported when used: not on the path of `cevns events`

        def per_bin(value: list[float] | float, field_name: str) -> np.ndarray:
            arr = np.atleast_1d(np.asarray(value, dtype=float))
            if arr.size not in (1, n) or (arr.size == 1 and n > 1 and arr[0] != 0.0):
                raise ExperimentError(f"[data].{field_name}: give one value per bin ({n})")
            return np.broadcast_to(arr, (n,)).copy()

        observed = per_bin(data.observed if data.observed is not None else 0.0, "observed")
        return Measurement(
            observed, per_bin(data.background, "background"), per_bin(data.steady_state_background, "steady_state_background"),
            data.signal_uncertainty, data.background_uncertainty, data.statistic, data.note or self.name,
        )

    def differential_rates(
        self, recoil_kev: np.ndarray, parameters: Mapping[str, float | str] | None = None
    ) -> dict[str, dict[str, np.ndarray]]:
        """dR/dT in counts/keVnr per isotope and flavour (before detector response)."""
        model = model_with_parameters(self.model, parameters or {}, self.target.isotopes, self.source)
        per_kg = self.target.nuclei_per_kg()
        return {
            iso.name: differential_rate(recoil_kev, iso, per_kg[iso.name] * self.mass_kg, self.source, self.live_time_s, model=model)
            for iso in self.target.isotopes
        }


__all__ = ["Experiment"]
