"""Run by the Airflow venv's Python (not the test's): loads one DAG file with Airflow's own
DagBag and writes, as JSON to a file (Airflow logs to stdout), its import errors and what
Airflow made of every task."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main(dag_file: str, report: str) -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=dag_file)
    dags: dict[str, Any] = {}
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
    found = {"import_errors": dict(bag.import_errors), "dags": dags}
    Path(report).write_text(json.dumps(found), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
