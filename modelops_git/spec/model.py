"""The typed spec: dataclasses built from schema-valid data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

__all__ = [
    "DEFAULT_PARAMS_FILE",
    "Account",
    "Dataset",
    "Environment",
    "FreezeWindow",
    "Gate",
    "Model",
    "ParamRef",
    "Pipeline",
    "Platform",
    "PromotionPolicy",
    "RetryPolicy",
    "Spec",
    "Task",
    "Trigger",
    "When",
    "entity",
    "parse_duration",
]

_T = TypeVar("_T")

DEFAULT_PARAMS_FILE = "params.yaml"
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> float | None:
    """Seconds from `90`, `"90s"`, `"30m"`, `"2h"` or `"1d"` (schema-checked already)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    return float(text[:-1]) * _UNIT_SECONDS[text[-1]]


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(item) for item in value or ())


def _plain(value: Any) -> Any:
    """Lists become tuples of strings and mappings are copied, so entities stay immutable."""
    if isinstance(value, list):
        return _strings(value)
    return dict(value) if isinstance(value, dict) else value


def entity(cls: type[_T], name: str, data: dict[str, Any]) -> _T:
    """`cls` from its YAML mapping: each field takes the key of the same name (a field
    `X_seconds` takes the duration `X`); missing keys keep the field's default."""
    values: dict[str, Any] = {}
    for item in fields(cls):  # type: ignore[arg-type]
        key = item.name.removesuffix("_seconds")
        if item.name != "name" and key in data:
            value = data[key]
            values[item.name] = parse_duration(value) if key != item.name else _plain(value)
    build: Callable[..., _T] = cls
    return build(name=name, **values)


@dataclass(frozen=True)
class Dataset:
    name: str
    path: str
    description: str = ""
    store: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Model:
    name: str
    path: str
    type: str | None = None
    framework: str | None = None
    description: str = ""
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetryPolicy:
    limit: int = 0
    backoff_seconds: float = 1.0
    retry_on: tuple[int, ...] = ()

    @classmethod
    def from_data(cls, data: Any) -> RetryPolicy:
        if data is None:
            return cls()
        if isinstance(data, int):
            return cls(limit=data)
        backoff = parse_duration(data.get("backoff"))
        return cls(
            data["limit"], 1.0 if backoff is None else backoff, tuple(data.get("retry_on", ()))
        )


@dataclass(frozen=True)
class When:
    envs: tuple[str, ...] = ()
    branches: tuple[str, ...] = ()
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_data(cls, data: Any) -> When | None:
        if not data:
            return None
        return cls(
            _strings(data.get("envs")),
            _strings(data.get("branches")),
            tuple((data.get("params") or {}).items()),
        )


@dataclass(frozen=True)
class ParamRef:
    file: str
    key: str

    @classmethod
    def list_from_data(cls, data: Any, default_file: str) -> tuple[ParamRef, ...]:
        refs: list[ParamRef] = []
        for entry in data or ():
            if isinstance(entry, str):
                refs.append(cls(default_file, entry))
            else:
                refs.extend(cls(file, key) for file, keys in entry.items() for key in keys)
        return tuple(refs)


@dataclass(frozen=True)
class Task:
    name: str
    cmd: str
    description: str = ""
    deps: tuple[str, ...] = ()
    outs: tuple[str, ...] = ()
    params: tuple[ParamRef, ...] = ()
    metrics: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    retries: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_seconds: float | None = None
    when: When | None = None
    platform: str | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_data(cls, name: str, data: dict[str, Any], params_file: str) -> Task:
        return cls(
            name=name,
            cmd=data["cmd"],
            description=data.get("description", ""),
            deps=_strings(data.get("deps")),
            outs=_strings(data.get("outs")),
            params=ParamRef.list_from_data(data.get("params"), params_file),
            metrics=_strings(data.get("metrics")),
            needs=_strings(data.get("needs")),
            retries=RetryPolicy.from_data(data.get("retries")),
            timeout_seconds=parse_duration(data.get("timeout")),
            when=When.from_data(data.get("when")),
            platform=data.get("platform"),
            resources=dict(data.get("resources") or {}),
            env=dict(data.get("env") or {}),
        )


