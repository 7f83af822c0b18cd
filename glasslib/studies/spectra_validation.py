"""Study 00: computed spectra of shared reference structures against measurements.

Three comparisons, each a function that returns its curves and a JSON-ready ``record``:

* :func:`sio2_neutron_fq`: neutron F(Q) of the DM² BKS-type SiO₂ glasses against NIMROD, with
  a one-parameter Q-scale fit (:func:`fit_q_scale`) that separates a dilated model from an
  operator error;
* :func:`carbon_gr_by_density`: g(r) of the LLNL a-C structures grouped by density, checked
  against OVITO (no measured a-C PDF exists in ``data/``), with coordination and first peak;
* :func:`silicon_xray_sq`: X-ray S(Q) of the 216-atom GLASS/EPSR a-Si snapshot against the
  digitized Laaziri et al. (1999) S(Q).

Agreement numbers are Wright's R-factor R_χ = sqrt(Σ(y_calc − y_exp)² / Σ y_exp²)
(:func:`glasslib.analysis.r_factor`). :func:`plot_spectra_validation` draws the figure.

The measured and reference data come from :mod:`glasslib.studies.reference_data`. Units: Å, Å⁻¹, g/cm³.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from glasslib.analysis import coordination_rdf, r_factor
from glasslib.core.paths import data_dir, data_path
from glasslib.core.structures import read_structures
from glasslib.plotting import label_panel
from glasslib.spectra import MeasuredSpectrum, pair_distribution, running_coordination, structure_factor
from glasslib.spectra.measured import spectrum_window
from glasslib.spectra.rdf import mean_partial, peak_position
from glasslib.studies.reference_data import measured_asi_sq, measured_sio2_fq, read_llnl_carbon

PROFILES = {
    # n_sio2: DM² glasses used; q_stride: every k-th measured Q point; method: Debye route;
    # asi_cutoff: Debye-sum cutoff for the a-Si snapshot (Å); ac_sets: LLNL a-C subsets read
    "smoke": dict(n_sio2=2, q_stride=4, method="histogram", asi_cutoff=12.0, ac_sets=("test",)),
    "default": dict(n_sio2=8, q_stride=1, method="histogram", asi_cutoff=16.0, ac_sets=("train", "test")),
    "paper": dict(n_sio2=8, q_stride=1, method="pairs", asi_cutoff=16.0, ac_sets=("train", "test")),
}

AC_CN_CUTOFF = 1.85  # Å, first minimum of g(r) in a-C
AC_R_MAX, AC_N_BINS = 5.0, 250  # histogram compared with OVITO: bins of 0.02 Å to 5 Å


def rescale_q(q: torch.Tensor, f: torch.Tensor, alpha: float) -> torch.Tensor:
    """f(αQ) on the grid q (both (n_q,)), by linear interpolation (float64, CPU)."""
    q_np = q.detach().cpu().numpy()
    return torch.as_tensor(np.interp(alpha * q_np, q_np, f.detach().cpu().numpy()))


def fit_q_scale(q: torch.Tensor, f_calc: torch.Tensor, f_exp: torch.Tensor,
                alphas: np.ndarray = np.linspace(0.95, 1.05, 201)) -> tuple[float, float]:
    """One Q-scale factor α minimising R_χ[F_calc(αQ), F_exp(Q)] over the grid ``alphas``.

    Only the points with αQ ≤ max(Q) are compared. A model whose bonds are a fraction ε too
    long has its peaks at Q/(1 + ε), so α ≈ 1/(1 + ε) < 1. Returns ``(alpha, r_factor)``.
    """
    q, f_exp = q.cpu(), f_exp.cpu()
    scores = []
    for alpha in alphas:
        inside = q * alpha <= q.max()
        scores.append(float(r_factor(rescale_q(q, f_calc, alpha)[inside], f_exp[inside])))
    best = int(np.argmin(scores))
    return float(alphas[best]), float(scores[best])


@dataclass(frozen=True)
class SiO2Comparison:
    """Panel (a): F(Q) (Å⁻¹) of the glasses against NIMROD.

    ``measured``: the whole NIMROD F(Q); ``q`` (n_q,) the compared points; ``fq_exp``,
    ``fq_calc`` (n_q,) measured and model (mean over glasses); ``fq_rescaled`` (n_q,) the
    model at αQ; ``record``: the numbers of the JSON summary.
    """

    measured: MeasuredSpectrum
    q: torch.Tensor
    fq_exp: torch.Tensor
    fq_calc: torch.Tensor
    fq_rescaled: torch.Tensor
    n_glasses: int
    record: dict


def sio2_neutron_fq(n_glasses: int, q_stride: int, method: str, *, device="cpu") -> SiO2Comparison:
    """Neutron F(Q) of the first ``n_glasses`` DM² BKS-type glasses against NIMROD.

    The model F(Q) is the periodic Debye sum (``method``) over pairs and images within 15 Å with
    a Lorch window, averaged over the glasses, on every ``q_stride``-th measured Q point. The
    record holds R_χ of F(Q) over 0.5–20 Å⁻¹, R_χ of S(Q) − 1 over 0.5–10 Å⁻¹ (where the model's
    bond-length error matters least), the Q-scale fit (:func:`fit_q_scale`) and the Si–O peak
    of the model's g_SiO(r) (σ = 0.01 Å).
    """
    files = sorted((data_dir() / "SiO2" / "dm2_bks_glass").glob("*.dat"))[:n_glasses]
    glass = read_structures(files, species_map={1: "O", 2: "Si"}, device=device)
    measured = measured_sio2_fq()
    q = measured.x[::q_stride].to(device)
    fq_exp = measured.y[::q_stride].to(device)
    sf = structure_factor(glass, q, radiation="neutron", cutoff=15.0, window="lorch", method=method)
    fq_calc = sf.f.mean(0)
    low = q <= 10.0
    alpha, r_scaled = fit_q_scale(q, fq_calc, fq_exp)

    r_fine = torch.arange(0.005, 4.0, 0.005, dtype=glass.dtype, device=device)
    pd = pair_distribution(glass, r_fine, sigma=0.01)
    record = dict(
        n_glasses=len(files), mass_density=[round(float(d), 4) for d in glass.mass_density],
        r_factor_FQ=float(r_factor(fq_calc, fq_exp)),
        r_factor_S_minus_1_Q_le_10=float(r_factor((fq_calc / q)[low], (fq_exp / q)[low])),
        q_scale_alpha=alpha, r_factor_FQ_rescaled=r_scaled,
        r_SiO_peak_A=peak_position(r_fine, mean_partial(pd, 14, 8)),
    )
    return SiO2Comparison(measured, q, fq_exp, fq_calc, rescale_q(q, fq_calc, alpha), len(files), record)


# ------------------------------------------------------------------ (b, d) a-C g(r) by density
@dataclass(frozen=True)
class CarbonGr:
    """Panels (b, d): a-C g(r) by density.

    ``r`` (n_r,) Å; ``g_by_density`` (n_levels, n_r) mean smoothed g(r) (σ = 0.03 Å) of each
    density level (densities rounded to 0.1 g/cm³), in the order of ``record["by_density"]``.
    """

    r: torch.Tensor
    g_by_density: torch.Tensor
    record: dict


def carbon_gr_by_density(sets: tuple[str, ...], *, device="cpu") -> CarbonGr:
    """g(r) of the LLNL a-C structures of ``sets`` (``train``/``test``), checked against OVITO.

    The agreement number is max |g_glasslib − g_OVITO| on OVITO's bins (plain histogram,
    σ = 0, 0.02 Å to 5 Å). Per density level: mean coordination within 1.85 Å (from the
    running coordination of the σ = 0 histogram) with its standard deviation across the
    structures, and the first peak of the smoothed g(r).
    """
    ac = read_llnl_carbon(sets, device=device)
    density = ac.mass_density.cpu().numpy()
    levels = np.round(density, 1)
    dr = AC_R_MAX / AC_N_BINS
    r_bins = (torch.arange(AC_N_BINS, dtype=ac.dtype, device=device) + 0.5) * dr
    pd = pair_distribution(ac, r_bins, sigma=0.0)
    _, ovito_curves = coordination_rdf(ac, AC_R_MAX, AC_N_BINS)
    ovito_g = torch.as_tensor(np.stack([c["total"] for c in ovito_curves]), dtype=ac.dtype)
    max_dev = float((pd.g.cpu() - ovito_g).abs().max())

    r = torch.arange(0.002, 5.0, 0.002, dtype=ac.dtype, device=device)
    g_smooth = pair_distribution(ac, r, sigma=0.03).g
    cn = running_coordination(pd)[1][:, int(AC_CN_CUTOFF / dr)].cpu().numpy()
    table, curves = [], []
    for level in sorted(set(levels)):
        m = levels == level
        g_mean = g_smooth[torch.as_tensor(m)].mean(0)
        curves.append(g_mean)
        table.append(dict(density=float(density[m].mean()), n=int(m.sum()), coordination=float(cn[m].mean()),
                          coordination_std=float(cn[m].std()), first_peak_A=float(r[g_mean.argmax()])))
    record = dict(n_structures=ac.n_systems, max_abs_dev_vs_ovito=max_dev, by_density=table)
    return CarbonGr(r, torch.stack(curves), record)


# ------------------------------------------------------------------ (c) a-Si X-ray S(Q)
@dataclass(frozen=True)
class SiliconSq:
    """Panel (c): ``measured`` Laaziri S(Q); ``q`` (n_q,) Å⁻¹ the compared points (1–20 Å⁻¹);
    ``s_calc`` (n_q,) the snapshot's S(Q); ``record``: the JSON numbers."""

    measured: MeasuredSpectrum
    q: torch.Tensor
    s_calc: torch.Tensor
    record: dict


