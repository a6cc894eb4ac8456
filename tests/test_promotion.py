"""Promotions with the local provider, on real repos: gates, branch, reviews, merge, sync,
rollback and holds, history, concurrency and recovery."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from modelops_git.promotion.records import PROMOTION_PREFIX, find_record, load_promotions
from modelops_git.registry import read_registry
from tests.conftest import Result, git, mo_subprocess

Mo = Callable[..., Result]
BOB = {"GIT_AUTHOR_NAME": "Bob Reviewer", "GIT_AUTHOR_EMAIL": "bob@example.com"}


def as_user(monkeypatch: pytest.MonkeyPatch, who: dict[str, str]) -> None:
    for key, value in who.items():
        monkeypatch.setenv(key, value)


def at_time(monkeypatch: pytest.MonkeyPatch, when: str) -> None:
    monkeypatch.setenv("GIT_COMMITTER_DATE", when)
    monkeypatch.setenv("GIT_AUTHOR_DATE", when)


def edit_yaml(path: Path, change: Callable[[dict[str, object]], None]) -> None:
    """Round trip with ruamel (YAML 1.2, comments kept), as a user's editor would."""
    document = YAML()
    data = document.load(path.read_text())
    change(data)
    buffer = io.StringIO()
    document.dump(data, buffer)
    path.write_text(buffer.getvalue())


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)
    return git(root, "rev-parse", "HEAD").strip()


def train_and_register(root: Path, mo: Mo, shrinkage: float | None = None) -> str:
    if shrinkage is not None:
        edit_yaml(root / "params.yaml", lambda d: d["train"].update(shrinkage=shrinkage))  # type: ignore[attr-defined]
    assert mo("run").code == 0
    commit_all(root, f"train {shrinkage}")
    result = mo("register", "classifier", "--json")
    assert result.code == 0, result.err
    return str(json.loads(result.out)["version"])


@pytest.fixture
def project(git_dir: Path, mo: Mo) -> Path:
    """`mo init`'s project (dev -> staging auto -> prod with one approval), trained and
    registered as v0.0.1; prod's soak is off so tests choose their own."""
    assert mo("init", "--no-dvc").code == 0
    prod = git_dir / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("  soak: 1h\n", "  # soak: 1h  (off in tests)\n"))
    commit_all(git_dir, "scaffold")
    assert train_and_register(git_dir, mo) == "v0.0.1"
    return git_dir


def refs(root: Path, prefix: str) -> list[str]:
    return git(root, "for-each-ref", "--format=%(refname)", prefix).split()


def test_promote_review_merge_and_history(
    project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "notes.txt").write_text("staged\n")
    git(project, "add", "notes.txt")
    (project / "scratch.txt").write_text("untracked\n")
    staged_before = git(project, "diff", "--cached", "--name-only")
    staging = json.loads(mo("promote", "dev", "staging", "--json").out)
    assert staging["merged"]["assignment"] == "classifier#staging#1"
    assert staging["merged"]["approved_by"] == []

    opened = mo("promote", "staging", "prod")
    assert opened.code == 0, opened.err
    assert "min-accuracy" in opened.out and "no-regression" in opened.out
    promotion_id = "classifier-prod-1"
    assert promotion_id in opened.out
    assert git(project, "diff", "--cached", "--name-only") == staged_before
    assert (project / "scratch.txt").read_text() == "untracked\n"
    branch_head = git(project, "rev-parse", "modelops/promote/prod/classifier").strip()
    message = git(project, "log", "-1", "--format=%B", branch_head)
    for trailer in (
        "Promotion-Id: classifier-prod-1",
        "Model: classifier",
        "Version: v0.0.1",
        "From-Env: staging",
        "To-Env: prod",
        "Gate: min-accuracy pass",
    ):
        assert trailer in message
    changed = git(project, "diff", "--name-only", f"{branch_head}^", branch_head).split()
    assert changed == ["environments/prod.yaml"]
    pinned = git(project, "show", f"{branch_head}:environments/prod.yaml")
    assert "classifier: v0.0.1" in pinned and "# soak: 1h  (off in tests)" in pinned

    description = json.loads(mo("promote", "status", promotion_id, "--json").out)["record"][
        "description"
    ]
    assert "| min-accuracy | metric | pass |" in description
    assert "```mermaid" in description and '"task train/prepare"' in description
    assert "`params.yaml:train.shrinkage` = `0.0`" in description
    lineage = json.loads(mo("lineage", "classifier@v0.0.1", "--json").out)
    assert lineage["task"] == "train/train"
    refused = mo("merge", promotion_id)
    assert refused.code == 1 and "0 of 1 required approvals" in refused.err
    self_approval = mo("review", promotion_id, "--approve")
    assert self_approval.code == 1 and "cannot approve" in self_approval.err
    as_user(monkeypatch, BOB)
    assert mo("review", promotion_id, "--approve", "-m", "metrics look right").code == 0
    merged = json.loads(mo("merge", promotion_id, "--json").out)
    assert merged["approved_by"] == ["Bob Reviewer <bob@example.com>"]
    head = git(project, "rev-parse", "HEAD").strip()
    assert head == merged["merge_commit"]
    assert len(git(project, "log", "-1", "--format=%P", head).split()) == 2
    assert "Approved-by: Bob Reviewer <bob@example.com>" in git(project, "log", "-1", "--format=%B")
    assert "classifier: v0.0.1" in (project / "environments" / "prod.yaml").read_text()
    assert git(project, "status", "--porcelain", "--", "environments") == ""
    assert git(project, "diff", "--cached", "--name-only") == staged_before
    assert not refs(project, "refs/heads/modelops/promote/prod")
    record = find_record(project, promotion_id)
    assert record is not None and record.status == "merged"
    assert record.assignment == merged["assignment"]

    history = json.loads(mo("history", "--env", "prod", "--json").out)
    assert history["held"]["classifier"]["version"] == "v0.0.1"
    assert history["held"]["classifier"]["approved_by"] == "Bob Reviewer <bob@example.com>"
    assert history["held"]["classifier"]["promotion"] == promotion_id
    status = json.loads(mo("status", "--json").out)
    prod = next(e for e in status["environments"] if e["env"] == "prod")
    assert prod["models"] == [
        {"model": "classifier", "pinned": "v0.0.1", "deployed": "v0.0.1", "hold": None}
    ]
    assert mo("promote", "staging", "prod").code == 1  # prod pins it already


