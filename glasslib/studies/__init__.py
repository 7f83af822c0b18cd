"""Studies: one module per figure, holding every computation its notebook calls.

A study module states its sizes as data (one ``PROFILES`` dict: ``smoke``, ``default``,
``paper``), computes each panel's curves and numbers with the rest of glasslib, returns the
numbers as JSON-ready records, and draws its figure from those results. The notebooks in
``notebooks/`` are thin papermill drivers around these functions.

==============================  ==========================================================
module                          notebook / figure
==============================  ==========================================================
:mod:`.spectra_validation`      00: computed spectra against measurements
:mod:`.training_data`           01: the melt-quench training sets and their structure
:mod:`.rmc_baseline`            02: reverse Monte Carlo fits of a-Si g(r)
:mod:`.glass_asi`               03: the GLASS a-Si prior, unconditional and guided samples
:mod:`.prior_cards`             04: quality cards of every shipped prior
:mod:`.xas`                     05: XANES and EXAFS surrogates, XANES-guided a-C samples
:mod:`.measured_data`           06: measured spectra inverted by GLASS and by RMC at equal wall time
:mod:`.asi_paracrystallinity`   07: paracrystallinity of measured a-Si, guided by crystalline–amorphous mixtures
:mod:`.mda_ice`                 08: medium-density amorphous ice, from ice Ih under S(Q) guidance (synthetic target)
:mod:`.benchmarks`              09: GLASS against RMC on five systems, every modality (error, diversity, ΔED)
:mod:`.sulfur_llpt`             10: liquid sulfur, ring-rich to polymeric, guided by a g(r) series (synthetic targets)
:mod:`.reference_data`          the measured and reference data several studies compare with
==============================  ==========================================================

Nothing else in glasslib imports this package.
"""

from __future__ import annotations

from typing import Mapping, TypeVar

from glasslib.core.errors import InputError

T = TypeVar("T")


def select_profile(profiles: Mapping[str, T], profile: str) -> T:
    """The settings of ``profile`` (a key of a study's ``PROFILES``); a one-line error otherwise."""
    if profile not in profiles:
        raise InputError(f"profile must be one of {sorted(profiles)}, got {profile!r}")
    return profiles[profile]

__all__ = ["select_profile"]
