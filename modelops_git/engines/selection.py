"""What every engine command shares: which pipelines it compiles, and writing its file."""

from __future__ import annotations

from pathlib import Path

from modelops_git.errors import ModelOpsError, UsageError
from modelops_git.files import write_atomic
from modelops_git.spec.project import Project

__all__ = ["one_pipeline", "pipeline_names", "write_output"]


def pipeline_names(project: Project, wanted: str | None) -> list[str]:
    """`wanted` (checked), or every pipeline of the spec."""
    names = sorted(project.spec.pipelines)
    if wanted is None:
        return names
    if wanted not in names:
        raise ModelOpsError(f"unknown pipeline {wanted!r}", f"pipelines: {', '.join(names)}")
    return [wanted]


def one_pipeline(project: Project, wanted: str | None) -> str:
    """For engines whose file holds one pipeline: `wanted`, or the spec's only one."""
    names = pipeline_names(project, wanted)
    if len(names) != 1:
        raise UsageError(
            "which pipeline? the spec has several", f"pass --pipeline, one of: {', '.join(names)}"
        )
    return names[0]


def write_output(path: Path, cwd: Path, text: str) -> Path:
    """Write a generated file atomically (a relative path is taken from `cwd`)."""
    target = path if path.is_absolute() else cwd / path
    write_atomic(target, text)
    return target
