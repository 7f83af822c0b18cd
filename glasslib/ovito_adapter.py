"""OVITO, in one lazily imported adapter (non-differentiable analysis and rendering).

OVITO is imported inside the functions, so importing glasslib never loads it. Every
function takes a :class:`~glasslib.structures.Structures` batch and returns plain numpy
arrays or dicts, one entry per structure where that applies.
"""

from __future__ import annotations

import numpy as np

from glasslib.structures import Structures, to_ase


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
