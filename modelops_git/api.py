"""One function per command; each returns plain data (what `--json` prints)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelops_git import dvc
from modelops_git.compile.graph_view import draw
from modelops_git.compile.plan import compile_plan
from modelops_git.compile.render import render_effective
from modelops_git.errors import ModelOpsError
from modelops_git.git import require_worktree_root
from modelops_git.paths import RepoPaths
from modelops_git.scaffold import EXAMPLE_DATA, scaffold
from modelops_git.spec.project import ENV_DIR, SPEC_FILE, Project, load_project

if TYPE_CHECKING:  # the runner and history modules load only for the commands that use them
    from modelops_git.run.local import Reporter, RunOptions
    from modelops_git.run.records import RunRecord, TaskRecord

__all__ = [
    "affected",
    "assign",
    "data_add",
    "dry_run",
    "envs",
    "graph",
    "history",
    "hooks_install",
    "hooks_uninstall",
    "init",
    "lineage",
    "metrics_diff",
    "queue",
    "register",
    "render",
    "run",
    "run_queued",
    "show",
    "validate",
    "why",
]


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


def run(cwd: Path, options: RunOptions, report: Reporter) -> dict[str, Any]:
    """Run pipelines locally; the summary of the run (what `mo run --json` prints)."""
    from modelops_git.run.local import run as run_local

    project = open_project(cwd)
    record = run_local(project, options, report)
    return run_summary(project.root, record, options.only)


def run_summary(root: Path, record: RunRecord, only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Counts and failures of the run, or of the `only` tasks this process ran in it."""
    from modelops_git.run.scheduler import OK_STATUSES

    counts: dict[str, int] = {}
    failures = []
    for pipeline, tasks in record.tasks.items():
        for name, task in tasks.items():
            if only and f"{pipeline}/{name}" not in only:
                continue
            counts[task.status] = counts.get(task.status, 0) + 1
            if task.status == "failed":
                failures.append(_failure(root, f"{pipeline}/{name}", task))
    status = record.status
    if only and status != "interrupted":
        # A job of an engine's run answers for its own tasks, not for its siblings'.
        status = "succeeded" if set(counts) <= OK_STATUSES else "failed"
    return {
        "run_id": record.run_id,
        "status": status,
        "counts": counts,
        "failures": failures,
        "record": f"refs/modelops/runs/{record.run_id}",
    }


def _failure(root: Path, key: str, task: TaskRecord) -> dict[str, Any]:
    log = root / task.log if task.log else None
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log else []
    last = task.attempts[-1] if task.attempts else {}
    return {
        "task": key,
        "exit_code": last.get("exit_code"),
        "attempts": len(task.attempts),
        "log": task.log,
        "log_tail": [line for line in lines if not line.startswith("===")][-10:],
        "reasons": task.reasons,
    }


def dry_run(cwd: Path, options: RunOptions) -> list[dict[str, Any]]:
    from modelops_git.run.local import plan_run

    return plan_run(open_project(cwd), options)


def data_add(cwd: Path, paths: list[str]) -> dict[str, Any]:
    """`dvc add` the paths (inside the repository) so they are versioned as data."""
    project_root = require_worktree_root(cwd)
    checker = RepoPaths(project_root)
    relative = []
    for path in paths:
        rel = os.path.relpath((cwd / path).resolve(), project_root)
        problem = checker.problem(rel)
        if problem is not None:
            raise ModelOpsError(problem[0], problem[1])
        if not (project_root / rel).exists():
            raise ModelOpsError(f"{path} does not exist", "create the data first, then add it")
        relative.append(rel)
    if not dvc.dvc_initialized(project_root):
        dvc.init_dvc(project_root)
    dvc.track(project_root, relative)
    return {"tracked": relative, "pointers": [f"{rel}.dvc" for rel in relative]}


def lineage(cwd: Path, target: str) -> dict[str, Any]:
    from modelops_git.lineage import questions

    return questions.lineage(require_worktree_root(cwd), target)


def history(cwd: Path, name: str, env: str | None) -> list[dict[str, Any]]:
    from modelops_git.lineage import questions

    return questions.history(require_worktree_root(cwd), name, env)


def metrics_diff(cwd: Path, before: str, after: str | None) -> list[dict[str, Any]]:
    from modelops_git.lineage import questions

    return questions.metrics_diff(require_worktree_root(cwd), before, after)


def why(cwd: Path, metric: str, start: str | None, end: str) -> dict[str, Any]:
    from modelops_git.lineage import questions

    return questions.why(require_worktree_root(cwd), metric, start, end)


def affected(cwd: Path, base: str, head: str | None, mode: str, env: str | None) -> dict[str, Any]:
    from modelops_git.changes import affected as compute

    return compute(require_worktree_root(cwd), base, head, mode, env).as_data()


def hooks_install(cwd: Path, names: tuple[str, ...]) -> list[dict[str, str]]:
    from modelops_git import hooks

    return hooks.install(require_worktree_root(cwd), names)


def hooks_uninstall(cwd: Path, names: tuple[str, ...]) -> list[dict[str, str]]:
    from modelops_git import hooks

    return hooks.uninstall(require_worktree_root(cwd), names)


def queue(cwd: Path) -> list[dict[str, Any]]:
    from modelops_git import trigger_queue

    return trigger_queue.queued(require_worktree_root(cwd))


