"""Deep merge of environment overrides over the spec."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["deep_merge"]


def deep_merge(base: Any, override: Any) -> Any:
    """`override` over `base`, without changing either.

    Mappings merge key by key (so tasks, keyed by name, merge by name); `null` removes a key;
    lists are replaced, unless every item of both lists is a mapping with a `name` (then items
    merge by name and new ones are appended); anything else is replaced.
    """
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = deep_merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
        return merged
    if _named_items(base) and _named_items(override):
        by_name = {item["name"]: item for item in base}
        for item in override:
            by_name[item["name"]] = deep_merge(by_name.get(item["name"], {}), item)
        return list(by_name.values())
    return copy.deepcopy(override)


def _named_items(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, dict) and "name" in item for item in value)
    )
