"""`modelops.lock`: what the last successful run of each task saw and produced.

Sorted and block-formatted so diffs read well; written atomically under a state lock so two
runs in one work tree never interleave their updates. A corrupt lock is an error with its
location, never silently reset: it is the record a team's history relies on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelops_git.errors import SpecError
from modelops_git.files import write_atomic
from modelops_git.spec import schemas
from modelops_git.spec.yaml_source import YamlSource, load_yaml_file, load_yaml_text
from modelops_git.state_lock import exclusive
from modelops_git.yaml_emit import dump_yaml

__all__ = [
    "LOCK_FILE",
    "HashedPath",
    "Lock",
    "TaskLock",
    "parse_lock_text",
    "read_lock",
    "record_task",
]

LOCK_FILE = "modelops.lock"
_VERSION = 1


@dataclass(frozen=True)
class HashedPath:
    path: str
    md5: str
    size: int = 0
    nfiles: int | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "md5": self.md5, "size": self.size}
        if self.nfiles is not None:
            data["nfiles"] = self.nfiles
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> HashedPath:
        return cls(data["path"], data["md5"], data.get("size", 0), data.get("nfiles"))


@dataclass(frozen=True)
class TaskLock:
    cmd: str
    run_id: str = ""
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    deps: tuple[HashedPath, ...] = ()
    outs: tuple[HashedPath, ...] = ()
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"cmd": self.cmd, "run_id": self.run_id}
        if self.params:
            data["params"] = {
                file: dict(sorted(values.items())) for file, values in sorted(self.params.items())
            }
        for name, paths in (("deps", self.deps), ("outs", self.outs)):
            if paths:
                data[name] = [p.to_data() for p in sorted(paths, key=lambda p: p.path)]
        if self.metrics:
            data["metrics"] = {file: values for file, values in sorted(self.metrics.items())}
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> TaskLock:
        return cls(
            cmd=data["cmd"],
            run_id=data.get("run_id", ""),
            params={file: dict(values) for file, values in (data.get("params") or {}).items()},
            deps=tuple(HashedPath.from_data(d) for d in data.get("deps") or ()),
            outs=tuple(HashedPath.from_data(d) for d in data.get("outs") or ()),
            metrics={file: dict(values) for file, values in (data.get("metrics") or {}).items()},
        )


Lock = dict[str, dict[str, TaskLock]]
"""Pipeline name -> task name -> the task's last successful run."""


def parse_lock(text_path: Path, display: str = LOCK_FILE) -> Lock:
    return _parsed(load_yaml_file(text_path, display))


def parse_lock_text(text: str, display: str = LOCK_FILE) -> Lock:
    return _parsed(load_yaml_text(text, display))


def _parsed(source: YamlSource) -> Lock:
    if source.data is None:
        return {}
    problems = schemas.check(source, "lock", source.data)
    if problems:
        raise SpecError(problems)
    return {
        pipeline: {task: TaskLock.from_data(entry) for task, entry in body["tasks"].items()}
        for pipeline, body in source.data["pipelines"].items()
    }


def read_lock(root: Path) -> Lock:
    path = root / LOCK_FILE
    return parse_lock(path) if path.exists() else {}


def lock_text(lock: Lock) -> str:
    pipelines = {
        pipeline: {
            "tasks": {task: lock[pipeline][task].to_data() for task in sorted(lock[pipeline])}
        }
        for pipeline in sorted(lock)
    }
    return dump_yaml({"version": _VERSION, "pipelines": pipelines})


def record_task(root: Path, pipeline: str, task: str, entry: TaskLock) -> None:
    """Set one task's entry, re-reading the file under the lock so concurrent runs merge."""
    with exclusive(root / ".modelops" / "state" / "lockfile.lock", LOCK_FILE):
        lock = read_lock(root)
        lock.setdefault(pipeline, {})[task] = entry
        write_atomic(root / LOCK_FILE, lock_text(lock))
