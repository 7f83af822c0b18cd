"""Is measured amorphous silicon paracrystalline? (notebook 07): GLASS guided by crystalline–amorphous mixtures.

Reference mixtures come from the paracrystalline builder
(:class:`glasslib.simulate.paracrystalline.ParacrystallineBuilder`): a Stillinger–Weber melt-quench
matrix (the a-Si prior's own protocol: 3000 K for 5 ps, 100 K/ps to 300 K, 5 ps anneal) in which one
randomly oriented diamond grain of radius r is inserted, then 5 ps at 300 K and a minimisation. The
grain radius sets the crystalline fraction (no grain: the amorphous end). The sets are declared here
(:func:`mixture_specs`) and built through the dataset cache (content hash, atomic, resumable), like
every declared set.

Crystallinity, the one definition used throughout: the fraction of atoms that OVITO's
``IdentifyDiamondModifier`` labels cubic or hexagonal diamond, including its first- and
second-neighbour classes (``crystallinity`` of :func:`glasslib.analysis.crystallinity`). The reference
crystalline fraction of a set is the mean crystallinity of its structures.

Ensembles, all from the shipped a-Si prior in the same generated cell at 2.28 g/cm³ (216 atoms in the
default profile, the references' 1000 in the paper profile, any 8 m³ through :func:`with_atoms`) with the
one sampling recipe (:func:`glasslib.diffusion.generate.generate`):

* ``mixture``: guided by the mean g(r) of each mixture set;
* ``measured``: guided by the Laaziri et al. (1999) X-ray S(Q) (read and restricted as in notebook 06,
  :func:`glasslib.studies.measured_data.read_case_target`);
* ``melt-quench``: guided by the mean X-ray S(Q) of the held-out SW melt-quench structures on the same
  Q points (same kind as the measurement, so the comparison with ``measured`` is like for like);
* ``unconditional``: the prior alone.

Per structure the records hold the crystallinity, the error of its spectrum against its group's target
(RMSE, g(r) for mixtures, S(Q) otherwise) and the group's reference diversity (leave-one-out RMSE of the
reference replicas, :func:`glasslib.analysis.error_diversity`).

The start (``start_sigma`` of :func:`prepare`; notebook 07 uses 0.5 Å): every ensemble may be sampled
from the cell's diamond crystal (:func:`crystal_start`) noised to σ_start instead of from noise, as the MDA
study starts from ice Ih. From noise, the shipped prior makes no diamond order with any target: it has
never seen a crystal, and its samples read crystallinity 0 in 216- and 1000-atom cells alike. From the
crystal, what survives depends on σ_start. Measured on 216 atoms, 2 structures per ensemble:

* at 0.4 Å, the prior alone keeps 0.93 and 0.49 (so every ensemble inherits crystallinity from the start);
* at 0.5 Å, the prior alone keeps 0, guided by the melt-quench g(r) 0.08 and 0, by the measured S(Q) 0.44
  and 0.32.

0.5 Å is the smallest σ_start tried at which the prior alone forgets the crystal. Limits, also measured:
a 216-atom cell (16.4 Å) cannot hold a grain built into an amorphous matrix that the modifier
recognises (builder structures with one 5 or 6 Å grain read 0 after the 300 K relaxation), so the
generated crystallinity here is that of a crystal partly amorphised, not of grains.

The cell matters for the trend. The grains of the 9.5–12.4 Å sets (19–25 Å across) do not fit in the
default 216-atom cell (16.4 Å). Default references, σ_start 0.5 Å, 4 structures per ensemble, generated
crystallinity for the sets from amorphous to 12.4 Å (references 0.006 / 0.047 / 0.155 / 0.270 / 0.428):

* 216 atoms: 0.031 / 0.115 / 0.104 / 0.108 / 0.390, Spearman ρ 0.70;
* 1000 atoms (the references' cell): 0.101 / 0.072 / 0.155 / 0.221 / 0.246, ρ 0.90 (one swap, at the
  amorphous end); measured-S(Q) median 0.322 against 0.040 melt-quench-guided and 0.000 unguided.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from ase import Atoms

from glasslib.analysis import (bond_graph, crystallinity, dihedral_angles, error_diversity, rank_correlation, rmse,
                               spectral_diversity)
from glasslib.analysis.ovito_adapter import render
from glasslib.core.errors import InputError
from glasslib.core.paths import figures_dir
from glasslib.core.structures import Structures, from_ase
from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, Start, cell_contents, generate
from glasslib.diffusion.training import Checkpoint
from glasslib.plotting import label_panel
from glasslib.simulate import build_spec, read_dataset
from glasslib.simulate.datasets import DatasetSpec
from glasslib.simulate.placement import diamond_cells_per_edge, diamond_positions
from glasslib.spectra.targets import Target
from glasslib.studies.measured_data import CASES, read_case_target

#: sizes per profile. radii: grain radius per mixture set, Å (0: no grain); ref_atoms, ref_count:
#: atoms and structures per mixture set; ref_seed: seed of the first set (set k: ref_seed + 1000 k + replica;
#: disjoint across profiles and from data/specs/datasets.yaml); n: generated structures per ensemble; steps: predictor steps;
#: atoms: generated cell; protocol, relax_time: the mixtures' melt-quench (ps) and 300 K relaxation
PROFILES = {
    "smoke": dict(radii=(0.0, 6.9), ref_atoms=216, ref_count=2, ref_seed=810500, n=2, steps=8, atoms=64,
                  protocol={"melt_time": 2.0, "anneal_time": 1.0}, quench_rate=500.0, relax_time=1.0),
    "default": dict(radii=(0.0, 7.5, 9.5, 11.0, 12.4), ref_atoms=1000, ref_count=3, ref_seed=810000, n=4, steps=200, atoms=216,
                    protocol={"melt_time": 5.0, "anneal_time": 5.0}, quench_rate=100.0, relax_time=5.0),
    "paper": dict(radii=(0.0, 6.0, 7.5, 8.5, 9.5, 10.5, 11.5, 12.4), ref_atoms=1000, ref_count=8, ref_seed=830000,
                  n=8, steps=200, atoms=1000, protocol={"melt_time": 5.0, "anneal_time": 5.0}, quench_rate=100.0, relax_time=5.0),
}
DENSITY = 2.28  # g/cm³, a-Si about 2 % below c-Si, the density of notebook 06's a-Si case
PRIOR = CASES[0]  # the a-Si measured case: Laaziri S(Q), asi_sw_prior
MELT_QUENCH = "aSi-SW-prior-heldout"  # SW melt-quench at 2.28 g/cm³, the prior's protocol, never trained on
GR_SMEARING = 0.05  # Å
BOND_CUTOFF = 2.85  # Å, first minimum of a-Si g(r)
GUIDANCE_STEP = 1.0  # guidance RMS / score RMS per atom (the SampleConfig default)
TARGETS = ("mixture", "measured", "melt-quench", "unconditional")


def with_atoms(profile: dict, atoms: int) -> dict:
    """``profile`` with a generated cell of ``atoms`` Si atoms (8 m³, so that :func:`crystal_start` fills it:
    64, 216, 512, 1000, ...); the references are unchanged. One-line error otherwise."""
    if not isinstance(atoms, (int, np.integer)) or isinstance(atoms, bool):
        raise InputError(f"atoms must be an integer 8 m^3 (64, 216, 512, 1000, ...), got {atoms!r}")
    diamond_cells_per_edge(int(atoms))  # the crystal start's own check
    return {**profile, "atoms": int(atoms)}


def mixture_specs(profile: dict) -> list[DatasetSpec]:
    """The declared mixture sets of a profile, one per grain radius (radius 0: no grain)."""
    specs = []
    for k, r in enumerate(profile["radii"]):
        options = {"n_grains": 1 if r > 0 else 0, "grain_radius": r if r > 0 else 1.0,  # radius unused without a grain
                   "relax_time": profile["relax_time"]}
        name = f"aSi-mixture-{profile['ref_atoms']}-" + (f"r{r:g}" if r > 0 else "amorphous")
        specs.append(DatasetSpec.from_dict({
            "name": name, "system": "a-Si-paracrystalline", "n_atoms": profile["ref_atoms"], "densities": [DENSITY],
            "quench_rates": [profile["quench_rate"]], "count": profile["ref_count"],
            "seed": profile["ref_seed"] + 1000 * k,
            "protocol": dict(profile["protocol"]), "options": options, "role": "reference",
            "description": f"SW a-Si matrix with one {r:g} A diamond grain" if r > 0 else "SW a-Si, no grain"}))
    return specs


def load_mixtures(profile: dict) -> list[Structures]:
    """The mixture sets of ``profile`` from the dataset cache (simulated if missing)."""
    return [read_dataset(build_spec(spec, progress=False).paths) for spec in mixture_specs(profile)]


def r_grid(box: float) -> torch.Tensor:
    """g(r) grid of the guidance targets and the comparison: 0.05 Å steps up to min(8 Å, L/2)."""
    return torch.arange(1, int(min(8.0, box / 2) / 0.05) + 1, dtype=torch.float64) * 0.05


def spectra(target: Target, x: Structures, smearing: float | None = None) -> torch.Tensor:
    """(S, K) spectra of ``x`` on the target's grid as the guidance computes them (float64, CPU)."""
    with torch.no_grad():
        y = target.observable(smearing=smearing)(x.to(device="cpu", dtype=torch.float64))
    return y.reshape(x.n_systems, -1).double()


