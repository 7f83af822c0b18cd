"""``glass spectra``: spectra of structures, averaged over all given structures and frames.

Example::

    glass spectra a.xyz b.xyz --kind sq-neutron --qmin 0.5 --qmax 20 --dq 0.02 --out sq.csv
    glass spectra a.xyz --kind gr --r-max 8 --smearing 0.05 --out gr.csv --force   # replace gr.csv
    glass spectra glass.dat --species-map 1=O,2=Si --kind gr --partials --out gr.csv
    glass spectra aC.extxyz --kind xanes --out xanes.csv    # C K-edge XANES (learned surrogate, index grid)
    glass spectra cuzr.extxyz --kind exafs --out exafs.csv  # Cu K-edge k²χ(k) (learned surrogate, k grid)
    glass spectra cu_np.xyz --cluster --kind sq-xray --out sq.csv   # finite cluster: Debye sum, all pairs

Every structure must be periodic unless ``--cluster`` is given; ``--cluster`` takes every
structure as a finite cluster (no periodic images, the cell ignored). Cluster mode never
starts by itself, so an .xyz of a bulk glass that lost its cell is an error, not a
nanoparticle. In cluster mode sq-*/fq-* are the Debye sum over all pairs, Gr is the cluster
PDF, adf uses no images; gr, xanes and exafs are refused (docs/conventions.md, "Cluster mode").

The CSV starts with ``#`` lines (command, inputs, mode, conventions) and a header row naming
each column with its unit (the kind's columns, :data:`glasslib.spectra.kinds.KINDS`); it is
written atomically, so a failed run leaves no file behind. An existing ``--out`` file is refused
unless ``--force``. ``--sigma`` and ``--rmax`` are deprecated spellings of ``--smearing`` and
``--r-max``.
"""

from __future__ import annotations

import io
import shlex
import sys
from pathlib import Path

import numpy as np
import torch
from ase.data import chemical_symbols

from glasslib.cli.options import add_deprecated, add_force, parse_species_map, refuse_existing
from glasslib.core.atomic_io import atomic_write_text
from glasslib.core.errors import InputError
from glasslib.core.structures import Structures, concatenate, read_structures
from glasslib.spectra import exafs_surrogate, xanes_surrogate
from glasslib.spectra.kinds import KINDS, SQ_CUTOFF, Grid, SpectrumKind
from glasslib.spectra.rdf import pair_distribution
from glasslib.spectra.scattering import cluster_pdf, structure_factor

#: why a kind is refused in cluster mode, by quantity (a kind whose quantity is not in
#: CLUSTER_QUANTITIES and not listed here is refused with a generic reason)
CLUSTER_REFUSED = {
    "gr": "g(r) is normalised by the bulk number density, which a cluster does not have; "
          "use --kind Gr for the cluster PDF",
    "xanes": "the XANES surrogate was trained on periodic bulk a-C; surface atoms of a cluster lie outside it",
    "exafs": "the EXAFS surrogate was trained on periodic bulk Cu-Zr glasses; surface atoms of a cluster lie outside it",
}
#: quantities defined for a finite cluster (docs/conventions.md, "Cluster mode")
CLUSTER_QUANTITIES = ("sq", "fq", "Gr", "adf")


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
    p.add_argument("--out", required=True, type=Path, metavar="FILE.csv", help="output CSV (an existing one is refused)")
    add_force(p, "overwrite an existing --out file")
    p.add_argument("--format", default=None, help="ase.io format name, if the extension does not tell")
    p.add_argument("--species-map", default=None, metavar="1=O,2=Si", help="LAMMPS atom type -> element")
    p.add_argument("--cluster", action="store_true",
                   help="cluster mode: take every structure as a finite cluster (no periodic images, the cell "
                        "ignored, positions as stored); required for structures without a periodic cell. "
                        "sq-*/fq-*: Debye sum over all pairs, S(Q) = 1 + (1/N<f>^2) sum_{i!=j} f_i f_j sinc(Q r_ij), "
                        "no window or density term (DebyeCalculator's sq, fq are (S-1)/2, F/2); Gr: cluster PDF "
                        "(1/N) sum_{i!=j} [K(r-r_ij) - K(r+r_ij)]/r_ij, no -4 pi rho0 r term; adf: no images; "
                        "gr, xanes, exafs are refused. The file header states the mode")
    g = p.add_argument_group("real-space grid (gr, Gr)")
    g.add_argument("--r-max", type=float, default=None, metavar="A", help=f"largest r, Å (default {gr.grid.stop:g})")
    add_deprecated(g, "--rmax", "--r-max", "r_max", type=float)
    g.add_argument("--dr", type=float, default=None, help=f"r step and first r, Å (default {gr.grid.step:g})")
    g.add_argument("--smearing", type=float, default=None, metavar="WIDTH",
                   help=f"Gaussian smearing width: Å for gr/Gr (default {gr.smearing:g}), degrees for adf "
                        f"(default {adf.smearing:g}); 0 = histogram; xanes: broadening in grid-index units (default none); "
                        "not for exafs")
    add_deprecated(g, "--sigma", "--smearing", "smearing", type=float)
    g.add_argument("--partials", action="store_true", help="also write every partial g_ab(r)")
    g = p.add_argument_group("angles (adf)")
    g.add_argument("--cutoff", type=float, default=None,
                   help=f"adf: neighbour cutoff, Å (required); S(Q): real-space cutoff of the Debye sum over pairs "
                        f"and periodic images, Å (default {SQ_CUTOFF:g}; not with --cluster: all pairs)")
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


