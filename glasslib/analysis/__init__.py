"""Analysis: structural descriptors (bond graph, coordination, angles, rings, entropy), the
system-specific descriptor sets (tetrahedral networks, water, sulfur) chosen by one registry, the
OVITO adapter (OVITO imported lazily) and the spectral metrics (error, diversity, ΔED)."""

from glasslib.analysis.bonds import BondGraph, bond_cutoffs, bond_graph
from glasslib.analysis.descriptors import (
    AnalysisSettings,
    angle_histogram,
    bond_angles,
    coordination,
    dihedral_angles,
    information_entropy,
)
from glasslib.analysis.rings import ring_statistics, shortest_path_rings
from glasslib.analysis.tetrahedral import TETRAHEDRAL, crystallinity
from glasslib.analysis.water import chill_plus_phases, hydrogen_bonds
from glasslib.analysis.sulfur_network import sulfur_rings
from glasslib.analysis.report import DESCRIPTOR_SETS, DescriptorSet, analyze, mean_report
from glasslib.analysis.local_structure import LocalStructure, local_structure
from glasslib.analysis.ovito_adapter import coordination_rdf
from glasslib.analysis.metrics import error_diversity, r_factor, rank_correlation, rmse, spectral_diversity, spectral_error

__all__ = [
    "BondGraph", "bond_cutoffs", "bond_graph",
    "AnalysisSettings", "angle_histogram", "bond_angles", "coordination", "dihedral_angles", "information_entropy",
    "ring_statistics", "shortest_path_rings",
    "TETRAHEDRAL", "crystallinity", "chill_plus_phases", "hydrogen_bonds", "sulfur_rings",
    "DESCRIPTOR_SETS", "DescriptorSet", "analyze", "mean_report", "LocalStructure", "local_structure", "coordination_rdf",
    "error_diversity", "r_factor", "rank_correlation", "rmse", "spectral_diversity", "spectral_error",
]
