"""Spectra: differentiable observables of structures, measured-data readers and conversions.

Pure functions of a :class:`~glasslib.core.Structures` batch and a grid; device and dtype follow
the inputs. g(r) and its transforms (:mod:`.rdf`), bond-angle distributions (:mod:`.angles`),
Faber–Ziman S(Q)/F(Q) (:mod:`.scattering`, form factors in :mod:`.form_factors`), readers for
measured spectra (:mod:`.measured`), C K-edge XANES through a learned surrogate
(:mod:`.xanes_surrogate`, descriptors in :mod:`.xanes_features`, training in :mod:`.xanes`), Cu K-edge
EXAFS k²χ(k) through a surrogate of FEFF (:mod:`.exafs_surrogate`; FEFF driver :mod:`.exafs_feff`,
data set :mod:`.exafs_data`, fit :mod:`.exafs`).
"""

from glasslib.spectra.rdf import (
    PairDistribution,
    differential_correlation,
    pair_distribution,
    radial_distribution,
    reduced_pdf,
    running_coordination,
    total_correlation,
)
from glasslib.spectra.angles import bond_angle_distribution, bond_angles, coordination_numbers
from glasslib.spectra.scattering import (
    StructureFactor,
    structure_factor,
    structure_factor_from_gr,
)
from glasslib.spectra.transforms import fq_from_pdf, pdf_from_fq
from glasslib.spectra.measured import (
    MeasuredSpectrum,
    convert,
    read_columns,
    read_mint01,
    read_spectrum,
    read_exafs,
    read_xanes,
    to_grid,
)
from glasslib.spectra.xanes_features import DescriptorConfig, absorber_descriptors
from glasslib.spectra.xanes_surrogate import XanesConfig, XanesSurrogate, shipped_surrogate, xanes_spectrum
from glasslib.spectra.exafs_surrogate import ExafsConfig, ExafsSurrogate, exafs_spectrum

__all__ = [
    "PairDistribution", "pair_distribution", "reduced_pdf", "differential_correlation", "total_correlation",
    "radial_distribution", "running_coordination", "bond_angle_distribution", "bond_angles", "coordination_numbers",
    "StructureFactor", "structure_factor", "structure_factor_from_gr", "pdf_from_fq", "fq_from_pdf",
    "MeasuredSpectrum", "read_columns", "read_mint01", "read_spectrum", "read_xanes", "read_exafs", "convert", "to_grid",
    "DescriptorConfig", "absorber_descriptors", "XanesConfig", "XanesSurrogate", "shipped_surrogate", "xanes_spectrum",
    "ExafsConfig", "ExafsSurrogate", "exafs_spectrum",
]