def _check_cluster_kind(kind: SpectrumKind, args) -> None:
    """One-line error naming the first input and the option when ``--kind`` makes no sense for a cluster."""
    if kind.quantity not in CLUSTER_QUANTITIES:
        why = CLUSTER_REFUSED.get(kind.quantity, "it is not defined for a finite cluster")
        raise InputError(f"--kind {kind.name} is not available with --cluster: {why}", args.structures[0])
    if kind.x_name == "Q" and args.cutoff is not None:
        raise InputError("--cutoff does not apply to a cluster's S(Q) (--cluster): the Debye sum runs over all pairs",
                         args.structures[0])


def _xas(kind: SpectrumKind, structures: Structures, args, notes: list[str]) -> tuple[list[str], np.ndarray, list[str]]:
    """XANES (index grid) and EXAFS (k grid, Å⁻¹): the shipped surrogate on the kind's default grid,
    mean over the absorbers; columns and labels are the kind's own (:data:`KINDS`)."""
    g = kind.grid
    x = kind.default_grid(device=args.device)
    if kind.x_name == "index":
        y = kind.compute(structures, x, smearing=args.smearing).mean(0)
        notes += [f"surrogate: data/{xanes_surrogate.SHIPPED.parent.as_posix()} (mean over C absorbers)",
                  f"grid: index {g.start:g}..{g.stop:g} (the computed training spectra give no energy axis; "
                  "docs/conventions.md)", f"smearing_index: {args.smearing or 0}"]
    else:
        if args.smearing:
            raise InputError(f"--smearing does not apply to --kind {kind.name} (its disorder is the structures' own)")
        y = kind.compute(structures, x).mean(0)
        notes += [f"surrogate: data/{exafs_surrogate.SHIPPED.parent.as_posix()} (mean over Cu absorbers)",
                  f"grid_per_A: k {g.start:g} to {g.stop:g} step {g.step:g}",
                  f"convention: {kind.label}: {kind.columns[1]} against {kind.columns[0]} (k in {kind.x_unit} from "
                  "FEFF's edge energy; docs/conventions.md, EXAFS)"]
    return list(kind.columns), torch.stack([x, y], 1).detach().cpu().numpy(), notes


def read_inputs(args, what: str) -> list[Structures]:
    """Every frame of ``args.structures``, one batch per file (float64): periodic structures, or with
    ``args.cluster`` every structure as a finite cluster (:meth:`Structures.as_clusters`). A
    non-periodic structure without ``--cluster`` is a one-line error naming its file, the frame and
    the option (``what`` names the computation). Shared by ``glass spectra`` and ``glass analyze``."""
    species_map = parse_species_map(args.species_map)
    batches = []
    for path in args.structures:
        b = read_structures(path, format=args.format, species_map=species_map, dtype=torch.float64,
                            device=getattr(args, "device", None))
        if not args.cluster and not bool(b.periodic.all()):
            k = int((~b.periodic).nonzero()[0, 0])
            raise InputError(f"structure {k} is not periodic (no periodic cell); {what} uses periodic images: "
                             "give a periodic cell, or pass --cluster to take every structure as a finite cluster", path)
        batches.append(b.as_clusters() if args.cluster else b)
    return batches


