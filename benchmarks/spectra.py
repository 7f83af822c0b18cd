"""Benchmark: g(r) and S(Q) (forward and forward+backward) against DebyeCalculator.

Structures: jittered simple-cubic lattices (n³ atoms, n = 6, 10, 16, 32 → N = 216, 1000,
4096, 32768) at the number density of a-Si (0.0499 Å⁻³, 2.33 g/cm³), Gaussian jitter of
0.15 lattice spacings, seeded. Pair statistics at r > 3 Å match a dense amorphous solid
closely enough for timing.

Each measurement runs in a fresh subprocess (so the peak resident memory it reports is its
own), all in this one run, side by side; times are the best of ``--repeat`` calls after one
warm-up call (which also sizes the neighbour-list buffers glasslib reuses between calls):

* glasslib g(r): r = 0.01–10 Å, dr = 0.01 Å, σ = 0.02 Å, forward + backward of a random
  projection of g(r) w.r.t. positions.
* glasslib S(Q): X-ray, Q = 1–20 Å⁻¹ step 0.05, periodic Debye sum (histogram method) with
  Lorch window, cutoff = min(--cutoff (default 10 Å, the package default), half the box):
  forward only, then forward + backward. vesin's neighbour search runs on the same number of
  threads as torch (``--threads``).
* DebyeCalculator 1.1.1 (device='cpu', float32, its default 'grid' pair sum, biso = qdamp = 0)
  on the same atoms and Q grid; it treats the box as a finite cluster (every pair, no images).
  Forward S(Q), then forward + backward of S(Q) w.r.t. positions.

Usage: python benchmarks/spectra.py [--sizes 216 1000 4096 32768] [--repeat 3]
       [--debye-max-n 4096] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

DENSITY = 0.0499  # atoms / Å³, a-Si at 2.33 g/cm³


def lattice(n_atoms: int, seed: int = 0):
    import torch

    n = round(n_atoms ** (1 / 3))
    if n**3 != n_atoms:
        raise SystemExit(f"size {n_atoms} is not a cube number")
    a = (1.0 / DENSITY) ** (1 / 3)
    g = torch.Generator().manual_seed(seed)
    idx = torch.stack(torch.meshgrid(*[torch.arange(n)] * 3, indexing="ij"), -1).reshape(-1, 3).double()
    pos = (idx + 0.15 * torch.randn(idx.shape, generator=g, dtype=torch.float64)) * a
    cell = torch.eye(3, dtype=torch.float64) * (n * a)
    return pos, cell


def _timeit(fn, repeat: int) -> float:
    fn()  # warm-up
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def measure(task: str, n_atoms: int, repeat: int, threads: int, sq_cutoff: float) -> dict:
    import torch

    torch.set_num_threads(threads)
    pos, cell = lattice(n_atoms)
    q = torch.arange(1.0, 20.0 + 1e-9, 0.05, dtype=torch.float64)
    half_box = 0.5 * float(cell[0, 0])
    if task.startswith("glass"):
        from glasslib.core.structures import Structures

        def structures(p):
            return Structures(
                positions=p, cell=cell[None], species=torch.full((n_atoms,), 14, dtype=torch.long),
                system_idx=torch.zeros(n_atoms, dtype=torch.long), pbc=torch.ones(1, 3, dtype=torch.bool),
            )

    if task == "glass-gr":
        from glasslib.spectra.rdf import pair_distribution

        r = torch.arange(0.01, 10.0 + 1e-9, 0.01, dtype=torch.float64)
        proj = torch.randn(r.shape[0], generator=torch.Generator().manual_seed(1), dtype=torch.float64)

        def run():
            p = pos.clone().requires_grad_(True)
            g = pair_distribution(structures(p), r, sigma=0.02).g
            (g[0] * proj).sum().backward()

    elif task in ("glass-sq", "glass-sq-grad"):
        from glasslib.spectra.scattering import structure_factor

        cutoff = min(sq_cutoff, half_box)
        grad = task.endswith("grad")

        def run():
            p = pos.clone().requires_grad_(grad)
            s = structure_factor(structures(p), q, radiation="xray", cutoff=cutoff, window="lorch").s
            if grad:
                s.sum().backward()

    elif task in ("debye-sq", "debye-sq-grad"):
        import warnings

        warnings.filterwarnings("ignore")
        from debyecalculator import DebyeCalculator

        calc = DebyeCalculator(qmin=1.0, qmax=20.0, qstep=0.05, biso=0.0, qdamp=0.0, device="cpu",
                               num_threads=threads)
        grad = task.endswith("grad")
        elements = ["Si"] * n_atoms

        def run():
            p = pos.float().clone().requires_grad_(grad)
            s = calc.sq((elements, p), keep_on_device=True).s
            if grad:
                s.sum().backward()

    else:
        raise SystemExit(f"unknown task {task}")
    seconds = _timeit(run, repeat)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"task": task, "n": n_atoms, "seconds": seconds, "peak_mb": peak_mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[216, 1000, 4096, 32768])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--debye-max-n", type=int, default=4096,
                        help="skip DebyeCalculator above this size (its cost is O(N²))")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cutoff", type=float, default=10.0, help="real-space cutoff of the Debye sum, Å")
    parser.add_argument("--one", nargs=2, metavar=("TASK", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.repeat, args.threads, args.cutoff)))
        return

    tasks = ["glass-gr", "glass-sq", "glass-sq-grad", "debye-sq", "debye-sq-grad"]
    results: dict[tuple[str, int], dict] = {}
    failures = 0
    for n in args.sizes:
        for task in tasks:
            if task.startswith("debye") and n > args.debye_max_n:
                continue
            cmd = [sys.executable, __file__, "--one", task, str(n), "--repeat", str(args.repeat),
                   "--threads", str(args.threads), "--cutoff", str(args.cutoff)]
            out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
            if out.returncode != 0:
                print(f"{task} N={n} failed:\n{out.stderr[-2000:]}", file=sys.stderr)
                failures += 1
                continue
            results[(task, n)] = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"  done {task:14s} N={n:6d}  {results[(task, n)]['seconds']:.4f} s", file=sys.stderr)

    def cell(task, n, key="seconds", fmt="{:.4f}"):
        r = results.get((task, n))
        return fmt.format(r[key]) if r else "-"

    def ratio(a, b, n):
        ra, rb = results.get((a, n)), results.get((b, n))
        return f"{rb['seconds'] / ra['seconds']:.1f}x" if ra and rb else "-"

    print(f"\nthreads: {args.threads}; best of {args.repeat}; S(Q) cutoff {args.cutoff} Å (or half the box); "
          "peak = max RSS of the measuring process (MB)\n")
    head = ("N", "g(r)+bwd s", "peak MB", "S(Q) fwd s", "S(Q)+bwd s", "peak MB",
            "DC fwd s", "DC+bwd s", "DC peak MB", "fwd ratio", "bwd ratio")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for n in args.sizes:
        row = (str(n), cell("glass-gr", n), cell("glass-gr", n, "peak_mb", "{:.0f}"),
               cell("glass-sq", n), cell("glass-sq-grad", n), cell("glass-sq-grad", n, "peak_mb", "{:.0f}"),
               cell("debye-sq", n), cell("debye-sq-grad", n), cell("debye-sq-grad", n, "peak_mb", "{:.0f}"),
               ratio("glass-sq", "debye-sq", n), ratio("glass-sq-grad", "debye-sq-grad", n))
        print("| " + " | ".join(row) + " |")
    ns = [n for n in args.sizes if ("glass-gr", n) in results]
    if len(ns) >= 2:
        a, b = ns[-2], ns[-1]
        slope = math.log(results[("glass-gr", b)]["seconds"] / results[("glass-gr", a)]["seconds"]) / math.log(b / a)
        print(f"\ng(r)+backward log-log slope between N={a} and N={b}: {slope:.2f}")
    print("ratio = DebyeCalculator time / glasslib time (higher is better for glasslib)")
    if failures:
        raise SystemExit(f"{failures} measurement(s) failed")


if __name__ == "__main__":
    main()
