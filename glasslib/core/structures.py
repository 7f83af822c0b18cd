"""One validated batch type for periodic atomic structures, and its file I/O.

A :class:`Structures` batch holds ``n_systems`` structures with their atoms concatenated
(no padding), in the layout of torch-sim's ``SimState``:

=============  =====================  ==========================================
field          shape                  meaning
=============  =====================  ==========================================
positions      (n_atoms, 3)           Cartesian coordinates, Å
cell           (n_systems, 3, 3)      lattice vectors as rows (ASE convention), Å
species        (n_atoms,)             atomic numbers (int64)
system_idx     (n_atoms,)             which structure an atom belongs to (int64,
                                      sorted, every structure non-empty)
pbc            (n_systems, 3)         periodic directions (bool)
=============  =====================  ==========================================

ASE is used only at the edges (:func:`from_ase`, :func:`to_ase`, :func:`read_structures`,
:func:`write_extxyz`); everything downstream works on tensors, and device/dtype follow
``positions``.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import ase
import ase.io
import numpy as np
import torch
from ase.data import atomic_numbers

from glasslib.core.errors import InputError
from glasslib.core.atomic_io import atomic_write_text
from glasslib.core.units import AMU_PER_A3_TO_G_PER_CM3, atomic_masses


@dataclass(frozen=True)
class Structures:
    """A batch of structures; see the module docstring for the fields.

    Construction validates shapes, finiteness and cells; use :meth:`replace` (or
    :meth:`with_positions`) to derive a new batch, which is validated again.
    """

    positions: torch.Tensor
    cell: torch.Tensor
    species: torch.Tensor
    system_idx: torch.Tensor
    pbc: torch.Tensor
    info: tuple[dict, ...] = field(default=(), compare=False)
    source: str | None = field(default=None, compare=False)

    def __post_init__(self):
        p, c, z, s, b = self.positions, self.cell, self.species, self.system_idx, self.pbc
        where = self.source
        if not (torch.is_tensor(p) and p.ndim == 2 and p.shape[1] == 3):
            raise InputError(f"positions must have shape (n_atoms, 3), got {tuple(getattr(p, 'shape', ()))}", where)
        if not p.is_floating_point():
            raise InputError("positions must be a floating-point tensor", where)
        n_atoms = p.shape[0]
        if n_atoms == 0:
            raise InputError("structure has no atoms", where)
        if not (torch.is_tensor(c) and c.ndim == 3 and c.shape[1:] == (3, 3)):
            raise InputError(f"cell must have shape (n_systems, 3, 3), got {tuple(getattr(c, 'shape', ()))}", where)
        n_sys = c.shape[0]
        if z.shape != (n_atoms,) or s.shape != (n_atoms,):
            raise InputError("species and system_idx must have shape (n_atoms,)", where)
        if z.dtype != torch.long or s.dtype != torch.long:
            raise InputError("species and system_idx must be int64 tensors", where)
        if b.shape != (n_sys, 3) or b.dtype != torch.bool:
            raise InputError("pbc must be a bool tensor of shape (n_systems, 3)", where)
        if not bool(torch.isfinite(p).all()):
            bad = int((~torch.isfinite(p)).any(dim=1).nonzero()[0, 0])
            raise InputError(f"non-finite (NaN or inf) coordinates, first at atom {bad}", where)
        if not bool(torch.isfinite(c).all()):
            raise InputError("non-finite cell", where)
        if bool((z < 1).any()) or bool((z > 118).any()):
            raise InputError("species must be atomic numbers between 1 and 118", where)
        if bool((s[1:] < s[:-1]).any()):
            raise InputError("system_idx must be sorted (atoms of one structure contiguous)", where)
        counts = torch.bincount(s, minlength=n_sys) if n_atoms else torch.zeros(n_sys, dtype=torch.long)
        if int(s.min()) < 0 or int(s.max()) >= n_sys or bool((counts[:n_sys] == 0).any()):
            raise InputError("system_idx must cover 0..n_systems-1 with every structure non-empty", where)
        periodic = b.any(dim=1)
        if bool(periodic.any()):
            det = torch.linalg.det(c[periodic].detach().double())
            lengths = torch.linalg.norm(c[periodic].detach().double(), dim=-1)
            scale = lengths.prod(dim=-1).clamp_min(1e-300)
            if bool((det.abs() / scale < 1e-8).any()):
                raise InputError("singular cell (lattice vectors are linearly dependent or zero)", where)
            if bool((det < 0).any()):
                raise InputError("left-handed cell (negative determinant); reorder the lattice vectors", where)
        if bool((b.any(dim=1) & ~b.all(dim=1)).any()):
            raise InputError("mixed periodicity (periodic along some axes only) is not supported", where)
        if self.info and len(self.info) != n_sys:
            raise InputError("info must have one dict per structure", where)

    # ----------------------------------------------------------------- properties
    @property
    def n_atoms(self) -> int:
        return self.positions.shape[0]

    @property
    def n_systems(self) -> int:
        return self.cell.shape[0]

    @property
    def device(self) -> torch.device:
        return self.positions.device

    @property
    def dtype(self) -> torch.dtype:
        return self.positions.dtype

    @property
    def periodic(self) -> torch.Tensor:
        """(n_systems,) bool: fully periodic structures."""
        return self.pbc.all(dim=1)

    @property
    def n_atoms_per_system(self) -> torch.Tensor:
        """(n_systems,) int64."""
        return torch.bincount(self.system_idx, minlength=self.n_systems)

    @property
    def volumes(self) -> torch.Tensor:
        """(n_systems,) cell volumes, Å³ (differentiable w.r.t. the cell)."""
        return torch.linalg.det(self.cell).abs()

    @property
    def number_density(self) -> torch.Tensor:
        """(n_systems,) atoms per Å³."""
        return self.n_atoms_per_system.to(self.dtype) / self.volumes

    @property
    def mass_density(self) -> torch.Tensor:
        """(n_systems,) g/cm³ from standard atomic masses."""
        masses = torch.as_tensor(atomic_masses(), dtype=self.dtype, device=self.device)[self.species]
        total = torch.zeros(self.n_systems, dtype=self.dtype, device=self.device).index_add_(0, self.system_idx, masses)
        return total / self.volumes * AMU_PER_A3_TO_G_PER_CM3

    @property
    def elements(self) -> list[int]:
        """Sorted unique atomic numbers in the batch."""
        return sorted(int(z) for z in torch.unique(self.species).tolist())

    def require_periodic(self, what: str = "this operator") -> None:
        """Raise a clear error if any structure is not fully periodic."""
        if not bool(self.periodic.all()):
            k = int((~self.periodic).nonzero()[0, 0])
            raise InputError(
                f"structure {k} is not periodic; {what} needs a periodic cell (use cluster mode for finite clusters)",
                self.source,
            )

    # --------------------------------------------------------------- derivations
    def replace(self, **changes) -> "Structures":
        return replace(self, **changes)

    def as_clusters(self) -> "Structures":
        """The same atoms as finite clusters: ``pbc`` all False, so no operator uses periodic images.

        Positions are taken as stored (not unwrapped: a cluster split by wrapping into its cell
        stays split); the cell is kept but unused. This is "cluster mode" (docs/conventions.md).
        """
        if not bool(self.pbc.any()):
            return self
        return replace(self, pbc=torch.zeros_like(self.pbc))

    def with_positions(self, positions: torch.Tensor) -> "Structures":
        return replace(self, positions=positions)

    def to(self, device=None, dtype=None) -> "Structures":
        """Move to ``device`` and/or cast floats to ``dtype``."""
        fdt = dtype or self.dtype
        return replace(
            self,
            positions=self.positions.to(device=device, dtype=fdt),
            cell=self.cell.to(device=device, dtype=fdt),
            species=self.species.to(device=device),
            system_idx=self.system_idx.to(device=device),
            pbc=self.pbc.to(device=device),
        )

    def split(self) -> list["Structures"]:
        """One :class:`Structures` per system."""
        out = []
        bounds = torch.cumsum(self.n_atoms_per_system, 0).tolist()
        start = 0
        for k, stop in enumerate(bounds):
            sl = slice(start, stop)
            out.append(
                Structures(
                    positions=self.positions[sl],
                    cell=self.cell[k : k + 1],
                    species=self.species[sl],
                    system_idx=torch.zeros(stop - start, dtype=torch.long, device=self.device),
                    pbc=self.pbc[k : k + 1],
                    info=(self.info[k],) if self.info else (),
                    source=self.source,
                )
            )
            start = stop
        return out

    def __getitem__(self, k: int) -> "Structures":
        return self.split()[k]

    def __len__(self) -> int:
        return self.n_systems


def concatenate(batches: Sequence[Structures]) -> Structures:
    """Join batches into one (systems keep their order)."""
    if not batches:
        raise InputError("no structures to concatenate")
    offsets = np.cumsum([0] + [b.n_systems for b in batches[:-1]])
    infos: tuple[dict, ...] = ()
    if all(b.info for b in batches):
        infos = tuple(i for b in batches for i in b.info)
    sources = {b.source for b in batches}
    return Structures(
        positions=torch.cat([b.positions for b in batches]),
        cell=torch.cat([b.cell for b in batches]),
        species=torch.cat([b.species for b in batches]),
        system_idx=torch.cat([b.system_idx + int(o) for b, o in zip(batches, offsets)]),
        pbc=torch.cat([b.pbc for b in batches]),
        info=infos,
        source=sources.pop() if len(sources) == 1 else None,
    )


# ------------------------------------------------------------------------ ASE edge
def from_ase(atoms_list, *, dtype=torch.float64, device=None, source: str | None = None) -> Structures:
    """Build a batch from one ``ase.Atoms`` or a list of them.

    Positions are taken as they are (not wrapped); ``atoms.info`` is kept per structure.
    """
    if isinstance(atoms_list, ase.Atoms):
        atoms_list = [atoms_list]
    atoms_list = list(atoms_list)
    if not atoms_list:
        raise InputError("no structures found", source)
    pos, cell, z, sidx, pbc, info = [], [], [], [], [], []
    for k, a in enumerate(atoms_list):
        if len(a) == 0:
            raise InputError(f"structure {k} has no atoms", source)
        pos.append(np.asarray(a.get_positions(), dtype=np.float64))
        c = np.asarray(a.get_cell().array, dtype=np.float64)
        p = np.asarray(a.get_pbc(), dtype=bool)
        if p.any() and np.allclose(c, 0.0):
            raise InputError(f"structure {k} is periodic but has no cell", source)
        cell.append(c)
        z.append(np.asarray(a.get_atomic_numbers(), dtype=np.int64))
        sidx.append(np.full(len(a), k, dtype=np.int64))
        pbc.append(p)
        info.append(dict(a.info))
    return Structures(
        positions=torch.as_tensor(np.concatenate(pos), dtype=dtype, device=device),
        cell=torch.as_tensor(np.stack(cell), dtype=dtype, device=device),
        species=torch.as_tensor(np.concatenate(z), device=device),
        system_idx=torch.as_tensor(np.concatenate(sidx), device=device),
        pbc=torch.as_tensor(np.stack(pbc), device=device),
        info=tuple(info),
        source=source,
    )


def to_ase(structures: Structures) -> list:
    """One ``ase.Atoms`` per structure (positions as stored, info copied)."""
    out = []
    for k, s in enumerate(structures.split()):
        a = ase.Atoms(
            numbers=s.species.cpu().numpy(),
            positions=s.positions.detach().cpu().double().numpy(),
            cell=s.cell[0].detach().cpu().double().numpy(),
            pbc=s.pbc[0].cpu().numpy(),
        )
        if structures.info:
            a.info.update(structures.info[k])
        out.append(a)
    return out


def _parse_species_map(species_map: Mapping[int, str | int] | None) -> dict[int, int] | None:
    if species_map is None:
        return None

    out = {}
    for t, sym in species_map.items():
        if isinstance(sym, str):
            if sym not in atomic_numbers:
                raise InputError(f"unknown element {sym!r} in species map")
            out[int(t)] = atomic_numbers[sym]
        else:
            out[int(t)] = int(sym)
    return out


def read_structures(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    format: str | None = None,
    index: str | int = ":",
    species_map: Mapping[int, str | int] | None = None,
    dtype=torch.float64,
    device=None,
) -> Structures:
    """Read every frame of every file into one batch.

    Anything ``ase.io.read`` reads works (extxyz, POSCAR/VASP, CIF, LAMMPS data, ...).
    LAMMPS data files need ``species_map`` (LAMMPS atom type -> element symbol or Z),
    e.g. ``{1: "O", 2: "Si"}``; the format is then ``lammps-data`` unless given.

    Raises :class:`InputError` naming the file for a missing file, an unknown format,
    an unreadable file or invalid contents (docs/errors.md), including an atom more than
    :data:`MAX_CELLS_OUTSIDE` cell lengths outside its periodic cell (positions within that are
    taken as they are: unwrapped coordinates of an MD run are fine).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("no structure files given")
    zmap = _parse_species_map(species_map)
    batches = []
    for path in paths:
        if not path.exists():
            raise InputError("no such file", path)
        if path.is_dir():
            raise InputError("is a directory, expected a structure file", path)
        if path.stat().st_size == 0:
            raise InputError("empty file (no structures)", path)
        fmt = format
        if fmt is None and _looks_like_lammps_data(path):
            fmt = "lammps-data"
        if fmt in ("xyz", "extxyz") or (fmt is None and path.suffix.lower() in (".xyz", ".extxyz")):
            _check_xyz_frames(path)
        kwargs = {}
        if fmt == "lammps-data":
            if zmap is None:
                raise InputError("LAMMPS data files need a species map (atom type -> element)", path)
            kwargs["Z_of_type"] = zmap
            kwargs["atom_style"] = _lammps_atom_style(path)
        try:
            frames = ase.io.read(path, index=index, format=fmt, **kwargs)
        except ase.io.formats.UnknownFileTypeError as exc:
            raise InputError(f"unknown structure format ({exc})", path) from None
        except StopIteration:
            raise InputError("file holds no structures", path) from None
        except UnicodeDecodeError:
            raise InputError("not a text structure file (binary, or not UTF-8); give --format for a binary format",
                             path) from None
        except KeyError as exc:  # ASE's readers look element symbols and LAMMPS types up in tables
            key = exc.args[0] if exc.args else "?"
            if fmt == "lammps-data":
                raise InputError(f"LAMMPS atom type {key} is not in the species map {species_map}", path) from None
            raise InputError(f"unknown element symbol or atom type {key!r}", path) from None
        except Exception as exc:  # ASE readers raise many types; keep the first line
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"could not read structure ({type(exc).__name__}: {msg})", path) from None
        if not isinstance(frames, list):
            frames = [frames]
        if not frames:
            raise InputError("file holds no structures", path)
        batch = from_ase(frames, dtype=dtype, device=device, source=str(path))
        _refuse_far_atoms(batch)
        batches.append(batch)
    out = concatenate(batches)
    return out if len(paths) > 1 else out.replace(source=str(paths[0]))


