"""Compilation modes: FAST_RUN, FAST_COMPILE, DEBUG and ``Mode(linker=, optimizer=)``."""

_MODE_NAMES = {"FAST_RUN": "FAST_RUN", "FAST_COMPILE": "FAST_COMPILE", "DEBUG": "DEBUG",
               "DebugMode": "DEBUG", "DEBUG_MODE": "DEBUG"}
# Theano's linker names and what they mean here.
_LINKERS = {"cvm": "native", "c": "native", "c|py": "native", "c|py_nogc": "native", "vm": "native",
            "cvm_nogc": "native", "native": "native", "py": "reference", "vm_nogc": "reference",
            "reference": "reference", "debug": "debug"}
_OPTIMIZERS = {"fast_run": "fast_run", "o4": "fast_run", "fast_compile": "fast_compile",
               "merge": "fast_compile", "None": None, None: None}


class Mode:
    """How ``function`` compiles: which linker runs the graph and which rewrites apply.

    ``linker``: 'native' (Theano's 'cvm', 'c', 'vm', …), 'reference' ('py'), or 'debug'.
    ``optimizer``: 'fast_run', 'fast_compile' or None.
    """

    def __init__(self, linker="cvm", optimizer="fast_run", name=None):
        if linker not in _LINKERS:
            raise ValueError(f"Mode: unknown linker {linker!r}; known: {', '.join(sorted(map(str, _LINKERS)))}")
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"Mode: unknown optimizer {optimizer!r}; known: fast_run, fast_compile, None")
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
