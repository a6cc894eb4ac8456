"""All printing: plain text for people (coloured on a terminal), JSON for machines."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterable
from typing import Any

from modelops_git.errors import Diagnostic, ModelOpsError

__all__ = [
    "LiveRun",
    "affected",
    "diagnostics",
    "error",
    "hook_report",
    "json_data",
    "line",
    "lineage",
    "run_event",
    "run_summary",
    "table",
    "text",
    "why",
]


_ANSI = {"red": "31", "green": "32", "yellow": "33", "blue": "34"}


class _Terminal:
    """What we used typer's echo for, without loading typer (0.1 s) on every command:
    colour only on a terminal, and never with NO_COLOR set."""

    @staticmethod
    def secho(
        message: str = "", fg: str | None = None, bold: bool = False, err: bool = False
    ) -> None:
        stream = sys.stderr if err else sys.stdout
        codes = ([_ANSI[fg]] if fg else []) + (["1"] if bold else [])
        if codes and stream.isatty() and "NO_COLOR" not in os.environ:
            message = f"\033[{';'.join(codes)}m{message}\033[0m"
        stream.write(message + "\n")
        stream.flush()

    echo = secho


_TERMINAL = _Terminal()


def hook_report(title: str, lines: list[str]) -> None:
    """One short block from a git hook, on stderr, plain (hooks often run without a TTY)."""
    if lines:
        sys.stderr.write(f"mo {title}:\n" + "".join(f"  {line}\n" for line in lines))


def json_data(data: Any) -> None:
    """Stable JSON: two-space indent, keys in the order the data has them, UTF-8."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def text(value: str) -> None:
    sys.stdout.write(value if value.endswith("\n") else value + "\n")


def line(message: str, *, ok: bool = False) -> None:
    _TERMINAL.secho(message, fg="green" if ok else None)


def error(problem: ModelOpsError) -> None:
    _TERMINAL.secho(f"error: {problem.message}", fg="red", err=True)
    if problem.hint:
        _TERMINAL.secho(f"  hint: {problem.hint}", err=True)


def diagnostics(problems: Iterable[Diagnostic]) -> None:
    """One block per problem, `file:line:col` first so editors and terminals can jump to it."""
    problems = list(problems)
    for problem in problems:
        _TERMINAL.secho(f"{problem.location()}: error: {problem.message}", fg="red", err=True)
        _TERMINAL.secho(f"  at {problem.path}", err=True)
        if problem.hint:
            _TERMINAL.secho(f"  hint: {problem.hint}", err=True)
    files = len({problem.file for problem in problems})
    noun = "problem" if len(problems) == 1 else "problems"
    _TERMINAL.secho(f"{len(problems)} {noun} in {files} file{'s' if files != 1 else ''}", err=True)


def table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]
    for index, row in enumerate([headers, *rows]):
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        _TERMINAL.secho("  ".join(cells).rstrip(), bold=index == 0)


_EVENT_COLOURS = {
    "succeeded": "green",
    "failed": "red",
    "interrupt": "yellow",
    "recovered": "yellow",
}


def run_event(task: str, event: str, detail: str) -> None:
    """One line per event, safe to interleave from parallel tasks and to pipe into logs."""
    suffix = f" ({detail})" if detail else ""
    name = f"{task}: " if task else ""
    _TERMINAL.secho(f"{name}{event}{suffix}", fg=_EVENT_COLOURS.get(event), err=True)


def run_summary(summary: dict[str, Any]) -> None:
    counts = ", ".join(f"{count} {status}" for status, count in summary["counts"].items())
    ok = summary["status"] == "succeeded"
    _TERMINAL.secho(
        f"run {summary['run_id']} {summary['status']}: {counts}",
        fg="green" if ok else "red",
        err=True,
    )
    for failure in summary["failures"]:
        _TERMINAL.secho(
            f"  {failure['task']} failed with exit code {failure['exit_code']} after "
            f"{failure['attempts']} attempt(s); log: {failure['log']}",
            err=True,
        )
        for log_line in failure["log_tail"]:
            _TERMINAL.secho(f"    | {log_line}", err=True)


def _short(value: Any) -> str:
    """md5s shortened like git shortens commits; a directory's keeps its `.dir`."""
    text = str(value)
    digest, dot_dir = (text[:-4], ".dir") if text.endswith(".dir") else (text, "")
    if len(digest) == 32 and all(c in "0123456789abcdef" for c in digest):
        return digest[:12] + dot_dir
    return text


