"""Declared training sets: specification, content-hash cache, resumable builds.

A :class:`DatasetSpec` (one entry of ``data/specs/datasets.yaml``) expands into
:class:`~glasslib.simulate.engine.StructureTask` s: the product densities x compositions x quench rates,
``count`` structures each, seeds ``seed, seed+1, ...``. :func:`build` writes one extxyz per task
(``<index>_seed<seed>.extxyz``) into a folder, skipping files that exist, so an interrupted
build resumes; every file is written atomically when its simulation ends, so a killed run
leaves no partial file. Builds of one folder are serialised by an advisory lock
(``<folder>/.build.lock``, :func:`build_lock`): a second process building the same set waits for
the first, then finds its structures done, so two concurrent builds never corrupt a set. Declared sets go to ``<cache>/<name>-<hash12>/`` where the hash covers
the resolved tasks (system defaults included), the potential files' SHA-256, the simulation
code version and the LAMMPS version; ``<cache>`` is ``$GLASSLIB_CACHE/datasets`` or
``.cache/glasslib/datasets`` in the repository.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import yaml
from tqdm.auto import tqdm

from glasslib.core.atomic_io import atomic_write_text
from glasslib.core.errors import InputError
from glasslib.core.paths import cache_dir, data_dir
from glasslib.core.structures import from_ase, read_structures, write_extxyz
import glasslib.simulate.tasks as _tasks
from glasslib.simulate.engine import CODE_VERSION, StructureTask
from glasslib.simulate.lammps_env import lammps_version
from glasslib.simulate.protocols import canonical_json
from glasslib.simulate.systems import get_system
from glasslib.simulate.tasks import make_task


@dataclass(frozen=True)
class DatasetSpec:
    """One declared set: the product densities x compositions x quench_rates, ``count``
    structures each, seeds ``seed, seed+1, ...`` in task order.

    role: ``train``, ``heldout`` (kept out of training for out-of-distribution tests),
    ``smoke`` (tiny, for pipelines' smoke profile) or ``reference``.
    protocol: :class:`Protocol` fields overriding the system's defaults.
    options: builder settings (``System.options``), e.g. ``{n_grains: 2, grain_radius: 7.5}``.
    """

    name: str
    system: str
    n_atoms: int | None = None
    densities: tuple[float, ...] | None = None
    compositions: tuple[str, ...] | None = None
    quench_rates: tuple[float, ...] | None = None
    count: int = 1
    seed: int = 0
    protocol: dict = field(default_factory=dict)
    role: str = "train"
    potential_file: str | None = None
    options: dict = field(default_factory=dict)
    description: str = ""

    @classmethod
    def from_dict(cls, d: dict, where: str | None = None) -> "DatasetSpec":
        d = dict(d)
        for single, plural in (("density", "densities"), ("composition", "compositions"), ("quench_rate", "quench_rates")):
            if single in d:
                if plural in d:
                    raise InputError(f"dataset {d.get('name')!r} gives both {single} and {plural}", where)
                d[plural] = [d.pop(single)]
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise InputError(f"dataset {d.get('name')!r}: unknown key(s) {', '.join(unknown)}", where)
        if "name" not in d or "system" not in d:
            raise InputError("every dataset needs a name and a system", where)
        for key in ("densities", "compositions", "quench_rates"):
            if d.get(key) is not None:
                d[key] = tuple(d[key])
        d["protocol"] = dict(d.get("protocol") or {})
        d["options"] = dict(d.get("options") or {})
        spec = cls(**d)
        if spec.role not in ("train", "heldout", "smoke", "reference"):
            raise InputError(f"dataset {spec.name!r}: role must be train, heldout, smoke or reference", where)
        if not (isinstance(spec.count, int) and spec.count >= 1):
            raise InputError(f"dataset {spec.name!r}: count must be a positive integer", where)
        spec.tasks()  # validate every task now rather than half-way through a build
        return spec

    def to_dict(self) -> dict:
        return asdict(self)

    def tasks(self) -> list[StructureTask]:
        out = []
        k = 0
        for density in self.densities or (None,):
            for comp in self.compositions or (None,):
                for rate in self.quench_rates or (None,):
                    for _ in range(self.count):
                        try:
                            out.append(make_task(self.system, n_atoms=self.n_atoms, density=density, composition=comp,
                                                 quench_rate=rate, seed=self.seed + k, index=k,
                                                 potential_file=self.potential_file, options=self.options or None,
                                                 **self.protocol))
                        except InputError as exc:
                            raise InputError(f"dataset {self.name!r}: {exc}") from None
                        k += 1
        return out


def dataset_hash(tasks: Sequence[StructureTask]) -> str:
    """SHA-256 of (resolved tasks, potential file hashes, code version, LAMMPS version)."""
    pots = {}
    for t in tasks:
        key = (t.system, t.potential_file)
        if key not in pots:
            system = get_system(t.system)
            pots[key] = system.engine.potential_sha256(system, t.potential_file)
    payload = {
        "tasks": [{**t.to_dict(), "potential_file": None} for t in tasks],
        "potential_sha256": sorted(set(pots.values())),
        "code": CODE_VERSION,
        "lammps": lammps_version(),
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def default_spec_path() -> Path:
    return data_dir() / "specs" / "datasets.yaml"


def load_specs(path: str | os.PathLike | None = None) -> dict[str, DatasetSpec]:
    """All entries of a dataset specification YAML (``datasets:`` list), by name."""
    path = Path(path) if path is not None else default_spec_path()
    if not path.is_file():
        raise InputError("dataset specification not found", path)
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML ({str(exc).splitlines()[0]})", path) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("datasets"), list):
        raise InputError("expected a mapping with a 'datasets' list", path)
    specs: dict[str, DatasetSpec] = {}
    for entry in doc["datasets"]:
        if not isinstance(entry, dict):
            raise InputError("every dataset entry must be a mapping", path)
        spec = DatasetSpec.from_dict(entry, where=str(path))
        if spec.name in specs:
            raise InputError(f"dataset {spec.name!r} is declared twice", path)
        specs[spec.name] = spec
    return specs


def get_spec(name: str, path: str | os.PathLike | None = None) -> DatasetSpec:
    specs = load_specs(path)
    if name not in specs:
        raise InputError(f"no dataset {name!r} in the specification; known: {', '.join(specs)}")
    return specs[name]


def datasets_cache_dir() -> Path:
    """``<GLASSLIB_CACHE or .cache/glasslib>/datasets``."""
    return cache_dir() / "datasets"


def dataset_dir(spec: DatasetSpec, cache: str | os.PathLike | None = None) -> Path:
    """``<cache>/<name>-<hash12>``."""
    root = Path(cache) if cache is not None else datasets_cache_dir()
    return root / f"{spec.name}-{dataset_hash(spec.tasks())[:12]}"


@dataclass
class BuildResult:
    out_dir: Path
    paths: list[Path]
    computed: int
    skipped: int


def build(
    tasks: Sequence[StructureTask],
    out_dir: str | os.PathLike,
    *,
    name: str = "adhoc",
    spec: DatasetSpec | None = None,
    progress: bool = True,
    limit: int | None = None,
    select: Sequence[int] | None = None,
) -> BuildResult:
    """Simulate every task whose file is missing from ``out_dir``; return the paths built.

    ``out_dir/manifest.json`` records the content hash and the resolved tasks; a folder
    whose manifest has another hash is refused (its files belong to a different set).
    Structures are written atomically, so an interrupted build leaves only finished files
    and the next call resumes with the missing ones. ``limit``: build only the first
    ``limit`` tasks (a prefix of the same set: same hash and folder, completed by a later
    call without a limit). ``select``: positions in ``tasks`` to build (a subset of the same set).
    """
    tasks = list(tasks)
    if not tasks:
        raise InputError("nothing to build (no tasks)")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("output path exists and is not a folder", out_dir)
    digest = dataset_hash(tasks)
    if limit is not None and limit < 1:
        raise InputError(f"limit must be positive, got {limit}")
    if select is not None:
        n = len(tasks) if limit is None else min(len(tasks), limit)
        bad = [k for k in select if not 0 <= k < n]
        if bad:
            raise InputError(f"select: task positions {bad} out of range 0..{n - 1}")
    manifest_path = out_dir / "manifest.json"
    if manifest_path.exists():
        _check_manifest(manifest_path, digest, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with build_lock(out_dir, progress=progress):
        if manifest_path.exists():  # checked again: another process may have written it meanwhile
            _check_manifest(manifest_path, digest, out_dir)
        else:
            manifest = {
                "name": name,
                "hash": digest,
                "code_version": CODE_VERSION,
                "spec": spec.to_dict() if spec is not None else None,
                "tasks": [t.to_dict() for t in tasks],
            }
            atomic_write_text(manifest_path, canonical_json(manifest) + "\n")
        for stale in out_dir.glob(".*.extxyz.*.tmp"):  # left by a killed process (never a live one: we hold the lock)
            stale.unlink(missing_ok=True)
        if limit is not None:
            tasks = tasks[:limit]
        if select is not None:
            tasks = [tasks[k] for k in sorted(set(select))]
        paths = [out_dir / t.filename for t in tasks]
        todo = [(t, p) for t, p in zip(tasks, paths) if not p.exists()]
        skipped = len(tasks) - len(todo)
        bar = tqdm(total=len(tasks), initial=skipped, desc=name, unit="structure", disable=not progress)
        try:
            for task, path in todo:
                atoms = _tasks.simulate(task)  # looked up at call time (tests count the calls)
                write_extxyz(from_ase(atoms), path)
                bar.update(1)
        finally:
            bar.close()
    return BuildResult(out_dir=out_dir, paths=paths, computed=len(todo), skipped=skipped)


def _check_manifest(manifest_path: Path, digest: str, out_dir: Path) -> None:
    try:
        old = json.loads(manifest_path.read_text()).get("hash")
    except (ValueError, AttributeError):
        old = None
    if old != digest:
        raise InputError(f"folder holds structures of a different dataset (hash {str(old)[:12]}, "
                         f"this one {digest[:12]}); choose another output folder", out_dir)


@contextmanager
def build_lock(out_dir: str | os.PathLike, *, progress: bool = True) -> Iterator[None]:
    """Hold the advisory lock of a dataset folder (``<out_dir>/.build.lock``, ``flock``) for a build.

    A second build of the same folder blocks until the first ends (saying so once on stderr
    unless ``progress`` is False); the kernel drops the lock when its holder dies, so a killed
    build never leaves the folder locked. ``flock`` is local to one machine (on some network file
    systems it is not shared between nodes): cluster jobs should build a set once, then read it.
    """
    path = Path(out_dir) / ".build.lock"
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if progress:
                print(f"{out_dir}: another process is building this dataset; waiting for it", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build_spec(spec: DatasetSpec | str, *, out_dir=None, cache=None, spec_path=None, progress=True,
               limit: int | None = None, per_group: int | None = None) -> BuildResult:
    """Build a declared dataset into its cache folder (or ``out_dir``).

    ``limit``: only its first ``limit`` structures. ``per_group``: only the first ``per_group``
    structures of each (density, composition, quench rate) group, e.g. one per density for a
    representative subset. Either way the files are those of the full set (same folder, hash,
    seeds), so building the whole set later only adds the missing ones.
    """
    if isinstance(spec, str):
        spec = get_spec(spec, spec_path)
    target = Path(out_dir) if out_dir is not None else dataset_dir(spec, cache)
    select = None
    if per_group is not None:
        if per_group < 1:
            raise InputError(f"per_group must be positive, got {per_group}")
        select = [k for k in range(len(spec.tasks())) if k % spec.count < per_group]
    return build(spec.tasks(), target, name=spec.name, spec=spec, progress=progress, limit=limit, select=select)


def read_dataset(paths: Iterable[str | os.PathLike] | str | os.PathLike):
    """Read a built folder (or a list of extxyz files) into one :class:`Structures` batch."""
    if isinstance(paths, (str, os.PathLike)) and Path(paths).is_dir():
        folder = Path(paths)
        paths = sorted(folder.glob("*.extxyz"))
        if not paths:
            raise InputError("no structures in folder", folder)
    return read_structures(paths)
