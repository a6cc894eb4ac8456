"""`mo affected` beside `dvc status`, `git status` and bare Python; the pre-commit hook's cost.

    python benchmarks/bench_affected.py [--files 2000] [--tasks 50]

Budgets (issue: build triggers): on 2,000 DVC-tracked files and 50 tasks, with one data
pointer and one params key changed in HEAD, `mo affected --base HEAD~1` at least 50x faster
than `dvc status` and within 10x of `git status` + `python -c pass`; the installed pre-commit
hook adds under 0.2 s to `git commit`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import Shape, build, data_name, run
from timing import MO, bench_env, best, compile_package

WORK = Path(__file__).resolve().parent / ".work"


def prepare(files: int, tasks: int) -> Path:
    repo = build(WORK / "affected", Shape(files=files, tasks=tasks, commits=1))
    with (repo / data_name(0)).open("a") as handle:
        handle.write("1,1\n")
    run(repo, sys.executable, "-m", "dvc", "add", "-q", data_name(0))
    params = yaml.safe_load((repo / "params.yaml").read_text())
    first = next(iter(params["p0"]))
    params["p0"][first]["lr"] = 0.9
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-qm", "one pointer and one params key")
    return repo


def commit_cost(repo: Path, hooked: bool, repeat: int = 5) -> float:
    """Best time of `git commit` of a one-line code change, with or without mo's hook."""
    subprocess.run(
        [MO, "hooks", "uninstall"], cwd=repo, check=True, env=bench_env(), capture_output=True
    )
    if hooked:
        subprocess.run(
            [MO, "hooks", "install", "--hook", "pre-commit"],
            cwd=repo,
            check=True,
            env=bench_env(),
            capture_output=True,
        )
    timings = []
    for number in range(repeat):
        with (repo / "tools" / "step.py").open("a") as handle:
            handle.write(f"# bench {hooked} {number}\n")
        run(repo, "git", "add", "tools/step.py")
        started = time.perf_counter()
        subprocess.run(
            ["git", "commit", "-qm", "bench"],
            cwd=repo,
            check=True,
            env=bench_env(),
            capture_output=True,
        )
        timings.append(time.perf_counter() - started)
        run(repo, "git", "reset", "-q", "--hard", "HEAD~1")
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--tasks", type=int, default=50)
    args = parser.parse_args()
    compile_package()
    repo = prepare(args.files, args.tasks)
    mo = best([MO, "affected", "--base", "HEAD~1"], repo, repeat=5)
    # `dvc status -q` exits 1 when something changed, which is the point here.
    dvc = best([sys.executable, "-m", "dvc", "status", "-q"], repo, repeat=1, check=False)
    git_status = best(["git", "status", "--porcelain"], repo, repeat=5)
    bare = best([sys.executable, "-c", "pass"], repo, repeat=5)
    with_hook, without = commit_cost(repo, True), commit_cost(repo, False)
    print(
        f"workload: {args.files} DVC-tracked files, {args.tasks} tasks, HEAD changes one "
        "pointer and one params key"
    )
    print(f"mo affected --base HEAD~1: {mo:.3f} s")
    print(f"dvc status:                {dvc:.3f} s   dvc/mo = {dvc / mo:.1f}x (budget >= 50x)")
    print(
        f"git status + python -c pass: {git_status:.3f} + {bare:.3f} = {git_status + bare:.3f} s"
        f"   mo/that = {mo / (git_status + bare):.1f}x (budget <= 10x)"
    )
    print(
        f"git commit: {with_hook:.3f} s with mo's pre-commit hook, {without:.3f} s without: "
        f"+{with_hook - without:.3f} s (budget < 0.2 s)"
    )


if __name__ == "__main__":
    main()
