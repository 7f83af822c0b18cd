"""What each notebook's JSON must say in the smoke profile: physically motivated ranges.

``EXPECTED[name]`` lists ``(key path, low, high)``: the value at that path of the JSON summary
(dict keys and list indices, in order) must lie in [low, high]. The ranges are set around the
values observed in the smoke profile with room for float noise, another CPU and, where the
inputs are simulated here (LAMMPS/CHGNet sets in 01, SW replicas and the wall-time-limited RMC
in 02), for a different trajectory; each is narrow enough that a wrong operator, unit or
convention falls outside it. Booleans compare as 0/1.

``check(name, summary)`` returns the failures as one line each (empty: all hold).
"""

from __future__ import annotations

from typing import Any, Sequence

A = "A: GLASS/EPSR a-Si (2.50 g/cm³)"
B = "B: SW a-Si (2.33 g/cm³)"

EXPECTED: dict[str, list[tuple[tuple, float, float]]] = {
    # fixed inputs from data/ only: deterministic up to float noise (observed value in comments)
    "00_spectra_validation": [
        # 0.628: the BKS glasses are ~2 % dilated; a convention error (halved self term, f0 at Q
        # instead of Q/4π, wrong <b>²) changes amplitudes and the low-Q limit and fits far worse
        (("sio2", "r_factor_FQ"), 0.55, 0.70),
        # 0.277: S(Q) - 1 below 10 1/Å, where the bond-length error matters least
        (("sio2", "r_factor_S_minus_1_Q_le_10"), 0.22, 0.34),
        # 0.9795: bonds 1.64 vs 1.61 Å and density 2.14 vs 2.20 g/cm³ shrink Q by 1-3 %
        (("sio2", "q_scale_alpha"), 0.970, 0.990),
        # 0.350: rescaling removes most of the misfit (well below R(F) = 0.63)
        (("sio2", "r_factor_FQ_rescaled"), 0.28, 0.42),
        # 1.64: Si–O bond of the BKS-type model (measured 1.61 Å)
        (("sio2", "r_SiO_peak_A"), 1.60, 1.66),
        # 9e-14: same bins as OVITO, so only rounding may differ
        (("a-C", "max_abs_dev_vs_ovito"), 0.0, 1e-9),
        # 2.70 at 1.50 g/cm³: low-density a-C is mostly sp² (3) with sp (2) chains
        (("a-C", "by_density", 0, "coordination"), 2.6, 2.8),
        # 1.424: the sp² C–C bond (graphite 1.42 Å)
        (("a-C", "by_density", 0, "first_peak_A"), 1.38, 1.47),
        # 3.28 at 2.49 g/cm³: coordination rises with density towards 4 (sp³)
        (("a-C", "by_density", 2, "coordination"), 3.15, 3.40),
        # 0.49: peak positions agree, the dense 216-atom snapshot has lower, broader peaks
        (("a-Si", "r_factor_S_minus_1"), 0.42, 0.56),
    ],
    # sets simulated here (LAMMPS, CHGNet through ASE): trajectories may differ between machines
    "01_training_data": [
        # 2.39: Si–Si bond of SW a-Si (2.35 Å), slightly long in a fast quench with σ = 0.02 Å
        (("a-Si", "first_peak_A"), 2.32, 2.45),
        # 4.30: fast-quenched SW keeps 5-fold defects (real a-Si 3.79–3.88); far from 4 is broken
        (("a-Si", "mean_coordination"), 3.9, 4.6),
        # 112.5: near the tetrahedral 109.5°
        (("a-Si", "adf_peak_deg"), 104.0, 116.0),
        # 1.62: Si–O of the Vashishta potential (measured 1.61–1.62 Å)
        (("SiO2", "r_SiO_A"), 1.58, 1.66),
        # 3.90: tetrahedral Si, a few defects in a 1000 K/ps quench
        (("SiO2", "cn_Si"), 3.7, 4.1),
        # 0.373: Vashishta glass against the NIMROD F(Q)
        (("SiO2", "r_factor_FQ"), 0.25, 0.55),
        # 2.73: Cu–Zr nearest neighbours in Cu50Zr50 glasses (2.7–2.8 Å)
        (("CuZr", "first_peaks_A", "Cu-Zr"), 2.62, 2.85),
        # 2.78: the O–O H-bond distance (Soper 2.79 Å)
        (("water", "first_peak_A"), 2.70, 2.88),
        # the ice builder must obey the ice rules and be all hexagonal ice (CHILL+)
        (("ice", "ice_rules"), 1, 1),
        (("ice", "hexagonal_fraction", 0), 0.95, 1.0),
        # 2.00: CHGNet keeps sulfur two-fold (rings and chains)
        (("sulfur", "mean_coordination"), 1.8, 2.2),
    ],
    # RMC runs for a fixed wall time: its numbers depend on the CPU's speed, hence wider ranges
    "02_rmc_baseline": [
        # from the data file alone: 0.62 four-fold, 19.6° angle spread
        (("references", A, "fourfold_fraction"), 0.60, 0.64),
        (("references", A, "angle_std_deg"), 18.5, 20.5),
        # 0.208: g(r) RMSE between two 216-atom SW replicas (finite-size noise, Δr = 0.05 Å)
        (("sw_replicas", "gr_rmse_between_replicas", 0), 0.12, 0.30),
        # 0.069 / 0.043: RMC fits g(r) below the replica spread (start ≈ 0.5–0.7; 0.085 after 0.5 s)
        (("rmc", 0, "gr_rmse"), 0.02, 0.15),
        (("rmc", 3, "gr_rmse"), 0.015, 0.12),
        # 0.26: RMC from random keeps far fewer four-fold atoms than the reference's 0.62
        (("rmc", 0, "fourfold_fraction"), 0.12, 0.45),
        # 0.28 / 0.19: unphysical angles below 70° (references: 0.02)
        (("rmc", 0, "angle_fraction_below_70"), 0.12, 0.40),
        (("rmc", 3, "angle_fraction_below_70"), 0.08, 0.35),
        # 30°: the fitted bond-angle spread is much broader than the reference's 20°
        (("rmc", 1, "angle_std_deg"), 25.0, 35.0),
    ],
}

