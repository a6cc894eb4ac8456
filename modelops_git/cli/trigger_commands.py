"""Build triggers: affected, git hooks and the trigger queue."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelops_git import api, output
from modelops_git.cli.app import JsonOption, app, emit
from modelops_git.errors import UsageError


@app.command()
def affected(
    base: Annotated[str, typer.Option("--base", help="Revision to compare from.")] = "HEAD~1",
    head: Annotated[
        str | None, typer.Option("--head", help="Revision to compare to (default HEAD).")
    ] = None,
    staged: Annotated[
        bool,
        typer.Option(
            "--staged", help="Compare the index (what the next commit holds) with --base."
        ),
    ] = False,
    worktree: Annotated[
        bool,
        typer.Option(
            "--worktree", help="Compare the working tree (untracked files included) with --base."
        ),
    ] = False,
    env: Annotated[
        str | None, typer.Option("--env", "-e", help="Only this environment's overrides count.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """List the pipelines and tasks to rebuild, with every reason, and the triggers that fire."""
    if sum((head is not None, staged, worktree)) > 1:
        raise UsageError("use one of --head, --staged and --worktree", "pick one comparison")
    mode = "staged" if staged else "worktree" if worktree else "rev"
    data = api.affected(Path.cwd(), base, head, mode, env)
    emit(data, json, lambda: output.affected(data))


hooks_app = typer.Typer(
    help="Git hooks that validate specs and queue triggers.", no_args_is_help=True
)
app.add_typer(hooks_app, name="hooks")
HookOption = Annotated[
    str, typer.Option("--hook", help="pre-commit, post-commit, post-merge, pre-push or all.")
]


def _hook_names(hook: str) -> tuple[str, ...]:
    from modelops_git.hooks import HOOKS

    if hook == "all":
        return HOOKS
    if hook not in HOOKS:
        raise UsageError(f"unknown hook {hook!r}", f"use one of: {', '.join(HOOKS)}, all")
    return (hook,)


def _hook_result(done: list[dict[str, str]], json: bool) -> None:
    if json:
        output.json_data(done)
        return
    for entry in done:
        output.line(f"{entry['hook']}: {entry['action']} ({entry['path']})")


@hooks_app.command("install")
def hooks_install(hook: HookOption = "all", json: JsonOption = False) -> None:
    """Install mo's hook shims (an existing hook is kept and chained)."""
    _hook_result(api.hooks_install(Path.cwd(), _hook_names(hook)), json)


@hooks_app.command("uninstall")
def hooks_uninstall(hook: HookOption = "all", json: JsonOption = False) -> None:
    """Remove mo's shims and restore the hooks they chained."""
    _hook_result(api.hooks_uninstall(Path.cwd(), _hook_names(hook)), json)


@app.command("hook-impl", hidden=True)
def hook_impl(name: Annotated[str, typer.Argument(help="The hook to run.")]) -> None:
    """What the hook shims run (they call python -m modelops_git.hook_impl directly)."""
    from modelops_git.hook_impl import main as run_hook

    raise typer.Exit(run_hook([name]))


@app.command("queue")
def queue(json: JsonOption = False) -> None:
    """List triggers queued by git hooks, waiting for `mo run --queued`."""
    entries = api.queue(Path.cwd())
    emit(
        entries,
        json,
        lambda: output.table(
            ["COMMIT", "TRIGGER", "PIPELINE", "ENV", "QUEUED"],
            [
                [e["commit"][:10], e["trigger"], e["pipeline"], e["env"], e["queued_at"]]
                for e in entries
            ],
        ),
    )
