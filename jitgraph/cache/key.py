"""Cache keys: sha256 of a canonical JSON of the caller's parts plus the toolchain.

The caller's ``parts`` hold what it alone knows: the canonical lowered IR text, the
codegen version, the target, the BLAS library and version, and for CUDA the nvcc
version and architecture. :func:`toolchain_fingerprint` adds the compiler, the flags,
the CPU features, numpy's ABI and the platform, so a changed toolchain never reuses a
module built by another.
"""
import hashlib
import json

from jitgraph.cache.build import toolchain_fingerprint

KEY_FORMAT = 1   # bump when the key's recipe changes, so old entries are never matched


def canonical_json(value):
    """Deterministic JSON text: sorted keys, no whitespace; a non-JSON value is a TypeError."""
    def refuse(obj):
        raise TypeError(f"compute_key: cannot put a {type(obj).__name__} ({obj!r:.60}) in a cache key; "
                        f"use str, int, float, bool, None, lists or dicts")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=refuse)


def compute_key(parts, *, cxx=None, flags=()):
    """64-hex-digit sha256 naming the module built from ``parts`` with this toolchain.

    ``cxx`` (default ``config.cxx``) and ``flags`` must be what the build will use, so
    pass the same flags to :func:`compile_shared_library`; ``config.cxxflags`` are
    included by the fingerprint either way.
    """
    if not isinstance(parts, dict):
        raise TypeError(f"compute_key: parts must be a dict, got {type(parts).__name__}")
    text = canonical_json({"key_format": KEY_FORMAT, "parts": parts,
                           "toolchain": toolchain_fingerprint(cxx, flags)})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
