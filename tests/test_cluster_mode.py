"""Cluster mode: spectra and analysis of finite clusters (no periodic images), checked against
DebyeCalculator 1.1.1 itself and through the command line.

Evidence: DebyeCalculator's I(Q), S(Q), F(Q) and G(r) on the same Cu (fcc), NaCl (rock salt) and
ZnO (wurtzite) clusters, with the wrong conventions (halved pair sum, self term, f₀ at Q) shown to
fail the same tolerance; analytic cases of the cluster PDF; float64 gradchecks; ``glass spectra
--cluster`` and ``glass analyze --cluster`` on .xyz clusters against the library and independent
neighbour counts and ring searches; one-line errors for what cluster mode refuses.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from pathlib import Path

import ase
import ase.io
import numpy as np
import pytest
import torch
from ase.build import bulk, molecule
from ase.cluster import Octahedron

from glasslib.analysis.bonds import bond_graph
from glasslib.analysis.report import analyze
from glasslib.analysis.rings import shortest_path_rings
from glasslib.cli import main
from glasslib.core.errors import InputError
from glasslib.core.structures import Structures, from_ase, read_structures
from glasslib.spectra.form_factors import xray_form_factors
from glasslib.spectra.kinds import KINDS, Grid
from glasslib.spectra.scattering import cluster_pdf, structure_factor, total_structure_factor

SIGMA = 0.1  # Å: G(r) smearing, i.e. biso = 4π²σ² = 0.39 Å² in DebyeCalculator


# ------------------------------------------------------------------- clusters
def _ball(atoms: ase.Atoms, radius: float) -> ase.Atoms:
    """Atoms within ``radius`` Å of (just off) the cell centre, as a cluster without a cell."""
    centre = atoms.cell.array.sum(0) / 2 + 0.1
    out = atoms[np.linalg.norm(atoms.positions - centre, axis=1) < radius]
    out.set_cell(np.zeros((3, 3)))
    out.pbc = False
    return out


CLUSTERS = {
    "Cu": lambda: Octahedron("Cu", 6, 1, latticeconstant=3.615),  # 140 atoms, fcc
    "NaCl": lambda: _ball(bulk("NaCl", "rocksalt", a=5.64, cubic=True).repeat(4), 7.0),  # Na40Cl38
    "ZnO": lambda: _ball(bulk("ZnO", "wurtzite", a=3.25, c=5.207).repeat((6, 6, 4)), 7.0),  # Zn57O68
}


def _si_cluster() -> ase.Atoms:
    return _ball(bulk("Si", "diamond", a=5.43, cubic=True).repeat(4), 8.0)  # 108 atoms


def _debyecalculator(radiation: str, **grid):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from debyecalculator import DebyeCalculator

        return DebyeCalculator(device="cpu", dtype=torch.float64, radiation_type=radiation, qdamp=0.0, biso=0.0, **grid)


def _dc(dc, method: str, atoms: ase.Atoms) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(getattr(dc, method)((list(atoms.get_chemical_symbols()), atoms.positions))[1])


def _dc_neutron_b(dc, atoms: ase.Atoms) -> dict[str, float]:
    """DebyeCalculator's own b_c (fm) as overrides: the comparison tests conventions, not tables."""
    return {e: float(dc.FORM_FACTOR_COEF[e][11]) for e in set(atoms.get_chemical_symbols())}


