"""Airflow engine: the DAG file `mo export airflow` writes, read back as Python, loaded by
Airflow's DagBag and run for real by `airflow dags test` (tasks run `mo run-task`)."""

from __future__ import annotations

import ast
import json
import os
import shlex
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelops_git.engines.airflow import render_airflow
from modelops_git.engines.graph import EngineGraph, EngineTask, engine_graph
from modelops_git.errors import ModelOpsError
from modelops_git.run.records import load_records
from modelops_git.spec.project import load_project
from tests.conftest import MO_SCRIPT, Result, git
from tests.engine_fixtures import HOSTILE_STRINGS, ParsedTask, expected_tasks, write_engine_project
from tests.golden import assert_golden

AIRFLOW_VENV = Path(__file__).resolve().parents[1] / ".venv-airflow"
PROBE = Path(__file__).parent / "airflow_probe.py"
CONSTANTS = ("DAG_ID", "PIPELINE", "ENV", "DESCRIPTION", "MAX_ACTIVE_TASKS", "TASKS")
JINJA = HOSTILE_STRINGS[8]
assert JINJA == "{{ dag_run.conf }}"


def engines_graph(root: Path, env: str, hostile: str = HOSTILE_STRINGS[0]) -> EngineGraph:
    return engine_graph(load_project(write_engine_project(root, hostile)), "train", env)


def read_dag_file(text: str) -> tuple[dict[str, Any], list[str]]:
    """The DAG file's data (its literal constants, evaluated as literals only) and its code
    (every other top-level statement, as AST dumps)."""
    data: dict[str, Any] = {}
    code: list[str] = []
    for node in ast.parse(text).body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in CONSTANTS
        ):
            data[node.targets[0].id] = ast.literal_eval(node.value)
        else:
            code.append(ast.dump(node))
    assert sorted(data) == sorted(CONSTANTS)
    return data, code


def parsed_tasks(data: dict[str, Any]) -> dict[str, ParsedTask]:
    return {
        task["name"]: ParsedTask(
            frozenset(task["needs"]), task["retries"], task["timeout_seconds"], tuple(task["argv"])
        )
        for task in data["TASKS"]
    }


def benign_graph() -> EngineGraph:
    task = EngineTask("only", (), ("mo", "run-task", "p", "only"), 0, 1.0, (), None, ())
    return EngineGraph("p", None, (task,))


REFERENCE_CODE = read_dag_file(render_airflow(benign_graph()))[1]


def assert_data_only_in_literals(text: str, graph: EngineGraph) -> None:
    """Every value arrives exactly, as literal data, and the code is the code of any other
    DAG file: nothing from the graph reached an executable position."""
    data, code = read_dag_file(text)
    assert code == REFERENCE_CODE
    assert data["PIPELINE"] == graph.pipeline and data["ENV"] == graph.env
    assert data["DESCRIPTION"] == graph.description
    assert parsed_tasks(data) == expected_tasks(graph)
    by_name = {task["name"]: task for task in data["TASKS"]}
    for task in graph.tasks:
        written = by_name[task.name]
        assert written["description"] == task.description
        assert written["plain_env"] == task.plain_env
        assert written["secrets"] == task.secrets
        assert tuple(written["branches"]) == task.branches
        assert written["backoff_seconds"] == task.backoff_seconds


# --- the file as text -----------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_golden_dag_file_for_the_engines_spec(git_dir: Path, env: str) -> None:
    assert_golden(
        f"engines/airflow/train__{env}.py.golden", render_airflow(engines_graph(git_dir, env))
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_dag_file_parses_back_to_the_engine_graph(git_dir: Path, env: str) -> None:
    graph = engines_graph(git_dir, env)
    text = render_airflow(graph)
    data, _ = read_dag_file(text)
    assert parsed_tasks(data) == expected_tasks(graph)
    assert [task["name"] for task in data["TASKS"]] == [task.name for task in graph.tasks]
    assert data["DAG_ID"] == f"train__{env}" and data["MAX_ACTIVE_TASKS"] == 16
    assert render_airflow(graph) == text
    compile(text, "dag.py", "exec")


def test_runtime_branches_secrets_and_plain_env_are_data(git_dir: Path) -> None:
    graph = engines_graph(git_dir, "dev")
    tasks = {task["name"]: task for task in read_dag_file(render_airflow(graph))[0]["TASKS"]}
    assert tasks["evaluate"]["branches"] == ("main", "release/*")
    assert tasks["train-a"]["secrets"] == {"API_TOKEN": "TRAIN_TOKEN"}
    assert tasks["prepare"]["plain_env"] == {"GREETING": HOSTILE_STRINGS[0]}


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_hostile_spec_values_arrive_as_exact_data(git_dir: Path, hostile: str) -> None:
    graph = engines_graph(git_dir, "dev", hostile)
    assert graph.tasks[0].plain_env == {"GREETING": hostile}
    assert_data_only_in_literals(render_airflow(graph), graph)


free_text = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(),
    st.lists(
        st.sampled_from([*HOSTILE_STRINGS, "{%", "%}", "{#", "'''", '"""', "\\", "\n", "\r"])
    ).map("".join),
)
airflow_key = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)


