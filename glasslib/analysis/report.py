"""Every descriptor that applies to a batch of structures, as one JSON-ready report.

The generic descriptors (:mod:`glasslib.analysis.descriptors`: composition, density,
coordination, bond angles, entropy) are computed for every structure. The descriptors of one
kind of system come from the declared registry :data:`DESCRIPTOR_SETS`: each
:class:`DescriptorSet` names a predicate on the structure's composition and the function that
computes its descriptors, and :func:`analyze` runs, in registry order, the sets whose predicate
holds (or the sets a caller names). A new kind of system adds its module and one entry here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np

from glasslib.analysis.bonds import BondGraph, bond_cutoffs, bond_graph, positive_number
from glasslib.analysis.descriptors import (
    ENTROPY_BANDWIDTH,
    AnalysisSettings,
    angle_summary,
    bond_angles,
    coordination,
    information_entropy,
)
from glasslib.analysis.sulfur_network import sulfur_descriptors
from glasslib.analysis.tetrahedral import TETRAHEDRAL, diamond_descriptors, network_descriptors
from glasslib.analysis.water import water_descriptors
from glasslib.core.errors import InputError
from glasslib.core.structures import Structures
from glasslib.spectra.form_factors import element_symbol


@dataclass(frozen=True)
class DescriptorSet:
    """Descriptors of one kind of system.

    name: how callers select it (``analyze(..., descriptor_sets=["water"])``, ``glass analyze
    --descriptors water``); applies: predicate on the set of atomic numbers present; compute:
    ``(structure, bond graph, settings) -> {key: JSON-ready value}`` for one structure;
    description: one line for help texts.
    """

    name: str
    applies: Callable[[frozenset[int]], bool]
    compute: Callable[[Structures, BondGraph, AnalysisSettings], dict]
    description: str


#: the system-specific descriptor sets, in the order their keys appear in a report
DESCRIPTOR_SETS: tuple[DescriptorSet, ...] = (
    DescriptorSet("network", lambda z: bool(z & TETRAHEDRAL), network_descriptors,
                  "C, Si or Ge present: dihedral angles and ring statistics"),
    DescriptorSet("diamond", lambda z: z <= TETRAHEDRAL, diamond_descriptors,
                  "only C, Si and Ge: diamond-type crystallinity (OVITO)"),
    DescriptorSet("water", lambda z: {1, 8} <= z, water_descriptors,
                  "O and H present: H-bond network and CHILL+ phases (OVITO)"),
    DescriptorSet("sulfur", lambda z: 16 in z, sulfur_descriptors,
                  "S present: S8 rings and chain ends"),
)


def named_descriptor_sets(names: str | Sequence[str]) -> tuple[DescriptorSet, ...]:
    """The entries of :data:`DESCRIPTOR_SETS` with these names (a sequence or ``"a,b"``), in registry order."""
    wanted = [n.strip() for n in names.split(",")] if isinstance(names, str) else [str(n).strip() for n in names]
    wanted = [n for n in wanted if n]
    known = [d.name for d in DESCRIPTOR_SETS]
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise InputError(f"unknown descriptor set {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    return tuple(d for d in DESCRIPTOR_SETS if d.name in wanted)


def applicable_descriptor_sets(elements) -> tuple[DescriptorSet, ...]:
    """The entries of :data:`DESCRIPTOR_SETS` whose predicate holds for these atomic numbers."""
    z = frozenset(int(e) for e in elements)
    return tuple(d for d in DESCRIPTOR_SETS if d.applies(z))


def analyze(
    structures: Structures,
    *,
    cutoff=None,
    max_ring_size: int = 10,
    angle_bin: float = 2.0,
    hbond_r_oo: float = 3.5,
    hbond_angle: float = 30.0,
    entropy: bool = True,
    entropy_bandwidth: float = ENTROPY_BANDWIDTH,
    descriptor_sets: str | Sequence[str] | None = None,
    cluster: bool = False,
) -> dict:
    """Every descriptor that applies to each structure, as JSON-ready values.

    Always: composition, density, coordination, bond angles, entropy (unless
    ``entropy=False``). Then the system-specific sets of :data:`DESCRIPTOR_SETS`: with
    ``descriptor_sets=None`` (default) those whose predicate holds for the structure's
    composition (C/Si/Ge present: dihedral angles and ring statistics, plus diamond
    crystallinity when the structure holds nothing else; O and H: H-bond network and CHILL+;
    S: S₈ and chain-end fractions). Named sets (e.g. ``["water"]`` or ``"network,sulfur"``;
    an empty sequence for none) are computed for every structure whatever its composition,
    and recorded in ``settings["descriptor_sets"]``; a set whose elements are absent raises
    :class:`InputError`.

    Returns ``{"n_structures", "settings", "structures": [one dict per structure], "mean":
    mean over structures}``; in the mean, numbers are averaged over the structures that have
    them, counts and fractions per key (missing keys count as 0), histograms bin by bin.

    ``cluster=False`` (default): every structure must be periodic; bonds, angles, rings and
    OVITO types use periodic images. ``cluster=True``: every structure is a finite cluster
    (:meth:`Structures.as_clusters`: no images, the cell ignored, positions as stored); the
    definitions are the same without images (surface atoms keep their lower coordination,
    rings are those of the cluster's bond graph), and ``density_g_cm3`` is None (a cluster
    has no volume). ``settings["mode"]`` records which.
    """
    if cluster:
        structures = structures.as_clusters()
    else:
        structures.require_periodic("structural analysis")
    named = None if descriptor_sets is None else named_descriptor_sets(descriptor_sets)
    if entropy:
        positive_number(entropy_bandwidth, "entropy bandwidth")  # before any descriptor is computed
    options = AnalysisSettings(cutoff=cutoff, max_ring_size=max_ring_size, angle_bin=angle_bin,
                               hbond_r_oo=hbond_r_oo, hbond_angle=hbond_angle, cluster=bool(cluster))
    settings = {
        "mode": "cluster" if cluster else "periodic",
        "bond_cutoffs_A": {f"{element_symbol(a)}-{element_symbol(b)}": c
                           for (a, b), c in bond_cutoffs(structures.elements, cutoff).items()},
        "max_ring_size": int(max_ring_size),
        "angle_bin_deg": float(angle_bin),
        "hbond_r_oo_A": float(hbond_r_oo),
        "hbond_angle_deg": float(hbond_angle),
        "entropy_bandwidth": float(entropy_bandwidth) if entropy else None,
    }
    if named is not None:
        settings["descriptor_sets"] = [d.name for d in named]
    reports = []
    for s in structures.split():
        z = set(s.elements)
        rep = {
            "n_atoms": s.n_atoms,
            "composition": {element_symbol(e): int((s.species == e).sum()) for e in sorted(z)},
            "density_g_cm3": None if cluster else float(s.mass_density[0]),
        }
        g = bond_graph(s, cutoff)
        rep.update(coordination(g))
        theta, centre = bond_angles(g)
        rep.update(angle_summary("bond_angle", theta, angle_bin))
        if len(z) > 1:  # per centre element, e.g. O–Si–O at Si and Si–O–Si at O
            for e in sorted(z):
                at_e = theta[g.species[centre] == e]
                if at_e.size:  # H in water has one bond and no angle
                    rep.update(angle_summary(f"bond_angle_{element_symbol(e)}", at_e, angle_bin))
        for d in applicable_descriptor_sets(z) if named is None else named:
            rep.update(d.compute(s, g, options))
        if entropy:
            rep["entropy_nats"] = float(information_entropy(s, bandwidth=entropy_bandwidth)[0])
            rep["entropy_max_nats"] = math.log(s.n_atoms)
        reports.append(rep)
    return {"n_structures": len(reports), "settings": settings, "structures": reports, "mean": mean_report(reports)}


def mean_report(reports: Sequence[Mapping]) -> dict:
    """Mean of per-structure reports (see :func:`analyze`)."""
    keys = []
    for r in reports:
        keys += [k for k in r if k not in keys]
    out = {}
    for key in keys:
        vals = [r[key] for r in reports if r.get(key) is not None]
        if not vals:
            out[key] = None
            continue
        first = vals[0]
        if isinstance(first, bool) or isinstance(first, str):
            if all(v == first for v in vals):
                out[key] = first
        elif isinstance(first, (int, float)):
            out[key] = float(np.mean(vals))
        elif isinstance(first, Mapping):
            sub = sorted({s for v in vals for s in v}, key=lambda s: (len(s), s))
            out[key] = {s: float(np.mean([v.get(s, 0) for v in vals])) for s in sub}
        elif isinstance(first, list) and all(isinstance(v, list) and len(v) == len(first) for v in vals):
            out[key] = np.mean(np.asarray(vals, dtype=float), axis=0).tolist()
    return out
