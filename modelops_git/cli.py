"""The `mo` command line: one thin function per command; errors are handled once, in main()."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from modelops_git import __version__, api, output
from modelops_git.crash import write_crash_log
from modelops_git.errors import (
    EXIT_BUG,
    EXIT_INTERRUPT,
    EXIT_USAGE,
    ModelOpsError,
    SpecError,
    UsageError,
)
from modelops_git.yaml_emit import dump_yaml

__all__ = ["app", "main"]

app = typer.Typer(
    name="mo",
    help="modelops-git: declarative ML pipelines, data and promotions, kept in git.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_state = {"traceback": False}

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
EnvOption = Annotated[
    str | None, typer.Option("--env", "-e", help="Environment to apply (a file in environments/).")
]


class RenderFormat(StrEnum):
    yaml = "yaml"
    json = "json"


class GraphFormat(StrEnum):
    text = "text"
    mermaid = "mermaid"
    dot = "dot"


def _emit(data: Any, as_json: bool, for_people: Callable[[], object]) -> None:
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
            help="On an internal error, print the traceback instead of writing a log.",
        ),
    ] = False,
) -> None:
    _state["traceback"] = show_traceback


@app.command()
def init(
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files that already exist.")
    ] = False,
    no_dvc: Annotated[
        bool, typer.Option("--no-dvc", help="Do not run `dvc init` / `dvc add`.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Scaffold modelops.yaml, environments and an example pipeline in this git repo."""
    result = api.init(Path.cwd(), force=force, with_dvc=not no_dvc)
    if json:
        output.json_data(result)
        return
    for rel in result["written"]:
        output.line(f"wrote {rel}")
    if result["dvc_initialized"]:
        output.line("initialized DVC (.dvc/)")
    for rel in result["dvc_tracked"]:
        output.line(f"tracked {rel} with DVC ({rel}.dvc)")
    output.line("next: mo validate && mo graph train", ok=True)


@app.command()
def validate(json: JsonOption = False) -> None:
    """Check modelops.yaml and environments/*.yaml; report every problem with file:line:col."""
    try:
        result = api.validate(Path.cwd())
    except SpecError as problems:
        if not json:
            raise
        output.json_data({"ok": False, "problems": [vars(d) for d in problems.diagnostics]})
        raise typer.Exit(problems.exit_code) from None
    if json:
        output.json_data(result)
        return
    tasks = sum(result["pipelines"].values())
    output.line(
        f"ok: {len(result['pipelines'])} pipelines, {tasks} tasks, "
        f"{len(result['environments'])} environments",
        ok=True,
    )


@app.command()
def render(
    pipeline: Annotated[str | None, typer.Argument(help="Only this pipeline.")] = None,
    env: EnvOption = None,
    fmt: Annotated[
        RenderFormat, typer.Option("--format", "-f", help="Output format.")
    ] = RenderFormat.yaml,
) -> None:
    """Print the effective spec after an environment's overrides (deterministic)."""
    data = api.render(Path.cwd(), pipeline, env)
    if fmt is RenderFormat.json:
        output.json_data(data)
    else:
        output.text(dump_yaml(data))


@app.command()
def envs(json: JsonOption = False) -> None:
    """List environments with their platform, pins and promotion policy."""
    listed = api.envs(Path.cwd())
    if json:
        output.json_data(listed)
        return
    rows = [
        [
            e["name"],
            e["platform"],
            e["promotes_from"] or "-",
            str(e["approvals"]),
            "yes" if e["auto"] else "no",
            ", ".join(f"{m}={v}" for m, v in e["pins"].items()) or "-",
        ]
        for e in listed
    ]
    output.table(["ENV", "PLATFORM", "FROM", "APPROVALS", "AUTO", "PINS"], rows)


