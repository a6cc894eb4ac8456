"""Everything that talks to git. GitPython is imported here only, and only when needed."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from modelops_git.errors import ModelOpsError

__all__ = [
    "ZERO_SHA",
    "Commit",
    "Tag",
    "branches_checked_out_elsewhere",
    "changed_files",
    "commit_author",
    "commit_message",
    "commit_time",
    "commit_with_file",
    "common_dir",
    "config",
    "create_tag",
    "current_branch",
    "diff_names",
    "find_worktree_root",
    "head_commit",
    "hooks_dir",
    "is_ancestor",
    "is_dirty",
    "is_shallow",
    "log",
    "merge_commit",
    "messages",
    "parent_commit",
    "paths_modified",
    "push_refs",
    "read_objects",
    "read_ref_file",
    "ref_sha",
    "refs_under",
    "require_worktree_root",
    "resolve",
    "resolve_or_none",
    "show_file",
    "staged_sizes",
    "tags",
    "tracked",
    "untracked",
    "update_checkout",
    "update_record_ref",
    "update_ref",
    "user_identity",
    "write_record_ref",
]


def find_worktree_root(start: Path) -> Path | None:
    """The top of the git work tree containing `start`, found without running git."""
    current = start.resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def require_worktree_root(start: Path) -> Path:
    root = find_worktree_root(start)
    if root is None:
        raise ModelOpsError(
            f"{start} is not inside a git repository",
            "run `git init` first (mo keeps specs, pins and history in git)",
        )
    return root


ZERO_SHA = "0" * 40
_RECORD_IDENTITY = {
    "GIT_AUTHOR_NAME": "modelops-git",
    "GIT_AUTHOR_EMAIL": "mo@localhost",
    "GIT_COMMITTER_NAME": "modelops-git",
    "GIT_COMMITTER_EMAIL": "mo@localhost",
}


def head_commit(root: Path) -> str | None:
    """The commit HEAD points to; None in a repository without commits."""
    result = _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    return result or None


def current_branch(root: Path) -> str | None:
    """The checked-out branch; None on a detached HEAD."""
    return _git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False) or None


def is_dirty(root: Path) -> bool:
    return bool(_git(root, "status", "--porcelain", "--untracked-files=no"))


def user_identity(root: Path) -> str:
    """`Name <email>` as git would record an author (config or GIT_AUTHOR_* variables)."""
    ident = _git(root, "var", "GIT_AUTHOR_IDENT", check=False)
    return ident.rsplit(" ", 2)[0] if ident else os.environ.get("USER", "unknown")


def write_record_ref(root: Path, ref: str, filename: str, text: str) -> str:
    """Store `text` as `filename` in a parentless commit and point `ref` at it.

    The ref moves only from the value it had when read (compare-and-swap), so two writers
    never overwrite each other silently; each run has its own ref, so runs never contend.
    """
    blob = _git(root, "hash-object", "-w", "--stdin", stdin=text)
    tree = _git(root, "mktree", stdin=f"100644 blob {blob}\t{filename}\n")
    commit = _git(root, "commit-tree", tree, "-m", f"modelops record {ref}", env=_RECORD_IDENTITY)
    for _ in range(5):
        old = _git(root, "rev-parse", "--verify", "--quiet", ref, check=False) or ZERO_SHA
        if _git(root, "update-ref", ref, commit, old, check=False, ok=True) == "ok":
            return commit
    raise ModelOpsError(
        f"could not update {ref}: it keeps changing under us",
        "retry; another mo process is writing the same record",
    )


def update_record_ref(
    root: Path, ref: str, filename: str, change: Callable[[str | None], str | None]
) -> str | None:
    """Read-modify-write of a record ref: `change` gets the current text (None when the ref
    does not exist) and returns the new text, or None to leave it as it is. Each version is
    a commit whose parent is the previous one (the record keeps its own audit trail), and
    the ref moves only from the commit `change` saw; on a race, `change` runs again on the
    newer text. Returns the text now stored."""
    for _ in range(20):
        old = _git(root, "rev-parse", "--verify", "--quiet", ref, check=False)
        current = _git(root, "show", f"{old}:{filename}", check=False, strip=False) if old else None
        text = change(current)
        if text is None:
            return current
        blob = _git(root, "hash-object", "-w", "--stdin", stdin=text)
        tree = _git(root, "mktree", stdin=f"100644 blob {blob}\t{filename}\n")
        parents = ["-p", old] if old else []
        message = f"modelops record {ref}"
        commit = _git(root, "commit-tree", tree, *parents, "-m", message, env=_RECORD_IDENTITY)
        if update_ref(root, ref, commit, old or ZERO_SHA):
            return text
    raise ModelOpsError(f"could not update {ref}: it keeps changing under us", "retry in a moment")


def update_ref(root: Path, ref: str, new: str, old: str) -> bool:
    """Compare-and-swap: point `ref` at `new` only if it is at `old` now (ZERO_SHA: only if
    it does not exist; `new` ZERO_SHA deletes). False when another writer got there first."""
    if new == ZERO_SHA:
        return _git(root, "update-ref", "-d", ref, old, check=False, ok=True) == "ok"
    return _git(root, "update-ref", ref, new, old, check=False, ok=True) == "ok"


def ref_sha(root: Path, ref: str) -> str | None:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False) or None


def commit_with_file(
    root: Path, parent: str, path: str, text: str, message: str, env: dict[str, str] | None = None
) -> str:
    """A new commit on top of `parent` whose only change is `path` now holding `text`,
    built from objects alone: the work tree and the index are never touched."""
    listing = _git(root, "ls-tree", parent, "--", path, check=False)
    mode = listing.split(" ", 1)[0] if listing else "100644"
    blob = _git(root, "hash-object", "-w", "--stdin", stdin=text)
    with tempfile.TemporaryDirectory(prefix="mo-index-") as scratch:
        index = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        _git(root, "read-tree", parent, env=index)
        _git(root, "update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=index)
        tree = _git(root, "write-tree", env=index)
    return _git(root, "commit-tree", tree, "-p", parent, "-F", "-", stdin=message, env=env)


def merge_commit(
    root: Path, ours: str, theirs: str, message: str, env: dict[str, str] | None = None
) -> str:
    """A merge commit of `theirs` into `ours` (never a fast-forward), computed with
    `git merge-tree --write-tree` so no work tree is needed; an error on conflicts."""
    result = subprocess.run(
        ["git", "merge-tree", "--write-tree", "--name-only", ours, theirs],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        conflicted = result.stdout.strip().splitlines()[1:]
        raise ModelOpsError(
            f"the promotion conflicts with its base: {', '.join(conflicted) or result.stderr}",
            "close it (mo promote close ID) and promote again from the current base",
        )
    tree = result.stdout.split("\n", 1)[0].strip()
    return _git(
        root, "commit-tree", tree, "-p", ours, "-p", theirs, "-F", "-", stdin=message, env=env
    )


def update_checkout(root: Path, old: str, new: str) -> None:
    """Move the checked-out files from commit `old` to `new` (after the branch itself moved
    to `new`): a two-tree merge that refuses to overwrite local changes."""
    _git(root, "read-tree", "-m", "-u", old, new)


def paths_modified(root: Path, paths: list[str]) -> list[str]:
    """Which of `paths` differ from HEAD in the index or the work tree."""
    staged = diff_names(root, "--cached", "HEAD", "--", *paths)
    unstaged = diff_names(root, "--", *paths)
    return sorted(set(staged) | set(unstaged))


def commit_message(root: Path, rev: str) -> str:
    return _git(root, "log", "-1", "--format=%B", rev, strip=False)


def branches_checked_out_elsewhere(root: Path) -> dict[str, str]:
    """Branch -> path of every other work tree of this repository that has it checked out."""
    here = str(root.resolve())
    found: dict[str, str] = {}
    path = ""
    for line in _git(root, "worktree", "list", "--porcelain", check=False).splitlines():
        if line.startswith("worktree "):
            path = line.removeprefix("worktree ")
        elif line.startswith("branch refs/heads/") and str(Path(path).resolve()) != here:
            found[line.removeprefix("branch refs/heads/")] = path
    return found


def push_refs(root: Path, remote: str, refs: list[str]) -> None:
    """Push each ref to the same name on `remote`; never forced, so a tag someone else
    pushed first is an error, not an overwrite."""
    if refs:
        _git(root, "push", "--quiet", remote, *(f"{ref}:{ref}" for ref in refs))


def messages(root: Path, rev: str, limit: int) -> list[tuple[str, str]]:
    """(sha, full message) of the last `limit` first-parent commits of `rev`, newest first."""
    output = _git(
        root, "log", "--first-parent", f"-n{limit}", "--format=%H%x1f%B%x1e", rev, strip=False
    )
    found = []
    for record in output.split("\x1e"):
        sha, sep, message = record.strip("\n").partition("\x1f")
        if sep:
            found.append((sha, message))
    return found


def commit_author(root: Path, rev: str) -> str:
    return _git(root, "log", "-1", "--format=%an <%ae>", rev)


def commit_time(root: Path, rev: str) -> str:
    return _git(root, "log", "-1", "--format=%cI", rev)


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    return (
        _git(root, "merge-base", "--is-ancestor", ancestor, descendant, check=False, ok=True)
        == "ok"
    )


def read_ref_file(root: Path, ref: str, filename: str) -> str | None:
    return _git(root, "show", f"{ref}:{filename}", check=False) or None


def read_objects(root: Path, revs: list[str]) -> list[str | None]:
    """The text of each `rev:path` (or object name), in one `git cat-file --batch` process."""
    if not revs:
        return []
    result = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=root,
        capture_output=True,
        input="\n".join(revs).encode() + b"\n",
        check=False,
    )
    data, position = result.stdout, 0
    texts: list[str | None] = []
    for _ in revs:
        end = data.index(b"\n", position)
        header = data[position:end].split()
        position = end + 1
        if len(header) < 3 or header[1] == b"missing":
            texts.append(None)
            continue
        size = int(header[2])
        texts.append(data[position : position + size].decode("utf-8", "replace"))
        position += size + 1
    return texts


def refs_under(root: Path, prefix: str) -> list[str]:
    output = _git(root, "for-each-ref", "--format=%(refname)", prefix)
    return [line for line in output.splitlines() if line]


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str
    author: str
    subject: str


def log(root: Path, revisions: list[str], paths: tuple[str, ...] = ()) -> list[Commit]:
    """Commits of `revisions` (e.g. ["A..B"] or ["HEAD"]), newest first, first parents only:
    the history of the branch as it was merged, not of every side branch."""
    output = _git(
        root,
        "log",
        "--first-parent",
        "--format=%H%x1f%aI%x1f%an <%ae>%x1f%s",
        *revisions,
        "--",
        *paths,
        check=False,
    )
    return [Commit(*line.split("\x1f", 3)) for line in output.splitlines() if line]


def resolve(root: Path, rev: str) -> str:
    sha = _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    if not sha:
        raise ModelOpsError(
            f"unknown revision {rev!r}",
            "use a commit, branch or tag that exists here (`git log`); in a "
            "shallow clone, fetch more history (`git fetch --unshallow`)",
        )
    return sha


def changed_files(root: Path, before: str, after: str) -> list[str]:
    return diff_names(root, before, after)


def diff_names(root: Path, *args: str) -> list[str]:
    """`git diff --name-only ARGS` (e.g. "--cached", base)."""
    output = _git(root, "diff", "--name-only", *args, check=False)
    return [line for line in output.splitlines() if line]


def untracked(root: Path) -> list[str]:
    output = _git(root, "ls-files", "--others", "--exclude-standard", check=False)
    return [line for line in output.splitlines() if line]


def hooks_dir(root: Path) -> Path:
    """Where git runs hooks from (honours core.hooksPath and worktrees)."""
    path = Path(_git(root, "rev-parse", "--git-path", "hooks"))
    return path if path.is_absolute() else root / path


def common_dir(root: Path) -> Path:
    """The repository's shared git directory (the same for every worktree)."""
    path = Path(_git(root, "rev-parse", "--git-common-dir"))
    return path if path.is_absolute() else root / path


