"""Liquid sulfur from ring-rich to polymeric liquid (notebook 10): the liquid–liquid transition.

Liquid sulfur turns from a liquid of S₈ crown rings into a polymeric liquid of long chains with
temperature and pressure; the medium-range g(r) carries it: the ~4.45 Å feature of intact S₈
rings fades and the third-neighbour peak moves from ~4.0 Å to ~4.15 Å. No measured g(r) series is
shipped, so the targets are **SYNTHETIC**: one declared set per state (:func:`state_specs`, built
through the dataset cache), CHGNet NVT liquids of 64 atoms at 1.85 g/cm³ from packed S₈ rings
(450 K, 600 K) or from open 8-atom chains (800 K, 1000 K), 0.5 ps equilibration + 1 ps sampling,
seeds disjoint from the prior's training sets (which are 450 K rings and 800 K chains at 1.8–2.0
g/cm³: the targets differ in density, temperatures and run length). A user's measured g(r) files
with their pressures replace the series (:func:`measured_series`).

Each state's mean g(r) guides the shipped sulfur prior (:data:`PRIOR`) through
:func:`glasslib.diffusion.generate.generate`. Numbers per structure (:func:`structure_record`): the
S₈ and chain-end (one-coordinated S) fractions (:func:`glasslib.analysis.sulfur_network.sulfur_rings`,
default bond cutoffs), the QUESTS entropy per atom
(:func:`glasslib.analysis.descriptors.information_entropy`), the two medium-range peak positions
(:func:`peak_position`) and the g(r) RMSE against the state's target (leave-one-out for a target
replica); the diversity D of the target's replicas is the yardstick (docs/metrics.md).

Sampling starts from noise by default. ``start_sigma`` starts it instead from crown S₈ rings packed in
the cell (:func:`ring_start`) noised to that σ, as the MDA study starts from ice Ih. Measured with the
shipped prior (default targets, 2 structures per state, 150 steps; not part of the notebook's run), the
S₈ fractions per state (ring-rich → polymeric; targets 0.71 / 0.42 / 0 / 0):

* σ = 0.15 Å: 0.81 / 0.69 / 0.44 / 0.63 (the prior alone: 0.81), the start's rings mostly kept whatever
  the target;
* σ = 0.25 Å: 0.38 / 0.25 / 0.25 / 0.13 (alone: 0.31), a falling trend;
* σ = 0.35 Å: 0.06 / 0 / 0.13 / 0.19 (alone: 0.06); σ = 0.5 Å: 0 everywhere.

So rings survive only below the noise at which the prior alone still remembers them: what the S₈
fraction then tracks is the start as much as the target. Hence the option is off by default.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from ase import Atoms
from ase.data import atomic_masses

from glasslib.analysis.bonds import bond_graph
from glasslib.analysis.descriptors import information_entropy
from glasslib.analysis.metrics import error_diversity, rank_correlation, rmse
from glasslib.analysis.ovito_adapter import render
from glasslib.analysis.sulfur_network import s8_atoms, sulfur_rings
from glasslib.core.errors import InputError
from glasslib.core.paths import data_dir, figures_dir
from glasslib.core.structures import Structures, from_ase
from glasslib.core.units import cubic_box_length
from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, Start, generate
from glasslib.diffusion.training import load_checkpoint
from glasslib.plotting import label_panel
from glasslib.simulate import build_spec, read_dataset
from glasslib.simulate.datasets import DatasetSpec
from glasslib.simulate.sulfur import sulfur_start
from glasslib.spectra.measured import read_spectrum
from glasslib.spectra.targets import Target, read_target

PRIOR = "sulfur_chgnet_prior"
#: the SYNTHETIC state series, ring-rich -> polymeric: (label, protocol start, temperature K)
STATES = (("SYNTHETIC-450K-rings", "rings", 450.0), ("SYNTHETIC-600K-rings", "rings", 600.0),
          ("SYNTHETIC-800K-chains", "chains", 800.0), ("SYNTHETIC-1000K-chains", "chains", 1000.0))
DENSITY = 1.85
#: windows (Å) of the third-neighbour peak (~4.0 -> 4.15 Å) and of the S₈ feature (~4.45 Å)
PEAK_WINDOWS = {"peak_4p0_A": (3.75, 4.3), "peak_4p45_A": (4.3, 4.75)}
MEDIUM_RANGE = (3.5, 5.0)
GR_STEP, GR_SMEARING = 0.02, 0.05

#: ref_*: the synthetic target sets (atoms, replicas per state, seed, MD times ps); n: generated
#: structures per state; atoms: per generated structure (≥ 35: twice the prior's 5 Å cutoff); steps: sampler steps
PROFILES = {
    "smoke": dict(ref_atoms=32, ref_count=2, ref_seed=995000, protocol=dict(melt_time=0.1, anneal_time=0.2),
                  atoms=64, n=1, steps=20),
    "default": dict(ref_atoms=64, ref_count=3, ref_seed=960000, protocol=dict(melt_time=0.5, anneal_time=1.0),
                    atoms=64, n=4, steps=150),
    "paper": dict(ref_atoms=64, ref_count=3, ref_seed=960000, protocol=dict(melt_time=0.5, anneal_time=1.0),
                  atoms=64, n=8, steps=300),
}


# ---------------------------------------------------------------------------------- targets
def state_specs(profile: dict) -> list[DatasetSpec]:
    """The SYNTHETIC target sets of a profile, one per state (disjoint seeds, 1000 apart)."""
    specs = []
    for k, (label, start, temperature) in enumerate(STATES):
        specs.append(DatasetSpec.from_dict({
            "name": f"sulfur-llpt-{profile['ref_atoms']}-{label}", "system": "sulfur-CHGNet",
            "n_atoms": profile["ref_atoms"], "densities": [DENSITY], "count": profile["ref_count"],
            "seed": profile["ref_seed"] + 1000 * k,
            "protocol": {"start": start, "melt_temperature": temperature, "final_temperature": temperature,
                         **profile["protocol"]},
            "role": "reference",
            "description": f"SYNTHETIC liquid sulfur target, {temperature:g} K from {start}, CHGNet NVT"}))
    return specs


def r_grid(box: float) -> torch.Tensor:
    """g(r) grid (Å): :data:`GR_STEP` steps up to min(6 Å, L/2)."""
    return torch.arange(1, int(min(6.0, box / 2) / GR_STEP) + 1, dtype=torch.float64) * GR_STEP


@dataclass
class State:
    """One state point: its label, order (0 ring-rich), pressure (GPa or None), g(r) target and,
    for a synthetic state, the target's replicas; ``generated`` is filled by :func:`sample`."""

    label: str
    order: int
    pressure: float | None
    target: Target
    synthetic: bool
    replicas: Structures | None = None
    generated: Structures | None = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)


