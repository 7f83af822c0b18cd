"""X-ray absorption in GLASS (notebook 05): the XANES and EXAFS surrogates against their references,
and XANES-guided sampling of amorphous carbon.

(a) Surrogates against their references on held-out structures:

* C K-edge XANES of a-C: the shipped surrogate (``data/models/xanes_ac_surrogate``) on the five
  test cells of the LLNL set (``data/a-C/hsu2024_dgp``, poscar/test: 216 atoms at 1.5–2.5 g/cm³),
  per atom and averaged over each cell (:func:`glasslib.spectra.xanes.evaluate`: the model card's
  numbers, recomputed with whatever surrogate is shipped now);
* Cu K-edge EXAFS of Cu–Zr: the shipped surrogate's k²χ(k) (``data/models/exafs_cuzr_surrogate``)
  averaged over the FEFF absorbers of held-out Cu–Zr glasses (``CuZr-heldout``, in the smoke profile
  ``CuZr-heldout-smoke``: compositions the surrogate never saw) against FEFF's own average,
  R = Σ(Δ)²/Σ FEFF² over k = 2–12 Å⁻¹ (:func:`glasslib.spectra.exafs.accuracy`; the FEFF set is
  cached by content hash, built if missing at about 1 s per absorber).

(b) XANES-guided a-C: the a-C prior (``data/models/ac_tersoff_prior``, Tersoff a-C at 1.5–3.5
g/cm³) samples its default cell (216 C at 2.5 g/cm³) with and without guidance on the C K-edge
XANES of held-out Tersoff a-C at 2.75 g/cm³ (``aC-Tersoff-2.75-heldout``: denser and richer in sp³
carbon than the cell sampled, a density the prior never saw), with the same seed, so that what
changes is the spectrum's pull alone; a third ensemble samples the prior in the target's cell
(2.75 g/cm³) without guidance, to show what the density alone does. The sp³ fraction is the
fraction of four-fold carbon with bonds shorter than :data:`BOND_CUTOFF` (the a-C card of
notebook 04).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import torch

from glasslib.analysis import local_structure, r_factor, rmse, spectral_diversity
from glasslib.core.atomic_io import sha256_file
from glasslib.core.paths import data_dir, figures_dir, repo_relative
from glasslib.core.structures import Structures, concatenate
from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, generate
from glasslib.diffusion.training import Checkpoint, load_checkpoint
from glasslib.plotting import label_panel
from glasslib.simulate import build_spec, read_dataset
from glasslib.spectra.exafs import K_RANGE, accuracy as exafs_accuracy_of
from glasslib.spectra.exafs_data import ExafsSet, build as build_feff, load_exafs_spec, read_exafs_set
from glasslib.spectra.exafs_surrogate import SHIPPED as EXAFS_SHIPPED, on_grid, shipped_surrogate as exafs_surrogate
from glasslib.spectra.kinds import KINDS
from glasslib.spectra.targets import Target
from glasslib.spectra.xanes import evaluate as evaluate_xanes, read_xanes_set
from glasslib.spectra.xanes_surrogate import SHIPPED as XANES_SHIPPED, shipped_surrogate as xanes_surrogate

#: sizes per profile. exafs_heldout: the held-out Cu–Zr set compared with FEFF (the smoke profile's is
#: one 100-atom Cu64Zr36 glass, seconds to build, instead of 500-atom glasses quenched at 10 K/ps);
#: exafs_structures: how many of its structures (None: all eight); target_structures: held-out a-C
#: structures whose mean XANES is the target (None: all four); n: structures per sampled ensemble;
#: steps: predictor steps of the sampler
PROFILES = {
    "smoke": dict(exafs_heldout="CuZr-heldout-smoke", exafs_structures=1, target_structures=1, n=1, steps=60),
    "default": dict(exafs_heldout="CuZr-heldout", exafs_structures=None, target_structures=None, n=4, steps=200),
    "paper": dict(exafs_heldout="CuZr-heldout", exafs_structures=None, target_structures=None, n=8, steps=200),
}
PRIOR = "ac_tersoff_prior"
SHIPPED_PRIOR = data_dir() / "models" / PRIOR / "checkpoint.pt"
TARGET_SET = "aC-Tersoff-2.75-heldout"
EXAFS_HELDOUT = "CuZr-heldout"
BOND_CUTOFF = 1.85  # Å, C–C bonds (first minimum of a-C g(r))
#: guidance RMS / score RMS per atom. The XANES gradient sits on the few atoms in unusual
#: environments; normalised per structure it moves those few far, and with 1.0 they end up in
#: pairs near 1.0 Å (measured on 100-atom cells); 0.3 keeps them bonded and still halves the misfit
GUIDANCE_STEP = 0.3
ENSEMBLES = ("prior", "guided", "prior at target density")
#: the test cell whose per-atom spectra the figure shows (the densest; not a repeat of a training cell)
EXAMPLE_CELL = "d2.5_5"


# ------------------------------------------------------------------------- (a) surrogates
def xanes_accuracy() -> dict:
    """Accuracy of the shipped XANES surrogate on the test cells (:func:`glasslib.spectra.xanes.evaluate`:
    per-atom and structure-averaged RMSE and R², per-cell RMSE, the mean training spectrum as a
    baseline, repeats of training cells), with the checkpoint's path and SHA-256."""
    path = data_dir() / XANES_SHIPPED
    out = evaluate_xanes(xanes_surrogate(), "test")
    return {"checkpoint": repo_relative(path), "sha256": sha256_file(path), **out}


