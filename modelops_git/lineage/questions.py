"""The questions auditors and ML engineers ask of a repository's history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from modelops_git import dvc, git
from modelops_git.errors import ModelOpsError
from modelops_git.lineage.snapshots import Snapshot, snapshots
from modelops_git.lockfile import LOCK_FILE, TaskLock, read_lock
from modelops_git.metrics import read_metrics
from modelops_git.run.records import load_record, load_records

__all__ = ["history", "lineage", "metrics_diff", "why"]


def _split_rev(target: str) -> tuple[str, str]:
    name, sep, rev = target.rpartition("@")
    return (name, rev) if sep and name else (target, "HEAD")


def _model_paths(root: Path, rev: str) -> dict[str, str]:
    """Declared models at `rev` (name -> path), from the spec as it was then."""
    text = git.show_file(root, rev, "modelops.yaml")
    try:
        data = yaml.safe_load(text) if text else {}
    except yaml.YAMLError:
        return {}
    models = (data or {}).get("models") or {}
    return {name: body["path"] for name, body in models.items() if isinstance(body, dict)}


def _snapshot(root: Path, rev: str, name: str = "") -> Snapshot:
    """At `rev`; for a model, `rev` may be a registered version (MODEL@vX.Y.Z)."""
    registered = git.ref_sha(root, f"refs/tags/{name}@{rev}") if name else None
    sha = registered or git.resolve(root, rev)
    return snapshots(root, [git.Commit(sha, "", "", "")])[0]


def lineage(root: Path, target: str) -> dict[str, Any]:
    """What produced a model or path at a revision: its task, data, code, params, upstream."""
    name, rev = _split_rev(target)
    snap = _snapshot(root, rev, name)
    path = _model_paths(root, snap.commit.sha).get(name, name)
    found = snap.producer(path)
    if found is None:
        raise ModelOpsError(
            f"nothing in the {snap.source or 'lock'} of {rev} produced {path!r}",
            "run `mo run` and commit modelops.lock (or dvc.lock), or name an out of a task",
        )
    task_name, task = found
    out = next(o for o in task.outs if path == o.path or path.startswith(o.path + "/"))
    config = git.show_file(root, snap.commit.sha, ".dvc/config")
    chain = _upstream(snap, task_name, task)
    record = _record(root, task.run_id)
    return {
        "target": name,
        "path": path,
        "md5": out.md5,
        "commit": snap.commit.sha,
        "source": snap.source,
        "task": task_name,
        **_inputs(root, snap, task),
        "run": record,
        "dvc_remote": dvc.default_remote_url(config) if config else None,
        "upstream": [{"task": n, **_inputs(root, snap, t)} for n, t in chain],
    }


def _inputs(root: Path, snap: Snapshot, task: TaskLock) -> dict[str, Any]:
    """A task's deps split into data (DVC-tracked or produced) and code (files git tracks)."""
    tracked = git.tracked(root, snap.commit.sha, [d.path for d in task.deps])
    code = [d.to_data() for d in task.deps if d.path in tracked]
    data = [d.to_data() for d in task.deps if d.path not in tracked]
    return {
        "cmd": task.cmd,
        "run_id": task.run_id,
        "data": data,
        "code": code,
        "params": task.params,
        "outs": [o.path for o in task.outs],
    }


def _upstream(snap: Snapshot, name: str, task: TaskLock) -> list[tuple[str, TaskLock]]:
    seen, chain, pending = {name}, [], list(task.deps)
    while pending:
        dep = pending.pop(0)
        found = snap.producer(dep.path)
        if found is not None and found[0] not in seen:
            seen.add(found[0])
            chain.append(found)
            pending.extend(found[1].deps)
    return chain


def _record(root: Path, run_id: str) -> dict[str, Any] | None:
    record = load_record(root, run_id) if run_id else None
    if record is None:
        return None
    return {
        "run_id": run_id,
        "user": record.user,
        "started": record.started,
        "env": record.env,
        "commit": record.commit,
        "dirty": record.dirty,
    }


def history(root: Path, name: str, env: str | None = None) -> list[dict[str, Any]]:
    """Values of a metric (or a model's md5) across commits, oldest first; with `env`,
    across that environment's recorded runs instead."""
    if env is not None:
        return _history_of_runs(root, name, env)
    model_path = _model_paths(root, "HEAD").get(name)
    rows: list[dict[str, Any]] = []
    for snap in reversed(snapshots(root, git.log(root, ["HEAD"]))):
        value: Any = _model_md5(snap, model_path) if model_path else snap.metric(name)
        if value is not None and (not rows or rows[-1]["value"] != value):
            rows.append(
                {
                    "commit": snap.commit.sha,
                    "date": snap.commit.date,
                    "author": snap.commit.author,
                    "subject": snap.commit.subject,
                    "value": value,
                }
            )
    if not rows:
        raise ModelOpsError(
            f"no commit records {name!r}",
            "name a declared model or a metric written by a task, and commit "
            "modelops.lock after `mo run`",
        )
    return rows


def _model_md5(snap: Snapshot, path: str) -> str | None:
    found = snap.producer(path)
    return next((o.md5 for o in found[1].outs if o.path == path), None) if found else None


