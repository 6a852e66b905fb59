"""COHERENT CsI[Na] 2017: the first observation of CEvNS (D. Akimov et al. (COHERENT),
Science 357, 1123 (2017), arXiv:1708.01294), its published numbers, its data release
(arXiv:1804.09459, doi:10.5281/zenodo.1228631) and the release's binned likelihood.

* :data:`COHERENT_2017_SM_PREDICTION` — COHERENT's Standard-Model prediction for the data set.
* :func:`load_csi_2017` → :class:`CsI2017Release` — the release files as arrays.
* :func:`csi_2017_likelihood` — PE × arrival time, 2 PE × 0.5 µs bins, 0–12 µs; beam-on
  coincidence counts; steady state from the beam-on anticoincidence window (same length,
  τ = 1) per bin; prompt beam-related neutrons from the release's PE and time shapes
  normalised to 6 events in 6–30 PE with a 25% uncertainty (Science 357, 1123 (2017) and its
  supplement, as used by D. K. Papoulias & T. S. Kosmas, arXiv:1711.09773, Eq. 6); signal
  normalisation uncertainty 28% (same sources). The statistic is
  :mod:`cevns.stats.templates`'.
* :data:`RELEASE` — the registry entry (:mod:`cevns.releases.registry`): files with their
  SHA-256, loader, likelihood, compared with the shipped ``coherent-csi-2017`` experiment.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cevns.config.experiments import load_experiment
from cevns.errors import InputError
from cevns.releases.reading import (
    edges_from_centres,
    frozen,
    grid_from_table,
    matching_slice,
    read_table,
    release_folder,
    require_file,
)
from cevns.releases.registry import DataRelease, file_table
from cevns.stats.templates import Axis, Background, TemplateData, TemplateLikelihood

# --- published numbers ------------------------------------------------------------------------
#: COHERENT's Standard-Model prediction for the CsI[Na] 2017 data set, 173 ± 48 CEvNS events
#: (D. Akimov et al. (COHERENT), Science 357, 1123 (2017), arXiv:1708.01294; quoted in
#: F. Dordei, "CEvNS: status and prospects", Invisibles 2021 talk, slide "COHERENT CsI":
#: "To be compared with prediction: 173 ± 48 events").
COHERENT_2017_SM_PREDICTION = 173.0
COHERENT_2017_SM_PREDICTION_ERROR = 48.0
#: Prompt beam-related neutrons in the CsI 2017 region of interest (6–30 PE, the 12-µs
#: coincidence window): B_on = 6 events with a 25% normalisation uncertainty (COHERENT,
#: Science 357, 1123 (2017) and supplement; the values of D. K. Papoulias & T. S. Kosmas,
#: arXiv:1711.09773, Eq. 6).
CSI_2017_PROMPT_NEUTRONS = 6.0
CSI_2017_PROMPT_NEUTRON_UNCERTAINTY = 0.25
#: CsI 2017 signal normalisation uncertainty, 28% (same sources).
CSI_2017_SIGNAL_UNCERTAINTY = 0.28


# --- the release files --------------------------------------------------------------------------
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
                raise InputError(f"{what} = {value:g} is not a bin edge ({', '.join(f'{e:g}' for e in edges)})")
            return i

        p0, p1 = index(self.pe_edges, pe_min, "pe_min"), index(self.pe_edges, pe_max, "pe_max")
        t0, t1 = index(self.time_edges_us, t_min_us, "t_min_us"), index(self.time_edges_us, t_max_us, "t_max_us")
        if p1 <= p0 or t1 <= t0:
            raise InputError("the selection needs pe_min < pe_max and t_min_us < t_max_us")
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
            raise InputError(f"beam must be 'on' or 'off', got {beam!r}")
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
    root = release_folder(folder, "CsI 2017")
    out: dict[str, Any] = {"folder": root}
    pe_edges = time_edges = np.empty(0)  # set by every histogram (all have the same bins)
    for key, name in _CSI_2017_HISTOGRAMS.items():
        path = require_file(root, name)
        table = read_table(path, 3, ",")
        pe_c, t_c = np.unique(table[:, 0]), np.unique(table[:, 1])
        pe = edges_from_centres(path, pe_c, 0.0, 2.0, "PE")
        t = edges_from_centres(path, t_c, 0.0, 0.5, "time")
        if pe.size != 26 or t.size != 25:
            raise InputError(f"{path}: expected 25 PE × 24 time bins, got {pe.size - 1} × {t.size - 1}")
        counts = grid_from_table(path, table, [(pe_c, "PE"), (t_c, "time")])
        if np.any(counts < 0) or np.any(counts != np.round(counts)):
            raise InputError(f"{path}: counts must be non-negative integers")
        pe_edges, time_edges = pe, t
        out[key] = frozen(counts)
    for key, name in _CSI_2017_TIME_PDFS.items():
        path = require_file(root, name)
        table = read_table(path, 2, ",")
        if not np.allclose(table[:, 0], 0.5 * (time_edges[:-1] + time_edges[1:])):
            raise InputError(f"{path}: time bins differ from the data histograms' 0.5-µs bins on [0, 12] µs")
        if np.any(table[:, 1] < 0) or not math.isclose(table[:, 1].sum(), 1.0, abs_tol=1e-6):
            raise InputError(f"{path}: fractions must be ≥ 0 and sum to 1, sum is {table[:, 1].sum():g}")
        out[key] = frozen(table[:, 1])
    path = require_file(root, "promptPDF.txt")
    table = read_table(path, 2, ",")
    edges_from_centres(path, table[:, 0], 0.0, 1.0, "PE")
    out["prompt_pdf_pe_centres"] = frozen(table[:, 0])
    out["prompt_pdf_values"] = frozen(table[:, 1])
    return CsI2017Release(pe_edges=frozen(pe_edges), time_edges_us=frozen(time_edges), **out)


# --- likelihood ---------------------------------------------------------------------------------
def csi_2017_data(release: CsI2017Release, pe_edges: np.ndarray, efficiency: Callable[[np.ndarray], Any]) -> TemplateData:
    """The CsI 2017 release in the PE bins ``pe_edges`` (consecutive release edges) × the
    24 time bins of 0–12 µs: beam-on coincidence counts, the beam-on anticoincidence as the
    off sample (τ = 1: the window has the same length, release README) and the prompt
    neutrons, shaped by ``promptPDF.txt`` (1-PE bins, taken as before the acceptance,
    since it rises towards 0 PE, far below threshold; multiplied by ``efficiency``(PE)) and
    ``arrivalTimePDF_promptNeutrons.txt``, normalised to :data:`CSI_2017_PROMPT_NEUTRONS`
    in 6–30 PE."""
    ps = matching_slice(release.pe_edges, np.asarray(pe_edges, dtype=float), "PE")
    pe = release.prompt_pdf_pe_centres
    shape = release.prompt_pdf_values * np.asarray(efficiency(pe), dtype=float)
    per_2pe = np.histogram(pe, bins=release.pe_edges, weights=shape)[0]
    roi = (release.pe_edges[:-1] >= 6.0) & (release.pe_edges[1:] <= 30.0)
    neutrons = CSI_2017_PROMPT_NEUTRONS * per_2pe / per_2pe[roi].sum()
    template = np.outer(neutrons[ps], release.prompt_neutron_time_pdf)
    axes = (Axis("energy", release.pe_edges[ps.start : ps.stop + 1].copy(), "PE"),
            Axis("time", release.time_edges_us.copy(), "µs"))
    return TemplateData(
        name="COHERENT CsI 2017",
        axes=axes,
        observed=release.coincidence_beam_on[ps].ravel().copy(),
        backgrounds=(Background("prompt neutrons", template.ravel(), CSI_2017_PROMPT_NEUTRON_UNCERTAINTY),),
        sigma_signal=CSI_2017_SIGNAL_UNCERTAINTY,
        off=release.anticoincidence_beam_on[ps].ravel().copy(),
        off_ratio=1.0,
        label=f"COHERENT CsI 2017 release, {axes[0].edges[0]:g}-{axes[0].edges[-1]:g} PE x 0-12 us",
    )


def csi_2017_likelihood(
    folder: str | Path,
    experiment: str = "coherent-csi-2017",
    overrides: Mapping[str, Any] | None = None,
    fixed: Mapping[str, float | str] | None = None,
) -> TemplateLikelihood:
    """Binned likelihood of the CsI 2017 release in ``folder`` for ``experiment`` (a name or
    path, with ``overrides``; its PE bins must be release bins). The experiment's time
    selection is replaced by the release's 0.5-µs bins on 0–12 µs with the pulse fitted to
    the release's arrival-time PDFs (:data:`cevns.sources.timing.CSI_2017_FITTED_PULSE`)."""
    release = load_csi_2017(folder)
    time = {"edges_us": [float(x) for x in release.time_edges_us], "pulse": "csi-2017-fitted"}
    exp = load_experiment(experiment, {**(overrides or {}), "detector.time": time})
    data = csi_2017_data(release, np.asarray(exp.response.edges, dtype=float), exp.response.efficiency)
    return TemplateLikelihood(exp.predictor(), data, dict(fixed or {}))


