"""Block-style YAML for CI workflow files: plain data plus two things workflow files need and
generic dumpers do not write, comments after a value (the version of a pinned action) and
literal `|` blocks for scripts.

Strings that could read back as anything else (a number, a boolean, a comment, a mapping) are
quoted: single-quoted when they are one line of printable ASCII, else as JSON strings, which
are valid YAML double-quoted scalars.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["Block", "Commented", "dump_workflow"]

_PLAIN = re.compile(r"([A-Za-z_/$(]|\./)[A-Za-z0-9_/.$(){}!&|=<>',\[\]\"*@%+~?^;\\ -]*")
_ONE_LINE = re.compile(r"[\x20-\x7e]*")
# Lines of printable ASCII, the first not indented: anything else is quoted instead.
_BLOCK_TEXT = re.compile(r"[\x21-\x7e][\x20-\x7e]*(\n[\x20-\x7e]*)*\n")
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_RESERVED = re.compile(r"(?i)y|n|yes|no|on|off|true|false|null")
# Workflow files say `on:` by convention; GitHub reads YAML 1.2, where it is a plain string.
_PLAIN_KEYS = frozenset({"on"})


@dataclass(frozen=True)
class Commented:
    """A plain value with a comment after it, such as a pinned action and its version."""

    value: str
    comment: str


@dataclass(frozen=True)
class Block:
    """A multi-line script, written as a literal block so it reads as it runs."""

    text: str


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _string(str(value))


# Workflows repeat the same keys and values in every job: each is quoted once.
@lru_cache(maxsize=4096)
def _string(text: str) -> str:
    if _plain_ok(text):
        return text
    if _ONE_LINE.fullmatch(text):
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text)


def _plain_ok(text: str) -> bool:
    if not _PLAIN.fullmatch(text) or text != text.strip() or _RESERVED.fullmatch(text):
        return False
    return ": " not in text and " #" not in text and not text.endswith(":")


@lru_cache(maxsize=1024)
def _key(key: str) -> str:
    if key in _PLAIN_KEYS or (_KEY.fullmatch(key) and not _RESERVED.fullmatch(key)):
        return key
    return json.dumps(key)


class _Writer:
    """Lines of one document. A step object repeated in many jobs (checkout, install) is
    written once per indent and its lines reused."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self._written: dict[tuple[int, str], list[str]] = {}

    def lines(self, data: dict[str, Any], indent: str) -> None:
        for key, value in data.items():
            self.value(f"{indent}{_key(key)}:", value, indent + "  ")

    def value(self, label: str, value: Any, inner: str) -> None:
        out = self.out
        if type(value) is str:
            out.append(f"{label} {_string(value)}")
        elif isinstance(value, dict) and value:
            out.append(label)
            self.lines(value, inner)
        elif isinstance(value, list) and value:
            out.append(label)
            for item in value:
                self.item(item, inner)
        elif isinstance(value, dict | list):
            out.append(f"{label} {'{}' if isinstance(value, dict) else '[]'}")
        elif isinstance(value, Commented):
            out.append(f"{label} {_scalar(value.value)} # {' '.join(value.comment.split())}")
        elif isinstance(value, Block) and _BLOCK_TEXT.fullmatch(value.text):
            out.append(f"{label} |")
            out.extend(f"{inner}{line}" if line else "" for line in value.text.splitlines())
        elif isinstance(value, Block):
            out.append(f"{label} {json.dumps(value.text)}")
        else:
            out.append(f"{label} {_scalar(value)}")

    def item(self, item: Any, indent: str) -> None:
        if not (isinstance(item, dict) and item):
            self.out.append(f"{indent}- {_scalar(item)}")
            return
        key = (id(item), indent)
        if key in self._written:
            self.out.extend(self._written[key])
            return
        start = len(self.out)
        first, *rest = item.items()
        self.value(f"{indent}- {_key(first[0])}:", first[1], indent + "    ")
        self.lines(dict(rest), indent + "  ")
        self._written[key] = self.out[start:]


def dump_workflow(data: dict[str, Any], header: str = "") -> str:
    """`data` must not change while it is written (repeated objects are written once)."""
    writer = _Writer()
    writer.out.extend(f"# {line}" if line else "#" for line in header.splitlines())
    writer.lines(data, "")
    return "\n".join(writer.out) + "\n"
