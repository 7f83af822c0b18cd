"""Medium-density amorphous ice (notebook 08): from ice Ih to MDA under spectral guidance.

Ball-milled medium-density amorphous ice (MDA; Rosu-Finsen et al., Science 379, 474 (2023)) lies
between low- and high-density amorphous ice (LDA, HDA). No measured MDA data could be obtained
(``/work/shared/data/SOURCES.md``), so the target is **synthetic**: the declared set
``MDA-TIP4P2005-shear`` (system :data:`glasslib.simulate.systems.MDA_TIP4P2005`), ice Ih sheared
repeatedly in random directions at 80 K and 1 bar with TIP4P/2005, the simulation route reported
for MDA. A user's measured S(Q) file can replace it (:func:`read_user_target`).

The trajectory starts from ice Ih, not from noise: the ice Ih of the MDA cell (same molecule
count, scaled affinely to the target's density) noised to ``start_sigma`` Å and sampled from
there by :func:`glasslib.diffusion.generate.generate` with a :class:`~glasslib.diffusion.generate.Start`
(SDEdit), guided by the target's X-ray S(Q) and neutron S(Q) of D₂O (H scattering as D). The prior
alone breaks about one molecule in six on the way (its model card); with ``restraint="water"`` (the
notebook's default, :mod:`glasslib.diffusion.restraints`) each H is assigned to an O on the denoised
estimate and the molecules are held at the TIP4P/2005 geometry below σ = 1 Å. The same trajectory
without it is kept as the ensemble :data:`PRIOR_ONLY`, so that what the restraint changes is measured.

Numbers per structure (:func:`structure_record`): the density, the second-shell peak of g_OO(r)
(its position and height between :data:`SHELL2` Å), the ring statistics of the H-bond network
(one definition: Luzar & Chandler, r_OO < 3.5 Å and H–O_d···O_a < 30°, shortest-path rings,
:func:`glasslib.analysis.water.hydrogen_bonds`), the fraction of intact molecules and, against the
target's mean curve, the RMSE of g_OO(r) and of both S(Q) (the error E of
:mod:`glasslib.analysis.metrics`); the target's leave-one-out diversity D is the yardstick.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from glasslib.analysis.metrics import error_diversity, rmse, spectral_diversity
from glasslib.analysis.ovito_adapter import render
from glasslib.analysis.water import hydrogen_bonds, water_intact_fraction
from glasslib.core.errors import InputError
from glasslib.core.geometry import neighbor_pairs
from glasslib.core.paths import data_dir, figures_dir
from glasslib.core.structures import Structures, from_ase
from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, Start, generate
from glasslib.diffusion.training import load_checkpoint
from glasslib.plotting import label_panel
from glasslib.simulate import build_spec, read_dataset
from glasslib.simulate.ice import ice_ih_at_density
from glasslib.spectra.kinds import KINDS
from glasslib.spectra.rdf import pair_distribution
from glasslib.spectra.targets import Target, read_target

#: the reference sets (declared in data/specs/datasets.yaml) and the kind each record carries
REFERENCE_SETS = {"liquid": "water-TIP4P2005-liquid", "LDA": "LDA-TIP4P2005", "HDA": "HDA-TIP4P2005",
                  "ice-Ih": "ice-Ih"}
#: the smoke profile's: the same routes in small cells with short protocols (one structure each, minutes
#: to build on a fresh machine; the full sets take about an hour)
SMOKE_REFERENCE_SETS = {"liquid": "water-TIP4P2005-smoke", "LDA": "LDA-TIP4P2005-smoke",
                        "HDA": "HDA-TIP4P2005-smoke", "ice-Ih": "ice-Ih-smoke"}
#: sizes per profile. reference: structures read per reference set (the LDA and HDA sets declare 4);
#: reference_sets: which sets; mda_set: the synthetic target set; n: generated structures; steps:
#: sampler steps from start_sigma; snapshots: trajectory frames kept
PROFILES = {
    "smoke": dict(reference=1, reference_sets=SMOKE_REFERENCE_SETS, mda_set="MDA-TIP4P2005-shear-smoke", n=1,
                  steps=30, snapshots=4, ring_max=8),
    "default": dict(reference=4, reference_sets=REFERENCE_SETS, mda_set="MDA-TIP4P2005-shear", n=4, steps=100,
                    snapshots=5, ring_max=10),
    "paper": dict(reference=4, reference_sets=REFERENCE_SETS, mda_set="MDA-TIP4P2005-shear", n=8, steps=200,
                  snapshots=5, ring_max=10),
}
PRIOR = "water_tip4p2005_prior"
#: where the second O–O shell is looked for, Å (ice Ih 4.5 Å; it moves inwards and fades in HDA)
SHELL2 = (3.9, 5.2)
#: r grid of g_OO (Å) and the Q grid of both S(Q) (Å⁻¹; Q ≥ 2π/L of the 96-molecule cell)
R_GRID = torch.arange(1, 141, dtype=torch.float64) * 0.05
Q_GRID = torch.arange(1.0, 15.0001, 0.05, dtype=torch.float64)
GOO_SMEARING = 0.05
#: heavy water: H sites scatter as D (docs/conventions.md, isotopes)
D2O = {"H": "D"}
MEASURED_D2O = "water_ice/water_SANDALS_SLS18502-D2O.mint01"
#: the measured MDA density (Rosu-Finsen et al. 2023), used with a user's target file
MDA_DENSITY = 1.06
MODALITIES = ("goo", "sq-xray", "sq-neutron")
#: the record kind of the comparison ensemble: the same guided trajectory without the molecule restraint
PRIOR_ONLY = "MDA-generated-prior-only"


# ---------------------------------------------------------------------------------- spectra
def goo(s: Structures) -> torch.Tensor:
    """(S, R) partial g_OO(r) of every structure on :data:`R_GRID` (Gaussian smearing 0.05 Å)."""
    s = s.to(dtype=torch.float64, device="cpu")
    pd = pair_distribution(s, R_GRID, sigma=GOO_SMEARING, elements=(1, 8))
    return pd.partials[:, 1, 1]


def sq(s: Structures, kind: str) -> torch.Tensor:
    """(S, K) X-ray S(Q) or neutron S(Q) of D₂O on :data:`Q_GRID`."""
    s = s.to(dtype=torch.float64, device="cpu")
    return KINDS[kind].compute(s, Q_GRID, isotopes=D2O if kind == "sq-neutron" else None)


def spectra(s: Structures) -> dict[str, torch.Tensor]:
    """Every modality of :data:`MODALITIES` for every structure."""
    return {"goo": goo(s), "sq-xray": sq(s, "sq-xray"), "sq-neutron": sq(s, "sq-neutron")}


def second_shell(g: torch.Tensor) -> tuple[float, float]:
    """(r Å, height) of the maximum of one g_OO(r) within :data:`SHELL2`."""
    keep = (R_GRID > SHELL2[0]) & (R_GRID < SHELL2[1])
    k = int(g[keep].argmax())
    return float(R_GRID[keep][k]), float(g[keep][k])


def ring_fractions(s: Structures, max_ring_size: int = 10) -> dict[str, float]:
    """Ring size -> fraction of all rings (3..``max_ring_size``) of one structure's H-bond network."""
    counts = hydrogen_bonds(s, max_ring_size=max_ring_size)["hbond_ring_size_counts"]
    total = sum(counts.values())
    return {k: (v / total if total else 0.0) for k, v in sorted(counts.items(), key=lambda kv: int(kv[0]))}


