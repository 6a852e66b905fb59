"""Event rates: dR/dT and binned expected counts, per isotope and per flavour.

For isotope i (N_i nuclei) and neutrino species f (flux Φ_f, normalised spectrum
λ_f(E)) over a live time t, the recoil spectrum is (D. K. Papoulias, T. S. Kosmas,
arXiv:1711.09773, Eq. 4)

.. math::
   \\frac{dR_{if}}{dT} = N_i\\,\\Phi_f\\,t \\int_{E_{min}(T)} \\lambda_f(E)
       \\frac{d\\sigma_{if}}{dT}(E, T)\\,dE
     = N_i\\,\\Phi_f\\,t\\,\\frac{G_F^2 M_i}{\\pi}\\,\\mathcal{Q}_{if}(T)^2\\,
       \\left[m_0 - T\\,m_1 - \\tfrac{M_i T}{2}\\,m_2\\right]_{E_{min}(T)}

where 𝒬 = g_V^p Z F_Z + g_V^n N F_N depends on T only and m_k are the tail moments of the
spectrum (:mod:`cevns.sources.spectra`). Every model of :mod:`cevns.physics.interactions` keeps this form,
dσ/dT ∝ Σ_k c_k(T) E^{-k}, so the neutrino-energy integral is done once per (isotope,
flavour) and recoil node at set-up, and a prediction at another parameter point only
re-evaluates the c_k(T) on the fixed nodes: this is what makes predictions fast. Sterile
oscillations reweight the spectra by P(E); their moments are recomputed only when
Δm²₄₁ changes (:mod:`cevns.physics.oscillations`), and flavours mix linearly in |U_α4|².

Binned counts use fixed Gauss–Legendre nodes in T:

* no smearing: each bin [x_lo, x_hi) maps to a recoil interval through the monotone mean
  observable μ(T), split at the kinks of dR/dT (T_max of every spectral line and of each
  spectrum's end point) and at efficiency break points, so every panel integrand is
  smooth and the quadrature converges exponentially;
* smearing: composite log-spaced panels in T (split at the same kinks), each node
  weighted by ∫_bin ε(x) p(x | μ(T)) dx.

Arrival times (stopped-pion sources, :mod:`cevns.sources.timing`): a recoil keeps the emission
time of its neutrino, and that time belongs to the *source* flavour α (π⁺ → ν_μ prompt,
μ⁺ → ν_e ν̄_μ delayed), also when oscillation makes it arrive as another flavour β. With
the per-source fractions f_α(bin) of :func:`cevns.sources.timing.time_bin_fractions`,

.. math::
   N_{iβ}(E, t) = \\sum_α \\Big[D_{βα}\\,c_β\\cdot m_α − C_{βα}\\,c_β\\cdot s_α\\Big]_{E}\\; f_α(t),

the split of :func:`arriving_flavors` kept per source flavour. A time *window* is one such
bin: it multiplies each source flavour's normalisation once, at set-up (no cost per
prediction); time *bins* add a time axis to the counts. The fractions depend on no physics
parameter and are computed once.

Units: recoils in MeV inside, keVnr at the user-facing helpers; rates are counts per MeV
(or counts per keVnr where the name says so) for the whole exposure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Hashable, Mapping, Sequence, cast

import numpy as np

from cevns.errors import InputError
from cevns.physics.cross_sections import FLAVORS, NuclearStructure, NucleonCouplings
from cevns.detector.response import DetectorResponse, Observable, Quenching
from cevns.sources.spectra import NeutrinoSource
from cevns.physics.interactions import PhysicsModel
from cevns.physics.kinematics import recoil_max
from cevns.physics.nuclei import Isotope, Target, require_isotope
from cevns.physics.interactions.registry import ParameterError
from cevns.physics.quadrature import gauss_legendre
from cevns.sources.timing import (
    SNS_PULSE,
    ExponentialTimeEfficiency,
    Pulse,
    decay_components,
    time_bin_fractions,
    weighted_time_bin_fractions,
)
from cevns.rates.nodes import (
    IsotopeNodes,
    Quadrature,
    arriving_flavors,
    clear_moment_memo,
    gauss_legendre_panels,
    isotope_nodes,
    rate_by_source,
    rate_density,
    sorted_unique,
    spectrum_kinks_mev,
    split_panels,
)
from cevns.runtime.resources import check_memory, predictor_bytes
from cevns.units import keV


def _model(
    model: PhysicsModel | None, couplings: NucleonCouplings | None, structure: NuclearStructure | None
) -> PhysicsModel:
    """``model``, or the SM model from (optional) couplings and structure."""
    if model is not None:
        if couplings is not None or structure is not None:
            raise InputError("give either a model or couplings/structure, not both")
        return model
    base = PhysicsModel()
    return PhysicsModel(couplings=couplings or base.couplings, structure=structure or base.structure)


def _check_oscillation_source(source: NeutrinoSource, model: PhysicsModel) -> None:
    if model.sterile is not None and model.sterile.active and source.baseline_cm is None:
        raise ParameterError(f"sterile oscillation needs the source baseline, which source {source.name!r} does not give")


def model_with_parameters(
    model: PhysicsModel, parameters: Mapping[str, float | str], isotopes: Sequence[Isotope], source: NeutrinoSource | None
) -> PhysicsModel:
    """``model`` with named ``parameters`` applied, checked against the set-up: per-isotope
    radii must name an isotope of the target, oscillations need a source baseline (with
    ``source=None``, for cross sections alone, oscillation parameters are refused)."""
    from cevns.physics.parameters import apply_parameters  # the vocabulary, when parameters are applied (start-up time)

    new = apply_parameters(model, parameters)
    names = {iso.name for iso in isotopes}
    for key in parameters:
        if key[:3] in ("rn_", "rp_") and key[3:] not in names:
            raise ParameterError(f"{key}: {key[3:]} is not in the target ({', '.join(sorted(names))})")
    if source is None:
        if new.sterile is not None and new.sterile.active:
            raise ParameterError("oscillation parameters change the flux, not the cross section; use them with an experiment")
    else:
        _check_oscillation_source(source, new)
    return new


def differential_rate(
    recoil_kev: np.ndarray,
    isotope: Isotope,
    n_nuclei: float,
    source: NeutrinoSource,
    live_time_s: float,
    couplings: NucleonCouplings | None = None,
    structure: NuclearStructure | None = None,
    model: PhysicsModel | None = None,
) -> dict[str, np.ndarray]:
    """dR/dT in counts per keVnr, per flavour arriving at the detector, at recoils
    ``recoil_kev`` (keVnr), for ``model`` (default: the SM with ``couplings``/``structure``)."""
    model = _model(model, couplings, structure)
    _check_oscillation_source(source, model)
    t = np.atleast_1d(np.asarray(recoil_kev, dtype=float)) * keV
    src = tuple(f for f in FLAVORS if f in source.spectra)
    node = isotope_nodes(isotope, t, np.zeros((0, t.size)), source, src, n_nuclei * live_time_s)
    mixing = arriving_flavors(source, model)
    flavors, rate = mixing[0], rate_density(node, model, mixing)
    shape = np.shape(recoil_kev)
    return {f: np.clip(r, 0.0, None).reshape(shape) * keV for f, r in zip(flavors, rate)}


@dataclass(frozen=True)
class TimeSelection:
    """Arrival-time selection of a stopped-pion experiment (times in s, on the time axis of
    ``pulse``, see :mod:`cevns.sources.timing`).

    ``binned=False``: one window [edges_s[0], edges_s[1]]; each source flavour is scaled
    by its window fraction and the counts keep their (isotope, flavour, bin) shape.
    ``binned=True``: time bins between ``edges_s``; the counts get a time axis.
    """

    edges_s: tuple[float, ...]
    pulse: Pulse = SNS_PULSE
    binned: bool = True
    #: Time-dependent efficiency folded into each bin's fraction (None: 1).
    efficiency: ExponentialTimeEfficiency | None = None

    def __post_init__(self) -> None:
        e = np.asarray(self.edges_s, dtype=float)
        if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or np.any(np.diff(e) <= 0):
            raise InputError("time edges must be ≥ 2 finite, strictly increasing values")
        if not self.binned and e.size != 2:
            raise InputError(f"a time window has 2 edges [t_min, t_max], got {e.size}")
        object.__setattr__(self, "edges_s", tuple(float(x) for x in e))

    @classmethod
    def window(cls, t_min_s: float, t_max_s: float, pulse: Pulse = SNS_PULSE) -> TimeSelection:
        return cls((t_min_s, t_max_s), pulse, binned=False)

    @property
    def n_bins(self) -> int:
        return len(self.edges_s) - 1

    def fractions(self, flavors: Sequence[str]) -> np.ndarray:
        """(n_flavors, n_bins): fraction of each source flavour emitted in each bin
        (:func:`cevns.sources.timing.time_bin_fractions`; ValueError for a flavour that π⁺/μ⁺ decay
        at rest does not produce); with an ``efficiency``, ∫_bin p(t) ε_T(t) dt
        (:func:`cevns.sources.timing.weighted_time_bin_fractions`)."""
        eff = self.efficiency
        rows: dict[tuple[tuple[float, float], ...], np.ndarray] = {}
        out = []
        for f in flavors:  # flavours with the same decay chain (ν_e and ν̄_μ) share one computation
            chain = decay_components(f)
            if chain not in rows:
                rows[chain] = (time_bin_fractions(f, self.edges_s, self.pulse) if eff is None
                               else weighted_time_bin_fractions(f, self.edges_s, eff, self.pulse))
            out.append(rows[chain])
        return np.stack(out)


@dataclass(frozen=True)
class BinnedCounts:
    """Expected counts for one exposure.

    ``counts``: array (n_isotopes, n_flavors, n_bins), or (n_isotopes, n_flavors, n_bins,
    n_time_bins) when the experiment bins arrival times (``time_edges_s`` given, s);
    ``isotopes`` and ``flavors`` name the axes (the flavours that reach the detector);
    ``edges`` are the bin edges in ``observable`` units. (A further observable, e.g. the
    F90 pulse shape of :mod:`cevns.releases.lar_2020`, may sit between the observable and the
    time axis.)

    ``per_bin`` is always 1-D, one entry per analysis bin: the energy bins, or the
    (energy, time) cells flattened energy-major (time fastest), the order of a
    :class:`cevns.stats.fits.Measurement`'s data vector.
    """

    counts: np.ndarray
    isotopes: tuple[str, ...]
    flavors: tuple[str, ...]
    edges: np.ndarray
    observable: str
    time_edges_s: np.ndarray | None = None

    @property
    def total(self) -> float:
        return float(self.counts.sum())

    @property
    def cells(self) -> np.ndarray:
        """Counts summed over isotopes and flavours: (n_bins,) or (n_bins, n_time_bins)."""
        return self.counts.sum(axis=(0, 1))

    @property
    def per_bin(self) -> np.ndarray:
        return self.cells.reshape(-1)

    @property
    def per_energy_bin(self) -> np.ndarray:
        """Counts per observable bin, summed over the time bins."""
        cells = self.cells
        return cells.reshape(cells.shape[0], -1).sum(axis=1)

    @property
    def per_time_bin(self) -> np.ndarray:
        """Counts per time bin, summed over the observable bins (ValueError without a time axis)."""
        if self.time_edges_s is None:
            raise ValueError("these counts have no time axis")
        cells = self.cells
        return cells.reshape(-1, cells.shape[-1]).sum(axis=0)

    def by_isotope(self) -> dict[str, float]:
        flat = self.counts.reshape(self.counts.shape[0], -1)
        return {name: float(c) for name, c in zip(self.isotopes, flat.sum(axis=1))}

    def by_flavor(self) -> dict[str, float]:
        flat = self.counts.reshape(self.counts.shape[:2] + (-1,))
        return {name: float(c) for name, c in zip(self.flavors, flat.sum(axis=(0, 2)))}


@dataclass(frozen=True)
class RatePredictor:
    """Binned-count predictor with everything that does not depend on the physics
    parameters precomputed (build it with :func:`prepare_rates`). Calling :meth:`binned`
    costs a few array operations per isotope."""

    nodes: tuple[IsotopeNodes, ...]
    source: NeutrinoSource
    source_flavors: tuple[str, ...]
    edges: np.ndarray
    observable: str
    model: PhysicsModel = field(default_factory=PhysicsModel)
    #: Time selection of the set-up (a window is already in the nodes' normalisation).
    time: TimeSelection | None = None
    #: (n_source_flavors, n_time_bins) arrival-time fractions when the time is binned.
    time_fractions: np.ndarray | None = None

    @property
    def n_bins(self) -> int:
        """Number of analysis bins: observable bins × time bins (if binned in time)."""
        n_time = 1 if self.time_fractions is None else self.time_fractions.shape[1]
        return (self.edges.size - 1) * n_time

    def with_parameters(self, parameters: Mapping[str, float | str]) -> PhysicsModel:
        """This predictor's model with named ``parameters`` applied."""
        return model_with_parameters(self.model, parameters, [n.isotope for n in self.nodes], self.source)

    def binned(self, parameters: Mapping[str, float | str] | None = None, *, model: PhysicsModel | None = None) -> BinnedCounts:
        """Expected counts per isotope, flavour and bin, at the named ``parameters``
        (applied on top of this predictor's model) or for a given ``model``."""
        if model is None:
            model = self.with_parameters(parameters) if parameters else self.model
        else:
            _check_oscillation_source(self.source, model)
        mixing = arriving_flavors(self.source, model)
        flavors = mixing[0]
        names = tuple(n.isotope.name for n in self.nodes)
        if self.time_fractions is not None:
            return self._time_binned(model, mixing, names)
        counts = np.empty((len(self.nodes), len(flavors), self.edges.size - 1))
        for i, node in enumerate(self.nodes):
            rate = rate_density(node, model, mixing)
            counts[i] = rate @ node.weights.T
        return BinnedCounts(counts, names, flavors, self.edges, self.observable)

    def _time_binned(
        self, model: PhysicsModel, mixing: tuple[tuple[str, ...], np.ndarray, np.ndarray], names: tuple[str, ...]
    ) -> BinnedCounts:
        """counts[i, β, e, t] = Σ_α (rate_βα binned in e) × f_α(t): the time profile is the
        source flavour's (module docstring)."""
        flavors = mixing[0]
        fractions, time = self.time_fractions, self.time
        if fractions is None or time is None:
            raise ValueError("these predictions have no time bins")
        counts = np.empty((len(self.nodes), len(flavors), self.edges.size - 1, fractions.shape[1]))
        for i, node in enumerate(self.nodes):
            per_source = rate_by_source(node, model, mixing) @ node.weights.T  # (β, α, bins)
            counts[i] = np.einsum("bae,at->bet", per_source, fractions)
        return BinnedCounts(counts, names, flavors, self.edges, self.observable, np.asarray(time.edges_s))

    def binned_by_source(
        self, parameters: Mapping[str, float | str] | None = None, *, model: PhysicsModel | None = None
    ) -> BinnedCounts:
        """Counts per isotope, arriving flavour, *source* flavour and observable bin: a
        :class:`BinnedCounts` whose ``counts`` are (n_isotopes, n_flavors,
        n_source_flavors, n_bins), source flavours in ``self.source_flavors`` order (a time
        window is included, time bins are not). Summed over the source axis it is
        :meth:`binned` without time bins."""
        if model is None:
            model = self.with_parameters(parameters) if parameters else self.model
        else:
            _check_oscillation_source(self.source, model)
        mixing = arriving_flavors(self.source, model)
        counts = np.stack([rate_by_source(node, model, mixing) @ node.weights.T for node in self.nodes])
        return BinnedCounts(counts, tuple(n.isotope.name for n in self.nodes), mixing[0], self.edges, self.observable)


