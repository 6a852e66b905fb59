"""Germanium quenching models (cevns.detector.quenching_models) and the quenching nuisance of
experiment files (cevns.config.experiments.quenching_nuisance)."""

import numpy as np
import pytest

from cevns.config.experiments import ExperimentError, load_experiment, quenching_nuisance
from cevns.detector.quenching_models import (
    GE_LINDHARD_THEORY_K,
    NAMED_QUENCHING_MODELS,
    AdiabaticLindhardQuenching,
    InterpolatedQuenching,
    SorensenLindhardQuenching,
    lindhard_quenching_factor,
    named_quenching,
)
from cevns.detector.response import LindhardQuenching
from cevns.errors import InputError

GE = 32
T = np.geomspace(0.05, 20.0, 400)  # keVnr


def qf(model, t=T):
    return model.ee_energy_kev(t, GE) / t


def test_lindhard_theory_k_for_germanium():
    """k = 0.133 Z^{2/3} A^{−1/2} (Lindhard 1963) = 0.157 for Ge (Z = 32, A = 72.63)."""
    assert GE_LINDHARD_THEORY_K == 0.157
    assert np.array_equal(qf(named_quenching("ge-lindhard-theory", GE)), qf(LindhardQuenching(0.157)))


def test_conus_2022_against_its_published_range():
    """Bonhomme et al. (EPJC 82, 815 (2022)): quenching factors between 0.16 and 0.23 in
    [0.4, 6.3] keVnr, Lindhard k = 0.162 ± 0.004."""
    model = named_quenching("ge-conus-2022", GE)
    ends = qf(model, np.array([0.4, 6.3]))
    assert ends == pytest.approx([0.16, 0.23], abs=0.008)
    lo, hi = named_quenching("ge-conus-2022", GE, -1.0), named_quenching("ge-conus-2022", GE, 1.0)
    assert np.array_equal(qf(lo), qf(LindhardQuenching(0.158)))
    assert np.array_equal(qf(hi), qf(LindhardQuenching(0.166)))


def test_scholz_2016_against_its_published_range():
    """Scholz et al. (PRD 94, 122003 (2016)): k = 0.179 corresponds to quenching factors of
    13.7 % to 25.3 % for 0.3 to 8.5 keVnr; the 13.7 % at 0.3 keVnr needs the adiabatic
    correction (plain Lindhard gives 16.3 %), which checks the shipped ξ = 0.16 keVnr."""
    ends = qf(named_quenching("ge-scholz-2016", GE), np.array([0.3, 8.5]))
    assert ends == pytest.approx([0.137, 0.253], abs=0.0015)
    assert lindhard_quenching_factor(0.3, GE, 0.179) == pytest.approx(0.163, abs=0.001)


@pytest.mark.parametrize("name", list(NAMED_QUENCHING_MODELS))
@pytest.mark.parametrize("shift", [-2.0, 0.0, 2.0])
def test_named_models_monotonic_and_bounded(name, shift):
    model = named_quenching(name, GE, shift)
    ee = model.ee_energy_kev(T, GE)
    assert np.all(np.diff(ee) > 0)  # E_ee increases with the recoil
    assert np.all((qf(model) > 0) & (qf(model) < 1))
    assert np.all(np.diff(qf(model)) > 0)  # and so does the quenching factor, for these models


def test_more_k_more_light():
    a, b = named_quenching("ge-conus-2022", GE, -1.0), named_quenching("ge-conus-2022", GE, 1.0)
    assert np.all(qf(b) > qf(a))


def test_adiabatic_correction_closed_form():
    """E_ee = T Q_L (1 − e^{−T/ξ}): at T = ξ the factor is 1 − 1/e; far above ξ it is Lindhard."""
    m = AdiabaticLindhardQuenching(0.16, 0.2)
    assert qf(m, np.array([0.2]))[0] == pytest.approx(lindhard_quenching_factor(0.2, GE, 0.16) * (1 - np.exp(-1)), rel=1e-12)
    assert qf(m, np.array([20.0]))[0] == pytest.approx(lindhard_quenching_factor(20.0, GE, 0.16), rel=1e-12)