# ---------------------------------------------------------------------------------- structures
def reference_structures(limit: int, sets: dict[str, str] | None = None) -> dict[str, Structures]:
    """The first ``limit`` structures of each reference set (``sets``: kind → declared set name,
    default :data:`REFERENCE_SETS`), built into the cache if missing."""
    return {kind: read_dataset(build_spec(name, limit=limit, progress=False).paths)
            for kind, name in (sets or REFERENCE_SETS).items()}


def mda_target_structures(name: str) -> Structures:
    """The synthetic MDA set (built into the cache if missing: LAMMPS, resumable)."""
    return read_dataset(build_spec(name, progress=False).paths)


def read_user_target(path, kind: str = "sq-xray", isotopes: dict | None = None) -> Target:
    """A user's measured MDA S(Q) (``sq-xray`` or ``sq-neutron``; the target reader's checks
    apply, a bad file is one line naming it), restricted to :data:`Q_GRID`'s range."""
    if kind not in ("sq-xray", "sq-neutron"):
        raise InputError(f"an MDA target file must be sq-xray or sq-neutron, got {kind!r}", path)
    t = read_target(path, kind, composition={"H": 2.0, "O": 1.0}, isotopes=isotopes)
    keep = [(x, y) for x, y in zip(t.x, t.y) if float(Q_GRID[0]) <= x <= float(Q_GRID[-1])]
    if len(keep) < 10:
        raise InputError(f"fewer than 10 points within Q = {float(Q_GRID[0])}-{float(Q_GRID[-1])} 1/A", path)
    return Target(t.kind, tuple(x for x, _ in keep), tuple(y for _, y in keep), t.sigma, None, t.source,
                  t.measurement, t.isotopes)