def crystallinities(x: Structures) -> list[float]:
    """Crystallinity of every structure (module docstring: OVITO cubic + hexagonal diamond)."""
    return [c["crystallinity"] for c in crystallinity(x.to(device="cpu", dtype=torch.float64))]


def dihedrals(x: Structures) -> np.ndarray:
    """|φ| (degrees) of every bond path i–j–k–l of every structure (bonds < :data:`BOND_CUTOFF`)."""
    x = x.to(device="cpu", dtype=torch.float64)
    return np.concatenate([dihedral_angles(bond_graph(s, cutoff=BOND_CUTOFF)) for s in x.split()])


def staggered_fraction(x: Structures, tolerance: float = 15.0) -> list[float]:
    """Per structure, the fraction of dihedrals within ``tolerance`` degrees of 60° or 180° (diamond's
    staggered values; a continuous order measure beside the crystallinity, not a guidance target)."""
    out = []
    for s in x.split():
        phi = dihedrals(s)
        near = (np.abs(phi - 60.0) <= tolerance) | (phi >= 180.0 - tolerance)
        out.append(float(near.mean()) if phi.size else 0.0)
    return out


@dataclass
class Group:
    """One ensemble and what it is compared with: ``target`` (one of :data:`TARGETS`), the reference
    fraction (None where none), the guidance target (None: unconditional), the reference structures
    (None where there are none) and the generated structures with their wall time."""

    target: str
    fraction: float | None
    guidance: Target | None
    references: Structures | None
    generated: Structures | None = None
    seconds: float = 0.0
    label: str = ""
    smearing: float | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class StudyData:
    """Everything the figure and the records need; ``start``: the noised crystal every ensemble is sampled
    from (None: from noise at σ_max)."""

    groups: list[Group]
    measured: Target
    box: float
    r: torch.Tensor
    config: dict
    start: Start | None = None


