"""Training of the score network by denoising score matching, with exact resume.

:func:`train` optimises :func:`glasslib.diffusion.sde.dsm_loss` (λ(σ) = σ², σ log-uniform) with
AdamW, a linear warm-up followed by cosine decay of the learning rate, gradient-norm clipping,
an exponential moving average (EMA) of the weights, periodic validation (EMA weights, a fixed
validation generator so losses are comparable between evaluations) and a non-finite guard
(a step whose loss or gradient norm is NaN/inf is skipped and counted; too many in a row abort).

Randomness: one training generator seeded from ``config.seed`` draws, per step, the batch
(a random subset of the training structures), σ and ε, in that order. Its state is saved in
every checkpoint together with the model, EMA, optimizer and scheduler states, so a run
resumed from any checkpoint performs exactly the same steps as an uninterrupted one
(bit-identical weights on the same machine). Parameter initialisation and the train/validation
split use their own seeded generators; the global torch RNG is left untouched.

Checkpoint (a dict, written atomically: ``torch.save`` to a temporary file + ``os.replace``)::

    format, step, model (state dict), ema (state dict), optimizer, scheduler,
    rng {"train": generator state}, config (TrainConfig.to_dict(): model, sde and training
    hyperparameters, resolved), data_sha256, data_summary (the training set's species,
    compositions, atoms and densities, and the default cell of sampling:
    :func:`glasslib.diffusion.cell_contents.training_set_summary`), n_skipped, history (list of dicts)

:func:`load_checkpoint` rebuilds the network from the embedded config.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import torch
from torch import nn
from tqdm.auto import tqdm

from glasslib.diffusion.cell_contents import training_set_summary
from glasslib.diffusion.sde import VESDE, Denoiser, dsm_loss, SIGMA_DISTRIBUTIONS
from glasslib.core.errors import GlassError, InputError, reject_unknown_keys
from glasslib.core.atomic_io import atomic_write_bytes, atomic_write_text, require_writable
from glasslib.diffusion.model import ScoreNet, ScoreNetConfig
from glasslib.core.structures import Structures, concatenate

CHECKPOINT_FORMAT = "glass-checkpoint-1"
CHECKPOINT_NAME = "checkpoint.pt"


@dataclass(frozen=True)
class TrainConfig:
    """All training hyperparameters, plus the model and noise-process configs (one place).

    Attributes:
        model: network hyperparameters (``species`` empty: taken from the data).
        sde: the VE SDE (σ_max = k, σ_min).
        steps: optimiser steps in total.
        batch_size: structures per step.
        lr: peak learning rate (AdamW).
        warmup_steps: linear warm-up from 0 to ``lr``.
        min_lr_ratio: the cosine decay ends at ``lr · min_lr_ratio`` at ``steps``.
        weight_decay: AdamW decoupled weight decay.
        betas: AdamW (β1, β2).
        ema_decay: EMA decay (effective decay min(ema_decay, (1 + n)/(10 + n)) at update n).
        grad_clip: maximal global gradient norm (0: no clipping).
        sigma_distribution: ``"log_uniform"``, ``"log_normal"`` or ``"uniform_t"`` (see
            :mod:`glasslib.diffusion.sde`).
        sigma_log_mean, sigma_log_std: ln σ mean and std (ln Å) of ``"log_normal"``.
        val_fraction: fraction of the structures held out for validation (at least one if > 0).
        val_interval: validate every this many steps (and at the end).
        checkpoint_interval: write the checkpoint every this many steps (and at the end).
        max_skipped: abort after this many consecutive non-finite steps.
        seed: seeds the split, the initialisation and the training generator.
        dtype: ``"float32"`` or ``"float64"``.
    """

    model: ScoreNetConfig = field(default_factory=ScoreNetConfig)
    sde: VESDE = field(default_factory=VESDE)
    steps: int = 2000
    batch_size: int = 8
    lr: float = 5e-4
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05
    weight_decay: float = 1e-4
    betas: tuple[float, float] = (0.9, 0.999)
    ema_decay: float = 0.999
    grad_clip: float = 1.0
    sigma_distribution: str = "log_uniform"
    sigma_log_mean: float = -1.2
    sigma_log_std: float = 1.2
    val_fraction: float = 0.1
    val_interval: int = 200
    checkpoint_interval: int = 200
    max_skipped: int = 50
    seed: int = 0
    dtype: str = "float32"

    def __post_init__(self):
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        if isinstance(self.model, dict):
            object.__setattr__(self, "model", ScoreNetConfig.from_dict(self.model))
        if isinstance(self.sde, dict):
            object.__setattr__(self, "sde", VESDE.from_dict(self.sde))
        for name in ("steps", "batch_size", "val_interval", "checkpoint_interval", "max_skipped"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"train config: {name} must be a positive integer, got {getattr(self, name)}")
        if not (self.lr > 0 and 0 <= self.min_lr_ratio <= 1 and self.warmup_steps >= 0 and self.grad_clip >= 0):
            raise InputError("train config: need lr > 0, 0 <= min_lr_ratio <= 1, warmup_steps >= 0, grad_clip >= 0")
        if not 0 <= self.ema_decay < 1 or not 0 <= self.val_fraction < 1:
            raise InputError("train config: ema_decay and val_fraction must lie in [0, 1)")
        if self.sigma_distribution not in SIGMA_DISTRIBUTIONS:
            raise InputError(f"train config: sigma_distribution must be one of {SIGMA_DISTRIBUTIONS}")
        if not self.sigma_log_std > 0:
            raise InputError(f"train config: sigma_log_std must be positive, got {self.sigma_log_std}")
        if self.dtype not in ("float32", "float64"):
            raise InputError("train config: dtype must be 'float32' or 'float64'")

    @property
    def torch_dtype(self) -> torch.dtype:
        return getattr(torch, self.dtype)

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["model"], d["sde"], d["betas"] = self.model.to_dict(), self.sde.to_dict(), list(self.betas)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        reject_unknown_keys(d, (f.name for f in fields(cls)), "train config")
        return cls(**d)

    def with_overrides(self, overrides: dict) -> "TrainConfig":
        """New config with ``{"lr": 1e-3, "model.hidden": 32, "sde.k": 4.0}``-style overrides."""
        d = self.to_dict()
        for key, value in overrides.items():
            head, _, tail = key.partition(".")
            if tail:
                if head not in ("model", "sde") or tail not in d[head]:
                    raise InputError(f"unknown config key {key!r}")
                d[head][tail] = value
            else:
                if key not in d or key in ("model", "sde"):
                    raise InputError(f"unknown config key {key!r}")
                d[key] = value
        return TrainConfig.from_dict(d)


# ----------------------------------------------------------------------- helpers
def data_sha256(structures: Structures) -> str:
    """SHA-256 over the species, positions (float64), cells (float64) and atoms per structure."""
    h = hashlib.sha256()
    for t in (
        structures.n_atoms_per_system.to("cpu", torch.int64),
        structures.species.to("cpu", torch.int64),
        structures.positions.detach().to("cpu", torch.float64),
        structures.cell.detach().to("cpu", torch.float64),
    ):
        h.update(t.contiguous().numpy().tobytes())
    return h.hexdigest()


def _sigma_options(config: TrainConfig) -> dict:
    return {"distribution": config.sigma_distribution, "log_mean": config.sigma_log_mean, "log_std": config.sigma_log_std}


def lr_factor(step: int, config: TrainConfig) -> float:
    """Learning-rate multiplier at ``step``: linear warm-up, then cosine decay to ``min_lr_ratio``."""
    if step < config.warmup_steps:
        return (step + 1) / (config.warmup_steps + 1)
    span = max(config.steps - config.warmup_steps, 1)
    progress = min((step - config.warmup_steps) / span, 1.0)
    return config.min_lr_ratio + (1.0 - config.min_lr_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def build_denoiser(config: TrainConfig, device=None) -> Denoiser:
    """A freshly initialised :class:`Denoiser` (initialisation seeded by ``config.seed``, global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        net = ScoreNet(config.model)
    return Denoiser(net.to(device=device, dtype=config.torch_dtype), config.sde)


def _split(n: int, config: TrainConfig) -> tuple[list[int], list[int]]:
    gen = torch.Generator().manual_seed(config.seed + 1)
    perm = torch.randperm(n, generator=gen).tolist()
    n_val = 0 if config.val_fraction == 0 else min(max(1, round(config.val_fraction * n)), n - 1)
    return sorted(perm[n_val:]), sorted(perm[:n_val])


def _subset(structures: list[Structures], idx) -> Structures:
    return concatenate([structures[k] for k in idx])


@torch.no_grad()
def _ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    for pe, pm in zip(ema.parameters(), model.parameters()):
        pe.lerp_(pm, 1.0 - decay)


@torch.no_grad()
def validation_loss(denoiser: Denoiser, structures: list[Structures], config: TrainConfig, device) -> float:
    """Mean DSM loss over ``structures`` with a fixed generator (seed + 2): comparable across calls."""
    gen = torch.Generator(device=device).manual_seed(config.seed + 2)
    total, n = 0.0, 0
    for a in range(0, len(structures), config.batch_size):
        batch = concatenate(structures[a : a + config.batch_size])
        losses = dsm_loss(denoiser, batch, gen, reduce=False, **_sigma_options(config))
        total += float(losses.sum())
        n += batch.n_systems
    return total / max(n, 1)


def _save(path: Path, state: dict) -> None:
    buf = io.BytesIO()
    torch.save(state, buf)
    atomic_write_bytes(path, buf.getvalue())


# ------------------------------------------------------------------------- train
def train(
    config: TrainConfig,
    dataset_structures: Structures,
    out_dir: str | os.PathLike,
    resume: bool = True,
    *,
    device=None,
    progress: bool = True,
    stop_at: int | None = None,
    record: dict | None = None,
) -> Path:
    """Train a score network on ``dataset_structures``; returns the checkpoint path.

    Args:
        config: hyperparameters; an empty ``config.model.species`` is filled from the data.
        dataset_structures: the training set (any number of periodic structures).
        out_dir: run folder: ``checkpoint.pt``, ``config.json`` and ``history.jsonl`` go there.
        resume: continue from ``out_dir/checkpoint.pt`` if it exists (same data and config
            required, except ``steps``); otherwise start afresh (overwriting it).
        device: torch device (default CPU).
        progress: show a tqdm progress bar.
        stop_at: stop after this step (checkpoint written), as if interrupted.
        record: JSON-ready description of the run stored in the checkpoint as ``record`` (e.g. the
            resolved prior spec of :func:`glasslib.diffusion.priors.build_prior`).
    """
    device = torch.device(device or "cpu")
    out_dir = Path(out_dir)
    require_writable(out_dir / CHECKPOINT_NAME)
    _refuse_foreign_run(out_dir, resume)
    dataset_structures.require_periodic("training")
    if dataset_structures.n_systems < 2 and config.val_fraction > 0:
        raise InputError("need at least two structures to hold some out for validation (or set val_fraction=0)")
    elements = tuple(dataset_structures.elements)
    if not config.model.species:
        config = replace(config, model=replace(config.model, species=elements))
    missing = sorted(set(elements) - set(config.model.species))
    if missing:
        raise InputError(f"training data contain species {missing} that the model config does not list {list(config.model.species)}")
    data_hash = data_sha256(dataset_structures)
    summary = training_set_summary(dataset_structures)

    dtype = config.torch_dtype
    systems = [s.to(device=device, dtype=dtype) for s in dataset_structures.split()]
    train_idx, val_idx = _split(len(systems), config)
    train_set = [systems[k] for k in train_idx]
    val_set = [systems[k] for k in val_idx]
    batch_size = min(config.batch_size, len(train_set))

    denoiser = build_denoiser(config, device)
    ema = build_denoiser(config, device)
    ema.load_state_dict(denoiser.state_dict())
    ema.requires_grad_(False)
    opt = torch.optim.AdamW(denoiser.parameters(), lr=config.lr, betas=config.betas, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, config))
    gen = torch.Generator(device=device).manual_seed(config.seed)
    step, n_skipped, history, running = 0, 0, [], None

    ckpt_path = out_dir / CHECKPOINT_NAME
    if resume and ckpt_path.exists():
        state = _read_checkpoint(ckpt_path, device)
        if state["data_sha256"] != data_hash:
            raise InputError("checkpoint was trained on different data; use a new --out folder or resume=False", ckpt_path)
        saved = dict(state["config"], steps=config.steps)
        if saved != config.to_dict():
            raise InputError("checkpoint was written with a different configuration; use a new --out folder or resume=False", ckpt_path)
        denoiser.load_state_dict(state["model"])
        ema.load_state_dict(state["ema"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        gen.set_state(state["rng"]["train"])
        step, n_skipped, history = int(state["step"]), int(state["n_skipped"]), list(state["history"])
        running = state.get("running_loss")

    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out_dir / "config.json", json.dumps(config.to_dict(), indent=2) + "\n")

    def checkpoint():
        _save(ckpt_path, {
            "format": CHECKPOINT_FORMAT, "step": step, "model": denoiser.state_dict(), "ema": ema.state_dict(),
            "optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "rng": {"train": gen.get_state()},
            "config": config.to_dict(), "data_sha256": data_hash, "data_summary": summary, "record": record,
            "n_skipped": n_skipped, "history": history,
            "n_train": len(train_set), "n_val": len(val_set), "running_loss": running,
        })
        atomic_write_text(out_dir / "history.jsonl", "".join(json.dumps(h) + "\n" for h in history))

    last = config.steps if stop_at is None else min(config.steps, int(stop_at))
    bar = tqdm(total=config.steps, initial=step, disable=not progress, desc="train", dynamic_ncols=True)
    # history "seconds": training wall time so far, carried over resumes (the time of steps a
    # killed run did not checkpoint is lost with them)
    done = next((float(h["seconds"]) for h in reversed(history) if "seconds" in h), 0.0)
    consecutive, t0 = 0, time.perf_counter() - done
    denoiser.train()
    while step < last:
        idx = torch.randperm(len(train_set), generator=gen, device=device)[:batch_size].tolist()
        batch = _subset(train_set, sorted(idx))
        loss = dsm_loss(denoiser, batch, gen, **_sigma_options(config))
        opt.zero_grad(set_to_none=True)
        ok = bool(torch.isfinite(loss))
        if ok:
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(denoiser.parameters(), config.grad_clip if config.grad_clip > 0 else float("inf"))
            ok = bool(torch.isfinite(norm))
        if ok:
            opt.step()
            _ema_update(ema, denoiser, min(config.ema_decay, (1.0 + step) / (10.0 + step)))
            consecutive = 0
            value = float(loss.detach())
            running = value if running is None else 0.98 * running + 0.02 * value
        else:
            opt.zero_grad(set_to_none=True)
            n_skipped += 1
            consecutive += 1
            if consecutive >= config.max_skipped:
                checkpoint()
                raise GlassError(f"training aborted: {consecutive} consecutive non-finite steps at step {step}")
        sched.step()
        step += 1
        bar.update(1)
        if running is not None:
            bar.set_postfix(loss=f"{running:.4f}", skipped=n_skipped, refresh=False)
        if step % config.val_interval == 0 or step == config.steps:
            entry = {"step": step, "train_loss": running, "lr": sched.get_last_lr()[0], "skipped": n_skipped,
                     "seconds": round(time.perf_counter() - t0, 3)}
            if val_set:
                ema.eval()
                entry["val_loss"] = validation_loss(ema, val_set, config, device)
            history.append(entry)
            if progress:
                bar.write(json.dumps(entry))
        if step % config.checkpoint_interval == 0 or step == last:
            checkpoint()
    bar.close()
    return ckpt_path


def _refuse_foreign_run(out_dir: Path, resume: bool) -> None:
    """One-line error when ``out_dir`` holds a ``config.json`` that is not a training configuration
    (another command's run, e.g. ``glass rmc``'s) and no checkpoint to resume: training would
    overwrite it."""
    path = out_dir / "config.json"
    if not path.is_file() or (resume and (out_dir / CHECKPOINT_NAME).is_file()):
        return
    try:
        d = json.loads(path.read_text())
        if not isinstance(d, dict):
            raise TypeError("not a JSON object")
        TrainConfig.from_dict(d)
    except (OSError, ValueError, TypeError, AttributeError):
        raise InputError("holds a config.json that is not a training configuration (another command's run?); "
                         "training would overwrite it: use another --out folder", out_dir) from None


def train_stages(
    config: TrainConfig,
    dataset_structures: Structures,
    out_dir: str | os.PathLike,
    stages: Sequence[int],
    resume: bool = True,
    **kwargs,
) -> Path:
    """:func:`train` in stages ending at ``stages[k]`` optimiser steps (increasing).

    The first stage is an ordinary run of ``stages[0]`` steps (warm-up, cosine decay to its end).
    Each later stage resumes the run with ``steps`` raised to ``stages[k]``: the cosine schedule is
    stretched to the new end, so the learning rate jumps back up (a warm restart) and decays again.
    Stages that ``out_dir/checkpoint.pt`` has already passed are skipped, so an interrupted run
    resumes and ends with the same weights as an uninterrupted one. ``config.steps`` is ignored;
    ``kwargs`` go to :func:`train`.
    """
    stages = [int(s) for s in stages]
    if not stages or any(s < 1 for s in stages) or any(b <= a for a, b in zip(stages, stages[1:])):
        raise InputError(f"training stages must be increasing positive step counts, got {stages}")
    ckpt = Path(out_dir) / CHECKPOINT_NAME
    done = checkpoint_step(ckpt) if resume else 0
    for k, end in enumerate(stages):
        if end > done:
            train(replace(config, steps=end), dataset_structures, out_dir, resume=resume or k > 0, **kwargs)
            done = end
    return ckpt


# -------------------------------------------------------------------- checkpoint
def _read_checkpoint(path: Path, device) -> dict:
    path = Path(path)
    if not path.is_file():
        raise InputError("checkpoint file not found", path)
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:  # truncated zip, bad pickle, wrong file type, ...
        raise InputError(f"not a readable checkpoint (truncated or corrupt?): {type(exc).__name__}", path) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise InputError(f"not a GLASS checkpoint (expected format {CHECKPOINT_FORMAT!r})", path)
    return state


def checkpoint_step(path: str | os.PathLike) -> int:
    """Optimiser steps a checkpoint file has done (0 when there is no file); one-line
    :class:`InputError` naming a file that is not a readable GLASS checkpoint."""
    path = Path(path)
    if not path.exists():
        return 0
    state = _read_checkpoint(path, "cpu")
    try:
        return int(state["step"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"checkpoint has no valid step ({type(exc).__name__})", path) from None


@dataclass
class Checkpoint:
    """A loaded checkpoint: ``denoiser`` (EMA weights by default, eval mode) and its metadata."""

    denoiser: Denoiser
    config: TrainConfig
    step: int
    data_sha256: str
    path: Path
    history: list = field(default_factory=list)
    #: :func:`glasslib.diffusion.cell_contents.training_set_summary` (None in checkpoints that predate it)
    data_summary: dict | None = None
    #: how the run was declared (``train(record=...)``), e.g. the prior spec; None if not given
    record: dict | None = None

    @property
    def sde(self) -> VESDE:
        return self.config.sde

    @property
    def species(self) -> tuple[int, ...]:
        return self.config.model.species

    def score(self, structures: Structures, t) -> torch.Tensor:
        return self.denoiser.score(structures, t)

    def require_companion(self, other: "Checkpoint") -> None:
        """Check that ``other`` (e.g. the weak network of autoguidance) can be combined with this
        checkpoint: same species, noise process and training data; otherwise :class:`InputError`
        naming ``other``'s file."""
        if sorted(other.species) != sorted(self.species):
            raise InputError(f"checkpoint covers species {sorted(other.species)}, not {sorted(self.species)} like {self.path.name}", other.path)
        if other.sde != self.sde:
            raise InputError(f"checkpoint has another noise process ({other.sde}) than {self.path.name} ({self.sde})", other.path)
        if other.data_sha256 != self.data_sha256:
            raise InputError(f"checkpoint was trained on other data than {self.path.name}", other.path)


def load_checkpoint(path: str | os.PathLike, device=None, *, species=None, ema: bool = True) -> Checkpoint:
    """Rebuild the network from a checkpoint's embedded config and load its (EMA) weights.

    Args:
        path: checkpoint file.
        device: where to put the network (default CPU).
        species: if given, the atomic numbers the caller needs; they must equal the
            checkpoint's species set, otherwise :class:`InputError`.
        ema: load the EMA weights (default) rather than the raw ones.

    Raises:
        InputError: missing, truncated or corrupt file, non-finite weights, or another species set
            (naming the file). The file is read with ``torch.load(weights_only=True)``: a pickle
            that would run code is refused, not run.
    """
    device = torch.device(device or "cpu")
    path = Path(path)
    state = _read_checkpoint(path, device)
    try:
        config = TrainConfig.from_dict(state["config"])
        denoiser = build_denoiser(config, device)  # global RNG untouched
        denoiser.load_state_dict(state["ema" if ema else "model"])
        meta = (int(state["step"]), str(state["data_sha256"]), list(state.get("history") or []),
                state.get("data_summary"), state.get("record"))
    except InputError as exc:
        raise InputError(f"checkpoint config is invalid: {exc}", path) from None
    except Exception as exc:  # a damaged or foreign dict: missing keys, wrong types or shapes
        raise InputError(f"checkpoint is incomplete or does not match its config ({type(exc).__name__})", path) from None
    bad = [name for name, value in denoiser.state_dict().items()
           if value.is_floating_point() and not bool(torch.isfinite(value).all())]
    if bad:
        raise InputError(f"checkpoint holds non-finite (NaN or inf) weights in {bad[0]} (a diverged run or a "
                         "corrupt file)", path)
    if species is not None:
        want = sorted({int(z) for z in species})
        if want != sorted(config.model.species):
            raise InputError(f"checkpoint covers species {sorted(config.model.species)}, but {want} were requested", path)
    denoiser.eval().requires_grad_(False)
    step, data_hash, history, summary, record = meta
    return Checkpoint(denoiser, config, step, data_hash, path, history, summary, record)
