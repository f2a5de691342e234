"""``wafersim claims``: every seed claim computed, with its verdict, assumptions and what would
flip it."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from wafersim.cli.common import catalog, console, print_json


def claims(
    ids: list[str] = typer.Argument(None, help="Claim ids (C1..C32); default: every claim."),
    as_json: bool = typer.Option(False, "--json", help="Every claim in full, SI units."),
    markdown: bool = typer.Option(False, "--markdown", help="The claims as Markdown "
                                  "(docs/claims.md)."),
) -> None:
    """Evaluate the seed claims: stated figure, wafersim's figures, verdict, what flips it."""
    from wafersim.claims.evaluate import evaluate_claims
    from wafersim.claims.markdown import markdown as to_markdown
    from wafersim.claims.markdown import shown_value
    from wafersim.errors import ConfigError

    if as_json and markdown:
        raise ConfigError("--json and --markdown disagree (two output formats); give one of them")
    results = evaluate_claims([i.strip().upper() for i in ids] if ids else None, catalog())
    if as_json:
        print_json([r.to_json() for r in results])
    elif markdown:
        sys.stdout.write(to_markdown(results))
    else:
        table = Table(title="seed claims", title_justify="left")
        for head in ("claim", "verdict", "headline", "flips within a range"):
            table.add_column(head, overflow="fold")
        for r in results:
            h = r.evaluation.headline
            table.add_row(r.claim.id, str(r.evaluation.verdict),
                          f"{h.name}: {shown_value(h.value, h.unit)}",
                          ", ".join(sorted({f"{m.part} {m.field}" for m in r.flips})) or "-")
        console().print(table)
