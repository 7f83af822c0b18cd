"""Sanity checks on a target before anything is fitted to it: wrong kind, wrong units, offsets.

A target read with the wrong ``--kind`` (an S(Q) file as g(r)), in the wrong unit (Q in nm⁻¹, r
in nm, 2θ read as Q) or with a plot offset (a digitized g(r) shifted by +2) is a valid table of
numbers; fitting it gives wrong structures without any error. Each check here looks at the
curve the way a person would and raises one :class:`~glasslib.core.errors.InputError` line
naming the file, the check and the option that skips it:

==============  ===========================================================  ===================
check           what it asks                                                  kinds
==============  ===========================================================  ===================
``baseline``    the curve tends to its limit at the high end of its grid:     gr Gr sq fq
                g, S → 1 and G, F → 0 (mean over the last quarter of the
                grid, once the grid is long enough to tell)
``low-r``       no pair closer than 0.6 × the shortest covalent pair           gr Gr
                (:data:`LOW_R_FACTOR`): g ≈ 0 and G ≤ 0 there
``peak``        the tallest peak sits where the composition puts it: r         gr Gr sq fq
                within [0.75 d_min, 1.4 d_max] (d from covalent radii) or
                within :data:`Q_PEAK_RANGE` Å⁻¹ — the units check (nm, nm⁻¹,
                2θ and S(Q)-as-g(r) files fail it)
``overlap``     the target's grid overlaps what the model cell can represent  every kind
                (r < L/2, Q > 2π/L) and the kind's grid for xanes/exafs
``grid``        at least :data:`MIN_POINTS` distinct x values, with a median  every kind
                step no coarser than :data:`MAX_MEDIAN_STEP` (a curve of a
                few points, linearly interpolated, is not the measured one)
==============  ===========================================================  ===================

Grids that are not sorted are sorted when read, and duplicate x values (vertical steps of a
digitized curve) are averaged when interpolated (:func:`glasslib.spectra.measured.to_grid`);
neither is an error. docs/errors.md lists every refusal.

The thresholds are deliberately loose (measured curves carry termination ripples, noise and
normalisation errors); tests/test_target_checks.py runs them on every measured file under
``data/`` (all pass) and on the wrong readings above (all fail). Targets computed from
structures are not checked.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np
from ase.data import covalent_radii

from glasslib.core.errors import InputError
from glasslib.spectra.form_factors import atomic_number

#: every check, by the name ``--skip-check`` takes
CHECKS = ("baseline", "low-r", "peak", "overlap", "grid")
#: fewest distinct grid points a target may have
MIN_POINTS = 10
#: coarsest median grid step by abscissa (r Å, Q and k Å⁻¹, θ degrees, XANES grid index); the
#: shipped digitized curves have median steps of 0.02–0.07
MAX_MEDIAN_STEP = {"r": 0.25, "Q": 0.5, "theta": 5.0, "k": 0.5, "index": 5.0}
#: grid extent beyond which the high end must show the limit: r (Å), Q (Å⁻¹)
BASELINE_FROM = {"r": 6.0, "Q": 10.0}
#: allowed |mean − limit| over the last quarter: g and S (absolute), G and F (fraction of max |y|)
BASELINE_TOLERANCE = {"gr": 0.25, "sq": 0.25, "Gr": 0.3, "fq": 0.3}
#: no pair closer than this fraction of the shortest covalent pair distance
LOW_R_FACTOR = 0.6
#: tallest peak of S(Q) − 1 or F(Q), Å⁻¹ (the principal peak of liquids and glasses)
Q_PEAK_RANGE = (0.8, 12.0)
#: tallest peak of g(r) or G(r) relative to the shortest and longest covalent pair distance
R_PEAK_FACTORS = (0.75, 1.4)
#: covalent pair range (Å) assumed when the composition is not known
R_PEAK_DEFAULT = (1.0, 3.0)


def _fail(target, check: str, problem: str) -> None:
    raise InputError(f"target check '{check}' failed: {problem}; if the file is right, skip the check with "
                     f"--skip-check {check}", target.source)


def pair_distance_range(composition: Mapping | Iterable | None) -> tuple[float, float]:
    """(shortest, longest) sum of covalent radii (Å) over the element pairs of ``composition``
    ({element: fraction} or elements); :data:`R_PEAK_DEFAULT` when it is None or empty."""
    elements = list(composition or ())
    if not elements:
        return R_PEAK_DEFAULT
    radii = [float(covalent_radii[atomic_number(e)]) for e in elements]
    return 2 * min(radii), 2 * max(radii)


def _baseline(target, x: np.ndarray, y: np.ndarray) -> None:
    kind = target.quantity
    if kind not in BASELINE_TOLERANCE or x[-1] < BASELINE_FROM[target.spectrum_kind.x_name]:
        return
    tail = y[x >= x[0] + 0.75 * (x[-1] - x[0])]
    limit = 1.0 if kind in ("gr", "sq") else 0.0
    scale = 1.0 if kind in ("gr", "sq") else max(float(np.abs(y).max()), 1e-12)
    off = float(tail.mean()) - limit
    if abs(off) > BASELINE_TOLERANCE[kind] * scale:
        name = {"gr": "g(r)", "sq": "S(Q)", "Gr": "G(r)", "fq": "F(Q)"}[kind]
        _fail(target, "baseline", f"{name} should tend to {limit:g} at high {target.spectrum_kind.x_name}, but its "
              f"last quarter averages {tail.mean():.3g} (an offset, a different normalisation, or another kind?)")


def _low_r(target, x: np.ndarray, y: np.ndarray, d_min: float) -> None:
    if target.quantity not in ("gr", "Gr"):
        return
    inner = x < LOW_R_FACTOR * d_min
    if inner.sum() < 3:
        return
    mean = float(y[inner].mean())
    bad = abs(mean) > 0.2 if target.quantity == "gr" else mean > 0.1 * max(float(np.abs(y).max()), 1e-12)
    if bad:
        what = "g(r) ≈ 0" if target.quantity == "gr" else "G(r) = −4πρ₀r ≤ 0"
        _fail(target, "low-r", f"below r = {LOW_R_FACTOR * d_min:.2f} Å (no pairs that close) expected {what}, "
              f"found a mean of {mean:.3g} (an offset, or not a real-space function?)")


def _tallest_peak(target, x: np.ndarray, y: np.ndarray) -> float:
    v = y - 1.0 if target.quantity == "sq" else y
    return float(x[int(np.argmax(v))])


def _peak(target, x: np.ndarray, y: np.ndarray, d: tuple[float, float]) -> None:
    axis = target.spectrum_kind.x_name
    if target.quantity not in ("gr", "Gr", "sq", "fq") or x.size < 5:
        return
    at = _tallest_peak(target, x, y)
    if axis == "r":
        lo, hi = R_PEAK_FACTORS[0] * d[0], R_PEAK_FACTORS[1] * d[1]
        hint = " (r in nm? use --x-unit nm)" if lo <= 10 * at <= hi else \
            " (an S(Q), F(Q) or J(r) = 4πr²ρ₀g(r) file?)" if at > hi else ""
        unit = "Å"
    else:
        lo, hi = Q_PEAK_RANGE
        hint = " (Q in nm⁻¹ or a 2θ column? use --x-unit 1/nm, or --x-unit 2theta --wavelength λ)" if at > hi else ""
        unit = "Å⁻¹"
    if not lo <= at <= hi:
        _fail(target, "peak", f"the tallest peak is at {at:.3g} {unit}, outside the {lo:.2f}–{hi:.2f} {unit} "
              f"expected for this composition{hint}")


def _grid(target, x: np.ndarray) -> None:
    distinct = np.unique(x)
    if distinct.size < MIN_POINTS:
        _fail(target, "grid", f"only {distinct.size} distinct x value{'s' if distinct.size != 1 else ''}; a target needs "
              f"at least {MIN_POINTS}")
    axis = target.spectrum_kind.x_name
    step = float(np.median(np.diff(distinct)))
    limit = MAX_MEDIAN_STEP.get(axis)
    if limit is not None and step > limit:
        unit = target.spectrum_kind.x_unit
        _fail(target, "grid", f"its median step of {step:.3g} {unit} is coarser than {limit:g} {unit}: too coarse to "
              "resolve the peaks (interpolating it would fit a different curve)")


def check_overlap(target, box: float | None = None) -> None:
    """The ``overlap`` check: enough of the target's grid is representable in a cubic cell of
    edge ``box`` (Å) and, for surrogate kinds, inside the kind's own grid."""
    x = np.asarray(target.x)
    kind = target.spectrum_kind
    if kind.x_name in ("k", "index"):
        lo, hi = kind.grid.start, kind.grid.stop
        inside = ((x >= lo - 1e-9) & (x <= hi + 1e-9)).mean()
        if inside < 0.5:
            _fail(target, "overlap", f"only {100 * inside:.0f} % of its {kind.x_name} grid lies in the surrogate's "
                  f"{lo:g}–{hi:g} {kind.x_unit}")
        return
    if box is None or kind.x_name not in ("r", "Q"):
        return
    if kind.x_name == "r":
        inside, where = (x <= box / 2).mean(), f"r ≤ L/2 = {box / 2:.2f} Å"
    else:
        inside, where = (x >= 2 * math.pi / box).mean(), f"Q ≥ 2π/L = {2 * math.pi / box:.2f} Å⁻¹"
    if inside < 0.5:
        _fail(target, "overlap", f"only {100 * inside:.0f} % of its grid lies where a {box:.2f} Å cell can represent it "
              f"({where}); use a larger cell (--atoms) or trim the target")