def crystal_start(atoms: int, box: float) -> Structures:
    """Cubic diamond filling the generated cell of edge ``box`` Å (``atoms`` = 8 m³,
    :func:`glasslib.simulate.placement.diamond_positions`): the crystal sampling may start from."""
    positions = diamond_positions(atoms, box, min_distance=1.0)
    return from_ase([Atoms(f"Si{atoms}", positions=positions, cell=[box] * 3, pbc=True)])


def prepare(profile: dict, ckpt: Checkpoint, *, seed: int, guidance_step: float = GUIDANCE_STEP,
            device="cpu", start_sigma: float | None = None) -> StudyData:
    """The reference sets (built if missing), their fractions and the guidance targets; ``guidance_step``:
    guidance RMS / score RMS per atom of every guided ensemble; ``start_sigma``: Å, sample every ensemble
    from the diamond crystal of the cell (:func:`crystal_start`) noised to that σ (None: from noise)."""
    config = SampleConfig(n=profile["n"], seed=seed, atoms=profile["atoms"], density=DENSITY, composition="Si",
                          steps=profile["steps"], guidance_step=guidance_step, device=str(device))
    box = cell_contents(ckpt, config).box
    r = r_grid(box)
    groups = []
    for spec, refs in zip(mixture_specs(profile), load_mixtures(profile)):
        frac = float(np.mean(crystallinities(refs)))
        target = Target.from_structures("gr", refs, r, smearing=GR_SMEARING, source=f"mean g(r) of {spec.name}")
        groups.append(Group("mixture", frac, target, refs, label=spec.name, smearing=GR_SMEARING,
                            extra={"grain_radius_A": spec.options["grain_radius"] * spec.options["n_grains"]}))
    measured = read_case_target(PRIOR, box)
    mq_name = "aSi-SW-smoke" if profile["atoms"] < 216 else MELT_QUENCH
    mq = read_dataset(build_spec(mq_name, progress=False).paths)
    mq_target = Target.from_structures("sq-xray", mq, measured.x, source=f"mean X-ray S(Q) of {mq_name}")
    groups += [Group("measured", None, measured, None, label=PRIOR.provenance),
               Group("melt-quench", None, mq_target, mq, label=mq_name),
               Group("unconditional", None, None, None, label="prior alone")]
    start = None if start_sigma is None else Start(crystal_start(profile["atoms"], box), start_sigma)
    return StudyData(groups, measured, box, r, config.to_dict(), start)