# ------------------------------------------------------- Q space vs DebyeCalculator
@pytest.mark.parametrize("radiation", ["xray", "neutron"])
@pytest.mark.parametrize("name", list(CLUSTERS))
def test_cluster_sq_fq_iq_match_debyecalculator(name, radiation):
    """S − 1 = 2·sq_DC, F = 2·fq_DC, N[⟨w⟩²(S − 1) + ⟨w²⟩] = 2·iq_DC on Q = 0.5–20 Å⁻¹.

    Measured: exact pair sum 2e-14 (Cu) to 2e-7 (ZnO, DebyeCalculator keeps its tables in
    float32) in S − 1, I to 1.2e-7 relative; the default histogram sum (what ``glass spectra
    --cluster`` uses) ≤ 6e-5 in S − 1 and ≤ 1.2e-3 in F (relative error (Q·dr)²/12 at Q = 20).
    Halving the distinct term, adding the self term or taking f₀ at Q instead of s = Q/4π moves
    S − 1 by more than 0.1.
    """
    atoms = CLUSTERS[name]()
    c = from_ase(atoms)
    dc = _debyecalculator(radiation, qmin=0.5, qmax=20.0, qstep=0.05)
    isotopes = _dc_neutron_b(dc, atoms) if radiation == "neutron" else None
    q = dc.q.squeeze(-1)
    sq_dc, fq_dc, iq_dc = (_dc(dc, m, atoms) for m in ("sq", "fq", "iq"))
    for method, tol_s, tol_f in (("pairs", 1e-6, 1e-5), ("histogram", 2e-4, 3e-3)):
        sf = structure_factor(c, q, periodic=False, radiation=radiation, isotopes=isotopes, method=method)
        s_m1 = (sf.s[0] - 1).numpy()
        assert np.abs(s_m1 - 2 * sq_dc).max() < tol_s, method
        assert np.abs(sf.f[0].numpy() - 2 * fq_dc).max() < tol_f, method
        mean_w2 = (sf.concentrations.to(q.dtype) @ sf.weights**2)[0]
        intensity = (c.n_atoms * (sf.mean_weight[0] ** 2 * (sf.s[0] - 1) + mean_w2)).numpy()
        assert np.abs(intensity / (2 * iq_dc) - 1).max() < 10 * tol_s, method
    wrong = {
        "halved pair sum (DebyeCalculator's sq read as S - 1)": s_m1 / 2,
        "self term added": s_m1 + (mean_w2 / sf.mean_weight[0] ** 2).numpy(),
    }
    if radiation == "xray":
        f_at_q = xray_form_factors(sf.elements, 4 * math.pi * q)  # f₀(Q) instead of f₀(Q/4π)
        wrong["f0 at Q"] = (total_structure_factor(sf.partials, sf.concentrations, f_at_q)[0] - 1).numpy()
    for what, variant in wrong.items():
        if what == "f0 at Q" and len(sf.elements) == 1:
            continue  # one element: the form factor cancels in S(Q)
        assert np.abs(variant - 2 * sq_dc).max() > 0.1, what


