"""Deep merge of overrides, DAG ordering and cycle paths, inferred edges."""

from __future__ import annotations

from modelops_git.dag import find_cycle, layers, topological_order
from modelops_git.spec.edges import TaskIO, infer_needs, overlapping_outs
from modelops_git.spec.overlay import deep_merge


def test_mappings_merge_and_null_removes() -> None:
    base = {"a": {"x": 1, "y": 2}, "b": [1, 2], "c": 1}
    merged = deep_merge(base, {"a": {"y": 3, "z": 4}, "b": [9], "c": None})
    assert merged == {"a": {"x": 1, "y": 3, "z": 4}, "b": [9]}
    assert base == {"a": {"x": 1, "y": 2}, "b": [1, 2], "c": 1}


def test_lists_of_named_items_merge_by_name() -> None:
    base = [{"name": "a", "v": 1}, {"name": "b", "v": 2}]
    merged = deep_merge(base, [{"name": "b", "v": 3}, {"name": "c", "v": 4}])
    assert merged == [{"name": "a", "v": 1}, {"name": "b", "v": 3}, {"name": "c", "v": 4}]


def test_override_values_are_copied_not_shared() -> None:
    override = {"a": {"deep": [1]}}
    merged = deep_merge({}, override)
    merged["a"]["deep"].append(2)
    assert override == {"a": {"deep": [1]}}


def test_cycle_is_returned_as_a_path() -> None:
    needs = {"a": ["c"], "b": ["a"], "c": ["b"], "d": []}
    cycle = find_cycle(list(needs), needs)
    assert cycle is not None and cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    assert find_cycle(["a", "b"], {"a": [], "b": ["a"]}) is None


def test_self_loop_is_a_cycle() -> None:
    assert find_cycle(["a"], {"a": ["a"]}) == ["a", "a"]


def test_layers_branch_and_join() -> None:
    needs = {"prep": [], "left": ["prep"], "right": ["prep"], "join": ["left", "right"]}
    assert layers(list(needs), needs) == [["prep"], ["left", "right"], ["join"]]
    assert topological_order(["join", "right", "left", "prep"], needs) == [
        "prep",
        "right",
        "left",
        "join",
    ]


def test_deep_chain_does_not_recurse() -> None:
    names = [f"t{i}" for i in range(5000)]
    needs = {name: ([names[i - 1]] if i else []) for i, name in enumerate(names)}
    assert topological_order(list(reversed(names)), needs) == names
    assert find_cycle(names, needs) is None


def test_edges_inferred_from_outs_and_directories() -> None:
    tasks = {
        "prep": TaskIO([], ["raw.csv"], ["data/prepared"]),
        "train": TaskIO([], ["data/prepared/train.csv"], ["model.pkl"]),
        "report": TaskIO(["prep"], ["data"], ["report.html"]),
    }
    assert infer_needs(tasks) == {"prep": [], "train": ["prep"], "report": ["prep"]}


def test_overlapping_outs_in_either_order() -> None:
    first = {"a": TaskIO([], [], ["data/x.csv"]), "b": TaskIO([], [], ["data"])}
    second = {"a": TaskIO([], [], ["data"]), "b": TaskIO([], [], ["data/x.csv"])}
    assert overlapping_outs(first) == [("b", "outs", 0, "a", "outs", 0)]
    assert overlapping_outs(second) == [("b", "outs", 0, "a", "outs", 0)]
    assert overlapping_outs({"a": TaskIO([], [], ["m.json"], ["m.json"])}) == [
        ("a", "metrics", 0, "a", "outs", 0)
    ]
