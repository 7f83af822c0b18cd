"""Spectral guidance with the X-ray absorption surrogates (kinds ``xanes`` and ``exafs``): the guided
score lowers its own mismatch and leaves the local structure physical.

* XANES: the shipped a-C prior (``data/models/ac_tersoff_prior``) sampled with and without a C K-edge
  target, same seed, same cell (100 C atoms at 2.5 g/cm³, the prior's default density); the target
  is the surrogate XANES of a held-out Tersoff a-C structure at 2.75 g/cm³
  (``aC-Tersoff-2.75-heldout``, a density the prior never saw). Through :func:`glasslib.generate`,
  the recipe every caller uses.
* EXAFS: there is no Cu–Zr prior yet, so the guidance term itself: with a zero prior score the
  Tweedie estimate is x itself and the guided score is −η ∇L, so the sampler's Euler step
  x ← x + Δσ² s is gradient descent on the Cu K-edge k²χ(k) mismatch. From a Cu–Zr glass whose
  atoms were displaced at random by 0.1 Å per axis, it must lower Wright's R_χ to the
  unperturbed structure's spectrum without pushing atoms together.

Observed on the development machine (one thread, the seeds below): XANES mismatch (mean squared
error over the 100-point index grid, mean over 2 structures) 1.7e-3 guided against 3.5e-3
unguided; EXAFS R_χ 0.92 → 0.15 in 20 steps.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glasslib.analysis import local_structure, r_factor
from glasslib.core.geometry import pair_distances
from glasslib.core.paths import data_dir
from glasslib.core.structures import Structures
from glasslib.diffusion.generate import GuidanceTerm, SampleConfig, generate
from glasslib.diffusion.guidance import with_spectral_guidance
from glasslib.diffusion.training import load_checkpoint
from glasslib.simulate import build_spec, read_dataset
from glasslib.spectra.targets import Target

AC_PRIOR = data_dir() / "models" / "ac_tersoff_prior" / "checkpoint.pt"
C_BOND = 1.85  # Å, C–C bond cutoff (first minimum of a-C g(r); the a-C card of notebook 04)
#: Cu-centred first-shell cutoffs, Å (first minima of the Cu–Cu and Cu–Zr partial g(r) of Cu50Zr50)
CU_SHELL = {29: 3.3, 40: 3.6}


def _heldout_carbon() -> Structures:
    """(1 structure, 216 C atoms) held-out Tersoff a-C at 2.75 g/cm³ (cached; simulated if missing)."""
    return read_dataset(build_spec("aC-Tersoff-2.75-heldout", limit=1, progress=False).paths)


def _mse(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(S,) mean over the grid of (y − target)², the guidance loss term of each structure."""
    return ((y - target) ** 2).mean(-1)


@pytest.mark.slow
def test_xanes_guidance_lowers_the_mismatch_and_keeps_carbon_bonded():
    ckpt = load_checkpoint(AC_PRIOR, "cpu", species=[6])
    dtype = ckpt.config.torch_dtype
    target = Target.from_structures("xanes", _heldout_carbon().to(dtype=dtype),
                                    source="surrogate XANES of aC-Tersoff-2.75-heldout/00000")
    config = SampleConfig(n=2, seed=0, atoms=100, density=2.5, steps=100, guidance_step=0.3)
    prior = generate(ckpt, config).structures
    guided = generate(ckpt, config, [GuidanceTerm(target)]).structures

    obs, y = target.observable(dtype=torch.float64), target.values()
    with torch.no_grad():
        mse_prior = _mse(obs(prior.to(dtype=torch.float64)), y).mean()
        mse_guided = _mse(obs(guided.to(dtype=torch.float64)), y).mean()
    # observed 1.7e-3 against 3.5e-3 (ratio 0.48; 0.5-0.7 with seeds 1-3); guidance with the wrong
    # sign, on the noisy positions or switched off leaves the ratio near or above 1
    assert float(mse_guided) < 0.75 * float(mse_prior), (float(mse_guided), float(mse_prior))
    assert float(mse_guided) < 4e-3  # RMSE < 0.063 on intensities 0 to ~1.6

    lp, lg = local_structure(prior, C_BOND), local_structure(guided, C_BOND)
    # C–C bonds of carbon are 1.20 Å (triple) to 1.54 Å (single); the prior's own samples reach
    # 1.1–1.25 Å (its model card: 0.72 × the covalent sum). Observed: prior 1.25, guided 1.19 Å.
    assert lg.closest_pair_A > 1.1 and lg.closest_pair_A > lp.closest_pair_A - 0.15
    # a-C at 2.5 g/cm³ is mostly sp² (three-fold); Tersoff training structures at 2.5: 3.2.
    # Observed: 2.99 for both.
    for ls in (lp, lg):
        assert 2.6 < ls.coordination_mean < 3.5
        under, over = (sum(v for k, v in ls.coordination_counts.items() if cond(k)) / 200
                       for cond in (lambda k: k <= 1, lambda k: k >= 5))
        assert under < 0.05 and over < 0.05, ls.coordination_counts
    assert abs(lg.coordination_mean - lp.coordination_mean) < 0.3


# ----------------------------------------------------------------------------- EXAFS
def _closest_by_pair(x: Structures) -> dict[tuple[int, int], float]:
    """Closest distance, Å, for each species pair (Z_a ≤ Z_b) within 4 Å."""
    d, i, j, _ = pair_distances(x, 4.0)
    lo, hi = torch.minimum(x.species[i], x.species[j]), torch.maximum(x.species[i], x.species[j])
    return {(a, b): float(d[(lo == a) & (hi == b)].min()) for a, b in ((29, 29), (29, 40), (40, 40))}


def _cu_coordination(x: Structures) -> float:
    """Mean number of neighbours of a Cu atom within :data:`CU_SHELL` (by neighbour element)."""
    d, i, j, _ = pair_distances(x, max(CU_SHELL.values()))
    count = np.zeros(x.n_atoms)
    for a, b in ((i, j), (j, i)):  # each pair once in pair_distances: count it from both ends
        cut = torch.tensor([CU_SHELL[int(z)] for z in x.species[b].tolist()], dtype=d.dtype)
        keep = (x.species[a] == 29) & (d < cut)
        np.add.at(count, a[keep].numpy(), 1)
    return float(count[(x.species == 29).numpy()].mean())


def test_exafs_guidance_steps_lower_the_r_factor_and_keep_pairs_apart():
    ref = read_dataset(build_spec("CuZr-smoke", limit=1, progress=False).paths).to(dtype=torch.float64)  # Cu64Zr64
    gen = torch.Generator().manual_seed(7)
    start = ref.with_positions(ref.positions + 0.1 * torch.randn(ref.positions.shape, generator=gen, dtype=torch.float64))

    # the guidance term exactly as generate() builds it from a GuidanceTerm
    term = GuidanceTerm(Target.from_structures("exafs", ref, source="CuZr-smoke/00000, unperturbed"))
    obs = term.target.observable(smearing=term.smearing, dtype=torch.float64)
    y = term.target.values(dtype=torch.float64)
    sigma = 0.05  # Å: a fixed noise level; with a zero prior, x̂₀ = x at any σ

    def zero_prior(x, t):
        return torch.zeros_like(x.positions)

    guided = with_spectral_guidance(zero_prior, [obs], [y], [term.weight], normalize="sigma", step_size=1.0,
                                    sigma_fn=lambda t: torch.full_like(torch.as_tensor(t, dtype=torch.float64), sigma))
    # normalize="sigma": the guided score has per-atom RMS √3/σ, so a step Δσ² moves atoms by
    # Δσ² √3/σ RMS; 0.002 Å per step
    dsigma2 = 0.002 * sigma / 3**0.5
    x, losses = start, []
    t = torch.zeros(1, dtype=torch.float64)
    for _ in range(20):
        s = guided(x, t)
        losses.append(float(guided.last_loss))
        x = x.with_positions(x.positions + dsigma2 * s)

    with torch.no_grad():
        r0, r1 = float(r_factor(obs(start)[0], y)), float(r_factor(obs(x)[0], y))
    # observed R_χ 0.92 -> 0.15: 0.1 Å of disorder dephases k²χ at high k; the descent restores it
    assert r0 > 0.5
    assert r1 < 0.4 * r0 and r1 < 0.3, (r0, r1)
    assert losses[0] == pytest.approx(float(((obs(start)[0] - y) ** 2).mean()), rel=1e-9)  # the loss is the mismatch
    assert all(b < a * 1.001 for a, b in zip(losses, losses[1:])), losses

    # 20 steps of 0.002 Å cannot move a pair far: no new close contacts, first shell intact
    # (observed closest Cu–Cu 2.05 -> 2.05, Cu–Zr 2.26 -> 2.25, Zr–Zr 2.74 -> 2.73 Å; Cu coordination
    # 10.5 -> 10.6, maximum displacement 0.09 Å)
    c_start, c_end = _closest_by_pair(start), _closest_by_pair(x)
    for pair, floor in {(29, 29): 1.9, (29, 40): 2.1, (40, 40): 2.5}.items():
        assert c_end[pair] > floor and c_end[pair] > c_start[pair] - 0.1, (pair, c_start[pair], c_end[pair])
    cn_ref, cn_end = _cu_coordination(ref), _cu_coordination(x)
    assert 9.0 < cn_ref < 13.0 and abs(cn_end - cn_ref) < 0.5, (cn_ref, cn_end)
    assert float((x.positions - start.positions).norm(dim=1).max()) < 0.2  # no atom is thrown far
