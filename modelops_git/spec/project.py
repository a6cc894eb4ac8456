"""A repository's spec and environments, loaded and checked as one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from modelops_git.errors import Diagnostic, ModelOpsError, SpecError
from modelops_git.paths import RepoPaths
from modelops_git.spec import schemas
from modelops_git.spec.check_envs import check_environment, check_trigger_envs
from modelops_git.spec.check_graph import check_graphs, check_paths
from modelops_git.spec.check_params import ParamsFiles, check_params
from modelops_git.spec.check_references import check_references
from modelops_git.spec.check_secrets import check_secrets
from modelops_git.spec.model import DEFAULT_PARAMS_FILE, Environment, Spec
from modelops_git.spec.overlay import deep_merge
from modelops_git.spec.report import Locator, Overlay, Report, mapping
from modelops_git.spec.yaml_source import YamlSource, load_yaml_file

__all__ = ["ENV_DIR", "SPEC_FILE", "Project", "load_project"]

SPEC_FILE = "modelops.yaml"
ENV_DIR = "environments"
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class Project:
    """A validated project: what every command that reads the spec starts from."""

    root: Path
    spec_source: YamlSource
    env_sources: dict[str, YamlSource] = field(default_factory=dict)
    _params: dict[str | None, ParamsFiles] = field(default_factory=dict, compare=False, repr=False)

    @property
    def env_names(self) -> list[str]:
        return list(self.env_sources)

    @cached_property
    def spec(self) -> Spec:
        return Spec.from_data(self.spec_source.data)

    def effective_data(self, env: str | None) -> dict[str, Any]:
        """The spec data with `env`'s overrides merged in (the spec itself for None)."""
        data: dict[str, Any] = self.spec_source.data
        if env is None:
            return data
        overrides = mapping(self.env_source(env).data).get("overrides")
        return deep_merge(data, overrides) if overrides else data

    def effective_spec(self, env: str | None) -> Spec:
        data = self.effective_data(env)
        return self.spec if data is self.spec_source.data else Spec.from_data(data)

    def env_source(self, name: str) -> YamlSource:
        if name not in self.env_sources:
            known = ", ".join(self.env_sources) or "none"
            raise ModelOpsError(
                f"unknown environment {name!r} (known: {known})",
                f"create {ENV_DIR}/{name}.yaml or pick a known one (`mo envs`)",
            )
        return self.env_sources[name]

    def environment(self, name: str) -> Environment:
        return Environment.from_data(name, mapping(self.env_source(name).data))

    @cached_property
    def repo_paths(self) -> RepoPaths:
        return RepoPaths(self.root)

    def params_files(self, env: str | None) -> ParamsFiles:
        """The params files as `env` sees them (each file parsed once per project)."""
        if env not in self._params:
            default = self.spec_source.data.get("params_file", DEFAULT_PARAMS_FILE)
            if env is None:
                self._params[env] = ParamsFiles(self.repo_paths, default)
            else:
                env_params = mapping(mapping(self.env_source(env).data).get("params"))
                base = self.params_files(None)
                self._params[env] = ParamsFiles(self.repo_paths, default, env_params, base)
        return self._params[env]


def load_project(root: Path) -> Project:
    """Load and check `modelops.yaml` and `environments/*.yaml`; SpecError lists every problem."""
    spec_path = root / SPEC_FILE
    if not spec_path.is_file():
        raise ModelOpsError(
            f"no {SPEC_FILE} in {root}", "run `mo init` to scaffold one, or cd into the project"
        )
    problems: list[Diagnostic] = []
    spec_source = _load(spec_path, SPEC_FILE, problems)
    env_sources = _load_envs(root, problems)
    if spec_source is None:
        raise SpecError(problems)
    project = Project(root, spec_source, env_sources)
    problems.extend(_check(project))
    if problems:
        raise SpecError(sorted(set(problems)))
    return project


def _load(path: Path, display: str, problems: list[Diagnostic]) -> YamlSource | None:
    try:
        return load_yaml_file(path, display)
    except SpecError as error:
        problems.extend(error.diagnostics)
        return None


def _load_envs(root: Path, problems: list[Diagnostic]) -> dict[str, YamlSource]:
    env_dir = root / ENV_DIR
    sources: dict[str, YamlSource] = {}
    for path in sorted(env_dir.glob("*.yaml")) if env_dir.is_dir() else []:
        display = f"{ENV_DIR}/{path.name}"
        if not _ENV_NAME.match(path.stem):
            problems.append(
                Diagnostic(
                    display,
                    1,
                    1,
                    "$",
                    f"{path.stem!r} is not a valid environment name",
                    "rename the file: letters, digits, '_', '-' and '.'",
                )
            )
            continue
        source = _load(path, display, problems)
        if source is not None:
            sources[path.stem] = source
    return sources


def _check(project: Project) -> list[Diagnostic]:
    source = project.spec_source
    if not isinstance(source.data, dict):
        return [
            source.diagnostic(
                (), "modelops.yaml must be a mapping with a 'pipelines' key", "start from `mo init`"
            )
        ]
    problems = schemas.check(source, "spec", source.data)
    problems += _semantic(source, source.data, project, None)
    env_names = project.env_names
    report = Report(source)
    check_trigger_envs(report, source.data, env_names)
    problems += report.problems
    for name, env_source in project.env_sources.items():
        problems += _check_env(project, name, env_source, env_names)
        problems += _new_with_overrides(project, name, env_source, problems)
    return problems


def _semantic(
    locator: Locator, data: dict[str, Any], project: Project, env: str | None
) -> list[Diagnostic]:
    report = Report(locator)
    check_references(report, data)
    check_paths(report, data, project.repo_paths)
    check_graphs(report, data)
    if env is None:  # merged specs hold only what the spec and env files (checked) hold
        check_secrets(report, data)
    try:
        check_params(report, data, project.params_files(env))
    except SpecError as error:
        report.problems.extend(error.diagnostics)
    return report.problems


def _check_env(
    project: Project, name: str, env_source: YamlSource, env_names: list[str]
) -> list[Diagnostic]:
    env = env_source.data
    if env is None:
        return []
    if not isinstance(env, dict):
        return [
            env_source.diagnostic(
                (), "an environment file must be a mapping", "see `mo init` for an example"
            )
        ]
    problems = schemas.check(env_source, "environment", env)
    report = Report(env_source)
    check_environment(report, env, project.spec_source.data, env_names)
    check_secrets(report, env)
    return problems + report.problems


def _new_with_overrides(
    project: Project, name: str, env_source: YamlSource, known: list[Diagnostic]
) -> list[Diagnostic]:
    """Problems of the spec as `name` merges it, that the spec alone does not have."""
    env = mapping(env_source.data)
    if not isinstance(env.get("overrides"), dict) and not isinstance(env.get("params"), dict):
        return []
    overlay = Overlay(project.spec_source, env_source)
    merged = project.effective_data(name)
    found = schemas.check(overlay, "spec", merged) if merged is not project.spec_source.data else []
    found += _semantic(overlay, merged, project, name)
    seen = {(d.file, d.line, d.col, d.message) for d in known}
    new = []
    for problem in found:
        if (problem.file, problem.line, problem.col, problem.message) in seen:
            continue
        if problem.file != env_source.file:
            problem = replace(
                problem, message=f"{problem.message} (with the overrides of {env_source.file})"
            )
        new.append(problem)
    return new
