"""What the `mo ci jenkins` and `mo jenkins ...` commands do, one function each."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelops_git import git
from modelops_git.api import open_project
from modelops_git.engines.graph import EngineGraph, engine_graph
from modelops_git.engines.jenkins import layers, render_jenkinsfile
from modelops_git.engines.jenkins_client import JenkinsClient, outcome_data
from modelops_git.engines.jenkins_job import BRANCH_PARAMETER, GIT_URL_PARAMETER, pipeline_job_xml
from modelops_git.engines.selection import one_pipeline, write_output
from modelops_git.errors import ModelOpsError, UsageError

__all__ = ["connect", "jenkins_sync", "jenkins_trigger", "pipeline_graph", "write_jenkinsfile"]


def pipeline_graph(cwd: Path, pipeline: str | None, env: str | None) -> tuple[Path, EngineGraph]:
    """The repository root and the graph of `pipeline` (may be left out when there is one)."""
    project = open_project(cwd)
    pipeline = one_pipeline(project, pipeline)
    return project.root, engine_graph(project, pipeline, env)


def _summary(graph: EngineGraph) -> dict[str, Any]:
    return {
        "pipeline": graph.pipeline,
        "env": graph.env,
        "stages": [[task.name for task in layer] for layer in layers(graph)],
    }


def write_jenkinsfile(
    cwd: Path, pipeline: str | None, env: str | None, output: str
) -> dict[str, Any]:
    """Writes the Jenkinsfile (a relative `output` is under the repository root)."""
    root, graph = pipeline_graph(cwd, pipeline, env)
    path = write_output(Path(output), root, render_jenkinsfile(graph))
    return {"path": str(path), **_summary(graph)}


def connect(url: str, user: str | None, token_env: str) -> JenkinsClient:
    """The token is read from the environment only, so it never shows in a command line."""
    token = os.environ.get(token_env) or None
    if token and not user:
        raise UsageError(f"${token_env} is set but --user is not", "pass --user with the token")
    if user and not token:
        raise UsageError(
            f"--user {user} needs an API token in ${token_env}",
            f"export {token_env}=<token> (or name another variable with --token-env)",
        )
    return JenkinsClient(url, user, token)


def jenkins_sync(
    cwd: Path,
    client: JenkinsClient,
    job: str,
    pipeline: str | None,
    env: str | None,
    git_url: str | None,
    branch: str | None,
) -> dict[str, Any]:
    root, graph = pipeline_graph(cwd, pipeline, env)
    git_url = git_url or git.config(root, "remote.origin.url")
    branch = branch or git.current_branch(root)
    if not git_url or not branch:
        raise UsageError(
            "cannot tell which repository and branch the job should check out",
            "pass --git-url and --branch (defaults: remote 'origin' and the current branch)",
        )
    description = f"mo pipeline {graph.pipeline}" + (f" in {graph.env}" if graph.env else "")
    script = render_jenkinsfile(graph, checkout_from_parameters=True)
    try:
        config_xml = pipeline_job_xml(script, description, git_url, branch)
    except ValueError as problem:
        raise ModelOpsError(str(problem), "pass clean --git-url and --branch values") from None
    action = client.upsert_job(job, config_xml)
    return {
        "job": job,
        "url": client.url,
        "action": action,
        "parameters": {GIT_URL_PARAMETER: git_url, BRANCH_PARAMETER: branch},
        **_summary(graph),
    }


def parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UsageError(f"--param {pair!r} is not NAME=VALUE")
        params[name] = value
    return params


def jenkins_trigger(
    client: JenkinsClient,
    job: str,
    params: dict[str, str],
    timeout_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Starts one build and waits for its result; `result` is Jenkins' own word for it."""
    defaults = client.job_parameters(job)
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        known = ", ".join(sorted(defaults)) or "none"
        raise UsageError(
            f"job {job!r} has no parameter {', '.join(unknown)}", f"its parameters: {known}"
        )
    # A parameterized job is started through buildWithParameters with every value given.
    queue_item = client.start_build(job, {**defaults, **params})
    return outcome_data(client.follow_build(job, queue_item, timeout_seconds, sleep))