# notebook 03 (smoke: 20 sampler steps, 2 structures per ensemble, 1 training structure per density)
EXPECTED["03_glass_asi"] = [
    # SW a-Si references (observed 4.38 / 4.33): SW over-coordinates a-Si (5-fold defects), 4.2-4.5
    (("references", "training set", "coordination_mean"), 4.2, 4.5),
    (("references", "held-out 2.28", "coordination_mean"), 4.2, 4.5),
    # 19.4° / 18.5°: tetrahedral networks spread their angles by 17-22° around 109.5°
    (("references", "training set", "angle_std_deg"), 17.0, 22.0),
    # 0.055: four 216-atom replicas at one density differ by a few hundredths in g(r)
    (("references", "heldout_gr_diversity"), 0.02, 0.12),
    # 0.112: the training set spans 2.1-2.5 g/cm³, so its spread exceeds the held-out diversity
    (("references", "train_gr_spread"), 0.06, 0.2),
    # unconditional samples after 20 steps (observed 4.19 coordination, 25.5° angle std, 0.36
    # g(r) RMSE): bonded and roughly tetrahedral but liquid-like; a broken network, a wrong
    # density or unwrapped positions would leave these ranges
    (("samples", "prior", "coordination_mean"), 3.7, 4.7),
    (("samples", "prior", "angle_std_deg"), 20.0, 30.0),
    (("samples", "prior", "closest_pair_A"), 1.6, 2.6),
    (("samples", "prior", "gr_rmse_vs_train_mean"), 0.2, 0.5),
    # guidance pulls g(r) to the target even in 20 steps (observed E = 0.13 vs 0.38 unguided)
    (("samples", "guided", "gr_error_vs_heldout"), 0.04, 0.22),
    (("samples", "prior", "gr_error_vs_heldout"), 0.25, 0.55),
    # autoguidance changes the samples but keeps them bonded (observed 4.29)
    (("samples", "autoguided", "coordination_mean"), 3.7, 4.7),
]


