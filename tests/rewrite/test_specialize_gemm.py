"""The gemm specialization: graphs before and after, and unchanged results."""
import numpy as np
import pytest

import jitgraph
import jitgraph.tensor as T
from jitgraph import function
from jitgraph.graph.fg import FunctionGraph
from jitgraph.rewrite.specialize_gemm import specialize_gemm
from jitgraph.tensor.blas import Gemm

RNG = np.random.default_rng(0)


def op_names(fg):
    return sorted(str(n.op) for n in fg.apply_nodes)


def values(*shapes, dtype="float64"):
    return [RNG.normal(size=s).astype(dtype) for s in shapes]


def against_reference(inputs, output, *args):
    fast = function(inputs, output)(*args)
    slow = function(inputs, output, mode="FAST_COMPILE")(*args)
    tol = 1e-4 if np.asarray(fast).dtype == np.float32 else 1e-7
    np.testing.assert_allclose(fast, slow, rtol=tol, atol=tol)


FORMS = {
    "z - lr * dot": (lambda z, x, y, lr: z - lr * T.dot(x, y), -0.01, 1),
    "z + dot * lr": (lambda z, x, y, lr: z + T.dot(x, y) * lr, 0.01, 1),
    "z + dot": (lambda z, x, y, lr: z + T.dot(x, y), 1, 1),
    "dot + z": (lambda z, x, y, lr: T.dot(x, y) + z, 1, 1),
    "z - dot": (lambda z, x, y, lr: z - T.dot(x, y), -1, 1),
    "dot - z": (lambda z, x, y, lr: T.dot(x, y) - z, 1, -1),
    "z + -dot": (lambda z, x, y, lr: z + -T.dot(x, y), -1, 1),
}


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scaled_products_added_to_a_matrix_become_one_gemm(form, dtype):
    build, alpha, beta = FORMS[form]
    z, x, y = (T.matrix(n, dtype=dtype) for n in "zxy")
    lr = np.asarray(0.01, dtype=dtype)
    out = build(z, x, y, lr)
    fg = FunctionGraph([z, x, y], [out])
    assert "Dot" in op_names(fg)
    assert specialize_gemm(fg) == 1
    (node,) = fg.apply_nodes
    assert isinstance(node.op, Gemm) and not node.op.inplace
    assert np.isclose(node.inputs[1].data, alpha) and node.inputs[4].data == beta
    against_reference([z, x, y], out, *values((4, 3), (4, 5), (5, 3), dtype=dtype))


def test_a_symbolic_learning_rate_is_the_alpha():
    z, x, y = T.dmatrices("z", "x", "y")
    lr = jitgraph.shared(np.float64(0.5), name="lr")
    out = z - lr * T.dot(x.T, y)
    fg = FunctionGraph([z, x, y, lr], [out])
    specialize_gemm(fg)
    assert op_names(fg) == ["DimShuffle{1,0}", "Elemwise{neg}", "Gemm{no_inplace}"]   # x.T, -lr
    against_reference([z, x, y], out, *values((5, 3), (4, 5), (4, 3)))


def test_left_alone_where_the_product_is_read_elsewhere_or_z_broadcasts():
    z, x, y = T.dmatrices("z", "x", "y")
    b = T.dvector("b")
    d = T.dot(x, y)
    shared_product = FunctionGraph([z, x, y], [z - d, d * 2])
    assert specialize_gemm(shared_product) == 0
    bias = FunctionGraph([x, y, b], [T.dot(x, y) + b])        # the bias row broadcasts
    assert specialize_gemm(bias) == 0
    fz = T.fmatrix("fz")
    upcast = FunctionGraph([fz, x, y], [fz - T.dot(x, y)])    # a float64 product: not the dtype of z
    assert specialize_gemm(upcast) == 0


def test_gemm_op_matches_numpy_natively_on_strided_and_empty_operands():
    z, x, y = T.dmatrices("z", "x", "y")
    a, b = T.dscalars("a", "b")
    out = Gemm()(z, a, x, y, b)
    f = function([z, a, x, y, b], out)
    zv, xv, yv = values((4, 3), (4, 5), (5, 3))
    np.testing.assert_allclose(f(zv, 0.5, xv, yv, 2.0), 2.0 * zv + 0.5 * xv @ yv, rtol=1e-12)
    np.testing.assert_allclose(f(zv.T.copy().T, -1.0, np.asfortranarray(xv), yv[:, :], 1.0), zv - xv @ yv,
                               rtol=1e-12)
    big_z = np.zeros((4, 6))
    big_z[:, ::2] = zv   # a z BLAS cannot write in place: computed aside and copied back
    np.testing.assert_allclose(f(big_z[:, ::2], 1.0, xv, yv, 1.0), zv + xv @ yv, rtol=1e-12)
    np.testing.assert_allclose(f(zv, 1.0, np.zeros((4, 0)), np.zeros((0, 3)), 3.0), 3 * zv)
    assert f(np.zeros((0, 3)), 1.0, np.zeros((0, 5)), yv, 1.0).shape == (0, 3)


def test_gemm_inplace_writes_into_z():
    z, x, y = T.dmatrices("z", "x", "y")
    node = Gemm(inplace=True).make_node(z, T.constant(np.float64(2)), x, y, T.constant(np.float64(1)))
    assert node.op.destroy_map == {0: [0]}
    zv, xv, yv = values((2, 2), (2, 3), (3, 2))
    storage = [[None]]
    before = zv.copy()
    node.op.perform(node, [zv, np.float64(2.0), xv, yv, np.float64(1.0)], storage)
    assert storage[0][0] is zv
    np.testing.assert_allclose(zv, before + 2 * xv @ yv)


def test_gemm_gradient():
    zv, xv, yv = values((3, 2), (3, 4), (4, 2))
    jitgraph.gradient.verify_grad(lambda z, x, y: Gemm()(z, T.constant(np.float64(0.7)), x, y, T.constant(np.float64(-1.5))),
                                  [zv, xv, yv], rng=np.random.RandomState(0))


def test_gemm_bad_input():
    z, x, y = T.dmatrices("z", "x", "y")
    with pytest.raises(TypeError, match="x must have 2 dimension"):
        Gemm()(z, T.constant(np.float64(1)), T.dvector(), y, T.constant(np.float64(1)))
    with pytest.raises(TypeError, match="alpha has dtype float32, expected float64"):
        Gemm()(z, T.constant(np.float32(1)), x, y, T.constant(np.float64(1)))
    with pytest.raises(TypeError, match="expected float32 or float64"):
        Gemm()(T.imatrix(), T.constant(np.int32(1)), T.imatrix(), T.imatrix(), T.constant(np.int32(1)))
    out = Gemm()(z, T.constant(np.float64(1)), x, y, T.constant(np.float64(1)))
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        f = function([z, x, y], out, mode=mode)
        with pytest.raises(ValueError, match="shapes do not match"):
            f(np.zeros((2, 2)), np.zeros((2, 3)), np.zeros((4, 2)))
        with pytest.raises(ValueError, match="shapes do not match"):
            f(np.zeros((3, 2)), np.zeros((2, 3)), np.zeros((3, 2)))
