"""Paths from specs stay inside the repository: no absolute paths, no '..', no .git, no
symlinks that lead out."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

__all__ = ["RepoPaths"]

_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


class RepoPaths:
    """Checks repo-relative paths, caching resolved directories (specs repeat them a lot)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._dirs: dict[str, Path] = {}

    def problem(self, rel: str) -> tuple[str, str] | None:
        """(what is wrong, what to do) for a path that is not safe, else None."""
        if rel.startswith(("/", "\\")) or _DRIVE.match(rel):
            return (
                f"absolute path {rel!r}: paths in specs are relative to the repository root",
                "write it relative to the repository root, e.g. data/train.csv",
            )
        parts = PurePosixPath(rel.replace("\\", "/")).parts
        if ".." in parts:
            return (
                f"path {rel!r} uses '..' and may leave the repository",
                "write it from the repository root without '..'",
            )
        if ".git" in parts:
            return (f"path {rel!r} points into .git", "keep task files out of .git")
        if not parts or parts == (".",):
            return ("the path is the repository root itself", "name a file or directory inside it")
        real = self._real(parts)
        if real != self.root and not real.is_relative_to(self.root):
            link = self._escaping_link(parts)
            return (
                f"path {rel!r} leads out of the repository through the symlink {link!r}",
                "copy the data into the repository or track it with DVC",
            )
        return None

    def _escaping_link(self, parts: tuple[str, ...]) -> str:
        """The first symlink along `parts` that resolves outside the repository."""
        for end in range(1, len(parts) + 1):
            candidate = self.root.joinpath(*parts[:end])
            if candidate.is_symlink() and not candidate.resolve().is_relative_to(self.root):
                return "/".join(parts[:end])
        return "/".join(parts)

    def _real(self, parts: tuple[str, ...]) -> Path:
        parent = self._real_dir(parts[:-1])
        candidate = parent / parts[-1]
        return candidate.resolve() if candidate.is_symlink() else candidate

    def _real_dir(self, parts: tuple[str, ...]) -> Path:
        key = "/".join(parts)
        cached = self._dirs.get(key)
        if cached is None:
            cached = (self.root.joinpath(*parts)).resolve() if parts else self.root
            self._dirs[key] = cached
        return cached
