"""How well an ensemble fits its targets: agreement per target, error against diversity, local structure.

:func:`fit_report` takes an ensemble (a :class:`~glasslib.core.structures.Structures` batch of G
structures), the targets it was made to fit (:class:`~glasslib.spectra.targets.Target`, each
with its measurement model) and, optionally, a reference ensemble, and returns one JSON-ready
dict that ``glass report``, the notebooks and :func:`glasslib.plotting.plot_fit_report` share:

* per target: Wright's R-factor and the RMSE of the ensemble's mean spectrum against the target
  (:mod:`glasslib.analysis.metrics`), the same for each structure (mean, min, max), and the
  curves (target, ensemble mean and standard deviation on the target's grid) for the figure;
* with a reference ensemble (R ≥ 2 structures): error against diversity on the target's grid
  (E, D, ΔED and their normalised forms, docs/metrics.md) between the ensemble's spectra and
  the reference's;
* ``local_structure``: the mean of :func:`glasslib.analysis.report.analyze` over the ensemble
  (coordination, angles, rings or the system's own descriptors).

Spectra are computed as the target's measurement records them (:meth:`Target.observable`), in
float64, without gradients. r and θ targets on uneven grids are first put on a uniform grid
(:meth:`Target.uniform`), as guidance does.
"""

from __future__ import annotations

from typing import Sequence

import torch

from glasslib.analysis.metrics import ASYMPTOTES, error_diversity, r_factor, rmse
from glasslib.analysis.report import analyze
from glasslib.core.errors import InputError
from glasslib.core.structures import Structures
from glasslib.spectra.targets import Target


def _curves(target: Target, structures: Structures) -> torch.Tensor:
    """(S, K) spectra of ``structures`` on the target's grid, float64, no gradient."""
    with torch.no_grad():
        observe = target.observable(dtype=structures.dtype, device=structures.device)
        return observe(structures).reshape(structures.n_systems, -1).double().cpu()


def target_agreement(target: Target, structures: Structures, reference: Structures | None = None) -> dict:
    """Agreement of one target with the ensemble (module docstring); JSON-ready."""
    target = target.uniform()
    curves = _curves(target, structures)
    y = target.values()
    mean = curves.mean(0)
    each = r_factor(curves, y.expand_as(curves))
    entry = {
        "kind": target.kind,
        "source": target.source,
        "points": len(target.x),
        "x_range": [target.x[0], target.x[-1]],
        "measurement": None if target.measurement is None else target.measurement.given(),
        "r_factor": float(r_factor(mean, y)),
        "rmse": float(rmse(mean, y)),
        "r_factor_per_structure": {"mean": float(each.mean()), "min": float(each.min()), "max": float(each.max())},
        "curves": {"x": list(target.x), "target": y.tolist(), "mean": mean.tolist(),
                   "std": curves.std(0).tolist() if curves.shape[0] > 1 else [0.0] * len(target.x)},
    }
    if reference is not None:
        if reference.n_systems < 2:
            raise InputError("error against diversity needs a reference ensemble of at least 2 structures")
        ed = error_diversity(curves, _curves(target, reference), asymptote=ASYMPTOTES.get(target.kind))
        entry["error_diversity"] = ed.to_dict()
    return entry


def fit_report(structures: Structures, targets: Sequence[Target], *, reference: Structures | None = None,
               local_structure: bool = True, **analysis) -> dict:
    """The fit report of an ensemble (module docstring).

    Args:
        structures: the ensemble, G structures.
        targets: the targets (at least one).
        reference: optional reference ensemble for error against diversity.
        local_structure: include the mean local-structure report.
        analysis: options of :func:`glasslib.analysis.report.analyze` (``cutoff``, ``cluster``, ...).

    Returns:
        ``{"n_structures", "targets": [one :func:`target_agreement` per target],
        "local_structure": mean report or None}``.
    """
    if not targets:
        raise InputError("a fit report needs at least one target")
    report = {
        "n_structures": structures.n_systems,
        "n_reference": None if reference is None else reference.n_systems,
        "targets": [target_agreement(t, structures, reference) for t in targets],
        "local_structure": analyze(structures, **analysis)["mean"] if local_structure else None,
    }
    return report


__all__ = ["fit_report", "target_agreement"]
