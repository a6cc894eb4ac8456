"""The `mo` console script: the commands of fast_commands.py answer without loading the full
command line; every other command, and every `--help`, goes to `cli/`."""

from __future__ import annotations

import sys

from modelops_git.fast_commands import FAST_COMMANDS, run_fast

__all__ = ["main"]


def main() -> None:
    argv = sys.argv[1:]
    if argv[:1] and argv[0] in FAST_COMMANDS and not {"--help", "-h"} & set(argv):
        code = run_fast(argv[0], argv[1:])
        if code is not None:
            sys.exit(code)
    from modelops_git.cli import main as full_cli

    full_cli()
