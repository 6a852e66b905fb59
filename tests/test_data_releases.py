"""Loaders of the official COHERENT data releases (cevns.releases.csi_2017, lar_2020,
csi_2021) on the shared copies, and the PyYAML reader of their parameter files
(cevns.releases.reading) against the hand-written reader it replaced."""

import math
import os
import shutil

import numpy as np
import pytest

from legacy_simple_yaml import parse_simple_yaml
from cevns.releases.csi_2017 import load_csi_2017
from cevns.releases.csi_2021 import load_csi_2021
from cevns.releases.lar_2020 import load_lar_2020_analysis_a
from cevns.releases.reading import read_yaml
from cevns.sources import timing as T
from cevns.detector.response import PolynomialQuenching


def _release(shared_dir, name):
    path = shared_dir / "coherent-data-releases" / name
    if not path.is_dir():
        pytest.skip(f"{path} is not available")
    return path


def _writable_copy(src, dst):
    """Copy a release folder (the shared copies are read-only) file by file."""
    for path in src.rglob("*"):
        if path.is_file() and path.suffix != ".pdf":
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return dst


# --- CsI 2017 ----------------------------------------------------------------------------


@pytest.fixture
def csi2017(shared_dir):
    return load_csi_2017(_release(shared_dir, "csi-2017"))


def test_csi_2017_histograms(csi2017):
    r = csi2017
    np.testing.assert_allclose(r.pe_edges, np.arange(0, 51, 2.0))
    np.testing.assert_allclose(r.time_edges_us, np.arange(0, 12.01, 0.5))
    for h in (r.coincidence_beam_on, r.anticoincidence_beam_on, r.coincidence_beam_off, r.anticoincidence_beam_off):
        assert h.shape == (25, 24) and not h.flags.writeable
    totals = [h.sum() for h in (r.coincidence_beam_on, r.anticoincidence_beam_on, r.coincidence_beam_off, r.anticoincidence_beam_off)]
    assert totals == [1207, 1032, 507, 507]
    # the file's first rows: PE bin 1, t = 0.25 µs holds 2 beam-on coincidence events
    assert r.coincidence_beam_on[0, 0] == 2 and r.coincidence_beam_on[0, 5] == 1
    for pdf in (r.prompt_neutrino_time_pdf, r.delayed_neutrino_time_pdf, r.prompt_neutron_time_pdf):
        assert pdf.shape == (24,) and pdf.sum() == pytest.approx(1.0)
    assert r.prompt_pdf_values.shape == (50,)


def test_csi_2017_residual(csi2017):
    """Beam-on coincidence − anticoincidence, 6 ≤ PE < 30, t < 6 µs: 142 ± 30.9 (√(547 + 405)),
    the same as the ≈ 142 ± 31 residual quoted for Science 357, 1123 (2017) (that number was
    not re-read from the paper here; the fitted CEvNS count of the paper is a different number)."""
    count, sigma = csi2017.residual_count()
    assert count == 142.0
    assert sigma == pytest.approx(30.85, abs=0.01)
    edges, residual, per_bin = csi2017.residual_pe_spectrum()
    np.testing.assert_allclose(edges, np.arange(6, 31, 2.0))
    np.testing.assert_array_equal(residual, [9, 11, 24, 25, 21, 17, 5, 10, 6, 0, 5, 9])
    assert np.sum(per_bin**2) == 547 + 405
    # beam-off: no excess (2 ± 20)
    off, off_sigma = csi2017.residual_count(beam="off")
    assert abs(off) < off_sigma
    # whole 12-µs window
    assert csi2017.residual_count(t_max_us=12.0)[0] == 152.0
    with pytest.raises(ValueError, match="not a bin edge"):
        csi2017.residual_count(pe_min=5.0)
    with pytest.raises(ValueError, match="beam"):
        csi2017.residual_count(beam="both")


def test_csi_2017_errors(shared_dir, tmp_path):
    src = _release(shared_dir, "csi-2017")
    folder = _writable_copy(src, tmp_path / "csi")
    (folder / "data_coincidence_beamOff.txt").unlink()
    with pytest.raises(ValueError, match="data_coincidence_beamOff.txt"):
        load_csi_2017(folder)
    shutil.copyfile(src / "data_coincidence_beamOff.txt", folder / "data_coincidence_beamOff.txt")
    with open(folder / "arrivalTimePDF_delayedNeutrinos.txt", "a") as fh:
        fh.write("12.25, abc\n")
    with pytest.raises(ValueError, match=r"arrivalTimePDF_delayedNeutrinos.txt, line 25: non-numeric"):
        load_csi_2017(folder)
    with pytest.raises(ValueError, match="does not exist"):
        load_csi_2017(tmp_path / "nowhere")


