"""Params keys that tasks read exist in their params files."""

from __future__ import annotations

import tomllib
from typing import Any

from modelops_git.errors import Diagnostic, SpecError
from modelops_git.paths import RepoPaths
from modelops_git.spec.overlay import deep_merge
from modelops_git.spec.report import Report, mapping, sequence
from modelops_git.spec.yaml_source import load_yaml_file

__all__ = ["ParamsFiles", "check_params", "lookup"]

_MISSING = object()


def lookup(data: Any, dotted: str) -> Any:
    """`data["train"]["lr"]` for "train.lr"; a sentinel when absent."""
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


def is_missing(value: Any) -> bool:
    return value is _MISSING


class ParamsFiles:
    """Params files read on demand, once each; the default one overlaid with env params.

    An environment's view reads files through `base` (the view without env params), so each
    file is parsed once however many environments look at it.
    """

    def __init__(
        self,
        paths: RepoPaths,
        default_file: str,
        env_params: dict[str, Any] | None = None,
        base: ParamsFiles | None = None,
    ) -> None:
        self.paths = paths
        self.default_file = default_file
        self.env_params = env_params or {}
        self.base = base
        self._loaded: dict[str, Any] = {}
        self.reported_missing: set[str] = set()

    def data(self, file: str) -> Any:
        """The file's values; None when it is missing or unsafe. SpecError when unreadable."""
        if file not in self._loaded:
            self._loaded[file] = self._read(file)
        return self._loaded[file]

    def _read(self, file: str) -> Any:
        if self.base is None:
            return self._parse(file)
        values = self.base.data(file)
        if file == self.default_file and self.env_params:
            return deep_merge(values or {}, self.env_params)
        return values

    def _parse(self, file: str) -> Any:
        path = self.paths.root / file
        if self.paths.problem(file) is not None or not path.is_file():
            return None
        if not file.endswith(".toml"):
            return load_yaml_file(path, file).data
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SpecError([_toml_problem(file, exc)]) from None


def _toml_problem(file: str, exc: Exception) -> Diagnostic:
    line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
    return Diagnostic(file, line, col, "$", f"TOML syntax error: {exc}", "fix the TOML syntax")


def check_params(report: Report, spec: dict[str, Any], files: ParamsFiles) -> None:
    for pipeline_name, pipeline in mapping(spec.get("pipelines")).items():
        for task_name, task in mapping(mapping(pipeline).get("tasks")).items():
            task_path = ("pipelines", pipeline_name, "tasks", task_name, "params")
            for index, entry in enumerate(sequence(mapping(task).get("params"))):
                if isinstance(entry, str):
                    _check_key(report, task_path + (index,), files, files.default_file, entry)
                for file, keys in mapping(entry).items():
                    for key_index, key in enumerate(sequence(keys)):
                        if isinstance(key, str):
                            where = task_path + (index, file, key_index)
                            _check_key(report, where, files, file, key)
            when_params = mapping(mapping(mapping(task).get("when")).get("params"))
            for key in when_params:
                when_path = (*task_path[:-1], "when", "params", key)
                _check_key(report, when_path, files, files.default_file, key)


def _check_key(
    report: Report, where: tuple[Any, ...], files: ParamsFiles, file: str, key: str
) -> None:
    if files.paths.problem(file) is not None or file in files.reported_missing:
        return
    values = files.data(file)
    if values is None:
        files.reported_missing.add(file)
        report.add(
            where,
            f"params file {file!r} does not exist",
            f"create {file} with the key {key!r}, or set params_file",
        )
    elif is_missing(lookup(values, key)):
        report.add(
            where,
            f"params key {key!r} is not in {file}",
            f"add it to {file} (dotted keys are nested: a.b means a: {{b: ...}})",
        )
