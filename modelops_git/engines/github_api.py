"""`mo ci github` as one function: read the project, render the workflow, write it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelops_git import dvc
from modelops_git.compile.plan import compile_plan
from modelops_git.engines.github_actions import (
    WorkflowSettings,
    check_action_reference,
    render_workflow,
)
from modelops_git.engines.graph import EngineGraph, graph_from_plan
from modelops_git.engines.selection import pipeline_names, write_output
from modelops_git.git import require_worktree_root
from modelops_git.spec.project import load_project

__all__ = ["DEFAULT_WORKFLOW", "github_workflow", "write_github_workflow"]

DEFAULT_WORKFLOW = Path(".github/workflows/modelops.yml")


def github_workflow(
    root: Path, env: str | None, pipeline: str | None, action: str = "./"
) -> tuple[str, list[EngineGraph]]:
    """The workflow text and the graphs it was rendered from."""
    check_action_reference(action)
    project = load_project(root)
    if env is not None:
        project.env_source(env)
    outs: dict[str, dict[str, tuple[str, ...]]] = {}
    graphs = []
    for name in pipeline_names(project, pipeline):
        plan = compile_plan(project, name, env)
        graphs.append(graph_from_plan(plan))
        outs[name] = {task.name: task.outs for task in plan.tasks if task.enabled}
    config = root / ".dvc" / "config"
    remote = config.is_file() and dvc.default_remote_url(config.read_text("utf-8")) is not None
    settings = WorkflowSettings(outs=outs, dvc_remote=remote, mo_action=action)
    return render_workflow(graphs, settings), graphs


def write_github_workflow(
    cwd: Path, env: str | None, pipeline: str | None, output: Path | None, action: str = "./"
) -> dict[str, Any]:
    root = require_worktree_root(cwd)
    text, graphs = github_workflow(root, env, pipeline, action)
    path = write_output(output or root / DEFAULT_WORKFLOW, cwd, text)
    return {
        "path": str(path),
        "env": env,
        "pipelines": [graph.pipeline for graph in graphs],
        "task_jobs": sum(len(graph.tasks) for graph in graphs),
    }
