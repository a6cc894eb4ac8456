"""Directed acyclic graphs of named nodes: order, cycles, layers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["find_cycle", "layers", "topological_order"]

Edges = Mapping[str, Sequence[str]]
"""For each node, the nodes it depends on (its `needs`)."""


def find_cycle(nodes: Sequence[str], needs: Edges) -> list[str] | None:
    """One cycle as a path `[a, b, c, a]` (a needs b needs c needs a), or None."""
    state: dict[str, int] = {}
    for start in nodes:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = [start]
        state[start] = 1
        while stack:
            node, index = stack[-1]
            children = needs.get(node, ())
            if index == len(children):
                stack.pop()
                trail.pop()
                state[node] = 2
                continue
            stack[-1] = (node, index + 1)
            child = children[index]
            if state.get(child) == 1:
                return [*trail[trail.index(child) :], child]
            if not state.get(child) and child in needs:
                state[child] = 1
                stack.append((child, 0))
                trail.append(child)
    return None


def topological_order(nodes: Sequence[str], needs: Edges) -> list[str]:
    """Nodes with every node after what it needs; ties keep the order of `nodes`."""
    return [node for layer in layers(nodes, needs) for node in layer]


def layers(nodes: Sequence[str], needs: Edges) -> list[list[str]]:
    """Nodes grouped by depth: layer 0 needs nothing, layer k needs only earlier layers."""
    depth: dict[str, int] = {}
    for node in _dfs_postorder(nodes, needs):
        depth[node] = 1 + max(
            (depth[dep] for dep in needs.get(node, ()) if dep in depth), default=-1
        )
    grouped: list[list[str]] = [[] for _ in range(1 + max(depth.values(), default=-1))]
    for node in nodes:
        grouped[depth[node]].append(node)
    return grouped


def _dfs_postorder(nodes: Sequence[str], needs: Edges) -> list[str]:
    seen: set[str] = set()
    order: list[str] = []
    for start in nodes:
        if start in seen:
            continue
        seen.add(start)
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node, index = stack[-1]
            children = needs.get(node, ())
            if index == len(children):
                stack.pop()
                order.append(node)
                continue
            stack[-1] = (node, index + 1)
            child = children[index]
            if child not in seen and child in needs:
                seen.add(child)
                stack.append((child, 0))
    return order
