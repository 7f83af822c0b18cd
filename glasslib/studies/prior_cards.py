"""Quality cards of the shipped priors (notebook 04): the same criteria for every system.

For each prior of ``data/specs/priors.yaml`` that has a checkpoint in ``data/models/<name>/``,
three ensembles are judged against the prior's training set:

* ``training``: the training structures themselves (the scale every other number is read against);
* ``unconditional``: samples of the prior alone, in its default cell (the training composition
  closest to the mean, its atom count and mean density; :mod:`glasslib.diffusion.cell_contents`);
* ``guided``: samples guided by the mean total g(r) of the prior's held-out set (unseen density,
  composition or cooling rate), in the held-out set's default cell, with error, diversity and ΔED
  of g(r) against that set (:func:`glasslib.analysis.error_diversity`). Where the held-out set has
  several compositions (Cu–Zr), target and diversity come from the structures of the sampled one.

Criteria (:data:`CARDS` says which apply to which system; bonds are pairs closer than the
card's cutoffs):

* per species pair: the partial g(r)'s RMSE to the training set's mean partial, next to the
  training set's own leave-one-out spread; the first-peak position; the closest pair and its
  ratio to the sum of the two covalent radii (ASE's table);
* coordination of the card's pairs (mean number of B atoms bonded to an A atom);
* bond angles at the card's centre atoms: standard deviation and fraction below 70°;
* system extras: sp³ fraction against density (a-C: four-fold C, sampled at each training
  density), two-fold and S₈ fractions (sulfur), fraction of O with exactly two H within 1.2 Å
  (water).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from ase.data import atomic_numbers, covalent_radii

from glasslib.analysis import error_diversity, rmse, spectral_diversity
from glasslib.analysis.bonds import bond_graph
from glasslib.analysis.descriptors import bond_angles
from glasslib.analysis.local_structure import closest_pairs, pair_name
from glasslib.analysis.sulfur_network import sulfur_rings
from glasslib.analysis.water import water_intact_fraction
from glasslib.core.atomic_io import write_marked_section
from glasslib.core.errors import InputError
from glasslib.core.formula import parse_formula
from glasslib.core.paths import figures_dir, repo_relative
from glasslib.core.structures import Structures, concatenate
from glasslib.diffusion.cell_contents import training_set_summary
from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, generate
from glasslib.diffusion.priors import PriorSpec, default_out_dir, load_priors
from glasslib.diffusion.training import load_checkpoint
from glasslib.plotting import label_panel
from glasslib.simulate import build_spec, get_spec, read_dataset
from glasslib.spectra.rdf import pair_distribution, peak_position
from glasslib.spectra.targets import Target

#: sizes per profile. priors: which declared priors (None: every shipped one); n: structures per
#: sampled ensemble; steps: predictor steps; train_per_group / heldout_limit: training structures
#: per (density, composition, rate) group and held-out structures used (None: all)
PROFILES = {
    "smoke": dict(priors=("asi_sw_prior",), n=1, steps=10, train_per_group=1, heldout_limit=2, sp3_n=1),
    "default": dict(priors=None, n=4, steps=200, train_per_group=None, heldout_limit=None, sp3_n=2),
    "paper": dict(priors=None, n=8, steps=200, train_per_group=None, heldout_limit=None, sp3_n=4),
}
ENSEMBLES = ("training", "unconditional", "guided")
GR_SMEARING = 0.05  # Å, the registry's default for g(r)
GUIDANCE_STEP = 1.0
SMALL_ANGLE = 70.0  # degrees


@dataclass(frozen=True)
class Card:
    """What the card of one system measures.

    Attributes:
        bonds: bond cutoffs, Å, by pair (``"Si-O"``); 0 means never bonded.
        coordination: pairs ``"A-B"``: mean number of B bonded to an A.
        angles: ``"A-B-C"`` bond angles at centre B (the bond table decides the ends).
        r_max: largest r of the g(r) grid, Å (at most half the smallest cell edge).
        extras: ``"sp3"``, ``"sulfur"``, ``"water"``.
    """

    bonds: dict
    coordination: tuple[str, ...]
    angles: tuple[str, ...] = ()
    r_max: float = 8.0
    extras: tuple[str, ...] = ()

    def grid(self) -> torch.Tensor:
        return torch.arange(1, int(round(self.r_max / 0.05)) + 1, dtype=torch.float64) * 0.05


#: the card of each declared prior (cutoffs at the first minimum of the partial g(r))
CARDS = {
    "asi_sw_prior": Card({"Si-Si": 2.85}, ("Si-Si",), ("Si-Si-Si",)),
    "ac_tersoff_prior": Card({"C-C": 1.85}, ("C-C",), ("C-C-C",), r_max=5.0, extras=("sp3",)),
    "sio2_vashishta_prior": Card({"Si-O": 2.0, "Si-Si": 0.0, "O-O": 0.0}, ("Si-O", "O-Si"), ("O-Si-O", "Si-O-Si")),
    "cuzr_mendelev_prior": Card({"Cu-Cu": 3.3, "Cu-Zr": 3.6, "Zr-Zr": 4.0}, ("Cu-Cu", "Cu-Zr", "Zr-Cu", "Zr-Zr")),
    "zrnial_chgnet_prior": Card({"Zr-Zr": 4.0, "Zr-Ni": 3.5, "Zr-Al": 3.7, "Ni-Ni": 3.2, "Ni-Al": 3.2, "Al-Al": 3.4},
                                ("Zr-Zr", "Zr-Ni", "Zr-Al", "Ni-Zr", "Al-Zr"), r_max=5.0),
    "sulfur_chgnet_prior": Card({"S-S": 2.6}, ("S-S",), ("S-S-S",), r_max=5.5, extras=("sulfur",)),
    "water_tip4p2005_prior": Card({"O-H": 1.2, "O-O": 0.0, "H-H": 0.0}, ("O-H",), ("H-O-H",), extras=("water",)),
}


@dataclass
class PriorEnsembles:
    """The structures of one prior's card."""

    spec: PriorSpec
    checkpoint: Path
    training: Structures
    heldout: Structures
    target_set: Structures  # the held-out structures of the guided cell's composition (the target's)
    samples: dict = field(default_factory=dict)
    sp3: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)
    records: dict = field(default_factory=dict)