def synthetic_series(profile: dict, box: float) -> list[State]:
    """The SYNTHETIC states of ``profile`` (their sets built into the cache if missing: CHGNet, resumable)."""
    out = []
    for k, spec in enumerate(state_specs(profile)):
        refs = read_dataset(build_spec(spec, progress=False).paths)
        t = Target.from_structures("gr", refs, r_grid(box), smearing=GR_SMEARING,
                                   source=f"SYNTHETIC: mean g(r) of {spec.name} ({spec.description})")
        out.append(State(STATES[k][0], k, None, t, True, refs))
    return out


def measured_series(files: list, box: float) -> list[State]:
    """States from measured g(r) files: ``[(path, pressure GPa), ...]`` in ring-rich -> polymeric
    order, each read by :func:`glasslib.spectra.targets.read_target` (its checks apply: a malformed
    file is one line naming it; the reader would sort an r column out of order, which is refused here
    instead) and restricted to :func:`r_grid`'s range."""
    if not files:
        raise InputError("measured_gr needs at least one (path, pressure) pair")
    out = []
    top = float(r_grid(box)[-1])
    for k, item in enumerate(files):
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise InputError(f"measured_gr entries are (path, pressure GPa), got {item!r}")
        path, pressure = item
        if read_spectrum(path, "gr").meta.get("sorted_by_x"):  # the reader sorts; a measured g(r) must not need it
            raise InputError("the r column is not increasing (rows out of order or mixed files?)", path)
        t = read_target(path, "gr", composition={"S": 1.0})
        keep = [(x, y) for x, y in zip(t.x, t.y) if x <= top + 1e-9]
        if len(keep) < 10:
            raise InputError(f"fewer than 10 g(r) points below r = {top:.2f} A", path)
        t = Target("gr", tuple(x for x, _ in keep), tuple(y for _, y in keep), t.sigma, None, t.source,
                   t.measurement)
        out.append(State(f"{Path(path).stem} ({float(pressure):g} GPa)", k, float(pressure), t, False))
    return out


