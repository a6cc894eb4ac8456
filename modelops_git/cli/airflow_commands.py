"""`mo export airflow`: write the pipeline as an Airflow 3 DAG file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelops_git import output
from modelops_git.cli.app import EnvOption, JsonOption, emit
from modelops_git.cli.engine_commands import OnePipelineOption, export_app
from modelops_git.engines.airflow import DEFAULT_MAX_ACTIVE_TASKS


@export_app.command("airflow")
def export_airflow_command(
    env: EnvOption = None,
    pipeline: OnePipelineOption = None,
    output_path: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="The DAG file to write (default: dags/DAG_ID.py)."),
    ] = None,
    dag_id: Annotated[
        str | None,
        typer.Option("--dag-id", help="The DAG's id (default: PIPELINE or PIPELINE__ENV)."),
    ] = None,
    max_active_tasks: Annotated[
        int,
        typer.Option("--max-active-tasks", min=1, help="Tasks of one DAG run running at once."),
    ] = DEFAULT_MAX_ACTIVE_TASKS,
    json: JsonOption = False,
) -> None:
    """Write an Airflow 3 DAG whose tasks run `mo run-task` (Airflow retries, times out
    and orders them); copy it to Airflow's dags folder and set MO_PROJECT_DIR on workers."""
    from modelops_git.engines.airflow_api import export_airflow

    result = export_airflow(Path.cwd(), pipeline, env, output_path, dag_id, max_active_tasks)
    emit(
        result,
        json,
        lambda: output.line(
            f"wrote {result['path']}: DAG {result['dag_id']} with {len(result['tasks'])} tasks",
            ok=True,
        ),
    )
