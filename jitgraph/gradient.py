"""Symbolic differentiation: reverse accumulation over the graph, calling each op's
``grad``. An op's ``grad`` returns one entry per input: a Variable, or None where the
gradient is zero or undefined (integer inputs, comparisons)."""
import warnings

import numpy as np

from jitgraph.graph.basic import Apply, Op, Variable, ancestors, io_toposort
from jitgraph.scalar.basic import is_discrete
from jitgraph.tensor.type import TensorType
from jitgraph.tensor.var import as_tensor_variable


class DisconnectedInputError(ValueError):
    """``grad`` was asked for a variable the cost does not depend on."""


class GradientError(AssertionError):
    """``verify_grad`` found the symbolic and numeric gradients to differ."""

    def __init__(self, arg, abs_err, rel_err, abs_tol, rel_tol, where):
        self.arg, self.abs_err, self.rel_err = arg, abs_err, rel_err
        super().__init__(
            f"gradient of input {arg} differs from finite differences: max abs error {abs_err:.3g} "
            f"(tolerance {abs_tol:g}), max rel error {rel_err:.3g} (tolerance {rel_tol:g}) at index {where}")


def _floatx():
    from jitgraph.config import config
    return config.floatX


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise", add_names=True,
         known_grads=None, return_disconnected="zero", null_gradients="raise"):
    """d cost / d wrt for a scalar ``cost``; ``wrt`` a Variable or a list of them.

    ``known_grads`` maps variables to gradients already known (cost may then be None);
    ``consider_constant`` lists variables not to differentiate through;
    ``disconnected_inputs`` is 'raise', 'warn' or 'ignore' for a ``wrt`` the cost does
    not depend on.
    """
    import jitgraph.tensor as T
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"disconnected_inputs={disconnected_inputs!r}: expected 'raise', 'warn' or 'ignore'")
    if return_disconnected not in ("zero", "None", "Disconnected"):
        raise ValueError(f"return_disconnected={return_disconnected!r}: expected 'zero', 'None' or 'Disconnected'")
    single = not isinstance(wrt, (list, tuple))
    wrt = [as_tensor_variable(w) if not isinstance(w, Variable) else w for w in _as_list(wrt)]
    seeds = {}
    if cost is not None:
        cost = as_tensor_variable(cost)
        if cost.ndim != 0:
            raise TypeError(f"grad: cost must be a scalar, but {cost} has {cost.ndim} dimension(s) "
                            f"({cost.type}); sum or average it first (T.sum(cost), T.mean(cost))")
        seed_dtype = cost.dtype if not is_discrete(cost.dtype) else _floatx()
        seeds[cost] = T.ones_like(cost, dtype=seed_dtype)
    for var, g in (known_grads or {}).items():
        g = as_tensor_variable(g)
        if g.ndim != var.ndim:
            raise ValueError(f"known_grads: gradient of {var} has {g.ndim} dimension(s), {var.ndim} expected")
        seeds[var] = g
    if not seeds:
        raise TypeError("grad needs a cost or known_grads")

    blocked = set(consider_constant or ())
    order = io_toposort(list(blocked), list(seeds))
    connected = set(wrt)
    for node in order:
        if any(i in connected for i in node.inputs):
            connected.update(node.outputs)

    grads = {v: [g] for v, g in seeds.items()}
    # As in Theano, a known gradient is final: what the cost would add to it is dropped.
    known = set(seeds) - {cost}
    for node in reversed(order):
        out_grads = [_total(grads.get(o)) for o in node.outputs]
        if all(g is None for g in out_grads):
            continue
        if not any(i in connected for i in node.inputs):
            continue
        # Outputs that are not tensors (a random generator's new state) get no gradient.
        out_grads = [g if g is not None else T.zeros_like(o) if isinstance(o.type, TensorType) else None
                     for o, g in zip(node.outputs, out_grads)]
        for o, g in zip(node.outputs, out_grads):
            grads[o] = [g]
        input_grads = node.op.grad(list(node.inputs), out_grads)
        if len(input_grads) != len(node.inputs):
            raise ValueError(f"{node.op}.grad returned {len(input_grads)} gradients for "
                             f"{len(node.inputs)} inputs")
        for inp, g in zip(node.inputs, input_grads):
            # A variable in consider_constant still gets its own gradient (Theano's rule);
            # the traversal just does not go past it (``order`` stops there).
            if g is None or inp not in connected or inp in known:
                continue
            g = as_tensor_variable(g)
            if g.ndim != inp.ndim:
                raise ValueError(f"{node.op}.grad: gradient for input {inp} has {g.ndim} dimension(s), "
                                 f"expected {inp.ndim}")
            grads.setdefault(inp, []).append(g)

    # disconnected_grad cuts the path: what lies only behind it is disconnected.
    cut = blocked | {o for node in order if isinstance(node.op, DisconnectedGrad) for o in node.outputs}
    reachable = set(ancestors(list(seeds), cut))
    results = []
    for w in wrt:
        g = _total(grads.get(w))
        if w not in reachable:
            msg = (f"grad: the cost does not depend on {w} (input {wrt.index(w)} of wrt); "
                   "pass disconnected_inputs='ignore' to get zeros")
            if disconnected_inputs == "raise":
                raise DisconnectedInputError(msg)
            if disconnected_inputs == "warn":
                warnings.warn(msg, stacklevel=2)
            if return_disconnected == "None":
                results.append(None)
                continue
        if g is None:
            g = T.zeros_like(w, dtype=w.dtype if not is_discrete(w.dtype) else _floatx())
        elif is_discrete(w.dtype):
            g = T.zeros_like(w, dtype=_floatx())
        else:
            if g.dtype != w.dtype:
                g = T.cast(g, w.dtype)
            if g.broadcastable != w.broadcastable:
                g = T.patternbroadcast(g, w.broadcastable)
        if add_names and cost is not None and cost.name and w.name and g.name is None:
            g.name = f"(d{cost.name}/d{w.name})"
        results.append(g)
    return results[0] if single else results


