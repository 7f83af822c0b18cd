"""Benchmark: a classical potential added to a shipped prior's samples, during sampling (the optional
physics term) or after it (``relax``), with the potential of the prior's own training sets.

Systems (``--system``):

* ``ac``: the a-C prior and the C-C-C entry of ``data/potentials/lammps/SiC.tersoff`` (Tersoff), at
  300 K (the training sets' final temperature) and 1000 K; held-out set ``aC-Tersoff-2.75-heldout``
  (216 atoms at 2.75 g/cm³, a density the prior was not trained on).
* ``sio2``: the SiO₂ prior and ``data/potentials/lammps/SiO.1990.vashishta`` (Vashishta, Si and O) at
  300 K and 3000 K; its r⁻ⁿ cores need the force cap (``potential_max_force``, 10 eV/Å here) where
  the estimate still overlaps atoms; held-out set ``SiO2-Vashishta-heldout`` (648 atoms at 2.3 g/cm³).
* ``cuzr``: the Cu-Zr prior; its Mendelev EAM has no torch version, so only the prior alone and, with
  ``--relax``, its samples minimised; held-out set ``CuZr-heldout`` (Cu64Zr36, Cu45Zr55).

Rows: the prior alone, then with the force of the potential on the Tweedie estimate below σ = 0.5 Å
(:func:`glasslib.diffusion.guidance.with_potential_guidance`). Each row samples ``--n``
unconditional structures and ``--n`` structures guided by the mean g(r) of the held-out set, both in
that set's cell, as notebook 04's quality card does (:mod:`glasslib.studies.prior_cards`). Columns:
the card's criteria against the held-out set (closest pair over the covalent sum, coordination,
bond-angle spreads and fraction < 70°, sp³ fraction for a-C, first-peak positions for Cu-Zr), the
potential's energy per atom where it has a torch version, ΔED of the guided ensemble, and seconds per
structure. The held-out set's own values are the first row. ``--relax`` adds, per row, both
ensembles after a full LAMMPS minimisation at fixed cell with the same potential
(``SampleConfig(relax=...)``, :class:`glasslib.diffusion.generate.Relaxation`), the seconds then
including it.

Needs the held-out set (built into the cache when missing: minutes to an hour).

Usage: python benchmarks/physics_term.py [--system ac|sio2|cuzr] [--n 8] [--steps 200] [--threads 1] [--relax]
       [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Column:
    """One criterion: table header, JSON key, path into a card record, scale and format."""

    header: str
    key: str
    path: tuple
    scale: float = 1.0
    fmt: str = ".2f"


def _angle(angle: str, key: str = "angle") -> tuple[Column, Column]:
    return (Column(f"{angle} std °", f"{key}_std_deg", ("angles", angle, "std_deg"), fmt=".1f"),
            Column(f"{angle} < 70° %", f"{key}_below_70", ("angles", angle, "fraction_below_70"), 100.0, ".1f"))


@dataclass(frozen=True)
class System:
    """One prior's ablation: the potential (file for the physics term, LAMMPS system for --relax), the
    card's criteria it reports, and the rows (name -> SampleConfig fields)."""

    prior: str
    lammps: str
    columns: tuple
    rows: dict
    label: str | None = None  # the potential's name (None: no torch version, no energy column)
    file: str | None = None
    sp3: bool = False


