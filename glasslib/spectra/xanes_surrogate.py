"""XANES surrogate: per-absorber C K-edge spectra from local environments, and the structure
spectrum as their mean (a differentiable observable).

The model maps the descriptor D_i of each absorber (:mod:`glasslib.spectra.xanes_features`:
periodic, species-aware, invariant to rotations, translations and permutations) to its spectrum
on a P-point *index grid* 0, 1, …, P − 1. The training set (computed per-atom C K-edge XANES of
a-C, ``data/a-C/hsu2024_dgp/xanes``) gives no energy axis, so the grid is an index, not an energy
(docs/conventions.md, "XANES"). D_i is standardised with the training mean and standard deviation
and fed to an ensemble of K small MLPs (SiLU, ``n_layers`` hidden layers of ``hidden`` units);
the per-atom spectrum is the ensemble mean,

    μ_i = (1/K) Σ_k MLP_k((D_i − m) / s),                 (P,), intensity in the data's units,

and the spectrum of structure s is the mean over its absorbers, μ_s = (1/A_s) Σ_{i ∈ s} μ_i.
Every step is differentiable with respect to positions and cell; device and dtype follow the
structures (:func:`xanes_spectrum` keeps one converted copy of the shipped model per device
and dtype).

A checkpoint is one file (``torch.save`` of plain containers, readable with
``torch.load(weights_only=True)``) holding the configuration, the weights, the SHA-256 of the
training and test data and the training record; :data:`SHIPPED` is the one the ``xanes``
spectrum kind uses (data/models/xanes_ac_surrogate/model_card.md).
"""

from __future__ import annotations

import io
import json
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import torch
from torch import nn

from glasslib.core.atomic_io import atomic_write_bytes
from glasslib.core.errors import InputError, reject_unknown_keys
from glasslib.core.payloads import cached_model, load_payload
from glasslib.core.paths import data_dir
from glasslib.core.structures import Structures
from glasslib.spectra.xanes_features import DescriptorConfig, absorber_descriptors

#: points of the index grid of the shipped surrogate (and of the a-C training spectra)
INDEX_POINTS = 100
#: the shipped checkpoint, relative to the data directory
SHIPPED = Path("models") / "xanes_ac_surrogate" / "checkpoint.pt"
#: the command that rebuilds :data:`SHIPPED`
REBUILD = "OMP_NUM_THREADS=1 .venv/bin/python -m glasslib.spectra.xanes --out data/models/xanes_ac_surrogate"
FORMAT = "glasslib-xanes-surrogate"


@dataclass(frozen=True)
class XanesConfig:
    """Architecture of a :class:`XanesSurrogate`.

    Attributes:
        descriptor: the absorber descriptor.
        n_points: P, points of the index grid.
        hidden: units per hidden layer; n_layers: hidden layers per member.
        n_members: K, ensemble members (independently initialised, averaged).
    """

    descriptor: DescriptorConfig = DescriptorConfig()
    n_points: int = INDEX_POINTS
    hidden: int = 256
    n_layers: int = 2
    n_members: int = 4

    def __post_init__(self):
        for name in ("n_points", "hidden", "n_layers", "n_members"):
            value = getattr(self, name)
            if not (isinstance(value, int) and value >= (2 if name == "n_points" else 1)):
                raise InputError(f"xanes surrogate {name} must be a positive integer, got {value}")

    def to_dict(self) -> dict:
        return {**asdict(self), "descriptor": self.descriptor.to_dict()}

    @classmethod
    def from_dict(cls, d: dict) -> "XanesConfig":
        reject_unknown_keys(d, {f.name for f in fields(cls)}, "xanes surrogate config")
        d = dict(d)
        if "descriptor" in d:
            d["descriptor"] = DescriptorConfig.from_dict(d["descriptor"])
        return cls(**d)


