"""Reverse Monte Carlo: same spectra as glasslib's operators, exact incremental updates, fits, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import ase.io
import numpy as np
import pytest
import torch

from glasslib import cli, rmc
from glasslib.analysis.metrics import rmse
from glasslib.core.errors import InputError
from glasslib.core.structures import Structures, from_ase, read_structures
from glasslib.simulate import make_task, simulate
from glasslib.spectra.angles import bond_angle_distribution
from glasslib.spectra.rdf import pair_distribution
from glasslib.spectra.scattering import structure_factor_from_gr
from glasslib.spectra.targets import Target, read_target

DATA = Path(__file__).resolve().parents[1] / "data"
ASI = DATA / "a-Si" / "glass-epsr_Si_2.5_00.xyz"
DR = 0.05


@pytest.fixture(scope="module")
def asi() -> Structures:
    return read_structures(ASI)


def _grid(r_max: float = 7.9, dr: float = DR) -> torch.Tensor:
    return torch.arange(dr / 2, r_max, dr, dtype=torch.float64)


def _gr_target(structure: Structures, sigma: float = 0.05, r: torch.Tensor | None = None) -> Target:
    r = _grid() if r is None else r
    g = pair_distribution(structure, r, sigma=0.0).g[0]
    return Target("gr", tuple(r.tolist()), tuple(g.tolist()), sigma=sigma)


def _targets_all_kinds(ref: Structures) -> list[Target]:
    r = _grid()
    pd = pair_distribution(ref, r, sigma=0.0)
    q = torch.linspace(0.5, 15.0, 120, dtype=torch.float64)
    theta = torch.arange(1.0, 180.0, 2.0, dtype=torch.float64)
    adf = bond_angle_distribution(ref, theta, cutoff=2.8, sigma=0.0)[0]
    return [
        Target("gr", tuple(r.tolist()), tuple(pd.g[0].tolist())),
        Target("sq-xray", tuple(q.tolist()), tuple(structure_factor_from_gr(pd, q, radiation="xray").s[0].tolist())),
        Target("fq-neutron", tuple(q.tolist()), tuple(structure_factor_from_gr(pd, q, radiation="neutron").f[0].tolist())),
        Target("adf", tuple(theta.tolist()), tuple(adf.tolist()), cutoff=2.8),
    ]


def _assert_matches_glasslib(fit: rmc.RMC) -> None:
    """Every model spectrum of the run equals glasslib's operator on the run's structure."""
    s = fit.structures()
    r = torch.as_tensor(fit.r)
    pd = pair_distribution(s, r, sigma=0.0)
    mine = fit.pair_distribution()
    assert torch.allclose(mine.partials, pd.partials, rtol=0, atol=1e-10)
    spectra = fit.spectra()
    for name, t in _by_name(fit.targets).items():
        if t.kind == "adf":
            continue
        x = torch.as_tensor(spectra[name]["x"])
        if t.quantity == "gr":
            ref = pd.g[0][torch.as_tensor(fit.obs.rs_w[fit.obs.names.index(name)] > 0)]
        else:
            sf = structure_factor_from_gr(pd, x, radiation=t.radiation, isotopes=t.isotope_map)
            ref = sf.s[0] if t.quantity == "sq" else sf.f[0]
        np.testing.assert_allclose(spectra[name]["model"], ref.numpy(), rtol=0, atol=1e-10, err_msg=name)
    if fit.adf_target is not None:
        adf = bond_angle_distribution(s, torch.as_tensor(fit.theta), cutoff=fit.adf_target.cutoff, sigma=0.0)[0]
        np.testing.assert_allclose(fit.adf_y, adf.numpy(), rtol=0, atol=1e-12)


def _by_name(targets) -> dict:
    """{observable name: target}: the kind, repeats as gr_2, gr_3, ... (the RMC naming)."""
    out, seen = {}, {}
    for t in targets:
        k = seen.get(t.kind, 0)
        seen[t.kind] = k + 1
        out[t.kind if k == 0 else f"{t.kind}_{k + 1}"] = t
    return out


# ------------------------------------------------------------- same conventions
def test_model_spectra_equal_glasslib_operators_single_species(asi):
    fit = rmc.RMC(rmc.random_start("Si", 216, 2.5, seed=4), _targets_all_kinds(asi), rmc.RMCConfig(dr=DR, seed=1))
    _assert_matches_glasslib(fit)  # at the start, from the from-scratch histogram
    fit.run(n_moves=30_000)
    assert fit.accepted > 100
    _assert_matches_glasslib(fit)  # after incremental updates


def test_model_spectra_equal_glasslib_operators_two_species():
    start = rmc.random_start("Si:1,O:2", 192, 2.2, min_distance={"Si-O": 1.4, "O-O": 1.9, "Si-Si": 2.3}, seed=2)
    ref = rmc.random_start("Si:1,O:2", 192, 2.2, min_distance=1.3, seed=3)
    r = _grid(6.0, 0.04)
    pd = pair_distribution(ref, r, sigma=0.0)
    q = torch.linspace(0.3, 20.0, 90, dtype=torch.float64)
    targets = [
        Target("gr", tuple(r.tolist()), tuple(pd.g[0].tolist())),
        Target("sq-neutron", tuple(q.tolist()), tuple(structure_factor_from_gr(pd, q, radiation="neutron").s[0].tolist())),
        Target("fq-xray", tuple(q.tolist()), tuple(structure_factor_from_gr(pd, q, radiation="xray").f[0].tolist())),
        # a substituted sample: b(Si) = -2 fm changes the weights (and the sign of the Si-O term)
        Target("fq-neutron", tuple(q.tolist()), tuple(structure_factor_from_gr(pd, q, radiation="neutron").f[0].tolist()),
               isotopes={"Si": -2.0}),
    ]
    fit = rmc.RMC(start, targets, rmc.RMCConfig(r_max=6.0, dr=0.04, seed=5,
                                                min_distance={"Si-O": 1.4, "O-O": 1.9, "Si-Si": 2.3}))
    assert fit.n_pairs == 3
    natural = structure_factor_from_gr(fit.pair_distribution(), q, radiation="neutron").f[0]
    assert not np.allclose(fit.spectra()[fit.obs.names[-1]]["model"], natural.numpy(), atol=1e-3)
    fit.run(n_moves=20_000)
    _assert_matches_glasslib(fit)


# ------------------------------------------------------------ exact incremental state
@pytest.mark.parametrize("n_atoms, r_max", [(216, None), (1000, 5.0)])
def test_incremental_histogram_equals_recount(asi, n_atoms, r_max):
    fit = rmc.RMC(rmc.random_start("Si", n_atoms, 2.5, seed=0), _targets_all_kinds(asi)[:1] + _targets_all_kinds(asi)[3:],
                  rmc.RMCConfig(r_max=r_max, dr=DR, seed=2))
    assert (fit.span > 0) == (n_atoms == 1000)  # all-atom scan and cell-list paths
    fit.run(n_moves=60_000)
    assert fit.accepted > 1000
    assert np.array_equal(fit.hist, fit.histogram_from_scratch())
    counts, total = fit.angles_from_scratch()
    assert np.array_equal(fit.adf_c, counts) and fit.adf_tot[0] == total
    chi2 = fit.chi2_parts.copy()
    fit.recompute()
    np.testing.assert_allclose(chi2, fit.chi2_parts, rtol=1e-9, atol=1e-9)


def test_closest_approach_is_never_violated(asi):
    # a target with its first peak at 2.0 Å (a-Si's g(r) compressed by 0.85) pulls atoms inside 2.3 Å
    d = 2.3
    start = rmc.random_start("Si", 216, 2.5, min_distance=d, seed=1)
    assert start.positions.shape == (216, 3)
    r = _grid()
    g = pair_distribution(asi, r / 0.85, sigma=0.0).g[0]
    target = Target("gr", tuple(r.tolist()), tuple(g.tolist()))
    fit = rmc.RMC(start, [target], rmc.RMCConfig(dr=DR, min_distance=d, seed=1))
    assert fit.min_distances()[0, 0] >= d
    for _ in range(4):
        fit.run(n_moves=25_000)
        assert fit.min_distances()[0, 0] >= d
    assert fit.counters[2] > 0  # moves were refused for it


# ------------------------------------------------------------------ fitting
def test_chi2_decreases_on_average(asi):
    fit = rmc.RMC(rmc.random_start("Si", 216, 2.5, seed=3), [_gr_target(asi, sigma=0.02)], rmc.RMCConfig(dr=DR, seed=3))
    means = []
    for _ in range(6):
        window = []
        for _ in range(10):
            fit.run(n_moves=3_000)
            window.append(fit.chi2)
        means.append(np.mean(window))
    assert all(b < a for a, b in zip(means, means[1:])), means


@pytest.fixture(scope="module")
def sw_asi():
    """Two 216-atom Stillinger-Weber a-Si replicas at 2.33 g/cm3, 1000 K/ps (~3 s each)."""
    return [from_ase(simulate(make_task("a-Si", n_atoms=216, density=2.33, seed=k, melt_time=2.0,
                                        quench_rate=1000.0, anneal_time=1.0))) for k in (1, 2)]


def test_fit_of_sw_asi_gr_beats_reference_diversity(sw_asi):
    """From a random start, 200k moves (~1-2 s) bring the g(r) RMSE below the replica-to-replica RMSE."""
    r = _grid(8.0)
    g1, g2 = (pair_distribution(s, r, sigma=0.0).g[0] for s in sw_asi)
    diversity = float(rmse(g1, g2))  # about 0.18 at Δr = 0.05 Å for 216 atoms
    fit = rmc.RMC(rmc.random_start("Si", 216, 2.33, seed=0), [_gr_target(sw_asi[0], r=r)],
                  rmc.RMCConfig(r_max=8.0, dr=DR, seed=0))
    start_rmse = float(rmse(torch.as_tensor(fit.rs_y[0]), g1))
    fit.run(n_moves=200_000)
    g_fit = pair_distribution(fit.structures(), r, sigma=0.0).g[0]
    err = float(rmse(g_fit, g1))
    assert err < 0.1 < diversity < start_rmse, (err, diversity, start_rmse)
    assert err < 0.6 * diversity


# ------------------------------------------------------------------ checkpoints
def test_checkpoint_resume_continues_identically(asi, tmp_path):
    targets = _targets_all_kinds(asi)
    start = rmc.random_start("Si", 216, 2.5, seed=7)
    cfg = rmc.RMCConfig(dr=DR, seed=11, target_acceptance=0.2, adapt_every=500)  # step adaptation state too
    whole = rmc.RMC(start, targets, cfg)
    whole.run(n_moves=40_000)
    first = rmc.RMC(start, targets, cfg)
    first.run(n_moves=17_321)
    first.save(tmp_path / "ckpt.npz")
    resumed = rmc.RMC.load(tmp_path / "ckpt.npz")
    assert resumed.moves == 17_321
    resumed.run(n_moves=40_000 - 17_321)
    assert np.array_equal(resumed.pos, whole.pos)
    assert np.array_equal(resumed.hist, whole.hist)
    assert resumed.chi2 == whole.chi2 and resumed.step == whole.step and resumed.accepted == whole.accepted
    # a different seed gives a different trajectory
    other = rmc.RMC(start, targets, rmc.RMCConfig(dr=DR, seed=12, target_acceptance=0.2, adapt_every=500))
    other.run(n_moves=2_000)
    assert not np.array_equal(other.pos, first.pos)


def test_cli_writes_outputs_and_resumes_to_the_uninterrupted_result(asi, tmp_path, monkeypatch):
    cli = _cli(monkeypatch)
    gr = tmp_path / "gr.csv"
    r = _grid()
    np.savetxt(gr, np.column_stack([r, pair_distribution(asi, r, sigma=0.0).g[0]]), delimiter=",",
               header="r_A,g", comments="")  # a text header row, as glass spectra writes
    common = ["rmc", "--target", str(gr), "--kind", "gr", "--sigma", "0.05", "--composition", "Si", "--atoms", "216",
              "--density", "2.5", "--seed", "3", "--dr", "0.05", "--quiet"]
    assert cli.main(common + ["--moves", "30000", "--out", str(tmp_path / "a")]) == 0
    assert cli.main(common + ["--moves", "12000", "--out", str(tmp_path / "b")]) == 0
    assert cli.main(common + ["--moves", "30000", "--out", str(tmp_path / "b")]) == 0  # resumes
    a = ase.io.read(tmp_path / "a" / "structure.extxyz")
    b = ase.io.read(tmp_path / "b" / "structure.extxyz")
    assert len(a) == 216 and np.array_equal(a.positions, b.positions)
    log = np.genfromtxt(tmp_path / "b" / "log.csv", delimiter=",", names=True, skip_header=1)
    assert log["moves"][0] == 0 and log["moves"][-1] == 30000 and np.all(np.diff(log["moves"]) > 0)
    assert np.all(log["moves_per_s"][1:] > 0) and log["chi2"][-1] < 0.5 * log["chi2"][0]
    fit = np.loadtxt(tmp_path / "a" / "fit_gr.csv", delimiter=",", skiprows=2)
    assert fit.shape[1] == 3
    config = json.loads((tmp_path / "a" / "config.json").read_text())
    assert config["inputs"]["config"]["seed"] == 3
    # different inputs in the same folder are refused
    assert cli.main(common[:-1] + ["--moves", "40000", "--step", "0.2", "--out", str(tmp_path / "a")]) == 2


def test_cli_composition_as_formula_or_proportions_is_one_run(tmp_path, monkeypatch, capsys):
    """``--composition SiO2`` (a formula, parsed as glass sample parses it), ``--composition Si:1,O:2``
    and the deprecated ``--species Si:1,O:2`` give the same composition, start and fit, and resume
    each other's run; the alias prints one line naming --composition."""
    from ase.spacegroup import crystal

    assert rmc.parse_species("SiO2") == rmc.parse_species("Si:1,O:2") == {8: 2 / 3, 14: 1 / 3}
    assert rmc.parse_species("Cu64.5Zr35.5") == rmc.parse_species("Cu:64.5,Zr:35.5")
    assert rmc.parse_species("Si") == rmc.parse_species("Si:1") == {14: 1.0}
    cli = _cli(monkeypatch)
    # ideal beta-cristobalite (Fd-3m, a = 7.16 Å: Si on the diamond sites, O between them, Si-O 1.55 Å)
    cristobalite = crystal(["Si", "O"], basis=[(0, 0, 0), (0.125, 0.125, 0.125)], spacegroup=227,
                           cellpar=[7.16, 7.16, 7.16, 90, 90, 90])
    ase.io.write(tmp_path / "cristobalite.extxyz", cristobalite)
    gr = tmp_path / "gr.csv"
    assert cli.main(["spectra", str(tmp_path / "cristobalite.extxyz"), "--kind", "gr", "--quiet", "--out", str(gr)]) == 0
    common = ["rmc", "--target", str(gr), "--kind", "gr", "--atoms", "24", "--density", "2.2", "--seed", "1", "--quiet"]
    spellings = {"formula": ["--composition", "SiO2"], "proportions": ["--composition", "Si:1,O:2"],
                 "deprecated": ["--species", "Si:1,O:2"]}
    capsys.readouterr()
    for name, option in spellings.items():
        assert cli.main(common + option + ["--moves", "200", "--out", str(tmp_path / name)]) == 0, name
        err = capsys.readouterr().err.splitlines()
        assert err == (["glass: warning: --species is deprecated; use --composition"] if name == "deprecated" else [])
    runs = {name: ase.io.read(tmp_path / name / "structure.extxyz") for name in spellings}
    assert runs["formula"].get_chemical_formula() == "O16Si8"
    for name, atoms in runs.items():
        assert np.array_equal(atoms.numbers, runs["formula"].numbers) and np.array_equal(atoms.positions, runs["formula"].positions)
        inputs = json.loads((tmp_path / name / "config.json").read_text())["inputs"]
        assert inputs["composition"] == {"O": 2 / 3, "Si": 1 / 3}, name
    # the formula's run resumes under the other spelling (the same inputs)
    assert cli.main(common + ["--composition", "Si:1,O:2", "--moves", "400", "--out", str(tmp_path / "formula")]) == 0
    log = np.genfromtxt(tmp_path / "formula" / "log.csv", delimiter=",", names=True, skip_header=1)
    assert log["moves"][-1] == 400
    # a run recorded before --composition (its inputs hold the --species text) still resumes
    record = json.loads((tmp_path / "proportions" / "config.json").read_text())
    record["inputs"]["species"] = "Si:1,O:2"
    del record["inputs"]["composition"]
    (tmp_path / "proportions" / "config.json").write_text(json.dumps(record))
    assert cli.main(common + ["--composition", "SiO2", "--moves", "300", "--out", str(tmp_path / "proportions")]) == 0
    log = np.genfromtxt(tmp_path / "proportions" / "log.csv", delimiter=",", names=True, skip_header=1)
    assert log["moves"][-1] == 300