# ---------------------------------------------------------------------------------- sampling
def ring_start(atoms: int, *, seed: int) -> Structures:
    """Crown S₈ rings packed rigidly in the generated cell (``atoms`` a multiple of 8, at :data:`DENSITY`;
    :func:`glasslib.simulate.sulfur.sulfur_start`, no MD): the ring-rich structure sampling may start from."""
    box = box_length(atoms)
    positions = sulfur_start(atoms, box, np.random.default_rng(np.random.SeedSequence(seed)), "rings")
    return from_ase([Atoms(f"S{atoms}", positions=positions, cell=[box] * 3, pbc=True)])


def sample(states: list[State], *, n: int, steps: int, atoms: int, seed: int, device="cpu",
           guidance_step: float = 1.0, start_sigma: float | None = None) -> None:
    """Fill each state's generated structures: ``n`` structures guided by its g(r) (seed ``seed + order``),
    from noise or, with ``start_sigma`` (Å), from the packed rings of :func:`ring_start` (seed ``seed``)
    noised to that σ."""
    ckpt = load_checkpoint(data_dir() / "models" / PRIOR / "checkpoint.pt", device)
    start = None if start_sigma is None else Start(ring_start(atoms, seed=seed), start_sigma)
    for st in states:
        config = SampleConfig(n=n, seed=seed + st.order, atoms=atoms, density=DENSITY, composition="S",
                              steps=steps, guidance_step=guidance_step, device=str(device))
        t0 = time.perf_counter()
        out = generate(ckpt, config, [GuidanceTerm(st.target, 1.0, smearing=GR_SMEARING)], start=start)
        st.seconds = time.perf_counter() - t0
        st.generated = out.structures.to(device="cpu", dtype=torch.float64)


def box_length(atoms: int) -> float:
    """Edge (Å) of the cubic cell of ``atoms`` S atoms at :data:`DENSITY` (the one box-from-density
    definition, :func:`glasslib.core.units.cubic_box_length`)."""
    return cubic_box_length(np.full(atoms, atomic_masses[16]), DENSITY)


# ---------------------------------------------------------------------------------- numbers
def gr(target: Target, x: Structures) -> torch.Tensor:
    """(S, K) g(r) of ``x`` on the target's grid (float64, CPU, smearing :data:`GR_SMEARING`)."""
    with torch.no_grad():
        y = target.observable(smearing=GR_SMEARING)(x.to(device="cpu", dtype=torch.float64))
    return y.reshape(x.n_systems, -1).double()


