"""The Typer app, the options commands share, and how `--json` is printed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from modelops_git import __version__, output

__all__ = ["EnvOption", "JsonOption", "app", "emit", "state"]

app = typer.Typer(
    name="mo",
    help="modelops-git: declarative ML pipelines, data and promotions, kept in git.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
state = {"traceback": False}

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
EnvOption = Annotated[
    str | None, typer.Option("--env", "-e", help="Environment to apply (a file in environments/).")
]


def emit(data: Any, as_json: bool, for_people: Callable[[], object]) -> None:
    """`--json` prints the data as it is; otherwise the command's own view of it."""
    if as_json:
        output.json_data(data)
    else:
        for_people()


def _version(value: bool) -> None:
    if value:
        output.text(f"mo {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    show_traceback: Annotated[
        bool,
        typer.Option(
            "--traceback",
            envvar="MO_TRACEBACK",
            help="On an internal error, print the traceback instead of writing a log.",
        ),
    ] = False,
) -> None:
    state["traceback"] = show_traceback
