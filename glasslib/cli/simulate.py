"""``glass simulate``: melt-quench structures with LAMMPS, one extxyz per structure.

Examples::

    glass simulate a-Si --atoms 216 --density 2.28 --quench-rate 10 --n 4 --seed 0 --out runs/aSi
    glass simulate CuZr --composition Cu0.64Zr0.36 --atoms 500 --n 2 --out runs/cuzr
    glass simulate --spec a-Si-SW-2.28             # a declared set, into the cache
    glass simulate --list                          # systems and declared sets

A rerun with the same arguments skips finished structures (resume); a folder holding a
different set (another content hash in its ``manifest.json``) is refused.
"""

from __future__ import annotations

import math
from pathlib import Path

from glasslib.cli.options import add_quiet
from glasslib.core.errors import InputError
from glasslib.simulate.datasets import build, build_spec, dataset_hash, datasets_cache_dir, get_spec, load_specs
from glasslib.simulate.protocols import STARTS
from glasslib.simulate.systems import ALIASES, SYSTEMS, UNAVAILABLE, get_system
from glasslib.simulate.tasks import make_task


def register(sub) -> None:
    p = sub.add_parser(
        "simulate",
        help="melt-quench training structures with LAMMPS (or ASE + CHGNet)",
        description="Melt-quench structures with LAMMPS, or with ASE and the CHGNet potential for sulfur and "
                    "Zr-Ni-Al (one extxyz per structure, resumable).",
    )
    p.add_argument("system", nargs="?", metavar="SYSTEM",
                   help="a-Si, a-Si-Tersoff, a-C, SiO2, CuZr, ZrNiAl, mW, water, LDA, HDA, ice-Ih, sulfur, "
                        "paracrystalline (see --list); optional with --spec")
    p.add_argument("--atoms", type=int, default=None, metavar="N", help="atoms per structure (default: the system's)")
    p.add_argument("--density", type=float, default=None, metavar="G_PER_CM3",
                   help="mass density, g/cm3 (NVT density; starting density in NPT)")
    p.add_argument("--quench-rate", type=float, default=None, metavar="K_PER_PS", help="quench rate, K/ps")
    p.add_argument("--composition", default=None, metavar="Cu0.5Zr0.5", help="composition (variable-composition systems)")
    p.add_argument("--n", type=int, default=1, metavar="COUNT", help="number of structures (default 1)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first structure; structure k uses seed+k (default 0)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="output folder (default: <cache>/datasets/<name>-<hash12>); an existing one is resumed, not "
                        "overwritten: finished structures are kept, and a folder holding a different set is refused")
    p.add_argument("--potential", type=Path, default=None, metavar="FILE", help="potential file replacing the system's own")
    p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                   help="builder setting of systems that have them, e.g. n_grains=2 (see --list)")
    p.add_argument("--spec", default=None, metavar="NAME", help="build a set declared in data/specs/datasets.yaml")
    p.add_argument("--spec-file", type=Path, default=None, metavar="YAML", help="another dataset specification file")
    p.add_argument("--all", action="store_true", help="build every declared set (optionally only --role ROLE)")
    p.add_argument("--role", default=None, choices=("train", "heldout", "smoke", "reference"),
                   help="with --all: only the sets of this role")
    p.add_argument("--limit", type=int, default=None, metavar="K",
                   help="with --spec/--all: build only the first K structures of each set (resumable later)")
    p.add_argument("--list", action="store_true", help="list systems and declared sets, then exit")
    g = p.add_argument_group("protocol overrides (defaults are per system)")
    g.add_argument("--melt-temperature", type=float, default=None, metavar="K")
    g.add_argument("--melt-time", type=float, default=None, metavar="PS")
    g.add_argument("--final-temperature", type=float, default=None, metavar="K")
    g.add_argument("--anneal-time", type=float, default=None, metavar="PS")
    g.add_argument("--timestep", type=float, default=None, metavar="FS")
    g.add_argument("--start", choices=STARTS, default=None,
                   help="starting configuration (rings, chains: sulfur only; ice: water only; diamond: a crystal of SW or Tersoff Si, 8 m^3 atoms)")
    g.add_argument("--npt", type=float, default=None, metavar="GPA", help="run NPT at this pressure (GPa)")
    g.add_argument("--nvt", action="store_true", help="run NVT even where the system defaults to NPT")
    g.add_argument("--no-minimize", action="store_true", help="skip the final minimisation")
    add_quiet(p)
    p.add_argument("--device", default=None, help="ignored (LAMMPS and the CHGNet MD run on the CPU)")
    p.set_defaults(func=run)


