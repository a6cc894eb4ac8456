"""`mo ci github`: the workflow is parsed back and compared with the engine graph, passes
GitHub's schema, zizmor and actionlint, and no spec value can reach a script or expression."""

from __future__ import annotations

import json
import math
import re
import shlex
import string
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelops_git.engines.github_actions import (
    WorkflowSettings,
    job_ids,
    render_workflow,
)
from modelops_git.engines.github_api import github_workflow
from modelops_git.engines.graph import EngineGraph, EngineTask, engine_graph, run_task_argv
from modelops_git.spec.project import load_project
from tests.conftest import git
from tests.engine_fixtures import (
    HOSTILE_STRINGS,
    ParsedTask,
    expected_tasks,
    write_engine_project,
)
from tests.github_checks import (
    REPO,
    actionlint,
    check_jsonschema,
    github_value,
    load,
    zizmor,
)
from tests.golden import assert_golden

RUN_ID_EXPRESSION = "${{ github.run_id }}-${{ github.run_attempt }}"
HELPER_JOBS = {"affected", "sync", "summary"}
SHA_PIN = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40} # \S+")


def _project_workflow(root: Path, env: str) -> tuple[str, list[EngineGraph]]:
    write_engine_project(root)
    return github_workflow(root, env, None)


def _task_jobs(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {job: spec for job, spec in workflow["jobs"].items() if job not in HELPER_JOBS}


def _run_step(job: dict[str, Any]) -> dict[str, Any]:
    (step,) = [step for step in job["steps"] if "mo run-task" in step.get("run", "")]
    return step


def _argv(job: dict[str, Any]) -> list[str]:
    """The command the job runs, with the step's environment substituted as bash would."""
    step = _run_step(job)
    env = step["env"]
    words = shlex.split(step["run"])
    return [re.sub(r"\$(\w+)", lambda m: env[m.group(1)], word) for word in words]


def _parsed_back(workflow: dict[str, Any], graph: EngineGraph) -> dict[str, ParsedTask]:
    """Each task job as the graph's terms: needs from `needs:`, argv from the run step, and
    retries/timeout as the spec gives them to mo (the job itself only carries the total)."""
    task_of = {
        job: _run_step(spec)["env"]["MO_CI_TASK"] for job, spec in _task_jobs(workflow).items()
    }
    by_name = {task.name: task for task in graph.tasks}
    parsed = {}
    for job, spec in _task_jobs(workflow).items():
        argv = _argv(spec)
        assert argv[-2:] == ["--run-id", RUN_ID_EXPRESSION]
        name = task_of[job]
        parsed[name] = ParsedTask(
            needs=frozenset(task_of[need] for need in spec["needs"] if need != "affected"),
            retries=by_name[name].retries,
            timeout_seconds=by_name[name].timeout_seconds,
            argv=tuple(argv[:-2]),
        )
    return parsed


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_workflow_parses_back_to_the_engine_graph(git_dir: Path, env: str) -> None:
    text, graphs = _project_workflow(git_dir, env)
    (graph,) = graphs
    workflow = load(text)
    assert _parsed_back(workflow, graph) == expected_tasks(graph)
    names = [_run_step(job)["env"]["MO_CI_TASK"] for job in _task_jobs(workflow).values()]
    assert names == [task.name for task in graph.tasks]
    assert ("deploy" in names) == (env == "prod")


def test_workflow_matches_the_golden_file(git_dir: Path) -> None:
    text, _ = _project_workflow(git_dir, "dev")
    assert_golden("engines/github/modelops.yml", text)


def test_mo_makes_the_attempts_and_each_job_has_time_for_all_of_them(git_dir: Path) -> None:
    text, (graph,) = _project_workflow(git_dir, "dev")
    jobs = load(text)["jobs"]
    ids = job_ids([graph])
    for task in graph.tasks:
        job = jobs[ids[graph.pipeline, task.name]]
        assert "--single-attempt" not in _argv(job)
        minutes = job["timeout-minutes"]
        if task.timeout_seconds is None:
            assert minutes == 360
            continue
        backoff = sum(task.backoff_seconds * 2**n for n in range(task.retries))
        needed = task.timeout_seconds * (task.retries + 1) + backoff
        assert needed / 60 < minutes <= math.ceil(needed / 60) + 10
    assert jobs[ids["train", "train-a"]]["timeout-minutes"] == 101  # 3 x 30m + 15s backoff
    assert all(isinstance(job["timeout-minutes"], int) for job in jobs.values())


def test_task_jobs_run_when_affected_even_after_skipped_upstream_jobs(git_dir: Path) -> None:
    text, (graph,) = _project_workflow(git_dir, "dev")
    jobs = load(text)["jobs"]
    ids = job_ids([graph])
    for task in graph.tasks:
        job_id = ids[graph.pipeline, task.name]
        condition = jobs[job_id]["if"]
        assert condition.startswith("${{ !failure() && !cancelled() && ")
        assert f"contains(fromJSON(needs.affected.outputs.tasks), '{job_id}')" in condition
        on_branch = f"contains(fromJSON(needs.affected.outputs.on_branch), '{job_id}')"
        assert (on_branch in condition) == bool(task.branches)
    affected = jobs["affected"]
    assert set(affected["outputs"]) == {"tasks", "on_branch", "matrix", "pins_changed"}
    assert set(jobs["summary"]["needs"]) == set(jobs) - {"summary", "sync"}
    assert jobs["summary"]["if"] == "${{ always() }}"


def test_secrets_come_from_github_secrets_and_plain_values_are_data(git_dir: Path) -> None:
    text, (graph,) = _project_workflow(git_dir, "dev")
    jobs = load(text)["jobs"]
    ids = job_ids([graph])
    train_a = jobs[ids["train", "train-a"]]["env"]
    # the task's variable, and the name mo run-task reads the secret from
    assert train_a == {
        "API_TOKEN": "${{ secrets.TRAIN_TOKEN }}",
        "TRAIN_TOKEN": "${{ secrets.TRAIN_TOKEN }}",
    }
    assert jobs[ids["train", "prepare"]]["env"] == {"GREETING": HOSTILE_STRINGS[0]}


def test_artifacts_carry_outs_to_the_jobs_that_need_them(git_dir: Path) -> None:
    text, (graph,) = _project_workflow(git_dir, "dev")
    jobs = load(text)["jobs"]
    ids = job_ids([graph])
    uploads = {}
    for job in _task_jobs(load(text)).values():
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/upload-artifact@"):
                uploads[step["with"]["name"]] = step["with"]["path"].split()
    assert uploads["mo-outs-train_prepare"] == ["modelops.yaml", "data.txt"]
    evaluate = jobs[ids["train", "evaluate"]]["steps"]
    downloads = [s["with"]["pattern"] for s in evaluate if "download-artifact" in s.get("uses", "")]
    assert downloads == ["mo-outs-train_train-a", "mo-outs-train_train-b"]
    assert all(name in uploads for name in downloads)


def test_security_settings(git_dir: Path) -> None:
    text, _ = _project_workflow(git_dir, "dev")
    workflow = load(text)
    assert workflow["permissions"] == {"contents": "read"}
    assert "pull_request_target" not in workflow["on"]
    assert set(workflow["on"]) == {"pull_request", "push", "workflow_dispatch"}
    assert workflow["concurrency"]["group"] == "modelops-${{ github.ref }}"
    for job_id, job in workflow["jobs"].items():
        assert isinstance(job["timeout-minutes"], int)
        assert job.get("permissions", {"contents": "read"}) in (
            {"contents": "read"},
            {"contents": "write"} if job_id == "sync" else {"contents": "read"},
        )
        for step in job["steps"]:
            assert "${{" not in step.get("run", "")
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"] == {"fetch-depth": 0, "persist-credentials": False}
    for line in text.splitlines():
        if line.strip().startswith(("uses:", "- uses:")) and "uses: ./" not in line:
            assert SHA_PIN.match(line.split("uses: ", 1)[1]), line


def test_sync_runs_on_pushes_to_the_default_branch_when_a_pin_changed(
    git_dir: Path,
) -> None:
    text, _ = _project_workflow(git_dir, "dev")
    sync = load(text)["jobs"]["sync"]
    assert "github.event_name == 'push'" in sync["if"]
    assert "github.ref_name == github.event.repository.default_branch" in sync["if"]
    assert "needs.affected.outputs.pins_changed == 'true'" in sync["if"]
    step = sync["steps"][-1]
    assert step["run"].endswith("mo sync --push origin\n")
    assert step["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"
    assert "${{" not in step["run"]


def test_generated_workflow_passes_schema_zizmor_and_actionlint(git_dir: Path) -> None:
    write_engine_project(git_dir)
    text, _ = github_workflow(git_dir, "prod", None)
    path = git_dir / ".github" / "workflows" / "modelops.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    check_jsonschema("vendor.github-workflows", path)
    zizmor(path)
    actionlint(path)


def test_remote_action_reference_is_pinned_and_passes_the_checks(git_dir: Path) -> None:
    write_engine_project(git_dir)
    reference = "example/modelops-git@" + "a" * 40
    text, _ = github_workflow(git_dir, "dev", None, action=reference)
    assert f"uses: {reference} # modelops-git composite action" in text
    assert "uses: ./" not in text
    path = git_dir / ".github" / "workflows" / "modelops.yml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    check_jsonschema("vendor.github-workflows", path)
    zizmor(path)
    actionlint(path)


def test_project_action_and_ci_workflow_pass_the_checks() -> None:
    check_jsonschema("vendor.github-actions", REPO / "action.yml")
    zizmor(REPO / "action.yml")
    ci = REPO / ".github" / "workflows" / "ci.yml"
    check_jsonschema("vendor.github-workflows", ci)
    zizmor(ci)
    actionlint(ci)


def test_cli_writes_the_workflow(git_dir: Path, mo: Any) -> None:
    write_engine_project(git_dir)
    result = mo("ci", "github", "--env", "dev", "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    path = git_dir / ".github" / "workflows" / "modelops.yml"
    assert data == {
        "path": str(path),
        "env": "dev",
        "pipelines": ["train"],
        "task_jobs": 5,
    }
    assert path.read_text() == github_workflow(git_dir, "dev", None)[0]
    assert mo("ci", "github", "-e", "dev", "--pipeline", "train", "-o", "ci.yml").code == 0
    assert (git_dir / "ci.yml").read_text() == path.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--pipeline", "nope"), "unknown pipeline 'nope'"),
        (("--env", "staging"), "staging"),
        (("--action", "owner/repo@v1"), "not a pinned action reference"),
    ],
)
def test_cli_refuses_what_it_cannot_write(
    git_dir: Path, mo: Any, args: tuple[str, ...], message: str
) -> None:
    write_engine_project(git_dir)
    result = mo("ci", "github", *args)
    assert result.code == 1
    assert message in result.err
    assert not (git_dir / ".github").exists()


def _graph(task: EngineTask) -> EngineGraph:
    return EngineGraph("train", "dev", (task,))


def _task(**changes: Any) -> EngineTask:
    base = EngineTask(
        name="fit",
        needs=(),
        argv=run_task_argv("train", "fit", "dev"),
        retries=0,
        backoff_seconds=0.0,
        retry_on=(),
        timeout_seconds=None,
        branches=(),
    )
    return replace(base, **changes)


@pytest.mark.parametrize("secret", ["BAD-NAME", "1ST", "A B", "${{ github.token }}", ""])
def test_secret_names_are_checked(secret: str) -> None:
    from modelops_git.errors import ModelOpsError

    with pytest.raises(ModelOpsError, match="not a GitHub secret name"):
        render_workflow([_graph(_task(secrets={"TOKEN": secret}))])


@pytest.mark.parametrize("out", ["two\nlines", "two\u2028lines", "!negated", " padded"])
def test_outs_upload_artifact_would_misread_are_refused(out: str) -> None:
    from modelops_git.errors import ModelOpsError

    outs = {"train": {"fit": (out,)}}
    with pytest.raises(ModelOpsError, match="cannot be passed between GitHub Actions jobs"):
        render_workflow([_graph(_task())], WorkflowSettings(outs=outs))


def _executable_fields(workflow: dict[str, Any]) -> list[str]:
    """Everything GitHub evaluates or a shell runs: `run`, `if`, `uses`, `shell`, names."""
    found = []
    for job_id, job in workflow["jobs"].items():
        found += [job_id, str(job.get("if", "")), *job.get("needs", [])]
        for step in job["steps"]:
            found += [str(step.get(key, "")) for key in ("run", "if", "uses", "shell")]
    return found


HOSTILE = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.lists(
        st.sampled_from([*string.printable, "${{", "}}", "${{ '", "' }}", "$(", "\u2028", "é"]),
        min_size=1,
        max_size=30,
    ).map("".join),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=HOSTILE)
