"""Tests for glasslib.spectra.measured: readers of the shared measured files, conversions, bad input."""

from __future__ import annotations

import math

import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.spectra.form_factors import neutron_scattering_lengths, xray_form_factors
from glasslib.spectra.measured import (
    MeasuredSpectrum,
    convert,
    normalize_quantity,
    read_columns,
    read_mint01,
    read_spectrum,
    spectrum_window,
    to_grid,
)
from glasslib.core.paths import data_path

NIMROD = "SiO2/SiO2_NIMROD.mint01"


# ------------------------------------------------------------------ Gudrun mint01
def test_read_mint01_trims_and_keeps_header():
    m = read_mint01(data_path(NIMROD))
    assert isinstance(m, MeasuredSpectrum)
    assert m.quantity == "iq" and m.x_unit == "1/Å" and m.meta["y_unit"] == "barn/sr/atom"
    assert m.x[0].item() == pytest.approx(0.125)  # 0, 0.025, 0.075 dropped (qmin = 0.1)
    assert m.x[-1].item() == pytest.approx(49.925)  # two trailing all-zero rows dropped
    assert m.meta["trailing_zero_rows_dropped"] == 2
    assert m.meta["rows_read"] == 1002 and m.x.shape == m.y.shape == m.err.shape == (997,)
    assert m.meta["header"][0].strip() == "NIMROD00001122.mint01"
    assert bool((torch.diff(m.x) > 0).all()) and m.x.dtype == torch.float64
    m2 = read_mint01(data_path(NIMROD), qmin=1.0, qmax=20.0, trim_zeros=False)
    assert m2.x[0].item() >= 1.0 and m2.x[-1].item() <= 20.0


def test_mint01_to_faber_ziman_sq_and_fq():
    m = read_mint01(data_path(NIMROD))
    s = convert(m, "sq", composition={"Si": 1, "O": 2})
    b = neutron_scattering_lengths([14, 8])
    mean_b2 = ((b[0] + 2 * b[1]) / 3) ** 2  # fm²
    assert torch.allclose(s.y - 1, 100 * m.y / mean_b2)  # 1 barn = 100 fm²
    assert torch.allclose(s.err, 100 * m.err / mean_b2)
    assert s.quantity == "sq" and s.meta["converted_from"] == "iq"
    assert -0.95 < (s.y[s.x < 0.5] - 1).mean().item() < -0.8  # glass: S(Q → 0) small
    assert (s.y[s.x > 40] - 1).abs().mean().item() < 0.01  # S → 1
    f = convert(s, "fq")
    assert torch.allclose(f.y, s.x * (s.y - 1)) and f.meta["y_unit"] == "1/Å"
    back = convert(convert(f, "sq"), "iq", composition={14: 1 / 3, 8: 2 / 3})
    assert torch.allclose(back.y, m.y, atol=1e-12)
    with pytest.raises(InputError, match="composition"):
        convert(m, "sq")
    with pytest.raises(InputError, match="cannot convert"):
        convert(m, "gr")


def test_water_d2o_with_isotopes():
    m = read_mint01(data_path("water_ice/water_SANDALS_SLS18502-D2O.mint01"))
    s = convert(m, "sq", composition={"H": 2, "O": 1}, isotopes={"H": "D"})
    assert 0.0 < s.y[(s.x > 0.3) & (s.x < 0.6)].mean().item() < 0.2  # low-Q plateau of liquid D2O
    assert (s.y[s.x > 30] - 1).abs().mean().item() < 0.05
    natural = convert(m, "sq", composition={"H": 2, "O": 1})  # wrong isotope: ⟨b⟩² tiny, absurd S(Q)
    assert natural.y.abs().max() > 20


