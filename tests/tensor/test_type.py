"""TensorType, constructors, constants and Theano's autocasting."""
import numpy as np
import pytest

import jitgraph.tensor as T
from jitgraph.tensor.type import TensorType


@pytest.mark.parametrize("prefix,dtype", [("b", "int8"), ("w", "int16"), ("i", "int32"), ("l", "int64"),
                                          ("f", "float32"), ("d", "float64")])
@pytest.mark.parametrize("kind,bcast", [("scalar", ()), ("vector", (False,)), ("matrix", (False, False)),
                                        ("row", (True, False)), ("col", (False, True)),
                                        ("tensor3", (False,) * 3), ("tensor4", (False,) * 4)])
def test_constructors(prefix, dtype, kind, bcast):
    v = getattr(T, prefix + kind)("v")
    assert v.dtype == dtype and v.broadcastable == bcast and v.name == "v"


def test_plain_constructors_use_floatx_and_dtype_keyword():
    assert T.matrix().dtype == "float64"
    assert T.matrix(dtype="int32").dtype == "int32"
    assert T.scalar(name="s").name == "s"
    with pytest.raises(TypeError, match="conflicts"):
        T.dmatrix(dtype="int32")
    with pytest.raises(TypeError, match="unknown dtype"):
        T.matrix(dtype="quaternion")


def test_plural_constructors():
    a, b, c = T.dscalars("a", "b", "c")
    assert (a.name, b.name, c.name) == ("a", "b", "c")
    assert [m.name for m in T.matrices("x", "y")] == ["x", "y"]
    assert len(T.fvectors(3)) == 3
    assert T.dscalars("x").name == "x"
    assert [v.name for v in T.ivectors("xyz")] == ["x", "y", "z"]
    assert T.imatrices("a", "b")[0].dtype == "int32"


def test_type_strings_match_theano():
    assert str(T.dscalar().type) == "TensorType(float64, scalar)"
    assert str(T.fmatrix().type) == "TensorType(float32, matrix)"
    assert str(T.drow().type) == "TensorType(float64, row)"
    assert str(T.dtensor3().type) == "TensorType(float64, 3D)"


def test_static_shape():
    t = TensorType("float32", shape=(None, 3, 1))
    assert t.broadcastable == (False, False, True)
    assert t.shape == (None, 3, 1)
    assert TensorType("float32", (False, True)).shape == (None, 1)


@pytest.mark.parametrize("value,dtype", [(7, "int8"), (300, "int16"), (70000, "int32"), (2 ** 40, "int64"),
                                         (0.5, "float32"), (0.1, "float64"), (True, "bool"),
                                         ([1, 2], "int64"), ([1.0, 2.0], "float64"),
                                         (np.float32(2), "float32"), (np.arange(3, dtype="uint8"), "uint8")])
def test_constant_autocasting(value, dtype):
    assert T.constant(value).dtype == dtype


def test_constants_are_read_only_and_broadcastable_where_size_one():
    c = T.constant(np.ones((1, 3)))
    assert c.broadcastable == (True, False)
    with pytest.raises(ValueError):
        c.data[0, 0] = 5


def test_filter_conversions():
    t = TensorType("float32", (False,))
    assert t.filter([1, 2]).dtype == np.float32                    # int64 -> float32 is not safe ...
    with pytest.raises(TypeError, match="allow_input_downcast"):
        t.filter(np.array([1.5]))                                   # ... nor is float64 -> float32
    assert t.filter(np.array([1.5]), allow_downcast=True).dtype == np.float32
    with pytest.raises(TypeError, match="expected 1 dimension"):
        t.filter(np.zeros((2, 2), dtype="float32"))
    it = TensorType("int8", ())
    assert it.filter(100) == 100
    with pytest.raises(TypeError, match="does not fit"):
        it.filter(1000)
    with pytest.raises(TypeError, match="losing"):
        it.filter(1.5)


def test_complex_values_rejected():
    with pytest.raises(TypeError, match="complex"):
        T.constant(1 + 2j)


@pytest.mark.parametrize("expr,dtype", [
    (lambda: T.ivector() + 1, "int32"),
    (lambda: T.exp(T.ivector()), "float64"),
    (lambda: T.exp(T.bvector()), "float32"),
    (lambda: T.bvector() + T.bvector(), "int8"),
    (lambda: T.fvector() * 0.5, "float32"),
    (lambda: T.ivector() * 0.5, "float64"),
    (lambda: T.ivector() // T.ivector(), "int32"),
    (lambda: T.ivector() ** 2, "int32"),
    (lambda: T.sum(T.ivector()), "int64"),
    (lambda: T.mean(T.ivector()), "float64"),
    (lambda: T.mean(T.fvector()), "float32"),
    (lambda: T.sum(T.vector(dtype="uint8")), "uint64"),
    (lambda: T.dot(T.fmatrix(), T.dmatrix()), "float64"),
    (lambda: T.dot(T.imatrix(), T.imatrix()), "int32"),
    (lambda: T.switch(T.ivector(), T.fvector(), 2), "float32"),
    (lambda: T.ivector() < 3, "bool"),
])
def test_dtype_rules_match_theano(expr, dtype):
    # reference values recorded from Theano 1.0.5 with floatX=float64
    assert expr().dtype == dtype
