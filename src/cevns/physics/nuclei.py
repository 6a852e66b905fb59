"""Isotopes, elements, compounds and enriched targets.

Sources of the numbers:

* atomic masses: AME2020 (M. Wang et al., Chin. Phys. C 45, 030003 (2021)) and natural
  abundances: CIAAW 2021 isotopic compositions, both from the ``periodictable`` package
  (its ``mass`` module documents them), copied once into ``data/nuclides/isotopes.csv``
  (see the README beside it; read here on first use, so that resolving a target does
  not import periodictable);
* ground-state spin and parity: NUBASE2020 (F. G. Kondev et al., Chin. Phys. C 45,
  030001 (2021)), shipped as ``data/nuclear_spins.csv`` (extracted once with the
  ``mendeleev`` package, see the file header);
* rms nuclear charge radii: I. Angeli and K. P. Marinova, At. Data Nucl. Data Tables 99,
  69 (2013), shipped as ``data/charge_radii.csv`` (see the file header).

Nuclear masses are atomic masses minus the electrons plus their total binding energy,
m_N = m_atom − Z m_e + B_e(Z), with B_e(Z) = 14.4381 Z^2.39 + 1.55468×10⁻⁶ Z^5.35 eV
(D. Lunney, J. M. Pearson, C. Thibault, Rev. Mod. Phys. 75, 1021 (2003), Eq. A4).

Names resolve as isotopes (``133Cs``, ``Cs133``, ``Cs-133``), elements in natural
composition (``Cs``, ``Ge``) or compounds by formula (``CsI``, ``CaWO4``, ``C3F8``), with
optional enrichment of any element (``{"76Ge": 0.86, "74Ge": 0.14}``).
"""

from __future__ import annotations

import csv
import math
import re
from typing import Any, Mapping, NamedTuple
from dataclasses import dataclass
from functools import lru_cache

from cevns._data import data_path
from cevns.errors import InputError, InputTypeError
from cevns.units import AMU, AVOGADRO, M_ELECTRON, PROTON_RMS_CHARGE_RADIUS_FM, eV, g

#: Point-nucleon charge-radius corrections (fm²) to go from the charge radius to the
#: point-proton radius: proton rms charge radius (CODATA 2022, 0.84075 fm, :data:`cevns.units.PROTON_RMS_CHARGE_RADIUS_FM`) and
#: neutron ⟨r_n²⟩ = −0.1155 fm² (PDG 2024, n mean-square charge radius).
_PROTON_MS_RADIUS_FM2 = PROTON_RMS_CHARGE_RADIUS_FM**2
_NEUTRON_MS_RADIUS_FM2 = -0.1155


#: A plain formula: element symbols, each with an optional count (the only formulas
#: :func:`resolve_target` accepts), and one of its terms.
_PLAIN_FORMULA = re.compile(r"([A-Z][a-z]?\d*(\.\d+)?)+")
_FORMULA_TERM = re.compile(r"([A-Z][a-z]?)(\d*(?:\.\d+)?)")


def _formula_counts(text: str) -> dict[tuple[str, int | None], int | float]:
    """{(element symbol, None): count} of a plain formula, read with the shipped isotope
    table: ``periodictable.formula(text).atoms`` without periodictable (the same terms, in
    order of first appearance, counts summed over repeats, int unless written with a decimal
    point; ``tests/test_startup.py`` checks it against periodictable), whose pyparsing grammar
    costs about 0.1 s of import (``python -X importtime``) on the CLI and experiment-loading
    path. A nuclide written in the formula (D, T: ²H, ³H,
    which periodictable reads as isotopes) is keyed by (its element's symbol, its mass
    number). Raises ValueError for anything else: not a plain formula, or an unknown
    element symbol."""
    if not _PLAIN_FORMULA.fullmatch(text):
        raise ValueError(f"not a plain formula: {text!r}")
    table = _element_lines()
    counts: dict[tuple[str, int | None], int | float] = {}
    for symbol, number in _FORMULA_TERM.findall(text):
        if symbol in table:
            key: tuple[str, int | None] = (symbol, None)
        else:  # D, T or an unknown symbol: as periodictable reads it
            import periodictable

            atom = periodictable.elements.symbol(symbol)  # ValueError if unknown
            element = _element_of(atom)
            key = (element.symbol, atom.isotope) if atom is not element else (element.symbol, None)
        count: int | float = (float(number) if "." in number else int(number)) if number else 1
        counts[key] = counts.get(key, 0) + count
    return counts


