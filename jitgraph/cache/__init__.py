"""Build and cache native modules: the gcc step, content-addressed keys, the on-disk store.

See store.py for the layout and the guarantees (per-key locking, atomic publish,
corruption checks, the unwritable-directory fallback) and cli.py for ``jitgraph-cache``.
"""
from jitgraph.cache.build import (CompileError, CompilerNotFoundError, compile_shared_library,  # noqa: F401
                                  toolchain_fingerprint)
from jitgraph.cache.key import compute_key  # noqa: F401
from jitgraph.cache.store import CacheEntry, CacheError, CacheStore, CacheWarning, default_store  # noqa: F401

__all__ = ["CacheEntry", "CacheError", "CacheStore", "CacheWarning", "CompileError", "CompilerNotFoundError",
           "compile_shared_library", "compute_key", "default_store", "toolchain_fingerprint"]
