"""Benchmark: wall time of one melt-quench structure per system, at the default size.

For every system in ``glasslib.simulate.systems.SYSTEMS``, one structure at the system's default size,
density and composition is simulated with the default protocol time-scaled by ``--fraction``
(melt and anneal times multiplied by it, quench rate divided by it, so the number of MD steps
scales by the fraction), single process: serial LAMMPS, or ASE with CHGNet on one torch thread
for the systems without a LAMMPS potential (liquid sulfur, Zr-Ni-Al). The table gives the measured wall time
and the full default protocol's step count, with the wall time per structure extrapolated
from the measured time per MD step (setup, start relaxation and final minimisation are measured
once and added as they are).
``--full`` runs the complete default protocol instead (measured, not extrapolated; about
10-15 minutes for all systems on one core of the development machine).

Usage: python benchmarks/simulate.py [--quick | --fraction F | --full] [--systems a-Si-SW ...]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from dataclasses import replace

import torch

from glasslib.simulate.engine import counters
from glasslib.simulate.lammps_env import lammps_version
from glasslib.simulate.systems import SYSTEMS
from glasslib.simulate.tasks import make_task, simulate


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="1 %% of the protocol (seconds per system)")
    g.add_argument("--fraction", type=float, default=0.1, help="fraction of the protocol to run (default 0.1)")
    g.add_argument("--full", action="store_true", help="run the complete default protocol")
    p.add_argument("--systems", nargs="*", default=None, help="subset of systems (default: all)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # CHGNet systems: one thread, like serial LAMMPS
    frac = 1.0 if args.full else (0.01 if args.quick else args.fraction)
    if not 0 < frac <= 1:
        p.error("--fraction must be in (0, 1]")
    names = args.systems or list(SYSTEMS)
    print(f"# glass simulate benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}, LAMMPS {lammps_version()} (serial), torch threads 1, "
          f"protocol fraction {frac:g}")
    header = (f"{'system':20s} {'engine':>10s} {'atoms':>6s} {'dt fs':>6s} {'rate K/ps':>9s} {'protocol steps':>14s} "
              f"{'run steps':>9s} {'run s':>8s} {'ms/step':>8s} {'s/structure':>12s}")
    print(header)
    print("-" * len(header))
    for name in names:
        system = SYSTEMS[name]
        proto = system.protocol
        full_steps = proto.n_md_steps
        scaled = dict(melt_time=proto.melt_time * frac, anneal_time=proto.anneal_time * frac,
                      quench_rate=proto.quench_rate / frac,
                      extra_stages=tuple(replace(st, time=st.time * frac) for st in proto.extra_stages))
        task = make_task(name, seed=args.seed, **scaled)
        md0, steps0 = counters["md_seconds"], counters["md_steps"]
        t0 = time.perf_counter()
        atoms = simulate(task)
        wall = time.perf_counter() - t0
        md, steps = counters["md_seconds"] - md0, counters["md_steps"] - steps0
        # MD steps outside the scaled protocol (e.g. the paracrystalline relaxation) are not scaled
        unscaled = steps - task.protocol.n_md_steps
        full_steps += unscaled
        per_structure = (wall - md) + (md / steps * full_steps if steps else 0.0)
        tag = " (no MD)" if not steps else ("" if frac == 1 else " (extrapolated)")
        engine = system.engine.label
        print(f"{name:20s} {engine:>10s} {len(atoms):6d} {proto.timestep:6g} {proto.quench_rate:9g} {full_steps:14d} "
              f"{steps:9d} {wall:8.1f} {1e3 * md / max(steps, 1):8.3f} {per_structure:12.1f}{tag}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
