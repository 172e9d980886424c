"""Stabilization: forms that overflow, underflow or lose precision become their stable
equivalents, in the forward graph and in the gradient graph built from it.

Local forms: ``1/(1+exp(-z))`` -> ``sigmoid(z)``; ``log(sigmoid(z))`` -> ``-softplus(-z)``;
``log(1-sigmoid(z))`` -> ``-softplus(z)``; ``log(1+exp(z))`` -> ``softplus(z)``;
``log(1+x)`` -> ``log1p(x)``; ``exp(x)-1`` -> ``expm1(x)``; ``log(softmax(x))`` ->
``logsoftmax(x)``; the 1-hot crossentropy of ``softmax(x)`` -> the fused
softmax-crossentropy op, and the softmax gradients of both losses to their direct forms.

Products: gradients are differentiated before rewrites run, so the derivative of
``log(sigmoid(z))`` arrives as ``g / sigmoid(z) * sigmoid(z) * (1 - sigmoid(z))``, which is
``inf * 0`` where the sigmoid saturates. Every maximal tree of mul/div/neg nodes that holds
sigmoid-family factors is flattened into numerator and denominator factors (through one
level of sums, distributing the product over their terms), the factors are read as
``sigmoid(±z)`` or ``exp(±z)`` where they are (``1 - sigmoid(z)``, ``1/(1+exp(z))``), and
equal factors cancel, ``exp(z) * sigmoid(-z)`` becomes ``sigmoid(z)``, ``exp(z) / sigmoid(z)``
becomes ``1 / sigmoid(-z)``. The tree is replaced only where something cancelled.
"""
import numpy as np

from jitgraph.graph.basic import Constant
from jitgraph.rewrite import register_pass
from jitgraph.tensor.elemwise import DimShuffle, Elemwise

_PRODUCT_OPS = ("mul", "true_div", "neg", "inv", "sqr")
_MAX_TERMS = 8       # a sum with more terms is not distributed over
_MAX_FACTORS = 64    # a product tree is followed until it has this many factors


# ------------------------------------------------------------ reading the graph

def _op_name(var):
    """The scalar op's name if ``var`` is computed by an Elemwise, else None."""
    if var.owner is not None and isinstance(var.owner.op, Elemwise):
        return var.owner.op.scalar_op.name
    return None


def _scalar_value(var):
    """The value of a one-element constant, possibly behind DimShuffles that add dims."""
    while var.owner is not None and isinstance(var.owner.op, DimShuffle):
        var = var.owner.inputs[0]
    if isinstance(var, Constant) and np.asarray(var.data).size == 1:
        return np.asarray(var.data).item()
    return None


def _is_one(var):
    return _scalar_value(var) == 1


def _strip_neg(var):
    """``(z, s)`` with ``var == s * z`` and z not a negation."""
    sign = 1
    while _op_name(var) == "neg":
        var, sign = var.owner.inputs[0], -sign
    return var, sign


def _one_plus_exp(var):
    """``(z, s)`` if ``var`` is ``1 + exp(s*z)``, else None."""
    if _op_name(var) != "add" or len(var.owner.inputs) != 2:
        return None
    a, b = var.owner.inputs
    if _is_one(b):
        a, b = b, a
    if _is_one(a) and _op_name(b) == "exp":
        return _strip_neg(b.owner.inputs[0])
    return None


def _sigmoid_of(var):
    """``(z, s)`` if ``var`` is ``sigmoid(s*z)``, written as a sigmoid, as ``1 - sigmoid``
    or as ``1 / (1 + exp(-s*z))``; else None."""
    name = _op_name(var)
    if name == "sigmoid":
        return _strip_neg(var.owner.inputs[0])
    if name == "sub" and _is_one(var.owner.inputs[0]):
        inner = _sigmoid_of(var.owner.inputs[1])
        return (inner[0], -inner[1]) if inner else None
    if name in ("true_div", "inv"):
        num, den = (None, var.owner.inputs[0]) if name == "inv" else var.owner.inputs
        if num is None or _is_one(num):
            e = _one_plus_exp(den)
            return (e[0], -e[1]) if e else None    # 1 / (1 + exp(s*z)) = sigmoid(-s*z)
    return None


