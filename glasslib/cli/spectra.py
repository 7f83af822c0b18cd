"""``glass spectra``: spectra of structures, averaged over all given structures and frames.

Example::

    glass spectra a.xyz b.xyz --kind sq-neutron --qmin 0.5 --qmax 20 --dq 0.02 --out sq.csv
    glass spectra glass.dat --species-map 1=O,2=Si --kind gr --partials --out gr.csv
    glass spectra aC.extxyz --kind xanes --out xanes.csv    # C K-edge XANES (learned surrogate, index grid)

The CSV starts with ``#`` lines (command, inputs, conventions) and a header row naming each
column with its unit; it is written atomically, so a failed run leaves no file behind.
"""

from __future__ import annotations

import io
import shlex
import sys
from pathlib import Path

import numpy as np
import torch
from ase.data import chemical_symbols

from glasslib.cli.options import parse_species_map
from glasslib.core.atomic_io import atomic_write_text
from glasslib.core.errors import InputError
from glasslib.core.structures import read_structures
from glasslib.spectra.kinds import KINDS, SQ_CUTOFF, Grid, SpectrumKind
from glasslib.spectra.rdf import pair_distribution


def register(sub) -> None:
    p = sub.add_parser(
        "spectra",
        help="compute g(r), G(r), ADF, S(Q) or F(Q) of structures",
        description="Compute a spectrum averaged over all given structures (every frame of every file). "
                    "Grids and smearing default to the registry of spectrum kinds (glasslib.spectra.kinds), "
                    "the same defaults glass sample and glass rmc use for a target of that kind.",
    )
    gr, adf, sq = KINDS["gr"], KINDS["adf"], KINDS["sq-xray"]
    p.add_argument("structures", nargs="+", metavar="STRUCTURE", help="structure files (anything ase.io reads)")
    p.add_argument("--kind", required=True, choices=tuple(KINDS), help="which spectrum")
    p.add_argument("--out", required=True, type=Path, metavar="FILE.csv", help="output CSV")
    p.add_argument("--format", default=None, help="ase.io format name, if the extension does not tell")
    p.add_argument("--species-map", default=None, metavar="1=O,2=Si", help="LAMMPS atom type -> element")
    g = p.add_argument_group("real-space grid (gr, Gr)")
    g.add_argument("--rmax", type=float, default=None, help=f"largest r, Å (default {gr.grid.stop:g})")
    g.add_argument("--dr", type=float, default=None, help=f"r step and first r, Å (default {gr.grid.step:g})")
    g.add_argument("--sigma", type=float, default=None,
                   help=f"Gaussian smearing width: Å for gr/Gr (default {gr.smearing:g}), degrees for adf "
                        f"(default {adf.smearing:g}); 0 = histogram; xanes: broadening in grid-index units (default none)")
    g.add_argument("--partials", action="store_true", help="also write every partial g_ab(r)")
    g = p.add_argument_group("angles (adf)")
    g.add_argument("--cutoff", type=float, default=None,
                   help=f"adf: neighbour cutoff, Å (required); S(Q): real-space cutoff of the Debye sum over pairs "
                        f"and periodic images, Å (default {SQ_CUTOFF:g})")
    g.add_argument("--dtheta", type=float, default=None, help=f"adf: angle step, degrees (default {adf.grid.step:g})")
    g = p.add_argument_group("reciprocal-space grid (sq-*, fq-*)")
    g.add_argument("--qmin", type=float, default=None, help=f"smallest Q, 1/Å (default {sq.grid.start:g})")
    g.add_argument("--qmax", type=float, default=None, help=f"largest Q, 1/Å (default {sq.grid.stop:g})")
    g.add_argument("--dq", type=float, default=None, help=f"Q step, 1/Å (default {sq.grid.step:g})")
    g.add_argument("--no-lorch", action="store_true", help="S(Q): sharp real-space cutoff instead of the Lorch window")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.set_defaults(func=run)


def _grid(kind: SpectrumKind, start, stop, step) -> Grid:
    """The kind's default grid with the given parts replaced (None keeps the default)."""
    d = kind.grid
    return Grid(d.start if start is None else start, d.stop if stop is None else stop, d.step if step is None else step)


def compute(args) -> tuple[list[str], np.ndarray, list[str]]:
    """Columns, data (rows × columns) and extra header lines for the parsed arguments."""
    structures = read_structures(
        args.structures, format=args.format, species_map=parse_species_map(args.species_map),
        dtype=torch.float64, device=args.device,
    )
    kind = KINDS[args.kind]
    notes = [f"structures: {structures.n_systems} (averaged)", f"atoms: {structures.n_atoms}",
             f"kind: {kind.name} ({kind.label})"]
    if kind.x_name == "r":
        grid = _grid(kind, args.dr, args.rmax, args.dr)
        sigma = kind.smearing if args.sigma is None else args.sigma
        notes += [f"grid_A: {grid.start:g} to {grid.stop:g} step {grid.step:g}", f"sigma_A: {sigma}"]
        r = grid.values(device=args.device)
        if args.partials and kind.name == "gr":
            pd = pair_distribution(structures, r, sigma=sigma)
            cols, data = list(kind.columns), [r, pd.g.mean(0)]
            el = [chemical_symbols[z] for z in pd.elements]
            for a in range(len(el)):
                for b in range(a, len(el)):
                    cols.append(f"g_{el[a]}{el[b]}")
                    data.append(pd.partials[:, a, b].mean(0))
            return cols, torch.stack(data, 1).detach().cpu().numpy(), notes
        if args.partials:
            raise InputError("--partials is for --kind gr")
        y = kind.compute(structures, r, smearing=sigma).mean(0)
        return list(kind.columns), torch.stack([r, y], 1).detach().cpu().numpy(), notes
    if kind.x_name == "theta":
        if args.cutoff is None:
            raise InputError(f"--kind {kind.name} needs --cutoff (neighbour cutoff in Å)")
        grid = _grid(kind, None, None, args.dtheta)
        sigma = kind.smearing if args.sigma is None else args.sigma
        theta = grid.values(device=args.device)
        y = kind.compute(structures, theta, smearing=sigma, cutoff=args.cutoff).mean(0)
        notes += [f"cutoff_A: {args.cutoff}", f"cutoff_width_A: {kind.cutoff_width}", f"sigma_deg: {sigma}"]
        return list(kind.columns), torch.stack([theta, y], 1).detach().cpu().numpy(), notes
    if kind.x_name == "index":
        grid = kind.default_grid(device=args.device)
        sigma = args.sigma
        y = kind.compute(structures, grid, smearing=sigma).mean(0)
        notes += ["surrogate: data/models/xanes_ac_surrogate (mean over C absorbers)",
                  "grid: index 0..99 (the computed training spectra give no energy axis; docs/conventions.md)",
                  f"broadening_index: {sigma or 0}"]
        return list(kind.columns), torch.stack([grid, y], 1).detach().cpu().numpy(), notes
    structures.require_periodic("S(Q)")
    grid = _grid(kind, args.qmin, args.qmax, args.dq)
    q = grid.values(device=args.device)
    cutoff = SQ_CUTOFF if args.cutoff is None else args.cutoff
    window = None if args.no_lorch else "lorch"
    y = kind.compute(structures, q, cutoff=cutoff, window=window).mean(0)
    notes += [f"radiation: {kind.radiation}", f"debye_cutoff_A: {cutoff}", f"window: {window}",
              "convention: Faber-Ziman S(Q); F(Q) = Q[S(Q) - 1] (docs/conventions.md)"]
    return list(kind.columns), torch.stack([q, y], 1).detach().cpu().numpy(), notes


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
