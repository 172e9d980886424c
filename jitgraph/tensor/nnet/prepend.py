"""Theano's ops that prepend a column holding one scalar to a matrix (a bias unit)."""
import numpy as np

from jitgraph.graph.basic import Apply, Op
from jitgraph.tensor.basic import cast
from jitgraph.tensor.nnet.native import nnet_template_step
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable, constant


def _matrix(mat, what):
    mat = as_tensor_variable(mat)
    if mat.ndim != 2:
        raise TypeError(f"{what}: expected a matrix as input, got {mat.type}")
    return mat


def _widened_type(mat):
    cols = mat.type.shape[1]
    return TensorType(mat.dtype, (False, False), shape=(mat.type.shape[0], None if cols is None else cols + 1))


def _lower_prepend(ctx, node, val, mat, val_error=""):
    """Native code of both ops: ``val`` a 0-d variable (or constant) of the matrix's dtype;
    ``val_error``, when the constant does not fit that dtype, a message to fail with at run
    time (a ValueError; the reference fails there too, with numpy's OverflowError)."""
    from jitgraph.codegen.c import c_string
    nnet_template_step(ctx, node, "nnet_prepend.c.tmpl", {"val": val, "mat": mat}, {"out": node.outputs[0]},
                       {"VAL_ERROR": int(bool(val_error)), "VAL_MESSAGE": c_string(val_error)})


def _prepend(value, mat, dtype):
    out = np.empty((mat.shape[0], mat.shape[1] + 1), dtype=dtype)
    out[:, 0] = value
    out[:, 1:] = mat
    return out


class Prepend_scalar_constant_to_each_row(Op):
    """``[val, row...]`` for each row: a first column filled with the constant ``val``
    (given in the matrix's dtype)."""

    __props__ = ("val",)

    def __init__(self, val=0):
        self.val = float(val) if isinstance(val, (float, np.floating)) else val

    def __str__(self):
        return f"{type(self).__name__}{{{self.val}}}"

    def make_node(self, mat):
        mat = _matrix(mat, str(self))
        return Apply(self, [mat], [_widened_type(mat)()])

    def perform(self, node, inputs, output_storage):
        (mat,) = inputs
        output_storage[0][0] = _prepend(self.val, mat, node.outputs[0].dtype)

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        return [g[:, 1:]]

    def infer_shape(self, node, input_shapes):
        rows, cols = input_shapes[0]
        return [(rows, cols + 1)]

    def lower(self, ctx, node):
        # the constant as the reference stores it into the matrix's dtype (numpy's casting)
        cell = np.zeros((), dtype=node.outputs[0].dtype)
        error = ""
        try:
            cell[()] = self.val
        except (OverflowError, ValueError, TypeError) as exc:
            error = f"cannot store {self.val!r} in a {cell.dtype} matrix: {exc}"
        _lower_prepend(ctx, node, constant(cell), node.inputs[0], error)


class Prepend_scalar_to_each_row(Op):
    """``[val, row...]`` for each row, with ``val`` a symbolic scalar (cast to the
    matrix's dtype)."""

    __props__ = ()

    def make_node(self, val, mat):
        mat = _matrix(mat, "prepend_scalar_to_each_row")
        val = as_tensor_variable(val)
        if val.ndim != 0:
            raise TypeError(f"prepend_scalar_to_each_row: val must be a scalar, got {val.type}")
        if val.dtype != mat.dtype:
            val = cast(val, mat.dtype)
        return Apply(self, [val, mat], [_widened_type(mat)()])

    def perform(self, node, inputs, output_storage):
        val, mat = inputs
        output_storage[0][0] = _prepend(val, mat, node.outputs[0].dtype)

    def grad(self, inputs, output_grads):
        (g,) = output_grads
        return [g[:, 0].sum(), g[:, 1:]]

    def infer_shape(self, node, input_shapes):
        rows, cols = input_shapes[1]
        return [(rows, cols + 1)]

    def lower(self, ctx, node):
        val, mat = node.inputs
        _lower_prepend(ctx, node, val, mat)


prepend_scalar_to_each_row = Prepend_scalar_to_each_row()
prepend_0_to_each_row = Prepend_scalar_constant_to_each_row(0.0)
prepend_1_to_each_row = Prepend_scalar_constant_to_each_row(1.0)

__all__ = ["Prepend_scalar_constant_to_each_row", "Prepend_scalar_to_each_row", "prepend_scalar_to_each_row",
           "prepend_0_to_each_row", "prepend_1_to_each_row"]
