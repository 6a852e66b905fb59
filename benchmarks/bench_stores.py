"""Benchmark: saving a scan as it goes, whole-file rewrite vs the chunked store.

A scan of N points in chunks of c = 8192 (the default for a polynomial signal) saves
after every chunk. The old store (reimplemented here as the baseline, as it was in
``cevns.cli.inference``) rewrote the whole NPZ file — χ², done and the axes — after each
chunk: N/c writes of ~9N bytes, O(N²). The new :class:`cevns.runtime.stores.ChunkStore`
writes the base once, one file of the chunk's size per chunk (plus a journal line), and
the final file once: O(N). The χ² values are precomputed: only saving is timed.

Cases: N = 10⁴, 10⁵, 10⁶; prints the time of each (best of a few repeats), their ratio,
and the bytes each writes. Run: ``python benchmarks/bench_stores.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np

from cevns.runtime.stores import ChunkStore, write_store

CHUNK = 8192
CONFIG = {"experiment": "coherent-csi-2017", "axes": {"eps_ee_uV": [-1.0, 1.0, 0], "eps_ee_dV": [-1.0, 1.0, 0]}}


def _state(n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    side = int(round(np.sqrt(n)))
    shape = (side, n // side)
    arrays = {"names": np.array(["eps_ee_uV", "eps_ee_dV"]), "chi2": np.full(shape, np.nan), "done": np.zeros(shape, dtype=bool),
              "axis_0": np.linspace(-1, 1, shape[0]), "axis_1": np.linspace(-1, 1, shape[1])}
    values = np.random.default_rng(1).chisquare(2.0, size=arrays["chi2"].size)
    return arrays, values


def whole_rewrite(path: Path, n: int) -> int:
    """The old way: after each chunk, the full arrays to a new NPZ, renamed onto the file."""
    arrays, values = _state(n)
    chi2, done = arrays["chi2"].reshape(-1), arrays["done"].reshape(-1)
    written = 0
    for start in range(0, values.size, CHUNK):
        part = slice(start, start + CHUNK)
        chi2[part], done[part] = values[part], True
        write_store(path, CONFIG, arrays)
        written += path.stat().st_size
    return written


def chunked(path: Path, n: int, light: bool = False) -> int:
    """The chunked store: the base once after the first chunk, each further chunk on its
    own, the final file once. ``light``: the base of a new run holds χ² as NaN plus the
    first chunk (``ChunkStore.create`` with ``fills``: what ``cevns scan --out`` does now),
    not the whole χ² array."""
    arrays, values = _state(n)
    chi2, done = arrays["chi2"].reshape(-1), arrays["done"].reshape(-1)
    store = None
    for start in range(0, values.size, CHUNK):
        index = np.arange(start, min(start + CHUNK, values.size))
        chi2[index], done[index] = values[index], True
        if store is None:
            store = ChunkStore.create(path, CONFIG, arrays, {"chi2": np.nan} if light else None, index if light else None)
        else:
            store.append(index, {"chi2": values[index], "done": np.ones(index.size, dtype=bool)})
    assert store is not None
    store.finish(CONFIG, arrays)
    return store.bytes_written


def best_of(repeats: int, save: Callable[[Path, int], int], n: int) -> tuple[float, int]:
    times, written = [], 0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            written = save(Path(folder) / "scan.npz", n)
            times.append(time.perf_counter() - start)
    return min(times), written


def light(path: Path, n: int) -> int:
    return chunked(path, n, light=True)


def main() -> None:
    print(f"saving a scan after every chunk of {CHUNK} points (χ² precomputed; best of N)")
    print(f"{'points':>9}  {'rewrite':>9}  {'chunked':>9}  {'light base':>10}  {'ratio':>7}  {'bytes rewrite':>14}  "
          f"{'bytes chunked':>14}  {'bytes light':>14}")
    for n, repeats in ((10**4, 5), (10**5, 5), (10**6, 2), (10**7, 2)):
        old, old_bytes = best_of(repeats, whole_rewrite, n) if n <= 10**6 else (float("nan"), 0)
        new, new_bytes = best_of(repeats, chunked, n)
        lite, lite_bytes = best_of(repeats, light, n)
        print(f"{n:>9.0e}  {old:>8.3f}s  {new:>8.3f}s  {lite:>9.3f}s  {old / new:>6.1f}×  {old_bytes:>14,d}  {new_bytes:>14,d}"
              f"  {lite_bytes:>14,d}")


if __name__ == "__main__":
    main()
