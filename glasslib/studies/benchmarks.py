"""Benchmark of the paper's Fig. 2 (notebook 09): GLASS against RMC on five systems, every modality.

For each benchmark system (:data:`SYSTEMS`: a-C, a-Si, SiO₂, Cu–Zr, Zr–Ni–Al) whose prior is
shipped, the **reference ensemble** is the prior's held-out set (``heldout`` in
data/specs/priors.yaml: unseen density, composition or cooling rate), and every target is the
mean spectrum of that ensemble. In one cubic cell at the reference's composition and density,
four methods make ``n`` structures each:

* ``glass-unconditional``: the prior alone (:func:`glasslib.diffusion.generate.generate`);
* ``glass-conditional``: the prior guided by one modality's target (``guided_on``), one run per
  guided modality, its wall time per structure measured;
* ``rmc-random`` / ``rmc-liquid``: reverse Monte Carlo (:class:`glasslib.rmc.RMC`) fitting the
  same target, each fit run for conditional GLASS's wall time per structure on that modality,
  from a random start or from a short high-temperature MD liquid of the system with its own
  potential (:func:`liquid_starts`, cached outside git).

Every ensemble is evaluated on every modality (``evaluated_on``: the four of :data:`GUIDED` plus
the system's XAS surrogate, :data:`BenchSystem.surrogates`) with error, diversity and
ΔED = E − D (:func:`glasslib.analysis.error_diversity`, docs/metrics.md), and its local structure
(coordination, closest pair, bond-angle spread and fraction below 70°, with the bond cutoffs of
:data:`glasslib.studies.prior_cards.CARDS`). :func:`figure` draws the figure.

Units: Å, Å⁻¹, degrees, g/cm³, seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from ase.data import atomic_numbers, chemical_symbols, covalent_radii

from glasslib.analysis import error_diversity
from glasslib.analysis.local_structure import closest_pair, closest_pairs
from glasslib.analysis.metrics import ASYMPTOTES
from glasslib.core.formula import parse_formula
from glasslib.core.paths import cache_dir, data_dir, figures_dir
from glasslib.core.structures import Structures, concatenate, read_structures, write_extxyz
from glasslib.diffusion.cell_contents import training_set_summary
from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, cell_contents, generate
from glasslib.diffusion.priors import load_priors
from glasslib.diffusion.training import load_checkpoint
from glasslib.rmc import RMC, RMCConfig, liquid_start, random_start
from glasslib.simulate import build_spec, get_spec, read_dataset
from glasslib.spectra.kinds import KINDS
from glasslib.spectra.targets import Target
from glasslib.studies.prior_cards import CARDS, angle_stats, bonded, coordination, of_composition

#: sizes per profile. systems: which (None: all); n: replicas per ensemble; steps: predictor
#: steps; atoms: per system; guided: guided modalities; densities: a-Si densities of panel D
#: (references: the prior's training groups at those densities); liquid_ps: MD time of the
#: liquid starts (LAMMPS systems; CHGNet ones take ``liquid_ps_chgnet``)
PROFILES = {
    "smoke": dict(systems=("a-Si",), n=1, steps=10, atoms={"a-Si": 64}, guided=("gr", "adf", "sq-xray", "sq-neutron"),
                  densities=(), ood=False, liquid_ps=0.2, liquid_ps_chgnet=0.05),
    "default": dict(systems=None, n=3, steps=80, atoms={"a-Si": 96, "a-C": 96, "SiO2": 96, "CuZr": 100, "ZrNiAl": 64},
                    guided=("gr", "adf", "sq-xray", "sq-neutron"), densities=(2.1, 2.5), ood=True,
                    liquid_ps=1.0, liquid_ps_chgnet=0.1),
    "paper": dict(systems=None, n=8, steps=200, atoms={"a-Si": 216, "a-C": 216, "SiO2": 192, "CuZr": 500, "ZrNiAl": 64},
                  guided=("gr", "adf", "sq-xray", "sq-neutron"), densities=(2.1, 2.2, 2.3, 2.4, 2.5), ood=True,
                  liquid_ps=2.0, liquid_ps_chgnet=0.2),
}
METHODS = ("rmc-random", "rmc-liquid", "glass-unconditional", "glass-conditional")
GUIDED = ("gr", "adf", "sq-xray", "sq-neutron")
GUIDANCE_STEP = 1.0  # guidance RMS / score RMS per atom (the SampleConfig default)
CLOSEST_FRACTION = 0.85  # RMC closest approach: this × the reference's closest pair (at most the covalent default)
Q_MAX = 20.0  # Å⁻¹, the S(Q) kinds' default


@dataclass(frozen=True)
class BenchSystem:
    """One benchmark system: its ``prior``, the simulated ``engine_system`` its liquid starts use,
    the ADF neighbour cutoff (Å, first minimum of the total g(r)), the r range of g(r) (Å) and the
    XAS surrogate kinds it is evaluated on."""

    name: str
    prior: str
    engine_system: str
    adf_cutoff: float
    r_max: float
    surrogates: tuple[str, ...] = ()

    @property
    def checkpoint(self) -> Path:
        return data_dir() / "models" / self.prior / "checkpoint.pt"

    @property
    def heldout(self) -> str:
        return load_priors()[self.prior].heldout

    def available(self) -> str | None:
        """None when the system can run, else why not."""
        if not self.checkpoint.is_file():
            return f"no shipped prior {self.prior} (data/models/{self.prior}/checkpoint.pt)"
        return None

    @property
    def card(self):
        return CARDS[self.prior]


SYSTEMS = {
    "a-C": BenchSystem("a-C", "ac_tersoff_prior", "a-C-Tersoff", 1.85, 4.8, ("xanes",)),
    "a-Si": BenchSystem("a-Si", "asi_sw_prior", "a-Si-SW", 2.85, 6.0),
    "SiO2": BenchSystem("SiO2", "sio2_vashishta_prior", "SiO2-Vashishta", 2.0, 5.5),
    "CuZr": BenchSystem("CuZr", "cuzr_mendelev_prior", "CuZr-Mendelev", 3.6, 6.0, ("exafs",)),
    "ZrNiAl": BenchSystem("ZrNiAl", "zrnial_chgnet_prior", "ZrNiAl-CHGNet", 3.5, 5.0),
}


# ------------------------------------------------------------------------ references and grids
def reference_sets(system: BenchSystem) -> dict[str, Structures]:
    """The held-out structures by composition label (one entry unless the set mixes compositions,
    Cu–Zr), the prior's default composition first."""
    held = read_dataset(build_spec(get_spec(system.heldout), progress=False).paths)
    labels = [training_set_summary(s)["default"]["composition"] for s in held.split()]
    first = training_set_summary(held)["default"]["composition"]
    order = sorted({tuple(sorted(parse_formula(x).items())): x for x in labels}.values(),
                   key=lambda x: parse_formula(x) != parse_formula(first))
    return {label: of_composition(held, label) for label in order}