def shipped_priors(names=None) -> list[PriorSpec]:
    """Declared priors with a shipped checkpoint (``names``: only these, in this order)."""
    declared = load_priors()
    names = list(declared) if names is None else list(names)
    return [declared[n] for n in names if (default_out_dir(declared[n]) / "checkpoint.pt").exists()]


def load_sets(spec: PriorSpec, *, per_group: int | None, heldout_limit: int | None) -> tuple[Structures, Structures]:
    """(training, held-out) structures of a prior from the dataset cache (simulated if missing)."""
    parts = [read_dataset(build_spec(get_spec(n), per_group=per_group, progress=False).paths) for n in spec.datasets]
    train = concatenate(parts) if len(parts) > 1 else parts[0]
    held = read_dataset(build_spec(get_spec(spec.heldout), limit=heldout_limit, progress=False).paths)
    return train, held


def sample_card(spec: PriorSpec, train: Structures, heldout: Structures, *, n: int, steps: int, seed: int, sp3_n: int,
                device="cpu", options: dict | None = None, checkpoint: str | Path | None = None,
                weak: str | Path | None = None) -> PriorEnsembles:
    """Unconditional samples (default cell), g(r)-guided samples (held-out cell and target) and,
    for a-C, unconditional samples at every training density (none when ``sp3_n`` is 0).
    ``options``: further :class:`SampleConfig` fields of every run (e.g. the optional potential term);
    ``checkpoint``: another checkpoint of the same prior (default: the shipped one); ``weak``: its weak
    companion for autoguidance (weight ``options["autoguidance"]``, default 2)."""
    options = dict(options or {})
    path = Path(checkpoint) if checkpoint is not None else default_out_dir(spec) / "checkpoint.pt"
    ckpt = load_checkpoint(path, device)
    card = CARDS[spec.name]
    cell = training_set_summary(heldout)["default"]
    target_set = of_composition(heldout, cell["composition"])
    out = PriorEnsembles(spec, path, train, heldout, target_set)
    target = Target.from_structures("gr", target_set, card.grid(), smearing=GR_SMEARING,
                                    source=f"mean g(r) of {spec.heldout} ({cell['composition']})")
    runs = {"unconditional": (SampleConfig(**{"n": n, "seed": seed, "steps": steps, "device": str(device), **options}), ()),
            "guided": (SampleConfig(**{"n": n, "seed": seed + 1, "steps": steps, "guidance_step": GUIDANCE_STEP,
                                       "device": str(device), **cell, **options}),
                       [GuidanceTerm(target, 1.0, smearing=GR_SMEARING)])}
    for name, (config, terms) in runs.items():
        t0 = time.perf_counter()
        g = generate(ckpt, config, terms, weak=weak)
        out.seconds[name] = (time.perf_counter() - t0) / n
        out.samples[name], out.records[name] = g.structures, g.record
    if "sp3" in card.extras and sp3_n > 0:
        for k, density in enumerate(_training_densities(train)):
            config = SampleConfig(**{"n": sp3_n, "seed": seed + 10 + k, "steps": steps, "device": str(device), **options,
                                     "density": density})
            out.sp3[density] = generate(ckpt, config).structures
    return out


