"""Changing a model's pin in an environment file without losing its comments or layout."""

from __future__ import annotations

import io

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from modelops_git.spec.yaml_source import load_yaml_text

__all__ = ["set_pin"]


def set_pin(text: str, display: str, model: str, version: str) -> str:
    """`text` with `models: {model: version}` set (the mapping is added when missing).

    The file is first read by the spec loader, so a syntax error is reported with its
    `file:line:col` before anything is written."""
    load_yaml_text(text, display)
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    data = yaml.load(text) or CommentedMap()
    models = data.get("models")
    if models is None:
        models = CommentedMap()
        data["models"] = models
    if not models:
        models.fa.set_block_style()  # `models: {}` from `mo init` becomes a normal block
    models[model] = version
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()