# ------------------------------------------------------- r space vs DebyeCalculator
@pytest.mark.parametrize("name", list(CLUSTERS))
def test_cluster_pdf_is_twice_debyecalculators_gr(name):
    """G_c (neutron-weighted, σ = 0.1 Å, kernel to 6σ) = 2·gr_DC with biso = 4π²σ², Q = 0–50 Å⁻¹.

    Measured: 3.2e-5 (Cu), 1.8e-5 (NaCl), 1.4e-5 (ZnO) of peak heights 9–14 Å⁻²; with the default
    4σ kernel truncation 3.7e-3 (the Gaussian's value at 4σ). Dividing by the grid r instead of
    r_ij (the periodic convention's smearing) misses by 0.35, the number weights on NaCl by 1.7.
    """
    atoms = CLUSTERS[name]()
    c = from_ase(atoms)
    dc = _debyecalculator("neutron", qmin=0.0, qmax=50.0, qstep=0.02, rmin=0.0, rmax=12.0, rstep=0.01)
    dc.update_parameters(biso=4 * math.pi**2 * SIGMA**2)
    gr_dc = _dc(dc, "gr", atoms)
    r = torch.arange(gr_dc.shape[0], dtype=torch.float64) * 0.01  # DebyeCalculator's grid is float32-rounded
    isotopes = _dc_neutron_b(dc, atoms)
    g = cluster_pdf(c, r, sigma=SIGMA, n_sigma=6.0, radiation="neutron", isotopes=isotopes)[0].numpy()
    peak = np.abs(g).max()
    assert np.abs(g - 2 * gr_dc).max() < 1e-4 * peak
    assert np.abs(g - gr_dc).max() > 0.3 * peak  # the halved convention is far off
    if name == "Cu":  # one element: number weights = neutron weights; 1/r instead of 1/r_ij is visible
        assert np.allclose(cluster_pdf(c, r, sigma=SIGMA, n_sigma=6.0)[0].numpy(), g, atol=1e-12)
        iu = np.triu_indices(len(atoms), 1)
        d = np.linalg.norm(atoms.positions[:, None] - atoms.positions[None], axis=-1)[iu]
        rr = r.numpy()[::5, None]  # every 5th point keeps the (R, P) kernel small
        kern = np.exp(-0.5 * ((rr - d) / SIGMA) ** 2) / (SIGMA * math.sqrt(2 * math.pi))
        per_r = np.where(rr[:, 0] > 0, (2.0 / len(atoms)) * kern.sum(1) / np.where(rr[:, 0] > 0, rr[:, 0], 1.0), 0.0)
        assert np.abs(per_r - 2 * gr_dc[::5]).max() > 0.1
    else:  # two elements: the b weights matter
        assert np.abs(cluster_pdf(c, r, sigma=SIGMA, n_sigma=6.0)[0].numpy() - 2 * gr_dc).max() > 1e-2


def test_cluster_pdf_analytic_cases():
    """Two atoms: one bin of height 1/(d·Δr) at d (σ = 0); ∫ r G dr = N − 1 over all pairs;
    the cell of a periodic input is ignored; X-ray weights and bad σ are refused."""
    d, dr = 2.5, 0.05
    two = from_ase(ase.Atoms("Cu2", positions=[[0, 0, 0], [d, 0, 0]]))
    r = torch.arange(1, 101, dtype=torch.float64) * dr
    g = cluster_pdf(two, r)[0]
    k = int(round(d / dr)) - 1
    assert math.isclose(float(g[k]), 1.0 / (d * dr), rel_tol=1e-12) and float(g.sum() - g[k]) == 0.0
    cu = from_ase(CLUSTERS["Cu"]())
    r = torch.arange(0, 2001, dtype=torch.float64) * 0.01  # beyond the 14.5 Å diameter
    g = cluster_pdf(cu, r, sigma=0.05, n_sigma=8.0)[0]  # 8σ: no kernel mass lost
    assert abs(float(torch.trapezoid(r * g, r)) - (cu.n_atoms - 1)) < 1e-9 * cu.n_atoms
    boxed = cu.replace(cell=40.0 * torch.eye(3, dtype=torch.float64)[None], pbc=torch.ones(1, 3, dtype=torch.bool))
    assert torch.equal(cluster_pdf(boxed, r, sigma=0.05), cluster_pdf(cu, r, sigma=0.05))
    with pytest.raises(InputError, match="Q-independent"):
        cluster_pdf(cu, r, radiation="xray")
    with pytest.raises(InputError, match="sigma"):
        cluster_pdf(cu, r, sigma=-1.0)


