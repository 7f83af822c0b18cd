"""The measurement model: what a measured curve went through, applied to the simulated one.

A measured g(r) is not the structure's g(r): it is the Fourier transform of an S(Q) measured
up to some Q_max (termination ripples, or the Lorch-broadened peaks that remove them), damped
by the instrument's Q resolution; a measured S(Q) carries thermal (Debye–Waller) damping and
the instrument's Q broadening. Fitting a model curve without them fits the wrong peak heights.
:class:`MeasurementModel` states these effects once per target; :func:`measured_observable`
returns the kind's observable with them applied, so that guidance, RMC and reports all compare
like with like.

================  =============================================  ====================  ======
field             effect on the simulated curve                   kinds                 unit
================  =============================================  ====================  ======
``smearing``      Gaussian smearing (replaces the kind's default) ``gr Gr adf xanes``   Å, °, index
``qmax``          termination: G(r) → (2/π)∫₀^Qmax F(Q) M(Q)      ``gr Gr``             Å⁻¹
                  sin(Qr) dQ with F(Q) the transform of G(r)
``lorch``         M(Q) = sinc(πQ/Q_max) (Lorch 1969) with qmax    ``gr Gr``             —
``qdamp``         G(r) · exp(−(r·qdamp)²/2) (PDFgui's envelope)   ``gr Gr``             Å⁻¹
``biso``          [S(Q) − 1] · exp(−B Q²/8π²)                     ``sq-* fq-*``         Å²
``qbroad``        Gaussian broadening of S(Q) − 1 in Q            ``sq-* fq-*``         Å⁻¹
================  =============================================  ====================  ======

Termination (``qmax``): G(r) of the model is computed on an extended grid r' ∈ (0, r_max +
:data:`EXTEND`] and tapered to zero over the last :data:`TAPER` Å (so its own truncation adds
no ripple), transformed to F(Q) on 0 ≤ Q ≤ Q_max and back; both transforms are one fixed
matrix K (R_out × R_in), G_meas = K G. g(r) = 1 + G/(4πρ₀r). The same operator is what
:func:`glasslib.spectra.transforms.pdf_from_fq` applies to an F(Q) known up to Q_max (a test
compares the two routes).

Everything is differentiable w.r.t. positions and follows the structures' dtype and device.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

import torch

from glasslib.core.errors import InputError
from glasslib.core.structures import Structures
from glasslib.spectra.kinds import SQ_CUTOFF, SpectrumKind
from glasslib.spectra.rdf import pair_distribution, reduced_pdf
from glasslib.spectra.scattering import structure_factor
from glasslib.spectra.transforms import lorch_window, trapezoid_weights

#: extension of the model's r grid beyond the target's r_max for the termination transform, Å
EXTEND = 8.0
#: width of the cosine taper at the end of the extended grid, Å
TAPER = 3.0

#: fields that apply to each abscissa (``SpectrumKind.x_name``)
_APPLIES = {
    "r": ("smearing", "qmax", "lorch", "qdamp"),
    "theta": ("smearing",),
    "index": ("smearing",),
    "Q": ("biso", "qbroad"),
    "k": (),  # EXAFS: the surrogate carries FEFF's own broadening; nothing to add here
}


@dataclass(frozen=True)
class MeasurementModel:
    """Measurement effects applied to a simulated spectrum (module table). Defaults: none."""

    smearing: float | None = None
    qmax: float | None = None
    lorch: bool = False
    qdamp: float = 0.0
    biso: float = 0.0
    qbroad: float = 0.0

    def __post_init__(self):
        for name in ("smearing", "qmax", "qdamp", "biso", "qbroad"):
            v = getattr(self, name)
            if v is None:
                continue
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise InputError(f"measurement model: {name} must be a finite number >= 0, got {v}")
        if self.qmax is not None and self.qmax <= 0:
            raise InputError(f"measurement model: qmax must be positive, got {self.qmax}")
        if self.lorch and self.qmax is None:
            raise InputError("measurement model: the Lorch modification needs qmax")

    def given(self) -> dict:
        """The fields that differ from the defaults."""
        default = MeasurementModel()
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) != getattr(default, f.name)}

    def check_kind(self, kind: SpectrumKind, where=None) -> None:
        """One-line error if a given field does not apply to ``kind``."""
        allowed = _APPLIES.get(kind.x_name, ())
        wrong = [name for name in self.given() if name not in allowed]
        if wrong:
            raise InputError(f"{', '.join(wrong)} do(es) not apply to a {kind.name} target "
                             f"(applies: {', '.join(allowed) or 'none'})", where)

    def to_dict(self) -> dict:
        return asdict(self)


def termination_kernel(r_out: torch.Tensor, r_in: torch.Tensor, qmax: float, *, lorch: bool = False,
                       n_q: int | None = None) -> torch.Tensor:
    """K (R_out, R_in) with G_meas(r_out) = K @ G(r_in): forward sine transform of G on ``r_in``
    (trapezoid), then (2/π)∫₀^Qmax … M(Q) sin(Q r) dQ (trapezoid; M the Lorch function if
    ``lorch``). ``n_q`` Q points (default: 4 per π/r_in[-1], at least 512)."""
    r_max = float(r_in[-1])
    if n_q is None:
        n_q = max(512, int(math.ceil(4 * qmax * r_max / math.pi)) + 1)
    q = torch.linspace(0.0, float(qmax), n_q, dtype=r_in.dtype, device=r_in.device)
    wq = trapezoid_weights(q)
    if lorch:
        wq = wq * lorch_window(q, float(qmax))
    forward = torch.sin(q[:, None] * r_in[None, :]) * trapezoid_weights(r_in)[None, :]  # (Q, R_in)
    back = (2.0 / math.pi) * torch.sin(r_out[:, None] * q[None, :]) * wq[None, :]  # (R_out, Q)
    return back @ forward


def _taper(r: torch.Tensor, width: float) -> torch.Tensor:
    """1 up to r[-1] − width, then cos² down to 0 at r[-1]."""
    start = float(r[-1]) - width
    t = ((r - start) / width).clamp(0.0, 1.0)
    return torch.cos(0.5 * math.pi * t) ** 2


def measured_observable(kind: SpectrumKind, grid: torch.Tensor, model: MeasurementModel | None = None, *,
                        cutoff: float | None = None, isotopes=None):
    """``structures -> (S, K)``: ``kind`` on ``grid`` as the measurement ``model`` would record it.

    Args:
        kind: the spectrum kind.
        grid: (K,) target grid (uniform for r and θ kinds).
        model: measurement effects (None: the kind's plain observable).
        cutoff: ADF neighbour cutoff (Å) or S(Q) Debye cutoff.
        isotopes: neutron kinds: {element: isotope name or b in fm} (:meth:`SpectrumKind.compute`).
    """
    model = model or MeasurementModel()
    model.check_kind(kind)
    plain = model.qmax is None and model.qdamp == 0 and model.biso == 0 and model.qbroad == 0
    if plain:
        return kind.observable(grid, smearing=model.smearing, cutoff=cutoff, isotopes=isotopes)
    if kind.x_name == "Q":
        rc = SQ_CUTOFF if cutoff is None else cutoff

        def q_observable(structures: Structures) -> torch.Tensor:
            q = grid.to(dtype=structures.dtype, device=structures.device)
            sf = structure_factor(structures, q, radiation=kind.radiation, cutoff=rc, window="lorch",
                                  biso=model.biso, qbroad=model.qbroad, isotopes=isotopes or None)
            return sf.s if kind.quantity == "sq" else sf.f

        return q_observable
    # r kinds with termination and/or damping
    width = kind.smearing if model.smearing is None else model.smearing

    def r_observable(structures: Structures) -> torch.Tensor:
        r_out = grid.to(dtype=structures.dtype, device=structures.device)
        if model.qmax is None:
            pd = pair_distribution(structures, r_out, sigma=width)
            g_big = reduced_pdf(pd)
            density = pd.density
        else:
            dr = float(r_out[1] - r_out[0])
            n_in = int(math.ceil((float(r_out[-1]) + EXTEND) / dr))
            r_in = dr * torch.arange(1, n_in + 1, dtype=r_out.dtype, device=r_out.device)
            pd = pair_distribution(structures, r_in, sigma=width)
            density = pd.density
            kernel = termination_kernel(r_out, r_in, model.qmax, lorch=model.lorch)
            g_big = (reduced_pdf(pd) * _taper(r_in, TAPER)) @ kernel.T
        if model.qdamp > 0:
            g_big = g_big * torch.exp(-0.5 * (r_out * model.qdamp) ** 2)
        if kind.quantity == "Gr":
            return g_big
        four_pi_rho_r = 4.0 * math.pi * density[:, None] * r_out[None, :]
        positive = r_out > 0
        return torch.where(positive, 1.0 + g_big / torch.where(positive, four_pi_rho_r, torch.ones_like(four_pi_rho_r)),
                           torch.zeros_like(g_big))

    return r_observable
