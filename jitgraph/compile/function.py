"""``function``: compile inputs, outputs, givens and updates into a callable."""
import threading
import warnings

import numpy as np

from jitgraph.compile.executor import ReferenceProgram
from jitgraph.compile.io import In, Out
from jitgraph.compile.mode import get_mode
from jitgraph.compile.profiling import ProfileStats
from jitgraph.compile.sharedvalue import SharedVariable
from jitgraph.graph.basic import Constant, Variable, ancestors, clone_replace, storage_root
from jitgraph.graph.fg import FunctionGraph


class UnusedInputError(ValueError):
    """An explicit input is not needed by any output or update."""


class MissingInputError(ValueError):
    """The graph needs a variable that is neither an input, a shared variable nor given."""


# ------------------------------------------------------------ argument normalisation

def _normalize_inputs(inputs):
    if inputs is None:
        inputs = []
    if isinstance(inputs, (Variable, In)):
        raise TypeError("function(inputs, ...): inputs must be a list, e.g. function([x], y)")
    ins = []
    for i, inp in enumerate(inputs):
        if isinstance(inp, In):
            ins.append(inp)
        elif isinstance(inp, Variable):
            ins.append(In(inp))
        else:
            raise TypeError(f"function: input {i} is a {type(inp).__name__} ({inp!r}), "
                            "expected a symbolic variable or In(...)")
    seen = set()
    for i, inp in enumerate(ins):
        v = inp.variable
        if isinstance(v, SharedVariable):
            raise TypeError(f"function: input {i} ({v}) is a shared variable; shared variables are "
                            "implicit inputs and cannot be given explicitly. To feed a value in its place, "
                            "make a symbolic variable and use givens=")
        if isinstance(v, Constant):
            raise TypeError(f"function: input {i} ({v}) is a constant; inputs must be symbolic variables")
        if v in seen:
            raise ValueError(f"function: input {i} ({v}) appears more than once in the inputs")
        seen.add(v)
    return ins


def _normalize_outputs(outputs):
    """-> (list of Out, returns_single)."""
    if outputs is None:
        return [], False
    single = isinstance(outputs, (Variable, Out))
    outs = [outputs] if single else list(outputs)
    result = []
    for k, o in enumerate(outs):
        if isinstance(o, Out):
            result.append(o)
        elif isinstance(o, Variable):
            result.append(Out(o))
        else:
            from jitgraph.tensor.var import as_tensor_variable
            try:
                result.append(Out(as_tensor_variable(o)))
            except TypeError:
                raise TypeError(f"function: output {k} is a {type(o).__name__}, expected a symbolic "
                                "variable") from None
    return result, single


def _pairs(value, what):
    """dict / list of pairs / one pair -> list of pairs."""
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value.items())
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be a dict, a list of (variable, value) pairs or one pair, "
                        f"got {type(value).__name__}")
    value = list(value)
    if len(value) == 2 and isinstance(value[0], Variable) and not isinstance(value[1], (list, tuple)):
        return [tuple(value)]
    pairs = []
    for k, p in enumerate(value):
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise TypeError(f"{what}: entry {k} ({p!r}) is not a (variable, value) pair")
        pairs.append(tuple(p))
    return pairs


def _convert_to_type(target, value, what):
    """``value`` made to fit ``target``'s type: a lossless-kind dtype change is a cast,
    a broadcast pattern difference becomes a checked patternbroadcast."""
    import jitgraph.tensor as T
    from jitgraph.tensor.type import TensorType
    if not isinstance(value, Variable):
        value = T.as_tensor_variable(value)
    if target.type == value.type:
        return value
    if not isinstance(target.type, TensorType) or not isinstance(value.type, TensorType):
        raise TypeError(f"{what}: {value} has type {value.type}, expected {target.type}")
    if value.ndim != target.ndim:
        raise TypeError(f"{what}: {value} has {value.ndim} dimension(s) ({value.type}), but {target} "
                        f"has {target.ndim} ({target.type})")
    if value.dtype != target.dtype:
        if not np.can_cast(np.dtype(value.dtype), np.dtype(target.dtype), "same_kind"):
            raise TypeError(f"{what}: {value} has dtype {value.dtype}, {target} has {target.dtype}, and "
                            f"{value.dtype} -> {target.dtype} changes the kind of number; cast it "
                            f"explicitly with T.cast({value.name or 'value'}, '{target.dtype}')")
        value = T.cast(value, target.dtype)
    if value.broadcastable != target.broadcastable:
        value = T.patternbroadcast(value, target.broadcastable)
    return value


