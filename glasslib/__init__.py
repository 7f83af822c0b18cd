"""glasslib: Generative Learning of Amorphous Structures from Spectra.

Subpackages follow the data flow, and this is their dependency order (each imports only those
before it; tests/test_layout.py checks it):

1. ``core``: errors, atomic writes, paths, units, the one :class:`Structures` batch type, periodic geometry;
2. ``simulate``: low-fidelity training data (systems, starts, protocols, LAMMPS/ASE engines, datasets);
3. ``spectra``: differentiable g(r), ADF, S(Q)/F(Q), measured readers, the registry of spectrum kinds, targets;
4. ``diffusion``: score network, VE SDE, training, guidance, samplers and the one recipe :func:`generate`;
5. ``rmc``: the reverse Monte Carlo baseline;
6. ``analysis``: bond graph, descriptors, rings, system-specific descriptors, OVITO adapter, metrics;
7. ``plotting``: figure style and saving;
8. ``studies``: one module per figure, the computations its notebook calls;
9. ``workflows``: batches of notebooks;
10. ``cli``: the ``glass`` command.

The names users reach for are available here (imported on first use)::

    import glasslib
    target = glasslib.read_target("gr_measured.csv", "gr")
    out = glasslib.generate(checkpoint, glasslib.SampleConfig(n=4, atoms=216, density=2.28, seed=0),
                            [glasslib.GuidanceTerm(target)])
    atoms = glasslib.sample_structures(checkpoint, 2, seed=0)   # ase.Atoms in the training set's default cell
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public names -> the module that defines them
_API = {
    "Structures": "glasslib.core.structures",
    "read_structures": "glasslib.core.structures",
    "write_extxyz": "glasslib.core.structures",
    "KINDS": "glasslib.spectra.kinds",
    "Target": "glasslib.spectra.targets",
    "read_target": "glasslib.spectra.targets",
    "load_checkpoint": "glasslib.diffusion.training",
    "SampleConfig": "glasslib.diffusion.generate",
    "GuidanceTerm": "glasslib.diffusion.generate",
    "generate": "glasslib.diffusion.generate",
    "write_samples": "glasslib.diffusion.generate",
    "sample_into": "glasslib.diffusion.generate",
    "sample_structures": "glasslib.diffusion.generate",
    "build_prior": "glasslib.diffusion.priors",
    "error_diversity": "glasslib.analysis.metrics",
}
_SUBPACKAGES = ("core", "simulate", "spectra", "diffusion", "rmc", "analysis", "plotting", "studies", "workflows", "cli")

__all__ = ["__version__", *_API, *_SUBPACKAGES]


def __getattr__(name: str):
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"glasslib.{name}")
    raise AttributeError(f"module 'glasslib' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
