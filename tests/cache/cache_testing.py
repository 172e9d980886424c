"""Helpers shared by the cache tests (imported as ``cache_testing``; fixtures are in conftest.py)."""
import os

from jitgraph.cache import compile_shared_library


def tiny_source(value=0):
    """A real C module whose ``jg_entry`` returns ``value`` (another value, another .so)."""
    return f"int jg_entry(void *c) {{ return {value}; }}\n"


class CountingBuild:
    """A build callable running the real gcc and counting its runs."""

    def __init__(self, flags=("-O1",)):
        self.flags = list(flags)
        self.calls = 0

    def __call__(self, src_path, out_path):
        self.calls += 1
        return compile_shared_library(src_path, out_path, flags=self.flags)


def load_entry_value(module_path):
    """Call ``jg_entry`` in a built module through cffi (ABI mode) and return its result."""
    import cffi
    ffi = cffi.FFI()
    ffi.cdef("int jg_entry(void *c);")
    lib = ffi.dlopen(module_path)
    try:
        return lib.jg_entry(ffi.NULL)
    finally:
        ffi.dlclose(lib)


def leftovers(cache_dir):
    """Scratch directories (.tmp-/.trash-) left in ``cache_dir``; a clean cache has none."""
    if not os.path.isdir(cache_dir):
        return []
    return [n for n in os.listdir(cache_dir) if n.startswith((".tmp-", ".trash-"))]


def published_keys(cache_dir):
    """Keys of the entry directories under ``cache_dir``."""
    keys = []
    if os.path.isdir(cache_dir):
        for shard in os.listdir(cache_dir):
            if len(shard) == 2 and os.path.isdir(os.path.join(cache_dir, shard)):
                keys += os.listdir(os.path.join(cache_dir, shard))
    return sorted(keys)
