"""Melt-quench protocols: the MD schedule every training structure is made with.

A :class:`Protocol` is melt -> linear quench -> anneal -> optional extra stages -> optional
minimisation, every parameter explicit, in the units given in its docstring (K, ps, K/ps, fs,
GPa). :meth:`Protocol.stages` lists the MD segments as :class:`Stage` s (thermostat and
barostat targets ramped linearly over each), which :mod:`glasslib.simulate.lammps` turns into LAMMPS
``fix nvt`` / ``fix npt`` runs (:mod:`glasslib.simulate.ase_md` into Langevin runs). :func:`canonical_json` gives the stable serialisation used for
content hashes and metadata.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, fields, replace

import numpy as np

from glasslib.core.errors import InputError


#: every protocol start (each system accepts a subset: ``System.starts``)
STARTS = ("random", "lattice", "diamond", "ice", "rings", "chains")


@dataclass(frozen=True)
class Stage:
    """One MD segment: the thermostat target ramps linearly ``t_start -> t_stop`` (K) over
    ``time`` (ps); in ``npt`` the barostat target ramps ``p_start -> p_stop`` (GPa).

    ``shear`` > 0: the cell is also sheared at a constant rate by this engineering shear strain
    over the stage (one tilt factor, xy, xz or yz, with its sign, drawn from the task's seed; the
    mechanical route to medium-density amorphous ice, :data:`glasslib.simulate.systems.MDA_TIP4P2005`).
    LAMMPS engines only. A stage without shear serialises as before (no ``shear`` key), so the
    content hashes of existing sets do not change."""

    name: str
    time: float
    t_start: float
    t_stop: float
    ensemble: str = "nvt"
    p_start: float = 0.0
    p_stop: float = 0.0
    shear: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        if not self.shear:
            d.pop("shear")
        return d


@dataclass(frozen=True)
class Protocol:
    """Melt-quench schedule; stages follow :meth:`stages`.

    start: ``"random"`` (uniform positions with a minimum distance; random molecular
      orientations for water), ``"lattice"`` (simple-cubic sites, species shuffled), ``"diamond"``
      (a cubic-diamond crystal filling the cell, 8 m³ atoms; a-Si SW) or ``"ice"``
      (proton-disordered ice Ih, water only), ``"rings"`` or ``"chains"`` (packed S₈ rings or open
      S chains, sulfur only: :mod:`glasslib.simulate.sulfur`). The start is relaxed briefly, then "melted"
      (held at ``melt_temperature``; set it to the final temperature to keep a crystal).
    melt_temperature (K), melt_time (ps): equilibration of the liquid.
    quench_rate (K/ps): linear ramp of the thermostat target from melt to final temperature
      (1 K/ps = 1e12 K/s).
    final_temperature (K), anneal_time (ps): hold after the quench.
    extra_stages: further :class:`Stage` s after the anneal (e.g. compression).
    minimize: conjugate-gradient minimisation at the end (with box relaxation in NPT).
    ensemble: ``"nvt"`` at the given density, or ``"npt"`` at ``pressure`` (GPa), in which
      case the density is only the starting density.
    timestep (fs); thermostat_damping, barostat_damping (ps): Nosé-Hoover damping times.
    """

    start: str = "random"
    melt_temperature: float = 3000.0
    melt_time: float = 10.0
    quench_rate: float = 10.0
    final_temperature: float = 300.0
    anneal_time: float = 10.0
    minimize: bool = True
    ensemble: str = "nvt"
    pressure: float = 0.0
    timestep: float = 1.0
    thermostat_damping: float = 0.1
    barostat_damping: float = 1.0
    extra_stages: tuple[Stage, ...] = ()

    def __post_init__(self):
        # accept dicts (from YAML/JSON) for the extra stages
        stages = tuple(s if isinstance(s, Stage) else Stage(**s) for s in self.extra_stages)
        object.__setattr__(self, "extra_stages", stages)

    def validate(self, where: str | None = None) -> "Protocol":
        """Raise :class:`InputError` for a schedule LAMMPS cannot or should not run."""
        if self.start not in STARTS:
            raise InputError(f"protocol start must be one of {', '.join(STARTS)}, got {self.start!r}", where)
        if self.ensemble not in ("nvt", "npt"):
            raise InputError(f"protocol ensemble must be 'nvt' or 'npt', got {self.ensemble!r}", where)
        if not (self.quench_rate > 0 and math.isfinite(self.quench_rate)):
            raise InputError(f"quench rate must be a positive number of K/ps, got {self.quench_rate}", where)
        for name in ("melt_temperature", "final_temperature", "timestep", "thermostat_damping", "barostat_damping"):
            v = getattr(self, name)
            if not (v > 0 and math.isfinite(v)):
                raise InputError(f"{name.replace('_', ' ')} must be positive, got {v}", where)
        for name in ("melt_time", "anneal_time"):
            v = getattr(self, name)
            if not (v >= 0 and math.isfinite(v)):
                raise InputError(f"{name.replace('_', ' ')} must be zero or positive, got {v}", where)
        if self.final_temperature > self.melt_temperature:
            raise InputError(
                f"final temperature {self.final_temperature} K is above the melt temperature {self.melt_temperature} K",
                where,
            )
        if self.thermostat_damping < 2 * self.timestep * 1e-3:
            raise InputError("thermostat damping must be at least two timesteps", where)
        for s in self.extra_stages:
            if s.ensemble not in ("nvt", "npt") or not (s.time >= 0) or s.t_start <= 0 or s.t_stop <= 0:
                raise InputError(f"invalid extra stage {s}", where)
            if not (math.isfinite(s.shear) and 0 <= s.shear <= 1):
                raise InputError(f"stage {s.name!r}: shear strain must lie in [0, 1], got {s.shear}", where)
        return self

    @property
    def quench_time(self) -> float:
        """ps, (T_melt - T_final) / rate."""
        return (self.melt_temperature - self.final_temperature) / self.quench_rate

    def stages(self) -> tuple[Stage, ...]:
        p = self.pressure
        return (
            Stage("melt", self.melt_time, self.melt_temperature, self.melt_temperature, self.ensemble, p, p),
            Stage("quench", self.quench_time, self.melt_temperature, self.final_temperature, self.ensemble, p, p),
            Stage("anneal", self.anneal_time, self.final_temperature, self.final_temperature, self.ensemble, p, p),
        ) + self.extra_stages

    def steps(self, stage: Stage) -> int:
        return int(round(stage.time * 1000.0 / self.timestep))

    @property
    def n_md_steps(self) -> int:
        return sum(self.steps(s) for s in self.stages())

    def to_dict(self) -> dict:
        d = asdict(self)
        d["extra_stages"] = [s.to_dict() for s in self.extra_stages]
        return d

    @classmethod
    def from_dict(cls, d: dict, where: str | None = None) -> "Protocol":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise InputError(f"unknown protocol field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}", where)
        return cls(**d)

    def replace(self, **changes) -> "Protocol":
        return replace(self, **changes)


def canonical_json(obj) -> str:
    """Stable JSON for hashing (sorted keys, no whitespace)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, tuple):
        return list(o)
    if hasattr(o, "to_dict"):
        return o.to_dict()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
