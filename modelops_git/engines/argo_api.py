"""`mo export argo`: one pipeline in one environment as an Argo Workflows manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelops_git.api import open_project
from modelops_git.engines import argo_names
from modelops_git.engines.graph import engine_graph
from modelops_git.engines.selection import one_pipeline, write_output

__all__ = ["export_argo"]


def export_argo(
    cwd: Path,
    pipeline: str | None,
    env: str | None,
    kind: str,
    image: str | None,
    parallelism: int | None,
    output: Path | None,
) -> dict[str, Any]:
    """The manifest (written to `output` when given) and what running it needs."""
    from modelops_git.engines import argo  # hera's models load only for this command

    project = open_project(cwd)
    name = one_pipeline(project, pipeline)
    graph = engine_graph(project, name, env)
    text = argo.render_argo(graph, kind, image or argo.DEFAULT_IMAGE, parallelism)
    path = write_output(output, cwd, text) if output is not None else None
    keys = sorted({key for task in graph.tasks for key in task.secrets.values()})
    return {
        "pipeline": graph.pipeline,
        "env": graph.env,
        "kind": kind,
        "argo_version": argo.ARGO_VERSION,
        "tasks": [task.name for task in graph.tasks],
        "secret": {"name": argo_names.secret_name(graph.env), "keys": keys},
        "path": str(path) if path else None,
        "yaml": text,
    }