# --- CENNS-10 LAr, Analysis A ------------------------------------------------------------


@pytest.fixture
def lar(shared_dir):
    return load_lar_2020_analysis_a(_release(shared_dir, "lar-2020-analysisA"))


def test_lar_binning_and_parameters(lar):
    np.testing.assert_allclose(lar.energy_edges_kevee, np.arange(0, 121, 10.0))
    np.testing.assert_allclose(lar.f90_edges, np.linspace(0.5, 0.9, 9))
    np.testing.assert_allclose(lar.time_edges_us, np.linspace(-0.1, 4.9, 11))
    assert lar.pot == pytest.approx(13.8e22)
    assert lar.distance_m == 27.5 and lar.fiducial_mass_kg == 24.4 and lar.nu_per_flavor_per_pot == 0.09
    assert lar.quenching_factor == (0.246, 0.00078)
    assert lar.resolution_a == 0.58
    assert lar.pot_trace_ns == (440.0, 150.0)
    assert lar.pot_trace_ns[1] * T.ns == T.SNS_PULSE.sigma_s and lar.pot_trace_ns[0] * T.ns == T.SNS_PULSE.mean_s
    assert lar.best_fit_counts()["cevns"] == (159.0, 43.0)
    assert "sigma/E = a/sqrt(E)" in lar.parameters["energyResolution"]["comment"]
    assert lar.efficiency.shape == (80,) and lar.efficiency[0] == 0.0 and lar.efficiency[-1] == pytest.approx(0.96345)
    np.testing.assert_allclose(np.diff(lar.efficiency_energy_kevee), 0.5)


def test_lar_pdf_totals_match_predictions(lar):
    """Each PDF sums to the central-value prediction of the YAML (companion, Table 2):
    CEvNS 128.0000, prompt BRN 497.0000, delayed BRN 33.0000, steady state 3152.0002 — the
    YAML says 3154 ± 25 for the last, the companion's Table 2 says 3152 ± 25."""
    predicted = lar.predicted_counts()
    for key in ("cevns", "brn_prompt", "brn_delayed"):
        assert lar.pdfs[key].shape == (12, 8, 10)
        assert lar.pdfs[key].sum() == pytest.approx(predicted[key][0], rel=1e-6)
    assert lar.pdfs["steady_state"].sum() == pytest.approx(3152.0, rel=1e-6)
    assert lar.pdfs["steady_state"].sum() == pytest.approx(predicted["steady_state"][0], rel=1e-3)
    assert lar.data.shape == (12, 8, 10) and lar.data.sum() == 3752
    # the steady-state time shape is flat (companion, Sec. 2.4)
    ss_t = lar.pdfs["steady_state"].sum(axis=(0, 1))
    np.testing.assert_allclose(ss_t, ss_t.mean(), rtol=1e-4)
    # systematic-shift PDFs keep their central normalisation, except that the released
    # brnpdf+1sigBRNTimingMean.txt sums to 523.67 (5.4 % above 497; its −1σ partner sums to 497)
    assert len(lar.systematic_pdfs) == 8
    for name, pdf in lar.systematic_pdfs.items():
        central = lar.pdfs["cevns" if name.startswith("cevns") else "brn_prompt"].sum()
        if name == "brnpdf+1sigBRNTimingMean":
            assert pdf.sum() == pytest.approx(523.6713, rel=1e-6)
        else:
            assert pdf.sum() == pytest.approx(central, rel=1e-6), name


def test_lar_reshape_reproduces_released_projections(lar, shared_dir):
    """The 1-D projections shipped with the release (best-fit normalisations) follow from the
    3-D arrays: data − (3131/3152)·SS within 0.3 counts per bin (the best-fit SS count is rounded in the YAML), CEvNS × 159/128 within 1 %."""
    folder = _release(shared_dir, "lar-2020-analysisA") / "OneDProjections"
    if not folder.is_dir():
        pytest.skip("no OneDProjections")
    scale_ss = lar.best_fit_counts()["steady_state"][0] / lar.pdfs["steady_state"].sum()
    scale_cevns = lar.best_fit_counts()["cevns"][0] / lar.pdfs["cevns"].sum()
    for name, axes in (("energydata1d.txt", (1, 2)), ("f90data1d.txt", (0, 2)), ("timingdata1d.txt", (0, 1))):
        table = np.loadtxt(folder / name, skiprows=1)
        subtracted = lar.data.sum(axis=axes) - scale_ss * lar.pdfs["steady_state"].sum(axis=axes)
        np.testing.assert_allclose(subtracted, table[:, 1], atol=0.3, err_msg=name)
        np.testing.assert_allclose(scale_cevns * lar.pdfs["cevns"].sum(axis=axes), table[:, 3], rtol=0.01, atol=1e-3, err_msg=name)


