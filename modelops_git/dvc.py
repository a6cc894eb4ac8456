"""Everything that reads or writes DVC's formats or calls DVC."""

from __future__ import annotations

import configparser
import contextlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from modelops_git.errors import ModelOpsError

__all__ = [
    "default_remote_url",
    "dvc_initialized",
    "init_dvc",
    "metrics_files",
    "parse_dvc_lock",
    "pointer_md5",
    "pull",
    "track",
]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """DVC prints advice for its own CLI users; mo reports what it did itself."""
    logger = logging.getLogger("dvc")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def dvc_initialized(root: Path) -> bool:
    return (root / ".dvc" / "config").is_file()


def init_dvc(root: Path) -> None:
    """`dvc init` in a git repo (DVC is imported here, not at start-up: it is slow to load)."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with _quiet():
            Repo.init(root_dir=str(root), no_scm=False)
    except DvcException as exc:
        raise ModelOpsError(
            f"dvc init failed: {exc}", "run `dvc init` yourself to see why"
        ) from None


def track(root: Path, paths: list[str]) -> None:
    """`dvc add` the given repo-relative paths: writes PATH.dvc and ignores PATH in git."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with _quiet(), Repo(str(root)) as repo:
            repo.add(paths)
    except DvcException as exc:
        raise ModelOpsError(f"dvc add failed: {exc}", "run `dvc add` yourself to see why") from None


def pull(root: Path, paths: list[str]) -> None:
    """Fetch DVC-tracked inputs that are missing from the work tree from the DVC remote."""
    from dvc.exceptions import DvcException
    from dvc.repo import Repo

    try:
        with _quiet(), Repo(str(root)) as repo:
            repo.pull(targets=paths)
    except DvcException as exc:
        raise ModelOpsError(
            f"could not fetch {', '.join(paths)} from the DVC remote: {exc}",
            "check `dvc remote list` and your access to it, or restore the files",
        ) from None


def parse_dvc_lock(text: str) -> dict[str, Any]:
    """`dvc.lock` (schema 2.0) as {stage: {cmd, deps, outs, params}} with mo's field names;
    stages of `foreach` keep DVC's `name@key` names. A lock that is not YAML has no stages."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return {}
    stages = data.get("stages") or {} if isinstance(data, dict) else {}
    return {
        name: {
            "cmd": " && ".join(body["cmd"])
            if isinstance(body.get("cmd"), list)
            else body.get("cmd", ""),
            "deps": [_hashed(entry) for entry in body.get("deps") or ()],
            "outs": [_hashed(entry) for entry in body.get("outs") or ()],
            "params": body.get("params") or {},
        }
        for name, body in stages.items()
        if isinstance(body, dict)
    }


def _hashed(entry: dict[str, Any]) -> dict[str, Any]:
    md5 = entry.get("md5") or entry.get("etag") or entry.get("checksum") or ""
    return {
        "path": entry["path"],
        "md5": md5,
        "size": entry.get("size", 0),
        "nfiles": entry.get("nfiles"),
    }


def metrics_files(dvc_yaml_text: str) -> list[str]:
    """Metrics files a `dvc.yaml` declares: top-level `metrics:` and stages' `metrics:` outs."""
    data = yaml.safe_load(dvc_yaml_text) or {}
    files = [str(entry) for entry in data.get("metrics") or ()]
    for stage in (data.get("stages") or {}).values():
        for entry in stage.get("metrics") or () if isinstance(stage, dict) else ():
            files.append(next(iter(entry)) if isinstance(entry, dict) else str(entry))
    return list(dict.fromkeys(files))


def default_remote_url(config_text: str) -> str | None:
    """The URL of the default remote in `.dvc/config` text (INI with quoted section names)."""
    parser = configparser.ConfigParser()
    try:
        parser.read_string(config_text)
    except configparser.Error:
        return None
    name = parser.get("core", "remote", fallback=None)
    for section in parser.sections():
        if section.startswith("'remote \"") and (name is None or f'"{name}"' in section):
            return parser.get(section, "url", fallback=None)
    return None


def pointer_md5(text: str) -> str | None:
    """The md5 a `.dvc` pointer records for its (first) out."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError:
        return None
    outs = data.get("outs") or [] if isinstance(data, dict) else []
    md5 = outs[0].get("md5") if outs and isinstance(outs[0], dict) else None
    return str(md5) if md5 else None
