"""The JSON Schemas: valid draft 2020-12, described for editors, shipped in the wheel."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from modelops_git.spec.schemas import SCHEMA_FILES, schema_document

ROOT = Path(__file__).resolve().parents[1]


def _properties(node: Any, where: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for name, value in (node.get("properties") or {}).items():
            yield f"{where}.properties.{name}", value
        for key, value in node.items():
            if key != "if":  # conditions of if/then, not properties a user writes
                yield from _properties(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _properties(value, f"{where}[{index}]")


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    document = schema_document(kind)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_every_property_has_a_description(kind: str) -> None:
    missing = [
        where
        for where, value in _properties(schema_document(kind), kind)
        if not (isinstance(value, dict) and value.get("description"))
    ]
    assert missing == []


def test_scaffolded_schema_copies_match_the_sources() -> None:
    for name in SCHEMA_FILES.values():
        assert json.loads((ROOT / "schemas" / name).read_text())["title"]


def test_schemas_and_templates_ship_in_the_wheel(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("modelops_git-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in SCHEMA_FILES.values():
        assert f"modelops_git/schemas/{name}" in names
    assert "modelops_git/templates/modelops.yaml" in names
    assert "modelops_git/templates/environments/prod.yaml" in names
    assert "modelops_git/hooks/modelops-hook.sh" in names


def _documents() -> Iterator[tuple[str, str, Any]]:
    """(case, kind, data) of every spec and environment file in the corpus and the templates."""
    from modelops_git.errors import SpecError
    from modelops_git.spec.yaml_source import load_yaml_file

    folders = [
        ROOT / "modelops_git" / "templates",
        *sorted((ROOT / "tests" / "invalid_specs").iterdir()),
    ]
    for folder in folders:
        files = [
            ("spec", folder / "modelops.yaml"),
            *(("environment", p) for p in sorted(folder.glob("environments/*.yaml"))),
        ]
        for kind, path in files:
            if not path.is_file():
                continue
            try:
                data = load_yaml_file(path, path.name).data
            except SpecError:
                continue
            yield folder.name, kind, data


def test_fast_and_explaining_validators_agree() -> None:
    """jsonschema-rs answers "valid?"; python-jsonschema explains. They must never disagree."""
    from modelops_git.spec import schemas

    checked = 0
    for case, kind, data in _documents():
        fast = schemas._fast_validator(kind).is_valid(data)
        slow = schemas._validator(kind).is_valid(data)
        assert fast == slow, (case, kind)
        checked += 1
    assert checked >= 50
