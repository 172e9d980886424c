"""``jitgraph-cache`` on entries built by the real gcc.

Every subcommand runs once through the installed console script (``run_cli``); the
variants (``--json``, errors, options) run ``main`` in-process (``cli``), since each
new process pays for importing jitgraph.
"""
import hashlib
import json
import os
import subprocess
import sys
import time

import pytest

from cache_testing import CountingBuild, published_keys, tiny_source
from jitgraph import config
from jitgraph.cache import CacheStore
from jitgraph.cache import maintenance as mt
from jitgraph.cache.cli import main

SCRIPT = os.path.join(os.path.dirname(sys.executable), "jitgraph-cache")
KEY_A = "a1" + "0" * 62
KEY_B = "b2" + "1" * 62


def run_cli(*args, env=None, check=None):
    proc = subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, **(env or {})))
    if check is not None:
        assert proc.returncode == check, (proc.stdout, proc.stderr)
    return proc


@pytest.fixture
def cli(capsys):
    """Run ``jitgraph-cache ARGS`` in-process: ``(exit status, stdout, stderr)``."""
    def run(*args, check=None):
        code = main(list(args))
        out, err = capsys.readouterr()
        if check is not None:
            assert code == check, (out, err)
        return code, out, err
    return run


@pytest.fixture
def run_json(cli):
    return lambda *args: json.loads(cli(*args, "--json", check=0)[1])


@pytest.fixture
def filled(cache_dir):
    """A cache with two real entries; A has been used again by another process (1 hit)."""
    build = CountingBuild()
    CacheStore(cache_dir).get_or_build(KEY_A, target="c", source=tiny_source(1), summary="elemwise add(x, 1)",
                                       build=build)
    CacheStore(cache_dir).get_or_build(KEY_B, target="c", source=tiny_source(2), summary="gemm then softmax",
                                       build=build)
    CacheStore(cache_dir).get_or_build(KEY_A, target="c", source=tiny_source(1), build=build)
    assert build.calls == 2
    return cache_dir


def _entry_dir(cache_dir, key):
    return os.path.join(cache_dir, key[:2], key)


def test_console_script_is_installed():
    assert os.access(SCRIPT, os.X_OK), f"{SCRIPT} missing: run pip install -e ."


def test_list_table_through_the_script(filled, tmp_path):
    # --dir beats JITGRAPH_CACHE_DIR
    out = run_cli("--dir", filled, "list", env={"JITGRAPH_CACHE_DIR": str(tmp_path / "other")}, check=0).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["KEY", "TARGET", "SIZE", "HITS", "AGE", "SUMMARY"]
    row_a = next(ln for ln in lines if ln.startswith(KEY_A[:12]))
    assert row_a.split()[1] == "c" and row_a.split()[4] == "1" and row_a.endswith("elemwise add(x, 1)")
    assert "KiB" in row_a and any(ln.startswith(KEY_B[:12]) and ln.endswith("gemm then softmax") for ln in lines)
    assert lines[-1].startswith("2 entries") and filled in lines[-1]


def test_list_json(filled, run_json):
    listed = run_json("--dir", filled, "list")
    assert sorted(e["key"] for e in listed) == [KEY_A, KEY_B]
    by_key = {e["key"]: e for e in listed}
    assert by_key[KEY_A]["meta"]["hits"] == 1 and by_key[KEY_B]["meta"]["summary"] == "gemm then softmax"
    assert by_key[KEY_A]["size"] > by_key[KEY_A]["meta"]["size"] > 0          # the whole entry on disk
    assert run_json("list", "--dir", filled) == listed                         # options after the command too


def test_without_dir_the_environment_then_config_decide(filled, tmp_path, cli):
    other = str(tmp_path / "other")
    out = run_cli("list", env={"JITGRAPH_CACHE_DIR": other}, check=0).stdout
    assert out.strip() == f"no entries in {other}"
    with config.change_flags(cache_dir=filled):
        assert KEY_B[:12] in cli("list", check=0)[1]
        assert cli("--dir", other, "list", check=0)[1].strip() == f"no entries in {other}"


