"""Melt-quench structures with LAMMPS: the engines of the atomic and rigid-water systems.

One structure is one LAMMPS instance driven through its Python module
(:mod:`glasslib.simulate.lammps_env` loads it):

1. start (:mod:`glasslib.simulate.starts`): random positions with a minimum distance,
   simple-cubic sites, or for rigid water randomly oriented molecules or proton-disordered
   ice Ih; a short minimisation removes close contacts;
2. melt at ``melt_temperature`` for ``melt_time``;
3. linear quench of the Nosé-Hoover target to ``final_temperature`` at ``quench_rate`` (K/ps);
4. anneal at ``final_temperature``, then optional extra stages (e.g. a pressure ramp);
5. optional conjugate-gradient minimisation (``fix box/relax`` in NPT); velocities are then
   zeroed, so the reported pressure is the static one.

NVT runs at the requested density; NPT runs start there and relax. Every random draw comes
from the task's ``seed`` (numpy ``SeedSequence`` -> start and the LAMMPS velocity seed), so the
same task gives the same positions (serial LAMMPS is deterministic).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import ase
import numpy as np

import glasslib
from glasslib.core.errors import InputError
from glasslib.core.units import mass_density
from glasslib.simulate.composition import composition_label, parse_composition
from glasslib.simulate.engine import CODE_VERSION, Engine, StructureTask, System, counters
from glasslib.simulate.ice import supercell_for
from glasslib.simulate.interactions import TIP4P_2005, RigidWaterModel
from glasslib.simulate.lammps_env import lammps_version, open_lammps, run_commands
from glasslib.simulate.protocols import canonical_json
from glasslib.simulate.starts import atoms_in_cube, given_atoms, given_water, water_in_cube

#: LAMMPS units -> (ps per time unit, eV per energy unit, GPa per pressure unit)
_UNITS = {"metal": (1.0, 1.0, 1e-4), "real": (1e-3, 0.0433641043, 1.01325e-4)}


class LammpsEngine(Engine):
    """The melt-quench every LAMMPS system shares; subclasses set the model up
    (:meth:`setup`), name its parameters (:meth:`potential_name`) and read the result
    (:meth:`extract`). ``units``: LAMMPS units; ``neighbor_skin`` (Å)."""

    label = "LAMMPS"
    units: str = "metal"
    neighbor_skin: float = 1.0

    def setup(self, lmp, system: System, types, pos, cell, pot_path: Path | None, context: str) -> None:
        raise NotImplementedError

    def potential_name(self, pot_path: Path | None) -> str:
        return pot_path.name

    def triclinic_commands(self) -> list[str]:
        """Commands that make the box triclinic (before shear stages)."""
        return ["change_box all triclinic"]

    def extract(self, lmp, system: System):
        """Current LAMMPS state -> ``ase.Atoms`` in id order (``arrays["type"]``), wrapped into the cell."""
        nlocal = int(lmp.extract_setting("nlocal"))
        ids = np.array(lmp.numpy.extract_atom("id")[:nlocal])
        order = np.argsort(ids)
        x = np.array(lmp.numpy.extract_atom("x")[:nlocal])[order]
        types = np.array(lmp.numpy.extract_atom("type")[:nlocal])[order].astype(int)
        boxlo, boxhi, xy, yz, xz, _, _ = lmp.extract_box()
        lx, ly, lz = (boxhi[i] - boxlo[i] for i in range(3))
        cell = np.array([[lx, 0.0, 0.0], [xy, ly, 0.0], [xz, yz, lz]])
        atoms = ase.Atoms(symbols=[system.species[t - 1] for t in types], positions=x - np.asarray(boxlo), cell=cell,
                          pbc=True)
        atoms.wrap()
        atoms.arrays["type"] = types
        return atoms

    def run(self, task: StructureTask, system: System, *, start=None, log: str | os.PathLike | None = None,
            screen: bool = False):
        """Run one melt-quench and return the final structure as ``ase.Atoms``.

        ``atoms.info`` holds the metadata (system, potential file and SHA-256, protocol, seed,
        final and mean temperature K, potential energy eV, pressure GPa, density g/cm³, versions).
        ``temperature_K`` is the instantaneous temperature at the end of the MD, ``*_mean_*`` the
        means over the last MD stage; ``pressure_GPa`` and the energy are those of the returned
        structure: static (velocities zeroed) after a minimisation, instantaneous otherwise.
        Raises :class:`glasslib.simulate.lammps_env.LammpsError` when LAMMPS fails.
        """
        proto = task.protocol
        pot_path = self.potential_file(system, task.potential_file)
        pot_sha = self.potential_sha256(system, task.potential_file)
        rng, (types, pos, cell) = self.seeded_start(task, system, start)
        velocity_seed = int(rng.integers(1, 2**31 - 1))
        ps_per_unit, ev_per_energy, gpa_per_pressure = _UNITS[self.units]
        dt = proto.timestep * 1e-3 / ps_per_unit  # fs -> LAMMPS time units
        tdamp = proto.thermostat_damping / ps_per_unit
        pdamp = proto.barostat_damping / ps_per_unit
        p_unit = 1.0 / gpa_per_pressure  # GPa -> bar (metal) or atm (real)
        context = f"{system.name}, seed {task.seed}"

        t0 = time.perf_counter()
        lmp = open_lammps(log=log, screen=screen)
        try:
            self.setup(lmp, system, types, pos, cell, pot_path, context)
            cmds = [
                f"neighbor {self.neighbor_skin} bin",
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
            shears = []
            if any(s.shear and n for s, n in stages):
                run_commands(lmp, "\n".join(self.triclinic_commands()), context=context)
            for k, (stage, nsteps) in enumerate(stages):
                if nsteps == 0:
                    continue
                fix = f"fix md all nvt temp {stage.t_start!r} {stage.t_stop!r} {tdamp!r}"
                if stage.ensemble == "npt":
                    fix = (f"fix md all npt temp {stage.t_start!r} {stage.t_stop!r} {tdamp!r} "
                           f"iso {stage.p_start * p_unit!r} {stage.p_stop * p_unit!r} {pdamp!r}")
                cmds = [fix]
                if stage.shear:
                    tilt, delta = _random_shear(lmp, stage.shear, rng)
                    shears.append(f"{tilt}{delta:+.3f}")
                    # affine shear of one tilt factor at a constant rate (the barostat keeps the diagonal)
                    cmds.append(f"fix shear all deform 1 {tilt} delta {delta!r} remap x")
                if k == last:
                    # running means of temperature and pressure over the last stage
                    cmds.append("fix tavg all ave/time 1 1 1 c_thermo_temp c_thermo_press ave running")
                cmds += [f"run {nsteps}", "unfix md"] + (["unfix shear"] if stage.shear else [])
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
            atoms = self.extract(lmp, system)
            pe = float(lmp.get_thermo("pe")) * ev_per_energy
            press = float(lmp.get_thermo("press"))
        finally:
            lmp.close()
        counters["lammps_runs"] += 1

        masses = np.asarray(system.masses)[atoms.arrays["type"] - 1]
        fractions = parse_composition(task.composition, system)
        atoms.info.update(
            system=system.name,
            index=task.index,
            seed=task.seed,
            composition=composition_label(system, fractions),
            pair_style=system.potential.pair_style,
            potential=self.potential_name(pot_path),
            potential_sha256=pot_sha,
            potential_citation=system.potential.citation,
            density_g_cm3=mass_density(masses, atoms.get_volume()),
            target_density_g_cm3=task.density,
            temperature_K=t_final,
            temperature_mean_K=t_mean,
            potential_energy_eV=pe,
            potential_energy_per_atom_eV=pe / len(atoms),
            pressure_GPa=press * gpa_per_pressure,
            pressure_mean_GPa=p_mean * gpa_per_pressure,
            pressure_native=press,
            pressure_native_unit="bar" if self.units == "metal" else "atm",
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
        if shears:
            atoms.info["shear_steps"] = ",".join(shears)
        del atoms.arrays["type"]
        counters["lammps_seconds"] += time.perf_counter() - t0
        return atoms


@dataclass(frozen=True)
class LammpsAtomic(LammpsEngine):
    """Atoms with a pair style reading the system's parameter file (``System.potential``)."""

    units: str = "metal"
    neighbor_skin: float = 1.0
    kind = "atomic"

    def start(self, task: StructureTask, system: System, rng: np.random.Generator):
        return atoms_in_cube(task, system, rng)

    def start_from_atoms(self, atoms, system: System):
        return given_atoms(atoms, system)

    def setup(self, lmp, system: System, types, pos, cell, pot_path: Path | None, context: str) -> None:
        lx, ly, lz = (float(v) for v in np.diag(cell))
        setup = [
            f"units {self.units}",
            "atom_style atomic",
            "atom_modify map array",
            "boundary p p p",
            f"region box block 0 {lx!r} 0 {ly!r} 0 {lz!r}",
            f"create_box {len(system.species)} box",
        ]
        run_commands(lmp, "\n".join(setup), context=context)
        n = len(types)
        created = lmp.create_atoms(n, list(range(1, n + 1)), types.tolist(), pos.ravel().tolist())
        if created != n:
            raise InputError(f"LAMMPS created {created} of {n} atoms ({context})")
        cmds = [f"mass {k + 1} {m!r}" for k, m in enumerate(system.masses)]
        cmds += [f"pair_style {system.potential.pair_style}", system.potential.pair_coeff(_quote(pot_path))]
        run_commands(lmp, "\n".join(cmds), context=context)

    def minimise(self, atoms, system: System, *, etol: float = 1e-12, ftol: float = 1e-8, max_iterations: int = 20000):
        """``atoms`` (orthogonal periodic cell) minimised at fixed cell with the system's potential:
        LAMMPS conjugate gradient to the energy tolerance ``etol`` (relative) or force tolerance
        ``ftol`` (eV/Å), at most ``max_iterations``. Returns the atoms as :meth:`extract` reads them,
        ``info["energy_eV"]`` the final potential energy. InputError for an element the system lacks."""
        self.require_elements(atoms, system)
        cell = np.asarray(atoms.cell.array)
        if np.abs(cell - np.diag(np.diag(cell))).max() > 1e-9:
            raise InputError(f"{system.name} minimisation needs an orthogonal cell")
        types, pos, cell = self.start_from_atoms(atoms, system)  # wrapped, as an MD start from a structure
        context = f"{system.name} minimisation"
        lmp = open_lammps()
        try:
            self.setup(lmp, system, types, pos, cell, self.potential_file(system), context)
            run_commands(lmp, f"min_style cg\nminimize {etol!r} {ftol!r} {max_iterations} {10 * max_iterations}",
                         context=context)
            out = self.extract(lmp, system)
            out.info["energy_eV"] = float(lmp.get_thermo("pe"))
            return out
        finally:
            lmp.close()


