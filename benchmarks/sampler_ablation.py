"""Benchmark: sampler options on the shipped a-Si prior, quality and cost side by side.

One row per sampler setting of the one recipe (:class:`glasslib.diffusion.generate.SampleConfig`),
each sampling ``--n`` 216-atom structures at 2.28 g/cm³ unconditionally (seed 0) and ``--n``
guided by the mean g(r) of the held-out SW set at 2.28 g/cm³ (seed 1), as notebook 03 does
(:mod:`glasslib.studies.glass_asi`: grid, smearing, guidance step, bond cutoff 2.85 Å, and its
summary of each ensemble), except that the target's mean g(r) is computed in float64 (the
notebook computes it in the checkpoint's dtype).
Columns: network evaluations per structure (counted), seconds per structure on one thread, and
for both ensembles the local structure (angle std, fraction of angles < 70°, coordination, four-fold
fraction, closest pair), the g(r) RMSE to the training mean and the Stillinger-Weber energy per atom
(the training sets' potential; the training and held-out sets' own means are printed above the
table); for the guided ensemble also error E, held-out diversity D and ΔED = E − D. The first row
is the current default. (The committed ``sampler_ablation.json`` predates the energy column.)

Needs the ``aSi-SW-prior`` and ``aSi-SW-prior-heldout`` sets (built into the cache when missing,
a few minutes). Runs on one CPU thread by default.

The rows named "+ SW" add the optional physics term (the training potential's force on the
Tweedie estimate); their committed run is ``benchmarks/results/physics_term_ablation.json``.
``--relax`` adds, per row, both ensembles after a full LAMMPS minimisation with the training sets'
SW potential (conjugate gradient to a force tolerance of 1e-8 eV/Å, as an independent route to
what a potential can do to the samples); their seconds include the minimisation. Committed run:
``benchmarks/results/sampler_ablation_relaxed.json``.

Usage: python benchmarks/sampler_ablation.py [--n 8] [--rows pc-200,heun-35] [--threads 1]
       [--relax] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: the Stillinger-Weber file that made the a-Si training sets (relative to the repository)
SW_FILE = "data/potentials/lammps/Si.sw"

#: name -> SampleConfig fields beyond n, seed, atoms, density (the first is the default recipe;
#: guidance step 1.0, notebook 03's, unless a row says otherwise: it matters only to the guided ensemble)
ROWS = {
    "pc-200 (default)": dict(sampler="pc", steps=200),
    "pc-100": dict(sampler="pc", steps=100),
    "heun-18": dict(sampler="heun", steps=18),
    "heun-35": dict(sampler="heun", steps=35),
    "heun-35 churn 10": dict(sampler="heun", steps=35, churn=10.0),
    "heun-35 + 2 restarts": dict(sampler="heun", steps=35, restarts=2),
    "heun-35 churn 10 + guidance step 2": dict(sampler="heun", steps=35, churn=10.0, guidance_step=2.0),
    "heun-35 churn 10 + guidance step 4": dict(sampler="heun", steps=35, churn=10.0, guidance_step=4.0),
    # the optional physics term (glasslib.diffusion.guidance.with_potential_guidance): the training
    # sets' own Stillinger-Weber potential on the Tweedie estimate, at their final temperature (300 K),
    # weaker (1000 K, 3000 K), and switched on earlier (sigma <= 1 A instead of 0.5 A)
    "pc-200 + SW 300 K": dict(sampler="pc", steps=200, potential=SW_FILE, potential_temperature=300.0),
    "pc-200 + SW 1000 K": dict(sampler="pc", steps=200, potential=SW_FILE, potential_temperature=1000.0),
    "pc-200 + SW 3000 K": dict(sampler="pc", steps=200, potential=SW_FILE, potential_temperature=3000.0),
    "pc-200 + SW 1000 K from 1 A": dict(sampler="pc", steps=200, potential=SW_FILE, potential_temperature=1000.0,
                                        potential_sigma_max=1.0),
    "heun-35 churn 10 + SW 1000 K": dict(sampler="heun", steps=35, churn=10.0, potential=SW_FILE,
                                         potential_temperature=1000.0),
}


def lammps_minimised(structures):
    """Each structure minimised with the SW potential of the a-Si training sets (LAMMPS, fixed cell,
    conjugate gradient, energy tolerance 1e-12, force tolerance 1e-8 eV/Å)."""
    from glasslib.core.structures import from_ase, to_ase
    from glasslib.simulate.systems import SI_SW

    return from_ase([SI_SW.engine.minimise(atoms, SI_SW) for atoms in to_ase(structures)], dtype=structures.dtype)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="a-Si sampler ablation (quality and cost)")
    p.add_argument("--n", type=int, default=8, help="structures per ensemble (default 8)")
    p.add_argument("--rows", default=",".join(ROWS), help="comma-separated row names (default all)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--relax", action="store_true", help="also minimise every sample with LAMMPS SW (extra ensembles)")
    p.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = p.parse_args(argv)

    import torch

    from glasslib.diffusion.generate import SampleConfig, generate
    from glasslib.diffusion.training import load_checkpoint
    from glasslib.core.atomic_io import atomic_write_text
    from glasslib.diffusion.potentials import StillingerWeber
    from glasslib.studies import glass_asi as asi

    torch.set_num_threads(args.threads)
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        p.error(f"unknown rows {unknown}; known: {list(ROWS)}")
    train, heldout = asi.load_references(None)
    ckpt = load_checkpoint(asi.SHIPPED / "checkpoint.pt", "cpu", species=[14])
    guidance = asi.gr_guidance(heldout, "cpu", torch.float64)  # the target curve in float64
    sw = StillingerWeber(REPO / SW_FILE)

    def sw_per_atom(structures) -> float:
        """Mean SW energy per atom of an ensemble, eV (float64)."""
        s = structures.to(dtype=torch.float64)
        return float((sw(s) / s.n_atoms_per_system.to(torch.float64)).mean())

    train_energy, heldout_energy = sw_per_atom(train), sw_per_atom(heldout)

    calls = [0]  # network evaluations of one run (all structures go through each call together)
    denoiser_score = ckpt.denoiser.score

    def counted(x, t):
        calls[0] += 1
        return denoiser_score(x, t)

    ckpt.denoiser.score = counted
    #: notebook 03's summary (glass_asi.ensemble_summary) -> this table's names
    keys = {"angle_std_deg": "angle_std_deg", "angle_fraction_below_70": "below_70", "coordination_mean": "coordination",
            "fourfold_fraction": "fourfold", "closest_pair_A": "closest_A", "gr_rmse_vs_train_mean": "gr_rmse_train",
            "seconds_per_structure": "seconds_per_structure"}
    results = []
    for name in rows:
        out = {"row": name, **ROWS[name]}
        samples, seconds, evaluations = {}, {}, {}
        for ensemble, seed, terms in (("unconditional", 0, ()), ("guided", 1, guidance)):
            fields = {"guidance_step": asi.GUIDANCE_STEP, **ROWS[name]}
            if "potential" in fields:
                fields["potential"] = str(REPO / fields["potential"])
            config = SampleConfig(n=args.n, seed=seed, atoms=asi.N_ATOMS, density=asi.DENSITY, **fields)
            calls[0] = 0
            t0 = time.perf_counter()
            samples[ensemble] = generate(ckpt, config, terms).structures
            seconds[ensemble], evaluations[ensemble] = time.perf_counter() - t0, calls[0]
            if args.relax:
                key = f"{ensemble}, SW-minimised"
                t0 = time.perf_counter()
                samples[key] = lammps_minimised(samples[ensemble])
                seconds[key], evaluations[key] = seconds[ensemble] + time.perf_counter() - t0, evaluations[ensemble]
        summary = asi.ensemble_summary(samples, seconds, train, heldout)
        for ensemble, s in summary.items():
            out[ensemble] = {new: s[old] for old, new in keys.items()} | {"network_evaluations": evaluations[ensemble],
                                                                         "sw_energy_eV_per_atom": sw_per_atom(samples[ensemble])}
        for ensemble in [e for e in out if e.startswith("guided")]:
            out[ensemble].update(error=summary[ensemble]["gr_error_vs_heldout"],
                                 diversity=summary[ensemble]["heldout_diversity"], delta_ed=summary[ensemble]["delta_ed"])
        results.append(out)
        print(f"done {name}", flush=True)

    head = ("| row | ensemble | network evaluations | s/structure | × default | angle std ° | < 70° % | coordination | "
            "four-fold | closest Å | g(r) RMSE train | SW eV/atom | E | D | ΔED |")
    print(f"\na-Si, {asi.N_ATOMS} atoms, {asi.DENSITY} g/cm³, {args.n} structures per ensemble, "
          f"{args.threads} thread(s), torch {torch.__version__}; SW energy of the training set {train_energy:.3f} eV/atom, "
          f"of the held-out set at {asi.DENSITY} g/cm³ {heldout_energy:.3f} eV/atom")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in results:
        for ensemble in [e for e in r if e.startswith(("unconditional", "guided"))]:
            e = r[ensemble]
            ratio = e["seconds_per_structure"] / results[0][ensemble]["seconds_per_structure"]
            ed = (f"{e['error']:.3f} | {e['diversity']:.3f} | {e['delta_ed']:+.3f}" if "error" in e else "| |")
            print(f"| {r['row']} | {ensemble} | {e['network_evaluations']} | {e['seconds_per_structure']:.2f} | {ratio:.2f} | "
                  f"{e['angle_std_deg']:.1f} | "
                  f"{100 * e['below_70']:.1f} | {e['coordination']:.2f} | {e['fourfold']:.2f} | {e['closest_A']:.2f} | "
                  f"{e['gr_rmse_train']:.3f} | {e['sw_energy_eV_per_atom']:.3f} | {ed} |")
    if args.json:
        meta = {"n": args.n, "threads": args.threads, "torch": torch.__version__, "atoms": asi.N_ATOMS,
                "density": asi.DENSITY, "training_sw_energy_eV_per_atom": train_energy,
                "heldout_sw_energy_eV_per_atom": heldout_energy,
                "checkpoint": str((asi.SHIPPED / "checkpoint.pt").relative_to(Path(__file__).resolve().parents[1]))}
        atomic_write_text(args.json, json.dumps({"meta": meta, "rows": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
