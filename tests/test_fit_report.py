"""glasslib.analysis.fit_report and `glass report`: agreement per target, ΔED, local structure, figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from glasslib.analysis.fit_report import fit_report, target_agreement
from glasslib.cli import main
from glasslib.core.errors import InputError
from glasslib.core.structures import concatenate, read_structures
from glasslib.spectra.measurement import MeasurementModel
from glasslib.spectra.targets import Target, read_target

DATA = Path(__file__).resolve().parents[1] / "data"
ASI = DATA / "a-Si" / "glass-epsr_Si_2.5_00.xyz"
LAAZIRI = DATA / "a-Si" / "rosset2024_fig5_Sq_Laaziri_digitized.csv"


def _rattled(structures, amplitude: float, seed: int):
    g = torch.Generator().manual_seed(seed)
    noise = amplitude * torch.randn(structures.positions.shape, generator=g, dtype=structures.positions.dtype)
    return structures.with_positions(structures.positions + noise)


@pytest.fixture(scope="module")
def asi():
    return read_structures(ASI)


def test_a_structure_fits_its_own_spectrum_exactly_and_laaziri_roughly(asi):
    own = Target.from_structures("gr", asi, measurement=MeasurementModel(qmax=20.0, lorch=True), source="own")
    report = fit_report(asi, [own, read_target(LAAZIRI, "sq-xray")], local_structure=True, entropy=False)
    mine, laaziri = report["targets"]
    assert mine["r_factor"] < 1e-12 and mine["rmse"] < 1e-12 and mine["measurement"] == {"qmax": 20.0, "lorch": True}
    assert 0.05 < laaziri["r_factor"] < 0.15  # the EPSR a-Si model against the measured S(Q): 0.091
    assert laaziri["r_factor_per_structure"]["mean"] == pytest.approx(laaziri["r_factor"])
    local = report["local_structure"]
    assert 4.2 < local["coordination_mean"] < 4.6 and 100 < local["bond_angle_mean_deg"] < 112  # EPSR model: 4.40
    json.dumps(report)  # JSON-ready


def test_error_against_diversity_with_a_reference(asi):
    """Rattled copies: a 0.05 Å ensemble against a 0.05 Å reference scores ΔED ≈ 0, a 0.2 Å one > 0."""
    reference = concatenate([_rattled(asi, 0.05, s) for s in range(3)])
    close = concatenate([_rattled(asi, 0.05, s) for s in range(10, 12)])
    far = concatenate([_rattled(asi, 0.2, s) for s in range(20, 22)])
    target = Target.from_structures("gr", reference, source="reference")
    ed_close = target_agreement(target, close, reference)["error_diversity"]
    ed_far = target_agreement(target, far, reference)["error_diversity"]
    assert abs(ed_close["delta_ed_normalized"]) < 0.02 and ed_far["delta_ed_normalized"] > 0.05
    assert ed_close["n_reference"] == 3 and ed_close["n_generated"] == 2
    with pytest.raises(InputError, match="at least 2 structures"):
        target_agreement(target, close, asi)
    with pytest.raises(InputError, match="at least one target"):
        fit_report(asi, [])


def test_glass_report_writes_json_and_figure_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "report"
    args = ["report", str(ASI), "--target", str(LAAZIRI), "--kind", "sq-xray", "--out", str(out), "--quiet"]
    assert main(args) == 0
    report = json.loads((out / "report.json").read_text())
    assert 0.05 < report["targets"][0]["r_factor"] < 0.15 and (out / "report.png").stat().st_size > 10_000
    r = subprocess.run([sys.executable, "-m", "glasslib", *args], capture_output=True, text=True)
    assert r.returncode == 2 and "pass --force" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert main(args + ["--force"]) == 0
    bad = tmp_path / "bad"
    r = subprocess.run([sys.executable, "-m", "glasslib", "report", str(ASI), "--target", str(LAAZIRI), "--kind", "gr",
                        "--out", str(bad)], capture_output=True, text=True)
    assert r.returncode == 2 and "target check 'peak' failed" in r.stderr and not bad.exists()
