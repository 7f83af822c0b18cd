"""Figure helpers shared by the notebooks: one style, atomic saving.

No physics here; notebooks call glasslib for numbers and these helpers for figures.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from glasslib.core.atomic_io import atomic_write_bytes
from glasslib.spectra.kinds import KINDS

STYLE = {
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def use_style() -> None:
    """Apply the package's matplotlib style (headless backend when there is no display)."""
    import matplotlib

    if not os.environ.get("DISPLAY") and matplotlib.get_backend().lower() not in ("agg", "module://matplotlib_inline.backend_inline"):
        matplotlib.use("Agg")
    matplotlib.rcParams.update(STYLE)


def save_figure(fig, path: str | os.PathLike, **kwargs) -> Path:
    """Save ``fig`` (format from the suffix) through a temporary file and a rename."""
    path = Path(path)
    buf = io.BytesIO()
    fig.savefig(buf, format=path.suffix.lstrip(".") or "png", bbox_inches="tight", **kwargs)
    return atomic_write_bytes(path, buf.getvalue())


def label_panel(ax, letter: str, text: str | None = None) -> None:
    """Bold panel letter (and an optional note) in the top-left corner of ``ax``."""
    ax.text(0.01, 0.99, letter, transform=ax.transAxes, fontweight="bold", va="top", ha="left")
    if text:
        ax.text(0.08, 0.99, text, transform=ax.transAxes, va="top", ha="left", fontsize=8)


def plot_fit_report(report: dict, path: str | os.PathLike | None = None, *, title: str | None = None):
    """One panel per target of a :func:`glasslib.analysis.fit_report.fit_report`: the target, the
    ensemble's mean spectrum and its ±1 standard deviation band, with R-factor (and ΔED/A when
    a reference was given) in the panel. Saved atomically to ``path`` if given; returns the figure."""
    import matplotlib.pyplot as plt

    use_style()
    entries = report["targets"]
    fig, axes = plt.subplots(1, len(entries), figsize=(3.4 * len(entries), 2.8), squeeze=False)
    for k, (ax, e) in enumerate(zip(axes[0], entries)):
        kind = KINDS[e["kind"]]
        c = e["curves"]
        mean = c["mean"]
        lo = [m - s for m, s in zip(mean, c["std"])]
        hi = [m + s for m, s in zip(mean, c["std"])]
        ax.plot(c["x"], c["target"], color="k", lw=1.2, label="target")
        ax.plot(c["x"], mean, color="C3", lw=1.0, label=f"ensemble mean (n={report['n_structures']})")
        ax.fill_between(c["x"], lo, hi, color="C3", alpha=0.25, lw=0)
        note = f"R = {e['r_factor']:.3f}"
        if "error_diversity" in e:
            note += f", ΔED/A = {e['error_diversity']['delta_ed_normalized']:.3f}"
        label_panel(ax, chr(ord("a") + k), f"{kind.label}: {note}")
        ax.set_xlabel(f"{kind.x_name} ({kind.x_unit})")
        ax.set_ylabel(kind.label)
        ax.legend(loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    return fig