def test_failing_gate_prints_every_gate_and_writes_nothing(project: Path, mo: Mo) -> None:
    edit_yaml(
        project / "modelops.yaml",
        lambda d: d["gates"]["min-accuracy"].update(threshold=1.5),  # type: ignore[index]
    )
    commit_all(project, "impossible gate")
    before = git(project, "for-each-ref")
    result = mo("promote", "dev", "staging", "--json")
    assert result.code == 1, result.err
    gates = json.loads(result.out)["gates"]
    assert [(g["gate"], g["passed"]) for g in gates] == [("min-accuracy", False)]
    assert gates[0]["threshold"] == "accuracy >= 1.5"
    assert "gate min-accuracy failed" in result.err
    assert git(project, "for-each-ref") == before


def test_soak_and_freeze_gates(project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch) -> None:
    assert mo("promote", "dev", "staging").code == 0
    edit_yaml(
        project / "environments" / "prod.yaml",
        lambda d: d["promotion"].update(  # type: ignore[attr-defined]
            soak="400000d",
            freeze=[{"start": "2000-01-01", "end": "2999-01-01", "reason": "audit season"}],
        ),
    )
    commit_all(project, "freeze")
    result = mo("promote", "staging", "prod", "--json")
    assert result.code == 1
    gates = {g["kind"]: g for g in json.loads(result.out)["gates"]}
    assert not gates["soak"]["passed"] and not gates["freeze"]["passed"]
    assert gates["freeze"]["detail"] == "audit season"


def test_bad_input_is_refused_with_nothing_written(project: Path, mo: Mo) -> None:
    before = git(project, "for-each-ref")
    unknown_env = mo("promote", "staging", "nowhere")
    assert unknown_env.code != 0 and "nowhere" in unknown_env.err
    unknown_version = mo("promote", "staging", "prod", "--version", "v9.9.9")
    assert unknown_version.code == 1 and "v9.9.9 is not registered" in unknown_version.err
    wrong_source = mo("promote", "dev", "prod")
    assert wrong_source.code == 1 and "prod promotes from staging" in wrong_source.err
    assert git(project, "for-each-ref") == before
    assert mo("promote", "dev", "staging").code == 0
    prod = project / "environments" / "prod.yaml"
    prod.write_text(prod.read_text() + "models: [oops\n")
    commit_all(project, "broken pin file")
    broken = mo("promote", "staging", "prod")
    assert broken.code != 0 and "environments/prod.yaml:" in broken.err
    assert git(project, "for-each-ref", "refs/heads/modelops") == ""
    assert git(project, "for-each-ref", "refs/modelops/promotions").count("prod") == 0