TERSOFF_FILE = "data/potentials/lammps/SiC.tersoff"
VASHISHTA_FILE = "data/potentials/lammps/SiO.1990.vashishta"
SYSTEMS = {
    "ac": System("ac_tersoff_prior", "a-C-Tersoff", (
        Column("C-C coordination", "coordination", ("coordination", "C-C")), *_angle("C-C-C")), rows={
        "prior alone": {},
        "+ Tersoff 300 K": dict(potential=TERSOFF_FILE, potential_temperature=300.0),
        "+ Tersoff 1000 K": dict(potential=TERSOFF_FILE, potential_temperature=1000.0)},
        label="Tersoff", file=TERSOFF_FILE, sp3=True),
    "sio2": System("sio2_vashishta_prior", "SiO2-Vashishta", (
        Column("Si-O coordination", "coordination", ("coordination", "Si-O")), *_angle("O-Si-O"),
        *_angle("Si-O-Si", "second_angle")), rows={
        "prior alone": {},
        "+ Vashishta 300 K": dict(potential=VASHISHTA_FILE, potential_temperature=300.0, potential_max_force=10.0),
        "+ Vashishta 3000 K": dict(potential=VASHISHTA_FILE, potential_temperature=3000.0, potential_max_force=10.0)},
        label="Vashishta", file=VASHISHTA_FILE),
    "cuzr": System("cuzr_mendelev_prior", "CuZr-Mendelev", tuple(
        Column(f"{pair} peak Å", f"{pair}_first_peak_A", ("pairs", pair, "first_peak_A")) for pair in
        ("Cu-Cu", "Cu-Zr", "Zr-Zr")), rows={"prior alone": {}}),
}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="a prior with and without its training potential")
    p.add_argument("--system", choices=sorted(SYSTEMS), default="ac", help="which prior (default ac)")
    p.add_argument("--n", type=int, default=8, help="structures per ensemble (default 8)")
    p.add_argument("--steps", type=int, default=200, help="predictor steps (default 200, the recipe's)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--relax", action="store_true",
                   help="also minimise every sample with LAMMPS and the same potential (extra rows)")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args(argv)

    import dataclasses
    import time

    import torch
    from ase.data import chemical_symbols

    from glasslib.core.atomic_io import atomic_write_text
    from glasslib.diffusion.cell_contents import training_set_summary
    from glasslib.diffusion.generate import Relaxation
    from glasslib.diffusion.potentials import load_potential
    from glasslib.simulate.systems import get_system
    from glasslib.studies import prior_cards as pc

    torch.set_num_threads(args.threads)
    system = SYSTEMS[args.system]
    spec = pc.load_priors()[system.prior]
    card = pc.CARDS[spec.name]
    heldout = pc.read_dataset(pc.build_spec(pc.get_spec(spec.heldout), progress=False).paths)
    cell = training_set_summary(heldout)["default"]
    elements = [chemical_symbols[z] for z in heldout.elements]
    energy = None if system.file is None else load_potential(REPO / system.file, elements)
    energy_key = None if system.label is None else f"{system.label.lower()}_eV_per_atom"
    relaxation = Relaxation(get_system(system.lammps)) if args.relax else None

    def summary(x, rec: dict) -> dict:
        out = {"closest_over_covalent": rec["min_closest_over_covalent"]}
        for c in system.columns:
            value = rec
            for part in c.path:
                value = value[part]
            out[c.key] = value
        if energy is not None:
            s = x.to(dtype=torch.float64)
            out[energy_key] = float((energy(s) / s.n_atoms_per_system.to(s.dtype)).mean())
        if system.sp3:
            out["sp3_fraction"] = pc.sp3_fraction(x, card)
        return {**out, **{k: rec[k] for k in ("delta_ed", "gr_error", "gr_diversity", "seconds_per_structure") if k in rec}}

    results = []
    for name, fields in system.rows.items():
        options = {"composition": cell["composition"], "atoms": cell["atoms"], "density": cell["density"], **fields}
        if "potential" in options:
            options["potential"] = str(REPO / options["potential"])
        ens = pc.sample_card(spec, heldout, heldout, n=args.n, steps=args.steps, seed=0, sp3_n=0, options=options)
        records = {r["ensemble"]: r for r in pc.card_records(ens)}  # "training" is the held-out set here
        if not results:
            results.append({"row": f"held-out set ({spec.heldout})", "reference": summary(heldout, records["training"])})
        results.append({"row": name, **fields,
                        **{e: summary(ens.samples[e], records[e]) for e in ("unconditional", "guided")}})
        if relaxation is not None:  # the same samples minimised, as SampleConfig(relax=...) does
            relaxed = dataclasses.replace(ens, samples={}, seconds={})
            for e, x in ens.samples.items():
                t0 = time.perf_counter()
                relaxed.samples[e] = relaxation(x)
                relaxed.seconds[e] = ens.seconds[e] + (time.perf_counter() - t0) / x.n_systems
            records = {r["ensemble"]: r for r in pc.card_records(relaxed)}
            results.append({"row": f"{name}, LAMMPS-minimised", **fields, "relax": system.lammps,
                            **{e: summary(relaxed.samples[e], records[e]) for e in ("unconditional", "guided")}})
        print(f"done {name}", flush=True)

    print(f"\n{spec.name}, {cell['atoms']} atoms ({cell['composition']}) at {cell['density']:.2f} g/cm³ (the held-out "
          f"cell), {args.n} structures per ensemble, {args.steps} PC steps, {args.threads} thread(s), torch {torch.__version__}")
    head = ("| row | ensemble | s/structure | closest / covalent | " + "".join(f"{c.header} | " for c in system.columns)
            + ("sp³ | " if system.sp3 else "") + (f"{system.label} eV/atom | " if energy is not None else "")
            + "E | D | ΔED |")
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for r in results:
        for ensemble in ("reference", "unconditional", "guided"):
            if ensemble not in r:
                continue
            e = r[ensemble]
            cols = [f"{e['seconds_per_structure']:.2f}" if "seconds_per_structure" in e else "",
                    f"{e['closest_over_covalent']:.2f}", *(format(e[c.key] * c.scale, c.fmt) for c in system.columns)]
            if system.sp3:
                cols.append(f"{e['sp3_fraction']:.2f}")
            if energy is not None:
                cols.append(f"{e[energy_key]:.3f}")
            cols += ([f"{e['gr_error']:.3f}", f"{e['gr_diversity']:.3f}", f"{e['delta_ed']:+.3f}"] if "delta_ed" in e
                     else ["", "", ""])
            print(f"| {r['row']} | {ensemble} | " + " | ".join(cols) + " |")
    if args.json:
        meta = {"system": args.system, "relax": args.relax, "n": args.n, "steps": args.steps, "threads": args.threads,
                "torch": torch.__version__, "cell": cell, "checkpoint": f"data/models/{spec.name}/checkpoint.pt"}
        atomic_write_text(args.json, json.dumps({"meta": meta, "rows": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
