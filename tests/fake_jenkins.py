"""A stateful fake Jenkins on 127.0.0.1 (stdlib http.server in a thread) for the client tests.

It follows Jenkins' REST paths, status codes and payloads for what `mo jenkins` uses: basic
auth (401 for bad credentials, 403 for anonymous), CSRF crumbs required on every POST (403
without a valid one; `expire_crumbs_on_next_post` makes the crumbs issued so far stale, as a
restarted session would), jobs created from and read back as config.xml, builds queued with a
`Location: .../queue/item/N/` answer, queue items that get an `executable` on a later poll,
and builds that report `building` before their result.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

CRUMB_FIELD = "Jenkins-Crumb"
PARAMETER_TAG = "hudson.model.StringParameterDefinition"


@dataclass
class FakeBuild:
    number: int
    parameters: dict[str, str]
    polls: int = 0


@dataclass
class FakeJob:
    config_xml: str
    builds: dict[int, FakeBuild] = field(default_factory=dict)
    next_build_number: int = 1

    def parameters(self) -> dict[str, str]:
        root = ET.fromstring(self.config_xml.encode("utf-8"))
        return {
            (node.findtext("name") or ""): (node.findtext("defaultValue") or "")
            for node in root.iter(PARAMETER_TAG)
        }


@dataclass
class QueueItem:
    number: int
    job: str
    parameters: dict[str, str]
    polls: int = 0
    build: int | None = None


@dataclass
class FakeJenkinsState:
    users: dict[str, str]
    """user -> API token"""
    cannot_build: set[str] = field(default_factory=set)
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    queue: dict[int, QueueItem] = field(default_factory=dict)
    next_queue_item: int = 100
    crumbs: set[str] = field(default_factory=set)
    expire_crumbs_on_next_post: bool = False
    results: dict[str, str] = field(default_factory=dict)
    """job -> the result its builds end with (default SUCCESS; 'RUNNING' never ends)"""
    queue_polls_before_start: int = 1
    build_polls_before_end: int = 1
    stuck_in_queue: bool = False
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    """(method, path, status) of every request, in order"""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def builds_queued(self, job: str) -> int:
        return sum(1 for item in self.queue.values() if item.job == job)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: pytest shows the test's own output."""

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with state.lock:
            status, headers, payload = self._route(method, parts.path, parts.query, body)
            state.requests.append((method, parts.path, status))
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode("utf-8")
        self.send_response(status)
        content_type = "application/xml" if isinstance(payload, bytes) else "application/json"
        self.send_header("Content-Type", content_type)
        self.send_header("X-Jenkins", "2.462.3")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _user(self) -> tuple[str | None, bool]:
        """(user, credentials ok); no Authorization header is anonymous."""
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None, True
        user, _, token = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        return user, self.server.state.users.get(user) == token

    def _route(
        self, method: str, path: str, query: str, body: bytes
    ) -> tuple[int, dict[str, str], Any]:
        state = self.server.state
        user, valid = self._user()
        if not valid:
            return 401, {"WWW-Authenticate": 'Basic realm="Jenkins"'}, {"error": "Unauthorized"}
        if user is None:
            return 403, {}, {"error": "anonymous is missing the Overall/Read permission"}
        if method == "POST":
            if state.expire_crumbs_on_next_post:
                state.expire_crumbs_on_next_post = False
                state.crumbs.clear()
            if self.headers.get(CRUMB_FIELD) not in state.crumbs:
                return 403, {}, {"error": "No valid crumb was included in the request"}
        segments = [unquote(segment) for segment in path.strip("/").split("/") if segment]
        job_parts: list[str] = []
        while len(segments) >= 2 and segments[0] == "job":
            job_parts.append(segments[1])
            segments = segments[2:]
        args = dict(parse_qsl(query))
        if job_parts:
            return self._job_route(method, "/".join(job_parts), segments, args, body, user)
        return self._root_route(method, segments, args, body, user)

    def _root_route(
        self, method: str, segments: list[str], args: dict[str, str], body: bytes, user: str
    ) -> tuple[int, dict[str, str], Any]:
        state = self.server.state
        if method == "GET" and segments == ["crumbIssuer", "api", "json"]:
            crumb = secrets.token_hex(16)
            state.crumbs.add(crumb)
            return (
                200,
                {},
                {
                    "_class": "hudson.security.csrf.DefaultCrumbIssuer",
                    "crumb": crumb,
                    "crumbRequestField": CRUMB_FIELD,
                },
            )
        if method == "GET" and segments == ["api", "json"]:
            jobs = [{"name": name, "url": self._url(f"job/{name}/")} for name in state.jobs]
            return 200, {}, {"_class": "hudson.model.Hudson", "mode": "NORMAL", "jobs": jobs}
        if method == "GET" and segments in (["me", "api", "json"], ["whoAmI", "api", "json"]):
            return 200, {}, {"_class": "hudson.model.User", "id": user, "fullName": user}
        if method == "POST" and segments == ["createItem"]:
            name = args.get("name", "")
            if not name or name in state.jobs:
                return 400, {}, {"error": f"A job already exists with the name '{name}'"}
            config = _parsed_xml(body)
            if config is None:
                return 500, {}, {"error": "Failed to parse config.xml"}
            state.jobs[name] = FakeJob(config)
            return 200, {}, b""
        if (
            method == "GET"
            and segments[:2] == ["queue", "item"]
            and segments[3:] == ["api", "json"]
        ):
            return self._queue_item(int(segments[2]))
        return 404, {}, {"error": "Not Found"}

    def _job_route(
        self,
        method: str,
        name: str,
        segments: list[str],
        args: dict[str, str],
        body: bytes,
        user: str,
    ) -> tuple[int, dict[str, str], Any]:
        state = self.server.state
        job = state.jobs.get(name)
        if job is None:
            return 404, {}, {"error": "Not Found"}
        if segments == ["config.xml"]:
            if method == "GET":
                return 200, {}, job.config_xml.encode("utf-8")
            config = _parsed_xml(body)
            if config is None:
                return 500, {}, {"error": "Failed to parse config.xml"}
            job.config_xml = config
            return 200, {}, b""
        if method == "GET" and segments == ["api", "json"]:
            return 200, {}, self._job_info(name, job)
        if method == "POST" and segments in (["build"], ["buildWithParameters"]):
            if user in state.cannot_build:
                return 403, {}, {"error": f"{user} is missing the Job/Build permission"}
            declared = job.parameters()
            if segments == ["buildWithParameters"] and not declared:
                return 400, {}, {"error": f"{name} is not parameterized"}
            number = state.next_queue_item
            state.next_queue_item += 1
            state.queue[number] = QueueItem(number, name, {**declared, **args})
            return 201, {"Location": self._url(f"queue/item/{number}/")}, b""
        if method == "GET" and len(segments) == 3 and segments[1:] == ["api", "json"]:
            build = job.builds.get(int(segments[0])) if segments[0].isdigit() else None
            if build is None:
                return 404, {}, {"error": "Not Found"}
            return 200, {}, self._build_info(name, build)
        return 404, {}, {"error": "Not Found"}

    def _job_info(self, name: str, job: FakeJob) -> dict[str, Any]:
        definitions = [
            {
                "_class": "hudson.model.StringParameterDefinition",
                "name": key,
                "type": "StringParameterDefinition",
                "defaultParameterValue": {
                    "_class": "hudson.model.StringParameterValue",
                    "value": value,
                },
            }
            for key, value in job.parameters().items()
        ]
        properties = (
            [
                {
                    "_class": "hudson.model.ParametersDefinitionProperty",
                    "parameterDefinitions": definitions,
                }
            ]
            if definitions
            else []
        )
        return {
            "_class": "org.jenkinsci.plugins.workflow.job.WorkflowJob",
            "name": name.rsplit("/", 1)[-1],
            "fullName": name,
            "url": self._url(f"job/{name}/"),
            "buildable": True,
            "nextBuildNumber": job.next_build_number,
            "property": properties,
            "builds": [
                {"number": number, "url": self._url(f"job/{name}/{number}/")}
                for number in sorted(job.builds, reverse=True)
            ],
        }

    def _queue_item(self, number: int) -> tuple[int, dict[str, str], Any]:
        state = self.server.state
        item = state.queue.get(number)
        if item is None:
            return 404, {}, {"error": "Not Found"}
        item.polls += 1
        data: dict[str, Any] = {
            "_class": "hudson.model.Queue$WaitingItem",
            "id": number,
            "task": {"name": item.job, "url": self._url(f"job/{item.job}/")},
            "cancelled": False,
        }
        if item.build is None and (
            state.stuck_in_queue or item.polls <= state.queue_polls_before_start
        ):
            return (
                200,
                {},
                {**data, "why": "Waiting for next available executor", "executable": None},
            )
        if item.build is None:
            job = state.jobs[item.job]
            item.build = job.next_build_number
            job.next_build_number += 1
            job.builds[item.build] = FakeBuild(item.build, item.parameters)
        url = self._url(f"job/{item.job}/{item.build}/")
        return (
            200,
            {},
            {
                **data,
                "_class": "hudson.model.Queue$LeftItem",
                "executable": {"number": item.build, "url": url},
            },
        )

    def _build_info(self, name: str, build: FakeBuild) -> dict[str, Any]:
        state = self.server.state
        build.polls += 1
        outcome = state.results.get(name, "SUCCESS")
        running = outcome == "RUNNING" or build.polls <= state.build_polls_before_end
        return {
            "_class": "org.jenkinsci.plugins.workflow.job.WorkflowRun",
            "number": build.number,
            "url": self._url(f"job/{name}/{build.number}/"),
            "building": running,
            "result": None if running else outcome,
            "actions": [
                {
                    "_class": "hudson.model.ParametersAction",
                    "parameters": [{"name": k, "value": v} for k, v in build.parameters.items()],
                }
            ],
        }

    def _url(self, rest: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/{rest}"


def _parsed_xml(body: bytes) -> str | None:
    """Jenkins refuses config.xml it cannot parse; so does the fake."""
    try:
        ET.fromstring(body)
    except ET.ParseError:
        return None
    return body.decode("utf-8")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FakeJenkinsState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


@dataclass
class FakeJenkins:
    state: FakeJenkinsState
    url: str


@contextmanager
def fake_jenkins(users: dict[str, str]) -> Iterator[FakeJenkins]:
    server = _Server(FakeJenkinsState(users))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield FakeJenkins(server.state, f"http://{host!s}:{port}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
