"""The model registry: GTO-compatible annotated git tags, read from refs alone.

`MODEL@vX.Y.Z` registers a version on the commit holding the model's pointer (`!` at the end
deregisters it). `MODEL#ENV#N` assigns the version registered at its commit to an
environment, `MODEL#ENV!#N` unassigns it; N counts a model's assignment events, so order
never depends on tag times (two in the same second stay ordered). What an environment holds
is what GTO shows: of the versions whose last event there is an assignment, the one assigned
last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelops_git import git
from modelops_git.errors import ModelOpsError

__all__ = ["Registry", "assign", "read_registry", "register"]

_VERSION_TAG = re.compile(
    r"^(?P<name>[a-z0-9][a-z0-9_.-]*)@(?P<version>v\d+\.\d+\.\d+)(?P<gone>!)?$", re.I
)
_ASSIGN_TAG = re.compile(
    r"^(?P<name>[a-z0-9][a-z0-9_.-]*)#(?P<env>[a-z0-9][a-z0-9_.-]*)"
    r"(?P<gone>!)?#(?P<n>\d+)$",
    re.I,
)
_SEMVER = re.compile(r"^v(\d+)\.(\d+)\.(\d+)$")


def semver(version: str) -> tuple[int, int, int]:
    match = _SEMVER.match(version)
    if not match:
        raise ModelOpsError(
            f"{version!r} is not a version", "write vMAJOR.MINOR.PATCH, e.g. v1.2.0"
        )
    return int(match[1]), int(match[2]), int(match[3])


@dataclass
class Version:
    version: str
    commit: str
    created: str
    md5: str = ""
    run_id: str = ""
    deregistered: bool = False


@dataclass
class Event:
    env: str
    number: int
    commit: str
    created: str
    unassign: bool
    version: str | None = None
    notes: dict[str, str] = field(default_factory=dict)
    """Trailers of the tag message: promotion-id, approved-by, pull-request, merge-commit."""


@dataclass
class ModelEntry:
    name: str
    versions: dict[str, Version] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)

    def live_versions(self) -> list[Version]:
        return sorted(
            (v for v in self.versions.values() if not v.deregistered),
            key=lambda v: semver(v.version),
        )

    def latest(self) -> str | None:
        live = self.live_versions()
        return live[-1].version if live else None

    def in_env(self, env: str) -> str | None:
        last_event: dict[str, Event] = {}
        for event in sorted(self.events, key=lambda e: e.number):
            if event.env == env and event.version is not None:
                last_event[event.version] = event
        assigned = [e for e in last_event.values() if not e.unassign]
        return max(assigned, key=lambda e: e.number).version if assigned else None

    def envs(self) -> list[str]:
        return sorted({event.env for event in self.events})

    def next_number(self) -> int:
        return 1 + max((event.number for event in self.events), default=0)


@dataclass
class Registry:
    models: dict[str, ModelEntry] = field(default_factory=dict)

    def model(self, name: str) -> ModelEntry:
        return self.models.setdefault(name, ModelEntry(name))

    def as_data(self) -> dict[str, Any]:
        return {
            name: {
                "latest": entry.latest(),
                "environments": {env: entry.in_env(env) for env in entry.envs()},
                "versions": [
                    {
                        "version": v.version,
                        "commit": v.commit,
                        "created": v.created,
                        "md5": v.md5,
                        "run_id": v.run_id,
                    }
                    for v in entry.live_versions()
                ],
            }
            for name, entry in sorted(self.models.items())
        }


def read_registry(root: Path) -> Registry:
    """Every registry tag, from one `git for-each-ref` (no commit walking)."""
    registry = Registry()
    events = []
    for tag in git.tags(root):
        if match := _VERSION_TAG.match(tag.name):
            entry = registry.model(match["name"])
            fields = _trailers(tag.body)
            entry.versions[match["version"]] = Version(
                match["version"],
                tag.commit,
                tag.created,
                fields.get("model-md5", ""),
                fields.get("run-id", ""),
                bool(match["gone"]),
            )
        elif match := _ASSIGN_TAG.match(tag.name):
            event = Event(
                match["env"],
                int(match["n"]),
                tag.commit,
                tag.created,
                bool(match["gone"]),
                notes=_trailers(tag.body),
            )
            events.append((match["name"], event))
    for name, event in events:
        entry = registry.model(name)
        event.version = next(
            (v.version for v in entry.versions.values() if v.commit == event.commit), None
        )
        entry.events.append(event)
    return registry


def _trailers(body: str) -> dict[str, str]:
    fields = {}
    for line in body.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and " " not in key.strip():
            fields[key.strip().lower()] = value.strip()
    return fields


def _next_version(entry: ModelEntry, bump: str) -> str:
    latest = entry.latest()
    if latest is None:
        return "v0.0.1"
    major, minor, patch = semver(latest)
    return {
        "major": f"v{major + 1}.0.0",
        "minor": f"v{major}.{minor + 1}.0",
        "patch": f"v{major}.{minor}.{patch + 1}",
    }[bump]


def register(
    root: Path,
    model: str,
    model_path: str,
    md5: str,
    run_id: str,
    commit: str,
    version: str | None = None,
    bump: str = "patch",
) -> dict[str, str]:
    """Tag `commit` as a new version of `model`; versions are immutable and artifacts unique."""
    entry = read_registry(root).model(model)
    for existing in entry.versions.values():
        if existing.md5 == md5 and not existing.deregistered:
            raise ModelOpsError(
                f"this artifact of {model} is already {existing.version} (md5 {md5[:12]})",
                f"use {model}@{existing.version}, or train a new model first",
            )
    chosen = version or _next_version(entry, bump)
    semver(chosen)
    if chosen in entry.versions:
        raise ModelOpsError(
            f"{model}@{chosen} is already registered (versions are immutable)",
            "pick another version, or omit --version to bump the latest",
        )
    tag = f"{model}@{chosen}"
    message = (
        f"Registering artifact {model} version {chosen}\n\nModel-Path: {model_path}\n"
        f"Model-Md5: {md5}\nRun-Id: {run_id or 'unknown'}\n"
    )
    if not git.create_tag(root, tag, commit, message):
        raise ModelOpsError(f"{tag} was created meanwhile by someone else", "run again")
    return {"tag": tag, "version": chosen, "commit": commit, "md5": md5}


def assign(
    root: Path,
    model: str,
    version: str,
    env: str,
    unassign: bool = False,
    trailers: tuple[tuple[str, str], ...] = (),
) -> str:
    """Create `MODEL#ENV#N` (or `MODEL#ENV!#N`) on the version's commit; N is taken under
    compare-and-swap: a tag that exists already means someone else took N, so take N+1.
    `trailers` (promotion id, approvers, pull request) go into the tag's message."""
    for _ in range(20):
        entry = read_registry(root).model(model)
        if version not in entry.versions or entry.versions[version].deregistered:
            raise ModelOpsError(
                f"{model}@{version} is not registered",
                f"register it first: mo register {model} --version {version}",
            )
        mark = "!" if unassign else ""
        tag = f"{model}#{env}{mark}#{entry.next_number()}"
        verb = "Unassigning" if unassign else "Assigning"
        message = f"{verb} stage {env} to artifact {model} version {version}\n"
        if trailers:
            message += "\n" + "".join(f"{key}: {value}\n" for key, value in trailers)
        if git.create_tag(root, tag, entry.versions[version].commit, message):
            return tag
    raise ModelOpsError(f"could not number an assignment of {model}: too many at once", "run again")
