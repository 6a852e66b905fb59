"""Loaders for the official COHERENT data releases, from a folder the user points to.

Nothing is downloaded: get a release from the collaboration (Zenodo / arXiv ancillary files)
and pass its folder. Each loader checks the files it needs and raises :class:`ValueError`
naming the file that is missing or malformed. Arrays are read-only numpy arrays; bin edges
are reconstructed from the bin centres the files give, with the binning stated in each
release (checked: a file that does not have it is rejected).

* :func:`load_csi_2017` — COHERENT CsI[Na] 2017 (Science 357, 1123 (2017), arXiv:1708.01294);
  data release arXiv:1804.09459, doi:10.5281/zenodo.1228631.
* :func:`load_lar_2020_analysis_a` — COHERENT CENNS-10 LAr, Analysis A (PRL 126, 012002
  (2021), arXiv:2003.10630); data release arXiv:2006.12659, doi:10.5281/zenodo.3903810.
* :func:`load_csi_2021` — COHERENT CsI[Na] full data set (PRL 129, 081801 (2022),
  arXiv:2110.07730): the paper's ancillary files.

This module only reads files; the physics modules receive plain numbers and arrays.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

# --- helpers ---------------------------------------------------------------------------


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


def _require(folder: Path, name: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise ValueError(f"missing release file {name} in {folder}")
    return path


def _folder(folder: str | Path, what: str) -> Path:
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ValueError(f"{what} release folder {path} does not exist or is not a folder")
    return path


def _read_table(path: Path, columns: int, delimiter: str | None = None) -> np.ndarray:
    """Numeric table with exactly ``columns`` columns; lines starting with '#' and blank
    lines are skipped."""
    rows = []
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the file ({exc})") from None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        fields = stripped.split(delimiter) if delimiter else stripped.split()
        if len(fields) != columns:
            raise ValueError(f"{path}, line {number}: expected {columns} columns, got {len(fields)}")
        try:
            values = [float(f) for f in fields]
        except ValueError:
            raise ValueError(f"{path}, line {number}: non-numeric value in {stripped!r}") from None
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"{path}, line {number}: non-finite value in {stripped!r}")
        rows.append(values)
    if not rows:
        raise ValueError(f"{path}: no data rows")
    return np.array(rows)


def _edges_from_centres(path: Path, centres: np.ndarray, low: float, width: float, what: str) -> np.ndarray:
    """Edges low, low + width, … that have ``centres`` as midpoints (else ValueError)."""
    n = centres.size
    edges = low + width * np.arange(n + 1)
    if not np.allclose(centres, 0.5 * (edges[:-1] + edges[1:]), rtol=0, atol=1e-6 * width):
        raise ValueError(f"{path}: {what} bin centres are not the {n} bins of width {width:g} from {low:g}")
    return edges


def _grid(path: Path, table: np.ndarray, axes: list[tuple[np.ndarray, str]]) -> np.ndarray:
    """Reshape the last column of a table whose leading columns enumerate the bin centres of
    ``axes`` in row-major order (last axis fastest) into an array; checks the ordering."""
    shape = tuple(c.size for c, _ in axes)
    if table.shape[0] != math.prod(shape):
        raise ValueError(f"{path}: expected {math.prod(shape)} rows ({' × '.join(map(str, shape))}), got {table.shape[0]}")
    mesh = np.meshgrid(*[c for c, _ in axes], indexing="ij")
    for k, (m, (_, name)) in enumerate(zip(mesh, axes)):
        if not np.allclose(table[:, k], m.ravel(), rtol=0, atol=1e-9 * max(1.0, float(np.abs(m).max()))):
            raise ValueError(f"{path}: rows are not ordered by {', '.join(n for _, n in axes)} bin (column {k + 1}: {name})")
    return table[:, -1].reshape(shape)


# --- CsI[Na] 2017 -----------------------------------------------------------------------

_CSI_2017_HISTOGRAMS = {
    "coincidence_beam_on": "data_coincidence_beamOn.txt",
    "anticoincidence_beam_on": "data_anticoincidence_beamOn.txt",
    "coincidence_beam_off": "data_coincidence_beamOff.txt",
    "anticoincidence_beam_off": "data_anticoincidence_beamOff.txt",
}
_CSI_2017_TIME_PDFS = {
    "prompt_neutrino_time_pdf": "arrivalTimePDF_promptNeutrinos.txt",
    "delayed_neutrino_time_pdf": "arrivalTimePDF_delayedNeutrinos.txt",
    "prompt_neutron_time_pdf": "arrivalTimePDF_promptNeutrons.txt",
}


@dataclass(frozen=True, eq=False)
class CsI2017Release:
    """COHERENT CsI[Na] 2017 data release: D. Akimov et al. (COHERENT), arXiv:1804.09459,
    doi:10.5281/zenodo.1228631 (data of Science 357, 1123 (2017), arXiv:1708.01294).

    Histograms are counts in 2-PE × 0.5-µs bins: 25 PE bins on [0, 50] PE, 24 time bins on
    [0, 12] µs after the release's time origin (in which the SNS spill is centred near
    0.7 µs; see :data:`cevns.sources.timing.CSI_2017_FITTED_PULSE`). Arrays are indexed [pe, time].
    "Coincidence" is the 12-µs window after the proton-pulse trigger, "anticoincidence" an
    equal window before it (steady-state background), each for beam-on and beam-off periods.
    """

    folder: Path
    #: PE bin edges (26,), photoelectrons.
    pe_edges: np.ndarray
    #: Time bin edges (25,), µs.
    time_edges_us: np.ndarray
    #: Beam-on coincidence-window counts (25, 24).
    coincidence_beam_on: np.ndarray
    #: Beam-on anticoincidence-window counts (25, 24).
    anticoincidence_beam_on: np.ndarray
    #: Beam-off coincidence-window counts (25, 24).
    coincidence_beam_off: np.ndarray
    #: Beam-off anticoincidence-window counts (25, 24).
    anticoincidence_beam_off: np.ndarray
    #: Fraction of prompt (ν_μ) neutrinos in each time bin (24,), sums to 1 in [0, 12] µs.
    prompt_neutrino_time_pdf: np.ndarray
    #: Fraction of delayed (ν_e, ν̄_μ) neutrinos in each time bin (24,), sums to 1.
    delayed_neutrino_time_pdf: np.ndarray
    #: Fraction of prompt beam-related neutrons in each time bin (24,), sums to 1.
    prompt_neutron_time_pdf: np.ndarray
    #: ``promptPDF.txt``: 1-PE bin centres (50,) on [0, 50] PE ...
    prompt_pdf_pe_centres: np.ndarray
    #: ... and values (50,): the prompt beam-related-neutron spectrum in PE, as released
    #: (its normalisation is documented in the release companion, not in the file).
    prompt_pdf_values: np.ndarray

    @property
    def pe_centres(self) -> np.ndarray:
        return 0.5 * (self.pe_edges[:-1] + self.pe_edges[1:])

    @property
    def time_centres_us(self) -> np.ndarray:
        return 0.5 * (self.time_edges_us[:-1] + self.time_edges_us[1:])

    def _selection(self, pe_min: float, pe_max: float, t_min_us: float, t_max_us: float) -> tuple[slice, slice]:
        def index(edges: np.ndarray, value: float, what: str) -> int:
            i = int(np.argmin(np.abs(edges - value)))
            if not math.isclose(edges[i], value, abs_tol=1e-9):
                raise ValueError(f"{what} = {value:g} is not a bin edge ({', '.join(f'{e:g}' for e in edges)})")
            return i

        p0, p1 = index(self.pe_edges, pe_min, "pe_min"), index(self.pe_edges, pe_max, "pe_max")
        t0, t1 = index(self.time_edges_us, t_min_us, "t_min_us"), index(self.time_edges_us, t_max_us, "t_max_us")
        if p1 <= p0 or t1 <= t0:
            raise ValueError("the selection needs pe_min < pe_max and t_min_us < t_max_us")
        return slice(p0, p1), slice(t0, t1)

    def residual_pe_spectrum(
        self, pe_min: float = 6.0, pe_max: float = 30.0, t_min_us: float = 0.0, t_max_us: float = 6.0, beam: str = "on"
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coincidence − anticoincidence counts projected on PE for pe_min ≤ PE < pe_max and
        t_min ≤ t < t_max (limits must be bin edges; defaults: the 6–30 PE, t < 6 µs region of
        the Science 2017 residual plots). ``beam`` is ``"on"`` or ``"off"``.

        Returns (PE edges of the selected bins, residual counts per PE bin, Poisson standard
        deviation √(C + AC) per PE bin).
        """
        if beam not in ("on", "off"):
            raise ValueError(f"beam must be 'on' or 'off', got {beam!r}")
        c = self.coincidence_beam_on if beam == "on" else self.coincidence_beam_off
        ac = self.anticoincidence_beam_on if beam == "on" else self.anticoincidence_beam_off
        ps, ts = self._selection(pe_min, pe_max, t_min_us, t_max_us)
        cc, aa = c[ps, ts].sum(axis=1), ac[ps, ts].sum(axis=1)
        return self.pe_edges[ps.start : ps.stop + 1].copy(), cc - aa, np.sqrt(cc + aa)

    def residual_count(
        self, pe_min: float = 6.0, pe_max: float = 30.0, t_min_us: float = 0.0, t_max_us: float = 6.0, beam: str = "on"
    ) -> tuple[float, float]:
        """Total coincidence − anticoincidence counts in the selection of
        :meth:`residual_pe_spectrum` and its Poisson standard deviation √(C + AC)."""
        _, residual, sigma = self.residual_pe_spectrum(pe_min, pe_max, t_min_us, t_max_us, beam)
        return float(residual.sum()), float(np.sqrt(np.sum(sigma**2)))


