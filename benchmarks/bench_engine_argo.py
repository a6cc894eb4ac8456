"""Time `render_argo` on a synthetic 1,000-task engine graph (engine_graph itself excluded).

    python benchmarks/bench_engine_argo.py [--tasks 1000] [--repeat 5]

Budget: well under 0.15 s per render (all engines together must stay under 1 s). The one-time
import of hera's Argo models is printed apart: `mo export argo` pays it once per process.
"""

from __future__ import annotations

import argparse
import time

from modelops_git.engines.graph import EngineGraph, EngineTask, run_task_argv


def synthetic_graph(size: int) -> EngineGraph:
    """Layers of fan-out and fan-in, retries, timeouts, branches, secrets and env values."""
    tasks = []
    for index in range(size):
        needs = tuple(f"t{index - step}" for step in (1, 7) if index - step >= 0)
        tasks.append(
            EngineTask(
                name=f"t{index}",
                needs=needs,
                argv=run_task_argv("bench", f"t{index}", "dev"),
                retries=index % 3,
                backoff_seconds=5.0,
                retry_on=(),
                timeout_seconds=600.0 if index % 2 else None,
                branches=("main", "release/*") if index % 5 == 0 else (),
                secrets={"API_TOKEN": "TOKEN"} if index % 4 == 0 else {},
                plain_env={"GREETING": f"hello {{{{ {index} }}}} $(x)"},
                resources={"cpu": 1, "memory": "2Gi"} if index % 10 == 0 else {},
            )
        )
    return EngineGraph("bench", "dev", tuple(tasks))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    from modelops_git.engines.argo import render_argo

    imported = time.perf_counter() - started
    graph = synthetic_graph(args.tasks)
    timings = []
    cpu = []
    for _ in range(args.repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        render_argo(graph)
        timings.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    print(f"import hera models: {imported:.3f} s (once per process)")
    # CPU time too: on a shared machine the wall clock also counts other processes.
    print(
        f"render_argo, {args.tasks} tasks: best {min(timings):.3f} s wall, "
        f"{min(cpu):.3f} s CPU; first {timings[0]:.3f} s wall"
    )


if __name__ == "__main__":
    main()
