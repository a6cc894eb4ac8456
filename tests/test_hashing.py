"""hashing.py: DVC 3's hashes (checked against real `dvc add`) and the stat cache's rules."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from modelops_git import hashing
from modelops_git.errors import ModelOpsError
from modelops_git.hashing import HashCache, HashInfo, tree_md5
from tests.conftest import git

EMPTY_TREE = "d751713988987e9331980363e24189ce.dir"  # md5 of b"[]"
OLD = 10 * 10**9  # well outside the racy window


def dvc(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=repo, capture_output=True, text=True
    )


def dvc_out(repo: Path, target: str) -> HashInfo:
    """What `dvc add TARGET` wrote in TARGET.dvc."""
    (out,) = yaml.safe_load((repo / f"{target}.dvc").read_text())["outs"]
    assert out["hash"] == "md5"
    return HashInfo(out["md5"], out["size"], out.get("nfiles"))


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def age(path: Path, seconds_ago: int = OLD) -> int:
    """Move a file's mtime into the past so the cache may trust it; the new mtime_ns."""
    mtime_ns = time.time_ns() - seconds_ago
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return mtime_ns


def age_tree(top: Path) -> None:
    for path in top.rglob("*"):
        if path.is_file() and not path.is_symlink():
            age(path)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every file the hasher reads (content hashing goes through `_md5_of` only)."""
    seen: list[str] = []
    real = hashing._md5_of

    def counting(path: str) -> tuple[str, os.stat_result]:
        seen.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(hashing, "_md5_of", counting)
    return seen


def build_dataset(repo: Path) -> None:
    """Files and directories covering what DVC's hashing distinguishes."""
    write(repo / "plain.txt", "hello\n")
    write(repo / "empty.bin", b"")
    write(repo / "crlf.txt", b"one\r\ntwo\r\n")
    write(repo / "binary.bin", bytes(range(256)) * 9000)  # > CHUNK_SIZE: read in pieces
    data = repo / "data"
    write(data / "a.txt", "alpha\n")
    write(data / "a-b", "dash sorts before dot\n")
    write(data / "a" / "q", "slash sorts after dot\n")
    write(data / "B" / "upper", "capitals sort first\n")
    write(data / "empty", b"")
    write(data / "crlf.csv", b"x,y\r\n1,2\r\n")
    write(data / "blob.bin", bytes(range(256)) * 5000)
    write(data / "sub" / "deeper" / "leaf.txt", "leaf\n")
    write(data / "sub" / "sibling.txt", "sibling\n")
    write(data / ".gitignore", "*.tmp\n")
    write(data / "caf\u00e9.txt", "non-ascii name\n")
    (data / "empty_dir" / "nested_empty").mkdir(parents=True)
    (data / "link_to_file").symlink_to("a.txt")
    (data / "link_to_dir").symlink_to("sub")
    special = repo / "special"
    write(special / "kept.txt", "kept\n")
    write(special / ".git", "gitdir: elsewhere\n")
    write(special / ".hg" / "store", "mercurial\n")
    write(special / "inner" / ".dvc" / "config", "nested dvc dir\n")
    write(special / "subrepo" / ".dvc" / "config", "")
    write(special / "subrepo" / "model.bin", "belongs to the nested repo\n")
    write(special / "plain" / ".hg", "a file named .hg is data\n")
    (repo / "empty_top").mkdir()


DATASET_TARGETS = ["plain.txt", "empty.bin", "crlf.txt", "binary.bin", "data", "special"]


