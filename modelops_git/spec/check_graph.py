"""Pipelines are DAGs whose outs belong to one task each and whose paths stay in the repo."""

from __future__ import annotations

from typing import Any

from modelops_git.dag import find_cycle
from modelops_git.paths import RepoPaths
from modelops_git.spec.edges import TaskIO, infer_needs, overlapping_outs
from modelops_git.spec.refs import resolve_entry
from modelops_git.spec.report import Report, mapping, sequence, strings
from modelops_git.spec.yaml_source import JsonPath

__all__ = ["check_graphs", "check_paths"]

_ENTITY_PATH_SECTIONS = ("datasets", "models")
_TASK_PATH_FIELDS = ("deps", "outs", "metrics")


def check_paths(report: Report, spec: dict[str, Any], paths: RepoPaths) -> None:
    """Every path a spec names is inside the repository."""
    params_file = spec.get("params_file")
    if isinstance(params_file, str):
        _check_path(report, paths, ("params_file",), params_file)
    for section in _ENTITY_PATH_SECTIONS:
        for name, entity in mapping(spec.get(section)).items():
            path = mapping(entity).get("path")
            if isinstance(path, str):
                _check_path(report, paths, (section, name, "path"), path)
    for pipeline_name, pipeline in mapping(spec.get("pipelines")).items():
        for task_name, task in mapping(mapping(pipeline).get("tasks")).items():
            task_path = ("pipelines", pipeline_name, "tasks", task_name)
            for field in _TASK_PATH_FIELDS:
                for index, entry in strings(mapping(task).get(field)):
                    if resolve_entry(entry, spec) == entry:
                        _check_path(report, paths, task_path + (field, index), entry)
            for index, entry in enumerate(sequence(mapping(task).get("params"))):
                for params_path in mapping(entry):
                    _check_path(
                        report,
                        paths,
                        task_path + ("params", index, params_path),
                        params_path,
                        key=True,
                    )


def _check_path(
    report: Report, paths: RepoPaths, where: JsonPath, value: str, *, key: bool = False
) -> None:
    problem = paths.problem(value)
    if problem is not None:
        report.add(where, problem[0], problem[1], key=key)


def check_graphs(report: Report, spec: dict[str, Any]) -> None:
    """Outs written once, and no cycles through `needs` or through deps on outs."""
    for name, pipeline in mapping(spec.get("pipelines")).items():
        tasks = mapping(mapping(pipeline).get("tasks"))
        io = {task_name: task_io(mapping(task), spec) for task_name, task in tasks.items()}
        _check_outs(report, ("pipelines", name, "tasks"), io, tasks)
        needs = infer_needs(io)
        cycle = find_cycle(list(needs), needs)
        if cycle is not None:
            report.add(
                _closing_edge(("pipelines", name, "tasks"), cycle, mapping(tasks[cycle[-2]])),
                f"cycle in pipeline {name!r}: {' -> '.join(cycle)}",
                "a task needs (or reads an out of) a task that needs it back; "
                "remove one of these edges",
                key=True,
            )


def _closing_edge(tasks_path: JsonPath, cycle: list[str], last: dict[str, Any]) -> JsonPath:
    """The `needs` entry that closes the cycle when it is explicit, else the task's name."""
    for index, need in strings(last.get("needs")):
        if need == cycle[-1]:
            return (*tasks_path, cycle[-2], "needs", index)
    return (*tasks_path, cycle[-2])


def task_io(task: dict[str, Any], spec: dict[str, Any]) -> TaskIO:
    def resolved(field: str) -> list[str]:
        return [resolve_entry(entry, spec) or entry for _, entry in strings(task.get(field))]

    return TaskIO(
        [need for _, need in strings(task.get("needs"))],
        resolved("deps"),
        resolved("outs"),
        resolved("metrics"),
    )


def _check_outs(
    report: Report, tasks_path: JsonPath, io: dict[str, TaskIO], tasks: dict[str, Any]
) -> None:
    def spelled(task: str, field: str, index: int) -> str:
        """The entry as the user wrote it (`model:clf`, not the path it stands for)."""
        written = strings(mapping(tasks[task]).get(field))
        return written[index][1] if index < len(written) else "?"

    for task, field, index, other, other_field, other_index in overlapping_outs(io):
        mine, theirs = spelled(task, field, index), spelled(other, other_field, other_index)
        message = (
            f"out {mine!r} is also written by task {other!r} (as {theirs!r})"
            if other != task
            else f"out {mine!r} overlaps {theirs!r}, another out of this task"
        )
        report.add(
            tasks_path + (task, field, index),
            message,
            "each out must belong to one task; write to another path or merge the tasks",
        )
