"""`mo promote FROM TO`: judge the gates, then open exactly one promotion per (env, model).

The branch `modelops/promote/<TO>/<MODEL>` is created by compare-and-swap from nothing, so of
any number of concurrent promoters exactly one opens it; the others find it and say which
promotion is open. The record is rebuilt from the branch's commit trailers, so a promoter
that died between the branch and the record is repaired by the next run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelops_git import git
from modelops_git.errors import ModelOpsError
from modelops_git.promotion.candidate import Base, choose_model, env_file, read_base
from modelops_git.promotion.candidate import resolve_candidate as candidate_for
from modelops_git.promotion.gates import Candidate, GateResult, evaluate_gates
from modelops_git.promotion.pin_edit import set_pin
from modelops_git.promotion.pr_body import promotion_body
from modelops_git.promotion.records import (
    PromotionRecord,
    change_record,
    find_record,
    load_promotions,
    read_hold,
)
from modelops_git.promotion.trailers import parse_trailers, with_trailers
from modelops_git.run.records import load_records
from modelops_git.spec.project import Project

__all__ = ["GatesFailed", "Opened", "PromoteRequest", "branch_name", "open_promotion"]


class GatesFailed(ModelOpsError):
    """A gate failed: nothing was written. Carries every gate's result for the table."""

    def __init__(self, results: list[GateResult], candidate: Candidate, to_env: str) -> None:
        failed = [r.gate for r in results if not r.passed]
        super().__init__(
            f"{candidate.model} {candidate.version} cannot go to {to_env}: "
            f"gate{'s' if len(failed) > 1 else ''} {', '.join(failed)} failed",
            "fix what the table shows (train a better model, wait out the soak or the freeze)",
        )
        self.results = results


@dataclass(frozen=True)
class PromoteRequest:
    from_env: str
    to_env: str
    model: str | None = None
    version: str | None = None
    base: str | None = None
    kind: str = "promotion"
    required_approvals: int | None = None
    now: datetime | None = None


@dataclass
class Opened:
    record: PromotionRecord
    created: bool
    gates: list[GateResult] = field(default_factory=list)
    candidate: Candidate | None = None
    pin_text: str = ""

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.record.id,
            "created": self.created,
            "status": self.record.status,
            "model": self.record.model,
            "version": self.record.version,
            "from": self.record.from_env,
            "to": self.record.to_env,
            "branch": self.record.branch,
            "head": self.record.head,
            "replaces": self.record.replaces,
            "required_approvals": self.record.required_approvals,
            "gates": [g.to_data() for g in self.gates] or self.record.gates,
            "pull_request": self.record.pull_request,
        }


def branch_name(to_env: str, model: str) -> str:
    return f"modelops/promote/{to_env}/{model}"


def open_promotion(project: Project, request: PromoteRequest) -> Opened:
    root = project.root
    to_env, from_env = request.to_env, request.from_env
    project.env_source(to_env)
    project.env_source(from_env)
    policy = project.environment(to_env).promotion
    if request.kind == "promotion" and policy.from_env and policy.from_env != from_env:
        raise ModelOpsError(
            f"{to_env} promotes from {policy.from_env}, not {from_env}",
            f"run: mo promote {policy.from_env} {to_env}",
        )
    model = choose_model(project, request.model)
    base = read_base(root, request.base)
    candidate = candidate_for(project, base, model, from_env, to_env, request.version)
    existing = _existing(root, to_env, model)
    if existing is not None:
        return existing
    _refuse_held(root, to_env, candidate, request.kind)
    if candidate.pinned_version == candidate.version:
        raise ModelOpsError(
            f"{to_env} already pins {model} {candidate.version}", "nothing to promote"
        )
    results = [] if request.kind == "rollback" else _gates(project, candidate, to_env, request)
    if any(not result.passed for result in results):
        raise GatesFailed(results, candidate, to_env)
    required = (
        request.required_approvals if request.required_approvals is not None else policy.approvals
    )
    new_text = set_pin(base.env_text(root, to_env), env_file(to_env), model, candidate.version)
    promotion_id = _new_id(root, model, to_env)
    message = _message(promotion_id, candidate, request, base, results, required)
    head = git.commit_with_file(root, base.sha, env_file(to_env), new_text, message)
    ref = f"refs/heads/{branch_name(to_env, model)}"
    if not git.update_ref(root, ref, head, git.ZERO_SHA):
        found = _existing(root, to_env, model)
        if found is not None:
            return found
        raise ModelOpsError(f"{ref} changed while opening the promotion", "run it again")
    body = promotion_body(root, promotion_id, candidate, from_env, to_env, results)
    record = _ensure_record(root, head, [result.to_data() for result in results], body)
    return Opened(record, True, results, candidate, new_text)


