"""Melt-quench structures with LAMMPS (the low-fidelity training data).

One structure (:func:`simulate`) is one LAMMPS instance driven through its Python module:

1. start: random positions with a minimum distance, simple-cubic sites (species shuffled), or
   for rigid water randomly oriented molecules or proton-disordered ice Ih (all from a seeded
   numpy ``Generator``); a short minimisation removes close contacts;
2. melt at ``melt_temperature`` for ``melt_time``;
3. linear quench of the Nosé-Hoover target to ``final_temperature`` at ``quench_rate`` (K/ps);
4. anneal at ``final_temperature``, then optional extra stages (e.g. a pressure ramp);
5. optional conjugate-gradient minimisation (``fix box/relax`` in NPT); velocities are then
   zeroed, so the reported pressure is the static one.

NVT runs at the requested density; NPT runs start there and relax. Every random draw comes
from the task's ``seed`` (numpy ``SeedSequence`` -> start and the LAMMPS velocity seed), so the
same task gives the same positions (serial LAMMPS is deterministic). Systems without MD (the
ice Ih builder) and composite builders (paracrystalline a-Si) dispatch from :func:`simulate`.

Declared datasets, caching and resumable builds live in :mod:`glasslib.datasets`.
"""

from __future__ import annotations

import collections
import hashlib
import math
import os
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

import glasslib
from glasslib.errors import InputError
from glasslib.melt_quench import Protocol, canonical_json
from glasslib.systems import (
    AMU_PER_A3_TO_G_PER_CM3,
    System,
    composition_label,
    cubic_box_length,
    get_system,
    ideal_mixing_density,
    lattice_positions,
    parse_composition,
    random_positions,
    random_water,
    resolve_potential,
    sha256_file,
    species_counts,
)

#: bump when a change here alters the structures produced for the same task
SIMULATE_REVISION = 1
CODE_VERSION = f"glasslib-{glasslib.__version__}/simulate-{SIMULATE_REVISION}"

#: per-process counters: ``lammps_runs`` / ``ase_runs`` (finished simulations), ``lammps_seconds``
#: / ``ase_seconds`` (their wall time), ``md_steps`` and ``md_seconds`` (MD stages only, for benchmarks)
counters: collections.Counter = collections.Counter()

#: LAMMPS units -> (ps per time unit, eV per energy unit, GPa per pressure unit)
_UNITS = {"metal": (1.0, 1.0, 1e-4), "real": (1e-3, 0.0433641043, 1.01325e-4)}


# --------------------------------------------------------------------------------- tasks
@dataclass(frozen=True)
class StructureTask:
    """Everything that determines one structure.

    density: g/cm³ (the NVT density; the starting density in NPT).
    composition: atom fractions per LAMMPS type (None: the system's default).
    potential_file: a parameter file replacing the system's own (its SHA-256 is recorded).
    options: builder settings of systems that have them (``System.options``), as sorted
      (name, value) pairs, e.g. the grain count and radius of paracrystalline a-Si.
    """

    system: str
    n_atoms: int
    density: float
    protocol: Protocol
    seed: int
    composition: tuple[float, ...] | None = None
    index: int = 0
    potential_file: str | None = None
    options: tuple[tuple[str, float], ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.index:05d}_seed{self.seed}.extxyz"

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["protocol"] = self.protocol.to_dict()
        if not self.options:
            del d["options"]  # keeps the hashes of option-less tasks unchanged
        else:
            d["options"] = dict(self.options)
        return d


