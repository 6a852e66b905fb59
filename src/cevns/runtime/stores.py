"""Result files: atomic writes and resumable stores whose save cost is the new work.

Two kinds of store, one file format for the user.

* :func:`write_store` / :func:`read_store`: one NPZ file holding named arrays and, beside
  them, the full configuration that produced them (a JSON text including the cevns
  version). Every write goes to a temporary file in the same folder and is renamed onto
  the target (``os.replace`` is atomic on POSIX), so a reader — or a resumed run after
  SIGKILL — sees either the previous complete file or the new one, never a partial write.
  Reading checks that the stored configuration equals the given one, key by key, and
  refuses otherwise.
* :class:`ChunkStore`: the same NPZ file (the *base*, written once when a run starts and
  once when it ends) plus, while the run goes on, a sidecar directory ``<name>.parts``
  next to it that receives the finished chunks. Rewriting the whole file after every
  chunk (what scans and pseudo-experiments did before) writes N/c files of size N for N
  points in chunks of c: O(N²) bytes — 11 TB for a 10⁸-point scan. Here a chunk costs
  its own bytes appended to one data file (never rewritten) and one line appended to a
  journal, so a run writes O(N) bytes in all.

Why this layout (and not HDF5 or zarr): the ``--out x.npz`` file stays what it always
was — a plain NPZ that ``numpy.load`` opens, with ``config``, ``done`` and the arrays —
so the command line, existing result files and scripts keep working, and no new
dependency is needed. Why a journal (not a JSON index rewritten after every chunk): an
index listing all chunks grows with the run, and rewriting it is quadratic again (10⁴
chunks × 1 MB); a journal line is appended in one ``write`` and costs its own size. Why
one data file (not a file per chunk): creating, renaming and at the end unlinking a file
costs milliseconds on some file systems, more than writing a chunk's 100 kB.

The sidecar holds ``meta.json`` (the configuration and the *generation*, a random token
also stored in the base as ``store_generation``), ``chunks.bin`` (the chunks one after
the other, each the ``.npy`` images of the indices it fills and of its values) and
``chunks.jsonl`` (one JSON line per chunk: sequence number, offset and length in
``chunks.bin``, the CRC-32 of those bytes — SHA-256 in journals of earlier versions — the
names of its arrays, points). What survives
SIGKILL at any instant:

* a chunk is part of the store only once its journal line is complete (ends in a newline,
  parses, and its bytes in ``chunks.bin`` have the recorded checksum); bytes with no line
  — a half-written chunk, or one killed between its data and its line — are ignored, and
  the next run (which re-bases, below) starts a new sidecar over them;
* the journal is read up to its first invalid line, which drops a torn last line;
* the sidecar counts only if its generation equals the base's: a new run or the final
  consolidation writes a base with another generation (or none) first, so stale chunks
  of an earlier run are never mixed in. ``meta.json`` is removed first when a sidecar
  is cleared, which makes a half-removed sidecar inert.

:func:`read_store` merges a live sidecar into the base's arrays, so it always gives the
full, current arrays (resume, ``--plot``, ``--json``); resuming re-bases (writes the merged
arrays as a new base, O(N) once) and goes on appending. Chunks are pure functions of
their indices, so a resumed run equals an uninterrupted one bit for bit.

Memory: the arrays of a run live in memory (the scan grid itself); saving never copies
them — a chunk writes only its own values, the base is written from the arrays as they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import mmap
import os
import re
import secrets
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Mapping

import numpy as np

from cevns.errors import InputError, OutputError


class StoreError(InputError):
    """A store that cannot be used: unreadable, or made with another configuration."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: The temporary files of :func:`atomic_write` for a target ``name``: ``.{name}.`` + the 8
#: random characters of :func:`tempfile.mkstemp` + the target's suffix.
_TMP_RANDOM = "[a-z0-9_]{8}"


def stale_temporaries(path: str | Path) -> list[Path]:
    """The temporary files that :func:`atomic_write` left beside ``path`` when a process
    writing it was killed (SIGKILL, power loss: no ``finally`` ran). Only names of exactly
    that pattern count, so nothing else is ever matched."""
    target = Path(path)
    pattern = re.compile(re.escape(f".{target.name}.") + _TMP_RANDOM + re.escape(target.suffix))
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return []
    return sorted(p for p in entries if pattern.fullmatch(p.name) and p.is_file() and not p.is_symlink())


