"""``glass train``: train a score network (VE-SDE denoising score matching) on structure files.

Examples::

    glass train --prior ac_tersoff_prior          # a declared prior (data/specs/priors.yaml) -> data/models/<name>/
    glass train --prior asi_sw_prior --weak       # its weak companion for autoguidance -> data/models/<name>/weak/
    glass train --prior ac_tersoff_prior --steps 50 --out runs/check   # a short run of the same recipe elsewhere
    glass train runs/aSi/*.extxyz --out runs/prior-aSi --steps 4000 --seed 0
    glass train data.extxyz --out runs/p --config model.hidden=32 --config lr=1e-3
    glass train data.extxyz --out runs/p --config my_config.json      # a TrainConfig dict (partial)

``--prior NAME`` builds the prior's declared datasets (cached) and trains in its declared stages
(:func:`glasslib.diffusion.priors.build_prior`); the run folder also gets ``train_info.json``.
The run folder gets ``checkpoint.pt`` (written atomically, periodically), ``config.json``
(the resolved configuration) and ``history.jsonl``. Rerunning the same command resumes from
the checkpoint and ends with exactly the weights of an uninterrupted run.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from glasslib.cli.options import add_quiet, parse_species_map
from glasslib.core.structures import read_structures
from glasslib.core.errors import InputError
from glasslib.diffusion.priors import build_prior
from glasslib.diffusion.training import TrainConfig, train


def register(sub) -> None:
    p = sub.add_parser(
        "train",
        help="train a score network on structures",
        description="Train a periodic score network by denoising score matching (resumable).",
    )
    p.add_argument("data", nargs="*", metavar="DATA", help="training structure files (anything ase.io reads)")
    p.add_argument("--prior", default=None, metavar="NAME",
                   help="train a prior declared in data/specs/priors.yaml (instead of DATA and --config)")
    p.add_argument("--weak", action="store_true", help="with --prior: its weak companion for autoguidance")
    p.add_argument("--out", type=Path, metavar="RUN",
                   help="run folder (checkpoint, config, history); with --prior default data/models/NAME. One holding "
                        "a checkpoint is resumed, not overwritten (a checkpoint of other data or settings is refused)")
    p.add_argument("--config", action="append", default=[], metavar="KEY=VALUE|FILE.json",
                   help="override a setting (lr=1e-3, model.hidden=32, sde.k=4) or load a JSON dict; repeatable")
    p.add_argument("--steps", type=int, default=None, help="optimiser steps (overrides the config)")
    p.add_argument("--seed", type=int, default=None, help="seed (overrides the config)")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--format", default=None, help="ase.io format name, if the extension does not tell")
    p.add_argument("--species-map", default=None, metavar="1=O,2=Si", help="LAMMPS atom type -> element")
    p.add_argument("--no-resume", action="store_true",
                   help="start afresh even if RUN holds a checkpoint (its files are replaced)")
    add_quiet(p)
    p.set_defaults(func=run)


def _value(text: str):
    """JSON value if it parses (numbers, true/false, lists), else the string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _flatten(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def parse_overrides(items) -> dict:
    """``["lr=1e-3", "cfg.json"]`` → ``{"lr": 0.001, ...}`` (dotted keys for model./sde.)."""
    out = {}
    for item in items:
        if "=" in item:
            key, text = item.split("=", 1)
            out[key.strip()] = _value(text.strip())
            continue
        path = Path(item)
        if not path.is_file():
            raise InputError("--config: expected KEY=VALUE or an existing JSON file", path)
        try:
            d = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"--config: not a JSON file ({exc})", path) from None
        if not isinstance(d, dict):
            raise InputError("--config: the JSON file must hold an object", path)
        out.update(_flatten(d))
    return out


def run(args) -> int:
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        raise InputError("--out exists and is not a folder", args.out)
    if args.prior is not None:
        return run_prior(args)
    if args.weak:
        raise InputError("--weak needs --prior NAME")
    if not args.data or args.out is None:
        raise InputError("give training files DATA and --out RUN, or --prior NAME")
    overrides = parse_overrides(args.config)
    if args.steps is not None:
        overrides["steps"] = args.steps
    if args.seed is not None:
        overrides["seed"] = args.seed
    try:
        config = TrainConfig().with_overrides(overrides)
    except InputError:
        raise
    except (TypeError, ValueError) as exc:
        given = ", ".join(f"{k}={v!r}" for k, v in overrides.items())
        raise InputError(f"--config: a value has the wrong type ({exc}); given {given}") from None
    data = read_structures(args.data, format=args.format, species_map=parse_species_map(args.species_map),
                           dtype=torch.float64)
    path = train(config, data, args.out, resume=not args.no_resume, device=args.device, progress=not args.quiet)
    print(path)
    return 0


def run_prior(args) -> int:
    """``--prior NAME``: the declared recipe, nothing overridden but the run folder and ``--steps``."""
    if args.data or args.config or args.seed is not None or args.species_map or args.format:
        raise InputError("--prior trains the declared recipe; DATA, --config, --seed, --format and --species-map "
                         "do not combine with it (edit data/specs/priors.yaml instead)")
    if args.steps is not None and args.out is None:
        raise InputError("--steps with --prior makes another checkpoint than the declared one; give --out RUN")
    path = build_prior(args.prior, out_dir=args.out, weak=args.weak, steps=args.steps, resume=not args.no_resume,
                       progress=not args.quiet, device=args.device)
    print(path)
    return 0
