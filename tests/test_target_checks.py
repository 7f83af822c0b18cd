"""glasslib.spectra.target_checks: measured files pass, wrong readings of them fail, in one line."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from glasslib.core.errors import InputError
from glasslib.spectra.target_checks import CHECKS, check_overlap, check_target, pair_distance_range
from glasslib.spectra.targets import Target, read_target

DATA = Path(__file__).resolve().parents[1] / "data"
LAAZIRI = DATA / "a-Si" / "rosset2024_fig5_Sq_Laaziri_digitized.csv"
NAKHMANSON = DATA / "a-Si" / "rosset2024_fig2_gr_Nakhmanson_digitized.csv"  # g(r) + 2 (a plot offset)
RDF = DATA / "a-Si" / "unverified_aSi_experimentalRDFData_digitized.txt"  # J(r) = 4 pi r^2 rho g(r)
CRN = DATA / "a-Si" / "rosset2024_fig5_Sq_model_CRN.csv"  # S(Q) first, Q second
ASI = DATA / "a-Si" / "glass-epsr_Si_2.5_00.xyz"
NIMROD = DATA / "SiO2" / "SiO2_NIMROD.mint01"
WATER_FQ = DATA / "water_ice" / "water_xray_FQ_PCCPfofq.txt"
SANDALS = sorted((DATA / "water_ice").glob("water_SANDALS_*.mint01"))


def _refused(check: str, call, path):
    with pytest.raises(InputError, match=f"target check '{check}' failed") as e:
        call()
    message = str(e.value)
    assert str(path) in message and f"--skip-check {check}" in message and "\n" not in message
    return message


def test_every_measured_file_we_ship_passes():
    read_target(LAAZIRI, "sq-xray", composition={"Si": 1})
    read_target(NIMROD, "sq-neutron", composition={"Si": 1, "O": 2})
    read_target(NIMROD, "fq-neutron", composition={"Si": 1, "O": 2})
    read_target(WATER_FQ, "fq-xray", composition={"H": 2, "O": 1})
    for path in SANDALS:
        read_target(path, "sq-neutron", composition={"H": 2, "O": 1})
    for kind in ("gr", "Gr", "sq-xray", "fq-neutron"):  # spectra computed from a structure, written and read back
        t = read_target(ASI, kind)
        check_target(t, {"Si": 1})


def test_wrong_kind_offset_and_normalisation_are_refused():
    msg = _refused("peak", lambda: read_target(LAAZIRI, "gr", composition={"Si": 1}), LAAZIRI)
    assert "an S(Q), F(Q)" in msg and "3.6 Å" in msg  # the tallest S(Q) peak, at 3.6 1/Å
    msg = _refused("baseline", lambda: read_target(NAKHMANSON, "gr", composition={"Si": 1}), NAKHMANSON)
    assert "averages 2.97" in msg
    assert "J(r)" in _refused("peak", lambda: read_target(RDF, "gr", composition={"Si": 1}), RDF)
    _refused("baseline", lambda: read_target(WATER_FQ, "sq-xray", composition={"H": 2, "O": 1}), WATER_FQ)
    # the Rosset et al. model "S(Q)" tends to 0, not 1 (its normalisation is undocumented: data/PROVENANCE.md)
    _refused("baseline", lambda: read_target(CRN, "sq-xray", columns=(1, 0), composition={"Si": 1}), CRN)
    # the offset shows below the first peak too; the checks can be skipped, one by one or all
    _refused("low-r", lambda: read_target(NAKHMANSON, "gr", composition={"Si": 1}, skip_checks=["baseline"]), NAKHMANSON)
    t = read_target(NAKHMANSON, "gr", composition={"Si": 1}, skip_checks=["baseline", "low-r"])
    assert max(t.y) > 3
    read_target(RDF, "gr", skip_checks=["all"])


def _write(path: Path, x, y) -> Path:
    np.savetxt(path, np.c_[x, y], delimiter=",")
    return path


def test_units_are_caught_by_the_peak_and_read_with_the_option(tmp_path):
    gr = read_target(ASI, "gr")
    r, g = np.asarray(gr.x), np.asarray(gr.y)
    in_nm = _write(tmp_path / "gr_nm.csv", r / 10, g)
    msg = _refused("peak", lambda: read_target(in_nm, "gr", composition={"Si": 1}), in_nm)
    assert "--x-unit nm" in msg
    assert np.allclose(read_target(in_nm, "gr", x_unit="nm", composition={"Si": 1}).x, r)
    sq = read_target(LAAZIRI, "sq-xray")
    q, s = np.asarray(sq.x), np.asarray(sq.y)
    in_per_nm = _write(tmp_path / "sq_per_nm.csv", 10 * q, s)
    msg = _refused("peak", lambda: read_target(in_per_nm, "sq-xray", composition={"Si": 1}), in_per_nm)
    assert "--x-unit 1/nm" in msg
    assert np.allclose(read_target(in_per_nm, "sq-xray", x_unit="1/nm").x, q)
    # a 2theta column (Cu K-alpha, 1.5406 A) read as Q, then read correctly with the wavelength
    lam = 1.5406
    keep = q < 4 * math.pi / lam * 0.99
    two_theta = np.degrees(2 * np.arcsin(q[keep] * lam / (4 * math.pi)))
    in_2theta = _write(tmp_path / "sq_2theta.csv", two_theta, s[keep])
    msg = _refused("peak", lambda: read_target(in_2theta, "sq-xray", composition={"Si": 1}), in_2theta)
    assert "--x-unit 2theta" in msg
    back = read_target(in_2theta, "sq-xray", x_unit="2theta", wavelength=lam, composition={"Si": 1})
    assert np.allclose(back.x, q[keep], atol=1e-9)
    with pytest.raises(InputError, match="wavelength"):
        read_target(in_2theta, "sq-xray", x_unit="2theta")


def test_swapped_columns_name_the_file_and_read_with_columns(tmp_path):
    with pytest.raises(InputError, match="non-negative") as e:
        read_target(CRN, "sq-xray")
    assert str(CRN) in str(e.value)
    t = read_target(CRN, "sq-xray", columns=(1, 0), skip_checks=["baseline"])
    assert t.x[0] == pytest.approx(1.0) and t.x[-1] == pytest.approx(29.9)
    skipped = tmp_path / "with_preamble.csv"
    skipped.write_text("instrument: D4\nsample: a-Si 2 g\n" + CRN.read_text())
    with pytest.raises(InputError, match="line 2: non-numeric"):  # line 1 passes as a row of column names
        read_target(skipped, "sq-xray", columns=(1, 0), skip_checks=["baseline"])
    assert read_target(skipped, "sq-xray", columns=(1, 0), skip_rows=2, skip_checks=["baseline"]).x == t.x


def test_overlap_with_the_cell_and_with_the_surrogate_grid(tmp_path):
    gr = read_target(ASI, "gr")
    check_overlap(gr, box=30.0)
    with pytest.raises(InputError, match="target check 'overlap' failed.*L/2 = 2.50"):
        check_overlap(gr, box=5.0)  # a 5 A cell represents r <= 2.5 A only
    k = np.arange(12.5, 16.0, 0.05)
    far = _write(tmp_path / "chi_high_k.csv", k, 0.01 * np.sin(5 * k))
    with pytest.raises(InputError, match="overlap"):
        read_target(far, "exafs")


def test_pair_range_and_unknown_checks():
    lo, hi = pair_distance_range({"Si": 1, "O": 2})
    assert lo == pytest.approx(2 * 0.66) and hi == pytest.approx(2 * 1.11)
    assert pair_distance_range(None) == (1.0, 3.0)
    t = Target("gr", (0.0, 1.0, 2.0), (0.0, 0.5, 1.0), source="x.csv")
    with pytest.raises(InputError, match="unknown check"):
        check_target(t, skip=["units"])
    assert set(CHECKS) == {"baseline", "low-r", "peak", "overlap", "grid"}
