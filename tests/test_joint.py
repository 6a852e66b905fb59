"""Joint fits with shared nuisances (cevns.stats.joint, cevns.releases.combinations): a
joint of one member is that member; a shared signal normalisation equals a brute-force
minimisation over every pull; the η profile against scipy; Asimov; combination files and
the CLI on them (data releases from ../shared, skipped when absent); bad files → one line."""

from __future__ import annotations

import json
import math
import re
import types
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize

from cevns.config.measurement import Measurement
from cevns.errors import InputError
from cevns.stats.fits import ExperimentLikelihood, fit
from cevns.stats.joint import JointLikelihood, SharedNuisance, joint_likelihood, own_sigma, with_signal_sigma
from cevns.stats.templates import Axis, Background, TemplateData, TemplateLikelihood
from tests.cli_run import run_cli as _run

RELEASES = Path(__file__).resolve().parents[2] / "shared" / "reference-data" / "coherent-data-releases"
README = Path(__file__).resolve().parents[1] / "README.md"


class LinearPredictor:
    """A stand-in predictor: counts per bin ``base × (1 + slope (sin²θ_W − 0.23))``."""

    def __init__(self, base, slope: float = 3.0) -> None:
        self.base = np.asarray(base, dtype=float)
        self.slope = slope
        self.n_bins = self.base.size

    def binned(self, parameters=None):
        x = float((parameters or {}).get("sin2_theta_w", 0.23))
        return types.SimpleNamespace(per_bin=self.base * (1.0 + self.slope * (x - 0.23)))


def template(base, observed, background, sigma_signal, sigma_background) -> TemplateLikelihood:
    n = len(base)
    data = TemplateData("toy", (Axis("energy", np.arange(n + 1.0), "PE"),), np.asarray(observed, dtype=float),
                        (Background("bkg", np.asarray(background, dtype=float), sigma_background),), sigma_signal)
    return TemplateLikelihood(LinearPredictor(base), data)  # type: ignore[arg-type]


def experiment(base, observed, background, sigma_signal, sigma_background) -> ExperimentLikelihood:
    n = len(base)
    m = Measurement(np.asarray(observed, dtype=float), np.asarray(background, dtype=float), np.zeros(n),
                    sigma_signal, sigma_background, "pull-chi2", "toy pull")
    return ExperimentLikelihood(LinearPredictor(base, slope=-2.0), m)  # type: ignore[arg-type]


A = dict(base=[50.0, 30.0, 10.0], observed=[62.0, 33.0, 21.0], background=[5.0, 6.0, 7.0], sigma_signal=0.12, sigma_background=0.2)
B = dict(base=[20.0, 11.0], observed=[17.0, 16.0], background=[3.0, 2.0], sigma_signal=0.15, sigma_background=0.3)
C = dict(base=[40.0, 25.0], observed=[35.0, 30.0], background=[8.0, 4.0], sigma_signal=0.2, sigma_background=0.25)
S = 0.1  # shared fractional sigma


def toy_joint() -> JointLikelihood:
    members = {"a": template(**A), "b": template(**B), "c": experiment(**C)}
    return joint_likelihood(members, [SharedNuisance("flux", {"a": S, "b": S, "c": 0.08})], name="toy")