@st.composite
def hostile_graphs(draw: st.DrawFn) -> EngineGraph:
    names = draw(st.lists(airflow_key, min_size=1, max_size=4, unique=True))
    tasks = tuple(
        EngineTask(
            name=name,
            needs=tuple(names[:index]),
            argv=("mo", "run-task", draw(free_text), name, "--env", draw(free_text)),
            retries=draw(st.integers(0, 5)),
            backoff_seconds=draw(st.floats(0, 3600)),
            retry_on=(),
            timeout_seconds=draw(st.none() | st.floats(1, 86400)),
            branches=tuple(draw(st.lists(free_text, max_size=2))),
            description=draw(free_text),
            secrets=draw(st.dictionaries(free_text, free_text, max_size=2)),
            plain_env=draw(st.dictionaries(free_text, free_text, max_size=3)),
        )
        for index, name in enumerate(names)
    )
    return EngineGraph(draw(free_text), draw(st.none() | free_text), tasks, draw(free_text))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile_graphs())
def test_hostile_graph_values_never_become_code(graph: EngineGraph) -> None:
    assert_data_only_in_literals(render_airflow(graph, dag_id="hostile"), graph)


def test_ids_airflow_would_refuse_are_refused() -> None:
    graph = benign_graph()
    with pytest.raises(ModelOpsError, match="not a valid Airflow id"):
        render_airflow(graph, dag_id="a b")
    with pytest.raises(ModelOpsError, match="not a valid Airflow id"):
        render_airflow(graph, dag_id="ok\n")
    bad_task = EngineTask("x{{y}}", (), ("mo",), 0, 1.0, (), None, ())
    with pytest.raises(ModelOpsError, match="task name"):
        render_airflow(EngineGraph("p", None, (bad_task,)))


# --- the command ----------------------------------------------------------------------------


def test_export_writes_the_dag_file_into_dags(git_dir: Path, mo: Callable[..., Result]) -> None:
    write_engine_project(git_dir)
    result = mo("export", "airflow", "--env", "dev", "--json")
    assert result.code == 0, result.err
    written = json.loads(result.out)
    path = git_dir / "dags" / "train__dev.py"
    assert written == {
        "engine": "airflow",
        "pipeline": "train",
        "env": "dev",
        "dag_id": "train__dev",
        "path": str(path),
        "tasks": ["prepare", "train-a", "train-b", "evaluate", "report"],
    }
    assert path.read_text() == render_airflow(engines_graph(git_dir, "dev"))


def test_export_options_pick_pipeline_output_id_and_concurrency(
    git_dir: Path, mo: Callable[..., Result]
) -> None:
    write_engine_project(git_dir)
    result = mo(
        "export", "airflow", "--pipeline", "train", "-o", "out/my.py", "--dag-id", "nightly",
        "--max-active-tasks", "3",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "DAG nightly with 5 tasks" in result.out
    data, _ = read_dag_file((git_dir / "out" / "my.py").read_text())
    assert data["DAG_ID"] == "nightly" and data["MAX_ACTIVE_TASKS"] == 3 and data["ENV"] is None


def test_export_refuses_unknown_pipeline_and_environment(
    git_dir: Path, mo: Callable[..., Result]
) -> None:
    write_engine_project(git_dir)
    unknown = mo("export", "airflow", "--pipeline", "nope")
    assert unknown.code == 1 and "unknown pipeline 'nope'" in unknown.err
    no_env = mo("export", "airflow", "--env", "staging")
    assert no_env.code == 1 and "unknown environment 'staging'" in no_env.err
    assert not (git_dir / "dags").exists()


# --- Airflow itself -------------------------------------------------------------------------


def airflow_venv() -> Path:
    """The separate venv scripts/setup_airflow.sh makes; CI must have it."""
    if not (AIRFLOW_VENV / "bin" / "airflow").exists():
        message = f"Airflow is not installed in {AIRFLOW_VENV}: run bash scripts/setup_airflow.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AIRFLOW_VENV


def airflow_env(home: Path, dags: Path, project: Path) -> dict[str, str]:
    env = os.environ.copy()
    env.pop("TRAIN_TOKEN", None)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        MO_PROJECT_DIR=str(project),
        MO_BIN=str(MO_SCRIPT),
    )
    return env


