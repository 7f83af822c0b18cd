"""Periodic geometry: wrapping, fractional/Cartesian, minimum image, neighbour pairs.

One small layer shared by the spectra, the score network and the samplers. Cells hold
lattice vectors as rows (ASE): ``x_cart = x_frac @ cell``.

Neighbour pairs come from vesin (cell lists, all periodic images, also when the cutoff
exceeds half the cell); vesin only supplies the indices ``(i, j)`` and integer image
shifts ``S``. The pair vectors are recomputed here in torch,

    r_ij = x_j - x_i + S @ cell,

so they are differentiable with respect to positions and cell, on any device.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch
from torch.autograd.function import once_differentiable

from glasslib.errors import InputError
from glasslib.structures import Structures


# --------------------------------------------------------------- coordinates
def to_fractional(positions: torch.Tensor, cell: torch.Tensor, system_idx: torch.Tensor) -> torch.Tensor:
    """Fractional coordinates (n_atoms, 3) from Cartesian positions (Å) and row-vector cells."""
    inv = torch.linalg.inv(cell)  # (S, 3, 3)
    return torch.einsum("ni,nij->nj", positions, inv[system_idx])


def to_cartesian(fractional: torch.Tensor, cell: torch.Tensor, system_idx: torch.Tensor) -> torch.Tensor:
    """Cartesian positions (n_atoms, 3), Å, from fractional coordinates."""
    return torch.einsum("ni,nij->nj", fractional, cell[system_idx])


def wrap_positions(positions: torch.Tensor, cell: torch.Tensor, system_idx: torch.Tensor) -> torch.Tensor:
    """Positions mapped into the cell (fractional coordinates in [0, 1)).

    Differentiable: the integer shift is treated as a constant, so the gradient w.r.t.
    positions is the identity.
    """
    frac = to_fractional(positions, cell, system_idx)
    shift = torch.floor(frac.detach())
    out = positions - torch.einsum("ni,nij->nj", shift, cell[system_idx])
    # Rounding can leave a coordinate at exactly 1.0 (e.g. x = -1e-20 maps to x + L == L);
    # a second pass moves such atoms onto the 0 face.
    for _ in range(2):
        shift = torch.floor(to_fractional(out.detach(), cell.detach(), system_idx))
        if not bool(shift.any()):
            break
        out = out - torch.einsum("ni,nij->nj", shift, cell[system_idx])
    return out


def wrap(structures: Structures) -> Structures:
    """The same structures with every atom wrapped into its cell (periodic systems only)."""
    structures.require_periodic("wrapping")
    return structures.with_positions(wrap_positions(structures.positions, structures.cell, structures.system_idx))


def minimum_image(vectors: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
    """Shortest periodic image of each difference vector, for any (triclinic) cell.

    Args:
        vectors: (..., 3) difference vectors, Å.
        cell: (3, 3) or (..., 3, 3) row-vector cell(s) broadcastable to ``vectors``.

    Rounding fractional coordinates is exact only for orthogonal cells. For skewed cells
    the images ``n`` around the rounded vector ``u0`` are searched as well: the shortest
    image ``u`` has ``|u| <= |u0|``, and its fractional coordinate along axis k is at most
    ``|u| / h_k`` (h_k: distance between the faces spanned by the other two vectors), so
    ``|n_k| <= |u0| / h_k + 1/2`` bounds the search (27 images for near-cubic cells, more
    for strongly skewed ones).
    """
    cell = cell.expand(*vectors.shape[:-1], 3, 3) if cell.ndim == 2 else cell
    frac = torch.linalg.solve(cell.transpose(-1, -2), vectors.unsqueeze(-1)).squeeze(-1)
    frac = frac - torch.round(frac.detach())
    reach = [1, 1, 1]
    if frac.numel():
        u0 = torch.einsum("...i,...ij->...j", frac.detach(), cell.detach()).norm(dim=-1, keepdim=True)
        ratio = (u0 / heights(cell.detach())).reshape(-1, 3).amax(dim=0)
        reach = [max(1, int(math.floor(float(x) + 0.5 + 1e-9))) for x in ratio]
    offsets = torch.tensor(
        list(itertools.product(*[range(-m, m + 1) for m in reach])), dtype=vectors.dtype, device=vectors.device
    )
    cand = frac.unsqueeze(-2) + offsets  # (..., K, 3)
    cart = torch.einsum("...ki,...ij->...kj", cand, cell)
    best = cart.detach().norm(dim=-1).argmin(dim=-1)  # (...)
    idx = best[..., None, None].expand(*best.shape, 1, 3)
    return torch.gather(cart, -2, idx).squeeze(-2)


def heights(cell: torch.Tensor) -> torch.Tensor:
    """(..., 3) distances between opposite cell faces, Å."""
    vol = torch.linalg.det(cell).abs()
    cross = torch.stack(
        [
            torch.linalg.cross(cell[..., 1, :], cell[..., 2, :]),
            torch.linalg.cross(cell[..., 2, :], cell[..., 0, :]),
            torch.linalg.cross(cell[..., 0, :], cell[..., 1, :]),
        ],
        dim=-2,
    )
    return vol[..., None] / cross.norm(dim=-1)


# ------------------------------------------------------------------ pairs
@dataclass(frozen=True)
class Pairs:
    """Neighbour pairs of a batch, with periodic images.

    Attributes:
        i, j: (n_pairs,) atom indices into the batch.
        shifts: (n_pairs, 3) integer image shifts, ``r_ij = x_j - x_i + shifts @ cell``.
        system: (n_pairs,) system index of each pair.
        vectors: (n_pairs, 3) ``r_ij``, Å, differentiable w.r.t. positions and cell.
        distances: (n_pairs,) ``|r_ij|``, Å.
        full: True if both (i, j) and (j, i) are listed; False for a half list in which
            each unordered pair (and each self-image pair) appears once.
        cutoff: the cutoff, Å.
    """

    i: torch.Tensor
    j: torch.Tensor
    shifts: torch.Tensor
    system: torch.Tensor
    vectors: torch.Tensor
    distances: torch.Tensor
    full: bool
    cutoff: float

    @property
    def n_pairs(self) -> int:
        return self.i.shape[0]


def _pair_vectors(structures: Structures, i, j, shifts, system):
    """r_ij = x_j − x_i + S @ cell[system] (pairs grouped by system, as the builders emit them)."""
    s = shifts.to(structures.dtype)
    if structures.n_systems == 1:
        shift_cart = s @ structures.cell[0]
    else:
        counts = torch.bincount(system, minlength=structures.n_systems).tolist()
        parts = torch.split(s, counts)
        shift_cart = torch.cat([p @ structures.cell[k] for k, p in enumerate(parts)])
    return structures.positions[j] - structures.positions[i] + shift_cart


def _safe_norm(v: torch.Tensor) -> torch.Tensor:
    """Euclidean norm with a finite gradient at zero (coincident atoms give ~1e-15, not NaN)."""
    return (v * v).sum(-1).clamp_min(1e-30).sqrt()


def neighbor_pairs(structures: Structures, cutoff: float, *, full: bool = False) -> Pairs:
    """All pairs closer than ``cutoff`` (Å), every periodic image included (vesin).

    Non-periodic structures are treated as finite clusters (no images).
    The list is sorted by ``i`` (then ``j``). Works for any cutoff, including cutoffs
    larger than half the cell (several images of the same pair are then listed).
    """
    if not cutoff > 0:
        raise InputError(f"cutoff must be positive, got {cutoff}")
    from vesin_torch import NeighborList

    nl = NeighborList(cutoff=float(cutoff), full_list=full, sorted=True)
    dev = structures.device
    out_i, out_j, out_s, out_sys = [], [], [], []
    counts = structures.n_atoms_per_system.tolist()
    start = 0
    pos_all = structures.positions.detach().to("cpu", torch.float64)
    cell_all = structures.cell.detach().to("cpu", torch.float64)
    periodic = structures.periodic.tolist()
    for k, n in enumerate(counts):
        pos = pos_all[start : start + n]
        if periodic[k]:
            box = cell_all[k]
            # vesin's shifts refer to wrapped positions: wrap here and fold the offsets back
            offset = torch.floor(pos @ torch.linalg.inv(box))
            if bool((offset == 0).all()):
                offset = None
            else:
                pos = pos - offset @ box
        else:
            box, offset = torch.zeros(3, 3, dtype=torch.float64), None
        i, j, s = nl.compute(points=pos, box=box, periodic=bool(periodic[k]), quantities="ijS", copy=True)
        i, j, s = i.to(torch.long), j.to(torch.long), s.to(torch.long)
        if offset is not None:
            off = offset.to(torch.long)
            s = s + off[i] - off[j]
        out_i.append(i + start if start else i)
        out_j.append(j + start if start else j)
        out_s.append(s)
        out_sys.append(torch.full((i.shape[0],), k, dtype=torch.long))
        start += n
    cat = (lambda t: t[0]) if len(out_i) == 1 else torch.cat
    i, j, shifts, system = (cat(t).to(dev) for t in (out_i, out_j, out_s, out_sys))
    vec = _pair_vectors(structures, i, j, shifts, system)
    dist = _safe_norm(vec)
    keep = dist.detach() < cutoff  # vesin works in float64; re-check in the working dtype
    if not bool(keep.all()):
        i, j, shifts, system, vec, dist = i[keep], j[keep], shifts[keep], system[keep], vec[keep], dist[keep]
    return Pairs(i, j, shifts, system, vec, dist, full, float(cutoff))


class _PairDistances(torch.autograd.Function):
    """d_p = |r_p| for pair vectors r_p = x_j − x_i + S'_p·cell computed by vesin (float64).

    Values come from vesin; the backward pass uses ∂d/∂x_j = −∂d/∂x_i = r̂ and
    ∂d/∂cell = S'ᵀ r̂ with the total image shift S' = S + off_i − off_j, where ``off`` are the
    integer cell offsets removed when wrapping the points for vesin (positions and cell are
    independent variables, as in :func:`glasslib.geometry.neighbor_pairs`).
    """

    @staticmethod
    def forward(ctx, positions, cell, vectors, i, j, shift, offset):
        d = torch.linalg.vector_norm(vectors, dim=1)
        ctx.save_for_backward(vectors / d[:, None], i, j, shift, offset)
        ctx.n_atoms = positions.shape[0]
        return d

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_d):
        unit, i, j, shift, offset = ctx.saved_tensors
        gv = grad_d[:, None] * unit
        grad_pos = grad_cell = None
        if ctx.needs_input_grad[0]:
            grad_pos = torch.zeros(ctx.n_atoms, 3, dtype=gv.dtype, device=gv.device)
            grad_pos.index_add_(0, j, gv).index_add_(0, i, -gv)
        if ctx.needs_input_grad[1]:
            total = shift.to(gv.dtype) + (offset[i] - offset[j]).to(gv.dtype)
            grad_cell = total.T @ gv
        return grad_pos, grad_cell, None, None, None, None, None


def pair_distances(structures: Structures, cutoff: float):
    """Half list of pair distances up to ``cutoff`` with all periodic images: (d, i, j, system).

    The same pairs as :func:`neighbor_pairs` (vesin cell lists, every
    periodic image, any cutoff; clusters without images), on the lean path the Debye sum
    needs: unsorted lists, vesin's own pair vectors, and a hand-written backward pass
    (:class:`_PairDistances`), so d is differentiable w.r.t. positions and cell. vesin
    works in float64: in float32 a few distances may round to ≥ ``cutoff`` (the caller
    masks them).
    """
    from vesin_torch import NeighborList

    nl = NeighborList(cutoff=float(cutoff), full_list=False, sorted=False)
    out_d, out_i, out_j, out_s = [], [], [], []
    start = 0
    dev, dt = structures.device, structures.dtype
    for k, n in enumerate(structures.n_atoms_per_system.tolist()):
        pos = structures.positions[start : start + n]
        cell = structures.cell[k]
        points = pos.detach().to("cpu", torch.float64)
        if bool(structures.periodic[k]):
            box = cell.detach().to("cpu", torch.float64)
            offset = torch.floor(points @ torch.linalg.inv(box))  # vesin expects wrapped points
            points = points - offset @ box
            periodic = True
        else:
            box, periodic = torch.zeros(3, 3, dtype=torch.float64), False
            offset = torch.zeros(n, 3, dtype=torch.float64)
        # copy=False: vesin's buffers die with ``nl``; everything kept below is a fresh tensor
        i, j, shift, vec = nl.compute(points=points, box=box, periodic=periodic, quantities="ijSD", copy=False)
        i = i.to(device=dev, dtype=torch.long, copy=True)
        j = j.to(device=dev, dtype=torch.long, copy=True)
        if torch.is_grad_enabled() and (pos.requires_grad or cell.requires_grad):
            vec = vec.to(device=dev, dtype=dt, copy=True)
            shift, offset = shift.to(device=dev, dtype=torch.long, copy=True), offset.to(device=dev, dtype=torch.long)
            out_d.append(_PairDistances.apply(pos, cell, vec, i, j, shift, offset))  # distinct points: d > 0
        else:  # forward only: no pair vectors or shifts to keep
            out_d.append(torch.linalg.vector_norm(vec, dim=1).to(device=dev, dtype=dt))
        out_i.append(i + start if start else i)
        out_j.append(j + start if start else j)
        out_s.append(torch.full((1,), k, dtype=torch.long, device=dev).expand(i.shape[0]))  # no per-pair fill
        start += n
    if len(out_d) == 1:
        return out_d[0], out_i[0], out_j[0], out_s[0]
    return torch.cat(out_d), torch.cat(out_i), torch.cat(out_j), torch.cat(out_s)


def dense_pairs(structures: Structures, cutoff: float, *, full: bool = False) -> Pairs:
    """Reference route: brute force over every atom pair and every image shift in range.

    Cost O(N² · images); meant for tests and small systems. Same output contract as
    :func:`neighbor_pairs` (half list: each unordered pair once, self-images once per
    ±shift pair).
    """
    if not cutoff > 0:
        raise InputError(f"cutoff must be positive, got {cutoff}")
    dev = structures.device
    out = []
    counts = structures.n_atoms_per_system.tolist()
    start = 0
    for k, n in enumerate(counts):
        idx = torch.arange(start, start + n, device=dev)
        if bool(structures.periodic[k]):
            reach = [math.ceil(cutoff / float(h)) for h in heights(structures.cell[k].detach())]
            shifts = torch.tensor(
                list(itertools.product(*[range(-m, m + 1) for m in reach])), dtype=torch.long, device=dev
            )
        else:
            shifts = torch.zeros(1, 3, dtype=torch.long, device=dev)
        ii, jj = torch.meshgrid(idx, idx, indexing="ij")
        ii, jj = ii.reshape(-1), jj.reshape(-1)
        n_pair, n_shift = ii.shape[0], shifts.shape[0]
        I = ii.repeat_interleave(n_shift)
        J = jj.repeat_interleave(n_shift)
        S = shifts.repeat(n_pair, 1)
        sys_k = torch.full_like(I, k)
        if bool(structures.periodic[k]):
            # enumerate shifts between wrapped atoms, then fold each atom's cell offset back in
            frac = structures.positions[idx].detach() @ torch.linalg.inv(structures.cell[k].detach())
            off = torch.floor(frac).long()
            S = S + off[I - start] - off[J - start]
        d = _pair_vectors(structures, I, J, S, sys_k).detach().norm(dim=-1)
        self_zero = (I == J) & (S == 0).all(dim=1)
        keep = (d < cutoff) & ~self_zero
        if not full:
            # keep (i < j), and for i == j only the lexicographically positive shift
            pos_shift = (S[:, 0] > 0) | ((S[:, 0] == 0) & ((S[:, 1] > 0) | ((S[:, 1] == 0) & (S[:, 2] > 0))))
            keep &= (I < J) | ((I == J) & pos_shift)
        out.append((I[keep], J[keep], S[keep], sys_k[keep]))
        start += n
    i, j, s, system = (torch.cat(t) for t in zip(*out))
    order = torch.argsort(i * (structures.n_atoms + 1) + j, stable=True)
    i, j, s, system = i[order], j[order], s[order], system[order]
    vec = _pair_vectors(structures, i, j, s, system)
    return Pairs(i, j, s, system, vec, _safe_norm(vec), full, float(cutoff))


def half_to_full(pairs: Pairs) -> Pairs:
    """Full list (both directions) from a half list, sorted by ``i``."""
    if pairs.full:
        return pairs
    i = torch.cat([pairs.i, pairs.j])
    j = torch.cat([pairs.j, pairs.i])
    s = torch.cat([pairs.shifts, -pairs.shifts])
    vec = torch.cat([pairs.vectors, -pairs.vectors])
    dist = torch.cat([pairs.distances, pairs.distances])
    system = torch.cat([pairs.system, pairs.system])
    order = torch.argsort(i, stable=True)
    return Pairs(i[order], j[order], s[order], system[order], vec[order], dist[order], True, pairs.cutoff)