def density_references(densities) -> dict[float, Structures]:
    """a-Si training structures (aSi-SW-prior) grouped by density, for the across-density panel."""
    train = read_dataset(build_spec(get_spec(load_priors()["asi_sw_prior"].datasets[0]), progress=False).paths)
    d = np.array([round(float(v), 2) for v in train.mass_density])
    parts = train.split()
    return {float(x): concatenate([parts[k] for k in np.flatnonzero(d == round(x, 2))]) for x in densities}


def grids(system: BenchSystem, box: float, surrogates=True) -> dict[str, dict]:
    """Per evaluated modality: its grid and compute options (smearing, cutoff). r up to the
    system's ``r_max`` (at most half the cell); Q from 2π/L (the lowest Q the cell represents) to
    20 Å⁻¹; the ADF with the system's neighbour cutoff; XAS surrogates on their own grids."""
    r_max = min(system.r_max, 0.5 * box)
    q_min = math.ceil(2 * math.pi / box / 0.05) * 0.05
    out = {"gr": dict(grid=torch.arange(1, int(r_max / 0.05 + 1e-9) + 1, dtype=torch.float64) * 0.05),
           "adf": dict(grid=KINDS["adf"].default_grid(), cutoff=system.adf_cutoff)}
    for kind in ("sq-xray", "sq-neutron"):
        out[kind] = dict(grid=torch.arange(q_min, Q_MAX + 1e-9, 0.05, dtype=torch.float64))
    for kind in system.surrogates if surrogates else ():
        out[kind] = dict(grid=KINDS[kind].default_grid())
    return out