class XanesSurrogate(nn.Module):
    """Per-absorber XANES on the index grid from local environments (module docstring).

    Buffers ``feature_mean``/``feature_std`` (F,) standardise the descriptors; ``weights[l]``
    (K, n_in, n_out) and ``biases[l]`` (K, 1, n_out) are the ensemble's layers.
    ``data_sha256`` and ``train_info`` carry the checkpoint's records (empty when untrained).
    """

    def __init__(self, config: XanesConfig = XanesConfig(), *, generator: torch.Generator | None = None):
        super().__init__()
        self.config = config
        f, k = config.descriptor.size, config.n_members
        sizes = [f] + [config.hidden] * config.n_layers + [config.n_points]
        self.register_buffer("feature_mean", torch.zeros(f))
        self.register_buffer("feature_std", torch.ones(f))
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / math.sqrt(n_in)  # the uniform fan-in range of nn.Linear
            w = (torch.rand(k, n_in, n_out, generator=generator) * 2 - 1) * bound
            b = (torch.rand(k, 1, n_out, generator=generator) * 2 - 1) * bound
            self.weights.append(nn.Parameter(w))
            self.biases.append(nn.Parameter(b))
        self.data_sha256: dict = {}
        self.train_info: dict = {}

    # ------------------------------------------------------------------ network
    def members(self, features: torch.Tensor, *, dropout: float = 0.0,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """(K, B, P) spectra of every member from standardised descriptors, (B, F) shared by the
        members or (K, B, F) one batch per member (training).

        ``dropout`` > 0 (training only) zeroes each hidden unit with that probability and scales
        the rest by 1/(1 − dropout); the masks are drawn from ``generator`` (required then, so
        that training stays seeded)."""
        if dropout > 0 and generator is None:
            raise InputError("xanes surrogate dropout needs an explicit generator")
        h = features
        last = len(self.weights) - 1
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.einsum("bf,kfo->kbo", h, w) + b if h.ndim == 2 else torch.baddbmm(b, h, w)
            if layer < last:
                h = nn.functional.silu(h)
                if dropout > 0:
                    keep = torch.rand(h.shape, generator=generator, dtype=h.dtype, device=generator.device) >= dropout
                    h = h * keep.to(h.device) / (1.0 - dropout)
        return h

    def standardize(self, descriptors: torch.Tensor) -> torch.Tensor:
        return (descriptors - self.feature_mean) / self.feature_std

    def per_atom(self, structures: Structures) -> tuple[torch.Tensor, torch.Tensor]:
        """``(spectra, index)``: (A, P) spectrum of every absorber on the index grid and (A,) the
        absorbers' atom indices in the batch. One-line errors for a structure without absorbers
        ("xanes needs C atoms") or with elements the descriptor does not know."""
        d, index = absorber_descriptors(structures, self.config.descriptor)
        return self.members(self.standardize(d)).mean(0), index

    def forward(self, structures: Structures) -> torch.Tensor:
        """(S, P) mean spectrum over the absorbers of each structure, on the index grid."""
        spectra, index = self.per_atom(structures)
        system = structures.system_idx[index]
        total = torch.zeros(structures.n_systems, spectra.shape[1], dtype=spectra.dtype,
                            device=spectra.device).index_add(0, system, spectra)
        count = torch.bincount(system, minlength=structures.n_systems).to(spectra.dtype)
        return total / count[:, None]

    def index_grid(self, *, dtype=torch.float64, device=None) -> torch.Tensor:
        """(P,) the grid 0, 1, …, P − 1 (index units; no energy axis)."""
        return torch.arange(self.config.n_points, dtype=dtype, device=device)

    # --------------------------------------------------------------- checkpoint
    def save(self, path: str | os.PathLike) -> Path:
        """Write the one-file checkpoint (atomically)."""
        payload = {
            "format": FORMAT,
            "version": 1,
            "config": self.config.to_dict(),
            "state_dict": {k: v.detach().to("cpu", torch.float32).clone() for k, v in self.state_dict().items()},
            # plain containers only (str, numbers, lists, dicts), so that weights_only loading works
            "data_sha256": json.loads(json.dumps(self.data_sha256)),
            "train_info": json.loads(json.dumps(self.train_info)),
        }
        buf = io.BytesIO()
        torch.save(payload, buf)
        return atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike, *, device=None, dtype=torch.float32) -> "XanesSurrogate":
        """A checkpoint written by :meth:`save`, in eval mode with frozen weights, on ``device``
        in ``dtype``."""
        payload = load_payload(path, FORMAT, "xanes surrogate checkpoint", REBUILD)
        model = cls(XanesConfig.from_dict(payload["config"]))
        model.load_state_dict(payload["state_dict"])
        model.data_sha256 = dict(payload.get("data_sha256", {}))
        model.train_info = dict(payload.get("train_info", {}))
        return model.to(device=device, dtype=dtype).eval().requires_grad_(False)


