"""The measured and reference data the studies share: each reader gives its data's physical limits."""

from __future__ import annotations

import math

from glasslib.studies import reference_data


def test_measured_spectra_have_their_physical_limits():
    # Laaziri a-Si S(Q): first peak near 2.0 1/Å, S -> 1 at high Q
    sq = reference_data.measured_asi_sq()
    low = (sq.x > 1.0) & (sq.x < 3.0)
    assert 1.8 < float(sq.x[low][sq.y[low].argmax()]) < 2.2
    assert abs(float(sq.y[sq.x > 15.0].mean()) - 1.0) < 0.05
    # NIMROD SiO2 F(Q) = Q[S - 1] on 0.5-20 1/A, oscillating about zero
    fq = reference_data.measured_sio2_fq()
    assert 0.5 <= float(fq.x.min()) and float(fq.x.max()) <= 20.0
    assert abs(float(fq.y[fq.x > 10.0].mean())) < 0.3
    assert math.isfinite(float(fq.y.abs().max()))
