"""Domain checks: one check per parameter for the CLI, the TOML files and Python; input
checks of the physics functions; the flux-averaged cross section with a recoil threshold.

Each bad input must give the project's own error (a :class:`cevns.errors.CevnsError`, also
a ValueError or TypeError) with one line, and the CLI the same line after ``error:``.
"""

from __future__ import annotations

import math
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate

from cevns.errors import CevnsError, InputError, InputTypeError
from cevns.physics.cross_sections import differential_cross_section as sm_dsigma
from cevns.physics.cross_sections import point_nucleus_total_cross_section, total_cross_section as sm_sigma, tree_level_couplings
from cevns.physics.interactions import PhysicsModel, differential_cross_section, total_cross_section
from cevns.physics.kinematics import momentum_transfer, neutrino_energy_min, recoil_max
from cevns.physics.nuclei import isotope, parse_isotope_name, resolve_target
from cevns.physics.parameters import (
    MAGNITUDE_GUARDS,
    PARAMETERS,
    ParameterError,
    apply_parameters,
    check_parameters,
    check_value,
    magnitude_guard,
    parameter,
)
from cevns.rates.nodes import spectrum_kinks_mev
from cevns.rates.prediction import differential_rate, flux_averaged_cross_section, target_flux_averaged_cross_section
from cevns.sources.pion_dar import pion_dar_source
from cevns.units import keV

