"""Reading metrics files (JSON or YAML) into flat `name -> number` mappings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

__all__ = ["flatten", "read_metrics", "read_metrics_text"]


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """{"a": {"b": 1}} -> {"a.b": 1}; only numbers and booleans are metrics."""
    flat: dict[str, Any] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            flat.update(flatten(value, f"{prefix}{key}."))
    elif isinstance(data, bool | int | float):
        flat[prefix.rstrip(".")] = data
    return flat


def read_metrics_text(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            return {}
    return flatten(data)


def read_metrics(path: Path) -> dict[str, Any]:
    """The file's metrics; empty when it is missing or not JSON/YAML."""
    try:
        return read_metrics_text(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}
