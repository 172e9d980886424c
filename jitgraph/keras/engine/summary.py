"""``model.summary()``: Keras 1.2.2's table (layer and type, output shape, parameter
count, inbound connections; totals split into trainable and non-trainable)."""


def _row(fields, positions):
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "  # a truncated field still leaves one space before the next
        line += str(field)
        line = line[:positions[i]]
        line += " " * (positions[i] - len(line))
    return line


def _connections(layer, model_nodes):
    out = []
    for node in layer.inbound_nodes:
        if id(node) not in model_nodes:
            continue
        for inbound_layer, node_index, tensor_index in node.inbound:
            out.append(f"{inbound_layer.name}[{node_index}][{tensor_index}]")
    return out


def count_params(layers, seen=None):
    """(trainable, non-trainable) parameter counts, each weight counted once."""
    seen = set() if seen is None else seen
    trainable = non_trainable = 0
    for layer in layers:
        for w in layer.trainable_weights:
            if id(w) not in seen:
                seen.add(id(w))
                trainable += w.get_value().size
        for w in layer.non_trainable_weights:
            if id(w) not in seen:
                seen.add(id(w))
                non_trainable += w.get_value().size
    return int(trainable), int(non_trainable)


def print_summary(model, line_length=100, positions=None):
    positions = positions or [.33, .55, .67, 1.]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    model_nodes = {id(n) for n in model._nodes}
    lines = ["_" * line_length,
             _row(["Layer (type)", "Output Shape", "Param #", "Connected to"], positions),
             "=" * line_length]
    layers = model.layers
    for i, layer in enumerate(layers):
        try:
            shape = layer.output_shape
        except AttributeError:
            shape = "multiple"
        conns = _connections(layer, model_nodes)
        lines.append(_row([f"{layer.name} ({type(layer).__name__})", shape, layer.count_params(),
                           conns[0] if conns else ""], positions))
        for extra in conns[1:]:
            lines.append(_row(["", "", "", extra], positions))
        lines.append(("=" if i == len(layers) - 1 else "_") * line_length)
    trainable, non_trainable = count_params(layers)
    lines += [f"Total params: {trainable + non_trainable:,}",
              f"Trainable params: {trainable:,}",
              f"Non-trainable params: {non_trainable:,}",
              "_" * line_length]
    print("\n".join(lines))
