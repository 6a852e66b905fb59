"""Event rates: physics × source × detector.

* :mod:`~cevns.rates.nodes`: the recoil quadrature nodes of each isotope with the
  neutrino-energy integrals done once (:class:`~cevns.rates.nodes.IsotopeNodes`);
* :mod:`~cevns.rates.prediction`: dR/dT, binned counts per isotope × flavour × bin
  (:class:`~cevns.rates.prediction.BinnedCounts`) on fixed quadrature nodes, the set-up-once
  :class:`~cevns.rates.prediction.RatePredictor`, flux-averaged cross sections, πDAR time
  selections.
* :mod:`~cevns.rates.recoil_signals`: any recoil spectrum that is not a neutrino one
  (WIMPs) folded through a detector response into an experiment's bins.

Imports: :mod:`cevns.sources`, :mod:`cevns.detector`, :mod:`cevns.physics` and below; nothing
above (no experiments, no statistics).
"""

from __future__ import annotations

from cevns._lazy import lazy_exports

#: module of this package → the public names it defines, re-exported here and imported
#: lazily, on first use
_EXPORTS: dict[str, tuple[str, ...]] = {
    "nodes": ("Quadrature", "spectrum_kinks_mev", "arriving_flavors", "IsotopeNodes"),
    "prediction": (
        "model_with_parameters", "differential_rate", "TimeSelection", "BinnedCounts",
        "RatePredictor", "prepare_rates", "flux_averaged_cross_section",
        "target_flux_averaged_cross_section", "counts_table",
    ),
    "recoil_signals": ("fold_recoil_spectrum", "threshold_response", "wimp_binned_counts", "wimp_counts_above"),
}

__all__, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
