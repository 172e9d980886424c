"""`build_tools/bench.py` runs end to end and writes numeric JSON (numpy and jitgraph only,
so neither PyTensor nor JAX needs to be installed)."""
import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(REPO, "build_tools", "bench.py")


def run_bench(*args, cwd):
    return subprocess.run([sys.executable, BENCH, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_quick_call_overhead_writes_numeric_json(tmp_path):
    out = tmp_path / "results.json"
    proc = run_bench("--quick", "--only", "call_overhead", "--frameworks", "numpy,jitgraph", "--json", str(out),
                     cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(out.read_text())
    assert results["meta"]["quick"] is True
    assert results["meta"]["threads"] >= 1
    assert results["meta"]["thread_environment"]["OMP_NUM_THREADS"] == str(results["meta"]["threads"])
    rows = {row["name"]: row for row in results["rows"]}
    assert set(rows) == {"call_0d", "call_float"}
    for row in rows.values():
        assert set(row["results"]) == {"numpy", "jitgraph"}
        for framework, cell in row["results"].items():
            assert cell["status"] == "ok", (row["name"], framework, cell["note"])
            assert len(cell["rounds"]) == results["meta"]["rounds"] == 3
            assert all(isinstance(t, float) and 0 < t < 1 for t in cell["rounds"])
            assert min(cell["rounds"]) <= cell["seconds"] <= max(cell["rounds"])
            assert cell["ratio"] > 0
        assert row["results"]["numpy"]["ratio"] == 1.0
        assert row["results"]["jitgraph"]["result_matches_numpy"] is True
    # One table on stdout, with both rows and both columns.
    assert "f(x)=x+1, 0-d float64 array" in proc.stdout and "f(x)=x+1, Python float" in proc.stdout
    header = [line for line in proc.stdout.splitlines() if line.startswith("benchmark")]
    assert len(header) == 1 and header[0].split()[1:] == ["numpy", "jitgraph", "baseline"]


def test_only_brings_the_baseline_row_along(tmp_path):
    """a*x + b*y + c is held to numpy's x + y: asking for it alone measures both."""
    out = tmp_path / "r.json"
    proc = run_bench("--quick", "--only", "axpbyc", "--frameworks", "numpy", "--json", str(out), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {row["name"]: row for row in json.loads(out.read_text())["rows"]}
    assert list(rows) == ["add_xy", "axpbyc"]
    assert rows["axpbyc"]["baseline"] == {"row": "add_xy", "framework": "numpy"}
    floor, fused = rows["add_xy"]["results"]["numpy"], rows["axpbyc"]["results"]["numpy"]
    assert fused["ratio"] == fused["seconds"] / floor["seconds"]


def test_unknown_names_are_errors(tmp_path):
    proc = run_bench("--list", cwd=tmp_path)
    assert proc.returncode == 0 and "axpbyc" in proc.stdout and "build_cold" in proc.stdout
    proc = run_bench("--only", "no_such_row", "--frameworks", "numpy", cwd=tmp_path)
    assert proc.returncode != 0 and "unknown row or group no_such_row" in proc.stderr
    proc = run_bench("--frameworks", "numpy,torch", cwd=tmp_path)
    assert proc.returncode != 0 and "unknown framework torch" in proc.stderr


def test_missing_framework_is_na_not_a_crash(tmp_path):
    """A framework that fails to import gets "n/a" cells and the run still succeeds."""
    (tmp_path / "jax").mkdir()
    (tmp_path / "jax" / "__init__.py").write_text("raise ImportError('jax is broken here')\n")
    out = tmp_path / "r.json"
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, BENCH, "--quick", "--only", "call_0d", "--frameworks", "numpy,jax",
                           "--json", str(out)], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    cell = json.loads(out.read_text())["rows"][0]["results"]["jax"]
    assert cell["status"] == "n/a" and "jax is broken here" in cell["note"]
    assert "n/a" in proc.stdout and "jax is broken here" in proc.stdout