def test_show_prints_source_and_build_command(filled, run_json):
    out = run_cli("--dir", filled, "show", KEY_B[:6], check=0).stdout
    assert f"key:        {KEY_B}" in out and "gemm then softmax" in out
    build = json.load(open(os.path.join(_entry_dir(filled, KEY_B), "build.json")))
    assert "build command:\n  " + build["command_line"] in out and " -shared -fPIC " in out
    assert out.rstrip().endswith(tiny_source(2).rstrip())

    shown = run_json("--dir", filled, "show", KEY_B)
    assert shown["source"] == tiny_source(2) and shown["build"]["command"] == build["command"]
    assert shown["meta"]["target"] == "c"


def test_show_rejects_unknown_and_ambiguous_prefixes(filled, cli):
    _, _, err = cli("--dir", filled, "show", "ffff", check=1)
    assert "no entry with a key starting 'ffff'" in err
    CacheStore(filled).get_or_build("a1" + "2" * 62, target="c", source=tiny_source(3), build=CountingBuild())
    _, _, err = cli("--dir", filled, "show", "a1", check=1)
    assert "2 entries start with 'a1'" in err and "give more of the key" in err


def test_stats(filled, run_json):
    out = run_cli("--dir", filled, "stats", check=0).stdout
    assert "entries:         2 (c: 2)" in out and "hits:            1" in out
    assert "hit rate:        33.3%" in out and "total size:" in out
    totals = run_json("--dir", filled, "stats")
    assert totals["entries"] == 2 and totals["hits"] == 1 and totals["hit_rate"] == pytest.approx(1 / 3)
    sizes = [sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
             for d in (_entry_dir(filled, KEY_A), _entry_dir(filled, KEY_B))]
    assert totals["total_bytes"] == sum(sizes)


def test_verify_passes_then_flags_damaged_entries(filled, cli):
    assert cli("--dir", filled, "verify", check=0)[1].strip() == "2 entries checked, 0 bad"

    module = os.path.join(_entry_dir(filled, KEY_A), "module.so")
    with open(module, "r+b") as f:
        f.truncate(100)
    proc = run_cli("--dir", filled, "verify", check=1)
    assert KEY_A[:12] in proc.stdout and "module.so is 100 bytes" in proc.stdout
    assert "2 entries checked, 1 bad" in proc.stdout

    report = json.loads(cli("--dir", filled, "verify", "--json", check=1)[1])
    assert report["bad"] == 1 and {e["key"]: e["ok"] for e in report["entries"]} == {KEY_A: False, KEY_B: True}


def test_verify_catches_a_module_that_does_not_load(filled, cli):
    # a consistent meta.json for a file that is not a shared library: only dlopen can tell
    directory = _entry_dir(filled, KEY_B)
    with open(os.path.join(directory, "module.so"), "wb") as f:
        f.write(b"not an ELF file")
    meta_path = os.path.join(directory, "meta.json")
    meta = json.load(open(meta_path))
    meta.update(size=15, sha256=hashlib.sha256(b"not an ELF file").hexdigest())
    json.dump(meta, open(meta_path, "w"))
    _, out, _ = cli("--dir", filled, "verify", check=1)
    assert "module.so does not load" in out and KEY_B[:12] in out


def _age(cache_dir, key, days):
    path = os.path.join(_entry_dir(cache_dir, key), "meta.json")
    meta = json.load(open(path))
    meta["last_used"] = time.time() - days * 86400
    json.dump(meta, open(path, "w"))


