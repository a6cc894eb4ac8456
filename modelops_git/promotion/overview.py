"""`mo status` and `mo history --env`: what each environment pins, runs and is waiting for,
and what ran there at any date, who approved it and from which promotion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from modelops_git import git
from modelops_git.errors import ModelOpsError
from modelops_git.promotion.candidate import read_base
from modelops_git.promotion.policy import judge_reviews
from modelops_git.promotion.records import load_promotions, read_hold
from modelops_git.registry import Event, read_registry
from modelops_git.spec.check_envs import parse_instant
from modelops_git.spec.project import Project

__all__ = ["env_history", "status"]


def status(project: Project) -> dict[str, Any]:
    root = project.root
    base = read_base(root, None)
    entries = read_registry(root).models
    promotions = [r for r in load_promotions(root) if r.status == "open"]
    environments = []
    for env in project.env_names:
        pins = base.pins(root, env)
        models = sorted(set(pins) | {m for m, e in entries.items() if e.in_env(env)})
        rows = []
        for model in models:
            entry = entries.get(model)
            rows.append(
                {
                    "model": model,
                    "pinned": pins.get(model),
                    "deployed": entry.in_env(env) if entry else None,
                    "hold": (read_hold(root, env, model) or {}).get("version"),
                }
            )
        policy = project.environment(env).promotion
        waiting = []
        for record in (r for r in promotions if r.to_env == env):
            head = git.ref_sha(root, f"refs/heads/{record.branch}") or record.head
            verdict = judge_reviews(root, record, record.reviews, policy, head)
            waiting.append(
                {
                    "id": record.id,
                    "model": record.model,
                    "version": record.version,
                    "kind": record.kind,
                    "approvals": f"{len(verdict.approved_by)}/{record.required_approvals}",
                    "blocking": verdict.blocking,
                }
            )
        environments.append({"env": env, "models": rows, "open_promotions": waiting})
    return {"branch": base.branch, "environments": environments}


def env_history(project: Project, env: str, at: str | None) -> dict[str, Any]:
    """Every assignment event of `env` (oldest first) and, at `at` (default: now), which
    version of each model it held."""
    project.env_source(env)
    moment = parse_instant(at) if at else None
    if at and moment is None:
        raise ModelOpsError(
            f"--at {at!r} is not a date", "write an ISO 8601 date or date-time, e.g. 2026-05-01"
        )
    registry = read_registry(project.root)
    events: list[dict[str, Any]] = []
    held: dict[str, dict[str, Any]] = {}
    for model, entry in sorted(registry.models.items()):
        mine = sorted((e for e in entry.events if e.env == env), key=lambda e: e.number)
        for event in mine:
            events.append(_event_data(model, event))
        upto = [e for e in mine if moment is None or _when(e) <= moment]
        if upto:
            replay = type(entry)(entry.name, entry.versions, upto)
            version = replay.in_env(env)
            if version is not None:
                last = max((e for e in upto if e.version == version), key=lambda e: e.number)
                held[model] = _event_data(model, last)
    events.sort(key=lambda e: (e["date"], e["model"], e["number"]))
    return {"env": env, "at": at, "held": held, "events": events}


def _when(event: Event) -> datetime:
    return parse_instant(event.created) or datetime.min.replace(tzinfo=UTC)


def _event_data(model: str, event: Event) -> dict[str, Any]:
    return {
        "model": model,
        "version": event.version,
        "action": "unassigned" if event.unassign else "assigned",
        "number": event.number,
        "date": event.created,
        "promotion": event.notes.get("promotion-id"),
        "approved_by": event.notes.get("approved-by"),
        "pull_request": event.notes.get("pull-request"),
        "merge_commit": event.notes.get("merge-commit"),
        "kind": event.notes.get("kind"),
    }