def _element_of(atom: Any) -> Any:
    """The element of a formula atom: periodictable reads D and T as the isotopes ²H and
    ³H (with ``.element``), every other symbol as an element."""
    return getattr(atom, "element", atom)


class UnknownNucleusError(InputError):
    """A target name that resolves to no isotope, element or compound."""


@dataclass(frozen=True)
class Isotope:
    """One nuclide.

    Attributes: ``Z``, ``A``; ``symbol`` (e.g. ``Cs``); ``atomic_mass_u`` (AME2020, in u);
    ``abundance`` (natural, as a fraction in [0, 1]); ``spin`` (ground-state J, or None if
    unknown); ``parity`` (+1, −1 or 0 if unknown); ``charge_radius_fm`` (rms charge
    radius in fm, or None when Angeli–Marinova 2013 has none).
    """

    symbol: str
    Z: int
    A: int
    atomic_mass_u: float
    abundance: float
    spin: float | None = None
    parity: int = 0
    charge_radius_fm: float | None = None

    @property
    def N(self) -> int:
        """Neutron number."""
        return self.A - self.Z

    @property
    def name(self) -> str:
        """Canonical name, mass number first (``133Cs``)."""
        return f"{self.A}{self.symbol}"

    @property
    def mass(self) -> float:
        """Nuclear mass in MeV: atomic mass − Z m_e + B_e(Z) (Lunney et al. 2003, Eq. A4)."""
        binding = (14.4381 * self.Z**2.39 + 1.55468e-6 * self.Z**5.35) * eV
        return self.atomic_mass_u * AMU - self.Z * M_ELECTRON + binding

    @property
    def rms_charge_radius_fm(self) -> float:
        """rms charge radius in fm; when no measurement is tabulated, a uniform sphere of
        radius 1.2 A^{1/3} fm (rms = √(3/5)·1.2 A^{1/3}; K. S. Krane, Introductory
        Nuclear Physics (1988), Eq. 3.15)."""
        if self.charge_radius_fm is not None:
            return self.charge_radius_fm
        return math.sqrt(0.6) * 1.2 * self.A ** (1.0 / 3.0)

    @property
    def point_proton_radius_fm(self) -> float:
        """rms radius of the point-proton distribution in fm:
        R_p² = R_ch² − ⟨r_p²⟩ − (N/Z)⟨r_n²⟩ (e.g. Cadeddu et al., PRD 102, 015030 (2020),
        arXiv:2005.01645, Sec. II; Darwin–Foldy and spin–orbit terms neglected)."""
        r2 = self.rms_charge_radius_fm**2 - _PROTON_MS_RADIUS_FM2
        r2 -= self.N / self.Z * _NEUTRON_MS_RADIUS_FM2
        return math.sqrt(r2)


@dataclass(frozen=True)
class TargetNucleus:
    """An isotope in a target with its count per formula unit of the target material."""

    isotope: Isotope
    per_formula_unit: float


@dataclass(frozen=True)
class Target:
    """A target material: isotopes with their number per formula unit.

    ``name`` is the material as the user wrote it; ``nuclei`` lists each isotope and its
    count per formula unit (stoichiometry × isotopic fraction).
    """

    name: str
    nuclei: tuple[TargetNucleus, ...]

    @property
    def molar_mass_g(self) -> float:
        """Mass of one mole of formula units, in g/mol."""
        return sum(n.per_formula_unit * n.isotope.atomic_mass_u for n in self.nuclei)

    def nuclei_per_kg(self) -> dict[str, float]:
        """Number of nuclei of each isotope per kg of material (keys like ``133Cs``)."""
        formula_units = AVOGADRO / (self.molar_mass_g * g)
        return {n.isotope.name: n.per_formula_unit * formula_units for n in self.nuclei}

    @property
    def isotopes(self) -> tuple[Isotope, ...]:
        return tuple(n.isotope for n in self.nuclei)


