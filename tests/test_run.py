"""`mo run` on real repos: skipping, reasons, retries, timeouts, failures, atomic outs, records."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from modelops_git.lockfile import LOCK_FILE, read_lock
from modelops_git.run.outs_guard import recover_interrupted
from modelops_git.run.records import load_records
from tests.conftest import MO_SCRIPT, Result, git

Mo = Callable[..., Result]

FLAKY = (
    "python -c \"import os,random,sys,pathlib; p=pathlib.Path('.attempts-'+os.environ['MO_TASK']);"
    " n=int(p.read_text()) + 1 if p.exists() else 1; p.write_text(str(n));"
    " sys.exit(1 if random.Random(os.environ['MO_TASK'] + str(n)).random() < {rate} else 0)\""
)


def spec(tasks: dict[str, dict[str, object]], params: dict[str, object] | None = None) -> str:
    return yaml.safe_dump({"version": 1, "pipelines": {"p": {"tasks": tasks}}}, sort_keys=False)


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def use_tasks(root: Path, tasks: dict[str, dict[str, object]]) -> None:
    write(root, {"modelops.yaml": spec(tasks)})


def writer(cmd: str, out: str = "out.txt") -> dict[str, dict[str, object]]:
    """One task `w` running `cmd` that declares `out`."""
    return {"w": {"cmd": cmd, "outs": [out]}}


@pytest.fixture
def project(git_dir: Path, mo: Mo) -> Path:
    assert mo("init", "--no-dvc").code == 0
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-qm", "scaffold")
    return git_dir


def test_first_run_then_everything_up_to_date(project: Path, mo: Mo) -> None:
    first = mo("run", "--json")
    assert first.code == 0, first.err
    summary = json.loads(first.out)
    assert summary["counts"] == {"succeeded": 3}
    lock = read_lock(project)
    assert set(lock["train"]) == {"prepare", "train", "evaluate"}
    evaluate = lock["train"]["evaluate"]
    assert evaluate.metrics["metrics/eval.json"]["accuracy"] >= 0.8
    assert {dep.path for dep in evaluate.deps} == {
        "src/evaluate.py",
        "data/prepared",
        "models/model.json",
    }
    assert next(d for d in evaluate.deps if d.path == "data/prepared").md5.endswith(".dir")
    second = json.loads(mo("run", "--json").out)
    assert second["counts"] == {"up to date": 3}
    records = load_records(project)
    assert [r.run_id for r in records] == [summary["run_id"]]
    record = records[0]
    assert record.commit == git(project, "rev-parse", "HEAD").strip()
    assert record.user == "Ada Author <ada@example.com>"
    assert record.tasks["train"]["train"].attempts[0]["exit_code"] == 0
    assert record.tasks["train"]["train"].params == {"params.yaml": {"train.shrinkage": 0.0}}


def test_dry_run_says_why(project: Path, mo: Mo) -> None:
    assert mo("run").code == 0
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("shrinkage: 0.0", "shrinkage: 0.2"))
    (project / "src" / "evaluate.py").write_text(
        (project / "src" / "evaluate.py").read_text() + "\n"
    )
    rows = {r["task"]: r for r in json.loads(mo("run", "--dry-run", "--json").out)}
    assert rows["train/prepare"] == {
        "task": "train/prepare",
        "action": "skip",
        "reasons": ["up to date"],
    }
    assert rows["train/train"]["reasons"] == ["param train.shrinkage 0.0 -> 0.2"]
    assert rows["train/evaluate"]["reasons"] == [
        "dep src/evaluate.py changed",
        "upstream train runs",
    ]
    assert "param train.shrinkage 0.0 -> 0.2" in mo("run", "--dry-run").out
    summary = json.loads(mo("run", "--json").out)
    assert summary["counts"] == {"up to date": 1, "succeeded": 2}


def test_cmd_change_and_missing_out_are_reasons(project: Path, mo: Mo) -> None:
    assert mo("run").code == 0
    (project / "models" / "model.json").unlink()
    text = (project / "modelops.yaml").read_text()
    (project / "modelops.yaml").write_text(
        text.replace("python src/prepare.py", "python3 src/prepare.py")
    )
    rows = {r["task"]: r["reasons"] for r in json.loads(mo("run", "--dry-run", "--json").out)}
    assert rows["train/prepare"] == ["cmd changed"]
    assert "out models/model.json missing" in rows["train/train"]


def test_env_params_change_what_runs(project: Path, mo: Mo) -> None:
    assert mo("run").code == 0
    rows = {
        r["task"]: r["reasons"]
        for r in json.loads(mo("run", "--env", "prod", "--dry-run", "--json").out)
    }
    assert rows["train/train"] == ["param train.shrinkage 0.0 -> 0.1"]


def test_retries_until_success_and_retry_on(git_dir: Path, mo: Mo) -> None:
    counter = (
        "python -c \"import pathlib,sys; p=pathlib.Path('n');"
        " n=int(p.read_text())+1 if p.exists() else 1;"
        ' p.write_text(str(n)); sys.exit(0 if n >= 3 else {code})"'
    )
    write(
        git_dir,
        {
            "modelops.yaml": spec(
                {
                    "flaky": {
                        "cmd": counter.format(code=1) + " && echo ok > out.txt",
                        "outs": ["out.txt"],
                        "retries": {"limit": 3, "backoff": 0.01},
                    },
                }
            )
        },
    )
    summary = json.loads(mo("run", "--json").out)
    assert summary["status"] == "succeeded"
    record = load_records(git_dir)[-1]
    assert [a["exit_code"] for a in record.tasks["p"]["flaky"].attempts] == [1, 1, 0]
    (git_dir / "n").unlink()
    write(
        git_dir,
        {
            "modelops.yaml": spec(
                {
                    "picky": {
                        "cmd": counter.format(code=2),
                        "retries": {"limit": 3, "backoff": 0.01, "retry_on": [1]},
                    },
                }
            )
        },
    )
    result = mo("run", "--json")
    assert result.code == 1
    assert json.loads(result.out)["failures"][0]["attempts"] == 1


def test_eight_percent_failure_rate_with_three_retries_completes(git_dir: Path, mo: Mo) -> None:
    tasks = {
        f"t{i:02d}": {"cmd": FLAKY.format(rate=0.08), "retries": {"limit": 3, "backoff": 0.01}}
        for i in range(30)
    }
    write(git_dir, {"modelops.yaml": spec(tasks)})
    summary = json.loads(mo("run", "--json", "--jobs", "4").out)
    assert summary["counts"] == {"succeeded": 30}
    attempts = [len(t.attempts) for t in load_records(git_dir)[-1].tasks["p"].values()]
    assert max(attempts) > 1, "some task needed a retry (deterministic for these names)"


def test_timeout_kills_the_task(git_dir: Path, mo: Mo) -> None:
    write(git_dir, {"modelops.yaml": spec({"slow": {"cmd": "sleep 30", "timeout": 1}})})
    started = time.monotonic()
    result = mo("run", "--json")
    assert time.monotonic() - started < 15
    assert result.code == 1
    failure = json.loads(result.out)["failures"][0]
    assert failure["exit_code"] == 124 and failure["task"] == "p/slow"


def test_failure_stops_downstream_and_shows_the_log(git_dir: Path, mo: Mo) -> None:
    write(
        git_dir,
        {
            "modelops.yaml": spec(
                {
                    "ok": {"cmd": "sleep 0.5 && echo fine > ok.txt", "outs": ["ok.txt"]},
                    "bad": {"cmd": "echo something broke; exit 7"},
                    "after": {
                        "cmd": "echo never > after.txt",
                        "needs": ["bad"],
                        "outs": ["after.txt"],
                    },
                }
            )
        },
    )
    result = mo("run", "--jobs", "2")
    assert result.code == 1
    assert "p/bad failed with exit code 7 after 1 attempt(s)" in result.err
    assert "| something broke" in result.err
    assert (git_dir / "ok.txt").exists(), "a running sibling finishes"
    assert not (git_dir / "after.txt").exists()
    record = load_records(git_dir)[-1]
    assert record.status == "failed"
    assert record.tasks["p"]["after"].status == "not started"


def test_failed_task_leaves_the_previous_out(git_dir: Path, mo: Mo) -> None:
    use_tasks(git_dir, writer("echo v1 > out.txt"))
    assert mo("run").code == 0
    use_tasks(git_dir, writer("echo partial > out.txt; exit 1"))
    assert mo("run").code == 1
    assert (git_dir / "out.txt").read_text() == "v1\n"
    use_tasks(git_dir, {"new": writer("echo partial > new.txt; exit 1", "new.txt")["w"]})
    assert mo("run").code == 1
    assert not (git_dir / "new.txt").exists()


def test_success_without_its_outs_is_a_failure(git_dir: Path, mo: Mo) -> None:
    write(git_dir, {"modelops.yaml": spec({"lazy": {"cmd": "true", "outs": ["promised.txt"]}})})
    result = mo("run", "--json")
    assert result.code == 1
    assert "did not write promised.txt" in json.loads(result.out)["failures"][0]["reasons"][-1]


def test_killed_mid_write_is_recovered(git_dir: Path, mo: Mo) -> None:
    use_tasks(git_dir, writer("echo v1 > out.txt"))
    assert mo("run").code == 0
    use_tasks(git_dir, writer("echo $$ > task.pid; echo half > out.txt; sleep 60"))
    process = subprocess.Popen(
        [str(MO_SCRIPT), "run"], cwd=git_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 20
    while (git_dir / "out.txt").read_text() != "half\n" if (git_dir / "out.txt").exists() else True:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    process.kill()
    process.wait()
    orphan = int((git_dir / "task.pid").read_text())
    assert recover_interrupted(git_dir) == ["out.txt"]
    assert (git_dir / "out.txt").read_text() == "v1\n"
    deadline = time.monotonic() + 10
    while Path(f"/proc/{orphan}").exists() and "Z" not in _proc_state(orphan):
        assert time.monotonic() < deadline, "the orphaned task was stopped by recovery"
        time.sleep(0.1)


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "Z"


def test_second_ctrl_c_kills_children_and_exits_130(git_dir: Path) -> None:
    write(git_dir, {"modelops.yaml": spec({"w": {"cmd": "sleep 60"}})})
    process = subprocess.Popen(
        [str(MO_SCRIPT), "run"],
        cwd=git_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    assert "Ctrl-C again kills them" in err
    record = load_records(git_dir)[-1]
    assert record.status == "interrupted"


def test_sigterm_from_an_engine_kills_the_command_and_restores_outs(git_dir: Path) -> None:
    """Airflow, Argo and Jenkins stop a task with SIGTERM: the command must not be orphaned."""
    (git_dir / "out.txt").write_text("before\n")
    cmd = "echo $$ > pid.txt; echo partial > out.txt; exec sleep 60"
    write(git_dir, {"modelops.yaml": spec({"w": {"cmd": cmd, "outs": ["out.txt"]}})})
    process = subprocess.Popen(
        [str(MO_SCRIPT), "run-task", "p", "w", "--run-id", "engine-1"],
        cwd=git_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while not (git_dir / "pid.txt").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int((git_dir / "pid.txt").read_text())
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    assert process.returncode == 130, err
    deadline = time.monotonic() + 5
    while _proc_state(child) != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _proc_state(child) == "Z", "the task's command outlived mo"
    assert (git_dir / "out.txt").read_text() == "before\n"
    assert load_records(git_dir)[-1].status == "interrupted"


def test_resume_continues_the_failed_run(git_dir: Path, mo: Mo) -> None:
    write(
        git_dir,
        {
            "modelops.yaml": spec(
                {
                    "a": {"cmd": "echo a > a.txt", "outs": ["a.txt"]},
                    "b": {"cmd": "test -f go && echo b > b.txt", "outs": ["b.txt"], "needs": ["a"]},
                }
            )
        },
    )
    failed = json.loads(mo("run", "--json").out)
    (git_dir / "go").write_text("")
    resumed = json.loads(mo("run", "--resume", "--json").out)
    assert resumed["run_id"] == failed["run_id"]
    assert resumed["counts"] == {"up to date": 1, "succeeded": 1}


def test_resume_without_a_failed_run_is_an_error(git_dir: Path, mo: Mo) -> None:
    write(git_dir, {"modelops.yaml": spec({"a": {"cmd": "true"}})})
    result = mo("run", "--resume")
    assert result.code == 1 and "no interrupted or failed run" in result.err


def test_corrupt_lock_is_reported_not_reset(project: Path, mo: Mo) -> None:
    assert mo("run").code == 0
    lock = project / LOCK_FILE
    lock.write_text(lock.read_text().replace("md5: ", "md5: [", 1))
    result = mo("run")
    assert result.code == 1
    assert result.err.startswith(f"{LOCK_FILE}:")
    assert "[" in lock.read_text(), "the lock is left as it was"


def test_out_outside_the_repo_is_refused_before_running(git_dir: Path, mo: Mo) -> None:
    write(git_dir, {"modelops.yaml": spec({"w": {"cmd": "touch ran", "outs": ["../escape.txt"]}})})
    result = mo("run")
    assert result.code == 1 and "uses '..'" in result.err
    assert not (git_dir / "ran").exists()


def test_missing_secret_reference_is_a_clear_error(
    git_dir: Path, mo: Mo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MO_TEST_TOKEN", raising=False)
    write(
        git_dir,
        {"modelops.yaml": spec({"w": {"cmd": "true", "env": {"TOKEN": "secret:MO_TEST_TOKEN"}}})},
    )
    result = mo("run")
    assert result.code == 1 and "export MO_TEST_TOKEN" in result.err
    monkeypatch.setenv("MO_TEST_TOKEN", "s3cr3t")
    write(
        git_dir,
        {
            "modelops.yaml": spec(
                {"w": {"cmd": 'test "$TOKEN" = s3cr3t', "env": {"TOKEN": "secret:MO_TEST_TOKEN"}}}
            )
        },
    )
    assert mo("run").code == 0


def test_concurrent_runs_in_two_worktrees_keep_both_records(git_dir: Path) -> None:
    write(
        git_dir,
        {"modelops.yaml": spec({"w": {"cmd": "sleep 1 && echo x > o.txt", "outs": ["o.txt"]}})},
    )
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-qm", "spec")
    other = git_dir.parent / "other"
    git(git_dir, "worktree", "add", "-q", str(other))
    runs = [
        subprocess.Popen(
            [str(MO_SCRIPT), "run"], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for cwd in (git_dir, other)
    ]
    assert [run.wait(timeout=60) for run in runs] == [0, 0]
    assert len(load_records(git_dir)) == 2


def test_dvc_tracked_input_is_pulled_from_the_remote(git_dir: Path, mo: Mo) -> None:
    remote = git_dir.parent / "remote"
    write(git_dir, {"data/in.csv": "a,b\n1,2\n"})
    assert mo("data", "add", "data/in.csv").code == 0
    dvc = [os.sys.executable, "-m", "dvc"]  # type: ignore[attr-defined]
    subprocess.run(
        [*dvc, "remote", "add", "-d", "local", str(remote)],
        cwd=git_dir,
        check=True,
        capture_output=True,
    )
    subprocess.run([*dvc, "push", "-q"], cwd=git_dir, check=True, capture_output=True)
    (git_dir / "data" / "in.csv").unlink()
    write(
        git_dir,
        {
            "modelops.yaml": spec(
                {
                    "copy": {
                        "cmd": "cp data/in.csv out.csv",
                        "deps": ["data/in.csv"],
                        "outs": ["out.csv"],
                    }
                }
            )
        },
    )
    result = mo("run")
    assert result.code == 0, result.err
    assert (git_dir / "out.csv").read_text() == "a,b\n1,2\n"


def test_live_display_on_a_terminal_shows_each_task(git_dir: Path) -> None:
    import io

    from rich.console import Console

    from modelops_git import output

    screen = io.StringIO()
    with output.LiveRun(Console(file=screen, force_terminal=True, width=100)) as live:
        live.event("p/a", "start", "never ran successfully")
        live.event("p/a", "succeeded", "never ran successfully")
        live.event("p/b", "failed", "exit 7")
        live.event("", "interrupt", "stopping")
    text = screen.getvalue()
    assert "p/a" in text and "succeeded" in text and "failed" in text and "stopping" in text


def test_when_conditions_on_env_params_and_branch(git_dir: Path, mo: Mo) -> None:
    write(
        git_dir,
        {
            "params.yaml": "tune: false\n",
            "environments/prod.yaml": "{}\n",
            "environments/dev.yaml": "{}\n",
        },
    )
    use_tasks(
        git_dir,
        {
            "prod_only": {"cmd": "true", "when": {"envs": ["prod"]}},
            "tuning": {"cmd": "true", "when": {"params": {"tune": True}}},
            "release": {"cmd": "true", "when": {"branches": ["release/*"]}},
            "always": {"cmd": "true"},
        },
    )
    git(git_dir, "add", "-A")
    git(git_dir, "commit", "-qm", "spec")
    summary = json.loads(mo("run", "--env", "dev", "--json").out)
    assert summary["counts"] == {"disabled": 3, "succeeded": 1}
    git(git_dir, "checkout", "-qb", "release/1.0")
    summary = json.loads(mo("run", "--env", "prod", "--json").out)
    record = load_records(git_dir)[-1].tasks["p"]
    assert record["prod_only"].status == "succeeded"
    assert record["release"].status == "succeeded"
    assert record["tuning"].status == "disabled"


def test_declared_model_out_goes_to_the_dvc_cache(git_dir: Path, mo: Mo) -> None:
    assert mo("init").code == 0
    assert mo("run").code == 0
    pointer = yaml.safe_load((git_dir / "models" / "model.json.dvc").read_text())["outs"][0]
    out = next(
        o for o in read_lock(git_dir)["train"]["train"].outs if o.path == "models/model.json"
    )
    assert pointer["md5"] == out.md5, "mo's hash is DVC's hash"
    md5 = out.md5
    assert (git_dir / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]).is_file()


def test_outs_are_ignored_by_git_but_metrics_are_not(project: Path, mo: Mo) -> None:
    assert mo("run").code == 0
    assert "/prepared" in (project / "data" / ".gitignore").read_text().splitlines()
    assert "/model.json" in (project / "models" / ".gitignore").read_text().splitlines()
    status = git(project, "status", "--porcelain", "--untracked-files=all")
    assert "metrics/eval.json" in status and "data/prepared" not in status
    assert mo("run", "--force").code == 0
    assert (project / "data" / ".gitignore").read_text().count("/prepared") == 1


def test_run_task_runs_one_task_and_jobs_of_one_run_share_its_record(project: Path, mo: Mo) -> None:
    prepare = mo("run-task", "train", "prepare", "--run-id", "ci-42", "--json")
    assert prepare.code == 0, prepare.err
    assert json.loads(prepare.out)["counts"] == {"succeeded": 1}
    assert set(read_lock(project)["train"]) == {"prepare"}
    train = json.loads(mo("run-task", "train", "train", "--run-id", "ci-42", "--json").out)
    assert train["run_id"] == "ci-42" and train["status"] == "succeeded"
    again = json.loads(mo("run-task", "train", "train", "--run-id", "ci-42", "--json").out)
    assert again["counts"] == {"up to date": 1}
    [record] = load_records(project)
    assert record.run_id == "ci-42"
    assert set(record.tasks["train"]) == {"prepare", "train"}
    assert record.tasks["train"]["prepare"].status == "succeeded"
    unknown = mo("run-task", "train", "nope")
    assert unknown.code == 1 and "has no task 'nope'" in unknown.err


def test_run_task_single_attempt_leaves_retries_to_the_engine(git_dir: Path, mo: Mo) -> None:
    retries = {"limit": 2, "backoff": 0.01}
    use_tasks(git_dir, {"w": {"cmd": "exit 3", "outs": ["o"], "retries": retries}})
    result = json.loads(mo("run-task", "p", "w", "--single-attempt", "--json").out)
    assert result["status"] == "failed"
    assert result["failures"][0]["attempts"] == 1
    result = json.loads(mo("run-task", "p", "w", "--json").out)
    assert result["failures"][0]["attempts"] == 3


def test_a_job_answers_for_its_own_task_not_its_siblings(git_dir: Path, mo: Mo) -> None:
    use_tasks(git_dir, {"bad": {"cmd": "exit 1"}, "good": {"cmd": "echo ok > o", "outs": ["o"]}})
    assert mo("run-task", "p", "bad", "--run-id", "ci-43").code == 1
    sibling = json.loads(mo("run-task", "p", "good", "--run-id", "ci-43", "--json").out)
    assert sibling["status"] == "succeeded"
    [record] = load_records(git_dir)
    assert record.status == "failed", "the run as a whole failed"
