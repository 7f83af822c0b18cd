"""glasslib.studies.spectra_validation: the Q-scale fit, the peak helpers, the measured readers
and the profile table (the whole study runs in tests/test_notebooks.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from glasslib.analysis import r_factor
from glasslib.core.errors import InputError
from glasslib.spectra import MeasuredSpectrum
from glasslib.studies import select_profile
from glasslib.studies import spectra_validation as study


def test_select_profile_names_the_choices():
    assert select_profile(study.PROFILES, "smoke") is study.PROFILES["smoke"]
    with pytest.raises(InputError, match="default.*paper.*smoke.*'fast'"):
        select_profile(study.PROFILES, "fast")


def test_profiles_share_their_keys():
    keys = {name: set(p) for name, p in study.PROFILES.items()}
    assert set(keys) == {"smoke", "default", "paper"}
    assert keys["smoke"] == keys["default"] == keys["paper"]


def _damped(q):
    return torch.sin(2.2 * q) * torch.exp(-0.05 * q)


def test_fit_q_scale_recovers_a_known_dilation():
    # a model stretched by 2 % in r has F_calc(Q) = F_exp(Q / 0.98): the fit must return α = 0.98
    q = torch.linspace(0.5, 20.0, 2000, dtype=torch.float64)
    f_exp = _damped(q)
    f_calc = _damped(q / 0.98)
    alpha, r = study.fit_q_scale(q, f_calc, f_exp)
    assert alpha == pytest.approx(0.98, abs=1e-3)
    assert r < 0.01
    assert float(r_factor(f_calc, f_exp)) > 10 * r  # the unscaled misfit is much larger


def test_rescale_q_identity_and_shift():
    q = torch.linspace(0.0, 10.0, 101, dtype=torch.float64)
    f = q**2
    assert torch.allclose(study.rescale_q(q, f, 1.0), f)
    inside = q * 0.9 <= q.max()
    assert torch.allclose(study.rescale_q(q, f, 0.9)[inside], (0.9 * q[inside]) ** 2, atol=0.02)


def test_peak_position_respects_the_window():
    r = torch.arange(0.01, 8.0, 0.01, dtype=torch.float64)
    g = torch.exp(-((r - 2.35) ** 2) / 0.01) + 2.0 * torch.exp(-((r - 5.0) ** 2) / 0.01)
    assert study.peak_position(r, g) == pytest.approx(5.0, abs=1e-9)
    assert study.peak_position(r, g, 2.0, 3.8) == pytest.approx(2.35, abs=1e-9)
    assert study.peak_position(r, g, r_max=3.0) == pytest.approx(2.35, abs=1e-9)


def test_spectrum_window_is_inclusive():
    x = torch.arange(0.0, 25.0, 0.5, dtype=torch.float64)
    spectrum = MeasuredSpectrum(x, 2 * x, None, "sq", "1/Å", None)
    xs, ys = study.spectrum_window(spectrum, 1.0, 20.0)
    assert float(xs[0]) == 1.0 and float(xs[-1]) == 20.0
    assert torch.equal(ys, 2 * xs)


def test_measured_spectra_have_their_physical_limits():
    # Laaziri a-Si S(Q): first peak near 2.0 1/Å, S -> 1 at high Q
    sq = study.measured_asi_sq()
    low = (sq.x > 1.0) & (sq.x < 3.0)
    assert 1.8 < float(sq.x[low][sq.y[low].argmax()]) < 2.2
    assert abs(float(sq.y[sq.x > 15.0].mean()) - 1.0) < 0.05
    # NIMROD SiO2 F(Q) = Q[S - 1] on 0.5-20 1/A, oscillating about zero
    fq = study.measured_sio2_fq()
    assert 0.5 <= float(fq.x.min()) and float(fq.x.max()) <= 20.0
    assert abs(float(fq.y[fq.x > 10.0].mean())) < 0.3
    assert math.isfinite(float(fq.y.abs().max()))


def test_silicon_xray_sq_record():
    res = study.silicon_xray_sq(8.0, "histogram")
    assert set(res.record) == {"mass_density", "cutoff_A", "r_factor_S_minus_1", "r_factor_FQ"}
    assert res.record["mass_density"] == pytest.approx(2.50, abs=0.01)
    assert res.q.shape == res.s_calc.shape
    assert float(res.q.min()) >= 1.0 and float(res.q.max()) <= 20.0
    assert 0.0 < res.record["r_factor_S_minus_1"] < 1.0
    assert np.isfinite(res.s_calc.numpy()).all()
