"""The `mo` console script: the commands of fast_commands.py answer without loading the full
command line; every other command, and every `--help`, goes to `cli/`."""

from __future__ import annotations

import gc
import sys

from modelops_git.fast_commands import FAST_COMMANDS, run_fast

__all__ = ["main", "tune_gc"]


def tune_gc() -> None:
    """mo builds large structures that hold no cycles (a spec of 10,000 tasks is ~1M
    objects); CPython's default thresholds sweep them over and over, which doubles the time
    of a 10,000-task validate or render. Collections still run, just less often."""
    gc.set_threshold(50_000, 100, 100)


def main() -> None:
    tune_gc()
    argv = sys.argv[1:]
    if argv[:1] and argv[0] in FAST_COMMANDS and not {"--help", "-h"} & set(argv):
        code = run_fast(argv[0], argv[1:])
        if code is not None:
            sys.exit(code)
    from modelops_git.cli import main as full_cli

    full_cli()
