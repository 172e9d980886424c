"""Inspecting and tidying a cache directory: what ``jitgraph-cache`` does, as functions.

Removal takes the key's lock, renames the entry out of the way (atomic for readers),
deletes it, and deletes the lock file. A process that opened that lock file just
before may then lock the deleted file while another locks a new one; both may build
the key, and the store keeps the first one published (see store.py), so the race
costs a build, never a wrong entry.
"""
import os
import re
import shutil
import time

from jitgraph.cache.entry import BUILD, META, MODULE, check_entry, read_json
from jitgraph.cache.lock import FileLock

STALE_SECONDS = 3600          # a .tmp-/.trash- dir this old belongs to a process that died
_SHARD = re.compile(r"[0-9a-f]{2}")
_KEY = re.compile(r"[0-9a-f]{8,128}")


class EntryInfo:
    """An entry directory as found on disk, without hashing: ``key``, ``meta`` (None if unreadable)."""

    def __init__(self, cache_dir, key):
        self.cache_dir = cache_dir
        self.key = key
        self.directory = os.path.join(cache_dir, key[:2], key)
        try:
            meta = read_json(os.path.join(self.directory, META))
            self.meta = meta if isinstance(meta, dict) else None
        except (OSError, ValueError):
            self.meta = None
        self.size = directory_size(self.directory)

    def _get(self, name, default):
        return self.meta.get(name, default) if self.meta else default

    target = property(lambda self: self._get("target", "?"))
    summary = property(lambda self: self._get("summary", "") if self.meta else "(meta.json missing or unreadable)")
    hits = property(lambda self: self._get("hits", 0))
    created = property(lambda self: self._get("created", None))
    last_used = property(lambda self: self._get("last_used", None) or self._get("created", None))

    @property
    def source_path(self):
        return os.path.join(self.directory, self._get("source_name", "source.c"))

    @property
    def build_info(self):
        """build.json as a dict, or None when missing or unreadable."""
        try:
            return read_json(os.path.join(self.directory, BUILD))
        except (OSError, ValueError):
            return None

    def as_json(self):
        return {"key": self.key, "directory": self.directory, "size": self.size, "meta": self.meta}


def directory_size(path):
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def iter_entries(cache_dir):
    """Every published entry of ``cache_dir`` (a missing directory has none)."""
    for shard in _listdir(cache_dir):
        if not _SHARD.fullmatch(shard):
            continue
        for key in _listdir(os.path.join(cache_dir, shard)):
            if _KEY.fullmatch(key) and key.startswith(shard) and os.path.isdir(os.path.join(cache_dir, shard, key)):
                yield EntryInfo(cache_dir, key)


def find_entries(cache_dir, prefix):
    """Entries whose key starts with ``prefix`` (case-insensitive)."""
    prefix = prefix.lower()
    return [e for e in iter_entries(cache_dir) if e.key.startswith(prefix)]


def _remove_tree(cache_dir, path):
    """Rename ``path`` aside (atomic for readers), then delete it."""
    trash = os.path.join(cache_dir, f".trash-{os.path.basename(path)[:12]}-{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.rename(path, trash)
    except FileNotFoundError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def remove_entry(info):
    lock = FileLock(os.path.join(info.cache_dir, ".locks", info.key + ".lock"))
    lock.acquire()
    try:
        _remove_tree(info.cache_dir, info.directory)
        try:
            os.unlink(lock.path)
        except FileNotFoundError:
            pass
    finally:
        lock.release()
    try:
        os.rmdir(os.path.dirname(info.directory))   # the shard, once empty
    except OSError:
        pass


def _remove_stale_scratch(cache_dir, now, max_age):
    """Delete .tmp-/.trash- directories older than ``max_age`` seconds (left by dead processes)."""
    for name in _listdir(cache_dir):
        path = os.path.join(cache_dir, name)
        if name.startswith((".tmp-", ".trash-")):
            try:
                if now - os.lstat(path).st_mtime >= max_age:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:
                pass


def _prune_failed(cache_dir, cutoff):
    failed = os.path.join(cache_dir, "failed")
    for key in _listdir(failed):
        path = os.path.join(failed, key)
        try:
            if cutoff is None or os.lstat(path).st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def clear(cache_dir):
    """Remove every entry and kept failed source; returns the removed EntryInfos."""
    removed = list(iter_entries(cache_dir))
    for info in removed:
        remove_entry(info)
    _prune_failed(cache_dir, None)
    _remove_stale_scratch(cache_dir, time.time(), STALE_SECONDS)
    return removed


def prune(cache_dir, older_than=None, max_size=None, now=None):
    """Remove entries unused for ``older_than`` seconds, then the least recently used
    until the entries total at most ``max_size`` bytes. Returns ``(removed, kept)``."""
    now = time.time() if now is None else now
    entries = sorted(iter_entries(cache_dir), key=lambda e: e.last_used or 0)
    removed, kept = [], []
    for info in entries:
        too_old = older_than is not None and (info.last_used is None or now - info.last_used > older_than)
        (removed if too_old else kept).append(info)
    if max_size is not None:
        total = sum(e.size for e in kept)
        while kept and total > max_size:
            info = kept.pop(0)        # least recently used first
            total -= info.size
            removed.append(info)
    for info in removed:
        remove_entry(info)
    if older_than is not None:
        _prune_failed(cache_dir, now - older_than)
    _remove_stale_scratch(cache_dir, now, STALE_SECONDS)
    return removed, kept


def verify_entry(info):
    """None if the entry's hash matches meta.json and module.so loads, else the problem."""
    _, problem = check_entry(info.directory)
    if problem is not None:
        return problem
    import cffi
    ffi = cffi.FFI()
    try:
        lib = ffi.dlopen(os.path.join(info.directory, MODULE))
    except OSError as exc:
        return f"module.so does not load: {exc}"
    ffi.dlclose(lib)
    return None


def stats(cache_dir):
    """Totals over the entries of ``cache_dir``, as a JSON-able dict."""
    entries = list(iter_entries(cache_dir))
    hits = sum(e.hits for e in entries)
    by_target = {}
    for e in entries:
        by_target[e.target] = by_target.get(e.target, 0) + 1
    builds = len(entries)
    return {
        "cache_dir": cache_dir,
        "entries": builds,
        "total_bytes": sum(e.size for e in entries),
        "hits": hits,
        # every entry was built once; each later first-use in a process is a hit
        "hit_rate": hits / (hits + builds) if hits + builds else 0.0,
        "by_target": by_target,
        "unreadable": sum(e.meta is None for e in entries),
        "failed_sources": len(_listdir(os.path.join(cache_dir, "failed"))),
    }


_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_age(text):
    """'30d' -> seconds; units s, m, h, d (a bare number is seconds)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", str(text))
    if not match:
        raise ValueError(f"age {text!r}: expected a number with a unit s, m, h or d, such as 30d or 12h")
    return float(match.group(1)) * _AGE_UNITS[match.group(2) or "s"]


def parse_size(text):
    """'2G' -> bytes; units K, M, G, T (powers of 1024; KB/KiB spellings too; bare number is bytes)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(text), re.IGNORECASE)
    if not match:
        raise ValueError(f"size {text!r}: expected a number with a unit K, M or G, such as 500M or 2G")
    return int(float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()])


def format_size(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def format_age(seconds):
    if seconds is None:
        return "?"
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
