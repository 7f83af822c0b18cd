"""glasslib.simulate.datasets: declared specification, content-hash cache, resumable atomic builds."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import ase.io
import pytest

import glasslib.simulate.datasets as ds
import glasslib.simulate.tasks as sim
from glasslib.core.errors import InputError
from glasslib.simulate.engine import counters
from glasslib.simulate.systems import SYSTEMS, get_system

FAST = dict(melt_time=1.0, quench_rate=1000.0, anneal_time=0.5)


def _tiny_tasks(n=3):
    return [sim.make_task("a-Si", n_atoms=32, seed=100 + k, index=k, **FAST) for k in range(n)]


def test_build_resumes_and_never_leaves_partial_files(tmp_path, monkeypatch):
    tasks = _tiny_tasks(3)
    out = tmp_path / "set"
    real = sim.simulate
    calls = {"n": 0}

    def interrupted(task, **kw):  # the second structure dies half-way (e.g. Ctrl-C)
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(task, **kw)

    monkeypatch.setattr(sim, "simulate", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ds.build(tasks, out, progress=False)
    files = sorted(p.name for p in out.iterdir())
    assert files == [".build.lock", "00000_seed100.extxyz", "manifest.json"]  # no half-written file
    monkeypatch.setattr(sim, "simulate", real)

    before = counters["lammps_runs"]
    first = (out / "00000_seed100.extxyz").read_bytes()
    res = ds.build(tasks, out, progress=False)
    assert counters["lammps_runs"] - before == 2  # only the two missing ones
    assert (res.computed, res.skipped) == (2, 1)
    assert (out / "00000_seed100.extxyz").read_bytes() == first
    before = counters["lammps_runs"]
    res = ds.build(tasks, out, progress=False)
    assert counters["lammps_runs"] == before and res.computed == 0
    frames = [ase.io.read(p) for p in res.paths]
    assert [f.info["seed"] for f in frames] == [100, 101, 102]


def test_build_refuses_a_folder_of_another_dataset(tmp_path):
    out = tmp_path / "set"
    ds.build(_tiny_tasks(1), out, progress=False)
    other = [sim.make_task("a-Si", n_atoms=32, seed=100, index=0, **{**FAST, "quench_rate": 900.0})]
    with pytest.raises(InputError, match="different dataset"):
        ds.build(other, out, progress=False)


def test_dataset_hash_tracks_content():
    a = ds.dataset_hash(_tiny_tasks(2))
    assert a == ds.dataset_hash(_tiny_tasks(2))
    assert a != ds.dataset_hash(_tiny_tasks(3))
    changed = [t.__class__(**{**t.__dict__, "protocol": t.protocol.replace(anneal_time=0.6)}) for t in _tiny_tasks(2)]
    assert a != ds.dataset_hash(changed)


def test_declared_specification():
    specs = ds.load_specs()
    systems = {get_system(s.system).name for s in specs.values()}
    assert {"a-Si-SW", "a-Si-Tersoff", "a-C-Tersoff", "SiO2-Vashishta", "CuZr-Mendelev"} <= systems
    for name in systems:  # a smoke entry per system
        assert any(s.role == "smoke" and get_system(s.system).name == name for s in specs.values()), name
    sw = [s for s in specs.values() if s.system == "a-Si-SW" and s.role == "train"]
    assert {2.1, 2.2, 2.3, 2.4, 2.5} <= {d for s in sw for d in s.densities}
    held = [s for s in specs.values() if s.role == "heldout"]
    assert any(2.28 in (s.densities or ()) for s in held)
    cu_train = {c for s in specs.values() if s.system == "CuZr-Mendelev" and s.role == "train" for c in s.compositions}
    cu_held = {c for s in specs.values() if s.system == "CuZr-Mendelev" and s.role == "heldout" for c in s.compositions}
    assert cu_held and not (cu_held & cu_train)
    assert len({r for s in specs.values() if s.system == "SiO2-Vashishta" for r in s.quench_rates}) >= 3
    # 216-atom a-Si at the default
    assert SYSTEMS["a-Si-SW"].n_atoms == 216
    # every structure of every entry has its own seed
    seeds = [t.seed for s in specs.values() for t in s.tasks()]
    assert len(seeds) == len(set(seeds))


def test_spec_errors(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("datasets:\n  - name: x\n    system: a-Si\n    colour: red\n")
    with pytest.raises(InputError, match="unknown key"):
        ds.load_specs(bad)
    bad.write_text("datasets:\n  - name: x\n    system: a-Si\n    quench_rates: [-5]\n")
    with pytest.raises(InputError, match="quench rate must be a positive"):
        ds.load_specs(bad)


def test_smoke_spec_builds_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("GLASSLIB_CACHE", str(tmp_path))
    spec = tmp_path / "spec.yaml"
    spec.write_text("datasets:\n  - name: tiny\n    system: a-Si\n    n_atoms: 32\n    count: 2\n    seed: 5\n"
                    "    quench_rates: [1000]\n    protocol: {melt_time: 1.0, anneal_time: 0.5}\n")
    first = ds.build_spec("tiny", spec_path=spec, progress=False, limit=1)  # a prefix of the set
    assert (first.computed, len(first.paths)) == (1, 1)
    res = ds.build_spec("tiny", spec_path=spec, progress=False)
    assert res.out_dir == first.out_dir and (res.computed, res.skipped) == (1, 1)
    assert res.out_dir.parent == tmp_path / "datasets"
    assert res.out_dir.name.startswith("tiny-") and len(res.out_dir.name) == len("tiny-") + 12
    assert sorted(p.name for p in res.out_dir.glob("*.extxyz")) == ["00000_seed5.extxyz", "00001_seed6.extxyz"]
    batch = ds.read_dataset(res.out_dir)
    assert batch.n_systems == 2


def test_per_group_subset_is_part_of_the_full_set(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("datasets:\n  - name: grid\n    system: a-Si\n    n_atoms: 32\n    count: 2\n    seed: 9\n"
                    "    densities: [2.2, 2.4]\n    quench_rates: [1000]\n"
                    "    protocol: {melt_time: 1.0, anneal_time: 0.5}\n")
    sub = ds.build_spec("grid", spec_path=spec, cache=tmp_path, progress=False, per_group=1)
    assert [p.name for p in sub.paths] == ["00000_seed9.extxyz", "00002_seed11.extxyz"]  # one per density
    assert [round(ase.io.read(p).info["density_g_cm3"], 3) for p in sub.paths] == [2.2, 2.4]
    full = ds.build_spec("grid", spec_path=spec, cache=tmp_path, progress=False)
    assert full.out_dir == sub.out_dir and (full.computed, full.skipped) == (2, 2)


def test_a_second_build_of_a_folder_waits_for_the_first(tmp_path, monkeypatch):
    """While one build holds the folder's lock, another build of the same set neither simulates
    nor removes the first one's in-flight temporary; once the lock is free it finds nothing to do."""
    tasks = _tiny_tasks(1)
    out = tmp_path / "set"
    out.mkdir()
    in_flight = out / ".00000_seed100.extxyz.123.tmp"
    in_flight.write_text("being written by the first build")
    calls = []
    real = sim.simulate
    monkeypatch.setattr(sim, "simulate", lambda task, **kw: calls.append(task) or real(task, **kw))
    result = {}
    with ds.build_lock(out):
        second = threading.Thread(target=lambda: result.update(r=ds.build(tasks, out, progress=False)))
        second.start()
        time.sleep(0.5)
        assert second.is_alive() and not calls and in_flight.exists()
        in_flight.unlink()  # the first build finishes its structure: temporary renamed into place
        (out / tasks[0].filename).write_text("finished by the first build")
    second.join(timeout=60)
    assert not second.is_alive() and not calls
    assert (result["r"].computed, result["r"].skipped) == (0, 1)


@pytest.mark.slow
def test_two_processes_building_one_set_at_once_build_each_structure_once(tmp_path):
    """Two ``glass simulate`` runs into one folder, started together: both succeed, every structure
    is simulated once in all, and the set is whole (nothing half-written, no temporaries)."""
    out = tmp_path / "set"
    args = [sys.executable, "-m", "glasslib", "simulate", "a-Si", "--atoms", "32", "--density", "2.3",
            "--quench-rate", "1000", "--melt-time", "1", "--anneal-time", "0.5", "--n", "3", "--seed", "4",
            "--threads", "1", "--quiet", "--out", str(out)]
    root = Path(__file__).resolve().parents[1]
    procs = [subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [e for _, e in outputs]
    simulated = [int(o.split(": ")[1].split(" simulated")[0]) for o, _ in outputs]
    assert sorted(simulated) == [0, 3], outputs
    files = sorted(p.name for p in out.iterdir())
    assert files == [".build.lock", "00000_seed4.extxyz", "00001_seed5.extxyz", "00002_seed6.extxyz", "manifest.json"]
    for name in files[1:4]:
        assert len(ase.io.read(out / name)) == 32