def remove_stale_temporaries(path: str | Path) -> int:
    """Remove :func:`stale_temporaries` of ``path``; returns how many were removed."""
    removed = 0
    for tmp in stale_temporaries(path):
        try:
            tmp.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    return removed


#: Any :func:`atomic_write` temporary: ``.{name}.`` + 8 random characters + the suffix of ``name``.
_ANY_TMP = re.compile(r"\.(?P<name>.+)\." + _TMP_RANDOM + r"(?P<suffix>\.[^.]*)?")


def remove_stale_temporaries_in(folder: str | Path) -> int:
    """Remove every temporary file that :func:`atomic_write` left in ``folder`` (not its
    sub-folders) when a writer was killed — for an output folder whose files are not all
    rewritten by the next run (a resumed reproduction keeps its finished steps' files).
    Only names ``.{name}.`` + 8 random characters + the suffix of ``name`` count;
    returns how many were removed."""
    removed = 0
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return 0
    for entry in entries:
        match = _ANY_TMP.fullmatch(entry.name)
        if match is None or Path(match["name"]).suffix != (match["suffix"] or ""):
            continue
        if entry.is_file() and not entry.is_symlink():
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


def atomic_write(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(tmp_path)`` then move the temporary file onto ``path`` (no partial
    file is ever left at ``path``; the temporary file is removed on any failure, and the
    ones a killed process left for the same ``path`` are removed first).

    An :class:`OSError` while writing (no space left on device, permission denied, a
    read-only file system) is raised as :class:`~cevns.errors.OutputError` naming ``path``
    and the operating system's reason; ``path`` keeps its earlier contents, if any."""
    target = Path(path)
    if not target.parent.exists():
        raise StoreError(f"directory {target.parent} does not exist")
    remove_stale_temporaries(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=target.suffix)
    except OSError as exc:
        raise OutputError.writing(target, exc) from None
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, target)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError.writing(target, exc) from None
        raise


def _write_bytes(path: Path, data: bytes) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(data)

    atomic_write(path, write)


