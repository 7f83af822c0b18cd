"""docs/errors.md, tested: each bad input the catalogue marks as tested here is refused by ``glass``
(through :func:`glasslib.cli.main`, in process) with exit status 2 and one line on stderr that
names the file (or the option) and the problem, without a traceback, and nothing is written: the
output does not appear, a folder given as output keeps exactly its files, and no temporary is left.
The catalogue's other entries point to the tests that already cover them.
Also here: a checkpoint pickle that would run code is refused without running it; a read-only
output folder is refused before anything is computed; non-finite scores, guidance gradients and
RMC χ² stop the run naming the step and the structure."""

from __future__ import annotations

import math
import os
import pickle
import re
from pathlib import Path

import ase.build
import ase.io
import numpy as np
import pytest
import torch

from glasslib.cli import main
from glasslib.core.errors import InputError, NumericalError
from glasslib.diffusion.sampling import initial_noise, sample, time_grid
from glasslib.diffusion.sde import VESDE
from glasslib.diffusion.training import load_checkpoint
from glasslib.spectra.targets import read_target

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
ASI = DATA / "a-Si" / "glass-epsr_Si_2.5_00.xyz"
SIO2 = DATA / "SiO2" / "dm2_bks_glass" / "sio2_3000_glass_1k_sample0.dat"
PRIOR = DATA / "models" / "asi_sw_prior" / "checkpoint.pt"
DOC = ROOT / "docs" / "errors.md"
SW_FILE = DATA / "potentials" / "lammps" / "Si.sw"


def _write(path: Path, data) -> Path:
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return path


def _csv(path: Path, x, y) -> Path:
    return _write(path, "".join(f"{a:.8g},{b:.8g}\n" for a, b in zip(x, y)))


