"""The on-disk compile cache: one directory per key, built once, published atomically.

Layout of ``<cache_dir>``::

    <key[:2]>/<key>/            a published entry: module.so, its source (source.c or
                                source.cu), build.json (compiler command, compiler and
                                library versions, build seconds; the command names the
                                published files, ``built_in`` the temporary directory it
                                ran in) and meta.json (created, last_used, hits,
                                build_seconds, size, target, summary, sha256 of module.so)
    .locks/<key>.lock           the per-key lock file (``fcntl.flock``, see lock.py)
    .tmp-<key[:12]>-*/          an entry being built; renamed into place when complete
    .trash-*/                   an entry being removed
    failed/<key>/<source>       sources that did not compile, kept for the error message

Concurrency: a process takes the key's lock, looks the entry up, builds it if missing
into a temporary directory inside the cache dir and publishes it with one
``os.rename``. So concurrent processes build a key once and readers never see a
half-written entry; different keys never wait for each other.

Integrity (entry.py): a lookup checks module.so's size and sha256 against meta.json.
A missing or unreadable meta.json, a missing, truncated or altered module.so makes
the entry corrupt: a :class:`CacheWarning` says so, the entry is removed and rebuilt. Within one
process a memo answers repeated lookups of a key with one ``os.stat`` (inode, size and
mtime unchanged), and ``hits``/``last_used`` in meta.json are updated on the first use
per process only.

An unwritable cache directory — read-only (EROFS), full (ENOSPC), over quota (EDQUOT)
or not permitted (EACCES, EPERM) — is not an error. This is the documented fallback:
an existing valid entry is still used as it is; anything that must be built is built
in a private temporary directory (``tempfile.mkdtemp``, deleted at exit), and one
:class:`CacheWarning` per store names the cache directory and the errno. The module
then works but is not shared with other processes. Only when the private directory
cannot be written either, or on any other OS error, does :class:`CacheError` say what
failed where. No failure leaves a half-written entry: nothing is published but by the
final rename, and the temporary directory is removed on every failure.
"""
import atexit
import contextlib
import errno
import os
import re
import shutil
import tempfile
import threading
import time
import warnings

from jitgraph.cache.build import CompileError
from jitgraph.cache.entry import (BUILD, META, MODULE, CacheEntry, check_entry, sha256_file,
                                  write_json, write_json_atomic)
from jitgraph.cache.lock import FileLock
from jitgraph.config import config

META_FORMAT = 1
UNWRITABLE_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM})
_KEY_PATTERN = re.compile(r"[0-9a-f]{8,128}")


class CacheError(Exception):
    """The cache could not provide a module: what failed, where, and why."""


class CacheWarning(UserWarning):
    """A corrupt entry was rebuilt, or the cache dir is unwritable and a fallback is used."""


class _WriteFailed(Exception):
    """Internal: a filesystem operation of the cache failed (``error``: the OSError)."""

    def __init__(self, error, path):
        super().__init__(error, path)
        self.error, self.path = error, path

    @property
    def unwritable(self):
        return self.error.errno in UNWRITABLE_ERRNOS

    def describe(self):
        name = errno.errorcode.get(self.error.errno, str(self.error.errno))
        return f"{name}: {self.error.strerror or self.error} (at {self.path})"


@contextlib.contextmanager
def _fs(path):
    """Turn an OSError of the enclosed filesystem operation on ``path`` into _WriteFailed."""
    try:
        yield
    except OSError as exc:
        raise _WriteFailed(exc, path) from exc