def test_lar_cevns_time_shape_against_timing_model(lar):
    """The released CEvNS t_trig shape is a prompt/delayed mixture of the arrival-time model
    with the release's own Gaussian trace (440 ns, σ 150 ns): a least-squares mixture fits every
    0.5-µs bin within 0.01 of the total (measured: prompt weight 0.25, worst bin the first,
    0.0866 released vs 0.0945)."""
    shape = lar.pdfs["cevns"].sum(axis=(0, 1))
    shape = shape / shape.sum()
    edges = lar.time_edges_us * T.us
    prompt = T.time_bin_fractions("nu_mu", edges)
    delayed = T.time_bin_fractions("nu_e", edges)
    prompt, delayed = prompt / prompt.sum(), delayed / delayed.sum()
    w = float(np.dot(shape - delayed, prompt - delayed) / np.dot(prompt - delayed, prompt - delayed))
    assert 0.2 < w < 0.3
    assert np.max(np.abs(w * prompt + (1 - w) * delayed - shape)) < 0.01


def test_lar_errors(shared_dir, tmp_path):
    src = _release(shared_dir, "lar-2020-analysisA")
    folder = _writable_copy(src, tmp_path / "lar")
    lines = (folder / "cevnspdf.txt").read_text().splitlines()
    (folder / "cevnspdf.txt").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(ValueError, match=r"cevnspdf.txt: expected 960 rows"):
        load_lar_2020_analysis_a(folder)
    lines[0], lines[1] = lines[1], lines[0]
    (folder / "cevnspdf.txt").write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"cevnspdf.txt: rows are not ordered"):
        load_lar_2020_analysis_a(folder)
    shutil.copyfile(src / "cevnspdf.txt", folder / "cevnspdf.txt")
    text = (folder / "LArParametersAnlA.yaml").read_text()
    (folder / "LArParametersAnlA.yaml").write_text(text.replace("cevnsPredictionNormalization:", "cevnsPrediction:"))
    with pytest.raises(ValueError, match="LArParametersAnlA.yaml: missing entry 'cevnsPredictionNormalization'"):
        load_lar_2020_analysis_a(folder)
    (folder / "LArParametersAnlA.yaml").unlink()
    with pytest.raises(ValueError, match="missing release file LArParametersAnlA.yaml"):
        load_lar_2020_analysis_a(folder)


_YAML_EXAMPLE = """top:
  name: Example  
  value: 13.8
  flag: true
  parameters: 
   - name: a
     value: 0.246
   - name: b
     value: 7
  comment: |
    first line
    second: line

plain:
  comment:
    continued
    over lines
  list:
    - 1
    - x
folded: >-
  a
  b
"""


def test_simple_yaml_parser():
    """The former hand-written reader, now the reference of tests/legacy_simple_yaml.py."""
    out = parse_simple_yaml(_YAML_EXAMPLE)
    assert out["top"]["name"] == "Example" and out["top"]["value"] == 13.8 and out["top"]["flag"] is True
    assert out["top"]["parameters"] == [{"name": "a", "value": 0.246}, {"name": "b", "value": 7}]
    assert out["top"]["comment"] == "first line\nsecond: line\n"
    assert out["plain"] == {"comment": "continued over lines", "list": [1, "x"]}
    assert out["folded"] == "a b"
    with pytest.raises(ValueError, match="line 2: unexpected indentation"):
        parse_simple_yaml("a: 1\n   b: 2\n")
    with pytest.raises(ValueError, match="flow collections"):
        parse_simple_yaml("a: [1, 2]\n")
    with pytest.raises(ValueError, match="duplicate key"):
        parse_simple_yaml("a: 1\na: 2\n")


def test_release_yaml_reader():
    """PyYAML (cevns.releases.reading.read_yaml) reads the example as the old reader did; it
    also reads YAML 1.2 numbers (1e-3, which PyYAML's YAML 1.1 default leaves a string) and
    flow collections, keeps yes/no and 1:30 strings, refuses duplicate keys, and names the
    line of a syntax error."""
    assert read_yaml(_YAML_EXAMPLE) == parse_simple_yaml(_YAML_EXAMPLE)
    out = read_yaml("a: 1e-3\nb: -2E+5\nc: 010\nd: yes\ne: 1:30\nf: '1e-3'\ng: .inf\nh: [1, 2.5]\ni: 2020-06-01\n")
    assert out == {"a": 0.001, "b": -2e5, "c": 10, "d": "yes", "e": "1:30", "f": "1e-3", "g": math.inf, "h": [1, 2.5],
                   "i": "2020-06-01"}
    assert type(out["c"]) is int and type(out["a"]) is float
    with pytest.raises(ValueError, match=r"^x\.yaml, line 2: .*mapping values are not allowed"):
        read_yaml("a: 1\n   b: 2\n", "x.yaml")
    with pytest.raises(ValueError, match=r"^x\.yaml, line 2: duplicate key 'a'$"):
        read_yaml("a: 1\na: 2\n", "x.yaml")
    with pytest.raises(ValueError, match="expected a mapping"):
        read_yaml("- 1\n- 2\n", "x.yaml")