@dataclasses.dataclass(frozen=True)
class XanesCurves:
    """Surrogate and reference XANES of the test cells on the index grid 0..99.

    Attributes:
        names: (C,) cell names; coordination: (A,) C–C coordination of every absorber.
        per_atom_pred, per_atom_ref: (A, 100) per-absorber spectra; system: (A,) its cell.
        pred, ref: (C, 100) means over each cell's absorbers.
    """

    names: list
    per_atom_pred: torch.Tensor
    per_atom_ref: torch.Tensor
    system: torch.Tensor
    coordination: np.ndarray
    pred: torch.Tensor
    ref: torch.Tensor


def xanes_curves() -> XanesCurves:
    """:class:`XanesCurves` of the shipped surrogate on the LLNL test cells (float64, CPU)."""
    names, structures, spectra = read_xanes_set("test")
    with torch.no_grad():
        pred, index = xanes_surrogate(dtype=torch.float64).per_atom(structures)
    ref = spectra.to(torch.float64)[index]
    system = structures.system_idx[index]
    count = torch.bincount(system, minlength=structures.n_systems).to(torch.float64)[:, None]

    def mean(v):
        return torch.zeros(structures.n_systems, v.shape[1], dtype=v.dtype).index_add(0, system, v) / count

    cn = local_structure(structures, BOND_CUTOFF).coordination[index.numpy()]
    return XanesCurves(names, pred, ref, system, cn, mean(pred), mean(ref))


def load_exafs_heldout(max_structures: int | None, heldout: str = EXAFS_HELDOUT) -> ExafsSet:
    """FEFF absorbers of the first ``max_structures`` structures (None: all) of the held-out Cu–Zr
    set ``heldout``, from the EXAFS cache; missing MD structures are simulated and missing absorbers
    computed first. Another set than the declared one (data/specs/exafs.yaml) takes the declared
    set's place and absorber count, in a cache folder of its own (the spec's hash changes)."""
    build_spec(heldout, limit=max_structures, progress=False)
    spec = load_exafs_spec()
    if heldout != EXAFS_HELDOUT:
        per = {**spec.absorbers_per_structure, heldout: spec.per_structure(EXAFS_HELDOUT)}
        spec = dataclasses.replace(spec, sources={**spec.sources, "heldout": [heldout]}, absorbers_per_structure=per)
    build_feff(spec, roles=("heldout",), max_structures=max_structures)
    data = read_exafs_set(spec, "heldout")
    return data if max_structures is None else first_structures(data, max_structures)


def first_structures(data: ExafsSet, n: int) -> ExafsSet:
    """The absorbers of the first ``n`` structures of ``data`` (``sha256`` then names the whole set)."""
    cells = data.structures.split()[:n]
    n_atoms = sum(c.n_atoms for c in cells)
    rows = data.index < n_atoms
    return dataclasses.replace(data, names=data.names[:n], structures=concatenate(cells) if n > 1 else cells[0],
                               index=data.index[rows], chi=data.chi[rows], seconds=data.seconds[rows.numpy()])


