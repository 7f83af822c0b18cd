"""FEFF reference EXAFS: clusters cut with periodic images, the feff.inp cards, a real feff6l run
(xraylarch) against analytic expectations, and one-line errors for a missing executable, a
failing FEFF run, an absorber without neighbours and overlapping atoms."""

from __future__ import annotations

import ase.build
import numpy as np
import pytest
import torch

from glasslib.core.errors import InputError
from glasslib.core.structures import from_ase
from glasslib.spectra import exafs_feff
from glasslib.spectra.exafs_feff import FeffCards, cut_clusters, feff_input, path_taper, run_feff

import larch  # noqa: F401,E402  (a hard dependency: its absence must fail, not skip)


def b2_cuzr(repeat=(2, 2, 2), a: float = 3.26, rattle: float = 0.0, seed: int = 0):
    """B2 (CsCl) CuZr, a = 3.26 Å; the 2×2×2 cell (6.52 Å) is smaller than a 7 Å cluster."""
    atoms = ase.build.bulk("CuZr", "cesiumchloride", a=a) * repeat
    if rattle:
        atoms.rattle(stdev=rattle, seed=seed)
    return from_ase([atoms])


def test_cluster_holds_every_periodic_image():
    s = b2_cuzr()
    (c,) = cut_clusters(s, [0], 7.0)
    d = np.sqrt((c.vectors ** 2).sum(1))
    assert c.absorber == 29 and d.max() < 7.0 and np.all(np.diff(d) >= 0)
    # the shells of the infinite B2 crystal: 8 Zr at a√3/2, 6 Cu at a, 12 Cu at a√2
    a = 3.26
    assert np.sum(np.isclose(d, a * 3 ** 0.5 / 2, atol=1e-6)) == 8
    assert np.all(c.species[np.isclose(d, a * 3 ** 0.5 / 2, atol=1e-6)] == 40)
    assert np.sum(np.isclose(d, a, atol=1e-6)) == 6 and np.sum(np.isclose(d, a * 2 ** 0.5, atol=1e-6)) == 12
    # a supercell gives the same cluster
    (c2,) = cut_clusters(b2_cuzr((3, 3, 3)), [0], 7.0)
    assert c2.vectors.shape == c.vectors.shape and np.allclose(np.sort(d), np.sort(np.sqrt((c2.vectors ** 2).sum(1))))


def test_feff_input_cards():
    (c,) = cut_clusters(b2_cuzr(), [0], 7.0)
    text = feff_input(c, FeffCards(s02=0.85, rmax=5.5, nleg=2))
    assert "HOLE 1 0.8500" in text and "RMAX 5.5000" in text and "NLEG 2" in text
    assert "  0 29 Cu" in text and "  1 29 Cu" in text and "  2 40 Zr" in text
    assert text.count("\n") > len(c.species) + 10 and text.rstrip().endswith("END")


def test_feff_run_single_shell_analytics(tmp_path):
    """A real feff6l run on B2 CuZr: paths at the crystal's shells, χ finite and oscillating with
    the first-shell period π/R₁; S0² scales χ linearly; the taper removes paths beyond RMAX."""
    (c,) = cut_clusters(b2_cuzr(), [0], 7.0)
    cards = FeffCards(rmax=4.0, path_taper=0.0, k_max=14.0)
    res = run_feff(c, cards, workdir=tmp_path / "run", keep=True)
    assert (tmp_path / "run" / "feff.inp").is_file()
    # shells within RMAX 4 Å: 8 Zr at a√3/2 and 6 Cu at a, one (degenerate) path each
    assert res.n_paths == 2 and np.allclose(res.reff, [3.26 * 3 ** 0.5 / 2, 3.26], atol=2e-3)
    assert res.reff.max() <= 4.0 + 1e-6 and np.isfinite(res.chi).all() and np.abs(res.chi).max() > 0.05
    # dominant frequency of k²χ over 3..13 1/Å lies near 2R of the first shell (phase shifts move it slightly)
    k = res.k
    m = (k >= 3) & (k <= 13)
    y = (k ** 2 * res.chi)[m]
    rr = np.linspace(1.0, 5.0, 801)
    amp = np.abs(np.exp(2j * np.outer(rr, k[m])) @ (y * np.hanning(y.size)))
    assert 2.2 < rr[np.argmax(amp)] < 2.9
    half = run_feff(c, FeffCards(rmax=4.0, path_taper=0.0, s02=0.45))
    assert np.allclose(half.chi, 0.5 * res.chi, atol=1e-6)


def test_path_taper():
    r = np.array([1.0, 5.5, 5.75, 6.0, 6.1])
    assert np.allclose(path_taper(r, 6.0, 0.5), [1, 1, 0.5, 0, 0])
    assert np.allclose(path_taper(torch.tensor(r), 6.0, 0.5).numpy(), [1, 1, 0.5, 0, 0])


def test_errors_are_one_line(monkeypatch, tmp_path):
    s = b2_cuzr()
    with pytest.raises(InputError, match="no neighbours within the cluster radius") as e:
        cut_clusters(s, [0], 2.0)
    assert "atom 0" in str(e.value) and "\n" not in str(e.value)
    squeezed = s.with_positions(s.positions.clone().index_put_((torch.tensor([1]),), s.positions[0:1] + 0.3))
    with pytest.raises(InputError, match="apart"):
        cut_clusters(squeezed, [0], 7.0)
    (c,) = cut_clusters(s, [0], 7.0)
    # a run that FEFF refuses (an unreadable card): one line naming the structure and atom
    monkeypatch.setattr(exafs_feff, "feff_input", lambda *a, **k: "HOLE x y\nATOMS\n garbage\nEND\n")
    with pytest.raises(InputError, match="FEFF") as e:
        run_feff(c, FeffCards(), workdir=tmp_path / "bad")
    assert "atom 0" in str(e.value) and "\n" not in str(e.value)
    monkeypatch.undo()
    # no executable
    import importlib

    fr = importlib.import_module("larch.xafs.feffrunner")  # the module (larch.xafs re-exports a function of that name)
    monkeypatch.setattr(fr, "find_exe", lambda name: None)
    with pytest.raises(InputError, match="feff6l executable is missing"):
        run_feff(c, FeffCards())


def test_cards_are_checked():
    with pytest.raises(InputError, match="K edge"):
        FeffCards(edge="L3")
    with pytest.raises(InputError, match="cluster_radius"):
        FeffCards(cluster_radius=5.0, rmax=6.0)
    with pytest.raises(InputError, match="unknown FEFF cards keys"):
        FeffCards.from_dict({"rmax": 6.0, "scf": 4.0})
