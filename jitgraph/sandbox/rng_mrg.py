"""``MRG_RandomStreams``: Theano's MRG31k3p random streams, giving Theano 1.0.5's numbers
for the same seed, dtype and shapes.

The generator's integer arithmetic lives in ``mrg31k3p.py``; this module holds the Op
that draws from a block of streams (``MRGUniform``) and the user-facing streams class,
which builds ``normal``, ``binomial``, ``multinomial`` and ``choice`` from uniforms the
way Theano does (same stream counts, same order of samples, same transforms).

Each distribution call makes one block of streams: a shared int32 matrix of shape
``(n_streams, 6)`` whose ``default_update`` is its state after the draw, so every call
of a compiled function draws new numbers unless it was compiled with
``no_default_updates=True``.
"""
import numpy as np

from jitgraph.graph.basic import Apply, Op, Variable
from jitgraph.sandbox import mrg31k3p
from jitgraph.sandbox.mrg31k3p import M1, M2  # noqa: F401  (Theano exports them here)
from jitgraph.sandbox.multinomial import ChoiceFromUniform, MultinomialFromUniform

# Theano's fallback when the number of samples is not known when the graph is built.
DEFAULT_N_STREAMS = 60 * 256


def guess_n_streams(size, warn=False):
    """Theano's stream count for ``size``: for a tuple or list of Python ints, the
    number of samples (divided by 6 above 6), at most 60*256; otherwise 60*256.

    Only Python ``int`` entries count as known (as in Theano), so ``(np.int64(5),)`` or a
    symbolic size gets 60*256 streams; this choice decides which numbers come out.
    """
    if isinstance(size, (tuple, list)) and all(type(s) is int for s in size):
        n = 1
        for s in size:
            n *= s
        if n > 6:
            n //= 6
        return max(1, min(n, DEFAULT_N_STREAMS))
    if warn:
        import warnings
        warnings.warn(f"MRG_RandomStreams can't determine the number of streams from size "
                      f"{size}, using {DEFAULT_N_STREAMS}", stacklevel=3)
    return DEFAULT_N_STREAMS


class MRGUniform(Op):
    """``(rstate, size) -> (new_rstate, sample)``: uniform samples in (0, 1) of
    ``output_type``'s dtype (float32 or float64) and shape ``size``, from the int32
    stream states ``rstate`` (``(n_streams, 6)``). The input state is not modified."""

    __props__ = ("output_type",)

    def __init__(self, output_type):
        if output_type.dtype not in ("float32", "float64"):
            raise TypeError(f"MRGUniform draws float32 or float64, not {output_type.dtype}")
        self.output_type = output_type

    def __str__(self):
        return f"MRGUniform{{{self.output_type.dtype}, {self.output_type.ndim}D}}"

    def make_node(self, rstate, size):
        import jitgraph.tensor as T
        from jitgraph.tensor.shape import _static_entries, as_shape_vector
        rstate = T.as_tensor_variable(rstate)
        if rstate.ndim != 2 or rstate.dtype != "int32":
            raise TypeError(f"{self}: the stream states must be an int32 matrix (n_streams, 6), "
                            f"got {rstate.type}")
        size = as_shape_vector(size)
        ndim = self.output_type.ndim
        if size.type.shape[0] not in (None, ndim):
            raise ValueError(f"{self}: size has {size.type.shape[0]} entries, {ndim} expected")
        static = [s if s is not None and s >= 0 else None for s in _static_entries(size, ndim)]
        sample_type = T.TensorType(self.output_type.dtype, shape=static)
        return Apply(self, [rstate, size], [rstate.type(), sample_type()])

    @classmethod
    def new(cls, rstate, ndim, dtype, size):
        """``[new_rstate, sample]`` for a size given as a tuple or an int vector."""
        import jitgraph.tensor as T
        from jitgraph.tensor.shape import as_shape_vector
        v_size = as_shape_vector(size)
        if ndim is None:
            ndim = v_size.type.shape[0]
            if ndim is None:
                raise ValueError(f"the length of the symbolic size {v_size} is unknown; pass ndim=")
        return cls(T.TensorType(dtype, (False,) * ndim))(rstate, v_size)

    def perform(self, node, inputs, output_storage):
        rstate, size = inputs
        size = tuple(int(s) for s in size)
        if len(size) != self.output_type.ndim:
            raise ValueError(f"{self}: size {size} has {len(size)} entries, "
                             f"{self.output_type.ndim} expected")
        if any(s < 0 for s in size):
            raise ValueError(f"{self}: negative dimension in size {size}")
        n_elements = int(np.prod(size, dtype=np.int64))
        if n_elements > M1:
            raise ValueError(f"{self}: MRG31k3p draws at most 2**31 - 1 samples at once, "
                             f"size {size} asks for {n_elements}")
        if rstate.ndim != 2 or rstate.shape[1] != 6 or rstate.shape[0] < 1:
            raise ValueError(f"{self}: stream states must have shape (n_streams >= 1, 6), "
                             f"got {rstate.shape}")
        new_state, samples = mrg31k3p.draw_uniform(rstate, n_elements, self.output_type.dtype)
        output_storage[0][0] = new_state
        output_storage[1][0] = samples.reshape(size)

    def lower(self, ctx, node):
        """Native code: csrc_templates/mrg_uniform.c.tmpl, the recurrence in mrg31k3p.h
        (the same file the CUDA target includes), bit for bit the numbers of ``perform``."""
        from jitgraph.codegen import ir
        rstate, size = node.inputs
        new_rstate, sample = node.outputs
        to_float = {"float32": "jg_mrg_float32", "float64": "jg_mrg_float64"}[sample.dtype]
        ctx.add(ir.TemplateStep([node], template="mrg_uniform.c.tmpl",
                                bufs={"rstate": ctx.buf(rstate), "size": ctx.buf(size),
                                      "new_rstate": ctx.result(new_rstate), "out": ctx.result(sample)},
                                params={"TO_FLOAT": to_float}, support=("mrg31k3p.h",)))

    def grad(self, inputs, output_grads):
        return [None, None]

    def infer_shape(self, node, input_shapes):
        size = node.inputs[1]
        return [input_shapes[0], tuple(size[i] for i in range(self.output_type.ndim))]


