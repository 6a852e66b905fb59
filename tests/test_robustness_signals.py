"""Nothing a user does crashes ``cevns``, fills the disk or loses a result: SIGTERM is an
interrupt like Ctrl-C (save, one line, status 143 / 130, resume bit for bit), worker
processes die with their parent, and no temporary or partial file survives an
interruption (stores, reports, release downloads)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cevns.errors import InputError
from cevns.releases.files import download_release
from cevns.releases.registry import DataRelease, ReleaseFile
from cevns.runtime.stores import ChunkStore, atomic_write, finish_store, stale_temporaries, unfinished_stores, write_store

# a neutron radius is not polynomial in the counts: point by point (--exact: no emulator, so the
# scan lasts long enough to be interrupted), 256 points a chunk
SCAN = ("scan", "coherent-csi-2017", "--param", "rn=4.6:5.4:61", "--param", "eps_ee_dV=-1:1:61", "--exact")
#: enough work (≈ 4 s serially) that ``--workers 2`` is not overruled
BIG_SCAN = ("scan", "coherent-csi-2017", "--param", "rn=4.6:5.4:81", "--param", "eps_ee_dV=-1:1:81", "--exact")


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path / ".mpl"))


def _cevns(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cevns", *args], cwd=tmp_path, env=_env(tmp_path), capture_output=True,
                          text=True, timeout=120)


def _start(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cevns", *args], cwd=tmp_path, env=_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _wait_for(condition, timeout: float = 60.0, step: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


def _leftovers(folder: Path) -> list[str]:
    """Hidden files (temporary files of atomic writes) and sidecars left in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if (p.name.startswith(".") and p.name != ".mpl") or p.name.endswith(".parts"))