def _append_bytes(path: Path, data: bytes) -> None:
    """Append ``data`` to the file at ``path`` with one ``write`` call (an :class:`OSError`
    is raised as :class:`~cevns.errors.OutputError`; a torn append is ignored by the reader)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            view = memoryview(data)
            while view:  # a regular file takes it all at once; loop only for the rare short write
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
    except OSError as exc:
        raise OutputError.writing(path, exc) from None


def config_text(config: Mapping[str, Any]) -> str:
    """Canonical JSON of a configuration (sorted keys), as stored."""
    return json.dumps(config, sort_keys=True)


#: name of the base's array holding the generation of its live sidecar
GENERATION_KEY = "store_generation"
#: prefixes of a base's entries that stand for an array at one value except at a few
#: entries (a new run's base, :meth:`ChunkStore.create` with ``fills``): the value (0-d,
#: the array's dtype), the shape, and the entries that differ (their values; their flat
#: indices are :data:`PART_INDEX`); :func:`read_store` rebuilds the array from them.
FILL_PREFIX, SHAPE_PREFIX, PART_PREFIX = "store_fill_", "store_shape_", "store_part_"
PART_INDEX = "store_part_index"


def release_pages(*arrays: np.ndarray) -> None:
    """Let the system drop the pages of memory-mapped ``arrays`` from this process
    (``madvise(MADV_DONTNEED)`` on their shared file mapping: what was written stays in the
    file and is read back when touched again), so that the resident memory of work over a
    mapped array (a scan grid beyond the memory limit, :func:`cevns.stats.scans.empty_scan`)
    stays that of the part in use. Arrays in memory are left alone."""
    for array in arrays:
        mapping = _mapping(array)
        if mapping is not None and hasattr(mmap, "MADV_DONTNEED"):
            with contextlib.suppress(OSError, ValueError):
                mapping.madvise(mmap.MADV_DONTNEED)


def _mapping(array: object) -> mmap.mmap | None:
    """The file mapping under ``array`` (a memory-mapped array or a view of one), or None."""
    base = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "base", None)
    return base if isinstance(base, mmap.mmap) else None


class _Releasing:
    """A file to write an array's bytes to that releases the array's mapped pages after
    each piece (:func:`release_pages`); not a real file, so numpy writes in pieces."""

    def __init__(self, target: IO[bytes], array: np.ndarray) -> None:
        self.target, self.array = target, array

    def write(self, data: bytes) -> int:
        written = self.target.write(data)
        release_pages(self.array)
        return written


def _savez(handle: IO[bytes], arrays: Mapping[str, np.ndarray]) -> None:
    """What ``np.savez(handle, allow_pickle=False, **arrays)`` writes, byte for byte (an
    uncompressed ZIP64 of ``<name>.npy`` entries), with memory-mapped arrays written piece
    by piece without keeping their pages resident."""
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name, value in arrays.items():
            array = np.asanyarray(value)
            with archive.open(name + ".npy", "w", force_zip64=True) as entry:
                np.lib.format.write_array(_Releasing(entry, array), array, allow_pickle=False)


def write_store(path: str | Path, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` and ``config`` to the NPZ store at ``path``, atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            if any(_mapping(a) is not None for a in arrays.values()):  # the same bytes, mapped pages released
                _savez(handle, {"config": np.array(config_text(config)), **arrays})
            else:
                np.savez(handle, allow_pickle=False, config=np.array(config_text(config)), **arrays)

    atomic_write(path, write)


def sidecar(path: str | Path) -> Path:
    """The directory of the chunks of the store at ``path``: ``<name>.parts`` beside it."""
    p = Path(path)
    return p.with_name(p.name + ".parts")


def _check_config(path: str | Path, stored: str, config: Mapping[str, Any]) -> None:
    if stored == config_text(config):
        return
    try:
        old = json.loads(stored)
    except ValueError:
        raise StoreError(f"cannot resume from {path}: its configuration is unreadable") from None
    new = json.loads(config_text(config))
    differ = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    raise StoreError(f"cannot resume from {path}: it was made with another configuration (differs in: {', '.join(differ)})")


def _valid_chunks(directory: Path, generation: str) -> Iterator[tuple[list[str], bytes]]:
    """The chunks of a sidecar of this ``generation`` (their array names and bytes), one
    at a time in journal order (memory: one chunk), up to the first invalid journal line
    (torn, unparsable, or bytes of another checksum)."""
    try:
        meta = json.loads((directory / "meta.json").read_text())
        journal = (directory / "chunks.jsonl").read_bytes()
        data = open(directory / "chunks.bin", "rb")  # noqa: SIM115  closed below, also when the caller stops early
    except (OSError, ValueError):
        return
    with data:
        if not isinstance(meta, dict) or meta.get("generation") != generation:
            return
        for seq, line in enumerate(journal.split(b"\n")[:-1]):  # the last piece has no newline: torn or empty
            try:
                entry = json.loads(line)
                length = int(entry["length"])
                data.seek(int(entry["offset"]))
                blob = data.read(length)
                ok = entry["seq"] == seq and len(blob) == length and _checksum_ok(entry, blob)
                names = [str(n) for n in entry["arrays"]]
            except (OSError, ValueError, KeyError, TypeError):
                ok = False
            if not ok:
                return
            yield names, blob


def _checksum_ok(entry: Mapping[str, Any], blob: bytes) -> bool:
    """The chunk's bytes have the checksum of its journal line: CRC-32 (``crc32``, what
    :meth:`ChunkStore.append` writes: it guards against torn and partial writes, not
    against tampering, at ≈ 2.5× the speed of SHA-256 here) or SHA-256 (``sha256``, the journals
    of earlier versions, still resumable)."""
    if "crc32" in entry:
        return zlib.crc32(blob) == int(entry["crc32"])
    return hashlib.sha256(blob).hexdigest() == entry["sha256"]


def _scatter(arrays: dict[str, np.ndarray], index: np.ndarray, name: str, values: np.ndarray) -> None:
    """``arrays[name]`` at flat ``index`` (over its leading axes) ← ``values``."""
    target = arrays[name]
    if not target.flags.c_contiguous:  # reshape would copy, and the values would be lost
        raise StoreError(f"array {name} is not contiguous")
    target.reshape(-1, *values.shape[1:])[index] = values


def _merge_sidecar(path: str | Path, generation: str, arrays: dict[str, np.ndarray]) -> None:
    for names, blob in _valid_chunks(sidecar(path), generation):
        stream = io.BytesIO(blob)
        chunk = {name: np.lib.format.read_array(stream, allow_pickle=False) for name in names}
        where = chunk.pop("range", None)
        index = np.arange(int(where[0]), int(where[1])) if where is not None else chunk.pop("index").astype(np.int64)
        for name, values in chunk.items():
            if name in arrays:
                _scatter(arrays, index, name, values)


def _filled(f: Any, name: str) -> np.ndarray:
    """The array ``name`` of a base that holds it as its fill value, shape and the entries
    that differ (:data:`FILL_PREFIX`)."""
    array = np.full(tuple(int(i) for i in f[SHAPE_PREFIX + name]), f[FILL_PREFIX + name])
    if PART_PREFIX + name in f.files:
        _scatter({name: array}, np.asarray(f[PART_INDEX], dtype=np.int64), name, np.asarray(f[PART_PREFIX + name]))
    return array


def read_store(path: str | Path, config: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays ``names`` of the store at ``path``, after checking it was made with
    ``config``; raises :class:`StoreError` (one line) otherwise.

    The chunks saved since the base was written (a :class:`ChunkStore` that is running or
    was interrupted) are merged in: the arrays are the store's current contents."""
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as f:  # we own the handle: closed on any error
            stored = str(f["config"])
            generation = str(f[GENERATION_KEY]) if GENERATION_KEY in f.files else None
            arrays = {n: np.array(f[n]) if n in f.files or generation is None or FILL_PREFIX + n not in f.files
                      else _filled(f, n) for n in names}
    except Exception as exc:  # noqa: BLE001  any unreadable file is the same error for the user
        raise StoreError(f"cannot resume from {path}: not a readable store ({type(exc).__name__})") from None
    _check_config(path, stored, config)
    if generation is not None:
        try:
            _merge_sidecar(path, generation, arrays)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001  a chunk that checksums but does not fit the arrays
            raise StoreError(f"cannot resume from {path}: its chunks do not fit its arrays ({type(exc).__name__})") from None
    return arrays


