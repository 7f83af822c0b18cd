"""The one sampling recipe: generate(checkpoint, SampleConfig, targets) and its record."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import torch

import glasslib
from glasslib.core.errors import InputError
from glasslib.core.structures import concatenate, read_structures
from glasslib.diffusion.generate import (
    RECORD_NAME,
    GuidanceTerm,
    SampleConfig,
    Start,
    cell_contents,
    flat_info,
    generate,
    predictor_steps,
    require_new_output,
    write_samples,
)
from glasslib.diffusion.guidance import with_autoguidance, with_spectral_guidance
from glasslib.diffusion.sampling import cubic_cell, initial_noise, sample, time_grid
from glasslib.diffusion.training import load_checkpoint
from glasslib.spectra.kinds import KINDS
from glasslib.spectra.targets import Target

ROOT = Path(__file__).resolve().parents[1]
PRIOR = ROOT / "data" / "models" / "asi_sw_prior" / "checkpoint.pt"
WEAK = ROOT / "data" / "models" / "asi_sw_prior" / "weak" / "checkpoint.pt"
ASI = ROOT / "data" / "a-Si" / "glass-epsr_Si_2.5_00.xyz"
SMALL = dict(n=2, atoms=64, density=2.28, seed=3, steps=3)


@pytest.fixture(scope="module")
def prior():
    return load_checkpoint(PRIOR)


@pytest.fixture
def one_thread():
    """Guided sampling is bit-for-bit reproducible on one thread (the backward pass of the
    spectra scatter-adds in parallel otherwise, which changes float rounding)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_generate_is_the_hand_written_recipe(prior, one_thread):
    """Independent route: the steps of the module docstring written out by hand give the same bits."""
    target = Target.from_structures("gr", read_structures(ASI), torch.arange(1, 121, dtype=torch.float64) * 0.05)
    weak = load_checkpoint(WEAK)
    out = generate(prior, SampleConfig(**SMALL, autoguidance=1.5), [GuidanceTerm(target, 2.0)], weak=weak)

    dt, sde = prior.config.torch_dtype, prior.sde
    score = with_autoguidance(prior.score, weak.score, 1.5)
    obs = KINDS["gr"].observable(torch.tensor(target.x, dtype=dt), smearing=0.05)
    score = with_spectral_guidance(score, [obs], [torch.tensor(target.y, dtype=dt)], [2.0], sigma_fn=sde.sigma, step_size=1.0)
    gen = torch.Generator().manual_seed(3)
    x = initial_noise(2, 64, cubic_cell(64, 14, 2.28, dtype=dt), 14, gen)
    ref = sample(score, x, time_grid(3, 1.0, sde.t_min, 7.0, dtype=dt), generator=gen, sde=sde)
    assert torch.equal(out.structures.positions, ref.positions)
    assert torch.allclose(out.structures.mass_density, torch.full((2,), 2.28, dtype=dt), rtol=1e-5)


def test_record_names_config_checkpoints_and_targets(prior):
    target = Target.from_structures("sq-xray", read_structures(ASI), source="a-Si reference")
    out = generate(prior, SampleConfig(**SMALL), [GuidanceTerm(target)], weak=WEAK)
    r = out.record
    assert r["config"] == {**SampleConfig(**SMALL).to_dict(), "composition": "Si64"}
    assert r["checkpoint_sha256"] == hashlib.sha256(PRIOR.read_bytes()).hexdigest()
    assert r["weak_checkpoint_sha256"] == hashlib.sha256(WEAK.read_bytes()).hexdigest()
    assert r["sde"] == prior.sde.to_dict() and r["glasslib"] == glasslib.__version__
    (t,) = r["targets"]
    assert t["kind"] == "sq-xray" and t["points"] == len(target.x) and t["smearing"] is None
    assert SampleConfig.from_dict(r["config"] | {"composition": None}) == SampleConfig(**SMALL)


def test_same_seed_same_structures_and_batches(prior):
    a = generate(prior, SampleConfig(**SMALL)).structures
    b = generate(prior, SampleConfig(**SMALL)).structures
    c = generate(prior, SampleConfig(**SMALL, batch=1)).structures
    assert torch.equal(a.positions, b.positions)
    assert c.n_systems == 2 and not torch.equal(a.positions, c.positions)


