"""Configuration precedence: code > JITGRAPH_FLAGS > THEANO_FLAGS > rc file > defaults."""
import numpy as np
import pytest

import jitgraph.tensor as T
from jitgraph import config
from jitgraph.config import Config


def test_defaults():
    c = Config(environ={})
    assert c.floatX in ("float64", "float32")  # an rc file may set it; the built-in default is float64
    assert c.device == "cpu"
    assert c.mode == "FAST_RUN"


def test_jitgraph_flags_beat_theano_flags():
    c = Config(environ={"JITGRAPH_FLAGS": "floatX=float32", "THEANO_FLAGS": "floatX=float64"})
    assert c.floatX == "float32"


def test_theano_flags_used_when_jitgraph_flags_unset_and_unknown_keys_ignored():
    c = Config(environ={"THEANO_FLAGS": "floatX=float32,device=gpu,lib.cnmem=0.8,mode=FAST_COMPILE"})
    assert c.floatX == "float32"
    assert c.device == "cuda"
    assert c.mode == "FAST_COMPILE"


def test_unknown_jitgraph_flag_lists_known_ones():
    with pytest.raises(ValueError, match="unknown flag 'flaotX'.*floatX"):
        Config(environ={"JITGRAPH_FLAGS": "flaotX=float32"})


def test_bad_value():
    with pytest.raises(ValueError, match="floatX"):
        Config(environ={"JITGRAPH_FLAGS": "floatX=float16"})
    with pytest.raises(ValueError, match="device"):
        Config(environ={"JITGRAPH_FLAGS": "device=tpu"})


def test_device_aliases():
    for alias in ("cuda", "cuda0", "gpu", "gpu1"):
        assert Config(environ={"JITGRAPH_FLAGS": f"device={alias}"}).device == "cuda"


def test_cache_dir_shorthand():
    c = Config(environ={"JITGRAPH_CACHE_DIR": "/tmp/jg-cache"})
    assert c.cache_dir == "/tmp/jg-cache"
    c = Config(environ={"JITGRAPH_CACHE_DIR": "/tmp/a", "JITGRAPH_FLAGS": "cache_dir=/tmp/b"})
    assert c.cache_dir == "/tmp/b"


def test_rc_file(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".theanorc").write_text("[global]\nfloatX = float32\n")
    assert Config(environ={}).floatX == "float32"
    (tmp_path / ".jitgraphrc").write_text("[global]\nfloatX = float64\nmode = FAST_COMPILE\n")
    c = Config(environ={})
    assert c.floatX == "float64" and c.mode == "FAST_COMPILE"
    assert Config(environ={"THEANO_FLAGS": "floatX=float32"}).floatX == "float32"


def test_assignment_in_code_and_unknown_attribute():
    with config.change_flags(floatX="float32"):
        assert T.scalar().dtype == "float32"
        assert T.constant(0.1).dtype == "float32"
    assert T.scalar().dtype == config.floatX
    with pytest.raises(AttributeError, match="known flags"):
        config.flaotX = "float32"
    with pytest.raises(ValueError):
        config.floatX = "float16"


def test_floatx_changes_python_float_upcast():
    with config.change_flags(floatX="float64"):
        assert (T.fvector() * 0.1).dtype == "float64"
        assert (T.ivector() / T.ivector()).dtype == "float64"
    with config.change_flags(floatX="float32"):
        assert (T.fvector() * 0.1).dtype == "float32"
        assert (T.ivector() / T.ivector()).dtype == "float32"
        assert (T.fvector() * T.dvector()).dtype == "float64"
    _ = np
