"""The ``global`` combination (COHERENT CsI 2021 and LAr Analysis A releases + Ge 2026, four
reactor Ge experiments, the XENONnT release + PandaX-4T) and ``global-counting`` (every
member a counting experiment, no release folder): members, shared nuisances, the χ², the
fit of sin²θ_W through the CLI against the members' own fits and published values, bad
files; and the block-wise profiling of the shared nuisances (cevns.stats.joint) against
an all-at-once minimisation. Tests that read the releases skip when ../shared is absent."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import optimize

from cevns.releases.combinations import load_combination
from cevns.stats import joint as J
from cevns.stats.fits import fit
from cevns.stats.joint import SharedNuisance, joint_likelihood, own_sigma, with_signal_sigma
from tests.cli_run import one_error_line, run_cli
from tests.conftest import release_folder
from tests.test_joint import A, B, C, experiment, template

RELEASES = ("csi-2021", "lar-2020-analysisA", "xenonnt-8b")
LABELS = ("CsI", "LAr", "Ge-SNS", "Dresden-II", "CONUS+", "CONUS", "TEXONO", "XENONnT", "PandaX-paired", "PandaX-US2")
#: low-energy SM value (MS-bar, Q -> 0): 0.23857(5), as quoted by X.-R. Huang & L.-W. Chen,
#: arXiv:1902.07625 (abstract)
SM_SIN2 = 0.23857


def _folders() -> dict[str, object]:
    folders = {name: release_folder(name) for name in RELEASES}
    missing = [str(p) for p in folders.values() if not p.is_dir()]
    if missing:
        pytest.skip(f"release folder {missing[0]} is not available (../shared/reference-data or CEVNS_RELEASE_DATA)")
    return folders


@pytest.fixture(scope="module")
def folders() -> dict[str, object]:
    return _folders()


@pytest.fixture(scope="module")
def glob(folders):
    return load_combination("global", release_dirs=folders, verify=False)


# --- global-counting: no release folder --------------------------------------------------------
def test_global_counting_runs_without_release_folders(monkeypatch):
    monkeypatch.delenv("CEVNS_RELEASE_DATA", raising=False)
    comb = load_combination("global-counting")
    assert comb.name == "global-counting"
    assert comb.likelihood.labels == ("CsI", "LAr", "Ge-SNS", "Dresden-II", "CONUS+", "CONUS", "TEXONO",
                                      "PandaX-paired", "PandaX-US2")
    assert math.isfinite(comb.likelihood.chi2())
    assert {s.name for s in comb.likelihood.shared} == {"sns-flux", "reactor-flux", "ge-quenching", "b8-flux"}


def test_global_without_its_folders_is_one_line(monkeypatch, capsys):
    monkeypatch.delenv("CEVNS_RELEASE_DATA", raising=False)
    rc, _, err = run_cli(capsys, "fit", "global", "--free", "sin2_theta_w", "--points", "5")
    line = one_error_line(err)
    assert rc == 2 and "--data-release csi-2021=DIR" in line


# --- global with the releases ---------------------------------------------------------------------
def test_global_members_and_shared_nuisances(glob):
    joint = glob.likelihood
    assert glob.name == "global" and joint.labels == LABELS
    shared = {s.name: s.sigmas for s in joint.shared}
    assert shared["sns-flux"] == {"CsI": 0.10, "LAr": 0.10, "Ge-SNS": 0.10}
    assert shared["reactor-flux"] == {"Dresden-II": 0.03, "CONUS+": 0.03, "CONUS": 0.03, "TEXONO": 0.03}
    assert shared["b8-flux"] == {"XENONnT": 0.12, "PandaX-paired": 0.12, "PandaX-US2": 0.12}
    # the computed quenching normalisations are those of reactor-ge (same members, same SM point)
    reactor = {s.name: s.sigmas for s in load_combination("reactor-ge").likelihood.shared}
    assert shared["ge-quenching"] == pytest.approx(reactor["ge-quenching"], rel=1e-12)
    assert set(shared["ge-quenching"]) == {"CONUS+", "CONUS", "TEXONO"}
    # one Sun: the XENONnT release's own 12% flux constraint is replaced by the shared one
    xenonnt = joint._own[LABELS.index("XENONnT")]
    assert xenonnt.flux_sigma == 0.0
    # the neutron radius per isotope reaches only the members whose target holds it
    points = dict(zip(LABELS, joint._member_points({"rn_74Ge": 4.1, "rn_132Xe": 4.9})))
    assert {lab for lab, p in points.items() if "rn_74Ge" in p} == {"Ge-SNS", "Dresden-II", "CONUS+", "CONUS", "TEXONO"}
    assert {lab for lab, p in points.items() if "rn_132Xe" in p} == {"XENONnT", "PandaX-paired", "PandaX-US2"}
    # a Ge radius leaves the xenon members' χ² as it is (and does not reach the XENONnT release)
    sm, ge = joint.point(), joint.point({"rn_74Ge": 4.1})
    assert ge.members["XENONnT"] == pytest.approx(sm.members["XENONnT"], rel=1e-9)
    assert ge.members["Ge-SNS"] != pytest.approx(sm.members["Ge-SNS"], rel=1e-6)


def test_global_chi2_at_the_sm_is_finite_and_adds_up(glob):
    at = glob.likelihood.point()
    assert math.isfinite(at.chi2)
    assert at.chi2 == pytest.approx(sum(at.members.values()) + at.penalty, rel=1e-12)
    assert set(at.shared) == {"sns-flux", "reactor-flux", "ge-quenching", "b8-flux"}
    # each block is profiled on its own and gives the all-at-once minimum
    signal = glob.likelihood.signal({"sin2_theta_w": 0.22})
    blocked = float(glob.likelihood.chi2_from_signal(signal))
    blocks = J._blocks
    try:
        J._blocks = lambda s: [(list(range(s.shape[0])), list(range(s.shape[1])))]
        at_once = float(glob.likelihood.chi2_from_signal(signal))
    finally:
        J._blocks = blocks
    assert blocked == pytest.approx(at_once, abs=1e-6)


def test_cli_fit_of_sin2_theta_w(folders, glob, capsys):
    """``cevns fit global --free sin2_theta_w`` with the three releases. Checks, with their
    tolerances:

    * the members' own fits (each alone, same code) combined by inverse variance give
      0.232 +- 0.014; the joint best fit lies within 0.005 of it and its error between
      that (no correlation) and the best single member's (COHERENT Ge, 0.022): the shared
      normalisations correlate the members, so the joint error is larger than the naive one;
    * the low-energy SM value 0.23857 (Huang & Chen, arXiv:1902.07625) and the global
      low-energy fit of M. Atzori Corona et al., arXiv:2405.09416 (APV + CEvNS + PVES:
      0.2396 +0.0020 -0.0019) lie inside the 1 sigma interval;
    * the Ge-only fit of M. Atzori Corona et al., arXiv:2506.13555 (0.271 +0.023 -0.026,
      COHERENT Ge + reactors, other quenching and data) is within 2 sigma of ours combined
      (a loose check: different data sets)."""
    args = ["fit", "global", "--free", "sin2_theta_w", "--points", "21", "--json"]
    for name, folder in folders.items():
        args += ["--data-release", f"{name}={folder}"]
    rc, out, err = run_cli(capsys, *args)
    assert rc == 0, err
    result = json.loads(out)
    value, error = result["best_fit"]["sin2_theta_w"], result["errors"]["sin2_theta_w"]
    own = []
    for m in glob.likelihood.members:
        r = fit(m.likelihood, {"sin2_theta_w": SM_SIN2})
        own.append((r.values["sin2_theta_w"], r.errors["sin2_theta_w"]))
    w = np.array([1 / e ** 2 for _, e in own])
    mean = float(np.sum(w * np.array([v for v, _ in own])) / w.sum())
    naive = float(1 / math.sqrt(w.sum()))
    assert abs(value - mean) < 0.005
    assert naive * 0.99 < error < min(e for _, e in own)
    low, high = result["intervals"]["sin2_theta_w"]["1sigma"][0]
    assert low < SM_SIN2 < high and low < 0.2396 < high
    assert abs(0.271 - value) < 2 * math.hypot(error, 0.025)


# --- bad combinations ----------------------------------------------------------------------------
def test_shared_nuisance_naming_a_member_without_it(tmp_path, capsys):
    """global-counting with the ⁸B flux naming XENONnT, which is no member of it: one line,
    exit 2; and the reactor flux on a member whose own uncertainty cannot carry it."""
    from importlib import resources

    text = (resources.files("cevns") / "data" / "combinations" / "global-counting.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("members = { PandaX-paired = 0.12, PandaX-US2 = 0.12 }",
                                "members = { XENONnT = 0.12, PandaX-paired = 0.12, PandaX-US2 = 0.12 }"))
    rc, _, err = run_cli(capsys, "fit", str(bad), "--free", "sin2_theta_w", "--points", "5")
    assert rc == 2 and "'XENONnT', which is not a member" in one_error_line(err)
    bad.write_text(text.replace('Dresden-II = 0.03, "CONUS+"', 'Dresden-II = 0.9, "CONUS+"'))
    rc, _, err = run_cli(capsys, "fit", str(bad), "--free", "sin2_theta_w", "--points", "5")
    assert rc == 2 and "incompatible shared nuisance for Dresden-II" in one_error_line(err)


# --- block-wise profiling (cevns.stats.joint) ------------------------------------------------------
def test_blocks_are_the_connected_components():
    scale = np.array([[0.1, 0.0, 0.0],
                      [0.0, 0.2, 0.0],
                      [0.0, 0.0, 0.0],
                      [0.1, 0.0, 0.3],
                      [0.0, 0.2, 0.0]])
    blocks = sorted((sorted(m), sorted(n)) for m, n in J._blocks(scale))
    assert blocks == [([0, 3], [0, 2]), ([1, 4], [1]), ([2], [])]
    assert J._blocks(np.zeros((2, 0))) == [([0], []), ([1], [])]


def test_block_profile_equals_scipy_over_every_shared_nuisance():
    """Two blocks (a, b share n1; c carries n2) and a member d that shares nothing: the
    joint χ² of a batch equals scipy's minimum over (n1, n2) of the summed member χ²."""
    d_spec = dict(base=[12.0, 9.0], observed=[15.0, 7.0], background=[2.0, 3.0], sigma_signal=0.1, sigma_background=0.2)
    joint = joint_likelihood({"a": template(**A), "b": template(**B), "c": experiment(**C), "d": template(**d_spec)},
                             [SharedNuisance("n1", {"a": 0.1, "b": 0.1}), SharedNuisance("n2", {"c": 0.15})])
    own = [with_signal_sigma(template(**A), own_sigma(0.12, [0.1])), with_signal_sigma(template(**B), own_sigma(0.15, [0.1])),
           with_signal_sigma(experiment(**C), own_sigma(0.2, [0.15])), template(**d_spec)]
    s = joint.signal()
    batch = np.stack([s * f for f in (0.6, 1.0, 1.5)] + [s * np.linspace(0.7, 1.4, s.size)])
    got = joint.chi2_from_signal(batch)
    cuts = np.cumsum([3, 2, 2])
    for q, value in zip(batch, got):
        a, b, c, d = np.split(q, cuts)

        def total(eta: np.ndarray, a=a, b=b, c=c, d=d) -> float:
            n1, n2 = eta
            return float(own[0].chi2_from_signal(a * (1 + 0.1 * n1)) + own[1].chi2_from_signal(b * (1 + 0.1 * n1))
                         + own[2].chi2_from_signal(c * (1 + 0.15 * n2)) + own[3].chi2_from_signal(d) + n1 * n1 + n2 * n2)

        ref = optimize.minimize(total, np.zeros(2), method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-11})
        assert value == pytest.approx(ref.fun, abs=1e-6)
    at = joint.point()
    assert at.chi2 == pytest.approx(sum(at.members.values()) + at.penalty, rel=1e-12)
    assert set(at.shared) == {"n1", "n2"}
