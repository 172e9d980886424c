"""``In`` and ``Out``: per-input and per-output options of ``function``."""
from jitgraph.graph.basic import Variable


class In:
    """An input with options: ``In(x, value=1, name="x_by_name")``.

    ``value`` is the default used when the caller omits the argument; ``name`` is the
    keyword the caller may use (default: the variable's name).
    """

    _NO_VALUE = object()

    def __init__(self, variable, name=None, value=_NO_VALUE, strict=False, allow_downcast=None,
                 mutable=False, borrow=False, implicit=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"In() needs a symbolic variable, got {type(variable).__name__} {variable!r}")
        self.variable = variable
        self.name = name if name is not None else variable.name
        self.has_default = value is not In._NO_VALUE
        self.value = value if self.has_default else None
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.mutable = mutable
        self.borrow = borrow
        self.implicit = implicit

    def __repr__(self):
        return f"In({self.variable}, name={self.name!r}" + (f", value={self.value!r})" if self.has_default else ")")


Param = In


class Out:
    """An output with options: ``Out(y, borrow=True)`` may return internal storage."""

    def __init__(self, variable, borrow=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"Out() needs a symbolic variable, got {type(variable).__name__}")
        self.variable = variable
        self.borrow = borrow

    def __repr__(self):
        return f"Out({self.variable}, borrow={self.borrow})"
