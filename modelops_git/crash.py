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

__all__ = ["write_crash_log"]


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
