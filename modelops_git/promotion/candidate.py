"""Which version a promotion moves, from where, and what it replaces: read from the base
branch as committed (the promotion commits on top of it), and from the registry tags."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelops_git import git
from modelops_git.errors import ModelOpsError
from modelops_git.promotion.gates import Candidate
from modelops_git.registry import ModelEntry, read_registry
from modelops_git.spec.project import ENV_DIR, Project
from modelops_git.spec.yaml_source import load_yaml_text

__all__ = ["Base", "choose_model", "env_file", "read_base", "resolve_candidate"]


def env_file(env: str) -> str:
    return f"{ENV_DIR}/{env}.yaml"


@dataclass(frozen=True)
class Base:
    branch: str
    sha: str

    def pins(self, root: Path, env: str) -> dict[str, str]:
        """`models:` of the env file at this commit (a syntax error is an error here)."""
        text = git.show_file(root, self.sha, env_file(env))
        if text is None:
            return {}
        data = load_yaml_text(text, env_file(env)).data
        models = data.get("models") if isinstance(data, dict) else None
        return {str(k): str(v) for k, v in (models or {}).items()}

    def env_text(self, root: Path, env: str) -> str:
        text = git.show_file(root, self.sha, env_file(env))
        if text is None:
            raise ModelOpsError(
                f"{env_file(env)} is not committed on {self.branch}",
                f"commit it first: git add {env_file(env)} && git commit",
            )
        return text


def read_base(root: Path, branch: str | None) -> Base:
    name = branch or git.current_branch(root)
    if name is None:
        raise ModelOpsError(
            "HEAD is detached: promotions merge into a branch",
            "check out the branch environments live on (e.g. git switch main), or pass --base",
        )
    sha = git.ref_sha(root, f"refs/heads/{name}")
    if sha is None:
        raise ModelOpsError(f"branch {name!r} has no commits", "commit the project first")
    return Base(name, sha)


def choose_model(project: Project, model: str | None) -> str:
    declared = list(project.spec.models)
    if model is not None:
        if model not in declared:
            raise ModelOpsError(
                f"unknown model {model!r} (declared: {', '.join(declared) or 'none'})",
                "declare it under models: in modelops.yaml",
            )
        return model
    if len(declared) == 1:
        return declared[0]
    raise ModelOpsError(
        f"which model? declared: {', '.join(declared) or 'none'}", "pass --model NAME"
    )


def resolve_candidate(
    project: Project, base: Base, model: str, from_env: str, to_env: str, version: str | None
) -> Candidate:
    """The version to promote: `version`, else what FROM pins, else what the registry says
    FROM runs, else (FROM being the first environment) the latest registered version."""
    root = project.root
    entry = read_registry(root).models.get(model)
    if entry is None or not entry.live_versions():
        raise ModelOpsError(f"{model} has no registered version", f"run: mo register {model}")
    source_is_first = project.environment(from_env).promotion.from_env is None
    chosen = (
        version
        or base.pins(root, from_env).get(model)
        or entry.in_env(from_env)
        or (entry.latest() if source_is_first else None)
    )
    if chosen is None:
        raise ModelOpsError(
            f"{from_env} runs no version of {model}",
            f"promote into {from_env} first, or pass --version",
        )
    _require_registered(entry, chosen)
    pinned = base.pins(root, to_env).get(model) or entry.in_env(to_env)
    return Candidate(
        model=model,
        version=chosen,
        commit=entry.versions[chosen].commit,
        in_source_since=_entered(entry, from_env, chosen),
        pinned_version=pinned,
        pinned_commit=entry.versions[pinned].commit if pinned in entry.versions else None,
    )


def _require_registered(entry: ModelEntry, version: str) -> None:
    found = entry.versions.get(version)
    if found is None or found.deregistered:
        known = ", ".join(v.version for v in entry.live_versions())
        raise ModelOpsError(
            f"{entry.name}@{version} is not registered (registered: {known})",
            f"pick one of those, or register it: mo register {entry.name} --version {version}",
        )


def _entered(entry: ModelEntry, env: str, version: str) -> str | None:
    """When `version` last entered `env`, or when it was registered if it never did."""
    events = [e for e in entry.events if e.env == env and e.version == version and not e.unassign]
    if events:
        return max(events, key=lambda e: e.number).created
    return entry.versions[version].created
