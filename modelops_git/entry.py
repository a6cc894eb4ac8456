"""The `mo` console script. `mo affected` runs in CI and hooks on every change, so it answers
without loading the full command line (typer and what it imports cost about 0.2 s, more than
the question itself); every other command, and `mo affected --help`, goes to `cli/`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["main"]


def _affected_parser() -> argparse.ArgumentParser:
    # Mirrors `mo affected` in cli/trigger_commands.py (options, defaults, checks); a test runs
    # both.
    parser = argparse.ArgumentParser(prog="mo affected", add_help=False)
    parser.add_argument("--base", default="HEAD~1")
    parser.add_argument("--head")
    parser.add_argument("--staged", action="store_true")
    parser.add_argument("--worktree", action="store_true")
    parser.add_argument("--env", "-e")
    parser.add_argument("--json", action="store_true")
    return parser


def affected(argv: list[str]) -> int:
    from modelops_git import output
    from modelops_git.changes import affected as compute
    from modelops_git.errors import EXIT_USAGE, ModelOpsError
    from modelops_git.git import require_worktree_root

    try:
        args = _affected_parser().parse_args(argv)
    except SystemExit:
        return EXIT_USAGE
    if sum((args.head is not None, args.staged, args.worktree)) > 1:
        output.error(ModelOpsError("use one of --head, --staged and --worktree", "pick one"))
        return EXIT_USAGE
    mode = "staged" if args.staged else "worktree" if args.worktree else "rev"
    try:
        data = compute(
            require_worktree_root(Path.cwd()), args.base, args.head, mode, args.env
        ).as_data()
    except ModelOpsError as problem:
        output.error(problem)
        return problem.exit_code
    if args.json:
        output.json_data(data)
    else:
        output.affected(data)
    return 0


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] == ["affected"] and not {"--help", "-h"} & set(argv):
        sys.exit(affected(argv[1:]))
    from modelops_git.cli import main as full_cli

    full_cli()