mrg_uniform = MRGUniform   # Theano's name


# ------------------------------------------------------------ size handling

def _is_int(s):
    return isinstance(s, (int, np.integer)) and not isinstance(s, bool)


def _check_size_entries(size, where):
    for s in size:
        if isinstance(s, Variable):
            if s.ndim != 0:
                raise ValueError(f"{where}: size entry {s} must be a scalar, it has {s.ndim} dimension(s)")
        elif not _is_int(s):
            raise TypeError(f"{where}: size entries must be ints or symbolic integer scalars, got "
                            f"{type(s).__name__} {s!r} in {tuple(size)}")
        elif s < 0:
            raise ValueError(f"{where}: size {tuple(size)} has a negative dimension")


def _normalize_size(size, where):
    """A tuple (ints, symbolic scalars) or a symbolic int vector; an int or a symbolic
    scalar counts as a 1-tuple."""
    if isinstance(size, Variable):
        if size.ndim == 0:
            return (size,)
        if size.ndim != 1:
            raise ValueError(f"{where}: a symbolic size must be a vector, got {size.ndim} dimension(s)")
        return size
    if _is_int(size):
        size = (size,)
    if isinstance(size, list):
        size = tuple(size)
    if not isinstance(size, tuple):
        raise TypeError(f"{where}: size must be a tuple of ints or a symbolic int vector, got "
                        f"{type(size).__name__} {size!r}")
    _check_size_entries(size, where)
    return size


def _size_vector(size):
    """The size as an int64 vector variable."""
    from jitgraph.tensor.shape import as_shape_vector
    return as_shape_vector(size)


# ------------------------------------------------------------ the streams