def peak_position(r, g, window: tuple[float, float]) -> float:
    """r (Å) of the maximum of g within ``window``, refined by a parabola through the top three
    points; NaN if the grid does not cover the window or the maximum is at its edge (no peak inside)."""
    r, g = np.asarray(r, float), np.asarray(g, float)
    idx = np.flatnonzero((r >= window[0]) & (r <= window[1]))
    if len(idx) < 3:
        return math.nan
    k = idx[int(np.argmax(g[idx]))]
    if k in (idx[0], idx[-1]):  # rising or falling through the window: no peak inside it
        return math.nan
    a, b, c = g[k - 1], g[k], g[k + 1]
    den = a - 2 * b + c
    shift = 0.5 * (a - c) / den if den < 0 else 0.0
    return float(r[k] + shift * (r[k + 1] - r[k]))


def topology(s: Structures) -> dict:
    """S₈ and chain-end fractions of one structure (default S–S bond cutoff)."""
    rings = sulfur_rings(bond_graph(s.to(device="cpu", dtype=torch.float64)))
    return {"s8_fraction": rings["s8_fraction"], "chain_end_fraction": rings["s_chain_end_fraction"]}


def structure_record(st: State, source: str, k: int, s: Structures, g: torch.Tensor, ref: torch.Tensor,
                     diversity: float | None, entropy: float) -> dict:
    """One structure's numbers (module docstring); ``ref``: the curve its g(r) error is measured against."""
    r = st.target.x
    return {"state": st.label, "order": st.order, "pressure_GPa": st.pressure, "source": source,
            "synthetic": st.synthetic and source == "target", "target_synthetic": st.synthetic, "replica": k, **topology(s), "entropy": round(float(entropy), 5),
            "gr_error": round(float(rmse(g, ref)), 5),
            "diversity": None if diversity is None else round(diversity, 5),
            **{key: _finite(round(peak_position(r, g.numpy(), w), 4)) for key, w in PEAK_WINDOWS.items()}}


def _finite(x: float) -> float | None:
    """``x``, or None for NaN (JSON has no NaN)."""
    return x if math.isfinite(x) else None


def records(states: list[State]) -> tuple[list[dict], dict]:
    """Records of every target replica and generated structure, and per state the E/D summary
    (:func:`glasslib.analysis.metrics.error_diversity`, asymptote 1), the mean-curve peaks and, as
    their uncertainty, the peaks of the target's leave-one-out means (one per replica dropped; None
    where that mean has no maximum in the window, and no list for a target without replicas)."""
    out, summary = [], {}
    for st in states:
        y = torch.tensor(st.target.y, dtype=torch.float64)
        gen = gr(st.target, st.generated)
        div, ed, loo_peaks = None, None, None
        if st.replicas is not None and st.replicas.n_systems > 1:
            reps = gr(st.target, st.replicas)
            ed = error_diversity(gen, reps, asymptote=1.0).to_dict()
            div = ed["diversity"]
            ent = information_entropy(st.replicas)
            n = reps.shape[0]
            loos = [(reps.sum(0) - reps[k]) / (n - 1) for k in range(n)]
            for k, one in enumerate(st.replicas.split()):
                out.append(structure_record(st, "target", k, one, reps[k], loos[k], div, ent[k]))
            loo_peaks = {key: [_finite(round(peak_position(st.target.x, c.numpy(), w), 4)) for c in loos]
                         for key, w in PEAK_WINDOWS.items()}
        ent = information_entropy(st.generated)
        for k, one in enumerate(st.generated.split()):
            out.append(structure_record(st, "generated", k, one, gen[k], y, div, ent[k]))
        r = st.target.x
        summary[st.label] = {
            "error_diversity": ed, "seconds": round(st.seconds, 1),
            "target_peaks": {key: _finite(peak_position(r, y.numpy(), w)) for key, w in PEAK_WINDOWS.items()},
            "target_peaks_leave_one_out": loo_peaks,
            "generated_peaks": {key: _finite(peak_position(r, gen.mean(0).numpy(), w)) for key, w in PEAK_WINDOWS.items()}}
    return out, summary


def _offset(a: float | None, b: float | None) -> float | None:
    """a − b (Å), None where either peak is missing."""
    return None if a is None or b is None else a - b


