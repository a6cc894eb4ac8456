"""Reviews, merges, closes and `mo sync` for promotions of the local provider.

A merge is a real merge commit (never a fast-forward) computed without a work tree and
moved onto the base branch by compare-and-swap. When the base branch is checked out here,
only the environment file changes in the work tree, and a local edit of that file stops the
merge before anything moves. The assignment tag `MODEL#ENV#N` follows; `mo sync` makes any
missing ones (a merge made elsewhere, or a merge interrupted before its tag).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelops_git import git, registry
from modelops_git.errors import ModelOpsError
from modelops_git.promotion.candidate import env_file, read_base
from modelops_git.promotion.policy import Verdict, judge_reviews, require_allowed, same_person
from modelops_git.promotion.records import (
    PromotionRecord,
    Review,
    change_record,
    find_record,
    load_promotions,
)
from modelops_git.promotion.trailers import parse_trailers, with_trailers
from modelops_git.spec.project import Project

__all__ = [
    "after_merge",
    "close",
    "known_record",
    "merge",
    "merge_message",
    "open_record",
    "review",
    "status_of",
    "sync",
]


SYNC_HISTORY = 500
"""How many first-parent commits `mo sync` searches for the merge that brought a pin."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def known_record(root: Path, promotion_id: str) -> PromotionRecord:
    record = find_record(root, promotion_id)
    if record is None:
        known = [r.id for r in load_promotions(root) if r.status == "open"]
        raise ModelOpsError(
            f"no promotion {promotion_id!r}",
            f"open promotions: {', '.join(known)}" if known else "there are none open (mo status)",
        )
    return record


def open_record(root: Path, promotion_id: str) -> PromotionRecord:
    record = known_record(root, promotion_id)
    if record.status != "open":
        raise ModelOpsError(
            f"promotion {promotion_id} is {record.status}"
            + (f" ({record.merge_commit[:10]})" if record.merge_commit else ""),
            "open a new one with mo promote",
        )
    return record


def _branch_head(root: Path, record: PromotionRecord) -> str:
    head = git.ref_sha(root, f"refs/heads/{record.branch}")
    if head is None:
        raise ModelOpsError(
            f"the branch of {record.id} ({record.branch}) is gone",
            f"close it (mo promote close {record.id}) and promote again",
        )
    return head


def review(project: Project, promotion_id: str, state: str, message: str) -> dict[str, Any]:
    """Record the current git identity's review against the promotion's current head."""
    root = project.root
    record = open_record(root, promotion_id)
    reviewer = git.user_identity(root)
    policy = project.environment(record.to_env).promotion
    if state == "approved":
        if same_person(reviewer, record.author):
            raise ModelOpsError(
                f"{reviewer} opened {promotion_id} and cannot approve it",
                "another reviewer must approve (set GIT_AUTHOR_NAME/EMAIL or git config user.*)",
            )
        require_allowed(root, reviewer, policy, record.to_env)
    head = _branch_head(root, record)
    entry = Review(reviewer, state, head, _now(), message)

    def add(current: PromotionRecord | None) -> PromotionRecord | None:
        if current is None or current.status != "open":
            raise ModelOpsError(f"promotion {promotion_id} is no longer open", "see mo status")
        current.reviews.append(entry)
        return current

    change_record(root, promotion_id, add)
    return {"id": promotion_id, "reviewer": reviewer, "state": state, "head": head}


def status_of(project: Project, promotion_id: str) -> dict[str, Any]:
    root = project.root
    record = known_record(root, promotion_id)
    data: dict[str, Any] = {"record": asdict(record)}
    if record.status == "open":
        head = _branch_head(root, record)
        verdict = _verdict(project, record, head)
        data.update(head=head, approved_by=verdict.approved_by, blocking=verdict.blocking)
        data["can_merge"] = verdict.can_merge
    return data


def _verdict(project: Project, record: PromotionRecord, head: str) -> Verdict:
    policy = project.environment(record.to_env).promotion
    return judge_reviews(project.root, record, record.reviews, policy, head)


def merge(project: Project, promotion_id: str, merged_by: str | None = None) -> dict[str, Any]:
    root = project.root
    record = open_record(root, promotion_id)
    head = _branch_head(root, record)
    verdict = _verdict(project, record, head)
    if not verdict.can_merge:
        raise ModelOpsError(
            f"{promotion_id} cannot merge: {'; '.join(verdict.blocking)}",
            f"reviewers approve with: mo review {promotion_id} --approve",
        )
    base = read_base(root, record.base)
    elsewhere = git.branches_checked_out_elsewhere(root).get(base.branch)
    if elsewhere is not None:
        raise ModelOpsError(
            f"{base.branch} is checked out in {elsewhere}: merging here would leave that work "
            "tree behind its branch",
            f"run mo merge {promotion_id} in {elsewhere}",
        )
    checked_out = git.current_branch(root) == base.branch
    path = env_file(record.to_env)
    if checked_out and git.paths_modified(root, [path]):
        raise ModelOpsError(
            f"{path} has local changes and the merge would rewrite it",
            "commit or stash them (git stash), then merge again",
        )
    message = merge_message(record, verdict, head)
    merged = git.merge_commit(root, base.sha, head, message)
    if not git.update_ref(root, f"refs/heads/{base.branch}", merged, base.sha):
        raise ModelOpsError(f"{base.branch} moved while merging", "run mo merge again")
    if checked_out:
        git.update_checkout(root, base.sha, merged)
    return after_merge(root, record, merged, verdict.approved_by, merged_by, head)


