"""GLASS on amorphous silicon (notebook 03): the learned prior, unconditional and g(r)-guided samples.

The prior is trained on Stillinger–Weber a-Si made by melt-quench (``aSi-SW-prior``, 216 atoms,
2.1–2.5 g/cm³). At 2.28 g/cm³, between the training densities, three ensembles are sampled with
the one recipe (:func:`glasslib.diffusion.generate.generate`), all from uniform random positions
in the same cubic box:

* ``prior``: the prior's score alone;
* ``autoguided``: s + (w − 1)(s − s_weak) with the weak companion network (Karras et al. 2024);
* ``guided``: the prior plus DPS guidance on the g(r) of the Tweedie estimate, the target being
  the mean g(r) of held-out SW structures at 2.28 g/cm³ (never seen in training).

Each is compared with the references by local structure (coordination, bond angles, closest
pairs; bonds shorter than :data:`BOND_CUTOFF`) and by the g(r) error against the held-out
ensemble's own diversity (ΔED = E − D, :func:`glasslib.analysis.error_diversity`).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from glasslib.analysis import error_diversity, local_structure, rmse, spectral_diversity

from glasslib.core.paths import data_dir, figures_dir
from glasslib.core.structures import Structures
from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, generate
from glasslib.diffusion.priors import build_prior
from glasslib.diffusion.training import Checkpoint, load_checkpoint
from glasslib.plotting import label_panel
from glasslib.simulate import build_spec, read_dataset
from glasslib.spectra.kinds import KINDS
from glasslib.spectra.targets import Target

#: sizes per profile. n: structures per ensemble; steps: predictor steps; train_per_density:
#: training references per density (None: all); retrain: train the prior from the declared data
PROFILES = {
    "smoke": dict(n=2, steps=20, train_per_density=1, retrain=False),
    "default": dict(n=4, steps=200, train_per_density=None, retrain=False),
    "paper": dict(n=8, steps=200, train_per_density=None, retrain=True),
}
DENSITY = 2.28  # g/cm³, between the training densities
N_ATOMS = 216
BOND_CUTOFF = 2.85  # Å, first minimum of g(r)
GUIDANCE_STEP = 1.0  # guidance RMS / score RMS per atom
#: g(r) grid of the comparison and of the guidance target: 0.05 … 8 Å (inside half the 216-atom box)
R = torch.arange(1, 161, dtype=torch.float64) * 0.05
GR_SMEARING = 0.05  # Å, the registry's default for g(r)
PRIOR = "asi_sw_prior"  # the declared prior (data/specs/priors.yaml)
SHIPPED = data_dir() / "models" / PRIOR
ENSEMBLES = ("prior", "autoguided", "guided")


def g_of_r(x: Structures) -> torch.Tensor:
    """(S, 160) g(r) on :data:`R`, smeared by :data:`GR_SMEARING`, in float64 on the CPU."""
    with torch.no_grad():
        return KINDS["gr"].compute(x.to(device="cpu", dtype=torch.float64), R, smearing=GR_SMEARING)


def load_references(train_per_density: int | None) -> tuple[Structures, Structures]:
    """(training set, held-out set at 2.28 g/cm³) from the dataset cache (simulated if missing)."""
    train = read_dataset(build_spec("aSi-SW-prior", per_group=train_per_density, progress=False).paths)
    heldout = read_dataset(build_spec("aSi-SW-prior-heldout", progress=False).paths)
    return train, heldout


def reference_summary(train: Structures, heldout: Structures) -> dict:
    """Local structure of both reference sets and their g(r) spread (leave-one-out RMSE)."""
    out = {"training set": _numbers(local_structure(train, BOND_CUTOFF)),
           "held-out 2.28": _numbers(local_structure(heldout, BOND_CUTOFF))}
    out.update(n_train=train.n_systems, n_heldout=heldout.n_systems,
               train_gr_spread=float(spectral_diversity(g_of_r(train)).mean()),
               heldout_gr_diversity=float(spectral_diversity(g_of_r(heldout)).mean()))
    return out


def retrain(out_dir: Path, device, *, weak: bool = False) -> Path:
    """Retrain the shipped prior (or its weak companion) from its declared recipe
    (``data/specs/priors.yaml``, :func:`glasslib.diffusion.priors.build_prior`) into ``out_dir``;
    returns the new checkpoint's path."""
    return build_prior(PRIOR, out_dir=out_dir, weak=weak, device=device, progress=False)