def load_csi_2017(folder: str | Path) -> CsI2017Release:
    """Read the COHERENT CsI[Na] 2017 release (arXiv:1804.09459) from ``folder``.

    Files: ``data_{coincidence,anticoincidence}_beam{On,Off}.txt`` (comma-separated PE bin
    centre, time bin centre in µs, counts; PE-major order), ``arrivalTimePDF_{prompt,
    delayed}Neutrinos.txt``, ``arrivalTimePDF_promptNeutrons.txt`` (time bin centre in µs,
    fraction) and ``promptPDF.txt`` (PE bin centre, value).
    """
    root = _folder(folder, "CsI 2017")
    out: dict[str, Any] = {"folder": root}
    pe_edges = time_edges = None
    for key, name in _CSI_2017_HISTOGRAMS.items():
        path = _require(root, name)
        table = _read_table(path, 3, ",")
        pe_c, t_c = np.unique(table[:, 0]), np.unique(table[:, 1])
        pe = _edges_from_centres(path, pe_c, 0.0, 2.0, "PE")
        t = _edges_from_centres(path, t_c, 0.0, 0.5, "time")
        if pe.size != 26 or t.size != 25:
            raise ValueError(f"{path}: expected 25 PE × 24 time bins, got {pe.size - 1} × {t.size - 1}")
        counts = _grid(path, table, [(pe_c, "PE"), (t_c, "time")])
        if np.any(counts < 0) or np.any(counts != np.round(counts)):
            raise ValueError(f"{path}: counts must be non-negative integers")
        pe_edges, time_edges = pe, t
        out[key] = _frozen(counts)
    for key, name in _CSI_2017_TIME_PDFS.items():
        path = _require(root, name)
        table = _read_table(path, 2, ",")
        if not np.allclose(table[:, 0], 0.5 * (time_edges[:-1] + time_edges[1:])):
            raise ValueError(f"{path}: time bins differ from the data histograms' 0.5-µs bins on [0, 12] µs")
        if np.any(table[:, 1] < 0) or not math.isclose(table[:, 1].sum(), 1.0, abs_tol=1e-6):
            raise ValueError(f"{path}: fractions must be ≥ 0 and sum to 1, sum is {table[:, 1].sum():g}")
        out[key] = _frozen(table[:, 1])
    path = _require(root, "promptPDF.txt")
    table = _read_table(path, 2, ",")
    _edges_from_centres(path, table[:, 0], 0.0, 1.0, "PE")
    out["prompt_pdf_pe_centres"] = _frozen(table[:, 0])
    out["prompt_pdf_values"] = _frozen(table[:, 1])
    return CsI2017Release(pe_edges=_frozen(pe_edges), time_edges_us=_frozen(time_edges), **out)


