"""Benchmark: do water molecules survive sampling? Sampler options and checkpoints of the water prior side by side.

The water prior diffuses every atom (H and O), so nothing but the network keeps two H on each O. This
table measures how often it fails and how: for each checkpoint (the shipped one by default; pass an
older or retrained one with ``--checkpoint LABEL=PATH``, repeatable) and each sampler row (a set of
:class:`glasslib.diffusion.generate.SampleConfig` fields; the first is the default recipe), ``--n``
unconditional structures in the prior's default cell (seed 0) and ``--n`` guided by the mean g(r) of
its held-out set (``LDA-TIP4P2005-heldout``, a cooling rate never trained on; seed 1), exactly as the
quality card of notebook 04 samples them (:func:`glasslib.studies.prior_cards.sample_card`).

Columns: seconds per structure (one thread), the intact fraction (O with exactly two H within 1.2 Å),
the census of the rest (:func:`glasslib.analysis.water.water_census`: O with one H, O with three or
more, H with no O within 1.2 Å), the closest pair over the sum of covalent radii, and for the guided
ensemble the g(r) error E, the held-out set's diversity D and ΔED = E − D.

The autoguidance row needs a checkpoint's weak companion (``glass train --prior water_tip4p2005_prior
--weak``), trained on the same data: ``--weak LABEL=PATH`` names it for checkpoint LABEL; for the
other checkpoints the row is skipped.

Needs the held-out set (built into the cache when missing, a few minutes). Runs on one CPU thread.

Usage: python benchmarks/water_molecules.py [--n 4] [--rows "pc-200 (default),pc-500"]
       [--checkpoint shipped=data/models/water_tip4p2005_prior/checkpoint.pt] [--weak shipped=PATH] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRIOR = "water_tip4p2005_prior"

#: name -> SampleConfig fields (the first is the default recipe)
ROWS = {
    "pc-200 (default)": {},
    "pc-500": dict(steps=500),
    "pc-1000": dict(steps=1000),
    "pc-200 with 3 corrector steps": dict(corrector_steps=3),
    "pc-200 + 1 restart": dict(restarts=1),
    "heun-100 churn 10": dict(sampler="heun", steps=100, churn=10.0),
    "pc-200 + autoguidance w=2": dict(autoguidance=2.0),
    "pc-200 + water restraint": dict(restraint="water"),
    "pc-200 + water restraint below 0.5 A": dict(restraint="water", restraint_sigma_max=0.5),
    "pc-200 + water restraint below 2 A": dict(restraint="water", restraint_sigma_max=2.0),
}
AUTOGUIDED = {"pc-200 + autoguidance w=2"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="intact water molecules under sampler options and checkpoints")
    p.add_argument("--n", type=int, default=4, help="structures per ensemble (default 4)")
    p.add_argument("--rows", default=",".join(ROWS), help="comma-separated row names (default all)")
    p.add_argument("--checkpoint", action="append", default=None, metavar="LABEL=PATH",
                   help="a checkpoint of the water prior (repeatable; default the shipped one)")
    p.add_argument("--weak", action="append", default=None, metavar="LABEL=PATH",
                   help="weak companion of checkpoint LABEL for the autoguidance row (repeatable)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = p.parse_args(argv)
    rows = [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = [r for r in rows if r not in ROWS]
    if unknown:
        p.error(f"unknown rows {unknown}; known: {list(ROWS)}")
    def labelled(items, option):
        out = {}
        for item in items:
            label, sep, path = item.partition("=")
            if not sep or not Path(path).is_file():
                p.error(f"{option} wants LABEL=PATH of an existing file, got {item!r}")
            out[label] = Path(path)
        return out

    checkpoints = labelled(args.checkpoint or [f"shipped={REPO / 'data/models' / PRIOR / 'checkpoint.pt'}"], "--checkpoint")
    weaks = labelled(args.weak or [], "--weak")
    if set(weaks) - set(checkpoints):
        p.error(f"--weak names checkpoints {sorted(set(weaks) - set(checkpoints))} that no --checkpoint gives")

    import torch

    from glasslib.analysis.water import water_census
    from glasslib.core.atomic_io import atomic_write_text
    from glasslib.diffusion.cell_contents import training_set_summary
    from glasslib.studies import prior_cards as pc

    torch.set_num_threads(args.threads)
    spec = pc.load_priors()[PRIOR]
    heldout = pc.read_dataset(pc.build_spec(pc.get_spec(spec.heldout), progress=False).paths)
    default_cell = training_set_summary(heldout)["default"]

    def summary(x, rec: dict) -> dict:
        c = water_census(x)
        out = {"intact": c["o_with_h"][2], "o_with_one_h": c["o_with_h"][1], "o_with_three_h": sum(c["o_with_h"][3:]),
               "stray_h": c["h_with_o"][0], "closest_over_covalent": rec["min_closest_over_covalent"]}
        return {**out, **{k: rec[k] for k in ("delta_ed", "gr_error", "gr_diversity", "seconds_per_structure") if k in rec}}

    results = []
    for label, path in checkpoints.items():
        for name in rows:
            weak = weaks.get(label) if name in AUTOGUIDED else None
            if name in AUTOGUIDED and weak is None:
                print(f"skipped {label} / {name}: no --weak {label}=PATH", flush=True)
                continue
            ens = pc.sample_card(spec, heldout, heldout, n=args.n, steps=200, seed=0, sp3_n=0, options=ROWS[name],
                                 checkpoint=path, weak=weak)
            records = {r["ensemble"]: r for r in pc.card_records(ens)}  # "training" is the held-out set here
            if not results:
                results.append({"checkpoint": "", "row": f"held-out set ({spec.heldout})",
                                "reference": summary(heldout, records["training"])})
            results.append({"checkpoint": label, "path": str(path), "row": name, **ROWS[name],
                            **{e: summary(ens.samples[e], records[e]) for e in ("unconditional", "guided")}})
            print(f"done {label} / {name}", flush=True)

    print(f"\n{PRIOR}: unconditional in the default cell, guided on the mean g(r) of {spec.heldout} "
          f"({default_cell['composition']}); {args.n} structures per ensemble, {args.threads} thread(s), "
          f"torch {torch.__version__}")
    head = ("| checkpoint | row | ensemble | s/structure | intact | O with 1 H | O with ≥ 3 H | stray H | "
            "closest / covalent | E | D | ΔED |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in results:
        for ensemble in ("reference", "unconditional", "guided"):
            if ensemble not in r:
                continue
            e = r[ensemble]
            cols = [f"{e['seconds_per_structure']:.1f}" if "seconds_per_structure" in e else "",
                    f"{e['intact']:.3f}", f"{e['o_with_one_h']:.3f}", f"{e['o_with_three_h']:.3f}", f"{e['stray_h']:.3f}",
                    f"{e['closest_over_covalent']:.2f}"]
            cols += ([f"{e['gr_error']:.3f}", f"{e['gr_diversity']:.3f}", f"{e['delta_ed']:+.3f}"] if "delta_ed" in e
                     else ["", "", ""])
            print(f"| {r['checkpoint']} | {r['row']} | {ensemble} | " + " | ".join(cols) + " |")
    if args.json:
        meta = {"prior": PRIOR, "n": args.n, "threads": args.threads, "torch": torch.__version__,
                "checkpoints": {k: str(v) for k, v in checkpoints.items()}, "weak": {k: str(v) for k, v in weaks.items()}}
        atomic_write_text(args.json, json.dumps({"meta": meta, "rows": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