# ------------------------------------------------------------------ starts
def test_liquid_start_is_a_hot_sw_liquid():
    s = rmc.liquid_start("Si", 64, 2.33, seed=0, time_ps=0.5)
    assert s.n_atoms == 64 and s.elements == [14]
    assert float(s.mass_density[0]) == pytest.approx(2.33, rel=1e-4)  # ASE vs LAMMPS Si mass
    assert s.info[0]["start"] == "liquid" and s.info[0]["temperature_K"] == 3000.0
    fit = rmc.RMC(s, [Target("gr", (0.5, 5.0), (1.0, 1.0))], rmc.RMCConfig(dr=0.1))
    fit.run(n_moves=2_000)
    assert np.array_equal(fit.hist, fit.histogram_from_scratch())


# ------------------------------------------------------------------ bad input
def test_bad_inputs_raise_one_clear_error(asi, tmp_path):
    gr = [_gr_target(asi)]
    empty = tmp_path / "empty.csv"
    empty.write_text("# nothing here\n")
    cases = [
        (lambda: read_target(empty, "gr"), "no data rows"),
        (lambda: Target("gr", (), ()), "empty target"),
        (lambda: rmc.random_start("Si", 216, 12.0), "impossible density"),
        (lambda: rmc.random_start("Si", 216, 2.33, min_distance=3.4), "impossible density"),
        (lambda: rmc.RMC(asi, gr, rmc.RMCConfig(min_distance={"Si-O": 1.6})), "O absent from the structure"),
        (lambda: rmc.species_array("Si:100,O:1", 20), "O would be absent"),
        (lambda: rmc.RMC(asi, gr, rmc.RMCConfig(r_max=9.0)), "exceeds half the shortest cell length"),
        (lambda: rmc.RMC(asi, []), "at least one target"),
        (lambda: Target("adf", (10.0, 20.0), (0.1, 0.1)), "ADF target needs a positive neighbour cutoff"),
        (lambda: Target("gr", (1.0, 2.0), (1.0, 1.0), sigma=0.0), "sigma must be a positive"),
        (lambda: Target("rdf", (1.0, 2.0), (1.0, 1.0)), "unknown target kind"),
        (lambda: rmc.liquid_start("Ar", 64, 1.4), "no simulated system has species Ar"),
        (lambda: rmc.RMC(asi.replace(cell=asi.cell + torch.tensor([[0.0, 0, 0], [1.0, 0, 0], [0, 0, 0]],
                                                                   dtype=torch.float64)), gr), "orthorhombic"),
    ]
    for make, message in cases:
        with pytest.raises(InputError, match=message) as err:
            make()
        assert "\n" not in str(err.value)


