"""Set-up of the rate integrals: fixed Gauss–Legendre recoil nodes per isotope with the
neutrino-energy integrals (tail moments of the spectra, :mod:`cevns.sources.spectra`)
done once, so that a prediction at a new parameter point only re-evaluates the
cross-section coefficients c_k(T) of :mod:`cevns.physics.interactions` on the nodes
(the method is described in :mod:`cevns.rates.prediction`).

The per-node caches (oscillation tables, form factors) are guarded by locks, so one
:class:`IsotopeNodes` may be shared by threads.

Units: recoils and energies in MeV; moments in MeV^-k per unit flux.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Hashable, cast

import numpy as np

from cevns.physics.form_factors import FormFactor
from cevns.physics.cross_sections import FLAVORS, NuclearStructure, cross_section_prefactor, lepton_flavor
from cevns.sources.spectra import NeutrinoSource, Spectrum
from cevns.physics.interactions import PhysicsModel, cross_section_terms
from cevns.physics.kinematics import momentum_transfer, neutrino_energy_min, recoil_max
from cevns.physics.nuclei import Isotope
from cevns.physics.quadrature import gauss_legendre
from cevns.physics.interactions.registry import ParameterError

if TYPE_CHECKING:  # imported by the first oscillation fit (start-up time of the rest)
    from cevns.sources.oscillated import OscillationTable


@dataclass(frozen=True)
class Quadrature:
    """Numerical settings: Gauss–Legendre ``nodes`` per panel, ``panels_per_bin`` for
    unsmeared bins, ``log_panels`` for smeared spectra. The defaults are converged to
    better than 10⁻⁴ relative (see ``tests/test_rates.py``)."""

    nodes: int = 12
    panels_per_bin: int = 2
    log_panels: int = 48


def gauss_legendre_panels(cuts: np.ndarray, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of a composite Gauss–Legendre rule on consecutive ``cuts``.

    All panels at once (no loop), with the rule of :func:`cevns.physics.quadrature.gauss_legendre`
    (computed once per ``nodes``): node ½(b − a)(x + 1) + a, weight ½(b − a) w on each
    panel [a, b]. Returns flat arrays of len(cuts − 1)·nodes (MeV if the cuts are)."""
    x, w = gauss_legendre(nodes)
    cuts = np.asarray(cuts, dtype=float)
    a, b = cuts[:-1, None], cuts[1:, None]
    return (0.5 * (b - a) * (x + 1.0) + a).ravel(), (0.5 * (b - a) * w).ravel()


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` (flattened, sorted, equal values once, NaNs once and last),
    bit for bit but for the sign of a zero where both 0.0 and −0.0 occur, without importing
    ``numpy.ma``: numpy 2's ``unique`` imports it on first use (≈ 30 ms, a twentieth of the
    CLI start-up). ``tests/test_startup.py`` compares the two."""
    s = np.sort(np.asarray(values).ravel(), kind="stable")
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    if s.dtype.kind in "fc" and np.isnan(s[-1]):
        nan = np.isnan(s)
        keep[1:] &= ~(nan[1:] & nan[:-1])
    return s[keep]


def split_panels(lo: float, hi: float, points: np.ndarray, panels: int) -> np.ndarray:
    """Sorted cuts from ``lo`` to ``hi``: split at the ``points`` inside (lo, hi), then
    each piece [a, b] into ``panels`` equal parts, a + i (b − a)/panels with b itself
    last: the arithmetic of :func:`numpy.linspace`, for all pieces at once (the same
    numbers as a linspace per piece, without its per-call overhead)."""
    inner = points[(points > lo) & (points < hi)]
    cuts = sorted_unique(np.concatenate([[lo, hi], inner]))
    a, b = cuts[:-1, None], cuts[1:, None]
    step = (b - a) / panels
    if not step.all():  # a piece narrower than panels × the smallest subnormal: linspace's own branch
        return sorted_unique(np.linspace(cuts[:-1], cuts[1:], panels + 1, axis=-1))
    grid = np.arange(panels + 1.0) * step + a
    grid[:, -1] = cuts[1:]
    return sorted_unique(grid)


def spectrum_kinks_mev(source: NeutrinoSource, mass: float) -> np.ndarray:
    """Recoil energies (MeV) where dR/dT is not smooth: T_max of lines and end points."""
    energies = {e for s in source.spectra.values() for e in (*s.lines, s.support[1])}
    return np.asarray(sorted(float(recoil_max(e, mass)) for e in energies))


def arriving_flavors(source: NeutrinoSource, model: PhysicsModel) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Flavours reaching the detector and how they are made from the source flavours.

    Returns (flavours β, D, C) with D[β, α] = δ_αβ and C[β, α] = c_αβ of
    :meth:`cevns.physics.oscillations.SterileMixing.transition_coefficients`, so that the flux
    moments at the detector are D·m − C·s (s: the ⟨sin²Δ⟩-weighted moments). Without
    oscillation β = the source flavours and C = 0.
    """
    st = model.sterile
    mixing = (st.ue4_sq, st.umu4_sq, st.utau4_sq) if st is not None and st.active else None
    return _mixing(tuple(f for f in FLAVORS if f in source.spectra), mixing)


@lru_cache(maxsize=64)
def _mixing(src: tuple[str, ...], u_sq: tuple[float, float, float] | None) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Cached on the mixings alone: a scan along Δm² reuses it."""
    if u_sq is None:
        return src, _read_only(np.eye(len(src))), _read_only(np.zeros((len(src), len(src))))
    from cevns.physics.oscillations import SterileMixing  # only with a sterile mixing (start-up time)

    coeff = SterileMixing(1.0, *u_sq).transition_coefficients()
    bar = lambda f: f.endswith("_bar")  # noqa: E731  oscillations keep ν and ν̄ apart
    reached = [b for b in FLAVORS if any(bar(a) == bar(b) and (a == b or coeff[lepton_flavor(a), lepton_flavor(b)] != 0.0) for a in src)]
    d = np.array([[float(a == b) for a in src] for b in reached])
    c = np.array([[coeff[lepton_flavor(a), lepton_flavor(b)] if bar(a) == bar(b) else 0.0 for a in src] for b in reached])
    return tuple(reached), _read_only(d), _read_only(c)


class _LockedMemo:
    """A small least-recently-used memo that threads may share: lookups and insertions
    hold a lock; the value is computed outside it (two threads asking for the same new
    key may both compute it, and get equal values). Pickled empty (a lock cannot be)."""

    def __init__(self, maxsize: int) -> None:
        self._maxsize = maxsize
        self._lock = threading.Lock()
        self._data: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        value = compute()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self._maxsize:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __getstate__(self) -> dict[str, int]:
        return {"maxsize": self._maxsize}

    def __setstate__(self, state: dict[str, int]) -> None:
        self._maxsize = state["maxsize"]
        self._lock = threading.Lock()
        self._data = OrderedDict()


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class IsotopeNodes:
    """Everything a prediction for one isotope needs that does not depend on the physics
    parameters, precomputed by :func:`prepare_rates` (the public input of the rate code
    and of :mod:`cevns.backends.jax_backend`).

    Fields: ``isotope``; ``recoil`` (n,) the recoil nodes T in MeV; ``weights`` (n_bins,
    n) quadrature weight × detector response of each node in each observable bin;
    ``emin`` (n,) the lowest neutrino energy reaching each recoil, MeV; ``moments``
    (n_source_flavors, 3, n) ``scale`` × the tail moments m_k(E_min) = ∫_{E_min} λ E^{-k} dE
    of each source flavour's spectrum (0 at nodes that no bin weighs, see
    :func:`isotope_nodes`); ``scale`` (n_source_flavors,) N t Φ G_F² M/π
    (times a time-window fraction): counts per MeV per unit c·m; ``q`` (n,) the momentum
    transfer in MeV; ``source`` and ``source_flavors`` (the order of the flavour axes).

    The counts of flavour f in bin b are Σ_n weights[b, n] Σ_k c_k(T_n) moments[f, k, n]
    with the c_k of :func:`cevns.physics.interactions.cross_section_terms`.

    Thread safety: the node is immutable; what it remembers between predictions (the
    form factors of the last (model, radius) pairs, the oscillated moments of the last Δm²₄₁, the
    oscillation tables built on first use) lives in lock-guarded memos, so one
    predictor may be shared by threads.
    """

    isotope: Isotope
    recoil: np.ndarray
    weights: np.ndarray
    emin: np.ndarray
    moments: np.ndarray
    scale: np.ndarray
    q: np.ndarray
    source: NeutrinoSource
    source_flavors: tuple[str, ...]
    _form_factor_memo: _LockedMemo = field(default_factory=lambda: _LockedMemo(8), init=False, repr=False, compare=False)
    _oscillation_memo: _LockedMemo = field(default_factory=lambda: _LockedMemo(8), init=False, repr=False, compare=False)
    _tables_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)
    _tables: list[tuple[OscillationTable, ...]] = field(default_factory=list, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_tables_lock"] = None
        state["_tables"] = list(self._tables)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["_tables_lock"] = threading.Lock()
        self.__dict__.update(state)

    @property
    def oscillation_tables(self) -> tuple[OscillationTable, ...]:
        """Built on first use (only oscillation fits pay for them), once, under a lock."""
        if not self._tables:
            from cevns.sources.oscillated import oscillation_table  # only oscillation fits use the tables

            with self._tables_lock:
                if not self._tables:
                    self._tables.append(tuple(oscillation_table(self.source.spectra[f], self.emin) for f in self.source_flavors))
        return self._tables[0]

    def form_factors(self, structure: NuclearStructure) -> tuple[np.ndarray, np.ndarray]:
        """(F_Z, F_N) on the nodes (read-only arrays).

        Each density's form factor is remembered on its own, keyed by its model and rms
        radius (:meth:`form_factor`): a scan of the neutron radius recomputes F_N only,
        and F_Z comes from the memo (the values are those of
        :meth:`cevns.physics.cross_sections.NuclearStructure.form_factors`, the same call
        per density)."""
        rp, rn = structure.radii_fm(self.isotope)
        return self.form_factor(structure.proton_form_factor, rp), self.form_factor(structure.neutron_form_factor, rn)

    def form_factor(self, model: FormFactor, rms_radius_fm: float) -> np.ndarray:
        """F(q) of one density on the nodes' momentum transfers (read-only), for a
        form-factor ``model`` and rms radius (fm); the last few (model, radius) pairs are
        remembered (one memo for protons and neutrons: the same function of the radius)."""

        def compute() -> np.ndarray:
            return _read_only(np.array(model(self.q, rms_radius_fm), dtype=float))

        return cast(np.ndarray, self._form_factor_memo.get((model, float(rms_radius_fm)), compute))

    def oscillated_moments(self, dm2_ev2: float) -> np.ndarray:
        """(n_source_flavors, 3, n): scale × ∫_{E_min} λ ⟨sin²Δ⟩ E^{-k} dE (read-only);
        the last few Δm² are remembered, so scans over the mixings at fixed Δm² do not
        recompute it."""

        def compute() -> np.ndarray:
            src = self.source
            if src.baseline_cm is None:
                raise ParameterError(f"sterile oscillation needs the source baseline, which source {src.name!r} does not give")
            s = [t.evaluate(dm2_ev2, src.baseline_cm, src.baseline_spread_cm) for t in self.oscillation_tables]
            return _read_only(np.stack(s) * self.scale[:, None, None])

        return self._oscillation_memo.get(float(dm2_ev2), compute)


def _dm2(model: PhysicsModel) -> float:
    """Δm²₄₁ (eV²) of a model whose mixing oscillates (:func:`arriving_flavors` made C ≠ 0)."""
    sterile = model.sterile
    if sterile is None:
        raise ValueError("oscillated flavours without a sterile state")
    return sterile.dm2_41_ev2


def _node_moments(
    source: NeutrinoSource, flavors: tuple[str, ...], emin: np.ndarray, scale: np.ndarray, live: np.ndarray | None = None
) -> np.ndarray:
    """scale × tail moments, (n_flavors, 3, n); with a boolean ``live`` (n,) only at the live
    nodes (the others are 0): the moments are computed node by node, so the live ones are
    bit for bit those of the full computation."""
    if live is None or live.all():
        return np.stack([_tail_moments(source.spectra[f], emin) for f in flavors]) * scale[:, None, None]
    out = np.zeros((len(flavors), 3, emin.size))
    if live.any():
        at = emin[live]
        out[:, :, live] = np.stack([_tail_moments(source.spectra[f], at) for f in flavors]) * scale[:, None, None]
    return out


_MOMENTS = _LockedMemo(32)


def clear_moment_memo() -> None:
    """Forget the remembered tail moments (:func:`_tail_moments`)."""
    _MOMENTS.clear()


def _tail_moments(spectrum: Spectrum, emin: np.ndarray) -> np.ndarray:
    """``spectrum.tail_moments(emin)`` (read-only), remembered for the last few (spectrum,
    E_min nodes): spectra are immutable values (:class:`cevns.sources.spectra.Spectrum`), so
    a second set-up on the same nodes (the same experiment loaded again, with another
    exposure, mass or time window) reuses the moments, the costliest part of a reactor
    set-up. An unhashable spectrum is computed each time."""
    e = np.ascontiguousarray(emin, dtype=float)
    try:
        key = (spectrum, e.shape, e.tobytes())
        hash(key)
    except TypeError:
        return spectrum.tail_moments(e)
    return cast(np.ndarray, _MOMENTS.get(key, lambda: _read_only(np.asarray(spectrum.tail_moments(e), dtype=float))))


def rate_density(
    node: IsotopeNodes, model: PhysicsModel, mixing: tuple[tuple[str, ...], np.ndarray, np.ndarray]
) -> np.ndarray:
    """dR/dT, array (n_flavors, n_nodes) in counts/MeV, for the flavours at the detector of
    ``mixing`` = :func:`arriving_flavors`."""
    flavors, direct, osc = mixing
    moments = node.moments
    if osc.any():
        s = node.oscillated_moments(_dm2(model))
        moments = np.einsum("ba,akn->bkn", direct, moments) - np.einsum("ba,akn->bkn", osc, s)
    fz, fn = node.form_factors(model.structure)  # once per isotope, shared by flavours
    terms = cross_section_terms(model, node.recoil, node.isotope, flavors, fz, fn)
    return np.einsum("fkn,fkn->fn", terms, moments)


def rate_by_source(
    node: IsotopeNodes, model: PhysicsModel, mixing: tuple[tuple[str, ...], np.ndarray, np.ndarray]
) -> np.ndarray:
    """dR/dT split by source flavour: array (n_arriving β, n_source α, n_nodes) in
    counts/MeV, rate_βα = c_β·(D_βα m_α − C_βα s_α); the sum over α is :func:`rate_density`."""
    flavors, direct, osc = mixing
    fz, fn = node.form_factors(model.structure)
    terms = cross_section_terms(model, node.recoil, node.isotope, flavors, fz, fn)  # (β, k, n)
    per_source = np.einsum("bkn,akn->bakn", terms, node.moments) * direct[:, :, None, None]
    if osc.any():
        s = node.oscillated_moments(_dm2(model))
        per_source = per_source - np.einsum("bkn,akn->bakn", terms, s) * osc[:, :, None, None]
    return per_source.sum(axis=2)


def isotope_nodes(
    isotope: Isotope,
    recoil: np.ndarray,
    weights: np.ndarray,
    source: NeutrinoSource,
    flavors: tuple[str, ...],
    exposure: float,
    flavor_scale: np.ndarray | None = None,
    live: np.ndarray | None = None,
) -> IsotopeNodes:
    """Nodes with their spectrum moments; ``exposure`` = nuclei × live time (s);
    ``flavor_scale`` (n_flavors,) multiplies each source flavour (a time-window fraction).

    ``live`` (n,) boolean, optional: the nodes that some bin weighs (a column of
    ``weights`` not all zero). The moments of the others are set to 0 instead of computed:
    their counts are 0 whatever the moments (weight × rate with weight exactly 0), so
    every binned count is the same, bit for bit, and a smeared set-up skips the many nodes
    far below the threshold (three quarters of a reactor germanium set-up's)."""
    m = isotope.mass
    emin = neutrino_energy_min(recoil, m)
    scale = exposure * cross_section_prefactor(m) * np.array([source.flux_cm2_s[f] for f in flavors])
    if flavor_scale is not None:
        scale = scale * flavor_scale
    moments = _node_moments(source, flavors, emin, scale, live)
    return IsotopeNodes(isotope, recoil, weights, emin, moments, scale, momentum_transfer(recoil, m), source, flavors)
