"""Output files that cannot be written and work that would not fit in memory.

Writers (``scan --out``, ``spectrum --csv/--plot``, ``fit --plot``, ``release fetch
--dest``, ``reproduce --out``) check their destination before any work and turn an
operating-system error while writing (full disk, read-only folder) into one line ``error:
cannot write FILE: REASON``, exit status 2, no partial file. Large requests (bins, scan
grids, pseudo-experiments) are refused before allocating, with the estimate and the way
to raise the limit (:mod:`cevns.runtime.resources`).

A full disk is simulated by a writer that raises ``OSError(ENOSPC)`` or by writing to
``/dev/full`` (Linux); a read-only folder by ``chmod 0o500`` (skipped as root, which
ignores modes) or by a probe that the operating system refuses (monkeypatched).
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from cevns.cli import main
from cevns.cli.common import UserError, check_directories, check_writable, check_writable_folder
from cevns.errors import InputError, OutputError
from cevns.runtime import resources
from cevns.runtime.resources import GiB, MEMORY_LIMIT_ENV, MemoryLimitError
from cevns.runtime.stores import atomic_write, stale_temporaries

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
DEV_FULL = Path("/dev/full")


def _run(capsys, *args: str) -> tuple[int, str, str]:
    rc = main(list(args))
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def _one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith(("scan", "toys"))]  # progress bars
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err
    return lines[0]


def _enospc(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _refuse_probe(monkeypatch, code: int = errno.EROFS) -> None:
    """Make every new file in any folder fail as on a read-only file system."""

    def refused(*_args, **_kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(tempfile, "mkstemp", refused)


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --- resources: estimates and limit ---------------------------------------------------------
def test_meminfo_parsing():
    text = "MemTotal:       24683780 kB\nMemFree:        10843300 kB\nMemAvailable:   12687096 kB\n"
    assert resources._meminfo_available(text) == 12687096 * 1024
    assert resources._meminfo_available("MemTotal: 5 kB\n") is None


def test_available_memory_is_positive_or_unknown():
    found = resources.available_memory()
    assert found is None or found > 0


def test_limit_from_environment(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "2.5")
    limit, source = resources.memory_limit()
    assert limit == 2.5 * GiB and MEMORY_LIMIT_ENV in source
    for bad in ("abc", "-1", "0", "nan", "inf"):
        monkeypatch.setenv(MEMORY_LIMIT_ENV, bad)
        with pytest.raises(InputError, match=MEMORY_LIMIT_ENV):
            resources.memory_limit()


def test_default_limit_is_half_the_available(monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    monkeypatch.setattr(resources, "available_memory", lambda: 10 * GiB)
    assert resources.memory_limit()[0] == 5 * GiB
    monkeypatch.setattr(resources, "available_memory", lambda: None)
    assert resources.memory_limit()[0] == resources.DEFAULT_FRACTION * resources.FALLBACK_BYTES


def test_check_memory_refuses_with_the_estimate(monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1")
    resources.check_memory("small", 0.99 * GiB)  # under the limit: nothing
    resources.check_memory("nothing", 0.0)
    with pytest.raises(MemoryLimitError) as info:
        resources.check_memory("a big thing", 3 * GiB, "ask for less")
    message = str(info.value)
    assert "\n" not in message
    assert "a big thing needs about 3 GiB" in message and "limit of 1 GiB" in message
    assert "ask for less" in message and MEMORY_LIMIT_ENV in message
    assert isinstance(info.value, InputError)


def test_grid_bytes_closed_form():
    assert resources.grid_bytes(40000 * 40000, 4) == 40000 * 40000 * 4 * 8
    assert resources.grid_bytes(1e12, 1) == 8e12  # no integer overflow


def test_predictor_estimate_closed_form_and_scaling():
    # smeared: 3 × bins × (log_panels + 8) × nodes floats per isotope, plus the edges
    assert resources.predictor_bytes(10, True, nodes=12, log_panels=48, isotopes=2) == 8 * (2 * 3 * 10 * 56 * 12 + 11)
    # unsmeared: the dense (bins × bins·panels·nodes) weights: quadratic in the bins
    small = resources.predictor_bytes(100, False, nodes=12, panels_per_bin=2)
    assert small == 8 * (2 * 100 * 100 * 24 + 101)
    assert resources.predictor_bytes(1000, False) / small == pytest.approx(100, rel=1e-3)


@pytest.mark.parametrize("width", [2.0, 0.5])
def test_predictor_estimate_bounds_the_real_weights(width):
    """The estimate is an upper bound of the weight matrices prepare_rates really builds
    (an independent count: the nbytes of the arrays), and within a small factor of them."""
    from cevns.config.experiments import load_experiment

    exp = load_experiment("coherent-csi-2017", {"detector.bins.width": width})
    predictor = exp.predictor()
    real = sum(n.weights.nbytes for n in predictor.nodes)
    bins = predictor.edges.size - 1
    estimate = resources.predictor_bytes(bins, exp.response.resolution.model != "none", isotopes=len(predictor.nodes))
    assert real <= estimate <= 10 * real


# --- resource guards on the command line -------------------------------------------------------
def test_tiny_bin_width_is_refused_at_once(capsys):
    rc, out, err = _run(capsys, "events", "coherent-csi-2017", "--set", "detector.bins.width=1e-9")
    assert rc == 2 and out == ""
    line = _one_error_line(err)
    assert "width = 1e-09" in line and "GiB" in line and MEMORY_LIMIT_ENV in line


def test_bin_width_1e_5_is_refused(capsys):
    rc, _, err = _run(capsys, "spectrum", "coherent-csi-2017", "--set", "detector.bins.width=1e-5")
    assert rc == 2 and "GiB" in _one_error_line(err)


def test_limit_can_be_raised(monkeypatch):
    """The same request passes the guard when the limit is raised (only the check is run)."""
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1e9")
    resources.check_memory("x", resources.predictor_bytes(2.4e7, False))
    from cevns.stats.scans import check_grid

    check_grid((40000, 40000))


def test_huge_scan_is_refused_before_anything(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "8")
    out = tmp_path / "s.npz"
    rc, _, err = _run(capsys, "scan", "coherent-csi-2017", "--param", "sin2_theta_w=0.1:0.3:40000",
                      "--param", "eps_ee_uV=-1:1:40000", "--out", str(out))
    assert rc == 2
    line = _one_error_line(err)
    expected = 40000 * 40000 * 4.25 * 8 / 2**30  # Δχ², done flags and temporaries: 4.25 floats a point
    assert "1.6e+09 points (40000 × 40000)" in line and f"about {expected:.3g} GiB" in line and MEMORY_LIMIT_ENV in line
    assert _listing(tmp_path) == []


def test_billion_point_axis_is_refused_before_the_axis(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "8")
    rc, _, err = _run(capsys, "scan", "coherent-csi-2017", "--param", "sin2_theta_w=0.1:0.3:1000000000000",
                      "--out", str(tmp_path / "s.npz"))
    assert rc == 2 and "1e+12 points" in _one_error_line(err)


def test_huge_toys_are_refused(capsys, tmp_path):
    rc, _, err = _run(capsys, "toys", "coherent-csi-2017", "--free", "sin2_theta_w", "--n", "100000000000",
                      "--out", str(tmp_path / "t.npz"))
    assert rc == 2
    line = _one_error_line(err)
    assert "1e+11 pseudo-experiments" in line and "GiB" in line
    assert _listing(tmp_path) == []


def test_library_guards(monkeypatch):
    from cevns.stats.scans import empty_scan
    from cevns.stats.toys import empty_toys

    monkeypatch.setenv(MEMORY_LIMIT_ENV, "1e-6")  # 1 kB
    with pytest.raises(MemoryLimitError, match="a scan of 400 points"):
        empty_scan({"a": np.linspace(0, 1, 20), "b": np.linspace(0, 1, 20)})
    with pytest.raises(MemoryLimitError, match="1e\\+03 pseudo-experiments"):
        empty_toys(("a",), 1000)
    assert empty_scan({"a": np.linspace(0, 1, 3)}).chi2.shape == (3,)
    assert empty_toys(("a",), 3).statistic.shape == (3,)


# --- writability checks ----------------------------------------------------------------------
def test_check_writable_accepts_a_plain_file(tmp_path):
    check_writable(tmp_path / "x.csv")
    check_directories(None, "", str(tmp_path / "y.png"))
    check_writable_folder(tmp_path / "new" / "deeper")
    assert _listing(tmp_path) == []  # the probe leaves nothing


def test_check_writable_refuses(tmp_path):
    with pytest.raises(UserError, match="is a folder"):
        check_writable(tmp_path, "--plot")
    with pytest.raises(UserError, match="does not exist"):
        check_writable(tmp_path / "missing" / "x.csv")
    (tmp_path / "f").write_text("")
    with pytest.raises(UserError, match="is a file, not a folder"):
        check_writable_folder(tmp_path / "f", "--out")
    with pytest.raises(UserError, match="is a file, not a folder"):
        check_writable_folder(tmp_path / "f" / "sub", "--dest")


def test_check_writable_reports_the_os_reason(tmp_path, monkeypatch):
    _refuse_probe(monkeypatch, errno.EACCES)
    with pytest.raises(UserError) as info:
        check_writable(tmp_path / "x.csv", "--csv")
    assert str(info.value).startswith(f"cannot write --csv {tmp_path / 'x.csv'}: Permission denied")


def test_check_writable_on_a_full_disk(tmp_path, monkeypatch):
    real_write = os.write

    def full(fd, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(UserError, match="No space left on device"):
        check_writable(tmp_path / "x.npz")
    monkeypatch.setattr(os, "write", real_write)
    assert _listing(tmp_path) == []


@pytest.mark.skipif(IS_ROOT, reason="root ignores file modes")
def test_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(UserError, match="Permission denied"):
            check_writable(folder / "x.csv")
        with pytest.raises(UserError, match="Permission denied"):
            check_writable_folder(folder / "report")
    finally:
        folder.chmod(0o700)


@pytest.mark.skipif(IS_ROOT, reason="root ignores file modes")
def test_spectrum_into_read_only_folder(capsys, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        rc, out, err = _run(capsys, "spectrum", "coherent-csi-2017", "--csv", str(folder / "s.csv"))
    finally:
        folder.chmod(0o700)
    assert rc == 2 and out == "" and "Permission denied" in _one_error_line(err)


# --- atomic writes: an OS error becomes OutputError, no partial file ---------------------------
def test_atomic_write_full_disk_leaves_nothing(tmp_path):
    target = tmp_path / "r.npz"

    def write(tmp: str) -> None:
        Path(tmp).write_bytes(b"partial")
        _enospc()

    with pytest.raises(OutputError) as info:
        atomic_write(target, write)
    assert str(info.value) == f"cannot write {target}: No space left on device"
    assert _listing(tmp_path) == []


def test_atomic_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "r.csv"
    target.write_text("old")
    with pytest.raises(OutputError):
        atomic_write(target, lambda tmp: _enospc())
    assert target.read_text() == "old" and stale_temporaries(target) == []


@pytest.mark.skipif(not DEV_FULL.exists(), reason="no /dev/full")
def test_atomic_write_real_enospc_from_dev_full(tmp_path):
    """A real ENOSPC from the operating system: the writer copies through /dev/full."""
    target = tmp_path / "r.bin"

    def write(tmp: str) -> None:
        with open(DEV_FULL, "wb") as sink:
            sink.write(b"x" * 100_000)
            sink.flush()

    with pytest.raises(OutputError, match="No space left on device"):
        atomic_write(target, write)
    assert _listing(tmp_path) == []


def test_spectrum_csv_full_disk(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(np, "savetxt", _enospc)
    target = tmp_path / "s.csv"
    rc, out, err = _run(capsys, "spectrum", "coherent-csi-2017", "--points", "5", "--csv", str(target))
    assert rc == 2 and out == ""
    assert _one_error_line(err) == f"error: cannot write {target}: No space left on device"
    assert _listing(tmp_path) == []


def test_spectrum_plot_full_disk(capsys, tmp_path, monkeypatch):
    import matplotlib.figure

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", _enospc)
    target = tmp_path / "s.png"
    rc, out, err = _run(capsys, "spectrum", "coherent-csi-2017", "--points", "5", "--csv", str(tmp_path / "s.csv"),
                        "--plot", str(target))
    assert rc == 2
    assert _one_error_line(err) == f"error: cannot write {target}: No space left on device"
    assert _listing(tmp_path) == ["s.csv"]  # the CSV was finished before; no partial PNG


def test_spectrum_second_destination_checked_first(capsys, tmp_path):
    rc, out, err = _run(capsys, "spectrum", "coherent-csi-2017", "--csv", str(tmp_path / "s.csv"),
                        "--plot", str(tmp_path / "missing" / "s.png"))
    assert rc == 2 and "does not exist" in _one_error_line(err)
    assert _listing(tmp_path) == []


def test_fit_plot_unwritable_fails_before_the_fit(capsys, tmp_path, monkeypatch):
    import cevns.stats.fits

    def no_fit(*_args, **_kwargs):
        raise AssertionError("the fit ran before the destination was checked")

    monkeypatch.setattr(cevns.stats.fits, "fit", no_fit)
    _refuse_probe(monkeypatch)
    rc, _, err = _run(capsys, "fit", "coherent-csi-2017", "--free", "sin2_theta_w", "--plot", str(tmp_path / "p.png"))
    assert rc == 2 and "Read-only file system" in _one_error_line(err)


def test_scan_unwritable_out_and_bad_plot_fail_before_the_scan(capsys, tmp_path, monkeypatch):
    import cevns.stats.scans

    def no_scan(*_args, **_kwargs):
        raise AssertionError("the scan ran")

    monkeypatch.setattr(cevns.stats.scans, "scan", no_scan)
    rc, _, err = _run(capsys, "scan", "coherent-csi-2017", "--param", "sin2_theta_w=0.2:0.3:2", "--param", "eps_ee_uV=0:1:2",
                      "--param", "eps_mumu_uV=0:1:2", "--out", str(tmp_path / "s.npz"), "--plot", str(tmp_path / "p.png"))
    assert rc == 2 and "one or two axes" in _one_error_line(err)
    _refuse_probe(monkeypatch)
    rc, _, err = _run(capsys, "scan", "coherent-csi-2017", "--param", "sin2_theta_w=0.2:0.3:2", "--out", str(tmp_path / "s.npz"))
    assert rc == 2 and "Read-only file system" in _one_error_line(err)
    assert _listing(tmp_path) == []


def test_scan_full_disk_while_saving(capsys, tmp_path, monkeypatch):
    """ENOSPC when the scan file is written: one line naming it, no partial file."""
    monkeypatch.setattr(np, "savez", _enospc)
    target = tmp_path / "s.npz"
    rc, _, err = _run(capsys, "scan", "coherent-csi-2017", "--asimov", "--param", "sin2_theta_w=0.2:0.3:3", "--out", str(target))
    assert rc == 2
    assert _one_error_line(err) == f"error: cannot write {target}: No space left on device"
    assert not target.exists() and stale_temporaries(target) == []


def test_chunk_append_full_disk(tmp_path, monkeypatch):
    from cevns.runtime.stores import ChunkStore

    target = tmp_path / "s.npz"
    store = ChunkStore.create(target, {"a": 1}, {"chi2": np.zeros(4), "done": np.zeros(4, dtype=bool)})
    monkeypatch.setattr(os, "write", lambda fd, data: _enospc())
    with pytest.raises(OutputError, match="No space left on device"):
        store.append(np.array([0, 1]), {"chi2": np.ones(2)})


def test_reproduce_unwritable_out_fails_before_any_step(capsys, tmp_path, monkeypatch):
    _refuse_probe(monkeypatch, errno.EACCES)
    rc, _, err = _run(capsys, "reproduce", "papoulias-kosmas", "--fast", "--out", str(tmp_path / "rep"))
    assert rc == 2
    line = _one_error_line(err)
    assert "--out" in line and "Permission denied" in line
    assert _listing(tmp_path) == []


def test_reproduce_full_disk_names_the_file_and_resume(capsys, tmp_path, monkeypatch):
    import matplotlib.figure

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", _enospc)
    out = tmp_path / "rep"
    rc, _, err = _run(capsys, "reproduce", "papoulias-kosmas", "--fast", "--out", str(out))
    assert rc == 2
    line = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(line) == 1 and "Traceback" not in err
    assert "No space left on device" in line[0] and "--resume" in line[0] and str(out) in line[0]
    assert not [p for p in out.rglob("*") if p.is_file() and p.suffix in (".png", ".pdf", ".json", ".html")]
    assert not [p for p in out.rglob(".*.*") if p.is_file()]  # no temporaries


def test_release_fetch_unwritable_dest(capsys, tmp_path, monkeypatch):
    _refuse_probe(monkeypatch, errno.EROFS)
    rc, _, err = _run(capsys, "release", "fetch", "csi-2021", "--url", (tmp_path / "src").as_uri(), "--dest", str(tmp_path / "d"))
    assert rc == 2 and "--dest" in _one_error_line(err) and "Read-only file system" in err
    assert _listing(tmp_path) == []


def test_release_download_full_disk(tmp_path, monkeypatch):
    """A disk that fills while a release file is downloaded: OutputError naming the file,
    no partial file (the download itself is a local file:// copy)."""
    from cevns.releases.files import download_release
    from cevns.releases.registry import DataRelease, ReleaseFile

    data = b"counts\n" * 1000
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.txt").write_bytes(data)
    rel = DataRelease("tiny", "a test release", "none", (ReleaseFile("a.txt", len(data), hashlib.sha256(data).hexdigest()),),
                      loader=lambda folder: None)
    dest = tmp_path / "dest"
    monkeypatch.setattr(os, "fsync", lambda fd: _enospc())
    with pytest.raises(OutputError) as info:
        download_release(rel, dest, src.as_uri())
    assert str(info.value) == f"cannot write {dest / 'a.txt'}: No space left on device"
    assert _listing(dest) == []
    monkeypatch.undo()
    assert download_release(rel, dest, src.as_uri()).downloaded == ("a.txt",)


def test_huge_spectrum_grid_is_refused(capsys, tmp_path):
    rc, _, err = _run(capsys, "spectrum", "coherent-csi-2017", "--points", "100000000000", "--csv", str(tmp_path / "s.csv"))
    assert rc == 2
    line = _one_error_line(err)
    assert "--points 100000000000" in line and MEMORY_LIMIT_ENV in line
    assert _listing(tmp_path) == []
