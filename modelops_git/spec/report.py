"""Collecting located problems while checking data that may be partly malformed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from modelops_git.errors import Diagnostic
from modelops_git.spec.yaml_source import JsonPath, YamlSource

__all__ = ["Locator", "Overlay", "Report", "mapping", "sequence", "strings"]


class Locator(Protocol):
    """Where a JSON path of some data was written: a file, or a spec with an env's overrides."""

    def diagnostic(
        self, path: JsonPath, message: str, hint: str = "", *, key: bool = False
    ) -> Diagnostic: ...

    def plain_text(self, path: JsonPath) -> str | None: ...


@dataclass(frozen=True)
class Overlay:
    """Locates paths of a merged spec: in the env file when it overrides them, else the spec."""

    base: YamlSource
    override: YamlSource
    prefix: JsonPath = ("overrides",)

    def diagnostic(
        self, path: JsonPath, message: str, hint: str = "", *, key: bool = False
    ) -> Diagnostic:
        if self.override.has(self.prefix + path):
            return self.override.diagnostic(self.prefix + path, message, hint, key=key)
        return self.base.diagnostic(path, message, hint, key=key)

    def plain_text(self, path: JsonPath) -> str | None:
        if self.override.has(self.prefix + path):
            return self.override.plain_text(self.prefix + path)
        return self.base.plain_text(path)


@dataclass
class Report:
    locator: Locator
    problems: list[Diagnostic] = field(default_factory=list)

    def add(self, path: JsonPath, message: str, hint: str = "", *, key: bool = False) -> None:
        self.problems.append(self.locator.diagnostic(path, message, hint, key=key))


def mapping(value: Any) -> dict[str, Any]:
    """`value` if it is a mapping, else empty: checks skip what the schema already rejected."""
    return value if isinstance(value, dict) else {}


def sequence(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def strings(value: Any) -> list[tuple[int, str]]:
    """(index, item) of the string items of a list."""
    return [(index, item) for index, item in enumerate(sequence(value)) if isinstance(item, str)]
