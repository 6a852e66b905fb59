"""``cevns reproduce``: the report files, the HTML page in a real browser, the CLI's errors
and resuming; and the papoulias-kosmas reproduction against the published statements."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from browser import chromium, load_in_browser
from cevns.cli import main
from cevns.reproduce import get_reproduction, reproduction_names
from cevns.reproduce.papoulias_kosmas import nsi_band_slope

ALL = tuple(reproduction_names())


def _summary(folder):
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _result(summary, start):
    (hit,) = [r for r in summary["results"] if r["quantity"].startswith(start)]
    return hit


@pytest.fixture(scope="module")
def pk(reproduced):
    return reproduced("papoulias-kosmas")


def test_list_names_every_reproduction(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.strip().splitlines()] == list(ALL)
    assert set(ALL) == {"papoulias-kosmas", "galindo-ge-array", "coherent-overview", "future-experiments", "coherent-csi-2021",
                        "neutrino-fog", "solar-8b", "reactor-germanium"}


def test_report_files(pk):
    summary = _summary(pk)
    names = [f["name"] for f in summary["figures"]]
    assert names == ["fig1_spectrum", "fig2_sin2w", "fig3_nsi_profiles", "fig4_nsi_region", "fig5_em_properties", "fig6_sterile"]
    for name in names:
        assert (pk / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert not (pk / f"{name}.pdf").exists()  # PDFs only with --pdf
        header = (pk / f"{name}.csv").read_text().splitlines()[0]
        assert len(header.split(",")) >= 2
    assert summary["fast"] is True and summary["reproduction"] == "papoulias-kosmas"
    assert summary["pdf"] is False and all(f["pdf"] is None for f in summary["figures"])
    assert summary["files"] == [f"{n}.{k}" for n in names for k in ("png", "csv")] + ["summary.json", "index.html"]
    assert all((pk / name).is_file() for name in summary["files"])
    html = (pk / "index.html").read_text(encoding="utf-8")
    assert ".pdf" not in html and "--pdf" not in html
    assert all(r["published_source"] for r in summary["results"])
    assert not list(pk.glob(".*.tmp")) and not [p for p in pk.iterdir() if p.name.startswith(".probe")]


def test_pk_sm_prediction_against_coherent(pk):
    # Published: COHERENT's SM prediction 173 ± 48 events in 6-30 PE (Science 357, 1123 (2017), quoted in
    # the CsI slide of F. Dordei's Invisibles 2021 talk). Ours differs by the flux shape (analytic πDAR vs COHERENT's simulated spectra):
    # tolerance 5%, well inside the quoted ±28%.
    r = _result(_summary(pk), "SM events")
    assert r["published"] == 173.0
    assert abs(r["relative_difference"]) < 0.05


def test_pk_spectrum_sums_to_the_single_bin(pk):
    rows = np.genfromtxt(pk / "fig1_spectrum.csv", delimiter=",", names=True)
    assert rows["data_on_minus_off"].sum() == pytest.approx(142.0)  # N_meas of Papoulias & Kosmas, Eq. 6
    sm = _result(_summary(pk), "SM events")["ours"]
    assert rows["sm_pk_untimed"].sum() == pytest.approx(sm, rel=1e-6)  # 12 × 2 PE = the 6-30 PE bin


def test_pk_nsi_bands_follow_the_weak_charge(pk):
    # Fig. 4: the bands run where (2ε_u + ε_d)Z + (ε_u + 2ε_d)N is constant (the NSI charge of Papoulias & Kosmas).
    r = _result(_summary(pk), "Fig. 4")
    assert r["published"] == pytest.approx(nsi_band_slope([(55, 78), (53, 74)]))
    assert abs(r["relative_difference"]) < 0.01


def test_pk_magnetic_moment_bounds_combine_in_inverse_squares(pk):
    # N = N_SM + Σ_f K_f μ_f²: the universal bound obeys μ_u⁻² = μ_e⁻² + μ_μ⁻² (ν_τ absent at the SNS).
    s = _summary(pk)
    e, mu, uni = (_result(s, k)["ours"] for k in ("μ_νe", "μ_νμ", "μ_ν universal"))
    assert uni ** -2 == pytest.approx(e ** -2 + mu ** -2, rel=1e-4)


def test_pk_nothing_excluded_by_sterile_mixing(pk):
    s = _summary(pk)
    for r in s["results"]:
        if r["quantity"].startswith("3+1"):
            assert 0 < r["ours"] < 4.61


@pytest.mark.parametrize("name", ALL)
def test_report_opens_in_chromium_and_shows_every_figure(reproduced, name):
    if chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing in CI (.ci/run installs it)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    folder = reproduced(name)
    page = load_in_browser(folder / "index.html")
    assert page["errors"] == []
    figures = [f["png"] for f in _summary(folder)["figures"]]
    assert [im["src"] for im in page["images"]] == figures
    for im in page["images"]:
        assert im["complete"] and im["width"] > 100 and im["height"] > 100, im


def test_browser_check_catches_a_missing_figure(pk, tmp_path):
    if chromium() is None:
        pytest.skip("Chromium is not installed")
    copy = tmp_path / "copy"
    shutil.copytree(pk, copy)
    (copy / "fig2_sin2w.png").unlink()
    page = load_in_browser(copy / "index.html")
    widths = {im["src"]: im["width"] for im in page["images"]}
    assert widths["fig2_sin2w.png"] == 0 and widths["fig1_spectrum.png"] > 0


def test_resume_keeps_finished_steps(pk, tmp_path, capsys):
    out = tmp_path / "again"
    shutil.copytree(pk, out)
    (out / "fig6_sterile.png").unlink()  # the last step must be redone, the others kept
    capsys.readouterr()
    assert main(["reproduce", "papoulias-kosmas", "--out", str(out), "--fast", "--resume"]) == 0
    log = capsys.readouterr().err
    assert log.count("done before, kept") == 5 and "Fig. 6 3+1 sterile:" in log
    assert (out / "fig6_sterile.png").is_file()
    assert _summary(out)["results"] == _summary(pk)["results"]


def test_pdf_flag_writes_pdfs_and_links_them(pk, tmp_path, capsys):
    # The PDF setting changes no number: a --pdf --resume over a report without PDFs redoes every
    # step (their PDFs are missing) and gives the same numbers; a later resume without --pdf keeps all.
    out = tmp_path / "with_pdf"
    shutil.copytree(pk, out)
    capsys.readouterr()
    assert main(["reproduce", "papoulias-kosmas", "--out", str(out), "--fast", "--resume", "--pdf"]) == 0
    assert "done before, kept" not in capsys.readouterr().err
    summary = _summary(out)
    assert summary["pdf"] is True and summary["results"] == _summary(pk)["results"]
    html = (out / "index.html").read_text(encoding="utf-8")
    for f in summary["figures"]:
        assert f["pdf"] == f"{f['name']}.pdf" and (out / f["pdf"]).read_bytes()[:5] == b"%PDF-"
        assert f"{f['pdf']}\">PDF</a>" in html and f["pdf"] in summary["files"]
    assert main(["reproduce", "papoulias-kosmas", "--out", str(out), "--fast", "--resume"]) == 0
    assert capsys.readouterr().err.count("done before, kept") == 6
    assert all(f["pdf"] for f in _summary(out)["figures"])  # still there, still linked
    (out / "fig1_spectrum.pdf").unlink()
    assert main(["reproduce", "papoulias-kosmas", "--out", str(out), "--fast", "--resume"]) == 0
    assert capsys.readouterr().err.count("done before, kept") == 6  # the PDF is not needed ...
    after = _summary(out)
    assert after["figures"][0]["pdf"] is None and "fig1_spectrum.pdf" not in after["files"]  # ... nor linked
    assert 'href="fig1_spectrum.pdf"' not in (out / "index.html").read_text(encoding="utf-8")


def test_resume_redoes_steps_of_another_configuration(pk, tmp_path, capsys):
    out = tmp_path / "full"
    shutil.copytree(pk, out)
    rep = get_reproduction("papoulias-kosmas")
    record = json.loads((out / ".steps" / "spectrum.json").read_text())
    record["config"]["fast"] = False  # made by a full run: must not be kept by a --fast resume
    (out / ".steps" / "spectrum.json").write_text(json.dumps(record))
    from cevns.reproduce.report import _read_record, _config

    assert _read_record(out / ".steps" / "spectrum.json", _config(rep, True), out) is None


@pytest.mark.parametrize("args, message", [
    (["reproduce", "no-such-paper", "--out", "x"], "unknown reproduction 'no-such-paper'"),
    (["reproduce", "papoulias-kosmas"], "--out DIR is required"),
    (["reproduce"], "name a reproduction"),
])
def test_bad_input_is_one_line_exit_2(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "report"
    target.write_text("not a folder")
    assert main(["reproduce", "papoulias-kosmas", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert target.read_text() == "not a folder"


def test_changed_input_reruns_with_it_and_says_so(pk, tmp_path, capsys):
    # Twice the CsI mass: every count doubles exactly (N ∝ number of target nuclei).
    out = tmp_path / "heavier"
    assert main(["reproduce", "papoulias-kosmas", "--out", str(out), "--fast",
                 "--set", "coherent-csi-2017:detector.mass_kg=29.14", "--set", "ge-isotope-sns:detector.mass_kg=1"]) == 0
    err = capsys.readouterr().err
    assert "does not load experiment 'ge-isotope-sns'" in err
    changed, base = _summary(out), _summary(pk)
    assert changed["changed_inputs"] == {"coherent-csi-2017": {"detector.mass_kg": 29.14},
                                         "ge-isotope-sns": {"detector.mass_kg": 1}}
    assert _result(changed, "SM events")["ours"] == pytest.approx(2 * _result(base, "SM events")["ours"], rel=1e-12)
    assert "Inputs changed from the published set-up" in (out / "index.html").read_text(encoding="utf-8")
    assert "Inputs changed" not in (pk / "index.html").read_text(encoding="utf-8")
    # A resumed run with other changes keeps nothing made with these.
    from cevns.config.overrides import experiment_overrides
    from cevns.reproduce.report import _config, _read_record

    rep = get_reproduction("papoulias-kosmas")
    record = out / ".steps" / "spectrum.json"
    assert _read_record(record, _config(rep, True), out) is None
    with experiment_overrides({"coherent-csi-2017": {"detector.mass_kg": 29.14}, "ge-isotope-sns": {"detector.mass_kg": 1}}):
        assert _read_record(record, _config(rep, True), out) is not None


@pytest.mark.parametrize("setting, message", [
    ("detector.mass_kg=20", "--set expects EXPERIMENT:PATH=VALUE"),
    ("no-such-experiment:detector.mass_kg=20", "no-such-experiment"),
    ("coherent-csi-2017:detector.no_such_field=1", "no_such_field"),
])
def test_bad_changed_input_fails_before_any_work(setting, message, tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["reproduce", "papoulias-kosmas", "--out", str(out), "--fast", "--set", setting]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists()


def test_saved_figures_are_not_clipped(tmp_path):
    """A title wider than the figure is kept whole: figures are saved with a tight bounding box
    (the CLI's --plot and the reports alike), so the image grows instead of cutting the text."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    from cevns.cli.common import save_figure

    fig, ax = plt.subplots(figsize=(2.0, 1.5))
    ax.set_title("a title much wider than a two-inch figure can hold, which must not be cut off at all")
    path = tmp_path / "wide.png"
    save_figure(fig, str(path))
    height, width = mpimg.imread(path).shape[:2]
    assert width > 2.0 * 150 * 1.5  # the whole title: well beyond the 300-px canvas


# --- optional data releases (neutrino-fog's XENONnT limit step) --------------------------------


def _xenonnt_release():
    from conftest import release_folder

    from cevns.releases.xenonnt_wimp import LIMIT_FILE

    folder = release_folder("xenonnt-8b")
    if not (folder / LIMIT_FILE).is_file():
        pytest.skip(f"the data release xenonnt-8b is not in {folder}")
    return folder


def test_optional_release_found_both_ways(monkeypatch, tmp_path):
    """neutrino-fog can use xenonnt-8b but does not need it: found from --data-release NAME=DIR
    or $CEVNS_RELEASE_DATA/NAME, left out (with the reason on the page) when given neither way,
    and an explicit folder that does not exist is a one-line InputError."""
    from cevns.errors import InputError
    from cevns.releases.combinations import RELEASE_DATA_ENV
    from cevns.reproduce import optional_releases, release_dirs_for, required_releases

    folder = _xenonnt_release()
    monkeypatch.delenv(RELEASE_DATA_ENV, raising=False)
    assert required_releases("neutrino-fog") == () and optional_releases("neutrino-fog") == ("xenonnt-8b",)
    assert optional_releases("papoulias-kosmas") == ()
    assert release_dirs_for("neutrino-fog") == {}
    rep = get_reproduction("neutrino-fog")
    assert "xenonnt-limit" not in [s.key for s in rep.steps]
    assert "Step skipped: The XENONnT SI WIMP limit" in rep.description and "was not given" in rep.assumptions[-1]
    assert release_dirs_for("neutrino-fog", {"xenonnt-8b": folder}) == {"xenonnt-8b": folder}
    assert [s.key for s in get_reproduction("neutrino-fog", {"xenonnt-8b": folder}).steps][-1] == "xenonnt-limit"
    with pytest.raises(InputError, match="is not a folder"):
        release_dirs_for("neutrino-fog", {"xenonnt-8b": tmp_path / "nowhere"})
    monkeypatch.setenv(RELEASE_DATA_ENV, str(tmp_path))
    assert release_dirs_for("neutrino-fog") == {}  # $CEVNS_RELEASE_DATA without xenonnt-8b/: left out
    (tmp_path / "xenonnt-8b").symlink_to(folder, target_is_directory=True)
    assert release_dirs_for("neutrino-fog") == {"xenonnt-8b": tmp_path / "xenonnt-8b"}
    assert [s.key for s in get_reproduction("neutrino-fog").steps][-1] == "xenonnt-limit"
    empty = tmp_path / "empty"
    empty.mkdir()
    rep = get_reproduction("neutrino-fog", {"xenonnt-8b": empty})  # a folder without the release: skipped, and why
    assert "xenonnt-limit" not in [s.key for s in rep.steps] and f"{empty} does not hold the data release" in rep.description


def test_neutrino_fog_cli_passes_the_optional_release(monkeypatch, tmp_path, capsys):
    """cevns reproduce neutrino-fog: --data-release xenonnt-8b=DIR and $CEVNS_RELEASE_DATA both
    reach the XENONnT limit step (the folder it runs on is recorded); without either the report
    is written and its page and summary say the step was skipped and why. The fog steps and the
    limit's computation are stubbed (each is tested on its own: test_fog, test_xenonnt_wimp)."""
    from cevns.releases.combinations import RELEASE_DATA_ENV
    from cevns.reproduce import neutrino_fog, xenonnt_wimp_limit
    from cevns.reproduce.common import Result
    from cevns.reproduce.report import StepOutput

    folder = _xenonnt_release()
    monkeypatch.delenv(RELEASE_DATA_ENV, raising=False)
    for name in ("_explanation", "_fog_map", "_targets", "_cjpl"):
        monkeypatch.setattr(neutrino_fog, name, lambda fast: StepOutput())
    used = []

    def limit(path, fast):
        used.append(path)
        return StepOutput((), (Result("XENONnT limit (stub)", "cm²", 1.0, None, "test"),))

    monkeypatch.setattr(xenonnt_wimp_limit, "_run", limit)

    def run(out, *extra):
        assert main(["reproduce", "neutrino-fog", "--fast", "--out", str(out), *extra]) == 0, capsys.readouterr().err
        capsys.readouterr()
        return _summary(out), (out / "index.html").read_text(encoding="utf-8")

    summary, page = run(tmp_path / "without")
    assert used == [] and summary["results"] == []
    assert "Step skipped: The XENONnT SI WIMP limit through the 8B release" in page and "was not given" in page
    assert any(a.startswith("Step skipped: The XENONnT SI WIMP limit") for a in summary["assumptions"])
    summary, page = run(tmp_path / "given", "--data-release", f"xenonnt-8b={folder}")
    assert used == [folder] and [r["quantity"] for r in summary["results"]] == ["XENONnT limit (stub)"]
    assert "Step skipped" not in page
    monkeypatch.setenv(RELEASE_DATA_ENV, str(tmp_path / "releases"))
    (tmp_path / "releases").mkdir()
    (tmp_path / "releases" / "xenonnt-8b").symlink_to(folder, target_is_directory=True)
    summary, page = run(tmp_path / "env")
    assert used == [folder, tmp_path / "releases" / "xenonnt-8b"] and "Step skipped" not in page
    rc = main(["reproduce", "neutrino-fog", "--fast", "--out", str(tmp_path / "bad"), "--data-release",
               f"xenonnt-8b={tmp_path / 'nowhere'}"])
    err = capsys.readouterr().err
    assert rc == 2 and "is not a folder" in err and err.count("\n") == 1


def test_figures_drawn_in_parallel_are_the_files_of_a_serial_run(tmp_path, monkeypatch):
    """write_report draws a step's figures in a forked process while the next step computes;
    the folder holds the same files, CSVs and numbers as a serial run, every step's record
    is written, and a figure that fails to save in the child is redone (and its error raised)
    in the parent, as a serial run would."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cevns.reproduce import report
    from cevns.reproduce.common import Result
    from cevns.reproduce.report import Figure, Reproduction, Step, StepOutput, write_report

    if not hasattr(os, "fork"):
        pytest.skip("no fork on this system: figures are always drawn serially")
    if "jax" in sys.modules:  # loaded by earlier tests: forking this process is unsafe, run in a fresh one
        here = f"{__file__}::test_figures_drawn_in_parallel_are_the_files_of_a_serial_run"
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", here],
                              capture_output=True, text=True, cwd=os.path.dirname(__file__))
        assert proc.returncode == 0 and "1 passed" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-2000:]
        return
    monkeypatch.setattr(report, "_can_fork", lambda: True)  # fork even on a busy machine

    def step(k: int) -> Step:
        def run(fast: bool) -> StepOutput:
            fig, ax = plt.subplots(figsize=(4, 3), constrained_layout=True)
            ax.plot([0, 1], [k, k + 1])
            ax.set_title(f"step {k}")
            return StepOutput((Figure(f"f{k}", f"figure {k}", "caption", fig, {"x": [0.0, 1.0], "y": [k, k + 1.0]}),),
                              (Result(f"number {k}", "", float(k), None, "here"),))
        return Step(f"s{k}", f"step {k}", run)

    rep = Reproduction("fake", "fake", "none", "nothing", tuple(step(k) for k in range(3)))
    a, b = tmp_path / "parallel", tmp_path / "serial"
    write_report(rep, a, fast=True)
    write_report(rep, b, fast=True, parallel=False)
    names = sorted(p.name for p in b.iterdir())
    assert sorted(p.name for p in a.iterdir()) == names and "f2.png" in names
    assert sorted(p.name for p in (a / ".steps").iterdir()) == ["s0.json", "s1.json", "s2.json"]
    for name in names:
        if name.endswith(".csv"):
            assert (a / name).read_text() == (b / name).read_text()
    sa, sb = _summary(a), _summary(b)
    assert sa["results"] == sb["results"] and sa["figures"] == sb["figures"] and sa["files"] == sb["files"]

    def unsaveable(fast: bool) -> StepOutput:
        fig, _ = plt.subplots()
        return StepOutput((Figure("bad", "bad", "c", fig, {"x": [1.0, 2.0], "y": [1.0]}),))  # columns of unequal length

    bad = Reproduction("fake", "fake", "none", "nothing", (step(0), Step("bad", "bad", unsaveable)))
    with pytest.raises(ValueError, match="unequal length"):
        write_report(bad, tmp_path / "bad", fast=True)
    assert not (tmp_path / "bad" / ".steps" / "bad.json").exists()