def test_hostile_values_arrive_as_data_and_never_as_code(value: str) -> None:
    task = _task(
        plain_env={"GREETING": value},
        description=value,
        branches=(value,),
        secrets={"API_TOKEN": "TRAIN_TOKEN"},
    )
    graph = EngineGraph("train", "dev", (task,), description=value)
    safe_out = "outs/" + " ".join(value.split())  # what upload-artifact can read back
    outs = {"train": {"fit": (safe_out,)}}
    text = render_workflow([graph], WorkflowSettings(outs=outs))
    workflow = load(text)
    benign = load(
        render_workflow(
            [EngineGraph("train", "dev", (_task(branches=("b",), secrets=task.secrets),))],
            WorkflowSettings(outs={"train": {"fit": ("x",)}}),
        )
    )
    # scripts, conditions and actions are the same whatever the spec says
    assert _executable_fields(workflow) == _executable_fields(benign)
    job = workflow["jobs"]["train_fit"]
    assert github_value(job["env"]["GREETING"]) == value
    jobs_table = workflow["jobs"]["affected"]["steps"][-1]["env"]["MO_JOBS_1"]
    assert json.loads(github_value(jobs_table)) == {
        "train_fit": {
            "pipeline": "train",
            "task": "fit",
            "branches": [value],
            "needs": [],
            "outs": [safe_out],
        }
    }
    upload = next(s for s in job["steps"] if "upload-artifact" in s.get("uses", ""))
    assert github_value(upload["with"]["path"]).split("\n") == ["modelops.yaml", safe_out, ""]


