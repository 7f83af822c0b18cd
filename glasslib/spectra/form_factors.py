"""Scattering weights: X-ray atomic form factors f₀ and neutron coherent scattering lengths b_c.

X-rays
    f₀(s) from the Waasmaier–Kirfel analytic fit (D. Waasmaier & A. Kirfel, Acta Cryst. A51,
    416 (1995)) as tabulated in xraydb, ``f₀(s) = c + Σ_{i=1..5} a_i exp(−b_i s²)``, in electrons.
    The fit variable is **s = sin θ / λ = Q / 4π** (Å⁻¹), not Q: ``xraydb.f0(ion, q)`` documents
    its argument as ``q = sin(theta)/lambda``. The fit is valid for s ≤ 6 Å⁻¹ (Q ≤ 75 Å⁻¹).
    f₀(0) ≈ Z for neutral atoms. Anomalous terms f′, f″ are not included.

Neutrons
    Bound coherent scattering lengths b_c in fm (10⁻¹⁵ m) from periodictable (natural isotopic
    abundance unless an isotope or value is given). 1 barn = 100 fm², so a cross-section computed
    with b in fm is divided by 100 to give barn.

Both are returned as torch tensors with the dtype and device of the Q grid; the tables are
read once per (element, Q grid) through a small ``lru_cache`` of numpy arrays.
"""

from __future__ import annotations

import functools
import re
from typing import Mapping, Sequence

import numpy as np
import torch
import periodictable as pt
import xraydb
from ase.data import atomic_numbers, chemical_symbols

from glasslib.core.errors import InputError

RADIATIONS = ("xray", "neutron")

#: fm² per barn (1 barn = 10⁻²⁸ m² = 100 fm²)
FM2_PER_BARN = 100.0

_ISOTOPE_PATTERNS = (
    re.compile(r"^(?P<sym>[A-Z][a-z]?)\[(?P<a>\d+)\]$"),  # H[2], Si[29]
    re.compile(r"^(?P<a>\d+)(?P<sym>[A-Z][a-z]?)$"),  # 2H, 29Si
    re.compile(r"^(?P<sym>[A-Z][a-z]?)-?(?P<a>\d+)$"),  # H2, Si-29
)


def element_symbol(z: int) -> str:
    """Chemical symbol of atomic number ``z`` (``"Z=<z>"`` when unknown)."""
    z = int(z)
    return chemical_symbols[z] if 0 < z < len(chemical_symbols) else f"Z={z}"


def atomic_number(element: int | str) -> int:
    """Atomic number of a symbol (``"Si"``) or an int; :class:`InputError` when unknown."""
    if isinstance(element, str):
        if element not in atomic_numbers or atomic_numbers[element] == 0:
            raise InputError(f"unknown element {element!r}")
        return int(atomic_numbers[element])
    z = int(element)
    if not 1 <= z <= 118:
        raise InputError(f"unknown element with atomic number {z}")
    return z


def normalize_radiation(radiation: str) -> str:
    """``"xray"`` or ``"neutron"`` (also accepts ``"x"``, ``"x-ray"``, ``"n"``)."""
    r = str(radiation).lower().replace("-", "").replace("_", "")
    if r in ("xray", "x"):
        return "xray"
    if r in ("neutron", "neutrons", "n"):
        return "neutron"
    raise InputError(f"unknown radiation {radiation!r}; expected 'xray' or 'neutron'")


# ----------------------------------------------------------------------- X-rays
@functools.lru_cache(maxsize=256)
def _f0_table(z: int, s_values: tuple[float, ...]) -> np.ndarray:

    try:
        return np.asarray(xraydb.f0(int(z), np.asarray(s_values, dtype=np.float64)), dtype=np.float64)
    except ValueError:
        raise InputError(
            f"no X-ray form factor (Waasmaier-Kirfel table) for element {element_symbol(z)} (Z={z})"
        ) from None


