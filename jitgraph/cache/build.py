"""The gcc step: build one plain C source file into a shared library.

``compile_shared_library`` runs the C compiler (``config.cxx``, gcc by default) with
``-shared -fPIC``, the caller's flags and then the user's ``config.cxxflags``, and
returns a build-info dict that the cache stores as ``build.json``. A failure raises
:class:`CompileError`, whose message shows the compiler's output, the generated source
lines around each reported error and where the source was kept. A missing compiler
raises :class:`CompilerNotFoundError` (a ``CompileError``), which the runtime takes as
the signal to fall back to the reference executor.

``toolchain_fingerprint`` describes everything outside the generated source that
decides what the compiler produces; it is part of every cache key and is memoised per
process (one ``cc --version`` run per compiler, one read of ``/proc/cpuinfo``).
"""
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time

from jitgraph.config import config

CONTEXT_LINES = 3          # source lines shown either side of an error line
MAX_ERRORS_SHOWN = 5       # error sites shown with source context
MAX_OUTPUT_LINES = 60      # compiler output lines kept in the message


class CompileError(Exception):
    """The C compiler failed (or is missing).

    Attributes: ``command`` (argv list), ``output`` (the compiler's stderr+stdout),
    ``source`` (the source text), ``source_path`` (where the source is kept; the cache
    moves it to ``<cache_dir>/failed/<key>/`` and updates this), ``returncode``.
    """

    def __init__(self, message=None, *, command=None, output="", source=None, source_path=None,
                 returncode=None):
        super().__init__(message)
        self.headline = message
        self.command = list(command or [])
        self.output = output or ""
        self.source = source
        self.source_path = source_path
        self.returncode = returncode
        self._built_at = source_path   # the path the compiler saw, as it appears in `output`

    def kept_at(self, path):
        """Record that the failed source now lives at ``path`` (shown in the message)."""
        self.source_path = path
        return self

    def __str__(self):
        parts = [self.headline or "C compilation failed"]
        command, output = list(self.command), self.output
        if self._built_at and self.source_path and self._built_at != self.source_path:
            # name the kept copy, not the build directory that is gone
            command = [self.source_path if arg == self._built_at else arg for arg in command]
            output = output.replace(self._built_at, self.source_path)
        if command:
            parts.append("command: " + shlex.join(command))
        if output.strip():
            lines = output.rstrip().splitlines()
            if len(lines) > MAX_OUTPUT_LINES:
                lines = lines[:MAX_OUTPUT_LINES] + [f"... ({len(lines) - MAX_OUTPUT_LINES} more lines)"]
            parts.append("compiler output:\n" + "\n".join("  " + ln for ln in lines))
        if self.source is not None:
            for line_no in error_line_numbers(self.output)[:MAX_ERRORS_SHOWN]:
                parts.append(f"generated source around line {line_no}:\n" + source_excerpt(self.source, line_no))
        if self.source_path:
            parts.append(f"source kept at: {self.source_path}")
        return "\n".join(parts)


class CompilerNotFoundError(CompileError):
    """The configured C compiler does not exist; callers fall back to the reference executor."""


_ERROR_LINE = re.compile(r"^[^:\n]+:(\d+):(?:\d+:)?\s*(?:fatal )?error:"
                         r"|^[^(\n]+\((\d+)\): (?:catastrophic )?error", re.MULTILINE)   # gcc | nvcc


def error_line_numbers(output):
    """Line numbers (in order, without repeats) of the errors gcc reports in ``output``."""
    seen = []
    for match in _ERROR_LINE.finditer(output):
        n = int(match.group(1) or match.group(2))
        if n not in seen:
            seen.append(n)
    return seen


def source_excerpt(source, line_no, context=CONTEXT_LINES):
    """Lines ``line_no ± context`` of ``source``, numbered, the error line marked ``>``."""
    lines = source.splitlines()
    lo, hi = max(1, line_no - context), min(len(lines), line_no + context)
    width = len(str(hi))
    return "\n".join(f"{'>' if n == line_no else ' '} {n:>{width}} | {lines[n - 1]}" for n in range(lo, hi + 1))


def resolve_compiler(cxx=None):
    """Absolute path of the compiler ``cxx`` (default ``config.cxx``), or CompilerNotFoundError."""
    cxx = cxx or config.cxx
    path = shutil.which(cxx)
    if path is None:
        raise CompilerNotFoundError(
            f"C compiler {cxx!r} not found (config.cxx={config.cxx!r}); install gcc or set "
            f"JITGRAPH_FLAGS=cxx=/path/to/compiler")
    return os.path.realpath(path)


