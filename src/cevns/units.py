"""The one unit convention of ``cevns``, written once.

Every quantity inside the package is a plain float (or numpy array) expressed in these
base units:

========== ============================================ ==========================
quantity   base unit                                    helpers
========== ============================================ ==========================
energy     MeV                                          ``eV, keV, MeV, GeV``
length     cm (macroscopic and cross sections, cm²)     ``fm, m, km``
time       s                                            ``day, year``
mass       kg (detector masses; nuclear masses are      ``g, kg, tonne``
           energies in MeV)
power      MeV/s                                        ``W, MW, GW``
count      1                                            ``POT``
========== ============================================ ==========================

Nuclear radii are quoted in fm at the API (``*_fm`` arguments); multiply by :data:`fm`
to get cm, or use :data:`HBARC_MEV_FM` to turn a momentum in MeV into fm⁻¹.

Multiply to convert *into* base units and divide to convert *out*::

    >>> from cevns import units as u
    >>> 20 * u.keV          # 20 keV in MeV
    0.02
    >>> (0.02 / u.keV)      # back to keV
    20.0

Physical constants are the CODATA 2022 recommended values (P. J. Mohr, D. B. Newell,
B. N. Taylor, E. Tiesinga, "CODATA Recommended Values of the Fundamental Physical
Constants: 2022", arXiv:2409.03787; https://physics.nist.gov/cuu/Constants/) as tabulated by
``scipy.constants.physical_constants``, by CODATA name, except the meson masses that
CODATA does not hold, which are typed from the PDG with the citation next to them.

Why typed and not read from ``scipy.constants`` at import: importing ``scipy.constants``
pulls in scipy's array-API machinery (numpy.testing, numpy.f2py, ...), about 0.3 s of
import time (``python -X importtime``) on the 2-core project machine, for ten numbers, in
every process that imports ``cevns``. They are therefore written here once, each
with its CODATA name, and ``tests/test_startup.py`` asserts that every one equals
``scipy.constants.physical_constants[name]`` exactly, so scipy/CODATA stays the source of
truth and a change of the tabulated values (a new CODATA adjustment in scipy) fails a test
instead of drifting silently.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Mapping

#: CODATA 2022 values used below, keyed by their CODATA name (in the units CODATA quotes,
#: e.g. "Fermi coupling constant" in GeV⁻², "proton rms charge radius" in m). Equal,
#: bit for bit, to ``scipy.constants.physical_constants[name][0]`` (checked by a test).
CODATA_2022: Mapping[str, float] = MappingProxyType({
    "elementary charge": 1.602176634e-19,  # C (exact)
    "reduced Planck constant times c in MeV fm": 197.3269804593025,  # MeV fm (exact)
    "Fermi coupling constant": 1.1663787e-05,  # GeV^-2
    "fine-structure constant": 0.0072973525643,
    "electron mass energy equivalent in MeV": 0.51099895069,
    "atomic mass constant energy equivalent in MeV": 931.49410372,
    "Avogadro constant": 6.02214076e23,  # mol^-1 (exact)
    "muon mass energy equivalent in MeV": 105.6583755,
    "tau mass energy equivalent in MeV": 1776.82,
    "proton rms charge radius": 8.4075e-16,  # m
    "speed of light in vacuum": 299792458.0,  # m s^-1 (exact)
    "proton mass energy equivalent in MeV": 938.27208943,
})

# --- base units ------------------------------------------------------------------------
MeV = 1.0
eV = 1e-6 * MeV
keV = 1e-3 * MeV
GeV = 1e3 * MeV

cm = 1.0
fm = 1e-13 * cm
m = 100.0 * cm
km = 1e5 * cm

s = 1.0
day = 86400.0 * s
#: Julian year (365.25 d): the year of "ton·year" exposures in this package.
year = 365.25 * day

kg = 1.0
g = 1e-3 * kg
tonne = 1e3 * kg

J = 1.0 / (CODATA_2022["elementary charge"] * 1e6) * MeV  # 1 J in MeV (e in C is exactly the J→eV factor)
W = J / s
MW = 1e6 * W
GW = 1e9 * W

POT = 1.0  # protons on target are counts

# --- constants (CODATA 2022, see CODATA_2022) ---------------------------------------
#: ħc in MeV·fm.
HBARC_MEV_FM: float = CODATA_2022["reduced Planck constant times c in MeV fm"]
#: ħc in MeV·cm.
HBARC_MEV_CM: float = HBARC_MEV_FM * fm
#: Fermi constant G_F/(ħc)³ in MeV⁻².
G_FERMI: float = CODATA_2022["Fermi coupling constant"] * 1e-6  # GeV⁻² → MeV⁻²
#: Fine-structure constant.
ALPHA_EM: float = CODATA_2022["fine-structure constant"]
#: Electron mass in MeV.
M_ELECTRON: float = CODATA_2022["electron mass energy equivalent in MeV"]
#: Atomic mass unit in MeV.
AMU: float = CODATA_2022["atomic mass constant energy equivalent in MeV"]
#: Avogadro constant in mol⁻¹.
AVOGADRO: float = CODATA_2022["Avogadro constant"]
#: Muon mass in MeV (CODATA 2022).
M_MUON: float = CODATA_2022["muon mass energy equivalent in MeV"]
#: Tau mass in MeV (CODATA 2022, which takes the PDG value).
M_TAU: float = CODATA_2022["tau mass energy equivalent in MeV"]
#: Charged-pion mass in MeV: PDG 2024, R.L. Workman et al. / S. Navas et al.,
#: Phys. Rev. D 110, 030001 (2024), π± summary table (139.57039 ± 0.00018 MeV).
M_PION: float = 139.57039
#: Proton mass in MeV (CODATA 2022).
M_PROTON: float = CODATA_2022["proton mass energy equivalent in MeV"]
#: Speed of light in km/s (exact, CODATA 2022), the unit of galactic speeds.
SPEED_OF_LIGHT_KM_S: float = CODATA_2022["speed of light in vacuum"] / 1e3
#: Proton rms charge radius in fm (CODATA 2022).
PROTON_RMS_CHARGE_RADIUS_FM: float = CODATA_2022["proton rms charge radius"] / 1e-15

#: Conversion of a natural-unit cross section (MeV⁻²) into cm².
MEV2_TO_CM2: float = HBARC_MEV_CM**2

#: Unit sphere area, used for isotropic sources (flux = N / (4π L²)).
FOUR_PI: float = 4.0 * math.pi
