"""``Model``: a Container that trains. ``compile`` builds the symbolic losses and
metrics; the training step (forward in training mode, loss, gradients, optimizer state
and weight updates, BatchNormalization's moving averages) is ONE compiled jitgraph
function whose updates move the shared weights. ``fit``/``evaluate``/``predict`` feed it
batches, following Keras 1.2.2's loops and callbacks."""
import numpy as np

import jitgraph
import jitgraph.tensor as T
from jitgraph.keras import callbacks as cbks
from jitgraph.keras.engine.container import Container
from jitgraph.keras.engine.data import (batch_shuffle, check_lengths, make_batches,
                                        sample_weights_for, slice_arrays, standardize_arrays)
from jitgraph.keras.engine.topology import _UNSET, pop_alias, reject_unknown, to_list
from jitgraph.keras.progbar import Progbar


def _fn_name(fn):
    return getattr(fn, "__name__", type(fn).__name__)


def _weighted_loss(fn, y_true, y_pred, weights):
    """Keras 1.2.2's ``weighted_objective``: mean over the non-sample axes, times the
    weights, divided by the fraction of non-zero weights, averaged over the batch."""
    score = fn(y_true, y_pred)
    if score.ndim > weights.ndim:
        score = T.mean(score, axis=list(range(weights.ndim, score.ndim)))
    score = score * weights
    score = score / T.mean(T.cast(T.neq(weights, 0), "float32"))
    return T.mean(score)


def _per_output(value, names, what):
    """``value`` spread to one entry per output: a single value, a list, or a dict."""
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ValueError(f"unknown output name(s) {unknown} in {what}; outputs: {names}")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)):
        if len(value) != len(names):
            raise ValueError(f"{what} has {len(value)} entries for {len(names)} outputs")
        return list(value)
    return [value] * len(names)