# notebook 04 (smoke: the a-Si prior only, 10 sampler steps, 1 structure per sampled ensemble,
# one training structure per density, 2 held-out structures); records 0, 1, 2 = training,
# unconditional, guided
SISI = ("pairs", "Si-Si")
EXPECTED["04_priors"] = [
    # the SW training structures (observed 4.38, 19.5°, peak 2.40 Å, closest 2.28 Å = 1.03 × 2 r_cov)
    (("records", 0, "coordination", "Si-Si"), 4.2, 4.5),
    (("records", 0, "angles", "Si-Si-Si", "std_deg"), 17.0, 22.0),
    (("records", 0, *SISI, "first_peak_A"), 2.33, 2.45),
    (("records", 0, "min_closest_over_covalent"), 0.9, 1.1),
    # 0.090 to the mean of all five, 0.112 leave-one-out: densities 2.1-2.5 spread g(r)
    (("records", 0, *SISI, "gr_rmse_to_training_mean"), 0.04, 0.15),
    (("records", 0, *SISI, "training_spread"), 0.06, 0.2),
    # unconditional after 10 steps (observed 4.08, 26.3°, RMSE 0.34, peak 2.45 Å): bonded,
    # liquid-like; a wrong cell (density) or broken sampler leaves these ranges
    (("records", 1, "coordination", "Si-Si"), 3.6, 4.7),
    (("records", 1, "angles", "Si-Si-Si", "std_deg"), 20.0, 32.0),
    (("records", 1, *SISI, "gr_rmse_to_training_mean"), 0.2, 0.5),
    (("records", 1, *SISI, "first_peak_A"), 2.3, 2.6),
    (("records", 1, "density_g_cm3"), 2.29, 2.31),  # the default cell: the training mean, 2.30
    # guided towards the held-out g(r) (observed E 0.199 against D 0.074 after 10 steps; unguided
    # samples sit at about 0.35)
    (("records", 2, "gr_error"), 0.08, 0.3),
    (("records", 2, "density_g_cm3"), 2.27, 2.29),  # the held-out cell, 2.28
]


# notebook 05 (smoke: one held-out Cu-Zr structure with its 64 FEFF absorbers, one held-out a-C
# target structure, 1 structure per ensemble, 60 sampler steps). The surrogates may be retrained:
# their ranges bound the error from above (a better surrogate passes), the baseline is data only.
G = ("guided",)
EXPECTED["05_xas"] = [
    # the mean training spectrum against the 1080 test atoms (0.100): data only, no model
    (("xanes_surrogate", "baseline_mean_spectrum", "per_atom_rmse"), 0.095, 0.105),
    # XANES surrogate on the held-out cells (observed RMSE 0.046, R² 0.78 per atom; 0.010, 0.84
    # per cell): a descriptor or ordering error falls to the baseline (0.10) or below R² 0.5
    (("xanes_surrogate", "per_atom", "rmse"), 0.0, 0.07),
    (("xanes_surrogate", "per_atom", "r2"), 0.6, 1.0),
    (("xanes_surrogate", "structure", "rmse"), 0.0, 0.02),
    # EXAFS surrogate against FEFF on the 64 Cu of the smoke profile's Cu64Zr36 glass (observed
    # per-absorber R² 0.9987, R of the mean 3.9e-4): a wrong phase (2kr) or k-weight gives R of order 1
    (("exafs_surrogate", "absorbers"), 64, 64),
    (("exafs_surrogate", "per_absorber", "r2"), 0.99, 1.0),
    (("exafs_surrogate", "ensemble", "r_factor"), 0.0, 2e-3),
    # the held-out a-C target (observed sp³ 0.241, angle std 7.9° at 2.75 g/cm³): Tersoff a-C
    (G + ("target", "density_g_cm3"), 2.74, 2.76),
    (G + ("target", "sp3_fraction"), 0.18, 0.30),
    (G + ("target", "angle_std_deg"), 6.0, 10.0),
    # unguided in the default cell (observed 2.5 g/cm³, sp³ 0.097, coordination 2.88, angle std
    # 21°, closest 1.24 Å, XANES RMSE to the target 0.070): mostly sp², broader angles than Tersoff
    (G + ("prior", "density_g_cm3"), 2.49, 2.51),
    (G + ("prior", "sp3_fraction"), 0.04, 0.18),
    (G + ("prior", "coordination_mean"), 2.6, 3.3),
    (G + ("prior", "angle_std_deg"), 15.0, 26.0),
    (G + ("prior", "closest_pair_A"), 1.05, 1.45),
    (G + ("prior", "xanes_rmse_to_target"), 0.04, 0.12),
    # guided, same cell and seed (observed RMSE 0.059, ratio 0.85, sp³ 0.144, closest 1.19 Å):
    # lower misfit, carbon still bonded; guidance with the wrong sign raises the ratio above 1
    (G + ("guided", "density_g_cm3"), 2.49, 2.51),
    (G + ("guided", "xanes_rmse_to_target"), 0.03, 0.08),
    (G + ("guided_over_prior_xanes_rmse",), 0.3, 1.0),
    (G + ("guided", "sp3_fraction"), 0.06, 0.26),
    (G + ("guided", "coordination_mean"), 2.6, 3.3),
    (G + ("guided", "closest_pair_A"), 1.05, 1.45),
    # unguided in the target's cell (observed 2.75 g/cm³, sp³ 0.153)
    (G + ("prior at target density", "density_g_cm3"), 2.74, 2.76),
    (G + ("prior at target density", "sp3_fraction"), 0.06, 0.26),
]

