"""Cu K-edge EXAFS through the shipped surrogate: gradients (gradcheck, float64), invariances
(rotation, translation, permutation, supercell), dtype following, the ``exafs`` spectrum kind,
agreement with a live FEFF run on held-out Cu–Zr absorbers (the second route), the χ(k) reader,
and one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.core.structures import from_ase, read_structures, to_ase
from glasslib.spectra.exafs_surrogate import SHIPPED, ExafsSurrogate, exafs_spectrum, on_grid
from glasslib.spectra.kinds import KINDS
from glasslib.spectra.targets import Target

from test_exafs_feff import b2_cuzr

DATA = Path(__file__).resolve().parents[1] / "data"
CKPT = DATA / SHIPPED


@pytest.fixture(scope="module")
def model64():
    return ExafsSurrogate.load(CKPT, dtype=torch.float64)


def test_gradcheck_float64(model64):
    s = b2_cuzr((1, 1, 2), rattle=0.1, seed=1)  # 4 atoms, cell 3.26 × 3.26 × 6.52 Å: many images
    k = torch.linspace(2.0, 12.0, 7, dtype=torch.float64)

    def f(pos, cell):
        return exafs_spectrum(s.replace(positions=pos, cell=cell), k, surrogate=model64)

    pos = s.positions.clone().requires_grad_(True)
    cell = s.cell.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(f, (pos, cell), eps=1e-6, atol=1e-6, rtol=1e-4)


def test_invariances(model64):
    s = b2_cuzr((2, 2, 2), rattle=0.12, seed=2)
    y = exafs_spectrum(s, surrogate=model64)
    rot = torch.linalg.matrix_exp(torch.tensor([[0, -0.4, 0.3], [0.4, 0, -0.2], [-0.3, 0.2, 0]], dtype=torch.float64))
    turned = s.replace(positions=s.positions @ rot.T + torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64),
                       cell=s.cell @ rot.T)
    assert torch.allclose(exafs_spectrum(turned, surrogate=model64), y, atol=1e-9)
    perm = torch.randperm(s.n_atoms, generator=torch.Generator().manual_seed(0))
    shuffled = s.replace(positions=s.positions[perm], species=s.species[perm])
    assert torch.allclose(exafs_spectrum(shuffled, surrogate=model64), y, atol=1e-9)
    big = from_ase([to_ase(s)[0] * (2, 1, 1)])
    assert torch.allclose(exafs_spectrum(big, surrogate=model64), y, atol=1e-9)


def test_dtype_and_kind(model64):
    s = b2_cuzr(rattle=0.1)
    y32 = KINDS["exafs"].compute(s.to(dtype=torch.float32))
    assert y32.dtype == torch.float32 and y32.shape == (1, KINDS["exafs"].default_grid().numel())
    y64 = KINDS["exafs"].compute(s)
    assert y64.dtype == torch.float64 and torch.allclose(y32.double(), y64, atol=1e-3)
    assert torch.allclose(y64, exafs_spectrum(s, KINDS["exafs"].default_grid(), surrogate=model64))
    t = Target.from_structures("exafs", s)
    assert len(t.x) == 201 and t.x[0] == pytest.approx(2.0)
    with pytest.raises(InputError, match="no smearing"):
        KINDS["exafs"].compute(s, smearing=0.1)
    with pytest.raises(InputError, match="leaves the surrogate's k range"):
        exafs_spectrum(s, torch.tensor([0.5, 3.0]), surrogate=model64)


def test_refuses_structures_without_cu_or_with_other_elements(model64):
    import ase.build

    with pytest.raises(InputError, match="exafs needs Cu atoms"):
        exafs_spectrum(from_ase([ase.build.bulk("Zr", "bcc", a=3.6, cubic=True)]), surrogate=model64)
    with pytest.raises(InputError, match="knows elements"):
        exafs_spectrum(from_ase([ase.build.bulk("CuAl", "cesiumchloride", a=3.0)]), surrogate=model64)


def _heldout_structure():
    """A Cu64Zr36 glass (100 atoms, built into the cache if missing: seconds of LAMMPS); the
    surrogate was trained on Cu30, Cu40, Cu50, Cu60 and Cu70 (CuZr-smoke and CuZr-train)."""
    from glasslib.simulate.datasets import build_spec

    return read_structures(build_spec("CuZr-heldout-smoke", progress=False).paths[0])


def test_matches_live_feff_on_heldout_absorbers(model64):
    """Second route: FEFF run now on six Cu absorbers of a held-out Cu–Zr glass (a composition the
    surrogate never saw) against the surrogate, per absorber and averaged, over k 2–12 1/Å."""
    from glasslib.spectra.exafs_data import load_exafs_spec, select_absorbers
    from glasslib.spectra.exafs_feff import cut_clusters, run_feff

    import larch  # noqa: F401  (a hard dependency)
    spec = load_exafs_spec()
    s = _heldout_structure()
    atoms = select_absorbers(s.species, 29, 6, seed=12345)
    feff = np.stack([run_feff(c, spec.feff).chi for c in cut_clusters(s, atoms, spec.feff.cluster_radius)])
    chi, index = model64.per_atom(s)
    pred = chi[[index.tolist().index(a) for a in atoms]]
    k = model64.config.k_grid()
    true = on_grid(torch.as_tensor(feff), torch.as_tensor(spec.feff.k_grid()), k)
    m = (k >= 2.0) & (k <= 12.0)
    p, t = pred[:, m] * k[m] ** 2, true[:, m] * k[m] ** 2
    own_r2 = 1 - ((p - t) ** 2).sum(1) / ((t - t.mean(1, keepdim=True)) ** 2).sum(1)
    assert float(own_r2.min()) > 0.98
    r = float(((p.mean(0) - t.mean(0)) ** 2).sum() / (t.mean(0) ** 2).sum())
    assert r < 0.05
