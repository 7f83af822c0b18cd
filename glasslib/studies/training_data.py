"""Study 01: the low-fidelity melt-quench training sets and their structure.

:func:`build_sets` builds (or loads from the content-hash cache) the sets of
``data/specs/datasets.yaml`` that a profile names; one function per system then computes the
curves and numbers its panel shows, each returning a :class:`Panel`:

=========================  ==============================================================
function                   what it checks
=========================  ==============================================================
:func:`silicon_structure`  SW a-Si: g(r), bond angles, coordination; X-ray S(Q) vs Laaziri
:func:`silica_structure`   Vashishta SiO₂: Si–O peak, Si/O coordination, O–Si–O angle;
                           neutron F(Q) vs NIMROD
:func:`carbon_sp3`         Tersoff a-C: sp³/sp² fractions vs density, with the LLNL a-C
:func:`cuzr_partials`      Cu–Zr: first peaks of the partials, NPT density
:func:`water_oxygen_gr`    TIP4P/2005 water: g_OO(r) vs Soper 2013, energy per molecule
:func:`ice_check`          ice Ih builder: CHILL+ phases (OVITO), ice rules, density
:func:`sulfur_structure`   CHGNet liquid sulfur: S–S bond, coordination, angles, S₈ rings
:func:`zrnial_partials`    CHGNet Zr–Ni–Al: first peaks of the partials, pressure
=========================  ==============================================================

:func:`plot_training_data` draws the 3×3 figure from the panels. Units: Å, Å⁻¹, degrees,
g/cm³, GPa, kJ/mol.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import torch

from glasslib.analysis import bond_graph, chill_plus_phases, r_factor, sulfur_rings
from glasslib.core.paths import data_path
from glasslib.core.structures import Structures, concatenate, to_ase
from glasslib.plotting import label_panel
from glasslib.simulate import build_spec, ice_rule_report, load_specs, read_dataset

from glasslib.spectra import (
    bond_angle_distribution,
    coordination_numbers,
    pair_distribution,
    read_columns,
    structure_factor,
)
from glasslib.spectra.measured import spectrum_window
from glasslib.spectra.rdf import mean_partial, peak_position
from glasslib.studies.reference_data import measured_asi_sq, measured_sio2_fq, read_llnl_carbon

# which declared set feeds each panel, and how much of it is built ({"limit": n}: its first n
# structures; {"per_group": n}: n per density/composition/quench-rate group); None: not built
PROFILES = {
    "smoke": {
        "a-Si": ("aSi-SW-smoke", {}), "SiO2": ("SiO2-Vashishta-smoke", {}), "a-C": ("aC-Tersoff-smoke", {}),
        "CuZr": ("CuZr-smoke", {}), "water": ("water-TIP4P2005-smoke", {}), "ice": ("ice-Ih-smoke", {}),
        "sulfur": ("sulfur-CHGNet-smoke", {}), "sulfur-chains": None, "ZrNiAl": ("ZrNiAl-CHGNet-smoke", {}),
    },
    "default": {
        "a-Si": ("aSi-SW-2.28-heldout", {"limit": 1}), "SiO2": ("SiO2-Vashishta-rates", {"limit": 1}),
        "a-C": ("aC-Tersoff-train", {"per_group": 1}), "CuZr": ("CuZr-heldout", {"limit": 1}),
        "water": ("water-TIP4P2005-liquid", {"limit": 1}), "ice": ("ice-Ih", {"limit": 1}),
        "sulfur": ("sulfur-CHGNet-rings", {"limit": 1}), "sulfur-chains": None,
        "ZrNiAl": ("ZrNiAl-CHGNet-train", {"limit": 1}),
    },
    "paper": {
        "a-Si": ("aSi-SW-2.28-heldout", {}), "SiO2": ("SiO2-Vashishta-rates", {}), "a-C": ("aC-Tersoff-train", {}),
        "CuZr": ("CuZr-train", {}), "water": ("water-TIP4P2005-liquid", {}), "ice": ("ice-Ih", {}),
        "sulfur": ("sulfur-CHGNet-rings", {}), "sulfur-chains": ("sulfur-CHGNet-chains", {}),
        "ZrNiAl": ("ZrNiAl-CHGNet-train", {}),
    },
}

# bond cutoffs (Å): the first minimum of each system's g(r)
SI_BOND, SIO_BOND, CC_BOND, SS_BOND = 2.85, 2.0, 1.85, 2.6
CUZR_PAIRS = ((29, 29, "Cu-Cu"), (29, 40, "Cu-Zr"), (40, 40, "Zr-Zr"))
ZRNIAL_PAIRS = ((40, 40, "Zr-Zr"), (40, 28, "Zr-Ni"), (40, 13, "Zr-Al"), (28, 28, "Ni-Ni"), (28, 13, "Ni-Al"),
                (13, 13, "Al-Al"))
FIRST_SHELL = (2.0, 3.8)  # Å: where the metallic partials have their first peak
EV_TO_KJ_PER_MOL = 96.485


@dataclass(frozen=True)
class Panel:
    """What one panel shows: ``curves`` (named tensors/arrays, documented by the function that
    makes them) and ``record`` (the JSON-ready numbers of the summary)."""

    curves: dict = field(default_factory=dict)
    record: dict = field(default_factory=dict)


def radial_grid(dtype=torch.float64) -> torch.Tensor:
    """(799,) the g(r) grid of this study, 0.01 … 7.99 Å in steps of 0.01 Å."""
    return torch.arange(0.01, 8.0, 0.01, dtype=dtype)


def angle_grid(dtype=torch.float64) -> torch.Tensor:
    """(180,) the bond-angle grid of this study, bin centres 0.5 … 179.5°."""
    return torch.arange(0.5, 180.0, 1.0, dtype=dtype)


# ------------------------------------------------------------------ building the sets
def build_sets(entries: Mapping[str, tuple[str, dict] | None], *, progress: bool = True,
               build_all: bool = False) -> tuple[dict[str, Structures], dict[str, dict]]:
    """Build (or load) the declared set of each panel in ``entries`` (a ``PROFILES`` value).

    ``build_spec`` writes one extxyz per structure into its cache folder and skips finished
    files. ``build_all`` then builds every declared set too (the ``paper`` profile). Returns
    ``(structures by panel, record by panel)``; a record gives the set's name, folder, size,
    how many structures were simulated now and the seconds it took.
    """
    specs = load_specs()
    built, records = {}, {}
    for panel, entry in entries.items():
        if entry is None:
            continue
        name, kwargs = entry
        t0 = time.perf_counter()
        res = build_spec(specs[name], progress=progress, **kwargs)
        built[panel] = read_dataset(res.paths)
        records[panel] = dict(name=name, folder=str(res.out_dir), n=len(res.paths), computed=res.computed,
                              seconds=round(time.perf_counter() - t0, 1))
    if build_all:
        for spec in specs.values():
            build_spec(spec, progress=progress)
    return built, records


def _densities(structures: Structures, digits: int = 3) -> list[float]:
    return [round(float(d), digits) for d in structures.mass_density]


# ------------------------------------------------------------------ (a) a-Si
def silicon_structure(asi: Structures) -> Panel:
    """SW a-Si: g(r) (σ = 0.02 Å), coordination and bond angles within 2.85 Å (ADF σ = 2°), and
    the X-ray S(Q) (periodic Debye sum to 16 Å, Lorch window, mean over structures) against
    the digitized Laaziri S(Q) over 1–20 Å⁻¹.

    Curves: ``measured`` (the Laaziri spectrum), ``q``, ``s`` (n_q,), ``theta``, ``adf`` (180,).
    """
    r, theta = radial_grid(asi.dtype), angle_grid(asi.dtype)
    g = pair_distribution(asi, r, sigma=0.02).g.mean(0)
    cn = coordination_numbers(asi, SI_BOND).numpy()
    adf = bond_angle_distribution(asi, theta, cutoff=SI_BOND, sigma=2.0).mean(0)
    measured = measured_asi_sq()
    q, s_exp = spectrum_window(measured, 1.0, 20.0)
    s = structure_factor(asi, q, radiation="xray", cutoff=16.0, window="lorch").s.mean(0)
    record = dict(density=_densities(asi), first_peak_A=peak_position(r, g), mean_coordination=float(cn.mean()),
                  fourfold_fraction=float((cn == 4).mean()), adf_peak_deg=peak_position(theta, adf),
                  r_factor_S_minus_1=float(r_factor(s - 1, s_exp - 1)))
    return Panel(dict(measured=measured, q=q, s=s, theta=theta, adf=adf), record)


# ------------------------------------------------------------------ (b) SiO₂
def silica_structure(sio2: Structures) -> Panel:
    """Vashishta SiO₂: Si–O peak of g_SiO(r) (σ = 0.01 Å), Si and O coordination and the
    O–Si–O angle within 2.0 Å, and the neutron F(Q) (Debye sum to min(15 Å, half the box),
    Lorch window, mean over structures) against NIMROD on its Q points.

    Curves: ``measured`` (the NIMROD F(Q)), ``fq`` (n_q,) the model on the measured Q.
    """
    r, theta = radial_grid(sio2.dtype), angle_grid(sio2.dtype)
    pd = pair_distribution(sio2, r, sigma=0.01)
    z = sio2.species.numpy()
    cn_si = coordination_numbers(sio2, SIO_BOND, neighbor_elements=8).numpy()[z == 14]
    cn_o = coordination_numbers(sio2, SIO_BOND, neighbor_elements=14).numpy()[z == 8]
    adf = bond_angle_distribution(sio2, theta, cutoff=SIO_BOND, sigma=2.0, center_elements=14,
                                  neighbor_elements=8).mean(0)
    measured = measured_sio2_fq()
    cutoff = min(15.0, float(sio2.cell[0, 0, 0]) / 2)
    fq = structure_factor(sio2, measured.x, radiation="neutron", cutoff=cutoff, window="lorch").f.mean(0)
    record = dict(
        density=_densities(sio2), quench_rates=sorted({float(i["quench_rate_K_per_ps"]) for i in sio2.info}),
        pressure_GPa=[round(float(i["pressure_GPa"]), 2) for i in sio2.info],
        r_SiO_A=peak_position(r, mean_partial(pd, 14, 8)), cn_Si=float(cn_si.mean()), cn_O=float(cn_o.mean()),
        O_Si_O_peak_deg=peak_position(theta, adf), r_factor_FQ=float(r_factor(fq, measured.y)),
    )
    return Panel(dict(measured=measured, fq=fq), record)


# ------------------------------------------------------------------ (c) a-C
def carbon_hybridisation(structures: Structures, *, sp2: bool = True) -> list[dict]:
    """Per structure: density (g/cm³) and the fraction of 4-fold (sp³) and, with ``sp2``,
    3-fold (sp²) atoms, counting neighbours within 1.85 Å."""
    cn = coordination_numbers(structures, CC_BOND).numpy()
    sidx = structures.system_idx.numpy()
    rows = []
    for k, d in enumerate(structures.mass_density):
        row = dict(density=float(d), sp3=float((cn[sidx == k] == 4).mean()))
        if sp2:
            row["sp2"] = float((cn[sidx == k] == 3).mean())
        rows.append(row)
    return rows


def carbon_sp3(ac: Structures) -> Panel:
    """Tersoff a-C against the LLNL a-C training structures (a different, ML potential)
    analysed the same way: sp³ fraction against density. No curves; the record's rows."""
    return Panel(record=dict(tersoff=carbon_hybridisation(ac),
                             llnl=carbon_hybridisation(read_llnl_carbon(["train"]), sp2=False)))


