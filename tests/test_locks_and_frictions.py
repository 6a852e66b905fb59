"""Output locks (cevns.runtime.locks) and the command-line frictions of a new user: radius
fits inside the form-factor domain, `experiments show` / `init`, open intervals, the note
on a global radius of a compound target."""

from __future__ import annotations

import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from cevns.cli import main
from cevns.cli.common import compound_radius_notes, interval_text, intervals_text, load
from cevns.cli.experiments import TEMPLATES, shipped_text
from cevns.config.experiments import load_experiment
from cevns.physics.form_factors import (
    FERMI_DIFFUSENESS_FM,
    HELM_SURFACE_THICKNESS_FM,
    KLEIN_NYSTRAND_RANGE_FM,
    FormFactor,
)
from cevns.runtime.locks import OutputLockedError, config_digest, lock_path, output_lock
from cevns.stats.chi2 import Interval, interval_from_profile
from cevns.stats.fits import Profile, _bounds, radius_floor_fm
from cevns.stats.scans import Scan


def _env(tmp_path: Path) -> dict[str, str]:
    return dict(os.environ, MPLBACKEND="Agg", MPLCONFIGDIR=str(tmp_path / ".mpl"))


def _holder(tmp_path: Path, out: Path, config: object, seconds: float) -> subprocess.Popen:
    """A second process that takes the lock of ``out`` with ``config`` and keeps it."""
    code = textwrap.dedent(f"""
        import time, sys
        from cevns.runtime.locks import output_lock
        with output_lock({str(out)!r}, {config!r}):
            print("locked", flush=True)
            time.sleep({seconds})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=_env(tmp_path))
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def _stop(proc: subprocess.Popen, kill: bool = True) -> None:
    if kill:
        proc.kill()
    proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


# --- locks: library --------------------------------------------------------------------
def test_lock_path_and_digest(tmp_path):
    assert lock_path(tmp_path / "a.npz") == tmp_path / "a.npz.lock"
    assert lock_path(str(tmp_path / "report") + "/") == tmp_path / "report.lock"
    assert config_digest({"a": 1, "b": [1, 2]}) == config_digest({"b": [1, 2], "a": 1})
    assert config_digest({"a": 1}) != config_digest({"a": 2})
    assert config_digest({"a": 1}) == hashlib.sha256(b'{"a":1}').hexdigest()


def test_lock_released_and_file_removed(tmp_path):
    out = tmp_path / "x.npz"
    with output_lock(out, {"a": 1}) as path:
        content = json.loads(path.read_text())
        assert content == {"pid": os.getpid(), "config": config_digest({"a": 1})}
    assert not path.exists()
    with output_lock(out, {"a": 2}):  # free again, any configuration
        pass


def test_other_process_different_config_refused(tmp_path):
    out = tmp_path / "x.npz"
    holder = _holder(tmp_path, out, {"a": 1}, 30)
    try:
        with pytest.raises(OutputLockedError) as err:
            with output_lock(out, {"a": 2}, "scan file"):
                pytest.fail("entered a lock held by another process")
        message = str(err.value)
        assert f"pid {holder.pid}" in message and str(lock_path(out)) in message and "\n" not in message
    finally:
        _stop(holder)
    with output_lock(out, {"a": 2}):  # a killed holder leaves no lock behind (flock dies with it)
        pass


def test_other_process_same_config_waits(tmp_path):
    out = tmp_path / "x.npz"
    holder = _holder(tmp_path, out, {"a": 1}, 1.5)
    said: list[str] = []
    t0 = time.monotonic()
    try:
        with output_lock(out, {"a": 1}, notify=said.append):
            waited = time.monotonic() - t0
    finally:
        _stop(holder, kill=False)
    assert waited > 1.0 and len(said) == 1 and f"pid {holder.pid}" in said[0] and "waiting" in said[0]


# --- locks: command line (two cevns processes on one --out) -----------------------------
def test_cli_second_writer_with_other_config_refused_first_intact(tmp_path):
    out = tmp_path / "toys.npz"
    args = [sys.executable, "-m", "cevns.cli", "toys", "coherent-csi-2017", "--free", "sin2_theta_w", "--chunk", "20",
            "--out", str(out)]
    first = subprocess.Popen([*args, "--n", "200000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=_env(tmp_path))
    try:
        deadline = time.monotonic() + 120
        while not out.exists() and time.monotonic() < deadline:  # the first chunk saved: it holds the lock and works
            time.sleep(0.2)
        assert out.exists(), "the first run saved nothing in 120 s"
        second = subprocess.run([*args, "--n", "100", "--seed", "7"], capture_output=True, text=True, timeout=120,
                                env=_env(tmp_path))
        assert second.returncode == 2, second.stderr
        lines = [ln for ln in second.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), second.stderr
        assert f"pid {first.pid}" in lines[0] and str(lock_path(out)) in lines[0]
        assert first.poll() is None  # the first run goes on
    finally:
        first.send_signal(signal.SIGTERM)
        _, err = first.communicate(timeout=120)
    assert first.returncode == 143, err
    # the first result is intact: the first run saved its progress in its own store, untouched by the second
    assert "saved in" in err and str(out) in err, err
    assert out.exists() and not lock_path(out).exists()


def test_cli_scan_refused_while_locked_leaves_store_bytes(tmp_path, capsys):
    out = tmp_path / "scan.npz"
    base = ["scan", "coherent-csi-2017", "--param", "sin2_theta_w=0.2:0.3:3", "--out", str(out)]
    assert main(base) == 0
    before = out.read_bytes()
    capsys.readouterr()
    holder = _holder(tmp_path, out, {"another": "configuration"}, 30)
    try:
        assert main([*base[:3], "sin2_theta_w=0.2:0.3:4", *base[4:]]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:") and f"pid {holder.pid}" in err[0]
    finally:
        _stop(holder)
    assert out.read_bytes() == before


# --- radii inside the form-factor domain ---------------------------------------------------
def test_radius_floor_is_the_largest_minimum_of_the_models():
    floor = radius_floor_fm()
    expected = math.sqrt(7 / 5) * math.pi * FERMI_DIFFUSENESS_FM  # 1.933 fm: symmetrized Fermi binds
    assert floor == pytest.approx(expected, rel=2e-6) and floor > expected
    assert floor > math.sqrt(3) * HELM_SURFACE_THICKNESS_FM and floor > math.sqrt(6) * KLEIN_NYSTRAND_RANGE_FM
    for model in ("helm", "sf", "kn"):
        assert np.isfinite(FormFactor(model)(np.array([10.0, 50.0]), floor)).all()  # type: ignore[arg-type]
    for name in ("rn", "rp", "rn_133Cs", "rp_127I"):
        assert _bounds(name)[0] == floor
    assert _bounds("sin2_theta_w") == (0.0, 1.0)


@pytest.mark.parametrize("args", [
    ("coherent-csi-2017", "--free", "rn"),
    ("coherent-csi-2017", "--free", "rn_133Cs"),
    ("reactor-ge-conus-like", "--free", "rn", "--asimov"),
])
def test_radius_fits_run(args, capsys):
    assert main(["fit", *args, "--points", "11", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    name = args[2]
    assert out["best_fit"][name] >= radius_floor_fm()
    assert set(out["intervals_open"][name]) == set(out["intervals"][name])
    for level, pieces in out["intervals"][name].items():
        assert len(out["intervals_open"][name][level]) == len(pieces)


# --- experiments show / list, init ----------------------------------------------------------
def test_experiments_show_is_verbatim_and_list_matches(capsys):
    assert main(["experiments", "show", "coherent-csi-2017"]) == 0
    shipped = (resources.files("cevns") / "data" / "experiments" / "coherent-csi-2017.toml").read_text(encoding="utf-8")
    assert capsys.readouterr().out == shipped == shipped_text("coherent-csi-2017")
    assert main(["experiments"]) == 0
    plain = capsys.readouterr().out
    assert main(["experiments", "list"]) == 0
    assert capsys.readouterr().out == plain and "coherent-csi-2017 " in plain and "[array]" in plain
    assert main(["experiments", "show", "no-such"]) == 2
    assert capsys.readouterr().err.startswith("error: no shipped experiment or array 'no-such'")


@pytest.mark.parametrize("kind", sorted(TEMPLATES))
def test_init_template_loads(kind, tmp_path, capsys):
    path = tmp_path / f"{kind}.toml"
    assert main(["init", "--source", kind, "--out", str(path)]) == 0
    assert path.read_text() == TEMPLATES[kind]
    exp = load_experiment(path)
    assert exp.spec.source.type == kind
    assert exp.binned_counts().total > 0
    assert main(["init", "--source", kind]) == 0
    assert capsys.readouterr().out.endswith(TEMPLATES[kind])
    assert main(["init", "--out", str(path)]) == 2  # never overwritten
    assert "exists" in capsys.readouterr().err


# --- open intervals --------------------------------------------------------------------------
def test_interval_open_ends_and_text():
    x = np.linspace(-1.0, 1.0, 201)
    d = x**2  # Δχ² ≤ 1 on [-1, 1]: reaches both edges at 1σ; Δχ² ≤ 0.25: closed [-0.5, 0.5]
    (closed,) = interval_from_profile(x, d, 0.25)
    assert closed.open_ends == [] and closed.low == pytest.approx(-0.5) and closed.high == pytest.approx(0.5)
    (both,) = interval_from_profile(x, d, 1.0)
    assert both.open_ends == ["low", "high"]
    (upper,) = interval_from_profile(x, (x + 1.0) ** 2, 0.25)  # minimum at the low edge
    assert upper.open_ends == ["low"] and upper.high == pytest.approx(-0.5)
    assert Interval(0, 1, high_open=True).open_ends == ["high"]
    assert interval_text(-1, 1, ["low", "high"]) == "unbounded within the scanned range [-1, 1]"
    assert interval_text(0.2, 1, ["high"]).startswith("> 0.2 (open above")
    assert interval_text(-1, 0.5, ["low"]).startswith("< 0.5 (open below")
    assert intervals_text([[0, 1], [2, 3]]) == "[0, 1] ∪ [2, 3]" == intervals_text([[0, 1], [2, 3]], [[], []])
    assert intervals_text([]) == "none"


def test_profile_and_scan_open_ends_follow_the_pieces():
    x = np.linspace(-1.0, 1.0, 41)
    prof = Profile("a", x, 0.5 * x**2, 0.0)
    assert prof.open_ends() == {"1sigma": [["low", "high"]], "90%": [["low", "high"]], "2sigma": [["low", "high"]]}
    prof2 = Profile("a", x, 9 * x**2, 0.0)  # 1σ: |x| ≤ 1/3 closed; 2σ: |x| ≤ 2/3 closed
    assert prof2.open_ends()["1sigma"] == [[]] and prof2.open_ends()["2sigma"] == [[]]
    chi2 = (x[:, None] * 3) ** 2 + (np.linspace(0, 1, 5)[None, :]) ** 2  # 2nd axis: minimum at its low edge
    scan = Scan({"a": x, "b": np.linspace(0, 1, 5)}, chi2, np.ones_like(chi2, dtype=bool))
    ranges, ends = scan.allowed_ranges(), scan.allowed_open()
    for name in ("a", "b"):
        for level, pieces in ranges[name].items():
            assert len(ends[name][level]) == len(pieces)
    assert ends["a"]["68%"] == [[]] and ends["b"]["68%"][0][0] == "low"


def test_scan_prints_open_interval(tmp_path, capsys):
    out = tmp_path / "s.npz"
    assert main(["scan", "coherent-csi-2017", "--param", "sin2_theta_w=0.2:0.3:5", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2sigma unbounded within the scanned range [0.2, 0.3]" in text
    assert not any(ln.split()[-2:] == ["[0.2,", "0.3]"] and "unbounded" not in ln for ln in text.splitlines())
    assert main(["scan", "coherent-csi-2017", "--param", "sin2_theta_w=0.2:0.3:5", "--out", str(out), "--resume",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["allowed"]["sin2_theta_w"]["2sigma"] == [[0.2, 0.3]]  # the old key keeps its numbers
    assert result["allowed_open"]["sin2_theta_w"]["2sigma"] == [["low", "high"]]


# --- global radius on a compound target ---------------------------------------------------------
def test_compound_radius_note():
    csi = load("coherent-csi-2017", ())
    (note,) = compound_radius_notes(csi, ["rn", "sin2_theta_w"])
    assert "all 2 isotopes of CsI" in note and "rn_133Cs" in note and "rn_127I" in note
    assert len(compound_radius_notes(csi, ["rn", "rp"])) == 2
    assert compound_radius_notes(csi, ["rn_133Cs"]) == []
    assert compound_radius_notes(None, ["rn"]) == []


def test_fit_prints_compound_note(capsys):
    assert main(["fit", "coherent-csi-2017", "--free", "rn", "--points", "11"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(ln.startswith("note: rn sets one neutron rms radius for all 2 isotopes of CsI") for ln in lines)


def test_params_says_rn_is_one_radius_for_all_isotopes(capsys):
    assert main(["params"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("note: rn and rp set one radius for every isotope") and "rn_<isotope>" in last
    assert main(["params", "--json"]) == 0
    json.loads(capsys.readouterr().out)  # the JSON stays one object, no note
