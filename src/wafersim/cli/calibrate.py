"""``wafersim calibrate``: fit the efficiency parameters per hardware kind on published rows."""

from __future__ import annotations

import typer
from rich.table import Table

from wafersim.cli.common import catalog, console, print_json
from wafersim.cli.writing import print_written, progress, write_target
from wafersim.validate.calibrate import calibrate as run_calibrate
from wafersim.validate.calibrate import write as write_catalog
from wafersim.validate.fitting import CatalogCalibration, Fitted
from wafersim.validate.records import read


def calibrate(
    write: bool = typer.Option(False, "--write", help="Write the fitted values (one line per "
                               "parameter, with provenance) into copies of the changed part files "
                               "under the user catalog directory; show the diff."),
    catalog_dir: str = typer.Option(None, "--catalog-dir", metavar="DIR", help="User catalog "
                                    "directory --write copies parts into (default: the first "
                                    "$WAFERSIM_CATALOG directory, else "
                                    "~/.config/wafersim/catalog)."),
    in_place: bool = typer.Option(False, "--in-place", help="With --write: edit the files the "
                                  "parts came from (the installed package's), keeping NAME.bak."),
    data: str = typer.Option(None, "--data", help="CSV in the public.csv schema (default: the "
                             "published set shipped with wafersim)."),
    as_json: bool = typer.Option(False, "--json", help="Fits, left-out rows and files written."),
) -> None:
    """Fit matmul, HBM and network efficiencies on the micro rows, then framework efficiencies,
    training frameworks' speeds, serving efficiencies and serving stacks on their marked rows;
    print old and fitted values; --write updates the catalog."""
    directory = write_target(write, catalog_dir, in_place)
    cat = catalog()
    with progress("calibrate") as step:
        cal = run_calibrate(read(data, cat), cat, step)
    changes = write_catalog(cal, cat, directory) if write else []
    if as_json:
        print_json({**cal.to_json(), "written": [str(c.path) for c in changes],
                    "diff": "".join(c.diff() for c in changes) if write else None})
        return
    _fits_table(cal)
    _held_out_table(cal)
    _other_tables(cal)
    print_written(changes, directory, write)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _status(f: Fitted) -> str:
    if f.kept:
        return f"kept: {f.kept}"
    old = f.old
    same = (old is not None and old.value == f.value and old.lo == f.lo and old.hi == f.hi
            and old.source == f.source)
    return "unchanged" if same else "new value" if old is None or old.value != f.value else "new provenance"


def _fits_table(cal: CatalogCalibration) -> None:
    table = Table(title="fitted efficiencies (micro rows, then the training and serving calibration subsets)",
                  title_justify="left")
    for head in ("part", "parameter", "old", "fitted", "range", "rows", "per-row values", "status"):
        table.add_column(head, overflow="fold" if head in ("per-row values", "status") else "ellipsis")
    for f in cal.fits:
        rng = "-" if f.lo is None else f"{f.lo:g}-{f.hi:g}"
        per_row = ", ".join(f"{row} {v:.4g}" for row, v in f.per_row.items())
        table.add_row(f.part, f.parameter, _fmt(None if f.old is None else f.old.value),
                      _fmt(f.value), rng, str(len(f.per_row)), per_row, _status(f))
    console().print(table)


def _held_out_table(cal: CatalogCalibration) -> None:
    """Each row of a joint fit predicted with the fit of the other rows."""
    if not cal.held_out:
        return
    table = Table(title="leave-one-out: each row predicted with the joint fit of the others",
                  title_justify="left")
    for head in ("row", "parameter", "system", "model", "metric", "measured", "own value",
                 "others' fit", "predicted", "error"):
        table.add_column(head)
    for h in cal.held_out:
        table.add_row(h.id, f"{h.part}.{h.parameter}", h.system, h.model, h.metric,
                      f"{h.measured:.4g}", f"{h.own_value:.3f}", f"{h.others_value:.3f}",
                      f"{h.predicted:.4g}", f"{h.error:+.1%}")
    errors = sorted(abs(h.error) for h in cal.held_out)
    console().print(table)
    console().print(f"leave-one-out median |error| {errors[len(errors) // 2]:.1%} over "
                    f"{len(errors)} rows")


def _other_tables(cal: CatalogCalibration) -> None:
    if cal.skipped:
        table = Table(title="rows left out", title_justify="left")
        for head in ("row", "parameter", "reason"):
            table.add_column(head, overflow="fold")
        for s in cal.skipped:
            table.add_row(s.id, s.parameter, s.reason)
        console().print(table)
    if cal.elsewhere:
        table = Table(title="fitted elsewhere (not changed here)", title_justify="left")
        for head in ("part", "parameter", "value", "fitted by"):
            table.add_column(head, overflow="fold")
        for e in cal.elsewhere:
            table.add_row(str(e["part"]), str(e["parameter"]), _fmt(e["value"]),
                          str(e["fitted_by"]))
        console().print(table)