def ice_start(n_atoms: int, density: float, *, seed: int) -> Structures:
    """Proton-disordered ice Ih of ``n_atoms`` at ``density`` g/cm³ (the trajectory's start)."""
    return from_ase([ice_ih_at_density(n_atoms, density, seed=seed)])


# ---------------------------------------------------------------------------------- guided trajectory
@dataclass
class Trajectory:
    """Generated MDA structures, the first one's snapshots ``(σ Å, Structures)``, the start and timing."""

    structures: Structures
    snapshots: list = field(default_factory=list)
    start: Structures | None = None
    seconds: float = 0.0
    record: dict = field(default_factory=dict)


def guide_from_ice(targets: list[Target], start: Structures, *, n: int, steps: int, start_sigma: float,
                   snapshots: int, seed: int = 0, guidance_step: float = 1.0, device="cpu",
                   **sampler) -> Trajectory:
    """SDEdit from ``start`` at ``start_sigma`` Å, guided by ``targets``; keeps ``snapshots`` frames
    of structure 0 (evenly spaced predictor steps, the last one the final structure). ``sampler``:
    further :class:`SampleConfig` fields (``corrector_steps``, ``restarts``, ...)."""
    ckpt = load_checkpoint(data_dir() / "models" / PRIOR / "checkpoint.pt", device)
    config = SampleConfig(n=n, seed=seed, atoms=start.n_atoms, density=float(start.mass_density[0]),
                          composition="H2O", steps=steps, guidance_step=guidance_step, device=str(device), **sampler)
    # predictor steps kept (the sampler's own counter also counts corrector steps)
    keep = {round(k * (steps - 1) / max(snapshots - 2, 1)) for k in range(max(snapshots - 1, 1))}
    frames, counter = [], [0]

    def callback(info):
        if info["phase"] == "predictor":
            if counter[0] in keep:
                frames.append((float(info["sigma"]), info["x"][0].to(dtype=torch.float64, device="cpu")))
            counter[0] += 1

    t0 = time.perf_counter()
    out = generate(ckpt, config, [GuidanceTerm(t) for t in targets], start=Start(start, start_sigma),
                   callback=callback)
    seconds = time.perf_counter() - t0
    final = out.structures.to(dtype=torch.float64, device="cpu")
    noised = [(start_sigma, start.to(dtype=torch.float64))]
    return Trajectory(final, noised + frames[:-1] + [(0.0, final[0])], start, seconds, out.record)


# ---------------------------------------------------------------------------------- records
def structure_record(kind: str, s: Structures, k: int, curves: dict, target: dict, diversity: dict, *,
                     synthetic: bool, ring_max: int, loo: dict | None = None) -> dict:
    """One structure's numbers (module docstring). ``curves``: its spectra; ``target``: the target's
    mean curves; ``loo``: for a target replica, the mean of the other replicas (leave-one-out)."""
    r2, h2 = second_shell(curves["goo"])
    ref = loo or target
    error = {m: float(rmse(curves[m], ref[m])) for m in MODALITIES if m in ref}
    return {"kind": kind, "synthetic": synthetic, "replica": k, "density": round(float(s.mass_density[0]), 4),
            "n_atoms": s.n_atoms, "goo_shell2_r_A": round(r2, 3), "goo_shell2_height": round(h2, 4),
            "ring_fractions": ring_fractions(s, ring_max), "intact_molecules": water_intact_fraction(s),
            "closest_oo_A": closest_oo(s), "error": error, "diversity": diversity}


def closest_oo(s: Structures) -> float:
    """Closest O–O distance (Å) of one structure (within 3 Å; 3.0 if none)."""
    p = neighbor_pairs(s.to(dtype=torch.float64, device="cpu"), 3.0)
    oo = (s.species[p.i] == 8) & (s.species[p.j] == 8)
    return round(float(p.distances[oo].min()), 3) if bool(oo.any()) else 3.0


