"""``glass analyze``: structural descriptors of structures, per structure and averaged.

Example::

    glass analyze gen_*.extxyz --out report.json
    glass analyze glass.dat --species-map 1=O,2=Si --cutoff Si-O=2.0 --out sio2.json
    glass analyze a-si.xyz --out a-si.json --render a-si.png
    glass analyze water.extxyz --descriptors water --no-entropy --out water.json
    glass analyze si_np.xyz --cluster --out si_np.json      # a finite cluster: no periodic images

Every frame of every file is one structure. Structures must be periodic unless ``--cluster``
is given, which takes every structure as a finite cluster (neighbour lists without images, the
cell ignored, positions as stored; ``density_g_cm3`` is null; ``settings.mode`` says which). The JSON holds ``settings`` (bond cutoffs and
other parameters), ``structures`` (one report per structure, with its file and frame) and
``mean`` (the mean over structures); keys are explained in docs/metrics.md. Files are
written atomically, so a failed run leaves no partial output; an existing ``--out`` report or
``--render`` image is refused unless ``--force``.
"""

from __future__ import annotations

import json
import math
import shlex
import sys
from pathlib import Path

from glasslib.analysis.bonds import bond_cutoffs
from glasslib.analysis.descriptors import ENTROPY_BANDWIDTH
from glasslib.analysis.ovito_adapter import render
from glasslib.analysis.report import DESCRIPTOR_SETS, analyze, named_descriptor_sets
from glasslib.analysis.tetrahedral import TETRAHEDRAL
from glasslib.cli.options import add_force, refuse_existing
from glasslib.cli.spectra import read_inputs
from glasslib.core.atomic_io import atomic_write_text
from glasslib.core.errors import InputError
from glasslib.core.structures import concatenate


def register(sub) -> None:
    p = sub.add_parser(
        "analyze",
        help="structural descriptors (coordination, angles, rings, crystallinity, H-bonds, S8, entropy)",
        description="Write every applicable structural descriptor of the given structures to a JSON report.",
    )
    p.add_argument("structures", nargs="+", metavar="STRUCTURE", help="structure files (anything ase.io reads)")
    p.add_argument("--out", required=True, type=Path, metavar="REPORT.json",
                   help="output JSON report (an existing one is refused)")
    add_force(p, "overwrite an existing --out report and --render image")
    p.add_argument("--format", default=None, help="ase.io format name, if the extension does not tell")
    p.add_argument("--species-map", default=None, metavar="1=O,2=Si", help="LAMMPS atom type -> element")
    p.add_argument("--cluster", action="store_true",
                   help="cluster mode: take every structure as a finite cluster (bonds, angles, rings, OVITO types "
                        "and entropy without periodic images; the cell ignored, positions as stored; density null); "
                        "required for structures without a periodic cell")
    p.add_argument("--cutoff", default=None, metavar="Å | A-B=Å,...",
                   help="bond cutoff: one number for every pair, or per pair (e.g. Si-O=2.0,Si-Si=2.9); "
                        "default 1.25 x covalent radii, Si-Si 2.85, S-S 2.5")
    p.add_argument("--max-ring-size", type=int, default=10, help="largest ring searched (default 10)")
    p.add_argument("--angle-bin", type=float, default=2.0, help="angle histogram bin, degrees (default 2)")
    p.add_argument("--hbond-roo", type=float, default=3.5, help="H-bond O-O distance, Å (default 3.5)")
    p.add_argument("--hbond-angle", type=float, default=30.0, help="H-bond H-O...O angle, degrees (default 30)")
    p.add_argument("--entropy-bandwidth", type=float, default=None, help="QUESTS kernel bandwidth (default 0.015)")
    p.add_argument("--no-entropy", action="store_true", help="skip the QUESTS entropy")
    p.add_argument("--descriptors", default=None, metavar="NAME,...",
                   help="system-specific descriptor sets to compute for every structure ("
                        + "; ".join(f"{d.name} = {d.description}" for d in DESCRIPTOR_SETS)
                        + "), or 'none'; default: the sets that apply to each structure's composition")
    g = p.add_argument_group("snapshot (OVITO)")
    g.add_argument("--render", type=Path, default=None, metavar="IMAGE.png",
                   help="render the first structure (an existing image is refused)")
    g.add_argument("--color-by", default="auto", choices=("auto", "species", "diamond", "chill_plus", "coordination"),
                   help="colouring (default: diamond types for C/Si/Ge, CHILL+ for water, else coordination)")
    g.add_argument("--renderer", default="tachyon", choices=("tachyon", "opengl"), help="render engine (default tachyon)")
    g.add_argument("--size", default="800x600", metavar="WxH", help="image size in pixels (default 800x600)")
    p.set_defaults(func=run)