def silicon_xray_sq(cutoff: float, method: str, *, device="cpu") -> SiliconSq:
    """X-ray S(Q) of the 216-atom GLASS/EPSR a-Si snapshot (2.50 g/cm³) against Laaziri.

    Periodic Debye sum to ``cutoff`` (Å; beyond half the 15.9 Å box, images included) with a
    Lorch window. For one element the Faber–Ziman S(Q) does not depend on f(Q). The record holds
    R_χ of S(Q) − 1 and of F(Q) = Q[S(Q) − 1] over 1–20 Å⁻¹.
    """
    asi = read_structures(data_path("a-Si/glass-epsr_Si_2.5_00.xyz"), device=device)
    measured = measured_asi_sq()
    q, s_exp = (t.to(device) for t in spectrum_window(measured, 1.0, 20.0))
    s_calc = structure_factor(asi, q, radiation="xray", cutoff=cutoff, window="lorch", method=method).s[0]
    record = dict(mass_density=float(asi.mass_density[0]), cutoff_A=cutoff,
                  r_factor_S_minus_1=float(r_factor(s_calc - 1.0, s_exp - 1.0)),
                  r_factor_FQ=float(r_factor(q * (s_calc - 1.0), q * (s_exp - 1.0))))
    return SiliconSq(measured, q, s_calc, record)


