"""Study 02: reverse Monte Carlo fits of amorphous-silicon g(r), and what they get wrong.

* :func:`make_references`: the two targets, (A) the 216-atom GLASS/EPSR a-Si structure and
  (B) a 216-atom Stillinger–Weber (SW) a-Si made here, plus further SW replicas whose g(r)
  RMSE between each other is the **reference diversity** (the spread of one glass from
  finite-size noise alone);
* :func:`fit_gr`: one RMC fit of a target's g(r) (histogram, Δr = 0.05 Å, to half the box)
  from a random or a liquid start, for a fixed wall time, minimising

      χ² = Σ_k [g_model(r_k) − g_target(r_k)]² / σ²;

* what is not fitted: the local structure (:func:`glasslib.analysis.local_structure.local_structure`:
  coordination within 2.85 Å, four-fold fraction, bond-angle spread and the fraction of angles
  below 70°), as JSON by :func:`local_record`;
* :func:`rmc_record`: one fit's numbers next to its reference's; :func:`plot_rmc_baseline`
  draws the figure.

Units: Å, g/cm³, degrees, seconds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from glasslib.analysis import rmse
from glasslib.analysis import LocalStructure, local_structure
from glasslib.core.paths import data_path
from glasslib.core.structures import Structures, from_ase, read_structures
from glasslib.plotting import label_panel
from glasslib.rmc import RMC, RMCConfig, liquid_start, random_start
from glasslib.spectra.targets import Target
from glasslib.simulate import make_task, simulate
from glasslib.spectra import pair_distribution

PROFILES = {
    # n_sw: SW replicas (the first is target B); quench: K/ps; melt_time, anneal_time: ps;
    # seconds: wall time per RMC run; liquid_ps: time the liquid start is held at 3000 K
    "smoke": dict(n_sw=2, quench=1000.0, melt_time=2.0, anneal_time=1.0, seconds=4.0, liquid_ps=0.5),
    "default": dict(n_sw=3, quench=100.0, melt_time=5.0, anneal_time=5.0, seconds=30.0, liquid_ps=2.0),
    "paper": dict(n_sw=5, quench=10.0, melt_time=10.0, anneal_time=10.0, seconds=300.0, liquid_ps=5.0),
}

DR = 0.05  # Å, g(r) bin width of targets and fits
SIGMA = 0.02  # the one σ of χ²
STEP = 0.3  # Å, fixed maximum displacement per axis
BOND_CUTOFF = 2.85  # Å, first minimum of a-Si g(r)
MIN_DISTANCE = 2.0  # Å, closest approach of starts and moves
N_ATOMS, SW_DENSITY = 216, 2.33  # the SW references: atoms, g/cm³
STARTS = ("random", "liquid")
TARGET_A, TARGET_B = "A: GLASS/EPSR a-Si (2.50 g/cm³)", "B: SW a-Si (2.33 g/cm³)"


def fit_settings(profile: dict) -> dict:
    """The fixed fit settings of the JSON summary (Δr, σ, step, bond cutoff, seconds per run)."""
    return {"dr_A": DR, "sigma": SIGMA, "step_A": STEP, "bond_cutoff_A": BOND_CUTOFF,
            "seconds_per_run": profile["seconds"]}


def local_of(structure: Structures) -> LocalStructure:
    """Local structure of one structure, bonds shorter than 2.85 Å (the first minimum of g(r))."""
    return local_structure(structure, BOND_CUTOFF)


def local_record(ls: LocalStructure) -> dict:
    """The JSON numbers of a :class:`LocalStructure`: mean coordination, four-fold fraction,
    coordination counts ({n: atoms}), mean and standard deviation of the bond angles (degrees)
    and the fraction below 70° (three-membered rings and other triangles no tetrahedral network
    has)."""
    return {
        "coordination_mean": ls.coordination_mean,
        "fourfold_fraction": ls.fourfold_fraction,
        "coordination_counts": ls.coordination_counts,
        "angle_mean_deg": ls.angle_mean_deg,
        "angle_std_deg": ls.angle_std_deg,
        "angle_fraction_below_70": ls.angle_fraction_below_70,
    }


def rmc_grid(structure: Structures, dr: float = DR) -> torch.Tensor:
    """(n_r,) bin centres (k + ½)Δr up to half the shortest cell edge (Å), float64."""
    half = 0.5 * float(structure.cell[0].diagonal().min())
    return torch.arange(dr / 2, np.floor(half / dr + 1e-9) * dr, dr, dtype=torch.float64)


def histogram_gr(structure: Structures, r: torch.Tensor) -> torch.Tensor:
    """(n_r,) plain-histogram g(r) (σ = 0) of one structure on the grid r, as RMC computes it."""
    return pair_distribution(structure, r, sigma=0.0).g[0]


# ------------------------------------------------------------------ references
@dataclass(frozen=True)
class References:
    """The two targets and the SW replicas.

    ``targets``: {name: structure} for A and B (B is ``replicas[0]``); ``local``: their
    :class:`LocalStructure`; ``replicas``: the SW glasses; ``diversity``: g(r) RMSE of every
    pair of replicas; ``seconds``: time to make the replicas; ``quench_rate`` (K/ps).
    """

    targets: dict
    local: dict
    replicas: list
    diversity: list
    seconds: float
    quench_rate: float

    @property
    def diversity_mean(self) -> float:
        return float(np.mean(self.diversity))

    def records(self) -> tuple[dict, dict]:
        """``(references, sw_replicas)`` records of the JSON summary."""
        replica_local = [self.local[TARGET_B]] + [local_of(s) for s in self.replicas[1:]]
        sw = dict(n=len(self.replicas), quench_rate_K_per_ps=self.quench_rate, seconds=round(self.seconds, 1),
                  gr_rmse_between_replicas=self.diversity,
                  fourfold_fraction=[d.fourfold_fraction for d in replica_local],
                  angle_std_deg=[d.angle_std_deg for d in replica_local])
        return {name: local_record(d) for name, d in self.local.items()}, sw


def sw_replicas(n: int, *, quench: float, melt_time: float, anneal_time: float, seed: int = 0) -> list[Structures]:
    """``n`` melt-quenched 216-atom SW a-Si glasses at 2.33 g/cm³, seeds seed … seed + n − 1
    (LAMMPS; quench in K/ps, melt and anneal times in ps)."""
    return [from_ase(simulate(make_task("a-Si", n_atoms=N_ATOMS, density=SW_DENSITY, seed=seed + k,
                                        quench_rate=quench, melt_time=melt_time, anneal_time=anneal_time)))
            for k in range(n)]


def make_references(n_sw: int, quench: float, melt_time: float, anneal_time: float, *, seed: int = 0) -> References:
    """Target A (``data/a-Si/glass-epsr_Si_2.5_00.xyz``), ``n_sw`` SW replicas (:func:`sw_replicas`;
    the first is target B) and the g(r) RMSE between every pair of replicas on B's RMC grid."""
    epsr = read_structures(data_path("a-Si/glass-epsr_Si_2.5_00.xyz"))
    t0 = time.perf_counter()
    sw = sw_replicas(n_sw, quench=quench, melt_time=melt_time, anneal_time=anneal_time, seed=seed)
    seconds = time.perf_counter() - t0
    r = rmc_grid(sw[0])
    g = [histogram_gr(s, r) for s in sw]
    diversity = [float(rmse(g[a], g[b])) for a in range(len(sw)) for b in range(a + 1, len(sw))]
    targets = {TARGET_A: epsr, TARGET_B: sw[0]}
    return References(targets, {name: local_of(s) for name, s in targets.items()}, sw, diversity,
                      seconds, quench)