def brute_force(values: dict[str, float]) -> float:
    """min over every pull at once (scipy): η, each member's own signal pull with σ_own and
    its background pull — the χ² the joint profiles in stages."""
    x = values.get("sin2_theta_w", 0.23)
    parts = []
    for spec, shared, kind, slope in ((A, S, "poisson", 3.0), (B, S, "poisson", 3.0), (C, 0.08, "pull", -2.0)):
        sig = np.asarray(spec["base"]) * (1 + slope * (x - 0.23))
        parts.append((sig, np.asarray(spec["observed"]), np.asarray(spec["background"]),
                      own_sigma(spec["sigma_signal"], [shared]), spec["sigma_background"], shared, kind))

    def total(p: np.ndarray) -> float:
        eta, chi = p[0], p[0] ** 2
        for i, (s, n, b, so, sb, sh, kind) in enumerate(parts):
            a_s, a_b = p[1 + 2 * i], p[2 + 2 * i]
            mu = (1 + a_s) * (1 + sh * eta) * s + (1 + a_b) * b
            if kind == "poisson":
                if np.any(mu <= 0):
                    return 1e12
                chi += 2 * np.sum(mu - n + n * np.log(n / mu))
            else:
                chi += np.sum((n - mu) ** 2 / (n + b))  # σ²_stat = N_obs + B_on (no steady state), Papoulias & Kosmas Eq. 6
            chi += (a_s / so) ** 2 + (a_b / sb) ** 2
        return float(chi)

    best = optimize.minimize(total, np.zeros(1 + 2 * len(parts)), method="Nelder-Mead",
                             options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 200000, "maxfev": 200000})
    best = optimize.minimize(total, best.x, method="BFGS", options={"gtol": 1e-9})
    return float(best.fun)


def test_one_member_is_the_member():
    lk = template(**A)
    j = joint_likelihood({"a": lk})
    for x in (0.2, 0.23, 0.26):
        assert j.chi2({"sin2_theta_w": x}) == pytest.approx(lk.chi2({"sin2_theta_w": x}), rel=1e-13)
    batch = np.outer([0.7, 1.0, 1.4], lk.signal())
    np.testing.assert_allclose(j.chi2_from_signal(batch), lk.chi2_from_signal(batch), rtol=1e-13)
    # a shared nuisance on one member with all of its σ: the same χ² (the pull moves into η)
    shared = joint_likelihood({"a": lk}, [SharedNuisance("n", {"a": A["sigma_signal"]})])
    for x in (0.2, 0.23, 0.26):
        assert shared.chi2({"sin2_theta_w": x}) == pytest.approx(lk.chi2({"sin2_theta_w": x}), abs=1e-6)


def test_shared_normalisation_equals_brute_force():
    j = toy_joint()
    for x in (0.20, 0.23, 0.25):
        assert j.chi2({"sin2_theta_w": x}) == pytest.approx(brute_force({"sin2_theta_w": x}), abs=2e-6)


def test_eta_profile_matches_scipy():
    j = toy_joint()
    own = [with_signal_sigma(template(**A), own_sigma(0.12, [S])), with_signal_sigma(template(**B), own_sigma(0.15, [S])),
           with_signal_sigma(experiment(**C), own_sigma(0.2, [0.08]))]
    s = j.signal()
    batch = np.stack([s * f for f in (0.5, 0.8, 1.0, 1.3, 2.0)] + [s * np.linspace(0.6, 1.5, s.size)])
    got = j.chi2_from_signal(batch)
    for q, value in zip(batch, got):
        def total(eta: float, q: np.ndarray = q) -> float:
            return float(own[0].chi2_from_signal(q[:3] * (1 + S * eta)) + own[1].chi2_from_signal(q[3:5] * (1 + S * eta))
                         + own[2].chi2_from_signal(q[5:] * (1 + 0.08 * eta)) + eta * eta)
        ref = optimize.minimize_scalar(total, bounds=(-9.99, 9.99), method="bounded", options={"xatol": 1e-10})
        assert value == pytest.approx(ref.fun, abs=1e-6)
    # a batch of two axes gives the same numbers
    np.testing.assert_allclose(j.chi2_from_signal(batch.reshape(2, 3, -1)), got.reshape(2, 3), rtol=1e-9, atol=1e-9)
    at = j.point()
    assert at.chi2 == pytest.approx(sum(at.members.values()) + at.penalty, rel=1e-12)
    assert set(at.shared) == {"flux"}