#: an atom more than this many cell lengths outside its cell is refused when read (read_structures)
MAX_CELLS_OUTSIDE = 100.0


def _refuse_far_atoms(structures: Structures) -> None:
    """One-line error naming the file, structure and atom when a periodic structure holds an atom
    more than :data:`MAX_CELLS_OUTSIDE` cell lengths outside its cell: such coordinates are a unit
    error or a corrupt file, and wrapping them (in float32 above all) loses the positions' precision."""
    atoms = structures.periodic[structures.system_idx].nonzero().squeeze(1)  # periodic cells are not singular
    if atoms.numel() == 0:
        return
    cell = structures.cell.detach().double()[structures.system_idx[atoms]]
    frac = torch.linalg.solve(cell.transpose(-1, -2), structures.positions.detach().double()[atoms].unsqueeze(-1))
    out = (frac.squeeze(-1) - frac.squeeze(-1).clamp(0.0, 1.0)).abs().amax(dim=1)
    if bool((out > MAX_CELLS_OUTSIDE).any()):
        j = int(torch.argmax(out))
        i, k = int(atoms[j]), int(structures.system_idx[atoms[j]])
        first = int((structures.system_idx == k).nonzero()[0, 0])
        raise InputError(f"structure {k}: atom {i - first} lies {float(out[j]):.3g} cell lengths outside the cell "
                         f"(more than {MAX_CELLS_OUTSIDE:g}: a unit error or a corrupt file?); wrap the coordinates "
                         "into the cell first", structures.source)