def load_networks(checkpoint: Path, weak_checkpoint: Path, device) -> tuple[Checkpoint, Checkpoint]:
    """The prior (must cover Si only) and its weak companion (same species, noise process, data)."""
    ckpt = load_checkpoint(checkpoint, device, species=[14])
    weak = load_checkpoint(weak_checkpoint, device)
    ckpt.require_companion(weak)
    return ckpt, weak


def gr_guidance(heldout: Structures, device, dtype) -> list[GuidanceTerm]:
    """The guided ensemble's one term: the held-out set's mean g(r) on :data:`R` (smearing
    :data:`GR_SMEARING`, weight 1), computed from the structures in ``dtype`` on ``device``."""
    target = Target.from_structures("gr", heldout.to(device=device, dtype=dtype), R,
                                    smearing=GR_SMEARING, source="mean g(r) of aSi-SW-prior-heldout (2.28 g/cm3)")
    return [GuidanceTerm(target, 1.0, smearing=GR_SMEARING)]


def sample_ensembles(ckpt: Checkpoint, weak: Checkpoint, heldout: Structures, *, n: int, steps: int, seed: int,
                     autoguidance: float, device) -> tuple[dict[str, Structures], dict[str, float], dict]:
    """The three ensembles (module docstring); returns samples, seconds per ensemble and the
    sampling record of each (resolved config and checkpoint hashes)."""
    guidance = gr_guidance(heldout, device, ckpt.config.torch_dtype)
    runs = {"prior": (seed, None, ()), "autoguided": (seed, weak, ()), "guided": (seed + 1, None, guidance)}
    samples, seconds, records = {}, {}, {}
    for name, (s, w, terms) in runs.items():
        config = SampleConfig(n=n, atoms=N_ATOMS, density=DENSITY, seed=s, steps=steps, autoguidance=autoguidance,
                              guidance_step=GUIDANCE_STEP, device=str(device))
        t0 = time.perf_counter()
        out = generate(ckpt, config, terms, weak=w)
        seconds[name] = time.perf_counter() - t0
        samples[name], records[name] = out.structures, out.record
    return samples, seconds, records


def ensemble_summary(samples: dict[str, Structures], seconds: dict[str, float], train: Structures,
                     heldout: Structures) -> dict:
    """Per ensemble: local structure, seconds per structure, g(r) RMSE to the training mean, and
    error, diversity and ΔED against the held-out g(r)."""
    g_train, g_held = g_of_r(train), g_of_r(heldout)
    out = {}
    for name, x in samples.items():
        g = g_of_r(x)
        ed = error_diversity(g, g_held, asymptote=1.0)
        out[name] = {**_numbers(local_structure(x, BOND_CUTOFF)), "seconds_per_structure": seconds[name] / x.n_systems,
                     "gr_rmse_vs_train_mean": float(rmse(g, g_train.mean(0)).mean()),
                     "gr_error_vs_heldout": ed.error, "heldout_diversity": ed.diversity, "delta_ed": ed.delta_ed}
    return out


def _numbers(d) -> dict:
    return {k: v for k, v in asdict(d).items() if not isinstance(v, np.ndarray)}


COLORS = {"prior": "C0", "autoguided": "C2", "guided": "C3"}


