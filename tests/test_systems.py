"""glasslib.simulate.systems: the registry of model systems, each declaring its engine."""

from __future__ import annotations

import pytest

from glasslib.core.errors import InputError
from glasslib.simulate.ase_md import AseChgnet
from glasslib.simulate.engine import Engine
from glasslib.simulate.ice import IceBuilder
from glasslib.simulate.lammps import LammpsAtomic, LammpsRigidWater
from glasslib.simulate.paracrystalline import ParacrystallineBuilder
from glasslib.simulate.systems import ALIASES, SYSTEMS, get_system


def test_unknown_systems_and_aliases():
    with pytest.raises(InputError, match="unknown system 'unobtanium'"):
        get_system("unobtanium")
    assert get_system("a-si").name == "a-Si-SW" and get_system("SIO2").name == "SiO2-Vashishta"
    assert get_system("sulfur").name == "sulfur-CHGNet" and get_system("Zr-Ni-Al").name == "ZrNiAl-CHGNet"


def test_every_system_declares_its_engine():
    engines = {name: type(s.engine) for name, s in SYSTEMS.items()}
    assert engines == {
        "a-Si-SW": LammpsAtomic, "a-Si-Tersoff": LammpsAtomic, "a-C-Tersoff": LammpsAtomic,
        "SiO2-Vashishta": LammpsAtomic, "CuZr-Mendelev": LammpsAtomic, "water-mW": LammpsAtomic,
        "water-TIP4P2005": LammpsRigidWater, "LDA-TIP4P2005": LammpsRigidWater, "HDA-TIP4P2005": LammpsRigidWater,
        "MDA-TIP4P2005": LammpsRigidWater, "ice-Ih": IceBuilder, "a-Si-paracrystalline": ParacrystallineBuilder,
        "sulfur-CHGNet": AseChgnet, "ZrNiAl-CHGNet": AseChgnet,
    }
    for s in SYSTEMS.values():
        assert isinstance(s.engine, Engine) and s.kind == s.engine.kind and s.engine.label
        assert len(s.masses) == len(s.species) == len(s.composition) == len(s.potential.elements)
        assert s.density_range[0] <= s.density <= s.density_range[1], s.name
        assert s.protocol.start in s.starts and s.n_atoms > 0
    assert get_system("paracrystalline").engine.matrix is get_system("a-Si-SW")
    assert all(t in SYSTEMS for t in ALIASES.values())