def test_asimov_fit_returns_the_truth():
    truth = {"sin2_theta_w": 0.245}
    j = toy_joint().asimov(truth)
    assert j.chi2(truth) == pytest.approx(0.0, abs=1e-9)
    best = fit(j, {"sin2_theta_w": 0.23})
    # the toy's sin²θ_W is a normalisation, partly degenerate with the pulls: a wide, flat minimum
    assert abs(best.values["sin2_theta_w"] - 0.245) < 0.01 * best.errors["sin2_theta_w"]
    assert best.valid and best.chi2_min == pytest.approx(0.0, abs=1e-4)  # MIGRAD stops at EDM < 2e-4
    assert j.with_fixed(truth).chi2() == pytest.approx(0.0, abs=1e-9)
    json.dumps(j.describe())


def test_nested_joint_and_bad_input():
    inner = joint_likelihood({"a": template(**A), "b": template(**B)})
    outer = joint_likelihood({"ab": inner, "c": experiment(**C)})
    flat = joint_likelihood({"a": template(**A), "b": template(**B), "c": experiment(**C)})
    assert outer.chi2({"sin2_theta_w": 0.24}) == pytest.approx(flat.chi2({"sin2_theta_w": 0.24}), rel=1e-12)
    with pytest.raises(InputError, match="incompatible shared nuisance"):
        joint_likelihood({"a": template(**A)}, [SharedNuisance("n", {"a": 0.2})])
    with pytest.raises(InputError, match="names no member"):
        joint_likelihood({"a": template(**A)}, [SharedNuisance("n", {"z": 0.1})])
    with pytest.raises(InputError, match="no members"):
        SharedNuisance("n", {})
    with pytest.raises(InputError, match="no signal normalisation"):
        joint_likelihood({"ab": inner}, [SharedNuisance("n", {"ab": 0.1})])


# --- combination files and the CLI ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def releases() -> Path:
    if not RELEASES.is_dir():
        pytest.skip("../shared/reference-data/coherent-data-releases is not available")
    return RELEASES


COMBO = """name = "csi17-lar20"
description = "test only: CsI 2017 + LAr 2020 releases, a 10% SNS flux shared"
[[member]]
label = "CsI"
release = "csi-2017"
[[member]]
label = "LAr"
release = "lar-2020-analysisA"
[[shared]]
name = "sns-flux"
kind = "signal-normalisation"
members = { CsI = 0.10, LAr = 0.10 }
"""


def _dirs(releases: Path) -> list[str]:
    return ["--data-release", f"csi-2017={releases / 'csi-2017'}", "--data-release", f"lar-2020-analysisA={releases / 'lar-2020-analysisA'}"]


def test_combination_file_matches_its_members(releases, tmp_path):
    from cevns.releases.combinations import load_combination
    from cevns.releases.csi_2017 import csi_2017_likelihood
    from cevns.releases.lar_2020 import lar_2020_likelihood

    path = tmp_path / "c.toml"
    path.write_text(COMBO)
    comb = load_combination(str(path), release_dirs={"csi-2017": releases / "csi-2017", "lar-2020-analysisA": releases / "lar-2020-analysisA"})
    joint = comb.likelihood
    csi, lar = csi_2017_likelihood(releases / "csi-2017"), lar_2020_likelihood(releases / "lar-2020-analysisA")
    point = {"sin2_theta_w": 0.24}
    # without the shared nuisance the joint χ² is the sum of the members'
    unshared = JointLikelihood(joint.members, (), {}, "x")
    assert unshared.chi2(point) == pytest.approx(csi.chi2(point) + lar.chi2(point), rel=1e-10)
    # with it: a brute-force minimisation over η of the members with their own σ agrees
    at = joint.point(point)
    csi_own = with_signal_sigma(csi, own_sigma(csi.data.sigma_signal, [0.1]))
    lar_own = with_signal_sigma(lar, own_sigma(lar.data.sigma_signal, [0.1]))
    sc, sl = csi.signal(point), lar.signal(point)
    ref = optimize.minimize_scalar(lambda e: float(csi_own.chi2_from_signal(sc * (1 + 0.1 * e)) + lar_own.chi2_from_signal(sl * (1 + 0.1 * e)) + e * e),
                                   bounds=(-5, 5), method="bounded", options={"xatol": 1e-10})
    assert at.chi2 == pytest.approx(ref.fun, abs=1e-6)
    assert at.shared["sns-flux"] == pytest.approx(ref.x, abs=1e-3)
    json.dumps(comb.describe())


