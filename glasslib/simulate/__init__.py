"""Simulate: low-fidelity training data. Model systems (each declaring the engine that makes its
structures: LAMMPS, ASE with CHGNet, or a builder), start configurations, melt-quench protocols and
declared, content-hash-cached datasets."""

from glasslib.simulate.protocols import Protocol, Stage
from glasslib.simulate.engine import Engine, StructureTask, System
from glasslib.simulate.systems import SYSTEMS, get_system
from glasslib.simulate.tasks import make_task, simulate
from glasslib.simulate.ice import ice_rule_report
from glasslib.simulate.datasets import DatasetSpec, build, build_spec, get_spec, load_specs, read_dataset

__all__ = [
    "Protocol", "Stage", "SYSTEMS", "System", "get_system", "StructureTask", "make_task", "simulate",
    "DatasetSpec", "build", "build_spec", "get_spec", "load_specs", "read_dataset", "Engine", "ice_rule_report",
]
