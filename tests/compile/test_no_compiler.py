"""Without a working C compiler FAST_RUN warns once and runs the numpy reference."""
import importlib

import numpy as np
import pytest

import jitgraph.tensor as T
from jitgraph import config, function
from jitgraph.compile.executor import ReferenceProgram

function_module = importlib.import_module("jitgraph.compile.function")


def test_missing_compiler_falls_back_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.setattr(function_module, "_warned_no_compiler", [])
    x = T.dvector("x")
    with config.change_flags(cxx="no-such-cc-jitgraph", cache_dir=str(tmp_path)):
        with pytest.warns(UserWarning, match="no C compiler.*no-such-cc-jitgraph"):
            f = function([x], T.exp(x) * 2 + 1)
        g = function([x], x - 1)           # warned once only
    assert isinstance(f._program, ReferenceProgram) and isinstance(g._program, ReferenceProgram)
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), np.exp([0.0, 1.0]) * 2 + 1)
    np.testing.assert_allclose(g([3.0]), [2.0])