# ------------------------------------------------------------------ figure
def plot_spectra_validation(sio2: SiO2Comparison, carbon: CarbonGr, silicon: SiliconSq):
    """The 2×2 figure: (a) SiO₂ F(Q), (b) a-C g(r) by density, (c) a-Si S(Q), (d) a-C
    coordination and first peak against density. Returns the matplotlib figure."""
    import matplotlib.pyplot as plt


    fig, axes = plt.subplots(2, 2, figsize=(10, 7))
    rec = sio2.record
    ax = axes[0, 0]
    ax.plot(sio2.measured.x, sio2.measured.y, color="k", lw=1.2, label="NIMROD (measured)")
    ax.plot(sio2.q.cpu(), sio2.fq_calc.detach().cpu(), color="C3", lw=1.0,
            label=f"DM² BKS glasses ×{sio2.n_glasses} (glasslib)")
    ax.plot(sio2.q.cpu(), sio2.fq_rescaled, color="C3", lw=0.8, ls=":",
            label=f"same, Q scaled by α = {rec['q_scale_alpha']:.3f}")
    ax.set_xlabel("Q (Å$^{-1}$)"); ax.set_ylabel("F(Q) = Q[S(Q) − 1] (Å$^{-1}$)")
    ax.set_xlim(0, 20); ax.set_ylim(-2.6, 5.2); ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.93))
    label_panel(ax, "a", f"SiO₂ neutron: R(F) = {rec['r_factor_FQ']:.2f}, R(S−1, Q≤10) = "
                f"{rec['r_factor_S_minus_1_Q_le_10']:.2f}; α = {rec['q_scale_alpha']:.3f} → R(F) = "
                f"{rec['r_factor_FQ_rescaled']:.2f}")

    table = carbon.record["by_density"]
    ax = axes[0, 1]
    for k, (row, g) in enumerate(zip(table, carbon.g_by_density)):
        ax.plot(carbon.r.cpu(), g.cpu() + 2.0 * k, lw=1.0, label=f"{row['density']:.2f} g/cm³")
    ax.set_xlabel("r (Å)"); ax.set_ylabel("g(r) (offset by 2)")
    ax.set_ylim(top=2.0 * len(table) + 6.5)
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.93), title="LLNL a-C (simulated)", ncols=2)
    label_panel(ax, "b", f"a-C: no measured PDF; max |Δg| vs OVITO = {carbon.record['max_abs_dev_vs_ovito']:.0e}")

    ax = axes[1, 0]
    ax.plot(silicon.measured.x, silicon.measured.y, color="k", lw=1.0, label="Laaziri 1999 (measured, digitized)")
    ax.plot(silicon.q.cpu(), silicon.s_calc.detach().cpu(), color="C0", lw=1.0, label="216-atom snapshot (glasslib)")
    ax.set_xlabel("Q (Å$^{-1}$)"); ax.set_ylabel("S(Q)"); ax.set_xlim(0, 20); ax.set_ylim(top=2.6)
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.93))  # below the panel label
    label_panel(ax, "c", f"a-Si X-ray: R(S−1) = {silicon.record['r_factor_S_minus_1']:.2f}")

    ax = axes[1, 1]
    dens = [row["density"] for row in table]
    ax.errorbar(dens, [row["coordination"] for row in table], yerr=[row["coordination_std"] for row in table],
                marker="o", color="C2", label=f"mean coordination (r < {AC_CN_CUTOFF} Å)")
    ax.set_xlabel("density (g/cm³)"); ax.set_ylabel("coordination", color="C2")
    ax2 = ax.twinx()
    ax2.spines["right"].set_visible(True)
    ax2.plot(dens, [row["first_peak_A"] for row in table], marker="s", color="C4", label="first peak")
    ax2.set_ylabel("first g(r) peak (Å)", color="C4")
    label_panel(ax, "d", "a-C: coordination and bond length vs density")
    fig.tight_layout()
    return fig
