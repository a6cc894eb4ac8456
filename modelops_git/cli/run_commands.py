"""Commands that run pipelines and version data: run, data add."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from modelops_git import api, output
from modelops_git.cli.app import EnvOption, JsonOption, app, emit


@app.command("run")
def run_command(
    pipelines: Annotated[
        list[str] | None, typer.Argument(help="Pipelines to run (default: all).")
    ] = None,
    env: EnvOption = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Tasks run at once (default: number of cores)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Run every task, even up-to-date ones.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would run and why; run nothing.")
    ] = False,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the last interrupted or failed run.")
    ] = False,
    queued: Annotated[
        bool,
        typer.Option(
            "--queued",
            help="Run what git hooks queued (`mo queue`); entries go once their run succeeds.",
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Run pipelines on this machine; tasks whose inputs did not change are skipped."""
    from modelops_git.run.local import RunOptions

    options = RunOptions(tuple(pipelines or ()), env, jobs or (os.cpu_count() or 1), force, resume)
    if queued:
        summaries = api.run_queued(Path.cwd(), options, output.run_event)
        for summary in [] if json else summaries:
            output.run_summary(summary)
        if json:
            output.json_data(summaries)
        if any(s["status"] != "succeeded" for s in summaries):
            raise typer.Exit(1)
        return
    if dry_run:
        rows = api.dry_run(Path.cwd(), options)
        emit(
            rows,
            json,
            lambda: output.table(
                ["TASK", "ACTION", "WHY"],
                [[r["task"], r["action"], "; ".join(r["reasons"])] for r in rows],
            ),
        )
        return
    if sys.stderr.isatty() and not json:
        with output.LiveRun() as live:
            summary = api.run(Path.cwd(), options, live.event)
    else:
        summary = api.run(Path.cwd(), options, output.run_event)
    emit(summary, json, lambda: output.run_summary(summary))
    if summary["status"] != "succeeded":
        raise typer.Exit(1)


@app.command("run-task")
def run_task_command(
    pipeline: Annotated[str, typer.Argument(help="The pipeline.")],
    task: Annotated[str, typer.Argument(help="The task to run.")],
    env: EnvOption = None,
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run-id",
            help="Join this run: every task an engine runs for one pipeline run shares it.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Run even if up to date.")] = False,
    single_attempt: Annotated[
        bool,
        typer.Option(
            "--single-attempt",
            help="Make one attempt: the engine running this job does the retries.",
        ),
    ] = False,
    json: JsonOption = False,
) -> None:
    """Run one task as `mo run` would (skipped when up to date, recorded in the run's
    lineage). CI engines (`mo ci`, `mo export`) run every task this way."""
    from modelops_git.run.local import RunOptions

    only = (f"{pipeline}/{task}",)
    options = RunOptions(
        (pipeline,), env, 1, force, only=only, run_id=run_id, single_attempt=single_attempt
    )
    summary = api.run(Path.cwd(), options, output.run_event)
    emit(summary, json, lambda: output.run_summary(summary))
    if summary["status"] != "succeeded":
        raise typer.Exit(1)


data_app = typer.Typer(help="Version data with DVC.", no_args_is_help=True)
app.add_typer(data_app, name="data")


@data_app.command("add")
def data_add(
    paths: Annotated[list[str], typer.Argument(help="Files or directories to track.")],
    json: JsonOption = False,
) -> None:
    """Track data with DVC (`dvc add`): writes PATH.dvc pointers to commit."""
    result = api.data_add(Path.cwd(), paths)
    if json:
        output.json_data(result)
        return
    for pointer in result["pointers"]:
        output.line(f"tracked: commit {pointer} (and the .gitignore beside it)", ok=True)
