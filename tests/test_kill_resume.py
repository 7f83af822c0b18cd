"""Kill and resume: ``glass sample``, ``glass rmc --moves`` and ``glass train`` are started as
separate processes (``python -m glasslib``), killed with SIGKILL at seeded points (a seeded delay
after an output file first appears or changes), and rerun with the same command; the result
equals an uninterrupted run with the same seed (the same structures, byte for byte; the same
final RMC structure; bit-identical weights), and after every kill each file under a final name
is complete (a write goes through a temporary file and a rename: glasslib/core/atomic_io.py).

``glass simulate`` (a 32-atom LAMMPS melt-quench per structure) is killed once, after its first
structure; ``glass batch`` skips complete runs and reruns the others (tests/test_batch.py) but is
not killed here: a notebook kernel per kill point costs more than this file's budget."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import ase.build
import ase.io
import numpy as np
import pytest
import torch

from glasslib import rmc
from glasslib.cli import main
from glasslib.core.structures import read_structures
from glasslib.diffusion.training import load_checkpoint
from glasslib.spectra.targets import read_target

ROOT = Path(__file__).resolve().parents[1]
PRIOR = ROOT / "data" / "models" / "asi_sw_prior" / "checkpoint.pt"
ASI = ROOT / "data" / "a-Si" / "glass-epsr_Si_2.5_00.xyz"

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    """``--threads 1`` in process (as in the killed processes) without leaking it to other tests."""
    threads = torch.get_num_threads()
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(var, os.environ.get(var, "1"))
    yield
    torch.set_num_threads(threads)


def _kill_when(args, ready, *, delay: float, log: Path, timeout: float = 300.0) -> int:
    """Run ``glass ARGS`` in a subprocess and SIGKILL it ``delay`` seconds after ``ready()`` first
    holds; the exit status (-9 when killed, else its own)."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with open(log, "ab") as err:
        proc = subprocess.Popen([sys.executable, "-m", "glasslib", *map(str, args)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        end = time.monotonic() + timeout
        fired = None
        while proc.poll() is None:
            now = time.monotonic()
            if fired is None and ready():
                fired = now
            if fired is not None and now - fired >= delay:
                proc.send_signal(signal.SIGKILL)
                break
            if now > end:
                proc.kill()
                pytest.fail(f"glass {args[0]} did not reach its kill point in {timeout} s: {log.read_text()[-2000:]}")
            time.sleep(0.005)
        return proc.wait()


def _visible(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def _only_hidden_temporaries(folder: Path) -> None:
    hidden = [p.name for p in folder.iterdir() if p.name.startswith(".")]
    assert all(n.endswith(".tmp") or n in (".sample_resume.json", ".build.lock") for n in hidden), hidden


# ----------------------------------------------------------------------------- glass sample
def _samples_complete(out: Path, n_atoms: int) -> None:
    """Every sample under its final name holds a whole structure; the record comes last."""
    for p in out.glob("sample_*.extxyz"):
        assert read_structures(p).n_atoms == n_atoms, p
    state = out / ".sample_resume.json"
    if state.exists():
        json.loads(state.read_text())
        assert not (out / "sample_config.json").exists()
    _only_hidden_temporaries(out)


def test_sample_killed_twice_resumes_to_the_uninterrupted_files(tmp_path):
    common = ["sample", PRIOR, "--n", "8", "--batch", "2", "--atoms", "64", "--density", "2.28", "--seed", "5",
              "--steps", "3", "--threads", "1", "--quiet"]
    ref, out, log = tmp_path / "ref", tmp_path / "out", tmp_path / "log.txt"
    assert main([*map(str, common), "--out", str(ref)]) == 0
    delays = random.Random(11).uniform(0.0, 0.3), random.Random(12).uniform(0.0, 0.3)
    # killed during the second of four passes, then (resumed) during the third: two passes of margin each
    for trigger, delay in (("sample_0000.extxyz", delays[0]), ("sample_0002.extxyz", delays[1])):
        code = _kill_when([*common, "--out", out], lambda: (out / trigger).exists(), delay=delay, log=log)
        assert code == -signal.SIGKILL, log.read_text()
        _samples_complete(out, 64)
    assert (out / ".sample_resume.json").exists() and not (out / "sample_config.json").exists()
    assert main([*map(str, common), "--out", str(out)]) == 0
    assert _visible(out) == _visible(ref) == [*(f"sample_{k:04d}.extxyz" for k in range(8)), "sample_config.json"]
    for name in _visible(ref):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert not (out / ".sample_resume.json").exists()
    # a finished run is not resumed but refused; an unfinished one of other settings too
    assert main([*map(str, common), "--out", str(out)]) == 2
    (out / "sample_config.json").unlink()
    (out / ".sample_resume.json").write_text(json.dumps({"record": {"other": 1}, "done": 2, "generator": ""}))
    assert main([*map(str, common), "--out", str(out)]) == 2
    assert _visible(out) == [f"sample_{k:04d}.extxyz" for k in range(8)]


# -------------------------------------------------------------------------------- glass rmc
def test_rmc_killed_twice_resumes_to_the_uninterrupted_structure(tmp_path, capsys):
    gr = tmp_path / "gr.csv"
    target = read_target(ASI, "gr")
    gr.write_text("r_A,g\n" + "".join(f"{x:.8g},{y:.8g}\n" for x, y in zip(target.x, target.y)))
    common = ["rmc", "--target", gr, "--kind", "gr", "--composition", "Si", "--atoms", "64", "--density", "2.28",
              "--seed", "3", "--moves", "1000000", "--checkpoint-every", "0.1", "--threads", "1", "--quiet"]
    ref, out, log = tmp_path / "ref", tmp_path / "out", tmp_path / "log.txt"
    assert main([*map(str, common), "--out", str(ref)]) == 0
    ckpt = out / "checkpoint.npz"
    moves = []
    for seed in (21, 22):
        before = ckpt.stat().st_mtime_ns if ckpt.exists() else None

        def ready():  # a (new) checkpoint was written
            return ckpt.exists() and ckpt.stat().st_mtime_ns != before

        code = _kill_when([*common, "--out", out], ready, delay=random.Random(seed).uniform(0.0, 0.2), log=log)
        assert code == -signal.SIGKILL, log.read_text()
        moves.append(rmc.RMC.load(ckpt).moves)  # the checkpoint under its final name is whole
        json.loads((out / "config.json").read_text())
        _only_hidden_temporaries(out)
    assert 0 < moves[0] < moves[1] < 1000000, moves
    assert main([*map(str, common), "--out", str(out)]) == 0
    a, b = ase.io.read(ref / "structure.extxyz"), ase.io.read(out / "structure.extxyz")
    assert np.array_equal(a.positions, b.positions) and a.info["rmc_moves"] == b.info["rmc_moves"] == 1000000
    assert a.info["rmc_chi2"] == b.info["rmc_chi2"]
    for fit in ref.glob("fit_*.csv"):
        assert (out / fit.name).read_bytes() == fit.read_bytes()
    # a truncated checkpoint in the folder is one line, not a traceback
    blob = ckpt.read_bytes()
    ckpt.write_bytes(blob[: len(blob) // 2])
    capsys.readouterr()
    assert main([*map(str, common), "--out", str(out)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"glass: error: {ckpt}: not an RMC checkpoint"), line


# ------------------------------------------------------------------------------ glass train
def test_train_killed_twice_resumes_to_bit_identical_weights(tmp_path):
    frames = []
    for k in range(3):
        a = ase.build.bulk("Si", "diamond", a=5.43, cubic=True)
        a.rattle(0.05, seed=k)
        frames.append(a)
    data = tmp_path / "data.extxyz"
    ase.io.write(data, frames)
    tiny = ["model.hidden=8", "model.channels=2", "model.n_layers=1", "batch_size=2", "model.cutoff=3.0",
            "model.angular_cutoff=2.6", "checkpoint_interval=4", "val_interval=4"]
    common = ["train", data, "--steps", "80", "--seed", "1", "--threads", "1", "--quiet",
              *(a for c in tiny for a in ("--config", c))]
    ref, out, log = tmp_path / "ref", tmp_path / "out", tmp_path / "log.txt"
    assert main([*map(str, common), "--out", str(ref)]) == 0
    steps = []
    for trigger_lines, seed in ((1, 31), (3, 32)):  # after the first checkpoint (step 4); after the third
        def ready():
            history = out / "history.jsonl"
            return history.exists() and len(history.read_text().splitlines()) >= trigger_lines

        code = _kill_when([*common, "--out", out], ready, delay=random.Random(seed).uniform(0.0, 0.2), log=log)
        assert code == -signal.SIGKILL, log.read_text()
        steps.append(load_checkpoint(out / "checkpoint.pt").step)  # whole under its final name
        for line in (out / "history.jsonl").read_text().splitlines():
            json.loads(line)
        _only_hidden_temporaries(out)
    assert 0 < steps[0] < steps[1] < 80, steps
    assert main([*map(str, common), "--out", str(out)]) == 0
    a = torch.load(ref / "checkpoint.pt", weights_only=True)
    b = torch.load(out / "checkpoint.pt", weights_only=True)
    assert a["step"] == b["step"] == 80
    for key in ("model", "ema"):
        for name, value in a[key].items():
            assert torch.equal(value, b[key][name]), (key, name)
    assert [h.get("val_loss") for h in a["history"]] == [h.get("val_loss") for h in b["history"]]


# --------------------------------------------------------------------------- glass simulate
def test_simulate_killed_after_a_structure_resumes_to_the_uninterrupted_set(tmp_path):
    common = ["simulate", "a-Si", "--atoms", "32", "--density", "2.3", "--quench-rate", "1000", "--melt-time", "1",
              "--anneal-time", "0.5", "--n", "3", "--seed", "4", "--threads", "1", "--quiet"]
    ref, out, log = tmp_path / "ref", tmp_path / "out", tmp_path / "log.txt"
    assert main([*map(str, common), "--out", str(ref)]) == 0
    first = out / "00000_seed4.extxyz"
    code = _kill_when([*common, "--out", out], first.exists, delay=random.Random(41).uniform(0.0, 0.3), log=log)
    assert code == -signal.SIGKILL, log.read_text()
    done = sorted(out.glob("*.extxyz"))
    assert 1 <= len(done) < 3, done
    for p in done:
        assert len(ase.io.read(p)) == 32
    _only_hidden_temporaries(out)
    assert main([*map(str, common), "--out", str(out)]) == 0
    assert _visible(out) == _visible(ref) == ["00000_seed4.extxyz", "00001_seed5.extxyz", "00002_seed6.extxyz",
                                              "manifest.json"]
    for name in _visible(ref):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
