"""Checking and slicing the arrays given to ``fit``/``evaluate``/``predict`` (Keras
1.2.2's ``standardize_input_data`` and friends), with errors that name the layer and
the shape expected."""
import numpy as np


def standardize_arrays(data, names, shapes, dtypes, what, check_batch_axis=True):
    """A list of arrays, one per name: ``data`` may be an array, a list or a dict by
    name. 1-d arrays become ``(n, 1)`` where a 2-d array is expected."""
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        if missing:
            raise ValueError(f"no data provided for {what} {missing}; expected keys {names}")
        arrays = [data[n] for n in names]
    elif isinstance(data, (list, tuple)):
        if len(data) != len(names):
            raise ValueError(f"the model expects {len(names)} {what} array(s) ({names}), "
                             f"got a list of {len(data)}")
        arrays = list(data)
    else:
        if len(names) != 1:
            raise ValueError(f"the model expects {len(names)} {what} arrays ({names}), "
                             f"got one array")
        arrays = [data]
    out = []
    for name, array, shape, dtype in zip(names, arrays, shapes, dtypes):
        array = np.asarray(array)
        if array.ndim == 1 and shape is not None and len(shape) == 2:
            array = array[:, None]
        if shape is not None:
            if array.ndim != len(shape):
                raise ValueError(f"Error when checking {what}: expected {name} to have {len(shape)}"
                                 f" dimensions (shape {shape}), but got array with shape "
                                 f"{array.shape}")
            for i, (want, got) in enumerate(zip(shape, array.shape)):
                if i == 0 and not check_batch_axis:
                    continue
                if want is not None and want != got:
                    raise ValueError(f"Error when checking {what}: expected {name} to have shape "
                                     f"{shape} but got array with shape {array.shape}")
        if dtype is not None and array.dtype != dtype:
            if np.dtype(dtype).kind in "iu" and array.dtype.kind == "f" \
                    and not np.all(array == np.round(array)):
                raise ValueError(f"{what} {name} takes integer indices, got non-integer floats")
            array = array.astype(dtype)
        out.append(array)
    return out


def check_lengths(inputs, targets, weights=()):
    lengths = {a.shape[0] for a in inputs} | {a.shape[0] for a in targets} \
        | {a.shape[0] for a in weights}
    if len(lengths) > 1:
        raise ValueError(f"all input, target and sample weight arrays must have the same number "
                         f"of samples; got {sorted(lengths)} (inputs "
                         f"{[a.shape[0] for a in inputs]}, targets "
                         f"{[a.shape[0] for a in targets]})")


def sample_weights_for(y, sample_weight, class_weight, mode):
    """One weight per sample (per timestep for ``mode='temporal'``)."""
    if mode not in (None, "temporal"):
        raise ValueError(f"sample_weight_mode must be None or 'temporal', got {mode!r}")
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype="float32")
        want_ndim = 2 if mode == "temporal" else 1
        if sample_weight.ndim != want_ndim or sample_weight.shape != y.shape[:want_ndim]:
            raise ValueError(f"sample_weight must have shape {y.shape[:want_ndim]} (one weight per "
                             f"{'timestep' if mode else 'sample'}), got {sample_weight.shape}")
        return sample_weight
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise TypeError(f"class_weight must be a dict class -> weight, got {class_weight!r}")
        if y.ndim > 2:
            raise ValueError("class_weight is not supported for 3+ dimensional targets")
        classes = y.argmax(axis=1) if y.shape[1] > 1 else y.reshape(y.shape[0])
        try:
            return np.asarray([class_weight[int(c)] for c in classes], dtype="float32")
        except KeyError as e:
            raise ValueError(f"class_weight has no weight for class {e.args[0]}") from None
    shape = (y.shape[0],) if mode is None else y.shape[:2]
    return np.ones(shape, dtype="float32")


def make_batches(size, batch_size):
    if batch_size is None or int(batch_size) <= 0:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    batch_size = int(batch_size)
    n = (size + batch_size - 1) // batch_size
    return [(i * batch_size, min(size, (i + 1) * batch_size)) for i in range(n)]


def batch_shuffle(index_array, batch_size):
    """Shuffle whole batches (``shuffle='batch'``), the ragged tail kept in place."""
    n_full = len(index_array) // batch_size
    head = index_array[:n_full * batch_size].reshape((n_full, batch_size))
    np.random.shuffle(head)
    return np.append(head.flatten(), index_array[n_full * batch_size:])


def slice_arrays(arrays, index):
    return [a[index] for a in arrays]