def test_airflow_dagbag_loads_the_dag_as_generated(git_dir: Path, tmp_path: Path) -> None:
    venv = airflow_venv()
    graph = engines_graph(git_dir, "dev", JINJA)
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "train__dev.py").write_text(render_airflow(graph))
    report = tmp_path / "dagbag.json"
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            str(PROBE),
            str(dags / "train__dev.py"),
            str(report),
            "prepare",
        ],
        env=airflow_env(tmp_path / "airflow", dags, git_dir),
        check=True,
        capture_output=True,
    )
    found = json.loads(report.read_text())
    assert found["import_errors"] == {}
    dag = found["dags"]["train__dev"]
    assert dag["schedule"] is None and dag["catchup"] is False
    assert dag["start_date"] == "2026-01-01T00:00:00+00:00" and dag["max_active_tasks"] == 16
    assert dag["description"] == graph.description
    loaded = {
        task_id: ParsedTask(
            frozenset(task["upstream"]),
            task["retries"],
            task["execution_timeout"],
            expected_tasks(graph)[task_id].argv,  # the command is built when the task runs
        )
        for task_id, task in dag["tasks"].items()
    }
    assert loaded == expected_tasks(graph)
    for task in graph.tasks:
        airflow_task = dag["tasks"][task.name]
        assert airflow_task["operator"] == "BashOperator"
        assert airflow_task["retry_delay"] == task.backoff_seconds
        assert airflow_task["retry_exponential_backoff"] == 2.0
        assert airflow_task["trigger_rule"] == "none_failed"
        assert airflow_task["doc_md"] == (task.description or None)
    # Airflow renders plain template strings (the control turns the hostile value into the
    # run's conf); the DAG's fields are computed by callables and come through exactly.
    prepare = found["rendered"]["prepare"]
    assert prepare["control_env"] == {"GREETING": "{}"}
    assert prepare["env"] == {"GREETING": JINJA}
    assert prepare["cwd"] == str(git_dir)
    assert shlex.split(prepare["bash_command"]) == [
        str(MO_SCRIPT),
        *expected_tasks(graph)["prepare"].argv[1:],
        "--run-id",
        "airflow-train__dev-manual__2026-01-01T00-00-00-00-00",
        "--single-attempt",
    ]


