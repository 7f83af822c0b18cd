"""Molecule restraints (glasslib.diffusion.restraints): the assignment, the energy and its gradient, the
restrained score, and the restraint in the one sampling recipe."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from ase import Atoms

from glasslib.analysis.water import water_census, water_intact_fraction
from glasslib.core.errors import InputError
from glasslib.core.paths import data_dir
from glasslib.core.structures import from_ase
from glasslib.diffusion.generate import SampleConfig, generate
from glasslib.diffusion.restraints import RESTRAINTS, MoleculeRestraint, get_restraint, with_restraint
from glasslib.simulate.ice import ice_ih

WATER = RESTRAINTS["water"]
WATER_PRIOR = data_dir() / "models" / "water_tip4p2005_prior" / "checkpoint.pt"


def _ice(seed=0):
    """96 molecules of proton-disordered ice Ih with the TIP4P/2005 geometry (O, H, H per molecule)."""
    return from_ase([ice_ih(2, 2, 3, seed=seed)])


def _two_waters(stretch=0.0, box=12.0):
    """Two molecules far apart in a cubic box; molecule 0's first O–H bond longer by ``stretch`` Å."""
    r, half = WATER.bond, math.radians(WATER.angle) / 2
    h1 = np.array([r * math.sin(half), 0.0, r * math.cos(half)])
    h2 = np.array([-r * math.sin(half), 0.0, r * math.cos(half)])
    mol = lambda o, s: [o, o + h1 * (1 + s / r), o + h2]  # noqa: E731
    pos = mol(np.array([1.0, 1.0, 1.0]), stretch) + mol(np.array([6.0, 6.0, 11.5]), 0.0)  # second one across z
    return from_ase([Atoms("OHHOHH", positions=pos, cell=[box] * 3, pbc=True)])


def test_ideal_ice_has_zero_restraint_energy_and_its_own_molecules():
    x = _ice()
    molecules = WATER.assign(x)
    assert molecules.shape == (96, 3)
    built = torch.arange(288).reshape(96, 3)  # the builder writes O, H, H per molecule
    assert torch.equal(molecules[:, 0], built[:, 0])
    assert torch.equal(molecules[:, 1:].sort(dim=1).values, built[:, 1:])
    assert float(WATER.energy(x, molecules)) < 1e-6
    assert WATER.ligand_distance == pytest.approx(2 * 0.9572 * math.sin(math.radians(104.52 / 2)))


@pytest.mark.parametrize("sigma", [0.0, 0.3])
def test_energy_of_one_stretched_bond_by_hand(sigma):
    """Only molecule 0's first bond (δ = 0.2 Å) and its H–H distance deviate; the second molecule
    crosses the cell face and is intact through the minimum image."""
    x = _two_waters(stretch=0.2)
    pos = x.positions
    d_hh = float((pos[1] - pos[2]).norm())
    expected = (0.2**2 + (d_hh - WATER.ligand_distance) ** 2) / (2 * (WATER.width**2 + 2 * sigma**2))
    assert float(WATER(x, sigma)) == pytest.approx(expected, rel=1e-10)


def test_energy_gradcheck_float64():
    x = _two_waters(stretch=0.1)
    g = torch.Generator().manual_seed(0)
    base = x.positions + 0.05 * torch.randn(x.positions.shape, generator=g, dtype=torch.float64)
    molecules = WATER.assign(x)
    f = lambda p: WATER.energy(x.with_positions(p), molecules, torch.tensor([0.2], dtype=torch.float64))  # noqa: E731
    assert torch.autograd.gradcheck(f, (base.clone().requires_grad_(True),))


def test_assignment_gives_every_centre_its_ligands_after_a_proton_hop():
    """An H moved to 1.05 Å from a neighbouring O (that O now has three H within 1.2 Å): the assignment
    still gives every O exactly two H, so the over-full O gives one up."""
    x = _ice()
    pos = x.positions.clone()
    # an H of molecule 0 placed near the O of the molecule it donates to (its nearest other O)
    o_all = pos[0::3]
    d = (o_all - pos[1]).norm(dim=1)
    d[0] = float("inf")
    target = int(d.argmin())
    pos[1] = o_all[target] + 1.05 * (pos[1] - o_all[target]) / (pos[1] - o_all[target]).norm()
    hopped = x.with_positions(pos)
    assert water_census(hopped)["o_with_h"][3] > 0
    molecules = WATER.assign(hopped)
    assert sorted(molecules[:, 1:].flatten().tolist()) == sorted(set(range(288)) - set(range(0, 288, 3)))
    assert torch.equal(molecules[:, 0].sort().values, torch.arange(0, 288, 3))


