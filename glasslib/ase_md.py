"""Melt-quench with ASE molecular dynamics and the CHGNet universal potential.

For the systems no LAMMPS potential covers (liquid sulfur, Zr–Ni–Al), the same
:class:`~glasslib.melt_quench.Protocol` runs through ASE with CHGNet (Deng et al., Nat. Mach.
Intell. 5, 1031 (2023)), whose pretrained weights ship inside its PyPI wheel:

1. start from the task's configuration; a short FIRE relaxation (≤ ``PRE_RELAX_STEPS`` steps,
   stopping at ``PRE_RELAX_FMAX`` eV/Å) removes close contacts, as the LAMMPS route does;
2. Maxwell–Boltzmann velocities at the melt temperature (centre-of-mass motion removed);
3. every MD stage with a Langevin thermostat (friction 1/``thermostat_damping``), its target
   temperature ramped linearly over the stage (updated every ``RAMP_EVERY`` steps);
4. optional FIRE minimisation (``MIN_FMAX`` eV/Å, at most ``MIN_STEPS`` steps), then velocities
   zeroed, so the reported pressure is the static one.

Only NVT is offered (no barostat here). Fidelity: CHGNet is a universal potential fitted to
PBE relaxations of crystals (Materials Project), not to liquids; it has no dispersion
correction, so liquid sulfur at 1.8–2.0 g/cm³ sits at a positive pressure of about 1 GPa, and
its S₈ rings open within picoseconds even at 450 K. These sets are low-fidelity training data,
as the GLASS workflow intends, and are labelled with the potential and its weights' SHA-256.

Every random draw (velocities, Langevin noise) comes from the task's seed. CPU runs are
deterministic for a fixed torch thread count.
"""

from __future__ import annotations

import functools
import math
import time
from pathlib import Path

import numpy as np

from glasslib.errors import InputError

#: CHGNet weights used (``CHGNet.load(model_name=...)``)
CHGNET_MODEL = "0.3.0"
PRE_RELAX_STEPS, PRE_RELAX_FMAX = 200, 1.0
MIN_STEPS, MIN_FMAX = 500, 0.05
RAMP_EVERY = 10


def chgnet_weights_file(model_name: str = CHGNET_MODEL) -> Path:
    """Path of the CHGNet weights file inside the installed wheel; InputError if chgnet is missing."""
    try:
        import chgnet
    except ImportError as exc:  # pragma: no cover - chgnet is a project dependency
        raise InputError(f"the CHGNet systems need the chgnet package (pip install chgnet): {exc}") from None
    folder = Path(chgnet.__file__).parent / "pretrained" / model_name
    files = sorted(folder.glob("*.pth.tar"))
    if len(files) != 1:
        raise InputError(f"CHGNet weights {model_name!r} not found in {folder}")
    return files[0]


@functools.lru_cache(maxsize=4)
def _chgnet_model(model_name: str, device: str):
    import contextlib
    import io

    from chgnet.model import CHGNet

    with contextlib.redirect_stdout(io.StringIO()):  # CHGNet prints its size even with verbose=False
        return CHGNet.load(model_name=model_name, use_device=device, verbose=False)


def chgnet_calculator(device: str = "cpu", model_name: str = CHGNET_MODEL):
    """An ASE calculator for CHGNet (the model is loaded once per process and device)."""
    import contextlib
    import io
    import warnings

    from chgnet.model.dynamics import CHGNetCalculator

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return CHGNetCalculator(model=_chgnet_model(model_name, device), use_device=device)


def _quiet_fire(atoms, fmax: float, steps: int) -> int:
    from ase.optimize import FIRE

    opt = FIRE(atoms, logfile=None)
    opt.run(fmax=fmax, steps=steps)
    return int(opt.nsteps)


def run_protocol(atoms, protocol, rng: np.random.Generator, calculator, counters=None) -> dict:
    """Run ``protocol`` on ``atoms`` (modified in place) with ``calculator``; returns metadata.

    Returns ``temperature_K`` (instantaneous, end of the MD), ``temperature_mean_K`` and
    ``pressure_mean_GPa`` (means over the last stage, sampled every ``RAMP_EVERY`` steps),
    ``potential_energy_eV`` and ``pressure_GPa`` of the returned structure, ``minimize_steps``.
    """
    import warnings

    from ase import units
    from ase.md.langevin import Langevin
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary

    if protocol.ensemble != "nvt" or any(s.ensemble != "nvt" for s in protocol.extra_stages):
        raise InputError("the ASE/CHGNet route runs NVT only; ensemble 'npt' is not available for this system")
    atoms.calc = calculator
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _quiet_fire(atoms, PRE_RELAX_FMAX, PRE_RELAX_STEPS)
        MaxwellBoltzmannDistribution(atoms, temperature_K=protocol.melt_temperature, rng=rng)
        Stationary(atoms)
        dt = protocol.timestep * units.fs
        friction = 1.0 / (protocol.thermostat_damping * 1000.0 * units.fs)
        md = Langevin(atoms, timestep=dt, temperature_K=protocol.melt_temperature, friction=friction, rng=rng)
        stages = [(s, protocol.steps(s)) for s in protocol.stages()]
        last = max((k for k, (_, n) in enumerate(stages) if n > 0), default=None)
        t_samples, p_samples = [], []
        for k, (stage, n_steps) in enumerate(stages):
            t_run = time.perf_counter()
            done = 0
            while done < n_steps:
                block = min(RAMP_EVERY, n_steps - done)
                frac = (done + 0.5 * block) / n_steps
                md.set_temperature(temperature_K=stage.t_start + (stage.t_stop - stage.t_start) * frac)
                md.run(block)
                done += block
                if k == last:
                    t_samples.append(atoms.get_temperature())
                    p_samples.append(-float(np.trace(atoms.get_stress(voigt=False))) / 3.0 / units.GPa)
            if counters is not None and n_steps:
                counters["md_seconds"] += time.perf_counter() - t_run
                counters["md_steps"] += n_steps
        t_final = float(atoms.get_temperature())
        n_min = 0
        if protocol.minimize:
            n_min = _quiet_fire(atoms, MIN_FMAX, MIN_STEPS)
            atoms.set_momenta(np.zeros((len(atoms), 3)))
        energy = float(atoms.get_potential_energy())
        pressure = -float(np.trace(atoms.get_stress(voigt=False))) / 3.0 / units.GPa
    if not (math.isfinite(energy) and np.isfinite(atoms.positions).all()):
        raise InputError("the CHGNet run produced non-finite energies or positions")
    return {
        "temperature_K": t_final,
        "temperature_mean_K": float(np.mean(t_samples)) if t_samples else math.nan,
        "pressure_mean_GPa": float(np.mean(p_samples)) if p_samples else math.nan,
        "potential_energy_eV": energy,
        "pressure_GPa": pressure,
        "minimize_steps": n_min,
    }


__all__ = ["CHGNET_MODEL", "chgnet_weights_file", "chgnet_calculator", "run_protocol"]
