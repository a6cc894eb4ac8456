"""The engine graph as an Argo Workflows manifest (a Workflow or a WorkflowTemplate).

Built from hera's Argo models (`hera.workflows.models`, generated from Argo's OpenAPI spec
and validated by pydantic as they are built), not hera's `with Workflow(): ...` DSL: the DSL
takes about 0.3 s for 1,000 tasks, the models a fraction of that. The YAML is written by
`yaml_emit.dump_yaml` from the models' `model_dump`, so the output is deterministic.

Every task is one container template running `mo run-task ... --run-id {{workflow.name}}
--single-attempt`: Argo does the retries (`retryStrategy`), the timeout is the template's
`activeDeadlineSeconds` (per attempt, as in `mo run`), `when.branches` is a `when`
expression on the workflow parameter `branch`, secrets come from the Kubernetes Secret
named by `argo_names.secret_name`, and plain env values are data (see `argo_text`).
"""

from __future__ import annotations

import math
import re
from typing import Any

from hera.workflows import models

from modelops_git import __version__
from modelops_git.engines import argo_names, argo_text
from modelops_git.engines.graph import EngineGraph, EngineTask
from modelops_git.errors import ModelOpsError
from modelops_git.yaml_emit import dump_yaml

__all__ = [
    "ARGO_VERSION",
    "DEFAULT_IMAGE",
    "KINDS",
    "argo_manifest",
    "render_argo",
]

ARGO_VERSION = "v4.0.5"
"""The Argo Workflows release whose API hera's models follow (hera 7.1); tests validate
against this release's JSON schema (tests/schemas/argo/)."""
DEFAULT_IMAGE = f"ghcr.io/modelops-git/mo:{__version__}"
KINDS = ("Workflow", "WorkflowTemplate")
DAG_TEMPLATE = "dag"
TASK_TEMPLATE_PREFIX = "task-"
"""Task templates are `task-ID` and the DAG is `dag`: no task can take the DAG's name."""
IMAGE_PARAMETER = "image"
ENV_PARAMETER = "env"
BRANCH_PARAMETER = "branch"
RUN_ID = "{{workflow.name}}"
_QUANTITY = re.compile(
    r"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$"
)


def render_argo(
    graph: EngineGraph,
    kind: str = "Workflow",
    image: str = DEFAULT_IMAGE,
    parallelism: int | None = None,
) -> str:
    return dump_yaml(argo_manifest(graph, kind, image, parallelism))


def argo_manifest(
    graph: EngineGraph,
    kind: str = "Workflow",
    image: str = DEFAULT_IMAGE,
    parallelism: int | None = None,
) -> dict[str, Any]:
    if kind not in KINDS:
        raise ModelOpsError(f"unknown Argo kind {kind!r}", f"use one of: {', '.join(KINDS)}")
    ids = argo_names.task_ids([task.name for task in graph.tasks])
    secret = argo_names.secret_name(graph.env)
    templates = [_task_template(task, ids[task.name], graph.env, secret) for task in graph.tasks]
    dag = models.Template(
        name=DAG_TEMPLATE,
        dag=models.DAGTemplate(tasks=[_dag_task(task, ids) for task in graph.tasks]),
    )
    spec = models.WorkflowSpec(
        entrypoint=DAG_TEMPLATE,
        arguments=models.Arguments(parameters=_parameters(graph, image)),
        parallelism=parallelism,
        templates=[dag, *templates],
    )
    name = argo_names.object_name(graph.pipeline, graph.env)
    metadata = (
        models.ObjectMeta(generate_name=f"{name}-")
        if kind == "Workflow"
        else models.ObjectMeta(name=name)
    )
    manifest_model = models.Workflow if kind == "Workflow" else models.WorkflowTemplate
    manifest = manifest_model(
        api_version="argoproj.io/v1alpha1", kind=kind, metadata=metadata, spec=spec
    )
    dumped: dict[str, Any] = manifest.model_dump(by_alias=True, exclude_none=True, mode="json")
    return dumped


def _parameters(graph: EngineGraph, image: str) -> list[models.Parameter]:
    parameters = [
        models.Parameter(
            name=IMAGE_PARAMETER,
            value=image,
            description="Container image with mo and the project checked out as its workdir.",
        )
    ]
    if graph.env is not None:
        parameters.append(
            models.Parameter(
                name=ENV_PARAMETER,
                value=graph.env,
                enum=[graph.env],
                description="The environment this workflow was exported for (export again "
                "for another: the tasks differ).",
            )
        )
    # Declared even when no task has branch conditions, so a CI job can always pass it.
    parameters.append(
        models.Parameter(
            name=BRANCH_PARAMETER,
            value="",
            description="Git branch of this run; tasks with when.branches run only on "
            "matching branches.",
        )
    )
    return parameters


