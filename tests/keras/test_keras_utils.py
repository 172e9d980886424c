"""``jitgraph.keras.utils``: to_categorical and the name helpers."""
import numpy as np
import pytest

from jitgraph.keras.utils import np_utils, to_categorical
from jitgraph.keras.utils.generic_utils import custom_object_scope, get_custom_objects, resolve_spellings
from jitgraph.keras import losses


def test_to_categorical():
    np.testing.assert_array_equal(to_categorical([2, 0, 1]), np.eye(3)[[2, 0, 1]])
    np.testing.assert_array_equal(to_categorical(np.array([[1], [0]]), 4), np.eye(4)[[1, 0]])
    np.testing.assert_array_equal(np_utils.to_categorical([1.0, 0.0], num_classes=2), np.eye(2)[[1, 0]])
    assert to_categorical([]).shape == (0, 0)
    with pytest.raises(ValueError, match="does not fit in 2 classes"):
        to_categorical([0, 2], 2)
    with pytest.raises(ValueError, match="must be integers"):
        to_categorical([0.5])
    with pytest.raises(ValueError, match=">= 0"):
        to_categorical([-1, 1])
    with pytest.raises(TypeError, match="nb_classes or num_classes"):
        to_categorical([0], nb_classes=2, num_classes=2)


def test_probas_to_classes_and_normalize():
    np.testing.assert_array_equal(np_utils.probas_to_classes(np.array([[0.2, 0.8], [0.9, 0.1]])), [1, 0])
    np.testing.assert_array_equal(np_utils.probas_to_classes(np.array([[0.7], [0.2]])), [1, 0])
    np.testing.assert_allclose(np_utils.normalize(np.array([[3., 4.], [0., 0.]])), [[0.6, 0.8], [0., 0.]])


def test_custom_objects_are_found_by_name_inside_the_scope_only():
    def my_loss(y_true, y_pred):
        return y_pred
    with custom_object_scope({"my_loss": my_loss}):
        assert losses.get("my_loss") is my_loss
    assert "my_loss" not in get_custom_objects()
    with pytest.raises(ValueError, match="Invalid objective"):
        losses.get("my_loss")


def test_resolve_spellings():
    assert resolve_spellings({"units": 3}, {"units": "output_dim"}, "Dense") == {"output_dim": 3}
    with pytest.raises(TypeError, match="Dense: got both 'output_dim' and 'units'"):
        resolve_spellings({"units": 3, "output_dim": 3}, {"units": "output_dim"}, "Dense")
