"""The YAML writer: whatever it writes loads back equal, in PyYAML (1.1) and ruamel (1.2)."""

from __future__ import annotations

import random
import string
from typing import Any

import pytest
import yaml
from ruamel.yaml import YAML

from modelops_git.yaml_emit import dump_yaml

TRICKY = [
    "on",
    "No",
    "yes",
    "Y",
    "n",
    "1",
    "1.0",
    "0755",
    "3.10",
    "1e3",
    "0x1F",
    "+1",
    "-1",
    ".5",
    "1_000",
    ".inf",
    "True",
    "null",
    "~",
    "",
    "-",
    "- x",
    "a: b",
    "a #b",
    "#x",
    "@x",
    "!x",
    "&a",
    "*a",
    "'q'",
    '"q"',
    "  lead",
    "trail ",
    "x\ny",
    "tab\tx",
    "2024-01-01",
    "12:30",
    "<<",
    "=",
    "%x",
    "{a}",
    "[a]",
    "a,b",
    "é",
    "a:b",
    "/x/y",
    "?",
    "|",
    ">",
    "x # y",
    "ok value",
    "$(rm -rf /)",
    "${{ github.event.issue.title }}",
    "`id`",
]


def _round_trips(data: dict[str, Any]) -> None:
    text = dump_yaml(data)
    assert yaml.safe_load(text) == data, text
    assert YAML(typ="safe").load(text) == data, text


def test_tricky_strings_as_values_and_keys() -> None:
    _round_trips({"values": TRICKY, "keys": {value: value for value in TRICKY}})


def test_nesting_empties_and_numbers() -> None:
    _round_trips(
        {
            "nested": [{"a": 1, "b": [1, 2, {"c": None}]}, [1, [2]], {}, []],
            "empty": {},
            "none": [],
            "floats": [1.5, float("inf"), -0.0, 1e20, 1e-7],
            "flags": [True, False, None],
        }
    )


@pytest.mark.parametrize(
    ("seed", "alphabet"),
    [
        *((seed, string.printable + "éü€\u2028\x85\x7f") for seed in range(5)),
        *((seed, "ab01:# -_./@+,;()`'\"=<>~%$&*!?|[]{}eExXo") for seed in range(5, 10)),
    ],
)
def test_random_strings(seed: int, alphabet: str) -> None:
    rng = random.Random(seed)
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        _round_trips({"k": text, text: [text, {text: text}]})


def test_plain_output_reads_naturally() -> None:
    assert dump_yaml({"cmd": "python src/train.py", "deps": ["a.csv"], "count": 2}) == (
        "cmd: python src/train.py\ndeps:\n- a.csv\ncount: 2\n"
    )
