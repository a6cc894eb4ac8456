"""Names Argo and Kubernetes accept, derived from spec names deterministically.

Argo template and DAG task names are `[a-zA-Z0-9][-a-zA-Z0-9]*` (128 at most); Kubernetes
object names are lowercase DNS names. Spec names also allow `_` and `.`, so a name that had
to change gets a short hash of the original: `train_a` and `train-a` stay two tasks.
"""

from __future__ import annotations

import hashlib
import re

from modelops_git.errors import ModelOpsError

__all__ = ["object_name", "secret_name", "task_ids"]

_NOT_ARGO = re.compile(r"[^A-Za-z0-9-]")
_NOT_DNS = re.compile(r"[^a-z0-9-]+")
_OBJECT_NAME_MAX = 52
"""Room for the five characters Kubernetes appends to a generateName, and for Argo's node
suffixes in pod names, which it hashes beyond 63 characters anyway."""


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def task_ids(names: list[str]) -> dict[str, str]:
    """Spec task name -> Argo DAG task name (unique)."""
    ids: dict[str, str] = {}
    for name in names:
        cleaned = _NOT_ARGO.sub("-", name)
        ids[name] = cleaned if cleaned == name else f"{cleaned}-{_digest(name)}"
    if len(set(ids.values())) != len(ids):
        clashing = sorted(name for name in ids if list(ids.values()).count(ids[name]) > 1)
        raise ModelOpsError(
            f"tasks {', '.join(clashing)} map to the same Argo task name",
            "rename one of them (Argo names allow letters, digits and '-')",
        )
    return ids


def _dns(text: str) -> str:
    return _NOT_DNS.sub("-", text.lower()).strip("-")


def object_name(pipeline: str, env: str | None) -> str:
    """`mo-PIPELINE[-ENV]` as a DNS label, hashed when it had to be shortened or changed."""
    wanted = "-".join(part for part in ("mo", pipeline, env) if part)
    name = _dns(wanted)
    if name != wanted.lower() or len(name) > _OBJECT_NAME_MAX:
        name = f"{name[: _OBJECT_NAME_MAX - 9].rstrip('-')}-{_digest(wanted)}"
    return name


def secret_name(env: str | None) -> str:
    """The Kubernetes Secret a workflow's tasks read their `secret:`/`env:` values from:
    `modelops-ENV` (`modelops` without an environment); keys are the spec's names."""
    if env is None:
        return "modelops"
    cleaned = _dns(env)
    name = f"modelops-{cleaned}"
    if cleaned != env.lower():
        name = f"{name}-{_digest(env)}"
    return name