def test_isotope_radii_act_on_the_members_that_hold_them(releases, tmp_path):
    """rn_133Cs acts on the CsI member and leaves the argon member at its default; a radius of
    an isotope in no member's target is a one-line error."""
    from cevns.releases.combinations import load_combination
    from cevns.releases.csi_2017 import csi_2017_likelihood
    from cevns.releases.lar_2020 import lar_2020_likelihood

    path = tmp_path / "c.toml"
    path.write_text(COMBO)
    joint = load_combination(str(path), release_dirs={"csi-2017": releases / "csi-2017",
                                                      "lar-2020-analysisA": releases / "lar-2020-analysisA"}).likelihood
    unshared = JointLikelihood(joint.members, (), {}, "x")
    csi, lar = csi_2017_likelihood(releases / "csi-2017"), lar_2020_likelihood(releases / "lar-2020-analysisA")
    point = {"rn_133Cs": 6.0, "sin2_theta_w": 0.24}
    assert unshared.chi2(point) == pytest.approx(csi.chi2(point) + lar.chi2({"sin2_theta_w": 0.24}), rel=1e-10)
    with pytest.raises(InputError, match="28Si is in no member's target"):
        joint.chi2({"rn_28Si": 4.0})


def test_cli_fit_and_scan_on_a_combination(releases, tmp_path, capsys, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text(COMBO)
    rc, out, err = _run(capsys, "fit", str(path), "--free", "sin2_theta_w", "--points", "7", "--json", *_dirs(releases))
    assert rc == 0, err
    res = json.loads(out)
    assert 0.1 < res["best_fit"]["sin2_theta_w"] < 0.35
    assert set(res["members_chi2"]) == {"CsI", "LAr"} and set(res["shared_nuisances"]) == {"sns-flux"}
    assert res["chi2_min"] == pytest.approx(sum(res["members_chi2"].values()) + res["shared_nuisances"]["sns-flux"] ** 2, rel=1e-6)
    # the same folders through $CEVNS_RELEASE_DATA, a small scan
    monkeypatch.setenv("CEVNS_RELEASE_DATA", str(releases))
    rc, out, err = _run(capsys, "scan", str(path), "--param", "sin2_theta_w=0.2:0.28:3", "--out", str(tmp_path / "s.npz"), "--json")
    assert rc == 0, err
    scan = json.loads(out)
    assert scan["points"] == 3 and scan["chi2_min"] <= res["chi2_min"] + 5


def test_cli_toys_on_a_combination(releases, tmp_path, capsys):
    """Pseudo-experiments of a combination (profile construction on the real data): t ≥ 0,
    resumable, and a changed seed is a different study."""
    path = tmp_path / "c.toml"
    path.write_text(COMBO)
    out_file = tmp_path / "t.npz"
    args = ("toys", str(path), "--free", "sin2_theta_w=0.24", "--n", "4", "--chunk", "2", "--out", str(out_file), "--json", *_dirs(releases))
    rc, out, err = _run(capsys, *args)
    assert rc == 0, err
    res = json.loads(out)
    assert res["n"] == 4 and set(res["coverage"]) == {"1sigma", "90%", "2sigma"}
    first = np.load(out_file)["statistic"].copy()
    assert np.all(first >= 0) and np.all(np.isfinite(first))
    rc, out, err = _run(capsys, *args, "--resume")
    assert rc == 0, err
    assert np.array_equal(np.load(out_file)["statistic"], first)


def _one_line_error(capsys, *args: str) -> str:
    rc, _, err = _run(capsys, *args)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert rc == 2 and len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t.replace('release = "csi-2017"', 'release = "csi-2099"'), "unknown data release 'csi-2099'"),
        (lambda t: t.replace('release = "csi-2017"', 'experiment = "no-such-experiment"'), "member CsI"),
        (lambda t: t.replace("CsI = 0.10,", "NaI = 0.10,"), "names 'NaI', which is not a member"),
        (lambda t: t.replace("{ CsI = 0.10, LAr = 0.10 }", "{}"), "has no members"),
        (lambda t: t.replace("CsI = 0.10,", "CsI = 0.5,"), "incompatible shared nuisance"),
    ],
)
def test_bad_combination_files(releases, tmp_path, capsys, edit, message):
    path = tmp_path / "bad.toml"
    path.write_text(edit(COMBO))
    line = _one_line_error(capsys, "fit", str(path), "--free", "sin2_theta_w", *_dirs(releases))
    assert message in line and "bad.toml" in line


