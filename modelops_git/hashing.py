"""DVC 3's content hashes for files and directories, computed without importing DVC.

A file's hash is the md5 of its bytes (DVC 3's `md5`, no CRLF normalisation). A directory's
is the md5 of DVC's JSON listing of its files followed by ".dir", as `Tree.as_bytes` and
`Tree.digest` build it in dvc_data/hashfile/tree.py; the walk mirrors `_build_tree` in
dvc_data/hashfile/build.py:

- only files count: empty directories add nothing, an empty directory hashes the listing `[]`;
- a symlink to a file counts as that file (its target's bytes and size); a symlink to a
  directory is neither followed nor listed (os.walk without followlinks);
- DVC's default ignores apply at any depth: directories named .git, .hg and .dvc, files named
  .git, and nested DVC repos (a subdirectory holding a `.dvc` entry);
- .gitignore files are ordinary files and are hashed;
- patterns in the .dvcignore files of the repository root and of the directories above the
  hashed one exclude files and directories (gitignore syntax, as DVC reads them);
- a .dvcignore inside the directory, a dangling symlink or a special file is refused, as
  `dvc add` refuses them.

Where `dvc add` would fail or silently skip, this module hashes or raises instead: a symlink
to a directory given as the path itself is followed (`dvc add` refuses it), and an unreadable
subdirectory raises OSError (os.walk, hence DVC, leaves it out without a word).

`HashCache` remembers each file's (inode, size, mtime_ns, md5) so that unchanged files are not
read again. Like git's index it must never answer for a file rewritten within the same
timestamp tick, so an entry is only recorded when the file's mtime is at least `RACY_NS`
older than the moment the file was read.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from modelops_git.errors import ModelOpsError
from modelops_git.files import write_atomic

__all__ = ["CHUNK_SIZE", "RACY_NS", "HashCache", "HashInfo", "tree_md5"]

CHUNK_SIZE = 1 << 20
RACY_NS = 2_000_000_000
DIR_SUFFIX = ".dir"

_CACHE_VERSION = 2
_IGNORED_DIRS = frozenset({".git", ".hg", ".dvc"})
_IGNORED_FILES = frozenset({".git"})
_DVCIGNORE = ".dvcignore"
_SUBREPO_MARK = ".dvc"
_MD5_HEX = re.compile(r"[0-9a-f]{32}")

# inode, size, mtime_ns, md5
_Entry = tuple[int, int, int, int, str]
_Signature = tuple[int, int, int, int]


@dataclass(frozen=True)
class HashInfo:
    """What `dvc add` writes in a .dvc file's `outs` entry."""

    md5: str
    size: int
    nfiles: int | None


def tree_md5(entries: list[tuple[str, str]]) -> str:
    """DVC's directory hash, ".dir" suffix included, of (relpath with '/', file md5) pairs.

    The suffix is part of the value so it compares equal to the `md5:` DVC writes. Order does
    not matter; a repeated relpath keeps its last md5, as DVC's Tree keeps the last `add`.
    """
    listing = [{"md5": md5, "relpath": rel} for rel, md5 in sorted(dict(entries).items())]
    data = json.dumps(listing, sort_keys=True).encode("utf-8")
    return hashlib.md5(data, usedforsecurity=False).hexdigest() + DIR_SUFFIX


class HashCache:
    """Hashes repo paths as DVC does, reading only files whose stat changed since last time."""

    def __init__(self, root: Path, cache_file: Path | None = None) -> None:
        self.root = root
        self.cache_file = (
            cache_file if cache_file is not None else root / ".modelops" / "state" / "hashes.json"
        )
        self._root = os.fspath(root)
        self._entries = _load(self.cache_file)
        self._dirty = False

    def hash_path(self, rel: str) -> HashInfo | None:
        """The hash of repo-relative `rel` (file or directory); None when it does not exist.

        Raises ModelOpsError for what `dvc add` refuses inside a directory (see the module
        docstring), OSError when something cannot be read, ValueError for a path outside root.
        """
        key = _normalize(rel)
        path = self._root if key == "." else f"{self._root}/{key}"
        try:
            info = Path(path).stat()
        except (FileNotFoundError, NotADirectoryError):
            self._forget(key, keep=frozenset())
            return None
        if stat.S_ISDIR(info.st_mode):
            return self._hash_dir(path, key)
        _require_regular(info, rel)
        return HashInfo(*self._file_md5(path, key, info), None)

    def save(self) -> None:
        """Persist the stat cache atomically; failures are ignored (it is only a speed-up)."""
        if not self._dirty:
            return
        payload = {
            "version": _CACHE_VERSION,
            "entries": {key: list(entry) for key, entry in sorted(self._entries.items())},
        }
        try:
            write_atomic(self.cache_file, json.dumps(payload, separators=(",", ":")))
        except OSError:
            return
        self._dirty = False

    def _hash_dir(self, path: str, key: str) -> HashInfo:
        prefix = "" if key == "." else f"{key}/"
        listing: list[tuple[str, str]] = []
        size = 0
        ignored = _dvcignore(self._root, key)
        for sub, file_path, info in _collect_files(path, key, ignored):
            md5, file_size = self._file_md5(file_path, prefix + sub, info)
            listing.append((sub, md5))
            size += file_size
        self._forget(key, keep=frozenset(prefix + sub for sub, _ in listing))
        return HashInfo(tree_md5(listing), size, len(listing))

    def _file_md5(self, path: str, key: str, info: os.stat_result) -> tuple[str, int]:
        """The file's md5 and the size that goes with it."""
        signature = _signature(info)
        entry = self._entries.get(key)
        if entry is not None and entry[:4] == signature:
            return entry[4], entry[1]
        md5, after = _md5_of(path)
        read_at = time.time_ns()
        # Same stat before and after the read, and old enough that a rewrite now would show.
        if _signature(after) == signature and signature[2] <= read_at - RACY_NS:
            self._entries[key] = (*signature, md5)
            self._dirty = True
        elif self._entries.pop(key, None) is not None:
            self._dirty = True
        return md5, after.st_size

    def _forget(self, key: str, keep: frozenset[str]) -> None:
        """Drop entries for `key` and everything under it, except `keep`."""
        prefix = "" if key == "." else f"{key}/"
        stale = [
            name
            for name in self._entries
            if (name == key or name.startswith(prefix)) and name not in keep
        ]
        for name in stale:
            del self._entries[name]
        self._dirty = self._dirty or bool(stale)


