"""Talking to a Jenkins server (python-jenkins): create or update a Pipeline job, start one
build and follow it from the queue to its result, with every failure as a ModelOpsError
that says what went wrong.

Starting a build is not idempotent, so its POST is never retried blindly. The one exception:
a 403 means Jenkins refused the request (nothing was queued), and the usual cause is a CSRF
crumb that python-jenkins cached and Jenkins no longer accepts (crumbs die with the session
they were issued in); that POST is sent once more with a fresh crumb.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import jenkins
import requests

from modelops_git.errors import ModelOpsError

__all__ = ["BuildOutcome", "JenkinsClient", "outcome_data"]

T = TypeVar("T")
REQUEST_TIMEOUT_SECONDS = 30
FIRST_POLL_SECONDS = 0.1
LONGEST_POLL_SECONDS = 5.0
_FORBIDDEN = 403
_UNAUTHORIZED = 401
_NOT_FOUND = 404


@dataclass(frozen=True)
class BuildOutcome:
    job: str
    queue_item: int
    number: int
    url: str
    result: str
    """SUCCESS, FAILURE, UNSTABLE, ABORTED or NOT_BUILT, as Jenkins reports it."""


def _http_status(problem: BaseException) -> int | None:
    """python-jenkins raises its own exceptions from the requests error that has the status."""
    seen: BaseException | None = problem
    while seen is not None:
        if isinstance(seen, requests.HTTPError) and seen.response is not None:
            return int(seen.response.status_code)
        seen = seen.__cause__ or seen.__context__
    return None


class JenkinsClient:
    def __init__(
        self,
        url: str,
        user: str | None,
        token: str | None,
        request_timeout: int = REQUEST_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url.rstrip("/")
        self.user = user
        self.server = jenkins.Jenkins(url, username=user, password=token, timeout=request_timeout)

    @contextmanager
    def _explained(self, action: str, job: str | None = None) -> Iterator[None]:
        """Turns what python-jenkins and requests raise into errors a user can act on."""
        try:
            yield
        except requests.ConnectionError as problem:
            raise ModelOpsError(
                f"cannot reach Jenkins at {self.url} to {action}",
                f"check the URL and that the server is up ({type(problem).__name__})",
            ) from None
        except (jenkins.TimeoutException, requests.Timeout):
            raise ModelOpsError(
                f"Jenkins at {self.url} did not answer in time to {action}",
                "the server may be overloaded; try again later",
            ) from None
        except (jenkins.JenkinsException, requests.HTTPError) as problem:
            raise self._refusal(problem, action, job) from None

    def _refusal(self, problem: Exception, action: str, job: str | None) -> ModelOpsError:
        status = _http_status(problem)
        who = f"user {self.user!r}" if self.user else "anonymous access"
        if status == _UNAUTHORIZED:
            return ModelOpsError(
                f"Jenkins at {self.url} rejected the credentials of {who} (401) to {action}",
                "check --user and the API token in the --token-env variable",
            )
        if status == _FORBIDDEN:
            return ModelOpsError(
                f"Jenkins at {self.url} refused {who} (403) to {action}",
                "the user lacks the permission, or CSRF protection refused the request",
            )
        if (status == _NOT_FOUND or isinstance(problem, jenkins.NotFoundException)) and job:
            return ModelOpsError(
                f"Jenkins job {job!r} not found at {self.url}",
                "create it with `mo jenkins sync`, or check --job (folders: 'folder/job')",
            )
        if status == _NOT_FOUND:
            return ModelOpsError(
                f"Jenkins at {self.url} no longer knows what it was asked to {action}",
                "Jenkins forgets a queue item about five minutes after its build started",
            )
        detail = f"HTTP {status}" if status else str(problem).splitlines()[0]
        return ModelOpsError(f"Jenkins at {self.url} failed to {action}: {detail}")

    def _post(self, send: Callable[[], T]) -> T:
        """One POST, sent again once with a fresh crumb if Jenkins refused it with a 403."""
        try:
            return send()
        except jenkins.JenkinsException as refused:
            if _http_status(refused) != _FORBIDDEN:
                raise
        self.server.crumb = None  # python-jenkins fetches a new one on the next request
        return send()

    def whoami(self) -> str:
        with self._explained("check the credentials"):
            return str(self.server.get_whoami().get("id", ""))

    def upsert_job(self, job: str, config_xml: str) -> str:
        """'created' or 'updated'."""
        with self._explained(f"create or update job {job!r}", None):
            if self.server.job_exists(job):
                self._post(lambda: self.server.reconfig_job(job, config_xml))
                return "updated"
            self._post(lambda: self.server.create_job(job, config_xml))
            return "created"

    def job_config(self, job: str) -> str:
        with self._explained(f"read job {job!r}", job):
            return self.server.get_job_config(job)

    def job_parameters(self, job: str) -> dict[str, str]:
        """The job's string parameters and their defaults (empty: the job takes none)."""
        with self._explained(f"read job {job!r}", job):
            info = self.server.get_job_info(job)
        defaults: dict[str, str] = {}
        for prop in info.get("property") or []:
            for definition in prop.get("parameterDefinitions") or []:
                default = (definition.get("defaultParameterValue") or {}).get("value")
                defaults[str(definition["name"])] = "" if default is None else str(default)
        return defaults

    def start_build(self, job: str, parameters: dict[str, str]) -> int:
        """The queue item of the one build requested."""
        with self._explained(f"start a build of job {job!r}", job):
            return self._post(lambda: self.server.build_job(job, parameters or None))

    def follow_build(
        self, job: str, queue_item: int, timeout_seconds: float, sleep: Callable[[float], None]
    ) -> BuildOutcome:
        """Queue item -> build number -> result, giving up (not cancelling) at the deadline."""
        deadline = time.monotonic() + timeout_seconds
        polls = self._poll_delays(deadline, sleep)
        with self._explained(f"follow queue item {queue_item} of job {job!r}"):
            while True:
                item = self.server.get_queue_item(queue_item)
                if item.get("cancelled"):
                    raise ModelOpsError(f"the queued build of {job!r} was cancelled in Jenkins")
                executable = item.get("executable")
                if executable:
                    number, url = int(executable["number"]), str(executable.get("url", ""))
                    break
                if not next(polls):
                    raise ModelOpsError(
                        f"the build of {job!r} was still queued after {timeout_seconds:g}s "
                        f"(queue item {queue_item}: {item.get('why') or 'no reason given'})",
                        "it stays queued; raise --timeout or free an executor",
                    )
        with self._explained(f"follow build #{number} of job {job!r}", job):
            while True:
                build = self.server.get_build_info(job, number)
                if not build.get("building") and build.get("result"):
                    return BuildOutcome(job, queue_item, number, url, str(build["result"]))
                if not next(polls):
                    raise ModelOpsError(
                        f"build #{number} of {job!r} was still running after "
                        f"{timeout_seconds:g}s: {url}",
                        "it goes on in Jenkins; raise --timeout to wait for it",
                    )

    @staticmethod
    def _poll_delays(deadline: float, sleep: Callable[[float], None]) -> Iterator[bool]:
        """Sleeps before each next poll, longer each time; False once the deadline passed."""
        delay = FIRST_POLL_SECONDS
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                yield False
                return
            sleep(min(delay, left))
            delay = min(delay * 2, LONGEST_POLL_SECONDS)
            yield True


def outcome_data(outcome: BuildOutcome) -> dict[str, Any]:
    return {
        "job": outcome.job,
        "queue_item": outcome.queue_item,
        "build": outcome.number,
        "url": outcome.url,
        "result": outcome.result,
    }
