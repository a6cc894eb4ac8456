"""The registry: GTO-format tags, immutable versions, counted assignments, agreement with GTO."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from modelops_git import registry
from tests.conftest import Result, git

Mo = Callable[..., Result]


def retrain(root: Path, mo: Mo, shrinkage: str) -> None:
    params = root / "params.yaml"
    text = params.read_text()
    params.write_text(text[: text.index("shrinkage:")] + f"shrinkage: {shrinkage}\n")
    assert mo("run").code == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"shrinkage {shrinkage}")


@pytest.fixture
def trained(git_dir: Path, mo: Mo) -> Path:
    assert mo("init").code == 0
    assert mo("run").code == 0
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-qm", "train")
    return git_dir


def test_register_tags_the_commit_with_md5_and_run(trained: Path, mo: Mo) -> None:
    result = json.loads(mo("register", "classifier", "--json").out)
    assert result["tag"] == "classifier@v0.0.1"
    assert git(trained, "rev-parse", "classifier@v0.0.1^{commit}").strip() == result["commit"]
    assert git(trained, "cat-file", "-t", "classifier@v0.0.1").strip() == "tag"
    message = git(trained, "tag", "-l", "--format=%(contents)", "classifier@v0.0.1")
    assert message.startswith("Registering artifact classifier version v0.0.1")
    assert f"Model-Md5: {result['md5']}" in message
    pointer = (trained / "models" / "model.json.dvc").read_text()
    assert result["md5"] in pointer
    assert "Run-Id: 20" in message


def test_same_artifact_or_same_version_twice_is_refused(trained: Path, mo: Mo) -> None:
    assert mo("register", "classifier").code == 0
    again = mo("register", "classifier")
    assert again.code == 1 and "already v0.0.1" in again.err
    retrain(trained, mo, "0.3")
    taken = mo("register", "classifier", "--version", "v0.0.1")
    assert taken.code == 1 and "immutable" in taken.err
    assert mo("register", "classifier", "--bump", "major").code == 0
    retrain(trained, mo, "0.5")
    assert (
        json.loads(mo("register", "classifier", "--bump", "minor", "--json").out)["version"]
        == "v1.1.0"
    )


def test_register_needs_a_pointer_and_a_declared_model(git_dir: Path, mo: Mo) -> None:
    assert mo("init", "--no-dvc").code == 0
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-qm", "scaffold")
    missing = mo("register", "classifier")
    assert missing.code == 1 and "holds no pointer for classifier" in missing.err
    unknown = mo("register", "clf")
    assert unknown.code == 1 and "unknown model 'clf'" in unknown.err


def test_assignments_are_ordered_by_counter_not_time(trained: Path, mo: Mo) -> None:
    """Every tag here has the same timestamp (GIT_COMMITTER_DATE is pinned)."""
    assert mo("register", "classifier").code == 0
    retrain(trained, mo, "0.3")
    assert mo("register", "classifier").code == 0
    for version in ("v0.0.2", "v0.0.1", "v0.0.2"):
        assert mo("assign", "classifier", "--version", version, "--env", "prod").code == 0
    assert mo("assign", "classifier", "--version", "v0.0.1", "--env", "dev").code == 0
    tags = git(trained, "tag", "-l", "classifier#*").split()
    assert sorted(tags) == [
        "classifier#dev#4",
        "classifier#prod#1",
        "classifier#prod#2",
        "classifier#prod#3",
    ]
    shown = json.loads(mo("show", "--json").out)["classifier"]
    assert shown["environments"] == {"dev": "v0.0.1", "prod": "v0.0.2"}
    assert (
        mo("assign", "classifier", "--version", "v0.0.2", "--env", "prod", "--unassign").code == 0
    )
    after = json.loads(mo("show", "classifier", "--json").out)["classifier"]
    assert after["environments"]["prod"] == "v0.0.1", "the unassignment is honoured"


def test_concurrent_assignments_get_distinct_counters(trained: Path, mo: Mo) -> None:
    assert mo("register", "classifier").code == 0
    with ThreadPoolExecutor(max_workers=8) as pool:
        tags = list(
            pool.map(lambda _: registry.assign(trained, "classifier", "v0.0.1", "prod"), range(12))
        )
    assert sorted(int(tag.rsplit("#", 1)[1]) for tag in tags) == list(range(1, 13))


def test_long_version_names_are_shown_whole(trained: Path, mo: Mo) -> None:
    assert mo("register", "classifier", "--version", "v10.200.3000").code == 0
    assert mo("assign", "classifier", "--version", "v10.200.3000", "--env", "staging").code == 0
    table = mo("show").out
    assert table.splitlines()[1].split() == ["classifier", "v10.200.3000", "v10.200.3000"]
    assert "v10.200.3000" in mo("models").out


def test_show_agrees_with_gto(trained: Path, mo: Mo) -> None:
    gto = shutil.which("gto", path=str(Path(sys.executable).parent))
    if gto is None:
        pytest.skip("gto is not installed (pip install gto)")
    assert mo("register", "classifier").code == 0
    retrain(trained, mo, "0.3")
    assert mo("register", "classifier", "--bump", "minor").code == 0
    for version, env in (("v0.0.1", "prod"), ("v0.1.0", "dev"), ("v0.1.0", "prod")):
        assert mo("assign", "classifier", "--version", version, "--env", env).code == 0
    assert (
        mo("assign", "classifier", "--version", "v0.1.0", "--env", "prod", "--unassign").code == 0
    )
    theirs = json.loads(
        subprocess.run(
            [gto, "show", "--json"], cwd=trained, check=True, capture_output=True, text=True
        ).stdout
    )
    ours = json.loads(mo("show", "--json").out)
    assert theirs["classifier"]["version"] == ours["classifier"]["latest"] == "v0.1.0"
    assert (
        theirs["classifier"]["stage"]
        == ours["classifier"]["environments"]
        == {"dev": "v0.1.0", "prod": "v0.0.1"}
    )


def test_show_lists_environment_pins(trained: Path, mo: Mo) -> None:
    assert mo("register", "classifier").code == 0
    prod = trained / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("models: {}", "models: {classifier: v0.0.1}"))
    shown = json.loads(mo("show", "classifier", "--json").out)["classifier"]
    assert shown["pins"] == {"prod": "v0.0.1"}
    missing = mo("show", "nothing")
    assert missing.code == 1 and "no registered versions of 'nothing'" in missing.err


def test_fast_entry_answers_registry_commands_like_the_full_cli(trained: Path, mo: Mo) -> None:
    """show, models, register and assign skip loading the full CLI; both paths must agree."""
    from tests.conftest import mo_subprocess

    fast = mo_subprocess(trained, "register", "classifier", "--json")
    assert fast.returncode == 0, fast.stderr
    assert json.loads(fast.stdout)["tag"] == "classifier@v0.0.1"
    retrain(trained, mo, "0.3")
    full = json.loads(mo("register", "classifier", "--bump", "minor", "--json").out)
    assert full["tag"] == "classifier@v0.1.0"
    fast_assign = mo_subprocess(
        trained, "assign", "classifier", "--version", "v0.0.1", "--env", "prod", "--json"
    )
    assert json.loads(fast_assign.stdout)["tag"] == "classifier#prod#1"
    assert mo("assign", "classifier", "--version", "v0.1.0", "--env", "staging").code == 0
    for args in (
        ("show", "--json"),
        ("show",),
        ("show", "classifier", "--json"),
        ("models",),
        ("show", "nope"),
        ("register", "nope"),
        ("assign", "classifier", "--version", "v9.0.0", "--env", "prod"),
        ("assign", "classifier", "--version", "v0.0.1", "--env", "nowhere"),
        ("assign", "classifier", "--env", "prod"),
    ):
        fast_result = mo_subprocess(trained, *args)
        full_result = mo(*args)
        assert (fast_result.returncode, fast_result.stdout) == (full_result.code, full_result.out)
        assert bool(fast_result.stderr) == bool(full_result.err), args