# notebook 06 (smoke: 1 structure per ensemble, 10 sampler steps; a-Si 64, SiO2 96, water 96 atoms;
# RMC runs for GLASS's wall time, so its numbers depend on the machine and get wide ranges)
M = ("cases",)
EXPECTED["06_measured_data"] = [
    # the measured targets as read (data only): Laaziri S(Q) on Q ≥ 1 Å⁻¹ (318 points); NIMROD F(Q)
    # from -1.71 to 3.24 (a wrong <b>² or self term rescales it); SANDALS D2O with H→D: S(Q) within
    # [0.04, 1.86] (natural H instead of D gives a curve running to ±100)
    (M + ("a-Si", "points"), 318, 318),
    (M + ("a-Si", "q_window", 0), 1.0, 1.1),
    (M + ("SiO2", "target_range", 0), -1.8, -1.6),
    (M + ("SiO2", "target_range", 1), 3.1, 3.4),
    (M + ("water", "target_range", 0), 0.0, 0.1),
    (M + ("water", "target_range", 1), 1.8, 1.95),
    # a-Si (observed R: prior 0.26, GLASS 0.12, RMC 0.10; GLASS coordination 4.03, closest 1.73 Å)
    (M + ("a-Si", "ensembles", "prior", "r_factor"), 0.15, 0.40),
    (M + ("a-Si", "ensembles", "glass", "r_factor"), 0.05, 0.20),
    (M + ("a-Si", "ensembles", "glass", "coordination_mean"), 3.5, 4.6),
    (M + ("a-Si", "ensembles", "glass", "closest_pair_A"), 1.4, 2.4),
    (M + ("a-Si", "ensembles", "rmc", "r_factor"), 0.03, 0.30),
    # SiO2 (observed R: prior 0.80, GLASS 0.46, RMC 0.23): guidance halves the misfit of the short prior run
    (M + ("SiO2", "ensembles", "prior", "r_factor"), 0.5, 1.1),
    (M + ("SiO2", "ensembles", "glass", "r_factor"), 0.25, 0.65),
    (M + ("SiO2", "ensembles", "rmc", "r_factor"), 0.08, 0.5),
    # D2O (observed R: prior 0.12, GLASS 0.024, RMC 0.21; intact molecules 0.69 GLASS, 0.22 RMC)
    (M + ("water", "ensembles", "prior", "r_factor"), 0.06, 0.25),
    (M + ("water", "ensembles", "glass", "r_factor"), 0.005, 0.06),
    (M + ("water", "ensembles", "glass", "water_intact_fraction"), 0.4, 1.0),
    (M + ("water", "ensembles", "rmc", "r_factor"), 0.05, 0.45),
    (M + ("water", "ensembles", "rmc", "water_intact_fraction"), 0.0, 0.6),
]


def lookup(summary: Any, path: Sequence) -> Any:
    """The value at ``path`` (dict keys and list indices) of a JSON summary; KeyError/IndexError
    when a step is missing."""
    value = summary
    for step in path:
        value = value[step]
    return value


def check(name: str, summary: dict) -> list[str]:
    """The checks of ``EXPECTED[name]`` that fail on ``summary``, one line each."""
    failures = []
    for path, low, high in EXPECTED[name]:
        where = "/".join(map(str, path))
        try:
            value = lookup(summary, path)
        except (KeyError, IndexError, TypeError):
            failures.append(f"{name}: {where} missing")
            continue
        if not isinstance(value, (int, float)) or not low <= value <= high:
            failures.append(f"{name}: {where} = {value!r}, expected in [{low}, {high}]")
    return failures


