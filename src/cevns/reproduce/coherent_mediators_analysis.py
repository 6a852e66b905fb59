"""The exact χ² of the mediator part of ``cevns reproduce coherent-overview``.

Light mediators, neutrino charge radii and millicharges from the two shipped single-bin
COHERENT data sets: ``coherent-csi-2017`` (CsI 2017, the pull χ² of D. K. Papoulias and
T. S. Kosmas, HNPS proceedings, the short version of Phys. Rev. D 97, 033003 (2018),
arXiv:1711.09773, Eq. 6) and ``coherent-lar-2020-counting`` (CENNS-10 LAr Analysis A,
COHERENT, PRL 126, 012002 (2021)), combined as χ²_CsI+Ar = χ²_CsI + χ²_Ar. The Z′ models
(universal, B−L) and the scalar are those of :mod:`cevns.physics.interactions`; the contact
limit of a heavy Z′ is ε = g² Q_ν Q_q / (√2 G_F M²) (F. Dordei, Invisibles 2021 talk, slide
"Heavy vs light NSI mediators").

Exactness and speed: at fixed mediator mass the expected count is a polynomial in x = g²
of degree 2 (vector: SM + interference ∝ g² + g⁴; scalar: SM + g⁴, no interference;
:mod:`cevns.physics.interactions`), and it is a polynomial of degree 2 in ⟨r²⟩ (a constant shift of
g_V^p) and in q_ν (a shift of g_V^p ∝ q_ν/q²). :func:`quadratic_counts` recovers the three
coefficients per bin from three full predictions and checks them on a fourth, so every
χ² afterwards is evaluated exactly on dense grids in one vectorised call, and every
interval end and exclusion coupling is refined by Brent's method on that exact function.

The published numbers, the figures and the steps are in
:mod:`cevns.reproduce.coherent_mediators`.
Pure library code: no files, no figures, no CLI.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from cevns.errors import InputError
from cevns.reproduce.variants import load_variant
from cevns.config.overrides import cached_per_overrides
from cevns.stats.fits import ExperimentLikelihood
from cevns.stats.chi2 import delta_chi2_threshold
from cevns.stats.emulators import FLOOR, barycentric_matrix, lobatto
from cevns.units import G_FERMI
from cevns.stats.profiles import OneParameterProfile, profile_of_chi2

#: The two data sets (shipped experiments) and their labels.
DATA_SETS: Mapping[str, str] = {"CsI": "coherent-csi-2017", "Ar": "coherent-lar-2020-counting"}
#: Label of the sum χ²_CsI + χ²_Ar.
COMBINED = "CsI+Ar"
#: Mediator models drawn: label → (parameter family, Z′ model name or None for the scalar).
MEDIATORS: Mapping[str, tuple[str, str | None]] = {
    "universal Z′": ("zprime", "universal"),
    "B−L Z′": ("zprime", "B-L"),
    "scalar φ": ("scalar", None),
}
#: Δχ² of the exclusion regions: 90% CL, 2 dof (a region in the (M, g) plane), relative to
#: the minimum over the plane; the 1-dof "raster" alternative (2.71 relative to the minimum
#: at each mass) is computed alongside (PDG Review of Statistics, Table 40.2).
CL = 0.90
#: Typical q² of the two data sets (MeV²): 2 M T at T ≈ 20 keV (CsI) or 50 keV (Ar), ~4000 MeV².
#: Only sets the scale of the probe couplings (any scale gives the same exact polynomial).
_Q2_TYPICAL_MEV2 = 4000.0
_SQRT2_GF = math.sqrt(2.0) * G_FERMI


# --- exact quadratic counts -------------------------------------------------------------------
@dataclass(frozen=True)
class QuadraticCounts:
    """Expected signal per data bin as an exact quadratic in one variable x:
    s(x) = c₀ + c₁ x + c₂ x²; ``coefficients`` has shape (3, bins)."""

    coefficients: np.ndarray

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        """Signal per bin at x (any shape) → shape x.shape + (bins,)."""
        x = np.asarray(x, dtype=float)[..., None]
        c0, c1, c2 = self.coefficients
        return c0 + x * (c1 + x * c2)


def quadratic_counts(
    likelihood: ExperimentLikelihood,
    assign: Callable[[float], Mapping[str, float | str]],
    probes: Sequence[float],
    check: float | None,
    rtol: float = 1e-9,
    known: Mapping[float, np.ndarray] | None = None,
) -> QuadraticCounts:
    """The signal of ``likelihood`` as the quadratic in x through the three ``probes``
    (full predictions at ``assign(x)``, or the signal ``known[x]`` where given: e.g. the SM
    signal at g = 0, the same at every mediator mass), verified at ``check`` to ``rtol`` ×
    the largest probe signal (``check=None``: not verified, for a caller that verifies the
    same family elsewhere); raises ValueError if the model is not quadratic in x there."""
    xs = np.asarray(probes, dtype=float)
    if xs.shape != (3,) or len(set(xs.tolist())) != 3:
        raise ValueError("quadratic_counts needs three distinct probe points")
    known = known or {}
    signals = np.stack([np.asarray(known[float(x)], dtype=float) if float(x) in known else likelihood.signal(assign(float(x)))
                        for x in xs])
    coefficients = np.linalg.solve(np.vander(xs, 3, increasing=True), signals)
    quad = QuadraticCounts(coefficients)
    if check is None:
        return quad
    exact = likelihood.signal(assign(float(check)))
    scale = float(np.abs(signals).max())
    if np.max(np.abs(quad(check) - exact)) > rtol * scale:
        raise ValueError(f"the counts are not quadratic in this variable (checked at {check:g})")
    return quad


@cached_per_overrides
def likelihoods() -> dict[str, ExperimentLikelihood]:
    """The two single-bin likelihoods, CsI 2017 and CENNS-10 LAr (loaded once)."""
    out = {}
    for label, name in DATA_SETS.items():
        exp = load_variant(name)  # coherent-lar-2020-counting: a variant of coherent-lar-2020
        out[label] = ExperimentLikelihood(exp.predictor(), exp.measurement(), {})
    return out


def chi2_curves(quads: Mapping[str, QuadraticCounts], x: np.ndarray) -> dict[str, np.ndarray]:
    """χ² of each data set and of their sum at x (any shape), from exact quadratics."""
    lks = likelihoods()
    out = {k: np.asarray(lks[k].chi2_from_signal(quads[k](x)), dtype=float) for k in DATA_SETS}
    out[COMBINED] = np.sum([out[k] for k in DATA_SETS], axis=0)
    return out


# --- light mediators ---------------------------------------------------------------------------
def mediator_assign(model: str, mass: float) -> Callable[[float], Mapping[str, float | str]]:
    """x = g² → the named parameters of ``model`` (a :data:`MEDIATORS` label) at ``mass`` (MeV)."""
    zmodel = MEDIATORS[model][1]
    if zmodel is not None:  # a Z′ model
        return lambda x: {"zprime_model": zmodel, "zprime_mass": mass, "zprime_coupling": math.sqrt(x)}
    return lambda x: {"scalar_mass": mass, "scalar_coupling": math.sqrt(x)}


def mediator_quadratics(model: str, mass: float, check: bool = True,
                        sm: Mapping[str, np.ndarray] | None = None) -> dict[str, QuadraticCounts]:
    """Exact N(g²) of both data sets at ``mass``: three probes and one check each (no check
    with ``check=False``; the probe at g = 0 taken from ``sm[data set]`` where given: with
    g = 0 the mediator drops out, so it is the SM signal at every mass). The probe scale
    h = 0.1 G_F (M² + q²_typ) puts the new-physics term at O(10%) of the SM (only the
    conditioning depends on it)."""
    h = _probe_scale(mass)
    assign = mediator_assign(model, mass)
    return {k: quadratic_counts(lk, assign, (0.0, h, 2.0 * h), 3.0 * h if check else None,
                                known={0.0: sm[k]} if sm is not None else None)
            for k, lk in likelihoods().items()}


#: :func:`mediator_exclusions` checks the exact quadratic N(g²) against a fifth prediction at
#: every this-many-th mass (and the last): the form is the same at every mass.
CHECK_EVERY = 8


def _probe_scale(mass: float) -> float:
    return 0.1 * G_FERMI * (mass**2 + _Q2_TYPICAL_MEV2)


@dataclass(frozen=True)
class Exclusion:
    """90% CL exclusion of one mediator model and one data set on a mass grid.

    ``allowed[i]``: the allowed coupling pieces at ``masses[i]`` ((g_lo, g_hi), ...; the
    first starts at g = 0, a second is the island where the weak charge changes sign);
    ``bound``: upper end of the first piece (the exclusion curve); ``island``: (low, high)
    of the second piece or NaN; ``raster``: the 1-dof bound (Δχ² = 2.71 relative to the
    minimum at that mass); ``chi2_min``: the minimum over the plane (the reference of
    ``bound``); ``chi2_min_per_mass``: the minimum at each mass (the reference of ``raster``);
    ``emulator``: the line of the mass emulator used (empty: every mass computed exactly)."""

    model: str
    data: str
    masses: np.ndarray
    allowed: tuple[tuple[tuple[float, float], ...], ...]
    bound: np.ndarray
    island: np.ndarray
    raster: np.ndarray
    chi2_min: float
    chi2_min_per_mass: np.ndarray
    emulator: str = ""


class _BatchChi2:
    """χ² of one data set (or of the sum) for many masses at once: ``coefficients[k]`` of
    shape (n_mass, 3, bins) hold the exact N(g²) of data set k at each mass; a call with
    row indices and x = g² (equal 1-D shapes) returns χ² at each (row, x)."""

    def __init__(self, coefficients: Mapping[str, np.ndarray], data: str) -> None:
        self.coefficients = coefficients
        self.names = tuple(DATA_SETS) if data == COMBINED else (data,)

    def __call__(self, rows: np.ndarray, x: np.ndarray) -> np.ndarray:
        lks = likelihoods()
        total = np.zeros(np.shape(x))
        for k in self.names:
            c = self.coefficients[k][rows]
            xx = np.asarray(x, dtype=float)[:, None]
            total = total + lks[k].chi2_from_signal(c[:, 0] + xx * (c[:, 1] + xx * c[:, 2]))
        return total


def _bisect(f: _BatchChi2, rows: np.ndarray, a: np.ndarray, b: np.ndarray, level: np.ndarray, iterations: int = 60) -> np.ndarray:
    """Roots of f(row, x) = level in [a, b] (a sign change at the ends), all rows at once;
    60 halvings take a bracket of one grid step to rounding."""
    fa = f(rows, a) - level
    for _ in range(iterations):
        m = 0.5 * (a + b)
        fm = f(rows, m) - level
        left = np.sign(fm) == np.sign(fa)
        a, fa = np.where(left, m, a), np.where(left, fm, fa)
        b = np.where(left, b, m)
    return 0.5 * (a + b)


def _golden_minimum(f: _BatchChi2, rows: np.ndarray, a: np.ndarray, b: np.ndarray, iterations: int = 64) -> np.ndarray:
    """min of f(row, ·) on [a, b] by golden-section search, all rows at once (f unimodal
    there; 64 steps shrink the bracket by 0.618⁶⁴ ≈ 4e-14)."""
    r = 0.5 * (math.sqrt(5.0) - 1.0)
    c, d = b - r * (b - a), a + r * (b - a)
    fc, fd = f(rows, c), f(rows, d)
    for _ in range(iterations):
        left = fc < fd  # the minimum lies in [a, d]: d ← c, and a new c; else [c, b]: c ← d, and a new d
        b, a = np.where(left, d, b), np.where(left, a, c)
        c, d = np.where(left, b - r * (b - a), d), np.where(left, c, a + r * (b - a))
        fn = f(rows, np.where(left, c, d))
        fc, fd = np.where(left, fn, fd), np.where(left, fc, fn)
    return np.minimum(fc, fd)


def _allowed_pieces(f: _BatchChi2, x: np.ndarray, values: np.ndarray, level: np.ndarray) -> list[tuple[tuple[float, float], ...]]:
    """Per row of the grid ``x`` (n_mass, k; x[:, 0] = 0): the pieces {x : f ≤ level}, every
    crossing refined by bisection on the exact χ²; a piece still allowed at the grid's
    top is cut there (never happens for these models: χ² grows monotonically beyond)."""
    inside = values <= level[:, None]
    i, j = np.nonzero(inside[:, 1:] != inside[:, :-1])
    roots = _bisect(f, i, x[i, j], x[i, j + 1], level[i]) if i.size else np.empty(0)
    out = []
    for row in range(x.shape[0]):
        ends = roots[i == row].tolist()
        pts = ([x[row, 0]] if inside[row, 0] else []) + ends + ([x[row, -1]] if inside[row, -1] else [])
        out.append(tuple((float(pts[n]), float(pts[n + 1])) for n in range(0, len(pts), 2)))
    return out


# --- the mass emulator --------------------------------------------------------------------------
#: Q² (MeV²) of the emulator's mass variable z = Q²/(M² + Q²) (see :func:`mediator_mass_emulator`).
EMULATOR_Q2_MEV2 = 1000.0
#: Chebyshev intervals of the emulator (EMULATOR_NODES + 1 Lobatto points in z).
EMULATOR_NODES = 48
#: Random masses (seeded) at which an emulator is checked against full predictions.
EMULATOR_CHECKS = 6
#: Tolerance of an accepted emulator: the error of each scaled coefficient, per bin, relative
#: to that bin's SM count (see :func:`mediator_mass_emulator`).
EMULATOR_RTOL = 1e-10
#: Seed of the emulator's check masses.
EMULATOR_SEED = 20200301


@dataclass(frozen=True, eq=False)
class MassEmulator:
    """The exact quadratic N(g²) of one mediator model as a function of its mass.

    ``nodes``: Chebyshev–Lobatto points in z = Q²/(M² + Q²) (Q² = :data:`EMULATOR_Q2_MEV2`),
    ``weights``: their barycentric weights; ``scaled[k]`` (nodes, 2, bins): the coefficients
    c₁ h and c₂ h² of data set k at each node (h the probe scale at that mass, so both are
    O(10%) and O(1%) of the SM count at every mass); ``sm[k]``: the SM signal (c₀, the same
    at every mass). ``accepted``: the random check passed (``max_error`` ≤ ``rtol``);
    ``predictions``: full predictions spent on nodes and checks."""

    model: str
    low: float
    high: float
    nodes: np.ndarray
    weights: np.ndarray
    scaled: Mapping[str, np.ndarray]
    sm: Mapping[str, np.ndarray]
    max_error: float
    rtol: float
    checks: int
    predictions: int
    accepted: bool

    def coefficients(self, masses: np.ndarray) -> dict[str, np.ndarray]:
        """The quadratic coefficients (len(masses), 3, bins) of each data set at ``masses`` (MeV)."""
        masses = np.asarray(masses, dtype=float)
        matrix = barycentric_matrix(self.nodes, self.weights, _mass_variable(masses))
        h = np.array([_probe_scale(float(m)) for m in masses])
        out = {}
        for k, table in self.scaled.items():
            d = (matrix @ table.reshape(table.shape[0], -1)).reshape(masses.size, *table.shape[1:])
            c0 = np.broadcast_to(self.sm[k], (masses.size, self.sm[k].size))
            out[k] = np.stack([c0, d[:, 0] / h[:, None], d[:, 1] / (h * h)[:, None]], axis=1)
        return out

    def text(self) -> str:
        """One line for a report."""
        state = "accepted" if self.accepted else "refused (every mass computed exactly)"
        return (f"N(g²) emulated in the mass ({self.nodes.size} Chebyshev points in Q²/(M² + Q²), Q² = {EMULATOR_Q2_MEV2:g} MeV²): "
                f"{state}, max error {self.max_error:.1e} of the SM count per bin at {self.checks} random masses "
                f"(tolerance {self.rtol:g}); {self.predictions} full predictions")


def _mass_variable(masses: np.ndarray) -> np.ndarray:
    m = np.asarray(masses, dtype=float)
    return EMULATOR_Q2_MEV2 / (m * m + EMULATOR_Q2_MEV2)


def _scaled(quads: Mapping[str, QuadraticCounts], mass: float) -> dict[str, np.ndarray]:
    h = _probe_scale(mass)
    return {k: np.stack([q.coefficients[1] * h, q.coefficients[2] * h * h]) for k, q in quads.items()}


def mediator_mass_emulator(model: str, low: float, high: float, sm: Mapping[str, np.ndarray] | None = None,
                           nodes: int = EMULATOR_NODES, checks: int = EMULATOR_CHECKS, rtol: float = EMULATOR_RTOL,
                           seed: int = EMULATOR_SEED) -> MassEmulator:
    """A verified emulator of the exact N(g²) of ``model`` for masses in [``low``, ``high``] MeV.

    Why it works: at fixed mass the counts are c₀ + c₁ g² + c₂ g⁴ (:func:`mediator_quadratics`),
    and the mass enters c₁ and c₂ only through the propagator, 1/(q² + M²) and its square
    (D. K. Papoulias & T. S. Kosmas, arXiv:1711.09773, Eq. 9 for the vector; the scalar of
    :mod:`cevns.physics.interactions` likewise): c₁ h and c₂ h², with h ∝ M² + Q²_typ, are
    bounded, analytic functions of M² whose only singularities lie at M² = −q² for the
    momentum transfers q² the data weigh. In z = Q²/(M² + Q²) these become poles on the real
    line outside [0, 1], so polynomial interpolation at Chebyshev points of z converges
    geometrically (L. N. Trefethen, *Approximation Theory and Approximation Practice*, SIAM
    2013, Theorem 8.2; barycentric formula, J.-P. Berrut & L. N. Trefethen, SIAM Review 46,
    501 (2004), Eq. 5.4). Q² = 1000 MeV² keeps the poles of both data sets far from the ends
    (measured here: 41 points reach 2 × 10⁻¹¹, against 2 × 10⁻⁵ for the same number in ln M).

    Verification: at ``checks`` random masses (uniform in ln M; seeded) the exact quadratic
    (two full predictions per data set and a third that checks the quadratic form,
    :func:`quadratic_counts`) is compared with the emulated one: every scaled coefficient, in
    every bin, must agree to ``rtol`` × that bin's SM count (floored at
    :data:`~cevns.stats.emulators.FLOOR` of the largest), so the counts at g² = k h differ by
    at most (k + k²) ``rtol`` of the SM count. 10⁻¹⁰ keeps every χ² crossing within 10⁻⁸ of the
    exact one (the tests read them to 10⁻⁶). ``accepted`` is False otherwise: the caller then
    computes every mass exactly."""
    if not (0.0 < low < high and math.isfinite(high)):
        raise InputError(f"mediator emulator: need 0 < low < high MeV, got {low}, {high}")
    lks = likelihoods()
    if sm is None:
        sm = {k: lk.signal(mediator_assign(model, low)(0.0)) for k, lk in lks.items()}
    z_lo, z_hi = float(_mass_variable(np.array(high))), float(_mass_variable(np.array(low)))
    unit, weights = lobatto(nodes)
    z = 0.5 * (z_lo + z_hi) + 0.5 * (z_hi - z_lo) * unit
    # masses at the nodes: the ends exactly (z → M loses digits near z = 1)
    node_masses = np.sqrt(EMULATOR_Q2_MEV2 * (1.0 - z) / z)
    node_masses[0], node_masses[-1] = low, high
    z[0], z[-1] = z_hi, z_lo
    per_node = [_scaled(mediator_quadratics(model, float(m), check=False, sm=sm), float(m)) for m in node_masses]
    scaled = {k: np.stack([p[k] for p in per_node]) for k in DATA_SETS}
    emu = MassEmulator(model, low, high, z, weights, scaled, dict(sm), math.nan, rtol, 0, 2 * len(DATA_SETS) * z.size, False)
    rng = np.random.default_rng(seed)
    check_masses = np.exp(rng.uniform(math.log(low), math.log(high), size=checks))
    emulated = emu.coefficients(check_masses)
    error = 0.0
    for i, m in enumerate(check_masses):
        exact = _scaled(mediator_quadratics(model, float(m), check=True, sm=sm), float(m))
        for k in DATA_SETS:
            h = _probe_scale(float(m))
            approx = np.stack([emulated[k][i, 1] * h, emulated[k][i, 2] * h * h])
            s0 = np.abs(np.asarray(sm[k], dtype=float))
            scale = np.maximum(s0, FLOOR * s0.max())
            error = max(error, float(np.max(np.abs(approx - exact[k]) / np.where(scale > 0, scale, 1e-300))))
    ok = checks > 0 and error <= rtol
    spent = emu.predictions + 3 * len(DATA_SETS) * checks
    return MassEmulator(model, low, high, z, weights, scaled, dict(sm), error if checks else math.nan, rtol, checks, spent, ok)


def _emulation_pays(n_masses: int) -> bool:
    """Whether the emulator costs fewer predictions than the masses one by one (2 per data set each)."""
    return n_masses > EMULATOR_NODES + 1 + 1.5 * EMULATOR_CHECKS


def mediator_exclusions(model: str, masses: np.ndarray, n_couplings: int,
                        emulate: bool | None = None) -> dict[str, Exclusion]:
    """Exclusion curves of ``model`` for CsI, Ar and CsI+Ar on ``masses`` (MeV).

    At each mass: exact N(g²) (:func:`mediator_quadratics`: two predictions per data set
    and the SM signal at g = 0, computed once; a check prediction at every
    :data:`CHECK_EVERY`-th mass and the last) — or, on a mass grid longer than the
    emulator's points (``emulate=None``; ``True``/``False`` force it), from the verified
    :func:`mediator_mass_emulator` over the grid's range, if it is accepted (its line is
    ``Exclusion.emulator``); χ² on a log grid of ``n_couplings`` values of g² from 10⁻⁴ h to 10³ h (h the probe
    scale: from a negligible effect to far past every crossing; beyond it χ² only grows),
    minima refined by golden-section search and threshold crossings by bisection on the
    exact χ²(g²), vectorised over all masses."""
    masses = np.asarray(masses, dtype=float)
    sm = {k: lk.signal(mediator_assign(model, float(masses[0]))(0.0)) for k, lk in likelihoods().items()}
    coefficients: dict[str, np.ndarray] | None = None
    note = ""
    if masses.size > 1 and (emulate if emulate is not None else _emulation_pays(masses.size)):
        emu = mediator_mass_emulator(model, float(masses.min()), float(masses.max()), sm)
        note = emu.text()
        if emu.accepted:
            coefficients = emu.coefficients(masses)
    if coefficients is None:
        quads = [mediator_quadratics(model, float(m), check=i % CHECK_EVERY == 0 or i == masses.size - 1, sm=sm)
                 for i, m in enumerate(masses)]
        coefficients = {k: np.stack([q[k].coefficients for q in quads]) for k in DATA_SETS}
    h = np.array([_probe_scale(float(m)) for m in masses])
    x = np.concatenate([np.zeros((masses.size, 1)), h[:, None] * np.logspace(-4.0, 3.0, n_couplings)[None, :]], axis=1)
    rows = np.repeat(np.arange(masses.size), x.shape[1])
    t2, t1 = float(delta_chi2_threshold(CL, 2)), float(delta_chi2_threshold(CL, 1))
    out = {}
    for data in (*DATA_SETS, COMBINED):
        f = _BatchChi2(coefficients, data)
        values = f(rows, x.ravel()).reshape(x.shape)
        j = np.argmin(values, axis=1)
        r = np.arange(masses.size)
        lo, hi = x[r, np.maximum(j - 1, 0)], x[r, np.minimum(j + 1, x.shape[1] - 1)]
        per_mass = np.minimum(_golden_minimum(f, r, lo, hi), values[r, j])
        plane_min = float(per_mass.min())
        pieces = _allowed_pieces(f, x, values, np.full(masses.size, plane_min + t2))
        raster = _allowed_pieces(f, x, values, per_mass + t1)
        allowed = tuple(tuple((math.sqrt(a), math.sqrt(b)) for a, b in p) for p in pieces)
        bound = np.array([p[0][1] if p and p[0][0] == 0.0 else 0.0 for p in allowed])
        island = np.array([p[1] if len(p) > 1 else (np.nan, np.nan) for p in allowed])
        raster_bound = np.array([math.sqrt(p[0][1]) if p and p[0][0] == 0.0 else 0.0 for p in raster])
        out[data] = Exclusion(model, data, masses, allowed, bound, island, raster_bound, plane_min, per_mass, note)
    return out


def contact_nsi_assign(model: str) -> Callable[[float], dict[str, float]]:
    """ε → the contact NSI equivalent to a heavy Z′ of ``model``: ε^{uV}_{αα} = ε^{dV}_{αα} = ε
    for every flavour α (both models here have Q_u = Q_d, so one ε; its value for a given
    g and M is :func:`heavy_mass_epsilon`)."""
    if MEDIATORS[model][0] != "zprime":
        raise InputError(f"{model}: only vector mediators have a contact-NSI limit (the scalar does not interfere)")
    return lambda e: {f"eps_{a}_{q}V": e for a in ("ee", "mumu", "tautau") for q in ("u", "d")}


def contact_nsi_bound(model: str, level: float, sign: float) -> float:
    """The contact-NSI ε (every flavour, ε^u = ε^d) on the side ``sign`` of zero where the
    CsI+Ar χ² reaches ``level``, from the exact quadratic N(ε) and Brent's method: the
    m → ∞ limit that the heavy-Z′ exclusion must reproduce."""
    assign = contact_nsi_assign(model)
    quads = {k: quadratic_counts(lk, assign, (-0.05, 0.0, 0.05), 0.1) for k, lk in likelihoods().items()}

    def f(e: float) -> float:
        return float(chi2_curves(quads, np.array([e]))[COMBINED][0]) - level

    grid = sign * np.linspace(0.0, 1.0, 2001)
    values = chi2_curves(quads, grid)[COMBINED] - level
    k = int(np.flatnonzero(values > 0)[0])
    return float(optimize.brentq(f, grid[k - 1], grid[k], xtol=1e-15))


def heavy_mass_epsilon(model: str, coupling: float, mass: float) -> float:
    """ε^{uV} = ε^{dV} of the contact limit of a Z′: g² Q_ν Q_q / (√2 G_F M²) (Dordei's
    Invisibles 2021 talk, slide 'Heavy vs light NSI mediators', q² ≪ M²; universal: Q_ν = Q_q = 1; B−L: Q_ν = −1, Q_q = ⅓)."""
    zmodel = MEDIATORS[model][1]
    if zmodel is None:
        raise InputError(f"{model!r} is not a Z′ model")
    q_nu, q_q = {"universal": (1.0, 1.0), "B-L": (-1.0, 1.0 / 3.0)}[zmodel]
    return coupling**2 * q_nu * q_q / (_SQRT2_GF * mass**2)


# --- charge radius and millicharge -------------------------------------------------------------
def em_quadratics(name: str, scale: float) -> dict[str, QuadraticCounts]:
    """Exact N(x) of both data sets for the parameter ``name`` (r2_nu_*, q_nu_*), probes at
    −scale, 0, +scale and a check at 2 scale."""
    return {k: quadratic_counts(lk, lambda x: {name: x}, (-scale, 0.0, scale), 2.0 * scale) for k, lk in likelihoods().items()}


def em_profiles(name: str, grid: np.ndarray, scale: float, unit: float = 1.0) -> dict[str, OneParameterProfile]:
    """Δχ² profiles of ``name`` for CsI, Ar and CsI+Ar on ``grid`` (in units of ``unit``)."""
    quads = em_quadratics(name, scale * unit)

    def chi2_of(data: str) -> Callable[[np.ndarray], np.ndarray]:
        return lambda x: chi2_curves(quads, np.asarray(x) * unit)[data]

    return {
        data: profile_of_chi2(chi2_of(data), np.asarray(grid, dtype=float), levels=_LEVELS, label=f"{name} ({data})")
        for data in (*DATA_SETS, COMBINED)
    }


#: Levels of the EM profiles (1 dof): 1σ, 90% (the reported one) and 99% (to say how far a CL change goes).
_LEVELS = {"1sigma": math.erf(1 / math.sqrt(2)), "90%": CL, "99%": 0.99}


def data_over_sm() -> dict[str, float]:
    """(observed − beam background)/SM prediction of each single-bin data set."""
    out = {}
    for k, lk in likelihoods().items():
        m = lk.measurement
        out[k] = float((np.sum(m.observed) - np.sum(m.background)) / np.sum(lk.signal({})))
    return out


__all__ = [
    "CL",
    "COMBINED",
    "DATA_SETS",
    "MEDIATORS",
    "Exclusion",
    "QuadraticCounts",
    "chi2_curves",
    "contact_nsi_assign",
    "contact_nsi_bound",
    "data_over_sm",
    "em_profiles",
    "em_quadratics",
    "heavy_mass_epsilon",
    "likelihoods",
    "mediator_assign",
    "CHECK_EVERY",
    "EMULATOR_CHECKS",
    "EMULATOR_NODES",
    "EMULATOR_Q2_MEV2",
    "EMULATOR_RTOL",
    "MassEmulator",
    "mediator_mass_emulator",
    "mediator_exclusions",
    "mediator_quadratics",
    "quadratic_counts",
]