def of_composition(x: Structures, label: str) -> Structures:
    """The structures of ``x`` whose atom counts are those of ``label`` (e.g. ``"Cu225Zr275"``; the
    order of the elements in a formula does not matter)."""
    want = parse_formula(label)
    parts = [s for s in x.split() if parse_formula(training_set_summary(s)["default"]["composition"]) == want]
    return concatenate(parts) if len(parts) > 1 else parts[0]


def _training_densities(x: Structures) -> list[float]:
    return sorted({round(float(d), 2) for d in x.mass_density})


# ---------------------------------------------------------------------------- criteria
def _cutoff(card: Card, a: int, b: int) -> float | None:
    for key in (pair_name(a, b), pair_name(b, a)):
        if key in card.bonds:
            return float(card.bonds[key])
    return None


def partials(x: Structures, card: Card, elements) -> dict[str, torch.Tensor]:
    """(S, R) partial g(r) per species pair on the card's grid (float64, CPU)."""
    with torch.no_grad():
        pd = pair_distribution(x.to(device="cpu", dtype=torch.float64), card.grid(), sigma=GR_SMEARING,
                               elements=elements)
    idx = {z: k for k, z in enumerate(pd.elements)}
    return {pair_name(a, b): pd.partials[:, idx[a], idx[b]] for i, a in enumerate(pd.elements) for b in pd.elements[i:]}


def total_gr(x: Structures, card: Card) -> torch.Tensor:
    with torch.no_grad():
        return pair_distribution(x.to(device="cpu", dtype=torch.float64), card.grid(), sigma=GR_SMEARING).g


def bonded(x: Structures, card: Card):
    """Per structure: (bond graph) with the card's cutoffs."""
    return [bond_graph(s.to(device="cpu", dtype=torch.float64), cutoff=card.bonds) for s in x.split()]


def coordination(graphs, pair: str) -> float:
    a, b = (atomic_numbers[s] for s in pair.split("-"))
    counts = []
    for g in graphs:
        n_b = np.bincount(g.i, weights=(g.species[g.j] == b).astype(float), minlength=g.n_atoms)
        counts.append(n_b[g.species == a])
    return float(np.concatenate(counts).mean())


def angle_stats(graphs, triple: str) -> dict:
    centre = atomic_numbers[triple.split("-")[1]]
    theta = np.concatenate([t[g.species[c] == centre] for g in graphs for t, c in [bond_angles(g)]])
    if theta.size == 0:
        return {"mean_deg": float("nan"), "std_deg": float("nan"), "fraction_below_70": float("nan"), "count": 0}
    return {"mean_deg": float(theta.mean()), "std_deg": float(theta.std()),
            "fraction_below_70": float(np.mean(theta < SMALL_ANGLE)), "count": int(theta.size)}


def sp3_fraction(x: Structures, card: Card) -> float:
    return float(np.mean(np.concatenate([g.degree == 4 for g in bonded(x, card)])))


def criteria(x: Structures, card: Card, ref_partials: dict[str, torch.Tensor], elements) -> dict:
    """Every card number of one ensemble (module docstring); ``ref_partials``: the training set's."""
    mine = partials(x, card, elements)
    close = closest_pairs(x)
    r = card.grid()
    pairs = {}
    for name, g in mine.items():
        a, b = (atomic_numbers[s] for s in name.split("-"))
        cut = _cutoff(card, a, b)
        ref = ref_partials[name]
        peak_max = cut if cut else card.r_max
        pairs[name] = {
            "gr_rmse_to_training_mean": float(rmse(g, ref.mean(0)).mean()),
            "training_spread": float(spectral_diversity(ref).mean()) if ref.shape[0] > 1 else float("nan"),
            "first_peak_A": peak_position(r, g.mean(0), 0.5, peak_max),
            "closest_A": close[name],
            "closest_over_covalent": None if close[name] is None else close[name] / float(covalent_radii[a] + covalent_radii[b]),
        }
    graphs = bonded(x, card)
    out = {"n_structures": x.n_systems, "pairs": pairs,
           "min_closest_over_covalent": min(p["closest_over_covalent"] for p in pairs.values()
                                            if p["closest_over_covalent"] is not None),
           "coordination": {p: coordination(graphs, p) for p in card.coordination},
           "angles": {t: angle_stats(graphs, t) for t in card.angles}}
    if "sulfur" in card.extras:
        rings = [sulfur_rings(g) for g in graphs]
        deg = np.concatenate([g.degree[g.species == 16] for g in graphs])
        out["s_twofold_fraction"] = float(np.mean(deg == 2))
        out["s8_fraction"] = float(np.mean([r["s8_fraction"] for r in rings]))
    if "water" in card.extras:
        out["water_intact_fraction"] = water_intact_fraction(x)
    return out


