"""Text that Argo and Kubernetes read twice: env values and `when` conditions.

Argo substitutes `{{...}}` anywhere in a template (several passes, and `{{` cannot be
escaped), and the kubelet expands `$(NAME)` in env values (`$$` is a literal `$`). A plain
env value therefore keeps no `{{` and every `$` is doubled; a `{` that would follow another
`{` comes from `$(MO_ARGO_LBRACE)`, a variable holding `{` that the kubelet expands after
Argo is done. Branch globs become a regular expression inside an `expr` expression on the
workflow parameter `branch`, so the branch name is a variable, never text Argo parses.
"""

from __future__ import annotations

import re

__all__ = ["LBRACE_VARIABLE", "branch_condition", "env_value", "glob_regex", "needs_lbrace"]

LBRACE_VARIABLE = "MO_ARGO_LBRACE"
_LBRACE_REFERENCE = f"$({LBRACE_VARIABLE})"
_SECOND_BRACE = re.compile(r"(?<=\{)\{")
# Everything else is written as \x{HEX}: no quote, `?`, `:` (Argo's ternary check splits on
# them), `{{` or `}}` can appear inside the expression, whatever the glob holds.
_LITERAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-")


def needs_lbrace(value: str) -> bool:
    return "{{" in value


def env_value(value: str) -> str:
    """`value` as written in a container's env so that the process sees exactly `value`."""
    escaped = value.replace("$", "$$")
    if "{{" not in value:
        return escaped
    # Every `{` right after another `{` (in the value, so `{{{` gives `{` and two references).
    return _SECOND_BRACE.sub(lambda _: _LBRACE_REFERENCE, escaped)


def _hex(char: str) -> str:
    return f"\\x{{{ord(char):x}}}"


def _class(glob: str, start: int) -> tuple[str, int] | None:
    """A `[...]` set at `start` as an RE2 class and the index after it (fnmatch rules)."""
    index = start + 1
    negate = index < len(glob) and glob[index] == "!"
    index += negate
    first = index
    while index < len(glob) and (glob[index] != "]" or index == first):
        index += 1
    if index >= len(glob):
        return None
    members = glob[first:index]
    parts: list[str] = []
    position = 0
    while position < len(members):
        if position + 2 < len(members) and members[position + 1] == "-":
            low, high = members[position], members[position + 2]
            if low <= high:
                parts.append(f"{_hex(low)}-{_hex(high)}")
            position += 3
        else:
            parts.append(_hex(members[position]))
            position += 1
    if not parts:
        return ("[^\\x{0}-\\x{10ffff}]" if not negate else "."), index + 1
    return f"[{'^' if negate else ''}{''.join(parts)}]", index + 1


def glob_regex(glob: str) -> str:
    """An RE2 pattern matching what `fnmatch` matches (the local runner's rule): `*` any
    text (`/` too), `?` one character, `[seq]` / `[!seq]` sets."""
    out: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if char == "*":
            out.append(".*")
            index += 1
        elif char == "?":
            out.append(".")
            index += 1
        elif char == "[" and (found := _class(glob, index)) is not None:
            out.append(found[0])
            index = found[1]
        else:
            out.append(char if char in _LITERAL else _hex(char))
            index += 1
    return "".join(out)


def branch_condition(globs: tuple[str, ...], parameter: str) -> str:
    """An Argo `when`: an expression on the workflow parameter, true when it matches a glob.

    The regex sits in a single-quoted `expr` string, so its backslashes are doubled."""
    alternatives = "|".join(glob_regex(glob) for glob in globs)
    pattern = f"^({alternatives})$".replace("\\", "\\\\")
    return f"{{{{=workflow.parameters.{parameter} matches '{pattern}'}}}}"
