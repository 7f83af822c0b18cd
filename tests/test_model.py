"""Tests for glasslib.model: symmetries of the score network (float64), batching, stability."""

from __future__ import annotations

import ase
import numpy as np
import pytest
import torch

from glasslib.errors import InputError
from glasslib.model import ScoreNet, ScoreNetConfig
from glasslib.structures import Structures, concatenate, from_ase

CELL = np.array([[5.2, 0.0, 0.0], [1.1, 4.9, 0.0], [-0.7, 0.8, 5.5]])


def _net(**kw) -> ScoreNet:
    cfg = ScoreNetConfig(**{"species": (8, 14), "cutoff": 3.5, "hidden": 16, "vector": 8, "n_layers": 2, "n_rbf": 8, **kw})
    torch.manual_seed(0)
    return ScoreNet(cfg).double()


def _structure(n=10, seed=0, cell=CELL) -> Structures:
    rng = np.random.default_rng(seed)
    symbols = ["Si" if k % 3 else "O" for k in range(n)]
    atoms = ase.Atoms(symbols, scaled_positions=rng.random((n, 3)), cell=cell, pbc=True)
    return from_ase(atoms)


def _c(x: Structures, value=-0.3):
    return torch.full((x.n_systems,), value, dtype=torch.float64)


@pytest.fixture(scope="module")
def net():
    return _net().requires_grad_(False)  # gradients w.r.t. positions only


def test_output_shape_and_finite(net):
    x = _structure()
    with torch.no_grad():
        out = net(x, _c(x))
    assert out.shape == (x.n_atoms, 3) and out.dtype == torch.float64
    assert bool(torch.isfinite(out).all()) and float(out.abs().max()) > 0


def test_rotation_equivariance(net):
    x = _structure()
    q, _ = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3)))
    rot = q * torch.sign(torch.linalg.det(q))  # proper rotation
    xr = x.replace(positions=x.positions @ rot.T, cell=x.cell @ rot.T)
    with torch.no_grad():
        out, out_r = net(x, _c(x)), net(xr, _c(xr))
    assert torch.allclose(out_r, out @ rot.T, atol=1e-5, rtol=0)
    assert float((out_r - out @ rot.T).abs().max()) < 1e-10


def test_permutation_invariance(net):
    x = _structure()
    perm = torch.randperm(x.n_atoms, generator=torch.Generator().manual_seed(1))
    xp = x.replace(positions=x.positions[perm], species=x.species[perm])
    assert torch.allclose(net(xp, _c(x)), net(x, _c(x))[perm], atol=1e-10)


def test_translation_and_image_invariance(net):
    x = _structure()
    ref = net(x, _c(x))
    shifted = x.with_positions(x.positions + torch.tensor([0.37, -1.2, 2.9], dtype=torch.float64))
    assert torch.allclose(net(shifted, _c(x)), ref, atol=1e-10)
    lattice = torch.tensor([[1, 0, 0], [0, -2, 1], [3, 1, -1]] + [[0, 0, 0]] * (x.n_atoms - 3), dtype=torch.float64)
    imaged = x.with_positions(x.positions + lattice @ x.cell[0])
    assert torch.allclose(net(imaged, _c(x)), ref, atol=1e-10)


def test_supercell_repeats_per_atom_outputs(net):
    atoms = ase.Atoms("Si4O2", scaled_positions=np.random.default_rng(2).random((6, 3)), cell=CELL, pbc=True)
    x = from_ase(atoms)
    big = from_ase(atoms.repeat((2, 2, 2)))  # atoms of image m are rows m*6 … m*6+5
    out = net(x, _c(x))
    out_big = net(big, _c(big)).reshape(8, 6, 3)
    assert torch.allclose(out_big, out.expand(8, 6, 3), atol=1e-10)


def test_batch_equals_separate(net):
    a = _structure(10, seed=4)
    b = _structure(7, seed=5, cell=np.diag([6.0, 5.0, 4.5]))
    both = concatenate([a, b])
    c = torch.tensor([-0.5, 0.2], dtype=torch.float64)
    out = net(both, c)
    assert torch.allclose(out[:10], net(a, c[:1]), atol=1e-12)
    assert torch.allclose(out[10:], net(b, c[1:]), atol=1e-12)


def test_noise_level_changes_output(net):
    x = _structure()
    assert not torch.allclose(net(x, _c(x, -1.0)), net(x, _c(x, 0.2)))


def test_unknown_species_raises(net):
    x = _structure()
    with pytest.raises(InputError, match=r"\[6\]"):
        net(x.replace(species=torch.full_like(x.species, 6)), _c(x))


def test_coincident_atoms_finite_output_and_gradient(net):
    x = _structure(6)
    pos = x.positions.clone()
    pos[1] = pos[0]
    pos = pos.requires_grad_(True)
    out = net(x.with_positions(pos), _c(x))
    (grad,) = torch.autograd.grad(out.pow(2).sum(), pos)
    assert bool(torch.isfinite(out).all()) and bool(torch.isfinite(grad).all())


def test_smooth_across_cutoff(net):
    cell = np.eye(3) * 12.0
    rc = net.config.cutoff

    def out(d):
        atoms = ase.Atoms("SiSiO", positions=[[1, 1, 1], [1 + d, 1, 1], [1, 2.5, 1]], cell=cell, pbc=True)
        x = from_ase(atoms)
        return net(x, _c(x))

    inside, outside = out(rc - 1e-7), out(rc + 1e-7)
    assert float((inside - outside).abs().max()) < 1e-8


def test_fourier_features_fixed_by_seed():
    a, b, c = _net(seed=1), _net(seed=1), _net(seed=2)
    assert torch.equal(a.fourier.W, b.fourier.W) and not torch.equal(a.fourier.W, c.fourier.W)
    assert "fourier.W" in a.state_dict()


def test_config_round_trip_and_validation():
    cfg = ScoreNetConfig(species=(14, 8), hidden=32)
    assert ScoreNetConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(InputError):
        ScoreNetConfig(species=(14, 14))
    with pytest.raises(InputError):
        ScoreNetConfig.from_dict({"bogus": 1})
    with pytest.raises(InputError):
        ScoreNet(ScoreNetConfig())  # species not resolved
