"""FEFF EXAFS data and the EXAFS surrogate: the recipes that build the data set, fit the
surrogate, check it against FEFF on held-out structures and write its model card:

    OMP_NUM_THREADS=1 .venv/bin/python -m glasslib.spectra.exafs build              # FEFF, cached, resumable
    OMP_NUM_THREADS=1 .venv/bin/python -m glasslib.spectra.exafs train --out data/models/exafs_cuzr_surrogate

Fit (:func:`fit_surrogate`). The surrogate (:mod:`glasslib.spectra.exafs_surrogate`) is linear in
its kernel coefficients c = (A, B): χ_i(k) = Σ_{s,e,m,n} T_i[k, s, e, m] ψ_n(k) c[s, e, m, n]. The
coefficients minimise the k^w-weighted squared error over the training absorbers plus a ridge
term, Σ_i Σ_k k^{2w} (χ̂_i − χ_i)² + λ |c|², solved from the normal equations, assembled per k
point (G = Σ_k k^{2w} (Σ_i T_ik T_ikᵀ) ⊗ ψ_k ψ_kᵀ). λ (relative to the mean diagonal of G) is
chosen on a validation split of the training structures (:data:`VALIDATION_FRACTION`, the last
structures of each set), never on the held-out set; the final fit uses every training structure.
Deterministic: no random numbers.

Checks (:func:`evaluate`), over k in [:data:`K_RANGE`] Å⁻¹ on k^w χ: per-absorber R² against the
FEFF χ_i; and the ensemble average, the second route: the surrogate's mean over the same
absorbers against FEFF's own mean, with the EXAFS R-factor R = Σ(model − FEFF)² / Σ FEFF²
(feffit's definition) and Wright's R_χ = √R (:func:`glasslib.analysis`-style, docs/conventions.md).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from glasslib.core.atomic_io import atomic_write_text, sha256_file
from glasslib.core.errors import InputError
from glasslib.core.paths import repo_relative
from glasslib.core.structures import concatenate
from glasslib.spectra.exafs_data import ExafsSet, build, default_spec_path, exafs_dir, load_exafs_spec, read_exafs_set
from glasslib.spectra.exafs_surrogate import REBUILD, ExafsConfig, ExafsSurrogate, _gaussians, on_grid

#: k range (Å⁻¹) of every reported agreement number
K_RANGE = (2.0, 12.0)
#: fraction of each training set's structures (its last ones) held back to choose λ
VALIDATION_FRACTION = 0.2
#: ridge strengths tried, relative to the mean diagonal of the normal matrix
LAMBDAS = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2)


def _model_config(spec) -> ExafsConfig:
    cards = spec.feff
    return ExafsConfig(elements=spec.elements, absorber=spec.absorber, cutoff=cards.rmax, cutoff_width=cards.path_taper,
                       k_weight=spec.k_weight)


def _targets(model: ExafsSurrogate, data: ExafsSet) -> torch.Tensor:
    """(A, K) FEFF χ of the absorbers on the model's k grid."""
    k = model.config.k_grid(dtype=torch.float64)
    return on_grid(data.chi, data.k, k)


def normal_equations(model: ExafsSurrogate, data: ExafsSet, *, chunk: int = 64) -> tuple[torch.Tensor, torch.Tensor, float]:
    """``(G, h, yy)``: G (F, F), h (F,) of the weighted least squares (module docstring) over the
    absorbers of ``data``, and yy = Σ k^{2w} χ² (float64)."""
    cfg = model.config
    k = cfg.k_grid(dtype=torch.float64)
    w2 = k ** (2 * cfg.k_weight)
    psi = _gaussians(k, cfg.k_min, cfg.k_max, cfg.n_kbasis)
    y_all = _targets(model, data)
    slot_of = {int(a): n for n, a in enumerate(data.index.tolist())}
    f = 2 * len(cfg.elements) * cfg.n_radial
    cov = torch.zeros(k.numel(), f, f, dtype=torch.float64)
    cross = torch.zeros(k.numel(), f, dtype=torch.float64)
    yy = 0.0
    with torch.no_grad():
        start = 0
        for s in data.structures.split():
            index, i, e, r = model.absorber_pairs(s)
            rows = [slot_of.get(start + int(a), -1) for a in index.tolist()]
            start += s.n_atoms
            sel = torch.tensor([n >= 0 for n in rows])
            if not bool(sel.any()):
                continue
            t = model.trig_features(i, e, r, index.numel(), k)[sel].reshape(int(sel.sum()), k.numel(), f)
            y = y_all[torch.tensor([n for n in rows if n >= 0])]
            for b in range(0, t.shape[0], chunk):
                tb, yb = t[b:b + chunk], y[b:b + chunk]
                cov += torch.einsum("akf,akg->kfg", tb, tb)
                cross += torch.einsum("akf,ak->kf", tb, yb)
                yy += float((w2 * (yb ** 2)).sum())
    g = torch.einsum("k,kfg,kn,km->fngm", w2, cov, psi, psi).reshape(f * cfg.n_kbasis, f * cfg.n_kbasis)
    h = torch.einsum("k,kf,kn->fn", w2, cross, psi).reshape(-1)
    return g, h, yy