def _peaks_agree(generated: float | None, target: float | None, tolerance: float = 0.05) -> bool:
    """Whether a generated mean-curve peak follows the target's: both present within ``tolerance`` Å,
    or both absent from the window (a feature the target lacks, such as the S₈ peak of a polymeric
    liquid, is followed by lacking it too); one present and one absent disagree."""
    if generated is None or target is None:
        return generated is None and target is None
    return abs(generated - target) <= tolerance


def acceptance(recs: list[dict], summary: dict) -> dict:
    """The acceptance numbers: per-state means of the target and generated S₈ and chain-end fractions
    with their Spearman ρ across the series (≥ 0.8, :func:`glasslib.analysis.metrics.rank_correlation`),
    E ≤ 2 D at every state, and the generated mean-curve peaks following the target's
    (:func:`_peaks_agree`: within 0.05 Å, or absent from the window in both)."""
    states = sorted({(r["order"], r["state"]) for r in recs})

    def mean(state, source, key):
        v = [r[key] for r in recs if r["state"] == state and r["source"] == source]
        return float(np.mean(v)) if v else math.nan

    out = {"states": [s for _, s in states]}
    for key in ("s8_fraction", "chain_end_fraction"):
        t = [mean(s, "target", key) for _, s in states]
        g = [mean(s, "generated", key) for _, s in states]
        rho = rank_correlation(t, g)
        out[key] = {"target": t, "generated": g, "spearman_rho": rho if math.isfinite(rho) else None,
                    "pass": bool(math.isfinite(rho) and rho >= 0.8)}
        if not math.isfinite(rho):
            out[key]["note"] = "rank correlation undefined: one side is the same at every state"
    ratios = {s: (summary[s]["error_diversity"] or {}).get("error_over_diversity", math.nan) for _, s in states}
    out["error_over_diversity"] = ratios
    out["error_within_2_diversity"] = bool(all(math.isfinite(v) and v <= 2.0 for v in ratios.values()))
    dev = {s: {k: _offset(summary[s]["generated_peaks"][k], summary[s]["target_peaks"][k]) for k in PEAK_WINDOWS}
           for _, s in states}
    out["peak_offsets_A"] = dev
    agree = {s: {k: _peaks_agree(summary[s]["generated_peaks"][k], summary[s]["target_peaks"][k]) for k in PEAK_WINDOWS}
             for _, s in states}
    out["peaks_agree"] = agree
    out["peaks_within_0p05_A"] = bool(all(v for d in agree.values() for v in d.values()))
    out["sampling_seconds"] = sum(summary[s]["seconds"] for _, s in states)
    return out


# ---------------------------------------------------------------------------------- figure
def without_s8(s: Structures) -> Structures:
    """Structure 0 of ``s`` with the atoms of intact S₈ rings removed (the polymeric part)."""
    one = s[0].to(device="cpu", dtype=torch.float64)
    keep = torch.from_numpy(~s8_atoms(bond_graph(one)))
    if not bool(keep.any()):
        keep[0] = True  # an all-ring structure: one atom keeps the render's cell
    return one.replace(positions=one.positions[keep], species=one.species[keep], system_idx=one.system_idx[keep])