def test_write_samples_and_refuse_to_overwrite(prior, tmp_path):
    out = generate(prior, SampleConfig(**SMALL))
    require_new_output(tmp_path, 2)
    paths = write_samples(out, tmp_path)
    assert [p.name for p in paths] == ["sample_0000.extxyz", "sample_0001.extxyz"]
    record = json.loads((tmp_path / RECORD_NAME).read_text())
    assert record["checkpoint_sha256"] == out.record["checkpoint_sha256"]
    back = read_structures(paths)
    assert torch.allclose(back.positions, out.structures.positions.double(), atol=1e-5)
    assert f"checkpoint_sha256={record['checkpoint_sha256']}" in paths[0].read_text().splitlines()[1]
    with pytest.raises(InputError, match="nothing was overwritten"):
        require_new_output(tmp_path, 2)


@pytest.mark.parametrize("changes, message", [
    ({"n": 0}, "n must be"), ({"density": -1.0}, "density"), ({"batch": 0}, "batch"), ({"restarts": -1}, ">= 0"),
])
def test_bad_config_is_refused(changes, message):
    with pytest.raises(InputError, match=message):
        SampleConfig(**(SMALL | changes))


def test_bad_species_and_weight_are_refused(prior):
    with pytest.raises(InputError, match="species C not in the checkpoint"):
        generate(prior, SampleConfig(**SMALL, composition="C"))
    with pytest.raises(InputError, match="twice the network cutoff"):
        generate(prior, SampleConfig(**(SMALL | {"atoms": 32})))
    with pytest.raises(InputError, match="weight"):
        GuidanceTerm(Target("gr", (1.0, 2.0), (0.0, 1.0)), -1.0)


SW_FILE = ROOT / "data" / "potentials" / "lammps" / "Si.sw"
VASHISHTA_FILE = ROOT / "data" / "potentials" / "lammps" / "SiO.1990.vashishta"


def test_physics_term_is_recorded_and_changes_the_samples(prior):
    """The optional potential term: off by default; on, it is in the record (file and SHA-256) and the
    samples differ from the prior's with the same seed (steps that reach σ ≤ sigma_max)."""
    plain = generate(prior, SampleConfig(**(SMALL | {"steps": 6})))
    assert plain.record["potential"] is None
    config = SampleConfig(**(SMALL | {"steps": 6}), potential=str(SW_FILE), potential_temperature=500.0,
                          potential_sigma_max=1.0)
    out = generate(prior, config)
    assert out.record["potential"]["kind"] == "stillinger-weber" and out.record["potential"]["element"] == "Si"
    assert out.record["potential"]["sha256"] == hashlib.sha256(SW_FILE.read_bytes()).hexdigest()
    assert out.record["config"]["potential_temperature"] == 500.0
    back = SampleConfig.from_dict(out.record["config"])  # the record reads back
    assert (back.potential, back.potential_sigma_max) == (str(SW_FILE), 1.0)
    assert float((out.structures.positions - plain.structures.positions).abs().max()) > 1e-3


def test_vashishta_term_on_a_two_element_cell():
    """SiO2 with the Vashishta term (both elements) and a force cap: recorded with its elements,
    finite, and different from the prior alone."""
    sio2 = load_checkpoint(ROOT / "data" / "models" / "sio2_vashishta_prior" / "checkpoint.pt")
    small = dict(n=1, seed=0, steps=3, composition="SiO2", atoms=192, density=2.2)
    plain = generate(sio2, SampleConfig(**small))
    config = SampleConfig(**small, potential=str(VASHISHTA_FILE), potential_sigma_max=10.0, potential_max_force=10.0)
    out = generate(sio2, config)
    assert out.record["potential"]["kind"] == "vashishta" and out.record["potential"]["elements"] == ["O", "Si"]
    assert out.record["config"]["potential_max_force"] == 10.0
    assert bool(torch.isfinite(out.structures.positions).all())
    assert float((out.structures.positions - plain.structures.positions).abs().max()) > 1e-3


def test_physics_term_bad_inputs(prior, tmp_path):
    with pytest.raises(InputError, match="potential_temperature"):
        SampleConfig(**SMALL, potential=str(SW_FILE), potential_temperature=0.0)
    with pytest.raises(InputError, match="potential_sigma_max"):
        SampleConfig(**SMALL, potential=str(SW_FILE), potential_sigma_max=-1.0)
    with pytest.raises(InputError, match=r"potential_max_force must be a finite number > 0 \(eV/Å\) or None, got 0.0"):
        SampleConfig(**SMALL, potential=str(SW_FILE), potential_max_force=0.0)
    with pytest.raises(InputError, match="missing.sw: cannot read"):
        generate(prior, SampleConfig(**SMALL, potential=str(tmp_path / "missing.sw")))
    sio2 = load_checkpoint(ROOT / "data" / "models" / "sio2_vashishta_prior" / "checkpoint.pt")
    with pytest.raises(InputError, match=r"Si.sw: the stillinger-weber term supports single-element cells only; "
                                         r"this cell has \['O', 'Si'\]"):
        generate(sio2, SampleConfig(n=1, seed=0, steps=2, potential=str(SW_FILE)))


