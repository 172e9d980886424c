"""DEBUG mode runs every node natively beside its reference and names the first node
whose results disagree."""
import numpy as np
import pytest

import jitgraph.tensor as T
from jitgraph import function
from jitgraph.codegen.lower_ops import elementwise_step
from jitgraph.compile.debug_program import DebugModeError, results_agree
from jitgraph.graph.basic import Apply, Op
from jitgraph.scalar.basic import get_scalar_op
from jitgraph.tensor.var import as_tensor_variable


class DoubleWithWrongNativeCode(Op):
    """Reference: 2 * x. Native code (deliberately wrong): x + x + x."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] * 2

    def lower(self, ctx, node):
        b = ctx.buf(node.inputs[0])
        bc = node.inputs[0].broadcastable
        elementwise_step(ctx, node, get_scalar_op("add"), [b, b, b], [bc] * 3, ctx.result(node.outputs[0]), bc)


def test_debug_mode_names_the_disagreeing_node():
    x = T.dvector("x")
    y = DoubleWithWrongNativeCode()(T.exp(x)) + 1
    f = function([x], y, mode="DEBUG")
    with pytest.raises(DebugModeError, match=r"DoubleWithWrongNativeCode\(Elemwise\{exp\}"):
        f(np.array([0.0, 1.0]))
    fine = function([x], T.exp(x) * 2 + 1, mode="DEBUG")
    np.testing.assert_allclose(fine(np.array([0.0, 1.0])), np.exp([0.0, 1.0]) * 2 + 1)


@pytest.mark.parametrize("native,reference,dtype,ok", [
    ([1.0, np.nan], [1.0, np.nan], "float64", True),
    ([1.0, np.nan], [np.nan, 1.0], "float64", False),
    ([1.0 + 1e-9], [1.0], "float64", True),
    ([1.0 + 1e-5], [1.0], "float64", False),
    ([1.0 + 1e-5], [1.0], "float32", True),
    ([1, 2], [1, 3], "int64", False),
    ([[1.0]], [1.0], "float64", False),
])
def test_tolerances_of_design_section_2(native, reference, dtype, ok):
    assert (results_agree(np.array(native, dtype=dtype), np.array(reference, dtype=dtype), dtype) is None) == ok