def test_reviews_follow_the_policy(project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch) -> None:
    assert mo("promote", "dev", "staging").code == 0
    edit_yaml(
        project / "environments" / "prod.yaml",
        lambda d: d["promotion"].update(reviewers=["carol@example.com"], teams=["ml-leads"]),  # type: ignore[attr-defined]
    )
    (project / ".modelops" / "teams.yaml").write_text("ml-leads: [dave@example.com]\n")
    commit_all(project, "reviewers")
    assert mo("promote", "staging", "prod").code == 0
    promotion_id = "classifier-prod-1"
    as_user(monkeypatch, BOB)
    record_before = git(project, "rev-parse", PROMOTION_PREFIX + promotion_id)
    not_allowed = mo("review", promotion_id, "--approve")
    assert not_allowed.code == 1 and "may not approve" in not_allowed.err
    assert git(project, "rev-parse", PROMOTION_PREFIX + promotion_id) == record_before
    as_user(monkeypatch, {"GIT_AUTHOR_NAME": "Carol", "GIT_AUTHOR_EMAIL": "carol@example.com"})
    assert mo("review", promotion_id, "--request-changes", "-m", "check drift").code == 0
    as_user(monkeypatch, {"GIT_AUTHOR_NAME": "Dave", "GIT_AUTHOR_EMAIL": "dave@example.com"})
    assert mo("review", promotion_id, "--approve").code == 0
    blocked = mo("merge", promotion_id)
    assert blocked.code == 1 and "Carol <carol@example.com> requested changes" in blocked.err
    as_user(monkeypatch, {"GIT_AUTHOR_NAME": "Carol", "GIT_AUTHOR_EMAIL": "carol@example.com"})
    assert mo("review", promotion_id, "--approve").code == 0

    branch = "refs/heads/modelops/promote/prod/classifier"
    old_head = git(project, "rev-parse", branch).strip()
    tree = git(project, "rev-parse", f"{old_head}^{{tree}}").strip()
    new_head = git(project, "commit-tree", tree, "-p", old_head, "-m", "pushed after review")
    git(project, "update-ref", branch, new_head.strip(), old_head)
    stale = json.loads(mo("promote", "status", promotion_id, "--json").out)
    assert stale["can_merge"] is False
    assert any("approved an older head" in reason for reason in stale["blocking"])
    assert mo("review", promotion_id, "--approve").code == 0
    assert json.loads(mo("promote", "status", promotion_id, "--json").out)["can_merge"] is True
    assert mo("merge", promotion_id).code == 0


