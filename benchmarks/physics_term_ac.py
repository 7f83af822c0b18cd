"""Benchmark: the optional physics term on the shipped a-C prior (Tersoff, the a-C training sets' potential).

Rows: the prior alone, then with the force of the training sets' own Tersoff potential (the C-C-C entry of
``data/potentials/lammps/SiC.tersoff``) on the Tweedie estimate below σ = 0.5 Å, at 300 K (the training
sets' final temperature) and 1000 K (:func:`glasslib.diffusion.guidance.with_potential_guidance`). Each row
samples ``--n`` unconditional structures and ``--n`` structures guided by the mean g(r) of the held-out
2.75 g/cm³ set, both in that set's cell (216 atoms at 2.75 g/cm³, a density the prior was not trained on),
as notebook 04's quality card does (:mod:`glasslib.studies.prior_cards`). Columns: the card's criteria
against the held-out set (closest pair over the covalent sum, C-C coordination, C-C-C angle spread and
fraction < 70°, sp³ fraction), the Tersoff energy per atom, ΔED of the guided ensemble, and seconds per
structure on one thread. The held-out set's own values are the first row.

Needs the ``aC-Tersoff-2.75-heldout`` set (built into the cache when missing, minutes).

Usage: python benchmarks/physics_term_ac.py [--n 8] [--steps 200] [--threads 1] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TERSOFF_FILE = "data/potentials/lammps/SiC.tersoff"
#: name -> SampleConfig fields of every run of the row
ROWS = {
    "prior alone": {},
    "+ Tersoff 300 K": dict(potential=TERSOFF_FILE, potential_temperature=300.0),
    "+ Tersoff 1000 K": dict(potential=TERSOFF_FILE, potential_temperature=1000.0),
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="a-C prior with and without the Tersoff physics term")
    p.add_argument("--n", type=int, default=8, help="structures per ensemble (default 8)")
    p.add_argument("--steps", type=int, default=200, help="predictor steps (default 200, the recipe's)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)

    import torch

    from glasslib.core.atomic_io import atomic_write_text
    from glasslib.diffusion.cell_contents import training_set_summary
    from glasslib.diffusion.potentials import Tersoff
    from glasslib.studies import prior_cards as pc

    torch.set_num_threads(args.threads)
    spec = pc.load_priors()["ac_tersoff_prior"]
    card = pc.CARDS[spec.name]
    heldout = pc.read_dataset(pc.build_spec(pc.get_spec(spec.heldout), progress=False).paths)
    cell = training_set_summary(heldout)["default"]
    tersoff = Tersoff(REPO / TERSOFF_FILE, "C")

    def summary(x, rec: dict) -> dict:
        angles = rec["angles"]["C-C-C"]
        s = x.to(dtype=torch.float64)
        return {"closest_over_covalent": rec["min_closest_over_covalent"], "coordination": rec["coordination"]["C-C"],
                "angle_std_deg": angles["std_deg"], "below_70": angles["fraction_below_70"],
                "sp3_fraction": pc.sp3_fraction(x, card),
                "tersoff_eV_per_atom": float((tersoff(s) / s.n_atoms_per_system.to(s.dtype)).mean()),
                **{k: rec[k] for k in ("delta_ed", "gr_error", "gr_diversity", "seconds_per_structure") if k in rec}}

    results = []
    for name, fields in ROWS.items():
        options = {"composition": cell["composition"], "atoms": cell["atoms"], "density": cell["density"], **fields}
        if "potential" in options:
            options["potential"] = str(REPO / options["potential"])
        ens = pc.sample_card(spec, heldout, heldout, n=args.n, steps=args.steps, seed=0, sp3_n=0, options=options)
        records = {r["ensemble"]: r for r in pc.card_records(ens)}  # "training" is the held-out set here
        if not results:
            results.append({"row": f"held-out set ({spec.heldout})", "reference": summary(heldout, records["training"])})
        results.append({"row": name, **fields,
                        **{e: summary(ens.samples[e], records[e]) for e in ("unconditional", "guided")}})
        print(f"done {name}", flush=True)

    print(f"\na-C prior ({spec.name}), {cell['atoms']} atoms at {cell['density']:.2f} g/cm³ (the held-out cell), "
          f"{args.n} structures per ensemble, {args.steps} PC steps, {args.threads} thread(s), torch {torch.__version__}")
    head = ("| row | ensemble | s/structure | closest / covalent | C-C coordination | angle std ° | < 70° % | sp³ | "
            "Tersoff eV/atom | E | D | ΔED |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in results:
        for ensemble in ("reference", "unconditional", "guided"):
            if ensemble not in r:
                continue
            e = r[ensemble]
            ed = (f"{e['gr_error']:.3f} | {e['gr_diversity']:.3f} | {e['delta_ed']:+.3f}" if "delta_ed" in e else "| |")
            sec = f"{e['seconds_per_structure']:.2f}" if "seconds_per_structure" in e else ""
            print(f"| {r['row']} | {ensemble} | {sec} | {e['closest_over_covalent']:.2f} | {e['coordination']:.2f} | "
                  f"{e['angle_std_deg']:.1f} | {100 * e['below_70']:.1f} | {e['sp3_fraction']:.2f} | "
                  f"{e['tersoff_eV_per_atom']:.3f} | {ed} |")
    if args.json:
        meta = {"n": args.n, "steps": args.steps, "threads": args.threads, "torch": torch.__version__, "cell": cell,
                "checkpoint": "data/models/ac_tersoff_prior/checkpoint.pt"}
        atomic_write_text(args.json, json.dumps({"meta": meta, "rows": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
