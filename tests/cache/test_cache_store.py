"""The on-disk store (jitgraph/cache/store.py): layout, memo, hits, locking, corruption."""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import warnings

import pytest

from cache_testing import CountingBuild, leftovers, load_entry_value, published_keys, tiny_source
from jitgraph import config
from jitgraph.cache import CacheError, CacheStore, CacheWarning, CompileError, default_store
from jitgraph.cache import entry as entry_module, store as store_module
from jitgraph.cache.lock import FileLock

KEY = "ab" + "0123456789abcdef" * 3 + "0123456789abcd"     # 64 hex digits
OTHER_KEY = "cd" + KEY[2:]


def _get(store, build, key=KEY, value=0, summary="add(x, 1)"):
    return store.get_or_build(key, target="c", source=tiny_source(value), summary=summary, build=build)


def test_layout_meta_and_build_json(cache_dir, counting_build):
    before = time.time()
    entry = _get(CacheStore(cache_dir), counting_build, value=3, summary="add(x,\n 1)  # two lines")
    directory = os.path.join(cache_dir, KEY[:2], KEY)
    assert entry.directory == directory and entry.persistent
    assert sorted(os.listdir(directory)) == ["build.json", "meta.json", "module.so", "source.c"]
    assert entry.module_path == os.path.join(directory, "module.so")
    assert load_entry_value(entry.module_path) == 3
    with open(os.path.join(directory, "source.c")) as f:
        assert f.read() == tiny_source(3)

    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    assert meta == entry.meta
    with open(entry.module_path, "rb") as f:
        blob = f.read()
    assert meta["sha256"] == hashlib.sha256(blob).hexdigest() and meta["size"] == len(blob)
    assert meta["target"] == "c" and meta["summary"] == "add(x, 1) # two lines" and meta["hits"] == 0
    assert before <= meta["created"] == meta["last_used"] <= time.time()
    assert 0 < meta["build_seconds"] < 60

    build = entry.build_info
    assert build["command"][1:3] == ["-shared", "-fPIC"] and "-O1" in build["command"]
    # the recorded command names the published files, so it can be rerun as it stands
    assert entry.module_path in build["command"] and os.path.join(directory, "source.c") in build["command"]
    assert "gcc" in build["compiler_version"].lower() and build["seconds"] > 0
    assert build["built_in"].startswith(os.path.join(cache_dir, ".tmp-"))
    assert leftovers(cache_dir) == [] and counting_build.calls == 1


def test_second_lookup_in_process_is_memoised_with_one_stat(cache_dir, counting_build, monkeypatch):
    store = CacheStore(cache_dir)
    entry = _get(store, counting_build)
    hashed, checked = [], []
    for module in (store_module, entry_module):
        monkeypatch.setattr(module, "sha256_file", lambda path: hashed.append(path))
    monkeypatch.setattr(store_module, "check_entry", lambda d: checked.append(d))
    assert _get(store, counting_build) is entry
    assert hashed == [] and checked == [] and counting_build.calls == 1


def test_another_store_reuses_the_entry_and_counts_hits_once_per_process(cache_dir, counting_build):
    first = _get(CacheStore(cache_dir), counting_build)
    assert first.meta["hits"] == 0

    second_process = CacheStore(cache_dir)          # a fresh memo, as in a new process
    entry = _get(second_process, counting_build)
    assert counting_build.calls == 1 and entry.module_path == first.module_path
    assert entry.meta["hits"] == 1 and entry.meta["last_used"] >= first.meta["last_used"]
    _get(second_process, counting_build)             # same process again: no new hit
    with open(os.path.join(entry.directory, "meta.json")) as f:
        assert json.load(f)["hits"] == 1

    third = _get(CacheStore(cache_dir), counting_build)
    assert third.meta["hits"] == 2 and counting_build.calls == 1