def check_target(target, composition: Mapping | Iterable | None = None, *, skip: Iterable[str] = (),
                 box: float | None = None) -> None:
    """Run every check of the module table on ``target`` except those in ``skip``.

    Args:
        target: a :class:`~glasslib.spectra.targets.Target`.
        composition: {element: fraction} or elements of the model (None: loose defaults).
        skip: names from :data:`CHECKS` to leave out.
        box: edge of the model's cubic cell, Å, for ``overlap`` (None: not checked).

    Raises:
        InputError: one line naming the file, the check and ``--skip-check NAME``.
    """
    skip = set(skip)
    unknown = skip - set(CHECKS)
    if unknown:
        raise InputError(f"unknown check(s) {', '.join(sorted(unknown))}; the checks are {', '.join(CHECKS)}",
                         target.source)
    x, y = np.asarray(target.x), np.asarray(target.y)
    d = pair_distance_range(composition)
    if "peak" not in skip:  # first: its message names the unit to use
        _peak(target, x, y, d)
    if "grid" not in skip:  # before the others, which need a curve to look at
        _grid(target, x)
    if "baseline" not in skip:
        _baseline(target, x, y)
    if "low-r" not in skip:
        _low_r(target, x, y, d[0])
    if "overlap" not in skip:
        check_overlap(target, box)


__all__ = ["CHECKS", "check_target", "check_overlap", "pair_distance_range"]
