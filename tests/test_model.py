"""Tests for glasslib.diffusion.model: symmetries of the score network (float64), batching, stability."""

from __future__ import annotations

import ase
import numpy as np
import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.diffusion.model import ScoreNet, ScoreNetConfig
from glasslib.core.structures import Structures, concatenate, from_ase

CELL = np.array([[5.2, 0.0, 0.0], [1.1, 4.9, 0.0], [-0.7, 0.8, 5.5]])


def _net(**kw) -> ScoreNet:
    cfg = ScoreNetConfig(**{"species": (8, 14), "cutoff": 3.5, "hidden": 16, "channels": 4, "n_layers": 2, "angular_cutoff": 2.5, "n_rbf": 8, **kw})
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


def test_angular_features_equal_brute_force_triplets():
    """A_ij,l = Σ_{k≠j} R_ik P_l(u_ij·u_ik) from the moments equals the explicit triplet sum."""
    from numpy.polynomial import legendre

    net = _net(angular_cutoff=3.0, cutoff=3.5, channels=3).requires_grad_(False)
    x = _structure(12, seed=7)
    graph = net._graph(x)
    am = net.blocks[0].angular
    h = torch.randn(x.n_atoms, net.config.hidden, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    _, edge = am(h, graph, x.n_atoms)
    n_a = graph["n_a"]
    i, j, u = graph["i"][:n_a], graph["j"][:n_a], graph["unit"][:n_a]
    weight = am.filt(graph["rbf_a"]) * am.psi(h)[j] / net.config.angular_norm  # R_ik of bond row k
    P, C, L = i.shape[0], 3, net.config.l_max + 1
    assert P > 20
    ref_ij = torch.zeros(P, L, C, dtype=torch.float64)
    ref_ji = torch.zeros(P, L, C, dtype=torch.float64)
    for e in range(P):
        for k in range(P):
            cos = float(u[e] @ u[k])
            for l in range(L):
                p = legendre.legval(cos, [0] * l + [1])
                if i[k] == i[e] and k != e:  # bonds of i other than (i, j)
                    ref_ij[e, l] += weight[k] * p
                if i[k] == j[e] and not (j[k] == i[e] and torch.allclose(u[k], -u[e])):  # bonds of j other than (j, i)
                    ref_ji[e, l] += weight[k] * legendre.legval(-cos, [0] * l + [1])
    got = edge.reshape(P, 2, L, C)
    # u = r/sqrt(d² + ε) has |u|² = 1 − ε/d² (ε = 1e-6 Å²), so the removed self term R·P_l(1)
    # differs from R·P_l(|u|²) by a few ε/d² relative: ~1e-6 of the largest feature
    for a, b in ((got[:, 0], ref_ij), (got[:, 1], ref_ji)):
        assert float((a - b).abs().max()) < 2e-5 * float(b.abs().max())


def test_smooth_across_angular_cutoff(net):
    cell = np.eye(3) * 12.0
    ra = net.config.angular_cutoff

    def out(d):
        atoms = ase.Atoms("SiSiOSi", positions=[[1, 1, 1], [1 + d, 1, 1], [1, 2.3, 1], [1.5, 1, 2.4]], cell=cell, pbc=True)
        x = from_ase(atoms)
        return net(x, _c(x))

    inside, outside = out(ra - 1e-7), out(ra + 1e-7)
    assert float((inside - outside).abs().max()) < 1e-8
    assert float((out(ra - 0.3) - out(ra - 0.6)).abs().max()) > 1e-6  # the angular terms do act


def test_edge_chunks_cover_the_pairs():
    from glasslib.diffusion.model import edge_chunks

    assert edge_chunks(0, 4) == [] and edge_chunks(5, 4, start=5) == []
    assert edge_chunks(10, 4) == [slice(0, 4), slice(4, 8), slice(8, 10)]
    assert edge_chunks(8, 4) == [slice(0, 4), slice(4, 8)]
    assert edge_chunks(10, 4, start=3) == [slice(3, 7), slice(7, 10)]


def test_chunked_pairs_equal_one_chunk(net, monkeypatch):
    """The per-pair work run in chunks of 7 pairs (many chunks, the last angular one short) gives
    the same outputs and position gradients as one chunk."""
    import glasslib.diffusion.model as model

    x = concatenate([_structure(10, seed=3), _structure(7, seed=4)])

    def run():
        pos = x.positions.clone().requires_grad_(True)
        out = net(x.with_positions(pos), _c(x))
        (grad,) = torch.autograd.grad((out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)).sum(), pos)
        return out.detach(), grad

    graph = net._graph(x)
    assert graph["n_a"] % 7 != 0 and graph["i"].shape[0] > 3 * 7
    ref = run()
    monkeypatch.setattr(model, "EDGE_CHUNK", 7)
    got = run()
    for a, b in zip(got, ref):
        assert float((a - b).abs().max()) < 1e-12 * float(b.abs().max())