def _inverse_mean(response: DetectorResponse, Z: int, t_max_kev: float) -> tuple[np.ndarray, np.ndarray]:
    """Tabulate μ(T) on a fine log grid in keVnr, checking it is increasing (read-only
    arrays, remembered per (observable, quenching, Z, T_max) when the quenching model is
    hashable: every set-up of the same detector reuses the table)."""
    try:
        return _inverse_mean_cached(response.observable, cast(Hashable, response.quenching), Z, t_max_kev)
    except TypeError:  # an unhashable (user) quenching model: computed each time
        return _inverse_mean_table(response.observable, response.quenching, Z, t_max_kev)


def _inverse_mean_table(observable: Observable, quenching: Quenching, Z: int, t_max_kev: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.geomspace(1e-6, max(t_max_kev, 1e-3) * 1.01, 4000)
    mu = observable.mean(t, Z, quenching)
    if np.any(np.diff(mu) <= 0):
        raise InputError("the mean observable must increase with recoil energy (check the quenching model)")
    t.flags.writeable = False
    mu.flags.writeable = False
    return t, mu


@lru_cache(maxsize=128)
def _inverse_mean_cached(observable: Observable, quenching: Hashable, Z: int, t_max_kev: float) -> tuple[np.ndarray, np.ndarray]:
    return _inverse_mean_table(observable, cast(Quenching, quenching), Z, t_max_kev)


def time_fractions(time: TimeSelection, flavors: tuple[str, ...]) -> np.ndarray:
    """``time.fractions(flavors)`` (read-only), remembered per (selection, flavours): the
    fractions depend on no physics parameter, so every set-up with the same time selection
    shares them (the same numbers)."""
    try:
        return _time_fractions_cached(time, flavors)
    except TypeError:  # an unhashable (user) pulse or efficiency
        return time.fractions(flavors)


@lru_cache(maxsize=64)
def _time_fractions_cached(time: TimeSelection, flavors: tuple[str, ...]) -> np.ndarray:
    fractions = time.fractions(flavors)
    fractions.flags.writeable = False
    return fractions


def clear_setup_caches() -> None:
    """Forget what set-ups remember between calls (the μ(T) tables, arrival-time fractions
    and neutrino-energy moments on nodes): the next set-up computes everything again, as
    the first one in a process does (for timing cold set-ups; results do not change)."""
    _inverse_mean_cached.cache_clear()
    _time_fractions_cached.cache_clear()
    clear_moment_memo()


def _unsmeared_nodes(
    response: DetectorResponse,
    isotope: Isotope,
    edges: np.ndarray,
    to_recoil: Callable[[np.ndarray], np.ndarray],
    breaks: np.ndarray,
    t_hi: float,
    quadrature: Quadrature,
) -> tuple[np.ndarray, np.ndarray]:
    """Recoil nodes (MeV) and weights (n_bins, n) without smearing: each bin [x_lo, x_hi)
    mapped to recoils [a, c] (c ≤ T_max), split at the ``breaks`` inside and each piece into
    ``panels_per_bin`` equal panels (:func:`cevns.rates.nodes.split_panels`), a
    Gauss–Legendre rule on each panel, weight × ε(μ(T)) in its own bin only.

    All bins at once: the panels, nodes and weights are those of a loop over the bins with
    :func:`~cevns.rates.nodes.split_panels` and :func:`~cevns.rates.nodes.gauss_legendre_panels`
    (the same arithmetic on each element, so bit for bit the same numbers); a piece so
    narrow that its panels would not increase strictly (the case where ``split_panels``
    sorts and merges cuts) falls back to that loop."""
    n_bins, panels = edges.size - 1, quadrature.panels_per_bin
    recoil_edges = to_recoil(edges)
    inner = sorted({float(p) for p in breaks})
    lo_piece: list[float] = []
    hi_piece: list[float] = []
    piece_bin: list[int] = []
    for b in range(n_bins):
        a, c = float(recoil_edges[b]), min(float(recoil_edges[b + 1]), t_hi)
        if c <= a:
            continue
        cuts = [a, *(p for p in inner if a < p < c), c]
        lo_piece += cuts[:-1]
        hi_piece += cuts[1:]
        piece_bin += [b] * (len(cuts) - 1)
    if not piece_bin:
        return np.zeros(0), np.zeros((n_bins, 0))
    a_p, c_p = np.array(lo_piece)[:, None], np.array(hi_piece)[:, None]
    step = (c_p - a_p) / panels
    grid = np.arange(panels + 1.0) * step + a_p
    grid[:, -1] = c_p[:, 0]
    lo, hi = grid[:, :-1].ravel(), grid[:, 1:].ravel()
    if not np.all(hi > lo):
        return _unsmeared_nodes_loop(response, isotope, edges, to_recoil, breaks, t_hi, quadrature)
    x, w_rule = gauss_legendre(quadrature.nodes)
    half = 0.5 * (hi - lo)[:, None]
    recoil = (half * (x + 1.0) + lo[:, None]).ravel()
    w = (half * w_rule).ravel()
    mu = response.observable.mean(recoil / keV, isotope.Z, response.quenching)
    weights = np.zeros((n_bins, recoil.size))
    weights[np.repeat(np.array(piece_bin), panels * quadrature.nodes), np.arange(recoil.size)] = w * response.efficiency(mu)
    return recoil, weights


def _unsmeared_nodes_loop(
    response: DetectorResponse,
    isotope: Isotope,
    edges: np.ndarray,
    to_recoil: Callable[[np.ndarray], np.ndarray],
    breaks: np.ndarray,
    t_hi: float,
    quadrature: Quadrature,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_unsmeared_nodes` bin by bin (the reference, and the fallback for degenerate pieces)."""
    recoil_parts, weight_rows = [], []
    for b, (lo, hi) in enumerate(zip(edges[:-1], edges[1:])):
        a, c = float(to_recoil(lo)), min(float(to_recoil(hi)), t_hi)
        if c <= a:
            continue
        r, w = gauss_legendre_panels(split_panels(a, c, breaks, quadrature.panels_per_bin), quadrature.nodes)
        mu = response.observable.mean(r / keV, isotope.Z, response.quenching)
        row = np.zeros((edges.size - 1, r.size))
        row[b] = w * response.efficiency(mu)
        recoil_parts.append(r)
        weight_rows.append(row)
    if recoil_parts:
        return np.concatenate(recoil_parts), np.concatenate(weight_rows, axis=1)
    return np.zeros(0), np.zeros((edges.size - 1, 0))


def prepare_rates(
    target: Target,
    mass_kg: float,
    live_time_s: float,
    source: NeutrinoSource,
    response: DetectorResponse,
    couplings: NucleonCouplings | None = None,
    structure: NuclearStructure | None = None,
    quadrature: Quadrature = Quadrature(),
    model: PhysicsModel | None = None,
    time: TimeSelection | None = None,
) -> RatePredictor:
    """Precompute nodes, detector weights and neutrino-energy moments.

    ``mass_kg`` detector (target) mass in kg, ``live_time_s`` in s; ``model`` the default
    physics of the predictor (or the SM with ``couplings`` / ``structure``); ``time`` an
    arrival-time window or binning (stopped-pion sources only; its fractions are computed
    here, once).
    """
    if not (mass_kg > 0 and live_time_s > 0):
        raise InputError("detector mass and live time must be > 0")
    model = _model(model, couplings, structure)
    edges = np.asarray(response.edges, dtype=float)
    per_kg = target.nuclei_per_kg()
    flavors = tuple(f for f in FLAVORS if f in source.spectra)
    fractions = time_fractions(time, flavors) if time is not None else None
    window = fractions[:, 0] if fractions is not None and time is not None and not time.binned else None
    smeared = response.resolution.model != "none"
    check_memory(f"a rate prediction with {edges.size - 1} bins",  # before the (bins × nodes) weights are built
                 predictor_bytes(edges.size - 1, smeared, quadrature.nodes, quadrature.panels_per_bin, quadrature.log_panels,
                                 len(target.isotopes)), "use fewer bins (a larger detector.bins.width)")
    nodes: list[IsotopeNodes] = []
    for isotope in target.isotopes:
        m = isotope.mass
        t_hi = float(recoil_max(source.max_energy, m))
        kinks = spectrum_kinks_mev(source, m)
        t_tab, mu_tab = _inverse_mean(response, isotope.Z, t_hi / keV)
        to_recoil = lambda x: np.interp(x, mu_tab, t_tab) * keV  # noqa: E731 observable → MeV
        live = None
        if smeared:
            t_lo = min(to_recoil(edges[0]) / 100.0, t_hi / 1e4)
            cuts = np.geomspace(t_lo, t_hi, quadrature.log_panels + 1)
            cuts = sorted_unique(np.concatenate([[0.0], cuts, kinks[kinks < t_hi]]))
            recoil, w = gauss_legendre_panels(cuts, quadrature.nodes)
            mu = response.observable.mean(recoil / keV, isotope.Z, response.quenching)
            weights = response.resolution.bin_response(mu, edges, response.efficiency) * w
            live = weights.any(axis=0)
        else:
            breaks = np.concatenate([kinks, to_recoil(np.asarray(response.efficiency.breakpoints, dtype=float))])
            recoil, weights = _unsmeared_nodes(response, isotope, edges, to_recoil, breaks, t_hi, quadrature)
        exposure = per_kg[isotope.name] * mass_kg * live_time_s
        nodes.append(isotope_nodes(isotope, recoil, weights, source, flavors, exposure, window, live))
    return RatePredictor(
        nodes=tuple(nodes), source=source, source_flavors=flavors, edges=edges, observable=response.observable.unit, model=model,
        time=time, time_fractions=fractions if time is not None and time.binned else None,
    )


def flux_averaged_cross_section(
    isotope: Isotope,
    source: NeutrinoSource,
    couplings: NucleonCouplings | None = None,
    structure: NuclearStructure | None = None,
    recoil_nodes: int = 400,
    model: PhysicsModel | None = None,
    threshold_kev: float = 0.0,
) -> float:
    """⟨σ⟩ = Σ_f Φ_f ∫λ_f σ_f dE / Σ_f Φ_f, in cm², for one isotope, counting recoils
    above ``threshold_kev`` (keVnr; default 0: the whole cross section).

    Computed as ∫ dT of the flux-weighted dσ/dT (the same moments as the rates), with
    Gauss–Legendre panels split at the spectral kinks (from 0: equal panels; from a
    threshold T₀ > 0: panels equal in log T, since dσ/dT may grow as 1/T or 1/T² towards
    T₀). A magnetic moment or a millicharge makes dσ/dT ∝ 1/T or 1/T² at T → 0
    (D. K. Papoulias, T. S. Kosmas, arXiv:1711.09773, Eqs. 7–8): the average from T = 0 is
    infinite (a finite quadrature would return a number that grows with the nodes), so
    such a model needs ``threshold_kev`` > 0 (InputError otherwise).
    """
    model = _model(model, couplings, structure)
    isotope = require_isotope(isotope)
    threshold = _threshold_mev(threshold_kev, model)
    m = isotope.mass
    t_hi = float(recoil_max(source.max_energy, m))
    if threshold >= t_hi:
        return 0.0
    kinks = spectrum_kinks_mev(source, m)
    if threshold > 0.0:
        logs = np.geomspace(threshold, t_hi, 9)
        cuts = sorted_unique(np.concatenate([logs, kinks[(kinks > threshold) & (kinks < t_hi)]]))
    else:
        cuts = split_panels(0.0, t_hi, kinks, 8)
    t, w = gauss_legendre_panels(cuts, max(recoil_nodes // 8, 4))
    rate = differential_rate(t / keV, isotope, 1.0, source, 1.0, model=model)
    total_flux = sum(source.flux_cm2_s.values())
    return float(sum(np.sum(w * r / keV) for r in rate.values()) / total_flux)


def _threshold_mev(threshold_kev: float, model: PhysicsModel) -> float:
    """A recoil threshold in MeV, checked: a finite number ≥ 0, and > 0 when the model's
    cross section diverges at T → 0 (one-line InputError)."""
    try:
        value = float(threshold_kev)
    except (TypeError, ValueError):
        raise InputError(f"threshold_kev must be a number (keVnr), got {threshold_kev!r}") from None
    if not (np.isfinite(value) and value >= 0.0):
        raise InputError(f"threshold_kev must be finite and ≥ 0 keVnr, got {threshold_kev!r}")
    divergent = model.divergent_terms()
    if divergent and value == 0.0:
        raise InputError(f"the flux-averaged cross section diverges at zero recoil with {' and '.join(divergent)}; "
                         "give a recoil threshold (threshold_kev > 0; --threshold-kev on the command line)")
    return value * keV


def target_flux_averaged_cross_section(
    target: Target,
    source: NeutrinoSource,
    couplings: NucleonCouplings | None = None,
    structure: NuclearStructure | None = None,
    model: PhysicsModel | None = None,
    threshold_kev: float = 0.0,
) -> float:
    """Flux-averaged cross section per nucleus of a target (cm²), averaged over its
    nuclei by number (for CsI: the mean of Cs and I, as COHERENT quotes it), counting
    recoils above ``threshold_kev`` (keVnr; required > 0 with a magnetic moment or a
    millicharge: :func:`flux_averaged_cross_section`)."""
    model = _model(model, couplings, structure)
    _threshold_mev(threshold_kev, model)
    weights = {n.isotope.name: n.per_formula_unit for n in target.nuclei}
    total = sum(weights.values())
    return sum(weights[iso.name] / total * flux_averaged_cross_section(iso, source, model=model, threshold_kev=threshold_kev)
               for iso in target.isotopes)


def counts_table(counts: BinnedCounts) -> Mapping[str, object]:
    """Plain-data summary (``total``, ``by_isotope``, ``by_flavor``, ``bins``; with a time
    axis also ``time_bins`` in µs and ``cells`` [observable bin][time bin]). ``bins`` are
    the observable bins (summed over time)."""
    table: dict[str, object] = {
        "total": counts.total,
        "by_isotope": counts.by_isotope(),
        "by_flavor": counts.by_flavor(),
        "observable": counts.observable,
        "unit": counts.observable,
        "bins": [
            {"low": float(lo), "high": float(hi), "counts": float(c)}
            for lo, hi, c in zip(counts.edges[:-1], counts.edges[1:], counts.per_energy_bin)
        ],
    }
    if counts.time_edges_s is not None:
        t = np.asarray(counts.time_edges_s) * 1e6
        table["time_bins"] = [
            {"low_us": float(lo), "high_us": float(hi), "counts": float(c)}
            for lo, hi, c in zip(t[:-1], t[1:], counts.per_time_bin)
        ]
        table["cells"] = counts.cells.tolist()
    return table