def test_xray_iq_conversion_uses_form_factors_at_s():
    q = torch.linspace(0.5, 10, 20, dtype=torch.float64)
    spec = MeasuredSpectrum(q, torch.full_like(q, 1.2), None, "sq", "1/Å", None, {"radiation": "xray"})
    iq = convert(spec, "iq", composition={"Si": 1, "O": 2}, radiation="xray")
    f = xray_form_factors([14, 8], q)
    assert torch.allclose(iq.y, 0.2 * ((f[0] + 2 * f[1]) / 3) ** 2)
    assert iq.meta["y_unit"] == "electrons^2/atom"


# -------------------------------------------------------------------- text / CSV
def test_read_columns_on_the_shared_files():
    laaziri = read_columns(data_path("a-Si/rosset2024_fig5_Sq_Laaziri_digitized.csv"), "sq")
    assert laaziri.x.shape == (366,) and laaziri.quantity == "sq"
    assert laaziri.x[0].item() == pytest.approx(0.1393, abs=1e-4) and laaziri.x[-1].item() < 30.0
    crn = read_columns(data_path("a-Si/rosset2024_fig5_Sq_model_CRN.csv"), "sq", swap=True)
    assert crn.x[0].item() == 1.0 and crn.x[-1].item() == pytest.approx(29.9)
    assert crn.y[0].item() == pytest.approx(-0.45674333)
    naive = read_columns(data_path("a-Si/rosset2024_fig5_Sq_model_CRN.csv"), "sq")
    assert naive.x[0].item() < 0  # the unswapped read is visibly wrong (negative Q)
    nak = read_columns(data_path("a-Si/rosset2024_fig2_gr_Nakhmanson_digitized.csv"), "gr")
    assert nak.meta.get("sorted_by_x") and bool((torch.diff(nak.x) >= 0).all())
    water = read_columns(data_path("water_ice/water_xray_FQ_PCCPfofq.txt"), "fq")  # tab + trailing blanks
    assert water.x.shape == (214,) and water.y[0].item() == pytest.approx(-0.92244)
    soper = read_columns(data_path("water_ice/water_soper2013_partial_gr.txt"), "gr", columns=(0, 5), err_column=6)
    assert soper.err is not None and soper.x[-1].item() == pytest.approx(24.99)
    assert any("Soper 2013" in c for c in soper.meta["comments"])


def test_units_are_converted(tmp_path):
    p = tmp_path / "sq_nm.csv"
    p.write_text("# Q [1/nm], S\n10, 0.5\n20,1.1\n30 ,1.0\n")
    s = read_columns(p, "S(Q)", x_unit="1/nm")
    assert torch.allclose(s.x, torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)) and s.x_unit == "1/Å"
    p = tmp_path / "gr_nm.txt"
    p.write_text("0.1\t0.0\n0.25\t2.0\n0.5\t1.0\n")
    g = read_columns(p, "gr", x_unit="nm")
    assert torch.allclose(g.x, torch.tensor([1.0, 2.5, 5.0], dtype=torch.float64)) and g.x_unit == "Å"
    a = read_columns(p, "adf", x_unit="rad")
    assert a.x[-1].item() == pytest.approx(0.5 * 180 / math.pi)
    assert normalize_quantity("G(r)") == "Gr" and normalize_quantity("g(r)") == "gr"


def test_to_grid_interpolates_and_refuses_to_extrapolate(tmp_path):
    p = tmp_path / "line.csv"
    p.write_text("1,3\n2,5\n2,7\n4,9\n")  # duplicate x = 2 is averaged to 6
    s = read_columns(p, "fq")
    g = to_grid(s, torch.tensor([1.0, 1.5, 2.0, 3.0, 4.0]))
    assert torch.allclose(g.y, torch.tensor([3.0, 4.5, 6.0, 7.5, 9.0], dtype=torch.float64))
    with pytest.raises(InputError, match="extrapolate") as exc:
        to_grid(s, torch.tensor([0.5, 2.0]))
    assert "line.csv" in str(exc.value)
    with pytest.raises(InputError, match="extrapolate"):
        to_grid(s, [4.5])
    m = read_mint01(data_path(NIMROD))
    mg = to_grid(m, torch.arange(1.0, 20.0, 0.1))
    assert mg.err is not None and mg.x.shape == mg.y.shape == mg.err.shape


