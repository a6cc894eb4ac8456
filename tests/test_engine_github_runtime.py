"""What the generated workflow runs inside GitHub Actions: the affected job's decisions (on a
real git history), the run summary, and the composite action's scripts (run with bash)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelops_git.engines.github_actions import job_ids, render_workflow
from modelops_git.engines.github_api import github_workflow
from modelops_git.engines.github_runtime import affected_outputs, main, summary
from tests.conftest import git
from tests.engine_fixtures import HOSTILE_STRINGS, write_engine_project
from tests.github_checks import REPO, github_value, load

ALL = ["train_evaluate", "train_prepare", "train_report", "train_train-a", "train_train-b"]


def _commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def _step_env(root: Path) -> dict[str, str]:
    """The affected step's `env:` as GitHub passes it on (data values only)."""
    text, _ = github_workflow(root, "dev", None)
    step = load(text)["jobs"]["affected"]["steps"][-1]
    return {key: github_value(value) for key, value in step["env"].items() if "${{" not in value}


@pytest.fixture
def history(git_dir: Path) -> tuple[Path, str]:
    write_engine_project(git_dir)
    return git_dir, _commit(git_dir, "first")


def _outputs(root: Path, **github: str) -> dict[str, Any]:
    env = {**_step_env(root), **github}
    return {key: json.loads(value) for key, value in affected_outputs(env, root).items()}


