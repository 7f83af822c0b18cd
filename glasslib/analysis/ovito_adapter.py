"""OVITO, in one lazily imported adapter (non-differentiable analysis and rendering).

OVITO is imported inside the functions, so importing glasslib never loads it. Every
function takes a :class:`~glasslib.core.structures.Structures` batch and returns plain numpy
arrays or dicts, one entry per structure where that applies.

Structure types, rings and rendering need periodic structures; with ``cluster=True`` every
structure is taken as a finite cluster instead (OVITO sees no cell and no periodic images;
positions as stored), the cluster mode of ``glass analyze --cluster``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import numpy as np

from glasslib.core.errors import InputError
from glasslib.core.structures import Structures, to_ase


def _pipeline(atoms):
    from ovito.io.ase import ase_to_ovito
    from ovito.pipeline import Pipeline, StaticSource

    return Pipeline(source=StaticSource(data=ase_to_ovito(atoms)))


def coordination_rdf(structures: Structures, cutoff: float, n_bins: int, *, partial: bool = False):
    """g(r) of each structure from OVITO's ``CoordinationAnalysisModifier``.

    OVITO bins [kΔr, (k+1)Δr) with Δr = cutoff / n_bins, reports bin centres, and divides
    pair counts by the exact shell volume and N_α N_β / V.

    Returns:
        ``(r, curves)``: r (n_bins,) Å, and one dict per structure mapping ``"total"`` (or,
        with ``partial=True``, names such as ``"Si-O"``) to (n_bins,) arrays.
    """
    from ovito.modifiers import CoordinationAnalysisModifier

    r, out = None, []
    for atoms in to_ase(structures):
        pipe = _pipeline(atoms)
        pipe.modifiers.append(CoordinationAnalysisModifier(cutoff=float(cutoff), number_of_bins=int(n_bins), partial=partial))
        table = pipe.compute().tables["coordination-rdf"]
        xy = np.asarray(table.xy())
        names = list(table.y.component_names) if partial else ["total"]
        r = xy[:, 0]
        out.append(dict(zip(names, xy[:, 1:].T.copy())))
    return r, out


# ------------------------------------------------------------------ structure types
def _frames(structures: Structures, what: str, cluster: bool = False) -> list:
    """ASE frames: periodic structures with every atom wrapped into the cell (unwrapped
    trajectories render badly), or with ``cluster`` finite clusters without a cell."""
    if cluster:
        frames = to_ase(structures.as_clusters())
        for atoms in frames:
            atoms.set_cell(np.zeros((3, 3)))
        return frames
    structures.require_periodic(what)
    frames = to_ase(structures)
    for atoms in frames:
        atoms.wrap()
    return frames


def _type_result(types: np.ndarray, names: tuple[str, ...]) -> dict:
    counts = np.bincount(types, minlength=len(names))[: len(names)]
    n = max(int(types.shape[0]), 1)
    return {
        "types": types,
        "counts": {name: int(c) for name, c in zip(names, counts)},
        "fractions": {name: float(c) / n for name, c in zip(names, counts)},
    }


def _type_names(enum) -> tuple[str, ...]:
    members = sorted(enum.__members__.items(), key=lambda kv: int(kv[1]))
    if [int(v) for _, v in members] != list(range(len(members))):  # pragma: no cover - OVITO API guard
        raise RuntimeError(f"unexpected OVITO structure-type numbering {members}")
    return tuple(name.lower() for name, _ in members)


def identify_diamond(structures: Structures, *, cluster: bool = False) -> list[dict]:
    """Cubic and hexagonal diamond from OVITO's ``IdentifyDiamondModifier`` (Maras et al.,
    Comput. Phys. Commun. 205, 13 (2016)), per structure.

    The modifier looks at the 4 nearest neighbours of an atom and their 12 neighbours (no
    cutoff). Types: ``other``, ``cubic_diamond``, ``cubic_diamond_first_neighbor``,
    ``cubic_diamond_second_neighbor``, ``hex_diamond``, ``hex_diamond_first_neighbor``,
    ``hex_diamond_second_neighbor``; the neighbour classes are atoms bonded to a crystalline
    atom whose own second shell is not fully crystalline (grain boundaries, surfaces).
    ``cluster``: finite clusters, no periodic images (surface atoms are then ``other``).

    Returns:
        one dict per structure: ``types`` (n_atoms,) int array with the numbering above,
        ``counts`` and ``fractions`` keyed by type name.
    """
    from ovito.modifiers import IdentifyDiamondModifier

    names = _type_names(IdentifyDiamondModifier.Type)
    out = []
    for atoms in _frames(structures, "diamond identification", cluster):
        pipe = _pipeline(atoms)
        pipe.modifiers.append(IdentifyDiamondModifier())
        types = np.asarray(pipe.compute().particles["Structure Type"], dtype=np.int64).copy()
        out.append(_type_result(types, names))
    return out


def chill_plus(structures: Structures, *, cutoff: float = 3.5, oxygen: int = 8, cluster: bool = False) -> list[dict]:
    """Water phases from OVITO's ``ChillPlusModifier`` (Nguyen & Molinero, J. Phys. Chem. B
    119, 9369 (2015)), one label per molecule.

    CHILL+ works on the oxygen network only (O–O ``cutoff``, Å, 3.5 by default), so the
    hydrogens of a water structure are dropped first. Types: ``other`` (liquid-like),
    ``hexagonal_ice``, ``cubic_ice``, ``interfacial_ice``, ``hydrate``, ``interfacial_hydrate``.
    ``cluster``: finite clusters, no periodic images.

    Returns:
        one dict per structure: ``types`` (n_O,) int array (oxygens in input order),
        ``oxygen_index`` (n_O,) their indices within the structure, ``counts`` and
        ``fractions`` keyed by type name.
    """
    from ovito.modifiers import ChillPlusModifier

    names = _type_names(ChillPlusModifier.Type)
    out = []
    for atoms in _frames(structures, "CHILL+", cluster):
        sel = np.flatnonzero(atoms.numbers == oxygen)
        if sel.size == 0:
            raise InputError("CHILL+ needs oxygen atoms; the structure has none", structures.source)
        pipe = _pipeline(atoms[sel])
        pipe.modifiers.append(ChillPlusModifier(cutoff=float(cutoff)))
        types = np.asarray(pipe.compute().particles["Structure Type"], dtype=np.int64).copy()
        res = _type_result(types, names)
        res["oxygen_index"] = sel
        out.append(res)
    return out


# ------------------------------------------------------------------------- rings
def _create_bonds(cutoff):
    """OVITO bonds from one cutoff (Å) or per element pair: {("Si", "O"): 2.0, ...}."""
    from ovito.modifiers import CreateBondsModifier

    if isinstance(cutoff, Mapping):
        mod = CreateBondsModifier(mode=CreateBondsModifier.Mode.Pairwise)
        for (a, b), c in cutoff.items():
            mod.set_pairwise_cutoff(str(a), str(b), float(c))
        return mod
    return CreateBondsModifier(cutoff=float(cutoff))


def find_rings(structures: Structures, cutoff, max_ring_size: int = 10, *, min_ring_size: int = 3,
               cluster: bool = False) -> list[dict]:
    """Shortest-path rings of the bond graph from OVITO's ``FindRingsModifier``.

    Bonds join atoms closer than ``cutoff`` (Å; a number, or a mapping from element-symbol
    pairs to cutoffs). A ring is a closed bond path without shortcuts: the shortest path
    between any two of its atoms runs along the ring (Franzblau, Phys. Rev. B 44, 4925 (1991)).

    OVITO searches the bond graph of the cell itself, so a path that leaves through one face
    and re-enters through the opposite one is reported as a ring too (216-atom diamond Si has
    21 708 such "12-rings"). Each ring is therefore checked here: the minimum-image bond
    vectors around a true ring sum to zero, around a winding cycle to a lattice vector.
    Winding cycles are dropped and counted separately. (Shortcuts through periodic images can
    still hide true rings when the cell is not much larger than the rings.) With ``cluster``,
    every structure is a finite cluster: no images, nothing winds, every cycle found is kept.

    Returns:
        one dict per structure: ``counts`` {size: number of rings} for every size in
        [min_ring_size, max_ring_size], ``winding_dropped`` {size: number dropped}, and
        ``rings`` {size: (n_rings, size) int array of atom indices in ring order}.
    """
    from ovito.modifiers import FindRingsModifier

    lo, hi = int(min_ring_size), int(max_ring_size)
    if not 3 <= lo < hi <= 36:
        raise InputError(f"ring sizes must satisfy 3 <= min < max <= 36, got {lo}..{hi}")
    out = []
    for atoms in _frames(structures, "ring statistics", cluster):
        pipe = _pipeline(atoms)
        pipe.modifiers.append(_create_bonds(cutoff))
        pipe.modifiers.append(FindRingsModifier(minimum_ring_size=lo, maximum_ring_size=hi))
        data = pipe.compute()
        pos = atoms.get_positions()
        cell = np.asarray(atoms.get_cell().array)
        inv = None if cluster else np.linalg.inv(cell)
        counts, dropped, rings = {}, {}, {}
        for n in range(lo, hi + 1):
            table = data.tables.get(f"{n}-rings")
            idx = np.zeros((0, n), np.int64) if table is None else np.asarray(table["Particle Indices"], np.int64)
            idx = idx.reshape(-1, n)
            if cluster:
                closed = np.ones(idx.shape[0], bool)
            elif idx.shape[0]:
                d = pos[np.roll(idx, -1, axis=1)] - pos[idx]  # (R, n, 3) bond vectors around the ring
                frac = d @ inv
                d = (frac - np.round(frac)) @ cell
                closed = np.linalg.norm(d.sum(axis=1), axis=1) < 1e-6 * (1.0 + np.abs(cell).max())
            else:
                closed = np.zeros(0, bool)
            counts[n] = int(closed.sum())
            dropped[n] = int((~closed).sum())
            rings[n] = idx[closed]
        out.append({"counts": counts, "winding_dropped": dropped, "rings": rings})
    return out


# ---------------------------------------------------------------------- rendering
#: ways to colour a snapshot, for :func:`render`
COLOR_BY = ("species", "diamond", "chill_plus", "coordination")


def render(
    structures: Structures,
    path: str | os.PathLike,
    *,
    index: int = 0,
    color_by: str = "species",
    renderer: str = "tachyon",
    size: tuple[int, int] = (800, 600),
    cutoff: float = 2.85,
    camera_dir: tuple[float, float, float] = (2.0, 1.0, -1.0),
    cluster: bool = False,
) -> Path:
    """Render structure ``index`` of the batch to an image file (PNG, JPEG or TIFF by suffix).

    ``color_by``: ``"species"`` (OVITO's element colours), ``"diamond"`` (IdentifyDiamond
    types), ``"chill_plus"`` (CHILL+ phases; only the oxygens are drawn) or
    ``"coordination"`` (number of neighbours within ``cutoff`` Å, colour-coded). ``renderer``:
    ``"tachyon"`` (ray tracing, software) or ``"opengl"`` (needs an offscreen OpenGL or
    Vulkan context). ``cluster``: draw the structure as a finite cluster (no cell, no wrapping).
    The image is rendered to a temporary file next to ``path`` and renamed, so a reader never
    sees a partial image.
    """
    from ovito.modifiers import (
        ChillPlusModifier,
        ColorCodingModifier,
        CoordinationAnalysisModifier,
        IdentifyDiamondModifier,
    )
    from ovito.vis import OpenGLRenderer, TachyonRenderer, Viewport

    path = Path(path)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".tif", ".tiff"):
        raise InputError("image must end in .png, .jpg or .tiff", path)
    if color_by not in COLOR_BY:
        raise InputError(f"unknown colouring {color_by!r}; choose one of {', '.join(COLOR_BY)}")
    engines = {"tachyon": TachyonRenderer, "opengl": OpenGLRenderer}
    if renderer not in engines:
        raise InputError(f"unknown renderer {renderer!r}; choose tachyon or opengl")
    if not (0 <= index < structures.n_systems):
        raise InputError(f"structure index {index} out of range (batch of {structures.n_systems})")
    atoms = _frames(structures[index], "rendering", cluster)[0]
    if color_by == "chill_plus":
        atoms = atoms[atoms.numbers == 8]
        if len(atoms) == 0:
            raise InputError("colouring by CHILL+ needs oxygen atoms; the structure has none", structures.source)
    pipe = _pipeline(atoms)
    if color_by in ("diamond", "chill_plus"):
        mod = IdentifyDiamondModifier() if color_by == "diamond" else ChillPlusModifier()
        mod.structures[0].color = (0.6, 0.6, 0.6)  # "other" mid-grey, visible on white
        pipe.modifiers.append(mod)
    elif color_by == "coordination":
        pipe.modifiers.append(CoordinationAnalysisModifier(cutoff=float(cutoff)))
        pipe.modifiers.append(ColorCodingModifier(property="Coordination", start_value=0, end_value=6))
    w, h = int(size[0]), int(size[1])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")
    pipe.add_to_scene()
    try:
        vp = Viewport(type=Viewport.Type.Perspective, camera_dir=camera_dir)
        vp.zoom_all(size=(w, h))
        vp.render_image(size=(w, h), filename=str(tmp), background=(1.0, 1.0, 1.0), renderer=engines[renderer]())
        if not tmp.exists() or tmp.stat().st_size == 0:
            raise RuntimeError(f"OVITO wrote no image to {tmp}")
        os.replace(tmp, path)
    finally:
        pipe.remove_from_scene()
        if tmp.exists():
            tmp.unlink()
    return path