def merge_message(record: PromotionRecord, verdict: Verdict, head: str) -> str:
    trailers = [
        ("Promotion-Id", record.id),
        ("Model", record.model),
        ("Version", record.version),
        ("From-Env", record.from_env),
        ("To-Env", record.to_env),
        ("Promotion-Head", head),
        *(("Approved-by", reviewer) for reviewer in verdict.approved_by),
    ]
    return with_trailers(
        f"Merge promotion {record.id}: {record.model} {record.version} to {record.to_env}",
        f"Merges {record.branch} ({record.kind}).",
        trailers,
    )


def after_merge(
    root: Path,
    record: PromotionRecord,
    merged: str,
    approved_by: list[str],
    merged_by: str | None,
    head: str,
) -> dict[str, Any]:
    tag = _assign(root, record, merged, approved_by)
    by = merged_by or git.user_identity(root)

    def close_merged(current: PromotionRecord | None) -> PromotionRecord | None:
        if current is None or current.status != "open":
            return None
        return replace(
            current,
            status="merged",
            merge_commit=merged,
            merged_by=by,
            merged_at=_now(),
            assignment=tag,
            head=head,
        )

    change_record(root, record.id, close_merged)
    local_head = head if record.provider == "local" else record.head
    git.update_ref(root, f"refs/heads/{record.branch}", git.ZERO_SHA, local_head)
    return {
        "id": record.id,
        "merge_commit": merged,
        "assignment": tag,
        "approved_by": approved_by,
        "base": record.base,
    }


def _assign(root: Path, record: PromotionRecord, merged: str, approved_by: list[str]) -> str:
    notes = [
        ("Promotion-Id", record.id),
        ("Merge-Commit", merged),
        ("Kind", record.kind),
    ]
    if approved_by:
        notes.append(("Approved-By", ", ".join(approved_by)))
    if record.pull_request:
        notes.append(("Pull-Request", record.pull_request))
    return registry.assign(root, record.model, record.version, record.to_env, trailers=tuple(notes))


def close(project: Project, promotion_id: str, reason: str) -> dict[str, Any]:
    root = project.root
    record = open_record(root, promotion_id)

    def closed(current: PromotionRecord | None) -> PromotionRecord | None:
        if current is None or current.status != "open":
            return None
        current.status = "closed"
        current.reviews.append(
            Review(git.user_identity(root), "closed", current.head, _now(), reason)
        )
        return current

    change_record(root, promotion_id, closed)
    head = git.ref_sha(root, f"refs/heads/{record.branch}")
    if head is not None:
        git.update_ref(root, f"refs/heads/{record.branch}", git.ZERO_SHA, head)
    return {"id": promotion_id, "status": "closed"}


def sync(project: Project, push: str | None = None) -> dict[str, Any]:
    """Make the registry agree with the pins on this commit: each pin the environment does
    not hold yet gets its assignment tag, and the promotion that brought it is closed as
    merged. Run in CI on the default branch after a promotion's pull request merged; with
    `push`, the new tags go to that remote."""
    root = project.root
    head = git.head_commit(root)
    if head is None:
        raise ModelOpsError("the repository has no commits", "commit the project first")
    base = read_base(root, None)
    entries = registry.read_registry(root).models
    open_ones = [r for r in load_promotions(root) if r.status == "open"]
    created: list[str] = []
    closed: list[str] = []
    for env in project.env_names:
        for model, version in sorted(base.pins(root, env).items()):
            entry = entries.get(model)
            if entry is None or entry.in_env(env) == version or version not in entry.versions:
                continue
            record = next(
                (r for r in open_ones if (r.model, r.version, r.to_env) == (model, version, env)),
                None,
            )
            if record is None:
                notes = _notes_from_history(root, head, env, model, version)
                created.append(registry.assign(root, model, version, env, trailers=notes))
                continue
            approvals = [
                r.reviewer for r in record.latest_reviews().values() if r.state == "approved"
            ]
            result = after_merge(root, record, head, approvals, "mo sync", record.head)
            created.append(result["assignment"])
            closed.append(record.id)
    if push is not None:
        git.push_refs(root, push, [f"refs/tags/{tag}" for tag in created])
    return {"assigned": created, "closed": closed, "pushed_to": push}


def _notes_from_history(
    root: Path, head: str, env: str, model: str, version: str
) -> tuple[tuple[str, str], ...]:
    """Who approved a pin whose promotion record this clone lacks (CI after a pull request
    merged): the trailers of the merge commit that brought it, found in recent history."""
    for sha, message in git.messages(root, head, SYNC_HISTORY):
        fields = parse_trailers(message)
        wanted = {"to-env": env, "model": model, "version": version}
        if all(fields.get(key, [""])[0] == value for key, value in wanted.items()):
            notes = [("Merge-Commit", sha), ("Kind", "sync")]
            if "promotion-id" in fields:
                notes.append(("Promotion-Id", fields["promotion-id"][0]))
            if "approved-by" in fields:
                notes.append(("Approved-By", ", ".join(fields["approved-by"])))
            return tuple(notes)
    return (("Merge-Commit", head), ("Kind", "sync"))
