"""``Sequential`` and ``Model`` (Keras 1's ``keras.models``), plus the loaders, which
live in ``jitgraph.keras.saving`` and are imported when called."""
from jitgraph.keras.engine.topology import (Input, InputLayer, Layer, is_keras_tensor,
                                            layer_from_config, unique_name)
from jitgraph.keras.engine.training import Model


class Sequential(Model):
    """A linear stack of layers. The first layer says the input shape
    (``input_dim``/``input_shape``/``batch_input_shape``), or ``add`` a layer already
    called on a Keras tensor."""

    def __init__(self, layers=None, name=None):
        Layer.__init__(self, name=name or unique_name("sequential"))
        self.layers = []
        self.inputs, self.outputs = [], []
        self.built = False
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes a layer, got {type(layer).__name__} {layer!r}")
        if any(existing.name == layer.name for existing in self.layers):
            raise ValueError(f"the model already has a layer named {layer.name!r}; layer names "
                             f"must be unique")
        if not self.outputs:
            if layer.inbound_nodes and not isinstance(layer, (InputLayer, Model)):
                node = layer.inbound_nodes[-1]
                if len(node.output_tensors) != 1:
                    raise ValueError("the first layer of a Sequential model must have one output")
                x = node.input_tensors[0]
                output = node.output_tensors[0]
            else:
                shape = getattr(layer, "batch_input_shape", None)
                if shape is None and isinstance(layer, Model):
                    shape = layer.inputs[0]._keras_shape
                if shape is None:
                    raise ValueError(f"the first layer of a Sequential model ({layer.name!r}) must "
                                     f"say its input shape: input_dim=, input_shape= or "
                                     f"batch_input_shape=")
                x = Input(batch_shape=shape, dtype=getattr(layer, "input_dtype", None),
                          name=unique_name(f"{type(layer).__name__.lower()}_input"))
                output = x if isinstance(layer, InputLayer) else layer(x)
            if isinstance(layer, InputLayer):
                x = output = layer.inbound_nodes[0].output_tensors[0]
            inputs = [x]
        else:
            inputs = self.inputs
            output = layer(self.outputs[0])
            if isinstance(output, list):
                raise ValueError(f"layer {layer.name!r} gives several outputs; a Sequential "
                                 f"model takes single-output layers")
        if isinstance(layer, InputLayer):
            self.inputs, self.outputs = inputs, [output]
        else:
            self._init_graph(inputs, [output])
        self.train_function = self.test_function = self.predict_function = None

    def pop(self):
        if not self.layers:
            raise TypeError("there are no layers in the model")
        remaining = self.layers[:-1]
        if not remaining:
            self.layers, self.inputs, self.outputs = [], [], []
            self.built = False
            return
        last = remaining[-1]
        self._init_graph(self.inputs, [last.inbound_nodes[-1].output_tensors[0]])

    def _init_graph(self, inputs, outputs):
        super()._init_graph(inputs, outputs)
        # Keras lists only the added layers, not the InputLayer it made for them.
        self.layers = [la for la in self.layers if not isinstance(la, InputLayer)]

    @property
    def model(self):  # Keras 1's inner functional model; here the Sequential is one
        return self

    def get_config(self):
        """Keras 1.2.2: a list of the layers' configs."""
        return [{"class_name": type(layer).__name__, "config": layer.get_config()}
                for layer in self.layers]

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if isinstance(config, dict) and "layers" in config:  # Keras 2's form
            model = cls(name=config.get("name"))
            config = config["layers"]
        else:
            model = cls()
        for layer_config in config:
            model.add(layer_from_config(layer_config, custom_objects))
        return model


def model_from_config(config, custom_objects=None):
    """A model from ``{'class_name': 'Sequential' | 'Model', 'config': ...}``."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("a model config is a dict with 'class_name' and 'config'")
    return layer_from_config(config, custom_objects)


def load_model(filepath, custom_objects=None):
    from jitgraph.keras import saving
    if custom_objects is None:
        return saving.load_model(filepath)
    return saving.load_model(filepath, custom_objects=custom_objects)


def model_from_json(json_string, custom_objects=None):
    from jitgraph.keras import saving
    if custom_objects is None:
        return saving.model_from_json(json_string)
    return saving.model_from_json(json_string, custom_objects=custom_objects)


def save_model(model, filepath, overwrite=True):
    from jitgraph.keras import saving
    saving.save_model(model, filepath, overwrite=overwrite)


__all__ = ["Sequential", "Model", "Input", "is_keras_tensor", "model_from_config",
           "load_model", "model_from_json", "save_model"]
