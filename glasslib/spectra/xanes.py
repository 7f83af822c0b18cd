"""Training and evaluation of the XANES surrogate on the a-C per-atom C K-edge set, and the one
recipe that rebuilds the shipped checkpoint:

    OMP_NUM_THREADS=1 .venv/bin/python -m glasslib.spectra.xanes --out data/models/xanes_ac_surrogate

Data (``data/a-C/hsu2024_dgp``, data/PROVENANCE.md): 216-atom periodic a-C cells
(``poscar/{train,test}/*.vasp``) paired with per-atom computed C K-edge XANES
(``xanes/{train,test}/*.txt``: one row per atom in POSCAR order, 100 intensities on an index grid
0..99; the energy axis is not given). The split is the source repository's own: 25 training and
5 test cells. The recipe (:data:`MODEL`, :data:`TRAIN`) trains on the 25 training cells and
measures the test cells once; its settings were chosen on a validation split of the training
cells (:data:`VALIDATION_CELLS`, :func:`validate`), never on the test cells.

Training is seeded and deterministic on one CPU thread: the initial weights, the per-member
shuffles and the dropout masks come from one ``torch.Generator`` seeded with
:attr:`TrainConfig.seed`; the loss is the mean squared error of the per-atom spectra, summed over
the ensemble members.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch

from glasslib.core.atomic_io import atomic_write_text, sha256_file
from glasslib.core.errors import InputError
from glasslib.core.geometry import pair_distances
from glasslib.core.paths import data_dir, repo_relative
from glasslib.core.structures import Structures, concatenate, read_structures
from glasslib.spectra.xanes_features import absorber_descriptors
from glasslib.spectra.xanes_surrogate import INDEX_POINTS, REBUILD, XanesConfig, XanesSurrogate

#: the a-C XANES set, relative to the data directory
DATA = Path("a-C") / "hsu2024_dgp"
#: training cells held out to choose the recipe's settings (one per density group)
VALIDATION_CELLS = ("d0.0_20", "d1.5_10", "d2.0_1", "d2.5_4", "d3.5_2")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation of :func:`train_xanes_surrogate`.

    Attributes:
        epochs: passes over the training absorbers (each member shuffles on its own).
        batch_size: absorbers per step and member.
        lr: peak learning rate of the one-cycle schedule (AdamW); weight_decay: AdamW's.
        dropout: probability of zeroing a hidden unit during training (0: none).
        seed: seed of the generator of the initial weights, the shuffles and the dropout masks.
        exclude: training cells (file stems) left out, e.g. :data:`VALIDATION_CELLS`.
    """

    epochs: int = 300
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 1e-4
    dropout: float = 0.1
    seed: int = 0
    exclude: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "exclude", tuple(self.exclude))
        if not (isinstance(self.epochs, int) and self.epochs >= 1 and isinstance(self.batch_size, int) and self.batch_size >= 1):
            raise InputError(f"xanes training needs positive integer epochs and batch_size, got {self.epochs}, {self.batch_size}")
        if not (0 <= self.dropout < 1 and self.lr > 0 and self.weight_decay >= 0):
            raise InputError(f"xanes training needs 0 <= dropout < 1, lr > 0, weight_decay >= 0, got {self.dropout}, {self.lr}, "
                             f"{self.weight_decay}")

    def to_dict(self) -> dict:
        return {**asdict(self), "exclude": list(self.exclude)}


#: the declared recipe of the shipped checkpoint
MODEL = XanesConfig()
TRAIN = TrainConfig()


# ------------------------------------------------------------------------ data
def xanes_files(split: str, root: str | Path | None = None) -> list[tuple[Path, Path]]:
    """(POSCAR, per-atom spectra) file pairs of ``split`` (``"train"`` or ``"test"``), by file name."""
    root = Path(root) if root is not None else data_dir() / DATA
    cells = sorted((root / "poscar" / split).glob("*.vasp"))
    if not cells:
        raise InputError(f"no {split} cells of the a-C XANES set", root / "poscar" / split)
    pairs = []
    for cell in cells:
        spectra = root / "xanes" / split / f"{cell.stem}.txt"
        if not spectra.is_file():
            raise InputError("no per-atom XANES file for this cell", spectra)
        pairs.append((cell, spectra))
    return pairs


