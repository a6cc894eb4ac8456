"""Questions asked of history, on mo projects, on plain DVC projects and on fresh clones."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import Result, git

Mo = Callable[..., Result]

TRAIN = """import json, pathlib, yaml
p = yaml.safe_load(open("params.yaml"))["train"]
rows = pathlib.Path("data/raw.csv").read_text().splitlines()
pathlib.Path("models").mkdir(exist_ok=True)
pathlib.Path("models/model.txt").write_text(f"{len(rows)} {p['lr']}")
accuracy = round(1 - p["lr"] / 10 - len(rows) / 1000, 4)
pathlib.Path("metrics.json").write_text(json.dumps({"accuracy": accuracy}))
"""


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD").strip()


@pytest.fixture
def history_repo(git_dir: Path, mo: Mo) -> Path:
    """Three commits: baseline; lr 0.1 -> 0.5 (accuracy drops 0.04); data grows (drops 0.005)."""
    files = {
        "modelops.yaml": yaml.safe_dump(
            {
                "version": 1,
                "datasets": {"raw": {"path": "data/raw.csv"}},
                "models": {"clf": {"path": "models/model.txt"}},
                "pipelines": {
                    "train": {
                        "tasks": {
                            "train": {
                                "cmd": "python train.py",
                                "deps": ["train.py", "dataset:raw"],
                                "params": ["train.lr"],
                                "outs": ["model:clf"],
                                "metrics": ["metrics.json"],
                            },
                        }
                    }
                },
            },
            sort_keys=False,
        ),
        "params.yaml": "train:\n  lr: 0.1\n",
        "train.py": TRAIN,
        "data/raw.csv": "x\n" * 10,
    }
    for rel, text in files.items():
        (git_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (git_dir / rel).write_text(text)
    assert mo("data", "add", "data/raw.csv").code == 0
    assert mo("run").code == 0
    commit(git_dir, "baseline")
    (git_dir / "params.yaml").write_text("train:\n  lr: 0.5\n")
    assert mo("run").code == 0
    commit(git_dir, "raise the learning rate")
    (git_dir / "data" / "raw.csv").write_text("x\n" * 15)
    assert mo("data", "add", "data/raw.csv").code == 0
    assert mo("run").code == 0
    commit(git_dir, "more data")
    return git_dir


def test_why_finds_the_commit_that_moved_the_metric(history_repo: Path, mo: Mo) -> None:
    result = json.loads(mo("why", "accuracy", "--json").out)
    assert result["commits"] == 3
    first, second = result["moves"]
    assert first["subject"] == "raise the learning rate"
    assert (first["old"], first["new"]) == (0.98, 0.94)
    assert first["params"] == [{"key": "train.lr", "old": 0.1, "new": 0.5}]
    assert first["data"] == [] and first["code"] == ["params.yaml"]
    assert second["subject"] == "more data"
    assert [entry["path"] for entry in second["data"]] == ["data/raw.csv"]
    assert second["code"] == ["data/raw.csv.dvc"]
    text = mo("why", "accuracy").out
    assert "raise the learning rate: accuracy 0.98 -> 0.94" in text
    assert "param changed: train.lr 0.1 -> 0.5" in text


def test_why_in_a_range(history_repo: Path, mo: Mo) -> None:
    result = json.loads(mo("why", "accuracy", "--from", "HEAD~1", "--json").out)
    assert result["commits"] == 1 and result["moves"] == []


def test_lineage_of_a_model_now_and_before(history_repo: Path, mo: Mo) -> None:
    now = json.loads(mo("lineage", "clf", "--json").out)
    assert now["path"] == "models/model.txt" and now["task"] == "train/train"
    assert [d["path"] for d in now["data"]] == ["data/raw.csv"]
    assert [c["path"] for c in now["code"]] == ["train.py"]
    assert now["params"] == {"params.yaml": {"train.lr": 0.5}}
    assert now["run"]["user"] == "Ada Author <ada@example.com>"
    before = json.loads(mo("lineage", "clf@HEAD~2", "--json").out)
    assert before["params"] == {"params.yaml": {"train.lr": 0.1}}
    assert before["data"][0]["md5"] != now["data"][0]["md5"]
    assert "produced by train/train" in mo("lineage", "models/model.txt").out


def test_history_and_metrics_diff(history_repo: Path, mo: Mo) -> None:
    rows = json.loads(mo("history", "accuracy", "--json").out)
    assert [row["value"] for row in rows] == [0.98, 0.94, 0.935]
    versions = json.loads(mo("history", "clf", "--json").out)
    assert len(versions) == 3 and len({row["value"] for row in versions}) == 3
    diff = json.loads(mo("metrics", "diff", "HEAD~2", "HEAD", "--json").out)
    assert diff == [
        {
            "file": "metrics.json",
            "metric": "accuracy",
            "old": 0.98,
            "new": 0.935,
            "change": pytest.approx(-0.045),
        }
    ]
    workspace = json.loads(mo("metrics", "diff", "--json").out)
    assert workspace[0]["change"] == 0


def test_fresh_clone_answers_after_fetching_records(
    history_repo: Path, tmp_path: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch
) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(history_repo), str(clone))
    git(clone, "fetch", "-q", "origin", "refs/modelops/*:refs/modelops/*")
    monkeypatch.chdir(clone)
    answer = json.loads(mo("lineage", "clf", "--json").out)
    assert answer["run"]["user"] == "Ada Author <ada@example.com>"
    assert json.loads(mo("why", "accuracy", "--json").out)["moves"][0]["subject"] == (
        "raise the learning rate"
    )


def test_unknown_revision_and_metric(history_repo: Path, mo: Mo) -> None:
    result = mo("lineage", "clf@nope")
    assert result.code == 1 and "unknown revision 'nope'" in result.err
    result = mo("why", "f1")
    assert result.code == 1 and "no commit in that range records the metric 'f1'" in result.err


def test_plain_dvc_project_without_modelops_yaml(git_dir: Path, mo: Mo) -> None:
    (git_dir / "params.yaml").write_text("train:\n  lr: 0.1\n")
    (git_dir / "data").mkdir()
    (git_dir / "data" / "raw.csv").write_text("x\n" * 10)
    (git_dir / "train.py").write_text(TRAIN)
    (git_dir / "dvc.yaml").write_text(
        yaml.safe_dump(
            {
                "stages": {
                    "train": {
                        "cmd": "python train.py",
                        "deps": ["train.py", "data/raw.csv"],
                        "params": ["train.lr"],
                        "outs": ["models/model.txt"],
                        "metrics": [{"metrics.json": {"cache": False}}],
                    }
                }
            }
        )
    )
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run([*dvc, "init", "-q"], cwd=git_dir, check=True)
    subprocess.run([*dvc, "add", "-q", "data/raw.csv"], cwd=git_dir, check=True)
    subprocess.run([*dvc, "repro", "-q"], cwd=git_dir, check=True, capture_output=True)
    commit(git_dir, "baseline")
    (git_dir / "params.yaml").write_text("train:\n  lr: 0.5\n")
    subprocess.run([*dvc, "repro", "-q"], cwd=git_dir, check=True, capture_output=True)
    commit(git_dir, "raise the learning rate")
    move = json.loads(mo("why", "accuracy", "--json").out)["moves"][0]
    assert move["subject"] == "raise the learning rate"
    assert move["params"] == [{"key": "train.lr", "old": 0.1, "new": 0.5}]
    lineage = json.loads(mo("lineage", "models/model.txt", "--json").out)
    assert lineage["source"] == "dvc.lock" and lineage["task"] == "train"
    assert {d["path"] for d in lineage["code"]} == {"train.py"}
    assert {d["path"] for d in lineage["data"]} == {"data/raw.csv"}
    assert [row["value"] for row in json.loads(mo("history", "accuracy", "--json").out)] == [
        0.98,
        0.94,
    ]
