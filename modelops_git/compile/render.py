"""The effective spec of an environment, as plain data (what `mo render` prints)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from modelops_git.compile.plan import Plan, PlannedTask, compile_plan
from modelops_git.spec.project import Project
from modelops_git.spec.refs import entity_ref

__all__ = ["render_effective"]


def render_effective(project: Project, env: str | None, pipeline: str | None) -> dict[str, Any]:
    """Pipelines resolved as they would run in `env`, with what they use; deterministic."""
    data = project.effective_data(env)
    names = [pipeline] if pipeline else list(data["pipelines"])
    plans = [compile_plan(project, name, env) for name in names]
    rendered: dict[str, Any] = {"environment": env}
    rendered["pipelines"] = {plan.pipeline: _pipeline(plan) for plan in plans}
    for section in ("datasets", "models"):
        used = _used(data, names, section) if pipeline else list(data.get(section) or {})
        rendered[section] = {name: data[section][name] for name in used}
    used_platforms = {task.platform for plan in plans for task in plan.tasks}
    rendered["platforms"] = {
        name: value
        for name, value in (data.get("platforms") or {}).items()
        if name in used_platforms
    }
    if env is not None:
        environment = project.environment(env)
        rendered["pins"] = dict(environment.pins)
        rendered["promotion"] = dict(project.env_source(env).data.get("promotion") or {})
    return rendered


def _pipeline(plan: Plan) -> dict[str, Any]:
    body: dict[str, Any] = {"description": plan.description} if plan.description else {}
    body["tasks"] = {task.name: _task(task) for task in plan.tasks}
    return body


def _task(task: PlannedTask) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cmd": task.cmd,
        "needs": list(task.needs),
        "deps": list(task.deps),
        "outs": list(task.outs),
        "metrics": list(task.metrics),
        "params": dict(task.params),
        "platform": task.platform,
        "engine": task.engine,
        "resources": dict(task.resources),
        "retries": _without_empty(asdict(task.retries)) if task.retries.limit else None,
        "timeout_seconds": task.timeout_seconds,
        "enabled": task.enabled,
        "when": _without_empty(asdict(task.when)) if task.when else None,
        "env": dict(task.env),
        "description": task.description,
    }
    return _without_empty(body, keep=("enabled", "cmd", "needs"))


def _without_empty(body: dict[str, Any], keep: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in body.items()
        if key in keep or value not in (None, "", [], {}, ())
    }


def _used(data: dict[str, Any], pipelines: list[str], section: str) -> list[str]:
    used: list[str] = []
    for pipeline in pipelines:
        for task in data["pipelines"][pipeline]["tasks"].values():
            for entry in [*task.get("deps", ()), *task.get("outs", ())]:
                ref = entity_ref(entry)
                if ref and ref[0] == section and ref[1] not in used:
                    used.append(ref[1])
    return used