def _is_float(var):
    return var.dtype.startswith("float")


# ------------------------------------------------------------ building replacements

class _Builder:
    """Builds sigmoid/exp/neg of a variable, reusing a node the graph already has."""

    def __init__(self, fgraph):
        self.fgraph = fgraph
        self.made = {}
        self.shared_softmax = []   # (softmax, the fused crossentropy node's softmax output)

    def apply(self, name, z):
        import jitgraph.tensor as T
        key = (name, z)
        if key not in self.made:
            found = None
            for client, _ in self.fgraph.clients.get(z, ()):
                if client != "output" and isinstance(client.op, Elemwise) and \
                        client.op.scalar_op.name == name and len(client.inputs) == 1:
                    found = client.outputs[0]
                    break
            self.made[key] = found if found is not None else getattr(T, name)(z)
        return self.made[key]

    def signed(self, z, sign):
        return z if sign > 0 else self.apply("neg", z)

    def atom(self, factor):
        kind, z, sign = factor
        if kind == "var":
            return z
        return self.apply(kind, self.signed(z, sign))


def _fit(new, like, shape_refs=()):
    """``new`` with exactly ``like``'s type (cast, broadcast back to a full-shape
    reference, patternbroadcast), or None where that cannot be done."""
    import jitgraph.tensor as T
    from jitgraph.tensor.shape import patternbroadcast
    if new.ndim != like.ndim:
        return None
    if any(nb and not lb for nb, lb in zip(new.broadcastable, like.broadcastable)):
        for ref in shape_refs:
            if ref.ndim == like.ndim and all(rb <= lb for rb, lb in zip(ref.broadcastable, like.broadcastable)):
                new = T.second(ref, new)
                break
        else:
            return None
    if new.dtype != like.dtype:
        new = T.cast(new, like.dtype)
    new = patternbroadcast(new, like.broadcastable)
    return new if new.type == like.type else None


# ------------------------------------------------------------ products of sigmoid factors

