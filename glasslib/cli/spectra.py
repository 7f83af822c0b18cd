"""``glass spectra``: spectra of structures, averaged over all given structures and frames.

Example::

    glass spectra a.xyz b.xyz --kind sq-neutron --qmin 0.5 --qmax 20 --dq 0.02 --out sq.csv
    glass spectra glass.dat --species-map 1=O,2=Si --kind gr --partials --out gr.csv

The CSV starts with ``#`` lines (command, inputs, conventions) and a header row naming each
column with its unit; it is written atomically, so a failed run leaves no file behind.
"""

from __future__ import annotations

import io
import math
import shlex
import sys
from pathlib import Path

import numpy as np
import torch

from glasslib.cli.options import parse_species_map
from glasslib.errors import InputError, atomic_write_text

KINDS = ("gr", "Gr", "adf", "sq-xray", "sq-neutron", "fq-xray", "fq-neutron")


def register(sub) -> None:
    p = sub.add_parser(
        "spectra",
        help="compute g(r), G(r), ADF, S(Q) or F(Q) of structures",
        description="Compute a spectrum averaged over all given structures (every frame of every file).",
    )
    p.add_argument("structures", nargs="+", metavar="STRUCTURE", help="structure files (anything ase.io reads)")
    p.add_argument("--kind", required=True, choices=KINDS, help="which spectrum")
    p.add_argument("--out", required=True, type=Path, metavar="FILE.csv", help="output CSV")
    p.add_argument("--format", default=None, help="ase.io format name, if the extension does not tell")
    p.add_argument("--species-map", default=None, metavar="1=O,2=Si", help="LAMMPS atom type -> element")
    g = p.add_argument_group("real-space grid (gr, Gr)")
    g.add_argument("--rmax", type=float, default=10.0, help="largest r, Å (default 10)")
    g.add_argument("--dr", type=float, default=0.02, help="r step, Å (default 0.02)")
    g.add_argument("--sigma", type=float, default=None,
                   help="Gaussian smearing width: Å for gr/Gr (default 0.02), degrees for adf (default 1.0); 0 = histogram")
    g.add_argument("--partials", action="store_true", help="also write every partial g_ab(r)")
    g = p.add_argument_group("angles (adf)")
    g.add_argument("--cutoff", type=float, default=None,
                   help="adf: neighbour cutoff, Å (required); S(Q): real-space cutoff of the Debye sum, Å "
                        "(default: the largest the cells allow without self-overlap, at most 15 Å)")
    g.add_argument("--dtheta", type=float, default=1.0, help="adf: angle step, degrees (default 1)")
    g = p.add_argument_group("reciprocal-space grid (sq-*, fq-*)")
    g.add_argument("--qmin", type=float, default=0.5, help="smallest Q, 1/Å (default 0.5)")
    g.add_argument("--qmax", type=float, default=20.0, help="largest Q, 1/Å (default 20)")
    g.add_argument("--dq", type=float, default=0.02, help="Q step, 1/Å (default 0.02)")
    g.add_argument("--no-lorch", action="store_true", help="S(Q): sharp real-space cutoff instead of the Lorch window")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.set_defaults(func=run)


def _grid(start: float, stop: float, step: float, name: str) -> np.ndarray:
    if not (math.isfinite(start) and math.isfinite(stop) and math.isfinite(step)) or step <= 0 or stop <= start:
        raise InputError(f"bad {name} grid: need {name}min < {name}max and a positive step")
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    return start + step * np.arange(n)


def compute(args) -> tuple[list[str], np.ndarray, list[str]]:
    """Columns, data (rows × columns) and extra header lines for the parsed arguments."""
    from glasslib.structures import read_structures

    structures = read_structures(
        args.structures, format=args.format, species_map=parse_species_map(args.species_map),
        dtype=torch.float64, device=args.device,
    )
    kind = args.kind
    notes = [f"structures: {structures.n_systems} (averaged)", f"atoms: {structures.n_atoms}"]
    if kind in ("gr", "Gr"):
        from glasslib.rdf import pair_distribution, reduced_pdf

        sigma = 0.02 if args.sigma is None else args.sigma
        r = torch.as_tensor(_grid(args.dr, args.rmax, args.dr, "r"), dtype=torch.float64, device=args.device)
        pd = pair_distribution(structures, r, sigma=sigma)
        notes.append(f"sigma_A: {sigma}")
        if kind == "gr":
            cols, data = ["r_A", "g"], [r, pd.g.mean(0)]
            if args.partials:
                from ase.data import chemical_symbols

                el = [chemical_symbols[z] for z in pd.elements]
                for a in range(len(el)):
                    for b in range(a, len(el)):
                        cols.append(f"g_{el[a]}{el[b]}")
                        data.append(pd.partials[:, a, b].mean(0))
        else:
            cols, data = ["r_A", "G_per_A2"], [r, reduced_pdf(pd).mean(0)]
        return cols, torch.stack(data, 1).detach().cpu().numpy(), notes
    if kind == "adf":
        from glasslib.angles import bond_angle_distribution

        if args.cutoff is None:
            raise InputError("--kind adf needs --cutoff (neighbour cutoff in Å)")
        sigma = 1.0 if args.sigma is None else args.sigma
        theta = torch.as_tensor(_grid(0.0, 180.0, args.dtheta, "theta"), dtype=torch.float64, device=args.device)
        adf = bond_angle_distribution(structures, theta, cutoff=args.cutoff, sigma=sigma)
        notes += [f"cutoff_A: {args.cutoff}", f"sigma_deg: {sigma}"]
        return ["theta_deg", "adf_per_deg"], torch.stack([theta, adf.mean(0)], 1).cpu().numpy(), notes
    # reciprocal space
    from glasslib.geometry import heights
    from glasslib.scattering import debye_structure_factor

    radiation = kind.split("-")[1]
    q = torch.as_tensor(_grid(args.qmin, args.qmax, args.dq, "q"), dtype=torch.float64, device=args.device)
    structures.require_periodic("S(Q)")
    cutoff = args.cutoff
    if cutoff is None:  # half the thinnest cell: no atom meets its own image within the sum
        cutoff = min(15.0, 0.5 * float(heights(structures.cell).min()))
    window = None if args.no_lorch else "lorch"
    sq = debye_structure_factor(structures, q, radiation=radiation, cutoff=cutoff, window=window).s.mean(0)
    notes += [f"radiation: {radiation}", f"debye_cutoff_A: {cutoff}", f"window: {window}",
              "convention: Faber-Ziman S(Q); F(Q) = Q[S(Q) - 1] (docs/conventions.md)"]
    if kind.startswith("sq"):
        return ["Q_per_A", "S"], torch.stack([q, sq], 1).cpu().numpy(), notes
    return ["Q_per_A", "F_per_A"], torch.stack([q, q * (sq - 1.0)], 1).cpu().numpy(), notes


def run(args) -> int:
    if args.out.exists() and args.out.is_dir():
        raise InputError("output is a directory", args.out)
    cols, data, notes = compute(args)
    buf = io.StringIO()
    buf.write(f"# glass spectra --kind {args.kind}\n")
    buf.write("# command: " + " ".join(shlex.quote(a) for a in sys.argv) + "\n")
    for path in args.structures:
        buf.write(f"# input: {path}\n")
    for line in notes:
        buf.write(f"# {line}\n")
    buf.write(",".join(cols) + "\n")
    np.savetxt(buf, data, delimiter=",", fmt="%.8g")
    atomic_write_text(args.out, buf.getvalue())
    print(f"wrote {args.out} ({data.shape[0]} rows)")
    return 0
