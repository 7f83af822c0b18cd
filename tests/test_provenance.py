"""Every file under data/ is listed in data/provenance.json with its SHA-256 (scripts/provenance.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "provenance.py"
DATA = REPO / "data"


def run_check(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--root", str(root)],
        capture_output=True, text=True, timeout=120,
    )


def test_repository_data_matches_provenance():
    res = run_check(DATA)
    assert res.returncode == 0, res.stderr


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(DATA, root, ignore=shutil.ignore_patterns("models", "specs"))
    assert run_check(root).returncode == 0
    return root


def test_tampered_file_is_detected(data_copy: Path):
    target = data_copy / "a-Si" / "glass-epsr_Si_2.5_00.xyz"
    blob = bytearray(target.read_bytes())
    blob[-2] ^= 1  # flip one bit
    target.write_bytes(bytes(blob))
    res = run_check(data_copy)
    assert res.returncode == 1
    assert "a-Si/glass-epsr_Si_2.5_00.xyz" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_unlisted_file_is_detected(data_copy: Path):
    (data_copy / "a-Si" / "extra.csv").write_text("1,2\n")
    res = run_check(data_copy)
    assert res.returncode == 1
    assert "a-Si/extra.csv" in res.stderr and "not listed" in res.stderr


def test_missing_file_is_detected(data_copy: Path):
    (data_copy / "potentials" / "mW_DC3.sw").unlink()
    res = run_check(data_copy)
    assert res.returncode == 1
    assert "potentials/mW_DC3.sw" in res.stderr and "missing" in res.stderr


def test_models_and_specs_are_not_data(data_copy: Path):
    for sub in ("models", "specs"):
        (data_copy / sub).mkdir(exist_ok=True)
        (data_copy / sub / "anything.bin").write_bytes(b"\0")
    assert run_check(data_copy).returncode == 0