# ------------------------------------------------------------ building

class FunctionMaker:
    """Turns normalised arguments into a FunctionGraph and a program."""

    def __init__(self, spec):
        self.spec = spec
        self.mode = get_mode(spec["mode"])
        self.inputs = _normalize_inputs(spec["inputs"])
        self.outputs, self.single_output = _normalize_outputs(spec["outputs"])
        self.name = spec["name"]
        explicit = [i.variable for i in self.inputs]
        explicit_set = set(explicit)

        givens = []
        for var, value in _pairs(spec["givens"], "givens"):
            if not isinstance(var, Variable):
                raise TypeError(f"givens: {var!r} is not a symbolic variable")
            if var in explicit_set:
                raise ValueError(f"givens: {var} is also explicit input {explicit.index(var)}; a variable "
                                 "is either an input or given a value, not both — remove it from one")
            givens.append((var, _convert_to_type(var, value, f"givens value for {var}")))
        given = dict(givens)

        updates = []
        for target, expr in _pairs(spec["updates"], "updates"):
            if not isinstance(target, SharedVariable):
                raise TypeError(f"updates: {target} is not a shared variable; only shared variables "
                                "can be updated")
            if any(target is t for t, _ in updates):
                raise ValueError(f"updates: shared variable {target} is updated more than once")
            updates.append((target, _convert_to_type(target, expr, f"update of {target}")))

        out_vars = [o.variable for o in self.outputs]
        replaced = clone_replace(out_vars + [e for _, e in updates], given) if given else \
            out_vars + [e for _, e in updates]
        out_vars = replaced[:len(out_vars)]
        updates = [(t, e) for (t, _), e in zip(updates, replaced[len(out_vars):])]
        updates = self._add_default_updates(out_vars, updates, given, spec["no_default_updates"])

        roots = [v for v in ancestors(out_vars + [e for _, e in updates], explicit_set)
                 if v.owner is None or v in explicit_set]
        shared_vars = []
        for v in roots:
            if v in explicit_set or isinstance(v, Constant):
                continue
            if isinstance(v, SharedVariable):
                shared_vars.append(v)
                continue
            raise MissingInputError(
                f"function{' ' + repr(self.name) if self.name else ''}: the graph needs {v} "
                f"({v.type}), which is not an input, not a shared variable and not given; "
                "add it to the inputs or give it a value with givens=")
        for t, _ in updates:
            if t not in shared_vars:
                shared_vars.append(t)
        used = set(roots)
        on_unused = spec["on_unused_input"] or _config().on_unused_input
        for i, v in enumerate(explicit):
            if v not in used:
                msg = (f"function: input {i} ({v}) is not part of the graph needed to compute the "
                       "outputs and updates; pass on_unused_input='warn' or 'ignore' to allow it")
                if on_unused == "raise":
                    raise UnusedInputError(msg)
                if on_unused == "warn":
                    warnings.warn(msg, stacklevel=3)
            elif on_unused not in ("raise", "warn", "ignore"):
                raise ValueError(f"on_unused_input={on_unused!r}: expected 'raise', 'warn' or 'ignore'")

        self.updates = updates
        self.shared_vars = shared_vars
        self.fgraph = FunctionGraph(explicit + shared_vars, out_vars + [e for _, e in updates])
        self.fgraph.update_targets = {len(out_vars) + k: self.fgraph.inputs[len(explicit) + shared_vars.index(t)]
                                      for k, (t, _) in enumerate(updates)}
        self.n_outputs = len(out_vars)
        from jitgraph.rewrite import optimize
        self.rewrite_report = optimize(self.fgraph, self.mode.optimizer)
        self.program = make_program(self.fgraph, self.mode, self.name, per_node=bool(spec["profile"]))

    @staticmethod
    def _add_default_updates(out_vars, updates, given, no_default_updates):
        if no_default_updates is True:
            return updates
        skip = set(no_default_updates or ())
        updated = {t for t, _ in updates}
        pending = out_vars + [e for _, e in updates]
        while True:
            added = False
            for v in ancestors(pending):
                if isinstance(v, SharedVariable) and v not in updated and v not in skip and \
                        getattr(v, "default_update", None) is not None:
                    expr = _convert_to_type(v, v.default_update, f"default update of {v}")
                    if given:
                        expr = clone_replace(expr, given)
                    updates.append((v, expr))
                    updated.add(v)
                    pending.append(expr)
                    added = True
            if not added:
                return updates

    def create(self):
        return Function(self)


