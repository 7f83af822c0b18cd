"""``glass sample``: sample structures from a trained score network, optionally spectrum-guided.

Examples::

    glass sample data/models/asi_sw_prior/checkpoint.pt --n 2 --seed 0 --out runs/samples   # training defaults
    glass sample runs/prior/checkpoint.pt --n 8 --atoms 216 --density 2.28 --seed 0 --out runs/samples
    glass sample runs/cuzr/checkpoint.pt --n 4 --composition Cu64.5Zr35.5 --atoms 400 --seed 0 --out runs/cz
    glass sample ckpt.pt --n 4 --atoms 216 --density 2.28 --seed 1 --out runs/guided \\
        --target gr_measured.csv --kind gr --weight 1 \\
        --target sq_xray.csv --kind sq-xray --weight 0.5

``--weak WEAK.pt --autoguidance W`` samples with autoguidance
(:func:`glasslib.diffusion.guidance.with_autoguidance`): the score extrapolated away from a weaker network
trained on the same data (same species and noise process; checked). Spectral guidance, if any,
then acts on the autoguided score.

Composition, atoms and density default to the checkpoint's training set (the training composition
closest to its mean, that composition's atom count and mean density; see
:mod:`glasslib.diffusion.cell_contents`). A ``--composition`` must come out in whole atoms in the
cell (``SiO2`` in 648 atoms, not in 100), and the cubic cell must be at least twice the network's
cutoff; otherwise the command stops with a one-line error before writing anything.

Each ``--target FILE --kind KIND [--weight W]`` group adds one guidance term (joint guidance
with several groups). A target FILE is read by :func:`glasslib.spectra.targets.read_target`: a
spectrum file (a measured one, or one ``glass spectra`` wrote), on its own grid, or a structure
file whose mean spectrum on the kind's default grid is the target. Grids and smearing default to
the registry's (:mod:`glasslib.spectra.kinds`), the same as ``glass spectra``. Options after a
``--target`` say how to read it (``--x-unit 1/nm``, ``--x-unit 2theta --wavelength 0.1173``,
``--columns 1,0``, ``--skip-rows 3``) and what the measurement did to it (``--qmax 30 --lorch``,
``--qdamp``, ``--biso``, ``--qbroad``, ``--smearing``), applied to the simulated curve
(:mod:`glasslib.cli.targets`). Every spectrum file is sanity-checked before sampling (kind,
units, offsets, grid overlap with the cell: :mod:`glasslib.spectra.target_checks`); a failed
check stops with one line naming the file, the check and ``--skip-check NAME``. A cell outside
the prior's training densities or compositions gets a one-line warning (it is sampled anyway).

The recipe is :func:`glasslib.diffusion.generate.generate`. One extxyz per structure,
``DIR/sample_0000.extxyz``…, each written atomically as soon as its batched pass (``--batch``)
is done, and ``DIR/sample_config.json`` with the resolved settings and the SHA-256 of the
checkpoints, written last (:func:`glasslib.diffusion.generate.sample_into`). A run that is
killed resumes: rerunning the same command continues after the last finished pass and ends
with the files of an uninterrupted run (an unfinished run of other settings is refused). An
existing output of a finished run is refused before sampling unless ``--force``, which replaces
the run in DIR (its samples and record; other files are left alone). A non-finite score or
guidance gradient stops the run with one line naming the structure and the step.
``--element`` is a deprecated spelling of ``--composition``.
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path

import torch
from tqdm.auto import tqdm

from glasslib.cli.options import add_deprecated, add_force, add_quiet, refuse_existing
from glasslib.cli.targets import TargetGroupAction, add_file_options, read_group, target_groups
from glasslib.core.errors import InputError
from glasslib.diffusion.generate import (
    RECORD_NAME,
    RESUME_NAME,
    GuidanceTerm,
    SampleConfig,
    cell_contents,
    output_paths,
    predictor_steps,
    resume_point,
    sample_into,
)
from glasslib.diffusion.cell_contents import scope_warnings
from glasslib.diffusion.sampling import SAMPLERS
from glasslib.diffusion.restraints import RESTRAINTS
from glasslib.diffusion.training import load_checkpoint
from glasslib.spectra.kinds import KINDS, get_kind
from glasslib.spectra.target_checks import check_overlap


#: the recipe's defaults (one definition: SampleConfig)
D = {f.name: f.default for f in fields(SampleConfig)}


def register(sub) -> None:
    p = sub.add_parser(
        "sample",
        help="sample structures from a score network (optionally spectrum-guided)",
        description="Sample periodic structures with the reverse VE SDE (predictor-corrector) or EDM's second-order (Heun) sampler.",
    )
    p.add_argument("checkpoint", type=Path, metavar="CHECKPOINT", help="checkpoint from glass train")
    p.add_argument("--n", type=int, required=True, metavar="COUNT", help="number of structures")
    p.add_argument("--seed", type=int, required=True, help="seed of the sampler's generator")
    p.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="output folder (one holding a finished run is refused; an unfinished run of the same "
                        "command is resumed)")
    add_force(p, "replace the samples and sample_config.json in DIR (other files are left alone)")
    p.add_argument("--composition", default=None, metavar="FORMULA",
                   help="composition, e.g. SiO2, H2O, Cu64.5Zr35.5, Si (default: the training set's)")
    add_deprecated(p, "--element", "--composition", "composition", metavar="FORMULA")
    p.add_argument("--atoms", type=int, default=None, metavar="N", help="atoms per structure (default: the training set's)")
    p.add_argument("--density", type=float, default=None, metavar="G_PER_CM3",
                   help="mass density, g/cm3, of the cubic cell (default: the training set's)")
    p.add_argument("--device", default=D["device"], help=f"torch device (default {D['device']})")
    add_quiet(p)
    g = p.add_argument_group("sampler")
    g.add_argument("--steps", type=int, default=D["steps"], metavar="K", help=f"predictor steps (default {D['steps']})")
    g.add_argument("--batch", type=int, default=None, metavar="B", help="structures per batched pass (default all)")
    g.add_argument("--rho", type=float, default=D["rho"], help=f"power of the time grid (default {D['rho']})")
    g.add_argument("--corrector-steps", type=int, default=D["corrector_steps"],
                   help=f"Langevin steps per predictor step (default {D['corrector_steps']})")
    g.add_argument("--snr", type=float, default=D["snr"], help=f"corrector signal-to-noise ratio (default {D['snr']})")
    g.add_argument("--corrector-sigma-max", type=float, default=D["corrector_sigma_max"], metavar="ANGSTROM",
                   help=f"corrector only below this noise level, Å (default {D['corrector_sigma_max']})")
    g.add_argument("--restarts", type=int, default=D["restarts"], help=f"restart passes (default {D['restarts']})")
    g.add_argument("--sampler", choices=tuple(SAMPLERS), default=D["sampler"],
                   help=f"pc: predictor-corrector reverse SDE; heun: EDM's second-order sampler, 2 network "
                        f"evaluations per step (default {D['sampler']})")
    g.add_argument("--churn", type=float, default=D["churn"], metavar="S",
                   help=f"heun only: noise re-injected per step, EDM's S_churn (default {D['churn']}: deterministic)")
    g.add_argument("--weak", type=Path, default=None, metavar="WEAK_CHECKPOINT",
                   help="weak network for autoguidance (same species, noise process and training data)")
    g.add_argument("--autoguidance", type=float, default=None, metavar="W",
                   help=f"autoguidance weight w >= 1 (needs --weak; default {D['autoguidance']} with --weak)")
    g = p.add_argument_group("guidance (repeat the group for joint guidance)")
    g.add_argument("--target", action=TargetGroupAction, type=Path, group_defaults={"kind": None, "weight": 1.0}, metavar="FILE", help="target spectrum or reference structures")
    g.add_argument("--kind", action=TargetGroupAction, choices=tuple(KINDS), help="spectrum kind of the preceding --target")
    g.add_argument("--weight", action=TargetGroupAction, type=float, metavar="W", help="weight of the preceding --target")
    g.add_argument("--guidance-step", type=float, default=D["guidance_step"],
                   help=f"guidance RMS / score RMS per atom (default {D['guidance_step']})")
    g.add_argument("--adf-cutoff", type=float, default=None, metavar="ANGSTROM", help="neighbour cutoff of adf targets")
    add_file_options(p.add_argument_group("reading each target and its measurement model (per --target)"))
    g = p.add_argument_group("optional physics term (off by default: GLASS needs no potential)")
    g.add_argument("--potential", default=None, metavar="FILE",
                   help="LAMMPS Stillinger-Weber (.sw) or Tersoff (.tersoff) file (the entry of a one-element cell's "
                        "element) or Vashishta (.vashishta) file whose force on the denoised estimate is added to the "
                        "score")
    g.add_argument("--potential-temperature", type=float, default=D["potential_temperature"], metavar="K",
                   help=f"temperature of that term, lower is stronger (default {D['potential_temperature']})")
    g.add_argument("--potential-sigma-max", type=float, default=D["potential_sigma_max"], metavar="ANGSTROM",
                   help=f"noise level below which that term acts (default {D['potential_sigma_max']})")
    g.add_argument("--potential-max-force", type=float, default=D["potential_max_force"], metavar="EV_PER_ANGSTROM",
                   help="cap on each atom's force of that term (default: none; stiff potentials such as Vashishta "
                        "need one)")
    g = p.add_argument_group("optional molecule restraint (off by default)")
    g.add_argument("--restraint", default=None, choices=sorted(RESTRAINTS),
                   help="keep the declared molecules whole: each ligand assigned to a centre on the denoised "
                        "estimate, the molecules held at their geometry (water: O with two H, TIP4P/2005 geometry)")
    g.add_argument("--restraint-sigma-max", type=float, default=D["restraint_sigma_max"], metavar="ANGSTROM",
                   help=f"noise level below which the restraint acts (default {D['restraint_sigma_max']})")
    g = p.add_argument_group("optional post-processing (off by default)")
    g.add_argument("--relax", default=None, metavar="SYSTEM",
                   help="minimise each sample at fixed cell with the potential of a simulated system (e.g. "
                        "SiO2-Vashishta; LAMMPS or CHGNet), or 'training': that of the checkpoint's training sets; "
                        "moves guided samples off their target")
    p.set_defaults(func=run, targets=[])


def guidance_terms(args, composition, box: float | None = None) -> list[GuidanceTerm]:
    """One :class:`GuidanceTerm` per ``--target`` group, read with the one target reader, its
    file options, measurement model and sanity checks (``overlap`` against the cell edge ``box``, Å)."""
    terms = []
    for g in target_groups(args):
        path, kind = g["target"], g["kind"]
        if kind is None:
            raise InputError("--target needs a --kind", path)
        if get_kind(kind).needs_cutoff and args.adf_cutoff is None:
            raise InputError(f"an {kind} target needs --adf-cutoff", path)
        cutoff = args.adf_cutoff if get_kind(kind).needs_cutoff else None
        target = read_group(g, kind, composition=composition, cutoff=cutoff)
        skip = str(g.get("skip_check") or "")
        if "overlap" not in skip and "all" not in skip:
            check_overlap(target, box)
        terms.append(GuidanceTerm(target, g["weight"]))
    return terms


def run(args) -> int:
    if args.autoguidance is not None and args.weak is None:
        raise InputError("--autoguidance needs --weak WEAK_CHECKPOINT")
    options = dict(n=args.n, atoms=args.atoms, density=args.density, seed=args.seed, composition=args.composition,
                   steps=args.steps, rho=args.rho, corrector_steps=args.corrector_steps, snr=args.snr,
                   corrector_sigma_max=args.corrector_sigma_max, restarts=args.restarts, batch=args.batch,
                   sampler=args.sampler, churn=args.churn,
                   guidance_step=args.guidance_step, potential=args.potential,
                   potential_temperature=args.potential_temperature, potential_sigma_max=args.potential_sigma_max,
                   potential_max_force=args.potential_max_force, restraint=args.restraint,
                   restraint_sigma_max=args.restraint_sigma_max, relax=args.relax, device=args.device)
    if args.autoguidance is not None:
        options["autoguidance"] = args.autoguidance
    config = SampleConfig(**options)
    if args.out.exists() and not args.out.is_dir():
        raise InputError("output exists and is not a folder", args.out)
    resuming = (args.out / RESUME_NAME).is_file() and not args.force
    refuse_existing(output_paths(args.out, args.n), args.force or resuming)
    ckpt = load_checkpoint(args.checkpoint, torch.device(args.device))
    weak = None if args.weak is None else load_checkpoint(args.weak, torch.device(args.device))
    contents = cell_contents(ckpt, config)
    counts = torch.bincount(contents.species)
    terms = guidance_terms(args, composition={z: int(c) / contents.atoms for z, c in enumerate(counts) if c > 0},
                           box=contents.box)
    for line in scope_warnings(ckpt.data_summary, contents):
        print(f"warning: {args.checkpoint}: {line}", file=sys.stderr)
    batch = args.batch or args.n
    done = resume_point(args.out) if resuming else 0
    per_pass = predictor_steps(config, ckpt.sde)
    bar = tqdm(total=-(-args.n // batch) * per_pass, initial=-(-done // batch) * per_pass, disable=args.quiet,
               desc="sample", dynamic_ncols=True)

    def tick(info):
        if info["phase"] == "predictor":
            bar.update(1)

    sample_into(args.out, ckpt, config, terms, weak=weak, callback=tick, replace=args.force)
    bar.close()
    resumed = f" (resumed after {done})" if done else ""
    print(f"wrote {args.n} structures{resumed} and {RECORD_NAME} to {args.out}")
    return 0