def parse_cutoff(text: str | None):
    """None, a number, or {"A-B": Å} from ``--cutoff``."""
    if text is None:
        return None
    text = text.strip()
    if "=" not in text:
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"--cutoff: expected a number or A-B=VALUE items, got {text!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"--cutoff must be positive, got {text}")
        return value
    out = {}
    for item in text.split(","):
        pair, _, value = item.partition("=")
        if pair.count("-") != 1 or not value:
            raise InputError(f"--cutoff: expected A-B=VALUE items such as Si-O=2.0, got {item!r}")
        try:
            out[pair.strip()] = float(value)
        except ValueError:
            raise InputError(f"--cutoff: {item!r} has no numeric value") from None
    return out


def _size(text: str) -> tuple[int, int]:
    w, sep, h = text.lower().partition("x")
    try:
        size = (int(w), int(h))
    except ValueError:
        size = (0, 0)
    if not sep or min(size) < 16 or max(size) > 8000:
        raise InputError(f"--size must look like 800x600 (16 to 8000 pixels), got {text!r}")
    return size


def _json_safe(x):
    """NaN and inf become null, so the report is strict JSON."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    return x


def parse_descriptor_sets(text: str | None):
    """None (by composition), () for ``none``, or the checked names from ``--descriptors``."""
    if text is None:
        return None
    return () if text.strip().lower() == "none" else tuple(d.name for d in named_descriptor_sets(text))


def run(args) -> int:
    if args.out.exists() and args.out.is_dir():
        raise InputError("output is a directory", args.out)
    if args.render is not None and args.render.suffix.lower() not in (".png", ".jpg", ".jpeg", ".tif", ".tiff"):
        raise InputError("--render image must end in .png, .jpg or .tiff", args.render)
    refuse_existing([args.out, args.render], args.force)
    if not 3 <= args.max_ring_size <= 36:
        raise InputError(f"--max-ring-size must be between 3 and 36, got {args.max_ring_size}")
    size = _size(args.size)
    cutoff = parse_cutoff(args.cutoff)
    descriptor_sets = parse_descriptor_sets(args.descriptors)
    batches = read_inputs(args, "glass analyze")
    labels = [{"source": str(path), "frame": k} for path, b in zip(args.structures, batches) for k in range(b.n_systems)]
    structures = concatenate(batches)
    bandwidth = ENTROPY_BANDWIDTH if args.entropy_bandwidth is None else args.entropy_bandwidth
    report = analyze(
        structures,
        cutoff=cutoff,
        max_ring_size=args.max_ring_size,
        angle_bin=args.angle_bin,
        hbond_r_oo=args.hbond_roo,
        hbond_angle=args.hbond_angle,
        entropy=not args.no_entropy,
        entropy_bandwidth=bandwidth,
        descriptor_sets=descriptor_sets,
        cluster=args.cluster,
    )
    report["structures"] = [{**label, **rep} for label, rep in zip(labels, report["structures"])]
    header = {"command": " ".join(shlex.quote(a) for a in sys.argv), "inputs": [str(p) for p in args.structures]}
    if args.render is not None:
        first = structures[0]
        color_by = args.color_by
        if color_by == "auto":
            z = set(first.elements)
            color_by = "diamond" if z <= TETRAHEDRAL else "chill_plus" if {1, 8} <= z else "coordination"
        render_cutoff = max(bond_cutoffs(first.elements, cutoff).values())
        render(first, args.render, color_by=color_by, renderer=args.renderer, size=size, cutoff=render_cutoff,
               cluster=args.cluster)
        header["image"] = {"path": str(args.render), "color_by": color_by, "renderer": args.renderer}
    text = json.dumps(_json_safe({**header, **report}), indent=1, allow_nan=False)
    atomic_write_text(args.out, text + "\n")
    if not args.quiet:
        print(f"wrote {args.out} ({report['n_structures']} structures{', cluster mode' if args.cluster else ''})")
    return 0