def run_queued(cwd: Path, options: RunOptions, report: Reporter) -> list[dict[str, Any]]:
    """Run each queued (pipeline, env) once; entries go only when their run succeeded."""
    from modelops_git import trigger_queue
    from modelops_git.run.local import RunOptions
    from modelops_git.run.local import run as run_local

    project = open_project(cwd)
    entries = trigger_queue.queued(project.root)
    if not entries:
        raise ModelOpsError(
            "the trigger queue is empty",
            "commits that fire triggers fill it once hooks are installed (`mo hooks install`)",
        )
    summaries = []
    for pipeline, env in dict.fromkeys((e["pipeline"], e["env"]) for e in entries):
        wanted = RunOptions((pipeline,), env, options.jobs, options.force)
        record = run_local(project, wanted, report)
        summaries.append(run_summary(project.root, record))
        if record.status == "succeeded":
            trigger_queue.remove(
                project.root,
                {e["id"] for e in entries if (e["pipeline"], e["env"]) == (pipeline, env)},
            )
    return summaries


def register(cwd: Path, model: str, version: str | None, bump: str, ref: str) -> dict[str, Any]:
    from modelops_git import registry_ops

    return registry_ops.register(require_worktree_root(cwd), model, version, bump, ref)


def assign(cwd: Path, model: str, version: str, env: str, unassign: bool) -> dict[str, Any]:
    from modelops_git import registry_ops

    return registry_ops.assign(require_worktree_root(cwd), model, version, env, unassign)


def show(cwd: Path, model: str | None) -> dict[str, Any]:
    """Registered versions, what each environment holds (tags) and pins (env files)."""
    from modelops_git import registry_ops

    return registry_ops.show(require_worktree_root(cwd), model)


def promote(
    cwd: Path,
    from_env: str,
    to_env: str,
    model: str | None,
    version: str | None,
    provider: str = "local",
) -> dict[str, Any]:
    """Open a promotion (gates first) on the provider; with `auto: true` and no approvals,
    merge it too."""
    from modelops_git.promotion.opening import PromoteRequest, open_promotion

    project = open_project(cwd)
    request = PromoteRequest(from_env, to_env, model, version)
    if provider == "github":
        from modelops_git.promotion.github_provider import promote_on_github

        opened = promote_on_github(project, request)
    else:
        opened = open_promotion(project, request)
    result = opened.to_data()
    policy = project.environment(to_env).promotion
    if opened.created and policy.auto and opened.record.required_approvals == 0:
        result["merged"] = _merge_record(project, opened.record.id, "auto")
    return result


def _merge_record(project: Project, promotion_id: str, merged_by: str | None) -> dict[str, Any]:
    """Merge where the promotion is reviewed: here, or on GitHub."""
    from modelops_git.promotion import merging

    record = merging.open_record(project.root, promotion_id)
    if record.provider == "github":
        from modelops_git.promotion.github_provider import merge_on_github

        return merge_on_github(project, record)
    return merging.merge(project, promotion_id, merged_by)


def promotion_status(cwd: Path, promotion_id: str) -> dict[str, Any]:
    from modelops_git.promotion.merging import known_record, status_of

    project = open_project(cwd)
    record = known_record(project.root, promotion_id)
    if record.provider == "github" and record.status == "open":
        from modelops_git.promotion.github_provider import status_on_github

        return status_on_github(project, record)
    return status_of(project, promotion_id)


def review(cwd: Path, promotion_id: str, state: str, message: str) -> dict[str, Any]:
    from modelops_git.promotion.merging import open_record
    from modelops_git.promotion.merging import review as record_review

    project = open_project(cwd)
    record = open_record(project.root, promotion_id)
    if record.provider == "github":
        raise ModelOpsError(
            f"{promotion_id} is reviewed on GitHub, not here", f"review it at {record.pull_request}"
        )
    return record_review(project, promotion_id, state, message)


def merge(cwd: Path, promotion_id: str) -> dict[str, Any]:
    return _merge_record(open_project(cwd), promotion_id, None)


def close_promotion(cwd: Path, promotion_id: str, reason: str) -> dict[str, Any]:
    from modelops_git.promotion.merging import close

    return close(open_project(cwd), promotion_id, reason)


def sync(cwd: Path, push: str | None) -> dict[str, Any]:
    from modelops_git.promotion.merging import sync as sync_registry

    return sync_registry(open_project(cwd), push)


def rollback(
    cwd: Path, env: str, model: str | None, to_version: str | None, reason: str
) -> dict[str, Any]:
    from modelops_git.promotion.rollback import rollback as open_rollback

    project = open_project(cwd)
    opened = open_rollback(project, env, model, to_version, reason)
    result = opened.to_data()
    if opened.created and opened.record.required_approvals == 0:
        result["merged"] = _merge_record(project, opened.record.id, None)
    return result


def hold_release(cwd: Path, env: str, model: str | None) -> dict[str, Any]:
    from modelops_git.promotion.rollback import release_hold

    return release_hold(open_project(cwd), env, model)


def status(cwd: Path) -> dict[str, Any]:
    from modelops_git.promotion.overview import status as environments_status

    return environments_status(open_project(cwd))


def env_history(cwd: Path, env: str, at: str | None) -> dict[str, Any]:
    from modelops_git.promotion.overview import env_history as history_of_env

    return history_of_env(open_project(cwd), env, at)