def exafs_accuracy(data: ExafsSet) -> dict:
    """Agreement of the shipped EXAFS surrogate with FEFF on ``data``
    (:func:`glasslib.spectra.exafs.accuracy`), with the checkpoint's path and SHA-256 and FEFF's
    mean seconds per absorber."""
    path = data_dir() / EXAFS_SHIPPED
    out = exafs_accuracy_of(exafs_surrogate(dtype=torch.float64), data)
    return {"checkpoint": repo_relative(path), "sha256": sha256_file(path), "feff_sha256_of_results": data.sha256,
            "feff_seconds_per_absorber": float(np.mean(data.seconds)), **out}


def exafs_curves(data: ExafsSet) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(k, surrogate, feff)``: k (K,) Å⁻¹ within :data:`glasslib.spectra.exafs.K_RANGE` and
    (S, K) k²χ(k), Å⁻², averaged over each structure's FEFF absorbers (the same absorbers for both)."""
    model = exafs_surrogate(dtype=torch.float64)
    k = model.config.k_grid(dtype=torch.float64)
    with torch.no_grad():
        chi, index = model.per_atom(data.structures)
    slot = {int(a): n for n, a in enumerate(index.tolist())}
    pred = chi[[slot[int(a)] for a in data.index.tolist()]]
    feff = on_grid(data.chi, data.k, k)
    inside = (k >= K_RANGE[0] - 1e-9) & (k <= K_RANGE[1] + 1e-9)
    w = k[inside] ** model.config.k_weight
    system = data.structures.system_idx[data.index]
    count = torch.bincount(system, minlength=data.structures.n_systems).to(torch.float64)[:, None]

    def mean(v):
        return torch.zeros(data.structures.n_systems, v.shape[1], dtype=v.dtype).index_add(0, system, v) / count

    return k[inside], mean(pred[:, inside]) * w, mean(feff[:, inside]) * w


# -------------------------------------------------------------------- (b) guided a-C
def load_target_set(limit: int | None) -> Structures:
    """The first ``limit`` held-out Tersoff a-C structures at 2.75 g/cm³ (None: all), from the
    dataset cache (simulated with LAMMPS if missing)."""
    return read_dataset(build_spec(TARGET_SET, limit=limit, progress=False).paths)


def load_prior(checkpoint: Path | None, device) -> Checkpoint:
    """The a-C prior (default: the shipped one); must cover carbon only."""
    return load_checkpoint(checkpoint or SHIPPED_PRIOR, device, species=[6])


def xanes_target(target_set: Structures) -> Target:
    """Mean surrogate XANES of ``target_set`` on the index grid 0..99, as a guidance target."""
    return Target.from_structures("xanes", target_set.to(dtype=torch.float64),
                                  source=f"mean XANES of {target_set.n_systems} {TARGET_SET} structures")


def sample_ensembles(ckpt: Checkpoint, target_set: Structures, *, n: int, steps: int, seed: int,
                     device) -> tuple[dict[str, Structures], dict[str, float], dict]:
    """The three ensembles of the module docstring; returns samples, seconds per structure and
    each run's record (resolved config, checkpoint SHA-256, targets)."""
    target = xanes_target(target_set)
    density = round(float(target_set.mass_density.mean()), 4)
    runs = {
        "prior": (SampleConfig(n=n, seed=seed, steps=steps, device=str(device)), ()),
        "guided": (SampleConfig(n=n, seed=seed, steps=steps, guidance_step=GUIDANCE_STEP, device=str(device)),
                   [GuidanceTerm(target)]),
        "prior at target density": (SampleConfig(n=n, seed=seed, steps=steps, density=density, device=str(device)), ()),
    }
    samples, seconds, records = {}, {}, {}
    for name, (config, terms) in runs.items():
        t0 = time.perf_counter()
        out = generate(ckpt, config, terms)
        seconds[name] = (time.perf_counter() - t0) / n
        samples[name], records[name] = out.structures, out.record
    return samples, seconds, records


def xanes_of(x: Structures) -> torch.Tensor:
    """(S, 100) surrogate XANES (float64, CPU, no gradient)."""
    with torch.no_grad():
        return KINDS["xanes"].compute(x.to(device="cpu", dtype=torch.float64))


