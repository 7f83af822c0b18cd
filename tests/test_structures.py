"""Tests for glasslib.core.structures: the batch type, its validation and file I/O."""

from __future__ import annotations

from pathlib import Path

import ase
import ase.build
import ase.io
import numpy as np
import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.core.structures import concatenate, from_ase, read_structures, to_ase, write_extxyz

DATA = Path(__file__).resolve().parents[1] / "data"
DIAMOND_POSCAR = DATA / "a-C/hsu2024_dgp/poscar/misc/diamond.vasp"
SIO2_LAMMPS = DATA / "SiO2/dm2_bks_glass/sio2_3000_glass_1k_sample0.dat"
ASI_XYZ = DATA / "a-Si/glass-epsr_Si_2.5_00.xyz"

TRICLINIC = np.array([[5.0, 0.0, 0.0], [1.3, 4.6, 0.0], [-0.8, 1.1, 5.4]])


def _triclinic_atoms(seed: int = 0) -> ase.Atoms:
    rng = np.random.default_rng(seed)
    frac = rng.random((7, 3))
    return ase.Atoms("Si4O3", scaled_positions=frac, cell=TRICLINIC, pbc=True)


def _one_line_error(exc: pytest.ExceptionInfo, path) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    assert str(path) in msg
    return msg


# ----------------------------------------------------------------- batch and ASE
def test_from_ase_fields_and_triclinic_volume():
    a, b = _triclinic_atoms(0), ase.build.bulk("Si", "diamond", 5.431, cubic=True)
    s = from_ase([a, b])
    assert s.n_systems == 2 and s.n_atoms == 15
    assert s.positions.dtype == torch.float64 and s.species.dtype == torch.long
    assert s.system_idx.tolist() == [0] * 7 + [1] * 8
    assert s.n_atoms_per_system.tolist() == [7, 8]
    assert torch.allclose(s.volumes, torch.tensor([abs(np.linalg.det(TRICLINIC)), 5.431**3], dtype=torch.float64))
    assert torch.allclose(s.number_density, torch.tensor([7.0, 8.0], dtype=torch.float64) / s.volumes)
    # crystalline Si: 2.329 g/cm³
    assert abs(float(s.mass_density[1]) - 2.329) < 2e-3
    assert s.elements == [8, 14]


def test_split_concatenate_and_to_ase_round_trip():
    s = from_ase([_triclinic_atoms(0), _triclinic_atoms(1)])
    parts = s.split()
    again = concatenate(parts)
    for name in ("positions", "cell", "species", "system_idx", "pbc"):
        assert torch.equal(getattr(again, name), getattr(s, name))
    back = to_ase(s)
    assert np.allclose(back[1].get_positions(), _triclinic_atoms(1).get_positions())
    assert np.allclose(back[0].cell.array, TRICLINIC)
    assert s.to(dtype=torch.float32).positions.dtype == torch.float32


def test_extxyz_round_trip(tmp_path):
    s = from_ase([_triclinic_atoms(0), _triclinic_atoms(1)])
    path = write_extxyz(s, tmp_path / "two.extxyz", info=[{"tag": 1}, {"tag": 2}])
    r = read_structures(path)
    assert r.n_systems == 2
    assert torch.allclose(r.positions, s.positions, atol=1e-8)
    assert torch.allclose(r.cell, s.cell, atol=1e-8)
    assert torch.equal(r.species, s.species) and torch.equal(r.system_idx, s.system_idx)
    assert [i["tag"] for i in r.info] == [1, 2]
    assert r.source == str(path)


# ----------------------------------------------------------------------- readers
def test_read_poscar_diamond():
    s = read_structures(DIAMOND_POSCAR)
    assert s.n_atoms == 216 and s.elements == [6]
    assert bool(s.periodic.all())
    assert abs(float(s.mass_density[0]) - 3.51) < 0.02  # diamond, g/cm³


def test_read_cif(tmp_path):
    atoms = ase.build.bulk("NaCl", "rocksalt", 5.64)  # primitive fcc cell: triclinic
    path = tmp_path / "nacl.cif"
    ase.io.write(path, atoms)
    s = read_structures(path)
    assert sorted(s.species.tolist()) == [11, 17]
    assert abs(float(s.volumes[0]) - atoms.get_volume()) < 1e-6


def test_read_lammps_data_with_species_map():
    s = read_structures(SIO2_LAMMPS, species_map={1: "O", 2: "Si"})
    assert s.n_atoms == 3000
    assert int((s.species == 14).sum()) == 1000 and int((s.species == 8).sum()) == 2000
    assert abs(float(s.mass_density[0]) - 2.2) < 0.1  # vitreous silica


def test_lammps_data_needs_species_map():
    with pytest.raises(InputError) as exc:
        read_structures(SIO2_LAMMPS, format="lammps-data")
    _one_line_error(exc, SIO2_LAMMPS)


def test_read_several_files_into_one_batch():
    s = read_structures([ASI_XYZ, DIAMOND_POSCAR])
    assert s.n_systems == 2 and s.n_atoms_per_system.tolist() == [216, 216]


# --------------------------------------------------------------------- bad input
def _write_xyz(path, lattice: str, rows: str) -> Path:
    n = len(rows.strip().splitlines())
    path.write_text(f'{n}\nLattice="{lattice}" Properties=species:S:1:pos:R:3 pbc="T T T"\n{rows}')
    return path


def test_missing_file(tmp_path):
    path = tmp_path / "nothere.xyz"
    with pytest.raises(InputError) as exc:
        read_structures(path)
    assert "no such file" in _one_line_error(exc, path)


def test_unknown_format(tmp_path):
    path = tmp_path / "junk.foo"
    path.write_text("this is not\na structure file 1 2 3\n")
    with pytest.raises(InputError) as exc:
        read_structures(path)
    assert "format" in _one_line_error(exc, path)


def test_singular_cell(tmp_path):
    path = _write_xyz(tmp_path / "singular.xyz", "5 0 0 5 0 0 0 0 5", "Si 0 0 0\nSi 1 1 1\n")
    with pytest.raises(InputError) as exc:
        read_structures(path)
    assert "singular" in _one_line_error(exc, path)


def test_left_handed_cell(tmp_path):
    path = _write_xyz(tmp_path / "left.xyz", "0 5 0 5 0 0 0 0 5", "Si 0 0 0\nSi 1 1 1\n")
    with pytest.raises(InputError) as exc:
        read_structures(path)
    assert "left-handed" in _one_line_error(exc, path)


def test_nan_coordinates(tmp_path):
    path = _write_xyz(tmp_path / "nan.xyz", "5 0 0 0 5 0 0 0 5", "Si 0 0 0\nSi nan 1 1\n")
    with pytest.raises(InputError) as exc:
        read_structures(path)
    assert "NaN" in _one_line_error(exc, path)


def test_constructor_validation():
    good = from_ase(_triclinic_atoms())
    with pytest.raises(InputError):
        good.replace(positions=good.positions[:, :2])
    with pytest.raises(InputError):
        good.replace(species=good.species * 0)
    with pytest.raises(InputError):
        good.replace(system_idx=good.system_idx.flip(0) + 1)


def test_require_periodic_rejects_clusters():
    cluster = from_ase(ase.Atoms("Si2", positions=[[0, 0, 0], [2.3, 0, 0]]))
    with pytest.raises(InputError, match="not periodic"):
        cluster.require_periodic("g(r)")
