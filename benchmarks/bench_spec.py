"""`mo validate` and `mo render` on 1,000- and 10,000-task specs, beside DVC on the same DAG.

    python benchmarks/bench_spec.py [--sizes 1000 10000] [--repeat 3]

Budget (issue: foundation): each mo command under 0.5 s at 1,000 tasks, and under 12x that
at 10,000 tasks. The peer is `dvc stage list` on the equivalent dvc.yaml (DVC parsing the
same stages); its ratio is printed for context, not as a budget.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import Shape, build

WORK = Path(__file__).resolve().parent / ".work"
BIN = Path(sys.executable).parent
COMMANDS = {
    "mo validate": [str(BIN / "mo"), "validate"],
    "mo render --env prod": [str(BIN / "mo"), "render", "--env", "prod", "--format", "json"],
    "dvc stage list (peer)": [sys.executable, "-m", "dvc", "stage", "list"],
}


def best_of(command: list[str], cwd: Path, repeat: int) -> float:
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, env=env, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[int, dict[str, float]] = {}
    for tasks in args.sizes:
        repo = build(WORK / f"spec-{tasks}", Shape(files=tasks, tasks=tasks, dvc=True, commits=1))
        results[tasks] = {name: best_of(cmd, repo, args.repeat) for name, cmd in COMMANDS.items()}
    print(f"{'tasks':>7}  " + "  ".join(f"{name:>22}" for name in COMMANDS))
    for tasks, row in results.items():
        print(f"{tasks:>7}  " + "  ".join(f"{row[name]:>20.3f} s" for name in COMMANDS))
    base = results[min(results)]
    for tasks, row in results.items():
        for name in ("mo validate", "mo render --env prod"):
            growth = row[name] / base[name]
            versus = row[name] / row["dvc stage list (peer)"]
            print(
                f"{name} at {tasks} tasks: {row[name]:.3f} s, {growth:.1f}x the "
                f"{min(results)}-task figure, {versus:.2f}x dvc stage list"
            )


if __name__ == "__main__":
    main()
