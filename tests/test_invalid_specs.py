"""The corpus of invalid specs: each case's `mo validate` output is a golden file.

A case is a directory under tests/invalid_specs/ holding the files of a repo
(modelops.yaml, environments/*.yaml, params.yaml...), optionally `symlinks.txt` (lines
`LINK TARGET`, TARGET relative to the case's temp parent dir) and the golden `expected.txt`.
Regenerate the goldens with MO_REGENERATE=1, then review the diff.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Result

CASES = Path(__file__).parent / "invalid_specs"
LOCATION = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): error: ", re.M)
_SPECIAL = {"expected.txt", "symlinks.txt", "README.md"}


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if p.is_dir())


def _copy_case(case: Path, repo: Path) -> None:
    for source in case.rglob("*"):
        rel = source.relative_to(case)
        if source.is_file() and str(rel) not in _SPECIAL:
            target = repo / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    links = case / "symlinks.txt"
    if links.exists():
        outside = repo.parent / "outside"
        outside.mkdir(exist_ok=True)
        for line in links.read_text().splitlines():
            link, target = line.split()
            (repo / link).parent.mkdir(parents=True, exist_ok=True)
            (repo / link).symlink_to(repo.parent / target)


def test_corpus_is_large_enough() -> None:
    assert len(_cases()) >= 30


@pytest.mark.parametrize("name", _cases())
def test_invalid_spec(name: str, git_dir: Path, mo: Callable[..., Result]) -> None:
    case = CASES / name
    _copy_case(case, git_dir)
    result = mo("validate")
    golden = case / "expected.txt"
    if os.environ.get("MO_REGENERATE") == "1":
        golden.write_text(result.err)
    assert result.code == 1, result.err
    assert result.out == ""
    assert result.err == golden.read_text()
    locations = LOCATION.findall(result.err)
    assert locations, "every problem names file:line:col"
    for file, line, _col in locations:
        source = git_dir / file
        assert source.is_file(), f"{file} named in the error exists"
        assert 1 <= int(line) <= max(1, len(source.read_text().splitlines()))