# --------------------------------------------------------------------- gradcheck
def test_gradcheck_cluster_pdf_and_cluster_structure_factor_positions():
    """float64 gradcheck w.r.t. positions: the cluster PDF (number- and neutron-weighted, the
    1/r_ij weight and the mirror term both inside) and the histogram cluster S(Q) that the CLI
    uses (test_scattering checks the exact pair method)."""
    gen = torch.Generator().manual_seed(5)
    pos = (torch.rand(6, 3, generator=gen, dtype=torch.float64) * 3.0).requires_grad_(True)
    species = torch.tensor([8, 14, 8, 14, 8, 8])
    base = Structures(pos.detach(), torch.zeros(1, 3, 3, dtype=torch.float64), species,
                      torch.zeros(6, dtype=torch.long), torch.zeros(1, 3, dtype=torch.bool))
    r = torch.arange(0, 61, dtype=torch.float64) * 0.1
    q = torch.arange(1.0, 9.0, 0.5, dtype=torch.float64)
    for radiation in (None, "neutron"):
        assert torch.autograd.gradcheck(
            lambda p: cluster_pdf(base.with_positions(p), r, sigma=0.3, radiation=radiation), (pos,), eps=1e-6, atol=1e-6)
    assert torch.autograd.gradcheck(
        lambda p: structure_factor(base.with_positions(p), q, periodic=False, method="histogram", dr=0.01).s,
        (pos,), eps=1e-7, atol=1e-5)


# ------------------------------------------------------------- command line: spectra
def _read_csv(path: Path):
    lines = path.read_text().splitlines()
    comments = [ln for ln in lines if ln.startswith("#")]
    header = [ln for ln in lines if not ln.startswith("#")][0].split(",")
    return comments, header, np.loadtxt(path, delimiter=",", comments="#", skiprows=len(comments) + 1)


