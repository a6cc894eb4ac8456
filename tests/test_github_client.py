"""GitHubPromotions against the stateful fake GitHub (and, opt-in, a real repository)."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator

import pytest
import requests
from github import Auth, Github

from modelops_git.errors import ModelOpsError
from modelops_git.promotion.github_client import GitHubPromotions, PullRequest
from tests.fake_github import FakeGitHub

ENV = "environments/prod.yaml"
BRANCH = "modelops/promote/prod/churn"
OLD = "models:\n  churn: v1\n"
NEW = "models:\n  churn: v2\n"


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(files={ENV: OLD, "README.md": "models\n"}) as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(fake: FakeGitHub, sleeps: list[float], **kwargs: object) -> GitHubPromotions:
    options: dict[str, object] = {"base_url": fake.base_url, "sleep": sleeps.append}
    options["write_interval"] = 0
    options.update(kwargs)
    token = str(options.pop("token", "t"))
    return GitHubPromotions(fake.repo, token, **options)  # type: ignore[arg-type]


@pytest.fixture
def client(fake: FakeGitHub, sleeps: list[float]) -> Iterator[GitHubPromotions]:
    with make_client(fake, sleeps) as github:
        yield github


def promote(client: GitHubPromotions, title: str = "Promote churn v2 to prod") -> PullRequest:
    client.write_file_on_branch(BRANCH, "main", ENV, NEW, "Promote churn v2 to prod")
    return client.open_or_update_pull(
        BRANCH, "main", title, "gates passed", ["promotion", "env:prod"], ["alice"], ["ml-leads"]
    )


# -- branch and file --------------------------------------------------------------------------


def test_write_file_creates_the_branch_then_commits_the_change(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    main_before = fake.branches["main"]

    head = client.write_file_on_branch(BRANCH, "main", ENV, NEW, "Promote churn v2")

    assert fake.branches[BRANCH] == head
    assert fake.commits[head].parents == [main_before]
    assert fake.file(BRANCH, ENV) == NEW
    assert fake.file("main", ENV) == OLD
    assert fake.branches["main"] == main_before
    assert fake.writes() == [
        ("POST", fake.path("git/refs")),
        ("PUT", fake.path(f"contents/{ENV}")),
    ]


def test_write_file_again_with_the_same_text_changes_nothing(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    head = client.write_file_on_branch(BRANCH, "main", ENV, NEW, "Promote churn v2")
    writes = fake.writes()

    assert client.write_file_on_branch(BRANCH, "main", ENV, NEW, "Promote churn v2") == head

    assert fake.writes() == writes
    assert fake.history(BRANCH) == ["Promote churn v2", "Initial commit"]


def test_write_file_on_an_existing_branch_adds_a_commit_on_its_head(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    first = client.write_file_on_branch(BRANCH, "main", ENV, NEW, "v2")
    second = client.write_file_on_branch(BRANCH, "main", ENV, "models:\n  churn: v3\n", "v3")

    assert fake.commits[second].parents == [first]
    assert fake.file(BRANCH, ENV) == "models:\n  churn: v3\n"
    assert fake.count("POST", "git/refs") == 1
    assert fake.count("PATCH", f"git/refs/heads/{BRANCH}") == 0


def test_a_branch_left_from_a_merged_promotion_restarts_from_the_base(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    first = promote(client)
    client.merge(first.number, first.head_sha, "v2", "")
    fake.push("main", {"README.md": "changed on main since\n"})
    v3 = "models:\n  churn: v3\n"

    head = client.write_file_on_branch(BRANCH, "main", ENV, v3, "Promote churn v3")
    second = client.open_or_update_pull(BRANCH, "main", "v3", "", [], [], [])
    client.merge(second.number, head, "v3", "")

    assert fake.history(BRANCH) == ["Promote churn v3", "push", "v2", "Initial commit"]
    assert second.number != first.number
    assert fake.file("main", ENV) == v3
    assert fake.file("main", "README.md") == "changed on main since\n"
    assert fake.count("PATCH", f"git/refs/heads/{BRANCH}") == 1


def test_a_commit_pushed_while_restarting_the_branch_is_not_lost(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    first = promote(client)
    client.merge(first.number, first.head_sha, "v2", "")
    fake.push("main", {"README.md": "changed on main since\n"})
    fake.before_next(
        "PATCH", f"git/refs/heads/{BRANCH}", lambda: fake.push(BRANCH, {"notes.md": "mine\n"})
    )

    with pytest.raises(ModelOpsError, match="Update is not a fast forward"):
        client.write_file_on_branch(BRANCH, "main", ENV, NEW, "again")

    assert fake.file(BRANCH, "notes.md") == "mine\n"


def test_write_file_creates_a_file_the_branch_does_not_have(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    head = client.write_file_on_branch(BRANCH, "main", "environments/qa.yaml", "a: 1\n", "qa")

    assert fake.file(head, "environments/qa.yaml") == "a: 1\n"
    assert fake.file(head, ENV) == OLD


def test_write_file_from_a_missing_base_branch_is_a_clear_error(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    with pytest.raises(ModelOpsError, match="branch release not found in acme/models"):
        client.write_file_on_branch(BRANCH, "release", ENV, NEW, "x")
    assert fake.writes() == []


@pytest.mark.parametrize("rest", ["git/refs", f"contents/{ENV}"])
def test_a_lost_write_response_then_a_rerun_converges(
    fake: FakeGitHub, client: GitHubPromotions, rest: str
) -> None:
    method = "POST" if rest == "git/refs" else "PUT"
    fake.drop_response_next(method, rest)

    with pytest.raises(ModelOpsError, match="broke before it answered") as info:
        client.write_file_on_branch(BRANCH, "main", ENV, NEW, "Promote churn v2")
    assert "may have been applied" in info.value.hint
    head = client.write_file_on_branch(BRANCH, "main", ENV, NEW, "Promote churn v2")

    assert fake.count(method, rest) == 1
    assert head == fake.branches[BRANCH]
    assert fake.history(BRANCH) == ["Promote churn v2", "Initial commit"]


def test_a_branch_created_meanwhile_by_someone_else_is_used(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    theirs = fake.branches["main"]
    fake.before_next("POST", "git/refs", lambda: fake.branches.__setitem__(BRANCH, theirs))

    head = client.write_file_on_branch(BRANCH, "main", ENV, NEW, "Promote churn v2")

    assert fake.commits[head].parents == [theirs]
    assert fake.file(BRANCH, ENV) == NEW
    assert fake.count("POST", "git/refs") == 1


# -- pull requests ----------------------------------------------------------------------------


def test_open_pull_creates_it_with_labels_and_review_requests(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    pull = promote(client)

    stored = fake.pulls[pull.number]
    assert (stored.head, stored.base, stored.title, stored.body) == (
        BRANCH,
        "main",
        "Promote churn v2 to prod",
        "gates passed",
    )
    assert pull == PullRequest(
        number=stored.number,
        url=f"{fake.base_url}/_html/acme/models/pull/{stored.number}",
        head_sha=fake.branches[BRANCH],
        state="open",
        merged=False,
        base="main",
        head=BRANCH,
    )
    assert stored.labels == ["promotion", "env:prod"]
    assert stored.requested_reviewers == ["alice"]
    assert stored.requested_teams == ["ml-leads"]
    assert client.find_open_pull(BRANCH, "main") == pull


def test_open_pull_again_updates_the_same_pull_request(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    first = promote(client)

    second = promote(client, title="Promote churn v2 to prod (re-run)")

    assert second.number == first.number
    assert list(fake.pulls) == [first.number]
    assert fake.pulls[first.number].title == "Promote churn v2 to prod (re-run)"
    assert fake.count("POST", "pulls") == 1
    assert fake.count("PATCH", f"pulls/{first.number}") == 1
    assert fake.count("POST", "labels") == 2  # one per new label, never again
    assert fake.count("POST", f"issues/{first.number}/labels") == 1
    assert fake.count("POST", f"pulls/{first.number}/requested_reviewers") == 1


def test_a_rerun_without_changes_writes_nothing(fake: FakeGitHub, client: GitHubPromotions) -> None:
    promote(client)
    writes = fake.writes()

    promote(client)

    assert fake.writes() == writes


def test_someone_who_already_reviewed_is_not_asked_again(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    pull = promote(client)
    fake.add_review(pull.number, "alice", "APPROVED")

    client.open_or_update_pull(BRANCH, "main", "t", "b", [], ["alice", "bob"], [])

    assert fake.pulls[pull.number].requested_reviewers == ["bob"]
    assert fake.count("POST", f"pulls/{pull.number}/requested_reviewers") == 2


def test_the_pull_request_author_is_not_asked_to_review(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    client.write_file_on_branch(BRANCH, "main", ENV, NEW, "x")

    pull = client.open_or_update_pull(BRANCH, "main", "t", "b", [], [fake.user, "alice"], [])

    assert fake.pulls[pull.number].requested_reviewers == ["alice"]


@pytest.mark.parametrize("mode", ["close", "502"])
def test_lost_response_on_post_pulls_then_a_rerun_yields_one_pull_request(
    fake: FakeGitHub, client: GitHubPromotions, mode: str
) -> None:
    client.write_file_on_branch(BRANCH, "main", ENV, NEW, "x")
    fake.drop_response_next("POST", "pulls", mode)

    with pytest.raises(ModelOpsError):
        client.open_or_update_pull(BRANCH, "main", "Promote", "b", ["promotion"], ["alice"], [])
    assert len(fake.pulls) == 1  # GitHub did create it; only the answer was lost
    pull = client.open_or_update_pull(BRANCH, "main", "Promote", "b", ["promotion"], ["alice"], [])

    assert list(fake.pulls) == [pull.number]
    assert fake.count("POST", "pulls") == 1
    assert fake.pulls[pull.number].labels == ["promotion"]
    assert fake.pulls[pull.number].requested_reviewers == ["alice"]


def test_a_pull_request_opened_meanwhile_is_reused_and_updated(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    client.write_file_on_branch(BRANCH, "main", ENV, NEW, "x")
    fake.before_next("POST", "pulls", lambda: fake.open_pull(BRANCH, "main", "theirs"))
    fake.before_next("POST", "labels", lambda: fake.make_label("Promotion"))

    pull = client.open_or_update_pull(BRANCH, "main", "ours", "b", ["promotion"], [], [])

    assert list(fake.pulls) == [pull.number]
    assert fake.pulls[pull.number].title == "ours"
    assert fake.pulls[pull.number].labels == ["promotion"]
    assert [label["name"] for label in fake.labels.values()] == ["Promotion"]


def test_find_open_pull_ignores_other_branches_and_closed_pulls(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    assert client.find_open_pull(BRANCH, "main") is None
    pull = promote(client)
    assert client.find_open_pull("modelops/promote/prod/other", "main") is None

    client.close_pull(pull.number, "superseded")

    assert client.find_open_pull(BRANCH, "main") is None


def test_an_empty_promotion_is_refused_with_githubs_reason(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    client.write_file_on_branch(BRANCH, "main", ENV, OLD, "same text: no commit")

    with pytest.raises(ModelOpsError, match=r"422 Validation Failed: No commits between main"):
        client.open_or_update_pull(BRANCH, "main", "t", "b", [], [], [])


def test_close_pull_comments_once_and_closes(fake: FakeGitHub, client: GitHubPromotions) -> None:
    pull = promote(client)

    client.close_pull(pull.number, "Superseded by a newer promotion")
    client.close_pull(pull.number, "Superseded by a newer promotion")

    assert fake.pulls[pull.number].state == "closed"
    assert [c["body"] for c in fake.comments[pull.number]] == ["Superseded by a newer promotion"]


# -- reviews, rules and checks ----------------------------------------------------------------


def test_reviews_are_read_back(fake: FakeGitHub, client: GitHubPromotions) -> None:
    pull = promote(client)
    fake.add_review(pull.number, "alice", "CHANGES_REQUESTED", commit_id="a" * 40)
    fake.add_review(pull.number, "bob", "APPROVED")

    reviews = client.reviews(pull.number)

    assert [(r.login, r.state, r.commit_id) for r in reviews] == [
        ("alice", "CHANGES_REQUESTED", "a" * 40),
        ("bob", "APPROVED", pull.head_sha),
    ]
    assert all(r.submitted_at.startswith("2026-01-01T00:00:") for r in reviews)
    assert reviews[0].submitted_at < reviews[1].submitted_at


def test_branch_rules_give_required_approvals_and_checks(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    fake.set_rules(
        "main",
        [
            fake.pull_request_rule(1),
            fake.status_checks_rule("ci/test", "lint"),
            {"type": "deletion"},
            fake.pull_request_rule(2),
            fake.status_checks_rule("lint", "security"),
        ],
    )

    assert [rule["type"] for rule in client.branch_rules("main")] == [
        "pull_request",
        "required_status_checks",
        "deletion",
        "pull_request",
        "required_status_checks",
    ]
    assert client.required_approvals("main") == 2
    assert client.required_checks("main") == ["ci/test", "lint", "security"]
    assert client.required_approvals("dev") == 0
    assert client.required_checks("dev") == []


def test_branch_rules_of_a_branch_with_slashes(fake: FakeGitHub, client: GitHubPromotions) -> None:
    fake.set_rules("release/prod", [fake.pull_request_rule(3)])

    assert client.required_approvals("release/prod") == 3


def test_check_conclusions_merge_check_runs_and_statuses(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    sha = fake.branches["main"]
    fake.add_check_run(sha, "ci/test", "failure")
    fake.add_check_run(sha, "ci/test", "success")  # a re-run: the newest counts
    fake.add_check_run(sha, "build", None, status="in_progress")
    fake.add_status(sha, "lint", "pending")
    fake.add_status(sha, "deploy/preview", "error")

    assert client.check_conclusions(sha) == {
        "ci/test": "success",
        "build": "in_progress",
        "lint": "pending",
        "deploy/preview": "error",
    }
    assert client.check_conclusions("f" * 40) == {}


def test_check_conclusions_read_every_page(fake: FakeGitHub, client: GitHubPromotions) -> None:
    sha = fake.branches["main"]
    for i in range(130):
        fake.add_check_run(sha, f"shard-{i}", "success")

    found = client.check_conclusions(sha)

    assert len(found) == 130
    assert fake.count("GET", f"commits/{sha}/check-runs") == 2


# -- merge ------------------------------------------------------------------------------------


def test_merge_with_the_expected_head_merges(fake: FakeGitHub, client: GitHubPromotions) -> None:
    fake.set_rules("main", [fake.pull_request_rule(1), fake.status_checks_rule("ci/test")])
    pull = promote(client)
    fake.add_review(pull.number, "alice")
    fake.add_check_run(pull.head_sha, "ci/test", "success")
    fake.push("main", {"README.md": "models, meanwhile\n"})

    sha = client.merge(pull.number, pull.head_sha, "Promote churn v2", "approved by alice")

    assert fake.branches["main"] == sha
    assert fake.file("main", ENV) == NEW
    assert fake.file("main", "README.md") == "models, meanwhile\n"
    assert fake.commits[sha].parents[1] == pull.head_sha
    assert fake.commits[sha].message == "Promote churn v2\n\napproved by alice"
    assert fake.pulls[pull.number].merged_at is not None


def test_merge_again_after_a_lost_answer_returns_the_same_merge(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    pull = promote(client)
    fake.drop_response_next("PUT", f"pulls/{pull.number}/merge")

    with pytest.raises(ModelOpsError):
        client.merge(pull.number, pull.head_sha, "t", "m")
    sha = client.merge(pull.number, pull.head_sha, "t", "m")

    assert sha == fake.branches["main"] == fake.pulls[pull.number].merge_commit_sha
    assert fake.count("PUT", f"pulls/{pull.number}/merge") == 1


def test_merge_with_a_stale_head_is_refused(fake: FakeGitHub, client: GitHubPromotions) -> None:
    pull = promote(client)
    main = fake.branches["main"]
    fake.push(BRANCH, {ENV: "models:\n  churn: sneaky\n"})

    with pytest.raises(ModelOpsError, match=f"head is no longer {pull.head_sha[:12]}") as info:
        client.merge(pull.number, pull.head_sha, "t", "m")

    assert "review the new commits" in info.value.hint
    assert fake.branches["main"] == main
    assert fake.pulls[pull.number].state == "open"


def test_merge_blocked_by_branch_rules_says_why(fake: FakeGitHub, client: GitHubPromotions) -> None:
    fake.set_rules("main", [fake.pull_request_rule(1)])
    pull = promote(client)

    with pytest.raises(ModelOpsError, match=r"will not merge.*approving review") as info:
        client.merge(pull.number, pull.head_sha, "t", "m")

    assert pull.url in info.value.hint
    assert fake.file("main", ENV) == OLD


def test_merge_of_a_closed_pull_request_is_refused(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    pull = promote(client)
    client.close_pull(pull.number, "no")

    with pytest.raises(ModelOpsError, match="is closed"):
        client.merge(pull.number, pull.head_sha, "t", "m")
    assert fake.count("PUT", f"pulls/{pull.number}/merge") == 0


# -- retries and rate limits ------------------------------------------------------------------


def test_a_get_that_fails_with_5xx_is_retried(
    fake: FakeGitHub, client: GitHubPromotions, sleeps: list[float]
) -> None:
    fake.fail_next("GET", "", count=2, status=502)

    assert client.default_branch() == "main"

    assert fake.count("GET", "") == 3
    assert sleeps == [1.0]  # urllib3 backoff: none before the first retry, then 0.5 * 2


def test_a_get_that_keeps_failing_gives_up_with_the_status(
    fake: FakeGitHub, client: GitHubPromotions
) -> None:
    fake.fail_next("GET", "", count=10, status=503)

    with pytest.raises(ModelOpsError, match="GitHub failed with 503") as info:
        client.default_branch()

    assert "re-running is safe" in info.value.hint
    assert fake.count("GET", "") == 4


@pytest.mark.parametrize(("method", "rest"), [("POST", "pulls"), ("PATCH", "pulls/1")])
def test_a_write_that_fails_with_5xx_is_not_retried(
    fake: FakeGitHub, client: GitHubPromotions, sleeps: list[float], method: str, rest: str
) -> None:
    if method == "PATCH":
        promote(client)
    client.write_file_on_branch(BRANCH, "main", ENV, NEW, "x")
    fake.fail_next(method, rest, status=502)

    with pytest.raises(ModelOpsError, match="GitHub failed with 502"):
        client.open_or_update_pull(BRANCH, "main", "new title", "b", [], [], [])

    assert fake.count(method, rest) == 1
    assert len(fake.pulls) == (1 if method == "PATCH" else 0)
    assert sleeps == []


@pytest.mark.parametrize("status", [429, 403])
def test_a_rate_limited_get_waits_retry_after_then_succeeds(
    fake: FakeGitHub, client: GitHubPromotions, sleeps: list[float], status: int
) -> None:
    fake.rate_limit_next("GET", "", status=status, retry_after=7)

    assert client.default_branch() == "main"

    assert sleeps == [7.0]
    assert fake.count("GET", "") == 2


@pytest.mark.parametrize("status", [429, 403])
def test_a_rate_limited_create_is_sent_once_more(
    fake: FakeGitHub, client: GitHubPromotions, sleeps: list[float], status: int
) -> None:
    client.write_file_on_branch(BRANCH, "main", ENV, NEW, "x")
    fake.rate_limit_next("POST", "pulls", status=status, retry_after=3, secondary=True)

    pull = client.open_or_update_pull(BRANCH, "main", "t", "b", [], [], [])

    assert sleeps == [3.0]
    assert fake.count("POST", "pulls") == 2
    assert list(fake.pulls) == [pull.number]


def test_a_primary_rate_limit_waits_until_the_reset(
    fake: FakeGitHub, client: GitHubPromotions, sleeps: list[float]
) -> None:
    fake.rate_limit_next("GET", "", status=403, retry_after=None, reset_in=20)

    assert client.default_branch() == "main"

    assert len(sleeps) == 1
    assert 19 <= sleeps[0] <= 21


def test_a_rate_limit_longer_than_a_minute_is_an_error_with_the_reset_time(
    fake: FakeGitHub, client: GitHubPromotions, sleeps: list[float]
) -> None:
    fake.rate_limit_next("GET", "", status=403, retry_after=None, reset_in=3600)
    reset = time.strftime("%Y-%m-%d %H:", time.gmtime(time.time() + 3601))

    with pytest.raises(ModelOpsError, match="rate limit") as info:
        client.default_branch()

    assert reset in info.value.message
    assert sleeps == []
    assert fake.count("GET", "") == 1


def test_a_second_rate_limit_in_a_row_is_an_error(
    fake: FakeGitHub, client: GitHubPromotions, sleeps: list[float]
) -> None:
    fake.rate_limit_next("GET", "", retry_after=2)
    fake.rate_limit_next("GET", "", retry_after=2)

    with pytest.raises(ModelOpsError, match="rate limit"):
        client.default_branch()

    assert sleeps == [2.0]
    assert fake.count("GET", "") == 2


# -- errors -----------------------------------------------------------------------------------


def test_a_bad_token_is_a_clear_error_that_never_shows_the_token(
    fake: FakeGitHub, sleeps: list[float]
) -> None:
    secret = "ghp_S3cretTokenValue0000000000000000000"
    github = make_client(fake, sleeps, token=secret)
    with pytest.raises(ModelOpsError, match=r"GitHub rejected the token \(401 Bad credentials"):
        github.default_branch()
    with pytest.raises(ModelOpsError) as info:
        github.default_branch()

    error = info.value
    assert "valid, unexpired token" in error.hint
    for text in (str(error), error.message, error.hint, repr(error), str(error.__cause__)):
        assert secret not in text


def test_a_403_that_is_not_a_rate_limit_means_no_access(
    fake: FakeGitHub, client: GitHubPromotions, sleeps: list[float]
) -> None:
    client.write_file_on_branch(BRANCH, "main", ENV, NEW, "x")
    fake.fail_next("POST", "pulls", status=403, message="Resource not accessible by integration")

    with pytest.raises(ModelOpsError, match="403 Resource not accessible") as info:
        client.open_or_update_pull(BRANCH, "main", "t", "b", [], [], [])

    assert "Pull requests write access" in info.value.hint
    assert sleeps == []


def test_an_unknown_repository_is_not_found(fake: FakeGitHub, sleeps: list[float]) -> None:
    github = GitHubPromotions("acme/nope", "t", base_url=fake.base_url, sleep=sleeps.append)

    with pytest.raises(ModelOpsError, match=r"not found on GitHub .* acme/nope") as info:
        github.default_branch()

    assert "private repositories" in info.value.hint


def test_an_unreachable_server_is_a_clear_error(sleeps: list[float]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    github = GitHubPromotions(
        "acme/models", "t", base_url=f"http://127.0.0.1:{port}", sleep=sleeps.append
    )

    with pytest.raises(ModelOpsError, match=f"cannot reach GitHub at http://127.0.0.1:{port}"):
        github.default_branch()

    assert len(sleeps) == 2  # connection retries back off through the injected sleep


def test_a_write_that_times_out_is_reported_and_a_rerun_converges(
    fake: FakeGitHub, sleeps: list[float]
) -> None:
    github = make_client(fake, sleeps, timeout=1.0)
    github.write_file_on_branch(BRANCH, "main", ENV, NEW, "x")
    fake.delay_next("POST", "pulls", seconds=2.0)

    with pytest.raises(ModelOpsError, match="did not answer within 1 s") as info:
        github.open_or_update_pull(BRANCH, "main", "t", "b", [], [], [])
    assert "may have been applied" in info.value.hint

    deadline = time.monotonic() + 5
    while not fake.pulls and time.monotonic() < deadline:
        time.sleep(0.05)  # the slow server still creates it after the client gave up
    pull = github.open_or_update_pull(BRANCH, "main", "t", "b", [], [], [])

    assert list(fake.pulls) == [pull.number]
    assert fake.count("POST", "pulls") == 1


def test_a_repository_name_must_be_owner_slash_name() -> None:
    with pytest.raises(ModelOpsError, match="OWNER/NAME"):
        GitHubPromotions("models", "t")


# -- a real repository, opt-in ----------------------------------------------------------------

LIVE_REPO = os.environ.get("MO_GITHUB_TEST_REPO", "")
LIVE_TOKEN = os.environ.get("MO_GITHUB_TOKEN", "")


@pytest.mark.skipif(
    not (LIVE_REPO and LIVE_TOKEN), reason="set MO_GITHUB_TEST_REPO and MO_GITHUB_TOKEN"
)
def test_live_github_round_trip() -> None:
    base_url = os.environ.get("MO_GITHUB_API_URL", "https://api.github.com")
    with GitHubPromotions(LIVE_REPO, LIVE_TOKEN, base_url=base_url) as github:
        default = github.default_branch()
        sha = github.branch_sha(default)
        assert sha is not None and len(sha) == 40
        assert github.branch_sha("modelops/no-such-branch-for-sure") is None
        assert github.required_approvals(default) >= 0
        assert isinstance(github.required_checks(default), list)
        assert isinstance(github.check_conclusions(sha), dict)
        if os.environ.get("MO_GITHUB_TEST_WRITE") != "1":
            return
        stamp = time.strftime("%Y%m%d%H%M%S")
        branch = f"modelops/promote/live-test/{stamp}"
        path = f"modelops-live-test/{stamp}.txt"
        head = github.write_file_on_branch(branch, default, path, "hello\n", "mo live test")
        assert github.write_file_on_branch(branch, default, path, "hello\n", "again") == head
        pull = github.open_or_update_pull(branch, default, "mo live test", "", [], [], [])
        try:
            assert github.find_open_pull(branch, default) == pull
            assert pull.head_sha == head
            assert github.reviews(pull.number) == []
        finally:
            github.close_pull(pull.number, "mo live test: closing")
            github._repo.get_git_ref(f"heads/{branch}").delete()
        assert github.find_open_pull(branch, default) is None


def test_the_fake_answers_pygithub_and_refuses_missing_credentials(fake: FakeGitHub) -> None:
    gh = Github(base_url=fake.base_url, auth=Auth.Token(fake.token), retry=None)
    repo = gh.get_repo(fake.repo)
    fake.push("main", {"environments/qa.yaml": "a: 1\n"})

    assert repo.get_branch("main").commit.sha == fake.branches["main"]
    assert repo.get_git_ref("heads/main").object.sha == fake.branches["main"]
    listing = repo.get_contents("environments", ref="main")
    assert isinstance(listing, list)
    assert sorted(item.path for item in listing) == [ENV, "environments/qa.yaml"]
    assert repo.compare("main", "main").status == "identical"
    gh.close()

    answer = requests.get(f"{fake.base_url}/repos/{fake.repo}", timeout=5)
    assert (answer.status_code, answer.json()["message"]) == (401, "Requires authentication")
