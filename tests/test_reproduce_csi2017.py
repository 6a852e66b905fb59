"""The Papoulias–Kosmas single-bin CsI 2017 analysis recomputed (D. K. Papoulias, T. S. Kosmas,
HNPS proceedings, the short version of Phys. Rev. D 97, 033003 (2018), arXiv:1711.09773).

The proceedings print their BSM results as figures only (Figs. 2, 3, 5, 6: no number in the text),
so most rows cannot be tested against a published number. They are tested instead against
what must hold exactly: each count N(θ) is a polynomial of degree 2 in θ (sin²θ_W, ε,
⟨r²⟩: the weak charge is linear in them) or linear in μ², and the single-bin χ² of Eq. 6
with its pulls profiled is r²/D in closed form, so every interval end solves two quadratics
written out here, independently of the profiling code. Where the text does give something
(COHERENT's 173 ± 48 prediction, the plotted axis ranges of Fig. 5, the SM being inside the
data's range), that is tested with the tolerance its differences of inputs allow.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import constants, special

from cevns.stats.fits import ExperimentLikelihood, fit
from cevns.physics.form_factors import helm_form_factor
from cevns.reproduce import (
    COHERENT_2017_SM_PREDICTION,
    COHERENT_2017_SM_PREDICTION_ERROR,
    PK_SIN2_THETA_W,
    Result,
    format_table,
    one_parameter_profile,
    papoulias_kosmas_experiment,
    papoulias_kosmas_numbers,
    pk_helm_rms_radius_fm,
)

# Papoulias & Kosmas, Eq. 6 and the text around it: N_meas = 142, B_on = 6 (σ_β = 25%), B_ss = 405,
# σ_α = 28%, σ²_stat = N_meas + 2 B_ss + B_on.
N_MEAS, B_ON, B_SS, SIGMA_ALPHA, SIGMA_BETA = 142.0, 6.0, 405.0, 0.28, 0.25
VAR_STAT = N_MEAS + 2 * B_SS + B_ON
T90 = 2.705543454095404  # χ²(1 dof) quantile at 90%: scipy.stats.chi2.ppf(0.9, 1)
T1S = 1.0


@pytest.fixture(scope="module")
def results() -> dict[str, Result]:
    return {r.quantity: r for r in papoulias_kosmas_numbers(fast=True)}


@pytest.fixture(scope="module")
def pk():
    exp = papoulias_kosmas_experiment()
    pred = exp.predictor()
    return pred, ExperimentLikelihood(pred, exp.measurement(), {"sin2_theta_w": PK_SIN2_THETA_W})


def _row(results: dict[str, Result], start: str) -> Result:
    (row,) = [r for q, r in results.items() if q.startswith(start)]
    return row


def _chi2_of_counts(n: np.ndarray) -> np.ndarray:
    """Eq. 6 with both pulls minimised: (N_meas − N − B)² / (σ²_stat + σ_α²N² + σ_β²B²)."""
    return (N_MEAS - n - B_ON) ** 2 / (VAR_STAT + (SIGMA_ALPHA * n) ** 2 + (SIGMA_BETA * B_ON) ** 2)


def _counts_at(chi2: float) -> list[float]:
    """Both N with χ²(N) = chi2: (N_meas − B − N)² = chi2 (σ²_stat + σ_β²B² + σ_α²N²)."""
    r0 = N_MEAS - B_ON
    a = 1.0 - chi2 * SIGMA_ALPHA**2
    c = r0**2 - chi2 * (VAR_STAT + (SIGMA_BETA * B_ON) ** 2)
    disc = math.sqrt(r0**2 - a * c)
    return [(r0 - disc) / a, (r0 + disc) / a]


def _closed_form_ends(counts_of, x_samples, chi2_min: float, t: float) -> list[float]:
    """All x where χ² = χ²_min + t, for N(x) an exact parabola fixed by three samples."""
    xs = np.asarray(x_samples, dtype=float)
    coeff = np.polyfit(xs, [counts_of(x) for x in xs], 2)
    ends = []
    for n in _counts_at(chi2_min + t):
        roots = np.roots(coeff - np.array([0.0, 0.0, n]))
        ends += [float(r.real) for r in roots if abs(r.imag) < 1e-12 * max(1.0, abs(r.real))]
    return sorted(ends)


def _flat(pieces) -> list[float]:
    return [x for piece in pieces for x in piece]


# --- inputs ---------------------------------------------------------------------------------
def test_pk_helm_is_their_form_factor():
    """Our Helm with rms √(3/5)·1.2A^{1/3} fm and s = 0.5 fm is theirs: R₀² = R² − 5s²,
    F = 3 j₁(qR₀)/(qR₀) e^{−q²s²/2} (Papoulias & Kosmas, below Eq. 2), written out here with scipy."""
    for a in (127, 133):
        r, s = 1.2 * a ** (1 / 3), 0.5
        assert pk_helm_rms_radius_fm(a) ** 2 == pytest.approx(0.6 * r**2, rel=1e-14)
        q_fm = np.linspace(0.01, 0.6, 40)  # fm⁻¹: the recoils of CsI 2017 reach q ≈ 0.5 fm⁻¹
        x = q_fm * math.sqrt(r**2 - 5 * s**2)
        theirs = 3 * special.spherical_jn(1, x) / x * np.exp(-0.5 * (q_fm * s) ** 2)
        q_mev = q_fm * constants.hbar * constants.c / constants.e / 1e6 / 1e-15
        np.testing.assert_allclose(helm_form_factor(q_mev, pk_helm_rms_radius_fm(a), s), theirs, rtol=1e-9)


def test_sm_prediction_next_to_coherent(results):
    """COHERENT's own SM prediction is 173 ± 48 (Science 357, 1123 (2017), as quoted in F. Dordei's
    Invisibles 2021 talk). We share its normalisation, efficiency and quenching; the rest (analytic vs simulated spectra, sin²θ_W = 0.2312
    here — moving to 0.23857 adds 4.5% — and the form factor) are few-% effects, so 5%."""
    row = _row(results, "SM events")
    assert row.published == COHERENT_2017_SM_PREDICTION
    assert abs(row.ours - COHERENT_2017_SM_PREDICTION) < COHERENT_2017_SM_PREDICTION_ERROR
    assert row.relative_difference == pytest.approx((row.ours - 173.0) / 173.0, rel=1e-12)
    assert abs(row.relative_difference) < 0.05


# --- sin²θ_W --------------------------------------------------------------------------------
def test_sin2_theta_w_against_closed_form(results, pk):
    pred, _ = pk
    counts = lambda s2: pred.binned({"sin2_theta_w": s2}).total
    samples = (0.1, 0.25, 0.4)
    # One bin, one parameter: the best fit puts the signal exactly at N_meas − B_on = 136.
    best = _row(results, "sin²θ_W best fit").ours
    assert counts(best) == pytest.approx(N_MEAS - B_ON, rel=1e-7)
    for label, t in (("sin²θ_W 1σ", T1S), ("sin²θ_W 90%", T90)):
        ends = [x for x in _closed_form_ends(counts, samples, 0.0, t) if 0 <= x <= 1]
        assert _flat(_row(results, label).ours) == pytest.approx(ends, rel=1e-6)
    # iminuit (fits.fit) finds the same minimum.
    exp = papoulias_kosmas_experiment()
    migrad = fit(ExperimentLikelihood(pred, exp.measurement()), {"sin2_theta_w": 0.23})
    assert migrad.values["sin2_theta_w"] == pytest.approx(best, abs=1e-4)


def test_sm_value_lies_inside_the_1sigma_range(results):
    """Papoulias & Kosmas (abstract): the COHERENT signal is "consistent with the SM expectation";
    their sin²θ_W = 0.2312 must be allowed at 1σ by the same data."""
    ((lo, hi),) = _row(results, "sin²θ_W 1σ").ours
    assert lo < PK_SIN2_THETA_W < hi


# --- NSI ------------------------------------------------------------------------------------
@pytest.mark.parametrize("q", ["u", "d"])
def test_nsi_profile_against_closed_form(results, pk, q):
    pred, _ = pk
    name = f"eps_ee_{q}V"
    counts = lambda e: pred.binned({"sin2_theta_w": PK_SIN2_THETA_W, name: e}).total
    ends = _closed_form_ends(counts, (-0.5, 0.2, 0.8), 0.0, T90)
    row = _row(results, f"ε^{{{q}V}}_ee 90%")
    assert len(row.ours) == 1  # the barrier between the two minima stays below 2.71
    assert _flat(row.ours) == pytest.approx([ends[0], ends[-1]], rel=1e-6)


@pytest.mark.parametrize("q", ["u", "d"])
def test_nsi_minima_straddle_the_zero_of_the_nu_e_weak_charge(results, q):
    """With F_Z = F_N (PK's Helm), ν_e's charge per isotope is ∝ (g_p + 2ε^u + ε^d)Z +
    (g_n + ε^u + 2ε^d)N (Papoulias & Kosmas, below Eq. 6), g_p = ½ − 2·0.2312, g_n = −½. The counts
    are a weighted sum of squares of these, so the vertex of N(ε) (midpoint of the two
    minima) lies between the ε where ¹²⁷I's and ¹³³Cs's charges vanish."""
    gp, gn = 0.5 - 2 * PK_SIN2_THETA_W, -0.5
    zeros = []
    for z, n in ((53, 74), (55, 78)):
        cz, cn = (2, 1) if q == "u" else (1, 2)
        zeros.append(-(gp * z + gn * n) / (cz * z + cn * n))
    lo, hi = _row(results, f"ε^{{{q}V}}_ee minima").ours
    assert min(zeros) <= 0.5 * (lo + hi) <= max(zeros)
    assert lo < min(zeros) and hi > max(zeros)


# --- magnetic moment ------------------------------------------------------------------------
def test_magnetic_moment_bounds_against_closed_form(results, pk):
    """N(μ) = N_SM + K μ² exactly; χ²_min is at μ = 0 (the data lie below the SM)."""
    pred, _ = pk
    n_sm = pred.binned({"sin2_theta_w": PK_SIN2_THETA_W}).total
    chi2_sm = float(_chi2_of_counts(np.array(n_sm)))
    n_bound = max(_counts_at(chi2_sm + T90))
    for flavours, start in ((("e",), "μ_νe"), (("mu",), "μ_νμ"), (("e", "mu", "tau"), "μ_ν universal")):
        mu0 = 5e-9
        k = (pred.binned({"sin2_theta_w": PK_SIN2_THETA_W, **{f"mu_nu_{f}": mu0 for f in flavours}}).total - n_sm) / mu0**2
        assert _row(results, start).ours == pytest.approx(math.sqrt((n_bound - n_sm) / k), rel=1e-6)


def test_magnetic_moment_bounds_combine_and_sit_in_the_published_window(results):
    """Linear in μ²: 1/μ_univ² = 1/μ_e² + 1/μ_μ² (the SNS has no ν_τ). Units: Fig. 5 of
    Papoulias & Kosmas plots μ_ν/μ_B from 1e-10 to 1e-6; a bound in units of 1e-10 μ_B or in MeV⁻¹
    would fall outside it by orders of magnitude."""
    e, m, u = (_row(results, s).ours for s in ("μ_νe", "μ_νμ", "μ_ν universal"))
    assert u**-2 == pytest.approx(e**-2 + m**-2, rel=1e-6)
    for bound in (e, m, u):
        assert 1e-10 < bound < 1e-6


# --- charge radius --------------------------------------------------------------------------
def _k_charge_radius_per_1e32_cm2() -> float:
    """√2πα/(3G_F) · 1e-32 cm² in natural units, from CODATA via scipy.constants."""
    alpha = constants.fine_structure
    gf = constants.physical_constants["Fermi coupling constant"][0] * 1e-6  # MeV⁻²
    hbarc_cm = constants.hbar * constants.c / (constants.e * 1e6) * 100  # MeV·cm
    return math.sqrt(2) * math.pi * alpha / (3 * gf) * 1e-32 / hbarc_cm**2


@pytest.mark.parametrize("lep", ["e", "mu"])
def test_charge_radius_against_closed_form_and_its_vertex(results, pk, lep):
    pred, _ = pk
    name = f"r2_nu_{lep}"
    counts = lambda r2: pred.binned({"sin2_theta_w": PK_SIN2_THETA_W, name: r2}).total
    row = _row(results, f"⟨r²_ν{'e' if lep == 'e' else 'μ'}⟩")
    assert _flat(row.ours) == pytest.approx(_closed_form_ends(counts, (-100.0, -20.0, 60.0), 0.0, T90), rel=1e-6, abs=1e-6)
    # Vertex of N(⟨r²⟩): this flavour's weak charge vanishes, g_p − k⟨r²⟩ = −g_n N/Z =
    # N/(2Z) (Cadeddu et al. 2018 convention), between the values for ¹²⁷I and ¹³³Cs.
    # A cm²-vs-fm² slip (1e26) or a sign error would put it far away.
    gp, k = 0.5 - 2 * PK_SIN2_THETA_W, _k_charge_radius_per_1e32_cm2()
    vertices = [(gp - n / (2 * z)) / k for z, n in ((53, 74), (55, 78))]
    ends = _flat(row.ours)
    assert min(vertices) <= 0.5 * (ends[0] + ends[-1]) <= max(vertices)
    # Fig. 5 (right) of Papoulias & Kosmas plots ⟨r²⟩ from −80 to 80 × 1e-32 cm².
    assert -80 < ends[0] and ends[-1] < 80


# --- 3+1 --------------------------------------------------------------------------------------
def test_sterile_disappearance_is_not_excluded_by_one_bin(results):
    """Disappearance lowers N and the data lie below the SM, so ν_e mixing is never worse
    than no mixing (largest Δχ² at sin²2θ₁₄ = 0); no point reaches the 2-dof 90% value."""
    e = _row(results, "3+1 ν_e")
    m = _row(results, "3+1 ν_μ")
    assert e.published is None and "Fig. 6" in e.published_source
    assert "sin²2θ = 0.00" in e.note
    assert 0 < e.ours < m.ours < 4.605


# --- plumbing -------------------------------------------------------------------------------
def test_table_formats(results):
    rows = list(results.values())
    text = format_table(rows)
    lines = text.splitlines()
    assert len(lines) == len(rows) + 2 and lines[0].startswith("quantity")
    sm = _row(results, "SM events")
    assert f"{100 * sm.relative_difference:+.1f}%" in text
    md = format_table(rows, markdown=True, sources=False).splitlines()
    assert len(md) == len(rows) + 2 and all(line.count(" | ") == 4 for line in md if not line.startswith("|-"))
    assert Result("x", "", (0.1, 0.2), None, "nowhere").relative_difference is None
    assert Result("x", "", ((1.0, 2.0),), ((1.0, 4.0),), "s").relative_difference == pytest.approx(-0.5)


def test_profile_rejects_a_bad_grid(pk):
    _, lk = pk
    with pytest.raises(ValueError, match="strictly increasing"):
        one_parameter_profile(lk, "eps_ee_uV", [0.0, 0.0, 1.0])


# --- Fig. 1 is built on coherent-csi-2017, so --set coherent-csi-2017:... reaches it -------------
# The shipped coherent-csi-2017-energy / -time are coherent-csi-2017 with other bins and [data]
# (cevns.reproduce.variants): loaded as coherent-csi-2017 with those tables, value for value.
@pytest.mark.parametrize("variant", ["coherent-csi-2017-energy", "coherent-csi-2017-time"])
def test_csi_2017_variants_load_as_coherent_csi_2017_value_for_value(variant):
    from cevns.config.experiments import load_experiment
    from cevns.reproduce.variants import load_variant, variant_base

    assert variant_base(variant) == "coherent-csi-2017"
    shipped, rebuilt = load_experiment(variant), load_variant(variant)
    assert rebuilt.spec == shipped.spec
    assert np.array_equal(rebuilt.predictor().binned({}).per_bin, shipped.predictor().binned({}).per_bin)
    m0, m1 = shipped.measurement(), rebuilt.measurement()
    assert np.array_equal(m0.observed, m1.observed) and np.array_equal(m0.background, m1.background)


def test_only_true_variants_are_loaded_as_their_base():
    from cevns.reproduce.variants import variant_base

    assert variant_base("coherent-csi-2017") is None        # no shorter shipped name
    assert variant_base("coherent-csi-2021") is None        # "coherent-csi" is not shipped
    assert variant_base("not-an-experiment") is None
    assert variant_base("coherent-lar-2020-counting") == "coherent-lar-2020"  # adds only [data]


def _fig1(overrides=None):
    from cevns.config.overrides import experiment_overrides
    from cevns.reproduce.papoulias_kosmas import _compute_spectrum, _figure_spectrum

    with experiment_overrides(overrides or {}) as loaded:
        results, data = _compute_spectrum(True)
        title = _figure_spectrum(data).figure.axes[0].get_title()
    return results, data, title, set(loaded)


def test_fig1_numbers_unchanged_without_set():
    """Fig. 1 from coherent-csi-2017 with the energy file's bins and data equals Fig. 1 from the
    energy file itself (the code path before), bit for bit, and the --fast summary's numbers."""
    from cevns.config.experiments import load_experiment

    results, data, title, loaded = _fig1()
    energy = load_experiment("coherent-csi-2017-energy")
    radii = {iso.name: pk_helm_rms_radius_fm(iso.A) for iso in energy.target.isotopes}
    pk_old = load_experiment("coherent-csi-2017-energy", {
        "nuclear.form_factor": "helm", "nuclear.shape_fm": 0.5, "nuclear.proton_radius_fm": radii,
        "nuclear.neutron_radius_fm": radii, "detector.time": None})
    assert np.array_equal(data["pk"], pk_old.predictor().binned({"sin2_theta_w": PK_SIN2_THETA_W}).per_bin)
    assert np.array_equal(data["timed"], energy.predictor().binned({}).per_bin)
    assert np.array_equal(data["observed"], energy.measurement().observed)
    # summary.json of `cevns reproduce papoulias-kosmas --fast` before the change
    assert results[0].ours == 168.396202903583
    assert results[1].ours == 3.817964718910096
    assert "14.57 kg" in title
    assert "coherent-csi-2017" in loaded


def test_set_on_csi_2017_reaches_fig1():
    """--set coherent-csi-2017:detector.mass_kg=29.14 (twice 14.57 kg): every Fig. 1 prediction
    doubles (the rate is linear in the target mass), the data do not move, the title says 29.14 kg."""
    _, base, _, _ = _fig1()
    results, data, title, loaded = _fig1({"coherent-csi-2017": {"detector.mass_kg": 29.14}})
    np.testing.assert_allclose(data["pk"], 2.0 * base["pk"], rtol=1e-12)
    np.testing.assert_allclose(data["timed"], 2.0 * base["timed"], rtol=1e-12)
    assert np.array_equal(data["observed"], base["observed"])
    assert data["mass_kg"] == 29.14 and "29.14 kg" in title
    assert math.isclose(results[0].ours, 2.0 * 168.396202903583, rel_tol=1e-12)
    assert "coherent-csi-2017" in loaded


def test_set_on_the_energy_variant_still_reaches_fig1_only():
    _, base, _, _ = _fig1()
    results, data, title, loaded = _fig1({"coherent-csi-2017-energy": {"detector.mass_kg": 29.14}})
    np.testing.assert_allclose(data["pk"], 2.0 * base["pk"], rtol=1e-12)
    assert "29.14 kg" in title and "coherent-csi-2017-energy" in loaded
    assert results[0].ours == 168.396202903583  # the single-bin experiment is untouched


def test_cli_set_on_csi_2017_doubles_the_fig1_csv(tmp_path):
    import csv

    from click.testing import CliRunner

    from cevns.cli import cli

    for out, extra in (("plain", []), ("set", ["--set", "coherent-csi-2017:detector.mass_kg=29.14"])):
        r = CliRunner().invoke(cli, ["reproduce", "papoulias-kosmas", "--fast", "--out", str(tmp_path / out), *extra])
        assert r.exit_code == 0, r.output
    def column(folder: str) -> np.ndarray:
        with open(tmp_path / folder / "fig1_spectrum.csv", newline="") as f:
            return np.array([float(row["sm_pk_untimed"]) for row in csv.DictReader(f)])

    np.testing.assert_allclose(column("set"), 2.0 * column("plain"), rtol=1e-6)