@pytest.fixture(scope="module")
def f(tmp_path_factory):
    """Every bad (and the few good) input files the cases read, made once."""
    d = tmp_path_factory.mktemp("inputs")
    F = {}
    si = ase.build.bulk("Si", "diamond", a=5.43, cubic=True) * (2, 2, 2)  # 64 atoms, 10.86 Å
    si.rattle(0.05, seed=0)
    F["si"] = d / "si.extxyz"
    ase.io.write(F["si"], si)
    si2 = si.copy()
    si2.rattle(0.05, seed=1)
    F["si2"] = d / "si2.extxyz"
    ase.io.write(F["si2"], si2)
    text = F["si"].read_text()
    F["empty"] = _write(d / "empty.extxyz", "")
    F["trunc"] = _write(d / "trunc.extxyz", text[: len(text) // 3])
    F["binary"] = _write(d / "binary.extxyz", bytes(range(256)) * 8)
    F["count"] = _write(d / "count.extxyz", "99999999999" + text[text.index("\n"):])  # ASE would read on for hours
    for name, change in (("inf", lambda a: a.positions.__setitem__((3, 0), np.inf)),
                         ("far", lambda a: a.positions.__setitem__((5, 1), 1e6))):
        a = si.copy()
        change(a)
        F[name] = d / f"{name}.extxyz"
        ase.io.write(F[name], a)
    F["unknown_el"] = _write(d / "unknown_el.xyz", 'Lattice="5 0 0 0 5 0 0 0 5" pbc="T T T"\n'.join(["2\n", "Xx 0 0 0\nSi 1 1 1\n"]))
    F["cluster"] = _write(d / "cluster.xyz", "2\n\nSi 0 0 0\nSi 2.3 0 0\n")
    tri = si.copy()
    tri.set_cell([[10.86, 0, 0], [2.0, 10.86, 0], [0, 0, 10.86]])
    F["tri"] = d / "tri.extxyz"
    ase.io.write(F["tri"], tri)
    F["folder"] = d / "a_folder"
    F["folder"].mkdir()
    F["file"] = _write(d / "plain.txt", "not a folder\n")
    F["bad_sw"] = _write(d / "bad.sw", "Si Si Si 2.1683 2.0951\n")
    # targets: a good g(r) of a-Si, and bad variants of it
    gr = read_target(ASI, "gr")
    x, y = np.asarray(gr.x), np.asarray(gr.y)
    F["gr"] = _csv(d / "gr.csv", x, y)
    F["one"] = _write(d / "one.csv", "r,g\n2.35,1.5\n")
    F["few"] = _csv(d / "few.csv", x[40:160:30], y[40:160:30])
    F["coarse"] = _csv(d / "coarse.csv", x[::12], y[::12])
    F["same_x"] = _write(d / "same_x.csv", "".join(f"2.35,{1 + 0.1 * k}\n" for k in range(12)))
    F["tbinary"] = _write(d / "tbinary.csv", bytes(range(1, 256)) * 4)
    F["tnan"] = _write(d / "tnan.csv", "1,0\n2,nan\n3,1\n")
    F["negx"] = _csv(d / "negx.csv", x - 1.0, y)
    F["two"] = _write(d / "two.csv", "1,0\n4,1\n")
    # checkpoints: truncated, empty, with NaN weights, of another noise process
    blob = PRIOR.read_bytes()
    F["ck_trunc"] = _write(d / "trunc.pt", blob[: len(blob) // 3])
    F["ck_empty"] = _write(d / "empty.pt", b"")
    state = torch.load(PRIOR, weights_only=True)
    name = next(k for k, v in state["ema"].items() if v.is_floating_point())
    bad = dict(state, ema=dict(state["ema"], **{name: torch.full_like(state["ema"][name], float("nan"))}))
    F["ck_nan"] = d / "nan_weights.pt"
    torch.save(bad, F["ck_nan"])
    other = dict(state, config=dict(state["config"], sde=dict(state["config"]["sde"], k=2 * state["config"]["sde"]["k"])))
    F["ck_sde"] = d / "other_noise.pt"
    torch.save(other, F["ck_sde"])
    F["bad_json"] = _write(d / "bad.json", "{not json")
    F["spec_binary"] = _write(d / "binary.yaml", bytes(range(128, 256)) * 4)
    F["spec_empty"] = _write(d / "empty.yaml", "")
    return F


SAMPLE = ["sample", PRIOR, "--n", "1", "--atoms", "64", "--density", "2.28", "--seed", "0", "--steps", "1", "--quiet"]
RMC = ["rmc", "--composition", "Si", "--atoms", "64", "--density", "2.28", "--moves", "10", "--quiet"]


def _train(f):
    return ["train", f["si"], f["si2"], "--quiet", "--steps", "1"]


def _rmc_folder(out: Path) -> None:
    """An RMC run folder (its config.json), which glass train must not overwrite."""
    out.mkdir()
    _write(out / "config.json", '{"command": "glass rmc", "inputs": {"atoms": 64}}\n')


def _train_folder_with(blob_of):
    def make(out: Path, f) -> None:
        out.mkdir()
        _write(out / "checkpoint.pt", blob_of(f))
    return make


#: (id, argv (without --out), words the one line must contain, suffix of --out or None for no --out,
#:  how to prepare the output folder before the run or None)
CASES = [
    # ------------------------------------------------------------------ structure files (spectra)
    ("spectra-empty-file", lambda f: ["spectra", f["empty"], "--kind", "gr"], ["empty.extxyz", "empty file"], ".csv", None),
    ("spectra-truncated-file", lambda f: ["spectra", f["trunc"], "--kind", "gr"],
     ["trunc.extxyz", "declares 64 atoms but only"], ".csv", None),
    ("spectra-corrupt-atom-count", lambda f: ["spectra", f["count"], "--kind", "gr"],
     ["count.extxyz", "line 1: the frame declares 99999999999 atoms"], ".csv", None),
    ("spectra-binary-file", lambda f: ["spectra", f["binary"], "--kind", "gr"], ["binary.extxyz", "not a text"], ".csv", None),
    ("spectra-inf-coordinates", lambda f: ["spectra", f["inf"], "--kind", "gr"], ["inf.extxyz", "non-finite", "atom 3"], ".csv", None),
    ("spectra-atom-far-outside", lambda f: ["spectra", f["far"], "--kind", "gr"], ["far.extxyz", "atom 5", "cell lengths outside"], ".csv", None),
    ("spectra-unknown-element", lambda f: ["spectra", f["unknown_el"], "--kind", "gr"], ["unknown_el.xyz", "'Xx'"], ".csv", None),
    ("spectra-lammps-type-not-in-map", lambda f: ["spectra", SIO2, "--species-map", "1=O", "--kind", "gr"],
     ["sio2_3000_glass_1k_sample0.dat", "atom type 2"], ".csv", None),
    ("spectra-species-map-unknown-element", lambda f: ["spectra", SIO2, "--species-map", "1=O,2=Qq", "--kind", "gr"],
     ["'Qq'", "species map"], ".csv", None),
    ("spectra-species-map-swapped", lambda f: ["spectra", SIO2, "--species-map", "O=1,Si=2", "--kind", "gr"],
     ["--species-map", "'O'"], ".csv", None),
    ("spectra-structure-is-a-folder", lambda f: ["spectra", f["folder"], "--kind", "gr"], ["a_folder", "directory"], ".csv", None),
    ("spectra-zero-step", lambda f: ["spectra", f["si"], "--kind", "gr", "--dr", "0"], ["grid", "positive step"], ".csv", None),
    ("spectra-reversed-q-range", lambda f: ["spectra", f["si"], "--kind", "sq-xray", "--qmin", "10", "--qmax", "2"],
     ["grid", "start < stop"], ".csv", None),
    ("spectra-negative-smearing", lambda f: ["spectra", f["si"], "--kind", "gr", "--smearing", "-1"], ["smearing", "-1"], ".csv", None),
    ("spectra-partials-of-sq", lambda f: ["spectra", f["si"], "--kind", "sq-xray", "--partials"], ["--partials"], ".csv", None),
    ("spectra-out-under-a-file", lambda f: ["spectra", f["si"], "--kind", "gr", "--out", f["file"] / "gr.csv"],
     ["plain.txt", "not a folder"], None, None),
    ("spectra-out-is-a-folder", lambda f: ["spectra", f["si"], "--kind", "gr", "--out", f["folder"]], ["a_folder", "directory"], None, None),
    # ---------------------------------------------------------------------------- analyze options
    ("analyze-zero-angle-bin", lambda f: ["analyze", f["si"], "--no-entropy", "--angle-bin", "0"], ["angle bin"], ".json", None),
    ("analyze-negative-cutoff", lambda f: ["analyze", f["si"], "--no-entropy", "--cutoff", "Si-Si=-1"], ["cutoff Si-Si", "-1"], ".json", None),
    ("analyze-cutoff-unknown-element", lambda f: ["analyze", f["si"], "--no-entropy", "--cutoff", "Si-Qq=2"], ["'Qq'"], ".json", None),
    ("analyze-ring-size", lambda f: ["analyze", f["si"], "--no-entropy", "--max-ring-size", "100"], ["--max-ring-size"], ".json", None),
    ("analyze-render-suffix", lambda f: ["analyze", f["si"], "--no-entropy", "--render", f["folder"] / "x.gif"], ["x.gif", ".png"], ".json", None),
    ("analyze-negative-hbond-distance", lambda f: ["analyze", f["si"], "--no-entropy", "--hbond-roo", "-1"], ["H-bond O-O"], ".json", None),
    ("analyze-zero-entropy-bandwidth", lambda f: ["analyze", f["si"], "--entropy-bandwidth", "0"], ["entropy bandwidth"], ".json", None),
    # --------------------------------------------------------------------------------- sample
    ("sample-truncated-checkpoint", lambda f: ["sample", f["ck_trunc"], *SAMPLE[2:]], ["trunc.pt", "truncated or corrupt"], "", None),
    ("sample-empty-checkpoint", lambda f: ["sample", f["ck_empty"], *SAMPLE[2:]], ["empty.pt", "not a readable checkpoint"], "", None),
    ("sample-checkpoint-is-a-folder", lambda f: ["sample", f["folder"], *SAMPLE[2:]], ["a_folder", "not found"], "", None),
    ("sample-non-finite-weights", lambda f: ["sample", f["ck_nan"], *SAMPLE[2:]], ["nan_weights.pt", "non-finite"], "", None),
    ("sample-weak-of-another-noise-process", lambda f: [*SAMPLE, "--weak", f["ck_sde"]], ["other_noise.pt", "another noise process"], "", None),
    ("sample-zero-count", lambda f: [*SAMPLE, "--n", "0"], ["n must be a positive integer"], "", None),
    ("sample-zero-steps", lambda f: [*SAMPLE, "--steps", "0"], ["steps must be a positive integer"], "", None),
    ("sample-zero-density", lambda f: [*SAMPLE, "--density", "0"], ["density must be positive"], "", None),
    ("sample-negative-density", lambda f: [*SAMPLE, "--density", "-2"], ["density must be positive", "-2"], "", None),
    ("sample-zero-atoms", lambda f: [*SAMPLE, "--atoms", "0"], ["atoms must be a positive integer"], "", None),
    ("sample-zero-batch", lambda f: [*SAMPLE, "--batch", "0"], ["batch must be a positive integer"], "", None),
    ("sample-zero-snr", lambda f: [*SAMPLE, "--snr", "0"], ["snr must be"], "", None),
    ("sample-negative-guidance-step", lambda f: [*SAMPLE, "--guidance-step", "-1"], ["guidance_step must be"], "", None),
    ("sample-negative-churn", lambda f: [*SAMPLE, "--sampler", "heun", "--churn", "-1"], ["churn must be"], "", None),
    ("sample-potential-zero-temperature", lambda f: [*SAMPLE, "--potential", SW_FILE, "--potential-temperature", "0"],
     ["potential_temperature must be"], "", None),
    ("sample-potential-not-sw", lambda f: [*SAMPLE, "--potential", f["file"]], ["plain.txt", "no differentiable version"], "", None),
    ("sample-potential-malformed", lambda f: [*SAMPLE, "--potential", f["bad_sw"]],
     ["bad.sw", "not a Stillinger-Weber file"], "", None),
    ("sample-relax-unknown-system", lambda f: [*SAMPLE, "--relax", "nonesuch"], ["unknown system 'nonesuch'"], "", None),
    ("sample-out-is-a-file", lambda f: [*SAMPLE, "--out", f["file"]], ["plain.txt", "not a folder"], None, None),
    ("sample-target-one-point", lambda f: [*SAMPLE, "--target", f["one"], "--kind", "gr"], ["one.csv", "1 point"], "", None),
    ("sample-target-too-few-points", lambda f: [*SAMPLE, "--target", f["few"], "--kind", "gr"], ["few.csv", "'grid'", "4 distinct"], "", None),
    ("sample-target-too-coarse", lambda f: [*SAMPLE, "--target", f["coarse"], "--kind", "gr"], ["coarse.csv", "too coarse"], "", None),
    ("sample-target-one-x-repeated", lambda f: [*SAMPLE, "--target", f["same_x"], "--kind", "gr", "--skip-check", "peak"],
     ["same_x.csv", "1 distinct x value;"], "", None),
    ("sample-target-binary", lambda f: [*SAMPLE, "--target", f["tbinary"], "--kind", "gr"], ["tbinary.csv", "non-numeric"], "", None),
    ("sample-target-nan", lambda f: [*SAMPLE, "--target", f["tnan"], "--kind", "gr"], ["tnan.csv", "line 2", "NaN"], "", None),
    ("sample-target-negative-x", lambda f: [*SAMPLE, "--target", f["negx"], "--kind", "gr", "--skip-check", "all"],
     ["negx.csv", "non-negative"], "", None),
    ("sample-target-negative-weight", lambda f: [*SAMPLE, "--target", f["gr"], "--kind", "gr", "--weight", "-1"],
     ["gr.csv", "weight", "-1"], "", None),
    ("sample-target-missing", lambda f: [*SAMPLE, "--target", f["folder"] / "none.csv", "--kind", "gr"], ["none.csv", "not found"], "", None),
    # ------------------------------------------------------------------------------------ rmc
    ("rmc-zero-moves", lambda f: [*RMC, "--target", f["gr"], "--kind", "gr", "--moves", "0"], ["--moves", "0"], "", None),
    ("rmc-negative-seconds", lambda f: [*RMC, "--target", f["gr"], "--kind", "gr", "--seconds", "-1"], ["--seconds", "-1"], "", None),
    ("rmc-zero-density", lambda f: [*RMC, "--target", f["gr"], "--kind", "gr", "--density", "0"], ["density"], "", None),
    ("rmc-negative-density", lambda f: [*RMC, "--target", f["gr"], "--kind", "gr", "--density", "-1"], ["density"], "", None),
    ("rmc-zero-step", lambda f: [*RMC, "--target", f["gr"], "--kind", "gr", "--step", "0"], ["step"], "", None),
    ("rmc-zero-bin", lambda f: [*RMC, "--target", f["gr"], "--kind", "gr", "--dr", "0"], ["dr must be positive"], "", None),
    ("rmc-triclinic-start", lambda f: [*RMC, "--target", f["gr"], "--kind", "gr", "--start", f["tri"]],
     ["tri.extxyz", "orthorhombic"], "", None),
    ("rmc-cluster-start", lambda f: [*RMC, "--target", f["gr"], "--kind", "gr", "--start", f["cluster"]],
     ["cluster.xyz", "not periodic"], "", None),
    ("rmc-unknown-element", lambda f: [*RMC, "--target", f["gr"], "--kind", "gr", "--composition", "Xq"], ["'Xq'"], "", None),
    ("rmc-target-two-points", lambda f: [*RMC, "--target", f["two"], "--kind", "gr"], ["two.csv", "2 distinct"], "", None),
    # ---------------------------------------------------------------------------------- train
    ("train-zero-steps", lambda f: [*_train(f), "--steps", "0"], ["steps must be a positive integer"], "", None),
    ("train-one-structure", lambda f: ["train", f["si"], "--steps", "1"], ["at least two structures"], "", None),
    ("train-cluster-data", lambda f: ["train", f["cluster"], f["cluster"], "--steps", "1"], ["cluster.xyz", "not periodic"], "", None),
    ("train-config-wrong-type", lambda f: [*_train(f), "--config", "lr=abc"], ["--config", "lr='abc'"], "", None),
    ("train-config-not-json", lambda f: [*_train(f), "--config", f["bad_json"]], ["bad.json", "not a JSON file"], "", None),
    ("train-negative-cutoff", lambda f: [*_train(f), "--config", "model.cutoff=-1"], ["cutoff must be positive"], "", None),
    ("train-out-is-a-file", lambda f: [*_train(f), "--out", f["file"]], ["plain.txt", "not a folder"], None, None),
    ("train-truncated-checkpoint", _train, ["checkpoint.pt", "truncated or corrupt"], "",
     _train_folder_with(lambda f: f["ck_trunc"].read_bytes())),
    ("train-checkpoint-of-other-data", _train, ["checkpoint.pt", "different data"], "", _train_folder_with(lambda f: PRIOR.read_bytes())),
    ("train-folder-of-another-command", _train, ["not a training configuration"], "", lambda out, f: _rmc_folder(out)),
    # ----------------------------------------------------------------------- simulate, batch
    ("simulate-zero-atoms", lambda f: ["simulate", "a-Si", "--atoms", "0"], ["--atoms", "0"], "", None),
    ("simulate-bad-option", lambda f: ["simulate", "a-Si", "--option", "n_grains"], ["--option", "NAME=VALUE"], "", None),
    ("batch-binary-spec", lambda f: ["batch", f["spec_binary"]], ["binary.yaml", "not a readable YAML file"], None, None),
    ("batch-empty-spec", lambda f: ["batch", f["spec_empty"]], ["empty.yaml", "must be a mapping"], None, None),
]


def _snapshot(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} \
        if folder.exists() else {}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, f, tmp_path, capsys):
    name, argv, needles, suffix, prepare = case
    work = tmp_path / "work"
    work.mkdir()
    args = argv(f)
    out = None
    if suffix is not None:
        out = work / f"out{suffix}"
        if prepare is not None:
            prepare(out, f)
        args = [*args, "--out", out]
    before_inputs = _snapshot(f["folder"])
    before = _snapshot(work)
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if not ln.startswith("glass: warning:")]
    assert code == 2, (name, err)
    assert len(lines) == 1 and lines[0].startswith("glass: error: "), (name, err)
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (name, needle, lines[0])
    assert _snapshot(work) == before, name  # nothing written, nothing changed
    assert _snapshot(f["folder"]) == before_inputs, name
    assert not list(tmp_path.rglob(".*.tmp")) and not list(f["folder"].rglob(".*.tmp"))


def test_every_case_is_in_the_catalogue():
    """docs/errors.md names each case of this file by its id, and each catalogue row points to a test."""
    text = DOC.read_text()
    missing = [c[0] for c in CASES if f"`{c[0]}`" not in text]
    assert not missing, f"cases not in docs/errors.md: {missing}"
    rows = [ln for ln in text.splitlines() if ln.startswith("| ") and not ln.startswith("| input") and "---" not in ln]
    assert len(rows) >= 30
    unpointed = [r for r in rows if "tests/" not in r]
    assert not unpointed, unpointed
    for path in set(re.findall(r"tests/(test_\w+\.py)", text)):
        assert (ROOT / "tests" / path).is_file(), path


# ------------------------------------------------------------------------- checkpoints
class _Payload:
    """Unpickling this runs os.system(...): what a malicious checkpoint would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_checkpoint_pickle_with_code_is_refused_without_running_it(tmp_path, capsys):
    marker = tmp_path / "payload_ran"
    state = torch.load(PRIOR, weights_only=True)
    state["record"] = _Payload(marker)
    evil = tmp_path / "evil.pt"
    torch.save(state, evil)
    with open(tmp_path / "plain.pkl", "wb") as fh:  # a bare pickle, not a zip archive
        pickle.dump({"format": "glass-checkpoint-1", "x": _Payload(marker)}, fh, protocol=2)
    for path in (evil, tmp_path / "plain.pkl"):
        with pytest.raises(InputError) as exc:
            load_checkpoint(path)
        assert str(path) in str(exc.value) and "\n" not in str(exc.value)
        assert main(["sample", str(path), *map(str, SAMPLE[2:]), "--out", str(tmp_path / "out")]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not marker.exists(), "the pickled payload ran"
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------- read-only output folder
def test_a_read_only_output_folder_is_refused_before_computing(f, tmp_path, capsys, monkeypatch):
    """As root a folder is never read-only, so the permission is mocked where root ignores it; the
    write itself turns an OSError into the same one line."""
    ro = tmp_path / "ro"
    ro.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == ro else real_access(p, mode, **kw))
    for args in (["spectra", f["si"], "--kind", "gr", "--out", ro / "gr.csv"],
                 ["analyze", f["si"], "--no-entropy", "--out", ro / "r.json"],
                 [*SAMPLE, "--out", ro / "samples"],
                 [*_train(f), "--out", ro / "run"]):
        assert main([str(a) for a in args]) == 2
        (line,) = capsys.readouterr().err.strip().splitlines()
        assert f"the folder {ro} is read-only" in line, line
    assert not list(ro.iterdir())
    from glasslib.core import atomic_io

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(atomic_io, "open", refuse, raising=False)
    with pytest.raises(InputError, match=r"x\.txt: cannot write \(Permission denied\)"):
        atomic_io.atomic_write_text(tmp_path / "x.txt", "data")
    assert not list(tmp_path.glob(".x.txt*"))


# ---------------------------------------------------------------------- numerical faults
SDE = VESDE(k=1.0, sigma_min=0.01)


def _noise(n=2):
    gen = torch.Generator().manual_seed(0)
    return initial_noise(n, 8, torch.eye(3, dtype=torch.float64) * 6.0, 14, gen), gen


def test_a_non_finite_score_stops_the_sampler_naming_step_and_structure():
    def score(x, t):  # structure 1 goes NaN at the third call
        score.calls += 1
        s = -0.1 * x.positions
        if score.calls == 3:
            s = s.clone()
            s[x.system_idx == 1] = float("nan")
        return s

    score.calls = 0
    x, gen = _noise()
    with pytest.raises(NumericalError) as exc:
        sample(score, x, time_grid(5, 1.0, 0.01), generator=gen, sde=SDE, n_corrector=0)
    msg = str(exc.value)
    assert "non-finite score in structure 1 at sampler step 2 (predictor" in msg and "\n" not in msg
    assert exc.value.step == 2 and exc.value.structure == 1


def test_a_non_finite_guidance_gradient_stops_with_the_structure_named():
    from glasslib.diffusion.guidance import with_spectral_guidance

    def observable(x):  # a finite value whose gradient is NaN for structure 0: d sqrt(|u|)/du at u = 0
        d = x.positions[:, 0] - x.positions[:, 0].detach()
        per = torch.zeros(x.n_systems, dtype=d.dtype).index_add(0, x.system_idx, d)
        return torch.stack([per[0].abs().sqrt(), per[1]]).reshape(-1, 1)

    guided = with_spectral_guidance(lambda x, t: -0.1 * x.positions, [observable], [torch.ones(1)],
                                    sigma_fn=SDE.sigma, through_score=False)
    x, gen = _noise()
    with pytest.raises(NumericalError) as exc:
        sample(guided, x, time_grid(3, 1.0, 0.01), generator=gen, sde=SDE, n_corrector=0)
    msg = str(exc.value)
    assert "non-finite spectral guidance gradient in structure 0" in msg and "at sampler step 0 (predictor" in msg


def test_generate_names_the_structure_in_the_whole_run(monkeypatch, tmp_path):
    """With --batch, a fault in the second pass names the structure by its index in the run, and
    glass sample writes no sample of that pass (the first pass's are kept: a rerun resumes)."""
    from glasslib.diffusion import generate as gen_module

    real = gen_module.SAMPLERS["pc"]

    def faulty(score, x, times, **kw):
        faulty.passes += 1
        if faulty.passes == 2:
            def bad(s, t):
                out = score(s, t).clone()
                out[s.system_idx == 1] = float("inf")
                return out
            return real(bad, x, times, **kw)
        return real(score, x, times, **kw)

    faulty.passes = 0
    monkeypatch.setitem(gen_module.SAMPLERS, "pc", faulty)
    out = tmp_path / "run"
    args = [*map(str, SAMPLE), "--n", "4", "--batch", "2", "--out", str(out)]
    assert main(args) == 2
    assert sorted(p.name for p in out.iterdir()) == [".sample_resume.json", "sample_0000.extxyz", "sample_0001.extxyz"]
    with pytest.raises(NumericalError, match=r"non-finite score in structure 3 at sampler step 0 \(predictor"):
        faulty.passes = 0
        gen_module.generate(PRIOR, gen_module.SampleConfig(n=4, batch=2, seed=0, atoms=64, density=2.28, steps=1))


def test_a_non_finite_rmc_chi2_stops_the_run_and_keeps_the_last_checkpoint(f, tmp_path, monkeypatch):
    from glasslib import rmc

    target = read_target(f["gr"], "gr", composition={"Si": 1})
    fit = rmc.RMC(rmc.random_start({14: 1.0}, 64, 2.28, seed=0), [target], rmc.RMCConfig(seed=0))
    ckpt = tmp_path / "checkpoint.npz"
    fit.run(n_moves=200, checkpoint=ckpt)
    saved = ckpt.read_bytes()
    real = fit._kernel

    def kernel(n):  # the moves run, then χ² goes NaN (a fault the kernel cannot produce on finite inputs)
        real(n)
        fit.chi2_parts[0] = math.nan

    monkeypatch.setattr(fit, "_kernel", kernel)
    with pytest.raises(NumericalError, match=r"RMC χ² became non-finite \(target gr\) after 400 moves"):
        fit.run(n_moves=200, checkpoint=ckpt)
    assert ckpt.read_bytes() == saved  # the last finite state is kept
    with pytest.raises(NumericalError, match="after 400 moves"):  # and a loaded non-finite run does not move
        fit.run(n_moves=10)
    recompute = rmc.RMC.recompute

    def nan_start(self):
        recompute(self)
        self.chi2_parts[0] = math.inf

    monkeypatch.setattr(rmc.RMC, "recompute", nan_start)
    with pytest.raises(InputError, match=r"χ² of the start is not finite \(target gr\)"):
        rmc.RMC(rmc.random_start({14: 1.0}, 64, 2.28, seed=0), [target], rmc.RMCConfig(seed=0))


# --------------------------------------------------------- handled: ranges beyond half the cell
def test_a_range_beyond_half_the_cell_is_summed_over_images():
    """docs/errors.md, "Not errors": g(r) to 8 Å and the ADF with a 4 Å cutoff of an 8-atom cell
    (L/2 = 2.7 Å) sum over periodic images, so they equal those of its 2 × 2 × 2 supercell."""
    from glasslib.core.structures import from_ase
    from glasslib.spectra.angles import bond_angle_distribution
    from glasslib.spectra.rdf import pair_distribution

    cell = ase.build.bulk("Si", "diamond", a=5.43, cubic=True)
    cell.rattle(0.05, seed=2)
    small, big = from_ase(cell), from_ase(cell * (2, 2, 2))
    r = torch.arange(1, 161, dtype=torch.float64) * 0.05
    assert torch.allclose(pair_distribution(small, r, sigma=0.05).g, pair_distribution(big, r, sigma=0.05).g, atol=1e-8)
    theta = torch.arange(0.5, 180.0, 1.0, dtype=torch.float64)
    a, b = (bond_angle_distribution(s, theta, cutoff=4.0) for s in (small, big))
    assert torch.allclose(a, b, atol=1e-8)
