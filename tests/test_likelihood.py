"""The likelihood protocol: every concrete likelihood implements it (at run time and for
mypy), and the polynomial stand-in is a full likelihood of its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cevns.config.experiments import load_experiment
from cevns.stats.array_files import load_array
from cevns.stats.arrays import ArrayLikelihood
from cevns.stats.fits import ExperimentLikelihood, fit, profile
from cevns.stats.likelihood import Likelihood
from cevns.stats.scans import empty_scan, polynomial_signal, scan
from cevns.stats.templates import Axis, Background, TemplateData, TemplateLikelihood
from cevns.stats.toys import PolynomialLikelihood

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def experiment() -> ExperimentLikelihood:
    exp = load_experiment("coherent-ge")
    return ExperimentLikelihood(exp.predictor(), exp.measurement(forecast=True)).asimov()


@pytest.fixture(scope="module")
def likelihoods(experiment: ExperimentLikelihood) -> dict[str, Likelihood]:
    exp = load_experiment("coherent-ge")
    predictor = experiment.predictor
    signal = experiment.signal()
    data = TemplateData(
        "toy", (Axis("recoil", np.asarray(exp.response.edges), "keVnr"),), np.round(signal + 3.0),
        (Background("flat", np.full(signal.size, 3.0), 0.2),), 0.1,
    )
    poly = polynomial_signal(experiment, {"sin2_theta_w": (0.2, 0.26)})
    assert poly is not None
    # the polynomial knows no "own model": its parameter is fixed at the file's value
    own = {"sin2_theta_w": exp.spec.couplings.sin2_theta_w}
    return {
        "experiment": experiment,
        "array": load_array("ge-array-sns").likelihood(asimov=True),
        "template": TemplateLikelihood(predictor, data),
        "polynomial": PolynomialLikelihood(poly, experiment.measurement, own),
    }


CLASSES = {"experiment": ExperimentLikelihood, "array": ArrayLikelihood, "template": TemplateLikelihood, "polynomial": PolynomialLikelihood}


@pytest.mark.parametrize("kind", list(CLASSES))
def test_every_likelihood_is_the_protocol(likelihoods, kind):
    lk = likelihoods[kind]
    assert type(lk) is CLASSES[kind]
    assert isinstance(lk, Likelihood)
    assert isinstance(lk.with_fixed({"sin2_theta_w": 0.23}), Likelihood)
    assert isinstance(lk.asimov(), Likelihood)
    # the protocol's contract: chi2 = chi2_from_signal(signal), and batches are vectorised
    point = {"sin2_theta_w": 0.235}
    s = lk.signal(point)
    assert lk.chi2(point) == pytest.approx(float(lk.chi2_from_signal(s)), rel=1e-12)
    batch = np.stack([s, lk.signal({"sin2_theta_w": 0.24})])
    np.testing.assert_allclose(lk.chi2_from_signal(batch), [lk.chi2(point), lk.chi2({"sin2_theta_w": 0.24})], rtol=1e-12)
    assert lk.with_fixed(point).chi2() == pytest.approx(lk.chi2(point), rel=1e-12)
    # Asimov data at a point: χ² is 0 there (up to the profiled pulls' tolerance)
    assert lk.asimov(point).chi2(point) == pytest.approx(0.0, abs=1e-8)


def test_something_else_is_not_a_likelihood(experiment):
    assert not isinstance(experiment.measurement, Likelihood)
    assert not isinstance(experiment.predictor, Likelihood)


@pytest.mark.parametrize("kind", list(CLASSES))
def test_fit_profile_and_scan_take_any_likelihood(likelihoods, kind):
    lk = likelihoods[kind].asimov({"sin2_theta_w": 0.238})
    best = fit(lk, {"sin2_theta_w": 0.23})
    assert best.values["sin2_theta_w"] == pytest.approx(0.238, abs=1e-5)
    prof = profile(lk, "sin2_theta_w", np.linspace(0.22, 0.25, 7), best)
    assert prof.delta_chi2.min() >= -1e-9
    state = scan(lk, empty_scan({"sin2_theta_w": np.linspace(0.22, 0.25, 31)}))
    assert state.complete and state.best()["sin2_theta_w"] == pytest.approx(0.238, abs=1e-3)


def test_polynomial_likelihood_equals_the_exact_one(experiment, likelihoods):
    """sin²θ_W enters the counts quadratically, so the polynomial stand-in is exact."""
    poly = likelihoods["polynomial"]
    np.testing.assert_allclose(poly.signal(), experiment.signal(), rtol=1e-9)
    for x in (0.2, 0.21, 0.238, 0.26):
        assert poly.chi2({"sin2_theta_w": x}) == pytest.approx(experiment.chi2({"sin2_theta_w": x}), rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(poly.signal({"sin2_theta_w": x}), experiment.signal({"sin2_theta_w": x}), rtol=1e-9)
    fixed = poly.with_fixed({"sin2_theta_w": 0.21})
    assert fixed.fixed == {"sin2_theta_w": 0.21}
    assert fixed.chi2() == pytest.approx(experiment.chi2({"sin2_theta_w": 0.21}), rel=1e-9)


def test_polynomial_likelihood_rejects_parameters_it_does_not_know(likelihoods):
    poly = likelihoods["polynomial"]
    with pytest.raises(ValueError, match=r"depends on sin2_theta_w only; give sin2_theta_w"):
        PolynomialLikelihood(poly.signal_model, poly.measurement).chi2()
    with pytest.raises(ValueError, match=r"eps_ee_uV cannot be set"):
        poly.chi2({"sin2_theta_w": 0.23, "eps_ee_uV": 0.1})


MYPY_SNIPPET = """
from cevns.stats.arrays import ArrayLikelihood
from cevns.stats.fits import ExperimentLikelihood, fit
from cevns.stats.likelihood import Likelihood
from cevns.stats.templates import TemplateLikelihood
from cevns.stats.toys import PolynomialLikelihood


def conforming(a: ExperimentLikelihood, b: ArrayLikelihood, c: TemplateLikelihood, d: PolynomialLikelihood) -> list[Likelihood]:
    for lk in (a, b, c, d):
        fit(lk, {"sin2_theta_w": 0.23})
    return [a, b, c, d, a.with_fixed({}), b.asimov(), c.with_fixed({}), d.asimov()]


class NoAsimov:
    fixed: dict[str, float] = {}

    def chi2(self, values: object = None) -> float:
        return 0.0


def not_conforming() -> Likelihood:
    return NoAsimov()  # the one error expected
"""


def test_mypy_accepts_every_likelihood_and_rejects_an_incomplete_one(tmp_path):
    """Static typing: the concrete classes satisfy the protocol structurally (no error in
    ``conforming``), and the check is real (a class without ``asimov`` is an error)."""
    api = pytest.importorskip("mypy.api")
    snippet = tmp_path / "likelihood_conformance.py"
    snippet.write_text(MYPY_SNIPPET)
    stdout, stderr, status = api.run([
        "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(ROOT / ".mypy_cache"),
        "--follow-imports=silent", "--no-error-summary", "--show-error-codes", str(snippet),
    ])
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, stdout + stderr
    line = MYPY_SNIPPET.splitlines().index("    return NoAsimov()  # the one error expected") + 1
    assert f"{snippet.name}:{line}: error:" in errors[0] and "[return-value]" in errors[0], errors