def figure(states: list[State], recs: list[dict], *, render_images: bool = True):
    """B: target (solid) and generated (dashed) g(r); C: medium range with both peaks marked;
    D, E, F: S₈ fraction, chain ends, entropy per state (box plots, target vs generated);
    G: renders of one generated structure per state with its S₈ rings removed."""
    import matplotlib.pyplot as plt
    from matplotlib.image import imread

    fig = plt.figure(figsize=(17, 8.6))
    outer = fig.add_gridspec(2, 1, height_ratios=[1.1, 1])
    top, bottom = outer[0].subgridspec(1, 5), outer[1].subgridspec(1, len(states))
    ax_b, ax_c, ax_d, ax_e, ax_f = (fig.add_subplot(top[0, k]) for k in range(5))
    cmap = plt.get_cmap("plasma")
    colors = [cmap(0.85 * k / max(len(states) - 1, 1)) for k in range(len(states))]
    tag = " (SYNTHETIC)"
    for k, st in enumerate(states):
        r = np.asarray(st.target.x)
        y, g = np.asarray(st.target.y), gr(st.target, st.generated).mean(0).numpy()
        ax_b.plot(r, y + 1.0 * k, color=colors[k], lw=1.3, label=f"{st.label} target")
        ax_b.plot(r, g + 1.0 * k, color=colors[k], lw=1.1, ls="--")
        inside = (r >= MEDIUM_RANGE[0]) & (r <= MEDIUM_RANGE[1])
        ax_c.plot(r[inside], y[inside] + 0.3 * k, color=colors[k], lw=1.3)
        ax_c.plot(r[inside], g[inside] + 0.3 * k, color=colors[k], lw=1.1, ls="--")
        for key, w in PEAK_WINDOWS.items():
            for curve, mark in ((y, "|"), (g, "x")):
                p = peak_position(r, curve, w)
                if math.isfinite(p):
                    ax_c.plot([p], [float(np.interp(p, r, curve)) + 0.3 * k], marker=mark, color=colors[k], ms=8)
    for ax in (ax_b, ax_c):
        ax.set_xlabel("r (Å)")
        ax.set_ylabel("g(r) + offset")
    for ref in (4.0, 4.15, 4.45):
        ax_c.axvline(ref, color="0.6", lw=0.7, ls=":")
    ax_b.legend(fontsize=6.5, loc="upper right", title="solid: target, dashed: generated", title_fontsize=6.5)
    label_panel(ax_b, "B", "g(r)")
    label_panel(ax_c, "C", "3.5–5 Å (| target, x generated peaks)")
    for ax, key, what in ((ax_d, "s8_fraction", "S in intact S₈ rings"), (ax_e, "chain_end_fraction", "chain ends (S₁)"),
                          (ax_f, "entropy", "QUESTS entropy (nats/atom)")):
        for j, source in enumerate(("target", "generated")):
            data = [[r[key] for r in recs if r["order"] == st.order and r["source"] == source] for st in states]
            pos = [k + (j - 0.5) * 0.35 for k in range(len(states))]
            filled = [(p, d) for p, d in zip(pos, data) if d]
            if filled:
                bp = ax.boxplot([d for _, d in filled], positions=[p for p, _ in filled], widths=0.3,
                                patch_artist=True, manage_ticks=False)
                for patch in bp["boxes"]:
                    patch.set_facecolor("0.85" if source == "target" else "C1")
        ax.set_xticks(range(len(states)))
        ax.set_xticklabels([str(st.order) for st in states])
        ax.set_xlabel("state (0 ring-rich → polymeric)")
        ax.set_ylabel(what)
    label_panel(ax_d, "D", "grey: target" + (tag if states and states[0].synthetic else "") + ", orange: generated")
    label_panel(ax_e, "E")
    label_panel(ax_f, "F")
    with tempfile.TemporaryDirectory(prefix="glasslib-sulfur-") as tmp:
        for k, st in enumerate(states):
            ax = fig.add_subplot(bottom[0, k])
            ax.set_axis_off()
            if render_images:
                path = render(without_s8(st.generated), Path(tmp) / f"state{k}.png", size=(260, 260))
                ax.imshow(imread(path))
            ax.set_title(f"{st.label}: generated, S₈ removed", fontsize=8)
            if k == 0:
                label_panel(ax, "G")
    fig.tight_layout()
    return fig


def default_figure_path() -> Path:
    return figures_dir() / "sulfur_llpt.png"


__all__ = ["PROFILES", "STATES", "PRIOR", "state_specs", "r_grid", "State", "synthetic_series", "measured_series",
           "sample", "box_length", "gr", "peak_position", "topology", "structure_record", "records",
           "acceptance", "without_s8", "figure", "default_figure_path"]
