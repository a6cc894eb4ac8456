"""Safe YAML loading that keeps node positions, so every error can name `file:line:col`.

Scalars follow the YAML 1.2 core schema (as editors and ruamel.yaml do): `on`, `no` and
`yes` stay strings, only `true`/`false` are booleans. Tags other than the standard
JSON-compatible ones are refused instead of building objects.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from modelops_git.errors import Diagnostic, SpecError

__all__ = ["JsonPath", "YamlSource", "format_path", "load_yaml_file", "load_yaml_text"]

JsonPath = tuple[str | int, ...]

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_NODES = 2_000_000
MAX_DEPTH = 64

_PLAIN = "!plain"
_TAG = "tag:yaml.org,2002:"
_STR, _SEQ, _MAP = _TAG + "str", _TAG + "seq", _TAG + "map"
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_NULLS = {"", "~", "null", "Null", "NULL"}
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_EXPECTED_TYPES: dict[str, type | tuple[type, ...]] = {
    _TAG + "int": int,
    _TAG + "float": (int, float),
    _TAG + "bool": bool,
    _TAG + "null": type(None),
}

try:
    from yaml.cyaml import CParser as _Parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.composer import Composer
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)


class _Composer(_Parser, yaml.resolver.BaseResolver):
    """Composes nodes only; plain scalars get a marker tag and are resolved by YAML 1.2 rules."""

    def __init__(self, text: str) -> None:
        _Parser.__init__(self, text)
        yaml.resolver.BaseResolver.__init__(self)

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode and implicit[0]:
            return _PLAIN
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]


def format_path(path: JsonPath) -> str:
    """`$.pipelines.train.tasks[0]`: the JSON path people see in errors."""
    parts = ["$"]
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            parts.append(f".{part}")
        else:
            parts.append(f"[{part!r}]")
    return "".join(parts)


def resolve_plain(text: str) -> Any:
    """The value of an unquoted scalar under the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _INT.fullmatch(text):
        return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
    if _FLOAT.fullmatch(text) and any(ch.isdigit() for ch in text):
        return float(text)
    if _INF.fullmatch(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.fullmatch(text):
        return float("nan")
    return text


@dataclass
class YamlSource:
    """A loaded YAML file: its data, and the node tree to locate any JSON path in it."""

    file: str
    data: Any
    root: Node | None
    text: str = ""

    def node_at(self, path: JsonPath) -> tuple[Node | None, Node | None]:
        """The (key node, value node) at `path`, as deep as the path exists."""
        key_node: Node | None = None
        node = self.root
        for part in path:
            found = _child(node, part)
            if found is None:
                break
            key_node, node = found
        return key_node, node

    def has(self, path: JsonPath) -> bool:
        node: Node | None = self.root
        for part in path:
            found = _child(node, part)
            if found is None:
                return False
            node = found[1]
        return True

    def diagnostic(
        self, path: JsonPath, message: str, hint: str = "", *, key: bool = False
    ) -> Diagnostic:
        key_node, value_node = self.node_at(path)
        node = key_node if key and key_node is not None else value_node
        line, col = _position(node)
        return Diagnostic(self.file, line, col, format_path(path), message, hint)

    def plain_text(self, path: JsonPath) -> str | None:
        """The source text of an unquoted scalar (to explain YAML surprises), else None."""
        _, node = self.node_at(path)
        if isinstance(node, ScalarNode) and node.tag == _PLAIN:
            return str(node.value)
        return None


def _file_problem(display: str, message: str, hint: str, line: int = 1, col: int = 1) -> SpecError:
    return SpecError([Diagnostic(display, line, col, "$", message, hint)])


def load_yaml_file(path: Path, display: str, max_bytes: int = MAX_FILE_BYTES) -> YamlSource:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise _file_problem(
                display,
                f"file is {size} bytes, over the {max_bytes}-byte limit for spec files",
                "keep data out of specs; track large files with DVC",
            )
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _file_problem(
            display, f"file is not UTF-8 text ({exc.reason})", "save it as UTF-8"
        ) from None
    except OSError as exc:
        raise _file_problem(
            display, f"cannot read file: {exc.strerror}", "check that it exists and is readable"
        ) from None
    return load_yaml_text(text, display)


def load_yaml_text(text: str, display: str) -> YamlSource:
    root = _compose(text, display)
    builder = _Builder(display)
    if root is not None and "&" in text:  # aliases need anchors: no '&', no alias bomb
        builder.check_size(root)
    data = builder.build(root, ()) if root is not None else None
    if builder.problems:
        raise SpecError(builder.problems)
    return YamlSource(display, data, root, text)


def _compose(text: str, display: str) -> Node | None:
    composer = _Composer(text)
    try:
        node: Node | None = composer.get_single_node()
        return node
    except yaml.MarkedYAMLError as exc:
        raise _syntax_problem(exc, text, display) from None
    except yaml.YAMLError as exc:
        raise _file_problem(
            display, f"YAML error: {exc}", "save the file as plain UTF-8 YAML"
        ) from None
    finally:
        composer.dispose()


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, display: str) -> SpecError:
    lines = text.splitlines() or [""]
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line, mark.column) if mark else (0, 0)
    problem = exc.problem or exc.context or "invalid YAML"
    if "another document" in problem:
        return _file_problem(
            display,
            "a spec file holds one YAML document, but a second one starts here",
            "remove the '---' line and what follows it, or move it to its own file",
            line + 1,
            col + 1,
        )
    if (line < len(lines) and col < len(lines[line]) and lines[line][col] == "\t") or (
        "tab" in problem
    ):
        return _file_problem(
            display,
            "tab character in indentation; YAML allows only spaces",
            "replace the tabs with spaces",
            line + 1,
            col + 1,
        )
    message = f"YAML syntax error: {problem}"
    if exc.context and exc.context_mark and line >= len(lines):
        # The file ended inside an open construct: point at where it was opened.
        opened = exc.context_mark
        line, col = opened.line, opened.column
        what = exc.context.removeprefix("while parsing ")
        message = f"YAML syntax error: {what} opened here is never closed ({problem})"
    elif exc.context and exc.context_mark:
        opened = exc.context_mark
        message += f" ({exc.context} at line {opened.line + 1}, column {opened.column + 1})"
    line = min(line, len(lines) - 1)
    return _file_problem(
        display, message, "check indentation, quotes and brackets near this spot", line + 1, col + 1
    )


