"""An exclusive lock on a piece of local state, recording who holds it.

`fcntl.flock` is released by the kernel when the holder dies (even by SIGKILL), so a crashed
run never leaves a stale lock; the file's content only tells a waiting user who holds it.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from modelops_git.errors import ModelOpsError

__all__ = ["exclusive"]


@contextmanager
def exclusive(path: Path, what: str, wait_seconds: float = 30.0) -> Iterator[None]:
    """Hold the lock at `path` for the duration of the block, waiting up to `wait_seconds`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as handle:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise ModelOpsError(
                        f"{what} is locked by {holder}",
                        f"wait for it to finish; the lock is {path}",
                    ) from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}: {' '.join(sys.argv)}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