# --- minimal YAML ------------------------------------------------------------------------

_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_+\-]*)\s*:(?:\s+(.*?))?\s*$")


def _yaml_scalar(text: str) -> Any:
    t = text.strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "'\"":
        return t[1:-1]
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "~", ""):
        return None
    for cast in (int, float):
        try:
            return cast(t)
        except ValueError:
            pass
    return t


def parse_simple_yaml(text: str, origin: str = "<yaml>") -> dict[str, Any]:
    """Parse the block-style YAML subset of the COHERENT parameter files: nested mappings
    by indentation, sequences of mappings (``- name: a``), literal block scalars (``|``),
    multi-line plain scalars, and int/float/bool/null/string scalars. No flow collections,
    anchors, tags or multiple documents (a ValueError names the line otherwise).

    Written because PyYAML is not a dependency of this package; it reads every file of the
    releases supported here.
    """
    raw = text.replace("\t", "    ").splitlines()
    lines = [(len(ln) - len(ln.lstrip(" ")), ln.strip(), k + 1) for k, ln in enumerate(raw)]

    def significant(i: int) -> int:
        while i < len(lines) and (not lines[i][1] or lines[i][1].startswith("#")):
            i += 1
        return i

    def block_scalar(i: int, parent: int) -> tuple[str, int]:
        body: list[str] = []
        j = i
        while j < len(lines) and (not lines[j][1] or lines[j][0] > parent):
            body.append(raw[j])
            j += 1
        while body and not body[-1].strip():
            body.pop()
        indent = min((len(b) - len(b.lstrip(" ")) for b in body if b.strip()), default=0)
        return "\n".join(b[indent:] for b in body) + ("\n" if body else ""), j

    def node(i: int, indent: int) -> tuple[Any, int]:
        i = significant(i)
        if i < len(lines) and lines[i][1].startswith("- "):
            return sequence(i, lines[i][0])
        return mapping(i, indent)

    def sequence(i: int, indent: int) -> tuple[list[Any], int]:
        items: list[Any] = []
        while True:
            i = significant(i)
            if i >= len(lines) or lines[i][0] != indent or not lines[i][1].startswith("- "):
                return items, i
            col, content, number = lines[i]
            rest = content[1:].lstrip()
            sub = col + (len(content) - len(rest))
            if _KEY.match(rest):
                lines[i] = (sub, rest, number)
                value, i = mapping(i, sub)
            else:
                value, i = _yaml_scalar(rest), i + 1
            items.append(value)

    def mapping(i: int, indent: int) -> tuple[dict[str, Any], int]:
        out: dict[str, Any] = {}
        while True:
            i = significant(i)
            if i >= len(lines) or lines[i][0] < indent:
                return out, i
            col, content, number = lines[i]
            if col > indent:
                raise ValueError(f"{origin}, line {number}: unexpected indentation")
            m = _KEY.match(content)
            if not m or content.startswith("- "):
                raise ValueError(f"{origin}, line {number}: expected 'key: value', got {content!r}")
            key, rest = m.group(1), (m.group(2) or "")
            if key in out:
                raise ValueError(f"{origin}, line {number}: duplicate key {key!r}")
            if rest in ("|", "|-", "|+", ">", ">-"):
                value, i = block_scalar(i + 1, col)
                if rest.startswith(">"):
                    value = " ".join(value.split()) + "\n"
                if rest.endswith("-"):
                    value = value.rstrip("\n")
            elif rest:
                if rest[0] in "[{&*!":
                    raise ValueError(f"{origin}, line {number}: flow collections, anchors and tags are not supported")
                parts, i = [rest], i + 1
                while (j := significant(i)) < len(lines) and lines[j][0] > col and not _KEY.match(lines[j][1]):
                    parts.append(lines[j][1])
                    i = j + 1
                value = _yaml_scalar(" ".join(parts))
            else:
                j = significant(i + 1)
                if j < len(lines) and (lines[j][0] > col or (lines[j][0] == col and lines[j][1].startswith("- "))):
                    if lines[j][1].startswith("- ") or _KEY.match(lines[j][1]):
                        value, i = node(j, lines[j][0])
                    else:  # multi-line plain scalar starting on the next line
                        parts = []
                        while j < len(lines) and lines[j][0] > col:
                            parts.append(lines[j][1])
                            j = significant(j + 1)
                        value, i = _yaml_scalar(" ".join(parts)), j
                else:
                    value, i = None, i + 1
            out[key] = value

    result, end = mapping(significant(0), 0)
    end = significant(end)
    if end < len(lines):
        raise ValueError(f"{origin}, line {lines[end][2]}: unexpected content {lines[end][1]!r}")
    return result


