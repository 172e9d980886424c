"""The whole pipeline on the MLP training step of the benchmarks: which native kernels
the rewritten graph runs, and that updates reuse the shared variables' storage."""
import collections

import numpy as np

import jitgraph
import jitgraph.tensor as T
from jitgraph.codegen import ir

COMPUTE_STEPS = (ir.ElementwiseLoop, ir.Reduction, ir.FusedReduction, ir.MatMul, ir.Gemm, ir.TemplateStep)


def mlp_step(rng, layers=(20, 64, 64, 2), batch=32):
    """build_tools/bench_cases.py's MLP step: tanh layers, softmax, mean crossentropy, SGD."""
    params = []
    for fan_in, fan_out in zip(layers[:-1], layers[1:]):
        params.append(jitgraph.shared(rng.uniform(-0.3, 0.3, (fan_in, fan_out)).astype("float32")))
        params.append(jitgraph.shared(np.zeros(fan_out, "float32")))
    w1, b1, w2, b2, w3, b3 = params
    x, y = T.fmatrix("x"), T.ivector("y")
    h1 = T.tanh(T.dot(x, w1) + b1)
    h2 = T.tanh(T.dot(h1, w2) + b2)
    p = T.nnet.softmax(T.dot(h2, w3) + b3)
    cost = T.nnet.categorical_crossentropy(p, y).mean()
    grads = T.grad(cost, params)
    updates = [(v, v - np.float32(0.01) * g) for v, g in zip(params, grads)]
    data = rng.standard_normal((batch, layers[0])).astype("float32"), rng.integers(0, layers[-1], batch).astype("int32")
    return [x, y], cost, params, updates, data


def test_mlp_training_step_kernels():
    inputs, cost, params, updates, data = mlp_step(np.random.default_rng(0))
    f = jitgraph.function(inputs, cost, updates=updates)
    (stage,) = f._program.stages                   # one module, one native call per step
    kernels = collections.Counter(type(st).__name__ for st in stage.kernel.steps if isinstance(st, COMPUTE_STEPS))
    assert kernels == {
        "MatMul": 5,           # three forward products, two backward ones (d @ W.T)
        "Gemm": 3,             # W -= lr * (h.T @ d), in place, one per layer
        "ElementwiseLoop": 9,  # bias+tanh x2, the mean's scale and its gradient's fill,
                               # backward tanh' x2, bias updates x3
        "Reduction": 4,        # the mean, the bias gradients (column sums)
        "TemplateStep": 2,     # softmax + crossentropy (with bias), and its gradient
    }
    gemms = [st for st in stage.kernel.steps if isinstance(st, ir.Gemm)]
    assert all(st.inplace and st.out.role == "arg" for st in gemms)   # into the shared W's buffer
    # no update comes back as a new array: each is already in its shared variable
    assert set(stage.inplace) == {1, 2, 3, 4, 5, 6} and len(stage.kernel.outs) == 1


def test_mlp_training_step_reuses_storage_and_matches_the_reference():
    rng = np.random.default_rng(1)
    inputs, cost, params, updates, data = mlp_step(rng)
    f = jitgraph.function(inputs, cost, updates=updates)
    inputs2, cost2, params2, updates2, _ = mlp_step(np.random.default_rng(1))
    ref = jitgraph.function(inputs2, cost2, updates=updates2, mode="FAST_COMPILE")
    storage = [p.get_value(borrow=True) for p in params]
    for _ in range(3):
        np.testing.assert_allclose(f(*data), ref(*data), rtol=1e-4)
    assert all(p.get_value(borrow=True) is s for p, s in zip(params, storage))
    for p, q in zip(params, params2):
        np.testing.assert_allclose(p.get_value(), q.get_value(), rtol=1e-4, atol=1e-6)