class Model(Container):

    # --- compile ------------------------------------------------------------------------
    def compile(self, optimizer, loss, metrics=None, loss_weights=None, sample_weight_mode=None,
                **kwargs):
        from jitgraph.keras import losses as losses_module
        from jitgraph.keras import metrics as metrics_module
        from jitgraph.keras import optimizers
        reject_unknown("compile", kwargs)
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.loss_weights = loss_weights
        self.sample_weight_mode = sample_weight_mode
        self.metrics = metrics
        names = self.output_names
        self.loss_functions = [losses_module.get(l) for l in _per_output(loss, names, "loss")]
        weights_list = ([1.0] * len(names) if loss_weights is None
                        else [1.0 if w is None else w
                              for w in _per_output(loss_weights, names, "loss_weights")])
        modes = _per_output(sample_weight_mode, names, "sample_weight_mode")
        self.sample_weight_modes = modes

        self.targets = [T.TensorType(o.dtype if o.dtype.startswith("float") else "float32",
                                     shape=(None,) * o.ndim)(name=f"{n}_target")
                        for o, n in zip(self.outputs, names)]
        self.sample_weights = [T.TensorType("float32", shape=(None,) * (2 if m else 1))(
            name=f"{n}_sample_weights") for m, n in zip(modes, names)]

        train_outputs, train_ctx = self.run_graph(self.inputs, training=True)
        _, test_ctx = self.run_graph(self.inputs, training=False)
        self._state_updates = train_ctx.updates
        penalties = self.weight_penalties

        per_output_metrics = self._metric_functions(metrics, metrics_module, losses_module)
        self.metrics_names = ["loss"] + ([f"{n}_loss" for n in names] if len(names) > 1 else [])
        for i, fns in enumerate(per_output_metrics):
            for label, _ in fns:
                self.metrics_names.append(f"{names[i]}_{label}" if len(names) > 1 else label)

        def losses_and_metrics(outputs, ctx):
            output_losses = [_weighted_loss(fn, y, o, sw) for fn, y, o, sw in
                             zip(self.loss_functions, self.targets, outputs, self.sample_weights)]
            total = sum(np.float32(w) * l for w, l in zip(weights_list, output_losses))
            for p in list(penalties) + ctx.losses:
                total = total + p
            extra = output_losses if len(names) > 1 else []
            for fns, y, o in zip(per_output_metrics, self.targets, outputs):
                extra += [T.mean(fn(y, o)) for _, fn in fns]
            return [total] + extra

        self._train_outputs = losses_and_metrics(train_outputs, train_ctx)
        self._test_outputs = losses_and_metrics(self.outputs, test_ctx)
        self.total_loss = self._train_outputs[0]
        # Keras 1.2.2 (Theano) sorts the trained weights by name: the optimizer's state
        # (and so its saved weights) follows this order.
        self._collected_trainable_weights = sorted(self.trainable_weights, key=lambda w: w.name)
        self.train_function = self.test_function = self.predict_function = None
        self.compiled = True

    def _metric_functions(self, metrics, metrics_module, losses_module):
        """Per output, (label, fn) pairs; ``'acc'``/``'accuracy'`` picks binary,
        sparse or categorical accuracy from the loss and the output shape."""
        if metrics is None:
            metrics = []
        if isinstance(metrics, dict):
            per_output = [to_list(m) if m is not None else [] for m in
                          _per_output(metrics, self.output_names, "metrics")]
        else:
            per_output = [list(metrics)] * len(self.outputs)
        out = []
        for i, metric_list in enumerate(per_output):
            loss_name = _fn_name(self.loss_functions[i])
            fns = []
            for m in metric_list:
                if m in ("accuracy", "acc"):
                    if self.outputs[i]._keras_shape[-1] == 1 or loss_name == "binary_crossentropy":
                        name = "binary_accuracy"
                    elif loss_name == "sparse_categorical_crossentropy":
                        name = "sparse_categorical_accuracy"
                    else:
                        name = "categorical_accuracy"
                    fns.append(("acc", metrics_module.get(name)))
                else:
                    fn = metrics_module.get(m)
                    fns.append((_fn_name(fn), fn))
            out.append(fns)
        return out

    def _check_compiled(self):
        if not getattr(self, "compiled", False):
            raise RuntimeError("You must compile your model before training or evaluating it "
                               "(model.compile(optimizer, loss))")

    # --- compiled functions ---------------------------------------------------------------
    def _make_train_function(self):
        self._check_compiled()
        if self.train_function is None:
            updates = self.optimizer.get_updates(self._collected_trainable_weights,
                                                 self.constraints, self.total_loss)
            updates = list(updates) + list(self._state_updates)
            self.train_function = jitgraph.function(
                self.inputs + self.targets + self.sample_weights, self._train_outputs,
                updates=updates, name=f"{self.name}_train")
        return self.train_function

    def _make_test_function(self):
        self._check_compiled()
        if self.test_function is None:
            self.test_function = jitgraph.function(
                self.inputs + self.targets + self.sample_weights, self._test_outputs,
                name=f"{self.name}_test")
        return self.test_function

    def _make_predict_function(self):
        if getattr(self, "predict_function", None) is None:
            self.predict_function = jitgraph.function(self.inputs, self.outputs,
                                                      name=f"{self.name}_predict")
        return self.predict_function

    # --- data -----------------------------------------------------------------------------
    def _standardize_x(self, x):
        return standardize_arrays(x, self.input_names,
                                  [t._keras_shape for t in self.inputs],
                                  [t.dtype for t in self.inputs], "model input")

    def _standardize(self, x, y, sample_weight=None, class_weight=None):
        self._check_compiled()
        xs = self._standardize_x(x)
        shapes = []
        for t, fn in zip(self.outputs, self.loss_functions):
            shape = t._keras_shape
            if _fn_name(fn) == "sparse_categorical_crossentropy":
                shape = shape[:-1] + (1,)
            shapes.append(shape)
        ys = standardize_arrays(y, self.output_names, [None] * len(shapes),
                                [t.dtype for t in self.targets], "model target")
        for y_arr, fn, name in zip(ys, self.loss_functions, self.output_names):
            if _fn_name(fn) == "categorical_crossentropy" and y_arr.ndim == 2 \
                    and y_arr.shape[-1] == 1:
                raise ValueError(f"you are passing a target array of shape {y_arr.shape} for "
                                 f"output {name!r} with categorical_crossentropy, which expects "
                                 f"one-hot targets; convert them with "
                                 f"utils.np_utils.to_categorical(y)")
        ys = standardize_arrays(ys, self.output_names, shapes, [t.dtype for t in self.targets],
                                "model target")
        sws = _per_output(sample_weight, self.output_names, "sample_weight") \
            if isinstance(sample_weight, (dict, list)) else [sample_weight] * len(ys)
        cws = _per_output(class_weight, self.output_names, "class_weight") \
            if isinstance(class_weight, dict) and set(class_weight) <= set(self.output_names) \
            and class_weight else [class_weight] * len(ys)
        ws = [sample_weights_for(y_arr, sw, cw, mode) for y_arr, sw, cw, mode in
              zip(ys, sws, cws, self.sample_weight_modes)]
        check_lengths(xs, ys, ws)
        return xs, ys, ws

    # --- training -------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=32, nb_epoch=_UNSET, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, **kwargs):
        nb_epoch = pop_alias("fit", kwargs, "nb_epoch", nb_epoch, "epochs", 10)
        reject_unknown("fit", kwargs)
        xs, ys, ws = self._standardize(x, y, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            if len(validation_data) == 2:
                vx, vy = validation_data
                vsw = None
            elif len(validation_data) == 3:
                vx, vy, vsw = validation_data
            else:
                raise ValueError("validation_data must be (x, y) or (x, y, sample_weight), got "
                                 f"{len(validation_data)} items")
            val = sum(self._standardize(vx, vy, vsw), [])
        elif validation_split and 0.0 < validation_split < 1.0:
            split = int(len(xs[0]) * (1.0 - validation_split))
            arrays = xs + ys + ws
            val = [a[split:] for a in arrays]
            xs, ys, ws = ([a[:split] for a in group] for group in (xs, ys, ws))
        elif validation_split:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
        train = self._make_train_function()
        labels = list(self.metrics_names)
        callback_metrics = labels + (["val_" + n for n in labels] if val else [])
        if val:
            self._make_test_function()
        return self._fit_loop(train, xs + ys + ws, labels, batch_size, nb_epoch, verbose,
                              callbacks, val, shuffle, callback_metrics, initial_epoch)

    def _fit_loop(self, f, ins, labels, batch_size, nb_epoch, verbose, callbacks, val_ins,
                  shuffle, callback_metrics, initial_epoch):
        n = ins[0].shape[0]
        if val_ins and verbose:
            print("Train on %d samples, validate on %d samples" % (n, val_ins[0].shape[0]))
        index_array = np.arange(n)
        self.history = cbks.History()
        callback_list = [cbks.BaseLogger()] + list(callbacks or []) + [self.history]
        if verbose:
            callback_list.append(cbks.ProgbarLogger())
        callback_list = cbks.CallbackList(callback_list)
        callback_list.set_model(self)
        callback_list.set_params({"batch_size": batch_size, "nb_epoch": nb_epoch,
                                  "epochs": nb_epoch, "nb_sample": n, "samples": n,
                                  "verbose": verbose, "do_validation": bool(val_ins),
                                  "metrics": callback_metrics})
        callback_list.on_train_begin()
        self.stop_training = False
        self.validation_data = val_ins
        for epoch in range(initial_epoch, nb_epoch):
            callback_list.on_epoch_begin(epoch)
            if shuffle == "batch":
                index_array = batch_shuffle(index_array, batch_size)
            elif shuffle:
                np.random.shuffle(index_array)
            batches = make_batches(n, batch_size)
            epoch_logs = {}
            for batch_index, (start, stop) in enumerate(batches):
                ids = index_array[start:stop]
                batch_logs = {"batch": batch_index, "size": len(ids)}
                callback_list.on_batch_begin(batch_index, batch_logs)
                outs = f(*slice_arrays(ins, ids))
                for label, value in zip(labels, outs):
                    batch_logs[label] = float(value)
                callback_list.on_batch_end(batch_index, batch_logs)
                if batch_index == len(batches) - 1 and val_ins:
                    val_outs = self._test_loop(self.test_function, val_ins, batch_size)
                    for label, value in zip(labels, to_list(val_outs)):
                        epoch_logs["val_" + label] = value
            callback_list.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        callback_list.on_train_end()
        return self.history

    def _test_loop(self, f, ins, batch_size=32, verbose=0):
        """Sample-weighted means of f's outputs over all batches."""
        n = ins[0].shape[0]
        totals = None
        progbar = Progbar(target=n) if verbose == 1 else None
        for start, stop in make_batches(n, batch_size):
            outs = f(*[a[start:stop] for a in ins])
            size = stop - start
            totals = [float(o) * size for o in outs] if totals is None else \
                [t + float(o) * size for t, o in zip(totals, outs)]
            if progbar is not None:
                progbar.update(stop, force=stop == n)
        if totals is None:
            raise ValueError("cannot evaluate on zero samples")
        means = [t / n for t in totals]
        return means[0] if len(means) == 1 else means

    def _predict_loop(self, f, ins, batch_size=32, verbose=0):
        n = ins[0].shape[0]
        outs = None
        progbar = Progbar(target=n) if verbose == 1 else None
        for start, stop in make_batches(n, batch_size):
            batch = [np.asarray(o) for o in f(*[a[start:stop] for a in ins])]
            if outs is None:
                outs = [np.empty((n,) + b.shape[1:], dtype=b.dtype) for b in batch]
            for o, b in zip(outs, batch):
                o[start:stop] = b
            if progbar is not None:
                progbar.update(stop, force=stop == n)
        if outs is None:
            outs = [np.empty((0,) + tuple(d or 0 for d in t._keras_shape[1:]), dtype=t.dtype)
                    for t in self.outputs]
        return outs[0] if len(outs) == 1 else outs

    def evaluate(self, x, y, batch_size=32, verbose=1, sample_weight=None, **kwargs):
        """The loss (and metrics: a list, in ``metrics_names`` order) on (x, y)."""
        reject_unknown("evaluate", kwargs)
        xs, ys, ws = self._standardize(x, y, sample_weight)
        return self._test_loop(self._make_test_function(), xs + ys + ws, batch_size, verbose)

    def predict(self, x, batch_size=32, verbose=0):
        xs = self._standardize_x(x)
        check_lengths(xs, [])
        return self._predict_loop(self._make_predict_function(), xs, batch_size, verbose)

    def predict_on_batch(self, x):
        outs = self._make_predict_function()(*self._standardize_x(x))
        return outs[0] if len(outs) == 1 else outs

    def predict_proba(self, x, batch_size=32, verbose=0):
        return self.predict(x, batch_size, verbose)

    def predict_classes(self, x, batch_size=32, verbose=0):
        """argmax over the last axis; for one output unit, 1 where it is above 0.5."""
        proba = self.predict(x, batch_size, verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One gradient step on the given batch; the loss (and metrics) before it."""
        xs, ys, ws = self._standardize(x, y, sample_weight, class_weight)
        outs = [float(o) for o in self._make_train_function()(*(xs + ys + ws))]
        return outs[0] if len(outs) == 1 else outs

    def test_on_batch(self, x, y, sample_weight=None):
        xs, ys, ws = self._standardize(x, y, sample_weight)
        outs = [float(o) for o in self._make_test_function()(*(xs + ys + ws))]
        return outs[0] if len(outs) == 1 else outs

    # --- generators ---------------------------------------------------------------------------
    def fit_generator(self, generator, samples_per_epoch=None, nb_epoch=_UNSET, verbose=1,
                      callbacks=None, validation_data=None, nb_val_samples=None,
                      class_weight=None, max_q_size=10, nb_worker=1, pickle_safe=False,
                      initial_epoch=0, **kwargs):
        """Train on batches drawn from ``generator`` (yielding (x, y) or (x, y, w)).
        An epoch is ``samples_per_epoch`` samples (Keras 1) or ``steps_per_epoch``
        batches (Keras 2/3). Batches are drawn in this thread, in order."""
        from jitgraph.keras.engine.generators import fit_generator
        nb_epoch = pop_alias("fit_generator", kwargs, "nb_epoch", nb_epoch, "epochs", None)
        steps = kwargs.pop("steps_per_epoch", None)
        val_steps = kwargs.pop("validation_steps", None)
        for ignored in ("workers", "use_multiprocessing", "max_queue_size", "shuffle"):
            kwargs.pop(ignored, None)
        reject_unknown("fit_generator", kwargs)
        if nb_epoch is None:
            raise TypeError("fit_generator: nb_epoch (epochs) is required")
        if (samples_per_epoch is None) == (steps is None):
            raise TypeError("fit_generator: give samples_per_epoch (Keras 1) or steps_per_epoch "
                            "(Keras 2/3), exactly one")
        return fit_generator(self, generator, samples_per_epoch, steps, nb_epoch, verbose,
                             callbacks, validation_data, nb_val_samples, val_steps,
                             class_weight, initial_epoch)

    def evaluate_generator(self, generator, val_samples=None, steps=None, **kwargs):
        from jitgraph.keras.engine.generators import evaluate_generator
        for ignored in ("max_q_size", "nb_worker", "pickle_safe", "workers",
                        "use_multiprocessing", "max_queue_size"):
            kwargs.pop(ignored, None)
        reject_unknown("evaluate_generator", kwargs)
        return evaluate_generator(self, generator, val_samples, steps)

    def predict_generator(self, generator, val_samples=None, steps=None, **kwargs):
        from jitgraph.keras.engine.generators import predict_generator
        for ignored in ("max_q_size", "nb_worker", "pickle_safe", "workers",
                        "use_multiprocessing", "max_queue_size"):
            kwargs.pop(ignored, None)
        reject_unknown("predict_generator", kwargs)
        return predict_generator(self, generator, val_samples, steps)

    # --- saving (engineer C's module, imported when used) ---------------------------------
    def save(self, filepath, overwrite=True):
        from jitgraph.keras import saving
        saving.save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        from jitgraph.keras import saving
        saving.save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, by_name=False):
        from jitgraph.keras import saving
        saving.load_weights(self, filepath, by_name=by_name)

    def to_json(self, **kwargs):
        """The architecture as Keras 1.2.2's JSON (one writer: ``saving.model_to_json``)."""
        from jitgraph.keras.saving import model_to_json
        return model_to_json(self, **kwargs)