# ------------------------------------------------------------------ RMC fits
@dataclass(frozen=True)
class RMCRun:
    """One RMC fit: its ``target`` name and ``start`` kind, the finished :class:`RMC` ``fit``,
    the grid ``r`` (n_r,) Å, the target's, the start's and the fit's g(r) (n_r,), the
    :class:`LocalStructure` of the fitted and the start structure, and ``n_points`` fitted."""

    target: str
    start: str
    fit: RMC
    r: torch.Tensor
    g_target: torch.Tensor
    g_start: torch.Tensor
    g_fit: torch.Tensor
    local: LocalStructure
    start_local: LocalStructure
    n_points: int

    @property
    def start_gr_rmse(self) -> float:
        """g(r) RMSE of the start against the target (before the fit)."""
        return float(rmse(self.g_start, self.g_target))


def start_structure(kind: str, n_atoms: int, density: float, *, seed: int = 0, liquid_ps: float = 2.0) -> Structures:
    """A ``random`` start (uniform, every pair at least 2.0 Å apart) or a ``liquid`` start (SW
    Si held ``liquid_ps`` ps at 3000 K at the density, unquenched)."""
    if kind == "random":
        return random_start("Si", n_atoms, density, min_distance=MIN_DISTANCE, seed=seed)
    if kind == "liquid":
        return liquid_start("Si", n_atoms, density, seed=seed, time_ps=liquid_ps)
    raise ValueError(f"start must be one of {STARTS}, got {kind!r}")