X = ("acceptance",)
EXPECTED["07_asi_paracrystallinity"] = [
    # the measured target as read (data only): Laaziri S(Q) on Q >= 1 Å⁻¹, no conversion (as in 06)
    (("measured_target", "points"), 318, 318),
    (("measured_target", "q_window", 0), 1.0, 1.1),
    # reference crystallinity by OVITO IdentifyDiamond (observed 0.000 and 0.183): the SW melt-quench
    # matrix has no diamond atoms; one 6.9 Å grain in 216 atoms (~70 grain atoms, 36 % before relaxation,
    # its surface shell 'other') keeps 10-30 %; a lost grain or a wrong type count falls outside
    (X + ("reference_fractions", 0), 0.0, 0.02),
    (X + ("reference_fractions", 1), 0.08, 0.35),
    (("groups", "melt-quench", "reference_crystallinity_mean"), 0.0, 0.02),
    # sampled from the 64-atom diamond crystal noised to 0.5 Å (the default start), 8 steps: the prior alone
    # loses the diamond order (observed 0.000), while the measured S(Q) keeps some (observed 0.39)
    (("start_sigma",), 0.5, 0.5),
    (("groups", "unconditional", "crystallinity_median"), 0.0, 0.05),
    # guidance by the measured S(Q) lowers Wright's R against it (observed 0.126 guided, 0.245 unguided)
    (("groups", "measured", "r_factor_measured_of_mean"), 0.05, 0.20),
    (("groups", "unconditional", "r_factor_measured_of_mean"), 0.15, 0.40),
]


EXPECTED["08_mda_ice"] = [
    # ice Ih (builder, deterministic; records[3], after one smoke structure each of liquid, LDA and HDA):
    # every H-bond ring hexagonal, second O–O shell at 4.5 Å, O–O bond 2.76 Å
    (("records", 3, "ring_fractions", "6"), 1.0, 1.0),
    (("records", 3, "goo_shell2_r_A"), 4.4, 4.6),
    (("records", 3, "closest_oo_A"), 2.74, 2.78),
    # the synthetic MDA target (smoke set: 2 random shear cycles; records[4]): labelled synthetic, denser than
    # ice (observed 1.082 g/cm³), molecules whole
    (("target", "synthetic"), 1, 1),
    (("target", "density"), 1.0, 1.15),
    (("records", 4, "synthetic"), 1, 1),
    (("records", 4, "intact_molecules"), 1.0, 1.0),
    # LDA and HDA second O–O shells. The smoke sets are short-protocol stand-ins in small cells (observed
    # LDA 4.25 Å / height 1.40: a 1 ps melt quenched at 100 K/ps; HDA height 3.26: 64 molecules compressed
    # for 5 ps stay ice Ih), so these ranges catch units and normalisation, not the physics; the default
    # profile's full sets give LDA 4.41 Å / 1.45 and HDA 4.31 Å / 1.23 (figures/mda_ice.json)
    (("acceptance", "goo_shell2_r_A", "LDA"), 4.1, 4.7),
    (("acceptance", "goo_shell2_height", "LDA"), 1.0, 1.8),
    (("acceptance", "goo_shell2_r_A", "HDA"), 4.1, 4.7),
    (("acceptance", "goo_shell2_height", "HDA"), 1.0, 4.0),
    # generated from ice Ih, 1 structure, 30 steps, with the water restraint (observed: intact 1.0, E/D g_OO 1.08,
    # X-ray 0.85, neutron 1.06; unguided from ice the g_OO E/D was 5.6)
    (("acceptance", "intact_molecules"), 0.95, 1.0),
    # the same trajectory without the restraint: the prior alone breaks molecules (observed 0.82), so a
    # restraint that leaked into this run, or did nothing in the other, shows here
    (("acceptance", "MDA-generated-prior-only", "intact_molecules"), 0.5, 0.95),
    (("acceptance", "MDA-generated-prior-only", "error_vs_diversity", "goo", "error_over_diversity"), 0.3, 3.0),
    (("acceptance", "goo_shell2_r_A", "MDA-generated"), 4.1, 4.8),
    (("acceptance", "error_vs_diversity", "goo", "error_over_diversity"), 0.3, 3.0),
    (("acceptance", "error_vs_diversity", "sq-xray", "error_over_diversity"), 0.1, 3.0),
    (("acceptance", "error_vs_diversity", "sq-neutron", "error_over_diversity"), 0.1, 3.0),
]