def _solve(model: ExafsSurrogate, g: torch.Tensor, h: torch.Tensor, lam: float) -> None:
    cfg = model.config
    reg = lam * float(g.diagonal().mean())
    c = torch.linalg.solve(g + reg * torch.eye(g.shape[0], dtype=g.dtype), h)
    # feature order (s, e, m) then n, as trig_features lays it out: (2, E, M, N)
    with torch.no_grad():
        model.coef.copy_(c.reshape(2, len(cfg.elements), cfg.n_radial, cfg.n_kbasis).to(model.coef.dtype))


def _split_validation(spec, cache=None) -> tuple[ExafsSet, ExafsSet]:
    """Training data split into (fit, validation) by structure: the last
    :data:`VALIDATION_FRACTION` of each source set's structures validate."""
    data = read_exafs_set(spec, "train", cache=cache)
    by_set: dict[str, list[int]] = {}
    for n, name in enumerate(data.names):
        by_set.setdefault(name.split("/")[0], []).append(n)
    val = {n for members in by_set.values() for n in members[len(members) - max(1, round(len(members) * VALIDATION_FRACTION)):]}
    return _subset(data, [n for n in range(len(data.names)) if n not in val]), _subset(data, sorted(val))


def _subset(data: ExafsSet, keep: list[int]) -> ExafsSet:
    cells = data.structures.split()
    starts = np.concatenate([[0], np.cumsum([c.n_atoms for c in cells])])
    rows, index, offset = [], [], 0
    idx = data.index.numpy()
    for n in keep:
        inside = np.nonzero((idx >= starts[n]) & (idx < starts[n + 1]))[0]
        rows += inside.tolist()
        index += (idx[inside] - starts[n] + offset).tolist()
        offset += cells[n].n_atoms
    return ExafsSet([data.names[n] for n in keep], concatenate([cells[n] for n in keep]), torch.tensor(index), data.k,
                    data.chi[rows], data.sha256, data.seconds[rows])


def fit_surrogate(spec, *, cache=None, log=None) -> ExafsSurrogate:
    """Fit the surrogate on the spec's training absorbers (module docstring); float64, CPU,
    eval mode, with ``data_sha256`` and ``train_info`` set."""
    start = time.perf_counter()
    model = ExafsSurrogate(_model_config(spec)).double()
    fit, val = _split_validation(spec, cache)
    g, h, _ = normal_equations(model, fit)
    scores = {}
    for lam in LAMBDAS:
        _solve(model, g, h, lam)
        scores[lam] = accuracy(model, val)["per_absorber"]["r2"]
        if log:
            log(f"lambda {lam:g}: validation per-absorber R2 {scores[lam]:.4f}")
    best = max(scores, key=scores.get)
    data = read_exafs_set(spec, "train", cache=cache)
    g, h, _ = normal_equations(model, data)
    _solve(model, g, h, best)
    model.eval().requires_grad_(False)
    model.data_sha256 = {"train": data.sha256}
    model.train_info = {"lambda": best, "validation_r2": {f"{k:g}": v for k, v in scores.items()},
                        "validation_structures": val.names, "structures": data.names, "absorbers": int(data.index.numel()),
                        "seconds": round(time.perf_counter() - start, 1), "threads": torch.get_num_threads(),
                        "torch": str(torch.__version__), "parameters": int(model.coef.numel()),
                        "feff_seconds_per_absorber": float(np.mean(data.seconds))}
    return model


def _r2(pred: torch.Tensor, true: torch.Tensor) -> float:
    return float(1 - ((pred - true) ** 2).sum() / ((true - true.mean(0)) ** 2).sum())


