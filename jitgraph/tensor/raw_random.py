"""Random draws from ``numpy.random.RandomState`` generators held in shared variables.

``RandomStateType`` is the type of such generators (``theano.shared(np.random.RandomState(0))``);
``RandomFunction`` is the Op that draws from one: it takes a generator and a shape and
returns a *new* generator (the input is never mutated) and the sample. A stream's shared
variable gets the new generator as its ``default_update``, so each call of a compiled
function advances it (see ``shared_randomstreams.RandomStreams``).

The distribution functions (``uniform``, ``normal``, ``binomial``, ...) call the
``RandomState`` methods exactly as Theano 1.0.5 does, so a generator in a given state
produces Theano's numbers.
"""
import copy

import numpy as np

from jitgraph.compile.sharedvalue import SharedVariable
from jitgraph.graph.basic import Apply, Constant, Op, Type, Variable


class RandomStateType(Type):
    """Values are ``numpy.random.RandomState`` objects."""

    def filter(self, value, strict=False, allow_downcast=None):
        if isinstance(value, np.random.RandomState):
            return value
        raise TypeError(f"expected a numpy.random.RandomState, got {type(value).__name__}")

    def make_variable(self, name=None):
        return Variable(self, None, None, name)

    @staticmethod
    def values_eq(a, b):
        """Two generators in the same state (RandomState objects never compare equal)."""
        sa, sb = a.get_state(), b.get_state()
        return (sa[0] == sb[0] and np.array_equal(sa[1], sb[1]) and sa[2] == sb[2]
                and sa[3] == sb[3] and (sa[3] == 0 or sa[4] == sb[4]))

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


# ------------------------------------------------------------ the draw Op

def _copy_generator(rng):
    """A new generator in ``rng``'s state (``copy.copy`` would share numpy's bit generator)."""
    fresh = np.random.RandomState(0)
    fresh.set_state(rng.get_state())
    return fresh


