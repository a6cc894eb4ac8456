"""Task edges: explicit `needs`, plus the ones implied when a dep is another task's out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Clash", "TaskIO", "infer_needs", "overlapping_outs"]


@dataclass(frozen=True)
class TaskIO:
    needs: Sequence[str]
    deps: Sequence[str]
    outs: Sequence[str]
    metrics: Sequence[str] = ()

    def written(self) -> Iterable[tuple[str, int, str]]:
        """(field, index, path) of everything the task writes: outs, then metrics files."""
        for field, paths in (("outs", self.outs), ("metrics", self.metrics)):
            for index, path in enumerate(paths):
                yield field, index, path


def _ancestors(path: str) -> Iterable[str]:
    parts = path.strip("/").split("/")
    for end in range(len(parts) - 1, 0, -1):
        yield "/".join(parts[:end])


def _norm(path: str) -> str:
    return path.strip("/").removeprefix("./")


Clash = tuple[str, str, int, str, str, int]
"""(task, field, index, other task, its field, its index): an out written twice or nested."""


def overlapping_outs(tasks: Mapping[str, TaskIO]) -> list[Clash]:
    owner: dict[str, tuple[str, str, int]] = {}
    under: dict[str, tuple[str, str, int]] = {}
    clashes: list[Clash] = []
    for name, io in tasks.items():
        for field, index, out in io.written():
            path = _norm(out)
            ancestors = list(_ancestors(path))
            hit = (
                owner.get(path)
                or under.get(path)
                or next((owner[a] for a in ancestors if a in owner), None)
            )
            if hit is not None:
                clashes.append((name, field, index, *hit))
                continue
            owner[path] = (name, field, index)
            for ancestor in ancestors:
                under.setdefault(ancestor, (name, field, index))
    return clashes


def infer_needs(tasks: Mapping[str, TaskIO]) -> dict[str, list[str]]:
    """For each task, what it needs: its `needs` then producers of its deps, in order, once."""
    producer: dict[str, str] = {}
    contains: dict[str, list[str]] = {}
    for name, io in tasks.items():
        for _, _, out in io.written():
            path = _norm(out)
            producer.setdefault(path, name)
            for ancestor in _ancestors(path):
                contains.setdefault(ancestor, []).append(name)
    result: dict[str, list[str]] = {}
    for name, io in tasks.items():
        needed = [need for need in io.needs if need in tasks]
        for dep in io.deps:
            path = _norm(dep)
            candidates = [
                producer.get(path),
                *(producer.get(a) for a in _ancestors(path)),
                *contains.get(path, ()),
            ]
            needed.extend(c for c in candidates if c is not None and c != name)
        result[name] = list(dict.fromkeys(needed))
    return result
