"""The description a reviewer reads: gates, metric deltas against what the target runs now,
the candidate's lineage (data, code, params, run) and a Mermaid graph of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelops_git.errors import ModelOpsError
from modelops_git.lineage.questions import lineage
from modelops_git.promotion.gates import Candidate, GateResult, snapshot_at

__all__ = ["promotion_body"]


def promotion_body(
    root: Path,
    promotion_id: str,
    candidate: Candidate,
    from_env: str,
    to_env: str,
    gates: list[GateResult],
) -> str:
    replacing = f", replacing {candidate.pinned_version}" if candidate.pinned_version else ""
    parts = [
        f"## Promote {candidate.model} {candidate.version} to {to_env}",
        f"From {from_env}{replacing}. Promotion `{promotion_id}`, version commit "
        f"`{candidate.commit[:12]}`. Opened by `mo promote`; merge with `mo merge "
        f"{promotion_id}` once approved.",
        _gates(gates),
        _metrics(root, candidate),
        *_lineage(root, candidate),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _gates(gates: list[GateResult]) -> str:
    if not gates:
        return "### Gates\n\nNone (a rollback skips gates)."
    rows = [
        f"| {_cell(g.gate)} | {g.kind} | {'pass' if g.passed else '**FAIL**'} | "
        f"{_cell(g.value)} | {_cell(g.threshold)} |"
        for g in gates
    ]
    return "\n".join(
        ["### Gates", "", "| gate | kind | result | value | threshold |", "|---|---|---|---|---|"]
        + rows
    )


def _metrics(root: Path, candidate: Candidate) -> str:
    ours = snapshot_at(root, candidate.commit).metrics
    theirs = snapshot_at(root, candidate.pinned_commit).metrics if candidate.pinned_commit else {}
    before_label = candidate.pinned_version or "(nothing pinned)"
    rows = []
    for file in sorted(set(ours) | set(theirs)):
        for key in sorted(set(ours.get(file, {})) | set(theirs.get(file, {}))):
            new, old = ours.get(file, {}).get(key), theirs.get(file, {}).get(key)
            change = (
                f"{new - old:+.4g}"
                if isinstance(new, int | float) and isinstance(old, int | float)
                else ""
            )
            rows.append(
                f"| {_cell(file)} | {_cell(key)} | {_cell(old)} | {_cell(new)} | {change} |"
            )
    if not rows:
        return "### Metrics\n\nThe version's lineage records no metrics."
    header = f"| file | metric | {before_label} | {candidate.version} | change |"
    return "\n".join(["### Metrics", "", header, "|---|---|---|---|---|", *rows])


def _lineage(root: Path, candidate: Candidate) -> list[str]:
    try:
        found = lineage(root, f"{candidate.model}@{candidate.commit}")
    except ModelOpsError as problem:
        return [f"### Lineage\n\nNot recorded: {problem.message}."]
    run = found.get("run") or {}
    lines = [
        "### Lineage",
        "",
        f"- Produced by task `{found['task']}` (`{_cell(found['cmd'])}`), run "
        f"`{found['run_id']}`" + (f" by {_cell(run['user'])} at {run['started']}" if run else ""),
    ]
    for task in [found, *found["upstream"]]:
        name = task.get("task", found["task"])
        for kind in ("data", "code"):
            for item in task[kind]:
                lines.append(f"- {kind} of `{name}`: `{_cell(item['path'])}` md5 `{item['md5']}`")
        for file, values in task["params"].items():
            for key, value in values.items():
                lines.append(f"- param of `{name}`: `{file}:{key}` = `{_cell(value)}`")
    return ["\n".join(lines), _graph(found)]


def _label(text: str) -> str:
    return '"' + text.replace('"', "#quot;").replace("\n", " ") + '"'


def _graph(found: dict[str, Any]) -> str:
    nodes: dict[str, str] = {}
    edges: list[str] = []

    def node(text: str) -> str:
        if text not in nodes:
            nodes[text] = f"n{len(nodes)}"
        return nodes[text]

    node_lines = []
    for task in [found, *found["upstream"]]:
        name = task.get("task", found["task"])
        task_id = node(f"task {name}")
        for item in task["data"] + task["code"]:
            edges.append(f"  {node(item['path'])} --> {task_id}")
        for out in task.get("outs", []):
            if out in nodes or out == found["path"]:
                edges.append(f"  {task_id} --> {node(out)}")
    for text, ident in nodes.items():
        node_lines.append(f"  {ident}[{_label(text)}]")
    body = "\n".join(["graph LR", *node_lines, *sorted(set(edges))])
    return f"### Lineage graph\n\n```mermaid\n{body}\n```"