class RandomFunction(Op):
    """Draw from a ``RandomState``: ``(rng, shape, *args) -> (new_rng, sample)``.

    ``fn``: the name of a ``RandomState`` method (``'uniform'``) or a function with the
    same calling convention, ``fn(rng, *args, size)``. ``outtype``: the sample's
    TensorType. ``ndim_added``: dimensions the sample has beyond ``shape`` (one for
    ``permutation`` and ``multinomial``). An empty ``shape`` means "as many samples as
    the arguments' broadcast shape" (numpy's ``size=None``). Calling the op returns
    ``[new_rng, sample]``, as do the distribution functions below.
    """

    __props__ = ("fn", "outtype", "ndim_added")

    def __init__(self, fn, outtype, ndim_added=0):
        self.fn = fn
        self.outtype = outtype
        self.ndim_added = ndim_added

    @property
    def exec_fn(self):
        return getattr(np.random.RandomState, self.fn) if isinstance(self.fn, str) else self.fn

    def __str__(self):
        name = self.fn if isinstance(self.fn, str) else self.fn.__name__
        return f"RandomFunction{{{name}}}"

    def make_node(self, r, shape, *args):
        import jitgraph.tensor as T
        if not isinstance(getattr(r, "type", None), RandomStateType):
            raise TypeError(f"{self}: the generator must be a RandomState variable (e.g. "
                            f"theano.shared(numpy.random.RandomState(seed))), got {r!r}")
        shape = T.as_tensor_variable(shape, ndim=1)
        if shape.ndim != 1 or shape.dtype not in ("int8", "int16", "int32", "int64", "uint8", "uint16",
                                                  "uint32"):
            raise TypeError(f"{self}: shape must be an integer vector, got {shape.type}")
        if shape.dtype != "int64":
            shape = T.cast(shape, "int64")
        args = [T.as_tensor_variable(a) for a in args]
        return Apply(self, [r, shape] + args, [r.type(), self.outtype()])

    def perform(self, node, inputs, output_storage):
        r, shape, args = inputs[0], inputs[1], list(inputs[2:])
        if not isinstance(r, np.random.RandomState):
            raise TypeError(f"{self}: expected a numpy.random.RandomState, got {type(r).__name__}")
        ndim = self.outtype.ndim
        if len(shape) == 0:
            size = None
        else:
            size = tuple(int(s) for s in shape)
            if len(size) + self.ndim_added != ndim:
                raise ValueError(f"{self}: shape {size} has {len(size)} entries, but the sample has "
                                 f"{ndim} dimension(s) ({ndim - self.ndim_added} expected)")
            if any(s < 0 for s in size):
                raise ValueError(f"{self}: negative dimension in shape {size}")
        r = _copy_generator(r)       # the input generator is never mutated
        sample = np.asarray(self.exec_fn(r, *(args + [size])), dtype=self.outtype.dtype)
        if size is None and sample.ndim == 0 and ndim > 0:
            sample = sample.reshape((1,) * ndim)
        if sample.ndim != ndim:
            raise ValueError(f"{self}: the draw has {sample.ndim} dimension(s), {ndim} expected "
                             f"(arguments of shapes {[np.shape(a) for a in args]})")
        if size is not None and sample.shape[:len(size)] != size:
            raise ValueError(f"{self}: the draw has shape {sample.shape}, expected {size} "
                             + (f"plus {self.ndim_added} dimension(s)" if self.ndim_added else ""))
        for d, (got, want) in enumerate(zip(sample.shape, self.outtype.shape)):
            if want is not None and got != want:
                raise ValueError(f"{self}: dimension {d} of the draw has size {got}, the sample's "
                                 f"type {self.outtype} requires {want}")
        output_storage[0][0] = r
        output_storage[1][0] = sample

    def grad(self, inputs, output_grads):
        # Samples are not differentiable functions of the distribution's parameters here.
        return [None] * len(inputs)

    def infer_shape(self, node, input_shapes):
        shape = node.inputs[1]
        ndim = node.outputs[1].ndim
        automatic = isinstance(shape, Constant) and shape.data.size == 0
        if ndim and (self.ndim_added or automatic):
            # The shape depends on argument values (size=None, or the extra dimensions
            # of permutation/multinomial): only the computed sample knows it.
            raise NotImplementedError(f"{self}: the sample's shape depends on the argument values")
        return [None, tuple(shape[i] for i in range(ndim))]


# ------------------------------------------------------------ shape inference

def _is_int(s):
    return isinstance(s, (int, np.integer)) and not isinstance(s, bool)


