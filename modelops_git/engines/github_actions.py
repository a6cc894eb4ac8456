"""`mo ci github`: engine graphs as one GitHub Actions workflow.

One job per task, `needs:` following the DAG. A first job validates the spec and decides which
task jobs run (`python -m modelops_git.engines.github_runtime affected`): tasks `mo affected`
reports, on branches their `when.branches` globs allow (decided with the same `fnmatch` as the
local runner, which GitHub's case-insensitive expression functions cannot reproduce). Every
value from the spec or the event reaches a script through `env:` only; literal `${{` in data
is escaped so GitHub never evaluates it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelops_git.engines.graph import EngineGraph, EngineTask
from modelops_git.engines.workflow_yaml import Block, Commented, dump_workflow
from modelops_git.errors import ModelOpsError

__all__ = [
    "ACTIONS",
    "WorkflowSettings",
    "check_action_reference",
    "escape_expressions",
    "job_ids",
    "job_timeout_minutes",
    "render_workflow",
    "validate_secret_name",
]

ACTIONS = {
    "checkout": Commented("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"),
    "upload": Commented(
        "actions/upload-artifact@b4b15b8c7c6ac21ea08fcf65892d2ee8f75cf882", "v4.4.3"
    ),
    "download": Commented(
        "actions/download-artifact@fa0a91b85d4f404e444e00e005971372dc801d16", "v4.1.8"
    ),
}
AFFECTED_JOB = "affected"
SUMMARY_JOB = "summary"
SYNC_JOB = "sync"
SYNC_SCRIPT = (
    'auth="$(printf \'x-access-token:%s\' "$GITHUB_TOKEN" | base64 -w0)"\n'
    "export GIT_CONFIG_COUNT=1\n"
    'export GIT_CONFIG_KEY_0="http.${GITHUB_SERVER_URL}/.extraheader"\n'
    'export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic ${auth}"\n'
    "mo sync --push origin\n"
)
SETUP_MINUTES = 10
"""Checkout, installing mo and moving artifacts, on top of the task's own time."""
DEFAULT_TASK_MINUTES = 360
"""A task without a timeout gets GitHub's own job limit on hosted runners."""
SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_JOB_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_REMOTE_ACTION = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}")
_LOCAL_ACTION = re.compile(r"\./([A-Za-z0-9_.-]+/?)*")
JOB_TABLE = "MO_JOBS"
JOB_TABLE_CHUNK = 64_000
RUN_ID = "${{ github.run_id }}-${{ github.run_attempt }}"
HEADER = (
    "Written by `mo ci github` from modelops.yaml: change the spec and run it again rather\n"
    "than editing this file."
)


@dataclass(frozen=True)
class WorkflowSettings:
    outs: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    """pipeline -> task -> outs: uploaded as the job's artifact, downloaded by its dependents."""
    dvc_remote: bool = False
    """Whether `.dvc/config` names a default remote: task jobs then `dvc pull` first."""
    mo_action: str = "./"
    """The modelops-git composite action: `./` (this repository) or `OWNER/REPO@<commit sha>`."""
    runs_on: str = "ubuntu-latest"
    python_version: str = "3.11"


def render_workflow(graphs: list[EngineGraph], settings: WorkflowSettings | None = None) -> str:
    settings = settings or WorkflowSettings()
    check_action_reference(settings.mo_action)
    ids = job_ids(graphs)
    jobs: dict[str, Any] = {AFFECTED_JOB: _affected_job(graphs, ids, settings)}
    setup = [_checkout(), _install_mo(settings)]  # one object for every job: written once
    for graph in sorted(graphs, key=lambda g: g.pipeline):
        for task in graph.tasks:
            jobs[ids[graph.pipeline, task.name]] = _task_job(graph, task, ids, settings, setup)
    jobs[SYNC_JOB] = _sync_job(settings)
    jobs[SUMMARY_JOB] = _summary_job(graphs, ids, settings)
    workflow = {
        "name": "modelops",
        "on": _triggers(graphs),
        "permissions": {"contents": "read"},
        "concurrency": {
            "group": "modelops-${{ github.ref }}",
            "cancel-in-progress": "${{ github.event_name == 'pull_request' }}",
        },
        "jobs": jobs,
    }
    return dump_workflow(workflow, HEADER)


