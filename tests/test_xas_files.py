"""glasslib.spectra.xas_files: measured XANES and EXAFS files, and their path through read_target."""

from __future__ import annotations

import numpy as np
import pytest

from glasslib.core.errors import InputError
from glasslib.spectra.targets import read_target
from glasslib.spectra.xas_files import read_exafs


def test_read_exafs_weights_columns_and_refuses_energies(tmp_path):
    k = np.arange(0.0, 12.01, 0.05)
    chi = 0.1 * np.sin(2 * 2.6 * k) * np.exp(-0.01 * k ** 2)
    plain = tmp_path / "chi.dat"
    np.savetxt(plain, np.c_[k, chi], header="athena chi(k)\nk chi", comments="# ")
    got = read_exafs(plain)
    assert got.quantity == "exafs" and got.x[0] > 0 and np.allclose(got.y.numpy(), (k[1:] ** 2) * chi[1:])
    weighted = tmp_path / "k2chi.csv"
    weighted.write_text("k,k2chi\n" + "\n".join(f"{a},{a * a * b}" for a, b in zip(k, chi)))
    assert np.allclose(read_exafs(weighted).y.numpy(), got.y.numpy())
    with pytest.raises(InputError, match="k-weight 2"):
        read_exafs(weighted, k_weight=3)
    energy = tmp_path / "mu.dat"
    energy.write_text("\n".join(f"{8979 + a},{b}" for a, b in zip(k, chi)))
    with pytest.raises(InputError, match="energy column") as e:
        read_exafs(energy)
    assert str(energy) in str(e.value) and "\n" not in str(e.value)
    three = tmp_path / "three.dat"
    three.write_text("1 2 3\n2 3 4\n")
    with pytest.raises(InputError, match="two columns"):
        read_exafs(three)
    bad = tmp_path / "bad.dat"
    bad.write_text("1 2\n2 x\n")
    with pytest.raises(InputError, match="non-numeric"):
        read_exafs(bad)


def test_exafs_target_is_read_as_k2chi_on_its_own_grid(tmp_path):
    k = np.arange(1.0, 14.01, 0.05)
    chi = 0.05 * np.sin(2 * 2.55 * k) * np.exp(-0.006 * k ** 2)
    path = tmp_path / "cu_k1chi.dat"
    np.savetxt(path, np.c_[k, k * chi], header="k_per_A k1chi", comments="")  # a row of column names
    target = read_target(path, "exafs")
    assert target.kind == "exafs" and target.x[0] == pytest.approx(1.0)
    assert np.allclose(target.y, k ** 2 * chi)
    assert np.allclose(read_target(path, "exafs", k_weight=1).y, target.y)
    with pytest.raises(InputError, match="k-weight 1") as e:
        read_target(path, "exafs", k_weight=3)
    assert str(path) in str(e.value)
    with pytest.raises(InputError, match="1/Å"):
        read_target(path, "exafs", x_unit="nm")