def spectra(x: Structures, kind: str, spec: dict) -> torch.Tensor:
    """(S, K) spectrum ``kind`` of every structure of ``x`` (float64, CPU, no gradient)."""
    with torch.no_grad():
        y = KINDS[kind].compute(x.to(device="cpu", dtype=torch.float64), spec["grid"], cutoff=spec.get("cutoff"))
    return y.reshape(x.n_systems, -1)


def target(kind: str, reference: Structures, spec: dict, source: str) -> Target:
    return Target.from_structures(kind, reference.to(dtype=torch.float64), spec["grid"], cutoff=spec.get("cutoff"),
                                  source=source)


# ------------------------------------------------------------------------ local structure
def local_columns(x: Structures, system: BenchSystem) -> dict:
    """Local-structure columns of an ensemble: mean coordination of the card's first pair (and
    every pair), closest pair (Å) and its ratio to the covalent sum, and for bonded systems
    (cards with angles) the bond-angle standard deviation and fraction below 70°."""
    card = system.card
    graphs = bonded(x, card)
    coord = {p: coordination(graphs, p) for p in card.coordination}
    close = {k: v for k, v in closest_pairs(x).items() if v is not None}
    ratio = min(v / float(sum(covalent_radii[atomic_numbers[s]] for s in k.split("-"))) for k, v in close.items())
    out = {"coordination": coord[card.coordination[0]], "coordination_by_pair": coord,
           "closest_pair_A": closest_pair(x), "closest_over_covalent": ratio,
           "angle_std_deg": None, "angle_fraction_below_70": None}
    if card.angles:
        a = angle_stats(graphs, card.angles[0])
        out.update(angle_std_deg=a["std_deg"], angle_fraction_below_70=a["fraction_below_70"])
    return out


# ------------------------------------------------------------------------ starts
def closest_approach(reference: Structures) -> dict[str, float]:
    """RMC closest approach per species pair: :data:`CLOSEST_FRACTION` × the reference's closest
    pair, at most RMC's default (0.9 × the covalent sum); metals need it below the covalent
    default, at which a random start of a metallic glass cannot be packed."""
    out = {}
    for name, d in closest_pairs(reference).items():
        cov = 0.9 * sum(float(covalent_radii[atomic_numbers[s]]) for s in name.split("-"))
        out[name] = round(min(cov, CLOSEST_FRACTION * d) if d is not None else cov, 3)
    return out


def liquid_starts(system: BenchSystem, species: dict, atoms: int, density: float, *, n: int, seed: int,
                  time_ps: float) -> list[Structures]:
    """``n`` liquids (seeds ``seed``, ``seed + 1``, …): the system held ``time_ps`` ps at its melt
    temperature with its own potential (LAMMPS, or ASE + CHGNet for Zr–Ni–Al), unquenched
    (:func:`glasslib.rmc.liquid_start`). Cached as extxyz under ``<cache>/benchmarks/liquids``."""
    folder = cache_dir() / "benchmarks" / "liquids"
    comp = "".join(f"{s}{c}" for s, c in species.items())
    out = []
    for k in range(n):
        path = folder / f"{system.engine_system}-{comp}-{density:.4f}-{time_ps:g}ps-seed{seed + k}.extxyz"
        if path.is_file():
            out.append(read_structures(path))
            continue
        s = liquid_start(species, atoms, density, seed=seed + k, system=system.engine_system, time_ps=time_ps)
        folder.mkdir(parents=True, exist_ok=True)
        write_extxyz(s, path)
        out.append(s)
    return out


