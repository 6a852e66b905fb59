"""The XENONnT ⁸B CEvNS data release fitted in full: a per-run extended binned likelihood in
the release's four observables, for any predicted nuclear-recoil spectrum.

Data: the XENONnT ``cevns_data_release`` (https://github.com/XENONnT/cevns_data_release,
CC-BY-4.0); SR0 + SR1 (37 events, 3.51 t·yr) is the data set of E. Aprile et al. (XENON),
"First Indication of Solar ⁸B Neutrinos via Coherent Elastic Neutrino-Nucleus Scattering with
XENONnT", PRL 133, 191002 (2024), arXiv:2408.02877; SR0–SR2 (62 events, 6.77 t·yr) that of
XENON, "Probing the Solar ⁸B Neutrino Fog with XENONnT", arXiv:2604.06002. The file layout,
the folding of a recoil spectrum with the mono-energetic efficiency templates and the
interpolation in the light/charge-yield nuisances are in :mod:`cevns.releases.xenonnt_templates`.

Signal (:class:`XenonRecoilSpectrum`): dR/dE_R of solar ⁸B + hep neutrinos on natural xenon,
events per t·yr per keV_NR, summed over the xenon isotopes and the arriving flavours with the
package's rate machinery (:mod:`cevns.rates.nodes`: the neutrino-energy moments of the source
at each recoil node are computed once, a parameter point re-evaluates only the cross-section
coefficients — D. K. Papoulias & T. S. Kosmas, arXiv:1711.09773, Eq. 4), so every physics
parameter of :mod:`cevns.physics.parameters` (sin²θ_W, NSI of every flavour incl. τ, light
vector/scalar mediators, neutron radii, …) reaches the prediction, and the solar flavour
content (ν_e, ν_μ, ν_τ after MSW conversion) enters through the flavour-dependent terms.
The source is :func:`cevns.sources.solar.solar_source` ``(("8B", "hep"), model="B16-GS98")``
unless one is given.

Likelihood (:class:`XenonNT8BLikelihood`), per science run r and bin b,

.. math::
   \\mu_{rb} = f\\, S_{rb}(t_{ly}, t_{qy}) + a_r\\,AC_{rb} + e_r\\,ER_{rb}
               + m_r\\,N_{rb}(t_{ly}, t_{qy}),
   \\qquad
   \\chi^2 = 2\\sum_{rb}\\Big[\\mu_{rb} - n_{rb} + n_{rb}\\ln\\frac{n_{rb}}{\\mu_{rb}}\\Big]
      + t_{ly}^2 + t_{qy}^2 + \\Big(\\frac{f-1}{\\sigma_f}\\Big)^2
      + \\sum_r \\sum_{x=a,e,m} \\Big(\\frac{x_r - 1}{\\sigma_x}\\Big)^2

(−2 ln of the Poisson likelihood ratio to the saturated model, with Gaussian constraints):
S the folded signal, AC/ER/N the accidental-coincidence, electronic-recoil and neutron
templates times the run's exposure. The yield nuisances t_ly, t_qy (unit Gaussians, shared
by all runs: one detector, one light/charge-yield model — the release gives one 7 × 7 grid
per run on the same σ scale) move the signal and neutron templates. f is the ⁸B (+ hep) flux
normalisation relative to the source: constrained with σ_f = :data:`B16_GS98_B8_UNCERTAINTY`
(``flux="constrained"``, default for fits of physics parameters) or free (``flux="free"``,
σ_f = ∞; the flux measurement of :func:`compare_report`). All nuisances are profiled by a
damped Newton method on the exact interpolated expectation (analytic gradient and Hessian;
backgrounds enter linearly, the yields through the cubic-spline basis; 3–5 iterations from
the nominal point), checked against a general bounded minimiser (L-BFGS-B) in the tests: one
evaluation for three runs (12 nuisances) takes ≈ 4.7 ms on a loaded 2-core machine
(``benchmarks/bench_xenonnt.py``).

Background normalisation constraints: PRL 133, 191002 gives the total expected background
of SR0 + SR1 as 26.4 (+1.4 −1.3) events (abstract); the per-component uncertainties of its
Table I were not available here, so the constraints are assumptions, stated in
:data:`BACKGROUND_UNCERTAINTIES`: 5% on AC (the total's ≈ 5% is dominated by AC, 25.2 of
26.5 template events), 50% on ER and neutrons (subdominant, < 0.7 events each in SR0 + SR1).
The template normalisations themselves are the release's (AC + ER + neutron = 26.5 events in
SR0 + SR1 at the nominal yields, against the published 26.4).

Runs: ``runs="sr0,sr1"`` (default) is the PRL 133 data set; ``"sr0,sr1,sr2"`` that of
arXiv:2604.06002; any subset may be chosen.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from cevns.errors import InputError
from cevns.physics.interactions import PhysicsModel
from cevns.physics.nuclei import Isotope, resolve_target
from cevns.rates.nodes import IsotopeNodes, arriving_flavors, isotope_nodes, rate_density
from cevns.rates.prediction import model_with_parameters
from cevns.releases.registry import DataRelease, ReleaseFile
from cevns.releases.xenonnt_templates import (
    MONO_ENERGIES_KEV,
    N_BINS,
    OBSERVABLES,
    RUNS,
    RunTemplates,
    cached_run,
    cardinal_basis,
    check_yields,
    file_rows,
    fine_energies,
    folding_weights,
    load_run,
)
from cevns.sources.spectra import NeutrinoSource
from cevns.stats.chi2 import poisson_terms
from cevns.sources.solar import SOLAR_MODELS
from cevns.units import keV, tonne, year

# --- published numbers --------------------------------------------------------------------------
#: ⁸B flux of the B16-GS98 standard solar model and its 1σ relative uncertainty, cm⁻² s⁻¹
#: (N. Vinyoles et al., ApJ 835, 202 (2017), arXiv:1611.09867, Table 6: 5.46 (1 ± 0.12) × 10⁶),
#: from the shipped model table :data:`cevns.sources.solar.SOLAR_MODELS`.
B16_GS98_B8_FLUX: float = SOLAR_MODELS["B16-GS98"].flux_cm2_s["8B"]
B16_GS98_B8_UNCERTAINTY: float = SOLAR_MODELS["B16-GS98"].relative_uncertainty["8B"]
#: XENONnT SR0 + SR1 (E. Aprile et al. (XENON), PRL 133, 191002 (2024), arXiv:2408.02877,
#: abstract): 37 events observed, (26.4 +1.4 −1.3) expected from backgrounds, background-only
#: rejected at 2.73 σ, measured ⁸B flux (4.7 +3.6 −2.3) × 10⁶ cm⁻² s⁻¹.
PRL133_OBSERVED = 37
PRL133_BACKGROUND = 26.4
PRL133_SIGNIFICANCE = 2.73
PRL133_B8_FLUX = 4.7e6
PRL133_B8_FLUX_ERRORS = (2.3e6, 3.6e6)
#: Fractional Gaussian uncertainties of the background normalisations, per run (assumed; see
#: the module docstring: PRL 133's Table I was not available here).
BACKGROUND_UNCERTAINTIES: dict[str, float] = {"ac": 0.05, "er": 0.5, "neutron": 0.5}
#: The runs of PRL 133, 191002 (default) and of arXiv:2604.06002.
PRL133_RUNS: tuple[str, ...] = ("sr0", "sr1")
ALL_RUNS: tuple[str, ...] = RUNS
#: Sub-division of the 0.1-keV mono-template spacing in the signal quadrature. The folded
#: counts converge as h² (SR0, nominal yields, ⁸B spectrum): the trapezoid rule on the nodes
#: (refine 1) is 0.53% low against refine 32, refine 4 is 3.3e-4 low, refine 8 8e-5 (tests).
DEFAULT_REFINE = 8
FLUX_MODES = ("constrained", "free")


def parse_runs(runs: str | Sequence[str] | None) -> tuple[str, ...]:
    """``"sr0,sr1"`` or a sequence of run names → the runs in release order (InputError for
    an unknown or repeated name; None → :data:`PRL133_RUNS`)."""
    if runs is None:
        return PRL133_RUNS
    names = [r.strip().lower() for r in (runs.split(",") if isinstance(runs, str) else runs)]
    bad = [r for r in names if r not in RUNS]
    if bad or not names:
        raise InputError(f"unknown XENONnT science run {', '.join(bad) or '(none)'}; choose from {', '.join(RUNS)}")
    if len(set(names)) != len(names):
        raise InputError(f"a XENONnT science run is listed twice in {','.join(names)}")
    return tuple(r for r in RUNS if r in names)


# --- the signal ---------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class XenonRecoilSpectrum:
    """dR/dE_R on natural xenon, events per t·yr (Julian year) per keV_NR, at ``energies_kev``
    for ``source`` (module docstring). Build with :meth:`build`; call with named parameters."""

    source: NeutrinoSource
    energies_kev: np.ndarray
    model: PhysicsModel
    isotopes: tuple[Isotope, ...]
    nodes: tuple[IsotopeNodes, ...]

    @classmethod
    def build(cls, source: NeutrinoSource, energies_kev: np.ndarray, model: PhysicsModel | None = None) -> XenonRecoilSpectrum:
        """Nodes (neutrino-energy moments per isotope and flavour) at ``energies_kev``."""
        target = resolve_target("Xe")
        per_tonne = {name: n * tonne for name, n in target.nuclei_per_kg().items()}
        recoil = np.asarray(energies_kev, dtype=float) * keV
        flavors = tuple(f for f in ("nu_e", "nu_mu", "nu_tau", "nu_e_bar", "nu_mu_bar", "nu_tau_bar") if f in source.spectra)
        nodes = tuple(isotope_nodes(iso, recoil, np.zeros((0, recoil.size)), source, flavors, per_tonne[iso.name] * year)
                      for iso in target.isotopes)
        return cls(source, np.asarray(energies_kev, dtype=float), model or PhysicsModel(), target.isotopes, nodes)

    def __call__(self, values: Mapping[str, float | str] | None = None) -> np.ndarray:
        """dR/dE_R (n,) in events / (t·yr·keV_NR) at the named parameter ``values``."""
        model = model_with_parameters(self.model, dict(values or {}), self.isotopes, self.source)
        mixing = arriving_flavors(self.source, model)
        total = sum((rate_density(node, model, mixing).sum(axis=0) for node in self.nodes), np.zeros(self.energies_kev.size))
        return np.clip(total, 0.0, None) * keV


def default_source() -> NeutrinoSource:
    """Solar ⁸B + hep neutrinos at Earth, B16-GS98 fluxes, MSW flavour content
    (:func:`cevns.sources.solar.solar_source`)."""
    try:
        from cevns.sources.solar import solar_source
    except ImportError:  # the solar source is a separate module of the package
        raise InputError("the solar neutrino source (cevns.sources.solar) is not available in this installation") from None
    return solar_source(("8B", "hep"), model="B16-GS98")


# --- the profiled fit -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ProfileFit:
    """Profiled fit of :class:`XenonNT8BLikelihood`: ``chi2`` (batch), ``params`` (batch, P)
    in the order of :meth:`XenonNT8BLikelihood.parameter_names` (flux scale f, t_ly, t_qy,
    then per run the AC, ER and neutron scales), and ``converged`` (batch)."""

    chi2: np.ndarray
    params: np.ndarray
    converged: np.ndarray


@dataclass(frozen=True, eq=False)
class XenonNT8BLikelihood:
    """χ²(θ) of the XENONnT ⁸B release (module docstring), with the interface of
    :class:`cevns.stats.likelihood.Likelihood`: ``signal(values)`` is the recoil spectrum
    dR/dE_R in events / (t·yr·keV_NR) on :func:`~cevns.releases.xenonnt_templates.fine_energies`
    (the same for every run; the folding into each run's bins at every yield node is linear
    and done by :meth:`chi2_from_signal`, which profiles all nuisances).

    Build with :func:`xenonnt_8b_likelihood`."""

    runs: tuple[RunTemplates, ...]
    spectrum: XenonRecoilSpectrum
    fixed: Mapping[str, float | str] = field(default_factory=dict)
    flux: str = "constrained"
    refine: int = DEFAULT_REFINE
    #: Yield nuisances profiled (True) or held at 0 (False).
    profile_yields: bool = True
    b8_flux_cm2_s: float = B16_GS98_B8_FLUX
    #: Fractional 1σ of the ⁸B flux constraint (``flux="constrained"``); a combination sharing
    #: the flux normalisation lowers it to the member's own part (0: the flux is fixed here).
    flux_sigma: float = B16_GS98_B8_UNCERTAINTY
    background_sigmas: Mapping[str, float] = field(default_factory=lambda: dict(BACKGROUND_UNCERTAINTIES))
    #: Observed counts (R, 81); None: the release's events.
    observed_override: np.ndarray | None = None
    label_text: str = ""

    statistic = "poisson, nuisances profiled"

    def __post_init__(self) -> None:
        if self.flux not in FLUX_MODES:
            raise InputError(f"flux must be one of {', '.join(FLUX_MODES)}, got {self.flux!r}")
        if self.spectrum.energies_kev.shape != fine_energies(self.refine).shape:
            raise InputError("the recoil spectrum must be computed on fine_energies(refine)")
        w = folding_weights(self.refine)
        # per run: livetime × mono templates (49, 46, 81); backgrounds in counts
        kernels = np.stack([r.livetime_tyr * r.mono.reshape(49, MONO_ENERGIES_KEV.size, N_BINS) for r in self.runs])
        object.__setattr__(self, "_weights", w)
        # as one (46, R·49·81) matrix: folding is then one BLAS product
        object.__setattr__(self, "_kernel_matrix", np.ascontiguousarray(np.moveaxis(kernels, 2, 0).reshape(MONO_ENERGIES_KEV.size, -1)))
        object.__setattr__(self, "_ac", np.stack([r.livetime_tyr * r.ac for r in self.runs]))
        object.__setattr__(self, "_er", np.stack([r.livetime_tyr * r.er for r in self.runs]))
        object.__setattr__(self, "_neutron", np.stack([r.livetime_tyr * r.neutron.reshape(49, N_BINS) for r in self.runs]))
        obs = np.stack([r.observed for r in self.runs]) if self.observed_override is None else np.asarray(self.observed_override, float)
        object.__setattr__(self, "_observed", obs)

    # -- description ------------------------------------------------------------------------------
    @property
    def run_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.runs)

    @property
    def label(self) -> str:
        """What the data are, for titles and reports."""
        return self.label_text or f"XENONnT 8B CEvNS release, {'+'.join(r.upper() for r in self.run_names)}"

    @property
    def observed(self) -> np.ndarray:
        """Observed counts (R, 81)."""
        return np.asarray(getattr(self, "_observed"))

    def parameter_names(self) -> list[str]:
        """Names of the nuisance parameters (:class:`ProfileFit` ``params`` order)."""
        names = ["b8_flux_scale", "tly", "tqy"]
        for kind in ("ac", "er", "neutron"):
            names += [f"{kind}_{r}" for r in self.run_names]
        return names

    # -- the Likelihood protocol --------------------------------------------------------------
    def signal(self, values: Mapping[str, float | str] | None = None) -> np.ndarray:
        """dR/dE_R (n_fine,), events / (t·yr·keV_NR), at ``values`` (with ``fixed``)."""
        return self.spectrum({**self.fixed, **(values or {})})

    def chi2_from_signal(self, signal: np.ndarray) -> np.ndarray:
        """χ² with every nuisance profiled for spectra of shape (..., n_fine)."""
        return self.profile(signal).chi2

    # -- a shared normalisation (cevns.stats.joint): the signal scaled by factors -------------------
    def prepare_scaled(self, signal: np.ndarray) -> np.ndarray:
        """The folded signal (..., R, 49, 81) of spectra ``signal`` (..., n_fine), for
        :meth:`scaled_chi2` (folding is linear: folding c·s is c times folding s)."""
        s = np.asarray(signal, dtype=float)
        return self.folded(s.reshape(-1, s.shape[-1])).reshape(s.shape[:-1] + (len(self.runs), 49, N_BINS))

    def scaled_chi2(self, prepared: np.ndarray, factor: np.ndarray,
                    start: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(χ², profiled nuisances (..., P)) of the spectra folded in ``prepared``
        (:meth:`prepare_scaled`, shape ``(*batch, R, 49, 81)``) scaled by ``factor`` (broadcast
        with batch: ``(..., *batch)``), each profile started from ``start`` (broadcast to (..., P);
        default nominal) — the same as ``chi2_from_signal(signal · factor)``. A combination that
        shares this normalisation (:mod:`cevns.stats.joint`) folds once per χ² call and starts
        each profile from the last solution: fewer Newton steps, the same minimum to the
        profile's tolerance."""
        folded = np.asarray(prepared, dtype=float) * np.asarray(factor, dtype=float)[..., None, None, None]
        batch = folded.shape[:-3]
        first = None
        if start is not None:
            st = np.asarray(start, dtype=float)
            first = np.broadcast_to(st, batch + st.shape[-1:]).reshape(-1, st.shape[-1])
        fit = self._profile_folded(folded.reshape((-1,) + folded.shape[-3:]), batch, None, first)
        return fit.chi2, fit.params

    def chi2(self, values: Mapping[str, float | str] | None = None) -> float:
        return float(self.chi2_from_signal(self.signal(values)))

    def with_fixed(self, values: Mapping[str, float | str]) -> XenonNT8BLikelihood:
        return dataclasses.replace(self, fixed={**self.fixed, **values})

    def asimov(self, values: Mapping[str, float | str] | None = None) -> XenonNT8BLikelihood:
        """The data replaced by the expectation at ``values`` with every nuisance nominal."""
        exp = self.expected(self.signal(values))
        total = sum(exp.values(), np.zeros_like(self.observed))
        return dataclasses.replace(self, observed_override=total, label_text=f"Asimov ({self.label})")

    # -- what the command line needs ------------------------------------------------------------
    #: The release predicts its own signal (no experiment file): ``cevns fit/scan`` take start
    #: values from :meth:`start_values` and describe the analysis with :meth:`describe`.
    predicts_own_signal = True

    def start_values(self, items: Sequence[str]) -> dict[str, float]:
        """``--free NAME[=START]`` → {name: start}: the given start, else the model's radius of
        the xenon isotopes (``rn``/``rp``: the first one's), or the parameter's default
        (:func:`cevns.physics.parameters.free_start_values`; InputError for an unknown name or a bad number)."""
        from cevns.physics.parameters import free_start_values

        known: dict[str, float] = {}
        for iso in reversed(self.spectrum.isotopes):  # the first isotope's radii last: they are rn/rp
            rp, rn = self.spectrum.model.structure.radii_fm(iso)
            known.update({f"rp_{iso.name}": rp, f"rn_{iso.name}": rn, "rp": rp, "rn": rn})
        return free_start_values(items, known)

    def describe(self) -> dict[str, Any]:
        """What a scan store records about the analysis."""
        return {"release": "xenonnt-8b", "runs": list(self.run_names), "flux": self.flux, "source": self.spectrum.source.name,
                "b8_flux_cm2_s": self.b8_flux_cm2_s, "refine": self.refine, "profile_yields": self.profile_yields,
                "background_uncertainties": dict(self.background_sigmas), "fixed": dict(self.fixed)}

    def compare_report(self, values: Mapping[str, float | str] | None = None) -> dict[str, Any]:
        """:func:`compare_report` of this likelihood."""
        return compare_report(self, values)

    def compare_text(self, report: Mapping[str, Any]) -> list[str]:
        """:func:`compare_text` of a report."""
        return compare_text(report)

    def compare_figure(self, report: Mapping[str, Any], values: Mapping[str, float | str] | None = None) -> Any:
        """:func:`compare_figure` of this likelihood and a report."""
        return compare_figure(self, report, values)

    # -- folding and expectation -----------------------------------------------------------------
    def folded(self, signal: np.ndarray) -> np.ndarray:
        """Signal counts (..., R, 49, 81) at every yield node for spectra (..., n_fine)."""
        node = np.asarray(signal, dtype=float) @ getattr(self, "_weights")
        R = len(self.runs)
        return (node @ getattr(self, "_kernel_matrix")).reshape(node.shape[:-1] + (R, 49, N_BINS))

    def expected(self, signal: np.ndarray, params: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Expected counts (R, 81) of each component (``signal``, ``ac``, ``er``,
        ``neutron``) for one spectrum, at nuisance ``params`` (default nominal)."""
        p = self.nominal() if params is None else np.asarray(params, dtype=float)
        R = len(self.runs)
        check_yields(float(p[1]), float(p[2]))
        w = np.outer(cardinal_basis(p[1])[0], cardinal_basis(p[2])[0]).ravel()
        s = np.einsum("g,rgb->rb", w, self.folded(signal))
        n = np.einsum("g,rgb->rb", w, getattr(self, "_neutron"))
        return {"signal": p[0] * s, "ac": p[3:3 + R, None] * getattr(self, "_ac"),
                "er": p[3 + R:3 + 2 * R, None] * getattr(self, "_er"), "neutron": p[3 + 2 * R:, None] * n}

    def signal_normalisation_sigma(self) -> float:
        """The fractional ⁸B flux uncertainty a combination may share
        (:func:`cevns.stats.joint.signal_sigma`); InputError for a free flux."""
        if self.flux != "constrained":
            raise InputError("a free 8B flux has no normalisation uncertainty to share; use flux='constrained'")
        return self.flux_sigma

    def with_signal_normalisation_sigma(self, sigma: float) -> XenonNT8BLikelihood:
        """The same likelihood with the ⁸B flux constrained by ``sigma`` (fractional, ≥ 0)."""
        if not (sigma >= 0.0 and math.isfinite(sigma)):
            raise InputError(f"8B flux uncertainty must be finite and >= 0, got {sigma}")
        return dataclasses.replace(self, flux_sigma=float(sigma))

    def nominal(self) -> np.ndarray:
        """Nominal nuisance values: f = 1, t = 0, background scales 1."""
        p = np.ones(3 + 3 * len(self.runs))
        p[1:3] = 0.0
        return p

    # -- profiling -----------------------------------------------------------------------------------
    def _sigmas(self) -> np.ndarray:
        R = len(self.runs)
        sf = self.flux_sigma if self.flux == "constrained" else math.inf
        bs = self.background_sigmas
        return np.array([sf, 1.0, 1.0] + [bs["ac"]] * R + [bs["er"]] * R + [bs["neutron"]] * R)

    def profile(self, signal: np.ndarray, *, fix: Mapping[int, float] | None = None, start: np.ndarray | None = None,
                max_iter: int = 60, tol: float = 1e-9, extra: np.ndarray | None = None) -> ProfileFit:
        """Profile the nuisances for spectra ``signal`` (..., n_fine); ``fix`` holds
        parameters (index → value; indices of :meth:`parameter_names`) fixed. ``extra``
        (..., n_fine), events / (t·yr·keV_NR) on the same grid: a further recoil spectrum
        (e.g. a WIMP signal, :mod:`cevns.releases.xenonnt_wimp`) folded the same way and
        added to the expectation without the flux scale f; it broadcasts with ``signal``."""
        s = np.asarray(signal, dtype=float)
        x_extra = None
        if extra is not None:
            x = np.asarray(extra, dtype=float)
            shape = np.broadcast_shapes(s.shape, x.shape)
            s, x = np.broadcast_to(s, shape), np.broadcast_to(x, shape)
            x_extra = self.folded(x.reshape(-1, x.shape[-1]))
        batch = s.shape[:-1]
        return self._profile_folded(self.folded(s.reshape(-1, s.shape[-1])), batch, fix, start, max_iter, tol, x_extra)

    def _profile_folded(self, folded: np.ndarray, batch: tuple[int, ...], fix: Mapping[int, float] | None,
                        start: np.ndarray | None, max_iter: int = 60, tol: float = 1e-9,
                        x_extra: np.ndarray | None = None) -> ProfileFit:
        """:meth:`profile` of folded signals (B, R, 49, 81), results shaped ``batch``."""
        fixed = dict(fix or {})
        if not self.profile_yields:
            fixed.setdefault(1, 0.0)
            fixed.setdefault(2, 0.0)
        sigmas = self._sigmas()
        for k in np.flatnonzero(sigmas == 0.0):  # a zero-width constraint holds the nuisance at its nominal value
            fixed.setdefault(int(k), float(self.nominal()[k]))
        fit = _profile(self.observed, folded, getattr(self, "_ac"), getattr(self, "_er"), getattr(self, "_neutron"),
                       sigmas, fixed, start, max_iter, tol, x_extra)
        return ProfileFit(fit.chi2.reshape(batch), fit.params.reshape(batch + (-1,)), fit.converged.reshape(batch))


def _profile(n: np.ndarray, S: np.ndarray, A: np.ndarray, E: np.ndarray, N: np.ndarray, sigmas: np.ndarray,
             fixed: Mapping[int, float], start: np.ndarray | None, max_iter: int, tol: float,
             X: np.ndarray | None = None) -> ProfileFit:
    """Damped Newton (Levenberg–Marquardt on the exact Hessian, active-set bounds) over the
    nuisances x = (f, t_ly, t_qy, a_r, e_r, m_r) for signals S (B, R, 49, 81); ``X`` (same
    shape, optional) is a further folded component added without the flux scale f."""
    B, R = S.shape[0], n.shape[0]
    P = 3 + 3 * R
    lo = np.zeros(P)
    hi = np.full(P, np.inf)
    lo[1:3], hi[1:3] = -3.0, 3.0
    free = np.ones(P, dtype=bool)
    x = np.tile(np.r_[1.0, 0.0, 0.0, np.ones(3 * R)], (B, 1)) if start is None else np.array(np.broadcast_to(start, (B, P)))
    for k, v in fixed.items():
        free[k] = False
        x[:, k] = v
    centre = np.r_[1.0, 0.0, 0.0, np.ones(3 * R)]
    usable = np.isfinite(sigmas) & (sigmas > 0)  # σ = ∞: unconstrained; σ = 0: held fixed (above)
    inv2 = np.where(usable, 1.0 / np.where(usable, sigmas, 1.0) ** 2, 0.0)
    ia, ie, im = slice(3, 3 + R), slice(3 + R, 3 + 2 * R), slice(3 + 2 * R, P)
    eye = np.eye(R)
    # the yield-node axis first and (run, bin) flattened, so that the spline weights are applied
    # by BLAS products (the same sums as einsum "bwg,brgk->wbrk", done once per evaluation)
    S_g = np.ascontiguousarray(S.transpose(0, 2, 1, 3).reshape(B, 49, R * N_BINS))
    X_g = None if X is None else np.ascontiguousarray(X.transpose(0, 2, 1, 3).reshape(B, 49, R * N_BINS))
    N_g = np.ascontiguousarray(N.transpose(1, 0, 2).reshape(49, R * N_BINS))

    def weigh(w: np.ndarray, T: np.ndarray) -> np.ndarray:
        # Σ_g w[b, v, g] T[b, g, (r, k)] → (v, b, r, k); T without a batch axis is shared by all b
        # (one small product per b rather than one (B·W, 49) product: that one is large enough
        # for OpenBLAS to start its threads, which then spin beside the rest of the fit — the
        # same sums, 1.14x less CPU per batched profile, same process, load 3.4)
        out = w @ T if T.ndim == 3 else (w @ T[None])
        return out.reshape(w.shape[0], w.shape[1], R, N_BINS).transpose(1, 0, 2, 3)

    def evaluate(x: np.ndarray, derivatives: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        vl, dl, hl = cardinal_basis(x[:, 1])
        vq, dq, hq = cardinal_basis(x[:, 2])
        # spline weights of the value and its derivatives: t, ∂l, ∂q, ∂ll, ∂qq, ∂lq
        pairs = ((vl, vq), (dl, vq), (vl, dq), (hl, vq), (vl, hq), (dl, dq)) if derivatives else ((vl, vq),)
        w = np.stack([(a[:, :, None] * b[:, None, :]).reshape(B, 49) for a, b in pairs], axis=1)  # (B, W, 49)
        Sw = weigh(w, S_g)
        Nw = weigh(w, N_g)
        Xw = weigh(w, X_g) if X_g is not None else np.zeros((len(pairs), B, R, N_BINS))
        f, a, e, m = x[:, 0, None, None], x[:, ia, None], x[:, ie, None], x[:, im, None]
        mu = np.maximum(f * Sw[0] + a * A + e * E + m * Nw[0] + Xw[0], 1e-300)
        d = x - centre
        chi2 = 2.0 * poisson_terms(n, mu).sum(axis=(-2, -1)) + np.sum(inv2 * d * d, axis=-1)  # Baker–Cousins
        if not derivatives:
            return chi2, np.empty(0), np.empty(0)
        St, Sl, Sq, Sll, Sqq, Slq = Sw
        Nt, Nl, Nq, Nll, Nqq, Nlq = Nw
        _, Xl, Xq, Xll, Xqq, Xlq = Xw
        J = np.zeros((B, R, N_BINS, P))
        J[..., 0] = St
        J[..., 1] = f * Sl + m * Nl + Xl
        J[..., 2] = f * Sq + m * Nq + Xq
        J[..., ia] = np.einsum("rk,rs->rks", A, eye)[None]
        J[..., ie] = np.einsum("rk,rs->rks", E, eye)[None]
        J[..., im] = Nt[..., None] * eye[None, :, None, :]
        r1 = 1.0 - n / mu  # (B, R, K)
        Jf = J.reshape(B, R * N_BINS, P)
        grad = 2.0 * (r1.reshape(B, 1, R * N_BINS) @ Jf)[:, 0] + 2.0 * inv2 * d
        Jw = Jf * (n / mu**2).reshape(B, R * N_BINS, 1)
        H = 2.0 * (Jw.transpose(0, 2, 1) @ Jf) + 2.0 * np.diag(inv2)[None]
        second = np.stack([Sl, Sq, f * Sll + m * Nll + Xll, f * Sqq + m * Nqq + Xqq, f * Slq + m * Nlq + Xlq])
        h = 2.0 * np.einsum("brk,sbrk->sb", r1, second)
        for v, (p, q) in zip(h, ((0, 1), (0, 2), (1, 1), (2, 2), (1, 2))):
            H[:, p, q] += v
            if p != q:
                H[:, q, p] += v
        hn = 2.0 * np.einsum("brk,sbrk->sbr", r1, np.stack([Nl, Nq]))
        for col, v in zip((1, 2), hn):
            H[:, col, im] += v
            H[:, im, col] += v
        return chi2, grad, H

    chi2, grad, H = evaluate(x, True)
    lam = np.full(B, 1e-4)
    converged = np.zeros(B, dtype=bool)
    for _ in range(max_iter):
        at_lo = (x <= lo + 1e-12) & (grad > 0)
        at_hi = (x >= hi - 1e-12) & (grad < 0)
        move = free[None, :] & ~at_lo & ~at_hi
        diag = np.abs(np.diagonal(H, axis1=1, axis2=2)) + 1e-12
        Hm = H + lam[:, None, None] * np.einsum("bp,pq->bpq", diag, np.eye(P))
        Hm = np.where(move[:, :, None] & move[:, None, :], Hm, np.eye(P)[None])
        g = np.where(move, grad, 0.0)
        try:
            step = -np.linalg.solve(Hm, g[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = -g / diag
        trial = np.clip(x + step, lo, hi)
        # the trial with its derivatives: a step is nearly always taken, and the χ², gradient and
        # Hessian at the new x are then those of the trial (kept from before where it is not)
        c_trial, g_trial, H_trial = evaluate(trial, True)
        better = c_trial <= chi2 + 1e-12
        gain = chi2 - c_trial
        x = np.where(better[:, None], trial, x)
        chi2 = np.where(better, c_trial, chi2)
        grad = np.where(better[:, None], g_trial, grad)
        H = np.where(better[:, None, None], H_trial, H)
        lam = np.where(better, np.maximum(lam * 0.3, 1e-9), lam * 10.0)
        converged = (better & (gain < tol) & (np.abs(step * move).max(axis=1) < 1e-5)) | converged & (lam > 1e6)
        if converged.all() or (lam > 1e8).all():
            break
    return ProfileFit(chi2, x, converged | (lam > 1e8))


# --- results for cevns compare -----------------------------------------------------------------------
@dataclass(frozen=True)
class FluxMeasurement:
    """The ⁸B flux fitted with a free normalisation: best fit and Δχ² = 1 interval
    (cm⁻² s⁻¹), the asymptotic significance of rejecting the background-only hypothesis
    Z = √(χ²(f = 0) − χ²_min), and χ²_min."""

    best_fit: float
    low: float
    high: float
    significance_sigma: float
    chi2_min: float
    scale: float


def measure_flux(likelihood: XenonNT8BLikelihood, values: Mapping[str, float | str] | None = None) -> FluxMeasurement:
    """Fit the flux scale f freely (every other nuisance profiled): best-fit ⁸B flux
    f̂ Φ_8B, its 1σ interval from the profile (Δχ² = 1 crossings) and the background-only
    rejection √Δχ²(f = 0) (Wilks, asymptotic; one-sided since f ≥ 0)."""
    from scipy import optimize

    free = dataclasses.replace(likelihood, flux="free")
    s = free.signal(values)

    folded = free.folded(np.asarray(s, dtype=float).reshape(1, -1))  # folded once for every profile below
    best = free._profile_folded(folded, (), None, None)

    def chi2(f: float) -> float:
        # each profile of fixed f starts from the free best fit (a few Newton steps fewer;
        # the same χ² to the profile's tolerance)
        return float(free._profile_folded(folded, (), {0: f}, best.params).chi2)

    f_hat, c_min = float(best.params[0]), float(best.chi2)
    c0 = chi2(0.0)
    z = math.sqrt(max(c0 - c_min, 0.0))
    lo = optimize.brentq(lambda f: chi2(f) - c_min - 1.0, 0.0, f_hat, xtol=1e-6) if f_hat > 0 and c0 > c_min + 1 else 0.0
    top = max(2.0 * f_hat, 1.0)
    while chi2(top) < c_min + 1.0:
        top *= 2.0
    hi = optimize.brentq(lambda f: chi2(f) - c_min - 1.0, f_hat, top, xtol=1e-6)
    phi = likelihood.b8_flux_cm2_s
    return FluxMeasurement(f_hat * phi, lo * phi, hi * phi, z, c_min, f_hat)


def _project(a: np.ndarray, axis: int) -> list[float]:
    other = tuple(k for k in range(4) if k != axis)
    return np.asarray(a, dtype=float).reshape(3, 3, 3, 3).sum(axis=other).tolist()


def compare_report(likelihood: XenonNT8BLikelihood, values: Mapping[str, float | str] | None = None) -> dict[str, Any]:
    """What ``cevns compare xenonnt-8b`` prints: observed counts, expected backgrounds and
    predicted signal per run (nominal nuisances), the flux measurement
    (:func:`measure_flux`), the pulls at the free-flux best fit, and per run the counts
    projected on each observable (observed, and each component at the best fit)."""
    lk = dataclasses.replace(likelihood, flux="free")
    s = lk.signal(values)
    flux = measure_flux(lk, values)
    best = lk.profile(s)
    p = best.params[()] if best.params.ndim == 1 else best.params[0]
    nominal = lk.expected(s)
    at_best = lk.expected(s, p)
    names = lk.parameter_names()
    sig = lk._sigmas()
    centre = lk.nominal()
    pulls = {n: float((v - c) / sg) if np.isfinite(sg) else float(v) for n, v, c, sg in zip(names, p, centre, sig)}
    runs = lk.run_names
    projections: dict[str, Any] = {}
    for r, run in enumerate(runs):
        edges = lk.runs[r].edges
        projections[run] = {
            obs: {"edges": edges[k].tolist(), "observed": _project(lk.observed[r], k),
                  **{c: _project(v[r], k) for c, v in at_best.items()}}
            for k, obs in enumerate(OBSERVABLES)}
    background = {c: {run: float(nominal[c][r].sum()) for r, run in enumerate(runs)} for c in ("ac", "er", "neutron")}
    return {
        "data": lk.label, "runs": list(runs), "statistic": lk.statistic, "parameters": dict({**lk.fixed, **(values or {})}),
        "observed": {**{run: int(round(float(lk.observed[r].sum()))) for r, run in enumerate(runs)},
                     "total": int(round(float(lk.observed.sum())))},
        "expected_background": {**background, "total": float(sum(v for d in background.values() for v in d.values()))},
        "predicted_signal": {**{run: float(nominal["signal"][r].sum()) for r, run in enumerate(runs)},
                             "total": float(nominal["signal"].sum())},
        "b8_flux_cm2_s": {"best_fit": flux.best_fit, "1sigma": [flux.low, flux.high], "predicted": lk.b8_flux_cm2_s},
        "significance_sigma": flux.significance_sigma,
        "chi2_min": flux.chi2_min,
        "pulls": pulls,
        "projections": projections,
    }


def compare_text(report: Mapping[str, Any]) -> list[str]:
    """Lines of the text form of :func:`compare_report`."""
    runs = report["runs"]
    lines = [f"XENONnT 8B CEvNS vs {report['data']} ({report['statistic']})"]
    for run in runs:
        bkg = sum(report["expected_background"][c][run] for c in ("ac", "er", "neutron"))
        lines.append(f"  {run}: observed {report['observed'][run]}, background {bkg:.2f} "
                     f"(AC {report['expected_background']['ac'][run]:.2f}, ER {report['expected_background']['er'][run]:.2f}, "
                     f"neutron {report['expected_background']['neutron'][run]:.2f}), 8B+hep CEvNS {report['predicted_signal'][run]:.2f}")
    lines.append(f"  total: observed {report['observed']['total']}, background {report['expected_background']['total']:.2f}, "
                 f"signal {report['predicted_signal']['total']:.2f}")
    f = report["b8_flux_cm2_s"]
    lines.append(f"8B flux: {f['best_fit'] / 1e6:.2f} [{f['1sigma'][0] / 1e6:.2f}, {f['1sigma'][1] / 1e6:.2f}] x 1e6 /cm2/s (1σ; "
                 f"predicted {f['predicted'] / 1e6:.2f}); background-only rejected at {report['significance_sigma']:.2f} σ")
    lines.append("pulls at the best fit: " + ", ".join(f"{k} {v:+.2f}" for k, v in report["pulls"].items()))
    return lines


def compare_figure(likelihood: XenonNT8BLikelihood, report: Mapping[str, Any], values: Mapping[str, float | str] | None = None) -> Any:
    """Observed counts against the stacked best-fit prediction (free flux), summed over the
    runs bin by bin (the runs' cS2 and BDT edges differ, so the axes show bin indices), one
    panel per observable."""
    from cevns.plotting import data_vs_prediction_figure

    lk = dataclasses.replace(likelihood, flux="free")
    s = lk.signal(values)
    best = lk.profile(s)
    parts = {label: v.sum(axis=0) for label, v in zip(("CEvNS 8B+hep", "AC", "ER", "neutrons"), lk.expected(s, best.params).values())}
    observed = lk.observed.sum(axis=0)
    axes = [(obs, np.arange(4.0), "bin") for obs in OBSERVABLES]
    flux = report["b8_flux_cm2_s"]["best_fit"]
    title = f"{lk.label}: 8B flux {flux / 1e6:.1f}e6 /cm2/s, {report['significance_sigma']:.2f} σ"
    return data_vs_prediction_figure(axes, observed, observed, parts, title, "observed", "best fit")


# --- building ---------------------------------------------------------------------------------------
def xenonnt_8b_likelihood(
    folder: str | Path,
    experiment: str | None = "xenonnt-8b",
    overrides: Mapping[str, Any] | None = None,
    fixed: Mapping[str, float | str] | None = None,
    runs: str | Sequence[str] | None = None,
    flux: str = "constrained",
    source: NeutrinoSource | None = None,
    refine: int = DEFAULT_REFINE,
    profile_yields: bool = True,
) -> XenonNT8BLikelihood:
    """The likelihood of the release in ``folder`` for the science ``runs`` (``"sr0,sr1"``
    by default: PRL 133, 191002; ``"sr0,sr1,sr2"``: arXiv:2604.06002), every file read checked
    against its SHA-256. ``experiment`` must be ``xenonnt-8b`` (the release predicts its own
    signal: ``source`` on natural xenon, by default :func:`default_source`); ``overrides``
    are not used (InputError if given). ``flux``: ``constrained`` (12%, B16-GS98) or
    ``free``; ``profile_yields=False`` holds t_ly = t_qy = 0."""
    if experiment not in (None, "xenonnt-8b"):
        raise InputError(f"the xenonnt-8b release predicts its own signal (solar 8B + hep on natural xenon); "
                         f"compare or fit it as xenonnt-8b, not {experiment!r}")
    if overrides:
        raise InputError(f"the xenonnt-8b likelihood takes no experiment settings (--set {', '.join(overrides)})")
    names = parse_runs(runs)
    if flux not in FLUX_MODES:
        raise InputError(f"flux must be one of {', '.join(FLUX_MODES)}, got {flux!r}")
    templates = tuple(cached_run(folder, r) for r in names)
    spectrum = XenonRecoilSpectrum.build(source if source is not None else default_source(), fine_energies(refine))
    return XenonNT8BLikelihood(templates, spectrum, dict(fixed or {}), flux, refine, profile_yields)


# Every file the builder reads is checked against its SHA-256 as it is read (read_checked), so
# cevns.cli.releases.checked_release_likelihood does not hash the whole release first.
setattr(xenonnt_8b_likelihood, "checks_every_file_read", True)  # noqa: B010 (a marker read with getattr)


def load_xenonnt_8b(folder: str | Path) -> tuple[RunTemplates, ...]:
    """Every science run of the release in ``folder`` (:func:`~cevns.releases.xenonnt_templates.load_run`)."""
    return tuple(load_run(folder, r) for r in RUNS)


FILES: tuple[ReleaseFile, ...] = tuple(ReleaseFile(path, size, digest) for digest, size, path in file_rows())

RELEASE = DataRelease(
    name="xenonnt-8b",
    title="XENONnT solar 8B CEvNS search, SR0-SR2 (events, binning, templates)",
    citation="E. Aprile et al. (XENON), PRL 133, 191002 (2024), arXiv:2408.02877; XENON, arXiv:2604.06002; "
             "github.com/XENONnT/cevns_data_release (CC-BY-4.0)",
    files=FILES,
    loader=load_xenonnt_8b,
    # The registry types builders as returning TemplateLikelihood; this one returns a likelihood
    # of the same Likelihood protocol with its own compare hooks (cevns.cli.releases._own_compare).
    likelihood=xenonnt_8b_likelihood,  # type: ignore[arg-type]
    experiment="xenonnt-8b",
    marker="templates/sr0/ac/template_XENONnT_sr0_ac_cevns.h5",
    options=("runs", "flux"),
)

__all__ = [
    "ALL_RUNS",
    "B16_GS98_B8_FLUX",
    "B16_GS98_B8_UNCERTAINTY",
    "BACKGROUND_UNCERTAINTIES",
    "DEFAULT_REFINE",
    "FILES",
    "FLUX_MODES",
    "FluxMeasurement",
    "PRL133_B8_FLUX",
    "PRL133_B8_FLUX_ERRORS",
    "PRL133_BACKGROUND",
    "PRL133_OBSERVED",
    "PRL133_RUNS",
    "PRL133_SIGNIFICANCE",
    "ProfileFit",
    "RELEASE",
    "XenonNT8BLikelihood",
    "XenonRecoilSpectrum",
    "compare_figure",
    "compare_report",
    "compare_text",
    "default_source",
    "load_xenonnt_8b",
    "measure_flux",
    "parse_runs",
    "xenonnt_8b_likelihood",
]