# --- CENNS-10 LAr, Analysis A ------------------------------------------------------------

#: Binning of the 3-D PDFs (release companion, Table 1): energy 0–120 keVee in 10-keVee
#: bins, F90 0.5–0.9 in 0.05 bins, t_trig −0.1–4.9 µs in 0.5-µs bins.
LAR_ENERGY_EDGES_KEVEE = tuple(float(x) for x in np.arange(13) * 10.0)
LAR_F90_EDGES = tuple(float(x) for x in np.round(0.5 + 0.05 * np.arange(9), 10))
LAR_TIME_EDGES_US = tuple(float(x) for x in np.round(-0.1 + 0.5 * np.arange(11), 10))

_LAR_PDFS = {
    "cevns": "cevnspdf.txt",
    "brn_prompt": "brnpdf.txt",
    "brn_delayed": "delbrnpdf.txt",
    "steady_state": "bkgpdf.txt",
}
#: YAML keys of the CV prediction and best-fit normalisations of each PDF.
_LAR_NORMALISATION_KEYS = {
    "cevns": ("cevnsPredictionNormalization", "cevnsBestfitNormalization"),
    "brn_prompt": ("promptBeamRelatedNeutronPredictionNormalization", "promptBeamRelatedNeutronBestfitNormalization"),
    "brn_delayed": ("delayedBeamRelatedNeutronPredictionNormalization", "delayedBeamRelatedNeutronBestfitNormalization"),
    "steady_state": ("ssBackgroundPredictionNormalization", "ssBackgroundBestfitNormalization"),
}


