"""COHERENT CsI[Na] full data set (D. Akimov et al. (COHERENT), PRL 129, 081801 (2022),
arXiv:2110.07730): the paper's ancillary files.

* :func:`load_csi_2021` → :class:`CsI2021Release` — event lists, BRN / NIN shapes,
  efficiency and scintillation-response coefficients.
* :func:`csi_2021_likelihood` — the binned likelihood of the release, PE × t_rec in the
  CEvNS region (PE < 60, 0 ≤ t_rec < 6 µs), for ``cevns compare/fit/scan --data-release``.
* :data:`RELEASE` — the registry entry (:mod:`cevns.releases.registry`): files with their
  SHA-256, the loader and the likelihood, compared with the shipped ``coherent-csi-2021``
  experiment. The release's 2-D SNS flux ``snsFlux2D.root`` is not in the registry (no
  checksum of it could be established here) and is not needed: the CEvNS prediction uses the
  package's πDAR source and arrival times (:data:`cevns.sources.timing.CSI_2021_BRN_PULSE`).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from cevns.config.experiments import load_experiment
from cevns.config.overrides import active_experiment_overrides, user_overrides_for
from cevns.errors import InputError
from cevns.releases.reading import edges_from_centres, frozen, read_table, read_text, release_folder, require_file
from cevns.releases.registry import DataRelease, file_table
from cevns.sources.timing import ExponentialTimeEfficiency, us
from cevns.stats.templates import Axis, Background, ShapeSystematic, TemplateData, TemplateLikelihood

# --- published numbers and analysis inputs ---------------------------------------------------------
#: COHERENT's Standard-Model CEvNS prediction in the CEvNS region of the full CsI[Na] data set,
#: 341 ± 11 (theory) ± 42 (experiment) events, and the best fit, 306 ± 20 events (D. Akimov et al.
#: (COHERENT), PRL 129, 081801 (2022), arXiv:2110.07730).
COHERENT_2021_SM_PREDICTION = 341.0
COHERENT_2021_SM_PREDICTION_THEORY_ERROR = 11.0
COHERENT_2021_SM_PREDICTION_EXPERIMENT_ERROR = 42.0
COHERENT_2021_BEST_FIT = 306.0
COHERENT_2021_BEST_FIT_ERROR = 20.0
#: The CEvNS region of the release (its README, as quoted by the release's users): PE < 60 and
#: 0 ≤ t_rec < 6 µs; events up to 250 PE and 12 µs are released for other searches.
CSI_2021_PE_MAX = 60.0
CSI_2021_T_MAX_US = 6.0
#: Beam-related (prompt) neutrons and neutrino-induced neutrons in the CEvNS region: 18.4 and 5.6
#: events (the normalisations a Python reproduction of arXiv:2110.07730 uses, read in its code,
#: not in the paper: medium confidence) with 25% and 36% normalisation uncertainties (the priors
#: of Newtrinos' CsI 2021 likelihood, Newtrinos-org/Newtrinos.jl coherent_csi.jl).
CSI_2021_BRN_COUNTS = 18.4
CSI_2021_BRN_UNCERTAINTY = 0.25
CSI_2021_NIN_COUNTS = 5.6
CSI_2021_NIN_UNCERTAINTY = 0.36
#: Neutrino-flux normalisation uncertainty, 10% (the prior of Newtrinos' SNS flux, the usual
#: COHERENT flux uncertainty). The only pure normalisation term of the signal here: no separate
#: form-factor or light-yield normalisation uncertainty was found in the sources used.
CSI_2021_FLUX_UNCERTAINTY = 0.10


def _labelled_rows(path: Path, columns: int) -> list[tuple[str, tuple[float, ...]]]:
    """Rows of ``columns`` numbers, each with the last '#' comment line above it."""
    label, rows = "", []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            label = s.lstrip("#").strip()
            continue
        try:
            values = tuple(float(x) for x in s.split())
        except ValueError:
            raise InputError(f"{path}, line {number}: non-numeric value in {s!r}") from None
        if len(values) != columns:
            raise InputError(f"{path}, line {number}: expected {columns} coefficients, got {len(values)}")
        rows.append((label, values))
    if not rows or "nominal" not in rows[0][0].lower():
        raise InputError(f"{path}: expected a '# Nominal ...' coefficient line first")
    return rows


def _four(values: tuple[float, ...]) -> tuple[float, float, float, float]:
    """The four coefficients of a row read with ``columns=4``."""
    a, b, c, d = values
    return a, b, c, d


@dataclass(frozen=True, eq=False)
class CsI2021Release:
    """COHERENT CsI[Na] full data set: D. Akimov et al. (COHERENT), PRL 129, 081801 (2022),
    arXiv:2110.07730, ancillary files (no Zenodo DOI is given for them in our sources; the
    2-D SNS flux file ``snsFlux2D.root`` of that release is not read here).

    Event lists hold one row per selected event: reconstructed energy in PE and recoil time
    t_rec in µs (in the copies checked: 6 ≤ PE < 250, 0 ≤ t_rec < 6 µs). BRN (prompt
    beam-related neutrons) and NIN (neutrino-induced neutrons) shapes are given separately
    in PE (1-PE bins on [0, 250]) and in t_rec (0.01-µs bins on [−0.25, 6.25] µs), in the
    release's arbitrary normalisation (use :meth:`normalised` for unit-sum shapes).
    """

    folder: Path
    #: Beam-on coincidence events (N_C, 2): columns PE, t_rec (µs).
    coincidence_events: np.ndarray
    #: Beam-on anticoincidence (steady-state background) events (N_AC, 2): PE, t_rec (µs).
    anticoincidence_events: np.ndarray
    #: PE bin edges (251,) of the BRN/NIN energy shapes.
    pe_edges: np.ndarray
    #: t_rec bin edges (651,) of the BRN/NIN time shapes, µs.
    time_edges_us: np.ndarray
    brn_pe: np.ndarray
    brn_time: np.ndarray
    nin_pe: np.ndarray
    nin_time: np.ndarray
    #: Efficiency ε(x) = a/(1 + exp(−b(x − c))) + d, x in PE: nominal (a, b, c, d) ...
    efficiency_coefficients: tuple[float, float, float, float]
    #: ... and the systematic variants as (label in the file, (a, b, c, d)).
    efficiency_systematics: tuple[tuple[str, tuple[float, ...]], ...]
    #: Scintillation response E_ee = a x + b x² + c x³ + d x⁴, x in MeVnr, E_ee in MeVee:
    #: nominal (a, b, c, d) ...
    quenching_coefficients: tuple[float, float, float, float]
    #: ... and the systematic variants as (label in the file, (a, b, c, d)).
    quenching_systematics: tuple[tuple[str, tuple[float, ...]], ...]

    @staticmethod
    def normalised(shape: np.ndarray) -> np.ndarray:
        """A shape divided by its sum (fractions per bin)."""
        return shape / shape.sum()

    def efficiency_at(self, pe: np.ndarray | float, coefficients: tuple[float, ...] | None = None) -> np.ndarray:
        """ε(PE) = a/(1 + exp(−b(PE − c))) + d with the nominal (or given) coefficients,
        clipped to [0, 1] (effCoefficients.txt)."""
        a, b, c, d = coefficients or self.efficiency_coefficients
        x = np.asarray(pe, dtype=float)
        return np.clip(a / (1.0 + np.exp(-b * (x - c))) + d, 0.0, 1.0)

    def quenching_polynomial_kev(self, coefficients: tuple[float, ...] | None = None) -> tuple[float, ...]:
        """The scintillation response as E_ee[keVee] = Σ c_k T[keVnr]^k, coefficients
        (c₀ = 0, c₁ … c₄) for :class:`cevns.detector.response.PolynomialQuenching`:
        c_k = a_k · 1000^(1−k) from the MeV form of scintRespCoefficients.txt."""
        a = coefficients or self.quenching_coefficients
        return (0.0,) + tuple(float(v) * 1000.0 ** (1 - k) for k, v in enumerate(a, start=1))


def load_csi_2021(folder: str | Path) -> CsI2021Release:
    """Read the COHERENT CsI[Na] 2021 release (arXiv:2110.07730 ancillary files) from ``folder``.

    Files: ``dataBeamOnC.txt``, ``dataBeamOnAC.txt`` (PE, t_rec µs per event), ``brnPE.txt``,
    ``ninPE.txt`` (PE bin centre, value), ``brnTrec.txt``, ``ninTrec.txt`` (t_rec bin centre
    µs, value), ``effCoefficients.txt`` and ``scintRespCoefficients.txt`` (commented blocks of
    four coefficients, nominal first).
    """
    root = release_folder(folder, "CsI 2021")
    out: dict[str, Any] = {"folder": root}
    for key, name in (("coincidence_events", "dataBeamOnC.txt"), ("anticoincidence_events", "dataBeamOnAC.txt")):
        path = require_file(root, name)
        events = read_table(path, 2)
        if np.any(events[:, 0] < 0) or np.any(events[:, 1] < 0):
            raise InputError(f"{path}: negative PE or time")
        out[key] = frozen(events)
    pe_edges = time_edges = np.empty(0)  # empty until the first PE / time shape is read
    for key, name, low, width, what in (
        ("brn_pe", "brnPE.txt", 0.0, 1.0, "PE"),
        ("nin_pe", "ninPE.txt", 0.0, 1.0, "PE"),
        ("brn_time", "brnTrec.txt", -0.25, 0.01, "time"),
        ("nin_time", "ninTrec.txt", -0.25, 0.01, "time"),
    ):
        path = require_file(root, name)
        table = read_table(path, 2)
        edges = edges_from_centres(path, table[:, 0], low, width, what)
        if np.any(table[:, 1] < 0) or not table[:, 1].sum() > 0:
            raise InputError(f"{path}: values must be ≥ 0 and not all zero")
        if what == "PE":
            if pe_edges.size and pe_edges.size != edges.size:
                raise InputError(f"{path}: PE binning differs from brnPE.txt")
            pe_edges = edges
        else:
            if time_edges.size and time_edges.size != edges.size:
                raise InputError(f"{path}: time binning differs from brnTrec.txt")
            time_edges = edges
        out[key] = frozen(table[:, 1])
    eff = _labelled_rows(require_file(root, "effCoefficients.txt"), 4)
    scint = _labelled_rows(require_file(root, "scintRespCoefficients.txt"), 4)
    return CsI2021Release(
        pe_edges=frozen(pe_edges),
        time_edges_us=frozen(np.round(time_edges, 10)),
        efficiency_coefficients=_four(eff[0][1]),
        efficiency_systematics=tuple(eff[1:]),
        quenching_coefficients=_four(scint[0][1]),
        quenching_systematics=tuple(scint[1:]),
        **out,
    )


# --- likelihood ---------------------------------------------------------------------------------
def rebin(values: np.ndarray, edges: np.ndarray, new_edges: np.ndarray) -> np.ndarray:
    """Counts of a histogram ``values`` on ``edges`` in the bins ``new_edges``, a bin cut by a
    new edge shared in proportion to its overlap (uniform within each original bin)."""
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    return np.diff(np.interp(np.asarray(new_edges, dtype=float), edges, cumulative))


def background_template(
    release: CsI2021Release, which: str, pe_edges: np.ndarray, time_edges_us: np.ndarray,
    time_efficiency: ExponentialTimeEfficiency | None, total: float,
) -> np.ndarray:
    """BRN or NIN (``which``) expected counts (n_pe, n_time): the outer product of the released
    PE and t_rec shapes (given uncorrelated, as separate projections), the time shape multiplied
    by the bin-averaged time efficiency ε_T (the released PE shapes already hold the PE
    efficiency, the time shapes not ε_T: Newtrinos' reading of the release, consistent with the
    PE shapes' zero below 7.5 PE), normalised to ``total`` events in the binned region."""
    pe = rebin(getattr(release, f"{which}_pe"), release.pe_edges, pe_edges)
    time = np.asarray(getattr(release, f"{which}_time"), dtype=float)
    if time_efficiency is not None:
        time = time * time_efficiency.bin_average(release.time_edges_us * us)
    shape = np.outer(pe, rebin(time, release.time_edges_us, time_edges_us))
    return total * shape / shape.sum()


def _systematic_sets(release: CsI2021Release) -> list[tuple[str, str, tuple[float, ...], tuple[float, ...]]]:
    """(name, kind, +1σ coefficients, −1σ coefficients) of the release's response variations:
    the two quenching models (``Syst model 0/1, ±1 sigma``) and the efficiency (two rows, both
    labelled "+1 sigma" in the file; the second is nominal − (first − nominal) to the digits
    given, so it is taken as −1σ)."""
    out = []
    for model in ("0", "1"):
        rows = {("-" if "-1" in label or "−1" in label else "+"): values
                for label, values in release.quenching_systematics if f"model {model}" in label}
        if set(rows) != {"+", "-"}:
            raise InputError(f"{release.folder}/scintRespCoefficients.txt: no ±1 sigma pair for systematic model {model}")
        out.append((f"quenching model {model}", "quenching", rows["+"], rows["-"]))
    if len(release.efficiency_systematics) != 2:
        raise InputError(f"{release.folder}/effCoefficients.txt: expected two systematic coefficient sets")
    out.append(("efficiency", "efficiency", release.efficiency_systematics[0][1], release.efficiency_systematics[1][1]))
    return out


def _variant(release: CsI2021Release, kind: str, coefficients: tuple[float, ...]) -> dict[str, Any]:
    """Experiment overrides replacing the quenching or the efficiency by a coefficient set."""
    if kind == "quenching":
        return {"detector.quenching": {"model": "polynomial", "coefficients": list(release.quenching_polynomial_kev(coefficients))}}
    a, b, c, d = coefficients
    return {"detector.efficiency": {"model": "logistic", "a": a, "k": b, "x0": c, "offset": d}}


#: How the steady-state background is modelled (:func:`csi_2021_data`).
STEADY_STATE_MODELS = ("template", "per-bin")


def steady_state_template(
    release: CsI2021Release, pe_edges: np.ndarray, time_edges_us: np.ndarray,
    time_efficiency: ExponentialTimeEfficiency | None,
) -> tuple[np.ndarray, float]:
    """The steady-state background in the beam window, (n_pe, n_time) expected counts, and
    its fractional normalisation uncertainty.

    Random coincidences are uniform in t_rec before the selection, so after it their time
    shape is the time efficiency ε_T(t) (flat without one); the PE shape is that of the
    anticoincidence (AC) events summed over the time range, and the normalisation is their
    number N_AC (equal window lengths), with the Poisson uncertainty 1/√N_AC (2.8% for the
    1295 AC events of the CEvNS region; COHERENT's analyses quote 2.1% with more AC data,
    e.g. Atzori Corona et al., arXiv:2303.09360 — a number recalled, not read, here). On the
    release the time shape ε_T describes the AC events (χ² = 6.5 for 5 degrees of freedom
    in 1-µs bins, against 11.3 for a flat shape)."""
    t = np.asarray(time_edges_us, dtype=float)
    pe = np.asarray(pe_edges, dtype=float)
    ac = release.anticoincidence_events
    inside = (ac[:, 1] >= t[0]) & (ac[:, 1] < t[-1])
    pe_counts = np.histogram(ac[inside, 0], bins=pe)[0].astype(float)
    total = float(pe_counts.sum())
    if not total > 0:
        raise InputError(f"{release.folder}: no anticoincidence events in {pe[0]:g}-{pe[-1]:g} PE, {t[0]:g}-{t[-1]:g} us")
    weight = np.diff(t) * (time_efficiency.bin_average(t * us) if time_efficiency is not None else 1.0)
    return np.outer(pe_counts, weight / weight.sum()), 1.0 / np.sqrt(total)


def csi_2021_data(
    release: CsI2021Release, pe_edges: np.ndarray, time_edges_us: np.ndarray,
    time_efficiency: ExponentialTimeEfficiency | None, shapes: tuple[ShapeSystematic, ...] = (),
    steady_state: str = "template",
) -> TemplateData:
    """The release in the bins ``pe_edges`` × ``time_edges_us`` (inside the CEvNS region
    PE < 60, 0 ≤ t_rec < 6 µs): beam-on coincidence events histogrammed as observed; the
    steady state from the anticoincidence events (the two beam-on windows are of equal
    length), ``steady_state="template"`` (default): the AC events' PE spectrum with the
    time shape of the selection, its normalisation constrained by their number
    (:func:`steady_state_template`; the collaboration's and its users' approach: a
    time-independent background measured with the AC data), or ``"per-bin"``: the AC counts
    as an off sample, a free steady state profiled in every PE × time bin with τ = 1 (no
    assumption on its shape; it carries the AC data's per-bin Poisson spread and so widens
    the CEvNS interval about 2×); BRN and NIN templates
    (:func:`background_template`, :data:`CSI_2021_BRN_COUNTS` / :data:`CSI_2021_NIN_COUNTS`
    with their uncertainties); signal normalisation :data:`CSI_2021_FLUX_UNCERTAINTY`; the
    response's shape nuisances ``shapes``."""
    pe = np.asarray(pe_edges, dtype=float)
    t = np.asarray(time_edges_us, dtype=float)
    if pe[0] < 0 or pe[-1] > CSI_2021_PE_MAX + 1e-9 or t[0] < 0 or t[-1] > CSI_2021_T_MAX_US + 1e-9:
        raise InputError(f"the CsI 2021 likelihood needs PE bins within [0, {CSI_2021_PE_MAX:g}] and time bins within "
                         f"[0, {CSI_2021_T_MAX_US:g}] us, got PE {pe[0]:g}-{pe[-1]:g}, t {t[0]:g}-{t[-1]:g} us")

    def histogram(events: np.ndarray) -> np.ndarray:
        return np.histogram2d(events[:, 0], events[:, 1], bins=[pe, t])[0].ravel()

    if steady_state not in STEADY_STATE_MODELS:
        raise InputError(f"steady_state must be one of {', '.join(STEADY_STATE_MODELS)}, got {steady_state!r}")
    brn = background_template(release, "brn", pe, t, time_efficiency, CSI_2021_BRN_COUNTS)
    nin = background_template(release, "nin", pe, t, time_efficiency, CSI_2021_NIN_COUNTS)
    backgrounds: tuple[Background, ...] = (Background("beam-related neutrons", brn.ravel(), CSI_2021_BRN_UNCERTAINTY),
                                           Background("neutrino-induced neutrons", nin.ravel(), CSI_2021_NIN_UNCERTAINTY))
    off = None
    if steady_state == "per-bin":
        off = histogram(release.anticoincidence_events)
    else:
        ss, sigma = steady_state_template(release, pe, t, time_efficiency)
        backgrounds += (Background("steady state", ss.ravel(), sigma, measured=True, variance_per_count=1.0),)
    return TemplateData(
        name="COHERENT CsI 2021",
        axes=(Axis("energy", pe.copy(), "PE"), Axis("time", t.copy(), "µs")),
        observed=histogram(release.coincidence_events),
        backgrounds=backgrounds,
        sigma_signal=CSI_2021_FLUX_UNCERTAINTY,
        off=off,
        off_ratio=1.0,
        label=f"COHERENT CsI 2021 release, {pe[0]:g}-{pe[-1]:g} PE x {t[0]:g}-{t[-1]:g} us",
        shape_systematics=shapes,
    )


def csi_2021_likelihood(
    folder: str | Path,
    experiment: str = "coherent-csi-2021",
    overrides: Mapping[str, Any] | None = None,
    fixed: Mapping[str, float | str] | None = None,
    steady_state: str = "template",
) -> TemplateLikelihood:
    """Binned Poisson likelihood of the CsI 2021 release in ``folder`` for ``experiment`` (a
    name or path, with ``overrides``; it must bin arrival times, ``[detector.time]``), every
    nuisance profiled (:mod:`cevns.stats.templates`): data, steady state and backgrounds as in
    :func:`csi_2021_data`; the CEvNS signal with its flux normalisation and three shape
    nuisances, the release's quenching models 0 and 1 and its efficiency at ±1σ, each a
    per-bin relative shift r = (S₊ − S₋)/(2 S₀) from full predictions with the varied response
    at the reference point (the SM with ``fixed``), computed once here.

    The likelihood (immutable) is built once for the same arguments, release files (names,
    sizes, modification times), experiment file and user overrides in force
    (:func:`cevns.config.overrides.experiment_overrides`): a fit of CsI 2021 alone and a
    combination holding it share its seven predictions (≈ 0.5 s)."""
    root = release_folder(folder, "CsI 2021")
    try:
        key = json.dumps([str(root.resolve()), _files_stamp(root), str(experiment), _files_stamp(Path(experiment).parent)
                          if str(experiment).endswith(".toml") else [], dict(overrides or {}), dict(fixed or {}),
                          steady_state, active_experiment_overrides()], sort_keys=True)
    except (TypeError, ValueError, OSError):  # values JSON cannot hold: built every time
        return _csi_2021_likelihood(folder, experiment, overrides, fixed, steady_state)
    user_overrides_for(str(experiment))  # what a build records (the experiment was loaded)
    return _cached_likelihood(key, folder, experiment, overrides, fixed, steady_state)


def _files_stamp(folder: Path) -> list[tuple[str, int, int]]:
    """(name, size, modification time in ns) of every file in ``folder``."""
    return sorted((p.name, st.st_size, st.st_mtime_ns) for p in folder.iterdir() if p.is_file() for st in [p.stat()])


_BUILT: OrderedDict[str, TemplateLikelihood] = OrderedDict()
_BUILT_MAX = 4


def _cached_likelihood(key: str, *args: Any) -> TemplateLikelihood:
    if key in _BUILT:
        _BUILT.move_to_end(key)
        return _BUILT[key]
    built = _csi_2021_likelihood(*args)
    d = built.data
    for a in (d.observed, d.off, *(b.counts for b in d.backgrounds), *(x.relative for x in d.shape_systematics)):
        if a is not None:  # shared by every caller: read-only
            a.setflags(write=False)
    _BUILT[key] = built
    while len(_BUILT) > _BUILT_MAX:
        _BUILT.popitem(last=False)
    return built


def _csi_2021_likelihood(
    folder: str | Path,
    experiment: str,
    overrides: Mapping[str, Any] | None,
    fixed: Mapping[str, float | str] | None,
    steady_state: str,
) -> TemplateLikelihood:
    """:func:`csi_2021_likelihood`, built."""
    release = load_csi_2021(folder)
    overrides = dict(overrides or {})
    exp = load_experiment(experiment, overrides)
    if exp.time is None or not exp.time.binned:
        raise InputError(f"{experiment}: the CsI 2021 likelihood needs arrival-time bins ([detector.time] edges_us)")
    predictor = exp.predictor()
    fixed = dict(fixed or {})
    nominal = predictor.binned(fixed).per_bin
    shapes = []
    for name, kind, plus, minus in _systematic_sets(release):
        up = load_experiment(experiment, {**overrides, **_variant(release, kind, plus)}).predictor().binned(fixed).per_bin
        down = load_experiment(experiment, {**overrides, **_variant(release, kind, minus)}).predictor().binned(fixed).per_bin
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(nominal > 0, (up - down) / (2.0 * np.where(nominal > 0, nominal, 1.0)), 0.0)
        shapes.append(ShapeSystematic(name, r))
    t_edges = np.asarray(exp.time.edges_s) / us
    data = csi_2021_data(release, np.asarray(exp.response.edges, dtype=float), t_edges, exp.time.efficiency, tuple(shapes),
                         steady_state)
    return TemplateLikelihood(predictor, data, fixed)


# --- registry entry -------------------------------------------------------------------------------
# SHA-256 and sizes of the release files as distributed (as for cevns.releases.csi_2017.FILES).
# Columns: sha256, bytes, path in the release.
FILES = file_table("""
0000b042b8d0d28b90370eb70d1409db1d8c510fcf2b3e636370b0d4443ac0b0    4081  brnPE.txt
6f279d835242a868dfc048abaa42b8c400bf961036de7bc7e64636efdd46466f   10798  brnTrec.txt
f530d4a50e889333ada0e739db2e36d7f9f3b783822c8c6e932dae88ce071639   66916  dataBeamOnAC.txt
0a188a0291af06dd023d966d1c9fea7a82ec32d8c1a10750fd09c2b17f10a749   70306  dataBeamOnC.txt
f1e58e6b8ec4db53da3be21fe44ebc4621e9b248b920be09759b1000dada8c51     329  effCoefficients.txt
41cae0376003cc2dcd028a3913e7c16395471f612b56d311f80e2a6071c9950c    4117  ninPE.txt
2bb034d648b312f4ee329ae95078dc748ff3f83b999c411b08f86d82ddf8e151   10488  ninTrec.txt
ea6b8f34b296bf6e99f2a4ac504030d99155daba3e3c252f51c87d2470319d13     445  scintRespCoefficients.txt
""")

RELEASE = DataRelease(
    name="csi-2021",
    title="COHERENT CsI[Na] full data set (ancillary files)",
    citation="D. Akimov et al. (COHERENT), PRL 129, 081801 (2022), arXiv:2110.07730, ancillary files",
    files=FILES,
    loader=load_csi_2021,
    likelihood=csi_2021_likelihood,
    experiment="coherent-csi-2021",
    marker="dataBeamOnC.txt",
    options=("steady_state",),
)

__all__ = [
    "COHERENT_2021_BEST_FIT",
    "COHERENT_2021_BEST_FIT_ERROR",
    "COHERENT_2021_SM_PREDICTION",
    "COHERENT_2021_SM_PREDICTION_EXPERIMENT_ERROR",
    "COHERENT_2021_SM_PREDICTION_THEORY_ERROR",
    "CSI_2021_BRN_COUNTS",
    "CSI_2021_BRN_UNCERTAINTY",
    "CSI_2021_FLUX_UNCERTAINTY",
    "CSI_2021_NIN_COUNTS",
    "CSI_2021_NIN_UNCERTAINTY",
    "CSI_2021_PE_MAX",
    "CSI_2021_T_MAX_US",
    "FILES",
    "RELEASE",
    "STEADY_STATE_MODELS",
    "CsI2021Release",
    "background_template",
    "csi_2021_data",
    "csi_2021_likelihood",
    "load_csi_2021",
    "rebin",
    "steady_state_template",
]
