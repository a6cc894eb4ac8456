"""What each commit says about its runs: mo's modelops.lock, or a plain DVC project's dvc.lock.

Everything is read with one `git cat-file --batch` per question, and each distinct lock text
is parsed once (most commits share their lock with their parent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from modelops_git import dvc, git
from modelops_git.errors import SpecError
from modelops_git.git import Commit
from modelops_git.lockfile import LOCK_FILE, HashedPath, TaskLock, parse_lock_text
from modelops_git.metrics import read_metrics_text

__all__ = ["Snapshot", "snapshots"]


@dataclass(frozen=True)
class Snapshot:
    commit: Commit
    source: str
    tasks: dict[str, TaskLock] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    def producer(self, path: str) -> tuple[str, TaskLock] | None:
        """The task whose outs hold `path` (or a directory containing it)."""
        for name, task in self.tasks.items():
            for out in task.outs:
                if path == out.path or path.startswith(out.path.rstrip("/") + "/"):
                    return name, task
        return None

    def metric(self, name: str) -> float | None:
        """`accuracy`, or `metrics/eval.json:accuracy` when several files have one."""
        file, sep, key = name.rpartition(":")
        for metrics_file, values in self.metrics.items():
            if (not sep or metrics_file == file) and key in values:
                value = values[key]
                return float(value) if isinstance(value, int | float) else None
        return None


def snapshots(root: Any, commits: list[Commit]) -> list[Snapshot]:
    revs = [f"{c.sha}:{name}" for c in commits for name in (LOCK_FILE, "dvc.lock", "dvc.yaml")]
    texts = git.read_objects(root, revs)
    parsed: dict[str, Any] = {}
    result: list[Snapshot] = []
    dvc_metrics: list[tuple[int, str]] = []
    for index, commit in enumerate(commits):
        mo_lock, dvc_lock, dvc_yaml = texts[3 * index : 3 * index + 3]
        if mo_lock:
            result.append(_from_mo(commit, _cached(parsed, mo_lock, _parse_mo)))
        elif dvc_lock:
            result.append(Snapshot(commit, "dvc.lock", _cached(parsed, dvc_lock, _parse_dvc)))
            files = dvc.metrics_files(dvc_yaml) if dvc_yaml else []
            dvc_metrics += [(index, file) for file in files]
        else:
            result.append(Snapshot(commit, ""))
    _fill_dvc_metrics(root, result, dvc_metrics)
    return result


def _cached(parsed: dict[str, Any], text: str, parse: Any) -> Any:
    if text not in parsed:
        parsed[text] = parse(text)
    return parsed[text]


def _parse_mo(text: str) -> dict[str, TaskLock]:
    try:
        lock = parse_lock_text(text)
    except SpecError:
        return {}  # a broken lock in an old commit answers nothing, it does not stop history
    return {
        f"{pipeline}/{task}": entry
        for pipeline, tasks in lock.items()
        for task, entry in tasks.items()
    }


def _parse_dvc(text: str) -> dict[str, TaskLock]:
    return {
        stage: TaskLock(
            cmd=body["cmd"],
            params={file: dict(values) for file, values in body["params"].items()},
            deps=tuple(HashedPath(**d) for d in body["deps"]),
            outs=tuple(HashedPath(**o) for o in body["outs"]),
        )
        for stage, body in dvc.parse_dvc_lock(text).items()
    }


def _from_mo(commit: Commit, tasks: dict[str, TaskLock]) -> Snapshot:
    metrics: dict[str, dict[str, Any]] = {}
    for task in tasks.values():
        metrics.update(task.metrics)
    return Snapshot(commit, LOCK_FILE, tasks, metrics)


def _fill_dvc_metrics(root: Any, result: list[Snapshot], wanted: Iterable[tuple[int, str]]) -> None:
    wanted = list(wanted)
    texts = git.read_objects(root, [f"{result[i].commit.sha}:{file}" for i, file in wanted])
    for (index, file), text in zip(wanted, texts, strict=True):
        if text:
            result[index].metrics[file] = read_metrics_text(text)
