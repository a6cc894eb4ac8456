"""A stateful fake of GitHub's REST API on 127.0.0.1, close enough that PyGithub runs against it.

It keeps commits (sha, file map, parents), branches, pull requests, reviews, labels, comments,
rulesets, check runs and commit statuses, and answers with GitHub's paths, status codes and payload
shapes. Knobs inject faults (5xx, rate limits, lost responses, slow answers) and every request is
counted by method and path, so tests can assert what reached "GitHub".

Merges take the head's changes since the merge base over the base branch: no conflict detection.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DOCS = "https://docs.github.com/rest"
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
PRIMARY_LIMIT = "API rate limit exceeded for user ID 1."
SECONDARY_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


class ApiError(Exception):
    def __init__(self, status: int, message: str, errors: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors


@dataclass
class Commit:
    sha: str
    files: dict[str, str]
    parents: list[str]
    message: str
    at: str


@dataclass
class Pull:
    number: int
    title: str
    body: str | None
    head: str
    base: str
    user: str
    created_at: str
    state: str = "open"
    head_sha: str = ""
    merged_at: str | None = None
    merge_commit_sha: str | None = None
    closed_at: str | None = None
    mergeable: bool = True
    requested_reviewers: list[str] = field(default_factory=list)
    requested_teams: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass
class Fault:
    method: str
    path: str
    kind: str
    count: int = 1
    status: int = 502
    headers: dict[str, str] = field(default_factory=dict)
    message: str = ""
    seconds: float = 0.0
    action: Callable[[], object] | None = None


def blob_sha(text: str) -> str:
    data = text.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class FakeGitHub:
    """One repository `owner/name` served at `base_url`; use as a context manager."""

    def __init__(
        self,
        owner: str = "acme",
        name: str = "models",
        token: str = "t",
        default_branch: str = "main",
        files: dict[str, str] | None = None,
        user: str = "mo-bot",
    ) -> None:
        self.owner, self.name, self.token, self.user = owner, name, token, user
        self.default = default_branch
        self.lock = threading.RLock()
        self.commits: dict[str, Commit] = {}
        self.branches: dict[str, str] = {}
        self.pulls: dict[int, Pull] = {}
        self.reviews: dict[int, list[dict[str, Any]]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.labels: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, list[dict[str, Any]]] = {}
        self.check_runs: dict[str, list[dict[str, Any]]] = {}
        self.statuses: dict[str, list[dict[str, Any]]] = {}
        self.collaborators: set[str] | None = None
        self.faults: list[Fault] = []
        self.calls: Counter[tuple[str, str]] = Counter()
        self.log: list[tuple[str, str]] = []
        self._seq = 0
        self._current_path = ""
        root = self._new_commit(files or {"README.md": "models\n"}, [], "Initial commit")
        self.branches[default_branch] = root
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.fake = self  # type: ignore[attr-defined]
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def __enter__(self) -> FakeGitHub:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- helpers for tests -------------------------------------------------------------------

    @property
    def repo(self) -> str:
        return f"{self.owner}/{self.name}"

    def path(self, rest: str) -> str:
        """The API path of `rest` in this repository ("pulls" -> "/repos/acme/models/pulls")."""
        return rest if rest.startswith("/") else f"/repos/{self.repo}/{rest}".rstrip("/")

    def count(self, method: str, rest: str) -> int:
        return self.calls[(method, self.path(rest))]

    def writes(self) -> list[tuple[str, str]]:
        return [(m, p) for m, p in self.log if m not in ("GET", "HEAD")]

    def push(self, branch: str, files: dict[str, str | None], message: str = "push") -> str:
        """Commit `files` (None deletes) on `branch` as someone else would; the new head."""
        with self.lock:
            tree = dict(self.commits[self.branches[branch]].files)
            for path, text in files.items():
                if text is None:
                    tree.pop(path, None)
                else:
                    tree[path] = text
            self.branches[branch] = self._new_commit(tree, [self.branches[branch]], message)
            return self.branches[branch]

    def open_pull(self, head: str, base: str, title: str = "", body: str = "") -> int:
        """Open a pull request as someone else would; its number."""
        with self.lock:
            _, payload, _ = self._create_pull({}, {"head": head, "base": base, "title": title})
            self.pulls[payload["number"]].body = body
            return int(payload["number"])

    def make_label(self, name: str) -> None:
        with self.lock:
            self._make_label(name)

    def file(self, ref: str, path: str) -> str | None:
        with self.lock:
            return self.commits[self._resolve(ref)].files.get(path)

    def history(self, branch: str) -> list[str]:
        """Commit messages from the branch head along first parents."""
        with self.lock:
            out, sha = [], self.branches[branch]
            while True:
                commit = self.commits[sha]
                out.append(commit.message)
                if not commit.parents:
                    return out
                sha = commit.parents[0]

    def add_review(
        self, number: int, login: str, state: str = "APPROVED", commit_id: str | None = None
    ) -> None:
        with self.lock:
            pull = self.pulls[number]
            sha = commit_id or self._head_sha(pull)
            reviews = self.reviews.setdefault(number, [])
            reviews.append(
                {
                    "id": 5000 + len(reviews),
                    "node_id": f"PRR_{number}_{len(reviews)}",
                    "user": self._user(login),
                    "body": "",
                    "state": state,
                    "html_url": f"{self._html}/pull/{number}#review",
                    "pull_request_url": f"{self._api}/pulls/{number}",
                    "commit_id": sha,
                    "submitted_at": self._now(),
                    "author_association": "MEMBER",
                }
            )
            pull.requested_reviewers = [u for u in pull.requested_reviewers if u != login]

    def add_check_run(
        self, sha: str, name: str, conclusion: str | None, status: str = "completed"
    ) -> None:
        with self.lock:
            runs = self.check_runs.setdefault(sha, [])
            # GitHub lists the newest run first.
            runs.insert(
                0,
                {
                    "id": 9000 + sum(len(v) for v in self.check_runs.values()),
                    "name": name,
                    "head_sha": sha,
                    "status": status,
                    "conclusion": conclusion,
                    "started_at": self._now(),
                    "completed_at": self._now() if status == "completed" else None,
                },
            )

    def add_status(self, sha: str, context: str, state: str) -> None:
        with self.lock:
            statuses = self.statuses.setdefault(sha, [])
            statuses[:] = [s for s in statuses if s["context"] != context]
            statuses.insert(0, {"context": context, "state": state, "description": None})

    def set_rules(self, branch: str, rules: list[dict[str, Any]]) -> None:
        with self.lock:
            self.rules[branch] = rules

    def pull_request_rule(self, approvals: int, dismiss_stale: bool = False) -> dict[str, Any]:
        return {
            "type": "pull_request",
            "parameters": {
                "required_approving_review_count": approvals,
                "dismiss_stale_reviews_on_push": dismiss_stale,
                "require_code_owner_review": False,
                "require_last_push_approval": False,
                "required_review_thread_resolution": False,
            },
        }

    def status_checks_rule(self, *contexts: str) -> dict[str, Any]:
        return {
            "type": "required_status_checks",
            "parameters": {
                "strict_required_status_checks_policy": False,
                "required_status_checks": [{"context": c} for c in contexts],
            },
        }

    # -- fault injection ---------------------------------------------------------------------

    def fail_next(
        self, method: str, rest: str, count: int = 1, status: int = 502, message: str = ""
    ) -> None:
        """Answer the next `count` matching requests with `status` without doing anything."""
        text = message or "Server Error"
        self._fault(Fault(method, self.path(rest), "fail", count, status, message=text))

    def rate_limit_next(
        self,
        method: str,
        rest: str,
        status: int = 429,
        retry_after: int | None = 1,
        reset_in: int | None = None,
        secondary: bool = False,
    ) -> None:
        """Reject the next matching request for a rate limit, as GitHub does before processing."""
        headers = {"X-RateLimit-Limit": "5000", "X-RateLimit-Used": "5000"}
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        if reset_in is not None:
            headers["X-RateLimit-Remaining"] = "0"
            headers["X-RateLimit-Reset"] = str(int(time.time()) + reset_in)
        message = SECONDARY_LIMIT if secondary else PRIMARY_LIMIT
        self._fault(Fault(method, self.path(rest), "limit", 1, status, headers, message))

    def drop_response_next(self, method: str, rest: str, mode: str = "close") -> None:
        """Perform the next matching request, then lose its answer: close the socket, or 502."""
        assert mode in ("close", "502")
        self._fault(Fault(method, self.path(rest), "drop-" + mode))

    def delay_next(self, method: str, rest: str, seconds: float, count: int = 1) -> None:
        self._fault(Fault(method, self.path(rest), "delay", count, seconds=seconds))

    def before_next(self, method: str, rest: str, action: Callable[[], object]) -> None:
        """Run `action` just before the next matching request: someone else got there first."""
        self._fault(Fault(method, self.path(rest), "before", action=action))

    def _fault(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.method == method and fault.path == path:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # -- the HTTP side -----------------------------------------------------------------------

    def serve(self, handler: _Handler) -> None:
        split = urllib.parse.urlsplit(handler.path)
        path = urllib.parse.unquote(split.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(split.query).items()}
        method = handler.command
        with self.lock:
            self.calls[(method, path)] += 1
            self.log.append((method, path))
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        auth = handler.headers.get("Authorization", "")
        if not auth:
            return handler.reply(401, _error("Requires authentication"))
        if auth not in (f"token {self.token}", f"Bearer {self.token}"):
            return handler.reply(401, _error("Bad credentials"))
        fault = self._take_fault(method, path)
        if fault is not None and fault.kind == "fail":
            return handler.reply(fault.status, _error(fault.message))
        if fault is not None and fault.kind == "limit":
            return handler.reply(fault.status, _error(fault.message), fault.headers)
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.seconds)
        if fault is not None and fault.action is not None:
            with self.lock:
                fault.action()
        try:
            body = json.loads(raw) if raw else {}
            with self.lock:
                status, payload, headers = self._route(method, path, query, body)
        except ApiError as exc:
            status, payload, headers = exc.status, _error(exc.message, exc.errors), {}
        except json.JSONDecodeError:
            status, payload, headers = 400, _error("Problems parsing JSON"), {}
        if fault is not None and fault.kind == "drop-close":
            handler.close_connection = True
            return None
        if fault is not None and fault.kind == "drop-502":
            return handler.reply(502, _error("Server Error"))
        return handler.reply(status, payload, headers)

    def _route(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        prefix = f"/repos/{self.repo}"
        if path != prefix and not path.startswith(prefix + "/"):
            raise ApiError(404, "Not Found")
        rest = path[len(prefix) + 1 :]
        self._current_path = path
        for verb, pattern, action in self._routes():
            match = re.fullmatch(pattern, rest)
            if verb == method and match:
                result = action(query, body, *match.groups())
                if isinstance(result, tuple):
                    return result
                return 200, result, {}
        raise ApiError(404, "Not Found")

    def _routes(self) -> list[tuple[str, str, Callable[..., Any]]]:
        return [
            ("GET", "", lambda q, b: self._repo_json()),
            ("GET", r"branches/(.+)", self._get_branch),
            ("GET", r"git/ref/heads/(.+)", self._get_ref),
            ("POST", r"git/refs", self._create_ref),
            ("PATCH", r"git/refs/heads/(.+)", self._update_ref),
            ("GET", r"compare/(.+)\.\.\.(.+)", self._compare),
            ("GET", r"contents/(.+)", self._get_contents),
            ("PUT", r"contents/(.+)", self._put_contents),
            ("GET", r"pulls", self._list_pulls),
            ("POST", r"pulls", self._create_pull),
            ("GET", r"pulls/(\d+)", lambda q, b, n: self._pull_json(self._pull(n), full=True)),
            ("PATCH", r"pulls/(\d+)", self._edit_pull),
            ("POST", r"pulls/(\d+)/requested_reviewers", self._request_reviewers),
            ("GET", r"pulls/(\d+)/reviews", self._list_reviews),
            ("PUT", r"pulls/(\d+)/merge", self._merge),
            ("GET", r"labels", lambda q, b: self._page(q, list(self.labels.values()))),
            ("GET", r"labels/(.+)", lambda q, b, name: self._label(name)),
            ("POST", r"labels", self._create_label),
            ("GET", r"issues/(\d+)/labels", self._issue_labels),
            ("POST", r"issues/(\d+)/labels", self._add_issue_labels),
            ("GET", r"issues/(\d+)/comments", self._list_comments),
            ("POST", r"issues/(\d+)/comments", self._add_comment),
            ("GET", r"rules/branches/(.+)", self._branch_rules),
            ("GET", r"commits/([0-9a-f]{40})/check-runs", self._check_runs),
            ("GET", r"commits/([0-9a-f]{40})/status", self._combined_status),
        ]

    # -- git model ---------------------------------------------------------------------------

    def _now(self) -> str:
        self._seq += 1
        return (EPOCH + timedelta(seconds=self._seq)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _new_commit(self, files: dict[str, str], parents: list[str], message: str) -> str:
        at = self._now()
        seed = json.dumps([sorted(files.items()), parents, message, at])
        sha = hashlib.sha1(seed.encode()).hexdigest()
        self.commits[sha] = Commit(sha, dict(files), list(parents), message, at)
        return sha

    def _resolve(self, ref: str) -> str:
        if ref in self.branches:
            return self.branches[ref]
        if ref in self.commits:
            return ref
        raise ApiError(404, f"No commit found for the ref {ref}")

    def _ancestors(self, sha: str) -> list[str]:
        seen: list[str] = []
        todo = [sha]
        while todo:
            current = todo.pop(0)
            if current not in seen:
                seen.append(current)
                todo.extend(self.commits[current].parents)
        return seen

    def _merge_tree(self, base_sha: str, head_sha: str) -> dict[str, str]:
        base_line = set(self._ancestors(base_sha))
        fork = next(sha for sha in self._ancestors(head_sha) if sha in base_line)
        old, new = self.commits[fork].files, self.commits[head_sha].files
        tree = dict(self.commits[base_sha].files)
        for path in set(old) | set(new):
            if old.get(path) != new.get(path):
                if path in new:
                    tree[path] = new[path]
                else:
                    tree.pop(path, None)
        return tree

    # -- payloads ----------------------------------------------------------------------------

    @property
    def _api(self) -> str:
        return f"{self.base_url}/repos/{self.repo}"

    @property
    def _html(self) -> str:
        return f"{self.base_url}/_html/{self.repo}"

    def _user(self, login: str) -> dict[str, Any]:
        return {
            "login": login,
            "id": sum(map(ord, login)),
            "type": "User",
            "url": f"{self.base_url}/users/{login}",
        }

    def _repo_json(self) -> dict[str, Any]:
        return {
            "id": 1,
            "node_id": "R_1",
            "name": self.name,
            "full_name": self.repo,
            "owner": self._user(self.owner),
            "private": True,
            "visibility": "private",
            "fork": False,
            "html_url": self._html,
            "url": self._api,
            "default_branch": self.default,
            "permissions": {"admin": False, "maintain": False, "push": True, "pull": True},
        }

    def _commit_json(self, sha: str) -> dict[str, Any]:
        commit = self.commits[sha]
        person = {"name": "Mo Bot", "email": "mo@example.com", "date": commit.at}
        return {
            "sha": sha,
            "node_id": f"C_{sha[:8]}",
            "url": f"{self._api}/git/commits/{sha}",
            "html_url": f"{self._html}/commit/{sha}",
            "author": person,
            "committer": person,
            "message": commit.message,
            "tree": {"sha": blob_sha(json.dumps(sorted(commit.files.items()))), "url": ""},
            "parents": [{"sha": p, "url": f"{self._api}/git/commits/{p}"} for p in commit.parents],
        }

    def _content_json(self, path: str, text: str, ref: str) -> dict[str, Any]:
        sha = blob_sha(text)
        url = f"{self._api}/contents/{urllib.parse.quote(path)}?ref={urllib.parse.quote(ref)}"
        return {
            "type": "file",
            "encoding": "base64",
            "size": len(text.encode()),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": base64.encodebytes(text.encode()).decode(),
            "sha": sha,
            "url": url,
            "git_url": f"{self._api}/git/blobs/{sha}",
            "html_url": f"{self._html}/blob/{ref}/{path}",
            "download_url": None,
        }

    def _pull_json(self, pull: Pull, full: bool = False) -> dict[str, Any]:
        sha = self._head_sha(pull)

        def side(ref: str, sha: str) -> dict[str, Any]:
            owner = self._user(self.owner)
            return {"label": f"{self.owner}:{ref}", "ref": ref, "sha": sha, "user": owner}

        data: dict[str, Any] = {
            "url": f"{self._api}/pulls/{pull.number}",
            "id": 1000 + pull.number,
            "node_id": f"PR_{pull.number}",
            "html_url": f"{self._html}/pull/{pull.number}",
            "issue_url": f"{self._api}/issues/{pull.number}",
            "number": pull.number,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": self._user(pull.user),
            "body": pull.body,
            "labels": [self.labels[name.lower()] for name in pull.labels],
            "requested_reviewers": [self._user(u) for u in pull.requested_reviewers],
            "requested_teams": [
                {"id": 70 + i, "slug": t, "name": t, "url": f"{self.base_url}/teams/{t}"}
                for i, t in enumerate(pull.requested_teams)
            ],
            "head": side(pull.head, sha),
            "base": side(pull.base, self.branches.get(pull.base, "")),
            "created_at": pull.created_at,
            "updated_at": pull.created_at,
            "closed_at": pull.closed_at,
            "merged_at": pull.merged_at,
            "merge_commit_sha": pull.merge_commit_sha,
            "draft": False,
            "author_association": "MEMBER",
        }
        if full:  # GitHub's list endpoints leave these out
            data.update(
                merged=pull.merged_at is not None,
                mergeable=pull.mergeable if pull.state == "open" else None,
                mergeable_state="clean" if pull.mergeable else "dirty",
                comments=len(self.comments.get(pull.number, [])),
                commits=1,
            )
        return data

    def _page(self, query: dict[str, str], items: list[Any]) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            # PyGithub follows rel="next"; it rebuilds the absolute URL from the path and query.
            links = {**query, "page": str(page + 1), "per_page": str(per_page)}
            url = f"{self.base_url}{self._current_path}?{urllib.parse.urlencode(links)}"
            headers["Link"] = f'<{url}>; rel="next"'
        return 200, chunk, headers

    # -- endpoints ---------------------------------------------------------------------------

    def _get_branch(self, query: dict[str, str], body: Any, name: str) -> Any:
        if name not in self.branches:
            raise ApiError(404, "Branch not found")
        sha = self.branches[name]
        return {
            "name": name,
            "commit": {"sha": sha, "url": f"{self._api}/commits/{sha}"},
            "protected": bool(self.rules.get(name)),
        }

    def _ref_json(self, name: str) -> dict[str, Any]:
        sha = self.branches[name]
        return {
            "ref": f"refs/heads/{name}",
            "node_id": f"REF_{name}",
            "url": f"{self._api}/git/refs/heads/{urllib.parse.quote(name)}",
            "object": {"type": "commit", "sha": sha, "url": f"{self._api}/git/commits/{sha}"},
        }

    def _get_ref(self, query: dict[str, str], body: Any, name: str) -> Any:
        if name not in self.branches:
            raise ApiError(404, "Not Found")
        return self._ref_json(name)

    def _create_ref(self, query: dict[str, str], body: Any) -> Any:
        ref, sha = str(body.get("ref", "")), str(body.get("sha", ""))
        if not ref.startswith("refs/heads/") or ref.count("/") < 2:
            raise ApiError(422, "Reference name must start with 'refs/' and have two slashes")
        if sha not in self.commits:
            raise ApiError(422, "Object does not exist")
        name = ref.removeprefix("refs/heads/")
        if name in self.branches:
            raise ApiError(422, "Reference already exists")
        self.branches[name] = sha
        return 201, self._ref_json(name), {}

    def _update_ref(self, query: dict[str, str], body: Any, name: str) -> Any:
        if name not in self.branches:
            raise ApiError(422, "Reference does not exist")
        sha = str(body.get("sha", ""))
        if sha not in self.commits:
            raise ApiError(422, "Object does not exist")
        if not body.get("force") and self.branches[name] not in self._ancestors(sha):
            raise ApiError(422, "Update is not a fast forward")
        self.branches[name] = sha
        return self._ref_json(name)

    def _compare(self, query: dict[str, str], body: Any, base: str, head: str) -> Any:
        base_sha, head_sha = self._resolve(base), self._resolve(head)
        base_line, head_line = self._ancestors(base_sha), self._ancestors(head_sha)
        fork = next(sha for sha in head_line if sha in base_line)
        ahead = len(set(head_line) - set(base_line))
        behind = len(set(base_line) - set(head_line))
        if base_sha == head_sha:
            status = "identical"
        elif fork == head_sha:
            status = "behind"
        elif fork == base_sha:
            status = "ahead"
        else:
            status = "diverged"
        return {
            "url": f"{self._api}/compare/{base}...{head}",
            "status": status,
            "ahead_by": ahead,
            "behind_by": behind,
            "total_commits": ahead,
            "base_commit": self._commit_json(base_sha),
            "merge_base_commit": self._commit_json(fork),
            "commits": [],
            "files": [],
        }

    def _get_contents(self, query: dict[str, str], body: Any, path: str) -> Any:
        ref = query.get("ref", self.default)
        files = self.commits[self._resolve(ref)].files
        if path in files:
            return self._content_json(path, files[path], ref)
        inside = sorted(p for p in files if p.startswith(path.rstrip("/") + "/"))
        if not inside:
            raise ApiError(404, "Not Found")
        return [
            {**self._content_json(p, files[p], ref), "type": "file", "content": None}
            for p in inside
        ]

    def _put_contents(self, query: dict[str, str], body: Any, path: str) -> Any:
        for key in ("message", "content"):
            if key not in body:
                raise ApiError(422, f'Invalid request.\n\n"{key}" wasn\'t supplied.')
        branch = body.get("branch") or self.default
        if branch not in self.branches:
            raise ApiError(404, f"Branch {branch} not found")
        text = base64.b64decode(body["content"]).decode()
        files = dict(self.commits[self.branches[branch]].files)
        if path in files and "sha" not in body:
            raise ApiError(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
        if path in files and body["sha"] != blob_sha(files[path]):
            raise ApiError(409, f"{path} does not match {body['sha']}")
        created = path not in files
        files[path] = text
        sha = self._new_commit(files, [self.branches[branch]], body["message"])
        self.branches[branch] = sha
        payload = {
            "content": self._content_json(path, text, branch),
            "commit": self._commit_json(sha),
        }
        return (201 if created else 200), payload, {}

    def _pull(self, number: str) -> Pull:
        if int(number) not in self.pulls:
            raise ApiError(404, "Not Found")
        return self.pulls[int(number)]

    def _head_sha(self, pull: Pull) -> str:
        if pull.state == "open" and pull.head in self.branches:
            return self.branches[pull.head]
        return pull.head_sha

    def _list_pulls(self, query: dict[str, str], body: Any) -> Any:
        state = query.get("state", "open")
        found = []
        for pull in sorted(self.pulls.values(), key=lambda p: -p.number):
            if state != "all" and pull.state != state:
                continue
            if "head" in query and query["head"] != f"{self.owner}:{pull.head}":
                continue
            if "base" in query and query["base"] != pull.base:
                continue
            found.append(self._pull_json(pull))
        return self._page(query, found)

    def _create_pull(self, query: dict[str, str], body: Any) -> Any:
        for key in ("head", "base"):
            if not body.get(key):
                raise ApiError(422, "Validation Failed", [_missing("PullRequest", key)])
        head = str(body["head"]).removeprefix(f"{self.owner}:")
        base = str(body["base"])
        if head not in self.branches:
            raise ApiError(422, "Validation Failed", [_invalid("PullRequest", "head")])
        if base not in self.branches:
            raise ApiError(422, "Validation Failed", [_invalid("PullRequest", "base")])
        for pull in self.pulls.values():
            if pull.state == "open" and pull.head == head and pull.base == base:
                message = f"A pull request already exists for {self.owner}:{head}."
                raise ApiError(422, "Validation Failed", [_custom("PullRequest", message)])
        if self.branches[head] in self._ancestors(self.branches[base]):
            message = f"No commits between {base} and {head}"
            raise ApiError(422, "Validation Failed", [_custom("PullRequest", message)])
        number = len(self.pulls) + 1
        pull = Pull(number, str(body.get("title", "")), body.get("body"), head, base, self.user, "")
        pull.created_at = self._now()
        self.pulls[number] = pull
        return 201, self._pull_json(pull, full=True), {}

    def _edit_pull(self, query: dict[str, str], body: Any, number: str) -> Any:
        pull = self._pull(number)
        if "title" in body:
            pull.title = str(body["title"])
        if "body" in body:
            pull.body = body["body"]
        if body.get("state") == "closed" and pull.state == "open":
            pull.head_sha = self._head_sha(pull)
            pull.state, pull.closed_at = "closed", self._now()
        return self._pull_json(pull, full=True)

    def _request_reviewers(self, query: dict[str, str], body: Any, number: str) -> Any:
        pull = self._pull(number)
        users = list(body.get("reviewers") or [])
        if pull.user in users:
            raise ApiError(422, "Review cannot be requested from pull request author.")
        if self.collaborators is not None and not set(users) <= self.collaborators:
            raise ApiError(
                422,
                "Reviews may only be requested from collaborators. One or more of the users or "
                f"teams you specified is not a collaborator of the {self.repo} repository.",
            )
        pull.requested_reviewers += [u for u in users if u not in pull.requested_reviewers]
        teams = list(body.get("team_reviewers") or [])
        pull.requested_teams += [t for t in teams if t not in pull.requested_teams]
        return 201, self._pull_json(pull, full=True), {}

    def _list_reviews(self, query: dict[str, str], body: Any, number: str) -> Any:
        self._pull(number)
        return self._page(query, self.reviews.get(int(number), []))

    def _unmet_rules(self, pull: Pull) -> list[str]:
        head = self._head_sha(pull)
        problems = []
        for rule in self.rules.get(pull.base, []):
            params = rule.get("parameters", {})
            if rule["type"] == "pull_request":
                latest: dict[str, dict[str, Any]] = {}
                for review in self.reviews.get(pull.number, []):
                    if review["state"] != "COMMENTED":
                        latest[review["user"]["login"]] = review
                approvals = [
                    r
                    for r in latest.values()
                    if r["state"] == "APPROVED"
                    and (not params.get("dismiss_stale_reviews_on_push") or r["commit_id"] == head)
                ]
                need = int(params.get("required_approving_review_count", 0))
                if len(approvals) < need:
                    problems.append(f"At least {need} approving review(s) required.")
            if rule["type"] == "required_status_checks":
                results = {s["context"]: s["state"] for s in self.statuses.get(head, [])}
                for run in reversed(self.check_runs.get(head, [])):
                    results[run["name"]] = run["conclusion"] or run["status"]
                for check in params.get("required_status_checks", []):
                    if results.get(check["context"]) not in ("success", "neutral", "skipped"):
                        problems.append(f'Required status check "{check["context"]}" is expected.')
        return problems

    def _merge(self, query: dict[str, str], body: Any, number: str) -> Any:
        pull = self._pull(number)
        head = self._head_sha(pull)
        if pull.state != "open" or not pull.mergeable:
            raise ApiError(405, "Pull Request is not mergeable")
        if body.get("sha") and body["sha"] != head:
            raise ApiError(409, "Head branch was modified. Review and try the merge again.")
        problems = self._unmet_rules(pull)
        if problems:
            raise ApiError(405, "Repository rule violations found\n\n" + "\n".join(problems))
        title = body.get("commit_title") or f"Merge pull request #{pull.number}"
        message = f"{title}\n\n{body.get('commit_message', '')}".strip()
        base_sha = self.branches[pull.base]
        tree = self._merge_tree(base_sha, head)
        sha = self._new_commit(tree, [base_sha, head], message)
        self.branches[pull.base] = sha
        pull.head_sha, pull.state, pull.merge_commit_sha = head, "closed", sha
        pull.merged_at = pull.closed_at = self._now()
        return {"sha": sha, "merged": True, "message": "Pull Request successfully merged"}

    def _label(self, name: str) -> dict[str, Any]:
        if name.lower() not in self.labels:
            raise ApiError(404, "Not Found")
        return self.labels[name.lower()]

    def _make_label(self, name: str, color: str = "ededed", description: str | None = None) -> None:
        self.labels[name.lower()] = {
            "id": 300 + len(self.labels),
            "node_id": f"LA_{len(self.labels)}",
            "url": f"{self._api}/labels/{urllib.parse.quote(name, safe='')}",
            "name": name,
            "color": color,
            "default": False,
            "description": description,
        }

    def _create_label(self, query: dict[str, str], body: Any) -> Any:
        name = str(body.get("name", ""))
        if not name:
            raise ApiError(422, "Validation Failed", [_missing("Label", "name")])
        if name.lower() in self.labels:
            error = {"resource": "Label", "code": "already_exists", "field": "name"}
            raise ApiError(422, "Validation Failed", [error])
        self._make_label(name, str(body.get("color", "ededed")), body.get("description"))
        return 201, self.labels[name.lower()], {}

    def _issue_labels(self, query: dict[str, str], body: Any, number: str) -> Any:
        return self._page(query, [self.labels[n.lower()] for n in self._pull(number).labels])

    def _add_issue_labels(self, query: dict[str, str], body: Any, number: str) -> Any:
        pull = self._pull(number)
        names = body.get("labels", []) if isinstance(body, dict) else body
        for name in names:
            if name.lower() not in self.labels:  # GitHub creates unknown labels here
                self._make_label(name)
            if name.lower() not in [n.lower() for n in pull.labels]:
                pull.labels.append(name)
        return [self.labels[n.lower()] for n in pull.labels]

    def _list_comments(self, query: dict[str, str], body: Any, number: str) -> Any:
        self._pull(number)
        return self._page(query, self.comments.get(int(number), []))

    def _add_comment(self, query: dict[str, str], body: Any, number: str) -> Any:
        self._pull(number)
        if not body.get("body"):
            raise ApiError(422, "Validation Failed", [_missing("IssueComment", "body")])
        comments = self.comments.setdefault(int(number), [])
        comment = {
            "id": 700 + len(comments),
            "node_id": f"IC_{number}_{len(comments)}",
            "url": f"{self._api}/issues/comments/{700 + len(comments)}",
            "html_url": f"{self._html}/pull/{number}#comment",
            "issue_url": f"{self._api}/issues/{number}",
            "body": body["body"],
            "user": self._user(self.user),
            "created_at": self._now(),
            "updated_at": self._now(),
        }
        comments.append(comment)
        return 201, comment, {}

    def _branch_rules(self, query: dict[str, str], body: Any, branch: str) -> Any:
        rules = [
            {
                **rule,
                "ruleset_source_type": "Repository",
                "ruleset_source": self.repo,
                "ruleset_id": 40 + i,
            }
            for i, rule in enumerate(self.rules.get(branch, []))
        ]
        return self._page(query, rules)

    def _check_runs(self, query: dict[str, str], body: Any, sha: str) -> Any:
        runs = self.check_runs.get(sha, [])
        status, chunk, headers = self._page(query, runs)
        return status, {"total_count": len(runs), "check_runs": chunk}, headers

    def _combined_status(self, query: dict[str, str], body: Any, sha: str) -> Any:
        statuses = self.statuses.get(sha, [])
        states = {s["state"] for s in statuses}
        if states & {"failure", "error"}:
            combined = "failure"
        elif "pending" in states or not statuses:
            combined = "pending"
        else:
            combined = "success"
        _, chunk, headers = self._page(query, statuses)
        payload = {"state": combined, "sha": sha, "total_count": len(statuses), "statuses": chunk}
        return 200, payload, headers


def _error(message: str, errors: list[Any] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"message": message, "documentation_url": DOCS}
    if errors is not None:
        payload["errors"] = errors
    return payload


def _missing(resource: str, field_name: str) -> dict[str, str]:
    return {"resource": resource, "field": field_name, "code": "missing_field"}


def _invalid(resource: str, field_name: str) -> dict[str, str]:
    return {"resource": resource, "field": field_name, "code": "invalid"}


def _custom(resource: str, message: str) -> dict[str, str]:
    return {"resource": resource, "code": "custom", "message": message}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle on, each answer would wait ~40 ms.
    disable_nagle_algorithm = True
    server: ThreadingHTTPServer

    def _serve(self) -> None:
        fake: FakeGitHub = self.server.fake  # type: ignore[attr-defined]
        fake.serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-GitHub-Request-Id", "FAKE")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass
