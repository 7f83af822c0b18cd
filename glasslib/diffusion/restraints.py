"""Molecule restraints: an optional term of the sampling recipe that keeps declared molecules whole.

An all-atom prior of a molecular liquid has to decide, at intermediate noise, which centre atom owns
each ligand atom (for water: which O owns each H). The shipped water prior gets one molecule in
five wrong (``data/models/water_tip4p2005_prior/model_card.md``). A restraint states the molecule as
prior knowledge, the way a spectral target states a measurement: it is off by default, named in the
sampling record, and a study that uses it says so.

For a molecule of centre C with ``per_center`` ligands L (water: O with two H), on the structures x
at noise level σ:

1. **Who owns whom** is decided on the Tweedie estimate x̂₀ = x + σ² s(x, t) (the denoised
   structure), per structure, by a linear assignment of every ligand to one of ``per_center`` slots
   of a centre, minimising the sum of squared minimum-image C–L distances (Hungarian algorithm,
   ``scipy.optimize.linear_sum_assignment``). Every centre gets exactly ``per_center`` ligands, so
   the molecule count is right by construction; which ligand goes where is the prior's choice,
   made at the noise level where the assignment is cheapest.
2. **The restraint** on the noisy positions x is harmonic in the molecule's distances (C–L bonds,
   and L–L within a molecule, which fixes the angle without an arccos):

       U_σ(x) = Σ_bonds (r − r₀)² / 2(w² + 2σ²)  +  Σ_LL (d − d₀)² / 2(w² + 2σ²),

   the negative log of a Gaussian of width w in each distance, broadened by the noise of the two
   atoms (variance 2σ² for the difference of two independently noised positions), so that its
   gradient is the score of the noised restraint and stays of the order of the noise score −ε/σ at
   every σ: the sampler's steps Δσ² times it stay below one width (no overshoot at large σ).
3. **The restrained score** s_r(x, t) = s(x, t) − ∇ₓU_σ(x) for σ(t) ≤ ``sigma_max`` (the plain
   score above): the prior times the noised restraint, a product of experts. ∇ₓU_σ is taken with the
   assignment held fixed (it is piecewise constant in x).

:data:`RESTRAINTS` names the declared ones; ``"water"`` uses the TIP4P/2005 geometry of the training
sets (:data:`glasslib.simulate.interactions.TIP4P_2005`: r_OH 0.9572 Å, HOH 104.52°) and w = 0.05 Å.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from ase.data import atomic_numbers
from scipy.optimize import linear_sum_assignment

from glasslib.core.errors import InputError, NumericalError
from glasslib.core.geometry import minimum_image, neighbor_pairs
from glasslib.core.structures import Structures
from glasslib.diffusion.guidance import score_and_sigma
from glasslib.simulate.interactions import TIP4P_2005

#: C–L distance, Å, within which the assignment uses the true cost (beyond it: a flat high cost)
ASSIGN_CUTOFF = 2.5


@dataclass(frozen=True)
class MoleculeRestraint:
    """A molecule of one centre and ``per_center`` ligands, held at its geometry (module docstring).

    Attributes:
        center, ligand: element symbols (e.g. ``"O"``, ``"H"``).
        per_center: ligands per centre (the cell must hold exactly that many per centre).
        bond: C–L distance r₀, Å.
        angle: L–C–L angle, degrees (its L–L distance d₀ = 2 r₀ sin(angle / 2); None: no L–L term).
        width: w, Å, the restraint's Gaussian width in each distance at σ = 0.
    """

    center: str
    ligand: str
    per_center: int
    bond: float
    angle: float | None
    width: float

    @property
    def ligand_distance(self) -> float | None:
        """d₀ = 2 r₀ sin(angle / 2), Å (None without an angle)."""
        return None if self.angle is None else 2.0 * self.bond * math.sin(math.radians(self.angle) / 2.0)

    def describe(self) -> dict:
        return {"center": self.center, "ligand": self.ligand, "per_center": self.per_center, "bond_A": self.bond,
                "angle_deg": self.angle, "width_A": self.width}

    def require_cell(self, species: torch.Tensor, label: str) -> None:
        """InputError unless the atomic numbers ``species`` (one cell, called ``label``) hold at least
        one centre and exactly ``per_center`` ligands per centre."""
        n_c = int((species == atomic_numbers[self.center]).sum())
        n_l = int((species == atomic_numbers[self.ligand]).sum())
        if n_c == 0 or n_l != self.per_center * n_c:
            raise InputError(f"molecule restraint: {label} holds {n_c} {self.center} and {n_l} {self.ligand}; it needs "
                             f"at least one {self.center} and {self.per_center} {self.ligand} per {self.center}")

    def _indices(self, x: Structures, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Global atom indices of structure ``k``'s centres (n_C,) and ligands (n_L,)."""
        z_c, z_l = atomic_numbers[self.center], atomic_numbers[self.ligand]
        mine = x.system_idx == k
        self.require_cell(x.species[mine], f"structure {k}")
        return torch.nonzero(mine & (x.species == z_c)).flatten(), torch.nonzero(mine & (x.species == z_l)).flatten()

    def assign(self, x: Structures) -> torch.Tensor:
        """(n_molecules, 1 + per_center) global atom indices: each row a centre and its ligands, from
        the linear assignment of step 1 of the module docstring on ``x`` (all structures). C–L pairs
        farther than :data:`ASSIGN_CUTOFF` cost as if at 3 × that distance (so a ligand with no centre
        near still gets one, the nearest free slot being cheapest)."""
        x = x.to(dtype=torch.float64)
        x = x.with_positions(x.positions.detach())
        pairs = neighbor_pairs(x, ASSIGN_CUTOFF, full=True)
        rows = []
        for k in range(x.n_systems):
            centers, ligands = self._indices(x, k)
            n = x.n_atoms
            local_c = torch.full((n,), -1, dtype=torch.long, device=x.device)
            local_l = torch.full((n,), -1, dtype=torch.long, device=x.device)
            local_c[centers] = torch.arange(centers.numel(), device=x.device)
            local_l[ligands] = torch.arange(ligands.numel(), device=x.device)
            keep = (local_l[pairs.i] >= 0) & (local_c[pairs.j] >= 0)
            cost = np.full((ligands.numel(), centers.numel()), (3.0 * ASSIGN_CUTOFF) ** 2)
            li, ci = local_l[pairs.i[keep]].cpu().numpy(), local_c[pairs.j[keep]].cpu().numpy()
            np.minimum.at(cost, (li, ci), (pairs.distances[keep] ** 2).cpu().numpy())  # Å², nearest image
            lig, slot = linear_sum_assignment(np.repeat(cost, self.per_center, axis=1))
            owner = slot // self.per_center
            order = np.lexsort((lig, owner))  # grouped by centre, ligands in index order
            dev = ligands.device
            groups = ligands[torch.as_tensor(lig[order], device=dev)].reshape(-1, self.per_center)
            first = centers[torch.as_tensor(owner[order][:: self.per_center], device=dev)]
            rows.append(torch.cat([first[:, None], groups], dim=1))
        return torch.cat(rows, dim=0)

    def energy(self, x: Structures, molecules: torch.Tensor, sigma: torch.Tensor | float = 0.0) -> torch.Tensor:
        """(S,) U_σ of every structure (dimensionless, in units of k_BT) for fixed ``molecules``
        (:meth:`assign`); ``sigma``: Å, a number or (S,) per structure. Differentiable in the positions."""
        sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).reshape(-1).expand(x.n_systems)
        system = x.system_idx[molecules[:, 0]]
        cell = x.cell[system]  # (M, 3, 3)
        c = x.positions[molecules[:, 0]]
        vec = [minimum_image(x.positions[molecules[:, 1 + a]] - c, cell) for a in range(self.per_center)]
        terms = [(v.norm(dim=-1) - self.bond) ** 2 for v in vec]
        if self.angle is not None:
            d0 = self.ligand_distance
            terms += [((vec[a] - vec[b]).norm(dim=-1) - d0) ** 2
                      for a in range(self.per_center) for b in range(a + 1, self.per_center)]
        per_molecule = torch.stack(terms, dim=1).sum(1) / (2.0 * (self.width**2 + 2.0 * sigma[system] ** 2))
        return torch.zeros(x.n_systems, dtype=x.dtype, device=x.device).index_add_(0, system, per_molecule)

    def __call__(self, x: Structures, sigma: torch.Tensor | float = 0.0) -> torch.Tensor:
        """(S,) U_σ with the molecules assigned on ``x`` itself."""
        return self.energy(x, self.assign(x), sigma)


#: the declared restraints (``SampleConfig(restraint=NAME)``, ``glass sample --restraint NAME``)
RESTRAINTS = {
    "water": MoleculeRestraint(center="O", ligand="H", per_center=2, bond=TIP4P_2005.r_oh, angle=TIP4P_2005.hoh,
                               width=0.05),
}


def get_restraint(name: str) -> MoleculeRestraint:
    """The restraint declared as ``name`` in :data:`RESTRAINTS`; InputError naming the known ones."""
    try:
        return RESTRAINTS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown restraint {name!r}; known: {', '.join(sorted(RESTRAINTS))}") from None


class RestrainedScore:
    """The callable :func:`with_restraint` returns (module docstring, step 3)."""

    def __init__(self, score, restraint: MoleculeRestraint, *, sigma_fn: Callable[[torch.Tensor], torch.Tensor],
                 sigma_max: float):
        if not (isinstance(sigma_max, (int, float)) and math.isfinite(sigma_max) and sigma_max > 0):
            raise InputError(f"restraint sigma_max must be a positive number of Å, got {sigma_max}")
        self.score, self.restraint, self.sigma_fn, self.sigma_max = score, restraint, sigma_fn, float(sigma_max)

    def __call__(self, x: Structures, t) -> torch.Tensor:
        s, sigma = score_and_sigma(self.score, self.sigma_fn, x, t)
        on = sigma <= self.sigma_max
        if not bool(on.any()):
            return s
        x0 = x.with_positions((x.positions + sigma[x.system_idx, None] ** 2 * s).detach())  # Tweedie estimate
        molecules = self.restraint.assign(x0)
        with torch.enable_grad():
            pos = x.positions.detach().requires_grad_(True)
            energy = self.restraint.energy(x.with_positions(pos), molecules, sigma)
            (grad,) = torch.autograd.grad(energy.sum(), pos)
        bad = ~torch.isfinite(grad).all(dim=1)
        if bool(bad.any()):
            k = int(x.system_idx[bad.nonzero()[0, 0]])
            raise NumericalError(f"non-finite molecule restraint gradient in structure {k}", structure=k)
        return s - on.to(s.dtype)[x.system_idx, None] * grad.detach()


def with_restraint(score, restraint: MoleculeRestraint | str, *, sigma_fn: Callable[[torch.Tensor], torch.Tensor],
                   sigma_max: float = 1.0) -> RestrainedScore:
    """Wrap ``score`` with a molecule restraint (a :class:`MoleculeRestraint` or a name of
    :data:`RESTRAINTS`) acting below ``sigma_max`` Å (module docstring).

    Args:
        score: ``score(structures, t) -> (n_atoms, 3)``, Å⁻¹.
        restraint: the molecule.
        sigma_fn: σ(t), Å (e.g. ``sde.sigma``).
        sigma_max: σ, Å, above which the restraint is off.
    """
    restraint = get_restraint(restraint) if isinstance(restraint, str) else restraint
    return RestrainedScore(score, restraint, sigma_fn=sigma_fn, sigma_max=sigma_max)
