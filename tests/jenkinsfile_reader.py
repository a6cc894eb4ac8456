"""Reads a Declarative Jenkinsfile back from its Groovy AST (see groovy_parser.py): the
stages, in order, and for each task its options, condition, environment, credentials and
the command its `sh` step runs with the environment variables substituted.

Strict on purpose: anything this reader does not know (a Groovy `"${...}"` string outside
the run id, a step other than `sh`/`withCredentials`/`git`) fails the test, so output the
engine should never produce cannot slip through.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

Node = dict[str, Any]


@dataclass
class ReadStage:
    name: str
    layer: int
    options: dict[str, Any] = field(default_factory=dict)
    branches: list[str] = field(default_factory=list)
    environment: dict[str, str] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)
    """variable -> credentials id"""
    scripts: list[str] = field(default_factory=list)
    checkout: dict[str, Any] | None = None


@dataclass
class ReadPipeline:
    agent: str
    environment: dict[str, Any]
    """name -> str for a literal, or {'gstring': text} for the run id"""
    stages: list[ReadStage]
    gstrings: list[str]


def _const(node: Node) -> Any:
    assert set(node) == {"const"}, f"expected a literal, got {node}"
    return node["const"]


def _call(node: Node, name: str | None = None) -> tuple[str, list[Node]]:
    assert "call" in node and node["object"] is None, f"expected a call, got {node}"
    if name is not None:
        assert node["call"] == name, f"expected {name}, got {node['call']}"
    return node["call"], node["args"]


def _closure(args: list[Node]) -> list[Node]:
    assert len(args) >= 1 and "closure" in args[-1], f"expected a block, got {args}"
    body: list[Node] = args[-1]["closure"]
    return body


def _named(args: list[Node]) -> dict[str, Any]:
    assert len(args) == 1 and "map" in args[0], f"expected named arguments, got {args}"
    return {_const(key): value for key, value in args[0]["map"]}


def _environment(body: list[Node], gstrings: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for statement in body:
        assert "assign" in statement, f"expected NAME = value, got {statement}"
        name = statement["assign"]["var"]
        value = statement["value"]
        if "gstring" in value:
            gstrings.append(value["gstring"])
            values[name] = value
        else:
            values[name] = _const(value)
    return values


def _options(body: list[Node]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for statement in body:
        name, args = _call(statement)
        if name == "retry":
            options["retry"] = _const(args[0])
        elif name == "timeout":
            named = _named(args)
            options["timeout"] = {key: _const(value) for key, value in named.items()}
        else:
            raise AssertionError(f"unexpected option {name}")
        options.setdefault("order", []).append(name)
    return options


def _when(body: list[Node]) -> list[str]:
    assert len(body) == 1, f"expected one anyOf condition, got {body}"
    _, args = _call(body[0], "anyOf")
    patterns = []
    for condition in _closure(args):
        _, branch_args = _call(condition, "branch")
        named = {key: _const(value) for key, value in _named(branch_args).items()}
        assert named["comparator"] == "GLOB" and set(named) == {"pattern", "comparator"}
        patterns.append(named["pattern"])
    return patterns


def _steps(body: list[Node], stage: ReadStage) -> None:
    for statement in body:
        name, args = _call(statement)
        if name == "sh":
            assert len(args) == 1, f"sh takes one literal script, got {args}"
            stage.scripts.append(_const(args[0]))
        elif name == "withCredentials":
            assert len(args) == 2 and "list" in args[0]
            for binding in args[0]["list"]:
                _, binding_args = _call(binding, "string")
                named = {key: _const(value) for key, value in _named(binding_args).items()}
                assert set(named) == {"credentialsId", "variable"}
                stage.credentials[named["variable"]] = named["credentialsId"]
            _steps(_closure(args), stage)
        elif name == "git":
            stage.checkout = _named(args)
        else:
            raise AssertionError(f"unexpected step {name}")


def _stage(node: Node, layer: int, gstrings: list[str]) -> list[ReadStage]:
    _, args = _call(node, "stage")
    name = _const(args[0])
    body = _closure(args)
    sections = {_call(section)[0]: _closure(_call(section)[1]) for section in body}
    assert len(sections) == len(body), f"a section appears twice in stage {name}"
    if "parallel" in sections:
        assert set(sections) == {"parallel"}, f"a parallel stage has only stages: {name}"
        return [
            stage for branch in sections["parallel"] for stage in _stage(branch, layer, gstrings)
        ]
    stage = ReadStage(name, layer)
    for section, section_body in sections.items():
        if section == "options":
            stage.options = _options(section_body)
        elif section == "when":
            stage.branches = _when(section_body)
        elif section == "environment":
            stage.environment = _environment(section_body, gstrings)
        elif section == "steps":
            _steps(section_body, stage)
        else:
            raise AssertionError(f"unexpected section {section} in stage {name}")
    return [stage]


def read_jenkinsfile(statements: list[Node]) -> ReadPipeline:
    assert len(statements) == 1, "a Declarative Jenkinsfile is one pipeline { } block"
    _, args = _call(statements[0], "pipeline")
    gstrings: list[str] = []
    agent, environment, stages = "", {}, []
    for section in _closure(args):
        name, section_args = _call(section)
        if name == "agent":
            agent = section_args[0]["var"]
        elif name == "environment":
            environment = _environment(_closure(section_args), gstrings)
        elif name == "stages":
            for layer, node in enumerate(_closure(section_args)):
                stages += _stage(node, layer, gstrings)
        else:
            raise AssertionError(f"unexpected pipeline section {name}")
    return ReadPipeline(agent, environment, stages, gstrings)


def stage_command(pipeline: ReadPipeline, stage: ReadStage) -> list[str]:
    """The argv the stage's one `sh` script runs: the shell words, each `"$NAME"` replaced by
    the variable's value (a stage's environment over the pipeline's)."""
    assert len(stage.scripts) == 1, f"stage {stage.name} runs {len(stage.scripts)} scripts"
    values = {**pipeline.environment, **stage.environment}
    argv = []
    for word in shlex.split(stage.scripts[0]):
        if word.startswith("$"):
            value = values[word[1:]]
            argv.append(value if isinstance(value, str) else f"<{value['gstring']}>")
        else:
            assert word.replace("-", "").isalnum(), f"unexpected shell word {word!r}"
            argv.append(word)
    return argv
