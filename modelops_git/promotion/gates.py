"""The gates of a promotion: every gate of the target's policy, judged on the candidate.

Metrics come from the lineage of the exact version (the lock at the commit the version's tag
points to), never from the work tree, so a gate judges what will be deployed.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelops_git import git
from modelops_git.lineage.snapshots import Snapshot, snapshots
from modelops_git.spec.check_envs import parse_instant
from modelops_git.spec.model import Gate, PromotionPolicy

__all__ = ["Candidate", "GateResult", "evaluate_gates", "snapshot_at"]

_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}


@dataclass(frozen=True)
class GateResult:
    gate: str
    kind: str
    passed: bool
    value: str
    threshold: str
    detail: str = ""

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    def trailer(self) -> str:
        verdict = "pass" if self.passed else "FAIL"
        return f"{self.gate} {verdict} ({self.value} vs {self.threshold})"


@dataclass(frozen=True)
class Candidate:
    """What is being promoted, and what it would replace."""

    model: str
    version: str
    commit: str
    in_source_since: str | None
    """When the version entered the source environment (or was registered)."""
    pinned_version: str | None = None
    pinned_commit: str | None = None


def snapshot_at(root: Path, commit: str) -> Snapshot:
    return snapshots(root, [git.Commit(commit, "", "", "")])[0]


def evaluate_gates(
    root: Path,
    candidate: Candidate,
    policy: PromotionPolicy,
    gates: Mapping[str, Gate],
    now: datetime | None = None,
    passed_checks: Callable[[str], set[str]] | None = None,
) -> list[GateResult]:
    """One result per gate of `policy`, plus its soak time and freeze windows.

    `passed_checks(commit)` names the checks that passed on a commit (the provider knows:
    run records locally, check runs on GitHub)."""
    moment = now or datetime.now(UTC)
    ours = snapshot_at(root, candidate.commit)
    theirs = snapshot_at(root, candidate.pinned_commit) if candidate.pinned_commit else None
    results = [
        _judge(name, gates[name], candidate, ours, theirs, moment, passed_checks)
        for name in policy.gates
    ]
    if policy.soak_seconds is not None:
        results.append(_soak("policy soak", policy.soak_seconds, candidate, moment))
    results += [
        _freeze(window.start, window.end, window.reason, moment) for window in policy.freeze
    ]
    return results


def _judge(
    name: str,
    gate: Gate,
    candidate: Candidate,
    ours: Snapshot,
    theirs: Snapshot | None,
    moment: datetime,
    passed_checks: Callable[[str], set[str]] | None,
) -> GateResult:
    if gate.type == "metric":
        return _metric(name, gate, ours)
    if gate.type == "regression":
        return _regression(name, gate, candidate, ours, theirs)
    if gate.type == "soak":
        return _soak(name, gate.duration_seconds or 0.0, candidate, moment)
    check = gate.check or ""
    passed = check in (passed_checks(candidate.commit) if passed_checks else set())
    return GateResult(
        name,
        "check",
        passed,
        "passed" if passed else "not passed",
        check,
        "" if passed else f"no successful {check!r} at {candidate.commit[:10]}",
    )


def _metric(name: str, gate: Gate, ours: Snapshot) -> GateResult:
    metric, op, threshold = gate.metric or "", gate.op or ">=", float(gate.threshold or 0.0)
    value = ours.metric(metric)
    wanted = f"{metric} {op} {threshold:g}"
    if value is None:
        return GateResult(name, "metric", False, "missing", wanted, _missing(metric, ours))
    return GateResult(name, "metric", _OPS[op](value, threshold), f"{value:g}", wanted)


def _regression(
    name: str, gate: Gate, candidate: Candidate, ours: Snapshot, theirs: Snapshot | None
) -> GateResult:
    metric, max_drop = gate.metric or "", float(gate.max_drop or 0.0)
    wanted = f"drop of {metric} <= {max_drop:g}"
    value = ours.metric(metric)
    if value is None:
        return GateResult(name, "regression", False, "missing", wanted, _missing(metric, ours))
    if theirs is None or candidate.pinned_version is None:
        return GateResult(name, "regression", True, f"{value:g}", wanted, "nothing pinned yet")
    before = theirs.metric(metric)
    if before is None:
        detail = f"{candidate.pinned_version} has no {metric}"
        return GateResult(name, "regression", True, f"{value:g}", wanted, detail)
    drop = before - value
    return GateResult(
        name,
        "regression",
        drop <= max_drop + 1e-12,
        f"{value:g} ({drop:+g} drop vs {candidate.pinned_version} {before:g})",
        wanted,
    )


def _missing(metric: str, snapshot: Snapshot) -> str:
    if not snapshot.source:
        return "the version's commit has no modelops.lock or dvc.lock: run and commit first"
    return f"the version's lineage records no metric {metric!r}"


def _soak(name: str, seconds: float, candidate: Candidate, moment: datetime) -> GateResult:
    wanted = f">= {_duration(seconds)} in source"
    since = parse_instant(candidate.in_source_since) if candidate.in_source_since else None
    if since is None:
        return GateResult(name, "soak", False, "never deployed there", wanted)
    elapsed = (moment - since).total_seconds()
    return GateResult(name, "soak", elapsed >= seconds, _duration(max(elapsed, 0.0)), wanted)


def _freeze(start: str, end: str, reason: str, moment: datetime) -> GateResult:
    begins, ends = parse_instant(start), parse_instant(end)
    frozen = begins is not None and ends is not None and begins <= moment < ends
    return GateResult(
        f"freeze {start}..{end}",
        "freeze",
        not frozen,
        "frozen now" if frozen else "open",
        "outside the window",
        reason if frozen else "",
    )


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"