def card_records(e: PriorEnsembles) -> list[dict]:
    """One record per ensemble (``training``, ``unconditional``, ``guided``) of one prior."""
    card = CARDS[e.spec.name]
    elements = sorted(e.training.elements)
    ref = partials(e.training, card, elements)
    g_held = total_gr(e.target_set, card)
    base = {"prior": e.spec.name, "checkpoint": repo_relative(e.checkpoint), "heldout": e.spec.heldout,
            "heldout_target_structures": e.target_set.n_systems}
    records = []
    for ensemble, x in [("training", e.training), *e.samples.items()]:
        rec = {**base, "ensemble": ensemble, **criteria(x, card, ref, elements),
               "density_g_cm3": float(x.mass_density.mean())}
        if ensemble != "training":
            rec["cell"] = e.records[ensemble]["config"]["composition"]
            rec["seconds_per_structure"] = e.seconds[ensemble]
        if ensemble == "guided":
            ed = error_diversity(total_gr(x, card), g_held, asymptote=1.0)
            rec.update(gr_error=ed.error, gr_diversity=ed.diversity, delta_ed=ed.delta_ed)
        if "sp3" in card.extras and ensemble != "guided":
            rec["sp3_vs_density"] = _sp3_table(e, card, ensemble)
        records.append(rec)
    return records


def _sp3_table(e: PriorEnsembles, card: Card, ensemble: str) -> dict:
    if ensemble == "training":
        dens = np.array([round(float(d), 2) for d in e.training.mass_density])
        parts = e.training.split()
        return {f"{d:g}": sp3_fraction(concatenate([parts[k] for k in np.flatnonzero(dens == d)]), card)
                for d in sorted(set(dens))}
    return {f"{d:g}": sp3_fraction(x, card) for d, x in e.sp3.items()}


# ---------------------------------------------------------------------------- figure
COLORS = {"training": "0.5", "unconditional": "C0", "guided": "C3"}


def panel(e: PriorEnsembles, decimals: int = 5) -> dict:
    """The curves of one prior's figure panel, plain lists for the json (so the figure can be
    re-plotted, and one prior's panel replaced, without the structures): ``r`` (Å, the card's
    grid), ``training_min`` / ``training_max`` (range of the training structures' total g(r)),
    ``target`` (mean total g(r) of the held-out target structures) and ``samples`` (ensemble →
    mean total g(r)), each rounded to ``decimals``."""
    card = CARDS[e.spec.name]

    def rounded(t: torch.Tensor) -> list[float]:
        return [round(float(v), decimals) for v in t]

    g_train = total_gr(e.training, card)
    return {"prior": e.spec.name, "heldout": e.spec.heldout, "r": rounded(card.grid()),
            "training_min": rounded(g_train.min(0).values), "training_max": rounded(g_train.max(0).values),
            "target": rounded(total_gr(e.target_set, card).mean(0)),
            "samples": {name: rounded(total_gr(x, card).mean(0)) for name, x in e.samples.items()}}


