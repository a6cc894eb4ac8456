"""The Plan: one pipeline in one environment, resolved to concrete tasks and edges."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from modelops_git.dag import layers, topological_order
from modelops_git.errors import ModelOpsError
from modelops_git.spec.check_params import ParamsFiles, is_missing, lookup
from modelops_git.spec.edges import TaskIO, infer_needs
from modelops_git.spec.model import Environment, Pipeline, RetryPolicy, Spec, Task, When
from modelops_git.spec.project import Project
from modelops_git.spec.refs import resolve_entry

__all__ = ["Plan", "PlannedTask", "compile_plan"]

LOCAL_PLATFORM = "local"


@dataclass(frozen=True)
class PlannedTask:
    name: str
    cmd: str
    deps: tuple[str, ...]
    outs: tuple[str, ...]
    metrics: tuple[str, ...]
    params: dict[str, Any]
    needs: tuple[str, ...]
    retries: RetryPolicy
    timeout_seconds: float | None
    when: When | None
    enabled: bool
    platform: str
    engine: str
    resources: dict[str, Any]
    env: dict[str, str]
    description: str = ""
    params_by_file: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    pipeline: str
    env: str | None
    tasks: tuple[PlannedTask, ...]
    description: str = ""
    pins: dict[str, str] = field(default_factory=dict)

    @cached_property
    def _by_name(self) -> dict[str, PlannedTask]:
        return {task.name: task for task in self.tasks}

    def task(self, name: str) -> PlannedTask:
        """A task by name (the runner asks once per task: no scan of the whole plan)."""
        if name in self._by_name:
            return self._by_name[name]
        raise ModelOpsError(
            f"pipeline {self.pipeline!r} has no task {name!r}",
            f"tasks: {', '.join(t.name for t in self.tasks)}",
        )

    def edges(self) -> list[tuple[str, str]]:
        """(upstream, downstream) pairs in task order."""
        return [(need, task.name) for task in self.tasks for need in task.needs]

    def layers(self) -> list[list[str]]:
        names = [task.name for task in self.tasks]
        return layers(names, {task.name: task.needs for task in self.tasks})


def compile_plan(project: Project, pipeline_name: str, env_name: str | None) -> Plan:
    spec = project.effective_spec(env_name)
    if pipeline_name not in spec.pipelines:
        raise ModelOpsError(
            f"unknown pipeline {pipeline_name!r}", f"pipelines: {', '.join(spec.pipelines)}"
        )
    pipeline = spec.pipelines[pipeline_name]
    env = project.environment(env_name) if env_name else Environment("default")
    data = project.effective_data(env_name)
    resolved = {name: _resolved_io(task, data) for name, task in pipeline.tasks.items()}
    needs = infer_needs(resolved)
    params = project.params_files(env_name)
    planned = {
        name: _plan_task(task, resolved[name], needs[name], pipeline, spec, env, params)
        for name, task in pipeline.tasks.items()
    }
    order = topological_order(list(planned), needs)
    return Plan(
        pipeline_name,
        env_name,
        tuple(planned[name] for name in order),
        pipeline.description,
        dict(env.pins),
    )


def _resolved_io(task: Task, data: dict[str, Any]) -> TaskIO:
    def resolved(entries: tuple[str, ...]) -> list[str]:
        return [resolve_entry(entry, data) or entry for entry in entries]

    return TaskIO(task.needs, resolved(task.deps), resolved(task.outs), task.metrics)


def _plan_task(
    task: Task,
    io: TaskIO,
    needs: list[str],
    pipeline: Pipeline,
    spec: Spec,
    env: Environment,
    params: ParamsFiles,
) -> PlannedTask:
    platform_name = task.platform or env.platform or pipeline.platform or LOCAL_PLATFORM
    platform = spec.platforms.get(platform_name)
    resources = {**(platform.resources if platform else {}), **env.resources, **task.resources}
    values = _param_values(task, params)
    by_file: dict[str, dict[str, Any]] = {}
    for ref in task.params:
        by_file.setdefault(ref.file, {})[ref.key] = values[
            param_label(ref.file, ref.key, params.default_file)
        ]
    return PlannedTask(
        name=task.name,
        cmd=task.cmd,
        deps=tuple(io.deps),
        outs=tuple(io.outs),
        metrics=task.metrics,
        params=values,
        needs=tuple(needs),
        retries=task.retries,
        timeout_seconds=task.timeout_seconds,
        when=task.when,
        enabled=_enabled(task.when, env.name, params),
        platform=platform_name,
        engine=platform.engine if platform else LOCAL_PLATFORM,
        resources=resources,
        env=dict(task.env),
        description=task.description,
        params_by_file=by_file,
    )


def param_label(file: str, key: str, default_file: str) -> str:
    return key if file == default_file else f"{file}:{key}"


def _param_values(task: Task, params: ParamsFiles) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for ref in task.params:
        value = lookup(params.data(ref.file), ref.key)
        values[param_label(ref.file, ref.key, params.default_file)] = (
            None if is_missing(value) else value
        )
    return values


def _enabled(when: When | None, env_name: str, params: ParamsFiles) -> bool:
    """What can be decided before running: env and params conditions (branches are decided
    at run time)."""
    if when is None:
        return True
    if when.envs and env_name not in when.envs:
        return False
    values = params.data(params.default_file)
    return all(lookup(values, key) == wanted for key, wanted in when.params)
