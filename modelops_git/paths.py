"""Paths from specs stay inside the repository: no absolute paths, no '..', no .git, no
symlinks that lead out."""

from __future__ import annotations

import os
import re
from pathlib import Path

__all__ = ["RepoPaths"]

_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


class RepoPaths:
    """Checks repo-relative paths; answers are cached (specs repeat paths a lot)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._root = str(self.root)
        self._dirs: dict[str, str] = {"": self._root}
        self._answers: dict[str, tuple[str, str] | None] = {}

    def problem(self, rel: str) -> tuple[str, str] | None:
        """(what is wrong, what to do) for a path that is not safe, else None."""
        if rel not in self._answers:
            self._answers[rel] = self._problem(rel)
        return self._answers[rel]

    def _problem(self, rel: str) -> tuple[str, str] | None:
        if rel.startswith(("/", "\\")) or _DRIVE.match(rel):
            return (
                f"absolute path {rel!r}: paths in specs are relative to the repository root",
                "write it relative to the repository root, e.g. data/train.csv",
            )
        parts = [part for part in rel.replace("\\", "/").split("/") if part not in ("", ".")]
        if ".." in parts:
            return (
                f"path {rel!r} uses '..' and may leave the repository",
                "write it from the repository root without '..'",
            )
        if ".git" in parts:
            return (f"path {rel!r} points into .git", "keep task files out of .git")
        if not parts:
            return ("the path is the repository root itself", "name a file or directory inside it")
        if not self._inside(self._real(parts)):
            return (
                f"path {rel!r} leads out of the repository through the symlink "
                f"{self._escaping_link(parts)!r}",
                "copy the data into the repository or track it with DVC",
            )
        return None

    def _inside(self, real: str) -> bool:
        return real == self._root or real.startswith(self._root + os.sep)

    def _escaping_link(self, parts: list[str]) -> str:
        """The first symlink along `parts` that resolves outside the repository."""
        for end in range(1, len(parts) + 1):
            candidate = os.path.join(self._root, *parts[:end])
            if os.path.islink(candidate) and not self._inside(os.path.realpath(candidate)):
                return "/".join(parts[:end])
        return "/".join(parts)

    def _real(self, parts: list[str]) -> str:
        candidate = os.path.join(self._real_dir(parts[:-1]), parts[-1])
        return os.path.realpath(candidate) if os.path.islink(candidate) else candidate

    def _real_dir(self, parts: list[str]) -> str:
        key = "/".join(parts)
        cached = self._dirs.get(key)
        if cached is None:
            cached = os.path.realpath(os.path.join(self._root, *parts))
            self._dirs[key] = cached
        return cached
