"""Everything that reads or writes DVC's formats or calls DVC."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path

from modelops_git.errors import ModelOpsError

__all__ = ["dvc_initialized", "init_dvc", "pull", "track"]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """DVC prints advice for its own CLI users; mo reports what it did itself."""
    logger = logging.getLogger("dvc")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def dvc_initialized(root: Path) -> bool:
    return (root / ".dvc" / "config").is_file()


def init_dvc(root: Path) -> None:
    """`dvc init` in a git repo (DVC is imported here, not at start-up: it is slow to load)."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with _quiet():
            Repo.init(root_dir=str(root), no_scm=False)
    except DvcException as exc:
        raise ModelOpsError(
            f"dvc init failed: {exc}", "run `dvc init` yourself to see why"
        ) from None


def track(root: Path, paths: list[str]) -> None:
    """`dvc add` the given repo-relative paths: writes PATH.dvc and ignores PATH in git."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with _quiet(), Repo(str(root)) as repo:
            repo.add(paths)
    except DvcException as exc:
        raise ModelOpsError(f"dvc add failed: {exc}", "run `dvc add` yourself to see why") from None


def pull(root: Path, paths: list[str]) -> None:
    """Fetch DVC-tracked inputs that are missing from the work tree from the DVC remote."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with _quiet(), Repo(str(root)) as repo:
            repo.pull(targets=paths)
    except DvcException as exc:
        raise ModelOpsError(
            f"could not fetch {', '.join(paths)} from the DVC remote: {exc}",
            "check `dvc remote list` and your access to it, or restore the files",
        ) from None
