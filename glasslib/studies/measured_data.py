"""Inverting measured spectra (notebook 06): GLASS against RMC at equal wall time on real data.

For each measured dataset we ship (:data:`CASES`) whose system has a shipped prior, the target
is read with the one target reader (its sanity checks included) and restricted to the Q window
the model cell can represent. Then, in the same cubic cell at the sample's density:

* ``prior``: the prior alone (what guidance starts from);
* ``glass``: the prior guided by the measured spectrum (:func:`glasslib.diffusion.generate.generate`),
  its wall time measured;
* ``rmc``: as many reverse Monte Carlo fits (:class:`glasslib.rmc.RMC`), each from its own
  random start (seeds ``seed``, ``seed + 1``, ...) with the closest approaches of
  :func:`glasslib.rmc.starts.closest_approach`, each run for the GLASS ensemble's wall time per
  structure: the same ensemble size and the same total wall time.

Each ensemble gets a fit report (:func:`glasslib.analysis.fit_report.fit_report`): Wright's
R-factor of its mean spectrum against the data, and its local structure. A dataset whose prior
is not shipped yet is listed with the reason and skipped, never faked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from glasslib.analysis.fit_report import fit_report
from glasslib.analysis.local_structure import closest_pair
from glasslib.analysis.water import water_intact_fraction
from glasslib.core.paths import data_dir, figures_dir
from glasslib.core.structures import Structures, concatenate
from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, cell_contents, generate
from glasslib.diffusion.training import load_checkpoint
from glasslib.plotting import label_panel
from glasslib.rmc import RMC, RMCConfig, random_start
from glasslib.spectra.kinds import KINDS
from glasslib.spectra.targets import Target, read_target

#: sizes per profile. n: structures per ensemble; steps: predictor steps; atoms: per case
PROFILES = {
    "smoke": dict(n=1, steps=10, atoms={"a-Si": 64, "SiO2": 96, "water": 96}),
    "default": dict(n=4, steps=200, atoms={"a-Si": 216, "SiO2": 192, "water": 192}),
    "paper": dict(n=8, steps=200, atoms={"a-Si": 512, "SiO2": 648, "water": 648}),
}
GUIDANCE_STEP = 1.0  # guidance RMS / score RMS per atom (the SampleConfig default)
RMC_SIGMA = 0.02  # σ of χ² for the measured S(Q) or F(Q)


@dataclass(frozen=True)
class MeasuredCase:
    """One measured dataset: ``name`` (short), ``label``, ``path`` under data/, the spectrum
    ``kind``, the sample ``composition`` ({element: fraction}) and ``formula``, its ``density``
    (g/cm³ of the model cell, with ``density_source``), the ``prior`` that covers it, the fitted Q
    window (Å⁻¹), the ``provenance`` line shown with the result and the sample's ``isotopes``
    where they are not natural (neutron scattering lengths, :attr:`glasslib.spectra.targets.Target.isotopes`)."""

    name: str
    label: str
    path: str
    kind: str
    composition: dict
    formula: str
    density: float
    density_source: str
    prior: str
    q_window: tuple[float, float]
    provenance: str
    isotopes: dict | None = None

    @property
    def checkpoint(self) -> Path:
        return data_dir() / "models" / self.prior / "checkpoint.pt"

    def available(self) -> str | None:
        """None when the case can run, else why not."""
        if not self.checkpoint.is_file():
            return f"no shipped prior {self.prior} yet (data/models/{self.prior}/checkpoint.pt)"
        return None


CASES = (
    MeasuredCase("a-Si", "a-Si, X-ray S(Q)", "a-Si/rosset2024_fig5_Sq_Laaziri_digitized.csv", "sq-xray", {"Si": 1.0},
                 "Si", 2.28, "a-Si about 2 % below c-Si (2.33 g/cm³)", "asi_sw_prior", (1.0, 20.0),
                 "Laaziri et al. 1999 (annealed a-Si), digitized from Rosset et al. 2024 Fig. 5"),
    MeasuredCase("SiO2", "vitreous SiO₂, neutron F(Q)", "SiO2/SiO2_NIMROD.mint01", "fq-neutron", {"Si": 1.0, "O": 2.0},
                 "SiO2", 2.20, "vitreous silica, 2.20 g/cm³", "sio2_vashishta_prior", (0.5, 20.0),
                 "NIMROD (ISIS) measurement, Gudrun .mint01 (data/PROVENANCE.md)"),
    MeasuredCase("water", "liquid D₂O, neutron S(Q)", "water_ice/water_SANDALS_SLS18502-D2O.mint01", "sq-neutron",
                 {"H": 2.0, "O": 1.0}, "H2O", 0.997,
                 "liquid water at 298 K as H₂O (the cell carries H masses; D₂O's molecular number density differs "
                 "by under 1 %)", "water_tip4p2005_prior", (0.5, 20.0),
                 "SANDALS (ISIS), D₂O at 298 K, Gudrun .mint01 (data/PROVENANCE.md); H scattered as D",
                 isotopes={"H": "D"}),
)


def read_case_target(case: MeasuredCase, box: float) -> Target:
    """The measured target of ``case`` (checked), restricted to its Q window and to Q ≥ 2π/L
    (the lowest Q a cubic cell of edge ``box`` Å represents)."""
    full = read_target(data_dir() / case.path, case.kind, composition=case.composition, sigma=RMC_SIGMA,
                       isotopes=case.isotopes)
    lo = max(case.q_window[0], 2 * torch.pi / box)
    keep = [(x, y) for x, y in zip(full.x, full.y) if lo <= x <= case.q_window[1]]
    return replace(full, x=tuple(x for x, _ in keep), y=tuple(y for _, y in keep))


@dataclass
class CaseResult:
    """Ensembles (``prior``, ``glass``, ``rmc``), their wall times (s) and the target of one case."""

    case: MeasuredCase
    target: Target
    ensembles: dict[str, Structures]
    seconds: dict[str, float]


def run_case(case: MeasuredCase, *, n: int, steps: int, atoms: int, seed: int = 0, device="cpu") -> CaseResult:
    """Sample the prior, the guided ensemble and the equal-wall-time RMC fit of one case."""
    config = SampleConfig(n=n, atoms=atoms, density=case.density, composition=case.formula, seed=seed, steps=steps,
                          guidance_step=GUIDANCE_STEP, device=str(device))
    prior = load_checkpoint(case.checkpoint, device)
    target = read_case_target(case, cell_contents(prior, config).box)
    ensembles, seconds = {}, {}
    for name, terms in (("prior", []), ("glass", [GuidanceTerm(target)])):
        t0 = time.perf_counter()
        ensembles[name] = generate(prior, config, terms).structures.to(dtype=torch.float64, device="cpu")
        seconds[name] = time.perf_counter() - t0
    per_structure = seconds["glass"] / n
    fits = []
    t0 = time.perf_counter()
    for k in range(n):
        start = random_start(case.composition, atoms, case.density, seed=seed + k)
        fit = RMC(start, [target], RMCConfig(seed=seed + k))
        fit.run(seconds=per_structure, log_every=max(per_structure / 10, 0.5))
        fits.append(fit.structures())
    seconds["rmc"] = time.perf_counter() - t0
    ensembles["rmc"] = concatenate(fits)
    return CaseResult(case, target, ensembles, seconds)


def case_record(result: CaseResult) -> dict:
    """JSON-ready numbers of one case: per ensemble the R-factor against the data, the spread over
    structures, wall time and the mean local structure (coordination by pair, angles, closest pair;
    for water the fraction of O with exactly two H within 1.2 Å)."""
    case = result.case
    record = {"label": case.label, "data": case.path, "provenance": case.provenance, "kind": case.kind,
              "density_g_cm3": case.density, "density_source": case.density_source, "prior": case.prior,
              "isotopes": case.isotopes,
              "q_window": [result.target.x[0], result.target.x[-1]], "points": len(result.target.x),
              "target_range": [min(result.target.y), max(result.target.y)], "ensembles": {}}
    for name, s in result.ensembles.items():
        rep = fit_report(s, [result.target], entropy=False)
        (t,) = rep["targets"]
        local = rep["local_structure"]
        record["ensembles"][name] = {
            "n_structures": s.n_systems,
            "seconds": round(result.seconds[name], 2),
            "r_factor": t["r_factor"],
            "r_factor_per_structure": t["r_factor_per_structure"],
            "coordination_mean": local.get("coordination_mean"),
            "coordination": {k.removeprefix("coordination_"): v for k, v in local.items()
                             if k.startswith("coordination_") and k != "coordination_mean" and isinstance(v, float)},
            "bond_angle_mean_deg": local.get("bond_angle_mean_deg"),
            "closest_pair_A": round(closest_pair(s), 4),
            "curve": t["curves"]["mean"],
        }
        if set(case.composition) == {"H", "O"}:
            record["ensembles"][name]["water_intact_fraction"] = water_intact_fraction(s)
    record["x"] = list(result.target.x)
    record["target"] = list(result.target.y)
    return record


def numbers(records: dict) -> dict:
    """The records without their curves (the notebook's JSON summary)."""
    out = {}
    for name, rec in records.items():
        out[name] = {k: v for k, v in rec.items() if k not in ("x", "target", "ensembles")}
        if "ensembles" in rec:
            out[name]["ensembles"] = {e: {k: v for k, v in d.items() if k != "curve"} for e, d in rec["ensembles"].items()}
    return out


COLORS = {"prior": "C0", "glass": "C3", "rmc": "C2"}


def figure(records: dict):
    """One panel per case: the data, the prior, GLASS and RMC mean spectra with their R-factors."""
    import matplotlib.pyplot as plt

    ran = {k: v for k, v in records.items() if "ensembles" in v}
    fig, axes = plt.subplots(1, max(len(ran), 1), figsize=(4.2 * max(len(ran), 1), 3.0), squeeze=False)
    for k, (ax, (name, rec)) in enumerate(zip(axes[0], ran.items())):
        kind = KINDS[rec["kind"]]
        ax.plot(rec["x"], rec["target"], color="k", lw=1.4, label="measured")
        for ens, e in rec["ensembles"].items():
            ax.plot(rec["x"], e["curve"], color=COLORS[ens], lw=1.0,
                    label=f"{ens.upper() if ens != 'prior' else 'prior'} (R = {e['r_factor']:.3f})")
        ax.set_xlabel("Q (Å⁻¹)")
        ax.set_ylabel(kind.label)
        label_panel(ax, chr(ord("a") + k), rec["label"])
        ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def default_figure_path() -> Path:
    return figures_dir() / "measured_data.png"


__all__ = ["PROFILES", "CASES", "MeasuredCase", "run_case", "case_record", "numbers", "figure", "read_case_target"]