_warned_no_compiler = []


def make_program(fgraph, mode, name=None, per_node=False):
    """The executor for ``mode``: native code (FAST_RUN), the numpy reference
    (FAST_COMPILE), or per-node comparison of both (DEBUG). ``per_node`` builds one
    native module per node (profiling times each). Without a working C compiler,
    native modes warn once and use the reference."""
    if _config().device == "cuda" or any(getattr(v, "on_device", False) for v in fgraph.inputs):
        from jitgraph.compile.cuda_program import make_cuda_program
        return make_cuda_program(fgraph, mode, name, per_node)
    if mode.linker == "reference":
        return ReferenceProgram(fgraph, fgraph.inputs)
    from jitgraph.cache.build import CompilerNotFoundError
    try:
        if mode.linker == "debug":
            from jitgraph.compile.debug_program import DebugProgram
            return DebugProgram(fgraph, fgraph.inputs, name)
        from jitgraph.compile.native_program import NativeProgram
        return NativeProgram(fgraph, fgraph.inputs, name, per_node=per_node)
    except CompilerNotFoundError as exc:
        if not _warned_no_compiler:
            warnings.warn(f"no C compiler ({exc}); FAST_RUN falls back to the numpy reference executor",
                          stacklevel=4)
            _warned_no_compiler.append(True)
        return ReferenceProgram(fgraph, fgraph.inputs)


def _config():
    from jitgraph.config import config
    return config


# ------------------------------------------------------------ the callable

_MISSING = object()
_BADARG = object()   # the NativeCall's answer when arguments need binding or conversion


def _native_ready(a):
    """``a`` aligned and in native byte order (native code reads it directly)."""
    if isinstance(a, np.ndarray) and not (a.flags.aligned and a.dtype.isnative):
        return np.array(a, dtype=a.dtype.newbyteorder("="))
    return a


def _make_input_check(index, inp, fname, allow_downcast):
    ttype = inp.variable.type
    label = f"input {index}" + (f" ('{inp.name}')" if inp.name else "")
    where = f"function {fname!r}" if fname else "function"
    allow = inp.allow_downcast if inp.allow_downcast is not None else allow_downcast
    np_dtype = getattr(ttype, "numpy_dtype", None)
    ndim = getattr(ttype, "ndim", None)
    fixed = [(d, s) for d, s in enumerate(getattr(ttype, "shape", ())) if s is not None]

    def check(value):
        if type(value) is np.ndarray and value.dtype == np_dtype and value.ndim == ndim:
            shape = value.shape
            for d, s in fixed:
                if shape[d] != s:
                    break
            else:
                return value
        try:
            return ttype.filter(value, strict=inp.strict, allow_downcast=allow)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"bad argument for {label} of {where} (expected {ttype}): {exc}") from None
    return check