_CHILD = r"""
import os, sys, time
from jitgraph.cache import CacheStore, compile_shared_library
cache_dir, key, counter, go = sys.argv[1:5]

def build(src, out):
    with open(counter, "a") as f:
        f.write("%d\n" % os.getpid())
    time.sleep(float(os.environ.get("JG_BUILD_DELAY", "0")))  # keep the other process waiting
    return compile_shared_library(src, out, flags=["-O1"])

open(go + ".ready-%d" % os.getpid(), "w").close()
while not os.path.exists(go):
    time.sleep(0.002)
entry = CacheStore(cache_dir).get_or_build(key, target="c", source="int jg_entry(void *c) { return 5; }\n",
                                           summary="race", build=build)
print(entry.module_path, entry.meta["sha256"], entry.meta["hits"])
"""


def _spawn_children(tmp_path, cache_dir, count, delay):
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    counter, go = tmp_path / "builds.txt", tmp_path / "go"
    env = dict(os.environ, JG_BUILD_DELAY=str(delay))
    procs = [subprocess.Popen([sys.executable, str(script), cache_dir, KEY, str(counter), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(count)]
    deadline = time.time() + 60
    while len(list(tmp_path.glob("go.ready-*"))) < count and time.time() < deadline:
        time.sleep(0.01)     # all imported and waiting at the start line
    go.write_text("")
    results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
    builds = counter.read_text().split() if counter.exists() else []
    return [out.split() for out, _ in results], builds


def test_two_processes_building_at_once_build_once(tmp_path, cache_dir):
    outputs, builds = _spawn_children(tmp_path, cache_dir, count=2, delay=0.5)
    assert len(builds) == 1
    (path_a, sha_a, hits_a), (path_b, sha_b, hits_b) = outputs
    assert path_a == path_b and sha_a == sha_b
    assert sorted([hits_a, hits_b]) == ["0", "1"]     # the builder, and the one that waited and found it
    assert load_entry_value(path_a) == 5
    assert published_keys(cache_dir) == [KEY] and leftovers(cache_dir) == []


def test_a_later_process_runs_no_compiler(tmp_path, cache_dir):
    entry = CacheStore(cache_dir).get_or_build(
        KEY, target="c", source="int jg_entry(void *c) { return 5; }\n", build=CountingBuild())
    outputs, builds = _spawn_children(tmp_path, cache_dir, count=1, delay=0)
    assert builds == []
    assert outputs[0] == [entry.module_path, entry.meta["sha256"], "1"]


def test_threads_building_one_key_build_once(cache_dir):
    store, build = CacheStore(cache_dir), CountingBuild()
    entries, errors = [], []

    def worker():
        try:
            entries.append(_get(store, build))
        except Exception as exc:      # pragma: no cover - reported below
            errors.append(exc)
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(entries) == 4
    assert build.calls == 1 and all(e is entries[0] for e in entries)


def test_lock_is_per_key(cache_dir, counting_build):
    store = CacheStore(cache_dir)
    held = FileLock(store.lock_path(KEY))
    held.acquire()
    done = {}

    def build_key(key):
        done[key] = _get(CacheStore(cache_dir), CountingBuild(), key=key)
    other = threading.Thread(target=build_key, args=(OTHER_KEY,))
    same = threading.Thread(target=build_key, args=(KEY,))
    try:
        other.start()
        same.start()
        other.join(30)
        assert OTHER_KEY in done          # another key's lock does not wait for ours
        same.join(0.3)
        assert KEY not in done            # the same key waits for the holder
    finally:
        held.release()
    same.join(30)
    assert KEY in done


def _truncate(path):
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) // 2)


def _flip_a_byte(path):
    with open(path, "r+b") as f:
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))