def _read_data_csv(filename: str) -> list[dict[str, str]]:
    path = data_path(filename)
    if not path.is_file():
        return []
    lines = [ln for ln in path.read_text().splitlines() if ln and not ln.startswith("#")]
    if any('"' in ln for ln in lines):  # quoted fields: the csv module's reading
        return list(csv.DictReader(lines))
    # no quotes: splitting at commas gives csv.DictReader's rows (tested), in half its time
    header = lines[0].split(",") if lines else []
    return [dict(zip(header, ln.split(","))) for ln in lines[1:]]


@lru_cache(maxsize=1)
def _spins() -> dict[tuple[int, int], tuple[float | None, int]]:
    table: dict[tuple[int, int], tuple[float | None, int]] = {}
    for row in _read_data_csv("nuclear_spins.csv"):
        spin = float(row["spin"]) if row["spin"] else None
        parity = {"+": 1, "-": -1}.get(row.get("parity", "").strip(), 0)
        table[int(row["Z"]), int(row["A"])] = (spin, parity)
    return table


@lru_cache(maxsize=1)
def _charge_radii() -> dict[tuple[int, int], float]:
    return {
        (int(row["Z"]), int(row["A"])): float(row["r_charge_fm"])
        for row in _read_data_csv("charge_radii.csv")
    }


class _IsotopeData(NamedTuple):
    """Atomic mass (u) and natural abundance (atom %) of one isotope, as periodictable's
    isotopes give them (``.mass``, ``.abundance``). (A named tuple and a plain class below,
    not dataclasses: a dataclass costs about 1 ms of start-up to create.)"""

    mass: float
    abundance: float


class _ElementData:
    """An element of ``data/nuclides/isotopes.csv`` with the attributes of a periodictable
    element that this module reads: ``symbol``, ``number`` (Z), ``isotopes`` (the mass
    numbers) and ``element[A]`` (an :class:`_IsotopeData`)."""

    __slots__ = ("symbol", "number", "data")

    def __init__(self, symbol: str, number: int, data: Mapping[int, _IsotopeData]) -> None:
        self.symbol, self.number, self.data = symbol, number, data

    @property
    def isotopes(self) -> tuple[int, ...]:
        return tuple(self.data)

    def __getitem__(self, mass_number: int) -> _IsotopeData:
        return self.data[mass_number]


@lru_cache(maxsize=1)
def _element_lines() -> dict[str, str]:
    """The lines of ``data/nuclides/isotopes.csv`` by element symbol (parsed per element on
    first use, by :func:`_element_data`)."""
    text = data_path("nuclides", "isotopes.csv").read_text()
    rows = [ln for ln in text.splitlines() if ln and not ln.startswith("#")][1:]  # after the header
    return {ln.split(",", 1)[0]: ln for ln in rows}


@lru_cache(maxsize=None)
def _element_data(symbol: str) -> _ElementData:
    """The element ``symbol`` of the shipped isotope table (KeyError if it has none)."""
    sym, z, isotopes = _element_lines()[symbol].split(",")
    data = {}
    for entry in isotopes.split():
        a, mass, abundance = entry.split("/")
        data[int(a)] = _IsotopeData(float(mass), float(abundance))
    return _ElementData(sym, int(z), data)


def _element(symbol: str) -> Any:
    """The element ``symbol`` from the shipped table; a symbol it does not have (D, T, n,
    or an unknown one) as periodictable reads it."""
    if symbol in _element_lines():
        return _element_data(symbol)
    import periodictable

    try:
        return periodictable.elements.symbol(symbol)
    except ValueError:
        raise UnknownNucleusError(f"unknown element {symbol!r}") from None


def require_isotope(value: object, what: str = "isotope") -> Isotope:
    """``value`` if it is an :class:`Isotope`, else :class:`cevns.errors.InputTypeError`
    naming ``what`` (one line, with how to make one: a name like ``133Cs`` is text, not
    an isotope)."""
    if isinstance(value, Isotope):
        return value
    hint = " (make one with cevns.physics.nuclei.isotope('Cs', 133) or parse_isotope_name('133Cs'))"
    raise InputTypeError.expected(what, "an Isotope" + hint, value)


