"""Declared priors: ``data/specs/priors.yaml`` → a trained, shipped checkpoint (``glass train --prior NAME``).

A prior is one entry of the spec file::

    - name: asi_sw_prior               # folder data/models/<name>/
      datasets: [aSi-SW-prior]         # training sets of data/specs/datasets.yaml (built and cached)
      heldout: aSi-SW-prior-heldout    # held-out set of the quality card (not trained on)
      seed: 0
      config: {model.hidden: 80, model.n_layers: 4, sigma_distribution: log_normal, ...}
      stages: [10000, 24000]           # optimiser steps at the end of each stage
      weak: {config: {model.hidden: 32, model.n_layers: 2}, stages: [1500]}   # optional companion

``config`` holds overrides of :class:`glasslib.diffusion.training.TrainConfig` in dotted keys
(``model.*`` for the network, ``sde.k`` for σ_max, ``sigma_distribution`` for the noise
distribution of training); everything else is TrainConfig's default, and :func:`resolved_config`
gives the full result. The weak companion of autoguidance uses the prior's config with its own
overrides on top, the same data, noise process and seed.

:func:`build_prior` builds the declared datasets (cached by content hash), trains in the declared
stages (:func:`glasslib.diffusion.training.train_stages`: an interrupted run resumes from the
checkpoint and ends with the weights of an uninterrupted one), embeds the resolved prior record
(name, datasets with their cache folders, data SHA-256, stages) in the checkpoint next to the
resolved TrainConfig, and writes ``config.json``, ``history.jsonl`` and ``train_info.json``
(stages, wall seconds per stage, threads, torch version) into the run folder.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch
import yaml

from glasslib.core.atomic_io import atomic_write_text, write_marked_section
from glasslib.core.errors import InputError, reject_unknown_keys
from glasslib.core.paths import data_dir
from glasslib.core.structures import Structures, concatenate
from glasslib.diffusion.training import (CHECKPOINT_NAME, TrainConfig, checkpoint_step, data_sha256, load_checkpoint,
                                         train_stages)
from glasslib.simulate.datasets import build_spec, get_spec, read_dataset

#: file next to the checkpoint with the stages, wall time and threads of the run
TRAIN_INFO = "train_info.json"


@dataclass(frozen=True)
class WeakSpec:
    """The weak companion of a prior (autoguidance): overrides on top of the prior's config, stages."""

    config: dict = field(default_factory=dict)
    stages: tuple[int, ...] = ()


@dataclass(frozen=True)
class PriorSpec:
    """One declared prior (module docstring)."""

    name: str
    datasets: tuple[str, ...]
    stages: tuple[int, ...]
    seed: int = 0
    config: dict = field(default_factory=dict)
    heldout: str | None = None
    weak: WeakSpec | None = None
    threads: int = 1
    description: str = ""

    @classmethod
    def from_dict(cls, d: dict, where=None) -> "PriorSpec":
        if not isinstance(d, dict) or "name" not in d:
            raise InputError("every prior needs a name", where)
        try:
            reject_unknown_keys(d, (f.name for f in fields(cls)), f"prior {d['name']!r}")
        except InputError as exc:
            raise InputError(str(exc), where) from None
        d = dict(d)
        for key in ("datasets", "stages"):
            if not d.get(key):
                raise InputError(f"prior {d['name']!r} needs {key}", where)
            d[key] = tuple(d[key])
        if d.get("weak") is not None:
            w = d["weak"]
            if not isinstance(w, dict) or set(w) - {"config", "stages"}:
                raise InputError(f"prior {d['name']!r}: weak takes only config and stages", where)
            d["weak"] = WeakSpec(dict(w.get("config") or {}), tuple(w.get("stages") or ()))
        spec = cls(**d)
        if "seed" in spec.config:
            raise InputError(f"prior {spec.name!r}: give the seed as the entry's seed, not in config", where)
        resolved_config(spec)  # validates the overrides now
        if spec.weak is not None:
            resolved_config(spec, weak=True)
        return spec

    def to_dict(self) -> dict:
        return asdict(self)


def default_spec_path() -> Path:
    return data_dir() / "specs" / "priors.yaml"


def load_priors(path: str | os.PathLike | None = None) -> dict[str, PriorSpec]:
    """All priors of the spec file, by name."""
    path = Path(path) if path is not None else default_spec_path()
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read the prior specs ({type(exc).__name__})", path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("priors"), list):
        raise InputError("expected a mapping with a 'priors' list", path)
    out = {}
    for entry in doc["priors"]:
        spec = PriorSpec.from_dict(entry, path)
        if spec.name in out:
            raise InputError(f"prior {spec.name!r} is declared twice", path)
        out[spec.name] = spec
    return out