@dataclass(frozen=True)
class Pipeline:
    name: str
    tasks: dict[str, Task]
    description: str = ""
    platform: str | None = None
    harden: bool = False
    monitor_drift: bool = False

    @classmethod
    def from_data(cls, name: str, data: dict[str, Any], params_file: str) -> Pipeline:
        tasks = {
            key: Task.from_data(key, value, params_file) for key, value in data["tasks"].items()
        }
        return cls(
            name,
            tasks,
            data.get("description", ""),
            data.get("platform"),
            bool(data.get("harden", False)),
            bool(data.get("monitor_drift", False)),
        )


@dataclass(frozen=True)
class Platform:
    name: str
    engine: str
    account: str | None = None
    image: str | None = None
    namespace: str | None = None
    runs_on: str | None = None
    url: str | None = None
    resources: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Account:
    name: str
    provider: str
    region: str | None = None
    role: str | None = None
    credentials: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Trigger:
    name: str
    on: str
    pipeline: str
    env: str = "dev"
    datasets: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    cron: str | None = None
    model: str | None = None
    metric: str | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class Gate:
    name: str
    type: str
    metric: str | None = None
    op: str | None = None
    threshold: float | None = None
    max_drop: float | None = None
    duration_seconds: float | None = None
    check: str | None = None


@dataclass(frozen=True)
class Spec:
    pipelines: dict[str, Pipeline]
    datasets: dict[str, Dataset] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    platforms: dict[str, Platform] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    triggers: dict[str, Trigger] = field(default_factory=dict)
    gates: dict[str, Gate] = field(default_factory=dict)
    project: str | None = None
    description: str = ""
    params_file: str = DEFAULT_PARAMS_FILE

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Spec:
        params_file = data.get("params_file", DEFAULT_PARAMS_FILE)

        def each(section: str, kind: type[_T]) -> dict[str, _T]:
            return {
                name: entity(kind, name, value) for name, value in (data.get(section) or {}).items()
            }

        return cls(
            pipelines={
                name: Pipeline.from_data(name, value, params_file)
                for name, value in data["pipelines"].items()
            },
            datasets=each("datasets", Dataset),
            models=each("models", Model),
            platforms=each("platforms", Platform),
            accounts=each("accounts", Account),
            triggers=each("triggers", Trigger),
            gates=each("gates", Gate),
            project=data.get("project"),
            description=data.get("description", ""),
            params_file=params_file,
        )


@dataclass(frozen=True)
class FreezeWindow:
    start: str
    end: str
    reason: str = ""


@dataclass(frozen=True)
class PromotionPolicy:
    from_env: str | None = None
    approvals: int = 0
    reviewers: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    gates: tuple[str, ...] = ()
    soak_seconds: float | None = None
    freeze: tuple[FreezeWindow, ...] = ()
    auto: bool = False
    rollback_approvals: int | None = None
    hold_on_rollback: bool = True

    @classmethod
    def from_data(cls, data: Any) -> PromotionPolicy:
        data = data or {}
        rollback = data.get("rollback") or {}
        return cls(
            from_env=data.get("from"),
            approvals=int(data.get("approvals", 0)),
            reviewers=_strings(data.get("reviewers")),
            teams=_strings(data.get("teams")),
            gates=_strings(data.get("gates")),
            soak_seconds=parse_duration(data.get("soak")),
            freeze=tuple(
                FreezeWindow(w["start"], w["end"], w.get("reason", ""))
                for w in data.get("freeze") or ()
            ),
            auto=bool(data.get("auto", False)),
            rollback_approvals=rollback.get("approvals"),
            hold_on_rollback=bool(rollback.get("hold", True)),
        )


@dataclass(frozen=True)
class Environment:
    name: str
    description: str = ""
    platform: str | None = None
    storage: str | None = None
    resources: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    pins: dict[str, str] = field(default_factory=dict)
    promotion: PromotionPolicy = field(default_factory=PromotionPolicy)

    @classmethod
    def from_data(cls, name: str, data: dict[str, Any]) -> Environment:
        return cls(
            name,
            data.get("description", ""),
            data.get("platform"),
            data.get("storage"),
            dict(data.get("resources") or {}),
            dict(data.get("params") or {}),
            dict(data.get("overrides") or {}),
            dict(data.get("models") or {}),
            PromotionPolicy.from_data(data.get("promotion")),
        )
