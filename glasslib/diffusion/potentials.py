"""Classical potentials as differentiable torch energies, for the optional physics term of sampling.

GLASS itself needs no potential: the prior and the spectra define the samples. Related codes add
the force of a classical potential, evaluated on the denoised estimate, to the score (glass-epsr
with a Tersoff term); :func:`glasslib.diffusion.guidance.with_potential_guidance` does that here as
an *option*, so that its effect can be measured against the prior alone. This module holds the
energies it uses. Each reads the same LAMMPS parameter file that made the training sets
(``data/potentials/lammps/``), so there is one definition of the parameters.

Stillinger–Weber (Stillinger & Weber, Phys. Rev. B 31, 5262 (1985); LAMMPS ``pair_style sw``,
whose file format and functional form are followed exactly):

    E = Σ_{i<j} φ₂(r_ij) + Σ_i Σ_{j<k} φ₃(r_ij, r_ik, θ_jik),

    φ₂(r) = A ε [B (σ/r)^p − (σ/r)^q] exp(σ / (r − aσ)),
    φ₃ = λ ε (cos θ_jik − cos θ₀)² exp(γσ / (r_ij − aσ)) exp(γσ / (r_ik − aσ)),

both zero beyond the cutoff aσ (where every derivative vanishes too), energies in eV, lengths in Å.

Tersoff (Tersoff, Phys. Rev. B 37, 6991 (1988); LAMMPS ``pair_style tersoff``, same file format and form):

    E = ½ Σ_i Σ_{j≠i} f_C(r_ij) [A exp(−λ₁ r_ij) − b_ij B exp(−λ₂ r_ij)],
    b_ij = (1 + (β ζ_ij)^n)^(−1/2n),   ζ_ij = Σ_{k≠i,j} f_C(r_ik) g(θ_ijk) exp(λ₃^m (r_ij − r_ik)^m),
    g(θ) = γ (1 + c²/d² − c² / (d² + (cos θ − cos θ₀)²)),
    f_C(r) = 1 below R − D, ½ − ½ sin(π/2 (r − R)/D) up to R + D, 0 beyond,

with b_ij evaluated through LAMMPS's branches at very small and very large βζ (their asymptotic forms,
which also keep the gradient finite where ζ = 0).

Stillinger–Weber and Tersoff: single-element interactions only, the entry X-X-X of one element (Si.sw;
C from SiC.tersoff); a file is read for the element asked for, or for its only element, and
mixed-element interactions are refused. Vashishta (:class:`Vashishta`, LAMMPS ``pair_style
vashishta``): every element of the file, pairs and angles of mixed species included (SiO.1990.vashishta,
the SiO₂ training sets' potential).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from ase.data import atomic_numbers, chemical_symbols

from glasslib.core.errors import InputError
from glasslib.core.geometry import neighbor_pairs
from glasslib.core.structures import Structures

#: LAMMPS sw file: 3 element names then these 11 numbers per entry
SW_FIELDS = ("epsilon", "sigma", "a", "lambda_", "gamma", "costheta0", "A", "B", "p", "q", "tol")
#: LAMMPS tersoff file: 3 element names then these 14 numbers per entry
TERSOFF_FIELDS = ("m", "gamma", "lambda3", "c", "d", "costheta0", "n", "beta", "lambda2", "B", "R", "D", "lambda1", "A")


@dataclass(frozen=True)
class StillingerWeberParameters:
    """One element's Stillinger–Weber parameters as LAMMPS reads them (eV, Å, dimensionless)."""

    element: str
    epsilon: float
    sigma: float
    a: float
    lambda_: float
    gamma: float
    costheta0: float
    A: float
    B: float
    p: float
    q: float
    tol: float = 0.0

    @property
    def cutoff(self) -> float:
        """aσ, Å: both terms vanish beyond it."""
        return self.a * self.sigma


