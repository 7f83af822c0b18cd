"""The declared FEFF EXAFS data set: specification, content-hash cache, resumable build, reader.

``data/specs/exafs.yaml`` (:class:`ExafsDataSpec`) names the source molecular-dynamics sets of
``data/specs/datasets.yaml`` by role (``train``, ``heldout``), the absorber selection (a seeded
random subset of the absorbing atoms of each structure), the FEFF cards
(:class:`~glasslib.spectra.exafs_feff.FeffCards`) and the k-weight of the observable.

:func:`build` runs FEFF once per selected absorber (:func:`~glasslib.spectra.exafs_feff.run_feff`)
and writes one JSON file per absorber, ``<out>/<md set>/<structure stem>_a<atom>.json`` (atom:
index within its structure), atomically (a temporary file, then a rename), so an interrupted
build leaves only finished absorbers and the next call computes the missing ones. Builds of one
folder are serialised by the datasets' advisory lock (:func:`glasslib.simulate.datasets.build_lock`):
a second builder waits, then finds the absorbers done. The folder is
``<cache>/exafs/<name>-<hash12>/`` (``<cache>``: :func:`glasslib.core.paths.cache_dir`), the hash
covering the resolved specification, the source MD sets' content hashes (their cache folder
names), the feff6l executable's SHA-256, the xraylarch version and :data:`CODE_VERSION`. A folder
whose ``manifest.json`` holds another hash is refused. Structures of a source set that are not
built yet are skipped: a later build adds their absorbers.

:func:`read_exafs_set` gathers the finished absorbers of a role: the structures (float64), the
absorbers' indices in that batch, and χ(k) (A, K) on the cards' k grid.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
import torch
import yaml

from glasslib.core.atomic_io import atomic_write_text, sha256_file
from glasslib.core.errors import InputError, reject_unknown_keys
from glasslib.core.paths import cache_dir, data_dir
from glasslib.core.structures import Structures, concatenate, read_structures
from glasslib.simulate.datasets import build_lock, dataset_dir, get_spec
from glasslib.spectra.exafs_feff import FeffCards, cut_clusters, element_number, find_feff, run_feff

#: version of the build recipe; part of the content hash
CODE_VERSION = "glasslib-exafs-1"
ROLES = ("train", "heldout")
_KEYS = {"name", "absorber", "elements", "sources", "absorbers_per_structure", "seed", "feff", "k_weight"}


@dataclass(frozen=True)
class ExafsDataSpec:
    """One declared EXAFS set (module docstring; ``data/specs/exafs.yaml`` documents each key).

    Attributes:
        name: the set's name (cache folder prefix).
        absorber: atomic number of the absorbing element.
        elements: atomic numbers a structure may hold.
        sources: {role: MD set names}.
        absorbers_per_structure: {MD set name or ``"default"``: absorbers kept per structure}.
        seed: absorbers of the structure at position p of a set are chosen with seed + p.
        feff: the FEFF cards.
        k_weight: w of the observable k^w χ(k).
    """

    name: str
    absorber: int
    elements: tuple[int, ...]
    sources: dict = field(default_factory=dict)
    absorbers_per_structure: dict = field(default_factory=dict)
    seed: int = 0
    feff: FeffCards = FeffCards()
    k_weight: int = 2

    @classmethod
    def from_dict(cls, d: dict, where=None) -> "ExafsDataSpec":
        if not isinstance(d, dict):
            raise InputError("an EXAFS specification is a mapping", where)
        try:
            reject_unknown_keys(d, _KEYS, "EXAFS specification")
        except InputError as exc:
            raise InputError(str(exc), where) from None
        try:
            sources = {str(r): tuple(str(n) for n in names) for r, names in dict(d.get("sources") or {}).items()}
            bad = sorted(set(sources) - set(ROLES))
            if bad or not sources.get("train"):
                raise InputError(f"sources need a train list and roles among {ROLES}, got {sorted(sources)}")
            per = d.get("absorbers_per_structure", 32)
            per = {"default": per} if isinstance(per, int) else {str(k): v for k, v in dict(per).items()}
            per.setdefault("default", 32)
            if not all(isinstance(v, int) and v >= 1 for v in per.values()):
                raise InputError(f"absorbers_per_structure must be positive integers, got {per}")
            spec = cls(name=str(d["name"]), absorber=element_number(d["absorber"]),
                       elements=tuple(element_number(e) for e in d["elements"]), sources=sources,
                       absorbers_per_structure=per, seed=int(d.get("seed", 0)),
                       feff=FeffCards.from_dict(dict(d.get("feff") or {})), k_weight=int(d.get("k_weight", 2)))
        except KeyError as exc:
            raise InputError(f"EXAFS specification misses key {exc}", where) from None
        except InputError as exc:
            raise InputError(str(exc), where) from None
        if spec.absorber not in spec.elements:
            raise InputError(f"the absorber (Z = {spec.absorber}) must be one of the elements {list(spec.elements)}", where)
        if spec.k_weight not in (0, 1, 2, 3):
            raise InputError(f"k_weight must be 0, 1, 2 or 3, got {spec.k_weight}", where)
        return spec

    def to_dict(self) -> dict:
        return {"name": self.name, "absorber": self.absorber, "elements": list(self.elements),
                "sources": {r: list(v) for r, v in sorted(self.sources.items())},
                "absorbers_per_structure": dict(sorted(self.absorbers_per_structure.items())), "seed": self.seed,
                "feff": self.feff.to_dict(), "k_weight": self.k_weight}

    def per_structure(self, md_set: str) -> int:
        return int(self.absorbers_per_structure.get(md_set, self.absorbers_per_structure["default"]))


def default_spec_path() -> Path:
    return data_dir() / "specs" / "exafs.yaml"


def load_exafs_spec(path: str | os.PathLike | None = None) -> ExafsDataSpec:
    """The EXAFS specification in ``path`` (default ``data/specs/exafs.yaml``)."""
    path = Path(path) if path is not None else default_spec_path()
    if not path.is_file():
        raise InputError("EXAFS specification not found", path)
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML ({str(exc).splitlines()[0]})", path) from None
    return ExafsDataSpec.from_dict(doc, where=path)


def _canonical(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def source_dirs(spec: ExafsDataSpec, cache=None) -> dict[str, Path]:
    """{MD set name: its cache folder} of every source set (built or not)."""
    md_cache = None if cache is None else Path(cache) / "datasets"
    return {n: dataset_dir(get_spec(n), md_cache) for names in spec.sources.values() for n in names}


def hash_inputs(spec: ExafsDataSpec, cache=None) -> dict:
    """What the content hash covers (module docstring)."""
    return {"spec": spec.to_dict(), "md_sets": {n: d.name for n, d in sorted(source_dirs(spec, cache).items())},
            "feff_sha256": sha256_file(find_feff()), "xraylarch": version("xraylarch"), "code": CODE_VERSION}


def exafs_dir(spec: ExafsDataSpec, cache=None, *, inputs: dict | None = None) -> Path:
    """``<cache>/exafs/<name>-<hash12>``."""
    inputs = inputs if inputs is not None else hash_inputs(spec, cache)
    digest = hashlib.sha256(_canonical(inputs).encode()).hexdigest()
    root = Path(cache) if cache is not None else cache_dir()
    return root / "exafs" / f"{spec.name}-{digest[:12]}"


def select_absorbers(species: torch.Tensor, absorber: int, count: int, seed: int) -> list[int]:
    """Sorted indices of ``count`` absorbing atoms (all when fewer), chosen with ``seed``."""
    idx = torch.nonzero(species.cpu() == absorber).squeeze(1)
    if idx.numel() <= count:
        return idx.tolist()
    perm = torch.randperm(idx.numel(), generator=torch.Generator().manual_seed(int(seed)))
    return sorted(idx[perm[:count]].tolist())


def _structure_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.extxyz")) if folder.is_dir() else []


def _result_path(out: Path, md_set: str, structure: Path, atom: int) -> Path:
    return out / md_set / f"{structure.stem}_a{atom:05d}.json"


@dataclass
class BuildSummary:
    """What :func:`build` did: the folder, absorbers computed and skipped, FEFF seconds each."""

    out_dir: Path
    computed: int = 0
    skipped: int = 0
    seconds: list = field(default_factory=list)
    missing_sets: list = field(default_factory=list)


def _check_manifest(out: Path, inputs: dict) -> None:
    manifest = out / "manifest.json"
    digest = hashlib.sha256(_canonical(inputs).encode()).hexdigest()
    if manifest.exists():
        try:
            old = json.loads(manifest.read_text()).get("hash")
        except (ValueError, AttributeError):
            old = None
        if old != digest:
            raise InputError(f"folder holds another EXAFS set (hash {str(old)[:12]}, this one {digest[:12]})", out)
    else:
        atomic_write_text(manifest, json.dumps({"hash": digest, **inputs}, indent=2, sort_keys=True) + "\n")


def build(spec: ExafsDataSpec, *, roles=ROLES, cache=None, out_dir=None, max_structures: int | None = None,
          log=None) -> BuildSummary:
    """Run FEFF for every selected absorber of the source structures of ``roles`` whose result
    file is missing (module docstring). ``max_structures``: only the first structures of each set.

    Raises :class:`InputError` (one line naming the structure and atom) when FEFF fails.
    """
    inputs = hash_inputs(spec, cache)
    out = Path(out_dir) if out_dir is not None else exafs_dir(spec, cache, inputs=inputs)
    out.mkdir(parents=True, exist_ok=True)
    with build_lock(out, progress=log is not None):
        return _build_locked(spec, out, inputs, roles=roles, cache=cache, max_structures=max_structures, log=log)


def _build_locked(spec: ExafsDataSpec, out: Path, inputs: dict, *, roles, cache, max_structures, log) -> BuildSummary:
    _check_manifest(out, inputs)
    for stale in out.glob("*/.*.json.*.tmp"):  # left by a killed build (never a live one: we hold the lock)
        stale.unlink(missing_ok=True)
    summary = BuildSummary(out)
    dirs = source_dirs(spec, cache)
    for role in roles:
        for md_set in spec.sources.get(role, ()):
            files = _structure_files(dirs[md_set])[:max_structures]
            if not files:
                summary.missing_sets.append(md_set)
                if log:
                    log(f"{role}: {md_set} is not built ({dirs[md_set]}); skipped")
                continue
            for position, path in enumerate(files):
                s = read_structures(path)
                extra = sorted(set(s.species.tolist()) - set(spec.elements))
                if extra:
                    raise InputError(f"structure holds elements Z = {extra} outside the EXAFS set's {list(spec.elements)}", path)
                atoms = select_absorbers(s.species, spec.absorber, spec.per_structure(md_set), spec.seed + position)
                todo = [a for a in atoms if not _result_path(out, md_set, path, a).is_file()]
                summary.skipped += len(atoms) - len(todo)
                if not todo:
                    continue
                sha = sha256_file(path)
                for atom, cluster in zip(todo, cut_clusters(s, todo, spec.feff.cluster_radius)):
                    result = run_feff(cluster, spec.feff)
                    record = {"md_set": md_set, "role": role, "structure": path.name, "structure_sha256": sha,
                              "atom": atom, "absorber": spec.absorber, "n_cluster": int(cluster.species.size) + 1,
                              "n_paths": result.n_paths, "seconds": round(result.seconds, 3),
                              "k_max": spec.feff.k_max, "k_step": spec.feff.k_step,
                              "chi": [float(f"{v:.7g}") for v in result.chi]}
                    atomic_write_text(_result_path(out, md_set, path, atom), json.dumps(record) + "\n")
                    summary.computed += 1
                    summary.seconds.append(result.seconds)
                if log:
                    log(f"{role}: {md_set}/{path.name}: {len(todo)} absorbers computed, "
                        f"{np.mean(summary.seconds[-len(todo):]):.2f} s each")
    return summary


@dataclass(frozen=True)
class ExafsSet:
    """Finished absorbers of one role.

    Attributes:
        names: ``"<md set>/<structure file>"`` of each structure.
        structures: the batch (float64, CPU).
        index: (A,) absorbers' atom indices in the batch.
        k: (K,) Å⁻¹; chi: (A, K) FEFF χ(k) of each absorber.
        sha256: SHA-256 over the sorted lines ``"<result path> <file SHA-256>"``.
        seconds: (A,) FEFF wall time of each absorber.
    """

    names: list
    structures: Structures
    index: torch.Tensor
    k: torch.Tensor
    chi: torch.Tensor
    sha256: str
    seconds: np.ndarray


def read_exafs_set(spec: ExafsDataSpec, role: str, *, cache=None, out_dir=None) -> ExafsSet:
    """The finished absorbers of ``role`` (module docstring); one-line error when there are none."""
    if role not in ROLES:
        raise InputError(f"role must be one of {ROLES}, got {role!r}")
    out = Path(out_dir) if out_dir is not None else exafs_dir(spec, cache)
    dirs = source_dirs(spec, cache)
    names, batches, index, chi, lines, seconds = [], [], [], [], [], []
    offset = 0
    for md_set in spec.sources.get(role, ()):
        results = sorted((out / md_set).glob("*_a[0-9][0-9][0-9][0-9][0-9].json"))
        by_structure: dict[str, list[Path]] = {}
        for r in results:
            by_structure.setdefault(r.stem.rsplit("_a", 1)[0], []).append(r)
        for stem, files in sorted(by_structure.items()):
            path = dirs[md_set] / f"{stem}.extxyz"
            s = read_structures(path)
            sha = sha256_file(path)
            for f in files:
                rec = json.loads(f.read_text())
                if rec.get("structure_sha256") != sha:
                    raise InputError("EXAFS result belongs to another version of its structure; delete it and rebuild", f)
                index.append(offset + int(rec["atom"]))
                chi.append(rec["chi"])
                seconds.append(rec["seconds"])
                lines.append(f"{md_set}/{f.name} {sha256_file(f)}")
            names.append(f"{md_set}/{path.name}")
            batches.append(s)
            offset += s.n_atoms
    if not batches:
        raise InputError(f"no finished {role} absorbers; run python -m glasslib.spectra.exafs build", out)
    digest = hashlib.sha256(("\n".join(sorted(lines)) + "\n").encode()).hexdigest()
    return ExafsSet(names, concatenate(batches), torch.tensor(index), torch.as_tensor(spec.feff.k_grid()),
                    torch.tensor(chi, dtype=torch.float64), digest, np.asarray(seconds))