def isotope(symbol: str, mass_number: int) -> Isotope:
    """The isotope (``symbol``, ``mass_number``), e.g. ``isotope("Cs", 133)``."""
    if not isinstance(symbol, str):
        raise InputTypeError.expected("element symbol", "text like 'Cs'", symbol)
    if isinstance(mass_number, bool) or not isinstance(mass_number, int):
        raise InputTypeError.expected("mass number", "an integer like 133", mass_number)
    el = _element(symbol)
    if mass_number not in el.isotopes:
        raise UnknownNucleusError(f"unknown isotope {mass_number}{symbol}")
    iso = el[mass_number]
    spin, parity = _spins().get((el.number, mass_number), (None, 0))
    return Isotope(
        symbol=el.symbol,
        Z=el.number,
        A=mass_number,
        atomic_mass_u=float(iso.mass),
        abundance=float(iso.abundance) / 100.0,
        spin=spin,
        parity=parity,
        charge_radius_fm=_charge_radii().get((el.number, mass_number)),
    )


def natural_isotopes(symbol: str) -> tuple[Isotope, ...]:
    """The naturally occurring isotopes of an element (abundance > 0, CIAAW 2021)."""
    el = _element(symbol)
    found = tuple(isotope(el.symbol, a) for a in el.isotopes if el[a].abundance > 0)
    if not found:
        raise UnknownNucleusError(f"element {symbol!r} has no naturally occurring isotope")
    return found


_ISOTOPE_PATTERNS = (
    re.compile(r"^(?P<A>\d+)-?(?P<sym>[A-Z][a-z]?)$"),  # 133Cs, 133-Cs
    re.compile(r"^(?P<sym>[A-Z][a-z]?)-?(?P<A>\d+)$"),  # Cs133, Cs-133
)


def parse_isotope_name(name: str) -> Isotope | None:
    """An isotope for names like ``133Cs``, ``Cs133``, ``Cs-133``; None if not that form."""
    if not isinstance(name, str):
        raise InputTypeError.expected("isotope name", "text like '133Cs'", name)
    text = name.strip()
    for pattern in _ISOTOPE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return isotope(match["sym"], int(match["A"]))
            except UnknownNucleusError:
                raise UnknownNucleusError(f"unknown isotope {name!r}") from None
    return None


def _normalise_enrichment(symbol: str, enrichment: dict[str, float]) -> tuple[tuple[Isotope, float], ...]:
    pairs = []
    for name, fraction in enrichment.items():
        iso = parse_isotope_name(name)
        if iso is None:
            raise UnknownNucleusError(f"enrichment key {name!r} is not an isotope name like 76Ge")
        if iso.symbol != symbol:
            raise InputError(f"enrichment isotope {name} is not an isotope of {symbol}")
        if not fraction >= 0:
            raise InputError(f"enrichment fraction of {name} must be ≥ 0, got {fraction}")
        pairs.append((iso, float(fraction)))
    total = sum(f for _, f in pairs)
    if not math.isclose(total, 1.0, rel_tol=1e-6, abs_tol=1e-6):
        raise InputError(f"enrichment fractions of {symbol} sum to {total:g}, not 1")
    return tuple((iso, f / total) for iso, f in pairs)


