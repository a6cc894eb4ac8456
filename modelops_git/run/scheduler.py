"""Running a DAG of tasks in parallel: independent tasks together, nothing after a failure.

On a failure the running tasks finish and nothing new starts. The first Ctrl-C does the
same; the second kills the running commands. The KeyboardInterrupt is re-raised once every
task has been accounted for, so the caller can record the run before exiting with 130.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from modelops_git.run.attempts import ChildProcesses

__all__ = ["OK_STATUSES", "schedule"]

OK_STATUSES = frozenset({"succeeded", "up to date", "disabled"})
NOT_STARTED = "not started"


def schedule(
    order: Sequence[str],
    needs: dict[str, tuple[str, ...]],
    jobs: int,
    run_one: Callable[[str], str],
    stop: threading.Event,
    children: ChildProcesses,
    on_interrupt: Callable[[int], None],
) -> dict[str, str]:
    """Status of every task in `order` (which is topological): what `run_one` returned, or
    "not started" for tasks after a failure or a stop."""
    status: dict[str, str] = {}
    running: dict[Future[str], str] = {}
    interrupts = 0
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        while True:
            if not stop.is_set():
                for name in _ready(order, needs, status, running):
                    running[pool.submit(run_one, name)] = name
            if not running:
                break
            try:
                done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt:
                interrupts += 1
                stop.set()
                if interrupts >= 2:
                    children.kill_all()
                on_interrupt(interrupts)
                continue
            for future in done:
                name = running.pop(future)
                status[name] = future.result()
                if status[name] not in OK_STATUSES:
                    stop.set()
    for name in order:
        status.setdefault(name, NOT_STARTED)
    if interrupts:
        raise KeyboardInterrupt
    return status


def _ready(
    order: Sequence[str],
    needs: dict[str, tuple[str, ...]],
    status: dict[str, str],
    running: dict[Future[str], str],
) -> list[str]:
    busy = set(running.values())
    return [
        name
        for name in order
        if name not in status
        and name not in busy
        and all(status.get(need) in OK_STATUSES for need in needs.get(name, ()))
    ]
