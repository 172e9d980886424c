"""Fixtures for the cache tests: a fresh cache dir per test (never the user's) and a counting build."""
import pytest

from cache_testing import CountingBuild


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / "cache")


@pytest.fixture
def counting_build():
    return CountingBuild()


@pytest.fixture(autouse=True)
def _no_user_cache(tmp_path, monkeypatch):
    # Anything that falls back to config.cache_dir (here or in a child process) lands in
    # the test's tmp dir, never in the user's cache.
    from jitgraph import config
    monkeypatch.setenv("JITGRAPH_CACHE_DIR", str(tmp_path / "env-cache"))
    with config.change_flags(cache_dir=str(tmp_path / "config-cache")):
        yield
