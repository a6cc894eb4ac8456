"""`dataset:NAME` and `model:NAME` entries in deps and outs."""

from __future__ import annotations

from typing import Any

__all__ = ["ENTITY_KINDS", "entity_ref", "resolve_entry"]

ENTITY_KINDS = {"dataset": "datasets", "model": "models"}


def entity_ref(entry: str) -> tuple[str, str] | None:
    """(section, name) when `entry` names a dataset or model, else None."""
    kind, sep, name = entry.partition(":")
    if sep and kind in ENTITY_KINDS:
        return ENTITY_KINDS[kind], name
    return None


def resolve_entry(entry: str, spec: dict[str, Any]) -> str | None:
    """The repo path an entry stands for; None for a reference to nothing."""
    ref = entity_ref(entry)
    if ref is None:
        return entry
    section, name = ref
    entity = (spec.get(section) or {}).get(name)
    path = entity.get("path") if isinstance(entity, dict) else None
    return path if isinstance(path, str) else None
