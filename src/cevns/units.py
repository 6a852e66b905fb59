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

Physical constants come from ``scipy.constants`` (CODATA 2022), by CODATA name, except
the meson/lepton masses that CODATA does not hold, which are typed from the PDG with the
citation next to them.
"""

from __future__ import annotations

import math

from scipy import constants as _c

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

J = 1.0 / (_c.e * 1e6) * MeV  # 1 J in MeV (e in C is exactly the J→eV factor)
W = J / s
MW = 1e6 * W
GW = 1e9 * W

POT = 1.0  # protons on target are counts

# --- constants (CODATA 2022 via scipy.constants) ---------------------------------------
#: ħc in MeV·fm.
HBARC_MEV_FM: float = _c.physical_constants["reduced Planck constant times c in MeV fm"][0]
#: ħc in MeV·cm.
HBARC_MEV_CM: float = HBARC_MEV_FM * fm
#: Fermi constant G_F/(ħc)³ in MeV⁻².
G_FERMI: float = _c.physical_constants["Fermi coupling constant"][0] * 1e-6  # GeV⁻² → MeV⁻²
#: Fine-structure constant.
ALPHA_EM: float = _c.fine_structure
#: Electron mass in MeV.
M_ELECTRON: float = _c.physical_constants["electron mass energy equivalent in MeV"][0]
#: Atomic mass unit in MeV.
AMU: float = _c.physical_constants["atomic mass constant energy equivalent in MeV"][0]
#: Avogadro constant in mol⁻¹.
AVOGADRO: float = _c.Avogadro
#: Muon mass in MeV (CODATA 2022).
M_MUON: float = _c.physical_constants["muon mass energy equivalent in MeV"][0]
#: Tau mass in MeV (CODATA 2022, which takes the PDG value).
M_TAU: float = _c.physical_constants["tau mass energy equivalent in MeV"][0]
#: Charged-pion mass in MeV: PDG 2024, R.L. Workman et al. / S. Navas et al.,
#: Phys. Rev. D 110, 030001 (2024), π± summary table (139.57039 ± 0.00018 MeV).
M_PION: float = 139.57039

#: Conversion of a natural-unit cross section (MeV⁻²) into cm².
MEV2_TO_CM2: float = HBARC_MEV_CM**2

#: Unit sphere area, used for isotropic sources (flux = N / (4π L²)).
FOUR_PI: float = 4.0 * math.pi
