"""Compilation modes: FAST_RUN, FAST_COMPILE, DEBUG and ``Mode(linker=, optimizer=)``."""

_MODE_NAMES = {"FAST_RUN": "FAST_RUN", "FAST_COMPILE": "FAST_COMPILE", "DEBUG": "DEBUG",
               "DebugMode": "DEBUG", "DEBUG_MODE": "DEBUG"}
# Theano's linker names and what they mean here. Theano's 'vm' linkers run each op's C
# code (only the loop over nodes is Python), so they are native; 'py' runs each op's
# perform; 'c&py' runs both and compares, as DEBUG does.
_LINKERS = {"cvm": "native", "c": "native", "c|py": "native", "c|py_nogc": "native", "vm": "native",
            "cvm_nogc": "native", "vm_nogc": "native", "native": "native", "py": "reference",
            "reference": "reference", "c&py": "debug", "debug": "debug"}
_OPTIMIZERS = {"fast_run": "fast_run", "o4": "fast_run", "o3": "fast_run", "o2": "fast_run",
               "fast_run_stable": "fast_run", "stabilize": "fast_run", "unsafe": "fast_run",
               "fast_compile": "fast_compile", "o1": "fast_compile", "merge": "fast_compile",
               "None": None, None: None}


class Mode:
    """How ``function`` compiles: which linker runs the graph and which rewrites apply.

    ``linker``: 'native' (Theano's 'cvm', 'c', 'vm', …), 'reference' ('py'), or 'debug'.
    ``optimizer``: 'fast_run', 'fast_compile' or None.
    """

    def __init__(self, linker=None, optimizer="default", name=None):
        # Theano's defaults: linker None and optimizer 'default' mean the configured ones.
        if linker is None:
            linker = "cvm"
        if isinstance(optimizer, str) and optimizer == "default":
            from jitgraph.config import config
            optimizer = config.optimizer
        if not isinstance(linker, str) or linker not in _LINKERS:
            raise ValueError(f"Mode: unknown linker {linker!r}; known: {', '.join(sorted(map(str, _LINKERS)))}")
        if not isinstance(optimizer, (str, type(None))) or optimizer not in _OPTIMIZERS:
            known = ", ".join(sorted(map(str, _OPTIMIZERS)))
            raise ValueError(f"Mode: unknown optimizer {optimizer!r}; known: {known}")
        self.provided_linker, self.provided_optimizer = linker, optimizer
        self.linker = _LINKERS[linker]
        self.optimizer = _OPTIMIZERS[optimizer]
        self.name = name or f"Mode(linker={linker}, optimizer={optimizer})"

    def including(self, *tags):
        return self

    def excluding(self, *tags):
        return self

    def __repr__(self):
        return self.name

    def __eq__(self, other):
        return isinstance(other, Mode) and (self.linker, self.optimizer) == (other.linker, other.optimizer)

    def __hash__(self):
        return hash((self.linker, self.optimizer))


PREDEFINED = {
    "FAST_RUN": Mode("cvm", "fast_run", "FAST_RUN"),
    "FAST_COMPILE": Mode("py", "fast_compile", "FAST_COMPILE"),
    "DEBUG": Mode("debug", "fast_run", "DEBUG"),
}


def get_mode(mode):
    """A Mode from None (config.mode), a name, or a Mode."""
    from jitgraph.config import config
    if mode is None:
        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if isinstance(mode, str) and mode in _MODE_NAMES:
        return PREDEFINED[_MODE_NAMES[mode]]
    raise ValueError(f"unknown mode {mode!r}; expected one of FAST_RUN, FAST_COMPILE, DEBUG "
                     "(DebugMode) or a Mode object")


FAST_RUN = PREDEFINED["FAST_RUN"]
FAST_COMPILE = PREDEFINED["FAST_COMPILE"]


def get_default_mode():
    """The Mode ``function`` uses when none is given (Theano's name)."""
    return get_mode(None)
