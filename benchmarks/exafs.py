"""Benchmark: the EXAFS surrogate (forward and forward+backward) against one FEFF run.

Structures: jittered simple-cubic lattices (n³ atoms, n = 6 and 16 → N = 216 and 4096) at the
number density of Cu50Zr50 glass (0.0585 Å⁻³), Gaussian jitter of 0.15 lattice spacings, half
the sites Cu and half Zr at random, seeded (pair statistics near 2.5–6 Å resemble a dense metallic
glass closely enough for timing).

* surrogate: the shipped checkpoint (data/models/exafs_cuzr_surrogate), float32 and float64, k²χ(k)
  on the ``exafs`` kind's grid (k = 2–12 Å⁻¹, 0.05); forward, then forward + backward of a random
  projection w.r.t. positions. Best of ``--repeat`` after one warm-up.
* FEFF: one feff6l run of one Cu absorber of the 216-atom structure with the declared cards
  (data/specs/exafs.yaml: cluster 7 Å, RMAX 6 Å, NLEG 2) including larch's path sum, best of
  ``--repeat``. A structure spectrum from FEFF costs one such run per Cu atom.

All on ``--threads`` torch threads (FEFF is single-threaded). Prints a Markdown table and one JSON line.

Usage: OMP_NUM_THREADS=1 python benchmarks/exafs.py [--sizes 216 4096] [--repeat 3] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

DENSITY = 0.0585  # atoms / Å³


def structure(n_atoms: int, seed: int = 0, dtype=torch.float64):
    from glasslib.core.structures import Structures

    n = round(n_atoms ** (1 / 3))
    if n ** 3 != n_atoms:
        raise SystemExit(f"size {n_atoms} is not a cube number")
    a = (1.0 / DENSITY) ** (1 / 3)
    g = torch.Generator().manual_seed(seed)
    idx = torch.stack(torch.meshgrid(*[torch.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3).double()
    pos = (idx + 0.15 * torch.randn(idx.shape, generator=g, dtype=torch.float64)) * a
    species = torch.where(torch.rand(n_atoms, generator=g) < 0.5, 29, 40).long()
    return Structures(pos.to(dtype), (torch.eye(3, dtype=torch.float64) * n * a)[None].to(dtype), species,
                      torch.zeros(n_atoms, dtype=torch.long), torch.ones(1, 3, dtype=torch.bool))


def best(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def surrogate_times(n_atoms: int, dtype, repeat: int) -> tuple[float, float]:
    from glasslib.spectra.kinds import KINDS

    kind = KINDS["exafs"]
    s = structure(n_atoms, dtype=dtype)
    grid = kind.default_grid(dtype=dtype)
    proj = torch.randn(grid.numel(), generator=torch.Generator().manual_seed(1), dtype=dtype)

    def forward():
        with torch.no_grad():
            kind.compute(s, grid)

    def backward():
        pos = s.positions.clone().requires_grad_(True)
        (kind.compute(s.with_positions(pos), grid)[0] @ proj).backward()

    return best(forward, repeat), best(backward, repeat)


def feff_time(repeat: int) -> tuple[float, int]:
    from glasslib.spectra.exafs_data import load_exafs_spec
    from glasslib.spectra.exafs_feff import cut_clusters, run_feff

    spec = load_exafs_spec()
    s = structure(216)
    atom = int(torch.nonzero(s.species == 29)[0])
    (cluster,) = cut_clusters(s, [atom], spec.feff.cluster_radius)
    result = {}

    def run():
        result["r"] = run_feff(cluster, spec.feff)

    return best(run, repeat), result["r"].n_paths


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[216, 4096])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    for n in args.sizes:
        for dtype in (torch.float32, torch.float64):
            f, b = surrogate_times(n, dtype, args.repeat)
            rows.append({"method": f"surrogate {str(dtype).split('.')[-1]}", "atoms": n, "forward_s": f, "forward_backward_s": b})
    t, n_paths = feff_time(args.repeat)
    rows.append({"method": f"FEFF 6L, one Cu absorber ({n_paths} paths)", "atoms": 216, "forward_s": t, "forward_backward_s": None})
    print("| method | atoms | forward (s) | forward + backward (s) |\n|---|---|---|---|")
    for r in rows:
        fb = "—" if r["forward_backward_s"] is None else f"{r['forward_backward_s']:.4f}"
        print(f"| {r['method']} | {r['atoms']} | {r['forward_s']:.4f} | {fb} |")
    print(json.dumps({"threads": args.threads, "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