def test_prune_by_age_and_by_size(filled, run_json):
    _age(filled, KEY_A, 40)
    out = run_cli("--dir", filled, "prune", "--older-than", "30d", check=0).stdout
    assert out.startswith("removed 1 entry (") and "kept 1" in out
    assert published_keys(filled) == [KEY_B]
    assert run_json("--dir", filled, "prune", "--older-than", "30d")["removed"] == []
    assert not os.path.exists(os.path.join(filled, ".locks", KEY_A + ".lock"))

    report = run_json("--dir", filled, "prune", "--max-size", "1K")
    assert report["removed"] == [KEY_B] and report["kept"] == 0
    assert published_keys(filled) == []


def test_prune_max_size_removes_least_recently_used_first(filled, run_json):
    _age(filled, KEY_B, 2)
    keep = next(e["size"] for e in run_json("--dir", filled, "list") if e["key"] == KEY_A)
    report = run_json("--dir", filled, "prune", "--max-size", str(keep + 10))
    assert report["removed"] == [KEY_B] and published_keys(filled) == [KEY_A]


def test_prune_with_neither_option_uses_30_days_and_drops_stale_scratch(filled, run_json):
    _age(filled, KEY_B, 31)
    _age(filled, KEY_A, 29)
    stale, fresh = os.path.join(filled, ".tmp-dead-process"), os.path.join(filled, ".tmp-building-now")
    os.makedirs(stale)
    os.makedirs(fresh)
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    assert run_json("--dir", filled, "prune")["removed"] == [KEY_B]
    assert not os.path.exists(stale) and os.path.exists(fresh)      # a build in progress is left alone


def test_prune_rejects_bad_units(filled, cli):
    _, _, err = cli("--dir", filled, "prune", "--older-than", "30y", check=1)
    assert "age '30y': expected a number with a unit s, m, h or d" in err
    _, _, err = cli("--dir", filled, "prune", "--max-size", "2X", check=1)
    assert "size '2X': expected a number with a unit K, M or G" in err
    assert published_keys(filled) == [KEY_A, KEY_B]


def test_clear_removes_everything(filled, cli, run_json):
    failed = os.path.join(filled, "failed", "c3" + "0" * 62)
    os.makedirs(failed)
    open(os.path.join(failed, "source.c"), "w").close()
    out = run_cli("--dir", filled, "clear", check=0).stdout
    assert out.startswith("removed 2 entries") and filled in out
    assert published_keys(filled) == [] and os.listdir(os.path.join(filled, "failed")) == []
    assert cli("--dir", filled, "list", check=0)[1].strip() == f"no entries in {filled}"
    assert run_json("--dir", filled, "stats")["entries"] == 0
    # the store rebuilds what was cleared
    build = CountingBuild()
    entry = CacheStore(filled).get_or_build(KEY_A, target="c", source=tiny_source(1), build=build)
    assert build.calls == 1 and os.path.exists(entry.module_path)


def test_python_dash_m_runs_the_same_cli(filled):
    proc = subprocess.run([sys.executable, "-m", "jitgraph.cache", "--dir", filled, "stats", "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["entries"] == 2


def test_missing_cache_dir_is_empty_not_an_error(tmp_path, cli, run_json):
    missing = str(tmp_path / "nowhere")
    assert run_json("--dir", missing, "stats")["entries"] == 0
    assert cli("--dir", missing, "verify", check=0)[1].strip() == "0 entries checked, 0 bad"
    assert not os.path.exists(missing)


def test_size_and_age_units():
    assert [mt.parse_size(t) for t in ("2G", "500m", "1.5K", "100", "3KiB", "1gb")] == \
        [2 << 30, 500 << 20, 1536, 100, 3072, 1 << 30]
    assert [mt.parse_age(t) for t in ("30d", "12h", "90m", "45s", "10")] == [2592000, 43200, 5400, 45, 10]
    assert [mt.format_size(n) for n in (0, 1023, 1536, 5 << 20)] == ["0 B", "1023 B", "1.5 KiB", "5.0 MiB"]
    assert [mt.format_age(s) for s in (5, 125, 7300, 3 * 86400 + 5)] == ["5s", "2m", "2h", "3d"]