CS133 = isotope("Cs", 133)
EXPERIMENTS = Path(__file__).resolve().parents[1] / "src" / "cevns" / "data" / "experiments"


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in this process: exit status, stdout, stderr."""
    from cevns.cli import main

    rc = main(list(args))
    out = capsys.readouterr()
    return rc, out.out, out.err


def _one_line_error(capsys, *args: str) -> str:
    rc, out, err = _cli(capsys, *args)
    assert rc == 2, (rc, out, err)
    assert out == "" and err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    return err[len("error: "):].rstrip("\n")


@pytest.fixture(scope="module")
def csi():
    from cevns.config.experiments import load_experiment

    return load_experiment("coherent-csi-2017").predictor()


# --- the parameter vocabulary -------------------------------------------------------------

def test_every_numeric_parameter_is_bounded():
    """Each number of the vocabulary is bounded on both sides, by its physical domain or its
    arithmetic guard (a new term without one fails here)."""
    for name in [*PARAMETERS, "rn_133Cs", "rp_133Cs"]:
        par = parameter(name)
        if par.choices:
            continue
        guard = magnitude_guard(name)
        bound = math.inf if guard is None else guard[0]
        low = par.low if par.low is not None else -bound
        high = par.high if par.high is not None else bound
        assert math.isfinite(low) and math.isfinite(high), name
    assert magnitude_guard("rn_133Cs") == MAGNITUDE_GUARDS["rp|rn"]


def test_counts_are_finite_at_every_guard(csi):
    """At ±bound (within the physical domain) every count is finite: the guard is below
    where the arithmetic fails; just beyond it the value is refused, one line."""
    companions = {"zprime_mass": {"zprime_coupling": 1e3}, "scalar_mass": {"scalar_coupling": 1e3},
                  "zprime_coupling": {"zprime_mass": 1e-3}, "scalar_coupling": {"scalar_mass": 1e-3},
                  "dm2_41": {"Ue4_sq": 0.3}}
    for name, par in PARAMETERS.items():
        if par.choices:
            continue
        guard = magnitude_guard(name)
        bound = guard[0] if guard is not None else par.high
        assert bound is not None, name
        for x in (bound, -bound):
            if par.low is not None and x < par.low:
                continue
            values = {name: x, **companions.get(name, {})}
            if name.startswith("zprime_charge"):
                values["zprime_coupling"] = 1e3
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                counts = csi.binned(values).counts
            assert np.all(np.isfinite(counts)), (name, x)
        if guard is not None:
            with pytest.raises(ParameterError, match=rf"^{name} must be .*{re.escape(f'{bound:g}')}"):
                check_value(name, 1.0001 * bound)


@pytest.mark.parametrize("name, value", [("mu_nu_e", 1e300), ("eps_ee_uV", 1e200), ("eps_ee_uV", -1e200),
                                         ("zprime_coupling", 1e300), ("rn", 1e300), ("q_nu_mu", float("inf")),
                                         ("dm2_41", 1e300), ("sin2_theta_w", 1.5), ("sin2_theta_w", float("nan"))])
def test_one_check_for_every_entry_point(csi, capsys, name, value):
    """Python (check, apply_parameters, binned) and the CLI (--param) refuse with one and the
    same line, a ParameterError (an InputError and a ValueError), never an OverflowError."""
    with pytest.raises(ParameterError) as first:
        check_value(name, value)
    message = str(first.value)
    assert "\n" not in message
    for call in (lambda: check_parameters({name: value}), lambda: apply_parameters(PhysicsModel(), {name: value}),
                 lambda: csi.binned({name: value})):
        with pytest.raises(ParameterError) as exc:
            call()
        assert str(exc.value) == message and isinstance(exc.value, ValueError)
    assert _one_line_error(capsys, "events", "coherent-csi-2017", "--param", f"{name}={value!r}") == message


def test_toml_parameters_go_through_the_same_check(tmp_path):
    from cevns.config.experiments import ExperimentError, load_experiment

    text = (EXPERIMENTS / "coherent-csi-2017.toml").read_text()
    path = tmp_path / "big-eps.toml"
    path.write_text(text + "\n[parameters]\neps_ee_uV = 1e200\n")
    with pytest.raises(ExperimentError, match="eps_ee_uV must be within ±10000"):
        load_experiment(path)


@pytest.mark.parametrize("option", [["--sin2-theta-w", "1.5"], ["--sin2-theta-w", "nan"], ["--sin2-theta-w", "-0.1"],
                                    ["--param", "mu_nu_e=1e300"], ["--param", "eps_ee_uV=1e200"]])
def test_xsec_refuses_values_outside_the_domain(capsys, option):
    message = _one_line_error(capsys, "xsec", "--nucleus", "CsI", "--enu", "30", *option)
    assert message.split(" ")[0] in ("sin2_theta_w", "mu_nu_e", "eps_ee_uV")


def test_parameters_of_the_wrong_type_raise_input_type_error(csi):
    for call in (lambda: apply_parameters(PhysicsModel(), "eps_ee_uV=0.1"),  # type: ignore[arg-type]
                 lambda: check_parameters(["eps_ee_uV"]),  # type: ignore[arg-type]
                 lambda: csi.binned("eps_ee_uV=0.1"),  # type: ignore[arg-type]
                 lambda: parameter(None), lambda: check_value(None, 1.0)):  # type: ignore[arg-type]
        with pytest.raises(InputTypeError) as exc:
            call()
        assert isinstance(exc.value, TypeError) and isinstance(exc.value, CevnsError) and "\n" not in str(exc.value)


# --- experiment files: observed counts ------------------------------------------------------

@pytest.mark.parametrize("observed, steady", [("-142.0", "0.0"), ("-406.0", "405.0"), ("[3.0, -1.0]", "0.0")])
def test_negative_observed_counts_are_refused(tmp_path, capsys, observed, steady):
    """A negative count (below −steady_state_background) was fitted; now the schema refuses
    it with one line naming the file and the key."""
    from cevns.config.experiments import ExperimentError, load_experiment

    text = (EXPERIMENTS / "coherent-csi-2017.toml").read_text()
    assert "observed = 142.0" in text and "steady_state_background = 405.0" in text
    path = tmp_path / "negative.toml"
    path.write_text(text.replace("observed = 142.0", f"observed = {observed}")
                    .replace("steady_state_background = 405.0", f"steady_state_background = {steady}"))
    with pytest.raises(ExperimentError) as exc:
        load_experiment(path)
    message = str(exc.value)
    assert str(path) in message and "'data.observed'" in message and "must be ≥ 0" in message and "\n" not in message
    assert _one_line_error(capsys, "events", str(path)) == message


def test_a_residual_may_be_negative_down_to_minus_the_steady_state_background(tmp_path):
    """``observed`` is the count after subtracting the off-beam background (COHERENT CsI
    2017 per time bin has -3 in bin 6, with 37 off-beam counts): what must be ≥ 0 is the
    beam-on count observed + steady_state_background."""
    from cevns.config.experiments import ExperimentError, load_experiment

    shipped = load_experiment("coherent-csi-2017-time").measurement()
    assert shipped.observed.min() < 0
    text = (EXPERIMENTS / "coherent-csi-2017-time.toml").read_text()
    assert "3.0, -3.0, 11.0" in text
    path = tmp_path / "residual.toml"
    path.write_text(text.replace("3.0, -3.0, 11.0", "3.0, -38.0, 11.0"))
    with pytest.raises(ExperimentError, match=r"'data.observed': -38 in bin 6 \(with steady_state_background 37 added back: -1\)"):
        load_experiment(path)


def test_zero_observed_counts_are_data(tmp_path):
    from cevns.config.experiments import load_experiment

    text = (EXPERIMENTS / "coherent-csi-2017.toml").read_text()
    path = tmp_path / "zero.toml"
    path.write_text(text.replace("observed = 142.0", "observed = 0.0"))
    assert load_experiment(path).measurement().observed.tolist() == [0.0]


# --- physics functions ----------------------------------------------------------------------

def test_kinematics_refuse_negative_or_non_finite_input():
    m = CS133.mass
    for call, what in ((lambda: recoil_max(-1.0, m), "neutrino energy"), (lambda: recoil_max([10.0, np.nan], m), "neutrino energy"),
                       (lambda: recoil_max(10.0, -5.0), "nuclear mass"), (lambda: recoil_max(10.0, math.inf), "nuclear mass"),
                       (lambda: neutrino_energy_min(-0.01, m), "recoil energy"), (lambda: momentum_transfer(-0.01, m), "recoil energy")):
        with pytest.raises(InputError, match=f"^{what} must be"):
            call()
    with pytest.raises(InputTypeError, match="^neutrino energy must be a number"):
        recoil_max("fast", m)  # type: ignore[arg-type]
    with pytest.raises(InputTypeError, match="^nuclear mass must be a number"):
        recoil_max(10.0, "Cs")  # type: ignore[arg-type]
    # unchanged where valid: T_max(0) = 0, and the closed form 2E²/(M + 2E)
    assert recoil_max(0.0, m) == 0.0
    assert recoil_max(50.0, m) == 2 * 50.0**2 / (m + 100.0)


def test_cross_sections_refuse_negative_energies_and_non_isotopes():
    """A negative neutrino energy used to return 0 silently; a string isotope gave an
    AttributeError."""
    for dsigma in (sm_dsigma, differential_cross_section):
        for e, t in ((-30.0, 0.001), (0.0, 0.001), (np.nan, 0.001), (30.0, -0.001), (30.0, np.inf)):
            with pytest.raises(InputError, match="energy must be"):
                dsigma(e, t, CS133)
        with pytest.raises(InputTypeError, match="^isotope must be an Isotope"):
            dsigma(30.0, 0.001, "133Cs")
    for sigma in (sm_sigma, total_cross_section):
        with pytest.raises(InputError, match="^neutrino energy must be > 0 MeV, got -30"):
            sigma(-30.0, CS133)
        with pytest.raises(InputTypeError, match="^isotope must be an Isotope"):
            sigma(30.0, "133Cs")
    with pytest.raises(InputTypeError):
        point_nucleus_total_cross_section(30.0, "133Cs", tree_level_couplings())  # type: ignore[arg-type]
    # valid input: unchanged values (σ of the point nucleus, closed form vs quadrature)
    assert differential_cross_section(30.0, 0.001, CS133) == sm_dsigma(30.0, 0.001, CS133)


def test_targets_and_isotopes_of_the_wrong_type():
    for call in (lambda: resolve_target(None), lambda: resolve_target(133),  # type: ignore[arg-type]
                 lambda: resolve_target("Ge", enrichment="76Ge"),  # type: ignore[arg-type]
                 lambda: isotope(None, 133), lambda: isotope("Cs", "133"),  # type: ignore[arg-type]
                 lambda: parse_isotope_name(None)):  # type: ignore[arg-type]
        with pytest.raises(InputTypeError) as exc:
            call()
        assert isinstance(exc.value, TypeError) and "\n" not in str(exc.value)
    assert resolve_target("CsI").name == "CsI"


# --- flux-averaged cross section: recoil threshold ------------------------------------------

def test_flux_average_with_a_magnetic_moment_needs_a_threshold(capsys):
    """From T = 0 the average with μ_ν (dσ/dT ∝ 1/T) is infinite: a finite quadrature used
    to return a number that grew with the nodes; now a threshold is required."""
    source = pion_dar_source(1.0, 1.0, 1.0)
    for values in ({"mu_nu_mu": 1e-9}, {"q_nu_e": 1e-9}):
        model = apply_parameters(PhysicsModel(), values)
        with pytest.raises(InputError, match="diverges at zero recoil .* threshold"):
            flux_averaged_cross_section(CS133, source, model=model)
        with pytest.raises(InputError, match="diverges at zero recoil"):
            target_flux_averaged_cross_section(resolve_target("CsI"), source, model=model, threshold_kev=0.0)
    message = _one_line_error(capsys, "xsec", "--nucleus", "CsI", "--flux-average", "pion-dar", "--param", "mu_nu_mu=1e-9")
    assert "--threshold-kev" in message
    rc, out, err = _cli(capsys, "xsec", "--nucleus", "CsI", "--flux-average", "pion-dar", "--param", "mu_nu_mu=1e-9",
                        "--threshold-kev", "1", "--json")
    assert rc == 0 and '"threshold_keV": 1.0' in out
    for bad in (["--threshold-kev", "-1"], ["--threshold-kev", "nan"]):
        _one_line_error(capsys, "xsec", "--nucleus", "CsI", "--flux-average", "pion-dar", *bad)
    _one_line_error(capsys, "xsec", "--nucleus", "CsI", "--enu", "30", "--threshold-kev", "1")
    for bad_value in (-1.0, math.nan, "x"):
        with pytest.raises(InputError, match="^threshold_kev must be"):
            flux_averaged_cross_section(CS133, source, threshold_kev=bad_value)  # type: ignore[arg-type]


def test_flux_average_above_a_threshold_converges_with_the_nodes():
    """With T₀ = 1 keV the magnetic-moment average no longer grows with the nodes (it did
    from T = 0: 253 … 325 × 10⁻⁴⁰ cm² for 80 … 10000 nodes), and it equals an independent
    adaptive integral of the same flux-weighted dσ/dT."""
    source = pion_dar_source(1.0, 1.0, 1.0)
    model = apply_parameters(PhysicsModel(), {"mu_nu_mu": 1e-9, "mu_nu_e": 1e-9})
    values = [flux_averaged_cross_section(CS133, source, model=model, recoil_nodes=n, threshold_kev=1.0) for n in (80, 400, 2000, 10000)]
    np.testing.assert_allclose(values, values[-1], rtol=1e-9)
    t_hi = float(recoil_max(source.max_energy, CS133.mass)) / keV
    kinks = sorted(float(k) / keV for k in spectrum_kinks_mev(source, CS133.mass) if 1.0 < k / keV < t_hi)

    def rate(t_kev: float) -> float:
        return float(sum(r[0] for r in differential_rate(np.array([t_kev]), CS133, 1.0, source, 1.0, model=model).values()))

    edges = [1.0, *kinks, t_hi]
    quad = sum(integrate.quad(rate, a, b, epsrel=1e-11, limit=200)[0] for a, b in zip(edges[:-1], edges[1:]))
    assert values[-1] == pytest.approx(quad / sum(source.flux_cm2_s.values()), rel=1e-7)


def test_flux_average_threshold_in_the_standard_model():
    """No threshold: the value is unchanged (the same quadrature); a tiny threshold tends to
    it; a threshold above T_max gives 0; a larger threshold, less."""
    source = pion_dar_source(1.0, 1.0, 1.0)
    full = flux_averaged_cross_section(CS133, source)
    assert flux_averaged_cross_section(CS133, source, threshold_kev=0.0) == full
    assert flux_averaged_cross_section(CS133, source, threshold_kev=1e-7) == pytest.approx(full, rel=1e-6)
    assert 0.0 < flux_averaged_cross_section(CS133, source, threshold_kev=10.0) < full
    assert flux_averaged_cross_section(CS133, source, threshold_kev=1e3) == 0.0


def test_scan_axis_ends_go_through_the_same_check(capsys, tmp_path):
    message = _one_line_error(capsys, "scan", "coherent-csi-2017", "--param", "eps_ee_uV=-1e200:1:3", "--out", str(tmp_path / "s"))
    assert message == str(pytest.raises(ParameterError, check_value, "eps_ee_uV", -1e200).value)


def test_couplings_and_energies_at_the_edges_of_their_domain():
    """sin²θ_W outside [0, 1] or nan, and E beyond 10 GeV (E = 10³⁰⁰ overflowed), are refused
    by the Python API as on the command line; the edges themselves are accepted."""
    from cevns.physics.cross_sections import radiative_couplings

    for bad in (1.5, -0.1, math.nan, math.inf):
        for build in (tree_level_couplings, lambda x: radiative_couplings(sin2_theta_w=x)):
            with pytest.raises(InputError, match="^sin2_theta_w must be a finite number in"):
                build(bad)
    with pytest.raises(InputTypeError, match="^sin2_theta_w must be a number"):
        tree_level_couplings("0.2")  # type: ignore[arg-type]
    assert tree_level_couplings(0.0).proton["e"] == 0.5 and tree_level_couplings(1.0).proton["mu"] == -1.5
    for sigma in (sm_sigma, total_cross_section):
        with pytest.raises(InputError, match="^neutrino energy must be ≤ 10000 MeV"):
            sigma(1e300, CS133)
        assert np.isfinite(sigma(1e4, CS133))