# ------------------------------------------------------------------ (d, i) metallic glasses
def partial_first_peaks(structures: Structures, pairs: Sequence[tuple[int, int, str]]) -> tuple[dict, dict]:
    """Partials g_ab(r) (σ = 0.02 Å, mean over structures) of ``pairs`` (a, b, name) and their
    first peaks within 2.0 < r < 3.8 Å. Returns ``(curves, peaks)``: curves holds ``r`` and one
    (799,) curve per name, peaks the positions (Å) by name."""
    r = radial_grid(structures.dtype)
    pd = pair_distribution(structures, r, sigma=0.02)
    curves = {"r": r, **{name: mean_partial(pd, a, b) for a, b, name in pairs}}
    return curves, {name: peak_position(r, curves[name], *FIRST_SHELL) for _, _, name in pairs}


def _compositions(structures: Structures) -> list[str]:
    return sorted({i["composition"] for i in structures.info})


def cuzr_partials(cuzr: Structures) -> Panel:
    """Cu–Zr (Mendelev eam/fs, NPT at 0 GPa): partials, their first peaks and the density."""
    curves, peaks = partial_first_peaks(cuzr, CUZR_PAIRS)
    return Panel(curves, dict(compositions=_compositions(cuzr), density=_densities(cuzr), first_peaks_A=peaks))