def _structure_numbers(x: Structures) -> dict:
    ls = local_structure(x, BOND_CUTOFF)
    return {"n_structures": x.n_systems, "density_g_cm3": round(float(x.mass_density.mean()), 4),
            "sp3_fraction": ls.fourfold_fraction, "coordination_mean": ls.coordination_mean,
            "closest_pair_A": ls.closest_pair_A, "angle_std_deg": ls.angle_std_deg,
            "coordination_counts": {str(k): v for k, v in ls.coordination_counts.items()}}


def guided_summary(samples: dict[str, Structures], seconds: dict[str, float], target_set: Structures) -> dict:
    """Numbers of (b): the target set's (sp³, coordination, XANES diversity D: leave-one-out RMSE
    among its structures, None for one) and per ensemble the local structure, the XANES RMSE to
    the target (mean over structures) and Wright's R_χ; then the guided/unguided RMSE ratio and
    how far guidance moved sp³ from the unguided value towards the target's (1: all the way)."""
    y_target = xanes_of(target_set)
    target = y_target.mean(0)
    out = {"target": {**_structure_numbers(target_set), "set": TARGET_SET,
                      "xanes_diversity": float(spectral_diversity(y_target).mean()) if target_set.n_systems > 1 else None}}
    for name, x in samples.items():
        y = xanes_of(x)
        out[name] = {**_structure_numbers(x), "seconds_per_structure": seconds[name],
                     "xanes_rmse_to_target": float(rmse(y, target).mean()),
                     "xanes_r_factor_to_target": float(r_factor(y, target).mean())}
    p, g, t = out["prior"], out["guided"], out["target"]
    out["guided_over_prior_xanes_rmse"] = g["xanes_rmse_to_target"] / p["xanes_rmse_to_target"]
    gap = t["sp3_fraction"] - p["sp3_fraction"]
    out["sp3_shift_towards_target"] = (g["sp3_fraction"] - p["sp3_fraction"]) / gap if abs(gap) > 1e-9 else None
    return out


# ----------------------------------------------------------------------------- figure
COLORS = {"target": "k", "prior": "C0", "guided": "C3", "prior at target density": "C2"}


