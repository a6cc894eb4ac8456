"""Fixtures: real git repos in temp dirs, an isolated HOME and pinned git identities."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modelops_git import cli

MO_SCRIPT = Path(sys.executable).parent / "mo"

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Ada Author",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Author",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    # Tasks run `python ...` through a shell: let that be this interpreter, as in the venv.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv("MO_TRACEBACK", raising=False)
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    return home


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def git_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty git repo, and the current directory while the test runs."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    monkeypatch.chdir(repo)
    yield repo


MakeRepo = Callable[[dict[str, str]], Path]


@pytest.fixture
def make_repo(git_dir: Path) -> MakeRepo:
    """Write files (path -> text) into the git repo and return its root."""

    def make(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            path = git_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return git_dir

    return make


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def mo(capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `mo ARGS` in-process (fast); the exit code and both output streams."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = cli.run(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


def mo_subprocess(cwd: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the installed `mo` as users do (exit codes, signals, start-up)."""
    return subprocess.run(
        [str(MO_SCRIPT), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        **kwargs,
    )  # type: ignore[call-overload]