def test_relax_minimises_with_the_training_potential(prior):
    """relax="training" minimises every sample with the a-Si prior's own SW potential (from the
    checkpoint's datasets): the same structures after LAMMPS minimisation, equal to minimising the
    unrelaxed samples directly, with lower SW energy, and the record names system and file."""
    from glasslib.core.structures import to_ase
    from glasslib.diffusion.potentials import StillingerWeber
    from glasslib.simulate.systems import SI_SW

    plain = generate(prior, SampleConfig(**SMALL))
    relaxed = generate(prior, SampleConfig(**SMALL, relax="training"))
    assert plain.record["relax"] is None
    assert relaxed.record["relax"]["system"] == "a-Si-SW" and relaxed.record["relax"]["potential_file"] == "Si.sw"
    assert relaxed.record["relax"]["engine"] == "LAMMPS"
    assert relaxed.record["relax"]["potential_sha256"] == hashlib.sha256(SW_FILE.read_bytes()).hexdigest()
    by_hand = [SI_SW.engine.minimise(a, SI_SW) for a in to_ase(plain.structures)]
    assert all(abs(a.positions - b.positions).max() < 1e-5 for a, b in zip(by_hand, to_ase(relaxed.structures)))  # float32
    sw = StillingerWeber(SW_FILE)
    assert bool((sw(relaxed.structures.to(dtype=torch.float64)) < sw(plain.structures.to(dtype=torch.float64)) - 1.0).all())
    assert relaxed.structures.dtype == plain.structures.dtype
    info = flat_info(relaxed.record, 0)
    assert info["relax"] == "a-Si-SW" and info["relax_potential_sha256"] == relaxed.record["relax"]["potential_sha256"]
    same = generate(prior, SampleConfig(**SMALL, relax="a-Si-SW"))  # the system by name
    assert torch.equal(same.structures.positions, relaxed.structures.positions)



def test_relax_bad_inputs(prior):
    with pytest.raises(InputError, match="relax must be a system name"):
        SampleConfig(**SMALL, relax="")
    with pytest.raises(InputError, match="unknown system 'nonesuch'"):
        generate(prior, SampleConfig(**SMALL, relax="nonesuch"))
    with pytest.raises(InputError, match=r"cannot relax with a-C-Tersoff: its potential has no \['Si'\]"):
        generate(prior, SampleConfig(**SMALL, relax="a-C-Tersoff"))
    with pytest.raises(InputError, match="cannot relax with water-TIP4P2005: only systems of single atoms"):
        generate(prior, SampleConfig(**SMALL, relax="water-TIP4P2005"))


def test_progress_count_matches_the_sampler(prior):
    config = SampleConfig(**SMALL, restarts=1)
    seen = []
    generate(prior, config, callback=lambda info: seen.append(info["phase"]))
    assert seen.count("predictor") == predictor_steps(config, prior.sde)  # one batched pass (batch=None)


