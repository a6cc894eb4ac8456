"""Environment files refer to models, platforms, gates and environments that exist."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from modelops_git.spec.check_references import BUILTIN_PLATFORMS, unknown_name
from modelops_git.spec.report import Report, mapping, sequence, strings

__all__ = ["check_environment", "check_trigger_envs", "parse_instant"]


def parse_instant(text: str) -> datetime | None:
    """An ISO 8601 date or date-time, UTC when it has no offset; None if unreadable."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check_environment(
    report: Report, env: dict[str, Any], spec: dict[str, Any], env_names: list[str]
) -> None:
    models = mapping(spec.get("models"))
    for model in mapping(env.get("models")):
        if model not in models:
            unknown_name(
                report, ("models", model), "model", model, models, " under 'models:'", key=True
            )
    platform = env.get("platform")
    platforms = [*BUILTIN_PLATFORMS, *mapping(spec.get("platforms"))]
    if isinstance(platform, str) and platform not in platforms:
        unknown_name(report, ("platform",), "platform", platform, platforms)
    _check_promotion(report, mapping(env.get("promotion")), spec, env_names)


def _check_promotion(
    report: Report, policy: dict[str, Any], spec: dict[str, Any], env_names: list[str]
) -> None:
    gates = mapping(spec.get("gates"))
    for index, gate in strings(policy.get("gates")):
        if gate not in gates:
            unknown_name(
                report,
                ("promotion", "gates", index),
                "gate",
                gate,
                gates,
                " under 'gates:' in modelops.yaml",
            )
    source = policy.get("from")
    if isinstance(source, str) and source not in env_names:
        unknown_name(
            report,
            ("promotion", "from"),
            "environment",
            source,
            env_names,
            " as environments/<name>.yaml",
        )
    approvals = policy.get("approvals", 0)
    if policy.get("auto") is True and isinstance(approvals, int) and approvals > 0:
        report.add(
            ("promotion", "auto"),
            f"auto: true cannot merge while {approvals} approval(s) are required",
            "set approvals: 0, or auto: false",
        )
    for index, window in enumerate(sequence(policy.get("freeze"))):
        _check_window(report, ("promotion", "freeze", index), mapping(window))


def _check_window(report: Report, path: tuple[Any, ...], window: dict[str, Any]) -> None:
    moments = {}
    for key in ("start", "end"):
        value = window.get(key)
        if isinstance(value, str):
            moments[key] = parse_instant(value)
            if moments[key] is None:
                report.add(
                    path + (key,),
                    f"{value!r} is not an ISO 8601 date or date-time",
                    "write e.g. 2026-12-20 or 2026-12-20T18:00:00+00:00",
                )
    start, end = moments.get("start"), moments.get("end")
    if start is not None and end is not None and end <= start:
        report.add(path + ("end",), "freeze window ends before it starts", "swap start and end")


def check_trigger_envs(report: Report, spec: dict[str, Any], env_names: list[str]) -> None:
    for name, trigger in mapping(spec.get("triggers")).items():
        env = mapping(trigger).get("env", "dev")
        if isinstance(env, str) and env_names and env not in env_names:
            unknown_name(
                report,
                ("triggers", name, "env"),
                "environment",
                env,
                env_names,
                " as environments/<name>.yaml",
            )