@app.command()
def graph(
    pipeline: Annotated[str, typer.Argument(help="Pipeline to draw.")],
    env: EnvOption = None,
    fmt: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="Output format.")
    ] = GraphFormat.text,
) -> None:
    """Draw a pipeline's task graph as text, Mermaid or Graphviz DOT."""
    output.text(api.graph(Path.cwd(), pipeline, fmt.value, env))


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
        _emit(
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
    _emit(summary, json, lambda: output.run_summary(summary))
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


@app.command()
def lineage(
    target: Annotated[
        str, typer.Argument(help="A model name or an out path, optionally @REV (default HEAD).")
    ],
    json: JsonOption = False,
) -> None:
    """Which data, code and params produced a model or file (at a revision)."""
    data = api.lineage(Path.cwd(), target)
    _emit(data, json, lambda: output.lineage(data))


@app.command()
def history(
    name: Annotated[str, typer.Argument(help="A model name (its versions) or a metric name.")],
    env: Annotated[
        str | None,
        typer.Option(
            "--env", "-e", help="Use this environment's recorded runs instead of commits."
        ),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Values of a metric, or a model's versions, across commits (or an environment's runs)."""
    rows = api.history(Path.cwd(), name, env)
    _emit(
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
    _emit(
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
    _emit(data, json, lambda: output.why(data))


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
    _emit(data, json, lambda: output.affected(data))


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
    _emit(
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


class Bump(StrEnum):
    major = "major"
    minor = "minor"
    patch = "patch"


@app.command()
def register(
    model: Annotated[str, typer.Argument(help="A model declared in modelops.yaml.")],
    version: Annotated[
        str | None,
        typer.Option("--version", help="The version, vX.Y.Z (default: bump the latest)."),
    ] = None,
    bump: Annotated[
        Bump, typer.Option("--bump", help="Which part of the latest version to bump.")
    ] = Bump.patch,
    ref: Annotated[
        str, typer.Option("--ref", help="The commit holding the model's pointer.")
    ] = "HEAD",
    json: JsonOption = False,
) -> None:
    """Register a model version: an annotated tag MODEL@vX.Y.Z (GTO's format)."""
    result = api.register(Path.cwd(), model, version, bump.value, ref)
    _emit(
        result,
        json,
        lambda: output.line(
            f"registered {result['tag']} at {result['commit'][:10]} (md5 "
            f"{result['md5'][:12]}); share it: git push origin {result['tag']}",
            ok=True,
        ),
    )


@app.command()
def assign(
    model: Annotated[str, typer.Argument(help="A registered model.")],
    version: Annotated[str, typer.Option("--version", help="The registered version.")],
    env: Annotated[str, typer.Option("--env", "-e", help="The environment.")],
    unassign: Annotated[
        bool, typer.Option("--unassign", help="Take the version out of the environment.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Record that an environment runs a version: a tag MODEL#ENV#N (promotions do this)."""
    result = api.assign(Path.cwd(), model, version, env, unassign)
    _emit(result, json, lambda: output.line(f"created {result['tag']}", ok=True))


@app.command()
def show(
    model: Annotated[str | None, typer.Argument(help="Only this model.")] = None,
    json: JsonOption = False,
) -> None:
    """Registered models: latest version, what each environment holds, and the pins."""
    data = api.show(Path.cwd(), model)
    if json:
        output.json_data(data)
        return
    envs = sorted({env for entry in data.values() for env in entry["environments"]})
    rows = [
        [name, entry["latest"] or "-", *(entry["environments"].get(env) or "-" for env in envs)]
        for name, entry in data.items()
    ]
    output.table(["MODEL", "LATEST", *(f"#{env}" for env in envs)], rows)


@app.command()
def models(json: JsonOption = False) -> None:
    """Every registered version of every model."""
    data = api.show(Path.cwd(), None)
    _emit(
        data,
        json,
        lambda: output.table(
            ["MODEL", "VERSION", "COMMIT", "MD5", "RUN"],
            [
                [name, v["version"], v["commit"][:10], v["md5"][:12], v["run_id"]]
                for name, entry in data.items()
                for v in entry["versions"]
            ],
        ),
    )


def main(argv: list[str] | None = None) -> None:
    """Entry point: maps every outcome to one exit code (0, 1, 2, 3 or 130)."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    try:
        code = app(args=argv, prog_name="mo", standalone_mode=False)
    except SpecError as problems:
        output.diagnostics(problems.diagnostics)
        return problems.exit_code
    except ModelOpsError as problem:
        output.error(problem)
        return problem.exit_code
    except typer.Exit as done:
        return int(done.exit_code)
    except typer.TyperException as usage:
        usage.show()  # type: ignore[attr-defined]
        return int(getattr(usage, "exit_code", EXIT_USAGE))
    except (KeyboardInterrupt, typer.Abort):
        output.error(ModelOpsError("interrupted"))
        return EXIT_INTERRUPT
    except Exception:
        if _state["traceback"]:
            traceback.print_exc()
            return EXIT_BUG
        log = write_crash_log(argv if argv is not None else sys.argv[1:])
        output.error(
            ModelOpsError(
                f"internal error (a bug in mo {__version__}); details in {log}",
                "please report it with that file; rerun with --traceback to see the traceback here",
            )
        )
        return EXIT_BUG
    return code if isinstance(code, int) else 0