def figure(train: Structures, heldout: Structures, samples: dict[str, Structures], summary: dict):
    """Four panels: g(r) against the target, differences to it, bond angles, coordination."""
    import matplotlib.pyplot as plt

    g_train, g_held = g_of_r(train), g_of_r(heldout)
    g_gen = {name: g_of_r(x) for name, x in samples.items()}
    ls = {"training set": local_structure(train, BOND_CUTOFF), "held-out": local_structure(heldout, BOND_CUTOFF)}
    ensembles = [("training set", ls["training set"], "0.5"), ("held-out", ls["held-out"], "k")] + \
        [(n, local_structure(x, BOND_CUTOFF), COLORS[n]) for n, x in samples.items()]
    s = summary["samples"]
    fig, axes = plt.subplots(2, 2, figsize=(10, 7))

    ax = axes[0, 0]
    ax.fill_between(R, g_train.min(0).values, g_train.max(0).values, color="0.85", lw=0, label="training set (range)")
    ax.plot(R, g_held.mean(0), color="k", lw=1.4, label="held-out 2.28 (target)")
    for name in samples:
        ax.plot(R, g_gen[name].mean(0), color=COLORS[name], lw=0.9, label=name)
    ax.set_xlabel("r (Å)"); ax.set_ylabel("g(r)"); ax.set_xlim(1.5, 8.0)
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.93))
    label_panel(ax, "a", "g(r) error vs held-out: " + ", ".join(f"{n} {s[n]['gr_error_vs_heldout']:.3f}" for n in samples)
                + f"; diversity {summary['references']['heldout_gr_diversity']:.3f}")

    ax = axes[0, 1]
    for name in samples:
        ax.plot(R, g_gen[name].mean(0) - g_held.mean(0), color=COLORS[name], lw=0.9, label=f"{name} − target")
    for k in range(g_held.shape[0]):
        ax.plot(R, g_held[k] - g_held.mean(0), color="0.6", lw=0.5, label="held-out replicas − mean" if k == 0 else None)
    ax.axhline(0, color="k", lw=0.5); ax.set_xlim(1.5, 8.0)
    ax.set_xlabel("r (Å)"); ax.set_ylabel("Δg(r)"); ax.legend(loc="lower right")
    label_panel(ax, "b", "difference to the target")

    ax = axes[1, 0]
    bins = np.arange(0, 181, 3.0)
    for lab, d, c in ensembles:
        ax.hist(d.angles, bins=bins, density=True, histtype="step", color=c, lw=1.0,
                label=f"{lab}: std {d.angle_std_deg:.1f}°, <70° {100 * d.angle_fraction_below_70:.1f} %")
    ax.axvline(109.47, color="0.7", lw=0.6)
    ax.set_xlabel("bond angle (degrees)"); ax.set_ylabel("density (1/degree)")
    ax.set_ylim(0, 1.35 * ax.get_ylim()[1]); ax.legend(fontsize=7, loc="upper right", bbox_to_anchor=(1.0, 0.93))
    label_panel(ax, "c", f"bond angles (bonds < {BOND_CUTOFF} Å)")

    ax = axes[1, 1]
    ks = np.arange(0, 9)
    width = 0.8 / len(ensembles)
    for j, (lab, d, c) in enumerate(ensembles):
        frac = np.array([np.mean(d.coordination == k) for k in ks])
        ax.bar(ks + (j - (len(ensembles) - 1) / 2) * width, frac, width, color=c,
               label=f"{lab}: mean {d.coordination_mean:.2f}, 4-fold {d.fourfold_fraction:.2f}")
    ax.set_xlabel("coordination number"); ax.set_ylabel("fraction of atoms"); ax.set_xlim(0.5, 7.5)
    ax.set_ylim(0, 1.45 * ax.get_ylim()[1]); ax.legend(fontsize=7, loc="upper right", bbox_to_anchor=(1.0, 0.93))
    label_panel(ax, "d", "coordination")
    fig.tight_layout()
    return fig


def default_figure_path() -> Path:
    return figures_dir() / "glass_asi.png"
