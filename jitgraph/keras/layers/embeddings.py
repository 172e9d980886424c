"""``Embedding``: integer indices ``(batch, input_length)`` -> rows of a trainable
``(input_dim, output_dim)`` table, ``(batch, input_length, output_dim)``."""
import jitgraph.tensor as T
from jitgraph.keras.engine.topology import _UNSET, Layer, pop_alias


class Embedding(Layer):
    def __init__(self, input_dim, output_dim, init=_UNSET, input_length=None,
                 W_regularizer=_UNSET, activity_regularizer=None, W_constraint=_UNSET,
                 mask_zero=False, weights=None, dropout=0.0, **kwargs):
        from jitgraph.keras import initializers, regularizers
        own = "Embedding"
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        if self.input_dim <= 0 or self.output_dim <= 0:
            raise ValueError(f"Embedding: input_dim and output_dim must be positive, got "
                             f"{input_dim}, {output_dim}")
        self.init = initializers.get(pop_alias(own, kwargs, "init", init,
                                               "embeddings_initializer", "uniform"))
        self.W_regularizer = regularizers.get(pop_alias(own, kwargs, "W_regularizer",
                                                        W_regularizer,
                                                        "embeddings_regularizer", None))
        self.W_constraint = pop_alias(own, kwargs, "W_constraint", W_constraint,
                                      "embeddings_constraint", None)
        self.input_length = input_length
        self.mask_zero = bool(mask_zero)
        if mask_zero:
            raise ValueError("Embedding: mask_zero needs masking layers, which are not "
                             "supported (no recurrent layers yet)")
        self.dropout = float(dropout)
        if self.dropout:
            raise ValueError("Embedding: Keras 1's embedding dropout is not supported; add "
                             "a Dropout layer")
        if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["batch_input_shape"] = (None, input_length)
        kwargs.setdefault("input_dtype", kwargs.pop("dtype", "int32"))
        super().__init__(weights=weights, **kwargs)
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def build(self, input_shape):
        self.W = self.add_weight((self.input_dim, self.output_dim), self.init, "W",
                                 self.W_regularizer, constraint=self.W_constraint)

    def call(self, x):
        if not x.dtype.startswith(("int", "uint")):
            x = T.cast(x, "int32")
        return self.W[x]

    def get_output_shape_for(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self):
        from jitgraph.keras import initializers
        config = super().get_config()
        reg = self.W_regularizer
        config.update({"input_dim": self.input_dim, "output_dim": self.output_dim,
                       "init": initializers.serialize(self.init),
                       "input_length": self.input_length, "mask_zero": self.mask_zero,
                       "activity_regularizer": None if self.activity_regularizer is None
                       else self.activity_regularizer.get_config(),
                       "W_regularizer": reg.get_config() if reg is not None else None,
                       "W_constraint": None, "dropout": self.dropout})
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("W_constraint") is None:
            config.pop("W_constraint", None)
        return cls(**config)
