"""Every name a spec uses refers to something that exists."""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Any

from modelops_git.spec.refs import entity_ref
from modelops_git.spec.report import Report, mapping, strings
from modelops_git.spec.yaml_source import JsonPath

__all__ = ["BUILTIN_PLATFORMS", "check_references", "unknown_name"]

BUILTIN_PLATFORMS = ("local",)


def unknown_name(
    report: Report,
    path: JsonPath,
    what: str,
    name: str,
    known: Collection[str],
    where: str = "",
    *,
    key: bool = False,
) -> None:
    """Report `name` as unknown, suggesting the closest known one."""
    close = difflib.get_close_matches(name, list(known), n=1)
    if close:
        hint = f"did you mean {close[0]!r}?"
    elif known:
        hint = f"known {what}s: {', '.join(sorted(known))}"
    else:
        hint = f"declare it first{where}"
    report.add(path, f"unknown {what} {name!r}", hint, key=key)


def check_references(report: Report, spec: dict[str, Any]) -> None:
    platforms = [*BUILTIN_PLATFORMS, *mapping(spec.get("platforms"))]
    for name, pipeline in mapping(spec.get("pipelines")).items():
        _check_pipeline(report, spec, ("pipelines", name), mapping(pipeline), platforms)
    for name, platform in mapping(spec.get("platforms")).items():
        account = mapping(platform).get("account")
        if isinstance(account, str) and account not in mapping(spec.get("accounts")):
            unknown_name(
                report,
                ("platforms", name, "account"),
                "account",
                account,
                mapping(spec.get("accounts")),
                " under 'accounts:'",
            )
    for name, trigger in mapping(spec.get("triggers")).items():
        _check_trigger(report, spec, ("triggers", name), mapping(trigger))


def _check_pipeline(
    report: Report,
    spec: dict[str, Any],
    path: JsonPath,
    pipeline: dict[str, Any],
    platforms: list[str],
) -> None:
    tasks = mapping(pipeline.get("tasks"))
    _check_platform(report, path + ("platform",), pipeline.get("platform"), platforms)
    for task_name, task in tasks.items():
        task = mapping(task)
        task_path = path + ("tasks", task_name)
        for index, need in strings(task.get("needs")):
            if need not in tasks:
                unknown_name(
                    report,
                    task_path + ("needs", index),
                    "task",
                    need,
                    tasks,
                    f" under {path[-1]}.tasks",
                )
        for field in ("deps", "outs"):
            for index, entry in strings(task.get(field)):
                _check_entity(report, spec, task_path + (field, index), entry)
        _check_platform(report, task_path + ("platform",), task.get("platform"), platforms)


def _check_entity(report: Report, spec: dict[str, Any], path: JsonPath, entry: str) -> None:
    ref = entity_ref(entry)
    if ref is None:
        return
    section, name = ref
    known = mapping(spec.get(section))
    if name not in known:
        unknown_name(report, path, section[:-1], name, known, f" under '{section}:'")


def _check_platform(report: Report, path: JsonPath, value: Any, platforms: list[str]) -> None:
    if isinstance(value, str) and value not in platforms:
        unknown_name(report, path, "platform", value, platforms, " under 'platforms:'")


def _check_trigger(
    report: Report, spec: dict[str, Any], path: JsonPath, trigger: dict[str, Any]
) -> None:
    pipelines = mapping(spec.get("pipelines"))
    pipeline = trigger.get("pipeline")
    if isinstance(pipeline, str) and pipeline not in pipelines:
        unknown_name(report, path + ("pipeline",), "pipeline", pipeline, pipelines)
    datasets = mapping(spec.get("datasets"))
    for index, name in strings(trigger.get("datasets")):
        if name not in datasets:
            unknown_name(report, path + ("datasets", index), "dataset", name, datasets)
    model = trigger.get("model")
    models = mapping(spec.get("models"))
    if isinstance(model, str) and model not in models:
        unknown_name(report, path + ("model",), "model", model, models)
