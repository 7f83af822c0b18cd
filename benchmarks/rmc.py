"""Benchmark: RMC moves per second against N, for a g(r) fit and a joint g(r) + S(Q) fit.

Structures: random starts (closest approach 2.0 Å) of N = 216 and 4096 Si atoms at the a-Si
density 2.33 g/cm³ (cubic boxes of 16.3 and 43.4 Å). Targets: g(r) and X-ray S(Q) of the
216-atom a-Si reference structure (data/a-Si/glass-epsr_Si_2.5_00.xyz), r bins of 0.02 Å up
to r_max = 8 Å (about half the small box) for every N, S(Q) on 300 points from 0.5 to 15 Å⁻¹;
σ = 0.05 for both; fixed step 0.3 Å. Each case runs in a fresh subprocess on one core (numba
and torch limited to one thread, glasslib's kernel is serial anyway): the numba compile
(or cache load) and 20 000 warm-up moves are excluded, then ``--moves`` moves are timed.

With r_max fixed, the work of a move is proportional to the atoms within the cell-list
stencil around the moved atom, not to N; the 216-atom box is smaller than that stencil, so it
scans all 216 atoms and the ratio 4096/216 of the cost per move shows the stencil's overhead.

Usage: python benchmarks/rmc.py [--sizes 216 4096] [--moves 200000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

from glasslib import rmc
from glasslib.core.paths import data_path
from glasslib.core.structures import read_structures
from glasslib.spectra.rdf import pair_distribution
from glasslib.spectra.scattering import structure_factor_from_gr

DENSITY = 2.33  # g/cm³
R_MAX = 8.0  # Å


def measure(n_atoms: int, kind: str, moves: int) -> dict:
    torch.set_num_threads(1)
    ref = read_structures(data_path("a-Si/glass-epsr_Si_2.5_00.xyz"))
    dr = 0.02
    r = torch.arange(dr / 2, R_MAX, dr, dtype=torch.float64)
    pd = pair_distribution(ref, r, sigma=0.0)
    targets = [rmc.Target("gr", tuple(r.tolist()), tuple(pd.g[0].tolist()), sigma=0.05)]
    if kind == "gr+sq":
        q = torch.linspace(0.5, 15.0, 300, dtype=torch.float64)
        s = structure_factor_from_gr(pd, q, radiation="xray").s[0]
        targets.append(rmc.Target("sq-xray", tuple(q.tolist()), tuple(s.tolist()), sigma=0.05))
    t0 = time.perf_counter()
    start = rmc.random_start("Si", n_atoms, DENSITY, min_distance=2.0, seed=0)
    t_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    run = rmc.RMC(start, targets, rmc.RMCConfig(r_max=R_MAX, dr=dr, step=0.3, seed=1))
    t_setup = time.perf_counter() - t0
    run.run(n_moves=20_000)  # compile / cache load and warm-up
    t0 = time.perf_counter()
    run.run(n_moves=moves)
    dt = time.perf_counter() - t0
    assert np.array_equal(run.hist, run.histogram_from_scratch())
    return {"n_atoms": n_atoms, "kind": kind, "moves_per_s": moves / dt, "us_per_move": 1e6 * dt / moves,
            "acceptance": run.accepted / run.moves, "random_start_s": t_start, "setup_s": t_setup,
            "cell_list": f"{'x'.join(map(str, run.nc))} cells, stencil {2 * run.span + 1}^3" if run.span else "all atoms"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[216, 4096])
    parser.add_argument("--moves", type=int, default=200_000)
    parser.add_argument("--worker", nargs=2, metavar=("N", "KIND"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(int(args.worker[0]), args.worker[1], args.moves)))
        return
    env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    rows = []
    for kind in ("gr", "gr+sq"):
        for n in args.sizes:
            out = subprocess.run([sys.executable, __file__, "--worker", str(n), kind, "--moves", str(args.moves)],
                                 capture_output=True, text=True, env=env)
            if out.returncode:
                sys.exit(f"benchmark worker failed (N={n}, {kind}):\n{out.stderr}")
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"RMC moves per second, one core, a-Si at {DENSITY} g/cm3, r_max = {R_MAX} A, dr = 0.02 A, "
          f"{args.moves} timed moves after 20000 warm-up moves")
    print(f"{'fit':<8}{'N':>7}{'moves/s':>12}{'us/move':>10}{'accept':>9}  neighbour search")
    for r in rows:
        print(f"{r['kind']:<8}{r['n_atoms']:>7}{r['moves_per_s']:>12.0f}{r['us_per_move']:>10.2f}"
              f"{r['acceptance']:>9.3f}  {r['cell_list']}")
    for kind in ("gr", "gr+sq"):
        by_n = {r["n_atoms"]: r for r in rows if r["kind"] == kind}
        if 216 in by_n:
            for n in sorted(by_n):
                if n != 216:
                    ratio = by_n[n]["us_per_move"] / by_n[216]["us_per_move"]
                    print(f"cost per move {kind}: {n}/216 = {ratio:.2f}")
    print("goal: >= 2e4 moves/s on 216 atoms for g(r) (a patched fullrmc 4.1 did ~1.9e3 here)")


if __name__ == "__main__":
    main()