def _clear_sidecar(directory: Path) -> None:
    """Remove a sidecar: ``meta.json`` first, so that a half-removed one is inert."""
    if not directory.exists():
        return
    if not directory.is_dir():
        raise StoreError(f"{directory} is in the way of the store's chunks (not a directory)")
    (directory / "meta.json").unlink(missing_ok=True)
    shutil.rmtree(directory)


class ChunkStore:
    """An NPZ store at ``path`` that is saved chunk by chunk (see the module docstring).

    :meth:`create` writes the base (the full arrays, once) and an empty sidecar;
    :meth:`append` saves one finished chunk (cost ∝ the chunk); :meth:`finish` writes the
    final arrays as a plain NPZ store and removes the sidecar. Use from one process (the
    one that receives the chunks' results).

    ``done`` and ``total`` count the entries saved so far and all entries (from the
    ``done`` array of the arrays given to :meth:`create`; 0 and 0 if there is none): the
    command line says them when it is interrupted (:func:`unfinished_stores`)."""

    def __init__(self, path: Path, generation: str) -> None:
        self.path = path
        self.directory = sidecar(path)
        self.generation = generation
        self.sequence = 0
        self.offset = 0
        self.bytes_written = 0
        self.done = 0
        self.total = 0

    @classmethod
    def create(cls, path: str | Path, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray],
               fills: Mapping[str, Any] | None = None, part: np.ndarray | None = None) -> ChunkStore:
        """Start a store at ``path`` holding ``arrays`` (a new run, or a resumed one with
        the merged arrays): any old sidecar is removed, the base is written with a new
        generation, then an empty sidecar is made.

        ``fills`` (name → value) and ``part`` (flat indices): arrays of ``arrays`` that
        hold that value everywhere except at ``part`` (flat indices of the whole array) —
        the base then holds only the value, the shape and the entries at ``part`` (:data:`FILL_PREFIX`), so a new run's
        first save costs the chunk it has, not the grid. A reader other than
        :func:`read_store` finds those arrays only in the final file (:meth:`finish`)."""
        target = Path(path)
        store = cls(target, secrets.token_hex(16))
        _clear_sidecar(store.directory)
        fills = dict(fills or {})
        base = {n: a for n, a in arrays.items() if n not in fills}
        index = np.asarray(part if part is not None else np.empty(0), dtype=np.int64)
        if fills:
            base[PART_INDEX] = index
        for name, value in fills.items():
            array = np.asarray(arrays[name])
            base[FILL_PREFIX + name] = np.array(value, dtype=array.dtype)
            base[SHAPE_PREFIX + name] = np.array(array.shape, dtype=np.int64)
            base[PART_PREFIX + name] = array.reshape(-1)[index]  # flat indices of the whole array
        write_store(target, config, {**base, GENERATION_KEY: np.array(store.generation)})
        done = arrays.get("done")
        if done is not None:
            store.done, store.total = int(np.count_nonzero(done)), int(np.size(done))
        _UNFINISHED[os.path.abspath(target)] = store  # from here on the file holds the progress
        try:
            store.directory.mkdir()
            (store.directory / "chunks.bin").touch()
            (store.directory / "chunks.jsonl").touch()
        except OSError as exc:
            raise OutputError.writing(store.directory, exc) from None
        meta = json.dumps({"generation": store.generation, "base": target.name, "config": json.loads(config_text(config))})
        _write_bytes(store.directory / "meta.json", meta.encode())
        store.bytes_written = target.stat().st_size + len(meta)
        return store

    def append(self, index: np.ndarray, values: Mapping[str, np.ndarray]) -> None:
        """Save one finished chunk: ``values`` (name → array whose first axis runs over the
        chunk) belong at the flat indices ``index`` of the store's arrays."""
        index = np.asarray(index, dtype=np.int64)
        contiguous = index.size > 0 and int(index[-1]) - int(index[0]) == index.size - 1 and bool(np.all(np.diff(index) == 1))
        parts = {"range": np.array([index[0], index[-1] + 1])} if contiguous else {"index": index}
        parts.update(values)
        stream = io.BytesIO()
        for array in parts.values():
            np.lib.format.write_array(stream, np.asarray(array), allow_pickle=False)
        blob = stream.getvalue()
        line = json.dumps({"seq": self.sequence, "offset": self.offset, "length": len(blob), "crc32": zlib.crc32(blob),
                           "arrays": list(parts), "points": int(index.size)})
        _append_bytes(self.directory / "chunks.bin", blob)
        _append_bytes(self.directory / "chunks.jsonl", (line + "\n").encode())  # one write: whole or torn, never interleaved
        self.sequence += 1
        self.done += int(index.size)
        self.offset += len(blob)
        self.bytes_written += len(blob) + len(line) + 1

    def finish(self, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
        """Write the final ``arrays`` as a plain store at ``path`` and remove the sidecar."""
        finish_store(self.path, config, arrays)
        self.bytes_written += self.path.stat().st_size


def finish_store(path: str | Path, config: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    """Write ``arrays`` as a plain store at ``path`` (no generation: any sidecar becomes
    stale), then remove the sidecar of ``path`` if there is one."""
    write_store(path, config, arrays)
    _clear_sidecar(sidecar(path))
    _UNFINISHED.pop(os.path.abspath(path), None)


#: The chunk stores of this process that were created and not finished, by absolute path.
_UNFINISHED: dict[str, ChunkStore] = {}


def forget_unfinished() -> None:
    """Forget the unfinished stores of the run that just ended (a later command in the same
    process, e.g. a test calling the CLI again, must not report them as its own)."""
    _UNFINISHED.clear()


def unfinished_stores() -> tuple[tuple[Path, int, int], ...]:
    """The chunk stores this process started and has not finished: ``(path, done, total)``
    each (see :class:`ChunkStore`), in the order they were started."""
    return tuple((store.path, store.done, store.total) for store in _UNFINISHED.values())


__all__ = ["ChunkStore", "StoreError", "atomic_write", "config_text", "finish_store", "read_store", "remove_stale_temporaries",
           "remove_stale_temporaries_in",
           "forget_unfinished", "release_pages", "sidecar", "stale_temporaries", "unfinished_stores", "write_store"]