@pytest.mark.slow
def test_hashes_match_dvc_add(git_dir: Path) -> None:
    build_dataset(git_dir)
    cache = HashCache(git_dir)
    ours = {target: cache.hash_path(target) for target in [*DATASET_TARGETS, "empty_top"]}
    assert dvc(git_dir, "init", "-q").returncode == 0
    added = dvc(git_dir, "add", *DATASET_TARGETS)
    assert added.returncode == 0, added.stderr
    added = dvc(git_dir, "add", "empty_top")
    assert added.returncode == 0, added.stderr

    for target, info in ours.items():
        assert info == dvc_out(git_dir, target), target
    assert ours["crlf.txt"] == HashInfo(hashlib.md5(b"one\r\ntwo\r\n").hexdigest(), 10, None)
    assert ours["empty.bin"] == HashInfo("d41d8cd98f00b204e9800998ecf8427e", 0, None)
    assert ours["empty_top"] == HashInfo(EMPTY_TREE, 0, 0)
    # 11 files + link_to_file; link_to_dir and the empty directories add nothing
    assert ours["data"] is not None and ours["data"].nfiles == 12
    # kept.txt and plain/.hg; not .git, .hg/, inner/.dvc/ or the nested repo
    assert ours["special"] is not None and ours["special"].nfiles == 2


@pytest.mark.slow
def test_what_dvc_refuses_is_refused(git_dir: Path) -> None:
    write(git_dir / "dangling" / "ok.txt", "ok\n")
    (git_dir / "dangling" / "gone").symlink_to("nowhere")
    write(git_dir / "ignorefile" / "ok.txt", "ok\n")
    write(git_dir / "ignorefile" / "deep" / ".dvcignore", "*.log\n")
    cache = HashCache(git_dir)
    with pytest.raises(ModelOpsError, match="dangling symlink"):
        cache.hash_path("dangling")
    with pytest.raises(ModelOpsError, match=r"\.dvcignore"):
        cache.hash_path("ignorefile")

    assert dvc(git_dir, "init", "-q").returncode == 0
    refused = dvc(git_dir, "add", "dangling")
    assert refused.returncode != 0 and "No such file" in refused.stderr
    refused = dvc(git_dir, "add", "ignorefile")
    assert refused.returncode != 0 and "should not be in collected dir" in refused.stderr


@pytest.mark.slow
def test_dvcignore_patterns_match_dvc(git_dir: Path) -> None:
    write(git_dir / "logs" / "keep.txt", "keep\n")
    write(git_dir / "logs" / "noise.log", "dropped by DVC\n")
    write(git_dir / "logs" / "tmp" / "scratch.txt", "dropped with its directory\n")
    write(git_dir / "logs" / "deep" / "kept.txt", "kept\n")
    write(git_dir / "logs" / "deep" / "also.log", "dropped\n")
    assert dvc(git_dir, "init", "-q").returncode == 0
    write(git_dir / ".dvcignore", "*.log\nlogs/tmp/\n")
    ours = HashCache(git_dir).hash_path("logs")
    assert dvc(git_dir, "add", "logs").returncode == 0
    assert ours == dvc_out(git_dir, "logs")


def test_file_and_directory_results(tmp_path: Path) -> None:
    write(tmp_path / "d" / "x", "x")
    write(tmp_path / "d" / "sub" / "y", "yy")
    cache = HashCache(tmp_path)

    assert cache.hash_path("d/x") == HashInfo(hashlib.md5(b"x").hexdigest(), 1, None)
    expected = tree_md5(
        [("x", hashlib.md5(b"x").hexdigest()), ("sub/y", hashlib.md5(b"yy").hexdigest())]
    )
    assert cache.hash_path("d") == HashInfo(expected, 3, 2)
    assert cache.hash_path("./d/") == cache.hash_path("d")


def test_missing_path_is_none(tmp_path: Path) -> None:
    write(tmp_path / "file", "x")
    cache = HashCache(tmp_path)
    assert cache.hash_path("absent") is None
    assert cache.hash_path("absent/deeper") is None
    assert cache.hash_path("file/child") is None
    (tmp_path / "dangling").symlink_to("nowhere")
    assert cache.hash_path("dangling") is None


def test_paths_outside_the_repo_are_rejected(tmp_path: Path) -> None:
    cache = HashCache(tmp_path)
    for rel in ["../x", "/etc/passwd", "a/../../x"]:
        with pytest.raises(ValueError, match="not a path inside"):
            cache.hash_path(rel)


