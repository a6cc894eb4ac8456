"""`mo rollback ENV`: a promotion back to the version the environment ran before, under the
environment's rollback policy, with a hold so an automatic promotion does not bring the bad
version back until `mo hold release`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from modelops_git import git
from modelops_git.errors import ModelOpsError
from modelops_git.promotion.candidate import choose_model, read_base
from modelops_git.promotion.opening import Opened, PromoteRequest, open_promotion
from modelops_git.promotion.records import read_hold, write_hold
from modelops_git.registry import read_registry
from modelops_git.spec.project import Project

__all__ = ["release_hold", "rollback"]


def rollback(
    project: Project, env: str, model: str | None, to_version: str | None, reason: str
) -> Opened:
    root = project.root
    project.env_source(env)
    name = choose_model(project, model)
    entry = read_registry(root).models.get(name)
    current = read_base(root, None).pins(root, env).get(name) or (
        entry.in_env(env) if entry else None
    )
    if entry is None or current is None:
        raise ModelOpsError(f"{env} runs no version of {name}", "there is nothing to roll back")
    target = to_version or _previous(entry.events, env, current, entry.versions)
    policy = project.environment(env).promotion
    approvals = (
        policy.rollback_approvals if policy.rollback_approvals is not None else policy.approvals
    )
    opened = open_promotion(
        project,
        PromoteRequest(env, env, name, target, kind="rollback", required_approvals=approvals),
    )
    if opened.created and policy.hold_on_rollback:
        hold = {
            "version": current,
            "reason": reason or f"rolled back to {target}",
            "by": git.user_identity(root),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "promotion": opened.record.id,
        }
        write_hold(root, env, name, hold)
    return opened


def _previous(events: list[Any], env: str, current: str, versions: dict[str, Any]) -> str:
    """The version assigned to `env` most recently before `current` (still registered)."""
    for event in sorted(events, key=lambda e: e.number, reverse=True):
        if event.env != env or event.unassign or event.version in (None, current):
            continue
        if not versions[event.version].deregistered:
            return str(event.version)
    raise ModelOpsError(
        f"{env} ran no other version before {current}", "pass --to VERSION to choose one"
    )


def release_hold(project: Project, env: str, model: str | None) -> dict[str, Any]:
    name = choose_model(project, model)
    hold = read_hold(project.root, env, name)
    write_hold(project.root, env, name, None)
    return {"env": env, "model": name, "released": hold}
