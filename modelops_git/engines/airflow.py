"""The pipeline as an Airflow 3 DAG file (`mo export airflow`).

The file is data plus fixed code: every value that comes from the spec (names, argv,
descriptions, env values, secret names) is written as a Python literal with `repr()` in the
constants at its top, and the code below them, the same for every pipeline, turns those
constants into one `BashOperator` per task. Nothing from the spec is pasted into code, and
nothing is ever given to Jinja: the command, env and cwd are computed by callables, which
Airflow calls instead of rendering a template (see `_DAG_CODE`).
"""

from __future__ import annotations

import re

from modelops_git.engines.graph import EngineGraph, EngineTask
from modelops_git.errors import ModelOpsError

__all__ = ["AIRFLOW_VERSION", "DEFAULT_MAX_ACTIVE_TASKS", "default_dag_id", "render_airflow"]

AIRFLOW_VERSION = "3.3.2"
"""The Airflow release the generated DAG is written for and tested against."""
DEFAULT_MAX_ACTIVE_TASKS = 16
"""Airflow's own default for `max_active_tasks`."""

_AIRFLOW_KEY = re.compile(r"[A-Za-z0-9_.-]{1,250}")
"""Airflow's rule for dag and task ids."""

_HEADER = '''\
"""Airflow DAG for a modelops-git pipeline, written by `mo export airflow`: regenerate it
instead of editing it.

Each task runs `mo run-task PIPELINE TASK [--env ENV] --run-id ID --single-attempt` in the
project's git checkout; every task of one DAG run joins one mo run record. Airflow makes the
retries (`retries`, `retry_delay`, exponential backoff), so mo makes one attempt per try.

The worker's environment sets:
  MO_PROJECT_DIR  the project's git checkout the tasks run in (required)
  MO_BIN          the mo executable (default: `mo` on PATH)
  MO_BRANCH       the branch `when.branches` conditions are decided against, unless the run's
                  conf has {"branch": "..."}; default: the branch checked out in MO_PROJECT_DIR
Secrets named in the spec (`secret:NAME`, `env:NAME`) come from the Airflow Variable NAME (a
secrets backend, an AIRFLOW_VAR_NAME variable or the metadata database), else from the
worker's own environment variable NAME; their values are never in this file.
"""

from __future__ import annotations

import datetime
import fnmatch
import functools
import os
import re
import shlex
import subprocess
from typing import Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import Variable, dag
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException
from airflow.sdk.log import mask_secret

'''

