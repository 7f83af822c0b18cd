"""The target kinds reverse Monte Carlo fits: its incremental histograms implement g(r), S(Q),
F(Q) and the ADF. Targets themselves (and their one reader) are :mod:`glasslib.spectra.targets`."""

from __future__ import annotations

from typing import Iterable

from glasslib.core.errors import InputError
from glasslib.spectra.kinds import KINDS as SPECTRUM_KINDS
from glasslib.spectra.targets import Target

#: the spectrum kinds RMC can fit
KINDS = ("gr", "sq-xray", "sq-neutron", "fq-xray", "fq-neutron", "adf")
#: default σ of a target per quantity (the registry's uncertainty), unit of y
DEFAULT_SIGMA = {SPECTRUM_KINDS[k].quantity: SPECTRUM_KINDS[k].uncertainty for k in KINDS}


def require_rmc_kinds(targets: Iterable[Target]) -> None:
    """One-line error for a target of a kind RMC does not fit (e.g. G(r)), or an ADF target with a
    measurement model (RMC's ADF is the plain histogram of the angles)."""
    for t in targets:
        if t.kind not in KINDS:
            raise InputError(f"reverse Monte Carlo cannot fit a {t.kind} target; it fits {', '.join(KINDS)}", t.source)
        if t.kind == "adf" and t.measurement is not None:
            raise InputError("reverse Monte Carlo fits the plain bond-angle histogram; an adf target takes no "
                             "measurement model (--smearing)", t.source)


__all__ = ["KINDS", "DEFAULT_SIGMA", "require_rmc_kinds"]
