"""Literal secrets in specs are refused: credentials are referenced, never stored."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from modelops_git.spec.report import Report
from modelops_git.spec.yaml_source import JsonPath

__all__ = ["check_secrets", "looks_like_secret"]

_TOKEN_PATTERNS = (
    ("a GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("an API secret key", re.compile(r"\b(sk|rk)[-_](live_|proj-)?[A-Za-z0-9]{20,}")),
    ("a password in a URL", re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]{3,}@")),
)
_ANY_TOKEN = re.compile("|".join(f"(?:{pattern.pattern})" for _, pattern in _TOKEN_PATTERNS))
_SENSITIVE_KEY = re.compile(
    r"(?i)(^|[_.-])(password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key)$"
)
_REFERENCE = re.compile(r"^(env|secret):[A-Za-z_][A-Za-z0-9_]*$")
_HINT = (
    "reference it instead (env:NAME or secret:NAME) and keep the value out of git; "
    "rotate it if it was ever committed"
)


def looks_like_secret(text: str) -> str | None:
    """What kind of credential `text` contains, or None."""
    if not _ANY_TOKEN.search(text):
        return None
    for kind, pattern in _TOKEN_PATTERNS:
        if pattern.search(text):
            return kind
    return None


def check_secrets(report: Report, data: Any, skip: tuple[str, ...] = ("credentials",)) -> None:
    """Report strings that hold credentials. Values are never echoed: errors end up in logs."""
    for path, key, value in _strings(data, (), skip):
        kind = looks_like_secret(value)
        if kind is not None:
            report.add(path, f"literal secret: this value contains {kind}", _HINT)
        elif key and _SENSITIVE_KEY.search(key) and value and not _REFERENCE.match(value):
            report.add(path, f"literal secret: {key!r} holds a value, not a reference", _HINT)


def _strings(
    data: Any, path: JsonPath, skip: tuple[str, ...]
) -> Iterator[tuple[JsonPath, str, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in skip:
                continue
            if isinstance(value, str):
                yield path + (key,), key, value
            else:
                yield from _strings(value, path + (key,), skip)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            if isinstance(value, str):
                yield path + (index,), "", value
            else:
                yield from _strings(value, path + (index,), skip)
