"""The one sampling recipe: ``generate(checkpoint, SampleConfig, targets)``.

Everything that turns a trained checkpoint into structures goes through :func:`generate`, so the
command line (``glass sample``), the notebooks and the benchmarks sample the same way:

1. load the checkpoint (and, for autoguidance, the weak companion, checked to share species,
   noise process and training data: :meth:`Checkpoint.require_companion`);
2. wrap the score: autoguidance s + (w − 1)(s − s_weak) (:func:`with_autoguidance`), then
   spectral guidance on the Tweedie estimate for every target (:func:`with_spectral_guidance`),
   then, optionally, a molecule restraint (``restraint``, off by default:
   :mod:`glasslib.diffusion.restraints`, which keeps declared molecules such as H₂O whole),
   then, optionally, a classical potential's force on the Tweedie estimate (``potential``, off by
   default: :func:`~glasslib.diffusion.guidance.with_potential_guidance`; outermost, so that the
   guidance step stays relative to the network's own score);
3. the cell contents: ``composition``, ``atoms`` and ``density``, each defaulting to the checkpoint's
   training set (:func:`glasslib.diffusion.cell_contents.resolve_contents`: exact integer atom counts,
   species of the network, a cubic cell at least twice the network cutoff); EDM's time grid of
   ``steps`` steps with power ``rho`` in the checkpoint's dtype, uniform random start positions
   (or, with ``start=Start(structures, sigma)``, SDEdit: the given structures plus noise of σ, on
   a grid from t(σ); :class:`Start`);
4. the sampler ``sampler``: predictor–corrector (:func:`glasslib.diffusion.sampling.sample`, the
   default) or Heun (:func:`~glasslib.diffusion.sampling.sample_heun`), ``batch`` structures per
   batched pass, all draws from one ``torch.Generator`` seeded with ``seed``;
5. optionally (``relax``, off by default), each sampled structure minimised at fixed cell with the
   potential of a named simulated system, or ``"training"``, that of the checkpoint's training
   sets (:class:`~glasslib.diffusion.relaxation.Relaxation`). It is post-processing, not
   sampling: it moves guided structures off their target (the record says it was done).

Unconditional and autoguided runs are reproducible bit for bit from the seed; guided runs are on
one CPU thread (``torch.set_num_threads(1)``), while on several threads the parallel scatter-adds
in the backward pass of the spectra change float rounding, and the structures differ at the
1e-3 Å level after a few steps.

The result carries a *record*: the resolved :class:`SampleConfig`, the SHA-256 of every
checkpoint file, the targets and the glasslib version. :func:`write_samples` writes it as
``sample_config.json`` next to the structures, and each extxyz carries its flat fields.
:func:`sample_into` (``glass sample``) writes them pass by pass with the generator's state, so
a killed run resumes to the files of an uninterrupted one. A non-finite score, guidance gradient
or step stops sampling with a :class:`~glasslib.core.errors.NumericalError` naming the structure
and the step; no NaN structure is written.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
from dataclasses import asdict, dataclass, field, fields
from dataclasses import replace as _replace_fields
from pathlib import Path
from typing import Callable, Sequence

import torch

from glasslib import __version__
from glasslib.core.atomic_io import atomic_write_text, sha256_file
from glasslib.core.errors import InputError, NumericalError, reject_unknown_keys
from glasslib.core.structures import Structures, concatenate, to_ase, write_extxyz
from glasslib.diffusion.guidance import with_autoguidance, with_potential_guidance, with_spectral_guidance
from glasslib.diffusion.potentials import load_potential
from glasslib.diffusion.restraints import get_restraint, with_restraint
from glasslib.diffusion.relaxation import Relaxation
from glasslib.diffusion.cell_contents import CellContents, resolve_contents, scope_warnings
from glasslib.diffusion.sampling import SAMPLERS, default_restart_time, initial_noise, time_grid
from glasslib.diffusion.training import Checkpoint, load_checkpoint
from glasslib.spectra.targets import Target

#: name of the record written next to sampled structures
RECORD_NAME = "sample_config.json"
#: state of an unfinished :func:`sample_into` run (removed when it finishes)
RESUME_NAME = ".sample_resume.json"


@dataclass(frozen=True)
class GuidanceTerm:
    """One spectral guidance term: a :class:`~glasslib.spectra.targets.Target`, its weight w_i and
    the smearing of the observable (Å or degrees; None: the kind's default). An unevenly spaced
    target (a digitized curve) is interpolated onto a uniform grid over its range
    (:meth:`Target.uniform`)."""

    target: Target
    weight: float = 1.0
    smearing: float | None = None

    def __post_init__(self):
        if not (isinstance(self.weight, (int, float)) and math.isfinite(self.weight) and self.weight >= 0):
            raise InputError(f"guidance weight must be a number >= 0, got {self.weight}", self.target.source)
        object.__setattr__(self, "target", self.target.uniform())

    def describe(self) -> dict:
        t = self.target
        digest = hashlib.sha256(json.dumps([t.x, t.y]).encode()).hexdigest()
        smearing = t.spectrum_kind.smearing if self.smearing is None else self.smearing
        return {"kind": t.kind, "source": t.source, "weight": self.weight, "smearing": smearing, "cutoff": t.cutoff,
                "points": len(t.x), "x_range": [t.x[0], t.x[-1]], "values_sha256": digest,
                "measurement": None if t.measurement is None else t.measurement.given(), "isotopes": t.isotope_map}


@dataclass(frozen=True)
class SampleConfig:
    """How to sample (every knob of the recipe in the module docstring).

    Attributes:
        n: number of structures.
        seed: seed of the sampler's generator (the only source of randomness).
        atoms: atoms per structure (None: the training set's default cell).
        density: mass density, g/cm³, of the cubic cell (None: the default cell's).
        composition: formula, e.g. ``"SiO2"``, ``"Cu64.5Zr35.5"``, ``"Si"`` (None: the default
            cell's); its atom counts in ``atoms`` atoms must be whole.
        steps: predictor steps; rho: power of the time grid (EDM, Karras et al. 2022, Eq. 5).
        sampler: ``"pc"``, the predictor–corrector reverse SDE (about 2 network evaluations per
            step below ``corrector_sigma_max``, 1 above), or ``"heun"``, EDM's second-order sampler
            (2 per step; :mod:`glasslib.diffusion.sampling`).
        corrector_steps, snr, corrector_sigma_max: Langevin corrector (Song et al. 2021, Alg. 4)
            steps per predictor step, its signal-to-noise ratio, and the σ (Å) below which it runs
            (``pc`` only).
        churn: EDM's S_churn, the noise re-injected per step (``heun`` only; 0: deterministic ODE).
        restarts: restart passes (Xu et al. 2023).
        batch: structures per batched pass (None: all at once).
        autoguidance: weight w ≥ 1 of autoguidance, used when a weak checkpoint is given.
        guidance_step: spectral guidance RMS / score RMS per atom.
        potential: optional physics term: a LAMMPS parameter file (Stillinger–Weber ``.sw`` or
            Tersoff ``.tersoff``, the entry of a single-element cell's element; Vashishta
            ``.vashishta``, any of its elements;
            :func:`glasslib.diffusion.potentials.load_potential`) whose force on the Tweedie
            estimate is added to the score, s − ∇E(x̂₀)/k_B T (None: off, the default).
        potential_temperature: T, K, of that term (lower is stronger).
        potential_sigma_max: σ, Å, above which that term is off.
        potential_max_force: cap, eV/Å, on each atom's force of that term (None: no cap); stiff
            potentials (Vashishta's r⁻ⁿ cores) need one where the estimate has overlapping atoms.
        restraint: optional molecule restraint, a name of
            :data:`glasslib.diffusion.restraints.RESTRAINTS` (``"water"``): each ligand assigned to a
            centre on the Tweedie estimate, the molecules held at their geometry
            (:func:`~glasslib.diffusion.restraints.with_restraint`; None: off, the default).
        restraint_sigma_max: σ, Å, above which the restraint is off.
        relax: minimise each final structure with a simulated system's potential (:class:`Relaxation`): a
            simulated system's name (``glasslib.simulate.systems``, e.g. ``"SiO2-Vashishta"``) or
            ``"training"`` (the system of the checkpoint's training sets); None: off, the default.
        device: torch device.
    """

    n: int
    seed: int
    atoms: int | None = None
    density: float | None = None
    composition: str | None = None
    steps: int = 200
    rho: float = 7.0
    corrector_steps: int = 1
    snr: float = 0.1
    corrector_sigma_max: float = 0.5
    sampler: str = "pc"
    churn: float = 0.0
    restarts: int = 0
    batch: int | None = None
    autoguidance: float = 2.0
    guidance_step: float = 1.0
    potential: str | None = None
    potential_temperature: float = 300.0
    potential_sigma_max: float = 0.5
    potential_max_force: float | None = None
    restraint: str | None = None
    restraint_sigma_max: float = 1.0
    relax: str | None = None
    device: str = "cpu"

    def __post_init__(self):
        for name in ("n", "atoms", "steps"):
            value = getattr(self, name)
            if not (value is None and name == "atoms") and not (isinstance(value, int) and value >= 1):
                raise InputError(f"{name} must be a positive integer, got {value}")
        if not isinstance(self.seed, int):
            raise InputError(f"seed must be an integer, got {self.seed}")
        if self.batch is not None and not (isinstance(self.batch, int) and self.batch >= 1):
            raise InputError(f"batch must be a positive integer, got {self.batch}")
        if self.density is not None and not (isinstance(self.density, (int, float)) and math.isfinite(self.density)
                                             and self.density > 0):
            raise InputError(f"density must be positive (g/cm3), got {self.density}")
        if self.corrector_steps < 0 or self.restarts < 0:
            raise InputError("corrector_steps and restarts must be >= 0")
        if self.sampler not in SAMPLERS:
            raise InputError(f"sampler must be one of {sorted(SAMPLERS)}, got {self.sampler!r}")
        for name, ok, rule in (("snr", lambda v: v > 0, "> 0"), ("corrector_sigma_max", lambda v: v >= 0, ">= 0"),
                               ("churn", lambda v: v >= 0, ">= 0"),
                               ("guidance_step", lambda v: v >= 0, ">= 0"), ("autoguidance", lambda v: v >= 1, ">= 1"),
                               ("potential_temperature", lambda v: v > 0, "> 0 (K)"),
                               ("potential_sigma_max", lambda v: v > 0, "> 0 (Å)"),
                               ("restraint_sigma_max", lambda v: v > 0, "> 0 (Å)")):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and ok(value)):
                raise InputError(f"{name} must be a finite number {rule}, got {value}")
        if self.restraint is not None:
            get_restraint(self.restraint)
        if self.relax is not None and not (isinstance(self.relax, str) and self.relax.strip()):
            raise InputError(f"relax must be a system name, 'training' or None, got {self.relax!r}")
        cap = self.potential_max_force
        if cap is not None and not (isinstance(cap, (int, float)) and math.isfinite(cap) and cap > 0):
            raise InputError(f"potential_max_force must be a finite number > 0 (eV/Å) or None, got {cap}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "SampleConfig":
        reject_unknown_keys(d, (f.name for f in fields(cls)), "sample config")
        return cls(**d)


@dataclass
class Generated:
    """Sampled structures and the record of how they were made (module docstring)."""

    structures: Structures
    record: dict = field(default_factory=dict)

    def info(self, index: int) -> dict:
        """Flat extxyz fields of structure ``index`` (config, checkpoint hashes, targets)."""
        return flat_info(self.record, index)

    def to_ase(self) -> list:
        """The structures as ``ase.Atoms`` (periodic), each with :meth:`info` in ``atoms.info``."""
        atoms = to_ase(self.structures)
        for k, a in enumerate(atoms):
            a.info.update(self.info(k))
        return atoms


def flat_info(record: dict, index: int) -> dict:
    """Flat extxyz fields of structure ``index`` of a run with this record (config, checkpoint
    hashes, targets, the relaxing system)."""
    r = record
    info = {**r["config"], "index": int(index), "checkpoint": r["checkpoint"],
            "checkpoint_sha256": r["checkpoint_sha256"], "glasslib": r["glasslib"]}
    if r.get("weak_checkpoint"):
        info.update(weak=r["weak_checkpoint"], weak_sha256=r["weak_checkpoint_sha256"])
    else:
        info.pop("autoguidance")
    if r["targets"]:
        info["guided"] = ",".join(f"{t['kind']}:{Path(t['source'] or '-').name}:{t['weight']}" for t in r["targets"])
    if r.get("relax"):  # the system actually used ("training" resolved) and its potential file
        info.update(relax=r["relax"]["system"], relax_potential_sha256=r["relax"]["potential_sha256"])
    return {k: v for k, v in info.items() if v is not None}


def cell_contents(ckpt: Checkpoint, config: SampleConfig) -> CellContents:
    """The resolved composition, atoms, density and species of ``config`` for ``ckpt``
    (:func:`glasslib.diffusion.cell_contents.resolve_contents`)."""
    return resolve_contents(ckpt.species, ckpt.data_summary, config.composition, config.atoms, config.density,
                            cutoff=ckpt.config.model.cutoff, source=ckpt.path)


def _load(checkpoint, device) -> Checkpoint:
    return checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint, device)


@dataclass
class _Recipe:
    """What :func:`generate` resolves before sampling: the (wrapped) score, the cell and the time
    grid, and the record."""

    score: Callable
    sde: object
    contents: CellContents
    cell: torch.Tensor
    times: torch.Tensor
    record: dict
    relax: "Relaxation | None" = None


def _recipe(checkpoint, config: SampleConfig, targets: Sequence[GuidanceTerm], weak) -> _Recipe:
    device = torch.device(config.device)
    ckpt = _load(checkpoint, device)
    contents = cell_contents(ckpt, config)
    dtype, sde = ckpt.config.torch_dtype, ckpt.sde
    score = ckpt.score
    weak_ckpt = None
    if weak is not None:
        weak_ckpt = _load(weak, device)
        ckpt.require_companion(weak_ckpt)
        score = with_autoguidance(ckpt.score, weak_ckpt.score, config.autoguidance)
    terms = list(targets)
    if terms:
        observables = [t.target.observable(smearing=t.smearing, dtype=dtype, device=device) for t in terms]
        values = [t.target.values(dtype=dtype, device=device) for t in terms]
        score = with_spectral_guidance(score, observables, values, [t.weight for t in terms],
                                       sigma_fn=sde.sigma, step_size=config.guidance_step)
    restraint = None
    if config.restraint is not None:
        restraint = get_restraint(config.restraint)
        restraint.require_cell(contents.species, contents.composition)
        score = with_restraint(score, restraint, sigma_fn=sde.sigma, sigma_max=config.restraint_sigma_max)
    potential = None
    if config.potential is not None:
        potential = _potential(config.potential, contents)
        score = with_potential_guidance(score, potential, config.potential_temperature, sigma_fn=sde.sigma,
                                        sigma_max=config.potential_sigma_max, max_force=config.potential_max_force)
    relax = None if config.relax is None else Relaxation.resolve(config.relax, ckpt, contents)
    resolved = {**config.to_dict(), "composition": contents.composition, "atoms": contents.atoms,
                "density": contents.density}
    record = {
        "glasslib": __version__,
        "config": resolved,
        "checkpoint": str(ckpt.path),
        "checkpoint_sha256": sha256_file(ckpt.path),
        "checkpoint_step": ckpt.step,
        "weak_checkpoint": None if weak_ckpt is None else str(weak_ckpt.path),
        "weak_checkpoint_sha256": None if weak_ckpt is None else sha256_file(weak_ckpt.path),
        "sde": sde.to_dict(),
        "dtype": str(dtype).removeprefix("torch."),
        "targets": [t.describe() for t in terms],
        "potential": None if potential is None else {**potential.describe(), "file": str(config.potential),
                                                     "sha256": sha256_file(config.potential)},
        "restraint": None if restraint is None else {"name": config.restraint, **restraint.describe()},
        "relax": None if relax is None else relax.describe(),
        "scope_warnings": scope_warnings(ckpt.data_summary, contents),
    }
    cell = torch.eye(3, dtype=dtype, device=device) * contents.box
    times = time_grid(config.steps, 1.0, sde.t_min, config.rho, dtype=dtype)
    return _Recipe(score, sde, contents, cell, times, record, relax)


def _potential(path: str, contents: CellContents):
    """The physics term's energy for the cell's elements (one element only, except for Vashishta files)."""
    return load_potential(path, contents.elements)


@dataclass(frozen=True)
class Start:
    """A given start for sampling (SDEdit, Meng et al. 2022): the reverse SDE starts at noise
    level ``sigma`` (Å) from ``structures`` plus Gaussian noise of that σ, instead of from uniform
    noise at σ_max, and runs ``config.steps`` steps from t(σ) down to t_min. ``structures``: one
    structure (used for every sample) or ``config.n`` of them; their cells replace the config's
    cubic cell, and their species must be the checkpoint's."""

    structures: Structures
    sigma: float

    def __post_init__(self):
        if not (isinstance(self.sigma, (int, float)) and math.isfinite(self.sigma) and self.sigma > 0):
            raise InputError(f"start sigma must be a positive number of Å, got {self.sigma}")

    def describe(self) -> dict:
        s = self.structures
        digest = hashlib.sha256(s.positions.detach().cpu().double().numpy().tobytes()).hexdigest()
        return {"sigma": float(self.sigma), "n_structures": s.n_systems, "atoms": s.n_atoms // s.n_systems,
                "positions_sha256": digest}

    def batch(self, first: int, count: int, n: int, dtype, device) -> Structures:
        """Structures ``first .. first + count`` of a run of ``n`` (one start repeated, or one each)."""
        s = self.structures.to(device=device, dtype=dtype)
        if s.n_systems not in (1, n):
            raise InputError(f"a start needs 1 or n = {n} structures, got {s.n_systems}")
        return concatenate([s[0 if s.n_systems == 1 else first + k] for k in range(count)])


def _start_recipe(recipe: _Recipe, config: SampleConfig, start: Start) -> _Recipe:
    """The recipe with a given start (checked): its time grid from t(σ_start) and its record (the
    start's cells and atoms are used as they are by :func:`_passes`)."""
    s = start.structures
    counts = s.n_atoms_per_system
    if bool((counts != counts[0]).any()):
        raise InputError("start structures must all have the same number of atoms")
    known = set(int(z) for z in recipe.contents.species)
    if not set(int(z) for z in s.species.unique()) <= known:
        raise InputError(f"start holds elements the checkpoint does not know (it has Z = {sorted(known)})")
    if start.sigma >= recipe.sde.sigma_max:
        raise InputError(f"start sigma {start.sigma} Å must lie below the checkpoint's σ_max {recipe.sde.sigma_max} Å")
    t_start = recipe.sde.time(start.sigma)
    times = time_grid(config.steps, t_start, recipe.sde.t_min, config.rho, dtype=recipe.times.dtype)
    record = {**recipe.record, "start": start.describe()}
    return _replace_fields(recipe, times=times, record=record)


def _sampler_options(config: SampleConfig) -> dict:
    """The options of ``config.sampler`` beyond the shared ones."""
    if config.sampler == "heun":
        return {"churn": config.churn}
    return {"n_corrector": config.corrector_steps, "snr": config.snr, "corrector_sigma_max": config.corrector_sigma_max}


def _passes(recipe: _Recipe, config: SampleConfig, gen: torch.Generator, first: int = 0, callback=None,
            start: Start | None = None):
    """Yield ``(index of its first structure, Structures)`` for every batched pass from structure
    ``first`` on, all draws from ``gen`` (so a pass depends only on ``gen``'s state before it)."""
    batch = config.batch or config.n
    done = first
    while done < config.n:
        b = min(batch, config.n - done)
        if start is None:
            x = initial_noise(b, recipe.contents.atoms, recipe.cell, recipe.contents.species, gen)
        else:
            x0 = start.batch(done, b, config.n, recipe.cell.dtype, recipe.cell.device)
            noise = torch.randn(x0.positions.shape, generator=gen, dtype=x0.dtype, device=x0.device)
            x = x0.with_positions(x0.positions + start.sigma * noise)
        try:
            out = SAMPLERS[config.sampler](recipe.score, x, recipe.times, generator=gen, sde=recipe.sde,
                                           n_restarts=config.restarts, callback=callback, **_sampler_options(config))
        except NumericalError as exc:  # name the structure by its index in the whole run
            if done == 0 or exc.structure is None:
                raise
            k = done + exc.structure
            raise NumericalError(str(exc).replace(f"in structure {exc.structure} ", f"in structure {k} ", 1),
                                 step=exc.step, structure=k) from None
        if recipe.relax is not None:
            out = recipe.relax(out)
        yield done, out
        done += b


def generate(checkpoint: Checkpoint | str | os.PathLike, config: SampleConfig, targets: Sequence[GuidanceTerm] = (),
             *, weak: Checkpoint | str | os.PathLike | None = None,
             callback: Callable[[dict], None] | None = None, start: Start | None = None) -> Generated:
    """Sample ``config.n`` structures from ``checkpoint`` (module docstring).

    Args:
        checkpoint: a checkpoint file (``glass train``) or a loaded :class:`Checkpoint`.
        config: the sampling settings.
        targets: spectral guidance terms (none: unconditional).
        weak: weak companion network for autoguidance with weight ``config.autoguidance``.
        callback: passed to the sampler, called after every step (progress bars).
        start: a given start at an intermediate noise level (:class:`Start`, SDEdit); None: uniform noise.

    Returns:
        :class:`Generated` with the (n·atoms)-atom batch and its record.

    Raises:
        NumericalError: a non-finite score, guidance gradient or step (naming the structure and step).
    """
    recipe = _recipe(checkpoint, config, targets, weak)
    if start is not None:
        recipe = _start_recipe(recipe, config, start)
    gen = torch.Generator(device=torch.device(config.device)).manual_seed(config.seed)
    parts = [s for _, s in _passes(recipe, config, gen, callback=callback, start=start)]
    return Generated(concatenate(parts) if len(parts) > 1 else parts[0], recipe.record)


def _jsonable(record: dict) -> dict:
    return json.loads(json.dumps(record))


def resume_point(out_dir: str | os.PathLike) -> int:
    """Structures an unfinished :func:`sample_into` run in ``out_dir`` has finished (0 if none)."""
    path = Path(out_dir) / RESUME_NAME
    try:
        return int(json.loads(path.read_text())["done"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def sample_into(out_dir: str | os.PathLike, checkpoint: Checkpoint | str | os.PathLike, config: SampleConfig,
                targets: Sequence[GuidanceTerm] = (), *, weak: Checkpoint | str | os.PathLike | None = None,
                callback: Callable[[dict], None] | None = None, replace: bool = False) -> list[Path]:
    """:func:`generate` into ``out_dir``, pass by pass, so that a killed run resumes.

    After every batched pass (``config.batch`` structures) its structures are written (one extxyz
    each, atomically, as :func:`write_samples` does) and then ``.sample_resume.json``: the record
    and the generator's state after the pass. After the last pass ``sample_config.json`` is
    written and the resume file removed. A run killed at any point leaves finished samples and
    (after the first pass) the resume file; the same call again continues after the last
    finished pass and ends with the files of an uninterrupted run, bit for bit. An unfinished run
    with another record (other settings, checkpoint or targets) is refused, unless ``replace``,
    which starts afresh as :func:`write_samples` does (the old run's record, resume file and
    samples beyond ``config.n`` are removed first; other files are left alone).
    """
    out_dir = Path(out_dir)
    recipe = _recipe(checkpoint, config, targets, weak)
    record = _jsonable(recipe.record)
    gen = torch.Generator(device=torch.device(config.device)).manual_seed(config.seed)
    state_path, first = out_dir / RESUME_NAME, 0
    if replace:
        for p in [out_dir / RECORD_NAME, state_path, *stale_samples(out_dir, config.n)]:
            p.unlink(missing_ok=True)
    elif state_path.exists():
        try:
            state = json.loads(state_path.read_text())
            same = state["record"] == record
            first = int(state["done"])
            generator_state = torch.frombuffer(bytearray(base64.b64decode(state["generator"])), dtype=torch.uint8)
        except (OSError, ValueError, KeyError, TypeError):
            raise InputError("unreadable resume file of an unfinished run; pass --force to start afresh",
                             state_path) from None
        if not same:
            raise InputError("holds an unfinished run with other settings, checkpoint or targets; use another folder "
                             "or pass --force to replace it", out_dir)
        try:
            gen.set_state(generator_state)
        except RuntimeError:  # a generator state of another torch build
            raise InputError("the resume file's generator state does not fit this torch; pass --force to start "
                             "afresh", state_path) from None
    paths = sample_paths(out_dir, config.n)
    for start, part in _passes(recipe, config, gen, first, callback):
        for k, one in enumerate(part.split()):
            write_extxyz(one, paths[start + k], info=[flat_info(recipe.record, start + k)])
        state = {"record": record, "done": start + part.n_systems,
                 "generator": base64.b64encode(gen.get_state().numpy().tobytes()).decode("ascii")}
        atomic_write_text(state_path, json.dumps(state) + "\n")
    atomic_write_text(out_dir / RECORD_NAME, json.dumps(recipe.record, indent=2) + "\n")
    state_path.unlink(missing_ok=True)
    return paths


def sample_structures(checkpoint: Checkpoint | str | os.PathLike, n: int, seed: int, *, composition: str | None = None,
                      atoms: int | None = None, density: float | None = None,
                      targets: Sequence[GuidanceTerm] = (), **sampler) -> list:
    """``n`` structures as ``ase.Atoms`` (periodic; ``atoms.info`` holds the record's flat fields).

    The same recipe as :func:`generate`; ``composition``, ``atoms`` and ``density`` default to the
    checkpoint's training set, ``sampler`` takes the other :class:`SampleConfig` fields (``steps``,
    ``device``, ...). Example: ``sample_structures("data/models/sio2_vashishta_prior/checkpoint.pt",
    2, seed=0, composition="SiO2", atoms=192)``.
    """
    config = SampleConfig(n=n, seed=seed, composition=composition, atoms=atoms, density=density, **sampler)
    return generate(checkpoint, config, targets).to_ase()


def predictor_steps(config: SampleConfig, sde) -> int:
    """Predictor steps :func:`generate` takes per batched pass (main pass plus restarts, which
    re-run the grid below the sampler's default restart time), for progress bars."""
    times = time_grid(config.steps, 1.0, sde.t_min, config.rho)
    t_restart = default_restart_time(float(times[0]), sde)
    return config.steps + config.restarts * int((times < t_restart).sum())


def sample_paths(out_dir: str | os.PathLike, n: int) -> list[Path]:
    """``out_dir/sample_0000.extxyz`` … for ``n`` structures."""
    return [Path(out_dir) / f"sample_{k:04d}.extxyz" for k in range(n)]


def output_paths(out_dir: str | os.PathLike, n: int) -> list[Path]:
    """Every file a run of ``n`` structures writes into ``out_dir``: the samples and ``sample_config.json``."""
    return [*sample_paths(out_dir, n), Path(out_dir) / RECORD_NAME]


def stale_samples(out_dir: str | os.PathLike, n: int) -> list[Path]:
    """Sample files in ``out_dir`` beyond the first ``n`` (left there by an earlier, larger run)."""
    keep = {p.name for p in sample_paths(out_dir, n)}
    return sorted(p for p in Path(out_dir).glob("sample_*.extxyz")
                  if re.fullmatch(r"sample_\d{4,}\.extxyz", p.name) and p.name not in keep)


def require_new_output(out_dir: str | os.PathLike, n: int) -> None:
    """One-line error, before any sampling, if an output of a run into ``out_dir`` exists."""
    for p in output_paths(out_dir, n):
        if p.exists():
            raise InputError("output exists; choose another output folder or remove it (nothing was overwritten)", p)


def write_samples(generated: Generated, out_dir: str | os.PathLike, *, replace: bool = False) -> list[Path]:
    """One extxyz per structure (atomically) and ``sample_config.json`` (last) in ``out_dir``.

    ``replace``: the run replaces an earlier one in ``out_dir``; its ``sample_config.json`` and
    its sample files beyond this run's count (:func:`stale_samples`) are removed first, so the
    folder holds this run only and an interrupted replacement leaves no record of the old run.
    Other files in ``out_dir`` are left alone.
    """
    if replace:
        for p in [Path(out_dir) / RECORD_NAME, *stale_samples(out_dir, generated.structures.n_systems)]:
            p.unlink(missing_ok=True)
    paths = sample_paths(out_dir, generated.structures.n_systems)
    for k, (s, p) in enumerate(zip(generated.structures.split(), paths)):
        write_extxyz(s, p, info=[generated.info(k)])
    atomic_write_text(Path(out_dir) / RECORD_NAME, json.dumps(generated.record, indent=2) + "\n")
    return paths
