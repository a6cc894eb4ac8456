"""`mo export airflow`: the pipeline's DAG file, written where Airflow can load it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelops_git.engines.airflow import DEFAULT_MAX_ACTIVE_TASKS, default_dag_id, render_airflow
from modelops_git.engines.graph import engine_graph
from modelops_git.engines.selection import one_pipeline, write_output
from modelops_git.git import require_worktree_root
from modelops_git.spec.project import load_project

__all__ = ["DAGS_DIR", "export_airflow"]

DAGS_DIR = "dags"
"""Where the DAG file goes by default, relative to the repository root."""


def export_airflow(
    cwd: Path,
    pipeline: str | None = None,
    env: str | None = None,
    output: Path | None = None,
    dag_id: str | None = None,
    max_active_tasks: int = DEFAULT_MAX_ACTIVE_TASKS,
) -> dict[str, Any]:
    """Render the DAG of `pipeline` in `env` and write it to `output` (default
    `dags/<dag_id>.py` in the repository); returns what was written."""
    project = load_project(require_worktree_root(cwd))
    name = one_pipeline(project, pipeline)
    graph = engine_graph(project, name, env)
    dag_id = dag_id or default_dag_id(graph)
    text = render_airflow(graph, dag_id=dag_id, max_active_tasks=max_active_tasks)
    path = write_output(output or project.root / DAGS_DIR / f"{dag_id}.py", cwd, text)
    return {
        "engine": "airflow",
        "pipeline": name,
        "env": env,
        "dag_id": dag_id,
        "path": str(path),
        "tasks": [task.name for task in graph.tasks],
    }
