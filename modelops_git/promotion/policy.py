"""Who may approve a promotion, and whether its reviews let it merge.

A reviewer is a git identity `Name <email>` (local provider) or a GitHub login. The policy's
`reviewers` name people by e-mail, name or login; its `teams` are resolved through
`.modelops/teams.yaml` (`team: [people]`), versioned with the spec so the audit trail shows
who could approve at the time. With neither, anyone but the author may approve.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from modelops_git.errors import ModelOpsError
from modelops_git.promotion.records import PromotionRecord, Review
from modelops_git.spec.model import PromotionPolicy
from modelops_git.spec.yaml_source import load_yaml_file

__all__ = ["Verdict", "judge_reviews", "may_approve", "same_person"]

TEAMS_FILE = ".modelops/teams.yaml"


def _names(identity: str) -> set[str]:
    """The ways one identity can be written: `Name <email>`, the e-mail, the name."""
    identity = identity.strip()
    name, _, rest = identity.partition("<")
    found = {identity.lower(), name.strip().lower()}
    if rest:
        found.add(rest.rstrip(">").strip().lower())
    return {item for item in found if item}


def same_person(a: str, b: str) -> bool:
    return bool(_names(a) & _names(b))


def _team_members(root: Path, team: str) -> list[str]:
    path = root / TEAMS_FILE
    if not path.is_file():
        return []
    data = load_yaml_file(path, TEAMS_FILE).data
    members = data.get(team) if isinstance(data, dict) else None
    return [str(member) for member in members or ()]


def may_approve(root: Path, reviewer: str, policy: PromotionPolicy) -> bool:
    if not policy.reviewers and not policy.teams:
        return True
    allowed = list(policy.reviewers)
    for team in policy.teams:
        allowed += _team_members(root, team)
    return any(same_person(reviewer, person) for person in allowed)


def require_allowed(root: Path, reviewer: str, policy: PromotionPolicy, env: str) -> None:
    if may_approve(root, reviewer, policy):
        return
    who = ", ".join([*policy.reviewers, *(f"team {t}" for t in policy.teams)])
    raise ModelOpsError(
        f"{reviewer} may not approve promotions to {env} (allowed: {who})",
        f"ask one of them, or change promotion.reviewers/teams in environments/{env}.yaml"
        + (f" or {TEAMS_FILE}" if policy.teams else ""),
    )


@dataclass(frozen=True)
class Verdict:
    approved_by: list[str]
    missing: int
    blocking: list[str]
    """Why it cannot merge, each a sentence; empty when it can."""

    @property
    def can_merge(self) -> bool:
        return not self.blocking


def judge_reviews(
    root: Path,
    record: PromotionRecord,
    reviews: list[Review],
    policy: PromotionPolicy,
    head: str,
) -> Verdict:
    """Approvals count when they are the reviewer's last word, on the current head, from an
    allowed reviewer who is not the author; any outstanding change request blocks."""
    last: dict[str, Review] = {}
    for review in reviews:
        if review.state in ("approved", "changes requested"):
            last[review.reviewer] = review
    approved_by: list[str] = []
    blocking: list[str] = []
    ignored: list[str] = []
    for reviewer, review in last.items():
        if review.state == "changes requested":
            blocking.append(f"{reviewer} requested changes: {review.message or '(no message)'}")
        elif same_person(reviewer, record.author):
            ignored.append(f"{reviewer} is the author")
        elif review.head != head:
            ignored.append(f"{reviewer} approved an older head {review.head[:10]}")
        elif not may_approve(root, reviewer, policy):
            ignored.append(f"{reviewer} is not an allowed reviewer")
        else:
            approved_by.append(reviewer)
    missing = max(0, record.required_approvals - len(approved_by))
    if missing:
        note = f" (not counted: {'; '.join(ignored)})" if ignored else ""
        blocking.append(
            f"{len(approved_by)} of {record.required_approvals} required approvals{note}"
        )
    return Verdict(approved_by, missing, blocking)