@dataclass(frozen=True, eq=False)
class LArAnalysisARelease:
    """COHERENT CENNS-10 liquid-argon data release, Analysis A: D. Akimov et al.
    (COHERENT), arXiv:2006.12659, doi:10.5281/zenodo.3903810 (data of PRL 126, 012002
    (2021), arXiv:2003.10630).

    3-D arrays are indexed [energy, F90, time]: 12 reconstructed-energy bins on [0, 120]
    keVee, 8 F90 bins on [0.5, 0.9], 10 t_trig bins on [−0.1, 4.9] µs (companion, Table 1).
    Each PDF is in expected counts per bin, normalised in the file to the central-value
    prediction of Analysis A (companion, Sec. 2.2–2.4 and Table 2); ``data`` is the
    beam-on data without background subtraction. The steady-state PDF is measured off-beam
    data sampled over a 5× longer window, so a subtraction of it carries a √5-larger
    per-bin error (companion, Sec. 2.4).
    """

    folder: Path
    #: The parsed ``LArParametersAnlA.yaml`` (key → entry mapping, as in the file).
    parameters: Mapping[str, Any]
    #: Bin edges: energy (13,) keVee, F90 (9,), time after trigger (11,) µs.
    energy_edges_kevee: np.ndarray
    f90_edges: np.ndarray
    time_edges_us: np.ndarray
    #: Expected counts per bin (12, 8, 10) of each component: "cevns", "brn_prompt",
    #: "brn_delayed", "steady_state".
    pdfs: Mapping[str, np.ndarray]
    #: Beam-on counts per bin (12, 8, 10), no background subtracted.
    data: np.ndarray
    #: ``CENNS10AnlAEfficiency.txt``: bin centres in keVee (80,) and keVnr (80,) and the
    #: acceptance efficiency (80,); the last value holds above the table (companion, Sec. 2.6).
    efficiency_energy_kevee: np.ndarray
    efficiency_energy_kevnr: np.ndarray
    efficiency: np.ndarray
    #: Systematic-shift PDFs from ``SystErrors/`` (file stem → (12, 8, 10) array); empty if
    #: the folder is absent (companion, Sec. 3 and Table 3).
    systematic_pdfs: Mapping[str, np.ndarray] = field(default_factory=dict)

    def _value(self, key: str) -> Any:
        try:
            return self.parameters[key]["value"]
        except (KeyError, TypeError):
            raise ValueError(f"LArParametersAnlA.yaml has no value for {key!r}") from None

    def _parameter(self, key: str, name: str) -> float:
        for entry in self.parameters.get(key, {}).get("parameters", []) or []:
            if entry.get("name") == name:
                return float(entry["value"])
        raise ValueError(f"LArParametersAnlA.yaml has no parameter {name!r} in {key!r}")

    @property
    def pot(self) -> float:
        """Beam exposure in protons on target (YAML ``beamExposure``, given in 10²² POT)."""
        units = str(self.parameters["beamExposure"].get("units", ""))
        if not units.startswith("E22"):
            raise ValueError(f"unexpected beamExposure units {units!r}")
        return float(self._value("beamExposure")) * 1e22

    @property
    def distance_m(self) -> float:
        """Detector distance to the SNS target (m)."""
        return float(self._value("distanceToTarget"))

    @property
    def fiducial_mass_kg(self) -> float:
        return float(self._value("fiducialMass"))

    @property
    def nu_per_flavor_per_pot(self) -> float:
        return float(self._value("neutrinosPerProton"))

    @property
    def quenching_factor(self) -> tuple[float, float]:
        """(a, b) of QF = a + b T, T in keVnr (b in 1/keVnr)."""
        return self._parameter("larQF", "a"), self._parameter("larQF", "b")

    @property
    def resolution_a(self) -> float:
        """a of σ/E = a/√E, E in keVee (a in keVee^½)."""
        return self._parameter("energyResolution", "a")

    @property
    def pot_trace_ns(self) -> tuple[float, float]:
        """(mean, width) in ns of the Gaussian proton-on-target trace relative to t_trig."""
        return self._parameter("snsPOTTraceTiming", "a"), self._parameter("snsPOTTraceTiming", "b")

    def predicted_counts(self) -> dict[str, tuple[float, float]]:
        """CV prediction (value, uncertainty) of each component, from the YAML."""
        return {k: (float(self._value(p)), float(self.parameters[p]["uncertainty"])) for k, (p, _) in _LAR_NORMALISATION_KEYS.items()}

    def best_fit_counts(self) -> dict[str, tuple[float, float]]:
        """Best-fit (value, uncertainty) of each component, from the YAML."""
        out = {}
        for k, (_, b) in _LAR_NORMALISATION_KEYS.items():
            entry = self.parameters[b]
            out[k] = (float(entry["value"]), float(entry.get("uncertainty", entry.get("uncertainty_stat"))))
        return out