def start_structure(start: str, species: dict, atoms: int, density: float, *, seed: int, min_distance: dict,
                    liquids: list[Structures] | None) -> Structures:
    if start == "random":
        return random_start(species, atoms, density, seed=seed, min_distance=min_distance)
    return liquids[seed % len(liquids)]


# ------------------------------------------------------------------------ one system
@dataclass
class Ensemble:
    """Structures of one (method, guided_on) and their wall time per structure (s)."""

    method: str
    guided_on: str | None
    structures: Structures
    seconds_per_structure: float


def run_glass(ckpt, config: SampleConfig, terms) -> tuple[Structures, float]:
    t0 = time.perf_counter()
    x = generate(ckpt, config, terms).structures.to(dtype=torch.float64, device="cpu")
    return x, (time.perf_counter() - t0) / config.n


def run_rmc(start: str, tgt: Target, species: dict, atoms: int, density: float, *, n: int, seed: int, seconds: float,
            min_distance: dict, liquids) -> tuple[Structures, float]:
    fits = []
    t0 = time.perf_counter()
    for k in range(n):
        s0 = start_structure(start, species, atoms, density, seed=seed + k, min_distance=min_distance, liquids=liquids)
        fit = RMC(s0, [tgt], RMCConfig(seed=seed + k, min_distance=min_distance))
        fit.run(seconds=seconds, log_every=max(seconds / 5, 0.5))
        fits.append(fit.structures())
    return concatenate(fits), (time.perf_counter() - t0) / n


def run_system(system: BenchSystem, *, n: int, steps: int, atoms: int, guided=GUIDED, seed: int = 0,
               liquid_ps: float = 1.0, reference: tuple[str, Structures] | None = None, methods=METHODS,
               device="cpu") -> dict:
    """Every ensemble of one system against ``reference`` (name, structures; default: the held-out
    set at the prior's default composition), in a cell of its composition and mean density.

    Returns a dict with ``reference`` (label), ``ref`` (structures), ``specs`` (grids),
    ``ensembles`` (list of :class:`Ensemble`), ``liquid`` (how the liquid starts were made) and
    ``cell`` (the sampled cell's composition, atoms, density and edge)."""
    if reference is None:
        refs = reference_sets(system)
        label = next(iter(refs))
        reference = (f"{system.heldout}:{label}" if len(refs) > 1 else system.heldout, refs[label])
    name, ref = reference
    label = training_set_summary(ref)["default"]["composition"]
    ckpt = load_checkpoint(system.checkpoint, device)
    density = round(float(ref.mass_density.mean()), 4)
    base = SampleConfig(n=n, seed=seed, atoms=atoms, density=density, composition=label, steps=steps,
                        guidance_step=GUIDANCE_STEP, device=str(device))
    cell = cell_contents(ckpt, base)
    specs = grids(system, min(cell.box, float(ref.cell[0, 0, 0])))
    species = {chemical_symbols[int(z)]: int((cell.species == z).sum()) for z in cell.species.unique()}
    min_distance = closest_approach(ref)
    out = {"reference": name, "ref": ref, "specs": specs, "ensembles": [],
           "cell": {"composition": cell.composition, "atoms": cell.atoms, "density_g_cm3": cell.density,
                    "box_A": cell.box}, "rmc_min_distance_A": min_distance}
    if "glass-unconditional" in methods:
        x, sec = run_glass(ckpt, base, [])
        out["ensembles"].append(Ensemble("glass-unconditional", None, x, sec))
    liquids = None
    if "rmc-liquid" in methods:
        time_ps = liquid_ps
        t0 = time.perf_counter()
        liquids = liquid_starts(system, species, cell.atoms, cell.density, n=n, seed=seed + 100, time_ps=time_ps)
        out["liquid"] = {"engine_system": system.engine_system, "temperature_K": float(liquids[0].info[0]["temperature_K"]),
                         "time_ps": time_ps, "seconds_to_make_or_load": round(time.perf_counter() - t0, 1)}
    for k, kind in enumerate(guided):
        tgt = target(kind, ref, specs[kind], f"mean {kind} of {name}")
        x, sec = run_glass(ckpt, SampleConfig(**{**base.to_dict(), "seed": seed + 1 + k}),
                           [GuidanceTerm(tgt, 1.0)])
        if "glass-conditional" in methods:
            out["ensembles"].append(Ensemble("glass-conditional", kind, x, sec))
        for start in ("random", "liquid"):
            if f"rmc-{start}" in methods:
                y, rsec = run_rmc(start, tgt, species, cell.atoms, cell.density, n=n, seed=seed + 10 * (k + 1),
                                  seconds=sec, min_distance=min_distance, liquids=liquids)
                out["ensembles"].append(Ensemble(f"rmc-{start}", kind, y, rsec))
    return out


