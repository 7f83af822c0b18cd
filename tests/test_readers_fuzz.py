"""Fuzzed readers (hypothesis): any byte string, and any malformed variant of a valid file, either
reads into a valid object or raises :class:`~glasslib.core.errors.InputError` — never another
exception — for the structure reader (:func:`glasslib.core.structures.read_structures`), the
spectrum and target readers (:func:`glasslib.spectra.targets.read_target`,
:func:`glasslib.spectra.measured.read_spectrum` and its column reader) and the checkpoint loader
(:func:`glasslib.diffusion.training.load_checkpoint`).

The budget is small and fixed (``derandomize=True``: the same examples on every run; see
:data:`EXAMPLES`), under 10 s in all on one thread; ``deadline`` flags an example that takes
seconds (a reader that would hang). The hang a longer run of these tests found (an (ext)xyz
header declaring 10¹¹ atoms, which ASE read on for, line by line) is a case of tests/test_errors.py."""

from __future__ import annotations

import io
import itertools
import math
from pathlib import Path

import ase.build
import ase.io
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glasslib.core.errors import InputError
from glasslib.core.structures import Structures, read_structures
from glasslib.diffusion.model import ScoreNetConfig
from glasslib.diffusion.training import CHECKPOINT_FORMAT, Checkpoint, TrainConfig, build_denoiser, load_checkpoint
from glasslib.spectra.measured import MeasuredSpectrum, read_columns, read_spectrum
from glasslib.spectra.targets import Target, read_target

ROOT = Path(__file__).resolve().parents[1]
NIMROD = ROOT / "data" / "SiO2" / "SiO2_NIMROD.mint01"

#: ASE's readers warn about some damaged files they still read (CIF rows of the wrong length, overflows)
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:ase", "ignore::RuntimeWarning")

#: examples per reader and kind of input (bytes / mutated valid file / mutated checkpoint dict)
EXAMPLES = {"structures": 250, "targets": 250, "columns": 150, "checkpoint": 150, "checkpoint_dict": 150}


