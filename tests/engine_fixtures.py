"""Shared by every engine's tests: one spec with every feature an engine must map, hostile
values to prove no output can be injected, and the graph each engine's output must parse
back to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from modelops_git.engines.graph import EngineGraph

__all__ = [
    "HOSTILE_STRINGS",
    "ParsedTask",
    "engine_spec",
    "expected_tasks",
    "write_engine_project",
]

HOSTILE_STRINGS = (
    'it\'s "quoted"',
    "$(touch /tmp/pwned)",
    "`touch /tmp/pwned`",
    "line one\nline two",
    "${{ github.event.issue.title }}",
    "${env.PWNED}",
    "'''; import os; os.system('touch /tmp/pwned'); '''",
    '"""); __import__("os").system("id"); ("',
    "{{ dag_run.conf }}",
    "\\'; rm -rf / #",
)


def engine_spec(hostile: str = HOSTILE_STRINGS[0]) -> dict[str, object]:
    """Fan-out and fan-in, retries, timeouts, a branch condition (decided at run time), an
    env condition (decided at plan time: `deploy` is left out outside prod), a secret and a
    plain env value, with `hostile` in every free-text field the schema allows."""
    return {
        "version": 1,
        "pipelines": {
            "train": {
                "description": f"engines test {hostile}",
                "tasks": {
                    "prepare": {
                        "cmd": f"echo {hostile!r} > data.txt",
                        "outs": ["data.txt"],
                        "description": hostile,
                        "env": {"GREETING": hostile},
                    },
                    "train-a": {
                        "cmd": "cp data.txt a.txt",
                        "deps": ["data.txt"],
                        "outs": ["a.txt"],
                        "retries": {"limit": 2, "backoff": 5},
                        "timeout": "30m",
                        "env": {"API_TOKEN": "secret:TRAIN_TOKEN"},
                    },
                    "train-b": {
                        "cmd": "cp data.txt b.txt",
                        "deps": ["data.txt"],
                        "outs": ["b.txt"],
                        "retries": 1,
                        "timeout": 600,
                    },
                    "evaluate": {
                        "cmd": "cat a.txt b.txt > eval.txt",
                        "deps": ["a.txt", "b.txt"],
                        "outs": ["eval.txt"],
                        "when": {"branches": ["main", "release/*"]},
                    },
                    "deploy": {
                        "cmd": "echo deploy",
                        "needs": ["evaluate"],
                        "when": {"envs": ["prod"]},
                    },
                    "report": {"cmd": "echo report", "needs": ["deploy"]},
                },
            }
        },
    }


def write_engine_project(root: Path, hostile: str = HOSTILE_STRINGS[0]) -> Path:
    """A repo with the engines spec and dev/prod environments (prod turns `deploy` on)."""
    (root / "modelops.yaml").write_text(
        yaml.safe_dump(engine_spec(hostile), sort_keys=False), encoding="utf-8"
    )
    environments = root / "environments"
    environments.mkdir(exist_ok=True)
    for env in ("dev", "prod"):
        (environments / f"{env}.yaml").write_text(f"description: {env}\n", encoding="utf-8")
    return root


@dataclass(frozen=True)
class ParsedTask:
    """What a test reads back from an engine's output, for one task."""

    needs: frozenset[str]
    retries: int
    timeout_seconds: float | None
    argv: tuple[str, ...]
    """The `mo run-task ...` command without the engine's `--run-id` and `--single-attempt`."""


def expected_tasks(graph: EngineGraph) -> dict[str, ParsedTask]:
    return {
        task.name: ParsedTask(frozenset(task.needs), task.retries, task.timeout_seconds, task.argv)
        for task in graph.tasks
    }