def read_per_atom_spectra(path: str | Path, n_atoms: int | None = None) -> np.ndarray:
    """(n_atoms, 100) per-atom spectra of one cell (whitespace-separated ``.txt``, or ``.csv``
    with a header row of the indices 0..99, as the crystalline references)."""
    path = Path(path)
    try:
        table = np.loadtxt(path, delimiter="," if path.suffix == ".csv" else None,
                           skiprows=1 if path.suffix == ".csv" else 0, ndmin=2)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read per-atom XANES ({exc})", path) from None
    if table.shape[1] != INDEX_POINTS:
        raise InputError(f"per-atom XANES has {table.shape[1]} columns, expected {INDEX_POINTS}", path)
    if n_atoms is not None and table.shape[0] != n_atoms:
        raise InputError(f"per-atom XANES has {table.shape[0]} rows for {n_atoms} atoms", path)
    return table


def read_xanes_set(split: str, *, root: str | Path | None = None, exclude=()) -> tuple[list[str], Structures, torch.Tensor]:
    """``(names, structures, spectra)`` of a split: cell names, the float64 batch and (n_atoms, 100)
    per-atom spectra in batch order."""
    names, cells, spectra = [], [], []
    for cell, path in xanes_files(split, root):
        if cell.stem in exclude:
            continue
        s = read_structures(cell)
        names.append(cell.stem)
        cells.append(s)
        spectra.append(torch.as_tensor(read_per_atom_spectra(path, s.n_atoms)))
    return names, concatenate(cells), torch.cat(spectra)


def data_sha256(split: str, root: str | Path | None = None) -> str:
    """SHA-256 over the sorted lines ``"<path below the set> <file SHA-256>"`` of a split's cell
    and spectrum files: one hash that changes when any file of the split does."""
    root = Path(root) if root is not None else data_dir() / DATA
    lines = []
    for cell, spectra in xanes_files(split, root):
        for f in (cell, spectra):
            lines.append(f"{f.relative_to(root).as_posix()} {sha256_file(f)}")
    return hashlib.sha256(("\n".join(sorted(lines)) + "\n").encode()).hexdigest()