def test_engines_spec_with_every_hostile_string_renders_safely(tmp_path: Path) -> None:
    for index, hostile in enumerate(HOSTILE_STRINGS):
        root = tmp_path / str(index)
        root.mkdir()
        git(root, "init", "-q")
        graph = engine_graph(load_project(write_engine_project(root, hostile)), "train", "dev")
        workflow = load(render_workflow([graph]))
        prepare = workflow["jobs"]["train_prepare"]
        assert github_value(prepare["env"]["GREETING"]) == hostile
        assert all(hostile not in field for field in _executable_fields(workflow))


def test_dvc_remote_makes_task_jobs_pull_first(git_dir: Path) -> None:
    write_engine_project(git_dir)
    text, _ = github_workflow(git_dir, "dev", None)
    assert "dvc pull" not in text
    (git_dir / ".dvc").mkdir()
    (git_dir / ".dvc" / "config").write_text(
        "[core]\n    remote = storage\n['remote \"storage\"']\n    url = /tmp/storage\n"
    )
    workflow = load(github_workflow(git_dir, "dev", None)[0])
    for job in _task_jobs(workflow).values():
        runs = [step.get("run", "") for step in job["steps"]]
        assert runs.index("dvc pull") < next(i for i, r in enumerate(runs) if "run-task" in r)