def config(root: Path, key: str) -> str | None:
    return _git(root, "config", "--get", key, check=False) or None


def parent_commit(root: Path, rev: str) -> str | None:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^", check=False) or None


def resolve_or_none(root: Path, rev: str) -> str | None:
    return _git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False) or None


def staged_sizes(root: Path, paths: list[str]) -> dict[str, int]:
    """Sizes of the staged versions of `paths` (one `git cat-file --batch-check`)."""
    if not paths:
        return {}
    result = subprocess.run(
        ["git", "cat-file", "--batch-check=%(objectsize)"],
        cwd=root,
        input="".join(f":{p}\n" for p in paths),
        capture_output=True,
        text=True,
        check=False,
    )
    sizes = {}
    for path, line in zip(paths, result.stdout.splitlines(), strict=False):
        if line.isdigit():
            sizes[path] = int(line)
    return sizes


@dataclass(frozen=True)
class Tag:
    name: str
    commit: str
    created: str
    body: str


def tags(root: Path) -> list[Tag]:
    """Every tag with the commit it points to, its date and message body: one process, refs
    only (no commit walking)."""
    fields = "%(refname:strip=2)%1f%(objectname)%1f%(*objectname)%1f%(creatordate:iso-strict)"
    output = _git(
        root,
        "for-each-ref",
        f"--format={fields}%1f%(contents:body)%1e",
        "refs/tags",
        strip=False,
        check=False,
    )
    found = []
    for record in output.split("\x1e"):
        parts = record.strip("\n").split("\x1f")
        if len(parts) == 5:
            name, target, peeled, created, body = parts
            found.append(Tag(name, peeled or target, created, body))
    return found