def user_flags():
    """The user's extra flags from ``config.cxxflags``, appended to every build."""
    return shlex.split(config.cxxflags or "")


def _as_link_args(libs):
    # "m" -> "-lm"; "-lm", "-L/dir", "-Wl,..." and paths to libraries pass through unchanged.
    return [lib if lib.startswith("-") or os.sep in lib else "-l" + lib for lib in libs]


def compile_shared_library(src_path, out_path, flags=(), libs=(), cxx=None, library_versions=None):
    """Build ``src_path`` into the shared library ``out_path``; return the build-info dict.

    ``flags``: the caller's compiler flags (a list, or a string split like a shell);
    ``libs``: libraries to link (``"m"``, ``"-lopenblas"``, ``"-L/dir"``), placed after the
    source; ``library_versions``: recorded in the build info as given (e.g. the BLAS
    version). ``config.cxxflags`` follow the caller's flags, so the user's flags win.
    """
    compiler = resolve_compiler(cxx)
    flags = shlex.split(flags) if isinstance(flags, str) else list(flags)
    command = [compiler, "-shared", "-fPIC", *flags, *user_flags(), "-o", out_path, src_path,
               *_as_link_args(libs)]
    env = dict(os.environ, LC_ALL="C")   # English, parseable diagnostics
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    except FileNotFoundError:
        raise CompilerNotFoundError(f"C compiler {compiler!r} not found", command=command,
                                    source_path=src_path) from None
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        try:
            with open(src_path, encoding="utf-8", errors="replace") as f:
                source = f.read()
        except OSError:
            source = None
        raise CompileError(f"{os.path.basename(compiler)} failed with exit status {proc.returncode}",
                           command=command, output=proc.stdout, source=source, source_path=src_path,
                           returncode=proc.returncode)
    return {
        "command": command,
        "command_line": shlex.join(command),
        "compiler": compiler,
        "compiler_version": compiler_version(compiler),
        "flags": flags + user_flags(),
        "libs": list(libs),
        "library_versions": dict(library_versions or {}),
        "seconds": round(seconds, 6),
        "compiler_output": proc.stdout,
    }


