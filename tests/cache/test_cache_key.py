"""Cache keys (jitgraph/cache/key.py) and the toolchain fingerprint they include."""
import re
import subprocess

import pytest

from jitgraph import config
from jitgraph.cache import CompilerNotFoundError, build, compute_key, toolchain_fingerprint


def test_key_is_sha256_hex_and_deterministic():
    parts = {"ir": "loop i: out[i] = a[i] + 1", "codegen_version": "1", "target": "c"}
    key = compute_key(parts)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert compute_key(dict(parts)) == key


def test_key_ignores_dict_order_but_not_content():
    a = compute_key({"ir": "x", "target": "c", "blas": {"lib": "openblas", "version": "0.3"}})
    b = compute_key({"blas": {"version": "0.3", "lib": "openblas"}, "target": "c", "ir": "x"})
    assert a == b
    assert compute_key({"ir": "y", "target": "c", "blas": {"lib": "openblas", "version": "0.3"}}) != a
    assert compute_key({"ir": "x", "target": "cuda", "blas": {"lib": "openblas", "version": "0.3"}}) != a
    assert compute_key({"ir": "x", "target": "c", "blas": {"lib": "openblas", "version": "0.4"}}) != a


def test_key_depends_on_flags_and_user_cxxflags():
    parts = {"ir": "x"}
    plain = compute_key(parts, flags=["-O2"])
    assert compute_key(parts, flags=["-O3"]) != plain
    assert compute_key(parts, flags="-O2") == plain          # a flag string is split like a shell
    with config.change_flags(cxxflags="-DJG_USER=1"):
        assert compute_key(parts, flags=["-O2"]) != plain
    assert compute_key(parts, flags=["-O2"]) == plain


def test_key_depends_on_compiler_version(monkeypatch):
    parts = {"ir": "x"}
    before = compute_key(parts, flags=["-Dkey-version-test"])
    fingerprint = dict(toolchain_fingerprint(None, ["-Dkey-version-test"]), compiler_version="gcc 99.0")
    monkeypatch.setattr("jitgraph.cache.key.toolchain_fingerprint", lambda cxx, flags: fingerprint)
    assert compute_key(parts, flags=["-Dkey-version-test"]) != before


def test_key_rejects_values_json_cannot_hold():
    with pytest.raises(TypeError, match="cannot put a set"):
        compute_key({"ir": {1, 2}})
    with pytest.raises(TypeError, match="parts must be a dict"):
        compute_key("ir text")


def test_fingerprint_describes_the_toolchain():
    fp = toolchain_fingerprint(None, ["-O2", "-march=native"])
    assert fp["compiler"].startswith("/")
    assert "gcc" in fp["compiler_version"].lower()
    assert fp["flags"][:2] == ["-O2", "-march=native"]
    assert fp["cpu"] and fp["cpu"] != "unknown"
    assert fp["numpy_abi"]
    assert fp["platform"].startswith("linux")


def test_fingerprint_is_memoised_per_process(monkeypatch):
    first = toolchain_fingerprint(None, ["-O2", "-Dmemo-test"])

    def no_subprocess(*args, **kwargs):
        raise AssertionError("a memoised fingerprint must not run the compiler again")
    monkeypatch.setattr(subprocess, "run", no_subprocess)
    assert toolchain_fingerprint(None, ["-O2", "-Dmemo-test"]) is first
    compute_key({"ir": "x"}, flags=["-O2", "-Dmemo-test"])


def test_missing_compiler_is_a_clear_error():
    with pytest.raises(CompilerNotFoundError, match="'jitgraph-no-such-cc' not found"):
        toolchain_fingerprint("jitgraph-no-such-cc")
    with config.change_flags(cxx="jitgraph-no-such-cc"):
        with pytest.raises(CompilerNotFoundError, match="jitgraph-no-such-cc"):
            compute_key({"ir": "x"})


def test_cpu_features_come_from_cpuinfo_flags():
    with open("/proc/cpuinfo") as f:
        flags_line = next(line for line in f if line.startswith(("flags", "Features")))
    some_flag = flags_line.split(":", 1)[1].split()[0]
    assert some_flag in build.cpu_features()