# --- registry entry -------------------------------------------------------------------------------
# SHA-256 and sizes of the release files as distributed, computed with hashlib from
# byte-for-byte copies (each copy's origin is recorded, with a 16-hex-digit prefix of the
# same SHA-256, in the project's reference-data PROVENANCE.tsv; the tests check the two
# agree). Columns: sha256, bytes, path in the release.
FILES = file_table("""
6d8b4054173ca7d4f612b2ead7ce563e99eb99af9f4fc8d7b8b47c06cd5b640f     644  arrivalTimePDF_delayedNeutrinos.txt
2c92dd58f1366b7844e6ea0c73f016069a2c9b7d4538374259c00c370b9eb66a     292  arrivalTimePDF_promptNeutrinos.txt
f3992ea6d88a3da80f5134a00e4a7b784c119c9adeed9bc9649f4134e203fb11     379  arrivalTimePDF_promptNeutrons.txt
a0d52f3430c4a42e79bde5b1fc98807794f2dac13f38e94017c1cbbd9e8e6e10    8380  data_anticoincidence_beamOff.txt
8b180f9395dc8886f8be02f619e35903f151f8b15f7cbc5a0171ac7e59e59523    8382  data_anticoincidence_beamOn.txt
8d1133850a290e2d1e958c08184806dbd1e45bcb671937d1308ef6a5bb7cc63f    8380  data_coincidence_beamOff.txt
f9e8b795a48eb1f3a22cdca33cad978e5dc17fe56ea8f6a0bf32d18967051765    8386  data_coincidence_beamOn.txt
09d17caee92b5b0509f19b2233dab72cfdca1c0bbb68669c200331d95b330b1e     978  promptPDF.txt
""")

RELEASE = DataRelease(
    name="csi-2017",
    title="COHERENT CsI[Na] 2017 data release",
    citation="D. Akimov et al. (COHERENT), arXiv:1804.09459, doi:10.5281/zenodo.1228631 "
             "(data of Science 357, 1123 (2017), arXiv:1708.01294)",
    files=FILES,
    loader=load_csi_2017,
    likelihood=csi_2017_likelihood,
    experiment="coherent-csi-2017",
    marker="data_coincidence_beamOn.txt",
)

__all__ = [
    "COHERENT_2017_SM_PREDICTION",
    "COHERENT_2017_SM_PREDICTION_ERROR",
    "CSI_2017_PROMPT_NEUTRONS",
    "CSI_2017_PROMPT_NEUTRON_UNCERTAINTY",
    "CSI_2017_SIGNAL_UNCERTAINTY",
    "FILES",
    "RELEASE",
    "CsI2017Release",
    "csi_2017_data",
    "csi_2017_likelihood",
    "load_csi_2017",
]
