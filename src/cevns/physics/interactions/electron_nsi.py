"""Non-standard interactions (NSI) of neutrinos with electrons: a registered model term that
acts on neutrino–electron scattering only.

ε^{eV}_{αβ} = ε^{eL}_{αβ} + ε^{eR}_{αβ} and ε^{eA}_{αβ} = ε^{eL}_{αβ} − ε^{eR}_{αβ}, real and
symmetric, in units of G_F (J. Barranco, O. G. Miranda, C. A. Moura, J. W. F. Valle, PRD 73,
113001 (2006), hep-ph/0512195; A. Bolaños et al., PRD 79, 113012 (2009), arXiv:0812.4417,
Eqs. 1–3). How they enter dσ/dT of ν e scattering is in
:mod:`cevns.physics.electron_scattering`; coherent scattering on nuclei does not see them
(the term has no coupling shift and no incoherent part), so a CEvNS prediction is unchanged.

Parameters ``eps_<αβ>_eV`` and ``eps_<αβ>_eA`` (pairs as the quark NSI of
:mod:`cevns.physics.interactions.nsi`); state: an :class:`ElectronNSI`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from cevns.errors import InputError
from cevns.physics.interactions.nsi import PAIRS
from cevns.physics.interactions.registry import LEPTONS, ModelTerm, Parameter, register_term

#: Bound on the magnitude of the electron NSI ε, as for the quark NSI
#: (:data:`cevns.physics.parameters.MAGNITUDE_GUARDS`).
ELECTRON_NSI_GUARD = 1.0e4


@dataclass(frozen=True)
class ElectronNSI:
    """NSI of neutrinos with electrons: ``vector`` ε^{eV}_{αβ} and ``axial`` ε^{eA}_{αβ},
    each keyed (α, β) with α, β in ``e``/``mu``/``tau``, real and symmetric (either order),
    in units of G_F (Bolaños et al., PRD 79, 113012 (2009), arXiv:0812.4417)."""

    vector: Mapping[tuple[str, str], float] = field(default_factory=dict)
    axial: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for table in (self.vector, self.axial):
            for key, value in table.items():
                if not (isinstance(key, tuple) and len(key) == 2 and key[0] in LEPTONS and key[1] in LEPTONS):
                    raise InputError(f"bad electron-NSI key {key!r}: use (alpha, beta) with alpha, beta in e, mu, tau")
                if not math.isfinite(value) or abs(value) > ELECTRON_NSI_GUARD:
                    raise InputError(f"electron NSI {key} must be finite and within ±{ELECTRON_NSI_GUARD:g}, got {value}")
        object.__setattr__(self, "vector", MappingProxyType(dict(self.vector)))
        object.__setattr__(self, "axial", MappingProxyType(dict(self.axial)))

    def epsilon(self, current: str, alpha: str, beta: str) -> float:
        """ε^{eV} (``current="V"``) or ε^{eA} (``"A"``) of (α, β), symmetric, 0 when absent."""
        table = self.vector if current == "V" else self.axial
        return float(table.get((alpha, beta), table.get((beta, alpha), 0.0)))

    def chiral(self, alpha: str, beta: str) -> tuple[float, float]:
        """(ε^L, ε^R) = ((ε^V + ε^A)/2, (ε^V − ε^A)/2) of (α, β)."""
        v, a = self.epsilon("V", alpha, beta), self.epsilon("A", alpha, beta)
        return 0.5 * (v + a), 0.5 * (v - a)

    @property
    def active(self) -> bool:
        return any(self.vector.values()) or any(self.axial.values())


def _parameters() -> tuple[Parameter, ...]:
    out = []
    for pair, (a, b) in PAIRS.items():
        kind = "flavour-preserving" if a == b else "flavour-changing"
        for current, what in (("V", "vector"), ("A", "axial")):
            out.append(Parameter(f"eps_{pair}_e{current}", "", 0.0,
                                 f"{what} NSI with electrons ε^{{e{current}}}_{{{pair}}} ({kind}; ν e scattering only), in units of G_F"))
    return tuple(out)


#: The electron-NSI parameters ``eps_<αβ>_eV``, ``eps_<αβ>_eA``: name → Parameter.
ELECTRON_NSI_PARAMETERS: Mapping[str, Parameter] = MappingProxyType({p.name: p for p in _parameters()})


def build_electron_nsi(values: Mapping[str, float | str]) -> ElectronNSI:
    """The :class:`ElectronNSI` of the parameter values ``eps_<pair>_e{V,A}`` (absent: 0),
    already checked by :func:`cevns.physics.parameters.check_value` (whose guard ``eps_.*``
    is :data:`ELECTRON_NSI_GUARD`; :class:`ElectronNSI` checks it again)."""
    vector: dict[tuple[str, str], float] = {}
    axial: dict[tuple[str, str], float] = {}
    for name in ELECTRON_NSI_PARAMETERS:
        x = float(values.get(name, 0.0))
        if x:
            (vector if name.endswith("V") else axial)[PAIRS[name.split("_")[1]]] = x
    return ElectronNSI(vector, axial)


def _check(state: ElectronNSI) -> None:
    if not isinstance(state, ElectronNSI):
        raise ValueError(f"electron_nsi must be an ElectronNSI, got {type(state).__name__}")


ELECTRON_NSI = register_term(
    ModelTerm[ElectronNSI](
        name="electron_nsi",
        title="NSI with electrons (ν e scattering)",
        parameters=tuple(ELECTRON_NSI_PARAMETERS.values()),
        build=build_electron_nsi,
        default=ElectronNSI(),
        is_active=lambda state: state.active,
        check=_check,
        jax_support=False,
        citation="A. Bolaños, O. G. Miranda, A. Palazzo, M. A. Tórtola, J. W. F. Valle, PRD 79, 113012 (2009), arXiv:0812.4417, Eqs. 1-3",
    )
)

__all__ = ["ELECTRON_NSI", "ELECTRON_NSI_GUARD", "ELECTRON_NSI_PARAMETERS", "ElectronNSI", "build_electron_nsi"]
