"""Outs become visible only when their task succeeds.

Before a task runs, its existing outs are moved aside (a rename within the repository); a
marker records where. Success deletes the old copies; failure, timeout or interrupt deletes
what the task wrote and moves the old copies back. If mo itself is killed (SIGKILL), the
marker survives and the next run puts things back before doing anything else.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

from modelops_git.files import write_atomic

__all__ = ["OutsGuard", "recover_interrupted"]

_STATE = Path(".modelops") / "state" / "inflight"
_TMP = Path(".modelops") / "tmp"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


class OutsGuard:
    def __init__(self, root: Path, run_id: str, key: str, outs: tuple[str, ...]) -> None:
        self.root = root
        self.outs = outs
        self.backup = root / _TMP / run_id / key
        self.marker = root / _STATE / f"{run_id}--{key}.json"

    def __enter__(self) -> OutsGuard:
        write_atomic(
            self.marker,
            json.dumps({"pid": os.getpid(), "backup": str(self.backup), "outs": list(self.outs)}),
        )
        for out in self.outs:
            source = self.root / out
            if source.exists() or source.is_symlink():
                target = self.backup / out
                target.parent.mkdir(parents=True, exist_ok=True)
                source.replace(target)
        return self

    def _write_marker(self, groups: list[int]) -> None:
        state = {
            "pid": os.getpid(),
            "backup": str(self.backup),
            "outs": list(self.outs),
            "groups": groups,
        }
        write_atomic(self.marker, json.dumps(state))

    def note_process(self, group: int) -> None:
        """Remember the task's process group, so recovery can stop it if mo dies."""
        self._write_marker([group])

    def commit(self) -> None:
        """The task succeeded: its outs stay, the old copies go."""
        shutil.rmtree(self.backup, ignore_errors=True)
        self.marker.unlink(missing_ok=True)

    def rollback(self) -> None:
        """The task did not succeed: what it wrote goes, the old copies come back."""
        restore(self.root, self.backup, self.outs)
        self.marker.unlink(missing_ok=True)

    def __exit__(self, *exc: object) -> None:
        if self.marker.exists():
            self.rollback()


def restore(root: Path, backup: Path, outs: tuple[str, ...] | list[str]) -> None:
    for out in outs:
        _remove(root / out)
        saved = backup / out
        if saved.exists() or saved.is_symlink():
            (root / out).parent.mkdir(parents=True, exist_ok=True)
            saved.replace(root / out)
    shutil.rmtree(backup, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_orphan(root: Path, group: int) -> None:
    """Kill a dead run's task group, if its leader still runs in this repository (a reused
    process id elsewhere is left alone)."""
    try:
        if Path(f"/proc/{group}/cwd").resolve() != root.resolve():
            return
        os.killpg(group, signal.SIGKILL)
    except OSError:
        return


def recover_interrupted(root: Path) -> list[str]:
    """Undo tasks whose mo process died mid-task; returns the outs put back."""
    restored: list[str] = []
    directory = root / _STATE
    for marker in sorted(directory.glob("*.json")) if directory.is_dir() else []:
        try:
            state = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _alive(int(state.get("pid", 0))) and int(state.get("pid", 0)) != os.getpid():
            continue
        for group in state.get("groups", []):
            _kill_orphan(root, int(group))
        restore(root, Path(state["backup"]), state["outs"])
        restored.extend(state["outs"])
        marker.unlink(missing_ok=True)
    return restored