# ---------------------------------------------------------------- the observable
def shipped_surrogate(*, device=None, dtype=torch.float32) -> XanesSurrogate:
    """The shipped surrogate (:data:`SHIPPED` under :func:`glasslib.core.paths.data_dir`), loaded at
    first use and kept, one copy per device and dtype (reloaded if the file changes)."""
    return cached_model(data_dir() / SHIPPED, XanesSurrogate.load, device=device, dtype=dtype)


def broaden(spectra: torch.Tensor, sigma: float) -> torch.Tensor:
    """(…, P) spectra convolved with a Gaussian of width ``sigma`` (index units), the kernel
    renormalised at the ends of the grid; ``sigma`` = 0 returns the input."""
    if not (math.isfinite(sigma) and sigma >= 0):
        raise InputError(f"xanes broadening must be a number >= 0 (index units), got {sigma}")
    if sigma == 0:
        return spectra
    x = torch.arange(spectra.shape[-1], dtype=spectra.dtype, device=spectra.device)
    kernel = torch.exp(-0.5 * ((x[:, None] - x[None, :]) / sigma) ** 2)
    return spectra @ (kernel / kernel.sum(1, keepdim=True)).T


def on_grid(spectra: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    """(S, P) spectra on the index grid, linearly interpolated at ``grid`` (K,) index values
    within [0, P − 1]; differentiable w.r.t. the spectra."""
    n = spectra.shape[-1]
    grid = grid.to(dtype=spectra.dtype, device=spectra.device)
    if grid.ndim != 1 or grid.numel() == 0:
        raise InputError("xanes grid must be a non-empty one-dimensional set of index values")
    lo_x, hi_x = float(grid.min()), float(grid.max())
    if lo_x < -1e-9 or hi_x > n - 1 + 1e-9:
        raise InputError(f"xanes grid [{lo_x:g}, {hi_x:g}] leaves the index grid 0..{n - 1} "
                         "(the surrogate has no energy axis; give index values)")
    if grid.numel() == n and bool((grid == torch.arange(n, dtype=grid.dtype, device=grid.device)).all()):
        return spectra
    g = grid.clamp(0, n - 1)
    lo = g.floor().long().clamp(max=n - 2)
    frac = g - lo.to(g.dtype)
    return spectra[:, lo] * (1 - frac) + spectra[:, lo + 1] * frac


def xanes_spectrum(structures: Structures, grid=None, *, smearing: float | None = None,
                   surrogate: XanesSurrogate | None = None) -> torch.Tensor:
    """(S, K) C K-edge XANES of each structure (mean over its carbon absorbers) on ``grid``.

    Args:
        structures: the batch; device and dtype of the result follow it.
        grid: (K,) index values within [0, P − 1] (default: 0, 1, …, P − 1). Not energies: the
            surrogate's grid has no energy axis (docs/conventions.md, "XANES").
        smearing: extra Gaussian broadening, index units (None or 0: none).
        surrogate: the model (default: the shipped one, :func:`shipped_surrogate`).

    Differentiable w.r.t. positions and cell.
    """
    model = surrogate if surrogate is not None else shipped_surrogate(device=structures.device, dtype=structures.dtype)
    y = model(structures)
    y = broaden(y, 0.0 if smearing is None else float(smearing))
    if grid is None:
        return y
    return on_grid(y, torch.as_tensor(grid))
