"""Promotions reviewed as GitHub pull requests.

The local steps are the same as for the local provider (gates, the branch commit, the record,
all idempotent); then the branch is published through GitHub's API and one pull request per
(environment, model) is opened or updated, with the promotion's description as its body and
the policy's reviewers and teams requested. Reviews are read from GitHub; `mo merge` merges
with the head sha the policy was judged on, only when mo's policy and GitHub's own branch
rules both hold. Every step looks before it creates, so a re-run after any failure converges
on one branch, one pull request and one record.

Settings come from the environment: `MO_GITHUB_REPO` (else the `origin` remote),
`MO_GITHUB_TOKEN` or `GITHUB_TOKEN`, `MO_GITHUB_API_URL` for GitHub Enterprise, and
`MO_GITHUB_WRITE_INTERVAL` (seconds between writes, 1 by default as GitHub asks).
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, replace
from typing import Any

from modelops_git import git
from modelops_git.errors import ModelOpsError
from modelops_git.promotion import merging
from modelops_git.promotion.candidate import env_file
from modelops_git.promotion.github_client import DEFAULT_BASE_URL, GitHubPromotions
from modelops_git.promotion.opening import Opened, PromoteRequest, open_promotion
from modelops_git.promotion.policy import Verdict, judge_reviews
from modelops_git.promotion.records import PromotionRecord, Review, change_record
from modelops_git.spec.project import Project

__all__ = ["GitHubSettings", "merge_on_github", "promote_on_github", "status_on_github"]

PROMOTION_LABEL = "modelops-promotion"
_REMOTE = re.compile(r"github\.com[:/](?P<repo>[^/\s]+/[^/\s]+?)(?:\.git)?/?$")
_STATES = {"APPROVED": "approved", "CHANGES_REQUESTED": "changes requested"}


@dataclass(frozen=True)
class GitHubSettings:
    repo: str
    token: str
    api_url: str

    @classmethod
    def from_environment(cls, project: Project) -> GitHubSettings:
        repo = os.environ.get("MO_GITHUB_REPO") or _origin_repo(project)
        token = os.environ.get("MO_GITHUB_TOKEN") or os.environ.get("GITHUB_TOKEN") or ""
        if not token:
            raise ModelOpsError(
                "no GitHub token: set MO_GITHUB_TOKEN or GITHUB_TOKEN",
                "a token with Contents and Pull requests write access to " + repo,
            )
        return cls(repo, token, os.environ.get("MO_GITHUB_API_URL", DEFAULT_BASE_URL))

    def client(self) -> GitHubPromotions:
        # MO_GITHUB_WRITE_INTERVAL: GitHub asks for a second between writes (the default);
        # a server of our own (a test's, an Enterprise one without limits) may need none.
        interval = float(os.environ.get("MO_GITHUB_WRITE_INTERVAL", "1"))
        return GitHubPromotions(self.repo, self.token, self.api_url, write_interval=interval)


def _origin_repo(project: Project) -> str:
    url = git.config(project.root, "remote.origin.url") or ""
    match = _REMOTE.search(url)
    if match is None:
        raise ModelOpsError(
            "which GitHub repository? the origin remote is not on github.com",
            "set MO_GITHUB_REPO=OWNER/NAME",
        )
    return match["repo"]


def promote_on_github(project: Project, request: PromoteRequest) -> Opened:
    settings = GitHubSettings.from_environment(project)
    opened = open_promotion(project, request)
    record = opened.record
    policy = project.environment(record.to_env).promotion
    path = env_file(record.to_env)
    text = git.show_file(project.root, record.head, path) or ""
    message = git.commit_message(project.root, record.head)
    with settings.client() as github:
        github.write_file_on_branch(record.branch, record.base, path, text, message)
        pull = github.open_or_update_pull(
            record.branch,
            record.base,
            message.splitlines()[0],
            record.description,
            [PROMOTION_LABEL, f"env:{record.to_env}"],
            [who for who in policy.reviewers if "@" not in who and " " not in who],
            list(policy.teams),
        )

    def published(current: PromotionRecord | None) -> PromotionRecord | None:
        if current is None:
            return None
        current.provider = "github"
        current.pull_request = pull.url
        current.pull_number = pull.number
        current.remote_head = pull.head_sha
        return current

    stored = change_record(project.root, record.id, published)
    opened.record = stored or record
    return opened


def _reviews(github: GitHubPromotions, record: PromotionRecord) -> list[Review]:
    return [
        Review(
            review.login,
            _STATES.get(review.state, review.state.lower()),
            review.commit_id,
            review.submitted_at,
        )
        for review in github.reviews(_number(record))
    ]


def _number(record: PromotionRecord) -> int:
    if record.pull_number is None:
        raise ModelOpsError(
            f"{record.id} has no pull request yet",
            f"re-run: mo promote {record.from_env} "
            f"{record.to_env} --model {record.model} --provider github",
        )
    return record.pull_number


def _judge(
    project: Project, github: GitHubPromotions, record: PromotionRecord
) -> tuple[str, Verdict]:
    pull = github.find_open_pull(record.branch, record.base)
    if pull is None:
        raise ModelOpsError(
            f"the pull request of {record.id} is no longer open ({record.pull_request})",
            f"if it merged: git pull, then mo sync (tags the version, closes {record.id}); "
            f"if it was closed: mo promote close {record.id}",
        )
    policy = project.environment(record.to_env).promotion
    rules = github.required_approvals(record.base)
    judged = replace(record, required_approvals=max(record.required_approvals, rules))
    verdict = judge_reviews(project.root, judged, _reviews(github, record), policy, pull.head_sha)
    conclusions = github.check_conclusions(pull.head_sha)
    failing = [
        f"required check {check!r} is {conclusions.get(check, 'missing')}"
        for check in github.required_checks(record.base)
        if conclusions.get(check) not in ("success", "neutral", "skipped")
    ]
    return pull.head_sha, Verdict(verdict.approved_by, verdict.missing, verdict.blocking + failing)


def status_on_github(project: Project, record: PromotionRecord) -> dict[str, Any]:
    with GitHubSettings.from_environment(project).client() as github:
        head, verdict = _judge(project, github, record)
    return {
        "record": asdict(record),
        "head": head,
        "approved_by": verdict.approved_by,
        "blocking": verdict.blocking,
        "can_merge": verdict.can_merge,
    }


def merge_on_github(project: Project, record: PromotionRecord) -> dict[str, Any]:
    with GitHubSettings.from_environment(project).client() as github:
        head, verdict = _judge(project, github, record)
        if not verdict.can_merge:
            raise ModelOpsError(
                f"{record.id} cannot merge: {'; '.join(verdict.blocking)}",
                f"reviewers approve on GitHub: {record.pull_request}",
            )
        message = merging.merge_message(record, verdict, head)
        title = message.splitlines()[0]
        merged = github.merge(_number(record), head, title, message.split("\n", 2)[2])
    return merging.after_merge(project.root, record, merged, verdict.approved_by, None, head)
