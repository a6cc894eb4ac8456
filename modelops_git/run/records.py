"""Run records: one JSON document per run, kept in git under refs/modelops/runs/<run-id>.

Each run writes only its own ref, so concurrent runs (two worktrees share one repository)
never lose each other's records; `git push/fetch origin 'refs/modelops/*:refs/modelops/*'`
shares them, after which a fresh clone answers the same lineage questions. A copy also goes
to .modelops/runs/<run-id>/record.json beside the task logs.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelops_git import git
from modelops_git.files import write_atomic

__all__ = [
    "RECORD_PREFIX",
    "RunRecord",
    "TaskRecord",
    "load_record",
    "load_records",
    "new_run_id",
    "save_record",
]

RECORD_PREFIX = "refs/modelops/runs/"
RECORD_FILE = "record.json"


def new_run_id() -> str:
    """Sortable by start time, unique across machines."""
    moment = datetime.now(UTC)
    return f"{moment:%Y%m%dT%H%M%S}.{moment.microsecond:06d}Z-{secrets.token_hex(3)}"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class TaskRecord:
    status: str = "not started"
    reasons: list[str] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    deps: list[dict[str, Any]] = field(default_factory=list)
    outs: list[dict[str, Any]] = field(default_factory=list)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: str = ""


@dataclass
class RunRecord:
    run_id: str
    pipelines: list[str]
    env: str | None
    commit: str | None
    dirty: bool
    user: str
    started: str
    ended: str = ""
    status: str = "running"
    platform: str = "local"
    tasks: dict[str, dict[str, TaskRecord]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        data = json.loads(text)
        tasks = {
            pipeline: {name: TaskRecord(**task) for name, task in body.items()}
            for pipeline, body in data.pop("tasks", {}).items()
        }
        return cls(**data, tasks=tasks)


def save_record(root: Path, record: RunRecord) -> None:
    text = record.to_json()
    write_atomic(root / ".modelops" / "runs" / record.run_id / RECORD_FILE, text)
    git.write_record_ref(root, RECORD_PREFIX + record.run_id, RECORD_FILE, text)


def load_record(root: Path, run_id: str) -> RunRecord | None:
    """One run's record, read from its own ref."""
    text = git.read_ref_file(root, RECORD_PREFIX + run_id, RECORD_FILE)
    return RunRecord.from_json(text) if text else None


def load_records(root: Path) -> list[RunRecord]:
    """Every run record the repository has, oldest first."""
    refs = git.refs_under(root, RECORD_PREFIX)
    texts = git.read_objects(root, [f"{ref}:{RECORD_FILE}" for ref in refs])
    records = [RunRecord.from_json(text) for text in texts if text]
    return sorted(records, key=lambda record: record.run_id)
