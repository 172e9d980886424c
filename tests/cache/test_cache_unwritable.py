"""A cache dir that cannot be written (EROFS) or is full (ENOSPC): the documented fallback.

Tests run as root, for whom permissions never fail, so the errors are injected.
"""
import builtins
import errno
import os
import subprocess
import sys
import tempfile
import warnings

import pytest

from cache_testing import CountingBuild, leftovers, load_entry_value, published_keys, tiny_source
from jitgraph.cache import CacheError, CacheStore, CacheWarning, CompileError

KEY = "ef" + "0123456789abcdef" * 3 + "0123456789abcd"
OTHER_KEY = "12" + KEY[2:]


def _get(store, build, key=KEY, value=0):
    return store.get_or_build(key, target="c", source=tiny_source(value), summary="s", build=build)


def _inject(monkeypatch, module, name, err, under):
    """Make ``module.name`` raise OSError(err) for paths under ``under``."""
    real = getattr(module, name)

    def failing(path, *args, **kwargs):
        if str(path).startswith(under):
            raise OSError(err, os.strerror(err), str(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(module, name, failing)


def _inject_write_open(monkeypatch, err, under):
    real = builtins.open

    def failing(path, mode="r", *args, **kwargs):
        if str(path).startswith(under) and any(c in mode for c in "wax+"):
            raise OSError(err, os.strerror(err), str(path))
        return real(path, mode, *args, **kwargs)
    monkeypatch.setattr(builtins, "open", failing)


def test_read_only_cache_builds_privately_and_warns_once(cache_dir, monkeypatch):
    _inject(monkeypatch, os, "makedirs", errno.EROFS, cache_dir)
    store, build = CacheStore(cache_dir), CountingBuild()
    with pytest.warns(CacheWarning) as warned:
        entry = _get(store, build, value=4)
        other = _get(store, build, key=OTHER_KEY, value=6)
    assert len(warned) == 1                                      # once per store, not per module
    text = str(warned[0].message)
    assert cache_dir in text and "EROFS" in text and "private temporary directory" in text
    assert not entry.persistent and not entry.module_path.startswith(cache_dir)
    assert load_entry_value(entry.module_path) == 4 and load_entry_value(other.module_path) == 6
    assert entry.meta["sha256"] and entry.build_info["command"]
    assert _get(store, build, value=4) is entry and build.calls == 2       # memoised
    assert not os.path.exists(cache_dir)


def test_full_disk_at_publish_leaves_no_half_written_entry(cache_dir, monkeypatch):
    _inject(monkeypatch, os, "rename", errno.ENOSPC, cache_dir)
    store, build = CacheStore(cache_dir), CountingBuild()
    with pytest.warns(CacheWarning, match=r"ENOSPC: No space left on device"):
        entry = _get(store, build, value=2)
    assert not entry.persistent and load_entry_value(entry.module_path) == 2
    assert published_keys(cache_dir) == [] and leftovers(cache_dir) == []


def test_full_disk_while_writing_falls_back(cache_dir, monkeypatch):
    os.makedirs(cache_dir)
    _inject_write_open(monkeypatch, errno.ENOSPC, cache_dir)
    store = CacheStore(cache_dir)
    with pytest.warns(CacheWarning, match="ENOSPC"):
        entry = _get(store, CountingBuild(), value=3)
    assert load_entry_value(entry.module_path) == 3
    assert published_keys(cache_dir) == [] and leftovers(cache_dir) == []


def test_compiler_reporting_a_full_disk_falls_back(cache_dir):
    def build(src, out):
        if src.startswith(cache_dir):
            raise CompileError("gcc failed", output="cc1: fatal error: No space left on device")
        return CountingBuild()(src, out)
    with pytest.warns(CacheWarning, match="ENOSPC"):
        entry = _get(CacheStore(cache_dir), build, value=8)
    assert load_entry_value(entry.module_path) == 8
    assert published_keys(cache_dir) == [] and leftovers(cache_dir) == []
    assert not os.path.exists(os.path.join(cache_dir, "failed"))


def test_read_only_cache_still_serves_its_entries(cache_dir, monkeypatch):
    built = _get(CacheStore(cache_dir), CountingBuild(), value=5)
    _inject(monkeypatch, os, "open", errno.EROFS, cache_dir)          # the lock file
    _inject(monkeypatch, os, "makedirs", errno.EROFS, cache_dir)
    _inject_write_open(monkeypatch, errno.EROFS, cache_dir)
    build = CountingBuild()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        entry = _get(CacheStore(cache_dir), build, value=5)
    assert build.calls == 0 and entry.persistent and entry.module_path == built.module_path
    assert load_entry_value(entry.module_path) == 5


def test_full_disk_when_recording_a_hit_is_harmless(cache_dir, monkeypatch):
    built = _get(CacheStore(cache_dir), CountingBuild())
    _inject(monkeypatch, os, "replace", errno.ENOSPC, cache_dir)
    entry = _get(CacheStore(cache_dir), CountingBuild())
    assert entry.module_path == built.module_path and entry.meta["hits"] == 0
    monkeypatch.undo()
    assert [n for n in os.listdir(entry.directory) if ".tmp" in n] == []


def test_no_writable_place_at_all_is_a_clear_cache_error(cache_dir, monkeypatch):
    _inject(monkeypatch, os, "makedirs", errno.EROFS, cache_dir)

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), tempfile.gettempdir())
    monkeypatch.setattr(tempfile, "mkdtemp", no_space)
    build = CountingBuild()
    with pytest.warns(CacheWarning):
        with pytest.raises(CacheError) as info:
            _get(CacheStore(cache_dir), build)
    text = str(info.value)
    assert cache_dir in text and "EROFS" in text and "ENOSPC" in text and "JITGRAPH_CACHE_DIR" in text
    assert build.calls == 0 and not os.path.exists(cache_dir)


def test_other_os_errors_are_cache_errors_not_fallbacks(cache_dir, monkeypatch):
    _inject(monkeypatch, os, "rename", errno.EIO, cache_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(CacheError, match=r"EIO: Input/output error \(at .*" + os.path.basename(KEY)):
            _get(CacheStore(cache_dir), CountingBuild())
    assert published_keys(cache_dir) == [] and leftovers(cache_dir) == []


_CHILD = r"""
import errno, os, sys, warnings
from jitgraph.cache import CacheStore, compile_shared_library
cache_dir = sys.argv[1]
real = os.makedirs
def read_only(path, *a, **k):
    if str(path).startswith(cache_dir):
        raise OSError(errno.EROFS, "Read-only file system", path)
    return real(path, *a, **k)
os.makedirs = read_only
warnings.simplefilter("ignore")
entry = CacheStore(cache_dir).get_or_build("aa" * 32, target="c", source="int jg_entry(void *c) { return 0; }\n",
                                           build=lambda s, o: compile_shared_library(s, o))
print(entry.directory)
"""


def test_private_directories_are_removed_at_exit(tmp_path, cache_dir):
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    proc = subprocess.run([sys.executable, str(script), cache_dir], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    private = proc.stdout.strip()
    assert private and not private.startswith(cache_dir)
    assert not os.path.exists(private)
