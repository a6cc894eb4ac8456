"""Everything that talks to git. GitPython is imported here only, and only when needed."""

from __future__ import annotations

from pathlib import Path

from modelops_git.errors import ModelOpsError

__all__ = ["find_worktree_root", "require_worktree_root"]


def find_worktree_root(start: Path) -> Path | None:
    """The top of the git work tree containing `start`, found without running git."""
    current = start.resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def require_worktree_root(start: Path) -> Path:
    root = find_worktree_root(start)
    if root is None:
        raise ModelOpsError(
            f"{start} is not inside a git repository",
            "run `git init` first (mo keeps specs, pins and history in git)",
        )
    return root
