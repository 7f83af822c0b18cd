"""Melt-quench with ASE molecular dynamics and the CHGNet universal potential.

For the systems no LAMMPS potential covers (liquid sulfur, Zr–Ni–Al), the same
:class:`~glasslib.simulate.protocols.Protocol` runs through ASE with CHGNet (Deng et al., Nat. Mach.
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

import contextlib
import functools
import io
import math
import time
import warnings
from pathlib import Path

import ase
import numpy as np
from ase import units
from ase.md.langevin import Langevin
from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
from ase.optimize import FIRE

import glasslib
from glasslib.core.errors import InputError
from glasslib.core.units import mass_density
from glasslib.simulate.composition import composition_label, parse_composition
from glasslib.simulate.engine import CODE_VERSION, Engine, StructureTask, System, counters
from glasslib.core.atomic_io import sha256_file
from glasslib.simulate.protocols import canonical_json
from glasslib.simulate.starts import atoms_in_cube, given_atoms

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
    from chgnet.model import CHGNet

    with contextlib.redirect_stdout(io.StringIO()):  # CHGNet prints its size even with verbose=False
        return CHGNet.load(model_name=model_name, use_device=device, verbose=False)


def chgnet_calculator(device: str = "cpu", model_name: str = CHGNET_MODEL):
    """An ASE calculator for CHGNet (the model is loaded once per process and device)."""
    from chgnet.model.dynamics import CHGNetCalculator

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return CHGNetCalculator(model=_chgnet_model(model_name, device), use_device=device)


def _quiet_fire(atoms, fmax: float, steps: int) -> int:
    opt = FIRE(atoms, logfile=None)
    opt.run(fmax=fmax, steps=steps)
    return int(opt.nsteps)


def run_protocol(atoms, protocol, rng: np.random.Generator, calculator, counters=None) -> dict:
    """Run ``protocol`` on ``atoms`` (modified in place) with ``calculator``; returns metadata.

    Returns ``temperature_K`` (instantaneous, end of the MD), ``temperature_mean_K`` and
    ``pressure_mean_GPa`` (means over the last stage, sampled every ``RAMP_EVERY`` steps),
    ``potential_energy_eV`` and ``pressure_GPa`` of the returned structure, ``minimize_steps``.
    """
    if protocol.ensemble != "nvt" or any(s.ensemble != "nvt" for s in protocol.extra_stages):
        raise InputError("the ASE/CHGNet route runs NVT only; ensemble 'npt' is not available for this system")
    if any(s.shear for s in protocol.extra_stages):
        raise InputError("the ASE/CHGNet route cannot shear the cell; shear stages need a LAMMPS system")
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


class AseChgnet(Engine):
    """Melt-quench through ASE with the CHGNet universal potential (NVT only); the weights file
    inside the chgnet wheel is the potential file (its SHA-256 is recorded)."""

    kind = "ase-chgnet"
    label = "ASE+CHGNet"
    ensembles = ("nvt",)

    def check(self, system: System, n_atoms: int, protocol) -> None:
        if protocol.start == "rings" and n_atoms % 8:
            raise InputError(f"an S8-ring start needs a multiple of 8 atoms, got {n_atoms}")

    def potential_file(self, system: System, override=None) -> Path:
        if override is not None:
            raise InputError(f"{system.name} uses the CHGNet weights shipped with chgnet; --potential does not apply")
        return chgnet_weights_file()

    def start(self, task: StructureTask, system: System, rng: np.random.Generator):
        return atoms_in_cube(task, system, rng)

    def start_from_atoms(self, atoms, system: System):
        return given_atoms(atoms, system)

    def minimise(self, atoms, system: System, *, fmax: float = MIN_FMAX, max_steps: int = MIN_STEPS):
        """``atoms`` minimised at fixed cell with CHGNet, as the protocol's last stage does: FIRE
        until every force is below ``fmax`` eV/Å or ``max_steps`` steps. Returns a new wrapped
        ``ase.Atoms`` in the same order, ``info["energy_eV"]`` the final potential energy.
        InputError for an element the system lacks."""
        self.require_elements(atoms, system)
        out = ase.Atoms(symbols=atoms.get_chemical_symbols(), positions=atoms.get_positions(wrap=True),
                        cell=atoms.cell.array, pbc=True)
        out.calc = chgnet_calculator()
        _quiet_fire(out, fmax, max_steps)
        energy = float(out.get_potential_energy())
        out.calc = None
        out.wrap()
        out.info["energy_eV"] = energy
        return out

    def run(self, task: StructureTask, system: System, *, start=None, log=None, screen=False):
        """One structure through :func:`run_protocol`; the metadata keys of the LAMMPS route, with
        ``engine`` naming this route and no LAMMPS fields."""
        import chgnet

        proto = task.protocol
        weights = self.potential_file(system, task.potential_file)
        rng, (types, pos, cell) = self.seeded_start(task, system, start)
        atoms = ase.Atoms(symbols=[system.species[t - 1] for t in types], positions=pos, cell=cell, pbc=True)
        atoms.set_masses(np.asarray(system.masses)[types - 1])
        t0 = time.perf_counter()
        result = run_protocol(atoms, proto, rng, chgnet_calculator(), counters=counters)
        atoms.calc = None
        atoms.wrap()
        density = mass_density(atoms.get_masses(), atoms.get_volume())
        fractions = parse_composition(task.composition, system)
        energy = result["potential_energy_eV"]
        atoms.info.update(
            system=system.name, index=task.index, seed=task.seed, composition=composition_label(system, fractions),
            engine="ase+chgnet", pair_style="chgnet", potential=f"CHGNet {CHGNET_MODEL} ({weights.name})",
            potential_sha256=sha256_file(weights), potential_citation=system.potential.citation,
            density_g_cm3=density, target_density_g_cm3=task.density,
            temperature_K=result["temperature_K"], temperature_mean_K=result["temperature_mean_K"],
            potential_energy_eV=energy, potential_energy_per_atom_eV=energy / len(atoms),
            pressure_GPa=result["pressure_GPa"], pressure_mean_GPa=result["pressure_mean_GPa"],
            minimized=bool(proto.minimize), minimize_steps=result["minimize_steps"], n_md_steps=proto.n_md_steps,
            quench_rate_K_per_ps=proto.quench_rate, melt_temperature_K=proto.melt_temperature,
            final_temperature_K=proto.final_temperature, ensemble=proto.ensemble,
            protocol=canonical_json(proto.to_dict()), glasslib_version=glasslib.__version__,
            code_version=CODE_VERSION, chgnet_version=chgnet.__version__, ase_version=ase.__version__,
        )
        atoms.info["start"] = "given structure" if start is not None else proto.start
        counters["ase_runs"] += 1
        counters["ase_seconds"] += time.perf_counter() - t0
        return atoms


__all__ = ["CHGNET_MODEL", "chgnet_weights_file", "chgnet_calculator", "run_protocol", "AseChgnet"]
