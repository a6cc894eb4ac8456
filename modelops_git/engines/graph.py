"""What every CI engine is given: one pipeline in one environment as jobs that each run
`mo run-task`, with the retries, timeouts, runtime conditions and edges of the plan.

Engines (GitHub Actions, Jenkins, Argo, Airflow) translate this and nothing else, so the five
agree by construction; tests parse each engine's output back and compare it with this graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelops_git.compile.plan import Plan, PlannedTask, compile_plan
from modelops_git.spec.project import Project

__all__ = ["EngineGraph", "EngineTask", "engine_graph", "graph_from_plan", "run_task_argv"]

RUN_TASK = ("mo", "run-task")


@dataclass(frozen=True)
class EngineTask:
    name: str
    """The spec's task name (schema: `^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`); engines that
    need another alphabet for ids derive one, and still quote it wherever it is written."""
    needs: tuple[str, ...]
    argv: tuple[str, ...]
    """`mo run-task PIPELINE TASK [--env ENV]`; the engine appends `--run-id` with its own
    run identifier, so every job of one engine run joins one lineage record."""
    retries: int
    backoff_seconds: float
    retry_on: tuple[int, ...]
    timeout_seconds: float | None
    branches: tuple[str, ...]
    """`when.branches`, decided when the engine runs (glob patterns); empty: always."""
    description: str = ""
    secrets: dict[str, str] = field(default_factory=dict)
    """Environment variable -> name of the secret or host variable it comes from
    (`secret:NAME` / `env:NAME` in the spec): engines map these to their credential store."""
    plain_env: dict[str, str] = field(default_factory=dict)
    """Literal environment values; engines pass them as data, never inside a script."""
    resources: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineGraph:
    pipeline: str
    env: str | None
    tasks: tuple[EngineTask, ...]
    description: str = ""

    def edges(self) -> list[tuple[str, str]]:
        return [(need, task.name) for task in self.tasks for need in task.needs]


def run_task_argv(pipeline: str, task: str, env: str | None) -> tuple[str, ...]:
    return (*RUN_TASK, pipeline, task, *(("--env", env) if env else ()))


def engine_graph(project: Project, pipeline: str, env: str | None) -> EngineGraph:
    if env is not None:
        project.env_source(env)
    return graph_from_plan(compile_plan(project, pipeline, env))


def graph_from_plan(plan: Plan) -> EngineGraph:
    """Tasks disabled at plan time (`when.envs`, `when.params`) are left out, and whoever
    needed them needs what they needed instead, so the order of the rest is kept."""
    enabled = {task.name for task in plan.tasks if task.enabled}
    needs_of = {task.name: task.needs for task in plan.tasks}

    def enabled_needs(name: str) -> tuple[str, ...]:
        found: list[str] = []
        for need in needs_of[name]:
            for item in (need,) if need in enabled else enabled_needs(need):
                if item not in found:
                    found.append(item)
        return tuple(found)

    tasks = tuple(
        _engine_task(plan, task, enabled_needs(task.name))
        for task in plan.tasks
        if task.name in enabled
    )
    return EngineGraph(plan.pipeline, plan.env, tasks, plan.description)


def _engine_task(plan: Plan, task: PlannedTask, needs: tuple[str, ...]) -> EngineTask:
    secrets: dict[str, str] = {}
    plain: dict[str, str] = {}
    for variable, value in sorted(task.env.items()):
        kind, sep, source = value.partition(":")
        if sep and kind in ("env", "secret"):
            secrets[variable] = source
        else:
            plain[variable] = value
    return EngineTask(
        name=task.name,
        needs=needs,
        argv=run_task_argv(plan.pipeline, task.name, plan.env),
        retries=task.retries.limit,
        backoff_seconds=task.retries.backoff_seconds,
        retry_on=task.retries.retry_on,
        timeout_seconds=task.timeout_seconds,
        branches=task.when.branches if task.when else (),
        description=task.description,
        secrets=secrets,
        plain_env=plain,
        resources=dict(task.resources),
    )
