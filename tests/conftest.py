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


def _device_cuda():
    from jitgraph.config import config
    return config.device == "cuda"


def pytest_configure(config):
    """JITGRAPH_FLAGS=device=cuda runs the tests' FAST_RUN functions on the GPU (FAST_COMPILE
    stays the numpy reference); without a usable GPU that run stops at once with the reason
    instead of failing every test with it."""
    if _device_cuda():
        from jitgraph.runtime import cuda
        if not cuda.available():
            pytest.exit(f"JITGRAPH_FLAGS sets device=cuda, but CUDA cannot run here: {cuda.unavailable_reason()}",
                        returncode=4)


def pytest_report_header(config):
    if _device_cuda():
        from jitgraph.runtime import cuda
        return f"jitgraph device=cuda: {cuda.require().describe()}"
    return None