def records_for(kind: str, structures: Structures, target: dict, diversity: dict, *, synthetic: bool,
                ring_max: int, leave_one_out: bool = False) -> tuple[list[dict], dict]:
    """Records of every structure of one ensemble, and its spectra (S, K) per modality."""
    curves = spectra(structures)
    n = structures.n_systems
    out = []
    for k, one in enumerate(structures.split()):
        loo = None
        if leave_one_out and n > 1:
            loo = {m: (curves[m].sum(0) - curves[m][k]) / (n - 1) for m in curves}
        out.append(structure_record(kind, one, k, {m: c[k] for m, c in curves.items()}, target, diversity,
                                    synthetic=synthetic, ring_max=ring_max, loo=loo))
    return out, curves


def target_curves(mda: Structures | None, user: Target | None) -> tuple[dict, dict, dict | None]:
    """(mean target curve per modality, its diversity D per modality, the replicas' spectra or None).
    A user's file gives one modality on its own grid (interpolated onto :data:`Q_GRID`), no D."""
    if user is None:
        curves = spectra(mda)
        div = {m: float(spectral_diversity(c).mean()) for m, c in curves.items()} if mda.n_systems > 1 else {}
        return {m: c.mean(0) for m, c in curves.items()}, div, curves
    x, y = torch.tensor(user.x, dtype=torch.float64), torch.tensor(user.y, dtype=torch.float64)
    inside = (Q_GRID >= x[0]) & (Q_GRID <= x[-1])
    y_grid = torch.full_like(Q_GRID, float("nan"))
    y_grid[inside] = torch.from_numpy(np.interp(Q_GRID[inside].numpy(), x.numpy(), y.numpy()))
    return {user.kind: y_grid}, {}, None


def guidance_targets(mda: Structures | None, user: Target | None) -> list[Target]:
    """The guidance targets: the user's file, or the synthetic set's X-ray and D₂O neutron S(Q)."""
    if user is not None:
        return [user]
    src = "synthetic MDA (ice Ih under random shear, TIP4P/2005)"
    return [Target.from_structures("sq-xray", mda, Q_GRID, source=src),
            Target.from_structures("sq-neutron", mda, Q_GRID, source=src, isotopes=D2O)]


def acceptance(records: list[dict], summary_ed: dict) -> dict:
    """The claims checked on the generated MDA (mean over its structures) against LDA and HDA."""
    def mean(kind, key):
        vals = [r[key] for r in records if r["kind"] == kind]
        return sum(vals) / len(vals) if vals else math.nan

    def six(kind):
        vals = [r["ring_fractions"].get("6", 0.0) for r in records if r["kind"] == kind]
        return sum(vals) / len(vals) if vals else math.nan

    out = {}
    for key in ("goo_shell2_r_A", "goo_shell2_height"):
        lda, hda, gen = mean("LDA", key), mean("HDA", key), mean("MDA-generated", key)
        out[key] = {"LDA": lda, "HDA": hda, "MDA-target": mean("MDA-target", key), "MDA-generated": gen,
                    "between": bool(min(lda, hda) <= gen <= max(lda, hda))}
    out["shell2_between"] = out["goo_shell2_r_A"]["between"] or out["goo_shell2_height"]["between"]
    out["six_ring_fraction"] = {k: six(k) for k in ("liquid", "LDA", "MDA-target", "MDA-generated", "HDA")}
    out["six_ring_below_LDA"] = bool(out["six_ring_fraction"]["MDA-generated"] < out["six_ring_fraction"]["LDA"])
    out["closest_oo_A"] = {k: min((r["closest_oo_A"] for r in records if r["kind"] == k and "closest_oo_A" in r),
                                  default=math.nan) for k in ("LDA", "HDA", "MDA-target", "MDA-generated")}
    out["intact_molecules"] = mean("MDA-generated", "intact_molecules")
    out["intact_at_least_95"] = bool(out["intact_molecules"] >= 0.95)
    if any(r["kind"] == PRIOR_ONLY for r in records):
        out[PRIOR_ONLY] = {"intact_molecules": mean(PRIOR_ONLY, "intact_molecules"),
                           "goo_shell2_r_A": mean(PRIOR_ONLY, "goo_shell2_r_A"),
                           "goo_shell2_height": mean(PRIOR_ONLY, "goo_shell2_height"),
                           "six_ring_fraction": six(PRIOR_ONLY)}
    out["error_vs_diversity"] = summary_ed
    ratios = [v["error_over_diversity"] for v in summary_ed.values() if math.isfinite(v["error_over_diversity"])]
    out["error_within_2_diversity"] = bool(ratios) and all(r <= 2.0 for r in ratios)
    return out


