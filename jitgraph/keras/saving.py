"""Saving and loading models in Keras 1.2.2's HDF5 layout and its JSON.

The HDF5 file that ``save_model`` writes (and ``load_model`` reads) is Keras 1.2.2's:

    /                      attrs: keras_version, model_config (JSON of {class_name, config}),
                                  training_config (JSON: optimizer_config, loss, metrics,
                                  sample_weight_mode, loss_weights) when the model is compiled
    /model_weights         attrs: layer_names (every layer, in model order)
    /model_weights/<layer> attrs: weight_names; one dataset per weight, named by weight_names
    /optimizer_weights     attrs: weight_names; one dataset per optimizer weight (iterations,
                                  then moments), present once the optimizer has state

``save_weights`` writes only the ``model_weights`` part, at the root of its file. Strings
are written as UTF-8 bytes exactly as Keras 1.2.2 does, so with the same h5py every
attribute and dataset gets the same HDF5 type as in a file Keras wrote.

Loading reads and checks everything a step needs (counts, shapes, missing datasets)
before it assigns anything, so a damaged or mismatched file raises a ValueError that
says what is wrong and leaves the model's weights and optimizer state as they were.

The model side is Keras 1.2.2's interface: ``model.layers``, ``layer.name``,
``layer.weights`` (for weight names), ``layer.get_weights()/set_weights()``,
``model.get_config()``, ``Sequential/Model.from_config``, ``model.compile``,
``model.optimizer.get_weights()/set_weights()/get_config()``, ``model.loss``,
``model.metrics``.
"""
import inspect
import json
import os
import tempfile
import warnings

import numpy as np

# The file format is Keras 1.2.2's, so that is the version files say they were written by.
FORMAT_KERAS_VERSION = "1.2.2"


# ----------------------------------------------------------------------------- writing

def _json_default(obj):
    """What Keras 1.2.2 writes for config values json can't encode itself."""
    if hasattr(obj, "get_config"):
        return {"class_name": obj.__class__.__name__, "config": obj.get_config()}
    if type(obj).__module__ == np.__name__:
        return obj.tolist() if isinstance(obj, np.ndarray) else obj.item()
    if callable(obj):  # loss and metric functions, classes
        return obj.__name__
    raise TypeError(f"cannot write {obj!r} (a {type(obj).__name__}) into the model's JSON config")


def _model_config(model):
    return {"class_name": model.__class__.__name__, "config": model.get_config()}


def model_to_json(model, **kwargs):
    """``model.to_json()``: the architecture as Keras 1.2.2's JSON (``kwargs`` go to
    ``json.dumps``, e.g. ``indent``)."""
    config = _model_config(model)
    config["keras_version"] = FORMAT_KERAS_VERSION
    return json.dumps(config, default=_json_default, **kwargs)


def _unique_weight_names(variables, count):
    """Dataset names for ``count`` weights: the variables' names (Keras' ``dense_1_W``),
    or ``param_<i>`` like Keras when a name is missing or would collide."""
    names = [getattr(v, "name", None) for v in variables]
    if len(names) != count or not all(names) or len(set(names)) != count:
        return [f"param_{i}" for i in range(count)]
    return [str(n) for n in names]


def _write_arrays(group, names, values):
    group.attrs["weight_names"] = [n.encode("utf8") for n in names]
    for name, value in zip(names, values):
        value = np.asarray(value)
        dataset = group.create_dataset(name, value.shape, dtype=value.dtype)
        if value.shape:
            dataset[:] = value
        else:
            dataset[()] = value


def _model_layers(model):
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TypeError(f"expected a Keras model with a `layers` list, got {type(model).__name__}")
    return list(layers)


def save_weights_to_hdf5_group(model, group):
    """Keras 1.2.2's weights layout (``layer_names``, one group per layer) into ``group``."""
    layers = _model_layers(model)
    group.attrs["layer_names"] = [layer.name.encode("utf8") for layer in layers]
    for layer in layers:
        values = layer.get_weights()
        names = _unique_weight_names(getattr(layer, "weights", []), len(values))
        _write_arrays(group.create_group(layer.name), names, values)


def _training_config(model):
    optimizer = model.optimizer
    return {
        "optimizer_config": {"class_name": optimizer.__class__.__name__,
                             "config": optimizer.get_config()},
        "loss": getattr(model, "loss", None),
        "metrics": getattr(model, "metrics", None),
        "sample_weight_mode": getattr(model, "sample_weight_mode", None),
        "loss_weights": getattr(model, "loss_weights", None),
    }


