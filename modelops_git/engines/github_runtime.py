"""What the workflow `mo ci github` writes runs between mo commands, inside GitHub Actions:
which task jobs run, and the run summary. Everything comes in through environment variables
(GitHub's own and those the workflow sets as data) and goes out through the files GitHub
names in `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`.

    python -m modelops_git.engines.github_runtime affected|summary
"""

from __future__ import annotations

import html
import json
import sys
from collections.abc import Mapping
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from modelops_git import git, output
from modelops_git.errors import EXIT_USAGE, ModelOpsError, UsageError

__all__ = ["affected_outputs", "job_table", "main", "summary"]

_NO_COMMIT = "0" * 40
_FAILED = ("failure", "cancelled")


def affected_outputs(environ: Mapping[str, str], root: Path) -> dict[str, str]:
    """Job ids to run: the tasks `mo affected` reports since the base commit (every task when
    there is no base: a manual run, a new branch, a base no longer in the history), limited
    to the pipeline asked for, with the upstream tasks whose outs a fresh runner lacks; and,
    for tasks with `when.branches`, whether the branch allows them. A pull request runs on a
    detached merge commit, where `mo run-task` sees no branch, so there none does."""
    jobs = job_table(environ)
    by_task = {(entry["pipeline"], entry["task"]): job for job, entry in jobs.items()}
    base = environ.get("MO_BASE_SHA", "")
    changed: list[str] = []
    if _compare_with_base(environ, root, base):
        from modelops_git.changes import affected

        data = affected(root, base, None, "rev", environ.get("MO_ENV") or None).as_data()
        changed = data["changed_files"]
        chosen = {by_task[key] for key in _task_keys(data) if key in by_task}
    else:
        chosen = set(jobs)
    wanted = environ.get("MO_PIPELINE_INPUT") or "all"
    chosen = {job for job in chosen if wanted in ("all", jobs[job]["pipeline"])}
    chosen = _with_missing_inputs(chosen, jobs, root)
    branch = _branch(environ)
    on_branch = [
        job
        for job, entry in sorted(jobs.items())
        if entry["branches"]
        and branch is not None
        and any(fnmatch(branch, glob) for glob in entry["branches"])
    ]
    pipelines = sorted({jobs[job]["pipeline"] for job in chosen})
    return {
        "tasks": json.dumps(sorted(chosen)),
        "on_branch": json.dumps(on_branch),
        "matrix": json.dumps({"include": [{"pipeline": name} for name in pipelines]}),
        "pins_changed": json.dumps(bool(changed) and _pins_changed(root, base, changed)),
    }


def _with_missing_inputs(chosen: set[str], jobs: Mapping[str, Any], root: Path) -> set[str]:
    """Each job starts from a fresh checkout: an upstream job whose outs are neither in git
    nor behind a `.dvc` pointer (which `mo run-task` pulls) runs too, or its dependents would
    miss their inputs."""
    result = set(chosen)
    pending = list(chosen)
    while pending:
        for need in jobs[pending.pop()]["needs"]:
            if need not in result and not all(
                _in_checkout(root, out) for out in jobs[need]["outs"]
            ):
                result.add(need)
                pending.append(need)
    return result


def _in_checkout(root: Path, out: str) -> bool:
    return (root / out).exists() or (root / f"{out}.dvc").is_file()


def job_table(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """The workflow's job table, from `MO_JOBS_1`, `MO_JOBS_2`, ... in order."""
    table: dict[str, dict[str, Any]] = {}
    number = 1
    while f"MO_JOBS_{number}" in environ:
        table.update(json.loads(environ[f"MO_JOBS_{number}"]))
        number += 1
    return table


def _compare_with_base(environ: Mapping[str, str], root: Path, base: str) -> bool:
    if environ.get("GITHUB_EVENT_NAME") == "workflow_dispatch" or base in ("", _NO_COMMIT):
        return False
    return git.resolve_or_none(root, base) is not None


def _task_keys(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(item["pipeline"], item["task"]) for item in data["tasks"]]


def _branch(environ: Mapping[str, str]) -> str | None:
    if environ.get("GITHUB_EVENT_NAME") == "pull_request":
        return None
    if environ.get("GITHUB_REF_TYPE") != "branch":
        return None
    return environ.get("GITHUB_REF_NAME") or None


def _pins_changed(root: Path, base: str, changed: list[str]) -> bool:
    """Whether an environment's model pins (its `models:`) differ from the base commit's."""
    from modelops_git.changes import Snapshot

    old, new = Snapshot(root, base), Snapshot(root, "HEAD")
    return any(
        _pins(old.yaml(path)) != _pins(new.yaml(path)) for path in changed if _is_environment(path)
    )


def _pins(data: Any) -> Any:
    return data.get("models") if isinstance(data, dict) else None


def _is_environment(path: str) -> bool:
    folder, _, name = path.rpartition("/")
    return folder == "environments" and name.endswith((".yaml", ".yml"))


def summary(environ: Mapping[str, str]) -> tuple[str, bool]:
    """Markdown for the run's summary page, and whether every job that ran succeeded."""
    jobs = job_table(environ)
    results: dict[str, Any] = json.loads(environ.get("MO_RESULTS") or "{}")
    lines = ["## modelops", ""]
    for label, variable in (("Event", "MO_TRIGGER_EVENT"), ("Reason", "MO_TRIGGER_REASON")):
        if environ.get(variable):
            lines.append(f"{label}: {_markdown_text(environ[variable])}")
    lines += ["", "| pipeline | task | result |", "|---|---|---|"]
    for job, entry in sorted(jobs.items(), key=lambda item: (item[1]["pipeline"], item[1]["task"])):
        pipeline, task = entry["pipeline"], entry["task"]
        result = str(results.get(job, {}).get("result", "not run"))
        lines.append(f"| {pipeline} | {task} | {result} |")
    ok = all(
        str(entry.get("result")) not in _FAILED
        for entry in results.values()
        if isinstance(entry, dict)
    )
    return "\n".join(lines) + "\n", ok


def _markdown_text(value: str) -> str:
    """Free text from whoever started the run, shown as text: no markup, no table breaks."""
    flat = " ".join(value.split())
    return html.escape(flat).replace("|", "&#124;").replace("`", "&#96;").replace("[", "&#91;")


def _append(environ: Mapping[str, str], variable: str, text: str) -> None:
    with Path(environ[variable]).open("a", encoding="utf-8") as file:
        file.write(text)


def main(argv: list[str], environ: Mapping[str, str]) -> int:
    try:
        return _command(argv, environ)
    except ModelOpsError as problem:
        output.error(problem)
        return problem.exit_code


def _command(argv: list[str], environ: Mapping[str, str]) -> int:
    if argv == ["affected"]:
        outputs = affected_outputs(environ, git.require_worktree_root(Path.cwd()))
        _append(environ, "GITHUB_OUTPUT", "".join(f"{k}={v}\n" for k, v in outputs.items()))
        _append(environ, "GITHUB_STEP_SUMMARY", _affected_summary(outputs))
        return 0
    if argv == ["summary"]:
        text, ok = summary(environ)
        _append(environ, "GITHUB_STEP_SUMMARY", text)
        return 0 if ok else 1
    output.error(
        UsageError("usage: python -m modelops_git.engines.github_runtime affected|summary")
    )
    return EXIT_USAGE


def _affected_summary(outputs: Mapping[str, str]) -> str:
    tasks = json.loads(outputs["tasks"])
    return f"Task jobs to run: {len(tasks)}\n"


if __name__ == "__main__":
    import os

    sys.exit(main(sys.argv[1:], os.environ))
