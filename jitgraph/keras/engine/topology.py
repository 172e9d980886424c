"""Keras 1.2.2's layer machinery: ``Layer``, the ``Node`` that records one call of a
layer, ``InputLayer``/``Input``, default names and the keyword rules.

A *Keras tensor* is a jitgraph Variable carrying ``_keras_shape`` (the static shape,
``None`` for unknown dimensions) and ``_keras_history`` (``(layer, node_index,
tensor_index)``: which call of which layer produced it). Containers walk those
histories to find their graph of layers, then re-run it in training or inference
mode (``Layer._apply``), so Dropout and BatchNormalization need no runtime switch.
"""
import numpy as np

import jitgraph
import jitgraph.tensor as T

# Keras' floatx: weights are float32 whatever config.floatX says (design §6).
FLOATX = "float32"

_UNSET = object()
_name_counters = {}
_layer_classes = {}


def unique_name(prefix):
    """``prefix_1``, ``prefix_2``, ...: Keras 1's per-prefix counters."""
    _name_counters[prefix] = _name_counters.get(prefix, 0) + 1
    return f"{prefix}_{_name_counters[prefix]}"


def reset_uids():
    """Restart default naming from ``_1`` (Keras' ``K.reset_uids``)."""
    _name_counters.clear()


def pop_alias(owner, kwargs, keras1_name, keras1_value, keras2_name, default):
    """The value of an argument that Keras 1 calls ``keras1_name`` and Keras 2/3
    ``keras2_name``; giving both is a TypeError naming them."""
    if keras2_name in kwargs:
        value = kwargs.pop(keras2_name)
        if keras1_value is not _UNSET:
            raise TypeError(f"{owner}: got both {keras1_name!r} and {keras2_name!r}, which are "
                            f"two spellings of one argument; give only one")
        return value
    return default if keras1_value is _UNSET else keras1_value


def reject_unknown(owner, kwargs):
    if kwargs:
        names = ", ".join(repr(k) for k in kwargs)
        raise TypeError(f"{owner}: unknown keyword argument(s) {names}")


def to_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def unpack_singleton(xs):
    return xs[0] if len(xs) == 1 else xs


def is_keras_tensor(x):
    return hasattr(x, "_keras_history")


class RunContext:
    """What one run of a layer graph collects besides its outputs: state updates
    (BatchNormalization's moving averages) and activity-regularizer penalties."""

    def __init__(self, training):
        self.training = training
        self.updates = []
        self.losses = []


class Node:
    """One call of ``layer`` on Keras tensors ``input_tensors``, giving
    ``output_tensors``; ``inbound`` holds each input's ``(layer, node_index,
    tensor_index)``."""

    def __init__(self, layer, input_tensors, output_tensors):
        self.layer = layer
        self.input_tensors = input_tensors
        self.output_tensors = output_tensors
        self.inbound = [t._keras_history for t in input_tensors]
        self.input_shapes = [t._keras_shape for t in input_tensors]
        self.output_shapes = [t._keras_shape for t in output_tensors]

    @property
    def inbound_layers(self):
        return [h[0] for h in self.inbound]


