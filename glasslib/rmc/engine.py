"""Reverse Monte Carlo (RMC): the baseline GLASS is compared with.

RMC (McGreevy & Pusztai, Mol. Simul. 1, 359 (1988)) moves one atom at a time and accepts
a move with the Metropolis rule on the misfit to one or several measured spectra,

    χ² = Σ_o Σ_k [y_o(x_k) − t_o(x_k)]² / σ_o²,                                   (1)
    accept if Δχ² ≤ 0, else with probability exp(−Δχ²/2),                        (2)

where y_o is the model's observable o (g(r), S(Q) or F(Q), ADF) on its grid x_k, t_o the
target interpolated there and σ_o the one per-dataset width (the "temperature" of the fit).

Every pair observable is an affine map y = b + J·H of one set of per-species-pair distance
histograms H_p[k] (bins of width Δr centred on r_k = (k + ½)Δr, upper edge r_max ≤ half the
shortest cell length), built with glasslib's own operators (eq. (3), the histogram → g(r) →
S(Q)/F(Q) chain and its coefficients: :mod:`glasslib.rmc.observables`); the move loop
(numba, :mod:`glasslib.rmc.kernels`) only adds J-columns of the bins a move changes. The
ADF is the bond-angle distribution of :func:`glasslib.spectra.angles.bond_angle_distribution`
(σ = 0, all species, legs shorter than the target's cutoff), updated incrementally from
the angles centred on the moved atom and on its neighbours.

A move of atom i displaces it uniformly in a cube of half-width δ (Å); its distances
before and after come from a cell list (cells ≥ r_max/2, updated on accepted moves), so
the cost of a move is proportional to the atoms within ≈ r_max, not to N. A move that
brings two atoms of species α, β closer than the closest approach d_αβ is rejected. δ
may adapt every ``adapt_every`` attempts, δ ← δ·exp(a − a*), towards an acceptance a* (off by
default: see :class:`RMCConfig`).
The random stream is a numpy ``Generator`` (PCG64) seeded from ``config.seed``; numba draws
from it directly, so a checkpoint (which stores its state with every array of the run)
resumes to exactly the result of an uninterrupted run of the same number of moves.

A start that violates a closest approach (e.g. a hot liquid) keeps those pairs until moves
separate them; no accepted move creates a new violation. Units: Å, Å⁻¹, degrees, g/cm³.
Cells must be orthorhombic (minimum image per axis).
"""

from __future__ import annotations

import io
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from glasslib.core.atomic_io import atomic_write_bytes
from glasslib.core.errors import InputError, NumericalError
from glasslib.core.geometry import neighbor_pairs
from glasslib.core.structures import Structures
from glasslib.rmc.kernels import angle_counts, build_cells, pair_histogram, run_moves
from glasslib.rmc.observables import build_pair_observables, histogram_pair_distribution
from glasslib.rmc.starts import closest_approach, periodic_structure
from glasslib.rmc.targets import require_rmc_kinds
from glasslib.spectra.targets import Target
from glasslib.spectra.measured import to_grid
from glasslib.spectra.rdf import PairDistribution, uniform_grid

__all__ = ["RMC", "RMCConfig", "RMC_REVISION"]

#: bump when a change alters the trajectory of a run with the same inputs (checkpoints record it)
RMC_REVISION = 1