def make_task(
    system: str | System,
    *,
    n_atoms: int | None = None,
    density: float | None = None,
    composition=None,
    quench_rate: float | None = None,
    seed: int = 0,
    index: int = 0,
    protocol: Protocol | None = None,
    potential_file: str | os.PathLike | None = None,
    options: dict | None = None,
    **protocol_overrides,
) -> StructureTask:
    """A validated task with the system's defaults filled in.

    ``protocol_overrides`` are :class:`Protocol` fields (e.g. ``melt_time=2.0``);
    ``options`` are builder settings (``System.options``; defaults filled in).
    """
    sysm = get_system(system)
    defaults = dict(sysm.options)
    unknown = sorted(set(options or {}) - set(defaults))
    if unknown:
        known = ", ".join(defaults) or "none"
        raise InputError(f"unknown option(s) {', '.join(unknown)} for {sysm.name} (known: {known})")
    opts = {k: float(v) for k, v in {**defaults, **(options or {})}.items()}
    for k, v in opts.items():
        if not (v >= 0 and math.isfinite(v)):
            raise InputError(f"option {k} must be a non-negative number, got {v}")
    proto = protocol or sysm.protocol
    if quench_rate is not None:
        protocol_overrides["quench_rate"] = quench_rate
    if protocol_overrides:
        proto = Protocol.from_dict({**proto.to_dict(), **protocol_overrides})
    proto.validate()
    fractions = parse_composition(composition, sysm)
    n = sysm.n_atoms if n_atoms is None else int(n_atoms)
    species_counts(sysm, n, fractions)  # validates n_atoms
    resolve_potential(sysm, potential_file)  # a missing potential file fails here, not in LAMMPS
    if proto.start not in sysm.starts:
        if proto.start == "ice":
            raise InputError(f"start 'ice' applies to water systems, not {sysm.name}")
        raise InputError(f"start {proto.start!r} is not available for {sysm.name}; use {' or '.join(map(repr, sysm.starts))}")
    if proto.start == "ice":
        from glasslib.ice import supercell_for

        supercell_for(n)
    if proto.start == "rings" and n % 8:
        raise InputError(f"an S8-ring start needs a multiple of 8 atoms, got {n}")
    if sysm.kind == "ase-chgnet" and proto.ensemble != "nvt":
        raise InputError(f"{sysm.name} runs through ASE with NVT only; ensemble {proto.ensemble!r} is not available")
    if sysm.kind == "ice-builder":
        from glasslib.ice import supercell_for

        supercell_for(n)
    if density is None:
        density = ideal_mixing_density(sysm, fractions) if sysm.variable_composition else sysm.density
    density = float(density)
    if not (density > 0 and math.isfinite(density)):
        raise InputError(f"density must be a positive number of g/cm3, got {density}")
    if not (isinstance(seed, (int, np.integer)) and 0 <= int(seed) < 2**63):
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    return StructureTask(
        system=sysm.name,
        n_atoms=n,
        density=density,
        protocol=proto,
        seed=int(seed),
        composition=None if composition is None else tuple(round(f, 12) for f in fractions),
        index=int(index),
        potential_file=None if potential_file is None else os.fspath(Path(potential_file).resolve()),
        options=tuple(sorted(opts.items())),
    )


# ------------------------------------------------------------------------------ simulate
def potential_sha256(system: System, override: str | os.PathLike | None = None) -> str:
    """SHA-256 of the potential file, or of the built-in parameter set (rigid water, ice builder)."""
    path = resolve_potential(system, override)
    if path is not None:
        return sha256_file(path)
    if system.water_model is not None:
        return system.water_model.parameters_sha256()
    return hashlib.sha256(canonical_json({"system": system.name, "kind": system.kind}).encode()).hexdigest()