def compile_shared_library_parts(src_path, out_path, parts, flags=(), libs=(), cxx=None, library_versions=None):
    """Like ``compile_shared_library``, but compiles ``src_path`` ``parts`` times at once
    (``-c -DJG_PART=k``, k = 1..parts, one gcc process per core) and links the objects:
    a large generated module builds in a fraction of the time."""
    if parts <= 1:
        return compile_shared_library(src_path, out_path, flags, libs, cxx, library_versions)
    compiler = resolve_compiler(cxx)
    flags = shlex.split(flags) if isinstance(flags, str) else list(flags)
    env = dict(os.environ, LC_ALL="C")
    objects = [f"{out_path}.part{k}.o" for k in range(1, parts + 1)]
    commands = [[compiler, "-c", "-fPIC", *flags, *user_flags(), f"-DJG_PART={k}", "-o", obj, src_path]
                for k, obj in zip(range(1, parts + 1), objects)]
    link = [compiler, "-shared", "-fPIC", *flags, *user_flags(), "-o", out_path, *objects, *_as_link_args(libs)]
    start = time.perf_counter()
    outputs = []
    try:
        procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
                 for c in commands]
        for c, proc in zip(commands, procs):
            out, _ = proc.communicate()
            outputs.append(out)
            if proc.returncode != 0:
                _raise_compile_error(compiler, c, out, src_path, proc.returncode)
        proc = subprocess.run(link, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        outputs.append(proc.stdout)
        if proc.returncode != 0:
            _raise_compile_error(compiler, link, proc.stdout, src_path, proc.returncode)
    except FileNotFoundError:
        raise CompilerNotFoundError(f"C compiler {compiler!r} not found", command=commands[0],
                                    source_path=src_path) from None
    finally:
        for obj in objects:
            try:
                os.unlink(obj)
            except OSError:
                pass
    command = commands + [link]
    return {
        "command": command,
        "command_line": " && ".join(shlex.join(c) for c in command),
        "compiler": compiler,
        "compiler_version": compiler_version(compiler),
        "flags": flags + user_flags(),
        "libs": list(libs),
        "library_versions": dict(library_versions or {}),
        "seconds": round(time.perf_counter() - start, 6),
        "compiler_output": "".join(outputs),
    }


def _raise_compile_error(compiler, command, output, src_path, returncode):
    try:
        with open(src_path, encoding="utf-8", errors="replace") as f:
            source = f.read()
    except OSError:
        source = None
    raise CompileError(f"{os.path.basename(compiler)} failed with exit status {returncode}",
                       command=command, output=output, source=source, source_path=src_path,
                       returncode=returncode)


_memo_lock = threading.Lock()
_version_memo = {}
_fingerprint_memo = {}
_cpu_memo = []


def _version_file():
    return os.path.join(config.cache_dir, "toolchain-versions.json")


def _stored_version(stamp):
    """The version recorded on disk for a compiler binary with this (path, mtime, size)
    stamp, so a warm process starts without running the compiler."""
    try:
        with open(_version_file()) as fh:
            return json.load(fh).get(stamp)
    except (OSError, ValueError):
        return None


def _store_version(stamp, version):
    path = _version_file()
    try:
        try:
            with open(path) as fh:
                known = json.load(fh)
        except (OSError, ValueError):
            known = {}
        known[stamp] = version
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as fh:
            json.dump(known, fh)
        os.replace(tmp, path)
    except OSError:
        pass   # an unwritable cache only costs the next process one `--version` run


def compiler_version(compiler_path):
    """First line of ``compiler --version`` (memoised per process, and on disk per binary)."""
    with _memo_lock:
        if compiler_path in _version_memo:
            return _version_memo[compiler_path]
    try:
        real = os.path.realpath(compiler_path)
        st = os.stat(real)
        stamp = f"{real}:{st.st_mtime_ns}:{st.st_size}"
    except OSError:
        stamp = None
    version = _stored_version(stamp) if stamp else None
    if version is not None:
        with _memo_lock:
            _version_memo[compiler_path] = version
        return version
    try:
        proc = subprocess.run([compiler_path, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, env=dict(os.environ, LC_ALL="C"))
        version = (proc.stdout.splitlines() or ["unknown"])[0].strip()
    except OSError as exc:
        raise CompilerNotFoundError(f"C compiler {compiler_path!r} cannot be run: {exc}") from None
    if stamp:
        _store_version(stamp, version)
    with _memo_lock:
        _version_memo[compiler_path] = version
    return version


def cpu_features():
    """What ``-march=native`` depends on: the CPU's vendor, family, model and feature flags."""
    if _cpu_memo:
        return _cpu_memo[0]
    wanted = ("vendor_id", "cpu family", "model", "flags", "Features", "CPU implementer", "CPU part")
    found = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break              # the first processor's block is enough
                name, _, value = line.partition(":")
                if name.strip() in wanted:
                    found[name.strip()] = " ".join(sorted(value.split())) if name.strip() in (
                        "flags", "Features") else value.strip()
    except OSError:
        pass
    description = "; ".join(f"{k}={v}" for k, v in sorted(found.items())) or platform.processor() or "unknown"
    _cpu_memo[:] = [description]
    return description


def numpy_abi():
    import numpy
    core = getattr(numpy, "_core", None) or getattr(numpy, "core")
    get_version = getattr(getattr(core, "_multiarray_umath", None), "_get_ndarray_c_version", None)
    return hex(get_version()) if get_version else numpy.__version__


def toolchain_fingerprint(cxx=None, flags=()):
    """Everything besides the source that decides the built module, as a JSON-able dict.

    Compiler path and version, the build flags (the caller's ``flags`` plus
    ``config.cxxflags``), the CPU features ``-march=native`` selects, numpy's C ABI
    version and the platform. Memoised per process and per (compiler, flags).
    """
    cxx = cxx or config.cxx
    flags = tuple(shlex.split(flags) if isinstance(flags, str) else flags)
    # Keyed by what the answer depends on, so that a hit costs no PATH search.
    memo_key = (cxx, os.environ.get("PATH"), flags, config.cxxflags)
    with _memo_lock:
        cached = _fingerprint_memo.get(memo_key)
    if cached is not None:
        return cached
    compiler = resolve_compiler(cxx)
    flags += tuple(user_flags())
    fingerprint = {
        "compiler": compiler,
        "compiler_version": compiler_version(compiler),
        "flags": list(flags),
        "cpu": cpu_features(),
        "numpy_abi": numpy_abi(),
        "platform": f"{sys.platform}-{platform.machine()}",
    }
    with _memo_lock:
        return _fingerprint_memo.setdefault(memo_key, fingerprint)


# ---------------------------------------------------------------- nvcc (the CUDA target)

def resolve_nvcc():
    """Absolute path of ``config.nvcc``, or CompilerNotFoundError."""
    path = shutil.which(config.nvcc)
    if path is None:
        raise CompilerNotFoundError(f"CUDA compiler {config.nvcc!r} not found (config.nvcc); install the CUDA "
                                    f"toolkit or set JITGRAPH_FLAGS=nvcc=/path/to/nvcc")
    return os.path.realpath(path)


def nvcc_fingerprint():
    """nvcc's path and full version (its first --version line names only the driver), and
    the host compiler it runs: part of every CUDA cache key."""
    with _memo_lock:
        cached = _version_memo.get(("nvcc-full", config.nvcc))
    if cached is not None:
        return cached
    nvcc = resolve_nvcc()
    proc = subprocess.run([nvcc, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          env=dict(os.environ, LC_ALL="C"))
    lines = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()]
    release = next((ln for ln in lines if "release" in ln), lines[-1] if lines else "unknown")
    host = shutil.which("g++") or shutil.which("c++")
    fingerprint = {"nvcc": nvcc, "version": release, "host_compiler": compiler_version(host) if host else None}
    with _memo_lock:
        return _version_memo.setdefault(("nvcc-full", config.nvcc), fingerprint)


def cuda_lib_dir():
    """The toolkit's library directory holding libcudart: next to nvcc (bin/../lib64),
    $CUDA_HOME/lib64 or /usr/local/cuda/lib64 (nvcc may be a wrapper script elsewhere)."""
    candidates = []
    nvcc = resolve_nvcc()
    for root in (os.path.dirname(os.path.dirname(nvcc)), os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"),
                 "/usr/local/cuda"):
        if root:
            candidates += [os.path.join(root, "lib64"), os.path.join(root, "lib"),
                           os.path.join(root, "targets", f"{platform.machine()}-linux", "lib")]
    for path in candidates:
        if os.path.exists(os.path.join(path, "libcudart.so")):
            return os.path.realpath(path)
    return candidates[0]


def cuda_build_flags(arch):
    """(flags, libs) of a CUDA module for ``arch`` (``sm_90``): SASS for the architecture
    plus PTX, so newer GPUs JIT it; no fused multiply-add contraction (results round as
    the CPU's step-by-step evaluation); cudart linked as a shared library, the same one the
    runtime loads."""
    m = re.fullmatch(r"(?:sm_|compute_)?(\d+[a-z]?)", arch.strip())
    if not m:
        raise ValueError(f"cuda_arch={arch!r}: expected an architecture like sm_90")
    num = m.group(1)
    flags = ["-O3", f"-gencode=arch=compute_{num},code=[sm_{num},compute_{num}]", "--fmad=false",
             "-std=c++17", "-Xcompiler", "-fPIC", "-Xcompiler", "-fno-math-errno", "-cudart", "shared",
             "-diag-suppress=177,550,1675"]   # unused helpers; CPU headers' GCC pragmas
    libdir = cuda_lib_dir()
    libs = [f"-L{libdir}", "-lcudart", f"-Xlinker=-rpath,{libdir}"]
    return flags, libs


def compile_cuda_library(src_path, out_path, flags=(), libs=()):
    """nvcc ``src_path`` (a .cu file) into the shared library ``out_path``; returns the
    build-info dict, or raises CompileError with the nvcc command and source excerpts."""
    nvcc = resolve_nvcc()
    flags = list(flags)
    command = [nvcc, "-shared", *flags, "-o", out_path, src_path, *libs]
    env = dict(os.environ, LC_ALL="C")
    start = time.perf_counter()
    try:
        proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    except FileNotFoundError:
        raise CompilerNotFoundError(f"CUDA compiler {nvcc!r} not found", command=command,
                                    source_path=src_path) from None
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        _raise_compile_error(nvcc, command, proc.stdout, src_path, proc.returncode)
    return {
        "command": command,
        "command_line": shlex.join(command),
        "compiler": nvcc,
        "compiler_version": nvcc_fingerprint()["version"],
        "flags": flags,
        "libs": list(libs),
        "library_versions": {},
        "seconds": round(seconds, 6),
        "compiler_output": proc.stdout,
    }