@dataclass(frozen=True)
class LammpsRigidWater(LammpsEngine):
    """Rigid four-site water (``model``): O, H, H molecules with bonds and angles held by SHAKE,
    LJ on O only, charges on H and on the massless site M (``lj/cut/tip4p/long`` + ``pppm/tip4p``)."""

    model: RigidWaterModel = TIP4P_2005
    units: str = "real"
    neighbor_skin: float = 2.0
    kind = "rigid-water"

    def check(self, system: System, n_atoms: int, protocol) -> None:
        if protocol.start == "ice":
            supercell_for(n_atoms)

    def potential_sha256(self, system: System, override=None) -> str:
        self.potential_file(system, override)  # refuses an override of the built-in parameters
        return self.model.parameters_sha256()

    def potential_name(self, pot_path: Path | None) -> str:
        return self.model.name

    def start(self, task: StructureTask, system: System, rng: np.random.Generator):
        return water_in_cube(task, system, self.model, rng)

    def start_from_atoms(self, atoms, system: System):
        return given_water(atoms)

    def triclinic_commands(self) -> list[str]:
        # PPPM must be defined again for a triclinic box
        return [*super().triclinic_commands(), f"kspace_style pppm/tip4p {self.model.kspace_accuracy!r}"]

    def setup(self, lmp, system: System, types, pos, cell, pot_path: Path | None, context: str) -> None:
        m = self.model
        with tempfile.TemporaryDirectory(prefix="glasslib-lammps-") as tmp:
            data = Path(tmp) / "water.data"
            data.write_text(_water_data_file(m, system.masses, pos, cell))
            cmds = [
                f"units {self.units}",
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

    def extract(self, lmp, system: System):
        """As :meth:`LammpsEngine.extract`, with each molecule kept whole (each H at its minimum
        image next to its O)."""
        atoms = super().extract(lmp, system)
        cell = atoms.cell[:]
        pos = atoms.positions.reshape(-1, 3, 3)
        frac = np.linalg.solve(cell.T, (pos[:, 1:] - pos[:, :1]).reshape(-1, 3).T).T
        frac -= np.round(frac)
        pos[:, 1:] = pos[:, :1] + (frac @ cell).reshape(-1, 2, 3)
        atoms.positions = pos.reshape(-1, 3)
        return atoms


def _water_data_file(m: RigidWaterModel, masses, pos: np.ndarray, cell: np.ndarray) -> str:
    """LAMMPS data file (atom_style full) for molecules O, H, H in an orthogonal box."""
    n_mol = len(pos) // 3
    if not np.allclose(cell, np.diag(np.diag(cell))):
        raise InputError("rigid water needs an orthogonal box")
    lx, ly, lz = (float(v) for v in np.diag(cell))
    out = ["LAMMPS data file: rigid water (glasslib)", "", f"{3 * n_mol} atoms", f"{2 * n_mol} bonds",
           f"{n_mol} angles", "2 atom types", "1 bond types", "1 angle types", "",
           f"0.0 {lx!r} xlo xhi", f"0.0 {ly!r} ylo yhi", f"0.0 {lz!r} zlo zhi", "", "Masses", "",
           f"1 {masses[0]!r}", f"2 {masses[1]!r}", "", "Atoms # full", ""]
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


#: the tilt factors a shear stage may change, with the box length each is a strain of
_TILTS = (("xy", 1), ("xz", 2), ("yz", 2))


def _random_shear(lmp, strain: float, rng: np.random.Generator) -> tuple[str, float]:
    """(tilt factor, change in Å) of one random shear step: a tilt factor and a sign drawn from
    ``rng``; the change is ``strain`` times the current box length along the shear gradient
    (y for xy, z for xz and yz)."""
    tilt, axis = _TILTS[int(rng.integers(len(_TILTS)))]
    sign = 1.0 if rng.random() < 0.5 else -1.0
    boxlo, boxhi = lmp.extract_box()[:2]
    return tilt, sign * strain * float(boxhi[axis] - boxlo[axis])


def _quote(path: Path) -> str:
    s = os.fspath(path)
    return f'"{s}"' if any(c.isspace() for c in s) else s


__all__ = ["LammpsEngine", "LammpsAtomic", "LammpsRigidWater"]