def test_every_pipeline_gets_its_jobs_and_a_manual_run_can_pick_one() -> None:
    graphs = [
        EngineGraph("train", None, (_task(),)),
        EngineGraph("score", None, (replace(_task(), argv=run_task_argv("score", "fit", None)),)),
    ]
    workflow = load(render_workflow(graphs))
    assert set(_task_jobs(workflow)) == {"score_fit", "train_fit"}
    assert _argv(workflow["jobs"]["score_fit"])[:4] == ["mo", "run-task", "score", "fit"]
    assert "--env" not in _argv(workflow["jobs"]["score_fit"])
    pipeline = workflow["on"]["workflow_dispatch"]["inputs"]["pipeline"]
    assert pipeline["options"] == ["all", "score", "train"]
    assert workflow["jobs"]["summary"]["needs"] == ["affected", "score_fit", "train_fit"]


def test_the_checkers_reject_an_unsafe_workflow(tmp_path: Path) -> None:
    """The three checks above can fail: a workflow with the mistakes they exist to catch."""
    path = tmp_path / ".github" / "workflows" / "bad.yml"
    path.parent.mkdir(parents=True)
    path.write_text(
        "on: issues\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.issue.title }} ${{ github.evnt }}\n"
    )
    for check in (zizmor, actionlint):
        with pytest.raises(AssertionError):
            check(path)
    path.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    with pytest.raises(AssertionError):
        check_jsonschema("vendor.github-workflows", path)