# --- 1. signals ---------------------------------------------------------------------------
@pytest.mark.parametrize("sig, status", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_saves_says_how_to_resume_and_resume_is_bit_identical(tmp_path, sig, status):
    proc = _start(tmp_path, *SCAN, "--out", "cut.npz")
    assert _wait_for(lambda: (tmp_path / "cut.npz").exists()), "the scan saved nothing within 60 s"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == status, err
    assert "Traceback" not in err, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"cevns: stopped by {sig.name}; ") and "saved in cut.npz" in last and "--resume" in last, err
    done, total = (int(x) for x in last.split("; ")[1].split(" done")[0].split(" of "))
    assert 0 < done < total == 61 * 61
    if sig == signal.SIGINT:  # the resume is checked once, with SIGTERM
        return
    resumed = _cevns(tmp_path, *SCAN, "--out", "cut.npz", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    reference = _cevns(tmp_path, *SCAN, "--out", "ref.npz")
    assert reference.returncode == 0, reference.stderr
    with np.load(tmp_path / "cut.npz") as a, np.load(tmp_path / "ref.npz") as b:
        assert a["done"].all()
        for name in ("chi2", "done", "axis_0", "axis_1"):
            assert a[name].tobytes() == b[name].tobytes(), name  # bit for bit
    assert _leftovers(tmp_path) == []


def _catches_sigterm(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    mask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(mask & (1 << (signal.SIGTERM - 1)))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc to see when the handlers are in place")
@pytest.mark.parametrize("program", ["-m cevns", "-m cevns.cli", "script"])
def test_ctrl_c_during_start_up_is_quiet(tmp_path, program):
    """SIGINT right after the start-up handlers are installed (while the command modules
    are still being imported): no traceback, status 130, one line. For ``python -m cevns``,
    ``python -m cevns.cli`` and the ``cevns`` console script."""
    script = Path(sys.executable).with_name("cevns")
    if program == "script" and not script.is_file():
        pytest.skip(f"no console script {script}")
    command = [str(script)] if program == "script" else [sys.executable, *program.split()]
    proc = subprocess.Popen([*command, *SCAN, "--out", "x.npz"], cwd=tmp_path, env=_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert _wait_for(lambda: _catches_sigterm(proc.pid), timeout=30, step=0.0005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "stopped by SIGINT" in err
    assert not (tmp_path / "x.npz").exists()


def test_main_restores_the_handlers_it_replaced():
    from cevns.cli import main

    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    assert main(["params"]) == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


# --- 2. worker processes die with their parent ----------------------------------------------
def _descendants(pid: int) -> set[int]:
    """All processes below ``pid`` (from /proc: each one's parent)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
def test_workers_exit_when_the_parent_is_killed(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "cevns", *BIG_SCAN, "--workers", "2", "--out", "w.npz"], cwd=tmp_path,
                            env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    children: set[int] = set()
    try:
        # fork server + 2 workers (+ the resource tracker), and the workers busy with chunks
        assert _wait_for(lambda: len(_descendants(proc.pid)) >= 3 and (tmp_path / "w.npz").exists(), timeout=60)
        children = _descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert _wait_for(lambda: not any(_running(pid) for pid in children), timeout=5, step=0.05), \
            [pid for pid in children if _running(pid)]
    finally:
        for pid in children | _descendants(proc.pid):  # never leave one behind, even when the test fails
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
def test_ctrl_c_at_a_terminal_stops_parent_and_workers_quietly(tmp_path):
    """Ctrl-C at a terminal signals the whole process group, workers included: the workers
    print nothing (they leave the decision to the parent), the parent saves, says so and
    exits 130, and no worker is left."""
    proc = subprocess.Popen([sys.executable, "-m", "cevns", *BIG_SCAN, "--workers", "2", "--out", "w.npz"], cwd=tmp_path,
                            env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    children: set[int] = set()
    try:
        assert _wait_for(lambda: len(_descendants(proc.pid)) >= 3 and (tmp_path / "w.npz").exists(), timeout=60)
        children = _descendants(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
        assert "saved in w.npz" in err.strip().splitlines()[-1], err
        assert _wait_for(lambda: not any(_running(pid) for pid in children), timeout=5, step=0.05)
    finally:
        for pid in children | _descendants(proc.pid):
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        proc.kill()
        proc.communicate()


def test_interrupt_terminates_a_process_pool_at_once():
    from cevns.runtime.parallel import executor

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), executor(2) as pool:
        assert pool is not None
        future = pool.submit(time.sleep, 30)
        _wait_for(lambda: future.running(), timeout=20)
        processes = list(pool._processes.values())  # type: ignore[attr-defined]
        raise KeyboardInterrupt
    assert time.monotonic() - started < 25  # did not wait for the 30 s chunk
    assert not any(p.is_alive() for p in processes)


# --- 3. no temporary file survives ------------------------------------------------------------
def test_atomic_write_removes_what_a_killed_writer_left(tmp_path):
    target = tmp_path / "scan.npz"
    stale = [tmp_path / ".scan.npz.ab3_x9zq.npz", tmp_path / ".scan.npz.00000000.npz"]
    others = [tmp_path / ".scan.npz.keep", tmp_path / ".other.npz.ab3_x9zq.npz", tmp_path / ".scan.npz.toolong12.npz"]
    for path in stale + others:
        path.write_bytes(b"partial")
    assert stale_temporaries(target) == sorted(stale)
    write_store(target, {"a": 1}, {"x": np.arange(3)})
    assert not any(p.exists() for p in stale) and all(p.exists() for p in others)
    # the same for any other atomic write (reproduction reports use this function)
    (tmp_path / ".summary.json.zzzzzzzz.json").write_text("{")
    atomic_write(tmp_path / "summary.json", lambda tmp: Path(tmp).write_text("{}"))
    assert not (tmp_path / ".summary.json.zzzzzzzz.json").exists()


def test_chunk_store_reports_progress_until_finished(tmp_path):
    path = tmp_path / "s.npz"
    done = np.zeros(10, dtype=bool)
    done[:4] = True
    store = ChunkStore.create(path, {"a": 1}, {"done": done, "v": np.zeros(10)})
    store.append(np.arange(4, 7), {"v": np.ones(3), "done": np.ones(3, dtype=bool)})
    assert (path, 7, 10) in unfinished_stores()
    finish_store(path, {"a": 1}, {"done": np.ones(10, dtype=bool), "v": np.ones(10)})
    assert all(p != path for p, _, _ in unfinished_stores())


def _fake_release(tmp_path: Path) -> tuple[DataRelease, str]:
    """A two-file release served from a local folder (``file://``)."""
    server = tmp_path / "server"
    (server / "sub").mkdir(parents=True)
    contents = {"a.txt": b"alpha\n" * 100, "sub/b.txt": b"beta\n" * 50}
    for name, data in contents.items():
        (server / name).write_bytes(data)
    files = tuple(ReleaseFile(name, len(data), hashlib.sha256(data).hexdigest()) for name, data in contents.items())
    return DataRelease("fake", "a fake release", "none", files, loader=lambda folder: None), server.as_uri()


def test_fetch_removes_partial_files_and_gives_the_usual_mode(tmp_path):
    rel, url = _fake_release(tmp_path)
    dest = tmp_path / "dest"
    (dest / "sub").mkdir(parents=True)
    parts = [dest / ".a.txt.k2j4h5g6.part", dest / "sub" / ".b.txt.qqqqqqqq.part"]
    for part in parts:
        part.write_bytes(b"half")
    (dest / "keep.part").write_bytes(b"mine")
    old = os.umask(0o027)
    try:
        download_release(rel, dest, url)
    finally:
        os.umask(old)
    assert not any(p.exists() for p in parts) and (dest / "keep.part").exists()
    for name in ("a.txt", "sub/b.txt"):
        assert (dest / name).stat().st_mode & 0o777 == 0o640, name  # 0o666 & ~0o027, not mkstemp's 0o600
    # a second fetch (all present) still removes what a killed one left
    parts[0].write_bytes(b"half")
    download_release(rel, dest, url)
    assert not parts[0].exists()


@pytest.mark.parametrize("link", ["sub", "a.txt"])
def test_fetch_refuses_a_symlink_leading_outside(tmp_path, link):
    rel, url = _fake_release(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / link).symlink_to(outside if link == "sub" else outside / "a.txt")
    with pytest.raises(InputError, match="symbolic link") as info:
        download_release(rel, dest, url)
    assert "\n" not in str(info.value)
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in dest.iterdir()) == [link]  # nothing written


def test_fetch_accepts_a_symlink_inside_the_destination(tmp_path):
    rel, url = _fake_release(tmp_path)
    dest = tmp_path / "dest"
    (dest / "real").mkdir(parents=True)
    (dest / "sub").symlink_to(dest / "real")
    download_release(rel, dest, url)
    assert (dest / "real" / "b.txt").read_bytes() == b"beta\n" * 50


def test_cli_fetch_symlink_outside_is_one_line(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "OneDProjections").symlink_to(tmp_path)
    proc = _cevns(tmp_path, "release", "fetch", "lar-2020-analysisA", "--dest", str(dest), "--url", tmp_path.as_uri())
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: destination") and "symbolic link" in last, proc.stderr
    assert sorted(p.name for p in dest.iterdir()) == ["OneDProjections"]


def test_resumed_reproduction_removes_what_a_killed_run_left(tmp_path):
    """A resumed reproduction does not rewrite the files of its finished steps, so the
    temporaries a killed run left beside them are swept when the report starts."""
    from cevns.reproduce.report import Reproduction, Step, StepOutput, write_report

    rep = Reproduction("fake", "a fake reproduction", "none", "nothing", (Step("a", "step a", lambda fast: StepOutput()),))
    write_report(rep, tmp_path, fast=True)
    stale = [tmp_path / ".fig1.png.k2j4h5g6.png", tmp_path / ".summary.json.abcdefgh.json",
             tmp_path / ".steps" / ".a.json.zz_zz_zz.json"]
    kept = [tmp_path / ".keep", tmp_path / ".fig1.png.k2j4h5g6.csv", tmp_path / "fig1.png.k2j4h5g6.png"]
    for path in stale + kept:
        path.write_bytes(b"partial")
    write_report(rep, tmp_path, fast=True, resume=True)
    assert not any(p.exists() for p in stale) and all(p.exists() for p in kept)


def test_interrupt_messages_say_what_was_saved():
    from cevns.cli import interrupted_message

    assert interrupted_message(signal.SIGTERM, ["fit", "x"]).startswith("cevns: stopped by SIGTERM; nothing was saved")
    assert "nothing was saved" in interrupted_message(signal.SIGINT, ["scan", "x", "--out", "a.npz"])
    resumed = interrupted_message(signal.SIGINT, ["scan", "x", "--out", "a.npz", "--resume"])
    assert "earlier progress" in resumed and "nothing" not in resumed
    assert "--resume" in interrupted_message(signal.SIGINT, ["reproduce", "papoulias-kosmas", "--out", "r"])
    assert "fetch the rest" in interrupted_message(signal.SIGTERM, ["release", "fetch", "csi-2017"])
