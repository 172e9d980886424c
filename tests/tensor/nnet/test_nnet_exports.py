"""Theano's module paths and names under ``theano.tensor.nnet`` all resolve."""
import importlib

import pytest

import jitgraph.tensor as T

# Theano 1.0.5's public names in theano.tensor.nnet that this package provides (convolution,
# h_softmax, confusion_matrix and the graph rewrites are not here yet).
THEANO_NAMES = [
    "CrossentropyCategorical1Hot", "CrossentropyCategorical1HotGrad", "CrossentropySoftmax1HotWithBiasDx",
    "CrossentropySoftmaxArgmax1HotWithBias", "LogSoftmax", "Prepend_scalar_constant_to_each_row",
    "Prepend_scalar_to_each_row", "Softmax", "SoftmaxGrad", "SoftmaxWithBias", "batch_normalization",
    "binary_crossentropy", "categorical_crossentropy", "crossentropy_categorical_1hot",
    "crossentropy_categorical_1hot_grad", "crossentropy_softmax_1hot", "crossentropy_softmax_1hot_with_bias",
    "crossentropy_softmax_1hot_with_bias_dx", "crossentropy_softmax_argmax_1hot_with_bias",
    "crossentropy_softmax_max_and_argmax_1hot", "crossentropy_softmax_max_and_argmax_1hot_with_bias", "elu",
    "hard_sigmoid", "logsoftmax", "logsoftmax_op", "prepend_0_to_each_row", "prepend_1_to_each_row",
    "prepend_scalar_to_each_row", "relu", "scalar_sigmoid", "selu", "sigmoid", "sigmoid_binary_crossentropy",
    "softmax", "softmax_grad", "softmax_graph", "softmax_op", "softmax_with_bias", "softplus", "softsign",
    "ultra_fast_sigmoid", "nnet", "sigm", "bn"]


@pytest.mark.parametrize("name", THEANO_NAMES)
def test_theano_name_is_exported(name):
    assert hasattr(T.nnet, name)
    assert name in T.nnet.__all__


@pytest.mark.parametrize("module, name", [("nnet", "softmax"), ("nnet", "categorical_crossentropy"),
                                          ("nnet", "relu"), ("nnet", "sigmoid"), ("sigm", "sigmoid"),
                                          ("sigm", "hard_sigmoid"), ("sigm", "ultra_fast_sigmoid"),
                                          ("bn", "batch_normalization")])
def test_theano_module_paths(module, name):
    mod = importlib.import_module(f"jitgraph.tensor.nnet.{module}")
    assert getattr(mod, name) is getattr(T.nnet, name)


def test_softmax_of_a_vector_is_a_row_and_sigmoid_is_shared():
    import numpy as np
    import jitgraph
    import jitgraph.tensor.nnet
    v = T.dvector()
    assert jitgraph.function([v], T.nnet.softmax(v))(np.arange(5.0)).shape == (1, 5)
    assert T.nnet.sigmoid is jitgraph.tensor.nnet.sigmoid