def compute(args) -> tuple[list[str], np.ndarray, list[str]]:
    """Columns, data (rows × columns) and extra header lines for the parsed arguments."""
    kind = KINDS[args.kind]
    if args.partials and kind.name != "gr":
        raise InputError(f"--partials is for --kind gr, not {kind.name}")
    if args.cluster:
        _check_cluster_kind(kind, args)
    structures = concatenate(read_inputs(args, f"--kind {kind.name}"))
    notes = [f"structures: {structures.n_systems} (averaged)", f"atoms: {structures.n_atoms}",
             f"kind: {kind.name} ({kind.label})"]
    notes.append("mode: cluster (--cluster: finite clusters, no periodic images, cell ignored, positions as stored)"
                 if args.cluster else "mode: periodic (every periodic image)")
    if kind.x_name == "r":
        grid = _grid(kind, args.dr, args.r_max, args.dr)
        sigma = kind.smearing if args.smearing is None else args.smearing
        notes += [f"grid_A: {grid.start:g} to {grid.stop:g} step {grid.step:g}", f"smearing_A: {sigma}"]
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
        if args.cluster:
            y = cluster_pdf(structures, r, sigma=sigma).mean(0)
            notes += ["convention: cluster PDF G(r) = (1/N) sum_{i!=j} [K_s(r - r_ij) - K_s(r + r_ij)] / r_ij, "
                      "number-weighted, K_s the Gaussian of width smearing_A; the exact sine transform of the cluster "
                      f"F(Q) damped by exp(-sigma^2 Q^2/2) (biso = {4 * np.pi**2 * sigma**2:.6g} A^2); no -4 pi rho0 r "
                      "term (a cluster has no bulk density); DebyeCalculator 1.1.1 gr = G/2 for Qmin -> 0, "
                      "Qmax -> inf (docs/conventions.md)"]
        else:
            y = kind.compute(structures, r, smearing=sigma).mean(0)
        return list(kind.columns), torch.stack([r, y], 1).detach().cpu().numpy(), notes
    if kind.x_name == "theta":
        if args.cutoff is None:
            raise InputError(f"--kind {kind.name} needs --cutoff (neighbour cutoff in Å)")
        grid = _grid(kind, None, None, args.dtheta)
        sigma = kind.smearing if args.smearing is None else args.smearing
        theta = grid.values(device=args.device)
        y = kind.compute(structures, theta, smearing=sigma, cutoff=args.cutoff).mean(0)
        notes += [f"cutoff_A: {args.cutoff}", f"cutoff_width_A: {kind.cutoff_width}", f"smearing_deg: {sigma}"]
        if args.cluster:
            notes.append("convention: angles between neighbours within the cutoff, no periodic images; surface atoms "
                         "count with their own (lower) coordination; normalised to unit area")
        return list(kind.columns), torch.stack([theta, y], 1).detach().cpu().numpy(), notes
    if kind.x_name in ("index", "k"):
        return _xas(kind, structures, args, notes)
    grid = _grid(kind, args.qmin, args.qmax, args.dq)
    q = grid.values(device=args.device)
    if args.cluster:
        sf = structure_factor(structures, q, radiation=kind.radiation, periodic=False)
        y = (sf.s if kind.quantity == "sq" else sf.f).mean(0)
        notes += [f"radiation: {kind.radiation}", "debye_cutoff_A: none (all pairs)", "window: None",
                  "convention: cluster Debye sum S(Q) = 1 + 1/(N<f>^2) sum_{i!=j} f_i f_j sinc(Q r_ij) over all "
                  "pairs, no uniform-density term, the self term i = j is the 1, S(0) ~ N; F(Q) = Q[S(Q) - 1]; "
                  "DebyeCalculator 1.1.1 sq = (S - 1)/2, fq = F/2, iq = (N/2)(<f>^2 (S - 1) + <f^2>) "
                  "(docs/conventions.md)"]
        return list(kind.columns), torch.stack([q, y], 1).detach().cpu().numpy(), notes
    cutoff = SQ_CUTOFF if args.cutoff is None else args.cutoff
    window = None if args.no_lorch else "lorch"
    y = kind.compute(structures, q, cutoff=cutoff, window=window).mean(0)
    notes += [f"radiation: {kind.radiation}", f"debye_cutoff_A: {cutoff}", f"window: {window}",
              "convention: Faber-Ziman S(Q); F(Q) = Q[S(Q) - 1] (docs/conventions.md)"]
    return list(kind.columns), torch.stack([q, y], 1).detach().cpu().numpy(), notes


def run(args) -> int:
    if args.out.exists() and args.out.is_dir():
        raise InputError("output is a directory", args.out)
    refuse_existing([args.out], args.force)
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
    if not args.quiet:
        print(f"wrote {args.out} ({data.shape[0]} rows{', cluster mode' if args.cluster else ''})")
    return 0