# --------------------------------------------------------------------- bad input
BAD_FILES = {
    "empty": ("", "no data rows"),
    "comments_only": ("# nothing\n#\n", "no data rows"),
    "non_numeric": ("1, 2\n2, 3\n3, abc\n", "line 3"),
    "one_column": ("1\n2\n3\n", "only one column"),
    "nan": ("1, 2\n2, nan\n", "line 2"),
    "ragged": ("1 2\n2 3 4\n", "line 2"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_files_give_one_line_errors_naming_the_file(tmp_path, name):
    text, match = BAD_FILES[name]
    p = tmp_path / f"{name}.csv"
    p.write_text(text)
    for reader in (lambda: read_columns(p, "sq"), lambda: read_mint01(p)):
        with pytest.raises(InputError, match=match) as exc:
            reader()
        msg = str(exc.value)
        assert f"{name}.csv" in msg and "\n" not in msg


def test_bad_arguments(tmp_path):
    with pytest.raises(InputError, match="no such file") as exc:
        read_columns(tmp_path / "missing.csv", "sq")
    assert "missing.csv" in str(exc.value)
    with pytest.raises(InputError, match="no such file"):
        read_mint01(tmp_path / "missing.mint01")
    with pytest.raises(InputError, match="directory"):
        read_columns(tmp_path, "sq")
    p = tmp_path / "ok.csv"
    p.write_text("1,2,3,4\n2,3,4,5\n")
    with pytest.raises(InputError, match="unknown quantity") as exc:
        read_columns(p, "xyz")
    assert "ok.csv" in str(exc.value)
    with pytest.raises(InputError, match="unknown unit"):
        read_columns(p, "sq", x_unit="furlong")
    with pytest.raises(InputError, match="unit of r"):
        read_columns(p, "sq", x_unit="nm")
    with pytest.raises(InputError, match="column"):
        read_columns(p, "sq", columns=(0, 7))
    with pytest.raises(InputError, match="4 columns"):
        read_mint01(p)
    with pytest.raises(InputError, match="after trimming"):
        read_mint01(data_path(NIMROD), qmin=60.0)
    with pytest.raises(InputError, match="unknown element"):
        convert(read_mint01(data_path(NIMROD)), "sq", composition={"Qq": 1})


def test_read_spectrum_dispatches_and_unpacks(tmp_path):
    x, y = read_spectrum(data_path("a-Si/rosset2024_fig5_Sq_Laaziri_digitized.csv"), "sq-xray")
    assert x.shape == y.shape == (366,)
    s = read_spectrum(data_path(NIMROD), "fq-neutron", composition={"Si": 1, "O": 2}, qmax=20.0)
    assert s.quantity == "fq" and s.x[-1].item() <= 20.0
    with pytest.raises(InputError, match="composition") as exc:
        read_spectrum(data_path(NIMROD), "sq-neutron")
    assert "SiO2_NIMROD.mint01" in str(exc.value)
    with pytest.raises(InputError, match="neutron"):
        read_spectrum(data_path(NIMROD), "sq-xray", composition={"Si": 1, "O": 2})
    with pytest.raises(InputError, match="no such file"):
        read_spectrum(tmp_path / "nothing.csv", "gr")


def test_spectrum_window_is_inclusive():
    x = torch.arange(0.0, 25.0, 0.5, dtype=torch.float64)
    spectrum = MeasuredSpectrum(x, 2 * x, None, "sq", "1/Å", None)
    xs, ys = spectrum_window(spectrum, 1.0, 20.0)
    assert float(xs[0]) == 1.0 and float(xs[-1]) == 20.0
    assert torch.equal(ys, 2 * xs)