def _replace_in_strings(value, old, new):
    """``value`` (JSON-like) with every ``old`` inside its strings replaced by ``new``."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, dict):
        return {k: _replace_in_strings(v, old, new) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_replace_in_strings(v, old, new) for v in value]
    return value


class _BuildSpec:
    def __init__(self, key, target, source, source_name, summary, build):
        if os.path.basename(source_name) != source_name or source_name in (MODULE, META, BUILD, "", ".", ".."):
            raise ValueError(f"source_name {source_name!r}: expected a plain file name such as 'source.c'")
        self.key, self.target, self.source, self.source_name = key, target, source, source_name
        self.summary = " ".join(str(summary).split())
        self.build = build


_private_dirs = []


def _remove_private_dirs():
    for directory in _private_dirs:
        shutil.rmtree(directory, ignore_errors=True)


atexit.register(_remove_private_dirs)


class CacheStore:
    """The cache in one directory. Thread-safe; use :func:`default_store` to share one."""

    def __init__(self, cache_dir):
        self.cache_dir = os.path.abspath(os.path.expanduser(str(cache_dir)))
        self._memo = {}
        self._key_locks = {}
        self._lock = threading.Lock()
        self._warned_unwritable = False

    def entry_dir(self, key):
        return os.path.join(self.cache_dir, key[:2], key)

    def lock_path(self, key):
        return os.path.join(self.cache_dir, ".locks", key + ".lock")

    def failed_dir(self, key):
        return os.path.join(self.cache_dir, "failed", key)

    def get_or_build(self, key, *, target, source, build, source_name="source.c", summary=""):
        """The entry for ``key``, built by ``build(src_path, out_path)`` if it is not cached.

        ``build`` compiles the file ``src_path`` (``source`` written as ``source_name``)
        into ``out_path`` and returns the build-info dict saved as build.json (what
        :func:`compile_shared_library` returns). It runs at most once per key across
        concurrent processes. A :class:`CompileError` propagates with the source kept in
        ``<cache_dir>/failed/<key>/``.
        """
        if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
            raise ValueError(f"cache key {key!r}: expected lowercase hex digits (see compute_key)")
        entry = self._memo.get(key)
        if entry is not None and entry.unchanged():
            return entry
        with self._key_lock(key):
            entry = self._memo.get(key)
            if entry is not None and entry.unchanged():
                return entry
            spec = _BuildSpec(key, target, source, source_name, summary, build)
            try:
                entry = self._get_or_build_shared(spec)
            except _WriteFailed as failure:
                if not failure.unwritable:
                    raise CacheError(f"jitgraph cache {self.cache_dir}: {failure.describe()}") from failure.error
                self._warn_unwritable(failure)
                entry = self._build_private(spec, failure)
            self._memo[key] = entry
            return entry

    def _key_lock(self, key):
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def _get_or_build_shared(self, spec):
        lock = FileLock(self.lock_path(spec.key))
        try:
            lock.acquire()
        except OSError as exc:
            # Unlockable: a read-only cache still serves the entries it has.
            entry = self._lookup(spec.key, writable=False) if exc.errno in UNWRITABLE_ERRNOS else None
            if entry is not None:
                return entry
            raise _WriteFailed(exc, lock.path) from exc
        try:
            entry = self._lookup(spec.key, writable=True)
            return entry if entry is not None else self._build_and_publish(spec)
        finally:
            lock.release()

    def _lookup(self, key, writable):
        directory = self.entry_dir(key)
        if not os.path.isdir(directory):
            return None
        meta, problem = check_entry(directory)
        if problem is not None:
            warnings.warn(f"jitgraph cache: entry {directory} is corrupt ({problem}); rebuilding it",
                          CacheWarning, stacklevel=4)
            if writable:
                self._discard(directory)
            return None
        entry = CacheEntry(key, directory, meta)
        if writable:
            self._record_use(entry)
        return entry

    def _record_use(self, entry):
        meta = dict(entry.meta, hits=entry.meta.get("hits", 0) + 1, last_used=time.time())
        try:
            write_json_atomic(os.path.join(entry.directory, META), meta)
        except OSError:
            return      # the statistics are a nicety; the entry itself is fine
        entry.meta = meta

    def _discard(self, directory):
        """Remove an entry directory: rename it out of the way first, so removal is atomic."""
        trash = os.path.join(self.cache_dir, f".trash-{os.path.basename(directory)[:12]}-{os.getpid()}"
                                             f"-{threading.get_ident()}-{time.monotonic_ns()}")
        with _fs(directory):
            try:
                os.rename(directory, trash)
            except FileNotFoundError:
                return
        shutil.rmtree(trash, ignore_errors=True)

    def _build_and_publish(self, spec):
        with _fs(self.cache_dir):
            tmp = tempfile.mkdtemp(prefix=f".tmp-{spec.key[:12]}-", dir=self.cache_dir)
        try:
            final = self.entry_dir(spec.key)
            meta = self._build_into(tmp, spec, keep_failed=self._keep_failed_source, final_dir=final)
            with _fs(final):
                os.chmod(tmp, 0o755)
                os.makedirs(os.path.dirname(final), exist_ok=True)
                try:
                    os.rename(tmp, final)
                except OSError as exc:
                    if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                        raise
                    # Published meanwhile by a process that did not see our lock (its
                    # lock file was removed by `clear`): keep a valid entry, else replace it.
                    theirs, problem = check_entry(final)
                    if problem is None:
                        return CacheEntry(spec.key, final, theirs)
                    self._discard(final)
                    os.rename(tmp, final)
            tmp = None
            return CacheEntry(spec.key, final, meta)
        finally:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)

    def _build_into(self, directory, spec, keep_failed, final_dir=None):
        """Write the source, run the build, write build.json and meta.json; return meta.

        With ``final_dir``, build.json names the files where they will be once published,
        so its command can be rerun as it stands.
        """
        src_path = os.path.join(directory, spec.source_name)
        out_path = os.path.join(directory, MODULE)
        with _fs(src_path), open(src_path, "w", encoding="utf-8") as f:
            f.write(spec.source)
        start = time.perf_counter()
        try:
            info = spec.build(src_path, out_path)
        except CompileError as exc:
            if "No space left on device" in exc.output:
                raise _WriteFailed(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), directory) from exc
            if keep_failed is not None:
                exc.kept_at(keep_failed(spec))
            raise
        seconds = time.perf_counter() - start
        if not os.path.isfile(out_path):
            raise CacheError(f"jitgraph cache: the build of {spec.key} returned without writing {out_path}")
        build_info = dict(info or {})
        if final_dir is not None:
            build_info = _replace_in_strings(build_info, directory, final_dir)
            build_info["built_in"] = directory
        build_info.setdefault("seconds", round(seconds, 6))
        build_info.update(key=spec.key, target=spec.target)
        now = time.time()
        with _fs(out_path):
            meta = {"format": META_FORMAT, "key": spec.key, "target": spec.target, "summary": spec.summary,
                    "source_name": spec.source_name, "created": now, "last_used": now, "hits": 0,
                    "build_seconds": round(seconds, 6), "size": os.path.getsize(out_path),
                    "sha256": sha256_file(out_path)}
        with _fs(directory):
            write_json(os.path.join(directory, BUILD), build_info)
            write_json(os.path.join(directory, META), meta)
        return meta

    def _keep_failed_source(self, spec):
        """Copy a source that did not compile to failed/<key>/ (or a temp dir); its path."""
        for make_dir in (lambda: self.failed_dir(spec.key), lambda: tempfile.mkdtemp(prefix="jitgraph-failed-")):
            try:
                directory = make_dir()
                os.makedirs(directory, exist_ok=True)
                path = os.path.join(directory, spec.source_name)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(spec.source)
                return path
            except OSError:
                continue
        return None

    def _build_private(self, spec, cause):
        try:
            with _fs(tempfile.gettempdir()):
                directory = tempfile.mkdtemp(prefix=f"jitgraph-{spec.key[:12]}-")
            _private_dirs.append(directory)
            meta = self._build_into(directory, spec, keep_failed=None)  # the private dir keeps it
        except _WriteFailed as failure:
            raise CacheError(
                f"jitgraph cache: cannot write to the cache directory {self.cache_dir} ({cause.describe()}) "
                f"nor to a private temporary directory ({failure.describe()}); free some space or point "
                f"JITGRAPH_CACHE_DIR at a writable directory") from failure.error
        return CacheEntry(spec.key, directory, meta, persistent=False)

    def _warn_unwritable(self, failure):
        with self._lock:
            if self._warned_unwritable:
                return
            self._warned_unwritable = True
        warnings.warn(
            f"jitgraph cache: cannot write to the cache directory {self.cache_dir} ({failure.describe()}); "
            f"building compiled modules in a private temporary directory instead, so other processes will "
            f"not reuse them. Point JITGRAPH_CACHE_DIR (or config.cache_dir) at a writable directory.",
            CacheWarning, stacklevel=3)


_stores = {}
_stores_lock = threading.Lock()


def default_store(cache_dir=None):
    """The shared :class:`CacheStore` of ``cache_dir`` (default ``config.cache_dir``): one per directory."""
    directory = os.path.abspath(os.path.expanduser(str(cache_dir or config.cache_dir)))
    with _stores_lock:
        store = _stores.get(directory)
        if store is None:
            store = _stores[directory] = CacheStore(directory)
        return store
