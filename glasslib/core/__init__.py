"""Core: errors, atomic writes, paths, units, the one :class:`Structures` batch type and periodic geometry.

Everything else in glasslib builds on these; nothing here imports another glasslib subpackage.
"""

from glasslib.core.errors import GlassError, InputError
from glasslib.core.atomic_io import atomic_write_bytes, atomic_write_text, sha256_file
from glasslib.core.paths import cache_dir, data_dir, data_path, figures_dir
from glasslib.core.units import AMU_PER_A3_TO_G_PER_CM3, atomic_masses, cubic_box_length, mass_density
from glasslib.core.structures import Structures, concatenate, from_ase, read_structures, to_ase, write_extxyz
from glasslib.core.geometry import minimum_image, neighbor_pairs, pair_distances, wrap, wrap_positions

__all__ = [
    "GlassError", "InputError", "atomic_write_bytes", "atomic_write_text", "sha256_file", "cache_dir", "data_dir", "data_path",
    "figures_dir", "AMU_PER_A3_TO_G_PER_CM3", "atomic_masses", "cubic_box_length", "mass_density", "Structures",
    "concatenate", "from_ase", "read_structures", "to_ase", "write_extxyz", "minimum_image", "neighbor_pairs",
    "pair_distances", "wrap", "wrap_positions",
]