def dags_test(venv: Path, env: dict[str, str], dag_id: str, *args: str) -> tuple[int, str]:
    """`airflow dags test`: one DAG run on SQLite, its tasks run in this process tree."""
    done = subprocess.run(
        [str(venv / "bin" / "airflow"), "dags", "test", *args, dag_id],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def migrate(venv: Path, env: dict[str, str]) -> None:
    airflow = str(venv / "bin" / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True)


def rows(database: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        return list(connection.execute(query))


@pytest.mark.slow
def test_airflow_dags_test_runs_every_task_with_mo_into_one_record(
    git_dir: Path, tmp_path: Path
) -> None:
    venv = airflow_venv()
    graph = engines_graph(git_dir, "dev", JINJA)
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-q", "-m", "engines spec")
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "train__dev.py").write_text(render_airflow(graph))
    home = tmp_path / "airflow"
    env = airflow_env(home, dags, git_dir)
    env["AIRFLOW_VAR_TRAIN_TOKEN"] = secret = "s3cr3t-value-4711"
    migrate(venv, env)
    code, on_main = dags_test(venv, env, "train__dev")  # the branch comes from the checkout
    assert code == 0, on_main[-5000:]
    code, on_feature = dags_test(venv, env, "train__dev", "-c", json.dumps({"branch": "feature/x"}))
    assert code == 0, on_feature[-5000:]

    # The tasks ran the spec's commands in the checkout, hostile text and all.
    assert (git_dir / "data.txt").read_text() == JINJA + "\n"
    assert (git_dir / "eval.txt").read_text() == 2 * (JINJA + "\n")

    database = home / "airflow.db"
    states = rows(database, "SELECT run_id, task_id, state FROM task_instance")
    main_run, feature_run = sorted({run_id for run_id, _, _ in states})
    assert {(task, state) for run, task, state in states if run == main_run} == {
        (task.name, "success") for task in graph.tasks
    }
    # when.branches leaves evaluate out on feature/x; what needs it still runs, as with mo run.
    assert {(task, state) for run, task, state in states if run == feature_run} == {
        ("prepare", "success"),
        ("train-a", "success"),
        ("train-b", "success"),
        ("evaluate", "skipped"),
        ("report", "success"),
    }

    # What Airflow rendered: the command as data, no Jinja applied, the secret masked.
    rendered = {
        task: json.loads(fields)
        for task, fields in rows(
            database,
            f"SELECT task_id, rendered_fields FROM rendered_task_instance_fields "
            f"WHERE run_id = '{main_run}'",
        )
    }
    assert rendered["prepare"]["env"] == {"GREETING": JINJA}
    assert rendered["train-a"]["env"] == {"TRAIN_TOKEN": "***"}
    assert rendered["prepare"]["cwd"] == str(git_dir)
    command = shlex.split(rendered["train-b"]["bash_command"])
    mo_run_id = command[-2]
    assert command == [
        str(MO_SCRIPT),
        *expected_tasks(graph)["train-b"].argv[1:],
        "--run-id",
        mo_run_id,
        "--single-attempt",
    ]
    assert secret not in on_main + on_feature
    assert not [log for log in home.rglob("*.log") if secret in log.read_text(errors="replace")]

    # Every task of one Airflow run joined one mo run record.
    records = {record.run_id: record for record in load_records(git_dir)}
    assert mo_run_id.startswith("airflow-train__dev-manual__") and mo_run_id in records
    first = records[mo_run_id].tasks["train"]
    assert {name: task.status for name, task in first.items()} == {
        task.name: "succeeded" for task in graph.tasks
    }
    # The second run found every task up to date: mo keeps no record of a run that ran nothing.
    assert list(records) == [mo_run_id]
    assert "train/prepare: up to date" in on_feature


FLAKY_SPEC = """\
version: 1
pipelines:
  flaky:
    tasks:
      fails-once:
        cmd: "if [ -f attempted ]; then echo ok > out.txt; else touch attempted; exit 3; fi"
        outs: [out.txt]
        retries: {limit: 1, backoff: 1}
      too-slow:
        cmd: "sleep 4"
        timeout: 1
      needs-secret:
        cmd: "true"
        env: {TOKEN: "secret:ABSENT_TOKEN"}
        retries: 2
"""


@pytest.mark.slow
def test_airflow_makes_the_retries_and_enforces_the_timeouts(
    git_dir: Path, tmp_path: Path, mo: Callable[..., Result]
) -> None:
    venv = airflow_venv()
    (git_dir / "modelops.yaml").write_text(FLAKY_SPEC)
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-q", "-m", "flaky spec")
    dags = tmp_path / "dags"
    assert mo("export", "airflow", "-o", str(dags / "flaky.py")).code == 0
    home = tmp_path / "airflow"
    env = airflow_env(home, dags, git_dir)
    migrate(venv, env)

    code, out = dags_test(venv, env, "flaky")

    assert code != 0, out[-5000:]  # the run failed: too-slow timed out
    states = rows(home / "airflow.db", "SELECT task_id, state, try_number FROM task_instance")
    # mo made one attempt per Airflow try (--single-attempt): Airflow's retry made it pass.
    # A secret neither Airflow nor the worker has fails at once: retrying cannot bring it.
    assert sorted(states) == [
        ("fails-once", "success", 2),
        ("needs-secret", "failed", 1),
        ("too-slow", "failed", 1),
    ]
    assert "no Airflow Variable or environment variable ABSENT_TOKEN" in out
    assert (git_dir / "out.txt").read_text() == "ok\n"
    assert "Timeout" in out
    (record,) = load_records(git_dir)
    assert record.tasks["flaky"]["fails-once"].status == "succeeded"