def fuzz(n: int):
    return settings(max_examples=n, deadline=5000, derandomize=True, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


# ----------------------------------------------------------------------- strategies
TOKENS = [b"nan", b"inf", b"-inf", b"1e308", b"-1e308", b"1e-320", b"-1", b"0", b"", b"x", b"99999999999", b"3",
          b"\x00", b"\xff\xfe", b"Xx", b"H", b"#", b",", b"\n", b'"', b"="]


@st.composite
def mutated(draw, valid: bytes) -> bytes:
    """``valid`` after one to four edits: truncation, byte flips, inserted or deleted bytes,
    duplicated or dropped lines, a token replaced by a number or a symbol that does not belong."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "dup_line", "drop_line", "token"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "truncate":
            del data[at:]
        elif op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif op in ("dup_line", "drop_line", "token"):
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, max(len(lines) - 1, 0)))
            if op == "dup_line":
                lines.insert(k, lines[k])
            elif op == "drop_line":
                del lines[k]
            else:
                fields = lines[k].split()
                if fields:
                    fields[draw(st.integers(0, len(fields) - 1))] = draw(st.sampled_from(TOKENS))
                lines[k] = b" ".join(fields)
            data = bytearray(b"\n".join(lines))
    return bytes(data)


def _valid_structure_files() -> dict[str, tuple[bytes, dict]]:
    """name → (bytes, read_structures options) of small valid files in the formats read most."""
    si = ase.build.bulk("Si", "diamond", a=5.43, cubic=True)
    si.rattle(0.02, seed=0)
    sio = ase.build.bulk("Si", "diamond", a=5.43, cubic=True)
    sio.numbers[::2] = 8
    out = {}
    for name, fmt, atoms, opts in (("a.extxyz", "extxyz", [si, si], {}), ("POSCAR", "vasp", si, {}),
                                   ("a.cif", "cif", si, {}), ("a.xyz", "xyz", si, {}),
                                   ("a.data", "lammps-data", sio, {"species_map": {1: "O", 2: "Si"}})):
        buf = io.StringIO() if fmt != "cif" else io.BytesIO()
        ase.io.write(buf, atoms, format=fmt, **({"specorder": ["O", "Si"]} if fmt == "lammps-data" else {}))
        text = buf.getvalue()
        out[name] = (text if isinstance(text, bytes) else text.encode(), opts)
    return out


STRUCTURE_FILES = _valid_structure_files()


def _read_structures_or_input_error(path: Path, opts: dict) -> None:
    try:
        s = read_structures(path, **opts)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(s, Structures) and s.n_atoms > 0 and bool(torch.isfinite(s.positions).all())


@fuzz(EXAMPLES["structures"])
@given(name=st.sampled_from(sorted(STRUCTURE_FILES)), data=st.data())
def test_structure_reader_on_mutated_files(tmp_path_factory, name, data):
    valid, opts = STRUCTURE_FILES[name]
    path = tmp_path_factory.mktemp("s") / name
    path.write_bytes(data.draw(mutated(valid)))
    _read_structures_or_input_error(path, opts)


@fuzz(EXAMPLES["structures"])
@given(name=st.sampled_from(sorted(STRUCTURE_FILES)), blob=st.binary(max_size=600))
def test_structure_reader_on_any_bytes(tmp_path_factory, name, blob):
    path = tmp_path_factory.mktemp("s") / name
    path.write_bytes(blob)
    _read_structures_or_input_error(path, STRUCTURE_FILES[name][1])


# --------------------------------------------------------------------- spectra, targets
def _spectrum_files() -> dict[str, tuple[bytes, str, dict]]:
    """name → (bytes, kind, read_target options) of valid target files of several kinds."""
    r = np.arange(0.05, 10.0, 0.05)
    g = 1.0 + np.exp(-((r - 2.35) / 0.1) ** 2) * 3 - np.exp(-r)
    q = np.arange(0.5, 20.0, 0.05)
    s = 1.0 + 0.5 * np.sin(2.35 * q) / (2.35 * q) * np.exp(-0.01 * q**2) + 0.8 * np.exp(-((q - 2.0) / 0.3) ** 2)
    theta = np.arange(0.5, 180.0, 1.0)
    adf = np.exp(-((theta - 109.0) / 10.0) ** 2)
    k = np.arange(2.0, 12.0, 0.05)
    chi = 0.5 * np.sin(2 * 2.5 * k) * np.exp(-0.01 * k**2)
    index = np.arange(0, 100.0)

    def table(x, y, header):
        return (header + "\n" + "".join(f"{a:.6g},{b:.6g}\n" for a, b in zip(x, y))).encode()

    return {
        "gr.csv": (table(r, g, "r_A,g"), "gr", {"composition": {"Si": 1}}),
        "sq.csv": (table(q, s, "# S(Q)\nQ_per_A,S"), "sq-xray", {"composition": {"Si": 1}}),
        "adf.csv": (table(theta, adf, "theta_deg,adf_per_deg"), "adf", {"cutoff": 2.85}),
        "exafs.chi": (table(k, k * k * chi, "k_per_A,k2chi_per_A2"), "exafs", {}),
        "xanes.csv": (table(index, np.tanh(index / 20), "index,mu"), "xanes", {}),
        "data.mint01": (NIMROD.read_bytes()[:6000], "sq-neutron", {"composition": {"Si": 1, "O": 2}}),
    }


SPECTRUM_FILES = _spectrum_files()


def _read_target_or_input_error(path: Path, kind: str, opts: dict) -> None:
    try:
        t = read_target(path, kind, **opts)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(t, Target) and len(t.x) >= 2 and all(math.isfinite(v) for v in itertools.chain(t.x, t.y))


@fuzz(EXAMPLES["targets"])
@given(name=st.sampled_from(sorted(SPECTRUM_FILES)), data=st.data())
def test_target_reader_on_mutated_files(tmp_path_factory, name, data):
    valid, kind, opts = SPECTRUM_FILES[name]
    path = tmp_path_factory.mktemp("t") / name
    path.write_bytes(data.draw(mutated(valid)))
    _read_target_or_input_error(path, kind, opts)


@fuzz(EXAMPLES["targets"])
@given(name=st.sampled_from(sorted(SPECTRUM_FILES)), blob=st.binary(max_size=600))
def test_target_reader_on_any_bytes(tmp_path_factory, name, blob):
    path = tmp_path_factory.mktemp("t") / name
    path.write_bytes(blob)
    _, kind, opts = SPECTRUM_FILES[name]
    _read_target_or_input_error(path, kind, opts)


@fuzz(EXAMPLES["columns"])
@given(data=st.data(), quantity=st.sampled_from(["sq", "fq", "gr", "Gr", "adf", "iq", "s(q)", "bogus"]),
       x_unit=st.sampled_from([None, "1/nm", "nm", "2theta", "rad", "eV", "furlong"]),
       columns=st.sampled_from([(0, 1), (1, 0), (0, 2), (-1, 1)]), skip_rows=st.integers(0, 3),
       wavelength=st.sampled_from([None, 0.1173, 0.0, -1.0, math.nan]),
       err_column=st.sampled_from([None, 1, 2]))
def test_column_reader_options_on_mutated_files(tmp_path_factory, data, quantity, x_unit, columns, skip_rows,
                                                wavelength, err_column):
    valid = SPECTRUM_FILES[data.draw(st.sampled_from(["gr.csv", "sq.csv", "data.mint01"]))][0]
    path = tmp_path_factory.mktemp("c") / "spectrum.txt"
    path.write_bytes(data.draw(mutated(valid)))
    try:
        m = read_columns(path, quantity, x_unit=x_unit, columns=columns, skip_rows=skip_rows, wavelength=wavelength,
                         err_column=err_column)
        assert isinstance(m, MeasuredSpectrum) and bool(torch.isfinite(m.x).all())
        m = read_spectrum(path.rename(path.with_suffix(".mint01")), "sq-neutron", composition={"Si": 1, "O": 2})
        assert isinstance(m, MeasuredSpectrum)
    except InputError as exc:
        assert "\n" not in str(exc)


# ------------------------------------------------------------------------- checkpoints
TINY = ScoreNetConfig(species=(14,), cutoff=3.0, angular_cutoff=2.6, hidden=8, channels=2, n_layers=1, n_rbf=6,
                      n_fourier=4)


def _tiny_state() -> dict:
    config = TrainConfig(model=TINY, steps=4)
    weights = build_denoiser(config).state_dict()
    return {"format": CHECKPOINT_FORMAT, "step": 4, "model": weights, "ema": weights, "config": config.to_dict(),
            "data_sha256": "0" * 64, "data_summary": None, "record": None, "n_skipped": 0, "history": []}


def _bytes(state) -> bytes:
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


STATE = _tiny_state()
VALID_CHECKPOINT = _bytes(STATE)


def _load_or_input_error(path: Path) -> None:
    try:
        ck = load_checkpoint(path)
    except InputError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    assert isinstance(ck, Checkpoint)
    assert all(bool(torch.isfinite(v).all()) for v in ck.denoiser.state_dict().values() if v.is_floating_point())


def test_the_valid_tiny_checkpoint_loads(tmp_path):
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(VALID_CHECKPOINT)
    assert load_checkpoint(path).step == 4


@fuzz(EXAMPLES["checkpoint"])
@given(data=st.data())
def test_checkpoint_loader_on_mutated_files(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("k") / "checkpoint.pt"
    path.write_bytes(data.draw(mutated(VALID_CHECKPOINT)))
    _load_or_input_error(path)


@fuzz(EXAMPLES["checkpoint"])
@given(blob=st.binary(max_size=600))
def test_checkpoint_loader_on_any_bytes(tmp_path_factory, blob):
    path = tmp_path_factory.mktemp("k") / "checkpoint.pt"
    path.write_bytes(blob)
    _load_or_input_error(path)


JUNK = st.one_of(st.none(), st.booleans(), st.integers(-3, 300), st.floats(allow_nan=True), st.text(max_size=5),
                 st.lists(st.integers(0, 120), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                 st.just(torch.zeros(2)), st.just(torch.full((3,), float("nan"))))


@fuzz(EXAMPLES["checkpoint_dict"])
@given(data=st.data())
def test_checkpoint_loader_on_malformed_dicts(tmp_path_factory, data):
    """A checkpoint dict with a key dropped, or a value (top level, config, model or sde config,
    or one weight tensor) replaced by something of another type or shape."""
    state = {**STATE, "config": {**STATE["config"], "model": dict(STATE["config"]["model"]),
                                 "sde": dict(STATE["config"]["sde"])}, "ema": dict(STATE["ema"])}
    where = data.draw(st.sampled_from(["top", "config", "model", "sde", "ema"]))
    d = {"top": state, "config": state["config"], "model": state["config"]["model"], "sde": state["config"]["sde"],
         "ema": state["ema"]}[where]
    key = data.draw(st.sampled_from(sorted(d)))
    if data.draw(st.booleans()):
        del d[key]
    else:
        d[key] = data.draw(JUNK)
    path = tmp_path_factory.mktemp("k") / "checkpoint.pt"
    path.write_bytes(_bytes(state))
    _load_or_input_error(path)
