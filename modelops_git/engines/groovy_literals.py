"""Groovy single-quoted string literals: the only way a value is written into a Jenkinsfile.

In a single-quoted Groovy string `$` is not special, so `${...}` stays text; what must be
escaped is the quote, the backslash and line breaks (a single-quoted string is one line).
Everything outside printable ASCII is written as `\\uXXXX`, so the file means the same
whatever encoding Jenkins reads it with.
"""

from __future__ import annotations

__all__ = ["groovy_string"]

_SHORT_ESCAPES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    short = _SHORT_ESCAPES.get(char)
    if short is not None:
        return short
    if " " <= char <= "~":
        return char
    code = ord(char)
    if code > 0xFFFF:  # outside the BMP: Java strings hold it as a UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def groovy_string(value: str) -> str:
    """`value` as a Groovy single-quoted string literal that evaluates to exactly `value`."""
    if value.isascii() and value.isprintable() and "'" not in value and "\\" not in value:
        return f"'{value}'"
    return "'" + "".join(_escape(char) for char in value) + "'"
