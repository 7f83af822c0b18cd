"""Reverse Monte Carlo: the baseline GLASS is compared with (numba kernels, incremental histograms).

Starts (:mod:`glasslib.rmc.starts`), the observables as affine maps of the distance histograms
(:mod:`glasslib.rmc.observables`) and the run itself (:mod:`glasslib.rmc.engine`). Its targets are
:class:`glasslib.spectra.targets.Target` of the kinds in :data:`KINDS`."""

from glasslib.rmc.targets import DEFAULT_SIGMA, KINDS, require_rmc_kinds
from glasslib.rmc.starts import closest_approach, liquid_start, parse_species, random_start, species_array
from glasslib.rmc.observables import histogram_pair_distribution
from glasslib.rmc.engine import RMC, RMC_REVISION, RMCConfig

__all__ = ["DEFAULT_SIGMA", "KINDS", "require_rmc_kinds", "closest_approach", "liquid_start", "parse_species",
           "random_start", "species_array", "histogram_pair_distribution", "RMC", "RMC_REVISION", "RMCConfig"]
