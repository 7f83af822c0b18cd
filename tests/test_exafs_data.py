"""The declared FEFF EXAFS set: specification checks, seeded absorber selection, a real (tiny)
build into a temporary cache that is content-hashed, atomic and resumable, and its reader."""

from __future__ import annotations

import json

import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.core.structures import write_extxyz
from glasslib.spectra.exafs_data import (ExafsDataSpec, build, exafs_dir, load_exafs_spec, read_exafs_set,
                                         select_absorbers, source_dirs)

from test_exafs_feff import b2_cuzr

import larch  # noqa: F401,E402  (a hard dependency: its absence must fail, not skip)


def _spec(**changes) -> ExafsDataSpec:
    d = {"name": "exafs-test", "absorber": "Cu", "elements": ["Cu", "Zr"], "sources": {"train": ["CuZr-smoke"]},
         "absorbers_per_structure": 2, "seed": 0, "feff": {"rmax": 4.0, "cluster_radius": 5.0, "path_taper": 0.3},
         "k_weight": 2}
    d.update(changes)
    return ExafsDataSpec.from_dict(d)


def test_declared_spec_reads():
    spec = load_exafs_spec()
    assert spec.absorber == 29 and spec.elements == (29, 40) and spec.feff.nleg == 2 and spec.k_weight == 2
    assert "CuZr-heldout" in spec.sources["heldout"] and spec.per_structure("CuZr-smoke") == 64


def test_spec_errors(tmp_path):
    with pytest.raises(InputError, match="unknown EXAFS specification keys"):
        _spec(colour="red")
    with pytest.raises(InputError, match="absorber"):
        _spec(absorber="Al")
    with pytest.raises(InputError, match="train"):
        _spec(sources={"heldout": ["CuZr-heldout"]})
    bad = tmp_path / "exafs.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(InputError, match="invalid YAML") as e:
        load_exafs_spec(bad)
    assert str(bad) in str(e.value)


def test_absorber_selection_is_seeded():
    z = torch.tensor([29, 40] * 20)
    a = select_absorbers(z, 29, 5, seed=3)
    assert a == select_absorbers(z, 29, 5, seed=3) and a == sorted(a) and all(z[i] == 29 for i in a)
    assert a != select_absorbers(z, 29, 5, seed=4)
    assert select_absorbers(z, 29, 50, seed=0) == list(range(0, 40, 2))


def _two_cells(tmp_path):
    """``(spec, cache, md folder)``: two rattled B2 Cu–Zr cells as the built MD set of a temporary cache."""
    spec = _spec()
    cache = tmp_path / "cache"
    md = source_dirs(spec, cache)["CuZr-smoke"]
    md.mkdir(parents=True)
    for n in range(2):
        write_extxyz(b2_cuzr(rattle=0.05, seed=n), md / f"{n:05d}_seed{n}.extxyz")
    return spec, cache, md


def test_build_is_cached_atomic_and_resumable(tmp_path):
    """Two B2 cells stand in for a built MD set in a temporary cache; 2 absorbers each."""
    spec, cache, md = _two_cells(tmp_path)
    first = build(spec, cache=cache, max_structures=1)
    assert first.computed == 2 and first.skipped == 0 and first.out_dir == exafs_dir(spec, cache)
    assert not list(first.out_dir.rglob("*.tmp"))
    second = build(spec, cache=cache)  # resumes: the first structure is done
    assert second.computed == 2 and second.skipped == 2
    assert build(spec, cache=cache).computed == 0
    data = read_exafs_set(spec, "train", cache=cache)
    assert data.chi.shape == (4, spec.feff.k_grid().size) and data.structures.n_systems == 2
    assert bool((data.structures.species[data.index] == 29).all()) and len(data.sha256) == 64
    rec = json.loads(sorted(first.out_dir.glob("CuZr-smoke/*.json"))[0].read_text())  # structure 0: local = batch index
    assert rec["n_paths"] >= 1 and rec["structure_sha256"] and rec["atom"] in data.index.tolist()
    # other cards: another folder; a folder of another set is refused
    other = _spec(feff={"rmax": 4.5, "cluster_radius": 5.0})
    assert exafs_dir(other, cache) != first.out_dir
    with pytest.raises(InputError, match="another EXAFS set"):
        build(other, cache=cache, out_dir=first.out_dir)
    # a structure with an element outside the set
    write_extxyz(from_elements(), md / "00002_seed2.extxyz")
    with pytest.raises(InputError, match="outside the EXAFS set") as e:
        build(spec, cache=cache)
    assert "00002_seed2" in str(e.value)


def test_two_builds_of_one_set_at_once_compute_each_absorber_once(tmp_path):
    """Two builders of one folder (two papermill runs of the XAS notebook, say): the second waits
    for the first's lock, then finds every absorber done; neither fails on the other's temporaries."""
    import threading

    spec, cache, _ = _two_cells(tmp_path)
    results, errors = [], []

    def run():
        try:
            results.append(build(spec, cache=cache))
        except Exception as exc:  # reported below, not swallowed
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors and len(results) == 2
    assert sorted((r.computed, r.skipped) for r in results) == [(0, 4), (4, 0)]
    assert not list(results[0].out_dir.rglob("*.tmp"))
    assert read_exafs_set(spec, "train", cache=cache).chi.shape[0] == 4


def from_elements():
    import ase.build

    from glasslib.core.structures import from_ase

    return from_ase([ase.build.bulk("CuAl", "cesiumchloride", a=3.0) * (2, 2, 2)])


def test_reader_needs_a_build(tmp_path):
    with pytest.raises(InputError, match="no finished train absorbers"):
        read_exafs_set(_spec(), "train", cache=tmp_path)
