"""The engine graph every CI engine translates: tasks, edges, retries, timeouts, conditions."""

from __future__ import annotations

from pathlib import Path

from modelops_git.engines.graph import engine_graph
from modelops_git.spec.project import load_project
from tests.engine_fixtures import expected_tasks, write_engine_project


def test_dev_leaves_out_tasks_disabled_by_env_and_rewires_their_dependents(git_dir: Path) -> None:
    graph = engine_graph(load_project(write_engine_project(git_dir)), "train", "dev")
    tasks = expected_tasks(graph)
    assert list(tasks) == ["prepare", "train-a", "train-b", "evaluate", "report"]
    assert tasks["evaluate"].needs == {"train-a", "train-b"}
    assert tasks["report"].needs == {"evaluate"}
    assert tasks["train-a"].retries == 2 and tasks["train-a"].timeout_seconds == 1800
    assert tasks["train-b"].retries == 1 and tasks["train-b"].timeout_seconds == 600
    assert tasks["prepare"].argv == ("mo", "run-task", "train", "prepare", "--env", "dev")
    by_name = {task.name: task for task in graph.tasks}
    assert by_name["evaluate"].branches == ("main", "release/*")
    assert by_name["train-a"].secrets == {"API_TOKEN": "TRAIN_TOKEN"}
    assert by_name["prepare"].plain_env == {"GREETING": 'it\'s "quoted"'}


def test_prod_keeps_every_task(git_dir: Path) -> None:
    graph = engine_graph(load_project(write_engine_project(git_dir)), "train", "prod")
    assert [task.name for task in graph.tasks][-2:] == ["deploy", "report"]
    assert ("deploy", "report") in graph.edges()
    assert ("evaluate", "deploy") in graph.edges()
