"""`mo validate` and `mo render` on 1,000- and 10,000-task specs, beside DVC on the same DAG.

    python benchmarks/bench_spec.py [--sizes 1000 10000] [--repeat 3]

Budget (issue: foundation): each mo command under 0.5 s at 1,000 tasks, and under 12x that
at 10,000 tasks. The peer is `dvc stage list` on the equivalent dvc.yaml (DVC parsing the
same stages); its ratio is printed for context, not as a budget. Data files are plain files
here (`dvc init` only): validating a spec does not read data, and `dvc add` of 10,000 files
would dominate the run. Byte-code is compiled first, as an installed package has it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import yaml
from synth import Shape, build
from timing import best, compile_package

WORK = Path(__file__).resolve().parent / ".work"
BIN = Path(sys.executable).parent
COMMANDS = {
    "mo validate": [str(BIN / "mo"), "validate"],
    "mo render (yaml)": [str(BIN / "mo"), "render", "--env", "prod"],
    "mo render (json)": [str(BIN / "mo"), "render", "--env", "prod", "--format", "json"],
    "dvc stage list (peer)": [sys.executable, "-m", "dvc", "stage", "list"],
}
MO_COMMANDS = [name for name in COMMANDS if name.startswith("mo ")]
PROD_OVERRIDES = {"t00001": {"retries": 3, "timeout": "1h"}, "t00002": {"resources": {"cpu": 8}}}


def prepare(tasks: int) -> Path:
    repo = build(WORK / f"spec-{tasks}", Shape(files=tasks, tasks=tasks, dvc=False, commits=1))
    prod = yaml.safe_load((repo / "environments" / "prod.yaml").read_text())
    prod["params"] = {"p0": {"t00000": {"lr": 0.5}}}
    prod["overrides"] = {"pipelines": {"p0": {"tasks": PROD_OVERRIDES}}}
    (repo / "environments" / "prod.yaml").write_text(yaml.safe_dump(prod, sort_keys=False))
    subprocess.run([sys.executable, "-m", "dvc", "init", "-q"], cwd=repo, check=True)
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results: dict[int, dict[str, float]] = {}
    compile_package()
    for tasks in args.sizes:
        repo = prepare(tasks)
        results[tasks] = {name: best(cmd, repo, args.repeat) for name, cmd in COMMANDS.items()}
    print(f"{'tasks':>7}  " + "  ".join(f"{name:>22}" for name in COMMANDS))
    for tasks, row in results.items():
        print(f"{tasks:>7}  " + "  ".join(f"{row[name]:>20.3f} s" for name in COMMANDS))
    base = results[min(results)]
    for tasks, row in results.items():
        for name in MO_COMMANDS:
            growth = row[name] / base[name]
            versus = row[name] / row["dvc stage list (peer)"]
            print(
                f"{name} at {tasks} tasks: {row[name]:.3f} s, {growth:.1f}x the "
                f"{min(results)}-task figure, {versus:.2f}x dvc stage list"
            )


if __name__ == "__main__":
    main()