_DAG_CODE = """

# Template fields (bash_command, env, cwd) are given callables: Airflow calls them with the
# context when the task runs and uses what they return as it is, without Jinja, so a value
# holding "{{ ... }}" reaches mo exactly as written in the spec. (Not @task.bash: it renders
# the command its function returns as a Jinja template.)


def _project_dir(**_: Any) -> str:
    directory = os.environ.get("MO_PROJECT_DIR", "")
    if not directory:
        raise AirflowFailException("set MO_PROJECT_DIR to the project's git checkout")
    return directory


def _branch(context: Any) -> str | None:
    conf = context["dag_run"].conf or {}
    if isinstance(conf.get("branch"), str):
        return str(conf["branch"])
    if os.environ.get("MO_BRANCH"):
        return os.environ["MO_BRANCH"]
    found = subprocess.run(
        ["git", "symbolic-ref", "--quiet", "--short", "HEAD"],
        cwd=_project_dir(),
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or None


def _on_allowed_branch(spec: dict[str, Any], context: Any) -> bool:
    if not spec["branches"]:
        return True
    branch = _branch(context)
    return branch is not None and any(fnmatch.fnmatchcase(branch, p) for p in spec["branches"])


def _skip_unless_on_allowed_branch(spec: dict[str, Any], context: Any) -> None:
    if not _on_allowed_branch(spec, context):
        raise AirflowSkipException(f"when.branches {list(spec['branches'])} excludes this branch")


def _mo_run_id(context: Any) -> str:
    # mo keeps a run record under a git ref: Airflow's run ids hold ":" and "+".
    return re.sub(r"[^A-Za-z0-9_.-]", "-", f"airflow-{DAG_ID}-{context['run_id']}")


def _command(spec: dict[str, Any], *, context: Any, **_: Any) -> str:
    argv = [os.environ.get("MO_BIN") or "mo", *spec["argv"][1:]]
    return shlex.join([*argv, "--run-id", _mo_run_id(context), "--single-attempt"])


def _environment(spec: dict[str, Any], *, context: Any, **_: Any) -> dict[str, str]:
    env = dict(spec["plain_env"])
    if not _on_allowed_branch(spec, context):
        return env
    for name in sorted(set(spec["secrets"].values())):
        value = Variable.get(name, default=None)
        if value is None and name not in os.environ:
            raise AirflowFailException(f"no Airflow Variable or environment variable {name}")
        if value is not None:
            mask_secret(value)
            env[name] = value
    return env


@dag(
    dag_id=DAG_ID,
    description=DESCRIPTION,
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    max_active_tasks=MAX_ACTIVE_TASKS,
    tags=["modelops"],
)
def modelops_pipeline() -> None:
    operators = {}
    for spec in TASKS:
        timeout = spec["timeout_seconds"]
        operators[spec["name"]] = BashOperator(
            task_id=spec["name"],
            doc_md=spec["description"] or None,
            bash_command=functools.partial(_command, spec),
            env=functools.partial(_environment, spec),
            append_env=True,
            cwd=_project_dir,
            pre_execute=functools.partial(_skip_unless_on_allowed_branch, spec),
            skip_on_exit_code=None,
            retries=spec["retries"],
            retry_delay=datetime.timedelta(seconds=spec["backoff_seconds"]),
            # mo's factor; Airflow 3 takes a multiplier here (True would mean 1: no backoff).
            retry_exponential_backoff=2.0,
            execution_timeout=None if timeout is None else datetime.timedelta(seconds=timeout),
            # mo counts a task left out by when.branches as done: what needs it still runs.
            trigger_rule="none_failed",
        )
    for spec in TASKS:
        for need in spec["needs"]:
            operators[need] >> operators[spec["name"]]


modelops_pipeline()
"""


def default_dag_id(graph: EngineGraph) -> str:
    return f"{graph.pipeline}__{graph.env}" if graph.env else graph.pipeline


def render_airflow(
    graph: EngineGraph,
    *,
    dag_id: str | None = None,
    max_active_tasks: int = DEFAULT_MAX_ACTIVE_TASKS,
) -> str:
    """The DAG file's text; the same graph always gives the same text."""
    dag_id = dag_id or default_dag_id(graph)
    _check_airflow_key("dag id", dag_id)
    for task in graph.tasks:
        _check_airflow_key("task name", task.name)
    constants = [
        f"DAG_ID = {dag_id!r}",
        f"PIPELINE = {graph.pipeline!r}",
        f"ENV = {graph.env!r}",
        f"DESCRIPTION = {graph.description!r}",
        f"MAX_ACTIVE_TASKS = {max_active_tasks!r}",
        "TASKS = [",
        *(_task_literal(task) for task in graph.tasks),
        "]",
    ]
    return _HEADER + "\n".join(constants) + "\n" + _DAG_CODE


def _task_literal(task: EngineTask) -> str:
    fields = {
        "name": task.name,
        "argv": task.argv,
        "needs": task.needs,
        "retries": task.retries,
        "backoff_seconds": float(task.backoff_seconds),
        "timeout_seconds": None if task.timeout_seconds is None else float(task.timeout_seconds),
        "branches": task.branches,
        "description": task.description,
        "secrets": dict(sorted(task.secrets.items())),
        "plain_env": dict(sorted(task.plain_env.items())),
    }
    lines = "".join(f"        {key!r}: {value!r},\n" for key, value in fields.items())
    return "    {\n" + lines + "    },"


def _check_airflow_key(what: str, value: str) -> None:
    if not _AIRFLOW_KEY.fullmatch(value):
        raise ModelOpsError(
            f"{what} {value!r} is not a valid Airflow id",
            "Airflow ids use letters, digits, '_', '.' and '-' (at most 250)",
        )