def test_missing_release_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CEVNS_RELEASE_DATA", raising=False)
    path = tmp_path / "c.toml"
    path.write_text(COMBO)
    line = _one_line_error(capsys, "fit", str(path), "--free", "sin2_theta_w")
    assert "no folder for release csi-2017" in line and "--data-release csi-2017=DIR" in line
    line = _one_line_error(capsys, "fit", "coherent-csi-2017", "--free", "sin2_theta_w", "--data-release", f"csi-2017={tmp_path}")
    assert "not one" in line


def test_shipped_coherent_sns():
    from cevns.releases.combinations import is_combination, shipped_combinations

    assert "coherent-sns" in shipped_combinations() and is_combination("coherent-sns")
    import tomllib
    from importlib import resources

    data = tomllib.loads((resources.files("cevns") / "data" / "combinations" / "coherent-sns.toml").read_text())
    assert [m["release"] for m in data["member"]] == ["csi-2021", "lar-2020-analysisA"]
    assert data["shared"][0]["members"] == {"CsI": 0.10, "LAr": 0.10}


def test_coherent_sns_with_the_releases(releases, capsys):
    from cevns.releases.combinations import load_combination
    from cevns.releases.registry import release

    if release("csi-2021").likelihood is None:
        pytest.skip("the csi-2021 likelihood is not registered yet")
    comb = load_combination("coherent-sns", release_dirs={"csi-2021": releases / "csi-2021",
                                                          "lar-2020-analysisA": releases / "lar-2020-analysisA"})
    at = comb.likelihood.point()
    assert math.isfinite(at.chi2) and set(at.members) == {"CsI", "LAr"}


def test_readme_example(releases, tmp_path, capsys):
    """The combination file of the README's "Joint fits" section runs as shown."""
    text = README.read_text()
    block = re.search(r"### Joint fits.*?```toml\n(.*?)```", text, re.S)
    assert block, "README has a Joint fits section with a TOML example"
    path = tmp_path / "my-combination.toml"
    path.write_text(block.group(1))
    rc, out, err = _run(capsys, "fit", str(path), "--free", "sin2_theta_w", "--points", "5", "--json", *_dirs(releases))
    assert rc == 0, err
    assert "sns-flux" in json.loads(out)["shared_nuisances"]


def test_release_members_are_verified(releases, tmp_path, capsys):
    import shutil

    copy = tmp_path / "csi-2017"
    shutil.copytree(releases / "csi-2017", copy)
    target = copy / "promptPDF.txt"
    target.write_text(target.read_text() + "\n")
    path = tmp_path / "c.toml"
    path.write_text(COMBO)
    args = ("fit", str(path), "--free", "sin2_theta_w", "--data-release", f"csi-2017={copy}",
            "--data-release", f"lar-2020-analysisA={releases / 'lar-2020-analysisA'}")
    line = _one_line_error(capsys, *args)
    assert "promptPDF.txt" in line
    from cevns.releases.combinations import load_combination

    comb = load_combination(str(path), release_dirs={"csi-2017": copy, "lar-2020-analysisA": releases / "lar-2020-analysisA"},
                            verify=False)
    assert math.isfinite(comb.likelihood.chi2())