def test_restrained_score_is_the_plain_score_above_sigma_max_and_mends_molecules_below():
    zero = lambda x, t: torch.zeros_like(x.positions)  # noqa: E731  an "uninformed" prior
    sigma_fn = lambda t: t  # noqa: E731  σ(t) = t
    score = with_restraint(zero, "water", sigma_fn=sigma_fn, sigma_max=0.5)
    x = _ice()
    g = torch.Generator().manual_seed(1)
    noisy = x.with_positions(x.positions + 0.25 * torch.randn(x.positions.shape, generator=g, dtype=torch.float64))
    assert water_intact_fraction(noisy) < 0.9
    assert torch.equal(score(noisy, torch.tensor([0.6])), torch.zeros_like(noisy.positions))
    s = score(noisy, torch.tensor([0.0]))
    # at σ = 0 the restrained score is −∇U: descending it in small steps mends every molecule
    pos = noisy.positions
    for _ in range(200):
        pos = pos + 0.2 * WATER.width**2 * score(noisy.with_positions(pos), torch.tensor([0.0]))
    assert s.abs().max() > 0
    assert water_intact_fraction(noisy.with_positions(pos)) == 1.0


def test_bad_restraints_are_one_line_errors():
    with pytest.raises(InputError, match="unknown restraint 'ammonia'; known: water"):
        get_restraint("ammonia")
    with pytest.raises(InputError, match="unknown restraint"):
        SampleConfig(n=1, seed=0, restraint="ammonia")
    with pytest.raises(InputError, match="restraint_sigma_max"):
        SampleConfig(n=1, seed=0, restraint="water", restraint_sigma_max=0.0)
    x = _two_waters()
    short = from_ase([Atoms("OHHO", positions=x.positions[:4].numpy(), cell=[12.0] * 3, pbc=True)])
    with pytest.raises(InputError, match="structure 0 holds 2 O and 2 H; it needs at least one O and 2 H per O"):
        WATER.assign(short)
    with pytest.raises(InputError, match="holds 0 O"):
        MoleculeRestraint("O", "H", 2, 0.9572, 104.52, 0.05).require_cell(torch.tensor([14, 14]), "Si2")


def test_restrained_water_prior_samples_keep_every_molecule():
    """The shipped water prior in a 96-molecule cell, 30 steps: with the restraint every O ends with
    two H (the record names it); the same run without it breaks molecules."""
    torch.set_num_threads(1)
    base = dict(n=1, seed=0, atoms=288, density=1.0, composition="H2O", steps=30)
    plain = generate(WATER_PRIOR, SampleConfig(**base))
    held = generate(WATER_PRIOR, SampleConfig(**base, restraint="water"))
    assert water_intact_fraction(held.structures) == 1.0
    assert water_intact_fraction(plain.structures) < 1.0
    assert held.record["restraint"]["name"] == "water" and plain.record["restraint"] is None
    assert held.info(0)["restraint"] == "water"
    with pytest.raises(InputError, match="O96H190 holds 96 O and 190 H"):
        generate(WATER_PRIOR, SampleConfig(n=1, seed=0, atoms=286, density=1.0, composition="O96H190",
                                           restraint="water"))


def test_glass_sample_restraint_option(tmp_path):
    """``glass sample --restraint water`` writes whole molecules and names the restraint; on an a-Si
    checkpoint it is one line, exit 2, and no output folder."""
    import subprocess
    import sys

    from glasslib.core.structures import read_structures

    out = tmp_path / "water"
    r = subprocess.run([sys.executable, "-m", "glasslib", "sample", str(WATER_PRIOR), "--n", "1", "--seed", "0",
                        "--atoms", "288", "--density", "1.0", "--steps", "30", "--restraint", "water",
                        "--out", str(out), "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    files = sorted(out.glob("*.extxyz"))
    assert len(files) == 1 and water_intact_fraction(read_structures(files[0])) == 1.0
    assert '"restraint": "water"' in (out / "sample_config.json").read_text()
    bad = tmp_path / "si"
    silicon = data_dir() / "models" / "asi_sw_prior" / "checkpoint.pt"
    r = subprocess.run([sys.executable, "-m", "glasslib", "sample", str(silicon), "--n", "1", "--seed", "0",
                        "--restraint", "water", "--out", str(bad), "--quiet"], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and not bad.exists()
    assert "holds 0 O" in r.stderr and len(r.stderr.strip().splitlines()) == 1
