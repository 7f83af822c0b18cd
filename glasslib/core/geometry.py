"""Periodic geometry: wrapping, fractional/Cartesian, minimum image, neighbour pairs.

One small layer shared by the spectra, the score network and the samplers. Cells hold
lattice vectors as rows (ASE): ``x_cart = x_frac @ cell``.

Neighbour pairs come from vesin (cell lists, all periodic images, also when the cutoff
exceeds half the cell); vesin only supplies the indices ``(i, j)`` and integer image
shifts ``S``. The pair vectors are recomputed here in torch,

    r_ij = x_j - x_i + S @ cell,

so they are differentiable with respect to positions and cell, on any device. The lean
path of the spectra (:func:`pair_distances`) keeps vesin's float64 distances and vectors
instead and differentiates them by hand. vesin runs on ``torch.get_num_threads()`` threads;
its neighbour-list objects (pair buffers, no cached results) are reused between calls.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch.autograd.function import once_differentiable
from vesin_torch import NeighborList

from glasslib.core.errors import InputError
from glasslib.core.structures import Structures


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


#: vesin neighbour-list objects kept per thread, most recent settings first out
NEIGHBOR_LISTS_KEPT = 2
_workspace = threading.local()


def _vesin_list(cutoff: float, *, full: bool, sort: bool):
    """A vesin ``NeighborList`` for these settings, reused between calls on this thread.

    vesin keeps its pair buffers in the object and grows them on demand; a fresh object per
    call spends about a fifth of a 4096-atom, 10 Å search allocating and faulting in memory
    again. No Verlet skin: every call is a complete search whose result depends on nothing
    but its arguments (outputs are always copied out). The :data:`NEIGHBOR_LISTS_KEPT` most
    recent settings stay allocated (about 50 bytes per pair of their last search), per
    thread; :func:`release_neighbor_lists` frees them. vesin runs on
    ``torch.get_num_threads()`` threads.
    """
    cache = getattr(_workspace, "lists", None)
    if cache is None:
        cache = _workspace.lists = OrderedDict()
    key = (float(cutoff), bool(full), bool(sort), torch.get_num_threads())
    nl = cache.pop(key, None)
    if nl is None:
        nl = NeighborList(cutoff=key[0], full_list=key[1], sorted=key[2], skin=0.0, n_threads=key[3])
    cache[key] = nl
    while len(cache) > NEIGHBOR_LISTS_KEPT:
        cache.popitem(last=False)
    return nl


def release_neighbor_lists() -> None:
    """Free the vesin neighbour-list buffers kept on this thread (see :func:`_vesin_list`)."""
    _workspace.lists = OrderedDict()


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
    nl = _vesin_list(cutoff, full=full, sort=True)
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

    Values (d and r) come from vesin; the backward pass uses ∂d/∂x_j = −∂d/∂x_i = r/d and
    ∂d/∂cell = S'ᵀ r/d with the total image shift S' = S + off_i − off_j, where ``off`` are
    the integer cell offsets removed when wrapping the points for vesin (positions and cell
    are independent variables, as in :func:`glasslib.core.geometry.neighbor_pairs`). ``shift``
    and ``offset`` may be None when no gradient w.r.t. the cell is needed.
    """

    @staticmethod
    def forward(ctx, positions, cell, d, vectors, i, j, shift, offset):
        ctx.save_for_backward(d, vectors, i, j, shift, offset)
        ctx.n_atoms = positions.shape[0]
        return d  # autograd wraps a returned input in a view of it

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_d):
        d, vectors, i, j, shift, offset = ctx.saved_tensors
        gv = vectors * (grad_d / d)[:, None]  # ∂L/∂r_p, (P, 3)
        grad_pos = grad_cell = None
        if ctx.needs_input_grad[1]:
            total = shift.to(gv.dtype) + (offset[i] - offset[j]).to(gv.dtype)
            grad_cell = total.T @ gv
        if ctx.needs_input_grad[0]:
            # scatter_add_ over the expanded index: index_add_ would copy vesin's strided i, j,
            # and its alpha=-1 is a slow path
            n_pairs = gv.shape[0]
            grad_pos = torch.zeros(ctx.n_atoms, 3, dtype=gv.dtype, device=gv.device)
            grad_pos.scatter_add_(0, j[:, None].expand(n_pairs, 3), gv)
            grad_pos.scatter_add_(0, i[:, None].expand(n_pairs, 3), gv.neg_())
        return grad_pos, grad_cell, None, None, None, None, None, None


def pair_distances(structures: Structures, cutoff: float, *, indices: bool = True):
    """Half list of pair distances up to ``cutoff`` with all periodic images: (d, i, j, system).

    The same pairs as :func:`neighbor_pairs` (vesin cell lists, every periodic image, any
    cutoff; clusters without images), on the lean path the spectra need: unsorted lists,
    only the vesin outputs that are used, and a hand-written backward pass
    (:class:`_PairDistances`), so d is differentiable w.r.t. positions and cell. vesin works
    in float64 and runs on ``torch.get_num_threads()`` threads; in float32 a few distances
    may round to ≥ ``cutoff`` (the caller masks them).

    Args:
        structures: the batch (periodic structures with images, others as clusters).
        cutoff: Å.
        indices: if False, ``i`` and ``j`` are None unless a gradient needs them (forward
            passes of single-element spectra use distances only).

    Returns:
        d: (P,) distances, Å, dtype of the structures.
        i, j: (P,) int64 atom indices into the batch, or None (see ``indices``).
        system: (P,) int64 system index of each pair (an expanded view for one system).
    """
    nl = _vesin_list(cutoff, full=False, sort=False)
    out_d, out_i, out_j, out_s = [], [], [], []
    start = 0
    dev, dt = structures.device, structures.dtype
    grad_mode = torch.is_grad_enabled()
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
        need_pos = grad_mode and pos.requires_grad
        need_cell = grad_mode and cell.requires_grad
        if need_pos or need_cell:
            # vesin's outputs are copied (its buffers are reused by the next search)
            if need_cell:
                i, j, d, vec, shift = nl.compute(points=points, box=box, periodic=periodic, quantities="ijdDS")
                shift, offset = shift.to(device=dev), offset.to(device=dev, dtype=torch.long)
            else:
                i, j, d, vec = nl.compute(points=points, box=box, periodic=periodic, quantities="ijdD")
                shift = offset = None
            i, j = i.to(dev), j.to(dev)
            d, vec = d.to(device=dev, dtype=dt), vec.to(device=dev, dtype=dt)
            out_d.append(_PairDistances.apply(pos, cell, d, vec, i, j, shift, offset))  # distinct points: d > 0
        elif indices:
            i, j, d = nl.compute(points=points, box=box, periodic=periodic, quantities="ijd")
            i, j, d = i.to(dev), j.to(dev), d.to(device=dev, dtype=dt)
            out_d.append(d)
        else:  # forward only, distances only
            (d,) = nl.compute(points=points, box=box, periodic=periodic, quantities="d")
            i = j = None
            out_d.append(d.to(device=dev, dtype=dt))
        out_i.append(None if i is None else (i + start if start else i))
        out_j.append(None if j is None else (j + start if start else j))
        out_s.append(torch.full((1,), k, dtype=torch.long, device=dev).expand(d.shape[0]))  # no per-pair fill
        start += n
    if len(out_d) == 1:
        return out_d[0], out_i[0], out_j[0], out_s[0]

    def cat(parts):
        return None if any(p is None for p in parts) else torch.cat(parts)

    return torch.cat(out_d), cat(out_i), cat(out_j), torch.cat(out_s)


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
