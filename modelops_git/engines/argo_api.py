"""`mo export argo`: one pipeline in one environment as an Argo Workflows manifest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelops_git.api import open_project
from modelops_git.engines import argo_names
from modelops_git.engines.graph import engine_graph
from modelops_git.errors import ModelOpsError

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
    name = pipeline or _only_pipeline(list(project.spec_source.data["pipelines"]))
    graph = engine_graph(project, name, env)
    text = argo.render_argo(graph, kind, image or argo.DEFAULT_IMAGE, parallelism)
    path = None
    if output is not None:
        path = output if output.is_absolute() else cwd / output
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
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


def _only_pipeline(pipelines: list[str]) -> str:
    if len(pipelines) == 1:
        return pipelines[0]
    raise ModelOpsError(
        "which pipeline? the spec has several", f"pass --pipeline, one of: {', '.join(pipelines)}"
    )