def get_prior(name: str, path: str | os.PathLike | None = None) -> PriorSpec:
    priors = load_priors(path)
    if name not in priors:
        raise InputError(f"no prior named {name!r}; declared: {', '.join(priors)}", path or default_spec_path())
    return priors[name]


def resolved_config(spec: PriorSpec, *, weak: bool = False) -> TrainConfig:
    """The full TrainConfig of a prior (or of its weak companion); ``steps`` is the last stage."""
    overrides = dict(spec.config)
    stages = spec.stages
    if weak:
        if spec.weak is None:
            raise InputError(f"prior {spec.name!r} declares no weak companion")
        overrides.update(spec.weak.config)
        stages = spec.weak.stages or stages
    overrides.update(seed=spec.seed, steps=int(stages[-1]))
    try:
        return TrainConfig().with_overrides(overrides)
    except TypeError as exc:
        raise InputError(f"prior {spec.name!r}: bad config value ({exc})") from None


def stages_of(spec: PriorSpec, *, weak: bool = False) -> tuple[int, ...]:
    return (spec.weak.stages or spec.stages) if weak else spec.stages


def default_out_dir(spec: PriorSpec, *, weak: bool = False) -> Path:
    """``data/models/<name>`` (``.../weak`` for the companion)."""
    out = data_dir() / "models" / spec.name
    return out / "weak" if weak else out


def training_data(spec: PriorSpec, *, progress: bool = False, datasets_path=None) -> tuple[Structures, list[dict]]:
    """The prior's training structures (its datasets, built if missing, in declared order) and,
    per dataset, ``{"name", "dir", "structures"}``. ``datasets_path``: another dataset spec file."""
    parts, sets = [], []
    for name in spec.datasets:
        ds = get_spec(name, datasets_path)
        if ds.role not in ("train", "reference"):
            raise InputError(f"prior {spec.name!r}: dataset {name!r} has role {ds.role!r}; priors train on "
                             "train or reference sets only")
        built = build_spec(ds, progress=progress)
        data = read_dataset(built.out_dir)
        parts.append(data)
        sets.append({"name": name, "dir": built.out_dir.name, "structures": data.n_systems})
    return (concatenate(parts) if len(parts) > 1 else parts[0]), sets


def build_prior(spec: PriorSpec | str, *, out_dir: str | os.PathLike | None = None, weak: bool = False,
                steps: int | None = None, resume: bool = True, progress: bool = True, device=None,
                specs_path=None, datasets_path=None) -> Path:
    """Build the data of a prior and train it (module docstring); returns the checkpoint path.

    Args:
        spec: a :class:`PriorSpec` or the name of a declared one.
        out_dir: run folder (default :func:`default_out_dir`).
        weak: train the weak companion instead.
        steps: one stage of this many steps instead of the declared stages (for checks; a
            different checkpoint from the shipped one).
        resume: continue from ``out_dir/checkpoint.pt`` (default); False starts afresh.
        device: torch device (default CPU). CPU threads are the caller's (``torch.set_num_threads``).
        specs_path, datasets_path: other prior and dataset spec files (default: ``data/specs/``).
    """
    if isinstance(spec, str):
        spec = get_prior(spec, specs_path)
    out = Path(out_dir) if out_dir is not None else default_out_dir(spec, weak=weak)
    stages = (int(steps),) if steps is not None else tuple(int(s) for s in stages_of(spec, weak=weak))
    data, sets = training_data(spec, progress=progress, datasets_path=datasets_path)
    record = {"prior": spec.name, "weak": weak, "datasets": sets, "data_sha256": data_sha256(data),
              "stages": list(stages), "heldout": spec.heldout, "spec": spec.to_dict()}
    info_path = out / TRAIN_INFO
    config = resolved_config(spec, weak=weak)
    if not resume and info_path.exists():
        info_path.unlink()
    for k in range(len(stages)):
        before = _step_of(out)
        try:
            train_stages(config, data, out, stages[: k + 1], resume=resume or k > 0, device=device,
                         progress=progress, record=record)
        finally:  # also when interrupted: the time spent on the steps the checkpoint kept
            if _step_of(out) > before:
                walls = stage_wall_seconds(load_checkpoint(out / CHECKPOINT_NAME).history, stages)
                info = {"prior": spec.name, "weak": weak, "datasets": sets, "data_sha256": record["data_sha256"],
                        "stages": list(stages), "wall_seconds_per_stage": walls,
                        "threads": torch.get_num_threads(), "torch": torch.__version__,
                        "device": str(device or "cpu")}
                atomic_write_text(info_path, json.dumps(info, indent=2) + "\n")
    write_model_card(out, spec, weak=weak)
    return out / CHECKPOINT_NAME