def figure(xc: XanesCurves, exafs: tuple, target_set: Structures, samples: dict[str, Structures], summary: dict):
    """Six panels: (a) per-atom XANES of one test cell, (b) cell-averaged XANES of every test cell,
    (c) EXAFS surrogate against FEFF per held-out structure, (d) guided XANES against the target,
    (e) differences to the target, (f) coordination of the guided and unguided samples."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    grid = np.arange(xc.pred.shape[1])
    acc = summary["xanes_surrogate"]

    ax = axes[0, 0]
    cell = xc.names.index(EXAMPLE_CELL) if EXAMPLE_CELL in xc.names else 0
    mine = (xc.system == cell).numpy()
    for j, c in enumerate((2, 3, 4)):
        pick = np.flatnonzero(mine & (xc.coordination == c))
        if pick.size == 0:
            continue
        a = pick[0]
        ax.plot(grid, xc.per_atom_ref[a] + 0.8 * j, color="k", lw=1.0, label="computed" if j == 0 else None)
        ax.plot(grid, xc.per_atom_pred[a] + 0.8 * j, color="C1", lw=1.0, ls="--", label="surrogate" if j == 0 else None)
        ax.text(99, 0.8 * j + 0.15, f"{c}-fold", ha="right", fontsize=7)
    ax.set_xlabel("grid index (no energy axis)"); ax.set_ylabel("μ per atom (offset)")
    ax.set_ylim(top=1.25 * ax.get_ylim()[1]); ax.legend(loc="upper left", bbox_to_anchor=(0, 0.88))
    label_panel(ax, "a", f"XANES per atom ({xc.names[cell]}); {acc['absorbers']} test atoms:\n"
                         f"RMSE {acc['per_atom']['rmse']:.3f}, R² {acc['per_atom']['r2']:.2f}")

    ax = axes[0, 1]
    for j, name in enumerate(xc.names):
        ax.plot(grid, xc.ref[j] + 0.25 * j, color="k", lw=1.0)
        ax.plot(grid, xc.pred[j] + 0.25 * j, color="C1", lw=1.0, ls="--")
        ax.text(99, 0.25 * j + float(xc.ref[j, -1]) + 0.03, f"{name}: {acc['per_cell_rmse'][name]:.4f}", ha="right", fontsize=7)
    ax.set_xlabel("grid index"); ax.set_ylabel("μ, mean over the cell (offset)"); ax.set_ylim(top=1.1 * ax.get_ylim()[1])
    label_panel(ax, "b", f"cell averages, computed (—) vs surrogate (--):\nRMSE {acc['structure']['rmse']:.4f}")

    ax = axes[0, 2]
    k, pred, feff = exafs
    step = 1.2 * float(feff.abs().max())
    for s in range(feff.shape[0]):
        ax.plot(k, feff[s] + step * s, color="k", lw=1.0, label="FEFF" if s == 0 else None)
        ax.plot(k, pred[s] + step * s, color="C1", lw=1.0, ls="--", label="surrogate" if s == 0 else None)
    ex = summary["exafs_surrogate"]
    ax.set_xlabel("k (Å⁻¹)"); ax.set_ylabel("k²χ(k) (Å⁻²), mean over absorbers (offset)")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.25 * (hi - lo)); ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.88), ncol=2)
    label_panel(ax, "c", f"Cu K-edge EXAFS, {ex['structures']} held-out Cu–Zr,\n{ex['absorbers']} absorbers: "
                         f"R = {ex['ensemble']['r_factor']:.1e}")

    g = summary["guided"]
    y_target = xanes_of(target_set)
    ys = {name: xanes_of(x) for name, x in samples.items()}
    ax = axes[1, 0]
    ax.plot(grid, y_target.mean(0), color="k", lw=1.5, label=f"target, held-out {g['target']['density_g_cm3']:g} g/cm³")
    for name, y in ys.items():
        ax.plot(grid, y.mean(0), color=COLORS[name], lw=1.0,
                label=f"{_short(name, g)}: RMSE {g[name]['xanes_rmse_to_target']:.3f}")
    ax.set_xlabel("grid index"); ax.set_ylabel("μ, mean over C atoms"); ax.set_ylim(top=1.6 * ax.get_ylim()[1])
    ax.legend(fontsize=7, loc="upper right", bbox_to_anchor=(1.0, 0.93))
    label_panel(ax, "d", "XANES-guided a-C prior")

    ax = axes[1, 1]
    if y_target.shape[0] > 1:
        ax.fill_between(grid, (y_target - y_target.mean(0)).min(0).values, (y_target - y_target.mean(0)).max(0).values,
                        color="0.85", lw=0, label="target structures − their mean")
    for name, y in ys.items():
        ax.plot(grid, y.mean(0) - y_target.mean(0), color=COLORS[name], lw=1.0, label=f"{_short(name, g)} − target")
    ax.axhline(0, color="k", lw=0.5)
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + 0.6 * (hi - lo))
    ax.set_xlabel("grid index"); ax.set_ylabel("Δμ"); ax.legend(fontsize=7, loc="upper right", bbox_to_anchor=(1.0, 0.93))
    label_panel(ax, "e", "difference to the target")

    ax = axes[1, 2]
    groups = [("target", target_set)] + list(samples.items())
    ks = np.arange(0, 7)
    width = 0.8 / len(groups)
    for j, (name, x) in enumerate(groups):
        cn = local_structure(x, BOND_CUTOFF).coordination
        rec = g["target"] if name == "target" else g[name]
        ax.bar(ks + (j - (len(groups) - 1) / 2) * width, [np.mean(cn == c) for c in ks], width, color=COLORS[name],
               label=f"{_short(name, g)}: sp³ {rec['sp3_fraction']:.3f}, angle std {rec['angle_std_deg']:.1f}°, "
                     f"closest {rec['closest_pair_A']:.2f} Å")
    ax.set_xlabel(f"C coordination (bonds < {BOND_CUTOFF} Å)"); ax.set_ylabel("fraction of atoms"); ax.set_xlim(0.5, 5.5)
    ax.set_ylim(0, 1.4 * ax.get_ylim()[1]); ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0, 0.93))
    label_panel(ax, "f", "coordination and sp³ fraction")
    fig.tight_layout()
    return fig


def _short(name: str, g: dict) -> str:
    """Legend name of an ensemble: its name without "at target density", with its density."""
    rec = g["target"] if name == "target" else g[name]
    return f"{name.replace(' at target density', '')} {rec['density_g_cm3']:g} g/cm³"


def default_figure_path() -> Path:
    return figures_dir() / "xas.png"
