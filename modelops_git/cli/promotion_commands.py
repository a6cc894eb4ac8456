"""Promotions: promote, review, merge, sync, rollback, hold, status."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from modelops_git import api, output
from modelops_git.cli.app import JsonOption, app, emit
from modelops_git.errors import ModelOpsError

ModelOption = Annotated[
    str | None, typer.Option("--model", "-m", help="The model (default: the only one declared).")
]


class Provider(StrEnum):
    local = "local"
    github = "github"


@app.command()
def promote(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Environment promoted from.")],
    target: Annotated[
        str, typer.Argument(metavar="TO", help="Environment promoted to (or a promotion id).")
    ],
    model: ModelOption = None,
    version: Annotated[
        str | None, typer.Option("--version", help="Version (default: what FROM pins).")
    ] = None,
    provider: Annotated[
        Provider,
        typer.Option(
            "--provider",
            help="Where the review happens: local (git refs, `mo review`) or github (a pull "
            "request; MO_GITHUB_REPO or the origin remote, MO_GITHUB_TOKEN or GITHUB_TOKEN).",
        ),
    ] = Provider.local,
    json: JsonOption = False,
) -> None:
    """Promote a model version from one environment to the next: gates, then a branch and a
    review (`mo promote status ID` shows one; `mo promote close ID` abandons one)."""
    if source in ("status", "close"):
        _promotion_action(source, target, json)
        return
    try:
        result = api.promote(Path.cwd(), source, target, model, version, provider.value)
    except ModelOpsError as problem:
        results = getattr(problem, "results", None)
        if results is not None:
            rows = [r.to_data() for r in results]
            emit({"ok": False, "gates": rows}, json, lambda: output.gate_table(rows))
        raise
    emit(result, json, lambda: output.promotion_opened(result))


def _promotion_action(action: str, promotion_id: str, json: bool) -> None:
    if action == "status":
        data = api.promotion_status(Path.cwd(), promotion_id)
        emit(data, json, lambda: output.promotion_status(data))
        return
    data = api.close_promotion(Path.cwd(), promotion_id, "closed with mo promote close")
    emit(data, json, lambda: output.line(f"closed {promotion_id}", ok=True))


class ReviewState(StrEnum):
    approved = "approved"
    changes_requested = "changes requested"
    commented = "commented"


@app.command()
def review(
    promotion_id: Annotated[str, typer.Argument(metavar="ID", help="The promotion.")],
    approve: Annotated[bool, typer.Option("--approve", help="Approve it.")] = False,
    request_changes: Annotated[
        bool, typer.Option("--request-changes", help="Block it until you approve.")
    ] = False,
    message: Annotated[str, typer.Option("--message", "-m", help="Your comment.")] = "",
    json: JsonOption = False,
) -> None:
    """Review a promotion as your git identity, against its current head."""
    if approve and request_changes:
        raise typer.BadParameter("--approve or --request-changes, not both")
    state = (
        ReviewState.approved
        if approve
        else ReviewState.changes_requested
        if request_changes
        else ReviewState.commented
    )
    data = api.review(Path.cwd(), promotion_id, state.value, message)
    emit(
        data,
        json,
        lambda: output.line(
            f"{data['reviewer']}: {state.value} {promotion_id} at {data['head'][:10]}", ok=True
        ),
    )


@app.command()
def merge(
    promotion_id: Annotated[str, typer.Argument(metavar="ID", help="The promotion.")],
    json: JsonOption = False,
) -> None:
    """Merge a promotion once its policy holds; creates the assignment tag MODEL#ENV#N."""
    data = api.merge(Path.cwd(), promotion_id)
    emit(data, json, lambda: output.promotion_merged(data))


@app.command()
def sync(
    push: Annotated[
        str | None,
        typer.Option("--push", metavar="REMOTE", help="Push the new assignment tags there."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Create the assignment tags the pins on this commit call for, and close the promotions
    that brought them (run in CI after a promotion's pull request merges)."""
    data = api.sync(Path.cwd(), push)
    emit(
        data,
        json,
        lambda: output.line(
            f"assigned: {', '.join(data['assigned']) or 'nothing new'}; "
            f"closed: {', '.join(data['closed']) or 'none'}",
            ok=True,
        ),
    )


@app.command()
def rollback(
    env: Annotated[str, typer.Argument(help="The environment to roll back.")],
    model: ModelOption = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Version (default: the one before the current).")
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the hold).")] = "",
    json: JsonOption = False,
) -> None:
    """Promote the previous version back, under the rollback policy; holds the bad version."""
    data = api.rollback(Path.cwd(), env, model, to, reason)
    emit(data, json, lambda: output.promotion_opened(data))


hold_app = typer.Typer(help="Holds that keep a rolled-back version out.", no_args_is_help=True)
app.add_typer(hold_app, name="hold")


@hold_app.command("release")
def hold_release(
    env: Annotated[str, typer.Argument(help="The environment.")],
    model: ModelOption = None,
    json: JsonOption = False,
) -> None:
    """Let the held version be promoted into the environment again."""
    data = api.hold_release(Path.cwd(), env, model)
    emit(data, json, lambda: output.line(f"released the hold on {data['model']} in {env}", ok=True))


@app.command()
def status(json: JsonOption = False) -> None:
    """Per environment: pinned vs deployed versions, holds and open promotions."""
    data: dict[str, Any] = api.status(Path.cwd())
    emit(data, json, lambda: output.environments_status(data))