# ------------------------------------------------------------------------ inputs
@dataclass(frozen=True)
class RMCConfig:
    """Settings of one RMC run (saved in every checkpoint).

    r_max: upper edge of the last histogram bin, Å (None: half the shortest cell length,
        rounded down to a multiple of ``dr``); must not exceed half the shortest cell length.
    dr: histogram bin width, Å (bins centred on (k + ½)Δr).
    min_distance: closest approach, Å: one number for all pairs, or ``{"Si-O": 1.5, ...}``
        (pairs not named get 0.9 × the sum of covalent radii); None: that default for all.
    step: maximum displacement per axis, Å (the initial one when it adapts); step_min/step_max
        bound the adaptation.
    target_acceptance: acceptance ratio the step is steered to every ``adapt_every`` moves, or None
        (default) for a fixed step. Steering is off by default because in histogram RMC a small
        step raises the acceptance mostly with moves that change no bin: on a-Si g(r) fits a fixed
        0.3 Å step (acceptance 0.2–2 %) lowers χ² several times faster per move than a step
        steered to 30 % acceptance (which shrinks to ~0.02 Å).
    lorch: Lorch window in the g(r) → S(Q) transform (as in structure_factor_from_gr).
    max_q_points: S(Q)/F(Q) targets with more points are interpolated onto this many uniform points.
    dtheta: ADF bin width, degrees (bins centred on (k + ½)Δθ over 0–180°).
    seed: seeds the move generator (numpy PCG64).
    """

    r_max: float | None = None
    dr: float = 0.02
    min_distance: float | Mapping[str, float] | None = None
    step: float = 0.3
    step_min: float = 0.01
    step_max: float = 1.0
    target_acceptance: float | None = None
    adapt_every: int = 1000
    lorch: bool = True
    max_q_points: int = 400
    dtheta: float = 2.0
    seed: int = 0

    def __post_init__(self):
        md = self.min_distance
        if isinstance(md, Mapping):
            object.__setattr__(self, "min_distance", tuple(sorted((str(k), float(v)) for k, v in md.items())))
        checks = [
            (self.dr > 0 and math.isfinite(self.dr), f"dr must be positive, got {self.dr}"),
            (self.r_max is None or (self.r_max > 0 and math.isfinite(self.r_max)), f"r_max must be positive, got {self.r_max}"),
            (0 < self.step_min <= self.step <= self.step_max, f"need 0 < step_min <= step <= step_max, got {self.step_min}, {self.step}, {self.step_max}"),
            (self.target_acceptance is None or 0 < self.target_acceptance < 1,
             f"target_acceptance must be in (0, 1) or None, got {self.target_acceptance}"),
            (self.adapt_every >= 1, f"adapt_every must be >= 1, got {self.adapt_every}"),
            (self.max_q_points >= 2, f"max_q_points must be >= 2, got {self.max_q_points}"),
            (0 < self.dtheta <= 90, f"dtheta must be in (0, 90] degrees, got {self.dtheta}"),
            (isinstance(self.seed, (int, np.integer)) and self.seed >= 0, f"seed must be a non-negative integer, got {self.seed!r}"),
        ]
        for ok, msg in checks:
            if not ok:
                raise InputError(msg)

    def to_dict(self) -> dict:
        d = asdict(self)
        if isinstance(self.min_distance, tuple):
            d["min_distance"] = dict(self.min_distance)
        return d