def _total(terms):
    if not terms:
        return None
    if len(terms) == 1:
        return terms[0]
    import jitgraph.tensor as T
    return T.add(*terms)


# ---------------------------------------------------------------- gradient-blocking ops

class _GradIdentity(Op):
    """Identity in the forward pass with a special gradient."""

    view_map = {0: [0]}

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0]

    def infer_shape(self, node, input_shapes):
        return input_shapes


class ZeroGrad(_GradIdentity):
    def grad(self, inputs, output_grads):
        import jitgraph.tensor as T
        return [T.zeros_like(inputs[0])]


class DisconnectedGrad(_GradIdentity):
    def grad(self, inputs, output_grads):
        return [None]


def zero_grad(x):
    """``x`` in the forward pass; its gradient is zero."""
    return ZeroGrad()(x)


def disconnected_grad(x):
    """``x`` in the forward pass; no gradient flows through it."""
    return DisconnectedGrad()(x)


# ---------------------------------------------------------------- Lop

def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs="raise"):
    """Vector-Jacobian product: ``eval_points`` (shaped like ``f``) times d f / d wrt."""
    fs, points = _as_list(f), _as_list(eval_points)
    if len(fs) != len(points):
        raise ValueError(f"Lop: {len(fs)} outputs but {len(points)} eval points")
    known = {as_tensor_variable(a): as_tensor_variable(b) for a, b in zip(fs, points)}
    result = grad(None, wrt, consider_constant=consider_constant, known_grads=known,
                  disconnected_inputs=disconnected_inputs)
    return tuple(result) if isinstance(wrt, tuple) else result


# ---------------------------------------------------------------- verify_grad

def numeric_grad(fn, values, eps):
    """Central-difference gradient of the scalar ``fn(*values)`` w.r.t. each value."""
    grads = []
    for k, v in enumerate(values):
        g = np.zeros_like(v, dtype="float64")
        flat_v, flat_g = v.reshape(-1), g.reshape(-1)
        for i in range(flat_v.size):
            orig = flat_v[i]
            flat_v[i] = orig + eps
            plus = fn(*values)
            flat_v[i] = orig - eps
            minus = fn(*values)
            flat_v[i] = orig
            flat_g[i] = (plus - minus) / (2 * eps)
        grads.append(g)
    return grads