class MRG_RandomStreams:
    """Random variables from the MRG31k3p generator, with a numpy.random-like interface.

    ``seed``: an int (``0 < seed < M2``, used for all 6 state words) or 6 ints (the
    first 3 below M1 and not all 0, the last 3 below M2 and not all 0).
    """

    def __init__(self, seed=12345):
        # (shared state, state after the draw, size, nstreams as given) for every block.
        self.state_updates = []
        self.default_instance_seed = seed
        self.set_rstate(seed)

    def updates(self):
        return list(self.state_updates)

    def set_rstate(self, seed):
        self.rstate = mrg31k3p.check_seed(seed)

    def seed(self, seed=None):
        """Re-seed every block made so far, in creation order, from ``seed`` (default:
        the seed given at construction)."""
        if seed is None:
            seed = self.default_instance_seed
        self.set_rstate(seed)
        for old_r, new_r, size, nstreams in self.state_updates:
            if nstreams is None:
                nstreams = self.n_streams(size)
            old_r.set_value(self.get_substream_rstates(nstreams), borrow=True)

    def inc_rstate(self):
        """Move the base state ``2**134`` steps on, to the start of the next block."""
        self.rstate = mrg31k3p.jump_2p134(self.rstate)

    def get_substream_rstates(self, n_streams, dtype=None, inc_rstate=True):
        """States of ``n_streams`` streams ``2**72`` steps apart, starting at the base
        state; then (by default) moves the base state to the next block."""
        n_streams = int(n_streams)
        if n_streams < 1:
            raise ValueError(f"nstreams must be at least 1, got {n_streams}")
        states = mrg31k3p.substream_states(self.rstate, n_streams)
        if inc_rstate:
            self.inc_rstate()
        return states

    def n_streams(self, size):
        return guess_n_streams(size)

    def pretty_return(self, node_rstate, new_rstate, sample, size, nstreams):
        sample.rstate = node_rstate
        sample.update = (node_rstate, new_rstate)
        self.state_updates.append((node_rstate, new_rstate, size, nstreams))
        node_rstate.default_update = new_rstate
        return sample

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None, **kwargs):
        """Samples uniform on ``(low, high)``.

        ``size``: a tuple of ints and symbolic scalars, or a symbolic int vector (an int
        counts as a 1-tuple). ``dtype``: float32 or float64, by default at least as
        precise as floatX and as ``low`` and ``high``. ``nstreams``: how many streams
        (default: Theano's guess from ``size``).
        """
        import jitgraph.tensor as T
        from jitgraph.compile.sharedvalue import shared
        from jitgraph.config import config
        from jitgraph.scalar.basic import upcast
        target = kwargs.pop("target", None)
        if kwargs:
            raise TypeError(f"uniform() got unexpected keyword argument(s) {', '.join(sorted(kwargs))}")
        low, high = T.as_tensor_variable(low), T.as_tensor_variable(high)
        if dtype is None:
            dtype = upcast(config.floatX, low.dtype, high.dtype)
        dtype = T.TensorType(dtype, ()).dtype
        if dtype not in ("float32", "float64"):
            raise TypeError(f"MRG_RandomStreams.uniform: dtype must be float32 or float64, got {dtype}")
        low, high = T.cast(low, dtype), T.cast(high, dtype)
        size = _normalize_size(size, "MRG_RandomStreams.uniform")
        given_nstreams = nstreams
        if nstreams is None:
            nstreams = self.n_streams(size)
        rstates = self.get_substream_rstates(nstreams, dtype)
        node_rstate = shared(rstates, **({"target": target} if target is not None else {}))
        node_rstate.tag.is_rng = True
        new_rstate, u = MRGUniform.new(node_rstate, ndim, dtype, size)
        self.pretty_return(node_rstate, new_rstate, u, size=size, nstreams=given_nstreams)
        r = u * (high - low) + low
        if r.broadcastable != u.broadcastable:
            raise ValueError(f"MRG_RandomStreams.uniform: low ({low.type}) and high ({high.type}) "
                             f"would change the sample's shape {u.type}; make size match them")
        r.rstate, r.update = u.rstate, u.update
        return r

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None, **kwargs):
        """0/1 samples, 1 with probability ``p`` (a number or a tensor broadcastable to
        ``size``; when ``size`` is None, ``p``'s shape). Only ``n=1`` is supported."""
        import jitgraph.tensor as T
        if not (_is_int(n) and n == 1):
            raise NotImplementedError(f"MRG_RandomStreams.binomial supports only n=1, got n={n!r}")
        p = T.as_tensor_variable(p)
        if size is None:
            size = p.shape
            ndim = p.ndim
        x = self.uniform(size=size, ndim=ndim, nstreams=nstreams, **kwargs)
        if p.ndim > x.ndim:
            raise ValueError(f"MRG_RandomStreams.binomial: p has {p.ndim} dimension(s), more than "
                             f"the {x.ndim} of size")
        out = T.cast(x < p, dtype)
        if out.broadcastable != x.broadcastable:
            raise ValueError(f"MRG_RandomStreams.binomial: p ({p.type}) does not broadcast to the "
                             f"sample's shape ({x.type})")
        return out

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None, **kwargs):
        """Counts of ``n`` draws from each row of ``pvals`` (a matrix); the result has
        ``pvals``' shape. ``size`` and ``ndim`` must be None (Theano's signature)."""
        import jitgraph.tensor as T
        if pvals is None:
            raise TypeError("MRG_RandomStreams.multinomial: pvals must be given")
        pvals = T.as_tensor_variable(pvals)
        if size is not None:
            raise ValueError("MRG_RandomStreams.multinomial does not use size: the result has "
                             "pvals' shape")
        if ndim is not None:
            raise ValueError("MRG_RandomStreams.multinomial does not use ndim")
        if pvals.ndim != 2:
            raise NotImplementedError(f"MRG_RandomStreams.multinomial needs pvals as a matrix (one "
                                      f"distribution per row), got {pvals.ndim} dimension(s)")
        unis = self.uniform(size=pvals[:, 0].shape * n, ndim=1, nstreams=nstreams, **kwargs)
        return MultinomialFromUniform(dtype)(pvals, unis, T.as_tensor_variable(n))

    def choice(self, size=1, a=None, replace=True, p=None, ndim=None, dtype="int64", nstreams=None,
               **kwargs):
        """``size`` outcome indices per row of ``p`` (a matrix), shape ``(p.shape[0],
        size)``, with or without replacement. Theano implements only
        ``replace=False``; here both work."""
        import jitgraph.tensor as T
        if a is not None:
            raise TypeError("MRG_RandomStreams.choice: a must be None; the samples are indices "
                            "0 .. p.shape[1] - 1")
        if p is None:
            raise TypeError("MRG_RandomStreams.choice: p must be given")
        if ndim is not None:
            raise ValueError("MRG_RandomStreams.choice does not use ndim")
        p = T.as_tensor_variable(p)
        if p.ndim != 2:
            raise NotImplementedError(f"MRG_RandomStreams.choice needs p as a matrix (one "
                                      f"distribution per row), got {p.ndim} dimension(s)")
        unis = self.uniform(size=p[:, 0].shape * size, ndim=1, nstreams=nstreams, **kwargs)
        return ChoiceFromUniform(odtype=dtype, replace=replace)(p, unis, T.as_tensor_variable(size))

    def multinomial_wo_replacement(self, size=None, n=1, pvals=None, ndim=None, dtype="int64",
                                   nstreams=None, **kwargs):
        """Deprecated in Theano: ``choice(size=n, p=pvals, replace=False)``."""
        if size is not None:
            raise ValueError("multinomial_wo_replacement does not use size; pass n")
        return self.choice(size=n, a=None, replace=False, p=pvals, dtype=dtype, nstreams=nstreams,
                           ndim=ndim, **kwargs)

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, truncate=False,
               **kwargs):
        """Normal samples of mean ``avg`` and deviation ``std``, by Box-Muller on an even
        number of uniforms (Theano's order: the first half gives the radii, the second
        the angles; the cosines come first, then the sines)."""
        import jitgraph.tensor as T
        from jitgraph.config import config
        from jitgraph.scalar.basic import upcast
        from jitgraph.tensor.join import join
        if truncate:
            raise NotImplementedError("MRG_RandomStreams.normal(truncate=True) is not supported yet")
        size = _normalize_size(size, "MRG_RandomStreams.normal")
        size_vec = _size_vector(size)
        if ndim is None:
            ndim = size_vec.type.shape[0]
        avg, std = T.as_tensor_variable(avg), T.as_tensor_variable(std)
        if dtype is None:
            dtype = upcast(config.floatX, avg.dtype, std.dtype)
        avg, std = T.cast(avg, dtype), T.cast(std, dtype)

        n_odd = T.prod(size_vec, dtype="int64")
        n_even = n_odd + n_odd % 2
        uniform = self.uniform((n_even,), low=0.0, high=1.0, ndim=1, dtype=dtype, nstreams=nstreams,
                               **kwargs)
        half = n_even // 2
        u1, u2 = uniform[:half], uniform[half:]
        radius = T.sqrt(-2.0 * T.log(u1))
        theta = T.constant(np.array(2.0 * np.pi, dtype=dtype)) * u2
        samples = join(0, radius * T.cos(theta), radius * T.sin(theta))[:n_odd]
        samples = T.reshape(samples, size_vec, ndim=ndim)
        return samples * std + avg

    def truncated_normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, **kwargs):
        raise NotImplementedError("MRG_RandomStreams.truncated_normal is not supported yet (it "
                                  "resamples a data-dependent number of values)")


__all__ = ["MRG_RandomStreams", "MRGUniform", "mrg_uniform", "guess_n_streams", "M1", "M2"]