def xray_form_factors(elements: Sequence[int | str], q: torch.Tensor) -> torch.Tensor:
    """Waasmaier–Kirfel f₀ of each element on the grid ``q`` (Å⁻¹), evaluated at s = Q/4π.

    Args:
        elements: atomic numbers or symbols (E of them).
        q: (Q,) momentum transfer Q = 4π sin θ / λ, Å⁻¹.

    Returns:
        (E, Q) tensor, electrons, dtype/device of ``q`` (a constant: no gradient w.r.t. Q).
    """
    q = torch.as_tensor(q)
    if q.ndim != 1:
        raise InputError(f"Q grid must be one-dimensional, got shape {tuple(q.shape)}")
    dtype = q.dtype if q.is_floating_point() else torch.float64
    s = tuple(float(v) / (4.0 * np.pi) for v in q.detach().cpu().double().tolist())
    rows = [_f0_table(atomic_number(e), s) for e in elements]
    table = np.stack(rows) if rows else np.zeros((0, len(s)))
    return torch.as_tensor(table, dtype=dtype, device=q.device)


# --------------------------------------------------------------------- neutrons
def _isotope_b(spec: str) -> float:

    if spec in ("D", "T"):
        iso = getattr(pt, spec)
    else:
        for pat in _ISOTOPE_PATTERNS:
            m = pat.match(spec)
            if m:
                try:
                    el = pt.elements.symbol(m.group("sym"))
                    iso = el[int(m.group("a"))]
                except (ValueError, KeyError):
                    raise InputError(f"unknown isotope {spec!r}") from None
                break
        else:
            try:
                iso = pt.elements.symbol(spec)
            except ValueError:
                raise InputError(f"unknown isotope {spec!r} (use e.g. 'D', 'H[2]' or '29Si')") from None
    b = iso.neutron.b_c
    if b is None:
        raise InputError(f"no neutron coherent scattering length for isotope {spec!r}")
    return float(b)


def _b_c(z: int) -> float:

    b = pt.elements[int(z)].neutron.b_c
    if b is None:
        raise InputError(
            f"no neutron coherent scattering length (periodictable) for element {element_symbol(z)} (Z={z})"
        )
    return float(b)


def neutron_scattering_lengths(
    elements: Sequence[int | str],
    *,
    isotopes: Mapping[int | str, str | float] | None = None,
    dtype: torch.dtype = torch.float64,
    device=None,
) -> torch.Tensor:
    """Bound coherent scattering lengths b_c (fm) of each element (natural abundance).

    Args:
        elements: atomic numbers or symbols.
        isotopes: optional override per element (key Z or symbol): an isotope name
            (``"D"``, ``"H[2]"``, ``"2H"``, ``"29Si"``) or a number in fm (e.g. an H/D mixture).

    Returns:
        (E,) tensor, fm.
    """
    over = {}
    for key, val in (isotopes or {}).items():
        z = atomic_number(key)
        if isinstance(val, str):
            over[z] = _isotope_b(val)
        else:
            try:
                over[z] = float(val)
            except (TypeError, ValueError):
                raise InputError(
                    f"isotope override for {element_symbol(z)} must be a name or a number in fm, got {val!r}"
                ) from None
            if not np.isfinite(over[z]):
                raise InputError(f"isotope override for {element_symbol(z)} is not finite")
    values = []
    for e in elements:
        z = atomic_number(e)
        values.append(over[z] if z in over else _b_c(z))
    return torch.tensor(values, dtype=dtype, device=device)


def scattering_weights(
    elements: Sequence[int | str],
    q: torch.Tensor,
    radiation: str = "xray",
    *,
    isotopes: Mapping[int | str, str | float] | None = None,
) -> torch.Tensor:
    """(E, Q) scattering weight of each element: f₀(Q/4π) in electrons (X-ray) or b_c in fm (neutron)."""
    radiation = normalize_radiation(radiation)
    q = torch.as_tensor(q)
    if radiation == "xray":
        if isotopes:
            raise InputError("isotope overrides apply to neutrons only")
        return xray_form_factors(elements, q)
    dtype = q.dtype if q.is_floating_point() else torch.float64
    b = neutron_scattering_lengths(elements, isotopes=isotopes, dtype=dtype, device=q.device)
    return b[:, None].expand(len(b), q.shape[-1]).contiguous()


def mean_weight(concentrations: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """⟨f⟩ = Σ_α c_α f_α: (S, E) concentrations × (E, Q) weights → (S, Q)."""
    return concentrations.to(weights.dtype) @ weights
