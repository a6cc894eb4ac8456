"""Safe YAML loading: positions, YAML 1.2 scalars, and hostile files refused quickly."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import pytest

from modelops_git.errors import SpecError
from modelops_git.spec import yaml_source
from modelops_git.spec.yaml_source import load_yaml_file, load_yaml_text


def problems(text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        load_yaml_text(text, "f.yaml")
    return [f"{d.location()} {d.message}" for d in caught.value.diagnostics]


def test_yaml_12_scalars_keep_words_and_leading_zeros_visible() -> None:
    data = load_yaml_text(
        "a: on\nb: no\nc: yes\nd: true\ne: 0755\nf: 3.10\ng: ~\nh: 1:30\n", "f.yaml"
    ).data
    assert data == {
        "a": "on",
        "b": "no",
        "c": "yes",
        "d": True,
        "e": 755,
        "f": 3.1,
        "g": None,
        "h": "1:30",
    }


def test_keys_are_always_strings() -> None:
    assert load_yaml_text("on: 1\n2: x\nnull: y\n", "f.yaml").data == {
        "on": 1,
        "2": "x",
        "null": "y",
    }


def test_quoted_and_explicit_strings_stay_strings() -> None:
    data = load_yaml_text("a: '0755'\nb: !!str 3.10\nc: \"on\"\n", "f.yaml").data
    assert data == {"a": "0755", "b": "3.10", "c": "on"}


def test_positions_of_values_and_keys() -> None:
    source = load_yaml_text("top:\n  list:\n    - a\n    - b\n", "f.yaml")
    assert source.diagnostic(("top", "list", 1), "x").location() == "f.yaml:4:7"
    assert source.diagnostic(("top", "list"), "x", key=True).location() == "f.yaml:2:3"
    assert source.diagnostic(("top", "missing", 3), "x").location() == "f.yaml:2:3"


def test_all_duplicate_keys_are_reported_with_the_first_line() -> None:
    found = problems("a: 1\nb: 2\na: 3\nc:\n  x: 1\n  x: 2\n")
    assert found == [
        "f.yaml:3:1 duplicate key 'a' (first defined on line 1)",
        "f.yaml:6:3 duplicate key 'x' (first defined on line 5)",
    ]


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['true']",
        "!!python/name:os.system",
        "!custom x",
        "!!binary aGk=",
        "!!set {a, b}",
    ],
)
def test_object_building_tags_are_refused(tag: str) -> None:
    found = problems(f"a: {tag}\n")
    assert len(found) == 1 and "is not allowed" in found[0] and found[0].startswith("f.yaml:1:4")


def test_billion_laughs_is_refused_fast_and_small() -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*a{level - 1}"] * 10)
        lines.append(f"a{level}: &a{level} [{refs}]")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    found = problems("\n".join(lines) + "\n")
    elapsed = time.perf_counter() - started
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert "expands to more than" in found[0]
    assert elapsed < 1.0
    assert grown_kib < 50_000


def test_recursive_alias_is_refused() -> None:
    assert "recursive alias" in problems("a: &x [1, *x]\n")[0]


def test_deep_nesting_is_refused_not_a_crash() -> None:
    assert "nesting deeper" in problems("a: " + "[" * 200 + "]" * 200 + "\n")[0]


def test_merge_keys_apply_own_keys_first() -> None:
    data = load_yaml_text("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "f.yaml").data
    assert data["use"] == {"y": 3, "x": 1}


def test_syntax_error_has_a_location() -> None:
    found = problems("a: [1, 2\nb: 3\n")
    assert found[0].startswith("f.yaml:") and "YAML syntax error" in found[0]


def test_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 2000 + "\n")
    with pytest.raises(SpecError) as caught:
        load_yaml_file(path, "big.yaml", max_bytes=1000)
    assert "over the 1000-byte limit" in caught.value.diagnostics[0].message


def test_default_cap_is_generous_but_bounded() -> None:
    assert 1024 * 1024 <= yaml_source.MAX_FILE_BYTES <= 64 * 1024 * 1024


def test_non_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"a: caf\xe9\n")
    with pytest.raises(SpecError) as caught:
        load_yaml_file(path, "latin.yaml")
    assert "not UTF-8" in caught.value.diagnostics[0].message