def evaluate(system: BenchSystem, run: dict) -> list[dict]:
    """Tidy records of one :func:`run_system` result: one per (method, guided_on, evaluated_on)."""
    ref, specs = run["ref"], run["specs"]
    ref_y = {kind: spectra(ref, kind, spec) for kind, spec in specs.items()}
    records = []
    for e in run["ensembles"]:
        local = local_columns(e.structures, system)
        for kind, spec in specs.items():
            ed = error_diversity(spectra(e.structures, kind, spec), ref_y[kind], asymptote=ASYMPTOTES.get(kind))
            records.append({"system": system.name, "reference": run["reference"], "method": e.method,
                            "guided_on": e.guided_on, "evaluated_on": kind, "error": ed.error,
                            "diversity": ed.diversity, "delta_ed": ed.delta_ed, "error_normalized": ed.error_normalized,
                            "diversity_normalized": ed.diversity_normalized,
                            "delta_ed_normalized": ed.delta_ed_normalized, "n_replicas": e.structures.n_systems,
                            "n_reference": ref.n_systems, "seconds_per_structure": round(e.seconds_per_structure, 2),
                            "atoms": e.structures.n_atoms // e.structures.n_systems,
                            "density_g_cm3": run["cell"]["density_g_cm3"], **local})
    return records


def reference_local(system: BenchSystem, ref: Structures) -> dict:
    """Local-structure columns of the reference ensemble (what the methods are compared with)."""
    return {"system": system.name, **local_columns(ref, system)}


def curves(run: dict, kinds=GUIDED) -> dict:
    """Mean spectra for panel F: per guided modality, the reference and each method guided on it
    (and the unconditional prior), on that modality's grid."""
    out = {}
    for kind in kinds:
        spec = run["specs"][kind]
        entry = {"x": spec["grid"].tolist(), "reference": spectra(run["ref"], kind, spec).mean(0).tolist()}
        for e in run["ensembles"]:
            if e.guided_on in (kind, None):
                entry[e.method] = spectra(e.structures, kind, spec).mean(0).tolist()
        out[kind] = entry
    return out


def coverage(records: list[dict], main_refs: dict) -> dict:
    """Per system (its main reference) and method: guided modalities, evaluated modalities and
    the fewest replicas of any record (what the acceptance of the grid asks)."""
    out = {}
    for system, ref in main_refs.items():
        rs = [r for r in records if r["system"] == system and r["reference"] == ref]
        out[system] = {m: {"n_guided": len({r["guided_on"] for r in rs if r["method"] == m and r["guided_on"]}),
                           "n_evaluated": len({r["evaluated_on"] for r in rs if r["method"] == m}),
                           "min_replicas": min((r["n_replicas"] for r in rs if r["method"] == m), default=0),
                           "records": sum(r["method"] == m for r in rs)} for m in METHODS}
    return out