def _infer_ndim_bcast(ndim, shape, *args):
    """Theano's rule: ``(ndim, int64 shape vector, broadcastable pattern)`` from ``size``
    (a tuple of ints and symbolic scalars, ``-1`` meaning "this dimension of the
    arguments", a symbolic vector, or None for "the arguments' broadcast shape")."""
    import jitgraph.tensor as T
    args_ndim = max((a.ndim for a in args), default=0)
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    if isinstance(shape, (tuple, list)):
        if ndim is None:
            ndim = len(shape)
        elif len(shape) != ndim:
            raise ValueError(f"ndim={ndim} but size {shape} has {len(shape)} entries")
        bcast, parts = [], []
        for i, s in enumerate(shape):
            if isinstance(s, Variable):
                s = T.as_tensor_variable(s)
                if s.ndim != 0 or not s.dtype.startswith(("int", "uint")):
                    raise TypeError(f"size entry {i} must be an integer scalar, got {s.type}")
                parts.append(s)
                bcast.append(False)
            elif not _is_int(s):
                raise TypeError(f"size entry {i} must be an int or a symbolic integer scalar, "
                                f"got {type(s).__name__} {s!r}")
            elif s >= 0:
                parts.append(T.constant(np.int64(s)))
                bcast.append(s == 1)
            elif s == -1:
                parts_before = len(parts)
                for a in args:
                    if i >= ndim - a.ndim and not a.broadcastable[i + a.ndim - ndim]:
                        parts.append(a.shape[i + a.ndim - ndim])
                        bcast.append(False)
                        break
                if len(parts) == parts_before:
                    if not any(i >= ndim - a.ndim for a in args):
                        raise ValueError(f"size entry {i} is -1 (take it from the arguments), but no "
                                         "argument has that dimension")
                    parts.append(T.constant(np.int64(1)))
                    bcast.append(True)
            else:
                raise ValueError(f"size {tuple(shape)} has a negative dimension {s} "
                                 "(only -1, meaning 'from the arguments', is allowed)")
        v_shape = T.constant(np.zeros(0, dtype="int64")) if not parts else T.stack(parts)
    elif shape is None:
        if not args:
            raise TypeError("a random draw needs a size, or arguments whose shape gives it")
        template = args[0]
        for a in args[1:]:
            template = template + a
        v_shape = template.shape
        bcast = list(template.broadcastable)
        ndim = template.ndim
    else:
        v_shape = T.as_tensor_variable(shape)
        if v_shape.ndim != 1:
            raise TypeError(f"size must be a tuple or an integer vector, got {v_shape.type}")
        if ndim is None:
            ndim = v_shape.type.shape[0]
            if ndim is None:
                raise ValueError(f"the length of the symbolic size {v_shape} is unknown; pass ndim=")
        bcast = [False] * ndim
    if not v_shape.dtype.startswith(("int", "uint")):
        raise TypeError(f"size must be an integer vector or tuple, got dtype {v_shape.dtype}")
    if args_ndim > ndim:
        raise ValueError(f"the arguments have {args_ndim} dimension(s), more than the {ndim} of "
                         "the requested size")
    return ndim, T.cast(v_shape, "int64"), tuple(bcast)


def _broadcast_args(size, *arrays):
    """``arrays`` broadcast to ``size`` (or to each other when size is None)."""
    if size is None:
        return np.broadcast_arrays(*arrays)
    out_ndim = len(size)
    for a in arrays:
        if a.ndim > out_ndim:
            raise ValueError(f"an argument has {a.ndim} dimension(s), more than len(size) = {out_ndim}")
    try:
        return [np.broadcast_to(a, size) for a in arrays]
    except ValueError:
        raise ValueError(f"arguments of shapes {[a.shape for a in arrays]} do not broadcast to "
                         f"size {tuple(size)}") from None


# ------------------------------------------------------------ distributions

def uniform(random_state, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
    """Samples uniform on ``[low, high)``; dtype at least as precise as floatX."""
    import jitgraph.tensor as T
    from jitgraph.config import config
    from jitgraph.scalar.basic import upcast
    low, high = T.as_tensor_variable(low), T.as_tensor_variable(high)
    if dtype is None:
        dtype = upcast(config.floatX, low.dtype, high.dtype)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, low, high)
    op = RandomFunction("uniform", T.TensorType(dtype, bcast))
    return op(random_state, size, low, high)


def normal(random_state, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
    """Samples from a normal distribution of mean ``avg`` and deviation ``std``."""
    import jitgraph.tensor as T
    from jitgraph.config import config
    from jitgraph.scalar.basic import upcast
    avg, std = T.as_tensor_variable(avg), T.as_tensor_variable(std)
    if dtype is None:
        dtype = upcast(config.floatX, avg.dtype, std.dtype)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, avg, std)
    op = RandomFunction("normal", T.TensorType(dtype, bcast))
    return op(random_state, size, avg, std)


def binomial(random_state, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
    """The number of successes in ``n`` trials of probability ``p``."""
    import jitgraph.tensor as T
    if prob is not None:
        p = prob
    n, p = T.as_tensor_variable(n), T.as_tensor_variable(p)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, n, p)
    op = RandomFunction("binomial", T.TensorType(dtype, (False,) * ndim))
    return op(random_state, size, n, p)


