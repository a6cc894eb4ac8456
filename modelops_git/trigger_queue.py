"""The queue of fired triggers that git hooks fill and `mo run --queued` drains.

One JSON line per entry in the repository's common git directory (shared by worktrees, never
committed). Appends and removals happen under an exclusive lock and entries carry an id
(commit and trigger), so concurrent hooks neither lose nor duplicate an entry.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelops_git import git
from modelops_git.files import write_atomic
from modelops_git.state_lock import exclusive

__all__ = ["enqueue", "queued", "remove"]


def _paths(root: Path) -> tuple[Path, Path]:
    directory = git.common_dir(root) / "modelops"
    return directory / "queue.jsonl", directory / "queue.lock"


def _read(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue  # a torn line from a crashed writer before atomic writes: skip it
    return entries


def _write(path: Path, entries: list[dict[str, Any]]) -> None:
    write_atomic(path, "".join(json.dumps(entry, sort_keys=True) + "\n" for entry in entries))


def queued(root: Path) -> list[dict[str, Any]]:
    return _read(_paths(root)[0])


def enqueue(root: Path, commit: str, fired: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add fired triggers for `commit`; returns the entries that were new."""
    path, lock = _paths(root)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with exclusive(lock, "the trigger queue"):
        entries = _read(path)
        known = {entry["id"] for entry in entries}
        new = [
            {"id": f"{commit}:{trigger['trigger']}", "commit": commit, "queued_at": now, **trigger}
            for trigger in fired
        ]
        new = [entry for entry in new if entry["id"] not in known]
        if new:
            _write(path, entries + new)
    return new


def remove(root: Path, ids: set[str]) -> None:
    path, lock = _paths(root)
    with exclusive(lock, "the trigger queue"):
        _write(path, [entry for entry in _read(path) if entry["id"] not in ids])