def test_tree_md5_is_order_independent_and_suffixed() -> None:
    entries = [("b", "0" * 32), ("a/c", "1" * 32), ("a-c", "2" * 32)]
    assert tree_md5(entries) == tree_md5(list(reversed(entries)))
    assert tree_md5(entries).endswith(".dir")
    assert tree_md5([]) == EMPTY_TREE
    listing = b'[{"md5": "22222222222222222222222222222222", "relpath": "a-c"}, '
    listing += b'{"md5": "11111111111111111111111111111111", "relpath": "a/c"}, '
    listing += b'{"md5": "00000000000000000000000000000000", "relpath": "b"}]'
    assert tree_md5(entries) == hashlib.md5(listing).hexdigest() + ".dir"


def test_large_files_are_hashed_across_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(3 * 4096 + 17)
    write(tmp_path / "big", data)
    monkeypatch.setattr(hashing, "CHUNK_SIZE", 4096)
    info = HashCache(tmp_path).hash_path("big")
    assert info == HashInfo(hashlib.md5(data).hexdigest(), len(data), None)


def test_unchanged_old_files_are_not_read_again(tmp_path: Path, reads: list[str]) -> None:
    for index in range(5):
        write(tmp_path / "d" / f"f{index}", f"content {index}")
    age_tree(tmp_path / "d")
    cache = HashCache(tmp_path)

    first = cache.hash_path("d")
    assert sorted(reads) == [f"f{index}" for index in range(5)]
    reads.clear()
    assert cache.hash_path("d") == first
    assert cache.hash_path("d/f0") is not None
    assert reads == []


def test_recent_files_are_read_every_time(tmp_path: Path, reads: list[str]) -> None:
    write(tmp_path / "fresh", "just written")
    cache = HashCache(tmp_path)
    cache.hash_path("fresh")
    cache.hash_path("fresh")
    assert reads == ["fresh", "fresh"]


def test_same_size_rewrite_with_restored_mtime_is_seen(tmp_path: Path) -> None:
    """The racy case: rewritten within one timestamp tick, so size and mtime look unchanged."""
    path = write(tmp_path / "d" / "weights", "aaaa")
    before = path.stat()
    cache = HashCache(tmp_path)
    first_file = cache.hash_path("d/weights")
    first_dir = cache.hash_path("d")

    path.write_text("bbbb")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_ino == before.st_ino
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)

    assert cache.hash_path("d/weights") == HashInfo(hashlib.md5(b"bbbb").hexdigest(), 4, None)
    assert cache.hash_path("d/weights") != first_file
    assert cache.hash_path("d") != first_dir
    cache.save()
    path.write_text("cccc")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    reloaded = HashCache(tmp_path)
    assert reloaded.hash_path("d/weights") == HashInfo(hashlib.md5(b"cccc").hexdigest(), 4, None)


def test_changes_to_old_files_are_seen(tmp_path: Path) -> None:
    path = write(tmp_path / "model", "version 1")
    age(path)
    cache = HashCache(tmp_path)
    cache.hash_path("model")

    path.write_text("version 22")
    assert cache.hash_path("model") == HashInfo(hashlib.md5(b"version 22").hexdigest(), 10, None)
    path.write_text("version 33")
    assert cache.hash_path("model") == HashInfo(hashlib.md5(b"version 33").hexdigest(), 10, None)
    replacement = write(tmp_path / "replacement", "version 44")
    replacement.replace(path)
    assert cache.hash_path("model") == HashInfo(hashlib.md5(b"version 44").hexdigest(), 10, None)


def test_forged_mtime_on_an_old_file_is_seen(tmp_path: Path, reads: list[str]) -> None:
    """Content changed behind the same inode, with the size kept and the old mtime put back by
    hand (`touch -d`, `os.utime`), is read again: the ctime that cannot be forged moved."""
    path = write(tmp_path / "model", "aaaa")
    mtime_ns = age(path)
    cache = HashCache(tmp_path)
    cache.hash_path("model")
    path.write_text("bbbb")
    os.utime(path, ns=(mtime_ns, mtime_ns))
    reads.clear()
    assert cache.hash_path("model") == HashInfo(hashlib.md5(b"bbbb").hexdigest(), 4, None)
    assert reads != []