def accuracy(model: ExafsSurrogate, data: ExafsSet, k_range=K_RANGE) -> dict:
    """Agreement of ``model`` with FEFF on ``data`` over ``k_range`` (Å⁻¹), on k^w χ(k):
    per-absorber R² (pooled: ȳ the mean over absorbers at each k; and each absorber's own R²),
    and the ensemble average (module docstring) over all absorbers and per structure."""
    cfg = model.config
    k = cfg.k_grid(dtype=torch.float64)
    inside = (k >= k_range[0] - 1e-9) & (k <= k_range[1] + 1e-9)
    kw = k[inside] ** cfg.k_weight
    with torch.no_grad():
        model = copy.deepcopy(model).double()  # the caller's model keeps its dtype
        chi, index = model.per_atom(data.structures)
        slot = {int(a): n for n, a in enumerate(index.tolist())}
        pred = chi[[slot[int(a)] for a in data.index.tolist()]][:, inside] * kw
        true = _targets(model, data)[:, inside] * kw
        own = 1 - ((pred - true) ** 2).sum(1) / ((true - true.mean(1, keepdim=True)) ** 2).sum(1)
        pm, tm = pred.mean(0), true.mean(0)
        r = float(((pm - tm) ** 2).sum() / (tm ** 2).sum())
        every = (chi[:, inside] * kw).mean(0)  # the observable itself: all Cu atoms, not only FEFF's sample
        r_all = float(((every - tm) ** 2).sum() / (tm ** 2).sum())
        system = data.structures.system_idx[data.index]
        per_structure = {}
        for s, name in enumerate(data.names):
            m = system == s
            ps, ts = pred[m].mean(0), true[m].mean(0)
            per_structure[name] = float(((ps - ts) ** 2).sum() / (ts ** 2).sum())
    return {"k_range": list(k_range), "absorbers": int(true.shape[0]), "structures": len(data.names),
            "per_absorber": {"r2": _r2(pred, true), "own_r2_median": float(own.median()),
                             "own_r2_p10": float(own.quantile(0.1)), "rmse": float(((pred - true) ** 2).mean().sqrt())},
            "ensemble": {"r_factor": r, "wright_r": r ** 0.5, "all_cu_r_factor": r_all, "all_cu": int(index.numel())},
            "per_structure_r_factor": per_structure}


# ---------------------------------------------------------------- the recipe
def _card(model: ExafsSurrogate, spec, held: dict, train: dict, ckpt: Path, out_data: Path) -> str:
    info, cfg, cards = model.train_info, model.config, spec.feff
    rows = "\n".join(f"| {n} | {v:.2e} |" for n, v in held["per_structure_r_factor"].items())
    return f"""# Cu K-edge EXAFS surrogate for Cu–Zr metallic glass

`checkpoint.pt` ({ckpt.stat().st_size / 1e6:.2f} MB, SHA-256 `{sha256_file(ckpt)}`):
`glasslib.spectra.exafs_surrogate.ExafsSurrogate`, {info['parameters']} kernel coefficients. It predicts each Cu
atom's χ(k) (k = {cfg.k_min}–{cfg.k_max} Å⁻¹, step {cfg.k_step}) from its periodic neighbours within {cfg.cutoff} Å
through learned single-scattering kernels (sin/cos(2kr) exact; amplitudes from {cfg.n_radial} radial ×
{cfg.n_kbasis} k Gaussians per neighbour element), and a structure's spectrum k^{cfg.k_weight}χ(k) as the mean over its Cu
atoms. The `exafs` spectrum kind loads it; conventions in docs/conventions.md ("EXAFS").

## Data (FEFF, `data/specs/exafs.yaml`)

* FEFF 6L (`feff6l` of xraylarch), one run per Cu absorber: cluster radius {cards.cluster_radius} Å with periodic
  images, HOLE 1 (S0² = {cards.s02}), RMAX {cards.rmax} Å, NLEG {cards.nleg}, paths tapered over the last
  {cards.path_taper} Å, σ² = {cards.sigma2} Å² (disorder from the MD snapshot), ΔE0 = {cards.e0} eV.
  FEFF time: {info['feff_seconds_per_absorber']:.2f} s per absorber (one thread, machine shared).
* structures: Mendelev Cu–Zr MD sets (data/specs/datasets.yaml). Training: {len(info['structures'])} structures,
  {info['absorbers']} absorbers ({', '.join(sorted({n.split('/')[0] for n in info['structures']}))}); held out:
  {held['structures']} structures, {held['absorbers']} absorbers ({', '.join(sorted({n.split('/')[0] for n in held['per_structure_r_factor']}))}, compositions never trained on).
* cached in `<cache>/exafs/{out_data.name}/` (`glasslib.core.paths.cache_dir`); SHA-256 over the result files: train `{model.data_sha256['train']}`,
  held-out `{model.data_sha256.get('heldout', '')}`.

## Fit

Weighted linear least squares on k^{cfg.k_weight}χ with a ridge term; λ = {info['lambda']:g} (× mean diagonal)
chosen on validation structures {', '.join(info['validation_structures'])} (validation R² per λ:
{', '.join(f"{k}: {v:.3f}" for k, v in info['validation_r2'].items())}), then refitted on all training structures.
Wall time {info['seconds']:.0f} s (features, six validation solves, final fit) on {info['threads']} CPU thread,
torch {info['torch']}. Rebuild: `{REBUILD}`.

## Held-out accuracy (k^{cfg.k_weight}χ(k), k = {held['k_range'][0]}–{held['k_range'][1]} Å⁻¹)

| | value |
|---|---|
| per-absorber R² (pooled, {held['absorbers']} absorbers) | {held['per_absorber']['r2']:.3f} |
| each absorber's own R²: median / 10th percentile | {held['per_absorber']['own_r2_median']:.3f} / {held['per_absorber']['own_r2_p10']:.3f} |
| per-absorber RMSE (Å⁻²) | {held['per_absorber']['rmse']:.4f} |
| ensemble average vs FEFF's average (same absorbers): R = Σ(Δ)²/Σ FEFF² | {held['ensemble']['r_factor']:.2e} |
| same, Wright's R_χ = √R | {held['ensemble']['wright_r']:.4f} |
| surrogate mean over all {held['ensemble']['all_cu']} Cu atoms vs FEFF's mean over its {held['absorbers']}-absorber sample: R (sampling) | {held['ensemble']['all_cu_r_factor']:.4f} |
| training absorbers: per-absorber R², ensemble R | {train['per_absorber']['r2']:.3f}, {train['ensemble']['r_factor']:.2e} |

The "all Cu atoms" row compares the observable itself (every Cu atom) with FEFF's mean over the sampled
absorbers only: its R measures how far a {held['absorbers'] // max(held['structures'], 1)}-absorber sample per structure is from the
whole structure's mean (absorber-to-absorber scatter of χ is large), not a surrogate error.

| held-out structure | R of its absorbers' mean |
|---|---|
{rows}

FEFF's own systematics, measured once (2026-12-05) on 16 absorbers of CuZr-heldout/00001 against these cards:
a cluster radius of 8 Å instead of 7 Å changes their mean k²χ by R = 4e-6 (converged); NLEG 3 instead of 2
(triangle multiple-scattering paths, 2.1 s instead of 1.0 s per absorber) changes it by R = 0.097. The
reference, and so the surrogate, is single scattering: against measured spectra that difference is part of
the model error.

Limits: FEFF single scattering (NLEG 2) only, so the kernels are pair terms; no Debye–Waller term beyond the
snapshot's own disorder; k is measured from FEFF's edge energy (a measured χ(k) needs its E0 aligned, and
S0² = {cards.s02} is assumed); trained on Cu–Zr only (other elements are refused).
"""


