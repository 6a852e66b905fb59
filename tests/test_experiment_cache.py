"""The command line's disk cache of built shipped experiments
(:mod:`cevns.config.experiment_cache`): a cached experiment is the experiment built afresh,
bit for bit; loads with inputs other than the package's own files are never cached; a bad,
foreign or unwritable cache never changes a result or stops a run; a cache hit predicts
without importing pydantic."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from cevns._data import data_path
from cevns.config import experiment_cache as cache
from cevns.config.built import Experiment
from cevns.config.experiments import load_experiment, shipped_experiments
from cevns.config.overrides import experiment_overrides
from cevns.config.schema import ExperimentSpec


@pytest.fixture
def cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(folder))
    return folder


def _counts(exp: Experiment) -> np.ndarray:
    return exp.binned_counts().counts


@pytest.mark.parametrize("name", sorted(shipped_experiments()))
def test_cached_experiment_is_the_fresh_one_bit_for_bit(name: str, cache_folder: Path) -> None:
    fresh = load_experiment(name)
    built = cache.load_experiment_cached(name)  # a miss: built and written
    path = cache.cache_file(name)
    assert path is not None and path.is_file()
    hit = cache.load_experiment_cached(name)
    assert "spec" not in hit.__dict__  # unpickled: the spec is parsed only when asked for
    assert hit == fresh == built
    assert np.array_equal(_counts(hit), _counts(fresh))
    assert hit.spec == fresh.spec and ExperimentSpec.model_validate_json(fresh.spec_json) == fresh.spec


def test_experiment_pickles_without_its_parsed_spec() -> None:
    exp = load_experiment("coherent-csi-2017")
    assert "spec" in exp.__dict__  # the validated spec itself, kept by build_experiment
    again = pickle.loads(pickle.dumps(exp))
    assert "spec" not in again.__dict__ and again == exp
    assert again.spec == exp.spec and "spec" in again.__dict__
    assert again.measurement().observed.tolist() == exp.measurement().observed.tolist()


def test_loads_that_are_not_the_package_files_alone_are_not_cached(cache_folder: Path, tmp_path: Path) -> None:
    assert cache.cache_file("coherent-csi-2017", {"detector.mass_kg": 20.0}) is None
    own = tmp_path / "mine.toml"
    own.write_text(data_path("experiments", "conus.toml").read_text())
    assert cache.cache_file(str(own)) is None
    assert cache.cache_file(own) is None  # a Path: a user's file
    assert cache.cache_file("no-such-experiment") is None
    cache.load_experiment_cached("coherent-csi-2017")  # cached now
    with experiment_overrides({"coherent-csi-2017": {"detector.mass_kg": 20.0}}) as loaded:
        assert cache.cache_file("coherent-csi-2017") is None
        changed = cache.load_experiment_cached("coherent-csi-2017")
    assert loaded == {"coherent-csi-2017"} and changed.mass_kg == 20.0
    assert cache.load_experiment_cached("coherent-csi-2017").mass_kg == load_experiment("coherent-csi-2017").mass_kg
    with pytest.raises(Exception, match="unknown experiment"):
        cache.load_experiment_cached("no-such-experiment")


def test_cache_off_and_default_folders(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(cache.CACHE_DIR_ENV, "off")
    assert cache.cache_dir() is None and cache.cache_file("coherent-csi-2017") is None
    monkeypatch.delenv(cache.CACHE_DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "cevns"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == Path.home() / ".cache" / "cevns"

    def nowhere() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", nowhere)
    assert cache.cache_dir() is None and cache.cache_file("coherent-csi-2017") is None
    assert cache.load_experiment_cached("coherent-csi-2017") == load_experiment("coherent-csi-2017")


@pytest.mark.parametrize("content", [b"", b"not a pickle", pickle.dumps(("conus", None)), pickle.dumps([1, 2]),
                                     pickle.dumps(("coherent-csi-2017", "an experiment?"))])
def test_a_bad_cache_file_is_ignored_and_rewritten(content: bytes, cache_folder: Path) -> None:
    path = cache.cache_file("coherent-csi-2017")
    assert path is not None
    cache_folder.mkdir()
    path.write_bytes(content)
    exp = cache.load_experiment_cached("coherent-csi-2017")
    assert exp == load_experiment("coherent-csi-2017")
    name, stored = pickle.loads(path.read_bytes())
    assert name == "coherent-csi-2017" and stored == exp


def test_an_experiment_of_another_name_is_not_served(cache_folder: Path) -> None:
    cache.load_experiment_cached("conus")
    conus, target = cache.cache_file("conus"), cache.cache_file("coherent-csi-2017")
    assert conus is not None and target is not None
    target.write_bytes(conus.read_bytes())  # a file holding another experiment under this name
    assert cache.load_experiment_cached("coherent-csi-2017").name == load_experiment("coherent-csi-2017").name


def test_an_unwritable_cache_leaves_the_run_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(blocker / "cevns"))
    assert cache.load_experiment_cached("coherent-csi-2017") == load_experiment("coherent-csi-2017")
    assert blocker.read_text() == "not a folder"


def test_fingerprint_follows_the_installed_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    before = cache.code_fingerprint()
    assert cache.code_fingerprint() == before  # deterministic
    (tmp_path / "newpkg").mkdir()  # a package installed there: the folder's time changes
    os.utime(tmp_path, ns=(0, os.stat(tmp_path).st_mtime_ns + 10**9))
    assert cache.code_fingerprint() != before


def test_a_package_folder_that_cannot_be_listed_means_no_cache(cache_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(folder: str, out: list[str]) -> None:
        raise PermissionError(13, "Permission denied", folder)

    monkeypatch.setattr(cache, "_tree_stats", refused)
    assert cache.cache_file("coherent-csi-2017") is None
    assert cache.load_experiment_cached("coherent-csi-2017") == load_experiment("coherent-csi-2017")
    assert not cache_folder.exists()


def test_fingerprint_follows_every_package_file(tmp_path: Path) -> None:
    tree = tmp_path / "pkg"
    (tree / "sub").mkdir(parents=True)
    (tree / "__pycache__").mkdir()
    (tree / "a.py").write_text("x = 1\n")
    (tree / "sub" / "b.toml").write_text("y = 2\n")
    (tree / "__pycache__" / "a.pyc").write_text("compiled")
    lines: list[str] = []
    cache._tree_stats(str(tree), lines)
    assert [line.split("\0")[0] for line in lines] == [str(tree / "a.py"), str(tree / "sub" / "b.toml")]
    (tree / "sub" / "b.toml").write_text("y = 22\n")  # an edit: the size (and time) change
    again: list[str] = []
    cache._tree_stats(str(tree), again)
    assert again[0] == lines[0] and again[1] != lines[1]


def test_each_experiment_keeps_its_newest_files(cache_folder: Path) -> None:
    cache_folder.mkdir()
    for k in range(7):
        older = cache_folder / f"conus.{k:016x}.pickle"
        older.write_bytes(b"x")
        os.utime(older, ns=(0, 10**18 + k * 10**9))
    other = cache_folder / "conus-2024.0000000000000000.pickle"  # another experiment whose name starts alike
    other.write_bytes(b"x")
    cache.load_experiment_cached("conus")
    kept = sorted(p.name for p in cache_folder.iterdir() if p.name.startswith("conus."))
    path = cache.cache_file("conus")
    assert path is not None and path.name in kept and len(kept) == cache.KEPT_PER_EXPERIMENT
    assert [f"conus.{k:016x}.pickle" for k in (4, 5, 6)] == [n for n in kept if n != path.name]
    assert other.is_file() and not list(cache_folder.glob(".*.tmp"))


def test_the_command_line_reads_the_cache_without_pydantic(tmp_path: Path) -> None:
    """Two ``cevns events`` runs: the second is served from the cache, imports no pydantic,
    and prints what a run without the cache prints."""
    code = ("import contextlib, io, json, sys\nfrom cevns.cli import main\nout = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n    assert main(['events', 'coherent-csi-2017', '--json']) == 0\n"
            "print(json.dumps([out.getvalue(), sorted(m for m in sys.modules if m.startswith('pydantic'))]))")

    def run(folder: str) -> tuple[str, list[str]]:
        env = {**os.environ, cache.CACHE_DIR_ENV: folder}
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
        text, modules = json.loads(done.stdout.strip().splitlines()[-1])
        return text, modules

    first, first_modules = run(str(tmp_path))
    second, second_modules = run(str(tmp_path))
    plain, _ = run("off")
    assert first_modules and second_modules == []
    assert first == second == plain