def _glass(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "glasslib", *map(str, args)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("clusters")
    out = {}
    for name, atoms in (("cu", CLUSTERS["Cu"]()), ("zno", CLUSTERS["ZnO"]()), ("si", _si_cluster())):
        out[name] = d / f"{name}.xyz"
        ase.io.write(out[name], atoms, format="xyz")
    boxed = CLUSTERS["Cu"]()  # the same atoms in a periodic 30 Å box
    boxed.set_cell(30.0 * np.eye(3))
    boxed.pbc = True
    boxed.positions += 15.0
    out["cu_boxed"] = d / "cu_boxed.extxyz"
    ase.io.write(out["cu_boxed"], boxed)
    return out


def test_cli_cluster_sq_and_fq_match_debyecalculator(files, tmp_path):
    """``glass spectra --cluster`` on an .xyz: S(Q) = 1 + 2·sq_DC, F = 2·fq_DC (X-ray ZnO, neutron
    Cu), the mode stated in the header; the same atoms in a periodic box give the same curve with
    --cluster and a different one (periodic Debye sum) without it."""
    for key, kind, radiation in (("zno", "sq-xray", "xray"), ("cu", "fq-neutron", "neutron")):
        out = tmp_path / f"{key}.csv"
        assert main(["spectra", str(files[key]), "--cluster", "--kind", kind, "--qmin", "0.5", "--qmax", "19.95",
                     "--dq", "0.05", "--out", str(out)]) == 0
        comments, header, data = _read_csv(out)
        assert any(c.startswith("# mode: cluster") for c in comments)
        assert any("DebyeCalculator 1.1.1 sq = (S - 1)/2" in c for c in comments)
        atoms = ase.io.read(files[key])
        dc = _debyecalculator(radiation, qmin=0.5, qmax=20.0, qstep=0.05)
        assert np.allclose(data[:, 0], dc.q.squeeze(-1).numpy(), atol=1e-5)
        if kind.startswith("sq"):
            assert header == ["Q_per_A", "S"] and np.abs(data[:, 1] - 1 - 2 * _dc(dc, "sq", atoms)).max() < 2e-4
        else:  # periodictable's b_c for Cu is DebyeCalculator's (7.718 fm)
            assert header == ["Q_per_A", "F_per_A"] and np.abs(data[:, 1] - 2 * _dc(dc, "fq", atoms)).max() < 3e-3
    common = ["--kind", "fq-neutron", "--qmin", "0.5", "--qmax", "19.95", "--dq", "0.05"]
    assert main(["spectra", str(files["cu_boxed"]), "--cluster", *common, "--out", str(tmp_path / "b.csv")]) == 0
    assert np.allclose(_read_csv(tmp_path / "b.csv")[2], _read_csv(tmp_path / "cu.csv")[2], atol=1e-7)
    assert main(["spectra", str(files["cu_boxed"]), *common, "--out", str(tmp_path / "p.csv")]) == 0
    comments, _, periodic = _read_csv(tmp_path / "p.csv")
    assert any(c.startswith("# mode: periodic") for c in comments)
    assert np.abs(periodic[:, 1] - _read_csv(tmp_path / "cu.csv")[2][:, 1]).max() > 0.5


def test_cli_cluster_pdf_and_adf(files, tmp_path):
    """``--kind Gr --cluster`` writes :func:`cluster_pdf`; ``--kind adf --cluster`` is a unit-area
    density whose fcc peaks sit at 60°, 90°, 120° and 180°."""
    out = tmp_path / "gr.csv"
    assert main(["spectra", str(files["cu"]), "--cluster", "--kind", "Gr", "--r-max", "12", "--out", str(out)]) == 0
    comments, header, data = _read_csv(out)
    assert header == ["r_A", "G_per_A2"] and any("cluster PDF" in c for c in comments)
    r = Grid(0.05, 12.0, 0.05).values()  # the kind's grid (the CSV's rounded r would move the 4σ kernel window)
    ref = cluster_pdf(read_structures(files["cu"]), r, sigma=KINDS["Gr"].smearing)[0].numpy()
    assert np.allclose(data[:, 0], r.numpy()) and np.allclose(data[:, 1], ref, atol=1e-6, rtol=1e-6)
    out = tmp_path / "adf.csv"
    assert main(["spectra", str(files["cu"]), "--cluster", "--kind", "adf", "--cutoff", "3.0", "--smearing", "1",
                 "--out", str(out)]) == 0
    comments, _, data = _read_csv(out)
    assert any(c.startswith("# mode: cluster") for c in comments)
    theta, p = data[:, 0], data[:, 1]
    assert abs(np.trapezoid(p, theta) - 1.0) < 0.02
    peaks = theta[1:-1][(p[1:-1] > p[:-2]) & (p[1:-1] >= p[2:]) & (p[1:-1] > 0.1 * p.max())]
    assert set(np.round(peaks).astype(int).tolist()) <= {60, 90, 120, 180} and {60, 90, 120} <= set(np.round(peaks))


def _assert_one_line(code: int, stderr: str, needles) -> None:
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("glass: error:"), stderr
    assert "Traceback" not in stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_cli_refusals_are_one_line_and_write_nothing(files, tmp_path, capsys):
    """Non-periodic input without --cluster, and kinds or options that make no sense for a
    cluster: exit status 2, one line naming the file and the option, no output, no temporary
    (in-process through ``glasslib.cli.main``; the first case also as a separate process)."""
    out = tmp_path / "out.csv"
    cases = [
        (["spectra", files["cu"], "--kind", "sq-xray"], ("cu.xyz", "not periodic", "--cluster")),
        (["spectra", files["cu"], "--kind", "adf", "--cutoff", "3"], ("cu.xyz", "not periodic", "--cluster")),
        (["spectra", files["cu"], "--cluster", "--kind", "gr"], ("cu.xyz", "--kind gr", "--cluster", "Gr")),
        (["spectra", files["cu"], "--cluster", "--kind", "xanes"], ("cu.xyz", "--kind xanes", "--cluster")),
        (["spectra", files["cu"], "--cluster", "--kind", "exafs"], ("cu.xyz", "--kind exafs", "--cluster")),
        (["spectra", files["cu"], "--cluster", "--kind", "sq-neutron", "--cutoff", "5"], ("cu.xyz", "--cutoff")),
        (["analyze", files["si"], "--no-entropy"], ("si.xyz", "not periodic", "--cluster")),
    ]
    for args, needles in cases:
        code = main([*map(str, args), "--out", str(out)])
        _assert_one_line(code, capsys.readouterr().err, needles)
        assert not out.exists() and not list(tmp_path.glob(".out.csv*"))
    proc = _glass(*cases[0][0], "--out", out)
    _assert_one_line(proc.returncode, proc.stderr, cases[0][1])
    assert not out.exists()


# ------------------------------------------------------------- command line: analyze
def test_cli_analyze_si_cluster(files, tmp_path):
    """``glass analyze --cluster`` on a 108-atom diamond-Si cluster: coordination from a brute-force
    distance count, tetrahedral angles, OVITO's rings equal to the own shortest-path search on the
    cluster's bond graph, surface atoms not cubic diamond, density null, entropy within [0, ln N]."""
    out, image = tmp_path / "si.json", tmp_path / "si.png"
    assert main(["analyze", str(files["si"]), "--cluster", "--out", str(out), "--render", str(image),
                 "--size", "96x72"]) == 0
    rep = json.loads(out.read_text())
    s = rep["structures"][0]
    assert rep["settings"]["mode"] == "cluster" and s["density_g_cm3"] is None
    atoms = ase.io.read(files["si"])
    d = np.linalg.norm(atoms.positions[:, None] - atoms.positions[None], axis=-1)
    degree = ((d > 0) & (d < 2.85)).sum(1)
    assert math.isclose(s["coordination_mean"], degree.mean(), rel_tol=1e-12)
    assert s["coordination_distribution"] == {str(k): float(np.mean(degree == k)) for k in np.unique(degree)}
    assert abs(s["bond_angle_mean_deg"] - 109.4712) < 1e-3 and s["bond_angle_std_deg"] < 1e-6
    own = shortest_path_rings(bond_graph(read_structures(files["si"]), None), 10)
    assert s["ring_size_counts"] == {str(k): v for k, v in own.items()} and own[6] > 0
    assert s["ring_method"] == "ovito" and sum(own.values()) - own[6] == 0
    assert 0.0 < s["diamond_type_fractions"]["other"] < 0.5 and s["crystallinity"] < 1.0
    assert 0.0 < s["entropy_nats"] <= s["entropy_max_nats"] == pytest.approx(math.log(len(atoms)))
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_analyze_cu_and_water_clusters_without_images():
    """The library path: fcc Cu (surface atoms keep fewer than 12 neighbours, counted by brute
    force) and a water cluster (H-bonds and CHILL+ run without a cell); a periodic structure asked
    for as a cluster loses its images."""
    cu = CLUSTERS["Cu"]()
    rep = analyze(from_ase(cu), entropy=False, cluster=True)
    d = np.linalg.norm(cu.positions[:, None] - cu.positions[None], axis=-1)
    degree = ((d > 0) & (d < 1.25 * 2 * 1.32)).sum(1)  # 1.25 × (R_Cu + R_Cu), ASE covalent radii
    s = rep["structures"][0]
    assert math.isclose(s["coordination_mean"], degree.mean(), rel_tol=1e-12) and degree.max() == 12 > degree.min()
    water = ase.Atoms()
    for k, shift in enumerate(np.array([[0, 0, 0], [2.8, 0, 0], [0, 2.8, 0], [2.8, 2.8, 0], [1.4, 1.4, 2.4]])):
        m = molecule("H2O")
        m.rotate(40 * k, "z")
        m.positions += shift
        water += m
    rep = analyze(from_ase(water), entropy=False, cluster=True, descriptor_sets=["water"])
    s = rep["structures"][0]
    assert s["hbond_count"] >= 1 and "chillplus_other" in s and rep["settings"]["mode"] == "cluster"
    with pytest.raises(InputError, match="not periodic"):
        analyze(from_ase(water), entropy=False)
    si = bulk("Si", "diamond", a=5.43, cubic=True)  # 8 atoms: every atom 4-fold only through images
    assert analyze(from_ase(si), entropy=False)["structures"][0]["coordination_mean"] == 4.0
    assert analyze(from_ase(si), entropy=False, cluster=True)["structures"][0]["coordination_mean"] < 2.0
