"""Run by the Airflow venv's Python (not the test's): loads one DAG file with Airflow's own
DagBag and writes, as JSON to a file (Airflow logs to stdout), its import errors, what Airflow
made of every task, and the template fields of some tasks as Airflow renders them for a run
whose conf is {} (next to a control: a plain BashOperator given the same env values)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any


def main(dag_file: str, report: str, *render_ids: str) -> None:
    from airflow.dag_processing.dagbag import DagBag
    from airflow.providers.standard.operators.bash import BashOperator

    bag = DagBag(dag_folder=dag_file)
    dags: dict[str, Any] = {}
    rendered: dict[str, Any] = {}
    context = {"dag_run": SimpleNamespace(conf={}), "run_id": "manual__2026-01-01T00:00:00+00:00"}
    for dag_id, dag in bag.dags.items():
        dags[dag_id] = {
            "schedule": None if dag.schedule is None else str(dag.schedule),
            "catchup": dag.catchup,
            "start_date": dag.start_date.isoformat() if dag.start_date else None,
            "max_active_tasks": dag.max_active_tasks,
            "description": dag.description,
            "tasks": {
                task_id: {
                    "operator": type(task).__name__,
                    "upstream": sorted(task.upstream_task_ids),
                    "retries": task.retries,
                    "retry_delay": task.retry_delay.total_seconds(),
                    "retry_exponential_backoff": task.retry_exponential_backoff,
                    "execution_timeout": (
                        task.execution_timeout.total_seconds() if task.execution_timeout else None
                    ),
                    "trigger_rule": getattr(task.trigger_rule, "value", task.trigger_rule),
                    "doc_md": task.doc_md,
                }
                for task_id, task in dag.task_dict.items()
            },
        }
        for task_id in render_ids:
            task = dag.task_dict[task_id]
            control = BashOperator(task_id=f"control-{task_id}", bash_command="true", env=None)
            task.render_template_fields(context)
            control.env = {key: str(value) for key, value in task.env.items()}
            control.render_template_fields(context)
            rendered[task_id] = {
                "bash_command": task.bash_command,
                "env": task.env,
                "cwd": task.cwd,
                "control_env": control.env,
            }
    found = {"import_errors": dict(bag.import_errors), "dags": dags, "rendered": rendered}
    Path(report).write_text(json.dumps(found), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
