"""JSON Schema validation of spec files, with errors people can act on."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from modelops_git.errors import Diagnostic
from modelops_git.spec.report import Locator
from modelops_git.spec.yaml_source import JsonPath

__all__ = ["SCHEMA_FILES", "check", "schema_document", "schema_path_hint", "schema_text"]

SCHEMA_FILES = {
    "spec": "modelops.schema.json",
    "environment": "environment.schema.json",
    "lock": "lock.schema.json",
}
_KIND_OF_FILE = {name: kind for kind, name in SCHEMA_FILES.items()}
_SECRET_DESCRIPTION = "A reference to a credential"  # noqa: S105 - a schema text, not a secret
_TYPE_NAMES = {
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    list: "list",
    dict: "mapping",
    type(None): "null",
}


def _schema_dir() -> Path:
    packaged = Path(str(resources.files("modelops_git"))) / "schemas"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "schemas"


def schema_path_hint() -> Path:
    """Where the schema files are on this machine (for `$schema` lines and docs)."""
    return _schema_dir()


@cache
def schema_text(kind: str) -> str:
    return (_schema_dir() / SCHEMA_FILES[kind]).read_text(encoding="utf-8")


@cache
def schema_document(kind: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(schema_text(kind))
    return document


def _inline_refs(node: Any, document: dict[str, Any]) -> Any:
    """The schema with every `$ref` replaced by its target (ours are not recursive): resolving
    references while validating costs more than the validation itself on large specs."""
    if isinstance(node, list):
        return [_inline_refs(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        file, _, pointer = ref.partition("#")
        target_document = schema_document(_KIND_OF_FILE[file]) if file else document
        target: Any = target_document
        for part in pointer.strip("/").split("/"):
            target = target[part]
        rest = {key: value for key, value in node.items() if key != "$ref"}
        return {**_inline_refs(target, target_document), **_inline_refs(rest, document)}
    return {key: _inline_refs(value, document) for key, value in node.items()}


@cache
def _inlined(kind: str) -> dict[str, Any]:
    document = schema_document(kind)
    inlined: dict[str, Any] = _inline_refs(
        {key: value for key, value in document.items() if key != "$defs"}, document
    )
    return inlined


@cache
def _validator(kind: str) -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(_inlined(kind))


@cache
def _fast_validator(kind: str) -> Any:
    """jsonschema-rs answers "valid?" about 100x faster; the Python validator then explains."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a platform without its wheels
        return None
    return jsonschema_rs.Draft202012Validator(_inlined(kind))


def check(source: Locator, kind: str, data: Any) -> list[Diagnostic]:
    """Every schema problem of `data`, located through `source`."""
    fast = _fast_validator(kind)
    if fast is not None and fast.is_valid(data):
        return []
    diagnostics: list[Diagnostic] = []
    for error in _validator(kind).iter_errors(data):
        diagnostics.extend(_explain(source, error))
    return diagnostics


def _explain(source: Locator, error: Any) -> Iterator[Diagnostic]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        yield from _explain(source, _closest(error))
        return
    path: JsonPath = tuple(error.absolute_path)
    handler = _HANDLERS.get(error.validator, _generic)
    yield from handler(source, error, path)


def _closest(error: Any) -> Any:
    """Of the alternatives of a oneOf, the error from the branch whose type matched."""
    from jsonschema.exceptions import best_match

    typed = [sub for sub in error.context if sub.validator != "type"]
    return best_match(typed or error.context)


def _type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _article(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _described(error: Any, fallback: str) -> str:
    """The description of the schema that failed, or of the nearest enclosing one."""
    while error is not None:
        description = error.schema.get("description") if isinstance(error.schema, dict) else None
        if description:
            return str(description)
        error = error.parent
    return fallback


def _type(source: Locator, error: Any, path: JsonPath) -> Iterator[Diagnostic]:
    expected = error.validator_value
    wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
    wanted = wanted.replace("object", "mapping").replace("array", "list")
    value = error.instance
    plain = source.plain_text(path)
    if plain is not None and "string" in wanted and not isinstance(value, str):
        pattern = error.schema.get("pattern") if isinstance(error.schema, dict) else None
        quoting_helps = pattern is None or re.search(pattern, plain) is not None
        hint = f'quote it: "{plain}"' if quoting_helps else _described(error, "write a string")
        yield source.diagnostic(
            path,
            f"YAML reads the unquoted {plain!r} as the {_type_name(value)} {value!r}, "
            "but a string is expected here",
            hint,
        )
        return
    if plain is not None and isinstance(value, str) and wanted in ("boolean", "number", "integer"):
        yield source.diagnostic(
            path,
            f"expected {_article(wanted)}, got the string {value!r}",
            "write true or false" if wanted == "boolean" else "write a number",
        )
        return
    yield source.diagnostic(
        path,
        f"expected {_article(wanted)}, got {_article(_type_name(value))}",
        _described(error, "fix the value's type"),
    )


def _additional(source: Locator, error: Any, path: JsonPath) -> Iterator[Diagnostic]:
    allowed = sorted(error.schema.get("properties", {}))
    instance = error.instance if isinstance(error.instance, dict) else {}
    for key in instance:
        if key in allowed:
            continue
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        yield source.diagnostic((*path, key), f"unknown key {key!r}", hint, key=True)


def _required(source: Locator, error: Any, path: JsonPath) -> Iterator[Diagnostic]:
    instance = error.instance if isinstance(error.instance, dict) else {}
    properties = error.schema.get("properties", {})
    unknown = [key for key in instance if key not in properties]
    for key in error.validator_value:
        if key in instance or difflib.get_close_matches(key, unknown, n=1):
            continue  # a misspelt key is reported once, as unknown with a suggestion
        description = properties.get(key, {}).get("description", "")
        hint = f"add '{key}:' ({description.rstrip('.')})" if description else f"add '{key}:'"
        yield source.diagnostic(path, f"missing required key {key!r}", hint, key=bool(path))


def _enum(source: Locator, error: Any, path: JsonPath) -> Iterator[Diagnostic]:
    options = [str(option) for option in error.validator_value]
    close = difflib.get_close_matches(str(error.instance), options, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "use one of the listed values"
    yield source.diagnostic(path, f"{error.instance!r} is not one of: {', '.join(options)}", hint)


def _const(source: Locator, error: Any, path: JsonPath) -> Iterator[Diagnostic]:
    yield source.diagnostic(
        path,
        f"must be {error.validator_value!r}, not {error.instance!r}",
        _described(error, f"write {error.validator_value!r}"),
    )


def _pattern(source: Locator, error: Any, path: JsonPath) -> Iterator[Diagnostic]:
    if "propertyNames" in error.absolute_schema_path:
        yield source.diagnostic(
            (*path, error.instance),
            f"{error.instance!r} is not a valid name",
            _described(error, "use letters, digits, '_', '-' and '.'"),
            key=True,
        )
        return
    description = _described(error, "")
    if description.startswith(_SECRET_DESCRIPTION):
        yield source.diagnostic(
            path,
            "literal secret: credentials must be references, not values",
            "write env:NAME or secret:NAME and keep the value out of git; rotate it if it was "
            "ever committed",
        )
        return
    yield source.diagnostic(
        path,
        f"{error.instance!r} is not valid here",
        description or f"it must match {error.validator_value}",
    )


def _generic(source: Locator, error: Any, path: JsonPath) -> Iterator[Diagnostic]:
    yield source.diagnostic(path, str(error.message), _described(error, "see the schema"))


_HANDLERS = {
    "type": _type,
    "additionalProperties": _additional,
    "required": _required,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
}
