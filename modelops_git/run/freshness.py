"""Whether a task must run, and why: its cmd, params values, deps and outs against the lock."""

from __future__ import annotations

from dataclasses import dataclass

from modelops_git.compile.plan import PlannedTask
from modelops_git.hashing import HashCache
from modelops_git.lockfile import HashedPath, TaskLock

__all__ = ["Verdict", "hashed", "judge"]

_ABSENT = object()


@dataclass(frozen=True)
class Verdict:
    stale: bool
    reasons: tuple[str, ...]


def hashed(hasher: HashCache, paths: tuple[str, ...]) -> tuple[HashedPath, ...]:
    """The paths that exist, with their hashes."""
    found = []
    for path in paths:
        info = hasher.hash_path(path)
        if info is not None:
            found.append(HashedPath(path, info.md5, info.size, info.nfiles))
    return tuple(found)


def judge(task: PlannedTask, previous: TaskLock | None, hasher: HashCache, force: bool) -> Verdict:
    """Stale when anything the task's last successful run saw or produced differs now."""
    reasons: list[str] = ["--force"] if force else []
    if previous is None:
        return Verdict(True, (*reasons, "never ran successfully"))
    if previous.cmd != task.cmd:
        reasons.append("cmd changed")
    reasons += _param_reasons(task, previous)
    reasons += _path_reasons("dep", task.deps, previous.deps, hasher)
    reasons += _path_reasons("out", (*task.outs, *task.metrics), previous.outs, hasher)
    return Verdict(bool(reasons), tuple(reasons))


def _param_reasons(task: PlannedTask, previous: TaskLock) -> list[str]:
    reasons = []
    for file, values in task.params_by_file.items():
        before = previous.params.get(file, {})
        for key, value in values.items():
            old = before.get(key, _ABSENT)
            if old is _ABSENT:
                reasons.append(f"param {key} is new")
            elif old != value:
                reasons.append(f"param {key} {old!r} -> {value!r}")
    return reasons


def _path_reasons(
    kind: str, paths: tuple[str, ...], before: tuple[HashedPath, ...], hasher: HashCache
) -> list[str]:
    known = {entry.path: entry for entry in before}
    reasons = []
    for path in paths:
        info = hasher.hash_path(path)
        if info is None:
            reasons.append(f"{kind} {path} missing")
        elif path not in known:
            reasons.append(f"{kind} {path} is new")
        elif known[path].md5 != info.md5:
            reasons.append(f"{kind} {path} changed")
    return reasons