def initial_configuration(task: StructureTask, rng: np.random.Generator):
    """(types (n,) 1-based, positions (n, 3) Å, cell (3, 3) Å) for a task.

    Atomic systems: species shuffled over random or simple-cubic sites in a cube. Water:
    molecules O, H, H (types 1, 2, 2) at random positions and orientations in a cube, or
    proton-disordered ice Ih (orthorhombic cell scaled to the task's density).
    """
    sysm = get_system(task.system)
    fractions = parse_composition(task.composition, sysm)
    counts = species_counts(sysm, task.n_atoms, fractions)
    types = np.repeat(np.arange(1, len(counts) + 1), counts)
    masses = np.asarray(sysm.masses)[types - 1]
    start = task.protocol.start
    if start in ("rings", "chains"):
        from glasslib.sulfur import sulfur_start

        box = cubic_box_length(masses, task.density)
        return types, sulfur_start(task.n_atoms, box, rng, start), np.eye(3) * box
    if sysm.kind in ("atomic", "ase-chgnet"):
        if start == "ice":
            raise InputError(f"start 'ice' applies to water systems, not {sysm.name}")
        box = cubic_box_length(masses, task.density)
        make = random_positions if start == "random" else lattice_positions
        pos = make(task.n_atoms, box, sysm.min_distance, rng)
        return rng.permutation(types), pos, np.eye(3) * box
    n_mol = task.n_atoms // 3
    types = np.tile([1, 2, 2], n_mol)
    if start == "ice":
        from glasslib.ice import ice_ih, supercell_for

        ice_seed = int(rng.integers(0, 2**63 - 1))
        model = sysm.water_model
        kw = {} if model is None else dict(r_oh=model.r_oh, hoh=model.hoh)
        atoms = ice_ih(*supercell_for(task.n_atoms), seed=ice_seed, **kw)
        scale = (atoms.info["density_g_cm3"] / task.density) ** (1 / 3)
        atoms.set_cell(atoms.cell[:] * scale, scale_atoms=True)
        return types, atoms.positions, atoms.cell[:]
    if start == "lattice":
        raise InputError(f"start 'lattice' is not available for {sysm.name}; use 'random' or 'ice'")
    box = cubic_box_length(masses, task.density)
    model = sysm.water_model
    pos = random_water(n_mol, box, sysm.min_distance, rng, model.r_oh, model.hoh)
    return types, pos, np.eye(3) * box


