"""Heatmaps of per-PE compute and link utilisation and SRAM use (needs the `plot` extra)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from wafersim.errors import ParameterError, literal
from wafersim.mesh.result import MeshResult


def require_matplotlib(plot_path: str | Path | None = None) -> ModuleType:
    """matplotlib.pyplot on the Agg backend, or a one-line error saying how to install it (for
    heatmaps asked to go to `plot_path`)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ParameterError("plot_path", plot_path, "{plot_path.flag} needs matplotlib; install "
                             "it with: pip install 'wafersim[plot]'") from None
    return plt


def save_heatmaps(result: MeshResult, plot_path: str | Path) -> Path:
    """Write a PNG with three heatmaps over the grid: compute, busiest link, SRAM bytes."""
    plt = require_matplotlib(plot_path)
    panels = (("compute utilisation", result.compute_util, (0, 1)),
              ("link utilisation (busiest port)", result.link_util, (0, 1)),
              ("SRAM bytes", result.sram_bytes, (0, None)))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), constrained_layout=True)
    for ax, (title, data, (lo, hi)) in zip(axes, panels, strict=True):
        image = ax.imshow(data, origin="upper", aspect="auto", interpolation="nearest",
                          vmin=lo, vmax=hi, cmap="viridis")
        ax.set_title(title)
        ax.set_xlabel("PE column")
        ax.set_ylabel("PE row")
        fig.colorbar(image, ax=ax)
    cols, rows = result.grid
    fig.suptitle(f"{result.kernel} on {cols}x{rows} {result.pe}: {result.cycles:,} cycles")
    out = Path(plot_path)
    try:
        fig.savefig(out, dpi=110)
    except OSError as exc:
        raise ParameterError("plot_path", str(plot_path), "{plot_path!r} cannot be written: "
                             f"{literal(exc.strerror)}", allowed="a writable file") from None
    finally:
        plt.close(fig)
    return out
