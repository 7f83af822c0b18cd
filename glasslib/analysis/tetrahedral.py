"""Descriptors of tetrahedral networks (C, Si, Ge and their compounds; non-differentiable).

==========================  ==================================================================
descriptor                  definition
==========================  ==================================================================
network                     dihedral angles (:func:`glasslib.analysis.descriptors.dihedral_angles`)
                            and ring statistics (:func:`glasslib.analysis.rings.ring_statistics`)
                            of any structure that holds C, Si or Ge
crystallinity               fractions of OVITO IdentifyDiamond types; ``crystallinity_cubic``
                            counts the cubic type and its first/second-neighbour classes
                            (structures of C, Si and Ge only)
==========================  ==================================================================

:func:`network_descriptors` and :func:`diamond_descriptors` are the ``network`` and ``diamond``
entries of the registry in :mod:`glasslib.analysis.report`.
"""

from __future__ import annotations

from glasslib.analysis.bonds import BondGraph
from glasslib.analysis.descriptors import AnalysisSettings, angle_summary, dihedral_angles
from glasslib.analysis.ovito_adapter import identify_diamond
from glasslib.analysis.rings import ring_statistics
from glasslib.core.structures import Structures

#: elements for which diamond types, rings and dihedrals are reported
TETRAHEDRAL = frozenset({6, 14, 32})


def crystallinity(structures: Structures, *, cluster: bool = False) -> list[dict]:
    """Diamond-type fractions per structure (OVITO IdentifyDiamondModifier; ``cluster``: finite
    clusters without images, whose surface atoms count as ``other``)."""
    out = []
    for res in identify_diamond(structures, cluster=cluster):
        f = res["fractions"]
        cubic = sum(v for k, v in f.items() if k.startswith("cubic"))
        hexa = sum(v for k, v in f.items() if k.startswith("hex"))
        out.append({
            "crystallinity_cubic": cubic,
            "crystallinity_hexagonal": hexa,
            "crystallinity": cubic + hexa,
            "diamond_type_fractions": dict(f),
        })
    return out


def network_descriptors(structure: Structures, graph: BondGraph, settings: AnalysisSettings) -> dict:
    """Dihedral angles and ring statistics of one structure."""
    return {
        **angle_summary("dihedral", dihedral_angles(graph), settings.angle_bin),
        **ring_statistics(structure, settings.cutoff, settings.max_ring_size, cluster=settings.cluster)[0],
    }


def diamond_descriptors(structure: Structures, graph: BondGraph, settings: AnalysisSettings) -> dict:
    """Diamond-type fractions of one structure."""
    return crystallinity(structure, cluster=settings.cluster)[0]