def resolve_target(name: str, enrichment: Mapping[str, float] | None = None) -> Target:
    """Resolve a target name into its isotopes and their counts per formula unit.

    ``name`` is an isotope (``76Ge``, ``Ge76``, ``Ge-76``), an element in natural
    composition (``Ge``) or a compound formula (``CsI``, ``CaWO4``, ``Al2O3``, ``C3F8``).
    ``enrichment`` maps isotope names to number fractions for one or more elements of the
    material (fractions of one element must sum to 1), e.g. ``{"76Ge": 0.86, "74Ge": 0.14}``.
    A ``name`` that is not text, or an ``enrichment`` that is not a mapping, raises
    :class:`cevns.errors.InputTypeError`.
    """
    if not isinstance(name, str):
        raise InputTypeError.expected("target name", "text like 'CsI', 'Ar' or '133Cs'", name)
    if enrichment is not None and not isinstance(enrichment, Mapping):
        raise InputTypeError.expected("enrichment", "a mapping like {'76Ge': 0.86, '74Ge': 0.14}", enrichment)
    text = name.strip()
    single = parse_isotope_name(text)
    if single is not None:
        if enrichment:
            raise InputError(f"target {name!r} is a single isotope; enrichment does not apply")
        return Target(name=single.name, nuclei=(TargetNucleus(single, 1.0),))
    try:
        atoms = _formula_counts(text)
    except ValueError:
        raise UnknownNucleusError(f"unknown nucleus or material {name!r}") from None

    by_element: dict[str, dict[str, float]] = {}
    for key, fraction in (enrichment or {}).items():
        iso = parse_isotope_name(key)
        if iso is None:
            raise UnknownNucleusError(f"enrichment key {key!r} is not an isotope name like 76Ge")
        by_element.setdefault(iso.symbol, {})[key] = fraction
    symbols = {symbol for symbol, _ in atoms}
    for symbol in by_element:
        if symbol not in symbols:
            raise InputError(f"enrichment names {symbol}, which is not in {name!r}")

    nuclei: list[TargetNucleus] = []
    for (symbol, nuclide), count in atoms.items():
        composition: tuple[tuple[Isotope, float], ...]
        if nuclide is not None:  # a nuclide written in the formula: D (²H), T (³H)
            composition = ((isotope(symbol, nuclide), 1.0),)
        elif symbol in by_element:
            composition = _normalise_enrichment(symbol, by_element[symbol])
        else:
            composition = tuple((iso, iso.abundance) for iso in natural_isotopes(symbol))
            total = sum(f for _, f in composition)
            composition = tuple((iso, f / total) for iso, f in composition)
        nuclei.extend(TargetNucleus(iso, float(count) * f) for iso, f in composition if f > 0)
    return Target(name=text, nuclei=tuple(nuclei))


@lru_cache(maxsize=1)
def _spin_expectations() -> dict[str, tuple[float, float, float, str]]:
    """``data/spin_expectation_values.csv`` keyed by isotope name: (J, ⟨S_p⟩, ⟨S_n⟩, source)."""
    return {
        row["isotope"].strip(): (float(row["spin_J"]), float(row["S_p"]), float(row["S_n"]), row["source"].strip())
        for row in _read_data_csv("spin_expectation_values.csv")
    }


def spin_expectation_values(isotope: Isotope) -> tuple[float, float] | None:
    """Proton and neutron spin expectation values (⟨S_p⟩, ⟨S_n⟩) of the ground state.

    ⟨S_p,n⟩ = ⟨J, M=J| Σ s_z |J, M=J⟩ summed over the protons (neutrons), at zero momentum
    transfer; dimensionless (units of ħ), one-body currents, positive when the spin is
    aligned with J. They set the axial-vector (spin-dependent) part of CEvNS on odd-A
    nuclei, e.g. through G_A = 2 (g_A^p ⟨S_p⟩ + g_A^n ⟨S_n⟩) √((J+1)/(3J)).

    Returns the tabulated pair from ``data/spin_expectation_values.csv`` (its header gives
    every source and the alternatives): large-scale shell model of P. Klos, J. Menéndez,
    D. Gazit, A. Schwenk, PRD 88, 083516 (2013), arXiv:1304.7684 for ¹⁹F, ²³Na, ²⁷Al, ²⁹Si,
    ⁷³Ge, ¹²⁷I, ¹²⁹Xe, ¹³¹Xe; Phys. Lett. B 254, 220 (1991) (interacting boson-fermion
    model, via micrOMEGAs) for ¹³³Cs; the compilation of V.A. Bednyakov, F. Šimkovic, Phys.
    Part. Nucl. 36, 131 (2005), hep-ph/0406218 (via obscura) for ⁷Li, ⁹Be, ¹⁷O, ³⁵Cl, ³⁹K,
    ⁶⁷Zn, ¹⁸³W. A nucleus with J = 0 (every even-even isotope) gives (0.0, 0.0) exactly,
    since a vector operator has no expectation value in a J = 0 state (Wigner–Eckart).
    Any other isotope (not tabulated, odd-odd, or unknown J) gives None.
    """
    row = _spin_expectations().get(isotope.name)
    if row is not None:
        return row[1], row[2]
    if isotope.spin == 0.0:
        return 0.0, 0.0
    return None
