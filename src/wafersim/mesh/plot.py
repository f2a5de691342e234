"""Heatmaps of per-PE compute and link utilisation and SRAM use (needs the `plot` extra).

`check_plot_path` refuses a path matplotlib cannot write (unknown extension, missing folder)
before any simulation; `render_heatmaps` draws into memory, so a file is written only once
everything has succeeded (`heatmaps_change`, written by `catalog.edit.write_files`: temporary
file and rename).
"""

from __future__ import annotations

import io
from pathlib import Path
from types import ModuleType

from wafersim.catalog.edit import Change
from wafersim.errors import ParameterError, literal
from wafersim.mesh.result import MeshResult

# matplotlib's savefig formats (Figure.canvas.get_supported_filetypes() of the Agg backend)
FORMATS = ("png", "pdf", "svg", "svgz", "eps", "ps", "jpg", "jpeg", "tif", "tiff", "webp",
           "pgf", "raw", "rgba")


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


def check_output_path(parameter: str, path: str | Path) -> Path:
    """A path a file can be written to: not empty, not a folder, its folder exists."""
    out = Path(path)
    if not str(path).strip():
        raise ParameterError(parameter, str(path), f"{{{parameter}!r}} is empty; give a file path",
                             allowed="a file path")
    if out.is_dir():
        raise ParameterError(parameter, str(path), f"{{{parameter}!r}} is a folder; give a file "
                             "path in it", allowed="a file path")
    if not out.parent.is_dir():
        raise ParameterError(parameter, str(path), f"{{{parameter}!r}}: folder "
                             f"{literal(out.parent)} does not exist; create it or write elsewhere",
                             allowed="a path in an existing folder")
    return out


def plot_format(plot_path: str | Path) -> str:
    """The image format a plot path names by its extension, or a one-line error."""
    suffix = Path(plot_path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ParameterError("plot_path", str(plot_path), f"{{plot_path!r}} has no image "
                             f"extension matplotlib writes; end it in .png (or one of "
                             f"{', '.join(FORMATS)})", allowed=f"a path ending in .{', .'.join(FORMATS)}")
    return suffix


def check_plot_path(plot_path: str | Path) -> None:
    """Heatmaps can go to `plot_path` (folder, extension, matplotlib), before any simulation."""
    check_output_path("plot_path", plot_path)
    plot_format(plot_path)
    require_matplotlib(plot_path)


def render_heatmaps(result: MeshResult, fmt: str = "png") -> bytes:
    """The image (in `fmt`) of three heatmaps over the grid: compute, busiest link, SRAM bytes."""
    plt = require_matplotlib()
    panels = (("compute utilisation", result.compute_util, (0, 1)),
              ("link utilisation (busiest port)", result.link_util, (0, 1)),
              ("SRAM bytes", result.sram_bytes, (0, None)))
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), constrained_layout=True)
    try:
        for ax, (title, data, (lo, hi)) in zip(axes, panels, strict=True):
            image = ax.imshow(data, origin="upper", aspect="auto", interpolation="nearest",
                              vmin=lo, vmax=hi, cmap="viridis")
            ax.set_title(title)
            ax.set_xlabel("PE column")
            ax.set_ylabel("PE row")
            fig.colorbar(image, ax=ax)
        cols, rows = result.grid
        fig.suptitle(f"{result.kernel} on {cols}x{rows} {result.pe}: {result.cycles:,} cycles")
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=110)
    finally:
        plt.close(fig)
    return buffer.getvalue()


def heatmaps_change(result: MeshResult, plot_path: str | Path) -> Change:
    """The plot file to write (rendered in memory; nothing written yet)."""
    check_plot_path(plot_path)
    return Change(Path(plot_path), render_heatmaps(result, plot_format(plot_path)))