@pytest.mark.parametrize("damage, message", [
    (_truncate, r"corrupt \(module.so is \d+ bytes, meta.json records \d+\)"),
    (_flip_a_byte, r"corrupt \(module.so's sha256 differs"),
    (lambda path: os.unlink(os.path.join(os.path.dirname(path), "meta.json")), r"corrupt \(meta.json is missing\)"),
    (lambda path: open(os.path.join(os.path.dirname(path), "meta.json"), "w").write("{trunc"),
     r"corrupt \(meta.json cannot be read"),
    (os.unlink, r"corrupt \(module.so is missing\)"),
])
def test_corrupt_entry_is_detected_rebuilt_and_warned(cache_dir, counting_build, damage, message):
    entry = _get(CacheStore(cache_dir), counting_build, value=9)
    damage(entry.module_path)
    with pytest.warns(CacheWarning, match=message) as warned:
        fresh = _get(CacheStore(cache_dir), counting_build, value=9)
    assert entry.directory in str(warned[0].message) and "rebuilding" in str(warned[0].message)
    assert counting_build.calls == 2
    assert fresh.meta["hits"] == 0 and load_entry_value(fresh.module_path) == 9
    assert entry_module.check_entry(fresh.directory) == (fresh.meta, None)
    assert leftovers(cache_dir) == []


def test_damage_after_a_memoised_lookup_is_caught_in_the_same_process(cache_dir, counting_build):
    store = CacheStore(cache_dir)
    entry = _get(store, counting_build)
    _truncate(entry.module_path)
    with pytest.warns(CacheWarning, match="corrupt"):
        fresh = _get(store, counting_build)
    assert fresh is not entry and counting_build.calls == 2
    assert load_entry_value(fresh.module_path) == 0


def test_cleared_entry_is_rebuilt_by_a_memoising_store(cache_dir, counting_build):
    store = CacheStore(cache_dir)
    entry = _get(store, counting_build)
    shutil.rmtree(entry.directory)                  # what `jitgraph-cache clear` does
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # a removed entry is not a corrupt one
        fresh = _get(store, counting_build)
    assert counting_build.calls == 2 and os.path.exists(fresh.module_path)


def test_compile_error_keeps_the_source_and_publishes_nothing(cache_dir):
    source = "int jg_entry(void *c) {\n  return nope;\n}\n"
    store = CacheStore(cache_dir)
    with pytest.raises(CompileError) as info:
        store.get_or_build(KEY, target="c", source=source, build=CountingBuild())
    kept = os.path.join(cache_dir, "failed", KEY, "source.c")
    with open(kept) as f:
        assert f.read() == source
    text = str(info.value)
    assert f"source kept at: {kept}" in text and "'nope' undeclared" in text and ">  2 |" not in text
    assert "> 2 |   return nope;" in text
    assert published_keys(cache_dir) == [] and leftovers(cache_dir) == []


def test_build_that_writes_no_module_is_a_cache_error(cache_dir):
    with pytest.raises(CacheError, match="returned without writing .*module.so"):
        CacheStore(cache_dir).get_or_build(KEY, target="c", source="x", build=lambda src, out: {})
    assert published_keys(cache_dir) == [] and leftovers(cache_dir) == []


def test_bad_key_and_source_name_are_rejected(cache_dir, counting_build):
    store = CacheStore(cache_dir)
    with pytest.raises(ValueError, match="expected lowercase hex digits"):
        store.get_or_build("../../etc", target="c", source="", build=counting_build)
    with pytest.raises(ValueError, match="source_name 'sub/x.c': expected a plain file name"):
        store.get_or_build(KEY, target="c", source="", source_name="sub/x.c", build=counting_build)
    assert counting_build.calls == 0


def test_source_name_is_kept(cache_dir):
    build = CountingBuild(flags=["-x", "c"])          # gcc reads the .cu file as C
    entry = CacheStore(cache_dir).get_or_build(KEY, target="cuda", source=tiny_source(1), source_name="source.cu",
                                               build=build)
    assert entry.source_path == os.path.join(entry.directory, "source.cu") and os.path.isfile(entry.source_path)
    assert entry.meta["source_name"] == "source.cu" and entry.meta["target"] == "cuda"
    assert entry.source == tiny_source(1) and load_entry_value(entry.module_path) == 1


def test_default_store_is_one_per_directory(tmp_path):
    a = default_store(str(tmp_path / "a"))
    assert default_store(str(tmp_path / "a")) is a
    assert default_store(str(tmp_path / "b")) is not a
    with config.change_flags(cache_dir=str(tmp_path / "c")):
        assert default_store().cache_dir == str(tmp_path / "c")
        assert default_store() is default_store(str(tmp_path / "c"))
