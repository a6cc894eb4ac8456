"""Synthetic repositories for benchmarks: the same workload as a modelops.yaml and a dvc.yaml.

    python benchmarks/synth.py OUT --files 2000 --pipelines 1 --tasks 50 --commits 10

builds OUT as a git repo with N DVC-tracked data files (`dvc add`, one pointer each), M
pipelines of K tasks (fan-in DAGs reading data files, upstream outs and params keys), an
equivalent dvc.yaml (one stage per task), environments with overrides, and a history of C
commits (each changes a params value, a code file or, every fifth, a data file).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

STEP_SCRIPT = '''"""A benchmark task: hashes its inputs into its output (deterministic, fast)."""
import hashlib
import sys
from pathlib import Path
from typing import Any

out, *inputs = sys.argv[1:]
digest = hashlib.md5()
for name in inputs:
    path = Path(name)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        digest.update(file.read_bytes())
Path(out).parent.mkdir(parents=True, exist_ok=True)
Path(out).write_text(digest.hexdigest() + "\\n")
'''

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


@dataclass(frozen=True)
class Shape:
    files: int = 100
    pipelines: int = 1
    tasks: int = 50
    commits: int = 1
    seed: int = 0
    dvc: bool = True


def data_name(index: int) -> str:
    return f"data/raw/f{index:05d}.csv"


@dataclass(frozen=True)
class SynthTask:
    name: str
    data: list[str]
    upstream: list[str]
    param: str
    out: str


def task_plan(shape: Shape, pipeline: int) -> list[SynthTask]:
    """Tasks of one pipeline: each reads a slice of the data, one or two upstream outs and a
    params key, and writes one out. Task 0 of each layer of eight starts a new branch."""
    rng = random.Random(shape.seed * 1000 + pipeline)
    per_task = max(1, shape.files // max(1, shape.tasks)) if shape.files else 0
    tasks: list[SynthTask] = []
    for index in range(shape.tasks):
        first = (index * per_task) % shape.files if shape.files else 0
        data = (
            [data_name((first + k) % shape.files) for k in range(per_task)] if shape.files else []
        )
        upstream = sorted({rng.randrange(index) for _ in range(2)}) if index else []
        tasks.append(
            SynthTask(
                name=f"t{index:05d}",
                data=data,
                upstream=[f"t{u:05d}" for u in upstream],
                param=f"p{pipeline}.t{index:05d}.lr",
                out=f"out/p{pipeline}/t{index:05d}.txt",
            )
        )
    return tasks


def modelops_spec(shape: Shape) -> dict[str, Any]:
    pipelines: dict[str, Any] = {}
    for p in range(shape.pipelines):
        tasks: dict[str, Any] = {}
        for task in task_plan(shape, p):
            deps = ["tools/step.py", *task.data, *(f"out/p{p}/{u}.txt" for u in task.upstream)]
            tasks[task.name] = {
                "cmd": f"python tools/step.py {task.out} {' '.join(deps[1:])}".strip(),
                "deps": deps,
                "params": [task.param],
                "outs": [task.out],
                "retries": 1,
                "timeout": "10m",
            }
        pipelines[f"p{p}"] = {"description": f"synthetic pipeline {p}", "tasks": tasks}
    return {"version": 1, "project": "synthetic", "pipelines": pipelines}


def dvc_yaml(spec: dict[str, Any]) -> dict[str, Any]:
    """The same tasks as DVC stages (`pipeline-task`), so both tools see one workload."""
    stages: dict[str, Any] = {}
    for p_name, pipeline in spec["pipelines"].items():
        for t_name, task in pipeline["tasks"].items():
            stages[f"{p_name}-{t_name}"] = {
                "cmd": task["cmd"],
                "deps": task["deps"],
                "params": task["params"],
                "outs": task["outs"],
            }
    return {"stages": stages}


def params(shape: Shape, bump: int = 0) -> dict[str, object]:
    return {
        f"p{p}": {
            task.name: {"lr": round(0.1 + 0.001 * bump, 4) if i == 0 else 0.1}
            for i, task in enumerate(task_plan(shape, p))
        }
        for p in range(shape.pipelines)
    }


def environments() -> dict[str, dict[str, object]]:
    return {
        "dev": {"description": "dev"},
        "staging": {"description": "staging", "promotion": {"from": "dev", "auto": True}},
        "prod": {
            "description": "prod",
            "resources": {"cpu": 4, "memory": "8Gi"},
            "promotion": {"from": "staging", "approvals": 1},
        },
    }


def dump(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, width=1000))


def write_spec_files(root: Path, shape: Shape) -> None:
    """Everything but the data: specs, params, environments, the task script."""
    (root / "tools").mkdir(parents=True, exist_ok=True)
    (root / "tools" / "step.py").write_text(STEP_SCRIPT)
    spec = modelops_spec(shape)
    dump(root / "modelops.yaml", spec)
    dump(root / "dvc.yaml", dvc_yaml(spec))
    dump(root / "params.yaml", params(shape))
    for name, env in environments().items():
        dump(root / "environments" / f"{name}.yaml", env)


def write_data(root: Path, shape: Shape) -> None:
    rng = random.Random(shape.seed)
    for index in range(shape.files):
        path = root / data_name(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = "\n".join(f"{rng.random():.6f},{rng.random():.6f}" for _ in range(20))
        path.write_text(f"x,y\n{rows}\n")


def run(root: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV, "DVC_NO_ANALYTICS": "1"}
    subprocess.run(args, cwd=root, check=True, env=env, stdout=subprocess.DEVNULL)


def dvc_command() -> list[str]:
    return [sys.executable, "-m", "dvc"]


def build(root: Path, shape: Shape) -> Path:
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    run(root, "git", "init", "-q", "-b", "main")
    write_spec_files(root, shape)
    write_data(root, shape)
    if shape.dvc:
        run(root, *dvc_command(), "init", "-q")
        if shape.files:
            run(root, *dvc_command(), "add", "-q", *(data_name(i) for i in range(shape.files)))
    run(root, "git", "add", "-A")
    run(root, "git", "commit", "-qm", "synthetic repo")
    for commit in range(1, shape.commits):
        change_something(root, shape, commit)
        run(root, "git", "add", "-A")
        run(root, "git", "commit", "-qm", f"change {commit}")
    return root


def change_something(root: Path, shape: Shape, commit: int) -> None:
    if commit % 5 == 0 and shape.files and shape.dvc:
        target = data_name(commit % shape.files)
        with (root / target).open("a") as handle:
            handle.write(f"{commit},{commit}\n")
        run(root, *dvc_command(), "add", "-q", target)
    elif commit % 2 == 0:
        with (root / "tools" / "step.py").open("a") as handle:
            handle.write(f"# revision {commit}\n")
    else:
        dump(root / "params.yaml", params(shape, bump=commit))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=Shape.files)
    parser.add_argument("--pipelines", type=int, default=Shape.pipelines)
    parser.add_argument("--tasks", type=int, default=Shape.tasks)
    parser.add_argument("--commits", type=int, default=Shape.commits)
    parser.add_argument("--seed", type=int, default=Shape.seed)
    parser.add_argument("--no-dvc", action="store_true", help="plain files, no dvc init/add")
    args = parser.parse_args()
    shape = Shape(args.files, args.pipelines, args.tasks, args.commits, args.seed, not args.no_dvc)
    build(args.out, shape)
    print(json.dumps({"repo": str(args.out), **shape.__dict__}))


if __name__ == "__main__":
    main()