def _gates(
    project: Project, candidate: Candidate, to_env: str, request: PromoteRequest
) -> list[GateResult]:
    policy = project.environment(to_env).promotion
    return evaluate_gates(
        project.root,
        candidate,
        policy,
        project.spec.gates,
        request.now,
        lambda commit: passed_checks(project.root, commit),
    )


def passed_checks(root: Path, commit: str) -> set[str]:
    """Locally, a check is a task (`pipeline/task` or `task`) that succeeded in a run
    recorded at that commit."""
    passed: set[str] = set()
    for record in load_records(root):
        if record.commit != commit:
            continue
        for pipeline, tasks in record.tasks.items():
            for name, task in tasks.items():
                if task.status in ("succeeded", "up to date"):
                    passed |= {name, f"{pipeline}/{name}"}
    return passed


def _refuse_held(root: Path, env: str, candidate: Candidate, kind: str) -> None:
    hold = read_hold(root, env, candidate.model)
    if hold and kind == "promotion" and hold.get("version") == candidate.version:
        raise ModelOpsError(
            f"{candidate.model} {candidate.version} is on hold in {env} since a rollback "
            f"({hold.get('reason', '')}) by {hold.get('by', '?')}",
            f"release it when fixed: mo hold release {env} --model {candidate.model}",
        )


def _existing(root: Path, to_env: str, model: str) -> Opened | None:
    """The promotion already open for (env, model), repairing its record if a previous
    run stopped before writing it; a branch left by a closed promotion is removed."""
    ref = f"refs/heads/{branch_name(to_env, model)}"
    head = git.ref_sha(root, ref)
    if head is None:
        return None
    record = _ensure_record(root, head)
    if record.status == "open":
        return Opened(record, False)
    if git.update_ref(root, ref, git.ZERO_SHA, head):
        return None
    return _existing(root, to_env, model)


def _ensure_record(
    root: Path, head: str, gates: list[dict[str, Any]] | None = None, description: str = ""
) -> PromotionRecord:
    fields = parse_trailers(git.commit_message(root, head))
    if "promotion-id" not in fields:
        raise ModelOpsError(
            f"branch at {head[:10]} is not a promotion made by mo (no Promotion-Id trailer)",
            "rename or delete that branch; modelops/promote/* is reserved for mo",
        )
    promotion_id = fields["promotion-id"][0]

    def create(current: PromotionRecord | None) -> PromotionRecord | None:
        if current is not None:
            return None
        record = _record_from_commit(root, promotion_id, head, fields)
        if gates is not None:
            record.gates = gates
        record.description = description
        return record

    stored = change_record(root, promotion_id, create) or find_record(root, promotion_id)
    if stored is None:
        raise ModelOpsError(f"could not write promotion {promotion_id}", "run it again")
    return stored


def _record_from_commit(
    root: Path, promotion_id: str, head: str, fields: dict[str, list[str]]
) -> PromotionRecord:
    def one(key: str, default: str = "") -> str:
        return fields.get(key, [default])[0]

    return PromotionRecord(
        id=promotion_id,
        model=one("model"),
        version=one("version"),
        from_env=one("from-env"),
        to_env=one("to-env"),
        branch=branch_name(one("to-env"), one("model")),
        base=one("base"),
        head=head,
        author=git.commit_author(root, head),
        created=git.commit_time(root, head),
        kind=one("kind", "promotion"),
        replaces=one("replaces") or None,
        gates=[{"summary": gate} for gate in fields.get("gate", [])],
        required_approvals=int(one("required-approvals", "0")),
    )


def _new_id(root: Path, model: str, to_env: str) -> str:
    prefix = f"{model}-{to_env}-"
    numbers = [
        int(r.id.removeprefix(prefix))
        for r in load_promotions(root)
        if r.id.startswith(prefix) and r.id.removeprefix(prefix).isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1}"


def _message(
    promotion_id: str,
    candidate: Candidate,
    request: PromoteRequest,
    base: Base,
    results: list[GateResult],
    required: int,
) -> str:
    verb = "Roll back" if request.kind == "rollback" else "Promote"
    replacing = f", replacing {candidate.pinned_version}" if candidate.pinned_version else ""
    body = (
        f"Pin {candidate.model} to {candidate.version} in {env_file(request.to_env)} "
        f"(from {request.from_env}{replacing}).\n"
        f"Version commit: {candidate.commit}. Opened {datetime.now(UTC):%Y-%m-%d %H:%M} UTC."
    )
    trailers = [
        ("Promotion-Id", promotion_id),
        ("Model", candidate.model),
        ("Version", candidate.version),
        ("From-Env", request.from_env),
        ("To-Env", request.to_env),
        ("Base", base.branch),
        ("Kind", request.kind),
        ("Required-Approvals", str(required)),
    ]
    if candidate.pinned_version:
        trailers.append(("Replaces", candidate.pinned_version))
    trailers += [("Gate", result.trailer()) for result in results]
    subject = f"{verb} {candidate.model} {candidate.version} to {request.to_env}"
    return with_trailers(subject, body, trailers)