def _ask_to_overwrite(filepath):
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n] ").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel). ').strip().lower()
    return answer == "y"


def _write_hdf5_atomically(filepath, fill):
    """Write through a temporary file in the same directory and rename it into place, so a
    failure half-way never leaves a damaged file (nor destroys the previous one)."""
    import h5py

    directory = os.path.dirname(os.path.abspath(filepath))
    handle, tmp_path = tempfile.mkstemp(suffix=".h5.tmp", dir=directory)
    os.close(handle)
    try:
        with h5py.File(tmp_path, "w") as f:
            fill(f)
        os.replace(tmp_path, filepath)
    except BaseException:
        if os.path.exists(tmp_path):
            os.remove(tmp_path)
        raise


def save_model(model, filepath, overwrite=True):
    """``model.save(filepath)``: architecture, weights, training configuration and optimizer
    state in one HDF5 file that ``load_model`` (ours or Keras 1.2.2's) reads back."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.isfile(filepath) and not _ask_to_overwrite(filepath):
        return
    # Everything that can fail on the model side is gathered before the file is touched.
    model_config = json.dumps(_model_config(model), default=_json_default)
    optimizer = getattr(model, "optimizer", None)
    training_config = optimizer_names = optimizer_values = None
    if optimizer is not None:
        training_config = json.dumps(_training_config(model), default=_json_default)
        optimizer_values = [np.asarray(v) for v in optimizer.get_weights()]
        optimizer_names = _unique_weight_names(getattr(optimizer, "weights", []), len(optimizer_values))

    def fill(f):
        f.attrs["keras_version"] = FORMAT_KERAS_VERSION.encode("utf8")
        f.attrs["model_config"] = model_config.encode("utf8")
        save_weights_to_hdf5_group(model, f.create_group("model_weights"))
        if training_config is not None:
            f.attrs["training_config"] = training_config.encode("utf8")
            if optimizer_values:  # Keras writes the group only once the optimizer has state
                _write_arrays(f.create_group("optimizer_weights"), optimizer_names, optimizer_values)

    _write_hdf5_atomically(filepath, fill)


def save_weights(model, filepath, overwrite=True):
    """``model.save_weights(filepath)``: Keras 1.2.2's weights-only file."""
    filepath = os.fspath(filepath)
    if not overwrite and os.path.isfile(filepath) and not _ask_to_overwrite(filepath):
        return
    _write_hdf5_atomically(filepath, lambda f: save_weights_to_hdf5_group(model, f))


# ----------------------------------------------------------------------------- reading

def _text(value):
    """An h5py string attribute as str: h5py returns bytes or str depending on how it was
    stored (fixed-length vs variable-length)."""
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf8")
    return str(value)


def _name_list(attrs, key, where):
    if key not in attrs:
        raise ValueError(f"{where} has no '{key}' attribute: not a Keras weights group")
    return [_text(n) for n in np.atleast_1d(attrs[key]).tolist()]


def _read_arrays(group, where):
    """The arrays of a group with a ``weight_names`` attribute, in that order."""
    names = _name_list(group.attrs, "weight_names", where)
    values = []
    for name in names:
        if name not in group:
            raise ValueError(f"{where} lists weight {name!r} in weight_names, but the file has "
                             f"no such dataset (damaged file?)")
        try:
            values.append(np.asarray(group[name][()]))
        except (OSError, KeyError, TypeError) as exc:
            raise ValueError(f"{where}: cannot read weight {name!r} ({exc})") from None
    return names, values


def _read_layer_weights(group, where):
    """``[(layer_name, weight_names, values)]`` in file order."""
    layers = []
    for layer_name in _name_list(group.attrs, "layer_names", where):
        if layer_name not in group:
            raise ValueError(f"{where} lists layer {layer_name!r} in layer_names, but the file "
                             f"has no group for it (damaged file?)")
        names, values = _read_arrays(group[layer_name], f"{where}, layer {layer_name!r}")
        layers.append((layer_name, names, values))
    return layers