def create_tag(root: Path, name: str, commit: str, message: str) -> bool:
    """Create annotated tag `name` on `commit`; False if a tag of that name exists already
    (another writer won the race), an error for anything else."""
    result = subprocess.run(
        ["git", "tag", "-a", "-F", "-", name, commit],
        cwd=root,
        input=message,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return True
    if "already exists" in result.stderr:
        return False
    raise ModelOpsError(
        f"git tag {name} failed: {result.stderr.strip()}",
        "set your identity (git config user.name / user.email) and retry",
    )


def is_shallow(root: Path) -> bool:
    return _git(root, "rev-parse", "--is-shallow-repository", check=False) == "true"


def tracked(root: Path, rev: str, paths: list[str]) -> set[str]:
    """Which of `paths` are files git tracks at `rev`."""
    if not paths:
        return set()
    output = _git(root, "ls-tree", "-r", "--name-only", rev, "--", *paths, check=False)
    return set(output.splitlines())


def show_file(root: Path, rev: str, path: str) -> str | None:
    """The text of `path` at `rev`, or None where it does not exist."""
    return _git(root, "show", f"{rev}:{path}", check=False, strip=False) or None


def _git(
    root: Path,
    *args: str,
    check: bool = True,
    strip: bool = True,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    ok: bool = False,
) -> str:
    """Run git with an argv list (never a shell). '' on failure when `check` is False; with
    `ok`, "ok" on success (for commands that print nothing)."""
    result = subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, **env} if env else None,
    )
    if result.returncode != 0:
        if check:
            raise ModelOpsError(
                f"git {args[0]} failed: {result.stderr.strip()}",
                "check the repository state with `git status`",
            )
        return ""
    if ok:
        return "ok"
    return result.stdout.strip() if strip else result.stdout
