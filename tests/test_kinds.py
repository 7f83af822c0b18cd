"""The registry of spectrum kinds: one set of defaults, and each kind computes what its operator does."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.core.structures import read_structures
from glasslib.spectra.angles import bond_angle_distribution
from glasslib.spectra.kinds import KINDS, SQ_CUTOFF, Grid, get_kind
from glasslib.spectra.rdf import pair_distribution, reduced_pdf
from glasslib.spectra.scattering import structure_factor
from glasslib.core.structures import from_ase
import ase.build

ASI = Path(__file__).resolve().parents[1] / "data" / "a-Si" / "glass-epsr_Si_2.5_00.xyz"


def test_every_kind_is_complete_and_consistent():
    for name, k in KINDS.items():
        assert k.name == name
        assert k.x_unit == {"r": "Å", "Q": "1/Å", "theta": "deg", "index": "index", "k": "1/Å"}[k.x_name]
        assert k.columns[0] == {"r": "r_A", "Q": "Q_per_A", "theta": "theta_deg", "index": "index", "k": "k_per_A"}[k.x_name]
        assert (k.radiation is None) == (k.x_name != "Q")
        assert k.uncertainty > 0
        assert (k.smearing is None) == (k.x_name in ("Q", "index", "k"))
    assert KINDS["adf"].needs_cutoff and not any(k.needs_cutoff for n, k in KINDS.items() if n != "adf")


def test_grid_is_inclusive_and_checked():
    assert torch.allclose(Grid(0.5, 1.0, 0.25).values(), torch.tensor([0.5, 0.75, 1.0], dtype=torch.float64))
    assert KINDS["gr"].default_grid().numel() == 200 and float(KINDS["gr"].default_grid()[-1]) == pytest.approx(10.0)
    assert KINDS["adf"].default_grid().numel() == 181
    with pytest.raises(InputError, match="bad grid"):
        Grid(1.0, 0.5, 0.1)
    with pytest.raises(InputError, match="unknown spectrum kind 'xrd'"):
        get_kind("xrd")


def test_each_kind_computes_its_operator():
    s = read_structures(ASI)
    r, q, th = KINDS["gr"].default_grid(), KINDS["sq-xray"].default_grid(), KINDS["adf"].default_grid()
    pd = pair_distribution(s, r, sigma=0.05)
    assert torch.equal(KINDS["gr"].compute(s), pd.g)
    assert torch.equal(KINDS["Gr"].compute(s), reduced_pdf(pd))
    for radiation in ("xray", "neutron"):
        sf = structure_factor(s, q, radiation=radiation, cutoff=SQ_CUTOFF, window="lorch")
        assert torch.equal(KINDS[f"sq-{radiation}"].compute(s), sf.s)
        assert torch.equal(KINDS[f"fq-{radiation}"].compute(s), sf.f)
    adf = bond_angle_distribution(s, th, cutoff=2.85, sigma=2.0, smooth_width=0.3)
    assert torch.equal(KINDS["adf"].compute(s, cutoff=2.85), adf)
    with pytest.raises(InputError, match="neighbour cutoff"):
        KINDS["adf"].compute(s)
    with pytest.raises(InputError, match="neighbour cutoff"):
        KINDS["adf"].observable(th)


def test_observables_are_differentiable_float64():
    """gradcheck of two registry observables (g(r) and neutron F(Q)) w.r.t. positions."""
    atoms = ase.build.bulk("Si", "diamond", a=5.43, cubic=True)
    atoms.rattle(0.1, seed=1)
    s = from_ase(atoms)
    for name, grid in (("gr", torch.linspace(2.0, 4.0, 9, dtype=torch.float64)),
                       ("fq-neutron", torch.linspace(1.0, 8.0, 6, dtype=torch.float64))):
        obs = KINDS[name].observable(grid, smearing=0.2 if name == "gr" else None, cutoff=None if name == "gr" else 6.0)

        def f(pos):
            return obs(s.with_positions(pos))
        pos = s.positions.clone().requires_grad_(True)
        assert torch.autograd.gradcheck(f, (pos,), eps=1e-6, atol=1e-5)