def _inputs(data: dict[str, Any], indent: str) -> None:
    _TERMINAL.echo(f"{indent}cmd: {data['cmd']}")
    for kind in ("data", "code"):
        for dep in data[kind]:
            _TERMINAL.echo(f"{indent}{kind}: {dep['path']} {_short(dep['md5'])}")
    for file, values in data["params"].items():
        for key, value in values.items():
            _TERMINAL.echo(f"{indent}param: {key} = {value!r} ({file})")


def lineage(data: dict[str, Any]) -> None:
    _TERMINAL.secho(
        f"{data['path']} {_short(data['md5'])} at commit {data['commit'][:10]}", bold=True
    )
    _TERMINAL.echo(f"  produced by {data['task']} (run {data['run_id'] or 'unknown'})")
    run = data.get("run")
    if run:
        _TERMINAL.echo(f"  run by {run['user']} at {run['started']} in env {run['env'] or '-'}")
    _inputs(data, "  ")
    if data.get("dvc_remote"):
        _TERMINAL.echo(f"  data remote: {data['dvc_remote']}")
    for upstream in data["upstream"]:
        _TERMINAL.echo(f"  upstream {upstream['task']}:")
        _inputs(upstream, "    ")


def why(data: dict[str, Any]) -> None:
    if not data["moves"]:
        _TERMINAL.echo(f"{data['metric']} did not change in {data['commits']} commits")
        return
    for move in data["moves"]:
        _TERMINAL.secho(
            f"{move['commit'][:10]} {move['subject']}: {data['metric']} "
            f"{move['old']} -> {move['new']} ({move['change']:+})",
            bold=True,
        )
        _TERMINAL.echo(f"  by {move['author']} on {move['date']}")
        for entry in move["data"]:
            _TERMINAL.echo(
                f"  data changed: {entry['path']} {_short(entry['old'])} -> {_short(entry['new'])}"
            )
        for entry in move["params"]:
            _TERMINAL.echo(f"  param changed: {entry['key']} {entry['old']!r} -> {entry['new']!r}")
        for entry in move["cmd"]:
            _TERMINAL.echo(f"  cmd changed in {entry['task']}: {entry['new']}")
        for path in move["code"]:
            _TERMINAL.echo(f"  file changed: {path}")


class LiveRun:
    """A live table of tasks on a terminal (rich); `mo run` uses run_event lines otherwise."""

    def __init__(self, console: Any = None) -> None:
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.rows: dict[str, tuple[str, str]] = {}
        self.lock = threading.Lock()
        self.live: Any = None

    def __enter__(self) -> LiveRun:
        from rich.live import Live

        self.live = Live(self._table(), console=self.console, refresh_per_second=8)
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.update(self._table())
        self.live.__exit__(None, None, None)

    def event(self, task: str, event: str, detail: str) -> None:
        with self.lock:
            if not task:
                self.live.console.print(f"[yellow]{event}: {detail}[/yellow]")
                return
            self.rows[task] = (event, detail)
            self.live.update(self._table())

    def _table(self) -> Any:
        from rich.table import Table

        table = Table(box=None, pad_edge=False)
        for column in ("TASK", "STATE", "WHY"):
            table.add_column(column)
        styles = {"succeeded": "green", "failed": "red", "start": "cyan"}
        for task, (event, detail) in self.rows.items():
            state = "running" if event == "start" else event
            table.add_row(task, f"[{styles.get(event, 'white')}]{state}[/]", detail)
        return table


def affected(data: dict[str, Any]) -> None:
    """Plain text: this runs on `mo affected`'s fast path, which does not load typer."""
    lines = [] if data["tasks"] else ["nothing to rebuild"]
    for task in data["tasks"]:
        lines.append(f"{task['pipeline']}/{task['task']}")
        lines += [f"  {reason}" for reason in task["reasons"]]
    for trigger in data["triggers"]:
        lines.append(
            f"trigger {trigger['trigger']} ({trigger['on']}) fires: run "
            f"{trigger['pipeline']} in {trigger['env']}"
        )
    sys.stdout.write("".join(line + "\n" for line in lines))


def gate_table(rows: list[dict[str, Any]]) -> None:
    table(
        ["GATE", "KIND", "RESULT", "VALUE", "THRESHOLD", "NOTE"],
        [
            [
                r["gate"],
                r["kind"],
                "pass" if r["passed"] else "FAIL",
                r["value"],
                r["threshold"],
                r.get("detail", ""),
            ]
            for r in rows
        ],
    )


