"""Git hooks on real repositories: install and chain, refuse real problems, queue triggers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from modelops_git import trigger_queue
from modelops_git.hooks import SHIM_ID
from tests.conftest import Result, git

Mo = Callable[..., Result]
ROOT = Path(__file__).resolve().parents[1]


def pointer(md5: str) -> str:
    return yaml.safe_dump({"outs": [{"md5": md5, "size": 3, "hash": "md5", "path": "raw.csv"}]})


SPEC = {
    "version": 1,
    "datasets": {"raw": {"path": "data/raw.csv"}},
    "pipelines": {
        "train": {
            "tasks": {
                "copy": {
                    "cmd": "mkdir -p out && cp data/raw.csv.dvc out/copy.txt",
                    "deps": ["data/raw.csv.dvc"],
                    "outs": ["out/copy.txt"],
                }
            }
        }
    },
    "triggers": {
        "retrain": {"on": "data_changed", "datasets": ["raw"], "pipeline": "train", "env": "dev"}
    },
}


def commit(root: Path, message: str, *extra: str) -> subprocess.CompletedProcess[str]:
    git(root, "add", "-A")
    return subprocess.run(
        ["git", "commit", "-qm", message, *extra], cwd=root, capture_output=True, text=True
    )


@pytest.fixture
def repo(make_repo: Callable[[dict[str, str]], Path], mo: Mo) -> Path:
    root = make_repo(
        {
            "modelops.yaml": yaml.safe_dump(SPEC, sort_keys=False),
            "data/raw.csv.dvc": pointer("a" * 32),
            "environments/dev.yaml": "{}\n",
        }
    )
    assert commit(root, "base").returncode == 0
    assert mo("hooks", "install").code == 0
    return root


def test_install_chains_and_uninstall_restores_exactly(git_dir: Path, mo: Mo) -> None:
    hooks = git_dir / ".git" / "hooks"
    original = "#!/bin/sh\necho old hook ran >> ran.txt\n"
    (hooks / "pre-commit").write_text(original)
    (hooks / "pre-commit").chmod(0o751)
    assert mo("hooks", "install").code == 0
    assert SHIM_ID in (hooks / "pre-commit").read_text()
    assert (hooks / "pre-commit.pre-modelops").read_text() == original
    assert mo("hooks", "install").code == 0, "installing twice is harmless"
    assert (hooks / "pre-commit.pre-modelops").read_text() == original
    (git_dir / "f.txt").write_text("x")
    assert commit(git_dir, "first").returncode == 0
    assert (git_dir / "ran.txt").read_text() == "old hook ran\n"
    assert mo("hooks", "uninstall").code == 0
    assert (hooks / "pre-commit").read_text() == original
    assert oct((hooks / "pre-commit").stat().st_mode & 0o777) == oct(0o751)
    assert not (hooks / "post-commit").exists()
    assert not (hooks / "pre-commit.pre-modelops").exists()


def test_a_failing_chained_hook_still_stops_the_commit(git_dir: Path, mo: Mo) -> None:
    hooks = git_dir / ".git" / "hooks"
    (hooks / "pre-commit").write_text("#!/bin/sh\nexit 3\n")
    (hooks / "pre-commit").chmod(0o755)
    assert mo("hooks", "install", "--hook", "pre-commit").code == 0
    (git_dir / "f.txt").write_text("x")
    assert commit(git_dir, "blocked").returncode != 0


def test_core_hooks_path_is_honoured(git_dir: Path, mo: Mo) -> None:
    git(git_dir, "config", "core.hooksPath", ".githooks")
    assert mo("hooks", "install", "--hook", "pre-commit").code == 0
    assert SHIM_ID in (git_dir / ".githooks" / "pre-commit").read_text()
    assert not (git_dir / ".git" / "hooks" / "pre-commit").exists()


def test_uninstall_leaves_foreign_hooks(git_dir: Path, mo: Mo) -> None:
    hooks = git_dir / ".git" / "hooks"
    (hooks / "post-commit").write_text("#!/bin/sh\ntrue\n")
    result = mo("hooks", "uninstall", "--hook", "post-commit", "--json")
    assert json.loads(result.out)[0]["action"] == "left alone (not mo's)"
    assert (hooks / "post-commit").exists()


def test_pre_commit_refuses_an_invalid_spec_without_touching_anything(repo: Path) -> None:
    (repo / "modelops.yaml").write_text(
        (repo / "modelops.yaml").read_text().replace("deps:", "needs: [nope]\n        deps:")
    )
    (repo / "unstaged.txt").write_text("keep me")
    git(repo, "add", "modelops.yaml")
    before = (git(repo, "status", "--porcelain"), git(repo, "diff", "--cached"))
    result = subprocess.run(
        ["git", "commit", "-qm", "broken"], cwd=repo, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "modelops.yaml:" in result.stderr and "unknown task 'nope'" in result.stderr
    assert (git(repo, "status", "--porcelain"), git(repo, "diff", "--cached")) == before


def test_pre_commit_refuses_a_large_file_not_in_dvc(repo: Path) -> None:
    git(repo, "config", "modelops.maxFileBytes", "1000")
    (repo / "big.bin").write_bytes(b"x" * 5000)
    result = commit(repo, "big")
    assert result.returncode != 0
    assert "big.bin is 0.0 MB" in result.stderr and "mo data add big.bin" in result.stderr
    git(repo, "rm", "-q", "--cached", "big.bin")
    (repo / "small.txt").write_text("ok")
    git(repo, "add", "small.txt")
    assert subprocess.run(["git", "commit", "-qm", "small"], cwd=repo).returncode == 0


def test_commits_queue_fired_triggers_once_and_run_drains_them(repo: Path, mo: Mo) -> None:
    (repo / "data" / "raw.csv.dvc").write_text(pointer("b" * 32))
    result = commit(repo, "new data")
    assert result.returncode == 0
    assert "retrain: run train in dev" in result.stderr, "pre-commit says what it will trigger"
    entries = json.loads(mo("queue", "--json").out)
    assert [(e["trigger"], e["pipeline"], e["env"]) for e in entries] == [
        ("retrain", "train", "dev")
    ]
    hook = repo / ".git" / "hooks" / "post-commit"
    subprocess.run([str(hook)], cwd=repo, check=True, capture_output=True)
    assert len(json.loads(mo("queue", "--json").out)) == 1, "the same commit is not queued twice"
    ran = mo("run", "--queued", "--json")
    assert ran.code == 0, ran.err
    assert json.loads(ran.out)[0]["counts"] == {"succeeded": 1}
    assert json.loads(mo("queue", "--json").out) == []


def test_concurrent_hooks_lose_and_duplicate_nothing(repo: Path) -> None:
    fired = [
        {"trigger": "t", "on": "data_changed", "pipeline": "train", "env": "dev", "reasons": []}
    ]
    commits = [f"{n:040x}" for n in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda c: trigger_queue.enqueue(repo, c, fired), commits + commits))
    ids = [entry["id"] for entry in trigger_queue.queued(repo)]
    assert sorted(ids) == sorted(f"{c}:t" for c in commits)


def test_post_merge_queues_what_the_merge_brought(repo: Path, mo: Mo) -> None:
    git(repo, "checkout", "-qb", "feature")
    (repo / "data" / "raw.csv.dvc").write_text(pointer("c" * 32))
    git(repo, "commit", "-qam", "feature data", "--no-verify")
    git(repo, "checkout", "-q", "main")
    subprocess.run(
        ["git", "merge", "-q", "--no-ff", "-m", "merge", "feature"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    triggers = {e["trigger"] for e in json.loads(mo("queue", "--json").out)}
    assert triggers == {"retrain"}


def test_pre_push_gate(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    (repo / "modelops.yaml").write_text("pipelines: {}\n")
    assert commit(repo, "broken spec", "--no-verify").returncode == 0
    refused = subprocess.run(
        ["git", "push", "-q", "origin", "main"], cwd=repo, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "pre-push refused the push" in refused.stderr
    git(repo, "config", "modelops.prePush", "none")
    assert (
        subprocess.run(
            ["git", "push", "-q", "origin", "main"], cwd=repo, capture_output=True
        ).returncode
        == 0
    )


def test_pre_commit_framework_try_repo(repo: Path) -> None:
    """`.pre-commit-hooks.yaml` works with the real pre-commit tool."""
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit, "pre-commit is a test dependency"
    source = repo.parent / "mo-source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "*.pyc", ".work", ".mypy_cache", ".ruff_cache"
        ),
    )
    git(source, "init", "-q")
    git(source, "add", "-A")
    git(source, "commit", "-qm", "mo")
    subprocess.run(["git", "config", "--unset", "core.hooksPath"], cwd=repo, check=False)
    env = {**os.environ, "PRE_COMMIT_HOME": str(repo.parent / "pre-commit-home")}
    for hook in ("mo-validate", "mo-affected"):
        result = subprocess.run(
            [pre_commit, "try-repo", str(source), hook, "--all-files"],
            cwd=repo,
            capture_output=True,
            text=True,
            env=env,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Passed" in result.stdout
    (repo / "modelops.yaml").write_text("pipelines: []\n")
    git(repo, "add", "modelops.yaml")
    failed = subprocess.run(
        [pre_commit, "try-repo", str(source), "mo-validate", "--all-files"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
    )
    assert failed.returncode != 0 and "modelops.yaml:1:" in failed.stdout