def verify_grad(fun, pt, n_tests=2, rng=None, eps=None, out_type=None, abs_tol=None, rel_tol=None,
                mode=None, cast_to_output_type=False, no_debug_ref=True):
    """Check ``grad`` of ``fun`` at the point ``pt`` (a list of arrays) against central
    finite differences in float64; raises GradientError on a mismatch."""
    from jitgraph.compile.function import function
    import jitgraph.tensor as T
    if not isinstance(pt, (list, tuple)):
        raise TypeError("verify_grad: pt must be a list of numpy arrays")
    pt = [np.array(p, dtype="float64") if not isinstance(p, np.ndarray) or p.dtype != "float64"
          else p.copy() for p in pt]
    rng = rng if rng is not None else np.random.RandomState(42)
    inputs = [TensorType("float64", [False] * p.ndim)(f"input_{i}") for i, p in enumerate(pt)]
    out = fun(*inputs)
    if isinstance(out, (list, tuple)):
        raise TypeError("verify_grad: fun must return a single variable")
    out = as_tensor_variable(out)
    # a float32 result cannot resolve a float64 step: use a coarser step and tolerance
    low_precision = out.dtype == "float32" or any(
        v.dtype == "float32" for v in ancestors([out]) if hasattr(v, "dtype"))
    eps = eps or (1e-3 if low_precision else 1e-6)
    default_tol = 1e-2 if low_precision else 1e-4
    abs_tol = default_tol if abs_tol is None else abs_tol
    rel_tol = default_tol if rel_tol is None else rel_tol
    f_out = function(inputs, out, mode=mode)
    probe_shape = np.shape(f_out(*pt))
    for _ in range(n_tests):
        proj = rng.rand(*probe_shape) + 0.5
        proj_var = T.constant(np.asarray(proj, dtype=out.dtype))
        cost = T.sum(out * proj_var) if out.ndim else out * proj_var
        f_cost = function(inputs, cost, mode=mode)
        symbolic = function(inputs, grad(cost, inputs, disconnected_inputs="ignore"), mode=mode)(*pt)

        def scalar_cost(*vals):
            return float(f_cost(*vals))
        numeric = numeric_grad(scalar_cost, [p.copy() for p in pt], eps)
        for i, (s, n) in enumerate(zip(symbolic, numeric)):
            s = np.asarray(s, dtype="float64")
            abs_err = np.abs(s - n)
            rel_err = abs_err / np.maximum(np.abs(s) + np.abs(n), 1e-8)
            bad = (abs_err > abs_tol) & (rel_err > rel_tol)
            if bad.any():
                where = np.unravel_index(int(np.argmax(np.where(bad, abs_err, -1))), s.shape) if s.ndim else ()
                raise GradientError(i, float(abs_err.max()), float(rel_err.max()), abs_tol, rel_tol, where)


verify_grad.E_grad = GradientError


# ---------------------------------------------------------------- jacobian, hessian, Rop
#
# Theano builds jacobian and hessian with scan; here one IndexLoop op (jitgraph/index_loop.py)
# runs the backward pass once per element of the expression, seeded with a one-hot
# vector. The forward pass does not depend on the row, so the loop hoists it and it runs
# once. Rop uses the double-Lop identity J v = d/du <J^T u, v> (linear in u).

def _format_as(using_list, using_tuple, values):
    if using_list:
        return list(values)
    if using_tuple:
        return tuple(values)
    assert len(values) == 1
    return values[0]


def _wrt_list(wrt, what):
    using_list, using_tuple = isinstance(wrt, list), isinstance(wrt, tuple)
    wrt = list(wrt) if using_list or using_tuple else [wrt]
    for k, w in enumerate(wrt):
        if not isinstance(w, Variable):
            raise TypeError(f"{what}: wrt[{k}] is a {type(w).__name__}, expected a symbolic variable")
    return wrt, using_list, using_tuple


def jacobian(expression, wrt, consider_constant=None, disconnected_inputs="raise"):
    """d expression / d wrt: for each ``w`` in ``wrt`` an array of shape
    ``expression.shape + w.shape`` (a scalar expression gives its gradient).

    Theano accepts only vectors and scalars as ``expression``; any number of dimensions
    works here. A list (tuple) ``wrt`` gives a list (tuple) of jacobians.
    """
    import jitgraph.tensor as T
    from jitgraph.graph.basic import Constant, clone_replace
    from jitgraph.index_loop import index_loop
    wrt, using_list, using_tuple = _wrt_list(wrt, "jacobian")
    expression = as_tensor_variable(expression)
    if expression.ndim == 0:
        return _format_as(using_list, using_tuple,
                          grad(expression, wrt, consider_constant=consider_constant,
                               disconnected_inputs=disconnected_inputs))
    seed_dtype = expression.dtype if not is_discrete(expression.dtype) else _floatx()
    seed = TensorType(seed_dtype, expression.broadcastable)("jacobian_seed")
    lops = grad(None, wrt, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs,
                known_grads={expression: seed})
    index = T.lscalar("jacobian_row")
    if expression.ndim == 1:
        n = expression.shape[0]
        one_hot = T.set_subtensor(T.zeros_like(expression, dtype=seed_dtype)[index], 1)
    else:
        n = T.prod(expression.shape)
        flat = T.zeros_like(expression, dtype=seed_dtype).flatten()
        one_hot = T.set_subtensor(flat[index], 1).reshape(expression.shape)
    rows = clone_replace(lops, {seed: one_hot})
    like = [None if isinstance(w, Constant) else w for w in wrt]
    stacked = index_loop(n, index, rows, item_like=like)
    if expression.ndim > 1:
        stacked = [T.reshape(s, [expression.shape[d] for d in range(expression.ndim)]
                             + [w.shape[d] for d in range(w.ndim)], ndim=expression.ndim + w.ndim)
                   for s, w in zip(stacked, wrt)]
    return _format_as(using_list, using_tuple, stacked)


