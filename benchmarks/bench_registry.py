"""`mo show`, `mo register` and `mo assign` beside GTO on a registry of 1,500 tags.

    python benchmarks/bench_registry.py [--models 100]

Budgets (issue: registry and promotions): with 1,500 registry tags (100 models, versions and
assignments) `mo show` at least 50x faster than `gto show` and agreeing with it; `mo register`
and an assignment at least 50x faster than `gto assign`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import run
from timing import MO, bench_env, best, compile_package, timed

WORK = Path(__file__).resolve().parent / ".work"
GTO = str(Path(sys.executable).parent / "gto")
_CLOCK = 1_700_000_000


def build(models: int) -> Path:
    """Per model: 3 versions on 3 commits, 12 assignments across dev/staging/prod."""
    repo = WORK / "registry"
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    run(repo, "git", "init", "-q")
    spec = {
        "models": {f"m{i:03d}": {"path": f"models/m{i:03d}.bin"} for i in range(models)},
        "pipelines": {"p": {"tasks": {"noop": {"cmd": "true"}}}},
    }
    (repo / "modelops.yaml").write_text(yaml.safe_dump(spec))
    for env in ("dev", "staging", "prod", "qa"):
        (repo / "environments").mkdir(exist_ok=True)
        (repo / "environments" / f"{env}.yaml").write_text("{}\n")
    for round_ in range(1, 4):
        for i in range(models):
            (repo / "models").mkdir(exist_ok=True)
            (repo / "models" / f"m{i:03d}.bin.dvc").write_text(
                yaml.safe_dump(
                    {"outs": [{"md5": f"{i:03d}{round_:029d}", "size": 1, "path": f"m{i:03d}.bin"}]}
                )
            )
        run(repo, "git", "add", "-A")
        run(repo, "git", "commit", "-qm", f"round {round_}")
        _tag(repo, [(f"m{i:03d}@v0.{round_}.0", "HEAD") for i in range(models)])
    assignments, number = [], dict.fromkeys(range(models), 0)
    for round_ in range(1, 4):
        for i in range(models):
            for env in ("dev", "staging", "prod", "dev"):
                number[i] += 1
                assignments.append((f"m{i:03d}#{env}#{number[i]}", f"m{i:03d}@v0.{round_}.0"))
    _tag(repo, assignments)
    return repo


def _json_of(command: list[str], repo: Path) -> dict[str, Any]:
    result = subprocess.run(
        command, cwd=repo, capture_output=True, text=True, check=True, env=bench_env()
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def _held(stages: dict[str, str | None]) -> dict[str, str]:
    """GTO lists every stage the repository knows (None where empty); mo lists the model's."""
    return {stage: version for stage, version in stages.items() if version}


def _tag(repo: Path, tags: list[tuple[str, str]]) -> None:
    """One second apart: GTO orders assignments by tag time, so same-second tags would make
    it disagree with the counters (mo reads the counters; see tests/test_registry.py)."""
    global _CLOCK
    lines = []
    for name, target in tags:
        _CLOCK += 1
        lines.append(
            f"GIT_COMMITTER_DATE='@{_CLOCK} +0000' git tag -a -m 'Registering or "
            f"assigning' '{name}' '{target}^{{commit}}'\n"
        )
    script = "".join(lines)
    subprocess.run(["sh"], input=script, text=True, cwd=repo, check=True, env=bench_env())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=100)
    args = parser.parse_args()
    compile_package()
    repo = build(args.models)
    tags = len(
        subprocess.run(
            ["git", "tag"], cwd=repo, capture_output=True, text=True, check=True
        ).stdout.split()
    )
    mo_show = best([MO, "show", "--json"], repo)
    gto_show = best([GTO, "show", "--json"], repo, repeat=1)
    ours, theirs = _json_of([MO, "show", "--json"], repo), _json_of([GTO, "show", "--json"], repo)
    agree = all(
        theirs[name]["version"] == ours[name]["latest"]
        and _held(theirs[name]["stage"]) == _held(ours[name]["environments"])
        for name in theirs
    )
    (repo / "models" / "m000.bin.dvc").write_text(
        yaml.safe_dump({"outs": [{"md5": "f" * 32, "size": 1, "path": "m000.bin"}]})
    )
    run(repo, "git", "commit", "-qam", "new m000")
    mo_register = timed([MO, "register", "m000"], repo)
    mo_assign = timed([MO, "assign", "m000", "--version", "v0.1.0", "--env", "qa"], repo)
    gto_assign = timed([GTO, "assign", "m001", "--version", "v0.1.0", "--stage", "qa"], repo)
    print(f"registry: {tags} tags, {args.models} models")
    print(
        f"show:   mo {mo_show:.3f} s   gto {gto_show:.3f} s   gto/mo = {gto_show / mo_show:.1f}x "
        f"(budget >= 50x); outputs agree: {agree} ({len(theirs)} models compared)"
    )
    print(
        f"register: mo {mo_register:.3f} s   assign: mo {mo_assign:.3f} s   gto assign "
        f"{gto_assign:.3f} s   gto/mo = {gto_assign / mo_register:.1f}x and "
        f"{gto_assign / mo_assign:.1f}x (budget >= 50x)"
    )


if __name__ == "__main__":
    main()
