"""Promotions reviewed as GitHub pull requests, against the stateful fake GitHub: one pull
request per (env, model), reviews and branch rules from GitHub, merge by head sha, and
re-runs that converge after a failure at any step."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelops_git.promotion.records import PROMOTION_PREFIX, find_record
from modelops_git.registry import read_registry
from tests.conftest import git
from tests.fake_github import FakeGitHub
from tests.test_promotion import Mo, commit_all, edit_yaml
from tests.test_promotion import project as project

PROMOTION = "classifier-prod-1"
BRANCH = "modelops/promote/prod/classifier"


@pytest.fixture
def github(project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    """Staging holds v0.0.1; prod asks for alice or carol; the fake's main has this repo's
    environment files, as a push of main would."""
    edit_yaml(
        project / "environments" / "prod.yaml",
        lambda d: d["promotion"].update(reviewers=["alice", "carol"], teams=["ml-leads"]),  # type: ignore[attr-defined]
    )
    commit_all(project, "prod reviewers")
    assert mo("promote", "dev", "staging").code == 0
    files = {
        path: (project / path).read_text()
        for path in git(project, "ls-files", "environments").split()
    }
    with FakeGitHub(files=files) as server:
        monkeypatch.setenv("MO_GITHUB_REPO", server.repo)
        monkeypatch.setenv("MO_GITHUB_TOKEN", server.token)
        monkeypatch.setenv("MO_GITHUB_API_URL", server.base_url)
        monkeypatch.setenv("MO_GITHUB_WRITE_INTERVAL", "0")
        yield server


def promote(mo: Mo) -> dict[str, object]:
    result = mo("promote", "staging", "prod", "--provider", "github", "--json")
    assert result.code == 0, result.err
    return dict(json.loads(result.out))


def status(mo: Mo) -> dict[str, object]:
    return dict(json.loads(mo("promote", "status", PROMOTION, "--json").out))


def test_pull_request_reviews_rules_and_merge(
    project: Path,
    mo: Mo,
    github: FakeGitHub,
) -> None:
    opened = promote(mo)
    assert opened["created"] is True and opened["pull_request"]
    [number] = list(github.pulls)
    pull = github.pulls[number]
    assert (pull.body or "").startswith("## Promote classifier v0.0.1 to prod")
    assert "| min-accuracy | metric | pass |" in (pull.body or "")
    assert "```mermaid" in (pull.body or "")
    assert {"modelops-promotion", "env:prod"} <= set(pull.labels)
    assert set(pull.requested_reviewers) == {"alice", "carol"}
    assert pull.requested_teams == ["ml-leads"]
    assert "classifier: v0.0.1" in (github.file(BRANCH, "environments/prod.yaml") or "")
    assert (
        github.file("main", "environments/prod.yaml")
        == (project / "environments" / "prod.yaml").read_text()
    )

    again = promote(mo)
    assert again["created"] is False and again["pull_request"] == opened["pull_request"]
    assert github.count("POST", "pulls") == 1

    assert status(mo)["blocking"] == ["0 of 1 required approvals"]
    review = mo("review", PROMOTION, "--approve")
    assert review.code == 1 and "reviewed on GitHub" in review.err
    github.add_review(number, "mallory")
    github.add_review(number, "alice")
    assert status(mo)["can_merge"] is True
    github.set_rules("main", [github.pull_request_rule(2), github.status_checks_rule("ci/tests")])
    blocking = status(mo)["blocking"]
    assert blocking == [
        "1 of 2 required approvals (not counted: mallory is not an allowed reviewer)",
        "required check 'ci/tests' is missing",
    ]
    refused = mo("merge", PROMOTION)
    assert refused.code == 1 and "cannot merge" in refused.err
    github.add_review(number, "carol")
    head = github.branches[BRANCH]
    github.add_check_run(head, "ci/tests", "success")
    merged = json.loads(mo("merge", PROMOTION, "--json").out)
    assert merged["approved_by"] == ["alice", "carol"]
    assert github.pulls[number].merged_at is not None
    assert "classifier: v0.0.1" in (github.file("main", "environments/prod.yaml") or "")
    assert "Approved-by: alice" in github.history("main")[0]
    assert read_registry(project).models["classifier"].in_env("prod") == "v0.0.1"
    record = find_record(project, PROMOTION)
    assert record is not None and record.status == "merged"
    history = json.loads(mo("history", "--env", "prod", "--json").out)
    assert history["held"]["classifier"]["pull_request"] == opened["pull_request"]
    assert history["held"]["classifier"]["approved_by"] == "alice, carol"


def test_failures_at_each_step_converge_to_one_branch_pull_request_and_record(
    project: Path,
    mo: Mo,
    github: FakeGitHub,
) -> None:
    github.fail_next("POST", "pulls", status=502)
    failed = mo("promote", "staging", "prod", "--provider", "github")
    assert failed.code == 1 and "502" in failed.err
    assert BRANCH in github.branches and not github.pulls, "branch pushed, no pull request"
    github.drop_response_next("POST", "pulls")
    lost = mo("promote", "staging", "prod", "--provider", "github")
    assert lost.code == 1 and len(github.pulls) == 1, "created, but the answer was lost"
    first = promote(mo)
    assert len(github.pulls) == 1 and github.count("POST", "pulls") == 2

    git(project, "update-ref", "-d", PROMOTION_PREFIX + PROMOTION)
    again = promote(mo)
    assert again["id"] == PROMOTION and again["pull_request"] == first["pull_request"]
    assert len(github.pulls) == 1 and github.count("POST", "pulls") == 2
    assert [b for b in github.branches if b.startswith("modelops/")] == [BRANCH]
    record = find_record(project, PROMOTION)
    assert record is not None and record.pull_number == next(iter(github.pulls))


def test_no_token_is_a_clear_error_and_nothing_is_published(
    project: Path,
    mo: Mo,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MO_GITHUB_TOKEN")
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    result = mo("promote", "staging", "prod", "--provider", "github")
    assert result.code == 1 and "no GitHub token" in result.err
    assert not github.writes()
    assert git(project, "for-each-ref", "refs/heads/modelops", "refs/modelops/promotions") == (
        git(project, "for-each-ref", "refs/modelops/promotions")
    ), "no promotion branch"
    assert "prod" not in git(project, "for-each-ref", "refs/modelops/promotions")


def test_auto_policy_merges_the_pull_request_once_the_gates_pass(
    project: Path,
    mo: Mo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = {p: (project / p).read_text() for p in git(project, "ls-files", "environments").split()}
    with FakeGitHub(files=files) as server:
        monkeypatch.setenv("MO_GITHUB_REPO", server.repo)
        monkeypatch.setenv("MO_GITHUB_TOKEN", server.token)
        monkeypatch.setenv("MO_GITHUB_API_URL", server.base_url)
        monkeypatch.setenv("MO_GITHUB_WRITE_INTERVAL", "0")
        result = mo("promote", "dev", "staging", "--provider", "github", "--json")
        assert result.code == 0, result.err
        merged = json.loads(result.out)["merged"]
        assert merged["assignment"] == "classifier#staging#1"
        [pull] = server.pulls.values()
        assert pull.merged_at is not None
        assert "classifier: v0.0.1" in (server.file("main", "environments/staging.yaml") or "")