def train_main(args) -> int:
    spec = load_exafs_spec(args.spec)
    model = fit_surrogate(spec, log=lambda m: print(m, flush=True))
    held_data = read_exafs_set(spec, "heldout")
    model.data_sha256["heldout"] = held_data.sha256
    held, train = accuracy(model, held_data), accuracy(model, read_exafs_set(spec, "train"))
    model.train_info = {**model.train_info, "heldout": held, "train_accuracy": train}
    out = Path(args.out)
    ckpt = model.save(out / "checkpoint.pt")
    config = {"model": model.config.to_dict(), "spec": spec.to_dict(), "spec_file": repo_relative(args.spec or default_spec_path()),
              "lambda": model.train_info["lambda"], "data_sha256": model.data_sha256, "rebuild": REBUILD}
    atomic_write_text(out / "config.json", json.dumps(config, indent=2) + "\n")
    atomic_write_text(out / "model_card.md", _card(model, spec, held, train, ckpt, exafs_dir(spec)))
    print(json.dumps({"seconds": model.train_info["seconds"], "heldout": {k: held[k] for k in ("per_absorber", "ensemble")}}))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m glasslib.spectra.exafs", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="FEFF reference chi(k) of the declared set (cached, resumable)")
    b.add_argument("--spec", type=Path, default=None, help="EXAFS specification (default data/specs/exafs.yaml)")
    b.add_argument("--role", choices=("train", "heldout", "all"), default="all")
    b.add_argument("--max-structures", type=int, default=None, help="only the first structures of each source set")
    t = sub.add_parser("train", help="fit the surrogate, check it on the held-out set, write checkpoint and card")
    t.add_argument("--spec", type=Path, default=None)
    t.add_argument("--out", type=Path, required=True)
    for q in (b, t):
        q.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    try:
        if args.command == "build":
            roles = ("train", "heldout") if args.role == "all" else (args.role,)
            s = build(load_exafs_spec(args.spec), roles=roles, max_structures=args.max_structures,
                      log=lambda m: print(m, flush=True))
            print(json.dumps({"out": str(s.out_dir), "computed": s.computed, "skipped": s.skipped,
                              "feff_seconds_mean": float(np.mean(s.seconds)) if s.seconds else None,
                              "missing_sets": s.missing_sets}))
            return 0
        return train_main(args)
    except InputError as exc:
        print(f"glasslib.spectra.exafs: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
