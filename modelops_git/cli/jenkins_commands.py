"""Jenkins: `mo ci jenkins` writes a Jenkinsfile; `mo jenkins sync|trigger` drive a server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelops_git import output
from modelops_git.cli.app import EnvOption, JsonOption, emit
from modelops_git.cli.engine_commands import OnePipelineOption, ci_app, jenkins_app

# python-jenkins (and requests) load only when a Jenkins command runs, not on every `mo`.
DEFAULT_TOKEN_ENV = "JENKINS_TOKEN"  # noqa: S105 - the name of a variable, not a token
UrlOption = Annotated[str, typer.Option("--url", help="Jenkins URL, e.g. https://ci.example.com/")]
JobOption = Annotated[str, typer.Option("--job", help="Job name ('folder/job' inside folders).")]
UserOption = Annotated[
    str | None, typer.Option("--user", help="Jenkins user the API token belongs to.")
]
TokenEnvOption = Annotated[
    str,
    typer.Option(
        "--token-env", help="Environment variable holding the user's API token (never a flag)."
    ),
]


def _stages(stages: list[list[str]]) -> str:
    return " -> ".join(" | ".join(layer) for layer in stages)


@ci_app.command("jenkins")
def ci_jenkins(
    env: EnvOption = None,
    pipeline: OnePipelineOption = None,
    out: Annotated[
        str, typer.Option("--output", "-o", help="Where to write it, under the repository root.")
    ] = "Jenkinsfile",
    json: JsonOption = False,
) -> None:
    """Write a Declarative Jenkinsfile that runs the pipeline, one stage per task."""
    from modelops_git.engines import jenkins_api

    result = jenkins_api.write_jenkinsfile(Path.cwd(), pipeline, env, out)
    emit(
        result,
        json,
        lambda: output.line(f"wrote {result['path']}: {_stages(result['stages'])}", ok=True),
    )


@jenkins_app.command("sync")
def jenkins_sync(
    url: UrlOption,
    job: JobOption,
    env: EnvOption = None,
    pipeline: OnePipelineOption = None,
    user: UserOption = None,
    token_env: TokenEnvOption = DEFAULT_TOKEN_ENV,
    git_url: Annotated[
        str | None,
        typer.Option("--git-url", help="Repository the job checks out (default: origin)."),
    ] = None,
    branch: Annotated[
        str | None,
        typer.Option("--branch", help="Branch it checks out (default: the current one)."),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Create or update a Pipeline job that runs the pipeline's Jenkinsfile."""
    from modelops_git.engines import jenkins_api

    client = jenkins_api.connect(url, user, token_env)
    result = jenkins_api.jenkins_sync(Path.cwd(), client, job, pipeline, env, git_url, branch)
    emit(
        result,
        json,
        lambda: output.line(
            f"{result['action']} job {job} at {result['url']}: {_stages(result['stages'])}",
            ok=True,
        ),
    )


@jenkins_app.command("trigger")
def jenkins_trigger(
    url: UrlOption,
    job: JobOption,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="A build parameter NAME=VALUE (repeatable).")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds to wait for the result.")
    ] = 3600,
    user: UserOption = None,
    token_env: TokenEnvOption = DEFAULT_TOKEN_ENV,
    json: JsonOption = False,
) -> None:
    """Start one build of a job and wait for its result (exit 0 only on SUCCESS)."""
    from modelops_git.engines import jenkins_api

    client = jenkins_api.connect(url, user, token_env)
    params = jenkins_api.parse_params(param or [])
    result = jenkins_api.jenkins_trigger(client, job, params, timeout)
    ok = result["result"] == "SUCCESS"

    def for_people() -> None:
        output.line(f"build #{result['build']} of {job}: {result['result']}", ok=ok)
        output.line(f"  {result['url']}")

    emit(result, json, for_people)
    if not ok:
        raise typer.Exit(1)
