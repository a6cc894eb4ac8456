"""Promotion records and holds, kept in git refs so every clone shares the audit trail.

A promotion lives under `refs/modelops/promotions/<id>`; each change (a review, the merge)
is a new commit on that ref whose parent is the previous state, written by compare-and-swap,
so concurrent reviewers never lose each other's reviews. A hold (after a rollback) lives
under `refs/modelops/holds/<env>/<model>`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from modelops_git import git
from modelops_git.errors import ModelOpsError

__all__ = [
    "HOLD_PREFIX",
    "PROMOTION_PREFIX",
    "PromotionRecord",
    "Review",
    "change_record",
    "find_record",
    "load_promotions",
    "read_hold",
    "write_hold",
]

PROMOTION_PREFIX = "refs/modelops/promotions/"
HOLD_PREFIX = "refs/modelops/holds/"
RECORD_FILE = "promotion.json"
HOLD_FILE = "hold.json"


@dataclass
class Review:
    reviewer: str
    state: str
    """approved, changes requested, or commented."""
    head: str
    at: str
    message: str = ""


@dataclass
class PromotionRecord:
    id: str
    model: str
    version: str
    from_env: str
    to_env: str
    branch: str
    base: str
    """The branch the promotion merges into."""
    head: str
    author: str
    created: str
    provider: str = "local"
    kind: str = "promotion"
    """promotion, or rollback."""
    status: str = "open"
    """open, merged or closed."""
    replaces: str | None = None
    gates: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    required_approvals: int = 0
    pull_request: str | None = None
    pull_number: int | None = None
    remote_head: str | None = None
    """On GitHub, the head of the pull request's branch (GitHub made its own commit)."""
    merge_commit: str | None = None
    merged_by: str | None = None
    merged_at: str | None = None
    assignment: str | None = None
    description: str = ""
    """What a reviewer reads (the pull request body on GitHub): gates, metric deltas, lineage."""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> PromotionRecord:
        data = json.loads(text)
        reviews = [Review(**review) for review in data.pop("reviews", [])]
        return cls(**data, reviews=reviews)

    def latest_reviews(self) -> dict[str, Review]:
        """Each reviewer's last word (a later review replaces an earlier one)."""
        last: dict[str, Review] = {}
        for review in self.reviews:
            last[review.reviewer] = review
        return last


def _ref(promotion_id: str) -> str:
    return PROMOTION_PREFIX + promotion_id


def find_record(root: Path, promotion_id: str) -> PromotionRecord | None:
    text = git.read_ref_file(root, _ref(promotion_id), RECORD_FILE)
    return PromotionRecord.from_json(text) if text else None


def load_promotions(root: Path) -> list[PromotionRecord]:
    refs = git.refs_under(root, PROMOTION_PREFIX)
    texts = git.read_objects(root, [f"{ref}:{RECORD_FILE}" for ref in refs])
    records = [PromotionRecord.from_json(text) for text in texts if text]
    return sorted(records, key=lambda record: (record.created, record.id))


def change_record(
    root: Path,
    promotion_id: str,
    change: Callable[[PromotionRecord | None], PromotionRecord | None],
) -> PromotionRecord | None:
    """Compare-and-swap update: `change` sees the current record (None if there is none)
    and returns the new one, or None to keep it; re-run on a race."""

    def on_text(text: str | None) -> str | None:
        updated = change(PromotionRecord.from_json(text) if text else None)
        return updated.to_json() if updated is not None else None

    stored = git.update_record_ref(root, _ref(promotion_id), RECORD_FILE, on_text)
    return PromotionRecord.from_json(stored) if stored else None


def read_hold(root: Path, env: str, model: str) -> dict[str, Any] | None:
    text = git.read_ref_file(root, f"{HOLD_PREFIX}{env}/{model}", HOLD_FILE)
    return dict(json.loads(text)) if text else None


def write_hold(root: Path, env: str, model: str, hold: dict[str, Any] | None) -> None:
    """Set (or, with None, release) the hold on `model` in `env`."""
    ref = f"{HOLD_PREFIX}{env}/{model}"
    if hold is not None:
        git.update_record_ref(root, ref, HOLD_FILE, lambda _: json.dumps(hold, indent=2) + "\n")
        return
    old = git.ref_sha(root, ref)
    if old is None:
        raise ModelOpsError(f"{model} has no hold in {env}", "nothing to release")
    if not git.update_ref(root, ref, git.ZERO_SHA, old):
        raise ModelOpsError(f"the hold on {model} in {env} changed meanwhile", "run it again")
