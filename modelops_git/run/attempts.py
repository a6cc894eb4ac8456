"""Running one task's command: attempts, retries with exponential backoff, timeouts, logs."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from modelops_git.compile.plan import PlannedTask

__all__ = ["TIMEOUT_EXIT", "Attempt", "ChildProcesses", "run_attempts"]

TIMEOUT_EXIT = 124
_KILL_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class Attempt:
    number: int
    exit_code: int
    started: str
    seconds: float
    timed_out: bool = False


class ChildProcesses:
    """The running commands' process groups, so a second Ctrl-C can kill them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()
        self.killed = threading.Event()

    def add(self, pid: int) -> None:
        with self._lock:
            self._groups.add(pid)

    def discard(self, pid: int) -> None:
        with self._lock:
            self._groups.discard(pid)

    def kill_all(self) -> None:
        self.killed.set()
        with self._lock:
            for group in self._groups:
                _signal_group(group, signal.SIGKILL)


def _signal_group(group: int, sig: signal.Signals) -> None:
    try:
        os.killpg(group, sig)
    except ProcessLookupError:
        return


def run_attempts(
    task: PlannedTask,
    root: Path,
    log: Path,
    env: dict[str, str],
    children: ChildProcesses,
    stop: threading.Event,
    on_spawn: Callable[[int], None] = lambda pid: None,
) -> list[Attempt]:
    """Run until success, or until retries are exhausted, the exit code is not retryable,
    or a stop was asked for. Every attempt's output is appended to `log`."""
    attempts: list[Attempt] = []
    for number in range(1, task.retries.limit + 2):
        attempt = _run_once(task, number, root, log, env, children, on_spawn)
        attempts.append(attempt)
        if attempt.exit_code == 0 or stop.is_set() or children.killed.is_set():
            break
        if task.retries.retry_on and attempt.exit_code not in task.retries.retry_on:
            break
        if number <= task.retries.limit and stop.wait(
            task.retries.backoff_seconds * 2 ** (number - 1)
        ):
            break
    return attempts


def _run_once(
    task: PlannedTask,
    number: int,
    root: Path,
    log: Path,
    env: dict[str, str],
    children: ChildProcesses,
    on_spawn: Callable[[int], None],
) -> Attempt:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    clock = time.monotonic()
    with log.open("a", encoding="utf-8") as handle:
        handle.write(f"=== attempt {number} at {started}: {task.cmd}\n")
        handle.flush()
        # The task's cmd is the one place a shell runs user text, by design.
        process = subprocess.Popen(  # noqa: S602
            task.cmd,
            shell=True,
            cwd=root,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        children.add(process.pid)
        on_spawn(process.pid)
        timed_out = False
        try:
            process.wait(timeout=task.timeout_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop_group(process)
        finally:
            children.discard(process.pid)
        code = TIMEOUT_EXIT if timed_out else _exit_code(process.returncode)
        seconds = round(time.monotonic() - clock, 3)
        handle.write(
            f"=== attempt {number} exited {code} after {seconds}s"
            f"{' (timed out)' if timed_out else ''}\n"
        )
    return Attempt(number, code, started, seconds, timed_out)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    _signal_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=_KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _signal_group(process.pid, signal.SIGKILL)
        process.wait()


def _exit_code(returncode: int) -> int:
    """Shell convention: killed by signal N -> 128 + N."""
    return 128 - returncode if returncode < 0 else returncode