def _dag_task(task: EngineTask, ids: dict[str, str]) -> models.DAGTask:
    return models.DAGTask(
        name=ids[task.name],
        template=TASK_TEMPLATE_PREFIX + ids[task.name],
        dependencies=[ids[need] for need in task.needs] or None,
        when=argo_text.branch_condition(task.branches, BRANCH_PARAMETER) if task.branches else None,
    )


def _task_template(task: EngineTask, task_id: str, env: str | None, secret: str) -> models.Template:
    return models.Template(
        name=TASK_TEMPLATE_PREFIX + task_id,
        active_deadline_seconds=models.IntOrString(math.ceil(task.timeout_seconds))
        if task.timeout_seconds
        else None,
        retry_strategy=_retry_strategy(task),
        container=models.Container(
            image=f"{{{{workflow.parameters.{IMAGE_PARAMETER}}}}}",
            command=[task.argv[0]],
            args=_args(task, env),
            env=_env(task, secret) or None,
            resources=_resources(task),
        ),
    )


def _args(task: EngineTask, env: str | None) -> list[str]:
    """`run-task PIPELINE TASK [--env {{workflow.parameters.env}}] --run-id ...`: a list of
    arguments, no shell, so no value can become code."""
    args = list(task.argv[1:])
    if env is not None:
        if args[-2:] != ["--env", env]:
            raise AssertionError(f"run-task argv without --env {env}: {task.argv}")
        args[-1] = f"{{{{workflow.parameters.{ENV_PARAMETER}}}}}"
    return [*args, "--run-id", RUN_ID, "--single-attempt"]


def _retry_strategy(task: EngineTask) -> models.RetryStrategy | None:
    if task.retries <= 0:
        return None
    backoff = (
        models.Backoff(duration=_duration(task.backoff_seconds), factor=models.IntOrString(2))
        if task.backoff_seconds > 0
        else None
    )
    expression = (
        "lastRetry.exitCode in [" + ", ".join(f"'{code}'" for code in task.retry_on) + "]"
        if task.retry_on
        else None
    )
    return models.RetryStrategy(
        limit=models.IntOrString(task.retries),
        retry_policy="Always",
        backoff=backoff,
        expression=expression,
    )


def _duration(seconds: float) -> str:
    return f"{int(seconds)}s" if float(seconds).is_integer() else f"{seconds!r}s"


def _env(task: EngineTask, secret: str) -> list[models.EnvVar]:
    variables: list[tuple[str, models.EnvVar]] = []
    for name, value in task.plain_env.items():
        variables.append((name, models.EnvVar(name=name, value=argo_text.env_value(value))))
    for name, key in task.secrets.items():
        source = models.EnvVarSource(secret_key_ref=models.SecretKeySelector(name=secret, key=key))
        variables.append((name, models.EnvVar(name=name, value_from=source)))
    variables.sort(key=lambda item: item[0])
    ordered = [variable for _, variable in variables]
    if any(argo_text.needs_lbrace(value) for value in task.plain_env.values()):
        if argo_text.LBRACE_VARIABLE in task.plain_env or argo_text.LBRACE_VARIABLE in task.secrets:
            raise ModelOpsError(
                f"task {task.name!r} sets {argo_text.LBRACE_VARIABLE}, which mo's Argo export "
                "uses to write '{{' in env values",
                "rename that variable",
            )
        # First: the kubelet only expands references to variables defined before.
        ordered.insert(0, models.EnvVar(name=argo_text.LBRACE_VARIABLE, value="{"))
    return ordered


def _quantity(task: EngineTask, field: str, value: object) -> models.Quantity:
    text = str(value)
    if isinstance(value, bool) or not _QUANTITY.match(text):
        raise ModelOpsError(
            f"task {task.name!r}: resources.{field} {text!r} is not a Kubernetes quantity",
            "use a number or a value such as 500m, 2, 8Gi",
        )
    return models.Quantity(text)


def _resources(task: EngineTask) -> models.ResourceRequirements | None:
    requests = {
        kubernetes: _quantity(task, field, task.resources[field])
        for field, kubernetes in (
            ("cpu", "cpu"),
            ("memory", "memory"),
            ("disk", "ephemeral-storage"),
        )
        if task.resources.get(field) is not None
    }
    gpu = task.resources.get("gpu")
    limits = {"nvidia.com/gpu": _quantity(task, "gpu", gpu)} if gpu else None
    if not requests and not limits:
        return None
    return models.ResourceRequirements(requests=requests or None, limits=limits)