def load_lar_2020_analysis_a(folder: str | Path) -> LArAnalysisARelease:
    """Read the CENNS-10 Analysis A release (arXiv:2006.12659) from ``folder`` (the release's
    ``Data`` directory, or a folder holding the same files).

    3-D files (``cevnspdf.txt``, ``brnpdf.txt``, ``delbrnpdf.txt``, ``bkgpdf.txt``,
    ``datanobkgsub.txt``, ``SystErrors/*.txt``): whitespace-separated energy bin centre
    (keVee), F90 bin centre, t_trig bin centre (µs), value; energy-major order, time fastest.
    """
    root = _folder(folder, "CENNS-10 LAr")
    path = _require(root, "LArParametersAnlA.yaml")
    try:
        parameters = parse_simple_yaml(path.read_text(), str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the file ({exc})") from None
    for keys in _LAR_NORMALISATION_KEYS.values():
        for key in keys:
            if not isinstance(parameters.get(key), dict) or "value" not in parameters[key]:
                raise ValueError(f"{path}: missing entry {key!r} with a value")
    e_edges, f_edges, t_edges = (np.array(x) for x in (LAR_ENERGY_EDGES_KEVEE, LAR_F90_EDGES, LAR_TIME_EDGES_US))
    axes = [
        (0.5 * (e_edges[:-1] + e_edges[1:]), "energy"),
        (0.5 * (f_edges[:-1] + f_edges[1:]), "F90"),
        (0.5 * (t_edges[:-1] + t_edges[1:]), "time"),
    ]

    def grid(p: Path) -> np.ndarray:
        values = _grid(p, _read_table(p, 4), axes)
        if np.any(values < 0):
            raise ValueError(f"{p}: negative entries")
        return _frozen(values)

    pdfs = {key: grid(_require(root, name)) for key, name in _LAR_PDFS.items()}
    data = grid(_require(root, "datanobkgsub.txt"))
    if np.any(data != np.round(data)):
        raise ValueError(f"{root / 'datanobkgsub.txt'}: counts must be integers")
    syst_dir = root / "SystErrors"
    systematics = {p.stem: grid(p) for p in sorted(syst_dir.glob("*.txt"))} if syst_dir.is_dir() else {}
    path = _require(root, "CENNS10AnlAEfficiency.txt")
    eff = _read_table(path, 3)
    if np.any(np.diff(eff[:, 0]) <= 0) or np.any((eff[:, 2] < 0) | (eff[:, 2] > 1)):
        raise ValueError(f"{path}: energies must increase and efficiencies lie in [0, 1]")
    return LArAnalysisARelease(
        folder=root,
        parameters=parameters,
        energy_edges_kevee=_frozen(e_edges),
        f90_edges=_frozen(f_edges),
        time_edges_us=_frozen(t_edges),
        pdfs=pdfs,
        data=data,
        efficiency_energy_kevee=_frozen(eff[:, 0]),
        efficiency_energy_kevnr=_frozen(eff[:, 1]),
        efficiency=_frozen(eff[:, 2]),
        systematic_pdfs=systematics,
    )


# --- CsI[Na] 2021 (full data set) ---------------------------------------------------------


def _labelled_rows(path: Path, columns: int) -> list[tuple[str, tuple[float, ...]]]:
    """Rows of ``columns`` numbers, each with the last '#' comment line above it."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the file ({exc})") from None
    label, rows = "", []
    for number, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            label = s.lstrip("#").strip()
            continue
        try:
            values = tuple(float(x) for x in s.split())
        except ValueError:
            raise ValueError(f"{path}, line {number}: non-numeric value in {s!r}") from None
        if len(values) != columns:
            raise ValueError(f"{path}, line {number}: expected {columns} coefficients, got {len(values)}")
        rows.append((label, values))
    if not rows or "nominal" not in rows[0][0].lower():
        raise ValueError(f"{path}: expected a '# Nominal ...' coefficient line first")
    return rows


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
    root = _folder(folder, "CsI 2021")
    out: dict[str, Any] = {"folder": root}
    for key, name in (("coincidence_events", "dataBeamOnC.txt"), ("anticoincidence_events", "dataBeamOnAC.txt")):
        path = _require(root, name)
        events = _read_table(path, 2)
        if np.any(events[:, 0] < 0) or np.any(events[:, 1] < 0):
            raise ValueError(f"{path}: negative PE or time")
        out[key] = _frozen(events)
    pe_edges = time_edges = None
    for key, name, low, width, what in (
        ("brn_pe", "brnPE.txt", 0.0, 1.0, "PE"),
        ("nin_pe", "ninPE.txt", 0.0, 1.0, "PE"),
        ("brn_time", "brnTrec.txt", -0.25, 0.01, "time"),
        ("nin_time", "ninTrec.txt", -0.25, 0.01, "time"),
    ):
        path = _require(root, name)
        table = _read_table(path, 2)
        edges = _edges_from_centres(path, table[:, 0], low, width, what)
        if np.any(table[:, 1] < 0) or not table[:, 1].sum() > 0:
            raise ValueError(f"{path}: values must be ≥ 0 and not all zero")
        if what == "PE":
            if pe_edges is not None and pe_edges.size != edges.size:
                raise ValueError(f"{path}: PE binning differs from brnPE.txt")
            pe_edges = edges
        else:
            if time_edges is not None and time_edges.size != edges.size:
                raise ValueError(f"{path}: time binning differs from brnTrec.txt")
            time_edges = edges
        out[key] = _frozen(table[:, 1])
    eff = _labelled_rows(_require(root, "effCoefficients.txt"), 4)
    scint = _labelled_rows(_require(root, "scintRespCoefficients.txt"), 4)
    return CsI2021Release(
        pe_edges=_frozen(pe_edges),
        time_edges_us=_frozen(np.round(time_edges, 10)),
        efficiency_coefficients=eff[0][1],
        efficiency_systematics=tuple(eff[1:]),
        quenching_coefficients=scint[0][1],
        quenching_systematics=tuple(scint[1:]),
        **out,
    )


__all__ = [
    "LAR_ENERGY_EDGES_KEVEE",
    "LAR_F90_EDGES",
    "LAR_TIME_EDGES_US",
    "CsI2017Release",
    "CsI2021Release",
    "LArAnalysisARelease",
    "load_csi_2017",
    "load_csi_2021",
    "load_lar_2020_analysis_a",
    "parse_simple_yaml",
]