def fit_gr(name: str, reference: Structures, start: str, *, seconds: float, liquid_ps: float,
           seed: int = 0) -> RMCRun:
    """Fit the g(r) of ``reference`` by RMC from a ``start`` at its density for ``seconds`` of
    wall time (fixed step 0.3 Å, σ = 0.02, closest approach 2.0 Å, χ² logged every 0.5 s)."""
    r = rmc_grid(reference)
    g_target = histogram_gr(reference, r)
    target = Target("gr", tuple(r.tolist()), tuple(g_target.tolist()), sigma=SIGMA, source=name)
    begin = start_structure(start, reference.n_atoms, float(reference.mass_density[0]), seed=seed, liquid_ps=liquid_ps)
    config = RMCConfig(r_max=float(r[-1]) + DR / 2, dr=DR, min_distance=MIN_DISTANCE, step=STEP, seed=seed)
    fit = RMC(begin, [target], config)
    g_start = histogram_gr(begin, r)
    fit.run(seconds=seconds, log_every=0.5)
    final = fit.structures()
    n_points = len(next(iter(fit.spectra().values()))["x"])
    return RMCRun(name, start, fit, r, g_target, g_start, histogram_gr(final, r), local_of(final), local_of(begin),
                  n_points)


def rmc_record(run: RMCRun, references: References) -> dict:
    """The JSON record of one fit: moves, rate, acceptance, χ², g(r) RMSE against the target
    and the reference diversity, and each local-structure number next to the reference's."""
    fit, d, ref = run.fit, run.local, references.local[run.target]
    return dict(
        target=run.target, start=run.start, moves=fit.moves, seconds=round(fit.elapsed, 1),
        moves_per_s=fit.moves / fit.elapsed, acceptance=fit.accepted / fit.moves, chi2=fit.chi2,
        gr_rmse=float(rmse(run.g_fit, run.g_target)), reference_diversity=references.diversity_mean,
        fourfold_fraction=d.fourfold_fraction, reference_fourfold_fraction=ref.fourfold_fraction,
        coordination_mean=d.coordination_mean, reference_coordination_mean=ref.coordination_mean,
        angle_std_deg=d.angle_std_deg, reference_angle_std_deg=ref.angle_std_deg,
        angle_fraction_below_70=d.angle_fraction_below_70,
        reference_angle_fraction_below_70=ref.angle_fraction_below_70,
        start_fourfold_fraction=run.start_local.fourfold_fraction,
        start_angle_std_deg=run.start_local.angle_std_deg)


