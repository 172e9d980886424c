"""Functions under device=cuda (jitgraph/compile/cuda_program.py).

Without a GPU: compiling lowers, emits and nvcc-builds the CUDA module into the cache
(so codegen errors surface here), and calling raises CudaUnavailableError; a missing
nvcc is an error, never a silent fallback; FAST_COMPILE and DEBUG run on the host.
With a GPU (skipped elsewhere): results against numpy, the copies of a training step
(explicit inputs and outputs only), borrowed outputs staying on the device, updates
never leaving it, givens slices of GPU data, the seed's Keras model, and the op test
suite under JITGRAPH_FLAGS=device=cuda."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

import jitgraph as theano
import jitgraph.tensor as T
from jitgraph import Out, config
from jitgraph.cache.build import CompileError
from jitgraph.compile.cuda_program import CudaDebugProgram, CudaProgram, CudaStage, HostProgram
from jitgraph.runtime import cuda
from jitgraph.runtime.cuda import CudaUnavailableError, DeviceArray

gpu = pytest.mark.skipif(not cuda.available(), reason=f"needs a CUDA GPU: {cuda.unavailable_reason()}")
no_gpu = pytest.mark.skipif(cuda.available(), reason="checks the behaviour without a GPU")
needs_nvcc = pytest.mark.skipif(shutil.which(config.nvcc) is None, reason="no nvcc: CUDA modules cannot be built")


@pytest.fixture
def on_cuda():
    with config.change_flags(device="cuda"):
        yield


def _cuda_entries(cache_dir):
    for meta in pathlib.Path(cache_dir).glob("*/*/meta.json"):
        info = json.loads(meta.read_text())
        if info.get("target") == "cuda":
            yield meta.parent, info


@needs_nvcc
def test_compiling_builds_a_cuda_module_and_calling_needs_a_gpu(on_cuda, tmp_path):
    x = T.dmatrix("x")
    v = T.dvector("v")
    with config.change_flags(cache_dir=str(tmp_path)):
        f = theano.function([x, v], [T.exp(x).sum(axis=1) * v, T.dot(x, v)], name="f")
    assert isinstance(f.maker.program, CudaProgram)
    assert f._fast is None                     # no CPU trampoline path under device=cuda
    assert [type(s) for s in f.maker.program.stages] == [CudaStage]
    entries = list(_cuda_entries(tmp_path))
    assert len(entries) == 1
    directory, meta = entries[0]
    source = (directory / "source.cu").read_text()
    assert "__global__" in source and "jg_entry" in source
    assert (directory / "module.so").stat().st_size > 0
    assert meta["summary"].startswith("f: ")
    if not cuda.available():
        with pytest.raises(CudaUnavailableError) as err:
            f(np.ones((2, 3)), np.ones(3))
        assert str(err.value) == cuda.unavailable_reason()
        assert str(err.value).startswith(("no CUDA device", "CUDA runtime library", "cuBLAS library"))


@needs_nvcc
@no_gpu
def test_a_built_cuda_module_loads_and_reports_cuda_errors_through_the_call(on_cuda, tmp_path):
    """A real nvcc-built module, called through the runtime's call path where CUDA cannot
    run: it loads (its libcudart resolves), takes the arguments, allocates its output
    through call->alloc, and its failing kernel launch comes back as a CudaError naming
    the step. (Host memory stands in for device memory: nothing is ever launched.)"""
    if cuda.find_library("cudart") is None:
        pytest.skip("no libcudart to load the module against")
    x = T.dvector("x")
    with config.change_flags(cache_dir=str(tmp_path)):
        f = theano.function([x], T.exp(x) * x)
    (stage,) = f.maker.program.stages
    runtime = HostMemoryRuntime()
    arg = runtime.upload(np.arange(5.0))
    with pytest.raises(cuda.CudaError, match=r"Elemwise.*failed: .*(CUDA driver|no CUDA-capable device)"):
        stage.call(runtime, [arg])
    # the output was allocated through call->alloc, and went back to the cache with the error
    assert runtime.allocator.stats() == {"bytes_in_use": 512, "bytes_cached": 512, "requests": 2, "hits": 0,
                                         "device_allocs": 2}
    with pytest.raises(TypeError, match=r"argument 0 \(x\) of a CUDA segment is a 1-d float32 array"):
        stage.call(runtime, [runtime.upload(np.zeros(3, "float32"))])


def test_a_missing_nvcc_is_an_error_not_a_fallback(on_cuda, tmp_path):
    x = T.dvector("x")
    with config.change_flags(nvcc=str(tmp_path / "no-nvcc"), cache_dir=str(tmp_path)):
        with pytest.raises(CompileError, match="CUDA compiler"):
            theano.function([x], T.sin(x) * 3.5)


@needs_nvcc
def test_nodes_without_native_code_run_on_the_host_between_cuda_segments(on_cuda):
    from jitgraph.tensor.shared_randomstreams import RandomStreams
    x = T.dvector("x")
    srng = RandomStreams(7)          # numpy's generator: a host op, its state a host variable
    f = theano.function([x], srng.uniform((3,)) * x)
    stages = f.maker.program.stages
    host = [s[1] for s in stages if type(s) is tuple]
    assert [type(n.op).__name__ for n in host] == ["DimShuffle", "RandomFunction"]   # the draw and its size
    assert type(stages[-1]) is CudaStage
    if not cuda.available():
        with pytest.raises(CudaUnavailableError):
            f(np.ones(3))


def test_fast_compile_runs_the_reference_on_the_host(on_cuda):
    x = T.dvector("x")
    f = theano.function([x], [x, x.T, 2 * x], mode="FAST_COMPILE")
    assert isinstance(f.maker.program, HostProgram)
    a = np.arange(3.0)
    r = f(a)
    np.testing.assert_array_equal(r[2], 2 * a)
    # results never alias the arguments or each other
    assert not any(np.may_share_memory(a, o) for o in r)
    assert not np.may_share_memory(r[0], r[1])
    assert f.maker.program.copy_stats.as_dict() == {"h2d": 0, "d2h": 0}


@needs_nvcc
def test_debug_mode_builds_each_node_as_a_cuda_module(on_cuda):
    x = T.dvector("x")
    f = theano.function([x], T.exp(x) * 3, mode="DEBUG")
    program = f.maker.program
    assert isinstance(program, HostProgram) and isinstance(program.inner, CudaDebugProgram)
    assert program.inner.n_native >= 1
    assert all(isinstance(c.stage, CudaStage) for c in program.inner.native.values())
    if not cuda.available():
        with pytest.raises(CudaUnavailableError):
            f(np.ones(3))


def test_cpu_functions_are_unchanged():
    x = T.dvector("x")
    f = theano.function([x], x + 1)
    assert type(f.maker.program).__name__ == "NativeProgram" and f._fast is not None


# ------------------------------------------------------------ the executor's logic, on host memory

class HostMemoryRuntime(cuda.CudaRuntime):
    """The CUDA runtime with host memory standing in for device memory and memmove for
    cudaMemcpyAsync. With the CPU emitter and gcc in place of the CUDA ones (same
    ``jg_entry`` ABI) whole functions run through the CUDA executor here, which tests its
    bookkeeping — what moves between host and device, where results and updates go —
    not a GPU."""

    def __init__(self):
        self._arrays = {}
        self.allocator = cuda.CachingAllocator(self)
        self.copies = {"h2d": 0, "d2h": 0, "d2d": 0}
        self.device_struct, self._keep = cuda.make_device_struct(self.allocator, cuda.ffi.NULL, cuda.ffi.NULL,
                                                                 {}, 0)

    def malloc(self, nbytes):          # the allocator's backend
        a = np.empty(nbytes, np.uint8)
        self._arrays[a.ctypes.data] = a
        return a.ctypes.data

    def free(self, ptr):
        del self._arrays[ptr]

    def _memcpy(self, dst, src, nbytes, kind):
        cuda.ffi.memmove(dst, src, nbytes)

    def synchronize(self):
        pass


@pytest.fixture
def host_device(monkeypatch, tmp_path):
    """device=cuda with HostMemoryRuntime as the runtime and C modules as the 'CUDA' ones."""
    import jitgraph.codegen.cuda as cuda_codegen
    from jitgraph.codegen.c import CEmitter
    from jitgraph.runtime.cpu import build_module
    runtime = HostMemoryRuntime()
    monkeypatch.setattr(cuda, "require", lambda search_dirs=None: runtime)
    monkeypatch.setattr(cuda, "available", lambda: True)
    monkeypatch.setattr(cuda_codegen, "CudaEmitter", CEmitter)
    monkeypatch.setattr(cuda_codegen, "build_cuda_module", lambda kernel, source: build_module(kernel, source).path)
    with config.change_flags(device="cuda"):
        yield runtime


def test_executor_training_step_moves_only_inputs_and_outputs(host_device):
    W, b, x, y, cost, updates = _logistic_regression()
    assert isinstance(W.container[0], DeviceArray)
    train = theano.function([x, y], cost, updates=updates)
    program = train.maker.program
    assert isinstance(program, CudaProgram) and train._fast is None
    rng = np.random.RandomState(1)
    X, Y = rng.randn(8, 5), rng.randint(0, 3, 8)
    for _ in range(2):
        W0, b0 = W.get_value(), b.get_value()
        program.copy_stats.reset()
        c = train(X, Y)
        assert program.copy_stats.as_dict() == {"h2d": 2, "d2h": 1}     # X and Y in, the cost out
        want_c, W1, b1 = _numpy_step(W0, b0, X, Y)
        np.testing.assert_allclose(c, want_c, rtol=1e-7)
        assert isinstance(W.container[0], DeviceArray) and isinstance(b.container[0], DeviceArray)
        np.testing.assert_allclose(W.get_value(), W1, rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(b.get_value(), b1, rtol=1e-7, atol=1e-12)


def test_executor_givens_slices_borrow_and_repeated_outputs(host_device):
    X = np.arange(24.0).reshape(6, 4)
    data = theano.shared(X, name="data")
    i = T.lscalar("i")
    x = T.dmatrix("x")
    f = theano.function([i], [Out(x * 2, borrow=True), x.sum(), x.sum()], givens={x: data[i * 2:(i + 1) * 2]})
    dev, s1, s2 = f(1)
    assert isinstance(dev, DeviceArray)
    np.testing.assert_array_equal(dev.to_host(), 2 * X[2:4])
    assert s1 == s2 == X[2:4].sum() and s1 is not s2
    # i in; one sum out (the two are one variable after merging, copied on the host)
    assert f.maker.program.copy_stats.as_dict() == {"h2d": 1, "d2h": 1}


def test_executor_runs_host_nodes_between_segments_with_counted_copies(host_device):
    from jitgraph.tensor.shared_randomstreams import RandomStreams
    v = theano.shared(np.arange(3.0), name="v")
    srng = RandomStreams(7)
    u = srng.uniform((3,))
    f = theano.function([], u * v)
    assert any(type(s) is tuple for s in f.maker.program.stages)
    r1, r2 = f(), f()
    ref = RandomStreams(7).uniform((3,))
    g = theano.function([], ref)
    np.testing.assert_allclose(r1, g() * np.arange(3.0))
    np.testing.assert_allclose(r2, g() * np.arange(3.0))
    # per call: the uniform draw goes in, the product comes out; v never leaves the device, and the
    # draw's size (a constant, read only by the host op) is computed on the host
    assert f.maker.program.copy_stats.as_dict() == {"h2d": 2, "d2h": 2}
    assert [type(s[1].op).__name__ for s in f.maker.program.stages if type(s) is tuple] == \
        ["DimShuffle", "RandomFunction"]


def test_host_modes_copy_gpu_values_explicitly(host_device):
    s = theano.shared(np.arange(4.0), name="s")
    f = theano.function([], s * 2, updates=[(s, s + 1)], mode="FAST_COMPILE")
    assert isinstance(f.maker.program, HostProgram)
    np.testing.assert_array_equal(f(), 2 * np.arange(4.0))
    assert isinstance(s.container[0], DeviceArray)                    # the update went back
    np.testing.assert_array_equal(s.get_value(), np.arange(4.0) + 1)
    assert f.maker.program.copy_stats.as_dict() == {"h2d": 1, "d2h": 1}


def test_debug_mode_compares_each_device_node_with_its_reference(host_device):
    from jitgraph.compile.debug_program import DebugModeError
    s = theano.shared(np.arange(4.0), name="s")
    x = T.dvector("x")
    f = theano.function([x], T.exp(x) * s, updates=[(s, s + x)], mode="DEBUG")
    np.testing.assert_allclose(f(np.ones(4)), np.e * np.arange(4.0))
    assert isinstance(s.container[0], DeviceArray)
    np.testing.assert_array_equal(s.get_value(), np.arange(4.0) + 1)
    # a device node that computes the wrong thing is named
    checks = f.maker.program.inner.native
    node, check = next((n, c) for n, c in checks.items() if "exp" in str(n.op))
    real = check.stage.call
    check.stage.call = lambda runtime, args: [runtime.upload(np.zeros(r.shape, r.dtype))
                                              for r in real(runtime, args)]
    with pytest.raises(DebugModeError, match=r"the CUDA code and the reference disagree on output 0 of node .*exp"):
        f(np.ones(4))


def test_gpu_shared_variables_pickle_and_set_values_where_a_gpu_is_usable(host_device):
    import pickle
    from jitgraph.compile.cuda_shared import CudaSharedVariable
    W = theano.shared(np.ones((2, 3), "float32"), name="W")
    assert isinstance(W, CudaSharedVariable)
    W.set_value(np.full((4, 1), 3, "float32"))
    with pytest.raises(TypeError, match="set_value of shared variable W"):
        W.set_value(np.ones(3, "float32"))
    back = pickle.loads(pickle.dumps(W))
    assert isinstance(back, CudaSharedVariable) and isinstance(back.container[0], DeviceArray)
    np.testing.assert_array_equal(back.get_value(), np.full((4, 1), 3))
    got = W.get_value(borrow=True)
    got[0] = 0                                                           # a copy, always
    np.testing.assert_array_equal(W.get_value(), np.full((4, 1), 3))
    d = W.get_value(borrow=True, return_internal_type=True)
    W.set_value(d[1:3], borrow=False)
    assert W.get_value().shape == (2, 1)
    with pytest.raises(TypeError, match="DeviceArray of float64"):
        W.set_value(cuda.require().upload(np.zeros((2, 2))))


# ------------------------------------------------------------ on a GPU

def _logistic_regression(n_in=5, n_out=3, batch=None, data=None):
    rng = np.random.RandomState(0)
    with config.change_flags(device="cuda"):
        W = theano.shared(rng.randn(n_in, n_out) * 0.1, name="W")
        b = theano.shared(np.zeros(n_out), name="b")
    x, y = T.dmatrix("x"), T.lvector("y")
    p = T.nnet.softmax(T.dot(x, W) + b)
    cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
    gW, gb = T.grad(cost, [W, b])
    return W, b, x, y, cost, [(W, W - 0.5 * gW), (b, b - 0.5 * gb)]


def _numpy_step(W, b, X, Y):
    z = X @ W + b
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    cost = -np.mean(np.log(p[np.arange(len(Y)), Y]))
    d = p.copy()
    d[np.arange(len(Y)), Y] -= 1
    d /= len(Y)
    return cost, W - 0.5 * X.T @ d, b - 0.5 * d.sum(0)


@gpu
def test_gpu_training_step_copies_only_inputs_and_outputs():
    W, b, x, y, cost, updates = _logistic_regression()
    train = theano.function([x, y], cost, updates=updates)
    program = train.maker.program
    rng = np.random.RandomState(1)
    X, Y = rng.randn(8, 5), rng.randint(0, 3, 8)
    W0, b0 = W.get_value(), b.get_value()
    c = train(X, Y)                            # the first call also copies the constants in
    want_c, W1, b1 = _numpy_step(W0, b0, X, Y)
    np.testing.assert_allclose(c, want_c, rtol=1e-7)
    np.testing.assert_allclose(W.get_value(), W1, rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(b.get_value(), b1, rtol=1e-7, atol=1e-12)
    assert isinstance(W.container[0], DeviceArray)      # the update stayed on the device
    program.copy_stats.reset()
    for _ in range(3):
        train(X, Y)
    assert program.copy_stats.as_dict() == {"h2d": 3 * 2, "d2h": 3 * 1}


@gpu
def test_gpu_givens_slices_of_gpu_data_are_views():
    W, b, x, y, cost, updates = _logistic_regression()
    rng = np.random.RandomState(2)
    X, Y = rng.randn(40, 5), rng.randint(0, 3, 40)
    with config.change_flags(device="cuda"):
        data_x = theano.shared(X, name="data_x")
        data_y = theano.shared(Y, name="data_y")
    i = T.lscalar("i")
    train = theano.function([i], cost, updates=updates,
                            givens={x: data_x[i * 10:(i + 1) * 10], y: data_y[i * 10:(i + 1) * 10]})
    train(0)
    train.maker.program.copy_stats.reset()
    W0, b0 = W.get_value(), b.get_value()
    c = train(2)
    want_c, W1, _ = _numpy_step(W0, b0, X[20:30], Y[20:30])
    np.testing.assert_allclose(c, want_c, rtol=1e-7)
    np.testing.assert_allclose(W.get_value(), W1, rtol=1e-7, atol=1e-12)
    # get_value above copied W and b out; the call itself moved i in and the cost out
    assert train.maker.program.copy_stats.as_dict() == {"h2d": 1, "d2h": 1}


@gpu
def test_gpu_borrowed_outputs_stay_on_the_device_and_results_match_numpy(on_cuda):
    x = T.fmatrix("x")
    v = T.fvector("v")
    f = theano.function([x, v], [Out(T.tanh(x) * v, borrow=True), T.dot(x, v), x[1:, ::2].T, x.max(axis=0)])
    rng = np.random.RandomState(3)
    X, V = rng.randn(4, 6).astype("float32"), rng.randn(6).astype("float32")
    f(X, V)                                   # the first call also copies constants in
    f.maker.program.copy_stats.reset()
    dev, dot, view, mx = f(X, V)
    assert isinstance(dev, DeviceArray)
    np.testing.assert_allclose(dev.to_host(), np.tanh(X) * V, rtol=1e-4)
    np.testing.assert_allclose(dot, X @ V, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(view, X[1:, ::2].T)
    np.testing.assert_array_equal(mx, X.max(axis=0))
    assert f.maker.program.copy_stats.as_dict() == {"h2d": 2, "d2h": 3}


@gpu
def test_gpu_shared_variable_forces_the_cuda_executor():
    with config.change_flags(device="cuda"):
        s = theano.shared(np.arange(4.0), name="s")
    f = theano.function([], s * 2, updates=[(s, s + 1)])     # compiled under device=cpu
    assert isinstance(f.maker.program, CudaProgram)
    np.testing.assert_array_equal(f(), 2 * np.arange(4.0))
    np.testing.assert_array_equal(s.get_value(), np.arange(4.0) + 1)


@gpu
def test_gpu_seed_keras_model_trains():
    from jitgraph.keras.engine.topology import reset_uids
    from jitgraph.keras.layers import Dense, Dropout
    from jitgraph.keras.models import Sequential
    from jitgraph.keras.optimizers import SGD
    reset_uids()
    rng = np.random.RandomState(1234)
    w = rng.randn(20)
    X = rng.randn(1000, 20).astype("float32")
    labels = (X @ w > 0).astype("int64")
    Y = np.eye(2, dtype="float32")[labels]
    np.random.seed(0)
    with config.change_flags(device="cuda"):
        model = Sequential()
        model.add(Dense(64, input_dim=20, init="uniform", activation="tanh"))
        model.add(Dropout(0.5))
        model.add(Dense(64, init="uniform", activation="tanh"))
        model.add(Dropout(0.5))
        model.add(Dense(2, init="uniform", activation="softmax"))
        model.compile(loss="mean_squared_error", optimizer=SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True),
                      metrics=["accuracy"])
        model.fit(X[:800], Y[:800], nb_epoch=5, batch_size=16, verbose=0)
        loss, acc = model.evaluate(X[800:], Y[800:], batch_size=16, verbose=0)
    assert isinstance(model.train_function.maker.program, CudaProgram)
    assert acc > 0.9


@gpu
@pytest.mark.skipif(not os.environ.get("JITGRAPH_TEST_CUDA_SUITE"),
                    reason="the op suite under device=cuda takes long (one nvcc build per kernel); "
                           "set JITGRAPH_TEST_CUDA_SUITE=1 to run it")
def test_gpu_op_suite_under_device_cuda():
    """The tensor op tests, run with JITGRAPH_FLAGS=device=cuda (FAST_RUN on the GPU)."""
    root = pathlib.Path(__file__).resolve().parents[2]
    env = dict(os.environ, JITGRAPH_FLAGS="device=cuda")
    workers = str(max(1, min(8, (os.cpu_count() or 2) // 2)))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", workers, "-p", "no:cacheprovider",
                           "tests/tensor"], cwd=root, env=env, capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
