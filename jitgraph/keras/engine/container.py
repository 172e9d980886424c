"""``Container``: a graph of layers from input Keras tensors to output Keras tensors,
usable itself as a layer. It finds its layers by walking the outputs' histories, and
re-runs the graph on new tensors in training or inference mode (``run_graph``)."""
import numpy as np

from jitgraph.keras.engine.topology import (InputLayer, Layer, RunContext, is_keras_tensor,
                                            layer_from_config, to_list, unique_name,
                                            unpack_singleton)


class Container(Layer):
    uses_training = True

    def __init__(self, input=None, output=None, name=None, inputs=None, outputs=None):
        # Keras 1 says input=/output=, Keras 2/3 inputs=/outputs=.
        if input is not None and inputs is not None:
            raise TypeError("Model: got both 'input' and 'inputs'; give only one")
        if output is not None and outputs is not None:
            raise TypeError("Model: got both 'output' and 'outputs'; give only one")
        inputs = inputs if inputs is not None else input
        outputs = outputs if outputs is not None else output
        super().__init__(name=name or unique_name(type(self).__name__.lower()))
        if inputs is None or outputs is None:
            raise TypeError("Model needs its input and output tensors: Model(inputs, outputs)")
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs, outputs):
        self.inputs = to_list(inputs)
        self.outputs = to_list(outputs)
        for kind, tensors in (("input", self.inputs), ("output", self.outputs)):
            for i, t in enumerate(tensors):
                if not is_keras_tensor(t):
                    raise TypeError(f"model {kind} {i} must be a Keras tensor (from Input or a "
                                    f"layer), got {t!r}")
        for i, t in enumerate(self.inputs):
            if not isinstance(t._keras_history[0], InputLayer):
                raise ValueError(f"model input {i} must come from Input(...), it comes from "
                                 f"layer {t._keras_history[0].name!r}")
        self._nodes = self._collect_nodes()
        reached = {id(t) for node in self._nodes for t in node.output_tensors}
        input_ids = {id(t) for t in self.inputs}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer) and id(node.output_tensors[0]) not in input_ids:
                raise ValueError(f"the graph needs input {node.layer.name!r}, which is not among "
                                 f"the model's inputs")
        assert all(id(t) in reached for t in self.outputs)
        self.layers = []
        for node in self._nodes:
            if node.layer not in self.layers:
                self.layers.append(node.layer)
        self.input_layers = [t._keras_history[0] for t in self.inputs]
        self.output_layers = [t._keras_history[0] for t in self.outputs]
        self.input_names = [layer.name for layer in self.input_layers]
        self.output_names = [layer.name for layer in self.output_layers]
        self.built = True

    def _collect_nodes(self):
        """The nodes between inputs and outputs, each after the nodes it reads from."""
        order, seen = [], set()

        def visit(tensor):
            layer, node_index, _ = tensor._keras_history
            node = layer.inbound_nodes[node_index]
            if id(node) in seen:
                return
            seen.add(id(node))
            for t in node.input_tensors:
                visit(t)
            order.append(node)

        for t in self.outputs:
            visit(t)
        return order

    # --- running the graph ----------------------------------------------------------------
    def run_graph(self, inputs, training):
        """``(outputs, ctx)``: the outputs computed from ``inputs`` (list, one per model
        input) in training or inference mode; ctx holds the updates and activity losses."""
        ctx = RunContext(training)
        value = {id(t): x for t, x in zip(self.inputs, inputs)}
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = [value[id(t)] for t in node.input_tensors]
            out = node.layer._apply(args if len(args) > 1 else args[0], ctx)
            for t, o in zip(node.output_tensors, to_list(out)):
                value[id(t)] = o
        return [value[id(t)] for t in self.outputs], ctx

    def call(self, x, training=False):
        outs, ctx = self.run_graph(to_list(x), training)
        self._pending_updates = ctx.updates
        return outs if len(outs) > 1 else outs[0]

    def get_output_shape_for(self, input_shape):
        shapes = [t._keras_shape for t in self.outputs]
        return unpack_singleton(shapes)

    # The model's own ends (Keras gives a model a first node from its inputs to outputs).
    @property
    def input_shape(self):
        return unpack_singleton([t._keras_shape for t in self.inputs])

    @property
    def output_shape(self):
        return unpack_singleton([t._keras_shape for t in self.outputs])

    @property
    def input(self):
        return unpack_singleton(self.inputs)

    @property
    def output(self):
        return unpack_singleton(self.outputs)

    # --- weights --------------------------------------------------------------------------
    def _unique_weights(self, attr):
        out, seen = [], set()
        for layer in self.layers:
            for w in getattr(layer, attr):
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    @property
    def trainable_weights(self):
        return self._unique_weights("trainable_weights") if self.trainable else []

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return self._unique_weights("non_trainable_weights")
        return self._unique_weights("weights")

    @property
    def weights(self):
        return self._unique_weights("weights") if self.trainable else self.non_trainable_weights

    @property
    def weight_penalties(self):
        return [p for layer in self.layers for p in layer.weight_penalties]

    @weight_penalties.setter
    def weight_penalties(self, value):  # Layer.__init__ sets it; a container derives it
        pass

    @property
    def constraints(self):
        out = {}
        for layer in self.layers:
            out.update(layer.constraints)
        return out

    @constraints.setter
    def constraints(self, value):
        pass

    def get_weights(self):
        return [w.get_value() for layer in self.layers for w in layer.weights]

    def set_weights(self, weights):
        """Keras' order: each layer's weights, layers in model order. Every shape is
        checked before any weight changes."""
        weights = list(weights)
        params = [w for layer in self.layers for w in layer.weights]
        if len(weights) != len(params):
            raise ValueError(f"model {self.name!r} has {len(params)} weight arrays, "
                             f"{len(weights)} given")
        for p, w in zip(params, weights):
            expected = p.get_value().shape
            if np.shape(w) != expected:
                raise ValueError(f"weight {p.name!r} has shape {expected}, the value given has "
                                 f"shape {np.shape(w)}")
        for p, w in zip(params, weights):
            p.set_value(np.asarray(w, dtype=p.get_value().dtype))

    def count_params(self):
        return int(sum(np.prod(w.get_value().shape) for w in self._unique_weights("weights")))

    def get_layer(self, name=None, index=None):
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"model has {len(self.layers)} layers, index {index} asked")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; layers: {[la.name for la in self.layers]}")

    def summary(self, line_length=100, positions=None):
        from jitgraph.keras.engine.summary import print_summary
        print_summary(self, line_length=line_length, positions=positions)

    # --- config ---------------------------------------------------------------------------
    def _node_indices(self):
        """Index of each of this container's nodes among its layer's nodes in this
        container (Keras renumbers so a layer shared with other models saves cleanly)."""
        index, count = {}, {}
        for node in self._nodes:
            index[id(node)] = count.get(node.layer, 0)
            count[node.layer] = index[id(node)] + 1
        return index

    def get_config(self):
        index = self._node_indices()

        def ref(tensor):
            layer, node_index, tensor_index = tensor._keras_history
            return [layer.name, index[id(layer.inbound_nodes[node_index])], tensor_index]

        layers = []
        for layer in self.layers:
            nodes = [n for n in self._nodes if n.layer is layer]
            inbound = [[ref(t) for t in n.input_tensors] for n in nodes
                       if not isinstance(layer, InputLayer)]
            layers.append({"name": layer.name, "class_name": type(layer).__name__,
                           "config": layer.get_config(), "inbound_nodes": inbound})
        return {"name": self.name, "layers": layers,
                "input_layers": [ref(t) for t in self.inputs],
                "output_layers": [ref(t) for t in self.outputs]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        created = {}
        # Each layer's calls, in file order; a layer whose inputs don't exist yet waits.
        pending = []
        for spec in config["layers"]:
            layer = layer_from_config({"class_name": spec["class_name"],
                                       "config": spec["config"]}, custom_objects)
            created[spec["name"]] = layer
            for node in spec.get("inbound_nodes", []):
                pending.append((layer, node))
        while pending:
            waiting = []
            for layer, node in pending:
                try:
                    args = [created[name].inbound_nodes[ni].output_tensors[ti]
                            for name, ni, ti in (r[:3] for r in node)]
                except (KeyError, IndexError):
                    waiting.append((layer, node))
                    continue
                layer(args if len(args) > 1 else args[0])
            if len(waiting) == len(pending):
                raise ValueError("model config: could not connect layers "
                                 f"{[la.name for la, _ in waiting]} (unknown inbound layers)")
            pending = waiting

        def tensor(r):
            return created[r[0]].inbound_nodes[r[1]].output_tensors[r[2]]

        return cls(inputs=[tensor(r) for r in config["input_layers"]],
                   outputs=[tensor(r) for r in config["output_layers"]],
                   name=config.get("name"))