def simulate(task: StructureTask, *, start=None, log: str | os.PathLike | None = None, screen: bool = False):
    """Run one melt-quench and return the final structure as ``ase.Atoms``.

    ``atoms.info`` holds the metadata (system, potential file and SHA-256, protocol, seed,
    final and mean temperature K, potential energy eV, pressure GPa, density g/cm³, versions).
    ``temperature_K`` is the instantaneous temperature at the end of the MD, ``*_mean_*`` the
    means over the last MD stage; ``pressure_GPa`` and the energy are those of the returned
    structure: static (velocities zeroed) after a minimisation, instantaneous otherwise.
    ``start``: an ``ase.Atoms`` (orthogonal cell; water as O, H, H molecules) to run the
    protocol from instead of the task's own start; the task's density and atom count are then
    not used.
    Raises :class:`InputError` for bad input (including "impossible density") and
    :class:`glasslib.lammps_env.LammpsError` when LAMMPS fails.
    """
    sysm = get_system(task.system)
    proto = task.protocol.validate()
    if sysm.kind == "ice-builder":
        return _build_ice(task, sysm)
    if sysm.kind == "paracrystalline":
        return _build_paracrystalline(task, sysm)
    if sysm.kind == "ase-chgnet":
        return _simulate_ase(task, sysm, start)
    from glasslib.lammps_env import lammps_version, open_lammps, run_commands

    pot_path = resolve_potential(sysm, task.potential_file)
    pot_sha = potential_sha256(sysm, task.potential_file)
    rng, (types, pos, cell) = _seeded_start(task, sysm, start)
    velocity_seed = int(rng.integers(1, 2**31 - 1))
    ps_per_unit, ev_per_energy, gpa_per_pressure = _UNITS[sysm.units]
    dt = proto.timestep * 1e-3 / ps_per_unit  # fs -> LAMMPS time units
    tdamp = proto.thermostat_damping / ps_per_unit
    pdamp = proto.barostat_damping / ps_per_unit
    p_unit = 1.0 / gpa_per_pressure  # GPa -> bar (metal) or atm (real)
    context = f"{sysm.name}, seed {task.seed}"

    t0 = time.perf_counter()
    lmp = open_lammps(log=log, screen=screen)
    try:
        with tempfile.TemporaryDirectory(prefix="glasslib-lammps-") as tmp:
            if sysm.kind == "rigid-water":
                _setup_rigid_water(lmp, sysm, types, pos, cell, Path(tmp), context)
            else:
                _setup_atomic(lmp, sysm, types, pos, cell, pot_path, context)
        cmds = [
            f"neighbor {sysm.neighbor_skin} bin",
            "neigh_modify every 1 delay 0 check yes",
            f"timestep {dt!r}",
            "thermo_style custom step temp pe press vol",
            "thermo 1000",
            # remove close contacts of the random start before giving velocities
            "min_style cg",
            "min_modify dmax 0.1",
            "minimize 0.0 1.0e-3 200 2000",
            f"velocity all create {proto.melt_temperature!r} {velocity_seed} mom yes rot yes dist gaussian",
        ]
        run_commands(lmp, "\n".join(cmds), context=context)
        stages = [(s, proto.steps(s)) for s in proto.stages()]
        last = max((k for k, (_, nsteps) in enumerate(stages) if nsteps > 0), default=None)
        t_mean = p_mean = math.nan
        for k, (stage, nsteps) in enumerate(stages):
            if nsteps == 0:
                continue
            fix = f"fix md all nvt temp {stage.t_start!r} {stage.t_stop!r} {tdamp!r}"
            if stage.ensemble == "npt":
                fix = (f"fix md all npt temp {stage.t_start!r} {stage.t_stop!r} {tdamp!r} "
                       f"iso {stage.p_start * p_unit!r} {stage.p_stop * p_unit!r} {pdamp!r}")
            cmds = [fix]
            if k == last:
                # running means of temperature and pressure over the last stage
                cmds.append("fix tavg all ave/time 1 1 1 c_thermo_temp c_thermo_press ave running")
            cmds += [f"run {nsteps}", "unfix md"]
            t_run = time.perf_counter()
            run_commands(lmp, "\n".join(cmds), context=f"{context}, {stage.name}")
            counters["md_seconds"] += time.perf_counter() - t_run
            counters["md_steps"] += nsteps
            if k == last:
                t_mean = float(lmp.extract_fix("tavg", 0, 1, 0))
                p_mean = float(lmp.extract_fix("tavg", 0, 1, 1))
                run_commands(lmp, "unfix tavg", context=context)
        t_final = float(lmp.get_thermo("temp"))
        cmds = []
        if proto.minimize:
            if proto.ensemble == "npt":
                cmds.append(f"fix relax all box/relax iso {proto.pressure * p_unit!r} vmax 0.001")
            cmds += ["min_modify dmax 0.1", "minimize 1.0e-10 1.0e-6 10000 100000"]
            if proto.ensemble == "npt":
                cmds.append("unfix relax")
            # zero velocities so the reported pressure is the static one of the minimised structure
            cmds.append("velocity all set 0.0 0.0 0.0")
        cmds.append("run 0")
        run_commands(lmp, "\n".join(cmds), context=f"{context}, final")
        atoms = _extract_atoms(lmp, sysm)
        pe = float(lmp.get_thermo("pe")) * ev_per_energy
        press = float(lmp.get_thermo("press"))
    finally:
        lmp.close()
    counters["lammps_runs"] += 1

    masses = np.asarray(sysm.masses)[atoms.arrays["type"] - 1]
    density = float(masses.sum() / atoms.get_volume() * AMU_PER_A3_TO_G_PER_CM3)
    fractions = parse_composition(task.composition, sysm)
    atoms.info.update(
        system=sysm.name,
        index=task.index,
        seed=task.seed,
        composition=composition_label(sysm, fractions),
        pair_style=sysm.potential.pair_style,
        potential=pot_path.name if pot_path is not None else sysm.water_model.name,
        potential_sha256=pot_sha,
        potential_citation=sysm.potential.citation,
        density_g_cm3=density,
        target_density_g_cm3=task.density,
        temperature_K=t_final,
        temperature_mean_K=t_mean,
        potential_energy_eV=pe,
        potential_energy_per_atom_eV=pe / len(atoms),
        pressure_GPa=press * gpa_per_pressure,
        pressure_mean_GPa=p_mean * gpa_per_pressure,
        pressure_native=press,
        pressure_native_unit="bar" if sysm.units == "metal" else "atm",
        minimized=bool(proto.minimize),
        n_md_steps=proto.n_md_steps,
        quench_rate_K_per_ps=proto.quench_rate,
        melt_temperature_K=proto.melt_temperature,
        final_temperature_K=proto.final_temperature,
        ensemble=proto.ensemble,
        protocol=canonical_json(proto.to_dict()),
        lammps_velocity_seed=velocity_seed,
        glasslib_version=glasslib.__version__,
        code_version=CODE_VERSION,
        lammps_version=lammps_version(),
    )
    atoms.info["start"] = "given structure" if start is not None else proto.start
    del atoms.arrays["type"]
    counters["lammps_seconds"] += time.perf_counter() - t0
    return atoms