def test_sorensen_cut_off():
    """Q = Q_L − q/ε: q = 0 is Lindhard; the quenching factor is 0 at and below ε = q."""
    assert np.allclose(qf(SorensenLindhardQuenching(0.157, 0.0)), qf(LindhardQuenching(0.157)), rtol=1e-14)
    q = 1e-4
    t_cut = q / (11.5 * GE ** (-7 / 3))  # keVnr where ε = q
    m = SorensenLindhardQuenching(0.157, q)
    assert np.all(m.ee_energy_kev(np.array([0.5 * t_cut, 0.99 * t_cut, t_cut]), GE) <= 1e-15)
    above = np.array([20 * t_cut])
    eps = 11.5 * GE ** (-7 / 3) * above
    assert qf(m, above)[0] == pytest.approx(lindhard_quenching_factor(above, GE, 0.157)[0] - q / eps[0], rel=1e-12)


def test_interpolation_endpoints_are_the_models():
    a, b = named_quenching("ge-lindhard-theory", GE), named_quenching("ge-scholz-2016", GE)
    assert np.array_equal(InterpolatedQuenching(a, b, 0.0).ee_energy_kev(T, GE), a.ee_energy_kev(T, GE))
    assert np.array_equal(InterpolatedQuenching(a, b, 1.0).ee_energy_kev(T, GE), b.ee_energy_kev(T, GE))
    mid = InterpolatedQuenching(a, b, 0.25).ee_energy_kev(T, GE)
    assert np.allclose(mid, 0.75 * a.ee_energy_kev(T, GE) + 0.25 * b.ee_energy_kev(T, GE), rtol=1e-14)
    with pytest.raises(InputError, match="must lie in"):
        InterpolatedQuenching(a, b, 1.5)


def test_unknown_model_names_the_known_ones():
    with pytest.raises(InputError, match="unknown quenching model 'fef' for Z = 32; known models for Z = 32: ge-lindhard-theory, "
                                         "ge-conus-2022, ge-scholz-2016"):
        named_quenching("fef", GE)
    with pytest.raises(InputError, match="unknown quenching model 'ge-conus-2022' for Z = 18; known models for Z = 18: none"):
        named_quenching("ge-conus-2022", 18)


# --- experiment files -----------------------------------------------------------------------------
NAMED = {"detector.quenching": {"model": "named", "name": "ge-conus-2022"}}


def test_named_model_in_an_experiment_file_equals_the_lindhard_table():
    named = load_experiment("conus", NAMED).binned_counts().total
    assert named == pytest.approx(load_experiment("conus").binned_counts().total, rel=1e-12)  # conus.toml: Lindhard k = 0.162


def test_interpolated_experiment_endpoints():
    spec = {"model": "interpolated", "a": "ge-lindhard-theory", "b": "ge-conus-2022"}
    at0 = load_experiment("conus", {"detector.quenching": {**spec, "t": 0.0}}).binned_counts().total
    at1 = load_experiment("conus", {"detector.quenching": {**spec, "t": 1.0}}).binned_counts().total
    half = load_experiment("conus", {"detector.quenching": {**spec, "t": 0.5}}).binned_counts().total
    assert at0 == pytest.approx(load_experiment("conus", {"detector.quenching.k": 0.157}).binned_counts().total, rel=1e-12)
    assert at1 == pytest.approx(load_experiment("conus").binned_counts().total, rel=1e-12)
    assert min(at0, at1) < half < max(at0, at1)


@pytest.mark.parametrize("overrides,message", [
    ({"detector.quenching": {"model": "named", "name": "fef"}}, "unknown quenching model 'fef' for Z = 32; known models"),
    ({"detector.quenching": {"model": "interpolated", "a": "ge-conus-2022", "b": "nope"}}, "unknown quenching model 'nope'"),
    ({"detector.quenching": {"model": "interpolated", "a": "ge-conus-2022", "b": "ge-scholz-2016", "t": 2}}, "detector.quenching.t"),
])
def test_bad_quenching_in_experiment_files(overrides, message):
    with pytest.raises(ExperimentError, match=message) as info:
        load_experiment("conus", overrides)
    assert "\n" not in str(info.value)


def test_named_models_refuse_compound_targets():
    with pytest.raises(ExperimentError, match="one-element target"):
        load_experiment("coherent-csi-2017", NAMED)