def _position(node: Node | None) -> tuple[int, int]:
    if node is None:
        return 1, 1
    return node.start_mark.line + 1, node.start_mark.column + 1


def _is_merge_key(key: Node) -> bool:
    return isinstance(key, ScalarNode) and key.tag == _PLAIN and key.value == "<<"


def _merge_sources(value: Node) -> list[Node]:
    return list(value.value) if isinstance(value, SequenceNode) else [value]


def _pairs(node: MappingNode) -> Iterator[tuple[Node, Node]]:
    """Key/value pairs as they apply: own keys first, then merged (`<<`) ones."""
    merged: list[Node] = []
    for key, value in node.value:
        if _is_merge_key(key):
            merged.extend(_merge_sources(value))
        else:
            yield key, value
    for source in merged:
        if isinstance(source, MappingNode):
            yield from _pairs(source)


def _child(node: Node | None, part: str | int) -> tuple[Node, Node] | None:
    if isinstance(node, MappingNode) and isinstance(part, str):
        for key, value in _pairs(node):
            if isinstance(key, ScalarNode) and key.value == part:
                return key, value
    if isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        item: Node = node.value[part]
        return item, item
    return None


class _Builder:
    """Turns nodes into plain data, collecting every problem instead of stopping at the first."""

    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[Diagnostic] = []

    def problem(self, node: Node, path: JsonPath, message: str, hint: str) -> None:
        line, col = _position(node)
        self.problems.append(Diagnostic(self.display, line, col, format_path(path), message, hint))

    def check_size(self, root: Node) -> None:
        sizes: dict[int, int] = {}
        if self._expanded_size(root, sizes, set()) > MAX_NODES:
            self.problem(
                root,
                (),
                f"the document expands to more than {MAX_NODES} nodes through aliases",
                "remove the chain of aliases ('billion laughs')",
            )
            raise SpecError(self.problems)

    def _expanded_size(self, node: Node, sizes: dict[int, int], active: set[int]) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        if id(node) in active:
            self.problem(
                node,
                (),
                "recursive alias: a node contains itself",
                "replace the alias with a copy of the values it needs",
            )
            raise SpecError(self.problems)
        if isinstance(node, ScalarNode):
            return 1
        active.add(id(node))
        children = (
            node.value if isinstance(node, SequenceNode) else [n for p in node.value for n in p]
        )
        total = 1
        for child in children:
            total += self._expanded_size(child, sizes, active)
            if total > MAX_NODES:
                break
        active.discard(id(node))
        sizes[id(node)] = total
        return total

    def build(self, node: Node, path: JsonPath) -> Any:
        if len(path) > MAX_DEPTH:
            self.problem(
                node, path, f"nesting deeper than {MAX_DEPTH} levels", "flatten the structure"
            )
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, SequenceNode):
            if node.tag != _SEQ:
                self.bad_tag(node, path)
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            if node.tag != _MAP:
                self.bad_tag(node, path)
            return self.mapping(node, path)
        return None  # pragma: no cover - PyYAML has no other node kinds

    def scalar(self, node: ScalarNode, path: JsonPath) -> Any:
        if node.tag == _PLAIN:
            return resolve_plain(node.value)
        if node.tag == _STR:
            return node.value
        if node.tag in _EXPECTED_TYPES:
            value = resolve_plain(node.value)
            if isinstance(value, _EXPECTED_TYPES[node.tag]):
                return value
            self.problem(
                node,
                path,
                f"{node.value!r} is not a valid {node.tag.removeprefix(_TAG)}",
                "remove the tag or fix the value",
            )
            return None
        self.bad_tag(node, path)
        return None

    def bad_tag(self, node: Node, path: JsonPath) -> None:
        tag = node.tag.replace(_TAG, "!!")
        hint = (
            "specs are plain data: remove the tag (only !!str, !!int, !!float, !!bool, !!null, "
            "!!seq and !!map are accepted)"
        )
        if tag.lstrip("!") in ("secret", "env"):
            hint = f"a credential is a reference: write {tag.lstrip('!')}:NAME without the tag"
        self.problem(node, path, f"YAML tag {tag} is not allowed", hint)

    def mapping(self, node: MappingNode, path: JsonPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, Node] = {}
        merged: list[Node] = []
        for key_node, value_node in node.value:
            if _is_merge_key(key_node):
                merged.extend(_merge_sources(value_node))
                continue
            key = self.key(key_node, path)
            if key is None:
                continue
            if key in first_seen:
                line = first_seen[key].start_mark.line + 1
                self.problem(
                    key_node,
                    (*path, key),
                    f"duplicate key {key!r} (first defined on line {line})",
                    "remove one of them; YAML would silently keep only the last",
                )
                continue
            first_seen[key] = key_node
            result[key] = self.build(value_node, (*path, key))
        for source in merged:
            if not isinstance(source, MappingNode):
                self.problem(
                    source,
                    path,
                    "merge key '<<' needs a mapping or a list of mappings",
                    "point '<<' at an anchored mapping, e.g. '<<: *defaults'",
                )
                continue
            for key, value in self.mapping(source, path).items():
                result.setdefault(key, value)
        return result

    def key(self, node: Node, path: JsonPath) -> str | None:
        if not isinstance(node, ScalarNode):
            self.problem(
                node,
                path,
                "mapping keys must be plain strings, not lists or mappings",
                "use a string key",
            )
            return None
        if node.tag not in (_PLAIN, _STR):
            self.bad_tag(node, path)
            return None
        return str(node.value)
