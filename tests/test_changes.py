"""`mo affected`: reasons from code, data pointers, params keys, specs and env overrides."""

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

SPEC = {
    "version": 1,
    "datasets": {"raw": {"path": "data/raw.csv"}, "extra": {"path": "data/extra"}},
    "pipelines": {
        "train": {
            "tasks": {
                "prepare": {
                    "cmd": "python src/prepare.py",
                    "deps": ["src/prepare.py", "dataset:raw"],
                    "params": ["prepare.seed"],
                    "outs": ["data/prepared.csv"],
                },
                "train": {
                    "cmd": "python src/train.py",
                    "deps": ["src/train.py", "data/prepared.csv"],
                    "params": ["train.lr"],
                    "outs": ["model.pkl"],
                },
                "report": {
                    "cmd": "python src/report.py",
                    "deps": ["src/report", "dataset:extra"],
                    "outs": ["report.html"],
                },
            }
        },
        "other": {"tasks": {"lint": {"cmd": "true", "deps": ["src/lint.py"]}}},
    },
    "triggers": {
        "on-data": {"on": "data_changed", "datasets": ["raw"], "pipeline": "train", "env": "dev"},
        "on-code": {"on": "code_changed", "paths": ["src/*.py"], "pipeline": "train"},
        "on-lr": {"on": "params_changed", "params": ["train.lr"], "pipeline": "train"},
        "on-spec": {"on": "spec_changed", "pipeline": "train", "env": "staging"},
    },
}


def pointer(md5: str) -> str:
    return yaml.safe_dump({"outs": [{"md5": md5, "size": 10, "hash": "md5", "path": "raw.csv"}]})


@pytest.fixture
def repo(make_repo: Callable[[dict[str, str]], Path]) -> Path:
    root = make_repo(
        {
            "modelops.yaml": yaml.safe_dump(SPEC, sort_keys=False),
            "params.yaml": "prepare:\n  seed: 1\ntrain:\n  lr: 0.1\n  unused: 1\n",
            "data/raw.csv.dvc": pointer("a" * 32),
            "data/extra.dvc": pointer("c" * 32),
            "src/prepare.py": "",
            "src/train.py": "",
            "src/report/main.py": "",
            "src/lint.py": "",
            "environments/prod.yaml": "{}\n",
        }
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "base")
    return root


def run_affected(mo: Mo, *args: str) -> dict[str, object]:
    result = mo("affected", "--json", *args)
    assert result.code == 0, result.err
    data: dict[str, object] = json.loads(result.out)
    return data


def reasons(data: dict[str, object]) -> dict[str, list[str]]:
    return {f"{t['pipeline']}/{t['task']}": t["reasons"] for t in data["tasks"]}  # type: ignore[attr-defined, index]


def commit_change(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "change")


def test_data_pointer_and_params_key(repo: Path, mo: Mo) -> None:
    commit_change(
        repo,
        {
            "data/raw.csv.dvc": pointer("b" * 32),
            "params.yaml": "prepare:\n  seed: 1\ntrain:\n  lr: 0.2\n  unused: 1\n",
        },
    )
    data = run_affected(mo, "--base", "HEAD~1")
    assert reasons(data) == {
        "train/prepare": ["data data/raw.csv md5 aaaaaaaaaaaa -> bbbbbbbbbbbb"],
        "train/train": ["param train.lr: 0.1 -> 0.2", "upstream prepare affected"],
    }
    assert data["pipelines"] == ["train"]
    assert data["matrix"] == {"include": [{"pipeline": "train"}]}
    fired = {t["trigger"] for t in data["triggers"]}  # type: ignore[attr-defined]
    assert fired == {"on-data", "on-lr"}


def test_params_file_change_without_a_read_key_changes_nothing(repo: Path, mo: Mo) -> None:
    commit_change(repo, {"params.yaml": "prepare:\n  seed: 1\ntrain:\n  lr: 0.1\n  unused: 2\n"})
    data = run_affected(mo, "--base", "HEAD~1")
    assert data["tasks"] == [] and data["triggers"] == []


def test_reformatted_pointer_with_the_same_md5_changes_nothing(repo: Path, mo: Mo) -> None:
    commit_change(repo, {"data/raw.csv.dvc": "# reformatted\n" + pointer("a" * 32)})
    assert run_affected(mo, "--base", "HEAD~1")["tasks"] == []


def test_code_in_a_directory_dep_and_a_data_directory(repo: Path, mo: Mo) -> None:
    commit_change(repo, {"src/report/main.py": "print(1)\n", "data/extra.dvc": pointer("d" * 32)})
    assert reasons(run_affected(mo, "--base", "HEAD~1")) == {
        "train/report": [
            "code src/report/main.py changed",
            "data data/extra md5 cccccccccccc -> dddddddddddd",
        ]
    }


