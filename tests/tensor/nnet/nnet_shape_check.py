"""Shared by the nnet tests: an op's ``infer_shape`` against the shapes it computes."""
import numpy as np

import jitgraph


def check_infer_shape(outputs, inputs, values, mode):
    """Compile the shapes ``infer_shape`` gives for the node producing ``outputs[0]`` and
    compare them with the shapes of the values that node computes."""
    node = outputs[0].owner
    in_shapes = [tuple(v.shape[d] for d in range(v.ndim)) for v in node.inputs]
    inferred = node.op.infer_shape(node, in_shapes)
    assert len(inferred) == len(node.outputs)
    flat = [jitgraph.tensor.as_tensor_variable(s) for shp in inferred for s in shp]
    f = jitgraph.function(inputs, list(node.outputs) + flat, mode=mode, on_unused_input="ignore")
    results = f(*values)
    computed, sizes = results[:len(node.outputs)], [int(s) for s in results[len(node.outputs):]]
    k = 0
    for value, shp in zip(computed, inferred):
        assert tuple(sizes[k:k + len(shp)]) == np.shape(value), (sizes[k:k + len(shp)], np.shape(value))
        k += len(shp)