def sample(data: StudyData, ckpt: Checkpoint, *, seed: int) -> None:
    """Fill every group's generated structures (seeds: unconditional ``seed``, then ``seed + 1``, ...)."""
    base = SampleConfig(**data.config)
    for k, g in enumerate(data.groups):
        s = seed if g.guidance is None else seed + 1 + k
        terms = [] if g.guidance is None else [GuidanceTerm(g.guidance, 1.0, smearing=g.smearing)]
        t0 = time.perf_counter()
        out = generate(ckpt, SampleConfig(**{**base.to_dict(), "seed": s}), terms, start=data.start)
        g.seconds = time.perf_counter() - t0
        g.generated = out.structures.to(device="cpu", dtype=torch.float64)


def _error_target(data: StudyData, g: Group) -> Target:
    """The spectrum a group's errors are measured on: its guidance target, and for the prior alone
    the measured S(Q)."""
    return data.measured if g.guidance is None else g.guidance


def records(data: StudyData) -> tuple[list[dict], dict]:
    """One record per generated or reference structure (fields in the module docstring) and the
    per-group numbers (error against diversity, crystallinity statistics, R-factors against the data)."""
    out, groups = [], {}
    y_meas = torch.tensor(data.measured.uniform().y, dtype=torch.float64)
    meas_obs = data.measured.uniform()
    for g in data.groups:
        t = _error_target(data, g).uniform()
        kind = t.kind
        gen = spectra(t, g.generated, g.smearing)
        ref = spectra(t, g.references, g.smearing) if g.references is not None else None
        center = ref.mean(0) if ref is not None else torch.tensor(t.y, dtype=torch.float64)
        div = spectral_diversity(ref) if ref is not None and ref.shape[0] > 1 else None
        d_mean = float(div.mean()) if div is not None else None
        err = rmse(gen, center.expand_as(gen))
        cryst = crystallinities(g.generated)
        stag = staggered_fraction(g.generated)
        sq = spectra(meas_obs, g.generated)
        r_meas = (((sq - y_meas) ** 2).sum(1) / (y_meas ** 2).sum()).sqrt()
        key = g.label if g.target == "mixture" else g.target
        for i in range(g.generated.n_systems):
            out.append({"target": g.target, "source": "generated", "fraction": g.fraction, "replica": i,
                        "crystallinity": cryst[i], "gr_error": float(err[i]), "error_kind": kind, "diversity": d_mean,
                        "r_factor_measured": float(r_meas[i]), "staggered_dihedral_fraction": stag[i],
                        "set": g.label})
        summary = {"target": g.target, "fraction": g.fraction, "set": g.label, "error_kind": kind,
                   "seconds_per_structure": g.seconds / g.generated.n_systems,
                   "crystallinity_mean": float(np.mean(cryst)), "crystallinity_std": float(np.std(cryst, ddof=1)),
                   "crystallinity_median": float(np.median(cryst)), "staggered_dihedral_fraction": float(np.mean(stag)),
                   "r_factor_measured_of_mean": float((((sq.mean(0) - y_meas) ** 2).sum() / (y_meas ** 2).sum()).sqrt()),
                   **g.extra}
        if ref is not None:
            ed = error_diversity(gen, ref, asymptote=1.0)
            rc, rstag = crystallinities(g.references), staggered_fraction(g.references)
            summary.update(error=ed.error, diversity=ed.diversity, delta_ed=ed.delta_ed,
                           error_within_diversity=bool(ed.error <= ed.diversity),
                           reference_crystallinity_mean=float(np.mean(rc)),
                           reference_crystallinity_std=float(np.std(rc, ddof=1)), n_references=len(rc),
                           reference_staggered_dihedral_fraction=float(np.mean(rstag)),
                           reference_atoms=int(g.references.n_atoms_per_system[0]))
            for i in range(g.references.n_systems):
                out.append({"target": g.target, "source": "reference", "fraction": g.fraction, "replica": i,
                            "crystallinity": rc[i], "gr_error": float(div[i]), "error_kind": kind,
                            "diversity": d_mean, "r_factor_measured": None, "staggered_dihedral_fraction": rstag[i],
                            "set": g.label})
        else:
            summary.update(error=float(err.mean()))
        groups[key] = summary
    return out, groups


