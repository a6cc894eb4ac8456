"""One function per command; each returns plain data (what `--json` prints)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelops_git import dvc
from modelops_git.compile.graph_view import draw
from modelops_git.compile.plan import compile_plan
from modelops_git.compile.render import render_effective
from modelops_git.git import require_worktree_root
from modelops_git.scaffold import EXAMPLE_DATA, scaffold
from modelops_git.spec import ENV_DIR, SPEC_FILE, Project, load_project

__all__ = ["envs", "graph", "init", "render", "validate"]


def open_project(cwd: Path) -> Project:
    return load_project(require_worktree_root(cwd))


def init(cwd: Path, force: bool = False, with_dvc: bool = True) -> dict[str, Any]:
    root = require_worktree_root(cwd)
    result = scaffold(root, force)
    initialized = False
    if with_dvc and not dvc.dvc_initialized(root):
        dvc.init_dvc(root)
        initialized = True
    if with_dvc:
        dvc.track(root, [EXAMPLE_DATA])
    return {
        "root": str(root),
        "written": result.written,
        "gitignore_added": result.gitignore_added,
        "dvc_initialized": initialized,
        "dvc_tracked": [EXAMPLE_DATA] if with_dvc else [],
    }


def validate(cwd: Path) -> dict[str, Any]:
    """Raises SpecError listing every problem; on success, what was checked."""
    project = open_project(cwd)
    data = project.spec_source.data
    return {
        "ok": True,
        "files": [SPEC_FILE, *(f"{ENV_DIR}/{name}.yaml" for name in project.env_names)],
        "pipelines": {name: len(p["tasks"]) for name, p in data["pipelines"].items()},
        "datasets": list(data.get("datasets") or {}),
        "models": list(data.get("models") or {}),
        "environments": project.env_names,
        "problems": [],
    }


def render(cwd: Path, pipeline: str | None, env: str | None) -> dict[str, Any]:
    project = open_project(cwd)
    if env is not None:
        project.env_source(env)
    return render_effective(project, env, pipeline)


def envs(cwd: Path) -> list[dict[str, Any]]:
    project = open_project(cwd)
    listed = []
    for name in project.env_names:
        environment = project.environment(name)
        policy = environment.promotion
        listed.append(
            {
                "name": name,
                "description": environment.description,
                "platform": environment.platform or "local",
                "pins": dict(environment.pins),
                "promotes_from": policy.from_env,
                "approvals": policy.approvals,
                "auto": policy.auto,
                "gates": list(policy.gates),
            }
        )
    return listed


def graph(cwd: Path, pipeline: str, fmt: str, env: str | None) -> str:
    project = open_project(cwd)
    if env is not None:
        project.env_source(env)
    return draw(compile_plan(project, pipeline, env), fmt)
