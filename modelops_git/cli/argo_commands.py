"""`mo export argo`: the pipeline as an Argo Workflows Workflow or WorkflowTemplate."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from modelops_git import output
from modelops_git.cli.app import EnvOption, JsonOption, emit
from modelops_git.cli.engine_commands import OnePipelineOption, export_app


class ArgoKind(StrEnum):
    workflow = "Workflow"
    workflow_template = "WorkflowTemplate"


@export_app.command("argo")
def export_argo(
    env: EnvOption = None,
    pipeline: OnePipelineOption = None,
    kind: Annotated[
        ArgoKind, typer.Option("--kind", help="Submit it directly, or keep it as a template.")
    ] = ArgoKind.workflow,
    image: Annotated[
        str | None,
        typer.Option(
            "--image",
            help="Default of the `image` parameter: mo and the project checked out "
            "(default: ghcr.io/modelops-git/mo:VERSION).",
        ),
    ] = None,
    parallelism: Annotated[
        int | None, typer.Option("--parallelism", min=1, help="Tasks Argo runs at once.")
    ] = None,
    output_path: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the YAML here, not to stdout.")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Write the pipeline as an Argo Workflows Workflow or WorkflowTemplate (YAML).

    Each task is a container running `mo run-task`; Argo does the retries and timeouts."""
    from modelops_git.engines.argo_api import export_argo as export

    result = export(Path.cwd(), pipeline, env, kind.value, image, parallelism, output_path)
    emit(result, json, lambda: _report(result))


def _report(result: dict[str, Any]) -> None:
    if result["path"] is None:
        output.text(result["yaml"])
        return
    output.line(
        f"wrote {result['path']}: {result['kind']} with {len(result['tasks'])} tasks", ok=True
    )
    secret = result["secret"]
    if secret["keys"]:
        keys = " ".join(f"--from-literal={key}=..." for key in secret["keys"])
        output.line(
            f"tasks read secrets from: kubectl create secret generic {secret['name']} {keys}"
        )
    if result["kind"] == "WorkflowTemplate":
        output.line(f"install: argo template create {result['path']}")
    else:
        output.line(f"submit: argo submit {result['path']} -p branch=BRANCH")