def acceptance(groups: dict) -> dict:
    """The study's claims as numbers: crystallinity tracks the reference fraction (Spearman ρ of the
    generated mean against the reference fraction, :func:`glasslib.analysis.metrics.rank_correlation`;
    undefined for fewer than three fractions), guided error within the reference diversity, and
    measured-target crystallinity against the unconditional and melt-quench-target samples."""
    mix = sorted((g for g in groups.values() if g["target"] == "mixture"), key=lambda g: g["fraction"])
    ref = [g["fraction"] for g in mix]
    gen = [g["crystallinity_mean"] for g in mix]
    rho = rank_correlation(ref, gen, min_points=3)
    stag = [g.get("staggered_dihedral_fraction", float("nan")) for g in mix]
    rho_stag = rank_correlation(ref, stag, min_points=3)
    by = {g["target"]: g for g in groups.values() if g["target"] != "mixture"}
    med = {k: by[k]["crystallinity_median"] for k in ("measured", "unconditional", "melt-quench")}
    return {
        "reference_fractions": ref,
        "generated_crystallinity": gen,
        "underprediction": [r - c for r, c in zip(ref, gen)],
        "spearman_rho": None if np.isnan(rho) else float(rho),
        "tracks_fraction": bool(not np.isnan(rho) and rho >= 0.9),
        "generated_staggered_dihedral_fraction": stag,
        "spearman_rho_staggered": None if np.isnan(rho_stag) else float(rho_stag),
        "error_within_diversity_all": bool(all(g["error_within_diversity"] for g in mix)),
        "medians": med,
        "measured_above_zero": bool(med["measured"] > 0),
        "measured_above_others": bool(med["measured"] > max(med["unconditional"], med["melt-quench"])),
    }


# ---------------------------------------------------------------------------------- figure
ENSEMBLE_COLORS = {"measured": "C3", "melt-quench": "C0", "unconditional": "0.5"}