def test_twenty_concurrent_promotes_open_one_promotion(project: Path, mo: Mo) -> None:
    assert mo("promote", "dev", "staging").code == 0

    def promote(_: int) -> subprocess.CompletedProcess[str]:
        return mo_subprocess(project, "promote", "staging", "prod", "--json")

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(promote, range(20)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    outcomes = [json.loads(r.stdout) for r in results]
    assert sum(1 for o in outcomes if o["created"]) == 1
    assert {o["id"] for o in outcomes} == {"classifier-prod-1"}
    assert len(refs(project, "refs/heads/modelops/promote/prod")) == 1
    prod = [r for r in load_promotions(project) if r.to_env == "prod"]
    assert len(prod) == 1 and prod[0].status == "open"
    already = mo("promote", "staging", "prod")
    assert "already open" in already.out


def test_rerun_after_a_crash_before_the_record_converges(project: Path, mo: Mo) -> None:
    assert mo("promote", "dev", "staging").code == 0
    assert mo("promote", "staging", "prod").code == 0
    git(project, "update-ref", "-d", PROMOTION_PREFIX + "classifier-prod-1")
    assert find_record(project, "classifier-prod-1") is None
    again = json.loads(mo("promote", "staging", "prod", "--json").out)
    assert again["id"] == "classifier-prod-1" and again["created"] is False
    record = find_record(project, "classifier-prod-1")
    assert record is not None and record.version == "v0.0.1" and record.from_env == "staging"
    assert len([r for r in load_promotions(project) if r.to_env == "prod"]) == 1


def test_sync_tags_a_promotion_merged_outside_mo(project: Path, mo: Mo) -> None:
    assert mo("promote", "dev", "staging").code == 0
    assert mo("promote", "staging", "prod").code == 0
    git(project, "merge", "--no-ff", "-q", "-m", "Merge PR", "modelops/promote/prod/classifier")
    synced = json.loads(mo("sync", "--json").out)
    assert synced == {
        "assigned": ["classifier#prod#2"],
        "closed": ["classifier-prod-1"],
        "pushed_to": None,
    }
    assert read_registry(project).models["classifier"].in_env("prod") == "v0.0.1"
    assert json.loads(mo("sync", "--json").out)["assigned"] == []


def test_rollback_holds_the_bad_version(
    project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit_yaml(
        project / "environments" / "prod.yaml",
        lambda d: d["promotion"].update(rollback={"approvals": 0}),  # type: ignore[attr-defined]
    )
    commit_all(project, "rollbacks need no approval")
    at_time(monkeypatch, "2026-02-01T00:00:00+00:00")
    for _ in range(2):
        assert mo("promote", "dev", "staging").code == 0
        promotion_id = json.loads(mo("promote", "staging", "prod", "--json").out)["id"]
        as_user(monkeypatch, BOB)
        assert mo("review", promotion_id, "--approve").code == 0
        assert mo("merge", promotion_id).code == 0
        as_user(
            monkeypatch, {"GIT_AUTHOR_NAME": "Ada Author", "GIT_AUTHOR_EMAIL": "ada@example.com"}
        )
        if (project / "environments" / "prod.yaml").read_text().count("v0.0.2"):
            break
        at_time(monkeypatch, "2026-03-01T00:00:00+00:00")
        assert train_and_register(project, mo, shrinkage=0.3) == "v0.0.2"
    assert read_registry(project).models["classifier"].in_env("prod") == "v0.0.2"

    at_time(monkeypatch, "2026-04-01T00:00:00+00:00")
    rolled = json.loads(mo("rollback", "prod", "--reason", "bad latency", "--json").out)
    assert rolled["version"] == "v0.0.1" and rolled["merged"]["assignment"]
    assert read_registry(project).models["classifier"].in_env("prod") == "v0.0.1"
    held = mo("promote", "staging", "prod")
    assert held.code == 1 and "on hold" in held.err and "bad latency" in held.err
    assert mo("hold", "release", "prod").code == 0
    assert mo("promote", "staging", "prod").code == 0

    in_march = json.loads(mo("history", "--env", "prod", "--at", "2026-03-15", "--json").out)
    assert in_march["held"]["classifier"]["version"] == "v0.0.2"
    in_april = json.loads(mo("history", "--env", "prod", "--at", "2026-04-02", "--json").out)
    assert in_april["held"]["classifier"]["version"] == "v0.0.1"
    assert in_april["held"]["classifier"]["kind"] == "rollback"
    in_january = json.loads(mo("history", "--env", "prod", "--at", "2026-01-15", "--json").out)
    assert in_january["held"] == {}


def test_merge_refuses_to_overwrite_a_local_edit_of_the_pin_file(
    project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert mo("promote", "dev", "staging").code == 0
    assert mo("promote", "staging", "prod").code == 0
    as_user(monkeypatch, BOB)
    assert mo("review", "classifier-prod-1", "--approve").code == 0
    prod = project / "environments" / "prod.yaml"
    prod.write_text(prod.read_text() + "# my local note\n")
    before = git(project, "rev-parse", "HEAD")
    refused = mo("merge", "classifier-prod-1")
    assert refused.code == 1 and "local changes" in refused.err
    assert git(project, "rev-parse", "HEAD") == before
    assert prod.read_text().endswith("# my local note\n")


def test_sync_in_a_clone_without_records_reads_the_merge_trailers(
    project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """CI runs `mo sync` on the merged default branch of a fresh clone: no promotion records
    there, but the merge commit's trailers still say which promotion and who approved."""
    assert mo("promote", "dev", "staging").code == 0
    assert mo("promote", "staging", "prod").code == 0
    as_user(monkeypatch, BOB)
    assert mo("review", "classifier-prod-1", "--approve").code == 0
    assert mo("merge", "classifier-prod-1").code == 0
    clone = tmp_path / "ci"
    git(tmp_path, "clone", "-q", "--no-tags", str(project), str(clone))
    git(clone, "fetch", "-q", "origin", "refs/tags/classifier@*:refs/tags/classifier@*")
    monkeypatch.chdir(clone)
    synced = json.loads(mo("sync", "--json").out)
    assert sorted(tag.rsplit("#", 1)[0] for tag in synced["assigned"]) == [
        "classifier#prod",
        "classifier#staging",
    ]
    history = json.loads(mo("history", "--env", "prod", "--json").out)
    held = history["held"]["classifier"]
    assert held["promotion"] == "classifier-prod-1"
    assert held["approved_by"] == "Bob Reviewer <bob@example.com>"
    assert held["merge_commit"] == git(project, "rev-parse", "HEAD").strip()


def test_merge_from_another_work_tree_leaves_the_checked_out_base_alone(
    project: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert mo("promote", "dev", "staging").code == 0
    assert mo("promote", "staging", "prod").code == 0
    as_user(monkeypatch, BOB)
    assert mo("review", "classifier-prod-1", "--approve").code == 0
    other = tmp_path / "side"
    git(project, "worktree", "add", "-q", "-b", "side", str(other))
    monkeypatch.chdir(other)
    before = git(project, "rev-parse", "main")
    refused = mo("merge", "classifier-prod-1")
    assert refused.code == 1 and f"main is checked out in {project}" in refused.err
    assert git(project, "rev-parse", "main") == before
    monkeypatch.chdir(project)
    assert mo("merge", "classifier-prod-1").code == 0
