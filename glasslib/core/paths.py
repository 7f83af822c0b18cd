"""Where the repository's data, figures and caches live.

Notebooks and the CLI find inputs through these helpers, whatever their working
directory. ``GLASSLIB_DATA`` and ``GLASSLIB_CACHE`` override the defaults.
"""

from __future__ import annotations

import os
from pathlib import Path

from glasslib.core.errors import InputError

#: the repository root (glasslib is installed in editable mode from it)
REPO_ROOT = Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """The ``data/`` folder (measured spectra, reference structures, potentials)."""
    return Path(os.environ.get("GLASSLIB_DATA", REPO_ROOT / "data"))


def figures_dir() -> Path:
    return REPO_ROOT / "figures"


def cache_dir() -> Path:
    """Cache for generated data (MD sets, runs); outside git."""
    return Path(os.environ.get("GLASSLIB_CACHE", REPO_ROOT / ".cache" / "glasslib"))


def data_path(relative: str | os.PathLike) -> Path:
    """Path of a file under ``data/``; a clear error if it is missing."""
    path = data_dir() / relative
    if not path.exists():
        raise InputError("data file not found (see data/PROVENANCE.md)", path)
    return path


def repo_relative(path: str | os.PathLike) -> str:
    """``path`` relative to the repository when inside it, else absolute (for records that stay
    valid across clones)."""
    path = Path(path).resolve()
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)