def promotion_opened(data: dict[str, Any]) -> None:
    gates = [g for g in data["gates"] if "gate" in g]
    if gates:
        gate_table(gates)
    replacing = f" (replacing {data['replaces']})" if data["replaces"] else ""
    verb = "opened" if data["created"] else "already open:"
    line(
        f"{verb} {data['id']}: {data['model']} {data['version']} {data['from']} -> "
        f"{data['to']}{replacing} on branch {data['branch']}",
        ok=True,
    )
    if data.get("pull_request"):
        line(f"  pull request: {data['pull_request']}")
    merged = data.get("merged")
    if merged:
        promotion_merged(merged)
    elif data["status"] == "open":
        line(
            f"  needs {data['required_approvals']} approval(s): mo review {data['id']} --approve;"
            f" then mo merge {data['id']}"
        )


def promotion_merged(data: dict[str, Any]) -> None:
    approvers = ", ".join(data["approved_by"]) or "no approval required"
    line(
        f"merged {data['id']} into {data['base']} as {data['merge_commit'][:10]} "
        f"({approvers}); tagged {data['assignment']}",
        ok=True,
    )


def promotion_status(data: dict[str, Any]) -> None:
    record = data["record"]
    line(
        f"{record['id']} ({record['kind']}, {record['status']}): {record['model']} "
        f"{record['version']} {record['from_env']} -> {record['to_env']}, opened by "
        f"{record['author']} at {record['created']}"
    )
    if record.get("pull_request"):
        line(f"  pull request: {record['pull_request']}")
    if record.get("description"):
        text(record["description"])
    for review in record["reviews"]:
        note = f": {review['message']}" if review["message"] else ""
        line(
            f"  {review['at']} {review['reviewer']} {review['state']} "
            f"at {review['head'][:10]}{note}"
        )
    if record["status"] == "open":
        if data["can_merge"]:
            line(f"  ready: mo merge {record['id']}", ok=True)
        for reason in data["blocking"]:
            line(f"  blocked: {reason}")
    elif record.get("merge_commit"):
        line(
            f"  merged as {record['merge_commit'][:10]} by {record['merged_by']}; "
            f"{record['assignment']}"
        )


def env_history(data: dict[str, Any]) -> None:
    when = f" at {data['at']}" if data["at"] else " now"
    line(f"{data['env']}{when}:", ok=True)
    for model, event in sorted(data["held"].items()):
        line(
            f"  {model} {event['version']} since {event['date']} (promotion "
            f"{event['promotion'] or '-'}, approved by {event['approved_by'] or '-'}"
            + (f", {event['pull_request']}" if event["pull_request"] else "")
            + ")"
        )
    table(
        ["DATE", "MODEL", "VERSION", "ACTION", "PROMOTION", "APPROVED BY"],
        [
            [
                e["date"],
                e["model"],
                e["version"] or "-",
                e["action"] if e["kind"] != "rollback" else "rolled back",
                e["promotion"] or "-",
                e["approved_by"] or "-",
            ]
            for e in data["events"]
        ],
    )


def environments_status(data: dict[str, Any]) -> None:
    rows = []
    for env in data["environments"]:
        for model in env["models"]:
            rows.append(
                [
                    env["env"],
                    model["model"],
                    model["pinned"] or "-",
                    model["deployed"] or "-",
                    f"hold {model['hold']}" if model["hold"] else "",
                ]
            )
    table(["ENV", "MODEL", "PINNED", "DEPLOYED", "HOLD"], rows)
    for env in data["environments"]:
        for waiting in env["open_promotions"]:
            line(
                f"open: {waiting['id']} {waiting['model']} {waiting['version']} -> {env['env']} "
                f"({waiting['kind']}, approvals {waiting['approvals']})"
            )


def registry_table(data: dict[str, Any]) -> None:
    envs = sorted({env for entry in data.values() for env in entry["environments"]})
    rows = [
        [name, entry["latest"] or "-", *(entry["environments"].get(env) or "-" for env in envs)]
        for name, entry in data.items()
    ]
    table(["MODEL", "LATEST", *(f"#{env}" for env in envs)], rows)


def registry_versions(data: dict[str, Any]) -> None:
    table(
        ["MODEL", "VERSION", "COMMIT", "MD5", "RUN"],
        [
            [name, v["version"], v["commit"][:10], v["md5"][:12], v["run_id"]]
            for name, entry in data.items()
            for v in entry["versions"]
        ],
    )


def registered(data: dict[str, Any]) -> None:
    line(
        f"registered {data['tag']} at {data['commit'][:10]} (md5 {data['md5'][:12]}); "
        f"share it: git push origin {data['tag']}",
        ok=True,
    )


def assigned(data: dict[str, Any]) -> None:
    line(f"created {data['tag']}", ok=True)
