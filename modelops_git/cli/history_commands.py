"""Questions asked of history: lineage, history, metrics diff, why."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelops_git import api, output
from modelops_git.cli.app import JsonOption, app, emit


@app.command()
def lineage(
    target: Annotated[
        str, typer.Argument(help="A model name or an out path, optionally @REV (default HEAD).")
    ],
    json: JsonOption = False,
) -> None:
    """Which data, code and params produced a model or file (at a revision)."""
    data = api.lineage(Path.cwd(), target)
    emit(data, json, lambda: output.lineage(data))


@app.command()
def history(
    name: Annotated[
        str | None,
        typer.Argument(
            help="A model name (its versions) or a metric name; omit it with --env to list "
            "what was deployed there."
        ),
    ] = None,
    env: Annotated[
        str | None,
        typer.Option(
            "--env", "-e", help="Use this environment's recorded runs instead of commits."
        ),
    ] = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="With --env and no NAME: what the environment ran at this date."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Values of a metric, or a model's versions, across commits (or an environment's runs);
    `--env ENV` alone: what ran there, when, who approved it and from which promotion."""
    if name is None:
        if env is None:
            raise typer.BadParameter("give a model or metric name, or --env ENV")
        data = api.env_history(Path.cwd(), env, at)
        emit(data, json, lambda: output.env_history(data))
        return
    rows = api.history(Path.cwd(), name, env)
    emit(
        rows,
        json,
        lambda: output.table(
            ["COMMIT", "DATE", "AUTHOR", "VALUE"],
            [[str(r["commit"] or "-")[:10], r["date"], r["author"], str(r["value"])] for r in rows],
        ),
    )


metrics_app = typer.Typer(help="Compare metrics between revisions.", no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")


@metrics_app.command("diff")
def metrics_diff(
    before: Annotated[
        str, typer.Argument(help="Revision to compare from (default HEAD).")
    ] = "HEAD",
    after: Annotated[
        str | None, typer.Argument(help="Revision to compare to (default: the working tree).")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Metrics at one revision against another (or the working tree)."""
    rows = api.metrics_diff(Path.cwd(), before, after)
    emit(
        rows,
        json,
        lambda: output.table(
            ["FILE", "METRIC", before, after or "workspace", "CHANGE"],
            [
                [
                    r["file"],
                    r["metric"],
                    str(r["old"]),
                    str(r["new"]),
                    "-" if r["change"] is None else f"{r['change']:+.6g}",
                ]
                for r in rows
            ],
        ),
    )


@app.command()
def why(
    metric: Annotated[str, typer.Argument(help="Metric name, or FILE:NAME.")],
    start: Annotated[
        str | None,
        typer.Option("--from", help="Oldest revision to consider (default: the first commit)."),
    ] = None,
    end: Annotated[str, typer.Option("--to", help="Newest revision to consider.")] = "HEAD",
    json: JsonOption = False,
) -> None:
    """Find the commits where a metric moved most, and what changed in them."""
    data = api.why(Path.cwd(), metric, start, end)
    emit(data, json, lambda: output.why(data))
