"""Vector non-standard interactions (NSI) of neutrinos with quarks.

For ν_α (J. Barranco, O. G. Miranda, T. I. Rashba, JHEP 12 (2005) 021, hep-ph/0508299,
Eq. 3; A. Galindo-Uribarri, O. G. Miranda, G. Sanchez Garcia, arXiv:2011.10230, Eq. 11;
D. K. Papoulias, T. S. Kosmas, arXiv:1711.09773, below Eq. 6) the coherent charge becomes

.. math::
   \\mathcal{Q}_\\alpha = (g_V^p + 2\\varepsilon^u_{\\alpha\\alpha} + \\varepsilon^d_{\\alpha\\alpha}) Z F_Z
                      + (g_V^n + \\varepsilon^u_{\\alpha\\alpha} + 2\\varepsilon^d_{\\alpha\\alpha}) N F_N,

and the flavour-changing ε_αβ (β ≠ α) add
Σ_β [(2ε^u_αβ + ε^d_αβ) Z F_Z + (ε^u_αβ + 2ε^d_αβ) N F_N]² incoherently, with the SM
kinematics (1 − T/E − MT/2E²). ε are real and symmetric (ε_αβ = ε_βα), in units of G_F;
ν and ν̄ share them (vector current).

State: a mapping ε^{qV}_{αβ} keyed ``(q, α, β)`` with q in ``u``/``d`` and α, β in
``e``/``mu``/``tau`` (either order of α, β). Parameters ``eps_<αβ>_<q>V``.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

import numpy as np

from cevns.errors import InputError
from cevns.physics.interactions.registry import LEPTONS, ModelTerm, Parameter, RecoilKinematics, register_term

#: Quark flavours with vector NSI.
QUARKS: tuple[str, ...] = ("u", "d")
#: Lepton pairs of the parameter names, flavour-preserving first.
PAIRS: Mapping[str, tuple[str, str]] = {
    "ee": ("e", "e"), "mumu": ("mu", "mu"), "tautau": ("tau", "tau"), "emu": ("e", "mu"), "etau": ("e", "tau"), "mutau": ("mu", "tau"),
}

NsiState = Mapping[tuple[str, str, str], float]


def epsilon(nsi: NsiState, quark: str, alpha: str, beta: str) -> float:
    """ε^{qV}_{αβ} of a state (symmetric in α, β; 0 when absent)."""
    return nsi.get((quark, alpha, beta), nsi.get((quark, beta, alpha), 0.0))


def check_nsi(nsi: NsiState) -> None:
    """ValueError for a key that is not (q, α, β) with q in u, d and α, β in e, mu, tau."""
    for key in nsi:
        q, a, b = key
        if q not in QUARKS or a not in LEPTONS or b not in LEPTONS:
            raise InputError(f"bad NSI key {key}: use (q, alpha, beta) with q in u, d and e, mu, tau")


def build_nsi(values: Mapping[str, float | str]) -> NsiState:
    """The non-zero ε from the parameters ``eps_<pair>_<q>V``."""
    nsi = {}
    for pair, (a, b) in PAIRS.items():
        for q in QUARKS:
            x = float(values.get(f"eps_{pair}_{q}V", 0.0))
            if x:
                nsi[(q, a, b)] = x
    return nsi


def nsi_coupling_shifts(nsi: NsiState, lepton: str, q2: np.ndarray) -> tuple[float, float]:
    """(Δg^p, Δg^n) = (2ε^u_αα + ε^d_αα, ε^u_αα + 2ε^d_αα) for ν_α (Barranco et al. 2005, Eq. 3)."""
    eu, ed = epsilon(nsi, "u", lepton, lepton), epsilon(nsi, "d", lepton, lepton)
    return 2.0 * eu + ed, eu + 2.0 * ed


def flavor_changing_squared(nsi: NsiState, lepton: str, zf: np.ndarray, nf: np.ndarray) -> np.ndarray | float:
    """Σ_{β≠α} [(2ε^u_αβ + ε^d_αβ) Z F_Z + (ε^u_αβ + 2ε^d_αβ) N F_N]² for ν_α."""
    total: np.ndarray | float = 0.0
    for beta in LEPTONS:
        if beta == lepton:
            continue
        eu, ed = epsilon(nsi, "u", lepton, beta), epsilon(nsi, "d", lepton, beta)
        if eu or ed:
            total = total + ((2.0 * eu + ed) * zf + (eu + 2.0 * ed) * nf) ** 2
    return total


def nsi_incoherent(nsi: NsiState, k: RecoilKinematics) -> np.ndarray | None:
    """The flavour-changing part times the SM kinematics: c_k += 𝒱_fc (1, −T, −MT/2)."""
    if not any(x for (_, a, b), x in nsi.items() if a != b):
        return None
    per_lepton = {lep: flavor_changing_squared(nsi, lep, k.zf, k.nf) for lep in dict.fromkeys(k.leptons)}
    if not any(np.any(v) for v in per_lepton.values()):
        return None
    t = k.recoil
    out = np.zeros((len(k.leptons), 3, t.size))
    for i, lep in enumerate(k.leptons):
        fc = per_lepton[lep]
        out[i, 0] = fc
        out[i, 1] = -t * fc
        out[i, 2] = (-0.5 * k.mass * t) * fc
    return out


def _parameters() -> tuple[Parameter, ...]:
    out = []
    for pair, (a, b) in PAIRS.items():
        kind = "flavour-preserving" if a == b else "flavour-changing"
        for q in QUARKS:
            out.append(Parameter(f"eps_{pair}_{q}V", "", 0.0, f"vector NSI ε^{{{q}V}}_{{{pair}}} ({kind}), in units of G_F"))
    return tuple(out)


NSI = register_term(
    ModelTerm[NsiState](
        name="nsi",
        title="vector NSI",
        parameters=_parameters(),
        build=build_nsi,
        default=MappingProxyType({}),
        is_active=lambda nsi: any(nsi.values()),
        check=check_nsi,
        coupling_shifts=nsi_coupling_shifts,
        incoherent=nsi_incoherent,
        jax_support=True,
        citation="J. Barranco, O. G. Miranda, T. I. Rashba, JHEP 12 (2005) 021, hep-ph/0508299, Eq. 3; "
        "A. Galindo-Uribarri, O. G. Miranda, G. Sanchez Garcia, arXiv:2011.10230, Eq. 11",
    )
)

__all__ = ["NSI", "PAIRS", "QUARKS", "build_nsi", "epsilon", "flavor_changing_squared", "nsi_coupling_shifts"]