class Layer:
    """Base of every layer. Subclasses define ``build(input_shape)`` (create weights
    with ``add_weight``), ``call(x)`` (or ``call(x, training)`` with
    ``uses_training = True``) and ``get_output_shape_for(input_shape)``."""

    uses_training = False
    _base_keywords = ("name", "trainable", "input_shape", "batch_input_shape", "batch_size",
                      "input_dtype", "dtype", "weights")

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        _layer_classes[cls.__name__] = cls

    def __init__(self, **kwargs):
        owner = type(self).__name__
        input_dtype = pop_alias(owner, kwargs, "input_dtype", kwargs.pop("input_dtype", _UNSET),
                                "dtype", None)
        batch_size = kwargs.pop("batch_size", None)
        input_shape = kwargs.pop("input_shape", None)
        batch_input_shape = kwargs.pop("batch_input_shape", None)
        if input_shape is not None and batch_input_shape is not None:
            raise TypeError(f"{owner}: give input_shape or batch_input_shape, not both")
        self.name = kwargs.pop("name", None) or unique_name(owner.lower())
        self.trainable = kwargs.pop("trainable", True)
        self._initial_weights = kwargs.pop("weights", None)
        reject_unknown(owner, kwargs)
        if input_shape is not None:
            batch_input_shape = (batch_size,) + tuple(to_list(input_shape))
        self.batch_input_shape = tuple(batch_input_shape) if batch_input_shape is not None else None
        self.input_dtype = input_dtype or FLOATX
        self.built = False
        self._trainable_weights = []
        self._non_trainable_weights = []
        self.weight_penalties = []  # regularizer losses on weights, built once
        self.constraints = {}
        self.activity_regularizer = None
        self.inbound_nodes = []
        self._pending_updates = []

    # --- weights -------------------------------------------------------------------
    @property
    def trainable_weights(self):
        return list(self._trainable_weights) if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return list(self._non_trainable_weights)
        return self._trainable_weights + self._non_trainable_weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    def add_weight(self, shape, initializer, name, regularizer=None, trainable=True,
                   constraint=None):
        """A float32 shared variable named ``<layer>_<name>`` (Keras 1.2.2's names, which
        the HDF5 files and the optimizer's weight order rely on)."""
        from jitgraph.keras import initializers
        full_name = f"{self.name}_{name}"
        value = _initial_value(initializers.get(initializer), tuple(int(s) for s in shape),
                               full_name)
        weight = jitgraph.shared(value, name=full_name)
        (self._trainable_weights if trainable else self._non_trainable_weights).append(weight)
        if regularizer is not None:
            self.weight_penalties.append(_regularizer_fn(regularizer)(weight))
        if constraint is not None:
            if not callable(constraint):
                raise TypeError(f"{self.name}: a constraint must be a callable (weight -> "
                                f"constrained weight), got {constraint!r}")
            self.constraints[weight] = constraint
        return weight

    def get_weights(self):
        return [w.get_value() for w in self.weights]

    def set_weights(self, weights):
        params = self.weights
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(f"layer {self.name!r} has {len(params)} weight(s), "
                             f"{len(weights)} given")
        values = []
        for p, w in zip(params, weights):
            w = np.asarray(w)
            expected = p.get_value().shape
            if w.shape != expected:
                raise ValueError(f"layer {self.name!r}: weight {p.name!r} has shape {expected}, "
                                 f"the value given has shape {w.shape}")
            values.append(w.astype(p.get_value().dtype))
        for p, v in zip(params, values):  # check all first: a bad list changes nothing
            p.set_value(v)

    def count_params(self):
        return int(sum(np.prod(w.get_value().shape) for w in self.weights))

    # --- the call ------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def call(self, x):
        return x

    def get_output_shape_for(self, input_shape):
        return input_shape

    def compute_output_shape(self, input_shape):  # Keras 2's name
        return self.get_output_shape_for(input_shape)

    def _apply(self, inputs, ctx):
        """The output of this layer on ``inputs`` (a tensor or a list) in ``ctx``'s mode."""
        if self.uses_training:
            out = self.call(inputs, training=ctx.training)
        else:
            out = self.call(inputs)
        if self._pending_updates:
            ctx.updates.extend(self._pending_updates)
            self._pending_updates = []
        if self.activity_regularizer is not None:
            for o in to_list(out):
                ctx.losses.append(_regularizer_fn(self.activity_regularizer)(o))
        return out

    def __call__(self, x):
        inputs = to_list(x)
        for i, t in enumerate(inputs):
            if not is_keras_tensor(t):
                raise TypeError(f"layer {self.name!r} must be called on Keras tensors (from "
                                f"Input or another layer); input {i} is {t!r}")
        multi = isinstance(x, (list, tuple))
        shapes = [t._keras_shape for t in inputs]
        shape_arg = shapes if multi else shapes[0]
        if not self.built:
            self.build(shape_arg)
            self.built = True
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None
        out = self._apply(inputs if multi else inputs[0], RunContext(training=False))
        output_shape = self.get_output_shape_for(shape_arg)
        out_shapes = output_shape if isinstance(out, list) else [output_shape]
        outputs = to_list(out)
        node_index = len(self.inbound_nodes)
        tagged = []
        for i, (o, s) in enumerate(zip(outputs, out_shapes)):
            if is_keras_tensor(o):  # an identity layer returned its input: keep both histories
                o = T.tensor_copy(o)
            o._keras_shape = tuple(s)
            o._keras_history = (self, node_index, i)
            tagged.append(o)
        self.inbound_nodes.append(Node(self, inputs, tagged))
        return tagged if isinstance(out, list) else tagged[0]

    # --- shapes of the first call (Keras' properties) ---------------------------------
    def _only_node(self, what):
        if not self.inbound_nodes:
            raise AttributeError(f"layer {self.name!r} has never been called, so it has no "
                                 f"{what}")
        return self.inbound_nodes[0]

    @property
    def output_shape(self):
        shapes = self._only_node("output shape").output_shapes
        return unpack_singleton(shapes)

    @property
    def input_shape(self):
        return unpack_singleton(self._only_node("input shape").input_shapes)

    @property
    def output(self):
        return unpack_singleton(self._only_node("output").output_tensors)

    @property
    def input(self):
        return unpack_singleton(self._only_node("input").input_tensors)

    # --- config ----------------------------------------------------------------------
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = self.batch_input_shape
            config["input_dtype"] = self.input_dtype
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _initial_value(init, shape, name):
    """float32 numpy value from an initializer, whichever of Keras 1's (returns a
    variable) or Keras 2's (returns a tensor or an array) conventions it follows."""
    try:
        value = init(shape, name=name)
    except TypeError:
        value = init(shape)
    if hasattr(value, "get_value"):
        value = value.get_value()
    elif hasattr(value, "eval") and not isinstance(value, np.ndarray):
        value = value.eval()
    value = np.asarray(value, dtype=FLOATX)
    if value.shape != shape:
        raise ValueError(f"initializer for {name!r} gave shape {value.shape}, {shape} expected")
    return value


