"""Installing and removing mo's git hook shims, keeping any hook that was there before."""

from __future__ import annotations

import shlex
import sys
from importlib import resources
from pathlib import Path

from modelops_git import git
from modelops_git.errors import ModelOpsError
from modelops_git.files import write_atomic

__all__ = ["HOOKS", "SHIM_ID", "install", "uninstall"]

HOOKS = ("pre-commit", "post-commit", "post-merge", "pre-push")
SHIM_ID = "modelops-git-hook-v1"
_CHAINED = ".pre-modelops"


def _template() -> str:
    packaged = Path(str(resources.files("modelops_git"))) / "hooks" / "modelops-hook.sh"
    source = (
        packaged
        if packaged.is_file()
        else Path(__file__).resolve().parents[1] / "hooks" / "modelops-hook.sh"
    )
    return source.read_text(encoding="utf-8")


def is_ours(path: Path) -> bool:
    try:
        return SHIM_ID in path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


def install(root: Path, names: tuple[str, ...]) -> list[dict[str, str]]:
    """Write the shims; an existing foreign hook is kept as HOOK.pre-modelops and chained."""
    directory = git.hooks_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    done = []
    for name in names:
        hook = directory / name
        chained = directory / (name + _CHAINED)
        action = "installed"
        if hook.exists() and not is_ours(hook):
            if chained.exists():
                raise ModelOpsError(
                    f"{hook} exists and so does {chained.name}",
                    "remove one of them, then run `mo hooks install` again",
                )
            hook.replace(chained)
            action = "installed, chaining the existing hook"
        text = _template().replace("@PYTHON@", shlex.quote(sys.executable)).replace("@HOOK@", name)
        write_atomic(hook, text)
        hook.chmod(0o755)
        done.append({"hook": name, "path": str(hook), "action": action})
    return done


def uninstall(root: Path, names: tuple[str, ...]) -> list[dict[str, str]]:
    """Remove mo's shims and put back the hooks they chained; foreign hooks are left alone."""
    directory = git.hooks_dir(root)
    done = []
    for name in names:
        hook, chained = directory / name, directory / (name + _CHAINED)
        if not is_ours(hook):
            if hook.exists():
                done.append({"hook": name, "path": str(hook), "action": "left alone (not mo's)"})
            continue
        hook.unlink()
        action = "removed"
        if chained.exists():
            chained.replace(hook)
            action = "removed, restored the previous hook"
        done.append({"hook": name, "path": str(hook), "action": action})
    return done
