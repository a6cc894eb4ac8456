"""Internal errors: the traceback and versions go to a log file the user can attach to a report."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from modelops_git import __version__

__all__ = ["report_internal_error", "write_crash_log"]


def _log_dir() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "modelops-git"


def write_crash_log(argv: list[str]) -> Path:
    """Write the current exception's traceback; returns the log's path."""
    body = (
        f"mo {__version__}\npython {sys.version}\nplatform {platform.platform()}\n"
        f"argv {argv!r}\ncwd {Path.cwd()}\n\n{traceback.format_exc()}"
    )
    name = f"crash-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
    for directory in (_log_dir(), Path(tempfile.gettempdir())):
        try:
            directory.mkdir(parents=True, exist_ok=True)
            path = directory / name
            path.write_text(body, encoding="utf-8")
            return path
        except OSError:
            continue
    sys.stderr.write(body)
    return Path("<stderr>")


def report_internal_error(argv: list[str], show_traceback: bool) -> int:
    """For an unexpected exception being handled: the traceback (with --traceback) or a
    crash log and a message saying where it is; returns the exit code for bugs."""
    from modelops_git import output
    from modelops_git.errors import EXIT_BUG, ModelOpsError

    if show_traceback:
        traceback.print_exc()
        return EXIT_BUG
    log = write_crash_log(argv)
    output.error(
        ModelOpsError(
            f"internal error (a bug in mo {__version__}); details in {log}",
            "please report it with that file; rerun with --traceback to see the traceback here",
        )
    )
    return EXIT_BUG
