"""Command groups for CI engines: `mo ci ENGINE`, `mo export ENGINE`, `mo jenkins ...`.

Each engine's commands live in their own module and attach to these groups.
"""

from __future__ import annotations

from typing import Annotated

import typer

from modelops_git.cli.app import app

ci_app = typer.Typer(help="Write CI configuration that runs the pipeline.", no_args_is_help=True)
export_app = typer.Typer(help="Export the pipeline for a workflow engine.", no_args_is_help=True)
jenkins_app = typer.Typer(help="Create and trigger Jenkins pipeline jobs.", no_args_is_help=True)
app.add_typer(ci_app, name="ci")
app.add_typer(export_app, name="export")
app.add_typer(jenkins_app, name="jenkins")

OnePipelineOption = Annotated[
    str | None,
    typer.Option("--pipeline", "-p", help="The pipeline (default: the spec's only one)."),
]
