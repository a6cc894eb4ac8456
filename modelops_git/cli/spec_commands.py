"""Commands about the spec: init, validate, render, envs, graph."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from modelops_git import api, output
from modelops_git.cli.app import EnvOption, JsonOption, app
from modelops_git.errors import SpecError
from modelops_git.yaml_emit import dump_yaml


class RenderFormat(StrEnum):
    yaml = "yaml"
    json = "json"


class GraphFormat(StrEnum):
    text = "text"
    mermaid = "mermaid"
    dot = "dot"


@app.command()
def init(
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite files that already exist.")
    ] = False,
    no_dvc: Annotated[
        bool, typer.Option("--no-dvc", help="Do not run `dvc init` / `dvc add`.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Scaffold modelops.yaml, environments and an example pipeline in this git repo."""
    result = api.init(Path.cwd(), force=force, with_dvc=not no_dvc)
    if json:
        output.json_data(result)
        return
    for rel in result["written"]:
        output.line(f"wrote {rel}")
    if result["dvc_initialized"]:
        output.line("initialized DVC (.dvc/)")
    for rel in result["dvc_tracked"]:
        output.line(f"tracked {rel} with DVC ({rel}.dvc)")
    output.line("next: mo validate && mo graph train", ok=True)


@app.command()
def validate(json: JsonOption = False) -> None:
    """Check modelops.yaml and environments/*.yaml; report every problem with file:line:col."""
    try:
        result = api.validate(Path.cwd())
    except SpecError as problems:
        if not json:
            raise
        output.json_data({"ok": False, "problems": [vars(d) for d in problems.diagnostics]})
        raise typer.Exit(problems.exit_code) from None
    if json:
        output.json_data(result)
        return
    tasks = sum(result["pipelines"].values())
    output.line(
        f"ok: {len(result['pipelines'])} pipelines, {tasks} tasks, "
        f"{len(result['environments'])} environments",
        ok=True,
    )


@app.command()
def render(
    pipeline: Annotated[str | None, typer.Argument(help="Only this pipeline.")] = None,
    env: EnvOption = None,
    fmt: Annotated[
        RenderFormat, typer.Option("--format", "-f", help="Output format.")
    ] = RenderFormat.yaml,
) -> None:
    """Print the effective spec after an environment's overrides (deterministic)."""
    data = api.render(Path.cwd(), pipeline, env)
    if fmt is RenderFormat.json:
        output.json_data(data)
    else:
        output.text(dump_yaml(data))


@app.command()
def envs(json: JsonOption = False) -> None:
    """List environments with their platform, pins and promotion policy."""
    listed = api.envs(Path.cwd())
    if json:
        output.json_data(listed)
        return
    rows = [
        [
            e["name"],
            e["platform"],
            e["promotes_from"] or "-",
            str(e["approvals"]),
            "yes" if e["auto"] else "no",
            ", ".join(f"{m}={v}" for m, v in e["pins"].items()) or "-",
        ]
        for e in listed
    ]
    output.table(["ENV", "PLATFORM", "FROM", "APPROVALS", "AUTO", "PINS"], rows)


@app.command()
def graph(
    pipeline: Annotated[str, typer.Argument(help="Pipeline to draw.")],
    env: EnvOption = None,
    fmt: Annotated[
        GraphFormat, typer.Option("--format", "-f", help="Output format.")
    ] = GraphFormat.text,
) -> None:
    """Draw a pipeline's task graph as text, Mermaid or Graphviz DOT."""
    output.text(api.graph(Path.cwd(), pipeline, fmt.value, env))