BC = ("claims",)
BV = ("coverage", "a-Si")
EXPECTED["09_benchmarks"] = [
    # smoke: a-Si only, 64 atoms, 1 replica, 10 sampler steps. The grid is complete: 4 guided
    # modalities for the conditional and both RMC methods, each evaluated on all 4 modalities
    (BV + ("glass-conditional", "records"), 16, 16),
    (BV + ("rmc-random", "records"), 16, 16),
    (BV + ("rmc-liquid", "records"), 16, 16),
    (BV + ("glass-unconditional", "records"), 4, 4),
    (BV + ("rmc-liquid", "n_guided"), 4, 4),
    # the held-out reference (data only; observed 4.33, 2.30 Å, 2.0 % of angles below 70°: a fast SW quench)
    (("references", "a-Si", "coordination"), 4.25, 4.42),
    (("references", "a-Si", "closest_pair_A"), 2.2, 2.4),
    (("references", "a-Si", "angle_fraction_below_70"), 0.0, 0.05),
    # g(r) RMSE to the reference mean (observed: 10-step prior 0.51, guided 0.26): guidance halves it
    (BC + ("cond_beats_uncond", "a-Si/gr", "unconditional"), 0.35, 0.75),
    (BC + ("cond_beats_uncond", "a-Si/gr", "conditional"), 0.12, 0.38),
    # X-ray S(Q) RMSE (observed 0.127 prior, 0.021 guided)
    (BC + ("cond_beats_uncond", "a-Si/sq-xray", "unconditional"), 0.06, 0.25),
    (BC + ("cond_beats_uncond", "a-Si/sq-xray", "conditional"), 0.005, 0.06),
    (BC + ("cond_beats_uncond_fraction",), 1.0, 1.0),
    # one 64-atom structure after 10 steps is noisier than the 216-atom references (observed ΔED +0.20)
    (BC + ("cond_delta_ed_gr_le_0", "a-Si", "delta_ed"), 0.08, 0.35),
    # mean ΔED/A over the 4 evaluated modalities (observed g(r) 0.29, neutron S(Q) 0.10)
    (BC + ("asi_mean_delta_ed_normalized_by_guidance", "gr"), 0.15, 0.45),
    (BC + ("asi_mean_delta_ed_normalized_by_guidance", "sq-neutron"), 0.03, 0.20),
]

EXPECTED["10_sulfur_llpt"] = [
    # the SYNTHETIC series (smoke sets: 32 CHGNet atoms, 2 replicas per state, 0.3 ps): labelled synthetic; the
    # 450 K ring start keeps most S₈ rings (observed 0.875), the 1000 K chain start has none (0.0) and chain ends
    # (0.25: four open 8-atom chains, two ends each, in 32 atoms)
    (("synthetic",), 1, 1),
    (("records", 0, "synthetic"), 1, 1),
    (("records", 2, "synthetic"), 0, 0),
    (("acceptance", "s8_fraction", "target", 0), 0.5, 1.0),
    (("acceptance", "s8_fraction", "target", 3), 0.0, 0.25),
    (("acceptance", "chain_end_fraction", "target", 0), 0.0, 0.15),
    (("acceptance", "chain_end_fraction", "target", 3), 0.1, 0.4),
    # generated (1 structure of 64 atoms, 20 steps, per state): the prior keeps no intact S₈ ring (observed 0.0
    # at every state, as its unconditional samples), g(r) within the targets' spread (E/D 0.28-0.45), the
    # third-neighbour peak inside its window (3.96 Å), QUESTS entropy below ln 64 = 4.16 nats (4.13)
    (("acceptance", "s8_fraction", "generated", 0), 0.0, 0.5),
    (("acceptance", "error_over_diversity", "SYNTHETIC-450K-rings"), 0.1, 2.0),
    (("acceptance", "error_over_diversity", "SYNTHETIC-1000K-chains"), 0.1, 2.0),
    (("records", 2, "gr_error"), 0.02, 0.4),
    (("records", 2, "peak_4p0_A"), 3.8, 4.25),
    (("records", 2, "entropy"), 3.6, 4.16),
    (("records", 0, "entropy"), 3.0, 3.47),
]
