"""Configuration flags.

Precedence, highest first: assignments in code, ``JITGRAPH_FLAGS``, ``THEANO_FLAGS``
(read only when ``JITGRAPH_FLAGS`` is unset, and only for keys jitgraph knows, so old
scripts keep working), ``~/.jitgraphrc`` (or ``~/.theanorc``), defaults.
``JITGRAPH_CACHE_DIR`` is a shorthand for ``cache_dir``.
"""
import configparser
import contextlib
import os
import threading

_DEVICE_ALIASES = {"cpu": "cpu", "cuda": "cuda", "gpu": "cuda"}


def _parse_device(value):
    v = str(value).strip().lower()
    if v in _DEVICE_ALIASES:
        return _DEVICE_ALIASES[v]
    for prefix in ("cuda", "gpu"):
        if v.startswith(prefix) and v[len(prefix):].isdigit():
            return "cuda"
    raise ValueError(f"device={value!r}: expected one of cpu, cuda (aliases cuda0, gpu)")


def _choice(*allowed, aliases=None):
    aliases = aliases or {}

    def parse(value):
        v = aliases.get(str(value), str(value))
        if v not in allowed:
            raise ValueError(f"{value!r}: expected one of {', '.join(allowed)}")
        return v
    return parse


def _default_cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jitgraph")


def _str(value):
    return str(value)


def _optional_str(value):
    return None if value in (None, "", "None") else str(value)


# key: (parser, default, help)
_FLAGS = {
    "device": (_parse_device, "cpu", "where shared variables live and code runs: cpu or cuda"),
    "floatX": (_choice("float64", "float32"), "float64", "dtype of T.scalar() etc. and of Python float constants"),
    "mode": (_choice("FAST_RUN", "FAST_COMPILE", "DEBUG", aliases={"DebugMode": "DEBUG", "Mode": "FAST_RUN"}),
             "FAST_RUN", "default compilation mode"),
    "optimizer": (_choice("fast_run", "fast_compile", "None", aliases={"o4": "fast_run", "merge": "fast_compile"}),
                  "fast_run", "rewrite pipeline used by FAST_RUN"),
    "optimizer_excluding": (_str, "", "colon-separated names of rewrite passes to skip"),
    "cache_dir": (_str, None, "compile cache directory"),
    "cxx": (_str, "gcc", "C compiler"),
    "cxxflags": (_str, "", "extra C compiler flags"),
    "nvcc": (_str, "nvcc", "CUDA compiler"),
    "cuda_arch": (_str, "sm_90", "CUDA target architecture"),
    "on_unused_input": (_choice("raise", "warn", "ignore"), "raise", "default for function(on_unused_input=)"),
}


def parse_flag_string(text, source, strict):
    """``"a=1,b=2"`` -> dict; unknown keys raise when ``strict`` (else are skipped)."""
    out = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise ValueError(f"{source}: {item!r} is not of the form key=value")
        key, value = (s.strip() for s in item.split("=", 1))
        key = key.replace("-", "_")
        if key not in _FLAGS:
            if strict:
                raise ValueError(f"{source}: unknown flag {key!r}; known flags: {', '.join(sorted(_FLAGS))}")
            continue
        out[key] = value
    return out


def _read_rc_file():
    home = os.path.expanduser("~")
    for name in (".jitgraphrc", ".theanorc"):
        path = os.path.join(home, name)
        if os.path.isfile(path):
            parser = configparser.ConfigParser()
            parser.read(path)
            values = {}
            for section in parser.sections():
                for key, value in parser.items(section):
                    full = key if section == "global" else f"{section}__{key}"
                    for k in _FLAGS:
                        if k.lower() == full.lower():
                            values[k] = value
            return values
    return {}


class Config:
    """Attribute access to flags: ``config.floatX``, ``config.floatX = "float32"``."""

    def __init__(self, environ=None):
        object.__setattr__(self, "_lock", threading.RLock())
        object.__setattr__(self, "_values", {})
        self._load(os.environ if environ is None else environ)

    def _load(self, environ):
        values = {k: default for k, (_, default, _) in _FLAGS.items()}
        values.update(_read_rc_file())
        if "JITGRAPH_FLAGS" in environ:
            values.update(parse_flag_string(environ["JITGRAPH_FLAGS"], "JITGRAPH_FLAGS", strict=True))
        elif "THEANO_FLAGS" in environ:
            values.update(parse_flag_string(environ["THEANO_FLAGS"], "THEANO_FLAGS", strict=False))
        if environ.get("JITGRAPH_CACHE_DIR") and "cache_dir=" not in environ.get("JITGRAPH_FLAGS", ""):
            values["cache_dir"] = environ["JITGRAPH_CACHE_DIR"]
        if values["cache_dir"] is None:
            values["cache_dir"] = _default_cache_dir()
        for key, value in values.items():
            self._values[key] = self._parse(key, value)

    @staticmethod
    def _parse(key, value):
        parser = _FLAGS[key][0]
        try:
            return parser(value)
        except ValueError as exc:
            raise ValueError(f"config flag {key}: {exc}") from None

    def __getattr__(self, key):
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(
                f"jitgraph.config has no flag {key!r}; known flags: {', '.join(sorted(_FLAGS))}") from None

    def __setattr__(self, key, value):
        if key not in _FLAGS:
            raise AttributeError(f"jitgraph.config has no flag {key!r}; known flags: {', '.join(sorted(_FLAGS))}")
        with self._lock:
            self._values[key] = self._parse(key, value)

    def known_flags(self):
        return {k: h for k, (_, _, h) in _FLAGS.items()}

    @contextlib.contextmanager
    def change_flags(self, **kwargs):
        """Temporarily set flags: ``with config.change_flags(floatX="float32"): ...``."""
        old = {k: getattr(self, k) for k in kwargs}
        try:
            for k, v in kwargs.items():
                setattr(self, k, v)
            yield self
        finally:
            for k, v in old.items():
                self._values[k] = v

    def __repr__(self):
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in sorted(self._values.items())) + ")"


config = Config()
change_flags = config.change_flags