# ------------------------------------------------------------------------- the run
class RMC:
    """A reverse Monte Carlo run on one periodic structure (see the module docstring).

    Args:
        start: one orthorhombic periodic structure (e.g. :func:`random_start`, :func:`liquid_start`).
        targets: the datasets fitted jointly (:class:`Target`).
        config: :class:`RMCConfig`.

    Attributes after construction: ``r`` (R,) histogram bin centres, ``elements``, ``chi2``
    (total), ``moves``/``accepted`` counters, ``history`` (log rows of :meth:`run`).
    """

    def __init__(self, start: Structures, targets: Sequence[Target], config: RMCConfig = RMCConfig()):
        if not isinstance(start, Structures) or start.n_systems != 1:
            raise InputError("RMC needs exactly one structure to start from")
        start.require_periodic("RMC")
        targets = list(targets)
        require_rmc_kinds(targets)
        if not targets:
            raise InputError("RMC needs at least one target")
        self.config = config
        self.targets = targets
        cell = start.cell[0].detach().double().cpu().numpy()
        lengths = np.diag(cell).copy()
        if np.abs(cell - np.diag(lengths)).max() > 1e-9 * lengths.max() or np.any(lengths <= 0):
            raise InputError("RMC needs an orthorhombic cell (lattice vectors along x, y, z)", start.source)
        self.box = lengths
        self.inv_box = 1.0 / lengths
        z = start.species.cpu().numpy().astype(np.int64)
        self.elements = sorted(set(z.tolist()))
        self.species = z
        self.spec = np.searchsorted(self.elements, z).astype(np.int64)
        n_el = len(self.elements)
        self.counts = np.bincount(self.spec, minlength=n_el)
        self.volume = float(np.prod(lengths))
        pos = start.positions.detach().double().cpu().numpy() % lengths
        pos[pos >= lengths] = 0.0
        self.pos = np.ascontiguousarray(pos)
        self.info = dict(start.info[0]) if start.info else {}
        self.ptype = np.zeros((n_el, n_el), dtype=np.int64)
        p = 0
        for a in range(n_el):
            for b in range(a, n_el):
                self.ptype[a, b] = self.ptype[b, a] = p
                p += 1
        self.n_pairs = p
        self.cmin = closest_approach(self.elements, config.min_distance)
        # --- histogram grid: r_k = (k + ½)Δr, upper edge r_max ≤ L/2 (minimum image)
        half = 0.5 * float(lengths.min())
        r_max = half if config.r_max is None else float(config.r_max)
        if r_max > half * (1 + 1e-12):
            raise InputError(f"r_max = {r_max:g} Å exceeds half the shortest cell length ({half:.4f} Å); the "
                             "minimum-image histogram needs r_max <= L/2 (use more atoms or a smaller r_max)")
        n_r = int(math.floor(r_max / config.dr + 1e-9))
        if n_r < 2:
            raise InputError(f"r_max = {r_max:g} Å holds fewer than two bins of dr = {config.dr:g} Å")
        self.dr = float(config.dr)
        self.r = (np.arange(n_r) + 0.5) * self.dr
        _, self.r_start, step = uniform_grid(torch.as_tensor(self.r), dtype=torch.float64, device="cpu")
        self.dr_bin = step
        self.reach = n_r * self.dr
        if float(self.cmin.max()) >= self.reach:
            raise InputError(f"closest approach {self.cmin.max():g} Å must be below r_max = {self.reach:g} Å")
        # --- cell list: cells >= reach/2 and a 5-cell stencil (or >= reach and 3 cells); all atoms if too few
        self.nc = np.ones(3, dtype=np.int64)
        self.span = 0
        for span in (2, 1):
            nc = np.floor(lengths * span / self.reach).astype(np.int64)
            if np.all(nc >= 2 * span + 1):
                self.nc, self.span = nc, span
                break
        n = len(z)
        self.head = -np.ones(int(np.prod(self.nc)), dtype=np.int64)
        self.nxt = -np.ones(n, dtype=np.int64)
        self.prv = -np.ones(n, dtype=np.int64)
        self.cell = np.zeros(n, dtype=np.int64)
        build_cells(self.pos, self.inv_box, self.nc, self.head, self.nxt, self.prv, self.cell)
        self.hist = np.zeros((self.n_pairs, n_r), dtype=np.int64)
        self._build_observables()
        self.counters = np.zeros(5, dtype=np.int64)
        adapt = config.adapt_every if config.target_acceptance is not None else np.iinfo(np.int64).max
        self.params = np.array([config.step, config.target_acceptance or 0.0, config.step_min, config.step_max,
                                float(adapt)])
        self.rng = np.random.default_rng(np.random.SeedSequence(int(config.seed)))
        self.elapsed = 0.0
        self.history: list[dict] = []
        self.recompute()
        if not math.isfinite(self.chi2):
            bad = [name for name, v in self.chi2_by_target().items() if not math.isfinite(v)]
            raise InputError(f"χ² of the start is not finite (target {', '.join(bad) or '?'}): a target or start that "
                             "gives NaN or inf", start.source)
        self._kernel(0)  # compile (or load from numba's cache) here, not inside a run's time budget

    # ------------------------------------------------------------------ setup
    def _build_observables(self) -> None:
        adf = [t for t in self.targets if t.kind == "adf"]
        if len(adf) > 1:
            raise InputError("RMC fits at most one ADF target")
        self.obs = build_pair_observables(self.targets, self.r, self.elements, self.counts, self.volume,
                                          lorch=self.config.lorch, max_q_points=self.config.max_q_points)
        o_rs, o_ds = len(self.obs.rs_a), len(self.obs.ds_m)
        # --- ADF grid and target
        self.adf_target = adf[0] if adf else None
        n_t = int(round(180.0 / self.config.dtheta)) if adf else 1
        self.theta = (np.arange(n_t) + 0.5) * (180.0 / n_t)
        self.adf_c = np.zeros(n_t, dtype=np.int64)
        self.adf_tot = np.zeros(1, dtype=np.int64)
        self.adf_w = np.zeros(n_t)
        self.adf_t = np.zeros(n_t)
        self.adf_y = np.zeros(n_t)
        dt = 180.0 / n_t
        self.adf_scale = 1.0 / dt
        self.adf_cut2 = 0.0
        self.t_clamp = 180.0 - 1e-6 * dt  # the last bin is closed at 180°, as in glasslib.spectra.angles
        if adf:
            t = adf[0]
            if t.cutoff > self.reach:
                raise InputError(f"ADF cutoff {t.cutoff:g} Å exceeds r_max = {self.reach:g} Å", t.source)
            spec = t.spectrum()
            inside = (self.theta >= spec.x[0].item() - 1e-12) & (self.theta <= spec.x[-1].item() + 1e-12)
            if inside.sum() < 2:
                raise InputError(f"target ADF grid [{spec.x[0]:.4g}, {spec.x[-1]:.4g}] deg does not overlap the "
                                 f"model grid [{self.theta[0]:.4g}, {self.theta[-1]:.4g}] deg", t.source)
            self.adf_t[inside] = to_grid(spec, self.theta[inside]).y.numpy()
            self.adf_w = inside / t.sigma**2
            self.adf_cut2 = float(t.cutoff) ** 2
        self.t_start, self.dt_bin = float(self.theta[0]), dt
        if adf:  # the bin arithmetic of glasslib.spectra.angles.bond_angle_distribution
            _, self.t_start, self.dt_bin = uniform_grid(torch.as_tensor(self.theta), dtype=torch.float64, device="cpu")
        self.chi2_parts = np.zeros(o_rs + o_ds + 1)

    # -------------------------------------------------------------- state
    def histogram_from_scratch(self) -> np.ndarray:
        """(P, R) unordered-pair histograms counted afresh from the positions."""
        hist = np.zeros_like(self.hist)
        pair_histogram(self.pos, self.box, self.inv_box, self.spec, self.ptype, self.reach**2, self.r_start, self.dr_bin,
                   len(self.r), self.nc, self.span, self.head, self.nxt, hist)
        return hist

    def angles_from_scratch(self) -> tuple[np.ndarray, int]:
        """(T,) bond-angle counts on the ADF grid and the number of triplets, counted afresh."""
        counts = np.zeros_like(self.adf_c)
        total = angle_counts(self.pos, self.box, self.inv_box, self.adf_cut2, self.nc, self.span, self.head, self.nxt,
                        self.t_start, self.dt_bin, len(self.theta), self.t_clamp, counts)
        return counts, int(total)

    def recompute(self) -> None:
        """Histograms, observables and χ² from scratch (drops any accumulated rounding)."""
        self.hist[:] = self.histogram_from_scratch()
        o = self.obs
        h = self.hist.astype(float)
        self.rs_y = o.rs_b + np.einsum("opk,pk->ok", o.rs_a, h)
        self.ds_y = o.ds_b + np.einsum("opkq,pk->oq", o.ds_m, h)
        if self.adf_target is not None:
            self.adf_c[:], self.adf_tot[0] = self.angles_from_scratch()
            self.adf_y = self.adf_c * (self.adf_scale / self.adf_tot[0]) if self.adf_tot[0] > 0 else 0.0 * self.adf_y
        n1, n2 = len(o.rs_a), len(o.ds_m)
        self.chi2_parts[:n1] = (o.rs_w * (self.rs_y - o.rs_t) ** 2).sum(1)
        self.chi2_parts[n1:n1 + n2] = (o.ds_w * (self.ds_y - o.ds_t) ** 2).sum(1)
        self.chi2_parts[-1] = float((self.adf_w * (self.adf_y - self.adf_t) ** 2).sum())

    @property
    def chi2(self) -> float:
        """Total χ² of eq. (1)."""
        return float(self.chi2_parts.sum())

    @property
    def moves(self) -> int:
        return int(self.counters[0])

    @property
    def accepted(self) -> int:
        return int(self.counters[1])

    @property
    def step(self) -> float:
        """Current maximum displacement per axis, Å."""
        return float(self.params[0])

    def chi2_by_target(self) -> dict[str, float]:
        n1, n2 = len(self.obs.rs_a), len(self.obs.ds_m)
        parts = list(self.chi2_parts[: n1 + n2]) + ([self.chi2_parts[-1]] if self.adf_target is not None else [])
        return {name: float(v) for name, v in zip(self.obs.names, parts)}

    def spectra(self) -> dict[str, dict]:
        """Model and target of every observable on the fitted points: {name: {x, model, target}}."""
        out = {}
        o = self.obs
        for k in range(len(o.rs_a)):
            fit = o.rs_w[k] > 0
            out[o.names[k]] = dict(x=self.r[fit], model=self.rs_y[k][fit], target=o.rs_t[k][fit])
        for k in range(len(o.ds_m)):
            n = o.ds_n[k]
            out[o.names[len(o.rs_a) + k]] = dict(x=o.ds_x[k], model=self.ds_y[k, :n], target=o.ds_t[k, :n])
        if self.adf_target is not None:
            fit = self.adf_w > 0
            out["adf"] = dict(x=self.theta[fit], model=np.asarray(self.adf_y)[fit], target=self.adf_t[fit])
        return out

    def pair_distribution(self) -> PairDistribution:
        """The model's PairDistribution (σ = 0) from the running histograms, eq. (3)."""
        return histogram_pair_distribution(torch.as_tensor(self.hist, dtype=torch.float64), self.elements,
                                           self.counts, self.volume, torch.as_tensor(self.r))

    def structures(self) -> Structures:
        """The current configuration (positions wrapped into the cell)."""
        info = dict(self.info)
        info.update(rmc_moves=self.moves, rmc_accepted=self.accepted, rmc_chi2=self.chi2)
        return periodic_structure(self.pos.copy(), np.diag(self.box), self.species, info=info)

    def min_distances(self) -> np.ndarray:
        """(E, E) smallest distance between atoms of each species pair within r_max (inf if none)."""
        out = np.full((len(self.elements),) * 2, np.inf)
        s = self.structures()
        p = neighbor_pairs(s, self.reach, full=False)
        a, b = self.spec[p.i.numpy()], self.spec[p.j.numpy()]
        d = p.distances.numpy()
        for u in range(len(self.elements)):
            for v in range(len(self.elements)):
                sel = ((a == u) & (b == v)) | ((a == v) & (b == u))
                if sel.any():
                    out[u, v] = d[sel].min()
        return out

    # ---------------------------------------------------------------- moves
    def _kernel(self, n_moves: int) -> None:
        o = self.obs
        adf_on = self.adf_target is not None
        run_moves(int(n_moves), self.rng, self.pos, self.box, self.inv_box, self.spec, self.ptype, self.cmin**2,
               self.reach**2, self.r_start, self.dr_bin, len(self.r), self.nc, self.span, self.head, self.nxt, self.prv,
               self.cell, self.hist, o.rs_a, o.rs_b, o.rs_w, o.rs_t, self.rs_y, o.ds_m, o.ds_w, o.ds_t, self.ds_y,
               adf_on, self.adf_cut2, self.t_start, self.dt_bin, len(self.theta), self.t_clamp, self.adf_c,
               self.adf_tot, self.adf_w, self.adf_t, self.adf_y, self.adf_scale, self.chi2_parts, self.params,
               self.counters)

    def run(self, *, n_moves: int | None = None, seconds: float | None = None, log_every: float = 1.0,
            checkpoint: str | os.PathLike | None = None, checkpoint_every: float = 60.0,
            callback: Callable[[dict], None] | None = None) -> list[dict]:
        """Attempt moves until ``n_moves`` more moves or ``seconds`` of wall time, whichever comes first.

        At the first call, every ``log_every`` seconds and at the end a row {time_s (wall time of
        all runs so far), moves, accepted, acceptance (cumulative), moves_per_s (since the previous
        row), step_A, chi2, chi2_<target>...} is appended to :attr:`history` and passed to
        ``callback``. With ``checkpoint`` the run is saved there every ``checkpoint_every`` s and at
        the end (also when interrupted). The trajectory depends only on the number of moves.
        """
        if n_moves is None and seconds is None:
            raise InputError("give n_moves or seconds")
        if self.adf_target is not None:
            self.adf_y = np.ascontiguousarray(np.asarray(self.adf_y, dtype=float))
        left = math.inf if n_moves is None else int(n_moves)
        if not self.history:  # the starting point
            self._log(0.0, 0, 0.0, callback)
        t0 = time.perf_counter()
        last_log = last_ckpt = t0
        moves_at_log = self.moves
        chunk = 2000
        self._require_finite_chi2()
        healthy = True
        try:
            while left > 0:
                now = time.perf_counter()
                if seconds is not None and now - t0 >= seconds:
                    break
                n = int(min(chunk, left))
                t1 = time.perf_counter()
                self._kernel(n)
                dt = time.perf_counter() - t1
                left -= n
                healthy = math.isfinite(self.chi2)
                self._require_finite_chi2()
                # about 20 kernel calls per second keep the time limit and the log cadence
                chunk = int(min(max(n * 0.05 / max(dt, 1e-6), 100), 1_000_000))
                now = time.perf_counter()
                if now - last_log >= log_every:
                    self._log(now - last_log, self.moves - moves_at_log, now - t0, callback)
                    last_log, moves_at_log = now, self.moves
                if checkpoint is not None and now - last_ckpt >= checkpoint_every:
                    self.save(checkpoint, _extra_elapsed=now - t0)
                    last_ckpt = now
        finally:
            now = time.perf_counter()
            if self.moves > moves_at_log:
                self._log(now - last_log, self.moves - moves_at_log, now - t0, callback)
            self.elapsed += now - t0
            if checkpoint is not None and healthy:  # a non-finite run keeps its last finite checkpoint
                self.save(checkpoint)
        return self.history

    def _require_finite_chi2(self) -> None:
        """:class:`NumericalError` naming the move count and the target when χ² is NaN or inf."""
        if math.isfinite(self.chi2):
            return
        bad = [name for name, v in self.chi2_by_target().items() if not math.isfinite(v)]
        raise NumericalError(f"RMC χ² became non-finite (target {', '.join(bad) or '?'}) after {self.moves} moves; "
                             "the run stopped and its checkpoint keeps the last finite state", step=self.moves)

    def _log(self, dt: float, moves: int, since_start: float, callback) -> None:
        row = {
            "time_s": round(self.elapsed + since_start, 4),
            "moves": self.moves,
            "accepted": self.accepted,
            "acceptance": self.accepted / max(self.moves, 1),
            "moves_per_s": moves / dt if dt > 0 else 0.0,
            "step_A": self.step,
            "chi2": self.chi2,
        }
        row.update({f"chi2_{k}": v for k, v in self.chi2_by_target().items()})
        self.history.append(row)
        if callback is not None:
            callback(row)

    # --------------------------------------------------------- checkpoint
    _STATE = ("pos", "hist", "rs_y", "ds_y", "adf_c", "adf_tot", "adf_y", "chi2_parts", "counters", "params",
              "head", "nxt", "prv", "cell")

    def save(self, path: str | os.PathLike, *, _extra_elapsed: float = 0.0) -> Path:
        """Write the run (structure, targets, config, every state array, RNG state, log) atomically (.npz)."""
        meta = {
            "rmc_revision": RMC_REVISION,
            "config": self.config.to_dict(),
            "targets": [asdict(t) for t in self.targets],
            "rng_state": self.rng.bit_generator.state,
            "elapsed": self.elapsed + _extra_elapsed,
            "history": self.history,
            "info": _jsonable(self.info),
            "box": self.box.tolist(),
        }
        arrays = {k: np.asarray(getattr(self, k)) for k in self._STATE}
        arrays["species"] = self.species
        buf = io.BytesIO()
        np.savez(buf, meta=np.array(json.dumps(meta)), **arrays)
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "RMC":
        """Rebuild a run from :meth:`save`; continuing it gives the uninterrupted trajectory."""
        path = Path(path)
        if not path.exists():
            raise InputError("no such checkpoint", path)
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
            meta = json.loads(str(arrays.pop("meta")))
        except Exception as exc:  # a truncated or foreign file
            raise InputError(f"not an RMC checkpoint ({type(exc).__name__}: {exc})", path) from None
        if not isinstance(meta, dict) or meta.get("rmc_revision") != RMC_REVISION:
            revision = meta.get("rmc_revision") if isinstance(meta, dict) else None
            raise InputError(f"checkpoint from RMC revision {revision}, this is {RMC_REVISION}", path)
        try:
            config = RMCConfig(**dict(meta["config"]))
            targets = [Target(**{**t, "x": tuple(t["x"]), "y": tuple(t["y"])}) for t in meta["targets"]]
            start = periodic_structure(arrays["pos"], np.diag(meta["box"]), arrays["species"], info=meta.get("info"))
            missing = [k for k in cls._STATE if k not in arrays]
        except InputError as exc:
            raise InputError(f"checkpoint holds invalid inputs: {exc}", path) from None
        except (KeyError, TypeError, ValueError) as exc:  # a damaged or foreign record
            raise InputError(f"checkpoint is incomplete ({type(exc).__name__}: {exc})", path) from None
        if missing:
            raise InputError(f"checkpoint lacks the arrays {', '.join(missing)}", path)
        run = cls(start, targets, config)
        for k in cls._STATE:
            old = np.asarray(getattr(run, k))
            new = np.ascontiguousarray(arrays[k], dtype=old.dtype)
            if new.shape != old.shape:
                raise InputError(f"checkpoint array {k} has shape {new.shape}, expected {old.shape}", path)
            setattr(run, k, new.copy())
        try:
            run.rng.bit_generator.state = meta["rng_state"]
            run.elapsed = float(meta["elapsed"])
            run.history = list(meta["history"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"checkpoint is incomplete ({type(exc).__name__}: {exc})", path) from None
        if not np.array_equal(run.hist, run.histogram_from_scratch()):
            raise InputError("checkpoint histograms do not match its positions (corrupt file?)", path)
        return run


def _jsonable(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            out[k] = v
        elif isinstance(v, (np.integer, np.floating)):
            out[k] = v.item()
    return out