def test_directory_follows_added_and_removed_files(tmp_path: Path) -> None:
    write(tmp_path / "d" / "keep", "k")
    gone = write(tmp_path / "d" / "gone", "g")
    age_tree(tmp_path / "d")
    cache = HashCache(tmp_path)
    cache.hash_path("d")
    cache.save()

    gone.unlink()
    write(tmp_path / "d" / "new", "n")
    expected = tree_md5(
        [("keep", hashlib.md5(b"k").hexdigest()), ("new", hashlib.md5(b"n").hexdigest())]
    )
    assert cache.hash_path("d") == HashInfo(expected, 2, 2)
    cache.save()
    saved = json.loads(cache.cache_file.read_text())["entries"]
    assert "d/gone" not in saved and "d/keep" in saved


def test_save_and_load_round_trip(tmp_path: Path, reads: list[str]) -> None:
    write(tmp_path / "d" / "one", "1")
    write(tmp_path / "d" / "deep" / "two", "22")
    age_tree(tmp_path / "d")
    cache = HashCache(tmp_path)
    first = cache.hash_path("d")
    cache.save()

    cache_file = tmp_path / ".modelops" / "state" / "hashes.json"
    saved = json.loads(cache_file.read_text())
    assert saved["version"] == 2
    one = (tmp_path / "d" / "one").stat()
    assert saved["entries"]["d/one"] == [
        one.st_ino,
        one.st_size,
        one.st_mtime_ns,
        one.st_ctime_ns,
        hashlib.md5(b"1").hexdigest(),
    ]
    assert sorted(saved["entries"]) == ["d/deep/two", "d/one"]
    assert [p.name for p in cache_file.parent.iterdir()] == ["hashes.json"]  # no temp left

    reads.clear()
    assert HashCache(tmp_path).hash_path("d") == first
    assert reads == []


def test_save_to_a_custom_file(tmp_path: Path) -> None:
    age(write(tmp_path / "f", "x"))
    cache_file = tmp_path / "elsewhere" / "cache.json"
    cache = HashCache(tmp_path, cache_file)
    cache.hash_path("f")
    cache.save()
    assert "f" in json.loads(cache_file.read_text())["entries"]


def test_save_failure_is_silent(tmp_path: Path) -> None:
    age(write(tmp_path / "f", "x"))
    write(tmp_path / "blocker", "a file where the cache directory should be")
    cache = HashCache(tmp_path, tmp_path / "blocker" / "hashes.json")
    cache.hash_path("f")
    cache.save()
    assert (tmp_path / "blocker").read_text().startswith("a file")


CORRUPT: list[bytes] = [
    b"",
    b"\xff\xfe not json",
    b'{"version": 1, "entries": ',
    b"[]",
    b'{"version": 2, "entries": {}}',
    b'{"version": 1, "entries": []}',
    b'{"version": 1, "entries": {"f": [1, 2, 3]}}',
    b'{"version": 1, "entries": {"f": [1, 2, 3, "not-an-md5"]}}',
    b'{"version": 1, "entries": {"f": [true, 2, 3, "d41d8cd98f00b204e9800998ecf8427e"]}}',
    b'{"version": 1, "entries": {"f": [-1, 2, 3, "d41d8cd98f00b204e9800998ecf8427e"]}}',
    b"[" * 100_000,
]


@pytest.mark.parametrize("content", CORRUPT, ids=range(len(CORRUPT)))
def test_corrupt_cache_file_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path / "f", "x")
    age(path)
    cache_file = write(tmp_path / "cache.json", content)
    cache = HashCache(tmp_path, cache_file)
    assert cache.hash_path("f") == HashInfo(hashlib.md5(b"x").hexdigest(), 1, None)
    cache.save()
    saved = json.loads(cache_file.read_text())["entries"]
    assert saved["f"][:3] == [path.stat().st_ino, 1, path.stat().st_mtime_ns]