# ------------------------------------------------------------------------ the paper's claims
def _find(records, **keys):
    return [r for r in records if all(r.get(k) == v for k, v in keys.items())]


def claims(records: list[dict], references: dict) -> dict:
    """The paper's four claims checked on the main grid (each system's first reference).

    * conditional < unconditional error on the guided modality, per system and modality;
    * conditional ΔED ≤ 0 on g(r) (guided on g(r)), per system;
    * local structure of conditional GLASS closer to the reference than RMC's (both starts) at
      equal wall time: |Δ| of coordination, closest pair and (bonded systems) fraction of angles
      below 70°, per system and guided modality;
    * a-Si: the guidance modality with the lowest mean normalised ΔED over all evaluated modalities.
    """
    out = {"cond_beats_uncond": {}, "cond_delta_ed_gr_le_0": {}, "local_closer_than_rmc": {}}
    main = {s: references[s]["reference"] for s in references}
    for system, ref_name in main.items():
        rs = [r for r in records if r["system"] == system and r["reference"] == ref_name]
        if not rs:
            continue
        loc = references[system]
        for kind in {r["guided_on"] for r in rs if r["guided_on"]}:
            (c,) = _find(rs, method="glass-conditional", guided_on=kind, evaluated_on=kind)
            (u,) = _find(rs, method="glass-unconditional", evaluated_on=kind)
            out["cond_beats_uncond"][f"{system}/{kind}"] = {"conditional": c["error"], "unconditional": u["error"],
                                                            "holds": c["error"] < u["error"]}
            keys = ["coordination", "closest_pair_A"] + (["angle_fraction_below_70"] if c["angle_std_deg"] is not None else [])
            for start in ("rmc-random", "rmc-liquid"):
                (m,) = _find(rs, method=start, guided_on=kind, evaluated_on=kind)
                d = {k: (abs(c[k] - loc[k]), abs(m[k] - loc[k])) for k in keys}
                out["local_closer_than_rmc"][f"{system}/{kind}/{start}"] = {
                    **{k: {"glass": v[0], "rmc": v[1]} for k, v in d.items()},
                    "holds": all(v[0] <= v[1] for v in d.values())}
        gr = _find(rs, method="glass-conditional", guided_on="gr", evaluated_on="gr")
        if gr:
            out["cond_delta_ed_gr_le_0"][system] = {"delta_ed": gr[0]["delta_ed"], "holds": gr[0]["delta_ed"] <= 0}
    asi = [r for r in records if r["system"] == "a-Si" and r["method"] == "glass-conditional"
           and r["reference"] == main.get("a-Si")]
    if asi:
        means = {k: float(np.mean([r["delta_ed_normalized"] for r in asi if r["guided_on"] == k]))
                 for k in dict.fromkeys(r["guided_on"] for r in asi)}
        out["asi_mean_delta_ed_normalized_by_guidance"] = means
        out["asi_best_guidance"] = min(means, key=means.get)
    for key in ("cond_beats_uncond", "cond_delta_ed_gr_le_0", "local_closer_than_rmc"):
        out[f"{key}_fraction"] = float(np.mean([v["holds"] for v in out[key].values()])) if out[key] else None
    return out


# ------------------------------------------------------------------------ figure
LABELS = {"gr": "g(r)", "adf": "ADF", "sq-xray": "S(Q) X-ray", "sq-neutron": "S(Q) neutron", "xanes": "XANES*",
          "exafs": "EXAFS*"}
HATCH = {"rmc-random": "//", "rmc-liquid": "..", "glass-unconditional": "", "glass-conditional": "xx"}
LINE = {"rmc-random": ("C2", ":"), "rmc-liquid": ("C1", ":"), "glass-unconditional": ("C0", "--"),
        "glass-conditional": ("C3", "-")}