def random_integers_helper(random_state, low, high, size):
    """Integers in ``[low, high]`` (both inclusive), drawn one at a time with ``randint``
    in C order, as Theano does (which fixes the stream)."""
    low, high = np.asarray(low), np.asarray(high)
    low_b, high_b = _broadcast_args(size, low, high)
    out = np.empty(low_b.shape)
    for idx in np.ndindex(*out.shape):
        out[idx] = random_state.randint(low=low_b[idx], high=high_b[idx] + 1)
    return out


def random_integers(random_state, size=None, low=0, high=1, ndim=None, dtype="int64"):
    """Integers between ``low`` and ``high``, both inclusive."""
    import jitgraph.tensor as T
    low, high = T.as_tensor_variable(low), T.as_tensor_variable(high)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, low, high)
    op = RandomFunction(random_integers_helper, T.TensorType(dtype, bcast))
    return op(random_state, size, low, high)


def choice_helper(random_state, a, replace, p, size):
    """``RandomState.choice`` with ``replace`` as a flag and an empty ``p`` meaning None."""
    if a.ndim > 1:
        raise ValueError(f"choice: a must be a scalar or a vector, got {a.ndim} dimensions")
    if p.ndim != 1:
        raise ValueError(f"choice: p must be a vector, got {p.ndim} dimensions")
    return random_state.choice(a, size, bool(replace), p if p.size else None)


