"""A plan's DAG as text, Mermaid or Graphviz DOT."""

from __future__ import annotations

import json

from modelops_git.compile.plan import Plan

__all__ = ["GRAPH_FORMATS", "draw"]


def _text(plan: Plan) -> str:
    edges = plan.edges()
    lines = [f"pipeline {plan.pipeline}: {len(plan.tasks)} tasks, {len(edges)} edges"]
    by_name = {task.name: task for task in plan.tasks}
    for depth, layer in enumerate(plan.layers(), start=1):
        for name in layer:
            task = by_name[name]
            needs = f"  <- {', '.join(task.needs)}" if task.needs else ""
            off = "  (disabled by when)" if not task.enabled else ""
            lines.append(f"  [{depth}] {name}{needs}{off}")
    return "\n".join(lines) + "\n"


def _mermaid(plan: Plan) -> str:
    ids = {task.name: f"t{index}" for index, task in enumerate(plan.tasks)}
    lines = ["flowchart TD"]
    lines += [f"  {ids[task.name]}[{json.dumps(task.name)}]" for task in plan.tasks]
    lines += [f"  {ids[source]} --> {ids[target]}" for source, target in plan.edges()]
    return "\n".join(lines) + "\n"


def _dot(plan: Plan) -> str:
    lines = [f"digraph {json.dumps(plan.pipeline)} {{", "  rankdir=TB;"]
    lines += [f"  {json.dumps(task.name)};" for task in plan.tasks]
    lines += [f"  {json.dumps(source)} -> {json.dumps(target)};" for source, target in plan.edges()]
    return "\n".join(lines) + "\n}\n"


GRAPH_FORMATS = {"text": _text, "mermaid": _mermaid, "dot": _dot}


def draw(plan: Plan, fmt: str) -> str:
    return GRAPH_FORMATS[fmt](plan)
