"""glasslib.studies.spectra_validation: the Q-scale fit, the peak helpers, the measured readers
and the profile table (the whole study runs in tests/test_notebooks.py)."""

from __future__ import annotations


import numpy as np
import pytest
import torch

from glasslib.analysis import r_factor
from glasslib.core.errors import InputError
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


def test_silicon_xray_sq_record():
    res = study.silicon_xray_sq(8.0, "histogram")
    assert set(res.record) == {"mass_density", "cutoff_A", "r_factor_S_minus_1", "r_factor_FQ"}
    assert res.record["mass_density"] == pytest.approx(2.50, abs=0.01)
    assert res.q.shape == res.s_calc.shape
    assert float(res.q.min()) >= 1.0 and float(res.q.max()) <= 20.0
    assert 0.0 < res.record["r_factor_S_minus_1"] < 1.0
    assert np.isfinite(res.s_calc.numpy()).all()
