"""Shared test harness: numpy reference vs compiled function on random inputs (contiguous,
non-contiguous, broadcasting, empty), with design §2's tolerances."""
import numpy as np

import jitgraph
import jitgraph.tensor as T
from jitgraph.tensor.type import TensorType

TOLERANCE = {"float64": 1e-7, "float32": 1e-4}


def rand(shape, dtype="float64", low=-2.0, high=2.0, seed=0):
    rng = np.random.RandomState(seed)
    if np.dtype(dtype).kind == "b":
        return rng.rand(*shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        lo = 0 if np.dtype(dtype).kind == "u" else int(low)
        return rng.randint(lo, max(int(high), lo + 1) + 1, size=shape).astype(dtype)
    return (rng.uniform(low, high, size=shape)).astype(dtype)


def noncontiguous(a):
    """The same values as ``a`` in a strided (non-contiguous) view."""
    a = np.asarray(a)
    if a.ndim == 0:
        return a
    big = np.zeros(a.shape[:-1] + (a.shape[-1] * 2,), dtype=a.dtype)
    big[..., ::2] = a
    view = big[..., ::2]
    assert view.size <= 1 or not view.flags.c_contiguous or a.shape[-1] <= 1
    return view


def assert_close(actual, expected, dtype=None):
    actual, expected = np.asarray(actual), np.asarray(expected)
    dtype = str(dtype or expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if dtype in TOLERANCE:
        np.testing.assert_allclose(actual, expected, rtol=TOLERANCE[dtype], atol=TOLERANCE[dtype] * 1e-3,
                                   equal_nan=True)
    else:
        np.testing.assert_array_equal(actual, expected)


def sym_like(value, broadcastable=None, name=None):
    value = np.asarray(value)
    bcast = broadcastable if broadcastable is not None else (False,) * value.ndim
    return TensorType(value.dtype, bcast)(name)


def check_numpy(sym_fn, np_fn, arrays, mode, broadcastable=None, out_dtype=None, layouts=("c", "strided")):
    """Compile ``sym_fn`` on symbolic inputs shaped like ``arrays``; compare with
    ``np_fn(*arrays)`` for contiguous and strided inputs. Returns the compiled function."""
    bcasts = broadcastable or [None] * len(arrays)
    syms = [sym_like(a, b, f"in{i}") for i, (a, b) in enumerate(zip(arrays, bcasts))]
    out = sym_fn(*syms)
    f = jitgraph.function(syms, out, mode=mode, on_unused_input="ignore")
    expected = np_fn(*arrays)
    for layout in layouts:
        args = [noncontiguous(a) if layout == "strided" else np.array(a, order="C") for a in arrays]
        got = f(*args)
        if out_dtype is not None:
            assert np.asarray(got).dtype == np.dtype(out_dtype), (np.asarray(got).dtype, out_dtype)
        assert_close(got, np.asarray(expected).astype(np.asarray(got).dtype), dtype=np.asarray(got).dtype)
    return f


def assert_infer_shape(out, inputs, values, mode):
    """The op's infer_shape, compiled, gives the shape its output really has."""
    node = out.owner
    in_shapes = [tuple(v.shape[d] for d in range(v.ndim)) for v in node.inputs]
    inferred = node.op.infer_shape(node, in_shapes)[out.index]
    assert len(inferred) == out.ndim
    dims = [T.cast(T.as_tensor_variable(s), "int64") for s in inferred]
    f = jitgraph.function(inputs, dims + [out], mode=mode, on_unused_input="ignore")
    *got, value = f(*values)
    assert tuple(int(g) for g in got) == np.shape(value)
