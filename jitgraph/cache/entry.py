"""One cache entry on disk: its files, their integrity check, and the JSON helpers.

An entry directory holds module.so, the source, build.json and meta.json; meta.json
records module.so's size and sha256, which :func:`check_entry` compares.
"""
import contextlib
import hashlib
import json
import os
import threading

MODULE = "module.so"
META = "meta.json"
BUILD = "build.json"


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=1, sort_keys=True)
        f.write("\n")


def write_json_atomic(path, value):
    """Replace ``path`` with ``value`` so that readers see the old or the new file, whole."""
    tmp = f"{path}.tmp{os.getpid()}-{threading.get_ident()}"
    try:
        write_json(tmp, value)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def check_entry(directory):
    """Fully check one entry directory: ``(meta or None, problem or None)``."""
    try:
        meta = read_json(os.path.join(directory, META))
    except FileNotFoundError:
        return None, "meta.json is missing"
    except (OSError, ValueError) as exc:
        return None, f"meta.json cannot be read: {exc}"
    if not isinstance(meta, dict) or not isinstance(meta.get("size"), int) or not meta.get("sha256"):
        return None, "meta.json does not record module.so's size and sha256"
    module = os.path.join(directory, MODULE)
    try:
        size = os.path.getsize(module)
    except OSError:
        return meta, "module.so is missing"
    if size != meta["size"]:
        return meta, f"module.so is {size} bytes, meta.json records {meta['size']}"
    if sha256_file(module) != meta["sha256"]:
        return meta, "module.so's sha256 differs from the one recorded in meta.json"
    return meta, None


def _stat_signature(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


class CacheEntry:
    """One built module: ``module_path``, ``source_path``, ``meta`` (meta.json), ``build_info``.

    ``persistent`` is False for a module built in a private temporary directory because
    the cache directory could not be written.
    """

    def __init__(self, key, directory, meta, persistent=True):
        self.key = key
        self.directory = directory
        self.meta = meta
        self.persistent = persistent
        self.module_path = os.path.join(directory, MODULE)
        self.source_path = os.path.join(directory, meta.get("source_name", "source.c"))
        self._signature = _stat_signature(self.module_path)
        self._build_info = None

    @property
    def build_info(self):
        """The dict in build.json (read on first access)."""
        if self._build_info is None:
            self._build_info = read_json(os.path.join(self.directory, BUILD))
        return self._build_info

    @property
    def source(self):
        with open(self.source_path, encoding="utf-8") as f:
            return f.read()

    def unchanged(self):
        """True while module.so is the very file that was checked (one ``os.stat``)."""
        return self._signature is not None and _stat_signature(self.module_path) == self._signature

    def __repr__(self):
        where = "" if self.persistent else ", private"
        return f"CacheEntry({self.key[:12]}, {self.meta.get('target')!r}, {self.directory!r}{where})"