# ------------------------------------------------------------------ figure
def plot_rmc_baseline(runs: list[RMCRun], references: References):
    """The 2×2 figure: (a) target and fitted g(r), (b) χ² per point against wall time,
    (c) coordination histograms, (d) bond-angle distributions. Returns the matplotlib figure."""
    import matplotlib.pyplot as plt


    colors = {"random": "C0", "liquid": "C3"}
    by = {(run.target, run.start): run for run in runs}
    names = list(references.targets)
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))

    ax = axes[0, 0]
    for k, t_name in enumerate(names):
        off = 2.5 * k
        ax.plot(by[t_name, "random"].r, by[t_name, "random"].g_target + off, color="k", lw=1.4,
                label="target" if k == 0 else None)
        for start in STARTS:
            ax.plot(by[t_name, start].r, by[t_name, start].g_fit + off, color=colors[start], lw=0.8,
                    label=f"RMC from {start}" if k == 0 else None)
        ax.text(7.9, off + 1.35, t_name.split(" (")[0], ha="right", fontsize=7)
    ax.set_xlabel("r (Å)"); ax.set_ylabel("g(r) (B offset by 2.5)"); ax.set_xlim(1.5, 8.0); ax.set_ylim(-0.2, 10.5)
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.93))
    errors = [float(rmse(run.g_fit, run.g_target)) for run in runs]
    label_panel(ax, "a", f"g(r) RMSE: fits {min(errors):.3f}–{max(errors):.3f}; "
                f"SW replicas {references.diversity_mean:.3f}")

    ax = axes[0, 1]
    for run in runs:
        h = run.fit.history
        ax.plot([row["time_s"] for row in h], [row["chi2"] / run.n_points for row in h], color=colors[run.start],
                ls="-" if run.target == names[0] else "--", label=f"{run.target.split(':')[0]}, {run.start}")
    ax.set_yscale("log"); ax.set_xlabel("wall time (s, one core)")
    ax.set_ylabel("χ² per point"); ax.legend(title="target, start", loc="upper right", bbox_to_anchor=(1.0, 0.93))
    label_panel(ax, "b", f"σ = {SIGMA}, step {STEP} Å")

    labels = ["ref A", "A random", "A liquid", "ref B", "B random", "B liquid"]
    descs = [d for t_name in names for d in (references.local[t_name], *(by[t_name, s].local for s in STARTS))]
    shades = ["k", "C0", "C3", "0.55", "C9", "C1"]
    ax = axes[1, 0]
    cns, width = range(2, 8), 0.13
    for k, (lab, d) in enumerate(zip(labels, descs)):
        total = sum(d.coordination_counts.values())
        frac = [d.coordination_counts.get(c, 0) / total for c in cns]
        ax.bar(np.array(list(cns)) + (k - 2.5) * width, frac, width, label=lab, color=shades[k])
    ax.set_xlabel(f"coordination (bonds < {BOND_CUTOFF} Å)"); ax.set_ylabel("fraction of atoms")
    ax.set_ylim(0, 1.0); ax.legend(ncols=2, loc="upper right", bbox_to_anchor=(1.0, 0.93))
    label_panel(ax, "c", "four-fold: " + ", ".join(f"{lab} {d.fourfold_fraction:.2f}"
                                                  for lab, d in zip(labels, descs) if "ref" in lab))

    ax = axes[1, 1]
    bins = np.arange(0, 181, 3.0)
    for lab, d, c, ls in zip(labels, descs, shades, ["-", "-", "-", "--", "--", "--"]):
        ax.hist(d.angles, bins=bins, density=True, histtype="step", color=c, ls=ls, lw=1.0,
                label=f"{lab}: std {d.angle_std_deg:.0f}°")
    ax.axvline(109.47, color="0.7", lw=0.6)
    ax.set_xlabel("bond angle (degrees)"); ax.set_ylabel("density (1/degree)")
    ax.set_ylim(0, 1.3 * ax.get_ylim()[1]); ax.legend(fontsize=7, loc="upper right", bbox_to_anchor=(1.0, 0.93))
    below = ", ".join(f"{100 * by[names[0], s].local.angle_fraction_below_70:.0f} %" for s in STARTS)
    label_panel(ax, "d", f"bond angles; RMC puts {below} below 70° "
                f"(ref A {100 * references.local[names[0]].angle_fraction_below_70:.0f} %)")
    fig.tight_layout()
    return fig