def _representative(x: Structures) -> int:
    """Index of the structure whose crystallinity is the ensemble's median (the lower one for even sizes)."""
    c = np.asarray(crystallinities(x))
    return int(np.argsort(c)[(len(c) - 1) // 2])


def render_panel(data: StudyData, folder: Path) -> tuple[list, list[str], list[tuple]]:
    """OVITO renders (coloured by diamond type) of a reference and a generated structure of the most
    crystalline mixture and of the median measured-target sample: (images, titles, legend entries)."""
    import matplotlib.image as mpimg
    from ovito.modifiers import IdentifyDiamondModifier

    mix = max((g for g in data.groups if g.target == "mixture"), key=lambda g: g.fraction)
    meas = next(g for g in data.groups if g.target == "measured")
    picks = [(mix.references, 0, f"reference\nf = {100 * mix.fraction:.0f} %"),
             (mix.generated, _representative(mix.generated), f"generated\n(f = {100 * mix.fraction:.0f} % target)"),
             (meas.generated, _representative(meas.generated), "generated\n(measured target)")]
    images, titles = [], []
    for k, (x, i, title) in enumerate(picks):
        path = render(x, folder / f"render_{k}.png", index=i, color_by="diamond", size=(320, 320))
        images.append(mpimg.imread(path))
        titles.append(f"{title}\ncrystallinity {crystallinities(x[i])[0]:.2f}")
    mod = IdentifyDiamondModifier()
    mod.structures[0].color = (0.6, 0.6, 0.6)  # as render() sets "other"
    legend = [(t.name.lower(), tuple(t.color)) for t in mod.structures]
    return images, titles, legend


def figure(data: StudyData, recs: list[dict], groups: dict, accept: dict, render_dir: Path):
    """Panels A–F (the module docstring; the notebook explains each)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    mix = sorted((g for g in data.groups if g.target == "mixture"), key=lambda g: g.fraction)
    cmap = plt.get_cmap("viridis")
    colors = [cmap(0.85 * k / max(len(mix) - 1, 1)) for k in range(len(mix))]
    fig, axes = plt.subplots(2, 3, figsize=(14, 8.2))

    ax = axes[0, 0]
    for k, (g, c) in enumerate(zip(mix, colors)):
        ref = spectra(g.guidance, g.references, g.smearing)
        ax.plot(data.r, ref.mean(0) + 1.0 * k, color=c, lw=1.0, label=f"f = {100 * g.fraction:.0f} %")
    ax.set_xlabel("r (Å)"); ax.set_ylabel("g(r) (offset by 1 per set)"); ax.set_xlim(1.5, float(data.r[-1]))
    ax.legend(loc="center right", fontsize=7)
    label_panel(ax, "A", "reference mixtures (paracrystalline builder)")

    ax = axes[0, 1]
    bins = np.arange(0, 181, 5.0)
    for g, c in zip(mix, colors):
        ax.hist(dihedrals(g.generated), bins=bins, density=True, histtype="step", color=c, lw=1.1,
                label=f"f = {100 * g.fraction:.0f} %: staggered {groups[g.label]['staggered_dihedral_fraction']:.2f}"
                      f" (reference {groups[g.label]['reference_staggered_dihedral_fraction']:.2f})")
        ax.hist(dihedrals(g.references), bins=bins, density=True, histtype="step", color=c, lw=0.7, ls=":")
    for a in (60.0, 180.0):
        ax.axvline(a, color="0.75", lw=0.6)
    ax.set_xlabel("dihedral angle |φ| (degrees)"); ax.set_ylabel("density (1/degree)")
    ax.set_ylim(0, 1.3 * ax.get_ylim()[1]); ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, 0.93))
    label_panel(ax, "B", "dihedrals of generated (solid) and references (dotted)")

    ax = axes[0, 2]
    for g, c in zip(mix, colors):
        s = groups[g.label]
        ax.errorbar(s["reference_crystallinity_mean"], s["crystallinity_mean"], yerr=s["crystallinity_std"],
                    xerr=s["reference_crystallinity_std"], fmt="o", color=c, capsize=3)
    top = max(0.05, 1.1 * max(max(accept["reference_fractions"]), max(accept["generated_crystallinity"])))
    ax.plot([0, top], [0, top], color="0.6", lw=0.8, ls="--", label="generated = reference")
    ax.set_xlim(-0.02, top); ax.set_ylim(-0.02, top)
    ax.set_xlabel("reference crystallinity"); ax.set_ylabel("generated crystallinity (mean ± std)")
    rho = accept["spearman_rho"]
    ax.legend(loc="lower right")
    label_panel(ax, "C", "Spearman ρ = " + ("undefined (constant)" if rho is None else f"{rho:.2f}"))

    ax = axes[1, 0]
    images, titles, legend = render_panel(data, render_dir)
    ax.axis("off")
    for k, (img, title) in enumerate(zip(images, titles)):
        sub = ax.inset_axes([k / 3 + 0.005, 0.3, 1 / 3 - 0.01, 0.58])
        sub.imshow(img); sub.axis("off"); sub.set_title(title, fontsize=7)
    ax.legend(handles=[Patch(color=c, label=n) for n, c in legend], loc="lower center", ncol=2, fontsize=7,
              bbox_to_anchor=(0.5, 0.0))
    label_panel(ax, "D", "OVITO IdentifyDiamond types")

    ax = axes[1, 1]
    meas = data.measured.uniform()
    ax.plot(meas.x, meas.y, color="k", lw=1.4, label="measured (Laaziri 1999)")
    ins = ax.inset_axes([0.5, 0.45, 0.47, 0.4])
    ins.plot(meas.x, meas.y, color="k", lw=1.2)
    for g in data.groups:
        if g.target in ENSEMBLE_COLORS:
            y = spectra(meas, g.generated).mean(0)
            lab = f"{g.target}{'-guided' if g.guidance is not None else ''} (R = {groups[g.target]['r_factor_measured_of_mean']:.3f})"
            ax.plot(meas.x, y, color=ENSEMBLE_COLORS[g.target], lw=0.9, label=lab)
            ins.plot(meas.x, y, color=ENSEMBLE_COLORS[g.target], lw=0.9)
    ins.set_xlim(meas.x[0], 3.0); ins.set_ylim(0.0, 1.05 * max(v for q, v in zip(meas.x, meas.y) if q <= 3.0))
    ins.set_title("first peak (medium range)", fontsize=7); ins.tick_params(labelsize=6)
    ax.set_xlabel("Q (Å⁻¹)"); ax.set_ylabel("X-ray S(Q)"); ax.legend(loc="lower right", fontsize=7)
    label_panel(ax, "E", "generated S(Q) against the measured target")

    ax = axes[1, 2]
    names = ["measured", "unconditional", "melt-quench"]
    vals = [[r["crystallinity"] for r in recs if r["target"] == n and r["source"] == "generated"] for n in names]
    ax.boxplot(vals, showmeans=False)
    ax.set_xticks(range(1, len(names) + 1), ["measured\ntarget", "unconditional", "melt-quench\ntarget"])
    for k, v in enumerate(vals):
        ax.scatter(np.full(len(v), k + 1.0) + np.linspace(-0.08, 0.08, len(v)), v, color=ENSEMBLE_COLORS[names[k]],
                   s=12, zorder=3)
    ax.set_ylabel("crystallinity")
    label_panel(ax, "F", "medians " + ", ".join(f"{n} {accept['medians'][n]:.3f}" for n in names))
    fig.tight_layout()
    return fig


def default_figure_path() -> Path:
    return figures_dir() / "asi_paracrystallinity.png"


__all__ = ["PROFILES", "TARGETS", "with_atoms", "mixture_specs", "load_mixtures", "prepare", "sample", "records", "acceptance",
           "figure", "default_figure_path", "spectra", "crystallinities", "dihedrals", "staggered_fraction", "r_grid"]
