"""glasslib.simulate.tasks: make_task validates once, up front; simulate delegates to the system's engine."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import glasslib.simulate.tasks as sim
from glasslib.core.errors import InputError
from glasslib.simulate.engine import Engine
from glasslib.simulate.systems import get_system


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(quench_rate=-1.0), "quench rate must be a positive"),
        (dict(quench_rate=0.0), "quench rate must be a positive"),
        (dict(final_temperature=5000.0), "above the melt temperature"),
        (dict(timestep=0.0), "timestep must be positive"),
        (dict(density=-2.0), "density must be a positive"),
        (dict(seed=-1), "seed must be a non-negative"),
        (dict(n_atoms=0), "must be positive"),
        (dict(start="fcc"), "start must be"),
        (dict(no_such_field=1), "unknown protocol field"),
    ],
)
def test_bad_task_inputs(kwargs, match):
    with pytest.raises(InputError, match=match) as exc:
        sim.make_task("a-Si", **kwargs)
    assert "\n" not in str(exc.value)


def test_missing_potential_file(tmp_path):
    with pytest.raises(InputError, match="potential file not found"):
        sim.make_task("a-Si", potential_file=tmp_path / "nope.sw")


def test_water_tasks_and_protocols():
    with pytest.raises(InputError, match="multiple of 24"):
        sim.make_task("HDA", n_atoms=300)
    with pytest.raises(InputError, match="applies to water"):
        sim.make_task("a-Si", start="ice")
    hda = sim.make_task("HDA")
    names = [s.name for s in hda.protocol.stages()]
    assert names[-4:] == ["compress", "hold", "decompress", "relax"]
    assert max(s.p_stop for s in hda.protocol.stages()) == 2.0 and hda.protocol.start == "ice"
    lda = sim.make_task("LDA")
    assert lda.protocol.ensemble == "npt" and lda.protocol.final_temperature == 80.0


def test_defaults_are_filled_in():
    t = sim.make_task("CuZr", composition="Cu64Zr36", seed=3, index=2)
    assert (t.system, t.n_atoms, t.seed, t.index) == ("CuZr-Mendelev", 500, 3, 2)
    assert t.composition == (0.64, 0.36) and t.protocol == get_system("CuZr").protocol
    assert t.filename == "00002_seed3.extxyz" and 6.0 < t.density < 8.5  # ideal-mixing start density
    assert sim.make_task("a-Si", melt_time=2.0).protocol.melt_time == 2.0


class _Recorder(Engine):
    kind = "recorder"
    label = "test"

    def run(self, task, system, *, start=None, log=None, screen=False):
        return task, system, start, log, screen


def test_simulate_hands_the_task_to_the_system_engine(monkeypatch):
    system = replace(get_system("a-Si"), engine=_Recorder())
    monkeypatch.setattr(sim, "get_system", lambda name: system)
    task = sim.make_task(system, n_atoms=8)
    assert sim.simulate(task, start="s", log="l", screen=True) == (task, system, "s", "l", True)
    with pytest.raises(InputError, match="without an MD start"):
        sim.initial_configuration(task, np.random.default_rng(0))


def test_a_diamond_start_needs_8_m3_atoms_before_anything_runs(tmp_path):
    """The atom count of a crystal start is checked when the task is made, so `glass simulate` leaves no
    output folder behind."""
    import subprocess
    import sys

    with pytest.raises(InputError, match="8 m\\^3 atoms"):
        sim.make_task("a-Si", n_atoms=100, start="diamond")
    assert sim.make_task("a-Si", n_atoms=216, start="diamond").protocol.start == "diamond"
    out = tmp_path / "run"
    res = subprocess.run([sys.executable, "-m", "glasslib", "simulate", "a-Si-SW", "--start", "diamond", "--atoms", "100",
                          "--out", str(out), "--quiet"], capture_output=True, text=True)
    assert res.returncode == 2 and "8 m^3 atoms" in res.stderr and "Traceback" not in res.stderr
    assert not out.exists()