def error_diversity_summary(generated: dict, replicas: dict | None) -> dict:
    """E, D and E/D per modality (:func:`glasslib.analysis.metrics.error_diversity`) of the generated
    spectra against the synthetic target's replicas (none for a user's single curve)."""
    if replicas is None or next(iter(replicas.values())).shape[0] < 2:
        return {}
    asym = {"goo": 1.0, "sq-xray": 1.0, "sq-neutron": 1.0}
    return {m: error_diversity(generated[m], replicas[m], asymptote=asym[m]).to_dict() for m in MODALITIES}


# ---------------------------------------------------------------------------------- figure
COLORS = {"liquid": "C0", "LDA": "C2", "HDA": "C3", "ice-Ih": "0.5", "MDA-target": "k", "MDA-generated": "C1",
          PRIOR_ONLY: "C5"}
LABELS = {"liquid": "liquid (TIP4P/2005)", "LDA": "LDA (TIP4P/2005)", "HDA": "HDA (TIP4P/2005)", "ice-Ih": "ice Ih",
          "MDA-target": "MDA target (synthetic, shear)", "MDA-generated": "MDA generated (GLASS)",
          PRIOR_ONLY: "MDA generated, prior alone (no restraint)"}
#: the ensembles of panels C and E, in legend order (panel D leaves out the prior-only one)
ENSEMBLES = ("liquid", "LDA", "MDA-target", "MDA-generated", PRIOR_ONLY, "HDA")


def render_snapshots(traj: Trajectory, folder: Path, size=(260, 260)) -> list[Path]:
    """One OVITO render per snapshot (O red, H white: OVITO's element colours)."""
    return [render(s, folder / f"snap{k}.png", size=size, camera_dir=(1.0, 0.3, -0.4))
            for k, (_, s) in enumerate(traj.snapshots)]


