"""``glass report``: how well an ensemble fits its targets, as numbers and a figure.

Examples::

    glass report runs/asi_laaziri/sample_*.extxyz --target data/a-Si/rosset2024_fig5_Sq_Laaziri_digitized.csv \\
        --kind sq-xray --out runs/asi_laaziri/report
    glass report runs/silica/*.extxyz --target SiO2_NIMROD.mint01 --kind fq-neutron \\
        --target gr.csv --kind gr --qmax 22 --lorch --reference md/*.extxyz --out runs/silica/report

The ensemble is every frame of the STRUCTURE files. Each ``--target FILE --kind KIND`` group is
read as ``glass sample`` reads it (the same options: units, columns, rows, measurement model,
checks; :mod:`glasslib.cli.targets`). ``--reference`` structures add error against diversity on
each target's grid. The folder gets ``report.json`` (:func:`glasslib.analysis.fit_report.fit_report`:
R-factor and RMSE of the ensemble mean per target, per-structure spread, ΔED with a reference,
the mean local structure) and ``report.png`` (target, ensemble mean and ±1σ per target). Existing
files are refused unless ``--force``; both are written atomically, and nothing is written when an
input is wrong.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import torch

from glasslib.analysis.fit_report import fit_report
from glasslib.cli.options import add_force, parse_species_map, refuse_existing
from glasslib.cli.targets import TargetGroupAction, add_file_options, read_group, target_groups
from glasslib.core.atomic_io import atomic_write_text
from glasslib.core.errors import InputError
from glasslib.core.structures import concatenate, read_structures
from glasslib.plotting import plot_fit_report
from glasslib.spectra.kinds import KINDS, get_kind

#: files written into the output folder
OUTPUTS = ("report.json", "report.png")


def register(sub) -> None:
    p = sub.add_parser(
        "report",
        help="fit report of an ensemble against its targets (R-factor, RMSE, ΔED, local structure, figure)",
        description="How well structures fit target spectra: numbers per target, local structure and a figure.",
    )
    p.add_argument("structures", nargs="+", type=Path, metavar="STRUCTURE", help="the ensemble (structure files)")
    p.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help="output folder (an existing report.json or report.png in it is refused)")
    p.add_argument("--reference", nargs="+", type=Path, default=None, metavar="STRUCTURE",
                   help="reference ensemble (at least 2 structures) for error against diversity")
    p.add_argument("--format", default=None, help="ase.io format name, if the extension does not tell")
    p.add_argument("--species-map", default=None, metavar="1=O,2=Si", help="LAMMPS atom type -> element")
    p.add_argument("--adf-cutoff", type=float, default=None, metavar="ANGSTROM", help="neighbour cutoff of adf targets")
    add_force(p, "overwrite an existing report in DIR")
    p.add_argument("--quiet", action="store_true", help="no summary on stdout")
    g = p.add_argument_group("targets (repeat the group for several)")
    g.add_argument("--target", action=TargetGroupAction, type=Path, group_defaults={"kind": None}, metavar="FILE",
                   help="target spectrum (measured, or written by glass spectra) or reference structures")
    g.add_argument("--kind", action=TargetGroupAction, choices=tuple(KINDS), help="spectrum kind of the preceding --target")
    add_file_options(p.add_argument_group("reading each target and its measurement model (per --target)"))
    p.set_defaults(func=run, targets=[])


def _read(paths, args):
    species_map = parse_species_map(args.species_map)
    return concatenate([read_structures(p, format=args.format, species_map=species_map, dtype=torch.float64)
                        for p in paths])


def run(args) -> int:
    out = args.out
    if out.exists() and not out.is_dir():
        raise InputError("output exists and is not a folder", out)
    refuse_existing([out / name for name in OUTPUTS], args.force)
    groups = target_groups(args)
    if not groups:
        raise InputError("no --target given")
    structures = _read(args.structures, args)
    composition = {int(z): float(c) for z, c in zip(*torch.unique(structures.species, return_counts=True))}
    targets = []
    for g in groups:
        if g["kind"] is None:
            raise InputError("--target needs a --kind", g["target"])
        cutoff = args.adf_cutoff if get_kind(g["kind"]).needs_cutoff else None
        if get_kind(g["kind"]).needs_cutoff and cutoff is None:
            raise InputError(f"an {g['kind']} target needs --adf-cutoff", g["target"])
        targets.append(read_group(g, g["kind"], composition=composition, cutoff=cutoff))
    reference = None if args.reference is None else _read(args.reference, args)
    report = fit_report(structures, targets, reference=reference)
    report["command"] = " ".join(shlex.quote(a) for a in sys.argv)
    report["structures"] = [str(p) for p in args.structures]
    out.mkdir(parents=True, exist_ok=True)
    plot_fit_report(report, out / "report.png")
    atomic_write_text(out / "report.json", json.dumps(report, indent=1) + "\n")
    if not args.quiet:
        for e in report["targets"]:
            line = f"{e['kind']:>10}  R = {e['r_factor']:.4f}  RMSE = {e['rmse']:.4g}"
            if "error_diversity" in e:
                line += f"  dED/A = {e['error_diversity']['delta_ed_normalized']:.4f}"
            print(f"{line}  ({e['source']})")
        print(f"wrote {out / 'report.json'} and {out / 'report.png'}")
    return 0
