"""``glass sample``: sample structures from a trained score network, optionally spectrum-guided.

Examples::

    glass sample runs/prior/checkpoint.pt --n 8 --atoms 216 --density 2.28 --seed 0 --out runs/samples
    glass sample ckpt.pt --n 4 --atoms 216 --density 2.28 --seed 1 --out runs/guided \\
        --target gr_measured.csv --kind gr --weight 1 \\
        --target sq_xray.csv --kind sq-xray --weight 0.5

``--weak WEAK.pt --autoguidance W`` samples with autoguidance
(:func:`glasslib.guidance.with_autoguidance`): the score extrapolated away from a weaker network
trained on the same data (same species and noise process; checked). Spectral guidance, if any,
then acts on the autoguided score.

Each ``--target FILE --kind KIND [--weight W]`` group adds one guidance term (joint guidance
with several groups). A target FILE is either a measured spectrum (read with
:func:`glasslib.measured.read_spectrum`, on its own grid) or a structure file (``.extxyz``,
``.xyz``, ``.cif``, POSCAR; its mean spectrum on the default grid of the kind is the target).

One extxyz per structure, ``DIR/sample_0000.extxyz``…, each written atomically; existing
files are never overwritten (the command refuses before sampling).
"""

from __future__ import annotations

import math
from pathlib import Path

from glasslib.cli.targets import TargetGroupAction, target_groups
from glasslib.errors import InputError

STRUCTURE_SUFFIXES = (".extxyz", ".xyz", ".cif", ".vasp", ".poscar", ".traj")


