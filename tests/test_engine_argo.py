"""`mo export argo`: the manifest runs the graph's tasks (parsed back), is valid for Argo's
schema and hera's models, and no spec value reaches Argo's or the kubelet's templating."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hera.workflows import Workflow, WorkflowTemplate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelops_git.engines.argo import ARGO_VERSION, argo_manifest, render_argo
from modelops_git.engines.argo_names import object_name, secret_name, task_ids
from modelops_git.engines.argo_text import LBRACE_VARIABLE, branch_condition, glob_regex
from modelops_git.engines.graph import EngineGraph, EngineTask, engine_graph, run_task_argv
from modelops_git.errors import ModelOpsError
from modelops_git.spec.project import load_project
from tests.argo_reader import argo_tags, kubelet_env, parse_tasks, re2_to_python
from tests.engine_fixtures import HOSTILE_STRINGS, expected_tasks, write_engine_project
from tests.golden import assert_golden

SCHEMA_DIR = Path(__file__).parent / "schemas" / "argo"
ENGINE_TAGS = {"workflow.parameters.image", "workflow.parameters.env", "workflow.name"}
ARGO_NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]{0,127}$")


def _graph(root: Path, env: str, hostile: str = HOSTILE_STRINGS[0]) -> EngineGraph:
    return engine_graph(load_project(write_engine_project(root, hostile)), "train", env)


def _task(name: str = "t", **fields: Any) -> EngineTask:
    values: dict[str, Any] = {
        "needs": (),
        "argv": run_task_argv("p", name, "dev"),
        "retries": 0,
        "backoff_seconds": 0.0,
        "retry_on": (),
        "timeout_seconds": None,
        "branches": (),
    }
    values.update(fields)
    return EngineTask(name=name, **values)


def _by_template(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {template["name"]: template for template in manifest["spec"]["templates"]}


@pytest.mark.parametrize(
    ("env", "kind", "golden"),
    [
        ("dev", "Workflow", "engines/argo/train_dev_workflow.yaml"),
        ("prod", "WorkflowTemplate", "engines/argo/train_prod_workflowtemplate.yaml"),
    ],
)
def test_golden_manifest(git_dir: Path, env: str, kind: str, golden: str) -> None:
    assert_golden(golden, render_argo(_graph(git_dir, env), kind))


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_parsed_back_tasks_are_the_graphs(git_dir: Path, env: str) -> None:
    graph = _graph(git_dir, env)
    manifest = yaml.safe_load(render_argo(graph))
    assert parse_tasks(manifest) == expected_tasks(graph)


def test_argo_does_retries_timeouts_branches_and_secrets(git_dir: Path) -> None:
    manifest = yaml.safe_load(render_argo(_graph(git_dir, "dev")))
    templates = _by_template(manifest)
    assert templates["task-train-a"]["retryStrategy"] == {
        "backoff": {"duration": "5s", "factor": 2},
        "limit": 2,
        "retryPolicy": "Always",
    }
    assert "retryStrategy" not in templates["task-prepare"]
    assert templates["task-train-b"]["activeDeadlineSeconds"] == 600
    env = templates["task-train-a"]["container"]["env"]
    assert env == [
        {
            "name": "API_TOKEN",
            "valueFrom": {"secretKeyRef": {"key": "TRAIN_TOKEN", "name": "modelops-dev"}},
        }
    ]
    dag = {task["name"]: task for task in templates["dag"]["dag"]["tasks"]}
    assert dag["evaluate"]["when"] == (
        "{{=workflow.parameters.branch matches '^(main|release/.*)$'}}"
    )
    assert "when" not in dag["train-a"]
    parameters = {p["name"]: p for p in manifest["spec"]["arguments"]["parameters"]}
    assert parameters["branch"]["value"] == ""
    assert parameters["env"]["enum"] == ["dev"]
    assert parameters["image"]["value"].startswith("ghcr.io/modelops-git/mo:")


def test_no_secret_value_or_name_mapping_is_pasted(git_dir: Path) -> None:
    text = render_argo(_graph(git_dir, "dev"))
    assert "secret:" not in text
    assert text.count("TRAIN_TOKEN") == 1  # the key of the Secret, nothing else


def _validator(kind: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMA_DIR / "argo-workflow.schema.json").read_text(encoding="utf-8"))
    root = {"$ref": f"#/$defs/{kind}", "$defs": schema["$defs"]}
    return jsonschema.Draft202012Validator(root)


@pytest.mark.parametrize("kind", ["Workflow", "WorkflowTemplate"])
@pytest.mark.parametrize("env", ["dev", "prod"])
def test_valid_for_argos_json_schema(git_dir: Path, kind: str, env: str) -> None:
    manifest = yaml.safe_load(render_argo(_graph(git_dir, env), kind))
    errors = [error.message for error in _validator(kind).iter_errors(manifest)]
    assert errors == []


def test_schema_check_catches_a_wrong_type_and_an_unknown_field(git_dir: Path) -> None:
    manifest = yaml.safe_load(render_argo(_graph(git_dir, "dev")))
    manifest["spec"]["templates"][1]["container"]["args"] = "run-task train prepare"
    assert not _validator("Workflow").is_valid(manifest)
    manifest = yaml.safe_load(render_argo(_graph(git_dir, "dev")))
    manifest["spec"]["templates"][1]["retryStrategy"] = {"limits": 2}
    assert not _validator("Workflow").is_valid(manifest)


def test_vendored_schema_is_the_pinned_release() -> None:
    schema = json.loads((SCHEMA_DIR / "argo-workflow.schema.json").read_text(encoding="utf-8"))
    assert ARGO_VERSION in schema["$comment"]
    assert ARGO_VERSION in (SCHEMA_DIR / "README.md").read_text(encoding="utf-8")
    license_text = (SCHEMA_DIR / "LICENSE").read_text(encoding="utf-8")
    assert license_text.strip().startswith("Apache License")


@pytest.mark.parametrize(
    ("kind", "model"), [("Workflow", Workflow), ("WorkflowTemplate", WorkflowTemplate)]
)
def test_hera_round_trip_keeps_every_field(git_dir: Path, kind: str, model: type[Workflow]) -> None:
    manifest = yaml.safe_load(render_argo(_graph(git_dir, "prod"), kind))
    assert model.from_dict(manifest).to_dict() == manifest


def test_hera_round_trip_would_catch_a_dropped_field(git_dir: Path) -> None:
    manifest = yaml.safe_load(render_argo(_graph(git_dir, "dev")))
    manifest["spec"]["templates"][1]["activeDeadlineSecond"] = 5
    assert Workflow.from_dict(manifest).to_dict() != manifest


def test_output_is_deterministic(git_dir: Path) -> None:
    graph = _graph(git_dir, "prod")
    assert render_argo(graph) == render_argo(graph)


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS + ("{{workflow.name}} ${{x}} $(API_TOKEN)",))
def test_hostile_spec_values_arrive_as_data(git_dir: Path, hostile: str) -> None:
    graph = _graph(git_dir, "dev", hostile)
    manifest = yaml.safe_load(render_argo(graph))
    _assert_only_engine_tags(manifest)
    prepare = _by_template(manifest)["task-prepare"]["container"]
    assert kubelet_env(prepare)["GREETING"] == hostile
    assert parse_tasks(manifest) == expected_tasks(graph)
    assert hostile not in json.dumps(prepare["args"])


def _assert_only_engine_tags(manifest: dict[str, Any]) -> None:
    for tag in argo_tags(manifest):
        if tag.startswith("="):
            # Argo splits an expression holding `?` and `:` as a ternary; `"` breaks its
            # JSON unquoting; `{{` or `}}` would start or end a tag inside the pattern.
            pattern = tag.removeprefix("=workflow.parameters.branch matches ")
            assert pattern.startswith("'^(") and pattern.endswith(")$'"), tag
            assert pattern.count("'") == 2 and not set('?:"') & set(pattern), tag
            assert "{{" not in pattern, tag
        else:
            assert tag in ENGINE_TAGS, tag


_hostile_text = st.lists(
    st.sampled_from(list("{}$()'\"`\\\n #:;|&*?[]!-./=aZ9é")) | st.sampled_from(HOSTILE_STRINGS),
    max_size=12,
).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.dictionaries(
        st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True), _hostile_text, max_size=4
    ),
    globs=st.lists(_hostile_text.filter(bool), max_size=3),
)
def test_any_env_value_or_branch_glob_stays_data(values: dict[str, str], globs: list[str]) -> None:
    graph = EngineGraph("p", "dev", (_task(plain_env=values, branches=tuple(globs)),))
    manifest = yaml.safe_load(render_argo(graph))
    _assert_only_engine_tags(manifest)
    container = _by_template(manifest)["task-t"]["container"]
    seen = kubelet_env(container)
    seen.pop(LBRACE_VARIABLE, None)
    assert seen == values
    assert container["args"][:3] == ["run-task", "p", "t"]


@settings(max_examples=300, deadline=None)
@given(
    glob=st.text(st.sampled_from(list("ab*?[]!-/.{}'\"\\:")), max_size=8),
    branch=st.text(st.sampled_from(list("ab-/.{}'\"\\:[]!*?")), max_size=8),
)
def test_branch_regex_matches_what_the_local_runner_matches(glob: str, branch: str) -> None:
    pattern = re2_to_python(glob_regex(glob))
    assert (re.fullmatch(pattern, branch) is not None) == fnmatchcase(branch, glob)


def test_branch_condition_is_one_expression_with_doubled_backslashes() -> None:
    condition = branch_condition(("feat/*", "a'b"), "branch")
    assert condition == ("{{=workflow.parameters.branch matches '^(feat/.*|a\\\\x{27}b)$'}}")


def test_retry_on_exit_codes_become_a_retry_expression() -> None:
    graph = EngineGraph("p", None, (_task(retries=3, backoff_seconds=0.5, retry_on=(1, 3)),))
    strategy = argo_manifest(graph)["spec"]["templates"][1]["retryStrategy"]
    assert strategy == {
        "backoff": {"duration": "0.5s", "factor": 2},
        "expression": "lastRetry.exitCode in ['1', '3']",
        "limit": 3,
        "retryPolicy": "Always",
    }


def test_resources_become_requests_and_gpu_limits() -> None:
    task = _task(resources={"cpu": 2, "memory": "8Gi", "gpu": 1, "disk": "20Gi"})
    container = argo_manifest(EngineGraph("p", "dev", (task,)))["spec"]["templates"][1]["container"]
    assert container["resources"] == {
        "limits": {"nvidia.com/gpu": "1"},
        "requests": {"cpu": "2", "ephemeral-storage": "20Gi", "memory": "8Gi"},
    }


def test_a_cpu_that_is_no_quantity_is_refused() -> None:
    task = _task(resources={"cpu": "{{workflow.name}}"})
    with pytest.raises(ModelOpsError, match="not a Kubernetes quantity"):
        argo_manifest(EngineGraph("p", "dev", (task,)))


def test_names_argo_refuses_are_derived_and_stay_distinct() -> None:
    ids = task_ids(["train_a", "train-a", "v1.2", "ok"])
    assert ids["train-a"] == "train-a" and ids["ok"] == "ok"
    assert len(set(ids.values())) == 4
    assert all(ARGO_NAME.match(value) for value in ids.values())
    assert object_name("train", "dev") == "mo-train-dev"
    assert re.fullmatch(r"mo-my-pipe-[0-9a-f]{8}", object_name("My_Pipe", None))
    assert len(object_name("p" * 100, "e" * 100)) <= 52
    assert secret_name("dev") == "modelops-dev" and secret_name(None) == "modelops"
    assert re.fullmatch(r"modelops-a-b-[0-9a-f]{8}", secret_name("a_b"))


def test_a_task_named_like_the_dag_does_not_clash() -> None:
    graph = EngineGraph("p", None, (_task("dag", argv=run_task_argv("p", "dag", None)),))
    names = [template["name"] for template in argo_manifest(graph)["spec"]["templates"]]
    assert names == ["dag", "task-dag"]


def test_cli_writes_the_manifest(git_dir: Path, mo: Any) -> None:
    write_engine_project(git_dir)
    result = mo("export", "argo", "--env", "dev", "--output", "argo/train.yaml")
    assert result.code == 0, result.err
    written = (git_dir / "argo" / "train.yaml").read_text(encoding="utf-8")
    assert written == render_argo(_graph(git_dir, "dev"))
    assert "kubectl create secret generic modelops-dev --from-literal=TRAIN_TOKEN=" in result.out


def test_cli_prints_yaml_or_json(git_dir: Path, mo: Any) -> None:
    write_engine_project(git_dir)
    printed = mo("export", "argo", "--env", "prod", "--kind", "WorkflowTemplate")
    assert printed.code == 0, printed.err
    assert yaml.safe_load(printed.out)["metadata"] == {"name": "mo-train-prod"}
    data = json.loads(mo("export", "argo", "--env", "prod", "--json").out)
    assert data["tasks"] == ["prepare", "train-a", "train-b", "evaluate", "deploy", "report"]
    assert data["secret"] == {"name": "modelops-prod", "keys": ["TRAIN_TOKEN"]}
    assert yaml.safe_load(data["yaml"])["kind"] == "Workflow"


def test_cli_refuses_unknown_kind_and_ambiguous_pipeline(git_dir: Path, mo: Any) -> None:
    write_engine_project(git_dir)
    assert mo("export", "argo", "--kind", "CronWorkflow").code == 2
    spec = yaml.safe_load((git_dir / "modelops.yaml").read_text(encoding="utf-8"))
    spec["pipelines"]["other"] = {"tasks": {"x": {"cmd": "echo x"}}}
    (git_dir / "modelops.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    result = mo("export", "argo")
    assert result.code == 2 and "--pipeline" in result.err
    assert mo("export", "argo", "--pipeline", "other").code == 0
