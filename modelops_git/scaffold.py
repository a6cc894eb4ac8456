"""`mo init`: the files of a new project, written only where nothing would be overwritten."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template

from modelops_git.errors import ModelOpsError
from modelops_git.files import append_missing_lines, write_atomic
from modelops_git.spec.schemas import SCHEMA_FILES, schema_path_hint

__all__ = ["GITIGNORE_LINES", "ScaffoldResult", "scaffold"]

SCHEMA_DIR = ".modelops/schemas"
GITIGNORE_LINES = ("/.modelops/runs/", "/.modelops/tmp/", "/.modelops/state/")
_TEMPLATE_FILES = (
    "modelops.yaml",
    "params.yaml",
    "environments/dev.yaml",
    "environments/staging.yaml",
    "environments/prod.yaml",
    "src/prepare.py",
    "src/train.py",
    "src/evaluate.py",
)
EXAMPLE_DATA = "data/raw.csv"


@dataclass
class ScaffoldResult:
    written: list[str] = field(default_factory=list)
    gitignore_added: list[str] = field(default_factory=list)


def _project_name(root: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", root.name).strip("-._")
    return name or "project"


def _planned_files(root: Path) -> dict[str, str]:
    templates = resources.files("modelops_git") / "templates"
    values = {"project": _project_name(root)}
    files = {
        rel: Template(templates.joinpath(rel).read_text(encoding="utf-8")).safe_substitute(values)
        for rel in _TEMPLATE_FILES
    }
    for name in SCHEMA_FILES.values():
        files[f"{SCHEMA_DIR}/{name}"] = (schema_path_hint() / name).read_text(encoding="utf-8")
    files[EXAMPLE_DATA] = example_csv()
    return files


def example_csv(rows_per_class: int = 60, seed: int = 0) -> str:
    """Three well-separated classes of four features: enough for the example to learn."""
    rng = random.Random(seed)
    centers = {
        "setosa": (5.0, 3.4, 1.5, 0.2),
        "versicolor": (5.9, 2.8, 4.3, 1.3),
        "virginica": (6.6, 3.0, 5.6, 2.0),
    }
    lines = ["sepal_length,sepal_width,petal_length,petal_width,label"]
    for label, center in centers.items():
        for _ in range(rows_per_class):
            values = ",".join(f"{rng.gauss(mean, 0.3):.2f}" for mean in center)
            lines.append(f"{values},{label}")
    return "\n".join(lines) + "\n"


def scaffold(root: Path, force: bool) -> ScaffoldResult:
    files = _planned_files(root)
    existing = [rel for rel in files if (root / rel).exists()]
    if existing and not force:
        raise ModelOpsError(
            f"mo init would overwrite {', '.join(existing)}",
            "move them away, or pass --force to replace them",
        )
    result = ScaffoldResult()
    for rel, text in files.items():
        write_atomic(root / rel, text)
        result.written.append(rel)
    result.gitignore_added = append_missing_lines(
        root / ".gitignore", GITIGNORE_LINES, "modelops-git local state"
    )
    return result