def _read_entries(path: str | os.PathLike, n_numbers: int, kind: str) -> tuple[Path, list[tuple[tuple[str, str, str], list[float]]]]:
    """Every entry of a LAMMPS many-body parameter file (``#`` comments; entries of 3 element names
    and ``n_numbers`` numbers, free across lines), in file order: ((e1, e2, e3), numbers).
    InputError naming the file when it is missing or malformed."""
    p = Path(path).expanduser()
    try:
        text = p.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise InputError(f"cannot read {kind} file ({exc.__class__.__name__}: {why})", p) from None
    words = [w for line in text.splitlines() for w in line.split("#", 1)[0].split()]
    entry = 3 + n_numbers
    if not words or len(words) % entry:
        raise InputError(f"not a {kind} file: expected entries of 3 element names and {n_numbers} numbers, "
                         f"found {len(words)} words", p)
    entries = []
    for k in range(0, len(words), entry):
        row = words[k:k + entry]
        try:
            values = [float(v) for v in row[3:]]
        except ValueError:
            raise InputError(f"{kind} entry {' '.join(row[:3])} has a non-numeric parameter", p) from None
        if not all(math.isfinite(v) for v in values):
            raise InputError(f"{kind} parameters must be finite", p)
        entries.append((tuple(row[:3]), values))
    return p, entries


def _one_element_entry(path: str | os.PathLike, n_numbers: int, kind: str, element: str | None) -> tuple[Path, str, list[float]]:
    """The entry X-X-X of ``element`` (or of the file's only element) of a LAMMPS many-body
    parameter file (:func:`_read_entries`). InputError naming the file when there is none."""
    p, entries = _read_entries(path, n_numbers, kind)
    elements = sorted({e for names, _ in entries for e in names})
    if element is None:
        if len(elements) != 1:
            raise InputError(f"this {kind} file has the elements {elements}: name the one to use "
                             f"(only single-element interactions are supported)", p)
        element = elements[0]
    rows = [values for names, values in entries if names == (element,) * 3]
    if not rows:
        raise InputError(f"no {element}-{element}-{element} entry in this {kind} file (it has {elements})", p)
    return p, element, rows[-1]  # LAMMPS keeps the last entry of a triplet


def read_sw_file(path: str | os.PathLike, element: str | None = None) -> StillingerWeberParameters:
    """The Stillinger–Weber parameters of ``element`` (or of the file's only element) in a LAMMPS
    ``.sw`` file. InputError naming the file when it is missing or malformed."""
    p, element, values = _one_element_entry(path, len(SW_FIELDS), "Stillinger-Weber", element)
    params = StillingerWeberParameters(element, *values)
    if not (params.epsilon > 0 and params.sigma > 0 and params.a > 0):
        raise InputError("Stillinger-Weber epsilon, sigma and a must be positive", p)
    return params