def figure(traj: Trajectory, curves: dict, measured: Target | None, records: list[dict], *, render_images=True):
    """A: renders along the trajectory; B: g_OO along it; C: g_OO of the ensembles (inset: second
    shell); D: X-ray and neutron S(Q) with the measured liquid D₂O; E: H-bond ring statistics. The
    generated ensemble's label names the molecule restraint of ``traj`` where it had one; the
    ensemble :data:`PRIOR_ONLY` (in ``curves`` and ``records``, if run) is drawn dotted in C, hatched in E."""
    import matplotlib.pyplot as plt
    from matplotlib.image import imread

    restraint = traj.record.get("config", {}).get("restraint")
    labels = {**LABELS, "MDA-generated": LABELS["MDA-generated"] + (f" + {restraint} restraint" if restraint else "")}
    n_snap = len(traj.snapshots)
    fig = plt.figure(figsize=(16, 8.4))
    outer = fig.add_gridspec(2, 1, height_ratios=[1, 1.25])
    top, bottom = outer[0].subgridspec(1, n_snap + 1), outer[1].subgridspec(1, 5)
    with tempfile.TemporaryDirectory(prefix="glasslib-mda-") as tmp:
        paths = render_snapshots(traj, Path(tmp)) if render_images else []
        for k, (sigma, _) in enumerate(traj.snapshots):
            ax = fig.add_subplot(top[0, k])
            if paths:
                ax.imshow(imread(paths[k]))
            ax.set_axis_off()
            what = "ice Ih start" if k == 0 else ("generated MDA" if sigma == 0 else f"σ = {sigma:.2f} Å")
            ax.set_title(what, fontsize=9)
            if k == 0:
                label_panel(ax, "A")
    ax_b, ax_c, ax_dx, ax_dn, ax_e = (fig.add_subplot(bottom[0, k]) for k in range(5))
    r = R_GRID.numpy()
    cmap = plt.get_cmap("viridis")
    for k, (sigma, s) in enumerate(traj.snapshots):
        lab = "ice Ih" if k == 0 else ("final" if sigma == 0 else f"σ {sigma:.2f} Å")
        ax_b.plot(r, goo(s)[0].numpy() + 2.0 * k, color=cmap(k / max(n_snap - 1, 1)), lw=1.0, label=lab)
    ax_b.set_xlabel("r (Å)")
    ax_b.set_ylabel("g_OO(r) + offset")
    ax_b.legend(fontsize=7, loc="upper right")
    label_panel(ax_b, "B", "along the trajectory")
    inset = ax_c.inset_axes([0.55, 0.45, 0.42, 0.42])
    for kind in ENSEMBLES:
        if kind not in curves:
            continue
        g = curves[kind]["goo"].mean(0).numpy()
        ls = {"MDA-target": "--", PRIOR_ONLY: ":"}.get(kind, "-")
        ax_c.plot(r, g, color=COLORS[kind], lw=1.1, ls=ls, label=labels[kind])
        inset.plot(r, g, color=COLORS[kind], lw=1.0, ls=ls)
    inset.set_xlim(3.6, 5.6)
    inset.set_ylim(0.6, 1.6)
    inset.tick_params(labelsize=7)
    inset.set_title("second shell", fontsize=7)
    ax_c.set_xlabel("r (Å)")
    ax_c.set_ylabel("g_OO(r)")
    label_panel(ax_c, "C")
    q = Q_GRID.numpy()
    for ax, kind in ((ax_dx, "sq-xray"), (ax_dn, "sq-neutron")):
        for k2 in ("liquid", "LDA", "MDA-target", "MDA-generated", "HDA"):
            if k2 in curves and kind in curves[k2]:
                ax.plot(q, curves[k2][kind].mean(0).numpy(), color=COLORS[k2], lw=1.0,
                        ls="--" if k2 == "MDA-target" else "-")
        ax.set_xlabel("Q (Å⁻¹)")
        ax.set_ylabel("X-ray S(Q)" if kind == "sq-xray" else "neutron S(Q), D₂O")
    if measured is not None:
        ax_dn.plot(measured.x, measured.y, color="0.3", lw=0, marker="o", ms=0.9, alpha=0.7,
                   label="liquid D₂O, measured (SANDALS)")
        ax_dn.legend(fontsize=7, loc="upper right")
    label_panel(ax_dx, "D", "X-ray")
    label_panel(ax_dn, "", "neutron")
    kinds = [k for k in ENSEMBLES if any(r["kind"] == k for r in records)]
    sizes = sorted({int(s) for r in records for s in r["ring_fractions"]})
    width = 0.8 / max(len(kinds), 1)
    for j, kind in enumerate(kinds):
        rs = [r for r in records if r["kind"] == kind]
        frac = [sum(r["ring_fractions"].get(str(s), 0.0) for r in rs) / len(rs) for s in sizes]
        ax_e.bar([s + (j - (len(kinds) - 1) / 2) * width for s in sizes], frac, width, color=COLORS[kind],
                 label=labels[kind], hatch="..." if kind == PRIOR_ONLY else None)
    ax_e.set_xlabel("ring size (H-bonded O)")
    ax_e.set_ylabel("fraction of rings")
    label_panel(ax_e, "E", "H-bond rings")
    key = fig.add_subplot(top[0, n_snap])
    key.set_axis_off()
    key.legend(*ax_e.get_legend_handles_labels(), loc="center", fontsize=8, title="C, D, E", title_fontsize=8)
    fig.tight_layout()
    return fig


def measured_liquid_d2o() -> Target:
    """The measured liquid D₂O neutron S(Q) (SANDALS, H as D) on the figure's Q range."""
    t = read_target(data_dir() / MEASURED_D2O, "sq-neutron", composition={"H": 2.0, "O": 1.0}, isotopes=D2O)
    keep = [(x, y) for x, y in zip(t.x, t.y) if float(Q_GRID[0]) <= x <= float(Q_GRID[-1])]
    return Target(t.kind, tuple(x for x, _ in keep), tuple(y for _, y in keep), source=t.source, isotopes=t.isotopes)


def default_figure_path() -> Path:
    return figures_dir() / "mda_ice.png"


__all__ = ["PROFILES", "REFERENCE_SETS", "SMOKE_REFERENCE_SETS", "goo", "sq", "spectra", "second_shell",
           "ring_fractions", "reference_structures", "mda_target_structures", "read_user_target", "ice_start", "guide_from_ice",
           "records_for", "target_curves", "guidance_targets", "acceptance", "error_diversity_summary", "figure",
           "measured_liquid_d2o", "default_figure_path"]
