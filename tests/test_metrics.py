"""Agreement metrics and error-versus-diversity on synthetic curves with known values."""

from __future__ import annotations

import math

import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.analysis.metrics import (
    ASYMPTOTES,
    error_diversity,
    error_diversity_table,
    r_factor,
    rank_correlation,
    rmse,
    signal_scale,
    spectral_diversity,
    spectral_error,
)

K = 200
ALT = torch.tensor([1.0, -1.0], dtype=torch.float64).repeat(K // 2)  # RMS 1, mean 0
BASE = 1.0 + 0.5 * ALT  # a "g(r)": asymptote 1, RMS structure 0.5


def test_rmse_and_r_factor_known_values():
    ref = torch.full((K,), 2.0, dtype=torch.float64)
    assert float(rmse(ref + 0.3 * ALT, ref)) == pytest.approx(0.3)
    assert float(r_factor(ref + 0.3 * ALT, ref)) == pytest.approx(0.15)
    batch = torch.stack([ref, ref + 1.0])
    assert torch.allclose(rmse(batch, ref), torch.tensor([0.0, 1.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="different grids"):
        rmse(ref, ref[:-1])


def test_rank_correlation_known_values_exact_at_thresholds():
    assert rank_correlation([0.9, 0.5, 0.1, 0.0], [0.5, 0.3, 0.2, 0.1]) == 1.0
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    # one swapped neighbour pair of four: 1 - 6*2/60 = 0.8 exactly (scipy gives 0.7999999999999999)
    assert rank_correlation([0.03, 0.05, 0.17, 0.18], [0.06, 0.09, 0.16, 0.15]) >= 0.8
    assert rank_correlation([1, 2, 3, 4, 5], [1, 2, 3, 5, 4]) == 0.9  # 1 - 6*2/120
    assert rank_correlation([0.7, 0.4, 0.0, 0.0], [0.3, 0.2, 0.1, 0.1]) == 1.0  # ties: average ranks
    assert math.isnan(rank_correlation([1, 2, 3, 4], [0, 0, 0, 0]))
    assert math.isnan(rank_correlation([1.0], [2.0]))
    assert math.isnan(rank_correlation([0.1, 0.4], [0.0, 0.2], min_points=3))  # a study asking for three points
    with pytest.raises(InputError, match="equal length"):
        rank_correlation([1, 2, 3], [1, 2])


def test_error_diversity_exact_values():
    delta, eps = 0.04, 0.03
    reference = torch.stack([BASE + delta * ALT, BASE - delta * ALT])  # mean = BASE
    generated = torch.stack([BASE + eps, BASE - eps, BASE + 2 * eps * ALT])
    assert torch.allclose(spectral_error(generated, reference), torch.tensor([eps, eps, 2 * eps], dtype=torch.float64))
    # leave-one-out: each replica against the other one, 2δ apart; in-sample: δ from the mean
    assert torch.allclose(spectral_diversity(reference), torch.full((2,), 2 * delta, dtype=torch.float64))
    assert torch.allclose(spectral_diversity(reference, leave_one_out=False), torch.full((2,), delta, dtype=torch.float64))
    assert float(signal_scale(reference, 1.0)) == pytest.approx(0.5)
    assert float(signal_scale(reference)) == pytest.approx(0.5)  # grid mean of BASE is 1 as well
    ed = error_diversity(generated, reference, asymptote=1.0)
    e, d = 4 * eps / 3, 2 * delta
    assert ed.error == pytest.approx(e) and ed.diversity == pytest.approx(d)
    assert ed.delta_ed == pytest.approx(e - d) and ed.delta_ed_normalized == pytest.approx((e - d) / 0.5)
    assert ed.error_normalized == pytest.approx(e / 0.5) and ed.diversity_normalized == pytest.approx(d / 0.5)
    assert ed.error_over_diversity == pytest.approx(e / d)
    assert (ed.n_generated, ed.n_reference) == (3, 2)
    in_sample = error_diversity(generated, reference, asymptote=1.0, leave_one_out=False)
    assert in_sample.diversity == pytest.approx(delta)


def test_normalisation_makes_modalities_comparable():
    """The same relative error on a g(r) and on a 10× larger F(Q) gives the same normalised numbers."""
    reference = torch.stack([BASE + 0.04 * ALT, BASE - 0.04 * ALT, BASE])
    generated = (BASE + 0.02)[None]
    fq_ref, fq_gen = 10 * (reference - 1.0), 10 * (generated - 1.0)
    table = error_diversity_table({"gr": generated, "fq-xray": fq_gen, "adf": generated},
                                  {"gr": reference, "fq-xray": fq_ref})
    assert set(table) == {"gr", "fq-xray"}
    gr, fq = table["gr"], table["fq-xray"]
    assert fq["error"] == pytest.approx(10 * gr["error"]) and fq["scale"] == pytest.approx(10 * gr["scale"])
    for key in ("error_normalized", "diversity_normalized", "delta_ed_normalized", "error_over_diversity"):
        assert fq[key] == pytest.approx(gr[key])
    assert ASYMPTOTES["gr"] == 1.0 and ASYMPTOTES["fq-xray"] == 0.0


def test_sampling_the_reference_distribution_gives_delta_ed_near_zero():
    """Replicas and generated curves drawn from one distribution: E ≈ D with leave-one-out,
    while the in-sample diversity is too small by sqrt((R − 1)/(R + 1))."""
    gen = torch.Generator().manual_seed(0)
    sigma, n_ref, n_gen, k = 0.1, 4, 400, 2000
    draw = lambda n: BASE.repeat(k // K)[None] + sigma * torch.randn(n, k, generator=gen, dtype=torch.float64)  # noqa: E731
    reference, generated = draw(n_ref), draw(n_gen)
    loo = error_diversity(generated, reference)
    ins = error_diversity(generated, reference, leave_one_out=False)
    assert loo.error == pytest.approx(sigma * math.sqrt(1 + 1 / n_ref), rel=0.02)
    assert loo.diversity == pytest.approx(sigma * math.sqrt(1 + 1 / (n_ref - 1)), rel=0.03)
    assert abs(loo.error_over_diversity - 1) < 0.06
    assert ins.error_over_diversity > 1.2


def test_bad_inputs_raise_input_error():
    ref = torch.stack([BASE, BASE + 0.1])
    with pytest.raises(InputError, match="at least 2"):
        spectral_diversity(BASE)
    with pytest.raises(InputError, match="different grids"):
        spectral_error(BASE[:-1], ref)
    with pytest.raises(InputError, match="non-finite"):
        error_diversity(BASE * float("nan"), ref)
    with pytest.raises(InputError, match="no modality"):
        error_diversity_table({"gr": BASE}, {"sq-xray": ref})