def read_summary(path: Path) -> dict:
    """An earlier summary json of notebook 04 (InputError naming the file if missing or unreadable)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read the previous summary ({type(exc).__name__})", path) from None


def merge_summary(previous: dict, current: dict, source="the previous summary") -> dict:
    """``current`` (a run of some priors) completed with the records and panels of the other priors
    of ``previous`` (an earlier summary json of the same profile); the priors in ``previous``'s
    order, new ones last. A kept prior whose panel ``previous`` lacks (a summary written before
    panels were stored) keeps its records and gets a panel without curves, ``{"prior": name,
    "curves": None}``, which :func:`figure` draws as a labelled gap; those priors are listed under
    ``panels_without_curves``. InputError naming ``source`` if the profiles differ or ``previous``
    lacks the records of a prior that ``current`` did not run."""
    if previous.get("profile") != current["profile"]:
        raise InputError(f"holds the {previous.get('profile')!r} profile, not {current['profile']!r}", source)
    ran = [p["prior"] for p in current["panels"]]
    order = list(previous.get("priors", [])) + [n for n in ran if n not in previous.get("priors", [])]
    old_panels = {p["prior"]: p for p in previous.get("panels", [])}
    missing = [n for n in order if n not in ran and not any(r["prior"] == n for r in previous.get("records", []))]
    if missing:
        raise InputError(f"has no records for {', '.join(missing)}; rerun the notebook for every prior "
                         f"(update=False) once", source)
    panels = {**old_panels, **{p["prior"]: p for p in current["panels"]}}
    no_curves = [n for n in order if n not in panels]
    panels.update({n: {"prior": n, "curves": None} for n in no_curves})
    records = [r for n in order for r in (current if n in ran else previous)["records"] if r["prior"] == n]
    return {**current, "priors": order, "records": records, "panels": [panels[n] for n in order],
            "kept_from_previous_run": [n for n in order if n not in ran], "panels_without_curves": no_curves}


def figure(panels: list[dict]):
    """One panel per prior (:func:`panel`): total g(r) of the training range, held-out target and
    both sampled ensembles."""
    import matplotlib.pyplot as plt

    n = len(panels)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for k, p in enumerate(panels):
        ax = axes.flat[k]
        if "r" not in p:  # kept from a summary that did not store curves (merge_summary)
            ax.text(0.5, 0.5, "records kept from an earlier run\nthat stored no curves:\nrerun notebook 04 with update=False",
                    ha="center", va="center", fontsize=7, transform=ax.transAxes)
            ax.set_xticks([]); ax.set_yticks([])
            label_panel(ax, "abcdefghi"[k], p["prior"])
            continue
        ax.fill_between(p["r"], p["training_min"], p["training_max"], color="0.85", lw=0, label="training (range)")
        ax.plot(p["r"], p["target"], color="k", lw=1.2, label=f"held-out target ({p['heldout']})")
        for name, g in p["samples"].items():
            ax.plot(p["r"], g, color=COLORS[name], lw=0.9, label=name)
        ax.set_xlabel("r (Å)"); ax.set_ylabel("g(r)"); ax.legend(fontsize=6, loc="upper right")
        label_panel(ax, "abcdefghi"[k], p["prior"])
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def default_figure_path() -> Path:
    return figures_dir() / "priors.png"


# ---------------------------------------------------------------------------- model cards
CARD_START, CARD_END = "<!-- quality card (notebook 04): start -->", "<!-- quality card (notebook 04): end -->"


def card_markdown(records: list[dict]) -> str:
    """The quality card of one prior as a Markdown section (between :data:`CARD_START` and :data:`CARD_END`)."""
    lines = [CARD_START, "## Quality card (written by `notebooks/04_priors.ipynb`, default profile)", ""]
    lines.append("| ensemble | n | cell | g(r) RMSE to training mean / training spread, per pair | closest / covalent | "
                 "coordination | angles: std, < 70° | extras |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for r in records:
        pairs = "; ".join(f"{k} {v['gr_rmse_to_training_mean']:.3f} / {v['training_spread']:.3f}" for k, v in r["pairs"].items())
        coord = "; ".join(f"{k} {v:.2f}" for k, v in r["coordination"].items())
        angles = "; ".join(f"{k} {v['std_deg']:.1f}°, {100 * v['fraction_below_70']:.1f} %" for k, v in r["angles"].items())
        extras = []
        for key in ("s_twofold_fraction", "s8_fraction", "water_intact_fraction"):
            if key in r:
                extras.append(f"{key} {r[key]:.2f}")
        if "sp3_vs_density" in r:
            extras.append("sp³ " + ", ".join(f"{d}: {f:.2f}" for d, f in r["sp3_vs_density"].items()))
        if "delta_ed" in r:
            extras.append(f"g(r) E {r['gr_error']:.3f}, D {r['gr_diversity']:.3f}, ΔED {r['delta_ed']:+.3f}")
        lines.append(f"| {r['ensemble']} | {r['n_structures']} | {r.get('cell', '')} | {pairs} | "
                     f"{r['min_closest_over_covalent']:.2f} | {coord} | {angles} | {'; '.join(extras)} |")
    lines += ["", CARD_END]
    return "\n".join(lines)


def write_model_card_section(model_card: Path, records: list[dict]) -> None:
    """Replace (or append) the quality-card section of a model card, atomically."""
    write_marked_section(model_card, card_markdown(records), CARD_START, CARD_END,
                         new_file_heading=f"# Model card: `{records[0]['prior']}`")