def choice(random_state, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"):
    """Values of ``a`` (a vector, or ``range(a)`` for a scalar) drawn with or without
    replacement, with probabilities ``p`` (uniform when None)."""
    import jitgraph.tensor as T
    a = T.as_tensor_variable(a)
    replace = T.constant(np.int8(bool(replace))) if isinstance(replace, (bool, int)) \
        else T.as_tensor_variable(replace)
    p = T.as_tensor_variable(np.zeros(0, dtype="float64") if p is None else p)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    op = RandomFunction(choice_helper, T.TensorType(dtype, bcast))
    return op(random_state, size, a, replace, p)


def poisson(random_state, size=None, lam=1.0, ndim=None, dtype="int64"):
    """Samples from a Poisson distribution of mean ``lam``."""
    import jitgraph.tensor as T
    lam = T.as_tensor_variable(lam)
    ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    op = RandomFunction("poisson", T.TensorType(dtype, bcast))
    return op(random_state, size, lam)


def permutation_helper(random_state, n, shape):
    """One permutation of ``range(n)`` per element of ``shape`` (output ``shape + (n,)``)."""
    if np.ndim(n) != 0:
        raise ValueError(f"permutation: n must be a scalar, got shape {np.shape(n)}")
    n = int(n)
    shape = () if shape is None else tuple(shape)
    out = np.empty(shape + (n,), dtype="int64")
    for idx in np.ndindex(*shape):
        out[idx] = random_state.permutation(n)
    return out


def permutation(random_state, size=None, n=1, ndim=None, dtype="int64"):
    """Permutations of ``0 .. n-1``, one per element of ``size``; the result has one more
    dimension than ``size``."""
    import jitgraph.tensor as T
    if size is None or size == ():
        if ndim not in (None, 1):
            raise TypeError("permutation: one permutation (size None) has 1 dimension, "
                            f"ndim={ndim} was asked")
        ndim, size, bcast = 1, T.constant(np.zeros(0, dtype="int64")), ()
    else:
        ndim, size, bcast = _infer_ndim_bcast(ndim, size)
    op = RandomFunction(permutation_helper, T.TensorType(dtype, bcast + (False,)), ndim_added=1)
    return op(random_state, size, n)


def multinomial_helper(random_state, n, pvals, size):
    """Multinomial counts for each row of ``pvals`` (broadcast with ``n`` to ``size``),
    drawn one distribution at a time as Theano does."""
    n, pvals = np.asarray(n), np.asarray(pvals)
    ndim = len(size) if size is not None else max(n.ndim, pvals.ndim - 1)
    if n.ndim > ndim:
        raise ValueError(f"multinomial: n has {n.ndim} dimension(s), more than len(size) = {ndim}")
    if pvals.ndim - 1 > ndim:
        raise ValueError(f"multinomial: pvals has {pvals.ndim - 1} batch dimension(s), more than "
                         f"len(size) = {ndim}")
    n = n.reshape((1,) * (ndim - n.ndim) + n.shape)
    pvals = pvals.reshape((1,) * (ndim + 1 - pvals.ndim) + pvals.shape)
    if size is None:
        size = tuple(max(a, b) for a, b in zip(n.shape, pvals.shape[:-1]))
    size = tuple(size)
    try:
        n_b = np.broadcast_to(n, size)
        p_b = np.broadcast_to(pvals, size + pvals.shape[-1:])
    except ValueError:
        raise ValueError(f"multinomial: n {n.shape} and pvals {pvals.shape} do not broadcast to "
                         f"size {size}") from None
    if pvals.size and pvals.min() < 0:
        raise ValueError("multinomial: pvals must not be negative")
    out = np.empty(size + pvals.shape[-1:])
    for idx in np.ndindex(*size):
        row = p_b[idx]
        total = np.sum(row)
        # numpy rejects rows whose sum (but the last entry) exceeds 1 by rounding; scale
        # them down a little, as Theano does.
        if 1.0 < total < 1.0 + 1e-5 or row[-1] < 5e-5:
            row = row * (1.0 - 5e-5)
        out[idx] = random_state.multinomial(n=n_b[idx], pvals=row.astype("float64"))
    return out


def multinomial(random_state, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
    """Counts from multinomial distributions given by the last axis of ``pvals``; the
    result has one more dimension than ``size`` (of length ``pvals.shape[-1]``)."""
    import jitgraph.tensor as T
    n, pvals = T.as_tensor_variable(n), T.as_tensor_variable(pvals)
    if pvals.ndim < 1:
        raise ValueError("multinomial: pvals must have at least 1 dimension")
    batch = pvals[(slice(None),) * (pvals.ndim - 1) + (0,)]
    ndim, size, bcast = _infer_ndim_bcast(ndim, size, n, batch)
    op = RandomFunction(multinomial_helper, T.TensorType(dtype, bcast + (pvals.broadcastable[-1],)),
                        ndim_added=1)
    return op(random_state, size, n, pvals)


# ------------------------------------------------------------ the streams interface

class RandomStreamsBase:
    """The distribution methods of ``RandomStreams``; ``self.gen(fn, ...)`` makes one
    stream per call."""

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        """``n`` trials of success probability ``p``: the number of successes."""
        if prob is not None:
            p = prob
        return self.gen(binomial, size, n, p, ndim=ndim, dtype=dtype)

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """Samples uniform on ``[low, high)``."""
        return self.gen(uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """Samples from a normal distribution of mean ``avg`` and deviation ``std``."""
        return self.gen(normal, size, avg, std, ndim=ndim, dtype=dtype)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        """Integers between ``low`` and ``high``, both inclusive."""
        return self.gen(random_integers, size, low, high, ndim=ndim, dtype=dtype)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype="int64"):
        """Values of ``a`` (or of ``range(a)``) with or without replacement."""
        return self.gen(choice, size, a, replace, p, ndim=ndim, dtype=dtype)

    def poisson(self, size=None, lam=None, ndim=None, dtype="int64"):
        """Samples from a Poisson distribution of mean ``lam``."""
        return self.gen(poisson, size, lam, ndim=ndim, dtype=dtype)

    def permutation(self, size=None, n=1, ndim=None, dtype="int64"):
        """Permutations of ``0 .. n-1``, one per element of ``size``."""
        return self.gen(permutation, size, n, ndim=ndim, dtype=dtype)

    def multinomial(self, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
        """Multinomial counts; the result has one more dimension than ``size``."""
        return self.gen(multinomial, size, n, pvals, ndim=ndim, dtype=dtype)