class Function:
    """A compiled function. Call it with positional arguments in input order or by the
    inputs' names; returns one array or a list of arrays."""

    def __init__(self, maker):
        self.maker = maker
        self.name = maker.name
        self.trust_input = False
        fg = maker.fgraph
        program = maker.program
        self._program = program
        ins = maker.inputs
        allow = maker.spec["allow_input_downcast"]
        self._n_inputs = len(ins)
        self._checks = [(program.slot[fg.inputs[i]], _make_input_check(i, inp, self.name, allow))
                        for i, inp in enumerate(ins)]
        self._defaults = [(inp.value if inp.has_default else _MISSING) for inp in ins]
        self._names = {}
        for i, inp in enumerate(ins):
            if inp.name:
                self._names.setdefault(inp.name, i)
        self._shared = [(program.slot[fg.inputs[len(ins) + k]], sv) for k, sv in enumerate(maker.shared_vars)]
        n_out = maker.n_outputs
        self._n_outputs = n_out
        self._single = maker.single_output
        self._output_copy = self._plan_copies(fg, n_out, [o.borrow for o in maker.outputs],
                                              getattr(fg, "update_targets", {}))
        self._updates = [(sv, n_out + k) for k, (sv, _) in enumerate(maker.updates)]
        self._update_lock = threading.Lock()
        self.profile = None
        given = maker.spec["profile"]
        if given:
            self.profile = given if isinstance(given, ProfileStats) else ProfileStats(self.name)
            program.profile = self.profile
            self.profile.rewrites = list(maker.rewrite_report)
        self._fast = None
        configure = getattr(program, "configure_results", None)
        if configure is not None:
            # a device program returns each result fresh and where it belongs: outputs on the
            # host (borrowed ones may stay on the device), updates beside their shared variable
            configure([o.borrow for o in maker.outputs], [sv for sv, _ in maker.updates])
            self._output_copy = [False] * len(self._output_copy)
        stages = getattr(program, "stages", None)
        if stages is not None and len(stages) == 1 and self.profile is None and configure is None:
            # one native call: arguments go straight to the trampoline's NativeCall, which
            # checks them, runs the module and applies the updates
            stage = stages[0]
            # an update computed in place is already in its shared variable
            inplace = getattr(stage, "inplace", {})
            module_index = {k: i for i, k in enumerate(k for k in range(len(fg.outputs)) if k not in inplace)}
            updates = [(sv, k) for sv, k in self._updates if k not in inplace]
            if all(k >= n_out for k in inplace):
                self._fast = stage.caller.fast_call(
                    n_explicit=len(ins), n_visible=n_out, single=self._single,
                    shared_cells=[sv.container for sv in maker.shared_vars],
                    consts=[v.data for v in stage.inputs[len(fg.inputs):]],
                    update_cells=[sv.container for sv, _ in updates],
                    update_index=[module_index[k] for _, k in updates], badarg=_BADARG)

    @staticmethod
    def _plan_copies(fg, n_out, borrow, update_targets=None):
        """Which results must be copied so none aliases an input, a shared value, a
        constant or another result. An update computed in place into its own shared
        variable (``update_targets``) is that variable's new value: no copy."""
        roots = set(fg.inputs)
        copies, seen = [], set()
        for k, var in enumerate(fg.outputs):
            root = storage_root(var)
            own_storage = update_targets is not None and update_targets.get(k) is storage_root(var, views=False) \
                and root is not var
            aliased = root in roots or isinstance(root, Constant) or root in seen
            seen.add(root)
            is_output = k < n_out
            copies.append(aliased and not own_storage and not (is_output and borrow[k]))
        return copies

    def __call__(self, *args, **kwargs):
        fast = self._fast
        if fast is not None:
            res = fast(*args, **kwargs)
            if res is not _BADARG:
                return res
            # not exactly the declared arrays: bind keywords and defaults, validate (raising
            # clear errors) and convert, then call again
            if kwargs or len(args) != self._n_inputs:
                args = self._bind(args, kwargs)
            res = fast(*[_native_ready(check(a)) for (_, check), a in zip(self._checks, args)])
            if res is _BADARG:
                raise TypeError(f"{self!r}: arguments do not match the compiled signature after conversion")
            return res
        if kwargs or len(args) != self._n_inputs:
            args = self._bind(args, kwargs)
        results = self._call_program(args)
        if self._updates:
            with self._update_lock:
                for sv, k in self._updates:
                    sv.container[0] = results[k]
        if self._single:
            return results[0]
        return results[:self._n_outputs]

    def _call_program(self, args):
        program = self._program
        values = program.new_values()
        if self.trust_input:
            for (slot, _), a in zip(self._checks, args):
                values[slot] = a
        else:
            for (slot, check), a in zip(self._checks, args):
                values[slot] = check(a)
        for slot, sv in self._shared:
            values[slot] = sv.container[0]
        results = program.run(values)
        copies = self._output_copy
        for k, c in enumerate(copies):
            if c:
                results[k] = np.array(results[k], copy=True)
        return results

    def _bind(self, args, kwargs):
        n = self._n_inputs
        where = f"function {self.name!r}" if self.name else "function"
        if len(args) > n:
            raise TypeError(f"{where} takes at most {n} argument(s) ({len(args)} given)")
        vals = list(args) + [_MISSING] * (n - len(args))
        for key, v in kwargs.items():
            i = self._names.get(key)
            if i is None:
                known = ", ".join(repr(k) for k in self._names) or "none"
                raise TypeError(f"{where} got an unexpected keyword argument {key!r}; named inputs: {known}")
            if vals[i] is not _MISSING:
                raise TypeError(f"{where} got multiple values for input {i} ({key!r})")
            vals[i] = v
        for i, v in enumerate(vals):
            if v is _MISSING:
                if self._defaults[i] is _MISSING:
                    inp = self.maker.inputs[i]
                    raise TypeError(f"{where}: missing input {i}" + (f" ({inp.name!r})" if inp.name else "")
                                    + f"; it takes {n} argument(s), {len(args) + len(kwargs)} given")
                vals[i] = self._defaults[i]
        return vals

    def copy(self, share_memory=False, swap=None, delete_updates=False, name=None, profile=None):
        """A new Function computing the same graph, with shared variables swapped
        (``swap={old: new}``) and optionally without its updates."""
        from jitgraph.graph.basic import clone_replace as _replace
        spec = dict(self.maker.spec)
        swap = dict(swap or {})
        for old, new in swap.items():
            if not isinstance(old, SharedVariable) or not isinstance(new, SharedVariable):
                raise TypeError("copy(swap=): keys and values must be shared variables")
            if old.type != new.type:
                raise TypeError(f"copy(swap=): {new} has type {new.type}, {old} has {old.type}")
        if swap:
            outs, single = _normalize_outputs(spec["outputs"])
            new_vars = _replace([o.variable for o in outs], swap)
            new_outs = [Out(v, o.borrow) for v, o in zip(new_vars, outs)]
            spec["outputs"] = new_outs[0] if single else new_outs
            pairs = _pairs(spec["updates"], "updates")
            spec["updates"] = [(swap.get(t, t), _replace(e, swap)) for t, e in pairs]
            spec["givens"] = [(k, _replace(v, swap) if isinstance(v, Variable) else v)
                              for k, v in _pairs(spec["givens"], "givens")]
        if delete_updates:
            spec["updates"] = None
            spec["no_default_updates"] = True
            spec["on_unused_input"] = "ignore"   # inputs that only fed updates are now unused
        if name is not None:
            spec["name"] = name
        if profile is not None:
            spec["profile"] = profile
        return FunctionMaker(spec).create()

    def __reduce__(self):
        return (_rebuild_function, (self.maker.spec,))

    def __repr__(self):
        return f"<jitgraph.Function {self.name or ''} ({self._n_inputs} inputs, {self._n_outputs} outputs)>"


def _rebuild_function(spec):
    return FunctionMaker(spec).create()


def function(inputs, outputs=None, mode=None, updates=None, givens=None, no_default_updates=False,
             accept_inplace=False, name=None, rebuild_strict=True, allow_input_downcast=None,
             profile=None, on_unused_input=None):
    """Compile a function from symbolic ``inputs`` to ``outputs``.

    ``updates``: new values for shared variables, computed from the values before the
    call and applied after the outputs (a list of pairs, a dict, or one pair).
    ``givens``: substitutions applied to the graph before compiling (a dict, a list of
    pairs or one flat pair ``[x, value]``).
    """
    spec = {"inputs": inputs, "outputs": outputs, "mode": mode, "updates": updates, "givens": givens,
            "no_default_updates": no_default_updates, "name": name,
            "allow_input_downcast": allow_input_downcast, "profile": profile,
            "on_unused_input": on_unused_input}
    return FunctionMaker(spec).create()