def test_release_yaml_files_read_as_before(shared_dir):
    """Every YAML file of the shared releases gives the same values, of the same types, with
    PyYAML as with the hand-written reader the package used before."""
    root = shared_dir / "coherent-data-releases"
    if not root.is_dir():
        pytest.skip(f"{root} is not available")
    paths = sorted(root.rglob("*.yaml")) + sorted(root.rglob("*.yml"))
    if not paths and os.environ.get("CEVNS_RELEASE_DATA"):  # your own folder may hold only releases without YAML
        pytest.skip(f"{root} holds no YAML file")
    assert paths, "the shared releases hold no YAML file"

    def typed(value):
        if isinstance(value, dict):
            return {k: typed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [typed(v) for v in value]
        return (type(value).__name__, value)

    for path in paths:
        text = path.read_text()
        assert typed(read_yaml(text, str(path))) == typed(parse_simple_yaml(text, str(path))), path


# --- CsI 2021 ----------------------------------------------------------------------------


@pytest.fixture
def csi2021(shared_dir):
    return load_csi_2021(_release(shared_dir, "csi-2021"))


def test_csi_2021_contents(csi2021):
    r = csi2021
    assert r.coincidence_events.shape == (5142, 2) and r.anticoincidence_events.shape == (4890, 2)
    for events in (r.coincidence_events, r.anticoincidence_events):
        assert events[:, 0].min() >= 6 and events[:, 0].max() < 250
        assert events[:, 1].min() >= 0 and events[:, 1].max() < 6
    np.testing.assert_allclose(r.pe_edges, np.arange(251.0))
    np.testing.assert_allclose(r.time_edges_us[[0, -1]], [-0.25, 6.25])
    assert r.time_edges_us.size == 651
    for shape, size in ((r.brn_pe, 250), (r.nin_pe, 250), (r.brn_time, 650), (r.nin_time, 650)):
        assert shape.shape == (size,) and np.all(shape >= 0)
        assert r.normalised(shape).sum() == pytest.approx(1.0)
    assert r.brn_pe.sum() == pytest.approx(1.4977778, rel=1e-6)  # the release's own normalisation
    assert r.efficiency_coefficients == (1.32045, 0.285979, 10.8646, -0.333322)
    assert len(r.efficiency_systematics) == 2
    assert r.quenching_coefficients == (0.0554628, 4.30681, -111.707, 840.384)
    assert [label for label, _ in r.quenching_systematics] == [
        "Syst model 0, +1 sigma",
        "Syst model 0, -1 sigma",
        "Syst model 1, +1 sigma",
        "Syst model 1, -1 sigma",
    ]
    # efficiency: a/(1 + e^{-b(x-c)}) + d, clipped to [0, 1]
    assert r.efficiency_at(10.8646) == pytest.approx(1.32045 / 2 - 0.333322)
    assert r.efficiency_at(0.0) == 0.0 and 0.98 < r.efficiency_at(60.0) < 0.99
    # the keV form feeds PolynomialQuenching: E_ee(10 keVnr) = 0.88 keVee
    q = PolynomialQuenching(r.quenching_polynomial_kev())
    t_mev = 0.010
    expected = sum(a * t_mev**k for k, a in enumerate(r.quenching_coefficients, start=1)) * 1000
    assert float(q.ee_energy_kev(10.0, 55)) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(0.8825, abs=1e-3)


def test_csi_2021_errors(shared_dir, tmp_path):
    src = _release(shared_dir, "csi-2021")
    folder = _writable_copy(src, tmp_path / "csi21")
    (folder / "effCoefficients.txt").write_text("# Energy-dependent efficiency curve\n1 2 3\n")
    with pytest.raises(ValueError, match=r"effCoefficients.txt, line 2: expected 4 coefficients"):
        load_csi_2021(folder)
    (folder / "effCoefficients.txt").write_text("# Syst\n1 2 3 4\n")
    with pytest.raises(ValueError, match=r"effCoefficients.txt: expected a '# Nominal"):
        load_csi_2021(folder)
    (folder / "ninTrec.txt").unlink()
    shutil.copyfile(src / "effCoefficients.txt", folder / "effCoefficients.txt")
    with pytest.raises(ValueError, match="missing release file ninTrec.txt"):
        load_csi_2021(folder)