class _Product:
    """``sign * coef * prod(num) / prod(den)``; a factor is ``("var", v, 1)``,
    ``("sigmoid", z, s)`` (sigmoid(s*z)) or ``("exp", z, s)`` (exp(s*z))."""

    def __init__(self):
        self.sign, self.coef, self.num, self.den, self.leaves = 1, 1.0, [], [], []

    def copy(self):
        p = _Product()
        p.sign, p.coef, p.num, p.den, p.leaves = self.sign, self.coef, list(self.num), list(self.den), list(self.leaves)
        return p

    def add_factor(self, var, in_den):
        name = _op_name(var)
        # shared subtrees are read once per path: the cap keeps x*x, (x*x)*(x*x), ... linear
        if name in _PRODUCT_OPS and _is_float(var) and len(self.leaves) < _MAX_FACTORS:
            ins = var.owner.inputs
            if name == "neg":
                self.sign = -self.sign
                self.add_factor(ins[0], in_den)
            elif name == "mul":
                for x in ins:
                    self.add_factor(x, in_den)
            elif name == "sqr":
                self.add_factor(ins[0], in_den)
                self.add_factor(ins[0], in_den)
            elif name == "inv":
                self.add_factor(ins[0], not in_den)
            else:
                self.add_factor(ins[0], in_den)
                self.add_factor(ins[1], not in_den)
            return
        self.leaves.append(var)
        value = _scalar_value(var)
        if value is not None and value != 0 and not isinstance(value, complex):
            self.coef = self.coef / value if in_den else self.coef * value
            return
        sig, ope = _sigmoid_of(var), _one_plus_exp(var)
        if sig:
            factor = ("sigmoid",) + sig
        elif ope and in_den:     # 1 / (1 + exp(s*z)) = sigmoid(-s*z), a numerator factor
            factor, in_den = ("sigmoid", ope[0], -ope[1]), False
        elif name == "exp":      # 1 / exp(s*z) = exp(-s*z), a numerator factor
            z, s = _strip_neg(var.owner.inputs[0])
            factor, in_den = ("exp", z, -s if in_den else s), False
        else:
            factor = ("var", var, 1)
        (self.den if in_den else self.num).append(factor)

    def has_sigmoid_factors(self):
        return any(f[0] != "var" for f in self.num + self.den)

    def simplify(self):
        """Cancel and combine factors in place; returns how many rules fired."""
        fired = 0
        changed = True
        while changed:
            changed = False
            for f in list(self.num):
                if f in self.den and f in self.num:
                    self.num.remove(f)
                    self.den.remove(f)
                    fired += 1
                    changed = True
            for f in list(self.num):
                if f[0] != "exp" or f not in self.num:
                    continue
                _, z, s = f
                partner = ("sigmoid", z, -s)
                if partner in self.num:          # exp(sz) * sigmoid(-sz) = sigmoid(sz)
                    self.num.remove(f)
                    self.num.remove(partner)
                    self.num.append(("sigmoid", z, s))
                    fired += 1
                    changed = True
                elif ("sigmoid", z, s) in self.den:   # exp(sz) / sigmoid(sz) = 1 / sigmoid(-sz)
                    self.num.remove(f)
                    self.den.remove(("sigmoid", z, s))
                    self.den.append(("sigmoid", z, -s))
                    fired += 1
                    changed = True
        return fired

    def build(self, builder, dtype):
        import jitgraph.tensor as T
        num = [builder.atom(f) for f in self.num]
        den = [builder.atom(f) for f in self.den]
        if self.coef != 1 or not num:
            num.append(T.constant(np.asarray(self.coef, dtype=dtype)))
        out = num[0] if len(num) == 1 else T.mul(*num)
        if den:
            out = T.true_div(out, den[0] if len(den) == 1 else T.mul(*den))
        return out if self.sign > 0 else T.neg(out)


def _signed_terms(var, sign=1, out=None):
    """The terms of a sum of add/sub/neg nodes as ``[(sign, var)]``."""
    out = [] if out is None else out
    name = _op_name(var)
    if name == "add" and _is_float(var):
        for x in var.owner.inputs:
            _signed_terms(x, sign, out)
    elif name == "sub" and _is_float(var):
        _signed_terms(var.owner.inputs[0], sign, out)
        _signed_terms(var.owner.inputs[1], -sign, out)
    elif name == "neg" and _op_name(var.owner.inputs[0]) in ("add", "sub"):
        _signed_terms(var.owner.inputs[0], -sign, out)
    else:
        out.append((sign, var))
    return out


def _expand(product):
    """Simplify ``product``, then distribute it over the first of its sum factors where
    that makes factors cancel. Returns (list of products to add, rules fired)."""
    fired = product.simplify()
    for i, f in enumerate(product.num):
        if f[0] != "var" or _op_name(f[1]) not in ("add", "sub"):
            continue
        terms = _signed_terms(f[1])
        if not 2 <= len(terms) <= _MAX_TERMS:
            continue
        rest = product.copy()
        del rest.num[i]
        results, total = [], 0
        for sign, term in terms:
            p = rest.copy()
            p.sign *= sign
            p.add_factor(term, in_den=False)
            total += p.simplify()
            results.append(p)
        if total:
            return results, fired + total
    return [product], fired