def register(sub) -> None:
    from glasslib.guidance import KINDS

    p = sub.add_parser(
        "sample",
        help="sample structures from a score network (optionally spectrum-guided)",
        description="Sample periodic structures with the predictor-corrector reverse VE SDE.",
    )
    p.add_argument("checkpoint", type=Path, metavar="CHECKPOINT", help="checkpoint from glass train")
    p.add_argument("--n", type=int, required=True, metavar="COUNT", help="number of structures")
    p.add_argument("--atoms", type=int, required=True, metavar="N", help="atoms per structure")
    p.add_argument("--density", type=float, required=True, metavar="G_PER_CM3", help="mass density, g/cm3 (cubic cell)")
    p.add_argument("--seed", type=int, required=True, help="seed of the sampler's generator")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument("--element", default=None, metavar="SYMBOL",
                   help="element to sample (default: the checkpoint's, if it has only one)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    g = p.add_argument_group("sampler")
    g.add_argument("--steps", type=int, default=200, metavar="K", help="predictor steps (default 200)")
    g.add_argument("--batch", type=int, default=None, metavar="B", help="structures per batched pass (default all)")
    g.add_argument("--rho", type=float, default=7.0, help="power of the time grid (default 7)")
    g.add_argument("--corrector-steps", type=int, default=1, help="Langevin steps per predictor step (default 1)")
    g.add_argument("--snr", type=float, default=0.1, help="corrector signal-to-noise ratio (default 0.1)")
    g.add_argument("--corrector-sigma-max", type=float, default=0.5, metavar="ANGSTROM",
                   help="corrector only below this noise level, Å (default 0.5)")
    g.add_argument("--restarts", type=int, default=0, help="restart passes (default 0)")
    g.add_argument("--weak", type=Path, default=None, metavar="WEAK_CHECKPOINT",
                   help="weak network for autoguidance (same species, noise process and training data)")
    g.add_argument("--autoguidance", type=float, default=None, metavar="W",
                   help="autoguidance weight w >= 1 (needs --weak; default 2 with --weak)")
    g = p.add_argument_group("guidance (repeat the group for joint guidance)")
    g.add_argument("--target", action=TargetGroupAction, type=Path, group_defaults={"kind": None, "weight": 1.0}, metavar="FILE", help="target spectrum or reference structures")
    g.add_argument("--kind", action=TargetGroupAction, choices=KINDS, help="spectrum kind of the preceding --target")
    g.add_argument("--weight", action=TargetGroupAction, type=float, metavar="W", help="weight of the preceding --target")
    g.add_argument("--guidance-step", type=float, default=1.0, help="guidance RMS / score RMS per atom (default 1.0)")
    g.add_argument("--adf-cutoff", type=float, default=None, metavar="ANGSTROM", help="neighbour cutoff of adf targets")
    p.set_defaults(func=run, targets=[])


def default_grid(kind: str):
    """Grid used for targets computed from reference structures: r (Å), Q (Å⁻¹) or θ (°)."""
    import numpy as np

    if kind == "gr":
        return np.arange(1, 161) * 0.05  # 0.05 … 8 Å
    if kind == "adf":
        return np.arange(0, 91) * 2.0  # 0 … 180°
    return 0.5 + np.arange(0, 291) * 0.05  # 0.5 … 15 Å⁻¹


def _read_target(group: dict, args, dtype, device, composition=None):
    """(observable, target) for one --target group."""
    import numpy as np
    import torch

    from glasslib.guidance import observable_for_kind, target_from_structures

    path, kind = group["target"], group["kind"]
    if kind is None:
        raise InputError("--target needs a --kind", path)
    if not path.is_file():
        raise InputError("target file not found", path)
    if kind == "adf" and args.adf_cutoff is None:
        raise InputError("an adf target needs --adf-cutoff", path)
    options = {"cutoff": args.adf_cutoff} if kind == "adf" else {}
    if path.suffix.lower() in STRUCTURE_SUFFIXES or path.name.upper().startswith(("POSCAR", "CONTCAR")):
        from glasslib.structures import read_structures

        grid = torch.as_tensor(default_grid(kind), dtype=dtype, device=device)
        obs = observable_for_kind(kind, grid, **options)
        return obs, target_from_structures(obs, read_structures(path, dtype=dtype, device=device))
    from glasslib.measured import convert, read_columns, read_mint01, to_grid

    quantity = kind if kind in ("gr", "adf") else kind.split("-")[0]
    if path.suffix.lower() == ".mint01":
        if kind not in ("sq-neutron", "fq-neutron"):
            raise InputError(f"a Gudrun .mint01 file holds neutron data; use --kind sq-neutron or fq-neutron, not {kind}", path)
        if composition is None:
            raise InputError("converting a .mint01 file needs the sample composition", path)
        spectrum = convert(read_mint01(path), quantity, composition=composition)
    else:
        spectrum = read_columns(path, quantity)
    x = spectrum.x.detach().cpu().numpy()
    if x.size < 2:
        raise InputError("target spectrum has fewer than two points", path)
    if not np.allclose(np.diff(x), x[1] - x[0], rtol=1e-6, atol=1e-9):
        # digitized curves are unevenly spaced: interpolate onto a uniform grid inside the data range
        spectrum = to_grid(spectrum, np.linspace(x.min(), x.max(), x.size))
    y = spectrum.y.detach().cpu().numpy()
    if not (np.isfinite(spectrum.x.numpy()).all() and np.isfinite(y).all()):
        raise InputError("target spectrum has non-finite values", path)
    grid = torch.as_tensor(spectrum.x, dtype=dtype, device=device)
    return observable_for_kind(kind, grid, **options), torch.as_tensor(y, dtype=dtype, device=device)


def run(args) -> int:
    import torch
    from tqdm.auto import tqdm

    from glasslib.guidance import with_spectral_guidance
    from glasslib.sampling import cubic_cell, initial_noise, sample, time_grid
    from glasslib.structures import write_extxyz
    from glasslib.training import load_checkpoint

    for name in ("n", "atoms", "steps"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name} must be positive, got {getattr(args, name)}")
    if not (math.isfinite(args.density) and args.density > 0):
        raise InputError(f"--density must be positive (g/cm3), got {args.density}")
    batch = args.batch or args.n
    if batch < 1:
        raise InputError("--batch must be positive")
    names = [args.out / f"sample_{k:04d}.extxyz" for k in range(args.n)]
    existing = [p for p in names if p.exists()]
    if existing:
        raise InputError("output exists; choose another --out or remove it (nothing was overwritten)", existing[0])

    device = torch.device(args.device)
    ckpt = load_checkpoint(args.checkpoint, device)
    if args.element is not None:
        from ase.data import atomic_numbers

        if args.element not in atomic_numbers or atomic_numbers[args.element] not in ckpt.species:
            raise InputError(f"--element {args.element} is not one of the checkpoint's species {list(ckpt.species)}")
        z = atomic_numbers[args.element]
    elif len(ckpt.species) == 1:
        z = ckpt.species[0]
    else:
        raise InputError(f"the checkpoint covers several species {list(ckpt.species)}; choose one with --element")
    dtype = ckpt.config.torch_dtype
    sde = ckpt.sde

    score, guided = ckpt.score, None
    if args.autoguidance is not None and args.weak is None:
        raise InputError("--autoguidance needs --weak WEAK_CHECKPOINT")
    if args.weak is not None:
        from glasslib.guidance import with_autoguidance

        weak = load_checkpoint(args.weak, device)
        ckpt.require_companion(weak)
        auto_weight = 2.0 if args.autoguidance is None else args.autoguidance
        score = with_autoguidance(ckpt.score, weak.score, auto_weight)
    groups = target_groups(args)
    if groups:
        terms = [_read_target(g, args, dtype, device, composition={z: 1.0}) for g in groups]
        guided = with_spectral_guidance(
            score, [o for o, _ in terms], [y for _, y in terms], [g["weight"] for g in groups],
            sigma_fn=sde.sigma, step_size=args.guidance_step,
        )
        score = guided

    cell = cubic_cell(args.atoms, z, args.density, dtype=dtype, device=device)
    times = time_grid(args.steps, 1.0, sde.t_min, args.rho)
    gen = torch.Generator(device=device).manual_seed(args.seed)
    n_batches = -(-args.n // batch)
    t_restart = min(float(times[0]), sde.time(0.3))  # the sampler's default
    per_batch = args.steps + args.restarts * int((times < t_restart).sum())
    bar = tqdm(total=n_batches * per_batch, disable=args.no_progress, desc="sample", dynamic_ncols=True)

    def tick(info):
        if info["phase"] == "predictor":
            bar.update(1)

    k = 0
    while k < args.n:
        b = min(batch, args.n - k)
        x = initial_noise(b, args.atoms, cell, z, gen)
        x = sample(score, x, times, generator=gen, sde=sde, n_corrector=args.corrector_steps, snr=args.snr,
                   corrector_sigma_max=args.corrector_sigma_max, n_restarts=args.restarts, callback=tick)
        for j, s in enumerate(x.split()):
            info = {"seed": args.seed, "index": k + j, "checkpoint": str(args.checkpoint), "steps": args.steps,
                    "corrector_steps": args.corrector_steps, "snr": args.snr, "restarts": args.restarts}
            if args.weak is not None:
                info.update(weak=str(args.weak), autoguidance=auto_weight)
            if guided is not None:
                info["guided"] = ",".join(f"{g['kind']}:{g['target'].name}:{g['weight']}" for g in groups)
            write_extxyz(s, names[k + j], info=[info])
        k += b
    bar.close()
    print(f"wrote {args.n} structures to {args.out}")
    return 0