def _check_xyz_frames(path: Path) -> None:
    """One-line error when an (ext)xyz frame declares more atoms than the lines that follow it
    (a truncated file, or a corrupt count: ASE would read on, line by line, for every declared atom)."""
    remaining, header, declared = 0, 0, 0
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if remaining:  # the comment line and the atom lines of the current frame
                remaining -= 1
                continue
            if not line.strip():
                break
            try:
                declared, header = int(line), number
            except ValueError:
                return  # not a count line: ASE's reader names the problem
            if declared < 0:
                raise InputError(f"line {number}: a frame cannot declare {declared} atoms", path)
            remaining = declared + 1
    if remaining:
        raise InputError(f"line {header}: the frame declares {declared} atoms but only {max(declared - remaining, 0)} "
                         "lines follow (a truncated or corrupt file)", path)


def _looks_like_lammps_data(path: Path) -> bool:
    """A LAMMPS data file declares ``N atoms`` and ``M atom types`` in its header."""
    try:
        with open(path, "r", errors="replace") as fh:
            head = [next(fh, "") for _ in range(40)]
    except OSError:
        return False
    text = "".join(head)
    return bool(re.search(r"^\s*\d+\s+atoms\s*$", text, re.M) and re.search(r"^\s*\d+\s+atom types\s*$", text, re.M))


def _lammps_atom_style(path: Path) -> str:
    """Guess a LAMMPS data file's atom style from its ``Atoms # style`` comment (default atomic)."""
    with open(path, "r", errors="replace") as fh:
        for line in fh:
            if line.strip().startswith("Atoms"):
                if "#" in line:
                    return line.split("#", 1)[1].strip() or "atomic"
                return "atomic"
    return "atomic"


def write_extxyz(structures: Structures, path: str | os.PathLike, *, info: Sequence[Mapping] | None = None) -> Path:
    """Write all structures as frames of one extxyz file, atomically (temporary file + rename).

    ``info`` (one mapping per structure) is merged into each frame's comment line.
    """
    frames = to_ase(structures)
    if info is not None:
        if len(info) != len(frames):
            raise InputError("info must have one mapping per structure", path)
        for a, extra in zip(frames, info):
            a.info.update(dict(extra))
    buf = io.StringIO()
    ase.io.write(buf, frames, format="extxyz")
    return atomic_write_text(path, buf.getvalue())