def _simplify_products(fgraph):
    import jitgraph.tensor as T
    builder = _Builder(fgraph)
    replacements = []
    for node in fgraph.toposort():
        out = node.outputs[0]
        if not (isinstance(node.op, Elemwise) and node.op.scalar_op.name in _PRODUCT_OPS and _is_float(out)):
            continue
        clients = fgraph.clients.get(out, ())
        if clients and all(c != "output" and _op_name(c.outputs[0]) in _PRODUCT_OPS for c, _ in clients):
            continue        # inside a larger product: handled from its root
        product = _Product()
        product.add_factor(out, in_den=False)
        if not product.has_sigmoid_factors():
            continue
        products, fired = _expand(product)
        if not fired:
            continue
        terms = [p.build(builder, out.dtype) for p in products]
        new = _fit(terms[0] if len(terms) == 1 else T.add(*terms), out, product.leaves)
        if new is not None:
            replacements.append((out, new))
    return replacements


# ------------------------------------------------------------ local forms

def _stable_log(node, builder):
    """log(softmax(x)), log(sigmoid), log(1 - sigmoid), log(1 + exp(z)), log(1 + x)."""
    import jitgraph.tensor as T
    from jitgraph.tensor.nnet.softmax import Softmax, logsoftmax_op
    (v,) = node.inputs
    if v.owner is not None and isinstance(v.owner.op, Softmax):
        return logsoftmax_op(v.owner.inputs[0])
    sig = _sigmoid_of(v)
    if sig:      # log(sigmoid(s*z)) = -softplus(-s*z)
        z, s = sig
        return T.neg(builder.apply("softplus", builder.signed(z, -s)))
    ope = _one_plus_exp(v)
    if ope:      # log(1 + exp(s*z)) = softplus(s*z)
        return builder.apply("softplus", builder.signed(*ope))
    if _op_name(v) == "add":
        ins = list(v.owner.inputs)
        ones = [i for i, x in enumerate(ins) if _is_one(x)]
        if ones:
            del ins[ones[0]]
            rest = ins[0] if len(ins) == 1 else T.add(*ins)
            return T.log1p(rest if rest.dtype == v.dtype else T.cast(rest, v.dtype))
    return None


def _expm1(node):
    """exp(x) - 1 and -1 + exp(x)."""
    import jitgraph.tensor as T
    name, ins = node.op.scalar_op.name, node.inputs
    if len(ins) != 2:
        return None
    if name == "sub" and _op_name(ins[0]) == "exp" and _is_one(ins[1]):
        e = ins[0]
    elif name == "add" and _scalar_value(ins[0]) == -1 and _op_name(ins[1]) == "exp":
        e = ins[1]
    elif name == "add" and _scalar_value(ins[1]) == -1 and _op_name(ins[0]) == "exp":
        e = ins[0]
    else:
        return None
    return T.expm1(e.owner.inputs[0])


def _same(a, b):
    """The same variable, or the same op applied to the same inputs (merge not run yet)."""
    if a is b:
        return True
    return (a.owner is not None and b.owner is not None and a.owner.op == b.owner.op
            and a.index == b.index and len(a.owner.inputs) == len(b.owner.inputs)
            and all(x is y for x, y in zip(a.owner.inputs, b.owner.inputs)))


def _softmax_input(var):
    from jitgraph.tensor.nnet.softmax import Softmax
    if var.owner is not None and isinstance(var.owner.op, Softmax):
        return var.owner.inputs[0]
    return None


def _stable_softmax_grad(node, builder):
    """SoftmaxGrad(a / sm, sm) -> a - sum(a) * sm (the gradient through log-softmax);
    SoftmaxGrad(1-hot crossentropy grad(g, sm, y), sm) -> the fused softmax-crossentropy dx."""
    import jitgraph.tensor as T
    from jitgraph.tensor.nnet.crossentropy import (CrossentropyCategorical1HotGrad,
                                                   crossentropy_softmax_1hot_with_bias_dx)
    dy, sm = node.inputs
    if _softmax_input(sm) is None or dy.owner is None:
        return None
    if _op_name(dy) == "true_div" and _same(dy.owner.inputs[1], sm):
        a = dy.owner.inputs[0]
        return a - T.sum(a, axis=-1, keepdims=True) * sm
    if isinstance(dy.owner.op, CrossentropyCategorical1HotGrad) and _same(dy.owner.inputs[1], sm):
        g_y, _, y_idx = dy.owner.inputs
        fused = _fused_crossentropy(builder, sm, y_idx)
        return crossentropy_softmax_1hot_with_bias_dx(g_y, fused[1] if fused else sm, y_idx)
    return None


