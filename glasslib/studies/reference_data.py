"""The project's measured and reference data that several studies compare with.

Each reader names its file under ``data/`` (provenance in data/PROVENANCE.md) and returns it in the
package's units and conventions.
"""

from __future__ import annotations

from glasslib.core.paths import data_dir, data_path
from glasslib.core.structures import Structures, read_structures
from glasslib.spectra.measured import MeasuredSpectrum, convert, read_columns, read_mint01

#: atom fractions of vitreous silica
SIO2_COMPOSITION = {"Si": 1 / 3, "O": 2 / 3}


def measured_sio2_fq(q_min: float = 0.5, q_max: float = 20.0) -> MeasuredSpectrum:
    """The NIMROD vitreous-SiO₂ measurement as Faber–Ziman F(Q) = Q[S(Q) − 1] (Å⁻¹).

    The Gudrun file holds i(Q) in barn sr⁻¹ atom⁻¹; S − 1 = 100·i/⟨b⟩² with b in fm for
    Si₁O₂. Returns the spectrum on its own Q points within [q_min, q_max] Å⁻¹.
    """
    raw = read_mint01(data_path("SiO2/SiO2_NIMROD.mint01"), qmin=q_min, qmax=q_max)
    return convert(raw, "fq", composition=SIO2_COMPOSITION)


def measured_asi_sq() -> MeasuredSpectrum:
    """The digitized Laaziri et al. (1999) X-ray S(Q) of a-Si (Q in Å⁻¹), full range."""
    return read_columns(data_path("a-Si/rosset2024_fig5_Sq_Laaziri_digitized.csv"), "sq")


def read_llnl_carbon(sets: tuple[str, ...] | list[str], *, device="cpu") -> Structures:
    """The LLNL 216-atom a-C structures (ML potential, ``data/a-C``) of the subsets ``sets``
    (``"train"``, ``"test"``), in file-name order within each subset."""
    root = data_dir() / "a-C" / "hsu2024_dgp" / "poscar"
    return read_structures(sorted(p for s in sets for p in (root / s).glob("*.vasp")), device=device)
