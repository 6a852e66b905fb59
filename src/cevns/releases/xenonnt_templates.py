"""Reading, folding and interpolating the templates of the XENONnT ⁸B CEvNS data release.

The release (XENONnT collaboration, https://github.com/XENONnT/cevns_data_release, CC-BY-4.0;
the data of E. Aprile et al. (XENON), PRL 133, 191002 (2024), arXiv:2408.02877, and of
"Probing the Solar ⁸B Neutrino Fog with XENONnT", arXiv:2604.06002) holds, per science run
``srN`` (N = 0, 1, 2):

* ``data/srN.csv`` — one row per selected event: an index column, then the four analysis
  observables ``cs2`` (corrected S2, PE), ``s2_shadow_s2_time_shadow_quantile``,
  ``s1_bdt_score``, ``s2_bdt_score`` (dimensionless);
* ``binning/srN.yaml`` — the bin edges of the 4-D binned likelihood, one list per
  observable (3 bins each, 81 bins in all; the cS2 and BDT edges differ between runs);
* ``templates/srN/{ac,er}/template_XENONnT_srN_{ac,er}_cevns.h5`` — accidental-coincidence
  and electronic-recoil backgrounds, expected events per t·yr per bin;
* ``templates/srN/rg/template_XENONnT_srN_rg_cevns_tly_{a}_tqy_{b}.h5`` — the radiogenic
  neutron background, events per t·yr per bin, at light-yield (tly) and charge-yield (tqy)
  nuisance values a, b ∈ {−3, …, 3} (in σ; 7 × 7 grid);
* ``templates/srN/mono/template_XENONnT_srN_mono_{E}_cevns_tly_{a}_tqy_{b}.h5`` — the
  detection efficiency of a nuclear recoil of energy E (46 values, 0.500–5.000 keV_NR in
  0.1-keV steps) per bin: the probability that a recoil of energy E is selected into each
  bin (dimensionless), on the same (tly, tqy) grid.

HDF5 layout (inspected with h5py in every file type; attributes ``date``, ``version``):
``/bins/0`` … ``/bins/3`` — float64 (4,) bin edges, each with attribute ``name``
(``cs2``, ``s2_shadow_s2_time_shadow``, ``s1_bdt_score``, ``s2_bdt_score``);
``/templates/template`` — float64 (3, 3, 3, 3), axes in that order (row-major flattening
gives the 81 bins used here, the last observable fastest).

Every file read is checked against its SHA-256 in the file table shipped with the package
(``cevns/data/releases/xenonnt-8b/files.tsv.gz``): its bytes are read once, hashed, and
parsed from memory, so what is parsed is what was checked. The release's template files of
one kind differ only in their 81 values (same size, same HDF5 structure, values stored
contiguously at the same address): the first of each layout is parsed with HDF5 and the
others, once byte-for-byte equal to it outside the values, are read at that address
(``_Templates``; the same arrays as HDF5 gives, checked by the tests). h5py and PyYAML
are imported inside the functions (start-up time).

Folding (:func:`folding_weights`): expected counts in bin b of run r for a recoil spectrum
dR/dE (events per t·yr per keV_NR) are

.. math::
   \\mu_{rb} = L_r \\int dE\\, \\frac{dR}{dE}(E)\\, \\varepsilon_{rb}(E)
   \\approx L_r \\sum_j \\tau_j \\frac{dR}{dE}(E_j) \\sum_i h_i(E_j)\\, M_{rib}

with L_r the live exposure (t·yr), M_{rib} the mono template at node E_i, ε_rb(E) taken
piecewise linear between the nodes (h_i the hat functions; the release gives ε only at the
nodes, and linear interpolation is the assumption that adds no structure), E_j a grid
``refine`` times finer than the nodes with trapezoid weights τ_j. ``refine=1`` is the plain
trapezoid rule on the nodes; a finer grid integrates the steeply falling ⁸B spectrum
(about a factor 100 between 0.5 and 3 keV_NR on xenon) against the piecewise-linear
efficiency more exactly; the convergence in ``refine`` is checked by the tests. Outside
[0.5, 5.0] keV_NR ε is taken as 0: at 0.5 keV_NR the total efficiency is ≈ 1e-4, and the
⁸B recoil end point on xenon is 2E²/M ≈ 4.2 keV_NR (E = 16.4 MeV); only the small hep tail
reaches beyond 5 keV_NR.

Yield interpolation (:class:`YieldSpline`): templates between the (tly, tqy) grid nodes are a
tensor product of not-a-knot cubic splines through the 7 node values along each axis — exact
at the nodes, twice continuously differentiable, so the profiled fit can take Newton steps
in the yields. Outside ±3 σ the templates are not extrapolated: :func:`check_yields` refuses
(one-line InputError), and the profile fit keeps the yields inside the grid.

Errors are one-line :class:`~cevns.errors.InputError` naming the file.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from cevns.errors import InputError
from cevns.releases.reading import frozen, release_folder

#: The science runs of the release, in order.
RUNS: tuple[str, ...] = ("sr0", "sr1", "sr2")
#: Live exposures (t·yr) of the runs, as used in the release's example notebook (copied in
#: /work/shared/reference-data/README.md): SR0 + SR1 = 3.517 t·yr ≈ the 3.51 t·yr of PRL 133, 191002.
LIVETIMES_TYR: dict[str, float] = {"sr0": 1.174398, "sr1": 2.342593, "sr2": 3.249665}
#: The nuclear-recoil energies of the mono templates, keV_NR: 0.5, 0.6, …, 5.0.
MONO_ENERGIES_KEV: np.ndarray = frozen(np.round(0.5 + 0.1 * np.arange(46), 10))
#: The light- and charge-yield nuisance values of the template grid, σ.
YIELD_NODES: np.ndarray = frozen(np.arange(-3.0, 4.0))
#: The observables, in the order of the HDF5 axes and the CSV columns.
OBSERVABLES: tuple[str, ...] = ("cs2", "s2_shadow_s2_time_shadow_quantile", "s1_bdt_score", "s2_bdt_score")
OBSERVABLE_UNITS: tuple[str, ...] = ("PE", "", "", "")
N_BINS = 81
_RELEASE = "xenonnt-8b"


# --- the file table --------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def file_rows() -> tuple[tuple[str, int, str], ...]:
    """(sha256, bytes, path) of every release file, from the shipped table
    ``cevns/data/releases/xenonnt-8b/files.tsv.gz`` (made from the release's SHA256SUMS and
    the files' sizes; see the README beside it)."""
    data = resources.files("cevns").joinpath("data/releases/xenonnt-8b/files.tsv.gz").read_bytes()
    rows = []
    for line in gzip.decompress(data).decode("ascii").splitlines():
        digest, size, path = line.split(maxsplit=2)
        rows.append((digest, int(size), path))
    return tuple(rows)


@lru_cache(maxsize=1)
def _digests() -> dict[str, str]:
    return {path: digest for digest, _size, path in file_rows()}


def read_checked(root: Path, relative: str) -> bytes:
    """The bytes of release file ``relative`` in ``root``, checked against its SHA-256
    (InputError naming the file if it is missing, unreadable, unknown or altered)."""
    expected = _digests().get(relative)
    if expected is None:
        raise InputError(f"{_RELEASE}: {relative} is not a file of the release")
    # a string path and one open (no separate stat): ~7,000 files per release read
    try:
        with open(os.path.join(root, relative), "rb") as handle:
            data = handle.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise InputError(f"{_RELEASE}: {relative} is missing in {root}") from None
    except OSError as exc:
        raise InputError(f"{_RELEASE}: {relative} in {root} cannot be read ({exc.strerror or exc})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise InputError(f"{_RELEASE}: {relative} in {root} is not the release file "
                         f"(sha256 {digest[:16]}…, expected {expected[:16]}…)")
    return data


def _h5_datasets(data: bytes, names: tuple[str, ...]) -> list[np.ndarray]:
    """The float64 arrays of the datasets ``names`` of the HDF5 file whose bytes are ``data``.

    The file image is handed to the HDF5 core driver through h5py's low-level API (no backing
    store, nothing touches the disk). This parses the same bytes as ``h5py.File(io.BytesIO(data))``
    but skips the high-level objects and the Python file-like driver: about 0.3 ms instead
    of 0.7 ms per template file on this machine (2 × 2,305 files per ``cevns fit`` on SR0+SR1).
    Errors of h5py (OSError, KeyError, ValueError, TypeError) are left to the caller."""
    import h5py

    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_fapl_core(backing_store=False)
    fapl.set_file_image(data)
    fid = h5py.h5f.open(b"cevns-xenonnt-template", h5py.h5f.ACC_RDONLY, fapl=fapl)
    try:
        arrays = []
        for name in names:
            dataset = h5py.h5d.open(fid, name.encode("ascii"))
            values = np.empty(dataset.shape, dtype=np.float64)
            dataset.read(h5py.h5s.ALL, h5py.h5s.ALL, values)  # HDF5 converts the stored type to float64
            arrays.append(values)
        return arrays
    finally:
        fid.close()


_TEMPLATE = ("templates/template",)
_WITH_EDGES = _TEMPLATE + tuple(f"bins/{k}" for k in range(4))


def _h5(root: Path, relative: str, with_edges: bool = True) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """(template (81,), four edge arrays — empty unless ``with_edges``) of one checked HDF5
    template file (its bytes read once, checked against the SHA-256, parsed from memory)."""
    return _parse(read_checked(root, relative), root, relative, with_edges)


def _template_address(data: bytes) -> tuple[int, np.dtype] | None:
    """(file address, stored type) of ``/templates/template`` in the HDF5 file whose bytes are
    ``data`` when its values are stored contiguously (no chunks, no filters: 81 values of the
    stored type at one address), else None."""
    import h5py

    fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
    fapl.set_fapl_core(backing_store=False)
    fapl.set_file_image(data)
    fid = h5py.h5f.open(b"cevns-xenonnt-layout", h5py.h5f.ACC_RDONLY, fapl=fapl)
    try:
        dataset = h5py.h5d.open(fid, _TEMPLATE[0].encode("ascii"))
        offset, dtype = dataset.get_offset(), np.dtype(dataset.dtype)
        if offset is None or dataset.get_storage_size() != N_BINS * dtype.itemsize or dtype.kind != "f":
            return None
        return int(offset), dtype
    finally:
        fid.close()


@dataclass(frozen=True)
class _Layout:
    """The bytes of a parsed template file around its template values (``head`` before the
    values at ``offset``, ``tail`` after them) and their stored type."""

    head: bytes
    tail: bytes
    offset: int
    dtype: np.dtype

    def values(self, data: bytes) -> np.ndarray | None:
        """The template (81,) of another file whose bytes equal this file's everywhere but in the
        values — then its HDF5 structure (superblock, object headers, type, layout, attributes,
        bin edges) is byte for byte the same, and the values are at the same address —, else None."""
        end = self.offset + N_BINS * self.dtype.itemsize
        if len(data) != len(self.head) + len(self.tail) + end - self.offset or not (
                data.startswith(self.head) and data.endswith(self.tail)):
            return None
        return np.frombuffer(data, dtype=self.dtype, count=N_BINS, offset=self.offset).astype(np.float64)


class _Templates:
    """Reader of the template files of one run: the first file of each layout is parsed with
    HDF5 (:func:`_h5`) and its layout kept; a file identical to a kept layout outside its 81
    values (the release's files differ only there) is read from those bytes directly (about
    10 µs instead of 0.5 ms per file; 2,300 files per run). Every file is checked against its
    SHA-256 first (:func:`read_checked`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.layouts: list[_Layout] = []

    def read(self, relative: str, with_edges: bool) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
        data = read_checked(self.root, relative)
        if not with_edges:
            for layout in self.layouts:
                values = layout.values(data)
                if values is not None:
                    return _checked_template(values, relative), ()
        template, edges = _parse(data, self.root, relative, with_edges)
        if len(self.layouts) < 8:
            try:
                found = _template_address(data)
            except (OSError, KeyError, ValueError, TypeError):
                found = None
            if found is not None:
                offset, dtype = found
                end = offset + N_BINS * dtype.itemsize
                layout = _Layout(data[:offset], data[end:], offset, dtype)
                own = layout.values(data)
                if own is not None and np.array_equal(own, template):  # the address holds what HDF5 read
                    self.layouts.append(layout)
        return template, edges


def _checked_template(values: np.ndarray, relative: str) -> np.ndarray:
    # finite and ≥ 0: a minimum ≥ 0 (False for NaN) and a finite sum (inf for +inf) decide at
    # once for nearly every file; the element-wise test only when they do not
    if values.shape == (N_BINS,) and float(values.min()) >= 0.0 and math.isfinite(float(values.sum())):
        return values
    if values.shape != (N_BINS,) or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise InputError(f"{_RELEASE}: {relative}: expected a finite, non-negative (3, 3, 3, 3) template")
    return values


def _parse(data: bytes, root: Path, relative: str, with_edges: bool) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """(template (81,), edges) of the checked bytes ``data`` of one HDF5 template file."""
    try:
        template, *edges = _h5_datasets(data, _WITH_EDGES if with_edges else _TEMPLATE)
    except (OSError, KeyError, ValueError, TypeError) as exc:
        raise InputError(f"{_RELEASE}: {relative} in {root} is not a readable template ({exc})") from None
    if template.shape != (3, 3, 3, 3):
        raise InputError(f"{_RELEASE}: {relative}: expected a finite, non-negative (3, 3, 3, 3) template")
    return _checked_template(template.ravel(), relative), tuple(edges)


def _grid_name(value: float) -> str:
    return f"{value:.1f}"


# --- one run ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class RunTemplates:
    """One science run of the release (module docstring).

    Attributes
    ----------
    name : str
        ``sr0``, ``sr1`` or ``sr2``.
    livetime_tyr : float
        Live exposure, t·yr (:data:`LIVETIMES_TYR`).
    edges : tuple of ndarray
        Bin edges of the four observables (:data:`OBSERVABLES`), from ``binning/srN.yaml``.
    events : ndarray
        (n, 4) observables of the selected events.
    observed : ndarray
        (81,) event counts per bin (row-major over the four observables).
    ac, er : ndarray
        (81,) accidental-coincidence and electronic-recoil backgrounds, events per t·yr.
    neutron : ndarray
        (7, 7, 81) radiogenic-neutron background, events per t·yr, at (tly, tqy) nodes.
    mono : ndarray
        (7, 7, 46, 81) efficiency per bin of a recoil at each of :data:`MONO_ENERGIES_KEV`,
        at (tly, tqy) nodes (dimensionless).
    """

    name: str
    livetime_tyr: float
    edges: tuple[np.ndarray, ...]
    events: np.ndarray
    observed: np.ndarray
    ac: np.ndarray
    er: np.ndarray
    neutron: np.ndarray
    mono: np.ndarray


def _read_edges(root: Path, run: str) -> tuple[np.ndarray, ...]:
    from cevns.releases.reading import read_yaml

    relative = f"binning/{run}.yaml"
    text = read_checked(root, relative).decode("utf-8")
    table = read_yaml(text, f"{root / relative}")
    edges = []
    for name in OBSERVABLES:
        values = np.asarray(table.get(name, []), dtype=float) if isinstance(table, dict) else np.empty(0)
        if values.shape != (4,) or np.any(np.diff(values) <= 0):
            raise InputError(f"{_RELEASE}: {relative}: expected 4 increasing edges for {name}")
        edges.append(frozen(values))
    return tuple(edges)


def _read_events(root: Path, run: str) -> np.ndarray:
    relative = f"data/{run}.csv"
    lines = read_checked(root, relative).decode("utf-8").strip().splitlines()
    header = [h.strip() for h in lines[0].split(",")] if lines else []
    if header[1:] != list(OBSERVABLES):
        raise InputError(f"{_RELEASE}: {relative}: expected the columns {', '.join(OBSERVABLES)}")
    try:
        rows = [[float(x) for x in line.split(",")[1:]] for line in lines[1:] if line.strip()]
    except ValueError:
        raise InputError(f"{_RELEASE}: {relative}: non-numeric value") from None
    return frozen(np.asarray(rows, dtype=float).reshape(-1, 4))


def load_run(folder: str | Path, run: str) -> RunTemplates:
    """Read science run ``run`` (``sr0``/``sr1``/``sr2``) of the release in ``folder``, every
    file checked against its SHA-256 (4 + 49 + 2254 files). The bin edges stored in the AC,
    ER and the first neutron and mono files are compared with ``binning/srN.yaml`` (the
    others, checked byte for byte, are the release's own). InputError naming the file that
    is missing, altered or malformed, or the run if it is not one of :data:`RUNS`."""
    if run not in RUNS:
        raise InputError(f"unknown XENONnT science run {run!r}; the release has {', '.join(RUNS)}")
    root = release_folder(folder, "XENONnT 8B")
    edges = _read_edges(root, run)
    events = _read_events(root, run)
    observed = np.histogramdd(events, bins=list(edges))[0].ravel()
    if observed.sum() != len(events):
        raise InputError(f"{_RELEASE}: data/{run}.csv: {len(events) - int(observed.sum())} events outside the binning")

    reader = _Templates(root)

    def template(relative: str, with_edges: bool = True) -> np.ndarray:
        values, file_edges = reader.read(relative, with_edges)
        if with_edges and any(e.shape != f.shape or not np.allclose(e, f, rtol=1e-9, atol=1e-9) for e, f in zip(edges, file_edges)):
            raise InputError(f"{_RELEASE}: {relative}: its bin edges differ from binning/{run}.yaml")
        return values

    prefix = f"templates/{run}"
    ac = template(f"{prefix}/ac/template_XENONnT_{run}_ac_cevns.h5")
    er = template(f"{prefix}/er/template_XENONnT_{run}_er_cevns.h5")
    neutron = np.empty((7, 7, N_BINS))
    mono = np.empty((7, 7, MONO_ENERGIES_KEV.size, N_BINS))
    for i, tly in enumerate(YIELD_NODES):
        for j, tqy in enumerate(YIELD_NODES):
            grid = f"tly_{_grid_name(tly)}_tqy_{_grid_name(tqy)}"
            first = i == j == 0
            neutron[i, j] = template(f"{prefix}/rg/template_XENONnT_{run}_rg_cevns_{grid}.h5", first)
            for k, energy in enumerate(MONO_ENERGIES_KEV):
                mono[i, j, k] = template(f"{prefix}/mono/template_XENONnT_{run}_mono_{energy:.3f}_cevns_{grid}.h5", first and k == 0)
    return RunTemplates(run, LIVETIMES_TYR[run], edges, events, frozen(observed), frozen(ac), frozen(er),
                        frozen(neutron), frozen(mono))


_cache: dict[tuple[str, str], RunTemplates] = {}


def cached_run(folder: str | Path, run: str) -> RunTemplates:
    """:func:`load_run`, kept in memory per (resolved folder, run) for this process (about
    7,000 files are read and hashed for three runs: ≈ 0.35 s of CPU per run, 1.6 s before the
    layout read of ``_Templates``, same process, load average 7-9); a folder whose files change within the process is not re-read."""
    key = (str(Path(folder).expanduser().resolve()), run)
    if key not in _cache:
        _cache[key] = load_run(folder, run)
    return _cache[key]


# --- folding a recoil spectrum -----------------------------------------------------------------------
def fine_energies(refine: int) -> np.ndarray:
    """The quadrature grid in keV_NR: the mono-template nodes with ``refine`` − 1 points
    between neighbours (0.1/``refine`` keV_NR steps from 0.5 to 5.0)."""
    if not isinstance(refine, int) or refine < 1:
        raise InputError(f"refine must be an integer ≥ 1, got {refine!r}")
    n = (MONO_ENERGIES_KEV.size - 1) * refine + 1
    return frozen(np.linspace(MONO_ENERGIES_KEV[0], MONO_ENERGIES_KEV[-1], n))


def folding_weights(refine: int) -> np.ndarray:
    """W (n_fine, 46), keV_NR: Σ_j W_ji dR/dE(E_j) is ∫ dR/dE h_i dE by the trapezoid rule
    on :func:`fine_energies` (h_i: hat function of mono node i), so that counts per bin are
    L Σ_i (Σ_j W_ji dR/dE(E_j)) M_ib (module docstring). ``refine=1`` gives the trapezoid
    weights 0.1 keV (0.05 at the ends) on the nodes themselves."""
    e = fine_energies(refine)
    tau = np.full(e.size, 0.1 / refine)
    tau[[0, -1]] *= 0.5
    hats = np.stack([np.interp(e, MONO_ENERGIES_KEV, np.eye(46)[i]) for i in range(46)], axis=1)
    return frozen(tau[:, None] * hats)


def fold(spectrum: np.ndarray, mono: np.ndarray, livetime_tyr: float, refine: int = 1) -> np.ndarray:
    """Expected counts per bin of a recoil spectrum ``spectrum`` (..., n_fine) in events per
    t·yr per keV_NR on :func:`fine_energies` (``refine``), for efficiency templates ``mono``
    (..., 46, 81) at the nodes and ``livetime_tyr``."""
    node = np.asarray(spectrum, dtype=float) @ folding_weights(refine)
    return livetime_tyr * np.einsum("...i,...ib->...b", node, mono)


# --- interpolation in the yields ----------------------------------------------------------------------
@lru_cache(maxsize=1)
def _cardinal_coefficients() -> np.ndarray:
    """Piecewise-cubic coefficients (4, 6, 7) of the not-a-knot cubic splines through the
    unit vectors on :data:`YIELD_NODES` (scipy's CubicSpline convention: c[0] (x − x_k)³ + …)."""
    from scipy.interpolate import CubicSpline

    return frozen(CubicSpline(YIELD_NODES, np.eye(7), bc_type="not-a-knot").c)


def check_yields(tly: float, tqy: float) -> None:
    """InputError unless both yield nuisances are finite and within the template grid ±3 σ."""
    for name, value in (("tly", tly), ("tqy", tqy)):
        if not (np.isfinite(value) and -3.0 <= value <= 3.0):
            raise InputError(f"{name} = {value:g} σ is outside the XENONnT template grid [-3, 3]; the templates are not extrapolated")


def cardinal_basis(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, first and second derivatives (..., 7) of the cardinal cubic splines at ``x``
    (within [−3, 3]): f(x) = Σ_k f_k b_k(x) interpolates node values f_k."""
    x = np.asarray(x, dtype=float)
    c = _cardinal_coefficients()
    k = np.clip(np.floor(x + 3.0).astype(int), 0, 5)
    d = (x - YIELD_NODES[k])[..., None]
    a3, a2, a1, a0 = (c[m][k] for m in range(4))
    value = ((a3 * d + a2) * d + a1) * d + a0
    first = (3.0 * a3 * d + 2.0 * a2) * d + a1
    second = 6.0 * a3 * d + 2.0 * a2
    return value, first, second


def interpolate(grid: np.ndarray, tly: float, tqy: float) -> np.ndarray:
    """A template at (``tly``, ``tqy``) from its values ``grid`` (7, 7, ...) on the nodes
    (tensor-product cubic spline; InputError outside ±3 σ)."""
    check_yields(tly, tqy)
    bl = cardinal_basis(np.asarray(tly))[0]
    bq = cardinal_basis(np.asarray(tqy))[0]
    return np.tensordot(np.outer(bl, bq), np.asarray(grid, dtype=float), axes=([0, 1], [0, 1]))


def bilinear(grid: np.ndarray, tly: float, tqy: float) -> np.ndarray:
    """The bilinear interpolation of ``grid`` (7, 7, ...) at (``tly``, ``tqy``), for checks."""
    check_yields(tly, tqy)
    wl = np.array([np.interp(tly, YIELD_NODES, np.eye(7)[i]) for i in range(7)])
    wq = np.array([np.interp(tqy, YIELD_NODES, np.eye(7)[i]) for i in range(7)])
    return np.tensordot(np.outer(wl, wq), np.asarray(grid, dtype=float), axes=([0, 1], [0, 1]))


__all__ = [
    "LIVETIMES_TYR",
    "MONO_ENERGIES_KEV",
    "N_BINS",
    "OBSERVABLES",
    "OBSERVABLE_UNITS",
    "RUNS",
    "YIELD_NODES",
    "RunTemplates",
    "bilinear",
    "cached_run",
    "cardinal_basis",
    "check_yields",
    "file_rows",
    "fine_energies",
    "fold",
    "folding_weights",
    "interpolate",
    "load_run",
    "read_checked",
]
