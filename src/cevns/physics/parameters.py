"""Named physics parameters: one vocabulary for Python, the CLI (``--param``), experiment
files (``[parameters]``) and fits and scans.

Every parameter has a stable name, a unit, a default (``None`` where the experiment
sets it, e.g. the nuclear radii) and a physical domain. :func:`apply_parameters` turns
a mapping ``{name: value}`` into a :class:`cevns.physics.interactions.PhysicsModel`; with every
BSM parameter at its default the model is exactly the Standard Model.

``cevns params`` prints the table below.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping

from cevns.physics.cross_sections import radiative_couplings, tree_level_couplings
from cevns.physics.interactions import LEPTONS, QUARKS, ZPRIME_MODELS, PhysicsModel, ScalarMediator, VectorMediator
from cevns.physics.nuclei import parse_isotope_name
from cevns.physics.oscillations import SterileMixing, mixing_from_sin2_2theta


class ParameterError(ValueError):
    """An unknown parameter name or a value outside its physical domain."""


@dataclass(frozen=True)
class Parameter:
    """A named parameter: ``unit`` (text), ``default`` (``None``: set by the experiment),
    ``description``, and its domain ``low``/``high`` (inclusive unless ``open_low``) or
    ``choices`` for text-valued ones."""

    name: str
    unit: str
    default: float | str | None
    description: str
    low: float | None = None
    high: float | None = None
    open_low: bool = False
    choices: tuple[str, ...] = ()

    def check(self, value: float | str) -> float | str:
        """The value, converted and checked against the domain (raises ParameterError)."""
        if self.choices:
            if value not in self.choices:
                raise ParameterError(f"{self.name} must be one of {', '.join(self.choices)}, got {value!r}")
            return value
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"{self.name} must be a number, got {value!r}") from None
        if not math.isfinite(x):
            raise ParameterError(f"{self.name} must be finite, got {value!r}")
        if self.low is not None and (x < self.low or (self.open_low and x == self.low)):
            raise ParameterError(f"{self.name} must be {'>' if self.open_low else '≥'} {self.low:g} {self.unit}, got {x:g}".replace("  ", " "))
        if self.high is not None and x > self.high:
            raise ParameterError(f"{self.name} must be ≤ {self.high:g}, got {x:g}")
        return x


_LEPTON_LABEL = {"e": "ν_e", "mu": "ν_μ", "tau": "ν_τ"}
_PAIRS = ("ee", "mumu", "tautau", "emu", "etau", "mutau")
_PAIR_LEPTONS = {"ee": ("e", "e"), "mumu": ("mu", "mu"), "tautau": ("tau", "tau"), "emu": ("e", "mu"), "etau": ("e", "tau"), "mutau": ("mu", "tau")}


def _registry() -> dict[str, Parameter]:
    p: list[Parameter] = [
        Parameter("sin2_theta_w", "", None, "weak mixing angle sin²θ_W at low energy (tree scheme: sets g_V^p = ½ − 2 sin²θ_W; radiative scheme: shifts it)", 0.0, 1.0),
    ]
    for pair in _PAIRS:
        a, b = _PAIR_LEPTONS[pair]
        kind = "flavour-preserving" if a == b else "flavour-changing"
        for q in QUARKS:
            p.append(Parameter(f"eps_{pair}_{q}V", "", 0.0, f"vector NSI ε^{{{q}V}}_{{{pair}}} ({kind}), in units of G_F"))
    for lep in LEPTONS:
        p.append(Parameter(f"mu_nu_{lep}", "μ_B", 0.0, f"effective magnetic moment of {_LEPTON_LABEL[lep]}", 0.0))
    for lep in LEPTONS:
        p.append(Parameter(f"r2_nu_{lep}", "1e-32 cm²", 0.0, f"charge radius ⟨r²⟩ of {_LEPTON_LABEL[lep]} beyond the coupling scheme (tree: the whole radius)"))
    for lep in LEPTONS:
        p.append(Parameter(f"q_nu_{lep}", "e", 0.0, f"millicharge of {_LEPTON_LABEL[lep]}"))
    p += [
        Parameter("rp", "fm", None, "proton rms radius of every isotope", 0.0, open_low=True),
        Parameter("rn", "fm", None, "neutron rms radius of every isotope", 0.0, open_low=True),
        Parameter("zprime_model", "", "universal", "light vector mediator model", choices=ZPRIME_MODELS),
        Parameter("zprime_mass", "MeV", 10.0, "Z′ mass", 0.0, open_low=True),
        Parameter("zprime_coupling", "", 0.0, "Z′ coupling g (g_ν = g Q_ν, g_q = g Q_q)"),
        Parameter("zprime_charge_nu", "", 1.0, "generic Z′: neutrino charge Q_ν"),
        Parameter("zprime_charge_u", "", 1.0, "generic Z′: up-quark charge Q_u"),
        Parameter("zprime_charge_d", "", 1.0, "generic Z′: down-quark charge Q_d"),
        Parameter("scalar_mass", "MeV", 10.0, "light scalar mass", 0.0, open_low=True),
        Parameter("scalar_coupling", "", 0.0, "scalar coupling g (to ν and to every quark)"),
        Parameter("dm2_41", "eV²", 0.0, "sterile mass splitting Δm²₄₁", 0.0),
        Parameter("Ue4_sq", "", 0.0, "|U_e4|²", 0.0, 1.0),
        Parameter("Umu4_sq", "", 0.0, "|U_μ4|²", 0.0, 1.0),
        Parameter("Utau4_sq", "", 0.0, "|U_τ4|²", 0.0, 1.0),
        Parameter("sin2_2theta_14", "", None, "alternative to Ue4_sq: sin²2θ₁₄ = 4|U_e4|²(1 − |U_e4|²)", 0.0, 1.0),
        Parameter("sin2_2theta_24", "", None, "alternative to Umu4_sq: sin²2θ₂₄ = 4|U_μ4|²(1 − |U_μ4|²)", 0.0, 1.0),
        Parameter("axial", "", 0.0, "scale of the axial-vector (spin-dependent) term of odd-A nuclei: 0 off, 1 on", 0.0),
    ]
    return {x.name: x for x in p}


PARAMETERS: Mapping[str, Parameter] = _registry()
_RADIUS = re.compile(r"^(rn|rp)_(.+)$")


def parameter(name: str) -> Parameter:
    """The :class:`Parameter` called ``name``, including per-isotope radii ``rn_133Cs`` /
    ``rp_133Cs``. Unknown names raise ParameterError suggesting the closest name."""
    if name in PARAMETERS:
        return PARAMETERS[name]
    match = _RADIUS.match(name)
    if match:
        kind, iso_name = match.groups()
        iso = parse_isotope_name(iso_name)
        if iso is None:
            raise ParameterError(f"{name}: {iso_name!r} is not an isotope (write it like 133Cs)")
        if iso.name != iso_name:
            raise ParameterError(f"{name}: write the isotope as {iso.name} ({kind}_{iso.name})")
        which = "neutron" if kind == "rn" else "proton"
        return Parameter(name, "fm", None, f"{which} rms radius of {iso.name}", 0.0, open_low=True)
    close = difflib.get_close_matches(name, [*PARAMETERS, "rn_133Cs", "rp_133Cs"], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else "; `cevns params` lists them"
    raise ParameterError(f"unknown parameter {name!r}{hint}")


def check_parameters(values: Mapping[str, float | str]) -> dict[str, float | str]:
    """Names and values checked one by one and together (mixings, alternatives)."""
    out = {name: parameter(name).check(value) for name, value in values.items()}
    for alt, main in (("sin2_2theta_14", "Ue4_sq"), ("sin2_2theta_24", "Umu4_sq")):
        if alt in out and main in out:
            raise ParameterError(f"give either {alt} or {main}, not both")
    return out


def parameter_names(isotopes: Iterable[str] = ()) -> list[str]:
    """Every parameter name, with per-isotope radii for ``isotopes`` (names like 133Cs)."""
    return [*PARAMETERS, *(f"{k}_{iso}" for iso in isotopes for k in ("rp", "rn"))]


_ALTERNATIVES = {"sin2_2theta_14": "Ue4_sq", "Ue4_sq": "sin2_2theta_14", "sin2_2theta_24": "Umu4_sq", "Umu4_sq": "sin2_2theta_24"}


@lru_cache(maxsize=None)
def _group(name: str) -> str:
    """Which part of the model a parameter name sets."""
    if name in ("sin2_theta_w", "axial"):
        return name
    if name in ("rn", "rp") or _RADIUS.match(name):
        return "radius"
    if name in ("dm2_41", "Ue4_sq", "Umu4_sq", "Utau4_sq", "sin2_2theta_14", "sin2_2theta_24"):
        return "sterile"
    return name.split("_", 1)[0] + ("_nu" if name.startswith(("mu_nu_", "r2_nu_", "q_nu_")) else "")


def apply_parameters(model: PhysicsModel, values: Mapping[str, float | str]) -> PhysicsModel:
    """A new model with ``values`` applied on top of ``model`` (whose own parameters are
    kept unless overridden; ``Ue4_sq`` overrides an earlier ``sin2_2theta_14`` and vice
    versa). Raises ParameterError for bad names or values."""
    new = check_parameters(values)
    if not new:
        return model
    merged = {k: x for k, x in model.parameters.items() if _ALTERNATIVES.get(k) not in new}
    merged.update(new)
    v = merged.get
    groups = {_group(k) for k in new}
    changes: dict[str, object] = {"parameters": merged}

    if "sin2_theta_w" in groups:
        changes["couplings"] = _couplings_with_sin2(model, float(new["sin2_theta_w"]))
    if "radius" in groups:
        proton = dict(model.structure.proton_radius_fm)
        neutron = dict(model.structure.neutron_radius_fm)
        for key in (k for k in new if _group(k) == "radius"):
            kind, _, iso = key.partition("_")
            (neutron if kind == "rn" else proton)[iso or "*"] = float(new[key])
        changes["structure"] = dataclasses.replace(model.structure, proton_radius_fm=proton, neutron_radius_fm=neutron)
    if "eps" in groups:
        nsi = {}
        for pair in _PAIRS:
            a, b = _PAIR_LEPTONS[pair]
            for q in QUARKS:
                x = float(v(f"eps_{pair}_{q}V", 0.0))
                if x:
                    nsi[(q, a, b)] = x
        changes["nsi"] = nsi
    for prefix, attr in (("mu_nu_", "magnetic_moment"), ("r2_nu_", "charge_radius"), ("q_nu_", "millicharge")):
        if prefix.split("_")[0] + "_nu" in groups:
            changes[attr] = {lep: float(v(prefix + lep)) for lep in LEPTONS if v(prefix + lep, 0.0)}
    if "zprime" in groups:
        changes["vector_mediator"] = VectorMediator(
            mass=float(v("zprime_mass", PARAMETERS["zprime_mass"].default)),
            coupling=float(v("zprime_coupling", 0.0)),
            model=str(v("zprime_model", "universal")),
            charges=tuple(float(v(f"zprime_charge_{x}", 1.0)) for x in ("nu", "u", "d")),
        )
    if "scalar" in groups:
        changes["scalar_mediator"] = ScalarMediator(float(v("scalar_mass", PARAMETERS["scalar_mass"].default)), float(v("scalar_coupling", 0.0)))
    if "sterile" in groups:
        ue4 = mixing_from_sin2_2theta(float(merged["sin2_2theta_14"])) if "sin2_2theta_14" in merged else float(v("Ue4_sq", 0.0))
        umu4 = mixing_from_sin2_2theta(float(merged["sin2_2theta_24"])) if "sin2_2theta_24" in merged else float(v("Umu4_sq", 0.0))
        try:
            changes["sterile"] = SterileMixing(float(v("dm2_41", 0.0)), ue4, umu4, float(v("Utau4_sq", 0.0)))
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
    if "axial" in groups:
        changes["axial"] = float(new["axial"])
    return dataclasses.replace(model, **changes)


def _couplings_with_sin2(model: PhysicsModel, sin2: float):
    scheme = model.couplings.scheme
    if scheme == "tree":
        return tree_level_couplings(sin2)
    if scheme == "radiative":
        return radiative_couplings(sin2_theta_w=sin2)
    raise ParameterError(f"sin2_theta_w cannot be applied to the coupling set {model.couplings.name!r}")


def parameter_table(isotopes: Iterable[str] = ()) -> list[dict[str, str]]:
    """Rows (name, unit, default, description) for ``cevns params``."""
    rows = []
    for name in parameter_names(isotopes):
        par = parameter(name)
        default = "experiment" if par.default is None else str(par.default)
        if par.choices:
            default += f" ({'|'.join(par.choices)})"
        rows.append({"name": name, "unit": par.unit, "default": default, "description": par.description})
    rows.append({"name": "rn_<isotope>, rp_<isotope>", "unit": "fm", "default": "experiment", "description": "neutron / proton rms radius of one isotope, e.g. rn_133Cs"})
    return rows


__all__ = [
    "PARAMETERS",
    "Parameter",
    "ParameterError",
    "apply_parameters",
    "check_parameters",
    "parameter",
    "parameter_names",
    "parameter_table",
]