def _protocol_overrides(args) -> dict:
    out = {}
    for name in ("melt_temperature", "melt_time", "final_temperature", "anneal_time", "timestep", "start"):
        v = getattr(args, name)
        if v is not None:
            out[name] = v
    if args.npt is not None and args.nvt:
        raise InputError("--npt and --nvt exclude each other")
    if args.npt is not None:
        out.update(ensemble="npt", pressure=args.npt)
    if args.nvt:
        out["ensemble"] = "nvt"
    if args.no_minimize:
        out["minimize"] = False
    return out


def _options(args) -> dict | None:
    out = {}
    for item in args.option:
        if "=" not in item:
            raise InputError(f"--option: expected NAME=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise InputError(f"--option {k}: value must be a number, got {v!r}") from None
    return out or None


def _check_numbers(args) -> None:
    if args.atoms is not None and args.atoms < 1:
        raise InputError(f"--atoms must be positive, got {args.atoms}")
    if args.n < 1:
        raise InputError(f"--n must be positive, got {args.n}")
    if args.seed < 0:
        raise InputError(f"--seed must be non-negative, got {args.seed}")
    if args.density is not None and not (args.density > 0 and math.isfinite(args.density)):
        raise InputError(f"--density must be a positive number of g/cm3, got {args.density}")
    if args.quench_rate is not None and not (args.quench_rate > 0 and math.isfinite(args.quench_rate)):
        raise InputError(f"--quench-rate must be a positive number of K/ps, got {args.quench_rate}")


def _list(spec_file) -> int:
    print("systems:")
    for name, s in SYSTEMS.items():
        aliases = ", ".join(a for a, t in ALIASES.items() if t == name)
        opts = "".join(f", {k}={v:g}" for k, v in s.options)
        print(f"  {name:20s} {s.description} [{s.potential.file or s.potential.citation}] default {s.n_atoms} atoms, "
              f"{s.density} g/cm3, {s.protocol.quench_rate} K/ps{opts}; aliases: {aliases}")
    for name, why in UNAVAILABLE.items():
        print(f"  {name:20s} not available: {why}")
    try:
        specs = load_specs(spec_file)
    except InputError as exc:
        print(f"declared sets: none ({exc})")
        return 0
    print("declared sets:")
    for name, spec in specs.items():
        print(f"  {name:28s} {spec.role:9s} {spec.system:15s} {len(spec.tasks()):4d} structures  {spec.description}")
    return 0


def _build_all(args, overrides) -> int:
    if not args.all:
        raise InputError("--role applies to --all")
    adhoc = [o for o in ("atoms", "density", "quench_rate", "composition", "potential", "out", "spec") if getattr(args, o) is not None]
    if adhoc or overrides or args.option or args.system is not None:
        raise InputError("--all builds the declared sets as they are; it takes no SYSTEM or ad-hoc options")
    specs = [s for s in load_specs(args.spec_file).values() if args.role in (None, s.role)]
    for spec in specs:
        result = build_spec(spec, spec_path=args.spec_file, progress=not args.quiet, limit=args.limit)
        print(f"{spec.name}: {result.out_dir} ({result.computed} simulated, {result.skipped} already there)")
    return 0


def run(args) -> int:
    if args.list:
        return _list(args.spec_file)
    _check_numbers(args)
    overrides = _protocol_overrides(args)
    progress = not args.quiet
    if args.limit is not None and args.spec is None and not args.all:
        raise InputError("--limit applies to --spec and --all (use --n for an ad-hoc set)")
    if args.limit is not None and args.limit < 1:
        raise InputError(f"--limit must be positive, got {args.limit}")
    if args.all or args.role is not None:
        return _build_all(args, overrides)
    if args.spec is not None:
        adhoc = [o for o in ("atoms", "density", "quench_rate", "composition", "potential") if getattr(args, o) is not None]
        if adhoc or overrides or args.option or args.n != 1 or args.seed != 0:
            raise InputError("--spec builds the set as declared; give either --spec or the ad-hoc options, not both")
        spec = get_spec(args.spec, args.spec_file)
        if args.system is not None:
            if get_system(args.system).name != get_system(spec.system).name:
                raise InputError(f"dataset {spec.name!r} is for {spec.system}, not {args.system}")
        result = build_spec(spec, out_dir=args.out, progress=progress, limit=args.limit)
    else:
        if args.system is None:
            raise InputError("give a SYSTEM (or --spec NAME, or --list)")
        tasks = [
            make_task(args.system, n_atoms=args.atoms, density=args.density, composition=args.composition,
                      quench_rate=args.quench_rate, seed=args.seed + k, index=k, potential_file=args.potential,
                      options=_options(args), **overrides)
            for k in range(args.n)
        ]
        out = args.out
        if out is None:
            out = datasets_cache_dir() / f"adhoc-{tasks[0].system}-{dataset_hash(tasks)[:12]}"
        result = build(tasks, out, name=tasks[0].system, progress=progress)
    print(f"{result.out_dir}: {result.computed} simulated, {result.skipped} already there, {len(result.paths)} in all")
    return 0
