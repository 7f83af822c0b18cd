"""glasslib.simulate.engine: the task and engine contract; what enters the dataset content hashes.

The pinned digests were computed with the code before the engines were split out of one module;
they key the cache of built datasets, so a change here means a changed cache key, never a refactor.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from glasslib.core.errors import InputError
from glasslib.simulate.engine import Engine, StructureTask
from glasslib.simulate.protocols import canonical_json
from glasslib.simulate.systems import get_system
from glasslib.simulate.tasks import make_task


def _digest(obj) -> str:
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()


def test_task_serialisation_is_pinned():
    plain = make_task("a-Si", n_atoms=64, seed=3)
    assert "options" not in plain.to_dict()  # option-less tasks hash as before options existed
    assert _digest(plain.to_dict()) == "73176fd33447fbbe94fb8d5b2f1fd477f9f345ab478088426e891a8dcfbc89fc"
    grains = make_task("paracrystalline", n_atoms=512, seed=1, options={"n_grains": 1})
    assert _digest(grains.to_dict()) == "c2a4be1ed784448080d745c1d837c9f72223db500d59fe376ed2963083f95e9a"
    assert StructureTask(**{**plain.__dict__}) == plain


def test_built_in_parameter_hashes_are_pinned():
    ice = get_system("ice-Ih")
    assert ice.engine.potential_sha256(ice) == _digest({"system": "ice-Ih", "kind": "ice-builder"})
    assert ice.engine.potential_sha256(ice) == "8f94a9d9d4cca02dfc5e721f8e85ec9c67706f34da1888ab704a79d6d0a2278a"
    water = get_system("water")
    assert water.engine.potential_sha256(water) == "03a38da688aafc6c8e9312255a7248a0ee2308699a80ccd7ef0f0db499866067"


def test_the_base_engine_makes_nothing():
    si = get_system("a-Si")
    task = make_task(si, n_atoms=8)
    engine = Engine()
    with pytest.raises(InputError, match="without an MD start"):
        engine.seeded_start(task, si)
    with pytest.raises(InputError, match="not supported"):
        engine.seeded_start(task, si, start=object())
    with pytest.raises(NotImplementedError):
        engine.run(task, si)
    assert engine.potential_file(si).name == "Si.sw" and engine.ensembles == ("nvt", "npt")


def test_the_seeded_start_comes_from_the_task_seed():
    si = get_system("a-Si")
    (rng_a, a), (rng_b, b) = (si.engine.seeded_start(make_task(si, n_atoms=8, seed=5), si) for _ in range(2))
    assert all(np.array_equal(x, y) for x, y in zip(a, b)) and rng_a.integers(1 << 30) == rng_b.integers(1 << 30)
    other = si.engine.seeded_start(make_task(si, n_atoms=8, seed=6), si)[1]
    assert not np.array_equal(a[1], other[1])