def test_cli_bad_input_is_one_line_and_exit_2(asi, tmp_path, monkeypatch, capsys):
    cli = _cli(monkeypatch)
    gr = tmp_path / "gr.csv"
    r = _grid()
    np.savetxt(gr, np.column_stack([r, pair_distribution(asi, r, sigma=0.0).g[0]]))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    base = ["rmc", "--composition", "Si", "--atoms", "216", "--density", "2.5", "--moves", "10", "--quiet"]
    cases = [
        (["--target", str(empty), "--kind", "gr"], "no data rows"),
        (["--kind", "gr", "--target", str(gr)], "comes before any --target"),
        (["--target", str(gr)], "--kind missing"),
        (["--target", str(gr), "--kind", "gr", "--density", "40"], "impossible density"),
        (["--target", str(gr), "--kind", "gr", "--start", str(ASI), "--composition", "Si,O"], "species O absent"),
        (["--target", str(gr), "--kind", "gr", "--r-max", "9"], "exceeds half"),
        (["--target", str(gr), "--kind", "adf"], "needs a positive neighbour cutoff"),
    ]
    for k, (extra, message) in enumerate(cases):
        rc = cli.main(base + extra + ["--out", str(tmp_path / f"run{k}")])
        err = capsys.readouterr().err
        assert rc == 2, (extra, err)
        assert err.startswith("glass: error:") and message in err and err.count("\n") == 1, (extra, err)


def _cli(monkeypatch):
    """glasslib.cli with the rmc subcommand registered (the lead adds it to SUBCOMMANDS)."""
    if "rmc" not in cli.SUBCOMMANDS:
        monkeypatch.setattr(cli, "SUBCOMMANDS", cli.SUBCOMMANDS + ("rmc",))
    return cli

