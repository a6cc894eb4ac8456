"""The `mo` command line on real git repos: init, validate, render, envs, graph, exit codes."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
import typer.main
import yaml

from modelops_git import __version__, api, cli
from tests.conftest import Result, git, mo_subprocess
from tests.golden import assert_golden

Mo = Callable[..., Result]


@pytest.fixture
def project(git_dir: Path, mo: Mo) -> Path:
    result = mo("init", "--no-dvc")
    assert result.code == 0, result.err
    return git_dir


def test_init_then_validate_in_an_empty_repo_with_real_dvc(git_dir: Path, mo: Mo) -> None:
    result = mo("init", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["dvc_initialized"] is True
    assert (git_dir / ".dvc" / "config").is_file()
    assert "md5:" in (git_dir / "data" / "raw.csv.dvc").read_text()
    assert "/raw.csv" in (git_dir / "data" / ".gitignore").read_text()
    assert "/.modelops/runs/" in (git_dir / ".gitignore").read_text()
    first_line = (git_dir / "modelops.yaml").read_text().splitlines()[0]
    assert first_line == "# yaml-language-server: $schema=.modelops/schemas/modelops.schema.json"
    assert (git_dir / ".modelops/schemas/modelops.schema.json").is_file()
    for env in ("dev", "staging", "prod"):
        text = (git_dir / "environments" / f"{env}.yaml").read_text()
        assert text.startswith("# yaml-language-server: $schema=../.modelops/schemas/")
    validated = mo("validate")
    assert validated.code == 0, validated.err
    assert "1 pipelines, 3 tasks, 3 environments" in validated.out


def test_init_example_pipeline_runs(project: Path) -> None:
    for script in ("prepare", "train", "evaluate"):
        subprocess.run(["python", f"src/{script}.py"], cwd=project, check=True, capture_output=True)
    metrics = json.loads((project / "metrics" / "eval.json").read_text())
    assert metrics["accuracy"] >= 0.8


def test_init_refuses_to_overwrite_then_force(project: Path, mo: Mo) -> None:
    (project / "modelops.yaml").write_text("# mine\n")
    refused = mo("init", "--no-dvc")
    assert refused.code == 1
    assert "would overwrite" in refused.err and "--force" in refused.err
    assert (project / "modelops.yaml").read_text() == "# mine\n"
    assert mo("init", "--no-dvc", "--force").code == 0
    assert (project / "modelops.yaml").read_text() != "# mine\n"


def test_init_keeps_gitignore_and_adds_once(git_dir: Path, mo: Mo) -> None:
    (git_dir / ".gitignore").write_text("*.log")
    mo("init", "--no-dvc")
    mo("init", "--no-dvc", "--force")
    text = (git_dir / ".gitignore").read_text()
    assert text.startswith("*.log\n") and text.count("/.modelops/runs/") == 1


def test_init_outside_git_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mo: Mo
) -> None:
    monkeypatch.chdir(tmp_path)
    result = mo("init")
    assert result.code == 1
    assert "not inside a git repository" in result.err and "git init" in result.err


def test_validate_from_a_subdirectory(
    project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "src")
    assert mo("validate").code == 0


def test_validate_json_success_and_failure(project: Path, mo: Mo) -> None:
    ok = json.loads(mo("validate", "--json").out)
    assert ok["ok"] is True and ok["pipelines"] == {"train": 3}
    assert ok["environments"] == ["dev", "prod", "staging"]
    spec = project / "modelops.yaml"
    spec.write_text(
        spec.read_text()
        .replace("needs", "need")
        .replace("deps: [src/train.py", "needs: [prepair]\n        deps: [src/train.py")
    )
    failed = mo("validate", "--json")
    assert failed.code == 1
    report = json.loads(failed.out)
    assert report["ok"] is False
    problem = report["problems"][0]
    assert set(problem) == {"file", "line", "col", "path", "message", "hint"}
    assert problem["message"] == "unknown task 'prepair'" and problem["hint"] == (
        "did you mean 'prepare'?"
    )


def test_missing_spec_says_to_run_init(git_dir: Path, mo: Mo) -> None:
    result = mo("validate")
    assert result.code == 1 and "no modelops.yaml" in result.err and "mo init" in result.err


def test_render_prod_applies_overrides_and_is_deterministic(project: Path, mo: Mo) -> None:
    first = mo("render", "--env", "prod")
    assert first.code == 0, first.err
    assert first.out == mo("render", "--env", "prod").out
    rendered = yaml.safe_load(first.out)
    train = rendered["pipelines"]["train"]["tasks"]["train"]
    assert train["retries"]["limit"] == 3 and train["timeout_seconds"] == 7200
    assert train["params"] == {"train.shrinkage": 0.1}
    assert train["resources"] == {"cpu": 2, "memory": "4Gi"}
    dev = yaml.safe_load(mo("render", "--env", "dev").out)["pipelines"]["train"]["tasks"]["train"]
    assert dev["retries"]["limit"] == 2 and dev["params"] == {"train.shrinkage": 0.0}
    assert_golden("render_prod.yaml", first.out)


def test_render_json_and_one_pipeline(project: Path, mo: Mo) -> None:
    data = json.loads(mo("render", "train", "--env", "staging", "--format", "json").out)
    assert data["environment"] == "staging" and list(data["pipelines"]) == ["train"]
    description = "Example measurements generated by `mo init`; replace them with your data."
    assert data["datasets"] == {"raw": {"path": "data/raw.csv", "description": description}}


def test_render_unknown_env_and_pipeline(project: Path, mo: Mo) -> None:
    env = mo("render", "--env", "qa")
    assert (
        env.code == 1
        and "unknown environment 'qa'" in env.err
        and "environments/qa.yaml" in (env.err)
    )
    pipeline = mo("graph", "nope")
    assert pipeline.code == 1 and "unknown pipeline 'nope'" in pipeline.err


@pytest.mark.parametrize("fmt", ["text", "mermaid", "dot"])
def test_graph_formats(project: Path, mo: Mo, fmt: str) -> None:
    result = mo("graph", "train", "--format", fmt)
    assert result.code == 0, result.err
    assert_golden(f"graph_train.{fmt}", result.out)


def test_envs_lists_policies(project: Path, mo: Mo) -> None:
    listed = json.loads(mo("envs", "--json").out)
    prod = next(env for env in listed if env["name"] == "prod")
    assert prod["promotes_from"] == "staging" and prod["approvals"] == 1
    assert prod["gates"] == ["min-accuracy", "no-regression"]
    table = mo("envs").out
    assert table.splitlines()[0].split() == ["ENV", "PLATFORM", "FROM", "APPROVALS", "AUTO", "PINS"]


def test_version(mo: Mo) -> None:
    result = mo("--version")
    assert result.code == 0 and result.out == f"mo {__version__}\n"


def test_usage_errors_exit_2(project: Path, mo: Mo) -> None:
    assert mo("graph").code == 2
    assert mo("render", "--format", "toml").code == 2
    assert mo("no-such-command").code == 2


def test_internal_error_writes_a_log(
    project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    def broken(cwd: Path) -> dict[str, object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "validate", broken)
    result = mo("validate")
    assert result.code == 3
    assert "internal error" in result.err and "Traceback" not in result.err
    logs = list((isolated_env / ".local" / "state" / "modelops-git").glob("crash-*.log"))
    assert len(logs) == 1
    body = logs[0].read_text()
    assert "RuntimeError: boom" in body and f"mo {__version__}" in body
    shown = mo("--traceback", "validate")
    assert shown.code == 3 and "RuntimeError: boom" in shown.err


def test_interrupt_exits_130(project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(cwd: Path) -> dict[str, object]:
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "validate", interrupted)
    assert mo("validate").code == 130


def test_every_command_and_option_has_help() -> None:
    root = typer.main.get_command(cli.app)
    assert root.help
    commands = getattr(root, "commands", {})
    assert {"init", "validate", "render", "envs", "graph", "run", "data"} <= set(commands)
    pending = list(commands.items())
    while pending:
        name, command = pending.pop()
        assert command.help, f"mo {name} has no help"
        for param in command.params:
            assert getattr(param, "help", None), f"mo {name} {param.name} has no help"
        pending += [(f"{name} {sub}", c) for sub, c in getattr(command, "commands", {}).items()]


def test_help_of_every_subcommand(mo: Mo) -> None:
    assert mo("--help").code == 0
    for name in ("init", "validate", "render", "envs", "graph"):
        result = mo(name, "--help")
        assert result.code == 0 and "Usage: mo " + name in result.out


def test_installed_console_script_exit_codes(project: Path) -> None:
    assert mo_subprocess(project, "validate").returncode == 0
    (project / "modelops.yaml").write_text("pipelines: [\n")
    failed = mo_subprocess(project, "validate")
    assert failed.returncode == 1 and failed.stderr.startswith("modelops.yaml:")
    assert mo_subprocess(project, "--bogus").returncode == 2


def test_scaffold_is_committable(project: Path) -> None:
    git(project, "add", "-A")
    git(project, "commit", "-qm", "scaffold")
    assert git(project, "status", "--porcelain") == ""
