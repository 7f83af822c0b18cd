"""FEFF reference EXAFS of one absorber: a cluster cut from a periodic structure (every image),
its ``feff.inp``, a ``feff6l`` run through larch, and χ(k) summed over FEFF's paths.

This is the ab-initio route the EXAFS surrogate (:mod:`glasslib.spectra.exafs_surrogate`) is
trained on and checked against; docs/conventions.md ("EXAFS") states every choice.

Cluster. For an absorber i of a periodic structure, every atom j and image with
|r_ij| < ``cluster_radius`` (:func:`glasslib.core.geometry.neighbor_pairs`, full list, so a cell
smaller than the cluster contributes several images of one atom) at the position r_ij relative
to the absorber, which sits at the origin. Unique potentials: 0 the absorber, then one per
element present in the cluster in increasing Z.

FEFF cards (:class:`FeffCards`): ``HOLE 1 S0²`` (K edge), ``RMAX`` (half path length, Å),
``NLEG`` (legs per path; 2 = single scattering), ``CONTROL 1 1 1 1``, ``PRINT 0 0 0 0``; no
``DEBYE``/``SIG2`` card: disorder comes from the structure itself, and ``sigma2`` below is
added by the path sum instead. ``feff6l`` computes overlapped-atom muffin-tin potentials (no
self-consistency), phase shifts, paths and their ``feffNNNN.dat`` files.

Path sum (larch's ``feffpath`` + ``ff2chi``), the EXAFS equation of FEFF with per-path
parameters S0²·t(R_eff), ΔE0 = ``e0`` (eV, relative to FEFF's own edge) and σ² = ``sigma2`` (Å²):

    χ(k) = Σ_paths t(R_eff) · χ_path(k; S0², ΔE0, σ²),
    t(R) = 1 for R ≤ R_max − w, ½[1 + cos(π (R − R_max + w)/w)] up to R_max, 0 beyond,

where w = ``path_taper`` (Å): FEFF keeps paths up to R_max sharply; the taper makes the
reference a smooth function of the positions, the same switch the surrogate uses. χ is
returned on k = 0, ``k_step``, …, ``k_max`` (Å⁻¹), k measured from FEFF's edge energy.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import torch
from ase.data import atomic_numbers, chemical_symbols

from glasslib.core.errors import InputError, reject_unknown_keys
from glasslib.core.geometry import neighbor_pairs
from glasslib.core.structures import Structures

#: the FEFF executable of the xraylarch wheel this module drives
EXECUTABLE = "feff6l"
#: closest approach (Å) accepted between two atoms of a cluster; FEFF's muffin tins fail below it
MIN_DISTANCE = 1.0
_FAILURE = re.compile(r"(fatal|error|not converge|cannot open|stop)", re.IGNORECASE)


@dataclass(frozen=True)
class FeffCards:
    """FEFF settings of one run and the path sum (module docstring); lengths in Å.

    Attributes:
        edge: absorption edge (only ``"K"``: ``HOLE 1``).
        s02: S0², amplitude reduction factor (``HOLE 1 s02``).
        rmax: ``RMAX``, longest half path length R_eff kept.
        nleg: ``NLEG``, most legs per path (2: single scattering).
        cluster_radius: radius of the absorber-centred cluster (periodic images included).
        path_taper: width w of the cosine taper of path weights below ``rmax`` (0: sharp).
        sigma2: σ² added to every path (Å²); 0: disorder only from the structure.
        e0: ΔE0 (eV) added to FEFF's edge energy in the path sum.
        k_max, k_step: the χ(k) grid 0..k_max (Å⁻¹).
    """

    edge: str = "K"
    s02: float = 0.9
    rmax: float = 6.0
    nleg: int = 2
    cluster_radius: float = 7.0
    path_taper: float = 0.5
    sigma2: float = 0.0
    e0: float = 0.0
    k_max: float = 14.0
    k_step: float = 0.05

    def __post_init__(self):
        if self.edge != "K":
            raise InputError(f"FEFF cards: only the K edge is supported, got edge {self.edge!r}")
        for name in ("s02", "rmax", "cluster_radius", "k_max", "k_step"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise InputError(f"FEFF cards: {name} must be a positive number, got {v!r}")
        if not (isinstance(self.nleg, int) and 2 <= self.nleg <= 8):
            raise InputError(f"FEFF cards: nleg must be an integer 2..8, got {self.nleg!r}")
        if self.cluster_radius < self.rmax:
            raise InputError(f"FEFF cards: cluster_radius ({self.cluster_radius}) must be at least rmax ({self.rmax})")
        if not (0 <= self.path_taper < self.rmax and self.sigma2 >= 0 and math.isfinite(self.e0)):
            raise InputError("FEFF cards: need 0 <= path_taper < rmax, sigma2 >= 0 and a finite e0")

    def k_grid(self) -> np.ndarray:
        """(K,) k = 0, k_step, …, k_max (Å⁻¹), float64."""
        n = int(math.floor(self.k_max / self.k_step + 1e-9)) + 1
        return self.k_step * np.arange(n, dtype=np.float64)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "FeffCards":
        reject_unknown_keys(d, {f.name for f in fields(cls)}, "FEFF cards")
        return cls(**d)


def path_taper(r, rmax: float, width: float):
    """t(R) of the module docstring (numpy or torch, elementwise)."""
    if width <= 0:
        return (r <= rmax) * 1.0
    x = ((r - (rmax - width)) / width).clip(0.0, 1.0)
    return 0.5 * (1.0 + (np.cos(math.pi * x) if isinstance(x, np.ndarray) or np.isscalar(x) else torch.cos(math.pi * x)))


@dataclass(frozen=True)
class Cluster:
    """An absorber-centred cluster: the absorber at the origin and its neighbours.

    Attributes:
        absorber: atomic number of the absorber.
        vectors: (n, 3) neighbour positions relative to the absorber, Å (images included).
        species: (n,) neighbours' atomic numbers.
        where: what it was cut from (``"<file> atom <index>"``), for messages.
    """

    absorber: int
    vectors: np.ndarray
    species: np.ndarray
    where: str


def cut_clusters(structures: Structures, atoms, radius: float) -> list[Cluster]:
    """Clusters of radius ``radius`` (Å) around the batch atoms ``atoms`` (indices into the batch),
    with every periodic image (one neighbour search for the whole batch).

    One-line :class:`InputError` naming the structure and atom when an absorber has no neighbour
    within ``radius`` or two atoms of a cluster are closer than :data:`MIN_DISTANCE`.
    """
    atoms = [int(a) for a in atoms]
    if not atoms:
        return []
    with torch.no_grad():
        pairs = neighbor_pairs(structures.to(dtype=torch.float64), radius, full=True)
    i, j = pairs.i.cpu().numpy(), pairs.j.cpu().numpy()
    vec = pairs.vectors.detach().cpu().numpy()
    z = structures.species.cpu().numpy()
    system = structures.system_idx.cpu().numpy()
    starts = np.concatenate([[0], np.cumsum(structures.n_atoms_per_system.cpu().numpy())])
    order = np.argsort(i, kind="stable")
    bounds = np.searchsorted(i[order], np.arange(structures.n_atoms + 1))
    out = []
    for a in atoms:
        where = _where(structures, int(system[a]), a - int(starts[system[a]]))
        rows = order[bounds[a]:bounds[a + 1]]
        if rows.size == 0:
            raise InputError(f"{where}: absorber has no neighbours within the cluster radius {radius:g} Å")
        v, s = vec[rows], z[j[rows]]
        d = np.sqrt((v * v).sum(1))
        close = d.min()
        if rows.size > 1:
            diff = v[:, None, :] - v[None, :, :]
            dd = np.sqrt((diff * diff).sum(-1)) + np.eye(rows.size) * 1e9
            close = min(close, dd.min())
        if close < MIN_DISTANCE:
            raise InputError(f"{where}: two atoms of the cluster are {close:.3f} Å apart (< {MIN_DISTANCE} Å); "
                             "FEFF cannot build muffin tins")
        keep = np.argsort(d, kind="stable")
        out.append(Cluster(int(z[a]), v[keep], s[keep], where))
    return out


def _where(structures: Structures, system: int, local: int) -> str:
    name = structures.source or "structure"
    return f"{name} atom {local}" if structures.n_systems == 1 else f"{name} [structure {system}] atom {local}"


def feff_input(cluster: Cluster, cards: FeffCards, title: str = "glasslib EXAFS") -> str:
    """The ``feff.inp`` text of a cluster (module docstring)."""
    elements = sorted(set(int(z) for z in cluster.species))
    ipot = {z: k + 1 for k, z in enumerate(elements)}
    lines = [f"TITLE {' '.join(title.split())[:70]}", f"HOLE 1 {cards.s02:.4f}", "CONTROL 1 1 1 1", "PRINT 0 0 0 0",
             f"RMAX {cards.rmax:.4f}", f"NLEG {cards.nleg}", "", "POTENTIALS",
             f"  0 {cluster.absorber} {chemical_symbols[cluster.absorber]}"]
    lines += [f"  {ipot[z]} {z} {chemical_symbols[z]}" for z in elements]
    lines += ["", "ATOMS", f"  {0.0:10.5f} {0.0:10.5f} {0.0:10.5f} 0"]
    lines += [f"  {x:10.5f} {y:10.5f} {w:10.5f} {ipot[int(z)]}" for (x, y, w), z in zip(cluster.vectors, cluster.species)]
    return "\n".join(lines + ["END", ""])


def find_feff() -> Path:
    """Path of the ``feff6l`` executable shipped in the xraylarch wheel; one-line error if absent."""
    try:
        from larch.xafs.feffrunner import find_exe
    except ImportError:
        raise InputError("EXAFS references need xraylarch (pip install xraylarch==2026.3.1), "
                         "which ships the feff6l executable") from None
    exe = find_exe(EXECUTABLE)
    if exe is None:
        raise InputError(f"the {EXECUTABLE} executable is missing from the xraylarch installation (larch/bin)")
    return Path(exe)


@dataclass(frozen=True)
class FeffResult:
    """χ(k) of one absorber.

    Attributes:
        k: (K,) Å⁻¹; chi: (K,) χ(k) (dimensionless); n_paths: FEFF paths summed;
        reff: (n_paths,) their half path lengths, Å; seconds: wall time of FEFF and the sum.
    """

    k: np.ndarray
    chi: np.ndarray
    n_paths: int
    reff: np.ndarray
    seconds: float


def _failure_line(log: Path) -> str:
    if not log.is_file():
        return "no log written"
    lines = [ln.strip() for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    bad = [ln for ln in lines if _FAILURE.search(ln)]
    return (bad or lines or ["empty log"])[-1][:160]


def run_feff(cluster: Cluster, cards: FeffCards, *, workdir: str | Path | None = None, keep: bool = False) -> FeffResult:
    """Run ``feff6l`` on ``cluster`` and sum its paths into χ(k) (module docstring).

    Args:
        cluster: from :func:`cut_clusters`.
        cards: the FEFF settings.
        workdir: folder to run in (default: a fresh temporary folder, removed afterwards unless
            ``keep``).

    Raises:
        InputError: one line naming the cluster's structure and atom when the executable is
            missing, FEFF stops, writes no path, or the sum is not finite.
    """
    exe = find_feff()
    from larch.xafs import feffpath, ff2chi
    from larch.xafs.feffrunner import FeffRunner

    start = time.perf_counter()
    own = workdir is None
    folder = Path(tempfile.mkdtemp(prefix="glasslib-feff-")) if own else Path(workdir)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        (folder / "feff.inp").write_text(feff_input(cluster, cards, title=cluster.where))
        try:
            FeffRunner(folder=str(folder), feffinp="feff.inp", verbose=False).run(exe=str(exe))
        except Exception as exc:  # larch raises bare Exceptions (missing input, executable)
            raise InputError(f"{cluster.where}: FEFF did not run ({exc})") from None
        log = folder / f"feffrun_{exe.name}.log"
        files = sorted(folder.glob("feff[0-9][0-9][0-9][0-9].dat"))
        text = log.read_text(errors="replace") if log.is_file() else ""
        if not files or "Feff done" not in text or _FAILURE.search(text):
            raise InputError(f"{cluster.where}: FEFF failed ({_failure_line(log)}); inputs in {folder}")
        paths = [feffpath(str(f), s02=cards.s02, sigma2=cards.sigma2, e0=cards.e0) for f in files]
        reff = np.array([p.reff for p in paths])
        for p, t in zip(paths, path_taper(reff, cards.rmax, cards.path_taper)):
            p.s02 = cards.s02 * float(t)
        k = cards.k_grid()
        chi = np.asarray(ff2chi(paths, k=k).chi, dtype=np.float64)
        if chi.shape != k.shape or not np.isfinite(chi).all():
            raise InputError(f"{cluster.where}: FEFF path sum is not finite; inputs in {folder}")
    except InputError:
        own = False  # keep the folder for inspection
        raise
    finally:
        if own and not keep:
            shutil.rmtree(folder, ignore_errors=True)
    return FeffResult(k, chi, len(paths), reff, time.perf_counter() - start)


def element_number(symbol) -> int:
    """Atomic number of an element symbol or number; one-line error otherwise."""
    if isinstance(symbol, int) and 1 <= symbol <= 118:
        return symbol
    if isinstance(symbol, str) and symbol in atomic_numbers:
        return atomic_numbers[symbol]
    raise InputError(f"unknown element {symbol!r}")
