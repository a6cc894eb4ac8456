"""Git trailers (`Key: value` lines in a message's last paragraph): written and read."""

from __future__ import annotations

__all__ = ["parse_trailers", "with_trailers"]


def with_trailers(subject: str, body: str, trailers: list[tuple[str, str]]) -> str:
    lines = [f"{key}: {' '.join(value.split())}" for key, value in trailers]
    return f"{subject}\n\n{body.strip()}\n\n" + "\n".join(lines) + "\n"


def parse_trailers(message: str) -> dict[str, list[str]]:
    """Every trailer of the message's last paragraph, by lower-cased key, in order."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    found: dict[str, list[str]] = {}
    if len(paragraphs) < 2:
        return found
    for line in paragraphs[-1].splitlines():
        key, sep, value = line.partition(":")
        if not sep or not key or " " in key.strip():
            return {}
        found.setdefault(key.strip().lower(), []).append(value.strip())
    return found
