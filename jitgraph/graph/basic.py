"""The graph IR: Variable, Constant, Apply, Op, Type and graph traversal.

A graph is bipartite: Variables are values, Apply nodes are applications of an Op to
input Variables producing output Variables (``var.owner`` is the producing Apply).
"""
import itertools
from collections import deque

_counter = itertools.count()


class Type:
    """What values a Variable may hold. Subclasses define ``filter`` and equality."""

    variable_type = None   # set by subclasses: the Variable class to make
    constant_type = None

    def filter(self, value, strict=False, allow_downcast=None):
        raise NotImplementedError

    def make_variable(self, name=None):
        return self.variable_type(self, None, None, name)

    def __call__(self, name=None):
        return self.make_variable(name)

    def is_valid_value(self, value):
        try:
            self.filter(value, strict=True)
            return True
        except (TypeError, ValueError):
            return False


class Variable:
    """A value in the graph: an input (owner None), a constant, or an Apply's output."""

    def __init__(self, type, owner=None, index=None, name=None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag = _Tag()
        self.auto_name = f"auto_{next(_counter)}"

    def clone(self):
        """A new unowned Variable of the same type and name."""
        cp = self.__class__(self.type, None, None, self.name)
        cp.tag = self.tag.copy()
        return cp

    def __str__(self):
        if self.name is not None:
            return self.name
        if self.owner is not None:
            op = self.owner.op
            if len(self.owner.outputs) == 1:
                return f"{op}.out"
            return f"{op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self):
        return str(self)

    def get_parents(self):
        return [self.owner] if self.owner is not None else []

    def eval(self, inputs_to_values=None):
        """Compile (memoised per input set) and evaluate this variable."""
        from jitgraph.compile.function import function
        inputs_to_values = inputs_to_values or {}
        inputs = tuple(inputs_to_values)
        cache = self.__dict__.setdefault("_eval_cache", {})
        if inputs not in cache:
            cache[inputs] = function(list(inputs), self, on_unused_input="ignore")
        return cache[inputs](*[inputs_to_values[v] for v in inputs])

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_eval_cache", None)
        return state


class Constant(Variable):
    """A Variable with a fixed value, ``data``."""

    def __init__(self, type, data, name=None):
        super().__init__(type, None, None, name)
        self.data = type.filter(data)

    def signature(self):
        return (self.type, self.data)

    def clone(self):
        cp = self.__class__(self.type, self.data, self.name)
        cp.tag = self.tag.copy()
        return cp

    def __str__(self):
        if self.name is not None:
            return self.name
        return f"{type(self).__name__}{{{_short_repr(self.data)}}}"


def _short_repr(data):
    import numpy as np
    arr = np.asarray(data)
    if arr.size <= 8:
        text = str(arr.tolist())
    else:
        text = f"{arr.dtype}{arr.shape}"
    return text


class _Tag(dict):
    """Free-form annotations (``var.tag.test_value`` etc.)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key, value):
        self[key] = value

    def copy(self):
        return _Tag(self)


class Apply:
    """One application of ``op`` to ``inputs``, producing ``outputs``."""

    def __init__(self, op, inputs, outputs):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        for i, out in enumerate(self.outputs):
            if out.owner is not None and out.owner is not self:
                raise ValueError(f"output {i} of {op} already has an owner")
            out.owner = self
            out.index = i

    @property
    def out(self):
        """The default output (the only output, or the op's ``default_output``)."""
        do = getattr(self.op, "default_output", None)
        if do is not None:
            return self.outputs[do]
        if len(self.outputs) != 1:
            raise AttributeError(f"{self.op} has {len(self.outputs)} outputs and no default output")
        return self.outputs[0]

    @property
    def nin(self):
        return len(self.inputs)

    @property
    def nout(self):
        return len(self.outputs)

    def clone_with_new_inputs(self, inputs, strict=True):
        """The same op applied to new inputs (re-running ``make_node`` for type checks)."""
        node = self.op.make_node(*inputs)
        if strict:
            for old, new in zip(self.outputs, node.outputs):
                if old.type != new.type:
                    raise TypeError(f"{self.op}: cloning changed an output type from {old.type} to {new.type}")
        return node

    def __str__(self):
        return f"{self.op}({', '.join(map(str, self.inputs))})"

    __repr__ = __str__


class Op:
    """An operation. Subclasses define ``make_node``, ``perform``, ``grad``, ``infer_shape``.

    ``__props__`` names the attributes that define equality; two equal ops applied to
    the same inputs compute the same thing (merge relies on it).
    """

    __props__ = ()
    default_output = None

    def make_node(self, *inputs):
        raise NotImplementedError

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if self.default_output is not None:
            return node.outputs[self.default_output]
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def perform(self, node, inputs, output_storage):
        """Numpy reference: write each result into ``output_storage[i][0]``."""
        raise NotImplementedError(f"{type(self).__name__} has no perform")

    def grad(self, inputs, output_grads):
        raise NotImplementedError(f"{self} has no gradient")

    def infer_shape(self, node, input_shapes):
        raise NotImplementedError

    def _props(self):
        return tuple(getattr(self, p) for p in self.__props__)

    def __eq__(self, other):
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        return hash((type(self), self._props()))

    def __str__(self):
        if self.__props__:
            return f"{type(self).__name__}{{{', '.join(map(str, self._props()))}}}"
        return type(self).__name__

    __repr__ = __str__


# ---------------------------------------------------------------- traversal

def ancestors(outputs, blockers=None):
    """All Variables that ``outputs`` depend on (including themselves), depth first."""
    blockers = set(blockers or ())
    seen, order, stack = set(), [], list(reversed(list(outputs)))
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        order.append(v)
        if v.owner is not None and v not in blockers:
            stack.extend(reversed(v.owner.inputs))
    return order


def graph_inputs(outputs, blockers=None):
    """Ownerless Variables (inputs and constants) that ``outputs`` depend on."""
    blockers = set(blockers or ())
    return [v for v in ancestors(outputs, blockers) if v.owner is None or v in blockers]


def io_toposort(inputs, outputs, orderings=None):
    """Apply nodes between ``inputs`` and ``outputs``, each after the nodes it reads (and
    after the nodes ``orderings[node]`` lists: readers of storage it overwrites)."""
    stop = set(inputs)
    orderings = orderings or {}
    order, done, active = [], set(), set()
    for out in outputs:
        if out in stop or out.owner is None or out.owner in done:
            continue
        stack = [(out.owner, False)]
        while stack:
            node, expanded = stack.pop()
            if node in done:
                continue
            if expanded:
                active.discard(node)
                done.add(node)
                order.append(node)
                continue
            if node in active:
                raise ValueError(f"the graph's orderings make a cycle through {node}")
            active.add(node)
            stack.append((node, True))
            deps = [v.owner for v in node.inputs if v.owner is not None and v not in stop]
            deps += orderings.get(node, ())
            for dep in reversed(deps):
                if dep not in done:
                    stack.append((dep, False))
    return order


def storage_root(var, views=True):
    """The variable owning ``var``'s storage, following ops' ``destroy_map`` (in-place
    results) and, with ``views``, their ``view_map``."""
    while var.owner is not None:
        op = var.owner.op
        srcs = (getattr(op, "destroy_map", None) or {}).get(var.index)
        if not srcs and views:
            srcs = (getattr(op, "view_map", None) or {}).get(var.index)
        if not srcs:
            return var
        var = var.owner.inputs[srcs[0]]
    return var


def toposort(outputs):
    return io_toposort([], outputs)


def clone_get_equiv(inputs, outputs, copy_inputs=True, memo=None):
    """Clone the graph between inputs and outputs; returns {old: new} for every Variable/Apply."""
    memo = {} if memo is None else memo
    for v in inputs:
        if v not in memo:
            memo[v] = v.clone() if copy_inputs else v
    for node in io_toposort(inputs, outputs):
        for v in node.inputs:
            if v not in memo:
                memo[v] = v.clone() if isinstance(v, Constant) or copy_inputs and v.owner is None else v
        new_inputs = [memo[v] for v in node.inputs]
        new_node = Apply(node.op, new_inputs, [o.clone() for o in node.outputs])
        memo[node] = new_node
        for old, new in zip(node.outputs, new_node.outputs):
            new.name = old.name
            new.tag = old.tag.copy()
            memo[old] = new
    for v in outputs:
        if v not in memo:
            memo[v] = v.clone() if copy_inputs else v
    return memo


def clone_replace(outputs, replace=None):
    """Copies of ``outputs`` with each key of ``replace`` substituted by its value.

    Replacement values are used as they are (not cloned), so a replacement may itself
    be an expression over other variables.
    """
    single = isinstance(outputs, Variable)
    outs = [outputs] if single else list(outputs)
    replace = dict(replace or {})
    memo = dict(replace)
    for node in io_toposort(list(replace), outs):
        new_inputs = [memo.get(v, v) for v in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs)):
            continue
        new_node = node.op.make_node(*new_inputs)
        for old, new in zip(node.outputs, new_node.outputs):
            new.name = old.name
            memo[old] = new
    result = [memo.get(v, v) for v in outs]
    return result[0] if single else result


def is_in_ancestors(node, var_node):
    """True when ``var_node`` (an Apply) is an ancestor of ``node``."""
    seen, queue = set(), deque([node])
    while queue:
        n = queue.popleft()
        if n is var_node:
            return True
        for inp in n.inputs:
            if inp.owner is not None and inp.owner not in seen:
                seen.add(inp.owner)
                queue.append(inp.owner)
    return False
