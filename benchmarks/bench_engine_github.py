"""`mo ci github`'s render of a 1,000-task pipeline (engine graph given): best of 5.

.venv/bin/python benchmarks/bench_engine_github.py
"""

from __future__ import annotations

import time

from modelops_git.engines.github_actions import WorkflowSettings, render_workflow
from modelops_git.engines.graph import EngineGraph, EngineTask, run_task_argv

TASKS = 1000


def synthetic_graph() -> tuple[EngineGraph, WorkflowSettings]:
    """Each task needs the three before it; some retry, time out, carry branches or secrets."""
    tasks = []
    for n in range(TASKS):
        name = f"task-{n:04d}"
        tasks.append(
            EngineTask(
                name=name,
                needs=tuple(f"task-{m:04d}" for m in range(max(0, n - 3), n)),
                argv=run_task_argv("big", name, "dev"),
                retries=n % 3,
                backoff_seconds=5.0,
                retry_on=(),
                timeout_seconds=600.0 if n % 2 else None,
                branches=("main",) if n % 10 == 0 else (),
                description=f"task {n}",
                secrets={"TOKEN": "TRAIN_TOKEN"} if n % 7 == 0 else {},
                plain_env={"SEED": str(n)},
            )
        )
    outs = {"big": {task.name: (f"data/{task.name}.csv",) for task in tasks}}
    return EngineGraph("big", "dev", tuple(tasks)), WorkflowSettings(outs=outs)


def main() -> None:
    graph, settings = synthetic_graph()
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        text = render_workflow([graph], settings)
        timings.append(time.perf_counter() - started)
    lines = len(text.splitlines())
    print(f"render {TASKS} tasks: {min(timings) * 1000:.1f} ms (best of 5), {lines} lines")


if __name__ == "__main__":
    main()
