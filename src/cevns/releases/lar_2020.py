"""COHERENT CENNS-10 liquid argon, Analysis A: the first detection of CEvNS on argon (D. Akimov
et al. (COHERENT), PRL 126, 012002 (2021), arXiv:2003.10630), its data release
(arXiv:2006.12659, doi:10.5281/zenodo.3903810) and the release's binned likelihood.

* :func:`load_lar_2020_analysis_a` → :class:`LArAnalysisARelease` — the release files as
  arrays and the parsed ``LArParametersAnlA.yaml`` (read with PyYAML,
  :func:`cevns.releases.reading.read_yaml`).
* :func:`lar_2020_likelihood` — energy × F90 × t_trig; templates and Gaussian constraints of
  the release (companion, Table 2 and Sec. 5: prompt BRN 497 ± 160, delayed BRN 33 ± 33,
  steady state 3152 ± 25; CEvNS prediction uncertainty 17/128). Our prediction per (energy,
  time) bin uses the release's efficiency, quenching, resolution, exposure and SNS pulse;
  the F90 of a nuclear recoil is taken from the released CEvNS PDF in each energy bin
  (companion Sec. 5, step 1f), since we do not model pulse shapes. The statistic is
  :mod:`cevns.stats.templates`'.
* :data:`RELEASE` — the registry entry (:mod:`cevns.releases.registry`): files with their
  SHA-256, loader, likelihood (option ``timing``), compared with the shipped
  ``coherent-lar-2020`` experiment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from cevns.config.experiments import load_experiment
from cevns.errors import InputError
from cevns.releases.reading import (
    frozen,
    grid_from_table,
    matching_slice,
    read_table,
    read_yaml_file,
    release_folder,
    require_file,
)
from cevns.releases.registry import DataRelease, file_table
from cevns.stats.templates import Axis, Background, SplitPredictor, TemplateData, TemplateLikelihood

#: CENNS-10 Analysis A CEvNS prediction 128 ± 17 (LArParametersAnlA.yaml,
#: cevnsPredictionNormalization): 13.3% signal normalisation uncertainty.
LAR_2020_SIGNAL_UNCERTAINTY = 17.0 / 128.0


# --- the release files --------------------------------------------------------------------------
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
            raise InputError(f"LArParametersAnlA.yaml has no value for {key!r}") from None

    def _parameter(self, key: str, name: str) -> float:
        for entry in self.parameters.get(key, {}).get("parameters", []) or []:
            if entry.get("name") == name:
                return float(entry["value"])
        raise InputError(f"LArParametersAnlA.yaml has no parameter {name!r} in {key!r}")

    @property
    def pot(self) -> float:
        """Beam exposure in protons on target (YAML ``beamExposure``, given in 10²² POT)."""
        units = str(self.parameters["beamExposure"].get("units", ""))
        if not units.startswith("E22"):
            raise InputError(f"unexpected beamExposure units {units!r}")
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
    root = release_folder(folder, "CENNS-10 LAr")
    path = require_file(root, "LArParametersAnlA.yaml")
    parameters = read_yaml_file(path)
    for keys in _LAR_NORMALISATION_KEYS.values():
        for key in keys:
            if not isinstance(parameters.get(key), dict) or "value" not in parameters[key]:
                raise InputError(f"{path}: missing entry {key!r} with a value")
    e_edges, f_edges, t_edges = (np.array(x) for x in (LAR_ENERGY_EDGES_KEVEE, LAR_F90_EDGES, LAR_TIME_EDGES_US))
    axes = [
        (0.5 * (e_edges[:-1] + e_edges[1:]), "energy"),
        (0.5 * (f_edges[:-1] + f_edges[1:]), "F90"),
        (0.5 * (t_edges[:-1] + t_edges[1:]), "time"),
    ]

    def grid(p: Path) -> np.ndarray:
        values = grid_from_table(p, read_table(p, 4), axes)
        if np.any(values < 0):
            raise InputError(f"{p}: negative entries")
        return frozen(values)

    pdfs = {key: grid(require_file(root, name)) for key, name in _LAR_PDFS.items()}
    data = grid(require_file(root, "datanobkgsub.txt"))
    if np.any(data != np.round(data)):
        raise InputError(f"{root / 'datanobkgsub.txt'}: counts must be integers")
    syst_dir = root / "SystErrors"
    systematics = {p.stem: grid(p) for p in sorted(syst_dir.glob("*.txt"))} if syst_dir.is_dir() else {}
    path = require_file(root, "CENNS10AnlAEfficiency.txt")
    eff = read_table(path, 3)
    if np.any(np.diff(eff[:, 0]) <= 0) or np.any((eff[:, 2] < 0) | (eff[:, 2] > 1)):
        raise InputError(f"{path}: energies must increase and efficiencies lie in [0, 1]")
    return LArAnalysisARelease(
        folder=root,
        parameters=parameters,
        energy_edges_kevee=frozen(e_edges),
        f90_edges=frozen(f_edges),
        time_edges_us=frozen(t_edges),
        pdfs=pdfs,
        data=data,
        efficiency_energy_kevee=frozen(eff[:, 0]),
        efficiency_energy_kevnr=frozen(eff[:, 1]),
        efficiency=frozen(eff[:, 2]),
        systematic_pdfs=systematics,
    )


# --- likelihood ---------------------------------------------------------------------------------
def lar_2020_overrides(release: LArAnalysisARelease) -> dict[str, Any]:
    """Experiment-file settings taken from the LAr release: mass, distance, POT, ν per
    proton (YAML), quenching QF = a + bT (YAML larQF), σ/E = a/√E (YAML energyResolution),
    the acceptance table (CENNS10AnlAEfficiency.txt, in keVee) and the t_trig bins with the
    SNS pulse (YAML snsPOTTraceTiming = :data:`cevns.sources.timing.SNS_PULSE`)."""
    a, b = release.quenching_factor
    return {
        "detector.mass_kg": release.fiducial_mass_kg,
        "source.baseline_m": release.distance_m,
        "source.pot": release.pot,
        "source.nu_per_flavor_per_pot": release.nu_per_flavor_per_pot,
        "detector.quenching": {"model": "polynomial", "coefficients": [0.0, a, b]},
        "detector.observable": {"kind": "keVee"},
        "detector.resolution": {"model": "gaussian", "stochastic": release.resolution_a},
        "detector.efficiency": {"model": "table", "x": [float(x) for x in release.efficiency_energy_kevee],
                                "efficiency": [float(x) for x in release.efficiency]},
        "detector.time": {"edges_us": [float(x) for x in release.time_edges_us], "pulse": "sns"},
    }


def lar_2020_data(release: LArAnalysisARelease) -> TemplateData:
    """The LAr Analysis A release: beam-on counts (energy × F90 × t_trig) and the prompt
    BRN, delayed BRN and steady-state templates with the Gaussian constraints of the
    release (companion Table 2, YAML prediction uncertainties)."""
    predicted = release.predicted_counts()
    names = {"brn_prompt": "prompt BRN", "brn_delayed": "delayed BRN", "steady_state": "steady state"}
    # the steady state is off-beam data sampled over a 5× longer window (companion Sec. 2.4)
    backgrounds = tuple(Background(label, release.pdfs[key].ravel().copy(), predicted[key][1] / predicted[key][0],
                                   measured=key == "steady_state", variance_per_count=0.2 if key == "steady_state" else 0.0)
                        for key, label in names.items())
    axes = (Axis("energy", release.energy_edges_kevee.copy(), "keVee"), Axis("F90", release.f90_edges.copy(), ""),
            Axis("time", release.time_edges_us.copy(), "µs"))
    return TemplateData("COHERENT CENNS-10 LAr Analysis A", axes, release.data.ravel().copy(), backgrounds,
                       LAR_2020_SIGNAL_UNCERTAINTY, label="CENNS-10 LAr Analysis A release, energy x F90 x t_trig")


def lar_2020_likelihood(
    folder: str | Path,
    experiment: str = "coherent-lar-2020",
    overrides: Mapping[str, Any] | None = None,
    fixed: Mapping[str, float | str] | None = None,
    timing: Literal["model", "release"] = "model",
) -> TemplateLikelihood:
    """Binned likelihood of the LAr Analysis A release in ``folder`` for ``experiment``
    (its energy bins must be the release's), with the release's detector settings
    (:func:`lar_2020_overrides`, then ``overrides``). F90 per energy bin from the released
    CEvNS PDF; ``timing="model"``: our arrival times per source flavour (:mod:`cevns.sources.timing`),
    ``"release"``: the released PDF's joint F90 × time distribution per energy bin."""
    release = load_lar_2020_analysis_a(folder)
    exp = load_experiment(experiment, {**lar_2020_overrides(release), **(overrides or {})})
    matching_slice(release.energy_edges_kevee, np.asarray(exp.response.edges, dtype=float), "energy")
    if len(exp.response.edges) != release.energy_edges_kevee.size:
        raise InputError(f"energy bins of {exp.name} must be all {release.energy_edges_kevee.size - 1} release bins")
    if timing not in ("model", "release"):
        raise InputError(f"timing must be 'model' or 'release', got {timing!r}")
    pdf = release.pdfs["cevns"]
    if timing == "model":
        split = pdf.sum(axis=2)
        fallback = split.sum(axis=0)
    else:
        split = pdf
        fallback = pdf.sum(axis=0)
    norm = split.reshape(split.shape[0], -1).sum(axis=1)
    empty = norm <= 0  # energy bins without released CEvNS: the average shape (our counts there are ~0)
    split = np.where(empty.reshape((-1,) + (1,) * (split.ndim - 1)), fallback / fallback.sum(),
                     split / np.where(empty, 1.0, norm).reshape((-1,) + (1,) * (split.ndim - 1)))
    return TemplateLikelihood(SplitPredictor(exp.predictor(), split), lar_2020_data(release), dict(fixed or {}))


# --- registry entry -------------------------------------------------------------------------------
# SHA-256 and sizes of the release files as distributed (as for cevns.releases.csi_2017.FILES).
# Columns: sha256, bytes, path in the release.
FILES = file_table("""
21ce25451c1ed552752ff4a22496deab3ff5dba178bf360813eaff1d25be89e2    1804  CENNS10AnlAEfficiency.txt
c783d98058d58a013f303f7fc12a83fcdf03ffee8bc649faece025ac1a2d4b09  285467  CENNS10DataReleaseCompanion.pdf
a206a77220436d0173c4783ae8fddeab97adf5e144f3d65005eff0870257693e    4906  LArParametersAnlA.yaml
d691284e875fb24e72787016f118c171974ca68fa6005da7ea653ca66059aa04     786  OneDProjections/energydata1d.txt
e82988ec2fdb871f21850ceea866213310ee81dca656ee4448282748037f1579     607  OneDProjections/f90data1d.txt
fb1054fac8baf2f527b51e6bd45e4341da45fe80dadce815a3d1cad08d729554     676  OneDProjections/timingdata1d.txt
7f06099e1bba0d2e328555c61cb255bb290607a44202327d29eb3ae3e05c1cd5   17304  SystErrors/brnpdf+1sigBRNTimingMean.txt
fb6fdaf99c9941653d33e1a909d8000b81c1ee9bb8e8ad3bf31839561faf6661   17333  SystErrors/brnpdf+1sigEnergy.txt
b5c1c8d0cb8b2319d093d38418da5ac2ccda59108755fb23e7f4a559cfe154f8   17295  SystErrors/brnpdf-1sigBRNTimingMean.txt
20bcad29e716f3fb0f1e9eeb8ffb049b4b3d8b3b3a150800b9c8711e2b177be6   17302  SystErrors/brnpdf-1sigEnergy.txt
304dba1553989d7c0cd3f745df9731a5306ec07ecc1044c20efbe2952707b270   17375  SystErrors/brnpdfBRNTimingWidthSyst.txt
308f78e19b7fb3e54399dc29c207bd2a89b91825df5309d48068a3495e1c92e2   18837  SystErrors/cevnspdf+1sigF90.txt
b4e8071f87aa22a562e0c00654a0989915251acf2c7e569068b9b78c3ae5ac35   18870  SystErrors/cevnspdf-1sigF90.txt
3170dafd4cf44df35bde0795e1245606d8144c05f3e50f015648c57bcdba97f5   18877  SystErrors/cevnspdfCEvNSTimingMeanSyst.txt
36c89291dde3032a19ca7a8e64510d036d7b40c34b0805ce475a13ccfa739dd1   21190  bkgpdf.txt
02664ce6a84eca8c6146b6502497bc5d8165df945da132193622334ff4ff826f   17304  brnpdf.txt
3b1d5b25749e8d8e1cfdf5c32e48f026ce4aafec0a80632b3a63273e6e0e1f37   18857  cevnspdf.txt
dabf3d80f13959f4b94b77c9b56f7347a645105801e8cc177424e7ffcf7c7f66   15537  datanobkgsub.txt
ebccca6c1650b0ace71fdbaade7a80ea289a99ff3c120266ae6ecf0083df5c63   16116  delbrnpdf.txt
09fd74b1bc242f1638dae465eefc97e374a2e6efa0aaa1b4452f1ee20dd42aed     239  systerrors1denergy.txt
a553c63ce5861d63c139aa18d3ece0f5e9d32be2029eb2a7474b8e4e39000c0f     182  systerrors1dpsd.txt
a7719f21aa5c8820f6ed65d385d7ba14f55631976a6ca289d8685081599529be     219  systerrors1dtime.txt
""")

RELEASE = DataRelease(
    name="lar-2020-analysisA",
    title="COHERENT CENNS-10 LAr, Analysis A data release",
    citation="D. Akimov et al. (COHERENT), arXiv:2006.12659, doi:10.5281/zenodo.3903810 "
             "(data of PRL 126, 012002 (2021), arXiv:2003.10630)",
    files=FILES,
    loader=load_lar_2020_analysis_a,
    likelihood=lar_2020_likelihood,
    experiment="coherent-lar-2020",
    marker="LArParametersAnlA.yaml",
    options=("timing",),
)

__all__ = [
    "FILES",
    "LAR_2020_SIGNAL_UNCERTAINTY",
    "LAR_ENERGY_EDGES_KEVEE",
    "LAR_F90_EDGES",
    "LAR_TIME_EDGES_US",
    "RELEASE",
    "LArAnalysisARelease",
    "lar_2020_data",
    "lar_2020_likelihood",
    "lar_2020_overrides",
    "load_lar_2020_analysis_a",
]
