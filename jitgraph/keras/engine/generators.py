"""``fit_generator``/``evaluate_generator``/``predict_generator``: the same steps as
``fit``, on batches a Python generator yields (drawn in the calling thread)."""
import numpy as np

from jitgraph.keras import callbacks as cbks
from jitgraph.keras.engine.topology import to_list


def _next_batch(generator, what):
    try:
        item = next(generator)
    except StopIteration:
        raise ValueError(f"{what}: the generator stopped before the epoch was complete") from None
    if not isinstance(item, tuple) or len(item) not in (2, 3):
        raise ValueError(f"{what}: the generator must yield (x, y) or (x, y, sample_weight) "
                         f"tuples, got {type(item).__name__}")
    return item if len(item) == 3 else (item[0], item[1], None)


def _batch_size(x):
    first = next(iter(x.values())) if isinstance(x, dict) else to_list(x)[0]
    return len(first)


def fit_generator(model, generator, samples_per_epoch, steps, nb_epoch, verbose, callbacks,
                  validation_data, nb_val_samples, val_steps, class_weight, initial_epoch):
    labels = list(model.metrics_names)
    do_validation = validation_data is not None
    model._make_train_function()
    if do_validation:
        model._make_test_function()
    val_is_generator = do_validation and hasattr(validation_data, "__next__")
    history = model.history = cbks.History()
    callback_list = [cbks.BaseLogger()] + list(callbacks or []) + [history]
    if verbose:
        callback_list.append(cbks.ProgbarLogger())
    callback_list = cbks.CallbackList(callback_list)
    callback_list.set_model(model)
    target = samples_per_epoch if samples_per_epoch is not None else steps
    callback_list.set_params({"nb_epoch": nb_epoch, "epochs": nb_epoch, "nb_sample": target,
                              "samples": target, "verbose": verbose,
                              "do_validation": do_validation,
                              "metrics": labels + (["val_" + n for n in labels]
                                                   if do_validation else [])})
    callback_list.on_train_begin()
    model.stop_training = False
    for epoch in range(initial_epoch, nb_epoch):
        callback_list.on_epoch_begin(epoch)
        done, batch_index, epoch_logs = 0, 0, {}
        while done < target:
            x, y, w = _next_batch(generator, "fit_generator")
            size = _batch_size(x)
            batch_logs = {"batch": batch_index, "size": size if steps is None else 1}
            callback_list.on_batch_begin(batch_index, batch_logs)
            outs = to_list(model.train_on_batch(x, y, sample_weight=w, class_weight=class_weight))
            for label, value in zip(labels, outs):
                batch_logs[label] = value
            callback_list.on_batch_end(batch_index, batch_logs)
            done += size if steps is None else 1
            batch_index += 1
        if do_validation:
            if val_is_generator:
                val_outs = evaluate_generator(model, validation_data, nb_val_samples, val_steps)
            else:
                vx, vy = validation_data[:2]
                vw = validation_data[2] if len(validation_data) == 3 else None
                val_outs = model.evaluate(vx, vy, verbose=0, sample_weight=vw)
            for label, value in zip(labels, to_list(val_outs)):
                epoch_logs["val_" + label] = value
        callback_list.on_epoch_end(epoch, epoch_logs)
        if model.stop_training:
            break
    callback_list.on_train_end()
    return history


def _count_target(val_samples, steps, what):
    if (val_samples is None) == (steps is None):
        raise TypeError(f"{what}: give val_samples (Keras 1) or steps (Keras 2/3), exactly one")
    return (val_samples, False) if val_samples is not None else (steps, True)


def evaluate_generator(model, generator, val_samples=None, steps=None):
    target, by_steps = _count_target(val_samples, steps, "evaluate_generator")
    done, totals, weight = 0, None, 0
    while done < target:
        x, y, w = _next_batch(generator, "evaluate_generator")
        size = _batch_size(x)
        outs = to_list(model.test_on_batch(x, y, sample_weight=w))
        totals = [o * size for o in outs] if totals is None else \
            [t + o * size for t, o in zip(totals, outs)]
        weight += size
        done += 1 if by_steps else size
    means = [t / weight for t in totals]
    return means[0] if len(means) == 1 else means


def predict_generator(model, generator, val_samples=None, steps=None):
    target, by_steps = _count_target(val_samples, steps, "predict_generator")
    done, chunks = 0, []
    while done < target:
        item = next(generator)
        x = item[0] if isinstance(item, tuple) else item
        outs = to_list(model.predict_on_batch(x))
        chunks.append(outs)
        done += 1 if by_steps else _batch_size(x)
    outs = [np.concatenate([c[i] for c in chunks]) for i in range(len(chunks[0]))]
    return outs[0] if len(outs) == 1 else outs