def job_ids(graphs: list[EngineGraph]) -> dict[tuple[str, str], str]:
    """`PIPELINE_TASK` in GitHub's job id alphabet, unique even where GitHub ignores case."""
    ids: dict[tuple[str, str], str] = {}
    taken: set[str] = {AFFECTED_JOB, SUMMARY_JOB, SYNC_JOB}
    for graph in sorted(graphs, key=lambda g: g.pipeline):
        for task in graph.tasks:
            base = _JOB_ID_CHARS.sub("-", f"{graph.pipeline}_{task.name}")
            base = base if base[0].isalpha() or base[0] == "_" else f"_{base}"
            job, number = base, 1
            while job.lower() in taken:
                number += 1
                job = f"{base}-{number}"
            taken.add(job.lower())
            ids[graph.pipeline, task.name] = job
    return ids


def job_timeout_minutes(task: EngineTask) -> int:
    """Every attempt may use the whole timeout, plus mo's backoff between attempts."""
    if task.timeout_seconds is None:
        return DEFAULT_TASK_MINUTES
    attempts = task.retries + 1
    backoff = sum(task.backoff_seconds * (1 << number) for number in range(task.retries))
    return math.ceil((task.timeout_seconds * attempts + backoff) / 60) + SETUP_MINUTES


def validate_secret_name(task: str, variable: str, secret: str) -> None:
    if not SECRET_NAME.fullmatch(secret) or not SECRET_NAME.fullmatch(variable):
        raise ModelOpsError(
            f"task {task!r}: {variable}={secret!r} is not a GitHub secret name",
            "secret names are letters, digits and '_', not starting with a digit",
        )


def escape_expressions(value: str) -> str:
    """GitHub evaluates `${{` anywhere in a workflow value; this writes it as a string
    literal expression, so the value arrives exactly as written."""
    return value.replace("${{", "${{ '${{' }}")


def _quoted(value: str) -> str:
    """A string literal inside a GitHub expression."""
    return "'" + value.replace("'", "''") + "'"


def _triggers(graphs: list[EngineGraph]) -> dict[str, Any]:
    pipelines = sorted(graph.pipeline for graph in graphs)
    return {
        "pull_request": {},
        "push": {},
        "workflow_dispatch": {
            "inputs": {
                "pipeline": {
                    "description": "Pipeline to run (all: every pipeline in this workflow)",
                    "type": "choice",
                    "options": ["all", *pipelines],
                    "default": "all",
                },
                "reason": {
                    "description": "Why this run was started (shown in the run summary)",
                    "type": "string",
                    "default": "",
                },
                "event": {
                    "description": "Event that started it, such as drift (shown in the summary)",
                    "type": "string",
                    "default": "",
                },
            }
        },
    }


def _checkout() -> dict[str, Any]:
    # Full history: `mo affected` compares with the base commit, and mo reads git history.
    return {
        "uses": ACTIONS["checkout"],
        "with": {"fetch-depth": 0, "persist-credentials": False},
    }


def _install_mo(settings: WorkflowSettings, args: str = "") -> dict[str, Any]:
    if _REMOTE_ACTION.fullmatch(settings.mo_action):
        uses = Commented(settings.mo_action, "modelops-git composite action")
    else:
        # zizmor suggests the newer `$/` form, which actionlint rejects.
        uses = Commented(settings.mo_action, "zizmor: ignore[self-repository]")
    step: dict[str, Any] = {
        "name": "Install mo" if not args else f"mo {args}",
        "uses": uses,
        "with": {"python-version": settings.python_version},
    }
    if args:
        step["with"]["args"] = args
    return step


def check_action_reference(reference: str) -> None:
    if _LOCAL_ACTION.fullmatch(reference) or _REMOTE_ACTION.fullmatch(reference):
        return
    raise ModelOpsError(
        f"{reference!r} is not a pinned action reference",
        "use ./ (the action in this repository) or OWNER/REPO@<40-hex commit sha>",
    )