def _change_train_b(root: Path) -> None:
    spec = yaml.safe_load((root / "modelops.yaml").read_text())
    spec["pipelines"]["train"]["tasks"]["train-b"]["cmd"] = "cp data.txt b.txt && true"
    (root / "modelops.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    _commit(root, "change train-b")


def test_a_changed_task_runs_with_what_depends_on_it(history: tuple[Path, str]) -> None:
    root, base = history
    # outs a fresh checkout has: data.txt in git, a.txt behind a DVC pointer
    (root / "data.txt").write_text("data\n")
    (root / "a.txt.dvc").write_text("outs:\n- md5: 0\n  path: a.txt\n")
    base = _commit(root, "outs in git and DVC")
    _change_train_b(root)
    found = _outputs(
        root,
        MO_BASE_SHA=base,
        GITHUB_EVENT_NAME="push",
        GITHUB_REF_TYPE="branch",
        GITHUB_REF_NAME="main",
    )
    assert found["tasks"] == ["train_evaluate", "train_report", "train_train-b"]
    assert found["on_branch"] == ["train_evaluate"]
    assert found["matrix"] == {"include": [{"pipeline": "train"}]}
    assert found["pins_changed"] is False


def test_upstream_tasks_run_when_a_fresh_checkout_lacks_their_outs(
    history: tuple[Path, str],
) -> None:
    root, base = history
    _change_train_b(root)
    found = _outputs(root, MO_BASE_SHA=base, GITHUB_EVENT_NAME="pull_request")
    # evaluate reads a.txt and b.txt, b.txt's task reads data.txt: none is in git or DVC
    assert found["tasks"] == ALL


def test_nothing_changed_runs_nothing(history: tuple[Path, str]) -> None:
    root, base = history
    found = _outputs(root, MO_BASE_SHA=base, GITHUB_EVENT_NAME="pull_request")
    assert found["tasks"] == []
    assert found["matrix"] == {"include": []}


@pytest.mark.parametrize(
    "github",
    [
        {"GITHUB_EVENT_NAME": "workflow_dispatch", "MO_BASE_SHA": ""},
        {"GITHUB_EVENT_NAME": "push", "MO_BASE_SHA": "0" * 40},
        {"GITHUB_EVENT_NAME": "push", "MO_BASE_SHA": "1234567" * 5 + "12345"},
    ],
    ids=["manual", "new-branch", "base-not-in-history"],
)
def test_without_a_base_to_compare_with_every_task_runs(
    history: tuple[Path, str], github: dict[str, str]
) -> None:
    root, _ = history
    assert _outputs(root, **github)["tasks"] == ALL


def test_the_pipeline_input_limits_a_manual_run(history: tuple[Path, str]) -> None:
    root, _ = history
    manual = {"GITHUB_EVENT_NAME": "workflow_dispatch"}
    assert _outputs(root, MO_PIPELINE_INPUT="train", **manual)["tasks"] == ALL
    assert _outputs(root, MO_PIPELINE_INPUT="other", **manual)["tasks"] == []


@pytest.mark.parametrize(
    ("event", "ref_type", "ref_name", "runs"),
    [
        ("push", "branch", "main", True),
        ("push", "branch", "release/1.0", True),
        ("push", "branch", "feature", False),
        ("push", "branch", "Main", False),  # case matters, as in `mo run`
        ("push", "tag", "main", False),
        ("pull_request", "branch", "main", False),  # a merge commit: no branch checked out
        ("workflow_dispatch", "branch", "release/x", True),
    ],
)
def test_branch_conditions_are_decided_as_the_local_runner_does(
    history: tuple[Path, str], event: str, ref_type: str, ref_name: str, runs: bool
) -> None:
    root, _ = history
    found = _outputs(
        root, GITHUB_EVENT_NAME=event, GITHUB_REF_TYPE=ref_type, GITHUB_REF_NAME=ref_name
    )
    assert found["on_branch"] == (["train_evaluate"] if runs else [])


def test_a_changed_model_pin_is_reported_for_mo_sync(history: tuple[Path, str]) -> None:
    root, base = history
    step_env = _step_env(root)

    def pins_changed(since: str) -> bool:
        env = {**step_env, "MO_BASE_SHA": since, "GITHUB_EVENT_NAME": "push"}
        return bool(json.loads(affected_outputs(env, root)["pins_changed"]))

    prod = root / "environments" / "prod.yaml"
    prod.write_text("description: prod, described again\n")
    described = _commit(root, "describe prod")
    assert not pins_changed(base)
    prod.write_text("description: prod\nmodels:\n  fraud: v1.0.0\n")
    _commit(root, "pin fraud in prod")
    assert pins_changed(base)
    assert pins_changed(described)


def test_main_writes_github_outputs_and_summary(
    history: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = history
    outputs, step_summary = tmp_path / "out", tmp_path / "summary"
    env = {
        **_step_env(root),
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(step_summary),
    }
    assert main(["affected"], env) == 0
    lines = outputs.read_text().splitlines()
    assert [line.split("=", 1)[0] for line in lines] == [
        "tasks",
        "on_branch",
        "matrix",
        "pins_changed",
    ]
    assert json.loads(lines[0].split("=", 1)[1]) == ALL
    assert "Task jobs to run: 5" in step_summary.read_text()
    assert main(["nonsense"], env) == 2
    (root / "modelops.yaml").write_text("pipelines: [unclosed\n")
    _commit(root, "break the spec")
    base = git(root, "rev-parse", "HEAD~1").strip()
    assert main(["affected"], {**env, "GITHUB_EVENT_NAME": "push", "MO_BASE_SHA": base}) == 1


def _results(**results: str) -> str:
    return json.dumps({job: {"result": result, "outputs": {}} for job, result in results.items()})


def test_summary_lists_every_task_and_fails_when_a_job_failed(history: tuple[Path, str]) -> None:
    root, _ = history
    jobs = {"MO_JOBS_1": _step_env(root)["MO_JOBS_1"]}
    results = {job: "success" for job in ALL} | {"train_evaluate": "skipped", "affected": "success"}
    text, ok = summary({**jobs, "MO_RESULTS": _results(**results)})
    assert ok
    assert "| train | evaluate | skipped |" in text
    assert "| train | train-a | success |" in text
    _, ok = summary({**jobs, "MO_RESULTS": _results(**{**results, "train_report": "failure"})})
    assert not ok


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS + ("| a | b |\n## heading\n<script>",))
def test_summary_shows_the_reason_as_text(history: tuple[Path, str], hostile: str) -> None:
    root, _ = history
    env = {"MO_JOBS_1": _step_env(root)["MO_JOBS_1"], "MO_TRIGGER_REASON": hostile}
    text, _ = summary(env)
    (line,) = [line for line in text.splitlines() if line.startswith("Reason: ")]
    for markup in ("<", ">", "|", "`", "[", "\n"):
        assert markup not in line
    assert text.count("| pipeline | task | result |") == 1


def test_runtime_runs_as_a_module_as_the_workflow_calls_it(
    history: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = history
    env = {
        **os.environ,
        **_step_env(root),
        "GITHUB_EVENT_NAME": "workflow_dispatch",
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "modelops_git.engines.github_runtime", "affected"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out").read_text().startswith(f"tasks={json.dumps(ALL)}\n")


def _action_step(name: str) -> dict[str, Any]:
    action = load((REPO / "action.yml").read_text())
    (step,) = [step for step in action["runs"]["steps"] if step.get("name") == name]
    return step


def _fake_program(folder: Path, name: str) -> None:
    """Records the arguments it gets, one JSON list per call, so the test sees the argv."""
    script = folder / name
    script.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "with open(os.environ['CALLS'], 'a') as f: f.write(json.dumps(sys.argv[1:]) + '\\n')\n"
    )
    script.chmod(0o755)


def _run_action_step(name: str, tmp_path: Path, **env: str) -> tuple[int, list[list[str]]]:
    step = _action_step(name)
    fakes = tmp_path / "bin"
    fakes.mkdir(exist_ok=True)
    for program in ("mo", "python"):
        _fake_program(fakes, program)
    calls = tmp_path / "calls"
    calls.write_text("")
    done = subprocess.run(
        ["bash", "-c", step["run"]],
        env={"PATH": f"{fakes}{os.pathsep}/usr/bin:/bin", "CALLS": str(calls), **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    return done.returncode, [json.loads(line) for line in calls.read_text().splitlines()]


def test_action_passes_each_line_of_args_to_mo_as_one_argument(tmp_path: Path) -> None:
    args = ["run-task", "train", "$(touch pwned)", "`touch pwned`", "a b; c", "*", "--x='y'"]
    code, calls = _run_action_step("Run mo", tmp_path, MO_ARGS="\n".join(args) + "\n")
    assert code == 0
    assert calls == [args]
    assert not (tmp_path / "pwned").exists()
    assert _action_step("Run mo")["env"] == {"MO_ARGS": "${{ inputs.args }}"}


def test_action_installs_its_own_checkout_or_a_checked_version(tmp_path: Path) -> None:
    code, calls = _run_action_step("Install mo", tmp_path, MO_VERSION="", MO_SOURCE="/src")
    assert code == 0
    assert calls[0][-1] == "/src" and calls[-1] == ["--version"]
    code, calls = _run_action_step("Install mo", tmp_path, MO_VERSION="0.4.0", MO_SOURCE="/src")
    assert code == 0 and calls[0][-1] == "modelops-git==0.4.0"
    code, calls = _run_action_step(
        "Install mo", tmp_path, MO_VERSION="1 @ https://evil.example/x.whl", MO_SOURCE="/src"
    )
    assert code != 0 and calls == []


def test_action_pins_setup_python_and_keeps_inputs_out_of_scripts() -> None:
    action = load((REPO / "action.yml").read_text())
    setup = action["runs"]["steps"][0]
    assert setup["uses"] == "actions/setup-python@0b93645e9fea7318ecaed2b359559ac225c90a2b"
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", "")


def test_job_ids_stay_unique_where_github_ignores_case() -> None:
    from modelops_git.engines.graph import EngineGraph, EngineTask

    def task(name: str) -> EngineTask:
        return EngineTask(name, (), ("mo",), 0, 0.0, (), None, ())

    graphs = [EngineGraph("p", None, (task("A.b"), task("a_b"), task("a-b"), task("9")))]
    ids = job_ids(graphs)
    assert ids == {
        ("p", "A.b"): "p_A-b",
        ("p", "a_b"): "p_a_b",
        ("p", "a-b"): "p_a-b-2",
        ("p", "9"): "p_9",
    }


def test_a_large_job_table_is_split_into_environment_strings_linux_accepts() -> None:
    from modelops_git.engines.github_runtime import job_table
    from modelops_git.engines.graph import EngineGraph, EngineTask

    tasks = tuple(
        EngineTask(f"task-{n:04d}-{'x' * 90}", (), ("mo",), 0, 0.0, (), None, ("main",))
        for n in range(700)
    )
    text = render_workflow([EngineGraph("p", None, tasks)])
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # fast: only strings are read
    env = yaml.load(text, Loader=loader)["jobs"]["affected"]["steps"][-1]["env"]
    chunks = [key for key in env if key.startswith("MO_JOBS_")]
    assert len(chunks) > 2
    assert all(len(env[key].encode()) < 128 * 1024 for key in chunks)
    table = job_table({key: github_value(env[key]) for key in chunks})
    assert [entry["task"] for entry in table.values()] == sorted(task.name for task in tasks)
