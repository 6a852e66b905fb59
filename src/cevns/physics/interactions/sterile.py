"""3+1 sterile-neutrino oscillations: the parameters and the model term.

Oscillation changes the flux reaching the detector, not the cross section: the term has
no coupling shift and no c_k(T) addition. Its state, a
:class:`cevns.physics.oscillations.SterileMixing`, is read by :mod:`cevns.rates.prediction`,
which reweights the source spectra by the short-baseline probabilities
P_αβ = δ_αβ − 4|U_α4|²(δ_αβ − |U_β4|²) sin²(Δm²₄₁L/4E) (C. Giunti, M. Laveder, PRD 84,
093006 (2011), arXiv:1107.1452, Eqs. 2–3; the physics is in
:mod:`cevns.physics.oscillations`, the spectrum tables in :mod:`cevns.sources.oscillated`).
The mixing may be given as |U_e4|², |U_μ4|² or as the disappearance amplitudes
sin²2θ₁₄ = 4|U_e4|²(1 − |U_e4|²), sin²2θ₂₄ = 4|U_μ4|²(1 − |U_μ4|²) (D. K. Papoulias,
T. S. Kosmas, arXiv:1711.09773, Eq. 9), on the small-mixing branch.

State: a SterileMixing (None: off). Parameters ``dm2_41``, ``Ue4_sq``, ``Umu4_sq``,
``Utau4_sq``, ``sin2_2theta_14``, ``sin2_2theta_24``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from cevns.physics.interactions.registry import ModelTerm, Parameter, register_term

if TYPE_CHECKING:  # the state's type; :mod:`cevns.physics.oscillations` is imported when a state is built or checked
    from cevns.physics.oscillations import SterileMixing


def build_sterile(values: Mapping[str, float | str]) -> SterileMixing:
    """The SterileMixing of the parameters; ``sin2_2theta_14`` / ``sin2_2theta_24``,
    when given, set |U_e4|² / |U_μ4|². ValueError for mixings that sum to more than 1."""
    from cevns.physics.oscillations import SterileMixing, mixing_from_sin2_2theta

    ue4 = mixing_from_sin2_2theta(float(values["sin2_2theta_14"])) if "sin2_2theta_14" in values else float(values["Ue4_sq"])
    umu4 = mixing_from_sin2_2theta(float(values["sin2_2theta_24"])) if "sin2_2theta_24" in values else float(values["Umu4_sq"])
    return SterileMixing(float(values["dm2_41"]), ue4, umu4, float(values["Utau4_sq"]))


def _check(state: SterileMixing | None) -> None:
    from cevns.physics.oscillations import SterileMixing

    if state is not None and not isinstance(state, SterileMixing):
        raise ValueError(f"sterile must be a SterileMixing or None, got {type(state).__name__}")


STERILE = register_term(
    ModelTerm["SterileMixing | None"](  # a string: the module of the state type is imported on use (start-up time)
        name="sterile",
        title="sterile oscillation",
        parameters=(
            # the oscillation phase 1.27 Δm² L/E is linear in Δm² (Galindo-Uribarri, Miranda,
            # Sanchez Garcia, arXiv:2011.10230, Eq. 8)
            Parameter("dm2_41", "eV²", 0.0, "sterile mass splitting Δm²₄₁", 0.0, phase_linear=True),
            Parameter("Ue4_sq", "", 0.0, "|U_e4|²", 0.0, 1.0),
            Parameter("Umu4_sq", "", 0.0, "|U_μ4|²", 0.0, 1.0),
            Parameter("Utau4_sq", "", 0.0, "|U_τ4|²", 0.0, 1.0),
            Parameter("sin2_2theta_14", "", None, "alternative to Ue4_sq: sin²2θ₁₄ = 4|U_e4|²(1 − |U_e4|²)", 0.0, 1.0),
            Parameter("sin2_2theta_24", "", None, "alternative to Umu4_sq: sin²2θ₂₄ = 4|U_μ4|²(1 − |U_μ4|²)", 0.0, 1.0),
        ),
        build=build_sterile,
        default=None,
        is_active=lambda st: st is not None and st.active,
        check=_check,
        alternatives=(("sin2_2theta_14", "Ue4_sq"), ("sin2_2theta_24", "Umu4_sq")),
        jax_support=False,
        citation="C. Giunti, M. Laveder, PRD 84, 093006 (2011), arXiv:1107.1452, Eqs. 2-3; "
        "S. Gariazzo et al., J. Phys. G 43, 033001 (2016), arXiv:1507.08204, Eq. 13",
    )
)

__all__ = ["STERILE", "build_sterile"]