def _split_bias(x):
    """``(scores, bias)`` when ``x`` is ``scores + bias`` with a row-broadcast vector bias
    (the fused op adds it in its own pass), else ``(x, None)``."""
    if _op_name(x) != "add" or len(x.owner.inputs) != 2:
        return x, None
    for k, term in enumerate(x.owner.inputs):
        if (term.owner is not None and isinstance(term.owner.op, DimShuffle)
                and tuple(term.owner.op.new_order) == ("x", 0) and term.dtype == x.dtype):
            other = x.owner.inputs[1 - k]
            if other.ndim == 2 and other.dtype == x.dtype and not any(other.broadcastable):
                return other, term.owner.inputs[0]
    return x, None


def _fused_crossentropy(builder, sm, y_idx):
    """The outputs (nll, softmax, argmax) of one fused softmax-crossentropy node for the
    softmax ``sm`` and labels ``y_idx``, made once per pass: the loss, its gradient and
    every other reader of the softmax share them."""
    import jitgraph.tensor as T
    from jitgraph.tensor.nnet.crossentropy import crossentropy_softmax_argmax_1hot_with_bias
    x = _softmax_input(sm)
    if x is None or x.ndim != 2:
        return None
    key = ("crossentropy", sm, y_idx)
    if key not in builder.made:
        scores, bias = _split_bias(x)
        if bias is None:
            bias = T.zeros_like(x[0])
        builder.made[key] = crossentropy_softmax_argmax_1hot_with_bias(scores, bias, y_idx)
        builder.shared_softmax.append((sm, builder.made[key][1]))
    return builder.made[key]


def _local_replacement(node, builder):
    from jitgraph.tensor.nnet.crossentropy import CrossentropyCategorical1Hot
    from jitgraph.tensor.nnet.softmax import SoftmaxGrad
    op = node.op
    if isinstance(op, Elemwise):
        name = op.scalar_op.name
        if name == "log":
            return _stable_log(node, builder)
        if name in ("sub", "add"):
            return _expm1(node)
        if (name == "true_div" and _is_one(node.inputs[0])) or name == "inv":
            e = _one_plus_exp(node.inputs[-1])     # 1 / (1 + exp(s*z)) = sigmoid(-s*z)
            return builder.apply("sigmoid", builder.signed(e[0], -e[1])) if e else None
        return None
    if isinstance(op, SoftmaxGrad):
        return _stable_softmax_grad(node, builder)
    if isinstance(op, CrossentropyCategorical1Hot):
        fused = _fused_crossentropy(builder, node.inputs[0], node.inputs[1])
        return fused[0] if fused else None
    return None


def _local_forms(fgraph):
    builder = _Builder(fgraph)
    replacements = []
    for node in fgraph.toposort():
        new = _local_replacement(node, builder)
        if new is not None:
            new = _fit(new, node.outputs[0])
            if new is not None:
                replacements.append((node.outputs[0], new))
    for old, new in builder.shared_softmax:
        if old.type == new.type and not any(o is old for o, _ in replacements):
            replacements.append((old, new))
    return replacements


@register_pass("stabilize")
def stabilize(fgraph):
    """Rewrite log/exp/sigmoid/softmax forms and their gradients to stable equivalents."""
    changed = 0
    for phase in (_local_forms, _simplify_products):
        replacements = phase(fgraph)
        if replacements:
            fgraph.replace_all(replacements)
            changed += len(replacements)
    return changed