def _history_of_runs(root: Path, name: str, env: str) -> list[dict[str, Any]]:
    rows = []
    for record in load_records(root):
        if record.env != env:
            continue
        for tasks in record.tasks.values():
            for task in tasks.values():
                for values in task.metrics.values():
                    if name in values:
                        rows.append(
                            {
                                "run_id": record.run_id,
                                "commit": record.commit,
                                "date": record.started,
                                "author": record.user,
                                "value": values[name],
                            }
                        )
    return rows


def metrics_diff(
    root: Path, before: str = "HEAD", after: str | None = None
) -> list[dict[str, Any]]:
    """Metrics at `before` against `after` (default: the working tree), per file and name."""
    old = _snapshot(root, before).metrics
    new = _snapshot(root, after).metrics if after else _working_metrics(root)
    rows = []
    for file in sorted(set(old) | set(new)):
        names = sorted(set(old.get(file, {})) | set(new.get(file, {})))
        for name in names:
            a, b = old.get(file, {}).get(name), new.get(file, {}).get(name)
            change = b - a if isinstance(a, int | float) and isinstance(b, int | float) else None
            rows.append({"file": file, "metric": name, "old": a, "new": b, "change": change})
    return rows


def _working_metrics(root: Path) -> dict[str, dict[str, Any]]:
    if (root / LOCK_FILE).exists():
        metrics: dict[str, dict[str, Any]] = {}
        for tasks in read_lock(root).values():
            for task in tasks.values():
                metrics.update(task.metrics)
        return metrics
    files = (
        dvc.metrics_files((root / "dvc.yaml").read_text()) if (root / "dvc.yaml").exists() else []
    )
    return {file: read_metrics(root / file) for file in files}


def why(
    root: Path, metric: str, start: str | None = None, end: str = "HEAD", top: int = 3
) -> dict[str, Any]:
    """The commits where `metric` moved most between `start` and `end`, and what changed in
    them: data hashes, code files, params values, commands."""
    revisions = [f"{start}..{end}"] if start else [end]
    history_ = list(reversed(snapshots(root, git.log(root, revisions))))
    moves, previous = [], None
    for snap in history_:
        value = snap.metric(metric)
        if value is None:
            continue
        if previous is not None and value != previous[1]:
            moves.append((previous[0], snap, previous[1], value))
        previous = (snap, value)
    if previous is None:
        raise ModelOpsError(
            f"no commit in that range records the metric {metric!r}",
            "check the name (`mo metrics diff` lists them) and the range",
        )
    moves.sort(key=lambda move: abs(move[3] - move[2]), reverse=True)
    return {
        "metric": metric,
        "commits": len(history_),
        "moves": [_explain_move(root, *move) for move in moves[:top]],
    }


def _explain_move(
    root: Path, before: Snapshot, after: Snapshot, old: float, new: float
) -> dict[str, Any]:
    files = [
        path
        for path in git.changed_files(root, before.commit.sha, after.commit.sha)
        if not _written_by_mo_or_tasks(after, path)
    ]
    changed = _task_changes(root, before, after)
    return {
        "commit": after.commit.sha,
        "date": after.commit.date,
        "author": after.commit.author,
        "subject": after.commit.subject,
        "since": before.commit.sha,
        "old": old,
        "new": new,
        "change": round(new - old, 10),
        "data": changed["data"],
        "code": sorted(set(changed["code"]) | set(files)),
        "params": changed["params"],
        "cmd": changed["cmd"],
    }


def _written_by_mo_or_tasks(snap: Snapshot, path: str) -> bool:
    """Lock files, task outs and their DVC pointers change *because* of a run: not causes."""
    if path in (LOCK_FILE, "dvc.lock"):
        return True
    return snap.producer(path.removesuffix(".dvc")) is not None


def _task_changes(root: Path, before: Snapshot, after: Snapshot) -> dict[str, list[Any]]:
    """Root causes only: deps another task produces change because of these."""
    changes: dict[str, list[Any]] = {"data": [], "code": [], "params": [], "cmd": []}
    moved: dict[str, dict[str, str]] = {}
    for name, task in after.tasks.items():
        old = before.tasks.get(name)
        if old is None:
            continue
        if old.cmd != task.cmd:
            changes["cmd"].append({"task": name, "old": old.cmd, "new": task.cmd})
        old_deps = {d.path: d.md5 for d in old.deps}
        for dep in task.deps:
            if old_deps.get(dep.path, dep.md5) != dep.md5 and after.producer(dep.path) is None:
                moved[dep.path] = {"path": dep.path, "old": old_deps[dep.path], "new": dep.md5}
        for file, values in task.params.items():
            for key, value in values.items():
                entry = {"key": key, "old": old.params.get(file, {}).get(key), "new": value}
                if entry["old"] != value and entry not in changes["params"]:
                    changes["params"].append(entry)
    tracked = git.tracked(root, after.commit.sha, list(moved))
    changes["code"] = sorted(path for path in moved if path in tracked)
    changes["data"] = [entry for path, entry in moved.items() if path not in tracked]
    return changes