def stage_wall_seconds(history: list[dict], stages) -> list[float]:
    """Training wall time (s) per stage from a checkpoint's history, whose ``seconds`` count the
    training time so far across resumed runs (a run killed between checkpoints loses the time of
    the steps it lost); stages not reached yet are left out."""
    walls, before = [], 0.0
    for end in stages:
        timed = [float(h["seconds"]) for h in history if "seconds" in h and h["step"] <= end]
        if not timed or (walls and timed[-1] == before):
            break
        walls.append(round(timed[-1] - before, 1))
        before = timed[-1]
    return walls


def _step_of(out: Path) -> int:
    return checkpoint_step(out / CHECKPOINT_NAME)


def _read_info(path: Path) -> dict:
    try:
        return json.loads(path.read_text()) if path.exists() else {}
    except (OSError, json.JSONDecodeError):
        return {}


# ------------------------------------------------------------------ model card
TRAINING_START, TRAINING_END = "<!-- training (glass train --prior): start -->", "<!-- training (glass train --prior): end -->"


def training_markdown(out: Path, spec: PriorSpec, *, weak: bool = False) -> str:
    """The generated part of a model card: what was trained on what, how long, and how to rebuild it."""
    ckpt = load_checkpoint(out / CHECKPOINT_NAME)
    info = _read_info(out / TRAIN_INFO)
    summary = ckpt.data_summary or {}
    default = summary.get("default", {})
    last = next((h for h in reversed(ckpt.history) if "val_loss" in h), {})
    walls = info.get("wall_seconds_per_stage", [])
    n_params = sum(p.numel() for p in ckpt.denoiser.parameters())
    overrides = dict(spec.config, **(spec.weak.config if weak and spec.weak else {}))
    sets = ", ".join(f"`{d['name']}` ({d['structures']} structures, cache folder `{d['dir']}`)" for d in info.get("datasets", []))
    lines = [
        TRAINING_START,
        f"## {'Weak companion' if weak else 'Prior'} `{spec.name}`: data, network, training (written by `glass train --prior`)",
        "",
        f"* {spec.description}" if spec.description else None,
        f"* training data: {sets}; data SHA-256 `{ckpt.data_sha256[:16]}…`; compositions "
        f"{', '.join(f'{k} × {v}' for k, v in summary.get('compositions', {}).items())}; "
        f"{summary.get('atoms', ['?'])[0]}–{summary.get('atoms', ['?'])[-1]} atoms per cell; "
        f"densities {summary.get('density', ['?'])[0]}–{summary.get('density', ['?'])[-1]} g/cm³.",
        f"* default cell of `glass sample`: {default.get('composition', '?')} at {default.get('density', '?')} g/cm³.",
        f"* held-out set of the quality card: `{spec.heldout}`." if spec.heldout and not weak else None,
        f"* network: {n_params} parameters; overrides of `TrainConfig`: "
        + ", ".join(f"`{k} = {v}`" for k, v in overrides.items()) + f"; seed {spec.seed}. Resolved: `config.json`"
        " (also embedded in the checkpoint, with this entry of `data/specs/priors.yaml`).",
        f"* stages {info.get('stages', list(spec.stages))} optimiser steps; wall time per stage "
        f"{', '.join(f'{w:.0f} s' for w in walls)} ({sum(walls) / 3600:.2f} h) on {info.get('threads', '?')} CPU "
        f"thread(s) of the 2-core development machine (`torch {info.get('torch', '?')}`), step {ckpt.step}.",
        f"* final validation loss (EMA weights) {last.get('val_loss', float('nan')):.4f} at step {last.get('step', '?')}; "
        "history in `history.jsonl`.",
        f"* rebuild: `OMP_NUM_THREADS=1 .venv/bin/glass train --prior {spec.name}{' --weak' if weak else ''}` "
        f"(or `make prior-{spec.name}`); resumes from the checkpoint here, `--no-resume` retrains. Bit-identical "
        "weights need the same machine and torch build.",
        "",
        TRAINING_END,
    ]
    return "\n".join(line for line in lines if line is not None)


def write_model_card(out: Path, spec: PriorSpec, *, weak: bool = False) -> Path:
    """Write (or refresh) the generated training section of ``out/model_card.md``; the rest of the
    card (hand-written text, the quality card of notebook 04) is kept."""
    return write_marked_section(Path(out) / "model_card.md", training_markdown(Path(out), spec, weak=weak),
                                TRAINING_START, TRAINING_END,
                                new_file_heading=f"# Model card: `{spec.name}`{' (weak companion)' if weak else ''}")
