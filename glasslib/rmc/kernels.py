"""Numba kernels of the reverse Monte Carlo loop (:mod:`glasslib.rmc.engine`).

Plain functions on numpy arrays, compiled with ``numba.njit(cache=True)``: random placement
with closest approaches, cell lists in an orthorhombic box, the per-species-pair distance
histogram and bond-angle counts, and the single-atom move loop that updates both
incrementally (cost per move proportional to the atoms within r_max, not to N).
The conventions (bins, normalisation, χ²) are documented in :mod:`glasslib.rmc.engine`, which is
the only caller.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def place_random(pos, idx, order, box, dmin2, nc, max_tries, rng):
    """Random sequential addition into ``pos`` in the order ``order``; -1 or the atom that failed."""
    n = pos.shape[0]
    head = -np.ones(nc * nc * nc, dtype=np.int64)
    nxt = -np.ones(n, dtype=np.int64)
    span = 1 if nc >= 3 else 0
    for t in range(n):
        i = order[t]
        a = idx[i]
        placed = False
        for _ in range(max_tries):
            x, y, z = rng.random() * box, rng.random() * box, rng.random() * box
            cx = min(int(x * nc / box), nc - 1)
            cy = min(int(y * nc / box), nc - 1)
            cz = min(int(z * nc / box), nc - 1)
            ok = True
            if span == 0:
                for s in range(t):
                    j = order[s]
                    dx = pos[j, 0] - x
                    dy = pos[j, 1] - y
                    dz = pos[j, 2] - z
                    dx -= box * np.floor(dx / box + 0.5)
                    dy -= box * np.floor(dy / box + 0.5)
                    dz -= box * np.floor(dz / box + 0.5)
                    if dx * dx + dy * dy + dz * dz < dmin2[a, idx[j]]:
                        ok = False
                        break
            else:
                for ox in range(-1, 2):
                    for oy in range(-1, 2):
                        for oz in range(-1, 2):
                            c = (((cx + ox) % nc) * nc + (cy + oy) % nc) * nc + (cz + oz) % nc
                            j = head[c]
                            while j >= 0 and ok:
                                dx = pos[j, 0] - x
                                dy = pos[j, 1] - y
                                dz = pos[j, 2] - z
                                dx -= box * np.floor(dx / box + 0.5)
                                dy -= box * np.floor(dy / box + 0.5)
                                dz -= box * np.floor(dz / box + 0.5)
                                if dx * dx + dy * dy + dz * dz < dmin2[a, idx[j]]:
                                    ok = False
                                j = nxt[j]
            if ok:
                pos[i, 0], pos[i, 1], pos[i, 2] = x, y, z
                c = (cx * nc + cy) * nc + cz
                nxt[i] = head[c]
                head[c] = i
                placed = True
                break
        if not placed:
            return t
    return -1


@njit(cache=True)
def _cell_of(x, y, z, inv_box, nc):
    cx = min(int(x * inv_box[0] * nc[0]), nc[0] - 1)
    cy = min(int(y * inv_box[1] * nc[1]), nc[1] - 1)
    cz = min(int(z * inv_box[2] * nc[2]), nc[2] - 1)
    return (cx * nc[1] + cy) * nc[2] + cz


@njit(cache=True)
def _scan(x, y, z, skip1, skip2, pos, box, inv_box, cut2, nc, span, head, nxt, out_j, out_v):
    """Atoms j ∉ {skip1, skip2} with |x_j − p| < cut (minimum image): count, indices, vectors x_j − p and d²."""
    n = 0
    if span == 0:
        for j in range(pos.shape[0]):
            if j == skip1 or j == skip2:
                continue
            dx = pos[j, 0] - x
            dy = pos[j, 1] - y
            dz = pos[j, 2] - z
            dx -= box[0] * np.floor(dx * inv_box[0] + 0.5)
            dy -= box[1] * np.floor(dy * inv_box[1] + 0.5)
            dz -= box[2] * np.floor(dz * inv_box[2] + 0.5)
            d2 = dx * dx + dy * dy + dz * dz
            if d2 < cut2:
                out_j[n] = j
                out_v[n, 0], out_v[n, 1], out_v[n, 2], out_v[n, 3] = dx, dy, dz, d2
                n += 1
        return n
    cx = min(int(x * inv_box[0] * nc[0]), nc[0] - 1)
    cy = min(int(y * inv_box[1] * nc[1]), nc[1] - 1)
    cz = min(int(z * inv_box[2] * nc[2]), nc[2] - 1)
    for ox in range(-span, span + 1):
        ix = (cx + ox) % nc[0]
        for oy in range(-span, span + 1):
            iy = (cy + oy) % nc[1]
            for oz in range(-span, span + 1):
                j = head[(ix * nc[1] + iy) * nc[2] + (cz + oz) % nc[2]]
                while j >= 0:
                    if j != skip1 and j != skip2:
                        dx = pos[j, 0] - x
                        dy = pos[j, 1] - y
                        dz = pos[j, 2] - z
                        dx -= box[0] * np.floor(dx * inv_box[0] + 0.5)
                        dy -= box[1] * np.floor(dy * inv_box[1] + 0.5)
                        dz -= box[2] * np.floor(dz * inv_box[2] + 0.5)
                        d2 = dx * dx + dy * dy + dz * dz
                        if d2 < cut2:
                            out_j[n] = j
                            out_v[n, 0], out_v[n, 1], out_v[n, 2], out_v[n, 3] = dx, dy, dz, d2
                            n += 1
                    j = nxt[j]
    return n


@njit(cache=True)
def _r_bin(d2, r_start, dr, n_r):
    # the binning of glasslib.spectra.histogram.smeared_histogram (σ = 0): nearest bin centre
    k = int(np.floor((np.sqrt(d2) - r_start) / dr + 0.5))
    return k if 0 <= k < n_r else -1


@njit(cache=True)
def _angle_bin(ax, ay, az, bx, by, bz, t_start, dt_bin, n_t, t_clamp):
    """Bin of the angle between a and b, atan2(|a×b|, a·b) in degrees as in glasslib.spectra.angles."""
    cx = ay * bz - az * by
    cy = az * bx - ax * bz
    cz = ax * by - ay * bx
    theta = np.arctan2(np.sqrt(cx * cx + cy * cy + cz * cz), ax * bx + ay * by + az * bz) * (180.0 / np.pi)
    if theta > t_clamp:
        theta = t_clamp
    k = int(np.floor((theta - t_start) / dt_bin + 0.5))
    return k if 0 <= k < n_t else -1


@njit(cache=True)
def pair_histogram(pos, box, inv_box, spec, ptype, reach2, r_start, dr_bin, n_r, nc, span, head, nxt, hist):
    """From-scratch unordered-pair histograms (P, R) into ``hist`` (the reference for the incremental one)."""
    n = pos.shape[0]
    buf_j = np.empty(n, dtype=np.int64)
    buf_v = np.empty((n, 4))
    hist[:, :] = 0
    for i in range(n):
        m = _scan(pos[i, 0], pos[i, 1], pos[i, 2], i, i, pos, box, inv_box, reach2, nc, span, head, nxt, buf_j, buf_v)
        for t in range(m):
            j = buf_j[t]
            if j > i:
                k = _r_bin(buf_v[t, 3], r_start, dr_bin, n_r)
                if k >= 0:
                    hist[ptype[spec[i], spec[j]], k] += 1


@njit(cache=True)
def angle_counts(pos, box, inv_box, adf_cut2, nc, span, head, nxt, t_start, dt_bin, n_t, t_clamp, counts):
    """From-scratch bond-angle counts (T,) into ``counts``; returns the number of triplets."""
    n = pos.shape[0]
    buf_j = np.empty(n, dtype=np.int64)
    buf_v = np.empty((n, 4))
    counts[:] = 0
    total = 0
    for i in range(n):
        m = _scan(pos[i, 0], pos[i, 1], pos[i, 2], i, i, pos, box, inv_box, adf_cut2, nc, span, head, nxt, buf_j, buf_v)
        for s in range(m):
            for t in range(s + 1, m):
                total += 1
                k = _angle_bin(buf_v[s, 0], buf_v[s, 1], buf_v[s, 2], buf_v[t, 0], buf_v[t, 1], buf_v[t, 2],
                               t_start, dt_bin, n_t, t_clamp)
                if k >= 0:
                    counts[k] += 1
    return total


@njit(cache=True)
def _adf_centre_delta(buf_v, m, sign, adf_cut2, t_start, dt_bin, n_t, t_clamp, dC):
    """±1 for every angle between the legs shorter than the ADF cutoff in ``buf_v[:m]``; returns ±triplets."""
    nt = 0
    for s in range(m):
        if buf_v[s, 3] >= adf_cut2:
            continue
        for t in range(s + 1, m):
            if buf_v[t, 3] >= adf_cut2:
                continue
            nt += 1
            k = _angle_bin(buf_v[s, 0], buf_v[s, 1], buf_v[s, 2], buf_v[t, 0], buf_v[t, 1], buf_v[t, 2],
                           t_start, dt_bin, n_t, t_clamp)
            if k >= 0:
                dC[k] += sign
    return sign * nt


@njit(cache=True)
def _adf_delta(i, buf_j, buf_v, m, sign, pos, box, inv_box, adf_cut2, nc, span, head, nxt,
               t_start, dt_bin, n_t, t_clamp, dC, nb_j, nb_v):
    """Angle changes of atom i at one position (its neighbour list ``buf_*``): centred on i and on each
    neighbour j (legs j→i and j→k, k ≠ i). Returns the change of the number of triplets."""
    dt = _adf_centre_delta(buf_v, m, sign, adf_cut2, t_start, dt_bin, n_t, t_clamp, dC)
    for s in range(m):
        if buf_v[s, 3] >= adf_cut2:
            continue
        j = buf_j[s]
        # j → i is −(x_j − x_i)
        ax, ay, az = -buf_v[s, 0], -buf_v[s, 1], -buf_v[s, 2]
        q = _scan(pos[j, 0], pos[j, 1], pos[j, 2], j, i, pos, box, inv_box, adf_cut2, nc, span, head, nxt, nb_j, nb_v)
        dt += sign * q
        for t in range(q):
            k = _angle_bin(ax, ay, az, nb_v[t, 0], nb_v[t, 1], nb_v[t, 2], t_start, dt_bin, n_t, t_clamp)
            if k >= 0:
                dC[k] += sign
    return dt


@njit(cache=True)
def run_moves(n_moves, rng, pos, box, inv_box, spec, ptype, cmin2, reach2, r_start, dr_bin, n_r,
           nc, span, head, nxt, prv, cell, hist,
           rs_a, rs_b, rs_w, rs_t, rs_y, ds_m, ds_w, ds_t, ds_y,
           adf_on, adf_cut2, t_start, dt_bin, n_t, t_clamp, adf_c, adf_tot, adf_w, adf_t, adf_y, adf_scale,
           chi2, params, counters):
    """Run ``n_moves`` attempted single-atom moves, updating every array in place.

    params: [step, target_acceptance, step_min, step_max, adapt_every].
    counters: [attempted, accepted, rejected_closest_approach, block_attempted, block_accepted].
    chi2: (O_rs + O_ds + 1,) χ² per observable (real-space, dense, ADF).
    """
    n = pos.shape[0]
    n_p = hist.shape[0]
    o_rs, o_ds = rs_a.shape[0], ds_m.shape[0]
    n_q = ds_m.shape[3]
    buf_old_j = np.empty(n, dtype=np.int64)
    buf_old_v = np.empty((n, 4))
    buf_new_j = np.empty(n, dtype=np.int64)
    buf_new_v = np.empty((n, 4))
    nb_j = np.empty(n, dtype=np.int64)
    nb_v = np.empty((n, 4))
    dh = np.zeros(n_p * n_r, dtype=np.int64)
    tflag = np.zeros(n_p * n_r, dtype=np.uint8)
    touched = np.empty(2 * n, dtype=np.int64)
    kflag = np.zeros(n_r, dtype=np.uint8)
    ktouched = np.empty(2 * n, dtype=np.int64)
    dyr = np.zeros((o_rs, n_r))
    dyd = np.zeros((o_ds, n_q))
    dchi = np.zeros(chi2.shape[0])
    dC = np.zeros(adf_c.shape[0], dtype=np.int64)
    y_new = np.empty(adf_c.shape[0])
    step = params[0]
    for _ in range(n_moves):
        i = rng.integers(0, n)
        a = spec[i]
        x = pos[i, 0] + step * (2.0 * rng.random() - 1.0)
        y = pos[i, 1] + step * (2.0 * rng.random() - 1.0)
        z = pos[i, 2] + step * (2.0 * rng.random() - 1.0)
        x -= box[0] * np.floor(x * inv_box[0])
        y -= box[1] * np.floor(y * inv_box[1])
        z -= box[2] * np.floor(z * inv_box[2])
        if x >= box[0]:
            x = 0.0
        if y >= box[1]:
            y = 0.0
        if z >= box[2]:
            z = 0.0
        counters[0] += 1
        counters[3] += 1
        m_new = _scan(x, y, z, i, i, pos, box, inv_box, reach2, nc, span, head, nxt, buf_new_j, buf_new_v)
        close = False
        for t in range(m_new):
            if buf_new_v[t, 3] < cmin2[a, spec[buf_new_j[t]]]:
                close = True
                break
        if close:
            counters[2] += 1
        else:
            m_old = _scan(pos[i, 0], pos[i, 1], pos[i, 2], i, i, pos, box, inv_box, reach2, nc, span, head, nxt,
                          buf_old_j, buf_old_v)
            nt = 0
            for t in range(m_old):
                k = _r_bin(buf_old_v[t, 3], r_start, dr_bin, n_r)
                if k >= 0:
                    idx = ptype[a, spec[buf_old_j[t]]] * n_r + k
                    if tflag[idx] == 0:
                        tflag[idx] = 1
                        touched[nt] = idx
                        nt += 1
                    dh[idx] -= 1
            for t in range(m_new):
                k = _r_bin(buf_new_v[t, 3], r_start, dr_bin, n_r)
                if k >= 0:
                    idx = ptype[a, spec[buf_new_j[t]]] * n_r + k
                    if tflag[idx] == 0:
                        tflag[idx] = 1
                        touched[nt] = idx
                        nt += 1
                    dh[idx] += 1
            delta = 0.0
            nk = 0
            for t in range(nt):
                idx = touched[t]
                d = dh[idx]
                if d == 0:
                    continue
                p = idx // n_r
                k = idx - p * n_r
                if kflag[k] == 0:
                    kflag[k] = 1
                    ktouched[nk] = k
                    nk += 1
                    for o in range(o_rs):
                        dyr[o, k] = 0.0
                for o in range(o_rs):
                    dyr[o, k] += rs_a[o, p, k] * d
                for o in range(o_ds):
                    row = ds_m[o, p, k]
                    for qi in range(n_q):
                        dyd[o, qi] += d * row[qi]
            for o in range(o_rs):
                s = 0.0
                for u in range(nk):
                    k = ktouched[u]
                    e = rs_y[o, k] - rs_t[o, k]
                    s += rs_w[o, k] * dyr[o, k] * (2.0 * e + dyr[o, k])
                dchi[o] = s
                delta += s
            for o in range(o_ds):
                s = 0.0
                for qi in range(n_q):
                    e = ds_y[o, qi] - ds_t[o, qi]
                    s += ds_w[o, qi] * dyd[o, qi] * (2.0 * e + dyd[o, qi])
                dchi[o_rs + o] = s
                delta += s
            d_tot = 0
            if adf_on:
                d_tot = _adf_delta(i, buf_old_j, buf_old_v, m_old, -1, pos, box, inv_box, adf_cut2, nc, span, head,
                                   nxt, t_start, dt_bin, n_t, t_clamp, dC, nb_j, nb_v)
                d_tot += _adf_delta(i, buf_new_j, buf_new_v, m_new, 1, pos, box, inv_box, adf_cut2, nc, span, head,
                                    nxt, t_start, dt_bin, n_t, t_clamp, dC, nb_j, nb_v)
                tot = adf_tot[0] + d_tot
                norm = adf_scale / tot if tot > 0 else 0.0
                s = 0.0
                for k in range(n_t):
                    y_new[k] = (adf_c[k] + dC[k]) * norm
                    e_new = y_new[k] - adf_t[k]
                    e_old = adf_y[k] - adf_t[k]
                    s += adf_w[k] * (e_new * e_new - e_old * e_old)
                dchi[o_rs + o_ds] = s
                delta += s
            if delta <= 0.0 or rng.random() < np.exp(-0.5 * delta):
                for t in range(nt):
                    idx = touched[t]
                    p = idx // n_r
                    hist[p, idx - p * n_r] += dh[idx]
                for u in range(nk):
                    k = ktouched[u]
                    for o in range(o_rs):  # exact from H: no drift in the real-space observables
                        v = rs_b[o, k]
                        for p in range(n_p):
                            v += rs_a[o, p, k] * hist[p, k]
                        rs_y[o, k] = v
                for o in range(o_ds):
                    for qi in range(n_q):
                        ds_y[o, qi] += dyd[o, qi]
                if adf_on:
                    adf_tot[0] += d_tot
                    for k in range(n_t):
                        adf_c[k] += dC[k]
                        adf_y[k] = y_new[k]
                for o in range(chi2.shape[0]):
                    chi2[o] += dchi[o]
                if span > 0:
                    c_old = cell[i]
                    c_new = _cell_of(x, y, z, inv_box, nc)
                    if c_new != c_old:  # unlink from the old cell, push onto the new one
                        if prv[i] >= 0:
                            nxt[prv[i]] = nxt[i]
                        else:
                            head[c_old] = nxt[i]
                        if nxt[i] >= 0:
                            prv[nxt[i]] = prv[i]
                        nxt[i] = head[c_new]
                        prv[i] = -1
                        if head[c_new] >= 0:
                            prv[head[c_new]] = i
                        head[c_new] = i
                        cell[i] = c_new
                pos[i, 0], pos[i, 1], pos[i, 2] = x, y, z
                counters[1] += 1
                counters[4] += 1
            for t in range(nt):
                dh[touched[t]] = 0
                tflag[touched[t]] = 0
            for u in range(nk):
                kflag[ktouched[u]] = 0
            for o in range(o_ds):
                for qi in range(n_q):
                    dyd[o, qi] = 0.0
            if adf_on:
                for k in range(n_t):
                    dC[k] = 0
            for o in range(dchi.shape[0]):
                dchi[o] = 0.0
        if counters[3] >= params[4]:
            acc = counters[4] / counters[3]
            step = min(max(step * np.exp(acc - params[1]), params[2]), params[3])
            counters[3] = 0
            counters[4] = 0
    params[0] = step


@njit(cache=True)
def build_cells(pos, inv_box, nc, head, nxt, prv, cell):
    head[:] = -1
    for i in range(pos.shape[0]):
        c = _cell_of(pos[i, 0], pos[i, 1], pos[i, 2], inv_box, nc)
        cell[i] = c
        nxt[i] = head[c]
        prv[i] = -1
        if head[c] >= 0:
            prv[head[c]] = i
        head[c] = i