def _job_table(
    graphs: list[EngineGraph],
    ids: Mapping[tuple[str, str], str],
    outs: Mapping[str, Mapping[str, tuple[str, ...]]] | None = None,
) -> dict[str, str]:
    """Job id -> its task, and with `outs`, what the affected job decides on: branch globs,
    upstream jobs and outs. As JSON in `MO_JOBS_1`, `MO_JOBS_2`, ...: Linux refuses a single
    environment string over 128 KiB, which a 1,000-task table can reach."""
    entries: list[str] = []
    for graph in graphs:
        for task in graph.tasks:
            entry: dict[str, Any] = {"pipeline": graph.pipeline, "task": task.name}
            if outs is not None:
                entry["branches"] = list(task.branches)
                entry["needs"] = [ids[graph.pipeline, need] for need in task.needs]
                entry["outs"] = list(outs.get(graph.pipeline, {}).get(task.name, ()))
            job = ids[graph.pipeline, task.name]
            entries.append(json.dumps({job: entry}, separators=(",", ":"))[1:-1])
    chunks: list[list[str]] = [[]]
    size = 0
    for item in sorted(entries):
        if size + len(item) > JOB_TABLE_CHUNK and chunks[-1]:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += len(item) + 1
    return {
        f"{JOB_TABLE}_{number}": escape_expressions("{" + ",".join(chunk) + "}")
        for number, chunk in enumerate(chunks, start=1)
    }


def _affected_job(
    graphs: list[EngineGraph], ids: Mapping[tuple[str, str], str], settings: WorkflowSettings
) -> dict[str, Any]:
    env = next((graph.env for graph in graphs if graph.env), "")
    return {
        "name": "validate, find affected tasks",
        "runs-on": settings.runs_on,
        "timeout-minutes": 15,
        "outputs": {
            name: f"${{{{ steps.affected.outputs.{name} }}}}"
            for name in ("tasks", "on_branch", "matrix", "pins_changed")
        },
        "steps": [
            _checkout(),
            _install_mo(settings, "validate"),
            {
                "name": "Affected tasks",
                "id": "affected",
                "env": {
                    **_job_table(graphs, ids, settings.outs),
                    "MO_ENV": env or "",
                    "MO_BASE_SHA": (
                        "${{ github.event.pull_request.base.sha || github.event.before }}"
                    ),
                    "MO_PIPELINE_INPUT": "${{ inputs.pipeline }}",
                },
                "run": "python -m modelops_git.engines.github_runtime affected",
            },
        ],
    }


def _task_job(
    graph: EngineGraph,
    task: EngineTask,
    ids: Mapping[tuple[str, str], str],
    settings: WorkflowSettings,
    setup: list[dict[str, Any]],
) -> dict[str, Any]:
    job = ids[graph.pipeline, task.name]
    condition = f"contains(fromJSON(needs.affected.outputs.tasks), {_quoted(job)})"
    if task.branches:
        condition += f" && contains(fromJSON(needs.affected.outputs.on_branch), {_quoted(job)})"
    steps = list(setup)
    steps += [
        {
            "name": f"Outs of {need}",
            "uses": ACTIONS["download"],
            "with": {
                "pattern": _artifact(ids[graph.pipeline, need]),
                "path": ".",
                "merge-multiple": True,
            },
        }
        for need in task.needs
    ]
    if settings.dvc_remote:
        steps.append({"name": "Data from the DVC remote", "run": "dvc pull"})
    steps.append(
        {
            "name": f"mo run-task {graph.pipeline} {task.name}",
            "env": _run_task_env(graph, task),
            "run": _run_task_line(graph),
        }
    )
    outs = settings.outs.get(graph.pipeline, {}).get(task.name, ())
    if outs:
        steps.append(_upload_outs(job, task.name, outs))
    result: dict[str, Any] = {
        "name": f"{graph.pipeline} / {task.name}",
        "needs": [AFFECTED_JOB, *(ids[graph.pipeline, need] for need in task.needs)],
        # An upstream job skipped because it was not affected must not skip this one.
        "if": f"${{{{ !failure() && !cancelled() && {condition} }}}}",
        "runs-on": settings.runs_on,
        "timeout-minutes": job_timeout_minutes(task),
    }
    task_env = _task_env(task)
    if task_env:
        result["env"] = task_env
    result["steps"] = steps
    return result


def _task_env(task: EngineTask) -> dict[str, str]:
    """What the task reads: literal values as data, and each secret twice: under the task's
    variable, and under its own name, which is where `mo run-task` looks it up."""
    env = {name: escape_expressions(value) for name, value in sorted(task.plain_env.items())}
    for variable, secret in sorted(task.secrets.items()):
        validate_secret_name(task.name, variable, secret)
        env[variable] = f"${{{{ secrets.{secret} }}}}"
        env.setdefault(secret, f"${{{{ secrets.{secret} }}}}")
    return env