def _normalize(rel: str) -> str:
    key = posixpath.normpath(rel.replace(os.sep, "/")) if rel else "."
    if posixpath.isabs(key) or key == ".." or key.startswith("../"):
        raise ValueError(f"not a path inside the repository: {rel!r}")
    return key


def _signature(info: os.stat_result) -> _Signature:
    # ctime too: unlike mtime it cannot be set back by hand (touch -d, os.utime).
    return (info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def _require_regular(info: os.stat_result, shown: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ModelOpsError(
            f"{shown} is not a regular file (a device, socket or pipe)",
            "DVC cannot track it: move it out of the data directory",
        )


Ignored = Callable[[str, bool], bool]


def _dvcignore(root: str, key: str) -> Ignored | None:
    """What the `.dvcignore` files above directory `key` exclude (gitignore patterns, each
    relative to its file's directory), or None when there are none."""
    from_dirs = ["", *(posixpath.join(*key.split("/")[:n]) for n in range(1, key.count("/") + 1))]
    specs = []
    for directory in from_dirs if key != "." else [""]:
        file = Path(root, directory, _DVCIGNORE)
        if file.is_file():
            import pathspec

            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
            specs.append((directory, pathspec.GitIgnoreSpec.from_lines(lines)))
    if not specs:
        return None

    def ignored(path: str, is_dir: bool) -> bool:
        for directory, spec in specs:
            relative = path[len(directory) + 1 :] if directory else path
            if spec.match_file(relative + ("/" if is_dir else "")):
                return True
        return False

    return ignored


def _collect_files(
    top: str, shown: str, ignored: Ignored | None = None
) -> list[tuple[str, str, os.stat_result]]:
    """(relpath with '/', path, stat following symlinks) of each file DVC would list."""
    base = "" if shown == "." else f"{shown}/"
    found: list[tuple[str, str, os.stat_result]] = []
    pending = [(top, "")]
    while pending:
        directory, prefix = pending.pop()
        with os.scandir(directory) as scan:
            entries = list(scan)
        if prefix and any(entry.name == _SUBREPO_MARK for entry in entries):
            continue
        for entry in entries:
            is_dir = _is_dir(entry)
            if ignored is not None and ignored(f"{base}{prefix}{entry.name}", is_dir):
                continue
            if is_dir:
                if entry.name not in _IGNORED_DIRS and not entry.is_symlink():
                    pending.append((entry.path, f"{prefix}{entry.name}/"))
            elif entry.name not in _IGNORED_FILES:
                found.append(_file_entry(entry, prefix, shown))
    return found


def _is_dir(entry: os.DirEntry[str]) -> bool:
    # os.walk's rule: follow symlinks to classify, count unreadable entries as files
    try:
        return entry.is_dir()
    except OSError:
        return False


def _file_entry(
    entry: os.DirEntry[str], prefix: str, shown: str
) -> tuple[str, str, os.stat_result]:
    sub = prefix + entry.name
    if entry.name == _DVCIGNORE:
        raise ModelOpsError(
            f"{shown}/{sub}: a .dvcignore file cannot be inside a directory DVC tracks",
            "move its patterns to a .dvcignore above the directory",
        )
    try:
        info = entry.stat()
    except FileNotFoundError:
        if not entry.is_symlink():
            raise
        raise ModelOpsError(
            f"{shown}/{sub} is a dangling symlink", "remove it or restore its target"
        ) from None
    _require_regular(info, f"{shown}/{sub}")
    return sub, entry.path, info


def _md5_of(path: str) -> tuple[str, os.stat_result]:
    """The md5 of a file read in CHUNK_SIZE pieces, and its stat once read."""
    hasher = hashlib.md5(usedforsecurity=False)
    with Path(path).open("rb", buffering=0) as handle:
        while chunk := handle.read(CHUNK_SIZE):
            hasher.update(chunk)
        return hasher.hexdigest(), os.fstat(handle.fileno())


def _load(cache_file: Path) -> dict[str, _Entry]:
    """The saved entries, or none when the file is missing, unreadable or malformed."""
    try:
        raw = json.loads(cache_file.read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    if not isinstance(raw, dict) or raw.get("version") != _CACHE_VERSION:
        return {}
    saved = raw.get("entries")
    if not isinstance(saved, dict):
        return {}
    entries: dict[str, _Entry] = {}
    for key, value in saved.items():
        entry = _parse_entry(value)
        if entry is None:
            return {}
        entries[key] = entry
    return entries


def _parse_entry(value: object) -> _Entry | None:
    if not isinstance(value, list) or len(value) != 5:
        return None
    inode, size, mtime_ns, ctime_ns, md5 = value
    if not all(type(number) is int for number in (inode, size, mtime_ns, ctime_ns)):
        return None
    if inode < 0 or size < 0:
        return None
    if not isinstance(md5, str) or not _MD5_HEX.fullmatch(md5):
        return None
    return inode, size, mtime_ns, ctime_ns, md5
