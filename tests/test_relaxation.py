"""glasslib.diffusion.relaxation: which system relax="training" resolves to for each shipped prior,
and the checkpoints it refuses (minimising through generate: tests/test_generate.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from glasslib.core.errors import InputError
from glasslib.diffusion.generate import SampleConfig, cell_contents
from glasslib.diffusion.relaxation import Relaxation
from glasslib.diffusion.training import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def test_relax_training_resolves_each_priors_own_system():
    """relax="training" finds each shipped prior's simulated system and its minimiser (CHGNet for
    sulfur and Zr-Ni-Al; minimising with it: tests/test_ase_md.py). The water prior was trained on
    the sets of four systems, so "training" names none (and rigid water has no minimiser anyway)."""
    expected = {"sulfur_chgnet_prior": ("sulfur-CHGNet", "ASE+CHGNet"), "zrnial_chgnet_prior": ("ZrNiAl-CHGNet", "ASE+CHGNet"),
                "sio2_vashishta_prior": ("SiO2-Vashishta", "LAMMPS"), "cuzr_mendelev_prior": ("CuZr-Mendelev", "LAMMPS")}
    for name, (system, engine) in expected.items():
        ckpt = load_checkpoint(ROOT / "data" / "models" / name / "checkpoint.pt")
        relax = Relaxation.resolve("training", ckpt, cell_contents(ckpt, SampleConfig(n=1, seed=0)))
        assert (relax.describe()["system"], relax.describe()["engine"]) == (system, engine)
    water = load_checkpoint(ROOT / "data" / "models" / "water_tip4p2005_prior" / "checkpoint.pt")
    with pytest.raises(InputError, match=r"needs a checkpoint trained on the sets of one simulated system; this one "
                                         r"records \['HDA-TIP4P2005', 'LDA-TIP4P2005', 'ice-Ih', 'water-TIP4P2005'\]"):
        Relaxation.resolve("training", water, cell_contents(water, SampleConfig(n=1, seed=0)))