def _seeded_start(task: StructureTask, sysm: System, start=None):
    """(the task's generator, (types, positions, cell)): the task's own start drawn from its seed,
    or the given ``start`` structure (the generator then only feeds the MD)."""
    rng = np.random.default_rng(np.random.SeedSequence(task.seed))
    if start is None:
        return rng, initial_configuration(task, rng)
    return rng, _start_from_atoms(start, sysm)


def _simulate_ase(task: StructureTask, sysm: System, start=None):
    """One structure through ASE MD with CHGNet (:mod:`glasslib.ase_md`); same metadata keys
    as the LAMMPS route, with ``engine`` naming the route and no LAMMPS fields."""
    import ase

    from glasslib.ase_md import CHGNET_MODEL, chgnet_calculator, run_protocol

    proto = task.protocol
    weights = resolve_potential(sysm, task.potential_file)
    rng, (types, pos, cell) = _seeded_start(task, sysm, start)
    atoms = ase.Atoms(symbols=[sysm.species[t - 1] for t in types], positions=pos, cell=cell, pbc=True)
    atoms.set_masses(np.asarray(sysm.masses)[types - 1])
    t0 = time.perf_counter()
    result = run_protocol(atoms, proto, rng, chgnet_calculator(), counters=counters)
    atoms.calc = None
    atoms.wrap()
    density = float(atoms.get_masses().sum() / atoms.get_volume() * AMU_PER_A3_TO_G_PER_CM3)
    fractions = parse_composition(task.composition, sysm)
    energy = result["potential_energy_eV"]
    import chgnet

    atoms.info.update(
        system=sysm.name, index=task.index, seed=task.seed, composition=composition_label(sysm, fractions),
        engine="ase+chgnet", pair_style="chgnet", potential=f"CHGNet {CHGNET_MODEL} ({weights.name})",
        potential_sha256=sha256_file(weights), potential_citation=sysm.potential.citation,
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


def _start_from_atoms(atoms, sysm: System):
    """(types, positions, cell) of a given starting structure (water: molecules O, H, H in order)."""
    if sysm.kind not in ("atomic", "rigid-water", "ase-chgnet"):
        raise InputError(f"a given start structure is not supported for {sysm.name}")
    cell = np.asarray(atoms.cell[:], dtype=float)
    if sysm.kind == "rigid-water":
        z = atoms.numbers
        if len(z) % 3 or not (np.all(z[0::3] == 8) and np.all(z[1::3] == 1) and np.all(z[2::3] == 1)):
            raise InputError("a water start structure must list molecules as O, H, H")
        if not np.allclose(cell, np.diag(np.diag(cell))):
            raise InputError("the start structure needs an orthogonal periodic cell")
        return np.tile([1, 2, 2], len(z) // 3), atoms.positions.copy(), cell
    if not np.allclose(cell, np.diag(np.diag(cell))) or np.any(np.diag(cell) <= 0):
        raise InputError("the start structure needs an orthogonal periodic cell")
    symbols = atoms.get_chemical_symbols()
    unknown = sorted(set(symbols) - set(sysm.species))
    if unknown:
        raise InputError(f"start structure has element(s) {', '.join(unknown)} not in {sysm.name}")
    types = np.array([sysm.species.index(el) + 1 for el in symbols])
    frac = atoms.get_scaled_positions(wrap=True) % 1.0
    return types, frac @ cell, cell


def _setup_atomic(lmp, sysm: System, types, pos, cell, pot_path: Path, context: str) -> None:
    from glasslib.lammps_env import run_commands

    lx, ly, lz = (float(v) for v in np.diag(cell))
    setup = [
        f"units {sysm.units}",
        "atom_style atomic",
        "atom_modify map array",
        "boundary p p p",
        f"region box block 0 {lx!r} 0 {ly!r} 0 {lz!r}",
        f"create_box {len(sysm.species)} box",
    ]
    run_commands(lmp, "\n".join(setup), context=context)
    n = len(types)
    created = lmp.create_atoms(n, list(range(1, n + 1)), types.tolist(), pos.ravel().tolist())
    if created != n:
        raise InputError(f"LAMMPS created {created} of {n} atoms ({context})")
    cmds = [f"mass {k + 1} {m!r}" for k, m in enumerate(sysm.masses)]
    cmds += [f"pair_style {sysm.potential.pair_style}", sysm.potential.pair_coeff(_quote(pot_path))]
    run_commands(lmp, "\n".join(cmds), context=context)


def _setup_rigid_water(lmp, sysm: System, types, pos, cell, tmp: Path, context: str) -> None:
    """Rigid four-site water: O, H, H molecules with bonds/angles held by SHAKE, LJ on O only,
    charges on H and on the massless site M (``lj/cut/tip4p/long`` + ``pppm/tip4p``)."""
    from glasslib.lammps_env import run_commands

    m = sysm.water_model
    data = tmp / "water.data"
    data.write_text(_water_data_file(sysm, pos, cell))
    cmds = [
        "units real",
        "atom_style full",
        "atom_modify map array",
        "boundary p p p",
        "bond_style zero",
        "angle_style zero",
        f"read_data {_quote(data)}",
        # otype htype btype atype qdist cutoff
        f"pair_style lj/cut/tip4p/long 1 2 1 1 {m.d_om!r} {m.lj_cutoff!r}",
        f"kspace_style pppm/tip4p {m.kspace_accuracy!r}",
        f"pair_coeff 1 1 {m.epsilon_oo!r} {m.sigma_oo!r}",
        "pair_coeff 1 2 0.0 0.0",
        "pair_coeff 2 2 0.0 0.0",
        "pair_modify tail yes",
        f"bond_coeff 1 {m.r_oh!r}",
        f"angle_coeff 1 {m.hoh!r}",
        "fix rigid_water all shake 1.0e-4 100 0 b 1 a 1",
    ]
    run_commands(lmp, "\n".join(cmds), context=context)


def _water_data_file(sysm: System, pos: np.ndarray, cell: np.ndarray) -> str:
    """LAMMPS data file (atom_style full) for molecules O, H, H in an orthogonal box."""
    m = sysm.water_model
    n_mol = len(pos) // 3
    if not np.allclose(cell, np.diag(np.diag(cell))):
        raise InputError("rigid water needs an orthogonal box")
    lx, ly, lz = (float(v) for v in np.diag(cell))
    out = ["LAMMPS data file: rigid water (glasslib)", "", f"{3 * n_mol} atoms", f"{2 * n_mol} bonds",
           f"{n_mol} angles", "2 atom types", "1 bond types", "1 angle types", "",
           f"0.0 {lx!r} xlo xhi", f"0.0 {ly!r} ylo yhi", f"0.0 {lz!r} zlo zhi", "", "Masses", "",
           f"1 {sysm.masses[0]!r}", f"2 {sysm.masses[1]!r}", "", "Atoms # full", ""]
    wrapped = pos - np.floor(pos / np.diag(cell)) * np.diag(cell)
    charges = (-2 * m.q_h, m.q_h, m.q_h)
    for k in range(3 * n_mol):
        t = 1 if k % 3 == 0 else 2
        x, y, z = (float(v) for v in wrapped[k])
        out.append(f"{k + 1} {k // 3 + 1} {t} {charges[k % 3]!r} {x!r} {y!r} {z!r}")
    out += ["", "Bonds", ""]
    for i in range(n_mol):
        out += [f"{2 * i + 1} 1 {3 * i + 1} {3 * i + 2}", f"{2 * i + 2} 1 {3 * i + 1} {3 * i + 3}"]
    out += ["", "Angles", ""]
    out += [f"{i + 1} 1 {3 * i + 2} {3 * i + 1} {3 * i + 3}" for i in range(n_mol)]
    return "\n".join(out) + "\n"


def _build_ice(task: StructureTask, sysm: System):
    """The ice-Ih "system": proton-disordered ice from :func:`glasslib.ice.ice_ih` (no MD)."""
    from glasslib.ice import ice_ih, supercell_for

    atoms = ice_ih(*supercell_for(task.n_atoms), seed=task.seed)
    scale = (atoms.info["density_g_cm3"] / task.density) ** (1 / 3)
    atoms.set_cell(atoms.cell[:] * scale, scale_atoms=True)
    atoms.info.update(
        system=sysm.name,
        index=task.index,
        seed=task.seed,
        potential="none",
        potential_sha256=potential_sha256(sysm),
        density_g_cm3=atoms.info["density_g_cm3"] / scale**3,
        target_density_g_cm3=task.density,
        glasslib_version=glasslib.__version__,
        code_version=CODE_VERSION,
    )
    return atoms


def _build_paracrystalline(task: StructureTask, sysm: System):
    """Paracrystalline a-Si (:func:`glasslib.paracrystalline.paracrystalline_si`): the task's
    protocol makes the matrix with the system's potential; ``options`` set the grains."""
    from glasslib.paracrystalline import paracrystalline_si

    opts = dict(task.options)
    matrix_system = sysm.matrix_system
    atoms = paracrystalline_si(
        n_atoms=task.n_atoms, density=task.density, seed=task.seed, system=matrix_system,
        n_grains=int(opts["n_grains"]), radius=opts["grain_radius"], relax_temperature=opts["relax_temperature"],
        relax_time=opts["relax_time"], matrix_protocol=task.protocol, potential_file=task.potential_file,
    )
    atoms.info.update(system=sysm.name, matrix_system=matrix_system, index=task.index, seed=task.seed,
                      target_density_g_cm3=task.density, code_version=CODE_VERSION,
                      protocol=canonical_json(task.protocol.to_dict()), options=canonical_json(opts))
    return atoms


def _quote(path: Path) -> str:
    s = os.fspath(path)
    return f'"{s}"' if any(c.isspace() for c in s) else s


def _extract_atoms(lmp, sysm: System):
    """Current LAMMPS state -> ``ase.Atoms`` in id order. Atoms are wrapped into the cell;
    water molecules are kept whole (each H at its minimum image next to its O)."""
    import ase

    nlocal = int(lmp.extract_setting("nlocal"))
    ids = np.array(lmp.numpy.extract_atom("id")[:nlocal])
    order = np.argsort(ids)
    x = np.array(lmp.numpy.extract_atom("x")[:nlocal])[order]
    types = np.array(lmp.numpy.extract_atom("type")[:nlocal])[order].astype(int)
    boxlo, boxhi, xy, yz, xz, _, _ = lmp.extract_box()
    lx, ly, lz = (boxhi[i] - boxlo[i] for i in range(3))
    cell = np.array([[lx, 0.0, 0.0], [xy, ly, 0.0], [xz, yz, lz]])
    atoms = ase.Atoms(symbols=[sysm.species[t - 1] for t in types], positions=x - np.asarray(boxlo), cell=cell, pbc=True)
    atoms.wrap()
    if sysm.kind == "rigid-water":
        pos = atoms.positions.reshape(-1, 3, 3)
        frac = np.linalg.solve(cell.T, (pos[:, 1:] - pos[:, :1]).reshape(-1, 3).T).T
        frac -= np.round(frac)
        pos[:, 1:] = pos[:, :1] + (frac @ cell).reshape(-1, 2, 3)
        atoms.positions = pos.reshape(-1, 3)
    atoms.arrays["type"] = types
    return atoms