# -------------------------------------------------------------------- training
def train_xanes_surrogate(model_config: XanesConfig = MODEL, train_config: TrainConfig = TRAIN, *,
                          root: str | Path | None = None, log=None) -> XanesSurrogate:
    """Train a :class:`XanesSurrogate` on the training split (minus ``train_config.exclude``).

    Seeded and deterministic on one thread (module docstring). Returns the model in eval mode
    (float32, CPU) with ``data_sha256`` and ``train_info`` (settings, wall time, final loss) set.
    """
    names, structures, spectra = read_xanes_set("train", root=root, exclude=train_config.exclude)
    start = time.perf_counter()
    with torch.no_grad():
        d, index = absorber_descriptors(structures, model_config.descriptor)
    x, y = d.float(), spectra[index].float()
    gen = torch.Generator().manual_seed(train_config.seed)
    model = XanesSurrogate(model_config, generator=gen)
    model.feature_mean.copy_(x.mean(0))
    model.feature_std.copy_(x.std(0) + 1e-3)  # constant channels (no such angle) stay finite
    x = model.standardize(x)
    n, k, bs = x.shape[0], model_config.n_members, train_config.batch_size
    per_epoch = math.ceil(n / bs)
    opt = torch.optim.AdamW(model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay)
    schedule = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=train_config.lr, total_steps=train_config.epochs * per_epoch)
    model.train()
    loss_sum = 0.0
    for epoch in range(train_config.epochs):
        perm = torch.stack([torch.randperm(n, generator=gen) for _ in range(k)])  # (K, N)
        loss_sum = 0.0
        for b in range(0, n, bs):
            idx = perm[:, b:b + bs]
            pred = model.members(x[idx], dropout=train_config.dropout, generator=gen)
            loss = ((pred - y[idx]) ** 2).mean(dim=(1, 2)).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
            loss_sum += float(loss.detach()) * idx.shape[1]
        if log is not None and (epoch + 1) % 10 == 0:
            log(f"epoch {epoch + 1}/{train_config.epochs}: member-mean MSE {loss_sum / n / k:.3e}")
    seconds = time.perf_counter() - start
    model.eval().requires_grad_(False)
    model.data_sha256 = {"train": data_sha256("train", root), "test": data_sha256("test", root)}
    model.train_info = {
        "train_config": train_config.to_dict(), "cells": names, "absorbers": n, "seconds": round(seconds, 1),
        "threads": torch.get_num_threads(), "torch": str(torch.__version__), "final_mse": loss_sum / n / k,
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    return model


# ------------------------------------------------------------------ evaluation
def _r2(pred: torch.Tensor, true: torch.Tensor) -> float:
    """1 − Σ(ŷ − y)² / Σ(y − ȳ)², ȳ the mean over the rows at each grid point."""
    return float(1 - ((pred - true) ** 2).sum() / ((true - true.mean(0)) ** 2).sum())


def _rmse(pred: torch.Tensor, true: torch.Tensor) -> float:
    return float(((pred - true) ** 2).mean().sqrt())


def accuracy(model: XanesSurrogate, names: list[str], structures: Structures, spectra: torch.Tensor,
             baseline: torch.Tensor | None = None) -> dict:
    """Per-atom and structure-averaged RMSE and R² (:func:`_r2`) of ``model`` against per-atom
    ``spectra`` (n_atoms, P); the structure-averaged RMSE also as a fraction of the largest value
    of the computed structure spectra (``rmse_over_max``); with ``baseline`` (P,), the RMSEs of
    that constant spectrum too."""
    model = copy.deepcopy(model).to(dtype=structures.dtype)  # the caller's model keeps its dtype
    with torch.no_grad():
        pred, index = model.per_atom(structures)
        true = spectra.to(pred.dtype)[index]
        system = structures.system_idx[index]
        count = torch.bincount(system, minlength=structures.n_systems).to(pred.dtype)[:, None]

        def mean(v):
            return torch.zeros(structures.n_systems, v.shape[1], dtype=v.dtype).index_add(0, system, v) / count

        ps, ts = mean(pred), mean(true)
        out = {
            "cells": len(names), "absorbers": int(index.numel()),
            "per_atom": {"rmse": _rmse(pred, true), "r2": _r2(pred, true)},
            "structure": {"rmse": _rmse(ps, ts), "r2": _r2(ps, ts), "max_abs": float((ps - ts).abs().max()),
                          "rmse_over_max": _rmse(ps, ts) / float(ts.max())},
            "per_cell_rmse": {n: _rmse(ps[i], ts[i]) for i, n in enumerate(names)},
        }
        if baseline is not None:
            b = baseline.to(pred.dtype)
            out["baseline_mean_spectrum"] = {"per_atom_rmse": _rmse(b.expand_as(true), true),
                                             "structure_rmse": _rmse(b.expand_as(ts), ts)}
    return out


def evaluate(model: XanesSurrogate, split: str = "test", *, root: str | Path | None = None) -> dict:
    """:func:`accuracy` on a split of the set, with the mean training spectrum as the baseline,
    and for each cell the RMSE between its mean spectrum and the closest training cell's
    (``nearest_train_rmse``: how far the cell lies from the training data)."""
    _, train_structures, train_spectra = read_xanes_set("train", root=root)
    names, structures, spectra = read_xanes_set(split, root=root)
    out = accuracy(model, names, structures, spectra, train_spectra.mean(0))
    train_means = train_spectra.reshape(train_structures.n_systems, -1, train_spectra.shape[1]).mean(1)
    means = spectra.reshape(structures.n_systems, -1, spectra.shape[1]).mean(1)  # 216-atom cells
    dist = ((means[:, None] - train_means[None]) ** 2).mean(-1).sqrt()
    if split == "train":
        dist.fill_diagonal_(float("inf"))
    out["nearest_train_rmse"] = {n: float(dist[i].min()) for i, n in enumerate(names)}
    repeats = duplicate_cells(split, root=root)
    out["repeats_of_train"] = repeats
    keep = [i for i, n in enumerate(names) if n not in repeats]
    if repeats and keep:
        cells, rows = structures.split(), spectra.split(structures.n_atoms_per_system.tolist())
        sub = accuracy(model, [names[i] for i in keep], concatenate([cells[i] for i in keep]),
                       torch.cat([rows[i] for i in keep]), train_spectra.mean(0))
        out["without_repeats"] = {k: sub[k] for k in ("cells", "absorbers", "per_atom", "structure")}
    return out


def validate(model_config: XanesConfig = MODEL, train_config: TrainConfig = TRAIN, *,
             root: str | Path | None = None, log=None) -> dict:
    """The validation that chose the recipe's settings: train on the training cells without
    :data:`VALIDATION_CELLS`, then :func:`accuracy` on those cells (the test cells are not read),
    plus ``seconds`` of that fit."""
    others = tuple(c.stem for c, _ in xanes_files("train", root) if c.stem not in VALIDATION_CELLS)
    model = train_xanes_surrogate(model_config, replace(train_config, exclude=VALIDATION_CELLS), root=root, log=log)
    names, structures, spectra = read_xanes_set("train", root=root, exclude=others)
    out = accuracy(model, names, structures, spectra)
    return {**out, "seconds": model.train_info["seconds"]}


def _distance_signature(structures: Structures, cutoff: float) -> list[torch.Tensor]:
    """Sorted pair distances up to ``cutoff`` (Å, images included) of each structure."""
    out = []
    for s in structures.split():
        d, _, _, _ = pair_distances(s, cutoff, indices=False)
        out.append(torch.sort(d).values)
    return out


def duplicate_cells(split: str, *, root: str | Path | None = None, cutoff: float = 5.0, tol: float = 1e-6) -> dict:
    """Cells of ``split`` that repeat a training cell: the same sorted pair distances up to
    ``cutoff`` within ``tol`` Å (the same structure with its atoms reordered, say). Returns
    {cell: training cell}; for ``split="train"``, repeats of an earlier training cell."""
    train_names, train_structures, _ = read_xanes_set("train", root=root)
    train_sig = _distance_signature(train_structures, cutoff)
    names, structures, _ = (train_names, train_structures, None) if split == "train" else read_xanes_set(split, root=root)
    sig = train_sig if split == "train" else _distance_signature(structures, cutoff)
    found = {}
    for i, name in enumerate(names):
        for j, other in enumerate(train_names[:i] if split == "train" else train_names):
            a, b = sig[i], train_sig[j]
            if a.shape == b.shape and bool(((a - b).abs() < tol).all()):
                found[name] = other
                break
    return found


def evaluate_crystals(model: XanesSurrogate, *, root: str | Path | None = None) -> dict:
    """Shape agreement on the crystalline references (diamond, graphite; outside the amorphous
    training distribution, and their spectra are on another intensity scale): for each crystal the
    ratio of mean intensities (reference / prediction), the Pearson r of its predicted structure
    spectrum with its own reference (``pearson_r``) and with each reference (``pearson_r_with``),
    and ``told_apart``: each prediction correlates better with its own reference than with the
    other crystal's."""
    root = Path(root) if root is not None else data_dir() / DATA
    model = copy.deepcopy(model).double()
    names = ("diamond", "graphite")
    pred, true = {}, {}
    for name in names:
        s = read_structures(root / "poscar" / "misc" / f"{name}.vasp")
        true[name] = torch.as_tensor(read_per_atom_spectra(root / "xanes" / "misc" / f"{name}.csv", s.n_atoms)).mean(0)
        with torch.no_grad():
            pred[name] = model(s)[0]

    def pearson(a, b):
        return float(torch.corrcoef(torch.stack([a, b]))[0, 1])

    out = {name: {"intensity_ratio": float(true[name].mean() / pred[name].mean()),
                  "pearson_r": pearson(pred[name], true[name]),
                  "pearson_r_with": {ref: pearson(pred[name], true[ref]) for ref in names}} for name in names}
    out["told_apart"] = all(out[n]["pearson_r_with"][n] > out[n]["pearson_r_with"][o] for n, o in (names, names[::-1]))
    return out


# ---------------------------------------------------------------- the recipe
def _card(model: XanesSurrogate, test: dict, train: dict, crystals: dict, valid: dict, ckpt: Path, root: Path) -> str:
    info, cfg = model.train_info, model.config
    dc = cfg.descriptor
    size_mb = ckpt.stat().st_size / 1e6
    base = test["baseline_mean_spectrum"]
    rows = "\n".join(f"| {n} | {v:.4f} | {test['nearest_train_rmse'][n]:.4f} |" for n, v in test["per_cell_rmse"].items())
    repeats = ", ".join(f"test {a} = train {b}" for a, b in test["repeats_of_train"].items()) or "none"
    train_repeats = ", ".join(f"{a} = {b}" for a, b in train["repeats_of_train"].items()) or "none"
    ind = test.get("without_repeats")
    ind_ratio = "no repeats" if ind is None else f"{ind['structure']['rmse_over_max']:.1%} without repeats"
    with_ = {n: crystals[n]["pearson_r_with"] for n in ("diamond", "graphite")}
    independent = "" if ind is None else (
        f"| per atom, without repeats ({ind['cells']} cells) | {ind['per_atom']['rmse']:.4f} | {ind['per_atom']['r2']:.3f} | |\n"
        f"| structure-averaged, without repeats | {ind['structure']['rmse']:.4f} | {ind['structure']['r2']:.3f} | |\n")
    return f"""# C K-edge XANES surrogate for amorphous carbon

`checkpoint.pt` ({size_mb:.2f} MB, SHA-256 `{sha256_file(ckpt)}`): `glasslib.spectra.xanes_surrogate.XanesSurrogate`,
{info['parameters']} parameters. It predicts each carbon atom's C K-edge XANES on the **index grid 0..99** (no
energy axis: the training set does not give one) from its local environment, and a structure's spectrum as the
mean over its carbon atoms. The `xanes` spectrum kind (`glass spectra --kind xanes`, `glass sample --target FILE
--kind xanes`) loads it; conventions in docs/conventions.md ("XANES").

* descriptor (`glasslib.spectra.xanes_features`): {dc.n_radial} radial Gaussians (σ {dc.radial_width} Å,
  {dc.radial_min}–{dc.cutoff} Å, smooth cutoff {dc.cutoff} Å over {dc.cutoff_width} Å) and {dc.n_angular} Gaussians in
  cos θ (σ {dc.angular_width}) over bonds shorter than {dc.bond_cutoff} Å (switch {dc.bond_width} Å); many-body terms
  resolved by the soft coordination number of the atom and of its neighbours ({dc.n_coordination} Gaussians centred at
  {dc.coordination_min}–{dc.coordination_min + dc.n_coordination - 1}, σ {dc.coordination_width}): bond angles by the neighbours' coordination, angles at the
  neighbours, torsions along every bond ({dc.n_dihedral} Gaussians in cos φ), coordination shells out to the cutoff,
  and the planarity and mutual alignment of the atoms' bond planes (the π-orbital orientation); plus {dc.order - 1}
  orders of sums over the bonded neighbours: {dc.size} numbers per atom, periodic, invariant to rotations,
  translations and permutations, differentiable w.r.t. positions.
* network: ensemble of {cfg.n_members} MLPs ({cfg.n_layers} × {cfg.hidden} SiLU), averaged; inputs standardised with the
  training mean and standard deviation.

## Data

* `data/a-C/hsu2024_dgp` (LLNL/graphite, MIT + LLNL NOTICE; data/PROVENANCE.md): 216-atom a-C cells with
  computed per-atom C K-edge XANES (100 points per atom).
* split: the source repository's own, {train['cells']} training cells ({train['absorbers']} absorbers) and
  {test['cells']} test cells ({test['absorbers']} absorbers). The settings were chosen on a validation split of the
  training cells ({', '.join(VALIDATION_CELLS)} held out: `glasslib.spectra.xanes.validate`); the test cells were
  measured once, for this card. The declared recipe on that split: per-atom R² {valid['per_atom']['r2']:.3f} (RMSE
  {valid['per_atom']['rmse']:.4f}), structure-averaged RMSE {valid['structure']['rmse']:.4f} ({valid['cells']} validation cells,
  {valid['absorbers']} absorbers; that fit took {valid['seconds']:.0f} s).
* SHA-256 (`glasslib.spectra.xanes.data_sha256`: every cell and spectrum file of the split):
  train `{model.data_sha256['train']}`, test `{model.data_sha256['test']}`.

## Training

* AdamW, one-cycle learning rate (peak {info['train_config']['lr']}), weight decay
  {info['train_config']['weight_decay']}, dropout {info['train_config']['dropout']} on the hidden units, {info['train_config']['epochs']} epochs, batches of
  {info['train_config']['batch_size']} absorbers per member, seed {info['train_config']['seed']}, float32.
* wall time {info['seconds']:.0f} s (descriptors and training) on {info['threads']} CPU thread of this machine
  (two cores, which other jobs may have shared; torch {info['torch']}); final training MSE {info['final_mse']:.2e}.
* rebuild: `{REBUILD}` (the declared recipe: `MODEL` and `TRAIN` in `glasslib/spectra/xanes.py`;
  bit-identical weights need the same machine and torch build).

## Held-out accuracy (the {test['cells']} test cells; intensities in the data's units: 0 to ~1.65 per atom)

R² = 1 − Σ(ŷ − y)² / Σ(y − ȳ)², ȳ the mean test spectrum at each grid point.

| | RMSE | R² | RMSE of the mean training spectrum |
|---|---|---|---|
| per atom ({test['absorbers']} spectra × 100 points) | {test['per_atom']['rmse']:.4f} | {test['per_atom']['r2']:.3f} | {base['per_atom_rmse']:.4f} |
| structure-averaged ({test['cells']} spectra × 100 points) | {test['structure']['rmse']:.4f} | {test['structure']['r2']:.3f} | {base['structure_rmse']:.4f} |
{independent}
Structure-averaged RMSE over the largest value of the computed test structure spectra:
{test['structure']['rmse_over_max']:.1%} ({ind_ratio}).

Repeated cells (`glasslib.spectra.xanes.duplicate_cells`: identical sorted pair distances, i.e. the same
structure with its atoms reordered): {repeats}; within the training split: {train_repeats}. A test cell that
repeats a training cell is not held out; the rows "without repeats" leave it out.

Largest structure-averaged deviation {test['structure']['max_abs']:.4f}. Training cells: per-atom RMSE
{train['per_atom']['rmse']:.4f} (R² {train['per_atom']['r2']:.3f}), structure-averaged {train['structure']['rmse']:.4f}.

The last column is the RMSE between the cell's computed mean spectrum and the closest training cell's: a
cell far from every training cell in its data (d2.0_2 against the three 2.0 g/cm³ training cells, whose
coordination statistics it shares) is far from the prediction too.

| test cell | structure-averaged RMSE | RMSE to the closest training-cell spectrum |
|---|---|---|
{rows}

Crystalline references (`xanes/misc`, outside the amorphous training distribution): their computed spectra are
on another intensity scale (mean intensity {crystals['diamond']['intensity_ratio']:.3f} × the prediction's for
diamond, {crystals['graphite']['intensity_ratio']:.3f} × for graphite), so only the shape is compared, by the Pearson r
of the structure spectra:

| prediction | r with the diamond reference | r with the graphite reference |
|---|---|---|
| diamond | {with_['diamond']['diamond']:.3f} | {with_['diamond']['graphite']:.3f} |
| graphite | {with_['graphite']['diamond']:.3f} | {with_['graphite']['graphite']:.3f} |

Told apart (each prediction closer in shape to its own reference than to the other's): {'yes' if crystals['told_apart'] else 'no'}.

Limits: trained on pure carbon at 1.5–3.5 g/cm³ only (other elements are refused); individual atoms'
spectra are far less certain than structure means; a measured spectrum must be mapped onto the index grid and
the intensity scale of the computed set before it is a target (docs/conventions.md).
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m glasslib.spectra.xanes", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="output folder (checkpoint.pt, config.json, model_card.md)")
    p.add_argument("--data", type=Path, default=None, help=f"the a-C XANES set (default data/{DATA.as_posix()})")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    root = args.data if args.data is not None else data_dir() / DATA

    def log(message: str) -> None:
        print(message, flush=True)

    valid = validate(MODEL, TRAIN, root=root, log=lambda m: log(f"validation fit, {m}"))
    log(f"validation cells: per-atom R² {valid['per_atom']['r2']:.4f}")
    model = train_xanes_surrogate(MODEL, TRAIN, root=root, log=log)
    test, train, crystals = evaluate(model, "test", root=root), evaluate(model, "train", root=root), \
        evaluate_crystals(model, root=root)
    model.train_info = {**model.train_info, "test": test, "train_accuracy": {k: train[k] for k in ("per_atom", "structure")},
                        "crystals": crystals, "validation": {k: valid[k] for k in ("cells", "absorbers", "per_atom", "structure")}}
    ckpt = model.save(args.out / "checkpoint.pt")
    config = {"model": MODEL.to_dict(), "train": TRAIN.to_dict(), "data": repo_relative(root),
              "data_sha256": model.data_sha256, "rebuild": REBUILD}
    atomic_write_text(args.out / "config.json", json.dumps(config, indent=2) + "\n")
    atomic_write_text(args.out / "model_card.md", _card(model, test, train, crystals, valid, ckpt, root))
    print(json.dumps({"seconds": model.train_info["seconds"], "test": {k: test[k] for k in ("per_atom", "structure")}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
