"""Reads an Argo manifest back as Argo and the kubelet would: the tasks it runs, the
`{{...}}` tags Argo would substitute, and env values as the process would see them."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.engine_fixtures import ParsedTask

__all__ = ["argo_tags", "kubelet_env", "kubelet_expand", "parse_tasks", "re2_to_python"]

ENGINE_ARGS = ("--run-id", "{{workflow.name}}", "--single-attempt")


def _templates(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {template["name"]: template for template in manifest["spec"]["templates"]}


def _parameters(manifest: dict[str, Any]) -> dict[str, str]:
    parameters = manifest["spec"]["arguments"]["parameters"]
    return {parameter["name"]: parameter["value"] for parameter in parameters}


def parse_tasks(manifest: dict[str, Any]) -> dict[str, ParsedTask]:
    """Spec task name -> what the manifest runs for it, with workflow parameters substituted
    (as Argo does) and the engine's own `--run-id {{workflow.name}} --single-attempt` checked
    and removed."""
    templates = _templates(manifest)
    parameters = _parameters(manifest)
    dag = templates[manifest["spec"]["entrypoint"]]["dag"]["tasks"]
    spec_name = {}
    parsed = {}
    for task in dag:
        container = templates[task["template"]]["container"]
        argv = [*container["command"], *container["args"]]
        assert tuple(argv[-3:]) == ENGINE_ARGS, argv
        argv = [
            re.sub(r"\{\{workflow\.parameters\.(\w+)\}\}", lambda m: parameters[m[1]], arg)
            for arg in argv[:-3]
        ]
        spec_name[task["name"]] = argv[3]
        parsed[task["name"]] = (task, templates[task["template"]], tuple(argv))
    result = {}
    for argo_name, (task, template, argv) in parsed.items():
        retries = int(template.get("retryStrategy", {}).get("limit", 0))
        deadline = template.get("activeDeadlineSeconds")
        result[spec_name[argo_name]] = ParsedTask(
            frozenset(spec_name[need] for need in task.get("dependencies", [])),
            retries,
            float(deadline) if deadline is not None else None,
            argv,
        )
    return result


def argo_tags(document: Any) -> list[str]:
    """Every `{{...}}` tag Argo's templating (fasttemplate over the JSON of the object)
    would act on."""
    text = json.dumps(document, ensure_ascii=False)
    tags = []
    start = text.find("{{")
    while start != -1:
        end = text.find("}}", start + 2)
        assert end != -1, f"unterminated tag in {text[start : start + 80]!r}"
        tags.append(text[start + 2 : end])
        start = text.find("{{", end + 2)
    return tags


def kubelet_expand(value: str, defined: dict[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion of env values (third_party/forked/golang/expansion):
    `$$` is `$`, `$(NAME)` of a variable defined before is its value, anything else stays."""
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char != "$" or index + 1 >= len(value):
            out.append(char)
            index += 1
            continue
        following = value[index + 1]
        if following == "$":
            out.append("$")
            index += 2
        elif following == "(":
            close = value.find(")", index + 2)
            if close == -1:
                out.append("$(")
                index += 2
            else:
                name = value[index + 2 : close]
                out.append(defined.get(name, f"$({name})"))
                index = close + 1
        else:
            out.append("$" + following)
            index += 2
    return "".join(out)


def kubelet_env(container: dict[str, Any]) -> dict[str, str]:
    """Plain env values as the container's process sees them (secrets left out)."""
    seen: dict[str, str] = {}
    for variable in container.get("env", []):
        if "value" in variable:
            seen[variable["name"]] = kubelet_expand(variable["value"], seen)
    return seen


def re2_to_python(pattern: str) -> str:
    """The RE2 `\\x{HEX}` escapes our branch patterns use, in Python's syntax."""
    return re.sub(r"\\x\{([0-9a-f]+)\}", lambda m: f"\\U{int(m[1], 16):08x}", pattern)