def test_readme_example_runs(tmp_path, monkeypatch):
    """The README's Python example, with 2 sampler steps and 16 atoms instead of the defaults."""
    text = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(import glasslib\n.*?)```", text, re.S).group(1)
    code = code.replace("seed=0)", "seed=0, steps=2)").replace("atoms=216", "atoms=64").replace("n=4", "n=1")
    monkeypatch.chdir(ROOT)
    code = code.replace('"runs/', f'"{tmp_path}/')
    exec(compile(code, "README.md", "exec"), {})
    assert len(list(tmp_path.rglob("*.extxyz"))) == 1


def test_defaults_come_from_the_training_set(prior):
    """The shipped a-Si prior: 216 atoms at the training set's mean density 2.3 g/cm³."""
    out = generate(prior, SampleConfig(n=1, seed=0, steps=1))
    assert out.record["config"]["composition"] == "Si216" and out.record["config"]["atoms"] == 216
    assert float(out.structures.mass_density[0]) == pytest.approx(prior.data_summary["default"]["density"], rel=1e-5)
    (atoms,) = out.to_ase()
    assert len(atoms) == 216 and atoms.pbc.all() and atoms.info["checkpoint_sha256"] == out.record["checkpoint_sha256"]
    assert atoms.get_volume() == pytest.approx(float(out.structures.volumes[0]), rel=1e-5)


def test_multi_element_sampling(tmp_path):
    """A network trained on Si-O cells samples SiO2 with exact counts, by default and on request."""
    import ase

    from glasslib.core.structures import from_ase
    from glasslib.diffusion.model import ScoreNetConfig
    from glasslib.diffusion.training import TrainConfig, train

    frames = []
    for k, density in enumerate((2.1, 2.2, 2.3)):
        a = ase.Atoms("Si8O16", pbc=True)
        a.set_cell([(a.get_masses().sum() * 1.66053906660 / density) ** (1 / 3)] * 3)
        a.set_scaled_positions(torch.rand(24, 3, generator=torch.Generator().manual_seed(k), dtype=torch.float64).numpy())
        frames.append(a)
    config = TrainConfig(model=ScoreNetConfig(cutoff=3.0, angular_cutoff=2.0, hidden=8, channels=2, n_layers=1, n_rbf=4,
                                              n_fourier=4), steps=2, batch_size=1, val_fraction=0.0)
    ckpt = load_checkpoint(train(config, from_ase(frames), tmp_path / "run", progress=False))
    out = generate(ckpt, SampleConfig(n=2, seed=0, steps=2))
    counts = torch.bincount(out.structures.species, minlength=15)
    assert counts[14] == 16 and counts[8] == 32 and out.record["config"]["composition"] == "Si8O16"
    assert torch.allclose(out.structures.mass_density, torch.full((2,), 2.2, dtype=out.structures.dtype), rtol=1e-4)
    big = generate(ckpt, SampleConfig(n=1, seed=0, steps=2, composition="SiO2", atoms=81, density=2.0))
    assert big.record["config"]["composition"] == "Si27O54" and big.structures.n_atoms == 81
    with pytest.raises(InputError, match="multiple of 3 atoms"):
        generate(ckpt, SampleConfig(n=1, seed=0, steps=2, composition="SiO2", atoms=80))


def test_sample_structures_returns_ase_atoms():
    atoms = glasslib.sample_structures(PRIOR, 2, seed=4, atoms=64, density=2.28, steps=2)
    ref = generate(PRIOR, SampleConfig(n=2, seed=4, atoms=64, density=2.28, steps=2)).structures
    assert [len(a) for a in atoms] == [64, 64] and all(a.get_chemical_formula() == "Si64" for a in atoms)
    assert torch.allclose(torch.as_tensor(atoms[1].positions), ref[1].positions.double(), atol=1e-6)
    assert atoms[0].info["composition"] == "Si64" and atoms[0].info["index"] == 0


def test_start_is_sdedit_from_a_given_structure(prior):
    """A given start (SDEdit): the hand-written route (start + σ noise, grid from t(σ)) gives the
    same bits; one start serves every sample; the record names it; a low σ keeps the start's cell."""
    crystal = read_structures(ASI)
    start = Start(crystal, 0.3)
    config = SampleConfig(n=2, seed=5, steps=3, atoms=crystal.n_atoms, density=float(crystal.mass_density[0]))
    out = generate(prior, config, start=start)
    dt, sde = prior.config.torch_dtype, prior.sde
    gen = torch.Generator().manual_seed(5)
    x0 = crystal.to(dtype=dt)
    x0 = concatenate([x0, x0])
    x = x0.with_positions(x0.positions + 0.3 * torch.randn(x0.positions.shape, generator=gen, dtype=dt))
    ref = sample(prior.score, x, time_grid(3, sde.time(0.3), sde.t_min, 7.0, dtype=dt), generator=gen, sde=sde)
    assert torch.equal(out.structures.positions, ref.positions)
    assert torch.equal(out.structures.cell[0], crystal.cell[0].to(dt))
    assert out.record["start"]["sigma"] == 0.3 and out.record["start"]["n_structures"] == 1
    with pytest.raises(InputError, match="below the checkpoint"):
        generate(prior, config, start=Start(crystal, 1e6))
    with pytest.raises(InputError, match="1 or n = 2"):
        generate(prior, config, start=Start(concatenate([crystal] * 3), 0.3))
    with pytest.raises(InputError, match="positive"):
        Start(crystal, -1.0)