def zrnial_partials(zna: Structures) -> Panel:
    """Zr–Ni–Al (CHGNet): partials of the six pairs, their first peaks, density and static pressure."""
    curves, peaks = partial_first_peaks(zna, ZRNIAL_PAIRS)
    return Panel(curves, dict(compositions=_compositions(zna), density=_densities(zna),
                              pressure_GPa=[round(float(i["pressure_GPa"]), 2) for i in zna.info],
                              first_peaks_A=peaks))


# ------------------------------------------------------------------ (e, f) water and ice
def water_oxygen_gr(water: Structures) -> Panel:
    """TIP4P/2005 water: g_OO(r) (σ = 0.03 Å, 2–7.5 Å) against Soper's 2013 EPSR g_OO(r)
    (interpolated onto the same grid), their first peaks, R_χ, and the potential energy per
    molecule (kJ/mol). Curves: ``r``, ``g_oo``, ``g_soper`` (550,)."""
    r = torch.arange(2.0, 7.5, 0.01, dtype=water.dtype)
    g_oo = mean_partial(pair_distribution(water, r, sigma=0.03), 8, 8)
    soper = read_columns(data_path("water_ice/water_soper2013_partial_gr.txt"), "gr", columns=(0, 1))
    g_soper = torch.as_tensor(np.interp(r.numpy(), soper.x.numpy(), soper.y.numpy()), dtype=g_oo.dtype)
    per_molecule = [int(n) / 3 for n in water.n_atoms_per_system]
    record = dict(first_peak_A=peak_position(r, g_oo), soper_first_peak_A=peak_position(r, g_soper),
                  r_factor_gOO=float(r_factor(g_oo, g_soper)),
                  energy_kJ_per_mol=[round(float(i["potential_energy_eV"]) / m * EV_TO_KJ_PER_MOL, 2)
                                     for i, m in zip(water.info, per_molecule)])
    return Panel(dict(r=r, g_oo=g_oo, g_soper=g_soper), record)


