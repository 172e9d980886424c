"""``RandomStreams``: random variables backed by ``numpy.random.RandomState`` generators
in shared variables, seeded as Theano 1.0.5 seeds them, so the same seed gives Theano's
numbers.

Each call like ``srng.uniform((2, 2))`` makes one stream: a shared ``RandomState`` whose
``default_update`` is the generator after the draw. A compiled function that uses the
variable therefore advances the stream on every call, unless it was compiled with
``no_default_updates=True``.
"""
import numpy as np

from jitgraph.tensor import raw_random
from jitgraph.tensor.raw_random import RandomStateSharedVariable, random_state_type


def _new_generator_variable(seed):
    return RandomStateSharedVariable(random_state_type, np.random.RandomState(seed))


class RandomStreams(raw_random.RandomStreamsBase):
    """A source of random variables with an interface like ``numpy.random.RandomState``.

    ``seed``: None or an int; a seed generator ``RandomState(seed)`` gives each new
    stream the seed ``randint(2**30)``.
    """

    def __init__(self, seed=None):
        # (generator shared variable, generator after the draw) for every stream made.
        self.state_updates = []
        self.default_instance_seed = seed
        self.gen_seedgen = np.random.RandomState(seed)

    def updates(self):
        """The ``(shared generator, new generator)`` pairs of all streams."""
        return list(self.state_updates)

    def seed(self, seed=None):
        """Re-seed every stream made so far, deterministically from ``seed`` (default:
        the seed given at construction)."""
        if seed is None:
            seed = self.default_instance_seed
        seedgen = np.random.RandomState(seed)
        for old_r, _ in self.state_updates:
            old_r.set_value(np.random.RandomState(int(seedgen.randint(2 ** 30))), borrow=True)

    def __getitem__(self, item):
        """The generator of the stream ``item`` (its shared variable); ``item.get_value()``
        does the same."""
        return item.get_value(borrow=True)

    def __setitem__(self, item, val):
        item.set_value(val, borrow=True)

    def gen(self, op, *args, **kwargs):
        """A new stream drawing with ``op(generator, *args, **kwargs)`` (a function of
        ``raw_random`` such as ``raw_random.uniform``, returning ``(new generator,
        sample)``); returns the sample variable,
        whose ``rng`` is the stream's shared generator and ``update`` its update pair."""
        seed = int(self.gen_seedgen.randint(2 ** 30))
        rng = _new_generator_variable(seed)
        rng.tag.is_rng = True
        new_rng, sample = op(rng, *args, **kwargs)
        sample.rng = rng
        sample.update = (rng, new_rng)
        self.state_updates.append(sample.update)
        rng.default_update = new_rng
        return sample


__all__ = ["RandomStreams", "RandomStateSharedVariable"]