def test_lying_cache_entry_for_another_stat_is_not_used(tmp_path: Path) -> None:
    path = write(tmp_path / "f", "real")
    age(path)
    info = path.stat()
    wrong = {"version": 1, "entries": {"f": [info.st_ino + 1, 4, info.st_mtime_ns, "0" * 32]}}
    cache_file = write(tmp_path / "cache.json", json.dumps(wrong))
    assert HashCache(tmp_path, cache_file).hash_path("f") == HashInfo(
        hashlib.md5(b"real").hexdigest(), 4, None
    )


def test_unreadable_cache_file_is_ignored(tmp_path: Path) -> None:
    write(tmp_path / "f", "x")
    (tmp_path / "cache_dir").mkdir()
    cache = HashCache(tmp_path, tmp_path / "cache_dir")
    assert cache.hash_path("f") is not None
    cache.save()


def test_symlinks_inside_a_directory(tmp_path: Path) -> None:
    """As DVC: a link to a file is that file; a link to a directory is skipped."""
    write(tmp_path / "d" / "target.txt", "t")
    write(tmp_path / "d" / "sub" / "s", "s")
    (tmp_path / "d" / "alias").symlink_to("target.txt")
    (tmp_path / "d" / "subalias").symlink_to("sub")
    info = HashCache(tmp_path).hash_path("d")
    md5_t, md5_s = hashlib.md5(b"t").hexdigest(), hashlib.md5(b"s").hexdigest()
    expected = tree_md5([("alias", md5_t), ("sub/s", md5_s), ("target.txt", md5_t)])
    assert info == HashInfo(expected, 3, 3)


def test_retargeted_symlink_is_rehashed(tmp_path: Path) -> None:
    for name in ["one", "two"]:
        age(write(tmp_path / "d" / name, name * 2))
    link = tmp_path / "d" / "link"
    link.symlink_to("one")
    cache = HashCache(tmp_path)
    cache.hash_path("d")
    link.unlink()
    link.symlink_to("two")
    md5_one, md5_two = hashlib.md5(b"oneone").hexdigest(), hashlib.md5(b"twotwo").hexdigest()
    expected = tree_md5([("link", md5_two), ("one", md5_one), ("two", md5_two)])
    assert cache.hash_path("d") == HashInfo(expected, 18, 3)


def test_repo_root_skips_git_dir(git_dir: Path) -> None:
    write(git_dir / "only.txt", "x")
    git(git_dir, "status")
    expected = tree_md5([("only.txt", hashlib.md5(b"x").hexdigest())])
    assert HashCache(git_dir).hash_path(".") == HashInfo(expected, 1, 1)


def test_special_files_are_refused_without_blocking(tmp_path: Path) -> None:
    write(tmp_path / "d" / "ok", "ok")
    os.mkfifo(tmp_path / "d" / "pipe")
    cache = HashCache(tmp_path)
    with pytest.raises(ModelOpsError, match="not a regular file"):
        cache.hash_path("d")
    with pytest.raises(ModelOpsError, match="not a regular file"):
        cache.hash_path("d/pipe")


def test_file_changed_while_hashed_is_not_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer racing the hasher: the bytes read belong to no stat the cache saw."""
    path = write(tmp_path / "f", "old")
    age(path)
    real = hashing._md5_of

    def racing_writer(file_path: str) -> tuple[str, os.stat_result]:
        Path(file_path).write_text("newer")
        return real(file_path)

    monkeypatch.setattr(hashing, "_md5_of", racing_writer)
    cache = HashCache(tmp_path)
    assert cache.hash_path("f") == HashInfo(hashlib.md5(b"newer").hexdigest(), 5, None)
    cache.save()
    assert not cache.cache_file.exists()
