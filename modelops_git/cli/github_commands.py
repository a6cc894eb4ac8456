"""`mo ci github`: write the GitHub Actions workflow that runs the pipelines."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelops_git import output
from modelops_git.cli.app import EnvOption, JsonOption, emit
from modelops_git.cli.engine_commands import ci_app


@ci_app.command("github")
def ci_github(
    env: EnvOption = None,
    pipeline: Annotated[
        str | None, typer.Option("--pipeline", "-p", help="Only this pipeline (default: all).")
    ] = None,
    output_path: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write (default .github/workflows/modelops.yml)."
        ),
    ] = None,
    action: Annotated[
        str,
        typer.Option(
            "--action",
            help="The composite action that installs mo: ./ (this repository's action.yml) "
            "or OWNER/REPO@<40-hex commit sha>.",
        ),
    ] = "./",
    json: JsonOption = False,
) -> None:
    """Write a GitHub Actions workflow: one job per task, run only when the task is affected."""
    from modelops_git.engines.github_api import write_github_workflow

    result = write_github_workflow(Path.cwd(), env, pipeline, output_path, action)
    emit(
        result,
        json,
        lambda: output.line(
            f"wrote {result['path']} ({result['task_jobs']} task jobs); commit it", ok=True
        ),
    )
