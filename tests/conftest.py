import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

MODES = ["FAST_RUN", "FAST_COMPILE"]


@pytest.fixture(params=MODES)
def mode(request):
    """Op and semantics tests run under both FAST_RUN and FAST_COMPILE."""
    return request.param


@pytest.fixture
def floatX32():
    from jitgraph import config
    with config.change_flags(floatX="float32"):
        yield
