"""`mo run`: execute plans on this machine, skipping what has not changed, recording lineage."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

from modelops_git import dvc, git
from modelops_git.compile.plan import Plan, PlannedTask, compile_plan
from modelops_git.errors import ModelOpsError
from modelops_git.files import append_missing_lines, write_atomic
from modelops_git.hashing import HashCache
from modelops_git.lockfile import Lock, TaskLock, read_lock, record_task
from modelops_git.metrics import read_metrics
from modelops_git.run.attempts import ChildProcesses, run_attempts
from modelops_git.run.freshness import hashed, judge
from modelops_git.run.outs_guard import OutsGuard, recover_interrupted
from modelops_git.run.records import (
    RunRecord,
    TaskRecord,
    load_record,
    new_run_id,
    now,
    save_record,
)
from modelops_git.run.scheduler import OK_STATUSES, schedule
from modelops_git.spec.model import RetryPolicy
from modelops_git.spec.project import Project
from modelops_git.state_lock import exclusive

__all__ = ["Reporter", "RunOptions", "plan_run", "run"]

Reporter = Callable[[str, str, str], None]
"""(task key "pipeline/task", event, detail) -> None; events: start, up to date, disabled,
succeeded, failed, retry, interrupt, recovered."""


@dataclass(frozen=True)
class RunOptions:
    pipelines: tuple[str, ...] = ()
    env: str | None = None
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    force: bool = False
    resume: bool = False
    only: tuple[str, ...] = ()
    """Run just these "pipeline/task" keys (`mo run-task`); their upstream tasks are taken
    as done by whoever ran them (another CI job, another pod)."""
    run_id: str | None = None
    """Join this run (an engine's run of many `mo run-task` jobs) instead of starting one."""
    single_attempt: bool = False
    """The engine retries (Jenkins `retry`, Argo `retryStrategy`, Airflow `retries`): mo
    makes one attempt, so retries are not multiplied."""


def _key(pipeline: str, task: str) -> str:
    return f"{pipeline}/{task}"


@dataclass
class _Run:
    """Everything one run shares between its worker threads."""

    project: Project
    options: RunOptions
    plans: dict[str, Plan]
    lock: Lock
    hasher: HashCache
    record: RunRecord
    report: Reporter
    children: ChildProcesses = field(default_factory=ChildProcesses)
    stop: threading.Event = field(default_factory=threading.Event)
    hash_lock: threading.Lock = field(default_factory=threading.Lock)
    branch: str | None = None

    @property
    def root(self) -> Path:
        return self.project.root

    def task(self, key: str) -> tuple[str, PlannedTask]:
        pipeline, name = key.split("/", 1)
        return pipeline, self.plans[pipeline].task(name)


def _plans(project: Project, options: RunOptions) -> dict[str, Plan]:
    names = options.pipelines or tuple(project.spec.pipelines)
    if options.env is not None:
        project.env_source(options.env)
    plans = {name: compile_plan(project, name, options.env) for name in names}
    for key in options.only:
        pipeline, task = key.split("/", 1)
        if pipeline not in plans:
            raise ModelOpsError(f"unknown pipeline {pipeline!r}", f"pipelines: {', '.join(plans)}")
        plans[pipeline].task(task)
    return plans


def plan_run(project: Project, options: RunOptions) -> list[dict[str, Any]]:
    """What `mo run --dry-run` prints: per task, whether it would run and why."""
    plans = _plans(project, options)
    lock = read_lock(project.root)
    hasher = HashCache(project.root)
    will_run: set[str] = set()
    rows = []
    for pipeline, plan in plans.items():
        for task in plan.tasks:
            key = _key(pipeline, task.name)
            if not task.enabled:
                rows.append({"task": key, "action": "skip", "reasons": ["disabled by when"]})
                continue
            verdict = judge(task, lock.get(pipeline, {}).get(task.name), hasher, options.force)
            reasons = list(verdict.reasons)
            reasons += [
                f"upstream {need} runs" for need in task.needs if _key(pipeline, need) in will_run
            ]
            if reasons:
                will_run.add(key)
            rows.append(
                {
                    "task": key,
                    "action": "run" if reasons else "skip",
                    "reasons": reasons or ["up to date"],
                }
            )
    return rows


def run(project: Project, options: RunOptions, report: Reporter) -> RunRecord:
    """Run the plans; returns the record (its status says how it ended). Raises
    KeyboardInterrupt after recording an interrupted run."""
    root = project.root
    ignore_local_state(root)
    with exclusive(root / ".modelops" / "state" / "run.lock", "this work tree's runs"):
        for out in recover_interrupted(root):
            report(out, "recovered", "restored the copy from before an interrupted task")
        plans = _plans(project, options)
        run_id = options.run_id or (
            _resumed_run_id(root, options) if options.resume else new_run_id()
        )
        joined = load_record(root, run_id) if options.run_id else None
        record = RunRecord(
            run_id=run_id,
            pipelines=list(plans),
            env=options.env,
            commit=git.head_commit(root),
            dirty=git.is_dirty(root),
            user=git.user_identity(root),
            started=now(),
        )
        if joined is not None:
            record.started, record.tasks = joined.started, joined.tasks
        state = _Run(
            project,
            options,
            plans,
            read_lock(root),
            HashCache(root),
            record,
            report,
            branch=git.current_branch(root),
        )
        try:
            with _killed_by_sigterm(state):
                _execute(state)
        finally:
            state.hasher.save()
            record.ended = now()
            if _ran_anything(record):
                save_record(root, record)
    return record


@contextlib.contextmanager
def _killed_by_sigterm(state: _Run) -> Iterator[None]:
    """Engines stop a task with SIGTERM (Airflow's timeout, Argo's deadline, a Jenkins abort):
    the running commands are killed at once rather than left orphaned, their outs restored,
    and the run recorded as interrupted, as after a second Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def terminate(signum: int, frame: object) -> None:
        state.stop.set()
        state.children.kill_all()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _ran_anything(record: RunRecord) -> bool:
    """Runs where every task was up to date or disabled produce no lineage: no record."""
    return any(task.attempts for tasks in record.tasks.values() for task in tasks.values())


def ignore_local_state(root: Path) -> None:
    """Logs, temp copies and caches stay out of git even in repos `mo init` never touched."""
    ignore = root / ".modelops" / ".gitignore"
    if not ignore.exists():
        write_atomic(
            ignore,
            "# modelops-git local state (run records are shared as git refs)\n"
            "/runs/\n/tmp/\n/state/\n",
        )


def _resumed_run_id(root: Path, options: RunOptions) -> str:
    runs = sorted((root / ".modelops" / "runs").glob("*/record.json"), reverse=True)
    for path in runs:
        previous = RunRecord.from_json(path.read_text(encoding="utf-8"))
        if previous.status in ("interrupted", "failed") and previous.env == options.env:
            return previous.run_id
    raise ModelOpsError(
        "there is no interrupted or failed run to resume", "run `mo run` without --resume"
    )


def _execute(state: _Run) -> None:
    order = [_key(p, t.name) for p, plan in state.plans.items() for t in plan.tasks]
    needs = {
        _key(p, t.name): tuple(_key(p, n) for n in t.needs)
        for p, plan in state.plans.items()
        for t in plan.tasks
    }
    if state.options.only:
        selected = set(state.options.only)
        order = [key for key in order if key in selected]
        needs = {key: tuple(n for n in needs[key] if n in selected) for key in order}

    def on_interrupt(count: int) -> None:
        detail = (
            "stopping: running tasks finish, nothing new starts; Ctrl-C again kills them"
            if count == 1
            else "killing running tasks"
        )
        state.report("", "interrupt", detail)

    try:
        statuses = schedule(
            order,
            needs,
            state.options.jobs,
            lambda key: _run_task(state, key),
            state.stop,
            state.children,
            on_interrupt,
        )
    except KeyboardInterrupt:
        state.record.status = "interrupted"
        raise
    for key, status in statuses.items():
        pipeline, name = key.split("/", 1)
        state.record.tasks.setdefault(pipeline, {}).setdefault(name, TaskRecord(status=status))
    failed = any(
        task.status not in OK_STATUSES
        for tasks in state.record.tasks.values()
        for task in tasks.values()
    )
    state.record.status = "failed" if failed else "succeeded"


def _run_task(state: _Run, key: str) -> str:
    pipeline, task = state.task(key)
    entry = state.record.tasks.setdefault(pipeline, {})[task.name] = TaskRecord()
    entry.status = _decide_and_run(state, pipeline, task, entry)
    state.report(key, entry.status, "; ".join(entry.reasons))
    return entry.status


def _decide_and_run(state: _Run, pipeline: str, task: PlannedTask, entry: TaskRecord) -> str:
    if not task.enabled or not _on_allowed_branch(state, task):
        entry.reasons = ["disabled by when"]
        return "disabled"
    previous = state.lock.get(pipeline, {}).get(task.name)
    with state.hash_lock:
        verdict = judge(task, previous, state.hasher, state.options.force)
    if not verdict.stale:
        return "up to date"
    entry.reasons = list(verdict.reasons)
    state.report(_key(pipeline, task.name), "start", "; ".join(verdict.reasons))
    _fetch_missing_data(state.root, task)
    with state.hash_lock:
        deps = hashed(state.hasher, task.deps)
    log = state.root / ".modelops" / "runs" / state.record.run_id / f"{pipeline}.{task.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    entry.log = str(log.relative_to(state.root))
    outs = (*task.outs, *task.metrics)
    with OutsGuard(state.root, state.record.run_id, f"{pipeline}.{task.name}", outs) as guard:
        attempts = run_attempts(
            replace(task, retries=RetryPolicy()) if state.options.single_attempt else task,
            state.root,
            log,
            _task_env(state, pipeline, task),
            state.children,
            state.stop,
            guard.note_process,
        )
        entry.attempts = [asdict(attempt) for attempt in attempts]
        if attempts[-1].exit_code != 0 or not _outs_written(state.root, outs, entry):
            guard.rollback()
            return "failed"
        guard.commit()
    _remember_success(state, pipeline, task, entry, deps)
    return "succeeded"


def _on_allowed_branch(state: _Run, task: PlannedTask) -> bool:
    """`when.branches` is decided at run time, against the branch checked out now."""
    if task.when is None or not task.when.branches:
        return True
    branch = state.branch
    return branch is not None and any(fnmatch(branch, pattern) for pattern in task.when.branches)


def _outs_written(root: Path, outs: tuple[str, ...], entry: TaskRecord) -> bool:
    missing = [out for out in outs if not (root / out).exists()]
    if missing:
        entry.reasons.append(f"exited 0 but did not write {', '.join(missing)}")
    return not missing


def _remember_success(
    state: _Run, pipeline: str, task: PlannedTask, entry: TaskRecord, deps: tuple[Any, ...]
) -> None:
    with state.hash_lock:
        outs = hashed(state.hasher, (*task.outs, *task.metrics))
    metrics = {path: read_metrics(state.root / path) for path in task.metrics}
    lock = TaskLock(task.cmd, state.record.run_id, task.params_by_file, deps, outs, metrics)
    record_task(state.root, pipeline, task.name, lock)
    entry.deps = [d.to_data() for d in deps]
    entry.outs = [o.to_data() for o in outs]
    entry.params = task.params_by_file
    entry.metrics = metrics
    _track_artifacts(state, task)
    _ignore_outs(state, task)


def _track_artifacts(state: _Run, task: PlannedTask) -> None:
    """Outs that are declared models or datasets go to the DVC cache, so `dvc push`
    publishes exactly what this run produced."""
    spec = state.project.spec
    declared = {m.path for m in spec.models.values()} | {d.path for d in spec.datasets.values()}
    tracked = [out for out in task.outs if out in declared]
    if tracked and dvc.dvc_initialized(state.root):
        dvc.track(state.root, tracked)


def _ignore_outs(state: _Run, task: PlannedTask) -> None:
    """Outs are rebuilt from the lock, not versioned in git (as DVC does for stage outs):
    each gets a `/name` line in the .gitignore beside it. Metrics files stay committable,
    and outs git already tracks are left to the user."""
    tracked = git.tracked(state.root, "HEAD", list(task.outs)) if state.record.commit else set()
    for out in task.outs:
        path = PurePosixPath(out.strip("/"))
        if any(t == str(path) or t.startswith(f"{path}/") for t in tracked):
            continue
        append_missing_lines(
            state.root / path.parent / ".gitignore",
            [f"/{path.name}"],
            "outs of modelops-git tasks (rebuilt by `mo run`)",
        )


def _fetch_missing_data(root: Path, task: PlannedTask) -> None:
    missing = [
        dep for dep in task.deps if not (root / dep).exists() and (root / f"{dep}.dvc").is_file()
    ]
    if missing:
        dvc.pull(root, missing)


def _task_env(state: _Run, pipeline: str, task: PlannedTask) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "MO_RUN_ID": state.record.run_id,
            "MO_PIPELINE": pipeline,
            "MO_TASK": task.name,
            "MO_ENV": state.options.env or "",
        }
    )
    for name, value in task.env.items():
        env[name] = _resolve_reference(task.name, name, value)
    return env


def _resolve_reference(task: str, name: str, value: str) -> str:
    kind, sep, variable = value.partition(":")
    if not sep or kind not in ("env", "secret"):
        return value
    if variable not in os.environ:
        raise ModelOpsError(
            f"task {task!r} needs ${variable} for {name} ({value})",
            f"export {variable} before `mo run` (locally, secrets come from the environment)",
        )
    return os.environ[variable]
