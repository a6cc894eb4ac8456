"""What mo's git hook shims run: `python -m modelops_git.hook_impl HOOK [ARGS]`.

No CLI framework loads here, and nothing heavy (DVC, GitHub, Jenkins, hera, Airflow): a hook
adds its time to every commit. A hook exits non-zero only for a real problem, prints one
short block, and never touches the index or the working tree.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from modelops_git import git, output
from modelops_git.errors import ModelOpsError, SpecError

__all__ = ["main"]

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_SPEC_PREFIXES = ("modelops.yaml", "environments/", "params.")


def _max_bytes(root: Path) -> int:
    configured = os.environ.get("MO_MAX_FILE_BYTES") or git.config(root, "modelops.maxFileBytes")
    return int(configured) if configured and configured.isdigit() else DEFAULT_MAX_BYTES


def _spec_problems(root: Path) -> list[str]:
    from modelops_git.spec.project import load_project

    if not (root / "modelops.yaml").exists():
        return []
    try:
        load_project(root)
    except SpecError as error:
        return [f"{d.location()}: {d.message}" for d in error.diagnostics[:10]] + (
            [f"... and {len(error.diagnostics) - 10} more (mo validate)"]
            if len(error.diagnostics) > 10
            else []
        )
    return []


def pre_commit(root: Path) -> int:
    staged = git.diff_names(root, "--cached", "--diff-filter=ACMR")
    problems = []
    if any(path.startswith(_SPEC_PREFIXES) for path in staged):
        problems += _spec_problems(root)
    limit = _max_bytes(root)
    for path, size in git.staged_sizes(root, staged).items():
        if size > limit:
            problems.append(
                f"{path} is {size / 1e6:.1f} MB, over {limit / 1e6:.1f} MB: large "
                f"files belong in DVC: `git rm --cached {path}` then "
                f"`mo data add {path}`"
            )
    if problems:
        output.hook_report("pre-commit refused the commit", problems)
        return 1
    if git.head_commit(root) is not None:
        fired = _fired(root, "HEAD", None, "staged")
        output.hook_report(
            "this commit will trigger",
            [
                f"{t['trigger']}: run {t['pipeline']} in {t['env']} ({'; '.join(t['reasons'])})"
                for t in fired
            ],
        )
    return 0


def _fired(root: Path, base: str, head: str | None, mode: str) -> list[dict[str, Any]]:
    """The triggers a change fires; none when the spec cannot answer (validation says why)."""
    from modelops_git.changes import affected

    try:
        return affected(root, base, head, mode).triggers
    except ModelOpsError:
        return []


def _enqueue(root: Path, base: str) -> int:
    from modelops_git.trigger_queue import enqueue

    head = git.head_commit(root)
    if head is None:
        return 0
    new = enqueue(root, head, _fired(root, base, head, "rev"))
    output.hook_report(
        "queued (mo queue; mo run --queued)",
        [f"{e['trigger']}: {e['pipeline']} in {e['env']}" for e in new],
    )
    return 0


def post_commit(root: Path) -> int:
    parent = git.parent_commit(root, "HEAD")
    return _enqueue(root, parent) if parent else 0


def post_merge(root: Path) -> int:
    base = git.resolve_or_none(root, "ORIG_HEAD")
    return _enqueue(root, base) if base else 0


def pre_push(root: Path) -> int:
    if (git.config(root, "modelops.prePush") or "validate") == "none":
        return 0
    problems = _spec_problems(root)
    if problems:
        output.hook_report(
            "pre-push refused the push (git config modelops.prePush none turns this gate off)",
            problems,
        )
        return 1
    return 0


HOOKS = {
    "pre-commit": pre_commit,
    "post-commit": post_commit,
    "post-merge": post_merge,
    "pre-push": pre_push,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in HOOKS:
        output.hook_report("hook", [f"unknown hook {argv[:1]}; known: {', '.join(HOOKS)}"])
        return 2
    root = git.find_worktree_root(Path.cwd())
    if root is None:
        return 0
    try:
        return HOOKS[argv[0]](root)
    except ModelOpsError as error:
        output.hook_report(argv[0], [error.message, f"hint: {error.hint}"])
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
