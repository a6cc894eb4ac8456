"""Which pipelines and tasks a change affects, and why: from git and pointers alone.

Data files are never read: a dataset changed when its DVC pointer's md5 changed. Params
count by the value of each key a task reads, not by the file. Imports stay light (no DVC,
no jsonschema): this runs inside git hooks and CI start-up.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from modelops_git import dvc, git
from modelops_git.errors import ModelOpsError
from modelops_git.spec.check_params import is_missing, lookup
from modelops_git.spec.edges import TaskIO, infer_needs
from modelops_git.spec.overlay import deep_merge
from modelops_git.spec.refs import resolve_entry

__all__ = ["Affected", "Snapshot", "affected"]

SPEC = "modelops.yaml"
ENV_DIR = "environments/"
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class Snapshot:
    """Files as of a revision, the index (`:`) or the working tree (None), read on demand."""

    root: Path
    rev: str | None
    _cache: dict[str, str | None] = field(default_factory=dict)
    _parsed: dict[str, Any] = field(default_factory=dict)

    def read_many(self, paths: Iterable[str]) -> None:
        wanted = [p for p in paths if p not in self._cache]
        if self.rev is None:
            for path in wanted:
                file = self.root / path
                self._cache[path] = file.read_text(encoding="utf-8") if file.is_file() else None
            return
        prefix = ":" if self.rev == ":" else f"{self.rev}:"
        for path, text in zip(
            wanted, git.read_objects(self.root, [prefix + p for p in wanted]), strict=True
        ):
            self._cache[path] = text

    def read(self, path: str) -> str | None:
        self.read_many([path])
        return self._cache[path]

    def yaml(self, path: str) -> Any:
        if path not in self._parsed:
            self._parsed[path] = self._parse(path)
        return self._parsed[path]

    def _parse(self, path: str) -> Any:
        text = self.read(path)
        if text is None:
            return None
        try:
            return yaml.load(text, Loader=_SAFE_LOADER)  # noqa: S506 - the safe loader, in C
        except yaml.YAMLError as exc:
            raise ModelOpsError(
                f"{path} is not valid YAML ({exc.__class__.__name__})",
                "run `mo validate` to see where",
            ) from None


@dataclass
class Affected:
    tasks: dict[str, list[str]] = field(default_factory=dict)
    triggers: list[dict[str, Any]] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        pipelines = sorted({key.split("/", 1)[0] for key in self.tasks})
        return {
            "changed_files": self.changed,
            "pipelines": pipelines,
            "tasks": [
                {"pipeline": key.split("/", 1)[0], "task": key.split("/", 1)[1], "reasons": reasons}
                for key, reasons in self.tasks.items()
            ],
            "triggers": self.triggers,
            "matrix": {"include": [{"pipeline": name} for name in pipelines]},
        }


def affected(
    root: Path, base: str, head: str | None, mode: str, env: str | None = None
) -> Affected:
    """`mode` is "rev" (base..head), "staged" (base vs the index) or "worktree"."""
    _require_commit(root, base)
    if mode == "rev":
        _require_commit(root, head or "HEAD")
    changed = _changed_files(root, base, head or "HEAD", mode)
    old = Snapshot(root, base)
    new = Snapshot(root, {"rev": head or "HEAD", "staged": ":", "worktree": None}[mode])
    result = Affected(changed=sorted(changed))
    spec = new.yaml(SPEC)
    if spec is None:
        _plain_dvc(result, old, new, set(changed))
    else:
        _mo_project(result, old, new, set(changed), spec, env)
    return result


def _require_commit(root: Path, rev: str) -> None:
    try:
        git.resolve(root, rev)
    except ModelOpsError:
        shallow = git.is_shallow(root)
        raise ModelOpsError(
            f"revision {rev!r} is not in this clone"
            + (" (it is a shallow clone)" if shallow else ""),
            "fetch it first: `git fetch origin <branch>`; in GitHub Actions set `fetch-depth: 0` "
            "on actions/checkout (the default clone has only the last commit)",
        ) from None


def _changed_files(root: Path, base: str, head: str, mode: str) -> list[str]:
    if mode == "rev":
        return git.changed_files(root, base, head)
    if mode == "staged":
        return git.diff_names(root, "--cached", base)
    return sorted(set(git.diff_names(root, base)) | set(git.untracked(root)))


def _ancestors(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


class _Changes:
    """Changed paths, with every directory that contains one, for prefix questions."""

    def __init__(self, changed: set[str]) -> None:
        self.files = changed
        self.dirs = {ancestor for path in changed for ancestor in _ancestors(path)}

    def under(self, path: str) -> list[str]:
        path = path.strip("/")
        if path in self.files:
            return [path]
        return (
            sorted(f for f in self.files if f.startswith(path + "/")) if path in self.dirs else []
        )

    def pointers_for(self, path: str) -> list[str]:
        """Changed `.dvc` pointers tracking `path`, a directory holding it, or data inside it."""
        path = path.strip("/")
        return sorted(
            p
            for p in self.files
            if p.endswith(".dvc")
            and (p[:-4] == path or path.startswith(p[:-4] + "/") or p[:-4].startswith(path + "/"))
        )


def _pointer_md5(snapshot: Snapshot, pointer: str) -> str | None:
    text = snapshot.read(pointer)
    return dvc.pointer_md5(text) if text else None


def _shown(value: Any) -> str:
    return "(missing)" if is_missing(value) else repr(value)


def _param_refs(task: dict[str, Any], default_file: str) -> list[tuple[str, str]]:
    refs: list[tuple[str, str]] = []
    for entry in task.get("params") or ():
        if isinstance(entry, str):
            refs.append((default_file, entry))
        elif isinstance(entry, dict):
            refs.extend((file, key) for file, keys in entry.items() for key in keys or ())
    return refs


def _param_reasons(
    refs: list[tuple[str, str]],
    changes: _Changes,
    old: Snapshot,
    new: Snapshot,
    env_params: tuple[Any, Any] = ({}, {}),
) -> list[str]:
    reasons = []
    for file, key in refs:
        if file not in changes.files and env_params == ({}, {}):
            continue
        before, after = old.yaml(file) or {}, new.yaml(file) or {}
        before, after = deep_merge(before, env_params[0]), deep_merge(after, env_params[1])
        was, now = lookup(before, key), lookup(after, key)
        if was != now:
            reasons.append(f"param {key}: {_shown(was)} -> {_shown(now)}")
    return reasons


def _path_reasons(deps: list[str], changes: _Changes, old: Snapshot, new: Snapshot) -> list[str]:
    reasons = []
    for dep in deps:
        for pointer in changes.pointers_for(dep):
            was, now = _pointer_md5(old, pointer), _pointer_md5(new, pointer)
            if was != now:
                reasons.append(
                    f"data {pointer[:-4]} md5 {(was or 'none')[:12]} -> {(now or 'none')[:12]}"
                )
        files = [f for f in changes.under(dep) if not f.endswith(".dvc")]
        if files:
            shown = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            reasons.append(f"code {shown} changed")
    return reasons


def _mo_project(
    result: Affected,
    old: Snapshot,
    new: Snapshot,
    changed: set[str],
    spec: dict[str, Any],
    env: str | None,
) -> None:
    changes = _Changes(changed)
    old_spec = old.yaml(SPEC) if SPEC in changed else spec
    env_files = [p for p in changed if p.startswith(ENV_DIR) and p.endswith(".yaml")]
    if env is not None:
        env_files = [p for p in env_files if p == f"{ENV_DIR}{env}.yaml"]
    default_file = spec.get("params_file", "params.yaml")
    new.read_many({f for t in _all_tasks(spec) for f, _ in _param_refs(t[2], default_file)})
    for pipeline, pipeline_body in (spec.get("pipelines") or {}).items():
        tasks = pipeline_body.get("tasks") or {}
        own: dict[str, list[str]] = {}
        produced = {
            resolve_entry(o, spec) or o
            for t in tasks.values()
            for o in [*(t.get("outs") or ()), *(t.get("metrics") or ())]
        }
        for name, task in tasks.items():
            # Outs of other tasks change because those tasks ran: "upstream" says it.
            deps = [
                d
                for d in (resolve_entry(d, spec) or d for d in task.get("deps") or ())
                if d not in produced
            ]
            reasons = _path_reasons(deps, changes, old, new)
            reasons += _param_reasons(_param_refs(task, default_file), changes, old, new)
            reasons += _spec_reasons(pipeline, name, task, old_spec)
            reasons += _env_reasons(
                pipeline, name, env_files, old, new, spec, old_spec, default_file, changes
            )
            own[name] = reasons
        _propagate(result, pipeline, tasks, own, spec)
    result.triggers = _fired(spec, result, changes, old, new)


def _all_tasks(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (p, n, t)
        for p, body in (spec.get("pipelines") or {}).items()
        for n, t in (body.get("tasks") or {}).items()
    ]


def _spec_reasons(pipeline: str, name: str, task: dict[str, Any], old_spec: Any) -> list[str]:
    before = (((old_spec or {}).get("pipelines") or {}).get(pipeline) or {}).get("tasks") or {}
    if name not in before:
        return ["new task"]
    return ["task spec changed"] if before[name] != task else []


def _env_reasons(
    pipeline: str,
    name: str,
    env_files: list[str],
    old: Snapshot,
    new: Snapshot,
    spec: dict[str, Any],
    old_spec: Any,
    default_file: str,
    changes: _Changes,
) -> list[str]:
    reasons = []
    for path in env_files:
        was, now = old.yaml(path) or {}, new.yaml(path) or {}
        # Today's spec under both versions of the overrides: only the override's own change.
        task_was = _task_of(deep_merge(spec, was.get("overrides") or {}), pipeline, name)
        task_now = _task_of(deep_merge(spec, now.get("overrides") or {}), pipeline, name)
        env = path[len(ENV_DIR) : -len(".yaml")]
        if task_was != task_now:
            reasons.append(f"override in {path} changed")
        refs = _param_refs(task_now or {}, default_file)
        params = (was.get("params") or {}, now.get("params") or {})
        if params[0] != params[1]:
            reasons += [f"{r} (env {env})" for r in _param_reasons(refs, changes, old, new, params)]
    return reasons


def _task_of(spec: dict[str, Any], pipeline: str, name: str) -> Any:
    return (((spec.get("pipelines") or {}).get(pipeline) or {}).get("tasks") or {}).get(name)


def _propagate(
    result: Affected,
    pipeline: str,
    tasks: dict[str, Any],
    own: dict[str, list[str]],
    spec: dict[str, Any],
) -> None:
    """Tasks downstream of an affected task are affected too, in DAG order."""
    io = {
        name: TaskIO(
            list(t.get("needs") or ()),
            [resolve_entry(d, spec) or d for d in t.get("deps") or ()],
            [resolve_entry(o, spec) or o for o in t.get("outs") or ()],
            list(t.get("metrics") or ()),
        )
        for name, t in tasks.items()
    }
    needs = infer_needs(io)
    hit: dict[str, list[str]] = {}
    pending = list(tasks)
    while pending:
        progressed = False
        for name in list(pending):
            if any(need in pending for need in needs[name]):
                continue
            reasons = list(own[name]) + [
                f"upstream {need} affected" for need in needs[name] if need in hit
            ]
            if reasons:
                hit[name] = reasons
            pending.remove(name)
            progressed = True
        if not progressed:  # a cycle: `mo validate` reports it; count everything left as hit
            hit.update({name: own[name] or ["in a cycle"] for name in pending})
            break
    for name, reasons in hit.items():
        result.tasks[f"{pipeline}/{name}"] = reasons


def _fired(
    spec: dict[str, Any], result: Affected, changes: _Changes, old: Snapshot, new: Snapshot
) -> list[dict[str, Any]]:
    fired = []
    datasets = spec.get("datasets") or {}
    default_file = spec.get("params_file", "params.yaml")
    for name, trigger in (spec.get("triggers") or {}).items():
        kind = trigger.get("on")
        why: list[str] = []
        if kind == "data_changed":
            names = trigger.get("datasets") or list(datasets)
            paths = [datasets[n]["path"] for n in names if n in datasets]
            why = [r for r in _path_reasons(paths, changes, old, new) if r.startswith("data ")]
        elif kind == "code_changed":
            why = [
                f"{f} changed"
                for f in sorted(changes.files)
                if any(fnmatch.fnmatch(f, pattern) for pattern in trigger.get("paths") or ())
            ]
        elif kind == "params_changed":
            refs = [(default_file, key) for key in trigger.get("params") or ()]
            why = _param_reasons(refs, changes, old, new)
        elif kind == "spec_changed":
            why = [
                f"{f} changed" for f in sorted(changes.files) if f == SPEC or f.startswith(ENV_DIR)
            ]
        if why:
            fired.append(
                {
                    "trigger": name,
                    "on": kind,
                    "pipeline": trigger.get("pipeline"),
                    "env": trigger.get("env", "dev"),
                    "reasons": why,
                }
            )
    return fired


def _plain_dvc(result: Affected, old: Snapshot, new: Snapshot, changed: set[str]) -> None:
    """A DVC project without modelops.yaml: dvc.yaml stages are the tasks."""
    stages = (new.yaml("dvc.yaml") or {}).get("stages")
    if not stages:
        raise ModelOpsError(
            "neither modelops.yaml nor dvc.yaml stages here",
            "run `mo init`, or run mo in a DVC project's root",
        )
    changes = _Changes(changed)
    old_stages = (
        (old.yaml("dvc.yaml") or {}).get("stages") or {} if "dvc.yaml" in changed else stages
    )
    old_lock = _lock_deps(old.read("dvc.lock")) if "dvc.lock" in changed else {}
    new_lock = _lock_deps(new.read("dvc.lock")) if "dvc.lock" in changed else {}
    own: dict[str, list[str]] = {}
    tasks: dict[str, Any] = {}
    for name, stage in stages.items():
        stage = stage if isinstance(stage, dict) else {}
        deps = [str(d) for d in stage.get("deps") or ()]
        tasks[name] = {"deps": deps, "outs": _stage_outs(stage)}
        produced = {out for other in stages.values() for out in _stage_outs(other)}
        reasons = _path_reasons([d for d in deps if d not in produced], changes, old, new)
        reasons += _param_reasons(_param_refs(stage, "params.yaml"), changes, old, new)
        if name in old_stages and old_stages[name] != stage:
            reasons.append("stage changed in dvc.yaml")
        for path, md5 in new_lock.get(name, {}).items():
            if path not in produced and old_lock.get(name, {}).get(path, md5) != md5:
                reasons.append(f"dvc.lock: dep {path} md5 changed")
        own[name] = reasons
    _propagate(result, "dvc", tasks, own, {})


def _stage_outs(stage: Any) -> list[str]:
    if not isinstance(stage, dict):
        return []
    entries = [*(stage.get("outs") or ()), *(stage.get("metrics") or ())]
    return [next(iter(o)) if isinstance(o, dict) else str(o) for o in entries]


def _lock_deps(text: str | None) -> dict[str, dict[str, str]]:
    """Per stage, the md5 of each dep that `dvc.lock` recorded."""
    return {
        stage: {dep["path"]: dep["md5"] for dep in body["deps"]}
        for stage, body in (dvc.parse_dvc_lock(text) if text else {}).items()
    }
