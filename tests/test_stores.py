"""Chunked stores: a save costs the new chunk, not the grid; SIGKILL at any instant leaves
a store that resumes to the same arrays, bit for bit, as an uninterrupted run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from cevns.runtime.stores import ChunkStore, StoreError, finish_store, read_store, sidecar, write_store

CONFIG = {"grid": [4, 5], "seed": 1}


def _arrays(shape: tuple[int, ...] = (4, 5)) -> dict[str, np.ndarray]:
    return {"chi2": np.full(shape, np.nan), "done": np.zeros(shape, dtype=bool), "best": np.full((int(np.prod(shape)), 2), np.nan)}


def _part(index: np.ndarray) -> dict[str, np.ndarray]:
    index = np.asarray(index)
    return {"chi2": index * 0.5, "done": np.ones(index.size, dtype=bool), "best": np.column_stack([index, -index]).astype(float)}


def test_chunks_merge_into_the_base_and_finish_leaves_one_plain_file(tmp_path):
    path = tmp_path / "s.npz"
    store = ChunkStore.create(path, CONFIG, _arrays())
    store.append(np.arange(0, 6), _part(np.arange(0, 6)))  # contiguous: stored as a range
    store.append(np.array([19, 7, 11]), _part(np.array([19, 7, 11])))  # any order (workers finish out of order)
    got = read_store(path, CONFIG, ("chi2", "done", "best"))
    expect = _arrays()
    for index in (np.arange(0, 6), np.array([19, 7, 11])):
        for name, values in _part(index).items():
            expect[name].reshape(-1, *values.shape[1:])[index] = values
    for name in expect:
        np.testing.assert_array_equal(got[name], expect[name])
    assert got["done"].sum() == 9 and got["chi2"][3, 4] == 9.5 and got["best"][7, 1] == -7.0
    store.finish(CONFIG, got)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.npz"]
    with np.load(path) as f:  # a plain NPZ, as before
        np.testing.assert_array_equal(f["chi2"], expect["chi2"])
        assert json.loads(str(f["config"])) == CONFIG and "store_generation" not in f.files


def test_a_save_costs_the_chunk_not_the_grid(tmp_path):
    """The base is written once; each append adds bytes that do not depend on the grid
    (10² vs 10⁶ points) — the old store rewrote all N points every chunk."""
    sizes = {}
    for n in (100, 1_000_000):
        path = tmp_path / f"g{n}.npz"
        store = ChunkStore.create(path, CONFIG, {"chi2": np.full(n, np.nan), "done": np.zeros(n, dtype=bool)})
        base = path.stat()
        before = store.bytes_written
        for k in range(3):
            index = np.arange(10 * k, 10 * k + 10)
            store.append(index, {"chi2": index.astype(float), "done": np.ones(10, dtype=bool)})
        after = path.stat()
        assert (after.st_ino, after.st_mtime_ns, after.st_size) == (base.st_ino, base.st_mtime_ns, base.st_size)
        sizes[n] = store.bytes_written - before
        assert sizes[n] == sum(f.stat().st_size for f in sidecar(path).glob("chunks.*"))
    assert sizes[100] == sizes[1_000_000] < 3000


def test_a_torn_journal_an_unlisted_chunk_and_a_bad_checksum_are_ignored(tmp_path):
    path = tmp_path / "s.npz"
    store = ChunkStore.create(path, CONFIG, _arrays())
    store.append(np.arange(0, 4), _part(np.arange(0, 4)))
    store.append(np.arange(4, 8), _part(np.arange(4, 8)))
    journal, data = sidecar(path) / "chunks.jsonl", sidecar(path) / "chunks.bin"
    full, blob = journal.read_bytes(), data.read_bytes()
    assert read_store(path, CONFIG, ("done",))["done"].sum() == 8
    journal.write_bytes(full[:-5])  # killed while appending the second line
    assert read_store(path, CONFIG, ("done",))["done"].sum() == 4
    journal.write_bytes(full.split(b"\n")[0] + b"\n")  # killed between the second chunk's data and its line
    assert read_store(path, CONFIG, ("done",))["done"].sum() == 4
    data.write_bytes(blob[: len(blob) - 7])  # ... or while writing its data
    assert read_store(path, CONFIG, ("done",))["done"].sum() == 4
    journal.write_bytes(full)
    assert read_store(path, CONFIG, ("done",))["done"].sum() == 4  # a line whose bytes are short does not count
    data.write_bytes(b"X" + blob[1:])  # checksum of the first chunk fails: nothing after it counts
    assert read_store(path, CONFIG, ("done",))["done"].sum() == 0
    # the next run re-bases and starts a new sidecar over the stale bytes
    state = read_store(path, CONFIG, ("chi2", "done", "best"))
    again = ChunkStore.create(path, CONFIG, state)
    again.append(np.arange(10, 12), _part(np.arange(10, 12)))
    assert len(journal.read_bytes().splitlines()) == 1 and data.stat().st_size == again.offset
    np.testing.assert_array_equal(np.flatnonzero(read_store(path, CONFIG, ("done",))["done"]), [10, 11])


def test_a_sidecar_of_another_generation_or_without_meta_is_ignored(tmp_path):
    path = tmp_path / "s.npz"
    store = ChunkStore.create(path, CONFIG, _arrays())
    store.append(np.arange(0, 4), _part(np.arange(0, 4)))
    write_store(path, CONFIG, _arrays())  # a new base written, the old sidecar not yet cleared
    assert read_store(path, CONFIG, ("done",))["done"].sum() == 0
    store = ChunkStore.create(path, CONFIG, _arrays())
    store.append(np.arange(0, 4), _part(np.arange(0, 4)))
    (sidecar(path) / "meta.json").unlink()  # killed while clearing the sidecar
    assert read_store(path, CONFIG, ("done",))["done"].sum() == 0
    finish_store(path, CONFIG, _arrays())
    assert not sidecar(path).exists()


def test_refusals_are_store_errors(tmp_path):
    path = tmp_path / "s.npz"
    store = ChunkStore.create(path, CONFIG, _arrays())
    store.append(np.array([100]), _part(np.array([100])))  # checksums, but does not fit the grid
    with pytest.raises(StoreError, match="do not fit"):
        read_store(path, CONFIG, ("chi2", "done", "best"))
    with pytest.raises(StoreError, match="differs in: seed"):
        read_store(path, {**CONFIG, "seed": 2}, ("chi2",))
    finish_store(path, CONFIG, _arrays())
    sidecar(path).write_text("in the way")
    with pytest.raises(StoreError, match="in the way"):
        ChunkStore.create(path, CONFIG, _arrays())


_KILLER = """
import os, signal, sys
import cevns.runtime.stores as stores
append = stores._append_bytes
appended = []
def append_then_die(path, data):
    append(path, data)
    appended.append(path.name)
    if appended.count("chunks.bin") == int(sys.argv[1]) and path.name == "chunks.bin":
        os.kill(os.getpid(), signal.SIGKILL)  # after the chunk's data, before its journal line