def _run_task_env(graph: EngineGraph, task: EngineTask) -> dict[str, str]:
    """Step-level, so a task variable of the same name cannot change what runs."""
    env = {"MO_CI_PIPELINE": graph.pipeline, "MO_CI_TASK": task.name, "RUN_ID": RUN_ID}
    if graph.env:
        env["MO_CI_ENV"] = graph.env
    return env


def _run_task_line(graph: EngineGraph) -> str:
    # No --single-attempt: GitHub Actions cannot retry a step, so mo makes every attempt.
    line = 'mo run-task "$MO_CI_PIPELINE" "$MO_CI_TASK"'
    if graph.env:
        line += ' --env "$MO_CI_ENV"'
    return line + ' --run-id "$RUN_ID"'


def _artifact(job: str) -> str:
    """Named after the job: unique, and free of the glob characters download patterns read."""
    return f"mo-outs-{job}"


def _upload_outs(job: str, task: str, outs: tuple[str, ...]) -> dict[str, Any]:
    # modelops.yaml sits at the repository root: with it among the paths, the artifact keeps
    # paths relative to the root (upload-artifact roots it at the paths' common ancestor).
    for out in outs:
        _check_artifact_path(task, out)
    paths = "\n".join(["modelops.yaml", *sorted(outs)]) + "\n"
    return {
        "name": "Upload outs",
        "uses": ACTIONS["upload"],
        "with": {
            "name": _artifact(job),
            "path": Block(escape_expressions(paths)),
            "if-no-files-found": "error",
            "include-hidden-files": True,
            "retention-days": 7,
        },
    }


def _check_artifact_path(task: str, out: str) -> None:
    """upload-artifact reads one path per line, trims them and excludes `!` lines (and
    YAML also breaks lines at U+2028 and U+0085)."""
    if len(out.splitlines()) != 1 or out != out.strip() or out.startswith("!"):
        raise ModelOpsError(
            f"task {task!r}: out {out!r} cannot be passed between GitHub Actions jobs",
            "rename it: no line breaks, no spaces around it and no leading '!'",
        )


def _sync_job(settings: WorkflowSettings) -> dict[str, Any]:
    return {
        "name": "sync environments",
        "needs": [AFFECTED_JOB],
        "if": (
            "${{ github.event_name == 'push' && "
            "github.ref_name == github.event.repository.default_branch && "
            "needs.affected.outputs.pins_changed == 'true' }}"
        ),
        "runs-on": settings.runs_on,
        "timeout-minutes": 30,
        # mo sync brings the registry (git tags) in line with the pins: the one job that writes.
        "permissions": {"contents": "write"},
        "steps": [
            _checkout(),
            _install_mo(settings),
            {
                "name": "mo sync",
                "env": {
                    "GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
                    # the assignment tags are annotated: they need a tagger
                    "GIT_COMMITTER_NAME": "github-actions[bot]",
                    "GIT_COMMITTER_EMAIL": "41898282+github-actions[bot]@users.noreply.github.com",
                },
                # The checkout kept no credentials; the token reaches git for this push only,
                # through the environment (never the command line or .git/config).
                "run": Block(SYNC_SCRIPT),
            },
        ],
    }


def _summary_job(
    graphs: list[EngineGraph], ids: Mapping[tuple[str, str], str], settings: WorkflowSettings
) -> dict[str, Any]:
    return {
        "name": "summary",
        "needs": [AFFECTED_JOB, *sorted(ids.values(), key=str.lower)],
        "if": "${{ always() }}",
        "runs-on": settings.runs_on,
        "timeout-minutes": 10,
        "steps": [
            _checkout(),
            _install_mo(settings),
            {
                "name": "Run summary",
                "env": {
                    **_job_table(graphs, ids),
                    "MO_RESULTS": "${{ toJSON(needs) }}",
                    "MO_TRIGGER_EVENT": "${{ inputs.event }}",
                    "MO_TRIGGER_REASON": "${{ inputs.reason }}",
                },
                "run": "python -m modelops_git.engines.github_runtime summary",
            },
        ],
    }