def _checked_values(layer, values, where):
    """``values`` cast to ``layer``'s weight dtypes, after checking count and shapes."""
    current = layer.get_weights()
    if len(values) != len(current):
        raise ValueError(f"{where}: layer {layer.name!r} has {len(current)} weight(s), but the "
                         f"file has {len(values)} for it")
    checked = []
    for i, (value, now) in enumerate(zip(values, current)):
        now = np.asarray(now)
        if value.shape != now.shape:
            raise ValueError(f"{where}: weight {i} of layer {layer.name!r} has shape {now.shape}, "
                             f"but the file's has shape {value.shape}")
        checked.append(value.astype(now.dtype, copy=False))
    return checked


def _assign_by_order(model, file_layers, where):
    """Pair the model's layers that have weights with the file's, in order (layers without
    weights are skipped on both sides, as Keras does), and check every pair."""
    model_layers = [layer for layer in _model_layers(model) if layer.get_weights()]
    file_layers = [entry for entry in file_layers if entry[2]]
    if len(model_layers) != len(file_layers):
        raise ValueError(f"{where}: the file has weights for {len(file_layers)} layer(s) "
                         f"({', '.join(e[0] for e in file_layers) or 'none'}), but the model has "
                         f"{len(model_layers)} layer(s) with weights "
                         f"({', '.join(layer.name for layer in model_layers) or 'none'})")
    return [(layer, _checked_values(layer, values, f"{where} (file layer {name!r})"))
            for layer, (name, _, values) in zip(model_layers, file_layers)]


def _assign_by_name(model, file_layers, where):
    """Each file layer's weights go to the model's layers of the same name; others are skipped."""
    by_name = {}
    for layer in _model_layers(model):
        by_name.setdefault(layer.name, []).append(layer)
    return [(layer, _checked_values(layer, values, where))
            for name, _, values in file_layers for layer in by_name.get(name, [])]


def load_weights_from_hdf5_group(model, group, by_name=False, where="weights file"):
    file_layers = _read_layer_weights(group, where)
    assign = _assign_by_name if by_name else _assign_by_order
    # All checked first: a mismatch anywhere leaves every weight as it was.
    for layer, values in assign(model, file_layers, where):
        layer.set_weights(values)


def _open_hdf5(filepath):
    import h5py

    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"no such file: {filepath!r}")
    try:
        return h5py.File(filepath, "r")
    except OSError as exc:
        raise OSError(f"{filepath!r} is not a readable HDF5 file (damaged or not written by "
                      f"Keras): {exc}") from None


def load_weights(model, filepath, by_name=False):
    """``model.load_weights(filepath, by_name=False)``: from a ``save_weights`` file or from
    the ``model_weights`` of a ``save_model`` file. By default weights go to layers by
    order (layers without weights skipped); ``by_name=True`` matches layer names and skips
    layers the file doesn't have."""
    with _open_hdf5(filepath) as f:
        group = f
        if "layer_names" not in f.attrs and "model_weights" in f:
            group = f["model_weights"]
        load_weights_from_hdf5_group(model, group, by_name=by_name, where=os.fspath(filepath))


# ----------------------------------------------------------------------------- models

def _keras_module(name):
    import importlib

    return importlib.import_module(f"jitgraph.keras.{name}")


def _call_from_config(cls, config, custom_objects):
    from_config = getattr(cls, "from_config", None)
    if from_config is None:
        return cls(**config)
    if "custom_objects" in inspect.signature(from_config).parameters:
        return from_config(config, custom_objects=custom_objects)
    return from_config(config)


# Names other Keras versions give the functional model class in saved configs.
_MODEL_CLASS_ALIASES = {"Container": "Model", "Functional": "Model"}


def model_from_config(config, custom_objects=None):
    """A model (or layer) from ``{'class_name': ..., 'config': ...}``, built by the layer
    registry of ``jitgraph.keras.models`` (custom classes come from ``custom_objects``)."""
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError("a model config is a dict with 'class_name' and 'config' "
                         f"(got {type(config).__name__})")
    custom_objects = dict(custom_objects or {})
    _keras_module("layers")  # layer classes register themselves when their module loads
    class_name = config["class_name"]
    if class_name not in custom_objects:
        class_name = _MODEL_CLASS_ALIASES.get(class_name, class_name)
    return _keras_module("models").model_from_config(
        {"class_name": class_name, "config": config["config"]}, custom_objects)


def _parse_json(text, what):
    if isinstance(text, (bytes, np.bytes_)):
        text = text.decode("utf8")
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not valid JSON ({exc})") from None


