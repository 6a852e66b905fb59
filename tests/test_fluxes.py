import numpy as np
import pytest

from cevns import units as u
from cevns.sources.pion_dar import PROMPT_NU_MU_ENERGY, michel_nu_e, michel_nu_mu_bar, pion_dar_source
from cevns.sources.reactor import reactor_source, reactor_spectrum_per_fission
from cevns.sources.spectra import AnalyticSpectrum, TabulatedSpectrum


def test_prompt_line_energy():
    # (m_π² − m_μ²)/(2 m_π) = 29.79 MeV (Papoulias & Kosmas quote 29.9 rounded up)
    assert PROMPT_NU_MU_ENERGY == pytest.approx(29.79, abs=0.01)


@pytest.mark.parametrize("shape", [michel_nu_e, michel_nu_mu_bar])
def test_michel_spectra_normalised_and_end_at_half_muon_mass(shape):
    e = np.linspace(0, u.M_MUON / 2, 20001)
    assert np.trapezoid(shape(e), e) == pytest.approx(1.0, rel=1e-7)
    assert shape(np.array([u.M_MUON / 2 + 0.01]))[0] == 0.0


def test_michel_mean_energies():
    # ⟨E⟩ = 0.6·m_μ/2·... : νe 31.7 MeV·(?), check against direct integration
    e = np.linspace(0, u.M_MUON / 2, 200001)
    mean_e = np.trapezoid(e * michel_nu_e(e), e)
    mean_mubar = np.trapezoid(e * michel_nu_mu_bar(e), e)
    assert mean_e == pytest.approx(0.3 * u.M_MUON, rel=1e-6)  # 3/10 m_μ ≈ 31.7 MeV
    assert mean_mubar == pytest.approx(0.35 * u.M_MUON, rel=1e-6)  # 7/20 m_μ ≈ 37.0 MeV


def test_pion_dar_flux_normalisation():
    # r POT / (4π L²): CsI 2017 numbers, Papoulias & Kosmas Eq. 5
    live = 308.1 * u.day
    src = pion_dar_source(1.76e23 / live, 0.08, 19.3 * u.m)
    expected = 0.08 * 1.76e23 / live / (4 * np.pi * 1930.0**2)
    assert src.flux_cm2_s == pytest.approx({"nu_mu": expected, "nu_e": expected, "nu_mu_bar": expected})
    assert expected == pytest.approx(1.13e7, rel=0.01)  # ν/cm²/s per flavour, averaged over the live time


def test_tail_moments_analytic_vs_table_vs_brute_force():
    analytic = AnalyticSpectrum(michel_nu_mu_bar, 0.0, u.M_MUON / 2, nodes=8)
    grid = np.linspace(0, u.M_MUON / 2, 4001)
    table = TabulatedSpectrum(tuple(grid), tuple(michel_nu_mu_bar(grid)))
    emin = np.array([5.0, 12.3, 30.0, 52.0, 60.0])
    a = analytic.tail_moments(emin)
    t = table.tail_moments(emin)
    for k in range(3):
        for j, e0 in enumerate(emin):
            x = np.linspace(min(e0, u.M_MUON / 2), u.M_MUON / 2, 200001)
            brute = np.trapezoid(michel_nu_mu_bar(x) * x ** (-k), x)
            assert a[k, j] == pytest.approx(brute, rel=1e-8, abs=1e-14)
            assert t[k, j] == pytest.approx(brute, rel=2e-6, abs=1e-12)


def test_table_moments_exact_for_piecewise_linear():
    table = TabulatedSpectrum((1.0, 2.0, 4.0), (0.0, 1.0, 0.0))  # triangle, area 1.5 → normalised
    m = table.tail_moments(np.array([1.5]))
    # ∫_{1.5}^{2} (E−1)/1.5 dE + ∫_2^4 (4−E)/2/1.5 dE
    assert m[0, 0] == pytest.approx((0.5 - 0.125 + 1.0) / 1.5)
    # k = 1 exact: ∫(E−1)/E = ΔE − ln ratio
    k1 = ((2 - 1.5) - np.log(2 / 1.5) + (2 * np.log(2) - 1)) / 1.5
    assert m[1, 0] == pytest.approx(k1)


def test_table_hash_is_made_once_and_survives_pickling():
    """The memo of tail moments hashes a spectrum at every set-up: the hash of a table is
    computed once, consistent with == (equal tables, equal hashes), and a pickled copy (what
    workers receive) keeps a value equal to its own fresh hash; a different label still
    makes a different spectrum."""
    import pickle

    grid = np.linspace(0.5, 50.0, 4001)
    table = TabulatedSpectrum(tuple(grid), tuple(michel_nu_mu_bar(grid)), "a")
    twin = TabulatedSpectrum(tuple(grid), tuple(michel_nu_mu_bar(grid)), "a")
    assert table == twin and hash(table) == hash(twin)
    assert table.__dict__["_hash"] == hash((table.energies, table.values))
    copy = pickle.loads(pickle.dumps(table))
    assert copy == table and hash(copy) == hash((copy.energies, copy.values)) == hash(table)
    other = TabulatedSpectrum(tuple(grid), tuple(michel_nu_mu_bar(grid)), "b")
    assert other != table and len({table, twin, other}) == 2


def test_reactor_fits_and_flux():
    # Huber 2011: 235U gives ≈ 1.9 ν̄ per fission above the IBD threshold 1.8 MeV
    e = np.linspace(1.8, 10, 4001)
    assert np.trapezoid(reactor_spectrum_per_fission(e, "U235"), e) == pytest.approx(1.9, rel=0.06)
    # continuity of the Vogel–Engel low-energy model at 2 MeV
    lo = reactor_spectrum_per_fission(np.array([1.9999999]), "Pu239", "vogel-engel")[0]
    hi = reactor_spectrum_per_fission(np.array([2.0]), "Pu239", "vogel-engel")[0]
    assert lo == pytest.approx(hi, rel=1e-5)
    # fission rate: 3.9e9 J/s / (⟨ε⟩ · 1.602e-13 J/MeV), ⟨ε⟩ = Σ f_i ε_i = 206.05 MeV (PWR fractions, Ma et al. 2013)
    src = reactor_source(3.9 * u.GW, 17.1 * u.m)
    per_fission = src.spectra["nu_e_bar"].integral
    fission_rate = src.flux_cm2_s["nu_e_bar"] * 4 * np.pi * 1710.0**2 / per_fission
    assert fission_rate == pytest.approx(3.9e9 / (206.05 * 1.602176634e-13), rel=1e-4)
    # CONUS quotes 2.3e13 ν̄/cm²/s (PRL 126, 041804 (2021)), which includes the ≈1.2 ν̄ per
    # fission from ²³⁸U(n,γ)→²³⁹U→²³⁹Np decays (all below 1.3 MeV, not modelled here):
    # the fission-product part is then 2.3e13 × (7.2 − 1.2)/7.2 ≈ 1.9e13.
    assert 4.5 < per_fission < 6.2  # ≈ 6 β⁻ decays per fission, minus those below 0.2 MeV
    assert src.flux_cm2_s["nu_e_bar"] == pytest.approx(1.9e13, rel=0.2)


@pytest.mark.parametrize(
    "kwargs",
    [dict(thermal_power=-1.0, baseline=100.0), dict(thermal_power=1.0, baseline=100.0, fission_fractions={"U235": 0.5})],
)
def test_reactor_bad_input(kwargs):
    with pytest.raises(ValueError):
        reactor_source(**kwargs)
