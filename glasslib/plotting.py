"""Figure helpers shared by the notebooks: one style, atomic saving.

No physics here; notebooks call glasslib for numbers and these helpers for figures.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from glasslib.core.atomic_io import atomic_write_bytes

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
