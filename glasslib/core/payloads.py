"""Reading the tensor payloads that glasslib writes with ``torch.save`` (surrogate checkpoints).

Loaded with ``weights_only=True``: a downloaded file cannot run code.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from glasslib.core.errors import InputError


def load_payload(path: str | os.PathLike, fmt: str, what: str, rebuild: str) -> dict:
    """The dict saved at ``path`` whose ``"format"`` is ``fmt``; one-line :class:`InputError`
    naming ``what`` (e.g. ``"xanes surrogate checkpoint"``) and the file otherwise (missing:
    with the ``rebuild`` command; truncated or foreign; other format)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found; rebuild it with {rebuild}", path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file
        raise InputError(f"cannot read the {what} ({type(exc).__name__})", path) from None
    if not isinstance(payload, dict) or payload.get("format") != fmt:
        raise InputError(f"not a {what} (expected format {fmt!r})", path)
    return payload


_models: dict[tuple, object] = {}


def cached_model(path: Path, load, *, device=None, dtype=torch.float32):
    """``load(path, device=, dtype=)`` once per (file, modification time, device, dtype): shipped
    surrogates are loaded at first use and kept; a changed file is reloaded and the stale copies dropped."""
    stamp = path.stat().st_mtime_ns if path.is_file() else None
    key = (str(path), stamp, str(torch.device(device) if device is not None else torch.device("cpu")), dtype)
    model = _models.get(key)
    if model is None:
        model = load(path, device=device, dtype=dtype)
        for old in [k for k in _models if k[0] == key[0] and k[1] != stamp]:
            del _models[old]
        _models[key] = model
    return model
