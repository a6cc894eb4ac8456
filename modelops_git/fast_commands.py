"""Commands answered without loading the full command line (typer and what it imports cost
about 0.2 s, more than these questions themselves): `mo affected`, run by CI and hooks on
every change, and the registry reads and writes (`show`, `models`, `register`, `assign`),
which read refs. Each parser mirrors its typer command in cli/ (options, defaults, checks);
tests run both and compare. `--help` always goes to the full command line."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["FAST_COMMANDS", "run_fast"]


class _NotHere(Exception):
    """The arguments do not parse here: the full command line will say what is wrong."""


class _QuietParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotHere(message)


def _parser(command: str) -> argparse.ArgumentParser:
    parser = _QuietParser(prog=f"mo {command}", add_help=False)
    if command == "affected":
        parser.add_argument("--base", default="HEAD~1")
        parser.add_argument("--head")
        parser.add_argument("--staged", action="store_true")
        parser.add_argument("--worktree", action="store_true")
        parser.add_argument("--env", "-e")
    elif command == "show":
        parser.add_argument("model", nargs="?")
    elif command == "register":
        parser.add_argument("model")
        parser.add_argument("--version")
        parser.add_argument("--bump", choices=["major", "minor", "patch"], default="patch")
        parser.add_argument("--ref", default="HEAD")
    elif command == "assign":
        parser.add_argument("model")
        parser.add_argument("--version", required=True)
        parser.add_argument("--env", "-e", required=True)
        parser.add_argument("--unassign", action="store_true")
    parser.add_argument("--json", action="store_true")
    return parser


def _affected(root: Path, args: argparse.Namespace) -> Callable[[], Any]:
    from modelops_git import output
    from modelops_git.changes import affected
    from modelops_git.errors import UsageError

    if sum((args.head is not None, args.staged, args.worktree)) > 1:
        raise UsageError("use one of --head, --staged and --worktree", "pick one")
    mode = "staged" if args.staged else "worktree" if args.worktree else "rev"
    data = affected(root, args.base, args.head, mode, args.env).as_data()
    return lambda: output.json_data(data) if args.json else output.affected(data)


def _show(root: Path, args: argparse.Namespace) -> Callable[[], Any]:
    from modelops_git import output, registry_ops

    data = registry_ops.show(root, args.model)
    return lambda: output.json_data(data) if args.json else output.registry_table(data)


def _models(root: Path, args: argparse.Namespace) -> Callable[[], Any]:
    from modelops_git import output, registry_ops

    data = registry_ops.show(root, None)
    return lambda: output.json_data(data) if args.json else output.registry_versions(data)


def _register(root: Path, args: argparse.Namespace) -> Callable[[], Any]:
    from modelops_git import output, registry_ops

    data = registry_ops.register(root, args.model, args.version, args.bump, args.ref)
    return lambda: output.json_data(data) if args.json else output.registered(data)


def _assign(root: Path, args: argparse.Namespace) -> Callable[[], Any]:
    from modelops_git import output, registry_ops

    data = registry_ops.assign(root, args.model, args.version, args.env, args.unassign)
    return lambda: output.json_data(data) if args.json else output.assigned(data)


FAST_COMMANDS: dict[str, Callable[[Path, argparse.Namespace], Callable[[], Any]]] = {
    "affected": _affected,
    "show": _show,
    "models": _models,
    "register": _register,
    "assign": _assign,
}


def run_fast(command: str, argv: list[str]) -> int | None:
    """Exit code of `mo COMMAND ARGV`; None when the arguments do not parse here, so the
    full command line explains the mistake."""
    from modelops_git import output
    from modelops_git.crash import report_internal_error
    from modelops_git.errors import EXIT_INTERRUPT, ModelOpsError
    from modelops_git.git import require_worktree_root

    try:
        args = _parser(command).parse_args(argv)
    except _NotHere:
        return None
    try:
        show_result = FAST_COMMANDS[command](require_worktree_root(Path.cwd()), args)
        show_result()
    except ModelOpsError as problem:
        output.error(problem)
        return problem.exit_code
    except KeyboardInterrupt:
        output.error(ModelOpsError("interrupted"))
        return EXIT_INTERRUPT
    except Exception:
        return report_internal_error([command, *argv], "MO_TRACEBACK" in os.environ)
    return 0