def _triplets(i: torch.Tensor, n_atoms: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairs (p, q), p < q, of a full neighbour list sorted by centre ``i`` that share their centre:
    every unordered pair of bonds of each atom once. (T,) indices into the pair list."""
    counts = torch.bincount(i, minlength=n_atoms)
    first = torch.cumsum(counts, 0) - counts  # index of each centre's first pair
    local = torch.arange(i.shape[0], device=i.device) - first[i]  # position of a pair within its centre
    later = counts[i] - local - 1  # partners after it
    p = torch.repeat_interleave(torch.arange(i.shape[0], device=i.device), later)
    start = torch.cumsum(later, 0) - later
    q = p + 1 + (torch.arange(p.shape[0], device=i.device) - start[p])
    return p, q


class _OneElementPotential:
    """A torch energy of one element's parameters: ``energy(structures)`` → (S,) eV, differentiable
    w.r.t. positions (and cell) in the structures' dtype and device.

    Args:
        params: the parameters, or a path to a LAMMPS parameter file of the subclass's kind.
        element: the element to read from that file (None: its only element).
    """

    kind: str
    fields: tuple[str, ...]
    #: whether one energy covers cells of several elements
    multi_element = False

    def __init__(self, params, element: str | None = None):
        self.params = params if not isinstance(params, (str, os.PathLike)) else self.read(params, element)

    #: (path, element) -> parameters: the subclass's file reader
    read: staticmethod

    @property
    def elements(self) -> tuple[str, ...]:
        return (self.params.element,)

    def describe(self) -> dict:
        return {"kind": self.kind, **{k: getattr(self.params, k) for k in ("element", *self.fields)}}


class StillingerWeber(_OneElementPotential):
    """Stillinger–Weber energy (module docstring) of :class:`StillingerWeberParameters` or a ``.sw`` file."""

    kind, fields = "stillinger-weber", SW_FIELDS
    read = staticmethod(read_sw_file)

    def __call__(self, structures: Structures) -> torch.Tensor:
        c = self.params
        rc = c.cutoff
        pairs = neighbor_pairs(structures, rc, full=True)
        d, vec = pairs.distances, pairs.vectors
        # (r - aσ) < 0 inside the cutoff; pairs at the cutoff itself (rounding) get exp(-inf) = 0
        gap = torch.clamp(d - rc, max=-1e-12)
        s_over_r = c.sigma / d
        two = c.A * c.epsilon * (c.B * s_over_r**c.p - s_over_r**c.q) * torch.exp(c.sigma / gap)
        # full list: each unordered pair twice
        energy = torch.zeros(structures.n_systems, dtype=d.dtype, device=d.device).index_add_(0, pairs.system, 0.5 * two)
        p, q = _triplets(pairs.i, structures.n_atoms)
        if p.numel():
            radial = torch.exp(c.gamma * c.sigma / gap)
            cos = (vec[p] * vec[q]).sum(-1) / (d[p] * d[q])
            three = c.lambda_ * c.epsilon * (cos - c.costheta0) ** 2 * radial[p] * radial[q]
            energy = energy.index_add(0, pairs.system[p], three)
        return energy


@dataclass(frozen=True)
class TersoffParameters:
    """One element's Tersoff parameters as LAMMPS reads them (eV, Å, dimensionless)."""

    element: str
    m: float
    gamma: float
    lambda3: float
    c: float
    d: float
    costheta0: float
    n: float
    beta: float
    lambda2: float
    B: float
    R: float
    D: float
    lambda1: float
    A: float

    @property
    def cutoff(self) -> float:
        """R + D, Å."""
        return self.R + self.D


def read_tersoff_file(path: str | os.PathLike, element: str | None = None) -> TersoffParameters:
    """The Tersoff parameters of ``element`` (or of the file's only element) in a LAMMPS
    ``.tersoff`` file. InputError naming the file when it is missing or malformed."""
    p, element, values = _one_element_entry(path, len(TERSOFF_FIELDS), "Tersoff", element)
    params = TersoffParameters(element, *values)
    if not (params.n > 0 and params.D > 0 and params.R > params.D and params.d != 0 and params.m in (1.0, 3.0)):
        raise InputError("Tersoff parameters need n > 0, R > D > 0, d != 0 and m = 1 or 3", p)
    return params


def _tersoff_bond_order(zeta: torch.Tensor, beta: float, n: float) -> torch.Tensor:
    """b = (1 + (βζ)^n)^(−1/2n) by LAMMPS's branches (``ters_bij``): the asymptotic forms where βζ is
    very large or very small, so that the value matches LAMMPS and the gradient stays finite at ζ = 0."""
    c1 = (2.0 * n * 1.0e-16) ** (-1.0 / n)
    c2 = (2.0 * n * 1.0e-8) ** (-1.0 / n)
    c3, c4 = 1.0 / c2, 1.0 / c1
    tmp = beta * zeta
    safe = tmp.clamp(min=c4)  # only the branches that use tmp^(±n) see it; keeps pow away from 0
    large = safe.rsqrt()
    mid_high = (1.0 - safe.pow(-n) / (2.0 * n)) * safe.rsqrt()
    mid_low = 1.0 - safe.pow(n) / (2.0 * n)
    full = (1.0 + safe.pow(n)).pow(-1.0 / (2.0 * n))
    return torch.where(tmp > c1, large, torch.where(tmp > c2, mid_high, torch.where(
        tmp < c4, torch.ones_like(tmp), torch.where(tmp < c3, mid_low, full))))


class Tersoff(_OneElementPotential):
    """Tersoff energy (module docstring) of :class:`TersoffParameters` or a ``.tersoff`` file."""

    kind, fields = "tersoff", TERSOFF_FIELDS
    read = staticmethod(read_tersoff_file)

    def _cutoff_function(self, r: torch.Tensor) -> torch.Tensor:
        c = self.params
        mid = 0.5 - 0.5 * torch.sin(0.5 * math.pi * (r - c.R) / c.D)
        return torch.where(r < c.R - c.D, torch.ones_like(r), torch.where(r > c.R + c.D, torch.zeros_like(r), mid))

    def __call__(self, structures: Structures) -> torch.Tensor:
        c = self.params
        pairs = neighbor_pairs(structures, c.cutoff, full=True)
        d, vec = pairs.distances, pairs.vectors
        fc = self._cutoff_function(d)
        p, q = _triplets(pairs.i, structures.n_atoms)
        j_side, k_side = torch.cat([p, q]), torch.cat([q, p])  # ordered (ij, ik), k ≠ j
        cos = (vec[j_side] * vec[k_side]).sum(-1) / (d[j_side] * d[k_side])
        g = c.gamma * (1.0 + c.c**2 / c.d**2 - c.c**2 / (c.d**2 + (cos - c.costheta0) ** 2))
        arg = c.lambda3 * (d[j_side] - d[k_side])
        expo = torch.exp((arg**3 if c.m == 3.0 else arg).clamp(-69.0776, 69.0776))  # LAMMPS's bounds
        zeta = torch.zeros_like(d).index_add(0, j_side, fc[k_side] * g * expo)
        b = _tersoff_bond_order(zeta, c.beta, c.n)
        pair_energy = fc * (c.A * torch.exp(-c.lambda1 * d) - b * c.B * torch.exp(-c.lambda2 * d))
        energy = torch.zeros(structures.n_systems, dtype=d.dtype, device=d.device)
        return energy.index_add(0, pairs.system, 0.5 * pair_energy)


#: LAMMPS vashishta file: 3 element names then these 14 numbers per entry
VASHISHTA_FIELDS = ("H", "eta", "Zi", "Zj", "lambda1", "D", "lambda4", "W", "rc", "B", "gamma", "r0", "C",
                    "costheta0")
#: e²/(4πε₀) in eV·Å as LAMMPS's ``metal`` units define it (its ``qqr2e``, the unit of the files' charges;
#: tests/test_potentials.py reads it back from the installed LAMMPS)
LAMMPS_METAL_QQR2E = 14.399645


@dataclass(frozen=True)
class VashishtaParameters:
    """The Vashishta entries among ``elements`` as LAMMPS reads them: ``entries[(e1, e2, e3)]`` maps
    :data:`VASHISHTA_FIELDS` to values (eV, Å, |e|). Pair e1-e2 uses entry (e1, e2, e2); the angle
    e2-e1-e3 centred on e1 uses B, C, cos θ₀ of (e1, e2, e3) and γ, r₀ of (e1, e2, e2) and (e1, e3, e3)."""

    elements: tuple[str, ...]
    entries: dict

    def entry(self, a: str, b: str, c: str) -> dict:
        return self.entries[(a, b, c)]


def read_vashishta_file(path: str | os.PathLike, elements=None) -> VashishtaParameters:
    """The parameters of ``elements`` (None: all of the file's) in a LAMMPS ``.vashishta`` file.

    As LAMMPS does, every triplet of those elements needs exactly one entry, and no parameter but
    the charges and cos θ₀ may be negative. The three-body parameters of (a, b, c) and (a, c, b)
    must agree (LAMMPS takes whichever order its neighbour list gives; every published file is
    symmetric). InputError naming the file otherwise."""
    p, entries = _read_entries(path, len(VASHISHTA_FIELDS), "Vashishta")
    in_file = sorted({e for names, _ in entries for e in names})
    wanted = tuple(in_file if elements is None else ([elements] if isinstance(elements, str) else elements))
    missing = [e for e in wanted if e not in in_file]
    if missing:
        raise InputError(f"no Vashishta parameters for {missing} in this file (it has {in_file})", p)
    table: dict = {}
    for names, values in entries:
        if all(e in wanted for e in names):
            if names in table:
                raise InputError(f"Vashishta file has two entries for {'-'.join(names)}", p)
            entry = dict(zip(VASHISHTA_FIELDS, values))
            negative = [k for k, v in entry.items() if v < 0 and k not in ("Zi", "Zj", "costheta0")]
            if negative:
                raise InputError(f"Vashishta entry {'-'.join(names)} has negative {', '.join(negative)}", p)
            table[names] = entry
    for a in wanted:
        for b in wanted:
            for c in wanted:
                if (a, b, c) not in table:
                    raise InputError(f"Vashishta file has no entry for {a}-{b}-{c}", p)
                if any(table[(a, b, c)][k] != table[(a, c, b)][k] for k in ("B", "C", "costheta0")):
                    raise InputError(f"three-body parameters of {a}-{b}-{c} and {a}-{c}-{b} differ "
                                     f"(only symmetric files are supported)", p)
    return VashishtaParameters(wanted, table)


class Vashishta:
    """Vashishta energy (Vashishta et al., Phys. Rev. B 41, 12197 (1990); LAMMPS ``pair_style
    vashishta``, same file format and form) of :class:`VashishtaParameters` or a ``.vashishta`` file,
    for cells of any of its elements:

        E = ½ Σ_i Σ_{j≠i} U₂(r_ij) + Σ_i Σ_{j<k} U₃(r_ij, r_ik, θ_jik),

        V(r) = H / r^η + q Z_i Z_j e^(−r/λ₁) / r − D e^(−r/λ₄) / r⁴ − W / r⁶,
        U₂(r) = V(r) − V(r_c) − (r − r_c) V′(r_c) for r < r_c (zero value and force at r_c),
        U₃ = B exp(γ_ij / (r_ij − r₀,ij) + γ_ik / (r_ik − r₀,ik)) (cos θ − cos θ₀)² / (1 + C (cos θ − cos θ₀)²)
             for r_ij, r_ik < r₀,

    with q = :data:`LAMMPS_METAL_QQR2E` (eV Å), 1/λ = 0 where λ = 0, and the entries of
    :class:`VashishtaParameters`. ``energy(structures)`` → (S,) eV, differentiable w.r.t. positions;
    InputError when a structure holds an element the parameters lack.
    """

    kind = "vashishta"
    multi_element = True

    def __init__(self, params, elements=None):
        self.params = params if isinstance(params, VashishtaParameters) else read_vashishta_file(params, elements)
        els = self.params.elements
        n = len(els)
        keys = ("H", "eta", "q", "inv1", "D", "inv4", "W", "rc", "gamma", "r0", "shift", "slope")
        pair = {k: torch.zeros(n, n, dtype=torch.float64) for k in keys}
        three = {k: torch.zeros(n, n, n, dtype=torch.float64) for k in ("B", "C", "costheta0")}
        for a, ea in enumerate(els):
            for b, eb in enumerate(els):
                e = self.params.entry(ea, eb, eb)
                values = {"H": e["H"], "eta": e["eta"], "q": LAMMPS_METAL_QQR2E * e["Zi"] * e["Zj"],
                          "inv1": 1.0 / e["lambda1"] if e["lambda1"] else 0.0, "D": e["D"],
                          "inv4": 1.0 / e["lambda4"] if e["lambda4"] else 0.0, "W": e["W"], "rc": e["rc"],
                          "gamma": e["gamma"], "r0": e["r0"]}
                if e["rc"] > 0:
                    rc = torch.tensor(e["rc"], dtype=torch.float64, requires_grad=True)
                    v = self._v(rc, *(torch.tensor(values[k], dtype=torch.float64) for k in keys[:7]))
                    (dv,) = torch.autograd.grad(v, rc)
                    values["shift"], values["slope"] = float(v.detach()), float(dv)
                for key, value in values.items():
                    pair[key][a, b] = value
                for c, ec in enumerate(els):
                    for key in three:
                        three[key][a, b, c] = self.params.entry(ea, eb, ec)[key]
        self._pair, self._three = pair, three
        self._on: dict = {}  # (dtype, device) -> (pair, three) tables there
        self.cutoff = max(float(pair["rc"].max()), float(pair["r0"].max()))
        self._numbers = torch.tensor([atomic_numbers[e] for e in els])

    @property
    def elements(self) -> tuple[str, ...]:
        return self.params.elements

    def describe(self) -> dict:
        return {"kind": self.kind, "elements": list(self.elements),
                "entries": {"-".join(k): v for k, v in self.params.entries.items()}}

    @staticmethod
    def _v(r, H, eta, q, inv1, D, inv4, W):
        """V(r), eV (class docstring), elementwise."""
        return H * r.pow(-eta) + q * torch.exp(-r * inv1) / r - D * torch.exp(-r * inv4) / r**4 - W / r**6

    def _element_index(self, structures: Structures) -> torch.Tensor:
        numbers = self._numbers.to(structures.species.device)
        match = structures.species[:, None] == numbers[None, :]
        if not bool(match.any(dim=1).all()):
            extra = sorted({chemical_symbols[int(z)] for z in structures.species[~match.any(dim=1)].tolist()})
            raise InputError(f"the Vashishta parameters cover {list(self.elements)}, not {extra}")
        return match.to(torch.long).argmax(dim=1)

    def _tables(self, dtype, device) -> tuple[dict, dict]:
        """The pair and three-body tables in ``dtype`` on ``device`` (moved once, then reused)."""
        key = (dtype, str(device))
        if key not in self._on:
            self._on[key] = tuple({k: v.to(dtype=dtype, device=device) for k, v in t.items()}
                                  for t in (self._pair, self._three))
        return self._on[key]

    def __call__(self, structures: Structures) -> torch.Tensor:
        el = self._element_index(structures)
        P, three = self._tables(structures.dtype, structures.device)
        pairs = neighbor_pairs(structures, self.cutoff, full=True)
        d, vec = pairs.distances, pairs.vectors
        a, b = el[pairs.i], el[pairs.j]
        energy = torch.zeros(structures.n_systems, dtype=d.dtype, device=d.device)
        rc = P["rc"][a, b]
        inside = d <= rc
        if bool(inside.any()):
            k = inside.nonzero().squeeze(1)
            ak, bk, dk = a[k], b[k], d[k]
            v = self._v(dk, *(P[n][ak, bk] for n in ("H", "eta", "q", "inv1", "D", "inv4", "W")))
            u2 = v - P["shift"][ak, bk] - (dk - rc[k]) * P["slope"][ak, bk]
            energy = energy.index_add(0, pairs.system[k], 0.5 * u2)  # full list: each pair twice
        r0 = P["r0"][a, b]
        legs = (d < r0).nonzero().squeeze(1)  # bonds that form angles, still sorted by centre
        if legs.numel() > 1:
            p, q = _triplets(pairs.i[legs], structures.n_atoms)
            if p.numel():
                lp, lq = legs[p], legs[q]
                gap = torch.clamp(d[legs] - r0[legs], max=-1e-12)
                radial = P["gamma"][a[legs], b[legs]] / gap
                cos = (vec[lp] * vec[lq]).sum(-1) / (d[lp] * d[lq])
                T = {k: v[a[lp], b[lp], b[lq]] for k, v in three.items()}
                delta2 = (cos - T["costheta0"]) ** 2
                u3 = T["B"] * torch.exp(radial[p] + radial[q]) * delta2 / (1.0 + T["C"] * delta2)
                energy = energy.index_add(0, pairs.system[lp], u3)
        return energy


#: file extension -> torch energy
POTENTIALS = {".sw": StillingerWeber, ".tersoff": Tersoff, ".vashishta": Vashishta}


def load_potential(path: str | os.PathLike, elements=None):
    """The torch energy of a LAMMPS parameter file, chosen by its extension (:data:`POTENTIALS`:
    ``.sw`` Stillinger–Weber, ``.tersoff`` Tersoff, ``.vashishta`` Vashishta), for ``elements``: an
    element or a sequence of them, the cell's (None: the file's only element, or all of a Vashishta
    file's). InputError naming the file for any other kind, and for several elements with a kind of
    which only single-element interactions exist here."""
    p = Path(path).expanduser()
    kind = POTENTIALS.get(p.suffix.lower())
    if kind is None:
        raise InputError("no differentiable version of this potential: only Stillinger-Weber (.sw), Tersoff "
                         "(.tersoff) and Vashishta (.vashishta) files are supported", p)
    if kind.multi_element or elements is None or isinstance(elements, str):
        return kind(p, elements)
    elements = sorted(set(elements))
    if len(elements) != 1:
        raise InputError(f"the {kind.kind} term supports single-element cells only; this cell has {elements}", p)
    return kind(p, elements[0])


__all__ = ["StillingerWeber", "StillingerWeberParameters", "Tersoff", "TersoffParameters", "Vashishta",
           "VashishtaParameters", "POTENTIALS", "LAMMPS_METAL_QQR2E", "read_sw_file", "read_tersoff_file",
           "read_vashishta_file", "load_potential"]