def _regularizer_fn(regularizer):
    from jitgraph.keras import regularizers
    return regularizers.get(regularizer) if isinstance(regularizer, (str, dict)) else regularizer


class InputLayer(Layer):
    """The layer behind ``Input``: holds one placeholder, never called."""

    def __init__(self, input_shape=None, batch_input_shape=None, input_dtype=None,
                 input_tensor=None, sparse=False, name=None, dtype=None, batch_size=None):
        if input_dtype is not None and dtype is not None:
            raise TypeError("InputLayer: got both 'input_dtype' and 'dtype'; give only one")
        if input_shape is None and batch_input_shape is None and input_tensor is None:
            raise ValueError("an Input needs shape (without the batch axis) or batch_shape")
        super().__init__(name=name or unique_name("input"), input_shape=input_shape,
                         batch_input_shape=batch_input_shape, batch_size=batch_size,
                         input_dtype=input_dtype or dtype or FLOATX)
        self.sparse = sparse
        if input_tensor is None:
            input_tensor = T.TensorType(self.input_dtype, shape=self.batch_input_shape)(
                name=self.name)
        elif self.batch_input_shape is None:
            self.batch_input_shape = (None,) * input_tensor.ndim
        input_tensor._keras_shape = self.batch_input_shape
        input_tensor._keras_history = (self, 0, 0)
        self.built = True
        self.inbound_nodes.append(Node(self, [], [input_tensor]))
        self.inbound_nodes[0].input_shapes = [self.batch_input_shape]

    def get_config(self):
        return {"batch_input_shape": self.batch_input_shape, "input_dtype": self.input_dtype,
                "sparse": self.sparse, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def Input(shape=None, batch_shape=None, name=None, dtype=None, sparse=False, tensor=None,
          batch_size=None):
    """A Keras tensor: the placeholder of a new ``InputLayer``. ``shape`` excludes the
    batch axis; ``batch_shape`` includes it."""
    if shape is not None and batch_shape is not None:
        raise TypeError("Input: give shape or batch_shape, not both")
    layer = InputLayer(input_shape=shape, batch_input_shape=batch_shape, name=name,
                       input_dtype=dtype, sparse=sparse, input_tensor=tensor,
                       batch_size=batch_size)
    return layer.inbound_nodes[0].output_tensors[0]


def layer_from_config(config, custom_objects=None):
    """A layer (or model) from ``{'class_name': ..., 'config': ...}``."""
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"a layer config is a dict with 'class_name' and 'config', got {config!r}")
    name = config["class_name"]
    classes = dict(_layer_classes)
    classes.update(custom_objects or {})
    if name not in classes:
        raise ValueError(f"unknown layer class {name!r} (pass it in custom_objects)")
    cls = classes[name]
    try:
        return cls.from_config(config["config"], custom_objects=custom_objects)
    except TypeError as e:
        if "custom_objects" not in str(e):
            raise
        return cls.from_config(config["config"])

