"""``cevns reproduce coherent-csi-2021`` (COHERENT CsI 2021, PRL 129, 081801 (2022),
arXiv:2110.07730): run once with --fast through the CLI on the releases in ../shared
(skipped when absent); files, numbers next to the published ones, the missing-release error."""

from __future__ import annotations

import json

import pytest

from cevns.cli import main

from conftest import release_data_root

RELEASES = release_data_root()
NEEDED = ("csi-2021", "lar-2020-analysisA")
FIGURES = ("csi21_1_spectra", "csi21_2_counts", "csi21_3_sin2w", "csi21_4_rn", "csi21_5_nsi", "csi21_6_charge_radii",
           "csi21_7_fc")

pytestmark = pytest.mark.skipif(not all((RELEASES / n).is_dir() for n in NEEDED),
                                reason=f"{RELEASES}/csi-2021 or lar-2020-analysisA absent (../shared or CEVNS_RELEASE_DATA)")


@pytest.fixture(scope="module")
def out(reproduced):
    """The --fast run through the CLI with --data-release NAME=DIR (tests/conftest.py), shared."""
    return reproduced("coherent-csi-2021")


@pytest.fixture(scope="module")
def summary(out):
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def _ours(summary, start: str):
    rows = [r for r in summary["results"] if r["quantity"] == start] or \
        [r for r in summary["results"] if r["quantity"].startswith(start)]
    (row,) = rows
    return row["ours"]


def test_files_written(out):
    assert (out / "index.html").is_file() and (out / "summary.json").is_file()
    for name in FIGURES:
        assert (out / f"{name}.png").stat().st_size > 0
        assert (out / f"{name}.csv").stat().st_size > 0


def test_every_number_present(summary):
    assert len(summary["results"]) >= 30
    for row in summary["results"]:
        assert row["ours"] is not None, row["quantity"]


def test_main_numbers(summary):
    assert _ours(summary, "SM CEvNS prediction (PE < 60, t < 6 µs)") == pytest.approx(348.2, abs=0.5)
    assert _ours(summary, "best-fit CEvNS count") == pytest.approx(287.9, abs=1.0)
    assert _ours(summary, "sin²θ_W, CsI 2021") == pytest.approx(0.208, abs=0.005)
    # the measured cross section is (fitted/predicted) × the SM one
    ratio = _ours(summary, "best-fit CEvNS count") / _ours(summary, "SM CEvNS prediction (PE < 60, t < 6 µs)")
    assert _ours(summary, "measured flux-averaged cross section") == pytest.approx(
        ratio * _ours(summary, "SM flux-averaged cross section"), rel=1e-9)
    assert _ours(summary, "SM flux-averaged cross section") == pytest.approx(189.0, abs=6.0)
    assert _ours(summary, "nuclear-structure suppression") > 3.0


def test_missing_release_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CEVNS_RELEASE_DATA", raising=False)
    assert main(["reproduce", "coherent-csi-2021", "--out", str(tmp_path / "r"), "--fast"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "csi-2021" in err and "--data-release" in err and "CEVNS_RELEASE_DATA" in err
    assert not (tmp_path / "r").exists()


def test_listed(capsys):
    assert main(["reproduce", "--list"]) == 0
    assert "coherent-csi-2021" in capsys.readouterr().out


def test_release_folders_from_environment(monkeypatch, tmp_path):
    from cevns.errors import InputError
    from cevns.reproduce import release_dirs_for, required_releases

    monkeypatch.setenv("CEVNS_RELEASE_DATA", str(RELEASES))
    assert release_dirs_for("coherent-csi-2021") == {n: RELEASES / n for n in NEEDED}
    # --data-release wins over the environment
    assert release_dirs_for("coherent-csi-2021", {"csi-2021": tmp_path})["csi-2021"] == tmp_path
    monkeypatch.setenv("CEVNS_RELEASE_DATA", str(tmp_path))
    with pytest.raises(InputError, match="needs the data release csi-2021"):
        release_dirs_for("coherent-csi-2021")
    # the other reproductions read no release
    assert required_releases("papoulias-kosmas") == () and release_dirs_for("papoulias-kosmas") == {}


def test_bad_data_release_item(tmp_path, capsys):
    assert main(["reproduce", "coherent-csi-2021", "--out", str(tmp_path / "r"), "--data-release", "nonsense"]) == 2
    assert "NAME=DIR" in capsys.readouterr().err
