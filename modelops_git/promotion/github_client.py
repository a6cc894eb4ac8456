"""GitHub side of promotions as pull requests: branch, file, pull request, reviews, rules, merge.

Every create is preceded by a look-up (branch, pull request, label, comment), so a re-run after a
lost response converges on the same objects instead of creating duplicates.
"""

from __future__ import annotations

import math
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, Self, TypeVar

import requests
from github import Auth, Github, GithubException, UnknownObjectException
from github.ContentFile import ContentFile
from github.PullRequest import PullRequest as GhPullRequest
from github.PullRequestReview import PullRequestReview
from github.Repository import Repository
from github.Requester import Requester
from urllib3.exceptions import (
    MaxRetryError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import (
    TimeoutError as Urllib3TimeoutError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from modelops_git.errors import ModelOpsError

__all__ = ["DEFAULT_BASE_URL", "GitHubPromotions", "PullRequest", "Review"]

DEFAULT_BASE_URL = "https://api.github.com"
MAX_RATE_LIMIT_WAIT = 60.0
LABEL_COLOR = "5319e7"
READ_METHODS = frozenset({"GET", "HEAD"})
PAGE_SIZE = 100

T = TypeVar("T")
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    head_sha: str
    state: str
    merged: bool
    base: str
    head: str


@dataclass(frozen=True)
class Review:
    login: str
    state: str
    commit_id: str
    submitted_at: str


class _ReadOnlyRetry(Retry):
    """urllib3 retries for GET/HEAD only, backing off through the injected sleep."""

    sleep_fn: Sleep = time.sleep

    def new(self, **kw: Any) -> Self:
        retry = super().new(**kw)
        retry.sleep_fn = self.sleep_fn
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        backoff = self.get_backoff_time()
        if backoff > 0:
            self.sleep_fn(backoff)


def read_only_retry(sleep: Sleep, total: int = 3) -> Retry:
    """Retry reads on 5xx and dropped connections; never a POST/PUT/PATCH whose outcome is unknown.

    PyGithub's default GithubRetry also retries POST, which could open a second pull request when
    only the response was lost. Connection failures before anything was sent (refused, DNS,
    connect timeout) are safe for any method and urllib3 retries those for every method.
    Rate limits are left to GitHubPromotions, which waits through the injected sleep.
    """
    retry = _ReadOnlyRetry(
        total=total,
        allowed_methods=READ_METHODS,
        status_forcelist=(500, 502, 503, 504),
        backoff_factor=0.5,
        respect_retry_after_header=False,
        raise_on_status=False,
    )
    retry.sleep_fn = sleep
    return retry


class GitHubPromotions:
    """What a promotion needs from one GitHub repository, with errors a user can act on."""

    def __init__(
        self,
        repo: str,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 15.0,
        sleep: Sleep = time.sleep,
        *,
        write_interval: float = 1.0,
    ) -> None:
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise ModelOpsError(
                f"GitHub repository must be OWNER/NAME, got {repo!r}",
                "name it like `acme/models`",
            )
        if not token:
            raise ModelOpsError(
                "no GitHub token given",
                "create a token with Contents and Pull requests write access to "
                f"{repo} and pass it to mo",
            )
        self.repo = repo
        self.owner = owner
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._sleep = sleep
        self._token = token
        self._gh = Github(
            base_url=self.base_url,
            auth=Auth.Token(token),
            # PyGithub insists on whole seconds.
            timeout=max(1, math.ceil(timeout)),
            retry=read_only_retry(sleep),
            per_page=PAGE_SIZE,
            seconds_between_requests=None,
            # GitHub asks for a pause between writes to stay clear of secondary rate limits.
            seconds_between_writes=write_interval or None,
        )
        self._repo_url = f"{self.base_url}/repos/{repo}"
        self._repository: Repository | None = None
        self._requester: Requester = self._gh.requester

    def close(self) -> None:
        self._gh.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- reads -------------------------------------------------------------------------------

    def default_branch(self) -> str:
        return self._repo.default_branch

    def branch_sha(self, branch: str) -> str | None:
        # The exact-match endpoint: the legacy /git/refs/{ref} that older PyGithub calls
        # answers a list of refs that merely start with the name.
        url = f"{self._repo_url}/git/ref/heads/{urllib.parse.quote(branch)}"

        def lookup() -> str | None:
            try:
                _, data = self._requester.requestJsonAndCheck("GET", url)
            except UnknownObjectException:
                return None
            return str(data["object"]["sha"])

        return self._call("GET", f"look up branch {branch}", lookup)

    def find_open_pull(self, head_branch: str, base: str) -> PullRequest | None:
        found = self._find_open(head_branch, base)
        return (
            None if found is None else self._call("GET", "read pull request", lambda: _pull(found))
        )

    def reviews(self, number: int) -> list[Review]:
        def read() -> list[Review]:
            return [_review(item) for item in self._get_pull(number).get_reviews()]

        return self._call("GET", f"read reviews of pull request #{number}", read)

    def branch_rules(self, branch: str) -> list[dict[str, Any]]:
        path = f"/rules/branches/{urllib.parse.quote(branch)}"
        return self._get_paged(path, None, f"read the rules for branch {branch}")

    def required_approvals(self, branch: str) -> int:
        counts = [
            int(rule.get("parameters", {}).get("required_approving_review_count", 0))
            for rule in self.branch_rules(branch)
            if rule.get("type") == "pull_request"
        ]
        return max(counts, default=0)

    def required_checks(self, branch: str) -> list[str]:
        contexts: dict[str, None] = {}
        for rule in self.branch_rules(branch):
            if rule.get("type") == "required_status_checks":
                for check in rule.get("parameters", {}).get("required_status_checks", []):
                    contexts[str(check["context"])] = None
        return list(contexts)

    def check_conclusions(self, sha: str) -> dict[str, str]:
        """Check runs (name -> conclusion, or status while unfinished) and commit statuses.

        A check run wins over a commit status of the same name: runs carry the richer result.
        """
        what = f"read checks of commit {sha[:12]}"
        found: dict[str, str] = {}
        for status in self._get_paged(f"/commits/{sha}/status", "statuses", what):
            found[str(status["context"])] = str(status["state"])
        runs: dict[str, str] = {}
        for run in self._get_paged(f"/commits/{sha}/check-runs", "check_runs", what):
            # GitHub lists the latest run of each name first.
            runs.setdefault(str(run["name"]), str(run.get("conclusion") or run.get("status")))
        found.update(runs)
        return found

    # -- writes ------------------------------------------------------------------------------

    def write_file_on_branch(
        self, branch: str, base_branch: str, path: str, text: str, message: str
    ) -> str:
        """Make `path` on `branch` hold `text`, branching from `base_branch`; the branch head."""
        head = self.branch_sha(branch)
        if head is None:
            head = self._create_branch(branch, self._base_sha(base_branch))
        elif self._compare(base_branch, head) == "behind":
            # Left from an earlier promotion that was merged: restart it from the base, or its old
            # copy of the file would conflict with what the base has now. A fast-forward, so a
            # commit pushed there meanwhile makes GitHub refuse rather than lose it.
            head = self._move_branch(branch, self._base_sha(base_branch))
        current = self._read_file(path, branch)
        if current is not None and current[1] == text:
            return head
        return self._put_file(branch, path, text, message, None if current is None else current[0])

    def open_or_update_pull(
        self,
        head_branch: str,
        base: str,
        title: str,
        body: str,
        labels: list[str],
        reviewers: list[str],
        team_reviewers: list[str],
    ) -> PullRequest:
        pull = self._find_open(head_branch, base)
        if pull is None:
            pull = self._create_pull(head_branch, base, title, body)
        else:
            self._update_pull(pull, title, body)
        self._add_labels(pull, labels)
        self._request_reviews(pull, reviewers, team_reviewers)
        return self._call("GET", "read pull request", lambda: _pull(pull))

    def merge(self, number: int, expected_head_sha: str, title: str, message: str) -> str:
        """Merge only if the head is still `expected_head_sha`; the merge commit sha."""
        pull = self._get_pull(number)
        state = self._call("GET", f"read pull request #{number}", lambda: _pull(pull))
        if state.merged:
            # A re-run after a lost merge response lands here: same head, already merged.
            if state.head_sha == expected_head_sha:
                return self._call("GET", "read pull request", lambda: str(pull.merge_commit_sha))
            raise ModelOpsError(
                f"pull request #{number} was already merged at head {state.head_sha[:12]}, "
                f"not {expected_head_sha[:12]}",
                f"see {state.url}",
            )
        if state.state != "open":
            raise ModelOpsError(
                f"pull request #{number} is closed", f"reopen it or promote again ({state.url})"
            )
        try:
            result = self._call(
                "PUT",
                f"merge pull request #{number}",
                lambda: pull.merge(
                    commit_title=title,
                    commit_message=message,
                    merge_method="merge",
                    sha=expected_head_sha,
                ),
            )
        except _HttpError as exc:
            raise _merge_error(exc, number, expected_head_sha, state.url) from exc
        if not result.merged:
            raise ModelOpsError(
                f"GitHub did not merge pull request #{number}: {result.message}", state.url
            )
        return result.sha

    def close_pull(self, number: int, comment: str) -> None:
        pull = self._get_pull(number)
        if self._call("GET", f"read pull request #{number}", lambda: pull.state) != "open":
            return

        def commented() -> bool:
            return any(item.body == comment for item in pull.get_issue_comments())

        if comment and not self._call("GET", f"read comments of #{number}", commented):
            self._call("POST", f"comment on #{number}", lambda: pull.create_issue_comment(comment))
        self._call("PATCH", f"close pull request #{number}", lambda: pull.edit(state="closed"))

    # -- helpers -----------------------------------------------------------------------------

    @property
    def _repo(self) -> Repository:
        """The repository, read once (which also checks the token and the name)."""
        if self._repository is None:
            what = f"read repository {self.repo}"
            self._repository = self._call("GET", what, lambda: self._gh.get_repo(self.repo))
        return self._repository

    def _get_pull(self, number: int) -> GhPullRequest:
        return self._call(
            "GET", f"read pull request #{number}", lambda: self._repo.get_pull(number)
        )

    def _find_open(self, head_branch: str, base: str) -> GhPullRequest | None:
        def lookup() -> GhPullRequest | None:
            pulls = self._repo.get_pulls(
                state="open", head=f"{self.owner}:{head_branch}", base=base
            )
            for pull in pulls:
                if pull.head.ref == head_branch and pull.base.ref == base:
                    return pull
            return None

        return self._call("GET", f"look up pull requests from {head_branch}", lookup)

    def _base_sha(self, base_branch: str) -> str:
        sha = self.branch_sha(base_branch)
        if sha is None:
            raise ModelOpsError(
                f"branch {base_branch} not found in {self.repo}",
                "check the base branch name (the environment's branch on GitHub)",
            )
        return sha

    def _compare(self, base: str, head_sha: str) -> str:
        """GitHub's word for `head_sha` against `base`: ahead, behind, identical or diverged."""
        url = f"{self._repo_url}/compare/{urllib.parse.quote(base)}...{head_sha}"
        request = partial(self._requester.requestJsonAndCheck, "GET", url)
        return str(self._call("GET", f"compare {head_sha[:12]} with {base}", request)[1]["status"])

    def _move_branch(self, branch: str, sha: str) -> str:
        url = f"{self._repo_url}/git/refs/heads/{urllib.parse.quote(branch)}"
        body = {"sha": sha, "force": False}
        request = partial(self._requester.requestJsonAndCheck, "PATCH", url, input=body)
        self._call("PATCH", f"move branch {branch} to {sha[:12]}", request)
        return sha

    def _create_branch(self, branch: str, sha: str) -> str:
        try:
            self._call(
                "POST",
                f"create branch {branch}",
                lambda: self._repo.create_git_ref(f"refs/heads/{branch}", sha),
            )
        except _HttpError as exc:
            # Someone (or a run whose response we lost) created it meanwhile: use theirs.
            if exc.status != 422 or (existing := self.branch_sha(branch)) is None:
                raise exc.error from exc
            return existing
        return sha

    def _read_file(self, path: str, branch: str) -> tuple[str, str] | None:
        def read() -> tuple[str, str] | None:
            try:
                found = self._repo.get_contents(path, ref=branch)
            except UnknownObjectException:
                return None
            if not isinstance(found, ContentFile) or found.type != "file":
                raise ModelOpsError(f"{path} on branch {branch} is not a file", "pick a file path")
            return found.sha, found.decoded_content.decode("utf-8")

        return self._call("GET", f"read {path} on branch {branch}", read)

    def _put_file(self, branch: str, path: str, text: str, message: str, sha: str | None) -> str:
        def put() -> str:
            if sha is None:
                written = self._repo.create_file(path, message, text, branch=branch)
            else:
                written = self._repo.update_file(path, message, text, sha, branch=branch)
            return str(written["commit"].sha)

        try:
            return self._call("PUT", f"write {path} on branch {branch}", put)
        except _HttpError as exc:
            if exc.status == 409:
                raise ModelOpsError(
                    f"{path} changed on branch {branch} while mo was writing it",
                    "run the promotion again: it re-reads the branch first",
                ) from exc
            raise exc.error from exc

    def _create_pull(self, head_branch: str, base: str, title: str, body: str) -> GhPullRequest:
        try:
            return self._call(
                "POST",
                f"open a pull request from {head_branch} into {base}",
                lambda: self._repo.create_pull(base=base, head=head_branch, title=title, body=body),
            )
        except _HttpError as exc:
            # 422 "A pull request already exists": a concurrent run got there first.
            if exc.status == 422 and (existing := self._find_open(head_branch, base)) is not None:
                self._update_pull(existing, title, body)
                return existing
            raise exc.error from exc

    def _update_pull(self, pull: GhPullRequest, title: str, body: str) -> None:
        def update() -> None:
            if pull.title != title or (pull.body or "") != body:
                pull.edit(title=title, body=body)

        self._call("PATCH", f"update pull request from {pull.head.ref}", update)

    def _add_labels(self, pull: GhPullRequest, labels: list[str]) -> None:
        # GitHub compares label names without case.
        have = self._call(
            "GET", "read pull request labels", lambda: {x.name.lower() for x in pull.labels}
        )
        missing = [label for label in dict.fromkeys(labels) if label.lower() not in have]
        if not missing:
            return
        known = self._call(
            "GET",
            "read repository labels",
            lambda: {x.name.lower() for x in self._repo.get_labels()},
        )
        for label in missing:
            if label.lower() not in known:
                self._create_label(label)
        self._call("POST", "label the pull request", lambda: pull.add_to_labels(*missing))

    def _create_label(self, label: str) -> None:
        try:
            self._call(
                "POST",
                f"create label {label}",
                lambda: self._repo.create_label(label, LABEL_COLOR, "Added by mo promote"),
            )
        except _HttpError as exc:
            if exc.status != 422:  # 422 already_exists: created meanwhile, which is fine
                raise exc.error from exc

    def _request_reviews(self, pull: GhPullRequest, users: list[str], teams: list[str]) -> None:
        if not users and not teams:
            return

        def pending() -> tuple[list[str], list[str]]:
            author = pull.user.login.lower()
            # Asking again someone who already reviewed would re-request (and re-notify) them.
            done = {review.user.login.lower() for review in pull.get_reviews() if review.user}
            done |= {user.login.lower() for user in pull.requested_reviewers}
            done_teams = {team.slug.lower() for team in pull.requested_teams}
            new_users = [u for u in dict.fromkeys(users) if u.lower() not in done | {author}]
            new_teams = [t for t in dict.fromkeys(teams) if t.lower() not in done_teams]
            return new_users, new_teams

        new_users, new_teams = self._call("GET", "read requested reviewers", pending)
        if new_users or new_teams:
            self._call(
                "POST",
                f"request reviews on pull request #{pull.number}",
                lambda: pull.create_review_request(reviewers=new_users, team_reviewers=new_teams),
            )

    def _get_paged(self, path: str, key: str | None, what: str) -> list[dict[str, Any]]:
        """Every item of a paginated endpoint: the page itself (key None) or page[key]."""
        url = f"{self._repo_url}{path}"
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"per_page": PAGE_SIZE, "page": page}
            request = partial(self._requester.requestJsonAndCheck, "GET", url, params)
            _, data = self._call("GET", what, request)
            batch = data if key is None else data.get(key, [])
            items.extend(batch)
            if len(batch) < PAGE_SIZE:
                return items
            page += 1

    def _call(self, method: str, what: str, action: Callable[[], T]) -> T:
        """Run one GitHub request (or one listing), waiting out a rate limit once."""
        for attempt in (1, 2):
            try:
                return action()
            except GithubException as exc:
                wait = _rate_limit_wait(exc)
                if wait is None:
                    detail = self._scrub(_github_message(exc))
                    raise _HttpError(exc.status, detail, self._http_error(exc, what)) from exc
                if attempt == 2 or wait > MAX_RATE_LIMIT_WAIT:
                    raise self._rate_limited(exc, wait, what) from exc
                # A rate-limit 403/429 means GitHub rejected the request before processing it,
                # so even a POST/PUT/PATCH cannot have taken effect and is safe to send again.
                self._sleep(wait)
            except requests.RequestException as exc:
                raise self._transport_error(exc, method, what) from None
        raise AssertionError("unreachable")

    def _http_error(self, exc: GithubException, what: str) -> ModelOpsError:
        status = exc.status
        detail = self._scrub(_github_message(exc))
        retry_hint = "re-running is safe: mo looks up branches and pull requests before creating"
        if status == 401:
            return ModelOpsError(
                f"GitHub rejected the token (401 {detail}) while trying to {what}",
                "use a valid, unexpired token with Contents and Pull requests write access "
                f"to {self.repo}",
            )
        if status == 403:
            return ModelOpsError(
                f"the token may not {what} in {self.repo} (403 {detail})",
                "grant it Contents and Pull requests write access (and Metadata read) "
                "on the repository, or ask a repository admin",
            )
        if status == 404:
            return ModelOpsError(
                f"not found on GitHub while trying to {what} in {self.repo} (404 {detail})",
                "check the repository OWNER/NAME and branch names; GitHub also answers 404 "
                "for private repositories the token cannot see",
            )
        if status == 422:
            return ModelOpsError(
                f"GitHub refused to {what} (422 {detail})", "fix what GitHub lists and retry"
            )
        if status >= 500:
            return ModelOpsError(
                f"GitHub failed with {status} while trying to {what} ({detail})",
                f"try again in a few minutes; {retry_hint}",
            )
        return ModelOpsError(
            f"GitHub answered {status} while trying to {what} ({detail})", retry_hint
        )

    def _rate_limited(self, exc: GithubException, wait: float, what: str) -> ModelOpsError:
        resets = datetime.fromtimestamp(time.time() + wait, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return ModelOpsError(
            f"GitHub's rate limit stops mo from trying to {what} until about {resets} "
            f"({exc.status} {self._scrub(_github_message(exc))})",
            "wait until then and run the command again; re-running is safe",
        )

    def _transport_error(
        self, exc: requests.RequestException, method: str, what: str
    ) -> ModelOpsError:
        reason = _root_reason(exc)
        maybe_done = (
            ""
            if method in READ_METHODS
            else "; the change may have been applied: re-running is safe, mo looks it up first"
        )
        if _is_timeout(exc, reason):
            return ModelOpsError(
                f"GitHub did not answer within {self._timeout:g} s while trying to {what}",
                f"try again later{maybe_done}",
            )
        if isinstance(reason, ProtocolError):
            return ModelOpsError(
                f"the connection to GitHub broke before it answered while trying to {what}",
                f"try again{maybe_done}",
            )
        return ModelOpsError(
            f"cannot reach GitHub at {self.base_url} to {what}",
            "check the network, proxy settings and the GitHub API URL",
        )

    def _scrub(self, text: str) -> str:
        # Real tokens are long; scrubbing a short test token would mangle every message.
        return text.replace(self._token, "***") if len(self._token) >= 8 else text


class _HttpError(ModelOpsError):
    """A GitHub HTTP error already worded for the user; callers may recover by status."""

    def __init__(self, status: int, detail: str, error: ModelOpsError) -> None:
        super().__init__(error.message, error.hint)
        self.status = status
        self.detail = detail
        self.error = error


def _pull(pull: GhPullRequest) -> PullRequest:
    return PullRequest(
        number=pull.number,
        url=pull.html_url,
        head_sha=pull.head.sha,
        state=pull.state,
        # List responses carry merged_at but not merged; reading merged would cost a request.
        merged=pull.merged_at is not None,
        base=pull.base.ref,
        head=pull.head.ref,
    )


def _review(review: PullRequestReview) -> Review:
    submitted = review.submitted_at
    return Review(
        login=review.user.login if review.user else "ghost",
        state=str(review.state),
        commit_id=str(review.commit_id),
        submitted_at=submitted.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if submitted else "",
    )


def _github_message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.message or "no message")
    details = []
    for item in data.get("errors") or []:
        if isinstance(item, dict):
            text = item.get("message") or " ".join(
                str(item[k]) for k in ("resource", "field", "code") if item.get(k)
            )
            details.append(str(text))
        else:
            details.append(str(item))
    text = f"{message}: {'; '.join(details)}" if details else message
    return " ".join(text.split())


def _rate_limit_wait(exc: GithubException) -> float | None:
    """Seconds to wait when `exc` is a rate limit, else None."""
    if exc.status not in (403, 429):
        return None
    headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
    retry_after = headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    reset = headers.get("x-ratelimit-reset", "").strip()
    if headers.get("x-ratelimit-remaining") == "0":
        # The reset is an epoch second; +1 because it is unclear when in that second it happens.
        return max(0.0, int(reset) - time.time()) + 1 if reset.isdigit() else MAX_RATE_LIMIT_WAIT
    message = str(exc.data.get("message", "")) if isinstance(exc.data, dict) else ""
    if exc.status == 429 or Requester.isRateLimitError(message):
        # GitHub's advice for a secondary limit without headers: wait at least a minute.
        return MAX_RATE_LIMIT_WAIT
    return None


def _merge_error(exc: _HttpError, number: int, sha: str, url: str) -> ModelOpsError:
    if exc.status == 409:
        return ModelOpsError(
            f"pull request #{number} changed: its head is no longer {sha[:12]}; not merged",
            f"review the new commits and the approvals on {url}, then merge again",
        )
    if exc.status == 405:
        return ModelOpsError(
            f"GitHub will not merge pull request #{number}: {exc.detail}",
            f"get the required approvals and checks and resolve conflicts on {url}, "
            "then merge again",
        )
    return exc.error


def _root_reason(exc: requests.RequestException) -> BaseException:
    arg = exc.args[0] if exc.args else None
    if isinstance(arg, MaxRetryError) and arg.reason is not None:
        return arg.reason
    return arg if isinstance(arg, BaseException) else exc


def _is_timeout(exc: requests.RequestException, reason: BaseException) -> bool:
    if isinstance(reason, NewConnectionError):
        return False
    return isinstance(exc, requests.Timeout) or isinstance(
        reason, ReadTimeoutError | Urllib3TimeoutError
    )