X_LABEL = {"gr": "r (Å)", "adf": "θ (deg)", "sq-xray": "Q (Å⁻¹)", "sq-neutron": "Q (Å⁻¹)"}
Y_LABEL = {"gr": "g(r)", "adf": "ADF (deg⁻¹)", "sq-xray": "S(Q), X-ray", "sq-neutron": "S(Q), neutron"}


def _title(ax, letter: str, text: str) -> None:
    ax.set_title(f"{letter}  {text}".strip(), loc="left", fontsize=9, fontweight="bold" if letter else None)


def _bars(ax, groups, norm, cmap, width=0.8):
    """Bars of E/A per group (list of (x label, [(method, record)])), filled by ΔED/A, hatched by
    method, with the reference diversity D/A as a black tick."""
    for i, (_, items) in enumerate(groups):
        w = width / max(len(items), 1)
        for j, (method, r) in enumerate(items):
            x = i - width / 2 + (j + 0.5) * w
            ax.bar(x, r["error_normalized"], w, color=cmap(norm(r["delta_ed_normalized"])), hatch=HATCH[method],
                   edgecolor="k", lw=0.5)
        if items:
            ax.hlines(items[0][1]["diversity_normalized"], i - width / 2, i + width / 2, color="k", lw=1.5)
    ax.set_xticks(range(len(groups)), [g[0] for g in groups])