def hessian(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The matrix of second derivatives of the scalar ``cost`` for each ``w`` in ``wrt``
    (shape ``w.shape + w.shape``; Theano accepts only vectors as ``wrt``)."""
    wrt, using_list, using_tuple = _wrt_list(wrt, "hessian")
    cost = as_tensor_variable(cost)
    if cost.ndim != 0:
        raise TypeError(f"hessian: cost must be a scalar, but {cost} has {cost.ndim} dimension(s) "
                        f"({cost.type}); sum or average it first")
    hessians = []
    for w in wrt:
        g = grad(cost, w, consider_constant=consider_constant, disconnected_inputs=disconnected_inputs)
        # w may be connected to the cost but not to its gradient (a linear cost): zeros.
        hessians.append(jacobian(g, w, consider_constant=consider_constant, disconnected_inputs="ignore"))
    return _format_as(using_list, using_tuple, hessians)


def Rop(f, wrt, eval_points, disconnected_outputs="raise", return_disconnected="zero"):
    """Jacobian-vector product: for each ``f[i]``, sum over j of d f[i] / d wrt[j] times
    ``eval_points[j]``. A list (tuple) ``f`` gives a list (tuple).

    ``disconnected_outputs`` ('raise', 'warn', 'ignore') applies, as in Theano, to an
    output that is an input of the graph and not in ``wrt``; ``return_disconnected``
    ('zero' or 'None') says what such an output gets.
    """
    import jitgraph.tensor as T
    from jitgraph.graph.basic import clone_replace
    if disconnected_outputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"Rop: disconnected_outputs={disconnected_outputs!r}: expected 'raise', 'warn' or "
                         "'ignore'")
    if str(return_disconnected).lower() not in ("zero", "none", "disconnected"):
        raise ValueError(f"Rop: return_disconnected={return_disconnected!r}: expected 'zero' or 'None'")
    using_list, using_tuple = isinstance(f, list), isinstance(f, tuple)
    fs = [as_tensor_variable(v) for v in _as_list(f)]
    wrt = [as_tensor_variable(w) if not isinstance(w, Variable) else w for w in _as_list(wrt)]
    points = [as_tensor_variable(p) for p in _as_list(eval_points)]
    if len(wrt) != len(points):
        raise ValueError(f"Rop: {len(wrt)} wrt variable(s) but {len(points)} eval point(s)")
    for k, (w, p) in enumerate(zip(wrt, points)):
        if w.ndim != p.ndim:
            raise ValueError(f"Rop: element {k} of wrt/eval_points have mismatched dimensionality: "
                             f"{w.ndim} versus {p.ndim}")
        if p.dtype != w.dtype:
            points[k] = T.cast(p, w.dtype)

    # One dummy seed u per distinct output; Lop(f, wrt, u) = J^T u.
    seeds = {}
    for v in fs:
        if v not in seeds and v.owner is not None and not is_discrete(v.dtype):
            seeds[v] = TensorType(v.dtype, v.broadcastable)("rop_seed")
    float_wrt = [(w, p) for w, p in zip(wrt, points) if not is_discrete(w.dtype)]
    products = {}
    if seeds and float_wrt:
        lops = grad(None, [w for w, _ in float_wrt], known_grads=seeds, disconnected_inputs="ignore")
        inner = _total([T.sum(g * p) for g, (_, p) in zip(lops, float_wrt)])
        jvps = grad(inner, list(seeds.values()), disconnected_inputs="ignore")
        # J v no longer depends on u's values, only (perhaps) on its shape.
        zeros = {u: T.zeros_like(v) for v, u in seeds.items()}
        products = dict(zip(seeds, clone_replace(jvps, zeros)))

    results = []
    for v in fs:
        if v in wrt:
            results.append(points[wrt.index(v)])
            continue
        if v in products:
            results.append(products[v])
            continue
        if v.owner is None:
            msg = (f"Rop: output {v} is an input of the graph and not one of wrt, so it does not "
                   "depend on wrt")
            if disconnected_outputs == "raise":
                raise DisconnectedInputError(msg)
            if disconnected_outputs == "warn":
                warnings.warn(msg, stacklevel=2)
            if str(return_disconnected).lower() != "zero":
                results.append(None)
                continue
        results.append(T.zeros_like(v))
    return _format_as(using_list, using_tuple, results)


__all__ = ["grad", "Lop", "Rop", "jacobian", "hessian", "verify_grad", "zero_grad", "disconnected_grad",
           "DisconnectedInputError", "GradientError", "numeric_grad"]
