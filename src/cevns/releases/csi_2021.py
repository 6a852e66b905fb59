"""COHERENT CsI[Na] full data set (D. Akimov et al. (COHERENT), PRL 129, 081801 (2022),
arXiv:2110.07730): the paper's ancillary files.

* :func:`load_csi_2021` → :class:`CsI2021Release` — event lists, BRN / NIN shapes,
  efficiency and scintillation-response coefficients.
* :data:`RELEASE` — the registry entry (:mod:`cevns.releases.registry`): files with their
  SHA-256 and the loader. No likelihood yet: ``cevns compare`` says so. The release's 2-D SNS
  flux ``snsFlux2D.root`` is not in the registry (no checksum of it could be established
  here) and is not needed by the loader.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cevns.errors import InputError
from cevns.releases.reading import edges_from_centres, frozen, read_table, read_text, release_folder, require_file
from cevns.releases.registry import DataRelease, file_table


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
    marker="dataBeamOnC.txt",
)

__all__ = ["FILES", "RELEASE", "CsI2021Release", "load_csi_2021"]
