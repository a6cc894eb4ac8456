"""`mo run` beside `dvc repro` on one workload, parallel tasks, and lineage over long histories.

    python benchmarks/bench_run.py [--files 2000] [--tasks 50] [--commits 1000]

Budgets (issue: local runs): on 2,000 DVC-tracked files and a 50-task pipeline with an
equivalent dvc.yaml, `mo run` with nothing changed at least 20x faster than `dvc repro`, and
after one data file changes at least 10x faster (re-running only the dependent tasks); 8
independent `sleep 1` tasks with --jobs 8 under 2 s; `mo lineage` on 1,000 commits under 1 s.
Each tool runs in its own copy of the repository so neither sees the other's outputs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import Shape, build, data_name, run
from timing import MO, bench_env, best, compile_package, timed

WORK = Path(__file__).resolve().parent / ".work"
DVC = [sys.executable, "-m", "dvc"]


def change_data(repo: Path, index: int) -> None:
    with (repo / data_name(index)).open("a") as handle:
        handle.write(f"{time.time_ns()},0\n")
    run(repo, *DVC, "add", "-q", data_name(index))


def compare_runs(files: int, tasks: int) -> dict[str, float]:
    base = build(WORK / "run-base", Shape(files=files, tasks=tasks, commits=1))
    copies = {}
    for tool in ("mo", "dvc"):
        copies[tool] = WORK / f"run-{tool}"
        shutil.rmtree(copies[tool], ignore_errors=True)
        shutil.copytree(base, copies[tool], symlinks=True)
    commands = {"mo": [MO, "run"], "dvc": [*DVC, "repro", "-q"]}
    first = {tool: timed(commands[tool], copies[tool]) for tool in copies}
    noop = {tool: best(commands[tool], copies[tool]) for tool in copies}
    changed: dict[str, float] = {}
    for tool in copies:
        timings = []
        for index in (1, 2, 3):
            change_data(copies[tool], index)
            timings.append(timed(commands[tool], copies[tool]))
        changed[tool] = min(timings)
    return {
        "first mo": first["mo"],
        "first dvc": first["dvc"],
        "noop mo": noop["mo"],
        "noop dvc": noop["dvc"],
        "changed mo": changed["mo"],
        "changed dvc": changed["dvc"],
    }


def parallel_sleeps() -> float:
    repo = WORK / "sleeps"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    run(repo, "git", "init", "-q")
    tasks = {
        f"s{i}": {"cmd": f"sleep 1 && echo {i} > out{i}.txt", "outs": [f"out{i}.txt"]}
        for i in range(8)
    }
    (repo / "modelops.yaml").write_text(yaml.safe_dump({"pipelines": {"p": {"tasks": tasks}}}))
    return timed([MO, "run", "--jobs", "8"], repo)


def long_history(commits: int) -> dict[str, float]:
    """A repository whose modelops.lock changes in each of `commits` commits."""
    repo = WORK / "history"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    run(repo, "git", "init", "-q")
    (repo / "train.py").write_text(
        "import json,pathlib,yaml\np=yaml.safe_load(open('params.yaml'))['train']\n"
        "pathlib.Path('model.txt').write_text(str(p['lr']))\n"
        "pathlib.Path('metrics.json').write_text(json.dumps({'accuracy': 1 - p['lr']}))\n"
    )
    spec = {
        "models": {"clf": {"path": "model.txt"}},
        "pipelines": {
            "train": {
                "tasks": {
                    "train": {
                        "cmd": "python train.py",
                        "deps": ["train.py"],
                        "params": ["train.lr"],
                        "outs": ["model:clf"],
                        "metrics": ["metrics.json"],
                    }
                }
            }
        },
    }
    (repo / "modelops.yaml").write_text(yaml.safe_dump(spec))
    (repo / "params.yaml").write_text("train:\n  lr: 0.0\n")
    subprocess.run([MO, "run"], cwd=repo, check=True, env=bench_env(), capture_output=True)
    lock_template = (repo / "modelops.lock").read_text()
    for number in range(commits):
        lr = round((number % 97) / 1000, 4)
        (repo / "params.yaml").write_text(f"train:\n  lr: {lr}\n")
        lock = yaml.safe_load(lock_template)
        task = lock["pipelines"]["train"]["tasks"]["train"]
        task["params"]["params.yaml"]["train.lr"] = lr
        task["metrics"]["metrics.json"]["accuracy"] = round(1 - lr, 4)
        (repo / "modelops.lock").write_text(yaml.safe_dump(lock, sort_keys=False))
        run(repo, "git", "add", "-A")
        run(repo, "git", "commit", "-qm", f"lr {lr}")
    return {
        "lineage": best([MO, "lineage", "clf"], repo),
        "lineage@old": best([MO, "lineage", f"clf@HEAD~{commits - 2}"], repo),
        "why": best([MO, "why", "accuracy"], repo),
        "history": best([MO, "history", "accuracy"], repo),
        "git log": best(["git", "log", "--oneline"], repo),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--commits", type=int, default=1000)
    args = parser.parse_args()
    compile_package()
    runs = compare_runs(args.files, args.tasks)
    sleeps = parallel_sleeps()
    lineage = long_history(args.commits)
    print(f"workload: {args.files} DVC-tracked files, {args.tasks} tasks")
    print(f"first run:      mo {runs['first mo']:.2f} s   dvc repro {runs['first dvc']:.2f} s")
    print(
        f"nothing changed: mo {runs['noop mo']:.3f} s   dvc repro {runs['noop dvc']:.3f} s   "
        f"dvc/mo = {runs['noop dvc'] / runs['noop mo']:.1f}x (budget >= 20x)"
    )
    print(
        f"one data file:  mo {runs['changed mo']:.3f} s   dvc repro {runs['changed dvc']:.3f} s   "
        f"dvc/mo = {runs['changed dvc'] / runs['changed mo']:.1f}x (budget >= 10x)"
    )
    print(f"8 x sleep 1 with --jobs 8: {sleeps:.2f} s (budget < 2 s)")
    print(
        f"history of {args.commits} commits: "
        + ", ".join(f"{name} {value:.3f} s" for name, value in lineage.items())
        + " (lineage budget < 1 s)"
    )
    print(json.dumps({"runs": runs, "sleeps": sleeps, "history": lineage}))


if __name__ == "__main__":
    main()
