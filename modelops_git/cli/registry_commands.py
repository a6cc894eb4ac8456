"""The model registry: register, assign, show, models."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from modelops_git import api, output
from modelops_git.cli.app import JsonOption, app, emit


class Bump(StrEnum):
    major = "major"
    minor = "minor"
    patch = "patch"


@app.command()
def register(
    model: Annotated[str, typer.Argument(help="A model declared in modelops.yaml.")],
    version: Annotated[
        str | None,
        typer.Option("--version", help="The version, vX.Y.Z (default: bump the latest)."),
    ] = None,
    bump: Annotated[
        Bump, typer.Option("--bump", help="Which part of the latest version to bump.")
    ] = Bump.patch,
    ref: Annotated[
        str, typer.Option("--ref", help="The commit holding the model's pointer.")
    ] = "HEAD",
    json: JsonOption = False,
) -> None:
    """Register a model version: an annotated tag MODEL@vX.Y.Z (GTO's format)."""
    result = api.register(Path.cwd(), model, version, bump.value, ref)
    emit(result, json, lambda: output.registered(result))


@app.command()
def assign(
    model: Annotated[str, typer.Argument(help="A registered model.")],
    version: Annotated[str, typer.Option("--version", help="The registered version.")],
    env: Annotated[str, typer.Option("--env", "-e", help="The environment.")],
    unassign: Annotated[
        bool, typer.Option("--unassign", help="Take the version out of the environment.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Record that an environment runs a version: a tag MODEL#ENV#N (promotions do this)."""
    result = api.assign(Path.cwd(), model, version, env, unassign)
    emit(result, json, lambda: output.assigned(result))


@app.command()
def show(
    model: Annotated[str | None, typer.Argument(help="Only this model.")] = None,
    json: JsonOption = False,
) -> None:
    """Registered models: latest version, what each environment holds, and the pins."""
    data = api.show(Path.cwd(), model)
    emit(data, json, lambda: output.registry_table(data))


@app.command()
def models(json: JsonOption = False) -> None:
    """Every registered version of every model."""
    data = api.show(Path.cwd(), None)
    emit(data, json, lambda: output.registry_versions(data))