def ice_check(ice: Structures) -> Panel:
    """Ice Ih from the builder: CHILL+ phase fractions (OVITO), whether every oxygen donates and
    accepts two H-bonds, and the density. Curves: ``phases`` (names) and ``fractions`` (mean
    over structures)."""
    chill = [{k.removeprefix("chillplus_"): v for k, v in c.items()} for c in chill_plus_phases(ice)]
    rules = [ice_rule_report(a) for a in to_ase(ice)]
    phases = list(chill[0])
    record = dict(hexagonal_fraction=[c["hexagonal_ice"] for c in chill],
                  ice_rules=all(bool((rep["donated"] == 2).all() and (rep["accepted"] == 2).all()) for rep in rules),
                  density=_densities(ice, 4))
    fractions = np.mean([[c[n] for n in phases] for c in chill], axis=0)
    return Panel(dict(phases=phases, fractions=fractions), record)


# ------------------------------------------------------------------ (g, h) liquid sulfur
def sulfur_structure(sets: Sequence[Structures]) -> Panel:
    """CHGNet liquid sulfur (one batch per start, pooled): S–S bond (g(r) peak within
    1.8–2.6 Å), coordination and S–S–S angles within 2.6 Å, and the S₈-ring and chain-end
    fractions of each structure's bond graph. Curves: ``r``, ``g`` (799,), ``theta``, ``adf``
    (180,)."""
    sulfur = concatenate(list(sets))
    r, theta = radial_grid(sulfur.dtype), angle_grid(sulfur.dtype)
    g = pair_distribution(sulfur, r, sigma=0.02).g.mean(0)
    cn = coordination_numbers(sulfur, SS_BOND).numpy()
    adf = bond_angle_distribution(sulfur, theta, cutoff=SS_BOND, sigma=2.0).mean(0)
    rings = [sulfur_rings(bond_graph(sulfur[k], cutoff=SS_BOND)) for k in range(sulfur.n_systems)]
    record = dict(
        sets=[dict(start=s.info[0]["start"], temperature_K=float(s.info[0]["final_temperature_K"]), n=s.n_systems)
              for s in sets],
        density=_densities(sulfur), pressure_mean_GPa=[round(float(i["pressure_mean_GPa"]), 2) for i in sulfur.info],
        bond_peak_A=peak_position(r, g, 1.8, SS_BOND), mean_coordination=float(cn.mean()),
        twofold_fraction=float((cn == 2).mean()), adf_peak_deg=peak_position(theta, adf),
        s8_fraction=[round(s["s8_fraction"], 3) for s in rings],
        chain_end_fraction=[round(s["s_chain_end_fraction"], 3) for s in rings],
    )
    return Panel(dict(r=r, g=g, theta=theta, adf=adf), record)