def test_quenching_nuisance_shape_from_k_uncertainty():
    """``k_uncertainty`` makes k a nuisance: the ±1σ variants are k ± σ_k, and the relative
    per-bin shift r = (S₊ − S₋)/(2S₀) that a shape nuisance uses is positive (more k, more
    signal above threshold) and matches a finite-difference derivative of the counts."""
    over = {"detector.quenching.k_uncertainty": 0.004}
    exp = load_experiment("conus", over)
    nuisance = quenching_nuisance(exp.spec.detector)
    assert nuisance is not None and nuisance.name == "qf_k"
    assert nuisance.plus == {"detector.quenching.k": pytest.approx(0.166)}
    assert nuisance.minus == {"detector.quenching.k": pytest.approx(0.158)}
    s0 = exp.binned_counts().per_bin
    on = s0 > 1e-6 * s0.max()  # bins above the recoil end point hold no signal
    assert on.sum() >= 5
    up = load_experiment("conus", {**over, **nuisance.plus}).binned_counts().per_bin
    down = load_experiment("conus", {**over, **nuisance.minus}).binned_counts().per_bin
    r = (up[on] - down[on]) / (2 * s0[on])
    assert np.all(r > 0)
    tiny = load_experiment("conus", {"detector.quenching.k": 0.162 + 1e-4}).binned_counts().per_bin
    assert r[:5] == pytest.approx(((tiny[on] - s0[on]) / s0[on] * 40)[:5], rel=0.05)  # linear over ±σ_k where the signal is


def test_quenching_nuisance_of_named_and_interpolated_models():
    named = quenching_nuisance(load_experiment("conus", NAMED).spec.detector)
    assert named is not None and (named.name, named.plus, named.minus) == ("qf_shift", {"detector.quenching.shift": 1.0},
                                                                           {"detector.quenching.shift": -1.0})
    spec = {"model": "interpolated", "a": "ge-lindhard-theory", "b": "ge-conus-2022", "t": 0.5}
    nuisance = quenching_nuisance(load_experiment("conus", {"detector.quenching": spec}).spec.detector)
    assert nuisance is not None and (nuisance.plus, nuisance.minus) == ({"detector.quenching.t": 1.0}, {"detector.quenching.t": 0.0})
    assert quenching_nuisance(load_experiment("conus").spec.detector) is None  # no k_uncertainty: no nuisance
    with pytest.raises(ExperimentError, match="must be smaller than k"):
        quenching_nuisance(load_experiment("conus", {"detector.quenching.k_uncertainty": 0.2}).spec.detector)


def test_quenching_effect_of_a_named_and_an_interpolated_model():
    """The computed normalisation of a shared quenching nuisance
    (:func:`cevns.releases.combinations.quenching_effect`): for ge-conus-2022 (shift ± 1) it is
    the symmetrised change of the Lindhard counts at k = 0.162 ± 0.004; for the interpolation
    at t = 0.5 between ge-lindhard-theory and ge-conus-2022 the ±1σ variants are the two
    models, so s = (S(0.162) − S(0.157)) / (2 S(t = 0.5))."""
    from cevns.releases.combinations import quenching_effect

    def lindhard(k: float) -> float:
        return float(load_experiment("conus", {"detector.quenching.k": k}).binned_counts().total)

    effect = quenching_effect("conus", NAMED)
    assert (effect.name, effect.element) == ("qf_shift", "Ge")
    assert (effect.plus, effect.minus) == (pytest.approx(lindhard(0.166), rel=1e-12), pytest.approx(lindhard(0.158), rel=1e-12))
    assert effect.normalisation == pytest.approx((lindhard(0.166) - lindhard(0.158)) / (2 * lindhard(0.162)), rel=1e-12)
    spec = {"model": "interpolated", "a": "ge-lindhard-theory", "b": "ge-conus-2022", "t": 0.5}
    mixed = quenching_effect("conus", {"detector.quenching": spec})
    assert mixed.name == "qf_t"
    assert mixed.normalisation == pytest.approx((lindhard(0.162) - lindhard(0.157)) / (2 * mixed.central), rel=1e-12)
    with pytest.raises(InputError, match="declares no quenching uncertainty"):
        quenching_effect("conus")
