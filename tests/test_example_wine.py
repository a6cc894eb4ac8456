"""The demo's scikit-learn project works end to end: run, change a param, rerun, why."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Result, git

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "wine"


def test_wine_example(git_dir: Path, mo: Callable[..., Result]) -> None:
    shutil.copytree(EXAMPLE, git_dir, dirs_exist_ok=True)
    subprocess.run(
        [sys.executable, "src/export_data.py"], cwd=git_dir, check=True, capture_output=True
    )
    assert mo("data", "add", "data/wine.csv").code == 0
    assert mo("validate").code == 0
    first = json.loads(mo("run", "--json").out)
    assert first["counts"] == {"succeeded": 3}
    assert json.loads((git_dir / "metrics" / "eval.json").read_text())["accuracy"] >= 0.85
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-qm", "train")
    params = git_dir / "params.yaml"
    params.write_text(
        params.read_text()
        .replace("max_depth: 5", "max_depth: 1")
        .replace("n_estimators: 50", "n_estimators: 3")
    )
    second = json.loads(mo("run", "--json").out)
    assert second["counts"] == {"up to date": 1, "succeeded": 2}
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-qm", "smaller forest")
    move = json.loads(mo("why", "accuracy", "--json").out)["moves"][0]
    assert move["subject"] == "smaller forest" and move["change"] < 0
    assert {entry["key"] for entry in move["params"]} == {"train.max_depth", "train.n_estimators"}