def model_from_json(json_string, custom_objects=None):
    """The (uncompiled, freshly initialised) model described by ``model.to_json()``."""
    return model_from_config(_parse_json(json_string, "the model JSON"), custom_objects)


def _optimizer_from_config(config, custom_objects):
    optimizers = _keras_module("optimizers")
    class_name = config["class_name"]
    cls = custom_objects.get(class_name)
    if cls is None:
        # Keras 1.2.2 matches the class name case-insensitively ('sgd' -> SGD).
        for attr in dir(optimizers):
            candidate = getattr(optimizers, attr)
            if (attr.lower() == class_name.lower() and isinstance(candidate, type)
                    and hasattr(candidate, "get_updates")):
                cls = candidate
                break
    if cls is None:
        raise ValueError(f"unknown optimizer class {class_name!r} in the training config")
    return _call_from_config(cls, config["config"], custom_objects)


def _restore_custom(value, custom_objects):
    """Keras' deserialisation of a loss or metrics entry: names of custom functions become
    the functions; Keras' own names stay strings for ``compile`` to resolve."""
    if isinstance(value, list):
        return [_restore_custom(v, custom_objects) for v in value]
    if isinstance(value, dict):
        return {k: _restore_custom(v, custom_objects) for k, v in value.items()}
    if isinstance(value, str) and value in custom_objects:
        return custom_objects[value]
    return value


def _build_optimizer_state(model, expected):
    """Keras creates the optimizer's moments when it builds the training function; build it
    (if compile didn't already) so the saved state has somewhere to go."""
    if len(model.optimizer.get_weights()) == expected:
        return
    for owner in (model, getattr(model, "model", None)):  # Keras 1's Sequential wraps a Model
        make = getattr(owner, "_make_train_function", None)
        if make is not None:
            make()
            break


def _compile_from_training_config(model, training_config, custom_objects):
    optimizer = _optimizer_from_config(training_config["optimizer_config"], custom_objects)
    options = {"optimizer": optimizer,
               "loss": _restore_custom(training_config["loss"], custom_objects)}
    metrics = training_config.get("metrics")
    if metrics:
        options["metrics"] = _restore_custom(metrics, custom_objects)
    # Passed only when set, so compile() need not know them otherwise.
    for key in ("loss_weights", "sample_weight_mode"):
        if training_config.get(key) is not None:
            options[key] = training_config[key]
    model.compile(**options)


def _set_optimizer_state(model, group, where):
    names, values = _read_arrays(group, where)
    _build_optimizer_state(model, len(values))
    current = model.optimizer.get_weights()
    if len(current) != len(values):
        raise ValueError(f"{where}: the file has {len(values)} optimizer weight(s) but the "
                         f"model's {type(model.optimizer).__name__} has {len(current)}")
    checked = []
    for name, value, now in zip(names, values, current):
        now = np.asarray(now)
        if value.shape != now.shape:
            raise ValueError(f"{where}: optimizer weight {name!r} has shape {value.shape} in the "
                             f"file, but the optimizer's has shape {now.shape}")
        checked.append(value.astype(now.dtype, copy=False))
    model.optimizer.set_weights(checked)


def load_model(filepath, custom_objects=None):
    """The model saved by ``save_model`` (or by Keras 1.2.2's ``model.save``): built from its
    config, with its weights, compiled as it was and with the optimizer's state (iterations,
    moments) restored, so training continues where it stopped."""
    custom_objects = dict(custom_objects or {})
    where = os.fspath(filepath)
    with _open_hdf5(filepath) as f:
        if "model_config" not in f.attrs:
            raise ValueError(f"{where}: no model found in the file (no 'model_config' attribute; "
                             f"a weights-only file loads with model.load_weights)")
        model = model_from_config(_parse_json(f.attrs["model_config"], f"{where}: model_config"),
                                  custom_objects)
        if "model_weights" not in f:
            raise ValueError(f"{where}: the file has a model_config but no 'model_weights' group")
        load_weights_from_hdf5_group(model, f["model_weights"], where=where)

        if "training_config" not in f.attrs:
            warnings.warn(f"{where}: no training configuration in the file, so the model was "
                          f"not compiled; compile it yourself")
            return model
        training_config = _parse_json(f.attrs["training_config"], f"{where}: training_config")
        _compile_from_training_config(model, training_config, custom_objects)
        if "optimizer_weights" in f:
            _set_optimizer_state(model, f["optimizer_weights"], f"{where}, optimizer_weights")
    return model
