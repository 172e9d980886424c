"""The type of ``numpy.random.RandomState`` values, so generators can live in shared
variables (``theano.shared(np.random.RandomState(0))``)."""
import copy

import numpy as np

from jitgraph.compile.sharedvalue import SharedVariable
from jitgraph.graph.basic import Type, Variable


class RandomStateType(Type):
    """Values are ``numpy.random.RandomState`` objects."""

    def filter(self, value, strict=False, allow_downcast=None):
        if isinstance(value, np.random.RandomState):
            return value
        raise TypeError(f"expected a numpy.random.RandomState, got {type(value).__name__}")

    def make_variable(self, name=None):
        return Variable(self, None, None, name)

    def __eq__(self, other):
        return type(other) is RandomStateType

    def __hash__(self):
        return hash(RandomStateType)

    def __str__(self):
        return "RandomStateType"

    __repr__ = __str__


random_state_type = RandomStateType()


class RandomStateSharedVariable(SharedVariable):
    """A shared ``RandomState``; ``get_value()`` returns a copy of the generator."""

    def get_value(self, borrow=False, return_internal_type=False):
        value = self.container[0]
        return value if borrow else copy.deepcopy(value)
