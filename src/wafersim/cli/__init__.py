"""The ``wafersim`` command: one thin module per subcommand over the library API.

Every user mistake (bad flag, unknown id, broken catalog file) ends as one ``error: ...`` line on
stderr and exit code 2; never a traceback. A subcommand's module (and the library it needs) is
imported only when that subcommand runs or shows its help, so ``wafersim --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from typing import Protocol, TypeGuard

import typer

from wafersim import __version__
from wafersim.cli.flags import flag_for
from wafersim.cli.lazy import LazyGroup
from wafersim.errors import ParameterError, SimError, one_line

app = typer.Typer(
    name="wafersim", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False, rich_markup_mode=None, cls=LazyGroup,
    help="Simulate AI compute systems (wafer-scale engines, GPU/NPU clusters) running LLMs.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wafersim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    catalog: list[str] = typer.Option(
        [], "--catalog", metavar="DIR",
        help="Extra catalog directory of YAML parts (repeatable; also $WAFERSIM_CATALOG)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    from wafersim.cli.common import state

    if catalog or os.environ.get("WAFERSIM_CATALOG"):  # commands that never read it check too
        from wafersim.catalog.loader import check_user_dirs

        check_user_dirs(catalog)
    state.catalog_dirs = tuple(catalog)


def _fail(message: str) -> int:
    sys.stderr.write(f"error: {one_line(message)}\n")
    return 2


class _UsageError(Protocol):
    exit_code: int

    def format_message(self) -> str: ...


def _is_usage_error(exc: Exception) -> TypeGuard[_UsageError]:
    """Click's usage errors, whether from click itself or the copy typer vendors."""
    return hasattr(exc, "format_message") and hasattr(exc, "exit_code")


def _spelled(argv: list[str]) -> list[str]:
    """`serve plan ...` as the command `serve-plan ...` (a command with options of its own
    cannot also hold a subcommand in click)."""
    for i, word in enumerate(argv[:-1]):
        if word == "serve" and argv[i + 1] == "plan":
            return [*argv[:i], "serve-plan", *argv[i + 2:]]
        if not word.startswith("-") and (i == 0 or argv[i - 1] != "--catalog"):
            break  # the first word that is not a root option names the command
    return argv


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    try:
        args = _spelled(sys.argv[1:] if argv is None else argv)
        result = app(args=args, prog_name="wafersim", standalone_mode=False)
    except ParameterError as exc:
        return _fail(exc.render(flag_for, " "))
    except SimError as exc:
        return _fail(str(exc))
    except typer.Abort:
        return _fail("aborted")
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if not _is_usage_error(exc):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":
            sys.stdout.write(exc.format_message() + "\n")
            return 0
        return _fail(exc.format_message())
    return result if isinstance(result, int) else 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())