def figure(records: list[dict], curves_asi: dict, main_refs: dict, skipped: dict):
    """Panels B–G of the benchmark figure (the notebook's caption says what each shows)."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.patches import Patch

    fig = plt.figure(figsize=(16, 11.5))
    gs = fig.add_gridspec(3, 4, height_ratios=[1, 1, 0.9], hspace=0.45, wspace=0.3)
    vals = [r["delta_ed_normalized"] for r in records]
    lim = max(abs(min(vals, default=-1)), abs(max(vals, default=1)), 1e-3)
    norm, cmap = TwoSlopeNorm(0.0, -lim, lim), plt.get_cmap("RdBu_r")
    main = [r for r in records if r["reference"] == main_refs.get(r["system"])]

    ax = fig.add_subplot(gs[0, 0:2])
    groups = []
    for system in [s for s in SYSTEMS if s in main_refs]:
        rs = [r for r in main if r["system"] == system and r["evaluated_on"] == "gr"]
        groups.append((system, [(m, r) for m in METHODS for r in rs
                                if r["method"] == m and r["guided_on"] in (("gr",) if m != "glass-unconditional" else (None,))]))
    _bars(ax, groups, norm, cmap)
    ax.set_ylabel("g(r) error E/A (guided on g(r))")
    ax.legend(handles=[Patch(facecolor="w", edgecolor="k", hatch=HATCH[m], label=m) for m in METHODS] +
              [plt.Line2D([], [], color="k", lw=1.5, label="reference diversity D/A")], fontsize=7, ncol=3,
              loc="upper right")
    ax.set_ylim(0, 1.35 * ax.get_ylim()[1])
    title = "error per system × method" + (f"; skipped: {', '.join(skipped)}" if skipped else "")
    _title(ax, "B", title)

    asi = [r for r in main if r["system"] == "a-Si" and r["method"] == "glass-conditional"]
    ax = fig.add_subplot(gs[0, 2])
    kinds = list(dict.fromkeys(r["guided_on"] for r in asi))
    _bars(ax, [(LABELS[k], [("glass-conditional", r) for r in asi if r["guided_on"] == k and r["evaluated_on"] == k])
               for k in kinds], norm, cmap)
    ax.set_ylabel("error E/A on the guided modality")
    ax.tick_params(axis="x", labelsize=7)
    _title(ax, "C", "a-Si, conditional GLASS")

    ax = fig.add_subplot(gs[0, 3])
    dens = [r for r in records if r["system"] == "a-Si" and r["method"] == "glass-conditional" and r["guided_on"] == "gr"
            and (r["reference"] == main_refs.get("a-Si") or "@" in r["reference"])]
    for k, kind in enumerate(GUIDED):
        rs = sorted((r for r in dens if r["evaluated_on"] == kind), key=lambda r: r["density_g_cm3"])
        x = [r["density_g_cm3"] for r in rs]
        ax.plot(x, [r["diversity_normalized"] for r in rs], color="0.5", lw=0.8, marker="os^v"[k], mfc="none", ms=4)
        ax.scatter(x, [r["error_normalized"] for r in rs], c=[r["delta_ed_normalized"] for r in rs], cmap=cmap,
                   norm=norm, marker="os^v"[k], edgecolors="k", label=LABELS[kind], zorder=3)
    ax.set_xlabel("density (g/cm³)")
    ax.set_ylabel("E/A (filled), D/A (open)")
    ax.set_yscale("log")
    ax.legend(fontsize=7, title="evaluated on", title_fontsize=7)
    _title(ax, "D", "a-Si, guided on g(r), across densities")

    ax = fig.add_subplot(gs[1, 0])
    cu = [r for r in records if r["system"] == "CuZr" and r["evaluated_on"] == "gr"
          and r["method"] in ("glass-unconditional", "glass-conditional") and r["guided_on"] in (None, "gr")]
    if cu:
        refs = list(dict.fromkeys(r["reference"] for r in cu))
        _bars(ax, [(ref.split(":")[-1], [(r["method"], r) for r in cu if r["reference"] == ref]) for ref in refs],
              norm, cmap)
        ax.set_ylabel("g(r) error E/A")
    else:
        ax.text(0.5, 0.5, "Cu–Zr skipped:\n" + skipped.get("CuZr", "not run"), ha="center", va="center",
                transform=ax.transAxes, fontsize=7, wrap=True)
        ax.set_xticks([])
    _title(ax, "E", "Cu–Zr, held-out compositions")

    ax = fig.add_subplot(gs[1, 1:3])
    evald = list(dict.fromkeys(r["evaluated_on"] for r in asi))
    m = np.array([[next((r["delta_ed_normalized"] for r in asi if r["guided_on"] == g and r["evaluated_on"] == e),
                        np.nan) for e in evald] for g in kinds])
    im = ax.imshow(m, cmap=cmap, norm=norm, aspect="auto")
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, f"{v:+.2f}", ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(evald)), [LABELS[e] for e in evald], fontsize=7)
    ax.set_yticks(range(len(kinds)), [LABELS[k] for k in kinds], fontsize=7)
    ax.set_xlabel("evaluated on"); ax.set_ylabel("guided on")
    _title(ax, "G", "a-Si, condition on one, evaluate on all: ΔED/A")
    cax = fig.add_subplot(gs[1, 3])
    cax.set_position([cax.get_position().x0, cax.get_position().y0, 0.012, cax.get_position().height])
    fig.colorbar(im, cax=cax, label="ΔED/A (< 0: within the reference spread)")

    for k, (kind, c) in enumerate(curves_asi.items()):
        ax = fig.add_subplot(gs[2, k])
        ax.plot(c["x"], c["reference"], color="k", lw=1.6, label="reference mean")
        for method, (color, ls) in LINE.items():
            if method in c:
                ax.plot(c["x"], c[method], color=color, ls=ls, lw=1.0, label=method)
        ax.set_xlabel(X_LABEL[kind]); ax.set_ylabel(Y_LABEL[kind])
        if kind == "adf":
            ax.set_xlim(30, 180)
        if k == 0:
            ax.legend(fontsize=6)
        _title(ax, "F" if k == 0 else "", f"a-Si, guided on {LABELS[kind]}")
    return fig


def default_figure_path() -> Path:
    return figures_dir() / "benchmarks.png"


__all__ = ["PROFILES", "METHODS", "GUIDED", "SYSTEMS", "BenchSystem", "run_system", "evaluate", "curves", "claims",
           "reference_local", "coverage", "density_references", "figure", "default_figure_path", "grids", "liquid_starts", "closest_approach", "local_columns"]
