"""Writing files so that an interrupted write never leaves a half-written file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["append_missing_lines", "write_atomic"]


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file in the same directory, fsync, then rename over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def append_missing_lines(path: Path, lines: list[str] | tuple[str, ...], header: str) -> list[str]:
    """Append the `lines` the file lacks (under a `# header` comment); returns those added.
    The rest of the file stays as the user wrote it."""
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    missing = [line for line in lines if line not in current.splitlines()]
    if missing:
        prefix = "" if not current or current.endswith("\n") else "\n"
        write_atomic(path, current + prefix + f"# {header}\n" + "\n".join(missing) + "\n")
    return missing
