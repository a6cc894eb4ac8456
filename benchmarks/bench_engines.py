"""Compiling one pipeline to all five engines: the local plan, GitHub Actions, Jenkins, Argo
Workflows and Airflow, at 1,000 and 10,000 tasks.

    python benchmarks/bench_engines.py [--sizes 1000 10000] [--repeat 3]

Budget (issue: engines): all five under 1 s in total at 1,000 tasks, and under 12x that at
10,000. "Compiling" is measured in one process with the libraries loaded: load and validate
the spec, plan it once (the local engine's compile), then render each engine's file. The one-
time imports (hera's Argo models above all) and each `mo ci`/`mo export` command run as its
own process are printed beside it, so the cost a user sees at the terminal is there too.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import MO, best, compile_package

from modelops_git.entry import tune_gc

WORK = Path(__file__).resolve().parent / ".work"


def build(size: int) -> Path:
    """A pipeline of `size` tasks in layers of 10 (each task needs two of the layer before),
    with retries, timeouts, branch conditions, a secret and plain env values."""
    repo = WORK / f"engines-{size}"
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "environments").mkdir(parents=True)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    tasks: dict[str, dict[str, object]] = {}
    for index in range(size):
        task: dict[str, object] = {"cmd": f"echo {index} > out/t{index}.txt"}
        task["outs"] = [f"out/t{index}.txt"]
        if index >= 10:
            task["needs"] = sorted({f"t{index - 10}", f"t{index - 1 - (index % 7)}"})
        if index % 3 == 0:
            task["retries"] = {"limit": 2, "backoff": 5}
        if index % 2 == 0:
            task["timeout"] = "30m"
        if index % 11 == 0:
            task["when"] = {"branches": ["main", "release/*"]}
        if index % 13 == 0:
            task["env"] = {"TOKEN": "secret:TRAIN_TOKEN", "GREETING": "it's {{ here }} $(x)"}
        tasks[f"t{index}"] = task
    spec = {"version": 1, "pipelines": {"train": {"tasks": tasks}}}
    (repo / "modelops.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (repo / "environments" / "dev.yaml").write_text("description: dev\n")
    return repo


def timed(action: Callable[[], object], repeat: int) -> float:
    results = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        results.append(time.perf_counter() - started)
    return min(results)


def in_process(repo: Path, repeat: int) -> dict[str, float]:
    from modelops_git.compile.plan import compile_plan
    from modelops_git.engines.airflow import render_airflow
    from modelops_git.engines.argo import render_argo
    from modelops_git.engines.github_actions import WorkflowSettings, render_workflow
    from modelops_git.engines.graph import graph_from_plan
    from modelops_git.engines.jenkins import render_jenkinsfile
    from modelops_git.spec.project import load_project

    def plan() -> object:
        return compile_plan(load_project(repo), "train", "dev")

    planned = compile_plan(load_project(repo), "train", "dev")
    graph = graph_from_plan(planned)
    outs = {"train": {task.name: task.outs for task in planned.tasks}}
    settings = WorkflowSettings(outs=outs)
    return {
        "load + validate + plan (local)": timed(plan, repeat),
        "engine graph": timed(lambda: graph_from_plan(planned), repeat),
        "GitHub Actions": timed(lambda: render_workflow([graph], settings), repeat),
        "Jenkins": timed(lambda: render_jenkinsfile(graph), repeat),
        "Argo": timed(lambda: render_argo(graph), repeat),
        "Airflow": timed(lambda: render_airflow(graph), repeat),
    }


def import_costs() -> dict[str, float]:
    """Seconds each engine's modules take to import in a fresh interpreter."""
    costs = {}
    for label, module in (
        ("GitHub Actions", "modelops_git.engines.github_actions"),
        ("Jenkins", "modelops_git.engines.jenkins"),
        ("Argo (hera)", "modelops_git.engines.argo"),
        ("Airflow", "modelops_git.engines.airflow"),
    ):
        probe = (
            f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        costs[label] = float(done.stdout)
    return costs


def commands(repo: Path) -> dict[str, float]:
    target = repo / "generated"
    return {
        "mo render --env dev": best([MO, "render", "train", "--env", "dev"], repo),
        "mo ci github": best([MO, "ci", "github", "--env", "dev", "-o", f"{target}/gha.yml"], repo),
        "mo ci jenkins": best(
            [MO, "ci", "jenkins", "--env", "dev", "-o", f"{target}/Jenkinsfile"], repo
        ),
        "mo export argo": best(
            [MO, "export", "argo", "--env", "dev", "-o", f"{target}/argo.yaml"], repo
        ),
        "mo export airflow": best(
            [MO, "export", "airflow", "--env", "dev", "-o", f"{target}/dag.py"], repo
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    compile_package()
    tune_gc()  # as the `mo` command does
    totals = {}
    for size in args.sizes:
        repo = build(size)
        timings = in_process(repo, args.repeat)
        totals[size] = sum(timings.values())
        print(f"\n{size} tasks, in one process (best of {args.repeat}):")
        for label, seconds in timings.items():
            print(f"  {label:32} {seconds:7.3f} s")
        print(f"  {'all five engines':32} {totals[size]:7.3f} s")
        print(f"{size} tasks, each command as its own process (best of 3):")
        for label, seconds in commands(repo).items():
            print(f"  {label:32} {seconds:7.3f} s")
    print("\nimports in a fresh interpreter (paid once per command):")
    for label, seconds in import_costs().items():
        print(f"  {label:32} {seconds:7.3f} s")
    if len(totals) > 1:
        small, large = min(totals), max(totals)
        print(
            f"\nall five: {totals[small]:.3f} s at {small} tasks (budget < 1 s); "
            f"{totals[large]:.3f} s at {large} = {totals[large] / totals[small]:.1f}x "
            f"(budget < 12x)"
        )


if __name__ == "__main__":
    main()
