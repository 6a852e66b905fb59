"""Experiments as data: TOML files turned into ready-to-predict experiments.

* :mod:`~cevns.config.experiments`: :func:`~cevns.config.experiments.load_experiment`, from a
  file to a :class:`~cevns.config.built.Experiment` (target, source, detector, exposure,
  data; :mod:`~cevns.config.built`).
* :mod:`~cevns.config.experiment_cache`: the command line's disk cache of built shipped
  experiments (start-up without pydantic).
* :mod:`~cevns.config.schema`: the validated file schema (pydantic), errors that name the bad
  field.
* :mod:`~cevns.config.sources`: source types by name (``pion-dar``, ``reactor``, ``table``)
  and their registry.
* :mod:`~cevns.config.overrides`: ``--set PATH=VALUE`` overrides.
* :mod:`~cevns.config.files`: reading TOML files, the shipped experiment files.
* :mod:`~cevns.config.measurement`: what an experiment observed (counts, backgrounds,
  uncertainties).

Imports: :mod:`cevns.rates` and below; nothing from statistics, releases or above.
"""

from __future__ import annotations

from cevns._lazy import lazy_exports

#: module of this package → the public names it defines, re-exported here and imported
#: lazily, on first use
_EXPORTS: dict[str, tuple[str, ...]] = {
    "built": (
        "Experiment",
    ),
    "experiment_cache": (
        "load_experiment_cached",
    ),
    "experiments": (
        "build_experiment", "detector_response", "load_experiment",
        "nuclear_structure", "shipped_experiments",
    ),
    "files": (
        "ExperimentError", "parse_toml", "read_toml_file", "shipped_entry", "shipped_files",
    ),
    "measurement": (
        "Measurement",
    ),
    "overrides": (
        "active_experiment_overrides", "apply_overrides", "cached_per_overrides",
        "experiment_overrides", "parse_override", "user_overrides_for",
    ),
    "schema": (
        "BinsSpec", "ConstantQuenchingSpec", "CouplingsSpec", "DataSpec", "DetectorSpec",
        "EfficiencySpec", "ExperimentSpec", "ExposureSpec", "LindhardQuenchingSpec",
        "LogisticEfficiencySpec", "NoEfficiencySpec", "NuclearSpec", "ObservableSpec", "PULSES",
        "PolynomialQuenchingSpec", "QuenchingSpec", "ResolutionSpec", "StrictModel",
        "TableEfficiencySpec", "TableQuenchingSpec", "TargetSpec", "TimeSpec",
        "format_validation_error",
    ),
    "sources": (
        "PionDarSpec", "ReactorSpec", "RegisteredSource", "SourceBuilder", "SourceContext",
        "SourceSpec", "SourceType", "TableSourceSpec", "build_source", "on_source_types_changed",
        "read_spectrum_csv", "register_source_type", "source_types", "unregister_source_type",
    ),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
