"""``glass rmc``: reverse Monte Carlo fit of one or several spectra (the GLASS baseline).

Examples::

    glass rmc --target gr.csv --kind gr --sigma 0.05 --composition Si --atoms 216 --density 2.33 \\
        --start random --seconds 60 --seed 0 --out runs/rmc-aSi
    glass rmc --target gr.csv --kind gr --target sq.csv --kind sq-xray --sigma 0.02 \\
        --composition Si --atoms 512 --density 2.33 --start liquid --moves 2000000 --out runs/rmc-joint
    glass rmc --target gr.csv --kind gr --composition SiO2 --atoms 192 --density 2.2 --moves 100000 --out runs/rmc-silica

Each ``--target FILE`` starts a group; the ``--kind``, ``--sigma`` and ``--cutoff`` (ADF neighbour
cutoff, Å) that follow it belong to that target (``--sigma`` here is the target's σ in χ², not a
smearing). Target files are two columns (x, y), with optional ``#`` comments and one header row
(``glass spectra`` output works as it is).

``--composition`` is a formula as ``glass sample`` takes it (``Si``, ``SiO2``, ``Cu64.5Zr35.5``:
:func:`glasslib.core.formula.parse_formula`) or symbols with proportions (``Si:1,O:2``, ``Si,O``);
``--species`` is its deprecated spelling.

The folder gets ``structure.extxyz`` (the final configuration), ``log.csv`` (time, moves, χ²
per target, moves per second), ``fit_<target>.csv`` (model against target on the fitted
points), ``config.json`` (the resolved inputs) and ``checkpoint.npz`` (written atomically every
``--checkpoint-every`` seconds and at the end). Rerunning the same command resumes from the
checkpoint; ``--seconds`` and ``--moves`` are totals over all resumptions, and a run limited by
``--moves`` ends exactly where an uninterrupted one does. An existing folder is therefore a run to
resume, not an output to refuse: a folder holding a run with other inputs is refused, and
``--no-resume`` starts afresh in it (replacing its files).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import shlex
import sys
from pathlib import Path

import numpy as np

from glasslib import rmc
from glasslib.cli.options import add_deprecated
from glasslib.cli.targets import TargetGroupAction, add_file_options, read_group, target_groups
from glasslib.core.atomic_io import atomic_write_text
from glasslib.core.errors import InputError
from glasslib.core.structures import read_structures, write_extxyz
from glasslib.rmc import KINDS
from glasslib.spectra.form_factors import element_symbol


def register(sub) -> None:
    p = sub.add_parser(
        "rmc",
        help="reverse Monte Carlo fit of g(r), S(Q), F(Q) or ADF targets",
        description="Reverse Monte Carlo: single-atom moves accepted on the χ² misfit to one or several spectra.",
    )
    g = p.add_argument_group("targets (repeat the group for a joint fit)")
    g.add_argument("--target", action=TargetGroupAction, metavar="FILE", help="two-column file (x, y) to fit")
    g.add_argument("--kind", action=TargetGroupAction, metavar="KIND", help=f"what the file holds: {', '.join(KINDS)}")
    g.add_argument("--sigma", action=TargetGroupAction, metavar="S",
                   help="σ of this target in χ² (default 0.05 for gr and S(Q), 0.1 for F(Q), 0.001 for ADF)")
    g.add_argument("--cutoff", action=TargetGroupAction, metavar="A", help="ADF target: neighbour cutoff, Å")
    add_file_options(p.add_argument_group("reading each target and its measurement model (per --target; RMC smears "
                                          "each bin's pairs at its centre and refuses --qmax on g(r): "
                                          "docs/conventions.md, Targets)"))
    g = p.add_argument_group("model")
    g.add_argument("--composition", default=None, metavar="FORMULA | Si:1,O:2",
                   help="elements and their proportions: a formula (Si, SiO2, Cu64.5Zr35.5) or SYMBOL:AMOUNT items")
    add_deprecated(g, "--species", "--composition", "composition")
    g.add_argument("--atoms", type=int, default=None, metavar="N", help="number of atoms")
    g.add_argument("--density", type=float, default=None, metavar="G_PER_CM3", help="mass density, g/cm3")
    g.add_argument("--start", default="random", metavar="{random,liquid,FILE}",
                   help="random positions at the closest approach (default), a high-T liquid from LAMMPS "
                        "(glasslib.simulate), or a structure file")
    g.add_argument("--liquid-temperature", type=float, default=None, metavar="K",
                   help="liquid start: temperature (default: the potential's melt temperature)")
    g.add_argument("--liquid-time", type=float, default=2.0, metavar="PS", help="liquid start: MD time (default 2 ps)")
    g.add_argument("--min-distance", default=None, metavar="D | Si-Si=2.0,Si-O=1.5",
                   help="closest approach, Å (default 0.9 x the sum of covalent radii, 2.0 Å for Si-Si)")
    g = p.add_argument_group("run")
    g.add_argument("--seconds", type=float, default=None, metavar="T", help="total wall time of the fit, s")
    g.add_argument("--moves", type=int, default=None, metavar="N", help="total attempted moves (reproducible)")
    g.add_argument("--seed", type=int, default=0, help="seed of the start and the moves (default 0)")
    g.add_argument("--r-max", type=float, default=None, metavar="A", help="histogram range, Å (default half the cell)")
    g.add_argument("--dr", type=float, default=0.02, metavar="A", help="histogram bin width, Å (default 0.02)")
    g.add_argument("--step", type=float, default=0.3, metavar="A", help="maximum displacement per axis, Å (default 0.3)")
    g.add_argument("--target-acceptance", type=float, default=None, metavar="A",
                   help="steer the step to this acceptance ratio (default: fixed step)")
    g.add_argument("--out", required=True, type=Path, metavar="DIR",
                   help="output folder; one holding a checkpoint of the same inputs is resumed (another run's is refused)")
    g.add_argument("--no-resume", action="store_true",
                   help="start afresh even if DIR holds a checkpoint (its files are replaced)")
    g.add_argument("--checkpoint-every", type=float, default=60.0, metavar="S", help="checkpoint interval, s (default 60)")
    g.add_argument("--log-every", type=float, default=1.0, metavar="S", help="log interval, s (default 1)")
    g.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(func=run, targets=[])


# -------------------------------------------------------------------------- inputs
def _float(text: str, what: str) -> float:
    try:
        v = float(text)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(v):
        raise InputError(f"{what} must be finite, got {text!r}")
    return v


def _targets(groups, composition: dict[int, float] | None = None) -> list:
    """Validate the parsed target groups and read each target (``composition``: {Z: fraction} of
    ``--composition``, which places the peaks the sanity checks expect)."""
    if not groups:
        raise InputError("no --target given")
    out = []
    for g in groups:
        if "kind" not in g:
            raise InputError(f"target {g['target']}: --kind missing (one of {', '.join(KINDS)})")
        if g["kind"] not in KINDS:
            raise InputError(f"target {g['target']}: unknown --kind {g['kind']!r}; expected one of {', '.join(KINDS)}")
        sigma = _float(g["sigma"], "--sigma") if "sigma" in g else None
        cutoff = _float(g["cutoff"], "--cutoff") if "cutoff" in g else None
        if cutoff is not None and g["kind"] != "adf":
            raise InputError(f"target {g['target']}: --cutoff applies to ADF targets only")
        out.append(read_group(g, g["kind"], composition=composition, sigma=sigma, cutoff=cutoff))
    return out


def _min_distance(text: str | None):
    if text is None:
        return None
    if "=" not in text:
        return _float(text, "--min-distance")
    out = {}
    for item in text.split(","):
        pair, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--min-distance: expected PAIR=DISTANCE items such as Si-O=1.5, got {item!r}")
        out[pair.strip()] = _float(value, f"--min-distance {pair.strip()}")
    return out


def _composition(text: str | None) -> dict[int, float] | None:
    """{Z: atom fraction} of ``--composition`` (None stays None)."""
    return None if text is None else rmc.parse_species(text)


def _start(args, config, composition):
    if args.start in ("random", "liquid"):
        missing = [o for o, v in (("--composition", composition), ("--atoms", args.atoms), ("--density", args.density))
                   if v is None]
        if missing:
            raise InputError(f"--start {args.start} needs {', '.join(missing)}")
        if args.start == "random":
            return rmc.random_start(composition, args.atoms, args.density, min_distance=config.min_distance,
                                    seed=args.seed)
        return rmc.liquid_start(composition, args.atoms, args.density, seed=args.seed,
                                temperature=args.liquid_temperature, time_ps=args.liquid_time)
    path = Path(args.start)
    if not path.exists():
        raise InputError("--start must be random, liquid or a structure file; no such file", path)
    start = read_structures(path)
    if start.n_systems != 1:
        start = start[len(start) - 1]  # the last frame
    if composition is not None:
        want = set(composition)
        have = set(start.elements)
        if want - have:
            raise InputError(f"species {', '.join(element_symbol(z) for z in sorted(want - have))} absent from the "
                             "start structure", path)
        if have - want:
            raise InputError(f"start structure holds {', '.join(element_symbol(z) for z in sorted(have - want))}, "
                             f"not in --composition {args.composition}", path)
    return start


def _inputs(args, config, targets, composition) -> dict:
    """Everything that defines the run (compared on resume); the composition as atom fractions by
    element, so ``SiO2`` and ``Si:1,O:2`` are the same run."""
    def digest(t):
        return hashlib.sha256(json.dumps([t.x, t.y]).encode()).hexdigest()[:16]

    d = {
        "config": config.to_dict(),
        "targets": [{"kind": t.kind, "sigma": t.sigma, "cutoff": t.cutoff, "source": t.source, "data_sha": digest(t),
                     **({"measurement": t.measurement.given()} if t.measurement is not None else {}),
                     **({"isotopes": [list(p) for p in t.isotopes]} if t.isotopes else {})}
                    for t in targets],
        "start": args.start,
        "composition": None if composition is None else {element_symbol(z): f for z, f in composition.items()},
        "atoms": args.atoms,
        "density": args.density,
        "liquid_temperature": args.liquid_temperature,
        "liquid_time": args.liquid_time,
    }
    return json.loads(json.dumps(d))


def _upgraded(stored: dict) -> dict:
    """Inputs recorded by an earlier version, in today's form: the ``species`` text of runs made
    before ``--composition`` becomes the composition it meant, so those runs still resume."""
    if "species" in stored and "composition" not in stored:
        stored = dict(stored)
        text = stored.pop("species")
        comp = _composition(text)
        stored["composition"] = None if comp is None else {element_symbol(z): f for z, f in comp.items()}
        stored = json.loads(json.dumps(stored))
    return stored


# ---------------------------------------------------------------------------- run
def _write_outputs(run, out: Path) -> None:
    write_extxyz(run.structures(), out / "structure.extxyz")
    rows = run.history
    cols = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    buf.write("# glass rmc log: time_s is wall time since the start (all resumptions); moves_per_s over the "
              "interval since the previous row; chi2 = sum over targets of sum_k (model - target)^2 / sigma^2\n")
    buf.write(",".join(cols) + "\n")
    for r in rows:
        buf.write(",".join(f"{r.get(c, float('nan')):.10g}" for c in cols) + "\n")
    atomic_write_text(out / "log.csv", buf.getvalue())
    for name, s in run.spectra().items():
        data = np.column_stack([s["x"], s["model"], s["target"]])
        text = io.StringIO()
        text.write(f"# glass rmc: model and target of {name} on the fitted points\nx,model,target\n")
        np.savetxt(text, data, delimiter=",", fmt="%.10g")
        atomic_write_text(out / f"fit_{name}.csv", text.getvalue())


def run(args) -> int:
    if args.seconds is None and args.moves is None:
        raise InputError("give --seconds or --moves (the length of the fit)")
    if args.seconds is not None and not (args.seconds > 0 and math.isfinite(args.seconds)):
        raise InputError(f"--seconds must be positive, got {args.seconds}")
    if args.moves is not None and args.moves < 1:
        raise InputError(f"--moves must be positive, got {args.moves}")
    if args.atoms is not None and args.atoms < 1:
        raise InputError(f"--atoms must be positive, got {args.atoms}")
    out = args.out
    if out.exists() and not out.is_dir():
        raise InputError("output exists and is not a folder", out)
    composition = _composition(args.composition)
    targets = _targets(target_groups(args), composition)
    config = rmc.RMCConfig(r_max=args.r_max, dr=args.dr, min_distance=_min_distance(args.min_distance),
                           step=args.step, step_min=min(0.01, args.step), step_max=max(1.0, args.step),
                           target_acceptance=args.target_acceptance, seed=args.seed)
    inputs = _inputs(args, config, targets, composition)
    ckpt = out / "checkpoint.npz"
    if ckpt.exists() and not args.no_resume:
        try:
            stored = _upgraded(json.loads((out / "config.json").read_text())["inputs"])
        except (OSError, ValueError, KeyError, InputError):
            stored = None
        if stored != inputs:
            raise InputError("holds a run with different inputs; use another --out or pass --no-resume", out)
        fit = rmc.RMC.load(ckpt)
        if not args.quiet:
            print(f"resuming {ckpt}: {fit.moves} moves, {fit.elapsed:.1f} s, chi2 {fit.chi2:.6g}")
    else:
        fit = rmc.RMC(_start(args, config, composition), targets, config)
        meta = {"command": " ".join(shlex.quote(a) for a in sys.argv), "inputs": inputs,
                "model": {"atoms": int(len(fit.species)), "box_A": fit.box.tolist(), "r_max_A": fit.reach,
                          "bins": len(fit.r), "elements": fit.elements, "start_info": fit.info}}
        atomic_write_text(out / "config.json", json.dumps(meta, indent=1, default=str) + "\n")
        if not args.quiet:
            print(f"start: {args.start}, {len(fit.species)} atoms in a {fit.box[0]:.3f} A box, chi2 {fit.chi2:.6g}")
    seconds = None if args.seconds is None else args.seconds - fit.elapsed
    n_moves = None if args.moves is None else args.moves - fit.moves
    if (seconds is not None and seconds <= 0) or (n_moves is not None and n_moves <= 0):
        _write_outputs(fit, out)
        if not args.quiet:
            print("the run had already reached its budget; outputs rewritten")
    else:
        shown = [0.0]

        def progress(row):
            if not args.quiet and row["time_s"] - shown[0] >= 10.0:
                shown[0] = row["time_s"]
                print(f"t {row['time_s']:8.1f} s  moves {row['moves']:>11d}  chi2 {row['chi2']:.6g}  "
                      f"{row['moves_per_s']:.3g} moves/s  acceptance {row['acceptance']:.3f}", flush=True)

        finished = False
        try:
            fit.run(n_moves=n_moves, seconds=seconds, log_every=args.log_every, checkpoint=ckpt,
                    checkpoint_every=args.checkpoint_every, callback=progress)
            finished = True
        finally:  # also when interrupted: the checkpoint and these files match; never a non-finite χ²
            if finished or math.isfinite(fit.chi2):
                _write_outputs(fit, out)
    if not args.quiet:
        parts = ", ".join(f"{k} {v:.4g}" for k, v in fit.chi2_by_target().items())
        print(f"done: {fit.moves} moves, acceptance {fit.accepted / max(fit.moves, 1):.3f}, chi2 {fit.chi2:.6g} ({parts}); "
              f"wrote {out}/structure.extxyz, log.csv, checkpoint.npz")
    return 0