def test_spec_and_env_override_changes(repo: Path, mo: Mo) -> None:
    spec = yaml.safe_load((repo / "modelops.yaml").read_text())
    spec["pipelines"]["other"]["tasks"]["lint"]["cmd"] = "ruff check"
    commit_change(
        repo,
        {
            "modelops.yaml": yaml.safe_dump(spec, sort_keys=False),
            "environments/prod.yaml": yaml.safe_dump(
                {"overrides": {"pipelines": {"train": {"tasks": {"report": {"retries": 2}}}}}}
            ),
        },
    )
    data = run_affected(mo, "--base", "HEAD~1")
    assert reasons(data) == {
        "train/report": ["override in environments/prod.yaml changed"],
        "other/lint": ["task spec changed"],
    }
    assert [t["trigger"] for t in data["triggers"]] == ["on-spec"]  # type: ignore[attr-defined]
    only_dev = run_affected(mo, "--base", "HEAD~1", "--env", "dev")
    assert "train/report" not in reasons(only_dev)


def test_staged_and_worktree(repo: Path, mo: Mo) -> None:
    (repo / "src" / "train.py").write_text("x = 1\n")
    assert run_affected(mo, "--base", "HEAD", "--staged")["tasks"] == []
    assert (
        "code src/train.py changed"
        in reasons(run_affected(mo, "--base", "HEAD", "--worktree"))["train/train"]
    )
    git(repo, "add", "src/train.py")
    staged = reasons(run_affected(mo, "--base", "HEAD", "--staged"))
    assert staged == {"train/train": ["code src/train.py changed"]}
    (repo / "src" / "new.py").write_text("")
    worktree = run_affected(mo, "--base", "HEAD", "--worktree")
    assert "src/new.py" in worktree["changed_files"]  # type: ignore[operator]


def test_base_missing_from_a_shallow_clone(
    repo: Path, tmp_path: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit_change(repo, {"src/train.py": "y = 2\n"})
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(clone))
    monkeypatch.chdir(clone)
    result = mo("affected", "--base", "HEAD~1")
    assert result.code == 1
    assert "shallow clone" in result.err and "fetch-depth: 0" in result.err


def test_conflicting_modes_are_a_usage_error(repo: Path, mo: Mo) -> None:
    assert mo("affected", "--staged", "--worktree").code == 2


def test_plain_dvc_project(git_dir: Path, mo: Mo) -> None:
    (git_dir / "params.yaml").write_text("lr: 0.1\nother: 1\n")
    (git_dir / "train.py").write_text("")
    (git_dir / "dvc.yaml").write_text(
        yaml.safe_dump(
            {
                "stages": {
                    "prep": {
                        "cmd": "cp raw.csv prep.csv",
                        "deps": ["raw.csv"],
                        "outs": ["prep.csv"],
                    },
                    "train": {
                        "cmd": "python train.py",
                        "deps": ["train.py", "prep.csv"],
                        "params": ["lr"],
                        "outs": ["model.pkl"],
                    },
                }
            }
        )
    )
    (git_dir / "raw.csv.dvc").write_text(pointer("a" * 32))
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-qm", "base")
    (git_dir / "params.yaml").write_text("lr: 0.3\nother: 1\n")
    (git_dir / "raw.csv.dvc").write_text(pointer("b" * 32))
    git(git_dir, "commit", "-qam", "change")
    assert reasons(run_affected(mo, "--base", "HEAD~1")) == {
        "dvc/prep": ["data raw.csv md5 aaaaaaaaaaaa -> bbbbbbbbbbbb"],
        "dvc/train": ["param lr: 0.1 -> 0.3", "upstream prep affected"],
    }


def test_affected_imports_nothing_heavy(repo: Path) -> None:
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from modelops_git.changes import affected\n"
        "from modelops_git import hook_impl\n"
        "affected(Path('.'), 'HEAD', None, 'worktree')\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('dvc', 'dvc_data', 'github', "
        "'jenkins', 'hera', 'airflow', 'git', 'jsonschema', 'typer')]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "args",
    [
        ("--base", "HEAD~1", "--json"),
        ("--base", "HEAD~1"),
        ("--base", "HEAD~1", "--env", "prod", "--json"),
        ("--base", "HEAD", "--worktree"),
        ("--base", "nope"),
        ("--staged", "--worktree"),
    ],
)
def test_fast_entry_answers_like_the_full_cli(repo: Path, mo: Mo, args: tuple[str, ...]) -> None:
    """`mo affected` skips loading the full CLI; both paths must give the same answer."""
    from tests.conftest import mo_subprocess

    commit_change(repo, {"data/raw.csv.dvc": pointer("b" * 32), "src/lint.py": "x = 1\n"})
    (repo / "src" / "train.py").write_text("changed = True\n")
    fast = mo_subprocess(repo, "affected", *args)
    full = mo("affected", *args)
    assert (fast.returncode, fast.stdout) == (full.code, full.out)
    assert bool(fast.stderr) == bool(full.err)