# ------------------------------------------------------------------ figure
def plot_training_data(panels: Mapping[str, Panel]):
    """The 3×3 figure from the panels keyed ``a-Si``, ``SiO2``, ``a-C``, ``CuZr``, ``water``,
    ``ice``, ``sulfur``, ``ZrNiAl``. Returns the matplotlib figure."""
    import matplotlib.pyplot as plt


    fig, axes = plt.subplots(3, 3, figsize=(13, 11))
    c, s = panels["a-Si"].curves, panels["a-Si"].record
    ax = axes[0, 0]
    ax.plot(c["measured"].x, c["measured"].y, color="k", lw=1.0, label="Laaziri 1999 (measured, digitized)")
    ax.plot(c["q"], c["s"], color="C0", lw=1.0, label=f"SW a-Si ×{len(s['density'])}")
    ax.set_xlabel("Q (Å$^{-1}$)"); ax.set_ylabel("S(Q)"); ax.set_xlim(0, 20); ax.legend(loc="lower right")
    ins = ax.inset_axes([0.6, 0.5, 0.38, 0.35])
    ins.patch.set_facecolor("white")
    ins.plot(c["theta"], c["adf"], color="C0"); ins.axvline(109.47, color="k", lw=0.5, ls=":")
    ins.set_xlabel("bond angle θ (°)", fontsize=7); ins.set_yticks([]); ins.tick_params(labelsize=6)
    label_panel(ax, "a", f"a-Si: CN {s['mean_coordination']:.2f} ({100 * s['fourfold_fraction']:.0f} % 4-fold; "
                f"exp. 3.79–3.88), R(S−1) = {s['r_factor_S_minus_1']:.2f}")

    c, s = panels["SiO2"].curves, panels["SiO2"].record
    ax = axes[0, 1]
    ax.plot(c["measured"].x, c["measured"].y, color="k", lw=1.0, label="NIMROD (measured)")
    ax.plot(c["measured"].x, c["fq"], color="C3", lw=1.0, label=f"Vashishta SiO₂ ×{len(s['density'])}")
    ax.set_xlabel("Q (Å$^{-1}$)"); ax.set_ylabel("F(Q) (Å$^{-1}$)"); ax.set_xlim(0, 20); ax.legend(loc="lower right")
    label_panel(ax, "b", f"SiO₂: Si–O {s['r_SiO_A']:.3f} Å, CN {s['cn_Si']:.2f}/{s['cn_O']:.2f}, "
                f"R(F) = {s['r_factor_FQ']:.2f}")

    s = panels["a-C"].record
    ax = axes[0, 2]
    ax.plot([row["density"] for row in s["llnl"]], [row["sp3"] for row in s["llnl"]], "s", color="0.6", ms=4,
            label="LLNL a-C (data/a-C)")
    ax.plot([row["density"] for row in s["tersoff"]], [row["sp3"] for row in s["tersoff"]], "o", color="C2",
            label="Tersoff (built)")
    ax.set_xlabel("density (g/cm³)"); ax.set_ylabel(f"sp³ fraction (4-fold, r < {CC_BOND} Å)")
    ax.legend(loc="upper left")
    label_panel(ax, "c", None)

    _plot_partials(axes[1, 0], panels["CuZr"], CUZR_PAIRS, ("C1", "C4", "C5"))
    s = panels["CuZr"].record
    label_panel(axes[1, 0], "d", f"Cu–Zr {', '.join(s['compositions'])}, {np.mean(s['density']):.2f} g/cm³ (NPT, 0 GPa)")

    c, s = panels["water"].curves, panels["water"].record
    ax = axes[1, 1]
    ax.plot(c["r"], c["g_soper"], color="k", lw=1.0, label="Soper 2013 (EPSR of measured data)")
    ax.plot(c["r"], c["g_oo"], color="C0", lw=1.0, label=f"TIP4P/2005 ×{len(s['energy_kJ_per_mol'])}")
    ax.set_xlabel("r (Å)"); ax.set_ylabel("g$_{OO}$(r)"); ax.legend(loc="lower right")
    label_panel(ax, "e", f"water: peak {s['first_peak_A']:.2f} Å, R = {s['r_factor_gOO']:.2f}")

    c, s = panels["ice"].curves, panels["ice"].record
    ax = axes[1, 2]
    ax.bar(range(len(c["phases"])), c["fractions"], color="C9")
    ax.set_xticks(range(len(c["phases"])), [n.replace("_", "\n") for n in c["phases"]], fontsize=7)
    ax.set_ylabel("fraction of molecules (CHILL+)")
    label_panel(ax, "f", f"ice Ih builder: ice rules {'hold' if s['ice_rules'] else 'FAIL'}, "
                f"{np.mean(s['density']):.3f} g/cm³")

    c, s = panels["sulfur"].curves, panels["sulfur"].record
    ax = axes[2, 0]
    ax.plot(c["r"], c["g"], color="C8", lw=1.0, label=f"CHGNet liquid S ×{len(s['density'])} (low fidelity)")
    ax.axvline(2.05, color="k", lw=0.5, ls=":", label="S–S 2.05 Å (S₈)")
    ax.set_xlim(1.5, 8); ax.set_xlabel("r (Å)"); ax.set_ylabel("g(r)"); ax.legend(loc="center right")
    label_panel(ax, "g", f"sulfur: S–S {s['bond_peak_A']:.2f} Å, CN {s['mean_coordination']:.2f} "
                f"({100 * s['twofold_fraction']:.0f} % two-fold)")
    ax = axes[2, 1]
    ax.plot(c["theta"], c["adf"], color="C8", lw=1.0)
    ax.set_xlabel("S–S–S angle θ (°)"); ax.set_ylabel("P(θ)")
    label_panel(ax, "h", f"sulfur: angle peak {s['adf_peak_deg']:.0f}°, S₈ fraction "
                f"{np.mean(s['s8_fraction']):.2f}, chain ends {np.mean(s['chain_end_fraction']):.2f}")

    shown = tuple(p for p in ZRNIAL_PAIRS if p[2] in ("Zr-Zr", "Zr-Ni", "Ni-Al"))
    _plot_partials(axes[2, 2], panels["ZrNiAl"], shown, ("C5", "C6", "C7"))
    s = panels["ZrNiAl"].record
    label_panel(axes[2, 2], "i", f"Zr–Ni–Al (CHGNet) {', '.join(s['compositions'])}, {np.mean(s['density']):.2f} g/cm³")
    fig.tight_layout()
    return fig


def _plot_partials(ax, panel: Panel, pairs, colors) -> None:
    """Partials of ``pairs`` from a :func:`partial_first_peaks` panel, labelled with their peaks."""
    for (_, _, name), color in zip(pairs, colors):
        ax.plot(panel.curves["r"], panel.curves[name], color=color, lw=1.0,
                label=f"{name} (peak {panel.record['first_peaks_A'][name]:.2f} Å)")
    ax.set_xlim(1.5, 8); ax.set_xlabel("r (Å)"); ax.set_ylabel("g$_{αβ}$(r)"); ax.legend(loc="center right")