stores._append_bytes = append_then_die
from cevns.cli import main
sys.exit(main(sys.argv[2:]))
"""


def test_cli_scan_killed_mid_chunk_resumes_bit_for_bit(tmp_path):
    """A 201×201 polynomial scan, 8192 points a chunk (5 chunks): killed by SIGKILL right
    after the data of the third chunk are appended (so it has no journal line), it holds
    two chunks (the first in the base file, the second appended); the resumed scan equals
    the uninterrupted one exactly."""
    args = ["scan", "coherent-csi-2017", "--param", "eps_ee_uV=-1:1:201", "--param", "eps_ee_dV=-1:1:201"]
    env = dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path / ".mpl"))

    def cli(*extra: str, killer: str | None = None) -> subprocess.CompletedProcess:
        pre = [sys.executable, "-c", _KILLER, killer] if killer else [sys.executable, "-m", "cevns.cli"]
        return subprocess.run([*pre, *args, *extra], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    ref = cli("--out", "ref.npz")
    assert ref.returncode == 0, ref.stderr
    cut = cli("--out", "cut.npz", killer="2")
    assert cut.returncode == -9, cut.stderr
    parts = sidecar(tmp_path / "cut.npz")
    assert len((parts / "chunks.jsonl").read_bytes().splitlines()) == 1 and (parts / "chunks.bin").stat().st_size > 2 * 8192 * 9
    with np.load(tmp_path / "cut.npz") as f:
        config = json.loads(str(f["config"]))
        assert int(f["done"].sum()) == 8192  # the base holds the first chunk only
    partial = read_store(tmp_path / "cut.npz", config, ("chi2", "done"))
    assert int(partial["done"].sum()) == 2 * 8192  # + the journalled second chunk, not the unlisted third
    resumed = cli("--out", "cut.npz", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["cut.npz", "ref.npz"]
    with np.load(tmp_path / "cut.npz") as a, np.load(tmp_path / "ref.npz") as b:
        assert a["done"].all() and np.array_equal(a["chi2"], b["chi2"])
        np.testing.assert_array_equal(a["chi2"][partial["done"]], partial["chi2"][partial["done"]])
